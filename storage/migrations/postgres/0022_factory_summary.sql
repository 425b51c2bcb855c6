-- The same indexes as storage/migrations/0022_factory_summary.sql (its comments say why); PostgreSQL
-- reads them alike.
CREATE INDEX visits_newest_by_factory ON visits (factory_id, order_key, status, gap_pts, newest) WHERE newest = 1;
CREATE INDEX visits_newest_by_order ON visits (order_key, newest, projected_completion) WHERE newest = 1;
