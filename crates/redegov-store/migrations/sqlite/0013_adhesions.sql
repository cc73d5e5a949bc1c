-- Adhesions, responsible persons and technical forms (issue #7), SQLite dialect.
-- Kept in lock-step with ../postgres/0013_adhesions.sql (schema-parity test).
-- An agency holds at most one open adhesion (not rejected, not withdrawn); its
-- history (adhesion_events) is only appended to, and its documents (signed
-- PDFs) keep their bytes with their SHA-256. Responsible persons arrive through
-- requests (Annex I of seed 002: inclusion, change, ratification); an active
-- person has a portal account (user_id) that is deactivated when the person is
-- replaced or removed. Instants are epoch seconds; dates YYYY-MM-DD.

CREATE TABLE adhesions (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    requested_by BIGINT,
    requested_at BIGINT NOT NULL,
    decided_by BIGINT,
    decided_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX adhesions_open ON adhesions (agency_id) WHERE status NOT IN ('rejected', 'withdrawn');
CREATE INDEX adhesions_status ON adhesions (status, requested_at);
CREATE INDEX adhesions_agency ON adhesions (agency_id, id);

CREATE TABLE adhesion_counters (
    year BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE adhesion_events (
    id INTEGER PRIMARY KEY,
    adhesion_id BIGINT NOT NULL REFERENCES adhesions (id),
    at BIGINT NOT NULL,
    user_id BIGINT,
    login TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX adhesion_events_adhesion ON adhesion_events (adhesion_id, id);

CREATE TABLE adhesion_documents (
    id INTEGER PRIMARY KEY,
    adhesion_id BIGINT NOT NULL REFERENCES adhesions (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX adhesion_documents_adhesion ON adhesion_documents (adhesion_id, id);

CREATE TABLE responsible_requests (
    id INTEGER PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    decided_by BIGINT,
    decided_at BIGINT,
    decision_note TEXT NOT NULL
);
CREATE INDEX responsible_requests_agency ON responsible_requests (agency_id, id);
CREATE INDEX responsible_requests_status ON responsible_requests (status, id);

CREATE TABLE responsible_persons (
    id INTEGER PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    request_id BIGINT NOT NULL REFERENCES responsible_requests (id),
    position TEXT NOT NULL,
    name TEXT NOT NULL,
    cpf TEXT NOT NULL,
    registration TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    mobile TEXT NOT NULL,
    job_title TEXT NOT NULL,
    department TEXT NOT NULL,
    status TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    -- When the person was last confirmed: activated, or ratified.
    confirmed_at BIGINT,
    created_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE UNIQUE INDEX responsible_persons_active ON responsible_persons (agency_id, position) WHERE status = 'active';
CREATE INDEX responsible_persons_agency ON responsible_persons (agency_id, status);
CREATE INDEX responsible_persons_request ON responsible_persons (request_id);

CREATE TABLE technical_forms (
    id INTEGER PRIMARY KEY,
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    status TEXT NOT NULL,
    private_blocks BIGINT NOT NULL CHECK (private_blocks >= 0),
    public_blocks BIGINT NOT NULL CHECK (public_blocks >= 0),
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    decided_by BIGINT,
    decided_at BIGINT,
    decision_note TEXT NOT NULL
);
CREATE INDEX technical_forms_agency ON technical_forms (agency_id, id);

CREATE TABLE technical_form_applications (
    id INTEGER PRIMARY KEY,
    form_id BIGINT NOT NULL REFERENCES technical_forms (id),
    name TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX technical_form_applications_form ON technical_form_applications (form_id, id);

-- The municipal election date after which municipalities ratify their
-- responsible persons, and the days between two reminders (one row, id = 1).
CREATE TABLE adhesion_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    election_date TEXT,
    reminder_days BIGINT NOT NULL CHECK (reminder_days > 0),
    updated_at BIGINT NOT NULL
);
INSERT INTO adhesion_settings (id, election_date, reminder_days, updated_at) VALUES (1, NULL, 30, 0);

CREATE TABLE ratification_reminders (
    agency_id BIGINT PRIMARY KEY REFERENCES agencies (id),
    reminded_on TEXT NOT NULL
);

-- A new portal account's invitation: the link sets the first password.
CREATE TABLE user_invitations (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX user_invitations_user ON user_invitations (user_id);
