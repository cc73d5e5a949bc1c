-- Deduction lines of the billing reports, SQLite dialect. Kept in lock-step with
-- ../postgres/0008_deductions.sql (schema-parity test).
-- One row per agency × bearing operator of a deduction applied in a month: a fine
-- installment's part (kind 'penalty', source_id the installment) or an upheld dispute's
-- credit (kind 'dispute', source_id the dispute). For a consortium, operator_id is the
-- member bearing that part; the parts of one deduction sum to it exactly (largest
-- remainder). Rows are only inserted: a closed month's deductions never change.
-- Money is centavos (positive: discounted from the invoice); instants are epoch seconds.

CREATE TABLE billing_deductions (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    lot_id BIGINT NOT NULL REFERENCES lots (id),
    operator_id BIGINT NOT NULL REFERENCES operators (id),
    kind TEXT NOT NULL,
    source_id BIGINT NOT NULL,
    description TEXT NOT NULL,
    amount_centavos BIGINT NOT NULL CHECK (amount_centavos > 0),
    created_at BIGINT NOT NULL
);
CREATE INDEX billing_deductions_month ON billing_deductions (month, agency_id);
CREATE INDEX billing_deductions_source ON billing_deductions (kind, source_id);
