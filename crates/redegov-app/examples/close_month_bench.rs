//! End-to-end speed of `App::close_month` (issue #3's target: 100,000
//! accesses and 1,000,000 incidents read, measured and stored as a snapshot
//! in under 20 s on SQLite; PostgreSQL measured too).
//!
//! ```sh
//! scripts/bench_close_month.sh [sqlite|postgres|both]
//! cargo run --release -p redegov-app --example close_month_bench -- --backend sqlite
//! ```
//!
//! The parent process creates a fresh database (a temporary SQLite file, or a
//! fresh schema in `TEST_DATABASE_URL`'s PostgreSQL, both through
//! `redegov_test_support::TestDb`) and fills it deterministically (a
//! fixed-seed generator) through the store's batched inserts; generation is
//! timed and reported apart. The data: the demo network (12 lots, 2,371
//! sites), grown to `--accesses` accesses billable in October 2026 by
//! copying its accesses (same site, lot and price; one in fifty goes live
//! during the month, one in ninety-seven is deactivated during it);
//! `--incidents` incidents in the month on random accesses, up to 8 h long,
//! 90 % the operator's, one in ten with a clock stop, one in 200 still
//! open, two in three of a redundant access's on one link, inserted in
//! start order like a monitor reports them; 2,000 approved windows on single
//! accesses plus one on every fourth lot; and on a third of the lots a
//! stricter rules version from 1 October and another from 1 November.
//!
//! The closing itself runs in a child process (this same executable with
//! `--close URL`, which also closes the month of any database given), so
//! its peak RSS (`VmHWM`) is the closing's alone and not the generator's. It reports the time of each stage the closing announces
//! through its progress callback, the total, and the peak RSS. Set
//! `BENCH_CLOSE_WRAPPER` (e.g. `perf record -o perf.data --`) to run the
//! closing process under a profiler.
//!
//! Not a test: it asserts nothing beyond "the closing succeeded"; the
//! figures go to BENCHMARKS.md.

use redegov_app::{Actor, App, AppResult, LineFilter};
use redegov_domain::imr::ImrRules;
use redegov_domain::incident::{IncidentSource, IncidentStatus, Responsibility, WindowStatus, WindowTarget};
use redegov_domain::inventory::{AccessStatus, NewAccess, Redundancy};
use redegov_domain::measure::{Month, Span, month_bounds};
use redegov_domain::time::from_epoch;
use redegov_store::Store;
use redegov_store::incidents::{NewIncident, NewWindow};
use redegov_test_support::{FakeClock, TestDb};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, ExitCode};
use std::sync::Mutex;
use std::time::Instant;

/// The month measured, and a clock a day after it ends.
const MONTH: Month = Month { year: 2026, month: 10 };
const NOW: &str = "2026-11-02T09:00:00-03:00";
/// Incidents per `insert_incidents` call (bounds the generator's memory).
const INCIDENT_BATCH: usize = 20_000;

struct Rng(u64);

impl Rng {
    /// splitmix64, like the domain's measure_bench.
    fn below(&mut self, n: i64) -> i64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n.max(1) as u64) as i64
    }
}

struct Args {
    backend: String,
    accesses: usize,
    incidents: usize,
    close: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { backend: "sqlite".into(), accesses: 100_000, incidents: 1_000_000, close: None };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--backend" => args.backend = value()?,
            "--accesses" => args.accesses = value()?.parse().map_err(|e| format!("--accesses: {e}"))?,
            "--incidents" => args.incidents = value()?.parse().map_err(|e| format!("--incidents: {e}"))?,
            "--close" => args.close = Some(value()?),
            "-h" | "--help" => {
                return Err("usage: close_month_bench [--backend sqlite|postgres] [--accesses N] \
                            [--incidents N]"
                    .into());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !matches!(args.backend.as_str(), "sqlite" | "postgres") {
        return Err(format!("--backend must be sqlite or postgres, not {:?}", args.backend));
    }
    Ok(args)
}

/// The peak resident set size of this process, from /proc (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match &args.close {
        Some(url) => rt.block_on(close(url)),
        None => rt.block_on(run(&args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Parent: fresh database, data, then the closing in a child process.
async fn run(args: &Args) -> Result<(), String> {
    let db = match args.backend.as_str() {
        "postgres" => {
            if std::env::var("TEST_DATABASE_URL").is_err() {
                return Err("--backend postgres needs TEST_DATABASE_URL (scripts/bench_close_month.sh \
                            defaults it to postgres://postgres@127.0.0.1:5432/test)"
                    .into());
            }
            TestDb::postgres().await.ok_or("PostgreSQL is not available")?
        }
        _ => TestDb::sqlite().await,
    };
    println!("backend: {}", db.backend.name());
    let store = db.store().await;
    let app = App::new(store.clone(), FakeClock::at(NOW));
    let started = Instant::now();
    let generated = generate(&app, args.accesses, args.incidents).await.map_err(|e| e.to_string())?;
    println!(
        "data generation (not counted): {:.1} s — {} accesses billable in {MONTH}, {} incidents \
         overlapping it, {} approved windows, {} rules versions; generator peak RSS {:.0} MiB",
        started.elapsed().as_secs_f64(),
        generated.accesses,
        generated.incidents,
        generated.windows,
        generated.rules,
        peak_rss_mib().unwrap_or(0.0),
    );
    store.close().await;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // BENCH_CLOSE_WRAPPER="perf record -o perf.data --" profiles the closing alone.
    let wrapper = std::env::var("BENCH_CLOSE_WRAPPER").unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    let mut child = match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let status = child.arg("--close").arg(&db.url).status().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("the closing process failed: {status}"));
    }
    Ok(())
}

struct Generated {
    accesses: usize,
    incidents: i64,
    windows: usize,
    rules: usize,
}

/// The demo network grown to `accesses` accesses, plus `incidents` incidents
/// in [`MONTH`], windows and rules, in one transaction per part.
async fn generate(app: &App, accesses: usize, incidents: usize) -> AppResult<Generated> {
    app.load_demo().await?;
    let now = app.now();
    let span = month_bounds(MONTH);
    let mut rng = Rng(2026);
    let mut tx = app.store().write().await?;
    let demo = tx.accesses_billable_in(span).await?;
    // New accesses copy a demo access (site, lot, service, price: all valid
    // together) with probe targets of their own in 100.64.0.0/10.
    let mut news = Vec::with_capacity(accesses.saturating_sub(demo.len()));
    let mut next_ip = u32::from(Ipv4Addr::new(100, 64, 0, 1));
    for i in 0..accesses.saturating_sub(demo.len()) {
        let a = &demo[i % demo.len()].access;
        let mut probe_targets = Vec::new();
        for _ in 0..a.probe_targets.len().max(1) {
            probe_targets.push(IpAddr::V4(Ipv4Addr::from(next_ip)));
            next_ip += 1;
        }
        // One in fifty goes live during the month.
        let activated_at = if i % 50 == 0 {
            from_epoch(span.start + rng.below(span.seconds()))
        } else {
            from_epoch(span.start - 30 * 86_400 - rng.below(300 * 86_400))
        };
        news.push(NewAccess {
            site_id: a.site_id,
            lot_id: a.lot_id,
            profile: a.profile,
            service: a.service.clone(),
            bandwidth_mbps: a.bandwidth_mbps,
            redundancy: a.redundancy,
            technology: a.technology,
            status: AccessStatus::Active,
            requested_at: from_epoch(activated_at.timestamp() - 20 * 86_400),
            activated_at: Some(activated_at),
            monthly_price: a.monthly_price,
            price_overridden: false,
            probe_targets,
        });
    }
    let mut added = tx.insert_accesses(&news).await?;
    drop(news);
    // One in ninety-seven is deactivated during the month.
    for a in added.iter_mut().step_by(97) {
        let at = from_epoch(span.start.max(a.activated_at.map_or(0, |t| t.timestamp())) + 3_600);
        a.transition(AccessStatus::Deactivated, at)?;
        tx.update_access(a).await?;
    }
    drop(added);
    let all = tx.accesses_billable_in(span).await?;
    // A second rules version from the month's first day on a third of the
    // lots (stricter: 99.8 %), and one from November (not used for October).
    let mut lots: Vec<_> = all.iter().map(|m| m.access.lot_id).collect();
    lots.sort_unstable();
    lots.dedup();
    let strict = ImrRules {
        availability_target: ImrRules::default()
            .availability_target
            .into_iter()
            .map(|(p, _)| (p, 998_000))
            .collect(),
        ..ImrRules::default()
    };
    let json = |r: &ImrRules| serde_json::to_string(r).unwrap_or_default();
    let mut rules = 0;
    for lot in lots.iter().step_by(3) {
        tx.put_rules(*lot, "2026-10-01".parse().unwrap_or_default(), &json(&strict), now).await?;
        tx.put_rules(*lot, "2026-11-01".parse().unwrap_or_default(), &json(&ImrRules::default()), now)
            .await?;
        rules += 2;
    }
    // Approved windows: 2,000 on single accesses, two hours each, and a
    // night-long one on every fourth lot.
    let mut windows = Vec::new();
    for _ in 0..2_000 {
        let m = &all[rng.below(all.len() as i64) as usize];
        let start = span.start + rng.below(span.seconds() - 7_200);
        windows.push((WindowTarget::Access(m.access.id), start, start + 7_200));
    }
    for lot in lots.iter().step_by(4) {
        let start = span.start + 14 * 86_400 + 2 * 3_600;
        windows.push((WindowTarget::Lot(*lot), start, start + 4 * 3_600));
    }
    for &(target, start, end) in &windows {
        let mut w = tx
            .insert_window(&NewWindow {
                target,
                starts_at: from_epoch(start),
                ends_at: from_epoch(end),
                announced_at: from_epoch(start - 72 * 3_600),
                description: "manutenção programada".into(),
                created_by: None,
            })
            .await?;
        w.status = WindowStatus::Approved;
        w.decided_at = Some(from_epoch(start - 48 * 3_600));
        tx.decide_window(&w).await?;
    }
    tx.commit().await?;

    // Incidents, in the order a monitor reports them (by start time).
    let mut planned: Vec<NewIncident> = Vec::with_capacity(incidents);
    let causes = ["Rompimento de fibra óptica", "Falha no CPE", "Queda de energia na estação"];
    for n in 0..incidents {
        let m = &all[rng.below(all.len() as i64) as usize];
        let a = &m.access;
        let start = span.start - 3_600 + rng.below(span.seconds());
        let len = 60 + rng.below(8 * 3_600);
        let redundant = a.redundancy != Redundancy::None && a.probe_targets.len() > 1;
        let probe_target = if redundant && rng.below(3) > 0 {
            Some(a.probe_targets[rng.below(a.probe_targets.len() as i64) as usize])
        } else {
            None
        };
        let responsibility = match rng.below(20) {
            0 => Responsibility::Agency,
            1 => Responsibility::ThirdParty,
            _ => Responsibility::Operator,
        };
        // One in 200 is still open when the month is closed.
        let ended_at = (n % 200 != 0).then(|| from_epoch(start + len));
        let clock_stops =
            if rng.below(10) == 0 { vec![Span::new(start + len / 4, start + len / 2)] } else { vec![] };
        planned.push(NewIncident {
            access_id: a.id,
            probe_target,
            started_at: from_epoch(start),
            ended_at,
            responsibility,
            status: if ended_at.is_some() { IncidentStatus::Resolved } else { IncidentStatus::Open },
            cause: causes[n % causes.len()].into(),
            ticket: format!("OP-{:07}", n),
            clock_stops,
            notes: String::new(),
            source: IncidentSource::Monitor,
        });
    }
    planned.sort_by_key(|i| i.started_at);
    let mut tx = app.store().write().await?;
    for chunk in planned.chunks(INCIDENT_BATCH) {
        tx.insert_incidents(chunk, now).await?;
    }
    tx.commit().await?;
    drop(planned);
    let mut tx = app.store().read().await?;
    Ok(Generated {
        accesses: all.len(),
        incidents: tx.incidents_overlapping(span).await?.len() as i64,
        windows: windows.len(),
        rules,
    })
}

/// Child: the timed closing, stage by stage.
async fn close(url: &str) -> Result<(), String> {
    let store = Store::connect(url).await.map_err(|e| e.to_string())?;
    let app = App::new(store, FakeClock::at(NOW));
    let before = peak_rss_mib().unwrap_or(0.0);
    let stages: Mutex<Vec<(String, Instant)>> = Mutex::new(Vec::new());
    let progress = |stage: &str, _done: usize, _total: usize| {
        let mut s = stages.lock().unwrap_or_else(|e| e.into_inner());
        if s.last().is_none_or(|(last, _)| last != stage) {
            s.push((stage.to_string(), Instant::now()));
        }
    };
    let started = Instant::now();
    let closing = app.close_month(&Actor::system(), MONTH, &progress).await.map_err(|e| e.to_string())?;
    let total = started.elapsed();
    let peak = peak_rss_mib().unwrap_or(0.0);
    let stages = stages.into_inner().unwrap_or_else(|e| e.into_inner());
    println!("close_month {MONTH}: {} lines, net {}", closing.accesses, closing.net.format_brl());
    let mut marks: Vec<Instant> = stages.iter().map(|(_, t)| *t).collect();
    marks.push(started + total);
    if let Some((_, first)) = stages.first() {
        println!("  {:<48} {:>8.3} s", "(before the first stage)", (*first - started).as_secs_f64());
    }
    for (i, (name, at)) in stages.iter().enumerate() {
        println!("  {:<48} {:>8.3} s", name, (marks[i + 1] - *at).as_secs_f64());
    }
    println!("  {:<48} {:>8.3} s", "total", total.as_secs_f64());
    println!("peak RSS of the closing process: {peak:.0} MiB (after connecting: {before:.0} MiB)");
    let stored =
        app.month_results(&Actor::system(), MONTH, LineFilter::default()).await.map_err(|e| e.to_string())?;
    let repair = stored.breaches.iter().filter(|b| b.kind == "repair_time").count();
    println!(
        "stored: {} lines, {} breaches ({} availability, {repair} repair time)",
        stored.lines.len(),
        stored.breaches.len(),
        stored.breaches.len() - repair
    );
    Ok(())
}
