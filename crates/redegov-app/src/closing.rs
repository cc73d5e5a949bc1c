//! The monthly closing (DOMAIN §6): loading a month's inputs, measuring
//! every access with the domain's engine under its lot's contract rules,
//! evaluating the IMR, and either showing the result (preview) or storing it
//! as an immutable snapshot with the fingerprint of its inputs. Also the
//! explanation of one access-month, the billing report per agency × holder,
//! adjustment lines, and the contract rules themselves.

use crate::audit::{Action, record};
use crate::authz::{Resource, require_write};
use crate::inventory::{ensure_sees, reference};
use crate::{App, AppError, AppResult};
use chrono::NaiveDate;
use redegov_domain::billing::{AdjustmentLine, BillingLine, BillingReport, DeductionLine, Party};
use redegov_domain::error::{FieldError, Rule, required};
use redegov_domain::explain::{Explanation, OtherIncident, explain_with};
use redegov_domain::ids::*;
use redegov_domain::imr::{Breach, ImrRules};
use redegov_domain::incident::{MaintenanceWindow, WindowTarget};
use redegov_domain::inventory::{LotHolder, Redundancy};
use redegov_domain::measure::{AccessMonth, Month, Outage, Span, Window, measure_with, month_bounds};
use redegov_domain::money::Money;
use redegov_domain::role::Actor;
use redegov_domain::time::Timestamp;
use redegov_store::Tx;
use redegov_store::closing::{
    Adjustment, ClosingBreach, ClosingLine, ClosingRecord, LineFilter, MeasuredAccess, NewAdjustment,
};
use redegov_store::deductions::{DeductionFilter, NewDeduction};
use redegov_store::incidents::{MeasuredIncident, RulesRecord};
use redegov_store::inventory::{InventoryFilter, OperatorScoped};
use redegov_store::orders::LateOrder;
use sha2::{Digest, Sha256};
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

/// Progress of a long closing: (stage in pt-BR, done, total).
pub type ClosingProgress<'a> = &'a (dyn Fn(&str, usize, usize) + Sync);

/// The results of a month: stored if the month is closed, computed otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthResults {
    pub month: Month,
    /// The closing, when the month is closed (the lines are then the
    /// stored snapshot).
    pub closing: Option<ClosingRecord>,
    pub inputs_fingerprint: String,
    pub rules_version: String,
    pub lines: Vec<ClosingLine>,
    pub breaches: Vec<ClosingBreach>,
}

/// The explanation of one access-month, with the line it explains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessExplanation {
    pub month: Month,
    pub access_id: AccessId,
    pub explanation: Explanation,
    pub rules_id: Option<RulesId>,
    pub granularity_seconds: i64,
    /// The stored line when the month is closed.
    pub closed_line: Option<ClosingLine>,
}

/// An adjustment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustmentInput {
    /// The closed month it corrects.
    pub refers_to: Month,
    pub access_id: AccessId,
    /// Additional credit to the state (negative gives credit back).
    pub credit: Money,
    pub reason: String,
}

/// Parses `YYYY-MM`, naming the field.
pub fn parse_month(field: &str, text: &str) -> Result<Month, FieldError> {
    Month::parse(text).ok_or_else(|| FieldError::new(field, Rule::Malformed("YYYY-MM")))
}

/// The rules of `lot` in force on `day`: its latest version effective on or
/// before that day, or the defaults.
pub(crate) fn rules_at(
    records: &[RulesRecord],
    lot: LotId,
    day: NaiveDate,
) -> AppResult<(Option<RulesId>, ImrRules)> {
    match records
        .iter()
        .filter(|r| r.lot_id == lot && r.effective_from <= day)
        .max_by_key(|r| r.effective_from)
    {
        Some(r) => {
            let rules = serde_json::from_str(&r.rules)
                .map_err(|e| AppError::Internal(format!("rules #{}: {e}", r.id)))?;
            Ok((Some(r.id), rules))
        }
        None => Ok((None, ImrRules::default())),
    }
}

/// Fails with [`Rule::MonthClosed`] (on `field`) when `span` touches a
/// closed month.
pub(crate) async fn ensure_months_open(tx: &mut Tx, span: Span, field: &str) -> AppResult<()> {
    for closing in tx.list_closings().await? {
        let Some(month) = Month::parse(&closing.month) else { continue };
        let bounds = month_bounds(month);
        if span.start < bounds.end && bounds.start < span.end {
            return Err(FieldError::new(field, Rule::MonthClosed { month: closing.month }).into());
        }
    }
    Ok(())
}

/// The stages a closing reports through its [`ClosingProgress`], in order.
pub mod stage {
    pub const ACCESSES: &str = "Lendo os acessos faturáveis";
    pub const INCIDENTS: &str = "Lendo os chamados";
    pub const WINDOWS_AND_RULES: &str = "Lendo janelas de manutenção e regras";
    pub const MEASURE: &str = "Medindo acessos";
    pub const FINGERPRINT: &str = "Calculando a impressão digital das entradas";
    pub const WRITE: &str = "Gravando o fechamento";
    pub const COMMIT: &str = "Registrando na auditoria e confirmando";
}

/// A month's inputs, as loaded.
struct Inputs {
    month: Month,
    span: Span,
    /// Where an incident still open stops counting: the month's end once
    /// the month has ended, "now" while it is running (a preview must not
    /// count downtime that has not happened yet).
    open_until: i64,
    accesses: Vec<MeasuredAccess>,
    incidents: Vec<MeasuredIncident>,
    windows: Vec<MaintenanceWindow>,
    rules: Vec<RulesRecord>,
    /// Service orders completed in the month after their deadline, by access.
    late_orders: Vec<LateOrder>,
}

async fn load_inputs(
    tx: &mut Tx,
    month: Month,
    now: Timestamp,
    progress: ClosingProgress<'_>,
) -> AppResult<Inputs> {
    let span = month_bounds(month);
    progress(stage::ACCESSES, 0, 1);
    let accesses = tx.accesses_billable_in(span).await?;
    progress(stage::INCIDENTS, 0, 1);
    let incidents = tx.incidents_overlapping(span).await?;
    progress(stage::WINDOWS_AND_RULES, 0, 1);
    let windows = tx.approved_windows_overlapping(span).await?;
    let rules = tx.all_rules(None).await?;
    let late_orders = tx.late_orders_completed(span.start, span.end).await?;
    Ok(Inputs {
        month,
        span,
        open_until: now.timestamp().min(span.end),
        accesses,
        incidents,
        windows,
        rules,
        late_orders,
    })
}

/// The measurement input of one access, its other incidents, and its rules.
struct Prepared<'a> {
    access_month: AccessMonth,
    others: Vec<OtherIncident>,
    rules_id: Option<RulesId>,
    rules: &'a ImrRules,
}

/// Indexes for preparing accesses one by one.
struct Index<'a> {
    inputs: &'a Inputs,
    /// Each access's incidents: a run of `inputs.incidents`, which the store
    /// returns ordered by access.
    incidents: HashMap<AccessId, &'a [MeasuredIncident]>,
    access_windows: HashMap<AccessId, Vec<Window>>,
    lot_windows: HashMap<LotId, Vec<Window>>,
    rules: HashMap<LotId, (Option<RulesId>, ImrRules)>,
    default_rules: ImrRules,
}

impl<'a> Index<'a> {
    fn new(inputs: &'a Inputs) -> AppResult<Index<'a>> {
        let mut incidents: HashMap<AccessId, &[MeasuredIncident]> = HashMap::new();
        for run in inputs.incidents.chunk_by(|a, b| a.access_id == b.access_id) {
            incidents.insert(run[0].access_id, run);
        }
        let (mut access_windows, mut lot_windows): (HashMap<_, Vec<_>>, HashMap<_, Vec<_>>) =
            Default::default();
        for w in &inputs.windows {
            let window =
                Window { id: w.id.0, span: Span::new(w.starts_at.timestamp(), w.ends_at.timestamp()) };
            match w.target {
                WindowTarget::Access(a) => access_windows.entry(a).or_default().push(window),
                WindowTarget::Lot(l) => lot_windows.entry(l).or_default().push(window),
            }
        }
        let first_day = NaiveDate::from_ymd_opt(inputs.month.year, inputs.month.month, 1).unwrap_or_default();
        let mut rules = HashMap::new();
        for lot in inputs.accesses.iter().map(|a| a.access.lot_id).collect::<BTreeSet<_>>() {
            rules.insert(lot, rules_at(&inputs.rules, lot, first_day)?);
        }
        Ok(Index {
            inputs,
            incidents,
            access_windows,
            lot_windows,
            rules,
            default_rules: ImrRules::default(),
        })
    }

    fn incidents_of(&self, access: AccessId) -> &'a [MeasuredIncident] {
        self.incidents.get(&access).copied().unwrap_or_default()
    }

    /// The late orders of an access (the store returns them by access; few
    /// per month, so a scan of the run is enough).
    fn late_orders_of(&self, access: AccessId) -> impl Iterator<Item = &'a LateOrder> {
        let all = &self.inputs.late_orders;
        let start = all.partition_point(|o| o.access_id < access);
        all[start..].iter().take_while(move |o| o.access_id == access)
    }

    fn prepare(&self, m: &MeasuredAccess) -> Prepared<'_> {
        let a = &m.access;
        let mut outages = Vec::new();
        let mut others = Vec::new();
        for i in self.incidents_of(a.id) {
            // An open incident counts up to the month's end, or up to now
            // in a month still running.
            let end = i.ended_at.unwrap_or(self.inputs.open_until.max(i.started_at));
            let span = Span::new(i.started_at, end);
            if i.responsibility.counts_as_downtime() {
                let link = i.probe_target.and_then(|t| a.probe_targets.iter().position(|x| *x == t));
                outages.push(Outage { id: i.id.0, link, span, clock_stops: i.clock_stops.clone() });
            } else {
                others.push(OtherIncident { id: i.id.0, span, responsibility: i.responsibility });
            }
        }
        let mut maintenance: Vec<Window> = self.access_windows.get(&a.id).cloned().unwrap_or_default();
        maintenance.extend(self.lot_windows.get(&a.lot_id).into_iter().flatten().copied());
        let links = if a.redundancy == Redundancy::None { 1 } else { a.probe_targets.len().max(1) };
        let (rules_id, rules) = match self.rules.get(&a.lot_id) {
            Some((id, rules)) => (*id, rules),
            None => (None, &self.default_rules),
        };
        Prepared {
            access_month: AccessMonth {
                monthly_price: a.monthly_price,
                activated_at: a.activated_at.map(|t| t.timestamp()),
                deactivated_at: a.deactivated_at.map(|t| t.timestamp()),
                links,
                outages,
                maintenance,
            },
            others,
            rules_id,
            rules,
        }
    }
}

/// Measures every access of the month and evaluates the IMR. Breaches come
/// out in [`ClosingBreach::order_key`] order, like a stored closing's.
fn compute(
    inputs: &Inputs,
    progress: ClosingProgress<'_>,
) -> AppResult<(Vec<ClosingLine>, Vec<ClosingBreach>)> {
    let total = inputs.accesses.len();
    progress(stage::MEASURE, 0, total);
    let index = Index::new(inputs)?;
    let mut lines = Vec::with_capacity(total);
    let mut breaches = Vec::new();
    for (n, m) in inputs.accesses.iter().enumerate() {
        let p = index.prepare(m);
        let a = &m.access;
        let r = measure_with(inputs.span, &p.access_month, p.rules.granularity_seconds);
        let mut found: Vec<Breach> = Vec::new();
        let first_breach = breaches.len();
        let target = p.rules.availability_target(a.profile, a.technology);
        if let Some(b) =
            p.rules.availability_breach(r.availability_micro, r.billable_seconds, a.profile, a.technology)
        {
            breaches.push(ClosingBreach {
                access_id: a.id,
                incident_id: None,
                order_id: None,
                kind: "availability".into(),
                measured: r.availability_micro,
                target,
            });
            found.push(b);
        }
        // Repair time: operator incidents resolved in this month.
        for i in index.incidents_of(a.id) {
            let Some(end) = i.ended_at else { continue };
            if !i.responsibility.counts_as_downtime() || end < inputs.span.start || end >= inputs.span.end {
                continue;
            }
            let timing = redegov_domain::incident::IncidentTiming {
                started_at: i.started_at,
                ended_at: Some(end),
                clock_stops: i.clock_stops.clone(),
                link: None,
            };
            let seconds = redegov_domain::incident::repair_seconds(&timing, end);
            if let Some(b) = p.rules.repair_breach(seconds, m.area, a.technology) {
                breaches.push(ClosingBreach {
                    access_id: a.id,
                    incident_id: Some(i.id),
                    order_id: None,
                    kind: "repair_time".into(),
                    measured: seconds,
                    target: p.rules.repair_limit(m.area, a.technology),
                });
                found.push(b);
            }
        }
        // Order deadlines: orders on this access completed late in the month.
        for o in index.late_orders_of(a.id) {
            breaches.push(ClosingBreach {
                access_id: a.id,
                incident_id: None,
                order_id: Some(o.order_id),
                kind: "order_deadline".into(),
                measured: i64::from(o.late_days),
                target: i64::from(o.deadline_days),
            });
            found.push(Breach::OrderDeadline { late_days: i64::from(o.late_days) });
        }
        breaches[first_breach..].sort_by(|x, y| x.order_key().cmp(&y.order_key()));
        lines.push(ClosingLine {
            access_id: a.id,
            agency_id: m.agency_id,
            lot_id: a.lot_id,
            rules_id: p.rules_id,
            monthly_price: a.monthly_price,
            period_seconds: r.period_seconds,
            billable_seconds: r.billable_seconds,
            downtime_seconds: r.downtime_seconds,
            availability_micro: r.availability_micro,
            target_micro: target,
            charge: r.charge,
            credit: r.credit,
            net: r.net,
            penalty: p.rules.proposed_penalty(&found, r.charge),
        });
        if (n + 1) % 1000 == 0 || n + 1 == total {
            progress(stage::MEASURE, n + 1, total);
        }
    }
    Ok((lines, breaches))
}

/// SHA-256 over a canonical text of every input, so a closing can be
/// recomputed and compared, and a preview tells whether anything moved.
/// The text is written line by line into one reused buffer; its format is
/// part of every stored closing, so it must not change.
fn fingerprint(inputs: &Inputs) -> String {
    // `write!` into a String cannot fail: its results are ignored.
    use std::fmt::Write;
    let mut h = Sha256::new();
    let mut buf = String::with_capacity(256);
    let mut line = |buf: &mut String| {
        buf.push('\n');
        h.update(buf.as_bytes());
        buf.clear();
    };
    let _ = write!(buf, "month {}", inputs.month);
    line(&mut buf);
    if inputs.open_until < inputs.span.end {
        // A month still running: open incidents count up to this instant.
        let _ = write!(buf, "until {}", inputs.open_until);
        line(&mut buf);
    }
    fn instant(buf: &mut String, t: Option<i64>) {
        match t {
            Some(t) => {
                let _ = write!(buf, " {t}");
            }
            None => buf.push_str(" -"),
        }
    }
    for m in &inputs.accesses {
        let a = &m.access;
        let _ = write!(buf, "a {} {} {} {}", a.id, a.lot_id, m.agency_id, a.monthly_price.centavos());
        instant(&mut buf, a.activated_at.map(|t| t.timestamp()));
        instant(&mut buf, a.deactivated_at.map(|t| t.timestamp()));
        let _ = write!(buf, " {} {} {} ", a.profile.as_str(), a.technology.as_str(), m.area.as_str());
        for (k, t) in a.probe_targets.iter().enumerate() {
            let _ = write!(buf, "{}{t}", if k == 0 { "" } else { "," });
        }
        line(&mut buf);
    }
    for i in &inputs.incidents {
        let _ = write!(buf, "i {} {} ", i.id, i.access_id);
        match i.probe_target {
            Some(p) => {
                let _ = write!(buf, "{p}");
            }
            None => buf.push('-'),
        }
        let _ = write!(buf, " {}", i.started_at);
        instant(&mut buf, i.ended_at);
        let _ = write!(buf, " {} ", i.responsibility.as_str());
        for (k, s) in i.clock_stops.iter().enumerate() {
            let _ = write!(buf, "{}{}-{}", if k == 0 { "" } else { "," }, s.start, s.end);
        }
        line(&mut buf);
    }
    for w in &inputs.windows {
        let _ = match w.target {
            WindowTarget::Access(a) => write!(buf, "w {} a{a}", w.id),
            WindowTarget::Lot(l) => write!(buf, "w {} l{l}", w.id),
        };
        let _ = write!(buf, " {} {}", w.starts_at.timestamp(), w.ends_at.timestamp());
        line(&mut buf);
    }
    for r in &inputs.rules {
        let _ = write!(buf, "r {} {} {} {}", r.id, r.lot_id, r.effective_from, r.rules);
        line(&mut buf);
    }
    // Months without late orders keep the fingerprint they always had.
    for o in &inputs.late_orders {
        let _ = write!(buf, "o {} {} {} {}", o.order_id, o.access_id, o.late_days, o.deadline_days);
        line(&mut buf);
    }
    hex::encode(h.finalize())
}

/// Which rules versions a month used: `default` and/or `#id` of each version.
fn rules_version(lines: &[ClosingLine]) -> String {
    let used: BTreeSet<String> =
        lines.iter().map(|l| l.rules_id.map_or("default".to_string(), |r| format!("#{r}"))).collect();
    if used.is_empty() { "default".into() } else { used.into_iter().collect::<Vec<_>>().join(",") }
}

fn sum(lines: &[ClosingLine], f: fn(&ClosingLine) -> Money) -> Money {
    lines.iter().map(f).sum()
}

/// Narrows a line filter to the actor's scope.
fn scoped_lines(actor: &Actor, f: LineFilter) -> LineFilter {
    let inv = crate::authz::scoped(
        actor,
        InventoryFilter {
            agency_id: f.agency_id,
            operator_id: f.operator_id,
            lot_id: f.lot_id,
            ..Default::default()
        },
    );
    LineFilter { agency_id: inv.agency_id, operator_id: inv.operator_id, ..f }
}

/// The lots an operator holds, alone or in a consortium.
async fn operator_lots(tx: &mut Tx, operator: OperatorId) -> AppResult<BTreeSet<LotId>> {
    let f = InventoryFilter { operator_id: Some(operator), ..Default::default() };
    Ok(tx.list_lots(&f, redegov_store::Page::all()).await?.items.into_iter().map(|l| l.id).collect())
}

/// Keeps the lines and breaches a filter selects.
async fn filter_results(
    tx: &mut Tx,
    f: &LineFilter,
    lines: Vec<ClosingLine>,
    breaches: Vec<ClosingBreach>,
) -> AppResult<(Vec<ClosingLine>, Vec<ClosingBreach>)> {
    let lots = match f.operator_id {
        Some(op) => Some(operator_lots(tx, op).await?),
        None => None,
    };
    let keep = |l: &ClosingLine| {
        f.access_id.is_none_or(|a| a == l.access_id)
            && f.agency_id.is_none_or(|a| a == l.agency_id)
            && f.lot_id.is_none_or(|x| x == l.lot_id)
            && lots.as_ref().is_none_or(|set| set.contains(&l.lot_id))
    };
    let lines: Vec<ClosingLine> = lines.into_iter().filter(keep).collect();
    let kept: BTreeSet<AccessId> = lines.iter().map(|l| l.access_id).collect();
    let breaches = breaches.into_iter().filter(|b| kept.contains(&b.access_id)).collect();
    Ok((lines, breaches))
}

impl App {
    /// Computes a month without storing anything (even a closed month: the
    /// fingerprint then tells whether its inputs still match the snapshot).
    pub async fn preview_month(&self, actor: &Actor, month: Month, f: LineFilter) -> AppResult<MonthResults> {
        let f = scoped_lines(actor, f);
        let now = self.now();
        let mut tx = self.store().read().await?;
        let closing = tx.closing(&month.to_string()).await?;
        let inputs = load_inputs(&mut tx, month, now, &|_, _, _| {}).await?;
        let (lines, breaches) = compute(&inputs, &|_, _, _| {})?;
        let version = rules_version(&lines);
        let (lines, breaches) = filter_results(&mut tx, &f, lines, breaches).await?;
        Ok(MonthResults {
            month,
            closing,
            inputs_fingerprint: fingerprint(&inputs),
            rules_version: version,
            lines,
            breaches,
        })
    }

    /// The month's results: the stored snapshot of a closed month, a
    /// preview of an open one.
    pub async fn month_results(&self, actor: &Actor, month: Month, f: LineFilter) -> AppResult<MonthResults> {
        let scoped = scoped_lines(actor, f);
        let mut tx = self.store().read().await?;
        match tx.closing(&month.to_string()).await? {
            Some(closing) => {
                let lines = tx.closing_lines(closing.id, &scoped).await?;
                let breaches = tx.closing_breaches(closing.id, &scoped).await?;
                Ok(MonthResults {
                    month,
                    inputs_fingerprint: closing.inputs_fingerprint.clone(),
                    rules_version: closing.rules_version.clone(),
                    closing: Some(closing),
                    lines,
                    breaches,
                })
            }
            None => {
                drop(tx);
                self.preview_month(actor, month, f).await
            }
        }
    }

    /// Closes a month: measures it and stores the snapshot, in one
    /// transaction. A month closes once, after it has ended. `progress`
    /// hears of each [`stage`] as it starts (and of the measurement's
    /// advance).
    pub async fn close_month(
        &self,
        actor: &Actor,
        month: Month,
        progress: ClosingProgress<'_>,
    ) -> AppResult<ClosingRecord> {
        require_write(actor, Resource::Closing)?;
        let now = self.now();
        let label = month.to_string();
        if month_bounds(month).end > now.timestamp() {
            return Err(FieldError::new("month", Rule::MonthNotEnded { month: label }).into());
        }
        let mut tx = self.store().write().await?;
        if tx.closing(&label).await?.is_some() {
            return Err(FieldError::new("month", Rule::MonthClosed { month: label }).into());
        }
        let inputs = load_inputs(&mut tx, month, now, progress).await?;
        let (lines, breaches) = compute(&inputs, progress)?;
        progress(stage::FINGERPRINT, 0, 1);
        let mut closing = ClosingRecord {
            id: 0,
            month: label.clone(),
            closed_at: now,
            closed_by: Some(actor.user_id),
            inputs_fingerprint: fingerprint(&inputs),
            rules_version: rules_version(&lines),
            accesses: lines.len() as i64,
            charge: sum(&lines, |l| l.charge),
            credit: sum(&lines, |l| l.credit),
            net: sum(&lines, |l| l.net),
        };
        // The inputs (a million incidents) are not needed for writing.
        drop(inputs);
        progress(stage::WRITE, 0, 1);
        closing.id = tx.insert_closing(&closing, &lines, &breaches).await.map_err(|e| match e {
            redegov_store::StoreError::Conflict(_) => {
                AppError::from(FieldError::new("month", Rule::MonthClosed { month: label.clone() }))
            }
            other => other.into(),
        })?;
        // The fine installments due this month become deduction lines of
        // its billing reports, in the same transaction as the snapshot.
        crate::penalties::apply_installments(self, &mut tx, actor, month, &lines, now).await?;
        progress(stage::COMMIT, 0, 1);
        record(
            &mut tx,
            actor,
            now,
            Action::Create,
            "month_closing",
            Some(closing.id),
            None::<&()>,
            Some(&ClosingAudit::of(&closing)),
        )
        .await?;
        tx.commit().await?;
        progress(stage::COMMIT, 1, 1);
        Ok(closing)
    }

    /// Every closed month, newest first. A scoped actor (agency, operator)
    /// sees the totals of its own lines only.
    pub async fn list_closings(&self, actor: &Actor) -> AppResult<Vec<ClosingRecord>> {
        let mut tx = self.store().read().await?;
        let mut closings = tx.list_closings().await?;
        let f = scoped_lines(actor, LineFilter::default());
        if f != LineFilter::default() {
            for c in &mut closings {
                let lines = tx.closing_lines(c.id, &f).await?;
                c.accesses = lines.len() as i64;
                c.charge = sum(&lines, |l| l.charge);
                c.credit = sum(&lines, |l| l.credit);
                c.net = sum(&lines, |l| l.net);
            }
        }
        Ok(closings)
    }

    /// The billing reports a month has in the actor's scope: one row per
    /// agency × lot holder, with its totals (lines only, before adjustments).
    pub async fn billing_index(&self, actor: &Actor, month: Month) -> AppResult<Vec<BillingIndexRow>> {
        let results = self.month_results(actor, month, LineFilter::default()).await?;
        self.billing_index_of(&results).await
    }

    /// [`App::billing_index`] of results already loaded (and scoped) by
    /// [`App::month_results`] with no filter, so that a page showing both
    /// computes an open month once.
    pub async fn billing_index_of(&self, results: &MonthResults) -> AppResult<Vec<BillingIndexRow>> {
        let mut tx = self.store().read().await?;
        let lots: HashMap<LotId, LotHolder> = tx
            .list_lots(&InventoryFilter::default(), redegov_store::Page::all())
            .await?
            .items
            .into_iter()
            .map(|l| (l.id, l.holder))
            .collect();
        let mut rows: std::collections::BTreeMap<(AgencyId, HolderKey), BillingIndexRow> = Default::default();
        for l in &results.lines {
            let Some(holder) = lots.get(&l.lot_id).copied() else { continue };
            let row = rows.entry((l.agency_id, HolderKey::of(holder))).or_insert_with(|| BillingIndexRow {
                agency_id: l.agency_id,
                agency_name: String::new(),
                holder,
                holder_name: String::new(),
                accesses: 0,
                charge: Money::ZERO,
                credit: Money::ZERO,
                net: Money::ZERO,
            });
            row.accesses += 1;
            row.charge += l.charge;
            row.credit += l.credit;
            row.net += l.net;
        }
        let mut out: Vec<BillingIndexRow> = rows.into_values().collect();
        let mut names: HashMap<HolderKey, String> = HashMap::new();
        let mut agencies: HashMap<AgencyId, String> = HashMap::new();
        for row in &mut out {
            if let Entry::Vacant(e) = agencies.entry(row.agency_id) {
                e.insert(tx.agency(row.agency_id).await?.name);
            }
            row.agency_name = agencies[&row.agency_id].clone();
            let key = HolderKey::of(row.holder);
            if let Entry::Vacant(e) = names.entry(key) {
                e.insert(match row.holder {
                    LotHolder::Operator(o) => tx.operator(o).await?.name,
                    LotHolder::Consortium(c) => tx.consortium(c).await?.name,
                });
            }
            row.holder_name = names[&key].clone();
        }
        out.sort_by(|a, b| a.agency_name.cmp(&b.agency_name).then(a.holder_name.cmp(&b.holder_name)));
        Ok(out)
    }

    /// Why an access was credited what it was in a month.
    pub async fn explain_access_month(
        &self,
        actor: &Actor,
        access_id: AccessId,
        month: Month,
    ) -> AppResult<AccessExplanation> {
        let mut tx = self.store().read().await?;
        let row = tx.access(access_id).await.map_err(AppError::not_found("access"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Access, access_id.0, Some(row.agency_id)).await?;
        let inputs = load_inputs(&mut tx, month, self.now(), &|_, _, _| {}).await?;
        let index = Index::new(&inputs)?;
        let m = inputs.accesses.iter().find(|m| m.access.id == access_id);
        let (explanation, rules_id, granularity) = match m {
            Some(m) => {
                let p = index.prepare(m);
                let g = p.rules.granularity_seconds;
                (explain_with(inputs.span, &p.access_month, &p.others, g), p.rules_id, g)
            }
            None => {
                // Not billable in the month: an empty explanation.
                let a = AccessMonth {
                    monthly_price: row.access.monthly_price,
                    activated_at: None,
                    deactivated_at: None,
                    links: 1,
                    outages: vec![],
                    maintenance: vec![],
                };
                (explain_with(inputs.span, &a, &[], 1), None, 1)
            }
        };
        let closed_line = match tx.closing(&month.to_string()).await? {
            Some(c) => {
                let f = LineFilter { access_id: Some(access_id), ..Default::default() };
                tx.closing_lines(c.id, &f).await?.into_iter().next()
            }
            None => None,
        };
        Ok(AccessExplanation {
            month,
            access_id,
            explanation,
            rules_id,
            granularity_seconds: granularity,
            closed_line,
        })
    }

    /// Records an adjustment: a correction of a closed month, applied in the
    /// current open month, with its reason.
    pub async fn create_adjustment(&self, actor: &Actor, input: AdjustmentInput) -> AppResult<Adjustment> {
        require_write(actor, Resource::Closing)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let row = reference(tx.access(input.access_id).await, "access_id").await?;
        // An access outside the actor's scope is an unknown reference, like
        // a missing one.
        match ensure_sees(&mut tx, actor, OperatorScoped::Access, input.access_id.0, Some(row.agency_id))
            .await
        {
            Err(AppError::NotFound(_)) => {
                return Err(FieldError::new("access_id", Rule::UnknownReference).into());
            }
            other => other?,
        }
        let refers_to = input.refers_to.to_string();
        let Some(corrected) = tx.closing(&refers_to).await? else {
            return Err(FieldError::new("refers_to", Rule::MonthNotClosed { month: refers_to }).into());
        };
        // Only a line of the closed month can be corrected: the access must
        // have been billable (so in the snapshot) that month.
        let line = LineFilter { access_id: Some(input.access_id), ..Default::default() };
        if tx.closing_lines(corrected.id, &line).await?.is_empty() {
            return Err(FieldError::new("access_id", Rule::NotBillableInMonth { month: refers_to }).into());
        }
        let reason = required("reason", &input.reason)?;
        // Applied in the first open month after the corrected one that is
        // not before the current month.
        let current = redegov_domain::measure::month_of(redegov_domain::time::to_network_date(now));
        let mut month = input.refers_to.next().max(current);
        while tx.closing(&month.to_string()).await?.is_some() {
            month = month.next();
        }
        let adj = tx
            .insert_adjustment(
                &NewAdjustment {
                    month: month.to_string(),
                    refers_to,
                    access_id: input.access_id,
                    credit: input.credit,
                    reason,
                    created_by: Some(actor.user_id),
                },
                now,
            )
            .await?;
        record(&mut tx, actor, now, Action::Create, "adjustment", Some(adj.id.0), None::<&()>, Some(&adj))
            .await?;
        tx.commit().await?;
        Ok(adj)
    }

    /// Adjustments applied in a month, in scope.
    pub async fn list_adjustments(
        &self,
        actor: &Actor,
        month: Month,
        f: LineFilter,
    ) -> AppResult<Vec<Adjustment>> {
        let f = scoped_lines(actor, f);
        let mut tx = self.store().read().await?;
        Ok(tx.adjustments(&month.to_string(), &f).await?)
    }

    /// The billing report of one agency with one lot holder in a month.
    pub async fn billing_report(
        &self,
        actor: &Actor,
        month: Month,
        agency_id: AgencyId,
        holder: LotHolder,
    ) -> AppResult<BillingReport> {
        let results = self
            .month_results(actor, month, LineFilter { agency_id: Some(agency_id), ..Default::default() })
            .await?;
        let lot_lines = self.installment_lots_lines(month, &results).await?;
        let mut tx = self.store().read().await?;
        let agency = tx.agency(agency_id).await.map_err(AppError::not_found("agency"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Agency, agency_id.0, Some(agency_id)).await?;
        let lots: HashMap<LotId, redegov_domain::inventory::Lot> = tx
            .list_lots(&InventoryFilter::default(), redegov_store::Page::all())
            .await?
            .items
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
        let (holder_party, members) = match holder {
            LotHolder::Operator(o) => {
                let op = tx.operator(o).await.map_err(AppError::not_found("operator"))?;
                (Party { id: o.0, name: op.name, cnpj: op.cnpj.masked() }, vec![])
            }
            LotHolder::Consortium(c) => {
                let cons = tx.consortium(c).await.map_err(AppError::not_found("consortium"))?;
                let mut members = Vec::new();
                for m in &cons.members {
                    let op = tx.operator(m.operator_id).await?;
                    members.push((Party { id: op.id.0, name: op.name, cnpj: op.cnpj.masked() }, m.share_bp));
                }
                (Party { id: c.0, name: cons.name, cnpj: String::new() }, members)
            }
        };
        let mut contract = String::new();
        let mut lines = Vec::new();
        for l in results.lines.iter().filter(|l| lots.get(&l.lot_id).is_some_and(|lot| lot.holder == holder))
        {
            let row = tx.access(l.access_id).await?;
            let site = tx.site(row.access.site_id).await?;
            if contract.is_empty()
                && let Some(lot) = lots.get(&l.lot_id)
            {
                contract = tx.contract(lot.contract_id).await?.number;
            }
            let r = redegov_domain::measure::Measurement {
                period_seconds: l.period_seconds,
                billable_seconds: l.billable_seconds,
                downtime_seconds: l.downtime_seconds,
                availability_micro: l.availability_micro,
                charge: l.charge,
                credit: l.credit,
                net: l.net,
            };
            lines.push(BillingLine {
                access_id: l.access_id.0,
                designation: access_designation(l.access_id),
                site: site.name,
                municipality: row.municipality_name,
                lot: row.lot_code,
                service: format!("{} · {} Mbps", row.access.profile.label(), row.access.bandwidth_mbps),
                billable_seconds: l.billable_seconds,
                downtime_seconds: l.downtime_seconds,
                availability_percent: r.availability_percent(),
                charge: l.charge,
                credit: l.credit,
                net: l.net,
            });
        }
        let adjustments = tx
            .adjustments(&month.to_string(), &LineFilter { agency_id: Some(agency_id), ..Default::default() })
            .await?;
        let deductions =
            report_deductions(&mut tx, month, &results, &lot_lines, agency_id, &lots, holder).await?;
        let mut adjustment_lines = Vec::new();
        for a in adjustments {
            let row = tx.access(a.access_id).await?;
            if lots.get(&row.access.lot_id).is_some_and(|lot| lot.holder == holder) {
                adjustment_lines.push(AdjustmentLine {
                    id: a.id.0,
                    access_id: a.access_id.0,
                    designation: access_designation(a.access_id),
                    refers_to: a.refers_to,
                    reason: a.reason,
                    credit: a.credit,
                });
            }
        }
        Ok(BillingReport::build(
            month.to_string(),
            results.closing.is_some(),
            Party { id: agency.id.0, name: agency.name, cnpj: agency.cnpj.masked() },
            holder_party,
            contract,
            lines,
            adjustment_lines,
            deductions,
            members,
        ))
    }

    /// While `results`' month is open: every measured line of the lots
    /// with a fine installment due, whatever the agency (an installment is
    /// apportioned over all the agencies of its lot). Nothing for a closed
    /// month, whose parts are stored.
    async fn installment_lots_lines(
        &self,
        month: Month,
        results: &MonthResults,
    ) -> AppResult<Vec<ClosingLine>> {
        if results.closing.is_some() {
            return Ok(Vec::new());
        }
        let lots: BTreeSet<LotId> = {
            let mut tx = self.store().read().await?;
            tx.due_installments(&month.to_string()).await?.into_iter().map(|d| d.lot_id).collect()
        };
        if lots.is_empty() {
            return Ok(Vec::new());
        }
        let mut lines = self.preview_month(&Actor::system(), month, LineFilter::default()).await?.lines;
        lines.retain(|l| lots.contains(&l.lot_id));
        Ok(lines)
    }

    /// The rules versions of a lot. The contract's rules are public to
    /// every signed-in role that sees the lot.
    pub async fn list_rules(&self, actor: &Actor, lot: LotId) -> AppResult<Vec<(RulesRecord, ImrRules)>> {
        let mut tx = self.store().read().await?;
        tx.lot(lot).await.map_err(AppError::not_found("lot"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Lot, lot.0, None).await?;
        let records = tx.all_rules(Some(lot)).await?;
        records
            .into_iter()
            .map(|r| {
                let rules = serde_json::from_str(&r.rules).map_err(|e| AppError::Internal(e.to_string()))?;
                Ok((r, rules))
            })
            .collect()
    }

    /// Sets a lot's rules from `effective_from` on (admin). A version that
    /// would change a closed month is refused.
    pub async fn put_rules(
        &self,
        actor: &Actor,
        lot: LotId,
        effective_from: NaiveDate,
        rules: ImrRules,
    ) -> AppResult<RulesRecord> {
        require_write(actor, Resource::Rules)?;
        rules.validate()?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        reference(tx.lot(lot).await, "lot_id").await?;
        let from =
            redegov_domain::measure::month_bounds(redegov_domain::measure::month_of(effective_from)).start;
        ensure_months_open(&mut tx, Span::new(from, i64::MAX), "effective_from").await?;
        let json = serde_json::to_string(&rules).map_err(|e| AppError::Internal(e.to_string()))?;
        let before = tx.all_rules(Some(lot)).await?.into_iter().find(|r| r.effective_from == effective_from);
        let stored = tx.put_rules(lot, effective_from, &json, now).await?;
        let audit = |r: &RulesRecord| RulesAudit {
            lot_id: r.lot_id,
            effective_from: r.effective_from,
            rules: r.rules.clone(),
        };
        record(
            &mut tx,
            actor,
            now,
            if before.is_some() { Action::Update } else { Action::Create },
            "contract_rules",
            Some(stored.id.0),
            before.as_ref().map(audit).as_ref(),
            Some(&audit(&stored)),
        )
        .await?;
        tx.commit().await?;
        Ok(stored)
    }
}

/// The deduction lines of one agency's report with `holder` in `month`:
/// those stored for the month (the applied installments of a closed month,
/// the credits of upheld disputes) and, while the month is open, the parts
/// its due installments would get from the current measurement of their
/// lots (`lot_lines`, every agency's). The parts
/// of one installment or dispute make one line; a consortium's members'
/// parts stay as they were split.
async fn report_deductions(
    tx: &mut Tx,
    month: Month,
    results: &MonthResults,
    lot_lines: &[ClosingLine],
    agency_id: AgencyId,
    lots: &HashMap<LotId, redegov_domain::inventory::Lot>,
    holder: LotHolder,
) -> AppResult<Vec<DeductionLine>> {
    let filter =
        DeductionFilter { month: Some(month.to_string()), agency_id: Some(agency_id), ..Default::default() };
    let mut parts: Vec<NewDeduction> =
        tx.deductions(&filter).await?.into_iter().map(|d| d.deduction).collect();
    if results.closing.is_none() {
        parts.extend(
            crate::penalties::installment_deductions(tx, month, lot_lines)
                .await?
                .into_iter()
                .filter(|d| d.agency_id == agency_id),
        );
    }
    let mut lines: Vec<DeductionLine> = Vec::new();
    for d in parts.into_iter().filter(|d| lots.get(&d.lot_id).is_some_and(|lot| lot.holder == holder)) {
        let consortium = matches!(holder, LotHolder::Consortium(_));
        match lines.iter_mut().find(|l| l.kind == d.kind && l.source_id == d.source_id) {
            Some(line) => {
                line.amount += d.amount;
                if consortium {
                    line.parts.push((d.operator_id.0, d.amount));
                }
            }
            None => lines.push(DeductionLine {
                kind: d.kind,
                source_id: d.source_id,
                description: d.description,
                amount: d.amount,
                parts: if consortium { vec![(d.operator_id.0, d.amount)] } else { vec![] },
            }),
        }
    }
    Ok(lines)
}

/// The operators bearing a lot holder's parts, with their shares in basis
/// points: a single operator at 10,000, or a consortium's members.
pub async fn holder_members(tx: &mut Tx, holder: LotHolder) -> AppResult<Vec<(i64, i64)>> {
    Ok(match holder {
        LotHolder::Operator(o) => vec![(o.0, 10_000)],
        LotHolder::Consortium(c) => tx
            .consortium(c)
            .await
            .map_err(AppError::not_found("consortium"))?
            .members
            .iter()
            .map(|m| (m.operator_id.0, m.share_bp))
            .collect(),
    })
}

/// The first month from `month` on that is not closed: where a correction
/// of `month` (a dispute's credit) is applied.
pub async fn first_open_month(tx: &mut Tx, mut month: Month) -> AppResult<Month> {
    while tx.closing(&month.to_string()).await?.is_some() {
        month = month.next();
    }
    Ok(month)
}

/// One billing report available in a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingIndexRow {
    pub agency_id: AgencyId,
    pub agency_name: String,
    pub holder: LotHolder,
    pub holder_name: String,
    pub accesses: i64,
    pub charge: Money,
    pub credit: Money,
    pub net: Money,
}

/// An orderable key of a lot holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum HolderKey {
    Operator(i64),
    Consortium(i64),
}

impl HolderKey {
    fn of(h: LotHolder) -> HolderKey {
        match h {
            LotHolder::Operator(o) => HolderKey::Operator(o.0),
            LotHolder::Consortium(c) => HolderKey::Consortium(c.0),
        }
    }
}

/// How an access is named on reports.
pub fn access_designation(id: AccessId) -> String {
    format!("AC-{:06}", id.0)
}

#[derive(serde::Serialize)]
struct ClosingAudit<'a> {
    month: &'a str,
    inputs_fingerprint: &'a str,
    rules_version: &'a str,
    accesses: i64,
    charge_centavos: i64,
    credit_centavos: i64,
    net_centavos: i64,
}

impl<'a> ClosingAudit<'a> {
    fn of(c: &'a ClosingRecord) -> Self {
        ClosingAudit {
            month: &c.month,
            inputs_fingerprint: &c.inputs_fingerprint,
            rules_version: &c.rules_version,
            accesses: c.accesses,
            charge_centavos: c.charge.centavos(),
            credit_centavos: c.credit.centavos(),
            net_centavos: c.net.centavos(),
        }
    }
}

#[derive(serde::Serialize)]
struct RulesAudit {
    lot_id: LotId,
    effective_from: NaiveDate,
    rules: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use redegov_domain::incident::{Responsibility, WindowStatus};
    use redegov_domain::inventory::{Access, AccessStatus, Area, Profile, Technology};
    use redegov_domain::time::from_epoch;

    /// The canonical text as first written (one `format!` per line): every
    /// stored closing's fingerprint was computed over it, so the streaming
    /// version must hash exactly the same bytes.
    fn reference_fingerprint(inputs: &Inputs) -> String {
        let mut h = Sha256::new();
        let mut line = |text: String| {
            h.update(text.as_bytes());
            h.update(b"\n");
        };
        line(format!("month {}", inputs.month));
        let t = |x: Option<i64>| x.map_or("-".to_string(), |t| t.to_string());
        for m in &inputs.accesses {
            let a = &m.access;
            let targets: Vec<String> = a.probe_targets.iter().map(|t| t.to_string()).collect();
            line(format!(
                "a {} {} {} {} {} {} {} {} {} {}",
                a.id,
                a.lot_id,
                m.agency_id,
                a.monthly_price.centavos(),
                t(a.activated_at.map(|x| x.timestamp())),
                t(a.deactivated_at.map(|x| x.timestamp())),
                a.profile.as_str(),
                a.technology.as_str(),
                m.area.as_str(),
                targets.join(",")
            ));
        }
        for i in &inputs.incidents {
            let stops: Vec<String> = i.clock_stops.iter().map(|s| format!("{}-{}", s.start, s.end)).collect();
            line(format!(
                "i {} {} {} {} {} {} {}",
                i.id,
                i.access_id,
                i.probe_target.map_or("-".into(), |p| p.to_string()),
                i.started_at,
                t(i.ended_at),
                i.responsibility.as_str(),
                stops.join(",")
            ));
        }
        for w in &inputs.windows {
            let target = match w.target {
                WindowTarget::Access(a) => format!("a{a}"),
                WindowTarget::Lot(l) => format!("l{l}"),
            };
            line(format!("w {} {} {} {}", w.id, target, w.starts_at.timestamp(), w.ends_at.timestamp()));
        }
        for r in &inputs.rules {
            line(format!("r {} {} {} {}", r.id, r.lot_id, r.effective_from, r.rules));
        }
        hex::encode(h.finalize())
    }

    fn access(id: i64, targets: &[&str], deactivated: Option<i64>) -> MeasuredAccess {
        MeasuredAccess {
            access: Access {
                id: AccessId(id),
                site_id: SiteId(1),
                lot_id: LotId(2),
                profile: Profile::II,
                service: "SCM".into(),
                bandwidth_mbps: 10,
                redundancy: if targets.len() > 1 { Redundancy::Critical } else { Redundancy::None },
                technology: Technology::Satellite,
                status: AccessStatus::Active,
                requested_at: from_epoch(0),
                activated_at: Some(from_epoch(1_000)),
                suspended_at: None,
                deactivated_at: deactivated.map(from_epoch),
                monthly_price: Money::from_centavos(123_456),
                price_overridden: false,
                probe_targets: targets.iter().map(|t| t.parse().expect("ip")).collect(),
            },
            agency_id: AgencyId(3),
            area: Area::Interior,
        }
    }

    fn window(id: i64, target: WindowTarget) -> MaintenanceWindow {
        MaintenanceWindow {
            id: WindowId(id),
            target,
            starts_at: from_epoch(5_000),
            ends_at: from_epoch(6_000),
            announced_at: from_epoch(0),
            description: String::new(),
            status: WindowStatus::Approved,
            decided_by: None,
            decided_at: None,
            decision_reason: String::new(),
            created_by: None,
        }
    }

    #[test]
    fn the_fingerprint_hashes_the_canonical_text() {
        let month = Month { year: 2026, month: 10 };
        let span = month_bounds(month);
        let incident = |id: i64, target: Option<&str>, end: Option<i64>, stops: Vec<Span>| MeasuredIncident {
            id: IncidentId(id),
            access_id: AccessId(7),
            probe_target: target.map(|t| t.parse().expect("ip")),
            started_at: span.start + 60,
            ended_at: end,
            responsibility: if id % 2 == 0 { Responsibility::Agency } else { Responsibility::Operator },
            clock_stops: stops,
        };
        let mut inputs = Inputs {
            month,
            span,
            open_until: span.end,
            accesses: vec![
                access(7, &["10.0.0.1", "2001:db8::1"], None),
                access(8, &[], Some(span.start + 99)),
            ],
            incidents: vec![
                incident(1, None, None, vec![]),
                incident(
                    2,
                    Some("10.0.0.1"),
                    Some(span.start + 600),
                    vec![Span::new(span.start + 70, span.start + 80)],
                ),
                incident(3, None, Some(span.start + 900), vec![Span::new(1, 2), Span::new(3, 4)]),
            ],
            windows: vec![
                window(4, WindowTarget::Access(AccessId(7))),
                window(5, WindowTarget::Lot(LotId(2))),
            ],
            rules: vec![RulesRecord {
                id: RulesId(9),
                lot_id: LotId(2),
                effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
                rules: "{\"x\": 1}".into(),
                created_at: from_epoch(0),
            }],
            late_orders: vec![],
        };
        assert_eq!(fingerprint(&inputs), reference_fingerprint(&inputs));
        // A late order adds its line, and only then.
        let without = fingerprint(&inputs);
        inputs.late_orders.push(LateOrder {
            order_id: OrderId(3),
            number: "OS-2026-000003".into(),
            lot_id: LotId(2),
            access_id: AccessId(7),
            deadline_days: 45,
            late_days: 2,
        });
        assert_ne!(fingerprint(&inputs), without);
        inputs.late_orders.clear();
        // A running month adds its cut-off, and only then.
        inputs.open_until = span.start + 3_600;
        assert_ne!(fingerprint(&inputs), reference_fingerprint(&inputs));
    }
}
