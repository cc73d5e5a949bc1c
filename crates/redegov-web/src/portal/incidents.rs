//! Incidents (chamados), the NOC's daily work: the list with its filters
//! (open ones highlighted) and CSV/XLSX export, the "Novo incidente" form,
//! and the incident's page, where it is worked — status buttons the role
//! may use, end, ticket and notes, and (NOC and admin) the responsibility
//! and clock stops, a change of responsibility always with its
//! justification.
//!
//! Times are typed and shown in Brasília time (`dd/mm/aaaa hh:mm`). The app
//! decides who may do what and scopes every read; this module only offers
//! the buttons a role could use and turns the forms into use-case inputs.

use super::details::{DetailPage, DetailSection, history};
use super::fetch;
use super::formkit::{
    ActionForm, ButtonKind, Field, FormPage, SubmitButton, Values, code_choices, created, refused, require,
    submitted,
};
use super::lists::{ListSpec, agency_filter, agency_param, filters_by_agency, lot_param, respond};
use super::localtime::{
    DATE_TIME_HINT, duration, input_text, not_after_now, parse_local, parse_optional, parse_spans, spans_text,
};
use super::paging::ListQuery;
use super::view::{Col, Column, Fact, FilterField, LinkButton, Listing};
use super::{Chrome, Section, may_create, parse_id, render, render_status};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use redegov_app::authz::{Resource, may_write};
use redegov_app::incidents::{IncidentChange, IncidentInput};
use redegov_app::{AppError, IncidentFilter, IncidentRow};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::{AccessId, IncidentId};
use redegov_domain::incident::{
    Incident, IncidentSource, IncidentStatus, IncidentTiming, Responsibility, repair_seconds,
};
use redegov_domain::measure::union;
use redegov_domain::role::Role;
use redegov_domain::time::{Timestamp, format_local};
use std::collections::HashMap;
use std::net::IpAddr;

// ----- columns -----

/// The incident list's columns; `now` measures the open ones.
pub(super) struct Incidents {
    pub now: Timestamp,
}

/// An incident's status as a badge.
fn status_col(status: IncidentStatus) -> Col {
    Col::text(status.label()).badge(format!("inc-{}", status.as_str()))
}

/// How long an incident lasted, or has lasted so far.
fn elapsed(i: &Incident, now: Timestamp) -> (i64, String) {
    match i.ended_at {
        Some(end) => {
            let s = end.timestamp() - i.started_at.timestamp();
            (s, duration(s))
        }
        None => {
            let s = (now.timestamp() - i.started_at.timestamp()).max(0);
            (s, format!("{} (em aberto)", duration(s)))
        }
    }
}

impl Listing for Incidents {
    type Item = IncidentRow;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nº"),
        Column::both("Acesso"),
        Column::both("Órgão"),
        Column::both("Município"),
        Column::both("Lote"),
        Column::both("Início"),
        Column::both("Fim"),
        Column::page_only("Duração"),
        Column::export_only("Duração (s)"),
        Column::both("Responsabilidade"),
        Column::both("Situação"),
        Column::both("Origem"),
        Column::both("Chamado da operadora"),
        Column::export_only("Alvo"),
        Column::export_only("Causa"),
        Column::export_only("Paradas de relógio"),
        Column::export_only("Observações"),
    ];

    fn cells(&self, r: &IncidentRow) -> Vec<Col> {
        let i = &r.incident;
        let (seconds, text) = elapsed(i, self.now);
        vec![
            Col::id(i.id.0).link(format!("/incidentes/{}", i.id)),
            Col::id(i.access_id.0).link(format!("/acessos/{}", i.access_id)),
            Col::text(&r.agency_acronym).link(format!("/orgaos/{}", r.agency_id)),
            Col::text(&r.municipality_name),
            Col::text(&r.lot_code).link(format!("/lotes/{}", r.lot_id)),
            Col::text(format_local(i.started_at)),
            Col::text(i.ended_at.map(format_local).unwrap_or_else(|| "em aberto".into())),
            Col::text(text),
            Col::int(seconds),
            Col::text(i.responsibility.label()),
            status_col(i.status),
            Col::text(i.source.label()),
            Col::text(&i.ticket),
            Col::text(i.probe_target.map(|t| t.to_string()).unwrap_or_else(|| "todo o acesso".into())),
            Col::text(&i.cause),
            Col::text(spans_text(&i.clock_stops).replace('\n', "; ")),
            Col::text(&i.notes),
        ]
    }

    fn row_class(&self, r: &IncidentRow) -> &'static str {
        if r.incident.ended_at.is_none() { "row-open" } else { "" }
    }
}

// ----- the list -----

pub async fn list(
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
    let status = q.code("status", IncidentStatus::CODES);
    let responsibility = q.code("responsibility", Responsibility::CODES);
    let source = q.code("source", IncidentSource::CODES);
    let open_only = q.code("open", &["sim"]).is_some();
    let access_id = q.id("access").map(AccessId);
    let filter = IncidentFilter {
        access_id,
        agency_id,
        lot_id,
        status: status.clone(),
        source: source.clone(),
        responsibility: responsibility.clone(),
        open_only,
        ..Default::default()
    };
    let listed = app.list_incidents(actor, filter, q.fetch()).await?;
    let choices = |all: &[(&'static str, &'static str)]| -> Vec<(String, String)> {
        all.iter().map(|(c, l)| (c.to_string(), l.to_string())).collect()
    };
    let statuses: Vec<_> = IncidentStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect();
    let responsibilities: Vec<_> = Responsibility::ALL.iter().map(|r| (r.as_str(), r.label())).collect();
    let sources: Vec<_> = IncidentSource::ALL.iter().map(|s| (s.as_str(), s.label())).collect();
    let mut filters = vec![
        FilterField::select("status", "Situação", status, choices(&statuses)),
        FilterField::select("responsibility", "Responsabilidade", responsibility, choices(&responsibilities)),
        FilterField::select("source", "Origem", source, choices(&sources)),
        FilterField::select(
            "lot",
            "Lote",
            lot_id.map(|l| l.to_string()),
            lots.iter().map(|l| (l.id.to_string(), l.code.clone())),
        ),
    ];
    if filters_by_agency(actor) {
        filters.push(agency_filter(agency_id, &agencies));
    }
    filters.push(FilterField::select(
        "open",
        "Abertos",
        open_only.then(|| "sim".to_string()),
        [("sim".to_string(), "Somente os abertos".to_string())],
    ));
    filters.push(FilterField::search("access", "Acesso (nº)", access_id.map(|a| a.to_string()), "ex.: 42"));
    let mut actions = Vec::new();
    if may_create(&user, Resource::Incident) {
        actions.push(LinkButton::primary("Novo incidente", "/incidentes/novo"));
    }
    let spec = ListSpec {
        section: Section::Incidents,
        heading: "Incidentes".into(),
        path: "/incidentes".into(),
        file: "incidentes".into(),
        table_id: "incidentes",
        filters,
        actions,
    };
    Ok(respond(&user, &q, spec, &Incidents { now: app.now() }, &listed.items, listed.total))
}

// ----- Novo incidente -----

/// Operators record their own outages and agencies report theirs: both as
/// the operator's until the NOC classifies them.
fn classifies(role: Role) -> bool {
    !matches!(role, Role::Operator | Role::AgencyManager)
}

fn time_field(name: &'static str, label: &'static str, values: &Values) -> Field {
    Field::text(name, label, values).placeholder(DATE_TIME_HINT)
}

fn clock_stops_field(values: &Values) -> Field {
    Field {
        placeholder: "05/02/2026 09:00 – 05/02/2026 09:30",
        ..Field::new("clock_stops", "Paradas de relógio", "textarea", values)
    }
    .help("Uma por linha, início – fim: períodos aguardando o órgão, que não contam como indisponibilidade.")
}

fn responsibility_select(values: &Values) -> Field {
    Field::select(
        "responsibility",
        "Responsabilidade",
        values,
        code_choices(Responsibility::ALL, Responsibility::as_str, Responsibility::label),
    )
    .required()
}

async fn incident_form(state: &WebState, user: &PortalUser, values: &Values) -> FormPage {
    let (app, actor) = (&state.app, user.actor());
    let mut access = Field::new("access_id", "Acesso (nº)", "number", values)
        .required()
        .help("O número do acesso, que aparece na lista de Acessos.");
    if let Ok(id) = values.int("access_id")
        && let Ok(a) = app.get_access(actor, AccessId(id)).await
    {
        access.help = format!(
            "{} — {}, {} (lote {})",
            a.agency_acronym, a.site_address, a.municipality_name, a.lot_code
        );
    }
    let responsibility = if classifies(actor.role) {
        let mut field = responsibility_select(values);
        super::formkit::preselect(&mut field, Responsibility::Operator.as_str());
        field
    } else {
        let mut field = Field::new("responsibility", "Responsabilidade", "fixed", values);
        field.value = Responsibility::Operator.as_str().into();
        field.shown = format!("{} (o NOC confirma a classificação)", Responsibility::Operator.label());
        field
    };
    FormPage {
        chrome: Chrome::new(user, Section::Incidents, "Novo incidente"),
        heading: "Novo incidente".into(),
        intro: "Uma indisponibilidade de um acesso. Horários de Brasília, no formato dd/mm/aaaa hh:mm; \
                sem fim, o incidente fica aberto."
            .into(),
        action: "/incidentes/novo".into(),
        submit: "Registrar incidente",
        cancel: "/incidentes".into(),
        csrf: user.session.csrf_token.clone(),
        error: None,
        fields: vec![
            access,
            Field::text("probe_target", "Alvo (endereço monitorado)", values)
                .placeholder("ex.: 10.0.0.1")
                .help("Em branco: o acesso inteiro ficou fora. Informe um endereço só quando apenas aquele enlace caiu."),
            time_field("started_at", "Início", values).required(),
            time_field("ended_at", "Fim", values).help("Em branco enquanto o serviço não voltar."),
            responsibility,
            Field::text("cause", "Causa", values).placeholder("ex.: fibra rompida"),
            Field::text("ticket", "Chamado da operadora", values).placeholder("protocolo na operadora"),
            clock_stops_field(values),
            Field::new("notes", "Observações", "textarea", values),
        ],
        groups: Vec::new(),
        datalists: Vec::new(),
    }
}

/// A probe target as typed: blank is the whole access.
fn probe_target(v: &Values) -> Valid<Option<String>> {
    match v.get("probe_target") {
        "" => Ok(None),
        text => text
            .parse::<IpAddr>()
            .map(|ip| Some(ip.to_string()))
            .map_err(|_| FieldError::new("probe_target", Rule::Malformed("endereço IP, ex.: 10.0.0.1"))),
    }
}

fn parse_incident(role: Role, v: &Values, now: Timestamp) -> Valid<IncidentInput> {
    let access_id = AccessId(v.int("access_id")?);
    let probe_target = probe_target(v)?;
    let started_at = parse_local("started_at", v.get("started_at"))?;
    not_after_now("started_at", Some(started_at), now)?;
    let ended_at = parse_optional("ended_at", v.get("ended_at"))?;
    not_after_now("ended_at", ended_at, now)?;
    let responsibility = if classifies(role) {
        Responsibility::parse("responsibility", v.get("responsibility"))?
    } else {
        Responsibility::Operator
    };
    Ok(IncidentInput {
        access_id,
        probe_target,
        started_at,
        ended_at,
        responsibility,
        cause: v.get("cause").into(),
        ticket: v.get("ticket").into(),
        clock_stops: parse_spans("clock_stops", v.get("clock_stops"))?,
        notes: v.get("notes").into(),
        source: if role == Role::AgencyManager {
            IncidentSource::ServiceDesk
        } else {
            IncidentSource::Manual
        },
    })
}

pub async fn new_form(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    require(&user, Resource::Incident)?;
    Ok(render(&incident_form(&state, &user, &Values::from_query(raw.as_deref())).await))
}

pub async fn create(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let (app, actor) = (&state.app, user.actor());
    let result = match parse_incident(actor.role, &values, app.now()) {
        Ok(input) => app.create_incident(actor, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(i) => created(format!("/incidentes/{}", i.id)),
        Err(e) => refused(e, incident_form(&state, &user, &values).await),
    }
}

// ----- the incident's page -----

/// The two forms of an incident's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WorkForm {
    /// Status, end, ticket, cause, notes.
    Work,
    /// Responsibility (with justification) and clock stops: the NOC's.
    Classification,
}

impl WorkForm {
    fn code(self) -> &'static str {
        match self {
            WorkForm::Work => "trabalho",
            WorkForm::Classification => "classificacao",
        }
    }

    fn of(values: &Values) -> WorkForm {
        if values.get("form") == WorkForm::Classification.code() {
            WorkForm::Classification
        } else {
            WorkForm::Work
        }
    }
}

/// A form submitted and refused: shown again as typed, with the rule.
struct Refusal {
    form: WorkForm,
    values: Values,
    error: FieldError,
}

/// Whether the role is the NOC's (confirms, closes, classifies).
fn is_noc(role: Role) -> bool {
    may_write(role, Resource::Responsibility)
}

/// The statuses the role may move the incident to, with the button's words.
fn transitions(role: Role, current: IncidentStatus) -> Vec<(IncidentStatus, &'static str)> {
    IncidentStatus::ALL
        .iter()
        .copied()
        .filter(|&next| current.can_become(next))
        .filter(|next| is_noc(role) || !matches!(next, IncidentStatus::Confirmed | IncidentStatus::Closed))
        .map(|next| {
            let words = match next {
                IncidentStatus::WithOperator if current == IncidentStatus::Resolved => "Devolver à operadora",
                IncidentStatus::WithOperator => "Enviar à operadora",
                IncidentStatus::Resolved => "Marcar como resolvido",
                IncidentStatus::Confirmed => "Confirmar resolução",
                IncidentStatus::Closed => "Encerrar",
                IncidentStatus::Open => "Reabrir",
            };
            (next, words)
        })
        .collect()
}

fn work_values(i: &Incident) -> Values {
    Values(
        [
            ("ended_at", input_text(i.ended_at)),
            ("ticket", i.ticket.clone()),
            ("cause", i.cause.clone()),
            ("notes", i.notes.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    )
}

fn classification_values(i: &Incident) -> Values {
    Values(
        [
            ("responsibility", i.responsibility.as_str().to_string()),
            ("clock_stops", spans_text(&i.clock_stops)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    )
}

fn work_form(user: &PortalUser, i: &Incident, values: &Values) -> ActionForm {
    let role = user.actor().role;
    let mut form = ActionForm::new("trabalhar", format!("/incidentes/{}", i.id), user);
    form.hidden.push(("form", WorkForm::Work.code().into()));
    if role == Role::AgencyManager {
        form.intro =
            "O órgão acompanha o incidente e registra observações; a operadora e o NOC o trabalham.".into();
    } else {
        form.intro =
            "Salve as informações ou use um botão de situação: ele também salva o que foi preenchido. \
                      Resolver sem informar o fim registra o momento atual."
                .into();
        form.fields
            .push(time_field("ended_at", "Fim", values).help("Horário de Brasília em que o serviço voltou."));
        form.fields.push(Field::text("ticket", "Chamado da operadora", values));
        form.fields.push(Field::text("cause", "Causa", values));
    }
    form.fields.push(Field::new("notes", "Observações", "textarea", values));
    form.buttons
        .push(SubmitButton::new("status", "", "Salvar", "salvar-incidente").kind(ButtonKind::Secondary));
    if role != Role::AgencyManager {
        for (next, words) in transitions(role, i.status) {
            form.buttons.push(SubmitButton::new(
                "status",
                next.as_str(),
                words,
                format!("status-{}", next.as_str()),
            ));
        }
    }
    form
}

fn classification_form(user: &PortalUser, i: &Incident, values: &Values) -> ActionForm {
    let mut form = ActionForm::new("classificar", format!("/incidentes/{}", i.id), user);
    form.hidden.push(("form", WorkForm::Classification.code().into()));
    form.intro = format!(
        "Somente o tempo de responsabilidade da operadora conta como indisponibilidade e gera desconto. \
         Responsabilidade atual: {}.",
        i.responsibility.label()
    );
    form.fields.push(responsibility_select(values));
    form.fields.push(clock_stops_field(values));
    form.fields.push(
        Field::new("reason", "Justificativa", "textarea", values)
            .help("Obrigatória ao mudar a responsabilidade; fica no histórico do incidente."),
    );
    form.buttons.push(SubmitButton::new(
        "acao",
        "classificar",
        "Salvar classificação",
        "salvar-classificacao",
    ));
    form
}

/// The incident's facts.
fn facts(row: &IncidentRow, now: Timestamp) -> Vec<Fact> {
    let i = &row.incident;
    let timing = IncidentTiming {
        started_at: i.started_at.timestamp(),
        ended_at: i.ended_at.map(|t| t.timestamp()),
        clock_stops: i.clock_stops.clone(),
        link: None,
    };
    let counts = if i.responsibility.counts_as_downtime() {
        "conta como indisponibilidade da operadora"
    } else {
        "não conta como indisponibilidade da operadora"
    };
    vec![
        Fact::new("Situação", status_col(i.status)),
        Fact::new("Acesso", Col::text(format!("#{}", i.access_id)).link(format!("/acessos/{}", i.access_id))),
        Fact::new("Órgão", Col::text(&row.agency_acronym).link(format!("/orgaos/{}", row.agency_id))),
        Fact::text("Endereço", format!("{}, {}", row.site_address, row.municipality_name)),
        Fact::new("Lote", Col::text(&row.lot_code).link(format!("/lotes/{}", row.lot_id))),
        Fact::text(
            "Alvo",
            i.probe_target.map(|t| format!("somente o enlace {t}")).unwrap_or_else(|| "todo o acesso".into()),
        ),
        Fact::text("Início", format_local(i.started_at)),
        Fact::text("Fim", i.ended_at.map(format_local).unwrap_or_else(|| "em aberto".into())),
        Fact::text("Duração", elapsed(i, now).1),
        Fact::text(
            "Tempo de reparo (sem paradas de relógio)",
            duration(repair_seconds(&timing, now.timestamp())),
        ),
        Fact::text("Responsabilidade", format!("{} ({counts})", i.responsibility.label())),
        Fact::text("Origem", i.source.label()),
        Fact::text("Causa", &i.cause),
        Fact::text("Chamado da operadora", &i.ticket),
        Fact::text("Paradas de relógio", spans_text(&i.clock_stops).replace('\n', "; ")),
        Fact::text("Observações", &i.notes),
        Fact::text("Registrado em", format_local(i.created_at)),
        Fact::text("Atualizado em", format_local(i.updated_at)),
    ]
}

async fn incident_page(
    state: &WebState,
    user: &PortalUser,
    row: &IncidentRow,
    refusal: Option<Refusal>,
) -> Result<DetailPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let i = &row.incident;
    let now = app.now();
    let mut page = DetailPage::new(user, Section::Incidents, format!("Incidente #{}", i.id));
    page.subtitle = format!("{} — {}, lote {}", row.agency_acronym, row.municipality_name, row.lot_code);
    page.facts = facts(row, now);
    let month = super::localtime::current_month(i.started_at);
    page.actions.push(LinkButton::secondary(
        "Efeito no faturamento do acesso",
        format!("/acessos/{}?mes={month}#disponibilidade", i.access_id),
    ));
    page.actions.push(LinkButton::secondary("Todos os incidentes", "/incidentes"));
    let (work_error, class_error) = match refusal {
        Some(r) if r.form == WorkForm::Work => (Some((r.values, r.error)), None),
        Some(r) => (None, Some((r.values, r.error))),
        None => (None, None),
    };
    if may_write(actor.role, Resource::Incident) {
        let form = match work_error {
            Some((values, e)) => work_form(user, i, &values).with_error(&e),
            None => work_form(user, i, &work_values(i)),
        };
        page.sections.push(DetailSection::new("Trabalhar o incidente").id("trabalho").form(form));
    }
    if is_noc(actor.role) {
        let form = match class_error {
            Some((values, e)) => classification_form(user, i, &values).with_error(&e),
            None => classification_form(user, i, &classification_values(i)),
        };
        page.sections.push(DetailSection::new("Classificação (NOC)").id("classificacao").form(form));
    }
    page.sections.extend(history(app, actor, "incident", i.id.0).await?);
    Ok(page)
}

pub async fn detail(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let row = state.app.get_incident(user.actor(), IncidentId(parse_id(&id)?)).await?;
    let mut page = incident_page(&state, &user, &row, None).await?;
    page.saved(raw.as_deref(), "Alterações salvas.");
    Ok(render(&page))
}

/// The change the work form asks for: only what differs from the incident
/// (an agency manager sends only notes).
fn parse_work(role: Role, current: &Incident, v: &Values, now: Timestamp) -> Valid<IncidentChange> {
    let mut change = IncidentChange::default();
    let differs = |name: &str, was: &str| (v.get(name) != was).then(|| v.get(name).to_string());
    if role != Role::AgencyManager {
        change.status = v.optional("status", IncidentStatus::parse)?;
        let end = parse_optional("ended_at", v.get("ended_at"))?;
        not_after_now("ended_at", end, now)?;
        if end.is_some() && end != current.ended_at {
            change.ended_at = Some(end);
        }
        change.ticket = differs("ticket", &current.ticket);
        change.cause = differs("cause", &current.cause);
    }
    change.notes = differs("notes", &current.notes);
    Ok(change)
}

/// The change the classification form asks for: a new responsibility with
/// its justification, and the clock stops when they differ.
fn parse_classification(current: &Incident, v: &Values) -> Valid<IncidentChange> {
    let responsibility = Responsibility::parse("responsibility", v.get("responsibility"))?;
    let stops = parse_spans("clock_stops", v.get("clock_stops"))?;
    let mut change = IncidentChange::default();
    if responsibility != current.responsibility {
        change.responsibility = Some((responsibility, v.get("reason").to_string()));
    }
    if union(&stops) != current.clock_stops {
        change.clock_stops = Some(stops);
    }
    Ok(change)
}

pub async fn work(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let (app, actor) = (&state.app, user.actor());
    let id = IncidentId(parse_id(&id)?);
    let row = app.get_incident(actor, id).await?;
    let kind = WorkForm::of(&values);
    let change = match kind {
        WorkForm::Work => parse_work(actor.role, &row.incident, &values, app.now()),
        WorkForm::Classification => parse_classification(&row.incident, &values),
    };
    let result = match change {
        Ok(change) => app.update_incident(actor, id, change).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => created(format!("/incidentes/{id}?salvo=1")),
        Err(AppError::Invalid(error)) => {
            let page =
                incident_page(&state, &user, &row, Some(Refusal { form: kind, values, error })).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redegov_domain::measure::Span;
    use redegov_domain::time::parse_instant;

    fn at(s: &str) -> Timestamp {
        parse_instant("t", s).expect("instant")
    }

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    fn incident() -> Incident {
        Incident {
            id: IncidentId(7),
            access_id: AccessId(3),
            probe_target: None,
            started_at: at("2026-02-05T08:00:00-03:00"),
            ended_at: None,
            responsibility: Responsibility::Operator,
            status: IncidentStatus::Open,
            cause: "fibra".into(),
            ticket: String::new(),
            clock_stops: vec![],
            notes: String::new(),
            source: IncidentSource::Manual,
            created_at: at("2026-02-05T08:10:00-03:00"),
            updated_at: at("2026-02-05T08:10:00-03:00"),
        }
    }

    #[test]
    fn roles_get_the_transitions_they_may_make() {
        let codes = |role, status| -> Vec<&str> {
            transitions(role, status).into_iter().map(|(s, _)| s.as_str()).collect()
        };
        assert_eq!(codes(Role::NetworkManager, IncidentStatus::Open), ["with_operator", "resolved"]);
        assert_eq!(codes(Role::NetworkManager, IncidentStatus::Resolved), ["with_operator", "confirmed"]);
        assert_eq!(
            codes(Role::Operator, IncidentStatus::Resolved),
            ["with_operator"],
            "only the NOC confirms"
        );
        assert!(codes(Role::Operator, IncidentStatus::Confirmed).is_empty());
        assert_eq!(transitions(Role::Admin, IncidentStatus::Resolved)[0].1, "Devolver à operadora");
    }

    #[test]
    fn the_new_form_reads_brasilia_times_and_lines_of_clock_stops() {
        let now = at("2026-03-10T12:00:00-03:00");
        let v = values(&[
            ("access_id", "3"),
            ("probe_target", ""),
            ("started_at", "05/02/2026 08:00"),
            ("ended_at", "05/02/2026 14:30"),
            ("responsibility", "third_party"),
            ("clock_stops", "05/02/2026 09:00 – 05/02/2026 09:30"),
        ]);
        let input = parse_incident(Role::NetworkManager, &v, now).expect("valid");
        assert_eq!(input.started_at, at("2026-02-05T11:00:00Z"));
        assert_eq!(input.ended_at, Some(at("2026-02-05T14:30:00-03:00")));
        assert_eq!(input.responsibility, Responsibility::ThirdParty);
        assert_eq!(input.clock_stops.len(), 1);
        assert_eq!(input.source, IncidentSource::Manual);
        let by_operator = parse_incident(Role::Operator, &v, now).expect("valid");
        assert_eq!(by_operator.responsibility, Responsibility::Operator, "the operator cannot classify");
        let by_agency = parse_incident(Role::AgencyManager, &v, now).expect("valid");
        assert_eq!(by_agency.source, IncidentSource::ServiceDesk);

        let field = |pairs: &[(&str, &str)]| {
            let mut v = values(&[("access_id", "3"), ("started_at", "05/02/2026 08:00")]);
            v.0.extend(pairs.iter().map(|(k, x)| (k.to_string(), x.to_string())));
            parse_incident(Role::NetworkManager, &v, now).map(|_| ()).map_err(|e| e.field)
        };
        assert_eq!(field(&[("responsibility", "operator")]), Ok(()));
        assert_eq!(field(&[("responsibility", "")]), Err("responsibility".into()));
        assert_eq!(
            field(&[("responsibility", "operator"), ("probe_target", "cpe-1")]),
            Err("probe_target".into())
        );
        assert_eq!(field(&[("responsibility", "operator"), ("ended_at", "amanhã")]), Err("ended_at".into()));
        assert_eq!(
            field(&[("responsibility", "operator"), ("ended_at", "11/03/2026 08:00")]),
            Err("ended_at".into())
        );
        assert_eq!(
            field(&[("responsibility", "operator"), ("clock_stops", "x")]),
            Err("clock_stops[0]".into())
        );
    }

    #[test]
    fn working_sends_only_what_changed() {
        let now = at("2026-03-10T12:00:00-03:00");
        let i = incident();
        let v = values(&[
            ("status", "resolved"),
            ("ended_at", "05/02/2026 14:00"),
            ("ticket", "OP-9"),
            ("cause", "fibra"),
            ("notes", ""),
        ]);
        let change = parse_work(Role::Operator, &i, &v, now).expect("valid");
        assert_eq!(change.status, Some(IncidentStatus::Resolved));
        assert_eq!(change.ended_at, Some(Some(at("2026-02-05T14:00:00-03:00"))));
        assert_eq!((change.ticket.as_deref(), change.cause, change.notes), (Some("OP-9"), None, None));
        let agency =
            parse_work(Role::AgencyManager, &i, &values(&[("status", "closed"), ("notes", "ok")]), now)
                .expect("valid");
        assert_eq!(agency, IncidentChange { notes: Some("ok".into()), ..Default::default() });
    }

    #[test]
    fn classification_needs_a_change_to_send_one() {
        let i = incident();
        let same = parse_classification(&i, &values(&[("responsibility", "operator")])).expect("valid");
        assert_eq!(same, IncidentChange::default());
        let v = values(&[
            ("responsibility", "agency"),
            ("reason", "CPE desligado pelo órgão"),
            ("clock_stops", "05/02/2026 09:00 – 05/02/2026 09:30"),
        ]);
        let change = parse_classification(&i, &v).expect("valid");
        assert_eq!(change.responsibility, Some((Responsibility::Agency, "CPE desligado pelo órgão".into())));
        let t = |s: &str| at(s).timestamp();
        assert_eq!(
            change.clock_stops,
            Some(vec![Span::new(t("2026-02-05T09:00:00-03:00"), t("2026-02-05T09:30:00-03:00"))])
        );
    }
}
