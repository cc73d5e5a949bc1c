//! Storage errors, classified once: a unique violation is a conflict, a
//! missing row is "not found", an unreachable database names its URL.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("cannot reach database {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; carries the constraint text when known.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A reference to a row that does not exist, or a row still referenced.
    #[error("reference violated: {0}")]
    Reference(String),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_string())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::Reference(db.message().to_string())
            }
            _ => StoreError::Database(e),
        }
    }
}

impl StoreError {
    /// The column a unique violation concerns, when the message names one
    /// of `candidates` (both backends mention the column or index name).
    pub fn conflicting_field<'a>(&self, candidates: &[&'a str]) -> Option<&'a str> {
        match self {
            StoreError::Conflict(message) => candidates.iter().copied().find(|c| message.contains(c)),
            _ => None,
        }
    }
}
