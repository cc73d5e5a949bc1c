//! Use-case tests on both backends: scope and role checks, one transaction
//! per use case (nothing half-written), the audit chain, CSV import and the
//! demo network.

mod adhesions;
mod calendar;
mod closing;
mod commitments;
mod golden;
mod import_incidents;
mod invoices;
mod ipam;
mod mail;
mod monitor;
mod orders;
mod penalties;
mod probing;

use redegov_app::import::ImportKind;
use redegov_app::inventory::AccessChange;
use redegov_app::{Actor, App, AppError, AuditFilter, InventoryFilter, Page};
use redegov_domain::error::Rule;
use redegov_domain::ids::*;
use redegov_domain::inventory::*;
use redegov_domain::money::Money;
use redegov_domain::role::{Role, Scope};
use redegov_test_support::{FakeClock, TEST_NOW, TestDb, on_both_backends};

fn actor(role: Role, scope: Scope) -> Actor {
    Actor { user_id: UserId(0), login: format!("{role:?}"), role, scope }
}

async fn app(db: &TestDb) -> App {
    App::new(db.store().await, FakeClock::at(TEST_NOW))
}

fn cnpj(base: &str) -> String {
    redegov_domain::document::Cnpj::from_base(base).expect("valid").as_str().to_string()
}

/// Two agencies with a site each; operator Alfa holds lot 1A (BH only),
/// consortium Alfa/Beta holds lot 6A (anywhere); a price table on both.
struct World {
    alfa: OperatorId,
    beta: OperatorId,
    lot_1a: LotId,
    lot_6a: LotId,
    agency_a: AgencyId,
    agency_b: AgencyId,
    site_a: SiteId,
    site_b: SiteId,
}

async fn world(app: &App) -> World {
    let sys = Actor::system();
    let alfa = app
        .create_operator(&sys, NewOperator::new("Alfa", &cnpj("111111110001")).expect("v"))
        .await
        .expect("op");
    let beta = app
        .create_operator(&sys, NewOperator::new("Beta", &cnpj("222222220001")).expect("v"))
        .await
        .expect("op");
    let consortium = app
        .create_consortium(
            &sys,
            NewConsortium::new(
                "Alfa/Beta",
                vec![
                    ConsortiumMember { operator_id: alfa.id, share_bp: 5000 },
                    ConsortiumMember { operator_id: beta.id, share_bp: 5000 },
                ],
            )
            .expect("v"),
        )
        .await
        .expect("consortium");
    let contract = app
        .create_contract(
            &sys,
            NewContract::new(
                "9/2026",
                "2026-01-01".parse().expect("d"),
                "2030-01-01".parse().expect("d"),
                Money::from_centavos(1_000_000_000),
            )
            .expect("v"),
        )
        .await
        .expect("contract");
    let lot = |code: &str, holder, region| {
        NewLot::new(contract.id, code, holder, Profile::I, region, "", None, None).expect("valid lot")
    };
    let lot_1a = app
        .create_lot(&sys, lot("1A", LotHolder::Operator(alfa.id), Region::from_codes(&[3106200]).expect("v")))
        .await
        .expect("lot");
    let lot_6a = app
        .create_lot(&sys, lot("6A", LotHolder::Consortium(consortium.id), Region::Any))
        .await
        .expect("lot");
    for l in [lot_1a.id, lot_6a.id] {
        for area in Area::ALL {
            app.create_price(
                &sys,
                NewPrice::new(
                    l,
                    "SCM",
                    10,
                    *area,
                    Money::from_centavos(100_000),
                    "2020-01-01".parse().expect("d"),
                    None,
                )
                .expect("v"),
            )
            .await
            .expect("price");
        }
    }
    let agency =
        |name: &str, acr: &str, base: &str| NewAgency::new(name, acr, &cnpj(base), AgencyKind::Compulsory);
    let agency_a =
        app.create_agency(&sys, agency("Órgão A", "OA", "333333330001").expect("v")).await.expect("a");
    let agency_b =
        app.create_agency(&sys, agency("Órgão B", "OB", "444444440001").expect("v")).await.expect("a");
    let site = |agency: AgencyId, ibge: u32, area| {
        NewSite::new(agency, "Sede", "Rua A, 1", ibge, area, Zone::Urban, Contact::default())
            .expect("valid site")
    };
    let site_a = app.create_site(&sys, site(agency_a.id, 3106200, Area::Capital)).await.expect("site");
    let site_b = app.create_site(&sys, site(agency_b.id, 3170206, Area::Interior)).await.expect("site");
    World {
        alfa: alfa.id,
        beta: beta.id,
        lot_1a: lot_1a.id,
        lot_6a: lot_6a.id,
        agency_a: agency_a.id,
        agency_b: agency_b.id,
        site_a: site_a.id,
        site_b: site_b.id,
    }
}

fn draft(site: SiteId, lot: LotId, targets: &[&str]) -> AccessDraft {
    AccessDraft {
        site_id: site,
        lot_id: lot,
        profile: None,
        service: "SCM".into(),
        bandwidth_mbps: 10,
        redundancy: if targets.len() == 2 { Redundancy::Critical } else { Redundancy::None },
        technology: Technology::Terrestrial,
        monthly_price: None,
        activated_at: None,
        probe_targets: targets.iter().map(|s| s.to_string()).collect(),
    }
}

async fn audit_count(app: &App) -> i64 {
    app.list_audit(&Actor::system(), &AuditFilter::default(), Page::default()).await.expect("audit").total
}

on_both_backends!(
    scopes_keep_agencies_and_operators_apart,
    roles_limit_changes,
    invalid_input_writes_nothing,
    audit_chain_records_and_detects_tampering,
    access_changes_reprice_and_follow_the_life_cycle,
    import_is_all_or_nothing,
    demo_network_loads_once,
);

async fn scopes_keep_agencies_and_operators_apart(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let sys = Actor::system();
    let on_1a = app.create_access(&sys, draft(w.site_a, w.lot_1a, &["10.0.0.1"])).await.expect("access");
    let on_6a = app.create_access(&sys, draft(w.site_b, w.lot_6a, &["10.0.0.2"])).await.expect("access");

    let manager_a = actor(Role::AgencyManager, Scope::Agency(w.agency_a));
    assert!(matches!(app.get_site(&manager_a, w.site_b).await, Err(AppError::NotFound(_))));
    assert!(matches!(app.get_access(&manager_a, on_6a.id).await, Err(AppError::NotFound(_))));
    assert!(matches!(app.get_agency(&manager_a, w.agency_b).await, Err(AppError::NotFound(_))));
    assert_eq!(app.get_site(&manager_a, w.site_a).await.expect("own site").id, w.site_a);
    let asked_b = InventoryFilter { agency_id: Some(w.agency_b), ..Default::default() };
    assert_eq!(app.list_sites(&manager_a, asked_b, Page::default()).await.expect("list").total, 0);
    let all = app.list_accesses(&manager_a, InventoryFilter::default(), Page::default()).await.expect("list");
    assert_eq!(all.items.iter().map(|r| r.access.id).collect::<Vec<_>>(), vec![on_1a.id]);

    let beta = actor(Role::Operator, Scope::Operator(w.beta));
    let seen = app.list_accesses(&beta, InventoryFilter::default(), Page::default()).await.expect("list");
    assert_eq!(
        seen.items.iter().map(|r| r.access.id).collect::<Vec<_>>(),
        vec![on_6a.id],
        "consortium lot only"
    );
    assert!(matches!(app.get_access(&beta, on_1a.id).await, Err(AppError::NotFound(_))));
    assert!(matches!(app.get_lot(&beta, w.lot_1a).await, Err(AppError::NotFound(_))));
    assert!(matches!(app.get_operator(&beta, w.alfa).await, Err(AppError::NotFound(_))));
    assert_eq!(
        app.list_operators(&beta, InventoryFilter::default(), Page::default()).await.expect("l").total,
        1
    );
    assert_eq!(app.get_site(&beta, w.site_b).await.expect("site of its access").id, w.site_b);
    assert!(matches!(app.get_site(&beta, w.site_a).await, Err(AppError::NotFound(_))));
    let alfa = actor(Role::Operator, Scope::Operator(w.alfa));
    assert_eq!(
        app.list_accesses(&alfa, InventoryFilter::default(), Page::default()).await.expect("l").total,
        2
    );
}

async fn roles_limit_changes(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let prices = app.list_prices(&Actor::system(), w.lot_1a).await.expect("prices");
    let price = prices[0].id;
    let reprice = |p: &Price| {
        NewPrice::new(
            p.lot_id,
            &p.service,
            p.bandwidth_mbps,
            p.area,
            Money::from_centavos(1),
            p.effective_from,
            None,
        )
    };
    let alfa = actor(Role::Operator, Scope::Operator(w.alfa));
    assert!(matches!(app.update_price(&alfa, price, reprice).await, Err(AppError::Forbidden(_))));
    let noc = actor(Role::NetworkManager, Scope::All);
    assert!(matches!(app.update_price(&noc, price, reprice).await, Err(AppError::Forbidden(_))));
    let ugs = actor(Role::ContractManager, Scope::All);
    assert_eq!(app.update_price(&ugs, price, reprice).await.expect("allowed").monthly_price.centavos(), 1);

    let manager_a = actor(Role::AgencyManager, Scope::Agency(w.agency_a));
    let site_in_b =
        NewSite::new(w.agency_b, "", "Rua B", 3106200, Area::Capital, Zone::Urban, Contact::default())
            .expect("valid");
    let err = app.create_site(&manager_a, site_in_b).await.expect_err("refused");
    assert!(matches!(err, AppError::Invalid(ref e) if e.field == "agency_id"), "{err:?}");
    assert!(matches!(
        app.create_access(&manager_a, draft(w.site_a, w.lot_1a, &["10.9.9.9"])).await,
        Err(AppError::Forbidden(_))
    ));
    for role in [Role::Committee, Role::Auditor] {
        let reader = actor(role, Scope::All);
        assert!(matches!(
            app.create_agency(
                &reader,
                NewAgency::new("X", "X", &cnpj("777777770001"), AgencyKind::Facultative).expect("v")
            )
            .await,
            Err(AppError::Forbidden(_))
        ));
    }
    assert!(
        app.list_audit(&actor(Role::Auditor, Scope::All), &AuditFilter::default(), Page::default())
            .await
            .is_ok()
    );
    assert!(matches!(
        app.list_audit(&actor(Role::ContractManager, Scope::All), &AuditFilter::default(), Page::default())
            .await,
        Err(AppError::Forbidden(_))
    ));
}

async fn invalid_input_writes_nothing(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let before = audit_count(&app).await;
    // Site in Uberlândia, lot 1A only covers Belo Horizonte.
    let err =
        app.create_access(&Actor::system(), draft(w.site_b, w.lot_1a, &["10.0.0.1"])).await.expect_err("no");
    assert!(
        matches!(err, AppError::Invalid(ref e) if e.field == "lot_id" && e.rule == Rule::OutsideLotRegion)
    );
    let err = app
        .create_access(&Actor::system(), draft(w.site_a, LotId(999), &["10.0.0.1"]))
        .await
        .expect_err("no");
    assert!(
        matches!(err, AppError::Invalid(ref e) if e.field == "lot_id" && e.rule == Rule::UnknownReference)
    );
    let dup = app
        .create_operator(&Actor::system(), NewOperator::new("Outra", &cnpj("111111110001")).expect("v"))
        .await;
    assert!(
        matches!(dup, Err(AppError::Invalid(ref e)) if e.field == "cnpj" && e.rule == Rule::Duplicate),
        "{dup:?}"
    );
    assert_eq!(audit_count(&app).await, before, "no audit entry for a refused change");
    let listed =
        app.list_accesses(&Actor::system(), InventoryFilter::default(), Page::default()).await.expect("l");
    assert_eq!(listed.total, 0);
    let in_use = app.delete_agency(&Actor::system(), w.agency_a).await;
    assert!(matches!(in_use, Err(AppError::Conflict { .. })), "{in_use:?}");
}

async fn audit_chain_records_and_detects_tampering(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let sys = Actor::system();
    app.update_agency(&sys, w.agency_a, |a| {
        NewAgency::new("Órgão A renomeado", &a.acronym, a.cnpj.as_str(), a.kind)
    })
    .await
    .expect("update");
    let filter =
        AuditFilter { entity: Some("agency".into()), entity_id: Some(w.agency_a.0), ..Default::default() };
    let entries = app.list_audit(&sys, &filter, Page::default()).await.expect("audit");
    assert_eq!(entries.total, 2, "create and update");
    let update = &entries.items[0].entry;
    assert_eq!(update.action, "update");
    assert!(update.before_json.as_deref().expect("before").contains("Órgão A\""));
    assert!(update.after_json.as_deref().expect("after").contains("Órgão A renomeado"));
    let report = app.verify_audit_chain(&sys).await.expect("verify");
    assert_eq!(report.first_broken, None);
    assert!(report.entries > 10);
    let mut tx = app.store().write().await.expect("tx");
    tx.tamper_audit_for_tests(3, "{\"forged\":true}").await.expect("tamper");
    tx.commit().await.expect("commit");
    assert_eq!(app.verify_audit_chain(&sys).await.expect("verify").first_broken, Some(3));
}

async fn access_changes_reprice_and_follow_the_life_cycle(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let sys = Actor::system();
    app.create_price(
        &sys,
        NewPrice::new(
            w.lot_1a,
            "SCM",
            20,
            Area::Capital,
            Money::from_centavos(150_000),
            "2020-01-01".parse().expect("d"),
            None,
        )
        .expect("v"),
    )
    .await
    .expect("price");
    let a = app.create_access(&sys, draft(w.site_a, w.lot_1a, &["10.0.0.1"])).await.expect("access");
    assert_eq!(
        (a.monthly_price.centavos(), a.price_overridden, a.status),
        (100_000, false, AccessStatus::Requested)
    );
    let up = app
        .update_access(&sys, a.id, AccessChange { bandwidth_mbps: Some(20), ..Default::default() })
        .await
        .expect("upgrade");
    assert_eq!(up.monthly_price.centavos(), 150_000, "re-priced from the table");
    let err = app
        .update_access(&sys, a.id, AccessChange { bandwidth_mbps: Some(30), ..Default::default() })
        .await
        .expect_err("no price for 30 Mbps");
    assert!(
        matches!(err, AppError::Invalid(ref e) if e.field == "monthly_price_centavos" && e.rule == Rule::NoPrice)
    );
    let err = app
        .update_access(
            &sys,
            a.id,
            AccessChange { status: Some((AccessStatus::Suspended, None)), ..Default::default() },
        )
        .await
        .expect_err("requested cannot be suspended");
    assert!(matches!(err, AppError::Invalid(ref e) if e.field == "status"));
    let active = app
        .update_access(
            &sys,
            a.id,
            AccessChange { status: Some((AccessStatus::Active, None)), ..Default::default() },
        )
        .await
        .expect("activate");
    assert_eq!(active.activated_at, Some(app.now()));
    let off = app.deactivate_access(&sys, a.id).await.expect("deactivate");
    assert_eq!(off.status, AccessStatus::Deactivated);
}

async fn import_is_all_or_nothing(db: TestDb) {
    let app = app(&db).await;
    let w = world(&app).await;
    let sys = Actor::system();
    let bad = format!(
        "site_id;lot_code;bandwidth_mbps;redundancy;technology;probe_targets\n\
         {a};1A;10;none;terrestrial;10.1.0.1\n\
         {b};1A;10;none;terrestrial;10.1.0.2\n\
         {a};1A;abc;none;terrestrial;10.1.0.3\n\
         {a};1A;10;critical;terrestrial;10.1.0.4\n",
        a = w.site_a.0,
        b = w.site_b.0
    );
    let err =
        app.import_csv(&sys, ImportKind::Accesses, bad.as_bytes(), &|_, _| {}).await.expect_err("rejected");
    let AppError::Rejected(problems) = err else { panic!("expected a rejected file, got {err:?}") };
    let found: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.column.as_str())).collect();
    assert_eq!(found, vec![(3, "lot_id"), (4, "bandwidth_mbps"), (5, "probe_targets")]);
    assert_eq!(
        app.list_accesses(&sys, InventoryFilter::default(), Page::default()).await.expect("l").total,
        0
    );

    let good = format!(
        "\u{feff}site_id,lot_code,bandwidth_mbps,redundancy,technology,probe_targets,monthly_price\n\
         {a},1A,10,none,terrestrial,10.1.0.1,\n\
         {b},6a,10,critical,terrestrial,10.1.0.2|10.1.0.3,\"1.234,56\"\n",
        a = w.site_a.0,
        b = w.site_b.0
    );
    let done = std::sync::atomic::AtomicUsize::new(0);
    let report = app
        .import_csv(&sys, ImportKind::Accesses, good.as_bytes(), &|d, _| {
            done.store(d, std::sync::atomic::Ordering::Relaxed)
        })
        .await
        .expect("imported");
    assert_eq!(report.rows, 2);
    assert_eq!(done.load(std::sync::atomic::Ordering::Relaxed), 2, "progress reached the end");
    let listed = app.list_accesses(&sys, InventoryFilter::default(), Page::default()).await.expect("l");
    let second = &listed.items[1].access;
    assert_eq!(second.monthly_price, Money::from_centavos(123_456));
    // Bulk inserts map ids back to their rows: the audit entry of the second
    // row's id holds the second row.
    let filter =
        AuditFilter { entity: Some("access".into()), entity_id: Some(second.id.0), ..Default::default() };
    let audited = app.list_audit(&sys, &filter, Page::default()).await.expect("audit");
    let after = audited.items[0].entry.after_json.as_deref().expect("after image");
    assert!(after.contains("\"monthly_price\":123456") && after.contains("10.1.0.3"), "{after}");
    assert_eq!(app.verify_audit_chain(&sys).await.expect("verify").first_broken, None);

    let header_only = "name,acronym\n";
    let err =
        app.import_csv(&sys, ImportKind::Agencies, header_only.as_bytes(), &|_, _| {}).await.expect_err("no");
    assert!(matches!(err, AppError::Rejected(ref p) if p[0].column == "cnpj" && p[0].line == 1));
}

async fn demo_network_loads_once(db: TestDb) {
    let app = app(&db).await;
    let loaded = app.load_demo().await.expect("load").expect("empty database");
    assert_eq!(loaded.users.len(), 6);
    let sys = Actor::system();
    let accesses =
        app.list_accesses(&sys, InventoryFilter::default(), Page { page: 1, page_size: 1 }).await.expect("l");
    assert!((2700..=2900).contains(&accesses.total), "{}", accesses.total);
    let agencies = app.list_agencies(&sys, InventoryFilter::default(), Page::default()).await.expect("l");
    assert!((55..=65).contains(&agencies.total));
    // Service orders at every stage, one of them paused by the agency.
    let orders =
        app.list_orders(&sys, redegov_app::OrderFilter::default(), Page::default()).await.expect("l");
    let mut statuses: Vec<&str> = orders.items.iter().map(|r| r.order.status.as_str()).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            "awaiting_agency_acceptance",
            "cancelled",
            "completed",
            "executed",
            "in_execution",
            "sent_to_operator",
            "submitted",
            "survey_done",
            "survey_scheduled"
        ]
    );
    assert!(loaded.summary.ends_with("9 ordens de serviço, 2 adesões"), "{}", loaded.summary);
    // Joining the network: one municipality approved with its blocks, one
    // waiting in the committee's queue.
    let committee = actor(Role::Committee, Scope::All);
    let queue = app.adhesion_queue(&committee).await.expect("queue");
    assert_eq!(queue.iter().map(|(a, _)| a.agency_acronym.as_str()).collect::<Vec<_>>(), ["PMMA"]);
    let blocks = app.list_ip_blocks(&sys, None).await.expect("blocks");
    assert_eq!(
        blocks.iter().map(|b| b.cidr.to_string()).collect::<Vec<_>>(),
        ["10.128.0.0/28", "10.128.0.16/28", "198.51.100.0/30"]
    );
    assert!(app.load_demo().await.expect("second load").is_none(), "never loaded twice");
    assert_eq!(app.verify_audit_chain(&sys).await.expect("verify").first_broken, None);
}
