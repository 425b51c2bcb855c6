-- The schema storage/migrations/ build one by one on an empty SQLite database, given to a
-- brand-new store at once (storage/migrate.py). Made by `python -m storage.schema_snapshot`
-- after a migration is added; tests/test_store.py checks it is in step with the migrations.
-- A store whose migrations are not exactly the ones below takes them one by one.
-- migration 0001 initial
-- migration 0002 chat
-- migration 0003 notice_versions
-- migration 0004 follow_up
-- migration 0005 delivery
-- migration 0006 orders
-- migration 0007 ranking
-- migration 0008 newest_visit
-- migration 0009 verdicts
-- migration 0010 production_start
-- migration 0011 deliverers
-- migration 0012 notice_pdfs
-- migration 0013 inbox_upkeep
-- migration 0014 people
-- migration 0015 inputs
-- migration 0016 append_only_history
-- migration 0017 notice_link_revocations
-- migration 0018 link_revocations_by_issue_time
-- migration 0019 visit_drafts
-- migration 0020 order_items
-- migration 0021 chinese_added_before_sending
-- migration 0022 factory_summary
-- migration 0023 shared_secrets
-- migration 0024 open_instructions_by_visit
-- migration 0025 inbox_leases
-- migration 0026 message_refs_by_ref
-- migration 0027 instruction_versions

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
, order_key TEXT, status TEXT, gap_pts REAL, final_inspection TEXT, newest INTEGER NOT NULL DEFAULT 0 CHECK (newest IN (0, 1)), verified_pct REAL, reported_pct REAL, projected_completion TEXT, options TEXT);
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
    dispute_reason     TEXT, acknowledge_by TEXT, deadline_round INTEGER NOT NULL DEFAULT 0, reminder_requested_by TEXT,
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
    evidence          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(evidence)), committed TEXT, commitment TEXT
    CHECK (commitment IS NULL OR commitment IN ('accepted', 'requested', 'declined')), description_zh TEXT, params_zh TEXT NOT NULL DEFAULT '{}', version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (id, visit_id),  -- target of notice_instructions' reference
    CHECK ((decided_by IS NULL) = (decided_at IS NULL)
       AND (decided_at IS NULL) = (decided_platform IS NULL))
);
CREATE INDEX instructions_by_visit ON instructions (visit_id);
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
, next_attempt_at TEXT, retrying_since TEXT, failed_at TEXT, failure_reason TEXT
    CHECK ((failure_reason IS NULL) = (failed_at IS NULL)), holds_destination INTEGER NOT NULL DEFAULT 0
    CHECK (holds_destination IN (0, 1) AND (holds_destination = 0 OR failed_at IS NOT NULL)), claimed_by TEXT, claimed_until TEXT
    CHECK ((claimed_until IS NULL) = (claimed_by IS NULL)), parts TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(parts)));
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
, actor_user_id TEXT);
CREATE INDEX audit_events_by_entity ON audit_events (entity, entity_id, id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only; record a new event instead');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only; record a new event instead');
END;
CREATE TABLE handled_updates (
    key         TEXT PRIMARY KEY,
    result      TEXT NOT NULL CHECK (json_valid(result)),
    handled_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE inbox (
    platform     TEXT NOT NULL,
    update_id    INTEGER NOT NULL,
    payload      TEXT NOT NULL CHECK (json_valid(payload)),
    received_at  TEXT NOT NULL,
    handled_at   TEXT, quarantined_at TEXT, quarantine_reason TEXT, claimed_by TEXT, claimed_until TEXT,
    PRIMARY KEY (platform, update_id)
) WITHOUT ROWID;
CREATE INDEX inbox_unhandled ON inbox (platform, update_id) WHERE handled_at IS NULL;
CREATE TABLE callback_tokens (
    token       TEXT PRIMARY KEY CHECK (length(token) BETWEEN 12 AND 64),
    action      TEXT NOT NULL CHECK (action <> ''),
    target      INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (action, target)
) WITHOUT ROWID;
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
CREATE TABLE bindings (
    platform    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    person      TEXT NOT NULL CHECK (json_valid(person)),
    factory_id  TEXT GENERATED ALWAYS AS (json_extract(person, '$.factory')) VIRTUAL,
    bound_at    TEXT NOT NULL, via TEXT NOT NULL DEFAULT 'invite' CHECK (via IN ('invite', 'confirmation')), bound_by TEXT, revoked_by TEXT, revoked_at TEXT, revoked_platform TEXT,
    PRIMARY KEY (platform, user_id)
) WITHOUT ROWID;
CREATE INDEX bindings_by_factory ON bindings (factory_id);
CREATE TABLE message_refs (
    platform       TEXT NOT NULL,
    subject        TEXT NOT NULL CHECK (subject <> ''),
    destination    TEXT NOT NULL,
    ref            TEXT NOT NULL CHECK (ref <> ''),
    remembered_at  TEXT NOT NULL,
    PRIMARY KEY (platform, subject, destination)
) WITHOUT ROWID;
CREATE TABLE notice_versions (
    notice_id       INTEGER NOT NULL REFERENCES notices (id),
    version         INTEGER NOT NULL CHECK (version > 0),
    sent_by         TEXT NOT NULL,
    sent_at         TEXT NOT NULL,
    sent_platform   TEXT NOT NULL,
    instructions    TEXT NOT NULL CHECK (json_valid(instructions)),
    PRIMARY KEY (notice_id, version)
) WITHOUT ROWID;
CREATE TABLE follow_ups (
    notice_id   INTEGER NOT NULL REFERENCES notices (id),
    kind        TEXT NOT NULL CHECK (kind IN ('reminder', 'escalation', 'manager')),
    round       INTEGER NOT NULL CHECK (round >= 0),
    step        INTEGER NOT NULL CHECK (step > 0),
    at          TEXT NOT NULL,
    by          TEXT NOT NULL,  -- the bot, or the buyer who asked for it
    PRIMARY KEY (notice_id, kind, round, step)
) WITHOUT ROWID;
CREATE TABLE overdue_alerts (
    visit_id    INTEGER NOT NULL REFERENCES visits (id),
    day         TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (visit_id, day)
) WITHOUT ROWID;
CREATE INDEX outbox_queue ON outbox (platform, destination, id) WHERE sent_at IS NULL;
CREATE TABLE orders (
    id                        INTEGER PRIMARY KEY,
    reference                 TEXT NOT NULL UNIQUE COLLATE NOCASE,
    reference_key             TEXT NOT NULL UNIQUE,
    factory_id                TEXT NOT NULL,
    product_name              TEXT NOT NULL,
    product_name_zh           TEXT,
    quantity                  INTEGER NOT NULL CHECK (quantity > 0),
    unit_value                TEXT,
    currency                  TEXT CHECK (currency IS NULL OR length(currency) = 3),
    final_inspection          TEXT NOT NULL,
    ex_factory                TEXT NOT NULL CHECK (ex_factory >= final_inspection),
    first_order_with_factory  INTEGER NOT NULL DEFAULT 0 CHECK (first_order_with_factory IN (0, 1)),
    packaging                 TEXT CHECK (packaging IS NULL OR packaging IN ('simple', 'standard', 'complex')),
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL
, production_start TEXT
    CHECK (production_start IS NULL OR production_start < final_inspection));
CREATE INDEX orders_by_factory ON orders (factory_id, final_inspection);
CREATE INDEX visits_by_order_key ON visits (order_key, visit_date, id);
CREATE INDEX visits_by_factory ON visits (factory_id, order_reference);
CREATE INDEX visits_ranking ON visits (order_reference, visit_date DESC, id DESC, factory_id, status, gap_pts,
                                       final_inspection);
CREATE TRIGGER visits_newest AFTER INSERT ON visits
BEGIN
    UPDATE visits SET newest = (id = (
        SELECT w.id FROM visits AS w WHERE w.order_reference = NEW.order_reference
        ORDER BY w.visit_date DESC, w.id DESC LIMIT 1))
    WHERE order_reference = NEW.order_reference;
END;
CREATE INDEX visits_newest_ranking ON visits (factory_id, status, gap_pts, final_inspection, order_reference)
    WHERE newest = 1;
CREATE TABLE verdict_bases (
    factory_id TEXT PRIMARY KEY,
    basis      TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE deliverers (
    replica TEXT PRIMARY KEY,           -- the dispatcher's claimant id (bot/replica.py)
    platforms TEXT NOT NULL CHECK (json_valid(platforms)),  -- e.g. ["telegram"]
    seen_at TEXT NOT NULL
);
CREATE TABLE notice_pdfs (
    notice_id   INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
    pdf         BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (notice_id, version),
    FOREIGN KEY (notice_id, version) REFERENCES notice_versions (notice_id, version)
);
CREATE TRIGGER notice_pdfs_no_update BEFORE UPDATE ON notice_pdfs
BEGIN
    SELECT RAISE(ABORT, 'notice PDFs are history: a version''s PDF is never changed; send a new version instead');
END;
CREATE TRIGGER notice_pdfs_no_delete BEFORE DELETE ON notice_pdfs
BEGIN
    SELECT RAISE(ABORT, 'notice PDFs are history: a version''s PDF is never deleted; send a new version instead');
END;
CREATE INDEX inbox_quarantined ON inbox (platform, update_id) WHERE quarantined_at IS NOT NULL;
CREATE INDEX inbox_handled_at ON inbox (handled_at) WHERE handled_at IS NOT NULL;
CREATE INDEX handled_updates_handled_at ON handled_updates (handled_at);
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
CREATE UNIQUE INDEX inbox_request_key ON inbox (platform, json_extract(payload, '$.key'))
    WHERE json_extract(payload, '$.key') IS NOT NULL;
CREATE TRIGGER visits_no_delete BEFORE DELETE ON visits
BEGIN
    SELECT RAISE(ABORT, 'visits are history: a posted visit is never deleted; post a new visit instead');
END;
CREATE TRIGGER visits_no_rewrite BEFORE UPDATE ON visits
WHEN NEW.id IS NOT OLD.id
  OR NEW.order_reference IS NOT OLD.order_reference COLLATE BINARY
  OR NEW.order_key IS NOT OLD.order_key COLLATE BINARY
  OR NEW.factory_id IS NOT OLD.factory_id COLLATE BINARY
  OR NEW.visit_date IS NOT OLD.visit_date COLLATE BINARY
  OR NEW.report IS NOT OLD.report COLLATE BINARY
  OR NEW.photos IS NOT OLD.photos COLLATE BINARY
  OR NEW.posted_by IS NOT OLD.posted_by COLLATE BINARY
  OR NEW.posted_at IS NOT OLD.posted_at COLLATE BINARY
  OR NEW.posted_platform IS NOT OLD.posted_platform COLLATE BINARY
  OR NEW.final_inspection IS NOT OLD.final_inspection COLLATE BINARY
BEGIN
    SELECT RAISE(ABORT, 'visits are history: a posted visit is never changed (its verdict and newest mark may be); post a new visit instead');
END;
CREATE TRIGGER notice_versions_no_update BEFORE UPDATE ON notice_versions
BEGIN
    SELECT RAISE(ABORT, 'notice versions are history: a sent version is never changed; send a new version instead');
END;
CREATE TRIGGER notice_versions_no_delete BEFORE DELETE ON notice_versions
BEGIN
    SELECT RAISE(ABORT, 'notice versions are history: a sent version is never deleted; send a new version instead');
END;
CREATE TRIGGER notices_no_delete BEFORE DELETE ON notices
BEGIN
    SELECT RAISE(ABORT, 'notices are history: a sent notice is never deleted; withdraw it instead');
END;
CREATE TRIGGER notices_keep_identity BEFORE UPDATE ON notices
WHEN NEW.id IS NOT OLD.id
  OR NEW.number IS NOT OLD.number COLLATE BINARY
  OR NEW.year IS NOT OLD.year
  OR NEW.seq IS NOT OLD.seq
  OR NEW.visit_id IS NOT OLD.visit_id
  OR NEW.factory_id IS NOT OLD.factory_id COLLATE BINARY
  OR NEW.order_reference IS NOT OLD.order_reference COLLATE BINARY
BEGIN
    SELECT RAISE(ABORT, 'notices keep their number, year, visit, factory and order; send a new notice instead');
END;
CREATE TRIGGER notices_keep_versions BEFORE UPDATE OF version, sent_by, sent_at, sent_platform ON notices
WHEN NOT (NEW.version = OLD.version AND NEW.sent_by IS OLD.sent_by COLLATE BINARY
          AND NEW.sent_at IS OLD.sent_at COLLATE BINARY AND NEW.sent_platform IS OLD.sent_platform COLLATE BINARY)
 AND NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'notice versions are history: a version number only grows by one and who sent a version never changes; send a new version instead');
END;
CREATE TABLE "notice_link_revocations" (
    notice_id        INTEGER NOT NULL REFERENCES notices (id),
    recipient        TEXT NOT NULL CHECK (recipient <> ''),
    revoked_by       TEXT NOT NULL,
    revoked_at       TEXT NOT NULL,
    revoked_platform TEXT NOT NULL,
    PRIMARY KEY (notice_id, recipient, revoked_at)
) WITHOUT ROWID;
CREATE TRIGGER notice_link_revocations_no_update BEFORE UPDATE ON notice_link_revocations
BEGIN
    SELECT RAISE(ABORT, 'a revoked link stays revoked');
END;
CREATE TRIGGER notice_link_revocations_no_delete BEFORE DELETE ON notice_link_revocations
BEGIN
    SELECT RAISE(ABORT, 'a revoked link stays revoked');
END;
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
CREATE TABLE order_items (
    order_id  INTEGER NOT NULL REFERENCES orders (id),
    position  INTEGER NOT NULL CHECK (position >= 0),
    code      TEXT NOT NULL,
    name      TEXT NOT NULL,
    name_zh   TEXT,
    quantity  INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, position),
    UNIQUE (order_id, code)
) WITHOUT ROWID;
CREATE INDEX visits_newest_by_factory ON visits (factory_id, order_key, status, gap_pts, newest) WHERE newest = 1;
CREATE INDEX visits_newest_by_order ON visits (order_key, newest, projected_completion) WHERE newest = 1;
CREATE TABLE shared_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX instructions_open ON instructions (visit_id, due, commitment, committed, state)
    WHERE state IN ('disputed', 'sent', 'acknowledged', 'reopened');
CREATE INDEX inbox_leases ON inbox (platform, claimed_until, update_id)
    WHERE handled_at IS NULL AND quarantined_at IS NULL;
CREATE INDEX message_refs_by_ref ON message_refs (platform, destination, ref);
CREATE INDEX instructions_versions ON instructions (visit_id, version);
CREATE TRIGGER instructions_version AFTER UPDATE ON instructions
WHEN NEW.version = OLD.version
BEGIN
    UPDATE instructions SET version = OLD.version + 1 WHERE id = NEW.id;
END;
CREATE TRIGGER instructions_no_delete BEFORE DELETE ON instructions
BEGIN
    SELECT RAISE(ABORT, 'instructions are history: an instruction is never deleted; reject it instead');
END;
