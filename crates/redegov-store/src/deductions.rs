//! Deduction lines of the billing reports (migration 0008): the parts of a
//! fine's installments and the credits of upheld disputes, one row per
//! agency × bearing operator, applied in a month. Rows are only inserted:
//! there is no UPDATE or DELETE, so a closed month's deductions never change.

use crate::inventory::id;
use crate::query::{Filter, MAX_ROWS_PER_INSERT, Value, push_placeholders};
use crate::{StoreError, Tx};
use redegov_domain::billing::DeductionKind;
use redegov_domain::ids::*;
use redegov_domain::money::Money;
use redegov_domain::time::{Timestamp, from_epoch};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A deduction part to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeduction {
    /// `YYYY-MM`: the month whose billing report carries it.
    pub month: String,
    pub agency_id: AgencyId,
    pub lot_id: LotId,
    /// The operator bearing this part (a consortium's member).
    pub operator_id: OperatorId,
    pub kind: DeductionKind,
    /// The installment's or the dispute's id.
    pub source_id: i64,
    pub description: String,
    /// Positive.
    pub amount: Money,
}

/// A stored deduction part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deduction {
    pub id: DeductionId,
    pub deduction: NewDeduction,
    pub created_at: Timestamp,
}

fn decode(r: &AnyRow) -> Result<Deduction, StoreError> {
    let kind: String = r.try_get("kind")?;
    Ok(Deduction {
        id: DeductionId(id(r)?),
        deduction: NewDeduction {
            month: r.try_get("month")?,
            agency_id: AgencyId(r.try_get("agency_id")?),
            lot_id: LotId(r.try_get("lot_id")?),
            operator_id: OperatorId(r.try_get("operator_id")?),
            kind: DeductionKind::from_code(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("billing_deductions.kind {kind:?}")))?,
            source_id: r.try_get("source_id")?,
            description: r.try_get("description")?,
            amount: Money::from_centavos(r.try_get("amount_centavos")?),
        },
        created_at: from_epoch(r.try_get("created_at")?),
    })
}

/// Which deductions to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeductionFilter {
    pub month: Option<String>,
    pub agency_id: Option<AgencyId>,
    pub lot_id: Option<LotId>,
    pub operator_id: Option<OperatorId>,
    /// `(kind, source id)`: the parts of one installment or dispute.
    pub source: Option<(DeductionKind, i64)>,
}

impl Tx {
    /// Inserts deduction parts, several rows per statement.
    pub async fn insert_deductions(
        &mut self,
        rows: &[NewDeduction],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(MAX_ROWS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO billing_deductions (month, agency_id, lot_id, operator_id, kind, source_id, \
                 description, amount_centavos, created_at) VALUES ",
            );
            push_placeholders(&mut sql, chunk.len(), 9);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for d in chunk {
                q = q
                    .bind(d.month.clone())
                    .bind(d.agency_id.0)
                    .bind(d.lot_id.0)
                    .bind(d.operator_id.0)
                    .bind(d.kind.code())
                    .bind(d.source_id)
                    .bind(d.description.clone())
                    .bind(d.amount.centavos())
                    .bind(now.timestamp());
            }
            q.execute(self.conn()).await?;
        }
        Ok(())
    }

    /// Deduction parts matching `f`, in insertion order.
    pub async fn deductions(&mut self, f: &DeductionFilter) -> Result<Vec<Deduction>, StoreError> {
        let mut q = Filter::default();
        if let Some(month) = &f.month {
            q.push("month = {}", Value::Text(month.clone()));
        }
        q.int("agency_id = {}", f.agency_id.map(|a| a.0));
        q.int("lot_id = {}", f.lot_id.map(|l| l.0));
        q.int("operator_id = {}", f.operator_id.map(|o| o.0));
        if let Some((kind, source)) = f.source {
            q.push("kind = {}", Value::Text(kind.code().into()));
            q.int("source_id = {}", Some(source));
        }
        let rows = q
            .query(format!("SELECT * FROM billing_deductions{} ORDER BY id", q.where_sql()))
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(decode).collect()
    }
}
