-- Chasing a notice until the factory answers it, and the factory's promised dates.
-- acknowledge_by: the UTC instant the factory must have answered by; a buyer's extension
-- moves it and starts a new round of reminders (deadline_round).
ALTER TABLE notices ADD COLUMN acknowledge_by TEXT;
ALTER TABLE notices ADD COLUMN deadline_round INTEGER NOT NULL DEFAULT 0;
-- A buyer's "remind them again" waits here for the factory's working hours.
ALTER TABLE notices ADD COLUMN reminder_requested_by TEXT;

-- Every reminder, escalation and overdue alert the bot sent, stored with the message it
-- enqueued: a restart neither skips nor repeats one, and two replicas cannot both send
-- step N (the primary key refuses the second).
CREATE TABLE follow_ups (
    notice_id   INTEGER NOT NULL REFERENCES notices (id),
    kind        TEXT NOT NULL CHECK (kind IN ('reminder', 'escalation', 'manager')),
    round       INTEGER NOT NULL CHECK (round >= 0),
    step        INTEGER NOT NULL CHECK (step > 0),
    at          TEXT NOT NULL,
    by          TEXT NOT NULL,  -- the bot, or the buyer who asked for it
    PRIMARY KEY (notice_id, kind, round, step)
) WITHOUT ROWID;

-- One overdue alert per order and factory day.
CREATE TABLE overdue_alerts (
    visit_id    INTEGER NOT NULL REFERENCES visits (id),
    day         TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (visit_id, day)
) WITHOUT ROWID;

-- The date the factory commits to finish an instruction by, and whether it stands:
-- on or before the due date it is accepted; later, the buyer accepts or declines it.
ALTER TABLE instructions ADD COLUMN committed TEXT;
ALTER TABLE instructions ADD COLUMN commitment TEXT
    CHECK (commitment IS NULL OR commitment IN ('accepted', 'requested', 'declined'));
