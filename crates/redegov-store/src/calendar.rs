//! Saving and loading the calendar's settings (one row: the network's state
//! and whether Carnival and Corpus Christi are holidays) and the holidays
//! kept as data: a municipality's, or extra ones for the whole network
//! (`municipality_ibge` NULL). Which calendar applies to a place is the
//! app's decision; the holidays computed from the law are the domain's.

use crate::inventory::id;
use crate::{StoreError, Tx};
use chrono::{Datelike, NaiveDate};
use redegov_domain::calendar::HolidayId;
use redegov_domain::time::{Timestamp, from_epoch};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

/// The calendar settings of the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarSettings {
    /// Two-letter UF code; `None` is national holidays only.
    pub state: Option<String>,
    pub carnival: bool,
    pub corpus_christi: bool,
    /// When they were last changed (epoch 0 until then).
    pub updated_at: Timestamp,
}

/// A holiday to insert (validated by the app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHoliday {
    /// `None`: a holiday of the whole network.
    pub municipality_ibge: Option<u32>,
    pub date: NaiveDate,
    pub name: String,
}

/// A holiday kept as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HolidayRecord {
    pub id: HolidayId,
    /// `None`: a holiday of the whole network.
    pub municipality_ibge: Option<u32>,
    pub date: NaiveDate,
    pub name: String,
    pub created_at: Timestamp,
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn decode_settings(r: &AnyRow) -> Result<CalendarSettings, StoreError> {
    Ok(CalendarSettings {
        state: r.try_get("state")?,
        carnival: r.try_get::<i64, _>("carnival")? != 0,
        corpus_christi: r.try_get::<i64, _>("corpus_christi")? != 0,
        updated_at: from_epoch(r.try_get("updated_at")?),
    })
}

fn decode_holiday(r: &AnyRow) -> Result<HolidayRecord, StoreError> {
    let municipality = match r.try_get::<Option<i64>, _>("municipality_ibge")? {
        Some(code) => {
            Some(u32::try_from(code).map_err(|_| StoreError::Corrupt(format!("municipality_ibge {code}")))?)
        }
        None => None,
    };
    Ok(HolidayRecord {
        id: HolidayId(id(r)?),
        municipality_ibge: municipality,
        date: crate::date(r, "date")?,
        name: r.try_get("name")?,
        created_at: from_epoch(r.try_get("created_at")?),
    })
}

const HOLIDAY_COLUMNS: &str = "id, municipality_ibge, date, name, created_at";

impl Tx {
    /// The settings row (the migration creates it).
    pub async fn calendar_settings(&mut self) -> Result<CalendarSettings, StoreError> {
        let row = sqlx::query(
            "SELECT state, carnival, corpus_christi, updated_at FROM calendar_settings WHERE id = 1",
        )
        .fetch_one(self.conn())
        .await?;
        decode_settings(&row)
    }

    pub async fn set_calendar_settings(&mut self, s: &CalendarSettings) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO calendar_settings (id, state, carnival, corpus_christi, updated_at) \
             VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
             carnival = excluded.carnival, corpus_christi = excluded.corpus_christi, \
             updated_at = excluded.updated_at",
        )
        .bind(s.state.clone())
        .bind(i64::from(s.carnival))
        .bind(i64::from(s.corpus_christi))
        .bind(s.updated_at.timestamp())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Inserts a holiday; a second one on the same date and place is a
    /// [`StoreError::Conflict`].
    pub async fn insert_holiday(
        &mut self,
        h: &NewHoliday,
        now: Timestamp,
    ) -> Result<HolidayRecord, StoreError> {
        let row = sqlx::query(
            "INSERT INTO holidays (municipality_ibge, date, name, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(h.municipality_ibge.map(i64::from))
        .bind(iso(h.date))
        .bind(&h.name)
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(HolidayRecord {
            id: HolidayId(id(&row)?),
            municipality_ibge: h.municipality_ibge,
            date: h.date,
            name: h.name.clone(),
            created_at: now,
        })
    }

    pub async fn holiday(&mut self, id: HolidayId) -> Result<HolidayRecord, StoreError> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {HOLIDAY_COLUMNS} FROM holidays WHERE id = $1")))
                .bind(id.0)
                .fetch_one(self.conn())
                .await?;
        decode_holiday(&row)
    }

    /// The holiday kept for exactly this place (`None`: the whole network)
    /// on `date`, if any.
    pub async fn holiday_on(
        &mut self,
        municipality_ibge: Option<u32>,
        date: NaiveDate,
    ) -> Result<Option<HolidayRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {HOLIDAY_COLUMNS} FROM holidays WHERE COALESCE(municipality_ibge, 0) = $1 AND date = $2"
        )))
        .bind(municipality_ibge.map_or(0, i64::from))
        .bind(iso(date))
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(decode_holiday).transpose()
    }

    pub async fn delete_holiday(&mut self, id: HolidayId) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM holidays WHERE id = $1").bind(id.0).execute(self.conn()).await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// The holidays that apply in a municipality (the whole network's and
    /// its own; with `None`, the whole network's only), by date, optionally
    /// of one year only.
    pub async fn holidays_for(
        &mut self,
        municipality_ibge: Option<u32>,
        year: Option<i32>,
    ) -> Result<Vec<HolidayRecord>, StoreError> {
        let mut sql = format!(
            "SELECT {HOLIDAY_COLUMNS} FROM holidays WHERE (municipality_ibge IS NULL OR municipality_ibge = $1)"
        );
        // ISO dates compare as text, in both dialects.
        let bounds = year.and_then(|y| {
            let first = NaiveDate::from_ymd_opt(y, 1, 1)?;
            let next = NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?;
            Some((iso(first), iso(next)))
        });
        if bounds.is_some() {
            sql.push_str(" AND date >= $2 AND date < $3");
        }
        sql.push_str(" ORDER BY date, id");
        // -1 matches no municipality: `None` keeps the network-wide rows only.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(municipality_ibge.map_or(-1, i64::from));
        if let Some((first, next)) = bounds {
            q = q.bind(first).bind(next);
        }
        q.fetch_all(self.conn()).await?.iter().map(decode_holiday).collect()
    }
}
