//! Saving and loading incidents, maintenance windows and contract rules.
//! Clock stops are a JSON array of `[from, to]` epoch-second pairs; contract
//! rules a JSON document (the app serialises them); everything else is a
//! plain column.

use crate::inventory::{Listed, count_of, id, operator_lots_sql};
use crate::query::{Filter, MAX_ROWS_PER_INSERT, Value, push_placeholders};
use crate::{Page, StoreError, Tx, code, opt_time};
use chrono::NaiveDate;
use redegov_domain::ids::*;
use redegov_domain::incident::*;
use redegov_domain::measure::Span;
use redegov_domain::time::{Timestamp, from_epoch};
use sqlx::Row;
use sqlx::any::AnyRow;

/// An incident to insert (validated by the app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncident {
    pub access_id: AccessId,
    pub probe_target: Option<std::net::IpAddr>,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub responsibility: Responsibility,
    pub status: IncidentStatus,
    pub cause: String,
    pub ticket: String,
    pub clock_stops: Vec<Span>,
    pub notes: String,
    pub source: IncidentSource,
}

/// An incident with what a list shows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRow {
    pub incident: Incident,
    pub agency_id: AgencyId,
    pub agency_acronym: String,
    pub lot_id: LotId,
    pub lot_code: String,
    pub municipality_name: String,
    pub site_address: String,
}

/// Filters of the incident list. `None` means "do not filter".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    pub access_id: Option<AccessId>,
    pub agency_id: Option<AgencyId>,
    pub lot_id: Option<LotId>,
    pub operator_id: Option<OperatorId>,
    pub status: Option<String>,
    pub source: Option<String>,
    pub responsibility: Option<String>,
    /// Only incidents still open (no end).
    pub open_only: bool,
    /// Only incidents overlapping `[from, until)` (epoch seconds).
    pub overlapping: Option<Span>,
}

/// What the monthly measurement reads of an incident: no texts, instants as
/// epoch seconds. Loaded by the hundred thousand, so it stays lean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasuredIncident {
    pub id: IncidentId,
    pub access_id: AccessId,
    pub probe_target: Option<std::net::IpAddr>,
    pub started_at: i64,
    /// `None` while the incident is open.
    pub ended_at: Option<i64>,
    pub responsibility: Responsibility,
    pub clock_stops: Vec<Span>,
}

/// A maintenance window to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWindow {
    pub target: WindowTarget,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub announced_at: Timestamp,
    pub description: String,
    pub created_by: Option<UserId>,
}

/// Filters of the maintenance-window list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowFilter {
    pub status: Option<String>,
    pub lot_id: Option<LotId>,
    pub access_id: Option<AccessId>,
    /// Windows on this agency's accesses (lot-wide windows included when
    /// the agency has an access in the lot).
    pub agency_id: Option<AgencyId>,
    pub operator_id: Option<OperatorId>,
}

/// One version of a lot's contract rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesRecord {
    pub id: RulesId,
    pub lot_id: LotId,
    pub effective_from: NaiveDate,
    /// The JSON document.
    pub rules: String,
    pub created_at: Timestamp,
}

fn stops_json(stops: &[Span]) -> String {
    let pairs: Vec<[i64; 2]> = stops.iter().map(|s| [s.start, s.end]).collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn parse_stops(text: &str) -> Result<Vec<Span>, StoreError> {
    // Most incidents have no clock stop: skip the JSON parser for them.
    if text == "[]" {
        return Ok(Vec::new());
    }
    let pairs: Vec<[i64; 2]> =
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("clock_stops: {e}")))?;
    Ok(pairs.into_iter().map(|[a, b]| Span::new(a, b)).collect())
}

fn decode_incident(r: &AnyRow) -> Result<Incident, StoreError> {
    let target: Option<String> = r.try_get("probe_target")?;
    let probe_target = match target {
        Some(t) => Some(t.parse().map_err(|_| StoreError::Corrupt(format!("probe_target {t:?}")))?),
        None => None,
    };
    Ok(Incident {
        id: IncidentId(id(r)?),
        access_id: AccessId(r.try_get("access_id")?),
        probe_target,
        started_at: from_epoch(r.try_get("started_at")?),
        ended_at: opt_time(r, "ended_at")?,
        responsibility: code(r, "responsibility", Responsibility::parse)?,
        status: code(r, "status", IncidentStatus::parse)?,
        cause: r.try_get("cause")?,
        ticket: r.try_get("ticket")?,
        clock_stops: parse_stops(&r.try_get::<String, _>("clock_stops")?)?,
        notes: r.try_get("notes")?,
        source: code(r, "source", IncidentSource::parse)?,
        created_at: from_epoch(r.try_get("created_at")?),
        updated_at: from_epoch(r.try_get("updated_at")?),
    })
}

/// Decodes the columns of [`MEASURED_SELECT`], by position.
fn decode_measured(r: &AnyRow) -> Result<MeasuredIncident, StoreError> {
    let probe_target = match r.try_get::<Option<&str>, _>(2)? {
        Some(t) => Some(t.parse().map_err(|_| StoreError::Corrupt(format!("probe_target {t:?}")))?),
        None => None,
    };
    let responsibility: &str = r.try_get(5)?;
    Ok(MeasuredIncident {
        id: IncidentId(r.try_get(0)?),
        access_id: AccessId(r.try_get(1)?),
        probe_target,
        started_at: r.try_get(3)?,
        ended_at: r.try_get(4)?,
        responsibility: Responsibility::parse("responsibility", responsibility)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        clock_stops: parse_stops(r.try_get(6)?)?,
    })
}

/// Carries a decoding failure through sqlx's row mapping ([`from_sqlx`]
/// takes it back out).
pub(crate) fn into_sqlx(e: StoreError) -> sqlx::Error {
    match e {
        StoreError::Database(e) => e,
        StoreError::Corrupt(message) => sqlx::Error::Decode(message.into()),
        other => sqlx::Error::Decode(other.to_string().into()),
    }
}

pub(crate) fn from_sqlx(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Decode(e) => StoreError::Corrupt(e.to_string()),
        other => other.into(),
    }
}

fn decode_incident_row(r: &AnyRow) -> Result<IncidentRow, StoreError> {
    Ok(IncidentRow {
        incident: decode_incident(r)?,
        agency_id: AgencyId(r.try_get("agency_id")?),
        agency_acronym: r.try_get("agency_acronym")?,
        lot_id: LotId(r.try_get("lot_id")?),
        lot_code: r.try_get("lot_code")?,
        municipality_name: r.try_get("municipality_name")?,
        site_address: r.try_get("site_address")?,
    })
}

fn decode_window(r: &AnyRow) -> Result<MaintenanceWindow, StoreError> {
    let access: Option<i64> = r.try_get("access_id")?;
    let lot: Option<i64> = r.try_get("lot_id")?;
    let target = match (access, lot) {
        (Some(a), None) => WindowTarget::Access(AccessId(a)),
        (None, Some(l)) => WindowTarget::Lot(LotId(l)),
        _ => return Err(StoreError::Corrupt("maintenance window without one target".into())),
    };
    Ok(MaintenanceWindow {
        id: WindowId(id(r)?),
        target,
        starts_at: from_epoch(r.try_get("starts_at")?),
        ends_at: from_epoch(r.try_get("ends_at")?),
        announced_at: from_epoch(r.try_get("announced_at")?),
        description: r.try_get("description")?,
        status: code(r, "status", WindowStatus::parse)?,
        decided_by: r.try_get::<Option<i64>, _>("decided_by")?.map(UserId),
        decided_at: opt_time(r, "decided_at")?,
        decision_reason: r.try_get("decision_reason")?,
        created_by: r.try_get::<Option<i64>, _>("created_by")?.map(UserId),
    })
}

fn decode_rules(r: &AnyRow) -> Result<RulesRecord, StoreError> {
    Ok(RulesRecord {
        id: RulesId(id(r)?),
        lot_id: LotId(r.try_get("lot_id")?),
        effective_from: crate::date(r, "effective_from")?,
        rules: r.try_get("rules")?,
        created_at: from_epoch(r.try_get("created_at")?),
    })
}

const INCIDENT_SELECT: &str = "SELECT i.*, s.agency_id, ag.acronym AS agency_acronym, a.lot_id, \
     l.code AS lot_code, s.municipality_name, s.address AS site_address \
     FROM incidents i JOIN accesses a ON a.id = i.access_id JOIN sites s ON s.id = a.site_id \
     JOIN agencies ag ON ag.id = s.agency_id JOIN lots l ON l.id = a.lot_id";
/// The columns [`decode_measured`] reads, in its order.
const MEASURED_SELECT: &str = "SELECT id, access_id, probe_target, started_at, ended_at, responsibility, \
     clock_stops FROM incidents";
const INCIDENT_COUNT: &str = "SELECT COUNT(*) FROM incidents i JOIN accesses a ON a.id = i.access_id \
     JOIN sites s ON s.id = a.site_id";

impl Tx {
    // ----- incidents -----

    pub async fn insert_incident(&mut self, n: &NewIncident, now: Timestamp) -> Result<Incident, StoreError> {
        let mut one = self.insert_incidents(std::slice::from_ref(n), now).await?;
        one.pop().ok_or(StoreError::NotFound)
    }

    /// Inserts incidents in multi-row statements; returns them with their ids.
    pub async fn insert_incidents(
        &mut self,
        incidents: &[NewIncident],
        now: Timestamp,
    ) -> Result<Vec<Incident>, StoreError> {
        const COLUMNS: usize = 13;
        let mut out = Vec::with_capacity(incidents.len());
        for chunk in incidents.chunks(MAX_ROWS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO incidents (access_id, probe_target, started_at, ended_at, responsibility, status, \
                 cause, ticket, clock_stops, notes, source, created_at, updated_at) VALUES ",
            );
            push_placeholders(&mut sql, chunk.len(), COLUMNS);
            sql.push_str(" RETURNING id");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for n in chunk {
                q = q
                    .bind(n.access_id.0)
                    .bind(n.probe_target.map(|t| t.to_string()))
                    .bind(n.started_at.timestamp())
                    .bind(n.ended_at.map(|t| t.timestamp()))
                    .bind(n.responsibility.as_str())
                    .bind(n.status.as_str())
                    .bind(n.cause.clone())
                    .bind(n.ticket.clone())
                    .bind(stops_json(&n.clock_stops))
                    .bind(n.notes.clone())
                    .bind(n.source.as_str())
                    .bind(now.timestamp())
                    .bind(now.timestamp());
            }
            let mut ids = q.fetch_all(self.conn()).await?.iter().map(id).collect::<Result<Vec<_>, _>>()?;
            ids.sort_unstable();
            if ids.len() != chunk.len() {
                return Err(StoreError::Corrupt(format!("{} ids for {} rows", ids.len(), chunk.len())));
            }
            out.extend(chunk.iter().zip(ids).map(|(n, id)| Incident {
                id: IncidentId(id),
                access_id: n.access_id,
                probe_target: n.probe_target,
                started_at: n.started_at,
                ended_at: n.ended_at,
                responsibility: n.responsibility,
                status: n.status,
                cause: n.cause.clone(),
                ticket: n.ticket.clone(),
                clock_stops: n.clock_stops.clone(),
                notes: n.notes.clone(),
                source: n.source,
                created_at: now,
                updated_at: now,
            }));
        }
        Ok(out)
    }

    pub async fn update_incident(&mut self, i: &Incident) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE incidents SET probe_target = $1, started_at = $2, ended_at = $3, responsibility = $4, \
             status = $5, cause = $6, ticket = $7, clock_stops = $8, notes = $9, updated_at = $10 \
             WHERE id = $11",
        )
        .bind(i.probe_target.map(|t| t.to_string()))
        .bind(i.started_at.timestamp())
        .bind(i.ended_at.map(|t| t.timestamp()))
        .bind(i.responsibility.as_str())
        .bind(i.status.as_str())
        .bind(&i.cause)
        .bind(&i.ticket)
        .bind(stops_json(&i.clock_stops))
        .bind(&i.notes)
        .bind(i.updated_at.timestamp())
        .bind(i.id.0)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    pub async fn incident(&mut self, id: IncidentId) -> Result<IncidentRow, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{INCIDENT_SELECT} WHERE i.id = $1")))
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        decode_incident_row(&row)
    }

    pub async fn list_incidents(
        &mut self,
        f: &IncidentFilter,
        page: Page,
    ) -> Result<Listed<IncidentRow>, StoreError> {
        let mut q = Filter::default();
        q.int("i.access_id = {}", f.access_id.map(|a| a.0));
        q.int("a.lot_id = {}", f.lot_id.map(|l| l.0));
        q.int("s.agency_id = {}", f.agency_id.map(|a| a.0));
        q.text("i.status = {}", f.status.as_deref());
        q.text("i.source = {}", f.source.as_deref());
        q.text("i.responsibility = {}", f.responsibility.as_deref());
        if f.open_only {
            q.push_raw("i.ended_at IS NULL".into());
        }
        if let Some(span) = f.overlapping {
            q.push("i.started_at < {}", Value::Int(span.end));
            let start = q.bind(Value::Int(span.start));
            q.push_raw(format!("(i.ended_at IS NULL OR i.ended_at > {start})"));
        }
        if let Some(op) = f.operator_id {
            let lots = operator_lots_sql(&mut q, op);
            q.push_raw(format!("a.lot_id IN ({lots})"));
        }
        self.list(
            INCIDENT_SELECT,
            INCIDENT_COUNT,
            q,
            "i.started_at DESC, i.id DESC",
            page,
            decode_incident_row,
        )
        .await
    }

    /// Every incident overlapping `span` (open ones included), lean (what
    /// the measurement needs), ordered by access, start and id. Each row is
    /// decoded as it arrives, so a million of them are never held twice;
    /// and sorted here rather than in SQL, where SQLite would walk the
    /// `incidents_access` index and fetch every row at random (ten times
    /// slower than the plain scan for a month of a million incidents).
    pub async fn incidents_overlapping(&mut self, span: Span) -> Result<Vec<MeasuredIncident>, StoreError> {
        let mut out = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MEASURED_SELECT} WHERE started_at < $1 AND (ended_at IS NULL OR ended_at > $2)"
        )))
        .bind(span.end)
        .bind(span.start)
        .try_map(|r: AnyRow| decode_measured(&r).map_err(into_sqlx))
        .fetch_all(self.conn())
        .await
        .map_err(from_sqlx)?;
        out.sort_unstable_by_key(|i| (i.access_id, i.started_at, i.id));
        Ok(out)
    }

    // ----- maintenance windows -----

    pub async fn insert_window(&mut self, w: &NewWindow) -> Result<MaintenanceWindow, StoreError> {
        let (access, lot) = match w.target {
            WindowTarget::Access(a) => (Some(a.0), None),
            WindowTarget::Lot(l) => (None, Some(l.0)),
        };
        let row = sqlx::query(
            "INSERT INTO maintenance_windows (access_id, lot_id, starts_at, ends_at, announced_at, \
             description, status, decision_reason, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8) RETURNING id",
        )
        .bind(access)
        .bind(lot)
        .bind(w.starts_at.timestamp())
        .bind(w.ends_at.timestamp())
        .bind(w.announced_at.timestamp())
        .bind(&w.description)
        .bind(WindowStatus::Proposed.as_str())
        .bind(w.created_by.map(|u| u.0))
        .fetch_one(self.conn())
        .await?;
        Ok(MaintenanceWindow {
            id: WindowId(id(&row)?),
            target: w.target,
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            announced_at: w.announced_at,
            description: w.description.clone(),
            status: WindowStatus::Proposed,
            decided_by: None,
            decided_at: None,
            decision_reason: String::new(),
            created_by: w.created_by,
        })
    }

    pub async fn window(&mut self, id: WindowId) -> Result<MaintenanceWindow, StoreError> {
        let row = sqlx::query("SELECT * FROM maintenance_windows WHERE id = $1")
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        decode_window(&row)
    }

    /// Records the decision on a window.
    pub async fn decide_window(&mut self, w: &MaintenanceWindow) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE maintenance_windows SET status = $1, decided_by = $2, decided_at = $3, \
             decision_reason = $4 WHERE id = $5",
        )
        .bind(w.status.as_str())
        .bind(w.decided_by.map(|u| u.0))
        .bind(w.decided_at.map(|t| t.timestamp()))
        .bind(&w.decision_reason)
        .bind(w.id.0)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    pub async fn list_windows(
        &mut self,
        f: &WindowFilter,
        page: Page,
    ) -> Result<Listed<MaintenanceWindow>, StoreError> {
        let mut q = Filter::default();
        q.text("w.status = {}", f.status.as_deref());
        q.int("w.access_id = {}", f.access_id.map(|a| a.0));
        if let Some(lot) = f.lot_id {
            let a = q.bind(Value::Int(lot.0));
            let b = q.bind(Value::Int(lot.0));
            q.push_raw(format!(
                "(w.lot_id = {a} OR w.access_id IN (SELECT id FROM accesses WHERE lot_id = {b}))"
            ));
        }
        if let Some(agency) = f.agency_id {
            let a = q.bind(Value::Int(agency.0));
            let b = q.bind(Value::Int(agency.0));
            q.push_raw(format!(
                "(w.access_id IN (SELECT a.id FROM accesses a JOIN sites s ON s.id = a.site_id \
                 WHERE s.agency_id = {a}) OR w.lot_id IN (SELECT a.lot_id FROM accesses a \
                 JOIN sites s ON s.id = a.site_id WHERE s.agency_id = {b}))"
            ));
        }
        if let Some(op) = f.operator_id {
            let lots = operator_lots_sql(&mut q, op);
            let lots2 = operator_lots_sql(&mut q, op);
            q.push_raw(format!(
                "(w.lot_id IN ({lots}) OR w.access_id IN (SELECT id FROM accesses WHERE lot_id IN ({lots2})))"
            ));
        }
        self.list(
            "SELECT w.* FROM maintenance_windows w",
            "SELECT COUNT(*) FROM maintenance_windows w",
            q,
            "w.starts_at DESC, w.id DESC",
            page,
            decode_window,
        )
        .await
    }

    /// Approved windows overlapping `span`.
    pub async fn approved_windows_overlapping(
        &mut self,
        span: Span,
    ) -> Result<Vec<MaintenanceWindow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM maintenance_windows WHERE status = 'approved' AND starts_at < $1 AND ends_at > $2 \
             ORDER BY id",
        )
        .bind(span.end)
        .bind(span.start)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(decode_window).collect()
    }

    // ----- contract rules -----

    /// Stores a version of a lot's rules; replaces the version with the same
    /// effective date if there is one.
    pub async fn put_rules(
        &mut self,
        lot: LotId,
        effective_from: NaiveDate,
        rules: &str,
        now: Timestamp,
    ) -> Result<RulesRecord, StoreError> {
        let day = effective_from.format("%Y-%m-%d").to_string();
        sqlx::query("DELETE FROM contract_rules WHERE lot_id = $1 AND effective_from = $2")
            .bind(lot.0)
            .bind(&day)
            .execute(self.conn())
            .await?;
        let row = sqlx::query(
            "INSERT INTO contract_rules (lot_id, effective_from, rules, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(lot.0)
        .bind(&day)
        .bind(rules)
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(RulesRecord {
            id: RulesId(id(&row)?),
            lot_id: lot,
            effective_from,
            rules: rules.into(),
            created_at: now,
        })
    }

    /// Every version of every lot's rules (or of one lot), oldest first.
    pub async fn all_rules(&mut self, lot: Option<LotId>) -> Result<Vec<RulesRecord>, StoreError> {
        let mut q = Filter::default();
        q.int("lot_id = {}", lot.map(|l| l.0));
        let rows = q
            .query(format!("SELECT * FROM contract_rules{} ORDER BY lot_id, effective_from", q.where_sql()))
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(decode_rules).collect()
    }

    /// How many incidents exist (for the demo loader).
    pub async fn count_incidents(&mut self) -> Result<i64, StoreError> {
        count_of(&sqlx::query("SELECT COUNT(*) FROM incidents").fetch_one(self.conn()).await?)
    }
}
