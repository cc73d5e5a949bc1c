//! The list pages — Acessos, Unidades, Órgãos, Lotes, Operadoras and
//! Auditoria — each with GET filters, 50 rows a page and "Exportar CSV /
//! XLSX" links that return every matching row. The app scopes every list to
//! the actor; the filters here only narrow it further.
//!
//! Each handler reads its filters and fetches its rows; [`respond`] does
//! the rest (the page or the download) the same way for every list.

use super::columns::{self, ENTITIES};
use super::fetch::{self, Holders};
use super::paging::{ListQuery, PER_PAGE, Pager};
use super::view::{FilterField, Grid, LinkButton, Listing, natural_key};
use super::{Chrome, Section, import, may_create, render};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use redegov_app::authz::Resource;
use redegov_app::{AuditFilter, InventoryFilter, Page};
use redegov_domain::ids::{AgencyId, LotId, OperatorId, SiteId};
use redegov_domain::inventory::{AccessStatus, AgencyKind, Lot};
use redegov_domain::role::{Actor, Scope};

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    chrome: Chrome,
    heading: String,
    note: &'static str,
    path: String,
    filters: Vec<FilterField>,
    filtered: bool,
    grid: Grid,
    pager: Pager,
    csv_href: String,
    xlsx_href: String,
    actions: Vec<LinkButton>,
}

/// What distinguishes one list page from another.
pub(super) struct ListSpec {
    pub section: Section,
    pub heading: String,
    pub path: String,
    /// Export file name, without extension.
    pub file: String,
    pub table_id: &'static str,
    pub filters: Vec<FilterField>,
    pub actions: Vec<LinkButton>,
}

/// The page of a list, or — with `formato=csv|xlsx` — the whole list as a
/// download.
pub(super) fn respond<L: Listing>(
    user: &PortalUser,
    q: &ListQuery,
    spec: ListSpec,
    listing: &L,
    items: &[L::Item],
    total: i64,
) -> Response {
    if let Some(format) = q.export() {
        return listing.table(&spec.heading, items).into_download(format, &spec.file);
    }
    let pager = Pager::new(q.page_number(), PER_PAGE, total, |n| q.page_href(&spec.path, n));
    render(&ListPage {
        chrome: Chrome::new(user, spec.section, spec.heading.clone()),
        heading: spec.heading,
        note: scope_note(user.actor()),
        filters: spec.filters,
        filtered: q.filtered(),
        grid: listing.grid(spec.table_id, items),
        pager,
        csv_href: q.export_href(&spec.path, "csv"),
        xlsx_href: q.export_href(&spec.path, "xlsx"),
        path: spec.path,
        actions: spec.actions,
    })
}

/// What part of the network the actor's lists cover.
pub fn scope_note(actor: &Actor) -> &'static str {
    match actor.scope {
        Scope::All => "",
        Scope::Agency(_) => "Você vê somente os registros do seu órgão.",
        Scope::Operator(_) => "Você vê somente os registros dos lotes da sua operadora.",
    }
}

/// Agency users are bound to their agency: an agency filter means nothing
/// to them.
pub(super) fn filters_by_agency(actor: &Actor) -> bool {
    !matches!(actor.scope, Scope::Agency(_))
}

/// A lot filter given as an id or a code (`?lot=1A`). An unknown code
/// selects no lot at all rather than every lot.
pub(super) fn lot_param(q: &ListQuery, lots: &[Lot]) -> Option<LotId> {
    let text = q.text("lot")?;
    if let Ok(id) = text.parse::<i64>() {
        return Some(LotId(id));
    }
    Some(lots.iter().find(|l| l.code.eq_ignore_ascii_case(&text)).map(|l| l.id).unwrap_or(LotId(0)))
}

/// An agency filter given as an id or an acronym (`?agency=SEF`).
pub(super) fn agency_param(q: &ListQuery, agencies: &[(AgencyId, String, String)]) -> Option<AgencyId> {
    let text = q.text("agency")?;
    if let Ok(id) = text.parse::<i64>() {
        return Some(AgencyId(id));
    }
    Some(
        agencies
            .iter()
            .find(|(_, acronym, _)| acronym.eq_ignore_ascii_case(&text))
            .map(|a| a.0)
            .unwrap_or(AgencyId(0)),
    )
}

pub(super) fn agency_filter(
    current: Option<AgencyId>,
    agencies: &[(AgencyId, String, String)],
) -> FilterField {
    FilterField::select(
        "agency",
        "Órgão",
        current.map(|a| a.to_string()),
        agencies.iter().map(|(id, _, label)| (id.to_string(), label.clone())),
    )
}

/// Create and import buttons the role may use.
fn create_actions(user: &PortalUser, resource: Resource, label: &str, href: &str) -> Vec<LinkButton> {
    let mut actions = Vec::new();
    if may_create(user, resource) {
        actions.push(LinkButton::primary(label, href));
    }
    if let Some(kind) = import::kind_of(resource).filter(|k| import::kinds_for(user.actor().role).contains(k))
    {
        actions.push(LinkButton::secondary(
            "Importar CSV",
            format!("/importar?tipo={}", import::kind_code(kind)),
        ));
    }
    actions
}

pub async fn accesses(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    let lots = fetch::lots(app, actor).await?;
    let agencies =
        if filters_by_agency(actor) { fetch::agency_choices(app, actor).await? } else { Vec::new() };
    let lot_id = lot_param(&q, &lots);
    let agency_id = agency_param(&q, &agencies).filter(|_| filters_by_agency(actor));
    let status = q.code("status", AccessStatus::CODES);
    let site_id = q.id("site").map(SiteId);
    let filter = InventoryFilter {
        lot_id,
        agency_id,
        site_id,
        status: status.clone(),
        search: q.text("q"),
        ..Default::default()
    };
    let listed = app.list_accesses(actor, filter, q.fetch()).await?;
    let mut filters = vec![
        FilterField::search("q", "Busca", q.text("q"), "município, sigla do órgão ou IP"),
        FilterField::select(
            "lot",
            "Lote",
            lot_id.map(|l| l.to_string()),
            lots.iter().map(|l| (l.id.to_string(), l.code.clone())),
        ),
        FilterField::select(
            "status",
            "Situação",
            status,
            AccessStatus::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())),
        ),
    ];
    if filters_by_agency(actor) {
        filters.push(agency_filter(agency_id, &agencies));
    }
    if let Some(site) = site_id {
        filters.push(FilterField::search("site", "Unidade (nº)", Some(site.to_string()), ""));
    }
    let spec = ListSpec {
        section: Section::Accesses,
        heading: "Acessos".into(),
        path: "/acessos".into(),
        file: "acessos".into(),
        table_id: "acessos",
        filters,
        actions: create_actions(&user, Resource::Access, "Novo acesso", "/acessos/novo"),
    };
    Ok(respond(&user, &q, spec, &columns::Accesses, &listed.items, listed.total))
}

pub async fn sites(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    let agencies = fetch::agency_choices(app, actor).await?;
    let agency_id = agency_param(&q, &agencies).filter(|_| filters_by_agency(actor));
    let filter = InventoryFilter { agency_id, search: q.text("q"), ..Default::default() };
    let listed = app.list_sites(actor, filter, q.fetch()).await?;
    let acronyms = agencies.iter().map(|(id, acronym, _)| (*id, acronym.clone())).collect();
    let mut filters = vec![FilterField::search("q", "Busca", q.text("q"), "nome, endereço ou município")];
    if filters_by_agency(actor) {
        filters.push(agency_filter(agency_id, &agencies));
    }
    let spec = ListSpec {
        section: Section::Sites,
        heading: "Unidades".into(),
        path: "/unidades".into(),
        file: "unidades".into(),
        table_id: "unidades",
        filters,
        actions: create_actions(&user, Resource::Site, "Nova unidade", "/unidades/novo"),
    };
    Ok(respond(&user, &q, spec, &columns::Sites { acronyms: &acronyms }, &listed.items, listed.total))
}

pub async fn agencies(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = ListQuery::parse(raw.as_deref());
    let kind = q.code("kind", AgencyKind::CODES);
    let filter = InventoryFilter { kind: kind.clone(), search: q.text("q"), ..Default::default() };
    let listed = state.app.list_agencies(user.actor(), filter, q.fetch()).await?;
    let spec = ListSpec {
        section: Section::Agencies,
        heading: "Órgãos".into(),
        path: "/orgaos".into(),
        file: "orgaos".into(),
        table_id: "orgaos",
        filters: vec![
            FilterField::search("q", "Busca", q.text("q"), "nome ou sigla"),
            FilterField::select(
                "kind",
                "Tipo",
                kind,
                AgencyKind::ALL.iter().map(|k| (k.as_str().to_string(), k.label().to_string())),
            ),
        ],
        actions: create_actions(&user, Resource::Agency, "Novo órgão", "/orgaos/novo"),
    };
    Ok(respond(&user, &q, spec, &columns::Agencies, &listed.items, listed.total))
}

pub async fn lots(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    let operators = app.list_operators(actor, InventoryFilter::default(), Page::all()).await?.items;
    let consortia = app.list_consortia(actor, InventoryFilter::default(), Page::all()).await?.items;
    let holders = Holders::from_lists(&operators, &consortia);
    let operator_id = q.id("operator").map(OperatorId);
    let filter = InventoryFilter { operator_id, ..Default::default() };
    // A contract has tens of lots, not thousands: they are fetched whole and
    // ordered the way people read codes (1A, 2A, …, 10A), which SQL cannot.
    let mut lots = app.list_lots(actor, filter, Page::all()).await?.items;
    lots.sort_by_key(|l| natural_key(&l.code));
    let total = lots.len() as i64;
    let page = q.fetch();
    let size = |n: i64| usize::try_from(n).unwrap_or(usize::MAX);
    let shown: Vec<Lot> = lots.into_iter().skip(size(page.offset())).take(size(page.page_size)).collect();
    let mut filters = Vec::new();
    if operators.len() > 1 {
        filters.push(FilterField::select(
            "operator",
            "Operadora (sozinha ou em consórcio)",
            operator_id.map(|o| o.to_string()),
            operators.iter().map(|o| (o.id.to_string(), o.name.clone())),
        ));
    }
    let spec = ListSpec {
        section: Section::Lots,
        heading: "Lotes".into(),
        path: "/lotes".into(),
        file: "lotes".into(),
        table_id: "lotes",
        filters,
        actions: Vec::new(),
    };
    Ok(respond(&user, &q, spec, &columns::Lots { holders: &holders }, &shown, total))
}

pub async fn operators(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = ListQuery::parse(raw.as_deref());
    let filter = InventoryFilter { search: q.text("q"), ..Default::default() };
    let listed = state.app.list_operators(user.actor(), filter, q.fetch()).await?;
    let spec = ListSpec {
        section: Section::Operators,
        heading: "Operadoras".into(),
        path: "/operadoras".into(),
        file: "operadoras".into(),
        table_id: "operadoras",
        filters: vec![FilterField::search("q", "Busca", q.text("q"), "nome")],
        actions: Vec::new(),
    };
    Ok(respond(&user, &q, spec, &columns::Operators, &listed.items, listed.total))
}

pub async fn audit(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = ListQuery::parse(raw.as_deref());
    let codes: Vec<&str> = ENTITIES.iter().map(|(code, _, _)| *code).collect();
    let entity = q.code("entity", &codes);
    let entity_id = q.id("entity_id");
    let filter = AuditFilter { entity: entity.clone(), entity_id, ..Default::default() };
    let listed = state.app.list_audit(user.actor(), &filter, q.fetch()).await?;
    let spec = ListSpec {
        section: Section::Audit,
        heading: "Auditoria".into(),
        path: "/auditoria".into(),
        file: "auditoria".into(),
        table_id: "auditoria",
        filters: vec![
            FilterField::select(
                "entity",
                "Entidade",
                entity,
                ENTITIES.iter().map(|(code, label, _)| (code.to_string(), label.to_string())),
            ),
            FilterField::search("entity_id", "ID do registro", entity_id.map(|i| i.to_string()), "ex.: 42"),
        ],
        actions: Vec::new(),
    };
    Ok(respond(&user, &q, spec, &columns::Audit, &listed.items, listed.total))
}
