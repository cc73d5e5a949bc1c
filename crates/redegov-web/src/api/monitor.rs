//! The monitoring endpoints (issue #5): alerts from external monitors, the
//! NOC overview, an access's monitoring history, the monitoring settings
//! and the operators' webhooks.
//!
//! - `POST /alerts/alertmanager` takes Prometheus Alertmanager's webhook
//!   payload (version 4) as it comes; `POST /alerts/zabbix` the JSON of the
//!   media type in docs/zabbix-media-type.md. Both need a bearer token of an
//!   admin or network manager (a monitor's service user), are idempotent
//!   (the same alert twice opens one incident) and answer what the delivery
//!   did. A payload that cannot be understood is a 400 naming the field
//!   (`alerts[2].startsAt`), and nothing of it is kept.
//! - `GET /alerts[?unmatched=true]`: the alerts received (NOC roles).
//! - `GET /noc`: counts of accesses up/down/unknown, the open incidents
//!   with their place, open monitoring gaps.
//! - `GET /accesses/{id}/monitoring`: 24 hourly and 30 daily points of
//!   availability and latency, the links' states and outages.
//! - `GET`/`PUT /monitor-settings`; `PUT`/`DELETE /accesses/{id}/probe` (an
//!   access probed by TCP, or with its own interval); `PUT`/`DELETE
//!   /operators/{id}/webhook`.
//!
//! Parsing is the domain's ([`redegov_domain::alert`]); deciding is the app's.

use super::dto::rfc3339;
use super::openapi::{body, error_response, json_response, op, path_param, query_param, schema_ref};
use super::{ApiJson, parse_id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use redegov_app::alerts::IngestReport;
use redegov_app::noc::{AccessMonitoring, ChartPoint, NocOverview};
use redegov_domain::alert::{parse_alertmanager, parse_zabbix};
use redegov_domain::ids::{AccessId, OperatorId};
use redegov_domain::monitor::MonitorSettings;
use redegov_domain::time::from_epoch;
use serde::{Deserialize, Serialize};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::Type;
use utoipa::{PartialSchema, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

/// What a delivery of alerts did.
#[derive(Serialize, ToSchema)]
pub struct IngestOut {
    pub received: usize,
    /// Alerts seen for the first time.
    pub recorded: usize,
    /// Deliveries of an alert already recorded in the same state (nothing changed).
    pub repeated: usize,
    /// Alerts matched to no access: kept, visible to the NOC.
    pub unmatched: usize,
    /// Incidents opened.
    pub opened: Vec<i64>,
    /// Incidents resolved.
    pub resolved: Vec<i64>,
}

impl From<IngestReport> for IngestOut {
    fn from(r: IngestReport) -> Self {
        IngestOut {
            received: r.received,
            recorded: r.recorded,
            repeated: r.repeated,
            unmatched: r.unmatched,
            opened: r.opened.iter().map(|i| i.0).collect(),
            resolved: r.resolved.iter().map(|i| i.0).collect(),
        }
    }
}

/// `POST /alerts/alertmanager`.
pub async fn alertmanager(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    bytes: Bytes,
) -> ApiResult<Json<IngestOut>> {
    let alerts = parse_alertmanager(&bytes).map_err(bad_payload)?;
    Ok(Json(s.app.ingest_alerts(&actor, alerts).await?.into()))
}

/// `POST /alerts/zabbix`.
pub async fn zabbix(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    bytes: Bytes,
) -> ApiResult<Json<IngestOut>> {
    let alert = parse_zabbix(&bytes).map_err(bad_payload)?;
    Ok(Json(s.app.ingest_alerts(&actor, vec![alert]).await?.into()))
}

/// A payload that breaks the format is the sender's fault: always a 400.
fn bad_payload(e: redegov_domain::error::FieldError) -> ApiError {
    ApiError { status: StatusCode::BAD_REQUEST, ..ApiError::invalid(e) }
}

/// An alert as received.
#[derive(Serialize, ToSchema)]
pub struct AlertOut {
    pub id: i64,
    /// `alertmanager` or `zabbix`.
    pub source: String,
    /// The alert's identity at its source (fingerprint, event id).
    pub key: String,
    /// `firing` or `resolved`.
    pub status: String,
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub name: String,
    pub summary: String,
    /// The alert's labels, as a JSON object.
    pub labels: serde_json::Value,
    pub address: Option<String>,
    /// `null`: matched to no access.
    pub access_id: Option<i64>,
    pub incident_id: Option<i64>,
    /// How many times it was delivered.
    pub deliveries: i64,
    pub received_at: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    #[serde(default)]
    unmatched: Option<bool>,
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /alerts[?unmatched=true&limit=N]`.
pub async fn list_alerts(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<AlertsQuery>,
) -> ApiResult<Json<Vec<AlertOut>>> {
    let rows = s.app.list_alerts(&actor, q.unmatched.unwrap_or(false), q.limit.unwrap_or(200)).await?;
    Ok(Json(
        rows.into_iter()
            .map(|a| AlertOut {
                id: a.id,
                source: a.source,
                key: a.alert_key,
                status: a.status,
                starts_at: rfc3339(from_epoch(a.starts_at)),
                ends_at: a.ends_at.map(|t| rfc3339(from_epoch(t))),
                name: a.name,
                summary: a.summary,
                labels: serde_json::from_str(&a.labels).unwrap_or(serde_json::Value::Null),
                address: a.address,
                access_id: a.access_id.map(|x| x.0),
                incident_id: a.incident_id.map(|x| x.0),
                deliveries: a.deliveries,
                received_at: rfc3339(from_epoch(a.received_at)),
            })
            .collect(),
    ))
}

/// One open outage on the NOC panel.
#[derive(Serialize, ToSchema)]
pub struct OutageOut {
    pub incident_id: i64,
    pub access_id: i64,
    pub started_at: String,
    pub duration_seconds: i64,
    /// `monitor`, `alert`, `service_desk`, `manual`.
    pub source: String,
    pub status: String,
    pub ticket: String,
    pub lot_id: i64,
    pub lot: String,
    /// The lot's operator or consortium.
    pub holder: String,
    pub agency: String,
    pub municipality: String,
    pub address: String,
}

/// The NOC overview.
#[derive(Serialize, ToSchema)]
pub struct NocOut {
    /// Active accesses with probe targets: all links down = down, a link up = up, else unknown.
    pub up: i64,
    pub down: i64,
    pub unknown: i64,
    pub outages: Vec<OutageOut>,
    /// Monitoring gaps still open: `{worker, started_at}`.
    pub open_gaps: Vec<GapOut>,
    pub unmatched_alerts: usize,
    pub at: String,
}

/// A monitoring gap: a prober that could not see the network.
#[derive(Serialize, ToSchema)]
pub struct GapOut {
    pub worker: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub probed: i64,
    pub failed: i64,
}

fn ms_text(ms: i64) -> String {
    chrono::TimeZone::timestamp_millis_opt(&chrono::Utc, ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

impl From<NocOverview> for NocOut {
    fn from(o: NocOverview) -> Self {
        NocOut {
            up: o.counts.up,
            down: o.counts.down,
            unknown: o.counts.unknown,
            outages: o
                .outages
                .into_iter()
                .map(|r| OutageOut {
                    incident_id: r.incident_id.0,
                    access_id: r.access_id.0,
                    started_at: rfc3339(from_epoch(r.started_at)),
                    duration_seconds: (o.at.timestamp() - r.started_at).max(0),
                    source: r.source,
                    status: r.status,
                    ticket: r.ticket,
                    lot_id: r.lot_id.0,
                    lot: r.lot_code,
                    holder: r.holder,
                    agency: r.agency_acronym,
                    municipality: r.municipality_name,
                    address: r.site_address,
                })
                .collect(),
            open_gaps: o
                .open_gaps
                .into_iter()
                .map(|g| GapOut {
                    worker: g.worker,
                    started_at: ms_text(g.started_ms),
                    ended_at: g.ended_ms.map(ms_text),
                    probed: g.probed,
                    failed: g.failed,
                })
                .collect(),
            unmatched_alerts: o.unmatched_alerts,
            at: rfc3339(o.at),
        }
    }
}

/// `GET /noc`.
pub async fn noc(State(s): State<WebState>, ApiActor(actor): ApiActor) -> ApiResult<Json<NocOut>> {
    Ok(Json(s.app.noc_overview(&actor).await?.into()))
}

/// One point of an access's chart.
#[derive(Serialize, ToSchema)]
pub struct PointOut {
    pub at: String,
    /// Per mille of the known time (`null`: nothing known).
    pub availability_permille: Option<i64>,
    pub down_seconds: i64,
    /// Time in monitoring gaps.
    pub unknown_seconds: i64,
    pub rtt_avg_ms: Option<f64>,
    pub rtt_min_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    pub probes_sent: i64,
    pub probes_lost: i64,
}

fn point(p: &ChartPoint) -> PointOut {
    let ms = |us: Option<i64>| us.map(|v| v as f64 / 1000.0);
    PointOut {
        at: rfc3339(p.at),
        availability_permille: p.availability_permille,
        down_seconds: p.down_seconds,
        unknown_seconds: p.unknown_seconds,
        rtt_avg_ms: ms(p.rtt_avg_us),
        rtt_min_ms: ms(p.rtt_min_us),
        rtt_max_ms: ms(p.rtt_max_us),
        probes_sent: p.sent,
        probes_lost: p.lost,
    }
}

/// A link's state and its outages in the last 30 days.
#[derive(Serialize, ToSchema)]
pub struct LinkOut {
    pub target: String,
    /// `up`, `down` or `unknown`.
    pub state: String,
    pub since: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LinkOutageOut {
    pub target: String,
    pub started_at: String,
    pub ended_at: Option<String>,
}

/// An access's monitoring history.
#[derive(Serialize, ToSchema)]
pub struct MonitoringOut {
    pub access_id: i64,
    pub hours: Vec<PointOut>,
    pub days: Vec<PointOut>,
    pub availability_24h_permille: Option<i64>,
    pub availability_30d_permille: Option<i64>,
    pub links: Vec<LinkOut>,
    pub outages: Vec<LinkOutageOut>,
}

impl From<AccessMonitoring> for MonitoringOut {
    fn from(m: AccessMonitoring) -> Self {
        MonitoringOut {
            access_id: m.access_id.0,
            hours: m.hours.iter().map(point).collect(),
            days: m.days.iter().map(point).collect(),
            availability_24h_permille: m.day_total.permille(),
            availability_30d_permille: m.month_total.permille(),
            links: m
                .links
                .into_iter()
                .map(|l| LinkOut {
                    target: l.target,
                    state: l.state.as_str().into(),
                    since: l.since_ms.map(ms_text),
                })
                .collect(),
            outages: m
                .outages
                .into_iter()
                .map(|(target, o)| LinkOutageOut {
                    target,
                    started_at: ms_text(o.started_ms),
                    ended_at: o.ended_ms.map(ms_text),
                })
                .collect(),
        }
    }
}

/// `GET /accesses/{id}/monitoring`.
pub async fn access_monitoring(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<MonitoringOut>> {
    let id = AccessId(parse_id(&id)?);
    Ok(Json(s.app.access_monitoring(&actor, id).await?.into()))
}

/// `GET /monitor-settings`.
pub async fn get_settings(
    State(s): State<WebState>,
    ApiActor(_actor): ApiActor,
) -> ApiResult<Json<MonitorSettings>> {
    Ok(Json(s.app.monitor_settings().await?))
}

/// `PUT /monitor-settings` (missing fields take their defaults).
pub async fn put_settings(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(settings): ApiJson<MonitorSettings>,
) -> ApiResult<Json<MonitorSettings>> {
    Ok(Json(s.app.update_monitor_settings(&actor, settings).await?))
}

/// How an access is probed instead of by the settings' defaults.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeIn {
    /// `icmp` or `tcp`.
    pub method: String,
    /// The TCP port (required for `tcp`).
    pub port: Option<u16>,
    pub interval_ms: Option<u32>,
    pub timeout_ms: Option<u32>,
    pub retries: Option<u32>,
}

/// `PUT /accesses/{id}/probe`.
pub async fn put_probe(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<ProbeIn>,
) -> ApiResult<Response> {
    let id = AccessId(parse_id(&id)?);
    let probe = redegov_app::monitor::ProbeOverride {
        method: p.method.trim().to_string(),
        port: p.port,
        interval_ms: p.interval_ms,
        timeout_ms: p.timeout_ms,
        retries: p.retries,
    };
    s.app.set_probe_override(&actor, id, Some(probe)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /accesses/{id}/probe`: back to the defaults.
pub async fn delete_probe(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = AccessId(parse_id(&id)?);
    s.app.set_probe_override(&actor, id, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An operator's outgoing webhook.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    /// `https://…` (or `http://` inside the network).
    pub url: String,
    /// At least 16 characters: the HMAC key of `X-Redegov-Signature`.
    pub secret: String,
}

/// `PUT /operators/{id}/webhook`.
pub async fn put_webhook(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(hook): ApiJson<WebhookIn>,
) -> ApiResult<Response> {
    let id = OperatorId(parse_id(&id)?);
    s.app.set_operator_webhook(&actor, id, Some((hook.url, hook.secret))).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /operators/{id}/webhook`.
pub async fn delete_webhook(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = OperatorId(parse_id(&id)?);
    s.app.set_operator_webhook(&actor, id, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) fn openapi(doc: &mut OpenApiDoc) {
    use HttpMethod::{Delete, Get, Post, Put};
    let paths = &mut doc.paths;
    let ingest = |summary: &str| {
        op("monitoring", summary.into())
            .response("200", json_response("What the delivery did", schema_ref("IngestOut")))
            .response(
                "400",
                error_response("A payload that cannot be understood; `field` names it (nothing kept)"),
            )
            .response("403", error_response("Only admin and network manager tokens send alerts"))
            .build()
    };
    paths.add_path_operation(
        "/api/v1/alerts/alertmanager",
        vec![Post],
        ingest(
            "Prometheus Alertmanager webhook (payload version 4), idempotent: an alert instance (fingerprint \
             + startsAt) opens one incident, `resolved` closes it at `endsAt`; matched to an access by the \
             `access_id` label or its address (`address`, `target`, `instance`) among the probe targets",
        ),
    );
    paths.add_path_operation(
        "/api/v1/alerts/zabbix",
        vec![Post],
        ingest("Zabbix webhook media type (docs/zabbix-media-type.md), idempotent by the problem's event id"),
    );
    paths.add_path_operation(
        "/api/v1/alerts",
        vec![Get],
        op("monitoring", "The alerts received, newest first (admin, network manager, auditor)".into())
            .parameter(query_param("unmatched", Type::Boolean))
            .parameter(query_param("limit", Type::Integer))
            .response("200", json_response("Alerts", schema_ref("AlertOut")))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/noc",
        vec![Get],
        op("monitoring", "The NOC overview: access counts, open outages with their place, open gaps".into())
            .response("200", json_response("Overview", schema_ref("NocOut")))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/accesses/{id}/monitoring",
        vec![Get],
        op("monitoring", "An access's availability and latency: 24 hourly and 30 daily points".into())
            .parameter(path_param("id", Type::Integer, "The access"))
            .response("200", json_response("History", schema_ref("MonitoringOut")))
            .response("404", error_response("No such access in your scope"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/monitor-settings",
        vec![Get],
        op("monitoring", "The monitoring settings (DOMAIN §5 defaults until changed)".into())
            .response("200", json_response("Settings", schema_ref("MonitorSettings")))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/monitor-settings",
        vec![Put],
        op("monitoring", "Replace the monitoring settings (admin, network manager; audited)".into())
            .request_body(Some(body("MonitorSettings")))
            .response("200", json_response("Stored", schema_ref("MonitorSettings")))
            .response("403", error_response("Your role may not change them"))
            .response("422", error_response("A rule is broken; `field` names it"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/accesses/{id}/probe",
        vec![Put, Delete],
        op(
            "monitoring",
            "Set how an access is probed (ICMP or a TCP port; its own interval, timeout, retries) or, with \
             DELETE, go back to the settings' defaults (admin, network manager; audited)"
                .into(),
        )
        .parameter(path_param("id", Type::Integer, "The access"))
        .request_body(Some(body("ProbeIn")))
        .response("204", ResponseBuilder::new().description("Stored").build())
        .response("403", error_response("Your role may not change how accesses are probed"))
        .response("404", error_response("No such access"))
        .response("422", error_response("A rule is broken; `field` names it"))
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/operators/{id}/webhook",
        vec![Put, Delete],
        op("monitoring", "Set or remove an operator's incident webhook (admin, network manager)".into())
            .parameter(path_param("id", Type::Integer, "The operator"))
            .request_body(Some(body("WebhookIn")))
            .response("204", ResponseBuilder::new().description("Stored").build())
            .response("403", error_response("Your role may not configure webhooks"))
            .response("422", error_response("A rule is broken; `field` names it"))
            .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (IngestOut::name(), IngestOut::schema()),
        (AlertOut::name(), AlertOut::schema()),
        (NocOut::name(), NocOut::schema()),
        (OutageOut::name(), OutageOut::schema()),
        (GapOut::name(), GapOut::schema()),
        (MonitoringOut::name(), MonitoringOut::schema()),
        (PointOut::name(), PointOut::schema()),
        (LinkOut::name(), LinkOut::schema()),
        (LinkOutageOut::name(), LinkOutageOut::schema()),
        (WebhookIn::name(), WebhookIn::schema()),
        (ProbeIn::name(), ProbeIn::schema()),
    ] {
        components.schemas.insert(name.into_owned(), schema);
    }
    components.schemas.insert("MonitorSettings".into(), monitor_settings_schema());
}

/// The settings' schema, by hand: the domain type is not a DTO.
fn monitor_settings_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Schema};
    let mut o = ObjectBuilder::new();
    for (name, text) in [
        ("interval_ms", "Probe interval (default 60000)"),
        ("timeout_ms", "Probe timeout (default 2000; (retries+1) × timeout < interval)"),
        ("retries", "Extra attempts per probe (default 0)"),
        ("down_after", "Consecutive failures that confirm an outage (default 3)"),
        ("up_after", "Consecutive successes that confirm recovery (default 2)"),
        ("gap_share_percent", "Share of failed targets that makes a round a monitoring gap (default 80)"),
        ("gap_min_targets", "…when at least this many were probed (default 10)"),
        ("hourly_stats_retention_days", "Default 2"),
        ("daily_stats_retention_days", "Default 400"),
        ("link_outage_retention_days", "Default 800"),
    ] {
        o = o.property(name, ObjectBuilder::new().schema_type(Type::Integer).description(Some(text)));
    }
    utoipa::openapi::RefOr::T(Schema::Object(o.build()))
}
