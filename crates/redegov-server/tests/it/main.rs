//! The `redegov` binary end to end: exit codes, one-line errors naming the
//! problem, CSV import, users and tokens, closing a month of the demo
//! network, and `serve --demo` on an empty database (SQLite; the same
//! commands run on PostgreSQL when `TEST_DATABASE_URL` is set).

use redegov_test_support::TestDb;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn redegov(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redegov"))
        .args(args)
        .env("REDEGOV_DB", db)
        .env("REDEGOV_PASSWORD", "cli-password")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run redegov")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn unknown_or_unreachable_databases_fail_with_one_line() {
    let out = redegov("mysql://root@localhost/x", &["migrate"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("mysql://root@localhost/x"), "{err}");
    let out = redegov("postgres://u:secret@127.0.0.1:1/none", &["migrate"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("127.0.0.1:1") && !err.contains("secret"), "{err}");
}

async fn cli_round_trip(db: TestDb) {
    let url = db.url.clone();
    let out = redegov(&url, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Both backends run this body at once: files of their own.
    let dir = std::env::temp_dir();
    let tag = format!("{}-{:?}", std::process::id(), db.backend);
    let good = dir.join(format!("redegov-agencies-{tag}.csv"));
    std::fs::write(
        &good,
        "name;acronym;cnpj;kind\nSecretaria de Fazenda;SEF;11.222.333/0001-81;compulsory\n",
    )
    .expect("write csv");
    let out = redegov(&url, &["import", "agencies", good.to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1 linha(s) importada(s)"), "{}", text(&out.stdout));
    let bad = dir.join(format!("redegov-agencies-bad-{tag}.csv"));
    std::fs::write(
        &bad,
        "name;acronym;cnpj;kind\nA;A;11.222.333/0001-82;compulsory\nB;B;11.444.777/0001-61;nenhum\n",
    )
    .expect("write csv");
    let out = redegov(&url, &["import", "agencies", bad.to_str().expect("path")]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("linha 2, coluna cnpj") && err.contains("linha 3, coluna kind"), "{err}");
    let out = redegov(&url, &["user", "add", "--login", "ana", "--role", "agency_manager"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("agency_id"), "{}", text(&out.stderr));
    let out = redegov(&url, &["user", "add", "--login", "ana", "--role", "agency_manager", "--agency", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = redegov(&url, &["token", "create", "--login", "ana"]);
    assert!(out.status.success() && text(&out.stdout).starts_with("rg_"), "{}", text(&out.stderr));
    let _ = std::fs::remove_file(good);
    let _ = std::fs::remove_file(bad);
}

redegov_test_support::on_both_backends!(cli_round_trip, close_month_and_import_incidents_on_the_demo);

/// The binary runs on the real clock: the demo's months (2026-09 and
/// 2026-10, with incidents) have ended; the month after next has not.
async fn close_month_and_import_incidents_on_the_demo(db: TestDb) {
    let url = db.url.clone();
    let out = redegov(&url, &["demo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Incidents first: October must still be open to take them.
    let dir = std::env::temp_dir();
    let tag = format!("{}-{:?}", std::process::id(), db.backend);
    let good = dir.join(format!("redegov-incidents-{tag}.csv"));
    std::fs::write(
        &good,
        "access_id,started_at,ended_at,responsibility,cause,ticket,clock_stops\n\
         1,2026-10-20T08:00:00-03:00,2026-10-20T10:00:00-03:00,operator,fibra rompida,OP-77,\
         2026-10-20T08:30:00-03:00/2026-10-20T09:00:00-03:00\n\
         AC-000002,2026-10-21T08:00:00-03:00,,agency,sem energia,,\n",
    )
    .expect("write csv");
    let out = redegov(&url, &["import", "incidents", good.to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2 linha(s) importada(s)"), "{}", text(&out.stdout));
    let bad = dir.join(format!("redegov-incidents-bad-{tag}.csv"));
    std::fs::write(
        &bad,
        "access_id;started_at;ended_at;responsibility\n\
         1;2026-10-22T08:00:00-03:00;2026-10-22T09:00:00-03:00;operator\n\
         99999999;2026-10-22T08:00:00-03:00;2026-10-22T07:00:00-03:00;operator\n\
         1;2026-10-22T08:00:00-03:00;2026-10-22T07:00:00-03:00;culpa de ninguém\n",
    )
    .expect("write csv");
    let out = redegov(&url, &["import", "incidents", bad.to_str().expect("path")]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("2 problema(s); nada foi importado")
            && err.contains("linha 3, coluna access_id: não existe")
            && err.contains("linha 4, coluna responsibility: deve ser um de"),
        "{err}"
    );

    let out = redegov(&url, &["close-month", "2026-10"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("Mês 2026-10 fechado"), "{summary}");
    for label in ["Acessos:", "Faturado:", "Descontos:", "Líquido:", "Violações de IMR:", "Impressão digital"]
    {
        assert!(summary.contains(label), "{label} in {summary}");
    }
    let money = |label: &str| {
        let line = summary.lines().find(|l| l.contains(label)).expect("a line per total");
        line.split_once("R$ ").map(|(_, v)| v.trim().to_string()).expect("formatted as R$ 1.234,56")
    };
    let charge = money("Faturado:");
    assert!(charge.contains(',') && charge.contains('.'), "thousands and centavos: {charge}");
    assert!(money("Descontos:") != "0,00", "the demo's October has credits: {summary}");
    let fingerprint = summary.lines().find(|l| l.contains("Impressão digital")).expect("fingerprint");
    assert_eq!(fingerprint.split_whitespace().last().map(str::len), Some(64), "{fingerprint}");

    let out = redegov(&url, &["close-month", "2026-10"]);
    assert!(!out.status.success(), "closed twice");
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("o mês 2026-10 já foi fechado"), "{err}");
    // October is now immutable: importing into it is refused.
    let out = redegov(&url, &["import", "incidents", good.to_str().expect("path")]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("linha 2, coluna started_at: o mês 2026-10 já foi fechado"));

    let out = redegov(&url, &["close-month", "2099-12"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("o mês 2099-12 ainda não terminou"), "{err}");
    let out = redegov(&url, &["close-month", "2026-13"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("mês inválido \"2026-13\": use AAAA-MM"), "{}", text(&out.stderr));
    let _ = std::fs::remove_file(good);
    let _ = std::fs::remove_file(bad);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_on_an_empty_database() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db = TestDb::sqlite().await;
    // The demo's probe targets are fictitious: no probe may leave the machine.
    let mut child = Command::new(env!("CARGO_BIN_EXE_redegov"))
        .args(["serve", "--demo", "--no-probe", "--bind", "127.0.0.1:0", "--db", &db.url])
        .env("REDEGOV_ADMIN_PASSWORD", "admin-password")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start redegov serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    let url = loop {
        let line = lines.next().expect("server printed its URL before exiting").expect("line");
        printed.push(line.clone());
        if let Some(rest) = line.split("portal: ").nth(1) {
            break rest.split_whitespace().next().expect("url").trim_end_matches('/').to_string();
        }
    };
    let login_line = lines.next().expect("admin line").expect("line");
    assert!(login_line.contains("login: admin"), "{login_line}");
    let all = printed.join("\n");
    assert!(all.contains("acessos") && all.contains("noc"), "demo summary and users printed:\n{all}");
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{url}/health")).send().await.expect("health").status().as_u16(), 200);
    let token = text(&redegov(&db.url, &["token", "create", "--login", "admin"]).stdout).trim().to_string();
    let resp = client
        .get(format!("{url}/api/v1/accesses?page_size=1"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("accesses");
    let json: serde_json::Value = resp.json().await.expect("json");
    assert!(json["total"].as_i64().is_some_and(|n| n > 2700), "{json}");
    let _ = child.kill();
    let _ = child.wait();
}

/// Starts `redegov serve` and returns the child and the portal's URL.
fn start_serve(db: &str, extra: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_redegov"))
        .args(["serve", "--bind", "127.0.0.1:0", "--db", db])
        .args(extra)
        .env("REDEGOV_ADMIN_PASSWORD", "admin-password")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start redegov serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("server printed its URL before exiting").expect("line");
        if let Some(rest) = line.split("portal: ").nth(1) {
            break rest.split_whitespace().next().expect("url").trim_end_matches('/').to_string();
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

#[test]
fn a_bad_probe_interval_is_refused_naming_the_flag() {
    let out = redegov("sqlite::memory:", &["serve", "--probe-interval", "10ms"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("--probe-interval") && err.contains("100ms"), "{err}");
}

/// `serve --probe-interval 200ms` probes a loopback access with its built-in
/// prober and `/metrics` reports it (the access up, probes sent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_probes_with_its_built_in_prober_and_reports_metrics() {
    use redegov_app::{Actor, App, SystemClock};
    use redegov_domain::inventory::*;
    use redegov_domain::money::Money;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db = TestDb::sqlite().await;
    {
        let app = App::new(db.store().await, std::sync::Arc::new(SystemClock));
        let sys = Actor::system();
        let cnpj = |b: &str| redegov_domain::document::Cnpj::from_base(b).expect("cnpj").as_str().to_string();
        let op = app.create_operator(&sys, NewOperator::new("Alfa", &cnpj("111111110001")).expect("v")).await;
        let op = op.expect("operator");
        let contract = NewContract::new(
            "1/2026",
            "2026-01-01".parse().expect("d"),
            "2030-01-01".parse().expect("d"),
            Money::from_centavos(1_000_000),
        )
        .expect("v");
        let contract = app.create_contract(&sys, contract).await.expect("contract");
        let lot = NewLot::new(
            contract.id,
            "1A",
            LotHolder::Operator(op.id),
            Profile::I,
            Region::Any,
            "",
            None,
            None,
        )
        .expect("v");
        let lot = app.create_lot(&sys, lot).await.expect("lot");
        let price = NewPrice::new(
            lot.id,
            "SCM",
            10,
            Area::Capital,
            Money::from_centavos(1000),
            "2020-01-01".parse().expect("d"),
            None,
        )
        .expect("v");
        app.create_price(&sys, price).await.expect("price");
        let agency = NewAgency::new("Órgão", "OA", &cnpj("333333330001"), AgencyKind::Compulsory).expect("v");
        let agency = app.create_agency(&sys, agency).await.expect("agency");
        let site = NewSite::new(
            agency.id,
            "Sede",
            "Rua A, 1",
            3106200,
            Area::Capital,
            Zone::Urban,
            Contact::default(),
        )
        .expect("v");
        let site = app.create_site(&sys, site).await.expect("site");
        let draft = AccessDraft {
            site_id: site.id,
            lot_id: lot.id,
            profile: None,
            service: "SCM".into(),
            bandwidth_mbps: 10,
            redundancy: Redundancy::None,
            technology: Technology::Terrestrial,
            monthly_price: None,
            activated_at: Some(app.now() - chrono::Duration::days(1)),
            probe_targets: vec!["127.0.0.1".into()],
        };
        app.create_access(&sys, draft).await.expect("access");
    }
    let (mut child, url) = start_serve(&db.url, &["--probe-interval", "200ms", "--worker", "cli-test"]);
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let mut last = String::new();
    while started.elapsed() < std::time::Duration::from_secs(20) {
        last =
            client.get(format!("{url}/metrics")).send().await.expect("metrics").text().await.expect("text");
        if last.contains("redegov_accesses{state=\"up\"} 1") && last.contains("redegov_probes_sent_total") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // A request is timed by its route pattern.
    let me = client.get(format!("{url}/api/v1/me")).send().await.expect("me");
    assert_eq!(me.status().as_u16(), 401);
    let timed =
        client.get(format!("{url}/metrics")).send().await.expect("metrics").text().await.expect("text");
    let _ = child.kill();
    let _ = child.wait();
    assert!(last.contains("redegov_accesses{state=\"up\"} 1"), "{last}");
    assert!(last.contains("redegov_probes_sent_total"), "{last}");
    assert!(
        timed.contains("redegov_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/me\",status=\"401\"} 1"),
        "{timed}"
    );
}
