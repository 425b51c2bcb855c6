-- Delivery you can trust: the outbox keeps its retry schedule, permanent failures and who
-- is sending a message right now, so that several dispatchers (replicas) share one database
-- without sending a message twice, and a crash repeats at most the message being sent.
--
-- Same conventions as 0001: datetimes are ISO-8601 UTC text (text order is time order).
-- Numbered 0005 because another branch holds 0004; storage/migrate.py applies any missing
-- number, whatever order they arrive in.

-- A transient failure (timeout, 5xx, 429) sets when to try again; NULL is "now".
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;

-- When the current run of transient failures began: after a day of them the message is
-- failed as "gave_up". NULL once sent or requeued.
ALTER TABLE outbox ADD COLUMN retrying_since TEXT;

-- A permanent failure (chat not found, bot blocked, channel archived …): when and why.
-- It is never tried again until an operator requeues it (`followup outbox retry ID`).
ALTER TABLE outbox ADD COLUMN failed_at TEXT;
ALTER TABLE outbox ADD COLUMN failure_reason TEXT
    CHECK ((failure_reason IS NULL) = (failed_at IS NULL));

-- 1 when the failure is about the chat rather than this message: the later messages to
-- the same destination wait behind it (order is kept), instead of failing one by one.
ALTER TABLE outbox ADD COLUMN holds_destination INTEGER NOT NULL DEFAULT 0
    CHECK (holds_destination IN (0, 1) AND (holds_destination = 0 OR failed_at IS NOT NULL));

-- The dispatcher replica sending the message now, until when. Claimed in a write
-- transaction before sending; a claim whose time is up belongs to a replica that died
-- mid-send, and another may take the message over.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT
    CHECK ((claimed_until IS NULL) = (claimed_by IS NULL));

-- The parts of a message already delivered (a finding's photos, each chunk of a long text,
-- a notice's PDF), by name, with the platform's reference to each: a retry sends the rest.
ALTER TABLE outbox ADD COLUMN parts TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(parts));

-- Each destination's queue in order: the dispatcher sends only the oldest unsent message
-- of a destination, so a chat reads its messages in the order they were written.
DROP INDEX outbox_pending;
CREATE INDEX outbox_queue ON outbox (platform, destination, id) WHERE sent_at IS NULL;
