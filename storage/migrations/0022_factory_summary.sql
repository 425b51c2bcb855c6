-- The factory summary counted by SQL from the latest visit of each order. Without these
-- indexes each of the 8,000 latest visits is read from its row, past the report, through its
-- overflow pages: about half the summary's 700 ms at 10,000 orders. With them, the queries
-- read the indexes alone. `newest` is listed although every entry has it: SQLite reads the
-- row for a column the query names that the index does not hold.
-- Per factory, its orders' verdicts (storage.verdicts.tallies, storage.instructions.open_at_factories).
CREATE INDEX visits_newest_by_factory ON visits (factory_id, order_key, status, gap_pts, newest) WHERE newest = 1;
-- Per order, what its latest visit projects (storage.orders.facts).
CREATE INDEX visits_newest_by_order ON visits (order_key, newest, projected_completion) WHERE newest = 1;
