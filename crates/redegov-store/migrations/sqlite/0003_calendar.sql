-- The Brazilian calendar's settings and the holidays kept as data (issue #4), SQLite dialect.
-- Kept in lock-step with ../postgres/0003_calendar.sql (schema-parity test).
-- National, Easter-based and MG/SP state holidays are computed by redegov-domain::calendar;
-- only what a person decides is stored here. Booleans are BIGINT 0/1; dates are YYYY-MM-DD text.

-- One row (id = 1): the network's state and the contract's optional holidays.
CREATE TABLE calendar_settings (
    id BIGINT PRIMARY KEY,
    -- Two-letter UF code, or NULL for national holidays only.
    state TEXT,
    carnival BIGINT NOT NULL,
    corpus_christi BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (id = 1)
);
INSERT INTO calendar_settings (id, state, carnival, corpus_christi, updated_at) VALUES (1, NULL, 0, 0, 0);

-- Municipal holidays (municipality_ibge set) and extra ones for the whole network (NULL).
CREATE TABLE holidays (
    id INTEGER PRIMARY KEY,
    municipality_ibge BIGINT,
    date TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (municipality_ibge, date)
);
-- NULLs are distinct in a UNIQUE constraint on both backends; this index makes a
-- second network-wide holiday on the same date a conflict too.
CREATE UNIQUE INDEX holidays_place_date ON holidays (COALESCE(municipality_ibge, 0), date);
CREATE INDEX holidays_date ON holidays (date);
