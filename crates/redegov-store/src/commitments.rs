//! Budget commitments (empenhos), lot ceilings, the balance settings, and
//! the closed months' net consumption per agency, lot and month that the
//! contract balance is computed from (migration 0011). An annulled
//! commitment keeps its row (`cancelled_at`) and stops counting.

use crate::inventory::id;
use crate::query::Filter;
use crate::{StoreError, Tx};
use redegov_domain::commitment::{BalanceSettings, Consumption, NewCommitment};
use redegov_domain::ids::*;
use redegov_domain::money::Money;
use redegov_domain::time::{Timestamp, from_epoch};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

/// A stored commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentRecord {
    pub id: CommitmentId,
    pub agency_id: AgencyId,
    pub lot_id: LotId,
    pub number: String,
    pub fiscal_year: i32,
    pub amount: Money,
    pub notes: String,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    /// When it was annulled, by whom and why.
    pub cancelled: Option<(Timestamp, Option<UserId>, String)>,
}

/// Which commitments to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitmentFilter {
    pub agency_id: Option<AgencyId>,
    pub lot_id: Option<LotId>,
    pub fiscal_year: Option<i32>,
    /// Leave out annulled commitments.
    pub active_only: bool,
}

fn decode(r: &AnyRow) -> Result<CommitmentRecord, StoreError> {
    let year: i64 = r.try_get("fiscal_year")?;
    let cancelled_at: Option<i64> = r.try_get("cancelled_at")?;
    Ok(CommitmentRecord {
        id: CommitmentId(id(r)?),
        agency_id: AgencyId(r.try_get("agency_id")?),
        lot_id: LotId(r.try_get("lot_id")?),
        number: r.try_get("number")?,
        fiscal_year: i32::try_from(year).map_err(|_| StoreError::Corrupt(format!("fiscal_year {year}")))?,
        amount: Money::from_centavos(r.try_get("amount_centavos")?),
        notes: r.try_get("notes")?,
        created_by: r.try_get::<Option<i64>, _>("created_by")?.map(UserId),
        created_at: from_epoch(r.try_get("created_at")?),
        cancelled: match cancelled_at {
            Some(at) => Some((
                from_epoch(at),
                r.try_get::<Option<i64>, _>("cancelled_by")?.map(UserId),
                r.try_get::<Option<String>, _>("cancel_reason")?.unwrap_or_default(),
            )),
            None => None,
        },
    })
}

/// The first and last month (`YYYY-MM`) of a fiscal year, for range filters
/// on month text.
fn year_months(year: i32) -> (String, String) {
    (format!("{year:04}-01"), format!("{year:04}-12"))
}

impl Tx {
    pub async fn insert_commitment(
        &mut self,
        c: &NewCommitment,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<CommitmentRecord, StoreError> {
        let row = sqlx::query(
            "INSERT INTO commitments (agency_id, lot_id, number, fiscal_year, amount_centavos, notes, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(c.agency_id)
        .bind(c.lot_id)
        .bind(c.number.clone())
        .bind(i64::from(c.fiscal_year))
        .bind(c.amount.centavos())
        .bind(c.notes.clone())
        .bind(by.map(|u| u.0))
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        self.commitment(CommitmentId(id(&row)?)).await
    }

    pub async fn commitment(&mut self, id: CommitmentId) -> Result<CommitmentRecord, StoreError> {
        let row =
            sqlx::query("SELECT * FROM commitments WHERE id = $1").bind(id.0).fetch_one(self.conn()).await?;
        decode(&row)
    }

    /// Commitments matching `f`, by fiscal year, agency and number.
    pub async fn commitments(&mut self, f: &CommitmentFilter) -> Result<Vec<CommitmentRecord>, StoreError> {
        let mut q = Filter::default();
        q.int("agency_id = {}", f.agency_id.map(|a| a.0));
        q.int("lot_id = {}", f.lot_id.map(|l| l.0));
        q.int("fiscal_year = {}", f.fiscal_year.map(i64::from));
        if f.active_only {
            q.push_raw("cancelled_at IS NULL".into());
        }
        let rows = q
            .query(format!(
                "SELECT * FROM commitments{} ORDER BY fiscal_year, agency_id, number, id",
                q.where_sql()
            ))
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(decode).collect()
    }

    /// Annuls a commitment; `NotFound` if it is absent or already annulled.
    pub async fn cancel_commitment(
        &mut self,
        id: CommitmentId,
        by: Option<UserId>,
        reason: &str,
        now: Timestamp,
    ) -> Result<CommitmentRecord, StoreError> {
        let done = sqlx::query(
            "UPDATE commitments SET cancelled_at = $1, cancelled_by = $2, cancel_reason = $3 \
             WHERE id = $4 AND cancelled_at IS NULL",
        )
        .bind(now.timestamp())
        .bind(by.map(|u| u.0))
        .bind(reason.to_string())
        .bind(id.0)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.commitment(id).await
    }

    /// The closed months' net consumption of a fiscal year per agency, lot
    /// and month: the closing lines' nets, minus the adjustments and the
    /// deductions applied in those months.
    pub async fn consumption(&mut self, fiscal_year: i32) -> Result<Vec<Consumption>, StoreError> {
        let (first, last) = year_months(fiscal_year);
        let mut net: BTreeMap<(i64, i64, String), i64> = BTreeMap::new();
        let statements = [
            (
                1,
                "SELECT mc.month AS month, cl.agency_id AS agency_id, cl.lot_id AS lot_id, \
                 CAST(SUM(cl.net_centavos) AS BIGINT) AS amount \
                 FROM closing_lines cl JOIN month_closings mc ON mc.id = cl.closing_id \
                 WHERE mc.month >= $1 AND mc.month <= $2 GROUP BY mc.month, cl.agency_id, cl.lot_id",
            ),
            (
                -1,
                "SELECT j.month AS month, st.agency_id AS agency_id, c.lot_id AS lot_id, \
                 CAST(SUM(j.credit_centavos) AS BIGINT) AS amount \
                 FROM adjustments j JOIN accesses c ON c.id = j.access_id JOIN sites st ON st.id = c.site_id \
                 JOIN month_closings mc ON mc.month = j.month \
                 WHERE j.month >= $1 AND j.month <= $2 GROUP BY j.month, st.agency_id, c.lot_id",
            ),
            (
                -1,
                "SELECT d.month AS month, d.agency_id AS agency_id, d.lot_id AS lot_id, \
                 CAST(SUM(d.amount_centavos) AS BIGINT) AS amount \
                 FROM billing_deductions d JOIN month_closings mc ON mc.month = d.month \
                 WHERE d.month >= $1 AND d.month <= $2 GROUP BY d.month, d.agency_id, d.lot_id",
            ),
        ];
        for (sign, sql) in statements {
            let rows = sqlx::query(sql).bind(first.clone()).bind(last.clone()).fetch_all(self.conn()).await?;
            for r in rows {
                let key = (r.try_get("agency_id")?, r.try_get("lot_id")?, r.try_get("month")?);
                *net.entry(key).or_default() += sign * r.try_get::<i64, _>("amount")?;
            }
        }
        Ok(net
            .into_iter()
            .map(|((agency_id, lot_id, month), amount)| Consumption {
                agency_id,
                lot_id,
                month,
                net: Money::from_centavos(amount),
            })
            .collect())
    }

    /// Every lot's own ceiling, where one is set.
    pub async fn lot_ceilings(&mut self) -> Result<BTreeMap<LotId, Money>, StoreError> {
        let rows =
            sqlx::query("SELECT lot_id, ceiling_centavos FROM lot_ceilings").fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| Ok((LotId(r.try_get("lot_id")?), Money::from_centavos(r.try_get("ceiling_centavos")?))))
            .collect()
    }

    /// Sets (`Some`) or removes (`None`) a lot's ceiling.
    pub async fn put_lot_ceiling(
        &mut self,
        lot: LotId,
        ceiling: Option<Money>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        match ceiling {
            Some(c) => {
                sqlx::query(
                    "INSERT INTO lot_ceilings (lot_id, ceiling_centavos, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (lot_id) DO UPDATE SET ceiling_centavos = excluded.ceiling_centavos, \
                     updated_at = excluded.updated_at",
                )
                .bind(lot.0)
                .bind(c.centavos())
                .bind(now.timestamp())
                .execute(self.conn())
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM lot_ceilings WHERE lot_id = $1")
                    .bind(lot.0)
                    .execute(self.conn())
                    .await?;
            }
        }
        Ok(())
    }

    /// The balance settings; the default until someone sets them.
    pub async fn balance_settings(&mut self) -> Result<BalanceSettings, StoreError> {
        let row = sqlx::query("SELECT warn_basis_points FROM balance_settings WHERE id = 1")
            .fetch_optional(self.conn())
            .await?;
        Ok(match row {
            Some(r) => BalanceSettings { warn_basis_points: r.try_get("warn_basis_points")? },
            None => BalanceSettings::default(),
        })
    }

    pub async fn put_balance_settings(
        &mut self,
        s: BalanceSettings,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO balance_settings (id, warn_basis_points, updated_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET warn_basis_points = excluded.warn_basis_points, \
             updated_at = excluded.updated_at",
        )
        .bind(s.warn_basis_points)
        .bind(now.timestamp())
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
