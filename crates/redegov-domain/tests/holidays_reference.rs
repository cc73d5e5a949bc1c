//! The Brazilian calendar against an independent reference: the holidays of
//! python-holidays (PyPI `holidays`, default PUBLIC category) for BR, BR-MG
//! and BR-SP from 2000 to 2050, date by date, and due dates of a few
//! thousand pseudo-random deadlines counted by a small Python version of
//! Lei 9.784/1999, art. 66 on python-holidays' calendar
//! (`scripts/holidays_reference.py`).
//!
//! The interpreter is `$REDEGOV_PYTHON` (default `python3`); `.ci/run`
//! installs the package in a venv and points the variable at it. Without
//! Python or the package the test says "skipped" — and fails when `CI=true`.
//!
//! Names are not compared: they are pt-BR text that both sides may word
//! differently ("Dia do Trabalho" / "Dia do Trabalhador") without any
//! consequence for a deadline. Our calendars here have Carnival and Corpus
//! Christi off, as python-holidays' PUBLIC category has them (they are in
//! its OPTIONAL category, like every ponto facultativo).

use chrono::NaiveDate;
use redegov_domain::calendar::{Calendar, DayUnit};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Differences from python-holidays that are right on our side, with the
/// reason. Each must still be seen, so a stale entry fails the test too.
/// Empty: python-holidays 0.109 and this calendar agree on every date.
const KNOWN_DIFFERENCES: &[KnownDifference] = &[];

struct KnownDifference {
    /// `BR`, `BR-MG` or `BR-SP`.
    calendar: &'static str,
    date: &'static str,
    /// Which side lists the date.
    only_in: Side,
    reason: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Python,
}

const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 2050;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Runs the script; `None` (after saying so) when Python or the package is
/// missing outside CI.
fn reference() -> Option<Value> {
    let python = std::env::var("REDEGOV_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/holidays_reference.py");
    let missing = |why: String| {
        assert!(
            !in_ci(),
            "python holidays reference is required when CI=true: {why}. Install it with \
             `python3 -m venv target/pyref && target/pyref/bin/pip install holidays` and set \
             REDEGOV_PYTHON=target/pyref/bin/python (.ci/run does both)"
        );
        eprintln!("skipped: python holidays not installed (pip install holidays) — {why}");
        None
    };
    let output = match Command::new(&python)
        .arg(&script)
        .args(["--first", &FIRST_YEAR.to_string(), "--last", &LAST_YEAR.to_string()])
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return missing(format!("no interpreter {python:?} (REDEGOV_PYTHON)"));
        }
        Err(e) => panic!("cannot run {python} {}: {e}", script.display()),
    };
    if output.status.code() == Some(3) {
        return missing(format!("{python} has no `holidays` module"));
    }
    assert!(
        output.status.success(),
        "{python} {} failed ({}):\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("the script prints one JSON object"))
}

fn date(v: &Value) -> NaiveDate {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not a date: {v}"))
}

fn calendar_of(subdiv: Option<&str>) -> Calendar {
    // carnival and corpus_christi stay false: python-holidays' PUBLIC category.
    subdiv.map(Calendar::for_state).unwrap_or_else(Calendar::national)
}

#[test]
fn calendars_and_deadlines_match_python_holidays() {
    let Some(reference) = reference() else { return };
    let version = reference["holidays_version"].as_str().unwrap_or("?");
    eprintln!("reference: python-holidays {version}");

    let mut differences = Vec::new();
    let mut compared = 0;
    for (key, subdiv) in [("BR", None), ("BR-MG", Some("MG")), ("BR-SP", Some("SP"))] {
        let cal = calendar_of(subdiv);
        for year in FIRST_YEAR..=LAST_YEAR {
            let theirs: BTreeSet<NaiveDate> = reference["calendars"][key][year.to_string()]
                .as_array()
                .unwrap_or_else(|| panic!("{key} {year} missing from the reference"))
                .iter()
                .map(|pair| date(&pair[0]))
                .collect();
            let ours: BTreeSet<NaiveDate> = cal.holidays(year).into_iter().map(|h| h.date).collect();
            assert!(ours.len() >= 8 && theirs.len() >= 8, "{key} {year}: too few holidays to compare");
            compared += ours.len();
            for d in ours.symmetric_difference(&theirs) {
                let side = if ours.contains(d) { Side::Ours } else { Side::Python };
                differences.push((key, d.to_string(), side));
            }
        }
    }
    assert!(compared > 3 * 51 * 8, "compared only {compared} dates");
    let unexplained: Vec<String> = differences
        .iter()
        .filter(|(key, d, side)| {
            !KNOWN_DIFFERENCES.iter().any(|k| k.calendar == *key && k.date == d && k.only_in == *side)
        })
        .map(|(key, d, side)| format!("{key} {d}: only in {side:?}"))
        .collect();
    assert!(
        unexplained.is_empty(),
        "holidays differ from python-holidays {version}:\n{}",
        unexplained.join("\n")
    );
    for k in KNOWN_DIFFERENCES {
        assert!(
            differences.iter().any(|(key, d, side)| *key == k.calendar && d == k.date && *side == k.only_in),
            "known difference {} {} ({}) no longer seen: remove it",
            k.calendar,
            k.date,
            k.reason
        );
    }

    let cases = reference["due"].as_array().expect("due cases");
    assert!(cases.len() >= 1000, "only {} due-date cases", cases.len());
    let calendars: Vec<(Option<&str>, Calendar, _)> = [None, Some("MG"), Some("SP")]
        .into_iter()
        .map(|subdiv| {
            let cal = calendar_of(subdiv);
            let compiled = cal.compile(FIRST_YEAR..=LAST_YEAR);
            (subdiv, cal, compiled)
        })
        .collect();
    let mut wrong = Vec::new();
    for case in cases {
        let (_, cal, compiled) = calendars
            .iter()
            .find(|(subdiv, ..)| *subdiv == case["subdiv"].as_str())
            .unwrap_or_else(|| panic!("unknown subdivision in {case}"));
        let start = date(&case["start"]);
        let days = case["days"].as_u64().and_then(|d| u32::try_from(d).ok()).expect("days");
        let unit = DayUnit::parse("unit", case["unit"].as_str().unwrap_or("")).expect("unit");
        let want = date(&case["due"]);
        let (plain, fast) = (cal.due(start, days, unit), compiled.due(start, days, unit));
        if plain != want || fast != want {
            wrong.push(format!("{case}: ours {plain} (compiled {fast})"));
        }
    }
    assert!(wrong.is_empty(), "{} of {} due dates differ:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
}
