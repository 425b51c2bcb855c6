-- Which visit is the newest of its order, kept on the row, so the portfolio ranking reads the
-- 8,000 newest of 10,000 visits from a covering index instead of numbering every visit of
-- every order with a window function on each request. "Newest" as everywhere: the latest
-- visit date, and among visits of one day the one posted last (the highest id).
ALTER TABLE visits ADD COLUMN newest INTEGER NOT NULL DEFAULT 0 CHECK (newest IN (0, 1));

UPDATE visits SET newest = 1 WHERE id IN (
    SELECT id FROM (
        SELECT id, ROW_NUMBER() OVER (PARTITION BY order_reference ORDER BY visit_date DESC, id DESC) AS rank
        FROM visits)
    WHERE rank = 1);

-- Kept true by the database itself, whoever inserts a visit.
CREATE TRIGGER visits_newest AFTER INSERT ON visits
BEGIN
    UPDATE visits SET newest = (id = (
        SELECT w.id FROM visits AS w WHERE w.order_reference = NEW.order_reference
        ORDER BY w.visit_date DESC, w.id DESC LIMIT 1))
    WHERE order_reference = NEW.order_reference;
END;

CREATE INDEX visits_newest_ranking ON visits (factory_id, status, gap_pts, final_inspection, order_reference)
    WHERE newest = 1;
