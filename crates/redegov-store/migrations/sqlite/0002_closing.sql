-- Incidents, maintenance windows, contract rules and the monthly closing, SQLite dialect.
-- Kept in lock-step with ../postgres/0002_closing.sql (schema-parity test).
-- Instants are epoch seconds (BIGINT); months are `YYYY-MM` text; money is centavos.
-- User columns (created_by, decided_by, closed_by) are plain ids, like audit_log.user_id:
-- the system actor (imports, the CLI) has no user row.

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    access_id BIGINT NOT NULL REFERENCES accesses (id),
    probe_target TEXT,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    responsibility TEXT NOT NULL,
    status TEXT NOT NULL,
    cause TEXT NOT NULL,
    ticket TEXT NOT NULL,
    -- JSON array of [from, to] epoch-second pairs, merged and sorted.
    clock_stops TEXT NOT NULL,
    notes TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX incidents_access ON incidents (access_id, started_at);
CREATE INDEX incidents_started ON incidents (started_at);
CREATE INDEX incidents_open ON incidents (ended_at);

CREATE TABLE maintenance_windows (
    id INTEGER PRIMARY KEY,
    access_id BIGINT REFERENCES accesses (id),
    lot_id BIGINT REFERENCES lots (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    announced_at BIGINT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by BIGINT,
    decided_at BIGINT,
    decision_reason TEXT NOT NULL,
    created_by BIGINT,
    CHECK ((access_id IS NULL) <> (lot_id IS NULL))
);
CREATE INDEX maintenance_windows_time ON maintenance_windows (starts_at);

CREATE TABLE contract_rules (
    id INTEGER PRIMARY KEY,
    lot_id BIGINT NOT NULL REFERENCES lots (id),
    effective_from TEXT NOT NULL,
    -- JSON document of redegov-app's RulesDoc.
    rules TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (lot_id, effective_from)
);

CREATE TABLE month_closings (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL UNIQUE,
    closed_at BIGINT NOT NULL,
    closed_by BIGINT,
    inputs_fingerprint TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    accesses BIGINT NOT NULL,
    charge_centavos BIGINT NOT NULL,
    credit_centavos BIGINT NOT NULL,
    net_centavos BIGINT NOT NULL
);

CREATE TABLE closing_lines (
    closing_id BIGINT NOT NULL REFERENCES month_closings (id),
    access_id BIGINT NOT NULL REFERENCES accesses (id),
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    lot_id BIGINT NOT NULL REFERENCES lots (id),
    rules_id BIGINT,
    monthly_price_centavos BIGINT NOT NULL,
    period_seconds BIGINT NOT NULL,
    billable_seconds BIGINT NOT NULL,
    downtime_seconds BIGINT NOT NULL,
    availability_micro BIGINT NOT NULL,
    target_micro BIGINT NOT NULL,
    charge_centavos BIGINT NOT NULL,
    credit_centavos BIGINT NOT NULL,
    net_centavos BIGINT NOT NULL,
    penalty_centavos BIGINT NOT NULL,
    PRIMARY KEY (closing_id, access_id)
);
CREATE INDEX closing_lines_agency ON closing_lines (closing_id, agency_id);

CREATE TABLE closing_breaches (
    closing_id BIGINT NOT NULL REFERENCES month_closings (id),
    access_id BIGINT NOT NULL REFERENCES accesses (id),
    incident_id BIGINT REFERENCES incidents (id),
    kind TEXT NOT NULL,
    measured BIGINT NOT NULL,
    target BIGINT NOT NULL
);
CREATE INDEX closing_breaches_closing ON closing_breaches (closing_id, access_id);

CREATE TABLE adjustments (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL,
    refers_to TEXT NOT NULL,
    access_id BIGINT NOT NULL REFERENCES accesses (id),
    credit_centavos BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX adjustments_month ON adjustments (month, access_id);
