//! Money in integer centavos, the one rounding function, and pt-BR formatting.
//!
//! There is no floating point here. Every computation that divides (pro-rata
//! charges, credits, shares) goes through [`div_round`], which rounds half away
//! from zero, so the rounding rule of the contract lives in exactly one place.

use crate::error::{FieldError, Rule, Valid};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// An amount of Brazilian reais, in integer centavos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_centavos(centavos: i64) -> Self {
        Money(centavos)
    }

    pub const fn centavos(self) -> i64 {
        self.0
    }

    /// `self × numerator ÷ denominator`, rounded once with [`div_round`].
    /// Used for every pro-rata amount. `denominator` must not be zero.
    pub fn mul_div(self, numerator: i64, denominator: i64) -> Money {
        let exact = i128::from(self.0) * i128::from(numerator);
        let rounded = div_round(exact, i128::from(denominator));
        // A pro-rata of an i64 amount by a ratio ≤ 1 always fits; larger
        // ratios are saturated rather than wrapped.
        Money(i64::try_from(rounded).unwrap_or(if rounded > 0 { i64::MAX } else { i64::MIN }))
    }

    /// pt-BR display: `R$ 1.234,56`, `-R$ 0,05`.
    pub fn format_brl(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}R$ {},{:02}", group_thousands(abs / 100), abs % 100)
    }

    /// Parses what people type: `1.234,56`, `R$ 1.234,56`, `1234,5`, `1234`,
    /// and also the dot-decimal `1234.56` used by machines. At most two
    /// decimal places; anything else is refused rather than rounded.
    pub fn parse_brl(field: &str, input: &str) -> Valid<Money> {
        let malformed = || FieldError::new(field, Rule::Malformed("valor em reais, ex.: 1.234,56"));
        let mut text: String = input.trim().replace("R$", "").split_whitespace().collect();
        let negative = text.starts_with('-');
        if negative {
            text.remove(0);
        }
        if text.is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        let (int_part, frac_part) = if let Some((i, f)) = text.rsplit_once(',') {
            (i.replace('.', ""), f.to_string())
        } else if let Some((i, f)) = text.rsplit_once('.') {
            // Only a dot: a decimal point if followed by 1–2 digits and no
            // other dot, otherwise thousands separators ("1.234.567").
            if f.len() <= 2 && !i.contains('.') {
                (i.to_string(), f.to_string())
            } else {
                (text.replace('.', ""), String::new())
            }
        } else {
            (text.clone(), String::new())
        };
        if int_part.is_empty()
            || !int_part.bytes().all(|b| b.is_ascii_digit())
            || frac_part.len() > 2
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(malformed());
        }
        let reais: i64 = int_part.parse().map_err(|_| malformed())?;
        let cents: i64 = match frac_part.len() {
            0 => 0,
            1 => frac_part.parse::<i64>().map_err(|_| malformed())? * 10,
            _ => frac_part.parse().map_err(|_| malformed())?,
        };
        let total = reais.checked_mul(100).and_then(|v| v.checked_add(cents)).ok_or_else(malformed)?;
        Ok(Money(if negative { -total } else { total }))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_brl())
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

/// The one rounding function: `numerator ÷ denominator` rounded to the
/// nearest integer, halves away from zero. `denominator` must not be zero.
pub fn div_round(numerator: i128, denominator: i128) -> i128 {
    assert!(denominator != 0, "div_round: zero denominator");
    let (n, d) = if denominator < 0 { (-numerator, -denominator) } else { (numerator, denominator) };
    let quotient = n / d;
    let remainder = n % d;
    if 2 * remainder.abs() >= d { quotient + n.signum() } else { quotient }
}

/// `1234567` → `1.234.567`.
pub fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

/// Basis points (hundredths of a percent) as pt-BR text: `3333` → `33,33 %`.
pub fn format_percent_bp(basis_points: i64) -> String {
    let sign = if basis_points < 0 { "-" } else { "" };
    let abs = basis_points.unsigned_abs();
    match abs % 100 {
        0 => format!("{sign}{} %", abs / 100),
        frac => format!("{sign}{},{:02} %", abs / 100, frac),
    }
}

/// Parses a percentage with at most two decimals (`"60"`, `"33.33"`,
/// `"33,33"`) into basis points. Exact: no float is involved.
pub fn parse_percent_bp(field: &str, input: &str) -> Valid<i64> {
    let malformed = || FieldError::new(field, Rule::Malformed("percentual com até 2 casas, ex.: 33.33"));
    let text = input.trim().trim_end_matches('%').trim().replace(',', ".");
    let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, ""));
    if int_part.is_empty()
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || frac_part.len() > 2
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
        || int_part.len() > 6
    {
        return Err(malformed());
    }
    let int: i64 = int_part.parse().map_err(|_| malformed())?;
    let frac: i64 = match frac_part.len() {
        0 => 0,
        1 => frac_part.parse::<i64>().map_err(|_| malformed())? * 10,
        _ => frac_part.parse().map_err(|_| malformed())?,
    };
    Ok(int * 100 + frac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_brl() {
        for (cents, text) in [
            (0, "R$ 0,00"),
            (5, "R$ 0,05"),
            (123456, "R$ 1.234,56"),
            (22638, "R$ 226,38"),
            (100000000, "R$ 1.000.000,00"),
            (-5, "-R$ 0,05"),
        ] {
            assert_eq!(Money::from_centavos(cents).format_brl(), text);
        }
    }

    #[test]
    fn parses_brl() {
        for (text, cents) in [
            ("1.234,56", 123456),
            ("R$ 1.234,56", 123456),
            ("1234,5", 123450),
            ("1234", 123400),
            ("1234.56", 123456),
            ("1.234.567", 123456700),
            ("-0,05", -5),
        ] {
            assert_eq!(Money::parse_brl("v", text), Ok(Money::from_centavos(cents)), "{text}");
        }
        for bad in ["", "abc", "1,234", "12,3,4", "1.2.3,456"] {
            assert!(Money::parse_brl("v", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rounds_half_away_from_zero() {
        for (n, d, q) in [(5, 2, 3), (-5, 2, -3), (4, 3, 1), (5, 3, 2), (-4, 3, -1), (1, -2, -1), (0, 7, 0)] {
            assert_eq!(div_round(n, d), q, "{n}/{d}");
        }
    }

    #[test]
    fn percent_round_trip() {
        assert_eq!(parse_percent_bp("s", "33.33"), Ok(3333));
        assert_eq!(parse_percent_bp("s", "60"), Ok(6000));
        assert_eq!(parse_percent_bp("s", "0,5"), Ok(50));
        assert!(parse_percent_bp("s", "33.333").is_err());
        assert_eq!(format_percent_bp(3333), "33,33 %");
        assert_eq!(format_percent_bp(10000), "100 %");
    }

    proptest! {
        #[test]
        fn brl_format_parses_back(cents in -10_000_000_000i64..10_000_000_000) {
            let m = Money::from_centavos(cents);
            prop_assert_eq!(Money::parse_brl("v", &m.format_brl()), Ok(m));
        }

        #[test]
        fn div_round_is_within_half(n in -1_000_000_000i128..1_000_000_000, d in 1i128..100_000) {
            let q = div_round(n, d);
            // |n/d − q| ≤ 1/2  ⇔  |n − q·d| ≤ d/2
            prop_assert!(2 * (n - q * d).abs() <= d);
            prop_assert_eq!(div_round(-n, d), -q);
        }
    }
}
