//! The named escape hatches: every statement that is not in the portable SQL
//! subset lives here, once per backend, and is listed in ARCHITECTURE.md.

/// Per-connection SQLite settings: WAL for concurrent readers, a busy timeout
/// so writers queue, foreign keys enforced, and a relaxed fsync that is still
/// durable in WAL mode at transaction boundaries except on power loss.
pub const SQLITE_CONNECTION_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

/// SQLite's writing transaction takes the write lock up front.
pub const SQLITE_BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// How many rows SQLite's `ANALYZE` samples per index: approximate
/// statistics in milliseconds, enough for the planner's choices.
pub const SQLITE_ANALYSIS_LIMIT: &str = "PRAGMA analysis_limit = 1000";

/// The schema of a SQLite database as (table, column, type, nullable): its
/// ordinary tables only, not FTS5's virtual table and its shadow tables
/// (PostgreSQL's trigram index is an index, not a table).
pub const SQLITE_SCHEMA: &str = "SELECT t.name, p.name, p.type, \
     CASE WHEN p.\"notnull\" = 0 AND p.pk = 0 THEN 'YES' ELSE 'NO' END \
     FROM pragma_table_list t JOIN pragma_table_info(t.name) p \
     WHERE t.schema = 'main' AND t.type = 'table' AND t.name NOT LIKE 'sqlite_%' \
     AND t.name NOT LIKE '_sqlx%'";

/// The order list's search on SQLite: FTS5's trigram index answers the
/// `LIKE` (patterns of three characters or more; shorter ones scan it).
pub const SQLITE_ORDER_SEARCH: &str =
    "o.id IN (SELECT rowid FROM service_orders_fts WHERE search_text LIKE {})";

/// The order list's search on PostgreSQL: pg_trgm's GIN index answers the
/// `LIKE` on the column itself.
pub const POSTGRES_ORDER_SEARCH: &str = "o.search_text LIKE {}";

/// The schema of a PostgreSQL database as (table, column, type, nullable).
pub const POSTGRES_SCHEMA: &str = "SELECT table_name::text, column_name::text, data_type::text, \
     is_nullable::text FROM information_schema.columns \
     WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'";

/// Maps each backend's type names onto the portable kinds we use.
pub fn normalise_type(raw: &str) -> &'static str {
    match raw.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int8" => "integer",
        "text" | "character varying" => "text",
        _ => "other",
    }
}
