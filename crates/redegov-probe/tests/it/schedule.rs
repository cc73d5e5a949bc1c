//! The scheduler: even spread over the interval, one probe per target per
//! interval without drift, small lag, target replacement while running, and
//! stopping. TCP probes to the loopback, so no privilege is needed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use redegov_probe::{Method, Outcome, ProbeError, Target};
use tokio::sync::mpsc;

use crate::{accepting_listener, closed_port, collect_for, loopback, micros_since, target, tcp_prober};

const MS: i64 = 1_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Scheduled offsets (µs from `origin`) per key.
fn offsets_by_key(outcomes: &[Outcome], origin: SystemTime) -> BTreeMap<u64, Vec<i64>> {
    let mut by_key: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
    for outcome in outcomes {
        by_key.entry(outcome.key).or_default().push(micros_since(origin, outcome.scheduled));
    }
    by_key.values_mut().for_each(|offsets| offsets.sort_unstable());
    by_key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_targets_are_spread_evenly_over_a_one_second_interval() {
    let (addr, _listener) = accepting_listener().await;
    let prober = tcp_prober();
    let method = Method::Tcp { port: addr.port() };
    let targets: Vec<Target> =
        (0..1000).map(|key| target(key, addr.ip(), method, Duration::from_secs(1))).collect();
    prober.set_targets(targets).expect("valid targets");
    let (tx, mut rx) = mpsc::channel(4096);
    let _scheduler = prober.spawn(tx).expect("first spawn");

    let outcomes = collect_for(&mut rx, Duration::from_millis(3300)).await;
    let origin = outcomes.iter().map(|o| o.scheduled).min().expect("outcomes");
    let by_key = offsets_by_key(&outcomes, origin);
    assert_eq!(by_key.len(), 1000, "every target probed");

    // The i-th target's slot is i ms into the interval, and it comes back
    // exactly one interval later, every interval.
    for (&key, offsets) in &by_key {
        let expected = key as i64 * MS;
        assert!((offsets[0] - expected).abs() <= MS, "target {key} first due at {} µs", offsets[0]);
        for pair in offsets.windows(2) {
            let step = pair[1] - pair[0];
            assert!((step - 1000 * MS).abs() <= MS, "target {key}: {step} µs between probes");
        }
    }
    // Once per interval: each of the first three intervals, counted from
    // half a slot before the target's own slot, holds exactly one probe.
    for second in 0..3 {
        for (&key, offsets) in &by_key {
            let slot = key as i64 * MS + second * 1000 * MS;
            let window = slot - 500 * MS..slot + 500 * MS;
            let count = offsets.iter().filter(|o| window.contains(o)).count();
            assert_eq!(count, 1, "target {key} probed {count} times in interval {second}");
        }
    }
    // No burst: every 100 ms of the interval carries a tenth of the probes.
    let mut buckets = [0usize; 10];
    for offsets in by_key.values() {
        buckets[(offsets[0] / (100 * MS)) as usize % 10] += 1;
    }
    assert!(buckets.iter().all(|&n| (98..=102).contains(&n)), "per-100 ms counts {buckets:?}");

    let mut lags: Vec<Duration> = outcomes.iter().map(Outcome::lag).collect();
    lags.sort_unstable();
    let (p50, p99, max) = (percentile(&lags, 0.5), percentile(&lags, 0.99), lags[lags.len() - 1]);
    println!("{} probes, lag p50 {p50:?} p99 {p99:?} max {max:?}", outcomes.len());
    assert!(p99 < Duration::from_millis(50), "lag p99 {p99:?}");
    assert_eq!(prober.stats().lost, 0, "every connect succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_targets_while_running_keeps_the_stayers_slots_and_fills_the_gaps() {
    let port = closed_port().await; // Refused at once: quick probes.
    let prober = tcp_prober();
    let interval = Duration::from_millis(500);
    let probe = |key| target(key, loopback(0, 0, 1), Method::Tcp { port }, interval);
    prober.set_targets((0..10).map(probe).collect()).expect("valid targets");
    let (tx, mut rx) = mpsc::channel(1024);
    let _scheduler = prober.spawn(tx).expect("first spawn");

    let before = collect_for(&mut rx, Duration::from_millis(1200)).await;
    let replaced_at = SystemTime::now();
    let keys: Vec<u64> = (0..5).chain(100..105).collect();
    prober.set_targets(keys.iter().map(|&k| probe(k)).collect()).expect("valid targets");
    assert_eq!(prober.stats().targets, 10);
    let after = collect_for(&mut rx, Duration::from_millis(1600)).await;

    let origin = before.iter().map(|o| o.scheduled).min().expect("outcomes before");
    let period = 500 * MS;
    let phase = |offset: i64| offset.rem_euclid(period);
    // Phases are on a circle: 499.999 ms is 1 µs from 0.
    let apart = |a: i64, b: i64| {
        let d = (a - b).rem_euclid(period);
        d.min(period - d)
    };
    let old = offsets_by_key(&before, origin);
    let new_outcomes: Vec<Outcome> = after.into_iter().filter(|o| o.scheduled > replaced_at).collect();
    let new = offsets_by_key(&new_outcomes, origin);

    assert_eq!(new.keys().copied().collect::<BTreeSet<u64>>(), keys.iter().copied().collect());
    for key in 0..5 {
        let (was, is) = (phase(old[&key][0]), phase(new[&key][0]));
        assert!(apart(was, is) <= MS, "target {key} moved from {was} to {is} µs");
        assert!(apart(was, key as i64 * 50 * MS) <= MS, "target {key} at {was} µs");
    }
    // The five newcomers took the 200..500 ms gap: ten targets 50 ms apart,
    // counted from target 0.
    let zero = phase(new[&0][0]);
    let mut phases: Vec<i64> = new.values().map(|offsets| phase(offsets[0] - zero)).collect();
    phases.sort_unstable();
    for (i, p) in phases.iter().enumerate() {
        assert!((p - i as i64 * 50 * MS).abs() <= MS, "phases {phases:?}");
    }
    for (key, offsets) in &new {
        for pair in offsets.windows(2) {
            assert!((pair[1] - pair[0] - period).abs() <= MS, "target {key}: {offsets:?}");
        }
    }

    // An empty set stops all probing.
    prober.set_targets(Vec::new()).expect("empty set");
    let emptied_at = SystemTime::now();
    let trailing = collect_for(&mut rx, Duration::from_millis(700)).await;
    assert!(trailing.iter().all(|o| o.scheduled <= emptied_at), "probes after emptying: {trailing:?}");
    assert_eq!(prober.stats().targets, 0);
}

#[tokio::test]
async fn invalid_target_sets_are_refused_whole() {
    let prober = tcp_prober();
    let ok = |key| target(key, loopback(0, 0, 1), Method::Tcp { port: 9 }, Duration::from_secs(1));
    prober.set_targets(vec![ok(1)]).expect("valid");

    let refused = |targets: Vec<Target>| prober.set_targets(targets).expect_err("must be refused");
    assert!(matches!(refused(vec![ok(2), ok(2)]), ProbeError::DuplicateKey { key: 2 }));
    let zero_interval = Target { interval: Duration::ZERO, ..ok(3) };
    assert!(matches!(refused(vec![ok(2), zero_interval]), ProbeError::InvalidTarget { key: 3, .. }));
    let zero_timeout = Target { timeout: Duration::ZERO, ..ok(4) };
    assert!(matches!(refused(vec![zero_timeout]), ProbeError::InvalidTarget { key: 4, .. }));
    let icmp = Target { method: Method::Icmp, ..ok(5) };
    assert!(matches!(refused(vec![icmp]), ProbeError::NoIcmpSocket { key: 5, .. }));
    assert_eq!(prober.stats().targets, 1, "the set before the refusals stands");
}

#[tokio::test]
async fn one_scheduler_at_a_time_and_stop_ends_it() {
    let prober = tcp_prober();
    let (tx, _rx) = mpsc::channel(8);
    let scheduler = prober.spawn(tx.clone()).expect("first spawn");
    assert!(matches!(prober.spawn(tx), Err(ProbeError::AlreadyRunning)));
    prober.stop();
    tokio::time::timeout(Duration::from_secs(1), scheduler).await.expect("ends").expect("no panic");
}

#[tokio::test]
async fn dropping_the_prober_or_the_receiver_ends_the_scheduler() {
    let prober = tcp_prober();
    let (tx, rx) = mpsc::channel(8);
    let scheduler = prober.spawn(tx).expect("first spawn");
    drop(rx);
    tokio::time::timeout(Duration::from_secs(1), scheduler).await.expect("ends").expect("no panic");

    // The receiver went away, not the prober: it may be spawned again.
    let (tx, _rx) = mpsc::channel(8);
    let scheduler = prober.spawn(tx).expect("spawn after the receiver went away");
    drop(prober);
    tokio::time::timeout(Duration::from_secs(1), scheduler).await.expect("ends").expect("no panic");
}
