//! "Disponibilidade e descontos", the section of an access's page that
//! answers "why was I discounted R$ 12,34?" for a month picked on the page:
//! every interval of every incident that touched the month — counted, or
//! excluded with its reason (maintenance, clock stop, responsibility,
//! overlap, outside the billable time) — and the arithmetic of the charge
//! and of the credit.
//!
//! The explanation is the domain's (`explain`), loaded and scoped by
//! `App::explain_access_month`; this module only lays it out.

use super::details::{DetailSection, Picker};
use super::localtime::{
    current_month, duration, month_name, month_title, months_back, percent_micro, span_text,
};
use super::paging::ListQuery;
use super::view::{Col, Column, Fact, LinkButton, Listing, Opt};
use crate::error::PageError;
use redegov_app::closing::AccessExplanation;
use redegov_app::{Actor, App};
use redegov_domain::explain::{TrailEntry, Verdict};
use redegov_domain::ids::AccessId;
use redegov_domain::measure::Month;
use redegov_domain::time::{format_local, from_epoch};

/// How many months back the picker offers (the current one included).
const PICKER_MONTHS: usize = 13;

struct Trail;

impl Listing for Trail {
    type Item = TrailEntry;
    const COLUMNS: &'static [Column] = &[
        Column::both("Incidente"),
        Column::both("Início"),
        Column::both("Fim"),
        Column::both("Duração"),
        Column::both("Conta?"),
        Column::both("Motivo"),
    ];

    fn cells(&self, e: &TrailEntry) -> Vec<Col> {
        let counted = e.verdict == Verdict::Counted;
        vec![
            Col::id(e.incident_id).link(format!("/incidentes/{}", e.incident_id)),
            Col::text(format_local(from_epoch(e.span.start))),
            Col::text(format_local(from_epoch(e.span.end))),
            Col { numeric: true, ..Col::text(duration(e.span.seconds())) },
            if counted { Col::text("Sim").badge("yes") } else { Col::text("Não").badge("no") },
            Col::text(e.verdict.pt_br()),
        ]
    }

    fn row_class(&self, e: &TrailEntry) -> &'static str {
        if e.verdict == Verdict::Counted { "row-counted" } else { "" }
    }
}

/// The month to explain: `?mes=AAAA-MM`, else the last month (the one
/// the latest invoice is about).
fn chosen_month(q: &ListQuery, current: Month) -> Month {
    q.text("mes").and_then(|m| Month::parse(&m)).unwrap_or(current.prev())
}

fn picker(access: AccessId, chosen: Month, current: Month) -> Picker {
    let mut months = months_back(current, PICKER_MONTHS);
    if !months.contains(&chosen) {
        months.push(chosen);
        months.sort_by(|a, b| b.cmp(a));
    }
    let value = chosen.to_string();
    let options = months.into_iter().map(|m| Opt::new(m.to_string(), month_title(m), &value)).collect();
    Picker {
        action: format!("/acessos/{access}#disponibilidade"),
        name: "mes",
        label: "Mês",
        options,
        keep: Vec::new(),
    }
}

/// The section, for the month the query asks for.
pub(super) async fn section(
    app: &App,
    actor: &Actor,
    access: AccessId,
    q: &ListQuery,
    may_report: bool,
) -> Result<DetailSection, PageError> {
    let current = current_month(app.now());
    let month = chosen_month(q, current);
    let why = app.explain_access_month(actor, access, month).await?;
    Ok(layout(&why, access, month, current, may_report))
}

fn layout(
    why: &AccessExplanation,
    access: AccessId,
    month: Month,
    current: Month,
    may_report: bool,
) -> DetailSection {
    let e = &why.explanation;
    let m = &e.measurement;
    let mut section = DetailSection::new("Disponibilidade e descontos").id("disponibilidade");
    section.picker = Some(picker(access, month, current));
    let mut notes = vec![match (&why.closed_line, month >= current) {
        (Some(_), _) => format!("{} está fechado: estes são os valores do fechamento.", month_title(month)),
        (None, true) => format!("{} está em curso: valores parciais, até agora.", month_title(month)),
        (None, false) => format!("{} ainda não foi fechado: prévia calculada agora.", month_title(month)),
    }];
    if why.granularity_seconds > 1 {
        notes.push(format!(
            "O contrato conta a indisponibilidade em múltiplos de {}.",
            duration(why.granularity_seconds)
        ));
    }
    if let Some(stored) = &why.closed_line
        && (stored.charge, stored.credit, stored.downtime_seconds) != (m.charge, m.credit, m.downtime_seconds)
    {
        notes.push(format!(
            "Atenção: o fechamento gravou faturado {}, desconto {} e {} de indisponibilidade, que diferem do \
             cálculo atual abaixo.",
            stored.charge.format_brl(),
            stored.credit.format_brl(),
            duration(stored.downtime_seconds)
        ));
    }
    section.note = notes.join(" ");
    let billable = match e.billable {
        Some(span) => span_text(&span),
        None => "o acesso não esteve ativo no mês".into(),
    };
    section.facts = vec![
        Fact::text("Período faturável", billable),
        Fact::text("Tempo faturável", duration(m.billable_seconds)),
        Fact::text("Indisponibilidade descontada", duration(m.downtime_seconds)),
        Fact::text("Disponibilidade", percent_micro(m.availability_micro)),
        Fact::new("Valor faturado", Col::money(m.charge)),
        Fact::new("Desconto", Col::money(m.credit)),
        Fact::new("Valor líquido", Col::money(m.net)),
    ];
    section.question = format!("Por que fui descontado {}?", m.credit.format_brl());
    section.formulas = vec![
        ("Valor faturado = preço mensal × tempo faturável ÷ tempo do mês", e.charge_formula()),
        ("Desconto = preço mensal × indisponibilidade ÷ tempo do mês", e.credit_formula()),
        (
            "Valor líquido = faturado − desconto",
            format!("{} − {} = {}", m.charge.format_brl(), m.credit.format_brl(), m.net.format_brl()),
        ),
    ];
    section.grid = Some(
        Trail.grid("intervalos", &e.entries).empty_text("Nenhum incidente tocou este mês: nada a descontar."),
    );
    section
        .links
        .push(LinkButton::secondary("Incidentes deste acesso", format!("/incidentes?access={access}")));
    if may_report {
        section.links.push(LinkButton::secondary(
            "Registrar incidente",
            format!("/incidentes/novo?access_id={access}"),
        ));
    }
    if !e.entries.is_empty() {
        let counted = e.entries.iter().filter(|x| x.verdict == Verdict::Counted).count();
        section.note.push_str(&format!(
            " Em {}: {} intervalo(s), {} contado(s) como indisponibilidade da operadora.",
            month_name(month),
            e.entries.len(),
            counted
        ));
    }
    section
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_month_is_the_last_one() {
        let march = Month { year: 2026, month: 3 };
        assert_eq!(chosen_month(&ListQuery::parse(None), march), Month { year: 2026, month: 2 });
        assert_eq!(
            chosen_month(&ListQuery::parse(Some("mes=2025-12")), march),
            Month { year: 2025, month: 12 }
        );
        assert_eq!(
            chosen_month(&ListQuery::parse(Some("mes=dezembro")), march),
            Month { year: 2026, month: 2 }
        );
        let p = picker(AccessId(3), Month { year: 2024, month: 1 }, march);
        assert_eq!(p.options.len(), PICKER_MONTHS + 1, "an older month asked for is offered too");
        assert!(p.options.last().is_some_and(|o| o.selected && o.value == "2024-01"));
    }
}
