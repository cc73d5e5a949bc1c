//! The explanation trail of one access-month: every interval of every
//! incident that touched the month, either counted as downtime or excluded
//! with its reason, and the arithmetic of the credit ("why was I discounted
//! R$ 12,34?").
//!
//! It is computed from the same inputs as [`measure`] and checked against it:
//! the counted intervals are disjoint and add up to exactly the measured
//! downtime (a property test holds it to that).

use crate::incident::Responsibility;
use crate::measure::{
    AccessMonth, Measurement, Span, downtime, intersect, measure_with, subtract, total, union,
};
use crate::money::{Money, group_thousands};

/// Why an interval counted or did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Operator downtime, discounted.
    Counted,
    /// Outside the month being measured.
    OutsideMonth,
    /// Before activation or after deactivation.
    OutsideBillable,
    /// The incident was not the operator's responsibility.
    NotOperator(Responsibility),
    /// Time spent waiting for the agency.
    ClockStop,
    /// Inside the approved maintenance window with this id.
    Maintenance(i64),
    /// Only one link of a redundant access was down; the other carried traffic.
    OtherLinkUp,
    /// Already counted under the incident with this id.
    Overlap(i64),
}

impl Verdict {
    /// A stable code for the API.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Counted => "counted",
            Verdict::OutsideMonth => "outside_month",
            Verdict::OutsideBillable => "outside_billable",
            Verdict::NotOperator(_) => "responsibility",
            Verdict::ClockStop => "clock_stop",
            Verdict::Maintenance(_) => "maintenance",
            Verdict::OtherLinkUp => "other_link_up",
            Verdict::Overlap(_) => "overlap",
        }
    }

    /// The reason in pt-BR, for the portal.
    pub fn pt_br(self) -> String {
        match self {
            Verdict::Counted => "contado como indisponibilidade da operadora".into(),
            Verdict::OutsideMonth => "fora do mês".into(),
            Verdict::OutsideBillable => {
                "fora do período faturável (antes da ativação ou após a desativação)".into()
            }
            Verdict::NotOperator(r) => format!("responsabilidade: {}", responsibility_pt(r)),
            Verdict::ClockStop => "parada de relógio (aguardando o órgão)".into(),
            Verdict::Maintenance(id) => format!("manutenção programada aprovada #{id}"),
            Verdict::OtherLinkUp => "o outro enlace do acesso redundante estava no ar".into(),
            Verdict::Overlap(id) => format!("sobreposição: já contado no chamado #{id}"),
        }
    }
}

/// The responsibility in pt-BR.
pub fn responsibility_pt(r: Responsibility) -> &'static str {
    match r {
        Responsibility::Operator => "operadora",
        Responsibility::Agency => "órgão",
        Responsibility::ThirdParty => "terceiros",
        Responsibility::ForceMajeure => "caso fortuito ou força maior",
        Responsibility::ScheduledMaintenance => "manutenção programada",
    }
}

/// One interval of an incident and what became of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrailEntry {
    pub incident_id: i64,
    pub span: Span,
    pub verdict: Verdict,
}

/// An incident the measurement ignores because someone other than the
/// operator was responsible; listed so the trail shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtherIncident {
    pub id: i64,
    pub span: Span,
    pub responsibility: Responsibility,
}

/// The whole explanation of an access-month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub measurement: Measurement,
    pub price: Money,
    pub month: Span,
    pub billable: Option<Span>,
    /// Sorted by incident, then by time.
    pub entries: Vec<TrailEntry>,
    /// The exact seconds of the counted intervals (equal to the measured
    /// downtime unless the contract rounds it to whole minutes).
    pub counted_seconds: i64,
}

impl Explanation {
    /// Whether the credit was capped at the charge.
    pub fn credit_capped(&self) -> bool {
        let m = &self.measurement;
        m.period_seconds > 0 && self.price.mul_div(m.downtime_seconds, m.period_seconds) > m.charge
    }

    /// The arithmetic of the charge, in pt-BR.
    pub fn charge_formula(&self) -> String {
        let m = &self.measurement;
        format!(
            "{} × {} s ÷ {} s = {}",
            self.price.format_brl(),
            seconds(m.billable_seconds),
            seconds(m.period_seconds),
            m.charge.format_brl()
        )
    }

    /// The arithmetic of the credit, in pt-BR.
    pub fn credit_formula(&self) -> String {
        let m = &self.measurement;
        let raw = self.price.mul_div(m.downtime_seconds, m.period_seconds.max(1));
        let mut text = format!(
            "{} × {} s ÷ {} s = {}",
            self.price.format_brl(),
            seconds(m.downtime_seconds),
            seconds(m.period_seconds),
            raw.format_brl()
        );
        if self.credit_capped() {
            text.push_str(&format!(", limitado ao valor faturado: {}", m.credit.format_brl()));
        }
        text
    }
}

fn seconds(s: i64) -> String {
    let grouped = group_thousands(s.unsigned_abs());
    if s < 0 { format!("-{grouped}") } else { grouped }
}

/// Explains the measurement of `a` in `month`. `others` are the incidents of
/// the access whose responsibility is not the operator's.
pub fn explain(month: Span, a: &AccessMonth, others: &[OtherIncident]) -> Explanation {
    explain_with(month, a, others, 1)
}

/// [`explain`] with the contract's time granularity (the measurement rounds
/// the counted total; the trail keeps the exact intervals).
pub fn explain_with(
    month: Span,
    a: &AccessMonth,
    others: &[OtherIncident],
    granularity_seconds: i64,
) -> Explanation {
    let measurement = measure_with(month, a, granularity_seconds);
    let billable =
        a.activated_at.and_then(|on| Span::new(on, a.deactivated_at.unwrap_or(i64::MAX)).clip(month));
    let counted_total = billable.map(|b| downtime(b, a)).unwrap_or_default();
    let maintenance: Vec<_> = a.maintenance.iter().map(|w| (w.id, union(&[w.span]))).collect();
    let mut entries = Vec::new();
    let mut push = |id: i64, spans: &[Span], verdict: Verdict| {
        entries.extend(spans.iter().map(|&span| TrailEntry { incident_id: id, span, verdict }));
    };
    for o in others {
        push(o.id, &subtract(&[o.span], &[month]), Verdict::OutsideMonth);
        push(o.id, &intersect(&[o.span], &[month]), Verdict::NotOperator(o.responsibility));
    }
    let mut outages: Vec<_> = a.outages.iter().collect();
    outages.sort_by_key(|o| (o.span.start, o.id));
    // Counted time already claimed, with the incident that claimed it.
    let mut claimed: Vec<(i64, Span)> = Vec::new();
    for o in outages {
        let span = [o.span];
        push(o.id, &subtract(&span, &[month]), Verdict::OutsideMonth);
        let in_month = intersect(&span, &[month]);
        let billable_spans: Vec<Span> = billable.into_iter().collect();
        push(o.id, &subtract(&in_month, &billable_spans), Verdict::OutsideBillable);
        let inside = intersect(&in_month, &billable_spans);
        let stops = union(&o.clock_stops);
        push(o.id, &intersect(&inside, &stops), Verdict::ClockStop);
        let mut left = subtract(&inside, &stops);
        for (id, window) in &maintenance {
            push(o.id, &intersect(&left, window), Verdict::Maintenance(*id));
            left = subtract(&left, window);
        }
        push(o.id, &subtract(&left, &counted_total), Verdict::OtherLinkUp);
        let mut mine = intersect(&left, &counted_total);
        for &(by, c) in &claimed {
            push(o.id, &intersect(&mine, &[c]), Verdict::Overlap(by));
            mine = subtract(&mine, &[c]);
        }
        push(o.id, &mine, Verdict::Counted);
        claimed.extend(mine.iter().map(|&s| (o.id, s)));
    }
    entries.sort_by_key(|e| (e.incident_id, e.span.start, e.span.end));
    let counted = total(&union(&claimed.iter().map(|c| c.1).collect::<Vec<_>>()));
    debug_assert!(granularity_seconds > 1 || counted == measurement.downtime_seconds);
    Explanation { measurement, price: a.monthly_price, month, billable, entries, counted_seconds: counted }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{Month, Outage, Window, month_bounds};
    use crate::time::parse_instant;
    use proptest::prelude::*;

    fn t(s: &str) -> i64 {
        parse_instant("t", s).expect("instant").timestamp()
    }

    fn verdicts(e: &Explanation) -> Vec<(i64, i64, &'static str)> {
        e.entries.iter().map(|x| (x.incident_id, x.span.seconds() / 3600, x.verdict.code())).collect()
    }

    #[test]
    fn every_interval_has_a_reason() {
        let oct = month_bounds(Month { year: 2026, month: 10 });
        let a = AccessMonth {
            monthly_price: Money::from_centavos(310_000),
            activated_at: Some(t("2020-01-01T00:00")),
            deactivated_at: Some(t("2026-10-20T00:00")),
            links: 1,
            outages: vec![
                Outage {
                    id: 7,
                    link: None,
                    span: Span::new(t("2026-09-30T22:00"), t("2026-10-01T10:00")),
                    clock_stops: vec![Span::new(t("2026-10-01T04:00"), t("2026-10-01T05:00"))],
                },
                Outage {
                    id: 8,
                    link: None,
                    span: Span::new(t("2026-10-01T08:00"), t("2026-10-01T12:00")),
                    clock_stops: vec![],
                },
                Outage {
                    id: 9,
                    link: None,
                    span: Span::new(t("2026-10-19T22:00"), t("2026-10-20T03:00")),
                    clock_stops: vec![],
                },
            ],
            maintenance: vec![Window {
                id: 3,
                span: Span::new(t("2026-10-01T02:00"), t("2026-10-01T03:00")),
            }],
        };
        let others = [OtherIncident {
            id: 10,
            span: Span::new(t("2026-10-10T00:00"), t("2026-10-10T05:00")),
            responsibility: Responsibility::Agency,
        }];
        let e = explain(oct, &a, &others);
        assert_eq!(
            verdicts(&e),
            vec![
                (7, 2, "outside_month"),
                (7, 2, "counted"),
                (7, 1, "maintenance"),
                (7, 1, "counted"),
                (7, 1, "clock_stop"),
                (7, 5, "counted"),
                (8, 2, "overlap"),
                (8, 2, "counted"),
                (9, 2, "counted"),
                (9, 3, "outside_billable"),
                (10, 5, "responsibility"),
            ]
        );
        let counted: i64 =
            e.entries.iter().filter(|x| x.verdict == Verdict::Counted).map(|x| x.span.seconds()).sum();
        assert_eq!(counted, e.measurement.downtime_seconds);
        assert_eq!(counted, 12 * 3600);
        assert_eq!(e.entries[6].verdict, Verdict::Overlap(7));
        assert_eq!(e.credit_formula(), "R$ 3.100,00 × 43.200 s ÷ 2.678.400 s = R$ 50,00");
        assert!(!e.credit_capped());
    }

    #[test]
    fn redundant_access_names_the_other_link() {
        let oct = month_bounds(Month { year: 2026, month: 10 });
        let link = |id, l, from, to| Outage {
            id,
            link: Some(l),
            span: Span::new(t(from), t(to)),
            clock_stops: vec![],
        };
        let a = AccessMonth {
            monthly_price: Money::from_centavos(100),
            activated_at: Some(t("2020-01-01T00:00")),
            deactivated_at: None,
            links: 2,
            outages: vec![
                link(1, 0, "2026-10-05T00:00", "2026-10-05T10:00"),
                link(2, 1, "2026-10-05T06:00", "2026-10-05T12:00"),
            ],
            maintenance: vec![],
        };
        let e = explain(oct, &a, &[]);
        assert_eq!(
            verdicts(&e),
            vec![(1, 6, "other_link_up"), (1, 4, "counted"), (2, 4, "overlap"), (2, 2, "other_link_up")]
        );
    }

    proptest! {
        #[test]
        fn counted_intervals_add_up_to_the_measured_downtime(
            raw in proptest::collection::vec((0i64..2_678_400, 1i64..400_000, 0usize..3, 0i64..4), 0..10),
            windows in proptest::collection::vec((0i64..2_678_400, 1i64..40_000), 0..3),
            links in 1usize..3,
        ) {
            let month = month_bounds(Month { year: 2026, month: 10 });
            let outages = raw.iter().enumerate().map(|(i, &(s, l, link, stop))| Outage {
                id: i as i64,
                link: if link == 2 || links == 1 { None } else { Some(link) },
                span: Span::new(month.start + s, month.start + s + l),
                clock_stops: if stop == 0 { vec![Span::new(month.start + s, month.start + s + l / 3)] } else { vec![] },
            }).collect();
            let maintenance = windows.iter().enumerate().map(|(i, &(s, l))| Window {
                id: i as i64, span: Span::new(month.start + s, month.start + s + l),
            }).collect();
            let a = AccessMonth {
                monthly_price: Money::from_centavos(123_456),
                activated_at: Some(month.start + 3_600),
                deactivated_at: None,
                links,
                outages,
                maintenance,
            };
            let e = explain(month, &a, &[]);
            let counted: Vec<Span> =
                e.entries.iter().filter(|x| x.verdict == Verdict::Counted).map(|x| x.span).collect();
            let sum: i64 = counted.iter().map(|s| s.seconds()).sum();
            prop_assert_eq!(sum, e.measurement.downtime_seconds);
            prop_assert_eq!(total(&union(&counted)), sum, "counted intervals are disjoint");
            // Every second of every incident is accounted for exactly once.
            for o in &a.outages {
                let of: i64 = e.entries.iter().filter(|x| x.incident_id == o.id).map(|x| x.span.seconds()).sum();
                prop_assert_eq!(of, o.span.seconds());
            }
        }
    }
}
