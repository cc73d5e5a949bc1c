-- The e-mail outbox, SQLite dialect. Kept in lock-step with ../postgres/0005_outbox.sql
-- (schema-parity test). A use case inserts its messages in its own transaction, so a
-- rolled-back change sends nothing and a committed one always has its message; the
-- delivery job sends them later, outside any transaction, and records the outcome here.
-- Instants are epoch seconds. `recipients` is a JSON array of addresses.
-- A row is pending while sent_at and failed_at are both NULL; failed_at means "gave up".

CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY,
    created_at BIGINT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    link TEXT,
    -- What the message is about, as a code (`order.submitted`), and the object (`order:123`).
    kind TEXT NOT NULL,
    subject_ref TEXT,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    failed_at BIGINT,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, failed_at, next_attempt_at);
CREATE INDEX mail_outbox_subject ON mail_outbox (subject_ref);
