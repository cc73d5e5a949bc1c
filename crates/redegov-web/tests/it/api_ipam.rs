//! The IPAM endpoints over HTTP, on both backends: a pool, a block with its
//! `cidr`, the free list, release; bad input named; the role × scope matrix
//! (pool 1 is the first pool of the test's fresh database); every route in
//! the OpenAPI document.

use super::matrix::{check, next, row, tokens};
use super::portal::{browser_client, csrf_of, login, page, submit};
use super::world;
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use reqwest::Method;
use serde_json::json;

on_both_backends!(pools_and_blocks_over_http, ipam_checks_role_and_scope, the_portal_page);

async fn pools_and_blocks_over_http(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let (status, pool) = t
        .post(
            "/api/v1/ip-pools",
            &w.admin,
            json!({"name": "Intranet", "cidr": "10.128.0.0/12", "visibility": "private"}),
        )
        .await;
    assert_eq!(status, 201, "{pool}");
    assert_eq!((pool["family"].as_str(), pool["free_addresses"].as_str()), (Some("ipv4"), Some("1048576")));
    let id = pool["id"].as_i64().expect("id");
    let (status, block) = t
        .post(
            "/api/v1/ip-blocks",
            &w.admin,
            json!({"agency_id": w.agency_a, "pool_id": id, "prefix_length": 28}),
        )
        .await;
    assert_eq!((status, block["cidr"].as_str()), (201, Some("10.128.0.0/28")), "{block}");
    let (_, second) = t
        .post(
            "/api/v1/ip-blocks",
            &w.admin,
            json!({"agency_id": w.agency_b, "pool_id": id, "prefix_length": 30}),
        )
        .await;
    assert_eq!(second["cidr"], "10.128.0.16/30");
    let (_, list) = t.get(&format!("/api/v1/ip-blocks?agency_id={}", w.agency_a), &w.admin).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let (_, free) = t.get(&format!("/api/v1/ip-pools/{id}/free"), &w.admin).await;
    assert_eq!(free[0]["cidr"], "10.128.0.20/30", "{free}");
    let (_, pools) = t.get("/api/v1/ip-pools", &w.admin).await;
    assert_eq!((pools[0]["blocks"].as_i64(), pools[0]["used_addresses"].as_str()), (Some(2), Some("20")));

    // Bad input, named: a malformed value is a 400, a broken rule a 422.
    for (body, expected, field, code) in [
        (json!({"name": "X", "cidr": "10.130.0.0/16", "visibility": "private"}), 422, "cidr", "overlaps"),
        (json!({"name": "X", "cidr": "10.0.0.1/24", "visibility": "private"}), 400, "cidr", "malformed"),
        (
            json!({"name": "X", "cidr": "192.168.0.0/24", "visibility": "secreto"}),
            422,
            "visibility",
            "not_allowed_value",
        ),
    ] {
        let (status, e) = t.post("/api/v1/ip-pools", &w.admin, body).await;
        assert_eq!(
            (status, e["error"]["field"].as_str(), e["error"]["code"].as_str()),
            (expected, Some(field), Some(code)),
            "{e}"
        );
    }
    let (status, e) = t
        .post(
            "/api/v1/ip-blocks",
            &w.admin,
            json!({"agency_id": w.agency_a, "pool_id": id, "prefix_length": 8}),
        )
        .await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("prefix_length")), "{e}");
    assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains("12")), "names the pool's prefix: {e}");

    // A batch: three /30 one after the other, after the second block.
    let (status, batch) = t
        .post(
            "/api/v1/ip-blocks/batch",
            &w.admin,
            json!({"agency_id": w.agency_b, "pool_id": id, "prefix_length": 30, "count": 3}),
        )
        .await;
    assert_eq!(status, 201, "{batch}");
    let cidrs: Vec<&str> =
        batch.as_array().expect("array").iter().filter_map(|b| b["cidr"].as_str()).collect();
    assert_eq!(cidrs, ["10.128.0.20/30", "10.128.0.24/30", "10.128.0.28/30"]);
    for b in batch.as_array().expect("array") {
        let (status, _) =
            t.call(Method::DELETE, &format!("/api/v1/ip-blocks/{}", b["id"]), &w.admin, None).await;
        assert_eq!(status, 204);
    }

    // Release: the pool is whole again.
    for b in [&block, &second] {
        let (status, _) =
            t.call(Method::DELETE, &format!("/api/v1/ip-blocks/{}", b["id"]), &w.admin, None).await;
        assert_eq!(status, 204);
    }
    let (_, free) = t.get(&format!("/api/v1/ip-pools/{id}/free"), &w.admin).await;
    assert_eq!(free, json!([{"cidr": "10.128.0.0/12", "prefix_length": 12, "addresses": "1048576"}]));

    let (_, doc) = t.get("/api/v1/openapi.json", &w.admin).await;
    for path in [
        "/api/v1/ip-pools",
        "/api/v1/ip-pools/{id}/free",
        "/api/v1/ip-blocks",
        "/api/v1/ip-blocks/batch",
        "/api/v1/ip-blocks/{id}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
}

async fn ipam_checks_role_and_scope(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let toks = tokens(&t, &w).await;
    let (status, pool) = t
        .post(
            "/api/v1/ip-pools",
            &w.admin,
            json!({"name": "P", "cidr": "10.0.0.0/16", "visibility": "private"}),
        )
        .await;
    assert_eq!((status, pool["id"].as_i64()), (201, Some(1)), "{pool}");
    let (_, block) = t
        .post(
            "/api/v1/ip-blocks",
            &w.admin,
            json!({"agency_id": w.agency_b, "pool_id": 1, "prefix_length": 30}),
        )
        .await;
    let block = block["id"].as_i64().expect("block");
    use Method as M;
    let readers = [200, 200, 200, 403, 403, 403, 200];
    let writers = [201, 403, 201, 403, 403, 403, 403];
    let rows = vec![
        row(M::GET, "/api/v1/ip-pools".into(), None, readers),
        row(
            M::POST,
            "/api/v1/ip-pools".into(),
            Some(
                |_| json!({"name": format!("P{}", next()), "cidr": format!("10.{}.0.0/16", next() % 150 + 100), "visibility": "public"}),
            ),
            writers,
        ),
        row(M::GET, "/api/v1/ip-pools/1/free".into(), None, readers),
        // An agency manager reads blocks, its own only (checked in the app's tests).
        row(M::GET, "/api/v1/ip-blocks".into(), None, [200, 200, 200, 403, 200, 403, 200]),
        row(
            M::POST,
            "/api/v1/ip-blocks".into(),
            Some(|w| json!({"agency_id": w.agency_a, "pool_id": 1, "prefix_length": 30})),
            writers,
        ),
        row(
            M::POST,
            "/api/v1/ip-blocks/batch".into(),
            Some(|w| json!({"agency_id": w.agency_a, "pool_id": 1, "prefix_length": 30, "count": 2})),
            writers,
        ),
        row(
            M::PATCH,
            format!("/api/v1/ip-blocks/{block}"),
            Some(|w| json!({"agency_id": w.agency_a})),
            [200, 403, 200, 403, 403, 403, 403],
        ),
        // The admin releases it; for the NOC it is then gone.
        row(M::DELETE, format!("/api/v1/ip-blocks/{block}"), None, [204, 403, 404, 403, 403, 403, 403]),
    ];
    check(&t, &w, &toks, rows).await;
}

async fn the_portal_page(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    t.token("e.noc", Role::NetworkManager, None, None).await;
    t.token("e.agency", Role::AgencyManager, Some(w.agency_a), None).await;
    t.token("e.beta", Role::Operator, None, Some(w.beta)).await;
    let noc = browser_client();
    login(&t, &noc, "e.noc").await;
    let (status, html) = page(&t, &noc, "/enderecos").await;
    assert_eq!(status, 200, "{html}");
    let csrf = csrf_of(&html);
    let pool = |cidr: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("acao", "pool".to_string()),
            ("name", "Intranet".to_string()),
            ("cidr", cidr.to_string()),
            ("visibility", "private".to_string()),
        ]
    };
    let (status, html) = submit(&t, &noc, "/enderecos", &pool("10.0.0.1/24")).await;
    assert_eq!(status, 422);
    assert!(html.contains("pool-erro") && html.contains("bits de host zerados"), "the rule in pt-BR");
    let (status, location) = submit(&t, &noc, "/enderecos", &pool("10.0.0.0/24")).await;
    assert_eq!(status, 303, "{location}");
    let alloc = |prefix: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("acao", "alocar".to_string()),
            ("agency_id", w.agency_a.to_string()),
            ("pool_id", "1".to_string()),
            ("prefix_length", prefix.to_string()),
        ]
    };
    let (status, html) = submit(&t, &noc, "/enderecos", &alloc("20")).await;
    assert_eq!(status, 422);
    assert!(html.contains("alocar-erro") && html.contains("entre 24 e 32"), "the pool's bounds named");
    let (status, _) = submit(&t, &noc, "/enderecos", &alloc("28")).await;
    assert_eq!(status, 303);
    let (_, html) = page(&t, &noc, "/enderecos?pool=1").await;
    for expected in ["10.0.0.0/28", "10.0.0.16/28", "6,25", "Blocos livres de Intranet"] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
    let (_, csv) = page(&t, &noc, "/enderecos?formato=csv&lista=blocos").await;
    assert!(csv.contains("10.0.0.0/28"), "{csv}");
    let agency = browser_client();
    login(&t, &agency, "e.agency").await;
    let (status, html) = page(&t, &agency, "/enderecos").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("10.0.0.0/28")
            && !html.contains("Cadastrar pool")
            && !html.contains("Uso de cada pool")
    );
    let operator = browser_client();
    login(&t, &operator, "e.beta").await;
    assert_eq!(page(&t, &operator, "/enderecos").await.0, 403);
}
