-- The first schema: visits, their instructions and notices, the outbox, the audit trail
-- and the keys of handled updates.
--
-- Conventions: datetimes are ISO-8601 UTC text with microseconds (text order is time
-- order), dates ISO text, structured values JSON text checked with json_valid. A decision
-- (who, when, from which platform) is three columns that are all set or all NULL.
-- Enumerations (states, platforms) are not CHECKed here: adding a state must not need a
-- table rebuild; the code maps them to enums on the way out and fails on unknown values.

CREATE TABLE visits (
    id               INTEGER PRIMARY KEY,
    -- Order references are matched case-insensitively (people type them in chat).
    order_reference  TEXT NOT NULL COLLATE NOCASE,
    factory_id       TEXT NOT NULL,
    -- report.visit.date, copied out of the report so "newest visit" can be indexed.
    visit_date       TEXT NOT NULL,
    report           TEXT NOT NULL CHECK (json_valid(report)),
    photos           TEXT NOT NULL CHECK (json_valid(photos)),
    posted_by        TEXT NOT NULL,
    posted_at        TEXT NOT NULL,
    posted_platform  TEXT NOT NULL
);

CREATE INDEX visits_by_order ON visits (order_reference, visit_date, id);

CREATE TABLE notices (
    id                 INTEGER PRIMARY KEY,
    -- "CN-2026-0007": year of sending and a per-year sequence, unique either way.
    number             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    year               INTEGER NOT NULL,
    seq                INTEGER NOT NULL CHECK (seq > 0),
    version            INTEGER NOT NULL DEFAULT 1 CHECK (version > 0),
    visit_id           INTEGER NOT NULL REFERENCES visits (id),
    factory_id         TEXT NOT NULL,
    order_reference    TEXT NOT NULL,
    state              TEXT NOT NULL,
    sent_by            TEXT NOT NULL,
    sent_at            TEXT NOT NULL,
    sent_platform      TEXT NOT NULL,
    answered_by        TEXT,
    answered_at        TEXT,
    answered_platform  TEXT,
    dispute_reason     TEXT,
    UNIQUE (year, seq),
    UNIQUE (id, visit_id),  -- target of notice_instructions' reference
    CHECK ((answered_by IS NULL) = (answered_at IS NULL)
       AND (answered_at IS NULL) = (answered_platform IS NULL))
);

CREATE INDEX notices_by_visit ON notices (visit_id);
CREATE INDEX notices_by_factory ON notices (factory_id);

CREATE TABLE instructions (
    id                INTEGER PRIMARY KEY,
    visit_id          INTEGER NOT NULL REFERENCES visits (id),
    source            TEXT NOT NULL,
    kind              TEXT NOT NULL,
    params            TEXT NOT NULL CHECK (json_valid(params)),
    note              TEXT,
    note_zh           TEXT,
    due               TEXT NOT NULL,
    state             TEXT NOT NULL,
    decided_by        TEXT,
    decided_at        TEXT,
    decided_platform  TEXT,
    notice_id         INTEGER REFERENCES notices (id),
    reason            TEXT,
    -- sha256 of the photos the factory sent as proof, as a JSON array.
    evidence          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(evidence)),
    UNIQUE (id, visit_id),  -- target of notice_instructions' reference
    CHECK ((decided_by IS NULL) = (decided_at IS NULL)
       AND (decided_at IS NULL) = (decided_platform IS NULL))
);

CREATE INDEX instructions_by_visit ON instructions (visit_id);

-- Which instructions a notice carries, in the order it lists them. The two composite
-- references make it impossible to put another visit's instruction on a notice.
CREATE TABLE notice_instructions (
    notice_id       INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    instruction_id  INTEGER NOT NULL,
    visit_id        INTEGER NOT NULL,
    PRIMARY KEY (notice_id, position),
    UNIQUE (notice_id, instruction_id),
    FOREIGN KEY (notice_id, visit_id) REFERENCES notices (id, visit_id),
    FOREIGN KEY (instruction_id, visit_id) REFERENCES instructions (id, visit_id)
) WITHOUT ROWID;

-- Messages owed to someone, written in the transaction that causes them and delivered
-- afterwards; a crash between the two leaves them here, pending.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    platform      TEXT NOT NULL,
    destination   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL CHECK (json_valid(payload)),
    locale        TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    sent_at       TEXT,
    platform_ref  TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error    TEXT
);

CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;

-- Who did what to which entity, when, from where. Append-only.
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY,
    actor      TEXT NOT NULL,
    platform   TEXT NOT NULL,
    at         TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    action     TEXT NOT NULL,
    before     TEXT CHECK (before IS NULL OR json_valid(before)),
    after      TEXT CHECK (after IS NULL OR json_valid(after))
);

CREATE INDEX audit_events_by_entity ON audit_events (entity, entity_id, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only; record a new event instead');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only; record a new event instead');
END;

-- Keys of chat updates already handled, with the result to answer a redelivery with.
CREATE TABLE handled_updates (
    key         TEXT PRIMARY KEY,
    result      TEXT NOT NULL CHECK (json_valid(result)),
    handled_at  TEXT NOT NULL
) WITHOUT ROWID;
