//! Budget commitments and the contract balance through the use cases, on
//! both backends: consumption is the closed months' nets (an open month
//! counts nothing), warnings and the months closed beyond a commitment,
//! scope (an agency sees its own rows; operators none), annulment, bad
//! input refused with nothing written.

use super::{actor, audit_count, draft, world};
use redegov_app::{Actor, App, AppError};
use redegov_domain::billing::DeductionKind;
use redegov_domain::commitment::{BalanceKey, BalanceSettings, BalanceStatus, NewCommitment};
use redegov_domain::inventory::LotHolder;
use redegov_domain::measure::Month;
use redegov_domain::money::Money;
use redegov_domain::role::{Role, Scope};
use redegov_domain::time::parse_instant;
use redegov_store::commitments::CommitmentFilter;
use redegov_store::deductions::NewDeduction;
use redegov_test_support::{FakeClock, TestDb, on_both_backends};

on_both_backends!(the_balance_follows_the_closed_months, commitments_are_scoped_and_validated);

fn m(c: i64) -> Money {
    Money::from_centavos(c)
}

fn commitment(agency: i64, lot: i64, number: &str, amount: i64) -> NewCommitment {
    NewCommitment {
        agency_id: agency,
        lot_id: lot,
        number: number.into(),
        fiscal_year: 2026,
        amount: m(amount),
        notes: String::new(),
    }
}

async fn the_balance_follows_the_closed_months(db: TestDb) {
    let app = App::new(db.store().await, FakeClock::at("2026-12-05T12:00:00-03:00"));
    let w = world(&app).await;
    let sys = Actor::system();
    let ugs = actor(Role::ContractManager, Scope::All);
    // R$ 1.000,00 a month from September on; no downtime.
    let mut d = draft(w.site_a, w.lot_1a, &["10.0.0.1"]);
    d.activated_at = Some(parse_instant("t", "2026-09-01T00:00").expect("t"));
    app.create_access(&sys, d).await.expect("access");
    app.create_commitment(&ugs, commitment(w.agency_a.0, w.lot_1a.0, "2026NE000001", 150_000))
        .await
        .expect("commitment");
    app.create_commitment(&ugs, commitment(w.agency_a.0, w.lot_1a.0, "2026NE000002", 50_000))
        .await
        .expect("second commitment");

    // Nothing closed yet: nothing consumed.
    let v = app.contract_balance(&ugs, 2026).await.expect("balance");
    let agency_row = |v: &redegov_app::commitments::BalanceView| {
        v.rows
            .iter()
            .find(|r| matches!(r.key, BalanceKey::AgencyLot { agency_id, .. } if agency_id == w.agency_a.0))
            .cloned()
            .expect("agency row")
    };
    let row = agency_row(&v);
    assert_eq!((row.committed, row.consumed, row.status), (m(200_000), m(0), BalanceStatus::Ok));

    // September closed: 1,000.00 of 2,000.00 → 50 %.
    app.close_month(&ugs, Month { year: 2026, month: 9 }, &|_, _, _| {}).await.expect("september");
    let row = agency_row(&app.contract_balance(&ugs, 2026).await.expect("balance"));
    assert_eq!(
        (row.consumed, row.remaining, row.consumed_basis_points),
        (m(100_000), m(100_000), Some(5_000))
    );
    assert_eq!(row.status, BalanceStatus::Ok);

    // A deduction applied in September (as a fine installment's part is,
    // when its month closes) lowers the month's net: the report shows it and
    // the balance consumes less.
    let mut tx = app.store().write().await.expect("tx");
    tx.insert_deductions(
        &[NewDeduction {
            month: "2026-09".into(),
            agency_id: w.agency_a,
            lot_id: w.lot_1a,
            operator_id: w.alfa,
            kind: DeductionKind::Penalty,
            source_id: 1,
            description: "Multa PM-2026/0001 — parcela 1 de 1".into(),
            amount: m(10_000),
        }],
        app.now(),
    )
    .await
    .expect("deduction");
    tx.commit().await.expect("commit");
    let report = app
        .billing_report(&ugs, Month { year: 2026, month: 9 }, w.agency_a, LotHolder::Operator(w.alfa))
        .await
        .expect("report");
    assert_eq!(report.deductions.len(), 1);
    assert_eq!((report.totals.deductions, report.totals.net), (m(10_000), m(90_000)));
    let row = agency_row(&app.contract_balance(&ugs, 2026).await.expect("balance"));
    assert_eq!(row.consumed, m(90_000));

    // The warning share lowered to 40 %: a warning.
    app.set_balance_settings(&ugs, BalanceSettings { warn_basis_points: 4_000 }).await.expect("settings");
    let row = agency_row(&app.contract_balance(&ugs, 2026).await.expect("balance"));
    assert_eq!(row.status, BalanceStatus::Warning);

    // October and November closed: 2,900.00 consumed against 2,000.00; the
    // months beyond the commitment are November only (October's 1,900.00
    // stays within it).
    app.close_month(&ugs, Month { year: 2026, month: 10 }, &|_, _, _| {}).await.expect("october");
    app.close_month(&ugs, Month { year: 2026, month: 11 }, &|_, _, _| {}).await.expect("november");
    let v = app.contract_balance(&ugs, 2026).await.expect("balance");
    let row = agency_row(&v);
    assert_eq!((row.consumed, row.remaining, row.status), (m(290_000), m(-90_000), BalanceStatus::Exceeded));
    assert_eq!(row.overruns.iter().map(|o| o.month.as_str()).collect::<Vec<_>>(), vec!["2026-11"]);
    // The contract row carries the ceiling and adds up its lots.
    let contract = &v.rows[0];
    assert!(matches!(contract.key, BalanceKey::Contract { .. }));
    assert_eq!(contract.consumed, m(290_000));
    assert_eq!(contract.ceiling_balance, contract.ceiling.map(|c| c - m(290_000)));

    // A lot ceiling appears on the lot's row.
    app.set_lot_ceiling(&ugs, w.lot_1a, Some(m(1_000_000))).await.expect("ceiling");
    let v = app.contract_balance(&ugs, 2026).await.expect("balance");
    let lot = v
        .rows
        .iter()
        .find(|r| matches!(r.key, BalanceKey::Lot { lot_id, .. } if lot_id == w.lot_1a.0))
        .expect("lot row");
    assert_eq!(lot.ceiling_balance, Some(m(710_000)));

    // An annulled commitment stops counting, and keeps its row.
    let first = app
        .list_commitments(&ugs, CommitmentFilter { fiscal_year: Some(2026), ..Default::default() })
        .await
        .expect("list")[0]
        .clone();
    app.cancel_commitment(&ugs, first.id, "empenho anulado pela SEF").await.expect("annulled");
    let row = agency_row(&app.contract_balance(&ugs, 2026).await.expect("balance"));
    assert_eq!(row.committed, m(50_000));
    let again = app.cancel_commitment(&ugs, first.id, "de novo").await.expect_err("twice");
    assert!(matches!(again, AppError::Conflict { .. }));
    assert_eq!(app.list_commitments(&ugs, CommitmentFilter::default()).await.expect("list").len(), 2);
}

async fn commitments_are_scoped_and_validated(db: TestDb) {
    let app = App::new(db.store().await, FakeClock::at("2026-12-05T12:00:00-03:00"));
    let w = world(&app).await;
    let ugs = actor(Role::ContractManager, Scope::All);
    let manager_a = actor(Role::AgencyManager, Scope::Agency(w.agency_a));
    let manager_b = actor(Role::AgencyManager, Scope::Agency(w.agency_b));
    let beta = actor(Role::Operator, Scope::Operator(w.beta));
    let noc = actor(Role::NetworkManager, Scope::All);

    // An agency manager registers for its own agency only.
    let own = app
        .create_commitment(&manager_a, commitment(w.agency_a.0, w.lot_1a.0, "2026NE000010", 10_000))
        .await
        .expect("own");
    let other = app
        .create_commitment(&manager_a, commitment(w.agency_b.0, w.lot_6a.0, "2026NE000011", 10_000))
        .await
        .expect_err("another agency");
    let AppError::Invalid(e) = other else { panic!("field error: {other:?}") };
    assert_eq!(e.field, "agency_id");
    app.create_commitment(&ugs, commitment(w.agency_b.0, w.lot_6a.0, "2026NE000011", 20_000))
        .await
        .expect("ugs");

    // Each sees its own; operators and the NOC are refused.
    let list = |a| app.list_commitments(a, CommitmentFilter::default());
    assert_eq!(list(&manager_a).await.expect("a").iter().map(|c| c.id).collect::<Vec<_>>(), vec![own.id]);
    assert_eq!(list(&manager_b).await.expect("b").len(), 1);
    assert_eq!(list(&ugs).await.expect("all").len(), 2);
    assert!(matches!(list(&beta).await, Err(AppError::Forbidden(_))));
    assert!(matches!(list(&noc).await, Err(AppError::Forbidden(_))));
    assert!(matches!(app.contract_balance(&beta, 2026).await, Err(AppError::Forbidden(_))));
    let rows = app.contract_balance(&manager_a, 2026).await.expect("balance").rows;
    assert!(
        rows.iter()
            .all(|r| matches!(r.key, BalanceKey::AgencyLot { agency_id, .. } if agency_id == w.agency_a.0)),
        "an agency sees its own rows only: {rows:?}"
    );
    // An agency manager may not annul, and another agency's commitment is not found.
    assert!(matches!(app.cancel_commitment(&manager_a, own.id, "x").await, Err(AppError::Forbidden(_))));
    assert!(matches!(app.cancel_commitment(&manager_b, own.id, "x").await, Err(AppError::NotFound(_))));
    assert!(matches!(
        app.set_balance_settings(&manager_a, BalanceSettings { warn_basis_points: 5_000 }).await,
        Err(AppError::Forbidden(_))
    ));

    // Bad input: the field named, nothing written.
    let audit_before = audit_count(&app).await;
    for (bad, field) in [
        (commitment(w.agency_a.0, w.lot_1a.0, "X", 0), "amount_centavos"),
        (commitment(w.agency_a.0, w.lot_1a.0, " ", 10), "number"),
        (NewCommitment { fiscal_year: 1990, ..commitment(w.agency_a.0, w.lot_1a.0, "Y", 10) }, "fiscal_year"),
        (commitment(w.agency_a.0, 999_999, "Z", 10), "lot_id"),
    ] {
        let e = app.create_commitment(&ugs, bad).await.expect_err("refused");
        let AppError::Invalid(e) = e else { panic!("field error: {e:?}") };
        assert_eq!(e.field, field);
    }
    let duplicate = app
        .create_commitment(&ugs, commitment(w.agency_a.0, w.lot_1a.0, "2026NE000010", 5))
        .await
        .expect_err("duplicate");
    assert!(matches!(duplicate, AppError::Conflict { field: Some(ref f), .. } if f == "number"));
    let bad_share = app.set_balance_settings(&ugs, BalanceSettings { warn_basis_points: 0 }).await;
    assert!(matches!(bad_share, Err(AppError::Invalid(ref e)) if e.field == "warn_basis_points"));
    assert_eq!(audit_count(&app).await, audit_before, "nothing written");
    assert_eq!(list(&ugs).await.expect("all").len(), 2);
}
