//! The golden snapshot of the demo network's closing of October 2026 (with
//! its deterministic demo incidents and windows), on both backends: totals
//! per lot, every breach count and every line with a credit. The file is
//! reviewed like code; `UPDATE_GOLDEN=1` rewrites it, and a missing file
//! fails under `CI=true` instead of being written.

use super::actor;
use redegov_app::{Actor, App, InventoryFilter, Page};
use redegov_domain::ids::LotId;
use redegov_domain::measure::Month;
use redegov_domain::money::Money;
use redegov_domain::role::{Role, Scope};
use redegov_store::closing::LineFilter;
use redegov_test_support::{FakeClock, TestDb, on_both_backends};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::path::PathBuf;

const MONTH: Month = Month { year: 2026, month: 10 };

on_both_backends!(demo_closing_matches_the_golden_snapshot);

async fn demo_closing_matches_the_golden_snapshot(db: TestDb) {
    let app = App::new(db.store().await, FakeClock::at("2026-11-05T12:00:00-03:00"));
    app.load_demo().await.expect("load").expect("empty database");
    let manager = actor(Role::ContractManager, Scope::All);
    let preview = app.preview_month(&manager, MONTH, LineFilter::default()).await.expect("preview");
    let closing = app.close_month(&manager, MONTH, &|_, _, _| {}).await.expect("close");
    let closed = app.month_results(&manager, MONTH, LineFilter::default()).await.expect("results");
    assert_eq!(closed.lines, preview.lines, "the snapshot stores what the preview showed");
    assert_eq!(closed.inputs_fingerprint, preview.inputs_fingerprint);
    assert_eq!(closing.inputs_fingerprint, preview.inputs_fingerprint);

    let lots: HashMap<LotId, String> = app
        .list_lots(&Actor::system(), InventoryFilter::default(), Page::all())
        .await
        .expect("lots")
        .items
        .into_iter()
        .map(|l| (l.id, l.code))
        .collect();
    let actual = render(&closed, &lots);
    compare(&actual);
}

#[derive(Default)]
struct LotSum {
    accesses: usize,
    credited: usize,
    charge: Money,
    credit: Money,
    net: Money,
    penalty: Money,
    availability_breaches: usize,
    repair_breaches: usize,
}

fn render(r: &redegov_app::closing::MonthResults, lots: &HashMap<LotId, String>) -> String {
    let mut per_lot: BTreeMap<LotId, LotSum> = BTreeMap::new();
    let code = |id: LotId| lots.get(&id).map(String::as_str).unwrap_or("?");
    let lot_of: HashMap<_, _> = r.lines.iter().map(|l| (l.access_id, l.lot_id)).collect();
    for l in &r.lines {
        let s = per_lot.entry(l.lot_id).or_default();
        s.accesses += 1;
        s.credited += usize::from(l.credit > Money::ZERO);
        s.charge += l.charge;
        s.credit += l.credit;
        s.net += l.net;
        s.penalty += l.penalty;
    }
    for b in &r.breaches {
        let s = per_lot.entry(lot_of[&b.access_id]).or_default();
        match b.kind.as_str() {
            "availability" => s.availability_breaches += 1,
            _ => s.repair_breaches += 1,
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "# Demo network, closing of {MONTH}");
    let _ = writeln!(out, "inputs_fingerprint {}", r.inputs_fingerprint);
    let _ = writeln!(out, "rules_version {}", r.rules_version);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<5} {:>8} {:>8} {:>16} {:>14} {:>16} {:>14} {:>6} {:>6}",
        "lot", "accesses", "credited", "charge", "credit", "net", "penalty", "avail", "repair"
    );
    let mut total = LotSum::default();
    for (lot, s) in &per_lot {
        let _ = writeln!(
            out,
            "{:<5} {:>8} {:>8} {:>16} {:>14} {:>16} {:>14} {:>6} {:>6}",
            code(*lot),
            s.accesses,
            s.credited,
            s.charge.to_string(),
            s.credit.to_string(),
            s.net.to_string(),
            s.penalty.to_string(),
            s.availability_breaches,
            s.repair_breaches
        );
        total.accesses += s.accesses;
        total.credited += s.credited;
        total.charge += s.charge;
        total.credit += s.credit;
        total.net += s.net;
        total.penalty += s.penalty;
        total.availability_breaches += s.availability_breaches;
        total.repair_breaches += s.repair_breaches;
    }
    let _ = writeln!(
        out,
        "{:<5} {:>8} {:>8} {:>16} {:>14} {:>16} {:>14} {:>6} {:>6}",
        "total",
        total.accesses,
        total.credited,
        total.charge.to_string(),
        total.credit.to_string(),
        total.net.to_string(),
        total.penalty.to_string(),
        total.availability_breaches,
        total.repair_breaches
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "# Lines with a credit");
    let _ = writeln!(
        out,
        "{:<9} {:<4} {:>9} {:>9} {:>10} {:>12} {:>10} {:>12} {:>10}",
        "access", "lot", "billable", "downtime", "avail%", "charge", "credit", "net", "penalty"
    );
    for l in r.lines.iter().filter(|l| l.credit > Money::ZERO) {
        let _ = writeln!(
            out,
            "{:<9} {:<4} {:>9} {:>9} {:>10} {:>12} {:>10} {:>12} {:>10}",
            redegov_app::closing::access_designation(l.access_id),
            code(l.lot_id),
            l.billable_seconds,
            l.downtime_seconds,
            redegov_domain::measure::percent_text(l.availability_micro),
            l.charge.to_string(),
            l.credit.to_string(),
            l.net.to_string(),
            l.penalty.to_string()
        );
    }
    out
}

fn compare(actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/demo-2026-10.txt");
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match std::fs::read_to_string(&path) {
        Ok(expected) if !update => {
            if expected != actual {
                let first = expected
                    .lines()
                    .zip(actual.lines())
                    .position(|(e, a)| e != a)
                    .unwrap_or(expected.lines().count().min(actual.lines().count()));
                panic!(
                    "the demo closing differs from {} (first difference at line {}):\n\
                     expected: {:?}\n  actual: {:?}\n\
                     Review the change; if it is right, rerun with UPDATE_GOLDEN=1.",
                    path.display(),
                    first + 1,
                    expected.lines().nth(first),
                    actual.lines().nth(first)
                );
            }
        }
        Err(_) if ci && !update => panic!("{} is missing; create it with UPDATE_GOLDEN=1", path.display()),
        _ => {
            std::fs::write(&path, actual).expect("write the golden file");
            eprintln!("wrote {}", path.display());
        }
    }
}
