-- The same index as storage/migrations/0026_orders_weighed.sql (its comments say why):
-- PostgreSQL reads it alike.
CREATE INDEX orders_weighed ON orders (factory_id, reference_key, quantity, unit_value, final_inspection, ex_factory,
                                       first_order_with_factory, packaging, reference, currency);
