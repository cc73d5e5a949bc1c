//! The JSON shapes of the API: what external scripts send and read. Inputs
//! are lenient in form (every field optional, so a missing one is reported
//! by the domain's rule with its name) and strict in content (unknown
//! fields are refused, so a typo never passes silently).

use redegov_app::AccessRow;
use redegov_app::AuditEntry;
use redegov_app::auth::User;
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::*;
use redegov_domain::inventory::*;
use redegov_domain::money::{Money, parse_percent_bp};
use redegov_domain::time::{Timestamp, parse_date, parse_instant};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// Distinguishes an absent field (`None`) from an explicit `null`
/// (`Some(None)`), for PATCH.
pub(crate) fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

pub fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn iso(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn need<T>(field: &str, value: Option<T>) -> Valid<T> {
    value.ok_or_else(|| FieldError::new(field, Rule::Required))
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// A page of a list.
#[derive(Serialize, ToSchema)]
pub struct ListOut<T: Serialize + ToSchema> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

// ----- operators -----

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OperatorIn {
    pub name: Option<String>,
    /// With or without the mask; alphanumeric CNPJs are accepted.
    pub cnpj: Option<String>,
}

impl OperatorIn {
    pub fn into_new(self, current: Option<&Operator>) -> Valid<NewOperator> {
        NewOperator::new(
            self.name.as_deref().or(current.map(|c| c.name.as_str())).unwrap_or(""),
            self.cnpj.as_deref().or(current.map(|c| c.cnpj.as_str())).unwrap_or(""),
        )
    }
}

#[derive(Serialize, ToSchema)]
pub struct OperatorOut {
    pub id: i64,
    pub name: String,
    /// 14 characters, no mask.
    pub cnpj: String,
    pub cnpj_formatted: String,
}

impl From<&Operator> for OperatorOut {
    fn from(o: &Operator) -> Self {
        OperatorOut {
            id: o.id.0,
            name: o.name.clone(),
            cnpj: o.cnpj.as_str().into(),
            cnpj_formatted: o.cnpj.masked(),
        }
    }
}

// ----- consortia -----

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    pub operator_id: Option<i64>,
    /// A percentage with at most two decimals, as a JSON number or string.
    #[schema(value_type = f64)]
    pub share_percent: Option<serde_json::Value>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ConsortiumIn {
    pub name: Option<String>,
    pub members: Option<Vec<MemberIn>>,
}

impl ConsortiumIn {
    pub fn into_new(self, current: Option<&Consortium>) -> Valid<NewConsortium> {
        let members = match self.members {
            Some(list) => list
                .into_iter()
                .enumerate()
                .map(|(i, m)| {
                    let share_field = format!("members[{i}].share_percent");
                    let share = match m.share_percent {
                        Some(serde_json::Value::Number(n)) => parse_percent_bp(&share_field, &n.to_string())?,
                        Some(serde_json::Value::String(s)) => parse_percent_bp(&share_field, &s)?,
                        Some(_) => {
                            return Err(FieldError::new(
                                share_field,
                                Rule::Malformed("número, ex.: 60 ou 33.33"),
                            ));
                        }
                        None => return Err(FieldError::new(share_field, Rule::Required)),
                    };
                    let operator = m.operator_id.ok_or_else(|| {
                        FieldError::new(format!("members[{i}].operator_id"), Rule::Required)
                    })?;
                    Ok(ConsortiumMember { operator_id: OperatorId(operator), share_bp: share })
                })
                .collect::<Valid<Vec<_>>>()?,
            None => current.map(|c| c.members.clone()).unwrap_or_default(),
        };
        NewConsortium::new(self.name.as_deref().or(current.map(|c| c.name.as_str())).unwrap_or(""), members)
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    pub operator_id: i64,
    /// Display value; `share_basis_points` is exact.
    pub share_percent: f64,
    pub share_basis_points: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ConsortiumOut {
    pub id: i64,
    pub name: String,
    pub members: Vec<MemberOut>,
}

impl From<&Consortium> for ConsortiumOut {
    fn from(c: &Consortium) -> Self {
        ConsortiumOut {
            id: c.id.0,
            name: c.name.clone(),
            members: c
                .members
                .iter()
                .map(|m| MemberOut {
                    operator_id: m.operator_id.0,
                    share_percent: m.share_bp as f64 / 100.0,
                    share_basis_points: m.share_bp,
                })
                .collect(),
        }
    }
}

// ----- contracts -----

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ContractIn {
    pub number: Option<String>,
    /// `AAAA-MM-DD`.
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub ceiling_centavos: Option<i64>,
}

impl ContractIn {
    pub fn into_new(self, current: Option<&Contract>) -> Valid<NewContract> {
        let starts_on = match (&self.starts_on, current) {
            (Some(s), _) => parse_date("starts_on", s)?,
            (None, Some(c)) => c.starts_on,
            (None, None) => return Err(FieldError::new("starts_on", Rule::Required)),
        };
        let ends_on = match (&self.ends_on, current) {
            (Some(s), _) => parse_date("ends_on", s)?,
            (None, Some(c)) => c.ends_on,
            (None, None) => return Err(FieldError::new("ends_on", Rule::Required)),
        };
        let ceiling =
            need("ceiling_centavos", self.ceiling_centavos.or(current.map(|c| c.ceiling.centavos())))?;
        NewContract::new(
            self.number.as_deref().or(current.map(|c| c.number.as_str())).unwrap_or(""),
            starts_on,
            ends_on,
            Money::from_centavos(ceiling),
        )
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContractOut {
    pub id: i64,
    pub number: String,
    pub starts_on: String,
    pub ends_on: String,
    pub ceiling_centavos: i64,
    pub ceiling_formatted: String,
}

impl From<&Contract> for ContractOut {
    fn from(c: &Contract) -> Self {
        ContractOut {
            id: c.id.0,
            number: c.number.clone(),
            starts_on: iso(c.starts_on),
            ends_on: iso(c.ends_on),
            ceiling_centavos: c.ceiling.centavos(),
            ceiling_formatted: c.ceiling.format_brl(),
        }
    }
}

// ----- lots -----

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LotIn {
    pub contract_id: Option<i64>,
    pub code: Option<String>,
    /// Exactly one of `operator_id` and `consortium_id`.
    pub operator_id: Option<i64>,
    pub consortium_id: Option<i64>,
    /// `I`, `II`, `III`, `IV` or `V`.
    pub profile: Option<String>,
    /// `"any"` or a list of IBGE municipality codes.
    #[schema(value_type = Object)]
    pub region: Option<serde_json::Value>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub starts_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub ends_on: Option<Option<String>>,
}

fn parse_region(value: &serde_json::Value) -> Valid<Region> {
    match value {
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("any") => Ok(Region::Any),
        serde_json::Value::Array(items) => {
            let codes = items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_u64()
                        .and_then(|c| u32::try_from(c).ok())
                        .ok_or_else(|| FieldError::new(format!("region[{i}]"), Rule::UnknownMunicipality))
                })
                .collect::<Valid<Vec<u32>>>()?;
            if codes.is_empty() {
                return Err(FieldError::new("region", Rule::Other("an empty list: use \"any\"".into())));
            }
            Region::from_codes(&codes)
        }
        _ => Err(FieldError::new("region", Rule::Malformed("\"any\" ou lista de códigos IBGE"))),
    }
}

fn region_json(r: &Region) -> serde_json::Value {
    match r {
        Region::Any => serde_json::Value::String("any".into()),
        Region::Municipalities(codes) => codes.iter().copied().collect::<Vec<u32>>().into(),
    }
}

fn opt_date_patch(
    field: &str,
    given: &Option<Option<String>>,
    current: Option<chrono::NaiveDate>,
) -> Valid<Option<chrono::NaiveDate>> {
    match given {
        Some(Some(s)) => parse_date(field, s).map(Some),
        Some(None) => Ok(None),
        None => Ok(current),
    }
}

impl LotIn {
    pub fn into_new(self, current: Option<&Lot>) -> Valid<NewLot> {
        let contract = need("contract_id", self.contract_id.or(current.map(|c| c.contract_id.0)))?;
        let holder = match (self.operator_id, self.consortium_id, current) {
            (Some(o), None, _) => LotHolder::Operator(OperatorId(o)),
            (None, Some(c), _) => LotHolder::Consortium(ConsortiumId(c)),
            (None, None, Some(cur)) => cur.holder,
            (None, None, None) => return Err(FieldError::new("operator_id", Rule::Required)),
            (Some(_), Some(_), _) => {
                return Err(FieldError::new(
                    "consortium_id",
                    Rule::Other("give operator_id or consortium_id, not both".into()),
                ));
            }
        };
        let profile = match (&self.profile, current) {
            (Some(p), _) => Profile::parse("profile", p)?,
            (None, Some(c)) => c.profile,
            (None, None) => return Err(FieldError::new("profile", Rule::Required)),
        };
        let region = match (&self.region, current) {
            (Some(v), _) => parse_region(v)?,
            (None, Some(c)) => c.region.clone(),
            (None, None) => return Err(FieldError::new("region", Rule::Required)),
        };
        NewLot::new(
            ContractId(contract),
            self.code.as_deref().or(current.map(|c| c.code.as_str())).unwrap_or(""),
            holder,
            profile,
            region,
            self.description.as_deref().or(current.map(|c| c.description.as_str())).unwrap_or(""),
            opt_date_patch("starts_on", &self.starts_on, current.and_then(|c| c.starts_on))?,
            opt_date_patch("ends_on", &self.ends_on, current.and_then(|c| c.ends_on))?,
        )
    }
}

#[derive(Serialize, ToSchema)]
pub struct LotOut {
    pub id: i64,
    pub contract_id: i64,
    pub code: String,
    pub operator_id: Option<i64>,
    pub consortium_id: Option<i64>,
    pub profile: String,
    /// `"any"` or the list of IBGE codes.
    #[schema(value_type = Object)]
    pub region: serde_json::Value,
    pub description: String,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
}

impl From<&Lot> for LotOut {
    fn from(l: &Lot) -> Self {
        let (operator_id, consortium_id) = match l.holder {
            LotHolder::Operator(o) => (Some(o.0), None),
            LotHolder::Consortium(c) => (None, Some(c.0)),
        };
        LotOut {
            id: l.id.0,
            contract_id: l.contract_id.0,
            code: l.code.clone(),
            operator_id,
            consortium_id,
            profile: l.profile.as_str().into(),
            region: region_json(&l.region),
            description: l.description.clone(),
            starts_on: l.starts_on.map(iso),
            ends_on: l.ends_on.map(iso),
        }
    }
}

// ----- prices -----

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PriceIn {
    /// Defaults to `SCM`.
    pub service: Option<String>,
    pub bandwidth_mbps: Option<i64>,
    /// `capital`, `metropolitan` or `interior`.
    pub area: Option<String>,
    pub monthly_price_centavos: Option<i64>,
    pub effective_from: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub effective_to: Option<Option<String>>,
}

impl PriceIn {
    pub fn into_new(self, lot: LotId, current: Option<&Price>) -> Valid<NewPrice> {
        let area = match (&self.area, current) {
            (Some(a), _) => Area::parse("area", a)?,
            (None, Some(c)) => c.area,
            (None, None) => return Err(FieldError::new("area", Rule::Required)),
        };
        let from = match (&self.effective_from, current) {
            (Some(s), _) => parse_date("effective_from", s)?,
            (None, Some(c)) => c.effective_from,
            (None, None) => return Err(FieldError::new("effective_from", Rule::Required)),
        };
        NewPrice::new(
            lot,
            self.service.as_deref().or(current.map(|c| c.service.as_str())).unwrap_or(DEFAULT_SERVICE),
            need("bandwidth_mbps", self.bandwidth_mbps.or(current.map(|c| c.bandwidth_mbps)))?,
            area,
            Money::from_centavos(need(
                "monthly_price_centavos",
                self.monthly_price_centavos.or(current.map(|c| c.monthly_price.centavos())),
            )?),
            from,
            opt_date_patch("effective_to", &self.effective_to, current.and_then(|c| c.effective_to))?,
        )
    }
}

#[derive(Serialize, ToSchema)]
pub struct PriceOut {
    pub id: i64,
    pub lot_id: i64,
    pub service: String,
    pub bandwidth_mbps: i64,
    pub area: String,
    pub monthly_price_centavos: i64,
    pub monthly_price_formatted: String,
    pub effective_from: String,
    pub effective_to: Option<String>,
}

impl From<&Price> for PriceOut {
    fn from(p: &Price) -> Self {
        PriceOut {
            id: p.id.0,
            lot_id: p.lot_id.0,
            service: p.service.clone(),
            bandwidth_mbps: p.bandwidth_mbps,
            area: p.area.as_str().into(),
            monthly_price_centavos: p.monthly_price.centavos(),
            monthly_price_formatted: p.monthly_price.format_brl(),
            effective_from: iso(p.effective_from),
            effective_to: p.effective_to.map(iso),
        }
    }
}

// ----- agencies -----

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AgencyIn {
    pub name: Option<String>,
    pub acronym: Option<String>,
    pub cnpj: Option<String>,
    /// `compulsory`, `facultative` or `municipality`.
    pub kind: Option<String>,
}

impl AgencyIn {
    pub fn into_new(self, current: Option<&Agency>) -> Valid<NewAgency> {
        let kind = match (&self.kind, current) {
            (Some(k), _) => AgencyKind::parse("kind", k)?,
            (None, Some(c)) => c.kind,
            (None, None) => return Err(FieldError::new("kind", Rule::Required)),
        };
        NewAgency::new(
            self.name.as_deref().or(current.map(|c| c.name.as_str())).unwrap_or(""),
            self.acronym.as_deref().or(current.map(|c| c.acronym.as_str())).unwrap_or(""),
            self.cnpj.as_deref().or(current.map(|c| c.cnpj.as_str())).unwrap_or(""),
            kind,
        )
    }
}

#[derive(Serialize, ToSchema)]
pub struct AgencyOut {
    pub id: i64,
    pub name: String,
    pub acronym: String,
    pub cnpj: String,
    pub cnpj_formatted: String,
    pub kind: String,
}

impl From<&Agency> for AgencyOut {
    fn from(a: &Agency) -> Self {
        AgencyOut {
            id: a.id.0,
            name: a.name.clone(),
            acronym: a.acronym.clone(),
            cnpj: a.cnpj.as_str().into(),
            cnpj_formatted: a.cnpj.masked(),
            kind: a.kind.as_str().into(),
        }
    }
}

// ----- sites -----

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SiteIn {
    pub agency_id: Option<i64>,
    pub name: Option<String>,
    pub address: Option<String>,
    /// 7-digit IBGE code.
    pub municipality_ibge: Option<i64>,
    /// Optional; when given it must be the code's municipality (accents and
    /// case are forgiven).
    pub municipality_name: Option<String>,
    /// `capital`, `metropolitan` or `interior`.
    pub area: Option<String>,
    /// `urban` or `rural`.
    pub zone: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

impl SiteIn {
    pub fn into_new(self, current: Option<&Site>) -> Valid<NewSite> {
        let agency = need("agency_id", self.agency_id.or(current.map(|c| c.agency_id.0)))?;
        let ibge = need(
            "municipality_ibge",
            self.municipality_ibge.or(current.map(|c| i64::from(c.municipality_ibge))),
        )?;
        let ibge = u32::try_from(ibge)
            .map_err(|_| FieldError::new("municipality_ibge", Rule::UnknownMunicipality))?;
        let area = match (&self.area, current) {
            (Some(a), _) => Area::parse("area", a)?,
            (None, Some(c)) => c.area,
            (None, None) => return Err(FieldError::new("area", Rule::Required)),
        };
        let zone = match (&self.zone, current) {
            (Some(z), _) => Zone::parse("zone", z)?,
            (None, Some(c)) => c.zone,
            (None, None) => Zone::Urban,
        };
        let pick =
            |given: &Option<String>, cur: Option<&String>| given.clone().or(cur.cloned()).unwrap_or_default();
        let site = NewSite::new(
            AgencyId(agency),
            &pick(&self.name, current.map(|c| &c.name)),
            &pick(&self.address, current.map(|c| &c.address)),
            ibge,
            area,
            zone,
            Contact {
                name: pick(&self.contact_name, current.map(|c| &c.contact_name)),
                phone: pick(&self.contact_phone, current.map(|c| &c.contact_phone)),
                email: pick(&self.contact_email, current.map(|c| &c.contact_email)),
            },
        )?;
        if let Some(name) = self.municipality_name.as_deref().filter(|n| !n.trim().is_empty())
            && redegov_domain::municipality::fold(name)
                != redegov_domain::municipality::fold(&site.municipality_name)
        {
            return Err(FieldError::new(
                "municipality_name",
                Rule::Other(format!("does not match IBGE code {ibge}, which is {}", site.municipality_name)),
            ));
        }
        Ok(site)
    }
}

#[derive(Serialize, ToSchema)]
pub struct SiteOut {
    pub id: i64,
    pub agency_id: i64,
    pub name: String,
    pub address: String,
    pub municipality_ibge: u32,
    pub municipality_name: String,
    pub area: String,
    pub zone: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
}

impl From<&Site> for SiteOut {
    fn from(s: &Site) -> Self {
        SiteOut {
            id: s.id.0,
            agency_id: s.agency_id.0,
            name: s.name.clone(),
            address: s.address.clone(),
            municipality_ibge: s.municipality_ibge,
            municipality_name: s.municipality_name.clone(),
            area: s.area.as_str().into(),
            zone: s.zone.as_str().into(),
            contact_name: s.contact_name.clone(),
            contact_phone: s.contact_phone.clone(),
            contact_email: s.contact_email.clone(),
        }
    }
}

// ----- accesses -----

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AccessIn {
    pub site_id: Option<i64>,
    pub lot_id: Option<i64>,
    /// Defaults to the lot's profile.
    pub profile: Option<String>,
    /// Defaults to `SCM`.
    pub service: Option<String>,
    pub bandwidth_mbps: Option<i64>,
    /// `critical`, `non_critical` or `none`.
    pub redundancy: Option<String>,
    /// `terrestrial` or `satellite`.
    pub technology: Option<String>,
    /// Overrides the lot's price table; `null` (on PATCH) goes back to it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub monthly_price_centavos: Option<Option<i64>>,
    /// RFC 3339; when given on creation the access is created active.
    pub activated_at: Option<String>,
    /// One address, or two for a redundant access.
    pub probe_targets: Option<Vec<String>>,
    /// PATCH only: `installing`, `active`, `suspended` or `deactivated`.
    pub status: Option<String>,
    /// PATCH only: when the new status took effect (default: now), RFC 3339.
    pub status_at: Option<String>,
}

fn price_choice(v: Option<i64>) -> Option<Money> {
    v.map(Money::from_centavos)
}

impl AccessIn {
    pub fn into_draft(self) -> Valid<AccessDraft> {
        if self.status.is_some() || self.status_at.is_some() {
            return Err(FieldError::new(
                "status",
                Rule::Other("is set on creation from activated_at; change it later with PATCH".into()),
            ));
        }
        Ok(AccessDraft {
            site_id: SiteId(need("site_id", self.site_id)?),
            lot_id: LotId(need("lot_id", self.lot_id)?),
            profile: self.profile.as_deref().map(|p| Profile::parse("profile", p)).transpose()?,
            service: self.service.clone().unwrap_or_else(|| DEFAULT_SERVICE.into()),
            bandwidth_mbps: need("bandwidth_mbps", self.bandwidth_mbps)?,
            redundancy: Redundancy::parse("redundancy", text(&self.redundancy))?,
            technology: Technology::parse("technology", self.technology.as_deref().unwrap_or("terrestrial"))?,
            monthly_price: self.monthly_price_centavos.flatten().map(Money::from_centavos),
            activated_at: self
                .activated_at
                .as_deref()
                .map(|t| parse_instant("activated_at", t))
                .transpose()?,
            probe_targets: self.probe_targets.unwrap_or_default(),
        })
    }

    pub fn into_change(self) -> Valid<redegov_app::inventory::AccessChange> {
        for (field, given) in [
            ("site_id", self.site_id.is_some()),
            ("lot_id", self.lot_id.is_some()),
            ("service", self.service.is_some()),
            ("activated_at", self.activated_at.is_some()),
        ] {
            if given {
                return Err(FieldError::new(
                    field,
                    Rule::Other("cannot be changed here: use a service order (or status/status_at)".into()),
                ));
            }
        }
        let status = match &self.status {
            Some(s) => {
                let at = self.status_at.as_deref().map(|t| parse_instant("status_at", t)).transpose()?;
                Some((AccessStatus::parse("status", s)?, at))
            }
            None if self.status_at.is_some() => return Err(FieldError::new("status", Rule::Required)),
            None => None,
        };
        Ok(redegov_app::inventory::AccessChange {
            profile: self.profile.as_deref().map(|p| Profile::parse("profile", p)).transpose()?,
            bandwidth_mbps: self.bandwidth_mbps,
            redundancy: self.redundancy.as_deref().map(|r| Redundancy::parse("redundancy", r)).transpose()?,
            technology: self.technology.as_deref().map(|t| Technology::parse("technology", t)).transpose()?,
            monthly_price: self.monthly_price_centavos.map(price_choice),
            probe_targets: self.probe_targets,
            status,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccessOut {
    pub id: i64,
    pub site_id: i64,
    pub lot_id: i64,
    pub lot_code: String,
    pub agency_id: i64,
    pub agency_acronym: String,
    pub municipality_ibge: u32,
    pub municipality_name: String,
    pub address: String,
    pub profile: String,
    pub service: String,
    pub bandwidth_mbps: i64,
    pub redundancy: String,
    pub technology: String,
    pub status: String,
    pub requested_at: String,
    pub activated_at: Option<String>,
    pub suspended_at: Option<String>,
    pub deactivated_at: Option<String>,
    pub monthly_price_centavos: i64,
    pub monthly_price_formatted: String,
    /// True when the price was set by hand instead of the lot's table.
    pub price_overridden: bool,
    pub probe_targets: Vec<String>,
}

impl AccessOut {
    pub fn from_row(r: &AccessRow) -> Self {
        let a = &r.access;
        AccessOut {
            id: a.id.0,
            site_id: a.site_id.0,
            lot_id: a.lot_id.0,
            lot_code: r.lot_code.clone(),
            agency_id: r.agency_id.0,
            agency_acronym: r.agency_acronym.clone(),
            municipality_ibge: r.municipality_ibge,
            municipality_name: r.municipality_name.clone(),
            address: r.site_address.clone(),
            profile: a.profile.as_str().into(),
            service: a.service.clone(),
            bandwidth_mbps: a.bandwidth_mbps,
            redundancy: a.redundancy.as_str().into(),
            technology: a.technology.as_str().into(),
            status: a.status.as_str().into(),
            requested_at: rfc3339(a.requested_at),
            activated_at: a.activated_at.map(rfc3339),
            suspended_at: a.suspended_at.map(rfc3339),
            deactivated_at: a.deactivated_at.map(rfc3339),
            monthly_price_centavos: a.monthly_price.centavos(),
            monthly_price_formatted: a.monthly_price.format_brl(),
            price_overridden: a.price_overridden,
            probe_targets: a.probe_targets.iter().map(|t| t.to_string()).collect(),
        }
    }
}

// ----- users, audit, municipalities -----

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    pub login: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// admin, committee, network_manager, contract_manager, agency_manager, operator, auditor.
    pub role: Option<String>,
    pub agency_id: Option<i64>,
    pub operator_id: Option<i64>,
    pub password: Option<String>,
}

impl UserIn {
    pub fn into_input(self) -> Valid<redegov_app::auth::UserInput> {
        Ok(redegov_app::auth::UserInput {
            login: text(&self.login).to_string(),
            name: text(&self.name).to_string(),
            email: text(&self.email).to_string(),
            role: redegov_domain::role::Role::parse("role", text(&self.role))?,
            agency_id: self.agency_id.map(AgencyId),
            operator_id: self.operator_id.map(OperatorId),
            password: text(&self.password).to_string(),
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub agency_id: Option<i64>,
    pub operator_id: Option<i64>,
    pub active: bool,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        UserOut {
            id: u.id.0,
            login: u.login.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role.as_str().into(),
            agency_id: u.agency_id.map(|a| a.0),
            operator_id: u.operator_id.map(|o| o.0),
            active: u.active,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    pub seq: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub login: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    #[schema(value_type = Object)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Object)]
    pub after: Option<serde_json::Value>,
    pub hash: String,
}

impl From<&AuditEntry> for AuditOut {
    fn from(a: &AuditEntry) -> Self {
        let e = &a.entry;
        let parse = |s: &Option<String>| s.as_deref().and_then(|t| serde_json::from_str(t).ok());
        AuditOut {
            seq: e.seq,
            at: rfc3339(e.at),
            user_id: e.user_id.map(|u| u.0),
            login: e.login.clone(),
            action: e.action.clone(),
            entity: e.entity.clone(),
            entity_id: e.entity_id,
            before: parse(&e.before_json),
            after: parse(&e.after_json),
            hash: e.hash.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MunicipalityOut {
    pub ibge_code: u32,
    pub uf: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeOut {
    pub user_id: i64,
    pub login: String,
    pub role: String,
    pub agency_id: Option<i64>,
    pub operator_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ChainOut {
    pub entries: usize,
    pub intact: bool,
    pub first_broken_seq: Option<i64>,
}
