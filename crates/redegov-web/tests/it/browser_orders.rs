//! A real headless Chromium walks one `new_access` order from the agency's
//! guided form to its acceptance: the network manager validates, the
//! operator schedules the installation and reports it with its probe
//! target, the network manager accepts it technically and the agency
//! accepts it; the page then shows "Concluída" and the whole history.

use super::world;
use fantoccini::{Client, Locator};
use redegov_domain::role::Role;
use redegov_test_support::browser::Browser;
use redegov_test_support::{TestApp, TestDb, on_both_backends};

on_both_backends!(a_new_access_order_from_submission_to_acceptance);

pub(super) async fn type_into(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css)).await.expect(css).send_keys(text).await.expect("type");
}

pub(super) async fn click(c: &Client, id: &str) {
    super::submit(c, id).await;
}

pub(super) async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("body")).await.expect("body").text().await.expect("text")
}

/// Saves a screenshot of the whole page when `REDEGOV_SCREENSHOTS` names a
/// directory (for reviewing the layout).
pub(super) async fn screenshot(c: &Client, t: &TestApp, name: &str) {
    let Ok(dir) = std::env::var("REDEGOV_SCREENSHOTS") else { return };
    let height = c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .ok()
        .and_then(|h| h.as_u64())
        .unwrap_or(900);
    let _ = c.set_window_size(1280, u32::try_from(height + 120).unwrap_or(900)).await;
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"));
    let _ = std::fs::write(format!("{dir}/{name}-{:?}.png", t.db.backend), png);
    let _ = c.set_window_size(1280, 900).await;
}

/// Chooses the option of a select by its value.
pub(super) async fn choose(c: &Client, name: &str, value: &str) {
    let css = format!("select[name={name}] option[value='{value}']");
    c.find(Locator::Css(&css)).await.expect(&css).click().await.expect("choose");
}

/// Signs in as `login` (ending any other session) and opens `path`.
pub(super) async fn sign_in(c: &Client, t: &TestApp, login: &str, path: &str) {
    // Before the first page there is no cookie to delete, and no error matters.
    let _ = c.delete_all_cookies().await;
    c.goto(&format!("{}{path}", t.base_url)).await.expect("open");
    type_into(c, "input[name=login]", login).await;
    type_into(c, "input[name=password]", "test-password").await;
    click(c, "entrar").await;
    c.wait().for_element(Locator::Css("h1")).await.expect("a page after login");
}

/// Clicks an action's button and waits for the page to say it was done.
async fn act(c: &Client, action: &str) {
    click(c, &format!("acao-{action}")).await;
    let notice = c.wait().for_element(Locator::Id("aviso")).await.expect("a notice after the action");
    let text = notice.text().await.expect("text");
    assert!(text.starts_with("Registrado:"), "{action}: {text}");
}

async fn a_new_access_order_from_submission_to_acceptance(db: TestDb) {
    let Some(browser) = Browser::start().await else { return };
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    t.token("maria", Role::NetworkManager, None, None).await;
    t.token("op.alfa", Role::Operator, None, Some(w.alfa)).await;
    let c = &browser.client;

    // The agency manager opens the order through the guided form.
    sign_in(c, &t, "gestor.a", "/ordens").await;
    c.find(Locator::LinkText("Nova ordem")).await.expect("the button").click().await.expect("click");
    let types = c.wait().for_element(Locator::Id("tipos-de-ordem")).await.expect("the types");
    assert!(types.text().await.expect("text").contains("Instalar um novo acesso"));
    c.find(Locator::Css("#tipos-de-ordem a[href='/ordens/nova?type=new_access']"))
        .await
        .expect("the type's link")
        .click()
        .await
        .expect("click");
    c.wait().for_element(Locator::Css("select[name=site_id]")).await.expect("the type's form");
    choose(c, "site_id", &w.site_a.to_string()).await;
    choose(c, "lot_id", &w.lot_1a.to_string()).await;
    let service = c.find(Locator::Css("input[name=service]")).await.expect("service");
    assert_eq!(service.prop("value").await.expect("value").as_deref(), Some("SCM"), "SCM by default");
    type_into(c, "input[name=bandwidth_mbps]", "10").await;
    screenshot(c, &t, "order-form").await;
    click(c, "salvar").await;
    let h1 = c.wait().for_element(Locator::Css("h1")).await.expect("the order's page");
    let heading = h1.text().await.expect("text");
    assert!(heading.starts_with("Ordem de serviço OS-2026-"), "{heading}");
    let order_path = c.current_url().await.expect("url").path().to_string();
    assert!(body_text(c).await.contains("Aguardando validação"));

    // The network manager validates: the operator's clock starts.
    sign_in(c, &t, "maria", &order_path).await;
    act(c, "validate").await;
    assert!(body_text(c).await.contains("Enviada à operadora"));

    // The operator schedules the installation 72 h ahead, then reports it.
    sign_in(c, &t, "op.alfa", &order_path).await;
    type_into(c, "input[name=at]", "13/03/2026 12:00").await;
    act(c, "schedule_installation").await;
    let body = body_text(c).await;
    assert!(body.contains("Em execução") && body.contains("13/03/2026 12:00"), "{body}");
    type_into(c, "#execucao textarea[name=report]", "Enlace instalado e testado; CPE configurado.").await;
    type_into(c, "input[name=probe_targets]", "10.0.9.1").await;
    screenshot(c, &t, "order-execution").await;
    act(c, "report_execution").await;
    assert!(body_text(c).await.contains("Executada (aguardando aceite técnico)"));

    // The network manager accepts it technically, the agency accepts it.
    sign_in(c, &t, "maria", &order_path).await;
    act(c, "accept_technical").await;
    assert!(body_text(c).await.contains("Aguardando aceite do órgão"));
    sign_in(c, &t, "gestor.a", &order_path).await;
    act(c, "accept").await;
    let body = body_text(c).await;
    assert!(body.contains("Concluída") && body.contains("10.0.9.1"), "{body}");
    let timeline =
        c.find(Locator::Id("linha-do-tempo")).await.expect("the history").text().await.expect("text");
    for step in [
        "Abertura",
        "Enviar",
        "Validar",
        "Agendar instalação",
        "Informar execução",
        "Aceite técnico",
        "Aceitar",
    ] {
        assert!(timeline.contains(step), "{step} in the history: {timeline}");
    }
    assert!(timeline.contains("gestor.a") && timeline.contains("maria") && timeline.contains("op.alfa"));
    screenshot(c, &t, "order-completed").await;
    c.goto(&format!("{}/ordens", t.base_url)).await.expect("open");
    c.wait().for_element(Locator::Id("ordens")).await.expect("the list");
    screenshot(c, &t, "orders").await;
    c.back().await.expect("back");
    c.wait().for_element(Locator::Id("linha-do-tempo")).await.expect("the order again");
    let access = c.find(Locator::Css("a[href^='/acessos/']")).await.expect("the access created");
    assert!(access.text().await.expect("text").starts_with("nº "));
    browser.close().await;
}
