//! HTTP tests of the whole router on a real port, on both backends: the
//! role × scope matrix for every API endpoint, error shapes, the OpenAPI
//! document, the portal (login, CSRF, exports) and a real browser.

mod api_adhesions;
mod api_calendar;
mod api_closing;
mod api_commitments;
mod api_errors;
mod api_invoices;
mod api_ipam;
mod api_monitor;
mod api_orders;
mod api_penalties;
mod browser;
mod browser_fines;
mod browser_orders;
mod matrix;
mod matrix_invoices;
mod matrix_penalties;
mod portal;
mod portal_closing;
mod portal_fines;
mod portal_noc;
mod portal_orders;

use fantoccini::{Client, Locator};
use redegov_domain::role::Role;
use redegov_test_support::TestApp;
use serde_json::{Value, json};

/// The ids of a small world built through the API.
pub struct World {
    pub alfa: i64,
    pub beta: i64,
    pub consortium: i64,
    pub contract: i64,
    pub lot_1a: i64,
    pub lot_6a: i64,
    pub price_1a: i64,
    pub agency_a: i64,
    pub agency_b: i64,
    pub site_a: i64,
    pub site_b: i64,
    pub access_a: i64,
    pub access_b: i64,
    pub admin: String,
}

pub fn cnpj(base: &str) -> String {
    redegov_domain::document::Cnpj::from_base(base).expect("valid base").as_str().to_string()
}

pub async fn created(t: &TestApp, path: &str, token: &str, body: Value) -> i64 {
    let (status, json) = t.post(path, token, body).await;
    assert_eq!(status, 201, "POST {path}: {json}");
    json["id"].as_i64().expect("id")
}

/// Operator Alfa holds lot 1A (Belo Horizonte only); the consortium
/// Alfa/Beta holds 6A (anywhere). Agency A has a site in BH with an access
/// on 1A; agency B a site in Uberlândia with an access on 6A.
pub async fn world(t: &TestApp) -> World {
    let admin = t.token("root", Role::Admin, None, None).await;
    let alfa =
        created(t, "/api/v1/operators", &admin, json!({"name": "Alfa", "cnpj": cnpj("111111110001")})).await;
    let beta =
        created(t, "/api/v1/operators", &admin, json!({"name": "Beta", "cnpj": cnpj("222222220001")})).await;
    let consortium = created(
        t,
        "/api/v1/consortia",
        &admin,
        json!({"name": "Alfa/Beta", "members": [{"operator_id": alfa, "share_percent": 60},
                                                 {"operator_id": beta, "share_percent": "40"}]}),
    )
    .await;
    let contract = created(
        t,
        "/api/v1/contracts",
        &admin,
        json!({"number": "12/2026", "starts_on": "2026-01-01", "ends_on": "2030-12-31", "ceiling_centavos": 9_600_000_000i64}),
    )
    .await;
    let lot_1a = created(
        t,
        "/api/v1/lots",
        &admin,
        json!({"contract_id": contract, "code": "1A", "operator_id": alfa, "profile": "I", "region": [3106200]}),
    )
    .await;
    let lot_6a = created(
        t,
        "/api/v1/lots",
        &admin,
        json!({"contract_id": contract, "code": "6A", "consortium_id": consortium, "profile": "III", "region": "any"}),
    )
    .await;
    let price_1a = created(
        t,
        &format!("/api/v1/lots/{lot_1a}/prices"),
        &admin,
        json!({"bandwidth_mbps": 10, "area": "capital", "monthly_price_centavos": 226_380, "effective_from": "2020-01-01"}),
    )
    .await;
    created(
        t,
        &format!("/api/v1/lots/{lot_6a}/prices"),
        &admin,
        json!({"bandwidth_mbps": 10, "area": "interior", "monthly_price_centavos": 255_890, "effective_from": "2020-01-01"}),
    )
    .await;
    let agency = |name: &str, acr: &str, base: &str| json!({"name": name, "acronym": acr, "cnpj": cnpj(base), "kind": "compulsory"});
    let agency_a = created(t, "/api/v1/agencies", &admin, agency("Órgão A", "OA", "333333330001")).await;
    let agency_b = created(t, "/api/v1/agencies", &admin, agency("Órgão B", "OB", "444444440001")).await;
    let site_a = created(
        t,
        "/api/v1/sites",
        &admin,
        json!({"agency_id": agency_a, "address": "Rua A, 1", "municipality_ibge": 3106200,
               "municipality_name": "Belo Horizonte", "area": "capital", "zone": "urban"}),
    )
    .await;
    let site_b = created(
        t,
        "/api/v1/sites",
        &admin,
        json!({"agency_id": agency_b, "address": "Av. B, 2", "municipality_ibge": 3170206,
               "municipality_name": "Uberlandia", "area": "interior", "zone": "urban"}),
    )
    .await;
    let access_a = created(
        t,
        "/api/v1/accesses",
        &admin,
        json!({"site_id": site_a, "lot_id": lot_1a, "bandwidth_mbps": 10, "redundancy": "none",
               "technology": "terrestrial", "probe_targets": ["10.0.0.1"], "activated_at": "2026-02-01T00:00:00-03:00"}),
    )
    .await;
    let access_b = created(
        t,
        "/api/v1/accesses",
        &admin,
        json!({"site_id": site_b, "lot_id": lot_6a, "bandwidth_mbps": 10, "redundancy": "critical",
               "technology": "terrestrial", "probe_targets": ["10.0.0.2", "10.0.1.2"]}),
    )
    .await;
    World {
        alfa,
        beta,
        consortium,
        contract,
        lot_1a,
        lot_6a,
        price_1a,
        agency_a,
        agency_b,
        site_a,
        site_b,
        access_a,
        access_b,
        admin,
    }
}

/// What the closing tests add to [`World`]: access B active from
/// 15/02/2026, one operator incident on each access in February 2026, and
/// two windows still awaiting a decision (one on access A, one on lot 6A).
pub struct ClosingWorld {
    pub incident_a: i64,
    pub incident_b: i64,
    pub window_access_a: i64,
    pub window_lot_6a: i64,
}

/// Builds [`ClosingWorld`] through the API, as admin.
pub async fn closing_world(t: &TestApp, w: &World) -> ClosingWorld {
    let (status, json) = t
        .patch(
            &format!("/api/v1/accesses/{}", w.access_b),
            &w.admin,
            json!({"status": "active", "status_at": "2026-02-15T00:00:00-03:00"}),
        )
        .await;
    assert_eq!(status, 200, "activate access B: {json}");
    let incident = |access: i64, from: &str, to: &str| {
        json!({"access_id": access, "started_at": from, "ended_at": to, "responsibility": "operator",
               "cause": "fibra rompida", "ticket": "OP-1"})
    };
    let incident_a = created(
        t,
        "/api/v1/incidents",
        &w.admin,
        incident(w.access_a, "2026-02-05T08:00:00-03:00", "2026-02-05T14:00:00-03:00"),
    )
    .await;
    let incident_b = created(
        t,
        "/api/v1/incidents",
        &w.admin,
        incident(w.access_b, "2026-02-20T10:00:00-03:00", "2026-02-20T11:00:00-03:00"),
    )
    .await;
    let window = |target: Value| {
        let mut body = json!({"starts_at": "2026-03-20T02:00:00-03:00", "ends_at": "2026-03-20T04:00:00-03:00",
                              "description": "troca de roteador"});
        if let (Some(body), Some(target)) = (body.as_object_mut(), target.as_object()) {
            body.extend(target.clone());
        }
        body
    };
    let window_access_a =
        created(t, "/api/v1/maintenance-windows", &w.admin, window(json!({"access_id": w.access_a}))).await;
    let window_lot_6a =
        created(t, "/api/v1/maintenance-windows", &w.admin, window(json!({"lot_id": w.lot_6a}))).await;
    ClosingWorld { incident_a, incident_b, window_access_a, window_lot_6a }
}

/// Clicks the button `id` that submits a form and waits until the browser
/// has left the page: what is looked for next is on the page the form led
/// to, never a leftover of this one (a notice, a heading).
pub async fn submit(c: &Client, id: &str) {
    let old = c.find(Locator::Css("html")).await.expect("the page");
    c.find(Locator::Id(id)).await.expect(id).click().await.expect("click");
    let started = std::time::Instant::now();
    while old.tag_name().await.is_ok() {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{id}: the page did not change");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}
