//! Saving and loading the monthly closing: the inputs the measurement reads
//! (accesses billable in a month), the immutable snapshot of a closed month
//! (header, one line per access, breaches) and adjustment lines. There is no
//! UPDATE or DELETE of a closing here: a closed month never changes.

use crate::incidents::{from_sqlx, into_sqlx};
use crate::inventory::{count_of, decode_access, id, operator_lots_sql};
use crate::query::{Filter, Value, push_placeholders};
use crate::{Backend, StoreError, Tx, code};
use redegov_domain::ids::*;
use redegov_domain::inventory::{Access, Area};
use redegov_domain::measure::Span;
use redegov_domain::money::Money;
use redegov_domain::time::{Timestamp, from_epoch};
use sqlx::Row;
use sqlx::any::AnyRow;

/// An access that was billable at some point of a month, with what the
/// measurement needs beside it (its site's agency and price area).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasuredAccess {
    pub access: Access,
    pub agency_id: AgencyId,
    pub area: Area,
}

/// The header of a closed month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingRecord {
    pub id: i64,
    /// `YYYY-MM`.
    pub month: String,
    pub closed_at: Timestamp,
    pub closed_by: Option<UserId>,
    pub inputs_fingerprint: String,
    pub rules_version: String,
    pub accesses: i64,
    pub charge: Money,
    pub credit: Money,
    pub net: Money,
}

/// The result for one access in one month (stored for a closed month,
/// computed for a preview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingLine {
    pub access_id: AccessId,
    pub agency_id: AgencyId,
    pub lot_id: LotId,
    pub rules_id: Option<RulesId>,
    pub monthly_price: Money,
    pub period_seconds: i64,
    pub billable_seconds: i64,
    pub downtime_seconds: i64,
    pub availability_micro: i64,
    pub target_micro: i64,
    pub charge: Money,
    pub credit: Money,
    pub net: Money,
    /// Proposed penalty for this access's breaches (capped).
    pub penalty: Money,
}

/// One indicator missed in a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingBreach {
    pub access_id: AccessId,
    /// For a repair-time breach, the incident.
    pub incident_id: Option<IncidentId>,
    /// For an order-deadline breach, the service order.
    pub order_id: Option<OrderId>,
    /// `availability`, `order_deadline` or `repair_time`.
    pub kind: String,
    /// Measured availability (micro-percent), repair seconds or days late.
    pub measured: i64,
    /// Target (micro-percent), limit (seconds) or the order's deadline (days).
    pub target: i64,
}

impl ClosingBreach {
    /// The order [`Tx::closing_breaches`] returns breaches in — by access,
    /// kind, then incident or order (none first) — total, since an access
    /// has at most one availability breach, one repair-time breach per
    /// incident and one deadline breach per order. A
    /// computed month sorts by it too, so a preview and its stored snapshot
    /// list breaches alike on both backends.
    pub fn order_key(&self) -> (AccessId, &str, i64) {
        (
            self.access_id,
            self.kind.as_str(),
            self.incident_id.map(|i| i.0).or(self.order_id.map(|o| o.0)).unwrap_or(0),
        )
    }
}

/// Which lines of a month to load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineFilter {
    pub access_id: Option<AccessId>,
    pub agency_id: Option<AgencyId>,
    pub lot_id: Option<LotId>,
    pub operator_id: Option<OperatorId>,
}

/// An adjustment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdjustment {
    pub month: String,
    pub refers_to: String,
    pub access_id: AccessId,
    pub credit: Money,
    pub reason: String,
    pub created_by: Option<UserId>,
}

/// A stored adjustment line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Adjustment {
    pub id: AdjustmentId,
    pub month: String,
    pub refers_to: String,
    pub access_id: AccessId,
    pub credit: Money,
    pub reason: String,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

/// Rows per multi-row `INSERT` of a closing, for a table of `columns`
/// columns. A closing writes a row per access and per breach (hundreds of
/// thousands), so the statement size matters more than for other writes,
/// and the best size differs per backend. sqlx-sqlite binds each parameter
/// through `sqlite3_bind_parameter_name`, a linear scan, so a statement
/// costs the square of its parameters, while small statements pay a round
/// trip to sqlx's worker thread each; PostgreSQL only pays per statement.
/// Measured on the 100,000-access closing (100,000 lines, 196,520 breaches,
/// `close_month_bench`): SQLite wrote in 4.4–4.6 s at 150 parameters per
/// statement, 3.5–4.0 s at 300 and 4.6–4.9 s at 600; PostgreSQL in 14.4 s
/// at 150, 11.5 s at 600 and 11.3 s at 1,500 (far under its 65,535 limit).
fn rows_per_insert(backend: Backend, columns: usize) -> usize {
    let params = match backend {
        Backend::Sqlite => 300,
        Backend::Postgres => 1_500,
    };
    (params / columns).max(1)
}

fn money(r: &AnyRow, col: &str) -> Result<Money, StoreError> {
    Ok(Money::from_centavos(r.try_get(col)?))
}

fn decode_closing(r: &AnyRow) -> Result<ClosingRecord, StoreError> {
    Ok(ClosingRecord {
        id: id(r)?,
        month: r.try_get("month")?,
        closed_at: from_epoch(r.try_get("closed_at")?),
        closed_by: r.try_get::<Option<i64>, _>("closed_by")?.map(UserId),
        inputs_fingerprint: r.try_get("inputs_fingerprint")?,
        rules_version: r.try_get("rules_version")?,
        accesses: r.try_get("accesses")?,
        charge: money(r, "charge_centavos")?,
        credit: money(r, "credit_centavos")?,
        net: money(r, "net_centavos")?,
    })
}

fn decode_line(r: &AnyRow) -> Result<ClosingLine, StoreError> {
    Ok(ClosingLine {
        access_id: AccessId(r.try_get("access_id")?),
        agency_id: AgencyId(r.try_get("agency_id")?),
        lot_id: LotId(r.try_get("lot_id")?),
        rules_id: r.try_get::<Option<i64>, _>("rules_id")?.map(RulesId),
        monthly_price: money(r, "monthly_price_centavos")?,
        period_seconds: r.try_get("period_seconds")?,
        billable_seconds: r.try_get("billable_seconds")?,
        downtime_seconds: r.try_get("downtime_seconds")?,
        availability_micro: r.try_get("availability_micro")?,
        target_micro: r.try_get("target_micro")?,
        charge: money(r, "charge_centavos")?,
        credit: money(r, "credit_centavos")?,
        net: money(r, "net_centavos")?,
        penalty: money(r, "penalty_centavos")?,
    })
}

fn decode_measured_access(r: &AnyRow) -> Result<MeasuredAccess, StoreError> {
    Ok(MeasuredAccess {
        access: decode_access(r)?,
        agency_id: AgencyId(r.try_get("agency_id")?),
        area: code(r, "area", Area::parse)?,
    })
}

fn decode_adjustment(r: &AnyRow) -> Result<Adjustment, StoreError> {
    Ok(Adjustment {
        id: AdjustmentId(id(r)?),
        month: r.try_get("month")?,
        refers_to: r.try_get("refers_to")?,
        access_id: AccessId(r.try_get("access_id")?),
        credit: money(r, "credit_centavos")?,
        reason: r.try_get("reason")?,
        created_by: r.try_get::<Option<i64>, _>("created_by")?.map(UserId),
        created_at: from_epoch(r.try_get("created_at")?),
    })
}

/// Adds the line filter's conditions on a table aliased `c` (with
/// `access_id`, `agency_id`, `lot_id` columns).
fn line_conditions(q: &mut Filter, f: &LineFilter) {
    q.int("c.access_id = {}", f.access_id.map(|a| a.0));
    q.int("c.agency_id = {}", f.agency_id.map(|a| a.0));
    q.int("c.lot_id = {}", f.lot_id.map(|l| l.0));
    if let Some(op) = f.operator_id {
        let lots = operator_lots_sql(q, op);
        q.push_raw(format!("c.lot_id IN ({lots})"));
    }
}

impl Tx {
    /// Accesses billable at some point of `span`: activated before its end
    /// and not deactivated before its start; ordered by id. Rows are decoded
    /// as they arrive (a hundred thousand of them are never held twice).
    pub async fn accesses_billable_in(&mut self, span: Span) -> Result<Vec<MeasuredAccess>, StoreError> {
        sqlx::query(
            "SELECT a.*, s.agency_id, s.area FROM accesses a JOIN sites s ON s.id = a.site_id \
             WHERE a.activated_at IS NOT NULL AND a.activated_at < $1 \
             AND (a.deactivated_at IS NULL OR a.deactivated_at > $2) ORDER BY a.id",
        )
        .bind(span.end)
        .bind(span.start)
        .try_map(|r: AnyRow| decode_measured_access(&r).map_err(into_sqlx))
        .fetch_all(self.conn())
        .await
        .map_err(from_sqlx)
    }

    /// The closing of `month` (`YYYY-MM`), if the month is closed.
    pub async fn closing(&mut self, month: &str) -> Result<Option<ClosingRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM month_closings WHERE month = $1")
            .bind(month)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(decode_closing).transpose()
    }

    /// Every closed month, newest first.
    pub async fn list_closings(&mut self) -> Result<Vec<ClosingRecord>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM month_closings ORDER BY month DESC").fetch_all(self.conn()).await?;
        rows.iter().map(decode_closing).collect()
    }

    /// Stores a closed month: header, lines and breaches. The month's
    /// uniqueness makes a second closing fail with a conflict.
    pub async fn insert_closing(
        &mut self,
        c: &ClosingRecord,
        lines: &[ClosingLine],
        breaches: &[ClosingBreach],
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO month_closings (month, closed_at, closed_by, inputs_fingerprint, rules_version, \
             accesses, charge_centavos, credit_centavos, net_centavos) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(&c.month)
        .bind(c.closed_at.timestamp())
        .bind(c.closed_by.map(|u| u.0))
        .bind(&c.inputs_fingerprint)
        .bind(&c.rules_version)
        .bind(c.accesses)
        .bind(c.charge.centavos())
        .bind(c.credit.centavos())
        .bind(c.net.centavos())
        .fetch_one(self.conn())
        .await?;
        let closing_id = id(&row)?;
        const LINE_COLUMNS: usize = 15;
        for chunk in lines.chunks(rows_per_insert(self.backend(), LINE_COLUMNS)) {
            let mut sql = String::from(
                "INSERT INTO closing_lines (closing_id, access_id, agency_id, lot_id, rules_id, \
                 monthly_price_centavos, period_seconds, billable_seconds, downtime_seconds, \
                 availability_micro, target_micro, charge_centavos, credit_centavos, net_centavos, \
                 penalty_centavos) VALUES ",
            );
            push_placeholders(&mut sql, chunk.len(), LINE_COLUMNS);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for l in chunk {
                q = q
                    .bind(closing_id)
                    .bind(l.access_id.0)
                    .bind(l.agency_id.0)
                    .bind(l.lot_id.0)
                    .bind(l.rules_id.map(|r| r.0))
                    .bind(l.monthly_price.centavos())
                    .bind(l.period_seconds)
                    .bind(l.billable_seconds)
                    .bind(l.downtime_seconds)
                    .bind(l.availability_micro)
                    .bind(l.target_micro)
                    .bind(l.charge.centavos())
                    .bind(l.credit.centavos())
                    .bind(l.net.centavos())
                    .bind(l.penalty.centavos());
            }
            q.execute(self.conn()).await?;
        }
        const BREACH_COLUMNS: usize = 7;
        for chunk in breaches.chunks(rows_per_insert(self.backend(), BREACH_COLUMNS)) {
            let mut sql = String::from(
                "INSERT INTO closing_breaches (closing_id, access_id, incident_id, order_id, kind, measured, target) \
                 VALUES ",
            );
            push_placeholders(&mut sql, chunk.len(), BREACH_COLUMNS);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for b in chunk {
                q = q
                    .bind(closing_id)
                    .bind(b.access_id.0)
                    .bind(b.incident_id.map(|i| i.0))
                    .bind(b.order_id.map(|o| o.0))
                    .bind(b.kind.clone())
                    .bind(b.measured)
                    .bind(b.target);
            }
            q.execute(self.conn()).await?;
        }
        Ok(closing_id)
    }

    /// The stored lines of a closing, ordered by access.
    pub async fn closing_lines(
        &mut self,
        closing_id: i64,
        f: &LineFilter,
    ) -> Result<Vec<ClosingLine>, StoreError> {
        let mut q = Filter::default();
        q.push("c.closing_id = {}", Value::Int(closing_id));
        line_conditions(&mut q, f);
        let rows = q
            .query(format!("SELECT c.* FROM closing_lines c{} ORDER BY c.access_id", q.where_sql()))
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(decode_line).collect()
    }

    /// The stored breaches of a closing, in [`ClosingBreach::order_key`]
    /// order. (`COALESCE` because the backends disagree on where NULLs
    /// sort.)
    pub async fn closing_breaches(
        &mut self,
        closing_id: i64,
        f: &LineFilter,
    ) -> Result<Vec<ClosingBreach>, StoreError> {
        let mut q = Filter::default();
        q.push("b.closing_id = {}", Value::Int(closing_id));
        q.push_raw("c.closing_id = b.closing_id AND c.access_id = b.access_id".into());
        line_conditions(&mut q, f);
        let rows = q
            .query(format!(
                "SELECT b.* FROM closing_breaches b, closing_lines c{} ORDER BY b.access_id, b.kind, COALESCE(b.incident_id, b.order_id, 0)",
                q.where_sql()
            ))
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ClosingBreach {
                    access_id: AccessId(r.try_get("access_id")?),
                    incident_id: r.try_get::<Option<i64>, _>("incident_id")?.map(IncidentId),
                    order_id: r.try_get::<Option<i64>, _>("order_id")?.map(OrderId),
                    kind: r.try_get("kind")?,
                    measured: r.try_get("measured")?,
                    target: r.try_get("target")?,
                })
            })
            .collect()
    }

    pub async fn insert_adjustment(
        &mut self,
        a: &NewAdjustment,
        now: Timestamp,
    ) -> Result<Adjustment, StoreError> {
        let row = sqlx::query(
            "INSERT INTO adjustments (month, refers_to, access_id, credit_centavos, reason, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&a.month)
        .bind(&a.refers_to)
        .bind(a.access_id.0)
        .bind(a.credit.centavos())
        .bind(&a.reason)
        .bind(a.created_by.map(|u| u.0))
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(Adjustment {
            id: AdjustmentId(id(&row)?),
            month: a.month.clone(),
            refers_to: a.refers_to.clone(),
            access_id: a.access_id,
            credit: a.credit,
            reason: a.reason.clone(),
            created_by: a.created_by,
            created_at: now,
        })
    }

    /// Adjustments applied in `month`, for accesses matching `f`.
    pub async fn adjustments(&mut self, month: &str, f: &LineFilter) -> Result<Vec<Adjustment>, StoreError> {
        let mut q = Filter::default();
        q.push("j.month = {}", Value::Text(month.into()));
        q.push_raw("c.id = j.access_id AND st.id = c.site_id".into());
        q.int("j.access_id = {}", f.access_id.map(|a| a.0));
        q.int("st.agency_id = {}", f.agency_id.map(|a| a.0));
        q.int("c.lot_id = {}", f.lot_id.map(|l| l.0));
        if let Some(op) = f.operator_id {
            let lots = operator_lots_sql(&mut q, op);
            q.push_raw(format!("c.lot_id IN ({lots})"));
        }
        let rows = q
            .query(format!(
                "SELECT j.* FROM adjustments j, accesses c, sites st{} ORDER BY j.id",
                q.where_sql()
            ))
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(decode_adjustment).collect()
    }

    /// Number of closed months (for dashboards and tests).
    pub async fn count_closings(&mut self) -> Result<i64, StoreError> {
        count_of(&sqlx::query("SELECT COUNT(*) FROM month_closings").fetch_one(self.conn()).await?)
    }
}
