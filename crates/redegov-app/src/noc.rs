//! What the NOC sees and who hears of an outage: the panel's overview
//! (access counts, open outages with their place and holder, gaps,
//! unmatched alerts), an access's availability and latency over the last
//! 24 hours and 30 days, the operator's notification of an incident opened
//! or resolved by a monitor (e-mail and an outgoing webhook), and the
//! webhook's delivery.
//!
//! The webhook body is JSON (docs/monitoring.md):
//! `{"event": "incident.opened" | "incident.resolved", "sent_at", "incident":
//! {id, access_id, lot, agency, municipality, address, started_at, ended_at,
//! status, responsibility, source, cause, url}}`, signed with the
//! operator's secret in `X-Redegov-Signature: sha256=<hex HMAC>`. Delivery
//! is at least once, retried like e-mail.

use crate::audit::{Action, record};
use crate::authz::narrow;
use crate::inventory::ensure_sees;
use crate::mail::{Email, enqueue, lot_operators, network_manager_emails, operator_emails};
use crate::monitor::{epoch_ms, from_ms as ms, hour_bucket};
use crate::{App, AppError, AppResult};
use hmac::{Hmac, Mac};
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::*;
use redegov_domain::incident::{Incident, IncidentStatus};
use redegov_domain::mail::{AfterFailure, after_failure};
use redegov_domain::measure::Span;
use redegov_domain::monitor::{Availability, availability_permille};
use redegov_domain::role::{Actor, Role};
use redegov_domain::time::{Timestamp, format_local, from_epoch};
use redegov_store::Tx;
use redegov_store::incidents::NewIncident;
use redegov_store::inventory::OperatorScoped;
use redegov_store::monitor::{OutageScope, StateCounts, StatsRow};

pub use redegov_store::monitor::OutageRow;

/// The roles that see the whole network's state: monitoring gaps and
/// unmatched alerts.
pub fn sees_network_state(role: Role) -> bool {
    matches!(role, Role::Admin | Role::NetworkManager | Role::Auditor | Role::Committee)
}
use serde::Serialize;
use sha2::Sha256;
use std::collections::HashMap;
use std::time::Duration;

/// Which news of an incident is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentNews {
    Opened,
    Resolved,
}

impl IncidentNews {
    fn code(self) -> &'static str {
        match self {
            IncidentNews::Opened => "incident.opened",
            IncidentNews::Resolved => "incident.resolved",
        }
    }
}

/// The panel's overview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NocOverview {
    pub counts: StateCounts,
    /// Open incidents, oldest first.
    pub outages: Vec<OutageRow>,
    /// Monitoring gaps still open (a prober that cannot see the network).
    pub open_gaps: Vec<redegov_store::monitor::GapRow>,
    /// Alerts no access was found for (NOC only).
    pub unmatched_alerts: usize,
    pub at: Timestamp,
}

/// One bucket of an access's chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChartPoint {
    /// The bucket's start.
    pub at: Timestamp,
    /// Availability in the bucket, per mille of the known time (`None`: all unknown).
    pub availability_permille: Option<i64>,
    pub down_seconds: i64,
    pub unknown_seconds: i64,
    /// Latency in microseconds (`None`: no answered probe).
    pub rtt_avg_us: Option<i64>,
    pub rtt_min_us: Option<i64>,
    pub rtt_max_us: Option<i64>,
    pub sent: i64,
    pub lost: i64,
}

/// An access's monitoring page: the last 24 hours by hour and the last 30
/// days by day, and the link outages of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessMonitoring {
    pub access_id: AccessId,
    pub hours: Vec<ChartPoint>,
    pub days: Vec<ChartPoint>,
    pub day_total: Availability,
    pub month_total: Availability,
    pub links: Vec<redegov_store::monitor::LinkStateRow>,
    pub outages: Vec<(String, redegov_store::monitor::LinkOutage)>,
}

const MAX_OUTAGES_SHOWN: i64 = 2_000;

/// The network's state for `/metrics`: aggregates only, no scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetworkGauges {
    pub up: i64,
    pub down: i64,
    pub unknown: i64,
    pub open_incidents: i64,
}

impl App {
    /// The NOC panel's overview in the actor's scope (an agency sees its
    /// accesses' counts and outages, an operator its lots'; gaps and
    /// unmatched alerts are the NOC roles').
    pub async fn noc_overview(&self, actor: &Actor) -> AppResult<NocOverview> {
        let now = self.now();
        let mut scope = OutageScope::default();
        narrow(actor, &mut scope.agency_id, &mut scope.operator_id);
        let noc = sees_network_state(actor.role);
        let mut tx = self.store().read().await?;
        let outages = tx.open_outages(scope, MAX_OUTAGES_SHOWN).await?;
        let counts = tx.access_state_counts(scope).await?;
        let open_gaps = if noc {
            tx.gaps(epoch_ms(now), epoch_ms(now) + 1)
                .await?
                .into_iter()
                .filter(|g| g.ended_ms.is_none())
                .collect()
        } else {
            Vec::new()
        };
        let unmatched_alerts = if noc { tx.alerts(true, 1_000).await?.len() } else { 0 };
        Ok(NocOverview { counts, outages, open_gaps, unmatched_alerts, at: now })
    }

    /// Counts for `/metrics` (aggregates only: no access, agency or
    /// operator is named, so no scope applies).
    pub async fn network_gauges(&self) -> AppResult<NetworkGauges> {
        let mut tx = self.store().read().await?;
        let c = tx.access_state_counts(OutageScope::default()).await?;
        let open_incidents = tx.count_open_incidents().await?;
        Ok(NetworkGauges { up: c.up, down: c.down, unknown: c.unknown, open_incidents })
    }

    /// An access's availability and latency: 24 hourly and 30 daily points.
    pub async fn access_monitoring(&self, actor: &Actor, access: AccessId) -> AppResult<AccessMonitoring> {
        let now = self.now();
        let mut tx = self.store().read().await?;
        let row = tx.access(access).await.map_err(AppError::not_found("access"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Access, access.0, Some(row.agency_id))
            .await
            .map_err(|_| AppError::NotFound("access"))?;
        let hour_now = hour_bucket(now);
        let hours_from = hour_now - 23 * 3600;
        let day_now = crate::monitor::day_bucket(now);
        // 30 network days back (a day is 86,400 s in São Paulo: no DST since 2019).
        let days_from = day_now - 29 * 86_400;
        let from_ms = days_from * 1000;
        let outages = tx.link_outages(access, from_ms, epoch_ms(now)).await?;
        let gaps = tx.gaps(from_ms, epoch_ms(now)).await?;
        let hourly = tx.probe_stats(access, "hour", hours_from, hour_now + 3600).await?;
        let daily = tx.probe_stats(access, "day", days_from, day_now + 86_400).await?;
        let links = tx.link_states(Some(&[access])).await?;
        let n_links = row.access.probe_targets.len().max(1);
        let access_outages = access_outage_spans(&outages, n_links, now);
        let gap_spans: Vec<(Timestamp, Timestamp)> =
            gaps.iter().map(|g| (ms(g.started_ms), g.ended_ms.map(ms).unwrap_or(now))).collect();
        let point = |start: i64, len: i64, stats: &[StatsRow]| -> ChartPoint {
            let end = (start + len).min(now.timestamp());
            let a = availability_permille(
                (from_epoch(start), from_epoch(end.max(start))),
                &access_outages,
                &gap_spans,
            );
            let s = stats.iter().find(|s| s.bucket == start);
            let answered = s.map(|s| s.sent - s.lost).unwrap_or(0);
            // A bucket without a probe or an outage is not known to be up.
            let known = s.is_some_and(|s| s.sent > 0) || a.down_seconds > 0;
            ChartPoint {
                at: from_epoch(start),
                availability_permille: a.permille().filter(|_| known),
                down_seconds: a.down_seconds,
                unknown_seconds: a.unknown_seconds,
                rtt_avg_us: s.filter(|_| answered > 0).map(|s| s.rtt_sum_us / answered),
                rtt_min_us: s.and_then(|s| s.rtt_min_us),
                rtt_max_us: s.and_then(|s| s.rtt_max_us),
                sent: s.map(|s| s.sent).unwrap_or(0),
                lost: s.map(|s| s.lost).unwrap_or(0),
            }
        };
        let hours = (0..24).map(|i| point(hours_from + i * 3600, 3600, &hourly)).collect();
        let days = (0..30).map(|i| point(days_from + i * 86_400, 86_400, &daily)).collect();
        let day_total =
            availability_permille((from_epoch(now.timestamp() - 86_400), now), &access_outages, &gap_spans);
        let month_total = availability_permille((from_epoch(days_from), now), &access_outages, &gap_spans);
        Ok(AccessMonitoring { access_id: access, hours, days, day_total, month_total, links, outages })
    }
}

/// The access's outages from its links' outages: with one link, the link's;
/// with more, the times all of them were down together.
fn access_outage_spans(
    outages: &[(String, redegov_store::monitor::LinkOutage)],
    links: usize,
    now: Timestamp,
) -> Vec<(Timestamp, Timestamp)> {
    use redegov_domain::measure::{Span, intersect, union};
    let mut per_link: std::collections::BTreeMap<&str, Vec<Span>> = Default::default();
    for (target, o) in outages {
        let end = o.ended_ms.unwrap_or(epoch_ms(now));
        if end > o.started_ms {
            per_link.entry(target.as_str()).or_default().push(Span::new(o.started_ms, end));
        }
    }
    if per_link.len() < links {
        // Some link was never down: the access never was.
        return Vec::new();
    }
    let mut sets = per_link.into_values().map(|v| union(&v));
    let Some(first) = sets.next() else { return Vec::new() };
    sets.fold(first, |acc, s| intersect(&acc, &s)).into_iter().map(|s| (ms(s.start), ms(s.end))).collect()
}

/// Opens an incident a monitor or an external alert detected, once per
/// `origin` (its identity: `monitor:<access>:<start ms>`,
/// `alertmanager:<fingerprint>:<start>`), audited, and tells the operator.
/// Returns the incident and whether this call opened it; `None` when its
/// span touches a closed month (a closed month never changes). `Origin::New`
/// says the caller knows no incident can have it yet (an alert row created
/// in this transaction), which spares the lookup.
pub(crate) async fn open_detected(
    tx: &mut Tx,
    notifier: &mut Notifier<'_>,
    actor: &Actor,
    new: NewIncident,
    origin: Origin<'_>,
    now: Timestamp,
) -> AppResult<Option<(IncidentId, bool)>> {
    let origin = match origin {
        Origin::New(key) => key,
        Origin::Maybe(key) => {
            if let Some(id) = tx.incident_by_origin(key).await? {
                return Ok(Some((id, false)));
            }
            key
        }
    };
    let start = new.started_at.timestamp();
    let span = Span::new(start, new.ended_at.unwrap_or(now).timestamp().max(start + 1));
    if notifier.touches_closed_month(tx, span).await? {
        return Ok(None);
    }
    let incident = tx.insert_incident(&new, now).await?;
    tx.set_incident_origin(incident.id, origin).await?;
    record(tx, actor, now, Action::Create, "incident", Some(incident.id.0), None::<&()>, Some(&incident))
        .await?;
    notify_incident(tx, notifier, &incident, IncidentNews::Opened, now).await?;
    Ok(Some((incident.id, true)))
}

/// Resolves a detected incident at `end` (never before its start, never
/// after `now`), audited, and tells the operator; `false` when it had
/// already ended. The end is in an open month — it just happened —; the
/// part of an outage in a month closed meanwhile was counted to that
/// month's end and stays so.
pub(crate) async fn resolve_detected(
    tx: &mut Tx,
    notifier: &mut Notifier<'_>,
    actor: &Actor,
    id: IncidentId,
    end: Timestamp,
    now: Timestamp,
) -> AppResult<bool> {
    let before = tx.incident(id).await?.incident;
    if before.ended_at.is_some() {
        return Ok(false);
    }
    let mut after = before.clone();
    after.ended_at = Some(end.max(before.started_at).min(now));
    after.status = IncidentStatus::Resolved;
    after.updated_at = now;
    tx.update_incident(&after).await?;
    record(tx, actor, now, Action::Update, "incident", Some(id.0), Some(&before), Some(&after)).await?;
    notify_incident(tx, notifier, &after, IncidentNews::Resolved, now).await?;
    Ok(true)
}

/// The identity of a detected incident, and whether it may exist already.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin<'a> {
    /// No incident can have it yet.
    New(&'a str),
    /// Look it up first: the same outage may have been written before.
    Maybe(&'a str),
}

/// What detected incidents need, looked up once per transaction: a round
/// or a delivery that opens a thousand incidents on one lot reads its
/// operators' addresses and webhooks once, the closed months once, and
/// each access once.
pub(crate) struct Notifier<'a> {
    public_url: &'a str,
    managers: Option<Vec<String>>,
    lots: HashMap<LotId, LotContacts>,
    closed: Option<Vec<Span>>,
    accesses: HashMap<AccessId, redegov_store::inventory::AccessRow>,
}

/// A lot's operators' addresses and webhooks.
struct LotContacts {
    emails: Vec<String>,
    webhooks: Vec<(OperatorId, String)>,
}

impl<'a> Notifier<'a> {
    pub(crate) fn new(public_url: &'a str) -> Notifier<'a> {
        Notifier { public_url, managers: None, lots: HashMap::new(), closed: None, accesses: HashMap::new() }
    }

    /// Whether `span` touches a closed month (the closings read once).
    async fn touches_closed_month(&mut self, tx: &mut Tx, span: Span) -> AppResult<bool> {
        if self.closed.is_none() {
            let mut months = Vec::new();
            for c in tx.list_closings().await? {
                if let Some(m) = redegov_domain::measure::Month::parse(&c.month) {
                    months.push(redegov_domain::measure::month_bounds(m));
                }
            }
            self.closed = Some(months);
        }
        Ok(self.closed.iter().flatten().any(|m| span.start < m.end && m.start < span.end))
    }

    /// An access's row (read once per transaction).
    pub(crate) async fn access(
        &mut self,
        tx: &mut Tx,
        id: AccessId,
    ) -> AppResult<Option<&redegov_store::inventory::AccessRow>> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.accesses.entry(id) {
            match tx.access(id).await {
                Ok(row) => {
                    slot.insert(row);
                }
                Err(redegov_store::StoreError::NotFound) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self.accesses.get(&id))
    }

    async fn contacts(&mut self, tx: &mut Tx, lot: LotId) -> AppResult<(&LotContacts, &[String])> {
        if self.managers.is_none() {
            self.managers = Some(network_manager_emails(tx).await?);
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = self.lots.entry(lot) {
            let lot_row = tx.lot(lot).await?;
            let operators = lot_operators(tx, &lot_row).await?;
            let emails = operator_emails(tx, &operators).await?;
            let mut webhooks = Vec::new();
            for op in operators {
                if let Some((url, _)) = tx.operator_webhook(op).await? {
                    webhooks.push((op, url));
                }
            }
            slot.insert(LotContacts { emails, webhooks });
        }
        match (self.lots.get(&lot), self.managers.as_deref()) {
            (Some(c), Some(m)) => Ok((c, m)),
            _ => Err(AppError::Internal("notifier: contacts not loaded".into())),
        }
    }
}

/// Tells the operator (and the NOC) that a monitor opened or resolved an
/// incident: an e-mail to the operator's users and the network managers,
/// and the operator's webhook when it has one. In the caller's transaction.
pub(crate) async fn notify_incident(
    tx: &mut Tx,
    notifier: &mut Notifier<'_>,
    incident: &Incident,
    news: IncidentNews,
    now: Timestamp,
) -> AppResult<()> {
    let row = notifier.access(tx, incident.access_id).await?.cloned().ok_or(AppError::NotFound("access"))?;
    let public_url = notifier.public_url;
    let (contacts, managers) = notifier.contacts(tx, row.access.lot_id).await?;
    let mut to = contacts.emails.clone();
    to.extend_from_slice(managers);
    let webhooks = contacts.webhooks.clone();
    let link = format!("{public_url}/incidentes/{}", incident.id.0);
    let place = format!(
        "{} — {}, {} (lote {})",
        row.agency_acronym, row.site_address, row.municipality_name, row.lot_code
    );
    let (subject, body) = match news {
        IncidentNews::Opened => (
            format!(
                "[redegov] Incidente #{} aberto: acesso #{} inoperante",
                incident.id.0, incident.access_id.0
            ),
            format!(
                "O monitoramento detectou a indisponibilidade do acesso #{} ({place}) desde {}.\n\
                 Foi aberto o incidente #{} com responsabilidade da operadora, a confirmar pelo NOC.",
                incident.access_id.0,
                format_local(incident.started_at),
                incident.id.0
            ),
        ),
        IncidentNews::Resolved => (
            format!(
                "[redegov] Incidente #{} resolvido: acesso #{} operante",
                incident.id.0, incident.access_id.0
            ),
            format!(
                "O acesso #{} ({place}) voltou a responder em {}. O incidente #{} foi resolvido com \
                 início em {} e fim medido em {}.",
                incident.access_id.0,
                incident.ended_at.map(format_local).unwrap_or_default(),
                incident.id.0,
                format_local(incident.started_at),
                incident.ended_at.map(format_local).unwrap_or_default()
            ),
        ),
    };
    enqueue(
        tx,
        now,
        Email {
            to,
            subject,
            body_text: body,
            link: Some(link.clone()),
            kind: news.code(),
            subject_ref: Some(format!("incident:{}", incident.id.0)),
        },
    )
    .await?;
    let payload = WebhookBody {
        event: news.code(),
        sent_at: now,
        incident: WebhookIncident {
            id: incident.id.0,
            access_id: incident.access_id.0,
            lot: &row.lot_code,
            agency: &row.agency_acronym,
            municipality: &row.municipality_name,
            address: &row.site_address,
            started_at: incident.started_at,
            ended_at: incident.ended_at,
            status: incident.status.as_str(),
            responsibility: incident.responsibility.as_str(),
            source: incident.source.as_str(),
            cause: &incident.cause,
            url: &link,
        },
    };
    let body = serde_json::to_string(&payload).map_err(|e| AppError::Internal(e.to_string()))?;
    for (op, url) in webhooks {
        tx.insert_webhook(op, &url, news.code(), &body, now.timestamp()).await?;
    }
    Ok(())
}

/// The outgoing webhook's JSON body (docs/monitoring.md).
#[derive(Serialize)]
struct WebhookBody<'a> {
    event: &'static str,
    sent_at: Timestamp,
    incident: WebhookIncident<'a>,
}

#[derive(Serialize)]
struct WebhookIncident<'a> {
    id: i64,
    access_id: i64,
    lot: &'a str,
    agency: &'a str,
    municipality: &'a str,
    address: &'a str,
    started_at: Timestamp,
    ended_at: Option<Timestamp>,
    status: &'static str,
    responsibility: &'static str,
    source: &'static str,
    cause: &'a str,
    url: &'a str,
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`.
pub fn webhook_signature(secret: &str, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// What one webhook delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookReport {
    pub claimed: usize,
    pub sent: usize,
    pub failed: usize,
    pub gave_up: usize,
}

impl App {
    /// Sets (or with `None` removes) an operator's webhook. Admin and
    /// network manager only; the URL must be http(s).
    pub async fn set_operator_webhook(
        &self,
        actor: &Actor,
        operator: OperatorId,
        hook: Option<(String, String)>,
    ) -> AppResult<()> {
        if !matches!(actor.role, Role::Admin | Role::NetworkManager) {
            return Err(AppError::Forbidden("configure an operator's webhook"));
        }
        if let Some((url, secret)) = &hook {
            let u = url.trim();
            if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() < 10 {
                return Err(FieldError::new("url", Rule::Malformed("URL http(s)://…")).into());
            }
            if secret.trim().len() < 16 {
                return Err(FieldError::new("secret", Rule::OutOfRange { min: 16, max: 200 }).into());
            }
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        tx.operator(operator).await.map_err(AppError::not_found("operator"))?;
        tx.save_operator_webhook(operator, hook.as_ref().map(|(u, s)| (u.trim(), s.trim()))).await?;
        let after = hook.as_ref().map(|(u, _)| serde_json::json!({"url": u.trim(), "secret": "***"}));
        crate::audit::record(
            &mut tx,
            actor,
            now,
            crate::audit::Action::Update,
            "operator_webhook",
            Some(operator.0),
            None::<&()>,
            after.as_ref(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Posts due webhooks (at least once, retried like e-mail).
    pub async fn deliver_webhooks(&self, client: &reqwest::Client, limit: usize) -> AppResult<WebhookReport> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let due = tx
            .claim_due_webhooks(
                now.timestamp(),
                i64::try_from(limit).unwrap_or(i64::MAX),
                now.timestamp() + 15 * 60,
            )
            .await?;
        tx.commit().await?;
        let mut report = WebhookReport { claimed: due.len(), ..WebhookReport::default() };
        for hook in due {
            let secret = {
                let mut tx = self.store().read().await?;
                tx.operator_webhook(hook.operator_id).await?.map(|(_, s)| s).unwrap_or_default()
            };
            let sent = client
                .post(&hook.url)
                .header("Content-Type", "application/json")
                .header("X-Redegov-Event", &hook.kind)
                .header("X-Redegov-Delivery", hook.id.to_string())
                .header("X-Redegov-Signature", webhook_signature(&secret, &hook.body))
                .body(hook.body.clone())
                .timeout(Duration::from_secs(10))
                .send()
                .await;
            let outcome = match sent {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err((format!("HTTP {}", r.status()), r.status().is_client_error())),
                Err(e) => Err((e.to_string(), false)),
            };
            let now = self.now();
            let mut tx = self.store().write().await?;
            match outcome {
                Ok(()) => {
                    tx.mark_webhook(hook.id, now.timestamp(), None, None).await?;
                    report.sent += 1;
                }
                Err((error, permanent)) => match after_failure(hook.attempts + 1, permanent, now.timestamp())
                {
                    AfterFailure::RetryAt(at) => {
                        tx.mark_webhook(hook.id, now.timestamp(), Some(&error), Some(at)).await?;
                        report.failed += 1;
                        tracing::warn!(id = hook.id, %error, "webhook not delivered; will retry");
                    }
                    AfterFailure::GiveUp => {
                        tx.mark_webhook(hook.id, now.timestamp(), Some(&error), None).await?;
                        report.gave_up += 1;
                        tracing::error!(id = hook.id, %error, "webhook given up");
                    }
                },
            }
            tx.commit().await?;
        }
        Ok(report)
    }
}
