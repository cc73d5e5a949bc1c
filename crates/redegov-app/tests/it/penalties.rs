//! Penalty processes through the use cases, on both backends: a fine from
//! the breaches of a closed month through defense, decision, appeal and
//! final decision to its installments, each discounted by a real closing
//! (split by charge between agencies and by share between consortium
//! members, to the centavo), suspended and resumed, settled; the deadline
//! job on a fake clock (a late defense refused naming its deadline); an
//! installment postponed when its lot had no charge; scope and roles; bad
//! input refused with the field named and nothing written.

use super::{actor, audit_count, draft, world};
use redegov_app::incidents::IncidentInput;
use redegov_app::penalties::{
    AttachmentInput, BreachRef, Filing, PenaltyDetail, PenaltyFilter, PenaltyInput,
};
use redegov_app::{Actor, App, AppError, Page};
use redegov_domain::billing::DeductionKind;
use redegov_domain::ids::*;
use redegov_domain::incident::{IncidentSource, Responsibility};
use redegov_domain::measure::Month;
use redegov_domain::money::Money;
use redegov_domain::penalty::*;
use redegov_domain::role::{Role, Scope};
use redegov_domain::time::{Timestamp, parse_instant};
use redegov_store::deductions::DeductionFilter;
use redegov_test_support::{FakeClock, TestDb, on_both_backends};
use std::sync::Arc;

fn t(s: &str) -> Timestamp {
    parse_instant("t", s).expect("instant")
}

const JAN: Month = Month { year: 2026, month: 1 };
const FEB: Month = Month { year: 2026, month: 2 };
const MAR: Month = Month { year: 2026, month: 3 };
const APR: Month = Month { year: 2026, month: 4 };
const MAY: Month = Month { year: 2026, month: 5 };

fn ugs() -> Actor {
    actor(Role::ContractManager, Scope::All)
}

fn field_rule(e: AppError) -> (String, String) {
    match e {
        AppError::Invalid(f) => (f.field, f.rule.code().to_string()),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn close(app: &App, clock: &FakeClock, month: Month, at: &str) {
    clock.set(t(at));
    app.close_month(&ugs(), month, &|_, _, _| {}).await.expect("closed");
}

fn clause(lot: LotId) -> PenaltyInput {
    PenaltyInput {
        lot_id: Some(lot),
        clause: "Cláusula 7.1 — atraso na entrega do relatório mensal".into(),
        description: "Relatório de janeiro entregue fora do prazo".into(),
        proposed_amount: Some(Money::from_centavos(10_000)),
        amount_reason: "Valor da cláusula 7.1".into(),
        ..PenaltyInput::default()
    }
}

fn actions(d: &PenaltyDetail) -> Vec<&str> {
    d.events.iter().map(|e| e.action.as_str()).collect()
}

/// Two accesses on the consortium lot 6A (agency A's and agency B's), an
/// 8 h operator outage on A's in January (availability and repair-time
/// breaches), January closed.
async fn january(db: &TestDb) -> (App, Arc<FakeClock>, super::World, AccessId, AccessId) {
    let clock = FakeClock::at("2026-01-20T12:00:00-03:00");
    let app = App::new(db.store().await, clock.clone());
    let w = world(&app).await;
    let sys = Actor::system();
    let mut d = draft(w.site_a, w.lot_6a, &["10.0.0.1"]);
    d.activated_at = Some(t("2026-01-01T00:00:00-03:00"));
    let x1 = app.create_access(&sys, d).await.expect("access a").id;
    let mut d = draft(w.site_b, w.lot_6a, &["10.0.0.2"]);
    d.activated_at = Some(t("2026-01-01T00:00:00-03:00"));
    let x2 = app.create_access(&sys, d).await.expect("access b").id;
    let noc = actor(Role::NetworkManager, Scope::All);
    app.create_incident(
        &noc,
        IncidentInput {
            access_id: x1,
            probe_target: None,
            started_at: t("2026-01-10T08:00:00-03:00"),
            ended_at: Some(t("2026-01-10T16:00:00-03:00")),
            responsibility: Responsibility::Operator,
            cause: "fibra rompida".into(),
            ticket: "OP-1".into(),
            clock_stops: vec![],
            notes: String::new(),
            source: IncidentSource::Manual,
        },
    )
    .await
    .expect("incident");
    close(&app, &clock, JAN, "2026-02-03T12:00:00-03:00").await;
    (app, clock, w, x1, x2)
}

on_both_backends!(
    a_fine_runs_from_breaches_to_settlement,
    deadlines_move_processes_and_refuse_late_filings,
    an_installment_waits_for_a_month_with_charge,
    scope_and_roles_are_enforced,
    bad_input_is_refused_and_writes_nothing,
);

async fn a_fine_runs_from_breaches_to_settlement(db: TestDb) {
    let (app, clock, w, x1, _) = january(&db).await;
    super::invoices::user(&app, "ugs.mail", Role::ContractManager, None, None).await;
    let beta = actor(Role::Operator, Scope::Operator(w.beta));
    let committee = actor(Role::Committee, Scope::All);
    let cite = BreachRef {
        month: JAN,
        access_id: x1,
        kind: "availability".into(),
        incident_id: None,
        order_id: None,
    };
    let opened = app
        .open_penalty(
            &ugs(),
            PenaltyInput {
                breaches: vec![cite],
                description: "Indisponibilidade em janeiro".into(),
                ..PenaltyInput::default()
            },
        )
        .await
        .expect("opened");
    let p = &opened.row.penalty;
    // 5 % of the access's R$ 1.000,00: the default availability penalty.
    assert_eq!(
        (p.number.as_str(), p.status, p.computed, p.proposed),
        ("PM-2026/0001", PenaltyStatus::Opened, Money::from_centavos(5_000), Money::from_centavos(5_000))
    );
    assert_eq!(p.lot_id, w.lot_6a, "the breaches' lot");
    assert_eq!(opened.breaches.len(), 1);
    assert!(opened.breaches[0].measured < opened.breaches[0].target, "with its measurement");
    assert_eq!(opened.allowed, vec![PenaltyAction::Amend, PenaltyAction::Notify]);
    let id = p.id;

    let amended = app
        .transition_penalty(
            &ugs(),
            id,
            Command::Amend { amount: Money::from_centavos(4_000), reason: "Atenuante".into() },
        )
        .await
        .expect("amended");
    assert_eq!(
        (amended.row.penalty.proposed.centavos(), amended.row.penalty.amount_reason.as_str()),
        (4_000, "Atenuante")
    );
    let notified = app.transition_penalty(&ugs(), id, Command::Notify).await.expect("notified");
    // Notified on Tuesday 2026-02-03: five business days end on the 10th.
    assert_eq!(notified.row.penalty.defense_due_on, Some("2026-02-10".parse().expect("date")));

    let pdf = b"%PDF-1.4 defesa".to_vec();
    let filing = Filing {
        text: "A falha foi de terceiros".into(),
        attachments: vec![AttachmentInput {
            name: "defesa.pdf".into(),
            content_type: "application/pdf".into(),
            data: pdf.clone(),
        }],
    };
    let defended = app.file_defense(&beta, id, filing).await.expect("defense");
    assert_eq!(defended.row.penalty.status, PenaltyStatus::DefenseFiled);
    let meta = &defended.attachments[0];
    assert_eq!((meta.size_bytes, meta.kind), (pdf.len() as i64, FilingKind::Defense));
    assert_eq!(meta.sha256, redegov_app::penalties::sha256_hex(&pdf));
    let back = app.penalty_attachment(&ugs(), id, meta.id).await.expect("download");
    assert_eq!(back.data, pdf, "the bytes round-trip");

    let decided = app
        .transition_penalty(
            &committee,
            id,
            Command::Decide {
                outcome: Outcome::PartiallyUpheld,
                amount: Some(Money::from_centavos(3_001)),
                grounds: "Em parte".into(),
            },
        )
        .await
        .expect("decided");
    assert_eq!(decided.row.penalty.status, PenaltyStatus::Decided);
    assert!(decided.row.penalty.appeal_due_on.is_some());
    app.file_appeal(&beta, id, Filing { text: "Recorro".into(), attachments: vec![] }).await.expect("appeal");
    let fin = app
        .transition_penalty(
            &ugs(),
            id,
            Command::DecideAppeal { outcome: Outcome::Upheld, amount: None, grounds: "Mantida".into() },
        )
        .await
        .expect("appeal decided");
    assert_eq!(fin.row.penalty.status, PenaltyStatus::Final, "the appeal's decision is final at once");
    assert_eq!(fin.row.penalty.final_amount(), Some(Money::from_centavos(3_001)));
    assert_eq!(actions(&fin)[fin.events.len() - 2..], ["decide_appeal", "finalize"]);

    let e = app.apply_penalty(&ugs(), id, 0, FEB).await.expect_err("0 installments");
    assert_eq!(field_rule(e), ("installments".into(), "out_of_range".into()));
    let e = app.apply_penalty(&ugs(), id, 3, JAN).await.expect_err("closed month");
    assert_eq!(field_rule(e), ("start_month".into(), "month_closed".into()));
    let applied = app.apply_penalty(&ugs(), id, 3, FEB).await.expect("applied");
    let plan: Vec<(u32, &str, i64)> = applied
        .installments
        .iter()
        .map(|i| (i.installment.seq, i.installment.month.as_str(), i.installment.amount.centavos()))
        .collect();
    assert_eq!(
        plan,
        vec![(1, "2026-02", 1_000), (2, "2026-03", 1_000), (3, "2026-04", 1_001)],
        "the last absorbs the rounding"
    );

    close(&app, &clock, FEB, "2026-03-02T12:00:00-03:00").await;
    let after_feb = app.get_penalty(&ugs(), id).await.expect("get");
    let first = &after_feb.installments[0];
    assert_eq!(first.installment.status, InstallmentStatus::Applied);
    // Both agencies were charged R$ 1.000,00 in February: 500 each, and each
    // part split 50/50 between the consortium's members.
    let mut parts: Vec<(i64, i64, i64)> = first
        .parts
        .iter()
        .map(|p| (p.deduction.agency_id.0, p.deduction.operator_id.0, p.deduction.amount.centavos()))
        .collect();
    parts.sort();
    assert_eq!(
        parts,
        vec![
            (w.agency_a.0, w.alfa.0, 250),
            (w.agency_a.0, w.beta.0, 250),
            (w.agency_b.0, w.alfa.0, 250),
            (w.agency_b.0, w.beta.0, 250)
        ]
    );
    assert!(
        first
            .parts
            .iter()
            .all(|p| p.deduction.kind == DeductionKind::Penalty && p.deduction.month == "2026-02")
    );
    assert_eq!(first.parts[0].deduction.description, "Multa PM-2026/0001 — parcela 1 de 3");

    let e = app.suspend_penalty(&ugs(), id, " ").await.expect_err("reason");
    assert_eq!(field_rule(e), ("reason".into(), "required".into()));
    let suspended = app.suspend_penalty(&ugs(), id, "Liminar no processo 123").await.expect("suspended");
    assert_eq!(suspended.row.penalty.status, PenaltyStatus::Suspended);
    close(&app, &clock, MAR, "2026-04-02T12:00:00-03:00").await;
    let during = app.get_penalty(&ugs(), id).await.expect("get");
    assert_eq!(
        during.installments[1].installment.status,
        InstallmentStatus::Pending,
        "not applied while suspended"
    );
    let resumed = app.resume_penalty(&ugs(), id).await.expect("resumed");
    let months: Vec<&str> = resumed.installments.iter().map(|i| i.installment.month.as_str()).collect();
    assert_eq!(months, ["2026-02", "2026-04", "2026-05"], "pending ones from the first open month on");
    close(&app, &clock, APR, "2026-05-04T12:00:00-03:00").await;
    close(&app, &clock, MAY, "2026-06-02T12:00:00-03:00").await;
    let settled = app.get_penalty(&ugs(), id).await.expect("get");
    assert_eq!(settled.row.penalty.status, PenaltyStatus::Settled);
    let mails = super::invoices::mails(&app, "penalty.settled").await;
    assert_eq!(mails.len(), 1, "the closing that settles it e-mails it once");
    assert_eq!(mails[0].subject_ref.as_deref(), Some(format!("penalty:{}", id.0).as_str()));
    assert!(mails[0].subject.contains("foi quitado"), "{}", mails[0].subject);
    for i in &settled.installments {
        let sum: i64 = i.parts.iter().map(|p| p.deduction.amount.centavos()).sum();
        assert_eq!(
            sum,
            i.installment.amount.centavos(),
            "parts of installment {} sum to it",
            i.installment.seq
        );
    }
    let all = app
        .store()
        .read()
        .await
        .expect("tx")
        .deductions(&DeductionFilter { lot_id: Some(w.lot_6a), ..Default::default() })
        .await
        .expect("deductions");
    assert_eq!(
        all.iter().map(|d| d.deduction.amount.centavos()).sum::<i64>(),
        3_001,
        "the whole fine, exactly"
    );
    let timeline = actions(&settled);
    for a in [
        "create",
        "amend",
        "notify",
        "file_defense",
        "decide",
        "file_appeal",
        "decide_appeal",
        "finalize",
        "apply",
        "installment_applied",
        "suspend",
        "resume",
        "settle",
    ] {
        assert!(timeline.contains(&a), "{a} in {timeline:?}");
    }
    assert!(settled.allowed.is_empty());
    assert_eq!(app.verify_audit_chain(&Actor::system()).await.expect("chain").first_broken, None);
}

async fn deadlines_move_processes_and_refuse_late_filings(db: TestDb) {
    let clock = FakeClock::at("2026-03-10T12:00:00-03:00");
    let app = App::new(db.store().await, clock.clone());
    let w = world(&app).await;
    let alfa = actor(Role::Operator, Scope::Operator(w.alfa));
    let id = app.open_penalty(&ugs(), clause(w.lot_1a)).await.expect("opened").row.penalty.id;
    let notified = app.transition_penalty(&ugs(), id, Command::Notify).await.expect("notified");
    let due = notified.row.penalty.defense_due_on.expect("due");
    assert_eq!(due.to_string(), "2026-03-17", "Tue 10 + 5 business days");
    assert_eq!(app.run_penalty_deadlines().await.expect("job"), 0, "nothing due yet");
    // The last day still counts.
    clock.set(t("2026-03-17T23:00:00-03:00"));
    assert_eq!(app.run_penalty_deadlines().await.expect("job"), 0);
    clock.set(t("2026-03-18T08:00:00-03:00"));
    let e = app
        .file_defense(&alfa, id, Filing { text: "Tarde".into(), attachments: vec![] })
        .await
        .expect_err("late");
    match e {
        AppError::Invalid(f) => {
            assert_eq!(f.field, "defense_due_on");
            assert_eq!(f.rule.pt_br(), "o prazo terminou em 17/03/2026");
            assert_eq!(f.rule.en(), "the deadline ended on 2026-03-17");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(app.run_penalty_deadlines().await.expect("job"), 1);
    let missed = app.get_penalty(&ugs(), id).await.expect("get");
    assert_eq!(missed.row.penalty.status, PenaltyStatus::DefenseDeadlineMissed);
    let last = missed.events.last().expect("event");
    assert_eq!((last.login.as_str(), last.action.as_str()), ("system", "miss_defense_deadline"));
    let decided = app
        .transition_penalty(
            &ugs(),
            id,
            Command::Decide { outcome: Outcome::Upheld, amount: None, grounds: "Comprovado".into() },
        )
        .await
        .expect("decided");
    assert_eq!(decided.row.penalty.final_amount(), Some(Money::from_centavos(10_000)));
    let appeal_due = decided.row.penalty.appeal_due_on.expect("window");
    clock.set(t(&format!("{}T12:00:00-03:00", appeal_due)));
    assert_eq!(app.run_penalty_deadlines().await.expect("job"), 0, "window open on its last day");
    clock.advance(86_400);
    let e = app
        .file_appeal(&alfa, id, Filing { text: "Tarde".into(), attachments: vec![] })
        .await
        .expect_err("late");
    assert_eq!(field_rule(e), ("appeal_due_on".into(), "deadline_passed".into()));
    assert_eq!(app.run_penalty_deadlines().await.expect("job"), 1);
    let fin = app.get_penalty(&ugs(), id).await.expect("get");
    assert_eq!(fin.row.penalty.status, PenaltyStatus::Final);
    assert_eq!(fin.allowed, vec![PenaltyAction::Apply]);

    // A dismissed process ends final with nothing to apply.
    let other = app.open_penalty(&ugs(), clause(w.lot_1a)).await.expect("opened").row.penalty.id;
    app.transition_penalty(&ugs(), other, Command::Notify).await.expect("notified");
    app.file_defense(&alfa, other, Filing { text: "Entregamos no prazo".into(), attachments: vec![] })
        .await
        .expect("defense");
    app.transition_penalty(
        &ugs(),
        other,
        Command::Decide { outcome: Outcome::Dismissed, amount: None, grounds: "Procede a defesa".into() },
    )
    .await
    .expect("dismissed");
    let e = app
        .file_appeal(&alfa, other, Filing { text: "x".into(), attachments: vec![] })
        .await
        .expect_err("nothing to appeal");
    assert_eq!(field_rule(e), ("action".into(), "action_not_allowed".into()));
    clock.advance(30 * 86_400);
    assert_eq!(app.run_penalty_deadlines().await.expect("job"), 1);
    let closed = app.get_penalty(&ugs(), other).await.expect("get");
    assert_eq!(
        (closed.row.penalty.status, closed.row.penalty.outcome()),
        (PenaltyStatus::Final, Some(Outcome::Dismissed))
    );
    assert!(closed.allowed.is_empty());
    let e = app.apply_penalty(&ugs(), other, 2, Month { year: 2026, month: 5 }).await.expect_err("dismissed");
    assert_eq!(field_rule(e), ("action".into(), "action_not_allowed".into()));
}

async fn an_installment_waits_for_a_month_with_charge(db: TestDb) {
    let (app, clock, w, _, _) = january(&db).await;
    // Lot 1A has no access at all: nothing to discount its installments from.
    let id = app.open_penalty(&ugs(), clause(w.lot_1a)).await.expect("opened").row.penalty.id;
    app.transition_penalty(&ugs(), id, Command::Notify).await.expect("notified");
    clock.advance(30 * 86_400);
    app.run_penalty_deadlines().await.expect("job");
    app.transition_penalty(
        &ugs(),
        id,
        Command::Decide { outcome: Outcome::Upheld, amount: None, grounds: "x".into() },
    )
    .await
    .expect("decided");
    clock.advance(30 * 86_400);
    app.run_penalty_deadlines().await.expect("job");
    let now = app.now();
    let month =
        Month { year: 2026, month: chrono::Datelike::month(&redegov_domain::time::to_network_date(now)) };
    app.apply_penalty(&ugs(), id, 2, month).await.expect("applied");
    let next = month.next();
    close(&app, &clock, month, &format!("{}-05T12:00:00-03:00", next.next())).await;
    let after = app.get_penalty(&ugs(), id).await.expect("get");
    let months: Vec<String> = after.installments.iter().map(|i| i.installment.month.clone()).collect();
    assert_eq!(months, vec![next.to_string(), next.next().to_string()], "both moved a month on");
    assert_eq!(after.installments[0].installment.postponements, 1);
    assert!(
        after
            .installments
            .iter()
            .all(|i| i.installment.status == InstallmentStatus::Pending && i.parts.is_empty())
    );
    assert!(actions(&after).contains(&"installment_postponed"));
    assert_eq!(after.row.penalty.status, PenaltyStatus::Applied);
}

async fn scope_and_roles_are_enforced(db: TestDb) {
    let (app, _clock, w, x1, _) = january(&db).await;
    let cite = BreachRef {
        month: JAN,
        access_id: x1,
        kind: "availability".into(),
        incident_id: None,
        order_id: None,
    };
    let on_6a = app
        .open_penalty(
            &ugs(),
            PenaltyInput { breaches: vec![cite], description: "6A".into(), ..Default::default() },
        )
        .await
        .expect("6A")
        .row
        .penalty
        .id;
    let on_1a = app.open_penalty(&ugs(), clause(w.lot_1a)).await.expect("1A").row.penalty.id;
    let beta = actor(Role::Operator, Scope::Operator(w.beta));
    let alfa = actor(Role::Operator, Scope::Operator(w.alfa));
    let listed = app.list_penalties(&beta, PenaltyFilter::default(), Page::default()).await.expect("list");
    assert_eq!(listed.items.iter().map(|r| r.penalty.id).collect::<Vec<_>>(), vec![on_6a], "its lots only");
    let asked = PenaltyFilter { operator_id: Some(w.alfa), ..Default::default() };
    assert_eq!(app.list_penalties(&beta, asked, Page::default()).await.expect("list").total, 0);
    assert_eq!(
        app.list_penalties(&alfa, PenaltyFilter::default(), Page::default()).await.expect("l").total,
        2
    );
    let by_status =
        PenaltyFilter { status: Some(PenaltyStatus::Opened), lot_id: Some(w.lot_1a), ..Default::default() };
    assert_eq!(app.list_penalties(&ugs(), by_status, Page::default()).await.expect("l").total, 1);
    assert!(matches!(app.get_penalty(&beta, on_1a).await, Err(AppError::NotFound(_))));
    for role in [Role::Admin, Role::Committee, Role::Auditor] {
        app.get_penalty(&actor(role, Scope::All), on_1a).await.expect("reads all");
    }
    for reader in
        [actor(Role::AgencyManager, Scope::Agency(w.agency_a)), actor(Role::NetworkManager, Scope::All)]
    {
        assert!(matches!(app.get_penalty(&reader, on_6a).await, Err(AppError::Forbidden(_))));
        assert!(matches!(
            app.list_penalties(&reader, PenaltyFilter::default(), Page::default()).await,
            Err(AppError::Forbidden(_))
        ));
    }
    for who in [actor(Role::Committee, Scope::All), beta.clone(), actor(Role::Auditor, Scope::All)] {
        let r = app.transition_penalty(&who, on_6a, Command::Notify).await;
        assert!(matches!(r, Err(AppError::Forbidden(_))), "{who:?}: {r:?}");
    }
    assert!(matches!(app.open_penalty(&beta, clause(w.lot_6a)).await, Err(AppError::Forbidden(_))));
    app.transition_penalty(&ugs(), on_6a, Command::Notify).await.expect("notified");
    app.transition_penalty(&ugs(), on_1a, Command::Notify).await.expect("notified");
    let filing = || Filing { text: "Defesa".into(), attachments: vec![] };
    // Beta does not see 1A's process; the contract manager may not defend.
    assert!(matches!(app.file_defense(&beta, on_1a, filing()).await, Err(AppError::NotFound(_))));
    assert!(matches!(app.file_defense(&ugs(), on_6a, filing()).await, Err(AppError::Forbidden(_))));
    app.file_defense(&beta, on_6a, filing()).await.expect("its own");
}

async fn bad_input_is_refused_and_writes_nothing(db: TestDb) {
    let (app, _clock, w, x1, x2) = january(&db).await;
    let before = audit_count(&app).await;
    let cite = |month, access, kind: &str| BreachRef {
        month,
        access_id: access,
        kind: kind.into(),
        incident_id: None,
        order_id: None,
    };
    let opening = |breaches| PenaltyInput { breaches, description: "x".into(), ..Default::default() };
    let e =
        app.open_penalty(&ugs(), opening(vec![cite(FEB, x1, "availability")])).await.expect_err("open month");
    assert_eq!(field_rule(e), ("breaches[0].month".into(), "month_not_closed".into()));
    let e =
        app.open_penalty(&ugs(), opening(vec![cite(JAN, x2, "availability")])).await.expect_err("no breach");
    assert_eq!(field_rule(e), ("breaches[0].kind".into(), "unknown_reference".into()));
    let mut negative = clause(w.lot_1a);
    negative.proposed_amount = Some(Money::from_centavos(-100));
    let e = app.open_penalty(&ugs(), negative).await.expect_err("negative");
    assert_eq!(field_rule(e), ("proposed_amount_centavos".into(), "out_of_range".into()));
    let mut no_reason = opening(vec![cite(JAN, x1, "availability")]);
    no_reason.proposed_amount = Some(Money::from_centavos(7));
    let e = app.open_penalty(&ugs(), no_reason).await.expect_err("no reason");
    assert_eq!(field_rule(e), ("amount_reason".into(), "required".into()));
    let e = app
        .open_penalty(&ugs(), PenaltyInput { description: "x".into(), ..Default::default() })
        .await
        .expect_err("no grounds");
    assert_eq!(field_rule(e), ("breaches".into(), "required".into()));
    let mut wrong_lot = opening(vec![cite(JAN, x1, "availability")]);
    wrong_lot.lot_id = Some(w.lot_1a);
    let e = app.open_penalty(&ugs(), wrong_lot).await.expect_err("wrong lot");
    assert_eq!(field_rule(e).0, "lot_id");
    let bad_doc = Filing {
        text: "x".into(),
        attachments: vec![AttachmentInput { name: "a".into(), content_type: "pdf".into(), data: vec![1] }],
    };
    let id = app.open_penalty(&ugs(), clause(w.lot_1a)).await.expect("opened").row.penalty.id;
    let after_open = audit_count(&app).await;
    assert_eq!(after_open, before + 1, "the refused openings wrote nothing");
    app.transition_penalty(&ugs(), id, Command::Notify).await.expect("notified");
    let alfa = actor(Role::Operator, Scope::Operator(w.alfa));
    let e = app.file_defense(&alfa, id, bad_doc).await.expect_err("content type");
    assert_eq!(field_rule(e), ("attachments[0].content_type".into(), "malformed".into()));
    let e = app.transition_penalty(&ugs(), id, Command::Notify).await.expect_err("twice");
    assert_eq!(field_rule(e), ("action".into(), "action_not_allowed".into()));
    assert_eq!(audit_count(&app).await, after_open + 1, "only the notification");
    let listed = app.list_penalties(&ugs(), PenaltyFilter::default(), Page::default()).await.expect("list");
    assert_eq!(listed.total, 1);
}
