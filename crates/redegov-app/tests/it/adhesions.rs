//! Joining the network through the use cases, on both backends: a
//! municipality's adhesion from request to approval (returned once,
//! documents checked, the committee approving), its responsible persons
//! becoming agency managers through an invitation link, the technical form
//! allocating its blocks, suspension following delinquency and blocking
//! order validation, a change of person revoking the old account at once,
//! ratification and its reminder job, and a withdrawal refused while
//! services remain. Bad input is named with nothing written; every role is
//! tried on every action.

use super::invoices::mails;
use super::orders::new_access;
use super::{actor, app, audit_count, cnpj, world};
use redegov_app::adhesions::DocumentInput;
use redegov_app::ipam::NewPool;
use redegov_app::orders::OrderInput;
use redegov_app::responsibles::{AdhesionSettings, FormPools};
use redegov_app::{Actor, App, AppError};
use redegov_domain::adhesion::*;
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::*;
use redegov_domain::inventory::{AgencyKind, NewAgency};
use redegov_domain::order::Command;
use redegov_domain::role::{Role, Scope};
use redegov_test_support::{FakeClock, TEST_NOW, TestDb, on_both_backends};

on_both_backends!(
    a_municipality_joins_and_its_people_get_accounts,
    suspension_withdrawal_and_order_validation,
    bad_input_is_named_and_nothing_is_written,
    every_role_on_every_action,
    ratification_reminders_follow_the_election_date
);

const PDF: &[u8] = b"%PDF-1.7\n% assinado digitalmente\n%%EOF\n";

fn noc() -> Actor {
    actor(Role::NetworkManager, Scope::All)
}

fn committee() -> Actor {
    actor(Role::Committee, Scope::All)
}

fn invalid(e: AppError) -> (String, Rule) {
    match e {
        AppError::Invalid(FieldError { field, rule }) => (field, rule),
        other => panic!("expected a broken rule, got {other:?}"),
    }
}

fn person(position: &str, name: &str, cpf_base: &str, email: &str) -> PersonInput {
    PersonInput {
        position: position.into(),
        name: name.into(),
        cpf: redegov_domain::document::Cpf::from_base(cpf_base).expect("cpf").masked(),
        registration: "12345".into(),
        email: email.into(),
        phone: "(35) 3551-1234".into(),
        mobile: String::new(),
        job_title: "Diretor(a) de TI".into(),
        department: "Tecnologia".into(),
    }
}

fn doc(kind: DocumentKind) -> DocumentInput {
    DocumentInput {
        kind: kind.as_str().into(),
        name: format!("{}.pdf", kind.as_str()),
        content_type: "application/pdf".into(),
        data: PDF.to_vec(),
    }
}

async fn municipality(app: &App, name: &str, base: &str) -> AgencyId {
    app.create_agency(
        &Actor::system(),
        NewAgency::new(name, name, &cnpj(base), AgencyKind::Municipality).expect("v"),
    )
    .await
    .expect("agency")
    .id
}

fn form(private: i64, public: i64) -> TechnicalFormInput {
    TechnicalFormInput {
        applications: vec![("SEI".into(), "Casa Civil".into()), ("Detran Online".into(), "Detran".into())],
        private_blocks: private,
        public_blocks: public,
        contact_name: "João Técnico".into(),
        contact_phone: "(35) 3551-9999".into(),
        contact_email: "ti@ouropreto.mg.gov.br".into(),
    }
}

/// The token of the last invitation e-mailed to `email`.
async fn invitation_token(app: &App, email: &str) -> String {
    let mail = mails(app, "user.invited")
        .await
        .into_iter()
        .find(|m| m.recipients.iter().any(|r| r == email))
        .expect("invitation e-mailed");
    let link = mail.link.expect("link");
    link.rsplit('/').next().expect("token").to_string()
}

async fn a_municipality_joins_and_its_people_get_accounts(db: TestDb) {
    let app = app(&db).await;
    let noc = noc();
    let city = municipality(&app, "Prefeitura de Ouro Preto", "565656560001").await;

    // The UGO files the request the municipality sent, with Annex I and II.
    let d = app.request_adhesion(&noc, city, "Ofício 12/2026").await.expect("request");
    let id = d.adhesion.id;
    assert_eq!((d.adhesion.status, d.adhesion.number.as_str()), (AdhesionStatus::Requested, "AD-2026/0001"));
    assert_eq!(d.required.len(), 3);
    assert!(
        matches!(invalid(app.request_adhesion(&noc, city, "").await.expect_err("refused")), (f, Rule::Duplicate) if f == "agency_id")
    );
    assert_eq!(mails(&app, "adhesion.requested").await.len(), 0, "no one has an address yet");
    let r = app
        .request_responsibles(
            &noc,
            city,
            &[
                person("primary", "Ana Gestora", "123456789", "ana@ouropreto.mg.gov.br"),
                person("substitute", "Bruno Substituto", "987654321", "bruno@ouropreto.mg.gov.br"),
            ],
            "Anexo I",
        )
        .await
        .expect("persons");
    assert_eq!((r.kind, r.status), (RequestKind::Inclusion, RequestStatus::Pending));
    let f = app.submit_technical_form(&noc, city, form(2, 1)).await.expect("form");
    assert_eq!(f.form.applications.len(), 2);

    // Reviewed, returned for a missing document, resubmitted.
    app.act_on_adhesion(&noc, id, AdhesionAction::Review, "").await.expect("review");
    let e = app.act_on_adhesion(&committee(), id, AdhesionAction::Approve, "").await.expect_err("refused");
    assert_eq!(
        invalid(e),
        ("documents".into(), Rule::MissingDocument { document: DocumentKind::AdhesionRequest.label() })
    );
    let e = app.act_on_adhesion(&noc, id, AdhesionAction::Approve, "").await.expect_err("refused");
    assert!(matches!(e, AppError::Forbidden(_)), "the committee approves a municipality");
    app.act_on_adhesion(&noc, id, AdhesionAction::Return, "Falta o ofício assinado").await.expect("return");
    for kind in [DocumentKind::AdhesionRequest, DocumentKind::ResponsiblesForm, DocumentKind::TechnicalForm] {
        let meta = app.attach_adhesion_document(&noc, id, doc(kind)).await.expect("attach");
        assert_eq!(meta.sha256, redegov_app::penalties::sha256_hex(PDF));
    }
    app.act_on_adhesion(&noc, id, AdhesionAction::Resubmit, "").await.expect("resubmit");
    app.act_on_adhesion(&noc, id, AdhesionAction::Review, "").await.expect("review");
    let queue = app.adhesion_queue(&committee()).await.expect("queue");
    assert_eq!(queue.iter().map(|(a, _)| a.id).collect::<Vec<_>>(), vec![id]);
    assert!(queue[0].1.contains(&AdhesionAction::Approve));
    assert!(app.adhesion_queue(&noc).await.expect("queue").is_empty(), "nothing waits for the UGO");

    // The committee approves: the persons become active with accounts.
    let d = app.act_on_adhesion(&committee(), id, AdhesionAction::Approve, "").await.expect("approve");
    assert_eq!(d.adhesion.status, AdhesionStatus::Approved);
    assert!(d.adhesion.decided_at.is_some());
    let steps: Vec<_> = d.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        steps,
        ["create", "review", "return", "attach", "attach", "attach", "resubmit", "review", "approve"]
    );
    assert!(d.persons.iter().all(|p| p.status == PersonStatus::Active && p.user_id.is_some()));
    let doc_id = d.documents[0].id;
    assert_eq!(app.adhesion_document(&noc, id, doc_id).await.expect("doc").data, PDF);

    // Ana sets her password through the invitation and signs in as the
    // municipality's manager; the link works once.
    let token = invitation_token(&app, "ana@ouropreto.mg.gov.br").await;
    assert!(matches!(
        app.login("ana@ouropreto.mg.gov.br", "senha-bem-longa").await,
        Err(AppError::Unauthenticated)
    ));
    let login = app.accept_invitation(&token, "senha-bem-longa").await.expect("accept");
    assert_eq!(login, "ana@ouropreto.mg.gov.br");
    let ana = app.login(&login, "senha-bem-longa").await.expect("login");
    assert_eq!((ana.actor.role, ana.actor.scope), (Role::AgencyManager, Scope::Agency(city)));
    assert!(matches!(app.accept_invitation(&token, "outra-senha-longa").await, Err(AppError::NotFound(_))));
    // Ana reads her adhesion with the CPFs whole; the committee sees them masked.
    assert!(app.get_adhesion(&ana.actor, id).await.expect("own").sees_cpf);
    assert!(!app.get_adhesion(&committee(), id).await.expect("read").sees_cpf);
    assert_eq!(mails(&app, "user.invited").await.len(), 2);

    // The technical form is approved: three blocks in one go.
    let sys = Actor::system();
    let private = app
        .create_ip_pool(
            &sys,
            NewPool { name: "Priv".into(), cidr: "10.200.0.0/16".into(), visibility: "private".into() },
        )
        .await
        .expect("pool");
    let public = app
        .create_ip_pool(
            &sys,
            NewPool { name: "Pub".into(), cidr: "200.1.1.0/24".into(), visibility: "public".into() },
        )
        .await
        .expect("pool");
    let e = app
        .decide_technical_form(
            &noc,
            f.id,
            true,
            "",
            FormPools { private_pool: Some(public.id), public_pool: None },
        )
        .await
        .expect_err("refused");
    assert_eq!(invalid(e), ("private_pool_id".into(), Rule::OneOf(&["private"])));
    let (decided, blocks) = app
        .decide_technical_form(
            &noc,
            f.id,
            true,
            "",
            FormPools { private_pool: Some(private.id), public_pool: Some(public.id) },
        )
        .await
        .expect("approve form");
    assert_eq!(decided.status, RequestStatus::Approved);
    let cidrs: Vec<String> = blocks.iter().map(|b| b.cidr.to_string()).collect();
    assert_eq!(cidrs, ["10.200.0.0/28", "10.200.0.16/28", "200.1.1.0/30"]);
    assert_eq!(app.list_ip_blocks(&ana.actor, None).await.expect("own blocks").len(), 3);

    // A change of primary: Ana's account stops working at once.
    let r = app
        .request_responsibles(
            &ana.actor,
            city,
            &[person("primary", "Carla Nova", "111222333", "carla@ouropreto.mg.gov.br")],
            "Nova gestão",
        )
        .await
        .expect("change");
    assert_eq!(r.kind, RequestKind::Change);
    let e = app.request_responsibles(&ana.actor, city, &[], "").await.expect_err("refused");
    assert!(matches!(e, AppError::Conflict { .. }), "one pending request at a time");
    assert!(matches!(app.decide_responsibles(&ana.actor, r.id, true, "").await, Err(AppError::Forbidden(_))));
    app.decide_responsibles(&noc, r.id, true, "").await.expect("approve change");
    assert!(matches!(app.session(&ana.token).await, Err(AppError::Unauthenticated)), "revoked at once");
    let persons = app.list_persons(&noc, Some(city), true).await.expect("persons");
    let status_of = |name: &str| persons.iter().find(|p| p.person.name == name).map(|p| p.status);
    assert_eq!(status_of("Ana Gestora"), Some(PersonStatus::Replaced));
    assert_eq!(status_of("Carla Nova"), Some(PersonStatus::Active));

    // Removing Bruno revokes his account too; a ratification confirms Carla.
    let bruno = persons.iter().find(|p| p.person.name == "Bruno Substituto").expect("bruno").clone();
    let bruno_login = app
        .accept_invitation(&invitation_token(&app, "bruno@ouropreto.mg.gov.br").await, "senha-do-bruno")
        .await
        .expect("bruno");
    app.login(&bruno_login, "senha-do-bruno").await.expect("bruno signs in");
    assert_eq!(
        invalid(app.remove_responsible(&noc, bruno.id, " ").await.expect_err("refused")).1,
        Rule::Required
    );
    app.remove_responsible(&noc, bruno.id, "Exonerado").await.expect("remove");
    assert!(matches!(app.login(&bruno_login, "senha-do-bruno").await, Err(AppError::Unauthenticated)));
    let r = app.request_responsibles(&noc, city, &[], "Ratificação pós-eleição").await.expect("ratify");
    assert_eq!(r.kind, RequestKind::Ratification);
    let e = app.decide_responsibles(&noc, r.id, false, "").await.expect_err("refused");
    assert_eq!(invalid(e).1, Rule::Required, "a refusal says why");
    app.decide_responsibles(&noc, r.id, true, "").await.expect("ratified");
}

async fn suspension_withdrawal_and_order_validation(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let noc = noc();
    let admin = actor(Role::Admin, Scope::All);
    let contract = actor(Role::ContractManager, Scope::All);
    let manager_a = actor(Role::AgencyManager, Scope::Agency(w.agency_a));

    // Agency A (compulsory) asks to join; its order waits for the approval.
    let id = app.request_adhesion(&manager_a, w.agency_a, "").await.expect("request").adhesion.id;
    let order = app
        .create_order(&manager_a, OrderInput { spec: new_access(w.site_a, w.lot_1a), submit: true })
        .await
        .expect("order")
        .row
        .order
        .id;
    let e = app.transition_order(&noc, order, Command::Validate).await.expect_err("refused");
    assert_eq!(invalid(e), ("agency_id".into(), Rule::AdhesionNotApproved { status: "requested" }));
    app.attach_adhesion_document(&manager_a, id, doc(DocumentKind::ParticipationDeclaration))
        .await
        .expect("doc");
    app.request_responsibles(
        &manager_a,
        w.agency_a,
        &[
            person("primary", "Gestor A", "222333444", "gestor@a.mg.gov.br"),
            person("substitute", "Subst A", "333444555", "subst@a.mg.gov.br"),
        ],
        "",
    )
    .await
    .expect("persons");
    app.act_on_adhesion(&noc, id, AdhesionAction::Review, "").await.expect("review");
    app.act_on_adhesion(&noc, id, AdhesionAction::Approve, "")
        .await
        .expect("the UGO approves a compulsory body");
    app.transition_order(&noc, order, Command::Validate).await.expect("validated once approved");

    // Delinquency suspends the adhesion, both ways.
    let audited = |app: App| async move {
        let f = redegov_app::AuditFilter {
            entity: Some("adhesion".into()),
            entity_id: Some(id.0),
            ..Default::default()
        };
        app.list_audit(&Actor::system(), &f, redegov_app::Page::all()).await.expect("audit").total
    };
    let before = audited(app.clone()).await;
    app.set_agency_delinquent(&contract, w.agency_a, true, "Débito em aberto").await.expect("delinquent");
    let d = app.get_adhesion(&admin, id).await.expect("get");
    assert_eq!(
        (d.adhesion.status, d.adhesion.note.as_str()),
        (AdhesionStatus::Suspended, "Débito em aberto")
    );
    assert_eq!(audited(app.clone()).await, before + 1, "the suspension is audited");
    assert_eq!(d.events.last().map(|e| e.action.as_str()), Some("suspend"));
    app.act_on_adhesion(&contract, id, AdhesionAction::Reinstate, "").await.expect("reinstate");
    assert!(!app.agency_is_delinquent(&admin, w.agency_a).await.expect("flag"));
    app.act_on_adhesion(&contract, id, AdhesionAction::Suspend, "Débito").await.expect("suspend");
    assert!(app.agency_is_delinquent(&admin, w.agency_a).await.expect("flag"));

    // Withdrawal: refused while the access and an order remain, naming them.
    let access = app
        .create_access(&Actor::system(), super::draft(w.site_a, w.lot_1a, &["10.1.1.1"]))
        .await
        .expect("access");
    let d = app
        .act_on_adhesion(&manager_a, id, AdhesionAction::RequestWithdrawal, "Encerramento")
        .await
        .expect("ask");
    assert_eq!(d.adhesion.status, AdhesionStatus::WithdrawalRequested);
    assert_eq!(d.remaining.len(), 2, "{:?}", d.remaining);
    app.attach_adhesion_document(&manager_a, id, doc(DocumentKind::WithdrawalLetter)).await.expect("letter");
    let audit = audit_count(&app).await;
    let e = app.act_on_adhesion(&noc, id, AdhesionAction::Withdraw, "").await.expect_err("refused");
    let (field, rule) = invalid(e);
    assert_eq!(field, "agency_id");
    let Rule::ServicesRemain { services } = rule else { panic!("{rule:?}") };
    assert!(services.contains(&format!("acesso #{}", access.id.0)), "{services}");
    assert!(services.contains("OS-2026-000001"), "{services}");
    assert_eq!(audit_count(&app).await, audit, "nothing written");
    let d = app.act_on_adhesion(&manager_a, id, AdhesionAction::CancelWithdrawal, "").await.expect("cancel");
    assert_eq!(d.adhesion.status, AdhesionStatus::Suspended, "still delinquent");

    // A municipality with nothing in service withdraws: its people lose
    // their accounts and its blocks go back to the pool.
    let city = municipality(&app, "Prefeitura de Mariana", "676767670001").await;
    let id = app.request_adhesion(&noc, city, "").await.expect("request").adhesion.id;
    for kind in [DocumentKind::AdhesionRequest, DocumentKind::ResponsiblesForm, DocumentKind::TechnicalForm] {
        app.attach_adhesion_document(&noc, id, doc(kind)).await.expect("doc");
    }
    app.request_responsibles(
        &noc,
        city,
        &[
            person("primary", "Maria", "444555666", "maria@mariana.mg.gov.br"),
            person("substitute", "José", "555666777", "jose@mariana.mg.gov.br"),
        ],
        "",
    )
    .await
    .expect("persons");
    app.act_on_adhesion(&noc, id, AdhesionAction::Review, "").await.expect("review");
    app.act_on_adhesion(&committee(), id, AdhesionAction::Approve, "").await.expect("approve");
    let pool = app
        .create_ip_pool(
            &admin,
            NewPool { name: "P".into(), cidr: "10.9.0.0/24".into(), visibility: "private".into() },
        )
        .await
        .expect("pool");
    app.allocate_ip_block(&noc, city, pool.id, 28).await.expect("block");
    let maria = actor(Role::AgencyManager, Scope::Agency(city));
    app.act_on_adhesion(&maria, id, AdhesionAction::RequestWithdrawal, "Desistência").await.expect("ask");
    app.attach_adhesion_document(&maria, id, doc(DocumentKind::WithdrawalLetter)).await.expect("letter");
    let d = app.act_on_adhesion(&noc, id, AdhesionAction::Withdraw, "").await.expect("withdrawn");
    assert_eq!(d.adhesion.status, AdhesionStatus::Withdrawn);
    assert!(d.persons.is_empty(), "no one answers for it any more");
    assert!(app.list_ip_blocks(&noc, Some(city)).await.expect("blocks").is_empty());
    let (_, free) = app.ip_pool_free(&noc, pool.id).await.expect("free");
    assert_eq!(free.iter().map(|c| c.to_string()).collect::<Vec<_>>(), ["10.9.0.0/24"]);
    // A withdrawn adhesion takes no documents, and a new request may follow.
    assert!(app.attach_adhesion_document(&noc, id, doc(DocumentKind::Other)).await.is_err());
    app.request_adhesion(&noc, city, "Nova adesão").await.expect("a new request");
}

async fn bad_input_is_named_and_nothing_is_written(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let noc = noc();
    let city = municipality(&app, "Prefeitura de Sabará", "787878780001").await;
    let id = app.request_adhesion(&noc, city, "").await.expect("request").adhesion.id;
    let audit = audit_count(&app).await;

    let mut wrong_cpf = person("substitute", "B", "987654321", "b@x.gov.br");
    wrong_cpf.cpf = "529.982.247-24".into();
    let e = app
        .request_responsibles(&noc, city, &[person("primary", "A", "123456789", "a@x.gov.br"), wrong_cpf], "")
        .await
        .expect_err("refused");
    assert_eq!(invalid(e), ("persons[1].cpf".into(), Rule::InvalidCpf));
    let e = app.submit_technical_form(&noc, city, form(21, 0)).await.expect_err("refused");
    assert_eq!(invalid(e), ("private_blocks".into(), Rule::BlockLimitReached { max: 20 }));
    let e = app.submit_technical_form(&noc, city, form(0, 2)).await.expect_err("refused");
    assert_eq!(invalid(e), ("public_blocks".into(), Rule::BlockLimitReached { max: 1 }));
    let mut not_pdf = doc(DocumentKind::AdhesionRequest);
    not_pdf.data = b"PK\x03\x04 a zip".to_vec();
    let e = app.attach_adhesion_document(&noc, id, not_pdf).await.expect_err("refused");
    assert_eq!(invalid(e).0, "file");
    let mut bad_kind = doc(DocumentKind::Other);
    bad_kind.kind = "selfie".into();
    assert_eq!(
        invalid(app.attach_adhesion_document(&noc, id, bad_kind).await.expect_err("refused")).0,
        "kind"
    );
    let e = app.act_on_adhesion(&noc, id, AdhesionAction::Return, "").await.expect_err("refused");
    assert_eq!(
        invalid(e),
        ("action".into(), Rule::ActionNotAllowed { action: "return", status: "requested" }),
        "returning needs a review first"
    );
    let e = app
        .set_adhesion_settings(&noc, AdhesionSettings { election_date: None, reminder_days: 0 })
        .await
        .expect_err("refused");
    assert_eq!(invalid(e).0, "reminder_days");
    assert!(app.list_persons(&noc, Some(city), true).await.expect("persons").is_empty());
    assert!(app.list_technical_forms(&noc, Some(city), false).await.expect("forms").is_empty());
    assert_eq!(audit_count(&app).await, audit, "nothing written");
    // An agency manager cannot act for another agency.
    let manager_a = actor(Role::AgencyManager, Scope::Agency(w.agency_a));
    let e = app.request_adhesion(&manager_a, w.agency_b, "").await.expect_err("refused");
    assert_eq!(invalid(e), ("agency_id".into(), Rule::UnknownReference));
    assert!(matches!(app.get_adhesion(&manager_a, id).await, Err(AppError::NotFound(_))));
}

async fn every_role_on_every_action(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let id = app.request_adhesion(&Actor::system(), w.agency_a, "").await.expect("request").adhesion.id;
    let roles = [
        (actor(Role::Admin, Scope::All), true),
        (actor(Role::NetworkManager, Scope::All), true),
        (actor(Role::ContractManager, Scope::All), true),
        (actor(Role::Committee, Scope::All), true),
        (actor(Role::Auditor, Scope::All), true),
        (actor(Role::AgencyManager, Scope::Agency(w.agency_a)), true),
        (actor(Role::AgencyManager, Scope::Agency(w.agency_b)), false),
        (actor(Role::Operator, Scope::Operator(w.alfa)), false),
    ];
    for (who, reads) in &roles {
        let got = app.get_adhesion(who, id).await;
        assert_eq!(got.is_ok(), *reads, "{:?} {:?}", who.role, who.scope);
        let listed = app.list_adhesions(who, Default::default(), redegov_app::Page::all()).await;
        match who.role {
            Role::Operator => assert!(matches!(listed, Err(AppError::Forbidden(_)))),
            _ => assert_eq!(listed.expect("list").total, i64::from(*reads)),
        }
        // Every action: allowed ones are exactly the domain's.
        let view_roles = |a: AdhesionAction| a.roles(AgencyKind::Compulsory).contains(&who.role);
        let result = app.act_on_adhesion(who, id, AdhesionAction::Review, "").await;
        if *reads && view_roles(AdhesionAction::Review) {
            assert!(result.is_ok(), "{:?} reviews", who.role);
            // Back to the start for the next role.
            app.act_on_adhesion(who, id, AdhesionAction::Return, "volta").await.expect("return");
            app.act_on_adhesion(who, id, AdhesionAction::Resubmit, "").await.expect("resubmit");
        } else if *reads {
            assert!(matches!(result, Err(AppError::Forbidden(_))), "{:?}", who.role);
        } else {
            assert!(result.is_err());
        }
    }
    // Rejection: a note is owed; the pending persons are refused with it,
    // and the agency may ask again.
    let noc = noc();
    app.request_responsibles(&noc, w.agency_a, &[person("primary", "P", "192837465", "p@a.gov.br")], "")
        .await
        .expect("persons");
    app.act_on_adhesion(&noc, id, AdhesionAction::Review, "").await.expect("review");
    let e = app.act_on_adhesion(&noc, id, AdhesionAction::Reject, " ").await.expect_err("no note");
    assert_eq!(invalid(e), ("note".into(), Rule::Required));
    let d = app.act_on_adhesion(&noc, id, AdhesionAction::Reject, "Órgão extinto").await.expect("reject");
    assert_eq!((d.adhesion.status, d.adhesion.note.as_str()), (AdhesionStatus::Rejected, "Órgão extinto"));
    assert!(d.persons.is_empty() && d.allowed.is_empty(), "a rejected adhesion is final");
    let persons = app.list_persons(&noc, Some(w.agency_a), true).await.expect("persons");
    assert_eq!(persons.iter().map(|p| p.status).collect::<Vec<_>>(), [PersonStatus::Rejected]);
    app.request_adhesion(&noc, w.agency_a, "Novo pedido").await.expect("asks again");

    // Suspend/reinstate are the contract manager's and admin's.
    let ops = app
        .act_on_adhesion(&actor(Role::Operator, Scope::Operator(w.alfa)), id, AdhesionAction::Review, "")
        .await;
    assert!(matches!(ops, Err(AppError::Forbidden(_))));
}

async fn ratification_reminders_follow_the_election_date(db: TestDb) {
    let clock = FakeClock::at(TEST_NOW);
    let app = App::new(db.store().await, clock.clone());
    let noc = noc();
    let city = municipality(&app, "Prefeitura de Itabirito", "898989890001").await;
    let id = app.request_adhesion(&noc, city, "").await.expect("request").adhesion.id;
    for kind in [DocumentKind::AdhesionRequest, DocumentKind::ResponsiblesForm, DocumentKind::TechnicalForm] {
        app.attach_adhesion_document(&noc, id, doc(kind)).await.expect("doc");
    }
    app.request_responsibles(
        &noc,
        city,
        &[
            person("primary", "Paula", "666777888", "paula@itabirito.mg.gov.br"),
            person("substitute", "Rui", "777888999", "rui@itabirito.mg.gov.br"),
        ],
        "",
    )
    .await
    .expect("persons");
    app.act_on_adhesion(&noc, id, AdhesionAction::Review, "").await.expect("review");
    app.act_on_adhesion(&committee(), id, AdhesionAction::Approve, "").await.expect("approve");

    assert_eq!(app.remind_ratifications().await.expect("job"), 0, "no election date set");
    let election = "2028-10-01".parse().expect("date");
    let s = AdhesionSettings { election_date: Some(election), reminder_days: 30 };
    assert!(matches!(app.set_adhesion_settings(&committee(), s).await, Err(AppError::Forbidden(_))));
    app.set_adhesion_settings(&noc, s).await.expect("settings");
    assert_eq!(app.remind_ratifications().await.expect("job"), 0, "before the election");
    clock.set("2028-10-02T09:00:00-03:00".parse().expect("t"));
    assert_eq!(app.remind_ratifications().await.expect("job"), 1);
    assert_eq!(app.remind_ratifications().await.expect("job"), 0, "once per period");
    let sent = mails(&app, "responsibles.ratification_due").await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].recipients.contains(&"paula@itabirito.mg.gov.br".to_string()));
    clock.set("2028-11-02T09:00:00-03:00".parse().expect("t"));
    assert_eq!(app.remind_ratifications().await.expect("job"), 1, "reminded again after 30 days");
    let r = app.request_responsibles(&noc, city, &[], "Ratificação").await.expect("ratify");
    app.decide_responsibles(&noc, r.id, true, "").await.expect("approved");
    clock.set("2028-12-15T09:00:00-03:00".parse().expect("t"));
    assert_eq!(app.remind_ratifications().await.expect("job"), 0, "ratified: no more reminders");
}
