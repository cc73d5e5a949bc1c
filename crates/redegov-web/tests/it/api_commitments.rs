//! Commitments and the contract balance over HTTP, on both backends: the
//! role × scope matrix of every endpoint, a commitment registered and seen
//! in the balance, bad input named, and the portal page with its exports.

use super::matrix::{check, next, row, tokens};
use super::portal::{browser_client, csrf_of, login, page, submit};
use super::{World, world};
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(commitments_check_role_and_scope, a_commitment_shows_in_the_balance_and_the_portal);

fn commitment(w: &World, agency: i64, lot: i64) -> Value {
    let _ = w;
    json!({"agency_id": agency, "lot_id": lot, "number": format!("2026NE{:06}", next()),
           "fiscal_year": 2026, "amount_centavos": 500_000})
}

/// Roles: admin, committee, noc, ugs, agency_a, operator_beta, auditor.
async fn commitments_check_role_and_scope(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let toks = tokens(&t, &w).await;
    // One commitment of agency B, for the cancel rows.
    let (status, json) = t.post("/api/v1/commitments", &w.admin, commitment(&w, w.agency_b, w.lot_6a)).await;
    assert_eq!(status, 201, "{json}");
    let of_b = json["id"].as_i64().expect("id");
    use Method as M;
    let readers = [200, 200, 403, 200, 200, 403, 200];
    let rows = vec![
        row(M::GET, "/api/v1/commitments".into(), None, readers),
        row(M::GET, "/api/v1/balance?fiscal_year=2026".into(), None, readers),
        row(M::GET, "/api/v1/balance-settings".into(), None, readers),
        // Agency A may register for itself, not for B (422: the agency is unknown to it).
        row(
            M::POST,
            "/api/v1/commitments".into(),
            Some(|w| commitment(w, w.agency_a, w.lot_1a)),
            [201, 403, 403, 201, 201, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/commitments".into(),
            Some(|w| commitment(w, w.agency_b, w.lot_6a)),
            [201, 403, 403, 201, 422, 403, 403],
        ),
        row(
            M::PUT,
            "/api/v1/balance-settings".into(),
            Some(|_| json!({"warn_basis_points": 8_000})),
            [200, 403, 403, 200, 403, 403, 403],
        ),
        row(
            M::PUT,
            format!("/api/v1/lots/{}/ceiling", w.lot_1a),
            Some(|_| json!({"ceiling_centavos": 100_000_000})),
            [204, 403, 403, 204, 403, 403, 403],
        ),
        // Annulling: out of agency A's scope (404); NOC and operator are not readers (403).
        row(
            M::POST,
            format!("/api/v1/commitments/{of_b}/cancel"),
            Some(|_| json!({"reason": "teste"})),
            [200, 403, 403, 409, 404, 403, 403],
        ),
    ];
    check(&t, &w, &toks, rows).await;
}

async fn a_commitment_shows_in_the_balance_and_the_portal(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let agency = t.token("gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    let body = json!({"agency_id": w.agency_a, "lot_id": w.lot_1a, "number": "2026NE000777",
                      "fiscal_year": 2026, "amount_centavos": 123_456, "notes": "custeio"});
    let (status, json) = t.post("/api/v1/commitments", &agency, body.clone()).await;
    assert_eq!(status, 201, "{json}");
    assert_eq!(json["amount_formatted"], "R$ 1.234,56");
    let (status, json) = t.post("/api/v1/commitments", &agency, body).await;
    assert_eq!((status, json["error"]["field"].as_str()), (409, Some("number")), "{json}");
    for (bad, field) in [
        (
            json!({"agency_id": w.agency_a, "lot_id": w.lot_1a, "number": "X", "fiscal_year": 2026, "amount_centavos": -5}),
            "amount_centavos",
        ),
        (
            json!({"agency_id": w.agency_a, "lot_id": w.lot_1a, "number": "X", "fiscal_year": 1900, "amount_centavos": 5}),
            "fiscal_year",
        ),
    ] {
        let (status, json) = t.post("/api/v1/commitments", &agency, bad).await;
        assert_eq!((status, json["error"]["field"].as_str()), (422, Some(field)), "{json}");
    }
    let (status, json) = t.get("/api/v1/balance?fiscal_year=2026", &agency).await;
    assert_eq!(status, 200, "{json}");
    let rows = json["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "agency A sees its own row only: {json}");
    assert_eq!(rows[0]["level"], "agency_lot");
    assert_eq!(rows[0]["committed_centavos"], 123_456);
    assert_eq!(rows[0]["consumed_centavos"], 0, "no month closed yet");
    assert_eq!(rows[0]["status"], "ok");
    let (status, json) = t.get("/api/v1/balance", &agency).await;
    assert_eq!((status, json["error"]["field"].as_str()), (400, Some("fiscal_year")), "{json}");

    // The portal: the balance, the commitment, the exports; a commitment
    // registered through the form; operators refused.
    t.token("ugs.portal", Role::ContractManager, None, None).await;
    t.token("op.portal", Role::Operator, None, Some(w.beta)).await;
    let ugs = browser_client();
    login(&t, &ugs, "ugs.portal").await;
    let (status, html) = page(&t, &ugs, "/empenhos?exercicio=2026").await;
    assert_eq!(status, 200, "{html}");
    for expected in ["Empenhos e saldo contratual", "2026NE000777", "R$ 1.234,56", "Novo empenho", "Regular"]
    {
        assert!(html.contains(expected), "missing {expected:?}");
    }
    let (_, csv) = page(&t, &ugs, "/empenhos?exercicio=2026&formato=csv&lista=empenhos").await;
    assert!(csv.contains("2026NE000777"), "{csv}");
    let (_, csv) = page(&t, &ugs, "/empenhos?exercicio=2026&formato=csv").await;
    assert!(csv.contains("Empenhado") && csv.contains("Órgão"), "{csv}");
    let (_, form) = page(&t, &ugs, "/empenhos/novo").await;
    let csrf = csrf_of(&form);
    let fields = |amount: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("agency_id", w.agency_b.to_string()),
            ("lot_id", w.lot_6a.to_string()),
            ("number", "2026NE000888".to_string()),
            ("fiscal_year", "2026".to_string()),
            ("amount", amount.to_string()),
        ]
    };
    let (status, html) = submit(&t, &ugs, "/empenhos/novo", &fields("dez reais")).await;
    assert_eq!(status, 422, "a bad amount is refused on the form");
    assert!(html.contains("2026NE000888"), "the form keeps what was typed");
    let (status, location) = submit(&t, &ugs, "/empenhos/novo", &fields("2.500,00")).await;
    assert_eq!((status, location.as_str()), (303, "/empenhos?exercicio=2026"));
    let (_, html) = page(&t, &ugs, "/empenhos?exercicio=2026").await;
    assert!(html.contains("2026NE000888") && html.contains("R$ 2.500,00"));
    let operator = browser_client();
    login(&t, &operator, "op.portal").await;
    assert_eq!(page(&t, &operator, "/empenhos").await.0, 403);
}
