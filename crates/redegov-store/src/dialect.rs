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

/// The schema of a SQLite database as (table, column, type, nullable).
pub const SQLITE_SCHEMA: &str = "SELECT m.name, p.name, p.type, \
     CASE WHEN p.\"notnull\" = 0 AND p.pk = 0 THEN 'YES' ELSE 'NO' END \
     FROM sqlite_master m JOIN pragma_table_info(m.name) p \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'";

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
