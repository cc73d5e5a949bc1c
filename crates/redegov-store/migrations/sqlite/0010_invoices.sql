-- Operators' invoices, their reconciliation and disputes, SQLite dialect. Kept in lock-step
-- with ../postgres/0010_invoices.sql (schema-parity test).
-- Every upload is one invoice of one agency with one lot holder for one closed month; the
-- holder is stored as its code (`operator-12`, `consortium-3`) and as its id columns (one of
-- them set), so a holder's invoice numbers are unique and an operator's scope (its own
-- invoices and its consortia's) is one condition. The invoice's sums and its reconciliation
-- with the month's billing report (totals and one row per flag) are stored with it: a closed
-- month's report never changes, so neither does the comparison.
-- Disputes contest lines of an invoice (opened → answered → upheld | rejected); an upheld
-- one becomes billing_deductions rows of kind 'dispute' with source_id the dispute's id.
-- User columns are plain ids (the system actor has no user row); instants are epoch
-- seconds; money is centavos; months are `YYYY-MM`, dates ISO text.

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    holder TEXT NOT NULL,
    operator_id BIGINT REFERENCES operators (id),
    consortium_id BIGINT REFERENCES consortia (id),
    month TEXT NOT NULL,
    number TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    status TEXT NOT NULL,
    line_count BIGINT NOT NULL,
    services_centavos BIGINT NOT NULL,
    discounts_centavos BIGINT NOT NULL,
    penalties_centavos BIGINT NOT NULL,
    other_centavos BIGINT NOT NULL,
    total_centavos BIGINT NOT NULL,
    report_net_centavos BIGINT NOT NULL,
    difference_centavos BIGINT NOT NULL,
    flag_count BIGINT NOT NULL,
    uploaded_by BIGINT,
    uploaded_at BIGINT NOT NULL,
    approved_by BIGINT,
    approved_at BIGINT,
    CHECK ((operator_id IS NULL) <> (consortium_id IS NULL))
);
CREATE UNIQUE INDEX invoices_holder_number ON invoices (holder, number);
CREATE INDEX invoices_agency_month ON invoices (agency_id, month);
CREATE INDEX invoices_uploaded ON invoices (uploaded_at);

CREATE TABLE invoice_lines (
    id INTEGER PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    line_no BIGINT NOT NULL,
    kind TEXT NOT NULL,
    access_id BIGINT REFERENCES accesses (id),
    -- The access's lot, where an upheld dispute's credit is applied.
    lot_id BIGINT REFERENCES lots (id),
    reference TEXT NOT NULL,
    description TEXT NOT NULL,
    amount_centavos BIGINT NOT NULL CHECK (amount_centavos >= 0)
);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id, line_no);

CREATE TABLE invoice_flags (
    id INTEGER PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    kind TEXT NOT NULL,
    access_id BIGINT,
    -- The invoice lines concerned, `line_no`s separated by commas.
    line_nos TEXT NOT NULL,
    expected_centavos BIGINT NOT NULL,
    invoiced_centavos BIGINT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX invoice_flags_invoice ON invoice_flags (invoice_id);

CREATE TABLE disputes (
    id INTEGER PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    holder TEXT NOT NULL,
    operator_id BIGINT REFERENCES operators (id),
    consortium_id BIGINT REFERENCES consortia (id),
    month TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    contested_centavos BIGINT NOT NULL CHECK (contested_centavos > 0),
    opened_by BIGINT,
    opened_at BIGINT NOT NULL,
    answer TEXT NOT NULL,
    answered_by BIGINT,
    answered_at BIGINT,
    grounds TEXT NOT NULL,
    resolved_by BIGINT,
    resolved_at BIGINT,
    -- Where an upheld dispute's credit was applied.
    credit_month TEXT
);
CREATE INDEX disputes_opened ON disputes (opened_at);
CREATE INDEX disputes_invoice ON disputes (invoice_id);

CREATE TABLE dispute_lines (
    id INTEGER PRIMARY KEY,
    dispute_id BIGINT NOT NULL REFERENCES disputes (id),
    invoice_line_id BIGINT NOT NULL REFERENCES invoice_lines (id),
    contested_centavos BIGINT NOT NULL CHECK (contested_centavos > 0)
);
CREATE INDEX dispute_lines_dispute ON dispute_lines (dispute_id);
CREATE INDEX dispute_lines_line ON dispute_lines (invoice_line_id);
