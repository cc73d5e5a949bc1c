//! Invoices and disputes through the HTTP API, on both backends: a CSV
//! upload reconciled against the closed month's billing report, a JSON
//! upload with differences, a refused file naming line, column and rule,
//! the list exported as CSV, a dispute from opening to its credit, and the
//! OpenAPI document describing every route.

use super::{World, closing_world, world};
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(invoices_and_disputes_through_the_api, openapi_describes_invoices_and_disputes);

/// Closes February (as admin) and returns agency A's report with Alfa.
async fn closed_february(t: &TestApp, w: &World) -> Value {
    closing_world(t, w).await;
    let (status, json) = t.call(reqwest::Method::POST, "/api/v1/months/2026-02/close", &w.admin, None).await;
    assert_eq!(status, 201, "{json}");
    let (status, report) = t
        .get(&format!("/api/v1/months/2026-02/billing-reports/{}/operator-{}", w.agency_a, w.alfa), &w.admin)
        .await;
    assert_eq!(status, 200, "{report}");
    report
}

async fn upload_csv(t: &TestApp, token: &str, query: &str, csv: String) -> (u16, Value) {
    let resp = t
        .client
        .post(format!("{}/api/v1/invoices/import?{query}", t.base_url))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn brl(centavos: i64) -> String {
    format!("{},{:02}", centavos / 100, centavos % 100)
}

async fn invoices_and_disputes_through_the_api(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let report = closed_february(&t, &w).await;
    let line = &report["lines"][0];
    let (charge, credit) = (
        line["charge_centavos"].as_i64().expect("charge"),
        line["credit_centavos"].as_i64().expect("credit"),
    );
    assert!(credit > 0, "access A was down in February: {report}");
    let alfa = t.token("i.alfa", Role::Operator, None, Some(w.alfa)).await;
    let manager = t.token("i.agency", Role::AgencyManager, Some(w.agency_a), None).await;
    let ugs = t.token("i.ugs", Role::ContractManager, None, None).await;
    let query = |number: &str| {
        format!(
            "agency_id={}&holder=operator-{}&month=2026-02&number={number}&issued_on=2026-03-05",
            w.agency_a, w.alfa
        )
    };

    // A refused file: every problem, nothing stored.
    let bad = format!(
        "tipo;acesso;referencia;descricao;valor\nservico;AC-{:06};;;abc\nservico;999999;;;1,00\n",
        w.access_a
    );
    let (status, json) = upload_csv(&t, &alfa, &query("F-1"), bad).await;
    assert_eq!((status, json["error"]["code"].as_str()), (422, Some("rejected_file")), "{json}");
    assert_eq!(json["error"]["problems"][0]["line"], 2);
    assert_eq!(json["error"]["problems"][0]["column"], "valor");
    assert_eq!(json["error"]["problems"][0]["code"], "malformed");
    let header_only = || String::from("tipo;acesso;referencia;descricao;valor\n");
    let (status, json) =
        upload_csv(&t, &alfa, &query("F-1").replace("2026-02", "2026-03"), header_only()).await;
    assert_eq!((status, json["error"]["field"].as_str()), (422, Some("month")), "{json}");
    let (_, listed) = t.get("/api/v1/invoices", &w.admin).await;
    assert_eq!(listed["total"], 0);

    // The correct invoice, as CSV, by the operator.
    let good = format!(
        "tipo;acesso;referencia;descricao;valor\nservico;AC-{a:06};;Link;{}\ndesconto;AC-{a:06};;Indisponibilidade;-{}\n",
        brl(charge),
        brl(credit),
        a = w.access_a
    );
    let (status, done) = upload_csv(&t, &alfa, &query("F-1"), good).await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(
        (done["clean"].as_bool(), done["flags"].as_array().map(Vec::len)),
        (Some(true), Some(0)),
        "{done}"
    );
    assert_eq!(done["totals"]["difference_centavos"], 0);
    assert_eq!(done["totals"]["report_net_centavos"], report["totals"]["net_centavos"]);
    let invoice = done["invoice"]["id"].as_i64().expect("id");
    let (status, again) = upload_csv(&t, &alfa, &query("F-1"), header_only()).await;
    assert_eq!(
        (status, again["error"]["field"].as_str(), again["error"]["code"].as_str()),
        (422, Some("number"), Some("duplicate"))
    );

    // A wrong invoice, as JSON, by the contract manager.
    let (status, wrong) = t
        .post(
            "/api/v1/invoices",
            &ugs,
            json!({"agency_id": w.agency_a, "holder": format!("operator-{}", w.alfa), "month": "2026-02",
                   "number": "F-2", "issued_on": "2026-03-05",
                   "lines": [{"kind": "servico", "access": w.access_a, "amount_centavos": charge + 100}]}),
        )
        .await;
    assert_eq!(status, 201, "{wrong}");
    let kinds: Vec<&str> =
        wrong["flags"].as_array().expect("flags").iter().filter_map(|f| f["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["amount_differs", "credit_not_applied"]);
    assert_eq!(wrong["flags"][0]["expected_centavos"], charge);
    assert_eq!(wrong["flags"][0]["invoiced_centavos"], charge + 100);
    assert_eq!(wrong["flags"][0]["designation"], format!("AC-{:06}", w.access_a));
    let (status, unknown) =
        t.post("/api/v1/invoices", &ugs, json!({"agency_id": w.agency_a, "lines": [], "extra": 1})).await;
    assert_eq!(status, 400, "{unknown}");

    // Reading: detail, reconciliation, list, export.
    let (status, detail) = t.get(&format!("/api/v1/invoices/{invoice}"), &manager).await;
    assert_eq!((status, detail["lines"].as_array().map(Vec::len)), (200, Some(2)), "{detail}");
    let service_line = detail["lines"][0]["id"].as_i64().expect("line id");
    let (status, rec) = t.get(&format!("/api/v1/invoices/{invoice}/reconciliation"), &manager).await;
    assert_eq!((status, rec["clean"].as_bool()), (200, Some(true)));
    let (_, listed) = t.get("/api/v1/invoices?month=2026-02&status=received", &alfa).await;
    assert_eq!(listed["total"], 2);
    let (status, bad_filter) = t.get("/api/v1/invoices?holder=nobody", &alfa).await;
    assert_eq!((status, bad_filter["error"]["field"].as_str()), (422, Some("holder")));
    let resp = t
        .client
        .get(format!("{}/api/v1/invoices?format=csv", t.base_url))
        .bearer_auth(&ugs)
        .send()
        .await
        .expect("export");
    assert!(resp.headers()["content-type"].to_str().unwrap_or("").starts_with("text/csv"));
    let text = resp.text().await.expect("csv");
    assert!(text.contains("F-1") && text.contains("F-2") && text.contains(';'), "{text}");

    // A dispute, answered, upheld: credited in March.
    let (status, dispute) = t
        .post(
            "/api/v1/disputes",
            &manager,
            json!({"invoice_id": invoice, "reason": "Serviço degradado",
                   "lines": [{"invoice_line_id": service_line, "contested_centavos": 1_000}]}),
        )
        .await;
    assert_eq!((status, dispute["status"].as_str()), (201, Some("opened")), "{dispute}");
    let id = dispute["id"].as_i64().expect("id");
    let (status, answered) =
        t.post(&format!("/api/v1/disputes/{id}/answer"), &alfa, json!({"answer": "Medição normal"})).await;
    assert_eq!((status, answered["status"].as_str()), (200, Some("answered")), "{answered}");
    let (status, refused) = t
        .post(&format!("/api/v1/disputes/{id}/resolve"), &ugs, json!({"resolution": "maybe", "grounds": "x"}))
        .await;
    assert_eq!((status, refused["error"]["field"].as_str()), (422, Some("resolution")));
    let (status, upheld) = t
        .post(
            &format!("/api/v1/disputes/{id}/resolve"),
            &ugs,
            json!({"resolution": "upheld", "grounds": "Laudo"}),
        )
        .await;
    assert_eq!(
        (status, upheld["status"].as_str(), upheld["credit_month"].as_str()),
        (200, Some("upheld"), Some("2026-03")),
        "{upheld}"
    );
    let (_, list) = t.get("/api/v1/disputes?status=upheld&sort=oldest", &manager).await;
    assert_eq!((list["total"].as_i64(), list["items"][0]["id"].as_i64()), (Some(1), Some(id)));
    assert_eq!(list["items"][0]["age_days"], 0);
    let (status, approved) =
        t.post(&format!("/api/v1/invoices/{invoice}/approve"), &manager, json!({})).await;
    assert_eq!((status, approved["status"].as_str()), (200, Some("approved")), "{approved}");
}

async fn openapi_describes_invoices_and_disputes(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let resp = t.client.get(format!("{}/api/v1/openapi.json", t.base_url)).send().await.expect("doc");
    let doc: Value = resp.json().await.expect("json");
    for (method, path) in [
        ("get", "/api/v1/invoices"),
        ("post", "/api/v1/invoices"),
        ("post", "/api/v1/invoices/import"),
        ("get", "/api/v1/invoices/{id}"),
        ("get", "/api/v1/invoices/{id}/reconciliation"),
        ("post", "/api/v1/invoices/{id}/approve"),
        ("get", "/api/v1/disputes"),
        ("post", "/api/v1/disputes"),
        ("get", "/api/v1/disputes/{id}"),
        ("post", "/api/v1/disputes/{id}/answer"),
        ("post", "/api/v1/disputes/{id}/resolve"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} missing from the OpenAPI document");
    }
    for schema in ["InvoiceIn", "InvoiceOut", "ReconciliationOut", "FlagOut", "DisputeIn", "DisputeDetailOut"]
    {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} missing");
    }
}
