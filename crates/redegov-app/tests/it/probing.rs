//! The monitor against real links: network namespaces joined to this one
//! by veth pairs stand in for CPEs (addresses in 198.18.0.0/15, routes only
//! into those veths, so no probe leaves the machine), and TCP listeners on
//! loopback. Taking a link down opens an incident within a few intervals,
//! bringing it up resolves it, and the recorded downtime matches the time
//! the link was down within one interval. Needs root and `ip netns`
//! (iproute2): skipped on a plain machine, mandatory when `CI=true`.

use super::{draft, world};
use redegov_app::probing::{MonitorOptions, start_monitor};
use redegov_app::{Actor, App, IncidentFilter, Page, SystemClock};
use redegov_domain::ids::*;
use redegov_domain::incident::IncidentStatus;
use redegov_domain::monitor::MonitorSettings;
use redegov_probe::SocketKind;
use redegov_test_support::{TestDb, on_both_backends, skip_or_fail};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const INTERVAL: Duration = Duration::from_millis(200);

on_both_backends!(links_taken_down_open_and_close_incidents, tcp_targets_follow_their_listener);

fn sh(args: &[&str]) -> bool {
    Command::new(args[0]).args(&args[1..]).status().map(|s| s.success()).unwrap_or(false)
}

/// Namespaces with one veth each: host side `198.18.<n>.1/30`, CPE side
/// `198.18.<n>.2/30`. Removed on drop.
struct Cpes {
    names: Vec<(String, String)>,
}

impl Cpes {
    /// `None` (after saying why) when namespaces cannot be made here.
    fn new(tag: &str, subnets: &[u8]) -> Option<Cpes> {
        let mut cpes = Cpes { names: Vec::new() };
        for (i, n) in subnets.iter().enumerate() {
            let ns = format!("rg{tag}{i}");
            let host = format!("rg{tag}h{i}");
            let peer = format!("rg{tag}c{i}");
            let ok = sh(&["ip", "netns", "add", &ns])
                && sh(&["ip", "link", "add", &host, "type", "veth", "peer", "name", &peer])
                && sh(&["ip", "link", "set", &peer, "netns", &ns])
                && sh(&["ip", "addr", "add", &format!("198.18.{n}.1/30"), "dev", &host])
                && sh(&["ip", "link", "set", &host, "up"])
                && sh(&["ip", "-n", &ns, "addr", "add", &format!("198.18.{n}.2/30"), "dev", &peer])
                && sh(&["ip", "-n", &ns, "link", "set", &peer, "up"])
                && sh(&["ip", "-n", &ns, "link", "set", "lo", "up"]);
            cpes.names.push((ns, host));
            if !ok {
                skip_or_fail("network namespaces (root and iproute2's `ip netns`)");
                return None;
            }
        }
        Some(cpes)
    }

    /// Takes the host side of link `i` down or up; returns when it happened.
    fn set(&self, i: usize, up: bool) -> SystemTime {
        let before = SystemTime::now();
        assert!(sh(&["ip", "link", "set", &self.names[i].1, if up { "up" } else { "down" }]));
        before
    }
}

impl Drop for Cpes {
    fn drop(&mut self) {
        for (ns, host) in &self.names {
            let _ = Command::new("ip").args(["link", "del", host]).status();
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// An app on the real clock (probe outcomes are real instants) with a
/// 200 ms probe interval in its settings.
async fn live_app(db: &TestDb) -> App {
    let app = App::new(db.store().await, Arc::new(SystemClock));
    let settings = MonitorSettings { interval_ms: 200, timeout_ms: 150, ..MonitorSettings::default() };
    app.update_monitor_settings(&Actor::system(), settings).await.expect("settings");
    app
}

async fn incidents(app: &App, access: AccessId) -> Vec<redegov_domain::incident::Incident> {
    let f = IncidentFilter { access_id: Some(access), source: Some("monitor".into()), ..Default::default() };
    let listed = app.list_incidents(&Actor::system(), f, Page::default()).await.expect("list");
    listed.items.into_iter().map(|r| r.incident).collect()
}

/// Polls `check` every 50 ms until it holds or `limit` passes.
async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

async fn links_taken_down_open_and_close_incidents(db: TestDb) {
    // Both backends run at once: subnets and names of their own.
    let (tag, base) = match db.backend {
        redegov_store::Backend::Sqlite => ("s", 10u8),
        redegov_store::Backend::Postgres => ("p", 20u8),
    };
    let tag = format!("{tag}{}", std::process::id() % 10_000);
    let Some(cpes) = Cpes::new(&tag, &[base, base + 4, base + 8]) else { return };
    let app = live_app(&db).await;
    let w = world(&app).await;
    let sys = Actor::system();
    let now = app.now();
    let mut d = draft(w.site_a, w.lot_1a, &[&format!("198.18.{base}.2")]);
    d.activated_at = Some(now - chrono::Duration::days(1));
    let single = app.create_access(&sys, d).await.expect("access").id;
    let mut d =
        draft(w.site_b, w.lot_6a, &[&format!("198.18.{}.2", base + 4), &format!("198.18.{}.2", base + 8)]);
    d.activated_at = Some(now - chrono::Duration::days(1));
    let redundant = app.create_access(&sys, d).await.expect("access").id;

    let options =
        MonitorOptions { worker: format!("test-{tag}"), interval: None, icmp_socket: SocketKind::Auto };
    let monitor = start_monitor(app.clone(), options).expect("monitor");
    let up = |a: AccessId| {
        let app = app.clone();
        async move {
            let mut tx = app.store().read().await.expect("tx");
            let states = tx.link_states(Some(&[a])).await.expect("states");
            !states.is_empty() && states.iter().all(|s| s.state == redegov_domain::monitor::LinkState::Up)
        }
    };
    assert!(eventually(Duration::from_secs(10), || up(single)).await, "the link comes up");
    assert!(eventually(Duration::from_secs(10), || up(redundant)).await, "both links come up");

    // The single link down for about two seconds.
    let down_at = cpes.set(0, false);
    assert!(
        eventually(Duration::from_secs(8), || {
            let app = app.clone();
            async move { incidents(&app, single).await.len() == 1 }
        })
        .await,
        "an incident opens within a few intervals"
    );
    let opened_after = down_at.elapsed().unwrap_or_default();
    assert!(opened_after < INTERVAL * 10, "opened after {opened_after:?}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let up_at = cpes.set(0, true);
    assert!(
        eventually(Duration::from_secs(8), || {
            let app = app.clone();
            async move { incidents(&app, single).await.iter().all(|i| i.status == IncidentStatus::Resolved) }
        })
        .await,
        "the recovery resolves it"
    );
    // The redundant access: one link down is no outage; both down is.
    cpes.set(1, false);
    tokio::time::sleep(INTERVAL * 8).await;
    assert!(incidents(&app, redundant).await.is_empty(), "one link of two down is no outage");
    cpes.set(2, false);
    assert!(
        eventually(Duration::from_secs(8), || {
            let app = app.clone();
            async move { incidents(&app, redundant).await.len() == 1 }
        })
        .await,
        "both links down: an incident"
    );
    cpes.set(1, true);
    assert!(
        eventually(Duration::from_secs(8), || {
            let app = app.clone();
            async move { incidents(&app, redundant).await.iter().all(|i| i.status == IncidentStatus::Resolved) }
        })
        .await,
        "one link back: resolved"
    );
    monitor.stop().await;

    // The recorded downtime matches the real one within one interval.
    let mut tx = app.store().read().await.expect("tx");
    let outages = tx.link_outages(single, 0, i64::MAX).await.expect("outages");
    assert_eq!(outages.len(), 1, "{outages:?}");
    let o = outages[0].1;
    let end = o.ended_ms.expect("ended");
    let slack = INTERVAL.as_millis() as i64 + 100;
    assert!((o.started_ms - ms(down_at)).abs() <= slack, "start {} vs {}", o.started_ms, ms(down_at));
    assert!((end - ms(up_at)).abs() <= slack, "end {end} vs {}", ms(up_at));
    let real = ms(up_at) - ms(down_at);
    assert!(
        ((end - o.started_ms) - real).abs() <= slack,
        "recorded {} ms, real {real} ms",
        end - o.started_ms
    );
}

async fn tcp_targets_follow_their_listener(db: TestDb) {
    let app = live_app(&db).await;
    let w = world(&app).await;
    let sys = Actor::system();
    // A listener on a loopback address of this backend's own.
    let addr = match db.backend {
        redegov_store::Backend::Sqlite => "127.77.0.1",
        redegov_store::Backend::Postgres => "127.77.0.2",
    };
    let listener = tokio::net::TcpListener::bind((addr, 0)).await.expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let accept = tokio::spawn(async move {
        loop {
            if listener.accept().await.is_err() {
                break;
            }
        }
    });
    let mut d = draft(w.site_a, w.lot_1a, &[addr]);
    d.activated_at = Some(app.now() - chrono::Duration::days(1));
    let access = app.create_access(&sys, d).await.expect("access").id;
    let probe = redegov_app::monitor::ProbeOverride {
        method: "tcp".into(),
        port: Some(port),
        interval_ms: None,
        timeout_ms: None,
        retries: None,
    };
    app.set_probe_override(&sys, access, Some(probe)).await.expect("override");
    let options =
        MonitorOptions { worker: format!("tcp-{addr}"), interval: None, icmp_socket: SocketKind::Disabled };
    let monitor = start_monitor(app.clone(), options).expect("monitor");
    tokio::time::sleep(INTERVAL * 6).await;
    assert!(incidents(&app, access).await.is_empty(), "the listener answers");
    accept.abort();
    let _ = accept.await;
    assert!(
        eventually(Duration::from_secs(8), || {
            let app = app.clone();
            async move { incidents(&app, access).await.len() == 1 }
        })
        .await,
        "a closed listener is an outage"
    );
    let listener = tokio::net::TcpListener::bind((addr, port)).await.expect("listen again");
    let accept = tokio::spawn(async move {
        loop {
            if listener.accept().await.is_err() {
                break;
            }
        }
    });
    assert!(
        eventually(Duration::from_secs(8), || {
            let app = app.clone();
            async move { incidents(&app, access).await.iter().all(|i| i.status == IncidentStatus::Resolved) }
        })
        .await,
        "the listener back resolves it"
    );
    monitor.stop().await;
    accept.abort();
}

on_both_backends!(a_dead_workers_targets_are_taken_over_within_two_intervals);

/// Two monitors share one database; one dies without a word (its task
/// aborted, as a crash); within two intervals the other holds every shard.
async fn a_dead_workers_targets_are_taken_over_within_two_intervals(db: TestDb) {
    let app = live_app(&db).await;
    let tag = match db.backend {
        redegov_store::Backend::Sqlite => "s",
        redegov_store::Backend::Postgres => "p",
    };
    let options = |name: &str| MonitorOptions {
        worker: format!("{name}-{tag}"),
        interval: None,
        icmp_socket: SocketKind::Disabled,
    };
    let holders = || {
        let app = app.clone();
        async move {
            let now = app.now_precise().timestamp_millis();
            let mut tx = app.store().read().await.expect("tx");
            tx.lease_holders(now).await.expect("leases")
        }
    };
    let a = start_monitor(app.clone(), options("a")).expect("monitor a");
    let b = start_monitor(app.clone(), options("b")).expect("monitor b");
    // Both alive: the shards are split between them, none held twice.
    let split = eventually(Duration::from_secs(10), || {
        let holders = holders();
        let (wa, wb) = (format!("a-{tag}"), format!("b-{tag}"));
        async move {
            let h = holders.await;
            h.len() == 64
                && h.iter().filter(|w| **w == wa).count() == 32
                && h.iter().filter(|w| **w == wb).count() == 32
        }
    })
    .await;
    assert!(split, "the two workers hold half the shards each: {:?}", holders().await);
    a.abort();
    let died = Instant::now();
    let took_over = eventually(Duration::from_secs(10), || {
        let holders = holders();
        let wb = format!("b-{tag}");
        async move {
            let h = holders.await;
            h.len() == 64 && h.iter().all(|w| *w == wb)
        }
    })
    .await;
    let after = died.elapsed();
    b.stop().await;
    assert!(took_over, "the live worker holds every shard");
    // Lease 1.5 intervals + the next round + a round's writes.
    assert!(after <= INTERVAL * 2 + Duration::from_millis(400), "taken over after {after:?}");
}
