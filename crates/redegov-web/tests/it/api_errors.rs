//! Bad input gets a precise 4xx naming the field and the rule, and writes
//! nothing; the OpenAPI document describes every route.

use super::{cnpj, world};
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use serde_json::json;

on_both_backends!(
    bad_input_is_named_and_writes_nothing,
    openapi_describes_the_api,
    lists_never_serve_stale_pages
);

async fn bad_input_is_named_and_writes_nothing(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let admin = &w.admin;
    let (_, before) = t.get("/api/v1/audit?page_size=1", admin).await;
    let cases = vec![
        (
            "/api/v1/operators",
            json!({"name": "X", "cnpj": "11.222.333/0001-82"}),
            422,
            "invalid_cnpj",
            "cnpj",
        ),
        ("/api/v1/operators", json!({"name": "X", "cnpj": cnpj("111111110001")}), 422, "duplicate", "cnpj"),
        ("/api/v1/operators", json!({"name": "X", "cpnj": "1"}), 400, "malformed_request", "cpnj"),
        ("/api/v1/operators", json!({"name": 5, "cnpj": "1"}), 400, "malformed_request", "name"),
        (
            "/api/v1/consortia",
            json!({"name": "C", "members": [{"operator_id": w.alfa, "share_percent": 60}, {"operator_id": w.beta, "share_percent": 39.99}]}),
            422,
            "shares_must_sum_to_100",
            "members",
        ),
        (
            "/api/v1/consortia",
            json!({"name": "C", "members": [{"operator_id": w.alfa, "share_percent": 50}, {"operator_id": 9999, "share_percent": 50}]}),
            422,
            "unknown_reference",
            "members[1].operator_id",
        ),
        (
            "/api/v1/contracts",
            json!({"number": "X", "starts_on": "2026-05-01", "ends_on": "2026-01-01", "ceiling_centavos": 1}),
            422,
            "dates_out_of_order",
            "ends_on",
        ),
        (
            "/api/v1/contracts",
            json!({"number": "X", "starts_on": "01/13/2026", "ends_on": "2027-01-01", "ceiling_centavos": 1}),
            400,
            "malformed",
            "starts_on",
        ),
        (
            "/api/v1/lots",
            json!({"contract_id": 9999, "code": "Z", "operator_id": w.alfa, "profile": "I", "region": "any"}),
            422,
            "unknown_reference",
            "contract_id",
        ),
        (
            "/api/v1/lots",
            json!({"contract_id": w.contract, "code": "Z", "operator_id": w.alfa, "profile": "VII", "region": "any"}),
            422,
            "not_allowed_value",
            "profile",
        ),
        (
            "/api/v1/lots",
            json!({"contract_id": w.contract, "code": "Z", "operator_id": w.alfa, "profile": "I", "region": [1234567]}),
            422,
            "unknown_municipality",
            "region[0]",
        ),
        (
            "/api/v1/agencies",
            json!({"name": "A", "acronym": "A", "cnpj": cnpj("999999990001"), "kind": "other"}),
            422,
            "not_allowed_value",
            "kind",
        ),
        (
            "/api/v1/sites",
            json!({"agency_id": w.agency_a, "address": "R", "municipality_ibge": 3106200, "municipality_name": "Contagem", "area": "capital"}),
            422,
            "invalid",
            "municipality_name",
        ),
        (
            "/api/v1/sites",
            json!({"agency_id": w.agency_a, "address": "", "municipality_ibge": 3106200, "area": "capital"}),
            422,
            "required",
            "address",
        ),
        (
            "/api/v1/accesses",
            json!({"site_id": w.site_b, "lot_id": w.lot_1a, "bandwidth_mbps": 10, "redundancy": "none", "probe_targets": ["10.9.0.1"]}),
            422,
            "outside_lot_region",
            "lot_id",
        ),
        (
            "/api/v1/accesses",
            json!({"site_id": w.site_a, "lot_id": w.lot_1a, "bandwidth_mbps": 10, "redundancy": "critical", "probe_targets": ["10.9.0.1"]}),
            422,
            "probe_target_count",
            "probe_targets",
        ),
        (
            "/api/v1/accesses",
            json!({"site_id": w.site_a, "lot_id": w.lot_1a, "bandwidth_mbps": 64, "redundancy": "none", "probe_targets": ["10.9.0.1"]}),
            422,
            "no_price",
            "monthly_price_centavos",
        ),
        (
            "/api/v1/accesses",
            json!({"site_id": 9999, "lot_id": w.lot_1a, "bandwidth_mbps": 10, "redundancy": "none", "probe_targets": ["10.9.0.1"]}),
            422,
            "unknown_reference",
            "site_id",
        ),
    ];
    for (path, body, status, code, field) in cases {
        let (got, json) = t.post(path, admin, body.clone()).await;
        assert_eq!(got, status, "POST {path} {body}: {json}");
        assert_eq!(json["error"]["code"], code, "POST {path} {body}: {json}");
        assert_eq!(json["error"]["field"], field, "POST {path} {body}: {json}");
        assert!(json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let raw = t
        .client
        .post(format!("{}/api/v1/agencies", t.base_url))
        .bearer_auth(admin)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status().as_u16(), 400);
    assert_eq!(t.get("/api/v1/sites/9999", admin).await.0, 404);
    assert_eq!(t.get("/api/v1/sites/abc", admin).await.0, 400);
    assert_eq!(t.get("/api/v1/accesses?page_size=5000", admin).await.1["error"]["field"], "page_size");
    assert_eq!(t.get("/api/v1/accesses?status=broken", admin).await.1["error"]["field"], "status");
    let (status, json) = t.call(reqwest::Method::POST, "/api/v1/import/sites", admin, None).await;
    assert_eq!((status, json["error"]["code"].as_str()), (422, Some("rejected_file")));
    let bad_csv = "agency_acronym;address;municipality_ibge;area;zone\nOA;Rua 1;3106200;capital;urban\nZZ;Rua 2;3106200;capital;urban\nOA;Rua 3;99;capital;urban\n";
    let resp = t
        .client
        .post(format!("{}/api/v1/import/sites", t.base_url))
        .bearer_auth(admin)
        .body(bad_csv)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 422);
    let json: serde_json::Value = resp.json().await.expect("json");
    let problems: Vec<(i64, String)> = json["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| (p["line"].as_i64().expect("line"), p["column"].as_str().expect("col").to_string()))
        .collect();
    assert_eq!(problems, vec![(3, "agency_acronym".to_string()), (4, "municipality_ibge".to_string())]);
    let (_, after) = t.get("/api/v1/audit?page_size=1", admin).await;
    assert_eq!(before["total"], after["total"], "refused requests wrote no audit entry");
    let (_, sites) = t.get("/api/v1/sites", admin).await;
    assert_eq!(sites["total"], 2, "nothing half-written");
}

async fn openapi_describes_the_api(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let resp = t.client.get(format!("{}/api/v1/openapi.json", t.base_url)).send().await.expect("request");
    assert_eq!(resp.status().as_u16(), 200);
    let doc: serde_json::Value = resp.json().await.expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for (method, path) in [
        ("get", "/api/v1/operators"),
        ("post", "/api/v1/operators"),
        ("get", "/api/v1/operators/{id}"),
        ("patch", "/api/v1/operators/{id}"),
        ("delete", "/api/v1/operators/{id}"),
        ("post", "/api/v1/consortia"),
        ("post", "/api/v1/contracts"),
        ("post", "/api/v1/lots"),
        ("get", "/api/v1/lots/{id}/prices"),
        ("post", "/api/v1/lots/{id}/prices"),
        ("patch", "/api/v1/prices/{id}"),
        ("delete", "/api/v1/prices/{id}"),
        ("post", "/api/v1/agencies"),
        ("post", "/api/v1/sites"),
        ("post", "/api/v1/accesses"),
        ("delete", "/api/v1/accesses/{id}"),
        ("post", "/api/v1/import/{kind}"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("get", "/api/v1/audit"),
        ("get", "/api/v1/audit/verify"),
        ("get", "/api/v1/municipalities"),
        ("get", "/api/v1/me"),
        ("get", "/api/v1/incidents"),
        ("post", "/api/v1/incidents"),
        ("get", "/api/v1/incidents/{id}"),
        ("patch", "/api/v1/incidents/{id}"),
        ("get", "/api/v1/maintenance-windows"),
        ("post", "/api/v1/maintenance-windows"),
        ("get", "/api/v1/maintenance-windows/{id}"),
        ("post", "/api/v1/maintenance-windows/{id}/approve"),
        ("post", "/api/v1/maintenance-windows/{id}/reject"),
        ("get", "/api/v1/lots/{id}/rules"),
        ("put", "/api/v1/lots/{id}/rules"),
        ("get", "/api/v1/months"),
        ("get", "/api/v1/months/{month}/preview"),
        ("get", "/api/v1/months/{month}/measurements"),
        ("post", "/api/v1/months/{month}/close"),
        ("get", "/api/v1/months/{month}/accesses/{access_id}/explanation"),
        ("get", "/api/v1/months/{month}/billing-reports"),
        ("get", "/api/v1/months/{month}/billing-reports/{agency_id}/{holder}"),
        ("get", "/api/v1/months/{month}/adjustments"),
        ("post", "/api/v1/adjustments"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} missing from the OpenAPI document");
    }
    for schema in [
        "AccessIn",
        "AccessOut",
        "SiteIn",
        "LotIn",
        "ConsortiumIn",
        "Error",
        "IncidentIn",
        "IncidentPatch",
        "IncidentOut",
        "WindowIn",
        "WindowOut",
        "RulesIn",
        "MonthOut",
        "LineOut",
        "ExplanationOut",
        "BillingReportOut",
        "AdjustmentIn",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema}");
    }
    let incidents = doc["paths"]["/api/v1/incidents"]["get"]["description"].as_str().unwrap_or_default();
    assert!(
        incidents.contains("with_operator → `inProgress`") && incidents.contains("open → `acknowledged`"),
        "the TMF621 mapping is documented: {incidents}"
    );
    let status = &doc["components"]["schemas"]["IncidentOut"]["properties"]["tmf621_status"]["description"];
    assert!(status.as_str().is_some_and(|d| d.contains("resolved and confirmed → `resolved`")), "{status}");
    assert!(doc["info"]["description"].as_str().is_some_and(|d| d.contains("_centavos")));
    let ui = t.client.get(format!("{}/api/v1/docs/", t.base_url)).send().await.expect("request");
    assert_eq!(ui.status().as_u16(), 200);
    assert!(ui.text().await.expect("html").contains("swagger"), "Swagger UI served offline");
}

/// The list cache answers repeated reads, but never after a committed change,
/// whether the change came through the API or straight through the app (as
/// another process, like a CLI import, would make it).
async fn lists_never_serve_stale_pages(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let path = format!("/api/v1/accesses?lot_id={}", w.lot_6a);
    let first = t.get(&path, &w.admin).await.1;
    assert_eq!(t.get(&path, &w.admin).await.1, first, "same data, same page");
    assert_eq!(first["items"][0]["bandwidth_mbps"], 10);
    let (status, _) =
        t.patch(&format!("/api/v1/lots/{}", w.lot_6a), &w.admin, json!({"description": "x"})).await;
    assert_eq!(status, 200);
    t.app
        .create_agency(
            &redegov_app::Actor::system(),
            redegov_domain::inventory::NewAgency::new(
                "Órgão C",
                "OC",
                &cnpj("565656560001"),
                redegov_domain::inventory::AgencyKind::Facultative,
            )
            .expect("valid"),
        )
        .await
        .expect("created outside the API");
    let (_, agencies) = t.get("/api/v1/agencies", &w.admin).await;
    assert_eq!(agencies["total"], 3);
    let price = json!({"bandwidth_mbps": 20, "area": "interior", "monthly_price_centavos": 300_000, "effective_from": "2020-01-01"});
    assert_eq!(t.post(&format!("/api/v1/lots/{}/prices", w.lot_6a), &w.admin, price).await.0, 201);
    let (status, _) =
        t.patch(&format!("/api/v1/accesses/{}", w.access_b), &w.admin, json!({"bandwidth_mbps": 20})).await;
    assert_eq!(status, 200);
    let after = t.get(&path, &w.admin).await.1;
    assert_eq!(after["items"][0]["bandwidth_mbps"], 20, "the change is visible at once");
    assert_eq!(after["items"][0]["monthly_price_centavos"], 300_000);
}
