//! The columns of each kind of row — accesses, sites, agencies, lots,
//! operators, prices and audit entries — defined once and used by the list
//! pages, the detail pages' tables and the CSV/XLSX exports alike.

use super::fetch::Holders;
use super::view::{Changes, Col, Column, Listing};
use redegov_app::{AccessRow, AuditEntry};
use redegov_domain::ids::AgencyId;
use redegov_domain::inventory::{Agency, Lot, Operator, Price, Region, Site};
use redegov_domain::time::format_local;
use std::collections::HashMap;

pub struct Accesses;

impl Listing for Accesses {
    type Item = AccessRow;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nº"),
        Column::both("Órgão"),
        Column::both("Município"),
        Column::both("Endereço"),
        Column::both("Lote"),
        Column::page_only("Velocidade"),
        Column::export_only("Velocidade (Mbps)"),
        Column::both("Redundância"),
        Column::both("Tecnologia"),
        Column::both("Situação"),
        Column::both("Valor mensal"),
        Column::export_only("Código IBGE"),
        Column::export_only("Serviço"),
        Column::export_only("Perfil"),
        Column::export_only("Ativado em"),
        Column::export_only("Endereços monitorados"),
    ];

    fn cells(&self, a: &AccessRow) -> Vec<Col> {
        let x = &a.access;
        vec![
            Col::id(x.id.0).link(format!("/acessos/{}", x.id)),
            Col::text(&a.agency_acronym).link(format!("/orgaos/{}", a.agency_id)),
            Col::text(&a.municipality_name),
            Col::text(&a.site_address).link(format!("/unidades/{}", x.site_id)),
            Col::text(&a.lot_code).link(format!("/lotes/{}", x.lot_id)),
            Col::mbps(x.bandwidth_mbps),
            Col::mbps(x.bandwidth_mbps),
            Col::text(x.redundancy.label()),
            Col::text(x.technology.label()),
            Col::status(x.status),
            Col::money(x.monthly_price),
            Col::id(i64::from(a.municipality_ibge)),
            Col::text(&x.service),
            Col::text(x.profile.label()),
            Col::text(x.activated_at.map(format_local).unwrap_or_default()),
            Col::text(x.probe_targets.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ")),
        ]
    }
}

/// Sites, with their agency's acronym.
pub struct Sites<'a> {
    pub acronyms: &'a HashMap<AgencyId, String>,
}

impl Listing for Sites<'_> {
    type Item = Site;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nº"),
        Column::both("Órgão"),
        Column::both("Nome"),
        Column::both("Endereço"),
        Column::both("Município"),
        Column::both("Área"),
        Column::both("Zona"),
        Column::both("Contato"),
        Column::export_only("Código IBGE"),
        Column::export_only("Telefone"),
        Column::export_only("E-mail"),
    ];

    fn cells(&self, s: &Site) -> Vec<Col> {
        let acronym =
            self.acronyms.get(&s.agency_id).cloned().unwrap_or_else(|| format!("nº {}", s.agency_id));
        vec![
            Col::id(s.id.0).link(format!("/unidades/{}", s.id)),
            Col::text(acronym).link(format!("/orgaos/{}", s.agency_id)),
            Col::text(&s.name),
            Col::text(&s.address),
            Col::text(&s.municipality_name),
            Col::text(s.area.label()),
            Col::text(s.zone.label()),
            Col::text(&s.contact_name),
            Col::id(i64::from(s.municipality_ibge)),
            Col::text(&s.contact_phone),
            Col::text(&s.contact_email),
        ]
    }
}

pub struct Agencies;

impl Listing for Agencies {
    type Item = Agency;
    const COLUMNS: &'static [Column] =
        &[Column::both("Sigla"), Column::both("Nome"), Column::both("CNPJ"), Column::both("Tipo")];

    fn cells(&self, a: &Agency) -> Vec<Col> {
        vec![
            Col::text(&a.acronym).link(format!("/orgaos/{}", a.id)),
            Col::text(&a.name),
            Col::text(a.cnpj.masked()),
            Col::text(a.kind.label()),
        ]
    }
}

/// Lots, with their holder's name.
pub struct Lots<'a> {
    pub holders: &'a Holders,
}

/// `Qualquer município` or `12 municípios`.
pub fn region_text(region: &Region) -> String {
    match region {
        Region::Any => "Qualquer município".into(),
        Region::Municipalities(codes) if codes.len() == 1 => "1 município".into(),
        Region::Municipalities(codes) => format!("{} municípios", super::view::count(codes.len() as i64)),
    }
}

impl Listing for Lots<'_> {
    type Item = Lot;
    const COLUMNS: &'static [Column] = &[
        Column::both("Lote"),
        Column::both("Titular"),
        Column::both("Perfil"),
        Column::both("Região"),
        Column::both("Descrição"),
        Column::both("Vigência"),
    ];

    fn cells(&self, l: &Lot) -> Vec<Col> {
        let (holder, href) = self.holders.name(l.holder);
        let holder = match href {
            Some(href) => Col::text(holder).link(href),
            None => Col::text(holder),
        };
        vec![
            Col::text(&l.code).link(format!("/lotes/{}", l.id)),
            holder,
            Col::text(l.profile.label()),
            Col::text(region_text(&l.region)),
            Col::text(&l.description),
            Col::text(super::view::period(l.starts_on, l.ends_on)),
        ]
    }
}

pub struct Operators;

impl Listing for Operators {
    type Item = Operator;
    const COLUMNS: &'static [Column] = &[Column::both("Nome"), Column::both("CNPJ")];

    fn cells(&self, o: &Operator) -> Vec<Col> {
        vec![Col::text(&o.name).link(format!("/operadoras/{}", o.id)), Col::text(o.cnpj.masked())]
    }
}

/// A lot's price table.
pub struct Prices;

impl Listing for Prices {
    type Item = Price;
    const COLUMNS: &'static [Column] = &[
        Column::both("Serviço"),
        Column::both("Velocidade"),
        Column::both("Área"),
        Column::both("Preço mensal"),
        Column::both("Vigência"),
    ];

    fn cells(&self, p: &Price) -> Vec<Col> {
        vec![
            Col::text(&p.service),
            Col::mbps(p.bandwidth_mbps),
            Col::text(p.area.label()),
            Col::money(p.monthly_price),
            Col::text(super::view::period(Some(p.effective_from), p.effective_to)),
        ]
    }
}

pub struct Audit;

/// The audit log's action codes in pt-BR.
pub fn action_label(action: &str) -> &str {
    match action {
        "create" => "Criação",
        "update" => "Alteração",
        "delete" => "Exclusão",
        "login" => "Acesso ao sistema",
        "import" => "Importação",
        other => other,
    }
}

/// Entities of the audit log: code, pt-BR label and the page of one of
/// them, if the portal has one.
pub const ENTITIES: &[(&str, &str, Option<&str>)] = &[
    ("access", "Acesso", Some("/acessos")),
    ("site", "Unidade", Some("/unidades")),
    ("agency", "Órgão", Some("/orgaos")),
    ("lot", "Lote", Some("/lotes")),
    ("operator", "Operadora", Some("/operadoras")),
    ("price", "Preço", None),
    ("consortium", "Consórcio", None),
    ("contract", "Contrato", None),
    ("user", "Usuário", None),
    ("api_token", "Token de API", None),
];

pub fn entity_label(entity: &str) -> &str {
    ENTITIES.iter().find(|(code, _, _)| *code == entity).map(|(_, label, _)| *label).unwrap_or(entity)
}

/// Pretty JSON for people; the stored text when it is not JSON.
fn pretty(json: Option<&str>) -> String {
    match json {
        None => "—".into(),
        Some(text) => serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| text.to_string()),
    }
}

/// The top-level fields whose values differ between two snapshots.
pub fn changed_fields(before: Option<&str>, after: Option<&str>) -> Vec<String> {
    let object = |json: Option<&str>| match json.and_then(|t| serde_json::from_str(t).ok()) {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (before, after) = (object(before), object(after));
    let mut keys: Vec<String> =
        before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).cloned().collect();
    keys.sort();
    keys.dedup();
    keys
}

impl Listing for Audit {
    type Item = AuditEntry;
    const COLUMNS: &'static [Column] = &[
        Column::both("Data"),
        Column::both("Usuário"),
        Column::both("Ação"),
        Column::both("Entidade"),
        Column::both("ID"),
        Column::page_only("Alterações"),
        Column::export_only("Antes (JSON)"),
        Column::export_only("Depois (JSON)"),
    ];

    fn cells(&self, entry: &AuditEntry) -> Vec<Col> {
        let e = &entry.entry;
        let page = ENTITIES.iter().find(|(code, _, _)| *code == e.entity).and_then(|(_, _, page)| *page);
        let id = match (e.entity_id, page) {
            (Some(id), Some(page)) if e.action != "delete" => Col::id(id).link(format!("{page}/{id}")),
            (Some(id), _) => Col::id(id),
            (None, _) => Col::text(""),
        };
        let before = e.before_json.as_deref();
        let after = e.after_json.as_deref();
        let summary = match (before, after) {
            (None, None) => "sem dados".to_string(),
            (None, Some(_)) => "registro criado".to_string(),
            (Some(_), None) => "registro excluído".to_string(),
            (Some(_), Some(_)) => match changed_fields(before, after) {
                fields if fields.is_empty() => "nenhum campo alterado".to_string(),
                fields => format!("alterado: {}", fields.join(", ")),
            },
        };
        let changes = Changes { summary, before: pretty(before), after: pretty(after) };
        vec![
            Col::text(format_local(e.at)),
            Col::text(&e.login),
            Col::text(action_label(&e.action)),
            Col::text(entity_label(&e.entity)),
            id,
            Col::text(changes.summary.clone()).changes(changes),
            Col::text(before.unwrap_or_default()),
            Col::text(after.unwrap_or_default()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_fields_compare_top_level_values() {
        let before = r#"{"id":1,"status":"active","bandwidth_mbps":4}"#;
        let after = r#"{"id":1,"status":"suspended","bandwidth_mbps":4,"suspended_at":"x"}"#;
        assert_eq!(changed_fields(Some(before), Some(after)), ["status", "suspended_at"]);
        assert!(changed_fields(Some(before), Some(before)).is_empty());
        assert_eq!(changed_fields(None, Some(r#"{"a":1}"#)), ["a"]);
        assert!(changed_fields(Some("not json"), None).is_empty());
    }

    #[test]
    fn labels_in_pt_br() {
        assert_eq!(action_label("update"), "Alteração");
        assert_eq!(entity_label("access"), "Acesso");
        assert_eq!(entity_label("novidade"), "novidade");
        assert_eq!(region_text(&Region::Any), "Qualquer município");
        assert_eq!(region_text(&Region::Municipalities([3106200, 3170206].into())), "2 municípios");
    }
}
