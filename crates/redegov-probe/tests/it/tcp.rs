//! TCP connect probes: success while a listener is there, failure once it is
//! gone; retries counted.

use std::time::Duration;

use redegov_probe::Method;
use tokio::sync::mpsc;

use crate::{accepting_listener, closed_port, collect_until_each, loopback, target, tcp_prober};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_succeeds_while_listening_and_fails_once_closed() {
    let (addr, listener) = accepting_listener().await;
    let prober = tcp_prober();
    let mut probe = target(1, addr.ip(), Method::Tcp { port: addr.port() }, Duration::from_millis(100));
    probe.retries = 1;
    prober.set_targets(vec![probe]).expect("valid target");
    let (tx, mut rx) = mpsc::channel(64);
    let _scheduler = prober.spawn(tx).expect("first spawn");

    let first = rx.recv().await.expect("an outcome");
    assert!(first.rtt.is_some(), "connect to a listener must succeed: {first:?}");
    assert_eq!(first.attempts, 1);
    assert_eq!(first.addr, addr.ip());

    listener.abort();
    let _ = listener.await;
    // Probes already under way may still have connected; within a second a
    // refused one must come, with the retry spent.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let outcome = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("a failed probe within 2 s of closing")
            .expect("channel open");
        if outcome.rtt.is_none() {
            assert_eq!(outcome.attempts, 2, "one attempt and one retry: {outcome:?}");
            break;
        }
    }
    assert!(prober.stats().lost >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_retry_is_counted_in_attempts() {
    let port = closed_port().await;
    let prober = tcp_prober();
    let mut refused = target(7, loopback(0, 0, 1), Method::Tcp { port }, Duration::from_secs(10));
    refused.retries = 3;
    prober.set_targets(vec![refused]).expect("valid target");
    let (tx, mut rx) = mpsc::channel(8);
    let _scheduler = prober.spawn(tx).expect("first spawn");

    let outcomes = collect_until_each(&mut rx, &[7], Duration::from_secs(5)).await;
    let outcome = outcomes.first().expect("an outcome for the refused target");
    assert_eq!((outcome.key, outcome.rtt, outcome.attempts), (7, None, 4));
    let stats = prober.stats();
    assert_eq!((stats.probes, stats.attempts, stats.lost), (1, 4, 1), "{stats:?}");
}
