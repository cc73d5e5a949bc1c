//! Portal tests of service orders: the guided form, the list and its
//! exports, scope, the actions on the order's page and their refusals.
//!
//! The clock stands at 10/03/2026 12:00 (Brasília). Agency A has a site in
//! Belo Horizonte, served by lot 1A of operator Alfa, which has a price for
//! 10 Mbps in the capital; agency B is elsewhere, on another lot.

use super::portal::{browser_client, csrf_of, login, page, submit};
use super::{World, world};
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use serde_json::json;

on_both_backends!(
    the_guided_form_opens_orders_listed_and_exported,
    actions_are_taken_on_the_page_and_refusals_named
);

fn fields(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// The id at the end of a redirect (`/ordens/7?feito=…` → 7).
fn id_in(location: &str) -> i64 {
    location.rsplit('/').next().and_then(|s| s.split('?').next()).and_then(|s| s.parse().ok()).expect("an id")
}

/// A `new_access` order of agency A, submitted through the API.
async fn submitted_order(t: &TestApp, w: &World, token: &str) -> (i64, String) {
    let (status, json) = t
        .post(
            "/api/v1/orders",
            token,
            json!({"type": "new_access", "site_id": w.site_a, "lot_id": w.lot_1a, "service": "SCM",
                   "bandwidth_mbps": 10, "redundancy": "none", "technology": "terrestrial"}),
        )
        .await;
    assert_eq!(status, 201, "{json}");
    (json["id"].as_i64().expect("id"), json["number"].as_str().expect("number").to_string())
}

async fn the_guided_form_opens_orders_listed_and_exported(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    t.token("gestor.b", Role::AgencyManager, Some(w.agency_b), None).await;
    t.token("op.alfa", Role::Operator, None, Some(w.alfa)).await;
    let agency = browser_client();
    login(&t, &agency, "gestor.a").await;

    let (status, dashboard) = page(&t, &agency, "/").await;
    assert_eq!(status, 200);
    assert!(dashboard.contains("href=\"/ordens\"") && dashboard.contains("Ordens de serviço em aberto"));

    // Step 1: the types, each with what it is for and its deadline.
    let (status, types) = page(&t, &agency, "/ordens/nova").await;
    assert_eq!(status, 200);
    assert!(types.contains("href=\"/ordens/nova?type=new_access\""), "{types}");
    assert!(types.contains("45 dias corridos na capital, 60 nos demais municípios"));
    // Step 2: the type's fields, with the agency's own site to choose.
    let (status, form) = page(&t, &agency, "/ordens/nova?type=new_access").await;
    assert_eq!(status, 200);
    assert!(form.contains("Nova ordem: Novo acesso") && form.contains("Rua A, 1"), "{form}");
    assert!(!form.contains("Av. B, 2"), "another agency's site is not offered");
    let csrf = csrf_of(&form);
    let site = w.site_a.to_string();
    let lot = w.lot_1a.to_string();
    let order = |mbps: &str, draft: &str| {
        fields(&[
            ("csrf", &csrf),
            ("type", "new_access"),
            ("site_id", &site),
            ("lot_id", &lot),
            ("service", "SCM"),
            ("bandwidth_mbps", mbps),
            ("redundancy", "none"),
            ("technology", "terrestrial"),
            ("rascunho", draft),
        ])
    };
    let (status, html) = submit(&t, &agency, "/ordens/nova", &order("20", "")).await;
    assert_eq!(status, 422);
    assert!(
        html.contains(
            "Velocidade (Mbps): não há preço na tabela do lote para este serviço, velocidade e área"
        ),
        "the app's rule in pt-BR, next to the field: {html}"
    );
    assert!(html.contains("value=\"20\""), "what was typed is kept");
    let (status, location) = submit(&t, &agency, "/ordens/nova", &order("10", "")).await;
    assert_eq!(status, 303, "{location}");
    let id = id_in(&location);
    let (status, html) = page(&t, &agency, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("Aguardando validação") && html.contains("Histórico da ordem"), "{html}");
    assert!(html.contains("Abertura") && html.contains("id=\"acao-cancel\""), "{html}");
    let (_, json) = t.get(&format!("/api/v1/orders/{id}"), &w.admin).await;
    assert_eq!(json["status"], "submitted");
    let number = json["number"].as_str().expect("number").to_string();
    let (status, location) = submit(&t, &agency, "/ordens/nova", &order("10", "sim")).await;
    assert_eq!(status, 303);
    let (_, draft) = t.get(&format!("/api/v1/orders/{}", id_in(&location)), &w.admin).await;
    assert_eq!(draft["status"], "draft", "kept as a draft");

    // The list, and its exports.
    let (status, list) = page(&t, &agency, "/ordens").await;
    assert_eq!(status, 200);
    assert!(list.contains(&format!("href=\"/ordens/{id}\">{number}</a>")), "{list}");
    assert!(list.contains("Rascunho") && list.contains("Rua A, 1 — Belo Horizonte"));
    let resp =
        agency.get(format!("{}/ordens?formato=csv&status=submitted", t.base_url)).send().await.expect("csv");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
    let csv = resp.text().await.expect("text");
    assert_eq!(csv.lines().count(), 2, "header and the submitted order:\n{csv}");
    assert!(csv.contains(&number) && csv.contains("Novo acesso") && csv.contains("Belo Horizonte"), "{csv}");
    let resp = agency.get(format!("{}/ordens?formato=xlsx", t.base_url)).send().await.expect("xlsx");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"].to_str().expect("ascii").contains("spreadsheetml"));
    assert!(resp.bytes().await.expect("bytes").starts_with(b"PK"), "an XLSX (zip) file");

    // Another agency sees neither the order nor its row.
    let other = browser_client();
    login(&t, &other, "gestor.b").await;
    assert_eq!(page(&t, &other, &format!("/ordens/{id}")).await.0, 404);
    let (_, list) = page(&t, &other, "/ordens").await;
    assert!(!list.contains(&number), "{list}");
    // The operator's queue holds the orders of its lots.
    let operator = browser_client();
    login(&t, &operator, "op.alfa").await;
    let (_, queue) = page(&t, &operator, &format!("/ordens?lot_id={}", w.lot_1a)).await;
    assert!(queue.contains("fila da operadora") && queue.contains(&number), "{queue}");
    assert_eq!(page(&t, &operator, "/ordens/nova").await.0, 403, "operators do not open orders");
}

async fn actions_are_taken_on_the_page_and_refusals_named(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let token_a = t.token("gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    t.token("noc", Role::NetworkManager, None, None).await;
    t.token("op.alfa", Role::Operator, None, Some(w.alfa)).await;
    let (id, number) = submitted_order(&t, &w, &token_a).await;
    let path = format!("/ordens/{id}");

    let noc = browser_client();
    login(&t, &noc, "noc").await;
    let (_, html) = page(&t, &noc, &path).await;
    assert!(html.contains("id=\"acao-validate\"") && html.contains("id=\"acao-return\""), "{html}");
    let csrf = csrf_of(&html);
    let (status, location) = submit(&t, &noc, &path, &fields(&[("csrf", &csrf), ("action", "return")])).await;
    assert_eq!(status, 422, "a return needs its reason");
    assert!(location.contains("Motivo: é obrigatório"), "{location}");
    let (status, location) =
        submit(&t, &noc, &path, &fields(&[("csrf", &csrf), ("action", "validate")])).await;
    assert_eq!((status, location.as_str()), (303, format!("{path}?feito=validate").as_str()));
    let (_, html) = page(&t, &noc, &location).await;
    assert!(html.contains("Registrado: Validar.") && html.contains("Enviada à operadora"), "{html}");

    let operator = browser_client();
    login(&t, &operator, "op.alfa").await;
    let (_, html) = page(&t, &operator, &path).await;
    let csrf = csrf_of(&html);
    let schedule = |action: &str, at: &str| fields(&[("csrf", &csrf), ("action", action), ("at", at)]);
    let (status, html) = submit(&t, &operator, &path, &schedule("schedule_survey", "11/03/2026 12:00")).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Data e hora: o agendamento deve ser feito com pelo menos 48 h de antecedência"),
        "{html}"
    );
    assert!(html.contains("value=\"11/03/2026 12:00\""), "what was typed is kept");
    let (status, html) =
        submit(&t, &operator, &path, &fields(&[("csrf", &csrf), ("action", "report_execution")])).await;
    assert_eq!(status, 422, "the operator's action, but not of this status");
    assert!(
        html.contains("Ação: a ação report_execution não é permitida na situação sent_to_operator"),
        "{html}"
    );
    let (status, _) = submit(&t, &operator, &path, &fields(&[("csrf", &csrf), ("action", "accept")])).await;
    assert_eq!(status, 403, "never the operator's action");
    let (status, _) = submit(&t, &operator, &path, &schedule("schedule_survey", "13/03/2026 09:00")).await;
    assert_eq!(status, 303);
    let survey = fields(&[
        ("csrf", &csrf),
        ("action", "report_survey"),
        ("report", "rack sem energia"),
        ("pending_party_0", "agency"),
        ("pending_description_0", "ligar o rack à rede elétrica"),
    ]);
    assert_eq!(submit(&t, &operator, &path, &survey).await.0, 303);

    // The agency's pending item pauses the clock until the agency resolves it.
    let agency = browser_client();
    login(&t, &agency, "gestor.a").await;
    let (_, html) = page(&t, &agency, &path).await;
    assert!(html.contains("Vistoria realizada") && html.contains("ligar o rack à rede elétrica"), "{html}");
    let (_, json) = t.get(&format!("/api/v1/orders/{id}"), &token_a).await;
    let item = json["pending_items"][0]["id"].as_i64().expect("an item");
    assert!(html.contains(&format!("id=\"resolver-{item}\"")), "{html}");
    let csrf = csrf_of(&html);
    let resolve = fields(&[("csrf", &csrf), ("action", "resolve_pending"), ("item_id", &item.to_string())]);
    let (status, location) = submit(&t, &agency, &path, &resolve).await;
    assert_eq!(status, 303);
    let (_, html) = page(&t, &agency, &location).await;
    assert!(html.contains("Pendência marcada como resolvida.") && html.contains("Pendência resolvida"));
    assert!(!html.contains(&format!("id=\"resolver-{item}\"")), "resolved: no button");

    // Past the due date the order is late, in red, on the list and the
    // network manager's deadline view.
    t.clock.advance(70 * 86_400);
    let noc = browser_client();
    login(&t, &noc, "noc").await;
    let (_, late) = page(&t, &noc, "/ordens?late=true&ordem=prazo").await;
    assert!(late.contains(&number) && late.contains("row-breach") && late.contains("atrasada"), "{late}");
    let (_, html) = page(&t, &noc, &path).await;
    assert!(html.contains("atrasada"), "{html}");
}
