-- What the chat adapters (Telegram, Slack) keep between updates: the raw updates received,
-- the tokens behind buttons, the text a person was asked for, invite codes, the people who
-- joined by invite, and the platform's ids of messages sent (to edit them later).
--
-- Same conventions as 0001: datetimes are ISO-8601 UTC text, structured values JSON text,
-- platforms are not CHECKed. Ids given by a platform (chats, users, messages) are text,
-- whatever their type on the wire: Telegram's are integers, Slack's are not.

-- Raw updates, written before they are confirmed to the platform, so a crash between
-- receiving and handling loses none: on restart the unhandled ones are still here.
CREATE TABLE inbox (
    platform     TEXT NOT NULL,
    update_id    INTEGER NOT NULL,
    payload      TEXT NOT NULL CHECK (json_valid(payload)),
    received_at  TEXT NOT NULL,
    handled_at   TEXT,
    PRIMARY KEY (platform, update_id)
) WITHOUT ROWID;

CREATE INDEX inbox_unhandled ON inbox (platform, update_id) WHERE handled_at IS NULL;

-- A button carries an opaque token (Telegram allows 64 bytes of callback data); the action
-- and its target stay here. One token per (action, target), so buttons are stable.
CREATE TABLE callback_tokens (
    token       TEXT PRIMARY KEY CHECK (length(token) BETWEEN 12 AND 64),
    action      TEXT NOT NULL CHECK (action <> ''),
    target      INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (action, target)
) WITHOUT ROWID;

-- The bot asked a person for text (after Edit or Dispute); their reply to that prompt
-- carries it. `id` is insertion order: "the newest prompt" must not depend on the clock.
CREATE TABLE pending_inputs (
    id                 INTEGER PRIMARY KEY,
    platform           TEXT NOT NULL,
    chat_id            TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    prompt_message_id  TEXT NOT NULL,
    action             TEXT NOT NULL CHECK (action <> ''),
    target             INTEGER NOT NULL,
    asked_at           TEXT NOT NULL,
    UNIQUE (platform, chat_id, user_id, prompt_message_id)
);

CREATE INDEX pending_inputs_newest ON pending_inputs (platform, chat_id, user_id, id);

-- One-time codes a buyer gives a factory contact; used by at most one person, ever.
-- The alphabet is what a Telegram deep link (t.me/bot?start=CODE) carries unchanged.
CREATE TABLE invites (
    code              TEXT PRIMARY KEY
                      CHECK (length(code) BETWEEN 16 AND 32 AND code NOT GLOB '*[^A-Za-z0-9_-]*'),
    factory_id        TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    expires_at        TEXT NOT NULL CHECK (expires_at > created_at),
    used_by_platform  TEXT,
    used_by           TEXT,
    used_at           TEXT,
    CHECK ((used_by_platform IS NULL) = (used_by IS NULL)
       AND (used_by IS NULL) = (used_at IS NULL))
) WITHOUT ROWID;

-- People who joined by invite (they are not in followup.toml): a platform user is one
-- person. `person` is the whole handlers.model.Person as JSON; its factory is derived
-- from it, never written separately, so the two cannot disagree.
CREATE TABLE bindings (
    platform    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    person      TEXT NOT NULL CHECK (json_valid(person)),
    factory_id  TEXT GENERATED ALWAYS AS (json_extract(person, '$.factory')) VIRTUAL,
    bound_at    TEXT NOT NULL,
    PRIMARY KEY (platform, user_id)
) WITHOUT ROWID;

CREATE INDEX bindings_by_factory ON bindings (factory_id);

-- The platform's reference of the message last sent about a subject ("instruction:12")
-- to a destination, so a later decision edits that message in place.
CREATE TABLE message_refs (
    platform       TEXT NOT NULL,
    subject        TEXT NOT NULL CHECK (subject <> ''),
    destination    TEXT NOT NULL,
    ref            TEXT NOT NULL CHECK (ref <> ''),
    remembered_at  TEXT NOT NULL,
    PRIMARY KEY (platform, subject, destination)
) WITHOUT ROWID;
