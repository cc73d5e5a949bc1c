//! API tests of incidents, maintenance windows, rules and the monthly closing.
//!
//! February 2026 (28 days, 2,419,200 s) is measured by hand: access A (lot
//! 1A, R$ 2.263,80, active all month) and access B (lot 6A of the Alfa/Beta
//! consortium, R$ 2.558,90, redundant, active from the 15th). The test
//! clock stands at 10/03/2026, so February can be closed.

use super::{World, closing_world, world};
use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(
    a_month_end_to_end_through_http,
    bad_incidents_are_named_and_write_nothing,
    windows_need_notice_and_a_decision,
    incidents_move_along_their_life_cycle,
    rules_are_versioned_and_measure_the_month
);

/// The `(verdict, incident, from, to)` of an explanation's entries, times
/// as `HH:MM` local to the 5th of February.
fn trail(explanation: &Value) -> Vec<(String, i64, String, String)> {
    let hhmm = |s: &Value| {
        let utc = chrono::DateTime::parse_from_rfc3339(s.as_str().expect("time")).expect("rfc3339");
        utc.with_timezone(&chrono_tz::America::Sao_Paulo).format("%d %H:%M").to_string()
    };
    explanation["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["verdict"].as_str().expect("verdict").to_string(),
                e["incident_id"].as_i64().expect("incident"),
                hhmm(&e["from"]),
                hhmm(&e["to"]),
            )
        })
        .collect()
}

fn item(month: &Value, access: i64) -> &Value {
    month["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["access_id"] == access)
        .unwrap_or_else(|| panic!("no item for access {access} in {month}"))
}

fn sum(list: &Value, key: &str, field: &str) -> i64 {
    list[key].as_array().expect("array").iter().map(|i| i[field].as_i64().expect("integer")).sum()
}

async fn download(t: &TestApp, path: &str, token: &str) -> (u16, String, String, Vec<u8>) {
    let resp =
        t.client.get(format!("{}{path}", t.base_url)).bearer_auth(token).send().await.expect("request");
    let header =
        |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (status, mime, disposition) =
        (resp.status().as_u16(), header("content-type"), header("content-disposition"));
    (status, mime, disposition, resp.bytes().await.expect("body").to_vec())
}

async fn a_month_end_to_end_through_http(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w: World = world(&t).await;
    let noc = t.token("e.noc", Role::NetworkManager, None, None).await;
    let ugs = t.token("e.ugs", Role::ContractManager, None, None).await;
    let agency_b = t.token("e.agency.b", Role::AgencyManager, Some(w.agency_b), None).await;
    let c = closing_world(&t, &w).await;
    // Access A, 5 Feb: incident A 08–14 (a clock stop 09–10), an overlapping
    // one 12–16, and an approved window 15–16; 10 Feb: 5 h of the agency's.
    let (status, second) = t
        .post(
            "/api/v1/incidents",
            &noc,
            json!({"access_id": w.access_a, "started_at": "2026-02-05T12:00:00-03:00",
                   "ended_at": "2026-02-05T16:00:00-03:00", "responsibility": "operator"}),
        )
        .await;
    assert_eq!(status, 201, "{second}");
    let second = second["id"].as_i64().expect("id");
    let (status, stopped) = t
        .patch(
            &format!("/api/v1/incidents/{}", c.incident_a),
            &noc,
            json!({"clock_stops": [{"from": "2026-02-05T09:00:00-03:00", "to": "2026-02-05T10:00:00-03:00"}]}),
        )
        .await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(
        stopped["clock_stops"],
        json!([{"from": "2026-02-05T12:00:00Z", "to": "2026-02-05T13:00:00Z"}])
    );
    assert_eq!(stopped["repair_seconds"], 5 * 3600, "6 h minus the clock stop");
    let (status, agency_fault) = t
        .post(
            "/api/v1/incidents",
            &noc,
            json!({"access_id": w.access_a, "started_at": "2026-02-10T00:00:00-03:00",
                   "ended_at": "2026-02-10T05:00:00-03:00", "responsibility": "agency", "source": "service_desk"}),
        )
        .await;
    assert_eq!((status, agency_fault["source"].as_str()), (201, Some("service_desk")), "{agency_fault}");
    let agency_fault = agency_fault["id"].as_i64().expect("id");
    let (status, window) = t
        .post(
            "/api/v1/maintenance-windows",
            &noc,
            json!({"access_id": w.access_a, "starts_at": "2026-02-05T15:00:00-03:00",
                   "ends_at": "2026-02-05T16:00:00-03:00", "description": "troca de placa",
                   "announced_at": "2026-02-01T09:00:00-03:00"}),
        )
        .await;
    assert_eq!((status, window["status"].as_str()), (201, Some("proposed")), "{window}");
    let window_id = window["id"].as_i64().expect("id");
    let (status, approved) = t
        .call(reqwest::Method::POST, &format!("/api/v1/maintenance-windows/{window_id}/approve"), &noc, None)
        .await;
    assert_eq!((status, approved["status"].as_str()), (200, Some("approved")), "{approved}");
    // Access B: one link of two down (no credit), then both for an hour (the
    // closing world's incident B, 20 Feb 10–11).
    let (status, json) = t
        .post(
            "/api/v1/incidents",
            &noc,
            json!({"access_id": w.access_b, "probe_target": "10.0.0.2", "started_at": "2026-02-16T10:00:00-03:00",
                   "ended_at": "2026-02-16T12:00:00-03:00", "responsibility": "operator", "source": "monitor"}),
        )
        .await;
    assert_eq!((status, json["probe_target"].as_str()), (201, Some("10.0.0.2")), "{json}");

    // The preview, worked by hand.
    let (status, preview) = t.get("/api/v1/months/2026-02/preview", &w.admin).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!((preview["month"].as_str(), preview["closed"].as_bool()), (Some("2026-02"), Some(false)));
    let a = item(&preview, w.access_a);
    // Down 08–09 and 10–15 (15–16 is maintenance): 6 h = 21,600 s.
    assert_eq!(
        (a["billable_seconds"].as_i64(), a["downtime_seconds"].as_i64()),
        (Some(2_419_200), Some(21_600))
    );
    // credit = 226,380 × 21,600 ÷ 2,419,200 = 2,021.25 → 2,021.
    assert_eq!(
        (a["charge_centavos"].as_i64(), a["credit_centavos"].as_i64(), a["net_centavos"].as_i64()),
        (Some(226_380), Some(2_021), Some(224_359))
    );
    // (2,419,200 − 21,600) ÷ 2,419,200 = 99.107142…%, under Perfil I's 99.5 %.
    assert_eq!(
        (a["availability_percent"].as_str(), a["target_percent"].as_str()),
        (Some("99.1071"), Some("99.5000"))
    );
    let kinds: Vec<(&str, Option<i64>)> = a["breaches"]
        .as_array()
        .expect("breaches")
        .iter()
        .map(|b| (b["kind"].as_str().expect("kind"), b["incident_id"].as_i64()))
        .collect();
    // Incident A took 5 h to repair (over the capital's 4 h); the second, 4 h.
    assert_eq!(kinds, vec![("availability", None), ("repair_time", Some(c.incident_a))], "sorted by kind");
    // 5 % of the charge for the availability breach: 11,319.
    assert_eq!(a["penalty_centavos"], 11_319);
    let b = item(&preview, w.access_b);
    // 14 of 28 days: 127,945; both links down 1 h: 255,890 × 3,600 ÷ 2,419,200 = 380.79 → 381.
    assert_eq!(
        (
            b["billable_seconds"].as_i64(),
            b["downtime_seconds"].as_i64(),
            b["charge_centavos"].as_i64(),
            b["credit_centavos"].as_i64()
        ),
        (Some(1_209_600), Some(3_600), Some(127_945), Some(381))
    );
    assert_eq!(b["availability_percent"], "99.7024");
    assert_eq!(
        preview["totals"],
        json!({"accesses": 2, "charge_centavos": 354_325, "credit_centavos": 2_402, "net_centavos": 351_923, "penalty_centavos": 11_319})
    );
    let lots = preview["lots"].as_array().expect("lots");
    assert_eq!(lots.len(), 2);
    let lot_1a = lots.iter().find(|l| l["lot_id"] == w.lot_1a).expect("lot 1A");
    assert_eq!(
        (
            lot_1a["availability_percent"].as_str(),
            lot_1a["operator_id"].as_i64(),
            lot_1a["breaches"].as_i64()
        ),
        (Some("99.1071"), Some(w.alfa), Some(2))
    );
    let holders = preview["holders"].as_array().expect("holders");
    let consortium = format!("consortium-{}", w.consortium);
    assert!(holders.iter().any(|h| h["holder"] == consortium.as_str() && h["net_centavos"] == 127_945 - 381));
    // Filters narrow the items, the totals follow.
    let (_, only_b) =
        t.get(&format!("/api/v1/months/2026-02/preview?agency_id={}", w.agency_b), &w.admin).await;
    assert_eq!(
        (only_b["items"].as_array().map(Vec::len), only_b["totals"]["accesses"].as_i64()),
        (Some(1), Some(1))
    );
    let (_, mine) = t.get("/api/v1/months/2026-02/measurements", &agency_b).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "an agency sees its own accesses: {mine}");
    let (status, json) = t.get("/api/v1/months/2026-2x/preview", &w.admin).await;
    assert_eq!((status, json["error"]["field"].as_str()), (422, Some("month")), "{json}");

    // The explanation names every interval and its reason.
    let path = format!("/api/v1/months/2026-02/accesses/{}/explanation", w.access_a);
    let (status, why) = t.get(&path, &w.admin).await;
    assert_eq!(status, 200, "{why}");
    let at = |v: &str, id: i64, from: &str, to: &str| (v.to_string(), id, from.to_string(), to.to_string());
    assert_eq!(
        trail(&why),
        vec![
            at("counted", c.incident_a, "05 08:00", "05 09:00"),
            at("clock_stop", c.incident_a, "05 09:00", "05 10:00"),
            at("counted", c.incident_a, "05 10:00", "05 14:00"),
            at("overlap", second, "05 12:00", "05 14:00"),
            at("counted", second, "05 14:00", "05 15:00"),
            at("maintenance", second, "05 15:00", "05 16:00"),
            at("responsibility", agency_fault, "10 00:00", "10 05:00"),
        ]
    );
    let entries = why["entries"].as_array().expect("entries");
    assert_eq!(entries[3]["overlap_with"], c.incident_a);
    assert_eq!(entries[5]["maintenance_id"], window_id);
    assert_eq!(entries[5]["reason"], format!("manutenção programada aprovada #{window_id}"));
    assert_eq!(entries[6]["responsibility"], "agency");
    assert_eq!(why["credit_formula"], "R$ 2.263,80 × 21.600 s ÷ 2.419.200 s = R$ 20,21");
    assert_eq!(
        (why["counted_seconds"].as_i64(), why["credit_capped"].as_bool()),
        (Some(21_600), Some(false))
    );
    assert!(why["closed_line"].is_null(), "February is still open");

    // Closing: the contract manager closes once; the snapshot is the preview.
    let (status, json) = t.post("/api/v1/months/2026-02/close", &noc, json!({})).await;
    assert_eq!(status, 403, "{json}");
    let (status, closing) = t.call(reqwest::Method::POST, "/api/v1/months/2026-02/close", &ugs, None).await;
    assert_eq!(status, 201, "{closing}");
    assert_eq!((closing["accesses"].as_i64(), closing["credit_centavos"].as_i64()), (Some(2), Some(2_402)));
    assert_eq!(closing["inputs_fingerprint"], preview["inputs_fingerprint"]);
    let (status, again) = t.call(reqwest::Method::POST, "/api/v1/months/2026-02/close", &ugs, None).await;
    assert_eq!(
        (status, again["error"]["code"].as_str(), again["error"]["field"].as_str()),
        (422, Some("month_closed"), Some("month"))
    );
    let (status, months) = t.get("/api/v1/months", &w.admin).await;
    assert_eq!((status, months["items"][0]["month"].as_str()), (200, Some("2026-02")));
    let (status, closed) = t.get("/api/v1/months/2026-02/measurements", &w.admin).await;
    assert_eq!((status, closed["closed"].as_bool()), (200, Some(true)));
    assert_eq!(closed["closed_at"], closing["closed_at"]);
    assert_eq!(closed["items"], preview["items"], "the snapshot holds what the preview showed");
    assert_eq!(closed["totals"], preview["totals"]);
    let (_, why) = t.get(&path, &w.admin).await;
    assert_eq!(why["closed_line"]["credit_centavos"], 2_021);

    // Billing reports: the index, then one report per agency × holder.
    let (status, index) = t.get("/api/v1/months/2026-02/billing-reports", &w.admin).await;
    assert_eq!((status, index["total"].as_i64()), (200, Some(2)), "{index}");
    let alfa_path = format!("/api/v1/months/2026-02/billing-reports/{}/operator-{}", w.agency_a, w.alfa);
    assert!(index["items"].as_array().expect("items").iter().any(|i| i["report"] == alfa_path.as_str()));
    let (status, report) = t.get(&alfa_path, &w.admin).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["totals"]["charge_centavos"].as_i64(), Some(sum(&report, "lines", "charge_centavos")));
    assert_eq!(report["totals"]["credit_centavos"].as_i64(), Some(sum(&report, "lines", "credit_centavos")));
    assert_eq!(report["totals"]["net_centavos"], 224_359);
    assert_eq!(report["lines"][0]["availability_percent"], "99.1071");
    let consortium_path =
        format!("/api/v1/months/2026-02/billing-reports/{}/consortium-{}", w.agency_b, w.consortium);
    let (_, split) = t.get(&consortium_path, &agency_b).await;
    // 60/40: charge 76,767 + 51,178; credit 381 → 228.6 + 152.4 → 229 + 152.
    let parts: Vec<(i64, i64, i64)> = split["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| {
            (
                p["charge_centavos"].as_i64().expect("c"),
                p["credit_centavos"].as_i64().expect("c"),
                p["net_centavos"].as_i64().expect("n"),
            )
        })
        .collect();
    assert_eq!(parts, vec![(76_767, 229, 76_538), (51_178, 152, 51_026)]);
    assert_eq!(sum(&split, "parts", "net_centavos"), split["totals"]["net_centavos"].as_i64().expect("net"));
    let (status, json) = t.get(&format!("{alfa_path}?format=doc"), &w.admin).await;
    assert_eq!((status, json["error"]["field"].as_str()), (422, Some("format")));
    let (status, json) =
        t.get(&format!("/api/v1/months/2026-02/billing-reports/{}/vendor-1", w.agency_a), &w.admin).await;
    assert_eq!((status, json["error"]["field"].as_str()), (400, Some("holder")));
    let (status, _) = t
        .get(&consortium_path, &t.token("e.agency.a", Role::AgencyManager, Some(w.agency_a), None).await)
        .await;
    assert_eq!(status, 404, "another agency's report does not exist for agency A");

    // Files: CSV with its totals row, XLSX, PDF.
    let (status, mime, disposition, csv) = download(&t, &format!("{alfa_path}?format=csv"), &w.admin).await;
    assert_eq!((status, mime.as_str()), (200, "text/csv; charset=utf-8"));
    assert_eq!(disposition, "attachment; filename=\"faturamento-2026-02-orgao-a-alfa.csv\"");
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(csv.starts_with("\u{feff}Tipo;Acesso;"), "{csv}");
    let total_row = csv.lines().find(|l| l.starts_with("total;")).expect("totals row");
    assert!(total_row.contains(";2263,80;20,21;0,00;0,00;2243,59;"), "{total_row}");
    let (status, mime, disposition, xlsx) = download(&t, &format!("{alfa_path}?format=xlsx"), &w.admin).await;
    assert_eq!(
        (status, mime.as_str()),
        (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert!(disposition.ends_with("alfa.xlsx\""), "{disposition}");
    assert_eq!(&xlsx[..2], b"PK");
    let (status, mime, disposition, pdf) =
        download(&t, &format!("{consortium_path}?format=pdf"), &w.admin).await;
    assert_eq!((status, mime.as_str()), (200, "application/pdf"));
    assert_eq!(disposition, "attachment; filename=\"faturamento-2026-02-orgao-b-alfa-beta.pdf\"");
    assert_eq!(&pdf[..5], b"%PDF-");

    // A correction of February is an adjustment in March.
    let (status, adj) = t
        .post(
            "/api/v1/adjustments",
            &ugs,
            json!({"refers_to": "2026-02", "access_id": w.access_a, "credit_centavos": 1_250,
                   "reason": "5 h do chamado do órgão eram da operadora"}),
        )
        .await;
    assert_eq!(
        (status, adj["month"].as_str(), adj["refers_to"].as_str()),
        (201, Some("2026-03"), Some("2026-02")),
        "{adj}"
    );
    let (status, json) = t
        .post(
            "/api/v1/adjustments",
            &ugs,
            json!({"refers_to": "2026-03", "access_id": w.access_a, "credit_centavos": 1, "reason": "x"}),
        )
        .await;
    assert_eq!((status, json["error"]["field"].as_str()), (422, Some("refers_to")), "March is open: {json}");
    let (status, list) = t.get("/api/v1/months/2026-03/adjustments", &w.admin).await;
    assert_eq!(
        (status, list["total"].as_i64(), list["items"][0]["credit_centavos"].as_i64()),
        (200, Some(1), Some(1_250))
    );
    let (_, march) = t
        .get(&format!("/api/v1/months/2026-03/billing-reports/{}/operator-{}", w.agency_a, w.alfa), &w.admin)
        .await;
    assert_eq!(march["adjustments"][0]["credit_centavos"], 1_250);
    assert_eq!(march["totals"]["adjustments_centavos"], 1_250);
    assert_eq!(
        march["totals"]["net_centavos"].as_i64(),
        Some(sum(&march, "lines", "net_centavos") - 1_250),
        "the net subtracts the adjustment"
    );
}

async fn bad_incidents_are_named_and_write_nothing(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let c = closing_world(&t, &w).await;
    let ugs = t.token("b.ugs", Role::ContractManager, None, None).await;
    let (status, _) = t.call(reqwest::Method::POST, "/api/v1/months/2026-01/close", &ugs, None).await;
    assert_eq!(status, 201);
    let (_, before) = t.get("/api/v1/incidents", &w.admin).await;
    let (_, audit_before) = t.get("/api/v1/audit?page_size=1", &w.admin).await;
    let incident = |extra: Value| {
        let mut body = json!({"access_id": w.access_a, "started_at": "2026-03-01T08:00:00-03:00",
                              "ended_at": "2026-03-01T09:00:00-03:00", "responsibility": "operator"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    let cases = vec![
        (incident(json!({"ended_at": "2026-03-01T07:00:00-03:00"})), 422, "dates_out_of_order", "ended_at"),
        (incident(json!({"access_id": 9999})), 422, "unknown_reference", "access_id"),
        (
            incident(
                json!({"clock_stops": [{"from": "2026-03-01T08:30:00-03:00", "to": "2026-03-01T10:00:00-03:00"}]}),
            ),
            422,
            "outside_incident",
            "clock_stops[0]",
        ),
        (
            incident(
                json!({"clock_stops": [{"from": "2026-03-01T08:10:00-03:00", "to": "2026-03-01T08:20:00-03:00"},
                                            {"from": "ontem", "to": "2026-03-01T08:50:00-03:00"}]}),
            ),
            400,
            "malformed",
            "clock_stops[1].from",
        ),
        (
            incident(json!({"clock_stops": [{"from": "2026-03-01T08:10:00-03:00"}]})),
            422,
            "required",
            "clock_stops[0].to",
        ),
        (
            incident(
                json!({"started_at": "2026-01-20T08:00:00-03:00", "ended_at": "2026-01-20T09:00:00-03:00"}),
            ),
            422,
            "month_closed",
            "started_at",
        ),
        (
            incident(json!({"started_at": "2026-03-11T08:00:00-03:00", "ended_at": null})),
            422,
            "in_future",
            "started_at",
        ),
        (incident(json!({"started_at": "01/03/2026 8h"})), 400, "malformed", "started_at"),
        (incident(json!({"responsibility": "weather"})), 422, "not_allowed_value", "responsibility"),
        (incident(json!({"source": "pigeon"})), 422, "not_allowed_value", "source"),
        (incident(json!({"probe_target": "10.9.9.9"})), 422, "unknown_reference", "probe_target"),
        (incident(json!({"stauts": "open"})), 400, "malformed_request", "stauts"),
        (
            json!({"access_id": w.access_a, "started_at": "2026-03-01T08:00:00-03:00"}),
            422,
            "required",
            "responsibility",
        ),
    ];
    for (body, status, code, field) in cases {
        let (got, json) = t.post("/api/v1/incidents", &w.admin, body.clone()).await;
        assert_eq!(
            (got, json["error"]["code"].as_str(), json["error"]["field"].as_str()),
            (status, Some(code), Some(field)),
            "POST /api/v1/incidents {body}: {json}"
        );
    }
    // Changes are checked the same way.
    let path = format!("/api/v1/incidents/{}", c.incident_a);
    for (body, code, field) in [
        (json!({"ended_at": "2026-02-05T07:00:00-03:00"}), "dates_out_of_order", "ended_at"),
        (json!({"responsibility": "agency"}), "required", "reason"),
        (json!({"reason": "porque sim"}), "invalid", "reason"),
        (json!({"status": "closed"}), "invalid_transition", "status"),
        (json!({"status": "done"}), "not_allowed_value", "status"),
    ] {
        let (got, json) = t.patch(&path, &w.admin, body.clone()).await;
        assert_eq!(
            (got, json["error"]["code"].as_str(), json["error"]["field"].as_str()),
            (422, Some(code), Some(field)),
            "PATCH {path} {body}: {json}"
        );
    }
    // Filters that cannot be understood are refused, never ignored.
    for (query, field) in [
        ("status=pending", "status"),
        ("source=fax", "source"),
        ("responsibility=nobody", "responsibility"),
        ("agency_id=A", "agency_id"),
        ("open=maybe", "open"),
        ("from=yesterday", "from"),
        ("from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z", "to"),
    ] {
        let (got, json) = t.get(&format!("/api/v1/incidents?{query}"), &w.admin).await;
        assert_eq!((got, json["error"]["field"].as_str()), (422, Some(field)), "?{query}: {json}");
    }
    let (_, after) = t.get("/api/v1/incidents", &w.admin).await;
    assert_eq!(after["total"], before["total"], "nothing was written");
    let (_, audit_after) = t.get("/api/v1/audit?page_size=1", &w.admin).await;
    assert_eq!(audit_after["total"], audit_before["total"], "no audit entry either");
    let (_, unchanged) = t.get(&path, &w.admin).await;
    assert_eq!(
        (unchanged["ended_at"].as_str(), unchanged["responsibility"].as_str()),
        (Some("2026-02-05T17:00:00Z"), Some("operator"))
    );
    // The filters that are understood do filter.
    let (_, open) = t.get("/api/v1/incidents?open=true", &w.admin).await;
    assert_eq!(open["total"], 0);
    let (_, on_a) = t.get(&format!("/api/v1/incidents?access_id={}", w.access_a), &w.admin).await;
    assert_eq!(
        on_a["items"].as_array().map(|i| i.iter().map(|x| x["id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(c.incident_a)])
    );
    let (_, window) = t
        .get("/api/v1/incidents?from=2026-02-20T00:00:00-03:00&to=2026-02-21T00:00:00-03:00", &w.admin)
        .await;
    assert_eq!(window["items"][0]["id"], c.incident_b);
    assert_eq!(window["total"], 1);
}

async fn windows_need_notice_and_a_decision(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let c = closing_world(&t, &w).await;
    let alfa = t.token("w.alfa", Role::Operator, None, Some(w.alfa)).await;
    let noc = t.token("w.noc", Role::NetworkManager, None, None).await;
    let (_, before) = t.get("/api/v1/maintenance-windows", &w.admin).await;
    let window = |starts: &str, ends: &str| json!({"access_id": w.access_a, "starts_at": starts, "ends_at": ends, "description": "troca de placa"});
    // Now is 10/03 12:00; 24 h ahead is less than the 48 h notice.
    let (status, json) = t
        .post(
            "/api/v1/maintenance-windows",
            &alfa,
            window("2026-03-11T12:00:00-03:00", "2026-03-11T14:00:00-03:00"),
        )
        .await;
    assert_eq!(
        (status, json["error"]["code"].as_str(), json["error"]["field"].as_str()),
        (422, Some("notice_too_short"), Some("starts_at")),
        "{json}"
    );
    assert!(json["error"]["message"].as_str().is_some_and(|m| m.contains("48")), "{json}");
    for (body, status, code, field) in [
        (
            json!({"starts_at": "2026-03-20T02:00:00-03:00", "ends_at": "2026-03-20T03:00:00-03:00", "description": "x"}),
            422,
            "required",
            "access_id",
        ),
        (
            json!({"access_id": w.access_a, "lot_id": w.lot_1a, "starts_at": "2026-03-20T02:00:00-03:00", "ends_at": "2026-03-20T03:00:00-03:00", "description": "x"}),
            422,
            "invalid",
            "lot_id",
        ),
        (
            window("2026-03-20T04:00:00-03:00", "2026-03-20T02:00:00-03:00"),
            422,
            "dates_out_of_order",
            "ends_at",
        ),
        (window("2026-03-20", "2026-03-20T02:00:00-03:00"), 400, "malformed", "starts_at"),
        (
            json!({"access_id": w.access_a, "starts_at": "2026-03-20T02:00:00-03:00", "ends_at": "2026-03-20T03:00:00-03:00"}),
            422,
            "required",
            "description",
        ),
    ] {
        let (got, json) = t.post("/api/v1/maintenance-windows", &alfa, body.clone()).await;
        assert_eq!(
            (got, json["error"]["code"].as_str(), json["error"]["field"].as_str()),
            (status, Some(code), Some(field)),
            "{body}: {json}"
        );
    }
    // Only the admin and the NOC may backdate an announcement.
    let mut backdated = window("2026-03-05T02:00:00-03:00", "2026-03-05T03:00:00-03:00");
    backdated["announced_at"] = json!("2026-03-01T00:00:00-03:00");
    assert_eq!(t.post("/api/v1/maintenance-windows", &alfa, backdated).await.0, 403);
    let (_, after) = t.get("/api/v1/maintenance-windows", &w.admin).await;
    assert_eq!(after["total"], before["total"], "nothing was written");

    let (status, proposed) = t
        .post(
            "/api/v1/maintenance-windows",
            &alfa,
            window("2026-03-13T02:00:00-03:00", "2026-03-13T04:00:00-03:00"),
        )
        .await;
    assert_eq!(
        (status, proposed["status"].as_str(), proposed["access_id"].as_i64()),
        (201, Some("proposed"), Some(w.access_a)),
        "{proposed}"
    );
    let id = proposed["id"].as_i64().expect("id");
    assert_eq!(t.post(&format!("/api/v1/maintenance-windows/{id}/approve"), &alfa, json!({})).await.0, 403);
    let (status, json) = t.post(&format!("/api/v1/maintenance-windows/{id}/reject"), &noc, json!({})).await;
    assert_eq!(
        (status, json["error"]["field"].as_str()),
        (422, Some("reason")),
        "a rejection needs a reason"
    );
    let (status, rejected) = t
        .post(
            &format!("/api/v1/maintenance-windows/{id}/reject"),
            &noc,
            json!({"reason": "período eleitoral"}),
        )
        .await;
    assert_eq!(
        (status, rejected["status"].as_str(), rejected["decision_reason"].as_str()),
        (200, Some("rejected"), Some("período eleitoral"))
    );
    let (status, json) =
        t.post(&format!("/api/v1/maintenance-windows/{id}/approve"), &noc, json!({"reason": "ok"})).await;
    assert_eq!((status, json["error"]["code"].as_str()), (422, Some("invalid_transition")));
    let (_, listed) = t.get("/api/v1/maintenance-windows?status=rejected", &w.admin).await;
    assert_eq!((listed["total"].as_i64(), listed["items"][0]["id"].as_i64()), (Some(1), Some(id)));
    let (_, by_lot) = t.get(&format!("/api/v1/maintenance-windows?lot_id={}", w.lot_6a), &w.admin).await;
    assert_eq!(by_lot["items"][0]["id"], c.window_lot_6a);
    let (status, json) = t.get("/api/v1/maintenance-windows?status=maybe", &w.admin).await;
    assert_eq!((status, json["error"]["field"].as_str()), (422, Some("status")));
    let (status, got) = t.get(&format!("/api/v1/maintenance-windows/{}", c.window_access_a), &alfa).await;
    assert_eq!((status, got["starts_at"].as_str()), (200, Some("2026-03-20T05:00:00Z")));
}

async fn incidents_move_along_their_life_cycle(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let noc = t.token("l.noc", Role::NetworkManager, None, None).await;
    let alfa = t.token("l.alfa", Role::Operator, None, Some(w.alfa)).await;
    let agency_a = t.token("l.agency", Role::AgencyManager, Some(w.agency_a), None).await;
    let (status, open) = t
        .post(
            "/api/v1/incidents",
            &agency_a,
            json!({"access_id": w.access_a, "started_at": "2026-03-10T09:00:00-03:00", "responsibility": "operator",
                   "source": "service_desk", "notes": "sem sinal desde as 9h"}),
        )
        .await;
    assert_eq!(status, 201, "{open}");
    assert_eq!(
        (
            open["status"].as_str(),
            open["tmf621_status"].as_str(),
            open["open"].as_bool(),
            open["ended_at"].as_null()
        ),
        (Some("open"), Some("acknowledged"), Some(true), Some(()))
    );
    assert_eq!((open["agency_id"].as_i64(), open["lot_code"].as_str()), (Some(w.agency_a), Some("1A")));
    let path = format!("/api/v1/incidents/{}", open["id"].as_i64().expect("id"));
    let (status, json) = t.patch(&path, &alfa, json!({"status": "with_operator", "ticket": "ALFA-77"})).await;
    assert_eq!(
        (status, json["tmf621_status"].as_str(), json["ticket"].as_str()),
        (200, Some("inProgress"), Some("ALFA-77")),
        "{json}"
    );
    assert_eq!(
        t.patch(&path, &alfa, json!({"status": "confirmed"})).await.0,
        403,
        "the operator does not confirm"
    );
    assert_eq!(
        t.patch(&path, &agency_a, json!({"status": "resolved"})).await.0,
        403,
        "an agency adds notes only"
    );
    let (status, json) =
        t.patch(&path, &alfa, json!({"status": "resolved", "ended_at": "2026-03-10T11:00:00-03:00"})).await;
    assert_eq!(
        (status, json["tmf621_status"].as_str(), json["repair_seconds"].as_i64()),
        (200, Some("resolved"), Some(7_200)),
        "{json}"
    );
    let (status, json) = t.patch(&path, &noc, json!({"status": "confirmed"})).await;
    assert_eq!(
        (status, json["status"].as_str(), json["tmf621_status"].as_str()),
        (200, Some("confirmed"), Some("resolved"))
    );
    let (status, json) =
        t.patch(&path, &noc, json!({"responsibility": "agency", "reason": "CPE desligado pelo órgão"})).await;
    assert_eq!((status, json["responsibility"].as_str()), (200, Some("agency")), "{json}");
    let (_, audit) = t.get("/api/v1/audit?entity=incident&page_size=1", &w.admin).await;
    assert!(
        audit["items"][0].to_string().contains("CPE desligado pelo órgão"),
        "the reason is audited: {audit}"
    );
    let (status, json) = t.patch(&path, &noc, json!({"status": "closed"})).await;
    assert_eq!((status, json["tmf621_status"].as_str()), (200, Some("closed")));
    let (_, listed) =
        t.get("/api/v1/incidents?status=closed&responsibility=agency&source=service_desk", &agency_a).await;
    assert_eq!(listed["total"], 1);
}

async fn rules_are_versioned_and_measure_the_month(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let w = world(&t).await;
    let c = closing_world(&t, &w).await;
    let path = format!("/api/v1/lots/{}/rules", w.lot_1a);
    let (status, listed) = t.get(&path, &w.admin).await;
    assert_eq!((status, listed["total"].as_i64()), (200, Some(0)), "{listed}");
    // From February on, lot 1A asks 99.9 % and counts downtime in whole minutes.
    let mut rules = listed["defaults"].clone();
    let targets = rules["availability_target"].as_array_mut().expect("targets");
    targets[0][1] = json!(999_000);
    rules["granularity_seconds"] = json!(60);
    let (status, stored) = t
        .call(
            reqwest::Method::PUT,
            &path,
            &w.admin,
            Some(json!({"effective_from": "2026-02-01", "rules": rules})),
        )
        .await;
    assert_eq!((status, stored["effective_from"].as_str()), (200, Some("2026-02-01")), "{stored}");
    let (_, listed) = t.get(&path, &w.admin).await;
    assert_eq!(
        (listed["total"].as_i64(), listed["items"][0]["rules"]["granularity_seconds"].as_i64()),
        (Some(1), Some(60))
    );
    let (_, month) =
        t.get(&format!("/api/v1/months/2026-02/preview?access_id={}", w.access_a), &w.admin).await;
    let a = item(&month, w.access_a);
    assert_eq!(
        (a["target_percent"].as_str(), a["rules_id"].as_i64()),
        (Some("99.9000"), stored["id"].as_i64()),
        "{a}"
    );
    assert_eq!(month["rules_version"], format!("#{},default", stored["id"]), "lot 6A keeps the defaults");
    let (_, why) =
        t.get(&format!("/api/v1/months/2026-02/accesses/{}/explanation", w.access_a), &w.admin).await;
    assert_eq!(why["granularity_seconds"], 60);
    assert_eq!(why["entries"][0]["incident_id"], c.incident_a);

    let mut bad = rules.clone();
    bad["granularity_seconds"] = json!(7);
    let ugs = t.token("r.ugs", Role::ContractManager, None, None).await;
    let (_, before) = t.get("/api/v1/audit?page_size=1", &w.admin).await;
    for (body, status, code, field) in [
        (
            json!({"effective_from": "2026-05-01", "rules": bad}),
            422,
            "not_allowed_value",
            "granularity_seconds",
        ),
        (
            json!({"effective_from": "2026-05-01", "rules": {"granularity": 60}}),
            400,
            "malformed_request",
            "rules.granularity",
        ),
        (json!({"effective_from": "maio", "rules": rules.clone()}), 400, "malformed", "effective_from"),
        (json!({"effective_from": "2026-05-01"}), 422, "required", "rules"),
    ] {
        let (got, json) = t.call(reqwest::Method::PUT, &path, &w.admin, Some(body.clone())).await;
        assert_eq!(
            (got, json["error"]["code"].as_str(), json["error"]["field"].as_str()),
            (status, Some(code), Some(field)),
            "PUT {path} {body}: {json}"
        );
    }
    assert_eq!(t.call(reqwest::Method::POST, "/api/v1/months/2026-02/close", &ugs, None).await.0, 201);
    let (status, json) = t
        .call(
            reqwest::Method::PUT,
            &path,
            &w.admin,
            Some(json!({"effective_from": "2026-02-15", "rules": rules})),
        )
        .await;
    assert_eq!((status, json["error"]["code"].as_str()), (422, Some("month_closed")), "{json}");
    let (_, after) = t.get("/api/v1/audit?page_size=1", &w.admin).await;
    assert_eq!(
        after["total"].as_i64(),
        before["total"].as_i64().map(|n| n + 1),
        "only the closing was written"
    );
}
