//! Brazilian registration numbers: CNPJ (companies and public bodies, including
//! the alphanumeric CNPJ of IN RFB 2.229/2024) and CPF (people).
//!
//! Stored normalised (no punctuation, upper case); displayed with the usual
//! mask. Check digits follow the Receita Federal's modulus-11 rule, where a
//! character's value is its ASCII code minus 48 (so digits keep their value).

use crate::error::{FieldError, Rule, Valid};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A valid CNPJ, normalised to 14 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cnpj(String);

/// A valid CPF, normalised to 11 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cpf(String);

fn normalise(input: &str) -> String {
    input.chars().filter(|c| !matches!(c, '.' | '/' | '-' | ' ')).map(|c| c.to_ascii_uppercase()).collect()
}

fn value(c: u8) -> u32 {
    u32::from(c) - 48
}

fn mod11_digit(chars: &[u8], weights: &[u32]) -> u8 {
    let sum: u32 = chars.iter().zip(weights).map(|(&c, &w)| value(c) * w).sum();
    let rest = sum % 11;
    if rest < 2 { b'0' } else { b'0' + (11 - rest) as u8 }
}

const CNPJ_W1: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W2: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

impl Cnpj {
    /// Validates and normalises `input` (with or without the mask).
    pub fn parse(field: &str, input: &str) -> Valid<Cnpj> {
        let invalid = || FieldError::new(field, Rule::InvalidCnpj);
        if input.trim().is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        let text = normalise(input);
        let bytes = text.as_bytes();
        if bytes.len() != 14
            || !bytes[..12].iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            || !bytes[12..].iter().all(u8::is_ascii_digit)
            || bytes.iter().all(|&b| b == bytes[0])
        {
            return Err(invalid());
        }
        let d1 = mod11_digit(&bytes[..12], &CNPJ_W1);
        let d2 = mod11_digit(&[&bytes[..12], &[d1][..]].concat(), &CNPJ_W2);
        if bytes[12] != d1 || bytes[13] != d2 {
            return Err(invalid());
        }
        Ok(Cnpj(text))
    }

    /// Completes a 12-character base (digits or A–Z) with its check digits.
    /// Used to generate valid numbers for the demo network and tests.
    pub fn from_base(base: &str) -> Option<Cnpj> {
        let base = normalise(base);
        let bytes = base.as_bytes();
        if bytes.len() != 12 || !bytes.iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
            return None;
        }
        let d1 = mod11_digit(bytes, &CNPJ_W1);
        let d2 = mod11_digit(&[bytes, &[d1][..]].concat(), &CNPJ_W2);
        let full = format!("{base}{}{}", d1 as char, d2 as char);
        Cnpj::parse("cnpj", &full).ok()
    }

    /// The 14 normalised characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `12.345.678/0001-95`.
    pub fn masked(&self) -> String {
        let s = &self.0;
        format!("{}.{}.{}/{}-{}", &s[0..2], &s[2..5], &s[5..8], &s[8..12], &s[12..14])
    }
}

impl fmt::Display for Cnpj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Cpf {
    /// Validates and normalises `input` (with or without the mask).
    pub fn parse(field: &str, input: &str) -> Valid<Cpf> {
        let invalid = || FieldError::new(field, Rule::InvalidCpf);
        if input.trim().is_empty() {
            return Err(FieldError::new(field, Rule::Required));
        }
        let text = normalise(input);
        let bytes = text.as_bytes();
        if bytes.len() != 11 || !bytes.iter().all(u8::is_ascii_digit) || bytes.iter().all(|&b| b == bytes[0])
        {
            return Err(invalid());
        }
        if bytes[9] != cpf_digit(&bytes[..9]) || bytes[10] != cpf_digit(&bytes[..10]) {
            return Err(invalid());
        }
        Ok(Cpf(text))
    }

    /// Completes a 9-digit base with its check digits.
    pub fn from_base(base: &str) -> Option<Cpf> {
        let bytes = base.as_bytes();
        if bytes.len() != 9 || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let d1 = cpf_digit(bytes);
        let d2 = cpf_digit(&[bytes, &[d1][..]].concat());
        Cpf::parse("cpf", &format!("{base}{}{}", d1 as char, d2 as char)).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `123.456.789-09`.
    pub fn masked(&self) -> String {
        let s = &self.0;
        format!("{}.{}.{}-{}", &s[0..3], &s[3..6], &s[6..9], &s[9..11])
    }

    /// `***.456.789-**`: the middle six digits only, for readers who need
    /// to tell two people apart but not to know who they are (the usual
    /// masking of a published CPF under the LGPD).
    pub fn redacted(&self) -> String {
        let s = &self.0;
        format!("***.{}.{}-**", &s[3..6], &s[6..9])
    }
}

impl fmt::Display for Cpf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// CPF check digit over `digits` (9 or 10 of them): weights n+1 … 2.
fn cpf_digit(digits: &[u8]) -> u8 {
    let top = digits.len() as u32 + 1;
    let sum: u32 = digits.iter().enumerate().map(|(i, &c)| value(c) * (top - i as u32)).sum();
    let rest = (sum * 10) % 11;
    b'0' + if rest == 10 { 0 } else { rest as u8 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_cnpjs() {
        // Published examples: a classic numeric CNPJ and the Receita Federal's
        // alphanumeric example.
        for ok in ["11.222.333/0001-81", "11222333000181", "12.ABC.345/01DE-35", "12abc34501de35"] {
            assert!(Cnpj::parse("cnpj", ok).is_ok(), "{ok}");
        }
        for bad in ["11.222.333/0001-82", "00000000000000", "1122233300018", "12.ABC.345/01DE-3X", ""] {
            assert!(Cnpj::parse("cnpj", bad).is_err(), "{bad}");
        }
        assert_eq!(Cnpj::parse("c", "11222333000181").map(|c| c.masked()), Ok("11.222.333/0001-81".into()));
    }

    #[test]
    fn known_cpfs() {
        for ok in ["529.982.247-25", "52998224725", "111.444.777-35"] {
            assert!(Cpf::parse("cpf", ok).is_ok(), "{ok}");
        }
        for bad in ["529.982.247-24", "11111111111", "5299822472", ""] {
            assert!(Cpf::parse("cpf", bad).is_err(), "{bad}");
        }
        assert_eq!(Cpf::parse("cpf", "52998224725").map(|c| c.redacted()), Ok("***.982.247-**".into()));
    }

    proptest! {
        #[test]
        fn generated_cnpjs_are_valid_and_a_changed_check_digit_is_not(base in "[0-9A-Z]{12}", pos in 12usize..14, delta in 1u8..10) {
            prop_assume!(!base.bytes().all(|b| b == base.as_bytes()[0]));
            let cnpj = Cnpj::from_base(&base).expect("valid base");
            prop_assert!(Cnpj::parse("c", &cnpj.masked()).is_ok());
            let mut bytes = cnpj.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).expect("ascii");
            prop_assert!(Cnpj::parse("c", &changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn generated_cpfs_are_valid(base in "[0-9]{9}") {
            prop_assume!(!base.bytes().all(|b| b == base.as_bytes()[0]));
            let cpf = Cpf::from_base(&base).expect("valid base");
            prop_assert!(Cpf::parse("c", &cpf.masked()).is_ok());
        }
    }
}
