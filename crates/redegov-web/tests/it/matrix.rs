//! The role × scope matrix: every API endpoint, called by every role, with
//! the status each must get. Out of scope is 404 (existence does not leak);
//! in scope but not allowed is 403; no token is 401.

use super::{ClosingWorld, World, closing_world, cnpj, world};
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};

/// The roles, in the order of every expectation row.
pub(super) const ROLES: [&str; 7] =
    ["admin", "committee", "noc", "ugs", "agency_a", "operator_beta", "auditor"];

pub(super) struct Tokens(pub(super) Vec<String>);

pub(super) async fn tokens(t: &TestApp, w: &World) -> Tokens {
    let mut out = Vec::new();
    for (login, role, agency, operator) in [
        ("m.admin", Role::Admin, None, None),
        ("m.committee", Role::Committee, None, None),
        ("m.noc", Role::NetworkManager, None, None),
        ("m.ugs", Role::ContractManager, None, None),
        ("m.agency", Role::AgencyManager, Some(w.agency_a), None),
        ("m.beta", Role::Operator, None, Some(w.beta)),
        ("m.auditor", Role::Auditor, None, None),
    ] {
        out.push(t.token(login, role, agency, operator).await);
    }
    Tokens(out)
}

static SEQ: AtomicU32 = AtomicU32::new(100);

pub(super) fn next() -> u32 {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// A request row: method, path, a body maker (fresh data per call, so
/// creations never collide), and the expected status per role.
pub(super) struct Row {
    method: Method,
    path: String,
    body: Option<fn(&World) -> Value>,
    expect: [u16; 7],
}

pub(super) fn row(method: Method, path: String, body: Option<fn(&World) -> Value>, expect: [u16; 7]) -> Row {
    Row { method, path, body, expect }
}

fn rows(w: &World, c: &ClosingWorld) -> Vec<Row> {
    use Method as M;
    let all = [200; 7];
    let not_beta = [200, 200, 200, 200, 200, 404, 200];
    let not_agency = [200, 200, 200, 200, 404, 200, 200];
    let contract_admin_create = [201, 403, 403, 201, 403, 403, 403];
    let contract_admin_change_not_beta = [200, 403, 403, 200, 403, 404, 403];
    let readers_of_audit = [200, 403, 403, 403, 403, 403, 200];
    vec![
        row(M::GET, "/api/v1/me".into(), None, all),
        row(M::GET, "/api/v1/municipalities?uf=MG&q=uberl".into(), None, all),
        // operators
        row(M::GET, "/api/v1/operators".into(), None, all),
        row(M::GET, format!("/api/v1/operators/{}", w.alfa), None, not_beta),
        row(M::GET, format!("/api/v1/operators/{}", w.beta), None, all),
        row(
            M::POST,
            "/api/v1/operators".into(),
            Some(|_| json!({"name": "Nova", "cnpj": cnpj(&format!("{:08}0001", 60_000_000 + next()))})),
            contract_admin_create,
        ),
        row(
            M::PATCH,
            format!("/api/v1/operators/{}", w.alfa),
            Some(|_| json!({"name": "Alfa"})),
            contract_admin_change_not_beta,
        ),
        row(M::DELETE, format!("/api/v1/operators/{}", w.alfa), None, [409, 403, 403, 409, 403, 404, 403]),
        // consortia
        row(M::GET, "/api/v1/consortia".into(), None, all),
        row(M::GET, format!("/api/v1/consortia/{}", w.consortium), None, all),
        row(
            M::POST,
            "/api/v1/consortia".into(),
            Some(
                |w| json!({"name": format!("C{}", next()), "members": [{"operator_id": w.alfa, "share_percent": 50}, {"operator_id": w.beta, "share_percent": 50}]}),
            ),
            contract_admin_create,
        ),
        row(
            M::PATCH,
            format!("/api/v1/consortia/{}", w.consortium),
            Some(|_| json!({"name": "Alfa/Beta"})),
            [200, 403, 403, 200, 403, 403, 403],
        ),
        row(
            M::DELETE,
            format!("/api/v1/consortia/{}", w.consortium),
            None,
            [409, 403, 403, 409, 403, 403, 403],
        ),
        // contracts
        row(M::GET, "/api/v1/contracts".into(), None, all),
        row(M::GET, format!("/api/v1/contracts/{}", w.contract), None, all),
        row(
            M::POST,
            "/api/v1/contracts".into(),
            Some(
                |_| json!({"number": format!("N{}", next()), "starts_on": "2026-01-01", "ends_on": "2027-01-01", "ceiling_centavos": 100}),
            ),
            contract_admin_create,
        ),
        row(
            M::PATCH,
            format!("/api/v1/contracts/{}", w.contract),
            Some(|_| json!({"number": "12/2026"})),
            [200, 403, 403, 200, 403, 403, 403],
        ),
        row(
            M::DELETE,
            format!("/api/v1/contracts/{}", w.contract),
            None,
            [409, 403, 403, 409, 403, 403, 403],
        ),
        // lots and prices
        row(M::GET, "/api/v1/lots".into(), None, all),
        row(M::GET, format!("/api/v1/lots/{}", w.lot_1a), None, not_beta),
        row(M::GET, format!("/api/v1/lots/{}", w.lot_6a), None, all),
        row(
            M::POST,
            "/api/v1/lots".into(),
            Some(
                |w| json!({"contract_id": w.contract, "code": format!("L{}", next()), "operator_id": w.alfa, "profile": "I", "region": "any"}),
            ),
            contract_admin_create,
        ),
        row(
            M::PATCH,
            format!("/api/v1/lots/{}", w.lot_1a),
            Some(|_| json!({"description": "Telemar BH"})),
            contract_admin_change_not_beta,
        ),
        row(M::DELETE, format!("/api/v1/lots/{}", w.lot_1a), None, [409, 403, 403, 409, 403, 404, 403]),
        row(M::GET, format!("/api/v1/lots/{}/prices", w.lot_1a), None, not_beta),
        row(
            M::POST,
            format!("/api/v1/lots/{}/prices", w.lot_6a),
            Some(
                |_| json!({"bandwidth_mbps": 4, "area": "capital", "monthly_price_centavos": 1000 + i64::from(next()), "effective_from": "2026-01-01"}),
            ),
            contract_admin_create,
        ),
        row(
            M::PATCH,
            format!("/api/v1/prices/{}", w.price_1a),
            Some(|_| json!({"monthly_price_centavos": 226_380})),
            contract_admin_change_not_beta,
        ),
        // agencies
        row(M::GET, "/api/v1/agencies".into(), None, all),
        row(M::GET, format!("/api/v1/agencies/{}", w.agency_a), None, not_beta),
        row(M::GET, format!("/api/v1/agencies/{}", w.agency_b), None, not_agency),
        row(
            M::POST,
            "/api/v1/agencies".into(),
            Some(|_| {
                let n = next();
                json!({"name": format!("Órgão {n}"), "acronym": format!("X{n}"), "cnpj": cnpj(&format!("{:08}0001", 70_000_000 + n)), "kind": "facultative"})
            }),
            [201, 403, 403, 403, 403, 403, 403],
        ),
        row(
            M::PATCH,
            format!("/api/v1/agencies/{}", w.agency_a),
            Some(|_| json!({"name": "Órgão A"})),
            [200, 403, 403, 403, 403, 404, 403],
        ),
        row(M::DELETE, format!("/api/v1/agencies/{}", w.agency_a), None, [409, 403, 403, 403, 403, 404, 403]),
        // sites
        row(M::GET, "/api/v1/sites".into(), None, all),
        row(M::GET, format!("/api/v1/sites/{}", w.site_a), None, not_beta),
        row(M::GET, format!("/api/v1/sites/{}", w.site_b), None, not_agency),
        row(
            M::POST,
            "/api/v1/sites".into(),
            Some(
                |w| json!({"agency_id": w.agency_a, "address": format!("Rua {}", next()), "municipality_ibge": 3106200, "area": "capital"}),
            ),
            [201, 403, 201, 403, 201, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/sites".into(),
            Some(
                |w| json!({"agency_id": w.agency_b, "address": "Rua B", "municipality_ibge": 3106200, "area": "capital"}),
            ),
            [201, 403, 201, 403, 422, 403, 403],
        ),
        row(
            M::PATCH,
            format!("/api/v1/sites/{}", w.site_b),
            Some(|_| json!({"name": "Sede B"})),
            [200, 403, 200, 403, 404, 403, 403],
        ),
        row(
            M::PATCH,
            format!("/api/v1/sites/{}", w.site_a),
            Some(|_| json!({"name": "Sede A"})),
            [200, 403, 200, 403, 200, 404, 403],
        ),
        row(M::DELETE, format!("/api/v1/sites/{}", w.site_a), None, [409, 403, 409, 403, 409, 404, 403]),
        // accesses
        row(M::GET, "/api/v1/accesses".into(), None, all),
        row(M::GET, format!("/api/v1/accesses/{}", w.access_a), None, not_beta),
        row(M::GET, format!("/api/v1/accesses/{}", w.access_b), None, not_agency),
        row(
            M::POST,
            "/api/v1/accesses".into(),
            Some(
                |w| json!({"site_id": w.site_a, "lot_id": w.lot_1a, "bandwidth_mbps": 10, "redundancy": "none", "technology": "terrestrial", "probe_targets": ["10.2.0.1"]}),
            ),
            [201, 403, 201, 403, 403, 403, 403],
        ),
        row(
            M::PATCH,
            format!("/api/v1/accesses/{}", w.access_b),
            Some(|_| json!({"bandwidth_mbps": 10})),
            [200, 403, 200, 403, 404, 403, 403],
        ),
        // import, users, audit
        row(M::GET, "/api/v1/users".into(), None, [200, 403, 403, 403, 403, 403, 403]),
        row(
            M::POST,
            "/api/v1/users".into(),
            Some(|_| json!({"login": format!("u{}", next()), "role": "auditor", "password": "long-enough"})),
            [201, 403, 403, 403, 403, 403, 403],
        ),
        row(M::GET, "/api/v1/audit".into(), None, readers_of_audit),
        row(M::GET, "/api/v1/audit/verify".into(), None, readers_of_audit),
        // incidents: the NOC, the agency (its own accesses) and the operator
        // (its lots, responsibility `operator` only) open them.
        row(M::GET, "/api/v1/incidents".into(), None, all),
        row(M::GET, format!("/api/v1/incidents/{}", c.incident_a), None, not_beta),
        row(M::GET, format!("/api/v1/incidents/{}", c.incident_b), None, not_agency),
        row(
            M::POST,
            "/api/v1/incidents".into(),
            Some(
                |w| json!({"access_id": w.access_a, "started_at": "2026-03-02T08:00:00-03:00", "ended_at": "2026-03-02T09:00:00-03:00", "responsibility": "operator"}),
            ),
            [201, 403, 201, 403, 201, 422, 403],
        ),
        row(
            M::POST,
            "/api/v1/incidents".into(),
            Some(
                |w| json!({"access_id": w.access_b, "started_at": "2026-03-02T08:00:00-03:00", "responsibility": "operator", "source": "monitor"}),
            ),
            [201, 403, 201, 403, 422, 201, 403],
        ),
        row(
            M::POST,
            "/api/v1/incidents".into(),
            Some(
                |w| json!({"access_id": w.access_b, "started_at": "2026-03-02T08:00:00-03:00", "responsibility": "agency"}),
            ),
            [201, 403, 201, 403, 422, 403, 403],
        ),
        row(
            M::PATCH,
            format!("/api/v1/incidents/{}", c.incident_a),
            Some(|_| json!({"notes": "acompanhando"})),
            [200, 403, 200, 403, 200, 404, 403],
        ),
        row(
            M::PATCH,
            format!("/api/v1/incidents/{}", c.incident_b),
            Some(|_| json!({"ticket": "BETA-9"})),
            [200, 403, 200, 403, 404, 200, 403],
        ),
        row(
            M::PATCH,
            format!("/api/v1/incidents/{}", c.incident_b),
            Some(|_| json!({"responsibility": "operator", "reason": "confirmado"})),
            [200, 403, 200, 403, 404, 403, 403],
        ),
        // maintenance windows: the operator and the NOC announce, the NOC
        // decides (a decided window cannot be decided again: 422).
        row(M::GET, "/api/v1/maintenance-windows".into(), None, all),
        row(M::GET, format!("/api/v1/maintenance-windows/{}", c.window_access_a), None, not_beta),
        row(M::GET, format!("/api/v1/maintenance-windows/{}", c.window_lot_6a), None, not_agency),
        row(
            M::POST,
            "/api/v1/maintenance-windows".into(),
            Some(
                |w| json!({"access_id": w.access_a, "starts_at": "2026-03-21T02:00:00-03:00", "ends_at": "2026-03-21T03:00:00-03:00", "description": "troca"}),
            ),
            [201, 403, 201, 403, 403, 422, 403],
        ),
        row(
            M::POST,
            "/api/v1/maintenance-windows".into(),
            Some(
                |w| json!({"lot_id": w.lot_6a, "starts_at": "2026-03-21T02:00:00-03:00", "ends_at": "2026-03-21T03:00:00-03:00", "description": "troca"}),
            ),
            [201, 403, 201, 403, 403, 201, 403],
        ),
        row(
            M::POST,
            format!("/api/v1/maintenance-windows/{}/approve", c.window_lot_6a),
            Some(|_| json!({})),
            [200, 403, 422, 403, 404, 403, 403],
        ),
        row(
            M::POST,
            format!("/api/v1/maintenance-windows/{}/reject", c.window_access_a),
            Some(|_| json!({"reason": "período eleitoral"})),
            [200, 403, 422, 403, 403, 404, 403],
        ),
        // contract rules: public to whoever sees the lot; admin changes them.
        row(M::GET, format!("/api/v1/lots/{}/rules", w.lot_1a), None, not_beta),
        row(M::GET, format!("/api/v1/lots/{}/rules", w.lot_6a), None, all),
        row(
            M::PUT,
            format!("/api/v1/lots/{}/rules", w.lot_6a),
            Some(
                |_| json!({"effective_from": "2026-04-01", "rules": redegov_domain::imr::ImrRules::default()}),
            ),
            [200, 403, 403, 403, 403, 403, 403],
        ),
        // months: results are scoped, never refused; closing and adjustments
        // belong to the contract manager (and admin).
        row(M::GET, "/api/v1/months".into(), None, all),
        row(M::GET, "/api/v1/months/2026-02/preview".into(), None, all),
        row(M::GET, format!("/api/v1/months/2026-02/measurements?lot_id={}", w.lot_6a), None, all),
        row(M::GET, format!("/api/v1/months/2026-02/accesses/{}/explanation", w.access_a), None, not_beta),
        row(M::GET, format!("/api/v1/months/2026-02/accesses/{}/explanation", w.access_b), None, not_agency),
        row(M::GET, "/api/v1/months/2026-02/billing-reports".into(), None, all),
        row(
            M::GET,
            format!("/api/v1/months/2026-02/billing-reports/{}/operator-{}", w.agency_a, w.alfa),
            None,
            not_beta,
        ),
        row(
            M::GET,
            format!(
                "/api/v1/months/2026-02/billing-reports/{}/consortium-{}?format=csv",
                w.agency_b, w.consortium
            ),
            None,
            not_agency,
        ),
        row(M::GET, "/api/v1/months/2026-03/adjustments".into(), None, all),
        row(M::POST, "/api/v1/months/2026-02/close".into(), None, [201, 403, 403, 422, 403, 403, 403]),
        row(
            M::POST,
            "/api/v1/adjustments".into(),
            Some(
                |w| json!({"refers_to": "2026-02", "access_id": w.access_a, "credit_centavos": 100, "reason": "correção"}),
            ),
            [201, 403, 403, 201, 403, 403, 403],
        ),
        // calendar: every role reads it; admin sets it up; admin and the
        // NOC keep holidays (a fresh date per call).
        row(M::GET, "/api/v1/calendar/holidays?year=2027&state=MG".into(), None, all),
        row(M::GET, "/api/v1/calendar/due?start=2026-12-23&days=10&unit=business".into(), None, all),
        row(M::GET, "/api/v1/calendar/settings".into(), None, all),
        row(
            M::PUT,
            "/api/v1/calendar/settings".into(),
            Some(|_| json!({"state": "MG", "carnival": false, "corpus_christi": false})),
            [200, 403, 403, 403, 403, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/calendar/holidays".into(),
            Some(|_| {
                let date = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).expect("date")
                    + chrono::Days::new(u64::from(next()));
                json!({"date": date.to_string(), "name": "Feriado municipal", "municipality_ibge": 3106200})
            }),
            [201, 403, 201, 403, 403, 403, 403],
        ),
        row(M::DELETE, "/api/v1/calendar/holidays/999999".into(), None, [404, 403, 404, 403, 403, 403, 403]),
    ]
}

async fn send(
    t: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    match token {
        Some(tok) => t.call(method, path, tok, body).await,
        None => {
            let mut req = t.client.request(method, format!("{}{path}", t.base_url));
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.expect("request");
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap_or(Value::Null))
        }
    }
}

on_both_backends!(
    every_endpoint_checks_role_and_scope,
    lists_are_scoped,
    deactivation_is_role_checked,
    import_is_role_checked
);

async fn every_endpoint_checks_role_and_scope(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let c = closing_world(&t, &w).await;
    let toks = tokens(&t, &w).await;
    let mut failures = Vec::new();
    for r in rows(&w, &c) {
        let body = r.body.map(|f| f(&w));
        let (status, json) = send(&t, r.method.clone(), &r.path, None, body.clone()).await;
        if status != 401 || json["error"]["code"] != "unauthenticated" {
            failures.push(format!("{} {} without token: {status}", r.method, r.path));
        }
        for (i, token) in toks.0.iter().enumerate() {
            let body = r.body.map(|f| f(&w));
            let (status, json) = send(&t, r.method.clone(), &r.path, Some(token), body).await;
            if status != r.expect[i] {
                failures.push(format!(
                    "{} {} as {}: got {status}, want {} — {json}",
                    r.method, r.path, ROLES[i], r.expect[i]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

async fn lists_are_scoped(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let toks = tokens(&t, &w).await;
    let ids = |v: &Value| -> Vec<i64> {
        v["items"].as_array().expect("items").iter().map(|i| i["id"].as_i64().expect("id")).collect()
    };
    let agency = &toks.0[4];
    let beta = &toks.0[5];
    assert_eq!(ids(&t.get("/api/v1/accesses", agency).await.1), vec![w.access_a]);
    assert_eq!(ids(&t.get("/api/v1/accesses", beta).await.1), vec![w.access_b]);
    assert_eq!(
        ids(&t.get(&format!("/api/v1/sites?agency_id={}", w.agency_b), agency).await.1),
        Vec::<i64>::new()
    );
    assert_eq!(ids(&t.get("/api/v1/agencies", agency).await.1), vec![w.agency_a]);
    assert_eq!(ids(&t.get("/api/v1/agencies", beta).await.1), vec![w.agency_b]);
    assert_eq!(ids(&t.get("/api/v1/operators", beta).await.1), vec![w.beta]);
    assert_eq!(ids(&t.get("/api/v1/lots", beta).await.1), vec![w.lot_6a]);
    assert_eq!(
        ids(&t.get(&format!("/api/v1/accesses?operator_id={}", w.alfa), beta).await.1),
        Vec::<i64>::new()
    );
    let (_, all) = t.get(&format!("/api/v1/accesses?lot={}&page_size=100", w.lot_1a), &w.admin).await;
    assert_eq!((all["total"].as_i64(), ids(&all)), (Some(1), vec![w.access_a]));
}

async fn deactivation_is_role_checked(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let toks = tokens(&t, &w).await;
    let path = format!("/api/v1/accesses/{}", w.access_a);
    for (i, expect) in [(1, 403), (3, 403), (4, 403), (5, 404), (6, 403)] {
        assert_eq!(t.delete(&path, &toks.0[i]).await.0, expect, "as {}", ROLES[i]);
    }
    let (status, json) = t.delete(&path, &toks.0[2]).await;
    assert_eq!((status, json["status"].as_str()), (200, Some("deactivated")));
    let (status, json) = t.delete(&path, &toks.0[0]).await;
    assert_eq!((status, json["status"].as_str()), (200, Some("deactivated")), "DELETE is idempotent");
}

async fn import_is_role_checked(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let toks = tokens(&t, &w).await;
    let csv = |n: u32| {
        format!(
            "name;acronym;cnpj;kind\nÓrgão {n};I{n};{};facultative\n",
            cnpj(&format!("{:08}0001", 80_000_000 + n))
        )
    };
    for (i, token) in toks.0.iter().enumerate() {
        let resp = t
            .client
            .post(format!("{}/api/v1/import/agencies", t.base_url))
            .bearer_auth(token)
            .body(csv(next()))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), if i == 0 { 200 } else { 403 }, "as {}", ROLES[i]);
    }
    // Incidents: whoever may record one, on an access in scope; access A is
    // outside operator Beta's lots, so its file names the access.
    let want = [200, 403, 200, 403, 200, 422, 403];
    for (i, token) in toks.0.iter().enumerate() {
        let csv = format!(
            "access_id;started_at;ended_at;responsibility\n{};2026-03-0{}T08:00:00-03:00;;operator\n",
            w.access_a,
            i + 1
        );
        let resp = t
            .client
            .post(format!("{}/api/v1/import/incidents", t.base_url))
            .bearer_auth(token)
            .body(csv)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        assert_eq!(status, want[i], "incidents as {}: {body}", ROLES[i]);
        if status == 422 {
            assert!(body.contains("access_id"), "{body}");
        }
    }
}

on_both_backends!(orders_check_role_and_scope);

/// Service orders: each endpoint, every role. Order A is agency A's on lot
/// 1A (Alfa alone: outside operator Beta's scope); order B is agency B's on
/// the consortium lot 6A (Beta's, outside agency A's). The transition rows
/// send a blank reason or an unknown item, so no call changes the order:
/// a role that may act gets 422 naming the field, one that may not 403, one
/// that cannot see the order 404.
async fn orders_check_role_and_scope(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let toks = tokens(&t, &w).await;
    let open = |body: Value| {
        let t = &t;
        let admin = w.admin.clone();
        async move {
            let (status, json) = t.post("/api/v1/orders", &admin, body).await;
            assert_eq!(status, 201, "{json}");
            json["id"].as_i64().expect("id")
        }
    };
    let order_a =
        open(json!({"type": "new_access", "site_id": w.site_a, "lot_id": w.lot_1a, "service": "SCM",
                              "bandwidth_mbps": 10, "redundancy": "none", "technology": "terrestrial"}))
        .await;
    let order_b = open(json!({"type": "cpe_config_change", "access_id": w.access_b,
                              "description": "Liberar porta 443"}))
    .await;
    use Method as M;
    let all = [200; 7];
    let not_beta = [200, 200, 200, 200, 200, 404, 200];
    let not_agency = [200, 200, 200, 200, 404, 200, 200];
    let admin_only = [200, 403, 403, 403, 403, 403, 403];
    let rows = vec![
        row(M::GET, "/api/v1/orders".into(), None, all),
        row(M::GET, "/api/v1/orders?late=true&type=new_access&status=submitted".into(), None, all),
        row(M::GET, format!("/api/v1/orders/{order_a}"), None, not_beta),
        row(M::GET, format!("/api/v1/orders/{order_b}"), None, not_agency),
        row(
            M::POST,
            "/api/v1/orders".into(),
            Some(|w| {
                json!({"type": "new_access", "site_id": w.site_a, "lot_id": w.lot_1a, "service": "SCM",
                       "bandwidth_mbps": 10, "redundancy": "none", "technology": "terrestrial", "submit": false})
            }),
            [201, 403, 201, 403, 201, 403, 403],
        ),
        row(
            M::POST,
            format!("/api/v1/orders/{order_a}/transitions"),
            Some(|_| json!({"action": "cancel", "reason": " "})),
            [422, 403, 422, 403, 422, 404, 403],
        ),
        row(
            M::POST,
            format!("/api/v1/orders/{order_b}/transitions"),
            Some(|_| json!({"action": "validate"})),
            [200, 403, 422, 403, 404, 403, 403],
        ),
        row(
            M::POST,
            format!("/api/v1/orders/{order_a}/pending-items/999999/resolve"),
            None,
            [422, 403, 422, 403, 422, 404, 403],
        ),
        row(M::GET, "/api/v1/order-settings".into(), None, all),
        row(
            M::PUT,
            "/api/v1/order-settings".into(),
            Some(|_| serde_json::to_value(redegov_domain::order::OrderSettings::default()).expect("json")),
            admin_only,
        ),
        row(M::GET, "/api/v1/adhesion-policies".into(), None, all),
        row(
            M::PUT,
            "/api/v1/adhesion-policies/municipality".into(),
            Some(|_| {
                serde_json::to_value(redegov_domain::order::AdhesionPolicy::sp_municipality()).expect("json")
            }),
            [200, 200, 403, 403, 403, 403, 403],
        ),
        row(M::GET, format!("/api/v1/agencies/{}/delinquency", w.agency_a), None, not_beta),
        row(
            M::PUT,
            format!("/api/v1/agencies/{}/delinquency", w.agency_b),
            Some(|_| json!({"delinquent": false, "reason": "Regular"})),
            [200, 403, 403, 200, 403, 403, 403],
        ),
    ];
    check(&t, &w, &toks, rows).await;
}

/// Calls every row without a token (401) and as every role, and fails
/// with every mismatch at once.
pub(super) async fn check(t: &TestApp, w: &World, toks: &Tokens, rows: Vec<Row>) {
    let mut failures = Vec::new();
    for r in rows {
        let body = r.body.map(|f| f(w));
        let (status, _) = send(t, r.method.clone(), &r.path, None, body).await;
        if status != 401 {
            failures.push(format!("{} {} without token: {status}", r.method, r.path));
        }
        for (i, token) in toks.0.iter().enumerate() {
            let body = r.body.map(|f| f(w));
            let (status, json) = send(t, r.method.clone(), &r.path, Some(token), body).await;
            if status != r.expect[i] {
                failures.push(format!(
                    "{} {} as {}: got {status}, want {} — {json}",
                    r.method, r.path, ROLES[i], r.expect[i]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

on_both_backends!(monitoring_checks_role_and_scope);

/// Monitoring: alerts may be sent by the NOC's tokens only; the overview
/// and an access's history are scoped (access A is agency A's on Alfa's lot,
/// access B agency B's on the consortium lot Beta shares).
async fn monitoring_checks_role_and_scope(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let toks = tokens(&t, &w).await;
    use Method as M;
    let all = [200; 7];
    let noc_only = [200, 403, 200, 403, 403, 403, 403];
    let noc_webhook = [204, 403, 204, 403, 403, 403, 403];
    let rows = vec![
        row(M::GET, "/api/v1/noc".into(), None, all),
        row(
            M::GET,
            format!("/api/v1/accesses/{}/monitoring", w.access_a),
            None,
            [200, 200, 200, 200, 200, 404, 200],
        ),
        row(
            M::GET,
            format!("/api/v1/accesses/{}/monitoring", w.access_b),
            None,
            [200, 200, 200, 200, 404, 200, 200],
        ),
        row(M::GET, "/api/v1/alerts?unmatched=true".into(), None, [200, 403, 200, 403, 403, 403, 200]),
        row(
            M::POST,
            "/api/v1/alerts/alertmanager".into(),
            Some(|_| {
                json!({"version": "4", "status": "firing", "receiver": "redegov", "groupLabels": {},
                       "commonLabels": {}, "commonAnnotations": {}, "externalURL": "", "alerts": []})
            }),
            noc_only,
        ),
        row(
            M::POST,
            "/api/v1/alerts/zabbix".into(),
            Some(|_| {
                json!({"event_id": next().to_string(), "status": "problem",
                       "started_at": "2026-03-10T09:00:00-03:00", "name": "ICMP", "address": "203.0.113.7"})
            }),
            noc_only,
        ),
        row(M::GET, "/api/v1/monitor-settings".into(), None, all),
        row(M::PUT, "/api/v1/monitor-settings".into(), Some(|_| json!({"down_after": 3})), noc_only),
        row(
            M::PUT,
            format!("/api/v1/operators/{}/webhook", w.alfa),
            Some(|_| json!({"url": "https://alfa.example/hooks/redegov", "secret": "0123456789abcdef"})),
            noc_webhook,
        ),
        row(M::DELETE, format!("/api/v1/operators/{}/webhook", w.alfa), None, noc_webhook),
        row(
            M::PUT,
            format!("/api/v1/accesses/{}/probe", w.access_a),
            Some(|_| json!({"method": "tcp", "port": 443, "interval_ms": 30000})),
            noc_webhook,
        ),
        row(
            M::PUT,
            format!("/api/v1/accesses/{}/probe", w.access_a),
            Some(|_| json!({"method": "tcp"})),
            [422, 403, 422, 403, 403, 403, 403],
        ),
        row(M::DELETE, format!("/api/v1/accesses/{}/probe", w.access_a), None, noc_webhook),
    ];
    check(&t, &w, &toks, rows).await;
}
