-- A revocation ends the links issued before it, not those the bot mints after it: a robot's
-- reminder or a mail carries a fresh link, which must open the page. So the same recipient may
-- be revoked again later (ending the links issued in between), and a revocation is keyed by its
-- moment too. The links' issue time is in their signed part (bot/web/links.py).
CREATE TABLE notice_link_revocations_by_time (
    notice_id        INTEGER NOT NULL REFERENCES notices (id),
    recipient        TEXT NOT NULL CHECK (recipient <> ''),
    revoked_by       TEXT NOT NULL,
    revoked_at       TEXT NOT NULL,
    revoked_platform TEXT NOT NULL,
    PRIMARY KEY (notice_id, recipient, revoked_at)
) WITHOUT ROWID;

INSERT INTO notice_link_revocations_by_time (notice_id, recipient, revoked_by, revoked_at, revoked_platform)
SELECT notice_id, recipient, revoked_by, revoked_at, revoked_platform FROM notice_link_revocations;

DROP TRIGGER notice_link_revocations_no_update;
DROP TRIGGER notice_link_revocations_no_delete;
DROP TABLE notice_link_revocations;
ALTER TABLE notice_link_revocations_by_time RENAME TO notice_link_revocations;

CREATE TRIGGER notice_link_revocations_no_update BEFORE UPDATE ON notice_link_revocations
BEGIN
    SELECT RAISE(ABORT, 'a revoked link stays revoked');
END;

CREATE TRIGGER notice_link_revocations_no_delete BEFORE DELETE ON notice_link_revocations
BEGIN
    SELECT RAISE(ABORT, 'a revoked link stays revoked');
END;
