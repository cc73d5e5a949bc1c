//! Detail pages of one access, site, agency, lot or operator: every field
//! with its pt-BR label, and the rows that belong to it (a site's accesses,
//! an agency's sites and accesses, a lot's prices, counts and region, an
//! operator's consortia and lots; an access's availability and discounts
//! month by month, from `availability.rs`). The page and section types here
//! also serve the incident, maintenance, month and billing pages. A record
//! missing or outside the actor's scope is a 404, the same page either way,
//! so scope does not leak existence.

use super::availability;
use super::charts::{BarChart, BarInput, Matrix};
use super::columns::{self, region_text};
use super::fetch::Holders;
use super::formkit::ActionForm;
use super::localtime::{duration, percent_micro};
use super::paging::ListQuery;
use super::view::{Col, Column, Fact, Grid, Kpi, LinkButton, Listing, Opt, count, mbps, period, when};
use super::{Chrome, Section, may_create, parse_id, reads_audit, render};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use redegov_app::authz::Resource;
use redegov_app::{Actor, App, AppError, AuditFilter, InventoryFilter, Page, RulesRecord};
use redegov_domain::ids::*;
use redegov_domain::imr::{ImrRules, PenaltyRule};
use redegov_domain::inventory::{AccessStatus, Consortium, LotHolder, Region};
use redegov_domain::money::{Money, format_percent_bp};
use redegov_domain::municipality;
use redegov_domain::time::format_date;

/// How many related rows a detail page shows before linking to the list.
const RELATED_ROWS: i64 = 50;

/// A GET form with one select that reloads the page (a month picker).
pub(super) struct Picker {
    pub action: String,
    pub name: &'static str,
    pub label: &'static str,
    pub options: Vec<Opt>,
    /// Other query parameters the page needs to keep.
    pub keep: Vec<(&'static str, String)>,
}

/// A message at the top of a page (`alert-ok`, `alert-info`…).
pub(super) struct Notice {
    pub class: &'static str,
    pub text: String,
}

/// A block of related rows under the facts. Every part is optional and
/// shown in this order: picker, note, facts, formulas, chart, links,
/// grids, chips, forms, "more" link.
pub(super) struct DetailSection {
    pub id: &'static str,
    pub title: String,
    pub note: String,
    pub picker: Option<Picker>,
    pub facts: Vec<Fact>,
    /// A question the formulas answer ("Por que fui descontado…?").
    pub question: String,
    pub formulas: Vec<(&'static str, String)>,
    pub chart: Option<BarChart>,
    pub matrix: Option<Matrix>,
    pub links: Vec<LinkButton>,
    pub grid: Option<Grid>,
    /// Further tables, each under its own heading.
    pub more_grids: Vec<(String, Grid)>,
    pub chips: Vec<String>,
    pub forms: Vec<ActionForm>,
    pub more: Option<LinkButton>,
}

impl DetailSection {
    pub fn new(title: impl Into<String>) -> DetailSection {
        DetailSection {
            id: "",
            title: title.into(),
            note: String::new(),
            picker: None,
            facts: Vec::new(),
            question: String::new(),
            formulas: Vec::new(),
            chart: None,
            matrix: None,
            links: Vec::new(),
            grid: None,
            more_grids: Vec::new(),
            chips: Vec::new(),
            forms: Vec::new(),
            more: None,
        }
    }

    pub fn id(mut self, id: &'static str) -> DetailSection {
        self.id = id;
        self
    }

    pub fn grid(mut self, grid: Grid) -> DetailSection {
        self.grid = Some(grid);
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> DetailSection {
        self.note = note.into();
        self
    }

    pub fn chart(mut self, chart: BarChart) -> DetailSection {
        self.chart = Some(chart);
        self
    }

    pub fn form(mut self, form: ActionForm) -> DetailSection {
        self.forms.push(form);
        self
    }

    /// Links to the full list when the section shows only part of it.
    pub fn more_if(mut self, shown: usize, total: i64, label: &str, href: String) -> DetailSection {
        if (shown as i64) < total {
            self.more = Some(LinkButton::secondary(format!("{label} ({})", count(total)), href));
        }
        self
    }
}

#[derive(Template)]
#[template(path = "detail.html")]
pub(super) struct DetailPage {
    pub chrome: Chrome,
    pub heading: String,
    pub subtitle: String,
    pub actions: Vec<LinkButton>,
    pub notice: Option<Notice>,
    pub kpis: Vec<Kpi>,
    pub facts: Vec<Fact>,
    pub sections: Vec<DetailSection>,
}

impl DetailPage {
    /// Says `text` when the URL carries `salvo`: the form posted from this
    /// page was taken and redirected here.
    pub fn saved(&mut self, raw_query: Option<&str>, text: &str) {
        if super::paging::ListQuery::parse(raw_query).text("salvo").is_some() {
            self.notice = Some(Notice { class: "alert-ok", text: text.into() });
        }
    }

    pub fn new(user: &PortalUser, section: Section, heading: String) -> DetailPage {
        DetailPage {
            chrome: Chrome::new(user, section, heading.clone()),
            heading,
            subtitle: String::new(),
            actions: Vec::new(),
            notice: None,
            kpis: Vec::new(),
            facts: Vec::new(),
            sections: Vec::new(),
        }
    }
}

fn first_rows() -> Page {
    Page { page: 1, page_size: RELATED_ROWS }
}

/// The change history of a record, for roles that read the audit log.
pub(super) async fn history(
    app: &App,
    actor: &Actor,
    entity: &str,
    id: i64,
) -> Result<Option<DetailSection>, PageError> {
    if !reads_audit(actor.role) {
        return Ok(None);
    }
    let filter = AuditFilter { entity: Some(entity.into()), entity_id: Some(id), ..Default::default() };
    let entries = app.list_audit(actor, &filter, first_rows()).await?;
    let section = DetailSection::new("Histórico de alterações")
        .grid(columns::Audit.grid("historico", &entries.items))
        .more_if(
            entries.items.len(),
            entries.total,
            "Ver todo o histórico",
            format!("/auditoria?entity={entity}&entity_id={id}"),
        );
    Ok(Some(section))
}

/// A section listing accesses that match `filter`.
async fn accesses_section(
    app: &App,
    actor: &Actor,
    filter: InventoryFilter,
    all_href: String,
) -> Result<DetailSection, PageError> {
    let listed = app.list_accesses(actor, filter, first_rows()).await?;
    Ok(DetailSection::new("Acessos")
        .note(format!("{} acesso(s).", count(listed.total)))
        .grid(columns::Accesses.grid("acessos", &listed.items))
        .more_if(listed.items.len(), listed.total, "Ver todos os acessos", all_href))
}

/// An operator's name; one outside the actor's view is shown by number.
async fn operator_name(app: &App, actor: &Actor, id: OperatorId) -> Result<String, PageError> {
    match app.get_operator(actor, id).await {
        Ok(o) => Ok(o.name),
        Err(AppError::NotFound(_)) => Ok(format!("Operadora nº {id}")),
        Err(e) => Err(e.into()),
    }
}

/// `Telemar 60 %, Algar 40 %`.
async fn members_text(app: &App, actor: &Actor, c: &Consortium) -> Result<String, PageError> {
    let mut parts = Vec::with_capacity(c.members.len());
    for m in &c.members {
        parts.push(format!(
            "{} {}",
            operator_name(app, actor, m.operator_id).await?,
            format_percent_bp(m.share_bp)
        ));
    }
    Ok(parts.join(", "))
}

pub async fn access(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let line = app.get_access(actor, AccessId(parse_id(&id)?)).await?;
    let a = &line.access;
    let mut page = DetailPage::new(&user, Section::Accesses, format!("Acesso #{}", a.id));
    page.subtitle = format!("{} — {}", line.agency_acronym, line.municipality_name);
    let price_source = if a.price_overridden { "informado manualmente" } else { "da tabela do lote" };
    let targets: Vec<String> = a.probe_targets.iter().map(|t| t.to_string()).collect();
    page.facts = vec![
        Fact::new("Situação", Col::status(a.status)),
        Fact::new("Órgão", Col::text(&line.agency_acronym).link(format!("/orgaos/{}", line.agency_id))),
        Fact::new("Unidade", Col::text(&line.site_address).link(format!("/unidades/{}", a.site_id))),
        Fact::text("Município", format!("{} (IBGE {})", line.municipality_name, line.municipality_ibge)),
        Fact::new("Lote", Col::text(&line.lot_code).link(format!("/lotes/{}", a.lot_id))),
        Fact::text("Perfil", a.profile.label()),
        Fact::text("Serviço", &a.service),
        Fact::text("Velocidade", mbps(a.bandwidth_mbps)),
        Fact::text("Redundância", a.redundancy.label()),
        Fact::text("Tecnologia", a.technology.label()),
        Fact::text("Valor mensal", format!("{} ({price_source})", a.monthly_price.format_brl())),
        Fact::text("Solicitado em", when(Some(a.requested_at))),
        Fact::text("Ativado em", when(a.activated_at)),
        Fact::text("Suspenso em", when(a.suspended_at)),
        Fact::text("Desativado em", when(a.deactivated_at)),
        Fact::text("Endereços monitorados", targets.join(", ")),
    ];
    if may_create(&user, Resource::Access) {
        page.actions.push(LinkButton::primary("Editar", format!("/acessos/{}/editar", a.id)));
    }
    page.actions.push(LinkButton::secondary("Monitoramento", format!("/acessos/{}/monitoramento", a.id)));
    page.actions.push(LinkButton::secondary("Todos os acessos", "/acessos"));
    let q = ListQuery::parse(raw.as_deref());
    page.sections
        .push(availability::section(app, actor, a.id, &q, may_create(&user, Resource::Incident)).await?);
    page.sections.extend(history(app, actor, "access", a.id.0).await?);
    Ok(render(&page))
}

pub async fn site(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let site = app.get_site(actor, SiteId(parse_id(&id)?)).await?;
    let agency = app.get_agency(actor, site.agency_id).await?;
    let title = if site.name.is_empty() { format!("Unidade nº {}", site.id) } else { site.name.clone() };
    let mut page = DetailPage::new(&user, Section::Sites, title);
    page.subtitle = format!("{} — {}", agency.acronym, site.municipality_name);
    page.facts = vec![
        Fact::text("Nº", site.id.to_string()),
        Fact::new(
            "Órgão",
            Col::text(format!("{} — {}", agency.acronym, agency.name)).link(format!("/orgaos/{}", agency.id)),
        ),
        Fact::text("Nome", &site.name),
        Fact::text("Endereço", &site.address),
        Fact::text("Município", format!("{} (IBGE {})", site.municipality_name, site.municipality_ibge)),
        Fact::text("Área", site.area.label()),
        Fact::text("Zona", site.zone.label()),
        Fact::text("Contato", &site.contact_name),
        Fact::text("Telefone", &site.contact_phone),
        Fact::text("E-mail", &site.contact_email),
    ];
    if may_create(&user, Resource::Site) {
        page.actions.push(LinkButton::secondary("Editar", format!("/unidades/{}/editar", site.id)));
    }
    if may_create(&user, Resource::Access) {
        page.actions.push(LinkButton::primary(
            "Novo acesso nesta unidade",
            format!("/acessos/novo?site_id={}", site.id),
        ));
    }
    let filter = InventoryFilter { site_id: Some(site.id), ..Default::default() };
    page.sections.push(accesses_section(app, actor, filter, format!("/acessos?site={}", site.id)).await?);
    page.sections.extend(history(app, actor, "site", site.id.0).await?);
    Ok(render(&page))
}

pub async fn agency(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let agency = app.get_agency(actor, AgencyId(parse_id(&id)?)).await?;
    let mut page = DetailPage::new(&user, Section::Agencies, format!("{} — {}", agency.acronym, agency.name));
    page.subtitle = agency.kind.label().to_string();
    page.facts = vec![
        Fact::text("Sigla", &agency.acronym),
        Fact::text("Nome", &agency.name),
        Fact::text("CNPJ", agency.cnpj.masked()),
        Fact::text("Tipo", agency.kind.label()),
    ];
    if may_create(&user, Resource::Agency) {
        page.actions.push(LinkButton::secondary("Editar", format!("/orgaos/{}/editar", agency.id)));
    }
    if may_create(&user, Resource::Site) {
        page.actions
            .push(LinkButton::primary("Nova unidade", format!("/unidades/novo?agency_id={}", agency.id)));
    }
    let filter = InventoryFilter { agency_id: Some(agency.id), ..Default::default() };
    let sites = app.list_sites(actor, filter.clone(), first_rows()).await?;
    let acronyms = [(agency.id, agency.acronym.clone())].into_iter().collect();
    page.sections.push(
        DetailSection::new("Unidades")
            .note(format!("{} unidade(s).", count(sites.total)))
            .grid(columns::Sites { acronyms: &acronyms }.grid("unidades", &sites.items))
            .more_if(
                sites.items.len(),
                sites.total,
                "Ver todas as unidades",
                format!("/unidades?agency={}", agency.id),
            ),
    );
    page.sections.push(accesses_section(app, actor, filter, format!("/acessos?agency={}", agency.id)).await?);
    page.sections.extend(history(app, actor, "agency", agency.id.0).await?);
    Ok(render(&page))
}

/// A lot's accesses by status.
struct LotStatusRows {
    lot: LotId,
}

impl Listing for LotStatusRows {
    type Item = (AccessStatus, i64);
    const COLUMNS: &'static [Column] = &[Column::both("Situação"), Column::both("Acessos")];

    fn cells(&self, (status, n): &(AccessStatus, i64)) -> Vec<Col> {
        let href = format!("/acessos?lot={}&status={}", self.lot, status.as_str());
        vec![Col::status(*status), Col::int(*n).link(href)]
    }
}

async fn lot_counts(app: &App, actor: &Actor, lot: LotId) -> Result<DetailSection, PageError> {
    let lines = app.access_summary(actor).await?;
    let counts: Vec<(AccessStatus, i64)> = AccessStatus::ALL
        .iter()
        .map(|&s| (s, lines.iter().filter(|l| l.lot_id == lot && l.status == s).map(|l| l.count).sum()))
        .collect();
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let value = lines
        .iter()
        .filter(|l| l.lot_id == lot && l.status == AccessStatus::Active)
        .map(|l| l.monthly_value)
        .sum::<Money>();
    let bars = counts
        .iter()
        .map(|(s, n)| BarInput {
            label: s.label().into(),
            value: *n,
            value_text: count(*n),
            class: format!("st-{}", s.as_str()),
            href: Some(format!("/acessos?lot={lot}&status={}", s.as_str())),
        })
        .collect();
    let mut section = DetailSection::new("Acessos por situação")
        .note(format!("{} acesso(s); valor mensal dos ativos: {}.", count(total), value.format_brl()))
        .grid(LotStatusRows { lot }.grid("acessos-por-situacao", &counts))
        .chart(BarChart::horizontal("Acessos do lote por situação", bars));
    section.more = Some(LinkButton::secondary("Ver os acessos do lote", format!("/acessos?lot={lot}")));
    Ok(section)
}

fn region_section(region: &Region) -> DetailSection {
    match region {
        Region::Any => DetailSection::new("Região").note("O lote atende qualquer município."),
        Region::Municipalities(codes) => {
            let mut section =
                DetailSection::new("Municípios da região").note(format!("{}.", region_text(region)));
            section.chips = codes
                .iter()
                .map(|&code| match municipality::by_code(code) {
                    Some(m) => format!("{} ({}/{})", m.name, code, m.uf),
                    None => code.to_string(),
                })
                .collect();
            section
        }
    }
}

pub async fn lot(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let lot = app.get_lot(actor, LotId(parse_id(&id)?)).await?;
    let contract = app.get_contract(actor, lot.contract_id).await?;
    let holder = match lot.holder {
        LotHolder::Operator(o) => {
            Col::text(operator_name(app, actor, o).await?).link(format!("/operadoras/{o}"))
        }
        LotHolder::Consortium(c) => {
            let c = app.get_consortium(actor, c).await?;
            Col::text(format!("{} ({})", c.name, members_text(app, actor, &c).await?))
        }
    };
    let mut page = DetailPage::new(&user, Section::Lots, format!("Lote {}", lot.code));
    page.subtitle = lot.description.clone();
    page.facts = vec![
        Fact::text("Código", &lot.code),
        Fact::text(
            "Contrato",
            format!("{} ({})", contract.number, period(Some(contract.starts_on), Some(contract.ends_on))),
        ),
        Fact::text("Teto do contrato", contract.ceiling.format_brl()),
        Fact::new("Titular", holder),
        Fact::text("Perfil", lot.profile.label()),
        Fact::text("Descrição", &lot.description),
        Fact::text("Vigência do lote", period(lot.starts_on, lot.ends_on)),
        Fact::text("Região", region_text(&lot.region)),
    ];
    page.sections.push(lot_counts(app, actor, lot.id).await?);
    let prices = app.list_prices(actor, lot.id).await?;
    page.sections.push(
        DetailSection::new("Tabela de preços")
            .note(format!(
                "{} preço(s); valores mensais por serviço, velocidade e área.",
                count(prices.len() as i64)
            ))
            .grid(columns::Prices.grid("precos", &prices)),
    );
    page.sections.push(region_section(&lot.region));
    let rules = app.list_rules(actor, lot.id).await?;
    page.sections.push(
        DetailSection::new("Regras do contrato (IMR)")
            .note(if rules.is_empty() {
                "Nenhuma versão cadastrada: valem as regras padrão (DOMAIN §5–§6). O administrador as altera \
                 pela API (PUT /api/v1/lots/{id}/rules)."
                    .to_string()
            } else {
                format!(
                    "{} versão(ões); cada mês é apurado com a versão vigente no seu primeiro dia. O \
                     administrador cria versões pela API (PUT /api/v1/lots/{{id}}/rules).",
                    count(rules.len() as i64)
                )
            })
            .grid(RuleVersions.grid("regras", &rules)),
    );
    page.sections.extend(history(app, actor, "lot", lot.id.0).await?);
    Ok(render(&page))
}

/// The versions of a lot's contract rules, newest first as the store gives them.
struct RuleVersions;

impl Listing for RuleVersions {
    type Item = (RulesRecord, ImrRules);
    const COLUMNS: &'static [Column] = &[
        Column::both("Vigente a partir de"),
        Column::both("Metas de disponibilidade"),
        Column::both("Reparo: capital / demais / satélite"),
        Column::both("Aviso de manutenção"),
        Column::both("Multa por disponibilidade"),
        Column::both("Multa por reparo"),
        Column::both("Teto mensal das multas"),
        Column::both("Granularidade"),
    ];

    fn cells(&self, (record, rules): &(RulesRecord, ImrRules)) -> Vec<Col> {
        let targets = rules
            .availability_target
            .iter()
            .map(|(p, t)| format!("{}: {}", p.label(), percent_micro(*t)))
            .chain(std::iter::once(format!(
                "satélite: {}",
                percent_micro(rules.satellite_availability_target)
            )))
            .collect::<Vec<_>>()
            .join("; ");
        let penalty = |rule: Option<PenaltyRule>| match rule {
            None => "—".to_string(),
            Some(PenaltyRule::PercentOfCharge { basis_points }) => {
                format!("{} do valor faturado", format_percent_bp(basis_points))
            }
            Some(PenaltyRule::Fixed { per_unit }) => format!("{} por ocorrência", per_unit.format_brl()),
        };
        vec![
            Col::text(format_date(record.effective_from)),
            Col::text(targets),
            Col::text(format!(
                "{} / {} / {}",
                duration(rules.repair_limit_capital),
                duration(rules.repair_limit_elsewhere),
                duration(rules.repair_limit_satellite)
            )),
            Col::text(duration(rules.maintenance_notice)),
            Col::text(penalty(rules.availability_penalty)),
            Col::text(penalty(rules.repair_penalty)),
            Col::text(
                rules
                    .monthly_cap_basis_points
                    .map_or("sem teto".into(), |bp| format!("{} do valor faturado", format_percent_bp(bp))),
            ),
            Col::text(if rules.granularity_seconds == 60 { "minutos inteiros" } else { "segundos" }),
        ]
    }
}

/// An operator's part in consortia.
struct Memberships {
    operator: OperatorId,
}

impl Listing for Memberships {
    type Item = (Consortium, String);
    const COLUMNS: &'static [Column] =
        &[Column::both("Consórcio"), Column::both("Participação"), Column::both("Consorciados")];

    fn cells(&self, (c, members): &(Consortium, String)) -> Vec<Col> {
        let share =
            c.members.iter().find(|m| m.operator_id == self.operator).map(|m| m.share_bp).unwrap_or(0);
        vec![Col::text(&c.name), Col::text(format_percent_bp(share)), Col::text(members)]
    }
}

pub async fn operator(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let operator = app.get_operator(actor, OperatorId(parse_id(&id)?)).await?;
    let mut page = DetailPage::new(&user, Section::Operators, operator.name.clone());
    page.facts = vec![Fact::text("Nome", &operator.name), Fact::text("CNPJ", operator.cnpj.masked())];
    let by_operator = InventoryFilter { operator_id: Some(operator.id), ..Default::default() };
    let consortia = app.list_consortia(actor, by_operator.clone(), Page::all()).await?.items;
    let mut memberships = Vec::with_capacity(consortia.len());
    for c in consortia {
        let members = members_text(app, actor, &c).await?;
        memberships.push((c, members));
    }
    let lots = app.list_lots(actor, by_operator, Page::all()).await?.items;
    let holders = Holders::from_lists(
        std::slice::from_ref(&operator),
        &memberships.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>(),
    );
    page.sections.push(
        DetailSection::new("Lotes")
            .note(format!("{} lote(s), sozinha ou em consórcio.", count(lots.len() as i64)))
            .grid(columns::Lots { holders: &holders }.grid("lotes", &lots)),
    );
    if !memberships.is_empty() {
        page.sections.push(
            DetailSection::new("Consórcios")
                .grid(Memberships { operator: operator.id }.grid("consorcios", &memberships)),
        );
    }
    page.sections.extend(history(app, actor, "operator", operator.id.0).await?);
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_sections_name_municipalities() {
        let any = region_section(&Region::Any);
        assert!(any.chips.is_empty() && any.note.contains("qualquer"));
        let some = region_section(&Region::Municipalities([3106200].into()));
        assert_eq!(some.chips, ["Belo Horizonte (3106200/MG)"]);
    }

    #[test]
    fn sections_link_to_the_full_list_only_when_cut() {
        let cut = DetailSection::new("x").more_if(50, 51, "Ver todos", "/acessos".into());
        assert_eq!(cut.more.map(|m| m.label), Some("Ver todos (51)".to_string()));
        assert!(DetailSection::new("x").more_if(3, 3, "Ver todos", "/acessos".into()).more.is_none());
    }
}
