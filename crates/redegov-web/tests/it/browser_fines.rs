//! A real headless Chromium walks one penalty process from its opening to
//! its first installment on a billing report: the contract manager opens it
//! on a clause and notifies the operator; the operator files its defense
//! with a document chosen in the file input; the contract manager decides;
//! the operator appeals; the committee decides the appeal (final at once);
//! the contract manager applies it in two installments from February; the
//! month is closed, and the agency's February billing report shows the
//! first installment as a "multa" line.

use super::browser_orders::{body_text, choose, click, screenshot, sign_in, type_into};
use super::{closing_world, world};
use fantoccini::{Client, Locator};
use redegov_domain::role::Role;
use redegov_test_support::browser::Browser;
use redegov_test_support::{TestApp, TestDb, on_both_backends};

on_both_backends!(a_penalty_from_opening_to_its_first_installment);

/// Clicks an action's button and waits for the page to say it was done.
async fn act(c: &Client, action: &str) {
    click(c, &format!("btn-{action}")).await;
    let notice = c.wait().for_element(Locator::Id("aviso")).await.expect("a notice after the action");
    assert_eq!(notice.text().await.expect("text"), "Ato registrado.", "{action}");
}

async fn a_penalty_from_opening_to_its_first_installment(db: TestDb) {
    let Some(browser) = Browser::start().await else { return };
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    closing_world(&t, &w).await;
    t.token("ana.ugs", Role::ContractManager, None, None).await;
    t.token("alfa.op", Role::Operator, None, Some(w.alfa)).await;
    t.token("carlos.comite", Role::Committee, None, None).await;
    let c = &browser.client;

    // Opening, on a clause of lot 1A (Alfa's), and the notification.
    sign_in(c, &t, "ana.ugs", "/multas/nova").await;
    choose(c, "lot_id", &w.lot_1a.to_string()).await;
    type_into(c, "input[name=clause]", "Cláusula 9.2 — relatório mensal").await;
    type_into(c, "textarea[name=description]", "Relatório de desempenho entregue com atraso").await;
    type_into(c, "input[name=proposed_amount]", "150,00").await;
    type_into(c, "textarea[name=amount_reason]", "Valor fixado na cláusula").await;
    click(c, "salvar").await;
    let h1 = c.wait().for_element(Locator::Css("h1")).await.expect("heading").text().await.expect("text");
    assert_eq!(h1, "Processo de multa PM-2026/0001");
    let path = c.current_url().await.expect("url").path().to_string();
    act(c, "notify").await;
    assert!(body_text(c).await.contains("Operadora notificada"));

    // The operator's defense, with a document from the file input.
    let document = std::env::temp_dir().join(format!("defesa-{}-{:?}.txt", std::process::id(), t.db.backend));
    std::fs::write(&document, "Relatório entregue no dia 5.").expect("write the document");
    sign_in(c, &t, "alfa.op", &path).await;
    type_into(c, "textarea[name=text]", "O relatório foi entregue dentro do prazo.").await;
    type_into(c, "input[name=documents]", document.to_str().expect("utf-8 path")).await;
    act(c, "file_defense").await;
    let body = body_text(c).await;
    let name = document.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(body.contains("Defesa apresentada") && body.contains(name), "{body}");
    let _ = std::fs::remove_file(&document);

    // Decided; appealed; the committee lowers it, which is final at once.
    sign_in(c, &t, "ana.ugs", &path).await;
    choose(c, "outcome", "upheld").await;
    type_into(c, "textarea[name=grounds]", "Atraso comprovado").await;
    act(c, "decide").await;
    sign_in(c, &t, "alfa.op", &path).await;
    type_into(c, "textarea[name=text]", "Pedimos a redução do valor.").await;
    act(c, "file_appeal").await;
    sign_in(c, &t, "carlos.comite", &path).await;
    choose(c, "outcome", "partially_upheld").await;
    type_into(c, "input[name=decision_amount]", "100,01").await;
    type_into(c, "textarea[name=grounds]", "Atraso de um dia apenas").await;
    act(c, "decide_appeal").await;
    let body = body_text(c).await;
    assert!(body.contains("Decisão definitiva") && body.contains("R$ 100,01"), "{body}");

    // Applied in two installments from February: the last absorbs the centavo.
    sign_in(c, &t, "ana.ugs", &path).await;
    type_into(c, "input[name=installments]", "2").await;
    type_into(c, "input[name=start_month]", "2026-02").await;
    act(c, "apply").await;
    let body = body_text(c).await;
    assert!(body.contains("R$ 50,00") && body.contains("R$ 50,01") && body.contains("A aplicar"), "{body}");

    // February is closed: the first installment lands on agency A's report.
    let (status, json) = t.call(reqwest::Method::POST, "/api/v1/months/2026-02/close", &w.admin, None).await;
    assert_eq!(status, 201, "{json}");
    c.goto(&format!("{}{path}", t.base_url)).await.expect("open");
    let installments = c.wait().for_element(Locator::Id("parcelas-grid")).await.expect("installments");
    let text = installments.text().await.expect("text");
    assert!(text.contains("Aplicada"), "{text}");
    screenshot(c, &t, "penalty-applied").await;
    c.goto(&format!("{}/faturamento/2026-02/{}/operadora-{}", t.base_url, w.agency_a, w.alfa))
        .await
        .expect("open the report");
    let body = body_text(c).await;
    assert!(body.contains("Multa PM-2026/0001 — parcela 1 de 2") && body.contains("R$ 50,00"), "{body}");
    screenshot(c, &t, "billing-with-installment").await;
    browser.close().await;
}
