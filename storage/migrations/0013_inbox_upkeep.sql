-- Keeping the inbox healthy: an update the bot cannot read is set aside rather than stopping
-- every start, and handled rows are pruned after the retention period (bot/retention.py).

-- A stored update that cannot be read (python-telegram-bot refuses its payload) is kept for an
-- operator to see (`followup inbox`), marked with when and why, and no longer replayed.
ALTER TABLE inbox ADD COLUMN quarantined_at TEXT;
ALTER TABLE inbox ADD COLUMN quarantine_reason TEXT;

CREATE INDEX inbox_quarantined ON inbox (platform, update_id) WHERE quarantined_at IS NOT NULL;

-- What the retention prune looks for: handled rows by age.
CREATE INDEX inbox_handled_at ON inbox (handled_at) WHERE handled_at IS NOT NULL;
CREATE INDEX handled_updates_handled_at ON handled_updates (handled_at);
