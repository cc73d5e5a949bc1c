//! Penalty processes (processo administrativo de multa): their JSON shapes,
//! handlers and OpenAPI paths. Money travels as `_centavos` integers, dates
//! as `YYYY-MM-DD`, months as `YYYY-MM`, instants as RFC 3339; documents of
//! a defense or an appeal travel inside the JSON as base64 and come back as
//! their bytes, with their SHA-256 in the process and in a header. Every
//! rule — who may do what, when, for how much — is the app's and the
//! domain's.

use super::dto::{ListOut, need, rfc3339};
use super::openapi::{
    body, error_response, id_param, json_response, list_schema, op, path_param, query_param, schema_ref,
};
use super::{ApiJson, Filters, parse_id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use redegov_app::penalties::{
    Attachment, AttachmentInput, BreachRef, Filing, PenaltyDetail, PenaltyFilter, PenaltyInput, PenaltyRow,
};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::*;
use redegov_domain::money::Money;
use redegov_domain::penalty::*;
use serde::{Deserialize, Serialize};
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc};
use utoipa::{PartialSchema, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

/// This module's routes, merged into `/api/v1`.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/penalties", get(list_penalties).post(open_penalty))
        .route("/penalties/{id}", get(get_penalty))
        .route("/penalties/{id}/transitions", post(transition_penalty))
        .route("/penalties/{id}/defense", post(file_defense))
        .route("/penalties/{id}/appeal", post(file_appeal))
        .route("/penalties/{id}/attachments/{attachment_id}", get(get_attachment))
        .route("/penalties/{id}/apply", post(apply_penalty))
        .route("/penalties/{id}/suspend", post(suspend_penalty))
        .route("/penalties/{id}/resume", post(resume_penalty))
        // Documents travel as base64 inside the JSON: allow the server's
        // body limit rather than axum's 2 MB default.
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
}

// ----- shapes -----

/// An IMR breach of a closed month, cited as grounds.
#[derive(Deserialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct BreachRefIn {
    /// `YYYY-MM`: a closed month.
    pub month: Option<String>,
    pub access_id: Option<i64>,
    /// `availability`, `repair_time` or `order_deadline`.
    pub kind: Option<String>,
    /// A repair-time breach's incident (otherwise every breach of the kind).
    pub incident_id: Option<i64>,
    /// An order-deadline breach's order.
    pub order_id: Option<i64>,
}

/// A new penalty process.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PenaltyIn {
    /// Required when only a clause is cited; otherwise the breaches' lot.
    pub lot_id: Option<i64>,
    /// IMR breaches of closed months (one lot).
    pub breaches: Option<Vec<BreachRefIn>>,
    /// The contract clause, free text (required without breaches).
    pub clause: Option<String>,
    pub description: Option<String>,
    /// Replaces what the penalty rules compute for the breaches; with
    /// `amount_reason`.
    pub proposed_amount_centavos: Option<i64>,
    pub amount_reason: Option<String>,
    /// Business days for the defense, from the notification (default 5).
    pub defense_days: Option<u32>,
    /// Business days of the appeal window, from the decision (default 10).
    pub appeal_days: Option<u32>,
}

/// A decision (or the appeal's).
#[derive(Serialize, ToSchema)]
pub struct DecisionOut {
    /// `upheld`, `partially_upheld` or `dismissed` (of the fine).
    pub outcome: String,
    pub outcome_label: String,
    pub amount_centavos: i64,
    pub grounds: String,
    pub at: String,
}

/// A penalty process.
#[derive(Serialize, ToSchema)]
pub struct PenaltyOut {
    pub id: i64,
    /// `PM-2026/0003`.
    pub number: String,
    pub status: String,
    pub status_label: String,
    pub lot_id: i64,
    pub lot_code: String,
    pub clause: String,
    pub description: String,
    /// What the penalty rules compute for the cited breaches.
    pub computed_centavos: i64,
    pub proposed_centavos: i64,
    /// Why the proposed amount differs from the computed one.
    pub amount_reason: String,
    pub defense_days: u32,
    pub appeal_days: u32,
    pub notified_at: Option<String>,
    /// The defense's last day (`YYYY-MM-DD`, business days, art. 66).
    pub defense_due_on: Option<String>,
    pub defense_text: String,
    pub defense_at: Option<String>,
    pub decision: Option<DecisionOut>,
    /// The appeal window's last day.
    pub appeal_due_on: Option<String>,
    pub appeal_text: String,
    pub appeal_at: Option<String>,
    pub appeal_decision: Option<DecisionOut>,
    /// The outcome that stands (the appeal's, else the decision's).
    pub outcome: Option<String>,
    /// The fine that stands.
    pub final_amount_centavos: Option<i64>,
    pub final_at: Option<String>,
    pub installments: Option<u32>,
    pub start_month: Option<String>,
    pub suspended_at: Option<String>,
    pub suspend_reason: String,
    pub settled_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A cited breach with its measurement.
#[derive(Serialize, ToSchema)]
pub struct CitedBreachOut {
    pub month: String,
    pub access_id: i64,
    pub kind: String,
    pub incident_id: Option<i64>,
    pub order_id: Option<i64>,
    /// Availability (micro-percent), repair seconds or days late.
    pub measured: i64,
    pub target: i64,
    /// The closed line's proposed penalty for the access-month.
    pub line_penalty_centavos: i64,
}

/// One entry of the process's timeline.
#[derive(Serialize, ToSchema)]
pub struct PenaltyEventOut {
    pub at: String,
    pub login: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
    pub amount_centavos: Option<i64>,
}

/// A document of a defense or an appeal (its bytes at `url`).
#[derive(Serialize, ToSchema)]
pub struct AttachmentOut {
    pub id: i64,
    /// `defense` or `appeal`.
    pub kind: String,
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the bytes, lower-case hex (verified on every download).
    pub sha256: String,
    pub created_at: String,
    pub url: String,
}

/// A deduction part of an applied installment.
#[derive(Serialize, ToSchema)]
pub struct InstallmentPartOut {
    pub month: String,
    pub agency_id: i64,
    /// The operator bearing the part (a consortium's member).
    pub operator_id: i64,
    pub amount_centavos: i64,
}

/// An installment of an applied fine.
#[derive(Serialize, ToSchema)]
pub struct InstallmentOut {
    pub id: i64,
    pub seq: u32,
    pub of_total: u32,
    /// `YYYY-MM`: the month whose closing applies it.
    pub month: String,
    pub amount_centavos: i64,
    /// `pending` or `applied`.
    pub status: String,
    pub applied_at: Option<String>,
    pub postponements: u32,
    /// Its parts per agency and operator, once applied (they sum to it).
    pub parts: Vec<InstallmentPartOut>,
}

/// A process with its grounds, timeline, documents, installments and the
/// actions you may take now.
#[derive(Serialize, ToSchema)]
pub struct PenaltyDetailOut {
    #[serde(flatten)]
    pub penalty: PenaltyOut,
    pub breaches: Vec<CitedBreachOut>,
    pub history: Vec<PenaltyEventOut>,
    pub attachments: Vec<AttachmentOut>,
    pub installment_schedule: Vec<InstallmentOut>,
    pub allowed_actions: Vec<String>,
}

/// An action on a process that needs no documents.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PenaltyTransitionIn {
    /// `amend`, `notify`, `decide`, `decide_appeal`, `suspend`, `resume`.
    pub action: Option<String>,
    /// `decide`, `decide_appeal`: `upheld`, `partially_upheld`, `dismissed`.
    pub outcome: Option<String>,
    /// `amend`: the new proposed amount; `decide`, `decide_appeal` with
    /// `partially_upheld`: the amount (at most the proposed, or decided, one).
    pub amount_centavos: Option<i64>,
    /// `decide`, `decide_appeal`.
    pub grounds: Option<String>,
    /// `amend`, `suspend`.
    pub reason: Option<String>,
}

/// A document, base64 inside the JSON.
#[derive(Deserialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct AttachmentIn {
    pub name: Option<String>,
    /// `application/pdf`…
    pub content_type: Option<String>,
    /// The bytes in standard base64 (RFC 4648, padded).
    pub data_base64: Option<String>,
}

/// A defense or an appeal.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct FilingIn {
    pub text: Option<String>,
    pub attachments: Option<Vec<AttachmentIn>>,
}

/// The installment plan of a final fine.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ApplyIn {
    /// 1 to 120 monthly installments; the last absorbs the rounding.
    pub installments: Option<i64>,
    /// `YYYY-MM`, an open month.
    pub start_month: Option<String>,
}

/// Why a fine's application is suspended.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SuspendIn {
    pub reason: Option<String>,
}

fn date(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn decision_out(d: &Decision) -> DecisionOut {
    DecisionOut {
        outcome: d.outcome.as_str().into(),
        outcome_label: d.outcome.label().into(),
        amount_centavos: d.amount.centavos(),
        grounds: d.grounds.clone(),
        at: rfc3339(d.at),
    }
}

fn penalty_out(r: &PenaltyRow) -> PenaltyOut {
    let p = &r.penalty;
    PenaltyOut {
        id: p.id.0,
        number: p.number.clone(),
        status: p.status.as_str().into(),
        status_label: p.status.label().into(),
        lot_id: p.lot_id.0,
        lot_code: r.lot_code.clone(),
        clause: p.clause.clone(),
        description: p.description.clone(),
        computed_centavos: p.computed.centavos(),
        proposed_centavos: p.proposed.centavos(),
        amount_reason: p.amount_reason.clone(),
        defense_days: p.defense_days,
        appeal_days: p.appeal_days,
        notified_at: p.notified_at.map(rfc3339),
        defense_due_on: p.defense_due_on.map(date),
        defense_text: p.defense_text.clone(),
        defense_at: p.defense_at.map(rfc3339),
        decision: p.decision.as_ref().map(decision_out),
        appeal_due_on: p.appeal_due_on.map(date),
        appeal_text: p.appeal_text.clone(),
        appeal_at: p.appeal_at.map(rfc3339),
        appeal_decision: p.appeal_decision.as_ref().map(decision_out),
        outcome: p.outcome().map(|o| o.as_str().into()),
        final_amount_centavos: p.final_amount().map(|m| m.centavos()),
        final_at: p.final_at.map(rfc3339),
        installments: p.installments,
        start_month: p.start_month.clone(),
        suspended_at: p.suspended_at.map(rfc3339),
        suspend_reason: p.suspend_reason.clone(),
        settled_at: p.settled_at.map(rfc3339),
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
    }
}

fn detail_out(d: &PenaltyDetail) -> PenaltyDetailOut {
    let id = d.row.penalty.id.0;
    PenaltyDetailOut {
        penalty: penalty_out(&d.row),
        breaches: d
            .breaches
            .iter()
            .map(|b| CitedBreachOut {
                month: b.month.clone(),
                access_id: b.access_id.0,
                kind: b.kind.clone(),
                incident_id: b.incident_id.map(|i| i.0),
                order_id: b.order_id.map(|o| o.0),
                measured: b.measured,
                target: b.target,
                line_penalty_centavos: b.line_penalty.centavos(),
            })
            .collect(),
        history: d
            .events
            .iter()
            .map(|e| PenaltyEventOut {
                at: rfc3339(e.at),
                login: e.login.clone(),
                action: e.action.clone(),
                from_status: e.from_status.map(|s| s.as_str().into()),
                to_status: e.to_status.as_str().into(),
                note: e.note.clone(),
                amount_centavos: e.amount.map(|a| a.centavos()),
            })
            .collect(),
        attachments: d
            .attachments
            .iter()
            .map(|a| AttachmentOut {
                id: a.id.0,
                kind: a.kind.as_str().into(),
                name: a.name.clone(),
                content_type: a.content_type.clone(),
                size_bytes: a.size_bytes,
                sha256: a.sha256.clone(),
                created_at: rfc3339(a.created_at),
                url: format!("/api/v1/penalties/{id}/attachments/{}", a.id.0),
            })
            .collect(),
        installment_schedule: d
            .installments
            .iter()
            .map(|i| InstallmentOut {
                id: i.installment.id.0,
                seq: i.installment.seq,
                of_total: i.installment.of_total,
                month: i.installment.month.clone(),
                amount_centavos: i.installment.amount.centavos(),
                status: i.installment.status.as_str().into(),
                applied_at: i.installment.applied_at.map(rfc3339),
                postponements: i.installment.postponements,
                parts: i
                    .parts
                    .iter()
                    .map(|p| InstallmentPartOut {
                        month: p.deduction.month.clone(),
                        agency_id: p.deduction.agency_id.0,
                        operator_id: p.deduction.operator_id.0,
                        amount_centavos: p.deduction.amount.centavos(),
                    })
                    .collect(),
            })
            .collect(),
        allowed_actions: d.allowed.iter().map(|a| a.as_str().to_string()).collect(),
    }
}

/// Decodes standard, padded base64 (RFC 4648 §4); whitespace is ignored.
pub fn decode_base64(field: &str, text: &str) -> Valid<Vec<u8>> {
    let malformed = || FieldError::new(field, Rule::Malformed("base64 (RFC 4648)"));
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return Err(malformed());
    }
    let value = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let chunks = clean.chunks(4).count();
    for (n, chunk) in clean.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && n + 1 != chunks) {
            return Err(malformed());
        }
        let mut acc = 0u32;
        for (k, c) in chunk.iter().enumerate() {
            let v = if k >= 4 - pad { 0 } else { value(*c).ok_or_else(malformed)? };
            acc = (acc << 6) | v;
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Ok(out)
}

fn money(field: &str, centavos: i64) -> Valid<Money> {
    if centavos < 0 {
        return Err(FieldError::new(field, Rule::OutOfRange { min: 0, max: MAX_AMOUNT.centavos() }));
    }
    Ok(Money::from_centavos(centavos))
}

fn read_penalty(b: PenaltyIn) -> Valid<PenaltyInput> {
    let breaches = b
        .breaches
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let f = |name: &str| format!("breaches[{i}].{name}");
            let month_field = f("month");
            Ok(BreachRef {
                month: redegov_app::closing::parse_month(
                    &month_field,
                    need(&month_field, r.month.as_deref())?,
                )?,
                access_id: AccessId(need(&f("access_id"), r.access_id)?),
                kind: need(&f("kind"), r.kind)?,
                incident_id: r.incident_id.map(IncidentId),
                order_id: r.order_id.map(OrderId),
            })
        })
        .collect::<Valid<Vec<_>>>()?;
    Ok(PenaltyInput {
        lot_id: b.lot_id.map(LotId),
        breaches,
        clause: b.clause.unwrap_or_default(),
        description: b.description.unwrap_or_default(),
        proposed_amount: b
            .proposed_amount_centavos
            .map(|c| money("proposed_amount_centavos", c))
            .transpose()?,
        amount_reason: b.amount_reason.unwrap_or_default(),
        defense_days: b.defense_days,
        appeal_days: b.appeal_days,
    })
}

impl PenaltyTransitionIn {
    pub fn into_command(self) -> Valid<Command> {
        let action = PenaltyAction::parse("action", need("action", self.action.as_deref())?)?;
        let outcome = || Outcome::parse("outcome", need("outcome", self.outcome.as_deref())?);
        let amount = || self.amount_centavos.map(|c| money("amount_centavos", c)).transpose();
        let grounds = self.grounds.clone().unwrap_or_default();
        let reason = self.reason.clone().unwrap_or_default();
        Ok(match action {
            PenaltyAction::Amend => Command::Amend { amount: need("amount_centavos", amount()?)?, reason },
            PenaltyAction::Notify => Command::Notify,
            PenaltyAction::Decide => Command::Decide { outcome: outcome()?, amount: amount()?, grounds },
            PenaltyAction::DecideAppeal => {
                Command::DecideAppeal { outcome: outcome()?, amount: amount()?, grounds }
            }
            PenaltyAction::Suspend => Command::Suspend { reason },
            PenaltyAction::Resume => Command::Resume,
            PenaltyAction::FileDefense
            | PenaltyAction::FileAppeal
            | PenaltyAction::Apply
            | PenaltyAction::MissDefenseDeadline
            | PenaltyAction::Finalize
            | PenaltyAction::Settle => {
                return Err(FieldError::new(
                    "action",
                    Rule::OneOf(&["amend", "notify", "decide", "decide_appeal", "suspend", "resume"]),
                ));
            }
        })
    }
}

fn read_filing(b: FilingIn) -> Valid<Filing> {
    let attachments = b
        .attachments
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let data_field = format!("attachments[{i}].data_base64");
            Ok(AttachmentInput {
                name: a.name.unwrap_or_default(),
                content_type: a.content_type.unwrap_or_default(),
                data: decode_base64(&data_field, need(&data_field, a.data_base64.as_deref())?)?,
            })
        })
        .collect::<Valid<Vec<_>>>()?;
    Ok(Filing { text: b.text.unwrap_or_default(), attachments })
}

// ----- handlers -----

/// `GET /penalties`: filters `status`, `lot_id`, `operator_id`.
pub async fn list_penalties(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: Filters,
) -> ApiResult<Json<ListOut<PenaltyOut>>> {
    let filter = PenaltyFilter {
        status: q.code("status", PenaltyStatus::parse)?,
        lot_id: q.id("lot_id")?.map(LotId),
        operator_id: q.id("operator_id")?.map(OperatorId),
    };
    let listed = s.app.list_penalties(&actor, filter, q.page).await?;
    Ok(Json(ListOut {
        items: listed.items.iter().map(penalty_out).collect(),
        total: listed.total,
        page: q.page.page,
        page_size: q.page.page_size,
    }))
}

pub async fn open_penalty(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<PenaltyIn>,
) -> ApiResult<Response> {
    let input = read_penalty(body)?;
    let detail = s.app.open_penalty(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(detail_out(&detail))).into_response())
}

pub async fn get_penalty(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<PenaltyDetailOut>> {
    let detail = s.app.get_penalty(&actor, PenaltyId(parse_id(&id)?)).await?;
    Ok(Json(detail_out(&detail)))
}

pub async fn transition_penalty(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PenaltyTransitionIn>,
) -> ApiResult<Json<PenaltyDetailOut>> {
    let id = PenaltyId(parse_id(&id)?);
    let detail = s.app.transition_penalty(&actor, id, body.into_command()?).await?;
    Ok(Json(detail_out(&detail)))
}

pub async fn file_defense(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FilingIn>,
) -> ApiResult<Json<PenaltyDetailOut>> {
    let id = PenaltyId(parse_id(&id)?);
    let detail = s.app.file_defense(&actor, id, read_filing(body)?).await?;
    Ok(Json(detail_out(&detail)))
}

pub async fn file_appeal(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FilingIn>,
) -> ApiResult<Json<PenaltyDetailOut>> {
    let id = PenaltyId(parse_id(&id)?);
    let detail = s.app.file_appeal(&actor, id, read_filing(body)?).await?;
    Ok(Json(detail_out(&detail)))
}

/// `GET /penalties/{id}/attachments/{attachment_id}`: the bytes, their
/// type, and their SHA-256 in `X-Content-SHA256` (checked before sending).
pub async fn get_attachment(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path((id, attachment)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = PenaltyId(parse_id(&id)?);
    let attachment = AttachmentId(parse_id(&attachment)?);
    Ok(attachment_download(s.app.penalty_attachment(&actor, id, attachment).await?))
}

/// A filed document as a download, its SHA-256 in `X-Content-SHA256` (the
/// API and the portal serve it alike).
pub(crate) fn attachment_download(a: Attachment) -> Response {
    file_download(&a.meta.name, &a.meta.content_type, &a.meta.sha256, a.data)
}

/// A stored file as a download (`attachment; filename=…`), its SHA-256 in
/// `X-Content-SHA256`.
pub(crate) fn file_download(name: &str, content_type: &str, sha256: &str, data: Vec<u8>) -> Response {
    let disposition =
        format!("attachment; filename=\"{}\"", name.replace(|c: char| !c.is_ascii() || c == '"', "_"));
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::HeaderName::from_static("x-content-sha256"), sha256.to_string()),
        ],
        data,
    )
        .into_response()
}

pub async fn apply_penalty(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ApplyIn>,
) -> ApiResult<Json<PenaltyDetailOut>> {
    let id = PenaltyId(parse_id(&id)?);
    let n = need("installments", body.installments)?;
    let n = u32::try_from(n).map_err(|_| {
        FieldError::new("installments", Rule::OutOfRange { min: 1, max: i64::from(MAX_INSTALLMENTS) })
    })?;
    let start = redegov_app::penalties::parse_start_month(need("start_month", body.start_month.as_deref())?)?;
    let detail = s.app.apply_penalty(&actor, id, n, start).await?;
    Ok(Json(detail_out(&detail)))
}

pub async fn suspend_penalty(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SuspendIn>,
) -> ApiResult<Json<PenaltyDetailOut>> {
    let id = PenaltyId(parse_id(&id)?);
    let detail = s.app.suspend_penalty(&actor, id, body.reason.as_deref().unwrap_or("")).await?;
    Ok(Json(detail_out(&detail)))
}

pub async fn resume_penalty(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<PenaltyDetailOut>> {
    let id = PenaltyId(parse_id(&id)?);
    let detail = s.app.resume_penalty(&actor, id).await?;
    Ok(Json(detail_out(&detail)))
}

// ----- document -----

/// The allowed actions per status and role, for the document.
fn actions_table() -> String {
    let mut out = String::from(
        "Actions per status (roles in brackets; `system`: the deadline job or the closing):\n\n",
    );
    for status in PenaltyStatus::ALL {
        let actions: Vec<String> = PenaltyAction::ALL
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
    out.push_str(
        "\nThis endpoint takes `amend`, `notify`, `decide`, `decide_appeal`, `suspend`, `resume`; the defense, \
         the appeal and the application have their own endpoints. Deciding the appeal makes the decision final \
         at once; a final `dismissed` process is closed.",
    );
    out
}

/// Adds this module's paths and schemas to the OpenAPI document.
pub fn openapi(doc: &mut OpenApiDoc) {
    use HttpMethod::{Get, Post};
    let tag = "penalties";
    let detail = || json_response("The process", schema_ref("PenaltyDetailOut"));
    let scoped = || error_response("Absent, or outside your scope (an operator sees its lots' processes)");
    let role = || error_response("Your role may not do this (agency and network managers read no process)");
    let rule = |what: &str| error_response(what);
    let paths = &mut doc.paths;
    let mut list = op(tag, "Penalty processes in your scope, newest first".into())
        .parameter(query_param("page", Type::Integer))
        .parameter(query_param("page_size", Type::Integer))
        .response("200", json_response("A page of processes", list_schema("PenaltyOut")))
        .response("403", role())
        .response("422", error_response("A filter that cannot be understood"));
    for (name, kind) in [("status", Type::String), ("lot_id", Type::Integer), ("operator_id", Type::Integer)]
    {
        list = list.parameter(query_param(name, kind));
    }
    paths.add_path_operation("/api/v1/penalties", vec![Get], list.build());
    paths.add_path_operation(
        "/api/v1/penalties",
        vec![Post],
        op(
            tag,
            "Open a process (contract manager, admin) on IMR breaches of closed months and/or a contract \
             clause; the proposed amount is what the penalty rules compute unless another is given with a reason"
                .into(),
        )
        .request_body(Some(body("PenaltyIn")))
        .response("201", json_response("Opened", schema_ref("PenaltyDetailOut")))
        .response("400", error_response("Malformed JSON, unknown field"))
        .response("403", role())
        .response("422", rule("A breach of an open month (`month_not_closed`), a missing reason, a bad amount…"))
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/penalties/{id}",
        vec![Get],
        op(tag, "One process with its grounds, full timeline, documents and installments".into())
            .parameter(id_param())
            .response("200", detail())
            .response("403", role())
            .response("404", scoped())
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/penalties/{id}/transitions",
        vec![Post],
        op(tag, "Take an action on the process".into())
            .description(Some(actions_table()))
            .parameter(id_param())
            .request_body(Some(body("PenaltyTransitionIn")))
            .response("200", detail())
            .response("403", role())
            .response("404", scoped())
            .response(
                "422",
                rule("Not allowed in this status (`action_not_allowed`), missing grounds, amount too high…"),
            )
            .build(),
    );
    for (path, what) in [
        (
            "/api/v1/penalties/{id}/defense",
            "File the operator's defense (text and base64 documents) by its deadline",
        ),
        ("/api/v1/penalties/{id}/appeal", "File the operator's appeal within the appeal window"),
    ] {
        paths.add_path_operation(
            path,
            vec![Post],
            op(tag, what.into())
                .parameter(id_param())
                .request_body(Some(body("FilingIn")))
                .response("200", detail())
                .response("403", error_response("Only the operators of the process's lot file"))
                .response("404", scoped())
                .response("422", rule("After the deadline (`deadline_passed`, naming it), bad base64, …"))
                .build(),
        );
    }
    let bytes = ResponseBuilder::new()
        .description("The document's bytes; `X-Content-SHA256` carries their SHA-256")
        .content(
            "application/octet-stream",
            ContentBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))),
                ))
                .build(),
        )
        .build();
    paths.add_path_operation(
        "/api/v1/penalties/{id}/attachments/{attachment_id}",
        vec![Get],
        op(tag, "A document of the defense or the appeal".into())
            .parameter(id_param())
            .parameter(path_param("attachment_id", Type::Integer, "The document"))
            .response("200", bytes)
            .response("403", role())
            .response("404", scoped())
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/penalties/{id}/apply",
        vec![Post],
        op(
            tag,
            "Apply a final fine (contract manager, admin) in N monthly installments from an open month; each is \
             discounted when its month closes, apportioned to the lot's agencies and consortium members"
                .into(),
        )
        .parameter(id_param())
        .request_body(Some(body("ApplyIn")))
        .response("200", detail())
        .response("403", role())
        .response("404", scoped())
        .response("422", rule("0 or too many installments, a closed start month, a dismissed fine…"))
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/penalties/{id}/suspend",
        vec![Post],
        op(tag, "Suspend the fine's application (a court order…), with a reason".into())
            .parameter(id_param())
            .request_body(Some(body("SuspendIn")))
            .response("200", detail())
            .response("403", role())
            .response("404", scoped())
            .response("422", rule("No reason, or not being applied"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/penalties/{id}/resume",
        vec![Post],
        op(
            tag,
            "Resume a suspended fine: pending installments go to consecutive months from the first open one"
                .into(),
        )
        .parameter(id_param())
        .response("200", detail())
        .response("403", role())
        .response("404", scoped())
        .response("422", rule("Not suspended"))
        .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (PenaltyIn::name(), PenaltyIn::schema()),
        (BreachRefIn::name(), BreachRefIn::schema()),
        (PenaltyOut::name(), PenaltyOut::schema()),
        (DecisionOut::name(), DecisionOut::schema()),
        (CitedBreachOut::name(), CitedBreachOut::schema()),
        (PenaltyEventOut::name(), PenaltyEventOut::schema()),
        (AttachmentOut::name(), AttachmentOut::schema()),
        (InstallmentPartOut::name(), InstallmentPartOut::schema()),
        (InstallmentOut::name(), InstallmentOut::schema()),
        (PenaltyDetailOut::name(), PenaltyDetailOut::schema()),
        (PenaltyTransitionIn::name(), PenaltyTransitionIn::schema()),
        (AttachmentIn::name(), AttachmentIn::schema()),
        (FilingIn::name(), FilingIn::schema()),
        (ApplyIn::name(), ApplyIn::schema()),
        (SuspendIn::name(), SuspendIn::schema()),
    ] {
        components.schemas.insert(name.into_owned(), schema);
    }
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn base64_round_trips_the_rfc_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(decode_base64("d", coded).expect(coded), plain.as_bytes());
        }
        assert_eq!(decode_base64("d", "/+8=").expect("bin"), vec![0xff, 0xef]);
        for bad in ["Zg=", "Z===", "Zg==Zg==", "Zm9v!A==", "Zm=v"] {
            assert!(decode_base64("d", bad).is_err(), "{bad}");
        }
    }
}
