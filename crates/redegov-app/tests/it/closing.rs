//! Incidents, maintenance windows and the monthly closing through the use
//! cases, on both backends: the numbers of a small month worked by hand,
//! the closed month's immutability, adjustments, scope of results, and the
//! billing report's consortium split; breaches listed in one order on both
//! backends, open incidents in a running month, what an adjustment may
//! correct.

use super::{actor, draft, world};
use redegov_app::closing::AdjustmentInput;
use redegov_app::incidents::{IncidentChange, IncidentInput, WindowInput};
use redegov_app::{Actor, App, AppError};
use redegov_domain::ids::*;
use redegov_domain::incident::*;
use redegov_domain::inventory::LotHolder;
use redegov_domain::measure::{Month, Span};
use redegov_domain::money::Money;
use redegov_domain::role::{Role, Scope};
use redegov_domain::time::{Timestamp, parse_instant};
use redegov_store::closing::LineFilter;
use redegov_test_support::{FakeClock, TestDb, on_both_backends};

fn t(s: &str) -> Timestamp {
    parse_instant("t", s).expect("instant")
}

fn incident(access: AccessId, from: &str, to: Option<&str>, r: Responsibility) -> IncidentInput {
    IncidentInput {
        access_id: access,
        probe_target: None,
        started_at: t(from),
        ended_at: to.map(t),
        responsibility: r,
        cause: "fibra rompida".into(),
        ticket: "OP-1".into(),
        clock_stops: vec![],
        notes: String::new(),
        source: IncidentSource::Manual,
    }
}

const OCT: Month = Month { year: 2026, month: 10 };

fn field_rule(e: AppError) -> (String, String) {
    match e {
        AppError::Invalid(f) => (f.field, f.rule.code().to_string()),
        other => panic!("expected a field error, got {other:?}"),
    }
}

on_both_backends!(
    a_month_is_measured_closed_and_never_changes,
    maintenance_needs_notice_and_approval,
    breaches_are_listed_in_one_total_order,
    open_incidents_count_up_to_now_while_the_month_runs,
    an_adjustment_corrects_a_billed_line_in_scope,
);

async fn a_month_is_measured_closed_and_never_changes(db: TestDb) {
    let app = App::new(db.store().await, FakeClock::at("2026-11-05T12:00:00-03:00"));
    let w = world(&app).await;
    let sys = Actor::system();
    let noc = actor(Role::NetworkManager, Scope::All);
    let mut d = draft(w.site_a, w.lot_1a, &["10.0.0.1"]);
    d.activated_at = Some(t("2026-01-01T00:00"));
    let a1 = app.create_access(&sys, d).await.expect("access a");
    let mut d = draft(w.site_b, w.lot_6a, &["10.0.0.2"]);
    d.activated_at = Some(t("2026-10-11T00:00"));
    let a2 = app.create_access(&sys, d).await.expect("access b");
    // R$ 1.000,00 a month; October has 744 h.
    // a1: 6 h operator + 2 h overlapping it + 5 h agency (not counted).
    app.create_incident(
        &noc,
        incident(a1.id, "2026-10-05T08:00", Some("2026-10-05T14:00"), Responsibility::Operator),
    )
    .await
    .expect("incident");
    app.create_incident(
        &noc,
        incident(a1.id, "2026-10-05T12:00", Some("2026-10-05T16:00"), Responsibility::Operator),
    )
    .await
    .expect("overlapping incident");
    let agency_fault = app
        .create_incident(
            &noc,
            incident(a1.id, "2026-10-20T00:00", Some("2026-10-20T05:00"), Responsibility::Agency),
        )
        .await
        .expect("agency incident");
    // a2: active from the 11th (21 of 31 days), one hour down still open in November.
    app.create_incident(&noc, incident(a2.id, "2026-10-31T23:00", None, Responsibility::Operator))
        .await
        .expect("open incident");

    let preview = app.preview_month(&sys, OCT, LineFilter::default()).await.expect("preview");
    assert!(preview.closing.is_none());
    let l1 = preview.lines.iter().find(|l| l.access_id == a1.id).expect("line a1");
    assert_eq!((l1.billable_seconds, l1.downtime_seconds), (744 * 3600, 8 * 3600));
    // credit = 100000 × 8 / 744 = 1075.27 → 1075
    assert_eq!((l1.charge.centavos(), l1.credit.centavos(), l1.net.centavos()), (100_000, 1_075, 98_925));
    let l2 = preview.lines.iter().find(|l| l.access_id == a2.id).expect("line a2");
    assert_eq!((l2.billable_seconds, l2.downtime_seconds), (21 * 86_400, 3600));
    // charge = 100000 × 21/31 = 67741.93 → 67742; credit = 100000 / 744 = 134.41 → 134
    assert_eq!((l2.charge.centavos(), l2.credit.centavos()), (67_742, 134));
    // A repair-time breach: 8 h > the capital's 4 h.
    assert!(preview.breaches.iter().any(|b| b.access_id == a1.id && b.kind == "repair_time"));

    // The explanation names every interval.
    let why = app.explain_access_month(&sys, a1.id, OCT).await.expect("explanation");
    let codes: Vec<&str> = why.explanation.entries.iter().map(|e| e.verdict.code()).collect();
    assert_eq!(codes, vec!["counted", "overlap", "counted", "responsibility"]);
    assert_eq!(why.explanation.credit_formula(), "R$ 1.000,00 × 28.800 s ÷ 2.678.400 s = R$ 10,75");

    // Agency scope sees its own lines only.
    let manager_b = actor(Role::AgencyManager, Scope::Agency(w.agency_b));
    let scoped = app.preview_month(&manager_b, OCT, LineFilter::default()).await.expect("scoped");
    assert_eq!(scoped.lines.iter().map(|l| l.access_id).collect::<Vec<_>>(), vec![a2.id]);
    let beta = actor(Role::Operator, Scope::Operator(w.beta));
    let by_beta = app.preview_month(&beta, OCT, LineFilter::default()).await.expect("operator");
    assert_eq!(
        by_beta.lines.iter().map(|l| l.access_id).collect::<Vec<_>>(),
        vec![a2.id],
        "Beta is in 6A only"
    );

    // Only the contract manager (or admin) closes.
    assert!(matches!(app.close_month(&noc, OCT, &|_, _, _| {}).await, Err(AppError::Forbidden(_))));
    let running =
        app.close_month(&sys, Month { year: 2026, month: 11 }, &|_, _, _| {}).await.expect_err("refused");
    let AppError::Invalid(e) = running else { panic!("a field error: {running:?}") };
    assert_eq!((e.field.as_str(), e.rule.code()), ("month", "month_not_ended"), "November has not ended");
    assert!(e.rule.pt_br().contains("2026-11 ainda não terminou"), "{}", e.rule.pt_br());
    let manager = actor(Role::ContractManager, Scope::All);
    let closing = app.close_month(&manager, OCT, &|_, _, _| {}).await.expect("closed");
    assert_eq!(closing.accesses, 2);
    assert_eq!(closing.credit.centavos(), 1_075 + 134);
    assert_eq!(closing.inputs_fingerprint, preview.inputs_fingerprint);
    assert_eq!(
        field_rule(app.close_month(&manager, OCT, &|_, _, _| {}).await.expect_err("refused")),
        ("month".into(), "month_closed".into())
    );
    let stored = app.month_results(&sys, OCT, LineFilter::default()).await.expect("results");
    assert_eq!(stored.lines, preview.lines, "the snapshot holds what the preview showed");

    // A closed month never changes.
    let late = app
        .create_incident(
            &noc,
            incident(a1.id, "2026-10-25T00:00", Some("2026-10-25T01:00"), Responsibility::Operator),
        )
        .await
        .expect_err("refused");
    assert_eq!(field_rule(late), ("started_at".into(), "month_closed".into()));
    let change = IncidentChange {
        responsibility: Some((Responsibility::Operator, "CPE was fine after all".into())),
        ..Default::default()
    };
    let refused = app.update_incident(&noc, agency_fault.id, change).await.expect_err("refused");
    assert_eq!(field_rule(refused).1, "month_closed");
    let after = app.month_results(&sys, OCT, LineFilter::default()).await.expect("results");
    assert_eq!(after.lines, stored.lines);

    // The correction is an adjustment in an open month.
    let adj = app
        .create_adjustment(
            &manager,
            AdjustmentInput {
                refers_to: OCT,
                access_id: a1.id,
                credit: Money::from_centavos(6_720),
                reason: "5 h do chamado do órgão eram da operadora".into(),
            },
        )
        .await
        .expect("adjustment");
    assert_eq!(adj.month, "2026-11");
    let report = app
        .billing_report(&sys, Month { year: 2026, month: 11 }, w.agency_a, LotHolder::Operator(w.alfa))
        .await
        .expect("november report");
    assert_eq!(report.adjustments.len(), 1);
    assert_eq!(report.totals.adjustments.centavos(), 6_720);

    // October's report for agency B with the consortium: parts add up.
    let report = app
        .billing_report(&manager_b, OCT, w.agency_b, LotHolder::Consortium(ConsortiumId(1)))
        .await
        .expect("report");
    assert!(report.closed);
    assert_eq!(report.lines.len(), 1);
    assert_eq!(report.totals.net.centavos(), 67_742 - 134);
    let parts: Vec<i64> = report.parts.iter().map(|p| p.net.centavos()).collect();
    assert_eq!(parts.iter().sum::<i64>(), report.totals.net.centavos());
    assert_eq!(parts, vec![33_804, 33_804]);
    let index = app.billing_index(&sys, OCT).await.expect("index");
    assert_eq!(index.len(), 2, "one report per agency × holder");
    let index_b = app.billing_index(&manager_b, OCT).await.expect("index");
    assert_eq!(index_b.len(), 1);
    assert_eq!(index_b[0].net, report.totals.net);
    let closings = app.list_closings(&manager_b).await.expect("closings");
    assert_eq!(closings[0].net.centavos(), 67_742 - 134, "scoped totals");
    // Another agency's report is out of scope.
    let other = app.billing_report(&manager_b, OCT, w.agency_a, LotHolder::Operator(w.alfa)).await;
    assert!(matches!(other, Err(AppError::NotFound(_))));
}

async fn maintenance_needs_notice_and_approval(db: TestDb) {
    let clock = FakeClock::at("2026-10-01T09:00:00-03:00");
    let app = App::new(db.store().await, clock.clone());
    let w = world(&app).await;
    let sys = Actor::system();
    let mut d = draft(w.site_a, w.lot_1a, &["10.0.0.1"]);
    d.activated_at = Some(t("2026-01-01T00:00"));
    let a1 = app.create_access(&sys, d).await.expect("access");
    let alfa = actor(Role::Operator, Scope::Operator(w.alfa));
    let beta = actor(Role::Operator, Scope::Operator(w.beta));
    let window = |from: &str, to: &str| WindowInput {
        target: WindowTarget::Access(a1.id),
        starts_at: t(from),
        ends_at: t(to),
        description: "troca de equipamento".into(),
        announced_at: None,
    };
    let short =
        app.propose_window(&alfa, window("2026-10-02T02:00", "2026-10-02T04:00")).await.expect_err("refused");
    assert_eq!(field_rule(short), ("starts_at".into(), "notice_too_short".into()));
    let not_theirs =
        app.propose_window(&beta, window("2026-10-10T02:00", "2026-10-10T04:00")).await.expect_err("refused");
    assert_eq!(field_rule(not_theirs).0, "access_id");
    let proposed =
        app.propose_window(&alfa, window("2026-10-10T02:00", "2026-10-10T04:00")).await.expect("proposed");
    assert_eq!(proposed.status, WindowStatus::Proposed);
    assert!(matches!(app.decide_window(&alfa, proposed.id, true, "").await, Err(AppError::Forbidden(_))));
    let noc = actor(Role::NetworkManager, Scope::All);
    let approved = app.decide_window(&noc, proposed.id, true, "").await.expect("approved");
    assert_eq!(approved.status, WindowStatus::Approved);
    let again = app.decide_window(&noc, proposed.id, false, "late").await.expect_err("refused");
    assert_eq!(field_rule(again).1, "invalid_transition");
    let rejected =
        app.propose_window(&alfa, window("2026-10-12T02:00", "2026-10-12T04:00")).await.expect("p");
    assert_eq!(
        field_rule(app.decide_window(&noc, rejected.id, false, " ").await.expect_err("refused")).0,
        "reason"
    );
    app.decide_window(&noc, rejected.id, false, "período de eleições").await.expect("rejected");

    // History: the NOC records a past window, still subject to the notice rule.
    let mut past = window("2026-09-20T02:00", "2026-09-20T03:00");
    past.announced_at = Some(t("2026-09-10T00:00"));
    assert!(matches!(app.propose_window(&alfa, past.clone()).await, Err(AppError::Forbidden(_))));
    app.propose_window(&noc, past).await.expect("history");

    // Only the approved window is excluded from the downtime.
    clock.set(t("2026-11-02T00:00:00-03:00"));
    let mut down = incident(a1.id, "2026-10-10T00:00", Some("2026-10-10T06:00"), Responsibility::Operator);
    down.clock_stops = vec![Span::new(t("2026-10-10T05:00").timestamp(), t("2026-10-10T06:00").timestamp())];
    app.create_incident(&noc, down).await.expect("incident");
    app.create_incident(
        &noc,
        incident(a1.id, "2026-10-12T02:00", Some("2026-10-12T03:00"), Responsibility::Operator),
    )
    .await
    .expect("incident in the rejected window");
    let results = app.month_results(&sys, OCT, LineFilter::default()).await.expect("results");
    // 6 h − 2 h approved maintenance − 1 h clock stop + 1 h (rejected window counts) = 4 h.
    assert_eq!(results.lines[0].downtime_seconds, 4 * 3600);
    let why = app.explain_access_month(&alfa, a1.id, OCT).await.expect("explanation");
    assert!(why.explanation.entries.iter().any(|e| e.verdict.code() == "maintenance"));
    assert!(why.explanation.entries.iter().any(|e| e.verdict.code() == "clock_stop"));
}

async fn breaches_are_listed_in_one_total_order(db: TestDb) {
    let app = App::new(db.store().await, FakeClock::at("2026-11-05T12:00:00-03:00"));
    let w = world(&app).await;
    let sys = Actor::system();
    let noc = actor(Role::NetworkManager, Scope::All);
    let mut d = draft(w.site_a, w.lot_1a, &["10.0.0.1"]);
    d.activated_at = Some(t("2026-01-01T00:00"));
    let a1 = app.create_access(&sys, d).await.expect("access");
    // Two 6 h operator incidents in the capital (limit 4 h), the later one
    // recorded first, so incident order and start order differ; 12 h down
    // also misses the 99.5 % availability target.
    let later = app
        .create_incident(
            &noc,
            incident(a1.id, "2026-10-20T08:00", Some("2026-10-20T14:00"), Responsibility::Operator),
        )
        .await
        .expect("incident");
    let earlier = app
        .create_incident(
            &noc,
            incident(a1.id, "2026-10-05T08:00", Some("2026-10-05T14:00"), Responsibility::Operator),
        )
        .await
        .expect("incident");
    let expected =
        vec![("availability", None), ("repair_time", Some(later.id)), ("repair_time", Some(earlier.id))];
    let listed = |b: &[redegov_app::ClosingBreach]| -> Vec<(String, Option<IncidentId>)> {
        b.iter().map(|b| (b.kind.clone(), b.incident_id)).collect()
    };
    let expected: Vec<(String, Option<IncidentId>)> =
        expected.into_iter().map(|(k, i)| (k.to_string(), i)).collect();
    let preview = app.preview_month(&sys, OCT, LineFilter::default()).await.expect("preview");
    assert_eq!(listed(&preview.breaches), expected, "computed: by kind, then incident id");
    app.close_month(&sys, OCT, &|_, _, _| {}).await.expect("closed");
    let stored = app.month_results(&sys, OCT, LineFilter::default()).await.expect("stored");
    assert_eq!(listed(&stored.breaches), expected, "stored: the same order (NULL incident first)");
    assert_eq!(stored.breaches, preview.breaches);
    let one = LineFilter { access_id: Some(a1.id), ..Default::default() };
    let filtered = app.month_results(&sys, OCT, one).await.expect("filtered");
    assert_eq!(filtered.breaches, preview.breaches);
}

async fn open_incidents_count_up_to_now_while_the_month_runs(db: TestDb) {
    let clock = FakeClock::at("2026-10-10T12:00:00-03:00");
    let app = App::new(db.store().await, clock.clone());
    let w = world(&app).await;
    let sys = Actor::system();
    let noc = actor(Role::NetworkManager, Scope::All);
    let mut d = draft(w.site_a, w.lot_1a, &["10.0.0.1"]);
    d.activated_at = Some(t("2026-01-01T00:00"));
    let a1 = app.create_access(&sys, d).await.expect("access");
    // Down since two hours ago, still open.
    app.create_incident(&noc, incident(a1.id, "2026-10-10T10:00", None, Responsibility::Operator))
        .await
        .expect("open incident");
    let running = app.preview_month(&sys, OCT, LineFilter::default()).await.expect("preview");
    assert_eq!(running.lines[0].downtime_seconds, 2 * 3600, "up to now, not to the month's end");
    let why = app.explain_access_month(&sys, a1.id, OCT).await.expect("explanation");
    assert_eq!(why.explanation.counted_seconds, 2 * 3600);
    clock.advance(3600);
    let later = app.preview_month(&sys, OCT, LineFilter::default()).await.expect("preview");
    assert_eq!(later.lines[0].downtime_seconds, 3 * 3600);
    assert_ne!(later.inputs_fingerprint, running.inputs_fingerprint, "the cut-off is an input");

    // Once the month has ended, up to its end: 10 Oct 10:00 to 1 Nov 00:00.
    clock.set(t("2026-11-02T09:00:00-03:00"));
    let ended = app.preview_month(&sys, OCT, LineFilter::default()).await.expect("preview");
    assert_eq!(ended.lines[0].downtime_seconds, 21 * 86_400 + 14 * 3600);
    let closing = app.close_month(&sys, OCT, &|_, _, _| {}).await.expect("closed");
    assert_eq!(closing.inputs_fingerprint, ended.inputs_fingerprint);
    let stored = app.month_results(&sys, OCT, LineFilter::default()).await.expect("stored");
    assert_eq!(stored.lines, ended.lines);
}

async fn an_adjustment_corrects_a_billed_line_in_scope(db: TestDb) {
    let app = App::new(db.store().await, FakeClock::at("2026-11-20T12:00:00-03:00"));
    let w = world(&app).await;
    let sys = Actor::system();
    let mut d = draft(w.site_a, w.lot_1a, &["10.0.0.1"]);
    d.activated_at = Some(t("2026-01-01T00:00"));
    let billed = app.create_access(&sys, d).await.expect("access");
    let mut d = draft(w.site_a, w.lot_1a, &["10.0.0.2"]);
    d.activated_at = Some(t("2026-11-15T00:00"));
    let newer = app.create_access(&sys, d).await.expect("access activated in November");
    let manager = actor(Role::ContractManager, Scope::All);
    app.close_month(&manager, OCT, &|_, _, _| {}).await.expect("closed");
    let adjustment = |access_id, refers_to| AdjustmentInput {
        refers_to,
        access_id,
        credit: Money::from_centavos(500),
        reason: "chamado reclassificado".into(),
    };

    // Not billed in October: no line to correct.
    let refused = app.create_adjustment(&manager, adjustment(newer.id, OCT)).await.expect_err("refused");
    let AppError::Invalid(e) = refused else { panic!("a field error: {refused:?}") };
    assert_eq!((e.field.as_str(), e.rule.code()), ("access_id", "not_billable_in_month"));
    assert!(e.rule.pt_br().contains("não foi faturado em 2026-10"), "{}", e.rule.pt_br());
    // A month still open has nothing to correct.
    let november = Month { year: 2026, month: 11 };
    let refused = app.create_adjustment(&manager, adjustment(billed.id, november)).await.expect_err("open");
    let AppError::Invalid(e) = refused else { panic!("a field error: {refused:?}") };
    assert_eq!((e.field.as_str(), e.rule.code()), ("refers_to", "month_not_closed"));
    assert!(e.rule.pt_br().contains("2026-11 ainda não foi fechado"), "{}", e.rule.pt_br());
    // Outside the actor's scope: as unknown as a missing access.
    let elsewhere = actor(Role::ContractManager, Scope::Agency(w.agency_b));
    let refused = app.create_adjustment(&elsewhere, adjustment(billed.id, OCT)).await.expect_err("scope");
    assert_eq!(field_rule(refused), ("access_id".into(), "unknown_reference".into()));
    let missing = app.create_adjustment(&manager, adjustment(AccessId(9_999), OCT)).await.expect_err("none");
    assert_eq!(field_rule(missing), ("access_id".into(), "unknown_reference".into()));
    // The role is checked too.
    let noc = actor(Role::NetworkManager, Scope::All);
    assert!(matches!(
        app.create_adjustment(&noc, adjustment(billed.id, OCT)).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(app.list_adjustments(&sys, november, LineFilter::default()).await.expect("list").is_empty());

    let own = actor(Role::ContractManager, Scope::Agency(w.agency_a));
    let adj = app.create_adjustment(&own, adjustment(billed.id, OCT)).await.expect("adjustment");
    assert_eq!((adj.month.as_str(), adj.refers_to.as_str()), ("2026-11", "2026-10"));
    assert_eq!(app.list_adjustments(&sys, november, LineFilter::default()).await.expect("list"), vec![adj]);
}
