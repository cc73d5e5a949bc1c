//! The portal's penalty, invoice and dispute pages, on both backends, as
//! their users work them: a penalty process opened on the form, notified,
//! defended by the operator with a document (multipart upload, SHA-256
//! shown, download byte for byte), decided, final by the deadline job,
//! applied in installments, printed as the PDF dossier; an invoice uploaded
//! as a file (a bad one refused with its line and column, nothing stored),
//! compared flag by flag, exported, contested from the prefilled form,
//! answered by the operator, upheld, and approved; scope and roles refused.

use super::portal::{browser_client, csrf_of, login, page, submit};
use super::{closing_world, world};
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};

on_both_backends!(a_penalty_process_through_the_portal, an_invoice_and_its_dispute_through_the_portal);

/// A `multipart/form-data` body: text fields, then files as
/// `(field, file name, content type, bytes)`.
fn multipart(fields: &[(&str, String)], files: &[(&str, &str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "redegov-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (name, file, content_type, data) in files {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                 Content-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(*data);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(super) async fn post_multipart(
    t: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, String)],
    files: &[(&str, &str, &str, &[u8])],
) -> (u16, String) {
    let (content_type, body) = multipart(fields, files);
    let resp = client
        .post(format!("{}{path}", t.base_url))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("post");
    let status = resp.status().as_u16();
    match resp.headers().get("location") {
        Some(to) => (status, to.to_str().expect("ascii").to_string()),
        None => (status, resp.text().await.expect("body")),
    }
}

async fn bytes(t: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String, Vec<u8>) {
    let resp = client.get(format!("{}{path}", t.base_url)).send().await.expect("get");
    let status = resp.status().as_u16();
    let kind = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, kind, resp.bytes().await.expect("bytes").to_vec())
}

async fn a_penalty_process_through_the_portal(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let ugs_token = t.token("m.ugs", Role::ContractManager, None, None).await;
    t.token("m.beta", Role::Operator, None, Some(w.beta)).await;
    t.token("m.alfa", Role::Operator, None, Some(w.alfa)).await;
    t.token("m.agency", Role::AgencyManager, Some(w.agency_a), None).await;
    let ugs = browser_client();
    login(&t, &ugs, "m.ugs").await;

    // Opening: a refused form keeps what was typed, then the process.
    let (status, form) = page(&t, &ugs, "/multas/nova").await;
    assert_eq!(status, 200, "{form}");
    let csrf = csrf_of(&form);
    let opening = |description: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("lot_id", w.lot_6a.to_string()),
            ("clause", "Cláusula 7.1".to_string()),
            ("description", description.to_string()),
            ("proposed_amount", "100,00".to_string()),
            ("amount_reason", "Valor da cláusula".to_string()),
        ]
    };
    let (status, html) = submit(&t, &ugs, "/multas/nova", &opening("")).await;
    assert_eq!(status, 422);
    assert!(html.contains("Descrição") && html.contains("Cláusula 7.1"), "the rule named, the input kept");
    let (status, location) = submit(&t, &ugs, "/multas/nova", &opening("Relatório atrasado")).await;
    assert_eq!(status, 303, "{location}");
    let path = location.clone();
    let (_, html) = page(&t, &ugs, &path).await;
    for expected in ["PM-2026/0001", "Aberto", "R$ 100,00", "Notificar a operadora", "Alterar o valor"] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
    let csrf = csrf_of(&html);
    let (status, _) = submit(&t, &ugs, &path, &[("csrf", csrf.clone()), ("acao", "notify".into())]).await;
    assert_eq!(status, 303);

    // The operator files its defense with a document.
    let beta = browser_client();
    login(&t, &beta, "m.beta").await;
    let (status, html) = page(&t, &beta, &path).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("form-defense") && html.contains("17/03/2026"),
        "the defense form and its deadline"
    );
    let beta_csrf = csrf_of(&html);
    let (status, location) = post_multipart(
        &t,
        &beta,
        &format!("{path}/peticao"),
        &[("csrf", beta_csrf.clone()), ("acao", "file_defense".into()), ("text", "Entregue no prazo".into())],
        &[("documents", "defesa.txt", "text/plain", b"hello")],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, format!("{path}?salvo=1").as_str()));
    let (_, html) = page(&t, &beta, &path).await;
    assert!(html.contains("Defesa apresentada") && html.contains("Entregue no prazo"));
    assert!(
        html.contains("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        "SHA-256 shown"
    );
    let link = html.split("href=\"").find(|s| s.contains("/anexos/")).and_then(|s| s.split('"').next());
    let (status, kind, data) = bytes(&t, &beta, link.expect("attachment link")).await;
    assert_eq!((status, kind.as_str(), data.as_slice()), (200, "text/plain", b"hello".as_slice()));

    // Alfa, Beta's consortium partner in lot 6A, sees it; Beta does not see
    // a process of lot 1A (Alfa's alone); agency managers may not open the list.
    let alfa = browser_client();
    login(&t, &alfa, "m.alfa").await;
    assert_eq!(page(&t, &alfa, &path).await.0, 200);
    let (status, other) = t
        .post(
            "/api/v1/penalties",
            &ugs_token,
            serde_json::json!({"lot_id": w.lot_1a, "clause": "Cláusula 3", "description": "Outro",
                               "proposed_amount_centavos": 5_000, "amount_reason": "Cláusula"}),
        )
        .await;
    assert_eq!(status, 201, "{other}");
    assert_eq!(page(&t, &beta, &format!("/multas/{}", other["id"])).await.0, 404);
    let agency = browser_client();
    login(&t, &agency, "m.agency").await;
    assert_eq!(page(&t, &agency, "/multas").await.0, 403);

    // The decision: a partial one needs its amount.
    let decide = |amount: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("acao", "decide".to_string()),
            ("outcome", "partially_upheld".to_string()),
            ("decision_amount", amount.to_string()),
            ("grounds", "Em parte".to_string()),
        ]
    };
    let (status, html) = submit(&t, &ugs, &path, &decide("")).await;
    assert_eq!(status, 422);
    assert!(html.contains("form-decide-erro"), "the rule shown on the decision form");
    let (status, _) = submit(&t, &ugs, &path, &decide("70,00")).await;
    assert_eq!(status, 303);
    let (_, html) = page(&t, &ugs, &path).await;
    assert!(html.contains("Parcialmente procedente") && html.contains("R$ 70,00"));

    // The appeal window passes: final. Applied in three installments.
    let (_, p) =
        t.get(&format!("/api/v1/penalties/{}", path.rsplit('/').next().expect("id")), &w.admin).await;
    let due = p["appeal_due_on"].as_str().expect("window").to_string();
    t.clock.set(redegov_domain::time::parse_instant("t", &format!("{due}T23:00:00-03:00")).expect("t"));
    t.clock.advance(3600);
    assert_eq!(t.app.run_penalty_deadlines().await.expect("job"), 1);
    // Two weeks on, the portal sessions have expired: sign in again.
    for (client, who) in [(&ugs, "m.ugs"), (&beta, "m.beta")] {
        login(&t, client, who).await;
    }
    let (_, html) = page(&t, &ugs, &path).await;
    let csrf = csrf_of(&html);
    assert!(html.contains("Decisão definitiva") && html.contains("form-apply"));
    let apply = |start: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("acao", "apply".to_string()),
            ("installments", "3".to_string()),
            ("start_month", start.to_string()),
        ]
    };
    let (status, html) = submit(&t, &ugs, &path, &apply("abril")).await;
    assert_eq!(status, 422);
    assert!(html.contains("form-apply-erro") && html.contains("Mês da primeira parcela"));
    let (status, _) = submit(&t, &ugs, &path, &apply("2026-04")).await;
    assert_eq!(status, 303);
    let (_, html) = page(&t, &ugs, &path).await;
    for expected in ["Em aplicação", "1 de 3", "3 de 3", "R$ 23,33", "R$ 23,34", "2026-04", "Suspender"] {
        assert!(html.contains(expected), "missing {expected:?}");
    }

    // The list and its export; the dossier.
    let (_, html) = page(&t, &beta, "/multas").await;
    assert!(html.contains("PM-2026/0001") && html.contains("Em aplicação") && !html.contains("PM-2026/0002"));
    let (_, csv) = page(&t, &beta, "/multas?formato=csv").await;
    assert!(csv.contains("PM-2026/0001") && csv.contains("Valor proposto"), "{csv}");
    let (status, kind, pdf) = bytes(&t, &ugs, &format!("{path}/dossie.pdf")).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(pdf.starts_with(b"%PDF"));
    if let Some(text) = redegov_test_support::pdf::pdf_text(&pdf, "dossier") {
        for expected in ["PM-2026/0001", "Linha do tempo", "defesa.txt", "Entregue no prazo", "R$ 23,34"] {
            assert!(text.contains(expected), "dossier lacks {expected:?}:\n{text}");
        }
    }
}

async fn an_invoice_and_its_dispute_through_the_portal(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    closing_world(&t, &w).await;
    let (status, json) = t.call(reqwest::Method::POST, "/api/v1/months/2026-02/close", &w.admin, None).await;
    assert_eq!(status, 201, "{json}");
    let (_, report) = t
        .get(&format!("/api/v1/months/2026-02/billing-reports/{}/operator-{}", w.agency_a, w.alfa), &w.admin)
        .await;
    let charge = report["lines"][0]["charge_centavos"].as_i64().expect("charge");
    t.token("f.alfa", Role::Operator, None, Some(w.alfa)).await;
    t.token("f.agency", Role::AgencyManager, Some(w.agency_a), None).await;
    t.token("f.agency.b", Role::AgencyManager, Some(w.agency_b), None).await;
    t.token("f.ugs", Role::ContractManager, None, None).await;
    t.token("f.noc", Role::NetworkManager, None, None).await;
    let alfa = browser_client();
    login(&t, &alfa, "f.alfa").await;
    let (status, html) = page(&t, &alfa, "/faturas/nova").await;
    assert_eq!(status, 200, "{html}");
    let csrf = csrf_of(&html);
    let fields = |number: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("agency_id", w.agency_a.to_string()),
            ("holder", format!("operator-{}", w.alfa)),
            ("month", "2026-02".to_string()),
            ("number", number.to_string()),
            ("issued_on", "2026-03-05".to_string()),
        ]
    };
    let reais = |c: i64| format!("{},{:02}", c / 100, c % 100);

    // A bad file: every problem with its line and column, nothing stored.
    let bad = format!("tipo;acesso;referencia;descricao;valor\nservico;AC-{:06};;;abc\n", w.access_a);
    let (status, html) = post_multipart(
        &t,
        &alfa,
        "/faturas/nova",
        &fields("F-9"),
        &[("file", "f.csv", "text/csv", bad.as_bytes())],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("nada foi importado") && html.contains("valor"), "{html}");
    let (_, listed) = t.get("/api/v1/invoices", &w.admin).await;
    assert_eq!(listed["total"], 0);

    // An invoice that charges more and forgets the downtime credit.
    let wrong = format!(
        "tipo;acesso;referencia;descricao;valor\nservico;AC-{:06};;Link;{}\n",
        w.access_a,
        reais(charge + 1_000)
    );
    let (status, location) = post_multipart(
        &t,
        &alfa,
        "/faturas/nova",
        &fields("F-1"),
        &[("file", "fatura.csv", "text/csv", wrong.as_bytes())],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let path = location;
    let agency = browser_client();
    login(&t, &agency, "f.agency").await;
    let (status, html) = page(&t, &agency, &path).await;
    assert_eq!(status, 200);
    for expected in [
        "Fatura F-1",
        "Valor diferente do relatório",
        "Desconto por indisponibilidade não aplicado",
        "Aprovar para pagamento",
        "Contestar",
    ] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
    assert!(html.contains("2;10,00"), "the dispute form is prefilled with the excess of line 2");
    let (_, csv) = page(&t, &agency, &format!("{path}?formato=csv")).await;
    assert!(csv.contains("Valor diferente do relatório"), "{csv}");
    let (status, kind, pdf) = bytes(&t, &agency, &format!("{path}/comparacao.pdf")).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(pdf.starts_with(b"%PDF"));
    if let Some(text) = redegov_test_support::pdf::pdf_text(&pdf, "comparison") {
        assert!(text.contains("Fatura F-1") && text.contains("Valor diferente do relatório"), "{text}");
    }

    // Another agency and the NOC do not see it.
    let other = browser_client();
    login(&t, &other, "f.agency.b").await;
    assert_eq!(page(&t, &other, &path).await.0, 404);

    // The dispute: a line not on the invoice is named; then opened.
    let acsrf = csrf_of(&html);
    let contest = |lines: &str| {
        vec![
            ("csrf", acsrf.clone()),
            ("acao", "contestar".to_string()),
            ("lines", lines.to_string()),
            ("reason", "Cobrança a maior".to_string()),
        ]
    };
    let (status, html) = submit(&t, &agency, &path, &contest("9;10,00")).await;
    assert_eq!(status, 422);
    assert!(html.contains("contestar-erro") && html.contains("9;10,00"));
    let (status, dispute) = submit(&t, &agency, &path, &contest("2;10,00")).await;
    assert_eq!(status, 303, "{dispute}");
    let dispute = dispute.split('?').next().expect("path").to_string();

    // The operator answers; the contract manager upholds.
    let (_, html) = page(&t, &alfa, &dispute).await;
    assert!(html.contains("Aberta") && html.contains("R$ 10,00") && html.contains("Responder"));
    let (status, _) = submit(
        &t,
        &alfa,
        &dispute,
        &[("csrf", csrf.clone()), ("acao", "responder".into()), ("answer", "Valor correto".into())],
    )
    .await;
    assert_eq!(status, 303);
    let ugs = browser_client();
    login(&t, &ugs, "f.ugs").await;
    let (_, html) = page(&t, &ugs, &dispute).await;
    assert!(html.contains("Respondida") && html.contains("Valor correto") && html.contains("Procedente"));
    let ucsrf = csrf_of(&html);
    let (status, html) = submit(
        &t,
        &ugs,
        &dispute,
        &[("csrf", ucsrf.clone()), ("acao", "upheld".into()), ("grounds", "".into())],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("decidir-erro"), "grounds are required");
    let (status, _) = submit(
        &t,
        &ugs,
        &dispute,
        &[("csrf", ucsrf), ("acao", "upheld".into()), ("grounds", "Laudo".into())],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = page(&t, &agency, "/contestacoes?status=upheld&ordem=antigas").await;
    assert!(
        html.contains("Procedente") && html.contains("F-1") && html.contains("2026-03"),
        "credited in March"
    );
    let (_, csv) = page(&t, &agency, "/contestacoes?formato=csv").await;
    assert!(csv.contains("Cobrança a maior"), "{csv}");

    // Approved for payment by the agency; the operator may not approve.
    let (status, _) = submit(&t, &alfa, &path, &[("csrf", csrf), ("acao", "aprovar".into())]).await;
    assert_eq!(status, 403);
    let (status, location) = submit(&t, &agency, &path, &[("csrf", acsrf), ("acao", "aprovar".into())]).await;
    assert_eq!((status, location.as_str()), (303, format!("{path}?salvo=aprovada").as_str()));
    let (_, html) = page(&t, &agency, "/faturas").await;
    assert!(html.contains("F-1") && html.contains("Aprovada"), "{html}");
}
