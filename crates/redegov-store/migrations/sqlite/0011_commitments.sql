-- Budget commitments (empenhos) and the contract balance, SQLite dialect. Kept in
-- lock-step with ../postgres/0011_commitments.sql (schema-parity test).
-- Money is centavos; instants are epoch seconds. A commitment is never deleted: an
-- annulled one keeps its row with cancelled_at set, and stops counting.

CREATE TABLE commitments (
    id INTEGER PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    lot_id BIGINT NOT NULL REFERENCES lots (id),
    number TEXT NOT NULL,
    fiscal_year BIGINT NOT NULL,
    amount_centavos BIGINT NOT NULL CHECK (amount_centavos > 0),
    notes TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    cancelled_at BIGINT,
    cancelled_by BIGINT,
    cancel_reason TEXT,
    UNIQUE (agency_id, fiscal_year, number)
);
CREATE INDEX commitments_year ON commitments (fiscal_year, lot_id);

-- A lot's own value ceiling, where the contract sets one per lot.
CREATE TABLE lot_ceilings (
    lot_id BIGINT PRIMARY KEY REFERENCES lots (id),
    ceiling_centavos BIGINT NOT NULL CHECK (ceiling_centavos >= 0),
    updated_at BIGINT NOT NULL
);

-- One row (id 1): the share of a commitment whose consumption raises a warning.
CREATE TABLE balance_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    warn_basis_points BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
