//! The NOC's monitoring (DOMAIN §5): the detector engine fed by the prober,
//! the round's writes in one transaction (link states, link outages,
//! incidents opened and resolved, the operator's e-mail and webhook, gaps,
//! probe statistics), the monitoring settings, and what the NOC panel reads.
//!
//! The [`Engine`] holds one [`AccessDetector`] per watched access and turns
//! a round of probe outcomes into a [`RoundWrite`] without I/O; the runner
//! ([`crate::probing`]) probes, calls [`Engine::round`], and stores the
//! result with [`App::record_monitor_round`]. A confirmed access outage
//! opens an incident (source `monitor`, responsibility `operator` pending
//! the NOC's confirmation) whose identity is `monitor:<access>:<start ms>`,
//! so a round written twice opens one incident; the recovery resolves it
//! with the measured end.

use crate::audit::{Action, record};
use crate::mail::{Email, enqueue, network_manager_emails};
use crate::noc::{Notifier, Origin, open_detected, resolve_detected};
use crate::{App, AppError, AppResult};
use chrono::{TimeZone, Utc};
use redegov_domain::ids::*;
use redegov_domain::incident::{IncidentSource, IncidentStatus, Responsibility};
use redegov_domain::monitor::*;
use redegov_domain::role::{Actor, Role};
use redegov_domain::time::{NETWORK_TZ, Timestamp, format_local, to_network_date};
use redegov_store::Tx;
use redegov_store::incidents::NewIncident;
use redegov_store::monitor::{LinkStateRow, StatsDelta, WatchedAccess};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

pub use redegov_store::monitor::{GapRow, ProbeOverride, StateCounts, StatsRow};

/// How many shards the probe targets are leased in (access id modulo this).
pub const SHARDS: i64 = 64;

/// The probe key of an access's link: the access id times four plus the
/// link's index (an access has at most two links).
pub fn probe_key(access: AccessId, link: usize) -> u64 {
    (u64::try_from(access.0).unwrap_or(0) << 2) | (link as u64 & 3)
}

fn key_parts(key: u64) -> (AccessId, usize) {
    (AccessId(i64::try_from(key >> 2).unwrap_or(0)), (key & 3) as usize)
}

/// Milliseconds since the epoch.
pub fn epoch_ms(at: Timestamp) -> i64 {
    at.timestamp_millis()
}

/// The instant of epoch milliseconds.
pub(crate) fn from_ms(ms: i64) -> Timestamp {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn system_to_timestamp(t: SystemTime) -> Timestamp {
    Timestamp::from(t)
}

/// The start of the network's calendar day of `at`, epoch seconds.
pub fn day_bucket(at: Timestamp) -> i64 {
    let midnight = to_network_date(at).and_hms_opt(0, 0, 0).unwrap_or_default();
    NETWORK_TZ.from_local_datetime(&midnight).earliest().map(|t| t.timestamp()).unwrap_or(at.timestamp())
}

/// The start of the UTC hour of `at`, epoch seconds.
pub fn hour_bucket(at: Timestamp) -> i64 {
    at.timestamp().div_euclid(3600) * 3600
}

/// One probe's result, as the engine reads it (the prober's outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    pub key: u64,
    pub at: Timestamp,
    pub rtt: Option<Duration>,
}

impl From<&redegov_probe::Outcome> for ProbeResult {
    fn from(o: &redegov_probe::Outcome) -> ProbeResult {
        ProbeResult { key: o.key, at: system_to_timestamp(o.at), rtt: o.rtt }
    }
}

/// A link that changed state in a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkChange {
    pub access_id: AccessId,
    pub target: String,
    pub state: LinkState,
    pub since: Timestamp,
    /// The outage this change closed (`Up` after `Down`).
    pub closed: Option<(Timestamp, Timestamp)>,
}

/// What one round produced, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundWrite {
    pub links: Vec<LinkChange>,
    /// Accesses that went down, with the outage start.
    pub access_down: Vec<(AccessId, Timestamp)>,
    /// Accesses that came back, with the outage span.
    pub access_up: Vec<(AccessId, (Timestamp, Timestamp))>,
    /// Gaps started or ended, in order (a write retried with the next
    /// round's can carry both).
    pub gaps: Vec<GapChange>,
    pub stats: Vec<StatsDelta>,
}

/// A monitoring gap started or ended, with the round's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapChange {
    pub event: GapEvent,
    /// Targets probed and failed in the round.
    pub probed: usize,
    pub failed: usize,
}

impl RoundWrite {
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
            && self.access_down.is_empty()
            && self.access_up.is_empty()
            && self.gaps.is_empty()
            && self.stats.is_empty()
    }

    /// Appends a later round (a write that failed is retried with the next).
    pub fn merge(&mut self, later: RoundWrite) {
        self.links.extend(later.links);
        self.access_down.extend(later.access_down);
        self.access_up.extend(later.access_up);
        self.gaps.extend(later.gaps);
        self.stats.extend(later.stats);
    }
}

/// Probe counts accumulated in memory until they are flushed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Acc {
    sent: i64,
    lost: i64,
    min: Option<i64>,
    sum: i64,
    max: Option<i64>,
}

impl Acc {
    fn add(&mut self, rtt: Option<Duration>) {
        self.sent += 1;
        match rtt {
            None => self.lost += 1,
            Some(d) => {
                let us = i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
                self.sum = self.sum.saturating_add(us);
                self.min = Some(self.min.map_or(us, |m| m.min(us)));
                self.max = Some(self.max.map_or(us, |m| m.max(us)));
            }
        }
    }
}

/// One watched access: its targets, how they are probed, its detector.
#[derive(Debug, Clone)]
struct Watched {
    targets: Vec<IpAddr>,
    probe: Option<ProbeOverride>,
    detector: AccessDetector,
}

/// The detectors of the accesses this worker watches, and the statistics
/// not flushed yet. No I/O: the runner feeds it and stores what it returns.
#[derive(Debug)]
pub struct Engine {
    settings: MonitorSettings,
    watched: BTreeMap<AccessId, Watched>,
    gap: GapTracker,
    stats: HashMap<(u64, &'static str, i64), Acc>,
}

impl Engine {
    pub fn new(settings: MonitorSettings) -> Engine {
        Engine { settings, watched: BTreeMap::new(), gap: GapTracker::new(), stats: HashMap::new() }
    }

    pub fn settings(&self) -> &MonitorSettings {
        &self.settings
    }

    /// Replaces the settings (the detectors keep their states).
    pub fn set_settings(&mut self, settings: MonitorSettings) {
        self.settings = settings;
    }

    /// Restores the gap this worker had open when it stopped.
    pub fn restore_gap(&mut self, open_since: Option<Timestamp>) {
        self.gap = GapTracker::restore(open_since);
    }

    /// The watched set becomes `accesses`: new accesses start from their
    /// saved link states (`saved`), accesses kept keep their detectors,
    /// accesses gone are dropped (with their unflushed statistics kept).
    pub fn sync(&mut self, accesses: Vec<WatchedAccess>, saved: &[LinkStateRow]) {
        let mut by_access: HashMap<AccessId, Vec<&LinkStateRow>> = HashMap::new();
        for s in saved {
            by_access.entry(s.access_id).or_default().push(s);
        }
        let mut next = BTreeMap::new();
        for a in accesses {
            let targets: Vec<IpAddr> = a.targets.iter().filter_map(|t| t.parse().ok()).take(2).collect();
            if targets.is_empty() {
                continue;
            }
            let detector = match self.watched.remove(&a.access_id) {
                Some(w) if w.targets == targets => w.detector,
                _ => restore(&targets, by_access.get(&a.access_id).map(Vec::as_slice).unwrap_or(&[])),
            };
            next.insert(a.access_id, Watched { targets, probe: a.probe, detector });
        }
        self.watched = next;
    }

    /// How many accesses and probe targets are watched.
    pub fn size(&self) -> (usize, usize) {
        (self.watched.len(), self.watched.values().map(|w| w.targets.len()).sum())
    }

    /// The prober's targets: every link of every watched access, with its
    /// access's override or the settings' defaults (`interval` overrides
    /// the default interval, as `serve --probe-interval` does).
    pub fn targets(&self, interval: Option<Duration>) -> Vec<redegov_probe::Target> {
        let s = &self.settings;
        let mut out = Vec::with_capacity(self.size().1);
        for (access, w) in &self.watched {
            let p = w.probe.as_ref();
            let method = match p {
                Some(p) if p.method == "tcp" => redegov_probe::Method::Tcp { port: p.port.unwrap_or(80) },
                _ => redegov_probe::Method::Icmp,
            };
            let interval = p
                .and_then(|p| p.interval_ms)
                .map(|ms| Duration::from_millis(ms.into()))
                .or(interval)
                .unwrap_or_else(|| s.interval());
            let timeout = p
                .and_then(|p| p.timeout_ms)
                .map(|ms| Duration::from_millis(ms.into()))
                .unwrap_or_else(|| s.timeout())
                .min(interval / 2);
            let retries = p.and_then(|p| p.retries).unwrap_or(s.retries);
            for (link, addr) in w.targets.iter().enumerate() {
                out.push(redegov_probe::Target {
                    key: probe_key(*access, link),
                    addr: *addr,
                    method,
                    interval,
                    timeout,
                    retries,
                });
            }
        }
        out
    }

    /// The state of a watched access (for tests and the runner's log).
    pub fn access_state(&self, access: AccessId) -> Option<LinkState> {
        self.watched.get(&access).map(|w| w.detector.state())
    }

    /// Feeds one round of results (in any order) that began at `start`.
    /// A round in which too many targets failed is a monitoring gap: it
    /// confirms nothing. Statistics are accumulated either way.
    pub fn round(&mut self, start: Timestamp, mut results: Vec<ProbeResult>) -> RoundWrite {
        results.sort_by_key(|r| (r.at, r.key));
        let mut out = RoundWrite::default();
        let mut failed_keys = std::collections::HashSet::new();
        let mut probed_keys = std::collections::HashSet::new();
        for r in &results {
            if !self.watched.contains_key(&key_parts(r.key).0) {
                continue;
            }
            probed_keys.insert(r.key);
            if r.rtt.is_none() {
                failed_keys.insert(r.key);
            }
            for (period, bucket) in [("hour", hour_bucket(r.at)), ("day", day_bucket(r.at))] {
                self.stats.entry((r.key, period, bucket)).or_default().add(r.rtt);
            }
        }
        let (probed, failed) = (probed_keys.len(), failed_keys.len());
        let is_gap = round_is_gap(probed, failed, &self.settings);
        if let Some(event) = self.gap.round(start, is_gap) {
            out.gaps.push(GapChange { event, probed, failed });
        }
        if is_gap {
            for w in self.watched.values_mut() {
                w.detector.observe_gap();
            }
            return out;
        }
        for r in results {
            let (access, link) = key_parts(r.key);
            let Some(w) = self.watched.get_mut(&access) else { continue };
            let Some(addr) = w.targets.get(link) else { continue };
            let seen = w.detector.observe(link, r.at, r.rtt.is_some(), &self.settings);
            if let Some(e) = seen.link {
                out.links.push(match e {
                    LinkEvent::Down { since } => LinkChange {
                        access_id: access,
                        target: addr.to_string(),
                        state: LinkState::Down,
                        since,
                        closed: None,
                    },
                    LinkEvent::Up { since, outage } => LinkChange {
                        access_id: access,
                        target: addr.to_string(),
                        state: LinkState::Up,
                        since,
                        closed: outage,
                    },
                });
            }
            match seen.access {
                Some(AccessEvent::Down { since }) => out.access_down.push((access, since)),
                Some(AccessEvent::Up { outage: Some(span), .. }) => out.access_up.push((access, span)),
                Some(AccessEvent::Up { outage: None, .. }) | None => {}
            }
        }
        out
    }

    /// Takes the accumulated statistics out, as deltas to add.
    pub fn drain_stats(&mut self) -> Vec<StatsDelta> {
        let mut out = Vec::with_capacity(self.stats.len());
        for ((key, period, bucket), acc) in self.stats.drain() {
            let (access, link) = key_parts(key);
            let target = self
                .watched
                .get(&access)
                .and_then(|w| w.targets.get(link))
                .map(|a| a.to_string())
                .unwrap_or_else(|| format!("link{link}"));
            out.push(StatsDelta {
                access_id: access,
                target,
                period,
                bucket,
                sent: acc.sent,
                lost: acc.lost,
                rtt_min_us: acc.min,
                rtt_sum_us: acc.sum,
                rtt_max_us: acc.max,
            });
        }
        out.sort_by(|a, b| {
            (a.access_id, &a.target, a.period, a.bucket).cmp(&(b.access_id, &b.target, b.period, b.bucket))
        });
        out
    }
}

/// A detector restored from the saved states of an access's targets.
fn restore(targets: &[IpAddr], saved: &[&LinkStateRow]) -> AccessDetector {
    let links: Vec<LinkDetector> = targets
        .iter()
        .map(|t| {
            let text = t.to_string();
            match saved.iter().find(|s| s.target == text) {
                Some(s) if s.state != LinkState::Unknown => match s.since_ms {
                    Some(ms) => LinkDetector::restore(s.state, from_ms(ms)),
                    None => LinkDetector::new(),
                },
                _ => LinkDetector::new(),
            }
        })
        .collect();
    let states: Vec<(LinkState, Option<Timestamp>)> = links.iter().map(|l| (l.state(), l.since())).collect();
    let (state, since) = if states.iter().any(|(s, _)| *s == LinkState::Up) {
        let since = states.iter().filter(|(s, _)| *s == LinkState::Up).filter_map(|(_, t)| *t).min();
        (LinkState::Up, since)
    } else if states.iter().all(|(s, _)| *s == LinkState::Down) {
        (LinkState::Down, states.iter().filter_map(|(_, t)| *t).max())
    } else {
        (LinkState::Unknown, None)
    };
    match since {
        Some(since) if state != LinkState::Unknown => AccessDetector::restore(state, since, links),
        _ => AccessDetector::restore(LinkState::Unknown, Timestamp::default(), links),
    }
}

/// What a round's write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundSummary {
    pub opened: Vec<IncidentId>,
    pub resolved: Vec<IncidentId>,
}

/// The identity of the incident the monitor opens for an access outage.
pub fn monitor_origin(access: AccessId, since: Timestamp) -> String {
    format!("monitor:{}:{}", access.0, epoch_ms(since))
}

/// Epoch seconds of an outage instant, to the nearest second (incidents
/// keep seconds; the link outage keeps the milliseconds).
fn nearest_second(at: Timestamp) -> Timestamp {
    redegov_domain::time::from_epoch((at.timestamp_millis() + 500).div_euclid(1000))
}

impl App {
    /// The monitoring settings (the defaults until someone saves them).
    pub async fn monitor_settings(&self) -> AppResult<MonitorSettings> {
        let mut tx = self.store().read().await?;
        load_settings(&mut tx).await
    }

    /// Saves the monitoring settings (admin and network manager).
    pub async fn update_monitor_settings(
        &self,
        actor: &Actor,
        s: MonitorSettings,
    ) -> AppResult<MonitorSettings> {
        if !matches!(actor.role, Role::Admin | Role::NetworkManager) {
            return Err(AppError::Forbidden("change the monitoring settings"));
        }
        s.validate()?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = load_settings(&mut tx).await?;
        let doc = serde_json::to_string(&s).map_err(|e| AppError::Internal(e.to_string()))?;
        tx.save_monitor_settings(&doc, now.timestamp(), Some(actor.user_id)).await?;
        record(&mut tx, actor, now, Action::Update, "monitor_settings", None, Some(&before), Some(&s))
            .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Stores one round: link states and outages, incidents opened and
    /// resolved (with the operator's e-mail), the gap, the statistics — in
    /// one transaction. Writing the same round twice changes nothing more.
    pub async fn record_monitor_round(&self, worker: &str, w: &RoundWrite) -> AppResult<RoundSummary> {
        let now = self.now();
        let actor = Actor::system();
        let mut tx = self.store().write().await?;
        for c in &w.links {
            let since_ms = epoch_ms(c.since);
            tx.save_link_state(&LinkStateRow {
                access_id: c.access_id,
                target: c.target.clone(),
                state: c.state,
                since_ms: Some(since_ms),
                updated_ms: epoch_ms(now),
            })
            .await?;
            match (c.state, c.closed) {
                (LinkState::Down, _) => tx.open_link_outage(c.access_id, &c.target, since_ms).await?,
                (LinkState::Up, Some((_, end))) => {
                    tx.close_link_outage(c.access_id, &c.target, epoch_ms(end)).await?
                }
                _ => {}
            }
        }
        let mut summary = RoundSummary::default();
        let mut notifier = Notifier::new(self.public_url());
        for (access, since) in &w.access_down {
            if let Some(id) =
                open_outage_incident(&mut tx, &mut notifier, &actor, *access, *since, now).await?
            {
                summary.opened.push(id);
            }
        }
        for (access, (_, end)) in &w.access_up {
            if let Some(id) =
                resolve_outage_incident(&mut tx, &mut notifier, &actor, *access, *end, now).await?
            {
                summary.resolved.push(id);
            }
        }
        for gap in &w.gaps {
            let (probed, failed) = (gap.probed, gap.failed);
            match gap.event {
                GapEvent::Started { at } => {
                    tx.open_gap(worker, epoch_ms(at), probed as i64, failed as i64).await?;
                    let to = network_manager_emails(&mut tx).await?;
                    let body = format!(
                        "O monitoramento ({worker}) deixou de enxergar a rede em {}: {} de {} alvos sem resposta \
                     na mesma rodada. Até que volte, o período é registrado como lacuna de monitoramento \
                     (desconhecido), não como indisponibilidade das operadoras. Verifique a conectividade \
                     do próprio coletor.",
                        format_local(at),
                        failed,
                        probed
                    );
                    let email = Email {
                        to,
                        subject: format!("[redegov] Lacuna de monitoramento em {worker}"),
                        body_text: body,
                        link: Some(format!("{}/noc", self.public_url())),
                        kind: "monitor.gap",
                        subject_ref: Some(format!("gap:{worker}")),
                    };
                    enqueue(&mut tx, now, email).await?;
                }
                GapEvent::Ended { span: (_, end) } => tx.close_gap(worker, epoch_ms(end)).await?,
            }
        }
        tx.add_probe_stats(&w.stats).await?;
        tx.commit().await?;
        Ok(summary)
    }
}

impl App {
    /// Sets (or with `None` removes) how an access is probed: ICMP or a TCP
    /// port, and its own interval, timeout and retries. Admin and network
    /// manager; audited.
    pub async fn set_probe_override(
        &self,
        actor: &Actor,
        access: AccessId,
        probe: Option<ProbeOverride>,
    ) -> AppResult<()> {
        if !matches!(actor.role, Role::Admin | Role::NetworkManager) {
            return Err(AppError::Forbidden("change how an access is probed"));
        }
        if let Some(p) = &probe {
            check_override(p)?;
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        tx.access(access).await.map_err(AppError::not_found("access"))?;
        let before = tx.probe_override(access).await?.map(|p| OverrideRecord::of(&p));
        tx.save_probe_override(access, probe.as_ref()).await?;
        let after = probe.as_ref().map(OverrideRecord::of);
        record(
            &mut tx,
            actor,
            now,
            Action::Update,
            "probe_override",
            Some(access.0),
            before.as_ref(),
            after.as_ref(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What the audit log keeps of a probe override.
#[derive(serde::Serialize)]
struct OverrideRecord {
    method: String,
    port: Option<u16>,
    interval_ms: Option<u32>,
    timeout_ms: Option<u32>,
    retries: Option<u32>,
}

impl OverrideRecord {
    fn of(p: &ProbeOverride) -> OverrideRecord {
        OverrideRecord {
            method: p.method.clone(),
            port: p.port,
            interval_ms: p.interval_ms,
            timeout_ms: p.timeout_ms,
            retries: p.retries,
        }
    }
}

/// A probe override's rules: the method, a port for TCP, and the same
/// bounds as the settings' defaults.
fn check_override(p: &ProbeOverride) -> AppResult<()> {
    use redegov_domain::error::{FieldError, Rule};
    match (p.method.as_str(), p.port) {
        ("icmp", _) => {}
        ("tcp", Some(port)) if port > 0 => {}
        ("tcp", _) => return Err(FieldError::new("port", Rule::OutOfRange { min: 1, max: 65_535 }).into()),
        _ => return Err(FieldError::new("method", Rule::OneOf(&["icmp", "tcp"])).into()),
    }
    let defaults = MonitorSettings::default();
    let settings = MonitorSettings {
        interval_ms: p.interval_ms.unwrap_or(defaults.interval_ms),
        timeout_ms: p
            .timeout_ms
            .unwrap_or(defaults.timeout_ms.min(p.interval_ms.unwrap_or(u32::MAX) / 2).max(1)),
        retries: p.retries.unwrap_or(0),
        ..defaults
    };
    settings.validate()?;
    Ok(())
}

impl App {
    /// Deletes monitoring data past its retention (settings): hourly and
    /// daily statistics, ended link outages and gaps. Returns the rows
    /// deleted. Run daily by the job loop.
    pub async fn prune_monitoring(&self) -> AppResult<u64> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let s = load_settings(&mut tx).await?;
        let days = |d: u32| now.timestamp() - i64::from(d) * 86_400;
        let n = tx
            .prune_monitoring(
                days(s.hourly_stats_retention_days),
                days(s.daily_stats_retention_days),
                days(s.link_outage_retention_days) * 1000,
            )
            .await?;
        tx.commit().await?;
        Ok(n)
    }
}

pub(crate) async fn load_settings(tx: &mut Tx) -> AppResult<MonitorSettings> {
    match tx.monitor_settings().await? {
        None => Ok(MonitorSettings::default()),
        Some(doc) => {
            serde_json::from_str(&doc).map_err(|e| AppError::Internal(format!("monitor settings: {e}")))
        }
    }
}

/// Opens the incident of an access outage, once per outage.
async fn open_outage_incident(
    tx: &mut Tx,
    notifier: &mut Notifier<'_>,
    actor: &Actor,
    access: AccessId,
    since: Timestamp,
    now: Timestamp,
) -> AppResult<Option<IncidentId>> {
    let new = NewIncident {
        access_id: access,
        probe_target: None,
        started_at: nearest_second(since).min(now),
        ended_at: None,
        responsibility: Responsibility::Operator,
        status: IncidentStatus::Open,
        cause: "Perda de conectividade detectada pelo monitoramento".into(),
        ticket: String::new(),
        clock_stops: Vec::new(),
        notes: "Aberto automaticamente; responsabilidade da operadora a confirmar pelo NOC.".into(),
        source: IncidentSource::Monitor,
    };
    let opened =
        open_detected(tx, notifier, actor, new, Origin::Maybe(&monitor_origin(access, since)), now).await?;
    Ok(opened.filter(|(_, new)| *new).map(|(id, _)| id))
}

/// Resolves the open monitor incident of an access at `end`.
async fn resolve_outage_incident(
    tx: &mut Tx,
    notifier: &mut Notifier<'_>,
    actor: &Actor,
    access: AccessId,
    end: Timestamp,
    now: Timestamp,
) -> AppResult<Option<IncidentId>> {
    let Some(id) = tx.open_monitor_incident(access).await? else { return Ok(None) };
    Ok(resolve_detected(tx, notifier, actor, id, nearest_second(end), now).await?.then_some(id))
}
