-- The same column, index and triggers as storage/migrations/0027_instruction_versions.sql (its
-- comments say why); here the version is counted up before the row is written.
ALTER TABLE instructions ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE INDEX instructions_versions ON instructions (visit_id, version);

CREATE FUNCTION instructions_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER instructions_version BEFORE UPDATE ON instructions FOR EACH ROW
    EXECUTE FUNCTION instructions_version();

CREATE TRIGGER instructions_no_delete BEFORE DELETE ON instructions FOR EACH ROW EXECUTE FUNCTION
    forbid_change('instructions are history: an instruction is never deleted; reject it instead');
