//! The audit log's storage: an append-only table and the head of its hash
//! chain. Hashing is the app's job; this module keeps appends serialised and
//! in order.

use crate::query::{Filter, MAX_ROWS_PER_INSERT, Value, push_placeholders};
use crate::{Page, StoreError, Tx};
use redegov_domain::ids::{AuditId, UserId};
use redegov_domain::time::{Timestamp, from_epoch};
use sqlx::Row;
use sqlx::any::AnyRow;

/// An entry as written (before its id is known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub seq: i64,
    pub at: Timestamp,
    pub user_id: Option<UserId>,
    pub login: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: AuditId,
    pub entry: NewAuditEntry,
}

/// Filters of the audit log page.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub user_id: Option<UserId>,
}

impl Tx {
    /// Claims the next sequence number and returns it with the previous hash.
    /// The UPDATE takes the row lock first, so concurrent writers queue here.
    pub async fn advance_audit_head(&mut self) -> Result<(i64, String), StoreError> {
        let row = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash")
            .fetch_one(self.conn())
            .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// Claims `n` consecutive sequence numbers at once (bulk writes); returns
    /// the first one and the hash that precedes it.
    pub async fn reserve_audit_seqs(&mut self, n: i64) -> Result<(i64, String), StoreError> {
        let row = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, last_hash")
            .bind(n)
            .fetch_one(self.conn())
            .await?;
        let last: i64 = row.try_get(0)?;
        Ok((last - n + 1, row.try_get(1)?))
    }

    /// Appends entries (already chained, in order) with multi-row inserts,
    /// and moves the head to the last one's hash.
    pub async fn append_audit_batch(&mut self, entries: &[NewAuditEntry]) -> Result<(), StoreError> {
        const COLUMNS: usize = 11;
        for chunk in entries.chunks(MAX_ROWS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO audit_log (seq, at, user_id, login, action, entity, entity_id, before_json, after_json, \
                 prev_hash, hash) VALUES ",
            );
            push_placeholders(&mut sql, chunk.len(), COLUMNS);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q
                    .bind(e.seq)
                    .bind(e.at.timestamp())
                    .bind(e.user_id.map(|u| u.0))
                    .bind(e.login.clone())
                    .bind(e.action.clone())
                    .bind(e.entity.clone())
                    .bind(e.entity_id)
                    .bind(e.before_json.clone())
                    .bind(e.after_json.clone())
                    .bind(e.prev_hash.clone())
                    .bind(e.hash.clone());
            }
            q.execute(self.conn()).await?;
        }
        if let Some(last) = entries.last() {
            sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
                .bind(&last.hash)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// Appends an entry and moves the chain's head to its hash.
    pub async fn append_audit(&mut self, e: &NewAuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (seq, at, user_id, login, action, entity, entity_id, before_json, after_json, \
             prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(e.seq)
        .bind(e.at.timestamp())
        .bind(e.user_id.map(|u| u.0))
        .bind(&e.login)
        .bind(&e.action)
        .bind(&e.entity)
        .bind(e.entity_id)
        .bind(e.before_json.clone())
        .bind(e.after_json.clone())
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(self.conn())
        .await?;
        sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
            .bind(&e.hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Entries, newest first.
    pub async fn list_audit(
        &mut self,
        f: &AuditFilter,
        page: Page,
    ) -> Result<crate::inventory::Listed<AuditEntry>, StoreError> {
        let mut q = Filter::default();
        q.text("entity = {}", f.entity.as_deref());
        q.int("entity_id = {}", f.entity_id);
        q.int("user_id = {}", f.user_id.map(|u| u.0));
        let where_sql = q.where_sql();
        let total: i64 = q
            .query(format!("SELECT COUNT(*) FROM audit_log{where_sql}"))
            .fetch_one(self.conn())
            .await?
            .try_get(0)?;
        let page_sql = q.page_sql(page);
        let rows = q
            .query(format!("SELECT * FROM audit_log{where_sql} ORDER BY seq DESC{page_sql}"))
            .fetch_all(self.conn())
            .await?;
        let items = rows.iter().map(decode).collect::<Result<_, _>>()?;
        Ok(crate::inventory::Listed { items, total })
    }

    /// Every entry in chain order, for verification.
    pub async fn audit_chain(&mut self) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query("SELECT * FROM audit_log ORDER BY seq").fetch_all(self.conn()).await?;
        rows.iter().map(decode).collect()
    }

    /// Overwrites one entry's after-image: only for the tamper-detection test.
    #[doc(hidden)]
    pub async fn tamper_audit_for_tests(&mut self, seq: i64, after_json: &str) -> Result<(), StoreError> {
        let mut q = Filter::default();
        q.push("seq = {}", Value::Int(seq));
        let set = q.bind(Value::Text(after_json.to_string()));
        q.query(format!("UPDATE audit_log SET after_json = {set}{}", q.where_sql()))
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

fn decode(r: &AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: AuditId(r.try_get("id")?),
        entry: NewAuditEntry {
            seq: r.try_get("seq")?,
            at: from_epoch(r.try_get("at")?),
            user_id: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
            login: r.try_get("login")?,
            action: r.try_get("action")?,
            entity: r.try_get("entity")?,
            entity_id: r.try_get("entity_id")?,
            before_json: r.try_get("before_json")?,
            after_json: r.try_get("after_json")?,
            prev_hash: r.try_get("prev_hash")?,
            hash: r.try_get("hash")?,
        },
    })
}
