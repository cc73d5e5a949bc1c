//! The calendar API on both backends: the holidays of 2027 in MG, due dates
//! counted by hand (Lei 9.784/1999, art. 66), bad query parameters as 400s
//! naming the parameter, settings that only admin changes, municipal
//! holidays kept and removed, and the OpenAPI document.

use redegov_domain::role::Role;
use redegov_test_support::{TestApp, TestDb, on_both_backends};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(holidays_and_due_dates, bad_queries_name_the_parameter, settings_and_municipal_holidays);

fn names(list: &Value) -> Vec<&str> {
    list.as_array().expect("a JSON array").iter().map(|h| h["name"].as_str().expect("name")).collect()
}

async fn holidays_and_due_dates(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let auditor = t.token("c.auditor", Role::Auditor, None, None).await;

    let (status, list) = t.get("/api/v1/calendar/holidays?year=2027&state=MG", &auditor).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        names(&list),
        [
            "Confraternização Universal",
            "Sexta-feira Santa",
            "Tiradentes",
            "Dia do Trabalho",
            "Independência do Brasil",
            "Nossa Senhora Aparecida",
            "Finados",
            "Proclamação da República",
            "Dia Nacional de Zumbi e da Consciência Negra",
            "Natal",
        ]
    );
    assert_eq!(list[0], json!({"date": "2027-01-01", "name": "Confraternização Universal"}));
    assert_eq!(list[1]["date"], "2027-03-26", "Good Friday: Easter 2027 is 28 March");
    let (_, sp) = t.get("/api/v1/calendar/holidays?year=2027&state=sp", &auditor).await;
    assert!(names(&sp).contains(&"Revolução Constitucionalista de 1932"), "{sp}");

    // Wed 23/12/2026 + 10 business days: 24, 28, 29, 30, 31 Dec, 4, 5, 6, 7, 8 Jan
    // (25/12 and 1/1 are holidays, weekends are skipped).
    let (status, due) =
        t.get("/api/v1/calendar/due?start=2026-12-23&days=10&unit=business&state=MG", &auditor).await;
    assert_eq!((status, due), (200, json!({"due": "2027-01-08"})));
    // Thu 7/1/2027 + 10 calendar days is Sunday 17/1: due Monday 18/1.
    let (_, due) =
        t.get("/api/v1/calendar/due?start=2027-01-07&days=10&unit=calendar&state=MG", &auditor).await;
    assert_eq!(due, json!({"due": "2027-01-18"}));
    // Ending on a business day stays; 9 calendar days from 23/12/2026 is
    // Friday 1/1 (a holiday), then the weekend.
    let (_, due) = t.get("/api/v1/calendar/due?start=2027-01-07&days=6&unit=calendar", &auditor).await;
    assert_eq!(due, json!({"due": "2027-01-13"}));
    let (_, due) = t.get("/api/v1/calendar/due?start=2026-12-23&days=9&unit=calendar", &auditor).await;
    assert_eq!(due, json!({"due": "2027-01-04"}));
}

async fn bad_queries_name_the_parameter(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let noc = t.token("c.noc", Role::NetworkManager, None, None).await;
    let due = "/api/v1/calendar/due?start=2026-12-23&days=10&unit=business";
    for (path, field, code) in [
        ("/api/v1/calendar/holidays?year=1899".to_string(), "year", "out_of_range"),
        ("/api/v1/calendar/holidays?year=2201&state=MG".into(), "year", "out_of_range"),
        ("/api/v1/calendar/holidays?year=dois%20mil".into(), "year", "malformed"),
        ("/api/v1/calendar/holidays".into(), "year", "required"),
        ("/api/v1/calendar/holidays?year=2027&state=XX".into(), "state", "not_allowed_value"),
        ("/api/v1/calendar/holidays?year=2027&municipality=1".into(), "municipality", "unknown_municipality"),
        ("/api/v1/calendar/holidays?year=2027&municipality=BH".into(), "municipality", "malformed"),
        ("/api/v1/calendar/holidays?year=2027&ano=2027".into(), "ano", "malformed_request"),
        ("/api/v1/calendar/due?start=2026-12-23&days=3651&unit=business".into(), "days", "out_of_range"),
        ("/api/v1/calendar/due?start=2026-12-23&days=-1&unit=business".into(), "days", "out_of_range"),
        ("/api/v1/calendar/due?start=2026-12-23&days=10&unit=weekly".into(), "unit", "not_allowed_value"),
        ("/api/v1/calendar/due?start=2026-12-23&days=10".into(), "unit", "required"),
        ("/api/v1/calendar/due?start=2026-13-01&days=10&unit=business".into(), "start", "malformed"),
        ("/api/v1/calendar/due?start=1800-01-01&days=10&unit=business".into(), "start", "out_of_range"),
        (format!("{due}&state=Minas"), "state", "not_allowed_value"),
        (format!("{due}&municipality=9999999"), "municipality", "unknown_municipality"),
    ] {
        let (status, body) = t.get(&path, &noc).await;
        assert_eq!(
            (status, body["error"]["field"].as_str(), body["error"]["code"].as_str()),
            (400, Some(field), Some(code)),
            "{path}: {body}"
        );
    }
    // Every one of the 27 states is accepted.
    for uf in redegov_domain::calendar::STATES {
        let (status, body) = t.get(&format!("{due}&state={uf}"), &noc).await;
        assert_eq!(status, 200, "{uf}: {body}");
    }
    let resp = t.client.get(format!("{}{due}", t.base_url)).send().await.expect("request");
    assert_eq!(resp.status().as_u16(), 401, "a token is required");
}

async fn settings_and_municipal_holidays(db: TestDb) {
    let t = TestApp::spawn(db).await;
    let admin = t.token("c.admin", Role::Admin, None, None).await;
    let others = [
        t.token("c.committee", Role::Committee, None, None).await,
        t.token("c.noc", Role::NetworkManager, None, None).await,
        t.token("c.ugs", Role::ContractManager, None, None).await,
        t.token("c.auditor", Role::Auditor, None, None).await,
    ];
    let settings = json!({"state": "MG", "carnival": true, "corpus_christi": false});
    for token in &others {
        let (status, body) =
            t.call(Method::PUT, "/api/v1/calendar/settings", token, Some(settings.clone())).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{body}");
        let (status, body) = t.get("/api/v1/calendar/settings", token).await;
        assert_eq!((status, &body["state"], &body["carnival"]), (200, &Value::Null, &json!(false)));
    }
    let (status, body) = t.call(Method::PUT, "/api/v1/calendar/settings", &admin, Some(settings)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["state"], &body["carnival"], &body["corpus_christi"]),
        (&json!("MG"), &json!(true), &json!(false))
    );
    let (status, body) =
        t.call(Method::PUT, "/api/v1/calendar/settings", &admin, Some(json!({"state": "MG"}))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("carnival")), "{body}");
    let (status, body) = t
        .call(
            Method::PUT,
            "/api/v1/calendar/settings",
            &admin,
            Some(json!({"state": "XX", "carnival": true, "corpus_christi": false})),
        )
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("state")), "{body}");
    // The settings' state and Carnival now apply when the query has no state.
    let (_, list) = t.get("/api/v1/calendar/holidays?year=2027", &others[3]).await;
    assert_eq!(list.as_array().map(Vec::len), Some(12), "{list}");
    let (_, due) = t.get("/api/v1/calendar/due?start=2027-02-05&days=1&unit=business", &others[3]).await;
    assert_eq!(due, json!({"due": "2027-02-10"}), "Carnival Monday and Tuesday are skipped");

    // Municipal holidays: the network manager keeps them.
    let noc = &others[1];
    let holiday = json!({"date": "2027-12-08", "name": "Imaculada Conceição", "municipality_ibge": 3106200});
    let (status, body) = t.post("/api/v1/calendar/holidays", &others[2], holiday.clone()).await;
    assert_eq!(status, 403, "{body}");
    let (status, kept) = t.post("/api/v1/calendar/holidays", noc, holiday.clone()).await;
    assert_eq!(status, 201, "{kept}");
    assert_eq!((&kept["date"], &kept["municipality_ibge"]), (&json!("2027-12-08"), &json!(3106200)));
    let (status, body) = t.post("/api/v1/calendar/holidays", noc, holiday).await;
    assert_eq!(
        (status, body["error"]["field"].as_str(), body["error"]["code"].as_str()),
        (422, Some("date"), Some("duplicate"))
    );
    for (body, field, status_want) in [
        (json!({"date": "2027-12-08", "name": ""}), "name", 422),
        (json!({"date": "08-12-2027", "name": "X"}), "date", 400),
        (json!({"name": "X"}), "date", 422),
        (json!({"date": "2027-12-08", "name": "X", "municipality_ibge": 1}), "municipality_ibge", 422),
        (json!({"date": "2027-12-08", "name": "X", "municipio": 1}), "municipio", 400),
    ] {
        let (status, answer) = t.post("/api/v1/calendar/holidays", noc, body.clone()).await;
        assert_eq!(
            (status, answer["error"]["field"].as_str()),
            (status_want, Some(field)),
            "{body}: {answer}"
        );
    }
    let (_, bh) = t.get("/api/v1/calendar/holidays?year=2027&municipality=3106200", noc).await;
    let listed = bh.as_array().expect("array").iter().find(|h| h["date"] == "2027-12-08").cloned();
    assert_eq!(listed, Some(json!({"date": "2027-12-08", "name": "Imaculada Conceição", "id": kept["id"]})));
    let (_, elsewhere) = t.get("/api/v1/calendar/holidays?year=2027", noc).await;
    assert!(!elsewhere.as_array().expect("array").iter().any(|h| h["date"] == "2027-12-08"));
    let (_, due) =
        t.get("/api/v1/calendar/due?start=2027-12-07&days=1&unit=business&municipality=3106200", noc).await;
    assert_eq!(due, json!({"due": "2027-12-09"}));

    let path = format!("/api/v1/calendar/holidays/{}", kept["id"]);
    assert_eq!(t.delete(&path, &others[3]).await.0, 403);
    assert_eq!(t.delete(&path, noc).await.0, 204);
    assert_eq!(t.delete(&path, &admin).await.0, 404);
    let (_, audit) = t.get("/api/v1/audit?entity=holiday", &admin).await;
    assert_eq!(audit["total"], 2, "created and deleted: {audit}");
    let (_, audit) = t.get("/api/v1/audit?entity=calendar_settings", &admin).await;
    assert_eq!(audit["total"], 1);

    let (_, doc) = t.get("/api/v1/openapi.json", &admin).await;
    for (method, path) in [
        ("get", "/api/v1/calendar/holidays"),
        ("post", "/api/v1/calendar/holidays"),
        ("delete", "/api/v1/calendar/holidays/{id}"),
        ("get", "/api/v1/calendar/due"),
        ("get", "/api/v1/calendar/settings"),
        ("put", "/api/v1/calendar/settings"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} missing from the OpenAPI document");
    }
    for schema in [
        "CalendarHolidayOut",
        "DueOut",
        "CalendarSettingsIn",
        "CalendarSettingsOut",
        "HolidayIn",
        "HolidayRecordOut",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} missing");
    }
}
