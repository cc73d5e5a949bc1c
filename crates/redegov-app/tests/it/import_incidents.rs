//! CSV import of incidents on both backends: a clean file is written whole
//! (status, clock stops, source, audit), and a file with one bad row writes
//! nothing and names the row's line and field — for each rule the single
//! `create_incident` enforces, through the same validation.

use super::{actor, draft, world};
use redegov_app::import::ImportKind;
use redegov_app::{Actor, App, AppError, AuditFilter, IncidentFilter, Page};
use redegov_domain::ids::{AccessId, OperatorId};
use redegov_domain::incident::{IncidentSource, IncidentStatus, Responsibility};
use redegov_domain::measure::{Month, Span};
use redegov_domain::role::{Role, Scope};
use redegov_domain::time::parse_instant;
use redegov_test_support::{FakeClock, TestDb, on_both_backends};
use std::sync::atomic::{AtomicUsize, Ordering};

const HEADER: &str =
    "access_id;probe_target;started_at;ended_at;responsibility;cause;ticket;clock_stops;notes;source";

fn epoch(s: &str) -> i64 {
    parse_instant("t", s).expect("instant").timestamp()
}

/// An app on 2026-11-05 with September closed; `a1` (one link, 10.0.0.1)
/// in lot 1A, `a2` (two links, 10.0.0.2 and 10.0.0.3) in lot 6A, and the
/// operator Beta (a member of 6A's consortium only).
async fn setup(db: &TestDb) -> (App, AccessId, AccessId, OperatorId) {
    let app = App::new(db.store().await, FakeClock::at("2026-11-05T12:00:00-03:00"));
    let w = world(&app).await;
    let sys = Actor::system();
    let mut d = draft(w.site_a, w.lot_1a, &["10.0.0.1"]);
    d.activated_at = Some(parse_instant("t", "2026-01-01T00:00").expect("instant"));
    let a1 = app.create_access(&sys, d).await.expect("access a1");
    let mut d = draft(w.site_b, w.lot_6a, &["10.0.0.2", "10.0.0.3"]);
    d.activated_at = Some(parse_instant("t", "2026-01-01T00:00").expect("instant"));
    let a2 = app.create_access(&sys, d).await.expect("access a2");
    app.close_month(&sys, Month { year: 2026, month: 9 }, &|_, _, _| {}).await.expect("close September");
    (app, a1.id, a2.id, w.beta)
}

async fn incident_count(app: &App) -> i64 {
    app.list_incidents(&Actor::system(), IncidentFilter::default(), Page::default())
        .await
        .expect("list")
        .total
}

async fn audit_count(app: &App) -> i64 {
    app.list_audit(&Actor::system(), &AuditFilter::default(), Page::default()).await.expect("audit").total
}

on_both_backends!(a_clean_incident_file_is_imported_whole, one_bad_incident_row_writes_nothing);

async fn a_clean_incident_file_is_imported_whole(db: TestDb) {
    let (app, a1, a2, _) = setup(&db).await;
    let sys = Actor::system();
    let file = format!(
        "{HEADER}\n\
         {a1};;2026-10-03T08:00:00-03:00;2026-10-03T12:00:00-03:00;operator;fibra rompida;OP-1;\
         \"2026-10-03T09:00:00-03:00/2026-10-03T10:00:00-03:00;2026-10-03T10:30:00-03:00/2026-10-03T11:00:00-03:00\";;\n\
         AC-{a2:06};10.0.0.3;2026-10-04T08:00:00-03:00;2026-10-04T09:00:00-03:00;agency;sem energia;;;;service_desk\n\
         {a1};;2026-11-04T08:00:00-03:00;;operator;;OP-3;;ainda aberto;monitor\n",
        a1 = a1.0,
        a2 = a2.0
    );
    let done = AtomicUsize::new(0);
    let report = app
        .import_csv(&sys, ImportKind::Incidents, file.as_bytes(), &|d, _| done.store(d, Ordering::Relaxed))
        .await
        .expect("imported");
    assert_eq!(report.rows, 3);
    assert_eq!(done.load(Ordering::Relaxed), 3, "progress reached the end");
    let mut listed =
        app.list_incidents(&sys, IncidentFilter::default(), Page::default()).await.expect("list").items;
    listed.sort_by_key(|r| r.incident.started_at);
    let [first, second, open] = &listed[..] else { panic!("three incidents, got {listed:?}") };
    let first = &first.incident;
    assert_eq!(
        (first.access_id, first.status, first.source),
        (a1, IncidentStatus::Resolved, IncidentSource::Manual)
    );
    assert_eq!(
        first.clock_stops,
        vec![
            Span::new(epoch("2026-10-03T09:00:00-03:00"), epoch("2026-10-03T10:00:00-03:00")),
            Span::new(epoch("2026-10-03T10:30:00-03:00"), epoch("2026-10-03T11:00:00-03:00")),
        ]
    );
    assert_eq!((first.cause.as_str(), first.ticket.as_str()), ("fibra rompida", "OP-1"));
    let second = &second.incident;
    assert_eq!(second.access_id, a2, "the designation AC-000123 names the access");
    assert_eq!(second.probe_target.map(|t| t.to_string()).as_deref(), Some("10.0.0.3"));
    assert_eq!((second.responsibility, second.source), (Responsibility::Agency, IncidentSource::ServiceDesk));
    let open = &open.incident;
    assert_eq!(
        (open.status, open.ended_at, open.notes.as_str()),
        (IncidentStatus::Open, None, "ainda aberto")
    );
    // Each row audited as created, the chain intact.
    let filter = AuditFilter { entity: Some("incident".into()), ..Default::default() };
    assert_eq!(app.list_audit(&sys, &filter, Page::default()).await.expect("audit").total, 3);
    assert_eq!(app.verify_audit_chain(&sys).await.expect("verify").first_broken, None);
}

async fn one_bad_incident_row_writes_nothing(db: TestDb) {
    let (app, a1, a2, beta) = setup(&db).await;
    let sys = Actor::system();
    let (incidents, audit) = (incident_count(&app).await, audit_count(&app).await);
    let good = format!("{};;2026-10-03T08:00:00-03:00;2026-10-03T09:00:00-03:00;operator;;;;;", a1.0);
    let row = |access: AccessId, target: &str, from: &str, to: &str, responsibility: &str, stops: &str| {
        format!("{};{target};{from};{to};{responsibility};;;\"{stops}\";;", access.0)
    };
    let (oct_8, oct_9) = ("2026-10-03T08:00:00-03:00", "2026-10-03T09:00:00-03:00");
    let cases = [
        (row(AccessId(999_999), "", oct_8, oct_9, "operator", ""), "access_id", "unknown_reference"),
        (format!("AC-x;;{oct_8};{oct_9};operator;;;;;"), "access_id", "malformed"),
        (row(a1, "", oct_9, oct_8, "operator", ""), "ended_at", "dates_out_of_order"),
        (
            row(a1, "", oct_8, oct_9, "operator", "2026-10-03T07:00:00-03:00/2026-10-03T08:30:00-03:00"),
            "clock_stops[0]",
            "outside_incident",
        ),
        (row(a1, "", oct_8, oct_9, "operator", "amanhã"), "clock_stops", "malformed"),
        (
            row(a1, "", "2026-09-10T08:00:00-03:00", "2026-09-10T09:00:00-03:00", "operator", ""),
            "started_at",
            "month_closed",
        ),
        (
            row(a1, "", "2026-09-30T23:00:00-03:00", "2026-10-01T01:00:00-03:00", "operator", ""),
            "started_at",
            "month_closed",
        ),
        (row(a1, "10.0.0.2", oct_8, oct_9, "operator", ""), "probe_target", "unknown_reference"),
        (row(a2, "10.0.0", oct_8, oct_9, "operator", ""), "probe_target", "malformed"),
        (row(a1, "", "2026-11-06T08:00:00-03:00", "", "operator", ""), "started_at", "in_future"),
        (
            row(a1, "", "2026-11-05T08:00:00-03:00", "2026-11-05T13:00:00-03:00", "operator", ""),
            "ended_at",
            "in_future",
        ),
        (row(a1, "", oct_8, oct_9, "ninguem", ""), "responsibility", "not_allowed_value"),
        (row(a1, "", "", oct_9, "operator", ""), "started_at", "required"),
        (format!("{};;{oct_8};{oct_9};operator;;;;;fax", a1.0), "source", "not_allowed_value"),
    ];
    for (bad, field, code) in cases {
        let file = format!("{HEADER}\n{good}\n{bad}\n");
        let err = app
            .import_csv(&sys, ImportKind::Incidents, file.as_bytes(), &|_, _| {})
            .await
            .expect_err(&format!("{bad} refused"));
        let AppError::Rejected(problems) = err else {
            panic!("expected a rejected file for {bad}, got {err:?}")
        };
        let found: Vec<(usize, &str, &str)> =
            problems.iter().map(|p| (p.line, p.column.as_str(), p.rule.code())).collect();
        assert_eq!(found, vec![(3, field, code)], "{bad}");
        assert!(
            problems[0].to_string().starts_with(&format!("linha 3, coluna {field}: ")),
            "{}",
            problems[0]
        );
    }
    // Every problem of a file at once, each on its line.
    let file = format!(
        "{HEADER}\n{}\n{good}\n{}\n",
        row(a1, "", oct_9, oct_8, "operator", ""),
        row(a1, "9.9.9.9", oct_8, oct_9, "operator", "")
    );
    let Err(AppError::Rejected(problems)) =
        app.import_csv(&sys, ImportKind::Incidents, file.as_bytes(), &|_, _| {}).await
    else {
        panic!("expected a rejected file")
    };
    let found: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.column.as_str())).collect();
    assert_eq!(found, vec![(2, "ended_at"), (4, "probe_target")]);
    assert_eq!(incident_count(&app).await, incidents, "nothing written");
    assert_eq!(audit_count(&app).await, audit, "nothing audited");

    // Scope, as in the single create: Beta (consortium lot 6A only) does not
    // see a1, and an operator may not classify another responsibility.
    let beta = actor(Role::Operator, Scope::Operator(beta));
    let file = format!("{HEADER}\n{good}\n");
    let Err(AppError::Rejected(problems)) =
        app.import_csv(&beta, ImportKind::Incidents, file.as_bytes(), &|_, _| {}).await
    else {
        panic!("a1 is outside Beta's scope")
    };
    assert_eq!((problems[0].line, problems[0].column.as_str()), (2, "access_id"));
    let file = format!("{HEADER}\n{}\n", row(a2, "", oct_8, oct_9, "agency", ""));
    let refused = app.import_csv(&beta, ImportKind::Incidents, file.as_bytes(), &|_, _| {}).await;
    assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");
    let auditor = actor(Role::Auditor, Scope::All);
    let refused = app.import_csv(&auditor, ImportKind::Incidents, file.as_bytes(), &|_, _| {}).await;
    assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");
    // A missing required column is named on the header line.
    let refused =
        app.import_csv(&sys, ImportKind::Incidents, b"access_id;started_at\n1;x\n", &|_, _| {}).await;
    assert!(
        matches!(refused, Err(AppError::Rejected(ref p)) if p[0].line == 1 && p[0].column == "responsibility"),
        "{refused:?}"
    );
    assert_eq!(incident_count(&app).await, incidents, "nothing written");
}
