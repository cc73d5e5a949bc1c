//! The portal over HTTP: login and sessions, CSRF on forms, scope on pages,
//! the edit forms, and the CSV/XLSX exports every list offers. The helpers
//! that sign in and post forms like a browser serve `portal_closing.rs` too.

use super::{cnpj, world};
use redegov_domain::role::Role;
use redegov_domain::time::parse_instant;
use redegov_test_support::{TestApp, TestDb, on_both_backends};

/// A browser-like client with its own cookie jar.
pub(super) fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub(super) async fn login(t: &TestApp, client: &reqwest::Client, login: &str) -> reqwest::Response {
    client
        .post(format!("{}/login", t.base_url))
        .form(&[("login", login), ("password", "test-password"), ("next", "/acessos")])
        .send()
        .await
        .expect("login")
}

/// The CSRF token embedded in a page's forms.
pub(super) fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a csrf field") + marker.len();
    html[start..].split('"').next().expect("token").to_string()
}

pub(super) async fn page(t: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let resp = client.get(format!("{}{path}", t.base_url)).send().await.expect("get");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

on_both_backends!(
    login_sessions_and_csrf,
    pages_respect_scope,
    lists_export_csv_and_xlsx,
    edit_forms_change_and_are_scoped
);

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

/// Posts a form as the browser would: the status, and where it redirects
/// to (or the page it shows).
pub(super) async fn submit(
    t: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, String)],
) -> (u16, String) {
    let resp = client.post(format!("{}{path}", t.base_url)).form(fields).send().await.expect("post");
    let status = resp.status().as_u16();
    match resp.headers().get("location") {
        Some(to) => (status, to.to_str().expect("ascii").to_string()),
        None => (status, resp.text().await.expect("body")),
    }
}

fn site_form(csrf: &str, email: &str) -> Vec<(&'static str, String)> {
    [
        ("csrf", csrf),
        ("name", "Sede"),
        ("address", "Rua A, 1"),
        ("municipality", "Belo Horizonte"),
        ("municipality_ibge", ""),
        ("area", "capital"),
        ("zone", "urban"),
        ("contact_name", "Joana Lima"),
        ("contact_phone", "(31) 3333-4444"),
        ("contact_email", email),
    ]
    .map(|(k, v)| (k, v.to_string()))
    .to_vec()
}

fn access_form(csrf: &str, bandwidth: &str, status: &str, at: &str) -> Vec<(&'static str, String)> {
    [
        ("csrf", csrf),
        ("bandwidth_mbps", bandwidth),
        ("redundancy", "none"),
        ("technology", "terrestrial"),
        ("probe_targets", "10.0.0.1"),
        ("monthly_price", ""),
        ("status", status),
        ("status_at", at),
    ]
    .map(|(k, v)| (k, v.to_string()))
    .to_vec()
}

fn agency_form(csrf: &str, acronym: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_string()),
        ("name", "Órgão B renomeado".to_string()),
        ("acronym", acronym.to_string()),
        ("cnpj", cnpj("444444440001")),
        ("kind", "facultative".to_string()),
    ]
}

async fn edit_forms_change_and_are_scoped(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    t.token("maria", Role::NetworkManager, None, None).await;
    t.token("ana.admin", Role::Admin, None, None).await;

    // An agency manager edits its own site's contact, and only its own sites.
    let agency = browser_client();
    login(&t, &agency, "gestor.a").await;
    let site_a_edit = format!("/unidades/{}/editar", w.site_a);
    let (_, detail) = page(&t, &agency, &format!("/unidades/{}", w.site_a)).await;
    assert!(detail.contains(&format!("href=\"{site_a_edit}\"")), "an Editar button on its own site");
    let (_, own_agency) = page(&t, &agency, &format!("/orgaos/{}", w.agency_a)).await;
    assert!(!own_agency.contains("/editar"), "no Editar button where the role may not write");
    let (status, form) = page(&t, &agency, &site_a_edit).await;
    assert_eq!(status, 200);
    assert!(form.contains("value=\"Rua A, 1\"") && form.contains("value=\"Belo Horizonte\""), "prefilled");
    assert!(form.contains("<option value=\"capital\" selected>"), "current area selected");
    let csrf = csrf_of(&form);
    let (status, to) = submit(&t, &agency, &site_a_edit, &site_form(&csrf, "joana@oa.mg.gov.br")).await;
    assert_eq!((status, to), (303, format!("/unidades/{}", w.site_a)));
    let (_, site) = t.get(&format!("/api/v1/sites/{}", w.site_a), &w.admin).await;
    assert_eq!(
        (&site["contact_name"], &site["contact_email"], &site["agency_id"]),
        (&"Joana Lima".into(), &"joana@oa.mg.gov.br".into(), &w.agency_a.into()),
        "{site}"
    );
    let (status, html) = submit(&t, &agency, &site_a_edit, &site_form(&csrf, "joana-sem-arroba")).await;
    assert_eq!(status, 422);
    assert!(html.contains("E-mail do contato:") && html.contains("value=\"joana-sem-arroba\""), "{html}");
    let site_b_edit = format!("/unidades/{}/editar", w.site_b);
    assert_eq!(page(&t, &agency, &site_b_edit).await.0, 404, "another agency's site");
    let posted = submit(&t, &agency, &site_b_edit, &site_form(&csrf, "joana@oa.mg.gov.br")).await;
    assert_eq!(posted.0, 404);
    let (_, site_b) = t.get(&format!("/api/v1/sites/{}", w.site_b), &w.admin).await;
    assert_eq!(site_b["contact_name"], "", "the other agency's site is untouched");
    assert_eq!(page(&t, &agency, &format!("/acessos/{}/editar", w.access_a)).await.0, 403);

    // A network manager suspends an access from a given date: after the
    // access was registered (at TEST_NOW, 2026-03-10 12:00) and before today.
    t.clock.advance(5 * 24 * 3600);
    let network = browser_client();
    login(&t, &network, "maria").await;
    let access_edit = format!("/acessos/{}/editar", w.access_a);
    let (_, detail) = page(&t, &network, &format!("/acessos/{}", w.access_a)).await;
    assert!(detail.contains(&format!("href=\"{access_edit}\"")), "an Editar button on the access");
    let (status, form) = page(&t, &network, &access_edit).await;
    assert_eq!(status, 200);
    assert!(form.contains("value=\"10\"") && form.contains("value=\"10.0.0.1\""), "prefilled");
    assert!(form.contains("Manter: Ativo") && form.contains("type=\"datetime-local\""));
    let csrf = csrf_of(&form);
    let api_access = async || t.get(&format!("/api/v1/accesses/{}", w.access_a), &w.admin).await.1;

    let (status, html) =
        submit(&t, &network, &access_edit, &access_form(&csrf, "0", "suspended", "2026-03-12T08:00")).await;
    assert_eq!(status, 422, "an invalid bandwidth is refused");
    assert!(html.contains("Velocidade (Mbps):") && html.contains("aria-invalid=\"true\""), "{html}");
    assert!(html.contains("value=\"2026-03-12T08:00\""), "what was typed is kept");
    let before = api_access().await;
    assert_eq!(
        (&before["bandwidth_mbps"], &before["status"]),
        (&10.into(), &"active".into()),
        "nothing written"
    );

    let (status, to) =
        submit(&t, &network, &access_edit, &access_form(&csrf, "10", "suspended", "2026-03-12T08:00")).await;
    assert_eq!((status, to), (303, format!("/acessos/{}", w.access_a)));
    let after = api_access().await;
    assert_eq!(after["status"], "suspended", "{after}");
    let suspended_at = after["suspended_at"].as_str().expect("a suspension date");
    assert_eq!(
        parse_instant("t", suspended_at),
        parse_instant("t", "2026-03-12T08:00:00-03:00"),
        "the date typed, in Brasília time"
    );

    let forged = submit(&t, &network, &access_edit, &access_form("forged", "10", "deactivated", "")).await;
    assert_eq!(forged.0, 403, "a form without the session's token is refused");
    assert_eq!(api_access().await["status"], "suspended", "and nothing was written");

    // Agencies are the admin's to edit; an acronym already taken is refused.
    assert_eq!(page(&t, &network, &format!("/orgaos/{}/editar", w.agency_b)).await.0, 403);
    let admin = browser_client();
    login(&t, &admin, "ana.admin").await;
    let agency_edit = format!("/orgaos/{}/editar", w.agency_b);
    let (_, form) = page(&t, &admin, &agency_edit).await;
    assert!(form.contains("value=\"OB\""), "prefilled");
    let csrf = csrf_of(&form);
    let (status, html) = submit(&t, &admin, &agency_edit, &agency_form(&csrf, "OA")).await;
    assert_eq!(status, 422, "another agency's acronym");
    assert!(
        html.contains("Sigla: já existe um registro com este valor") && html.contains("value=\"OA\""),
        "{html}"
    );
    assert_eq!(submit(&t, &admin, &agency_edit, &agency_form(&csrf, "OB2")).await.0, 303);
    let (_, b) = t.get(&format!("/api/v1/agencies/{}", w.agency_b), &w.admin).await;
    assert_eq!((&b["acronym"], &b["kind"]), (&"OB2".into(), &"facultative".into()), "{b}");
}
