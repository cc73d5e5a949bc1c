//! The calendar endpoints (issue #4): the holidays of a year in a place,
//! the due date of a deadline (Lei 9.784/1999, art. 66), the network's
//! calendar settings, and the holidays kept as data.
//!
//! - `GET /calendar/holidays?year=2027[&state=MG][&municipality=3106200]` →
//!   `[{"date": "2027-01-01", "name": "Confraternização Universal"}, …]`
//!   (a plain array; a holiday kept as data also has its `id`);
//! - `GET /calendar/due?start=2026-12-23&days=10&unit=business[&state=MG][&municipality=…]`
//!   → `{"due": "2027-01-08"}`;
//! - `GET`/`PUT /calendar/settings`; `POST /calendar/holidays`;
//!   `DELETE /calendar/holidays/{id}`.
//!
//! A query parameter that cannot be understood — a year outside 1900–2200,
//! more than 3650 days, an unknown unit or state, a malformed date, an
//! unknown municipality, a parameter this endpoint does not take — is a 400
//! naming it. Deciding which calendar applies and who may change what is the
//! app's; this module only decodes and encodes.

use super::dto::need;
use super::openapi::{body, error_response, json_response, schema_ref};
use super::{ApiJson, parse_id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use redegov_app::AppError;
use redegov_app::calendar::{CalendarSettings, HolidayInput, HolidayRecord, ListedHoliday, SettingsInput};
use redegov_domain::calendar::{DayUnit, HolidayId, check_days, check_year, parse_state};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::time::parse_date;
use serde::{Deserialize, Serialize};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{OpenApi as OpenApiDoc, Required};
use utoipa::{PartialSchema, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

/// A query parameter that breaks a rule: always a 400 naming it.
fn bad_param(e: FieldError) -> ApiError {
    ApiError { status: StatusCode::BAD_REQUEST, ..ApiError::invalid(e) }
}

/// An app error of a read-only query: a broken rule is the query's fault (400).
fn query_error(e: AppError) -> ApiError {
    match e {
        AppError::Invalid(fe) => bad_param(fe),
        other => other.into(),
    }
}

/// The query string, checked against the parameters an endpoint takes.
struct Params(Vec<(String, String)>);

impl Params {
    fn of(uri: &Uri, allowed: &[&str]) -> ApiResult<Params> {
        let raw: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or(""))
            .map_err(|e| ApiError::bad_request(None, format!("malformed query string: {e}")))?;
        if let Some((name, _)) = raw.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(ApiError::bad_request(
                Some(name.clone()),
                format!("{name}: unknown query parameter (this endpoint takes {})", allowed.join(", ")),
            ));
        }
        Ok(Params(raw))
    }

    /// The trimmed value, `None` when absent or blank.
    fn text(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    fn required(&self, name: &str) -> ApiResult<&str> {
        self.text(name).ok_or_else(|| bad_param(FieldError::new(name, Rule::Required)))
    }

    fn integer(&self, name: &str, text: &str, expected: &'static str) -> ApiResult<i64> {
        text.parse().map_err(|_| bad_param(FieldError::new(name, Rule::Malformed(expected))))
    }

    fn state(&self) -> ApiResult<Option<String>> {
        self.text("state").map(|s| parse_state("state", s).map_err(bad_param)).transpose()
    }

    fn municipality(&self) -> ApiResult<Option<u32>> {
        self.text("municipality")
            .map(|m| {
                m.parse::<u32>().map_err(|_| {
                    bad_param(FieldError::new("municipality", Rule::Malformed("código IBGE, ex.: 3106200")))
                })
            })
            .transpose()
    }
}

fn iso(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

// ----- holidays and due dates -----

/// A holiday: its date and its name in pt-BR.
#[derive(Serialize, ToSchema)]
pub struct CalendarHolidayOut {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub name: String,
    /// Only for a holiday kept as data: the id to remove it with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

impl From<ListedHoliday> for CalendarHolidayOut {
    fn from(h: ListedHoliday) -> Self {
        CalendarHolidayOut { date: iso(h.date), name: h.name, id: h.id.map(|i| i.0) }
    }
}

/// `GET /calendar/holidays?year=&state=&municipality=`.
pub async fn list_holidays(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    uri: Uri,
) -> ApiResult<Json<Vec<CalendarHolidayOut>>> {
    let q = Params::of(&uri, &["year", "state", "municipality"])?;
    let year = q.integer("year", q.required("year")?, "ano com quatro dígitos, ex.: 2027")?;
    let year = check_year("year", year).map_err(bad_param)?;
    let (state, municipality) = (q.state()?, q.municipality()?);
    let holidays = s.app.holidays(&actor, year, state.as_deref(), municipality).await.map_err(query_error)?;
    Ok(Json(holidays.into_iter().map(CalendarHolidayOut::from).collect()))
}

/// When a deadline falls due.
#[derive(Serialize, ToSchema)]
pub struct DueOut {
    /// `YYYY-MM-DD`, always a business day of the place.
    pub due: String,
}

/// `GET /calendar/due?start=&days=&unit=&state=&municipality=`.
pub async fn due(State(s): State<WebState>, ApiActor(actor): ApiActor, uri: Uri) -> ApiResult<Json<DueOut>> {
    let q = Params::of(&uri, &["start", "days", "unit", "state", "municipality"])?;
    let start = parse_date("start", q.required("start")?).map_err(bad_param)?;
    let days = q.integer("days", q.required("days")?, "número inteiro de dias, ex.: 10")?;
    let days = check_days("days", days).map_err(bad_param)?;
    let unit = DayUnit::parse("unit", q.required("unit")?).map_err(bad_param)?;
    let (state, municipality) = (q.state()?, q.municipality()?);
    let due = s
        .app
        .due_date(&actor, start, days, unit, state.as_deref(), municipality)
        .await
        .map_err(query_error)?;
    Ok(Json(DueOut { due: iso(due) }))
}

// ----- settings -----

/// The network's calendar settings.
#[derive(Serialize, ToSchema)]
pub struct CalendarSettingsOut {
    /// UF code of the network's state (its state holidays apply); `null`:
    /// national holidays only.
    pub state: Option<String>,
    /// Carnival Monday and Tuesday are holidays.
    pub carnival: bool,
    /// Corpus Christi is a holiday.
    pub corpus_christi: bool,
    /// RFC 3339; the Unix epoch until first changed.
    pub updated_at: String,
}

impl From<CalendarSettings> for CalendarSettingsOut {
    fn from(s: CalendarSettings) -> Self {
        CalendarSettingsOut {
            state: s.state,
            carnival: s.carnival,
            corpus_christi: s.corpus_christi,
            updated_at: super::dto::rfc3339(s.updated_at),
        }
    }
}

/// New calendar settings (all of them: `PUT` replaces).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CalendarSettingsIn {
    /// One of the 27 UF codes, or `null` for national holidays only.
    pub state: Option<String>,
    pub carnival: Option<bool>,
    pub corpus_christi: Option<bool>,
}

impl CalendarSettingsIn {
    fn into_input(self) -> Valid<SettingsInput> {
        Ok(SettingsInput {
            state: self.state,
            carnival: need("carnival", self.carnival)?,
            corpus_christi: need("corpus_christi", self.corpus_christi)?,
        })
    }
}

pub async fn get_settings(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<CalendarSettingsOut>> {
    Ok(Json(s.app.calendar_settings(&actor).await?.into()))
}

pub async fn put_settings(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<CalendarSettingsIn>,
) -> ApiResult<Json<CalendarSettingsOut>> {
    Ok(Json(s.app.set_calendar_settings(&actor, body.into_input()?).await?.into()))
}

// ----- holidays kept as data -----

/// A holiday to keep: a municipality's, or the whole network's.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct HolidayIn {
    /// `YYYY-MM-DD` (or `DD/MM/YYYY`).
    pub date: Option<String>,
    pub name: Option<String>,
    /// IBGE code of the municipality; absent or `null`: the whole network.
    pub municipality_ibge: Option<u32>,
}

impl HolidayIn {
    fn into_input(self) -> Valid<HolidayInput> {
        Ok(HolidayInput {
            date: parse_date("date", need("date", self.date.as_deref())?)?,
            name: self.name.unwrap_or_default(),
            municipality_ibge: self.municipality_ibge,
        })
    }
}

/// A holiday kept as data.
#[derive(Serialize, ToSchema)]
pub struct HolidayRecordOut {
    pub id: i64,
    pub date: String,
    pub name: String,
    /// `null`: the whole network.
    pub municipality_ibge: Option<u32>,
    pub created_at: String,
}

impl From<HolidayRecord> for HolidayRecordOut {
    fn from(h: HolidayRecord) -> Self {
        HolidayRecordOut {
            id: h.id.0,
            date: iso(h.date),
            name: h.name,
            municipality_ibge: h.municipality_ibge,
            created_at: super::dto::rfc3339(h.created_at),
        }
    }
}

pub async fn create_holiday(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<HolidayIn>,
) -> ApiResult<Response> {
    let holiday = s.app.add_holiday(&actor, body.into_input()?).await?;
    Ok((StatusCode::CREATED, Json(HolidayRecordOut::from(holiday))).into_response())
}

pub async fn delete_holiday(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.app.delete_holiday(&actor, HolidayId(parse_id(&id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- OpenAPI -----

fn param(name: &str, kind: Type, required: bool, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(if name == "id" { ParameterIn::Path } else { ParameterIn::Query })
        .required(if required { Required::True } else { Required::False })
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(kind)))
        .build()
}

fn op(summary: &str) -> OperationBuilder {
    super::openapi::op("calendar", summary.to_string())
}

/// Adds the calendar's paths and schemas to the API document.
pub(super) fn openapi(doc: &mut OpenApiDoc) {
    use HttpMethod::{Delete, Get, Post, Put};
    let state = || {
        param(
            "state",
            Type::String,
            false,
            "UF code (27 accepted; state holidays are known for MG and SP); default: the municipality's \
             state, else the settings' state",
        )
    };
    let municipality = || {
        param(
            "municipality",
            Type::Integer,
            false,
            "IBGE code: adds that municipality's holidays kept as data",
        )
    };
    let bad = || error_response("A parameter that cannot be understood; `field` names it");
    let paths = &mut doc.paths;
    paths.add_path_operation(
        "/api/v1/calendar/holidays",
        vec![Get],
        op("The holidays of a year in a place (any role): national, state, the contract's optional ones \
            (settings), the network's and the municipality's kept as data; a plain array by date")
        .parameter(param("year", Type::Integer, true, "1900–2200"))
        .parameter(state())
        .parameter(municipality())
        .response(
            "200",
            json_response("Holidays", ArrayBuilder::new().items(schema_ref("CalendarHolidayOut")).into()),
        )
        .response("400", bad())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/calendar/holidays",
        vec![Post],
        op("Keep a holiday for a municipality or the whole network (admin, network manager); one per date \
            and place (`duplicate` on `date`)")
        .request_body(Some(body("HolidayIn")))
        .response("201", json_response("Kept", schema_ref("HolidayRecordOut")))
        .response("400", error_response("Malformed JSON or date; `field` names it"))
        .response("403", error_response("Your role may not keep holidays"))
        .response("422", error_response("A rule is broken; `field` names it"))
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/calendar/holidays/{id}",
        vec![Delete],
        op("Remove a holiday kept as data (admin, network manager)")
            .parameter(param("id", Type::Integer, true, "The holiday's id"))
            .response("204", ResponseBuilder::new().description("Removed").build())
            .response("403", error_response("Your role may not remove holidays"))
            .response("404", error_response("No such holiday"))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/calendar/due",
        vec![Get],
        op(
            "When a deadline falls due (Lei 9.784/1999, art. 66): the start day is excluded; `business` ends \
            on the Nth business day after the start; `calendar` on start + N, moved to the next business day",
        )
        .parameter(param("start", Type::String, true, "`YYYY-MM-DD`"))
        .parameter(param("days", Type::Integer, true, "0–3650"))
        .parameter(param("unit", Type::String, true, "`business` or `calendar`"))
        .parameter(state())
        .parameter(municipality())
        .response("200", json_response("The due date", schema_ref("DueOut")))
        .response("400", bad())
        .build(),
    );
    paths.add_path_operation(
        "/api/v1/calendar/settings",
        vec![Get],
        op("The network's calendar settings (any role)")
            .response("200", json_response("Settings", schema_ref("CalendarSettingsOut")))
            .build(),
    );
    paths.add_path_operation(
        "/api/v1/calendar/settings",
        vec![Put],
        op("Replace the calendar settings (admin only, audited)")
            .request_body(Some(body("CalendarSettingsIn")))
            .response("200", json_response("Stored", schema_ref("CalendarSettingsOut")))
            .response("400", error_response("Malformed JSON; `field` names it"))
            .response("403", error_response("Only admin changes the settings"))
            .response("422", error_response("A rule is broken; `field` names it"))
            .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (CalendarHolidayOut::name(), CalendarHolidayOut::schema()),
        (DueOut::name(), DueOut::schema()),
        (CalendarSettingsOut::name(), CalendarSettingsOut::schema()),
        (CalendarSettingsIn::name(), CalendarSettingsIn::schema()),
        (HolidayIn::name(), HolidayIn::schema()),
        (HolidayRecordOut::name(), HolidayRecordOut::schema()),
    ] {
        components.schemas.insert(name.into_owned(), schema);
    }
}
