//! Budget commitments (empenhos) and the contract balance (issue #6 item 5).
//!
//! - `POST /commitments` registers one (agency manager for its agency;
//!   contract manager, admin); `GET /commitments` lists them (scoped);
//!   `POST /commitments/{id}/cancel` annuls one with a reason.
//! - `GET /balance?fiscal_year=2026`: per contract, lot and agency-lot, the
//!   ceiling, committed, consumed (closed months' nets), remaining, the
//!   share consumed, a status (`ok`, `warning` from the configured share,
//!   `exceeded`) and the months closed beyond the commitment.
//! - `GET`/`PUT /balance-settings`; `PUT /lots/{id}/ceiling`.
//!
//! Operators and the NOC get 403: the budget is the state's business.

use super::openapi::{body, error_response, json_response, op, path_param, query_param, schema_ref};
use super::{ApiJson, parse_id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use redegov_app::commitments::{BalanceView, CommitmentFilter, CommitmentRecord};
use redegov_domain::commitment::{BalanceKey, BalanceSettings, NewCommitment};
use redegov_domain::ids::{AgencyId, CommitmentId, LotId};
use redegov_domain::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::Type;
use utoipa::{PartialSchema, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

/// This module's routes, merged into `/api/v1`.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/commitments", get(list).post(create))
        .route("/commitments/{id}/cancel", post(cancel))
        .route("/balance", get(balance))
        .route("/balance-settings", get(get_settings).put(put_settings))
        .route("/lots/{id}/ceiling", put(put_ceiling))
}

/// A commitment to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentIn {
    pub agency_id: i64,
    pub lot_id: i64,
    /// The empenho's number (e.g. `2026NE000123`), unique per agency and year.
    pub number: String,
    pub fiscal_year: i32,
    pub amount_centavos: i64,
    #[serde(default)]
    pub notes: String,
}

/// A stored commitment.
#[derive(Serialize, ToSchema)]
pub struct CommitmentOut {
    pub id: i64,
    pub agency_id: i64,
    pub lot_id: i64,
    pub number: String,
    pub fiscal_year: i32,
    pub amount_centavos: i64,
    pub amount_formatted: String,
    pub notes: String,
    pub created_at: String,
    /// Set when annulled.
    pub cancelled_at: Option<String>,
    pub cancel_reason: Option<String>,
}

impl From<CommitmentRecord> for CommitmentOut {
    fn from(c: CommitmentRecord) -> Self {
        CommitmentOut {
            id: c.id.0,
            agency_id: c.agency_id.0,
            lot_id: c.lot_id.0,
            number: c.number,
            fiscal_year: c.fiscal_year,
            amount_centavos: c.amount.centavos(),
            amount_formatted: c.amount.format_brl(),
            notes: c.notes,
            created_at: super::dto::rfc3339(c.created_at),
            cancelled_at: c.cancelled.as_ref().map(|(at, _, _)| super::dto::rfc3339(*at)),
            cancel_reason: c.cancelled.map(|(_, _, reason)| reason),
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    pub agency_id: Option<String>,
    pub lot_id: Option<String>,
    pub fiscal_year: Option<String>,
}

/// `GET /commitments`.
pub async fn list(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let filter = CommitmentFilter {
        agency_id: q.agency_id.as_deref().map(parse_id).transpose()?.map(AgencyId),
        lot_id: q.lot_id.as_deref().map(parse_id).transpose()?.map(LotId),
        fiscal_year: q.fiscal_year.as_deref().map(|y| parse_year(Some(y))).transpose()?,
        active_only: false,
    };
    let items: Vec<CommitmentOut> =
        s.app.list_commitments(&actor, filter).await?.into_iter().map(CommitmentOut::from).collect();
    let total = items.len();
    Ok(Json(serde_json::json!({"items": items, "total": total, "page": 1, "page_size": total})))
}

/// `POST /commitments`.
pub async fn create(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(c): ApiJson<CommitmentIn>,
) -> ApiResult<Response> {
    let input = NewCommitment {
        agency_id: c.agency_id,
        lot_id: c.lot_id,
        number: c.number,
        fiscal_year: c.fiscal_year,
        amount: Money::from_centavos(c.amount_centavos),
        notes: c.notes,
    };
    let stored = s.app.create_commitment(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(CommitmentOut::from(stored))).into_response())
}

/// Why a commitment is annulled.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelIn {
    pub reason: String,
}

/// `POST /commitments/{id}/cancel`.
pub async fn cancel(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(c): ApiJson<CancelIn>,
) -> ApiResult<Json<CommitmentOut>> {
    let id = CommitmentId(parse_id(&id)?);
    Ok(Json(s.app.cancel_commitment(&actor, id, &c.reason).await?.into()))
}

/// One row of the balance.
#[derive(Serialize, ToSchema)]
pub struct BalanceRowOut {
    /// `contract`, `lot` or `agency_lot`.
    pub level: &'static str,
    pub contract_id: i64,
    pub contract: String,
    pub lot_id: Option<i64>,
    pub lot: Option<String>,
    pub agency_id: Option<i64>,
    pub agency: Option<String>,
    pub ceiling_centavos: Option<i64>,
    pub committed_centavos: i64,
    pub consumed_centavos: i64,
    /// committed − consumed (negative when exceeded).
    pub remaining_centavos: i64,
    /// ceiling − consumed.
    pub ceiling_balance_centavos: Option<i64>,
    /// Consumed ÷ committed, `"83.40"` (%); absent without a commitment.
    pub consumed_percent: Option<String>,
    /// `ok`, `warning` or `exceeded`.
    pub status: &'static str,
    /// Months (`YYYY-MM`) closed beyond the commitment.
    pub overrun_months: Vec<String>,
}

/// The balance of a fiscal year.
#[derive(Serialize, ToSchema)]
pub struct BalanceOut {
    pub fiscal_year: i32,
    pub warn_basis_points: i64,
    pub rows: Vec<BalanceRowOut>,
}

impl From<BalanceView> for BalanceOut {
    fn from(v: BalanceView) -> Self {
        let name = |map: &std::collections::BTreeMap<i64, String>, id: i64| {
            map.get(&id).cloned().unwrap_or_default()
        };
        let rows = v
            .rows
            .into_iter()
            .map(|r| {
                let (level, contract_id, lot_id, agency_id) = match r.key {
                    BalanceKey::Contract { contract_id } => ("contract", contract_id, None, None),
                    BalanceKey::Lot { contract_id, lot_id } => ("lot", contract_id, Some(lot_id), None),
                    BalanceKey::AgencyLot { contract_id, lot_id, agency_id } => {
                        ("agency_lot", contract_id, Some(lot_id), Some(agency_id))
                    }
                };
                BalanceRowOut {
                    level,
                    contract_id,
                    contract: name(&v.contracts, contract_id),
                    lot_id,
                    lot: lot_id.map(|l| name(&v.lots, l)),
                    agency_id,
                    agency: agency_id.map(|a| name(&v.agencies, a)),
                    ceiling_centavos: r.ceiling.map(Money::centavos),
                    committed_centavos: r.committed.centavos(),
                    consumed_centavos: r.consumed.centavos(),
                    remaining_centavos: r.remaining.centavos(),
                    ceiling_balance_centavos: r.ceiling_balance.map(Money::centavos),
                    consumed_percent: r
                        .consumed_basis_points
                        .map(|bp| format!("{}.{:02}", bp / 100, bp % 100)),
                    status: r.status.code(),
                    overrun_months: r.overruns.into_iter().map(|o| o.month).collect(),
                }
            })
            .collect();
        BalanceOut { fiscal_year: v.fiscal_year, warn_basis_points: v.settings.warn_basis_points, rows }
    }
}

#[derive(Deserialize)]
pub struct BalanceQuery {
    pub fiscal_year: Option<String>,
}

fn parse_year(text: Option<&str>) -> ApiResult<i32> {
    let text =
        text.ok_or_else(|| ApiError::bad_request(Some("fiscal_year".into()), "fiscal_year is required"))?;
    text.trim().parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(|| {
        ApiError::bad_request(Some("fiscal_year".into()), "fiscal_year must be a year from 2000 to 2100")
    })
}

/// `GET /balance?fiscal_year=`.
pub async fn balance(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<BalanceQuery>,
) -> ApiResult<Json<BalanceOut>> {
    let year = parse_year(q.fiscal_year.as_deref())?;
    Ok(Json(s.app.contract_balance(&actor, year).await?.into()))
}

/// The balance settings.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BalanceSettingsIo {
    /// The share of a commitment whose consumption raises a warning (8000 = 80 %).
    pub warn_basis_points: i64,
}

/// `GET /balance-settings`.
pub async fn get_settings(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<BalanceSettingsIo>> {
    let settings = s.app.balance_settings(&actor).await?;
    Ok(Json(BalanceSettingsIo { warn_basis_points: settings.warn_basis_points }))
}

/// `PUT /balance-settings`.
pub async fn put_settings(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<BalanceSettingsIo>,
) -> ApiResult<Json<BalanceSettingsIo>> {
    s.app.set_balance_settings(&actor, BalanceSettings { warn_basis_points: b.warn_basis_points }).await?;
    Ok(Json(b))
}

/// A lot's own ceiling; `null` removes it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CeilingIn {
    pub ceiling_centavos: Option<i64>,
}

/// `PUT /lots/{id}/ceiling`.
pub async fn put_ceiling(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(c): ApiJson<CeilingIn>,
) -> ApiResult<Response> {
    let lot = LotId(parse_id(&id)?);
    s.app.set_lot_ceiling(&actor, lot, c.ceiling_centavos.map(Money::from_centavos)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Adds this module's paths and schemas to the OpenAPI document.
pub fn openapi(doc: &mut OpenApiDoc) {
    use HttpMethod::{Get, Post, Put};
    let paths = &mut doc.paths;
    let forbidden = || error_response("Operators and the NOC do not read the budget");
    paths.add_path_operation(
        "/api/v1/commitments",
        vec![Get],
        op("commitments", "Budget commitments (empenhos), scoped: an agency manager sees its own".into())
            .parameter(query_param("agency_id", Type::Integer))
            .parameter(query_param("lot_id", Type::Integer))
            .parameter(query_param("fiscal_year", Type::Integer))
            .response("200", json_response("Commitments", super::openapi::list_schema("CommitmentOut")))
            .response("403", forbidden())
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/commitments",
        vec![Post],
        op(
            "commitments",
            "Register a commitment (agency manager for its own agency, contract manager, admin; audited)"
                .into(),
        )
        .request_body(Some(body("CommitmentIn")))
        .response("201", json_response("Registered", schema_ref("CommitmentOut")))
        .response("403", error_response("Your role may not register commitments"))
        .response("409", error_response("The agency already has this number in this year"))
        .response("422", error_response("A rule is broken; `field` names it"))
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/commitments/{id}/cancel",
        vec![Post],
        op("commitments", "Annul a commitment with a reason (contract manager, admin; audited)".into())
            .parameter(path_param("id", Type::Integer, "The commitment"))
            .request_body(Some(body("CancelIn")))
            .response("200", json_response("Annulled", schema_ref("CommitmentOut")))
            .response("403", error_response("Your role may not annul commitments"))
            .response("404", error_response("No such commitment in your scope"))
            .response("409", error_response("Already annulled"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/balance",
        vec![Get],
        op(
            "commitments",
            "The contract balance of a fiscal year: per contract, lot and agency-lot, ceiling, committed, \
             consumed (the closed months' nets), remaining, status and the months closed beyond the commitment"
                .into(),
        )
        .parameter(query_param("fiscal_year", Type::Integer))
        .response("200", json_response("Balance", schema_ref("BalanceOut")))
        .response("400", error_response("fiscal_year missing or not a year"))
        .response("403", forbidden())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/balance-settings",
        vec![Get],
        op("commitments", "The balance settings".into())
            .response("200", json_response("Settings", schema_ref("BalanceSettingsIo")))
            .response("403", forbidden())
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/balance-settings",
        vec![Put],
        op("commitments", "Set the warning share (contract manager, admin; audited)".into())
            .request_body(Some(body("BalanceSettingsIo")))
            .response("200", json_response("Stored", schema_ref("BalanceSettingsIo")))
            .response("403", error_response("Your role may not change them"))
            .response("422", error_response("A rule is broken; `field` names it"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/lots/{id}/ceiling",
        vec![Put],
        op(
            "commitments",
            "Set or remove (null) a lot's own ceiling (contract manager, admin; audited)".into(),
        )
        .parameter(path_param("id", Type::Integer, "The lot"))
        .request_body(Some(body("CeilingIn")))
        .response("204", ResponseBuilder::new().description("Stored").build())
        .response("403", error_response("Your role may not change ceilings"))
        .response("404", error_response("No such lot"))
        .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (CommitmentIn::name(), CommitmentIn::schema()),
        (CommitmentOut::name(), CommitmentOut::schema()),
        (CancelIn::name(), CancelIn::schema()),
        (BalanceRowOut::name(), BalanceRowOut::schema()),
        (BalanceOut::name(), BalanceOut::schema()),
        (BalanceSettingsIo::name(), BalanceSettingsIo::schema()),
        (CeilingIn::name(), CeilingIn::schema()),
    ] {
        components.schemas.insert(name.into_owned(), schema);
    }
}
