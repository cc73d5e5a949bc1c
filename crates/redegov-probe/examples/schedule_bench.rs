//! Scheduler benchmark: N targets on loopback addresses from 127.2.0.1 up,
//! each probed once per interval, for a while; reports the scheduling lag
//! (p50/p99/max of `Outcome::lag`), probes sent and lost, the average CPU of
//! the whole process as a percentage of one core (utime + stime from
//! /proc/self/stat) and its peak RSS (VmHWM from /proc/self/status).
//! Goals: lag p99 < 1 s, CPU < 15 % of one core, peak RSS < 300 MiB.
//!
//! Needs root (raw sockets) or `net.ipv4.ping_group_range` covering the user
//! (or `--method tcp`, which connects to a local listener instead):
//!
//! ```text
//! cargo run --release -p redegov-probe --example schedule_bench -- --minutes 2
//! cargo run --release -p redegov-probe --example schedule_bench -- \
//!     --targets 100000 --interval-secs 60 --minutes 10 --method icmp
//! ```

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use redegov_probe::{Method, Outcome, Prober, ProberConfig, SocketKind, Target};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

struct Options {
    targets: u32,
    interval: Duration,
    duration: Duration,
    tcp: bool,
    timeout: Duration,
}

fn options() -> Options {
    let mut options = Options {
        targets: 100_000,
        interval: Duration::from_secs(60),
        duration: Duration::from_secs(600),
        tcp: false,
        timeout: Duration::from_secs(1),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        let number = value.parse::<f64>().ok().filter(|n| *n > 0.0);
        match (flag.as_str(), number, value.as_str()) {
            ("--targets", Some(n), _) => options.targets = n as u32,
            ("--interval-secs", Some(s), _) => options.interval = Duration::from_secs_f64(s),
            ("--minutes", Some(m), _) => options.duration = Duration::from_secs_f64(m * 60.0),
            ("--timeout-ms", Some(ms), _) => options.timeout = Duration::from_secs_f64(ms / 1000.0),
            ("--method", _, "icmp") => options.tcp = false,
            ("--method", _, "tcp") => options.tcp = true,
            _ => {
                eprintln!(
                    "usage: schedule_bench [--targets N] [--interval-secs S] [--minutes M] \
                     [--timeout-ms MS] [--method icmp|tcp]"
                );
                std::process::exit(2);
            }
        }
    }
    options
}

/// Lags in 10 µs steps up to 100 ms, then 1 ms steps up to 10 s: enough
/// precision for percentiles, a fixed 160 KiB whatever the run length.
struct LagHistogram {
    fine: Vec<u64>,
    coarse: Vec<u64>,
    over: u64,
    max: Duration,
    count: u64,
}

impl LagHistogram {
    fn new() -> Self {
        LagHistogram {
            fine: vec![0; 10_000],
            coarse: vec![0; 10_000],
            over: 0,
            max: Duration::ZERO,
            count: 0,
        }
    }

    fn record(&mut self, lag: Duration) {
        let micros = lag.as_micros() as usize;
        match micros {
            0..100_000 => self.fine[micros / 10] += 1,
            100_000..10_000_000 => self.coarse[micros / 1000] += 1,
            _ => self.over += 1,
        }
        self.max = self.max.max(lag);
        self.count += 1;
    }

    /// The upper bound of the bucket holding the `p`-th fraction.
    fn percentile(&self, p: f64) -> Duration {
        let rank = ((self.count as f64) * p).ceil().max(1.0) as u64;
        let mut seen = 0;
        let buckets = self.fine.iter().enumerate().map(|(i, n)| ((i as u64 + 1) * 10, n));
        let buckets = buckets.chain(self.coarse.iter().enumerate().map(|(i, n)| ((i as u64 + 1) * 1000, n)));
        for (upper_micros, n) in buckets {
            seen += n;
            if seen >= rank {
                return Duration::from_micros(upper_micros).min(self.max);
            }
        }
        self.max
    }
}

/// utime + stime of this process, from /proc/self/stat (in USER_HZ = 1/100 s
/// ticks, fixed by the kernel ABI).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are the 14th and 15th fields; 12th and 13th after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Peak resident set size (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options();
    let config = ProberConfig {
        icmp_socket: if options.tcp { SocketKind::Disabled } else { SocketKind::Auto },
        ..ProberConfig::default()
    };
    let prober = Prober::new(config)?;

    let method = if options.tcp {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                drop(stream);
            }
        });
        Method::Tcp { port }
    } else {
        Method::Icmp
    };
    let first = u32::from(Ipv4Addr::new(127, 2, 0, 1));
    let targets: Vec<Target> = (0..options.targets)
        .map(|i| Target {
            key: u64::from(i),
            // TCP goes to the one listener; ICMP to a distinct address each.
            addr: if options.tcp {
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            } else {
                IpAddr::V4(Ipv4Addr::from(first + i))
            },
            method,
            interval: options.interval,
            timeout: options.timeout,
            retries: 1,
        })
        .collect();
    let last = Ipv4Addr::from(first + options.targets.saturating_sub(1));
    println!(
        "{} targets ({}, ICMP socket {}), 127.2.0.1 ..= {last}, interval {:?}, running {:?}",
        options.targets,
        if options.tcp { "tcp" } else { "icmp" },
        prober.icmp_socket_kind(),
        options.interval,
        options.duration,
    );
    prober.set_targets(targets)?;

    let (tx, mut rx) = mpsc::channel::<Outcome>(8192);
    let cpu_before = cpu_time();
    let started = Instant::now();
    let scheduler = prober.spawn(tx)?;

    // The reader of outcomes, as the real caller would have it: a task of its
    // own on the runtime's workers.
    let reader = tokio::spawn(async move {
        let mut lags = LagHistogram::new();
        let mut lost = 0u64;
        let end = tokio::time::Instant::now() + options.duration;
        let mut report = tokio::time::interval(options.interval.min(Duration::from_secs(60)));
        report.tick().await;
        loop {
            tokio::select! {
                outcome = rx.recv() => match outcome {
                    Some(outcome) => {
                        lags.record(outcome.lag());
                        lost += u64::from(outcome.is_lost());
                    }
                    None => break,
                },
                _ = report.tick() => {
                    let elapsed = started.elapsed();
                    let cpu = (cpu_time() - cpu_before).as_secs_f64() / elapsed.as_secs_f64() * 100.0;
                    println!(
                        "{:>6.0} s: {} outcomes, {lost} lost, lag p99 {:?}, CPU {cpu:.1} %",
                        elapsed.as_secs_f64(),
                        lags.count,
                        lags.percentile(0.99),
                    );
                }
                () = tokio::time::sleep_until(end) => break,
            }
        }
        (lags, lost)
    });
    let (lags, lost) = reader.await?;
    let elapsed = started.elapsed();
    let cpu = cpu_time() - cpu_before;
    prober.stop();
    let _ = scheduler.await;

    let stats = prober.stats();
    let cpu_percent = cpu.as_secs_f64() / elapsed.as_secs_f64() * 100.0;
    let peak_mib = peak_rss_kib() as f64 / 1024.0;
    let (p50, p99, max) = (lags.percentile(0.5), lags.percentile(0.99), lags.max);
    let expected = options.targets as f64 * elapsed.as_secs_f64() / options.interval.as_secs_f64();
    println!("ran {:.1} s", elapsed.as_secs_f64());
    println!(
        "probes: {} sent ({} attempts; about {expected:.0} expected), {} lost; {} outcomes received, {lost} lost",
        stats.probes, stats.attempts, stats.lost, lags.count
    );
    println!("scheduling lag: p50 {p50:?}, p99 {p99:?}, max {max:?}");
    println!(
        "CPU: {cpu_percent:.2} % of one core ({:.2} s over {:.1} s)",
        cpu.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!("peak RSS: {peak_mib:.1} MiB");
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!(
        "goals: lag p99 < 1 s {}, CPU < 15 % {}, RSS < 300 MiB {}",
        verdict(p99 < Duration::from_secs(1)),
        verdict(cpu_percent < 15.0),
        verdict(peak_mib < 300.0),
    );
    Ok(())
}
