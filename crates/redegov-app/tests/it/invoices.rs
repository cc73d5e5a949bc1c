//! Operators' invoices and disputes through the use cases, on both
//! backends: a correct invoice reconciles without flags (and like the
//! billing report the portal shows), a wrong one raises every flag, bad
//! input is refused whole with its line, column and rule, the dispute life
//! cycle with its refusals, and an upheld dispute's credit on the next
//! month's billing report, split exactly between a consortium's members.

use super::{World, actor, draft, world};
use redegov_app::auth::UserInput;
use redegov_app::invoices::*;
use redegov_app::mail::MailFilter;
use redegov_app::{Actor, App, AppError, AuditFilter, Page};
use redegov_domain::billing::DeductionKind;
use redegov_domain::ids::*;
use redegov_domain::incident::{IncidentSource, Responsibility};
use redegov_domain::inventory::LotHolder;
use redegov_domain::invoice::{ContestedLine, DisputeStatus, InvoiceStatus, reconcile};
use redegov_domain::measure::Month;
use redegov_domain::money::Money;
use redegov_domain::role::{Role, Scope};
use redegov_domain::time::{Timestamp, parse_instant};
use redegov_store::deductions::NewDeduction;
use redegov_test_support::{FakeClock, TestDb, on_both_backends};

const OCT: Month = Month { year: 2026, month: 10 };
const NOV: Month = Month { year: 2026, month: 11 };

fn t(s: &str) -> Timestamp {
    parse_instant("t", s).expect("instant")
}

/// Agency A's accesses: a1, a2, a5 on lot 1A (Alfa) all October, a1 with
/// 8 h of operator downtime (credit R$ 10,75 of R$ 1.000,00); a3 on the
/// consortium's lot 6A; a4 on 1A activated in November (not on October's
/// report); b1 is agency B's. October is closed with a fine installment of
/// R$ 50,00 on Alfa's report.
struct Billed {
    w: World,
    alfa: LotHolder,
    consortium: LotHolder,
    a1: AccessId,
    a2: AccessId,
    a3: AccessId,
    a4: AccessId,
    a5: AccessId,
    b1: AccessId,
}

async fn billed(app: &App) -> Billed {
    let w = world(app).await;
    let sys = Actor::system();
    let access = |site, lot, ip: &str, from: &str| {
        let mut d = draft(site, lot, &[ip]);
        d.activated_at = Some(t(from));
        d
    };
    let a1 = app
        .create_access(&sys, access(w.site_a, w.lot_1a, "10.0.0.1", "2026-01-01T00:00"))
        .await
        .expect("a1");
    let a2 = app
        .create_access(&sys, access(w.site_a, w.lot_1a, "10.0.0.2", "2026-01-01T00:00"))
        .await
        .expect("a2");
    let a3 = app
        .create_access(&sys, access(w.site_a, w.lot_6a, "10.0.0.3", "2026-01-01T00:00"))
        .await
        .expect("a3");
    let a4 = app
        .create_access(&sys, access(w.site_a, w.lot_1a, "10.0.0.4", "2026-11-01T00:00"))
        .await
        .expect("a4");
    let a5 = app
        .create_access(&sys, access(w.site_a, w.lot_1a, "10.0.0.5", "2026-01-01T00:00"))
        .await
        .expect("a5");
    let b1 = app
        .create_access(&sys, access(w.site_b, w.lot_6a, "10.0.0.6", "2026-01-01T00:00"))
        .await
        .expect("b1");
    app.create_incident(
        &actor(Role::NetworkManager, Scope::All),
        redegov_app::incidents::IncidentInput {
            access_id: a1.id,
            probe_target: None,
            started_at: t("2026-10-05T08:00"),
            ended_at: Some(t("2026-10-05T16:00")),
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
    app.close_month(&sys, OCT, &|_, _, _| {}).await.expect("close October");
    // A fine installment discounted in October (as the penalty process
    // stores it when the month closes).
    let mut tx = app.store().write().await.expect("tx");
    tx.insert_deductions(
        &[NewDeduction {
            month: OCT.to_string(),
            agency_id: w.agency_a,
            lot_id: w.lot_1a,
            operator_id: w.alfa,
            kind: DeductionKind::Penalty,
            source_id: 1,
            description: "Processo PM-2026/0001, parcela 1 de 2".into(),
            amount: Money::from_centavos(5_000),
        }],
        app.now(),
    )
    .await
    .expect("deduction");
    tx.commit().await.expect("commit");
    let consortium = app.get_lot(&sys, w.lot_6a).await.expect("lot").holder;
    Billed {
        alfa: LotHolder::Operator(w.alfa),
        consortium,
        w,
        a1: a1.id,
        a2: a2.id,
        a3: a3.id,
        a4: a4.id,
        a5: a5.id,
        b1: b1.id,
    }
}

fn header(agency: AgencyId, holder: LotHolder, month: Month, number: &str) -> InvoiceHeader {
    InvoiceHeader {
        agency_id: agency,
        holder,
        month,
        number: number.into(),
        issued_on: "2026-11-03".parse().expect("date"),
    }
}

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from("tipo;acesso;referencia;descricao;valor\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    text.into_bytes()
}

fn ac(a: AccessId) -> String {
    format!("AC-{:06}", a.0)
}

/// A line through the API.
fn line(kind: &str, access: Option<AccessId>, centavos: i64) -> InvoiceLineInput {
    InvoiceLineInput {
        kind: kind.into(),
        access: access.map(ac).unwrap_or_default(),
        reference: String::new(),
        description: String::new(),
        amount_centavos: centavos,
    }
}

/// Alfa's correct invoice of agency A for October, as CSV.
fn correct_csv(b: &Billed) -> Vec<u8> {
    csv(&[
        &format!("servico;{};CIR-1;Link 10 Mbps;1.000,00", ac(b.a1)),
        &format!("desconto;{};CIR-1;Indisponibilidade;-10,75", ac(b.a1)),
        &format!("servico;{};CIR-2;Link 10 Mbps;1000.00", b.a2.0),
        &format!("servico;{};CIR-5;Link 10 Mbps;1000", ac(b.a5)),
        "multa;;PM-2026/0001;Parcela 1 de 2;50,00",
    ])
}

fn problems(e: AppError) -> Vec<(usize, String, &'static str)> {
    match e {
        AppError::Rejected(p) => p.into_iter().map(|p| (p.line, p.column, p.rule.code())).collect(),
        other => panic!("expected a rejected file, got {other:?}"),
    }
}

fn field_rule(e: AppError) -> (String, &'static str) {
    match e {
        AppError::Invalid(f) => (f.field, f.rule.code()),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn audit_count(app: &App) -> i64 {
    app.list_audit(&Actor::system(), &AuditFilter::default(), Page::default()).await.expect("audit").total
}

async fn invoice_count(app: &App) -> i64 {
    app.list_invoices(&Actor::system(), InvoiceFilter::default(), Page::default()).await.expect("list").total
}

pub(super) async fn mails(app: &App, kind: &str) -> Vec<redegov_app::mail::MailRecord> {
    let f = MailFilter { kind: Some(kind.into()), ..Default::default() };
    app.list_mail(&Actor::system(), &f, Page::all()).await.expect("mail").items
}

pub(super) async fn user(
    app: &App,
    login: &str,
    role: Role,
    agency: Option<AgencyId>,
    operator: Option<OperatorId>,
) {
    let input = UserInput {
        login: login.into(),
        name: login.into(),
        email: format!("{login}@example.gov.br"),
        role,
        agency_id: agency,
        operator_id: operator,
        password: "senha-bem-longa".into(),
    };
    app.create_user(&Actor::system(), input).await.expect("user");
}

async fn new_app(db: &TestDb) -> App {
    App::new(db.store().await, FakeClock::at("2026-11-05T12:00:00-03:00"))
}

on_both_backends!(
    a_correct_invoice_has_no_flags_and_is_approved_once,
    a_wrong_invoice_raises_every_flag,
    bad_input_is_refused_whole,
    disputes_follow_their_life_cycle,
    an_upheld_dispute_is_credited_next_month_split_by_share,
);

async fn a_correct_invoice_has_no_flags_and_is_approved_once(db: TestDb) {
    let app = new_app(&db).await;
    let b = billed(&app).await;
    let w = &b.w;
    user(&app, "gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    user(&app, "ugs", Role::ContractManager, None, None).await;
    user(&app, "alfa", Role::Operator, None, Some(w.alfa)).await;
    let alfa = actor(Role::Operator, Scope::Operator(w.alfa));
    let done = app
        .import_invoice_csv(&alfa, header(w.agency_a, b.alfa, OCT, "123"), &correct_csv(&b))
        .await
        .expect("imported");
    let r = &done.reconciliation;
    assert_eq!(r.flags, vec![], "a correct invoice has no flag");
    assert!(r.is_clean());
    // 3 × 1.000,00 − 10,75 − 50,00 = 2.939,25, the report's net.
    assert_eq!(r.totals.total.centavos(), 293_925);
    assert_eq!((r.totals.report_net.centavos(), r.totals.difference.centavos()), (293_925, 0));
    assert_eq!(done.invoice.status, InvoiceStatus::Received);
    assert_eq!(done.invoice.line_count, 5);

    // The same comparison as against the billing report users see.
    let sys = Actor::system();
    let report = app.billing_report(&sys, OCT, w.agency_a, b.alfa).await.expect("report");
    let detail = app.get_invoice(&sys, done.invoice.id).await.expect("detail");
    let lines: Vec<_> = detail.lines.iter().map(|l| l.line.clone()).collect();
    assert_eq!(lines.iter().map(|l| l.line_no).collect::<Vec<_>>(), vec![2, 3, 4, 5, 6], "file lines");
    assert_eq!(&reconcile(&report, &lines), r);
    let stored = app.invoice_reconciliation(&sys, done.invoice.id).await.expect("stored");
    assert_eq!(&stored.reconciliation, r);

    let received = mails(&app, "invoice.received").await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].recipients, vec!["gestor.a@example.gov.br", "ugs@example.gov.br"]);

    // Scope: the agency and the holder see it, others do not.
    let manager_a = actor(Role::AgencyManager, Scope::Agency(w.agency_a));
    let manager_b = actor(Role::AgencyManager, Scope::Agency(w.agency_b));
    let beta = actor(Role::Operator, Scope::Operator(w.beta));
    let count = |a: Actor| {
        let app = app.clone();
        async move { app.list_invoices(&a, InvoiceFilter::default(), Page::default()).await.expect("l").total }
    };
    assert_eq!(count(manager_a.clone()).await, 1);
    assert_eq!(count(alfa.clone()).await, 1);
    assert_eq!(count(manager_b.clone()).await, 0);
    assert_eq!(count(beta.clone()).await, 0);
    assert!(matches!(app.get_invoice(&beta, done.invoice.id).await, Err(AppError::NotFound(_))));
    assert!(matches!(
        app.invoice_reconciliation(&manager_b, done.invoice.id).await,
        Err(AppError::NotFound(_))
    ));

    // Approval: the agency's manager, once.
    assert!(matches!(app.approve_invoice(&alfa, done.invoice.id).await, Err(AppError::Forbidden(_))));
    assert!(matches!(app.approve_invoice(&manager_b, done.invoice.id).await, Err(AppError::NotFound(_))));
    let approved = app.approve_invoice(&manager_a, done.invoice.id).await.expect("approved");
    assert_eq!(approved.status, InvoiceStatus::Approved);
    assert_eq!(approved.approved_at, Some(app.now()));
    assert_eq!(
        field_rule(app.approve_invoice(&manager_a, done.invoice.id).await.expect_err("twice")),
        ("status".into(), "action_not_allowed")
    );
    let approved_mail = mails(&app, "invoice.approved").await;
    assert_eq!(approved_mail[0].recipients, vec!["alfa@example.gov.br", "ugs@example.gov.br"]);
    let f = InvoiceFilter {
        status: Some(InvoiceStatus::Approved),
        month: Some("2026-10".into()),
        ..Default::default()
    };
    assert_eq!(app.list_invoices(&sys, f, Page::default()).await.expect("l").total, 1);
    assert_eq!(app.verify_audit_chain(&sys).await.expect("verify").first_broken, None);
}

async fn a_wrong_invoice_raises_every_flag(db: TestDb) {
    let app = new_app(&db).await;
    let b = billed(&app).await;
    let w = &b.w;
    let ugs = actor(Role::ContractManager, Scope::All);
    let lines = vec![
        line("servico", Some(b.a1), 50_000),
        line("servico", Some(b.a1), 50_000),
        line("servico", Some(b.a2), 99_999),
        line("servico", Some(b.a4), 5_000),
        line("outro", None, 1_234),
    ];
    let done = app.create_invoice(&ugs, header(w.agency_a, b.alfa, OCT, "9"), lines).await.expect("stored");
    let flags: Vec<_> = done
        .reconciliation
        .flags
        .iter()
        .map(|f| {
            (f.kind.code(), f.access_id, f.line_nos.clone(), f.expected.centavos(), f.invoiced.centavos())
        })
        .collect();
    assert_eq!(
        flags,
        vec![
            ("duplicate_access", Some(b.a1), vec![1, 2], 100_000, 100_000),
            ("credit_not_applied", Some(b.a1), vec![1, 2], 1_075, 0),
            ("amount_differs", Some(b.a2), vec![3], 100_000, 99_999),
            ("access_not_in_report", Some(b.a4), vec![4], 0, 5_000),
            ("missing_from_invoice", Some(b.a5), vec![], 100_000, 0),
            ("penalty_installment_missing", None, vec![], 5_000, 0),
        ]
    );
    assert!(!done.reconciliation.is_clean());
    let t = done.reconciliation.totals;
    assert_eq!((t.total.centavos(), t.report_net.centavos()), (205_000 + 1_234 - 1, 293_925));
    assert_eq!(t.difference, t.total - t.report_net);
    let stored = app.invoice_reconciliation(&ugs, done.invoice.id).await.expect("stored");
    assert_eq!(stored.reconciliation, done.reconciliation);
    assert_eq!(stored.invoice.flag_count, 6);
}

async fn bad_input_is_refused_whole(db: TestDb) {
    let app = new_app(&db).await;
    let b = billed(&app).await;
    let w = &b.w;
    let alfa = actor(Role::Operator, Scope::Operator(w.alfa));
    let good = header(w.agency_a, b.alfa, OCT, "123");
    let audit_before = audit_count(&app).await;
    let import = |h: InvoiceHeader, file: Vec<u8>| {
        let app = app.clone();
        let alfa = alfa.clone();
        async move { app.import_invoice_csv(&alfa, h, &file).await.expect_err("refused") }
    };
    // A wrong header names the columns it lacks.
    let wrong_header = b"tipo;acesso;valor\nservico;1;10\n".to_vec();
    assert_eq!(
        problems(import(good.clone(), wrong_header).await),
        vec![
            (1, "referencia".into(), "malformed"),
            (1, "descricao".into(), "malformed"),
            (1, "valor".into(), "malformed")
        ]
    );
    // Every bad line, by file line, column and rule.
    let file = csv(&[
        &format!("servico;{};;;1.000,00", ac(b.a1)),
        &format!("servico;{};;;mil reais", ac(b.a2)),
        &format!("servico;{};;;-5,00", ac(b.a5)),
        &format!("desconto;{};;;-10,75", ac(b.a1)),
        "servico;AC-999999;;;10,00",
        &format!("servico;{};;;10,00", ac(b.b1)),
        &format!("servico;{};;;10,00", ac(b.a3)),
    ]);
    let found = problems(import(good.clone(), file).await);
    assert_eq!(
        found,
        vec![(3, "valor".into(), "malformed"), (4, "valor".into(), "malformed")],
        "syntax first: nothing is looked up in a file that does not parse"
    );
    let file = csv(&[
        &format!("servico;{};;;1.000,00", ac(b.a1)),
        "servico;AC-999999;;;10,00",
        &format!("servico;{};;;10,00", ac(b.b1)),
        &format!("servico;{};;;10,00", ac(b.a3)),
    ]);
    assert_eq!(
        problems(import(good.clone(), file).await),
        vec![
            (3, "acesso".into(), "unknown_reference"),
            (4, "acesso".into(), "unknown_reference"),
            (5, "acesso".into(), "unknown_reference"),
        ],
        "missing, another agency's, another holder's"
    );
    // The API names its own fields, by position in `lines`.
    let err = app
        .create_invoice(&alfa, good.clone(), vec![line("servico", Some(b.a1), 10), line("multa", None, -1)])
        .await
        .expect_err("negative fine");
    assert_eq!(problems(err), vec![(2, "amount_centavos".into(), "malformed")]);
    // An open month, another's holder, an unknown agency.
    assert_eq!(
        field_rule(import(header(w.agency_a, b.alfa, NOV, "124"), correct_csv(&b)).await),
        ("month".into(), "month_not_closed")
    );
    let beta = actor(Role::Operator, Scope::Operator(w.beta));
    let err = app.import_invoice_csv(&beta, good.clone(), &correct_csv(&b)).await.expect_err("not Beta's");
    assert_eq!(field_rule(err), ("holder".into(), "unknown_reference"));
    assert_eq!(
        field_rule(import(header(AgencyId(999), b.alfa, OCT, "125"), correct_csv(&b)).await),
        ("agency_id".into(), "unknown_reference")
    );
    let manager = actor(Role::AgencyManager, Scope::Agency(w.agency_a));
    assert!(matches!(
        app.import_invoice_csv(&manager, good.clone(), &correct_csv(&b)).await,
        Err(AppError::Forbidden(_))
    ));
    assert_eq!(audit_count(&app).await, audit_before, "nothing written");
    assert_eq!(invoice_count(&app).await, 0);
    assert!(mails(&app, "invoice.received").await.is_empty());

    // A holder's numbers are unique; another holder may reuse one.
    app.import_invoice_csv(&alfa, good.clone(), &correct_csv(&b)).await.expect("first");
    assert_eq!(field_rule(import(good.clone(), correct_csv(&b)).await), ("number".into(), "duplicate"));
    let ugs = actor(Role::ContractManager, Scope::All);
    let consortium = csv(&[&format!("servico;{};;;1.000,00", ac(b.a3))]);
    let done = app
        .import_invoice_csv(&ugs, header(w.agency_a, b.consortium, OCT, "123"), &consortium)
        .await
        .expect("same number, other holder");
    assert!(done.reconciliation.flags.is_empty(), "{:?}", done.reconciliation.flags);
    // Beta is a member of the consortium: it uploads for it.
    let beta_file = csv(&[&format!("servico;{};;;1.000,00", ac(b.a3))]);
    app.import_invoice_csv(&beta, header(w.agency_a, b.consortium, OCT, "B-1"), &beta_file)
        .await
        .expect("member");
    assert_eq!(invoice_count(&app).await, 3);
}

async fn disputes_follow_their_life_cycle(db: TestDb) {
    let app = new_app(&db).await;
    let b = billed(&app).await;
    let w = &b.w;
    user(&app, "gestor.a", Role::AgencyManager, Some(w.agency_a), None).await;
    user(&app, "ugs", Role::ContractManager, None, None).await;
    user(&app, "alfa", Role::Operator, None, Some(w.alfa)).await;
    let alfa = actor(Role::Operator, Scope::Operator(w.alfa));
    let beta = actor(Role::Operator, Scope::Operator(w.beta));
    let manager_a = actor(Role::AgencyManager, Scope::Agency(w.agency_a));
    let manager_b = actor(Role::AgencyManager, Scope::Agency(w.agency_b));
    let ugs = actor(Role::ContractManager, Scope::All);
    let inv = app
        .import_invoice_csv(&alfa, header(w.agency_a, b.alfa, OCT, "123"), &correct_csv(&b))
        .await
        .expect("invoice");
    let lines = app.get_invoice(&alfa, inv.invoice.id).await.expect("detail").lines;
    let a2_line = lines.iter().find(|l| l.line.access_id == Some(b.a2)).expect("a2 line").id;
    let input = |amount: i64| DisputeInput {
        invoice_id: inv.invoice.id,
        reason: "Velocidade entregue abaixo da contratada".into(),
        lines: vec![ContestedLine { invoice_line_id: a2_line.0, contested: Money::from_centavos(amount) }],
    };

    // Who may open it, on what.
    assert!(matches!(app.open_dispute(&alfa, input(1_000)).await, Err(AppError::Forbidden(_))));
    assert_eq!(
        field_rule(app.open_dispute(&manager_b, input(1_000)).await.expect_err("not B's")),
        ("invoice_id".into(), "unknown_reference")
    );
    assert_eq!(
        field_rule(app.open_dispute(&manager_a, input(100_001)).await.expect_err("more than billed")),
        ("lines[0].contested_centavos".into(), "out_of_range")
    );
    let first = app.open_dispute(&manager_a, input(1_000)).await.expect("opened");
    assert_eq!(first.dispute.status, DisputeStatus::Opened);
    assert_eq!(first.dispute.opened_at, app.now());
    assert_eq!(first.lines.len(), 1);
    assert_eq!(
        field_rule(app.open_dispute(&manager_a, input(500)).await.expect_err("twice")),
        ("lines[0].invoice_line_id".into(), "duplicate")
    );
    let opened = mails(&app, "dispute.opened").await;
    assert_eq!(
        opened[0].recipients,
        vec!["alfa@example.gov.br", "gestor.a@example.gov.br", "ugs@example.gov.br"]
    );

    // The answer: the holder's operator, once.
    let id = first.dispute.id;
    assert!(matches!(app.answer_dispute(&beta, id, "não").await, Err(AppError::NotFound(_))));
    assert!(matches!(app.answer_dispute(&manager_a, id, "sim").await, Err(AppError::Forbidden(_))));
    assert_eq!(
        field_rule(app.answer_dispute(&alfa, id, " ").await.expect_err("blank")),
        ("answer".into(), "required")
    );
    let answered =
        app.answer_dispute(&alfa, id, "A velocidade foi medida corretamente").await.expect("answered");
    assert_eq!(answered.dispute.status, DisputeStatus::Answered);
    assert_eq!(answered.dispute.answered_at, Some(app.now()));
    assert_eq!(
        field_rule(app.answer_dispute(&alfa, id, "de novo").await.expect_err("twice")),
        ("status".into(), "action_not_allowed")
    );
    assert_eq!(mails(&app, "dispute.answered").await.len(), 1);

    // The decision: the contract manager, with grounds.
    let reject = Some(Resolution::Rejected);
    assert!(matches!(app.resolve_dispute(&alfa, id, reject, "x").await, Err(AppError::Forbidden(_))));
    assert!(matches!(app.resolve_dispute(&manager_a, id, reject, "x").await, Err(AppError::Forbidden(_))));
    assert_eq!(
        field_rule(app.resolve_dispute(&ugs, id, None, "x").await.expect_err("no resolution")),
        ("resolution".into(), "not_allowed_value")
    );
    assert_eq!(
        field_rule(app.resolve_dispute(&ugs, id, reject, "").await.expect_err("no grounds")),
        ("grounds".into(), "required")
    );
    let rejected =
        app.resolve_dispute(&ugs, id, reject, "Medição da operadora confirmada").await.expect("rejected");
    assert_eq!(
        (rejected.dispute.status, rejected.dispute.credit_month.clone()),
        (DisputeStatus::Rejected, None)
    );
    assert_eq!(
        field_rule(app.resolve_dispute(&ugs, id, Some(Resolution::Upheld), "x").await.expect_err("final")),
        ("status".into(), "action_not_allowed")
    );
    assert_eq!(
        field_rule(app.answer_dispute(&alfa, id, "tarde").await.expect_err("final")),
        ("status".into(), "action_not_allowed")
    );

    // A rejected dispute frees the line: a second one, upheld without an
    // answer, credits November.
    let second = app.open_dispute(&ugs, input(2_500)).await.expect("second");
    let upheld = app
        .resolve_dispute(&ugs, second.dispute.id, Some(Resolution::Upheld), "Laudo técnico do órgão")
        .await
        .expect("upheld");
    assert_eq!(upheld.dispute.status, DisputeStatus::Upheld);
    assert_eq!(upheld.dispute.credit_month.as_deref(), Some("2026-11"));
    let nov = app.billing_report(&Actor::system(), NOV, w.agency_a, b.alfa).await.expect("November");
    let credit: Vec<_> = nov
        .deductions
        .iter()
        .filter(|d| d.kind == DeductionKind::Dispute)
        .map(|d| (d.source_id, d.amount.centavos(), d.description.clone(), d.parts.clone()))
        .collect();
    assert_eq!(
        credit,
        vec![(
            second.dispute.id.0,
            2_500,
            format!("Contestação nº {} — fatura 123/2026-10", second.dispute.id.0),
            vec![]
        )]
    );
    assert_eq!(mails(&app, "dispute.resolved").await.len(), 2);

    // Lists: by status, oldest first, scoped.
    let all = |f: DisputeFilter, a: Actor| {
        let app = app.clone();
        async move {
            app.list_disputes(&a, f, Page::default())
                .await
                .expect("list")
                .items
                .iter()
                .map(|d| d.id)
                .collect::<Vec<_>>()
        }
    };
    let sys = Actor::system();
    assert_eq!(all(DisputeFilter::default(), sys.clone()).await, vec![second.dispute.id, id], "newest first");
    let oldest = DisputeFilter { oldest_first: true, ..Default::default() };
    assert_eq!(all(oldest, sys.clone()).await, vec![id, second.dispute.id]);
    let upheld_only = DisputeFilter { status: Some(DisputeStatus::Upheld), ..Default::default() };
    assert_eq!(all(upheld_only, sys.clone()).await, vec![second.dispute.id]);
    let by_month = DisputeFilter { month: Some("2026-09".into()), ..Default::default() };
    assert_eq!(all(by_month, sys.clone()).await, vec![]);
    assert_eq!(all(DisputeFilter::default(), manager_a.clone()).await.len(), 2);
    assert_eq!(all(DisputeFilter::default(), alfa.clone()).await.len(), 2);
    assert_eq!(all(DisputeFilter::default(), beta.clone()).await, vec![]);
    assert_eq!(all(DisputeFilter::default(), manager_b.clone()).await, vec![]);
    let asked_b = DisputeFilter { agency_id: Some(w.agency_b), ..Default::default() };
    assert_eq!(all(asked_b, manager_a.clone()).await, vec![]);
    assert!(matches!(app.get_dispute(&beta, id).await, Err(AppError::NotFound(_))));
    assert_eq!(app.get_invoice(&manager_a, inv.invoice.id).await.expect("detail").disputes.len(), 2);
    assert_eq!(app.verify_audit_chain(&sys).await.expect("verify").first_broken, None);
}

async fn an_upheld_dispute_is_credited_next_month_split_by_share(db: TestDb) {
    let app = new_app(&db).await;
    let b = billed(&app).await;
    let w = &b.w;
    let ugs = actor(Role::ContractManager, Scope::All);
    let file = csv(&[&format!("servico;{};;;1.000,00", ac(b.a3)), "outro;;;Taxa de instalação;30,00"]);
    let inv = app
        .import_invoice_csv(&ugs, header(w.agency_a, b.consortium, OCT, "C-77"), &file)
        .await
        .expect("invoice");
    let lines = app.get_invoice(&ugs, inv.invoice.id).await.expect("detail").lines;
    // An odd amount on the access line, and the fee (no access: credited on
    // the lot of the other line).
    let contested: Vec<ContestedLine> = lines
        .iter()
        .map(|l| ContestedLine {
            invoice_line_id: l.id.0,
            contested: Money::from_centavos(if l.line.access_id.is_some() { 1_001 } else { 3_000 }),
        })
        .collect();
    let manager_a = actor(Role::AgencyManager, Scope::Agency(w.agency_a));
    let d = app
        .open_dispute(
            &manager_a,
            DisputeInput {
                invoice_id: inv.invoice.id, reason: "Taxa não prevista".into(), lines: contested
            },
        )
        .await
        .expect("opened");
    assert_eq!(d.dispute.contested.centavos(), 4_001);
    let beta = actor(Role::Operator, Scope::Operator(w.beta));
    app.answer_dispute(&beta, d.dispute.id, "A taxa consta do contrato").await.expect("a member answers");
    app.resolve_dispute(&ugs, d.dispute.id, Some(Resolution::Upheld), "Não consta do contrato")
        .await
        .expect("upheld");
    let nov = app.billing_report(&Actor::system(), NOV, w.agency_a, b.consortium).await.expect("November");
    let dispute: Vec<_> = nov.deductions.iter().filter(|x| x.kind == DeductionKind::Dispute).collect();
    assert_eq!(dispute.len(), 1);
    assert_eq!(dispute[0].amount.centavos(), 4_001);
    // 50 % / 50 %: the odd centavo to the smaller operator id (Alfa).
    let parts: Vec<(i64, i64)> = dispute[0].parts.iter().map(|(o, m)| (*o, m.centavos())).collect();
    assert_eq!(parts, vec![(w.alfa.0, 2_001), (w.beta.0, 2_000)]);
    assert_eq!(nov.totals.deductions.centavos(), 4_001);
    let member_deductions: i64 = nov.parts.iter().map(|p| p.deductions.centavos()).sum();
    assert_eq!(member_deductions, 4_001);
    // Alfa's own report of November carries nothing of it.
    let alfa_nov = app.billing_report(&Actor::system(), NOV, w.agency_a, b.alfa).await.expect("Alfa");
    assert!(alfa_nov.deductions.iter().all(|x| x.kind != DeductionKind::Dispute));
}
