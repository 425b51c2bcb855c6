-- When production started (or was planned to), from the order list or a visit report: the
-- progress chart's plan runs from 0 % on that day to 100 % on the final inspection. NULL when
-- nobody said; the plan then starts at the first visit.
ALTER TABLE orders ADD COLUMN production_start TEXT
    CHECK (production_start IS NULL OR production_start < final_inspection);
