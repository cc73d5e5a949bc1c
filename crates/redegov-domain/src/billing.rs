//! The billing report (Relatório Consolidado do Faturamento) of one agency
//! with one lot holder (operator or consortium) in one month: one line per
//! access, adjustment lines for corrections of closed months, totals that
//! are sums of the printed lines, and, for a consortium, each member's part
//! split by share to the centavo (largest remainder).
//!
//! Pure data, built from measured lines; the PDF, CSV and XLSX renderers and
//! the portal all print this one structure.

use crate::measure::split_largest_remainder;
use crate::money::Money;
use serde::Serialize;

/// A party named on the report: an agency, an operator, a consortium.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    pub id: i64,
    pub name: String,
    /// Formatted CNPJ.
    pub cnpj: String,
}

/// One access on the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillingLine {
    pub access_id: i64,
    pub designation: String,
    pub site: String,
    pub municipality: String,
    pub lot: String,
    /// e.g. "Perfil II · 20 Mbps".
    pub service: String,
    pub billable_seconds: i64,
    pub downtime_seconds: i64,
    /// "99.8656".
    pub availability_percent: String,
    pub charge: Money,
    pub credit: Money,
    pub net: Money,
}

/// A correction of a closed month, applied in this month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdjustmentLine {
    pub id: i64,
    pub access_id: i64,
    pub designation: String,
    /// The closed month it corrects, `YYYY-MM`.
    pub refers_to: String,
    pub reason: String,
    /// Additional credit (discount) to the state; negative gives back credit.
    pub credit: Money,
}

/// Sums of the printed lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    pub charge: Money,
    /// Credits of the lines.
    pub credit: Money,
    /// Credits of the adjustment lines.
    pub adjustments: Money,
    /// charge − credit − adjustments.
    pub net: Money,
}

/// A consortium member's part of the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberPart {
    pub member: Party,
    pub share_basis_points: i64,
    pub charge: Money,
    pub credit: Money,
    pub net: Money,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillingReport {
    /// `YYYY-MM`.
    pub month: String,
    /// Whether the month is closed (a preview is marked as such).
    pub closed: bool,
    pub agency: Party,
    pub holder: Party,
    pub contract: String,
    pub lines: Vec<BillingLine>,
    pub adjustments: Vec<AdjustmentLine>,
    pub totals: Totals,
    /// Empty unless the holder is a consortium.
    pub parts: Vec<MemberPart>,
}

impl BillingReport {
    /// Builds the report: totals from the lines, parts from the members'
    /// shares (`(member, basis points)`; empty for a single operator).
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        month: String,
        closed: bool,
        agency: Party,
        holder: Party,
        contract: String,
        lines: Vec<BillingLine>,
        adjustments: Vec<AdjustmentLine>,
        members: Vec<(Party, i64)>,
    ) -> BillingReport {
        let charge: Money = lines.iter().map(|l| l.charge).sum();
        let credit: Money = lines.iter().map(|l| l.credit).sum();
        let adjusted: Money = adjustments.iter().map(|a| a.credit).sum();
        let totals = Totals { charge, credit, adjustments: adjusted, net: charge - credit - adjusted };
        let parts = split_parts(&totals, members);
        BillingReport { month, closed, agency, holder, contract, lines, adjustments, totals, parts }
    }
}

/// Each member's part of the charge and of all credits, split separately by
/// largest remainder; a part's net is its charge minus its credits, so the
/// parts of every column sum to the report's totals exactly.
pub fn split_parts(totals: &Totals, members: Vec<(Party, i64)>) -> Vec<MemberPart> {
    let weights: Vec<i64> = members.iter().map(|(_, share)| *share).collect();
    let charges = split_largest_remainder(totals.charge, &weights);
    let credits = split_largest_remainder(totals.credit + totals.adjustments, &weights);
    members
        .into_iter()
        .zip(charges.into_iter().zip(credits))
        .map(|((member, share_basis_points), (charge, credit))| MemberPart {
            member,
            share_basis_points,
            charge,
            credit,
            net: charge - credit,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn party(id: i64) -> Party {
        Party { id, name: format!("P{id}"), cnpj: String::new() }
    }

    fn line(charge: i64, credit: i64) -> BillingLine {
        BillingLine {
            access_id: 1,
            designation: "A".into(),
            site: "S".into(),
            municipality: "M".into(),
            lot: "1".into(),
            service: "Perfil I".into(),
            billable_seconds: 1,
            downtime_seconds: 0,
            availability_percent: "100.0000".into(),
            charge: Money::from_centavos(charge),
            credit: Money::from_centavos(credit),
            net: Money::from_centavos(charge - credit),
        }
    }

    #[test]
    fn totals_are_sums_and_the_odd_centavo_goes_to_the_larger_remainder() {
        let adj = AdjustmentLine {
            id: 1,
            access_id: 1,
            designation: "A".into(),
            refers_to: "2026-09".into(),
            reason: "r".into(),
            credit: Money::from_centavos(1),
        };
        let r = BillingReport::build(
            "2026-10".into(),
            true,
            party(1),
            party(2),
            "C".into(),
            vec![line(1_000, 0), line(2_001, 500)],
            vec![adj],
            vec![(party(3), 6_000), (party(4), 4_000)],
        );
        assert_eq!(r.totals.charge.centavos(), 3_001);
        assert_eq!(r.totals.credit.centavos(), 500);
        assert_eq!(r.totals.net.centavos(), 2_500);
        // 3001 × 60 % = 1800.6 → 1801; 501 × 60 % = 300.6 → 301.
        let parts: Vec<_> =
            r.parts.iter().map(|p| (p.charge.centavos(), p.credit.centavos(), p.net.centavos())).collect();
        assert_eq!(parts, vec![(1_801, 301, 1_500), (1_200, 200, 1_000)]);
    }

    proptest! {
        #[test]
        fn parts_always_sum_to_the_whole(
            lines in proptest::collection::vec((0i64..10_000_000, 0i64..100), 0..20),
            shares in proptest::collection::vec(1i64..10_000, 1..5),
        ) {
            let lines = lines.iter().map(|&(c, pct)| line(c, c * pct / 100)).collect();
            let members = shares.iter().enumerate().map(|(i, &s)| (party(i as i64), s)).collect();
            let r = BillingReport::build("2026-10".into(), false, party(1), party(2), "C".into(), lines, vec![], members);
            let sum = |f: fn(&MemberPart) -> Money| r.parts.iter().map(f).sum::<Money>();
            prop_assert_eq!(sum(|p| p.charge), r.totals.charge);
            prop_assert_eq!(sum(|p| p.credit), r.totals.credit + r.totals.adjustments);
            prop_assert_eq!(sum(|p| p.net), r.totals.net);
        }
    }
}
