//! "NOC — Monitoramento", the network operations centre's panel: how many
//! accesses are up, down and unknown, the open monitoring gaps (a prober
//! that cannot see the network: unknown time, never downtime), the alerts
//! no access was found for, and the incidents still open — grouped by lot,
//! operator or municipality (`?agrupar=`), with a chart of the accesses
//! down per operator and the CSV/XLSX export of the list (`?formato=`).
//!
//! The live part is the fragment `GET /noc/painel`, which the page polls
//! every five seconds with the vendored htmx and swaps in place; without
//! JavaScript the page is the same, refreshed by its "Atualizar" link.
//! Everything comes from `App::noc_overview`, already scoped to the actor
//! (an agency sees its accesses, an operator its lots, only the NOC roles
//! see gaps and unmatched alerts); durations are counted to the overview's
//! instant. This module decides nothing about who sees what.

use super::charts::{BarChart, BarInput};
use super::lists::scope_note;
use super::localtime::{duration, format_local_seconds, from_ms};
use super::paging::ListQuery;
use super::view::{Col, Column, Grid, Header, Listing, Opt, count, natural_key, plural};
use super::{Chrome, HTMX_PATH, Section, render};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use redegov_app::noc::{NocOverview, OutageRow as Outage, sees_network_state};
use redegov_domain::ids::AccessId;
use redegov_domain::incident::{IncidentSource, IncidentStatus};
use redegov_domain::role::Role;
use redegov_domain::text::fold;
use redegov_domain::time::{format_local, from_epoch};
use std::collections::BTreeSet;

/// How often the page asks for a fresh panel, in htmx's words.
const POLL_EVERY: &str = "every 5s";

/// How the outage list is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grouping {
    Lot,
    Holder,
    Municipality,
}

impl Grouping {
    const ALL: [Grouping; 3] = [Grouping::Lot, Grouping::Holder, Grouping::Municipality];

    fn code(self) -> &'static str {
        match self {
            Grouping::Lot => "lote",
            Grouping::Holder => "operadora",
            Grouping::Municipality => "municipio",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Grouping::Lot => "Lote",
            Grouping::Holder => "Operadora ou consórcio",
            Grouping::Municipality => "Município",
        }
    }

    /// `?agrupar=`; anything else is the default, by lot.
    fn of(q: &ListQuery) -> Grouping {
        let code = q.text("agrupar").unwrap_or_default();
        Grouping::ALL.into_iter().find(|g| g.code() == code).unwrap_or(Grouping::Lot)
    }

    /// The group an outage falls in.
    fn group_of(self, o: &Outage) -> GroupOf {
        let (key, title) = match self {
            Grouping::Lot => (natural_key(&o.lot_code), format!("Lote {} — {}", o.lot_code, o.holder)),
            Grouping::Holder => ((0, fold(&o.holder)), o.holder.clone()),
            Grouping::Municipality => ((0, fold(&o.municipality_name)), o.municipality_name.clone()),
        };
        GroupOf { key, title }
    }
}

/// Where a group goes in the list (lot codes in reading order, names
/// without regard to case and accents), and its title.
struct GroupOf {
    key: (u64, String),
    title: String,
}

/// A group's title and size.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupSize {
    title: String,
    incidents: usize,
    accesses: usize,
}

/// The outage list's columns; `at` is the instant durations run to.
struct Outages {
    at: i64,
}

impl Listing for Outages {
    type Item = Outage;
    const COLUMNS: &'static [Column] = &[
        Column::both("Incidente"),
        Column::both("Acesso"),
        Column::both("Órgão"),
        Column::both("Endereço"),
        Column::both("Município"),
        Column::both("Lote"),
        Column::both("Operadora"),
        Column::both("Início"),
        Column::page_only("Duração"),
        Column::export_only("Duração (s)"),
        Column::both("Origem"),
        Column::both("Situação"),
        Column::both("Chamado da operadora"),
    ];

    fn cells(&self, o: &Outage) -> Vec<Col> {
        let seconds = (self.at - o.started_at).max(0);
        let source =
            IncidentSource::parse("source", &o.source).map(|s| s.label()).unwrap_or(o.source.as_str());
        let status = match IncidentStatus::parse("status", &o.status) {
            Ok(s) => Col::text(s.label()).badge(format!("inc-{}", s.as_str())),
            Err(_) => Col::text(&o.status),
        };
        vec![
            Col::id(o.incident_id.0).link(format!("/incidentes/{}", o.incident_id)),
            Col::id(o.access_id.0).link(format!("/acessos/{}", o.access_id)),
            Col::text(&o.agency_acronym),
            Col::text(&o.site_address),
            Col::text(&o.municipality_name),
            Col::text(&o.lot_code).link(format!("/lotes/{}", o.lot_id)),
            Col::text(&o.holder),
            Col::text(format_local(from_epoch(o.started_at))),
            Col { numeric: true, ..Col::text(duration(seconds)) },
            Col::int(seconds),
            Col::text(source),
            status,
            Col::text(if o.ticket.trim().is_empty() { "—" } else { &o.ticket }),
        ]
    }
}

/// Accesses down per operator, for the chart's table.
struct HolderRows;

impl Listing for HolderRows {
    type Item = (String, i64);
    const COLUMNS: &'static [Column] =
        &[Column::both("Operadora ou consórcio"), Column::both("Acessos inoperantes")];

    fn cells(&self, (holder, n): &(String, i64)) -> Vec<Col> {
        vec![Col::text(holder), Col::int(*n)]
    }
}

/// A group of the outage list, under its header row.
pub(super) struct Group {
    pub id: String,
    pub title: String,
    pub count: String,
    pub rows: Vec<Vec<Col>>,
}

/// One of the header's counters.
pub(super) struct Counter {
    pub id: &'static str,
    pub class: &'static str,
    pub label: &'static str,
    pub value: String,
    pub note: &'static str,
}

/// The live part of the page, the same in the page and in the fragment.
pub(super) struct Panel {
    /// Where the page polls for a fresh panel.
    pub refresh_href: String,
    pub poll: &'static str,
    pub at_text: String,
    pub at_iso: String,
    pub counters: Vec<Counter>,
    /// One banner per open monitoring gap.
    pub gaps: Vec<String>,
    /// The unmatched alerts, for the NOC roles.
    pub unmatched: Option<String>,
    pub grouping: &'static str,
    pub headers: Vec<Header>,
    pub groups: Vec<Group>,
    pub summary: String,
    pub chart: BarChart,
    pub holder_grid: Grid,
}

#[derive(Template)]
#[template(path = "noc.html")]
struct NocPage {
    chrome: Chrome,
    note: &'static str,
    panel: Panel,
    htmx_src: &'static str,
    groupings: Vec<Opt>,
    refresh_href: String,
    csv_href: String,
    xlsx_href: String,
}

#[derive(Template)]
#[template(path = "noc_panel.html")]
struct PanelFragment {
    panel: Panel,
}

/// The outages in group order (oldest first within a group), with each
/// group's title and size.
fn grouped(outages: Vec<Outage>, by: Grouping) -> (Vec<Outage>, Vec<GroupSize>) {
    let mut keyed: Vec<(GroupOf, Outage)> = outages.into_iter().map(|o| (by.group_of(&o), o)).collect();
    // Stable: within a group the app's order (oldest first) stays.
    keyed.sort_by(|a, b| a.0.key.cmp(&b.0.key));
    let mut groups: Vec<GroupSize> = Vec::new();
    let mut accesses: Vec<BTreeSet<AccessId>> = Vec::new();
    let mut last_key = None;
    for (group, o) in &keyed {
        if last_key != Some(&group.key) {
            groups.push(GroupSize { title: group.title.clone(), incidents: 0, accesses: 0 });
            accesses.push(BTreeSet::new());
            last_key = Some(&group.key);
        }
        if let (Some(g), Some(a)) = (groups.last_mut(), accesses.last_mut()) {
            a.insert(o.access_id);
            g.incidents += 1;
            g.accesses = a.len();
        }
    }
    (keyed.into_iter().map(|(_, o)| o).collect(), groups)
}

/// Accesses with an open incident per lot holder, most first.
fn down_by_holder(outages: &[Outage]) -> Vec<(String, i64)> {
    let mut per: Vec<(String, BTreeSet<AccessId>)> = Vec::new();
    for o in outages {
        match per.iter_mut().find(|(h, _)| *h == o.holder) {
            Some((_, set)) => {
                set.insert(o.access_id);
            }
            None => per.push((o.holder.clone(), BTreeSet::from([o.access_id]))),
        }
    }
    let mut counts: Vec<(String, i64)> = per.into_iter().map(|(h, s)| (h, s.len() as i64)).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| fold(&a.0).cmp(&fold(&b.0))));
    counts
}

/// The banner of an open gap.
fn gap_text(worker: &str, started_ms: i64, probed: i64, failed: i64) -> String {
    format!(
        "Lacuna de monitoramento desde {} no coletor {worker}: {} de {} alvos sem resposta — o período conta \
         como desconhecido, não como indisponibilidade.",
        format_local(from_ms(started_ms)),
        count(failed),
        count(probed)
    )
}

fn unmatched_text(n: usize) -> String {
    match n {
        0 => "Nenhum alerta externo sem acesso correspondente.".into(),
        1 => "1 alerta externo recebido não corresponde a nenhum acesso (sem o rótulo access_id nem um \
              endereço monitorado conhecido): consulte-o em GET /api/v1/alerts?unmatched=true."
            .into(),
        n => format!(
            "{} alertas externos recebidos não correspondem a nenhum acesso (sem o rótulo access_id nem um \
             endereço monitorado conhecido): consulte-os em GET /api/v1/alerts?unmatched=true.",
            count(n as i64)
        ),
    }
}

fn group_count(incidents: usize, accesses: usize) -> String {
    let a = plural(accesses as i64, "acesso", "acessos");
    if incidents == accesses {
        a
    } else {
        format!("{a}, {}", plural(incidents as i64, "incidente", "incidentes"))
    }
}

/// Lays the overview out for `role`, grouped `by`.
fn build_panel(overview: &NocOverview, role: Role, by: Grouping) -> Panel {
    let at = overview.at.timestamp();
    let listing = Outages { at };
    let (sorted, group_sizes) = grouped(overview.outages.clone(), by);
    let grid = listing.grid("inoperantes", &sorted);
    let mut rows = grid.rows.into_iter();
    let groups = group_sizes
        .into_iter()
        .enumerate()
        .map(|(i, g)| Group {
            id: format!("grupo-{}", i + 1),
            count: group_count(g.incidents, g.accesses),
            rows: rows.by_ref().take(g.incidents).collect(),
            title: g.title,
        })
        .collect();
    let by_holder = down_by_holder(&sorted);
    let bars = by_holder
        .iter()
        .map(|(holder, n)| BarInput {
            label: holder.clone(),
            value: *n,
            value_text: count(*n),
            class: "down".into(),
            href: None,
        })
        .collect();
    let c = overview.counts;
    let down_accesses = sorted.iter().map(|o| o.access_id).collect::<BTreeSet<_>>().len() as i64;
    let summary = if sorted.is_empty() {
        String::new()
    } else {
        format!(
            "{} em aberto em {}.",
            plural(sorted.len() as i64, "incidente", "incidentes"),
            plural(down_accesses, "acesso", "acessos")
        )
    };
    Panel {
        refresh_href: format!("/noc/painel?agrupar={}", by.code()),
        poll: POLL_EVERY,
        at_text: format_local_seconds(overview.at),
        at_iso: overview.at.to_rfc3339(),
        counters: vec![
            Counter {
                id: "noc-operantes",
                class: "kpi-up",
                label: "Operantes",
                value: count(c.up),
                note: "com ao menos um enlace respondendo",
            },
            Counter {
                id: "noc-inoperantes",
                class: "kpi-down",
                label: "Inoperantes",
                value: count(c.down),
                note: "com todos os enlaces sem resposta",
            },
            Counter {
                id: "noc-desconhecidos",
                class: "kpi-unknown",
                label: "Desconhecidos",
                value: count(c.unknown),
                note: "ainda sem medição conclusiva",
            },
            Counter {
                id: "noc-incidentes",
                class: "",
                label: "Incidentes em aberto",
                value: count(sorted.len() as i64),
                note: "de qualquer origem",
            },
        ],
        gaps: overview
            .open_gaps
            .iter()
            .map(|g| gap_text(&g.worker, g.started_ms, g.probed, g.failed))
            .collect(),
        unmatched: sees_network_state(role).then(|| unmatched_text(overview.unmatched_alerts)),
        grouping: by.label(),
        headers: grid.headers,
        groups,
        summary,
        chart: BarChart::horizontal("Acessos inoperantes por operadora", bars),
        holder_grid: HolderRows
            .grid("inoperantes-por-operadora", &by_holder)
            .empty_text("Nenhum acesso inoperante."),
    }
}

/// `GET /noc`: the page, or with `formato=csv|xlsx` the outage list.
pub async fn page(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let q = ListQuery::parse(raw.as_deref());
    let by = Grouping::of(&q);
    let overview = state.app.noc_overview(actor).await?;
    if let Some(format) = q.export() {
        let (sorted, _) = grouped(overview.outages.clone(), by);
        let listing = Outages { at: overview.at.timestamp() };
        return Ok(listing.table("Acessos inoperantes", &sorted).into_download(format, "noc-inoperantes"));
    }
    let keep = ListQuery::parse(Some(&format!("agrupar={}", by.code())));
    let page = NocPage {
        chrome: Chrome::new(&user, Section::Noc, "NOC — Monitoramento"),
        note: scope_note(actor),
        panel: build_panel(&overview, actor.role, by),
        htmx_src: HTMX_PATH,
        groupings: Grouping::ALL.iter().map(|g| Opt::new(g.code(), g.label(), by.code())).collect(),
        refresh_href: keep.href("/noc", &[]),
        csv_href: keep.export_href("/noc", "csv"),
        xlsx_href: keep.export_href("/noc", "xlsx"),
    };
    Ok(render(&page))
}

/// `GET /noc/painel`: the live part alone, for the page to swap in. A
/// session that expired meanwhile sends the whole page to the login
/// (`HX-Redirect`), rather than a login form into the panel.
pub async fn panel(
    State(state): State<WebState>,
    user: Result<PortalUser, Response>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let by = Grouping::of(&ListQuery::parse(raw.as_deref()));
    let user = match user {
        Ok(user) => user,
        Err(rejection) if headers.contains_key("hx-request") && rejection.status().is_redirection() => {
            let next = format!("/noc?agrupar={}", by.code());
            let login = format!(
                "/login?next={}",
                percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)
            );
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Ok(value) = HeaderValue::from_str(&login) {
                response.headers_mut().insert("hx-redirect", value);
            }
            return Ok(response);
        }
        Err(rejection) => return Ok(rejection),
    };
    let overview = state.app.noc_overview(user.actor()).await?;
    Ok(render(&PanelFragment { panel: build_panel(&overview, user.actor().role, by) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use redegov_domain::ids::{IncidentId, LotId};

    fn outage(id: i64, access: i64, lot: &str, holder: &str, town: &str, started_at: i64) -> Outage {
        Outage {
            incident_id: IncidentId(id),
            access_id: AccessId(access),
            started_at,
            source: "monitor".into(),
            status: "open".into(),
            ticket: String::new(),
            lot_id: LotId(1),
            lot_code: lot.into(),
            holder: holder.into(),
            agency_acronym: "SEF".into(),
            municipality_name: town.into(),
            site_address: "Rua 1".into(),
        }
    }

    fn sample() -> Vec<Outage> {
        vec![
            outage(1, 10, "10A", "Telemar", "Uberlândia", 100),
            outage(2, 11, "2A", "Algar", "Belo Horizonte", 200),
            outage(3, 10, "10A", "Telemar", "Uberlândia", 300),
            outage(4, 12, "2A", "Algar", "Araxá", 400),
        ]
    }

    #[test]
    fn groups_follow_the_chosen_key_and_keep_the_oldest_first() {
        let ids = |v: &[Outage]| v.iter().map(|o| o.incident_id.0).collect::<Vec<_>>();
        let (by_lot, groups) = grouped(sample(), Grouping::Lot);
        assert_eq!(ids(&by_lot), [2, 4, 1, 3], "2A before 10A");
        let sizes: Vec<(&str, usize, usize)> =
            groups.iter().map(|g| (g.title.as_str(), g.incidents, g.accesses)).collect();
        assert_eq!(sizes, [("Lote 2A — Algar", 2, 2), ("Lote 10A — Telemar", 2, 1)]);
        let (by_town, groups) = grouped(sample(), Grouping::Municipality);
        assert_eq!(ids(&by_town), [4, 2, 1, 3], "Araxá, Belo Horizonte, Uberlândia");
        assert_eq!(groups.len(), 3);
        assert_eq!(group_count(2, 1), "1 acesso, 2 incidentes");
        assert_eq!(group_count(2, 2), "2 acessos");
    }

    #[test]
    fn the_grouping_is_read_leniently() {
        let of = |q: &str| Grouping::of(&ListQuery::parse(Some(q)));
        assert_eq!(of("agrupar=municipio"), Grouping::Municipality);
        assert_eq!(of("agrupar=operadora"), Grouping::Holder);
        assert_eq!(of("agrupar=qualquer"), Grouping::Lot);
        assert_eq!(Grouping::of(&ListQuery::parse(None)), Grouping::Lot);
    }

    #[test]
    fn accesses_down_are_counted_once_per_holder() {
        assert_eq!(down_by_holder(&sample()), [("Algar".to_string(), 2), ("Telemar".to_string(), 1)]);
    }

    #[test]
    fn a_gap_is_said_to_be_unknown_time() {
        let start = redegov_domain::time::parse_instant("t", "2026-03-10T11:50:00-03:00").expect("instant");
        assert_eq!(
            gap_text("coletor-1", start.timestamp_millis(), 1200, 1100),
            "Lacuna de monitoramento desde 10/03/2026 11:50 no coletor coletor-1: 1.100 de 1.200 alvos sem \
             resposta — o período conta como desconhecido, não como indisponibilidade."
        );
        assert!(unmatched_text(2).starts_with("2 alertas externos"));
    }
}
