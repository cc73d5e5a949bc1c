//! The e-mail outbox (`mail_outbox`) and the address queries that feed it.
//!
//! A message is inserted by a use case in its own transaction; the delivery
//! job claims due messages in a short transaction of its own, sends them
//! outside any transaction, and records each outcome. Claiming pushes
//! `next_attempt_at` forward by a lease, so a second worker (another server
//! on the same PostgreSQL) skips the claimed rows, and a worker that dies
//! mid-send leaves them to be retried when the lease ends.
//!
//! The store decides nothing: the retry schedule and the give-up rule are
//! the domain's (`redegov_domain::mail`), applied by the app.

use crate::inventory::{Listed, id};
use crate::query::{Filter, Value};
use crate::{Page, StoreError, Tx, opt_time};
use redegov_domain::ids::{AgencyId, OperatorId};
use redegov_domain::role::Role;
use redegov_domain::time::{Timestamp, from_epoch};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A message to queue (recipients already cleaned by the app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub recipients: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub link: Option<String>,
    /// What it is about, as a code: `order.submitted`.
    pub kind: String,
    /// The object it is about: `order:123`.
    pub subject_ref: Option<String>,
}

/// A queued message and its delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    pub id: i64,
    pub created_at: Timestamp,
    pub recipients: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub link: Option<String>,
    pub kind: String,
    pub subject_ref: Option<String>,
    /// Attempts made so far (successful one included).
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    /// When delivery was given up.
    pub failed_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    /// Not sent yet, still being tried.
    Pending,
    Sent,
    /// Given up.
    Failed,
}

impl MailStatus {
    pub const CODES: &'static [&'static str] = &["pending", "sent", "failed"];

    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }

    pub fn parse(code: &str) -> Option<MailStatus> {
        match code {
            "pending" => Some(MailStatus::Pending),
            "sent" => Some(MailStatus::Sent),
            "failed" => Some(MailStatus::Failed),
            _ => None,
        }
    }
}

impl MailRecord {
    pub fn status(&self) -> MailStatus {
        match (self.sent_at, self.failed_at) {
            (Some(_), _) => MailStatus::Sent,
            (None, Some(_)) => MailStatus::Failed,
            (None, None) => MailStatus::Pending,
        }
    }
}

/// Filters of the outbox list. `None` means "do not filter".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailFilter {
    pub status: Option<MailStatus>,
    pub kind: Option<String>,
    pub subject_ref: Option<String>,
    /// Messages with this address among their recipients (exact, ignoring case).
    pub recipient: Option<String>,
    /// Created at or after (epoch seconds).
    pub created_from: Option<i64>,
    /// Created before (epoch seconds).
    pub created_until: Option<i64>,
}

/// Which users of a role receive a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserScope<'a> {
    /// Every active user of the role.
    All,
    /// The role's users bound to this agency.
    Agency(AgencyId),
    /// The role's users bound to one of these operators.
    Operators(&'a [OperatorId]),
}

fn recipients_json(recipients: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(recipients).map_err(|e| StoreError::Corrupt(format!("recipients: {e}")))
}

fn decode_mail(r: &AnyRow) -> Result<MailRecord, StoreError> {
    let recipients: String = r.try_get("recipients")?;
    Ok(MailRecord {
        id: id(r)?,
        created_at: from_epoch(r.try_get("created_at")?),
        recipients: serde_json::from_str(&recipients)
            .map_err(|e| StoreError::Corrupt(format!("recipients: {e}")))?,
        subject: r.try_get("subject")?,
        body_text: r.try_get("body_text")?,
        link: r.try_get("link")?,
        kind: r.try_get("kind")?,
        subject_ref: r.try_get("subject_ref")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: from_epoch(r.try_get("next_attempt_at")?),
        sent_at: opt_time(r, "sent_at")?,
        failed_at: opt_time(r, "failed_at")?,
        last_error: r.try_get("last_error")?,
    })
}

const MAIL_COLUMNS: &str = "id, created_at, recipients, subject, body_text, link, kind, subject_ref, \
     attempts, next_attempt_at, sent_at, failed_at, last_error";

/// The condition of a message that is due at `$n`.
fn due(now: &str) -> String {
    format!("sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= {now}")
}

impl Tx {
    /// Queues a message, due at once.
    pub async fn insert_mail(&mut self, m: &NewMail, now: Timestamp) -> Result<MailRecord, StoreError> {
        let row = sqlx::query(
            "INSERT INTO mail_outbox (created_at, recipients, subject, body_text, link, kind, subject_ref, \
             attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) RETURNING id",
        )
        .bind(now.timestamp())
        .bind(recipients_json(&m.recipients)?)
        .bind(&m.subject)
        .bind(&m.body_text)
        .bind(m.link.as_deref())
        .bind(&m.kind)
        .bind(m.subject_ref.as_deref())
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(MailRecord {
            id: id(&row)?,
            created_at: now,
            recipients: m.recipients.clone(),
            subject: m.subject.clone(),
            body_text: m.body_text.clone(),
            link: m.link.clone(),
            kind: m.kind.clone(),
            subject_ref: m.subject_ref.clone(),
            attempts: 0,
            next_attempt_at: now,
            sent_at: None,
            failed_at: None,
            last_error: None,
        })
    }

    /// Claims up to `limit` due messages, oldest first: their next attempt
    /// moves to `lease_until`, so nobody else claims them meanwhile. The due
    /// condition is repeated on the updated rows: on PostgreSQL a concurrent
    /// claimer that waited for the row lock re-checks it and skips the row.
    pub async fn claim_due_mail(
        &mut self,
        now: Timestamp,
        limit: i64,
        lease_until: Timestamp,
    ) -> Result<Vec<MailRecord>, StoreError> {
        let sql = format!(
            "UPDATE mail_outbox SET next_attempt_at = $1 WHERE id IN (SELECT id FROM mail_outbox WHERE {} \
             ORDER BY id LIMIT $3) AND {} RETURNING {MAIL_COLUMNS}",
            due("$2"),
            due("$2"),
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(lease_until.timestamp())
            .bind(now.timestamp())
            .bind(limit.max(0))
            .fetch_all(self.conn())
            .await?;
        let mut out = rows.iter().map(decode_mail).collect::<Result<Vec<_>, _>>()?;
        // RETURNING has no order of its own.
        out.sort_unstable_by_key(|m| m.id);
        Ok(out)
    }

    /// Records a successful send.
    pub async fn mark_mail_sent(&mut self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE mail_outbox SET attempts = attempts + 1, sent_at = $1, last_error = NULL WHERE id = $2",
        )
        .bind(now.timestamp())
        .bind(id)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Records a failed attempt: tried again at `retry_at`, or given up
    /// (`failed_at = now`) when it is `None`.
    pub async fn mark_mail_failed(
        &mut self,
        id: i64,
        now: Timestamp,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let done = match retry_at {
            Some(at) => sqlx::query(
                "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 \
                 WHERE id = $3",
            )
            .bind(at.timestamp()),
            None => sqlx::query(
                "UPDATE mail_outbox SET attempts = attempts + 1, failed_at = $1, last_error = $2 WHERE id = $3",
            )
            .bind(now.timestamp()),
        }
        .bind(error)
        .bind(id)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    pub async fn mail(&mut self, id: i64) -> Result<MailRecord, StoreError> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {MAIL_COLUMNS} FROM mail_outbox WHERE id = $1")))
                .bind(id)
                .fetch_one(self.conn())
                .await?;
        decode_mail(&row)
    }

    /// The outbox, newest first.
    pub async fn list_mail(&mut self, f: &MailFilter, page: Page) -> Result<Listed<MailRecord>, StoreError> {
        let mut q = Filter::default();
        match f.status {
            None => {}
            Some(MailStatus::Pending) => q.push_raw("sent_at IS NULL AND failed_at IS NULL".into()),
            Some(MailStatus::Sent) => q.push_raw("sent_at IS NOT NULL".into()),
            Some(MailStatus::Failed) => q.push_raw("sent_at IS NULL AND failed_at IS NOT NULL".into()),
        }
        q.text("kind = {}", f.kind.as_deref());
        q.text("subject_ref = {}", f.subject_ref.as_deref());
        q.int("created_at >= {}", f.created_from);
        q.int("created_at < {}", f.created_until);
        if let Some(address) = &f.recipient {
            // Recipients are a JSON array of strings; matching the quoted
            // address finds whole entries only. LOWER on both sides: both
            // backends fold ASCII case the same way.
            let quoted = serde_json::to_string(&address.trim().to_lowercase())
                .map_err(|e| StoreError::Corrupt(format!("recipient: {e}")))?;
            let like = escape_like(&quoted);
            q.push("LOWER(recipients) LIKE {} ESCAPE '\\'", Value::Text(format!("%{like}%")));
        }
        self.list(
            &format!("SELECT {MAIL_COLUMNS} FROM mail_outbox"),
            "SELECT COUNT(*) FROM mail_outbox",
            q,
            "id DESC",
            page,
            decode_mail,
        )
        .await
    }

    /// The e-mail addresses of the active users of `role` in `scope`, in
    /// address order; users without an address are left out.
    pub async fn active_user_emails(
        &mut self,
        role: Role,
        scope: UserScope<'_>,
    ) -> Result<Vec<String>, StoreError> {
        let mut q = Filter::default();
        q.push_raw("active = 1".into());
        q.push_raw("email <> ''".into());
        q.push("role = {}", Value::Text(role.as_str().into()));
        match scope {
            UserScope::All => {}
            UserScope::Agency(agency) => q.push("agency_id = {}", Value::Int(agency.0)),
            UserScope::Operators([]) => return Ok(Vec::new()),
            UserScope::Operators(operators) => {
                let placeholders: Vec<String> = operators.iter().map(|o| q.bind(Value::Int(o.0))).collect();
                q.push_raw(format!("operator_id IN ({})", placeholders.join(", ")));
            }
        }
        let rows = q
            .query(format!("SELECT DISTINCT email FROM users{} ORDER BY email", q.where_sql()))
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(|r| r.try_get::<String, _>(0).map_err(StoreError::from)).collect()
    }
}

/// Escapes `LIKE` wildcards with a backslash.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(super::escape_like("\"a_b%c\\d\""), "\"a\\_b\\%c\\\\d\"");
    }
}
