//! The 5,570 Brazilian municipalities with their IBGE codes, shipped inside
//! the binary (from `data/municipios-ibge.csv`, public IBGE facts).
//!
//! Used to validate `municipality_ibge`, for the portal's municipality picker
//! and for the demo network. Parsed once, on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

/// One municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    pub ibge_code: u32,
    pub uf: &'static str,
    pub name: &'static str,
}

const CSV: &str = include_str!("../data/municipios-ibge.csv");

struct Table {
    all: Vec<Municipality>,
    by_code: HashMap<u32, usize>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut all = Vec::with_capacity(5570);
        for line in CSV.lines().skip(1) {
            // The shipped file is fixed at build time and checked by a test;
            // a malformed line would be skipped, never half-read.
            let mut parts = line.splitn(3, ',');
            let (Some(code), Some(uf), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let Ok(ibge_code) = code.parse() else { continue };
            all.push(Municipality { ibge_code, uf, name: name.trim_matches('"') });
        }
        let by_code = all.iter().enumerate().map(|(i, m)| (m.ibge_code, i)).collect();
        Table { all, by_code }
    })
}

/// The municipality with this IBGE code, if it exists.
pub fn by_code(ibge_code: u32) -> Option<&'static Municipality> {
    let t = table();
    t.by_code.get(&ibge_code).map(|&i| &t.all[i])
}

pub use crate::text::fold;

/// All municipalities, in IBGE code order.
pub fn all() -> &'static [Municipality] {
    &table().all
}

/// The municipalities of one state (UF), in IBGE code order.
pub fn of_state(uf: &str) -> impl Iterator<Item = &'static Municipality> {
    all().iter().filter(move |m| m.uf == uf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ships_all_municipalities() {
        assert_eq!(all().len(), 5570);
        assert_eq!(of_state("MG").count(), 853);
        assert_eq!(of_state("SP").count(), 645);
        assert_eq!(by_code(3106200).map(|m| m.name), Some("Belo Horizonte"));
        assert_eq!(by_code(3550308).map(|m| m.name), Some("São Paulo"));
        assert!(by_code(1234567).is_none());
        assert_eq!(fold(" São João del-Rei "), "sao joao del-rei");
    }
}
