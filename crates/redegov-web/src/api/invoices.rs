//! Operators' invoices and disputes: their JSON shapes, handlers and
//! OpenAPI paths. An invoice is uploaded as JSON (`POST /invoices`) or as
//! the CSV layout of `docs/invoices.md` (`POST /invoices/import`, the
//! header fields in the query string); either way a line's problems come
//! back as `error.problems` (line, column, rule) and nothing is stored.
//! Money is `_centavos` integers; every rule is the app's and the domain's.

use super::dto::{ListOut, need, rfc3339};
use super::openapi::{
    body, error_response, id_param, json_response, list_schema, op, query_param, schema_ref,
};
use super::{ApiJson, Filters, OptionalJson, parse_id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use crate::export::{Cell, Format, Table};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use redegov_app::closing::{access_designation, parse_month};
use redegov_app::invoices::*;
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::*;
use redegov_domain::invoice::{
    ContestedLine, DisputeStatus, Flag, InvoiceStatus, InvoiceTotals, holder_code, parse_holder,
};
use redegov_domain::money::Money;
use redegov_domain::time::{Timestamp, parse_date};
use serde::{Deserialize, Serialize};
use utoipa::openapi::ContentBuilder;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::{PartialSchema, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

/// This module's routes, merged into `/api/v1`.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/invoices", get(list_invoices).post(create_invoice))
        .route("/invoices/import", post(import_invoice))
        .route("/invoices/{id}", get(get_invoice))
        .route("/invoices/{id}/reconciliation", get(reconciliation))
        .route("/invoices/{id}/approve", post(approve_invoice))
        .route("/disputes", get(list_disputes).post(open_dispute))
        .route("/disputes/{id}", get(get_dispute))
        .route("/disputes/{id}/answer", post(answer_dispute))
        .route("/disputes/{id}/resolve", post(resolve_dispute))
}

// ----- shapes -----

/// The sums of an invoice and the billing report's net.
#[derive(Serialize, ToSchema)]
pub struct InvoiceTotalsOut {
    pub services_centavos: i64,
    pub discounts_centavos: i64,
    pub penalties_centavos: i64,
    pub other_centavos: i64,
    /// services + other − discounts − penalties.
    pub total_centavos: i64,
    /// The billing report's net for the agency, holder and month.
    pub report_net_centavos: i64,
    /// total − report net: positive when the invoice asks for more.
    pub difference_centavos: i64,
}

impl From<&InvoiceTotals> for InvoiceTotalsOut {
    fn from(t: &InvoiceTotals) -> Self {
        InvoiceTotalsOut {
            services_centavos: t.services.centavos(),
            discounts_centavos: t.discounts.centavos(),
            penalties_centavos: t.penalties.centavos(),
            other_centavos: t.other.centavos(),
            total_centavos: t.total.centavos(),
            report_net_centavos: t.report_net.centavos(),
            difference_centavos: t.difference.centavos(),
        }
    }
}

/// An invoice (header).
#[derive(Serialize, ToSchema)]
pub struct InvoiceOut {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    /// `operator-<id>` or `consortium-<id>`.
    pub holder: String,
    /// The closed month billed, `YYYY-MM`.
    pub month: String,
    pub number: String,
    pub issued_on: String,
    /// `received` or `approved`.
    pub status: String,
    pub status_label: String,
    pub line_count: i64,
    pub totals: InvoiceTotalsOut,
    /// Flags of the reconciliation (informational ones included).
    pub flag_count: i64,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: String,
    pub approved_by: Option<i64>,
    pub approved_at: Option<String>,
}

impl From<&InvoiceRecord> for InvoiceOut {
    fn from(i: &InvoiceRecord) -> Self {
        InvoiceOut {
            id: i.id.0,
            agency_id: i.agency_id.0,
            agency_name: i.agency_name.clone(),
            holder: holder_code(i.holder),
            month: i.month.clone(),
            number: i.number.clone(),
            issued_on: i.issued_on.to_string(),
            status: i.status.code().into(),
            status_label: i.status.label().into(),
            line_count: i.line_count,
            totals: InvoiceTotalsOut::from(&i.totals),
            flag_count: i.flag_count,
            uploaded_by: i.uploaded_by.map(|u| u.0),
            uploaded_at: rfc3339(i.uploaded_at),
            approved_by: i.approved_by.map(|u| u.0),
            approved_at: i.approved_at.map(rfc3339),
        }
    }
}

/// A line of an invoice.
#[derive(Serialize, ToSchema)]
pub struct InvoiceLineOut {
    /// What a dispute names (`invoice_line_id`).
    pub id: i64,
    /// The line of the file uploaded (or the position in `lines`).
    pub line_no: i64,
    /// `servico`, `desconto`, `multa` or `outro`.
    pub kind: String,
    pub access_id: Option<i64>,
    /// `AC-000123`.
    pub designation: Option<String>,
    pub lot_id: Option<i64>,
    pub reference: String,
    pub description: String,
    /// Never negative: a discount's or a fine's amount is taken off the total.
    pub amount_centavos: i64,
}

impl From<&InvoiceLineRecord> for InvoiceLineOut {
    fn from(l: &InvoiceLineRecord) -> Self {
        InvoiceLineOut {
            id: l.id.0,
            line_no: l.line.line_no,
            kind: l.line.kind.code().into(),
            access_id: l.line.access_id.map(|a| a.0),
            designation: l.line.access_id.map(access_designation),
            lot_id: l.lot_id.map(|l| l.0),
            reference: l.line.reference.clone(),
            description: l.line.description.clone(),
            amount_centavos: l.line.amount.centavos(),
        }
    }
}

/// An invoice with its lines and its disputes.
#[derive(Serialize, ToSchema)]
pub struct InvoiceDetailOut {
    #[serde(flatten)]
    pub invoice: InvoiceOut,
    pub lines: Vec<InvoiceLineOut>,
    pub disputes: Vec<DisputeOut>,
}

/// A difference between the invoice and the billing report.
#[derive(Serialize, ToSchema)]
pub struct FlagOut {
    /// `access_not_in_report`, `amount_differs`, `credit_not_applied`,
    /// `penalty_installment_missing`, `duplicate_access` or
    /// `missing_from_invoice` (informational).
    pub kind: String,
    pub label: String,
    pub informational: bool,
    pub access_id: Option<i64>,
    pub designation: Option<String>,
    /// The invoice lines concerned (`line_no`).
    pub line_nos: Vec<i64>,
    /// What the billing report says.
    pub expected_centavos: i64,
    /// What the invoice says.
    pub invoiced_centavos: i64,
    /// pt-BR.
    pub note: String,
}

impl From<&Flag> for FlagOut {
    fn from(f: &Flag) -> Self {
        FlagOut {
            kind: f.kind.code().into(),
            label: f.kind.label().into(),
            informational: f.kind.is_informational(),
            access_id: f.access_id.map(|a| a.0),
            designation: f.access_id.map(access_designation),
            line_nos: f.line_nos.clone(),
            expected_centavos: f.expected.centavos(),
            invoiced_centavos: f.invoiced.centavos(),
            note: f.note.clone(),
        }
    }
}

/// An invoice's comparison with the closed month's billing report.
#[derive(Serialize, ToSchema)]
pub struct ReconciliationOut {
    pub invoice: InvoiceOut,
    /// No flag but informational ones.
    pub clean: bool,
    pub totals: InvoiceTotalsOut,
    pub flags: Vec<FlagOut>,
}

impl From<&InvoiceReconciliation> for ReconciliationOut {
    fn from(r: &InvoiceReconciliation) -> Self {
        ReconciliationOut {
            invoice: InvoiceOut::from(&r.invoice),
            clean: r.reconciliation.is_clean(),
            totals: InvoiceTotalsOut::from(&r.reconciliation.totals),
            flags: r.reconciliation.flags.iter().map(FlagOut::from).collect(),
        }
    }
}

/// One line of a new invoice.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct InvoiceLineIn {
    /// `servico`, `desconto`, `multa` or `outro`.
    pub kind: Option<String>,
    /// The access: its id (`123`) or designation (`"AC-000123"`); required
    /// on `servico` lines.
    #[schema(value_type = Option<String>)]
    pub access: Option<serde_json::Value>,
    pub reference: Option<String>,
    pub description: Option<String>,
    /// Not negative, except on a `desconto` line (read as its absolute value).
    pub amount_centavos: Option<i64>,
}

/// A new invoice, with its lines.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct InvoiceIn {
    pub agency_id: Option<i64>,
    /// `operator-<id>` or `consortium-<id>`.
    pub holder: Option<String>,
    /// A closed month, `YYYY-MM`.
    pub month: Option<String>,
    /// Unique per holder.
    pub number: Option<String>,
    /// `YYYY-MM-DD`.
    pub issued_on: Option<String>,
    pub lines: Option<Vec<InvoiceLineIn>>,
}

fn header(
    agency_id: Option<i64>,
    holder: Option<&str>,
    month: Option<&str>,
    number: Option<&str>,
    issued_on: Option<&str>,
) -> Valid<InvoiceHeader> {
    Ok(InvoiceHeader {
        agency_id: AgencyId(need("agency_id", agency_id)?),
        holder: parse_holder("holder", need("holder", holder)?)?,
        month: parse_month("month", need("month", month)?)?,
        number: need("number", number)?.to_string(),
        issued_on: parse_date("issued_on", need("issued_on", issued_on)?)?,
    })
}

fn access_text(v: &Option<serde_json::Value>) -> Result<String, ApiError> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(String::new()),
        Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::bad_request(Some("access".into()), "access must be a number or a text")),
    }
}

/// A dispute's contested line.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ContestedLineIn {
    /// The `id` of the invoice line.
    pub invoice_line_id: Option<i64>,
    /// More than zero, at most the line's amount.
    pub contested_centavos: Option<i64>,
}

/// A new dispute.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DisputeIn {
    pub invoice_id: Option<i64>,
    pub reason: Option<String>,
    pub lines: Option<Vec<ContestedLineIn>>,
}

/// The operator's answer.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AnswerIn {
    pub answer: Option<String>,
}

/// The decision.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ResolveIn {
    /// `upheld` (the contested amount is credited) or `rejected`.
    pub resolution: Option<String>,
    pub grounds: Option<String>,
}

/// A dispute.
#[derive(Serialize, ToSchema)]
pub struct DisputeOut {
    pub id: i64,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub agency_id: i64,
    pub holder: String,
    /// The invoice's month.
    pub month: String,
    /// `opened`, `answered`, `upheld` or `rejected`.
    pub status: String,
    pub status_label: String,
    pub reason: String,
    pub contested_centavos: i64,
    pub opened_by: Option<i64>,
    pub opened_at: String,
    /// Whole days since it was opened (until it was resolved).
    pub age_days: i64,
    pub answer: String,
    pub answered_at: Option<String>,
    pub grounds: String,
    pub resolved_at: Option<String>,
    /// Where an upheld dispute's credit is applied, `YYYY-MM`.
    pub credit_month: Option<String>,
}

fn dispute_out(d: &DisputeRecord, now: Timestamp) -> DisputeOut {
    let until = d.resolved_at.unwrap_or(now);
    DisputeOut {
        id: d.id.0,
        invoice_id: d.invoice_id.0,
        invoice_number: d.invoice_number.clone(),
        agency_id: d.agency_id.0,
        holder: holder_code(d.holder),
        month: d.month.clone(),
        status: d.status.code().into(),
        status_label: d.status.label().into(),
        reason: d.reason.clone(),
        contested_centavos: d.contested.centavos(),
        opened_by: d.opened_by.map(|u| u.0),
        opened_at: rfc3339(d.opened_at),
        age_days: (until - d.opened_at).num_days().max(0),
        answer: d.answer.clone(),
        answered_at: d.answered_at.map(rfc3339),
        grounds: d.grounds.clone(),
        resolved_at: d.resolved_at.map(rfc3339),
        credit_month: d.credit_month.clone(),
    }
}

/// A contested line.
#[derive(Serialize, ToSchema)]
pub struct DisputeLineOut {
    pub invoice_line_id: i64,
    pub line_no: i64,
    pub kind: String,
    pub access_id: Option<i64>,
    pub amount_centavos: i64,
    pub contested_centavos: i64,
}

/// A dispute with its contested lines.
#[derive(Serialize, ToSchema)]
pub struct DisputeDetailOut {
    #[serde(flatten)]
    pub dispute: DisputeOut,
    pub lines: Vec<DisputeLineOut>,
}

fn dispute_detail_out(d: &DisputeDetail, now: Timestamp) -> DisputeDetailOut {
    DisputeDetailOut {
        dispute: dispute_out(&d.dispute, now),
        lines: d
            .lines
            .iter()
            .map(|l| DisputeLineOut {
                invoice_line_id: l.invoice_line_id.0,
                line_no: l.line_no,
                kind: l.kind.clone(),
                access_id: l.access_id.map(|a| a.0),
                amount_centavos: l.amount.centavos(),
                contested_centavos: l.contested.centavos(),
            })
            .collect(),
    }
}

// ----- handlers -----

/// `?format=csv|xlsx`, or `None` for JSON.
fn export_format(q: &Filters) -> ApiResult<Option<Format>> {
    match q.text("format") {
        None | Some("json") => Ok(None),
        Some(f) => Format::parse(f).map(Some).ok_or_else(|| ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..ApiError::invalid(FieldError::new("format", Rule::OneOf(&["json", "csv", "xlsx"])))
        }),
    }
}

fn month_filter(q: &Filters) -> ApiResult<Option<String>> {
    Ok(q.code("month", parse_month)?.map(|m| m.to_string()))
}

/// `GET /invoices`: filters `agency_id`, `operator_id`, `holder`, `month`,
/// `status`; newest upload first; `format=csv|xlsx` exports every match.
pub async fn list_invoices(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: Filters,
) -> ApiResult<Response> {
    let f = InvoiceFilter {
        agency_id: q.id("agency_id")?.map(AgencyId),
        operator_id: q.id("operator_id")?.map(OperatorId),
        holder: q.code("holder", parse_holder)?,
        month: month_filter(&q)?,
        status: q.code("status", InvoiceStatus::parse)?,
    };
    let format = export_format(&q)?;
    let page = if format.is_some() { redegov_app::Page::all() } else { q.page };
    let listed = s.app.list_invoices(&actor, f, page).await?;
    if let Some(format) = format {
        let mut t = Table::new(
            "Faturas",
            &[
                "Fatura",
                "Número",
                "Órgão",
                "Detentor",
                "Mês",
                "Emissão",
                "Situação",
                "Linhas",
                "Total",
                "Líquido do relatório",
                "Diferença",
                "Divergências",
            ],
        );
        for i in &listed.items {
            t.push(vec![
                Cell::Int(i.id.0),
                i.number.clone().into(),
                i.agency_name.clone().into(),
                holder_code(i.holder).into(),
                i.month.clone().into(),
                i.issued_on.to_string().into(),
                i.status.label().into(),
                Cell::Int(i.line_count),
                i.totals.total.into(),
                i.totals.report_net.into(),
                i.totals.difference.into(),
                Cell::Int(i.flag_count),
            ]);
        }
        return Ok(t.into_download(format, "faturas"));
    }
    Ok(Json(ListOut {
        items: listed.items.iter().map(InvoiceOut::from).collect(),
        total: listed.total,
        page: q.page.page,
        page_size: q.page.page_size,
    })
    .into_response())
}

/// `POST /invoices` (JSON).
pub async fn create_invoice(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<InvoiceIn>,
) -> ApiResult<Response> {
    let header = header(
        b.agency_id,
        b.holder.as_deref(),
        b.month.as_deref(),
        b.number.as_deref(),
        b.issued_on.as_deref(),
    )?;
    let mut lines = Vec::new();
    for l in need("lines", b.lines)? {
        lines.push(InvoiceLineInput {
            kind: l.kind.unwrap_or_default(),
            access: access_text(&l.access)?,
            reference: l.reference.unwrap_or_default(),
            description: l.description.unwrap_or_default(),
            amount_centavos: need("amount_centavos", l.amount_centavos)?,
        });
    }
    let done = s.app.create_invoice(&actor, header, lines).await?;
    Ok((StatusCode::CREATED, Json(ReconciliationOut::from(&done))).into_response())
}

/// `POST /invoices/import?agency_id=&holder=&month=&number=&issued_on=`
/// with the CSV file as the body.
pub async fn import_invoice(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: Filters,
    bytes: Bytes,
) -> ApiResult<Response> {
    let header =
        header(q.id("agency_id")?, q.text("holder"), q.text("month"), q.text("number"), q.text("issued_on"))?;
    let done = s.app.import_invoice_csv(&actor, header, &bytes).await?;
    Ok((StatusCode::CREATED, Json(ReconciliationOut::from(&done))).into_response())
}

pub async fn get_invoice(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<InvoiceDetailOut>> {
    let d = s.app.get_invoice(&actor, InvoiceId(parse_id(&id)?)).await?;
    let now = s.app.now();
    Ok(Json(InvoiceDetailOut {
        invoice: InvoiceOut::from(&d.invoice),
        lines: d.lines.iter().map(InvoiceLineOut::from).collect(),
        disputes: d.disputes.iter().map(|x| dispute_out(x, now)).collect(),
    }))
}

pub async fn reconciliation(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<ReconciliationOut>> {
    let r = s.app.invoice_reconciliation(&actor, InvoiceId(parse_id(&id)?)).await?;
    Ok(Json(ReconciliationOut::from(&r)))
}

pub async fn approve_invoice(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<InvoiceOut>> {
    let i = s.app.approve_invoice(&actor, InvoiceId(parse_id(&id)?)).await?;
    Ok(Json(InvoiceOut::from(&i)))
}

/// `GET /disputes`: filters `status`, `agency_id`, `operator_id`, `holder`,
/// `month`, `invoice_id`; `sort=oldest` lists the oldest opening first
/// (newest first otherwise); `format=csv|xlsx` exports every match.
pub async fn list_disputes(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    q: Filters,
) -> ApiResult<Response> {
    let f = DisputeFilter {
        status: q.code("status", DisputeStatus::parse)?,
        agency_id: q.id("agency_id")?.map(AgencyId),
        operator_id: q.id("operator_id")?.map(OperatorId),
        holder: q.code("holder", parse_holder)?,
        month: month_filter(&q)?,
        invoice_id: q.id("invoice_id")?.map(InvoiceId),
        oldest_first: q
            .code("sort", |field, v| match v {
                "oldest" => Ok(true),
                "newest" => Ok(false),
                _ => Err(FieldError::new(field, Rule::OneOf(&["oldest", "newest"]))),
            })?
            .unwrap_or(false),
    };
    let format = export_format(&q)?;
    let page = if format.is_some() { redegov_app::Page::all() } else { q.page };
    let listed = s.app.list_disputes(&actor, f, page).await?;
    let now = s.app.now();
    if let Some(format) = format {
        let mut t = Table::new(
            "Contestações",
            &[
                "Contestação",
                "Fatura",
                "Órgão",
                "Detentor",
                "Mês",
                "Situação",
                "Valor contestado",
                "Aberta em",
                "Dias",
                "Motivo",
            ],
        );
        for d in &listed.items {
            let out = dispute_out(d, now);
            t.push(vec![
                Cell::Int(d.id.0),
                d.invoice_number.clone().into(),
                Cell::Int(d.agency_id.0),
                out.holder.into(),
                d.month.clone().into(),
                d.status.label().into(),
                d.contested.into(),
                redegov_domain::time::format_local(d.opened_at).into(),
                Cell::Int(out.age_days),
                d.reason.clone().into(),
            ]);
        }
        return Ok(t.into_download(format, "contestacoes"));
    }
    Ok(Json(ListOut {
        items: listed.items.iter().map(|d| dispute_out(d, now)).collect(),
        total: listed.total,
        page: q.page.page,
        page_size: q.page.page_size,
    })
    .into_response())
}

pub async fn open_dispute(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<DisputeIn>,
) -> ApiResult<Response> {
    let mut lines = Vec::new();
    for (i, l) in b.lines.unwrap_or_default().into_iter().enumerate() {
        lines.push(ContestedLine {
            invoice_line_id: need(&format!("lines[{i}].invoice_line_id"), l.invoice_line_id)?,
            contested: Money::from_centavos(need(
                &format!("lines[{i}].contested_centavos"),
                l.contested_centavos,
            )?),
        });
    }
    let input = DisputeInput {
        invoice_id: InvoiceId(need("invoice_id", b.invoice_id)?),
        reason: b.reason.unwrap_or_default(),
        lines,
    };
    let d = s.app.open_dispute(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(dispute_detail_out(&d, s.app.now()))).into_response())
}

pub async fn get_dispute(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<DisputeDetailOut>> {
    let d = s.app.get_dispute(&actor, DisputeId(parse_id(&id)?)).await?;
    Ok(Json(dispute_detail_out(&d, s.app.now())))
}

pub async fn answer_dispute(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    OptionalJson(b): OptionalJson<AnswerIn>,
) -> ApiResult<Json<DisputeDetailOut>> {
    let id = DisputeId(parse_id(&id)?);
    let d = s.app.answer_dispute(&actor, id, b.answer.as_deref().unwrap_or("")).await?;
    Ok(Json(dispute_detail_out(&d, s.app.now())))
}

pub async fn resolve_dispute(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    OptionalJson(b): OptionalJson<ResolveIn>,
) -> ApiResult<Json<DisputeDetailOut>> {
    let id = DisputeId(parse_id(&id)?);
    // An unknown resolution is refused by the use case, after visibility
    // and role.
    let resolution = match b.resolution.as_deref().map(str::trim) {
        Some("upheld") => Some(Resolution::Upheld),
        Some("rejected") => Some(Resolution::Rejected),
        _ => None,
    };
    let d = s.app.resolve_dispute(&actor, id, resolution, b.grounds.as_deref().unwrap_or("")).await?;
    Ok(Json(dispute_detail_out(&d, s.app.now())))
}

// ----- OpenAPI -----

/// Adds this module's paths and schemas to the OpenAPI document.
pub fn openapi(doc: &mut OpenApiDoc) {
    use HttpMethod::{Get, Post};
    let rule_broken = || error_response("A rule is broken; `field` names it");
    let paths = &mut doc.paths;
    let mut list = op("invoices", "Invoices in your scope, newest upload first".into())
        .parameter(query_param("page", Type::Integer))
        .parameter(query_param("page_size", Type::Integer))
        .response("200", json_response("A page of invoices (or a CSV/XLSX file)", list_schema("InvoiceOut")))
        .response("422", error_response("A filter that cannot be understood"));
    for (name, kind) in [
        ("agency_id", Type::Integer),
        ("operator_id", Type::Integer),
        ("holder", Type::String),
        ("month", Type::String),
        ("status", Type::String),
        ("format", Type::String),
    ] {
        list = list.parameter(query_param(name, kind));
    }
    paths.add_path_operation("/api/v1/invoices", vec![Get], list.build());
    paths.add_path_operation(
        "/api/v1/invoices",
        vec![Post],
        op(
            "invoices",
            "Upload an invoice of one agency, lot holder and closed month (operator of the holder, contract \
             manager, admin), reconciled at once with the month's billing report"
                .into(),
        )
        .request_body(Some(body("InvoiceIn")))
        .response("201", json_response("Stored and reconciled", schema_ref("ReconciliationOut")))
        .response("400", error_response("Malformed JSON, unknown field"))
        .response("403", error_response("Your role may not upload invoices"))
        .response(
            "422",
            error_response(
                "A header field breaks a rule (`month_not_closed`, `duplicate` number, unknown `holder`), or \
                 lines do (`error.problems`: line, column, rule); nothing is stored",
            ),
        )
        .build(),
    );
    let csv_body = RequestBodyBuilder::new()
        .content(
            "text/csv",
            ContentBuilder::new().schema(Some(ObjectBuilder::new().schema_type(Type::String))).build(),
        )
        .build();
    let mut import = op(
        "invoices",
        "Upload an invoice as a CSV file: header `tipo;acesso;referencia;descricao;valor` (docs/invoices.md)"
            .into(),
    )
    .request_body(Some(csv_body))
    .response("201", json_response("Stored and reconciled", schema_ref("ReconciliationOut")))
    .response("403", error_response("Your role may not upload invoices"))
    .response(
        "422",
        error_response("Problems listed in `error.problems` (line, column, rule), or a header field"),
    );
    for (name, kind) in [
        ("agency_id", Type::Integer),
        ("holder", Type::String),
        ("month", Type::String),
        ("number", Type::String),
        ("issued_on", Type::String),
    ] {
        import = import.parameter(query_param(name, kind));
    }
    paths.add_path_operation("/api/v1/invoices/import", vec![Post], import.build());
    paths.add_path_operation(
        "/api/v1/invoices/{id}",
        vec![Get],
        op("invoices", "One invoice with its lines and disputes".into())
            .parameter(id_param())
            .response("200", json_response("The invoice", schema_ref("InvoiceDetailOut")))
            .response("404", error_response("Absent, or outside your scope"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/invoices/{id}/reconciliation",
        vec![Get],
        op(
            "invoices",
            "The invoice against the billing report: flags with expected and invoiced amounts, totals".into(),
        )
        .parameter(id_param())
        .response("200", json_response("The reconciliation", schema_ref("ReconciliationOut")))
        .response("404", error_response("Absent, or outside your scope"))
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/invoices/{id}/approve",
        vec![Post],
        op(
            "invoices",
            "Approve the invoice for payment (its agency's manager, contract manager, admin), once".into(),
        )
        .parameter(id_param())
        .response("200", json_response("Approved", schema_ref("InvoiceOut")))
        .response("403", error_response("Your role may not approve invoices"))
        .response("404", error_response("Absent, or outside your scope"))
        .response("422", error_response("Already approved (`action_not_allowed`)"))
        .build(),
    );
    let mut disputes =
        op("disputes", "Disputes in your scope, newest first (`sort=oldest`: oldest first)".into())
            .parameter(query_param("page", Type::Integer))
            .parameter(query_param("page_size", Type::Integer))
            .response(
                "200",
                json_response("A page of disputes (or a CSV/XLSX file)", list_schema("DisputeOut")),
            )
            .response("422", error_response("A filter that cannot be understood"));
    for (name, kind) in [
        ("status", Type::String),
        ("agency_id", Type::Integer),
        ("operator_id", Type::Integer),
        ("holder", Type::String),
        ("month", Type::String),
        ("invoice_id", Type::Integer),
        ("sort", Type::String),
        ("format", Type::String),
    ] {
        disputes = disputes.parameter(query_param(name, kind));
    }
    paths.add_path_operation("/api/v1/disputes", vec![Get], disputes.build());
    paths.add_path_operation(
        "/api/v1/disputes",
        vec![Post],
        op(
            "disputes",
            "Open a dispute on lines of an invoice (its agency's manager, contract manager, admin): a reason and \
             the amount contested per line"
                .into(),
        )
        .request_body(Some(body("DisputeIn")))
        .response("201", json_response("Opened", schema_ref("DisputeDetailOut")))
        .response("403", error_response("Your role may not open disputes"))
        .response("422", rule_broken())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/disputes/{id}",
        vec![Get],
        op("disputes", "One dispute with its contested lines".into())
            .parameter(id_param())
            .response("200", json_response("The dispute", schema_ref("DisputeDetailOut")))
            .response("404", error_response("Absent, or outside your scope"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/disputes/{id}/answer",
        vec![Post],
        op("disputes", "The operator's answer (an operator of the invoice's holder), while opened".into())
            .parameter(id_param())
            .request_body(Some(body("AnswerIn")))
            .response("200", json_response("Answered", schema_ref("DisputeDetailOut")))
            .response("403", error_response("Only the operator answers"))
            .response("404", error_response("Absent, or outside your scope"))
            .response("422", error_response("Blank answer, or not opened (`action_not_allowed`)"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/disputes/{id}/resolve",
        vec![Post],
        op(
            "disputes",
            "Resolve a dispute, answered or not (contract manager, admin): `upheld` credits the contested amount \
             in the first open month after the invoice's, split between a consortium's members; or `rejected`"
                .into(),
        )
        .parameter(id_param())
        .request_body(Some(body("ResolveIn")))
        .response("200", json_response("Resolved", schema_ref("DisputeDetailOut")))
        .response("403", error_response("Your role may not resolve disputes"))
        .response("404", error_response("Absent, or outside your scope"))
        .response("422", error_response("Blank grounds, unknown resolution, or already resolved"))
        .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (InvoiceTotalsOut::name(), InvoiceTotalsOut::schema()),
        (InvoiceOut::name(), InvoiceOut::schema()),
        (InvoiceLineOut::name(), InvoiceLineOut::schema()),
        (InvoiceDetailOut::name(), InvoiceDetailOut::schema()),
        (FlagOut::name(), FlagOut::schema()),
        (ReconciliationOut::name(), ReconciliationOut::schema()),
        (InvoiceLineIn::name(), InvoiceLineIn::schema()),
        (InvoiceIn::name(), InvoiceIn::schema()),
        (ContestedLineIn::name(), ContestedLineIn::schema()),
        (DisputeIn::name(), DisputeIn::schema()),
        (AnswerIn::name(), AnswerIn::schema()),
        (ResolveIn::name(), ResolveIn::schema()),
        (DisputeOut::name(), DisputeOut::schema()),
        (DisputeLineOut::name(), DisputeLineOut::schema()),
        (DisputeDetailOut::name(), DisputeDetailOut::schema()),
    ] {
        components.schemas.insert(name.into_owned(), schema);
    }
}
