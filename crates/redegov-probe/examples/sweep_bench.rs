//! Sweep benchmark: one ICMP echo to each of the 65,534 addresses of
//! 127.1.0.0/16 with `Prober::sweep_with`, each result fed to that
//! address's outage detector (`redegov_domain::monitor::LinkDetector`) as it
//! arrives, timed, against
//! `fping -q -s -i 0 -r 0 -g 127.1.0.0/16` in the same run (`-s` only adds
//! the summary the reply count is read from). Both sides alternate, several
//! rounds; wall times and replies are printed per round.
//!
//! Needs root (raw sockets) or `net.ipv4.ping_group_range` covering the user,
//! and Debian's fping (`apt-get install -y fping`; skipped if missing):
//!
//! ```text
//! cargo run --release -p redegov-probe --example sweep_bench
//! cargo run --release -p redegov-probe --example sweep_bench -- --rounds 5 --timeout-ms 500
//! cargo run --release -p redegov-probe --example sweep_bench -- --scheduled-icmp
//! ```
//!
//! `--scheduled-icmp` gives each round's prober one scheduled ICMP target, so
//! that its surge-ping sockets are open during the sweep, as in a prober that
//! both schedules and sweeps. With raw sockets those receive a copy of every
//! packet of the sweep, which costs time; datagram sockets are unaffected.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::{Duration, Instant};

use redegov_domain::monitor::{LinkDetector, LinkState, MonitorSettings};
use redegov_domain::time::Timestamp;
use redegov_probe::{Method, Prober, ProberConfig, Target};

struct Options {
    rounds: usize,
    timeout: Duration,
    scheduled_icmp: bool,
}

fn options() -> Options {
    let mut options = Options { rounds: 3, timeout: Duration::from_millis(500), scheduled_icmp: false };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--scheduled-icmp" {
            options.scheduled_icmp = true;
            continue;
        }
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), value) {
            ("--rounds", Some(n)) => options.rounds = n as usize,
            ("--timeout-ms", Some(ms)) => options.timeout = Duration::from_millis(ms),
            _ => {
                eprintln!("usage: sweep_bench [--rounds N] [--timeout-ms MS] [--scheduled-icmp]");
                std::process::exit(2);
            }
        }
    }
    options
}

/// 127.1.0.1 ..= 127.1.255.254, as `fping -g 127.1.0.0/16` expands it.
fn addresses() -> Vec<IpAddr> {
    let network = u32::from(Ipv4Addr::new(127, 1, 0, 0));
    (1..=65_534).map(|host| IpAddr::V4(Ipv4Addr::from(network + host))).collect()
}

/// fping's wall time and its "alive" count, or why it could not run.
fn fping(timeout: Duration) -> Result<(Duration, usize), String> {
    let started = Instant::now();
    let output = Command::new("fping")
        .args(["-q", "-s", "-i", "0", "-r", "0", "-t", &timeout.as_millis().to_string()])
        .args(["-g", "127.1.0.0/16"])
        .output()
        .map_err(|err| format!("fping not runnable ({err}); apt-get install -y fping"))?;
    let elapsed = started.elapsed();
    let summary = String::from_utf8_lossy(&output.stderr);
    let alive = summary
        .lines()
        .find_map(|line| line.trim().strip_suffix(" alive").and_then(|n| n.trim().parse().ok()))
        .ok_or_else(|| format!("no summary from fping: {summary}"))?;
    Ok((elapsed, alive))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options();
    let addrs = addresses();
    let kind = Prober::new(ProberConfig::default())?.icmp_socket_kind();
    println!(
        "{} addresses, timeout {:?}, ICMP socket: {kind}{}",
        addrs.len(),
        options.timeout,
        if options.scheduled_icmp { ", scheduled-probe sockets open" } else { "" }
    );

    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 1..=options.rounds {
        // A prober per round, closed before fping runs: its raw socket
        // would otherwise receive (and pay for) every packet of fping's.
        let prober = Prober::new(ProberConfig::default())?;
        if options.scheduled_icmp {
            prober.set_targets(vec![Target {
                key: 0,
                addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
                method: Method::Icmp,
                interval: Duration::from_secs(60),
                timeout: Duration::from_secs(1),
                retries: 0,
            }])?;
        }
        let mut replied = 0usize;
        // One outage detector per address (redegov's own, from the domain
        // crate), fed each result as it arrives: the sweep's time includes
        // the state-machine updates.
        let mut detectors = vec![LinkDetector::new(); addrs.len()];
        let settings = MonitorSettings::default();
        let started = Instant::now();
        let at: Timestamp = std::time::SystemTime::now().into();
        prober
            .sweep_with(&addrs, options.timeout, |index, rtt| {
                if let Some(d) = detectors.get_mut(index) {
                    let _ = d.observe(at, rtt.is_some(), &settings);
                }
                replied += usize::from(rtt.is_some());
            })
            .await?;
        let elapsed = started.elapsed();
        // One result each: streaks started, no state confirmed yet.
        debug_assert!(detectors.iter().all(|d| d.state() == LinkState::Unknown));
        drop(prober);
        ours.push(elapsed);
        println!("round {round}: redegov-probe {:>8.3} s, {replied} replied", elapsed.as_secs_f64());

        match fping(options.timeout) {
            Ok((elapsed, alive)) => {
                theirs.push(elapsed);
                println!("round {round}: fping         {:>8.3} s, {alive} replied", elapsed.as_secs_f64());
            }
            Err(why) => println!("round {round}: fping skipped: {why}"),
        }
    }

    let median = |times: &mut Vec<Duration>| {
        times.sort_unstable();
        times.get(times.len() / 2).map(Duration::as_secs_f64)
    };
    if let (Some(ours), Some(theirs)) = (median(&mut ours), median(&mut theirs)) {
        println!(
            "median: redegov-probe {ours:.3} s, fping {theirs:.3} s (fping/ours = {:.2})",
            theirs / ours
        );
    }
    Ok(())
}
