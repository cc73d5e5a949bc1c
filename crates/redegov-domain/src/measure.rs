//! The monthly measurement (DOMAIN §6): billable time, operator downtime,
//! availability, charge, credit and net for one access in one month, in
//! whole seconds and integer centavos, each amount rounded once with
//! [`div_round`] (half away from zero).
//!
//! Pure interval arithmetic on epoch seconds; the caller supplies the month's
//! bounds ([`month_bounds`], midnight to midnight in the network's time zone)
//! and the access's incidents, approved maintenance and clock stops. It does
//! not decide responsibility (only operator-responsibility incidents are
//! passed in) and stores nothing.

use crate::money::Money;
use crate::time::NETWORK_TZ;
use chrono::{Datelike, NaiveDate, TimeZone};
use chrono_tz::Tz;

/// A half-open interval `[start, end)` of epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

impl Span {
    pub fn new(start: i64, end: i64) -> Span {
        Span { start, end }
    }

    pub fn seconds(self) -> i64 {
        (self.end - self.start).max(0)
    }

    /// The part of `self` inside `to`, if any.
    pub fn clip(self, to: Span) -> Option<Span> {
        let s = Span { start: self.start.max(to.start), end: self.end.min(to.end) };
        (s.start < s.end).then_some(s)
    }
}

/// The union of `spans`: sorted, overlaps and touching spans merged, empty
/// spans dropped.
pub fn union(spans: &[Span]) -> Vec<Span> {
    let mut sorted: Vec<Span> = spans.iter().copied().filter(|s| s.start < s.end).collect();
    sorted.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(sorted.len());
    for s in sorted {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// `a` minus `b`; both must be unions (sorted, disjoint).
pub fn subtract(a: &[Span], b: &[Span]) -> Vec<Span> {
    let mut out = Vec::with_capacity(a.len());
    let mut j = 0;
    for &span in a {
        let mut cur = span.start;
        while j < b.len() && b[j].end <= cur {
            j += 1;
        }
        let mut k = j;
        while k < b.len() && b[k].start < span.end {
            if b[k].start > cur {
                out.push(Span::new(cur, b[k].start));
            }
            cur = cur.max(b[k].end);
            k += 1;
        }
        if cur < span.end {
            out.push(Span::new(cur, span.end));
        }
    }
    out
}

/// The intersection of two unions.
pub fn intersect(a: &[Span], b: &[Span]) -> Vec<Span> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let s = Span::new(a[i].start.max(b[j].start), a[i].end.min(b[j].end));
        if s.start < s.end {
            out.push(s);
        }
        if a[i].end < b[j].end { i += 1 } else { j += 1 }
    }
    out
}

/// The seconds covered by disjoint `spans`.
pub fn total(spans: &[Span]) -> i64 {
    spans.iter().map(|s| s.seconds()).sum()
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// Parses `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Month> {
        let (y, m) = text.trim().split_once('-')?;
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| Month { year, month })
    }

    /// The month before.
    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { month: self.month - 1, ..self }
        }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { month: self.month + 1, ..self }
        }
    }

    fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }

    /// Days in the month (28–31).
    pub fn days(self) -> i64 {
        match (self.first_day(), self.next().first_day()) {
            (Some(a), Some(b)) => (b - a).num_days(),
            _ => 0,
        }
    }
}

/// The month as epoch seconds: from 00:00 of its first day to 00:00 of the
/// next month's first day in `tz`. (Midnight on the 1st always exists in
/// America/Sao_Paulo; a zone where it falls in a gap starts at the gap's end.)
pub fn month_bounds_in(month: Month, tz: Tz) -> Span {
    let start_of = |m: Month| -> i64 {
        let day = m.first_day().unwrap_or_default();
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        match tz.from_local_datetime(&midnight).earliest() {
            Some(t) => t.timestamp(),
            None => tz.from_utc_datetime(&midnight).timestamp(),
        }
    };
    Span::new(start_of(month), start_of(month.next()))
}

/// [`month_bounds_in`] the network's time zone.
pub fn month_bounds(month: Month) -> Span {
    month_bounds_in(month, NETWORK_TZ)
}

/// One period of operator-responsibility downtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    /// The incident it comes from (for the explanation trail).
    pub id: i64,
    /// `None`: the whole access was down; `Some(i)`: only link `i`.
    pub link: Option<usize>,
    pub span: Span,
    /// Intervals inside the outage spent waiting for the agency.
    pub clock_stops: Vec<Span>,
}

/// Everything the measurement of one access-month needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessMonth {
    pub monthly_price: Money,
    pub activated_at: Option<i64>,
    pub deactivated_at: Option<i64>,
    /// 1 for a simple access, 2 for a redundant one.
    pub links: usize,
    pub outages: Vec<Outage>,
    /// Approved maintenance windows covering this access.
    pub maintenance: Vec<Window>,
}

/// An approved maintenance window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub id: i64,
    pub span: Span,
}

/// The result for one access-month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measurement {
    pub period_seconds: i64,
    pub billable_seconds: i64,
    pub downtime_seconds: i64,
    /// Availability in units of 0.0001 % (1,000,000 = 100 %).
    pub availability_micro: i64,
    pub charge: Money,
    pub credit: Money,
    pub net: Money,
}

impl Measurement {
    /// `"99.8765"`: availability in percent with four decimals.
    pub fn availability_percent(&self) -> String {
        percent_text(self.availability_micro)
    }
}

/// A value in units of 0.0001 % (1,000,000 = 100 %) as `"99.8765"`: percent
/// with four decimals, the one text form of availabilities and targets.
pub fn percent_text(micro: i64) -> String {
    let sign = if micro < 0 { "-" } else { "" };
    let m = micro.unsigned_abs();
    format!("{sign}{}.{:04}", m / 10_000, m % 10_000)
}

/// Measures one access in one month, to the second.
pub fn measure(month: Span, a: &AccessMonth) -> Measurement {
    measure_with(month, a, 1)
}

/// Measures one access in one month with the contract's time granularity:
/// the downtime is rounded once to a whole number of `granularity_seconds`
/// (half away from zero, never above the billable time) before the credit
/// is computed. A granularity of 1 measures to the second.
pub fn measure_with(month: Span, a: &AccessMonth, granularity_seconds: i64) -> Measurement {
    let period = month.seconds();
    // Billable: from activation to deactivation, inside the month.
    let billable =
        a.activated_at.and_then(|on| Span::new(on, a.deactivated_at.unwrap_or(i64::MAX)).clip(month));
    let billable_seconds = billable.map_or(0, |b| b.seconds());
    let downtime_seconds = match billable {
        Some(b) => to_granularity(total(&downtime(b, a)), granularity_seconds).min(billable_seconds),
        None => 0,
    };
    let price = a.monthly_price;
    let charge = if period > 0 { price.mul_div(billable_seconds, period) } else { Money::ZERO };
    let credit = if period > 0 { price.mul_div(downtime_seconds, period).min(charge) } else { Money::ZERO };
    let availability_micro =
        crate::imr::availability_micro(billable_seconds - downtime_seconds, billable_seconds);
    Measurement {
        period_seconds: period,
        billable_seconds,
        downtime_seconds,
        availability_micro,
        charge,
        credit,
        net: charge - credit,
    }
}

fn to_granularity(seconds: i64, granularity: i64) -> i64 {
    if granularity <= 1 {
        return seconds;
    }
    let units = crate::money::div_round(i128::from(seconds), i128::from(granularity));
    i64::try_from(units).unwrap_or(0) * granularity
}

/// The counted downtime spans of an access inside `billable`: per link, the
/// union of its outages (minus their clock stops) and the whole-access ones;
/// the access is down only while every link is; approved maintenance is
/// excluded last.
pub fn downtime(billable: Span, a: &AccessMonth) -> Vec<Span> {
    let links = a.links.max(1);
    let counted = |o: &Outage| -> Vec<Span> {
        let inside: Vec<Span> = o.span.clip(billable).into_iter().collect();
        subtract(&inside, &union(&o.clock_stops))
    };
    let whole: Vec<Span> = a.outages.iter().filter(|o| o.link.is_none()).flat_map(counted).collect();
    let mut down: Option<Vec<Span>> = None;
    for link in 0..links {
        let mut spans = whole.clone();
        spans.extend(a.outages.iter().filter(|o| o.link == Some(link)).flat_map(counted));
        let link_down = union(&spans);
        down = Some(match down {
            None => link_down,
            Some(acc) => intersect(&acc, &link_down),
        });
    }
    let maintenance: Vec<Span> = a.maintenance.iter().map(|w| w.span).collect();
    subtract(&down.unwrap_or_default(), &union(&maintenance))
}

/// Splits `total` into parts proportional to `weights`, exact to the centavo:
/// each part is rounded down, and the centavos left go one by one to the
/// largest remainders (ties to the earlier part). Parts always sum to
/// `total`. With no positive weight, the first part takes everything.
pub fn split_largest_remainder(total: Money, weights: &[i64]) -> Vec<Money> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: i128 = weights.iter().map(|&w| i128::from(w.max(0))).sum();
    let whole = i128::from(total.centavos());
    if sum == 0 {
        let mut parts = vec![Money::ZERO; weights.len()];
        parts[0] = total;
        return parts;
    }
    let (sign, whole) = if whole < 0 { (-1, -whole) } else { (1, whole) };
    let mut parts: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let exact = whole * i128::from(w.max(0));
        parts.push(exact / sum);
        remainders.push((exact % sum, i));
    }
    let mut left = whole - parts.iter().sum::<i128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in &remainders {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts.into_iter().map(|p| Money::from_centavos(i64::try_from(sign * p).unwrap_or(0))).collect()
}

impl std::fmt::Display for Month {
    /// `YYYY-MM`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The month a date falls in.
pub fn month_of(date: NaiveDate) -> Month {
    Month { year: date.year(), month: date.month() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant;
    use proptest::prelude::*;

    fn t(s: &str) -> i64 {
        parse_instant("t", s).expect("instant").timestamp()
    }

    fn m(text: &str) -> Span {
        month_bounds(Month::parse(text).expect("month"))
    }

    fn outage(link: Option<usize>, from: &str, to: &str) -> Outage {
        Outage { id: 0, link, span: Span::new(t(from), t(to)), clock_stops: vec![] }
    }

    fn access(price: i64, outages: Vec<Outage>) -> AccessMonth {
        AccessMonth {
            monthly_price: Money::from_centavos(price),
            activated_at: Some(t("2020-01-01T00:00")),
            deactivated_at: None,
            links: 1,
            outages,
            maintenance: vec![],
        }
    }

    #[test]
    fn months_run_midnight_to_midnight_in_sao_paulo() {
        let oct = m("2026-10");
        assert_eq!(oct.start, t("2026-10-01T03:00:00Z"));
        assert_eq!(oct.seconds(), 31 * 86_400);
        assert_eq!(m("2024-02").seconds(), 29 * 86_400, "leap February");
        assert_eq!(m("2026-02").seconds(), 28 * 86_400);
        assert_eq!(m("2026-04").seconds(), 30 * 86_400);
        // 2018: DST ended 18/02 (one hour more in February).
        assert_eq!(m("2018-02").seconds(), 28 * 86_400 + 3600);
        assert_eq!(Month::parse("2026-13"), None);
    }

    /// The table of DOMAIN §6 cases: (name, month, access, downtime s, charge, credit).
    #[test]
    fn formula_table() {
        let oct = "2026-10";
        let price = 310_000; // R$ 3.100,00 → R$ 100,00 a day in October
        let hour = 3600;
        let cases: Vec<(&str, &str, AccessMonth, i64, i64, i64)> = vec![
            ("no outage", oct, access(price, vec![]), 0, 310_000, 0),
            (
                "one day down",
                oct,
                access(price, vec![outage(None, "2026-10-05T00:00", "2026-10-06T00:00")]),
                86_400,
                310_000,
                10_000,
            ),
            (
                "overlapping incidents count once",
                oct,
                access(
                    price,
                    vec![
                        outage(None, "2026-10-05T08:00", "2026-10-05T12:00"),
                        outage(None, "2026-10-05T10:00", "2026-10-05T14:00"),
                    ],
                ),
                6 * hour,
                310_000,
                2_500,
            ),
            (
                "incident spanning two months is clipped",
                oct,
                access(price, vec![outage(None, "2026-09-30T12:00", "2026-10-01T06:00")]),
                6 * hour,
                310_000,
                2_500,
            ),
            (
                "open incident runs to month end",
                oct,
                access(price, vec![outage(None, "2026-10-31T18:00", "2026-12-01T00:00")]),
                6 * hour,
                310_000,
                2_500,
            ),
            (
                "activated mid-month",
                oct,
                AccessMonth { activated_at: Some(t("2026-10-11T00:00")), ..access(price, vec![]) },
                0,
                210_000,
                0,
            ),
            (
                "deactivated mid-month, downtime after it not counted",
                oct,
                AccessMonth {
                    deactivated_at: Some(t("2026-10-21T00:00")),
                    ..access(price, vec![outage(None, "2026-10-20T00:00", "2026-10-25T00:00")])
                },
                86_400,
                200_000,
                10_000,
            ),
            (
                "maintenance overlapping downtime is excluded",
                oct,
                AccessMonth {
                    maintenance: vec![Window {
                        id: 1,
                        span: Span::new(t("2026-10-05T02:00"), t("2026-10-05T04:00")),
                    }],
                    ..access(price, vec![outage(None, "2026-10-05T00:00", "2026-10-05T06:00")])
                },
                4 * hour,
                310_000,
                1_667,
            ),
            (
                "clock stops do not count",
                oct,
                access(
                    price,
                    vec![Outage {
                        id: 0,
                        link: None,
                        span: Span::new(t("2026-10-05T00:00"), t("2026-10-05T10:00")),
                        clock_stops: vec![Span::new(t("2026-10-05T01:00"), t("2026-10-05T05:00"))],
                    }],
                ),
                6 * hour,
                310_000,
                2_500,
            ),
            (
                "redundant access, one link down: no credit",
                oct,
                AccessMonth {
                    links: 2,
                    ..access(price, vec![outage(Some(0), "2026-10-05T00:00", "2026-10-06T00:00")])
                },
                0,
                310_000,
                0,
            ),
            (
                "redundant access, both links down: only the overlap",
                oct,
                AccessMonth {
                    links: 2,
                    ..access(
                        price,
                        vec![
                            outage(Some(0), "2026-10-05T00:00", "2026-10-06T00:00"),
                            outage(Some(1), "2026-10-05T18:00", "2026-10-06T06:00"),
                        ],
                    )
                },
                6 * hour,
                310_000,
                2_500,
            ),
            (
                "credit capped at the charge",
                oct,
                AccessMonth {
                    activated_at: Some(t("2026-10-31T00:00")),
                    ..access(price, vec![outage(None, "2026-10-01T00:00", "2026-11-01T00:00")])
                },
                86_400,
                10_000,
                10_000,
            ),
            (
                "leap February, half a day down",
                "2024-02",
                access(290_000, vec![outage(None, "2024-02-29T00:00", "2024-02-29T12:00")]),
                12 * hour,
                290_000,
                5_000,
            ),
            ("not yet active", oct, AccessMonth { activated_at: None, ..access(price, vec![]) }, 0, 0, 0),
        ];
        for (name, month, a, downtime, charge, credit) in cases {
            let r = measure(m(month), &a);
            assert_eq!(
                (r.downtime_seconds, r.charge.centavos(), r.credit.centavos(), r.net.centavos()),
                (downtime, charge, credit, charge - credit),
                "{name}"
            );
        }
    }

    #[test]
    fn minute_granularity_rounds_the_downtime_once() {
        let month = m("2026-10");
        let a = access(310_000, vec![outage(None, "2026-10-05T00:00:00", "2026-10-05T00:01:30")]);
        assert_eq!(measure_with(month, &a, 1).downtime_seconds, 90);
        assert_eq!(measure_with(month, &a, 60).downtime_seconds, 120, "1.5 min rounds half away from zero");
        let b = access(310_000, vec![outage(None, "2026-10-05T00:00:00", "2026-10-05T00:01:29")]);
        assert_eq!(measure_with(month, &b, 60).downtime_seconds, 60);
    }

    #[test]
    fn availability_has_four_decimals() {
        let r = measure(
            m("2026-10"),
            &access(310_000, vec![outage(None, "2026-10-05T00:00", "2026-10-05T01:00")]),
        );
        // 1 h of 744 h: 99.865591…%
        assert_eq!(r.availability_percent(), "99.8656");
        assert_eq!(measure(m("2026-10"), &access(1, vec![])).availability_percent(), "100.0000");
    }

    #[test]
    fn consortium_split_with_an_odd_centavo() {
        let parts = split_largest_remainder(Money::from_centavos(1001), &[6000, 4000]);
        assert_eq!(parts, vec![Money::from_centavos(601), Money::from_centavos(400)]);
        let thirds = split_largest_remainder(Money::from_centavos(100), &[1, 1, 1]);
        assert_eq!(
            thirds,
            vec![Money::from_centavos(34), Money::from_centavos(33), Money::from_centavos(33)]
        );
        let negative = split_largest_remainder(Money::from_centavos(-1001), &[6000, 4000]);
        assert_eq!(negative, vec![Money::from_centavos(-601), Money::from_centavos(-400)]);
    }

    fn spans() -> impl Strategy<Value = Vec<(i64, i64)>> {
        proptest::collection::vec((0i64..2_678_400, 1i64..400_000), 0..12)
    }

    proptest! {
        #[test]
        fn more_downtime_never_raises_availability_or_lowers_credit(
            base in spans(), extra in (0i64..2_678_400, 1i64..400_000), price in 1i64..10_000_000,
        ) {
            let month = m("2026-10");
            let mk = |v: &[(i64, i64)]| access(price, v.iter().map(|&(s, l)| Outage {
                id: 0, link: None, span: Span::new(month.start + s, month.start + s + l), clock_stops: vec![],
            }).collect());
            let before = measure(month, &mk(&base));
            let mut more = base.clone();
            more.push(extra);
            let after = measure(month, &mk(&more));
            prop_assert!(after.downtime_seconds >= before.downtime_seconds);
            prop_assert!(after.availability_micro <= before.availability_micro);
            prop_assert!(after.credit >= before.credit);
            prop_assert!(after.credit <= after.charge, "credits never exceed charges");
        }

        #[test]
        fn splitting_the_period_keeps_the_downtime(raw in spans(), cut in 0i64..2_678_400) {
            let month = m("2026-10");
            let a = access(100, raw.iter().map(|&(s, l)| Outage {
                id: 0, link: None, span: Span::new(month.start + s, month.start + s + l), clock_stops: vec![],
            }).collect());
            let whole = total(&downtime(month, &a));
            let mid = month.start + cut;
            let left = total(&downtime(Span::new(month.start, mid), &a));
            let right = total(&downtime(Span::new(mid, month.end), &a));
            prop_assert_eq!(whole, left + right);
        }

        #[test]
        fn split_parts_sum_to_the_whole(total_c in -1_000_000_000i64..1_000_000_000, weights in proptest::collection::vec(0i64..100_000, 1..8)) {
            let parts = split_largest_remainder(Money::from_centavos(total_c), &weights);
            prop_assert_eq!(parts.iter().copied().sum::<Money>(), Money::from_centavos(total_c));
            let sum: i64 = weights.iter().sum();
            if sum > 0 {
                for (p, w) in parts.iter().zip(&weights) {
                    // Each part is within one centavo of its exact share.
                    let exact = i128::from(total_c) * i128::from(*w);
                    let diff = i128::from(p.centavos()) * i128::from(sum) - exact;
                    prop_assert!(diff.abs() < i128::from(sum), "part {} for weight {}", p.centavos(), w);
                }
            }
        }

        #[test]
        fn set_operations_agree_with_a_second_by_second_model(
            a in proptest::collection::vec((0i64..200, 0i64..40), 0..6),
            b in proptest::collection::vec((0i64..200, 0i64..40), 0..6),
        ) {
            let to_spans = |v: &[(i64, i64)]| union(&v.iter().map(|&(s, l)| Span::new(s, s + l)).collect::<Vec<_>>());
            let (ua, ub) = (to_spans(&a), to_spans(&b));
            let covered = |u: &[Span], x: i64| u.iter().any(|s| s.start <= x && x < s.end);
            let diff = subtract(&ua, &ub);
            let inter = intersect(&ua, &ub);
            for x in 0..260 {
                prop_assert_eq!(covered(&diff, x), covered(&ua, x) && !covered(&ub, x));
                prop_assert_eq!(covered(&inter, x), covered(&ua, x) && covered(&ub, x));
            }
        }
    }
}
