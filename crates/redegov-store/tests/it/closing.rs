//! The store's side of the monthly closing, on both backends: the lean
//! incident rows the measurement reads (which ones, in which order, with
//! their clock stops), and stored breaches coming back in one total order.

use super::fixture;
use redegov_domain::ids::*;
use redegov_domain::incident::{IncidentSource, IncidentStatus, Responsibility};
use redegov_domain::measure::{Month, Span, month_bounds};
use redegov_domain::money::Money;
use redegov_domain::time::{Timestamp, from_epoch, parse_instant};
use redegov_store::closing::{ClosingBreach, ClosingLine, ClosingRecord, LineFilter};
use redegov_store::incidents::NewIncident;
use redegov_test_support::{TestDb, on_both_backends};

const OCT: Month = Month { year: 2026, month: 10 };

fn t(s: &str) -> Timestamp {
    parse_instant("t", s).expect("instant")
}

fn incident(access: AccessId, from: &str, to: Option<&str>) -> NewIncident {
    NewIncident {
        access_id: access,
        probe_target: None,
        started_at: t(from),
        ended_at: to.map(t),
        responsibility: Responsibility::Operator,
        status: if to.is_some() { IncidentStatus::Resolved } else { IncidentStatus::Open },
        cause: "fibra".into(),
        ticket: String::new(),
        clock_stops: vec![],
        notes: String::new(),
        source: IncidentSource::Manual,
    }
}

on_both_backends!(
    incidents_for_the_measurement_are_lean_and_ordered,
    stored_breaches_come_back_in_one_total_order,
);

async fn incidents_for_the_measurement_are_lean_and_ordered(db: TestDb) {
    let store = db.store().await;
    let f = fixture(&store).await;
    let (a, c) = (f.access_a.id, f.access_c.id);
    let mut stopped = incident(c, "2026-10-03T10:00", Some("2026-10-03T16:00"));
    stopped.clock_stops =
        vec![Span::new(t("2026-10-03T11:00").timestamp(), t("2026-10-03T12:00").timestamp())];
    stopped.probe_target = Some("10.0.0.2".parse().expect("ip"));
    stopped.responsibility = Responsibility::Agency;
    let news = vec![
        incident(c, "2026-10-20T08:00", Some("2026-10-20T09:00")),
        incident(a, "2026-10-31T23:00", None),
        stopped,
        incident(a, "2026-09-30T23:00", Some("2026-10-01T01:00")),
        // Outside October: ended before it, started after it.
        incident(a, "2026-09-10T08:00", Some("2026-09-10T09:00")),
        incident(a, "2026-11-01T08:00", Some("2026-11-01T09:00")),
        // Same access and start as an earlier row: the id breaks the tie.
        incident(c, "2026-10-20T08:00", Some("2026-10-20T10:00")),
    ];
    let mut tx = store.write().await.expect("tx");
    let saved = tx.insert_incidents(&news, from_epoch(0)).await.expect("insert");
    tx.commit().await.expect("commit");
    let ids: Vec<IncidentId> = saved.iter().map(|i| i.id).collect();

    let mut tx = store.read().await.expect("tx");
    let got = tx.incidents_overlapping(month_bounds(OCT)).await.expect("load");
    assert_eq!(
        got.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![ids[3], ids[1], ids[2], ids[0], ids[6]],
        "by access, start, id; the open one included; September's and November's left out"
    );
    let open = &got[1];
    assert_eq!((open.access_id, open.ended_at), (a, None));
    let s = &got[2];
    assert_eq!(s.probe_target, Some("10.0.0.2".parse().expect("ip")));
    assert_eq!(s.responsibility, Responsibility::Agency);
    assert_eq!(
        (s.started_at, s.ended_at),
        (t("2026-10-03T10:00").timestamp(), Some(t("2026-10-03T16:00").timestamp()))
    );
    assert_eq!(s.clock_stops, news[2].clock_stops);
    assert!(got[0].clock_stops.is_empty() && got[0].probe_target.is_none());
}

async fn stored_breaches_come_back_in_one_total_order(db: TestDb) {
    let store = db.store().await;
    let f = fixture(&store).await;
    let (a, c) = (f.access_a.id, f.access_c.id);
    let mut tx = store.write().await.expect("tx");
    let saved = tx
        .insert_incidents(
            &[
                incident(a, "2026-10-20T08:00", Some("2026-10-20T16:00")),
                incident(a, "2026-10-05T08:00", Some("2026-10-05T16:00")),
                incident(c, "2026-10-07T08:00", Some("2026-10-07T16:00")),
            ],
            from_epoch(0),
        )
        .await
        .expect("incidents");
    let line = |access_id: AccessId, lot_id: LotId| ClosingLine {
        access_id,
        agency_id: f.agency.id,
        lot_id,
        rules_id: None,
        monthly_price: Money::from_centavos(100_000),
        period_seconds: 2_678_400,
        billable_seconds: 2_678_400,
        downtime_seconds: 57_600,
        availability_micro: 978_494,
        target_micro: 995_000,
        charge: Money::from_centavos(100_000),
        credit: Money::from_centavos(2_151),
        net: Money::from_centavos(97_849),
        penalty: Money::ZERO,
    };
    let breach = |access_id, incident_id, kind: &str| ClosingBreach {
        access_id,
        incident_id,
        order_id: None,
        kind: kind.into(),
        measured: 1,
        target: 2,
    };
    // Written in no particular order.
    let breaches = vec![
        breach(c, Some(saved[2].id), "repair_time"),
        breach(a, Some(saved[1].id), "repair_time"),
        breach(c, None, "availability"),
        breach(a, Some(saved[0].id), "repair_time"),
        breach(a, None, "availability"),
    ];
    let header = ClosingRecord {
        id: 0,
        month: OCT.to_string(),
        closed_at: from_epoch(0),
        closed_by: None,
        inputs_fingerprint: "x".into(),
        rules_version: "default".into(),
        accesses: 2,
        charge: Money::from_centavos(200_000),
        credit: Money::from_centavos(4_302),
        net: Money::from_centavos(195_698),
    };
    let id = tx
        .insert_closing(&header, &[line(a, f.lot_a.id), line(c, f.lot_c.id)], &breaches)
        .await
        .expect("closing");
    tx.commit().await.expect("commit");

    let mut tx = store.read().await.expect("tx");
    let got = tx.closing_breaches(id, &LineFilter::default()).await.expect("breaches");
    let mut expected = breaches.clone();
    expected.sort_by(|x, y| x.order_key().cmp(&y.order_key()));
    assert_eq!(got, expected);
    assert_eq!(
        got.iter().map(|b| (b.access_id, b.incident_id)).collect::<Vec<_>>(),
        vec![(a, None), (a, Some(saved[0].id)), (a, Some(saved[1].id)), (c, None), (c, Some(saved[2].id))],
        "availability (no incident) first, then repair time by incident id"
    );
    let only_c = LineFilter { lot_id: Some(f.lot_c.id), ..Default::default() };
    let got = tx.closing_breaches(id, &only_c).await.expect("breaches");
    assert_eq!(got, expected[3..].to_vec());
}
