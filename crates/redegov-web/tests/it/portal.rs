//! The portal over HTTP: login and sessions, CSRF on forms, scope on pages,
//! and the CSV/XLSX exports every list offers.

use super::{cnpj, world};
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};

/// A browser-like client with its own cookie jar.
fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn login(t: &TestApp, client: &reqwest::Client, login: &str) -> reqwest::Response {
    client
        .post(format!("{}/login", t.base_url))
        .form(&[("login", login), ("password", "test-password"), ("next", "/acessos")])
        .send()
        .await
        .expect("login")
}

/// The CSRF token embedded in a page's forms.
fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a csrf field") + marker.len();
    html[start..].split('"').next().expect("token").to_string()
}

async fn page(t: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let resp = client.get(format!("{}{path}", t.base_url)).send().await.expect("get");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

on_both_backends!(login_sessions_and_csrf, pages_respect_scope, lists_export_csv_and_xlsx);

async fn login_sessions_and_csrf(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("ana.admin", Role::Admin, None, None).await;
    let client = browser_client();
    let resp = client.get(format!("{}/acessos", t.base_url)).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 303);
    assert!(resp.headers()["location"].to_str().expect("ascii").starts_with("/login?next="));

    let bad = client
        .post(format!("{}/login", t.base_url))
        .form(&[("login", "ana.admin"), ("password", "wrong-password")])
        .send()
        .await
        .expect("login");
    assert_eq!(bad.status().as_u16(), 401);
    assert!(bad.text().await.expect("html").contains("Usuário ou senha inválidos"));

    let ok = login(&t, &client, "ana.admin").await;
    assert_eq!(ok.status().as_u16(), 303);
    assert_eq!(ok.headers()["location"], "/acessos");
    let cookie = ok.headers()["set-cookie"].to_str().expect("ascii").to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");

    let (status, html) = page(&t, &client, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Painel") && html.contains("Administrador"));

    let (_, form) = page(&t, &client, "/orgaos/novo").await;
    let csrf = csrf_of(&form);
    let fields = |token: &str| {
        vec![
            ("csrf", token.to_string()),
            ("name", "Secretaria de Cultura".to_string()),
            ("acronym", "SECULT".to_string()),
            ("cnpj", cnpj("123123120001")),
            ("kind", "compulsory".to_string()),
        ]
    };
    let forged = client
        .post(format!("{}/orgaos/novo", t.base_url))
        .form(&fields("forged"))
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status().as_u16(), 403, "a form without the session's token is refused");
    let (_, agencies) = t.get("/api/v1/agencies?q=cultura", &w.admin).await;
    assert_eq!(agencies["total"], 0, "and nothing was written");
    let created =
        client.post(format!("{}/orgaos/novo", t.base_url)).form(&fields(&csrf)).send().await.expect("post");
    assert_eq!(created.status().as_u16(), 303);
    let (_, agencies) = t.get("/api/v1/agencies?q=cultura", &w.admin).await;
    assert_eq!(agencies["total"], 1);

    let mut invalid = fields(&csrf);
    invalid[3].1 = "11.222.333/0001-82".into();
    invalid[2].1 = "OUTRO".into();
    let refused =
        client.post(format!("{}/orgaos/novo", t.base_url)).form(&invalid).send().await.expect("post");
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused.text().await.expect("html").contains("não é um CNPJ válido"), "pt-BR rule shown");

    let out = client
        .post(format!("{}/logout", t.base_url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status().as_u16(), 303);
    assert_eq!(page(&t, &client, "/").await.0, 303, "session ended");
}

async fn pages_respect_scope(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    t.token("op.beta", Role::Operator, None, Some(w.beta)).await;
    t.token("aud", Role::Auditor, None, None).await;
    let agency = browser_client();
    login(&t, &agency, "gestor.a").await;
    assert_eq!(page(&t, &agency, &format!("/unidades/{}", w.site_a)).await.0, 200);
    assert_eq!(page(&t, &agency, &format!("/unidades/{}", w.site_b)).await.0, 404);
    assert_eq!(page(&t, &agency, &format!("/acessos/{}", w.access_b)).await.0, 404);
    assert_eq!(page(&t, &agency, &format!("/orgaos/{}", w.agency_b)).await.0, 404);
    let (_, list) = page(&t, &agency, "/acessos").await;
    assert!(
        list.contains(&format!("/acessos/{}\"", w.access_a))
            && !list.contains(&format!("/acessos/{}\"", w.access_b))
    );
    assert_eq!(page(&t, &agency, "/auditoria").await.0, 403);
    let operator = browser_client();
    login(&t, &operator, "op.beta").await;
    assert_eq!(page(&t, &operator, &format!("/lotes/{}", w.lot_1a)).await.0, 404);
    assert_eq!(page(&t, &operator, &format!("/lotes/{}", w.lot_6a)).await.0, 200);
    assert_eq!(page(&t, &operator, &format!("/operadoras/{}", w.alfa)).await.0, 404);
    let auditor = browser_client();
    login(&t, &auditor, "aud").await;
    let (status, audit) = page(&t, &auditor, "/auditoria").await;
    assert_eq!(status, 200);
    assert!(audit.contains("access"), "audit entries listed");
}

async fn lists_export_csv_and_xlsx(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    t.token("ana.admin", Role::Admin, None, None).await;
    let admin = browser_client();
    login(&t, &admin, "ana.admin").await;
    for list in ["/acessos", "/unidades", "/orgaos", "/lotes", "/operadoras", "/auditoria"] {
        let resp = admin.get(format!("{}{list}?formato=csv", t.base_url)).send().await.expect("csv");
        assert_eq!(resp.status().as_u16(), 200, "{list}");
        assert!(resp.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
        let body = resp.bytes().await.expect("bytes");
        assert!(body.starts_with("\u{feff}".as_bytes()), "{list}: BOM for Excel");
        let resp = admin.get(format!("{}{list}?formato=xlsx", t.base_url)).send().await.expect("xlsx");
        assert_eq!(resp.status().as_u16(), 200, "{list}");
        assert!(resp.bytes().await.expect("bytes").starts_with(b"PK"), "{list}: an XLSX (zip) file");
    }
    let agency = browser_client();
    login(&t, &agency, "gestor.a").await;
    let csv = agency
        .get(format!("{}/acessos?formato=csv", t.base_url))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    let rows = csv.lines().count();
    assert_eq!(rows, 2, "header and the agency's only access:\n{csv}");
    assert!(csv.contains("Belo Horizonte") && !csv.contains("Uberl"), "{csv}");
}
