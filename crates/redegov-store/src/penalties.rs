//! Saving and loading penalty processes (migration 0009): the process, the
//! breaches it cites, its history (only appended to), the defense and
//! appeal attachments (bytes in a BLOB/BYTEA column, which sqlx's `Any`
//! driver carries as `Vec<u8>` on both backends), the installments of an
//! applied fine and the yearly number counter. No business decision is
//! made here: which status comes next, which installment is due and how it
//! is split are the domain's and the app's.

use crate::inventory::{Listed, id, operator_lots_sql};
use crate::query::{Filter, Value};
use crate::{Page, StoreError, Tx, code, opt_date, opt_time};
use chrono::NaiveDate;
use redegov_domain::ids::*;
use redegov_domain::money::Money;
use redegov_domain::penalty::*;
use redegov_domain::time::{Timestamp, from_epoch};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A process to insert (validated by the app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPenalty {
    pub lot_id: LotId,
    pub clause: String,
    pub description: String,
    pub computed: Money,
    pub proposed: Money,
    pub amount_reason: String,
    pub defense_days: u32,
    pub appeal_days: u32,
    pub created_by: Option<UserId>,
}

/// A process with what a list shows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PenaltyRow {
    pub penalty: Penalty,
    pub lot_code: String,
}

/// Filters of the process list. `None` means "do not filter".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PenaltyFilter {
    pub status: Option<PenaltyStatus>,
    pub lot_id: Option<LotId>,
    /// Processes of the lots this operator holds, alone or in a consortium.
    pub operator_id: Option<OperatorId>,
}

/// An attachment to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub kind: FilingKind,
    pub name: String,
    pub content_type: String,
    /// SHA-256 of `data`, lower-case hex.
    pub sha256: String,
    pub data: Vec<u8>,
    pub created_by: Option<UserId>,
}

/// A stored attachment, without its bytes (lists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub id: AttachmentId,
    pub penalty_id: PenaltyId,
    pub kind: FilingKind,
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

/// A stored attachment with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub meta: AttachmentMeta,
    pub data: Vec<u8>,
}

/// An installment with what applying it needs: its process's number and lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueInstallment {
    pub installment: Installment,
    pub number: String,
    pub lot_id: LotId,
}

const SELECT: &str = "SELECT p.*, l.code AS lot_code FROM penalty_processes p JOIN lots l ON l.id = p.lot_id";
const COUNT: &str = "SELECT COUNT(*) FROM penalty_processes p";

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn u32_of(r: &AnyRow, col: &str) -> Result<u32, StoreError> {
    let v: i64 = r.try_get(col)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col}: {v}")))
}

fn opt_status(r: &AnyRow, col: &str) -> Result<Option<PenaltyStatus>, StoreError> {
    match r.try_get::<Option<String>, _>(col)? {
        Some(text) => {
            PenaltyStatus::parse(col, &text).map(Some).map_err(|e| StoreError::Corrupt(e.to_string()))
        }
        None => Ok(None),
    }
}

fn decision(r: &AnyRow, prefix: &str, at: &str, by: &str) -> Result<Option<Decision>, StoreError> {
    let outcome: Option<String> = r.try_get(format!("{prefix}_outcome").as_str())?;
    let Some(outcome) = outcome else { return Ok(None) };
    let outcome = Outcome::parse(prefix, &outcome).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let amount: Option<i64> = r.try_get(format!("{prefix}_centavos").as_str())?;
    Ok(Some(Decision {
        outcome,
        amount: Money::from_centavos(amount.unwrap_or(0)),
        grounds: r.try_get(format!("{prefix}_grounds").as_str())?,
        at: opt_time(r, at)?.unwrap_or_default(),
        by: r.try_get::<Option<i64>, _>(by)?.map(UserId),
    }))
}

fn decode(r: &AnyRow) -> Result<Penalty, StoreError> {
    let installments: Option<i64> = r.try_get("installments")?;
    Ok(Penalty {
        id: PenaltyId(id(r)?),
        number: r.try_get("number")?,
        status: code(r, "status", PenaltyStatus::parse)?,
        lot_id: LotId(r.try_get("lot_id")?),
        clause: r.try_get("clause")?,
        description: r.try_get("description")?,
        computed: Money::from_centavos(r.try_get("computed_centavos")?),
        proposed: Money::from_centavos(r.try_get("proposed_centavos")?),
        amount_reason: r.try_get("amount_reason")?,
        defense_days: u32_of(r, "defense_days")?,
        appeal_days: u32_of(r, "appeal_days")?,
        notified_at: opt_time(r, "notified_at")?,
        defense_due_on: opt_date(r, "defense_due_on")?,
        defense_text: r.try_get("defense_text")?,
        defense_at: opt_time(r, "defense_at")?,
        decision: decision(r, "decision", "decided_at", "decided_by")?,
        appeal_due_on: opt_date(r, "appeal_due_on")?,
        appeal_text: r.try_get("appeal_text")?,
        appeal_at: opt_time(r, "appeal_at")?,
        appeal_decision: decision(r, "appeal", "appeal_decided_at", "appeal_decided_by")?,
        final_at: opt_time(r, "final_at")?,
        installments: installments.map(|n| u32::try_from(n).unwrap_or(0)),
        start_month: r.try_get("start_month")?,
        suspended_at: opt_time(r, "suspended_at")?,
        suspend_reason: r.try_get("suspend_reason")?,
        settled_at: opt_time(r, "settled_at")?,
        created_by: r.try_get::<Option<i64>, _>("created_by")?.map(UserId),
        created_at: from_epoch(r.try_get("created_at")?),
        updated_at: from_epoch(r.try_get("updated_at")?),
    })
}

fn decode_row(r: &AnyRow) -> Result<PenaltyRow, StoreError> {
    Ok(PenaltyRow { penalty: decode(r)?, lot_code: r.try_get("lot_code")? })
}

fn decode_meta(r: &AnyRow) -> Result<AttachmentMeta, StoreError> {
    Ok(AttachmentMeta {
        id: AttachmentId(id(r)?),
        penalty_id: PenaltyId(r.try_get("process_id")?),
        kind: code(r, "kind", FilingKind::parse)?,
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        created_by: r.try_get::<Option<i64>, _>("created_by")?.map(UserId),
        created_at: from_epoch(r.try_get("created_at")?),
    })
}

fn decode_installment(r: &AnyRow) -> Result<Installment, StoreError> {
    Ok(Installment {
        id: InstallmentId(id(r)?),
        penalty_id: PenaltyId(r.try_get("process_id")?),
        seq: u32_of(r, "seq")?,
        of_total: u32_of(r, "of_total")?,
        month: r.try_get("month")?,
        amount: Money::from_centavos(r.try_get("amount_centavos")?),
        status: code(r, "status", InstallmentStatus::parse)?,
        applied_at: opt_time(r, "applied_at")?,
        postponements: u32_of(r, "postponements")?,
    })
}

const ATTACHMENT_META: &str =
    "id, process_id, kind, name, content_type, size_bytes, sha256, created_by, created_at";

impl Tx {
    /// The next number of `year`'s sequence (1, 2, …), taken inside the
    /// transaction: concurrent writers wait for each other on the row.
    pub async fn next_penalty_seq(&mut self, year: i32) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO penalty_counters (year, last) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last = penalty_counters.last + 1 RETURNING last",
        )
        .bind(i64::from(year))
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Inserts an opened process.
    pub async fn insert_penalty(
        &mut self,
        n: &NewPenalty,
        number: &str,
        now: Timestamp,
    ) -> Result<PenaltyId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO penalty_processes (number, status, lot_id, clause, description, computed_centavos, \
             proposed_centavos, amount_reason, defense_days, appeal_days, defense_text, decision_grounds, \
             appeal_text, appeal_grounds, suspend_reason, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', '', '', '', '', $11, $12, $13) RETURNING id",
        )
        .bind(number)
        .bind(PenaltyStatus::Opened.as_str())
        .bind(n.lot_id.0)
        .bind(&n.clause)
        .bind(&n.description)
        .bind(n.computed.centavos())
        .bind(n.proposed.centavos())
        .bind(&n.amount_reason)
        .bind(i64::from(n.defense_days))
        .bind(i64::from(n.appeal_days))
        .bind(n.created_by.map(|u| u.0))
        .bind(now.timestamp())
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(PenaltyId(id(&row)?))
    }

    /// Writes every mutable column of `p`.
    pub async fn update_penalty(&mut self, p: &Penalty) -> Result<(), StoreError> {
        let t = |t: Option<Timestamp>| t.map(|t| t.timestamp());
        let d = p.decision.as_ref();
        let a = p.appeal_decision.as_ref();
        let done = sqlx::query(
            "UPDATE penalty_processes SET status = $1, proposed_centavos = $2, amount_reason = $3, \
             notified_at = $4, defense_due_on = $5, defense_text = $6, defense_at = $7, \
             decision_outcome = $8, decision_centavos = $9, decision_grounds = $10, decided_at = $11, \
             decided_by = $12, appeal_due_on = $13, appeal_text = $14, appeal_at = $15, appeal_outcome = $16, \
             appeal_centavos = $17, appeal_grounds = $18, appeal_decided_at = $19, appeal_decided_by = $20, \
             final_at = $21, installments = $22, start_month = $23, suspended_at = $24, suspend_reason = $25, \
             settled_at = $26, updated_at = $27 WHERE id = $28",
        )
        .bind(p.status.as_str())
        .bind(p.proposed.centavos())
        .bind(&p.amount_reason)
        .bind(t(p.notified_at))
        .bind(p.defense_due_on.map(iso))
        .bind(&p.defense_text)
        .bind(t(p.defense_at))
        .bind(d.map(|d| d.outcome.as_str()))
        .bind(d.map(|d| d.amount.centavos()))
        .bind(d.map(|d| d.grounds.clone()).unwrap_or_default())
        .bind(d.map(|d| d.at.timestamp()))
        .bind(d.and_then(|d| d.by).map(|u| u.0))
        .bind(p.appeal_due_on.map(iso))
        .bind(&p.appeal_text)
        .bind(t(p.appeal_at))
        .bind(a.map(|d| d.outcome.as_str()))
        .bind(a.map(|d| d.amount.centavos()))
        .bind(a.map(|d| d.grounds.clone()).unwrap_or_default())
        .bind(a.map(|d| d.at.timestamp()))
        .bind(a.and_then(|d| d.by).map(|u| u.0))
        .bind(t(p.final_at))
        .bind(p.installments.map(i64::from))
        .bind(p.start_month.clone())
        .bind(t(p.suspended_at))
        .bind(&p.suspend_reason)
        .bind(t(p.settled_at))
        .bind(p.updated_at.timestamp())
        .bind(p.id.0)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    pub async fn penalty(&mut self, id: PenaltyId) -> Result<PenaltyRow, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE p.id = $1")))
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        decode_row(&row)
    }

    /// Processes matching `f`, newest first.
    pub async fn list_penalties(
        &mut self,
        f: &PenaltyFilter,
        page: Page,
    ) -> Result<Listed<PenaltyRow>, StoreError> {
        let mut q = Filter::default();
        q.text("p.status = {}", f.status.map(|s| s.as_str()));
        q.int("p.lot_id = {}", f.lot_id.map(|l| l.0));
        if let Some(op) = f.operator_id {
            let mut lq = Filter::default();
            let lots_sql = operator_lots_sql(&mut lq, op);
            let lots = lq.query(lots_sql).fetch_all(self.conn()).await?;
            let mut placeholders = Vec::with_capacity(lots.len());
            for r in &lots {
                placeholders.push(q.bind(Value::Int(id(r)?)));
            }
            if placeholders.is_empty() {
                q.push_raw("1 = 0".into());
            } else {
                q.push_raw(format!("p.lot_id IN ({})", placeholders.join(", ")));
            }
        }
        self.list(SELECT, COUNT, q, "p.created_at DESC, p.id DESC", page, decode_row).await
    }

    /// Processes whose deadline passed before `today`: notified ones past
    /// the defense's last day, decided ones past the appeal window's.
    pub async fn penalties_past_deadline(&mut self, today: NaiveDate) -> Result<Vec<PenaltyId>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM penalty_processes WHERE \
             (status = 'operator_notified' AND defense_due_on < $1) \
             OR (status = 'decided' AND appeal_due_on < $2) ORDER BY id",
        )
        .bind(iso(today))
        .bind(iso(today))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| Ok(PenaltyId(id(r)?))).collect()
    }

    // ----- cited breaches -----

    pub async fn insert_penalty_breaches(
        &mut self,
        penalty: PenaltyId,
        breaches: &[CitedBreach],
    ) -> Result<(), StoreError> {
        for b in breaches {
            sqlx::query(
                "INSERT INTO penalty_breaches (process_id, month, access_id, kind, incident_id, order_id, \
                 measured, target, line_penalty_centavos) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(penalty.0)
            .bind(&b.month)
            .bind(b.access_id.0)
            .bind(&b.kind)
            .bind(b.incident_id.map(|i| i.0))
            .bind(b.order_id.map(|o| o.0))
            .bind(b.measured)
            .bind(b.target)
            .bind(b.line_penalty.centavos())
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    pub async fn penalty_breaches(&mut self, penalty: PenaltyId) -> Result<Vec<CitedBreach>, StoreError> {
        let rows = sqlx::query("SELECT * FROM penalty_breaches WHERE process_id = $1 ORDER BY id")
            .bind(penalty.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CitedBreach {
                    month: r.try_get("month")?,
                    access_id: AccessId(r.try_get("access_id")?),
                    kind: r.try_get("kind")?,
                    incident_id: r.try_get::<Option<i64>, _>("incident_id")?.map(IncidentId),
                    order_id: r.try_get::<Option<i64>, _>("order_id")?.map(OrderId),
                    measured: r.try_get("measured")?,
                    target: r.try_get("target")?,
                    line_penalty: Money::from_centavos(r.try_get("line_penalty_centavos")?),
                })
            })
            .collect()
    }

    // ----- history -----

    pub async fn insert_penalty_event(
        &mut self,
        penalty: PenaltyId,
        e: &PenaltyEvent,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO penalty_events (process_id, at, user_id, login, action, from_status, to_status, note, \
             amount_centavos) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(penalty.0)
        .bind(e.at.timestamp())
        .bind(e.user_id.map(|u| u.0))
        .bind(&e.login)
        .bind(&e.action)
        .bind(e.from_status.map(|s| s.as_str()))
        .bind(e.to_status.as_str())
        .bind(&e.note)
        .bind(e.amount.map(|a| a.centavos()))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn penalty_events(&mut self, penalty: PenaltyId) -> Result<Vec<PenaltyEvent>, StoreError> {
        let rows = sqlx::query("SELECT * FROM penalty_events WHERE process_id = $1 ORDER BY id")
            .bind(penalty.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PenaltyEvent {
                    at: from_epoch(r.try_get("at")?),
                    user_id: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
                    login: r.try_get("login")?,
                    action: r.try_get("action")?,
                    from_status: opt_status(r, "from_status")?,
                    to_status: code(r, "to_status", PenaltyStatus::parse)?,
                    note: r.try_get("note")?,
                    amount: r.try_get::<Option<i64>, _>("amount_centavos")?.map(Money::from_centavos),
                })
            })
            .collect()
    }

    // ----- attachments -----

    pub async fn insert_penalty_attachment(
        &mut self,
        penalty: PenaltyId,
        a: &NewAttachment,
        now: Timestamp,
    ) -> Result<AttachmentId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO penalty_attachments (process_id, kind, name, content_type, size_bytes, sha256, data, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(penalty.0)
        .bind(a.kind.as_str())
        .bind(&a.name)
        .bind(&a.content_type)
        .bind(a.data.len() as i64)
        .bind(&a.sha256)
        .bind(a.data.clone())
        .bind(a.created_by.map(|u| u.0))
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(AttachmentId(id(&row)?))
    }

    /// The attachments of a process, without their bytes.
    pub async fn penalty_attachments(
        &mut self,
        penalty: PenaltyId,
    ) -> Result<Vec<AttachmentMeta>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTACHMENT_META} FROM penalty_attachments WHERE process_id = $1 ORDER BY id"
        )))
        .bind(penalty.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(decode_meta).collect()
    }

    /// One attachment of a process, with its bytes.
    pub async fn penalty_attachment(
        &mut self,
        penalty: PenaltyId,
        attachment: AttachmentId,
    ) -> Result<Attachment, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTACHMENT_META}, data FROM penalty_attachments WHERE process_id = $1 AND id = $2"
        )))
        .bind(penalty.0)
        .bind(attachment.0)
        .fetch_one(self.conn())
        .await?;
        Ok(Attachment { meta: decode_meta(&row)?, data: row.try_get("data")? })
    }

    // ----- installments -----

    pub async fn insert_installments(
        &mut self,
        penalty: PenaltyId,
        plan: &[PlannedInstallment],
    ) -> Result<(), StoreError> {
        let of_total = plan.len() as i64;
        for i in plan {
            sqlx::query(
                "INSERT INTO penalty_installments (process_id, seq, of_total, month, amount_centavos, status) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(penalty.0)
            .bind(i64::from(i.seq))
            .bind(of_total)
            .bind(i.month.to_string())
            .bind(i.amount.centavos())
            .bind(InstallmentStatus::Pending.as_str())
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// The installments of a process, in order.
    pub async fn installments(&mut self, penalty: PenaltyId) -> Result<Vec<Installment>, StoreError> {
        let rows = sqlx::query("SELECT * FROM penalty_installments WHERE process_id = $1 ORDER BY seq")
            .bind(penalty.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(decode_installment).collect()
    }

    /// Pending installments due in `month` or before, of processes being
    /// applied (a suspended process's are not due), by process and number.
    pub async fn due_installments(&mut self, month: &str) -> Result<Vec<DueInstallment>, StoreError> {
        let rows = sqlx::query(
            "SELECT i.*, p.number, p.lot_id FROM penalty_installments i \
             JOIN penalty_processes p ON p.id = i.process_id \
             WHERE i.status = 'pending' AND i.month <= $1 AND p.status = 'applied' ORDER BY i.process_id, i.seq",
        )
        .bind(month)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DueInstallment {
                    installment: decode_installment(r)?,
                    number: r.try_get("number")?,
                    lot_id: LotId(r.try_get("lot_id")?),
                })
            })
            .collect()
    }

    pub async fn mark_installment_applied(
        &mut self,
        id: InstallmentId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE penalty_installments SET status = 'applied', applied_at = $1 WHERE id = $2 AND status = 'pending'",
        )
        .bind(now.timestamp())
        .bind(id.0)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Moves a pending installment to `month`; `postponed` counts it as a
    /// postponement (its lot had no charge), otherwise it is a reschedule.
    pub async fn move_installment(
        &mut self,
        id: InstallmentId,
        month: &str,
        postponed: bool,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE penalty_installments SET month = $1, postponements = postponements + $2 \
             WHERE id = $3 AND status = 'pending'",
        )
        .bind(month)
        .bind(i64::from(postponed))
        .bind(id.0)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}
