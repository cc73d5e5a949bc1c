-- redegov schema, SQLite dialect. Kept in lock-step with ../postgres/0001_inventory.sql:
-- same tables, same columns, same nullability (checked by the schema-parity test).
-- Portable types only: BIGINT for ids, money (centavos), instants (epoch seconds) and flags;
-- TEXT for codes, names and calendar dates (ISO 8601). `search_text` columns hold the
-- accent- and case-folded search key computed by the store (redegov_domain::text::search_key).

CREATE TABLE operators (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    cnpj TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL
);

CREATE TABLE consortia (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE consortium_members (
    consortium_id BIGINT NOT NULL REFERENCES consortia (id) ON DELETE CASCADE,
    operator_id BIGINT NOT NULL REFERENCES operators (id),
    share_bp BIGINT NOT NULL,
    PRIMARY KEY (consortium_id, operator_id)
);
CREATE INDEX consortium_members_operator ON consortium_members (operator_id);

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    ceiling_centavos BIGINT NOT NULL
);

CREATE TABLE lots (
    id INTEGER PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    code TEXT NOT NULL,
    operator_id BIGINT REFERENCES operators (id),
    consortium_id BIGINT REFERENCES consortia (id),
    profile TEXT NOT NULL,
    description TEXT NOT NULL,
    starts_on TEXT,
    ends_on TEXT,
    UNIQUE (contract_id, code),
    CHECK ((operator_id IS NULL) <> (consortium_id IS NULL))
);
CREATE INDEX lots_operator ON lots (operator_id);
CREATE INDEX lots_consortium ON lots (consortium_id);

CREATE TABLE lot_municipalities (
    lot_id BIGINT NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    ibge_code BIGINT NOT NULL,
    PRIMARY KEY (lot_id, ibge_code)
);

CREATE TABLE prices (
    id INTEGER PRIMARY KEY,
    lot_id BIGINT NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    bandwidth_mbps BIGINT NOT NULL,
    area TEXT NOT NULL,
    monthly_price_centavos BIGINT NOT NULL,
    effective_from TEXT NOT NULL,
    effective_to TEXT
);
CREATE INDEX prices_lot ON prices (lot_id, service, bandwidth_mbps, area);

CREATE TABLE agencies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    acronym TEXT NOT NULL UNIQUE,
    cnpj TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    search_text TEXT NOT NULL
);

CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    municipality_ibge BIGINT NOT NULL,
    municipality_name TEXT NOT NULL,
    area TEXT NOT NULL,
    zone TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    search_text TEXT NOT NULL
);
CREATE INDEX sites_agency ON sites (agency_id);
CREATE INDEX sites_municipality ON sites (municipality_ibge);

CREATE TABLE accesses (
    id INTEGER PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id),
    lot_id BIGINT NOT NULL REFERENCES lots (id),
    profile TEXT NOT NULL,
    service TEXT NOT NULL,
    bandwidth_mbps BIGINT NOT NULL,
    redundancy TEXT NOT NULL,
    technology TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    activated_at BIGINT,
    suspended_at BIGINT,
    deactivated_at BIGINT,
    monthly_price_centavos BIGINT NOT NULL,
    price_overridden BIGINT NOT NULL,
    probe_targets TEXT NOT NULL
);
CREATE INDEX accesses_lot ON accesses (lot_id, id);
CREATE INDEX accesses_site ON accesses (site_id, id);
CREATE INDEX accesses_status ON accesses (status, id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    agency_id BIGINT REFERENCES agencies (id),
    operator_id BIGINT REFERENCES operators (id),
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- One row: the head of the audit hash chain. Updating it first in every
-- writing transaction serialises appends on both backends (a row lock on
-- PostgreSQL, the single writer on SQLite), so the chain never forks.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, '');

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    at BIGINT NOT NULL,
    user_id BIGINT,
    login TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
