//! The monthly closing on the portal: "Meses" (closed months and the recent
//! open ones), a month's page — status (preview or closed, with the inputs
//! fingerprint and the rules version), totals, availability and IMR
//! breaches per lot, the breaches, the billing reports with their
//! downloads, the adjustments, the measurements — the "Fechar mês" button
//! for the contract manager and admin, and the measurement list of a month
//! with its CSV/XLSX export.
//!
//! Results come from `App::month_results`: the stored snapshot of a closed
//! month, a preview computed on the spot for an open one, scoped to the
//! actor either way.

use super::billing::report_links;
use super::charts::{BarChart, BarInput};
use super::details::{DetailPage, DetailSection, Notice};
use super::fetch::{self, Holders};
use super::formkit::{ActionForm, ButtonKind, Field, SubmitButton, Values, created, submitted};
use super::lists::{ListSpec, agency_filter, agency_param, filters_by_agency, lot_param, respond};
use super::localtime::{
    current_month, duration, has_ended, month_name, month_title, months_back, percent_micro,
};
use super::paging::{ListQuery, PER_PAGE};
use super::view::{Col, Column, Fact, FilterField, Kpi, LinkButton, Listing, count, natural_key};
use super::{Section, forbidden, may_create, render, render_status};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use redegov_app::authz::Resource;
use redegov_app::closing::{BillingIndexRow, MonthResults};
use redegov_app::{Adjustment, AppError, ClosingBreach, ClosingLine, ClosingRecord, LineFilter};
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::{AccessId, AgencyId, LotId};
use redegov_domain::imr::availability_micro;
use redegov_domain::inventory::Lot;
use redegov_domain::measure::Month;
use redegov_domain::money::Money;
use redegov_domain::time::{format_local, from_epoch};
use std::collections::{BTreeSet, HashMap};

/// A month from the path (`2026-02`); anything else is a page that does
/// not exist.
pub(super) fn month_param(text: &str) -> Result<Month, PageError> {
    Month::parse(text).filter(|m| m.to_string() == text).ok_or_else(PageError::not_found)
}

// ----- Meses -----

/// A month on the list: closed, or open (with no totals until opened).
struct MonthRow {
    month: Month,
    closing: Option<ClosingRecord>,
    ended: bool,
}

struct MonthRows;

impl Listing for MonthRows {
    type Item = MonthRow;
    const COLUMNS: &'static [Column] = &[
        Column::both("Mês"),
        Column::both("Situação"),
        Column::both("Acessos"),
        Column::both("Faturado"),
        Column::both("Descontos"),
        Column::both("Líquido"),
        Column::both("Fechado em"),
        Column::page_only("Impressão digital"),
        Column::export_only("Impressão digital dos dados"),
        Column::both("Versão das regras"),
    ];

    fn cells(&self, r: &MonthRow) -> Vec<Col> {
        let month = Col::text(month_title(r.month)).link(format!("/meses/{}", r.month));
        match &r.closing {
            Some(c) => vec![
                month,
                Col::text("Fechado").badge("month-closed"),
                Col::int(c.accesses),
                Col::money(c.charge),
                Col::money(c.credit),
                Col::money(c.net),
                Col::text(format_local(c.closed_at)),
                Col::text(c.inputs_fingerprint.chars().take(12).collect::<String>()),
                Col::text(&c.inputs_fingerprint),
                Col::text(&c.rules_version),
            ],
            None => {
                let (label, class) = if r.ended {
                    ("Aberto — a fechar", "month-open")
                } else {
                    ("Em curso", "month-current")
                };
                let mut cells = vec![month, Col::text(label).badge(class)];
                cells.extend((0..8).map(|_| Col::text("")));
                cells
            }
        }
    }

    fn row_class(&self, r: &MonthRow) -> &'static str {
        if r.closing.is_none() && r.ended { "row-open" } else { "" }
    }
}

/// How many recent months the list offers even when open.
const RECENT_MONTHS: usize = 6;

pub async fn list(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    let now = app.now();
    let closings = app.list_closings(actor).await?;
    let mut rows: Vec<MonthRow> = closings
        .into_iter()
        .filter_map(|c| Month::parse(&c.month).map(|month| MonthRow { month, closing: Some(c), ended: true }))
        .collect();
    for month in months_back(current_month(now), RECENT_MONTHS) {
        if !rows.iter().any(|r| r.month == month) {
            rows.push(MonthRow { month, closing: None, ended: has_ended(month, now) });
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.month));
    let total = rows.len() as i64;
    let page = q.fetch();
    let size = |n: i64| usize::try_from(n).unwrap_or(usize::MAX);
    let shown: Vec<MonthRow> =
        rows.into_iter().skip(size(page.offset())).take(size(page.page_size)).collect();
    let spec = ListSpec {
        section: Section::Months,
        heading: "Meses".into(),
        path: "/meses".into(),
        file: "meses".into(),
        table_id: "meses",
        filters: Vec::new(),
        actions: Vec::new(),
    };
    Ok(respond(&user, &q, spec, &MonthRows, &shown, total))
}

// ----- lines, lots and breaches -----

/// Names for the ids on a month's lines.
struct Names {
    lots: HashMap<LotId, Lot>,
    agencies: HashMap<AgencyId, String>,
}

impl Names {
    async fn load(state: &WebState, user: &PortalUser) -> Result<Names, PageError> {
        let (app, actor) = (&state.app, user.actor());
        let lots = fetch::lots(app, actor).await?.into_iter().map(|l| (l.id, l)).collect();
        let agencies = fetch::agency_choices(app, actor)
            .await?
            .into_iter()
            .map(|(id, acronym, _)| (id, acronym))
            .collect();
        Ok(Names { lots, agencies })
    }

    fn lot(&self, id: LotId) -> Col {
        let code = self.lots.get(&id).map(|l| l.code.clone()).unwrap_or_else(|| id.to_string());
        Col::text(code).link(format!("/lotes/{id}"))
    }

    fn agency(&self, id: AgencyId) -> Col {
        let acronym = self.agencies.get(&id).cloned().unwrap_or_else(|| id.to_string());
        Col::text(acronym).link(format!("/orgaos/{id}"))
    }
}

/// The measurement of each access: one row per line.
struct Lines<'a> {
    month: Month,
    names: &'a Names,
    /// Accesses below their availability target.
    breached: BTreeSet<AccessId>,
}

impl Listing for Lines<'_> {
    type Item = ClosingLine;
    const COLUMNS: &'static [Column] = &[
        Column::both("Acesso"),
        Column::both("Órgão"),
        Column::both("Lote"),
        Column::both("Preço mensal"),
        Column::page_only("Tempo faturável"),
        Column::page_only("Indisponibilidade"),
        Column::export_only("Segundos faturáveis"),
        Column::export_only("Segundos indisponíveis"),
        Column::both("Disponibilidade"),
        Column::both("Meta"),
        Column::both("Faturado"),
        Column::both("Desconto"),
        Column::both("Líquido"),
        Column::both("Multa proposta"),
    ];

    fn cells(&self, l: &ClosingLine) -> Vec<Col> {
        vec![
            Col::id(l.access_id.0)
                .link(format!("/acessos/{}?mes={}#disponibilidade", l.access_id, self.month)),
            self.names.agency(l.agency_id),
            self.names.lot(l.lot_id),
            Col::money(l.monthly_price),
            Col::text(duration(l.billable_seconds)),
            Col::text(duration(l.downtime_seconds)),
            Col::int(l.billable_seconds),
            Col::int(l.downtime_seconds),
            Col { numeric: true, ..Col::text(percent_micro(l.availability_micro)) },
            Col { numeric: true, ..Col::text(percent_micro(l.target_micro)) },
            Col::money(l.charge),
            Col::money(l.credit),
            Col::money(l.net),
            Col::money(l.penalty),
        ]
    }

    fn row_class(&self, l: &ClosingLine) -> &'static str {
        if self.breached.contains(&l.access_id) { "row-breach" } else { "" }
    }
}

fn availability_breaches(breaches: &[ClosingBreach]) -> BTreeSet<AccessId> {
    breaches.iter().filter(|b| b.kind == "availability").map(|b| b.access_id).collect()
}

/// One lot's part of a month.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LotTotal {
    lot_id: LotId,
    accesses: i64,
    billable_seconds: i64,
    downtime_seconds: i64,
    availability_micro: i64,
    /// The lowest availability target among its accesses.
    target_micro: i64,
    breaches: i64,
    charge: Money,
    credit: Money,
    net: Money,
    penalty: Money,
}

/// Adds the lines up per lot: availability is that of the lot's billable
/// time as a whole; money columns are sums of the lines.
fn per_lot(lines: &[ClosingLine], breaches: &[ClosingBreach], names: &Names) -> Vec<LotTotal> {
    let mut lots: Vec<LotTotal> = Vec::new();
    let lot_of: HashMap<AccessId, LotId> = lines.iter().map(|l| (l.access_id, l.lot_id)).collect();
    for l in lines {
        let at = match lots.iter().position(|t| t.lot_id == l.lot_id) {
            Some(at) => at,
            None => {
                lots.push(LotTotal {
                    lot_id: l.lot_id,
                    accesses: 0,
                    billable_seconds: 0,
                    downtime_seconds: 0,
                    availability_micro: 0,
                    target_micro: l.target_micro,
                    breaches: 0,
                    charge: Money::ZERO,
                    credit: Money::ZERO,
                    net: Money::ZERO,
                    penalty: Money::ZERO,
                });
                lots.len() - 1
            }
        };
        let t = &mut lots[at];
        t.accesses += 1;
        t.billable_seconds += l.billable_seconds;
        t.downtime_seconds += l.downtime_seconds;
        t.target_micro = t.target_micro.min(l.target_micro);
        t.charge += l.charge;
        t.credit += l.credit;
        t.net += l.net;
        t.penalty += l.penalty;
    }
    for b in breaches {
        if let Some(t) = lot_of.get(&b.access_id).and_then(|lot| lots.iter_mut().find(|t| t.lot_id == *lot)) {
            t.breaches += 1;
        }
    }
    for t in &mut lots {
        t.availability_micro =
            availability_micro(t.billable_seconds - t.downtime_seconds, t.billable_seconds);
    }
    let code = |id: &LotId| names.lots.get(id).map(|l| natural_key(&l.code));
    lots.sort_by_key(|t| code(&t.lot_id));
    lots
}

struct LotRows<'a> {
    names: &'a Names,
    holders: &'a Holders,
}

impl Listing for LotRows<'_> {
    type Item = LotTotal;
    const COLUMNS: &'static [Column] = &[
        Column::both("Lote"),
        Column::both("Titular"),
        Column::both("Acessos"),
        Column::both("Indisponibilidade"),
        Column::both("Disponibilidade"),
        Column::both("Violações de IMR"),
        Column::both("Faturado"),
        Column::both("Descontos"),
        Column::both("Líquido"),
        Column::both("Multas propostas"),
    ];

    fn cells(&self, t: &LotTotal) -> Vec<Col> {
        let holder =
            self.names.lots.get(&t.lot_id).map(|l| self.holders.name(l.holder).0).unwrap_or_default();
        vec![
            self.names.lot(t.lot_id),
            Col::text(holder),
            Col::int(t.accesses),
            Col::text(duration(t.downtime_seconds)),
            Col { numeric: true, ..Col::text(percent_micro(t.availability_micro)) },
            Col::int(t.breaches),
            Col::money(t.charge),
            Col::money(t.credit),
            Col::money(t.net),
            Col::money(t.penalty),
        ]
    }

    fn row_class(&self, t: &LotTotal) -> &'static str {
        if t.breaches > 0 { "row-breach" } else { "" }
    }
}

/// Availability per lot, on a scale that starts a whole percent below the
/// lowest value so that differences near 100 % show.
fn availability_chart(month: Month, lots: &[LotTotal], names: &Names) -> BarChart {
    let lowest = lots.iter().map(|t| t.availability_micro.min(t.target_micro)).min().unwrap_or(1_000_000);
    let floor = ((lowest / 10_000) - 1).max(0) * 10_000;
    let bars = lots
        .iter()
        .map(|t| BarInput {
            label: format!("Lote {}", names.lots.get(&t.lot_id).map(|l| l.code.as_str()).unwrap_or("?")),
            value: t.availability_micro,
            value_text: percent_micro(t.availability_micro),
            class: if t.availability_micro < t.target_micro { "breach".into() } else { "ok".into() },
            href: Some(format!("/meses/{month}/apuracao?lot={}", t.lot_id)),
        })
        .collect();
    BarChart::horizontal_from(
        format!("Disponibilidade por lote (escala de {} a 100 %)", floor / 10_000),
        bars,
        floor,
        1_000_000,
    )
}

struct BreachRows<'a> {
    names: &'a Names,
    lots: HashMap<AccessId, LotId>,
    /// The month's breaches link to a new penalty process citing them
    /// (for roles that open processes, once the month is closed).
    cite_in: Option<Month>,
}

impl Listing for BreachRows<'_> {
    type Item = ClosingBreach;
    const COLUMNS: &'static [Column] = &[
        Column::both("Acesso"),
        Column::both("Lote"),
        Column::both("Indicador"),
        Column::both("Medido"),
        Column::both("Meta ou limite"),
        Column::both("Incidente ou ordem"),
        Column::page_only("Multa"),
    ];

    fn cells(&self, b: &ClosingBreach) -> Vec<Col> {
        let (indicator, measured, target) = super::penalties::breach_texts(&b.kind, b.measured, b.target);
        let lot = self.lots.get(&b.access_id).map(|l| self.names.lot(*l)).unwrap_or_else(|| Col::text(""));
        let cite = match self.cite_in {
            Some(month) => {
                let reference = b.incident_id.map(|i| i.0).or(b.order_id.map(|o| o.0));
                let line = format!(
                    "{month};{};{}{}",
                    b.access_id,
                    b.kind,
                    reference.map(|r| format!(";{r}")).unwrap_or_default()
                );
                let query = serde_urlencoded::to_string([("breaches", line)]).unwrap_or_default();
                Col::text("Abrir processo").link(format!("/multas/nova?{query}"))
            }
            None => Col::text(""),
        };
        vec![
            Col::id(b.access_id.0).link(format!("/acessos/{}", b.access_id)),
            lot,
            Col::text(indicator),
            Col { numeric: true, ..Col::text(measured) },
            Col { numeric: true, ..Col::text(target) },
            match (b.incident_id, b.order_id) {
                (Some(i), _) => Col::id(i.0).link(format!("/incidentes/{i}")),
                (None, Some(o)) => Col::text(format!("OS #{o}")).link(format!("/ordens/{o}")),
                (None, None) => Col::text(""),
            },
            cite,
        ]
    }
}

/// The billing reports of a month, with their downloads.
struct ReportRows {
    month: Month,
}

impl Listing for ReportRows {
    type Item = BillingIndexRow;
    const COLUMNS: &'static [Column] = &[
        Column::both("Órgão"),
        Column::both("Operadora ou consórcio"),
        Column::both("Acessos"),
        Column::both("Faturado"),
        Column::both("Descontos"),
        Column::both("Líquido"),
        Column::page_only("PDF"),
        Column::page_only("CSV"),
        Column::page_only("XLSX"),
    ];

    fn cells(&self, r: &BillingIndexRow) -> Vec<Col> {
        let [view, pdf, csv, xlsx] = report_links(self.month, r.agency_id, r.holder);
        vec![
            Col::text(&r.agency_name).link(view),
            Col::text(&r.holder_name),
            Col::int(r.accesses),
            Col::money(r.charge),
            Col::money(r.credit),
            Col::money(r.net),
            Col::text("PDF").link(pdf),
            Col::text("CSV").link(csv),
            Col::text("XLSX").link(xlsx),
        ]
    }
}

struct AdjustmentRows;

impl Listing for AdjustmentRows {
    type Item = Adjustment;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nº"),
        Column::both("Acesso"),
        Column::both("Mês corrigido"),
        Column::both("Motivo"),
        Column::both("Desconto adicional"),
        Column::both("Registrado em"),
    ];

    fn cells(&self, a: &Adjustment) -> Vec<Col> {
        vec![
            Col::id(a.id.0),
            Col::id(a.access_id.0).link(format!("/acessos/{}", a.access_id)),
            Col::text(&a.refers_to).link(format!("/meses/{}", a.refers_to)),
            Col::text(&a.reason),
            Col::money(a.credit),
            Col::text(format_local(a.created_at)),
        ]
    }
}

// ----- the month's page -----

fn sum(lines: &[ClosingLine], f: fn(&ClosingLine) -> Money) -> Money {
    lines.iter().map(f).sum()
}

fn kpis(r: &MonthResults) -> Vec<Kpi> {
    let billable: i64 = r.lines.iter().map(|l| l.billable_seconds).sum();
    let down: i64 = r.lines.iter().map(|l| l.downtime_seconds).sum();
    vec![
        Kpi::new(
            "Faturado",
            sum(&r.lines, |l| l.charge).format_brl(),
            format!("{} acesso(s)", count(r.lines.len() as i64)),
        ),
        Kpi::new(
            "Descontos",
            sum(&r.lines, |l| l.credit).format_brl(),
            format!("{} de indisponibilidade", duration(down)),
        ),
        Kpi::new("Líquido", sum(&r.lines, |l| l.net).format_brl(), "faturado menos descontos"),
        Kpi::new(
            "Multas propostas",
            sum(&r.lines, |l| l.penalty).format_brl(),
            format!("{} violação(ões) de IMR", count(r.breaches.len() as i64)),
        ),
        Kpi::new(
            "Disponibilidade",
            percent_micro(availability_micro(billable - down, billable)),
            "da rede no mês",
        ),
    ]
}

/// The "Fechar mês" form.
fn close_form(user: &PortalUser, month: Month, values: &Values) -> ActionForm {
    let mut form = ActionForm::new("fechar", format!("/meses/{month}/fechar"), user);
    form.intro = format!(
        "Fechar grava os resultados de {} com a impressão digital dos dados; depois disso eles não mudam \
         mais, e correções entram como ajustes em um mês aberto.",
        month_name(month)
    );
    let mut confirm = Field::new("confirmar", "Confirmação", "checkbox", values);
    confirm.shown = format!(
        "Confirmo o fechamento de {}: os incidentes, manutenções e regras do mês estão conferidos.",
        month_name(month)
    );
    form.fields.push(confirm);
    form.buttons
        .push(SubmitButton::new("acao", "fechar", "Fechar mês", "fechar-mes").kind(ButtonKind::Danger));
    form
}

async fn month_page(
    state: &WebState,
    user: &PortalUser,
    month: Month,
    refusal: Option<(Values, FieldError)>,
) -> Result<DetailPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let now = app.now();
    let results = app.month_results(actor, month, LineFilter::default()).await?;
    let names = Names::load(state, user).await?;
    let operators = app.list_operators(actor, Default::default(), redegov_app::Page::all()).await?.items;
    let consortia = app.list_consortia(actor, Default::default(), redegov_app::Page::all()).await?.items;
    let holders = Holders::from_lists(&operators, &consortia);
    let mut page = DetailPage::new(user, Section::Months, month_title(month));
    page.kpis = kpis(&results);
    let status = match &results.closing {
        Some(c) => {
            page.subtitle = format!("Mês fechado em {}", format_local(c.closed_at));
            page.notice = Some(Notice {
                class: "alert-ok",
                text: "Mês fechado: os números abaixo são o retrato gravado no fechamento e não mudam mais. \
                       Correções entram como ajustes em um mês aberto."
                    .into(),
            });
            Col::text("Fechado").badge("month-closed")
        }
        None => {
            page.subtitle = "Prévia: mês aberto".into();
            page.notice = Some(Notice {
                class: "alert-info",
                text: format!(
                    "Prévia calculada agora ({}): os números mudam enquanto incidentes, manutenções e regras \
                     do mês mudarem, até o fechamento.",
                    format_local(now)
                ),
            });
            Col::text("Prévia").badge("month-open")
        }
    };
    let span = redegov_domain::measure::month_bounds(month);
    page.facts = vec![
        Fact::new("Situação", status),
        Fact::text(
            "Período",
            format!("{} a {}", format_local(from_epoch(span.start)), format_local(from_epoch(span.end))),
        ),
        Fact::text("Impressão digital dos dados (SHA-256)", &results.inputs_fingerprint),
        Fact::text("Versão das regras", &results.rules_version),
    ];
    if let Some(c) = &results.closing {
        page.facts.push(Fact::text("Fechado em", format_local(c.closed_at)));
    }
    page.actions.push(LinkButton::secondary("Todos os meses", "/meses"));

    let lots = per_lot(&results.lines, &results.breaches, &names);
    let mut by_lot = DetailSection::new("Por lote")
        .id("por-lote")
        .note("Disponibilidade do tempo faturável somado dos acessos do lote; valores são somas das linhas.")
        .grid(
            LotRows { names: &names, holders: &holders }
                .grid("por-lote", &lots)
                .empty_text("Nenhum acesso faturável no mês."),
        );
    if !lots.is_empty() {
        by_lot = by_lot.chart(availability_chart(month, &lots, &names));
    }
    page.sections.push(by_lot);

    let lot_of: HashMap<AccessId, LotId> = results.lines.iter().map(|l| (l.access_id, l.lot_id)).collect();
    page.sections.push(
        DetailSection::new("Violações de IMR")
            .id("violacoes")
            .note(format!("{} violação(ões) no mês.", count(results.breaches.len() as i64)))
            .grid(
                BreachRows {
                    names: &names,
                    lots: lot_of,
                    cite_in: (results.closing.is_some() && may_create(user, Resource::Penalty))
                        .then_some(month),
                }
                .grid("violacoes", &results.breaches)
                .empty_text("Nenhuma violação de IMR no mês."),
            ),
    );

    let index = app.billing_index_of(&results).await?;
    page.sections.push(
        DetailSection::new("Relatórios de faturamento")
            .id("relatorios")
            .note("Um relatório por órgão e operadora (ou consórcio), com download em PDF, CSV e XLSX.")
            .grid(ReportRows { month }.grid("relatorios", &index).empty_text("Nenhum relatório no mês.")),
    );

    let adjustments = app.list_adjustments(actor, month, LineFilter::default()).await?;
    if !adjustments.is_empty() {
        page.sections.push(
            DetailSection::new("Ajustes aplicados neste mês")
                .id("ajustes")
                .grid(AdjustmentRows.grid("ajustes", &adjustments)),
        );
    }

    let breached = availability_breaches(&results.breaches);
    let shown: Vec<ClosingLine> = results.lines.iter().take(PER_PAGE as usize).cloned().collect();
    let path = format!("/meses/{month}/apuracao");
    let mut measurements = DetailSection::new("Apuração por acesso")
        .id("apuracao")
        .grid(
            Lines { month, names: &names, breached }
                .grid("apuracao", &shown)
                .empty_text("Nenhum acesso faturável no mês."),
        )
        .more_if(shown.len(), results.lines.len() as i64, "Ver a apuração completa", path.clone());
    measurements.links = vec![
        LinkButton::secondary("Exportar CSV", format!("{path}?formato=csv")),
        LinkButton::secondary("Exportar XLSX", format!("{path}?formato=xlsx")),
    ];
    page.sections.push(measurements);

    let mut refusal = refusal;
    if results.closing.is_none() && may_create(user, Resource::Closing) {
        let section = DetailSection::new("Fechar o mês").id("fechamento");
        let section = if has_ended(month, now) {
            let form = match refusal.take() {
                Some((values, e)) => close_form(user, month, &values).with_error(&e),
                None => close_form(user, month, &Values::default()),
            };
            section.form(form)
        } else {
            section.note(format!(
                "{} ainda não terminou: o fechamento fica disponível a partir de {}.",
                month_title(month),
                format_local(from_epoch(span.end))
            ))
        };
        page.sections.push(section);
    }
    // A refusal with no form to show it on (the month closed meanwhile).
    if let Some((_, e)) = refusal {
        page.notice = Some(Notice { class: "alert-error", text: format!("Mês: {}", e.rule.pt_br()) });
    }
    Ok(page)
}

pub async fn month(
    State(state): State<WebState>,
    user: PortalUser,
    Path(month): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let month = month_param(&month)?;
    let mut page = month_page(&state, &user, month, None).await?;
    if ListQuery::parse(raw.as_deref()).text("fechado").is_some() {
        page.notice =
            Some(Notice { class: "alert-ok", text: format!("{} foi fechado.", month_title(month)) });
    }
    Ok(render(&page))
}

pub async fn close(
    State(state): State<WebState>,
    user: PortalUser,
    Path(month): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let month = month_param(&month)?;
    if !may_create(&user, Resource::Closing) {
        return Err(forbidden());
    }
    let (app, actor) = (&state.app, user.actor());
    let result = if values.get("confirmar") != "sim" {
        Err(FieldError::new("confirmar", Rule::Other("marque a confirmação para fechar o mês".into())).into())
    } else if !has_ended(month, app.now()) {
        Err(FieldError::new("month", Rule::Other(format!("{} ainda não terminou", month_name(month)))).into())
    } else {
        app.close_month(actor, month, &|_, _, _| {}).await
    };
    match result {
        Ok(_) => created(format!("/meses/{month}?fechado=1")),
        Err(AppError::Invalid(e)) => {
            let page = month_page(&state, &user, month, Some((values, e))).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

// ----- the measurement list -----

pub async fn measurements(
    State(state): State<WebState>,
    user: PortalUser,
    Path(month): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let month = month_param(&month)?;
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    let names = Names::load(&state, &user).await?;
    let lots: Vec<Lot> = fetch::lots(app, actor).await?;
    let agencies =
        if filters_by_agency(actor) { fetch::agency_choices(app, actor).await? } else { Vec::new() };
    let lot_id = lot_param(&q, &lots);
    let agency_id = agency_param(&q, &agencies).filter(|_| filters_by_agency(actor));
    let filter = LineFilter { lot_id, agency_id, ..Default::default() };
    let results = app.month_results(actor, month, filter).await?;
    let total = results.lines.len() as i64;
    let page = q.fetch();
    let size = |n: i64| usize::try_from(n).unwrap_or(usize::MAX);
    let shown: Vec<ClosingLine> =
        results.lines.iter().skip(size(page.offset())).take(size(page.page_size)).cloned().collect();
    let mut filters = vec![FilterField::select(
        "lot",
        "Lote",
        lot_id.map(|l| l.to_string()),
        lots.iter().map(|l| (l.id.to_string(), l.code.clone())),
    )];
    if filters_by_agency(actor) {
        filters.push(agency_filter(agency_id, &agencies));
    }
    let state_word = if results.closing.is_some() { "fechado" } else { "prévia" };
    let spec = ListSpec {
        section: Section::Months,
        heading: format!("Apuração de {} ({state_word})", month_name(month)),
        path: format!("/meses/{month}/apuracao"),
        file: format!("apuracao-{month}"),
        table_id: "apuracao",
        filters,
        actions: vec![LinkButton::secondary("Voltar ao mês", format!("/meses/{month}"))],
    };
    let listing = Lines { month, names: &names, breached: availability_breaches(&results.breaches) };
    Ok(respond(&user, &q, spec, &listing, &shown, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(access: i64, lot: i64, billable: i64, down: i64, charge: i64, credit: i64) -> ClosingLine {
        ClosingLine {
            access_id: AccessId(access),
            agency_id: AgencyId(1),
            lot_id: LotId(lot),
            rules_id: None,
            monthly_price: Money::from_centavos(charge),
            period_seconds: billable,
            billable_seconds: billable,
            downtime_seconds: down,
            availability_micro: availability_micro(billable - down, billable),
            target_micro: 995_000,
            charge: Money::from_centavos(charge),
            credit: Money::from_centavos(credit),
            net: Money::from_centavos(charge - credit),
            penalty: Money::ZERO,
        }
    }

    #[test]
    fn months_in_paths_are_exactly_yyyy_mm() {
        assert_eq!(month_param("2026-02").ok(), Some(Month { year: 2026, month: 2 }));
        for bad in ["2026-2", "2026-13", "fevereiro", "2026-02-01"] {
            assert!(month_param(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lots_add_up_their_lines_and_breaches() {
        let names = Names { lots: HashMap::new(), agencies: HashMap::new() };
        let lines =
            [line(1, 1, 1000, 10, 10_000, 100), line(2, 1, 1000, 0, 5_000, 0), line(3, 2, 500, 0, 7_000, 0)];
        let breach = ClosingBreach {
            access_id: AccessId(1),
            incident_id: None,
            order_id: None,
            kind: "availability".into(),
            measured: 990_000,
            target: 995_000,
        };
        let lots = per_lot(&lines, &[breach], &names);
        assert_eq!(lots.len(), 2);
        let one = &lots[0];
        assert_eq!(
            (one.accesses, one.billable_seconds, one.downtime_seconds, one.breaches),
            (2, 2000, 10, 1)
        );
        assert_eq!(one.availability_micro, 995_000, "10 s down of 2000 s");
        assert_eq!((one.charge.centavos(), one.credit.centavos(), one.net.centavos()), (15_000, 100, 14_900));
        let chart = availability_chart(Month { year: 2026, month: 2 }, &lots, &names);
        assert!(chart.title.contains("escala de 98 a 100 %"), "{}", chart.title);
        assert_eq!(chart.bars[0].value_text, "99,5000 %");
    }
}
