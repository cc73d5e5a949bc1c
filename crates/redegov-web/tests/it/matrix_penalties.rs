//! The role × scope matrix of the penalty endpoints: the contract manager
//! and admin run processes, the committee decides, the auditor reads, the
//! operator reads and files only in its own lots' processes (another lot's
//! is 404), and agency and network managers get 403 on every endpoint.

use super::matrix::{check, row, tokens};
use super::world;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use reqwest::Method;
use serde_json::json;

on_both_backends!(penalties_check_role_and_scope);

async fn penalties_check_role_and_scope(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let toks = tokens(&t, &w).await;
    let beta = &toks.0[5];
    let open = |lot: i64| {
        let t = &t;
        let admin = w.admin.clone();
        async move {
            let body = json!({"lot_id": lot, "clause": "7.1", "description": "Relatório atrasado",
                              "proposed_amount_centavos": 10_000, "amount_reason": "Cláusula 7.1"});
            let (status, json) = t.post("/api/v1/penalties", &admin, body).await;
            assert_eq!(status, 201, "{json}");
            json["id"].as_i64().expect("id")
        }
    };
    let notify = |id: i64| {
        let t = &t;
        let admin = w.admin.clone();
        async move {
            let (status, json) = t
                .post(&format!("/api/v1/penalties/{id}/transitions"), &admin, json!({"action": "notify"}))
                .await;
            assert_eq!(status, 200, "{json}");
        }
    };
    let p_1a = open(w.lot_1a).await;
    let p_6a = open(w.lot_6a).await;
    notify(p_6a).await;
    let defended = open(w.lot_6a).await;
    notify(defended).await;
    let (status, json) = t
        .post(
            &format!("/api/v1/penalties/{defended}/defense"),
            beta,
            json!({"text": "Defesa", "attachments": [{"name": "d.txt", "content_type": "text/plain", "data_base64": "aGVsbG8="}]}),
        )
        .await;
    assert_eq!(status, 200, "{json}");
    let attachment = json["attachments"][0]["id"].as_i64().expect("attachment");
    use Method as M;
    // admin, committee, noc, ugs, agency_a, operator_beta, auditor
    let readers = [200, 200, 403, 200, 403, 200, 200];
    let readers_not_beta = [200, 200, 403, 200, 403, 404, 200];
    let runs_1a = [422, 403, 403, 422, 403, 404, 403];
    let files_not_beta = [403, 403, 403, 403, 403, 404, 403];
    let rows = vec![
        row(M::GET, "/api/v1/penalties".into(), None, readers),
        row(M::GET, "/api/v1/penalties?status=opened&lot_id=1".into(), None, readers),
        row(M::GET, format!("/api/v1/penalties/{p_1a}"), None, readers_not_beta),
        row(M::GET, format!("/api/v1/penalties/{p_6a}"), None, readers),
        row(
            M::POST,
            "/api/v1/penalties".into(),
            Some(|w| {
                json!({"lot_id": w.lot_1a, "clause": "9.2", "description": "Outra",
                       "proposed_amount_centavos": 500, "amount_reason": "Cláusula 9.2"})
            }),
            [201, 403, 403, 201, 403, 403, 403],
        ),
        row(
            M::POST,
            format!("/api/v1/penalties/{p_1a}/transitions"),
            Some(|_| json!({"action": "amend", "amount_centavos": 5, "reason": " "})),
            runs_1a,
        ),
        row(
            M::POST,
            format!("/api/v1/penalties/{p_6a}/transitions"),
            Some(|_| json!({"action": "decide", "outcome": "upheld", "grounds": "x"})),
            [422, 422, 403, 422, 403, 403, 403],
        ),
        row(
            M::POST,
            format!("/api/v1/penalties/{p_6a}/defense"),
            Some(|_| json!({"text": " "})),
            [403, 403, 403, 403, 403, 422, 403],
        ),
        row(
            M::POST,
            format!("/api/v1/penalties/{p_1a}/defense"),
            Some(|_| json!({"text": "x"})),
            files_not_beta,
        ),
        row(
            M::POST,
            format!("/api/v1/penalties/{p_1a}/appeal"),
            Some(|_| json!({"text": "x"})),
            files_not_beta,
        ),
        row(
            M::POST,
            format!("/api/v1/penalties/{p_6a}/appeal"),
            Some(|_| json!({"text": "x"})),
            [403, 403, 403, 403, 403, 422, 403],
        ),
        row(M::GET, format!("/api/v1/penalties/{defended}/attachments/{attachment}"), None, readers),
        row(
            M::GET,
            format!("/api/v1/penalties/{p_1a}/attachments/{attachment}"),
            None,
            [404, 404, 403, 404, 403, 404, 404],
        ),
        row(
            M::POST,
            format!("/api/v1/penalties/{p_1a}/apply"),
            Some(|_| json!({"installments": 2, "start_month": "2026-04"})),
            runs_1a,
        ),
        row(
            M::POST,
            format!("/api/v1/penalties/{p_6a}/apply"),
            Some(|_| json!({"installments": 2, "start_month": "2026-04"})),
            [422, 403, 403, 422, 403, 403, 403],
        ),
        row(
            M::POST,
            format!("/api/v1/penalties/{p_1a}/suspend"),
            Some(|_| json!({"reason": "Liminar"})),
            runs_1a,
        ),
        row(M::POST, format!("/api/v1/penalties/{p_1a}/resume"), None, runs_1a),
    ];
    check(&t, &w, &toks, rows).await;
}
