//! Service orders: their JSON shapes, handlers and OpenAPI paths. Field
//! names follow TMF641 Service Ordering where it fits: `tmf641_state` is
//! the order's TMF641 state (acknowledged, pending, held, inProgress,
//! completed, cancelled), `tmf641_action` its item action (add, modify,
//! delete), `number` is TMF641's `externalId`, `created_at` its
//! `orderDate`, `due_on` its `requestedCompletionDate` and `completed_at`
//! its `completionDate`. The order's type-specific fields travel flat in
//! the body, tagged by `type`, exactly as `redegov_domain::order::OrderSpec`
//! reads them; every rule is the app's and the domain's.

use super::dto::{ListOut, need, rfc3339};
use super::openapi::{
    body, error_response, id_param, json_response, list_schema, op, query_param, schema_ref,
};
use super::{ApiJson, Filters, parse_id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use redegov_app::orders::{OrderDetail, OrderInput};
use redegov_app::{OrderFilter, OrderRow};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::*;
use redegov_domain::inventory::AgencyKind;
use redegov_domain::order::*;
use redegov_domain::time::{parse_instant, to_network_date};
use serde::{Deserialize, Serialize};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::schema::Type;
use utoipa::{PartialSchema, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

/// The operator's deadline of an order.
#[derive(Serialize, ToSchema)]
pub struct DeadlineOut {
    pub days: u32,
    /// `calendar` or `business`.
    pub unit: String,
    /// `YYYY-MM-DD`: the last day the operator has (Lei 9.784/1999, art. 66),
    /// extended by the agency's pending items; `null` until sent.
    pub due_on: Option<String>,
    /// Days added for the agency's pending items.
    pub paused_days: u32,
}

/// How an open order stands against its due date today.
#[derive(Serialize, ToSchema)]
pub struct UrgencyOut {
    /// `on_time`, `due_soon` (within the reminder days) or `late`.
    pub state: String,
    /// Days left (negative: days late).
    pub days_left: i64,
}

/// A service order.
#[derive(Serialize, ToSchema)]
pub struct OrderOut {
    pub id: i64,
    /// `OS-2026-000123` (TMF641 `externalId`).
    pub number: String,
    /// One of the ten order types.
    #[serde(rename = "type")]
    pub order_type: String,
    pub type_label: String,
    pub status: String,
    pub status_label: String,
    pub tmf641_state: String,
    pub tmf641_action: String,
    pub agency_id: i64,
    pub agency_acronym: String,
    pub lot_id: i64,
    pub lot_code: String,
    pub site_id: i64,
    pub municipality_name: String,
    pub site_address: String,
    /// The access concerned; for an activation, the one created on completion.
    pub access_id: Option<i64>,
    /// The type's fields, as given (`type` included).
    #[schema(value_type = Object)]
    pub spec: serde_json::Value,
    pub area: String,
    pub deadline: DeadlineOut,
    pub urgency: Option<UrgencyOut>,
    /// Delivered after the due date (or still undelivered past it).
    pub late: bool,
    pub late_days: Option<u32>,
    pub sent_at: Option<String>,
    pub survey_at: Option<String>,
    pub installation_at: Option<String>,
    pub executed_at: Option<String>,
    pub delivered_on: Option<String>,
    pub technical_report: String,
    pub probe_targets: Vec<String>,
    pub acceptance_due_on: Option<String>,
    pub completed_at: Option<String>,
    /// Completed by tacit acceptance.
    pub tacit: bool,
    pub linked_order_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// One entry of an order's history.
#[derive(Serialize, ToSchema)]
pub struct OrderEventOut {
    pub at: String,
    pub login: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
}

/// A pending item of a survey.
#[derive(Serialize, ToSchema)]
pub struct PendingItemOut {
    pub id: i64,
    /// `agency` (pauses the deadline while open) or `operator`.
    pub party: String,
    pub description: String,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

/// An order with its history, pending items and the actions you may take.
#[derive(Serialize, ToSchema)]
pub struct OrderDetailOut {
    #[serde(flatten)]
    pub order: OrderOut,
    pub history: Vec<OrderEventOut>,
    pub pending_items: Vec<PendingItemOut>,
    /// The actions your role may take now (`POST …/transitions`).
    pub allowed_actions: Vec<String>,
}

fn date(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn order_out(r: &OrderRow, today: chrono::NaiveDate, reminder_days: u32, paused: bool) -> OrderOut {
    let o = &r.order;
    let urgency = o.urgency(today, reminder_days).map(|u| UrgencyOut {
        state: u.code().into(),
        days_left: match u {
            Urgency::OnTime { days_left } | Urgency::DueSoon { days_left } => days_left,
            Urgency::Late { days } => -days,
        },
    });
    let late =
        o.late_days.is_some_and(|d| d > 0) || matches!(o.urgency(today, 0), Some(Urgency::Late { .. }));
    OrderOut {
        id: o.id.0,
        number: o.number.clone(),
        order_type: o.order_type.as_str().into(),
        type_label: o.order_type.label().into(),
        status: o.status.as_str().into(),
        status_label: o.status.label().into(),
        tmf641_state: o.status.tmf641(paused).into(),
        tmf641_action: o.order_type.tmf641_action().into(),
        agency_id: o.agency_id.0,
        agency_acronym: r.agency_acronym.clone(),
        lot_id: o.lot_id.0,
        lot_code: r.lot_code.clone(),
        site_id: o.site_id.0,
        municipality_name: r.municipality_name.clone(),
        site_address: r.site_address.clone(),
        access_id: o.access_id.map(|a| a.0),
        spec: serde_json::to_value(&o.spec).unwrap_or_default(),
        area: o.area.as_str().into(),
        deadline: DeadlineOut {
            days: o.deadline_days,
            unit: o.deadline_unit.as_str().into(),
            due_on: o.due_on.map(date),
            paused_days: o.paused_days,
        },
        urgency,
        late,
        late_days: o.late_days,
        sent_at: o.sent_at.map(rfc3339),
        survey_at: o.survey_at.map(rfc3339),
        installation_at: o.installation_at.map(rfc3339),
        executed_at: o.executed_at.map(rfc3339),
        delivered_on: o.delivered_on.map(date),
        technical_report: o.technical_report.clone(),
        probe_targets: o.probe_targets.clone(),
        acceptance_due_on: o.acceptance_due_on.map(date),
        completed_at: o.completed_at.map(rfc3339),
        tacit: o.tacit,
        linked_order_id: o.linked_order_id.map(|l| l.0),
        created_at: rfc3339(o.created_at),
        updated_at: rfc3339(o.updated_at),
    }
}

fn detail_out(d: &OrderDetail, today: chrono::NaiveDate, reminder_days: u32) -> OrderDetailOut {
    let paused = d.pending.iter().any(|p| p.party == Party::Agency && p.resolved_at.is_none());
    OrderDetailOut {
        order: order_out(&d.row, today, reminder_days, paused),
        history: d
            .events
            .iter()
            .map(|e| OrderEventOut {
                at: rfc3339(e.at),
                login: e.login.clone(),
                action: e.action.clone(),
                from_status: e.from_status.map(|s| s.as_str().into()),
                to_status: e.to_status.as_str().into(),
                note: e.note.clone(),
            })
            .collect(),
        pending_items: d
            .pending
            .iter()
            .map(|p| PendingItemOut {
                id: p.id.0,
                party: p.party.as_str().into(),
                description: p.description.clone(),
                created_at: rfc3339(p.created_at),
                resolved_at: p.resolved_at.map(rfc3339),
            })
            .collect(),
        allowed_actions: d.allowed.iter().map(|a| a.as_str().to_string()).collect(),
    }
}

/// A new order: `type` and that type's fields, plus `submit`.
#[derive(Deserialize, ToSchema)]
pub struct OrderIn {
    /// One of `new_access`, `deactivation`, `reconfiguration`,
    /// `address_change`, `address_correction`, `ownership_transfer`,
    /// `cpe_config_change`, `cpe_relocation`, `security_rule_change`,
    /// `migration`.
    #[serde(rename = "type")]
    pub order_type: String,
    /// `new_access`, `migration`: the site, lot, `service` (SCM…),
    /// `bandwidth_mbps`, `redundancy` and `technology`.
    pub site_id: Option<i64>,
    pub lot_id: Option<i64>,
    pub service: Option<String>,
    pub bandwidth_mbps: Option<i64>,
    pub redundancy: Option<String>,
    pub technology: Option<String>,
    /// `migration`: the legacy network's circuit.
    pub legacy_circuit: Option<String>,
    /// Every other type: the access concerned.
    pub access_id: Option<i64>,
    /// `address_change`: the agency's site the access moves to.
    pub new_site_id: Option<i64>,
    /// `address_correction`: the right address.
    pub address: Option<String>,
    /// `ownership_transfer`: the receiving agency and its site.
    pub to_agency_id: Option<i64>,
    pub to_site_id: Option<i64>,
    /// `security_rule_change`: `block` or `unblock`.
    pub change: Option<String>,
    /// `cpe_config_change`, `cpe_relocation`, `security_rule_change`.
    pub description: Option<String>,
    /// Submit at once (default `true`); `false` keeps a draft.
    pub submit: Option<bool>,
}

/// Reads a new order from the raw body: `submit` apart, the rest is the
/// domain's `OrderSpec`, whose unknown or missing fields are named.
fn read_order(bytes: &[u8]) -> Result<OrderInput, ApiError> {
    let mut value: serde_json::Value = super::decode(bytes)?;
    let submit = match value.as_object_mut().and_then(|o| o.remove("submit")) {
        None => true,
        Some(serde_json::Value::Bool(b)) => b,
        Some(_) => return Err(ApiError::bad_request(Some("submit".into()), "submit must be true or false")),
    };
    match value.get("type").and_then(|t| t.as_str()) {
        None => return Err(FieldError::new("type", Rule::Required).into()),
        Some(t) => {
            OrderType::parse("type", t)?;
        }
    }
    let text = serde_json::to_vec(&value).map_err(|e| ApiError::bad_request(None, e.to_string()))?;
    let spec: OrderSpec = super::decode(&text)?;
    Ok(OrderInput { spec, submit })
}

/// An action on an order, with what it needs.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TransitionIn {
    /// See `allowed_actions` of the order: `submit`, `validate`, `return`,
    /// `schedule_survey`, `report_survey`, `schedule_installation`,
    /// `start_execution`, `report_execution`, `accept_technical`,
    /// `reject_technical`, `accept`, `refuse`, `cancel`.
    pub action: Option<String>,
    /// `return`, `reject_technical`, `refuse`, `cancel`.
    pub reason: Option<String>,
    /// `schedule_survey`, `schedule_installation`: RFC 3339, at least the
    /// notice (48 h by default) ahead.
    pub at: Option<String>,
    /// `report_survey`, `report_execution`: the technical report.
    pub report: Option<String>,
    /// `report_survey`: pending items for the agency (they pause the
    /// deadline) and for the operator.
    pub pending: Option<Vec<PendingDraftIn>>,
    /// `report_execution` of an activation or address change: the probe
    /// targets of the installed links (one per link).
    pub probe_targets: Option<Vec<String>>,
}

#[derive(Deserialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct PendingDraftIn {
    /// `agency` or `operator`.
    pub party: Option<String>,
    pub description: Option<String>,
}

impl TransitionIn {
    pub fn into_command(self) -> Valid<Command> {
        let action = Action::parse("action", need("action", self.action.as_deref())?)?;
        let reason = || self.reason.clone().unwrap_or_default();
        let at = || parse_instant("at", need("at", self.at.as_deref())?);
        let report = || self.report.clone().unwrap_or_default();
        Ok(match action {
            Action::Submit => Command::Submit,
            Action::Validate => Command::Validate,
            Action::Return => Command::Return { reason: reason() },
            Action::ScheduleSurvey => Command::ScheduleSurvey { at: at()? },
            Action::ReportSurvey => Command::ReportSurvey {
                report: report(),
                pending: self
                    .pending
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let field = format!("pending[{i}].party");
                        Ok(PendingDraft {
                            party: Party::parse(&field, need(&field, p.party.as_deref())?)?,
                            description: p.description.unwrap_or_default(),
                        })
                    })
                    .collect::<Valid<_>>()?,
            },
            Action::ScheduleInstallation => Command::ScheduleInstallation { at: at()? },
            Action::StartExecution => Command::StartExecution,
            Action::ReportExecution => Command::ReportExecution {
                report: report(),
                probe_targets: self.probe_targets.clone().unwrap_or_default(),
            },
            Action::AcceptTechnical => Command::AcceptTechnical,
            Action::RejectTechnical => Command::RejectTechnical { reason: reason() },
            Action::Accept => Command::Accept,
            Action::Refuse => Command::Refuse { reason: reason() },
            Action::TacitAccept => Command::TacitAccept,
            Action::Cancel => Command::Cancel { reason: reason() },
        })
    }
}

/// Whether an agency is delinquent, with the reason of the change.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DelinquencyIn {
    pub delinquent: Option<bool>,
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DelinquencyOut {
    pub agency_id: i64,
    pub delinquent: bool,
}

async fn today_and_reminder(s: &WebState, actor: &redegov_app::Actor) -> ApiResult<(chrono::NaiveDate, u32)> {
    let settings = s.app.order_settings(actor).await?;
    Ok((to_network_date(s.app.now()), settings.reminder_days))
}

/// `GET /orders`: filters `status`, `type`, `agency_id`, `lot_id`,
/// `access_id`, `operator_id`, `open=true`, `late=true`, `due_soon=true`, `q`;
/// `sort=due_on` lists the soonest due first (newest first otherwise).
pub async fn list_orders(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: Filters,
) -> ApiResult<Json<ListOut<OrderOut>>> {
    let (today, reminder) = today_and_reminder(&s, &actor).await?;
    let filter = orders_filter(&q, today, reminder)?;
    let listed = s.app.list_orders(&actor, filter, q.page).await?;
    Ok(Json(ListOut {
        items: listed.items.iter().map(|r| order_out(r, today, reminder, false)).collect(),
        total: listed.total,
        page: q.page.page,
        page_size: q.page.page_size,
    }))
}

/// The order list's filters, read from the query string (shared with the
/// portal's list and exports).
pub fn orders_filter(q: &Filters, today: chrono::NaiveDate, reminder_days: u32) -> ApiResult<OrderFilter> {
    let due_soon = q.flag("due_soon")?;
    Ok(OrderFilter {
        status: q.code("status", OrderStatus::parse)?,
        order_type: q.code("type", OrderType::parse)?,
        agency_id: q.id("agency_id")?.map(AgencyId),
        lot_id: q.id("lot_id")?.map(LotId),
        access_id: q.id("access_id")?.map(AccessId),
        operator_id: q.id("operator_id")?.map(OperatorId),
        open_only: q.flag("open")?,
        late_on: q.flag("late")?.then_some(today),
        due_by: due_soon.then(|| today + chrono::Days::new(u64::from(reminder_days))),
        due_from: due_soon.then_some(today),
        search: q.text("q").map(str::to_string),
        by_due_date: q
            .code("sort", |field, v| match v {
                "due_on" => Ok(true),
                "created_at" => Ok(false),
                _ => Err(FieldError::new(field, Rule::OneOf(&["due_on", "created_at"]))),
            })?
            .unwrap_or(false),
    })
}

pub async fn create_order(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    bytes: Bytes,
) -> ApiResult<Response> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request(None, "a JSON object body is required"));
    }
    let input = read_order(&bytes)?;
    let detail = s.app.create_order(&actor, input).await?;
    let (today, reminder) = today_and_reminder(&s, &actor).await?;
    Ok((StatusCode::CREATED, Json(detail_out(&detail, today, reminder))).into_response())
}

pub async fn get_order(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderDetailOut>> {
    let detail = s.app.get_order(&actor, OrderId(parse_id(&id)?)).await?;
    let (today, reminder) = today_and_reminder(&s, &actor).await?;
    Ok(Json(detail_out(&detail, today, reminder)))
}

pub async fn transition_order(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TransitionIn>,
) -> ApiResult<Json<OrderDetailOut>> {
    let id = OrderId(parse_id(&id)?);
    let detail = s.app.transition_order(&actor, id, body.into_command()?).await?;
    let (today, reminder) = today_and_reminder(&s, &actor).await?;
    Ok(Json(detail_out(&detail, today, reminder)))
}

pub async fn resolve_pending(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path((id, item)): Path<(String, String)>,
) -> ApiResult<Json<OrderDetailOut>> {
    let id = OrderId(parse_id(&id)?);
    let item = PendingItemId(parse_id(&item)?);
    let detail = s.app.resolve_pending_item(&actor, id, item).await?;
    let (today, reminder) = today_and_reminder(&s, &actor).await?;
    Ok(Json(detail_out(&detail, today, reminder)))
}

pub async fn get_settings(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<OrderSettings>> {
    Ok(Json(s.app.order_settings(&actor).await?))
}

pub async fn put_settings(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(settings): ApiJson<OrderSettings>,
) -> ApiResult<Json<OrderSettings>> {
    Ok(Json(s.app.set_order_settings(&actor, settings).await?))
}

pub async fn list_policies(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<AdhesionPolicy>>> {
    Ok(Json(s.app.adhesion_policies(&actor).await?))
}

pub async fn put_policy(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(kind): Path<String>,
    ApiJson(policy): ApiJson<AdhesionPolicy>,
) -> ApiResult<Json<AdhesionPolicy>> {
    let kind = AgencyKind::parse("kind", &kind)?;
    if policy.kind != kind {
        return Err(FieldError::new("kind", Rule::OneOf(&["the kind in the path"])).into());
    }
    Ok(Json(s.app.set_adhesion_policy(&actor, policy).await?))
}

pub async fn get_delinquency(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<DelinquencyOut>> {
    let agency = AgencyId(parse_id(&id)?);
    let delinquent = s.app.agency_is_delinquent(&actor, agency).await?;
    Ok(Json(DelinquencyOut { agency_id: agency.0, delinquent }))
}

pub async fn put_delinquency(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DelinquencyIn>,
) -> ApiResult<Json<DelinquencyOut>> {
    let agency = AgencyId(parse_id(&id)?);
    let delinquent = need("delinquent", body.delinquent)?;
    s.app.set_agency_delinquent(&actor, agency, delinquent, body.reason.as_deref().unwrap_or("")).await?;
    Ok(Json(DelinquencyOut { agency_id: agency.0, delinquent }))
}

/// The allowed actions per status and role, for the document.
fn actions_table() -> String {
    let mut out = String::from("Allowed actions per status (roles in brackets):\n\n");
    for status in OrderStatus::ALL {
        let actions: Vec<String> = Action::ALL
            .iter()
            .filter(|a| a.from_statuses().contains(status))
            .map(|a| {
                let roles: Vec<&str> = a.roles().iter().map(|r| r.as_str()).collect();
                let roles = if roles.is_empty() { "system".to_string() } else { roles.join(", ") };
                format!("`{a}` [{roles}]")
            })
            .collect();
        let actions = if actions.is_empty() { "none (final)".to_string() } else { actions.join("; ") };
        out.push_str(&format!("- `{status}`: {actions}\n"));
    }
    out.push_str("\nAn agency manager cancels only before the order is sent to the operator.");
    out
}

/// Adds the orders' paths and schemas to the API document.
pub(super) fn openapi(doc: &mut OpenApiDoc) {
    use HttpMethod::{Get, Post, Put};
    let rule_broken = || error_response("A rule is broken; `field` names it");
    let paths = &mut doc.paths;
    let mut list = op("orders", "Service orders in your scope, newest first".into())
        .parameter(query_param("page", Type::Integer))
        .parameter(query_param("page_size", Type::Integer))
        .response("200", json_response("A page of orders", list_schema("OrderOut")))
        .response("422", error_response("A filter that cannot be understood"));
    for (name, kind) in [
        ("status", Type::String),
        ("type", Type::String),
        ("agency_id", Type::Integer),
        ("lot_id", Type::Integer),
        ("access_id", Type::Integer),
        ("operator_id", Type::Integer),
        ("open", Type::Boolean),
        ("late", Type::Boolean),
        ("due_soon", Type::Boolean),
        ("q", Type::String),
        ("sort", Type::String),
    ] {
        list = list.parameter(query_param(name, kind));
    }
    paths.add_path_operation("/api/v1/orders", vec![Get], list.build());
    paths.add_path_operation(
        "/api/v1/orders",
        vec![Post],
        op(
            "orders",
            "Open an order (agency manager for its agency, network manager, admin): `type` and its fields; \
             submitted at once unless `submit` is false; adhesion policies apply"
                .into(),
        )
        .request_body(Some(body("OrderIn")))
        .response("201", json_response("Opened", schema_ref("OrderDetailOut")))
        .response("400", error_response("Malformed JSON, unknown or missing field"))
        .response("403", error_response("Your role may not open orders"))
        .response("422", rule_broken())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/orders/{id}",
        vec![Get],
        op("orders", "One order with its history, pending items and the actions you may take".into())
            .parameter(id_param())
            .response("200", json_response("The order", schema_ref("OrderDetailOut")))
            .response("404", error_response("Absent, or outside your scope"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/orders/{id}/transitions",
        vec![Post],
        op("orders", "Take an action on the order".into())
            .description(Some(actions_table()))
            .parameter(id_param())
            .request_body(Some(body("TransitionIn")))
            .response("200", json_response("The order after the action", schema_ref("OrderDetailOut")))
            .response("403", error_response("Your role may not take this action"))
            .response("404", error_response("Absent, or outside your scope"))
            .response(
                "422",
                error_response(
                    "Not allowed in this status (`action_not_allowed`), too short a notice \
                     (`schedule_too_soon`), a delinquent agency (`agency_delinquent`), …",
                ),
            )
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/orders/{id}/pending-items/{item_id}/resolve",
        vec![Post],
        op(
            "orders",
            "Mark a survey's pending item done (the agency's by its manager or the network manager, the \
             operator's by the operator); the agency's restart the deadline, extended"
                .into(),
        )
        .parameter(id_param())
        .parameter(super::openapi::path_param("item_id", Type::Integer, "The pending item"))
        .response("200", json_response("The order", schema_ref("OrderDetailOut")))
        .response("403", error_response("Your role may not resolve this item"))
        .response("422", rule_broken())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/order-settings",
        vec![Get],
        op("orders", "Order settings: validation step, acceptance days, reminder, notice, deadlines".into())
            .response("200", json_response("Settings", schema_ref("OrderSettingsDoc")))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/order-settings",
        vec![Put],
        op("orders", "Replace the order settings (admin)".into())
            .request_body(Some(body("OrderSettingsDoc")))
            .response("200", json_response("Stored", schema_ref("OrderSettingsDoc")))
            .response("403", error_response("Only admin changes the settings"))
            .response("422", rule_broken())
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/adhesion-policies",
        vec![Get],
        op("orders", "Adhesion policies per agency kind (limits on what an agency may order)".into())
            .response("200", json_response("Policies", schema_ref("AdhesionPoliciesDoc")))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/adhesion-policies/{kind}",
        vec![Put],
        op("orders", "Set the policy of an agency kind (admin, committee)".into())
            .parameter(super::openapi::path_param(
                "kind",
                Type::String,
                "`compulsory`, `facultative`, `municipality`",
            ))
            .request_body(Some(body("AdhesionPoliciesDoc")))
            .response("200", json_response("Stored", schema_ref("AdhesionPoliciesDoc")))
            .response("403", error_response("Your role may not change policies"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/agencies/{id}/delinquency",
        vec![Get],
        op("agencies", "Whether the agency is delinquent".into())
            .parameter(id_param())
            .response("200", json_response("Delinquency", schema_ref("DelinquencyOut")))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/agencies/{id}/delinquency",
        vec![Put],
        op(
            "agencies",
            "Mark an agency delinquent or settled (admin, contract manager; with a reason): a delinquent \
             agency's new orders cannot be validated"
                .into(),
        )
        .parameter(id_param())
        .request_body(Some(body("DelinquencyIn")))
        .response("200", json_response("Stored", schema_ref("DelinquencyOut")))
        .response("403", error_response("Your role may not change this"))
        .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    let free = || -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .description(Some("A JSON document; see docs/orders.md for its fields"))
            .into()
    };
    for (name, schema) in [
        (OrderIn::name(), OrderIn::schema()),
        (OrderOut::name(), OrderOut::schema()),
        (OrderDetailOut::name(), OrderDetailOut::schema()),
        (OrderEventOut::name(), OrderEventOut::schema()),
        (PendingItemOut::name(), PendingItemOut::schema()),
        (PendingDraftIn::name(), PendingDraftIn::schema()),
        (TransitionIn::name(), TransitionIn::schema()),
        (DeadlineOut::name(), DeadlineOut::schema()),
        (UrgencyOut::name(), UrgencyOut::schema()),
        (DelinquencyIn::name(), DelinquencyIn::schema()),
        (DelinquencyOut::name(), DelinquencyOut::schema()),
        ("OrderSettingsDoc".into(), free()),
        ("AdhesionPoliciesDoc".into(), free()),
    ] {
        components.schemas.insert(name.into_owned(), schema);
    }
}
