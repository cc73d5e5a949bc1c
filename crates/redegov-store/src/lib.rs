//! The only crate that knows SQL. It saves and loads; it makes no business
//! decisions (which minutes are downtime, who may see what: those are the
//! domain's and the app's).
//!
//! One code path for both backends: every query is written once, in a
//! portable subset (`$n` placeholders, `RETURNING`, integer money and time,
//! text codes), and runs through sqlx's `Any` driver on SQLite or PostgreSQL.
//! The few statements that must differ are named in [`dialect`].

pub mod adhesions;
pub mod audit;
pub mod calendar;
pub mod closing;
pub mod commitments;
pub mod deductions;
pub mod dialect;
pub mod error;
pub mod incidents;
pub mod inventory;
pub mod invoices;
pub mod ipam;
pub mod mail;
pub mod monitor;
pub mod orders;
pub mod penalties;
mod query;
pub mod users;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};
use std::time::Duration;

pub use error::StoreError;
pub use query::Page;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL, or says why it cannot.
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact(url)))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Hides a password in a URL before it is shown in an error or a log.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A connection pool to one database, SQLite or PostgreSQL.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path`, `sqlite::memory:`, `postgres://…`).
    /// A SQLite file is created if absent. Fails with one line naming the URL
    /// when the scheme is unknown or the database cannot be reached.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let backend = Backend::from_url(url)?;
        sqlx::any::install_default_drivers();
        let url_with_options = match backend {
            Backend::Sqlite if !url.contains('?') && !url.contains(":memory:") => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let options = match backend {
            // SQLite: many readers, one writer (WAL); writers wait for each
            // other instead of failing at once.
            // A local file does not drop connections: no ping before each
            // use (one round trip to the connection's thread less per
            // transaction).
            Backend::Sqlite => AnyPoolOptions::new()
                .max_connections(if url.contains(":memory:") { 1 } else { 8 })
                .test_before_acquire(false)
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        sqlx::query(dialect::SQLITE_CONNECTION_PRAGMAS).execute(conn).await.map(|_| ())
                    })
                }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let pool = options
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url_with_options)
            .await
            .map_err(|e| StoreError::Unreachable { url: redact(url), reason: e.to_string() })?;
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the migrations of this backend that are not applied yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let result = match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.pool).await,
        };
        result.map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// Starts a writing transaction. On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`), so two writers queue instead of deadlocking
    /// on a lock upgrade.
    pub async fn write(&self) -> Result<Tx, StoreError> {
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with(dialect::SQLITE_BEGIN_WRITE).await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx { inner, backend: self.backend })
    }

    /// Starts a read-only unit of work: a transaction that is never
    /// committed, so a list and its count see the same snapshot.
    pub async fn read(&self) -> Result<Tx, StoreError> {
        Ok(Tx { inner: self.pool.begin().await?, backend: self.backend })
    }

    /// The number of committed changes so far: the audit chain's head, which
    /// every writing use case advances in its own transaction. Read outside
    /// any transaction (one statement), it is the cheapest way to know
    /// whether anything changed, in this process or another.
    pub async fn change_seq(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT seq FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?.try_get(0)?)
    }

    /// Refreshes the query planner's statistics, so it picks the right
    /// index as tables grow (which filter of a list is selective, which is
    /// not). SQLite gathers none by itself: `ANALYZE`, sampling at most
    /// 1,000 rows per index (milliseconds); PostgreSQL's autovacuum does it
    /// too, this only makes it timely. `redegov serve` runs it at start and
    /// every hour.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Sqlite {
            sqlx::query(dialect::SQLITE_ANALYSIS_LIMIT).execute(&mut *conn).await?;
        }
        sqlx::query("ANALYZE").execute(&mut *conn).await?;
        Ok(())
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The schema as `(table, column, kind, nullable)` rows, in a backend-
    /// neutral form, for the test that keeps both migrations in lock-step.
    pub async fn schema(&self) -> Result<Vec<(String, String, String, bool)>, StoreError> {
        let rows = sqlx::query(match self.backend {
            Backend::Sqlite => dialect::SQLITE_SCHEMA,
            Backend::Postgres => dialect::POSTGRES_SCHEMA,
        })
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let table: String = row.try_get(0)?;
            let column: String = row.try_get(1)?;
            let raw_type: String = row.try_get(2)?;
            let nullable: String = row.try_get(3)?;
            out.push((table, column, dialect::normalise_type(&raw_type).to_string(), nullable == "YES"));
        }
        out.sort();
        Ok(out)
    }
}

/// A unit of work: every use case runs in exactly one. Dropping it without
/// [`Tx::commit`] rolls everything back, so nothing is ever half-written.
pub struct Tx {
    inner: Transaction<'static, Any>,
    backend: Backend,
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        self.inner.commit().await.map_err(StoreError::from)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }
}

/// Reads an optional epoch-seconds column.
pub(crate) fn opt_time(
    row: &AnyRow,
    col: &str,
) -> Result<Option<redegov_domain::time::Timestamp>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(redegov_domain::time::from_epoch))
}

/// Reads an ISO date column.
pub(crate) fn date(row: &AnyRow, col: &str) -> Result<chrono::NaiveDate, StoreError> {
    let text: String = row.try_get(col)?;
    text.parse().map_err(|_| StoreError::Corrupt(format!("{col}: bad date {text:?}")))
}

/// Reads an optional ISO date column.
pub(crate) fn opt_date(row: &AnyRow, col: &str) -> Result<Option<chrono::NaiveDate>, StoreError> {
    match row.try_get::<Option<String>, _>(col)? {
        Some(text) => {
            text.parse().map(Some).map_err(|_| StoreError::Corrupt(format!("{col}: bad date {text:?}")))
        }
        None => Ok(None),
    }
}

/// Decodes a code column through the domain's parser; a value the domain does
/// not know can only come from a corrupted row.
pub(crate) fn code<T>(
    row: &AnyRow,
    col: &str,
    parse: fn(&str, &str) -> redegov_domain::error::Valid<T>,
) -> Result<T, StoreError> {
    let text: String = row.try_get(col)?;
    parse(col, &text).map_err(|e| StoreError::Corrupt(e.to_string()))
}
