//! The e-mail outbox end to end: queued inside the use case's transaction
//! (a rollback queues nothing), delivered to a real SMTP server (Debian
//! aiosmtpd) whose received message is read back, and failures retried on
//! the schedule until given up.

use super::world;
use redegov_app::auth::UserInput;
use redegov_app::mail::{
    self, Email, MailFilter, MailRecord, MailStatus, MailTransport, SmtpConfig, enqueue,
};
use redegov_app::{Actor, App, AppError, Page};
use redegov_domain::ids::{AgencyId, OperatorId, UserId};
use redegov_domain::mail::{MAX_ATTEMPTS, retry_delay};
use redegov_domain::role::{Role, Scope};
use redegov_test_support::smtp::{SmtpServer, closed_port};
use redegov_test_support::{FakeClock, TEST_NOW, TestDb, on_both_backends};
use std::sync::Arc;

const SUBJECT: &str = "Ordem de serviço OS-2026-000001 enviada à operadora";
const BODY: &str = "A ordem de serviço OS-2026-000001 do órgão Órgão A foi enviada à operadora Alfa.\n\
                    Prazo de instalação: 15/04/2026 (ação necessária).";
const LINK: &str = "https://redegov.example/ordens/1";
const FROM: &str = "redegov <redegov@localhost>";

async fn app_with_clock(db: &TestDb) -> (App, Arc<FakeClock>) {
    let clock = FakeClock::at(TEST_NOW);
    (App::new(db.store().await, clock.clone()), clock)
}

fn email(to: &[&str]) -> Email {
    Email {
        to: to.iter().map(|s| s.to_string()).collect(),
        subject: SUBJECT.into(),
        body_text: BODY.into(),
        link: Some(LINK.into()),
        kind: "order.sent",
        subject_ref: Some("order:1".into()),
    }
}

pub(super) async fn user(
    app: &App,
    login: &str,
    email: &str,
    role: Role,
    agency: Option<AgencyId>,
    op: Option<OperatorId>,
) {
    let input = UserInput {
        login: login.into(),
        name: login.into(),
        email: email.into(),
        role,
        agency_id: agency,
        operator_id: op,
        password: "test-password".into(),
    };
    app.create_user(&Actor::system(), input).await.expect("create user");
}

async fn all_mail(app: &App) -> Vec<MailRecord> {
    app.list_mail(&Actor::system(), &MailFilter::default(), Page::default()).await.expect("outbox").items
}

async fn queue(app: &App, to: &[&str]) -> i64 {
    let mut tx = app.store().write().await.expect("tx");
    let id = enqueue(&mut tx, app.now(), email(to)).await.expect("enqueue").expect("queued");
    tx.commit().await.expect("commit");
    id
}

fn transport_to(url: &str) -> MailTransport {
    MailTransport::new(&SmtpConfig::from_url(url, FROM).expect("config")).expect("transport")
}

on_both_backends!(outbox_follows_the_transaction_and_delivers_utf8, failed_sends_are_retried_then_given_up);

async fn outbox_follows_the_transaction_and_delivers_utf8(db: TestDb) {
    let (app, _clock) = app_with_clock(&db).await;
    let w = world(&app).await;
    user(&app, "gestor_a", "gestor.a@orgao-a.mg.gov.br", Role::AgencyManager, Some(w.agency_a), None).await;
    user(&app, "gestor_b", "gestor.b@orgao-b.mg.gov.br", Role::AgencyManager, Some(w.agency_b), None).await;
    user(&app, "alfa", "contato@alfa.com.br", Role::Operator, None, Some(w.alfa)).await;
    user(&app, "beta", "noc@beta.com.br", Role::Operator, None, Some(w.beta)).await;
    user(&app, "noc", "noc@prodemge.gov.br", Role::NetworkManager, None, None).await;
    user(&app, "noc_sem_email", "", Role::NetworkManager, None, None).await;
    user(&app, "noc_antigo", "antigo@prodemge.gov.br", Role::NetworkManager, None, None).await;
    let mut tx = app.store().write().await.expect("tx");
    let former = tx.user_by_login("noc_antigo").await.expect("user").id;
    tx.set_user_active(former, false).await.expect("deactivate");
    tx.commit().await.expect("commit");

    // Rolled back: nothing queued.
    let mut tx = app.store().write().await.expect("tx");
    let id = enqueue(&mut tx, app.now(), email(&["gestor.a@orgao-a.mg.gov.br"])).await.expect("enqueue");
    assert!(id.is_some());
    drop(tx);
    assert!(all_mail(&app).await.is_empty(), "a rolled-back transaction queues nothing");

    // No valid recipient: nothing queued, and no error.
    let mut tx = app.store().write().await.expect("tx");
    assert_eq!(enqueue(&mut tx, app.now(), email(&[])).await.expect("empty"), None);
    assert_eq!(enqueue(&mut tx, app.now(), email(&["", "sem arroba"])).await.expect("invalid"), None);
    tx.commit().await.expect("commit");
    assert!(all_mail(&app).await.is_empty());

    // Committed: queued once, recipients from the users table.
    let mut tx = app.store().write().await.expect("tx");
    let mut to = mail::agency_manager_emails(&mut tx, w.agency_a).await.expect("managers");
    assert_eq!(to, vec!["gestor.a@orgao-a.mg.gov.br"]);
    let operators = mail::operator_emails(&mut tx, &[w.alfa, w.beta]).await.expect("operators");
    assert_eq!(operators, vec!["contato@alfa.com.br", "noc@beta.com.br"]);
    assert!(mail::operator_emails(&mut tx, &[]).await.expect("none").is_empty());
    let noc = mail::network_manager_emails(&mut tx).await.expect("noc");
    assert_eq!(noc, vec!["noc@prodemge.gov.br"], "active users with an address only");
    to.extend(operators);
    to.extend(noc.clone());
    to.extend(noc.iter().map(|a| a.to_uppercase())); // a duplicate in another case
    let id = enqueue(&mut tx, app.now(), Email { to, ..email(&[]) }).await.expect("enqueue").expect("queued");
    tx.commit().await.expect("commit");
    let queued = all_mail(&app).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].id, id);
    assert_eq!(queued[0].status(), MailStatus::Pending);
    assert_eq!(queued[0].recipients.len(), 4, "the duplicate is dropped: {:?}", queued[0].recipients);

    // Who may read the outbox.
    let operator = Actor {
        user_id: UserId(0),
        login: "op".into(),
        role: Role::Operator,
        scope: Scope::Operator(w.alfa),
    };
    assert!(matches!(
        app.list_mail(&operator, &MailFilter::default(), Page::default()).await,
        Err(AppError::Forbidden(_))
    ));
    let noc_actor =
        Actor { user_id: UserId(0), login: "noc".into(), role: Role::NetworkManager, scope: Scope::All };
    let by_recipient = MailFilter { recipient: Some("Contato@Alfa.com.br".into()), ..MailFilter::default() };
    assert_eq!(app.list_mail(&noc_actor, &by_recipient, Page::default()).await.expect("list").total, 1);
    let other = MailFilter { recipient: Some("contato@alfa.com".into()), ..MailFilter::default() };
    assert_eq!(
        app.list_mail(&noc_actor, &other, Page::default()).await.expect("list").total,
        0,
        "whole addresses only"
    );

    let Some(server) = SmtpServer::start() else { return };
    let transport = transport_to(&server.url());
    let report = app.deliver_mail(&transport, 10).await.expect("deliver");
    assert_eq!((report.claimed, report.sent, report.failed, report.gave_up), (1, 1, 0, 0));
    let received = server.messages();
    assert_eq!(received.len(), 1);
    let m = &received[0];
    let mut rcpt = m.rcpt_tos.clone();
    rcpt.sort();
    assert_eq!(
        rcpt,
        vec!["contato@alfa.com.br", "gestor.a@orgao-a.mg.gov.br", "noc@beta.com.br", "noc@prodemge.gov.br"]
    );
    assert_eq!(m.mail_from, "redegov@localhost");
    assert!(m.from.contains("redegov@localhost"), "{}", m.from);
    assert_eq!(m.subject, SUBJECT);
    assert!(
        m.content_type.starts_with("text/plain") && m.content_type.to_lowercase().contains("utf-8"),
        "{}",
        m.content_type
    );
    assert_eq!(m.body.trim_end(), format!("{BODY}\n\nAcesse: {LINK}"));
    let raw_subject = m.raw.lines().find(|l| l.starts_with("Subject:")).expect("a Subject header");
    assert!(raw_subject.is_ascii() && raw_subject.contains("=?utf-8?"), "RFC 2047: {raw_subject}");
    assert!(m.raw.contains("Auto-Submitted: auto-generated"));
    assert!(m.raw.contains(&format!("Message-ID: <outbox.{id}.")), "stable id: {}", m.raw);

    let sent = all_mail(&app).await;
    assert_eq!((sent[0].status(), sent[0].attempts, sent[0].sent_at), (MailStatus::Sent, 1, Some(app.now())));
    let again = app.deliver_mail(&transport, 10).await.expect("deliver");
    assert_eq!(again.claimed, 0, "a sent message is never sent again");
    assert_eq!(server.messages().len(), 1);
    let pending = MailFilter { status: Some(MailStatus::Pending), ..MailFilter::default() };
    assert_eq!(app.list_mail(&noc_actor, &pending, Page::default()).await.expect("list").total, 0);
}

async fn failed_sends_are_retried_then_given_up(db: TestDb) {
    let (app, clock) = app_with_clock(&db).await;
    let nobody = transport_to(&format!("smtp://127.0.0.1:{}", closed_port()));

    // Unreachable server: retried on the schedule, then given up.
    let id = queue(&app, &["noc@prodemge.gov.br"]).await;
    let report = app.deliver_mail(&nobody, 10).await.expect("a failed send is not an error");
    assert_eq!((report.claimed, report.failed, report.gave_up), (1, 1, 0));
    let m = &all_mail(&app).await[0];
    assert_eq!((m.id, m.attempts, m.status()), (id, 1, MailStatus::Pending));
    assert_eq!(m.next_attempt_at.timestamp(), app.now().timestamp() + retry_delay(1));
    assert!(m.last_error.as_deref().is_some_and(|e| !e.is_empty()), "{:?}", m.last_error);
    assert_eq!(app.deliver_mail(&nobody, 10).await.expect("deliver").claimed, 0, "not due yet");
    clock.advance(retry_delay(1) - 1);
    assert_eq!(app.deliver_mail(&nobody, 10).await.expect("deliver").claimed, 0, "not due yet");
    clock.advance(1);
    for attempt in 2..=MAX_ATTEMPTS {
        let report = app.deliver_mail(&nobody, 10).await.expect("deliver");
        let expected = if attempt < MAX_ATTEMPTS { (1, 1, 0) } else { (1, 0, 1) };
        assert_eq!((report.claimed, report.failed, report.gave_up), expected, "attempt {attempt}");
        clock.advance(retry_delay(attempt));
    }
    let m = &all_mail(&app).await[0];
    assert_eq!((m.attempts, m.status(), m.failed_at.is_some()), (MAX_ATTEMPTS, MailStatus::Failed, true));
    clock.advance(30 * 86_400);
    assert_eq!(app.deliver_mail(&nobody, 10).await.expect("deliver").claimed, 0, "given up for good");

    // The real server: a temporary refusal is retried, a permanent one is
    // given up at once, and a message that failed before goes out later.
    let Some(server) = SmtpServer::start() else { return };
    let smtp = transport_to(&server.url());
    let late = queue(&app, &["gestor.a@orgao-a.mg.gov.br"]).await;
    assert_eq!(app.deliver_mail(&nobody, 10).await.expect("deliver").failed, 1);
    let temporary = queue(&app, &["adiar@alfa.com.br"]).await;
    let permanent = queue(&app, &["recusar@alfa.com.br"]).await;
    clock.advance(retry_delay(1));
    let report = app.deliver_mail(&smtp, 10).await.expect("deliver");
    assert_eq!((report.claimed, report.sent, report.failed, report.gave_up), (3, 1, 1, 1));
    let by_id = |id: i64, all: &[MailRecord]| all.iter().find(|m| m.id == id).cloned().expect("row");
    let all = all_mail(&app).await;
    assert_eq!((by_id(late, &all).status(), by_id(late, &all).attempts), (MailStatus::Sent, 2));
    let t = by_id(temporary, &all);
    assert_eq!((t.status(), t.attempts), (MailStatus::Pending, 1));
    assert!(t.last_error.as_deref().is_some_and(|e| e.contains("451")), "{:?}", t.last_error);
    let p = by_id(permanent, &all);
    assert_eq!((p.status(), p.attempts), (MailStatus::Failed, 1), "a 5xx is not retried");
    assert!(p.last_error.as_deref().is_some_and(|e| e.contains("550")), "{:?}", p.last_error);
    let received = server.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_tos, vec!["gestor.a@orgao-a.mg.gov.br"]);

    let failed = MailFilter { status: Some(MailStatus::Failed), ..MailFilter::default() };
    assert_eq!(app.list_mail(&Actor::system(), &failed, Page::default()).await.expect("list").total, 2);
}
