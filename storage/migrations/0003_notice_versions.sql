-- Every version of a notice as it was sent: the instructions as they read then, by whom and
-- when. A buyer who revises a disputed notice sends version 2; version 1 stays readable.
-- The notices row always describes the current version.
CREATE TABLE notice_versions (
    notice_id       INTEGER NOT NULL REFERENCES notices (id),
    version         INTEGER NOT NULL CHECK (version > 0),
    sent_by         TEXT NOT NULL,
    sent_at         TEXT NOT NULL,
    sent_platform   TEXT NOT NULL,
    instructions    TEXT NOT NULL CHECK (json_valid(instructions)),
    PRIMARY KEY (notice_id, version)
) WITHOUT ROWID;
