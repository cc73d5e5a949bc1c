//! [`Prober`]: the sockets, the target set and the one scheduler task that
//! starts each due probe and reports its [`Outcome`].
//!
//! The scheduler sleeps until the earliest due probe (or until the target
//! set changes), starts every probe that is due as its own task, bounded by
//! [`ProberConfig::max_in_flight`], and goes back to sleep for at least
//! [`ProberConfig::tick`]. Probes run concurrently; the scheduler never
//! waits for one to finish.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::sleep_until;
use tracing::debug;

use crate::error::ProbeError;
use crate::icmp::{Icmp, SocketKind};
use crate::schedule::{DueProbe, Schedule};
use crate::stats::{Counters, ProbeStats};
use crate::target::{Method, Outcome, Target};
use crate::{sweep, tcp};

/// Longest interval and timeout accepted: far beyond any sensible probe,
/// and short enough that instant arithmetic can never overflow.
const LONGEST: Duration = Duration::from_secs(24 * 60 * 60);
/// Due probes taken from the timetable per lock, so that `set_targets` never
/// waits long for the scheduler.
const BATCH: usize = 1024;

#[derive(Debug, Clone)]
pub struct ProberConfig {
    /// Which ICMP socket to open.
    pub icmp_socket: SocketKind,
    /// Probes running at once (0 is taken as 1). A probe holds its place
    /// until its outcome is in the channel, so a slow reader of outcomes
    /// slows the prober down (visible as scheduling lag) instead of piling
    /// outcomes up in memory.
    pub max_in_flight: usize,
    /// The scheduler sleeps at least a tick between rounds (a change of
    /// targets wakes it early) and then starts every probe due by then, so
    /// a probe goes out up to a tick late; its `Outcome` still carries the
    /// exact slot in `scheduled`. Every wake-up costs thread switches: in a
    /// 30 s run of 100,000 targets a minute on two cores, waking for each
    /// due probe (tokio's timer rounds to 1 ms) took 10.5 % of a core, a
    /// 5 ms tick 4.5 %.
    pub tick: Duration,
}

impl Default for ProberConfig {
    fn default() -> Self {
        ProberConfig { icmp_socket: SocketKind::Auto, max_in_flight: 4096, tick: Duration::from_millis(5) }
    }
}

/// Probes a set of targets, each once per interval, and sends an
/// [`Outcome`] per probe to the channel given to [`Prober::spawn`].
///
/// Dropping the prober (or calling [`Prober::stop`]) stops the scheduler;
/// probes already started still report.
pub struct Prober {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

struct Shared {
    /// `None` when ICMP is disabled.
    icmp: Option<Icmp>,
    schedule: Mutex<Schedule>,
    /// Wakes the scheduler when the target set changes.
    targets_changed: Notify,
    permits: Arc<Semaphore>,
    tick: Duration,
    counters: Counters,
    running: AtomicBool,
}

impl Prober {
    /// Settles the ICMP socket kind (unless disabled) by opening a test
    /// socket for IPv4 (required) and IPv6 (used when the host has it). With
    /// [`SocketKind::Auto`] an unprivileged datagram socket is tried first,
    /// then a raw one; the error names the sysctl to set or the privilege to
    /// grant. The sockets that stay open for scheduled probes are opened by
    /// the first [`Prober::set_targets`] with an ICMP target; sweeps open
    /// their own. Must be called inside a tokio runtime.
    pub fn new(config: ProberConfig) -> Result<Prober, ProbeError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| ProbeError::NoRuntime)?;
        let icmp = match config.icmp_socket {
            SocketKind::Disabled => None,
            wanted => Some(Icmp::new(wanted, runtime)?),
        };
        let (stop, _) = watch::channel(false);
        let shared = Shared {
            icmp,
            schedule: Mutex::new(Schedule::default()),
            targets_changed: Notify::new(),
            permits: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            tick: config.tick,
            counters: Counters::default(),
            running: AtomicBool::new(false),
        };
        Ok(Prober { shared: Arc::new(shared), stop })
    }

    /// The ICMP socket kind in use: [`SocketKind::Raw`], [`SocketKind::Dgram`]
    /// or [`SocketKind::Disabled`].
    pub fn icmp_socket_kind(&self) -> SocketKind {
        self.shared.icmp.as_ref().map_or(SocketKind::Disabled, Icmp::kind)
    }

    /// Replaces the target set, also while running. A target whose key and
    /// interval stay keeps its place in the interval (a changed address,
    /// method, timeout or retries apply from its next probe); new targets are
    /// placed in the widest gaps. Nothing changes if any target is invalid:
    /// a repeated key, a zero or over-a-day interval or timeout, or ICMP to
    /// an address without an ICMP socket for its family; nor if the ICMP
    /// sockets, opened with the first ICMP target, cannot be opened.
    pub fn set_targets(&self, targets: Vec<Target>) -> Result<(), ProbeError> {
        self.validate(&targets)?;
        if let Some(icmp) = &self.shared.icmp
            && targets.iter().any(|t| t.method == Method::Icmp)
        {
            icmp.open_clients()?;
        }
        self.shared.schedule().replace(targets, Instant::now());
        self.shared.targets_changed.notify_one();
        Ok(())
    }

    fn validate(&self, targets: &[Target]) -> Result<(), ProbeError> {
        let mut keys = HashSet::with_capacity(targets.len());
        for target in targets {
            let key = target.key;
            if !keys.insert(key) {
                return Err(ProbeError::DuplicateKey { key });
            }
            if target.interval.is_zero() || target.interval > LONGEST {
                return Err(ProbeError::InvalidTarget {
                    key,
                    rule: "interval must be above zero, at most a day",
                });
            }
            if target.timeout.is_zero() || target.timeout > LONGEST {
                return Err(ProbeError::InvalidTarget {
                    key,
                    rule: "timeout must be above zero, at most a day",
                });
            }
            let icmp_served = self.shared.icmp.as_ref().is_some_and(|icmp| icmp.serves(target.addr));
            if target.method == Method::Icmp && !icmp_served {
                return Err(ProbeError::NoIcmpSocket { key, addr: target.addr });
            }
        }
        Ok(())
    }

    /// Starts the scheduler; it sends an [`Outcome`] per probe to `out` and
    /// runs until the prober is stopped or dropped, or `out`'s receiver is
    /// dropped. One scheduler at a time; it may be spawned again after it
    /// ended because its receiver went away, not after [`Prober::stop`].
    pub fn spawn(&self, out: mpsc::Sender<Outcome>) -> Result<JoinHandle<()>, ProbeError> {
        if self.shared.running.swap(true, Ordering::AcqRel) {
            return Err(ProbeError::AlreadyRunning);
        }
        let shared = Arc::clone(&self.shared);
        Ok(tokio::spawn(schedule_probes(shared, self.stop.subscribe(), out)))
    }

    /// Stops the scheduler for good. Probes already started still report.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Counters of the scheduled probes.
    pub fn stats(&self) -> ProbeStats {
        let targets = self.shared.schedule().len() as u64;
        ProbeStats { targets, ..self.shared.counters.snapshot() }
    }

    /// One ICMP echo to each of `addrs`, sent as fast as the kernel takes
    /// them; the round-trip time of each reply (in the order of `addrs`), or
    /// `None` for no reply within `timeout` of its request. With raw sockets
    /// a sweep runs alone: it starts once the scheduled ICMP probes in
    /// flight are done, and those due meanwhile wait for it to end.
    pub async fn sweep(
        &self,
        addrs: &[IpAddr],
        timeout: Duration,
    ) -> Result<Vec<Option<Duration>>, ProbeError> {
        self.sweep_with(addrs, timeout, |_, _| {}).await
    }

    /// [`Prober::sweep`], calling `on_result(index, rtt)` for each address as
    /// soon as its result is known (its reply, or the end of the sweep), in
    /// the order results arrive: the hook for the caller's per-target state
    /// machine. It runs on the sweeping task, between socket reads, so it
    /// should be quick.
    pub async fn sweep_with(
        &self,
        addrs: &[IpAddr],
        timeout: Duration,
        on_result: impl FnMut(usize, Option<Duration>),
    ) -> Result<Vec<Option<Duration>>, ProbeError> {
        let icmp = self.shared.icmp.as_ref().ok_or(ProbeError::IcmpDisabled)?;
        let _alone = icmp.sweep_gate().await;
        sweep::run(icmp.kind(), icmp.sweep_identifier(), addrs, timeout, on_result).await
    }
}

impl Shared {
    fn schedule(&self) -> MutexGuard<'_, Schedule> {
        // The timetable stays consistent even if a holder panicked: every
        // change to it is a single push, pop or swap.
        self.schedule.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Clears `running` when the scheduler task ends, however it ends.
struct RunningGuard(Arc<Shared>);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.0.running.store(false, Ordering::Release);
    }
}

fn stopped(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

async fn schedule_probes(shared: Arc<Shared>, mut stop: watch::Receiver<bool>, out: mpsc::Sender<Outcome>) {
    let _running = RunningGuard(Arc::clone(&shared));
    shared.schedule().start(Instant::now());
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        if stopped(&stop) || out.is_closed() {
            break;
        }
        let now = Instant::now();
        let (next_due, skipped) = shared.schedule().take_due(now, BATCH, &mut batch);
        if skipped > 0 {
            shared.counters.skipped(skipped);
            debug!(skipped, "scheduler fell more than an interval behind; slots skipped");
        }
        for probe in batch.drain(..) {
            let permit = tokio::select! {
                permit = Arc::clone(&shared.permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_closed) => return, // Never closed: the prober owns it.
                },
                _ = stop.changed() => return,
            };
            tokio::spawn(run_probe(Arc::clone(&shared), probe, permit, out.clone()));
        }
        if next_due.is_some_and(|due| due <= now) {
            continue; // More than one batch was due.
        }
        // Whatever falls due meanwhile waits for the next tick.
        let next_due = next_due.map(|due| due.max(now + shared.tick));
        tokio::select! {
            () = sleep_until_due(next_due) => {}
            () = shared.targets_changed.notified() => {}
            _ = stop.changed() => {}
            () = out.closed() => {}
        }
    }
}

async fn sleep_until_due(due: Option<Instant>) {
    match due {
        Some(due) => sleep_until(due.into()).await,
        None => std::future::pending().await,
    }
}

async fn run_probe(
    shared: Arc<Shared>,
    probe: DueProbe,
    permit: OwnedSemaphorePermit,
    out: mpsc::Sender<Outcome>,
) {
    let target = &probe.target;
    // A sweep in progress holds ICMP probes back; their lag shows it.
    let _sweep_gate = match (&shared.icmp, target.method) {
        (Some(icmp), Method::Icmp) => icmp.probe_gate().await,
        _ => None,
    };
    shared.counters.probe_started();
    let (scheduled, at) = send_times(probe.due);
    let mut attempts = 0;
    let mut rtt = None;
    while rtt.is_none() && attempts <= target.retries {
        attempts += 1;
        shared.counters.attempt_sent();
        rtt = match target.method {
            Method::Icmp => match &shared.icmp {
                Some(icmp) => icmp.echo(target.addr, target.timeout).await,
                None => None, // Ruled out by `set_targets`.
            },
            Method::Tcp { port } => tcp::connect(SocketAddr::new(target.addr, port), target.timeout).await,
        };
    }
    shared.counters.probe_finished(rtt.is_none());
    let outcome = Outcome { key: target.key, addr: target.addr, scheduled, at, rtt, attempts };
    // An error means the receiver is gone; the scheduler sees that too and
    // stops.
    let _ = out.send(outcome).await;
    drop(permit);
}

/// The wall-clock time the probe was due and the time it is sent (now),
/// both read from one pair of clock readings so that their difference is
/// the scheduling lag even if the wall clock steps meanwhile.
fn send_times(due: Instant) -> (SystemTime, SystemTime) {
    let lag = Instant::now().saturating_duration_since(due);
    let at = SystemTime::now();
    (at.checked_sub(lag).unwrap_or(at), at)
}
