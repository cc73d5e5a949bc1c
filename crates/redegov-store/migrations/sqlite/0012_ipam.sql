-- IP address management, SQLite dialect. Kept in lock-step with
-- ../postgres/0012_ipam.sql (schema-parity test).

-- The address pools the network manager configures, and the blocks allocated
-- from them to agencies (docs/ipam.md). Addresses are stored as 32-digit
-- hexadecimal keys (`start_key`), which sort like the numbers; `cidr` is the
-- printed form. A pool's free space is kept as its maximal free blocks
-- (`ip_free`, a buddy allocator): allocation reads the first one that fits.

CREATE TABLE ip_pools (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    family TEXT NOT NULL CHECK (family IN ('ipv4', 'ipv6')),
    cidr TEXT NOT NULL UNIQUE,
    start_key TEXT NOT NULL,
    prefix_length BIGINT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('private', 'public')),
    created_by BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE ip_blocks (
    id INTEGER PRIMARY KEY,
    pool_id BIGINT NOT NULL REFERENCES ip_pools (id),
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    start_key TEXT NOT NULL,
    prefix_length BIGINT NOT NULL,
    cidr TEXT NOT NULL,
    allocated_by BIGINT,
    allocated_at BIGINT NOT NULL,
    UNIQUE (pool_id, start_key)
);
CREATE INDEX ip_blocks_agency ON ip_blocks (agency_id, pool_id);

CREATE TABLE ip_free (
    pool_id BIGINT NOT NULL REFERENCES ip_pools (id),
    start_key TEXT NOT NULL,
    prefix_length BIGINT NOT NULL,
    PRIMARY KEY (pool_id, start_key)
);

-- How many blocks of a size an agency of a kind may hold from pools of a
-- visibility (seed 002: a municipality, 20 private /28 and one public /30).
CREATE TABLE ip_block_limits (
    agency_kind TEXT NOT NULL,
    visibility TEXT NOT NULL,
    prefix_length BIGINT NOT NULL,
    max_blocks BIGINT NOT NULL CHECK (max_blocks >= 0),
    PRIMARY KEY (agency_kind, visibility, prefix_length)
);
INSERT INTO ip_block_limits (agency_kind, visibility, prefix_length, max_blocks) VALUES
    ('municipality', 'private', 28, 20),
    ('municipality', 'public', 30, 1);
