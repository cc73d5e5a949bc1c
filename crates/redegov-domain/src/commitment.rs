//! Budget commitments (empenhos) and the contract balance (DOMAIN §9).
//!
//! An agency commits budget per lot and fiscal year; each closed month
//! consumes what its billing reports charge net (charge − credits −
//! adjustments − deductions). The balance of a contract, a lot or an
//! agency-lot is then its ceiling (where there is one), what was committed,
//! what was consumed, and what remains; a warning when consumption passes a
//! configured share of the commitment, and the months that closed beyond it.
//!
//! Pure: the app loads commitments and the closed months' consumption and
//! asks [`balance`] for the rows.

use crate::error::{FieldError, Rule, Valid, required};
use crate::money::{Money, div_round};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A commitment to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCommitment {
    pub agency_id: i64,
    pub lot_id: i64,
    /// The empenho's number as the budget system gives it (e.g. `2026NE000123`).
    pub number: String,
    pub fiscal_year: i32,
    pub amount: Money,
    pub notes: String,
}

impl NewCommitment {
    /// Checks the number, the year and the amount (positive), naming the field.
    pub fn validate(mut self) -> Valid<NewCommitment> {
        self.number = required("number", &self.number)?;
        if self.number.chars().count() > 40 {
            return Err(FieldError::new("number", Rule::Malformed("at most 40 characters")));
        }
        if !(2000..=2100).contains(&self.fiscal_year) {
            return Err(FieldError::new("fiscal_year", Rule::OutOfRange { min: 2000, max: 2100 }));
        }
        if self.amount <= Money::ZERO {
            return Err(FieldError::new("amount_centavos", Rule::OutOfRange { min: 1, max: i64::MAX }));
        }
        self.notes = self.notes.trim().to_string();
        Ok(self)
    }
}

/// The balance settings: the share of a commitment whose consumption raises
/// a warning, in basis points (8,000 = 80 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalanceSettings {
    pub warn_basis_points: i64,
}

impl Default for BalanceSettings {
    /// [default] warn at 80 % of the commitment.
    fn default() -> Self {
        BalanceSettings { warn_basis_points: 8_000 }
    }
}

impl BalanceSettings {
    pub fn validate(self) -> Valid<BalanceSettings> {
        if (1..=10_000).contains(&self.warn_basis_points) {
            Ok(self)
        } else {
            Err(FieldError::new("warn_basis_points", Rule::OutOfRange { min: 1, max: 10_000 }))
        }
    }
}

/// How a balance row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceStatus {
    /// Consumption below the warning share (or nothing consumed).
    Ok,
    /// Consumption at or above the warning share of the commitment.
    Warning,
    /// Consumption beyond the commitment (or consumption with no commitment).
    Exceeded,
}

impl BalanceStatus {
    pub fn code(self) -> &'static str {
        match self {
            BalanceStatus::Ok => "ok",
            BalanceStatus::Warning => "warning",
            BalanceStatus::Exceeded => "exceeded",
        }
    }

    /// pt-BR.
    pub fn label(self) -> &'static str {
        match self {
            BalanceStatus::Ok => "Regular",
            BalanceStatus::Warning => "Atenção",
            BalanceStatus::Exceeded => "Empenho excedido",
        }
    }
}

/// What a balance row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum BalanceKey {
    Contract { contract_id: i64 },
    Lot { contract_id: i64, lot_id: i64 },
    AgencyLot { contract_id: i64, lot_id: i64, agency_id: i64 },
}

/// A month closed beyond the commitment: its month and the consumption
/// accumulated in the fiscal year up to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overrun {
    /// `YYYY-MM`.
    pub month: String,
    pub cumulative: Money,
}

/// One row of the balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceRow {
    pub key: BalanceKey,
    /// The contract's ceiling, or the lot's when one is set; none for an agency.
    pub ceiling: Option<Money>,
    pub committed: Money,
    pub consumed: Money,
    /// committed − consumed (negative when exceeded).
    pub remaining: Money,
    /// ceiling − consumed, where there is a ceiling.
    pub ceiling_balance: Option<Money>,
    /// consumed ÷ committed in basis points, rounded once; none without a commitment.
    pub consumed_basis_points: Option<i64>,
    pub status: BalanceStatus,
    /// For an agency-lot: the months closed beyond its commitment.
    pub overruns: Vec<Overrun>,
}

/// One lot, as the balance needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LotInfo {
    pub lot_id: i64,
    pub contract_id: i64,
    pub ceiling: Option<Money>,
}

/// The closed months' net consumption of one agency-lot in one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumption {
    pub agency_id: i64,
    pub lot_id: i64,
    /// `YYYY-MM`.
    pub month: String,
    pub net: Money,
}

/// The balance of a fiscal year: one row per contract, per lot and per
/// agency-lot that has a commitment or a consumption, contract rows first,
/// then lots, then agency-lots, each by id. `commitments` are
/// `(agency, lot, amount)` of that year; `consumption` the closed months of
/// that year; `contracts` the ceilings by contract id.
pub fn balance(
    contracts: &BTreeMap<i64, Money>,
    lots: &[LotInfo],
    commitments: &[(i64, i64, Money)],
    consumption: &[Consumption],
    settings: BalanceSettings,
) -> Vec<BalanceRow> {
    let lot_of: BTreeMap<i64, LotInfo> = lots.iter().map(|l| (l.lot_id, *l)).collect();
    #[derive(Default)]
    struct Acc {
        committed: Money,
        consumed: Money,
        months: BTreeMap<String, Money>,
    }
    let mut acc: BTreeMap<BalanceKey, Acc> = BTreeMap::new();
    let mut add = |agency: i64, lot: i64, committed: Money, consumed: Money, month: Option<&str>| {
        let Some(info) = lot_of.get(&lot) else { return };
        for key in [
            BalanceKey::Contract { contract_id: info.contract_id },
            BalanceKey::Lot { contract_id: info.contract_id, lot_id: lot },
            BalanceKey::AgencyLot { contract_id: info.contract_id, lot_id: lot, agency_id: agency },
        ] {
            let a = acc.entry(key).or_default();
            a.committed += committed;
            a.consumed += consumed;
            if let (Some(m), BalanceKey::AgencyLot { .. }) = (month, key) {
                let e = a.months.entry(m.to_string()).or_default();
                *e += consumed;
            }
        }
    };
    for &(agency, lot, amount) in commitments {
        add(agency, lot, amount, Money::ZERO, None);
    }
    for c in consumption {
        add(c.agency_id, c.lot_id, Money::ZERO, c.net, Some(&c.month));
    }
    let level = |k: &BalanceKey| match k {
        BalanceKey::Contract { .. } => 0,
        BalanceKey::Lot { .. } => 1,
        BalanceKey::AgencyLot { .. } => 2,
    };
    let mut rows: Vec<BalanceRow> = acc
        .into_iter()
        .map(|(key, a)| {
            let ceiling = match key {
                BalanceKey::Contract { contract_id } => contracts.get(&contract_id).copied(),
                BalanceKey::Lot { lot_id, .. } => lot_of.get(&lot_id).and_then(|l| l.ceiling),
                BalanceKey::AgencyLot { .. } => None,
            };
            let consumed_basis_points = (a.committed > Money::ZERO).then(|| {
                i64::try_from(div_round(
                    i128::from(a.consumed.centavos()) * 10_000,
                    i128::from(a.committed.centavos()),
                ))
                .unwrap_or(i64::MAX)
            });
            let status = status(a.committed, a.consumed, settings);
            let mut overruns = Vec::new();
            if matches!(key, BalanceKey::AgencyLot { .. }) {
                let mut cumulative = Money::ZERO;
                for (month, net) in &a.months {
                    cumulative += *net;
                    if cumulative > a.committed {
                        overruns.push(Overrun { month: month.clone(), cumulative });
                    }
                }
            }
            BalanceRow {
                key,
                ceiling,
                committed: a.committed,
                consumed: a.consumed,
                remaining: a.committed - a.consumed,
                ceiling_balance: ceiling.map(|c| c - a.consumed),
                consumed_basis_points,
                status,
                overruns,
            }
        })
        .collect();
    rows.sort_by_key(|r| (level(&r.key), r.key));
    rows
}

/// Where consumption stands against a commitment: exceeded beyond it,
/// a warning from the configured share on (compared exactly, in integers).
pub fn status(committed: Money, consumed: Money, settings: BalanceSettings) -> BalanceStatus {
    if consumed > committed {
        BalanceStatus::Exceeded
    } else if consumed > Money::ZERO
        && i128::from(consumed.centavos()) * 10_000
            >= i128::from(committed.centavos()) * i128::from(settings.warn_basis_points)
    {
        BalanceStatus::Warning
    } else {
        BalanceStatus::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(c: i64) -> Money {
        Money::from_centavos(c)
    }

    fn used(agency: i64, lot: i64, month: &str, net: i64) -> Consumption {
        Consumption { agency_id: agency, lot_id: lot, month: month.into(), net: m(net) }
    }

    #[test]
    fn a_commitment_is_refused_with_the_field_named() {
        let ok = NewCommitment {
            agency_id: 1,
            lot_id: 1,
            number: " 2026NE000123 ".into(),
            fiscal_year: 2026,
            amount: m(100),
            notes: String::new(),
        };
        assert_eq!(ok.clone().validate().map(|c| c.number), Ok("2026NE000123".into()));
        let zero = NewCommitment { amount: m(0), ..ok.clone() };
        assert_eq!(zero.validate().map_err(|e| e.field), Err("amount_centavos".into()));
        let year = NewCommitment { fiscal_year: 1999, ..ok.clone() };
        assert_eq!(year.validate().map_err(|e| e.field), Err("fiscal_year".into()));
        let blank = NewCommitment { number: "  ".into(), ..ok };
        assert_eq!(blank.validate().map_err(|e| e.field), Err("number".into()));
    }

    #[test]
    fn warning_from_the_share_on_and_exceeded_beyond_the_commitment() {
        let s = BalanceSettings::default();
        assert_eq!(status(m(1_000), m(0), s), BalanceStatus::Ok);
        assert_eq!(status(m(1_000), m(799), s), BalanceStatus::Ok);
        assert_eq!(status(m(1_000), m(800), s), BalanceStatus::Warning);
        assert_eq!(status(m(1_000), m(1_000), s), BalanceStatus::Warning);
        assert_eq!(status(m(1_000), m(1_001), s), BalanceStatus::Exceeded);
        assert_eq!(status(m(0), m(1), s), BalanceStatus::Exceeded);
    }

    #[test]
    fn rows_per_contract_lot_and_agency_with_the_months_beyond_the_commitment() {
        let contracts = BTreeMap::from([(7, m(1_000_000))]);
        let lots = [
            LotInfo { lot_id: 1, contract_id: 7, ceiling: Some(m(600_000)) },
            LotInfo { lot_id: 2, contract_id: 7, ceiling: None },
        ];
        let commitments = [(10, 1, m(300)), (10, 1, m(200)), (11, 2, m(1_000))];
        let consumption = [
            used(10, 1, "2026-01", 250),
            used(10, 1, "2026-02", 250),
            used(10, 1, "2026-03", 10),
            used(11, 2, "2026-01", 100),
        ];
        let rows = balance(&contracts, &lots, &commitments, &consumption, BalanceSettings::default());
        let contract = &rows[0];
        assert_eq!(contract.key, BalanceKey::Contract { contract_id: 7 });
        assert_eq!((contract.committed, contract.consumed), (m(1_500), m(610)));
        assert_eq!(contract.ceiling_balance, Some(m(1_000_000 - 610)));
        assert_eq!(rows[1].key, BalanceKey::Lot { contract_id: 7, lot_id: 1 });
        assert_eq!(rows[1].ceiling_balance, Some(m(600_000 - 510)));
        let agency = &rows[3];
        assert_eq!(agency.key, BalanceKey::AgencyLot { contract_id: 7, lot_id: 1, agency_id: 10 });
        assert_eq!(agency.remaining, m(-10));
        assert_eq!(agency.status, BalanceStatus::Exceeded);
        assert_eq!(agency.consumed_basis_points, Some(10_200));
        // 250 + 250 = 500 is not beyond 500; March's 510 is.
        assert_eq!(agency.overruns, vec![Overrun { month: "2026-03".into(), cumulative: m(510) }]);
        assert_eq!(rows[4].status, BalanceStatus::Ok);
        assert_eq!(rows.len(), 5);
    }

    proptest! {
        /// Every level adds up: a contract's committed and consumed are the
        /// sums of its lots', and a lot's the sums of its agencies'.
        #[test]
        fn levels_add_up(
            commitments in proptest::collection::vec((1i64..4, 1i64..4, 1i64..1_000_000), 0..12),
            used_rows in proptest::collection::vec((1i64..4, 1i64..4, 1u32..13, -1_000i64..1_000_000), 0..24),
        ) {
            let contracts = BTreeMap::from([(1, m(10_000_000)), (2, m(5))]);
            let lots = [
                LotInfo { lot_id: 1, contract_id: 1, ceiling: None },
                LotInfo { lot_id: 2, contract_id: 1, ceiling: Some(m(77)) },
                LotInfo { lot_id: 3, contract_id: 2, ceiling: None },
            ];
            let commitments: Vec<_> = commitments.into_iter().map(|(a, l, v)| (a, l, m(v))).collect();
            let consumption: Vec<_> =
                used_rows.into_iter().map(|(a, l, mo, v)| used(a, l, &format!("2026-{mo:02}"), v)).collect();
            let rows = balance(&contracts, &lots, &commitments, &consumption, BalanceSettings::default());
            let sum = |pred: &dyn Fn(&BalanceKey) -> bool| {
                rows.iter().filter(|r| pred(&r.key)).fold((Money::ZERO, Money::ZERO), |(c, u), r| (c + r.committed, u + r.consumed))
            };
            for r in &rows {
                match r.key {
                    BalanceKey::Contract { contract_id } => {
                        let lots_sum = sum(&|k| matches!(k, BalanceKey::Lot { contract_id: c, .. } if *c == contract_id));
                        prop_assert_eq!((r.committed, r.consumed), lots_sum);
                    }
                    BalanceKey::Lot { lot_id, .. } => {
                        let agencies = sum(&|k| matches!(k, BalanceKey::AgencyLot { lot_id: l, .. } if *l == lot_id));
                        prop_assert_eq!((r.committed, r.consumed), agencies);
                    }
                    BalanceKey::AgencyLot { .. } => {
                        prop_assert_eq!(r.remaining, r.committed - r.consumed);
                        prop_assert_eq!(r.status == BalanceStatus::Exceeded, r.consumed > r.committed);
                    }
                }
            }
        }
    }
}
