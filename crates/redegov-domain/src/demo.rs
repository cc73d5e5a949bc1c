//! The demo network: a pure, deterministic picture of the Minas Gerais Rede IP
//! Multisserviços with the 2015 lots (DOMAIN §9), so the portal has something
//! realistic to show the moment it starts.
//!
//! [`demo_network`] does no I/O, reads no clock and no random source: the few
//! choices that look random come from a small splitmix64 generator with fixed
//! seeds, so every run (and every machine) produces the very same network,
//! down to the last probe address. Ids only exist once rows are inserted, so
//! the demo refers to its own rows by their index in its vectors; the loader
//! (in the app layer) maps indices to ids and validates every row with the
//! ordinary domain rules. That is why the generator keeps three promises,
//! each proved by a test below: every access's site lies in its lot's
//! region, every access finds a price in its lot's table, and probe targets
//! fit the redundancy and are unique across the network.
//!
//! Facts come from the seed documents: the lots and their operators (seed
//! 000 §3–5), the phase-3 prices of 1 Mbps, the contract value, the 2,800
//! links and the 412 municipalities (seed 001). Everything else (people,
//! addresses, e-mails, most CNPJs) is invented and says so.

use crate::document::Cnpj;
use crate::inventory::{
    AgencyKind, Area, Contact, NewAgency, NewContract, NewOperator, Profile, Redundancy, Region, Technology,
    Zone,
};
use crate::money::{Money, group_thousands};
use crate::municipality;
use crate::role::Role;
use crate::time::{Timestamp, from_epoch};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// The password of every demo user. It is printed by the server when it loads
/// the demo, and is only ever meant for a demonstration database.
pub const DEMO_PASSWORD: &str = "demo-redegov";

/// The service of every demo price and access: SCM, the multimedia data link.
pub const DEMO_SERVICE: &str = "SCM";

/// The whole demo network. Rows refer to one another by index into these
/// vectors (`DemoLot::holder`, `DemoPrice::lot`, `DemoSite::agency`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoNetwork {
    /// The operators, Telemar first.
    pub operators: Vec<NewOperator>,
    /// The consortia (the Oi/Algar consortium).
    pub consortia: Vec<DemoConsortium>,
    /// The one contract that holds every lot.
    pub contract: NewContract,
    /// The lots of the contract.
    pub lots: Vec<DemoLot>,
    /// The price tables of every lot.
    pub prices: Vec<DemoPrice>,
    /// The customer agencies (órgãos, entidades, prefeituras).
    pub agencies: Vec<NewAgency>,
    /// The sites (unidades) of the agencies.
    pub sites: Vec<DemoSite>,
    /// The billed links, all active.
    pub accesses: Vec<DemoAccess>,
    /// One user per role except admin (the server creates the admin).
    pub users: Vec<DemoUser>,
}

/// A consortium of operators holding a lot together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConsortium {
    /// The consortium's name.
    pub name: String,
    /// Members as (operator index, share in basis points); shares sum to 10,000.
    pub members: Vec<(usize, i64)>,
}

/// Who holds a demo lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoHolder {
    /// An index into [`DemoNetwork::operators`].
    Operator(usize),
    /// An index into [`DemoNetwork::consortia`].
    Consortium(usize),
}

/// A lot of the demo contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLot {
    /// The lot's code as published ("1A", "7", ...).
    pub code: String,
    /// The operator or consortium that holds it.
    pub holder: DemoHolder,
    /// The service class (Perfil).
    pub profile: Profile,
    /// Where the lot may install accesses.
    pub region: Region,
    /// A pt-BR description of the lot's coverage.
    pub description: String,
}

/// One entry of a lot's price table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPrice {
    /// An index into [`DemoNetwork::lots`].
    pub lot: usize,
    /// Always [`DEMO_SERVICE`].
    pub service: String,
    /// The link's bandwidth.
    pub bandwidth_mbps: i64,
    /// The price area the entry applies to.
    pub area: Area,
    /// The monthly price.
    pub monthly_price: Money,
    /// The phase-3 start; no end date (the table is in force).
    pub effective_from: NaiveDate,
}

/// A building of an agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSite {
    /// An index into [`DemoNetwork::agencies`].
    pub agency: usize,
    /// The unit's name.
    pub name: String,
    /// Street address ("Rua Tiradentes, 123 - Centro").
    pub address: String,
    /// The municipality's IBGE code.
    pub municipality_ibge: u32,
    /// Capital for Belo Horizonte, metropolitan for the RMBH, interior otherwise.
    pub area: Area,
    /// Urban or rural.
    pub zone: Zone,
    /// The person on site.
    pub contact: Contact,
}

/// A billed, active link at a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccess {
    /// An index into [`DemoNetwork::sites`].
    pub site: usize,
    /// An index into [`DemoNetwork::lots`]; the lot's region contains the site.
    pub lot: usize,
    /// The bandwidth; the lot's table has a price for it in the site's area.
    pub bandwidth_mbps: i64,
    /// Critical, non-critical or none.
    pub redundancy: Redundancy,
    /// Terrestrial or satellite.
    pub technology: Technology,
    /// When the access went live (UTC, whole seconds, on or after the prices'
    /// `effective_from` in the network's time zone).
    pub activated_at: Timestamp,
    /// The CPE addresses to probe: one per link, unique across the network.
    pub probe_targets: Vec<String>,
}

/// A demo user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// The login typed at the portal.
    pub login: String,
    /// The person's display name.
    pub name: String,
    /// The user's role (never admin).
    pub role: Role,
    /// For an agency manager: an index into [`DemoNetwork::agencies`].
    pub agency: Option<usize>,
    /// For an operator user: an index into [`DemoNetwork::operators`].
    pub operator: Option<usize>,
    /// Always [`DEMO_PASSWORD`].
    pub password: String,
}

impl DemoNetwork {
    /// One pt-BR line for the server's log: "7 operadoras, 1 consórcio, 12
    /// lotes, 63 órgãos, 2.371 unidades, 2.812 acessos".
    pub fn summary(&self) -> String {
        [
            counted(self.operators.len(), "operadora", "operadoras"),
            counted(self.consortia.len(), "consórcio", "consórcios"),
            counted(self.lots.len(), "lote", "lotes"),
            counted(self.agencies.len(), "órgão", "órgãos"),
            counted(self.sites.len(), "unidade", "unidades"),
            counted(self.accesses.len(), "acesso", "acessos"),
        ]
        .join(", ")
    }
}

fn counted(n: usize, singular: &str, plural: &str) -> String {
    format!("{} {}", group_thousands(n as u64), if n == 1 { singular } else { plural })
}

// ---------------------------------------------------------------------------
// Fixed facts and demo assumptions
// ---------------------------------------------------------------------------

/// Seed 001: "a contratação previu 2800 links" and "mais de 2800 links
/// ativos"; the demo has a few more than 2,800.
const TARGET_ACCESSES: usize = 2_812;

/// Seed 001: "a cobertura chega a 412 municípios mineiros".
const MG_MUNICIPALITIES: usize = 412;

/// Seed 001, phase 3: price of a 1 Mbps link, in centavos.
const PER_MBPS_METROPOLITAN: i64 = 22_638;
const PER_MBPS_INTERIOR: i64 = 25_589;
/// The seeds give no capital price; the demo assumes 95 % of the
/// metropolitan one (22,638 × 0.95 = 21,506.1), since the capital is the
/// densest, cheapest area to serve.
const PER_MBPS_CAPITAL: i64 = 21_506;

/// Bandwidths of the terrestrial price tables.
const BANDWIDTHS: [i64; 11] = [1, 2, 4, 6, 8, 10, 16, 20, 34, 50, 100];
/// Satellite capacity is scarce: the satellite lots price only small links.
const SATELLITE_BANDWIDTHS: [i64; 5] = [1, 2, 4, 6, 8];

/// The seeds give the Perfil I prices only. Demo assumption, in per mille of
/// the Perfil I price: Perfil III (anywhere, terrestrial or satellite) costs
/// 15 % more, Perfil IV (satellite with band reserved for the state) 2.5×,
/// Perfil V (lighter SLA) 15 % less.
fn profile_permille(profile: Profile) -> i64 {
    match profile {
        Profile::I | Profile::II => 1_000,
        Profile::III => 1_150,
        Profile::IV => 2_500,
        Profile::V => 850,
    }
}

/// Starting seed of the generator; each concern draws from its own stream so
/// that tuning one (say, the bandwidth mix) does not reshuffle the others.
const SEED: u64 = 0x2015_0000_4D47_0001;

// Indices into `operators`.
const OP_TELEMAR: usize = 0;
const OP_ALGAR: usize = 1;
const OP_OI_MOVEL: usize = 2;
const OP_EMBRATEL: usize = 3;
const OP_VODANET: usize = 4;
const OP_EUTELSAT: usize = 5;
const OP_TELBRAX: usize = 6;

/// Operators and their CNPJ bases (12 characters; check digits computed).
/// Telemar, Algar Telecom, Oi Móvel and Embratel use their published bases;
/// the other three bases are invented (prefix 91) for the demo.
const OPERATORS: [(&str, &str); 7] = [
    ("Telemar Norte Leste S.A. (Oi)", "330001180001"),
    ("Algar Telecom S.A.", "712085160001"),
    ("Oi Móvel S.A.", "054239630001"),
    ("Empresa Brasileira de Telecomunicações S.A. – Embratel", "335304860001"),
    ("Vodanet Telecomunicações Ltda.", "910000010001"),
    ("Eutelsat do Brasil Ltda.", "910000020001"),
    ("Telbrax S.A.", "910000030001"),
];

/// The Oi/Algar consortium: Telemar (Oi) leads. The split is a demo
/// assumption; only the rule (sum of 100 %) is real.
const CONSORTIUM_OI_ALGAR: usize = 0;
const OI_ALGAR_SHARES_BP: [(usize, i64); 2] = [(OP_TELEMAR, 6_000), (OP_ALGAR, 4_000)];

// Indices into `lots`, in the order of seed 000's table.
const LOT_1A: usize = 0;
const LOT_2A: usize = 1;
const LOT_3A: usize = 2;
const LOT_4A: usize = 3;
const LOT_4B: usize = 4;
const LOT_4C: usize = 5;
const LOT_5A: usize = 6;
const LOT_6A: usize = 7;
const LOT_7: usize = 8;
const LOT_8: usize = 9;
const LOT_9A: usize = 10;
const LOT_10A: usize = 11;

const BELO_HORIZONTE: u32 = 3106200;

/// Regular sites in Belo Horizonte, besides the agencies' headquarters.
const BH_SITES: usize = 470;

/// The Região Metropolitana de Belo Horizonte (without the capital), with
/// the number of demo sites of the larger ones (0: drawn, 2 to 4).
const RMBH: [(u32, usize); 33] = [
    (3105004, 0),  // Baldim
    (3106705, 30), // Betim
    (3109006, 4),  // Brumadinho
    (3110004, 0),  // Caeté
    (3112505, 0),  // Capim Branco
    (3117876, 0),  // Confins
    (3118601, 34), // Contagem
    (3124104, 5),  // Esmeraldas
    (3126000, 0),  // Florestal
    (3129806, 11), // Ibirité
    (3130101, 5),  // Igarapé
    (3132206, 0),  // Itaguara
    (3133709, 0),  // Itatiaiuçu
    (3134608, 0),  // Jaboticatubas
    (3136652, 0),  // Juatuba
    (3137601, 8),  // Lagoa Santa
    (3140159, 0),  // Mário Campos
    (3140704, 0),  // Mateus Leme
    (3141108, 0),  // Matozinhos
    (3144805, 9),  // Nova Lima
    (3136603, 0),  // Nova União
    (3149309, 6),  // Pedro Leopoldo
    (3153905, 0),  // Raposos
    (3154606, 15), // Ribeirão das Neves
    (3154804, 0),  // Rio Acima
    (3155306, 0),  // Rio Manso
    (3156700, 10), // Sabará
    (3157807, 13), // Santa Luzia
    (3162922, 0),  // São Joaquim de Bicas
    (3162955, 0),  // São José da Lapa
    (3165537, 0),  // Sarzedo
    (3168309, 0),  // Taquaraçu de Minas
    (3171204, 9),  // Vespasiano
];

/// Lot 3A: Triângulo Mineiro and Alto Paranaíba (Algar's historical area),
/// with the number of demo sites of the larger ones (0: drawn, 1 to 4).
const TRIANGULO: [(u32, usize); 57] = [
    (3170206, 52), // Uberlândia
    (3170107, 38), // Uberaba
    (3103504, 13), // Araguari
    (3134202, 12), // Ituiutaba
    (3148004, 15), // Patos de Minas
    (3104007, 11), // Araxá
    (3127107, 8),  // Frutal
    (3143104, 7),  // Monte Carmelo
    (3148103, 9),  // Patrocínio
    (3134400, 6),  // Iturama
    (3156908, 0),  // Sacramento
    (3117306, 0),  // Conceição das Alagoas
    (3169604, 0),  // Tupaciguara
    (3152808, 0),  // Prata
    (3111101, 0),  // Campina Verde
    (3159803, 0),  // Santa Vitória
    (3112604, 0),  // Capinópolis
    (3119302, 0),  // Coromandel
    (3124807, 0),  // Estrela do Sul
    (3145000, 0),  // Nova Ponte
    (3149804, 0),  // Perdizes
    (3129509, 0),  // Ibiá
    (3111804, 0),  // Canápolis
    (3142809, 0),  // Monte Alegre de Minas
    (3115805, 0),  // Centralina
    (3130705, 0),  // Indianópolis
    (3103751, 0),  // Araporã
    (3109808, 0),  // Cachoeira Dourada
    (3129103, 0),  // Gurinhatã
    (3114303, 0),  // Carmo do Paranaíba
    (3155504, 0),  // Rio Paranaíba
    (3162104, 0),  // São Gotardo
    (3137502, 0),  // Lagoa Formosa
    (3153400, 0),  // Presidente Olegário
    (3166808, 0),  // Serra do Salitre
    (3149200, 0),  // Pedrinópolis
    (3121258, 0),  // Delta
    (3118205, 0),  // Conquista
    (3100708, 0),  // Água Comprida
    (3171105, 0),  // Veríssimo
    (3111408, 0),  // Campo Florido
    (3127008, 0),  // Fronteira
    (3151602, 0),  // Planura
    (3150703, 0),  // Pirajuba
    (3116902, 0),  // Comendador Gomes
    (3170438, 0),  // União de Minas
    (3138625, 0),  // Limeira do Oeste
    (3114550, 0),  // Carneirinho
    (3131604, 0),  // Iraí de Minas
    (3156403, 0),  // Romaria
    (3115003, 0),  // Cascalho Rico
    (3127909, 0),  // Grupiara
    (3123502, 0),  // Douradoquara
    (3100104, 0),  // Abadia dos Dourados
    (3168101, 0),  // Tapira
    (3153004, 0),  // Pratinha
    (3157708, 0),  // Santa Juliana
];

/// Lot 4A: large cities of the Zona da Mata, Vale do Aço, Leste, Norte and
/// Centro-Oeste, as (IBGE code, DDD, demo sites).
const LARGE_CITIES_A: [(u32, u16, usize); 18] = [
    (3136702, 32, 46), // Juiz de Fora
    (3143302, 38, 40), // Montes Claros
    (3127701, 33, 27), // Governador Valadares
    (3131307, 31, 23), // Ipatinga
    (3119401, 31, 10), // Coronel Fabriciano
    (3168705, 31, 9),  // Timóteo
    (3168606, 33, 20), // Teófilo Otoni
    (3122306, 37, 22), // Divinópolis
    (3167202, 31, 21), // Sete Lagoas
    (3133808, 37, 10), // Itaúna
    (3118304, 31, 13), // Conselheiro Lafaiete
    (3105608, 32, 15), // Barbacena
    (3143906, 32, 13), // Muriaé
    (3169901, 32, 12), // Ubá
    (3115300, 32, 9),  // Cataguases
    (3171303, 31, 11), // Viçosa
    (3139409, 33, 10), // Manhuaçu
    (3113404, 33, 11), // Caratinga
];

/// Lot 4B: large cities of the Sul de Minas, Campo das Vertentes, Central,
/// Norte and Noroeste, as (IBGE code, DDD, demo sites).
const LARGE_CITIES_B: [(u32, u16, usize); 20] = [
    (3151800, 35, 18), // Poços de Caldas
    (3152501, 35, 17), // Pouso Alegre
    (3170701, 35, 16), // Varginha
    (3138203, 35, 12), // Lavras
    (3147907, 35, 12), // Passos
    (3132404, 35, 11), // Itajubá
    (3169307, 35, 9),  // Três Corações
    (3162500, 32, 12), // São João del Rei
    (3101607, 35, 10), // Alfenas
    (3126109, 37, 9),  // Formiga
    (3147105, 37, 9),  // Pará de Minas
    (3146107, 31, 11), // Ouro Preto
    (3131703, 31, 12), // Itabira
    (3136207, 31, 9),  // João Monlevade
    (3120904, 38, 9),  // Curvelo
    (3135100, 38, 9),  // Janaúba
    (3147006, 38, 10), // Paracatu
    (3170404, 38, 9),  // Unaí
    (3135209, 38, 8),  // Januária
    (3151206, 38, 8),  // Pirapora
];

/// Mid-sized towns of lot 5A that the demo always includes (regional
/// offices live there), as (IBGE code, DDD).
const MID_TOWNS_5A: [(u32, u16); 15] = [
    (3121605, 38), // Diamantina
    (3131901, 31), // Itabirito
    (3140001, 31), // Mariana
    (3118007, 31), // Congonhas
    (3152105, 31), // Ponte Nova
    (3138401, 32), // Leopoldina
    (3128709, 35), // Guaxupé
    (3164704, 35), // São Sebastião do Paraíso
    (3107406, 37), // Bom Despacho
    (3145604, 37), // Oliveira
    (3112307, 33), // Capelinha
    (3101706, 33), // Almenara
    (3103405, 33), // Araçuaí
    (3157005, 38), // Salinas
    (3144300, 33), // Nanuque
];

/// Lot 4C: the state's offices outside Minas Gerais (Vitória is in the
/// region without a demo site).
const OUTSIDE_MG: [u32; 4] = [
    5300108, // Brasília
    3304557, // Rio de Janeiro
    3550308, // São Paulo
    3205309, // Vitória
];

/// The demo sites outside Minas Gerais: (IBGE code, DDD, agency acronym,
/// name, address).
const OUTSIDE_SITES: [(u32, u16, &str, &str, &str); 5] = [
    (
        5300108,
        61,
        "SEGOV",
        "Escritório de Representação do Governo de Minas Gerais em Brasília",
        "Setor Comercial Sul, Quadra 2, Bloco C, 120 - Asa Sul",
    ),
    (
        5300108,
        61,
        "AGE",
        "Representação da Advocacia-Geral do Estado em Brasília",
        "Setor de Autarquias Sul, Quadra 4, Bloco A, 210 - Asa Sul",
    ),
    (
        3550308,
        11,
        "SEDE",
        "Escritório de Promoção de Investimentos de Minas Gerais em São Paulo",
        "Avenida Paulista, 1048 - Bela Vista",
    ),
    (
        3304557,
        21,
        "SEDE",
        "Escritório de Representação de Minas Gerais no Rio de Janeiro",
        "Avenida Rio Branco, 156 - Centro",
    ),
    (
        3304557,
        21,
        "SECULT",
        "Escritório de Promoção do Turismo de Minas Gerais no Rio de Janeiro",
        "Rua da Assembleia, 93 - Centro",
    ),
];

/// The Cidade Administrativa, seat of the state government (lot 10A).
const CIDADE_ADMINISTRATIVA: &str = "Rodovia Papa João Paulo II, 4001 - Serra Verde";

// ---------------------------------------------------------------------------
// Agencies
// ---------------------------------------------------------------------------

/// Where an agency has units.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Every municipality of Minas Gerais, down to the smallest town.
    Statewide,
    /// Only the larger towns (regional offices).
    Regional,
    /// Belo Horizonte and its metropolitan region.
    Metro,
    /// Belo Horizonte only.
    Capital,
    /// Its headquarters' municipality only, with this many sites in all.
    City(usize),
}

/// Where an agency's headquarters is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hq {
    /// The Cidade Administrativa, in this building (lot 10A).
    CidadeAdministrativa(&'static str),
    /// Elsewhere in Belo Horizonte.
    Capital,
    /// In this municipality.
    City(u32),
}

/// The description of one demo agency. Unit-name templates may use `{m}`
/// (municipality), `{b}` (neighbourhood), `{p}` (a school's patron) and
/// `{o}` (an ordinal, "12º").
struct AgencySpec {
    acronym: &'static str,
    name: &'static str,
    kind: AgencyKind,
    reach: Reach,
    /// Relative number of units where the agency is present.
    weight: u32,
    hq: Hq,
    /// Health agencies' rural units are served by the satellite lots 7 and 8.
    health: bool,
    /// Chance, per mille, that a unit outside the capital is rural.
    rural_permille: u64,
    /// The e-mail domain of its people (under the reserved `.example` TLD, so
    /// that a demo can never mail a real address).
    domain: &'static str,
    /// Unit names used in larger towns (together with `small`).
    big: &'static [&'static str],
    /// Unit names used in small towns.
    small: &'static [&'static str],
}

const ED_MINAS: &str = "Edifício Minas";
const ED_GERAIS: &str = "Edifício Gerais";
const PALACIO: &str = "Palácio Tiradentes";

use AgencyKind::{Compulsory as C, Facultative as F, Municipality as M};

#[rustfmt::skip]
const AGENCIES: &[AgencySpec] = &[
    AgencySpec { acronym: "SEF", name: "Secretaria de Estado de Fazenda", kind: C, reach: Reach::Regional,
        weight: 6, hq: Hq::CidadeAdministrativa(ED_GERAIS), health: false, rural_permille: 0,
        domain: "fazenda.mg.gov.example",
        big: &["Administração Fazendária de {m}", "Delegacia Fiscal de {m}", "Posto de Fiscalização de {m}"],
        small: &[] },
    AgencySpec { acronym: "SEPLAG", name: "Secretaria de Estado de Planejamento e Gestão", kind: C,
        reach: Reach::Regional, weight: 3, hq: Hq::CidadeAdministrativa(ED_GERAIS), health: false,
        rural_permille: 0, domain: "planejamento.mg.gov.example",
        big: &["Unidade de Atendimento Integrado – UAI {m}"], small: &[] },
    AgencySpec { acronym: "SES", name: "Secretaria de Estado de Saúde", kind: C, reach: Reach::Statewide,
        weight: 7, hq: Hq::CidadeAdministrativa(ED_MINAS), health: true, rural_permille: 250,
        domain: "saude.mg.gov.example",
        big: &["Superintendência Regional de Saúde de {m}", "Laboratório Regional de Saúde de {m}"],
        small: &["Farmácia de Minas – {m}", "Núcleo de Vigilância em Saúde de {m}"] },
    AgencySpec { acronym: "SEE", name: "Secretaria de Estado de Educação", kind: C, reach: Reach::Statewide,
        weight: 22, hq: Hq::CidadeAdministrativa(ED_MINAS), health: false, rural_permille: 120,
        domain: "educacao.mg.gov.example",
        big: &["Superintendência Regional de Ensino de {m}", "Escola Estadual {p}"],
        small: &["Escola Estadual {p}"] },
    AgencySpec { acronym: "SEJUSP", name: "Secretaria de Estado de Justiça e Segurança Pública", kind: C,
        reach: Reach::Regional, weight: 7, hq: Hq::CidadeAdministrativa(ED_MINAS), health: false,
        rural_permille: 100, domain: "seguranca.mg.gov.example",
        big: &["Presídio de {m}", "Penitenciária de {m}", "Centro Socioeducativo de {m}"], small: &[] },
    AgencySpec { acronym: "SEDESE", name: "Secretaria de Estado de Desenvolvimento Social", kind: C,
        reach: Reach::Regional, weight: 3, hq: Hq::CidadeAdministrativa(ED_MINAS), health: false,
        rural_permille: 0, domain: "social.mg.gov.example",
        big: &["Diretoria Regional de Desenvolvimento Social de {m}", "Unidade SINE de {m}"], small: &[] },
    AgencySpec { acronym: "SEMAD",
        name: "Secretaria de Estado de Meio Ambiente e Desenvolvimento Sustentável", kind: C,
        reach: Reach::Regional, weight: 2, hq: Hq::CidadeAdministrativa(ED_MINAS), health: false,
        rural_permille: 0, domain: "meioambiente.mg.gov.example",
        big: &["Superintendência Regional de Meio Ambiente de {m}"], small: &[] },
    AgencySpec { acronym: "SEAPA", name: "Secretaria de Estado de Agricultura, Pecuária e Abastecimento",
        kind: C, reach: Reach::Capital, weight: 1, hq: Hq::CidadeAdministrativa(ED_GERAIS), health: false,
        rural_permille: 0, domain: "agricultura.mg.gov.example", big: &["Unidade {b}"], small: &[] },
    AgencySpec { acronym: "SEINFRA", name: "Secretaria de Estado de Infraestrutura, Mobilidade e Parcerias",
        kind: C, reach: Reach::Capital, weight: 1, hq: Hq::CidadeAdministrativa(ED_GERAIS), health: false,
        rural_permille: 0, domain: "infraestrutura.mg.gov.example", big: &["Unidade {b}"], small: &[] },
    AgencySpec { acronym: "SEDE", name: "Secretaria de Estado de Desenvolvimento Econômico", kind: C,
        reach: Reach::Capital, weight: 1, hq: Hq::CidadeAdministrativa(ED_GERAIS), health: false,
        rural_permille: 0, domain: "desenvolvimento.mg.gov.example", big: &["Unidade {b}"], small: &[] },
    AgencySpec { acronym: "SEGOV", name: "Secretaria de Estado de Governo", kind: C, reach: Reach::Capital,
        weight: 1, hq: Hq::CidadeAdministrativa(PALACIO), health: false, rural_permille: 0,
        domain: "governo.mg.gov.example", big: &["Unidade {b}"], small: &[] },
    AgencySpec { acronym: "SECULT", name: "Secretaria de Estado de Cultura e Turismo", kind: C,
        reach: Reach::Capital, weight: 2, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "cultura.mg.gov.example",
        big: &["Biblioteca Pública Estadual – {b}", "Arquivo Público Mineiro", "Centro Cultural – {b}"],
        small: &[] },
    AgencySpec { acronym: "SG", name: "Secretaria-Geral", kind: C, reach: Reach::Capital, weight: 1,
        hq: Hq::CidadeAdministrativa(PALACIO), health: false, rural_permille: 0,
        domain: "secgeral.mg.gov.example", big: &["Unidade {b}"], small: &[] },
    AgencySpec { acronym: "AGE", name: "Advocacia-Geral do Estado", kind: C, reach: Reach::Regional,
        weight: 2, hq: Hq::CidadeAdministrativa(ED_MINAS), health: false, rural_permille: 0,
        domain: "age.mg.gov.example", big: &["Advocacia Regional do Estado em {m}"], small: &[] },
    AgencySpec { acronym: "CGE", name: "Controladoria-Geral do Estado", kind: C, reach: Reach::Capital,
        weight: 1, hq: Hq::CidadeAdministrativa(ED_GERAIS), health: false, rural_permille: 0,
        domain: "cge.mg.gov.example", big: &["Unidade {b}"], small: &[] },
    AgencySpec { acronym: "GMG", name: "Gabinete Militar do Governador", kind: C, reach: Reach::Capital,
        weight: 1, hq: Hq::CidadeAdministrativa(PALACIO), health: false, rural_permille: 0,
        domain: "gabinetemilitar.mg.gov.example", big: &["Coordenadoria Estadual de Defesa Civil – {b}"],
        small: &[] },
    AgencySpec { acronym: "OGE", name: "Ouvidoria-Geral do Estado", kind: C, reach: Reach::Capital, weight: 1,
        hq: Hq::CidadeAdministrativa(ED_GERAIS), health: false, rural_permille: 0,
        domain: "ouvidoria.mg.gov.example", big: &["Posto de Atendimento – {b}"], small: &[] },
    AgencySpec { acronym: "PCMG", name: "Polícia Civil de Minas Gerais", kind: C, reach: Reach::Statewide,
        weight: 14, hq: Hq::Capital, health: false, rural_permille: 0, domain: "policiacivil.mg.gov.example",
        big: &["Delegacia Regional de Polícia Civil de {m}", "Posto de Identificação de {m}",
            "Instituto Médico Legal – Posto de {m}"], small: &["Delegacia de Polícia Civil de {m}"] },
    AgencySpec { acronym: "PMMG", name: "Polícia Militar de Minas Gerais", kind: C, reach: Reach::Statewide,
        weight: 18, hq: Hq::Capital, health: false, rural_permille: 40, domain: "pmmg.mg.gov.example",
        big: &["{o} Batalhão de Polícia Militar – {m}", "Companhia Independente de Polícia Militar – {m}"],
        small: &["Pelotão de Polícia Militar de {m}", "Destacamento de Polícia Militar de {m}"] },
    AgencySpec { acronym: "CBMMG", name: "Corpo de Bombeiros Militar de Minas Gerais", kind: C,
        reach: Reach::Regional, weight: 3, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "bombeiros.mg.gov.example",
        big: &["{o} Batalhão de Bombeiros Militar – {m}", "Pelotão de Bombeiros Militar de {m}"],
        small: &[] },
    AgencySpec { acronym: "DETRAN-MG", name: "Departamento de Trânsito de Minas Gerais", kind: C,
        reach: Reach::Statewide, weight: 4, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "detran.mg.gov.example", big: &["Unidade de Atendimento do DETRAN-MG – {m}"],
        small: &["Circunscrição Regional de Trânsito de {m}"] },
    AgencySpec { acronym: "DER-MG", name: "Departamento de Edificações e Estradas de Rodagem de Minas Gerais",
        kind: C, reach: Reach::Regional, weight: 3, hq: Hq::Capital, health: false, rural_permille: 200,
        domain: "der.mg.gov.example",
        big: &["Coordenadoria Regional do DER-MG em {m}", "Residência de Conservação Rodoviária de {m}"],
        small: &[] },
    AgencySpec { acronym: "IEF", name: "Instituto Estadual de Florestas", kind: C, reach: Reach::Statewide,
        weight: 3, hq: Hq::CidadeAdministrativa(ED_MINAS), health: false, rural_permille: 600,
        domain: "ief.mg.gov.example", big: &["Escritório Regional do IEF em {m}"],
        small: &["Núcleo de Regularização Ambiental de {m}", "Parque Estadual – Portaria de {m}"] },
    AgencySpec { acronym: "IGAM", name: "Instituto Mineiro de Gestão das Águas", kind: C,
        reach: Reach::Regional, weight: 1, hq: Hq::CidadeAdministrativa(ED_MINAS), health: false,
        rural_permille: 300, domain: "igam.mg.gov.example",
        big: &["Unidade Regional de Gestão das Águas de {m}", "Estação de Monitoramento de Águas – {m}"],
        small: &[] },
    AgencySpec { acronym: "FEAM", name: "Fundação Estadual do Meio Ambiente", kind: C, reach: Reach::Capital,
        weight: 1, hq: Hq::CidadeAdministrativa(ED_MINAS), health: false, rural_permille: 0,
        domain: "feam.mg.gov.example", big: &["Laboratório Ambiental – {b}"], small: &[] },
    AgencySpec { acronym: "IMA", name: "Instituto Mineiro de Agropecuária", kind: C, reach: Reach::Statewide,
        weight: 5, hq: Hq::Capital, health: false, rural_permille: 200, domain: "ima.mg.gov.example",
        big: &["Coordenadoria Regional do IMA em {m}"],
        small: &["Escritório Seccional do IMA em {m}", "Posto de Fiscalização Agropecuária de {m}"] },
    AgencySpec { acronym: "EMATER-MG",
        name: "Empresa de Assistência Técnica e Extensão Rural do Estado de Minas Gerais", kind: C,
        reach: Reach::Statewide, weight: 8, hq: Hq::Capital, health: false, rural_permille: 350,
        domain: "emater.mg.gov.example", big: &["Unidade Regional da EMATER-MG em {m}"],
        small: &["Escritório Local da EMATER-MG em {m}"] },
    AgencySpec { acronym: "EPAMIG", name: "Empresa de Pesquisa Agropecuária de Minas Gerais", kind: C,
        reach: Reach::Regional, weight: 1, hq: Hq::Capital, health: false, rural_permille: 700,
        domain: "epamig.mg.gov.example",
        big: &["Campo Experimental da EPAMIG em {m}", "Unidade Regional da EPAMIG em {m}"], small: &[] },
    AgencySpec { acronym: "FHEMIG", name: "Fundação Hospitalar do Estado de Minas Gerais", kind: C,
        reach: Reach::Regional, weight: 3, hq: Hq::Capital, health: true, rural_permille: 50,
        domain: "fhemig.mg.gov.example", big: &["Hospital Regional de {m}", "Casa de Saúde de {m}"],
        small: &[] },
    AgencySpec { acronym: "HEMOMINAS", name: "Fundação Centro de Hematologia e Hemoterapia de Minas Gerais",
        kind: C, reach: Reach::Regional, weight: 2, hq: Hq::Capital, health: true, rural_permille: 0,
        domain: "hemominas.mg.gov.example",
        big: &["Hemocentro Regional de {m}", "Hemonúcleo de {m}", "Unidade de Coleta e Transfusão de {m}"],
        small: &[] },
    AgencySpec { acronym: "FUNED", name: "Fundação Ezequiel Dias", kind: C, reach: Reach::Capital, weight: 1,
        hq: Hq::Capital, health: true, rural_permille: 0, domain: "funed.mg.gov.example",
        big: &["Laboratório Central – {b}"], small: &[] },
    AgencySpec { acronym: "ESP-MG", name: "Escola de Saúde Pública do Estado de Minas Gerais", kind: C,
        reach: Reach::Capital, weight: 1, hq: Hq::Capital, health: true, rural_permille: 0,
        domain: "esp.mg.gov.example", big: &["Núcleo de Ensino – {b}"], small: &[] },
    AgencySpec { acronym: "IPSEMG", name: "Instituto de Previdência dos Servidores do Estado de Minas Gerais",
        kind: C, reach: Reach::Regional, weight: 2, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "ipsemg.mg.gov.example",
        big: &["Seção Regional do IPSEMG em {m}", "Posto de Atendimento do IPSEMG em {m}"], small: &[] },
    AgencySpec { acronym: "IPSM",
        name: "Instituto de Previdência dos Servidores Militares do Estado de Minas Gerais", kind: C,
        reach: Reach::Capital, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "ipsm.mg.gov.example", big: &["Posto de Atendimento – {b}"], small: &[] },
    AgencySpec { acronym: "UEMG", name: "Universidade do Estado de Minas Gerais", kind: C,
        reach: Reach::Regional, weight: 2, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "uemg.mg.gov.example", big: &["Unidade Acadêmica da UEMG em {m}"], small: &[] },
    AgencySpec { acronym: "UNIMONTES", name: "Universidade Estadual de Montes Claros", kind: C,
        reach: Reach::City(5), weight: 0, hq: Hq::City(3143302), health: false, rural_permille: 0,
        domain: "unimontes.mg.gov.example",
        big: &["Campus Universitário Professor Darcy Ribeiro", "Hospital Universitário Clemente de Faria",
            "Centro de Ciências Biológicas e da Saúde", "Unidade Acadêmica – {b}"], small: &[] },
    AgencySpec { acronym: "JUCEMG", name: "Junta Comercial do Estado de Minas Gerais", kind: C,
        reach: Reach::Regional, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "jucemg.mg.gov.example", big: &["Escritório Regional da JUCEMG em {m}"], small: &[] },
    AgencySpec { acronym: "ARSAE-MG",
        name: concat!(
            "Agência Reguladora de Serviços de Abastecimento de Água e de Esgotamento Sanitário ",
            "do Estado de Minas Gerais",
        ), kind: C, reach: Reach::Capital, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "arsae.mg.gov.example", big: &["Unidade {b}"], small: &[] },
    AgencySpec { acronym: "IEPHA-MG",
        name: "Instituto Estadual do Patrimônio Histórico e Artístico de Minas Gerais", kind: C,
        reach: Reach::Capital, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "iepha.mg.gov.example", big: &["Centro de Documentação – {b}"], small: &[] },
    AgencySpec { acronym: "FJP", name: "Fundação João Pinheiro", kind: C, reach: Reach::Capital, weight: 1,
        hq: Hq::Capital, health: false, rural_permille: 0, domain: "fjp.mg.gov.example",
        big: &["Escola de Governo – {b}"], small: &[] },
    AgencySpec { acronym: "FAPEMIG", name: "Fundação de Amparo à Pesquisa do Estado de Minas Gerais", kind: C,
        reach: Reach::Capital, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "fapemig.mg.gov.example", big: &["Unidade {b}"], small: &[] },
    AgencySpec { acronym: "UTRAMIG", name: "Fundação de Educação para o Trabalho de Minas Gerais", kind: C,
        reach: Reach::Capital, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "utramig.mg.gov.example", big: &["Centro de Formação Profissional – {b}"], small: &[] },
    AgencySpec { acronym: "FCS", name: "Fundação Clóvis Salgado", kind: C, reach: Reach::Capital, weight: 1,
        hq: Hq::Capital, health: false, rural_permille: 0, domain: "fcs.mg.gov.example",
        big: &["Palácio das Artes", "Centro de Formação Artística – {b}"], small: &[] },
    AgencySpec { acronym: "EMC", name: "Empresa Mineira de Comunicação", kind: C, reach: Reach::Capital,
        weight: 1, hq: Hq::Capital, health: false, rural_permille: 0, domain: "emc.mg.gov.example",
        big: &["Estúdios da Rede Minas – {b}", "Rádio Inconfidência – {b}"], small: &[] },
    AgencySpec { acronym: "PRODEMGE", name: "Companhia de Tecnologia da Informação do Estado de Minas Gerais",
        kind: C, reach: Reach::Capital, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "prodemge.mg.gov.example", big: &["Centro de Operação de Redes (NOC)", "Data Center – {b}"],
        small: &[] },
    AgencySpec { acronym: "IDENE", name: "Instituto de Desenvolvimento do Norte e Nordeste de Minas Gerais",
        kind: C, reach: Reach::Regional, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "idene.mg.gov.example", big: &["Escritório Regional do IDENE em {m}"], small: &[] },
    AgencySpec { acronym: "IPEM-MG", name: "Instituto de Metrologia e Qualidade do Estado de Minas Gerais",
        kind: C, reach: Reach::Regional, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "ipem.mg.gov.example", big: &["Regional do IPEM-MG em {m}"], small: &[] },
    AgencySpec { acronym: "LEMG", name: "Loteria do Estado de Minas Gerais", kind: C, reach: Reach::Capital,
        weight: 1, hq: Hq::Capital, health: false, rural_permille: 0, domain: "loteria.mg.gov.example",
        big: &["Unidade {b}"], small: &[] },
    AgencySpec { acronym: "FUCAM", name: "Fundação Caio Martins", kind: C, reach: Reach::City(3), weight: 0,
        hq: Hq::City(3124104), health: false, rural_permille: 300, domain: "fucam.mg.gov.example",
        big: &["Centro Educacional Caio Martins – {b}", "Núcleo de Formação Profissional – {b}"],
        small: &[] },
    AgencySpec { acronym: "FAOP", name: "Fundação de Arte de Ouro Preto", kind: C, reach: Reach::City(3),
        weight: 0, hq: Hq::City(3146107), health: false, rural_permille: 0, domain: "faop.mg.gov.example",
        big: &["Escola de Arte Rodrigo Melo Franco de Andrade", "Núcleo de Conservação e Restauro – {b}"],
        small: &[] },
    AgencySpec { acronym: "FHA", name: "Fundação Helena Antipoff", kind: C, reach: Reach::City(3), weight: 0,
        hq: Hq::City(3129806), health: false, rural_permille: 0, domain: "fha.mg.gov.example",
        big: &["Escola Estadual Sandoval Soares de Azevedo", "Museu Helena Antipoff – {b}"], small: &[] },
    AgencySpec { acronym: "ARMBH",
        name: "Agência de Desenvolvimento da Região Metropolitana de Belo Horizonte", kind: C,
        reach: Reach::Metro, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "agenciarmbh.mg.gov.example", big: &["Escritório Metropolitano de {m}"],
        small: &["Escritório Metropolitano de {m}"] },
    AgencySpec { acronym: "DPMG", name: "Defensoria Pública do Estado de Minas Gerais", kind: F,
        reach: Reach::Regional, weight: 3, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "defensoria.mg.gov.example",
        big: &["Defensoria Pública de {m}", "Unidade de Atendimento da Defensoria Pública – {m}"],
        small: &[] },
    AgencySpec { acronym: "COPASA", name: "Companhia de Saneamento de Minas Gerais", kind: F,
        reach: Reach::Regional, weight: 2, hq: Hq::Capital, health: false, rural_permille: 150,
        domain: "copasa.mg.gov.example",
        big: &["Distrito Regional da COPASA em {m}", "Estação de Tratamento de Água de {m}"], small: &[] },
    AgencySpec { acronym: "CODEMGE", name: "Companhia de Desenvolvimento de Minas Gerais", kind: F,
        reach: Reach::Capital, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "codemge.mg.gov.example", big: &["Unidade {b}"], small: &[] },
    AgencySpec { acronym: "BDMG", name: "Banco de Desenvolvimento de Minas Gerais", kind: F,
        reach: Reach::Capital, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "bdmg.mg.gov.example", big: &["Agência {b}"], small: &[] },
    AgencySpec { acronym: "MGS", name: "Minas Gerais Administração e Serviços S.A.", kind: F,
        reach: Reach::Capital, weight: 1, hq: Hq::Capital, health: false, rural_permille: 0,
        domain: "mgs.mg.gov.example", big: &["Unidade {b}"], small: &[] },
    AgencySpec { acronym: "GASMIG", name: "Companhia de Gás de Minas Gerais", kind: F, reach: Reach::Capital,
        weight: 1, hq: Hq::Capital, health: false, rural_permille: 0, domain: "gasmig.mg.gov.example",
        big: &["Centro de Operações – {b}"], small: &[] },
    AgencySpec { acronym: "PMNL", name: "Prefeitura Municipal de Nova Lima", kind: M, reach: Reach::City(6),
        weight: 0, hq: Hq::City(3144805), health: false, rural_permille: 0, domain: "novalima.mg.gov.example",
        big: PREFEITURA_UNITS, small: &[] },
    AgencySpec { acronym: "PMU", name: "Prefeitura Municipal de Uberaba", kind: M, reach: Reach::City(7),
        weight: 0, hq: Hq::City(3170107), health: false, rural_permille: 0, domain: "uberaba.mg.gov.example",
        big: PREFEITURA_UNITS, small: &[] },
    AgencySpec { acronym: "PMD", name: "Prefeitura Municipal de Divinópolis", kind: M, reach: Reach::City(7),
        weight: 0, hq: Hq::City(3122306), health: false, rural_permille: 0,
        domain: "divinopolis.mg.gov.example", big: PREFEITURA_UNITS, small: &[] },
    AgencySpec { acronym: "PML", name: "Prefeitura Municipal de Lavras", kind: M, reach: Reach::City(5),
        weight: 0, hq: Hq::City(3138203), health: false, rural_permille: 0, domain: "lavras.mg.gov.example",
        big: PREFEITURA_UNITS, small: &[] },
    AgencySpec { acronym: "PMDIA", name: "Prefeitura Municipal de Diamantina", kind: M, reach: Reach::City(4),
        weight: 0, hq: Hq::City(3121605), health: false, rural_permille: 0,
        domain: "diamantina.mg.gov.example", big: PREFEITURA_UNITS, small: &[] },
];

const PREFEITURA_UNITS: &[&str] = &[
    "Secretaria Municipal de Saúde",
    "Secretaria Municipal de Educação",
    "Centro Administrativo Municipal – {b}",
    "Unidade Básica de Saúde – {b}",
    "Escola Municipal {p}",
];

/// The index of the agency with this acronym; only called with constants.
fn agency_index(acronym: &str) -> usize {
    AGENCIES
        .iter()
        .position(|a| a.acronym == acronym)
        .expect("only acronyms listed in AGENCIES are looked up, and the test suite covers each call")
}

// ---------------------------------------------------------------------------
// Word lists for names and addresses (invented people, plausible places)
// ---------------------------------------------------------------------------

#[rustfmt::skip]
const FIRST_NAMES: &[&str] = &[
    "Ana", "Maria", "José", "João", "Antônio", "Francisco", "Carlos", "Paulo", "Pedro", "Lucas", "Luiz",
    "Marcos", "Gabriel", "Rafael", "Daniel", "Marcelo", "Bruno", "Eduardo", "Felipe", "Rodrigo", "Juliana",
    "Fernanda", "Patrícia", "Aline", "Adriana", "Camila", "Sandra", "Luciana", "Márcia", "Cristina",
    "Beatriz", "Letícia", "Renata", "Vanessa", "Tatiane", "Gustavo", "Thiago", "Fábio", "Sérgio", "Geraldo",
    "Sebastião", "Aparecida", "Rosângela", "Wellington", "Leonardo", "Cláudia", "Débora", "Júlio",
];

#[rustfmt::skip]
const SURNAMES: &[&str] = &[
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
    "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa",
    "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas",
    "Cardoso", "Ramos", "Gonçalves", "Teixeira", "Araújo", "Pinto", "Campos", "Resende", "Guimarães",
    "Fonseca", "Coelho", "Duarte", "Moura", "Batista", "Castro", "Vasconcelos",
];

const STREETS: &[&str] = &[
    "Rua Tiradentes",
    "Rua Sete de Setembro",
    "Rua Quinze de Novembro",
    "Avenida Getúlio Vargas",
    "Rua Santos Dumont",
    "Avenida Brasil",
    "Rua Dom Pedro II",
    "Avenida Juscelino Kubitschek",
    "Rua São Paulo",
    "Rua Bahia",
    "Praça da Matriz",
    "Avenida Governador Valadares",
    "Rua Marechal Deodoro",
    "Rua Benjamin Constant",
    "Rua Floriano Peixoto",
    "Rua Minas Gerais",
    "Rua do Rosário",
    "Rua Barão do Rio Branco",
    "Rua Coronel Antônio Alves",
    "Avenida Presidente Tancredo Neves",
    "Rua Padre José Pedro",
    "Rua Professor Mário Casassanta",
];

const BH_STREETS: &[&str] = &[
    "Avenida Afonso Pena",
    "Avenida Amazonas",
    "Avenida do Contorno",
    "Rua da Bahia",
    "Rua dos Guajajaras",
    "Avenida Augusto de Lima",
    "Rua Espírito Santo",
    "Avenida Antônio Carlos",
    "Avenida Cristiano Machado",
    "Rua Padre Eustáquio",
    "Avenida Olegário Maciel",
    "Rua Gonçalves Dias",
    "Avenida Silviano Brandão",
    "Rua Rio de Janeiro",
    "Avenida Vilarinho",
    "Avenida Tereza Cristina",
];

const BH_NEIGHBOURHOODS: &[&str] = &[
    "Centro",
    "Funcionários",
    "Savassi",
    "Lourdes",
    "Santo Agostinho",
    "Barro Preto",
    "Santa Efigênia",
    "Floresta",
    "Santa Tereza",
    "Lagoinha",
    "Carlos Prates",
    "Prado",
    "Gutierrez",
    "Cidade Nova",
    "Pampulha",
    "Venda Nova",
    "Barreiro",
    "Buritis",
    "Serra",
    "Sion",
    "Padre Eustáquio",
    "Caiçara",
    "Castelo",
    "São Bento",
    "Santa Mônica",
    "Jardim Montanhês",
];

const NEIGHBOURHOODS: &[&str] = &[
    "Centro",
    "Centro",
    "Centro",
    "Centro",
    "São José",
    "Santa Cruz",
    "Vila Nova",
    "Bela Vista",
    "Industrial",
    "Jardim América",
    "Santo Antônio",
    "São Cristóvão",
    "Boa Vista",
    "Nossa Senhora Aparecida",
    "Planalto",
    "Progresso",
    "Cidade Jardim",
];

const COMMUNITIES: &[&str] = &[
    "Córrego Fundo",
    "Serra Azul",
    "Barra do Rio",
    "Capão Seco",
    "Boa Vista",
    "São Domingos",
    "Vargem Alegre",
    "Água Limpa",
    "Ponte Alta",
    "Palmital",
    "Lagoa Grande",
    "Cachoeirinha",
];

#[rustfmt::skip]
const STATE_ROADS: &[&str] = &[
    "MG-050", "MG-120", "MG-188", "MG-223", "MG-259", "MG-290", "MG-329", "MG-424", "MG-447", "MG-010",
];

const PATRONS: &[&str] = &[
    "Afonso Pena",
    "Tiradentes",
    "Dom Pedro II",
    "Governador Milton Campos",
    "Juscelino Kubitschek",
    "Presidente Tancredo Neves",
    "Professora Helena Antipoff",
    "Santos Dumont",
    "Rui Barbosa",
    "Olavo Bilac",
    "Carlos Drummond de Andrade",
    "João Guimarães Rosa",
    "Cecília Meireles",
    "Machado de Assis",
    "Padre José de Anchieta",
    "Dom Bosco",
    "Monteiro Lobato",
    "Cônego Luiz Vieira",
    "Professor Mário Casassanta",
    "Bárbara Heliodora",
    "Chico Rei",
    "Aleijadinho",
    "Barão do Rio Branco",
    "Princesa Isabel",
    "Imaculada Conceição",
    "Nossa Senhora das Graças",
    "Sagrado Coração de Jesus",
    "Professor Francisco Brant",
    "José Bonifácio",
    "Castro Alves",
    "Vital Brazil",
    "Zilda Arns",
];

// ---------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------

/// splitmix64 (Steele, Lea and Flood): tiny, fast and plenty for spreading
/// demo data. Never used for anything secret.
struct Rng(u64);

impl Rng {
    fn stream(n: u64) -> Rng {
        Rng(SEED ^ n.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; the modulo bias is irrelevant for demo data. Only
    /// called with `n > 0` (lengths of constant, non-empty lists).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, permille: u64) -> bool {
        self.below(1_000) < permille
    }

    /// A weighted choice among `(item, weight)` with a positive total weight.
    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|&(_, w)| u64::from(w)).sum();
        let mut r = self.below(total);
        for &(item, w) in items {
            if r < u64::from(w) {
                return item;
            }
            r -= u64::from(w);
        }
        items[items.len() - 1].0
    }
}

/// A municipality where the demo places sites.
struct Place {
    code: u32,
    area: Area,
    /// The Perfil I lot that covers it.
    lot: usize,
    /// The area code (DDD), when the demo knows it; see [`contact`].
    ddd: Option<u16>,
    /// Number of regular sites (besides headquarters and city agencies).
    sites: usize,
}

impl Place {
    /// Larger towns host regional offices.
    fn big(&self) -> bool {
        self.sites >= 6
    }
}

/// What the access generator needs to know about a site.
struct SiteMeta {
    /// The Perfil I lot covering the site's municipality (10A for the
    /// Cidade Administrativa).
    lot: usize,
    headquarters: bool,
    /// A small town of lot 5A, where schools may use the lighter lot 9A.
    small_town: bool,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a constant calendar date that exists")
}

/// Phase 3 began after the 23/03/2020 auction (seed 001: "Fase 3 (2020 –
/// 2025)"); the seeds give no signature date, so the demo uses 01/07/2020.
fn phase3_start() -> NaiveDate {
    date(2020, 7, 1)
}

/// The last day on which a demo access is activated.
fn last_activation_day() -> NaiveDate {
    date(2025, 12, 31)
}

fn cnpj(base: &str) -> Cnpj {
    Cnpj::from_base(base).expect("a 12-digit base that is not all one digit always completes to a valid CNPJ")
}

/// The monthly price of `mbps` in an area whose 1 Mbps Perfil I price is
/// `per_mbps` centavos.
///
/// Economy of scale: each doubling of the bandwidth multiplies the price by
/// 1.5 (so the price grows like b^0.585), and bandwidths between two powers
/// of two are priced on the straight line between them. With k = ⌊log₂ b⌋:
///
/// ```text
/// price(b) = per_mbps × profile‰/1000 × 3^k × (b + 2^k) / 2^(2k+1)
/// ```
///
/// which gives price(2^k) = per_mbps × 1.5^k; the price per Mbps,
/// c × (1 + 2^k/b), strictly decreases with b. Integer arithmetic with a
/// single rounding (half away from zero) in [`Money::mul_div`].
fn monthly_price(per_mbps: i64, profile: Profile, mbps: i64) -> Money {
    let k = mbps.ilog2();
    let numerator = profile_permille(profile) * 3_i64.pow(k) * (mbps + (1_i64 << k));
    let denominator = 1_000 * (1_i64 << (2 * k + 1));
    Money::from_centavos(per_mbps).mul_div(numerator, denominator)
}

fn per_mbps(area: Area) -> i64 {
    match area {
        Area::Capital => PER_MBPS_CAPITAL,
        Area::Metropolitan => PER_MBPS_METROPOLITAN,
        Area::Interior => PER_MBPS_INTERIOR,
    }
}

/// Removes Portuguese accents and keeps letters and digits, for e-mails.
fn ascii_slug(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'Á' | 'À' | 'Â' | 'Ã' => 'a',
            'é' | 'ê' | 'è' | 'É' | 'Ê' => 'e',
            'í' | 'Í' => 'i',
            'ó' | 'ô' | 'õ' | 'Ó' | 'Ô' | 'Õ' => 'o',
            'ú' | 'ü' | 'Ú' => 'u',
            'ç' | 'Ç' => 'c',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn municipality_name(code: u32) -> &'static str {
    municipality::by_code(code)
        .map(|m| m.name)
        .expect("demo municipality codes are IBGE codes, checked by tests")
}

/// Builds the demo network. Pure and deterministic: same result every call.
pub fn demo_network() -> DemoNetwork {
    let operators = OPERATORS
        .iter()
        .map(|&(name, base)| {
            NewOperator::new(name, cnpj(base).as_str())
                .expect("constant, non-blank name and a generated valid CNPJ")
        })
        .collect();
    let consortia =
        vec![DemoConsortium { name: "Consórcio Oi/Algar".into(), members: OI_ALGAR_SHARES_BP.to_vec() }];
    let contract = NewContract::new(
        "PRODEMGE 012/2015",
        date(2015, 6, 1),
        // Extended (prorrogado) so that the demo contract is still in force
        // when the demo is shown.
        date(2027, 12, 31),
        // Seed 001: phase 3 "fechou no valor de 96.055.953,00".
        Money::from_centavos(9_605_595_300),
    )
    .expect("constant number, ordered dates and a positive ceiling");

    let mut rng = Rng::stream(1);
    let places = plan_places(&mut rng);
    let lots = build_lots(&places);
    let prices = build_prices(&lots);
    let agencies = build_agencies();
    let (sites, meta) = build_sites(&places, &mut Rng::stream(2));
    let accesses = build_accesses(&sites, &meta, &mut Rng::stream(3));
    let users = build_users();
    DemoNetwork { operators, consortia, contract, lots, prices, agencies, sites, accesses, users }
}

/// Chooses the municipalities and how many sites each gets: the fixed lists
/// of lots 1A to 4B, the mid-sized towns of 5A, then small towns drawn from
/// the rest of Minas Gerais until there are [`MG_MUNICIPALITIES`].
fn plan_places(rng: &mut Rng) -> Vec<Place> {
    let mut places = vec![Place {
        code: BELO_HORIZONTE,
        area: Area::Capital,
        lot: LOT_1A,
        ddd: Some(31),
        sites: BH_SITES,
    }];
    for &(code, sites) in &RMBH {
        let sites = if sites > 0 { sites } else { 2 + rng.below(3) as usize };
        places.push(Place { code, area: Area::Metropolitan, lot: LOT_2A, ddd: Some(31), sites });
    }
    for &(code, sites) in &TRIANGULO {
        let sites = if sites > 0 { sites } else { 1 + rng.below(4) as usize };
        places.push(Place { code, area: Area::Interior, lot: LOT_3A, ddd: Some(34), sites });
    }
    for (list, lot) in [(&LARGE_CITIES_A[..], LOT_4A), (&LARGE_CITIES_B[..], LOT_4B)] {
        for &(code, ddd, sites) in list {
            places.push(Place { code, area: Area::Interior, lot, ddd: Some(ddd), sites });
        }
    }
    for &(code, ddd) in &MID_TOWNS_5A {
        let sites = 6 + rng.below(5) as usize;
        places.push(Place { code, area: Area::Interior, lot: LOT_5A, ddd: Some(ddd), sites });
    }
    let taken: BTreeSet<u32> = places.iter().map(|p| p.code).collect();
    let mut candidates: Vec<u32> =
        municipality::of_state("MG").map(|m| m.ibge_code).filter(|c| !taken.contains(c)).collect();
    // Fisher–Yates, then keep the first ones in IBGE order.
    for i in (1..candidates.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        candidates.swap(i, j);
    }
    let mut drawn: Vec<u32> =
        candidates.into_iter().take(MG_MUNICIPALITIES.saturating_sub(places.len())).collect();
    drawn.sort_unstable();
    for code in drawn {
        let sites = rng.weighted(&[(1, 30), (2, 30), (3, 22), (4, 12), (5, 6)]);
        places.push(Place { code, area: Area::Interior, lot: LOT_5A, ddd: None, sites });
    }
    places
}

fn region(codes: impl IntoIterator<Item = u32>) -> Region {
    let codes: Vec<u32> = codes.into_iter().collect();
    Region::from_codes(&codes).expect("demo region codes are IBGE codes, checked by tests")
}

fn build_lots(places: &[Place]) -> Vec<DemoLot> {
    let of_lot = |lot: usize| region(places.iter().filter(|p| p.lot == lot).map(|p| p.code));
    // Lot 5A covers every Minas Gerais municipality outside the other
    // Perfil I lots (seed 000: "municípios não incluídos nos lotes 1A, 2A,
    // 3A, 4A, 4B e 10A"), not only the towns that have demo sites.
    let elsewhere: BTreeSet<u32> =
        places.iter().filter(|p| p.lot != LOT_5A).map(|p| p.code).chain([BELO_HORIZONTE]).collect();
    let rest_of_mg =
        region(municipality::of_state("MG").map(|m| m.ibge_code).filter(|c| !elsewhere.contains(c)));
    let any_mg = "Qualquer município ou localidade de MG";
    let lot = |code: &str, holder, profile, region, description: &str| DemoLot {
        code: code.into(),
        holder,
        profile,
        region,
        description: description.into(),
    };
    use DemoHolder::{Consortium, Operator};
    vec![
        lot("1A", Operator(OP_TELEMAR), Profile::I, region([BELO_HORIZONTE]), "Belo Horizonte"),
        lot("2A", Operator(OP_TELEMAR), Profile::I, of_lot(LOT_2A), "Região Metropolitana de Belo Horizonte"),
        lot("3A", Operator(OP_ALGAR), Profile::I, of_lot(LOT_3A), "Triângulo Mineiro e Alto Paranaíba"),
        lot(
            "4A",
            Operator(OP_TELEMAR),
            Profile::I,
            of_lot(LOT_4A),
            "Grandes cidades: Zona da Mata, Vale do Aço, Leste, Norte e Centro-Oeste",
        ),
        lot(
            "4B",
            Operator(OP_TELEMAR),
            Profile::I,
            of_lot(LOT_4B),
            "Grandes cidades: Sul de Minas, Campo das Vertentes, Central, Norte e Noroeste",
        ),
        lot(
            "4C",
            Operator(OP_OI_MOVEL),
            Profile::I,
            region(OUTSIDE_MG),
            "Fora de MG (representações do Estado)",
        ),
        lot(
            "5A",
            Operator(OP_EMBRATEL),
            Profile::I,
            rest_of_mg,
            "Municípios não incluídos nos lotes 1A, 2A, 3A, 4A, 4B e 10A",
        ),
        lot(
            "6A",
            Consortium(CONSORTIUM_OI_ALGAR),
            Profile::III,
            Region::Any,
            &format!("{any_mg}, terrestre ou satélite"),
        ),
        lot(
            "7",
            Operator(OP_VODANET),
            Profile::IV,
            Region::Any,
            &format!("{any_mg}, satélite para a Saúde (SES)"),
        ),
        lot(
            "8",
            Operator(OP_EUTELSAT),
            Profile::IV,
            Region::Any,
            "Todo o Estado de MG, satélite para a Saúde (SES)",
        ),
        lot(
            "9A",
            Consortium(CONSORTIUM_OI_ALGAR),
            Profile::V,
            Region::Any,
            &format!("{any_mg}, terrestre ou satélite, SLA menos exigente"),
        ),
        lot("10A", Operator(OP_TELBRAX), Profile::I, region([BELO_HORIZONTE]), "Cidade Administrativa de MG"),
    ]
}

/// Each lot prices the areas its region can hold: the capital lots the
/// capital, the metropolitan lot the RMBH, the interior lots the interior,
/// and the lots valid anywhere all three.
fn build_prices(lots: &[DemoLot]) -> Vec<DemoPrice> {
    let mut prices = Vec::new();
    for (index, lot) in lots.iter().enumerate() {
        let areas: &[Area] = match index {
            LOT_1A | LOT_10A => &[Area::Capital],
            LOT_2A => &[Area::Metropolitan],
            LOT_3A | LOT_4A | LOT_4B | LOT_4C | LOT_5A => &[Area::Interior],
            _ => Area::ALL,
        };
        let bandwidths: &[i64] = if lot.profile == Profile::IV { &SATELLITE_BANDWIDTHS } else { &BANDWIDTHS };
        for &area in areas {
            for &mbps in bandwidths {
                prices.push(DemoPrice {
                    lot: index,
                    service: DEMO_SERVICE.into(),
                    bandwidth_mbps: mbps,
                    area,
                    monthly_price: monthly_price(per_mbps(area), lot.profile, mbps),
                    effective_from: phase3_start(),
                });
            }
        }
    }
    prices
}

/// Agencies get invented CNPJ bases (prefix 92), distinct by construction.
fn build_agencies() -> Vec<NewAgency> {
    AGENCIES
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let base = format!("{:08}0001", 92_100_000 + 1_013 * i);
            NewAgency::new(spec.name, spec.acronym, cnpj(&base).as_str(), spec.kind)
                .expect("constant, non-blank name and acronym and a generated valid CNPJ")
        })
        .collect()
}

/// Fills a unit-name template.
fn unit_name(template: &str, municipality: &str, neighbourhood: &str, rng: &mut Rng) -> String {
    let mut name = template.replace("{m}", municipality).replace("{b}", neighbourhood);
    if name.contains("{p}") {
        name = name.replace("{p}", rng.pick(PATRONS));
    }
    if name.contains("{o}") {
        name = name.replace("{o}", &format!("{}º", 1 + rng.below(70)));
    }
    name
}

/// An invented person. Where the demo knows the town's area code the
/// contact gives a landline; in the small towns drawn at random it does not
/// (the IBGE table has no DDD), so rather than guess a wrong one the contact
/// gives a corporate mobile with the capital's DDD 31.
fn contact(spec: &AgencySpec, ddd: Option<u16>, rng: &mut Rng) -> Contact {
    let first = rng.pick(FIRST_NAMES);
    let last = rng.pick(SURNAMES);
    let phone = match ddd {
        Some(ddd) => format!("({ddd}) 3{:03}-{:04}", rng.below(1_000), rng.below(10_000)),
        None => format!("(31) 9{:04}-{:04}", 8_000 + rng.below(2_000), rng.below(10_000)),
    };
    Contact {
        name: format!("{first} {} {last}", rng.pick(SURNAMES)),
        phone,
        email: format!("{}.{}@{}", ascii_slug(first), ascii_slug(last), spec.domain),
    }
}

/// Collects the sites, keeping names unique per agency and municipality.
struct SiteBook {
    sites: Vec<DemoSite>,
    meta: Vec<SiteMeta>,
    names: BTreeSet<(usize, u32, String)>,
}

/// One site to add; the book makes its name unique.
struct SiteInput<'a> {
    agency: usize,
    name: String,
    neighbourhood: &'a str,
    address: String,
    place: &'a Place,
    zone: Zone,
    meta: SiteMeta,
}

impl SiteBook {
    fn add(&mut self, input: SiteInput<'_>, rng: &mut Rng) {
        let SiteInput { agency, mut name, neighbourhood, address, place, zone, meta } = input;
        let key = |name: &str| (agency, place.code, name.to_string());
        if self.names.contains(&key(&name)) {
            name = format!("{name} – {neighbourhood}");
        }
        let base = name.clone();
        let mut n = 2;
        while self.names.contains(&key(&name)) {
            name = format!("{base} ({n})");
            n += 1;
        }
        self.names.insert(key(&name));
        let contact = contact(&AGENCIES[agency], place.ddd, rng);
        self.sites.push(DemoSite {
            agency,
            name,
            address,
            municipality_ibge: place.code,
            area: place.area,
            zone,
            contact,
        });
        self.meta.push(meta);
    }
}

fn urban_address(place: &Place, rng: &mut Rng) -> (String, &'static str) {
    let (streets, neighbourhoods) =
        if place.area == Area::Capital { (BH_STREETS, BH_NEIGHBOURHOODS) } else { (STREETS, NEIGHBOURHOODS) };
    let neighbourhood = rng.pick(neighbourhoods);
    (format!("{}, {} - {neighbourhood}", rng.pick(streets), 10 + rng.below(2_990)), neighbourhood)
}

fn rural_address(rng: &mut Rng) -> (String, &'static str) {
    let community = rng.pick(COMMUNITIES);
    let address = if rng.chance(500) {
        format!(
            "Rodovia {}, km {} - Zona Rural, Comunidade {community}",
            rng.pick(STATE_ROADS),
            1 + rng.below(320)
        )
    } else {
        format!("Estrada da Comunidade {community}, s/n - Zona Rural")
    };
    (address, community)
}

fn build_sites(places: &[Place], rng: &mut Rng) -> (Vec<DemoSite>, Vec<SiteMeta>) {
    let mut book = SiteBook { sites: Vec::new(), meta: Vec::new(), names: BTreeSet::new() };
    let index: BTreeMap<u32, usize> = places.iter().enumerate().map(|(i, p)| (p.code, i)).collect();
    let place_of = |code: u32| &places[index[&code]];
    let bh = place_of(BELO_HORIZONTE);

    // Headquarters first, so every agency has at least one site.
    for (agency, spec) in AGENCIES.iter().enumerate() {
        let (name, address, neighbourhood, place, lot) = match spec.hq {
            Hq::CidadeAdministrativa(building) => (
                format!("Sede – Cidade Administrativa, {building}, {}º andar", 1 + rng.below(12)),
                CIDADE_ADMINISTRATIVA.to_string(),
                "Serra Verde",
                bh,
                LOT_10A,
            ),
            Hq::Capital => {
                let (address, neighbourhood) = urban_address(bh, rng);
                (format!("Sede – {}", spec.name), address, neighbourhood, bh, LOT_1A)
            }
            Hq::City(code) => {
                let place = place_of(code);
                let (address, neighbourhood) = urban_address(place, rng);
                (format!("Sede – {}", spec.name), address, neighbourhood, place, place.lot)
            }
        };
        let meta = SiteMeta { lot, headquarters: true, small_town: false };
        book.add(SiteInput { agency, name, neighbourhood, address, place, zone: Zone::Urban, meta }, rng);
    }

    // Regular sites, town by town, by agencies present there.
    for place in places {
        let eligible: Vec<(usize, u32)> = AGENCIES
            .iter()
            .enumerate()
            .filter(|(_, spec)| match spec.reach {
                Reach::Statewide => true,
                Reach::Regional => place.big(),
                Reach::Metro => matches!(place.area, Area::Capital | Area::Metropolitan),
                Reach::Capital => place.area == Area::Capital,
                Reach::City(_) => false,
            })
            .map(|(i, spec)| (i, spec.weight))
            .collect();
        let municipality = municipality_name(place.code);
        for _ in 0..place.sites {
            let agency = rng.weighted(&eligible);
            add_regular_site(&mut book, agency, place, municipality, rng);
        }
    }

    // Agencies of a single town (foundations, prefeituras).
    for (agency, spec) in AGENCIES.iter().enumerate() {
        if let (Reach::City(count), Hq::City(code)) = (spec.reach, spec.hq) {
            let place = place_of(code);
            for _ in 1..count {
                add_regular_site(&mut book, agency, place, municipality_name(code), rng);
            }
        }
    }

    // The state's offices outside Minas Gerais (lot 4C).
    for &(code, ddd, acronym, name, address) in &OUTSIDE_SITES {
        let place = Place { code, area: Area::Interior, lot: LOT_4C, ddd: Some(ddd), sites: 0 };
        let meta = SiteMeta { lot: LOT_4C, headquarters: false, small_town: false };
        let input = SiteInput {
            agency: agency_index(acronym),
            name: name.to_string(),
            neighbourhood: "",
            address: address.to_string(),
            place: &place,
            zone: Zone::Urban,
            meta,
        };
        book.add(input, rng);
    }
    (book.sites, book.meta)
}

fn add_regular_site(book: &mut SiteBook, agency: usize, place: &Place, municipality: &str, rng: &mut Rng) {
    let spec = &AGENCIES[agency];
    let rural = place.area != Area::Capital && rng.chance(spec.rural_permille);
    let templates: Vec<&str> = if place.big() || spec.small.is_empty() {
        [spec.big, spec.small].concat()
    } else {
        spec.small.to_vec()
    };
    let template = rng.pick(&templates);
    let (address, neighbourhood) = if rural { rural_address(rng) } else { urban_address(place, rng) };
    let name = if rural && spec.health {
        format!("Posto de Atendimento em Saúde – Comunidade {neighbourhood}, {municipality}")
    } else if rural {
        format!("{} – Comunidade {neighbourhood}", unit_name(template, municipality, neighbourhood, rng))
    } else {
        unit_name(template, municipality, neighbourhood, rng)
    };
    let meta =
        SiteMeta { lot: place.lot, headquarters: false, small_town: place.lot == LOT_5A && !place.big() };
    let zone = if rural { Zone::Rural } else { Zone::Urban };
    book.add(SiteInput { agency, name, neighbourhood, address, place, zone, meta }, rng);
}

/// The bandwidth mix: weighted toward small links (2 to 10 Mbps).
const BANDWIDTH_MIX: [(i64, u32); 11] =
    [(1, 2), (2, 18), (4, 24), (6, 12), (8, 14), (10, 12), (16, 7), (20, 5), (34, 3), (50, 2), (100, 1)];
const HEADQUARTERS_MIX: [(i64, u32); 5] = [(16, 1), (20, 2), (34, 3), (50, 3), (100, 2)];
const SATELLITE_MIX: [(i64, u32); 3] = [(1, 3), (2, 5), (4, 2)];

/// First address of the demo probe block 10.1.0.0/16; access `i` owns the
/// four addresses from `10.1.0.0 + 4i` and probes `+1` (and `+2` when it has
/// a second link), like the two usable hosts of a /30.
const PROBE_BLOCK: u32 = u32::from_be_bytes([10, 1, 0, 0]);

struct AccessPlan {
    site: usize,
    lot: usize,
    technology: Technology,
    bandwidth_mbps: i64,
    redundancy: Redundancy,
}

fn build_accesses(sites: &[DemoSite], meta: &[SiteMeta], rng: &mut Rng) -> Vec<DemoAccess> {
    let mut plans = Vec::with_capacity(TARGET_ACCESSES);
    for (site, (s, m)) in sites.iter().zip(meta).enumerate() {
        plans.push(primary_access(site, s, m, rng));
    }
    // Second links on urban, terrestrial sites until the target is reached:
    // mostly on the lots valid anywhere (6A, 9A), some on the site's own lot.
    let mut has_second = vec![false; sites.len()];
    while plans.len() < TARGET_ACCESSES {
        let site = rng.below(sites.len() as u64) as usize;
        let m = &meta[site];
        if has_second[site] || sites[site].zone == Zone::Rural || m.lot == LOT_4C {
            continue;
        }
        has_second[site] = true;
        let lot =
            if m.lot == LOT_10A { LOT_10A } else { rng.weighted(&[(LOT_6A, 45), (LOT_9A, 30), (m.lot, 25)]) };
        let satellite = lot == LOT_6A && rng.chance(100);
        plans.push(plan(site, lot, satellite, m.headquarters, sites[site].area, rng));
    }
    plans
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let first = PROBE_BLOCK + 4 * i as u32 + 1;
            let probe_targets = (0..p.redundancy.probe_target_count() as u32)
                .map(|k| Ipv4Addr::from(first + k).to_string())
                .collect();
            DemoAccess {
                site: p.site,
                lot: p.lot,
                bandwidth_mbps: p.bandwidth_mbps,
                redundancy: p.redundancy,
                technology: p.technology,
                activated_at: activation(rng),
                probe_targets,
            }
        })
        .collect()
}

/// The site's first link: its town's Perfil I lot, except rural health units
/// (satellite lots 7 and 8), some other rural units (lot 6A) and some schools
/// of small towns (lot 9A).
fn primary_access(index: usize, site: &DemoSite, meta: &SiteMeta, rng: &mut Rng) -> AccessPlan {
    let spec = &AGENCIES[site.agency];
    let (lot, satellite) = if site.zone == Zone::Rural && spec.health {
        (if rng.chance(500) { LOT_7 } else { LOT_8 }, true)
    } else if site.zone == Zone::Rural && rng.chance(400) {
        (LOT_6A, rng.chance(400))
    } else if meta.small_town && spec.acronym == "SEE" && rng.chance(200) {
        (LOT_9A, false)
    } else {
        (meta.lot, false)
    };
    plan(index, lot, satellite, meta.headquarters, site.area, rng)
}

fn plan(
    site: usize,
    lot: usize,
    satellite: bool,
    headquarters: bool,
    area: Area,
    rng: &mut Rng,
) -> AccessPlan {
    if satellite {
        let bandwidth_mbps = rng.weighted(&SATELLITE_MIX);
        return AccessPlan {
            site,
            lot,
            technology: Technology::Satellite,
            bandwidth_mbps,
            redundancy: Redundancy::None,
        };
    }
    let (bandwidth_mbps, redundancy) = if headquarters {
        let redundancy =
            if lot == LOT_10A || rng.chance(600) { Redundancy::Critical } else { Redundancy::NonCritical };
        (rng.weighted(&HEADQUARTERS_MIX), redundancy)
    } else {
        // Critical links concentrate in the capital.
        let critical = match area {
            Area::Capital => 110,
            Area::Metropolitan => 35,
            Area::Interior => 15,
        };
        let r = rng.below(1_000);
        let redundancy = if r < critical {
            Redundancy::Critical
        } else if r < critical + 100 {
            Redundancy::NonCritical
        } else {
            Redundancy::None
        };
        (rng.weighted(&BANDWIDTH_MIX), redundancy)
    };
    AccessPlan { site, lot, technology: Technology::Terrestrial, bandwidth_mbps, redundancy }
}

/// An activation instant: a migration wave in the first six months of phase
/// 3, then steady growth until the end of 2025; always on a working hour
/// (08:00–17:59 in Brasília, UTC−3), so the local date is the UTC date and
/// never before the prices' `effective_from`.
fn activation(rng: &mut Rng) -> Timestamp {
    let start = phase3_start();
    let days = (last_activation_day() - start).num_days() as u64 + 1;
    let day = if rng.chance(550) { rng.below(184) } else { rng.below(days) };
    let seconds = (11 + rng.below(10)) * 3_600 + rng.below(60) * 60 + rng.below(60);
    let midnight = start.and_hms_opt(0, 0, 0).expect("midnight exists on every date").and_utc().timestamp();
    from_epoch(midnight + (day * 86_400 + seconds) as i64)
}

fn build_users() -> Vec<DemoUser> {
    let user = |login: &str, name: &str, role, agency, operator| DemoUser {
        login: login.into(),
        name: name.into(),
        role,
        agency,
        operator,
        password: DEMO_PASSWORD.into(),
    };
    vec![
        user("comite", "Helena Duarte Resende", Role::Committee, None, None),
        user("noc", "Carlos Eduardo Mendes", Role::NetworkManager, None, None),
        user("contratos", "Fernanda Lima Castro", Role::ContractManager, None, None),
        user("gestor.sef", "Rodrigo Alves Fonseca", Role::AgencyManager, Some(agency_index("SEF")), None),
        user("telemar", "Patrícia Nunes Moura", Role::Operator, None, Some(OP_TELEMAR)),
        user("auditor", "Sérgio Vasconcelos Pinto", Role::Auditor, None, None),
    ]
}

// ---------------------------------------------------------------------------
// Demo incidents and maintenance windows
// ---------------------------------------------------------------------------

/// The months with demo incidents, so the closing has something to measure.
pub const DEMO_INCIDENT_MONTHS: [crate::measure::Month; 2] =
    [crate::measure::Month { year: 2026, month: 9 }, crate::measure::Month { year: 2026, month: 10 }];

/// A demo incident, resolved and confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoIncident {
    /// An index into [`DemoNetwork::accesses`].
    pub access: usize,
    /// `Some(i)`: only the access's probe target `i` was down.
    pub link: Option<usize>,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub responsibility: crate::incident::Responsibility,
    pub cause: &'static str,
    pub ticket: String,
    pub clock_stops: Vec<crate::measure::Span>,
}

/// A demo maintenance window on one access, announced 72 h ahead and approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoWindow {
    pub access: usize,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub announced_at: Timestamp,
    pub description: &'static str,
}

const OPERATOR_CAUSES: &[&str] = &[
    "Rompimento de fibra óptica",
    "Falha no equipamento da operadora (CPE)",
    "Falha na rede de transporte da operadora",
    "Queda de energia na estação da operadora",
    "Congestionamento no backbone",
];

/// The demo incidents and windows of [`DEMO_INCIDENT_MONTHS`]: about one
/// access in twelve has an incident each month, most of them the operator's
/// (some with clock stops, some on one link of a redundant access), a few
/// the agency's or third parties'; a few accesses have an approved window,
/// with an incident during it. Deterministic, like the network.
pub fn demo_incidents(net: &DemoNetwork) -> (Vec<DemoIncident>, Vec<DemoWindow>) {
    use crate::incident::Responsibility as R;
    use crate::measure::{Span, month_bounds};
    let mut incidents = Vec::new();
    let mut windows = Vec::new();
    for (k, month) in DEMO_INCIDENT_MONTHS.into_iter().enumerate() {
        let bounds = month_bounds(month);
        let mut rng = Rng::stream(900 + k as u64);
        for (i, a) in net.accesses.iter().enumerate() {
            if !rng.chance(85) {
                continue;
            }
            let start = bounds.start + rng.below(bounds.seconds() as u64) as i64;
            let start = start - start % 60;
            if start < a.activated_at.timestamp() {
                continue;
            }
            // Mostly short, sometimes long: 10 min to about 30 h.
            let minutes = if rng.chance(700) { 10 + rng.below(230) } else { 240 + rng.below(1_560) };
            let end = start + minutes as i64 * 60;
            let responsibility =
                rng.weighted(&[(R::Operator, 80), (R::Agency, 10), (R::ThirdParty, 5), (R::ForceMajeure, 5)]);
            let cause = match responsibility {
                R::Operator => rng.pick(OPERATOR_CAUSES),
                R::Agency => "Equipamento do órgão desligado (falta de energia no prédio)",
                R::ThirdParty => "Obra de terceiros danificou o cabeamento",
                _ => "Temporal derrubou postes na região",
            };
            let links = a.probe_targets.len();
            let link = (links > 1 && rng.chance(600)).then(|| rng.below(links as u64) as usize);
            let clock_stops = if responsibility == R::Operator && minutes > 120 && rng.chance(250) {
                let from = start + 30 * 60;
                vec![Span::new(from, from + (minutes as i64 * 60) / 4)]
            } else {
                vec![]
            };
            incidents.push(DemoIncident {
                access: i,
                link,
                started_at: from_epoch(start),
                ended_at: from_epoch(end),
                responsibility,
                cause,
                ticket: format!("OP-{}{:02}-{:05}", month.year, month.month, incidents.len() + 1),
                clock_stops,
            });
            if rng.chance(60) && start - bounds.start > 3 * 86_400 {
                // Maintenance announced ahead, covering the incident's first hour.
                windows.push(DemoWindow {
                    access: i,
                    starts_at: from_epoch(start),
                    ends_at: from_epoch(start + 3_600),
                    announced_at: from_epoch(start - 72 * 3_600),
                    description: "Substituição programada do roteador de acesso",
                });
            }
        }
    }
    (incidents, windows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Cnpj;
    use crate::ids::*;
    use crate::inventory::{
        AccessDraft, ConsortiumMember, Lot, LotHolder, NewConsortium, NewSite, Price, Site, resolve_price,
    };
    use crate::role::scope_for;
    use crate::time::NETWORK_TZ;
    use std::sync::OnceLock;

    fn demo() -> &'static DemoNetwork {
        static DEMO: OnceLock<DemoNetwork> = OnceLock::new();
        DEMO.get_or_init(demo_network)
    }

    fn permille(part: usize, whole: usize) -> usize {
        part * 1_000 / whole
    }

    #[test]
    fn is_deterministic() {
        assert_eq!(demo_network(), demo_network());
        assert_eq!(&demo_network(), demo());
    }

    #[test]
    fn counts_are_in_the_requested_ranges() {
        let d = demo();
        assert!((55..=65).contains(&d.agencies.len()), "{} agencies", d.agencies.len());
        assert!((2_700..=2_900).contains(&d.accesses.len()), "{} accesses", d.accesses.len());
        let all: BTreeSet<u32> = d.sites.iter().map(|s| s.municipality_ibge).collect();
        assert!((380..=420).contains(&all.len()), "{} municipalities", all.len());
        let mg = all.iter().filter(|&&c| municipality::by_code(c).is_some_and(|m| m.uf == "MG")).count();
        assert_eq!(mg, MG_MUNICIPALITIES);
        assert_eq!(d.operators.len(), 7);
        assert_eq!(d.lots.len(), 12);
        assert_eq!(d.summary().split(", ").count(), 6);
    }

    #[test]
    fn summary_is_pt_br() {
        let d = demo();
        let expected = format!(
            "7 operadoras, 1 consórcio, 12 lotes, {} órgãos, {} unidades, {} acessos",
            d.agencies.len(),
            group_thousands(d.sites.len() as u64),
            group_thousands(d.accesses.len() as u64),
        );
        assert_eq!(d.summary(), expected);
    }

    #[test]
    fn the_constant_municipality_lists_are_real_and_disjoint() {
        let mut seen = BTreeSet::from([BELO_HORIZONTE]);
        let lists = [
            RMBH.iter().map(|x| x.0).collect::<Vec<_>>(),
            TRIANGULO.iter().map(|x| x.0).collect(),
            LARGE_CITIES_A.iter().map(|x| x.0).collect(),
            LARGE_CITIES_B.iter().map(|x| x.0).collect(),
            MID_TOWNS_5A.iter().map(|x| x.0).collect(),
        ];
        for code in lists.concat() {
            assert_eq!(municipality::by_code(code).map(|m| m.uf), Some("MG"), "{code}");
            assert!(seen.insert(code), "{code} listed twice");
        }
        for code in OUTSIDE_MG {
            assert!(municipality::by_code(code).is_some_and(|m| m.uf != "MG"), "{code}");
        }
        assert_eq!(municipality_name(3170206), "Uberlândia");
        assert_eq!(municipality_name(3136702), "Juiz de Fora");
    }

    #[test]
    fn lots_follow_domain_section_9() {
        let d = demo();
        let codes: Vec<&str> = d.lots.iter().map(|l| l.code.as_str()).collect();
        assert_eq!(codes, ["1A", "2A", "3A", "4A", "4B", "4C", "5A", "6A", "7", "8", "9A", "10A"]);
        assert_eq!(d.lots[LOT_1A].region.codes(), [BELO_HORIZONTE]);
        assert_eq!(d.lots[LOT_10A].region.codes(), [BELO_HORIZONTE]);
        assert!(d.lots[LOT_3A].region.contains(3170206) && d.lots[LOT_3A].region.contains(3170107));
        assert!(d.lots[LOT_4A].region.contains(3136702) && d.lots[LOT_4A].region.contains(3143302));
        assert!(d.lots[LOT_2A].region.contains(3118601) && !d.lots[LOT_2A].region.contains(BELO_HORIZONTE));
        assert!(d.lots[LOT_4C].region.contains(3550308) && !d.lots[LOT_4C].region.contains(BELO_HORIZONTE));
        // The Perfil I regions of Minas Gerais do not overlap, except BH (1A and 10A).
        let mut covered = BTreeSet::new();
        for lot in [LOT_1A, LOT_2A, LOT_3A, LOT_4A, LOT_4B, LOT_4C, LOT_5A] {
            for code in d.lots[lot].region.codes() {
                assert!(covered.insert(code), "{code} in two lots");
            }
        }
        assert_eq!(covered.len(), 853 + OUTSIDE_MG.len(), "every MG municipality has a Perfil I lot");
        for (lot, profile) in
            [(LOT_6A, Profile::III), (LOT_7, Profile::IV), (LOT_8, Profile::IV), (LOT_9A, Profile::V)]
        {
            assert_eq!(d.lots[lot].profile, profile);
            assert_eq!(d.lots[lot].region, Region::Any);
        }
        assert_eq!(d.lots[LOT_6A].holder, DemoHolder::Consortium(CONSORTIUM_OI_ALGAR));
        assert_eq!(d.lots[LOT_9A].holder, DemoHolder::Consortium(CONSORTIUM_OI_ALGAR));
        assert_eq!(d.lots[LOT_10A].holder, DemoHolder::Operator(OP_TELBRAX));
        assert!(d.operators[OP_TELBRAX].name.starts_with("Telbrax"));
        assert!(d.operators[OP_EMBRATEL].name.contains("Embratel"));
        assert!(d.operators[OP_VODANET].name.starts_with("Vodanet"));
        assert!(d.operators[OP_EUTELSAT].name.starts_with("Eutelsat"));
        assert!(d.operators[OP_OI_MOVEL].name.starts_with("Oi Móvel"));
    }

    #[test]
    fn consortium_shares_sum_to_100_percent() {
        let d = demo();
        assert_eq!(d.consortia.len(), 1);
        for c in &d.consortia {
            assert_eq!(c.members.iter().map(|m| m.1).sum::<i64>(), 10_000);
            let members = c
                .members
                .iter()
                .map(|&(op, bp)| ConsortiumMember { operator_id: OperatorId(op as i64), share_bp: bp });
            assert!(NewConsortium::new(&c.name, members.collect()).is_ok());
        }
        let operators: Vec<usize> = d.consortia[0].members.iter().map(|m| m.0).collect();
        assert_eq!(operators, [OP_TELEMAR, OP_ALGAR]);
    }

    #[test]
    fn cnpjs_are_valid_and_distinct() {
        let d = demo();
        let all: Vec<&Cnpj> =
            d.operators.iter().map(|o| &o.cnpj).chain(d.agencies.iter().map(|a| &a.cnpj)).collect();
        for c in &all {
            assert_eq!(Cnpj::parse("cnpj", &c.masked()).as_ref(), Ok(*c));
        }
        assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), all.len());
        // The published CNPJs, reproduced from their bases.
        assert_eq!(d.operators[OP_TELEMAR].cnpj.masked(), "33.000.118/0001-79");
        assert_eq!(d.operators[OP_EMBRATEL].cnpj.masked(), "33.530.486/0001-29");
    }

    #[test]
    fn agencies_mix_kinds_and_all_have_sites() {
        let d = demo();
        let count = |kind| d.agencies.iter().filter(|a| a.kind == kind).count();
        assert!(count(AgencyKind::Compulsory) >= 45);
        assert!((3..=8).contains(&count(AgencyKind::Facultative)));
        assert!((3..=8).contains(&count(AgencyKind::Municipality)));
        let acronyms: BTreeSet<&str> = d.agencies.iter().map(|a| a.acronym.as_str()).collect();
        assert_eq!(acronyms.len(), d.agencies.len());
        for acronym in
            ["SEF", "SEPLAG", "SES", "SEE", "PCMG", "PMMG", "CBMMG", "DETRAN-MG", "FHEMIG", "HEMOMINAS"]
        {
            assert!(acronyms.contains(acronym), "{acronym}");
        }
        let with_sites: BTreeSet<usize> = d.sites.iter().map(|s| s.agency).collect();
        assert_eq!(with_sites.len(), d.agencies.len());
    }

    #[test]
    fn sites_are_valid_and_their_area_fits_the_municipality() {
        let d = demo();
        let rmbh: BTreeSet<u32> = RMBH.iter().map(|x| x.0).collect();
        for (i, s) in d.sites.iter().enumerate() {
            let contact = s.contact.clone();
            assert!(contact.email.contains('@') && contact.email.is_ascii(), "{}", contact.email);
            NewSite::new(AgencyId(1), &s.name, &s.address, s.municipality_ibge, s.area, s.zone, contact)
                .unwrap_or_else(|e| panic!("site {i}: {e:?}"));
            let expected = if s.municipality_ibge == BELO_HORIZONTE {
                Area::Capital
            } else if rmbh.contains(&s.municipality_ibge) {
                Area::Metropolitan
            } else {
                Area::Interior
            };
            assert_eq!(s.area, expected, "site {i}");
            assert!(!s.name.contains('{'), "{}", s.name);
            assert!(s.zone == Zone::Urban || s.area != Area::Capital);
        }
        let rural = d.sites.iter().filter(|s| s.zone == Zone::Rural).count();
        assert!((20..=150).contains(&permille(rural, d.sites.len())), "{rural} rural sites");
    }

    fn site_row(s: &DemoSite) -> Site {
        Site {
            id: SiteId(1),
            agency_id: AgencyId(1),
            name: s.name.clone(),
            address: s.address.clone(),
            municipality_ibge: s.municipality_ibge,
            municipality_name: municipality_name(s.municipality_ibge).into(),
            area: s.area,
            zone: s.zone,
            contact_name: s.contact.name.clone(),
            contact_phone: s.contact.phone.clone(),
            contact_email: s.contact.email.clone(),
        }
    }

    fn lot_row(i: usize, l: &DemoLot) -> Lot {
        Lot {
            id: LotId(i as i64),
            contract_id: ContractId(1),
            code: l.code.clone(),
            holder: match l.holder {
                DemoHolder::Operator(o) => LotHolder::Operator(OperatorId(o as i64)),
                DemoHolder::Consortium(c) => LotHolder::Consortium(ConsortiumId(c as i64)),
            },
            profile: l.profile,
            region: l.region.clone(),
            description: l.description.clone(),
            starts_on: None,
            ends_on: None,
        }
    }

    fn price_tables(d: &DemoNetwork) -> Vec<Vec<Price>> {
        let mut tables = vec![Vec::new(); d.lots.len()];
        for (i, p) in d.prices.iter().enumerate() {
            tables[p.lot].push(Price {
                id: PriceId(i as i64),
                lot_id: LotId(p.lot as i64),
                service: p.service.clone(),
                bandwidth_mbps: p.bandwidth_mbps,
                area: p.area,
                monthly_price: p.monthly_price,
                effective_from: p.effective_from,
                effective_to: None,
            });
        }
        tables
    }

    /// What the loader does: every access validates against its site, lot and
    /// price table, with the price resolved on its activation date.
    #[test]
    fn every_access_validates_like_the_loader_would() {
        let d = demo();
        let tables = price_tables(d);
        let lots: Vec<Lot> = d.lots.iter().enumerate().map(|(i, l)| lot_row(i, l)).collect();
        let now = from_epoch(1_790_000_000);
        for (i, a) in d.accesses.iter().enumerate() {
            let site = &d.sites[a.site];
            assert!(d.lots[a.lot].region.contains(site.municipality_ibge), "access {i} outside its lot");
            let on = a.activated_at.with_timezone(&NETWORK_TZ).date_naive();
            let price = resolve_price(&tables[a.lot], DEMO_SERVICE, a.bandwidth_mbps, site.area, on)
                .unwrap_or_else(|| panic!("access {i}: no price in lot {}", d.lots[a.lot].code));
            let draft = AccessDraft {
                site_id: SiteId(a.site as i64),
                lot_id: LotId(a.lot as i64),
                profile: None,
                service: DEMO_SERVICE.into(),
                bandwidth_mbps: a.bandwidth_mbps,
                redundancy: a.redundancy,
                technology: a.technology,
                monthly_price: None,
                activated_at: Some(a.activated_at),
                probe_targets: a.probe_targets.clone(),
            };
            let access = draft
                .validate(&site_row(site), &lots[a.lot], &tables[a.lot], now)
                .unwrap_or_else(|e| panic!("access {i}: {e:?}"));
            assert_eq!(access.monthly_price, price.monthly_price);
        }
    }

    #[test]
    fn probe_targets_fit_redundancy_and_are_unique() {
        let d = demo();
        let mut seen = BTreeSet::new();
        for (i, a) in d.accesses.iter().enumerate() {
            assert_eq!(a.probe_targets.len(), a.redundancy.probe_target_count(), "access {i}");
            for t in &a.probe_targets {
                let ip: Ipv4Addr = t.parse().expect("an IPv4 address");
                assert_eq!(ip.octets()[0], 10);
                assert!(seen.insert(ip), "{ip} used twice");
            }
        }
    }

    #[test]
    fn accesses_have_a_realistic_mix() {
        let d = demo();
        let n = d.accesses.len();
        let count = |f: &dyn Fn(&DemoAccess) -> bool| d.accesses.iter().filter(|a| f(a)).count();
        let critical = count(&|a| a.redundancy == Redundancy::Critical);
        let non_critical = count(&|a| a.redundancy == Redundancy::NonCritical);
        assert!((30..=70).contains(&permille(critical, n)), "{critical} critical");
        assert!((70..=130).contains(&permille(non_critical, n)), "{non_critical} non-critical");
        let critical_in_capital =
            count(&|a| a.redundancy == Redundancy::Critical && d.sites[a.site].area == Area::Capital);
        assert!(2 * critical_in_capital > critical, "critical links are mostly in the capital");
        let small = count(&|a| (2..=10).contains(&a.bandwidth_mbps));
        let large = count(&|a| a.bandwidth_mbps >= 16);
        assert!(permille(small, n) >= 700, "{small} small links");
        assert!((50..=250).contains(&permille(large, n)), "{large} large links");
        for lot in [LOT_7, LOT_8] {
            let on_lot = count(&|a| a.lot == lot);
            assert!(on_lot > 0, "lot {lot} has accesses");
            assert_eq!(count(&|a| a.lot == lot && a.technology == Technology::Satellite), on_lot);
            assert!(
                d.accesses.iter().filter(|a| a.lot == lot).all(|a| AGENCIES[d.sites[a.site].agency].health)
            );
        }
        for lot in 0..d.lots.len() {
            assert!(count(&|a| a.lot == lot) > 0, "lot {} has no access", d.lots[lot].code);
        }
        assert!(count(&|a| a.technology == Technology::Satellite) < n / 20, "a few satellite links");
        let first = Timestamp::from(date(2016, 1, 1).and_hms_opt(0, 0, 0).expect("midnight").and_utc());
        let last = Timestamp::from(date(2026, 1, 1).and_hms_opt(0, 0, 0).expect("midnight").and_utc());
        assert!(d.accesses.iter().all(|a| first <= a.activated_at && a.activated_at < last));
        assert!(d.accesses.iter().all(|a| a.activated_at.timestamp_subsec_nanos() == 0));
    }

    #[test]
    fn prices_follow_phase_3_with_economy_of_scale() {
        let d = demo();
        let find = |lot: usize, area: Area, mbps: i64| {
            d.prices
                .iter()
                .find(|p| p.lot == lot && p.area == area && p.bandwidth_mbps == mbps)
                .map(|p| p.monthly_price.centavos())
        };
        assert_eq!(find(LOT_2A, Area::Metropolitan, 1), Some(22_638));
        assert_eq!(find(LOT_5A, Area::Interior, 1), Some(25_589));
        assert_eq!(find(LOT_1A, Area::Capital, 1), Some(21_506));
        // Each doubling costs 1.5×: 22,638 × 1.5² = 50,935.5 → 50,936.
        assert_eq!(find(LOT_2A, Area::Metropolitan, 4), Some(50_936));
        for (lot, _) in d.lots.iter().enumerate() {
            for area in Area::ALL {
                let mut row: Vec<(i64, i64)> = d
                    .prices
                    .iter()
                    .filter(|p| p.lot == lot && p.area == *area)
                    .map(|p| (p.bandwidth_mbps, p.monthly_price.centavos()))
                    .collect();
                row.sort_unstable();
                for pair in row.windows(2) {
                    let ((b1, p1), (b2, p2)) = (pair[0], pair[1]);
                    assert!(p1 < p2, "price grows with bandwidth");
                    assert!(p2 * b1 < p1 * b2, "price per Mbps falls: {b1} → {b2} in lot {lot}");
                }
            }
        }
        let keys: BTreeSet<(usize, i64, Area)> =
            d.prices.iter().map(|p| (p.lot, p.bandwidth_mbps, p.area)).collect();
        assert_eq!(keys.len(), d.prices.len(), "one price per lot, bandwidth and area");
        assert!(d.prices.iter().all(|p| p.service == "SCM" && p.effective_from == phase3_start()));
    }

    #[test]
    fn users_cover_every_role_but_admin() {
        let d = demo();
        let roles: Vec<Role> = d.users.iter().map(|u| u.role).collect();
        for role in Role::ALL {
            assert_eq!(roles.contains(role), *role != Role::Admin, "{role:?}");
        }
        let logins: BTreeSet<&str> = d.users.iter().map(|u| u.login.as_str()).collect();
        assert_eq!(logins.len(), d.users.len());
        for u in &d.users {
            assert_eq!(u.password, DEMO_PASSWORD);
            let agency = u.agency.map(|a| AgencyId(a as i64));
            let operator = u.operator.map(|o| OperatorId(o as i64));
            assert!(scope_for(u.role, agency, operator).is_ok(), "{}", u.login);
        }
        let manager = d.users.iter().find(|u| u.login == "gestor.sef").expect("gestor.sef");
        assert_eq!(manager.agency.map(|a| d.agencies[a].acronym.as_str()), Some("SEF"));
        let operator = d.users.iter().find(|u| u.login == "telemar").expect("telemar");
        assert_eq!(operator.operator, Some(OP_TELEMAR));
    }

    #[test]
    fn contract_is_the_phase_3_value() {
        let c = &demo().contract;
        assert_eq!(c.ceiling.format_brl(), "R$ 96.055.953,00");
        assert!(c.starts_on < phase3_start() && last_activation_day() < c.ends_on);
    }

    #[test]
    fn demo_incidents_are_deterministic_and_well_formed() {
        let net = demo_network();
        let (incidents, windows) = demo_incidents(&net);
        assert_eq!((incidents, windows), demo_incidents(&net));
        let (incidents, windows) = demo_incidents(&net);
        assert!((300..700).contains(&incidents.len()), "{} incidents", incidents.len());
        assert!(!windows.is_empty());
        for i in &incidents {
            let a = &net.accesses[i.access];
            assert!(i.started_at >= a.activated_at && i.ended_at > i.started_at);
            assert!(i.link.is_none_or(|l| l < a.probe_targets.len()));
            assert!(
                i.clock_stops
                    .iter()
                    .all(|s| s.start >= i.started_at.timestamp() && s.end <= i.ended_at.timestamp())
            );
        }
        assert!(incidents.iter().any(|i| i.link.is_some()), "some link-only outages");
        assert!(incidents.iter().any(|i| !i.clock_stops.is_empty()), "some clock stops");
    }
}
