//! Store tests, run on SQLite always and on PostgreSQL when
//! `TEST_DATABASE_URL` is set (mandatory in CI).

mod closing;

use chrono::NaiveDate;
use redegov_domain::document::Cnpj;
use redegov_domain::ids::*;
use redegov_domain::inventory::*;
use redegov_domain::money::Money;
use redegov_domain::time::parse_instant;
use redegov_store::inventory::InventoryFilter;
use redegov_store::{Backend, Page, Store, StoreError};
use redegov_test_support::{TestDb, on_both_backends};

fn cnpj(base: &str) -> Cnpj {
    Cnpj::from_base(base).expect("valid base")
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// Builds a small inventory: two operators, a consortium of both, a contract,
/// a lot per holder, an agency with a site and an access on each lot.
struct Fixture {
    op_a: Operator,
    op_b: Operator,
    lot_a: Lot,
    lot_c: Lot,
    agency: Agency,
    site: Site,
    access_a: Access,
    access_c: Access,
}

async fn fixture(store: &Store) -> Fixture {
    let mut tx = store.write().await.expect("tx");
    let op_a = tx
        .insert_operator(&NewOperator { name: "Alfa".into(), cnpj: cnpj("111111110001") })
        .await
        .expect("op");
    let op_b = tx
        .insert_operator(&NewOperator { name: "Beta".into(), cnpj: cnpj("222222220001") })
        .await
        .expect("op");
    let consortium = tx
        .insert_consortium(
            &NewConsortium::new(
                "Alfa/Beta",
                vec![
                    ConsortiumMember { operator_id: op_a.id, share_bp: 6000 },
                    ConsortiumMember { operator_id: op_b.id, share_bp: 4000 },
                ],
            )
            .expect("valid"),
        )
        .await
        .expect("consortium");
    let contract = tx
        .insert_contract(&NewContract {
            number: "001/2026".into(),
            starts_on: date("2026-01-01"),
            ends_on: date("2030-12-31"),
            ceiling: Money::from_centavos(100_000_000),
        })
        .await
        .expect("contract");
    let lot = |code: &str, holder, region| NewLot {
        contract_id: contract.id,
        code: code.into(),
        holder,
        profile: Profile::I,
        region,
        description: String::new(),
        starts_on: Some(date("2026-01-01")),
        ends_on: None,
    };
    let lot_a = tx
        .insert_lot(&lot(
            "1A",
            LotHolder::Operator(op_a.id),
            Region::Municipalities([3106200, 3118601].into()),
        ))
        .await
        .expect("lot");
    let lot_c =
        tx.insert_lot(&lot("6A", LotHolder::Consortium(consortium.id), Region::Any)).await.expect("lot");
    let agency = tx
        .insert_agency(&NewAgency {
            name: "Secretaria".into(),
            acronym: "SEF".into(),
            cnpj: cnpj("333333330001"),
            kind: AgencyKind::Compulsory,
        })
        .await
        .expect("agency");
    let site = tx
        .insert_site(
            &NewSite::new(
                agency.id,
                "Sede",
                "Rua A, 1",
                3106200,
                Area::Capital,
                Zone::Urban,
                Contact::default(),
            )
            .expect("valid"),
        )
        .await
        .expect("site");
    let now = parse_instant("t", "2026-03-01T12:00:00Z").expect("instant");
    let access = |lot: &Lot, ip: &str| NewAccess {
        site_id: site.id,
        lot_id: lot.id,
        profile: Profile::I,
        service: "SCM".into(),
        bandwidth_mbps: 10,
        redundancy: Redundancy::None,
        technology: Technology::Terrestrial,
        status: AccessStatus::Active,
        requested_at: now,
        activated_at: Some(now),
        monthly_price: Money::from_centavos(123_456),
        price_overridden: true,
        probe_targets: vec![ip.parse().expect("ip")],
    };
    let access_a = tx.insert_access(&access(&lot_a, "10.0.0.1")).await.expect("access");
    let access_c = tx.insert_access(&access(&lot_c, "10.0.0.2")).await.expect("access");
    tx.commit().await.expect("commit");
    Fixture { op_a, op_b, lot_a, lot_c, agency, site, access_a, access_c }
}

on_both_backends!(
    round_trips_every_entity,
    operator_scope_includes_consortium_lots,
    unique_and_reference_violations_are_classified,
    dropped_transaction_writes_nothing,
    lists_paginate_and_count,
    audit_head_serialises_appends,
);

async fn round_trips_every_entity(db: TestDb) {
    let store = db.store().await;
    let f = fixture(&store).await;
    let mut tx = store.read().await.expect("tx");
    assert_eq!(tx.operator(f.op_a.id).await.expect("op"), f.op_a);
    let lot = tx.lot(f.lot_a.id).await.expect("lot");
    assert_eq!(lot, f.lot_a);
    assert!(lot.region.contains(3118601));
    assert_eq!(tx.lot(f.lot_c.id).await.expect("lot").region, Region::Any);
    assert_eq!(tx.agency(f.agency.id).await.expect("agency"), f.agency);
    assert_eq!(tx.site(f.site.id).await.expect("site"), f.site);
    let row = tx.access(f.access_a.id).await.expect("access");
    assert_eq!(row.access, f.access_a);
    assert_eq!(row.agency_acronym, "SEF");
    assert_eq!(row.lot_code, "1A");
    assert_eq!(row.municipality_name, "Belo Horizonte");
    assert!(matches!(tx.operator(OperatorId(9999)).await, Err(StoreError::NotFound)));
}

async fn operator_scope_includes_consortium_lots(db: TestDb) {
    let store = db.store().await;
    let f = fixture(&store).await;
    let mut tx = store.read().await.expect("tx");
    let for_op = |op: OperatorId| InventoryFilter { operator_id: Some(op), ..Default::default() };
    let a = tx.list_accesses(&for_op(f.op_a.id), Page::default()).await.expect("list");
    assert_eq!(a.total, 2, "Alfa holds 1A alone and 6A through the consortium");
    let b = tx.list_accesses(&for_op(f.op_b.id), Page::default()).await.expect("list");
    assert_eq!(b.items.iter().map(|r| r.access.id).collect::<Vec<_>>(), vec![f.access_c.id]);
    assert!(tx.operator_holds_lot(f.op_b.id, f.lot_c.id).await.expect("q"));
    assert!(!tx.operator_holds_lot(f.op_b.id, f.lot_a.id).await.expect("q"));
    let lots = tx.list_lots(&for_op(f.op_b.id), Page::default()).await.expect("lots");
    assert_eq!(lots.items.iter().map(|l| l.code.as_str()).collect::<Vec<_>>(), vec!["6A"]);
}

async fn unique_and_reference_violations_are_classified(db: TestDb) {
    let store = db.store().await;
    let f = fixture(&store).await;
    let mut tx = store.write().await.expect("tx");
    let dup = tx.insert_operator(&NewOperator { name: "Outra".into(), cnpj: f.op_a.cnpj.clone() }).await;
    assert!(
        matches!(&dup, Err(e @ StoreError::Conflict(_)) if e.conflicting_field(&["cnpj"]) == Some("cnpj")),
        "{dup:?}"
    );
    drop(tx);
    let mut tx = store.write().await.expect("tx");
    let still_used = tx.delete_agency(f.agency.id).await;
    assert!(matches!(still_used, Err(StoreError::Reference(_))), "{still_used:?}");
}

async fn dropped_transaction_writes_nothing(db: TestDb) {
    let store = db.store().await;
    {
        let mut tx = store.write().await.expect("tx");
        tx.insert_operator(&NewOperator { name: "Fantasma".into(), cnpj: cnpj("444444440001") })
            .await
            .expect("op");
        // dropped without commit
    }
    let mut tx = store.read().await.expect("tx");
    assert_eq!(tx.list_operators(&InventoryFilter::default(), Page::default()).await.expect("list").total, 0);
    assert!(tx.inventory_is_empty().await.expect("q"));
}

async fn lists_paginate_and_count(db: TestDb) {
    let store = db.store().await;
    let mut tx = store.write().await.expect("tx");
    for i in 0..25 {
        tx.insert_agency(&NewAgency {
            name: format!("Órgão {i:02}"),
            acronym: format!("O{i:02}"),
            cnpj: cnpj(&format!("5555{i:04}0001")),
            kind: AgencyKind::Facultative,
        })
        .await
        .expect("agency");
    }
    tx.commit().await.expect("commit");
    let mut tx = store.read().await.expect("tx");
    let page2 =
        tx.list_agencies(&InventoryFilter::default(), Page { page: 2, page_size: 10 }).await.expect("list");
    assert_eq!(page2.total, 25);
    assert_eq!(page2.items.first().map(|a| a.acronym.as_str()), Some("O10"));
    let search = InventoryFilter { search: Some("órgão 2".into()), ..Default::default() };
    let found = tx.list_agencies(&search, Page::default()).await.expect("list");
    assert_eq!(found.total, 5, "Órgão 20–24");
}

async fn audit_head_serialises_appends(db: TestDb) {
    let store = db.store().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.write().await.expect("tx");
            let (seq, _) = tx.advance_audit_head().await.expect("advance");
            tx.commit().await.expect("commit");
            seq
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.expect("task"));
    }
    seqs.sort();
    assert_eq!(seqs, (1..=8).collect::<Vec<_>>(), "every writer got its own sequence number");
}

#[tokio::test]
async fn migrations_of_both_backends_have_the_same_schema() {
    let sqlite_db = TestDb::sqlite().await;
    let sqlite = sqlite_db.store().await.schema().await.expect("sqlite schema");
    assert!(
        sqlite.iter().any(|(t, c, k, _)| t == "accesses" && c == "monthly_price_centavos" && k == "integer")
    );
    let Some(pg_db) = TestDb::postgres().await else { return };
    let postgres = pg_db.store().await.schema().await.expect("postgres schema");
    assert_eq!(sqlite, postgres, "migrations/sqlite and migrations/postgres must stay in lock-step");
}

#[tokio::test]
async fn bad_urls_fail_with_one_line_naming_them() {
    let err = Store::connect("mysql://root@localhost/x").await.expect_err("refused");
    assert!(err.to_string().contains("mysql://root@localhost/x"), "{err}");
    assert_eq!(Backend::from_url("sqlite://x.db").ok(), Some(Backend::Sqlite));
    let err = Store::connect("postgres://nobody:secret@127.0.0.1:1/none").await.expect_err("unreachable");
    let text = err.to_string();
    assert!(text.contains("postgres://nobody:***@127.0.0.1:1/none"), "{text}");
    assert!(!text.contains("secret") && !text.contains('\n'), "{text}");
}
