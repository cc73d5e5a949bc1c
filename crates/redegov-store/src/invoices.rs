//! Operators' invoices, their stored reconciliation, and disputes
//! (migration 0010). Saves and loads only: which lines are valid, what a
//! flag is and which transition a dispute may take are the domain's.
//!
//! An invoice of ten thousand lines is written in a few multi-row
//! statements (lines and flags), sized per backend like the closing's, and
//! read back in one query per table; lists are paged, scoped by the
//! caller's filter (an operator's own invoices and its consortia's).

use crate::inventory::{count_of, id};
use crate::query::{Filter, Page, Value, push_placeholders};
use crate::{Backend, StoreError, Tx, code, date, opt_time};
use redegov_domain::ids::*;
use redegov_domain::inventory::LotHolder;
use redegov_domain::invoice::{
    DisputeStatus, Flag, FlagKind, InvoiceLine, InvoiceStatus, InvoiceTotals, LineKind, holder_code,
};
use redegov_domain::money::Money;
use redegov_domain::time::{Timestamp, from_epoch};
use sqlx::Row;
use sqlx::any::AnyRow;

/// An invoice to store, with its reconciliation's totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    pub agency_id: AgencyId,
    pub holder: LotHolder,
    /// `YYYY-MM`.
    pub month: String,
    pub number: String,
    pub issued_on: chrono::NaiveDate,
    pub totals: InvoiceTotals,
    pub uploaded_by: Option<UserId>,
}

/// A stored invoice (header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRecord {
    pub id: InvoiceId,
    pub agency_id: AgencyId,
    pub agency_name: String,
    pub holder: LotHolder,
    pub month: String,
    pub number: String,
    pub issued_on: chrono::NaiveDate,
    pub status: InvoiceStatus,
    pub line_count: i64,
    pub totals: InvoiceTotals,
    /// Flags of the reconciliation, informational ones included.
    pub flag_count: i64,
    pub uploaded_by: Option<UserId>,
    pub uploaded_at: Timestamp,
    pub approved_by: Option<UserId>,
    pub approved_at: Option<Timestamp>,
}

/// A line to store: the domain's line and the lot of its access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoiceLine {
    pub line: InvoiceLine,
    pub lot_id: Option<LotId>,
}

/// A stored line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLineRecord {
    pub id: InvoiceLineId,
    pub lot_id: Option<LotId>,
    pub line: InvoiceLine,
}

/// Which invoices to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    pub agency_id: Option<AgencyId>,
    /// Invoices of this operator, alone or as a consortium's member.
    pub operator_id: Option<OperatorId>,
    pub holder: Option<LotHolder>,
    pub month: Option<String>,
    pub status: Option<InvoiceStatus>,
}

/// A dispute to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDispute {
    pub invoice_id: InvoiceId,
    pub agency_id: AgencyId,
    pub holder: LotHolder,
    pub month: String,
    pub reason: String,
    pub contested: Money,
    pub opened_by: Option<UserId>,
    /// `(invoice line, contested amount)`.
    pub lines: Vec<(InvoiceLineId, Money)>,
}

/// A stored dispute.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DisputeRecord {
    pub id: DisputeId,
    pub invoice_id: InvoiceId,
    pub invoice_number: String,
    pub agency_id: AgencyId,
    #[serde(serialize_with = "ser_holder")]
    pub holder: LotHolder,
    pub month: String,
    #[serde(serialize_with = "ser_status")]
    pub status: DisputeStatus,
    pub reason: String,
    pub contested: Money,
    pub opened_by: Option<UserId>,
    pub opened_at: Timestamp,
    pub answer: String,
    pub answered_by: Option<UserId>,
    pub answered_at: Option<Timestamp>,
    pub grounds: String,
    pub resolved_by: Option<UserId>,
    pub resolved_at: Option<Timestamp>,
    pub credit_month: Option<String>,
}

fn ser_holder<S: serde::Serializer>(h: &LotHolder, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&holder_code(*h))
}

fn ser_status<S: serde::Serializer>(st: &DisputeStatus, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(st.code())
}

/// A contested line, with what it contests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DisputeLineRecord {
    pub invoice_line_id: InvoiceLineId,
    pub line_no: i64,
    pub kind: String,
    pub access_id: Option<AccessId>,
    pub lot_id: Option<LotId>,
    pub amount: Money,
    pub contested: Money,
}

/// Which disputes to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisputeFilter {
    pub status: Option<DisputeStatus>,
    pub agency_id: Option<AgencyId>,
    /// Disputes of this operator's invoices, alone or in a consortium.
    pub operator_id: Option<OperatorId>,
    pub holder: Option<LotHolder>,
    pub month: Option<String>,
    pub invoice_id: Option<InvoiceId>,
    /// Oldest first (by opening); newest first otherwise.
    pub oldest_first: bool,
}

/// A step of a dispute to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisputeStep {
    Answer { text: String },
    Resolve { status: DisputeStatus, grounds: String, credit_month: Option<String> },
}

fn holder_ids(h: LotHolder) -> (Option<i64>, Option<i64>) {
    match h {
        LotHolder::Operator(o) => (Some(o.0), None),
        LotHolder::Consortium(c) => (None, Some(c.0)),
    }
}

fn decode_holder(r: &AnyRow) -> Result<LotHolder, StoreError> {
    let op: Option<i64> = r.try_get("operator_id")?;
    let cons: Option<i64> = r.try_get("consortium_id")?;
    match (op, cons) {
        (Some(o), None) => Ok(LotHolder::Operator(OperatorId(o))),
        (None, Some(c)) => Ok(LotHolder::Consortium(ConsortiumId(c))),
        _ => Err(StoreError::Corrupt("invoice holder: one of operator_id, consortium_id".into())),
    }
}

fn money(r: &AnyRow, col: &str) -> Result<Money, StoreError> {
    Ok(Money::from_centavos(r.try_get(col)?))
}

fn user(r: &AnyRow, col: &str) -> Result<Option<UserId>, StoreError> {
    Ok(r.try_get::<Option<i64>, _>(col)?.map(UserId))
}

fn decode_invoice(r: &AnyRow) -> Result<InvoiceRecord, StoreError> {
    Ok(InvoiceRecord {
        id: InvoiceId(id(r)?),
        agency_id: AgencyId(r.try_get("agency_id")?),
        agency_name: r.try_get("agency_name")?,
        holder: decode_holder(r)?,
        month: r.try_get("month")?,
        number: r.try_get("number")?,
        issued_on: date(r, "issued_on")?,
        status: code(r, "status", InvoiceStatus::parse)?,
        line_count: r.try_get("line_count")?,
        totals: InvoiceTotals {
            services: money(r, "services_centavos")?,
            discounts: money(r, "discounts_centavos")?,
            penalties: money(r, "penalties_centavos")?,
            other: money(r, "other_centavos")?,
            total: money(r, "total_centavos")?,
            report_net: money(r, "report_net_centavos")?,
            difference: money(r, "difference_centavos")?,
        },
        flag_count: r.try_get("flag_count")?,
        uploaded_by: user(r, "uploaded_by")?,
        uploaded_at: from_epoch(r.try_get("uploaded_at")?),
        approved_by: user(r, "approved_by")?,
        approved_at: opt_time(r, "approved_at")?,
    })
}

fn decode_line(r: &AnyRow) -> Result<InvoiceLineRecord, StoreError> {
    Ok(InvoiceLineRecord {
        id: InvoiceLineId(id(r)?),
        lot_id: r.try_get::<Option<i64>, _>("lot_id")?.map(LotId),
        line: InvoiceLine {
            line_no: r.try_get("line_no")?,
            kind: code(r, "kind", LineKind::parse)?,
            access_id: r.try_get::<Option<i64>, _>("access_id")?.map(AccessId),
            reference: r.try_get("reference")?,
            description: r.try_get("description")?,
            amount: money(r, "amount_centavos")?,
        },
    })
}

fn decode_flag(r: &AnyRow) -> Result<Flag, StoreError> {
    let kind: String = r.try_get("kind")?;
    let line_nos: String = r.try_get("line_nos")?;
    Ok(Flag {
        kind: FlagKind::from_code(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("invoice_flags.kind {kind:?}")))?,
        access_id: r.try_get::<Option<i64>, _>("access_id")?.map(AccessId),
        line_nos: line_nos
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().map_err(|_| StoreError::Corrupt(format!("invoice_flags.line_nos {line_nos:?}")))
            })
            .collect::<Result<_, _>>()?,
        expected: money(r, "expected_centavos")?,
        invoiced: money(r, "invoiced_centavos")?,
        note: r.try_get("note")?,
    })
}

fn decode_dispute(r: &AnyRow) -> Result<DisputeRecord, StoreError> {
    Ok(DisputeRecord {
        id: DisputeId(id(r)?),
        invoice_id: InvoiceId(r.try_get("invoice_id")?),
        invoice_number: r.try_get("invoice_number")?,
        agency_id: AgencyId(r.try_get("agency_id")?),
        holder: decode_holder(r)?,
        month: r.try_get("month")?,
        status: code(r, "status", DisputeStatus::parse)?,
        reason: r.try_get("reason")?,
        contested: money(r, "contested_centavos")?,
        opened_by: user(r, "opened_by")?,
        opened_at: from_epoch(r.try_get("opened_at")?),
        answer: r.try_get("answer")?,
        answered_by: user(r, "answered_by")?,
        answered_at: opt_time(r, "answered_at")?,
        grounds: r.try_get("grounds")?,
        resolved_by: user(r, "resolved_by")?,
        resolved_at: opt_time(r, "resolved_at")?,
        credit_month: r.try_get("credit_month")?,
    })
}

/// Rows per multi-row `INSERT` of `columns` columns: the closing's
/// measured statement sizes (300 bound parameters on SQLite, 1,500 on
/// PostgreSQL; `closing::rows_per_insert`), since an invoice writes
/// thousands of lines at once too.
fn rows_per_insert(backend: Backend, columns: usize) -> usize {
    let params = match backend {
        Backend::Sqlite => 300,
        Backend::Postgres => 1_500,
    };
    (params / columns).max(1)
}

/// The holder, scope and filter conditions shared by both lists, on a
/// table aliased `t` with `agency_id`, `holder`, `operator_id`,
/// `consortium_id` and `month` columns.
fn holder_conditions(
    q: &mut Filter,
    agency: Option<AgencyId>,
    operator: Option<OperatorId>,
    holder: Option<LotHolder>,
    month: &Option<String>,
) {
    q.int("t.agency_id = {}", agency.map(|a| a.0));
    if let Some(op) = operator {
        let a = q.bind(Value::Int(op.0));
        let b = q.bind(Value::Int(op.0));
        q.push_raw(format!(
            "(t.operator_id = {a} OR t.consortium_id IN \
             (SELECT consortium_id FROM consortium_members WHERE operator_id = {b}))"
        ));
    }
    q.text("t.holder = {}", holder.map(holder_code).as_deref());
    q.text("t.month = {}", month.as_deref());
}

const INVOICE_SELECT: &str =
    "SELECT t.*, g.name AS agency_name FROM invoices t JOIN agencies g ON g.id = t.agency_id";
const DISPUTE_SELECT: &str =
    "SELECT t.*, i.number AS invoice_number FROM disputes t JOIN invoices i ON i.id = t.invoice_id";

impl Tx {
    /// Stores an invoice with its lines and its reconciliation's flags, in
    /// multi-row statements. A second invoice with the same holder and
    /// number is a conflict on `number`.
    pub async fn insert_invoice(
        &mut self,
        new: &NewInvoice,
        lines: &[NewInvoiceLine],
        flags: &[Flag],
        now: Timestamp,
    ) -> Result<InvoiceId, StoreError> {
        let (op, cons) = holder_ids(new.holder);
        let t = &new.totals;
        let row = sqlx::query(
            "INSERT INTO invoices (agency_id, holder, operator_id, consortium_id, month, number, issued_on, \
             status, line_count, services_centavos, discounts_centavos, penalties_centavos, other_centavos, \
             total_centavos, report_net_centavos, difference_centavos, flag_count, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
             RETURNING id",
        )
        .bind(new.agency_id.0)
        .bind(holder_code(new.holder))
        .bind(op)
        .bind(cons)
        .bind(&new.month)
        .bind(&new.number)
        .bind(new.issued_on.format("%Y-%m-%d").to_string())
        .bind(InvoiceStatus::Received.code())
        .bind(lines.len() as i64)
        .bind(t.services.centavos())
        .bind(t.discounts.centavos())
        .bind(t.penalties.centavos())
        .bind(t.other.centavos())
        .bind(t.total.centavos())
        .bind(t.report_net.centavos())
        .bind(t.difference.centavos())
        .bind(flags.len() as i64)
        .bind(new.uploaded_by.map(|u| u.0))
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        let invoice = id(&row)?;
        const LINE_COLUMNS: usize = 8;
        for chunk in lines.chunks(rows_per_insert(self.backend(), LINE_COLUMNS)) {
            let mut sql = String::from(
                "INSERT INTO invoice_lines (invoice_id, line_no, kind, access_id, lot_id, reference, \
                 description, amount_centavos) VALUES ",
            );
            push_placeholders(&mut sql, chunk.len(), LINE_COLUMNS);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for l in chunk {
                q = q
                    .bind(invoice)
                    .bind(l.line.line_no)
                    .bind(l.line.kind.code())
                    .bind(l.line.access_id.map(|a| a.0))
                    .bind(l.lot_id.map(|x| x.0))
                    .bind(l.line.reference.clone())
                    .bind(l.line.description.clone())
                    .bind(l.line.amount.centavos());
            }
            q.execute(self.conn()).await?;
        }
        const FLAG_COLUMNS: usize = 7;
        for chunk in flags.chunks(rows_per_insert(self.backend(), FLAG_COLUMNS)) {
            let mut sql = String::from(
                "INSERT INTO invoice_flags (invoice_id, kind, access_id, line_nos, expected_centavos, \
                 invoiced_centavos, note) VALUES ",
            );
            push_placeholders(&mut sql, chunk.len(), FLAG_COLUMNS);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for f in chunk {
                let line_nos: Vec<String> = f.line_nos.iter().map(|n| n.to_string()).collect();
                q = q
                    .bind(invoice)
                    .bind(f.kind.code())
                    .bind(f.access_id.map(|a| a.0))
                    .bind(line_nos.join(","))
                    .bind(f.expected.centavos())
                    .bind(f.invoiced.centavos())
                    .bind(f.note.clone());
            }
            q.execute(self.conn()).await?;
        }
        Ok(InvoiceId(invoice))
    }

    /// Whether the holder already has an invoice numbered `number`.
    pub async fn invoice_number_taken(
        &mut self,
        holder: LotHolder,
        number: &str,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM invoices WHERE holder = $1 AND number = $2")
            .bind(holder_code(holder))
            .bind(number)
            .fetch_one(self.conn())
            .await?;
        Ok(count_of(&row)? > 0)
    }

    pub async fn invoice(&mut self, id: InvoiceId) -> Result<InvoiceRecord, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{INVOICE_SELECT} WHERE t.id = $1")))
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        decode_invoice(&row)
    }

    /// An invoice's lines, in line order.
    pub async fn invoice_lines(&mut self, id: InvoiceId) -> Result<Vec<InvoiceLineRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no, id")
            .bind(id.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(decode_line).collect()
    }

    /// An invoice's stored flags, in the order the reconciliation gave them.
    pub async fn invoice_flags(&mut self, id: InvoiceId) -> Result<Vec<Flag>, StoreError> {
        let rows = sqlx::query("SELECT * FROM invoice_flags WHERE invoice_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(decode_flag).collect()
    }

    /// Invoices matching `f`, newest upload first.
    pub async fn list_invoices(
        &mut self,
        f: &InvoiceFilter,
        page: Page,
    ) -> Result<crate::inventory::Listed<InvoiceRecord>, StoreError> {
        let mut q = Filter::default();
        holder_conditions(&mut q, f.agency_id, f.operator_id, f.holder, &f.month);
        q.text("t.status = {}", f.status.map(|s| s.code()));
        let count_sql = format!("SELECT COUNT(*) FROM invoices t{}", q.where_sql());
        let total = count_of(&q.query(count_sql).fetch_one(self.conn()).await?)?;
        let where_sql = q.where_sql();
        let page_sql = q.page_sql(page);
        let rows = q
            .query(format!("{INVOICE_SELECT}{where_sql} ORDER BY t.uploaded_at DESC, t.id DESC{page_sql}"))
            .fetch_all(self.conn())
            .await?;
        Ok(crate::inventory::Listed {
            items: rows.iter().map(decode_invoice).collect::<Result<_, _>>()?,
            total,
        })
    }

    /// Marks an invoice approved for payment.
    pub async fn approve_invoice(
        &mut self,
        id: InvoiceId,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE invoices SET status = $1, approved_by = $2, approved_at = $3 WHERE id = $4")
            .bind(InvoiceStatus::Approved.code())
            .bind(by.map(|u| u.0))
            .bind(now.timestamp())
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The accesses of `agency` on lots of `holder`, with their lot: what
    /// an invoice of that agency and holder may bill. One query.
    pub async fn invoice_accesses(
        &mut self,
        agency: AgencyId,
        holder: LotHolder,
    ) -> Result<Vec<(AccessId, LotId)>, StoreError> {
        let (op, cons) = holder_ids(holder);
        let holder_sql = if op.is_some() { "l.operator_id = $2" } else { "l.consortium_id = $2" };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT a.id, a.lot_id FROM accesses a JOIN sites s ON s.id = a.site_id \
             JOIN lots l ON l.id = a.lot_id WHERE s.agency_id = $1 AND {holder_sql} ORDER BY a.id"
        )))
        .bind(agency.0)
        .bind(op.or(cons).unwrap_or(0))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| Ok((AccessId(r.try_get("id")?), LotId(r.try_get("lot_id")?)))).collect()
    }

    /// Stores a dispute and its lines.
    pub async fn insert_dispute(&mut self, d: &NewDispute, now: Timestamp) -> Result<DisputeId, StoreError> {
        let (op, cons) = holder_ids(d.holder);
        let row = sqlx::query(
            "INSERT INTO disputes (invoice_id, agency_id, holder, operator_id, consortium_id, month, status, \
             reason, contested_centavos, opened_by, opened_at, answer, grounds) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', '') RETURNING id",
        )
        .bind(d.invoice_id.0)
        .bind(d.agency_id.0)
        .bind(holder_code(d.holder))
        .bind(op)
        .bind(cons)
        .bind(&d.month)
        .bind(DisputeStatus::Opened.code())
        .bind(&d.reason)
        .bind(d.contested.centavos())
        .bind(d.opened_by.map(|u| u.0))
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        let dispute = id(&row)?;
        for chunk in d.lines.chunks(rows_per_insert(self.backend(), 3)) {
            let mut sql = String::from(
                "INSERT INTO dispute_lines (dispute_id, invoice_line_id, contested_centavos) VALUES ",
            );
            push_placeholders(&mut sql, chunk.len(), 3);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (line, contested) in chunk {
                q = q.bind(dispute).bind(line.0).bind(contested.centavos());
            }
            q.execute(self.conn()).await?;
        }
        Ok(DisputeId(dispute))
    }

    pub async fn dispute(&mut self, id: DisputeId) -> Result<DisputeRecord, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{DISPUTE_SELECT} WHERE t.id = $1")))
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        decode_dispute(&row)
    }

    /// A dispute's contested lines, in the invoice's line order.
    pub async fn dispute_lines(&mut self, id: DisputeId) -> Result<Vec<DisputeLineRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.invoice_line_id, d.contested_centavos, l.line_no, l.kind, l.access_id, l.lot_id, \
             l.amount_centavos FROM dispute_lines d JOIN invoice_lines l ON l.id = d.invoice_line_id \
             WHERE d.dispute_id = $1 ORDER BY l.line_no, d.id",
        )
        .bind(id.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DisputeLineRecord {
                    invoice_line_id: InvoiceLineId(r.try_get("invoice_line_id")?),
                    line_no: r.try_get("line_no")?,
                    kind: r.try_get("kind")?,
                    access_id: r.try_get::<Option<i64>, _>("access_id")?.map(AccessId),
                    lot_id: r.try_get::<Option<i64>, _>("lot_id")?.map(LotId),
                    amount: money(r, "amount_centavos")?,
                    contested: money(r, "contested_centavos")?,
                })
            })
            .collect()
    }

    /// The lines of `invoice` contested by a dispute that is not rejected.
    pub async fn disputed_lines(&mut self, invoice: InvoiceId) -> Result<Vec<InvoiceLineId>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.invoice_line_id FROM dispute_lines d JOIN disputes t ON t.id = d.dispute_id \
             WHERE t.invoice_id = $1 AND t.status <> $2",
        )
        .bind(invoice.0)
        .bind(DisputeStatus::Rejected.code())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| Ok(InvoiceLineId(r.try_get(0)?))).collect()
    }

    /// Disputes matching `f`, newest (or oldest) opening first.
    pub async fn list_disputes(
        &mut self,
        f: &DisputeFilter,
        page: Page,
    ) -> Result<crate::inventory::Listed<DisputeRecord>, StoreError> {
        let mut q = Filter::default();
        holder_conditions(&mut q, f.agency_id, f.operator_id, f.holder, &f.month);
        q.text("t.status = {}", f.status.map(|s| s.code()));
        q.int("t.invoice_id = {}", f.invoice_id.map(|i| i.0));
        let count_sql = format!("SELECT COUNT(*) FROM disputes t{}", q.where_sql());
        let total = count_of(&q.query(count_sql).fetch_one(self.conn()).await?)?;
        let where_sql = q.where_sql();
        let page_sql = q.page_sql(page);
        let order = if f.oldest_first { "t.opened_at, t.id" } else { "t.opened_at DESC, t.id DESC" };
        let rows = q
            .query(format!("{DISPUTE_SELECT}{where_sql} ORDER BY {order}{page_sql}"))
            .fetch_all(self.conn())
            .await?;
        Ok(crate::inventory::Listed {
            items: rows.iter().map(decode_dispute).collect::<Result<_, _>>()?,
            total,
        })
    }

    /// Records a step of a dispute. The status is re-checked on the row
    /// (`from`), so two concurrent steps cannot both apply: the second
    /// changes nothing and gets `NotFound`.
    pub async fn record_dispute_step(
        &mut self,
        id: DisputeId,
        from: DisputeStatus,
        step: &DisputeStep,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let by = by.map(|u| u.0);
        let q = match step {
            DisputeStep::Answer { text } => sqlx::query(
                "UPDATE disputes SET status = $1, answer = $2, answered_by = $3, answered_at = $4 \
                 WHERE id = $5 AND status = $6",
            )
            .bind(DisputeStatus::Answered.code())
            .bind(text.clone()),
            DisputeStep::Resolve { status, grounds, credit_month } => sqlx::query(
                "UPDATE disputes SET status = $1, grounds = $2, resolved_by = $3, resolved_at = $4, \
                 credit_month = $7 WHERE id = $5 AND status = $6",
            )
            .bind(status.code())
            .bind(grounds.clone())
            .bind(by)
            .bind(now.timestamp())
            .bind(id.0)
            .bind(from.code())
            .bind(credit_month.clone()),
        };
        let q = match step {
            DisputeStep::Answer { .. } => q.bind(by).bind(now.timestamp()).bind(id.0).bind(from.code()),
            DisputeStep::Resolve { .. } => q,
        };
        let done = q.execute(self.conn()).await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}
