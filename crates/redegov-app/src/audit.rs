//! The audit log: every change, who and when, before → after, written in the
//! same transaction as the change. Entries form a SHA-256 hash chain, so an
//! edited or deleted entry is detected by [`App::verify_audit_chain`].

use crate::authz::require_audit_reader;
use crate::{App, AppError, AppResult};
use redegov_domain::role::Actor;
use redegov_domain::time::Timestamp;
use redegov_store::audit::{AuditEntry, AuditFilter, NewAuditEntry};
use redegov_store::inventory::Listed;
use redegov_store::{Page, Tx};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What happened to an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
    Login,
    Import,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Login => "login",
            Action::Import => "import",
        }
    }
}

fn snapshot<T: Serialize>(value: Option<&T>) -> AppResult<Option<String>> {
    value.map(|v| serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))).transpose()
}

fn entry_hash(e: &NewAuditEntry) -> String {
    let mut h = Sha256::new();
    for part in [
        e.prev_hash.as_str(),
        &e.seq.to_string(),
        &e.at.timestamp().to_string(),
        &e.user_id.map(|u| u.0.to_string()).unwrap_or_default(),
        &e.login,
        &e.action,
        &e.entity,
        &e.entity_id.map(|i| i.to_string()).unwrap_or_default(),
        e.before_json.as_deref().unwrap_or(""),
        e.after_json.as_deref().unwrap_or(""),
    ] {
        // Length-prefixed, so no two different entries hash the same text.
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Builds an entry chained to `prev_hash`, with its own hash.
#[allow(clippy::too_many_arguments)]
fn chained(
    seq: i64,
    prev_hash: String,
    actor: &Actor,
    at: Timestamp,
    action: Action,
    entity: &str,
    entity_id: Option<i64>,
    before_json: Option<String>,
    after_json: Option<String>,
) -> NewAuditEntry {
    let mut entry = NewAuditEntry {
        seq,
        at,
        user_id: actor.user(),
        login: actor.login.clone(),
        action: action.as_str().to_string(),
        entity: entity.to_string(),
        entity_id,
        before_json,
        after_json,
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry_hash(&entry);
    entry
}

/// Appends one "create" entry per row, with one reservation of sequence
/// numbers and multi-row inserts: the bulk path of imports and the demo.
pub async fn record_created<T: Serialize>(
    tx: &mut Tx,
    actor: &Actor,
    at: Timestamp,
    entity: &str,
    rows: &[T],
    id_of: impl Fn(&T) -> i64,
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let (first_seq, mut prev_hash) = tx.reserve_audit_seqs(rows.len() as i64).await?;
    let mut entries = Vec::with_capacity(rows.len());
    for (seq, row) in (first_seq..).zip(rows) {
        let entry = chained(
            seq,
            prev_hash,
            actor,
            at,
            Action::Create,
            entity,
            Some(id_of(row)),
            None,
            snapshot(Some(row))?,
        );
        prev_hash = entry.hash.clone();
        entries.push(entry);
    }
    tx.append_audit_batch(&entries).await?;
    Ok(())
}

/// Appends one entry to the chain inside `tx`.
#[allow(clippy::too_many_arguments)]
pub async fn record<B: Serialize, A: Serialize>(
    tx: &mut Tx,
    actor: &Actor,
    at: Timestamp,
    action: Action,
    entity: &str,
    entity_id: Option<i64>,
    before: Option<&B>,
    after: Option<&A>,
) -> AppResult<()> {
    let (seq, prev_hash) = tx.advance_audit_head().await?;
    let entry =
        chained(seq, prev_hash, actor, at, action, entity, entity_id, snapshot(before)?, snapshot(after)?);
    tx.append_audit(&entry).await?;
    Ok(())
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: usize,
    /// The sequence number of the first entry that does not verify.
    pub first_broken: Option<i64>,
}

impl App {
    /// Lists the audit log, newest first (admin and auditor only).
    pub async fn list_audit(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        page: Page,
    ) -> AppResult<Listed<AuditEntry>> {
        require_audit_reader(actor)?;
        let mut tx = self.store().read().await?;
        Ok(tx.list_audit(filter, page).await?)
    }

    /// Recomputes every hash of the chain and reports the first mismatch.
    pub async fn verify_audit_chain(&self, actor: &Actor) -> AppResult<ChainReport> {
        require_audit_reader(actor)?;
        let mut tx = self.store().read().await?;
        let chain = tx.audit_chain().await?;
        let mut prev = String::new();
        for (expected_seq, AuditEntry { entry, .. }) in (1..).zip(chain.iter()) {
            if entry.seq != expected_seq || entry.prev_hash != prev || entry_hash(entry) != entry.hash {
                return Ok(ChainReport { entries: chain.len(), first_broken: Some(entry.seq) });
            }
            prev = entry.hash.clone();
        }
        Ok(ChainReport { entries: chain.len(), first_broken: None })
    }
}
