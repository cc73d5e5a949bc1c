//! The monitoring endpoints over HTTP: bad alert payloads get a 400 naming
//! the field and keep nothing; a real Prometheus Alertmanager (Debian's
//! `prometheus-alertmanager`, started here with a webhook receiver pointing
//! at redegov) delivers a firing and a resolved alert that open and close
//! one incident, and its repeated deliveries change nothing; `/metrics`
//! answers in the Prometheus text format.

use super::world;
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends, skip_or_fail};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

on_both_backends!(bad_alert_payloads_name_the_field_and_keep_nothing, metrics_answer_in_prometheus_text);

async fn bad_alert_payloads_name_the_field_and_keep_nothing(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let noc = t.token("noc", Role::NetworkManager, None, None).await;
    let post_raw = |path: &'static str, body: &'static str| {
        let t = &t;
        let noc = noc.clone();
        async move {
            let resp = t
                .client
                .post(format!("{}{path}", t.base_url))
                .bearer_auth(noc)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("request");
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = post_raw("/api/v1/alerts/alertmanager", "{not json").await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("body")), "{body}");
    let (status, body) = post_raw("/api/v1/alerts/alertmanager", r#"{"version": "3", "alerts": []}"#).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("version")), "{body}");
    let bad_date = json!({"version": "4", "status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": "A", "access_id": w.access_a.to_string()},
         "annotations": {}, "startsAt": "2026-03-10T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "f1"},
        {"status": "firing", "labels": {"alertname": "A"}, "annotations": {}, "startsAt": "ontem", "fingerprint": "f2"}
    ]});
    let (status, body) = t.post("/api/v1/alerts/alertmanager", &noc, bad_date).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("alerts[1].startsAt")), "{body}");
    let (status, body) = t
        .post(
            "/api/v1/alerts/zabbix",
            &noc,
            json!({"event_id": "1", "status": "problem", "name": "x",
                                                    "started_at": "2026-03-10 10:00"}),
        )
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("started_at")), "{body}");
    // Nothing of a refused delivery was kept: not even its valid first alert.
    let (status, alerts) = t.get("/api/v1/alerts", &noc).await;
    assert_eq!((status, alerts.as_array().map(Vec::len)), (200, Some(0)), "{alerts}");
    let (_, incidents) =
        t.get(&format!("/api/v1/incidents?access_id={}&source=alert", w.access_a), &noc).await;
    assert_eq!(incidents["total"], 0, "{incidents}");
    // Without a token: 401, and nothing kept either.
    let resp = t
        .client
        .post(format!("{}/api/v1/alerts/zabbix", t.base_url))
        .json(
            &json!({"event_id": "2", "status": "problem", "name": "x", "started_at": "2026-03-10T10:00:00Z"}),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 401);
}

async fn metrics_answer_in_prometheus_text(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let _w = world(&t).await;
    let resp = t.client.get(format!("{}/metrics", t.base_url)).send().await.expect("request");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()["content-type"].to_str().unwrap_or("").starts_with("text/plain; version=0.0.4"),
        "{:?}",
        resp.headers()
    );
    let text = resp.text().await.expect("text");
    // Two active accesses with probe targets, none probed yet: unknown.
    assert!(text.contains("# TYPE redegov_accesses gauge"), "{text}");
    assert!(text.contains("redegov_accesses{state=\"unknown\"} 1"), "{text}");
    assert!(text.contains("redegov_open_outages 0"), "{text}");
}

/// A running Alertmanager, killed on drop.
struct Alertmanager {
    child: Child,
    url: String,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

impl Alertmanager {
    /// Starts one whose only receiver posts to `webhook` with `token`.
    async fn start(webhook: &str, token: &str) -> Option<Alertmanager> {
        if !std::path::Path::new(ALERTMANAGER).exists() {
            skip_or_fail("Prometheus Alertmanager (Debian package prometheus-alertmanager)");
            return None;
        }
        let dir = std::env::temp_dir().join(format!("redegov-am-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).expect("dir");
        let config = format!(
            "route:\n  receiver: redegov\n  group_by: ['alertname', 'access_id']\n  group_wait: 0s\n  \
             group_interval: 1s\n  repeat_interval: 2s\nreceivers:\n  - name: redegov\n    webhook_configs:\n      \
             - url: {webhook}\n        send_resolved: true\n        http_config:\n          authorization:\n            \
             type: Bearer\n            credentials: {token}\n"
        );
        std::fs::write(dir.join("alertmanager.yml"), config).expect("config");
        let port = free_port();
        let child = Command::new(ALERTMANAGER)
            .arg(format!("--config.file={}", dir.join("alertmanager.yml").display()))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start alertmanager");
        let am = Alertmanager { child, url: format!("http://127.0.0.1:{port}"), _dir: TempDir(dir) };
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(r) = client.get(format!("{}/-/ready", am.url)).send().await
                && r.status().is_success()
            {
                return Some(am);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("alertmanager did not become ready");
    }

    async fn post_alert(&self, labels: &Value, starts_at: &str, ends_at: Option<&str>) {
        let mut alert = json!({"labels": labels, "annotations": {"summary": "Acesso sem resposta"}, "startsAt": starts_at});
        if let Some(end) = ends_at {
            alert["endsAt"] = json!(end);
        }
        let resp = reqwest::Client::new()
            .post(format!("{}/api/v2/alerts", self.url))
            .json(&json!([alert]))
            .send()
            .await
            .expect("post alert");
        assert!(resp.status().is_success(), "{}", resp.status());
    }
}

async fn poll(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

on_both_backends!(a_real_alertmanager_opens_and_closes_one_incident);

async fn a_real_alertmanager_opens_and_closes_one_incident(db: TestDb) {
    let t = TestApp::spawn(db).await;
    // Alertmanager stamps real instants: the app's clock follows the wall's.
    t.clock.set(chrono::Utc::now());
    let w = world(&t).await;
    let noc = t.token("alertmanager", Role::NetworkManager, None, None).await;
    let Some(am) = Alertmanager::start(&format!("{}/api/v1/alerts/alertmanager", t.base_url), &noc).await
    else {
        return;
    };
    let labels =
        json!({"alertname": "AccessDown", "access_id": w.access_a.to_string(), "instance": "10.0.0.1:9100"});
    let starts = (chrono::Utc::now() - chrono::Duration::seconds(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    am.post_alert(&labels, &starts, None).await;
    let path = format!("/api/v1/incidents?access_id={}&source=alert", w.access_a);
    let opened = poll(Duration::from_secs(20), async || {
        t.clock.set(chrono::Utc::now());
        t.get(&path, &noc).await.1["total"] == 1
    })
    .await;
    assert!(opened, "the firing alert opened an incident");
    // Alertmanager repeats the notification every 2 s: still one incident.
    let repeated = poll(Duration::from_secs(20), async || {
        t.clock.set(chrono::Utc::now());
        let (_, alerts) = t.get("/api/v1/alerts", &noc).await;
        alerts[0]["deliveries"].as_i64().unwrap_or(0) >= 2
    })
    .await;
    assert!(repeated, "a repeated delivery was received");
    let (_, incidents) = t.get(&path, &noc).await;
    assert_eq!(incidents["total"], 1, "{incidents}");
    assert_eq!(incidents["items"][0]["status"], "open", "{incidents}");
    assert_eq!(incidents["items"][0]["started_at"], starts.as_str(), "{incidents}");

    // Resolved: the same alert with an end.
    let ends = (chrono::Utc::now() - chrono::Duration::seconds(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    am.post_alert(&labels, &starts, Some(&ends)).await;
    let resolved = poll(Duration::from_secs(20), async || {
        t.clock.set(chrono::Utc::now());
        t.get(&path, &noc).await.1["items"][0]["status"] == "resolved"
    })
    .await;
    assert!(resolved, "the resolved alert closed the incident");
    let (_, incidents) = t.get(&path, &noc).await;
    assert_eq!(incidents["total"], 1, "{incidents}");
    assert_eq!(incidents["items"][0]["ended_at"], ends.as_str(), "{incidents}");
}
