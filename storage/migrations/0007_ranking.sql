-- The portfolio ranked by SQL (ORDER BY the attention keys, LIMIT one page) instead of in Python.
--
-- Each order's newest visit, with what the ranking reads, straight from an index: the report
-- sits before these columns in the row, and reading past it means walking its overflow pages.
CREATE INDEX visits_ranking ON visits (order_reference, visit_date DESC, id DESC, factory_id, status, gap_pts,
                                       final_inspection);
-- Instructions that can be overdue or are disputed, per visit: what the ranking counts.
CREATE INDEX instructions_open ON instructions (visit_id, state, due, commitment, committed)
    WHERE state IN ('disputed', 'sent', 'acknowledged', 'reopened');
-- Visits posted before verdicts were kept. The verdict needs the Python analysis, which SQL
-- cannot run: handlers.status judges these once, when a portfolio is first asked for, and
-- stores the verdict (then they leave this index).
CREATE INDEX visits_unjudged ON visits (id) WHERE status IS NULL;
UPDATE visits SET final_inspection = json_extract(report, '$.order.final_inspection') WHERE final_inspection IS NULL;
