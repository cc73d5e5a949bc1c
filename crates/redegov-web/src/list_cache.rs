//! A cache of serialised list pages, validated on every request against the
//! store's change counter (the audit chain's head). A page is reused only
//! while no change has been committed since it was built — by this process
//! or any other — so a cached answer is never staler than a fresh one read
//! at the same instant. Keys include the caller's scope, so one agency's page
//! is never served to another.
//!
//! It exists for the hot, repetitive reads of lists (NOC screens and scripts
//! polling the same page): on SQLite, building a 100-row page costs one
//! cross-thread hand-off per row, which caps throughput on small machines.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use redegov_app::{Actor, App};
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

/// Entries kept before the cache starts over (a page is ~50 KB at most).
const MAX_ENTRIES: usize = 2048;

pub struct ListCache {
    enabled: bool,
    entries: Mutex<HashMap<String, (i64, Bytes)>>,
}

impl ListCache {
    pub fn new(enabled: bool) -> ListCache {
        ListCache { enabled, entries: Mutex::new(HashMap::new()) }
    }

    /// Answers from the cache when nothing changed since `key` was built;
    /// otherwise builds the page with `build`, stores it and answers it.
    pub async fn serve<T, F, Fut>(
        &self,
        app: &App,
        actor: &Actor,
        uri: &str,
        build: F,
    ) -> Result<Response, ApiError>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        if !self.enabled {
            return Ok(json_bytes(serialise(&build().await?)?));
        }
        // Read the counter before the data: a change committed in between
        // makes the entry look older than it is, never newer.
        let seq = app.change_seq().await?;
        let key = format!("{:?}|{uri}", actor.scope);
        if let Some((cached_seq, bytes)) = self.lock().get(&key)
            && *cached_seq == seq
        {
            return Ok(json_bytes(bytes.clone()));
        }
        let bytes = serialise(&build().await?)?;
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (seq, bytes.clone()));
        Ok(json_bytes(bytes))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, Bytes)>> {
        // A panic while holding the lock cannot leave a half-written entry
        // (inserts are single calls), so a poisoned map is still usable.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn serialise<T: Serialize>(value: &T) -> Result<Bytes, ApiError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| redegov_app::AppError::Internal(e.to_string()).into())
}

fn json_bytes(bytes: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}
