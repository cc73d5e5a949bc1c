//! The role × scope matrix of the invoice and dispute endpoints. Invoice A
//! is agency A's with Alfa (lot 1A: outside operator Beta's scope);
//! invoice B is agency B's with the consortium Alfa/Beta (lot 6A: outside
//! agency A's). Each has a dispute. Rows that would change a dispute send
//! a blank text or an unknown resolution, so a role that may act gets 422
//! naming the field, one that may not 403, one that cannot see it 404.

use super::matrix::{ROLES, next, tokens};
use super::{World, closing_world, world};
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(invoices_and_disputes_check_role_and_scope);

/// What a row sends.
enum Body {
    None,
    Json(Value),
    Csv(String),
}

struct Case {
    method: Method,
    path: String,
    body: Box<dyn Fn(&World) -> Body>,
    expect: [u16; 7],
}

fn case(method: Method, path: String, body: impl Fn(&World) -> Body + 'static, expect: [u16; 7]) -> Case {
    Case { method, path, body: Box::new(body), expect }
}

async fn send(t: &TestApp, c: &Case, w: &World, token: Option<&str>) -> (u16, String) {
    let mut req = t.client.request(c.method.clone(), format!("{}{}", t.base_url, c.path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req = match (c.body)(w) {
        Body::None => req,
        Body::Json(v) => req.json(&v),
        Body::Csv(text) => req.header("content-type", "text/csv").body(text),
    };
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

fn invoice_json(agency: i64, holder: String, access: i64, number: String) -> Value {
    json!({"agency_id": agency, "holder": holder, "month": "2026-02", "number": number, "issued_on": "2026-03-05",
           "lines": [{"kind": "servico", "access": access, "amount_centavos": 100}]})
}

async fn created(t: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let (status, json) = t.post(path, token, body).await;
    assert_eq!(status, 201, "POST {path}: {json}");
    json
}

async fn invoices_and_disputes_check_role_and_scope(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    closing_world(&t, &w).await;
    let (status, json) = t.call(Method::POST, "/api/v1/months/2026-02/close", &w.admin, None).await;
    assert_eq!(status, 201, "{json}");
    let toks = tokens(&t, &w).await;
    let alfa = format!("operator-{}", w.alfa);
    let consortium = format!("consortium-{}", w.consortium);
    let a = created(
        &t,
        "/api/v1/invoices",
        &w.admin,
        invoice_json(w.agency_a, alfa.clone(), w.access_a, "A-1".into()),
    )
    .await;
    let b = created(
        &t,
        "/api/v1/invoices",
        &w.admin,
        invoice_json(w.agency_b, consortium.clone(), w.access_b, "B-1".into()),
    )
    .await;
    let (inv_a, inv_b) = (a["invoice"]["id"].as_i64().expect("id"), b["invoice"]["id"].as_i64().expect("id"));
    let line_of = |inv: i64| {
        let t = &t;
        let admin = w.admin.clone();
        async move {
            let (_, d) = t.get(&format!("/api/v1/invoices/{inv}"), &admin).await;
            d["lines"][0]["id"].as_i64().expect("line")
        }
    };
    let (line_a, line_b) = (line_of(inv_a).await, line_of(inv_b).await);
    let dispute = |inv: i64, line: i64| json!({"invoice_id": inv, "reason": "Cobrança indevida", "lines": [{"invoice_line_id": line, "contested_centavos": 10}]});
    let d_a =
        created(&t, "/api/v1/disputes", &w.admin, dispute(inv_a, line_a)).await["id"].as_i64().expect("id");
    let d_b =
        created(&t, "/api/v1/disputes", &w.admin, dispute(inv_b, line_b)).await["id"].as_i64().expect("id");

    use Method as M;
    let all = [200; 7];
    let not_beta = [200, 200, 200, 200, 200, 404, 200];
    let not_agency = [200, 200, 200, 200, 404, 200, 200];
    let none = |_: &World| Body::None;
    let csv_line = |access: i64| format!("tipo;acesso;referencia;descricao;valor\nservico;{access};;;1,00\n");
    let cases = vec![
        case(M::GET, "/api/v1/invoices".into(), none, all),
        case(M::GET, "/api/v1/invoices?format=csv&month=2026-02".into(), none, all),
        case(M::GET, format!("/api/v1/invoices/{inv_a}"), none, not_beta),
        case(M::GET, format!("/api/v1/invoices/{inv_b}"), none, not_agency),
        case(M::GET, format!("/api/v1/invoices/{inv_a}/reconciliation"), none, not_beta),
        case(M::GET, format!("/api/v1/invoices/{inv_b}/reconciliation"), none, not_agency),
        case(
            M::POST,
            "/api/v1/invoices".into(),
            |w| {
                Body::Json(invoice_json(
                    w.agency_b,
                    format!("consortium-{}", w.consortium),
                    w.access_b,
                    format!("N{}", next()),
                ))
            },
            [201, 403, 403, 201, 403, 201, 403],
        ),
        case(
            M::POST,
            "/api/v1/invoices".into(),
            |w| {
                Body::Json(invoice_json(
                    w.agency_a,
                    format!("operator-{}", w.alfa),
                    w.access_a,
                    format!("N{}", next()),
                ))
            },
            [201, 403, 403, 201, 403, 422, 403],
        ),
        case(
            M::POST,
            format!(
                "/api/v1/invoices/import?agency_id={}&holder={consortium}&month=2026-02&issued_on=2026-03-05&number=C{}",
                w.agency_b,
                next()
            ),
            move |w| Body::Csv(csv_line(w.access_b)),
            // One number for the row: the first upload takes it.
            [201, 403, 403, 422, 403, 422, 403],
        ),
        case(
            M::POST,
            format!(
                "/api/v1/invoices/import?agency_id={}&holder={alfa}&month=2026-02&issued_on=2026-03-05&number=A-1",
                w.agency_a
            ),
            move |w| Body::Csv(csv_line(w.access_a)),
            // A-1 is taken; Beta does not hold the lot.
            [422, 403, 403, 422, 403, 422, 403],
        ),
        case(M::POST, format!("/api/v1/invoices/{inv_a}/approve"), none, [200, 403, 403, 422, 422, 404, 403]),
        case(M::POST, format!("/api/v1/invoices/{inv_b}/approve"), none, [200, 403, 403, 422, 404, 403, 403]),
        case(M::GET, "/api/v1/disputes".into(), none, all),
        case(M::GET, "/api/v1/disputes?sort=oldest&status=opened&format=csv".into(), none, all),
        case(M::GET, format!("/api/v1/disputes/{d_a}"), none, not_beta),
        case(M::GET, format!("/api/v1/disputes/{d_b}"), none, not_agency),
        case(
            M::POST,
            "/api/v1/disputes".into(),
            move |_| {
                Body::Json(
                    json!({"invoice_id": inv_a, "reason": " ", "lines": [{"invoice_line_id": line_a, "contested_centavos": 1}]}),
                )
            },
            [422, 403, 403, 422, 422, 403, 403],
        ),
        case(
            M::POST,
            "/api/v1/disputes".into(),
            move |_| {
                Body::Json(
                    json!({"invoice_id": inv_b, "reason": "x", "lines": [{"invoice_line_id": line_b, "contested_centavos": 1}]}),
                )
            },
            // Agency A: an invoice it cannot see is an unknown reference;
            // others: the line is already contested.
            [422, 403, 403, 422, 422, 403, 403],
        ),
        case(
            M::POST,
            format!("/api/v1/disputes/{d_a}/answer"),
            |_| Body::Json(json!({"answer": " "})),
            [403, 403, 403, 403, 403, 404, 403],
        ),
        case(
            M::POST,
            format!("/api/v1/disputes/{d_b}/answer"),
            |_| Body::Json(json!({"answer": " "})),
            [403, 403, 403, 403, 404, 422, 403],
        ),
        case(
            M::POST,
            format!("/api/v1/disputes/{d_a}/resolve"),
            |_| Body::Json(json!({"resolution": "maybe", "grounds": "x"})),
            [422, 403, 403, 422, 403, 404, 403],
        ),
        case(
            M::POST,
            format!("/api/v1/disputes/{d_b}/resolve"),
            |_| Body::Json(json!({"resolution": "maybe", "grounds": "x"})),
            [422, 403, 403, 422, 404, 403, 403],
        ),
    ];
    let mut failures = Vec::new();
    for c in &cases {
        let (status, _) = send(&t, c, &w, None).await;
        if status != 401 {
            failures.push(format!("{} {} without token: {status}", c.method, c.path));
        }
        for (i, token) in toks.0.iter().enumerate() {
            let (status, body) = send(&t, c, &w, Some(token)).await;
            if status != c.expect[i] {
                failures.push(format!(
                    "{} {} as {}: got {status}, want {} — {body}",
                    c.method, c.path, ROLES[i], c.expect[i]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));

    // Lists are scoped: each sees its own.
    let ids = |v: &Value| -> Vec<i64> {
        v["items"].as_array().expect("items").iter().filter_map(|i| i["agency_id"].as_i64()).collect()
    };
    let (_, agency_list) = t.get("/api/v1/invoices?page_size=100", &toks.0[4]).await;
    assert!(ids(&agency_list).iter().all(|a| *a == w.agency_a) && !ids(&agency_list).is_empty());
    let (_, beta_list) = t.get("/api/v1/invoices?page_size=100", &toks.0[5]).await;
    assert!(beta_list["items"].as_array().expect("items").iter().all(|i| i["holder"] == consortium.as_str()));
    let (_, beta_disputes) = t.get("/api/v1/disputes", &toks.0[5]).await;
    assert_eq!(
        beta_disputes["items"]
            .as_array()
            .map(|i| i.iter().filter_map(|d| d["id"].as_i64()).collect::<Vec<_>>()),
        Some(vec![d_b])
    );
    let (_, agency_disputes) = t.get(&format!("/api/v1/disputes?agency_id={}", w.agency_b), &toks.0[4]).await;
    assert_eq!(agency_disputes["total"], 0);
}
