-- Who people are (issue 12): a factory contact not in followup.toml is bound explicitly —
-- by a buyer's invitation or a buyer's confirmation — audited, and revocable at once; the
-- audit trail records the platform account of whoever acted.

-- The platform's id of who acted (Telegram user id, Slack user id); NULL for the console,
-- the CLI and the bot itself, and for events written before this migration.
ALTER TABLE audit_events ADD COLUMN actor_user_id TEXT;

-- How each binding came about and who made it (the key of the buyer who invited or
-- confirmed), and its revocation: a revoked binding stays, so `followup people` shows it.
ALTER TABLE bindings ADD COLUMN via TEXT NOT NULL DEFAULT 'invite' CHECK (via IN ('invite', 'confirmation'));
ALTER TABLE bindings ADD COLUMN bound_by TEXT;
ALTER TABLE bindings ADD COLUMN revoked_by TEXT;
ALTER TABLE bindings ADD COLUMN revoked_at TEXT;
ALTER TABLE bindings ADD COLUMN revoked_platform TEXT;

-- Someone who acted in a factory's Slack channel without being its contact: the buyer is
-- asked once, and confirms or refuses. `person` is who they would become (as in
-- bindings); `channel` where they asked, to tell them the answer there. At most one
-- request per account is open at a time.
CREATE TABLE binding_requests (
    id                INTEGER PRIMARY KEY,
    platform          TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    person            TEXT NOT NULL CHECK (json_valid(person)),
    factory_id        TEXT GENERATED ALWAYS AS (json_extract(person, '$.factory')) VIRTUAL,
    channel           TEXT,
    requested_at      TEXT NOT NULL,
    outcome           TEXT CHECK (outcome IN ('confirmed', 'refused')),
    decided_by        TEXT,
    decided_at        TEXT,
    decided_platform  TEXT,
    CHECK ((outcome IS NULL) = (decided_by IS NULL)
       AND (decided_by IS NULL) = (decided_at IS NULL)
       AND (decided_at IS NULL) = (decided_platform IS NULL))
);

CREATE UNIQUE INDEX binding_requests_one_open ON binding_requests (platform, user_id) WHERE outcome IS NULL;
CREATE INDEX binding_requests_by_account ON binding_requests (platform, user_id, id);

-- Telegram contacts joined by invitation: the invite says who invited them.
UPDATE bindings SET bound_by = (
    SELECT i.created_by FROM invites i
    WHERE i.used_by_platform = bindings.platform AND i.used_by = bindings.user_id
    ORDER BY i.used_at DESC LIMIT 1
);

-- Slack members of a factory channel were made its contacts by clicking there, which
-- nobody confirmed: each becomes an open request, put to the buyer at their next action.
-- Their past decisions keep the keys they were made under.
INSERT INTO binding_requests (platform, user_id, person, requested_at)
    SELECT platform, user_id, person, bound_at FROM bindings WHERE platform = 'slack' AND bound_by IS NULL;
DELETE FROM bindings WHERE platform = 'slack' AND bound_by IS NULL;
