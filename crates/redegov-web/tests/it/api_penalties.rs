//! The penalty endpoints end to end over HTTP, on both backends: a process
//! opened on a clause, notified, defended with a base64 document that comes
//! back byte for byte with its SHA-256, decided and made final by the
//! deadline job, applied in installments; a late defense refused naming its
//! deadline; bad input refused naming the field; every route in OpenAPI.

use super::world;
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use serde_json::json;

on_both_backends!(
    a_process_over_http,
    late_and_bad_input_name_the_field,
    openapi_documents_every_penalty_route
);

async fn a_process_over_http(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let ugs = t.token("p.ugs", Role::ContractManager, None, None).await;
    let beta = t.token("p.beta", Role::Operator, None, Some(w.beta)).await;
    let (status, p) = t
        .post(
            "/api/v1/penalties",
            &ugs,
            json!({"lot_id": w.lot_6a, "clause": "Cláusula 7.1", "description": "Relatório atrasado",
                   "proposed_amount_centavos": 10_000, "amount_reason": "Valor da cláusula"}),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    assert_eq!((p["number"].as_str(), p["status"].as_str()), (Some("PM-2026/0001"), Some("opened")));
    assert_eq!(p["allowed_actions"], json!(["amend", "notify"]));
    let id = p["id"].as_i64().expect("id");
    let (status, p) =
        t.post(&format!("/api/v1/penalties/{id}/transitions"), &ugs, json!({"action": "notify"})).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["defense_due_on"], "2026-03-17");
    let (status, p) = t
        .post(
            &format!("/api/v1/penalties/{id}/defense"),
            &beta,
            json!({"text": "Entregue no prazo", "attachments": [
                {"name": "defesa.txt", "content_type": "text/plain", "data_base64": "aGVsbG8="}]}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["status"], "defense_filed");
    let a = &p["attachments"][0];
    assert_eq!(a["sha256"], "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    assert_eq!(a["size_bytes"], 5);
    let url = a["url"].as_str().expect("url").to_string();
    let resp = t.client.get(format!("{}{url}", t.base_url)).bearer_auth(&beta).send().await.expect("get");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert_eq!(
        resp.headers()["x-content-sha256"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(resp.bytes().await.expect("bytes").as_ref(), b"hello");
    let (status, p) = t
        .post(
            &format!("/api/v1/penalties/{id}/transitions"),
            &ugs,
            json!({"action": "decide", "outcome": "partially_upheld", "amount_centavos": 7_000, "grounds": "Em parte"}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["decision"]["amount_centavos"], 7_000);
    let due = p["appeal_due_on"].as_str().expect("window").to_string();
    t.clock.set(redegov_domain::time::parse_instant("t", &format!("{due}T23:00:00-03:00")).expect("t"));
    t.clock.advance(3600);
    assert_eq!(t.app.run_penalty_deadlines().await.expect("job"), 1);
    let (_, p) = t.get(&format!("/api/v1/penalties/{id}"), &beta).await;
    assert_eq!((p["status"].as_str(), p["final_amount_centavos"].as_i64()), (Some("final"), Some(7_000)));
    let (status, p) = t
        .post(
            &format!("/api/v1/penalties/{id}/apply"),
            &ugs,
            json!({"installments": 3, "start_month": "2026-04"}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    let amounts: Vec<i64> = p["installment_schedule"]
        .as_array()
        .expect("plan")
        .iter()
        .map(|i| i["amount_centavos"].as_i64().expect("n"))
        .collect();
    assert_eq!(amounts, vec![2_333, 2_333, 2_334]);
    let (status, p) =
        t.post(&format!("/api/v1/penalties/{id}/suspend"), &ugs, json!({"reason": "Liminar judicial"})).await;
    assert_eq!((status, p["status"].as_str()), (200, Some("suspended")));
    let (status, p) =
        t.call(reqwest::Method::POST, &format!("/api/v1/penalties/{id}/resume"), &ugs, None).await;
    assert_eq!((status, p["status"].as_str()), (200, Some("applied")), "{p}");
    let (_, list) = t.get("/api/v1/penalties?status=applied", &beta).await;
    assert_eq!(list["total"], 1);
    let history: Vec<&str> =
        p["history"].as_array().expect("h").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        history,
        ["create", "notify", "file_defense", "decide", "finalize", "apply", "suspend", "resume"],
    );
}

async fn late_and_bad_input_name_the_field(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let ugs = t.token("p.ugs", Role::ContractManager, None, None).await;
    let beta = t.token("p.beta", Role::Operator, None, Some(w.beta)).await;
    let (_, audit_before) = t.get("/api/v1/audit?page_size=1", &w.admin).await;
    let bad = [
        (
            json!({"breaches": [{"month": "2026-03", "access_id": w.access_b, "kind": "availability"}], "description": "x"}),
            "breaches[0].month",
            "month_not_closed",
        ),
        (
            json!({"lot_id": w.lot_6a, "clause": "7", "description": "x", "proposed_amount_centavos": -1, "amount_reason": "r"}),
            "proposed_amount_centavos",
            "out_of_range",
        ),
        (json!({"lot_id": w.lot_6a, "description": "x"}), "breaches", "required"),
        (
            json!({"lot_id": w.lot_6a, "clause": "7", "description": " ", "proposed_amount_centavos": 5, "amount_reason": "r"}),
            "description",
            "required",
        ),
    ];
    for (body, field, code) in bad {
        let (status, e) = t.post("/api/v1/penalties", &ugs, body).await;
        assert_eq!(status, 422, "{e}");
        assert_eq!(
            (e["error"]["field"].as_str(), e["error"]["code"].as_str()),
            (Some(field), Some(code)),
            "{e}"
        );
    }
    let (status, e) = t.post("/api/v1/penalties", &ugs, json!({"lot_id": w.lot_6a, "x": 1})).await;
    assert_eq!(status, 400, "unknown field: {e}");
    let (_, audit_after) = t.get("/api/v1/audit?page_size=1", &w.admin).await;
    assert_eq!(audit_before["total"], audit_after["total"], "nothing written");
    let (_, list) = t.get("/api/v1/penalties", &ugs).await;
    assert_eq!(list["total"], 0);

    let (_, p) = t
        .post(
            "/api/v1/penalties",
            &ugs,
            json!({"lot_id": w.lot_6a, "clause": "7", "description": "x", "proposed_amount_centavos": 5, "amount_reason": "r"}),
        )
        .await;
    let id = p["id"].as_i64().expect("id");
    t.post(&format!("/api/v1/penalties/{id}/transitions"), &ugs, json!({"action": "notify"})).await;
    let (status, e) = t
        .post(
            &format!("/api/v1/penalties/{id}/defense"),
            &beta,
            json!({"text": "x", "attachments": [{"name": "a", "content_type": "text/plain", "data_base64": "a*=="}]}),
        )
        .await;
    assert_eq!((status, e["error"]["field"].as_str()), (400, Some("attachments[0].data_base64")), "{e}");
    t.clock.set(redegov_domain::time::parse_instant("t", "2026-03-18T09:00:00-03:00").expect("t"));
    let (status, e) =
        t.post(&format!("/api/v1/penalties/{id}/defense"), &beta, json!({"text": "Defesa"})).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(
        (e["error"]["field"].as_str(), e["error"]["code"].as_str()),
        (Some("defense_due_on"), Some("deadline_passed"))
    );
    assert!(
        e["error"]["message"].as_str().is_some_and(|m| m.contains("2026-03-17")),
        "names the deadline: {e}"
    );
    let (status, e) = t
        .post(
            &format!("/api/v1/penalties/{id}/apply"),
            &ugs,
            json!({"installments": 0, "start_month": "2026-04"}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    let (status, e) =
        t.post(&format!("/api/v1/penalties/{id}/transitions"), &ugs, json!({"action": "settle"})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("action")), "{e}");
}

async fn openapi_documents_every_penalty_route(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let admin = t.token("p.admin", Role::Admin, None, None).await;
    let (_, doc) = t.get("/api/v1/openapi.json", &admin).await;
    for (method, path) in [
        ("get", "/api/v1/penalties"),
        ("post", "/api/v1/penalties"),
        ("get", "/api/v1/penalties/{id}"),
        ("post", "/api/v1/penalties/{id}/transitions"),
        ("post", "/api/v1/penalties/{id}/defense"),
        ("post", "/api/v1/penalties/{id}/appeal"),
        ("get", "/api/v1/penalties/{id}/attachments/{attachment_id}"),
        ("post", "/api/v1/penalties/{id}/apply"),
        ("post", "/api/v1/penalties/{id}/suspend"),
        ("post", "/api/v1/penalties/{id}/resume"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} missing from the OpenAPI document");
    }
    for schema in
        ["PenaltyIn", "PenaltyDetailOut", "PenaltyTransitionIn", "FilingIn", "ApplyIn", "InstallmentOut"]
    {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema}");
    }
    let actions = doc["paths"]["/api/v1/penalties/{id}/transitions"]["post"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(actions.contains("`operator_notified`: `file_defense` [operator]"), "{actions}");
}
