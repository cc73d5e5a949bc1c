//! The `/api/v1` JSON API. Every endpoint authenticates with a bearer token
//! ([`crate::auth::ApiActor`]) and calls one use case; the app layer decides
//! what the actor may see and change. Lists answer `{"items", "total",
//! "page", "page_size"}`; errors `{"error": {"code", "message", "field"}}`.
//!
//! The inventory lives in [`dto`] and `handlers`; incidents and maintenance
//! windows in [`incidents`]; contract rules, the monthly closing, results,
//! explanations, billing reports and adjustments in [`months`].

pub mod adhesions;
pub mod calendar;
pub mod commitments;
pub mod dto;
mod handlers;
pub mod incidents;
pub mod invoices;
pub mod ipam;
pub mod monitor;
pub mod months;
pub mod openapi;
pub mod orders;
pub mod penalties;

use crate::WebState;
use crate::error::ApiError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::routing::{get, post};
use redegov_app::{InventoryFilter, Page};
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::*;
use serde::de::DeserializeOwned;

/// The API's routes.
pub fn routes() -> Router<WebState> {
    use handlers::*;
    Router::new()
        .route("/me", get(me))
        .route("/operators", get(list_operators).post(create_operator))
        .route("/operators/{id}", get(get_operator).patch(update_operator).delete(delete_operator))
        .route("/consortia", get(list_consortia).post(create_consortium))
        .route("/consortia/{id}", get(get_consortium).patch(update_consortium).delete(delete_consortium))
        .route("/contracts", get(list_contracts).post(create_contract))
        .route("/contracts/{id}", get(get_contract).patch(update_contract).delete(delete_contract))
        .route("/lots", get(list_lots).post(create_lot))
        .route("/lots/{id}", get(get_lot).patch(update_lot).delete(delete_lot))
        .route("/lots/{id}/prices", get(list_prices).post(create_price))
        .route("/prices/{id}", axum::routing::patch(update_price).delete(delete_price))
        .route("/agencies", get(list_agencies).post(create_agency))
        .route("/agencies/{id}", get(get_agency).patch(update_agency).delete(delete_agency))
        .route("/sites", get(list_sites).post(create_site))
        .route("/sites/{id}", get(get_site).patch(update_site).delete(delete_site))
        .route("/accesses", get(list_accesses).post(create_access))
        .route("/accesses/{id}", get(get_access).patch(update_access).delete(deactivate_access))
        .route("/import/{kind}", axum::routing::post(import_csv))
        .route("/users", get(list_users).post(create_user))
        .route("/audit", get(list_audit))
        .route("/audit/verify", get(verify_audit))
        .route("/municipalities", get(list_municipalities))
        .route("/incidents", get(incidents::list_incidents).post(incidents::create_incident))
        .route("/incidents/{id}", get(incidents::get_incident).patch(incidents::update_incident))
        .route("/maintenance-windows", get(incidents::list_windows).post(incidents::propose_window))
        .route("/maintenance-windows/{id}", get(incidents::get_window))
        .route("/maintenance-windows/{id}/approve", post(incidents::approve_window))
        .route("/maintenance-windows/{id}/reject", post(incidents::reject_window))
        .route("/lots/{id}/rules", get(months::list_rules).put(months::put_rules))
        .route("/months", get(months::list_months))
        .route("/months/{month}/preview", get(months::preview))
        .route("/months/{month}/measurements", get(months::measurements))
        .route("/months/{month}/close", post(months::close_month))
        .route("/months/{month}/accesses/{access_id}/explanation", get(months::explanation))
        .route("/months/{month}/billing-reports", get(months::billing_index))
        .route("/months/{month}/billing-reports/{agency_id}/{holder}", get(months::billing_report))
        .route("/months/{month}/adjustments", get(months::list_adjustments))
        .route("/adjustments", post(months::create_adjustment))
        .route("/calendar/holidays", get(calendar::list_holidays).post(calendar::create_holiday))
        .route("/calendar/holidays/{id}", axum::routing::delete(calendar::delete_holiday))
        .route("/calendar/due", get(calendar::due))
        .route("/calendar/settings", get(calendar::get_settings).put(calendar::put_settings))
        .route("/orders", get(orders::list_orders).post(orders::create_order))
        .route("/orders/{id}", get(orders::get_order))
        .route("/orders/{id}/transitions", post(orders::transition_order))
        .route("/orders/{id}/pending-items/{item_id}/resolve", post(orders::resolve_pending))
        .route("/order-settings", get(orders::get_settings).put(orders::put_settings))
        .route("/adhesion-policies", get(orders::list_policies))
        .route("/adhesion-policies/{kind}", axum::routing::put(orders::put_policy))
        .route("/agencies/{id}/delinquency", get(orders::get_delinquency).put(orders::put_delinquency))
        .route("/alerts/alertmanager", post(monitor::alertmanager))
        .route("/alerts/zabbix", post(monitor::zabbix))
        .route("/alerts", get(monitor::list_alerts))
        .route("/noc", get(monitor::noc))
        .route("/accesses/{id}/monitoring", get(monitor::access_monitoring))
        .route("/accesses/{id}/probe", axum::routing::put(monitor::put_probe).delete(monitor::delete_probe))
        .route("/monitor-settings", get(monitor::get_settings).put(monitor::put_settings))
        .route(
            "/operators/{id}/webhook",
            axum::routing::put(monitor::put_webhook).delete(monitor::delete_webhook),
        )
        .merge(penalties::routes())
        .merge(invoices::routes())
        .merge(commitments::routes())
        .merge(ipam::routes())
        .merge(adhesions::routes())
        .route("/openapi.json", get(openapi::document))
        .merge(openapi::swagger_ui())
        .fallback(|| async {
            ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        })
}

/// A JSON body whose errors name the offending field: a type error is a
/// 400 with the JSON path; an unknown field is refused (400).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(None, format!("cannot read the body: {e}")))?;
        if bytes.is_empty() {
            return Err(ApiError::bad_request(None, "a JSON object body is required"));
        }
        decode(&bytes).map(ApiJson)
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde_path_to_error's path already ends at an unknown field; a
        // missing one is reported at its parent, so name it from the message.
        let field = match inner.split('`').nth(1) {
            Some(name) if inner.starts_with("missing field") && path == "." => name.to_string(),
            Some(name) if inner.starts_with("missing field") => format!("{path}.{name}"),
            _ => path,
        };
        let field = (field != ".").then_some(field);
        ApiError::bad_request(field, format!("malformed JSON: {inner}"))
    })
}

/// Like [`ApiJson`], but an empty body is the default value (for actions
/// such as approving a window, whose body is optional).
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(None, format!("cannot read the body: {e}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        decode(&bytes).map(OptionalJson)
    }
}

/// Parses a path id.
pub fn parse_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .map_err(|_| ApiError::bad_request(Some("id".into()), format!("{text:?} is not a numeric id")))
}

/// Query parameters of a list: pagination and filters.
pub struct ListQuery {
    pub page: Page,
    pub filter: InventoryFilter,
    pub raw: Vec<(String, String)>,
}

impl ListQuery {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn query_int(raw: &[(String, String)], names: &[&str]) -> Result<Option<i64>, ApiError> {
    for name in names {
        if let Some((_, v)) = raw.iter().find(|(k, _)| k == name) {
            return v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(Some(name.to_string()), format!("{name} must be an integer"))
            });
        }
    }
    Ok(None)
}

fn raw_query(parts: &axum::http::request::Parts) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
        .map_err(|e| ApiError::bad_request(None, format!("malformed query string: {e}")))
}

fn page_of(raw: &[(String, String)]) -> Result<Page, ApiError> {
    let page_no = query_int(raw, &["page"])?.unwrap_or(1);
    let page_size = query_int(raw, &["page_size"])?.unwrap_or(50);
    if page_no < 1 {
        return Err(FieldError::new("page", Rule::OutOfRange { min: 1, max: i64::MAX }).into());
    }
    if !(1..=Page::MAX_SIZE).contains(&page_size) {
        return Err(FieldError::new("page_size", Rule::OutOfRange { min: 1, max: Page::MAX_SIZE }).into());
    }
    Ok(Page { page: page_no, page_size })
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let raw = raw_query(parts)?;
        let Page { page: page_no, page_size } = page_of(&raw)?;
        let text = |name: &str| raw.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string());
        let status = text("status");
        if let Some(s) = &status {
            redegov_domain::inventory::AccessStatus::parse("status", s)?;
        }
        let kind = text("kind");
        if let Some(k) = &kind {
            redegov_domain::inventory::AgencyKind::parse("kind", k)?;
        }
        let filter = InventoryFilter {
            agency_id: query_int(&raw, &["agency_id", "agency"])?.map(AgencyId),
            site_id: query_int(&raw, &["site_id", "site"])?.map(SiteId),
            lot_id: query_int(&raw, &["lot_id", "lot"])?.map(LotId),
            contract_id: query_int(&raw, &["contract_id", "contract"])?.map(ContractId),
            operator_id: query_int(&raw, &["operator_id", "operator"])?.map(OperatorId),
            status,
            kind,
            municipality_ibge: query_int(&raw, &["municipality_ibge"])?,
            search: text("q").filter(|q| !q.is_empty()),
        };
        Ok(ListQuery { page: Page { page: page_no, page_size }, filter, raw })
    }
}

/// The query string of a list whose filters the handler reads one by one:
/// pagination, then typed getters that fail with a 422 naming the filter
/// (a filter that cannot be understood must never silently widen a list).
pub struct Filters {
    pub page: Page,
    raw: Vec<(String, String)>,
}

/// A filter error is always a 422: the request was well-formed HTTP, one of
/// its values breaks a rule.
fn filter_error(e: FieldError) -> ApiError {
    ApiError { status: axum::http::StatusCode::UNPROCESSABLE_ENTITY, ..ApiError::invalid(e) }
}

impl Filters {
    /// The trimmed value of `name`, `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.raw.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// An integer id.
    pub fn id(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.text(name)
            .map(|v| {
                v.parse().map_err(|_| filter_error(FieldError::new(name, Rule::Malformed("número inteiro"))))
            })
            .transpose()
    }

    /// A code, checked by its parser (`IncidentStatus::parse`, …).
    pub fn code<T>(
        &self,
        name: &str,
        parse: impl Fn(&str, &str) -> redegov_domain::error::Valid<T>,
    ) -> Result<Option<T>, ApiError> {
        self.text(name).map(|v| parse(name, v).map_err(filter_error)).transpose()
    }

    /// An RFC 3339 instant.
    pub fn instant(&self, name: &str) -> Result<Option<redegov_domain::time::Timestamp>, ApiError> {
        self.code(name, redegov_domain::time::parse_instant)
    }

    /// `true` or `false`; absent is `false`.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.text(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(filter_error(FieldError::new(name, Rule::OneOf(&["true", "false"])))),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Filters {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let raw = raw_query(parts)?;
        Ok(Filters { page: page_of(&raw)?, raw })
    }
}
