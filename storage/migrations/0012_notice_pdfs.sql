-- Each version of a notice as a PDF, rendered once, at its first delivery attempt, and sent
-- as these bytes by every attempt on every platform: a notice with photos costs ~0.23 s a
-- photo to render, and the factory must get the same document wherever it reads it.
-- A crash between rendering and storing leaves no row: the next attempt renders again.
-- Appended, never rewritten: it is what was sent (see 0016 for notice_versions).
CREATE TABLE notice_pdfs (
    notice_id   INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
    pdf         BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (notice_id, version),
    FOREIGN KEY (notice_id, version) REFERENCES notice_versions (notice_id, version)
);  -- a rowid table: its rows are large (SQLite advises WITHOUT ROWID only for small ones)

CREATE TRIGGER notice_pdfs_no_update BEFORE UPDATE ON notice_pdfs
BEGIN
    SELECT RAISE(ABORT, 'notice PDFs are history: a version''s PDF is never changed; send a new version instead');
END;

CREATE TRIGGER notice_pdfs_no_delete BEFORE DELETE ON notice_pdfs
BEGIN
    SELECT RAISE(ABORT, 'notice PDFs are history: a version''s PDF is never deleted; send a new version instead');
END;
