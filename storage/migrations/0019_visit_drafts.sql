-- A visit report being filled in on the inspector's form (bot/web/form.py): the report so far
-- as JSON in the shape of the YAML report, its photos by the name the report gives them (the
-- file itself in the media folder, by its SHA-256). Each autosave rewrites the row in its own
-- transaction; once posted, the draft names its visit and takes no more changes.
CREATE TABLE visit_drafts (
    id              TEXT PRIMARY KEY CHECK (length(id) BETWEEN 16 AND 40),
    order_reference TEXT NOT NULL,
    opened_by       TEXT NOT NULL,
    report          TEXT NOT NULL,
    photos          TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    submitted_at    TEXT,
    visit_id        INTEGER REFERENCES visits (id),
    CHECK ((submitted_at IS NULL) = (visit_id IS NULL))
) WITHOUT ROWID;

CREATE INDEX visit_drafts_by_order ON visit_drafts (order_reference, submitted_at);

CREATE TRIGGER visit_drafts_submitted_stay BEFORE UPDATE ON visit_drafts
WHEN OLD.submitted_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a submitted draft is the posted visit and changes no more');
END;
