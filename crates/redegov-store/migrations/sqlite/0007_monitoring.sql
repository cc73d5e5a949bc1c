-- Monitoring (the NOC), SQLite dialect. Kept in lock-step with ../postgres/0007_monitoring.sql
-- (schema-parity test). Storage stays bounded: the current state of each probe target,
-- the state transitions (link outages), hourly and daily aggregates of the probes, and
-- monitoring gaps — never one row per probe. Instants of the prober are epoch
-- milliseconds (`*_ms`); incidents keep their epoch seconds.

-- The monitoring settings (defaults, gap rule, retention) as one JSON document.
CREATE TABLE monitor_settings (
    id BIGINT PRIMARY KEY,
    document TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT
);

-- How an access is probed when not by the defaults: ICMP or a TCP port, and its own
-- interval, timeout and retries (NULL: the settings' default).
CREATE TABLE probe_overrides (
    access_id BIGINT PRIMARY KEY REFERENCES accesses (id),
    method TEXT NOT NULL,
    port BIGINT,
    interval_ms BIGINT,
    timeout_ms BIGINT,
    retries BIGINT
);

-- The current state of every probe target (a link of an access), written when it changes.
CREATE TABLE link_states (
    access_id BIGINT NOT NULL REFERENCES accesses (id),
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    since_ms BIGINT,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (access_id, target)
);
CREATE INDEX link_states_state ON link_states (state);

-- Link outages: a link's down spans (end NULL while down). An access's outage (all its
-- links down) is an incident.
CREATE TABLE link_outages (
    id INTEGER PRIMARY KEY,
    access_id BIGINT NOT NULL REFERENCES accesses (id),
    target TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    ended_ms BIGINT
);
CREATE INDEX link_outages_access ON link_outages (access_id, started_ms);
CREATE INDEX link_outages_open ON link_outages (ended_ms);

-- Probe aggregates per target and hour (`period` 'hour') or day ('day', the network's
-- calendar day), bucket = the period's start in epoch seconds; latency in microseconds.
CREATE TABLE probe_stats (
    access_id BIGINT NOT NULL REFERENCES accesses (id),
    target TEXT NOT NULL,
    period TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    sent BIGINT NOT NULL,
    lost BIGINT NOT NULL,
    rtt_min_us BIGINT,
    rtt_sum_us BIGINT NOT NULL,
    rtt_max_us BIGINT,
    PRIMARY KEY (access_id, target, period, bucket)
);
CREATE INDEX probe_stats_bucket ON probe_stats (period, bucket);

-- Spans in which a prober could not tell (its own network down): unknown, not downtime.
CREATE TABLE monitoring_gaps (
    id INTEGER PRIMARY KEY,
    worker TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    ended_ms BIGINT,
    probed BIGINT NOT NULL,
    failed BIGINT NOT NULL
);
CREATE INDEX monitoring_gaps_started ON monitoring_gaps (started_ms);

-- Probe workers and their leases on the shards of the targets (access id modulo the
-- shard count). A worker renews its leases every interval; an expired lease is free.
CREATE TABLE probe_workers (
    worker TEXT PRIMARY KEY,
    started_ms BIGINT NOT NULL,
    heartbeat_ms BIGINT NOT NULL
);
CREATE TABLE probe_leases (
    shard BIGINT PRIMARY KEY,
    worker TEXT,
    expires_ms BIGINT NOT NULL
);

-- Alerts from external monitors (Alertmanager, Zabbix), one row per alert instance
-- (source, key, start); deliveries counts repeats. access_id NULL = unmatched.
CREATE TABLE external_alerts (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    alert_key TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    status TEXT NOT NULL,
    name TEXT NOT NULL,
    summary TEXT NOT NULL,
    labels TEXT NOT NULL,
    address TEXT,
    access_id BIGINT REFERENCES accesses (id),
    incident_id BIGINT REFERENCES incidents (id),
    deliveries BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX external_alerts_identity ON external_alerts (source, alert_key, starts_at);
CREATE INDEX external_alerts_unmatched ON external_alerts (access_id, received_at);

-- What opened an incident automatically (the monitor's access outage, an external
-- alert): one incident per identity, however often it is delivered.
ALTER TABLE incidents ADD COLUMN origin_key TEXT;
CREATE UNIQUE INDEX incidents_origin ON incidents (origin_key);

-- Operators' outgoing webhook (incident opened / resolved), and its outbox.
CREATE TABLE operator_webhooks (
    operator_id BIGINT PRIMARY KEY REFERENCES operators (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL
);
CREATE TABLE webhook_outbox (
    id INTEGER PRIMARY KEY,
    created_at BIGINT NOT NULL,
    operator_id BIGINT NOT NULL REFERENCES operators (id),
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    failed_at BIGINT,
    last_error TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (sent_at, failed_at, next_attempt_at);
