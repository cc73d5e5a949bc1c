//! Portal tests of incidents, maintenance windows, the month page and billing.
//!
//! The clock stands at 10/03/2026 12:00 (Brasília), so February 2026 has
//! ended and can be closed. Access A (agency A, lot 1A of Alfa, R$ 2.263,80
//! a month) is active from 01/02/2026; an operator outage on 05/02 from
//! 08:00 to 14:00 with a 30-minute clock stop leaves 5 h 30 min = 19,800 s
//! of downtime in February's 2,419,200 s: a credit of
//! 226,380 × 19,800 ÷ 2,419,200 = 1,852.81 → R$ 18,53, and a net of
//! R$ 2.245,27. Agency B gets an access of the Alfa/Beta consortium (60/40)
//! at R$ 2.558,90 with no outage.

use super::portal::{browser_client, csrf_of, login, page, submit};
use super::{World, created, world};
use redegov_app::Actor;
use redegov_app::incidents::IncidentInput;
use redegov_domain::ids::{AccessId, IncidentId, WindowId};
use redegov_domain::incident::{IncidentSource, IncidentStatus, Responsibility, WindowStatus};
use redegov_domain::measure::Month;
use redegov_domain::role::Role;
use redegov_domain::time::parse_instant;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use serde_json::json;

on_both_backends!(
    incidents_are_opened_worked_and_classified,
    maintenance_windows_are_proposed_and_decided,
    a_month_is_previewed_and_closed_through_the_portal,
    agencies_see_their_billing_and_nothing_else,
    the_lot_page_shows_its_contract_rules
);

fn fields(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// The opening of the table row that holds `needle`.
fn row_of<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html.find(needle).expect("the needle");
    let start = html[..at].rfind("<tr").expect("a row");
    &html[start..at]
}

/// The id at the end of a redirect (`/incidentes/7` → 7).
fn id_in(location: &str) -> i64 {
    location.rsplit('/').next().and_then(|s| s.split('?').next()).and_then(|s| s.parse().ok()).expect("an id")
}

/// A third access, for agency B on the consortium's lot, active all February.
async fn access_b2(t: &TestApp, w: &World) -> i64 {
    created(
        t,
        "/api/v1/accesses",
        &w.admin,
        json!({"site_id": w.site_b, "lot_id": w.lot_6a, "bandwidth_mbps": 10, "redundancy": "none",
               "technology": "terrestrial", "probe_targets": ["10.0.2.2"],
               "activated_at": "2026-02-01T00:00:00-03:00"}),
    )
    .await
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    parse_instant("t", s).expect("instant")
}

/// The February outage of access A, recorded by the NOC through the app.
async fn february_outage(t: &TestApp, access: i64) -> i64 {
    let input = IncidentInput {
        access_id: AccessId(access),
        probe_target: None,
        started_at: at("2026-02-05T08:00:00-03:00"),
        ended_at: Some(at("2026-02-05T14:00:00-03:00")),
        responsibility: Responsibility::Operator,
        cause: "fibra rompida".into(),
        ticket: "OP-1".into(),
        clock_stops: vec![redegov_domain::measure::Span::new(
            at("2026-02-05T09:00:00-03:00").timestamp(),
            at("2026-02-05T09:30:00-03:00").timestamp(),
        )],
        notes: String::new(),
        source: IncidentSource::Manual,
    };
    t.app.create_incident(&Actor::system(), input).await.expect("incident").id.0
}

async fn incident(t: &TestApp, id: i64) -> redegov_domain::incident::Incident {
    t.app.get_incident(&Actor::system(), IncidentId(id)).await.expect("incident").incident
}

async fn incidents_are_opened_worked_and_classified(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("noc", Role::NetworkManager, None, None).await;
    t.token("op.alfa", Role::Operator, None, Some(w.alfa)).await;
    t.token("op.beta", Role::Operator, None, Some(w.beta)).await;
    t.token("gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    t.token("gestor.b", Role::AgencyManager, Some(w.agency_b), None).await;
    let noc = browser_client();
    login(&t, &noc, "noc").await;

    let (status, dashboard) = page(&t, &noc, "/").await;
    assert_eq!(status, 200);
    assert!(
        dashboard.contains("href=\"/incidentes\"") && dashboard.contains("href=\"/manutencoes\""),
        "the NOC's menu has its daily work"
    );
    assert!(!dashboard.contains("href=\"/meses\""), "closing months is not the NOC's");

    // The form refuses what it cannot read, naming the field in pt-BR and
    // keeping what was typed.
    let (status, form) = page(&t, &noc, &format!("/incidentes/novo?access_id={}", w.access_a)).await;
    assert_eq!(status, 200);
    assert!(form.contains("OA — Rua A, 1, Belo Horizonte"), "the access is named: {form}");
    let csrf = csrf_of(&form);
    let new = |start: &str, end: &str, stops: &str| {
        fields(&[
            ("csrf", &csrf),
            ("access_id", &w.access_a.to_string()),
            ("probe_target", ""),
            ("started_at", start),
            ("ended_at", end),
            ("responsibility", "operator"),
            ("cause", "fibra rompida"),
            ("ticket", "OP-1"),
            ("clock_stops", stops),
            ("notes", ""),
        ])
    };
    let (status, html) = submit(&t, &noc, "/incidentes/novo", &new("31/02/2026 08:00", "", "")).await;
    assert_eq!(status, 422);
    assert!(html.contains("Início: formato inválido (esperado: data e hora dd/mm/aaaa hh:mm"), "{html}");
    assert!(html.contains("value=\"31/02/2026 08:00\""), "what was typed is kept");
    let (status, html) =
        submit(&t, &noc, "/incidentes/novo", &new("05/02/2026 08:00", "05/02/2026 07:00", "")).await;
    assert_eq!(status, 422);
    assert!(html.contains("Fim: a data final deve ser posterior à inicial"), "{html}");
    let stop = "05/02/2026 09:00 – 05/02/2026 09:30";
    let (status, html) = submit(
        &t,
        &noc,
        "/incidentes/novo",
        &new("05/02/2026 08:00", "05/02/2026 14:00", "05/02/2026 07:00 – 05/02/2026 07:30"),
    )
    .await;
    assert_eq!(status, 422, "a clock stop outside the incident");
    assert!(html.contains("Paradas de relógio: deve estar dentro do período do chamado"), "{html}");
    let listed = t.app.list_incidents(&Actor::system(), Default::default(), redegov_app::Page::all()).await;
    assert_eq!(listed.expect("list").total, 0, "nothing was written");

    let (status, to) =
        submit(&t, &noc, "/incidentes/novo", &new("05/02/2026 08:00", "05/02/2026 14:00", stop)).await;
    assert_eq!(status, 303, "{to}");
    let id = id_in(&to);
    let stored = incident(&t, id).await;
    assert_eq!(stored.started_at, at("2026-02-05T08:00:00-03:00"), "typed in Brasília time");
    assert_eq!(stored.status, IncidentStatus::Resolved, "with an end, it is resolved");
    assert_eq!(stored.clock_stops.len(), 1);

    // An open one, to see it highlighted and filtered.
    let (status, to) = submit(&t, &noc, "/incidentes/novo", &new("09/03/2026 22:15", "", "")).await;
    assert_eq!(status, 303);
    let open = id_in(&to);
    let (status, list) = page(&t, &noc, "/incidentes").await;
    assert_eq!(status, 200);
    assert!(
        list.contains(&format!("href=\"/incidentes/{id}\""))
            && list.contains(&format!("href=\"/incidentes/{open}\""))
    );
    assert!(list.contains("6 h 00 min") && list.contains("13 h 45 min (em aberto)"), "durations: {list}");
    assert!(row_of(&list, &format!("href=\"/incidentes/{open}\"")).starts_with("<tr class=\"row-open\">"));
    assert!(
        row_of(&list, &format!("href=\"/incidentes/{id}\"")).starts_with("<tr>"),
        "only the open one is highlighted"
    );
    let (_, only_open) = page(&t, &noc, "/incidentes?open=sim").await;
    assert!(only_open.contains(&format!("href=\"/incidentes/{open}\"")));
    assert!(!only_open.contains(&format!("href=\"/incidentes/{id}\"")), "the resolved one is filtered out");
    let (_, by_status) = page(&t, &noc, "/incidentes?status=resolved&responsibility=operator").await;
    assert!(
        by_status.contains(&format!("href=\"/incidentes/{id}\""))
            && !by_status.contains(&format!("href=\"/incidentes/{open}\""))
    );
    let csv = noc.get(format!("{}/incidentes?formato=csv", t.base_url)).send().await.expect("csv");
    assert!(csv.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
    let csv = csv.text().await.expect("text");
    assert!(csv.starts_with('\u{feff}') && csv.contains("Duração (s)") && csv.contains(";21600;"), "{csv}");
    let xlsx = noc.get(format!("{}/incidentes?formato=xlsx", t.base_url)).send().await.expect("xlsx");
    assert!(xlsx.bytes().await.expect("bytes").starts_with(b"PK"));

    // The NOC confirms and reclassifies; a new responsibility needs its justification.
    let detail_path = format!("/incidentes/{id}");
    let (status, detail) = page(&t, &noc, &detail_path).await;
    assert_eq!(status, 200);
    assert!(detail.contains("05/02/2026 08:00") && detail.contains(stop), "times in Brasília: {detail}");
    assert!(detail.contains("Confirmar resolução") && detail.contains("Devolver à operadora"));
    assert!(!detail.contains("id=\"status-closed\""), "closing comes after confirming");
    assert!(detail.contains("Classificação (NOC)"));
    let classify = |responsibility: &str, reason: &str| {
        fields(&[
            ("csrf", &csrf),
            ("form", "classificacao"),
            ("responsibility", responsibility),
            ("clock_stops", stop),
            ("reason", reason),
        ])
    };
    let (status, html) = submit(&t, &noc, &detail_path, &classify("agency", "")).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Justificativa: é obrigatório") && html.contains("<option value=\"agency\" selected>"),
        "{html}"
    );
    assert_eq!(incident(&t, id).await.responsibility, Responsibility::Operator, "nothing written");
    let (status, to) = submit(&t, &noc, &detail_path, &classify("agency", "CPE desligado pelo órgão")).await;
    assert_eq!((status, to.as_str()), (303, format!("{detail_path}?salvo=1").as_str()));
    assert_eq!(incident(&t, id).await.responsibility, Responsibility::Agency);
    let (status, to) =
        submit(&t, &noc, &detail_path, &classify("operator", "reavaliado: fibra da operadora")).await;
    assert_eq!(status, 303, "{to}");
    let work = |status: &str, ticket: &str| {
        fields(&[
            ("csrf", &csrf),
            ("form", "trabalho"),
            ("status", status),
            ("ended_at", "05/02/2026 14:00"),
            ("ticket", ticket),
            ("cause", "fibra rompida"),
            ("notes", "conferido com a operadora"),
        ])
    };
    assert_eq!(submit(&t, &noc, &detail_path, &work("confirmed", "OP-1")).await.0, 303);
    let confirmed = incident(&t, id).await;
    assert_eq!(
        (confirmed.status, confirmed.notes.as_str()),
        (IncidentStatus::Confirmed, "conferido com a operadora")
    );
    let (_, saved) = page(&t, &noc, &format!("{detail_path}?salvo=1")).await;
    assert!(saved.contains("Alterações salvas.") && saved.contains("id=\"status-closed\""));

    // The operator works its lot's incidents but neither confirms nor classifies.
    let alfa = browser_client();
    login(&t, &alfa, "op.alfa").await;
    let (status, html) = page(&t, &alfa, &format!("/incidentes/{open}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Enviar à operadora") && html.contains("Marcar como resolvido"));
    assert!(!html.contains("Classificação (NOC)") && !html.contains("Confirmar resolução"));
    let (status, to) = submit(
        &t,
        &alfa,
        &format!("/incidentes/{open}"),
        &fields(&[
            ("csrf", &csrf_of(&html)),
            ("form", "trabalho"),
            ("status", "with_operator"),
            ("ended_at", ""),
            ("ticket", "ALFA-77"),
            ("cause", "fibra rompida"),
            ("notes", ""),
        ]),
    )
    .await;
    assert_eq!(status, 303, "{to}");
    let worked = incident(&t, open).await;
    assert_eq!((worked.status, worked.ticket.as_str()), (IncidentStatus::WithOperator, "ALFA-77"));
    let beta = browser_client();
    login(&t, &beta, "op.beta").await;
    assert_eq!(page(&t, &beta, &detail_path).await.0, 404, "another operator's lot");
    let (_, beta_list) = page(&t, &beta, "/incidentes").await;
    assert!(!beta_list.contains(&format!("href=\"/incidentes/{id}\"")));

    // Agencies see their own incidents, and only add notes.
    let agency_a = browser_client();
    login(&t, &agency_a, "gestor.a").await;
    let (status, html) = page(&t, &agency_a, &detail_path).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("name=\"notes\"")
            && !html.contains("name=\"ticket\"")
            && !html.contains("id=\"status-")
    );
    assert_eq!(page(&t, &agency_a, "/manutencoes/nova").await.0, 403, "agencies do not announce maintenance");
    let (status, report) = page(&t, &agency_a, "/incidentes/novo").await;
    assert_eq!(status, 200, "agencies report outages (service desk)");
    assert!(
        report.contains("o NOC confirma a classificação")
            && !report.contains("name=\"responsibility\" required")
    );
    let agency_b = browser_client();
    login(&t, &agency_b, "gestor.b").await;
    assert_eq!(page(&t, &agency_b, &detail_path).await.0, 404, "another agency's incident");
    let posted = submit(&t, &agency_b, &detail_path, &fields(&[("csrf", "x"), ("notes", "intruso")])).await;
    assert_eq!(posted.0, 403, "a forged form is refused before anything else");
}

async fn maintenance_windows_are_proposed_and_decided(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("noc", Role::NetworkManager, None, None).await;
    t.token("op.alfa", Role::Operator, None, Some(w.alfa)).await;
    t.token("op.beta", Role::Operator, None, Some(w.beta)).await;
    let alfa = browser_client();
    login(&t, &alfa, "op.alfa").await;
    let (status, form) = page(&t, &alfa, "/manutencoes/nova").await;
    assert_eq!(status, 200);
    assert!(!form.contains("name=\"announced_at\""), "only the NOC records when an old window was announced");
    let csrf = csrf_of(&form);
    let window = |access: &str, lot: &str, from: &str, to: &str| {
        fields(&[
            ("csrf", &csrf),
            ("access_id", access),
            ("lot_id", lot),
            ("starts_at", from),
            ("ends_at", to),
            ("description", "troca do roteador"),
        ])
    };
    let access = w.access_a.to_string();
    let (status, html) =
        submit(&t, &alfa, "/manutencoes/nova", &window(&access, "", "11/03/2026 08:00", "11/03/2026 10:00"))
            .await;
    assert_eq!(status, 422, "20 hours ahead");
    assert!(
        html.contains(
            "Início: a janela de manutenção deve ser comunicada com pelo menos 48 h de antecedência"
        ),
        "{html}"
    );
    assert!(html.contains("value=\"11/03/2026 08:00\""));
    let (status, html) =
        submit(&t, &alfa, "/manutencoes/nova", &window("", "", "15/03/2026 01:00", "15/03/2026 03:00")).await;
    assert_eq!(status, 422);
    assert!(html.contains("Acesso (nº): informe o acesso ou escolha um lote"), "{html}");
    let (status, to) =
        submit(&t, &alfa, "/manutencoes/nova", &window(&access, "", "15/03/2026 01:00", "15/03/2026 03:00"))
            .await;
    assert_eq!(status, 303, "{to}");
    let id = id_in(&to);
    let (status, to) = submit(
        &t,
        &alfa,
        "/manutencoes/nova",
        &window("", &w.lot_1a.to_string(), "16/03/2026 01:00", "16/03/2026 02:00"),
    )
    .await;
    assert_eq!(status, 303, "a whole lot: {to}");
    let (_, list) = page(&t, &alfa, "/manutencoes?status=proposed").await;
    assert!(
        list.contains(&format!("href=\"/manutencoes/{id}\""))
            && list.contains("Proposta")
            && list.contains("Lote 1A (inteiro)")
    );
    assert!(list.contains("109 h 00 min"), "the notice given, 15/03 01:00 − 10/03 12:00: {list}");
    let (_, own) = page(&t, &alfa, &format!("/manutencoes/{id}")).await;
    assert!(!own.contains("id=\"aprovar\""), "operators do not decide");
    let beta = browser_client();
    login(&t, &beta, "op.beta").await;
    assert_eq!(page(&t, &beta, &format!("/manutencoes/{id}")).await.0, 404, "another operator's access");

    let noc = browser_client();
    login(&t, &noc, "noc").await;
    let path = format!("/manutencoes/{id}");
    let (status, html) = page(&t, &noc, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"aprovar\"") && html.contains("id=\"rejeitar\""));
    let csrf = csrf_of(&html);
    let decide =
        |decision: &str, reason: &str| fields(&[("csrf", &csrf), ("decision", decision), ("reason", reason)]);
    let (status, html) = submit(&t, &noc, &path, &decide("rejeitar", "")).await;
    assert_eq!(status, 422);
    assert!(html.contains("Motivo: é obrigatório"), "{html}");
    let window_status =
        async |id: i64| t.app.get_window(&Actor::system(), WindowId(id)).await.expect("window").status;
    assert_eq!(window_status(id).await, WindowStatus::Proposed, "nothing written");
    assert_eq!(
        submit(&t, &noc, &path, &decide("aprovar", "")).await,
        (303, format!("{path}?decidida=aprovada"))
    );
    assert_eq!(window_status(id).await, WindowStatus::Approved);
    let (_, decided) = page(&t, &noc, &format!("{path}?decidida=aprovada")).await;
    assert!(
        decided.contains("Manutenção aprovada.")
            && decided.contains("Aprovada")
            && !decided.contains("id=\"aprovar\"")
    );

    // The NOC records a window announced in the past (history).
    let (_, form) = page(&t, &noc, "/manutencoes/nova").await;
    assert!(form.contains("name=\"announced_at\""));
    let mut old = window(&access, "", "05/02/2026 10:00", "05/02/2026 11:00");
    old[0].1 = csrf_of(&form);
    old.push(("announced_at", "01/02/2026 10:00".into()));
    let (status, to) = submit(&t, &noc, "/manutencoes/nova", &old).await;
    assert_eq!(status, 303, "{to}");
    let recorded = t.app.get_window(&Actor::system(), WindowId(id_in(&to))).await.expect("window");
    assert_eq!(recorded.announced_at, at("2026-02-01T10:00:00-03:00"));
    let csv = noc.get(format!("{}/manutencoes?formato=csv", t.base_url)).send().await.expect("csv");
    assert!(csv.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
    assert_eq!(csv.text().await.expect("text").lines().count(), 4, "header and three windows");
}

async fn a_month_is_previewed_and_closed_through_the_portal(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    access_b2(&t, &w).await;
    let outage = february_outage(&t, w.access_a).await;
    t.token("ugs", Role::ContractManager, None, None).await;
    t.token("noc", Role::NetworkManager, None, None).await;
    let ugs = browser_client();
    login(&t, &ugs, "ugs").await;

    let (status, months) = page(&t, &ugs, "/meses").await;
    assert_eq!(status, 200);
    assert!(months.contains("href=\"/meses\" class=\"current\""), "Meses is in the contract manager's menu");
    assert!(
        months.contains("href=\"/meses/2026-02\">Fevereiro de 2026") && months.contains("Aberto — a fechar")
    );
    assert!(months.contains("Março de 2026") && months.contains("Em curso"));

    let (status, feb) = page(&t, &ugs, "/meses/2026-02").await;
    assert_eq!(status, 200);
    assert!(feb.contains("Prévia"), "an open month is a preview");
    for amount in ["R$ 4.822,70", "R$ 18,53", "R$ 4.804,17"] {
        assert!(feb.contains(amount), "total {amount}: {feb}");
    }
    assert!(feb.contains("Disponibilidade por lote"), "the chart");
    assert!(feb.contains("99,1815 %"), "lot 1A's availability: 19,800 s down of 2,419,200 s");
    assert!(feb.contains("Tempo de reparo") && feb.contains("5 h 30 min"), "the repair-time breach");
    assert!(feb.contains(&format!("href=\"/incidentes/{outage}\"")));
    let report_a = format!("/faturamento/2026-02/{}/operadora-{}", w.agency_a, w.alfa);
    let report_b = format!("/faturamento/2026-02/{}/consorcio-{}", w.agency_b, w.consortium);
    assert!(
        feb.contains(&format!("href=\"{report_a}?formato=pdf\""))
            && feb.contains(&format!("href=\"{report_b}\""))
    );
    assert!(feb.contains("href=\"/meses/2026-02/apuracao?formato=csv\""));
    assert!(feb.contains("id=\"fechar-mes\""), "the contract manager may close it");
    let (_, march) = page(&t, &ugs, "/meses/2026-03").await;
    assert!(
        !march.contains("id=\"fechar-mes\"") && march.contains("ainda não terminou"),
        "March has not ended"
    );
    assert_eq!(page(&t, &ugs, "/meses/2026-2").await.0, 404);

    let measurements =
        ugs.get(format!("{}/meses/2026-02/apuracao?formato=csv", t.base_url)).send().await.expect("csv");
    assert!(measurements.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
    let csv = measurements.text().await.expect("text");
    assert!(
        csv.contains("Segundos indisponíveis") && csv.contains(";19800;") && csv.contains(";18,53;"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3, "header and two billable accesses");
    let xlsx =
        ugs.get(format!("{}/meses/2026-02/apuracao?formato=xlsx", t.base_url)).send().await.expect("xlsx");
    assert!(xlsx.bytes().await.expect("bytes").starts_with(b"PK"));

    // Closing needs the role, the confirmation and the session's token.
    let csrf = csrf_of(&feb);
    let noc = browser_client();
    login(&t, &noc, "noc").await;
    let (_, noc_feb) = page(&t, &noc, "/meses/2026-02").await;
    assert!(!noc_feb.contains("id=\"fechar-mes\""));
    let noc_csrf = csrf_of(&noc_feb);
    let close =
        |token: &str, confirm: &str| fields(&[("csrf", token), ("confirmar", confirm), ("acao", "fechar")]);
    assert_eq!(submit(&t, &noc, "/meses/2026-02/fechar", &close(&noc_csrf, "sim")).await.0, 403);
    assert_eq!(submit(&t, &ugs, "/meses/2026-02/fechar", &close("forjado", "sim")).await.0, 403);
    let (status, html) = submit(&t, &ugs, "/meses/2026-02/fechar", &close(&csrf, "")).await;
    assert_eq!(status, 422);
    assert!(html.contains("Confirmação: marque a confirmação para fechar o mês"), "{html}");
    let feb_month = Month { year: 2026, month: 2 };
    assert!(t.app.list_closings(&Actor::system()).await.expect("closings").is_empty(), "nothing closed yet");
    let (status, html) = submit(&t, &ugs, "/meses/2026-03/fechar", &close(&csrf, "sim")).await;
    assert_eq!(status, 422);
    assert!(html.contains("Mês: março de 2026 ainda não terminou"), "{html}");

    assert_eq!(
        submit(&t, &ugs, "/meses/2026-02/fechar", &close(&csrf, "sim")).await,
        (303, "/meses/2026-02?fechado=1".into())
    );
    let closings = t.app.list_closings(&Actor::system()).await.expect("closings");
    assert_eq!(closings.iter().map(|c| c.month.as_str()).collect::<Vec<_>>(), ["2026-02"]);
    let (_, closed) = page(&t, &ugs, "/meses/2026-02?fechado=1").await;
    assert!(closed.contains("Fevereiro de 2026 foi fechado.") && closed.contains("Fechado"));
    assert!(closed.contains(&closings[0].inputs_fingerprint), "the inputs fingerprint is shown");
    assert!(closed.contains("R$ 18,53") && !closed.contains("id=\"fechar-mes\""));
    let (status, html) = submit(&t, &ugs, "/meses/2026-02/fechar", &close(&csrf, "sim")).await;
    assert_eq!(status, 422, "a month closes once");
    assert!(html.contains("o mês 2026-02 já foi fechado"), "{html}");
    let (_, months) = page(&t, &ugs, "/meses").await;
    assert!(months.contains(&closings[0].inputs_fingerprint[..12]) && months.contains("R$ 4.822,70"));

    // The closed month's incidents no longer change.
    let (_, detail) = page(&t, &noc, &format!("/incidentes/{outage}")).await;
    let (status, html) = submit(
        &t,
        &noc,
        &format!("/incidentes/{outage}"),
        &fields(&[
            ("csrf", &csrf_of(&detail)),
            ("form", "classificacao"),
            ("responsibility", "agency"),
            ("clock_stops", ""),
            ("reason", "tarde demais"),
        ]),
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("o mês 2026-02 já foi fechado; corrija com um ajuste em um mês aberto"), "{html}");
    let results =
        t.app.month_results(&Actor::system(), feb_month, Default::default()).await.expect("results");
    assert_eq!(results.lines.iter().map(|l| l.credit.centavos()).sum::<i64>(), 1_853);
}

async fn agencies_see_their_billing_and_nothing_else(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let b2 = access_b2(&t, &w).await;
    february_outage(&t, w.access_a).await;
    let outage_b = february_outage(&t, b2).await;
    t.token("gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    t.token("ana.admin", Role::Admin, None, None).await;
    let agency = browser_client();
    login(&t, &agency, "gestor.a").await;

    // Before the closing: a preview, already explained on the access's page.
    let (status, why) = page(&t, &agency, &format!("/acessos/{}?mes=2026-02", w.access_a)).await;
    assert_eq!(status, 200);
    assert!(
        why.contains("Disponibilidade e descontos") && why.contains("Por que fui descontado R$ 18,53?"),
        "{why}"
    );
    assert!(why.contains("R$ 2.263,80 × 19.800 s ÷ 2.419.200 s = R$ 18,53"), "the credit's arithmetic");
    assert!(why.contains("R$ 2.263,80 × 2.419.200 s ÷ 2.419.200 s = R$ 2.263,80"), "the charge's arithmetic");
    assert!(
        why.contains("parada de relógio (aguardando o órgão)")
            && why.contains("contado como indisponibilidade da operadora")
    );
    assert!(why.contains("05/02/2026 09:30") && why.contains("4 h 30 min") && why.contains("prévia"));
    assert!(why.contains("<option value=\"2026-02\" selected>"), "the month picker");
    let (_, january) = page(&t, &agency, &format!("/acessos/{}?mes=2026-01", w.access_a)).await;
    assert!(
        january.contains("o acesso não esteve ativo no mês")
            && january.contains("Por que fui descontado R$ 0,00?")
    );

    t.app.close_month(&Actor::system(), Month { year: 2026, month: 2 }, &|_, _, _| {}).await.expect("closed");
    let (status, billing) = page(&t, &agency, "/faturamento").await;
    assert_eq!(status, 200);
    assert!(
        billing.contains("href=\"/faturamento\" class=\"current\""),
        "Faturamento is in the agency's menu"
    );
    assert!(!billing.contains("href=\"/incidentes\""), "incidents are not in the agency's menu");
    assert!(
        billing.contains("Faturamento — OA")
            && billing.contains("R$ 2.245,27")
            && billing.contains("R$ 18,53")
    );
    let report_a = format!("/faturamento/2026-02/{}/operadora-{}", w.agency_a, w.alfa);
    assert!(
        billing.contains(&format!("href=\"{report_a}\""))
            && billing.contains(&format!("href=\"{report_a}?formato=pdf\""))
    );
    assert!(
        billing.contains("<svg class=\"matrix\"") && billing.contains("99,18 %"),
        "availability per access and month"
    );
    assert!(!billing.contains("Órgão B") && !billing.contains("Alfa/Beta"), "nothing of agency B");
    let (_, other) = page(&t, &agency, &format!("/faturamento?agency={}", w.agency_b)).await;
    assert!(other.contains("Faturamento — OA"), "an agency always sees its own");

    let (status, report) = page(&t, &agency, &report_a).await;
    assert_eq!(status, 200);
    assert!(report.contains("Relatório Consolidado do Faturamento") && report.contains("Mês fechado"));
    for text in
        ["Órgão A", "Alfa", "12/2026", "R$ 2.263,80", "R$ 18,53", "R$ 2.245,27", "99,1815 %", "5 h 30 min"]
    {
        assert!(report.contains(text), "{text}: {report}");
    }
    assert!(report.contains("class=\"row-total\""), "a totals row");
    for (format, mime, magic) in [
        ("pdf", "application/pdf", &b"%PDF"[..]),
        ("csv", "text/csv", "\u{feff}".as_bytes()),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
    ] {
        let resp =
            agency.get(format!("{}{report_a}?formato={format}", t.base_url)).send().await.expect(format);
        assert_eq!(resp.status().as_u16(), 200, "{format}");
        assert!(resp.headers()["content-type"].to_str().expect("ascii").starts_with(mime), "{format}");
        assert!(resp.headers()["content-disposition"].to_str().expect("ascii").contains("attachment"));
        assert!(resp.bytes().await.expect("bytes").starts_with(magic), "{format}");
    }

    // Agency B's report and incident do not exist for agency A.
    let report_b = format!("/faturamento/2026-02/{}/consorcio-{}", w.agency_b, w.consortium);
    assert_eq!(page(&t, &agency, &report_b).await.0, 404);
    assert_eq!(page(&t, &agency, &format!("{report_b}?formato=pdf")).await.0, 404);
    assert_eq!(page(&t, &agency, &format!("/incidentes/{outage_b}")).await.0, 404);
    assert_eq!(page(&t, &agency, &format!("/acessos/{b2}?mes=2026-02")).await.0, 404);
    let (_, incidents) = page(&t, &agency, "/incidentes").await;
    assert!(!incidents.contains(&format!("href=\"/incidentes/{outage_b}\"")));
    assert_eq!(
        page(&t, &agency, &format!("/faturamento/2026-02/{}/operadora-{}", w.agency_a, w.beta)).await.0,
        404,
        "no such report"
    );

    // The admin picks agency B and sees the consortium's parts.
    let admin = browser_client();
    login(&t, &admin, "ana.admin").await;
    let (_, pick) = page(&t, &admin, "/faturamento").await;
    assert!(pick.contains("Escolha um órgão") && pick.contains("name=\"agency\""));
    let (_, b) = page(&t, &admin, &format!("/faturamento?agency={}", w.agency_b)).await;
    assert!(b.contains("Faturamento — OB") && b.contains("Alfa/Beta") && b.contains("R$ 2.558,90"));
    let (status, report) = page(&t, &admin, &report_b).await;
    assert_eq!(status, 200);
    assert!(report.contains("Partes das consorciadas"));
    for text in ["60 %", "40 %", "R$ 1.535,34", "R$ 1.023,56", "R$ 2.558,90"] {
        assert!(report.contains(text), "{text}: {report}");
    }
}

async fn the_lot_page_shows_its_contract_rules(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let mut rules = serde_json::to_value(redegov_domain::imr::ImrRules::default()).expect("rules");
    rules["availability_target"][0][1] = json!(999_000);
    rules["repair_penalty"] = json!({"kind": "fixed", "per_unit": 15_000});
    rules["granularity_seconds"] = json!(60);
    let (status, body) = t
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/lots/{}/rules", w.lot_1a),
            &w.admin,
            Some(json!({"effective_from": "2026-02-01", "rules": rules})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    t.token("ugs", Role::ContractManager, None, None).await;
    let ugs = browser_client();
    login(&t, &ugs, "ugs").await;
    let (status, lot) = page(&t, &ugs, &format!("/lotes/{}", w.lot_1a)).await;
    assert_eq!(status, 200);
    assert!(lot.contains("Regras do contrato (IMR)") && lot.contains("01/02/2026"), "{lot}");
    for shown in
        ["Perfil I: 99,9000 %", "Perfil III: 99,0000 %", "R$ 150,00 por ocorrência", "minutos inteiros"]
    {
        assert!(lot.contains(shown), "{shown} on the lot page");
    }
    let (_, other) = page(&t, &ugs, &format!("/lotes/{}", w.lot_6a)).await;
    assert!(other.contains("valem as regras padrão"), "a lot without versions says the defaults apply");
}
