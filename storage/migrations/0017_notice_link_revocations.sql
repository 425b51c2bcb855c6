-- Signed notice links are not stored (bot/web/links.py mints them from the key alone); only
-- their revocation is. A revocation ends every link to the notice for that recipient, of any
-- version and expiry, for good; the buyer passes a fresh link on under another recipient.
-- Append-only, like the audit event written with it.
CREATE TABLE notice_link_revocations (
    notice_id        INTEGER NOT NULL REFERENCES notices (id),
    recipient        TEXT NOT NULL CHECK (recipient <> ''),
    revoked_by       TEXT NOT NULL,
    revoked_at       TEXT NOT NULL,
    revoked_platform TEXT NOT NULL,
    PRIMARY KEY (notice_id, recipient)
) WITHOUT ROWID;

CREATE TRIGGER notice_link_revocations_no_update BEFORE UPDATE ON notice_link_revocations
BEGIN
    SELECT RAISE(ABORT, 'a revoked link stays revoked');
END;

CREATE TRIGGER notice_link_revocations_no_delete BEFORE DELETE ON notice_link_revocations
BEGIN
    SELECT RAISE(ABORT, 'a revoked link stays revoked');
END;
