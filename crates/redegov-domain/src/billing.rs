//! The billing report (Relatório Consolidado do Faturamento) of one agency
//! with one lot holder (operator or consortium) in one month: one line per
//! access, adjustment lines for corrections of closed months, deduction
//! lines (a fine installment's part, an upheld dispute's credit), totals
//! that are sums of the printed lines, and, for a consortium, each member's
//! part split by share to the centavo (largest remainder).
//!
//! Also the exact splits every deduction goes through ([`split_keyed`],
//! [`apportion`]): largest remainder with ties broken by key, so the parts
//! always sum to the whole, none is negative for a positive whole, and
//! reordering the inputs only reorders the parts.
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

/// What a deduction line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeductionKind {
    /// The part of a fine's installment apportioned to this report.
    Penalty,
    /// The credit of an upheld dispute.
    Dispute,
}

impl DeductionKind {
    pub const ALL: [DeductionKind; 2] = [DeductionKind::Penalty, DeductionKind::Dispute];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            DeductionKind::Penalty => "penalty",
            DeductionKind::Dispute => "dispute",
        }
    }

    pub fn from_code(code: &str) -> Option<DeductionKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// pt-BR.
    pub fn label(self) -> &'static str {
        match self {
            DeductionKind::Penalty => "Parcela de multa",
            DeductionKind::Dispute => "Contestação procedente",
        }
    }
}

/// A deduction applied in this month, discounted from the holder's invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeductionLine {
    pub kind: DeductionKind,
    /// The installment's or the dispute's id.
    pub source_id: i64,
    /// e.g. "Processo PM-2026/0003, parcela 2 de 6".
    pub description: String,
    /// Positive: discounted from the invoice.
    pub amount: Money,
    /// For a consortium, each member's part, `(operator id, amount)`; they
    /// sum to `amount`. Empty for a single operator.
    pub parts: Vec<(i64, Money)>,
}

/// Sums of the printed lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    pub charge: Money,
    /// Credits of the lines.
    pub credit: Money,
    /// Credits of the adjustment lines.
    pub adjustments: Money,
    /// Deduction lines (fine installments, upheld disputes).
    pub deductions: Money,
    /// charge − credit − adjustments − deductions.
    pub net: Money,
}

/// A consortium member's part of the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberPart {
    pub member: Party,
    pub share_basis_points: i64,
    pub charge: Money,
    /// The member's part of the credits and adjustments.
    pub credit: Money,
    /// The member's parts of the deduction lines.
    pub deductions: Money,
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
    pub deductions: Vec<DeductionLine>,
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
        deductions: Vec<DeductionLine>,
        members: Vec<(Party, i64)>,
    ) -> BillingReport {
        let charge: Money = lines.iter().map(|l| l.charge).sum();
        let credit: Money = lines.iter().map(|l| l.credit).sum();
        let adjusted: Money = adjustments.iter().map(|a| a.credit).sum();
        let deducted: Money = deductions.iter().map(|d| d.amount).sum();
        let totals = Totals {
            charge,
            credit,
            adjustments: adjusted,
            deductions: deducted,
            net: charge - credit - adjusted - deducted,
        };
        let parts = split_parts(&totals, &deductions, members);
        BillingReport {
            month,
            closed,
            agency,
            holder,
            contract,
            lines,
            adjustments,
            deductions,
            totals,
            parts,
        }
    }
}

/// Each member's part of the charge and of the credits (with adjustments),
/// split separately by largest remainder, plus the member's stored parts of
/// the deduction lines (each deduction was split when it was made, so the
/// report repeats that split rather than making another); a part's net is
/// its charge minus its credits and deductions, so the parts of every column
/// sum to the report's totals exactly.
pub fn split_parts(
    totals: &Totals,
    deductions: &[DeductionLine],
    members: Vec<(Party, i64)>,
) -> Vec<MemberPart> {
    let weights: Vec<i64> = members.iter().map(|(_, share)| *share).collect();
    let charges = split_largest_remainder(totals.charge, &weights);
    let credits = split_largest_remainder(totals.credit + totals.adjustments, &weights);
    let keyed: Vec<(i64, i64)> = members.iter().map(|(p, share)| (p.id, *share)).collect();
    let mut deducted = vec![Money::ZERO; members.len()];
    for d in deductions {
        let parts = if d.parts.is_empty() { split_keyed(d.amount, &keyed) } else { d.parts.clone() };
        for (member, amount) in parts {
            if let Some(i) = members.iter().position(|(p, _)| p.id == member) {
                deducted[i] += amount;
            }
        }
    }
    members
        .into_iter()
        .zip(charges.into_iter().zip(credits).zip(deducted))
        .map(|((member, share_basis_points), ((charge, credit), deductions))| MemberPart {
            member,
            share_basis_points,
            charge,
            credit,
            deductions,
            net: charge - credit - deductions,
        })
        .collect()
}

/// Splits `total` by `(key, weight)` to the centavo by largest remainder,
/// the odd centavos going to the largest remainders and, among equal
/// remainders, to the smallest key; the parts come back in the input's
/// order, each with its key. So the parts always sum to `total`, none has
/// the opposite sign of `total`, and reordering the input only reorders the
/// output. Weights below zero count as zero; if all are zero, the smallest
/// key takes the whole.
pub fn split_keyed(total: Money, weights: &[(i64, i64)]) -> Vec<(i64, Money)> {
    if weights.is_empty() {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| weights[i].0);
    let sorted: Vec<i64> = order.iter().map(|&i| weights[i].1).collect();
    let parts = split_largest_remainder(total, &sorted);
    let mut out = vec![(0, Money::ZERO); weights.len()];
    for (slot, &i) in order.iter().enumerate() {
        out[i] = (weights[i].0, parts[slot]);
    }
    out
}

/// One part of an apportioned amount: an agency's report, and the operator
/// (a consortium member, or the lot's single operator) that bears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Apportioned {
    pub agency_id: i64,
    pub operator_id: i64,
    pub amount: Money,
}

/// Apportions `amount` to the agencies proportionally to their charges
/// (`(agency id, charge)`), then each agency's part to the holder's
/// members by share (`(operator id, basis points)`; one member at 10,000
/// for a single operator). Both splits are [`split_keyed`], so the parts
/// sum to `amount` exactly. Parts of zero are left out.
pub fn apportion(amount: Money, charges: &[(i64, Money)], members: &[(i64, i64)]) -> Vec<Apportioned> {
    let weights: Vec<(i64, i64)> =
        charges.iter().map(|(agency, charge)| (*agency, charge.centavos())).collect();
    let mut out = Vec::new();
    for (agency_id, part) in split_keyed(amount, &weights) {
        for (operator_id, share) in split_keyed(part, members) {
            if share != Money::ZERO {
                out.push(Apportioned { agency_id, operator_id, amount: share });
            }
        }
    }
    out
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
            vec![],
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

    fn deduction(amount: i64, parts: Vec<(i64, i64)>) -> DeductionLine {
        DeductionLine {
            kind: DeductionKind::Penalty,
            source_id: 1,
            description: "Parcela 1 de 3".into(),
            amount: Money::from_centavos(amount),
            parts: parts.into_iter().map(|(k, v)| (k, Money::from_centavos(v))).collect(),
        }
    }

    #[test]
    fn deductions_lower_the_net_and_each_member_bears_its_stored_part() {
        let r = BillingReport::build(
            "2026-10".into(),
            true,
            party(1),
            party(2),
            "C".into(),
            vec![line(10_000, 1_000)],
            vec![],
            vec![deduction(301, vec![(3, 181), (4, 120)]), deduction(100, vec![])],
            vec![(party(3), 6_000), (party(4), 4_000)],
        );
        assert_eq!(r.totals.deductions.centavos(), 401);
        assert_eq!(r.totals.net.centavos(), 10_000 - 1_000 - 401);
        let parts: Vec<_> = r.parts.iter().map(|p| (p.deductions.centavos(), p.net.centavos())).collect();
        // Member 3: its stored 181 plus 60 of the unsplit 100.
        assert_eq!(parts, vec![(241, 6_000 - 600 - 241), (160, 4_000 - 400 - 160)]);
    }

    #[test]
    fn ties_go_to_the_smallest_key_whatever_the_order() {
        let m = Money::from_centavos;
        assert_eq!(split_keyed(m(100), &[(7, 1), (3, 1), (5, 1)]), vec![(7, m(33)), (3, m(34)), (5, m(33))]);
        assert_eq!(split_keyed(m(100), &[(3, 1), (5, 1), (7, 1)]), vec![(3, m(34)), (5, m(33)), (7, m(33))]);
        assert_eq!(split_keyed(m(5), &[(2, 0), (1, 0)]), vec![(2, m(0)), (1, m(5))]);
        assert_eq!(split_keyed(m(5), &[]), vec![]);
    }

    #[test]
    fn apportion_goes_by_charge_then_by_share() {
        let m = Money::from_centavos;
        // 1,000 by charges 3:1 → 750 / 250; each 60/40 between members 8 and 9.
        let parts = apportion(m(1_000), &[(1, m(30_000)), (2, m(10_000))], &[(8, 6_000), (9, 4_000)]);
        let got: Vec<_> = parts.iter().map(|p| (p.agency_id, p.operator_id, p.amount.centavos())).collect();
        assert_eq!(got, vec![(1, 8, 450), (1, 9, 300), (2, 8, 150), (2, 9, 100)]);
        // A single operator: one part per agency; a zero part is left out.
        let single = apportion(m(10), &[(1, m(100)), (2, m(0))], &[(8, 10_000)]);
        assert_eq!(single, vec![Apportioned { agency_id: 1, operator_id: 8, amount: m(10) }]);
    }

    proptest! {
        #[test]
        fn parts_always_sum_to_the_whole(
            lines in proptest::collection::vec((0i64..10_000_000, 0i64..100), 0..20),
            shares in proptest::collection::vec(1i64..10_000, 1..5),
            deducted in proptest::collection::vec(0i64..1_000_000, 0..4),
        ) {
            let lines = lines.iter().map(|&(c, pct)| line(c, c * pct / 100)).collect();
            let keyed: Vec<(i64, i64)> = shares.iter().enumerate().map(|(i, &s)| (i as i64, s)).collect();
            let deductions = deducted
                .iter()
                .enumerate()
                .map(|(i, &a)| {
                    // Every other deduction carries its stored split.
                    let parts = if i % 2 == 0 {
                        split_keyed(Money::from_centavos(a), &keyed).into_iter().map(|(k, v)| (k, v.centavos())).collect()
                    } else {
                        vec![]
                    };
                    deduction(a, parts)
                })
                .collect();
            let members = shares.iter().enumerate().map(|(i, &s)| (party(i as i64), s)).collect();
            let r = BillingReport::build("2026-10".into(), false, party(1), party(2), "C".into(), lines, vec![], deductions, members);
            let sum = |f: fn(&MemberPart) -> Money| r.parts.iter().map(f).sum::<Money>();
            prop_assert_eq!(sum(|p| p.charge), r.totals.charge);
            prop_assert_eq!(sum(|p| p.credit), r.totals.credit + r.totals.adjustments);
            prop_assert_eq!(sum(|p| p.deductions), r.totals.deductions);
            prop_assert_eq!(sum(|p| p.net), r.totals.net);
        }

        /// The split of a fine: parts sum to the whole, none is negative,
        /// and reordering agencies or members only reorders the parts.
        #[test]
        fn apportioned_parts_sum_to_the_whole_and_ignore_order(
            amount in 0i64..100_000_000,
            charges in proptest::collection::btree_map(1i64..1_000, 0i64..10_000_000, 1..12),
            shares in proptest::collection::btree_map(1i64..50, 1i64..10_000, 1..4),
            rotate in 0usize..12,
        ) {
            let amount = Money::from_centavos(amount);
            let charges: Vec<(i64, Money)> = charges.into_iter().map(|(a, c)| (a, Money::from_centavos(c))).collect();
            let shares: Vec<(i64, i64)> = shares.into_iter().collect();
            let parts = apportion(amount, &charges, &shares);
            prop_assert_eq!(parts.iter().map(|p| p.amount).sum::<Money>(), amount);
            prop_assert!(parts.iter().all(|p| p.amount > Money::ZERO));
            let mut c2 = charges.clone();
            let by = rotate % c2.len();
            c2.rotate_left(by);
            c2.reverse();
            let mut s2 = shares.clone();
            s2.reverse();
            let mut again = apportion(amount, &c2, &s2);
            let key = |p: &Apportioned| (p.agency_id, p.operator_id);
            let mut first = parts.clone();
            first.sort_by_key(key);
            again.sort_by_key(key);
            prop_assert_eq!(first, again);
        }
    }
}
