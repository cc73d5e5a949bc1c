//! The bulk sweep: every loopback address answers, a silent one does not,
//! and the per-result hook sees each address exactly once; sweeps and
//! scheduled probes do not take each other's replies.

use std::net::IpAddr;
use std::time::Duration;

use redegov_probe::{Method, ProbeError};
use tokio::sync::mpsc;

use crate::{icmp_prober, loopback, tcp_prober};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_reports_each_address_once_in_order() {
    let Some(prober) = icmp_prober() else { return };
    // TEST-NET-2: see the ICMP tests.
    let silent: IpAddr = "198.51.100.7".parse().expect("address");
    let mut addrs: Vec<IpAddr> = (0..=255).map(|c| loopback(3, 0, c)).collect();
    addrs.insert(100, silent);
    // The same address twice gets two requests and two answers.
    addrs.push(loopback(0, 0, 1));
    addrs.push(loopback(0, 0, 1));

    let mut seen = vec![0u32; addrs.len()];
    let results = prober
        .sweep_with(&addrs, Duration::from_millis(300), |index, _rtt| seen[index] += 1)
        .await
        .expect("sweep");

    assert_eq!(results.len(), addrs.len());
    assert!(seen.iter().all(|&n| n == 1), "the hook must see every address once");
    for (addr, rtt) in addrs.iter().zip(&results) {
        if *addr == silent {
            assert_eq!(*rtt, None, "{addr} must stay silent");
        } else {
            assert!(rtt.is_some(), "{addr} must answer");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_sweep_is_empty() {
    let Some(prober) = icmp_prober() else { return };
    assert_eq!(prober.sweep(&[], Duration::from_millis(100)).await.expect("sweep"), Vec::new());
}

#[tokio::test]
async fn a_prober_without_icmp_refuses_to_sweep() {
    let err = tcp_prober().sweep(&[loopback(0, 0, 1)], Duration::from_millis(100)).await;
    assert!(matches!(err, Err(ProbeError::IcmpDisabled)), "{err:?}");
}

/// On raw sockets the scheduled probes' socket and the sweep's see each
/// other's replies: neither may take the other's for its own, and a sweep of
/// a /16 must not flood the scheduled probes into reporting losses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_and_scheduled_probes_run_side_by_side() {
    let Some(prober) = icmp_prober() else { return };
    let targets = (0..50u8)
        .map(|i| crate::target(u64::from(i), loopback(4, 0, i), Method::Icmp, Duration::from_millis(100)))
        .collect();
    prober.set_targets(targets).expect("valid targets");
    let (tx, mut rx) = mpsc::channel(1024);
    let _scheduler = prober.spawn(tx).expect("first spawn");

    let addrs: Vec<IpAddr> = (0..65535u16).map(|i| loopback(5, (i >> 8) as u8, i as u8)).collect();
    for _ in 0..3 {
        let results = prober.sweep(&addrs, Duration::from_millis(500)).await.expect("sweep");
        assert!(results.iter().all(Option::is_some), "every sweep address answers");
    }
    let outcomes = crate::collect_for(&mut rx, Duration::from_millis(300)).await;
    assert!(outcomes.len() >= 50, "scheduled probes kept running: {}", outcomes.len());
    let lost: Vec<_> = outcomes.iter().filter(|o| o.is_lost()).collect();
    assert!(lost.is_empty(), "scheduled probes lost: {lost:?}");
    assert_eq!(prober.stats().lost, 0);
}
