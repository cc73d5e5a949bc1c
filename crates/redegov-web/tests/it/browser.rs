//! A real headless Chromium through login → accesses list → access detail,
//! and through the NOC's daily work: the incident form, the incident's page
//! and its effect on the access's February and on the month's page.

use super::browser_orders::{body_text, screenshot, type_into};
use super::world;
use fantoccini::Locator;
use redegov_domain::role::Role;
use redegov_test_support::browser::Browser;
use redegov_test_support::{TestApp, TestDb, on_both_backends};

on_both_backends!(login_then_accesses_then_detail, noc_records_an_incident_and_sees_the_discount);

async fn login_then_accesses_then_detail(db: TestDb) {
    let Some(browser) = Browser::start().await else { return };
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("maria", Role::NetworkManager, None, None).await;
    let c = &browser.client;
    c.goto(&format!("{}/acessos", t.base_url)).await.expect("open");
    assert!(c.current_url().await.expect("url").path().starts_with("/login"), "sent to log in first");
    c.find(Locator::Css("input[name=login]")).await.expect("login").send_keys("maria").await.expect("type");
    c.find(Locator::Css("input[name=password]"))
        .await
        .expect("password")
        .send_keys("test-password")
        .await
        .expect("type");
    super::submit(c, "entrar").await;
    let table = c.wait().for_element(Locator::Id("acessos")).await.expect("accesses table after login");
    let text = table.text().await.expect("text");
    assert!(text.contains("Belo Horizonte") && text.contains("Uberlândia"), "{text}");
    let link = c
        .find(Locator::Css(&format!("#acessos a[href='/acessos/{}']", w.access_b)))
        .await
        .expect("a link to the access");
    link.click().await.expect("click");
    let h1 = c.wait().for_element(Locator::Css("h1")).await.expect("heading");
    let heading = h1.text().await.expect("text");
    assert!(heading.contains(&format!("Acesso #{}", w.access_b)), "{heading}");
    let body = c.find(Locator::Css("body")).await.expect("body").text().await.expect("text");
    assert!(body.contains("10.0.0.2") && body.contains("10.0.1.2"), "probe targets shown");
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"));
    if let Ok(dir) = std::env::var("REDEGOV_SCREENSHOTS") {
        let _ = std::fs::write(format!("{dir}/access-detail-{:?}.png", t.db.backend), png);
    }
    browser.close().await;
}

async fn noc_records_an_incident_and_sees_the_discount(db: TestDb) {
    let Some(browser) = Browser::start().await else { return };
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("maria", Role::NetworkManager, None, None).await;
    let c = &browser.client;
    c.goto(&format!("{}/incidentes/novo?access_id={}", t.base_url, w.access_a)).await.expect("open");
    type_into(c, "input[name=login]", "maria").await;
    type_into(c, "input[name=password]", "test-password").await;
    super::submit(c, "entrar").await;
    c.wait().for_element(Locator::Css("input[name=started_at]")).await.expect("the form after login");
    let access = c.find(Locator::Css("input[name=access_id]")).await.expect("access");
    assert_eq!(access.prop("value").await.expect("value").as_deref(), Some(w.access_a.to_string().as_str()));
    type_into(c, "input[name=started_at]", "05/02/2026 08:00").await;
    type_into(c, "input[name=ended_at]", "05/02/2026 14:00").await;
    type_into(c, "input[name=cause]", "fibra rompida").await;
    type_into(c, "textarea[name=clock_stops]", "05/02/2026 09:00 – 05/02/2026 09:30").await;
    screenshot(c, &t, "incident-form").await;
    super::submit(c, "salvar").await;
    let h1 = c.wait().for_element(Locator::Css("h1")).await.expect("heading");
    let heading = h1.text().await.expect("text");
    assert!(heading.starts_with("Incidente #"), "{heading}");
    let body = body_text(c).await;
    assert!(
        body.contains("5 h 30 min") && body.contains("Resolvido"),
        "repair time without the clock stop: {body}"
    );
    super::submit(c, "status-confirmed").await;
    c.wait().for_element(Locator::Id("aviso")).await.expect("a notice after saving");
    let body = body_text(c).await;
    assert!(body.contains("Alterações salvas.") && body.contains("Confirmado"), "{body}");
    screenshot(c, &t, "incident").await;

    c.goto(&format!("{}/acessos/{}?mes=2026-02#disponibilidade", t.base_url, w.access_a))
        .await
        .expect("open");
    let section = c.wait().for_element(Locator::Id("disponibilidade")).await.expect("the section");
    let text = section.text().await.expect("text");
    assert!(text.contains("Por que fui descontado R$ 18,53?"), "{text}");
    assert!(text.contains("R$ 2.263,80 × 19.800 s ÷ 2.419.200 s = R$ 18,53"), "{text}");
    screenshot(c, &t, "access-availability").await;

    c.goto(&format!("{}/meses/2026-02", t.base_url)).await.expect("open");
    let kpis = c.wait().for_element(Locator::Css(".kpis")).await.expect("totals");
    assert!(kpis.text().await.expect("text").contains("R$ 18,53"));
    screenshot(c, &t, "month").await;

    c.goto(&format!("{}/faturamento?agency={}", t.base_url, w.agency_a)).await.expect("open");
    let chart = c.wait().for_element(Locator::Css("svg.matrix")).await.expect("the availability chart");
    assert!(chart.text().await.expect("text").contains("99,18 %"));
    screenshot(c, &t, "billing").await;
    let link = format!("#relatorios a[href$='/{}/operadora-{}']", w.agency_a, w.alfa);
    c.find(Locator::Css(&link)).await.expect("the report's link").click().await.expect("click");
    let h1 = c.wait().for_element(Locator::Css("h1")).await.expect("heading");
    assert_eq!(h1.text().await.expect("text"), "Relatório Consolidado do Faturamento");
    assert!(body_text(c).await.contains("R$ 2.245,27"));
    screenshot(c, &t, "billing-report").await;
    browser.close().await;
}
