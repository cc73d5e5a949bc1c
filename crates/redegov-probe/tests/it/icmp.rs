//! ICMP echo probes to loopback addresses (127.0.0.0/8 all answer on Linux),
//! and to an address that never answers with an echo reply.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use redegov_probe::{Method, ProbeError, Prober, ProberConfig, SocketKind};
use tokio::sync::mpsc;

use crate::{collect_until_each, icmp_prober, loopback, target};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_to_loopback_addresses_is_answered() {
    let Some(prober) = icmp_prober() else { return };
    assert!(matches!(prober.icmp_socket_kind(), SocketKind::Raw | SocketKind::Dgram));
    println!("ICMP socket: {}", prober.icmp_socket_kind());

    let interval = Duration::from_millis(200);
    let mut targets = vec![
        target(1, loopback(0, 0, 1), Method::Icmp, interval),
        target(2, loopback(1, 2, 3), Method::Icmp, interval),
        target(3, loopback(254, 0, 9), Method::Icmp, interval),
    ];
    let v6 = target(4, IpAddr::V6(Ipv6Addr::LOCALHOST), Method::Icmp, interval);
    let mut keys = vec![1, 2, 3];
    match prober.set_targets(vec![v6.clone()]) {
        Ok(()) => {
            targets.push(v6);
            keys.push(4);
        }
        Err(ProbeError::NoIcmpSocket { .. }) => println!("no IPv6 ICMP socket here; ::1 not probed"),
        Err(err) => panic!("unexpected: {err}"),
    }
    prober.set_targets(targets).expect("valid targets");
    let (tx, mut rx) = mpsc::channel(64);
    let _scheduler = prober.spawn(tx).expect("first spawn");

    let outcomes = collect_until_each(&mut rx, &keys, Duration::from_secs(5)).await;
    for key in keys {
        let outcome = outcomes.iter().find(|o| o.key == key).expect("an outcome for every target");
        let rtt = outcome.rtt.unwrap_or_else(|| panic!("{} must answer: {outcome:?}", outcome.addr));
        assert!(rtt < Duration::from_millis(100), "loopback RTT {rtt:?}");
        assert_eq!(outcome.attempts, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_address_is_lost_after_every_retry() {
    let Some(prober) = icmp_prober() else { return };
    // TEST-NET-2 (RFC 5737) is never assigned, so no echo reply comes back.
    // Depending on the network the request times out, cannot be sent, or
    // draws an ICMP error from a router (port unreachable, in the sandbox
    // these tests were written in), which must not count as an answer.
    let mut silent =
        target(9, "198.51.100.1".parse().expect("address"), Method::Icmp, Duration::from_secs(10));
    silent.timeout = Duration::from_millis(150);
    silent.retries = 2;
    prober.set_targets(vec![silent]).expect("valid target");
    let (tx, mut rx) = mpsc::channel(8);
    let _scheduler = prober.spawn(tx).expect("first spawn");

    let outcomes = collect_until_each(&mut rx, &[9], Duration::from_secs(5)).await;
    let outcome = outcomes.first().expect("an outcome");
    assert_eq!((outcome.rtt, outcome.attempts), (None, 3), "{outcome:?}");
    assert_eq!(prober.stats().attempts, 3);
}

/// An explicit socket kind either opens as asked or fails with the remedy
/// for exactly that kind; which one depends on the machine.
#[tokio::test]
async fn an_explicit_socket_kind_is_honoured_or_refused_with_its_remedy() {
    for wanted in [SocketKind::Dgram, SocketKind::Raw] {
        match Prober::new(ProberConfig { icmp_socket: wanted, ..ProberConfig::default() }) {
            Ok(prober) => assert_eq!(prober.icmp_socket_kind(), wanted),
            Err(err @ ProbeError::IcmpDgramRefused { .. }) => {
                assert_eq!(wanted, SocketKind::Dgram);
                assert!(err.to_string().contains("ping_group_range"), "{err}");
                println!("datagram ICMP refused here: {err}");
            }
            Err(err @ ProbeError::IcmpRawRefused { .. }) => {
                assert_eq!(wanted, SocketKind::Raw);
                assert!(err.to_string().contains("CAP_NET_RAW"), "{err}");
                println!("raw ICMP refused here: {err}");
            }
            Err(err) => panic!("unexpected error for {wanted}: {err}"),
        }
    }
}

#[test]
fn a_prober_needs_a_runtime() {
    assert!(matches!(Prober::new(ProberConfig::default()), Err(ProbeError::NoRuntime)));
}
