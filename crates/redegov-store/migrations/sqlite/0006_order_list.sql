-- The order list's two slow filters made indexable, SQLite dialect. Kept in lock-step
-- with ../postgres/0006_order_list.sql (schema-parity test; FTS5's virtual and shadow
-- tables are not part of the compared schema).
--
-- `late_from`: the first day on which an order counts as late (its due date + 1) while
-- it is open and undelivered, or for good once it was delivered late; NULL when it
-- never is. Derived from the order by the domain (`Order::late_from`) on every write,
-- so "late on day d" is one range over an index instead of an OR over the table.
ALTER TABLE service_orders ADD COLUMN late_from TEXT;
UPDATE service_orders SET late_from = date(due_on, '+1 day')
WHERE due_on IS NOT NULL
  AND ((delivered_on IS NULL AND status NOT IN ('completed', 'cancelled')) OR late_days > 0);
CREATE INDEX service_orders_late ON service_orders (late_from);

-- The search: a trigram index over the folded search text (FTS5 with the trigram
-- tokenizer answers `LIKE '%…%'` of three or more characters from the index), kept
-- in step with the table by triggers.
CREATE VIRTUAL TABLE service_orders_fts USING fts5(
    search_text, content = 'service_orders', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO service_orders_fts (service_orders_fts) VALUES ('rebuild');
CREATE TRIGGER service_orders_fts_insert AFTER INSERT ON service_orders BEGIN
    INSERT INTO service_orders_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER service_orders_fts_delete AFTER DELETE ON service_orders BEGIN
    INSERT INTO service_orders_fts (service_orders_fts, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER service_orders_fts_update AFTER UPDATE OF search_text ON service_orders BEGIN
    INSERT INTO service_orders_fts (service_orders_fts, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
    INSERT INTO service_orders_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;

-- The narrow (search_text, id) index of 0004 served the search by a scan; the trigram
-- index replaces it.
DROP INDEX service_orders_search;
