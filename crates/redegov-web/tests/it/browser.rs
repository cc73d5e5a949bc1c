//! A real headless Chromium through login → accesses list → access detail.

use super::world;
use fantoccini::Locator;
use redegov_domain::role::Role;
use redegov_test_support::browser::Browser;
use redegov_test_support::{TestApp, TestDb, on_both_backends};

on_both_backends!(login_then_accesses_then_detail);

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
    c.find(Locator::Id("entrar")).await.expect("button").click().await.expect("click");
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
