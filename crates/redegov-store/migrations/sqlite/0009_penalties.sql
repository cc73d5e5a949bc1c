-- Penalty processes (processo administrativo de multa), SQLite dialect. Kept in
-- lock-step with ../postgres/0009_penalties.sql (schema-parity test).
-- A process cites IMR breaches of closed months (penalty_breaches) and/or a contract
-- clause; its history (penalty_events) is only appended to, so the whole record —
-- texts, attachments, decisions, who and when — is kept forever. Defense and appeal
-- attachments keep their bytes in the database with their SHA-256. An applied fine
-- has one row per monthly installment; each installment's parts become
-- billing_deductions rows (kind 'penalty', source_id the installment) when its month
-- closes. Money is centavos; instants are epoch seconds; dates YYYY-MM-DD; months
-- YYYY-MM.

CREATE TABLE penalty_processes (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    lot_id BIGINT NOT NULL REFERENCES lots (id),
    clause TEXT NOT NULL,
    description TEXT NOT NULL,
    -- What the penalty rules propose for the cited breaches, and the proposed
    -- amount (different only with a reason).
    computed_centavos BIGINT NOT NULL,
    proposed_centavos BIGINT NOT NULL CHECK (proposed_centavos > 0),
    amount_reason TEXT NOT NULL,
    defense_days BIGINT NOT NULL,
    appeal_days BIGINT NOT NULL,
    notified_at BIGINT,
    defense_due_on TEXT,
    defense_text TEXT NOT NULL,
    defense_at BIGINT,
    decision_outcome TEXT,
    decision_centavos BIGINT,
    decision_grounds TEXT NOT NULL,
    decided_at BIGINT,
    decided_by BIGINT,
    appeal_due_on TEXT,
    appeal_text TEXT NOT NULL,
    appeal_at BIGINT,
    appeal_outcome TEXT,
    appeal_centavos BIGINT,
    appeal_grounds TEXT NOT NULL,
    appeal_decided_at BIGINT,
    appeal_decided_by BIGINT,
    final_at BIGINT,
    installments BIGINT,
    start_month TEXT,
    suspended_at BIGINT,
    suspend_reason TEXT NOT NULL,
    settled_at BIGINT,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Lists are newest first; the deadline job reads by status and due dates.
CREATE INDEX penalty_processes_created ON penalty_processes (created_at);
CREATE INDEX penalty_processes_status ON penalty_processes (status, created_at);
CREATE INDEX penalty_processes_lot ON penalty_processes (lot_id, created_at);

-- The IMR breaches cited, with their measurement as the closed month stored it.
CREATE TABLE penalty_breaches (
    id INTEGER PRIMARY KEY,
    process_id BIGINT NOT NULL REFERENCES penalty_processes (id),
    month TEXT NOT NULL,
    access_id BIGINT NOT NULL REFERENCES accesses (id),
    kind TEXT NOT NULL,
    incident_id BIGINT,
    order_id BIGINT,
    measured BIGINT NOT NULL,
    target BIGINT NOT NULL,
    line_penalty_centavos BIGINT NOT NULL
);
CREATE INDEX penalty_breaches_process ON penalty_breaches (process_id, id);

CREATE TABLE penalty_events (
    id INTEGER PRIMARY KEY,
    process_id BIGINT NOT NULL REFERENCES penalty_processes (id),
    at BIGINT NOT NULL,
    user_id BIGINT,
    login TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL,
    amount_centavos BIGINT
);
CREATE INDEX penalty_events_process ON penalty_events (process_id, id);

-- Documents filed with a defense or an appeal: the bytes, and their SHA-256 (hex).
CREATE TABLE penalty_attachments (
    id INTEGER PRIMARY KEY,
    process_id BIGINT NOT NULL REFERENCES penalty_processes (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX penalty_attachments_process ON penalty_attachments (process_id, id);

-- The installments of an applied fine: each is applied (its parts stored as
-- billing_deductions) when its month closes; postponed a month when its lot had no
-- charge that month; rescheduled when a suspension is lifted.
CREATE TABLE penalty_installments (
    id INTEGER PRIMARY KEY,
    process_id BIGINT NOT NULL REFERENCES penalty_processes (id),
    seq BIGINT NOT NULL,
    of_total BIGINT NOT NULL,
    month TEXT NOT NULL,
    amount_centavos BIGINT NOT NULL CHECK (amount_centavos >= 0),
    status TEXT NOT NULL,
    applied_at BIGINT,
    postponements BIGINT NOT NULL DEFAULT 0,
    UNIQUE (process_id, seq)
);
CREATE INDEX penalty_installments_due ON penalty_installments (status, month);

-- One counter per year for the numbers (PM-2026/0003).
CREATE TABLE penalty_counters (
    year BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);
