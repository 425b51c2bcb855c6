-- Each change of an instruction counts up its `version`, so the sum of a visit's versions
-- changes whenever any of its instructions does (instructions are added and changed, never
-- deleted). The outbox keeps a visit's instructions as it read them (handlers/views.py) and
-- reads them again only when that sum moved: a burst of decisions on a 100-finding visit read
-- every instruction for each decision's message (370 µs), where the sum is read from
-- `instructions_versions` alone (13 µs). A trigger rather than the statements counting up, so
-- that no change to an instruction, wherever it is written, can leave a stale copy shown.
ALTER TABLE instructions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

CREATE INDEX instructions_versions ON instructions (visit_id, version);

CREATE TRIGGER instructions_version AFTER UPDATE ON instructions
WHEN NEW.version = OLD.version
BEGIN
    UPDATE instructions SET version = OLD.version + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER instructions_no_delete BEFORE DELETE ON instructions
BEGIN
    SELECT RAISE(ABORT, 'instructions are history: an instruction is never deleted; reject it instead');
END;
