//! Monitoring on both backends: a round's write opens one incident per
//! access outage however often it is written, resolves it with the
//! measured end, notifies the operator; gaps are recorded as such; alerts
//! from Alertmanager and Zabbix are idempotent and unmatched ones kept;
//! two workers share the shards through leases.

use super::{actor, app, draft, world};
use redegov_app::monitor::{Engine, ProbeResult, SHARDS, probe_key};
use redegov_app::{Actor, App, AppError, IncidentFilter, Page};
use redegov_domain::alert::{parse_alertmanager, parse_zabbix};
use redegov_domain::ids::*;
use redegov_domain::incident::{IncidentSource, IncidentStatus, Responsibility};
use redegov_domain::monitor::{LinkState, MonitorSettings};
use redegov_domain::role::{Role, Scope};
use redegov_domain::time::Timestamp;
use redegov_test_support::{TestDb, on_both_backends};
use std::time::Duration;

on_both_backends!(
    a_retried_write_keeps_a_gap_that_started_and_ended,
    a_round_opens_one_incident_and_its_recovery_resolves_it,
    a_gap_round_records_a_gap_not_incidents,
    alerts_are_idempotent_and_unmatched_ones_kept,
    workers_share_the_shards_and_take_over_a_dead_ones,
);

fn at(base: Timestamp, ms: i64) -> Timestamp {
    base + chrono::Duration::milliseconds(ms)
}

fn result(access: AccessId, link: usize, t: Timestamp, ok: bool) -> ProbeResult {
    ProbeResult { key: probe_key(access, link), at: t, rtt: ok.then(|| Duration::from_micros(1500)) }
}

/// The engine over every shard of `app`'s database.
async fn engine(app: &App, settings: MonitorSettings) -> Engine {
    let mut tx = app.store().read().await.expect("tx");
    let all: Vec<i64> = (0..SHARDS).collect();
    let watched = tx.watched_accesses(SHARDS, &all).await.expect("watched");
    let ids: Vec<_> = watched.iter().map(|w| w.access_id).collect();
    let saved = tx.link_states(Some(&ids)).await.expect("states");
    let mut e = Engine::new(settings);
    e.sync(watched, &saved);
    e
}

async fn monitor_incidents(app: &App, access: AccessId) -> Vec<redegov_domain::incident::Incident> {
    let f = IncidentFilter { access_id: Some(access), source: Some("monitor".into()), ..Default::default() };
    app.list_incidents(&Actor::system(), f, Page::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|r| r.incident)
        .collect()
}

async fn a_round_opens_one_incident_and_its_recovery_resolves_it(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let sys = Actor::system();
    let now = app.now();
    let mut d = draft(w.site_a, w.lot_1a, &["198.18.0.2"]);
    d.activated_at = Some(now - chrono::Duration::days(10));
    let access = app.create_access(&sys, d).await.expect("access").id;
    // A redundant access on the consortium's lot: one link down is no outage.
    let mut d = draft(w.site_b, w.lot_6a, &["198.18.0.6", "198.18.0.10"]);
    d.activated_at = Some(now - chrono::Duration::days(10));
    let redundant = app.create_access(&sys, d).await.expect("access").id;
    super::mail::user(&app, "op-alfa", "noc@alfa.example", Role::Operator, None, Some(w.alfa)).await;

    let mut e = engine(&app, MonitorSettings::default()).await;
    assert_eq!(e.size(), (2, 3));
    // Probed every second (the round length does not matter to the detector).
    let t0 = now - chrono::Duration::minutes(5);
    let ok = |ms| {
        vec![
            result(access, 0, at(t0, ms), true),
            result(redundant, 0, at(t0, ms), true),
            result(redundant, 1, at(t0, ms), true),
        ]
    };
    for ms in [0, 1000] {
        let write = e.round(at(t0, ms), ok(ms));
        app.record_monitor_round("w1", &write).await.expect("round");
    }
    assert_eq!(e.access_state(access), Some(LinkState::Up));
    // The access fails three probes in a row from 2 s; the redundant one
    // loses one link only.
    let mut writes = Vec::new();
    for ms in [2000, 3000, 4000] {
        let r = vec![
            result(access, 0, at(t0, ms), false),
            result(redundant, 0, at(t0, ms), false),
            result(redundant, 1, at(t0, ms), true),
        ];
        writes.push(e.round(at(t0, ms), r));
    }
    let down = writes.pop().expect("third round");
    assert_eq!(down.access_down, vec![(access, at(t0, 2000))]);
    for w in &writes {
        app.record_monitor_round("w1", w).await.expect("round");
    }
    let summary = app.record_monitor_round("w1", &down).await.expect("round");
    assert_eq!(summary.opened.len(), 1);
    // The same round written again (a retried write) opens nothing more.
    let again = app.record_monitor_round("w1", &down).await.expect("round");
    assert!(again.opened.is_empty());
    let incidents = monitor_incidents(&app, access).await;
    assert_eq!(incidents.len(), 1);
    let i = &incidents[0];
    assert_eq!(
        (i.status, i.responsibility, i.source),
        (IncidentStatus::Open, Responsibility::Operator, IncidentSource::Monitor)
    );
    assert_eq!(i.started_at, redegov_domain::time::from_epoch(at(t0, 2000).timestamp()));
    assert!(monitor_incidents(&app, redundant).await.is_empty(), "one link of two down is no outage");
    // The operator heard of it.
    let mail = app
        .list_mail(
            &sys,
            &redegov_app::mail::MailFilter { kind: Some("incident.opened".into()), ..Default::default() },
            Page::default(),
        )
        .await
        .expect("mail");
    assert_eq!(mail.total, 1);
    assert!(mail.items[0].recipients.contains(&"noc@alfa.example".to_string()));
    // The NOC sees it open, with its place.
    let noc = app.noc_overview(&actor(Role::NetworkManager, Scope::All)).await.expect("noc");
    assert_eq!(noc.outages.len(), 1);
    assert_eq!((noc.counts.up, noc.counts.down), (1, 1));
    assert_eq!(noc.outages[0].holder, "Alfa");
    // Another agency's manager does not see it; Alfa's does.
    let other = app.noc_overview(&actor(Role::AgencyManager, Scope::Agency(w.agency_b))).await.expect("noc");
    assert!(other.outages.is_empty());

    // Back at 6.5 s: up after two answers, the outage ending at the first.
    let up1 = e.round(at(t0, 6500), vec![result(access, 0, at(t0, 6500), true)]);
    let up2 = e.round(at(t0, 7500), vec![result(access, 0, at(t0, 7500), true)]);
    assert_eq!(up2.access_up, vec![(access, (at(t0, 2000), at(t0, 6500)))]);
    app.record_monitor_round("w1", &up1).await.expect("round");
    let summary = app.record_monitor_round("w1", &up2).await.expect("round");
    assert_eq!(summary.resolved.len(), 1);
    let i = &monitor_incidents(&app, access).await[0];
    assert_eq!(i.status, IncidentStatus::Resolved);
    let end = i.ended_at.expect("end");
    assert!((end - at(t0, 6500)).num_milliseconds().abs() <= 500, "ended {end}");
    // The link's outage keeps the milliseconds.
    let mut tx = app.store().read().await.expect("tx");
    let now_ms = app.now().timestamp_millis();
    let outages = tx.link_outages(access, 0, now_ms + 1).await.expect("outages");
    assert_eq!(outages.len(), 1);
    assert_eq!(outages[0].1.started_ms, at(t0, 2000).timestamp_millis());
    assert_eq!(outages[0].1.ended_ms, Some(at(t0, 6500).timestamp_millis()));
    let redundant_links = tx.link_outages(redundant, 0, now_ms + 1).await.expect("outages");
    assert_eq!(redundant_links.len(), 1, "the redundant access's link outage is still recorded");
    drop(tx);
    let noc = app.noc_overview(&actor(Role::NetworkManager, Scope::All)).await.expect("noc");
    assert!(noc.outages.is_empty());
}

async fn a_gap_round_records_a_gap_not_incidents(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let sys = Actor::system();
    let now = app.now();
    let mut ids = Vec::new();
    for i in 0..4 {
        let mut d = draft(w.site_a, w.lot_1a, &[&format!("198.18.1.{}", i + 1)]);
        d.activated_at = Some(now - chrono::Duration::days(1));
        ids.push(app.create_access(&sys, d).await.expect("access").id);
    }
    let settings =
        MonitorSettings { gap_min_targets: 4, gap_share_percent: 75, ..MonitorSettings::default() };
    let mut e = engine(&app, settings).await;
    let t0 = now - chrono::Duration::minutes(1);
    let round = |ms: i64, ok: &dyn Fn(usize) -> bool| -> Vec<ProbeResult> {
        ids.iter().enumerate().map(|(i, a)| result(*a, 0, at(t0, ms), ok(i))).collect()
    };
    for ms in [0, 1000] {
        app.record_monitor_round("w1", &e.round(at(t0, ms), round(ms, &|_| true))).await.expect("round");
    }
    // Every target fails for five rounds: the prober's own network.
    for ms in [2000, 3000, 4000, 5000, 6000] {
        let write = e.round(at(t0, ms), round(ms, &|_| false));
        assert!(write.access_down.is_empty());
        app.record_monitor_round("w1", &write).await.expect("round");
    }
    let mut tx = app.store().read().await.expect("tx");
    let gaps = tx.gaps(0, i64::MAX).await.expect("gaps");
    assert_eq!(gaps.len(), 1);
    assert_eq!((gaps[0].started_ms, gaps[0].ended_ms), (at(t0, 2000).timestamp_millis(), None));
    drop(tx);
    // It ends with the first normal round; a single real failure then is no outage yet.
    let write = e.round(at(t0, 7000), round(7000, &|i| i != 0));
    assert!(write.access_down.is_empty());
    app.record_monitor_round("w1", &write).await.expect("round");
    let mut tx = app.store().read().await.expect("tx");
    let gaps = tx.gaps(0, i64::MAX).await.expect("gaps");
    assert_eq!(gaps[0].ended_ms, Some(at(t0, 7000).timestamp_millis()));
    drop(tx);
    for a in &ids {
        assert!(monitor_incidents(&app, *a).await.is_empty());
    }
    let mail = app
        .list_mail(
            &sys,
            &redegov_app::mail::MailFilter { kind: Some("monitor.gap".into()), ..Default::default() },
            Page::default(),
        )
        .await
        .expect("mail");
    assert!(mail.total <= 1, "one gap alarm at most (none without network managers)");
}

fn alertmanager(status: &str, access: Option<i64>, instance: &str, fingerprint: &str, ends: &str) -> Vec<u8> {
    let mut labels = serde_json::json!({"alertname": "AccessDown", "instance": instance});
    if let Some(a) = access {
        labels["access_id"] = serde_json::json!(a.to_string());
    }
    serde_json::to_vec(&serde_json::json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"AccessDown\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "redegov",
        "groupLabels": {"alertname": "AccessDown"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [{
            "status": status,
            "labels": labels,
            "annotations": {"summary": "Acesso sem resposta"},
            "startsAt": "2026-03-10T14:00:00Z",
            "endsAt": ends,
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": fingerprint
        }]
    }))
    .expect("json")
}

async fn alerts_are_idempotent_and_unmatched_ones_kept(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let sys = Actor::system();
    let mut d = draft(w.site_a, w.lot_1a, &["198.18.2.2"]);
    d.activated_at = Some(app.now() - chrono::Duration::days(10));
    let access = app.create_access(&sys, d).await.expect("access").id;
    let noc = actor(Role::NetworkManager, Scope::All);
    let zero = "0001-01-01T00:00:00Z";

    let firing =
        parse_alertmanager(&alertmanager("firing", Some(access.0), "x:9100", "aa01", zero)).expect("parse");
    let report = app.ingest_alerts(&noc, firing.clone()).await.expect("ingest");
    assert_eq!((report.recorded, report.opened.len(), report.unmatched), (1, 1, 0));
    let again = app.ingest_alerts(&noc, firing).await.expect("ingest");
    assert_eq!((again.repeated, again.opened.len()), (1, 0));
    let f = IncidentFilter { access_id: Some(access), source: Some("alert".into()), ..Default::default() };
    let listed = app.list_incidents(&sys, f.clone(), Page::default()).await.expect("list");
    assert_eq!(listed.total, 1);
    assert_eq!(listed.items[0].incident.status, IncidentStatus::Open);

    // Resolved, by address this time (no access_id label).
    let resolved = parse_alertmanager(&alertmanager(
        "resolved",
        None,
        "198.18.2.2:9100",
        "aa01",
        "2026-03-10T14:30:00Z",
    ))
    .expect("parse");
    let report = app.ingest_alerts(&noc, resolved.clone()).await.expect("ingest");
    assert_eq!(report.resolved.len(), 1);
    let i = &app.list_incidents(&sys, f.clone(), Page::default()).await.expect("list").items[0].incident;
    assert_eq!(i.status, IncidentStatus::Resolved);
    assert_eq!(i.ended_at.map(|t| t.to_rfc3339()), Some("2026-03-10T14:30:00+00:00".into()));
    let again = app.ingest_alerts(&noc, resolved).await.expect("ingest");
    assert_eq!((again.repeated, again.resolved.len()), (1, 0));
    assert_eq!(app.list_incidents(&sys, f, Page::default()).await.expect("list").total, 1);

    // No such access: recorded, unmatched, visible to the NOC.
    let stray =
        parse_alertmanager(&alertmanager("firing", None, "203.0.113.9:9100", "bb02", zero)).expect("parse");
    let report = app.ingest_alerts(&noc, stray).await.expect("ingest");
    assert_eq!((report.unmatched, report.opened.len()), (1, 0));
    let unmatched = app.list_alerts(&noc, true, 10).await.expect("alerts");
    assert_eq!(unmatched.len(), 1);
    assert_eq!(unmatched[0].address.as_deref(), Some("203.0.113.9"));

    // Zabbix: the problem and its recovery share the problem's event id.
    let problem = serde_json::json!({"event_id": "9001", "status": "problem", "started_at": "2026-03-10T15:00:00-03:00",
        "name": "ICMP ping", "address": "198.18.2.2"});
    let recovery = serde_json::json!({"event_id": "9001", "status": "resolved", "started_at": "2026-03-10T15:00:00-03:00",
        "ended_at": "2026-03-10T15:10:00-03:00", "name": "ICMP ping", "address": "198.18.2.2"});
    let p = parse_zabbix(&serde_json::to_vec(&problem).expect("json")).expect("parse");
    let r = parse_zabbix(&serde_json::to_vec(&recovery).expect("json")).expect("parse");
    let first = app.ingest_alerts(&noc, vec![p.clone()]).await.expect("ingest");
    assert_eq!(first.opened.len(), 1, "{first:?}");
    assert_eq!(app.ingest_alerts(&noc, vec![p]).await.expect("ingest").opened.len(), 0);
    assert_eq!(app.ingest_alerts(&noc, vec![r]).await.expect("ingest").resolved.len(), 1);

    // Only the NOC's tokens send alerts.
    let manager = actor(Role::AgencyManager, Scope::Agency(w.agency_a));
    let stray =
        parse_alertmanager(&alertmanager("firing", None, "203.0.113.9", "cc03", zero)).expect("parse");
    assert!(matches!(app.ingest_alerts(&manager, stray).await, Err(AppError::Forbidden(_))));
}

async fn workers_share_the_shards_and_take_over_a_dead_ones(db: TestDb) {
    let app = app(&db).await;
    let mut tx = app.store().write().await.expect("tx");
    tx.ensure_shards(SHARDS).await.expect("shards");
    let interval = 1_000;
    let lease = |now: i64| now + interval * 3 / 2;
    // A alone holds every shard.
    let t = 1_000_000;
    tx.heartbeat("a", t).await.expect("hb");
    let a = tx.balance_leases("a", t, lease(t), SHARDS).await.expect("a");
    assert_eq!(a.len(), SHARDS as usize);
    // B arrives: it finds none free until A gives back its extra half.
    tx.heartbeat("b", t + 100).await.expect("hb");
    let b = tx.balance_leases("b", t + 100, lease(t + 100), SHARDS / 2).await.expect("b");
    assert!(b.is_empty());
    let a = tx.balance_leases("a", t + 1000, lease(t + 1000), SHARDS / 2).await.expect("a");
    assert_eq!(a.len(), (SHARDS / 2) as usize);
    let b = tx.balance_leases("b", t + 1100, lease(t + 1100), SHARDS / 2).await.expect("b");
    assert_eq!(b.len(), (SHARDS / 2) as usize);
    assert!(a.iter().all(|s| !b.contains(s)), "never the same shard twice");
    // A dies (no more renewals): within two intervals B holds everything.
    let later = t + 1100 + 2 * interval;
    tx.heartbeat("b", later).await.expect("hb");
    let live = tx.live_workers(later - interval * 3 / 2).await.expect("live");
    assert_eq!(live, vec!["b".to_string()]);
    let b = tx.balance_leases("b", later, lease(later), SHARDS).await.expect("b");
    assert_eq!(b.len(), SHARDS as usize);
    tx.commit().await.expect("commit");
}

on_both_backends!(an_opened_incident_is_posted_to_the_operators_webhook_signed);

/// A one-request HTTP server: returns the request's head and body, answers 200.
async fn receive_one(listener: tokio::net::TcpListener) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut socket, _) = listener.accept().await.expect("accept");
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await.expect("read");
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some(split) = text.find("\r\n\r\n") {
            let head = text[..split].to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if data.len() >= split + 4 + length {
                let body = String::from_utf8_lossy(&data[split + 4..split + 4 + length]).to_string();
                socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await.expect("write");
                return (head, body);
            }
        }
        if n == 0 {
            panic!("connection closed early");
        }
    }
}

async fn an_opened_incident_is_posted_to_the_operators_webhook_signed(db: TestDb) {
    use hmac::Mac;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = app(&db).await;
    let w = world(&app).await;
    let sys = Actor::system();
    let now = app.now();
    let mut d = draft(w.site_a, w.lot_1a, &["198.18.3.2"]);
    d.activated_at = Some(now - chrono::Duration::days(1));
    let access = app.create_access(&sys, d).await.expect("access").id;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let url = format!("http://{}/hooks/redegov", listener.local_addr().expect("addr"));
    let secret = "s3cr3t-0123456789";
    let noc = actor(Role::NetworkManager, Scope::All);
    // Bad URLs and short secrets are refused, naming the field.
    let bad = app.set_operator_webhook(&noc, w.alfa, Some(("ftp://x".into(), secret.into()))).await;
    assert!(matches!(bad, Err(AppError::Invalid(ref e)) if e.field == "url"), "{bad:?}");
    let bad = app.set_operator_webhook(&noc, w.alfa, Some((url.clone(), "short".into()))).await;
    assert!(matches!(bad, Err(AppError::Invalid(ref e)) if e.field == "secret"), "{bad:?}");
    app.set_operator_webhook(&noc, w.alfa, Some((url, secret.into()))).await.expect("webhook");

    let mut e = engine(&app, MonitorSettings { down_after: 1, ..MonitorSettings::default() }).await;
    let t0 = now - chrono::Duration::minutes(1);
    app.record_monitor_round("w1", &e.round(t0, vec![result(access, 0, t0, true)])).await.expect("round");
    app.record_monitor_round("w1", &e.round(t0, vec![result(access, 0, at(t0, 1000), true)]))
        .await
        .expect("round");
    let down = e.round(at(t0, 2000), vec![result(access, 0, at(t0, 2000), false)]);
    let opened = app.record_monitor_round("w1", &down).await.expect("round").opened;
    assert_eq!(opened.len(), 1);

    let receiver = tokio::spawn(receive_one(listener));
    let client = reqwest::Client::new();
    let report = app.deliver_webhooks(&client, 10).await.expect("deliver");
    assert_eq!((report.claimed, report.sent), (1, 1), "{report:?}");
    let (head, body) = receiver.await.expect("received");
    assert!(head.starts_with("POST /hooks/redegov "), "{head}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("json body");
    assert_eq!(json["event"], "incident.opened");
    assert_eq!(json["incident"]["id"], opened[0].0);
    assert_eq!(json["incident"]["access_id"], access.0);
    assert_eq!(json["incident"]["responsibility"], "operator");
    assert_eq!(json["incident"]["source"], "monitor");
    assert_eq!(json["incident"]["lot"], "1A");
    // The signature is the HMAC-SHA256 of the exact body under the secret.
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let signature = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("x-redegov-signature: ").or_else(|| l.strip_prefix("X-Redegov-Signature: "))
        })
        .expect("signature header");
    assert_eq!(signature, expected);
    // Delivered once: nothing left to send.
    assert_eq!(app.deliver_webhooks(&client, 10).await.expect("deliver").claimed, 0);
}

/// A round whose write failed is merged into the next: a gap that started
/// in the first and ended in the second is still recorded, start and end.
async fn a_retried_write_keeps_a_gap_that_started_and_ended(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let sys = Actor::system();
    let now = app.now();
    let mut ids = Vec::new();
    for i in 0..2 {
        let mut d = draft(w.site_a, w.lot_1a, &[&format!("198.18.4.{}", i + 1)]);
        d.activated_at = Some(now - chrono::Duration::days(1));
        ids.push(app.create_access(&sys, d).await.expect("access").id);
    }
    let settings =
        MonitorSettings { gap_min_targets: 2, gap_share_percent: 100, ..MonitorSettings::default() };
    let mut e = engine(&app, settings).await;
    let t0 = now - chrono::Duration::minutes(1);
    let round = |ms: i64, ok: bool| -> Vec<ProbeResult> {
        ids.iter().map(|a| result(*a, 0, at(t0, ms), ok)).collect()
    };
    let mut pending = e.round(at(t0, 0), round(0, false));
    // Not stored (say, the database was away); the next round is merged in.
    pending.merge(e.round(at(t0, 1000), round(1000, true)));
    assert_eq!(pending.gaps.len(), 2);
    app.record_monitor_round("w1", &pending).await.expect("round");
    let mut tx = app.store().read().await.expect("tx");
    let gaps = tx.gaps(0, i64::MAX).await.expect("gaps");
    assert_eq!(gaps.len(), 1);
    assert_eq!(
        (gaps[0].started_ms, gaps[0].ended_ms),
        (at(t0, 0).timestamp_millis(), Some(at(t0, 1000).timestamp_millis()))
    );
    assert_eq!((gaps[0].probed, gaps[0].failed), (2, 2));
}
