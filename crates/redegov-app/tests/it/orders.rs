//! Service orders on both backends: the whole life of an activation (survey,
//! pending items pausing the clock, execution, technical and agency
//! acceptance, the access it creates), tacit acceptance and reminders by
//! the scheduled job, lateness, reconfiguration and address change changing
//! the inventory, scope and role checks, delinquency, adhesion policies, and
//! refused actions writing nothing.

use super::{actor, app, world};
use redegov_app::auth::UserInput;
use redegov_app::mail::MailFilter;
use redegov_app::orders::OrderInput;
use redegov_app::{Actor, AppError, OrderFilter, Page};
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::*;
use redegov_domain::inventory::*;
use redegov_domain::money::Money;
use redegov_domain::order::*;
use redegov_domain::role::{Role, Scope};
use redegov_test_support::{FakeClock, TEST_NOW, TestDb, on_both_backends};

on_both_backends!(
    an_activation_from_submission_to_acceptance,
    tacit_acceptance_reminders_and_lateness_by_the_job,
    reconfiguration_and_address_change_change_the_inventory,
    scope_roles_delinquency_and_policies,
);

fn date(s: &str) -> chrono::NaiveDate {
    s.parse().expect("date")
}

pub(super) fn new_access(site: SiteId, lot: LotId) -> OrderSpec {
    OrderSpec::NewAccess {
        access: AccessSpec {
            site_id: site,
            lot_id: lot,
            service: "scm".into(),
            bandwidth_mbps: 10,
            redundancy: Redundancy::None,
            technology: Technology::Terrestrial,
        },
    }
}

fn in_hours(clock: &FakeClock, hours: i64) -> redegov_domain::time::Timestamp {
    use redegov_app::Clock;
    clock.now() + chrono::Duration::hours(hours)
}

async fn user(
    app: &redegov_app::App,
    login: &str,
    role: Role,
    agency: Option<AgencyId>,
    op: Option<OperatorId>,
) {
    app.create_user(
        &Actor::system(),
        UserInput {
            login: login.into(),
            name: login.into(),
            email: format!("{login}@example.gov.br"),
            role,
            agency_id: agency,
            operator_id: op,
            password: "uma senha longa 123".into(),
        },
    )
    .await
    .expect("user");
}

async fn an_activation_from_submission_to_acceptance(db: TestDb) {
    let clock = FakeClock::at(TEST_NOW);
    let app = redegov_app::App::new(db.store().await, clock.clone());
    let w = world(&app).await;
    user(&app, "gestor-a", Role::AgencyManager, Some(w.agency_a), None).await;
    user(&app, "alfa", Role::Operator, None, Some(w.alfa)).await;
    user(&app, "noc", Role::NetworkManager, None, None).await;
    let manager = actor(Role::AgencyManager, Scope::Agency(w.agency_a));
    let noc = actor(Role::NetworkManager, Scope::All);
    let alfa = actor(Role::Operator, Scope::Operator(w.alfa));

    let order = app
        .create_order(&manager, OrderInput { spec: new_access(w.site_a, w.lot_1a), submit: true })
        .await
        .expect("open");
    let o = &order.row.order;
    assert_eq!(o.number, "OS-2026-000001");
    assert_eq!(o.status, OrderStatus::Submitted);
    assert_eq!((o.deadline_days, o.area), (45, Area::Capital), "activation in the capital: 45 days");
    assert_eq!(order.allowed, vec![Action::Cancel], "the agency may still cancel");
    let id = o.id;

    // The operator cannot validate; the network manager does.
    let e = app.transition_order(&alfa, id, Command::Validate).await.expect_err("operator");
    assert!(matches!(e, AppError::NotFound(_) | AppError::Forbidden(_)), "{e:?}");
    let d = app.transition_order(&noc, id, Command::Validate).await.expect("validate");
    assert_eq!(d.row.order.status, OrderStatus::SentToOperator);
    // 2026-03-10 + 45 days = 2026-04-24, a Friday.
    assert_eq!(d.row.order.due_on, Some(date("2026-04-24")));

    // 47 h is too short a notice, and nothing is written.
    let events = d.events.len();
    let e = app
        .transition_order(&alfa, id, Command::ScheduleSurvey { at: in_hours(&clock, 47) })
        .await
        .expect_err("short notice");
    assert!(
        matches!(&e, AppError::Invalid(FieldError { field, rule: Rule::ScheduleTooSoon { hours: 48 } }) if field == "at"),
        "{e:?}"
    );
    assert_eq!(app.get_order(&noc, id).await.expect("get").events.len(), events);
    let survey_at = in_hours(&clock, 72);
    let d = app.transition_order(&alfa, id, Command::ScheduleSurvey { at: survey_at }).await.expect("survey");
    assert_eq!((d.row.order.status, d.row.order.survey_at), (OrderStatus::SurveyScheduled, Some(survey_at)));

    clock.advance(3 * 86_400);
    let report = Command::ReportSurvey {
        report: "Sem infraestrutura interna".into(),
        pending: vec![
            PendingDraft { party: Party::Agency, description: "Passar eletroduto até o rack".into() },
            PendingDraft { party: Party::Operator, description: "Trazer a fibra até o prédio".into() },
        ],
    };
    let d = app.transition_order(&alfa, id, report).await.expect("survey report");
    assert_eq!(d.row.order.status, OrderStatus::SurveyDone);
    assert_eq!(d.pending.len(), 2);
    let agency_item = d.pending.iter().find(|p| p.party == Party::Agency).expect("agency item").id;
    let operator_item = d.pending.iter().find(|p| p.party == Party::Operator).expect("operator item").id;
    // The operator cannot close the agency's item, nor the agency the operator's.
    assert!(matches!(app.resolve_pending_item(&alfa, id, agency_item).await, Err(AppError::Forbidden(_))));
    assert!(matches!(
        app.resolve_pending_item(&manager, id, operator_item).await,
        Err(AppError::Forbidden(_))
    ));
    // Four days with the agency's item open: the deadline moves by four days.
    clock.advance(4 * 86_400);
    let d = app.resolve_pending_item(&manager, id, agency_item).await.expect("resolve");
    assert_eq!(d.row.order.paused_days, 4);
    assert_eq!(d.row.order.due_on, Some(date("2026-04-28")));

    let d = app
        .transition_order(&alfa, id, Command::ScheduleInstallation { at: in_hours(&clock, 48) })
        .await
        .expect("installation");
    assert_eq!(d.row.order.status, OrderStatus::InExecution);
    let execution = |targets: Vec<&str>| Command::ReportExecution {
        report: "Link instalado e testado".into(),
        probe_targets: targets.into_iter().map(String::from).collect(),
    };
    // The operator's own item is still open.
    let e = app.transition_order(&alfa, id, execution(vec!["10.9.0.1"])).await.expect_err("open item");
    assert!(matches!(e, AppError::Invalid(FieldError { rule: Rule::PendingItemsOpen { .. }, .. })), "{e:?}");
    app.resolve_pending_item(&alfa, id, operator_item).await.expect("operator resolves");
    // One link, one probe target.
    let e = app.transition_order(&alfa, id, execution(vec![])).await.expect_err("no target");
    assert!(matches!(e, AppError::Invalid(FieldError { rule: Rule::ProbeTargetCount { .. }, .. })), "{e:?}");
    clock.advance(2 * 86_400);
    let d = app.transition_order(&alfa, id, execution(vec!["10.9.0.1"])).await.expect("executed");
    assert_eq!(d.row.order.status, OrderStatus::Executed);
    assert_eq!(d.row.order.late_days, Some(0), "delivered before the due date");

    // Technical rejection sends it back; acceptance moves to the agency.
    let d = app
        .transition_order(&noc, id, Command::RejectTechnical { reason: "Sem gerência SNMP".into() })
        .await
        .expect("reject");
    assert_eq!((d.row.order.status, d.row.order.delivered_on), (OrderStatus::InExecution, None));
    let d = app.transition_order(&alfa, id, execution(vec!["10.9.0.1"])).await.expect("executed again");
    let delivered = d.row.order.delivered_on.expect("delivered");
    let e = app.transition_order(&manager, id, Command::AcceptTechnical).await.expect_err("agency");
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    let d = app.transition_order(&noc, id, Command::AcceptTechnical).await.expect("technical acceptance");
    assert_eq!(d.row.order.status, OrderStatus::AwaitingAgencyAcceptance);
    // Delivered on Thursday 19/03; ten days end on Sunday 29/03, moved to Monday.
    assert_eq!(delivered, date("2026-03-19"));
    assert_eq!(d.row.order.acceptance_due_on, Some(date("2026-03-30")));
    assert_eq!(d.allowed, vec![Action::Cancel], "the network manager may only cancel now");

    let d = app.transition_order(&manager, id, Command::Accept).await.expect("accepted");
    let o = &d.row.order;
    assert_eq!(o.status, OrderStatus::Completed);
    assert!(!o.tacit);
    let access = app.get_access(&manager, o.access_id.expect("access created")).await.expect("access");
    assert_eq!(access.access.status, AccessStatus::Active);
    assert_eq!(access.access.activated_at, o.completed_at, "billed from the acceptance");
    assert_eq!(access.access.probe_targets, vec!["10.9.0.1".parse::<std::net::IpAddr>().expect("ip")]);
    assert_eq!(access.access.monthly_price, Money::from_centavos(100_000), "from the lot's table");
    assert!(d.allowed.is_empty(), "a completed order is final");
    let actions: Vec<&str> = d.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create",
            "submit",
            "validate",
            "schedule_survey",
            "report_survey",
            "resolve_pending",
            "schedule_installation",
            "resolve_pending",
            "report_execution",
            "reject_technical",
            "report_execution",
            "accept_technical",
            "accept"
        ]
    );
    // Every step queued its e-mail to whom it concerns, with the link.
    let admin = Actor::system();
    let mail = |kind: &str| {
        let f = MailFilter { kind: Some(kind.into()), ..MailFilter::default() };
        let app = app.clone();
        let admin = admin.clone();
        async move { app.list_mail(&admin, &f, Page::default()).await.expect("mail").items }
    };
    let sent = mail("order.sent").await;
    assert_eq!(sent.len(), 1);
    let mut to = sent[0].recipients.clone();
    to.sort();
    assert_eq!(to, ["alfa@example.gov.br", "gestor-a@example.gov.br", "noc@example.gov.br"]);
    assert!(sent[0].subject.contains("OS-2026-000001"), "{}", sent[0].subject);
    assert!(sent[0].link.as_deref().is_some_and(|l| l.ends_with(&format!("/ordens/{}", id.0))));
    assert_eq!(mail("order.submitted").await[0].recipients.len(), 2, "agency and NOC");
    assert_eq!(mail("order.scheduled").await.len(), 2, "survey and installation");
    assert_eq!(mail("order.refused").await[0].recipients, ["alfa@example.gov.br", "noc@example.gov.br"]);

    // Delivered to a real SMTP server (aiosmtpd), read back: pt-BR, UTF-8,
    // with the link to the order.
    let Some(server) = redegov_test_support::smtp::SmtpServer::start() else { return };
    let config = redegov_app::mail::SmtpConfig::from_url(&server.url(), "redegov <redegov@example.gov.br>")
        .expect("config");
    let transport = redegov_app::mail::MailTransport::new(&config).expect("transport");
    let report = app.deliver_mail(&transport, 100).await.expect("deliver");
    assert_eq!((report.sent, report.failed, report.gave_up), (report.claimed, 0, 0));
    let received = server.messages();
    let sent =
        received.iter().find(|m| m.subject.contains("enviada à operadora")).expect("order.sent received");
    assert_eq!(sent.subject, "Ordem de serviço OS-2026-000001 foi enviada à operadora");
    let mut rcpt = sent.rcpt_tos.clone();
    rcpt.sort();
    assert_eq!(rcpt, ["alfa@example.gov.br", "gestor-a@example.gov.br", "noc@example.gov.br"]);
    assert!(sent.body.contains("Prazo da operadora: 24/04/2026 (45 dia(s) corridos)"), "{}", sent.body);
    assert!(sent.body.contains(&format!("Acesse: http://localhost:8080/ordens/{}", id.0)), "{}", sent.body);
    let done =
        received.iter().find(|m| m.subject.ends_with("foi aceita pelo órgão e concluída")).expect("done");
    assert!(done.body.contains("Situação: Concluída"), "{}", done.body);
}

async fn tacit_acceptance_reminders_and_lateness_by_the_job(db: TestDb) {
    let clock = FakeClock::at(TEST_NOW);
    let app = redegov_app::App::new(db.store().await, clock.clone());
    let w = world(&app).await;
    user(&app, "alfa", Role::Operator, None, Some(w.alfa)).await;
    let admin = actor(Role::Admin, Scope::All);
    let alfa = actor(Role::Operator, Scope::Operator(w.alfa));
    // No validation step: straight to the operator.
    let mut settings = app.order_settings(&admin).await.expect("settings");
    settings.validation_step = false;
    app.set_order_settings(&admin, settings.clone()).await.expect("saved");
    let d = app
        .create_order(&admin, OrderInput { spec: new_access(w.site_a, w.lot_1a), submit: true })
        .await
        .expect("open");
    let id = d.row.order.id;
    assert_eq!(d.row.order.status, OrderStatus::SentToOperator);
    assert_eq!(d.row.order.due_on, Some(date("2026-04-24")));
    assert_eq!(app.run_order_jobs().await.expect("jobs").reminders, 0, "far from the due date");
    // Five days before: one reminder, once.
    clock.set("2026-04-19T12:00:00-03:00".parse().expect("t"));
    assert_eq!(app.run_order_jobs().await.expect("jobs").reminders, 1);
    assert_eq!(app.run_order_jobs().await.expect("jobs").reminders, 0, "sent once");
    // Past the due date: one late notice; listed as late.
    clock.set("2026-04-27T12:00:00-03:00".parse().expect("t"));
    let report = app.run_order_jobs().await.expect("jobs");
    assert_eq!((report.late_notices, report.reminders), (1, 0));
    let late = OrderFilter { late_on: Some(date("2026-04-27")), ..OrderFilter::default() };
    assert_eq!(app.list_orders(&admin, late, Page::default()).await.expect("list").total, 1);
    let not_yet = OrderFilter { late_on: Some(date("2026-04-24")), ..OrderFilter::default() };
    assert_eq!(app.list_orders(&admin, not_yet, Page::default()).await.expect("list").total, 0);

    app.transition_order(&alfa, id, Command::StartExecution).await.expect("start");
    let d = app
        .transition_order(
            &alfa,
            id,
            Command::ReportExecution { report: "ok".into(), probe_targets: vec!["10.9.0.2".into()] },
        )
        .await
        .expect("executed");
    assert_eq!(d.row.order.late_days, Some(3), "24/04 → 27/04");
    app.transition_order(&admin, id, Command::AcceptTechnical).await.expect("technical");
    // 10 days to answer (to 2026-05-07, a Thursday); the job waits until it passes.
    clock.set("2026-05-07T23:00:00-03:00".parse().expect("t"));
    assert_eq!(app.run_order_jobs().await.expect("jobs").tacit_acceptances, 0);
    clock.set("2026-05-08T00:30:00-03:00".parse().expect("t"));
    assert_eq!(app.run_order_jobs().await.expect("jobs").tacit_acceptances, 1);
    let d = app.get_order(&admin, id).await.expect("get");
    assert_eq!((d.row.order.status, d.row.order.tacit), (OrderStatus::Completed, true));
    assert_eq!(d.events.last().expect("event").action, "tacit_accept");
    assert_eq!(d.events.last().expect("event").login, "system");
    let access = d.row.order.access_id.expect("tacit acceptance creates the access too");
    assert_eq!(app.run_order_jobs().await.expect("jobs"), Default::default(), "nothing left to do");

    // The closing of May counts the order-deadline breach on the new access:
    // 3 days late × 0.5 % of its charge (the default penalty rule).
    clock.set("2026-06-01T08:00:00-03:00".parse().expect("t"));
    let may = redegov_domain::measure::Month { year: 2026, month: 5 };
    let closed = app.close_month(&admin, may, &|_, _, _| {}).await.expect("closed");
    let results = app.month_results(&admin, may, Default::default()).await.expect("results");
    assert_eq!(results.closing.as_ref().map(|c| c.id), Some(closed.id));
    let breach = results.breaches.iter().find(|b| b.kind == "order_deadline").expect("deadline breach");
    assert_eq!(
        (breach.access_id, breach.order_id, breach.measured, breach.target),
        (access, Some(id), 3, 45)
    );
    let line = results.lines.iter().find(|l| l.access_id == access).expect("line");
    assert_eq!(line.penalty, line.charge.mul_div(150, 10_000), "rounded once over the three days");
    assert!(line.penalty.centavos() > 0);
}

async fn reconfiguration_and_address_change_change_the_inventory(db: TestDb) {
    let clock = FakeClock::at(TEST_NOW);
    let app = redegov_app::App::new(db.store().await, clock.clone());
    let w = world(&app).await;
    let sys = Actor::system();
    let admin = actor(Role::Admin, Scope::All);
    let access = app.create_access(&sys, super::draft(w.site_a, w.lot_1a, &["10.0.0.1"])).await.expect("a");
    app.create_price(
        &sys,
        NewPrice::new(
            w.lot_1a,
            "SCM",
            20,
            Area::Capital,
            Money::from_centavos(150_000),
            date("2020-01-01"),
            None,
        )
        .expect("v"),
    )
    .await
    .expect("price");
    let walk = |id: OrderId, targets: Vec<String>| {
        let app = app.clone();
        let admin = admin.clone();
        async move {
            for c in [
                Command::Validate,
                Command::StartExecution,
                Command::ReportExecution { report: "feito".into(), probe_targets: targets },
                Command::AcceptTechnical,
                Command::Accept,
            ] {
                app.transition_order(&admin, id, c).await.expect("step");
            }
        }
    };
    // A bandwidth without a price is refused at once.
    let no_price = OrderSpec::Reconfiguration { access_id: access.id, bandwidth_mbps: 30, service: None };
    let e =
        app.create_order(&admin, OrderInput { spec: no_price, submit: true }).await.expect_err("no price");
    assert!(matches!(e, AppError::Invalid(FieldError { rule: Rule::NoPrice, .. })), "{e:?}");
    let spec = OrderSpec::Reconfiguration { access_id: access.id, bandwidth_mbps: 20, service: None };
    let d = app.create_order(&admin, OrderInput { spec: spec.clone(), submit: true }).await.expect("open");
    assert_eq!(
        (d.row.order.deadline_days, d.row.order.deadline_unit),
        (30, redegov_domain::calendar::DayUnit::Calendar)
    );
    let e = app.create_order(&admin, OrderInput { spec, submit: true }).await.expect_err("twice");
    assert!(matches!(e, AppError::Invalid(FieldError { rule: Rule::Duplicate, .. })), "{e:?}");
    walk(d.row.order.id, vec![]).await;
    let unchanged = app.get_access(&admin, access.id).await.expect("a").access;
    assert_eq!(unchanged.bandwidth_mbps, 10, "changes from the day after acceptance");
    clock.set("2026-03-11T00:00:01-03:00".parse().expect("t"));
    assert_eq!(app.run_order_jobs().await.expect("jobs").access_changes, 1);
    let changed = app.get_access(&admin, access.id).await.expect("a").access;
    assert_eq!((changed.bandwidth_mbps, changed.monthly_price), (20, Money::from_centavos(150_000)));

    // Address change: a new site of the same agency; on acceptance the new
    // access exists and the old one's deactivation goes to the operator.
    let new_site = app
        .create_site(
            &sys,
            NewSite::new(
                w.agency_a,
                "Anexo",
                "Av. B, 2",
                3106200,
                Area::Capital,
                Zone::Urban,
                Contact::default(),
            )
            .expect("v"),
        )
        .await
        .expect("site");
    let other_agency = OrderSpec::AddressChange { access_id: access.id, new_site_id: w.site_b };
    let e =
        app.create_order(&admin, OrderInput { spec: other_agency, submit: true }).await.expect_err("other");
    assert!(matches!(&e, AppError::Invalid(FieldError { field, .. }) if field == "new_site_id"), "{e:?}");
    let spec = OrderSpec::AddressChange { access_id: access.id, new_site_id: new_site.id };
    let d = app.create_order(&admin, OrderInput { spec, submit: true }).await.expect("open");
    let parent = d.row.order.id;
    walk(parent, vec!["10.0.0.9".into()]).await;
    let all = app.list_orders(&admin, OrderFilter::default(), Page::default()).await.expect("list");
    let linked = all.items.iter().find(|r| r.order.linked_order_id == Some(parent)).expect("linked");
    assert_eq!(linked.order.order_type, OrderType::Deactivation);
    assert_eq!(linked.order.status, OrderStatus::SentToOperator);
    assert_eq!(linked.order.access_id, Some(access.id));
    assert_eq!(linked.order.due_on, Some(date("2026-03-26")), "15 days from 11/03");
    let at_new = app
        .list_accesses(
            &admin,
            redegov_app::InventoryFilter { site_id: Some(new_site.id), ..Default::default() },
            Page::default(),
        )
        .await
        .expect("list");
    assert_eq!(at_new.total, 1);
    let linked_id = linked.order.id;
    for c in [
        Command::StartExecution,
        Command::ReportExecution { report: "retirado".into(), probe_targets: vec![] },
        Command::AcceptTechnical,
        Command::Accept,
    ] {
        app.transition_order(&admin, linked_id, c).await.expect("step");
    }
    assert_eq!(app.get_access(&admin, access.id).await.expect("a").access.status, AccessStatus::Deactivated);
}

async fn scope_roles_delinquency_and_policies(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let admin = actor(Role::Admin, Scope::All);
    let manager_a = actor(Role::AgencyManager, Scope::Agency(w.agency_a));
    let manager_b = actor(Role::AgencyManager, Scope::Agency(w.agency_b));
    let beta = actor(Role::Operator, Scope::Operator(w.beta));
    let auditor = actor(Role::Auditor, Scope::All);
    let contract = actor(Role::ContractManager, Scope::All);
    // An agency cannot order for another's site; auditors cannot order.
    let e = app
        .create_order(&manager_b, OrderInput { spec: new_access(w.site_a, w.lot_1a), submit: true })
        .await
        .expect_err("other agency");
    assert!(
        matches!(&e, AppError::Invalid(FieldError { field, rule: Rule::UnknownReference }) if field == "site_id")
    );
    let e = app
        .create_order(&auditor, OrderInput { spec: new_access(w.site_a, w.lot_1a), submit: true })
        .await
        .expect_err("auditor");
    assert!(matches!(e, AppError::Forbidden(_)));
    // Outside the lot's region.
    let e = app
        .create_order(&admin, OrderInput { spec: new_access(w.site_b, w.lot_1a), submit: true })
        .await
        .expect_err("region");
    assert!(matches!(e, AppError::Invalid(FieldError { rule: Rule::OutsideLotRegion, .. })));

    let d = app
        .create_order(&manager_a, OrderInput { spec: new_access(w.site_a, w.lot_1a), submit: false })
        .await
        .expect("draft");
    let id = d.row.order.id;
    assert_eq!(d.row.order.status, OrderStatus::Draft);
    assert!(matches!(app.get_order(&manager_b, id).await, Err(AppError::NotFound(_))));
    assert!(matches!(app.get_order(&beta, id).await, Err(AppError::NotFound(_))), "lot 1A is Alfa's alone");
    assert!(matches!(app.transition_order(&beta, id, Command::Submit).await, Err(AppError::NotFound(_))));
    let listed = |who: Actor| {
        let app = app.clone();
        async move { app.list_orders(&who, OrderFilter::default(), Page::default()).await.expect("list").total }
    };
    assert_eq!(
        (listed(manager_a.clone()).await, listed(manager_b.clone()).await, listed(beta.clone()).await),
        (1, 0, 0)
    );
    // Asking for another agency's orders yields nothing.
    let other = OrderFilter { agency_id: Some(w.agency_a), ..OrderFilter::default() };
    assert_eq!(app.list_orders(&manager_b, other, Page::default()).await.expect("list").total, 0);
    app.transition_order(&manager_a, id, Command::Submit).await.expect("submit");

    // A delinquent agency's order is not validated, and nothing moves.
    let e = app.set_agency_delinquent(&manager_a, w.agency_a, true, "inadimplente").await.expect_err("role");
    assert!(matches!(e, AppError::Forbidden(_)));
    app.set_agency_delinquent(&contract, w.agency_a, true, "Débito com a operadora").await.expect("mark");
    let before = app.get_order(&admin, id).await.expect("get");
    let e = app.transition_order(&admin, id, Command::Validate).await.expect_err("delinquent");
    assert!(
        matches!(&e, AppError::Invalid(FieldError { field, rule: Rule::AgencyDelinquent }) if field == "agency_id")
    );
    assert_eq!(app.get_order(&admin, id).await.expect("get"), before, "nothing written");
    app.set_agency_delinquent(&contract, w.agency_a, false, "Regularizado").await.expect("settled");
    app.transition_order(&admin, id, Command::Validate).await.expect("validated");

    // Adhesion policy of the agency's kind: at most 8 Mbps, one link.
    let policy = AdhesionPolicy {
        kind: AgencyKind::Compulsory,
        services: vec![ServiceLimit {
            service: "SCM".into(),
            label: "intranet".into(),
            max_links: Some(1),
            max_bandwidth_mbps: Some(8),
            redundancy_allowed: false,
        }],
        required_service: None,
    };
    let e = app.set_adhesion_policy(&manager_a, policy.clone()).await.expect_err("role");
    assert!(matches!(e, AppError::Forbidden(_)));
    app.set_adhesion_policy(&admin, policy).await.expect("policy");
    let e = app
        .create_order(&manager_b, OrderInput { spec: new_access(w.site_b, w.lot_6a), submit: true })
        .await
        .expect_err("policy");
    match e {
        AppError::Invalid(FieldError { field, rule: Rule::AdhesionPolicy { rule } }) => {
            assert_eq!(
                (field.as_str(), rule.as_str()),
                ("bandwidth_mbps", "intranet acima de 8 Mbps por link")
            )
        }
        other => panic!("{other:?}"),
    }
    // Cancellation: the agency only before the operator has it.
    let e = app.transition_order(&manager_a, id, Command::Cancel { reason: "desistimos".into() }).await;
    assert!(matches!(e, Err(AppError::Forbidden(_))), "{e:?}");
    let e =
        app.transition_order(&admin, id, Command::Cancel { reason: " ".into() }).await.expect_err("reason");
    assert!(matches!(&e, AppError::Invalid(FieldError { field, rule: Rule::Required }) if field == "reason"));
    let d = app
        .transition_order(&admin, id, Command::Cancel { reason: "Duplicada".into() })
        .await
        .expect("cancel");
    assert_eq!(d.row.order.status, OrderStatus::Cancelled);
    let e = app.transition_order(&admin, id, Command::Accept).await.expect_err("final");
    assert!(matches!(e, AppError::Invalid(FieldError { rule: Rule::ActionNotAllowed { .. }, .. })));
    // Numbers are sequential per year (with the policy lifted).
    let open = AdhesionPolicy { kind: AgencyKind::Compulsory, services: vec![], required_service: None };
    app.set_adhesion_policy(&admin, open).await.expect("lifted");
    let again = app
        .create_order(&admin, OrderInput { spec: new_access(w.site_a, w.lot_1a), submit: false })
        .await
        .expect("second");
    assert_eq!(again.row.order.number, "OS-2026-000002");
}
