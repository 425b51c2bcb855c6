-- The items of an order of several styles, colours or sizes (a report's `order.items`), one row
-- each in the report's order, so the inspector's next visit form opens the order item by item.
-- `orders.product_name` of such an order is its first item's name (the column is NOT NULL and
-- the order list import gives one product); the items are here, never joined into one name.
CREATE TABLE order_items (
    order_id  INTEGER NOT NULL REFERENCES orders (id),
    position  INTEGER NOT NULL CHECK (position >= 0),
    code      TEXT NOT NULL,
    name      TEXT NOT NULL,
    name_zh   TEXT,
    quantity  INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, position),
    UNIQUE (order_id, code)
) WITHOUT ROWID;

-- Orders created or updated from a report with items before this migration: their items as
-- the newest visit gives them, and the first item's name in place of the joined names.
INSERT INTO order_items (order_id, position, code, name, name_zh, quantity)
SELECT o.id, CAST(i.key AS INTEGER), json_extract(i.value, '$.code'), json_extract(i.value, '$.name'),
       json_extract(i.value, '$.name_zh'), json_extract(i.value, '$.quantity')
FROM orders o
JOIN visits v ON v.order_key = o.reference_key AND v.newest = 1
JOIN json_each(v.report, '$.order.items') i;

UPDATE orders SET
    product_name = (SELECT name FROM order_items WHERE order_id = orders.id AND position = 0),
    product_name_zh = (SELECT name_zh FROM order_items WHERE order_id = orders.id AND position = 0)
WHERE id IN (SELECT order_id FROM order_items);
