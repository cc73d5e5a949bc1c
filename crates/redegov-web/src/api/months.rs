//! Contract rules, the monthly closing and its results: preview and
//! measurements (one object per access, aggregated per lot and per lot
//! holder), the explanation of an access-month, billing reports (JSON, CSV,
//! XLSX, PDF) and adjustments.
//!
//! Conventions: money is integer centavos in fields ending `_centavos`;
//! percentages are strings with four decimals (`"99.8656"`), never floats;
//! a month is `YYYY-MM` in the network's time zone. The numbers are the
//! app's (the stored snapshot of a closed month, a fresh computation
//! otherwise); the only arithmetic here is summing the lines shown, so the
//! totals and aggregations always add up to the items.

use super::dto::{ListOut, need, rfc3339};
use super::{ApiJson, Filters, parse_id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use crate::reports::{BillingFormat, billing_download};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use redegov_app::closing::{AccessExplanation, AdjustmentInput, BillingIndexRow, MonthResults, parse_month};
use redegov_app::{Adjustment, ClosingBreach, ClosingLine, ClosingRecord, InventoryFilter, LineFilter, Page};
use redegov_domain::billing::{BillingReport, Party};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::explain::Verdict;
use redegov_domain::ids::*;
use redegov_domain::imr::{ImrRules, availability_micro};
use redegov_domain::inventory::LotHolder;
use redegov_domain::measure::{Month, percent_text as percent};
use redegov_domain::money::Money;
use redegov_domain::time::{from_epoch, parse_date};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

type ApiResult<T> = Result<T, ApiError>;

/// The `{month}` of a path: `YYYY-MM`, else a 422 naming `month`.
pub fn month_param(text: &str) -> ApiResult<Month> {
    parse_month("month", text)
        .map_err(|e| ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, ..ApiError::invalid(e) })
}

fn line_filter(q: &Filters) -> ApiResult<LineFilter> {
    Ok(LineFilter {
        access_id: q.id("access_id")?.map(AccessId),
        agency_id: q.id("agency_id")?.map(AgencyId),
        lot_id: q.id("lot_id")?.map(LotId),
        operator_id: q.id("operator_id")?.map(OperatorId),
    })
}

fn holder_key(h: LotHolder) -> String {
    match h {
        LotHolder::Operator(o) => format!("operator-{}", o.0),
        LotHolder::Consortium(c) => format!("consortium-{}", c.0),
    }
}

fn parse_holder(text: &str) -> ApiResult<LotHolder> {
    let bad = || {
        ApiError::bad_request(
            Some("holder".into()),
            format!("{text:?} is not operator-<id> or consortium-<id>"),
        )
    };
    let (kind, id) = text.split_once('-').ok_or_else(bad)?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    match kind {
        "operator" => Ok(LotHolder::Operator(OperatorId(id))),
        "consortium" => Ok(LotHolder::Consortium(ConsortiumId(id))),
        _ => Err(bad()),
    }
}

fn holder_ids(h: Option<LotHolder>) -> (Option<i64>, Option<i64>) {
    match h {
        Some(LotHolder::Operator(o)) => (Some(o.0), None),
        Some(LotHolder::Consortium(c)) => (None, Some(c.0)),
        None => (None, None),
    }
}

// ----- rules -----

#[derive(Serialize, ToSchema)]
pub struct RulesVersionOut {
    pub id: i64,
    pub lot_id: i64,
    /// `YYYY-MM-DD`: in force for months starting on or after this day,
    /// until the next version.
    pub effective_from: String,
    pub created_at: String,
    /// The indicator rules (see `PUT /lots/{id}/rules`).
    #[schema(value_type = Object)]
    pub rules: ImrRules,
}

#[derive(Serialize, ToSchema)]
pub struct RulesListOut {
    pub items: Vec<RulesVersionOut>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
    /// The rules in force before the first version (DOMAIN §5–§6 defaults).
    #[schema(value_type = Object)]
    pub defaults: ImrRules,
}

/// A version of a lot's rules.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesIn {
    /// `YYYY-MM-DD`; a version that would change a closed month is refused.
    pub effective_from: Option<String>,
    /// Availability targets in units of 0.0001 % per profile
    /// (`[["I", 995000], …]`), `satellite_availability_target`, repair
    /// limits in seconds (`repair_limit_capital`, `repair_limit_elsewhere`,
    /// `repair_limit_satellite`), `maintenance_notice` in seconds,
    /// `availability_penalty`/`repair_penalty` (`{"kind":
    /// "percent_of_charge", "basis_points": 500}` or `{"kind": "fixed",
    /// "per_unit": 10000}` centavos, or null), `monthly_cap_basis_points`,
    /// `granularity_seconds` (1 or 60).
    #[schema(value_type = Object)]
    pub rules: Option<ImrRules>,
}

pub async fn list_rules(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<RulesListOut>> {
    let versions = s.app.list_rules(&actor, LotId(parse_id(&id)?)).await?;
    let items: Vec<RulesVersionOut> = versions
        .into_iter()
        .map(|(r, rules)| RulesVersionOut {
            id: r.id.0,
            lot_id: r.lot_id.0,
            effective_from: r.effective_from.format("%Y-%m-%d").to_string(),
            created_at: rfc3339(r.created_at),
            rules,
        })
        .collect();
    let total = items.len() as i64;
    Ok(Json(RulesListOut { items, total, page: 1, page_size: total.max(1), defaults: ImrRules::default() }))
}

pub async fn put_rules(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RulesIn>,
) -> ApiResult<Json<RulesVersionOut>> {
    let lot = LotId(parse_id(&id)?);
    let from = parse_date("effective_from", need("effective_from", body.effective_from.as_deref())?)?;
    let rules = need("rules", body.rules)?;
    let stored = s.app.put_rules(&actor, lot, from, rules.clone()).await?;
    Ok(Json(RulesVersionOut {
        id: stored.id.0,
        lot_id: stored.lot_id.0,
        effective_from: stored.effective_from.format("%Y-%m-%d").to_string(),
        created_at: rfc3339(stored.created_at),
        rules,
    }))
}

// ----- closings -----

#[derive(Serialize, ToSchema)]
pub struct ClosingOut {
    pub id: i64,
    /// `YYYY-MM`.
    pub month: String,
    pub closed_at: String,
    pub closed_by: Option<i64>,
    /// SHA-256 of every input of the month (accesses, incidents, approved
    /// windows, rules): a preview with the same fingerprint computes the
    /// same numbers.
    pub inputs_fingerprint: String,
    /// Rules versions used: `default` and/or `#id`.
    pub rules_version: String,
    /// Accesses measured (in your scope).
    pub accesses: i64,
    pub charge_centavos: i64,
    pub credit_centavos: i64,
    pub net_centavos: i64,
}

impl From<&ClosingRecord> for ClosingOut {
    fn from(c: &ClosingRecord) -> Self {
        ClosingOut {
            id: c.id,
            month: c.month.clone(),
            closed_at: rfc3339(c.closed_at),
            closed_by: c.closed_by.map(|u| u.0),
            inputs_fingerprint: c.inputs_fingerprint.clone(),
            rules_version: c.rules_version.clone(),
            accesses: c.accesses,
            charge_centavos: c.charge.centavos(),
            credit_centavos: c.credit.centavos(),
            net_centavos: c.net.centavos(),
        }
    }
}

/// `GET /months`: the closed months, newest first.
pub async fn list_months(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<ListOut<ClosingOut>>> {
    let closings = s.app.list_closings(&actor).await?;
    let total = closings.len() as i64;
    Ok(Json(ListOut {
        items: closings.iter().map(ClosingOut::from).collect(),
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

/// `POST /months/{YYYY-MM}/close` (contract manager, admin).
pub async fn close_month(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(month): Path<String>,
) -> ApiResult<Response> {
    let month = month_param(&month)?;
    let closing = s.app.close_month(&actor, month, &|_, _, _| {}).await?;
    Ok((StatusCode::CREATED, Json(ClosingOut::from(&closing))).into_response())
}

// ----- results -----

#[derive(Serialize, ToSchema)]
pub struct BreachOut {
    /// `availability`, `repair_time` or `order_deadline`.
    pub kind: String,
    /// The incident, for a repair-time breach.
    pub incident_id: Option<i64>,
    /// The service order, for an order-deadline breach.
    pub order_id: Option<i64>,
    /// Availability in units of 0.0001 % (`availability`), repair seconds
    /// (`repair_time`) or days late (`order_deadline`).
    pub measured: i64,
    /// Target (0.0001 %), limit (seconds) or the order's deadline (days).
    pub target: i64,
}

impl From<&ClosingBreach> for BreachOut {
    fn from(b: &ClosingBreach) -> Self {
        BreachOut {
            kind: b.kind.clone(),
            incident_id: b.incident_id.map(|i| i.0),
            order_id: b.order_id.map(|o| o.0),
            measured: b.measured,
            target: b.target,
        }
    }
}

/// The numbers of one access in one month.
#[derive(Serialize, ToSchema)]
pub struct LineNumbers {
    pub access_id: i64,
    pub agency_id: i64,
    pub lot_id: i64,
    /// The rules version used (`null`: the defaults).
    pub rules_id: Option<i64>,
    pub monthly_price_centavos: i64,
    pub period_seconds: i64,
    pub billable_seconds: i64,
    pub downtime_seconds: i64,
    /// `"99.8656"`: (billable − downtime) ÷ billable, four decimals.
    pub availability_percent: String,
    pub target_percent: String,
    pub charge_centavos: i64,
    pub credit_centavos: i64,
    pub net_centavos: i64,
    /// Proposed penalty for this access's breaches (capped), input for the
    /// penalty process.
    pub penalty_centavos: i64,
}

impl From<&ClosingLine> for LineNumbers {
    fn from(l: &ClosingLine) -> Self {
        LineNumbers {
            access_id: l.access_id.0,
            agency_id: l.agency_id.0,
            lot_id: l.lot_id.0,
            rules_id: l.rules_id.map(|r| r.0),
            monthly_price_centavos: l.monthly_price.centavos(),
            period_seconds: l.period_seconds,
            billable_seconds: l.billable_seconds,
            downtime_seconds: l.downtime_seconds,
            availability_percent: percent(l.availability_micro),
            target_percent: percent(l.target_micro),
            charge_centavos: l.charge.centavos(),
            credit_centavos: l.credit.centavos(),
            net_centavos: l.net.centavos(),
            penalty_centavos: l.penalty.centavos(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LineOut {
    #[serde(flatten)]
    pub numbers: LineNumbers,
    pub breaches: Vec<BreachOut>,
}

#[derive(Serialize, ToSchema, Default)]
pub struct TotalsOut {
    pub accesses: i64,
    pub charge_centavos: i64,
    pub credit_centavos: i64,
    pub net_centavos: i64,
    pub penalty_centavos: i64,
}

/// Sums over the accesses of one lot or one lot holder.
#[derive(Serialize, ToSchema, Default)]
pub struct AggregateOut {
    pub accesses: i64,
    pub billable_seconds: i64,
    pub downtime_seconds: i64,
    /// Weighted by billable time: Σ(billable − downtime) ÷ Σ billable.
    pub availability_percent: String,
    pub charge_centavos: i64,
    pub credit_centavos: i64,
    pub net_centavos: i64,
    pub penalty_centavos: i64,
    /// IMR breaches (availability, repair time, order deadlines) of these accesses.
    pub breaches: i64,
    pub availability_breaches: i64,
    pub repair_time_breaches: i64,
    pub order_deadline_breaches: i64,
}

impl AggregateOut {
    fn add(&mut self, l: &ClosingLine, breaches: &[&ClosingBreach]) {
        self.accesses += 1;
        self.billable_seconds += l.billable_seconds;
        self.downtime_seconds += l.downtime_seconds;
        self.charge_centavos += l.charge.centavos();
        self.credit_centavos += l.credit.centavos();
        self.net_centavos += l.net.centavos();
        self.penalty_centavos += l.penalty.centavos();
        self.breaches += breaches.len() as i64;
        self.availability_breaches += breaches.iter().filter(|b| b.kind == "availability").count() as i64;
        self.repair_time_breaches += breaches.iter().filter(|b| b.kind == "repair_time").count() as i64;
        self.order_deadline_breaches += breaches.iter().filter(|b| b.kind == "order_deadline").count() as i64;
        self.availability_percent =
            percent(availability_micro(self.billable_seconds - self.downtime_seconds, self.billable_seconds));
    }
}

#[derive(Serialize, ToSchema)]
pub struct LotAggregateOut {
    pub lot_id: i64,
    pub lot_code: String,
    /// The lot's holder: one of `operator_id` and `consortium_id`.
    pub operator_id: Option<i64>,
    pub consortium_id: Option<i64>,
    #[serde(flatten)]
    pub totals: AggregateOut,
}

#[derive(Serialize, ToSchema)]
pub struct HolderAggregateOut {
    /// `operator-<id>` or `consortium-<id>`, as in the billing report's path.
    pub holder: String,
    pub operator_id: Option<i64>,
    pub consortium_id: Option<i64>,
    pub lots: i64,
    #[serde(flatten)]
    pub totals: AggregateOut,
}

#[derive(Serialize, ToSchema)]
pub struct MonthOut {
    /// `YYYY-MM`.
    pub month: String,
    /// Whether the month is closed. Measurements of a closed month are the
    /// stored snapshot; a preview is always computed afresh.
    pub closed: bool,
    pub closed_at: Option<String>,
    pub inputs_fingerprint: String,
    pub rules_version: String,
    /// Sums of `items`.
    pub totals: TotalsOut,
    pub items: Vec<LineOut>,
    /// The IMR aggregated per lot.
    pub lots: Vec<LotAggregateOut>,
    /// The IMR aggregated per lot holder (operator or consortium).
    pub holders: Vec<HolderAggregateOut>,
}

async fn month_out(s: &WebState, actor: &redegov_app::Actor, r: MonthResults) -> ApiResult<MonthOut> {
    let lots: HashMap<LotId, (String, LotHolder)> = s
        .app
        .list_lots(actor, InventoryFilter::default(), Page::all())
        .await?
        .items
        .into_iter()
        .map(|l| (l.id, (l.code, l.holder)))
        .collect();
    // The stored snapshot and a fresh computation may list breaches in a
    // different order; sort them, so both answer the same JSON.
    let mut by_access: HashMap<AccessId, Vec<&ClosingBreach>> = HashMap::new();
    for b in &r.breaches {
        by_access.entry(b.access_id).or_default().push(b);
    }
    for list in by_access.values_mut() {
        list.sort_by(|a, b| (&a.kind, a.incident_id).cmp(&(&b.kind, b.incident_id)));
    }
    let mut lines: Vec<&ClosingLine> = r.lines.iter().collect();
    lines.sort_by_key(|l| l.access_id);
    let mut totals = TotalsOut::default();
    let mut per_lot: BTreeMap<i64, AggregateOut> = BTreeMap::new();
    let mut per_holder: BTreeMap<String, (Option<LotHolder>, std::collections::BTreeSet<i64>, AggregateOut)> =
        BTreeMap::new();
    let mut items = Vec::with_capacity(lines.len());
    for l in lines {
        let breaches = by_access.get(&l.access_id).map(Vec::as_slice).unwrap_or_default();
        totals.accesses += 1;
        totals.charge_centavos += l.charge.centavos();
        totals.credit_centavos += l.credit.centavos();
        totals.net_centavos += l.net.centavos();
        totals.penalty_centavos += l.penalty.centavos();
        per_lot.entry(l.lot_id.0).or_default().add(l, breaches);
        let holder = lots.get(&l.lot_id).map(|(_, h)| *h);
        let key = holder.map_or_else(|| "unknown".to_string(), holder_key);
        let entry =
            per_holder.entry(key).or_insert_with(|| (holder, Default::default(), AggregateOut::default()));
        entry.1.insert(l.lot_id.0);
        entry.2.add(l, breaches);
        items.push(LineOut {
            numbers: LineNumbers::from(l),
            breaches: breaches.iter().map(|b| BreachOut::from(*b)).collect(),
        });
    }
    Ok(MonthOut {
        month: r.month.to_string(),
        closed: r.closing.is_some(),
        closed_at: r.closing.as_ref().map(|c| rfc3339(c.closed_at)),
        inputs_fingerprint: r.inputs_fingerprint,
        rules_version: r.rules_version,
        totals,
        items,
        lots: per_lot
            .into_iter()
            .map(|(id, totals)| {
                let (code, holder) = match lots.get(&LotId(id)) {
                    Some((code, holder)) => (code.clone(), Some(*holder)),
                    None => (String::new(), None),
                };
                let (operator_id, consortium_id) = holder_ids(holder);
                LotAggregateOut { lot_id: id, lot_code: code, operator_id, consortium_id, totals }
            })
            .collect(),
        holders: per_holder
            .into_iter()
            .map(|(key, (holder, lots, totals))| {
                let (operator_id, consortium_id) = holder_ids(holder);
                HolderAggregateOut {
                    holder: key,
                    operator_id,
                    consortium_id,
                    lots: lots.len() as i64,
                    totals,
                }
            })
            .collect(),
    })
}

/// `GET /months/{YYYY-MM}/preview`: computed now, nothing stored.
pub async fn preview(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(month): Path<String>,
    q: Filters,
) -> ApiResult<Json<MonthOut>> {
    let month = month_param(&month)?;
    let results = s.app.preview_month(&actor, month, line_filter(&q)?).await?;
    Ok(Json(month_out(&s, &actor, results).await?))
}

/// `GET /months/{YYYY-MM}/measurements`: the snapshot of a closed month, a
/// preview of an open one.
pub async fn measurements(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(month): Path<String>,
    q: Filters,
) -> ApiResult<Json<MonthOut>> {
    let month = month_param(&month)?;
    let results = s.app.month_results(&actor, month, line_filter(&q)?).await?;
    Ok(Json(month_out(&s, &actor, results).await?))
}

// ----- explanation -----

#[derive(Serialize, ToSchema)]
pub struct TrailEntryOut {
    pub incident_id: i64,
    pub from: String,
    pub to: String,
    pub seconds: i64,
    /// `counted`, `outside_month`, `outside_billable`, `responsibility`,
    /// `clock_stop`, `maintenance`, `other_link_up` or `overlap`.
    pub verdict: String,
    /// The reason in pt-BR.
    pub reason: String,
    /// For `maintenance`: the approved window.
    pub maintenance_id: Option<i64>,
    /// For `overlap`: the incident that already counted this time.
    pub overlap_with: Option<i64>,
    /// For `responsibility`: whose it was.
    pub responsibility: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ExplanationOut {
    pub access_id: i64,
    pub month: String,
    pub closed: bool,
    pub rules_id: Option<i64>,
    pub monthly_price_centavos: i64,
    pub period_seconds: i64,
    /// The billable part of the month (activation to deactivation).
    pub billable_from: Option<String>,
    pub billable_to: Option<String>,
    pub billable_seconds: i64,
    /// The measured downtime (after the contract's granularity).
    pub downtime_seconds: i64,
    /// The exact seconds of the counted intervals.
    pub counted_seconds: i64,
    pub granularity_seconds: i64,
    pub availability_percent: String,
    pub charge_centavos: i64,
    pub credit_centavos: i64,
    pub net_centavos: i64,
    /// Whether the credit was limited to the charge.
    pub credit_capped: bool,
    /// pt-BR arithmetic, e.g. "R$ 1.000,00 × 28.800 s ÷ 2.678.400 s = R$ 10,75".
    pub charge_formula: String,
    pub credit_formula: String,
    /// The stored line when the month is closed.
    pub closed_line: Option<LineNumbers>,
    /// Every interval of every incident that touched the month.
    pub entries: Vec<TrailEntryOut>,
}

impl From<&AccessExplanation> for ExplanationOut {
    fn from(x: &AccessExplanation) -> Self {
        let e = &x.explanation;
        let m = &e.measurement;
        let at = |s: i64| rfc3339(from_epoch(s));
        ExplanationOut {
            access_id: x.access_id.0,
            month: x.month.to_string(),
            closed: x.closed_line.is_some(),
            rules_id: x.rules_id.map(|r| r.0),
            monthly_price_centavos: e.price.centavos(),
            period_seconds: m.period_seconds,
            billable_from: e.billable.map(|b| at(b.start)),
            billable_to: e.billable.map(|b| at(b.end)),
            billable_seconds: m.billable_seconds,
            downtime_seconds: m.downtime_seconds,
            counted_seconds: e.counted_seconds,
            granularity_seconds: x.granularity_seconds,
            availability_percent: m.availability_percent(),
            charge_centavos: m.charge.centavos(),
            credit_centavos: m.credit.centavos(),
            net_centavos: m.net.centavos(),
            credit_capped: e.credit_capped(),
            charge_formula: e.charge_formula(),
            credit_formula: e.credit_formula(),
            closed_line: x.closed_line.as_ref().map(LineNumbers::from),
            entries: e
                .entries
                .iter()
                .map(|t| TrailEntryOut {
                    incident_id: t.incident_id,
                    from: at(t.span.start),
                    to: at(t.span.end),
                    seconds: t.span.seconds(),
                    verdict: t.verdict.code().into(),
                    reason: t.verdict.pt_br(),
                    maintenance_id: match t.verdict {
                        Verdict::Maintenance(id) => Some(id),
                        _ => None,
                    },
                    overlap_with: match t.verdict {
                        Verdict::Overlap(id) => Some(id),
                        _ => None,
                    },
                    responsibility: match t.verdict {
                        Verdict::NotOperator(r) => Some(r.as_str().into()),
                        _ => None,
                    },
                })
                .collect(),
        }
    }
}

/// `GET /months/{YYYY-MM}/accesses/{access_id}/explanation`.
pub async fn explanation(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path((month, access)): Path<(String, String)>,
) -> ApiResult<Json<ExplanationOut>> {
    let month = month_param(&month)?;
    let access = AccessId(parse_id(&access)?);
    Ok(Json(ExplanationOut::from(&s.app.explain_access_month(&actor, access, month).await?)))
}

// ----- billing reports -----

#[derive(Serialize, ToSchema)]
pub struct BillingIndexOut {
    pub agency_id: i64,
    pub agency_name: String,
    /// `operator-<id>` or `consortium-<id>`.
    pub holder: String,
    pub operator_id: Option<i64>,
    pub consortium_id: Option<i64>,
    pub holder_name: String,
    pub accesses: i64,
    /// Lines only (adjustments are in the report).
    pub charge_centavos: i64,
    pub credit_centavos: i64,
    pub net_centavos: i64,
    /// The report's path (add `?format=pdf`, `csv` or `xlsx` for a file).
    pub report: String,
}

fn index_out(month: Month, r: &BillingIndexRow) -> BillingIndexOut {
    let (operator_id, consortium_id) = holder_ids(Some(r.holder));
    let holder = holder_key(r.holder);
    BillingIndexOut {
        agency_id: r.agency_id.0,
        agency_name: r.agency_name.clone(),
        report: format!("/api/v1/months/{month}/billing-reports/{}/{holder}", r.agency_id.0),
        holder,
        operator_id,
        consortium_id,
        holder_name: r.holder_name.clone(),
        accesses: r.accesses,
        charge_centavos: r.charge.centavos(),
        credit_centavos: r.credit.centavos(),
        net_centavos: r.net.centavos(),
    }
}

/// `GET /months/{YYYY-MM}/billing-reports`: one per agency × holder.
pub async fn billing_index(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(month): Path<String>,
) -> ApiResult<Json<ListOut<BillingIndexOut>>> {
    let month = month_param(&month)?;
    let rows = s.app.billing_index(&actor, month).await?;
    let total = rows.len() as i64;
    Ok(Json(ListOut {
        items: rows.iter().map(|r| index_out(month, r)).collect(),
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PartyOut {
    pub id: i64,
    pub name: String,
    /// Formatted; empty for a consortium.
    pub cnpj: String,
}

impl From<&Party> for PartyOut {
    fn from(p: &Party) -> Self {
        PartyOut { id: p.id, name: p.name.clone(), cnpj: p.cnpj.clone() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BillingLineOut {
    pub access_id: i64,
    pub designation: String,
    pub site: String,
    pub municipality: String,
    pub lot: String,
    pub service: String,
    pub billable_seconds: i64,
    pub downtime_seconds: i64,
    pub availability_percent: String,
    pub charge_centavos: i64,
    pub credit_centavos: i64,
    pub net_centavos: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AdjustmentLineOut {
    pub id: i64,
    pub access_id: i64,
    pub designation: String,
    pub refers_to: String,
    pub reason: String,
    pub credit_centavos: i64,
}

/// A deduction applied in the month: a fine installment's part or an
/// upheld dispute's credit.
#[derive(Serialize, ToSchema)]
pub struct DeductionLineOut {
    /// `penalty` or `dispute`.
    pub kind: &'static str,
    /// The installment's or the dispute's id.
    pub source_id: i64,
    pub description: String,
    pub amount_centavos: i64,
    /// For a consortium, each member's part as split when it was made.
    pub parts: Vec<DeductionPartOut>,
}

#[derive(Serialize, ToSchema)]
pub struct DeductionPartOut {
    pub operator_id: i64,
    pub amount_centavos: i64,
}

#[derive(Serialize, ToSchema)]
pub struct BillingTotalsOut {
    pub charge_centavos: i64,
    /// Credits of the lines.
    pub credit_centavos: i64,
    /// Credits of the adjustment lines.
    pub adjustments_centavos: i64,
    /// Fine installments and upheld disputes.
    pub deductions_centavos: i64,
    /// charge − credit − adjustments − deductions.
    pub net_centavos: i64,
}

#[derive(Serialize, ToSchema)]
pub struct MemberPartOut {
    pub member: PartyOut,
    pub share_basis_points: i64,
    pub charge_centavos: i64,
    /// Its part of the credits, adjustments included.
    pub credit_centavos: i64,
    /// Its parts of the deduction lines.
    pub deductions_centavos: i64,
    pub net_centavos: i64,
}

/// The Relatório Consolidado do Faturamento of one agency with one lot
/// holder in one month. Totals are sums of the lines; consortium parts are
/// split by share to the centavo and sum to the totals.
#[derive(Serialize, ToSchema)]
pub struct BillingReportOut {
    pub month: String,
    pub closed: bool,
    pub agency: PartyOut,
    pub holder: PartyOut,
    /// `operator-<id>` or `consortium-<id>`.
    pub holder_key: String,
    pub contract: String,
    pub lines: Vec<BillingLineOut>,
    pub adjustments: Vec<AdjustmentLineOut>,
    pub deductions: Vec<DeductionLineOut>,
    pub totals: BillingTotalsOut,
    /// Empty unless the holder is a consortium.
    pub parts: Vec<MemberPartOut>,
}

fn report_out(r: &BillingReport, holder: LotHolder) -> BillingReportOut {
    let c = |m: Money| m.centavos();
    BillingReportOut {
        month: r.month.clone(),
        closed: r.closed,
        agency: PartyOut::from(&r.agency),
        holder: PartyOut::from(&r.holder),
        holder_key: holder_key(holder),
        contract: r.contract.clone(),
        lines: r
            .lines
            .iter()
            .map(|l| BillingLineOut {
                access_id: l.access_id,
                designation: l.designation.clone(),
                site: l.site.clone(),
                municipality: l.municipality.clone(),
                lot: l.lot.clone(),
                service: l.service.clone(),
                billable_seconds: l.billable_seconds,
                downtime_seconds: l.downtime_seconds,
                availability_percent: l.availability_percent.clone(),
                charge_centavos: c(l.charge),
                credit_centavos: c(l.credit),
                net_centavos: c(l.net),
            })
            .collect(),
        adjustments: r
            .adjustments
            .iter()
            .map(|a| AdjustmentLineOut {
                id: a.id,
                access_id: a.access_id,
                designation: a.designation.clone(),
                refers_to: a.refers_to.clone(),
                reason: a.reason.clone(),
                credit_centavos: c(a.credit),
            })
            .collect(),
        deductions: r
            .deductions
            .iter()
            .map(|d| DeductionLineOut {
                kind: d.kind.code(),
                source_id: d.source_id,
                description: d.description.clone(),
                amount_centavos: c(d.amount),
                parts: d
                    .parts
                    .iter()
                    .map(|&(operator_id, amount)| DeductionPartOut {
                        operator_id,
                        amount_centavos: c(amount),
                    })
                    .collect(),
            })
            .collect(),
        totals: BillingTotalsOut {
            charge_centavos: c(r.totals.charge),
            credit_centavos: c(r.totals.credit),
            adjustments_centavos: c(r.totals.adjustments),
            deductions_centavos: c(r.totals.deductions),
            net_centavos: c(r.totals.net),
        },
        parts: r
            .parts
            .iter()
            .map(|p| MemberPartOut {
                member: PartyOut::from(&p.member),
                share_basis_points: p.share_basis_points,
                charge_centavos: c(p.charge),
                credit_centavos: c(p.credit),
                deductions_centavos: c(p.deductions),
                net_centavos: c(p.net),
            })
            .collect(),
    }
}

/// `GET /months/{YYYY-MM}/billing-reports/{agency_id}/{holder}?format=`
/// `json` (default), `csv`, `xlsx` or `pdf`.
pub async fn billing_report(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path((month, agency, holder)): Path<(String, String, String)>,
    q: Filters,
) -> ApiResult<Response> {
    let month = month_param(&month)?;
    let agency = AgencyId(parse_id(&agency)?);
    let holder = parse_holder(&holder)?;
    let format = match q.text("format") {
        None | Some("json") => None,
        Some(f) => Some(BillingFormat::parse(f).ok_or_else(|| ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..ApiError::invalid(FieldError::new("format", Rule::OneOf(&["json", "csv", "xlsx", "pdf"])))
        })?),
    };
    let report = s.app.billing_report(&actor, month, agency, holder).await?;
    match format {
        None => Ok(Json(report_out(&report, holder)).into_response()),
        // Typesetting a PDF of thousands of lines is CPU work: keep it off
        // the threads that serve other requests.
        Some(f) => {
            let now = s.app.now();
            tokio::task::spawn_blocking(move || billing_download(&report, f, now))
                .await
                .map_err(|e| redegov_app::AppError::Internal(format!("rendering the report: {e}")).into())
        }
    }
}

// ----- adjustments -----

/// A correction of a closed month, applied in the first open month.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentIn {
    /// The closed month corrected, `YYYY-MM`.
    pub refers_to: Option<String>,
    pub access_id: Option<i64>,
    /// Additional credit (discount) to the state; negative gives credit back.
    pub credit_centavos: Option<i64>,
    pub reason: Option<String>,
}

impl AdjustmentIn {
    pub fn into_input(self) -> Valid<AdjustmentInput> {
        Ok(AdjustmentInput {
            refers_to: parse_month("refers_to", need("refers_to", self.refers_to.as_deref())?)?,
            access_id: AccessId(need("access_id", self.access_id)?),
            credit: Money::from_centavos(need("credit_centavos", self.credit_centavos)?),
            reason: self.reason.unwrap_or_default(),
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdjustmentOut {
    pub id: i64,
    /// The month it is applied in.
    pub month: String,
    /// The closed month it corrects.
    pub refers_to: String,
    pub access_id: i64,
    pub credit_centavos: i64,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: String,
}

impl From<&Adjustment> for AdjustmentOut {
    fn from(a: &Adjustment) -> Self {
        AdjustmentOut {
            id: a.id.0,
            month: a.month.clone(),
            refers_to: a.refers_to.clone(),
            access_id: a.access_id.0,
            credit_centavos: a.credit.centavos(),
            reason: a.reason.clone(),
            created_by: a.created_by.map(|u| u.0),
            created_at: rfc3339(a.created_at),
        }
    }
}

/// `POST /adjustments` (contract manager, admin).
pub async fn create_adjustment(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<AdjustmentIn>,
) -> ApiResult<Response> {
    let adj = s.app.create_adjustment(&actor, body.into_input()?).await?;
    Ok((StatusCode::CREATED, Json(AdjustmentOut::from(&adj))).into_response())
}

/// `GET /months/{YYYY-MM}/adjustments`: applied in that month; filters
/// `agency_id`, `lot_id`, `access_id`, `operator_id`.
pub async fn list_adjustments(
    State(s): State<WebState>,
    ApiActor(actor): ApiActor,
    Path(month): Path<String>,
    q: Filters,
) -> ApiResult<Json<ListOut<AdjustmentOut>>> {
    let month = month_param(&month)?;
    let list = s.app.list_adjustments(&actor, month, line_filter(&q)?).await?;
    let total = list.len() as i64;
    Ok(Json(ListOut {
        items: list.iter().map(AdjustmentOut::from).collect(),
        total,
        page: 1,
        page_size: total.max(1),
    }))
}
