//! Joining the network over HTTP, on both backends: a municipality's
//! adhesion through the API (persons, technical form, signed PDFs with
//! their SHA-256, review, the committee's approval), the new responsible
//! person setting a password through the invitation link and signing in
//! to the portal; the role × scope matrix of every adhesion endpoint; and
//! the portal pages (the queue, an upload refused in pt-BR, a CPF refused
//! naming its field, the request printed as a PDF, every list exported).

use super::matrix::{check, next, row, tokens};
use super::portal::{browser_client, csrf_of, login, page, submit};
use super::portal_fines::post_multipart;
use super::{cnpj, world};
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(an_adhesion_over_http, adhesions_check_role_and_scope, the_portal_pages);

/// `%PDF-1.4\n% assinado\n%%EOF\n` and its SHA-256.
const PDF_BASE64: &str = "JVBERi0xLjQKJSBhc3NpbmFkbwolJUVPRgo=";
const PDF_SHA256: &str = "d8ddf33eb6ee5de7d1736fea67fecdff9478f8fcdd202cb9b2e42dea9041ff06";
const PDF: &[u8] = b"%PDF-1.4\n% assinado\n%%EOF\n";

fn cpf(base: &str) -> String {
    redegov_domain::document::Cpf::from_base(base).expect("cpf").masked()
}

fn person(position: &str, name: &str, cpf_base: &str, email: &str) -> Value {
    json!({"position": position, "name": name, "cpf": cpf(cpf_base), "email": email,
           "phone": "(11) 3333-4444", "job_title": "Diretor", "department": "TI"})
}

async fn municipality(t: &TestApp, admin: &str, name: &str, base: &str) -> i64 {
    super::created(
        t,
        "/api/v1/agencies",
        admin,
        json!({"name": name, "acronym": name, "cnpj": cnpj(base), "kind": "municipality"}),
    )
    .await
}

/// Files everything a municipality's approval needs and reviews it;
/// returns the adhesion's id.
async fn ready_for_approval(t: &TestApp, token: &str, agency: i64, emails: [&str; 2]) -> i64 {
    let (status, a) =
        t.post("/api/v1/adhesions", token, json!({"agency_id": agency, "note": "Ofício 1"})).await;
    assert_eq!(status, 201, "{a}");
    let id = a["id"].as_i64().expect("id");
    for kind in ["adhesion_request", "responsibles_form", "technical_form"] {
        let (status, d) = t
            .post(
                &format!("/api/v1/adhesions/{id}/documents"),
                token,
                json!({"kind": kind, "name": format!("{kind}.pdf"), "data_base64": PDF_BASE64}),
            )
            .await;
        assert_eq!((status, d["sha256"].as_str()), (201, Some(PDF_SHA256)), "{d}");
    }
    let (status, r) = t
        .post(
            "/api/v1/responsible-requests",
            token,
            json!({"agency_id": agency, "persons": [
                person("primary", "Ana", &format!("{:09}", 100_000_000 + agency * 7), emails[0]),
                person("substitute", "Bruno", &format!("{:09}", 200_000_000 + agency * 7), emails[1])]}),
        )
        .await;
    assert_eq!((status, r["kind"].as_str()), (201, Some("inclusion")), "{r}");
    let (status, a) =
        t.post(&format!("/api/v1/adhesions/{id}/transitions"), token, json!({"action": "review"})).await;
    assert_eq!((status, a["status"].as_str()), (200, Some("under_review")), "{a}");
    id
}

async fn an_adhesion_over_http(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let noc = t.token("h.noc", Role::NetworkManager, None, None).await;
    let committee = t.token("h.committee", Role::Committee, None, None).await;
    let city = municipality(&t, &w.admin, "Prefeitura de Jundiaí", "919191910001").await;

    // Bad input first: a CPF with a wrong check digit, a form above the limit.
    let mut wrong = person("primary", "Ana", "123456789", "ana@jundiai.sp.gov.br");
    wrong["cpf"] = json!("529.982.247-24");
    let (status, e) =
        t.post("/api/v1/responsible-requests", &noc, json!({"agency_id": city, "persons": [wrong]})).await;
    assert_eq!(
        (status, e["error"]["field"].as_str(), e["error"]["code"].as_str()),
        (422, Some("persons[0].cpf"), Some("invalid_cpf")),
        "{e}"
    );
    let (status, e) = t
        .post(
            "/api/v1/technical-forms",
            &noc,
            json!({"agency_id": city, "applications": [{"name": "SEI", "body": "Casa Civil"}],
                   "private_blocks": 21, "contact_name": "T", "contact_phone": "(11) 4444-5555",
                   "contact_email": "ti@jundiai.sp.gov.br"}),
        )
        .await;
    assert_eq!((status, e["error"]["code"].as_str()), (422, Some("block_limit_reached")), "{e}");

    let id = ready_for_approval(&t, &noc, city, ["ana@jundiai.sp.gov.br", "bruno@jundiai.sp.gov.br"]).await;
    let (status, e) =
        t.post(&format!("/api/v1/adhesions/{id}/transitions"), &noc, json!({"action": "approve"})).await;
    assert_eq!(status, 403, "the committee approves a municipality: {e}");
    let (_, queue) = t.get("/api/v1/adhesions/queue", &committee).await;
    assert_eq!(queue[0]["id"].as_i64(), Some(id), "{queue}");
    let (status, a) = t
        .post(&format!("/api/v1/adhesions/{id}/transitions"), &committee, json!({"action": "approve"}))
        .await;
    assert_eq!((status, a["status"].as_str()), (200, Some("approved")), "{a}");
    assert!(
        a["persons"].as_array().is_some_and(|p| p.len() == 2 && p.iter().all(|p| p["status"] == "active"))
    );
    // The committee reads CPFs masked; the UGO whole.
    assert!(a["persons"][0]["cpf"].as_str().is_some_and(|c| c.starts_with("***.")), "{a}");
    let (_, persons) = t.get(&format!("/api/v1/responsible-persons?agency_id={city}"), &noc).await;
    assert!(persons[0]["cpf"].as_str().is_some_and(|c| !c.contains('*')), "{persons}");

    // The document comes back byte for byte, with its checksum.
    let doc = a["documents"][0]["id"].as_i64().expect("doc");
    let resp = t
        .client
        .get(format!("{}/api/v1/adhesions/{id}/documents/{doc}", t.base_url))
        .bearer_auth(&noc)
        .send()
        .await
        .expect("get");
    assert_eq!(resp.headers()["x-content-sha256"], PDF_SHA256);
    assert_eq!(resp.bytes().await.expect("bytes").as_ref(), PDF);

    // Ana's invitation sets her password; she signs in to the portal.
    let mail = t
        .app
        .list_mail(
            &redegov_app::Actor::system(),
            &redegov_app::mail::MailFilter { kind: Some("user.invited".into()), ..Default::default() },
            redegov_app::Page::all(),
        )
        .await
        .expect("mail")
        .items;
    let link = mail
        .iter()
        .find(|m| m.recipients.contains(&"ana@jundiai.sp.gov.br".to_string()))
        .and_then(|m| m.link.clone())
        .expect("invitation link");
    let path = link.trim_start_matches(|c| c != '/').to_string();
    let path = &path[path.find("/convite/").expect("convite")..];
    let browser = browser_client();
    let (status, html) = page(&t, &browser, path).await;
    assert!(status == 200 && html.contains("Definir senha"), "{html}");
    let set = |pw: &str, again: &str| vec![("password", pw.to_string()), ("confirmation", again.to_string())];
    let (status, html) = submit(&t, &browser, path, &set("senha-longa-1", "outra-coisa")).await;
    assert!(status == 422 && html.contains("não conferem"), "{html}");
    let (status, location) = submit(&t, &browser, path, &set("senha-longa-1", "senha-longa-1")).await;
    assert_eq!(status, 303, "{location}");
    assert!(location.contains("usuario=ana%40jundiai.sp.gov.br"), "{location}");
    let (status, html) = submit(&t, &browser, path, &set("senha-longa-2", "senha-longa-2")).await;
    assert!(status == 404 && html.contains("não vale mais"), "used once: {html}");
    let resp = browser
        .post(format!("{}/login", t.base_url))
        .form(&[("login", "ana@jundiai.sp.gov.br"), ("password", "senha-longa-1"), ("next", "/adesoes")])
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status().as_u16(), 303);
    let (status, html) = page(&t, &browser, &format!("/adesoes/{id}")).await;
    assert!(status == 200 && html.contains("AD-2026/0001"), "Ana reads her adhesion");

    // The technical form, approved: its blocks are allocated at once.
    let (_, pool) = t
        .post(
            "/api/v1/ip-pools",
            &noc,
            json!({"name": "Priv", "cidr": "10.50.0.0/16", "visibility": "private"}),
        )
        .await;
    let (status, f) = t
        .post(
            "/api/v1/technical-forms",
            &noc,
            json!({"agency_id": city, "applications": [{"name": "SEI", "body": "Casa Civil"}],
                   "private_blocks": 2, "contact_name": "T", "contact_phone": "(11) 4444-5555",
                   "contact_email": "ti@jundiai.sp.gov.br"}),
        )
        .await;
    assert_eq!(status, 201, "{f}");
    let (status, decided) = t
        .post(
            &format!("/api/v1/technical-forms/{}/decision", f["id"]),
            &noc,
            json!({"approve": true, "private_pool_id": pool["id"]}),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    let cidrs: Vec<&str> =
        decided["blocks"].as_array().expect("blocks").iter().filter_map(|b| b["cidr"].as_str()).collect();
    assert_eq!(cidrs, ["10.50.0.0/28", "10.50.0.16/28"]);

    // Settings and the OpenAPI document.
    let (status, s) = t
        .call(
            Method::PUT,
            "/api/v1/adhesion-settings",
            &noc,
            Some(json!({"election_date": "2028-10-01", "reminder_days": 15})),
        )
        .await;
    assert_eq!((status, s["election_date"].as_str()), (200, Some("2028-10-01")), "{s}");
    let (_, doc) = t.get("/api/v1/openapi.json", &noc).await;
    for p in [
        "/api/v1/adhesions",
        "/api/v1/adhesions/{id}/transitions",
        "/api/v1/adhesions/{id}/documents/{document_id}",
        "/api/v1/responsible-requests/{id}/decision",
        "/api/v1/technical-forms/{id}/decision",
        "/api/v1/adhesion-settings",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} documented");
    }
}

async fn adhesions_check_role_and_scope(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let toks = tokens(&t, &w).await;
    // Adhesion 1: agency B's (compulsory), opened by the admin; request 1,
    // person 1 and 2, form 1 are agency B's too.
    let (status, a) = t.post("/api/v1/adhesions", &w.admin, json!({"agency_id": w.agency_b})).await;
    assert_eq!((status, a["id"].as_i64()), (201, Some(1)), "{a}");
    let (status, r) = t
        .post(
            "/api/v1/responsible-requests",
            &w.admin,
            json!({"agency_id": w.agency_b, "persons": [person("primary", "P", "321321321", "p@b.gov.br")]}),
        )
        .await;
    assert_eq!((status, r["id"].as_i64()), (201, Some(1)), "{r}");
    let form = json!({"applications": [{"name": "SEI", "body": "Casa Civil"}], "contact_name": "T",
                      "contact_phone": "(31) 3333-4444", "contact_email": "t@b.gov.br"});
    let mut body = form.clone();
    body["agency_id"] = json!(w.agency_b);
    let (status, f) = t.post("/api/v1/technical-forms", &w.admin, body).await;
    assert_eq!((status, f["id"].as_i64()), (201, Some(1)), "{f}");
    let (_, d) = t
        .post(
            "/api/v1/adhesions/1/documents",
            &w.admin,
            json!({"kind": "other", "name": "x.pdf", "data_base64": PDF_BASE64}),
        )
        .await;
    let doc = d["id"].as_i64().expect("doc");
    use Method as M;
    // Operators are refused; agency A's manager does not see agency B's.
    let readers = [200, 200, 200, 200, 404, 403, 200];
    let lists = [200, 200, 200, 200, 200, 403, 200];
    let rows = vec![
        row(M::GET, "/api/v1/adhesions".into(), None, lists),
        row(M::GET, "/api/v1/adhesions/queue".into(), None, lists),
        row(M::GET, "/api/v1/adhesions/1".into(), None, readers),
        row(M::GET, format!("/api/v1/adhesions/1/documents/{doc}"), None, readers),
        // Requests for agency A: its manager may; each creation is fresh
        // only for the first caller (one open adhesion per agency).
        row(
            M::POST,
            "/api/v1/adhesions".into(),
            Some(|w| json!({"agency_id": w.agency_a})),
            [201, 403, 422, 403, 422, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/adhesions/1/documents".into(),
            Some(|_| json!({"kind": "other", "name": "y.pdf", "data_base64": PDF_BASE64})),
            [201, 403, 201, 403, 404, 403, 403],
        ),
        // Review is the UGO's (and admin's); the admin reviews first, so the
        // UGO then finds it under review (a rule, 422).
        row(
            M::POST,
            "/api/v1/adhesions/1/transitions".into(),
            Some(|_| json!({"action": "review"})),
            [200, 403, 422, 403, 404, 403, 403],
        ),
        row(M::GET, "/api/v1/responsible-persons".into(), None, lists),
        row(M::GET, "/api/v1/responsible-requests".into(), None, lists),
        row(M::GET, "/api/v1/technical-forms".into(), None, lists),
        row(M::GET, "/api/v1/adhesion-settings".into(), None, lists),
        row(
            M::PUT,
            "/api/v1/adhesion-settings".into(),
            Some(|_| json!({"election_date": null, "reminder_days": 30})),
            [200, 403, 200, 403, 403, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/responsible-requests".into(),
            Some(|w| {
                json!({"agency_id": w.agency_a,
                       "persons": [person("substitute", "S", &format!("{:09}", 400_000_000 + next()), "s@a.gov.br")]})
            }),
            // One pending request per agency: the second caller conflicts.
            [201, 403, 409, 403, 409, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/technical-forms".into(),
            Some(|w| {
                json!({"agency_id": w.agency_a, "applications": [{"name": "SEI", "body": "CC"}],
                       "contact_name": "T", "contact_phone": "(31) 3333-4444", "contact_email": "t@a.gov.br"})
            }),
            [201, 403, 201, 403, 201, 403, 403],
        ),
        // Deciding is the UGO's (and admin's): the admin refuses request 1
        // first; for the UGO it is then decided (422).
        row(
            M::POST,
            "/api/v1/responsible-requests/1/decision".into(),
            Some(|_| json!({"approve": false, "note": "incompleto"})),
            [200, 403, 422, 403, 403, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/technical-forms/1/decision".into(),
            Some(|_| json!({"approve": false, "note": "incompleto"})),
            [200, 403, 422, 403, 403, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/responsible-persons/1/removal".into(),
            Some(|_| json!({"note": "saiu"})),
            // Person 1 was never approved: a rule for those who may remove.
            [422, 403, 422, 403, 403, 403, 403],
        ),
    ];
    check(&t, &w, &toks, rows).await;
}

async fn the_portal_pages(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("p.noc", Role::NetworkManager, None, None).await;
    t.token("p.committee", Role::Committee, None, None).await;
    t.token("p.agency_b", Role::AgencyManager, Some(w.agency_b), None).await;
    t.token("p.beta", Role::Operator, None, Some(w.beta)).await;
    let noc = browser_client();
    login(&t, &noc, "p.noc").await;
    let city = municipality(&t, &w.admin, "Prefeitura de Itu", "929292920001").await;

    // A new request from the list page.
    let (status, html) = page(&t, &noc, "/adesoes").await;
    assert_eq!(status, 200, "{html}");
    let csrf = csrf_of(&html);
    let (status, location) = submit(
        &t,
        &noc,
        "/adesoes",
        &[
            ("csrf", csrf.clone()),
            ("acao", "solicitar".into()),
            ("agency_id", city.to_string()),
            ("note", "Ofício 9".into()),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let id: i64 =
        location.trim_start_matches("/adesoes/").split('?').next().expect("id").parse().expect("id");

    // Upload: a file that is not a PDF is refused in pt-BR; a PDF is kept.
    let upload =
        |kind: &str| vec![("csrf", csrf.clone()), ("acao", "anexar".to_string()), ("kind", kind.to_string())];
    let (status, html) = post_multipart(
        &t,
        &noc,
        &format!("/adesoes/{id}/documentos"),
        &upload("adhesion_request"),
        &[("file", "oficio.docx", "application/octet-stream", b"PK\x03\x04")],
    )
    .await;
    assert!(status == 422 && html.contains("documento-erro") && html.contains("PDF"), "{status} {html}");
    for kind in ["adhesion_request", "responsibles_form", "technical_form"] {
        let (status, location) = post_multipart(
            &t,
            &noc,
            &format!("/adesoes/{id}/documentos"),
            &upload(kind),
            &[("file", "assinado.pdf", "application/pdf", PDF)],
        )
        .await;
        assert_eq!(status, 303, "{location}");
    }

    // Annex I: a CPF with a wrong check digit is named on its own field.
    let (_, html) = page(&t, &noc, "/responsaveis").await;
    let csrf = csrf_of(&html);
    let mut annex: Vec<(&str, String)> = vec![
        ("csrf", csrf.clone()),
        ("acao", "pedido".into()),
        ("agency_id", city.to_string()),
        ("p1_name", "Ana Souza".into()),
        ("p1_cpf", cpf("135792468")),
        ("p1_email", "ana@itu.sp.gov.br".into()),
        ("p1_phone", "(11) 4022-0000".into()),
        ("p1_job_title", "Diretora".into()),
        ("p1_department", "TI".into()),
        ("p2_name", "Bruno Lima".into()),
        ("p2_cpf", "529.982.247-24".into()),
        ("p2_email", "bruno@itu.sp.gov.br".into()),
        ("p2_mobile", "(11) 98888-0000".into()),
        ("p2_job_title", "Analista".into()),
        ("p2_department", "TI".into()),
    ];
    let (status, html) = submit(&t, &noc, "/responsaveis", &annex).await;
    assert!(status == 422 && html.contains("anexo-i-erro") && html.contains("CPF válido"), "{html}");
    assert!(html.contains("id=\"p2_cpf\"") && html.contains("Bruno Lima"), "typed values kept");
    if let Some(field) = annex.iter_mut().find(|(name, _)| *name == "p2_cpf") {
        field.1 = cpf("246813579");
    }
    let (status, location) = submit(&t, &noc, "/responsaveis", &annex).await;
    assert_eq!(status, 303, "{location}");
    let (status, location) = submit(
        &t,
        &noc,
        "/responsaveis",
        &[
            ("csrf", csrf.clone()),
            ("acao", "formulario".into()),
            ("form_agency_id", city.to_string()),
            ("applications", "SEI; Casa Civil\nSIAFEM; Fazenda".into()),
            ("private_blocks", "2".into()),
            ("public_blocks", "1".into()),
            ("contact_name", "Técnico".into()),
            ("contact_phone", "(11) 4022-1111".into()),
            ("contact_email", "ti@itu.sp.gov.br".into()),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");

    // Review from the adhesion's page; the committee's queue shows it.
    let (_, html) = page(&t, &noc, &format!("/adesoes/{id}")).await;
    assert!(html.contains("btn-review") && html.contains("Todos os documentos exigidos"), "{html}");
    let (status, _) =
        submit(&t, &noc, &format!("/adesoes/{id}"), &[("csrf", csrf.clone()), ("acao", "review".into())])
            .await;
    assert_eq!(status, 303);
    let committee = browser_client();
    login(&t, &committee, "p.committee").await;
    let (_, html) = page(&t, &committee, "/adesoes").await;
    assert!(html.contains("Aguardando você") && html.contains("AD-2026/0001"), "{html}");
    let (_, html) = page(&t, &committee, &format!("/adesoes/{id}")).await;
    assert!(html.contains("btn-approve") && html.contains("***."), "CPF masked for the committee");
    let (status, _) = submit(
        &t,
        &committee,
        &format!("/adesoes/{id}"),
        &[("csrf", csrf_of(&html)), ("acao", "approve".into())],
    )
    .await;
    assert_eq!(status, 303);

    // The request prints for signature with the persons and the form.
    let resp = noc.get(format!("{}/adesoes/{id}/solicitacao.pdf", t.base_url)).send().await.expect("pdf");
    assert_eq!(resp.status().as_u16(), 200);
    let pdf = resp.bytes().await.expect("bytes");
    if let Some(text) = redegov_test_support::pdf::pdf_text(&pdf, "adesao") {
        for expected in ["AD-2026/0001", "Ana Souza", "SIAFEM", "Representante legal", "Termo de Cooperação"]
        {
            assert!(text.contains(expected), "{expected:?} missing from the PDF: {text}");
        }
    }

    // Exports and scope.
    for (path, expected) in [
        ("/adesoes?formato=csv", "AD-2026/0001"),
        ("/responsaveis?formato=csv", "Ana Souza"),
        ("/responsaveis?formato=csv&lista=formularios", "SIAFEM"),
        ("/responsaveis?formato=csv&lista=pedidos", "Inclusão"),
    ] {
        let (status, body) = page(&t, &noc, path).await;
        assert!(status == 200 && body.contains(expected), "{path}: {body}");
    }
    let resp = noc.get(format!("{}/adesoes?formato=xlsx", t.base_url)).send().await.expect("xlsx");
    assert_eq!(resp.bytes().await.expect("bytes")[..2], *b"PK");
    let agency_b = browser_client();
    login(&t, &agency_b, "p.agency_b").await;
    assert_eq!(page(&t, &agency_b, &format!("/adesoes/{id}")).await.0, 404);
    let (_, csv) = page(&t, &agency_b, "/responsaveis?formato=csv").await;
    assert!(!csv.contains("Ana Souza"), "another agency's persons stay hidden");
    let operator = browser_client();
    login(&t, &operator, "p.beta").await;
    assert_eq!(page(&t, &operator, "/adesoes").await.0, 403);
    let _ = next();
}
