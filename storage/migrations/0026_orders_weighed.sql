-- Every column of an order the factory summary weighs (storage.order_criteria), with its
-- factory first and its reference key second (the join to its latest visit): SQLite weighs
-- 10,000 orders from this index alone instead of seeking each order's row, and finds the
-- production ends, the largest quantities and the counts per factory from it too (CPU of those
-- statements about 36 -> 28 ms at 10,000 orders). The postgres/ twin is the same index.
CREATE INDEX orders_weighed ON orders (factory_id, reference_key, quantity, unit_value, final_inspection, ex_factory,
                                       first_order_with_factory, packaging, reference, currency);
