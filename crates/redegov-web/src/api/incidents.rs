//! Incidents (chamados) and maintenance windows: their JSON shapes and
//! handlers. Times are RFC 3339 in UTC on the way out and any RFC 3339
//! offset on the way in; a field that cannot be read is named in the error
//! (`clock_stops[1].from`). Every rule — timing, scope, who may classify,
//! the notice of a window, closed months — is the app's; this module only
//! decodes and encodes.

use super::dto::{ListOut, double_option, need, rfc3339};
use super::{ApiJson, Filters, OptionalJson, parse_id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use redegov_app::incidents::{IncidentChange, IncidentInput, WindowInput};
use redegov_app::{IncidentFilter, IncidentRow, WindowFilter};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::*;
use redegov_domain::incident::*;
use redegov_domain::measure::Span;
use redegov_domain::time::parse_instant;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

type ApiResult<T> = Result<T, ApiError>;

// ----- incidents -----

/// An interval waiting for the agency, inside its incident.
#[derive(Deserialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct ClockStopIn {
    /// RFC 3339.
    pub from: Option<String>,
    /// RFC 3339, after `from`.
    pub to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ClockStopOut {
    pub from: String,
    pub to: String,
}

fn parse_stops(stops: &[ClockStopIn]) -> Valid<Vec<Span>> {
    stops
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let at = |name: &str, value: &Option<String>| {
                let field = format!("clock_stops[{i}].{name}");
                parse_instant(&field, need(&field, value.as_deref())?)
            };
            Ok(Span::new(at("from", &s.from)?.timestamp(), at("to", &s.to)?.timestamp()))
        })
        .collect()
}

fn opt_instant(field: &str, value: &Option<String>) -> Valid<Option<redegov_domain::time::Timestamp>> {
    value.as_deref().map(|v| parse_instant(field, v)).transpose()
}

/// A new incident.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct IncidentIn {
    pub access_id: Option<i64>,
    /// One of the access's probe targets when only that link was down;
    /// absent when the whole access was.
    pub probe_target: Option<String>,
    /// RFC 3339, not in the future.
    pub started_at: Option<String>,
    /// RFC 3339; absent while the incident is open.
    pub ended_at: Option<String>,
    /// `operator`, `agency`, `third_party`, `force_majeure` or
    /// `scheduled_maintenance`. Only `operator` time is discounted.
    pub responsibility: Option<String>,
    pub cause: Option<String>,
    /// The operator's ticket reference.
    pub ticket: Option<String>,
    /// Intervals waiting for the agency, each inside the incident.
    pub clock_stops: Option<Vec<ClockStopIn>>,
    pub notes: Option<String>,
    /// `service_desk`, `monitor`, `alert` or `manual` (default).
    pub source: Option<String>,
}

impl IncidentIn {
    pub fn into_input(self) -> Valid<IncidentInput> {
        let started_at = parse_instant("started_at", need("started_at", self.started_at.as_deref())?)?;
        Ok(IncidentInput {
            access_id: AccessId(need("access_id", self.access_id)?),
            probe_target: self.probe_target,
            started_at,
            ended_at: opt_instant("ended_at", &self.ended_at)?,
            responsibility: Responsibility::parse(
                "responsibility",
                need("responsibility", self.responsibility.as_deref())?,
            )?,
            cause: self.cause.unwrap_or_default(),
            ticket: self.ticket.unwrap_or_default(),
            clock_stops: parse_stops(&self.clock_stops.unwrap_or_default())?,
            notes: self.notes.unwrap_or_default(),
            source: match self.source.as_deref() {
                Some(s) => IncidentSource::parse("source", s)?,
                None => IncidentSource::Manual,
            },
        })
    }
}

/// A change to an incident: only the fields given change.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    /// `open`, `with_operator`, `resolved`, `confirmed` or `closed`, along
    /// the life cycle (open → with_operator → resolved → confirmed → closed).
    pub status: Option<String>,
    /// RFC 3339; `null` reopens the incident.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub ended_at: Option<Option<String>>,
    /// A new responsibility (network manager or admin), with `reason`.
    pub responsibility: Option<String>,
    /// Why the responsibility changed; required with `responsibility`,
    /// kept in the audit log.
    pub reason: Option<String>,
    pub cause: Option<String>,
    pub ticket: Option<String>,
    pub notes: Option<String>,
    /// Replaces the clock stops (network manager or admin).
    pub clock_stops: Option<Vec<ClockStopIn>>,
}

impl IncidentPatch {
    pub fn into_change(self) -> Valid<IncidentChange> {
        let responsibility = match (self.responsibility.as_deref(), self.reason) {
            (Some(r), reason) => {
                Some((Responsibility::parse("responsibility", r)?, reason.unwrap_or_default()))
            }
            (None, Some(_)) => {
                return Err(FieldError::new(
                    "reason",
                    Rule::Other("is the reason of a responsibility change: give responsibility too".into()),
                ));
            }
            (None, None) => None,
        };
        Ok(IncidentChange {
            status: self.status.as_deref().map(|s| IncidentStatus::parse("status", s)).transpose()?,
            ended_at: match self.ended_at {
                Some(Some(t)) => Some(Some(parse_instant("ended_at", &t)?)),
                Some(None) => Some(None),
                None => None,
            },
            responsibility,
            cause: self.cause,
            ticket: self.ticket,
            notes: self.notes,
            clock_stops: self.clock_stops.as_deref().map(parse_stops).transpose()?,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct IncidentOut {
    pub id: i64,
    pub access_id: i64,
    pub agency_id: i64,
    pub agency_acronym: String,
    pub lot_id: i64,
    pub lot_code: String,
    pub municipality_name: String,
    pub site_address: String,
    /// The link that was down; `null` when the whole access was.
    pub probe_target: Option<String>,
    pub started_at: String,
    /// `null` while open.
    pub ended_at: Option<String>,
    pub open: bool,
    pub responsibility: String,
    /// `open`, `with_operator`, `resolved`, `confirmed` or `closed`.
    pub status: String,
    /// The TMF621 Trouble Ticket state: open → `acknowledged`,
    /// with_operator → `inProgress`, resolved and confirmed → `resolved`,
    /// closed → `closed`.
    pub tmf621_status: String,
    pub cause: String,
    pub ticket: String,
    pub clock_stops: Vec<ClockStopOut>,
    /// Repair time in seconds (end − start − clock stops), once ended.
    pub repair_seconds: Option<i64>,
    pub notes: String,
    pub source: String,
    pub created_at: String,
    pub updated_at: String,
}

fn epoch(seconds: i64) -> String {
    rfc3339(redegov_domain::time::from_epoch(seconds))
}

impl From<&IncidentRow> for IncidentOut {
    fn from(r: &IncidentRow) -> Self {
        let i = &r.incident;
        let repair_seconds = i.ended_at.map(|end| {
            let timing = IncidentTiming {
                started_at: i.started_at.timestamp(),
                ended_at: Some(end.timestamp()),
                clock_stops: i.clock_stops.clone(),
                link: None,
            };
            repair_seconds(&timing, end.timestamp())
        });
        IncidentOut {
            id: i.id.0,
            access_id: i.access_id.0,
            agency_id: r.agency_id.0,
            agency_acronym: r.agency_acronym.clone(),
            lot_id: r.lot_id.0,
            lot_code: r.lot_code.clone(),
            municipality_name: r.municipality_name.clone(),
            site_address: r.site_address.clone(),
            probe_target: i.probe_target.map(|t| t.to_string()),
            started_at: rfc3339(i.started_at),
            ended_at: i.ended_at.map(rfc3339),
            open: i.ended_at.is_none(),
            responsibility: i.responsibility.as_str().into(),
            status: i.status.as_str().into(),
            tmf621_status: i.status.tmf621().into(),
            cause: i.cause.clone(),
            ticket: i.ticket.clone(),
            clock_stops: i
                .clock_stops
                .iter()
                .map(|s| ClockStopOut { from: epoch(s.start), to: epoch(s.end) })
                .collect(),
            repair_seconds,
            notes: i.notes.clone(),
            source: i.source.as_str().into(),
            created_at: rfc3339(i.created_at),
            updated_at: rfc3339(i.updated_at),
        }
    }
}

/// `GET /incidents`: filters `access_id`, `agency_id`, `lot_id`,
/// `operator_id`, `status`, `source`, `responsibility`, `open=true`, and
/// `from`/`to` (incidents overlapping `[from, to)`).
pub async fn list_incidents(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    uri: Uri,
    q: Filters,
) -> ApiResult<Response> {
    let from = q.instant("from")?.map(|t| t.timestamp());
    let to = q.instant("to")?.map(|t| t.timestamp());
    if let (Some(a), Some(b)) = (from, to)
        && b <= a
    {
        return Err(ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..ApiError::invalid(FieldError::new("to", Rule::DatesOutOfOrder))
        });
    }
    let filter = IncidentFilter {
        access_id: q.id("access_id")?.map(AccessId),
        agency_id: q.id("agency_id")?.map(AgencyId),
        lot_id: q.id("lot_id")?.map(LotId),
        operator_id: q.id("operator_id")?.map(OperatorId),
        status: q.code("status", IncidentStatus::parse)?.map(|v| v.as_str().to_string()),
        source: q.code("source", IncidentSource::parse)?.map(|v| v.as_str().to_string()),
        responsibility: q.code("responsibility", Responsibility::parse)?.map(|v| v.as_str().to_string()),
        open_only: q.flag("open")?,
        overlapping: (from.is_some() || to.is_some())
            .then(|| Span::new(from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX))),
    };
    let page = q.page;
    s.list_cache
        .serve(&s.app, &actor, &uri.to_string(), || async {
            let listed = s.app.list_incidents(&actor, filter, page).await?;
            Ok(ListOut {
                items: listed.items.iter().map(IncidentOut::from).collect::<Vec<_>>(),
                total: listed.total,
                page: page.page,
                page_size: page.page_size,
            })
        })
        .await
}

pub async fn create_incident(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<IncidentIn>,
) -> ApiResult<Response> {
    let incident = s.app.create_incident(&actor, body.into_input()?).await?;
    let row = s.app.get_incident(&actor, incident.id).await?;
    Ok((StatusCode::CREATED, Json(IncidentOut::from(&row))).into_response())
}

pub async fn get_incident(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<IncidentOut>> {
    let row = s.app.get_incident(&actor, IncidentId(parse_id(&id)?)).await?;
    Ok(Json(IncidentOut::from(&row)))
}

pub async fn update_incident(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<IncidentPatch>,
) -> ApiResult<Json<IncidentOut>> {
    let id = IncidentId(parse_id(&id)?);
    s.app.update_incident(&actor, id, body.into_change()?).await?;
    Ok(Json(IncidentOut::from(&s.app.get_incident(&actor, id).await?)))
}

// ----- maintenance windows -----

/// A maintenance window to announce: for one access or a whole lot.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct WindowIn {
    /// Exactly one of `access_id` and `lot_id`.
    pub access_id: Option<i64>,
    pub lot_id: Option<i64>,
    /// RFC 3339; at least the lot's notice (48 h by default) after `announced_at`.
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub description: Option<String>,
    /// RFC 3339, default now. Only admin and network manager may record an
    /// earlier announcement (importing history); the notice rule still applies.
    pub announced_at: Option<String>,
}

impl WindowIn {
    pub fn into_input(self) -> Valid<WindowInput> {
        let target = match (self.access_id, self.lot_id) {
            (Some(a), None) => WindowTarget::Access(AccessId(a)),
            (None, Some(l)) => WindowTarget::Lot(LotId(l)),
            (None, None) => return Err(FieldError::new("access_id", Rule::Required)),
            (Some(_), Some(_)) => {
                return Err(FieldError::new(
                    "lot_id",
                    Rule::Other("give access_id or lot_id, not both".into()),
                ));
            }
        };
        Ok(WindowInput {
            target,
            starts_at: parse_instant("starts_at", need("starts_at", self.starts_at.as_deref())?)?,
            ends_at: parse_instant("ends_at", need("ends_at", self.ends_at.as_deref())?)?,
            description: self.description.unwrap_or_default(),
            announced_at: opt_instant("announced_at", &self.announced_at)?,
        })
    }
}

/// Approval or rejection; a rejection needs a reason.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WindowOut {
    pub id: i64,
    /// Set when the window covers one access.
    pub access_id: Option<i64>,
    /// Set when the window covers a whole lot.
    pub lot_id: Option<i64>,
    pub starts_at: String,
    pub ends_at: String,
    pub announced_at: String,
    pub description: String,
    /// `proposed`, `approved` or `rejected`. Only approved windows are
    /// excluded from downtime.
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub decision_reason: String,
    pub created_by: Option<i64>,
}

impl From<&MaintenanceWindow> for WindowOut {
    fn from(w: &MaintenanceWindow) -> Self {
        let (access_id, lot_id) = match w.target {
            WindowTarget::Access(a) => (Some(a.0), None),
            WindowTarget::Lot(l) => (None, Some(l.0)),
        };
        WindowOut {
            id: w.id.0,
            access_id,
            lot_id,
            starts_at: rfc3339(w.starts_at),
            ends_at: rfc3339(w.ends_at),
            announced_at: rfc3339(w.announced_at),
            description: w.description.clone(),
            status: w.status.as_str().into(),
            decided_by: w.decided_by.map(|u| u.0),
            decided_at: w.decided_at.map(rfc3339),
            decision_reason: w.decision_reason.clone(),
            created_by: w.created_by.map(|u| u.0),
        }
    }
}

/// `GET /maintenance-windows`: filters `status`, `lot_id`, `access_id`,
/// `agency_id`, `operator_id`.
pub async fn list_windows(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: Filters,
) -> ApiResult<Json<ListOut<WindowOut>>> {
    let filter = WindowFilter {
        status: q.code("status", WindowStatus::parse)?.map(|v| v.as_str().to_string()),
        lot_id: q.id("lot_id")?.map(LotId),
        access_id: q.id("access_id")?.map(AccessId),
        agency_id: q.id("agency_id")?.map(AgencyId),
        operator_id: q.id("operator_id")?.map(OperatorId),
    };
    let listed = s.app.list_windows(&actor, filter, q.page).await?;
    Ok(Json(ListOut {
        items: listed.items.iter().map(WindowOut::from).collect(),
        total: listed.total,
        page: q.page.page,
        page_size: q.page.page_size,
    }))
}

pub async fn propose_window(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<WindowIn>,
) -> ApiResult<Response> {
    let window = s.app.propose_window(&actor, body.into_input()?).await?;
    Ok((StatusCode::CREATED, Json(WindowOut::from(&window))).into_response())
}

pub async fn get_window(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<WindowOut>> {
    Ok(Json(WindowOut::from(&s.app.get_window(&actor, WindowId(parse_id(&id)?)).await?)))
}

async fn decide(
    s: &WebState,
    actor: &redegov_app::Actor,
    id: &str,
    approve: bool,
    body: DecisionIn,
) -> ApiResult<Json<WindowOut>> {
    let id = WindowId(parse_id(id)?);
    let window = s.app.decide_window(actor, id, approve, body.reason.as_deref().unwrap_or("")).await?;
    Ok(Json(WindowOut::from(&window)))
}

/// `POST /maintenance-windows/{id}/approve`, body optional.
pub async fn approve_window(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<DecisionIn>,
) -> ApiResult<Json<WindowOut>> {
    decide(&s, &actor, &id, true, body).await
}

/// `POST /maintenance-windows/{id}/reject` with `{"reason"}`.
pub async fn reject_window(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<DecisionIn>,
) -> ApiResult<Json<WindowOut>> {
    decide(&s, &actor, &id, false, body).await
}
