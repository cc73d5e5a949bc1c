//! The monitor's runner: the built-in prober ([`redegov_probe`]) feeding the
//! detector [`Engine`], one round per interval, in `redegov serve` or in a
//! separate `redegov probe` worker.
//!
//! Every round the runner (1) takes the outcomes that arrived, (2) has the
//! engine turn them into a [`RoundWrite`], (3) stores it with
//! [`App::record_monitor_round`] (a write that fails is kept and merged into
//! the next round's), (4) renews its heartbeat and balances its shard leases
//! — each worker holds about `SHARDS / live workers` shards, a dead
//! worker's leases expire after 1.5 intervals and the others take its
//! shards at their next round, so its targets are watched again within two
//! intervals —, and (5) when its shards changed, or every few rounds,
//! reloads the watched accesses and gives the prober its new targets.
//! Statistics are flushed every five minutes and when the runner stops.
//! Changed settings are read with the watched set; a new default interval
//! paces the rounds from the runner's next start (its probes at once).
//!
//! Outcome instants come from the prober (the wall clock at the probe);
//! a round starts at the earliest schedule among its outcomes. Heartbeats
//! and leases use the app's clock to the millisecond (`App::now_precise`):
//! they are a fraction of an interval.

use crate::monitor::{Engine, ProbeResult, RoundWrite, SHARDS, epoch_ms, from_ms as ms};
use crate::{App, AppError, AppResult};
use redegov_domain::monitor::MonitorSettings;
use redegov_domain::time::Timestamp;
use redegov_probe::{Outcome, Prober, ProberConfig, SocketKind};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How often accumulated probe statistics are written.
const STATS_FLUSH: Duration = Duration::from_secs(300);
/// The watched set is reloaded at least every this many rounds (new
/// accesses, changed targets), besides whenever the leased shards change.
const RELOAD_EVERY_ROUNDS: u64 = 10;

/// How a monitor runs.
#[derive(Debug, Clone)]
pub struct MonitorOptions {
    /// This worker's name (unique among the workers on one database).
    pub worker: String,
    /// Overrides the settings' default probe interval (`--probe-interval`).
    pub interval: Option<Duration>,
    pub icmp_socket: SocketKind,
}

/// A running monitor; [`MonitorHandle::stop`] ends it cleanly (statistics
/// flushed, leases given back).
pub struct MonitorHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl MonitorHandle {
    pub async fn stop(self) {
        self.stop.send_replace(true);
        let _ = self.task.await;
    }

    /// Ends the task at once, as a crash would: no flush, leases left to expire.
    pub fn abort(self) {
        self.task.abort();
    }
}

/// Starts the monitor on `app`. Fails when the prober cannot open its ICMP
/// socket (the error says which sysctl or privilege is missing).
pub fn start_monitor(app: App, options: MonitorOptions) -> AppResult<MonitorHandle> {
    let prober = Prober::new(ProberConfig { icmp_socket: options.icmp_socket, ..ProberConfig::default() })
        .map_err(|e| AppError::Internal(format!("prober: {e}")))?;
    tracing::info!(worker = %options.worker, icmp = %prober.icmp_socket_kind(), "monitor starting");
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        if let Err(e) = run(app, options, prober, stopped).await {
            tracing::error!(error = %e, "monitor stopped");
        }
    });
    Ok(MonitorHandle { stop, task })
}

struct Runner {
    app: App,
    options: MonitorOptions,
    engine: Engine,
    shards: Vec<i64>,
    rounds: u64,
}

impl Runner {
    fn interval(&self) -> Duration {
        self.options.interval.unwrap_or_else(|| self.engine.settings().interval())
    }

    /// Heartbeat and leases; reloads the watched set when the shards changed
    /// or `force`. Returns whether the targets must be given to the prober.
    async fn refresh(&mut self, force: bool) -> AppResult<bool> {
        let now_ms = epoch_ms(self.app.now_precise());
        let interval_ms = i64::try_from(self.interval().as_millis()).unwrap_or(i64::MAX);
        let lease_ms = interval_ms.saturating_mul(3) / 2;
        let mut tx = self.app.store().write().await?;
        tx.heartbeat(&self.options.worker, now_ms).await?;
        tx.ensure_shards(SHARDS).await?;
        let live = tx.live_workers(now_ms - lease_ms).await?.len().max(1) as i64;
        let keep = (SHARDS + live - 1) / live;
        let shards = tx.balance_leases(&self.options.worker, now_ms, now_ms + lease_ms, keep).await?;
        let changed = shards != self.shards;
        if force {
            // Thresholds, timeouts and retries apply from here; a new
            // default interval paces the rounds from the next start.
            self.engine.set_settings(crate::monitor::load_settings(&mut tx).await?);
        }
        if changed || force {
            let watched = tx.watched_accesses(SHARDS, &shards).await?;
            let ids: Vec<_> = watched.iter().map(|w| w.access_id).collect();
            let saved = tx.link_states(Some(&ids)).await?;
            self.engine.sync(watched, &saved);
        }
        tx.commit().await?;
        if changed {
            let (accesses, targets) = self.engine.size();
            tracing::info!(worker = %self.options.worker, shards = shards.len(), accesses, targets, "monitor leases");
        }
        self.shards = shards;
        Ok(changed || force)
    }

    async fn give_back(&mut self) -> AppResult<()> {
        let now_ms = epoch_ms(self.app.now_precise());
        let mut tx = self.app.store().write().await?;
        tx.balance_leases(&self.options.worker, now_ms, now_ms, 0).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn run(
    app: App,
    options: MonitorOptions,
    prober: Prober,
    mut stopped: watch::Receiver<bool>,
) -> AppResult<()> {
    let settings: MonitorSettings = app.monitor_settings().await?;
    let mut runner =
        Runner { app: app.clone(), options, engine: Engine::new(settings), shards: Vec::new(), rounds: 0 };
    {
        let mut tx = app.store().read().await?;
        let now_ms = epoch_ms(app.now());
        let open = tx.gaps(now_ms, now_ms + 1).await?;
        let mine = open.iter().find(|g| g.worker == runner.options.worker && g.ended_ms.is_none());
        runner.engine.restore_gap(mine.map(|g| ms(g.started_ms)));
    }
    runner.refresh(true).await?;
    prober
        .set_targets(runner.engine.targets(runner.options.interval))
        .map_err(|e| AppError::Internal(format!("prober: {e}")))?;
    let (sender, mut outcomes) = mpsc::channel::<Outcome>(65_536);
    let _scheduler = prober.spawn(sender).map_err(|e| AppError::Internal(format!("prober: {e}")))?;
    let mut ticker = tokio::time::interval(runner.interval());
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    let mut pending = RoundWrite::default();
    let mut last_flush = Instant::now();
    let mut last_start: Option<Timestamp> = None;
    loop {
        let stopping = tokio::select! {
            _ = ticker.tick() => false,
            _ = stopped.changed() => true,
        };
        let mut results = Vec::new();
        while let Ok(o) = outcomes.try_recv() {
            results.push(o);
        }
        metrics(&results);
        let start = results
            .iter()
            .map(|o| Timestamp::from(o.scheduled))
            .min()
            .or(last_start.map(|t| t + runner.interval()))
            .unwrap_or_else(|| app.now());
        last_start = Some(start);
        let results: Vec<ProbeResult> = results.iter().map(ProbeResult::from).collect();
        let mut write = runner.engine.round(start, results);
        if stopping || last_flush.elapsed() >= STATS_FLUSH {
            write.stats = runner.engine.drain_stats();
            last_flush = Instant::now();
        }
        pending.merge(write);
        if !pending.is_empty() {
            match app.record_monitor_round(&runner.options.worker, &pending).await {
                Ok(summary) => {
                    for id in &summary.opened {
                        tracing::warn!(incident = id.0, "monitor: access down, incident opened");
                    }
                    for id in &summary.resolved {
                        tracing::info!(incident = id.0, "monitor: access up, incident resolved");
                    }
                    ::metrics::counter!("redegov_monitor_incidents_opened_total")
                        .increment(summary.opened.len() as u64);
                    pending = RoundWrite::default();
                }
                Err(e) => tracing::error!(error = %e, "monitor: round not stored; retried with the next"),
            }
        }
        if stopping {
            break;
        }
        runner.rounds += 1;
        let force = runner.rounds.is_multiple_of(RELOAD_EVERY_ROUNDS);
        match runner.refresh(force).await {
            Ok(true) => {
                if let Err(e) = prober.set_targets(runner.engine.targets(runner.options.interval)) {
                    tracing::error!(error = %e, "monitor: targets refused by the prober");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "monitor: leases not renewed"),
        }
        let stats = prober.stats();
        ::metrics::gauge!("redegov_probe_targets").set(stats.targets as f64);
        ::metrics::gauge!("redegov_probes_in_flight").set(stats.in_flight as f64);
    }
    prober.stop();
    runner.give_back().await?;
    tracing::info!(worker = %runner.options.worker, "monitor stopped");
    Ok(())
}

/// Probe counters and the latency histogram for `/metrics`.
fn metrics(results: &[Outcome]) {
    let lost = results.iter().filter(|o| o.rtt.is_none()).count() as u64;
    ::metrics::counter!("redegov_probes_sent_total").increment(results.len() as u64);
    ::metrics::counter!("redegov_probes_failed_total").increment(lost);
    let histogram = ::metrics::histogram!("redegov_probe_rtt_seconds");
    for o in results {
        if let Some(rtt) = o.rtt {
            histogram.record(rtt.as_secs_f64());
        }
    }
}
