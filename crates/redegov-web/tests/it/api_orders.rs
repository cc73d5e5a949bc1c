//! The service-order API on both backends: one activation walked through
//! its life cycle by the roles that own each step, the JSON shapes (TMF641
//! state, deadline, history, allowed actions), the list filters, and bad
//! input answered with the field and the rule.

use super::world;
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(an_activation_through_the_api, bad_orders_name_the_field);

fn new_access(w: &super::World) -> Value {
    json!({"type": "new_access", "site_id": w.site_a, "lot_id": w.lot_1a, "service": "SCM",
           "bandwidth_mbps": 10, "redundancy": "none", "technology": "terrestrial"})
}

async fn an_activation_through_the_api(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let agency = t.token("o.agency", Role::AgencyManager, Some(w.agency_a), None).await;
    let noc = t.token("o.noc", Role::NetworkManager, None, None).await;
    let alfa = t.token("o.alfa", Role::Operator, None, Some(w.alfa)).await;

    let (status, order) = t.post("/api/v1/orders", &agency, new_access(&w)).await;
    assert_eq!(status, 201, "{order}");
    let id = order["id"].as_i64().expect("id");
    assert_eq!(order["number"], "OS-2026-000001");
    assert_eq!(
        (order["status"].as_str(), order["tmf641_state"].as_str()),
        (Some("submitted"), Some("acknowledged"))
    );
    assert_eq!(order["tmf641_action"], "add");
    assert_eq!(order["deadline"], json!({"days": 45, "unit": "calendar", "due_on": null, "paused_days": 0}));
    assert_eq!(order["allowed_actions"], json!(["cancel"]));
    assert_eq!(order["spec"]["type"], "new_access");

    let step = |token: &str, body: Value| {
        let t = &t;
        let token = token.to_string();
        async move { t.post(&format!("/api/v1/orders/{id}/transitions"), &token, body).await }
    };
    let (status, o) = step(&noc, json!({"action": "validate"})).await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(
        (o["status"].as_str(), o["deadline"]["due_on"].as_str()),
        (Some("sent_to_operator"), Some("2026-04-24"))
    );
    assert_eq!(o["urgency"], json!({"state": "on_time", "days_left": 45}));
    // Too short a notice: 422 naming `at`, nothing changes.
    let (status, e) =
        step(&alfa, json!({"action": "schedule_installation", "at": "2026-03-12T11:00:00-03:00"})).await;
    assert_eq!(
        (status, e["error"]["code"].as_str(), e["error"]["field"].as_str()),
        (422, Some("schedule_too_soon"), Some("at"))
    );
    let (status, o) =
        step(&alfa, json!({"action": "schedule_installation", "at": "2026-03-13T12:00:00-03:00"})).await;
    assert_eq!((status, o["status"].as_str()), (200, Some("in_execution")), "{o}");
    assert_eq!(o["installation_at"], "2026-03-13T15:00:00Z");
    let (status, e) =
        step(&alfa, json!({"action": "report_execution", "report": "ok", "probe_targets": ["x"]})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (400, Some("probe_targets[0]")), "{e}");
    let (status, o) = step(
        &alfa,
        json!({"action": "report_execution", "report": "Instalado", "probe_targets": ["10.7.0.1"]}),
    )
    .await;
    assert_eq!(
        (status, o["status"].as_str(), o["late_days"].as_u64()),
        (200, Some("executed"), Some(0)),
        "{o}"
    );
    let (status, _) = step(&agency, json!({"action": "accept_technical"})).await;
    assert_eq!(status, 403, "the agency does not give technical acceptance");
    let (status, o) = step(&noc, json!({"action": "accept_technical"})).await;
    assert_eq!((status, o["acceptance_due_on"].as_str()), (200, Some("2026-03-20")), "{o}");
    let (status, o) = step(&agency, json!({"action": "accept"})).await;
    assert_eq!(status, 200, "{o}");
    assert_eq!((o["status"].as_str(), o["tmf641_state"].as_str()), (Some("completed"), Some("completed")));
    let access = o["access_id"].as_i64().expect("access created");
    let history: Vec<&str> =
        o["history"].as_array().expect("history").iter().map(|e| e["action"].as_str().expect("a")).collect();
    assert_eq!(
        history,
        [
            "create",
            "submit",
            "validate",
            "schedule_installation",
            "report_execution",
            "accept_technical",
            "accept"
        ]
    );
    let (_, a) = t.get(&format!("/api/v1/accesses/{access}"), &agency).await;
    assert_eq!(
        (a["status"].as_str(), a["probe_targets"][0].as_str()),
        (Some("active"), Some("10.7.0.1")),
        "{a}"
    );

    // Lists and their filters.
    let total = |path: &str, token: &str| {
        let t = &t;
        let path = path.to_string();
        let token = token.to_string();
        async move {
            let (status, list) = t.get(&path, &token).await;
            assert_eq!(status, 200, "{path}: {list}");
            list["total"].as_i64().expect("total")
        }
    };
    assert_eq!(total("/api/v1/orders?status=completed&type=new_access", &noc).await, 1);
    assert_eq!(total("/api/v1/orders?late=true", &noc).await, 0);
    assert_eq!(total("/api/v1/orders?open=true", &noc).await, 0);
    assert_eq!(total(&format!("/api/v1/orders?agency_id={}", w.agency_b), &agency).await, 0);
    assert_eq!(total("/api/v1/orders?q=os-2026-000001", &alfa).await, 1);
    let (status, e) = t.get("/api/v1/orders?status=finished", &noc).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("status")));
    let (status, e) = t.get("/api/v1/orders?sort=colour", &noc).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("sort")));
    assert_eq!(total("/api/v1/orders?sort=due_on", &noc).await, 1);
    // The document lists the allowed actions per status.
    let (_, doc) = t.get("/api/v1/openapi.json", &noc).await;
    let description =
        doc["paths"]["/api/v1/orders/{id}/transitions"]["post"]["description"].as_str().expect("doc");
    assert!(
        description.contains("`awaiting_agency_acceptance`: `accept` [admin, agency_manager]"),
        "{description}"
    );
}

async fn bad_orders_name_the_field(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let post = |body: Value| {
        let t = &t;
        let admin = w.admin.clone();
        async move { t.post("/api/v1/orders", &admin, body).await }
    };
    let field = |r: &(u16, Value)| (r.0, r.1["error"]["field"].as_str().map(str::to_string));
    let some = |s: &str| Some(s.to_string());
    assert_eq!(field(&post(json!({"site_id": 1})).await), (422, some("type")));
    assert_eq!(field(&post(json!({"type": "teleport"})).await), (422, some("type")));
    let mut body = new_access(&w);
    body.as_object_mut().expect("object").remove("bandwidth_mbps");
    assert_eq!(field(&post(body).await), (400, some("bandwidth_mbps")));
    let mut body = new_access(&w);
    body["color"] = json!("blue");
    assert_eq!(field(&post(body).await).0, 400);
    let mut body = new_access(&w);
    body["bandwidth_mbps"] = json!(0);
    assert_eq!(field(&post(body).await), (422, some("bandwidth_mbps")));
    let mut body = new_access(&w);
    body["site_id"] = json!(w.site_b);
    let r = post(body).await;
    assert_eq!(
        (field(&r), r.1["error"]["code"].as_str()),
        ((422, some("lot_id")), Some("outside_lot_region"))
    );
    let r = post(json!({"type": "deactivation", "access_id": 999_999})).await;
    assert_eq!(
        (field(&r), r.1["error"]["code"].as_str()),
        ((422, some("access_id")), Some("unknown_reference"))
    );
    let r = post(json!({"type": "cpe_relocation", "access_id": w.access_a, "description": ""})).await;
    assert_eq!(field(&r), (422, some("description")));
    let (status, list) = t.get("/api/v1/orders", &w.admin).await;
    assert_eq!((status, list["total"].as_i64()), (200, Some(0)), "nothing was written");
    let (status, e) = t.post("/api/v1/orders/1/transitions", &w.admin, json!({"action": "fly"})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("action")), "{e}");
    let (status, e) = t.post("/api/v1/orders/999/transitions", &w.admin, json!({"action": "validate"})).await;
    assert_eq!(status, 404, "{e}");
}
