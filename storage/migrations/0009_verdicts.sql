-- The rest of what a portfolio page shows of each order's latest visit, kept on the visit with
-- the status and gap it is ranked by, so a page reads no report and runs no analysis.
ALTER TABLE visits ADD COLUMN verified_pct REAL;
ALTER TABLE visits ADD COLUMN reported_pct REAL;
-- When production ends at the pace observed (NULL: no output to project from), for the
-- factory summary's tight-window check.
ALTER TABLE visits ADD COLUMN projected_completion TEXT;
-- The analysis' options for the buyer, as a JSON list of codes in the analysis' order: the
-- next step a listing recommends while the order is not on track.
ALTER TABLE visits ADD COLUMN options TEXT;

-- What each factory's stored verdicts were judged under: a digest of the factory's settings,
-- the [analysis] thresholds and the analysis' version (handlers.verdicts.basis). When the
-- configured basis differs, that factory's orders are judged afresh, so a listing never
-- disagrees with the status answer after a config change. Empty here: every factory's orders
-- are judged once after this migration, which also fills the columns above.
CREATE TABLE verdict_bases (
    factory_id TEXT PRIMARY KEY,
    basis      TEXT NOT NULL
) WITHOUT ROWID;

-- Replaced by the bases above: a visit without a status is judged with its factory's orders.
DROP INDEX visits_unjudged;
