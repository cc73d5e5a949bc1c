//! Service-level indicators (IMR) as data: availability targets, repair-time
//! limits and penalty rules, with the evaluation of a measurement against
//! them (DOMAIN §5–§6). The defaults are DOMAIN's examples; a contract's
//! rules replace them per lot and effective date in the store.

use crate::inventory::{Area, Profile, Technology};
use crate::money::{Money, div_round};
use serde::{Deserialize, Serialize};

/// How a breach is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PenaltyRule {
    /// A share of the access's monthly charge, in basis points (1 % = 100).
    PercentOfCharge { basis_points: i64 },
    /// A fixed amount per unit (per breach, or per day late).
    Fixed { per_unit: Money },
}

/// The indicator rules of a lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImrRules {
    /// Availability targets in units of 0.0001 % (995,000 = 99.5 %).
    pub availability_target: Vec<(Profile, i64)>,
    pub satellite_availability_target: i64,
    /// Repair-time limits in seconds.
    pub repair_limit_capital: i64,
    pub repair_limit_elsewhere: i64,
    pub repair_limit_satellite: i64,
    /// Minimum notice for a maintenance window, in seconds.
    pub maintenance_notice: i64,
    pub availability_penalty: Option<PenaltyRule>,
    pub repair_penalty: Option<PenaltyRule>,
    /// Cap on an access's penalties in one month, as a share of its charge
    /// in basis points.
    pub monthly_cap_basis_points: Option<i64>,
    /// Time granularity of the downtime, in seconds (1: to the second; 60:
    /// whole minutes). Amounts are always rounded once per line, half away
    /// from zero, to the centavo.
    #[serde(default = "one_second")]
    pub granularity_seconds: i64,
    /// The penalty per day an order was delivered late (DOMAIN §4, §6):
    /// a share of the access's charge or a fixed amount, times the days.
    #[serde(default = "order_deadline_penalty")]
    pub order_deadline_penalty: Option<PenaltyRule>,
}

fn one_second() -> i64 {
    1
}

/// [default] 0.5 % of the access's monthly charge per day late.
fn order_deadline_penalty() -> Option<PenaltyRule> {
    Some(PenaltyRule::PercentOfCharge { basis_points: 50 })
}

impl Default for ImrRules {
    /// DOMAIN's example values: Perfil I 99.5 %, satellite 98 %; repair 4 h in
    /// the capital, 8 h elsewhere, 24 h by satellite; 48 h notice.
    fn default() -> Self {
        ImrRules {
            availability_target: vec![
                (Profile::I, 995_000),
                (Profile::II, 995_000),
                (Profile::III, 990_000),
                (Profile::IV, 980_000),
                (Profile::V, 980_000),
            ],
            satellite_availability_target: 980_000,
            repair_limit_capital: 4 * 3600,
            repair_limit_elsewhere: 8 * 3600,
            repair_limit_satellite: 24 * 3600,
            maintenance_notice: 48 * 3600,
            availability_penalty: Some(PenaltyRule::PercentOfCharge { basis_points: 500 }),
            repair_penalty: None,
            monthly_cap_basis_points: Some(1_000),
            granularity_seconds: 1,
            order_deadline_penalty: order_deadline_penalty(),
        }
    }
}

/// One indicator missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breach {
    Availability {
        measured_micro: i64,
        target_micro: i64,
    },
    RepairTime {
        seconds: i64,
        limit: i64,
    },
    /// A service order delivered `late_days` after its deadline.
    OrderDeadline {
        late_days: i64,
    },
}

impl ImrRules {
    /// Checks that the rules make sense, naming the field that does not.
    pub fn validate(&self) -> crate::error::Valid<()> {
        use crate::error::{FieldError, Rule};
        let micro = |field: &str, v: i64| {
            if (0..=1_000_000).contains(&v) {
                Ok(())
            } else {
                Err(FieldError::new(field, Rule::OutOfRange { min: 0, max: 1_000_000 }))
            }
        };
        for (i, (_, target)) in self.availability_target.iter().enumerate() {
            micro(&format!("availability_target[{i}]"), *target)?;
        }
        micro("satellite_availability_target", self.satellite_availability_target)?;
        let positive = |field: &str, v: i64, max: i64| {
            if (1..=max).contains(&v) {
                Ok(())
            } else {
                Err(FieldError::new(field, Rule::OutOfRange { min: 1, max }))
            }
        };
        positive("repair_limit_capital", self.repair_limit_capital, 30 * 86_400)?;
        positive("repair_limit_elsewhere", self.repair_limit_elsewhere, 30 * 86_400)?;
        positive("repair_limit_satellite", self.repair_limit_satellite, 30 * 86_400)?;
        positive("maintenance_notice", self.maintenance_notice, 30 * 86_400)?;
        if ![1, 60].contains(&self.granularity_seconds) {
            return Err(FieldError::new("granularity_seconds", Rule::OneOf(&["1", "60"])));
        }
        for (field, rule) in [
            ("availability_penalty", self.availability_penalty),
            ("repair_penalty", self.repair_penalty),
            ("order_deadline_penalty", self.order_deadline_penalty),
        ] {
            match rule {
                Some(PenaltyRule::PercentOfCharge { basis_points })
                    if !(0..=10_000).contains(&basis_points) =>
                {
                    return Err(FieldError::new(
                        format!("{field}.basis_points"),
                        Rule::OutOfRange { min: 0, max: 10_000 },
                    ));
                }
                Some(PenaltyRule::Fixed { per_unit }) if per_unit.centavos() < 0 => {
                    return Err(FieldError::new(
                        format!("{field}.per_unit"),
                        Rule::OutOfRange { min: 0, max: i64::MAX },
                    ));
                }
                _ => {}
            }
        }
        if let Some(cap) = self.monthly_cap_basis_points
            && !(0..=10_000).contains(&cap)
        {
            return Err(FieldError::new(
                "monthly_cap_basis_points",
                Rule::OutOfRange { min: 0, max: 10_000 },
            ));
        }
        Ok(())
    }

    pub fn availability_target(&self, profile: Profile, technology: Technology) -> i64 {
        if technology == Technology::Satellite {
            return self.satellite_availability_target;
        }
        self.availability_target.iter().find(|(p, _)| *p == profile).map_or(1_000_000, |(_, t)| *t)
    }

    pub fn repair_limit(&self, area: Area, technology: Technology) -> i64 {
        match (technology, area) {
            (Technology::Satellite, _) => self.repair_limit_satellite,
            (_, Area::Capital) => self.repair_limit_capital,
            _ => self.repair_limit_elsewhere,
        }
    }

    /// The availability breach of a measured month, if any. A month with no
    /// billable time cannot breach.
    pub fn availability_breach(
        &self,
        measured_micro: i64,
        billable_seconds: i64,
        profile: Profile,
        technology: Technology,
    ) -> Option<Breach> {
        let target_micro = self.availability_target(profile, technology);
        (billable_seconds > 0 && measured_micro < target_micro)
            .then_some(Breach::Availability { measured_micro, target_micro })
    }

    pub fn repair_breach(&self, seconds: i64, area: Area, technology: Technology) -> Option<Breach> {
        let limit = self.repair_limit(area, technology);
        (seconds > limit).then_some(Breach::RepairTime { seconds, limit })
    }

    /// The proposed penalty for `breaches` of one access in one month whose
    /// charge is `charge`, capped; each amount rounded once.
    pub fn proposed_penalty(&self, breaches: &[Breach], charge: Money) -> Money {
        let price = |rule: Option<PenaltyRule>| match rule {
            Some(PenaltyRule::PercentOfCharge { basis_points }) => charge.mul_div(basis_points, 10_000),
            Some(PenaltyRule::Fixed { per_unit }) => per_unit,
            None => Money::ZERO,
        };
        let total: Money = breaches
            .iter()
            .map(|b| match b {
                Breach::Availability { .. } => price(self.availability_penalty),
                Breach::RepairTime { .. } => price(self.repair_penalty),
                // Priced per day and rounded once, over all the days.
                Breach::OrderDeadline { late_days } => match self.order_deadline_penalty {
                    Some(PenaltyRule::PercentOfCharge { basis_points }) => {
                        charge.mul_div(basis_points * late_days, 10_000)
                    }
                    Some(PenaltyRule::Fixed { per_unit }) => {
                        Money::from_centavos(per_unit.centavos() * late_days)
                    }
                    None => Money::ZERO,
                },
            })
            .sum();
        match self.monthly_cap_basis_points {
            Some(cap) => total.min(charge.mul_div(cap, 10_000)),
            None => total,
        }
    }
}

/// Availability in units of 0.0001 % for `up` of `total` seconds (100 % when
/// nothing was billable), rounded once.
pub fn availability_micro(up: i64, total: i64) -> i64 {
    if total <= 0 {
        return 1_000_000;
    }
    i64::try_from(div_round(i128::from(up) * 1_000_000, i128::from(total))).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_limits_follow_profile_area_and_technology() {
        let r = ImrRules::default();
        assert_eq!(r.availability_target(Profile::I, Technology::Terrestrial), 995_000);
        assert_eq!(r.availability_target(Profile::I, Technology::Satellite), 980_000);
        assert_eq!(r.repair_limit(Area::Capital, Technology::Terrestrial), 4 * 3600);
        assert_eq!(r.repair_limit(Area::Interior, Technology::Terrestrial), 8 * 3600);
        assert_eq!(r.repair_limit(Area::Capital, Technology::Satellite), 24 * 3600);
    }

    #[test]
    fn breaches_and_capped_penalties() {
        let r = ImrRules {
            repair_penalty: Some(PenaltyRule::Fixed { per_unit: Money::from_centavos(50_000) }),
            ..Default::default()
        };
        assert_eq!(
            r.availability_breach(995_000, 10, Profile::I, Technology::Terrestrial),
            None,
            "target met exactly"
        );
        let miss = r.availability_breach(994_999, 10, Profile::I, Technology::Terrestrial).expect("breach");
        assert_eq!(
            r.availability_breach(0, 0, Profile::I, Technology::Terrestrial),
            None,
            "nothing billable"
        );
        let slow = r.repair_breach(8 * 3600 + 1, Area::Interior, Technology::Terrestrial).expect("breach");
        assert_eq!(r.repair_breach(8 * 3600, Area::Interior, Technology::Terrestrial), None);
        let charge = Money::from_centavos(1_000_001);
        // 5 % of R$ 10.000,01 = R$ 500,0005 → R$ 500,00 (rounded once).
        assert_eq!(r.proposed_penalty(std::slice::from_ref(&miss), charge), Money::from_centavos(50_000));
        // 500,00 + 500,00 capped at 10 % of the charge = R$ 1.000,00.
        assert_eq!(r.proposed_penalty(&[miss, slow], charge), Money::from_centavos(100_000));
        // An order 3 days late: 0.5 % of the charge per day, in the cap.
        let late = Breach::OrderDeadline { late_days: 3 };
        assert_eq!(r.proposed_penalty(std::slice::from_ref(&late), charge), Money::from_centavos(15_000));
        let fixed = ImrRules {
            order_deadline_penalty: Some(PenaltyRule::Fixed { per_unit: Money::from_centavos(10_000) }),
            monthly_cap_basis_points: None,
            ..Default::default()
        };
        assert_eq!(fixed.proposed_penalty(&[late], charge), Money::from_centavos(30_000));
        assert_eq!(availability_micro(743, 744), 998_656);
        assert_eq!(availability_micro(0, 0), 1_000_000);
    }
}
