-- The order list's two slow filters made indexable, PostgreSQL dialect. Kept in
-- lock-step with ../sqlite/0006_order_list.sql (schema-parity test).
--
-- `late_from`: the first day on which an order counts as late (its due date + 1) while
-- it is open and undelivered, or for good once it was delivered late; NULL when it
-- never is. Derived from the order by the domain (`Order::late_from`) on every write,
-- so "late on day d" is one range over an index instead of an OR over the table.
ALTER TABLE service_orders ADD COLUMN late_from TEXT;
UPDATE service_orders SET late_from = to_char(due_on::date + 1, 'YYYY-MM-DD')
WHERE due_on IS NOT NULL
  AND ((delivered_on IS NULL AND status NOT IN ('completed', 'cancelled')) OR late_days > 0);
CREATE INDEX service_orders_late ON service_orders (late_from);

-- The search: a trigram index over the folded search text (pg_trgm's GIN operator
-- class answers `LIKE '%…%'` from the index). pg_trgm ships with PostgreSQL and is a
-- trusted extension (the database owner may create it). It goes into `public` so
-- that every schema of the database (each test's, say) finds the same operator
-- class; two migrations creating it at once are not an error.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
END
$$;
CREATE INDEX service_orders_search_trgm ON service_orders USING gin (search_text public.gin_trgm_ops);

-- The narrow (search_text, id) index of 0004 served the search by a scan; the trigram
-- index replaces it.
DROP INDEX service_orders_search;
