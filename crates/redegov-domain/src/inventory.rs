//! The network inventory: operators, consortia, contracts, lots and their
//! price tables, agencies, sites and accesses.
//!
//! Each `New*` type is a validated input: building one checks every rule that
//! needs no database (formats, sums, date order, counts), and names the field
//! that broke it. Rules that need other rows (a lot's region against a site's
//! municipality, a price lookup) are pure functions here too, called by the
//! app layer with the rows it loaded.

use crate::document::Cnpj;
use crate::error::{FieldError, Rule, Valid, required};
use crate::ids::*;
use crate::money::Money;
use crate::municipality;
use crate::time::{Timestamp, ordered};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Declares a closed set of codes: an enum with `as_str`, `parse` (naming the
/// field and listing the allowed values) and `ALL`.
macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal / $label:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),* }

        /// Serialised as its code (`as_str`), like everywhere else.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let code = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                match code.as_ref() {
                    $($code => Ok($name::$variant),)*
                    other => Err(<D::Error as serde::de::Error>::unknown_variant(other, Self::CODES)),
                }
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub const CODES: &'static [&'static str] = &[$($code),*];

            /// The stable code used in the API, CSV files and the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            /// The pt-BR label shown in the portal.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }

            pub fn parse(field: &str, input: &str) -> Valid<$name> {
                match input.trim() {
                    $($code => Ok($name::$variant),)*
                    "" => Err(FieldError::new(field, Rule::Required)),
                    _ => Err(FieldError::new(field, Rule::OneOf(Self::CODES))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use code_enum;

code_enum!(
    /// How an agency joined the network (DOMAIN §8).
    AgencyKind {
        Compulsory = "compulsory" / "Compulsório",
        Facultative = "facultative" / "Facultativo",
        Municipality = "municipality" / "Prefeitura",
    }
);

code_enum!(
    /// The price area of a site.
    Area {
        Capital = "capital" / "Capital",
        Metropolitan = "metropolitan" / "Região metropolitana",
        Interior = "interior" / "Interior",
    }
);

code_enum!(
    /// Urban or rural site.
    Zone {
        Urban = "urban" / "Urbana",
        Rural = "rural" / "Rural",
    }
);

code_enum!(
    /// The service class of a lot (Perfil).
    Profile {
        I = "I" / "Perfil I",
        II = "II" / "Perfil II",
        III = "III" / "Perfil III",
        IV = "IV" / "Perfil IV",
        V = "V" / "Perfil V",
    }
);

code_enum!(
    /// Redundancy of an access: two links and two CPEs, two links and one
    /// CPE, or a single link.
    Redundancy {
        Critical = "critical" / "Crítica",
        NonCritical = "non_critical" / "Não crítica",
        None = "none" / "Sem redundância",
    }
);

code_enum!(
    /// Transmission technology.
    Technology {
        Terrestrial = "terrestrial" / "Terrestre",
        Satellite = "satellite" / "Satélite",
    }
);

code_enum!(
    /// Where an access is in its life.
    AccessStatus {
        Requested = "requested" / "Solicitado",
        Installing = "installing" / "Em instalação",
        Active = "active" / "Ativo",
        Suspended = "suspended" / "Suspenso",
        Deactivated = "deactivated" / "Desativado",
    }
);

impl Redundancy {
    /// How many probe targets an access with this redundancy has.
    pub fn probe_target_count(self) -> usize {
        match self {
            Redundancy::None => 1,
            Redundancy::Critical | Redundancy::NonCritical => 2,
        }
    }
}

impl AccessStatus {
    /// The life cycle: requested → installing → active ⇄ suspended →
    /// deactivated; any state may be deactivated (a cancelled request).
    pub fn can_become(self, next: AccessStatus) -> bool {
        use AccessStatus::*;
        matches!(
            (self, next),
            (Requested, Installing)
                | (Requested, Active)
                | (Installing, Active)
                | (Active, Suspended)
                | (Suspended, Active)
                | (Requested | Installing | Active | Suspended, Deactivated)
        )
    }
}

/// A telecom operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    pub id: OperatorId,
    pub name: String,
    pub cnpj: Cnpj,
}

/// Input for an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewOperator {
    pub name: String,
    pub cnpj: Cnpj,
}

impl NewOperator {
    pub fn new(name: &str, cnpj: &str) -> Valid<Self> {
        Ok(NewOperator { name: required("name", name)?, cnpj: Cnpj::parse("cnpj", cnpj)? })
    }
}

/// One member of a consortium and its share, in basis points (1 % = 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConsortiumMember {
    pub operator_id: OperatorId,
    pub share_bp: i64,
}

/// A consortium of operators holding a lot together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consortium {
    pub id: ConsortiumId,
    pub name: String,
    pub members: Vec<ConsortiumMember>,
}

/// Input for a consortium: at least two distinct members whose shares sum
/// to exactly 100 %.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewConsortium {
    pub name: String,
    pub members: Vec<ConsortiumMember>,
}

pub const FULL_SHARE_BP: i64 = 10_000;

impl NewConsortium {
    pub fn new(name: &str, members: Vec<ConsortiumMember>) -> Valid<Self> {
        let name = required("name", name)?;
        if members.len() < 2 {
            return Err(FieldError::new(
                "members",
                Rule::Other("a consortium has at least two members".into()),
            ));
        }
        let distinct: BTreeSet<_> = members.iter().map(|m| m.operator_id).collect();
        if distinct.len() != members.len() {
            return Err(FieldError::new("members", Rule::Duplicate));
        }
        for (i, m) in members.iter().enumerate() {
            if m.share_bp <= 0 || m.share_bp > FULL_SHARE_BP {
                return Err(FieldError::new(
                    format!("members[{i}].share_percent"),
                    Rule::OutOfRange { min: 0, max: 100 },
                ));
            }
        }
        let sum: i64 = members.iter().map(|m| m.share_bp).sum();
        if sum != FULL_SHARE_BP {
            return Err(FieldError::new("members", Rule::SharesMustSumTo100 { sum_basis_points: sum }));
        }
        Ok(NewConsortium { name, members })
    }
}

/// A contract of the network program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contract {
    pub id: ContractId,
    pub number: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub ceiling: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewContract {
    pub number: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub ceiling: Money,
}

impl NewContract {
    pub fn new(number: &str, starts_on: NaiveDate, ends_on: NaiveDate, ceiling: Money) -> Valid<Self> {
        let number = required("number", number)?;
        if ends_on <= starts_on {
            return Err(FieldError::new("ends_on", Rule::DatesOutOfOrder));
        }
        if ceiling.centavos() <= 0 {
            return Err(FieldError::new("ceiling_centavos", Rule::OutOfRange { min: 1, max: i64::MAX }));
        }
        Ok(NewContract { number, starts_on, ends_on, ceiling })
    }
}

/// Who holds a lot: one operator or a consortium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LotHolder {
    Operator(OperatorId),
    Consortium(ConsortiumId),
}

/// Where a lot may install accesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Region {
    Any,
    Municipalities(BTreeSet<u32>),
}

impl Region {
    /// Builds a region from IBGE codes; an empty list means "any".
    pub fn from_codes(codes: &[u32]) -> Valid<Region> {
        if codes.is_empty() {
            return Ok(Region::Any);
        }
        for (i, &code) in codes.iter().enumerate() {
            if municipality::by_code(code).is_none() {
                return Err(FieldError::new(format!("region[{i}]"), Rule::UnknownMunicipality));
            }
        }
        Ok(Region::Municipalities(codes.iter().copied().collect()))
    }

    pub fn contains(&self, ibge_code: u32) -> bool {
        match self {
            Region::Any => true,
            Region::Municipalities(codes) => codes.contains(&ibge_code),
        }
    }

    /// The region's codes; empty for "any".
    pub fn codes(&self) -> Vec<u32> {
        match self {
            Region::Any => Vec::new(),
            Region::Municipalities(codes) => codes.iter().copied().collect(),
        }
    }
}

/// A lot of a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lot {
    pub id: LotId,
    pub contract_id: ContractId,
    pub code: String,
    pub holder: LotHolder,
    pub profile: Profile,
    pub region: Region,
    pub description: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewLot {
    pub contract_id: ContractId,
    pub code: String,
    pub holder: LotHolder,
    pub profile: Profile,
    pub region: Region,
    pub description: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

impl NewLot {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        contract_id: ContractId,
        code: &str,
        holder: LotHolder,
        profile: Profile,
        region: Region,
        description: &str,
        starts_on: Option<NaiveDate>,
        ends_on: Option<NaiveDate>,
    ) -> Valid<Self> {
        let code = required("code", code)?;
        if let (Some(start), Some(end)) = (starts_on, ends_on) {
            ordered("ends_on", &start, Some(&end))?;
        }
        Ok(NewLot {
            contract_id,
            code,
            holder,
            profile,
            region,
            description: description.trim().to_string(),
            starts_on,
            ends_on,
        })
    }
}

/// One entry of a lot's price table: service × bandwidth × area → monthly
/// price, valid from a date (and until one, if replaced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Price {
    pub id: PriceId,
    pub lot_id: LotId,
    pub service: String,
    pub bandwidth_mbps: i64,
    pub area: Area,
    pub monthly_price: Money,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPrice {
    pub lot_id: LotId,
    pub service: String,
    pub bandwidth_mbps: i64,
    pub area: Area,
    pub monthly_price: Money,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
}

pub const MAX_BANDWIDTH_MBPS: i64 = 100_000;

impl NewPrice {
    pub fn new(
        lot_id: LotId,
        service: &str,
        bandwidth_mbps: i64,
        area: Area,
        monthly_price: Money,
        effective_from: NaiveDate,
        effective_to: Option<NaiveDate>,
    ) -> Valid<Self> {
        let service = required("service", service)?.to_uppercase();
        check_bandwidth(bandwidth_mbps)?;
        if monthly_price.centavos() <= 0 {
            return Err(FieldError::new(
                "monthly_price_centavos",
                Rule::OutOfRange { min: 1, max: i64::MAX },
            ));
        }
        ordered("effective_to", &effective_from, effective_to.as_ref())?;
        Ok(NewPrice { lot_id, service, bandwidth_mbps, area, monthly_price, effective_from, effective_to })
    }
}

fn check_bandwidth(bandwidth_mbps: i64) -> Valid<()> {
    if (1..=MAX_BANDWIDTH_MBPS).contains(&bandwidth_mbps) {
        Ok(())
    } else {
        Err(FieldError::new("bandwidth_mbps", Rule::OutOfRange { min: 1, max: MAX_BANDWIDTH_MBPS }))
    }
}

/// The price in force on `on` for this service, bandwidth and area, if the
/// table has one. When two entries overlap, the one that started last wins.
pub fn resolve_price<'a>(
    table: &'a [Price],
    service: &str,
    bandwidth_mbps: i64,
    area: Area,
    on: NaiveDate,
) -> Option<&'a Price> {
    table
        .iter()
        .filter(|p| {
            p.service.eq_ignore_ascii_case(service)
                && p.bandwidth_mbps == bandwidth_mbps
                && p.area == area
                && p.effective_from <= on
                && p.effective_to.is_none_or(|end| on <= end)
        })
        .max_by_key(|p| p.effective_from)
}

/// A customer unit of the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agency {
    pub id: AgencyId,
    pub name: String,
    pub acronym: String,
    pub cnpj: Cnpj,
    pub kind: AgencyKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAgency {
    pub name: String,
    pub acronym: String,
    pub cnpj: Cnpj,
    pub kind: AgencyKind,
}

impl NewAgency {
    pub fn new(name: &str, acronym: &str, cnpj: &str, kind: AgencyKind) -> Valid<Self> {
        Ok(NewAgency {
            name: required("name", name)?,
            acronym: required("acronym", acronym)?.to_uppercase(),
            cnpj: Cnpj::parse("cnpj", cnpj)?,
            kind,
        })
    }
}

/// A building of an agency, where accesses are installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: SiteId,
    pub agency_id: AgencyId,
    pub name: String,
    pub address: String,
    pub municipality_ibge: u32,
    pub municipality_name: String,
    pub area: Area,
    pub zone: Zone,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSite {
    pub agency_id: AgencyId,
    pub name: String,
    pub address: String,
    pub municipality_ibge: u32,
    pub municipality_name: String,
    pub area: Area,
    pub zone: Zone,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
}

/// Contact of the person on site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

impl NewSite {
    /// `municipality_name` may be empty: it is then taken from the IBGE table;
    /// when given it must match the code's name (case and accents ignored is
    /// not attempted: the official spelling is stored).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        agency_id: AgencyId,
        name: &str,
        address: &str,
        municipality_ibge: u32,
        area: Area,
        zone: Zone,
        contact: Contact,
    ) -> Valid<Self> {
        let address = required("address", address)?;
        let municipality = municipality::by_code(municipality_ibge)
            .ok_or_else(|| FieldError::new("municipality_ibge", Rule::UnknownMunicipality))?;
        let email = contact.email.trim().to_string();
        if !email.is_empty() && !looks_like_email(&email) {
            return Err(FieldError::new(
                "contact_email",
                Rule::Malformed("e-mail, ex.: nome@orgao.mg.gov.br"),
            ));
        }
        Ok(NewSite {
            agency_id,
            name: name.trim().to_string(),
            address,
            municipality_ibge,
            municipality_name: municipality.name.to_string(),
            area,
            zone,
            contact_name: contact.name.trim().to_string(),
            contact_phone: contact.phone.trim().to_string(),
            contact_email: email,
        })
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// A billed data link at a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Access {
    pub id: AccessId,
    pub site_id: SiteId,
    pub lot_id: LotId,
    pub profile: Profile,
    pub service: String,
    pub bandwidth_mbps: i64,
    pub redundancy: Redundancy,
    pub technology: Technology,
    pub status: AccessStatus,
    pub requested_at: Timestamp,
    pub activated_at: Option<Timestamp>,
    pub suspended_at: Option<Timestamp>,
    pub deactivated_at: Option<Timestamp>,
    pub monthly_price: Money,
    pub price_overridden: bool,
    pub probe_targets: Vec<IpAddr>,
}

/// The default service of an access: SCM, the multimedia data link.
pub const DEFAULT_SERVICE: &str = "SCM";

/// Input for an access, before its price is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDraft {
    pub site_id: SiteId,
    pub lot_id: LotId,
    pub profile: Option<Profile>,
    pub service: String,
    pub bandwidth_mbps: i64,
    pub redundancy: Redundancy,
    pub technology: Technology,
    pub monthly_price: Option<Money>,
    pub activated_at: Option<Timestamp>,
    pub probe_targets: Vec<String>,
}

/// A validated access, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAccess {
    pub site_id: SiteId,
    pub lot_id: LotId,
    pub profile: Profile,
    pub service: String,
    pub bandwidth_mbps: i64,
    pub redundancy: Redundancy,
    pub technology: Technology,
    pub status: AccessStatus,
    pub requested_at: Timestamp,
    pub activated_at: Option<Timestamp>,
    pub monthly_price: Money,
    pub price_overridden: bool,
    pub probe_targets: Vec<IpAddr>,
}

/// Parses probe targets and checks their count against the redundancy. A
/// target must be one host that can answer: not the unspecified address
/// (`0.0.0.0`, `::`), a broadcast or a multicast group.
pub fn parse_probe_targets(redundancy: Redundancy, targets: &[String]) -> Valid<Vec<IpAddr>> {
    let expected = redundancy.probe_target_count();
    if targets.len() != expected {
        return Err(FieldError::new("probe_targets", Rule::ProbeTargetCount { expected }));
    }
    let mut out = Vec::with_capacity(targets.len());
    for (i, t) in targets.iter().enumerate() {
        let ip: IpAddr = t.trim().parse().map_err(|_| {
            FieldError::new(format!("probe_targets[{i}]"), Rule::Malformed("endereço IP, ex.: 10.1.2.3"))
        })?;
        let not_a_host =
            ip.is_unspecified() || ip.is_multicast() || matches!(ip, IpAddr::V4(v4) if v4.is_broadcast());
        if not_a_host {
            return Err(FieldError::new(
                format!("probe_targets[{i}]"),
                Rule::Malformed("endereço de um equipamento (não 0.0.0.0, broadcast ou multicast)"),
            ));
        }
        if out.contains(&ip) {
            return Err(FieldError::new(format!("probe_targets[{i}]"), Rule::Duplicate));
        }
        out.push(ip);
    }
    Ok(out)
}

impl AccessDraft {
    /// Validates the draft against the rows it refers to: the site's
    /// municipality must be in the lot's region, the bandwidth in range, the
    /// probe targets fit the redundancy, and the price comes from the lot's
    /// table (in force on the activation date, or on `today`) unless given.
    pub fn validate(self, site: &Site, lot: &Lot, prices: &[Price], now: Timestamp) -> Valid<NewAccess> {
        check_bandwidth(self.bandwidth_mbps)?;
        if !lot.region.contains(site.municipality_ibge) {
            return Err(FieldError::new("lot_id", Rule::OutsideLotRegion));
        }
        let probe_targets = parse_probe_targets(self.redundancy, &self.probe_targets)?;
        let service = required("service", &self.service)?.to_uppercase();
        let (monthly_price, price_overridden) = match self.monthly_price {
            Some(price) if price.centavos() > 0 => (price, true),
            Some(_) => {
                return Err(FieldError::new(
                    "monthly_price_centavos",
                    Rule::OutOfRange { min: 1, max: i64::MAX },
                ));
            }
            None => {
                let on =
                    self.activated_at.unwrap_or(now).with_timezone(&crate::time::NETWORK_TZ).date_naive();
                let price = resolve_price(prices, &service, self.bandwidth_mbps, site.area, on)
                    .ok_or_else(|| FieldError::new("monthly_price_centavos", Rule::NoPrice))?;
                (price.monthly_price, false)
            }
        };
        let status = if self.activated_at.is_some() { AccessStatus::Active } else { AccessStatus::Requested };
        Ok(NewAccess {
            site_id: self.site_id,
            lot_id: self.lot_id,
            profile: self.profile.unwrap_or(lot.profile),
            service,
            bandwidth_mbps: self.bandwidth_mbps,
            redundancy: self.redundancy,
            technology: self.technology,
            status,
            requested_at: now,
            activated_at: self.activated_at,
            monthly_price,
            price_overridden,
            probe_targets,
        })
    }
}

impl Access {
    /// Moves the access to `next` at instant `at`, recording the date that
    /// goes with the new status. Refuses transitions the life cycle forbids
    /// and dates before the access's previous ones.
    pub fn transition(&mut self, next: AccessStatus, at: Timestamp) -> Valid<()> {
        if !self.status.can_become(next) {
            return Err(FieldError::new(
                "status",
                Rule::InvalidTransition { from: self.status.as_str(), to: next.as_str() },
            ));
        }
        let latest = [Some(self.requested_at), self.activated_at, self.suspended_at]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(self.requested_at);
        if at < latest && next != AccessStatus::Active {
            return Err(FieldError::new("status_at", Rule::DatesOutOfOrder));
        }
        match next {
            AccessStatus::Active => {
                if self.activated_at.is_none() {
                    self.activated_at = Some(at);
                }
                self.suspended_at = None;
            }
            AccessStatus::Suspended => self.suspended_at = Some(at),
            AccessStatus::Deactivated => self.deactivated_at = Some(at),
            AccessStatus::Requested | AccessStatus::Installing => {}
        }
        self.status = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant;

    fn op(id: i64, bp: i64) -> ConsortiumMember {
        ConsortiumMember { operator_id: OperatorId(id), share_bp: bp }
    }

    #[test]
    fn code_enums_serialise_as_their_codes() {
        for p in Profile::ALL {
            let json = serde_json::to_string(p).expect("serialise");
            assert_eq!(json, format!("\"{}\"", p.as_str()));
            assert_eq!(serde_json::from_str::<Profile>(&json).expect("read back"), *p);
        }
        assert_eq!(serde_json::to_string(&Redundancy::NonCritical).expect("s"), "\"non_critical\"");
        let e = serde_json::from_str::<Profile>("\"ii\"").expect_err("not a code");
        assert!(e.to_string().contains("expected one of `I`, `II`"), "{e}");
    }

    #[test]
    fn consortium_shares_must_sum_to_100() {
        assert!(NewConsortium::new("Oi/Algar", vec![op(1, 6000), op(2, 4000)]).is_ok());
        assert!(NewConsortium::new("Três", vec![op(1, 3333), op(2, 3333), op(3, 3334)]).is_ok());
        let err = NewConsortium::new("Oi/Algar", vec![op(1, 6000), op(2, 3999)]).unwrap_err();
        assert_eq!(err.field, "members");
        assert_eq!(err.rule, Rule::SharesMustSumTo100 { sum_basis_points: 9999 });
        assert_eq!(
            NewConsortium::new("x", vec![op(1, 5000), op(1, 5000)]).unwrap_err().rule,
            Rule::Duplicate
        );
        assert!(NewConsortium::new("x", vec![op(1, 10000)]).is_err());
    }

    fn site(ibge: u32, area: Area) -> Site {
        Site {
            id: SiteId(1),
            agency_id: AgencyId(1),
            name: String::new(),
            address: "Rua A, 1".into(),
            municipality_ibge: ibge,
            municipality_name: String::new(),
            area,
            zone: Zone::Urban,
            contact_name: String::new(),
            contact_phone: String::new(),
            contact_email: String::new(),
        }
    }

    fn lot(region: Region) -> Lot {
        Lot {
            id: LotId(1),
            contract_id: ContractId(1),
            code: "1A".into(),
            holder: LotHolder::Operator(OperatorId(1)),
            profile: Profile::I,
            region,
            description: String::new(),
            starts_on: None,
            ends_on: None,
        }
    }

    fn price(cents: i64, from: &str) -> Price {
        Price {
            id: PriceId(1),
            lot_id: LotId(1),
            service: "SCM".into(),
            bandwidth_mbps: 4,
            area: Area::Capital,
            monthly_price: Money::from_centavos(cents),
            effective_from: from.parse().expect("date"),
            effective_to: None,
        }
    }

    fn draft(redundancy: Redundancy, targets: &[&str]) -> AccessDraft {
        AccessDraft {
            site_id: SiteId(1),
            lot_id: LotId(1),
            profile: None,
            service: "scm".into(),
            bandwidth_mbps: 4,
            redundancy,
            technology: Technology::Terrestrial,
            monthly_price: None,
            activated_at: None,
            probe_targets: targets.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn access_price_is_resolved_from_the_table_in_force() {
        let now = parse_instant("t", "2026-06-15T12:00:00Z").expect("date");
        let table = [price(90000, "2015-01-01"), price(80000, "2026-01-01"), price(70000, "2027-01-01")];
        let access = draft(Redundancy::None, &["10.0.0.1"])
            .validate(&site(3106200, Area::Capital), &lot(Region::Any), &table, now)
            .expect("valid");
        assert_eq!(access.monthly_price, Money::from_centavos(80000));
        assert!(!access.price_overridden);
        assert_eq!(access.profile, Profile::I);
        assert_eq!(access.status, AccessStatus::Requested);
    }

    #[test]
    fn access_rules_name_their_field() {
        let now = parse_instant("t", "2026-06-15T12:00:00Z").expect("date");
        let table = [price(90000, "2015-01-01")];
        let bh = site(3106200, Area::Capital);
        let cases: Vec<(AccessDraft, Lot, &str, Rule)> = vec![
            (
                draft(Redundancy::None, &["10.0.0.1"]),
                lot(Region::Municipalities([3170206].into())),
                "lot_id",
                Rule::OutsideLotRegion,
            ),
            (
                draft(Redundancy::Critical, &["10.0.0.1"]),
                lot(Region::Any),
                "probe_targets",
                Rule::ProbeTargetCount { expected: 2 },
            ),
            (
                draft(Redundancy::None, &["10.0.0.999"]),
                lot(Region::Any),
                "probe_targets[0]",
                Rule::Malformed("endereço IP, ex.: 10.1.2.3"),
            ),
            (
                draft(Redundancy::None, &["224.0.0.1"]),
                lot(Region::Any),
                "probe_targets[0]",
                Rule::Malformed("endereço de um equipamento (não 0.0.0.0, broadcast ou multicast)"),
            ),
            (
                draft(Redundancy::Critical, &["10.0.0.1", "0.0.0.0"]),
                lot(Region::Any),
                "probe_targets[1]",
                Rule::Malformed("endereço de um equipamento (não 0.0.0.0, broadcast ou multicast)"),
            ),
            (
                AccessDraft { bandwidth_mbps: 8, ..draft(Redundancy::None, &["10.0.0.1"]) },
                lot(Region::Any),
                "monthly_price_centavos",
                Rule::NoPrice,
            ),
            (
                AccessDraft { bandwidth_mbps: 0, ..draft(Redundancy::None, &["10.0.0.1"]) },
                lot(Region::Any),
                "bandwidth_mbps",
                Rule::OutOfRange { min: 1, max: MAX_BANDWIDTH_MBPS },
            ),
        ];
        for (d, l, field, rule) in cases {
            let err = d.validate(&bh, &l, &table, now).unwrap_err();
            assert_eq!((err.field.as_str(), err.rule), (field, rule));
        }
    }

    #[test]
    fn access_life_cycle() {
        let t = |s: &str| parse_instant("t", s).expect("date");
        let now = t("2026-01-10T12:00:00Z");
        let table = [price(90000, "2015-01-01")];
        let new = draft(Redundancy::None, &["10.0.0.1"])
            .validate(&site(3106200, Area::Capital), &lot(Region::Any), &table, now)
            .expect("valid");
        let mut a = Access {
            id: AccessId(1),
            site_id: new.site_id,
            lot_id: new.lot_id,
            profile: new.profile,
            service: new.service,
            bandwidth_mbps: 4,
            redundancy: new.redundancy,
            technology: new.technology,
            status: new.status,
            requested_at: now,
            activated_at: None,
            suspended_at: None,
            deactivated_at: None,
            monthly_price: new.monthly_price,
            price_overridden: false,
            probe_targets: new.probe_targets,
        };
        assert!(a.transition(AccessStatus::Suspended, t("2026-01-11T00:00:00Z")).is_err());
        a.transition(AccessStatus::Installing, t("2026-01-11T00:00:00Z")).expect("ok");
        a.transition(AccessStatus::Active, t("2026-01-20T00:00:00Z")).expect("ok");
        assert_eq!(a.activated_at, Some(t("2026-01-20T00:00:00Z")));
        assert_eq!(
            a.transition(AccessStatus::Suspended, t("2026-01-19T00:00:00Z")).unwrap_err().rule,
            Rule::DatesOutOfOrder
        );
        a.transition(AccessStatus::Deactivated, t("2026-02-01T00:00:00Z")).expect("ok");
        assert!(a.transition(AccessStatus::Active, t("2026-02-02T00:00:00Z")).is_err());
    }

    proptest::proptest! {
        /// The resolved price is in force on the day and no other entry in
        /// force for the same key started later.
        #[test]
        fn resolved_price_is_the_latest_in_force(
            starts in proptest::collection::vec((0i64..3000, proptest::option::of(0i64..400)), 1..8),
            day in 0i64..3600,
        ) {
            let base: NaiveDate = "2018-01-01".parse().expect("date");
            let at = |d: i64| base + chrono::Duration::days(d);
            let table: Vec<Price> = starts
                .iter()
                .enumerate()
                .map(|(i, (from, len))| Price {
                    id: PriceId(i as i64),
                    effective_from: at(*from),
                    effective_to: len.map(|l| at(from + l)),
                    ..price(1000 + i as i64, "2018-01-01")
                })
                .collect();
            let on = at(day);
            let in_force = |p: &Price| p.effective_from <= on && p.effective_to.is_none_or(|e| on <= e);
            match resolve_price(&table, "scm", 4, Area::Capital, on) {
                Some(p) => {
                    proptest::prop_assert!(in_force(p));
                    proptest::prop_assert!(table.iter().filter(|q| in_force(q)).all(|q| q.effective_from <= p.effective_from));
                }
                None => proptest::prop_assert!(!table.iter().any(in_force)),
            }
            proptest::prop_assert!(resolve_price(&table, "SCM", 8, Area::Capital, on).is_none(), "other bandwidth");
        }
    }

    #[test]
    fn agency_and_operator_validation() {
        assert_eq!(NewOperator::new("Telemar", "11.222.333/0001-82").unwrap_err().rule, Rule::InvalidCnpj);
        assert_eq!(NewOperator::new(" ", "11.222.333/0001-81").unwrap_err().field, "name");
        let a = NewAgency::new("Secretaria de Fazenda", "sef", "11.222.333/0001-81", AgencyKind::Compulsory)
            .expect("valid");
        assert_eq!(a.acronym, "SEF");
    }
}
