//! Integration tests of redegov-probe against the loopback interface: real
//! sockets, real timers. ICMP tests need root or `net.ipv4.ping_group_range`;
//! without either they print "skipped: ..." and pass, unless `CI=true`.

mod icmp;
mod schedule;
mod sweep;
mod tcp;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use redegov_probe::{Method, Outcome, ProbeError, Prober, ProberConfig, SocketKind, Target};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A prober with ICMP, or `None` after printing why this machine allows no
/// ICMP socket. Under `CI=true` a missing ICMP socket fails the test.
pub fn icmp_prober() -> Option<Prober> {
    match Prober::new(ProberConfig::default()) {
        Ok(prober) => Some(prober),
        Err(err @ ProbeError::IcmpUnavailable { .. }) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "ICMP is required under CI=true: {err}");
            // Written to stderr directly, past the test harness's capture, so
            // that the skip shows in a plain `cargo test`.
            let _ = writeln!(std::io::stderr(), "skipped: {err}");
            None
        }
        Err(err) => panic!("unexpected error opening the prober: {err}"),
    }
}

/// A prober without ICMP, for TCP and scheduling tests that need no privilege.
pub fn tcp_prober() -> Prober {
    Prober::new(ProberConfig { icmp_socket: SocketKind::Disabled, ..ProberConfig::default() })
        .expect("a prober without ICMP needs no privilege")
}

pub fn loopback(a: u8, b: u8, c: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, a, b, c))
}

pub fn target(key: u64, addr: IpAddr, method: Method, interval: Duration) -> Target {
    Target { key, addr, method, interval, timeout: Duration::from_millis(500), retries: 0 }
}

/// A listener on 127.0.0.1 that accepts and drops every connection.
pub async fn accepting_listener() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            drop(stream);
        }
    });
    (addr, task)
}

/// A local port nothing listens on: bound, then released.
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
    listener.local_addr().expect("local address").port()
}

/// Every outcome that arrives within `span`.
pub async fn collect_for(rx: &mut mpsc::Receiver<Outcome>, span: Duration) -> Vec<Outcome> {
    let deadline = Instant::now() + span;
    let mut outcomes = Vec::new();
    while let Ok(Some(outcome)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        outcomes.push(outcome);
    }
    outcomes
}

/// Outcomes until one for each of `keys` arrived (or `limit` passed).
pub async fn collect_until_each(
    rx: &mut mpsc::Receiver<Outcome>,
    keys: &[u64],
    limit: Duration,
) -> Vec<Outcome> {
    let deadline = Instant::now() + limit;
    let mut outcomes: Vec<Outcome> = Vec::new();
    while !keys.iter().all(|k| outcomes.iter().any(|o| o.key == *k)) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(outcome)) => outcomes.push(outcome),
            _ => break,
        }
    }
    outcomes
}

/// `time` as an offset from `origin`, in microseconds (negative if before).
pub fn micros_since(origin: SystemTime, time: SystemTime) -> i64 {
    match time.duration_since(origin) {
        Ok(after) => after.as_micros() as i64,
        Err(before) => -(before.duration().as_micros() as i64),
    }
}
