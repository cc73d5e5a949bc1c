//! Maintenance windows (manutenções programadas): the list with its status
//! filter and CSV/XLSX export, the "Nova manutenção" form (the operator
//! proposes one for an access or a whole lot; the NOC and admin may also
//! record when an old one was announced), and the window's page, where the
//! NOC approves or rejects it — a rejection with its reason. Only approved
//! windows are excluded from downtime.
//!
//! The notice rule (48 h by default, per lot) is the app's: its refusal is
//! shown on the form, next to the start.

use super::details::{DetailPage, DetailSection, Notice, history};
use super::fetch;
use super::formkit::{
    ActionForm, ButtonKind, Field, FormPage, SubmitButton, Values, created, refused, require, submitted,
};
use super::lists::{ListSpec, lot_param, respond};
use super::localtime::{DATE_TIME_HINT, duration, not_after_now, parse_local, parse_optional};
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
use redegov_app::authz::Resource;
use redegov_app::incidents::WindowInput;
use redegov_app::{AppError, WindowFilter};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::{AccessId, LotId, WindowId};
use redegov_domain::incident::{MaintenanceWindow, WindowStatus, WindowTarget};
use redegov_domain::time::{Timestamp, format_local};
use std::collections::HashMap;

// ----- columns -----

/// The window list's columns; lot codes by id.
pub(super) struct Windows<'a> {
    pub lots: &'a HashMap<LotId, String>,
}

fn status_col(status: WindowStatus) -> Col {
    Col::text(status.label()).badge(format!("win-{}", status.as_str()))
}

fn target_col(target: WindowTarget, lots: &HashMap<LotId, String>) -> Col {
    match target {
        WindowTarget::Access(a) => Col::text(format!("Acesso #{a}")).link(format!("/acessos/{a}")),
        WindowTarget::Lot(l) => {
            let code = lots.get(&l).cloned().unwrap_or_else(|| l.to_string());
            Col::text(format!("Lote {code} (inteiro)")).link(format!("/lotes/{l}"))
        }
    }
}

/// How long ahead the window was announced.
fn notice(w: &MaintenanceWindow) -> i64 {
    w.starts_at.timestamp() - w.announced_at.timestamp()
}

impl Listing for Windows<'_> {
    type Item = MaintenanceWindow;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nº"),
        Column::both("Alvo"),
        Column::both("Início"),
        Column::both("Fim"),
        Column::both("Duração"),
        Column::both("Comunicada em"),
        Column::both("Antecedência"),
        Column::both("Descrição"),
        Column::both("Situação"),
        Column::both("Decidida em"),
        Column::both("Motivo da decisão"),
    ];

    fn cells(&self, w: &MaintenanceWindow) -> Vec<Col> {
        vec![
            Col::id(w.id.0).link(format!("/manutencoes/{}", w.id)),
            target_col(w.target, self.lots),
            Col::text(format_local(w.starts_at)),
            Col::text(format_local(w.ends_at)),
            Col::text(duration(w.ends_at.timestamp() - w.starts_at.timestamp())),
            Col::text(format_local(w.announced_at)),
            Col::text(duration(notice(w))),
            Col::text(&w.description),
            status_col(w.status),
            Col::text(w.decided_at.map(format_local).unwrap_or_default()),
            Col::text(&w.decision_reason),
        ]
    }

    fn row_class(&self, w: &MaintenanceWindow) -> &'static str {
        if w.status == WindowStatus::Proposed { "row-open" } else { "" }
    }
}

fn lot_codes(lots: &[redegov_domain::inventory::Lot]) -> HashMap<LotId, String> {
    lots.iter().map(|l| (l.id, l.code.clone())).collect()
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
    let lot_id = lot_param(&q, &lots);
    let status = q.code("status", WindowStatus::CODES);
    let filter = WindowFilter { status: status.clone(), lot_id, ..Default::default() };
    let listed = app.list_windows(actor, filter, q.fetch()).await?;
    let filters = vec![
        FilterField::select(
            "status",
            "Situação",
            status,
            WindowStatus::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())),
        ),
        FilterField::select(
            "lot",
            "Lote",
            lot_id.map(|l| l.to_string()),
            lots.iter().map(|l| (l.id.to_string(), l.code.clone())),
        ),
    ];
    let mut actions = Vec::new();
    if may_create(&user, Resource::MaintenanceWindow) {
        actions.push(LinkButton::primary("Nova manutenção", "/manutencoes/nova"));
    }
    let spec = ListSpec {
        section: Section::Windows,
        heading: "Manutenções programadas".into(),
        path: "/manutencoes".into(),
        file: "manutencoes".into(),
        table_id: "manutencoes",
        filters,
        actions,
    };
    let codes = lot_codes(&lots);
    Ok(respond(&user, &q, spec, &Windows { lots: &codes }, &listed.items, listed.total))
}

// ----- Nova manutenção -----

/// The NOC and admin may record a window announced earlier (history).
fn records_history(user: &PortalUser) -> bool {
    may_create(user, Resource::WindowDecision)
}

async fn window_form(state: &WebState, user: &PortalUser, values: &Values) -> Result<FormPage, PageError> {
    let lots = fetch::lots(&state.app, user.actor()).await?;
    let time = |name, label| Field::text(name, label, values).placeholder(DATE_TIME_HINT).required();
    let mut fields = vec![
        Field::new("access_id", "Acesso (nº)", "number", values)
            .help("Para a manutenção de um único acesso. Deixe em branco para um lote inteiro."),
        Field::select(
            "lot_id",
            "Ou o lote inteiro",
            values,
            lots.iter().map(|l| (l.id.to_string(), format!("{} — {}", l.code, l.description))),
        )
        .help("Todos os acessos do lote."),
        time("starts_at", "Início"),
        time("ends_at", "Fim"),
        Field::new("description", "Descrição do serviço", "textarea", values).required(),
    ];
    if records_history(user) {
        fields.push(
            Field::text("announced_at", "Comunicada em", values)
                .placeholder(DATE_TIME_HINT)
                .help("Somente para registrar uma janela comunicada antes (histórico). Em branco: agora."),
        );
    }
    Ok(FormPage {
        chrome: Chrome::new(user, Section::Windows, "Nova manutenção"),
        heading: "Nova manutenção programada".into(),
        intro:
            "A operadora comunica a janela com a antecedência mínima do contrato do lote (48 h, salvo regra \
                diferente); o NOC aprova ou rejeita. Só janelas aprovadas deixam de contar como \
                indisponibilidade. Horários de Brasília, dd/mm/aaaa hh:mm."
                .into(),
        action: "/manutencoes/nova".into(),
        submit: "Comunicar manutenção",
        cancel: "/manutencoes".into(),
        csrf: user.session.csrf_token.clone(),
        error: None,
        fields,
        groups: Vec::new(),
        datalists: Vec::new(),
    })
}

fn parse_window(v: &Values, history: bool, now: Timestamp) -> Valid<WindowInput> {
    let id = |name: &str| {
        v.optional(name, |f, t| {
            t.parse::<i64>().map_err(|_| FieldError::new(f, Rule::Malformed("número inteiro")))
        })
    };
    let target = match (id("access_id")?, id("lot_id")?) {
        (Some(a), None) => WindowTarget::Access(AccessId(a)),
        (None, Some(l)) => WindowTarget::Lot(LotId(l)),
        (None, None) => {
            return Err(FieldError::new(
                "access_id",
                Rule::Other("informe o acesso ou escolha um lote".into()),
            ));
        }
        (Some(_), Some(_)) => {
            return Err(FieldError::new(
                "access_id",
                Rule::Other("informe o acesso ou o lote, não os dois".into()),
            ));
        }
    };
    let starts_at = parse_local("starts_at", v.get("starts_at"))?;
    let ends_at = parse_local("ends_at", v.get("ends_at"))?;
    let announced_at = if history { parse_optional("announced_at", v.get("announced_at"))? } else { None };
    not_after_now("announced_at", announced_at, now)?;
    Ok(WindowInput { target, starts_at, ends_at, description: v.get("description").into(), announced_at })
}

pub async fn new_form(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    require(&user, Resource::MaintenanceWindow)?;
    Ok(render(&window_form(&state, &user, &Values::from_query(raw.as_deref())).await?))
}

pub async fn create(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let (app, actor) = (&state.app, user.actor());
    let result = match parse_window(&values, records_history(&user), app.now()) {
        Ok(input) => app.propose_window(actor, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(w) => created(format!("/manutencoes/{}", w.id)),
        Err(e) => refused(e, window_form(&state, &user, &values).await?),
    }
}

// ----- the window's page -----

fn decision_form(user: &PortalUser, w: &MaintenanceWindow, values: &Values) -> ActionForm {
    let mut form = ActionForm::new("decidir", format!("/manutencoes/{}", w.id), user);
    form.intro = "Aprovada, a janela deixa de contar como indisponibilidade dos acessos que cobre.".into();
    form.fields.push(
        Field::new("reason", "Motivo", "textarea", values)
            .help("Obrigatório para rejeitar; opcional para aprovar."),
    );
    form.buttons.push(SubmitButton::new("decision", "aprovar", "Aprovar", "aprovar"));
    form.buttons
        .push(SubmitButton::new("decision", "rejeitar", "Rejeitar", "rejeitar").kind(ButtonKind::Danger));
    form
}

async fn window_page(
    state: &WebState,
    user: &PortalUser,
    w: &MaintenanceWindow,
    refusal: Option<(Values, FieldError)>,
) -> Result<DetailPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let lots = lot_codes(&fetch::lots(app, actor).await?);
    let mut page = DetailPage::new(user, Section::Windows, format!("Manutenção #{}", w.id));
    let target = match w.target {
        WindowTarget::Access(a) => match app.get_access(actor, a).await {
            Ok(row) => {
                format!(
                    "Acesso #{a} — {}, {} (lote {})",
                    row.agency_acronym, row.municipality_name, row.lot_code
                )
            }
            Err(AppError::NotFound(_)) => format!("Acesso #{a}"),
            Err(e) => return Err(e.into()),
        },
        WindowTarget::Lot(l) => {
            format!("Todos os acessos do lote {}", lots.get(&l).cloned().unwrap_or_else(|| l.to_string()))
        }
    };
    page.subtitle = target.clone();
    let href = match w.target {
        WindowTarget::Access(a) => format!("/acessos/{a}"),
        WindowTarget::Lot(l) => format!("/lotes/{l}"),
    };
    page.facts = vec![
        Fact::new("Situação", status_col(w.status)),
        Fact::new("Alvo", Col::text(target).link(href)),
        Fact::text("Início", format_local(w.starts_at)),
        Fact::text("Fim", format_local(w.ends_at)),
        Fact::text("Duração", duration(w.ends_at.timestamp() - w.starts_at.timestamp())),
        Fact::text("Comunicada em", format_local(w.announced_at)),
        Fact::text("Antecedência", duration(notice(w))),
        Fact::text("Descrição", &w.description),
        Fact::text("Decidida em", w.decided_at.map(format_local).unwrap_or_default()),
        Fact::text("Motivo da decisão", &w.decision_reason),
    ];
    page.actions.push(LinkButton::secondary("Todas as manutenções", "/manutencoes"));
    let mut refusal = refusal;
    if w.status == WindowStatus::Proposed && may_create(user, Resource::WindowDecision) {
        let form = match refusal.take() {
            Some((values, e)) => decision_form(user, w, &values).with_error(&e),
            None => decision_form(user, w, &Values::default()),
        };
        page.sections.push(DetailSection::new("Decisão do NOC").id("decisao").form(form));
    }
    // A refusal with no form to show it on (decided by someone else meanwhile).
    if let Some((_, e)) = refusal {
        page.notice = Some(Notice { class: "alert-error", text: format!("Situação: {}", e.rule.pt_br()) });
    }
    page.sections.extend(history(app, actor, "maintenance_window", w.id.0).await?);
    Ok(page)
}

pub async fn detail(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let w = state.app.get_window(user.actor(), WindowId(parse_id(&id)?)).await?;
    let mut page = window_page(&state, &user, &w, None).await?;
    if let Some(decided) = ListQuery::parse(raw.as_deref()).text("decidida") {
        let text = if decided == "aprovada" { "Manutenção aprovada." } else { "Manutenção rejeitada." };
        page.notice = Some(Notice { class: "alert-ok", text: text.into() });
    }
    Ok(render(&page))
}

pub async fn decide(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let (app, actor) = (&state.app, user.actor());
    let id = WindowId(parse_id(&id)?);
    let window = app.get_window(actor, id).await?;
    let approve = match values.get("decision") {
        "aprovar" => Ok(true),
        "rejeitar" => Ok(false),
        _ => Err(FieldError::new("decision", Rule::OneOf(&["aprovar", "rejeitar"]))),
    };
    let result = match approve {
        Ok(approve) => app.decide_window(actor, id, approve, values.get("reason")).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(w) => {
            let word = if w.status == WindowStatus::Approved { "aprovada" } else { "rejeitada" };
            created(format!("/manutencoes/{id}?decidida={word}"))
        }
        Err(AppError::Invalid(e)) => {
            let page = window_page(&state, &user, &window, Some((values, e))).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redegov_domain::time::parse_instant;

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn a_window_is_for_an_access_or_a_lot() {
        let now = parse_instant("t", "2026-03-10T12:00:00-03:00").expect("now");
        let base =
            [("starts_at", "20/03/2026 01:00"), ("ends_at", "20/03/2026 03:00"), ("description", "troca")];
        let with = |extra: &[(&str, &str)], history: bool| {
            let mut pairs = base.to_vec();
            pairs.extend_from_slice(extra);
            parse_window(&values(&pairs), history, now)
        };
        let w = with(&[("access_id", "4")], false).expect("valid");
        assert_eq!(w.target, WindowTarget::Access(AccessId(4)));
        assert_eq!(w.starts_at, parse_instant("t", "2026-03-20T04:00:00Z").expect("t"));
        assert_eq!(with(&[("lot_id", "2")], false).expect("valid").target, WindowTarget::Lot(LotId(2)));
        let field = |extra: &[(&str, &str)], history| with(extra, history).map(|_| ()).map_err(|e| e.field);
        assert_eq!(field(&[], false), Err("access_id".into()));
        assert_eq!(field(&[("access_id", "4"), ("lot_id", "2")], false), Err("access_id".into()));
        let past = [("access_id", "4"), ("announced_at", "01/03/2026 10:00")];
        assert_eq!(
            with(&past, true).expect("valid").announced_at,
            Some(parse_instant("t", "2026-03-01T10:00:00-03:00").expect("t"))
        );
        assert_eq!(with(&past, false).expect("valid").announced_at, None, "only the NOC records history");
        assert_eq!(
            field(&[("access_id", "4"), ("announced_at", "11/03/2026 10:00")], true),
            Err("announced_at".into())
        );
    }
}
