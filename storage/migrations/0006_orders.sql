-- Orders known before (or without) a visit: imported from the buyer's order list, or
-- created from the first visit report that names them.
--
-- A reference is unique however it is written: `reference` case-insensitively (NOCASE) and
-- `reference_key` without case or separators (PO-2026-0142 = po2026 0142), the form people
-- type in chat. Money is decimal text, never a float.
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
);

CREATE INDEX orders_by_factory ON orders (factory_id, final_inspection);

-- A visit's order reference in the same separator-free form, so one order's visits are found
-- by an index instead of by reading every report. Report references hold only letters, digits
-- and . _ / - (the report schema's pattern), so these REPLACEs are the whole key.
ALTER TABLE visits ADD COLUMN order_key TEXT;
UPDATE visits SET order_key =
    lower(replace(replace(replace(replace(order_reference, '-', ''), '_', ''), '.', ''), '/', ''));
CREATE INDEX visits_by_order_key ON visits (order_key, visit_date, id);

-- The analysis' verdict on a visit, written when it is posted, so the portfolio ranks thousands
-- of orders without reading and analysing every report. NULL for visits posted before this
-- migration: those are analysed when read. The analysis depends on the report, the factory's
-- calendar and the [analysis] thresholds; after changing those, older verdicts stand until the
-- next visit (the status answer itself always analyses afresh).
ALTER TABLE visits ADD COLUMN status TEXT;
ALTER TABLE visits ADD COLUMN gap_pts REAL;
ALTER TABLE visits ADD COLUMN final_inspection TEXT;
-- A factory contact's portfolio reads its own factory's visits only.
CREATE INDEX visits_by_factory ON visits (factory_id, order_reference);
