-- What people send the bot, kept so that none of it is lost or counted twice.

-- Every photo the factory sent as proof, in every round: a done report starts a round, more
-- photos join it, a reopen and a new done report start the next one. `instructions.evidence`
-- stays the current round's photos, as the lifecycle reads them; this is the history, with
-- who sent each photo, when and from which platform. `captured_at` is the camera's clock
-- (EXIF), which has no time zone; NULL when the photo carries none. Append-only.
CREATE TABLE evidence_photos (
    instruction_id  INTEGER NOT NULL REFERENCES instructions (id),
    round           INTEGER NOT NULL CHECK (round >= 1),
    position        INTEGER NOT NULL CHECK (position >= 1),
    sha256          TEXT NOT NULL CHECK (sha256 <> ''),
    captured_at     TEXT,
    added_by        TEXT NOT NULL,
    added_at        TEXT NOT NULL,
    added_platform  TEXT NOT NULL,
    PRIMARY KEY (instruction_id, round, position),
    UNIQUE (instruction_id, round, sha256)
) WITHOUT ROWID;

CREATE TRIGGER evidence_photos_no_update BEFORE UPDATE ON evidence_photos
BEGIN
    SELECT RAISE(ABORT, 'evidence photos are append-only; a new done report starts a new round');
END;

CREATE TRIGGER evidence_photos_no_delete BEFORE DELETE ON evidence_photos
BEGIN
    SELECT RAISE(ABORT, 'evidence photos are append-only; a new done report starts a new round');
END;

-- The photos reported before this history existed are round 1, sent by whoever the audit log
-- says reported the instruction done last (else whoever decided it last).
INSERT INTO evidence_photos
    (instruction_id, round, position, sha256, captured_at, added_by, added_at, added_platform)
SELECT i.id, 1, CAST(photo.key AS INTEGER) + 1, photo.value, NULL,
       COALESCE(a.actor, i.decided_by), COALESCE(a.at, i.decided_at), COALESCE(a.platform, i.decided_platform)
FROM instructions AS i
JOIN json_each(i.evidence) AS photo
LEFT JOIN audit_events AS a ON a.id = (
    SELECT MAX(e.id) FROM audit_events AS e
    WHERE e.entity = 'instruction' AND e.entity_id = CAST(i.id AS TEXT) AND e.action = 'report_done')
WHERE COALESCE(a.actor, i.decided_by) IS NOT NULL;

-- Slack requests have no ordered update id as Telegram's do: the inbox numbers them as they
-- arrive, and knows a retried delivery by the request's own key (the event id, or the
-- interaction's trigger id) kept in its payload.
CREATE UNIQUE INDEX inbox_request_key ON inbox (platform, json_extract(payload, '$.key'))
    WHERE json_extract(payload, '$.key') IS NOT NULL;
