//! Alert ingestion speed (issue #5's target: at least 1,000 Alertmanager
//! alerts per second), end to end over HTTP.
//!
//! ```sh
//! cargo run --release -p redegov-web --example alerts_bench -- --backend sqlite|postgres [--alerts N] [--batch N]
//! ```
//!
//! Serves the whole router on a local port over the demo network (a fresh
//! SQLite file, or a fresh schema in `TEST_DATABASE_URL`'s PostgreSQL) and
//! posts `--alerts` firing alerts (default 20,000), `--batch` per delivery
//! (default 50, as Alertmanager groups them; 1 measures one alert per
//! request), from 4 concurrent senders, each alert new and matched to a demo
//! access by its `access_id` label — the costliest path: the alert is
//! recorded, an incident opened and audited, the operator's e-mail queued.
//! Then it posts the same deliveries again (every alert a repeat: nothing
//! opened) and reports both rates. Not a test: it checks only that every
//! alert was accepted.

use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb};
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut backend = "sqlite".to_string();
    let (mut alerts, mut batch) = (20_000usize, 50usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next();
        match (a.as_str(), value) {
            ("--backend", Some(v)) => backend = v,
            ("--alerts", Some(v)) => alerts = v.parse().unwrap_or(alerts),
            ("--batch", Some(v)) => batch = v.parse().unwrap_or(batch).max(1),
            _ => {
                eprintln!("usage: alerts_bench [--backend sqlite|postgres] [--alerts N] [--batch N]");
                return ExitCode::from(2);
            }
        }
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(&backend, alerts, batch)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

const SENDERS: usize = 4;

async fn run(backend: &str, alerts: usize, batch: usize) -> Result<(), String> {
    let db = match backend {
        "postgres" => {
            TestDb::postgres().await.ok_or("PostgreSQL is not available (set TEST_DATABASE_URL)")?
        }
        "sqlite" => TestDb::sqlite().await,
        other => return Err(format!("--backend must be sqlite or postgres, not {other:?}")),
    };
    println!("backend: {}", db.backend.name());
    let t = TestApp::spawn_with_demo(db).await;
    t.clock.set(chrono::Utc::now());
    let token = t.token("alertmanager", Role::NetworkManager, None, None).await;
    let (_, accesses) = t.get("/api/v1/accesses?status=active&page_size=200", &token).await;
    let ids: Vec<i64> = accesses["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["id"].as_i64()).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        return Err("the demo has no active access".into());
    }
    let starts = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let deliveries: Vec<String> = (0..alerts.div_ceil(batch))
        .map(|d| {
            let items: Vec<_> = (d * batch..((d + 1) * batch).min(alerts))
                .map(|i| {
                    json!({"status": "firing",
                           "labels": {"alertname": "AccessDown", "access_id": ids[i % ids.len()].to_string(), "n": i.to_string()},
                           "annotations": {"summary": "Acesso sem resposta"},
                           "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z",
                           "generatorURL": "http://prometheus/graph", "fingerprint": format!("{i:016x}")})
                })
                .collect();
            json!({"version": "4", "groupKey": format!("{{}}:{{n=\"{d}\"}}"), "truncatedAlerts": 0, "status": "firing",
                   "receiver": "redegov", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
                   "externalURL": "http://alertmanager:9093", "alerts": items})
            .to_string()
        })
        .collect();
    for round in ["new (each opens an incident)", "repeated (nothing changes)"] {
        let started = Instant::now();
        let mut handles = Vec::new();
        for s in 0..SENDERS {
            let mine: Vec<String> = deliveries.iter().skip(s).step_by(SENDERS).cloned().collect();
            let client = t.client.clone();
            let url = format!("{}/api/v1/alerts/alertmanager", t.base_url);
            let token = token.clone();
            handles.push(tokio::spawn(async move {
                let mut accepted = 0usize;
                for body in mine {
                    let resp = client
                        .post(&url)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    if !resp.status().is_success() {
                        return Err(format!(
                            "HTTP {}: {}",
                            resp.status(),
                            resp.text().await.unwrap_or_default()
                        ));
                    }
                    let report: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
                    accepted += report["received"].as_u64().unwrap_or(0) as usize;
                }
                Ok::<usize, String>(accepted)
            }));
        }
        let mut accepted = 0;
        for h in handles {
            accepted += h.await.map_err(|e| e.to_string())??;
        }
        let secs = started.elapsed().as_secs_f64();
        if accepted != alerts {
            return Err(format!("{accepted} of {alerts} alerts accepted"));
        }
        println!(
            "{alerts} alerts {round}, {batch} per delivery, {SENDERS} senders: {secs:.2} s — {:.0} alerts/s",
            alerts as f64 / secs
        );
    }
    let (_, open) = t.get("/api/v1/incidents?source=alert&page_size=1", &token).await;
    println!("incidents opened: {}", open["total"]);
    Ok(())
}
