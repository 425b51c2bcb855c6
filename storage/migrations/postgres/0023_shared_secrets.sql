-- Secrets every replica of one installation must share (the web links' signing key), made
-- once by whichever replica needs one first and read by the others. Plain SQL both engines
-- run alike: storage/migrations/postgres/0023_shared_secrets.sql is the same text.

CREATE TABLE shared_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
