//! The agency's billing ("Faturamento do órgão"): for the agency manager its
//! own agency, for the other roles the agency they pick. Recent months with
//! what each operator (or consortium) charged, the downtime discount and the
//! net, links to each billing report, and a chart of every access's
//! availability per month; and the billing report itself (Relatório
//! Consolidado do Faturamento) as a page, with its PDF, CSV and XLSX.
//!
//! The app builds the report and scopes it (another agency's report is a
//! 404); the downloads are `crate::reports`' renderings of that one report.

use super::charts::{CellInput, Matrix, RowInput};
use super::details::{DetailPage, DetailSection, Notice, Picker};
use super::fetch::{self, Holders};
use super::localtime::{
    current_month, duration, month_name, month_short, month_title, months_back, percent_micro,
    percent_micro_short,
};
use super::paging::ListQuery;
use super::view::{Col, Column, Fact, Grid, Header, Kpi, LinkButton, Listing, Opt, count};
use super::{Section, parse_id, render};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use crate::reports::{BillingFormat, billing_download};
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use redegov_app::{AccessRow, ClosingLine, InventoryFilter, LineFilter, Page};
use redegov_domain::billing::{AdjustmentLine, BillingLine, BillingReport, DeductionLine, MemberPart};
use redegov_domain::ids::{AccessId, AgencyId, ConsortiumId, LotId, OperatorId};
use redegov_domain::inventory::LotHolder;
use redegov_domain::measure::Month;
use redegov_domain::money::{Money, format_percent_bp};
use redegov_domain::role::Scope;
use std::collections::{BTreeMap, HashMap};

/// A lot holder in a path: `operadora-5` or `consorcio-3`.
pub(super) fn holder_segment(holder: LotHolder) -> String {
    match holder {
        LotHolder::Operator(o) => format!("operadora-{o}"),
        LotHolder::Consortium(c) => format!("consorcio-{c}"),
    }
}

fn parse_holder(text: &str) -> Option<LotHolder> {
    let (kind, id) = text.split_once('-')?;
    let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
    match kind {
        "operadora" => Some(LotHolder::Operator(OperatorId(id))),
        "consorcio" => Some(LotHolder::Consortium(ConsortiumId(id))),
        _ => None,
    }
}

/// The report's page and its PDF, CSV and XLSX downloads.
pub(super) fn report_links(month: Month, agency: AgencyId, holder: LotHolder) -> [String; 4] {
    let page = format!("/faturamento/{month}/{agency}/{}", holder_segment(holder));
    let download = |format: &str| format!("{page}?formato={format}");
    let (pdf, csv, xlsx) = (download("pdf"), download("csv"), download("xlsx"));
    [page, pdf, csv, xlsx]
}

// ----- Faturamento do órgão -----

/// How many ended months the agency's page looks back.
const MONTHS_SHOWN: usize = 6;
/// How many accesses the availability chart draws (the least available).
const CHART_ROWS: usize = 40;

/// One report of one month: an agency with one holder.
struct MonthReport {
    month: Month,
    closed: bool,
    holder: LotHolder,
    holder_name: String,
    accesses: i64,
    charge: Money,
    credit: Money,
    net: Money,
}

struct MonthReports {
    agency: AgencyId,
}

impl Listing for MonthReports {
    type Item = MonthReport;
    const COLUMNS: &'static [Column] = &[
        Column::both("Mês"),
        Column::both("Situação"),
        Column::both("Operadora ou consórcio"),
        Column::both("Acessos"),
        Column::both("Faturado"),
        Column::both("Descontos"),
        Column::both("Líquido"),
        Column::page_only("Relatório"),
        Column::page_only("PDF"),
        Column::page_only("CSV"),
        Column::page_only("XLSX"),
    ];

    fn cells(&self, r: &MonthReport) -> Vec<Col> {
        let [view, pdf, csv, xlsx] = report_links(r.month, self.agency, r.holder);
        vec![
            Col::text(month_title(r.month)).link(format!("/meses/{}", r.month)),
            if r.closed {
                Col::text("Fechado").badge("month-closed")
            } else {
                Col::text("Prévia").badge("month-open")
            },
            Col::text(&r.holder_name),
            Col::int(r.accesses),
            Col::money(r.charge),
            Col::money(r.credit),
            Col::money(r.net),
            Col::text("Ver").link(view),
            Col::text("PDF").link(pdf),
            Col::text("CSV").link(csv),
            Col::text("XLSX").link(xlsx),
        ]
    }
}

/// The agency's lines of each month, grouped into reports per holder.
fn month_reports(
    month: Month,
    closed: bool,
    lines: &[ClosingLine],
    lots: &HashMap<LotId, LotHolder>,
    holders: &Holders,
) -> Vec<MonthReport> {
    let mut by_holder: BTreeMap<String, MonthReport> = BTreeMap::new();
    for l in lines {
        let Some(&holder) = lots.get(&l.lot_id) else { continue };
        let name = holders.name(holder).0;
        let r = by_holder.entry(name.clone()).or_insert_with(|| MonthReport {
            month,
            closed,
            holder,
            holder_name: name,
            accesses: 0,
            charge: Money::ZERO,
            credit: Money::ZERO,
            net: Money::ZERO,
        });
        r.accesses += 1;
        r.charge += l.charge;
        r.credit += l.credit;
        r.net += l.net;
    }
    by_holder.into_values().collect()
}

/// Availability of each access in each month: the least available first,
/// oldest month on the left.
fn availability_matrix(
    months: &[(Month, Vec<ClosingLine>)],
    accesses: &HashMap<AccessId, AccessRow>,
) -> (Matrix, Grid, usize) {
    let chronological: Vec<&(Month, Vec<ClosingLine>)> = months.iter().rev().collect();
    let mut per_access: BTreeMap<AccessId, Vec<Option<&ClosingLine>>> = BTreeMap::new();
    for (i, (_, lines)) in chronological.iter().enumerate() {
        for l in lines {
            per_access.entry(l.access_id).or_insert_with(|| vec![None; chronological.len()])[i] = Some(l);
        }
    }
    let mut rows: Vec<(AccessId, Vec<Option<&ClosingLine>>)> = per_access.into_iter().collect();
    let worst = |cells: &[Option<&ClosingLine>]| cells.iter().flatten().map(|l| l.availability_micro).min();
    rows.sort_by_key(|(id, cells)| (worst(cells), *id));
    let total = rows.len();
    rows.truncate(CHART_ROWS);
    let label = |id: AccessId| match accesses.get(&id) {
        Some(a) => format!("#{id} {}", a.municipality_name),
        None => format!("#{id}"),
    };
    let columns: Vec<String> = chronological.iter().map(|(m, _)| month_short(*m)).collect();
    let matrix_rows = rows
        .iter()
        .map(|(id, cells)| RowInput {
            label: label(*id),
            href: Some(format!("/acessos/{id}#disponibilidade")),
            cells: cells
                .iter()
                .zip(&chronological)
                .map(|(cell, (m, _))| match cell {
                    Some(l) => CellInput {
                        class: if l.availability_micro < l.target_micro { "cell-breach" } else { "cell-ok" },
                        text: percent_micro_short(l.availability_micro),
                        tip: format!(
                            "{}: {} (meta {}), desconto {}",
                            month_name(*m),
                            percent_micro(l.availability_micro),
                            percent_micro(l.target_micro),
                            l.credit.format_brl()
                        ),
                    },
                    None => CellInput {
                        class: "cell-none",
                        text: "—".into(),
                        tip: format!("{}: sem faturamento", month_name(*m)),
                    },
                })
                .collect(),
        })
        .collect();
    let matrix = Matrix::new("Disponibilidade por acesso e mês", columns.clone(), matrix_rows);
    // The same numbers as a table, for screen readers and for copying.
    let mut headers = vec![Header { label: "Acesso".into(), numeric: false }];
    headers.extend(columns.into_iter().map(|label| Header { label, numeric: true }));
    let grid_rows = rows
        .iter()
        .map(|(id, cells)| {
            let mut row = vec![Col::text(label(*id)).link(format!("/acessos/{id}"))];
            row.extend(cells.iter().map(|c| match c {
                Some(l) => Col { numeric: true, ..Col::text(percent_micro(l.availability_micro)) },
                None => Col { numeric: true, ..Col::text("—") },
            }));
            row
        })
        .collect();
    let grid = Grid {
        id: "disponibilidade-por-mes",
        headers,
        rows: grid_rows,
        row_classes: Vec::new(),
        empty: "Nenhum acesso faturado nos meses mostrados.",
    };
    (matrix, grid, total)
}

pub async fn index(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    let chosen = match actor.scope {
        Scope::Agency(own) => Some(own),
        _ => q.id("agency").map(AgencyId),
    };
    let mut page = DetailPage::new(&user, Section::Billing, "Faturamento do órgão".into());
    if !matches!(actor.scope, Scope::Agency(_)) {
        let agencies = fetch::agency_choices(app, actor).await?;
        let current = chosen.map(|a| a.to_string()).unwrap_or_default();
        let mut options = vec![Opt::new("", "Escolha…", &current)];
        options.extend(agencies.into_iter().map(|(id, _, label)| Opt::new(id.to_string(), label, &current)));
        let mut section = DetailSection::new("Órgão");
        section.picker = Some(Picker {
            action: "/faturamento".into(),
            name: "agency",
            label: "Órgão",
            options,
            keep: Vec::new(),
        });
        if chosen.is_none() {
            section.note = "Escolha um órgão para ver o seu faturamento mês a mês.".into();
        }
        page.sections.push(section);
    }
    let Some(agency_id) = chosen else { return Ok(render(&page)) };
    let agency = app.get_agency(actor, agency_id).await?;
    page.heading = format!("Faturamento — {}", agency.acronym);
    page.subtitle = agency.name.clone();
    let lots: HashMap<LotId, LotHolder> =
        fetch::lots(app, actor).await?.into_iter().map(|l| (l.id, l.holder)).collect();
    let holders = Holders::load(app, actor).await?;
    let last = current_month(app.now()).prev();
    let mut months: Vec<(Month, Vec<ClosingLine>)> = Vec::new();
    let mut reports = Vec::new();
    // Closed months are read from their snapshots; of the open ones only
    // the last is previewed, since a preview measures the whole network.
    let closed: Vec<Month> =
        app.list_closings(actor).await?.iter().filter_map(|c| Month::parse(&c.month)).collect();
    let shown = months_back(last, MONTHS_SHOWN).into_iter().filter(|m| *m == last || closed.contains(m));
    for month in shown {
        let results = app
            .month_results(actor, month, LineFilter { agency_id: Some(agency_id), ..Default::default() })
            .await?;
        reports.extend(month_reports(month, results.closing.is_some(), &results.lines, &lots, &holders));
        months.push((month, results.lines));
    }
    if let Some((month, lines)) = months.iter().find(|(_, lines)| !lines.is_empty()) {
        let sum = |f: fn(&ClosingLine) -> Money| lines.iter().map(f).sum::<Money>();
        let name = month_name(*month);
        page.kpis = vec![
            Kpi::new("Faturado", sum(|l| l.charge).format_brl(), name.clone()),
            Kpi::new("Descontos", sum(|l| l.credit).format_brl(), format!("por indisponibilidade em {name}")),
            Kpi::new("Líquido", sum(|l| l.net).format_brl(), format!("a pagar por {name}")),
            Kpi::new("Acessos faturados", count(lines.len() as i64), name),
        ];
    }
    page.sections.push(
        DetailSection::new("Relatórios de faturamento")
            .id("relatorios")
            .note(format!(
                "Os meses fechados entre os últimos {MONTHS_SHOWN} e o mês passado (prévia, se ainda não \
                 foi fechado): um relatório por operadora ou consórcio."
            ))
            .grid(
                MonthReports { agency: agency_id }
                    .grid("relatorios", &reports)
                    .empty_text("Nenhum acesso faturado nesses meses."),
            ),
    );
    let access_rows = app
        .list_accesses(
            actor,
            InventoryFilter { agency_id: Some(agency_id), ..Default::default() },
            Page::all(),
        )
        .await?
        .items;
    let accesses: HashMap<AccessId, AccessRow> = access_rows.into_iter().map(|a| (a.access.id, a)).collect();
    let (matrix, grid, total) = availability_matrix(&months, &accesses);
    let mut chart = DetailSection::new("Disponibilidade por acesso").id("disponibilidade").grid(grid);
    chart.note = if total > CHART_ROWS {
        format!("Os {CHART_ROWS} acessos de menor disponibilidade, de {} faturados.", count(total as i64))
    } else {
        "Cada acesso em cada mês; abaixo da meta em vermelho. Clique num acesso para ver o porquê dos descontos.".into()
    };
    chart.matrix = Some(matrix);
    page.sections.push(chart);
    Ok(render(&page))
}

// ----- the report -----

struct ReportLines {
    month: Month,
}

impl Listing for ReportLines {
    type Item = BillingLine;
    const COLUMNS: &'static [Column] = &[
        Column::both("Designação"),
        Column::both("Local"),
        Column::both("Lote"),
        Column::both("Serviço"),
        Column::both("Tempo faturável"),
        Column::both("Indisponibilidade"),
        Column::both("Disponibilidade"),
        Column::both("Faturado"),
        Column::both("Desconto"),
        Column::both("Líquido"),
    ];

    fn cells(&self, l: &BillingLine) -> Vec<Col> {
        vec![
            Col::text(&l.designation)
                .link(format!("/acessos/{}?mes={}#disponibilidade", l.access_id, self.month)),
            Col::text(if l.site.is_empty() {
                l.municipality.clone()
            } else {
                format!("{} — {}", l.site, l.municipality)
            }),
            Col::text(&l.lot),
            Col::text(&l.service),
            Col { numeric: true, ..Col::text(duration(l.billable_seconds)) },
            Col { numeric: true, ..Col::text(duration(l.downtime_seconds)) },
            Col { numeric: true, ..Col::text(format!("{} %", l.availability_percent.replace('.', ","))) },
            Col::money(l.charge),
            Col::money(l.credit),
            Col::money(l.net),
        ]
    }
}

/// The totals row under the lines: the sums the report prints.
fn totals_row(r: &BillingReport) -> Vec<Col> {
    let mut row = vec![Col::text("Total")];
    row.extend((0..6).map(|_| Col::text("")));
    let (charge, credit): (Money, Money) =
        (r.lines.iter().map(|l| l.charge).sum(), r.lines.iter().map(|l| l.credit).sum());
    row.extend([Col::money(charge), Col::money(credit), Col::money(charge - credit)]);
    row
}

struct AdjustmentLines;

impl Listing for AdjustmentLines {
    type Item = AdjustmentLine;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nº"),
        Column::both("Designação"),
        Column::both("Mês corrigido"),
        Column::both("Motivo"),
        Column::both("Desconto adicional"),
    ];

    fn cells(&self, a: &AdjustmentLine) -> Vec<Col> {
        vec![
            Col::id(a.id),
            Col::text(&a.designation).link(format!("/acessos/{}", a.access_id)),
            Col::text(&a.refers_to),
            Col::text(&a.reason),
            Col::money(a.credit),
        ]
    }
}

struct DeductionLines;

impl Listing for DeductionLines {
    type Item = DeductionLine;
    const COLUMNS: &'static [Column] =
        &[Column::both("Tipo"), Column::both("Referência"), Column::both("Valor")];

    fn cells(&self, d: &DeductionLine) -> Vec<Col> {
        vec![Col::text(d.kind.label()), Col::text(&d.description), Col::money(d.amount)]
    }
}

struct Parts;

impl Listing for Parts {
    type Item = MemberPart;
    const COLUMNS: &'static [Column] = &[
        Column::both("Consorciada"),
        Column::both("CNPJ"),
        Column::both("Participação"),
        Column::both("Faturado"),
        Column::both("Descontos"),
        Column::both("Multas e contestações"),
        Column::both("Líquido"),
    ];

    fn cells(&self, p: &MemberPart) -> Vec<Col> {
        vec![
            Col::text(&p.member.name).link(format!("/operadoras/{}", p.member.id)),
            Col::text(&p.member.cnpj),
            Col { numeric: true, ..Col::text(format_percent_bp(p.share_basis_points)) },
            Col::money(p.charge),
            Col::money(p.credit),
            Col::money(p.deductions),
            Col::money(p.net),
        ]
    }
}

fn report_page(
    user: &PortalUser,
    r: &BillingReport,
    month: Month,
    agency: AgencyId,
    holder: LotHolder,
) -> DetailPage {
    let mut page = DetailPage::new(user, Section::Billing, "Relatório Consolidado do Faturamento".into());
    page.subtitle = format!("{} × {} — {}", r.agency.name, r.holder.name, month_name(month));
    if !r.closed {
        page.notice = Some(Notice {
            class: "alert-info",
            text: "Prévia: o mês ainda não foi fechado e os valores podem mudar até o fechamento.".into(),
        });
    }
    let [_, pdf, csv, xlsx] = report_links(month, agency, holder);
    page.actions = vec![
        LinkButton::primary("Baixar PDF", pdf),
        LinkButton::secondary("Baixar CSV", csv),
        LinkButton::secondary("Baixar XLSX", xlsx),
        LinkButton::secondary("Faturamento do órgão", format!("/faturamento?agency={agency}")),
    ];
    let party = |name: &str, cnpj: &str| {
        if cnpj.is_empty() { name.to_string() } else { format!("{name} (CNPJ {cnpj})") }
    };
    page.facts = vec![
        Fact::new("Mês", Col::text(month_title(month)).link(format!("/meses/{month}"))),
        Fact::new(
            "Situação",
            if r.closed {
                Col::text("Mês fechado").badge("month-closed")
            } else {
                Col::text("Prévia").badge("month-open")
            },
        ),
        Fact::new(
            "Órgão",
            Col::text(party(&r.agency.name, &r.agency.cnpj)).link(format!("/orgaos/{agency}")),
        ),
        Fact::text(
            match holder {
                LotHolder::Operator(_) => "Operadora",
                LotHolder::Consortium(_) => "Consórcio",
            },
            party(&r.holder.name, &r.holder.cnpj),
        ),
        Fact::text("Contrato", &r.contract),
    ];
    let t = &r.totals;
    page.kpis = vec![
        Kpi::new("Faturado", t.charge.format_brl(), format!("{} acesso(s)", count(r.lines.len() as i64))),
        Kpi::new("Descontos", t.credit.format_brl(), "por indisponibilidade"),
        Kpi::new("Líquido", t.net.format_brl(), "faturado − descontos"),
    ];
    if !r.adjustments.is_empty() {
        page.kpis.insert(2, Kpi::new("Ajustes", t.adjustments.format_brl(), "correções de meses fechados"));
    }
    if !r.deductions.is_empty() {
        let at = page.kpis.len() - 1;
        page.kpis
            .insert(at, Kpi::new("Multas e contestações", t.deductions.format_brl(), "parcelas e créditos"));
    }
    if let Some(net) = page.kpis.last_mut() {
        net.note = match (r.adjustments.is_empty(), r.deductions.is_empty()) {
            (true, true) => "faturado − descontos",
            (false, true) => "faturado − descontos − ajustes",
            (true, false) => "faturado − descontos − multas e contestações",
            (false, false) => "faturado − descontos − ajustes − multas e contestações",
        }
        .into();
    }
    let mut lines = ReportLines { month }.grid("linhas", &r.lines).empty_text("Nenhum acesso no relatório.");
    if !r.lines.is_empty() {
        lines.rows.push(totals_row(r));
        lines.row_classes.resize(lines.rows.len() - 1, "");
        lines.row_classes.push("row-total");
    }
    page.sections.push(
        DetailSection::new("Acessos")
            .id("acessos")
            .note("Valores por acesso; o total é a soma das linhas.")
            .grid(lines),
    );
    if !r.adjustments.is_empty() {
        page.sections.push(
            DetailSection::new("Ajustes de meses fechados")
                .id("ajustes")
                .grid(AdjustmentLines.grid("ajustes", &r.adjustments)),
        );
    }
    if !r.deductions.is_empty() {
        page.sections.push(
            DetailSection::new("Multas e contestações")
                .id("deducoes")
                .note("Parcelas de multas rateadas pelo valor faturado de cada órgão e créditos de contestações procedentes.")
                .grid(DeductionLines.grid("deducoes", &r.deductions)),
        );
    }
    if !r.parts.is_empty() {
        page.sections.push(
            DetailSection::new("Partes das consorciadas")
                .id("partes")
                .note("Divididas pela participação de cada consorciada, ao centavo; as partes somam o total.")
                .grid(Parts.grid("partes", &r.parts)),
        );
    }
    page
}

pub async fn report(
    State(state): State<WebState>,
    user: PortalUser,
    Path((month, agency, holder)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let month = super::months::month_param(&month)?;
    let agency = AgencyId(parse_id(&agency)?);
    let holder = parse_holder(&holder).ok_or_else(PageError::not_found)?;
    let (app, actor) = (&state.app, user.actor());
    let report = app.billing_report(actor, month, agency, holder).await?;
    // A report exists where the agency has accesses of that holder.
    if report.lines.is_empty() && report.adjustments.is_empty() && report.deductions.is_empty() {
        return Err(PageError::not_found());
    }
    let q = ListQuery::parse(raw.as_deref());
    if let Some(format) = q.text("formato").and_then(|f| BillingFormat::parse(&f)) {
        return Ok(billing_download(&report, format, app.now()));
    }
    Ok(render(&report_page(&user, &report, month, agency, holder)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_in_paths_round_trip() {
        for holder in [LotHolder::Operator(OperatorId(5)), LotHolder::Consortium(ConsortiumId(3))] {
            assert_eq!(parse_holder(&holder_segment(holder)), Some(holder));
        }
        for bad in ["operadora", "operadora-x", "consorcio-0", "lote-1", ""] {
            assert_eq!(parse_holder(bad), None, "{bad}");
        }
        let links =
            report_links(Month { year: 2026, month: 2 }, AgencyId(4), LotHolder::Operator(OperatorId(5)));
        assert_eq!(links[0], "/faturamento/2026-02/4/operadora-5");
        assert_eq!(links[1], "/faturamento/2026-02/4/operadora-5?formato=pdf");
        assert_eq!(links[3], "/faturamento/2026-02/4/operadora-5?formato=xlsx");
    }
}
