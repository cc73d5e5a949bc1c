-- Service orders: orders, their history, survey pending items, numbering,
-- settings, adhesion policies and scheduled access changes, SQLite dialect.
-- Kept in lock-step with ../postgres/0004_orders.sql (schema-parity test).
-- Instants are epoch seconds (BIGINT); dates are YYYY-MM-DD text.

CREATE TABLE service_orders (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    order_type TEXT NOT NULL,
    status TEXT NOT NULL,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    lot_id BIGINT NOT NULL REFERENCES lots (id),
    -- Where the service is (the new site for an activation) and the access
    -- concerned (NULL until an activation's access exists).
    site_id BIGINT NOT NULL REFERENCES sites (id),
    access_id BIGINT REFERENCES accesses (id),
    -- The type's fields, a JSON object (redegov_domain::order::OrderSpec).
    spec TEXT NOT NULL,
    area TEXT NOT NULL,
    deadline_days BIGINT NOT NULL,
    deadline_unit TEXT NOT NULL,
    -- The operator's clock: started when sent, due date (YYYY-MM-DD, art. 66,
    -- extended by the agency's pending items), delivery and lateness.
    sent_at BIGINT,
    due_on TEXT,
    paused_days BIGINT NOT NULL DEFAULT 0,
    survey_at BIGINT,
    installation_at BIGINT,
    executed_at BIGINT,
    delivered_on TEXT,
    late_days BIGINT,
    technical_report TEXT NOT NULL DEFAULT '',
    -- JSON array of the probe targets the operator reported (activations).
    probe_targets TEXT NOT NULL DEFAULT '[]',
    acceptance_due_on TEXT,
    completed_at BIGINT,
    tacit BIGINT NOT NULL DEFAULT 0,
    -- An address change's deactivation points to its activation.
    linked_order_id BIGINT REFERENCES service_orders (id),
    reminded_at BIGINT,
    late_notified_at BIGINT,
    search_text TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Lists are newest first: each filter's index ends with created_at, so a
-- page is read in order; the search scans the narrow search index, not the
-- table; the deadline views and jobs read by due date.
CREATE INDEX service_orders_created ON service_orders (created_at);
CREATE INDEX service_orders_status ON service_orders (status, created_at);
CREATE INDEX service_orders_type ON service_orders (order_type, created_at);
CREATE INDEX service_orders_agency ON service_orders (agency_id, created_at);
CREATE INDEX service_orders_lot ON service_orders (lot_id, created_at, status);
CREATE INDEX service_orders_due ON service_orders (due_on);
CREATE INDEX service_orders_search ON service_orders (search_text, id);
CREATE INDEX service_orders_completed ON service_orders (completed_at);
CREATE INDEX service_orders_access ON service_orders (access_id);

CREATE TABLE order_events (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES service_orders (id),
    at BIGINT NOT NULL,
    user_id BIGINT,
    login TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

CREATE TABLE order_pending_items (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES service_orders (id),
    party TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    resolved_at BIGINT,
    resolved_by BIGINT
);
CREATE INDEX order_pending_items_order ON order_pending_items (order_id, id);

-- One counter per year for the human-readable numbers (OS-2026-000123).
CREATE TABLE order_counters (
    year BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);

-- The network's order settings (one row, id = 1), a JSON document
-- (redegov_domain::order::OrderSettings); absent means the defaults.
CREATE TABLE order_settings (
    id BIGINT PRIMARY KEY,
    settings TEXT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);

-- Adhesion policies per agency kind, a JSON document
-- (redegov_domain::order::AdhesionPolicy).
CREATE TABLE adhesion_policies (
    kind TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);

-- Inventory changes an accepted order schedules for a later instant (a
-- reconfiguration's new bandwidth and price from the day after acceptance).
CREATE TABLE access_changes (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES service_orders (id),
    access_id BIGINT NOT NULL REFERENCES accesses (id),
    effective_at BIGINT NOT NULL,
    service TEXT NOT NULL,
    bandwidth_mbps BIGINT NOT NULL,
    monthly_price_centavos BIGINT NOT NULL,
    applied_at BIGINT
);
CREATE INDEX access_changes_due ON access_changes (applied_at, effective_at);

-- An agency in default cannot have new orders validated.
ALTER TABLE agencies ADD COLUMN delinquent BIGINT NOT NULL DEFAULT 0;

-- Order-deadline breaches of a closed month name their order.
ALTER TABLE closing_breaches ADD COLUMN order_id BIGINT REFERENCES service_orders (id);
