//! Joining the network (issue #7, `docs/adhesion.md`).
//!
//! - `POST /adhesions {agency_id, note}` opens a request; `GET /adhesions`
//!   lists them (`status`, `kind`, `agency_id`, `pending=true`);
//!   `GET /adhesions/queue` is what waits for the caller's role;
//!   `GET /adhesions/{id}` answers one with its history, documents, persons
//!   and `allowed_actions`; `POST /adhesions/{id}/transitions {action, note}`
//!   moves it.
//! - `POST /adhesions/{id}/documents {kind, name, data_base64}` attaches a
//!   signed PDF; `GET /adhesions/{id}/documents/{document_id}` serves it
//!   with its SHA-256.
//! - `GET /responsible-persons?agency_id=&all=true`,
//!   `POST /responsible-persons/{id}/removal {note}`;
//!   `GET|POST /responsible-requests` (Annex I: `persons` to include or
//!   change, none to ratify), `POST /responsible-requests/{id}/decision
//!   {approve, note}`.
//! - `GET|POST /technical-forms` (Annex II),
//!   `POST /technical-forms/{id}/decision {approve, note, private_pool_id,
//!   public_pool_id}` (approving allocates the blocks).
//! - `GET|PUT /adhesion-settings {election_date, reminder_days}`.
//!
//! CPFs are answered whole to the admin, the network manager and the
//! agency's own managers, masked (`***.982.247-**`) to everyone else.

use super::dto::{ListOut, need, rfc3339};
use super::openapi::{
    array_of, body, error_response, json_response, list_schema, op, path_param, query_param, schema_ref,
};
use super::penalties::{decode_base64, file_download};
use super::{ApiJson, Filters, parse_id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use redegov_app::adhesions::{Adhesion, AdhesionDetail, AdhesionFilter, DocumentInput, DocumentMeta};
use redegov_app::responsibles::{
    AdhesionSettings, FormPools, PersonRecord, ResponsibleRequest, TechnicalFormRecord, sees_cpf,
};
use redegov_domain::adhesion::{AdhesionAction, AdhesionStatus, PersonInput, TechnicalFormInput};
use redegov_domain::ids::*;
use redegov_domain::inventory::AgencyKind;
use redegov_domain::role::Actor;
use serde::{Deserialize, Serialize};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::schema::Type;
use utoipa::{PartialSchema, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

/// This module's routes, merged into `/api/v1`.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/adhesions", get(list_adhesions).post(request_adhesion))
        .route("/adhesions/queue", get(queue))
        .route("/adhesions/{id}", get(get_adhesion))
        .route("/adhesions/{id}/transitions", post(act))
        .route("/adhesions/{id}/documents", post(attach))
        .route("/adhesions/{id}/documents/{document_id}", get(document))
        .route("/responsible-persons", get(list_persons))
        .route("/responsible-persons/{id}/removal", post(remove_person))
        .route("/responsible-requests", get(list_requests).post(file_request))
        .route("/responsible-requests/{id}/decision", post(decide_request))
        .route("/technical-forms", get(list_forms).post(file_form))
        .route("/technical-forms/{id}/decision", post(decide_form))
        .route("/adhesion-settings", get(get_settings).put(put_settings))
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
}

// ----- shapes -----

/// A new adhesion request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdhesionIn {
    pub agency_id: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// An adhesion.
#[derive(Serialize, ToSchema)]
pub struct AdhesionOut {
    pub id: i64,
    /// `AD-2026/0001`.
    pub number: String,
    pub agency_id: i64,
    pub agency_name: String,
    pub agency_acronym: String,
    /// `compulsory`, `facultative` or `municipality`.
    pub kind: &'static str,
    /// `requested`, `under_review`, `returned`, `approved`, `rejected`,
    /// `suspended`, `withdrawal_requested`, `withdrawn`.
    pub status: &'static str,
    pub note: String,
    pub requested_at: String,
    pub decided_at: Option<String>,
    pub updated_at: String,
}

fn adhesion_out(a: &Adhesion) -> AdhesionOut {
    AdhesionOut {
        id: a.id.0,
        number: a.number.clone(),
        agency_id: a.agency_id.0,
        agency_name: a.agency_name.clone(),
        agency_acronym: a.agency_acronym.clone(),
        kind: a.kind.as_str(),
        status: a.status.as_str(),
        note: a.note.clone(),
        requested_at: rfc3339(a.requested_at),
        decided_at: a.decided_at.map(rfc3339),
        updated_at: rfc3339(a.updated_at),
    }
}

/// One step of an adhesion's history.
#[derive(Serialize, ToSchema)]
pub struct AdhesionEventOut {
    pub at: String,
    pub login: String,
    pub action: String,
    pub from_status: Option<&'static str>,
    pub to_status: &'static str,
    pub note: String,
}

/// A signed document, without its bytes.
#[derive(Serialize, ToSchema)]
pub struct AdhesionDocumentOut {
    pub id: i64,
    pub kind: &'static str,
    pub name: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: String,
}

fn document_out(d: &DocumentMeta) -> AdhesionDocumentOut {
    AdhesionDocumentOut {
        id: d.id.0,
        kind: d.kind.as_str(),
        name: d.name.clone(),
        size_bytes: d.size_bytes,
        sha256: d.sha256.clone(),
        created_at: rfc3339(d.created_at),
    }
}

/// A responsible person.
#[derive(Serialize, ToSchema)]
pub struct PersonOut {
    pub id: i64,
    pub agency_id: i64,
    pub agency_acronym: String,
    pub request_id: i64,
    /// `primary` or `substitute`.
    pub position: &'static str,
    pub name: String,
    /// Whole (`529.982.247-25`) or masked (`***.982.247-**`) by the reader's role.
    pub cpf: String,
    pub registration: String,
    pub email: String,
    pub phone: String,
    pub mobile: String,
    pub job_title: String,
    pub department: String,
    /// `proposed`, `active`, `rejected`, `replaced`, `removed`.
    pub status: &'static str,
    /// The portal account of an active person.
    pub user_id: Option<i64>,
    pub confirmed_at: Option<String>,
    pub ended_at: Option<String>,
}

fn person_out(actor: &Actor, p: &PersonRecord) -> PersonOut {
    let q = &p.person;
    PersonOut {
        id: p.id.0,
        agency_id: p.agency_id.0,
        agency_acronym: p.agency_acronym.clone(),
        request_id: p.request_id.0,
        position: q.position.as_str(),
        name: q.name.clone(),
        cpf: if sees_cpf(actor, p.agency_id) { q.cpf.masked() } else { q.cpf.redacted() },
        registration: q.registration.clone(),
        email: q.email.clone(),
        phone: q.phone.clone(),
        mobile: q.mobile.clone(),
        job_title: q.job_title.clone(),
        department: q.department.clone(),
        status: p.status.as_str(),
        user_id: p.user_id.map(|u| u.0),
        confirmed_at: p.confirmed_at.map(rfc3339),
        ended_at: p.ended_at.map(rfc3339),
    }
}

/// An Annex I request.
#[derive(Serialize, ToSchema)]
pub struct RequestOut {
    pub id: i64,
    pub agency_id: i64,
    pub agency_acronym: String,
    /// `inclusion`, `change` or `ratification`.
    pub kind: &'static str,
    /// `pending`, `approved` or `rejected`.
    pub status: &'static str,
    pub note: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub decision_note: String,
}

fn request_out(r: &ResponsibleRequest) -> RequestOut {
    RequestOut {
        id: r.id.0,
        agency_id: r.agency_id.0,
        agency_acronym: r.agency_acronym.clone(),
        kind: r.kind.as_str(),
        status: r.status.as_str(),
        note: r.note.clone(),
        created_at: rfc3339(r.created_at),
        decided_at: r.decided_at.map(rfc3339),
        decision_note: r.decision_note.clone(),
    }
}

/// A government application the agency needs.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationIo {
    #[serde(default)]
    pub name: String,
    /// The body responsible for it.
    #[serde(default)]
    pub body: String,
}

/// A technical form (Annex II).
#[derive(Serialize, ToSchema)]
pub struct FormOut {
    pub id: i64,
    pub agency_id: i64,
    pub agency_acronym: String,
    pub status: &'static str,
    pub applications: Vec<ApplicationIo>,
    /// Private /28 blocks asked for, and public /30 ones.
    pub private_blocks: u32,
    pub public_blocks: u32,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub decision_note: String,
}

fn form_out(f: &TechnicalFormRecord) -> FormOut {
    FormOut {
        id: f.id.0,
        agency_id: f.agency_id.0,
        agency_acronym: f.agency_acronym.clone(),
        status: f.status.as_str(),
        applications: f
            .form
            .applications
            .iter()
            .map(|a| ApplicationIo { name: a.name.clone(), body: a.body.clone() })
            .collect(),
        private_blocks: f.form.private_blocks,
        public_blocks: f.form.public_blocks,
        contact_name: f.form.contact_name.clone(),
        contact_phone: f.form.contact_phone.clone(),
        contact_email: f.form.contact_email.clone(),
        created_at: rfc3339(f.created_at),
        decided_at: f.decided_at.map(rfc3339),
        decision_note: f.decision_note.clone(),
    }
}

/// An adhesion with everything its page shows.
#[derive(Serialize, ToSchema)]
pub struct AdhesionDetailOut {
    #[serde(flatten)]
    pub adhesion: AdhesionOut,
    pub events: Vec<AdhesionEventOut>,
    pub documents: Vec<AdhesionDocumentOut>,
    /// The kinds of documents this agency kind files.
    pub required_documents: Vec<&'static str>,
    pub persons: Vec<PersonOut>,
    pub requests: Vec<RequestOut>,
    pub technical_forms: Vec<FormOut>,
    /// What must be cancelled before a withdrawal is concluded.
    pub remaining_services: Vec<String>,
    /// The actions the caller may take now.
    pub allowed_actions: Vec<&'static str>,
}

fn detail_out(actor: &Actor, d: &AdhesionDetail) -> AdhesionDetailOut {
    AdhesionDetailOut {
        adhesion: adhesion_out(&d.adhesion),
        events: d
            .events
            .iter()
            .map(|e| AdhesionEventOut {
                at: rfc3339(e.at),
                login: e.login.clone(),
                action: e.action.clone(),
                from_status: e.from_status.map(|s| s.as_str()),
                to_status: e.to_status.as_str(),
                note: e.note.clone(),
            })
            .collect(),
        documents: d.documents.iter().map(document_out).collect(),
        required_documents: d.required.iter().map(|k| k.as_str()).collect(),
        persons: d.persons.iter().map(|p| person_out(actor, p)).collect(),
        requests: d.requests.iter().map(request_out).collect(),
        technical_forms: d.forms.iter().map(form_out).collect(),
        remaining_services: d.remaining.clone(),
        allowed_actions: d.allowed.iter().map(|a| a.as_str()).collect(),
    }
}

/// An action on an adhesion.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdhesionActionIn {
    /// `review`, `return`, `resubmit`, `approve`, `reject`, `suspend`,
    /// `reinstate`, `request_withdrawal`, `cancel_withdrawal`, `withdraw`.
    pub action: Option<String>,
    /// Required to return, reject, suspend and request a withdrawal.
    #[serde(default)]
    pub note: String,
}

/// A signed PDF to attach.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentIn {
    /// `participation_declaration`, `cooperation_term`, `adhesion_request`,
    /// `responsibles_form`, `technical_form`, `withdrawal_letter`, `other`.
    pub kind: Option<String>,
    pub name: Option<String>,
    /// The PDF in standard base64 (RFC 4648, padded).
    pub data_base64: Option<String>,
}

/// A responsible person as filed.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PersonIn {
    /// `primary` or `substitute`.
    pub position: String,
    pub name: String,
    pub cpf: String,
    pub registration: String,
    pub email: String,
    pub phone: String,
    pub mobile: String,
    pub job_title: String,
    pub department: String,
}

/// An Annex I request: persons to include or change, none to ratify.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestIn {
    pub agency_id: Option<i64>,
    #[serde(default)]
    pub persons: Vec<PersonIn>,
    #[serde(default)]
    pub note: String,
}

/// A decision on a request or a form.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    pub approve: Option<bool>,
    /// Required to refuse.
    #[serde(default)]
    pub note: String,
    /// Technical forms: the pools the blocks come from.
    pub private_pool_id: Option<i64>,
    pub public_pool_id: Option<i64>,
}

/// Why a person is removed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemovalIn {
    #[serde(default)]
    pub note: String,
}

/// A technical form as filed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormIn {
    pub agency_id: Option<i64>,
    #[serde(default)]
    pub applications: Vec<ApplicationIo>,
    #[serde(default)]
    pub private_blocks: i64,
    #[serde(default)]
    pub public_blocks: i64,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub contact_email: String,
}

/// A decided form with the blocks its approval allocated.
#[derive(Serialize, ToSchema)]
pub struct FormDecisionOut {
    #[serde(flatten)]
    pub form: FormOut,
    pub blocks: Vec<super::ipam::BlockOut>,
}

/// The ratification settings.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsIo {
    /// The municipal election day (`YYYY-MM-DD`) after which municipalities
    /// ratify their responsible persons; `null`: no reminders.
    pub election_date: Option<String>,
    /// Days between two reminders.
    pub reminder_days: i64,
}

// ----- handlers -----

pub async fn request_adhesion(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<AdhesionIn>,
) -> ApiResult<Response> {
    let agency = AgencyId(need("agency_id", b.agency_id)?);
    let d = s.app.request_adhesion(&actor, agency, &b.note).await?;
    Ok((StatusCode::CREATED, Json(detail_out(&actor, &d))).into_response())
}

pub async fn list_adhesions(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: Filters,
) -> ApiResult<Json<ListOut<AdhesionOut>>> {
    let f = AdhesionFilter {
        status: q.code("status", AdhesionStatus::parse)?,
        kind: q.code("kind", AgencyKind::parse)?,
        agency_id: q.id("agency_id")?.map(AgencyId),
        pending_only: q.flag("pending")?,
    };
    let listed = s.app.list_adhesions(&actor, f, q.page).await?;
    Ok(Json(ListOut {
        items: listed.items.iter().map(adhesion_out).collect(),
        total: listed.total,
        page: q.page.page,
        page_size: q.page.page_size,
    }))
}

/// What waits for the caller's role, with the actions it may take.
#[derive(Serialize, ToSchema)]
pub struct QueueItemOut {
    #[serde(flatten)]
    pub adhesion: AdhesionOut,
    pub allowed_actions: Vec<&'static str>,
}

pub async fn queue(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<QueueItemOut>>> {
    let items = s.app.adhesion_queue(&actor).await?;
    Ok(Json(
        items
            .iter()
            .map(|(a, allowed)| QueueItemOut {
                adhesion: adhesion_out(a),
                allowed_actions: allowed.iter().map(|x| x.as_str()).collect(),
            })
            .collect(),
    ))
}

pub async fn get_adhesion(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<AdhesionDetailOut>> {
    let d = s.app.get_adhesion(&actor, AdhesionId(parse_id(&id)?)).await?;
    Ok(Json(detail_out(&actor, &d)))
}

pub async fn act(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AdhesionActionIn>,
) -> ApiResult<Json<AdhesionDetailOut>> {
    let id = AdhesionId(parse_id(&id)?);
    let action = AdhesionAction::parse("action", need("action", b.action.as_deref())?)?;
    let d = s.app.act_on_adhesion(&actor, id, action, &b.note).await?;
    Ok(Json(detail_out(&actor, &d)))
}

pub async fn attach(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DocumentIn>,
) -> ApiResult<Response> {
    let id = AdhesionId(parse_id(&id)?);
    let input = DocumentInput {
        kind: need("kind", b.kind)?,
        name: need("name", b.name)?,
        content_type: "application/pdf".into(),
        data: decode_base64("data_base64", need("data_base64", b.data_base64.as_deref())?)?,
    };
    let meta = s.app.attach_adhesion_document(&actor, id, input).await?;
    Ok((StatusCode::CREATED, Json(document_out(&meta))).into_response())
}

pub async fn document(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path((id, document)): Path<(String, String)>,
) -> ApiResult<Response> {
    let d = s
        .app
        .adhesion_document(&actor, AdhesionId(parse_id(&id)?), AdhesionDocumentId(parse_id(&document)?))
        .await?;
    Ok(file_download(&d.meta.name, &d.meta.content_type, &d.meta.sha256, d.data))
}

pub async fn list_persons(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: Filters,
) -> ApiResult<Json<Vec<PersonOut>>> {
    let persons = s.app.list_persons(&actor, q.id("agency_id")?.map(AgencyId), q.flag("all")?).await?;
    Ok(Json(persons.iter().map(|p| person_out(&actor, p)).collect()))
}

pub async fn remove_person(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RemovalIn>,
) -> ApiResult<Json<PersonOut>> {
    let p = s.app.remove_responsible(&actor, PersonId(parse_id(&id)?), &b.note).await?;
    Ok(Json(person_out(&actor, &p)))
}

pub async fn list_requests(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: Filters,
) -> ApiResult<Json<Vec<RequestOut>>> {
    let list =
        s.app.list_responsible_requests(&actor, q.id("agency_id")?.map(AgencyId), q.flag("pending")?).await?;
    Ok(Json(list.iter().map(request_out).collect()))
}

pub async fn file_request(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<RequestIn>,
) -> ApiResult<Response> {
    let agency = AgencyId(need("agency_id", b.agency_id)?);
    let persons: Vec<PersonInput> = b
        .persons
        .into_iter()
        .map(|p| PersonInput {
            position: p.position,
            name: p.name,
            cpf: p.cpf,
            registration: p.registration,
            email: p.email,
            phone: p.phone,
            mobile: p.mobile,
            job_title: p.job_title,
            department: p.department,
        })
        .collect();
    let r = s.app.request_responsibles(&actor, agency, &persons, &b.note).await?;
    Ok((StatusCode::CREATED, Json(request_out(&r))).into_response())
}

pub async fn decide_request(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DecisionIn>,
) -> ApiResult<Json<RequestOut>> {
    let approve = need("approve", b.approve)?;
    let r = s.app.decide_responsibles(&actor, ResponsibleRequestId(parse_id(&id)?), approve, &b.note).await?;
    Ok(Json(request_out(&r)))
}

pub async fn list_forms(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: Filters,
) -> ApiResult<Json<Vec<FormOut>>> {
    let list =
        s.app.list_technical_forms(&actor, q.id("agency_id")?.map(AgencyId), q.flag("pending")?).await?;
    Ok(Json(list.iter().map(form_out).collect()))
}

pub async fn file_form(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<FormIn>,
) -> ApiResult<Response> {
    let agency = AgencyId(need("agency_id", b.agency_id)?);
    let input = TechnicalFormInput {
        applications: b.applications.into_iter().map(|a| (a.name, a.body)).collect(),
        private_blocks: b.private_blocks,
        public_blocks: b.public_blocks,
        contact_name: b.contact_name,
        contact_phone: b.contact_phone,
        contact_email: b.contact_email,
    };
    let f = s.app.submit_technical_form(&actor, agency, input).await?;
    Ok((StatusCode::CREATED, Json(form_out(&f))).into_response())
}

pub async fn decide_form(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DecisionIn>,
) -> ApiResult<Json<FormDecisionOut>> {
    let approve = need("approve", b.approve)?;
    let pools = FormPools {
        private_pool: b.private_pool_id.map(IpPoolId),
        public_pool: b.public_pool_id.map(IpPoolId),
    };
    let (f, blocks) =
        s.app.decide_technical_form(&actor, TechnicalFormId(parse_id(&id)?), approve, &b.note, pools).await?;
    Ok(Json(FormDecisionOut {
        form: form_out(&f),
        blocks: blocks.iter().map(super::ipam::BlockOut::from).collect(),
    }))
}

fn settings_out(s: &AdhesionSettings) -> SettingsIo {
    SettingsIo {
        election_date: s.election_date.map(|d| d.format("%Y-%m-%d").to_string()),
        reminder_days: s.reminder_days,
    }
}

pub async fn get_settings(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<SettingsIo>> {
    Ok(Json(settings_out(&s.app.adhesion_settings(&actor).await?)))
}

pub async fn put_settings(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<SettingsIo>,
) -> ApiResult<Json<SettingsIo>> {
    let election_date = b
        .election_date
        .as_deref()
        .map(|d| redegov_domain::time::parse_date("election_date", d))
        .transpose()?;
    let saved = s
        .app
        .set_adhesion_settings(&actor, AdhesionSettings { election_date, reminder_days: b.reminder_days })
        .await?;
    Ok(Json(settings_out(&saved)))
}

/// Adds this module's paths and schemas to the OpenAPI document.
pub fn openapi(doc: &mut OpenApiDoc) {
    use HttpMethod::{Get, Post, Put};
    let paths = &mut doc.paths;
    let rule = |what: &str| error_response(&format!("A rule is broken; `field` names it ({what})"));
    let id = |what: &str| path_param("id", Type::Integer, what);
    let mut add = |path: &str, method: HttpMethod, operation| {
        paths.add_path_operation(path, vec![method], operation);
    };
    add(
        "/api/v1/adhesions",
        Get,
        op("adhesions", "Adhesions in your scope, newest first".into())
            .parameter(query_param("status", Type::String))
            .parameter(query_param("kind", Type::String))
            .parameter(query_param("agency_id", Type::Integer))
            .parameter(query_param("pending", Type::Boolean))
            .response("200", json_response("Adhesions", list_schema("AdhesionOut")))
            .response("403", error_response("Operators do not read adhesions"))
            .build(),
    );
    add(
        "/api/v1/adhesions",
        Post,
        op("adhesions", "Request an agency's adhesion (admin, network manager, the agency's manager)".into())
            .request_body(Some(body("AdhesionIn")))
            .response("201", json_response("Requested", schema_ref("AdhesionDetailOut")))
            .response("422", rule("an open adhesion exists: duplicate, …"))
            .build(),
    );
    add(
        "/api/v1/adhesions/queue",
        Get,
        op("adhesions", "Adhesions waiting for your role (reviews, the committee's approvals)".into())
            .response("200", json_response("Queue", array_of("QueueItemOut")))
            .build(),
    );
    add(
        "/api/v1/adhesions/{id}",
        Get,
        op("adhesions", "An adhesion with its history, documents, persons and allowed actions".into())
            .parameter(id("The adhesion"))
            .response("200", json_response("Adhesion", schema_ref("AdhesionDetailOut")))
            .response("404", error_response("No such adhesion in your scope"))
            .build(),
    );
    add(
        "/api/v1/adhesions/{id}/transitions",
        Post,
        op("adhesions", "Move an adhesion (roles by action and agency kind; audited, e-mailed)".into())
            .parameter(id("The adhesion"))
            .request_body(Some(body("AdhesionActionIn")))
            .response("200", json_response("Moved", schema_ref("AdhesionDetailOut")))
            .response("403", error_response("Your role may not take this action"))
            .response("422", rule("missing_document, services_remain, action_not_allowed, …"))
            .build(),
    );
    add(
        "/api/v1/adhesions/{id}/documents",
        Post,
        op("adhesions", "Attach a signed PDF (base64); its SHA-256 is kept".into())
            .parameter(id("The adhesion"))
            .request_body(Some(body("DocumentIn")))
            .response("201", json_response("Attached", schema_ref("AdhesionDocumentOut")))
            .response("422", rule("not a PDF, too large, …"))
            .build(),
    );
    add(
        "/api/v1/adhesions/{id}/documents/{document_id}",
        Get,
        op("adhesions", "A document's bytes, SHA-256 in X-Content-SHA256".into())
            .parameter(id("The adhesion"))
            .parameter(path_param("document_id", Type::Integer, "The document"))
            .response("200", utoipa::openapi::response::ResponseBuilder::new().description("The PDF").build())
            .response("404", error_response("No such document"))
            .build(),
    );
    add(
        "/api/v1/responsible-persons",
        Get,
        op("adhesions", "Responsible persons (current ones; `all=true` for the history)".into())
            .parameter(query_param("agency_id", Type::Integer))
            .parameter(query_param("all", Type::Boolean))
            .response("200", json_response("Persons", array_of("PersonOut")))
            .build(),
    );
    add(
        "/api/v1/responsible-persons/{id}/removal",
        Post,
        op(
            "adhesions",
            "Remove an active person: the portal account stops at once (admin, network manager)".into(),
        )
        .parameter(id("The person"))
        .request_body(Some(body("RemovalIn")))
        .response("200", json_response("Removed", schema_ref("PersonOut")))
        .response("422", rule("note required, …"))
        .build(),
    );
    add(
        "/api/v1/responsible-requests",
        Get,
        op("adhesions", "Annex I requests in your scope".into())
            .parameter(query_param("agency_id", Type::Integer))
            .parameter(query_param("pending", Type::Boolean))
            .response("200", json_response("Requests", array_of("RequestOut")))
            .build(),
    );
    add(
        "/api/v1/responsible-requests",
        Post,
        op("adhesions", "File an Annex I request: persons to include or change, none to ratify".into())
            .request_body(Some(body("RequestIn")))
            .response("201", json_response("Filed", schema_ref("RequestOut")))
            .response("409", error_response("A request of the agency is pending"))
            .response("422", rule("invalid_cpf, duplicate position, …"))
            .build(),
    );
    add(
        "/api/v1/responsible-requests/{id}/decision",
        Post,
        op("adhesions", "Approve (persons get accounts) or refuse a request (admin, network manager)".into())
            .parameter(id("The request"))
            .request_body(Some(body("DecisionIn")))
            .response("200", json_response("Decided", schema_ref("RequestOut")))
            .response("422", rule("note required to refuse, …"))
            .build(),
    );
    add(
        "/api/v1/technical-forms",
        Get,
        op("adhesions", "Technical forms (Annex II) in your scope".into())
            .parameter(query_param("agency_id", Type::Integer))
            .parameter(query_param("pending", Type::Boolean))
            .response("200", json_response("Forms", array_of("FormOut")))
            .build(),
    );
    add(
        "/api/v1/technical-forms",
        Post,
        op(
            "adhesions",
            "File a technical form: applications and blocks asked for, within the kind's limits".into(),
        )
        .request_body(Some(body("FormIn")))
        .response("201", json_response("Filed", schema_ref("FormOut")))
        .response("422", rule("block_limit_reached, …"))
        .build(),
    );
    add(
        "/api/v1/technical-forms/{id}/decision",
        Post,
        op("adhesions", "Approve a form, allocating its blocks from the pools given, or refuse it".into())
            .parameter(id("The form"))
            .request_body(Some(body("DecisionIn")))
            .response("200", json_response("Decided", schema_ref("FormDecisionOut")))
            .response("422", rule("pool_exhausted, pool of the wrong visibility, …"))
            .build(),
    );
    add(
        "/api/v1/adhesion-settings",
        Get,
        op("adhesions", "The municipal election date and reminder interval".into())
            .response("200", json_response("Settings", schema_ref("SettingsIo")))
            .build(),
    );
    add(
        "/api/v1/adhesion-settings",
        Put,
        op(
            "adhesions",
            "Set the election date after which municipalities ratify (admin, network manager)".into(),
        )
        .request_body(Some(body("SettingsIo")))
        .response("200", json_response("Saved", schema_ref("SettingsIo")))
        .response("422", rule("reminder_days out of range, …"))
        .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (AdhesionIn::name(), AdhesionIn::schema()),
        (AdhesionOut::name(), AdhesionOut::schema()),
        (AdhesionEventOut::name(), AdhesionEventOut::schema()),
        (AdhesionDocumentOut::name(), AdhesionDocumentOut::schema()),
        (PersonOut::name(), PersonOut::schema()),
        (RequestOut::name(), RequestOut::schema()),
        (ApplicationIo::name(), ApplicationIo::schema()),
        (FormOut::name(), FormOut::schema()),
        (AdhesionDetailOut::name(), AdhesionDetailOut::schema()),
        (AdhesionActionIn::name(), AdhesionActionIn::schema()),
        (DocumentIn::name(), DocumentIn::schema()),
        (PersonIn::name(), PersonIn::schema()),
        (RequestIn::name(), RequestIn::schema()),
        (DecisionIn::name(), DecisionIn::schema()),
        (RemovalIn::name(), RemovalIn::schema()),
        (FormIn::name(), FormIn::schema()),
        (FormDecisionOut::name(), FormDecisionOut::schema()),
        (SettingsIo::name(), SettingsIo::schema()),
        (QueueItemOut::name(), QueueItemOut::schema()),
    ] {
        components.schemas.insert(name.into_owned(), schema);
    }
}
