//! Portal tests of the NOC (issue #5): the panel's counters, its outages
//! with their lot, operator and agency, the grouping, the live fragment
//! htmx polls, the export, the scope, the vendored script and the policy
//! that allows it; and an access's monitoring page with its charts, links
//! and link outages.
//!
//! The clock stands at 10/03/2026 12:00 (Brasília). Access A (agency A,
//! Belo Horizonte, lot 1A of Alfa) answers its probes and has an external
//! alert open since 11:30; access B (agency B, Uberlândia, lot 6A of the
//! consortium Alfa/Beta) lost both links at 11:42, which the monitor
//! turned into an incident; a second prober is in a monitoring gap since
//! 11:55.

use super::portal::{browser_client, login, page};
use super::{World, world};
use fantoccini::Locator;
use redegov_app::monitor::{Engine, GapChange, ProbeResult, RoundWrite, SHARDS, probe_key};
use redegov_domain::ids::AccessId;
use redegov_domain::monitor::{GapEvent, MonitorSettings};
use redegov_domain::role::Role;
use redegov_domain::time::Timestamp;
use redegov_test_support::browser::Browser;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use serde_json::json;
use std::time::Duration;

on_both_backends!(
    the_noc_panel_lists_outages_live_scoped_and_exported,
    the_panel_refreshes_itself_in_a_browser,
    an_access_monitoring_page_draws_its_charts
);

/// The engine over every access of the test's database.
async fn engine(t: &TestApp) -> Engine {
    let mut tx = t.app.store().read().await.expect("tx");
    let all: Vec<i64> = (0..SHARDS).collect();
    let watched = tx.watched_accesses(SHARDS, &all).await.expect("watched");
    let ids: Vec<_> = watched.iter().map(|w| w.access_id).collect();
    let saved = tx.link_states(Some(&ids)).await.expect("states");
    let mut e = Engine::new(MonitorSettings::default());
    e.sync(watched, &saved);
    e
}

fn probe(access: i64, link: usize, at: Timestamp, ok: bool) -> ProbeResult {
    ProbeResult { key: probe_key(AccessId(access), link), at, rtt: ok.then(|| Duration::from_micros(1_500)) }
}

/// Activates access B and runs the monitor: both accesses answer from
/// 11:40, access B's two links stop answering at 11:42 (down on the third
/// failure); then prober `w2` starts a gap at 11:55. Returns the incident
/// the monitor opened for access B.
async fn monitored(t: &TestApp, w: &World) -> i64 {
    let (status, json) = t
        .patch(
            &format!("/api/v1/accesses/{}", w.access_b),
            &w.admin,
            json!({"status": "active", "status_at": "2026-02-15T00:00:00-03:00"}),
        )
        .await;
    assert_eq!(status, 200, "activate access B: {json}");
    let mut e = engine(t).await;
    assert_eq!(e.size(), (2, 3), "two accesses, three links");
    let t0 = t.app.now() - chrono::Duration::minutes(20);
    let mut opened = Vec::new();
    for minute in 0..5 {
        let at = t0 + chrono::Duration::minutes(minute);
        let b_ok = minute < 2;
        let results = vec![
            probe(w.access_a, 0, at, true),
            probe(w.access_b, 0, at, b_ok),
            probe(w.access_b, 1, at, b_ok),
        ];
        let mut write = e.round(at, results);
        write.stats = e.drain_stats();
        opened.extend(t.app.record_monitor_round("w1", &write).await.expect("round").opened);
    }
    assert_eq!(opened.len(), 1, "one incident for access B");
    let gap = RoundWrite {
        gaps: vec![GapChange {
            event: GapEvent::Started { at: t.app.now() - chrono::Duration::minutes(5) },
            probed: 12,
            failed: 11,
        }],
        ..RoundWrite::default()
    };
    t.app.record_monitor_round("w2", &gap).await.expect("gap round");
    opened[0].0
}

/// An Alertmanager delivery: a firing alert on access A since 11:30, and
/// one that names no access. Returns the incident opened for access A.
async fn alerted(t: &TestApp, w: &World, noc: &str) -> i64 {
    let body = json!({"version": "4", "status": "firing", "receiver": "redegov", "alerts": [
        {"status": "firing", "labels": {"alertname": "AccessDown", "access_id": w.access_a.to_string()},
         "annotations": {"summary": "sem resposta"}, "startsAt": "2026-03-10T11:30:00-03:00",
         "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "a1"},
        {"status": "firing", "labels": {"alertname": "AccessDown", "instance": "roteador-x"},
         "annotations": {}, "startsAt": "2026-03-10T11:45:00-03:00", "fingerprint": "a2"}
    ]});
    let (status, report) = t.post("/api/v1/alerts/alertmanager", noc, body).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["unmatched"], 1, "{report}");
    report["opened"][0].as_i64().expect("an incident opened")
}

/// The value of the counter `id` on the panel.
fn counter(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker).unwrap_or_else(|| panic!("counter {id} in {html}")) + marker.len();
    html[start..].split('<').next().expect("value").to_string()
}

/// Where a group's header row sits in the panel.
fn group_at(html: &str, title: &str) -> usize {
    html.find(&format!(">{title} <span class=\"group-count\">"))
        .unwrap_or_else(|| panic!("group {title} in {html}"))
}

async fn the_noc_panel_lists_outages_live_scoped_and_exported(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let noc = t.token("noc", Role::NetworkManager, None, None).await;
    t.token("gestor.b", Role::AgencyManager, Some(w.agency_b), None).await;
    let client = browser_client();
    login(&t, &client, "noc").await;

    // Nothing down yet: the counters, an empty list, and the live wiring.
    let resp = client.get(format!("{}/noc", t.base_url)).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
    let csp = resp.headers()["content-security-policy"].to_str().expect("ascii").to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe"), "no inline script, no eval: {csp}");
    let html = resp.text().await.expect("html");
    assert!(html.contains("NOC — Monitoramento") && html.contains("href=\"/noc\""), "{html}");
    for label in ["Operantes", "Inoperantes", "Desconhecidos"] {
        assert!(html.contains(&format!("<p class=\"kpi-label\">{label}</p>")), "{label}");
    }
    // Access A is active and not probed yet; access B is not active.
    assert_eq!(
        (
            counter(&html, "noc-operantes"),
            counter(&html, "noc-inoperantes"),
            counter(&html, "noc-desconhecidos")
        ),
        ("0".into(), "0".into(), "1".into())
    );
    assert!(html.contains("Nenhum acesso inoperante agora"), "{html}");
    assert!(
        html.contains("hx-get=\"/noc/painel?agrupar=lote\" hx-trigger=\"every 5s\" hx-swap=\"outerHTML\"")
    );
    assert_eq!(html.matches("<script").count(), 1, "one script, the vendored file: {html}");
    assert!(html.contains("<script src=\"/assets/htmx-2.0.11.min.js\" defer></script>"));
    assert!(html.contains(r#"<meta name="htmx-config" content='{"allowEval":false"#), "{html}");
    assert!(html.contains("<noscript>") && html.contains("id=\"atualizar\""), "works without JavaScript");

    // The script itself, cached for a year under its versioned name.
    let resp = t.client.get(format!("{}/assets/htmx-2.0.11.min.js", t.base_url)).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(resp.headers()["cache-control"].to_str().expect("ascii").contains("immutable"));
    let script = resp.text().await.expect("js");
    assert!(script.starts_with("var htmx=") && script.contains("version:\"2.0.11\""));

    // Two outages: access A by an external alert, access B by the monitor.
    let alert_incident = alerted(&t, &w, &noc).await;
    let monitor_incident = monitored(&t, &w).await;
    let (status, html) = page(&t, &client, "/noc").await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            counter(&html, "noc-operantes"),
            counter(&html, "noc-inoperantes"),
            counter(&html, "noc-desconhecidos")
        ),
        ("1".into(), "1".into(), "0".into()),
        "A answers, B does not"
    );
    assert_eq!(counter(&html, "noc-incidentes"), "2");
    assert!(
        html.contains(
            "Lacuna de monitoramento desde 10/03/2026 11:55 no coletor w2: 11 de 12 alvos sem resposta — o \
             período conta como desconhecido, não como indisponibilidade."
        ),
        "{html}"
    );
    assert!(html.contains("1 alerta externo recebido não corresponde a nenhum acesso"), "{html}");

    // The live fragment: the same panel, without the layout.
    let (status, panel) = page(&t, &client, "/noc/painel").await;
    assert_eq!(status, 200);
    assert!(!panel.contains("<html") && !panel.contains("<nav"), "a fragment: {panel}");
    assert!(
        panel.starts_with("\n<div id=\"painel-noc\"")
            || panel.trim_start().starts_with("<div id=\"painel-noc\"")
    );
    for (incident, access, agency, address, town, lot, holder, source, length) in [
        (
            alert_incident,
            w.access_a,
            "OA",
            "Rua A, 1",
            "Belo Horizonte",
            "1A",
            "Alfa",
            "Alerta externo",
            "30 min",
        ),
        (
            monitor_incident,
            w.access_b,
            "OB",
            "Av. B, 2",
            "Uberlândia",
            "6A",
            "Alfa/Beta",
            "Monitoramento",
            "18 min",
        ),
    ] {
        for text in [
            format!("href=\"/incidentes/{incident}\">{incident}</a>"),
            format!("href=\"/acessos/{access}\">{access}</a>"),
            format!("<td>{agency}</td><td>{address}</td><td>{town}</td>"),
            format!(">{lot}</a></td><td>{holder}</td>"),
            format!("<td>{source}</td>"),
            format!("<td class=\"num\">{length}</td>"),
        ] {
            assert!(panel.contains(&text), "{text} in {panel}");
        }
    }
    assert!(group_at(&panel, "Lote 1A — Alfa") < group_at(&panel, "Lote 6A — Alfa/Beta"));
    assert!(panel.contains("aria-label=\"Acessos inoperantes por operadora\""), "the chart: {panel}");

    // Grouped by municipality, and the polling keeps the grouping.
    let (status, panel) = page(&t, &client, "/noc/painel?agrupar=municipio").await;
    assert_eq!(status, 200);
    assert!(group_at(&panel, "Belo Horizonte") < group_at(&panel, "Uberlândia"), "{panel}");
    assert!(panel.contains("hx-get=\"/noc/painel?agrupar=municipio\""));
    let (_, html) = page(&t, &client, "/noc?agrupar=operadora").await;
    assert!(group_at(&html, "Alfa") < group_at(&html, "Alfa/Beta"));
    assert!(html.contains("<option value=\"operadora\" selected>"), "{html}");

    // The export: every outage, with its place and holder.
    let resp = client.get(format!("{}/noc?formato=csv", t.base_url)).send().await.expect("csv");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
    let csv = resp.text().await.expect("text");
    assert_eq!(csv.lines().count(), 3, "header and two outages:\n{csv}");
    let first = csv.lines().nth(1).expect("a row");
    assert!(
        first.starts_with(&format!("{alert_incident};{};OA;Rua A, 1;Belo Horizonte;1A;Alfa;", w.access_a)),
        "{csv}"
    );
    assert!(
        csv.contains("Duração (s)") && csv.contains(";1800;Alerta externo;") && csv.contains("Monitoramento")
    );
    let resp = client.get(format!("{}/noc?formato=xlsx", t.base_url)).send().await.expect("xlsx");
    assert!(resp.headers()["content-type"].to_str().expect("ascii").contains("spreadsheetml"));
    assert!(resp.bytes().await.expect("bytes").starts_with(b"PK"));

    // Agency B's manager sees its own outage only, without the NOC's notes.
    let agency = browser_client();
    login(&t, &agency, "gestor.b").await;
    let (status, html) = page(&t, &agency, "/noc").await;
    assert_eq!(status, 200);
    assert!(html.contains("href=\"/noc\""), "NOC in every role's menu");
    assert!(html.contains(&format!("href=\"/incidentes/{monitor_incident}\"")), "{html}");
    assert!(
        !html.contains(&format!("href=\"/incidentes/{alert_incident}\"")),
        "not another agency's: {html}"
    );
    assert!(!html.contains("Rua A, 1") && !html.contains("Lote 1A"));
    assert!(!html.contains("Lacuna de monitoramento") && !html.contains("alertas-sem-acesso"));
    assert_eq!(
        (counter(&html, "noc-operantes"), counter(&html, "noc-inoperantes")),
        ("0".into(), "1".into())
    );
    let csv = agency.get(format!("{}/noc?formato=csv", t.base_url)).send().await.expect("csv");
    assert!(!csv.text().await.expect("text").contains("Rua A, 1"));

    // A session gone: the fragment sends the whole page to log in, htmx's way.
    let resp = t
        .client
        .get(format!("{}/noc/painel?agrupar=municipio", t.base_url))
        .header("HX-Request", "true")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(resp.headers()["hx-redirect"], "/login?next=%2Fnoc%3Fagrupar%3Dmunicipio");
    let resp = t.client.get(format!("{}/noc/painel", t.base_url)).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 303, "without htmx, the usual redirect");
}

/// A real headless Chromium on `/noc`: htmx loads under the policy and,
/// polling, swaps in a new outage without the page being reloaded.
async fn the_panel_refreshes_itself_in_a_browser(db: TestDb) {
    let Some(browser) = Browser::start().await else { return };
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let noc = t.token("noc", Role::NetworkManager, None, None).await;
    let c = &browser.client;
    c.goto(&format!("{}/noc", t.base_url)).await.expect("open");
    c.find(Locator::Css("input[name=login]")).await.expect("login").send_keys("noc").await.expect("type");
    c.find(Locator::Css("input[name=password]"))
        .await
        .expect("password")
        .send_keys("test-password")
        .await
        .expect("type");
    c.find(Locator::Id("entrar")).await.expect("button").click().await.expect("click");
    let count = c.wait().for_element(Locator::Id("noc-incidentes")).await.expect("the panel after login");
    assert_eq!(count.text().await.expect("text"), "0");
    let version = c.execute("return window.htmx ? htmx.version : null", vec![]).await.expect("script");
    assert_eq!(version, json!("2.0.11"), "htmx loaded from this origin under the policy");
    // A mark only this document carries: a reload would lose it.
    c.execute("document.body.dataset.semRecarregar = 'sim'", vec![]).await.expect("mark");
    alerted(&t, &w, &noc).await;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath("//p[@id='noc-incidentes' and text()='1']"))
        .await
        .expect("the panel shows the new outage by itself");
    let panel = c.find(Locator::Id("inoperantes")).await.expect("the list").text().await.expect("text");
    assert!(panel.contains("Rua A, 1") && panel.contains("Alerta externo"), "{panel}");
    let mark = c.execute("return document.body.dataset.semRecarregar || null", vec![]).await.expect("mark");
    assert_eq!(mark, json!("sim"), "swapped in place, not reloaded");
    browser.close().await;
}

async fn an_access_monitoring_page_draws_its_charts(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("ana.admin", Role::Admin, None, None).await;
    t.token("gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    t.token("gestor.b", Role::AgencyManager, Some(w.agency_b), None).await;
    monitored(&t, &w).await;
    let admin = browser_client();
    login(&t, &admin, "ana.admin").await;

    let (status, html) = page(&t, &admin, &format!("/acessos/{}", w.access_a)).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("href=\"/acessos/{}/monitoramento\"", w.access_a)),
        "linked from the access"
    );

    let (status, html) = page(&t, &admin, &format!("/acessos/{}/monitoramento", w.access_a)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(&format!("Monitoramento do acesso #{}", w.access_a)), "{html}");
    assert!(
        html.contains(
            "<td>10.0.0.1</td><td><span class=\"badge link-up\">Operante</span></td><td>10/03/2026 11:40</td>"
        ),
        "{html}"
    );
    assert_eq!(
        html.matches("<svg class=\"timeline\"").count(),
        4,
        "availability and latency, per hour and per day: {html}"
    );
    assert!(html.contains("<td class=\"num\">1,5 ms</td>"), "the latency measured: {html}");
    assert!(html.contains("Por hora — últimas 24 horas") && html.contains("Por dia — últimos 30 dias"));
    assert!(
        html.contains("<p class=\"kpi-label\">Últimas 24 horas</p><p class=\"kpi-value\">100,00 %</p>"),
        "{html}"
    );
    assert!(html.contains("Nenhuma queda de enlace nos últimos 30 dias."));

    // Access B: both links down since 11:42, and the gap since 11:55 drawn
    // as unknown time, never as down.
    let (status, html) = page(&t, &admin, &format!("/acessos/{}/monitoramento", w.access_b)).await;
    assert_eq!(status, 200);
    for link in ["10.0.0.2", "10.0.1.2"] {
        assert!(
            html.contains(&format!("<td>{link}</td><td><span class=\"badge link-down\">Inoperante</span></td><td>10/03/2026 11:42</td>")),
            "{link}: {html}"
        );
        assert!(
            html.contains(&format!("<td>{link}</td><td>10/03/2026 11:42</td><td>em curso</td>")),
            "{html}"
        );
    }
    assert!(html.contains("class=\"seg down\"") && html.contains("class=\"seg unknown\""), "{html}");
    assert!(html.contains("fill=\"url(#por-hora-estado-hachura)\""));
    assert!(
        html.contains("<td class=\"num\">13 min</td><td class=\"num\">5 min</td>"),
        "down 11:42–11:55, then the gap: {html}"
    );

    // Scoped like the access: agency B's manager cannot open access A's.
    let agency = browser_client();
    login(&t, &agency, "gestor.b").await;
    let (status, html) = page(&t, &agency, &format!("/acessos/{}/monitoramento", w.access_a)).await;
    assert_eq!(status, 404, "{html}");
    assert!(html.contains("Não encontrado"));
    let (status, _) = page(&t, &agency, &format!("/acessos/{}/monitoramento", w.access_b)).await;
    assert_eq!(status, 200);
}
