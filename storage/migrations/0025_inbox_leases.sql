-- Who holds a stored update, and until when: the replica that stored (or adopted) it renews
-- its lease while the update waits or is being handled, and clears it when marking it handled.
-- A survivor adopts the updates of a replica that died before handling them once the lease has
-- run out, or at once when the holder is provably dead (bot/chat/adoption.py). Rows stored
-- before this migration hold no lease: adoptable as if it had run out. Plain SQL both engines
-- run alike; the postgres/ twin is the same text.

ALTER TABLE inbox ADD COLUMN claimed_by TEXT;
ALTER TABLE inbox ADD COLUMN claimed_until TEXT;

-- The sweep's question: a platform's unhandled updates by when their lease runs out.
CREATE INDEX inbox_leases ON inbox (platform, claimed_until, update_id)
    WHERE handled_at IS NULL AND quarantined_at IS NULL;
