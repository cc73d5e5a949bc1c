//! The app layer's error: small and precise, so each edge (JSON API, portal,
//! CLI) maps it to a status or exit code in one `match`.

use redegov_domain::error::{FieldError, Rule};
use redegov_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A bad input: names the field and the rule.
    #[error("{0}")]
    Invalid(FieldError),
    /// No such object, or one outside the actor's scope (the two are
    /// indistinguishable on purpose: scope must not leak existence).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor sees the object but its role may not do this.
    #[error("your role may not {0}")]
    Forbidden(&'static str),
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// The change conflicts with existing data (a duplicate, or an object
    /// still referenced).
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    /// A file whose rows break rules: every problem, nothing written.
    #[error("{} problem(s) in the file; nothing was imported", .0.len())]
    Rejected(Vec<crate::import::ImportProblem>),
    /// A failure of the database itself.
    #[error("storage: {0}")]
    Store(StoreError),
    /// A failure that is no one's input's fault (hashing, serialising).
    #[error("internal: {0}")]
    Internal(String),
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("object"),
            StoreError::Conflict(message) => AppError::Conflict { field: None, message },
            StoreError::Reference(message) => AppError::Conflict {
                field: None,
                message: format!("still referenced by other records, or refers to a missing one ({message})"),
            },
            other => AppError::Store(other),
        }
    }
}

impl AppError {
    /// Store "not found" with the entity named.
    pub fn not_found(entity: &'static str) -> impl Fn(StoreError) -> AppError {
        move |e| match e {
            StoreError::NotFound => AppError::NotFound(entity),
            other => other.into(),
        }
    }

    /// A unique violation on one of `fields` becomes a duplicate on that field.
    pub fn unique(fields: &'static [&'static str]) -> impl Fn(StoreError) -> AppError {
        move |e| match e.conflicting_field(fields) {
            Some(field) => AppError::Invalid(FieldError::new(field, Rule::Duplicate)),
            None => e.into(),
        }
    }

    /// A reference to a missing row on create names the field.
    pub fn reference(field: &'static str) -> impl Fn(StoreError) -> AppError {
        move |e| match e {
            StoreError::Reference(_) => AppError::Invalid(FieldError::new(field, Rule::UnknownReference)),
            other => other.into(),
        }
    }
}
