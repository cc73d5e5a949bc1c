//! Processos de multa (DOMAIN §7): the list by status and lot with CSV/XLSX
//! export, the "Novo processo" form (IMR breaches of closed months or a
//! contract clause), and the process's page — facts, cited breaches with
//! their measurements, the timeline, the defense and appeal with their
//! documents (SHA-256 shown, downloads verified), the installments and the
//! billing reports they became, and one form per action the reader may take
//! now (`PenaltyDetail::allowed`, decided by the domain's state machine).
//! The full record also downloads as the PDF dossier.
//!
//! The operator files its defense and appeal here as a multipart form (text
//! and documents); every other action is a plain form. The app authorises
//! and scopes each of them; this module only offers what the role may use.

use super::details::{DetailPage, DetailSection, history};
use super::fetch;
use super::formkit::{
    ActionForm, ButtonKind, Field, FormPage, SubmitButton, Values, code_choices, created, refused, require,
    submitted,
};
use super::lists::{ListSpec, lot_param, respond};
use super::localtime::{duration, percent_micro};
use super::paging::ListQuery;
use super::printing;
use super::view::{Col, Column, Fact, FilterField, Kpi, LinkButton, Listing, count, when};
use super::{Chrome, Section, may_create, parse_id, render, render_status};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use redegov_app::AppError;
use redegov_app::authz::Resource;
use redegov_app::penalties::{
    AttachmentInput, AttachmentMeta, BreachRef, Filing, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, PenaltyDetail,
    PenaltyFilter, PenaltyInput, PenaltyRow, parse_start_month,
};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::{AccessId, AgencyId, AttachmentId, IncidentId, LotId, OrderId, PenaltyId};
use redegov_domain::money::Money;
use redegov_domain::penalty::{
    CitedBreach, Command, DEFAULT_APPEAL_DAYS, DEFAULT_DEFENSE_DAYS, InstallmentStatus, Outcome,
    PenaltyAction, PenaltyEvent, PenaltyStatus,
};
use redegov_domain::time::format_date;
use std::collections::HashMap;

/// This module's pages.
pub(super) fn routes() -> Router<WebState> {
    Router::new()
        .route("/multas", get(list))
        .route("/multas/nova", get(new_form).post(create))
        .route("/multas/{id}", get(detail).post(act))
        .route(
            "/multas/{id}/peticao",
            post(file)
                // Documents of up to 10 MiB each, ten per filing.
                .layer(axum::extract::DefaultBodyLimit::max(crate::MAX_BODY_BYTES)),
        )
        .route("/multas/{id}/anexos/{attachment}", get(attachment))
        .route("/multas/{id}/dossie.pdf", get(dossier))
}

// ----- the list -----

fn status_col(status: PenaltyStatus) -> Col {
    Col::text(status.label()).badge(format!("pen-{}", status.as_str()))
}

/// The process list's columns.
struct Penalties;

impl Listing for Penalties {
    type Item = PenaltyRow;
    const COLUMNS: &'static [Column] = &[
        Column::both("Processo"),
        Column::both("Lote"),
        Column::both("Situação"),
        Column::both("Fundamento"),
        Column::both("Valor proposto"),
        Column::both("Multa definida"),
        Column::both("Prazo da defesa"),
        Column::both("Parcelas"),
        Column::both("Aberto em"),
        Column::both("Atualizado em"),
    ];

    fn cells(&self, r: &PenaltyRow) -> Vec<Col> {
        let p = &r.penalty;
        let grounds = if p.clause.is_empty() { p.description.clone() } else { p.clause.clone() };
        vec![
            Col::text(&p.number).link(format!("/multas/{}", p.id)),
            Col::text(&r.lot_code).link(format!("/lotes/{}", p.lot_id)),
            status_col(p.status),
            Col::text(grounds),
            Col::money(p.proposed),
            p.final_amount().map(Col::money).unwrap_or_else(|| Col::text("—")),
            Col::text(p.defense_due_on.map(format_date).unwrap_or_else(|| "—".into())),
            p.installments.map(|n| Col::int(i64::from(n))).unwrap_or_else(|| Col::text("—")),
            Col::text(when(Some(p.created_at))),
            Col::text(when(Some(p.updated_at))),
        ]
    }

    fn row_class(&self, r: &PenaltyRow) -> &'static str {
        match r.penalty.status {
            PenaltyStatus::OperatorNotified | PenaltyStatus::DefenseFiled | PenaltyStatus::AppealFiled => {
                "row-open"
            }
            _ => "",
        }
    }
}

/// `GET /multas[?status=&lot=][&formato=csv|xlsx]`.
pub async fn list(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    let lots = fetch::lots(app, actor).await?;
    let lot_id = lot_param(&q, &lots);
    let status = q.code("status", PenaltyStatus::CODES);
    let filter = PenaltyFilter {
        status: status.as_deref().and_then(|c| PenaltyStatus::parse("status", c).ok()),
        lot_id,
        operator_id: None,
    };
    let listed = app.list_penalties(actor, filter, q.fetch()).await?;
    let filters = vec![
        FilterField::select(
            "status",
            "Situação",
            status,
            code_choices(PenaltyStatus::ALL, PenaltyStatus::as_str, PenaltyStatus::label),
        ),
        FilterField::select(
            "lot",
            "Lote",
            lot_id.map(|l| l.to_string()),
            lots.iter().map(|l| (l.id.to_string(), l.code.clone())),
        ),
    ];
    let mut actions = Vec::new();
    if may_create(&user, Resource::Penalty) {
        actions.push(LinkButton::primary("Novo processo de multa", "/multas/nova"));
    }
    let spec = ListSpec {
        section: Section::Penalties,
        heading: "Processos de multa".into(),
        path: "/multas".into(),
        file: "processos-de-multa".into(),
        table_id: "multas",
        filters,
        actions,
    };
    Ok(respond(&user, &q, spec, &Penalties, &listed.items, listed.total))
}

// ----- Novo processo -----

/// The breach kinds a line of the form may name: the code or a pt-BR word.
fn breach_kind(field: &str, text: &str) -> Valid<&'static str> {
    match text.to_lowercase().as_str() {
        "availability" | "disponibilidade" => Ok("availability"),
        "repair_time" | "reparo" | "tempo_de_reparo" => Ok("repair_time"),
        "order_deadline" | "prazo" | "prazo_de_os" => Ok("order_deadline"),
        _ => Err(FieldError::new(field, Rule::OneOf(&["disponibilidade", "reparo", "prazo"]))),
    }
}

/// The breaches typed one per line: `AAAA-MM;acesso;indicador[;incidente ou OS]`.
pub(super) fn parse_breaches(field: &str, text: &str) -> Valid<Vec<BreachRef>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = format!("{field}[{}]", n + 1);
        let parts: Vec<&str> = line.split([';', ',', '\t']).map(str::trim).collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(FieldError::new(&at, Rule::Malformed("AAAA-MM;acesso;indicador[;incidente ou OS]")));
        }
        let month = redegov_app::closing::parse_month(&at, parts[0])?;
        let number = |text: &str| -> Valid<i64> {
            text.trim_start_matches('#')
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| FieldError::new(&at, Rule::Malformed("número do acesso, incidente ou OS")))
        };
        let kind = breach_kind(&at, parts[2])?;
        let reference = parts.get(3).filter(|t| !t.is_empty()).map(|t| number(t)).transpose()?;
        out.push(BreachRef {
            month,
            access_id: AccessId(number(parts[1])?),
            kind: kind.into(),
            incident_id: reference.filter(|_| kind == "repair_time").map(IncidentId),
            order_id: reference.filter(|_| kind == "order_deadline").map(OrderId),
        });
    }
    Ok(out)
}

/// A day count typed in the form, or the default.
fn days(v: &Values, name: &str) -> Valid<Option<u32>> {
    v.optional(name, |field, text| {
        text.parse().map_err(|_| FieldError::new(field, Rule::OutOfRange { min: 1, max: 60 }))
    })
}

fn parse_opening(v: &Values) -> Valid<PenaltyInput> {
    let amount = v.optional("proposed_amount", Money::parse_brl)?;
    Ok(PenaltyInput {
        lot_id: v.optional("lot_id", |f, t| {
            t.parse().map(LotId).map_err(|_| FieldError::new(f, Rule::Required))
        })?,
        breaches: parse_breaches("breaches", v.get("breaches"))?,
        clause: v.get("clause").into(),
        description: v.get("description").into(),
        proposed_amount: amount,
        amount_reason: v.get("amount_reason").into(),
        defense_days: days(v, "defense_days")?,
        appeal_days: days(v, "appeal_days")?,
    })
}

async fn opening_form(state: &WebState, user: &PortalUser, values: &Values) -> Result<FormPage, PageError> {
    let lots = fetch::lots(&state.app, user.actor()).await?;
    Ok(FormPage {
        chrome: Chrome::new(user, Section::Penalties, "Novo processo de multa"),
        heading: "Novo processo de multa".into(),
        intro:
            "Cite violações de IMR de meses fechados (o valor proposto vem das regras de penalidade do lote) \
                ou uma cláusula do contrato. A operadora é notificada depois, com o prazo de defesa em dias \
                úteis."
                .into(),
        action: "/multas/nova".into(),
        submit: "Abrir processo",
        cancel: "/multas".into(),
        csrf: user.session.csrf_token.clone(),
        error: None,
        fields: vec![
            Field::new("breaches", "Violações de IMR", "textarea", values)
                .placeholder("2026-03;12;disponibilidade")
                .help(
                    "Uma por linha: mês fechado (AAAA-MM); nº do acesso; indicador (disponibilidade, reparo \
                     ou prazo); opcionalmente o nº do incidente (reparo) ou da ordem de serviço (prazo). \
                     Todas do mesmo lote.",
                ),
            Field::select(
                "lot_id",
                "Lote",
                values,
                lots.iter().map(|l| (l.id.to_string(), format!("{} — {}", l.code, l.description))),
            )
            .help("Obrigatório quando só uma cláusula é citada."),
            Field::text("clause", "Cláusula do contrato", values)
                .placeholder("Cláusula 12.3")
                .help("Obrigatória quando nenhuma violação é citada."),
            Field::new("description", "Descrição", "textarea", values).required(),
            Field::text("proposed_amount", "Valor proposto (R$)", values)
                .placeholder("1.234,56")
                .help("Deixe em branco para usar o valor das regras de penalidade."),
            Field::new("amount_reason", "Motivo do valor proposto", "textarea", values)
                .help("Obrigatório quando o valor proposto difere do calculado."),
            Field::new("defense_days", "Prazo de defesa (dias úteis)", "number", values)
                .help(format!("Padrão: {DEFAULT_DEFENSE_DAYS}.")),
            Field::new("appeal_days", "Prazo de recurso (dias úteis)", "number", values)
                .help(format!("Padrão: {DEFAULT_APPEAL_DAYS}.")),
        ],
        groups: Vec::new(),
        datalists: Vec::new(),
    })
}

pub async fn new_form(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    require(&user, Resource::Penalty)?;
    Ok(render(&opening_form(&state, &user, &Values::from_query(raw.as_deref())).await?))
}

pub async fn create(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let result = match parse_opening(&values) {
        Ok(input) => state.app.open_penalty(user.actor(), input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(d) => created(format!("/multas/{}", d.row.penalty.id)),
        Err(e) => refused(e, opening_form(&state, &user, &values).await?),
    }
}

// ----- the process's page -----

/// An IMR indicator's name, the measured value and the target, in pt-BR.
pub(super) fn breach_texts(kind: &str, measured: i64, target: i64) -> (&str, String, String) {
    match kind {
        "availability" => {
            ("Disponibilidade", percent_micro(measured), format!("≥ {}", percent_micro(target)))
        }
        "repair_time" => ("Tempo de reparo", duration(measured), format!("≤ {}", duration(target))),
        "order_deadline" => (
            "Prazo de ordem de serviço",
            format!("{measured} dia(s) de atraso"),
            format!("prazo de {target} dia(s)"),
        ),
        other => (other, measured.to_string(), target.to_string()),
    }
}

struct Breaches;

impl Listing for Breaches {
    type Item = CitedBreach;
    const COLUMNS: &'static [Column] = &[
        Column::both("Mês"),
        Column::both("Acesso"),
        Column::both("Indicador"),
        Column::both("Medido"),
        Column::both("Meta ou limite"),
        Column::both("Incidente ou ordem"),
        Column::both("Multa calculada do acesso-mês"),
    ];

    fn cells(&self, b: &CitedBreach) -> Vec<Col> {
        let (indicator, measured, target) = breach_texts(&b.kind, b.measured, b.target);
        vec![
            Col::text(&b.month).link(format!("/meses/{}/apuracao", b.month)),
            Col::id(b.access_id.0).link(format!("/acessos/{}", b.access_id)),
            Col::text(indicator),
            Col { numeric: true, ..Col::text(measured) },
            Col { numeric: true, ..Col::text(target) },
            match (b.incident_id, b.order_id) {
                (Some(i), _) => Col::id(i.0).link(format!("/incidentes/{i}")),
                (None, Some(o)) => Col::text(format!("OS #{o}")).link(format!("/ordens/{o}")),
                (None, None) => Col::text(""),
            },
            Col::money(b.line_penalty),
        ]
    }
}

/// What an event of the timeline says.
pub(super) fn event_label(action: &str) -> String {
    match action {
        "create" => "Abertura".into(),
        "installment_applied" => "Parcela aplicada no fechamento".into(),
        "installment_postponed" => "Parcela adiada (lote sem cobrança no mês)".into(),
        code => PenaltyAction::parse("action", code)
            .map(|a| a.label().to_string())
            .unwrap_or_else(|_| code.into()),
    }
}

struct Timeline;

impl Listing for Timeline {
    type Item = PenaltyEvent;
    const COLUMNS: &'static [Column] = &[
        Column::both("Quando"),
        Column::both("Quem"),
        Column::both("Ato"),
        Column::both("Situação"),
        Column::both("Valor"),
        Column::both("Observação"),
    ];

    fn cells(&self, e: &PenaltyEvent) -> Vec<Col> {
        vec![
            Col::text(when(Some(e.at))),
            Col::text(if e.login.is_empty() { "sistema" } else { &e.login }),
            Col::text(event_label(&e.action)),
            status_col(e.to_status),
            e.amount.map(Col::money).unwrap_or_else(|| Col::text("")),
            Col::text(&e.note),
        ]
    }
}

struct Attachments {
    penalty: PenaltyId,
}

impl Listing for Attachments {
    type Item = AttachmentMeta;
    const COLUMNS: &'static [Column] = &[
        Column::both("Peça"),
        Column::both("Documento"),
        Column::both("Tamanho (bytes)"),
        Column::both("SHA-256"),
        Column::both("Juntado em"),
    ];

    fn cells(&self, a: &AttachmentMeta) -> Vec<Col> {
        vec![
            Col::text(a.kind.label()),
            Col::text(&a.name).link(format!("/multas/{}/anexos/{}", self.penalty, a.id.0)),
            Col::int(a.size_bytes),
            Col::text(&a.sha256),
            Col::text(when(Some(a.created_at))),
        ]
    }
}

struct Installments<'a> {
    agencies: &'a HashMap<AgencyId, String>,
}

impl Listing for Installments<'_> {
    type Item = redegov_app::penalties::InstallmentDetail;
    const COLUMNS: &'static [Column] = &[
        Column::both("Parcela"),
        Column::both("Mês"),
        Column::both("Valor"),
        Column::both("Situação"),
        Column::both("Aplicada em"),
        Column::both("Adiamentos"),
        Column::both("Rateio nos relatórios de faturamento"),
    ];

    fn cells(&self, d: &redegov_app::penalties::InstallmentDetail) -> Vec<Col> {
        let i = &d.installment;
        let parts = d
            .parts
            .iter()
            .map(|p| {
                let agency = p.deduction.agency_id;
                let name = self.agencies.get(&agency).cloned().unwrap_or_else(|| format!("órgão #{agency}"));
                format!("{name}: {}", p.deduction.amount.format_brl())
            })
            .collect::<Vec<_>>()
            .join("; ");
        vec![
            Col::text(format!("{} de {}", i.seq, i.of_total)),
            Col::text(&i.month).link(format!("/meses/{}", i.month)),
            Col::money(i.amount),
            Col::text(i.status.label()).badge(format!("inst-{}", i.status.as_str())),
            Col::text(when(i.applied_at)),
            Col::int(i64::from(i.postponements)),
            Col::text(parts),
        ]
    }

    fn row_class(&self, d: &redegov_app::penalties::InstallmentDetail) -> &'static str {
        if d.installment.status == InstallmentStatus::Applied { "" } else { "row-open" }
    }
}

fn facts(d: &PenaltyDetail) -> Vec<Fact> {
    let p = &d.row.penalty;
    let decision = |d: &Option<redegov_domain::penalty::Decision>| match d {
        Some(d) => format!(
            "{} — {} em {}: {}",
            d.outcome.label(),
            d.amount.format_brl(),
            when(Some(d.at)),
            d.grounds
        ),
        None => "—".into(),
    };
    let mut facts = vec![
        Fact::new("Situação", status_col(p.status)),
        Fact::new("Lote", Col::text(&d.row.lot_code).link(format!("/lotes/{}", p.lot_id))),
        Fact::text("Cláusula", if p.clause.is_empty() { "—" } else { &p.clause }),
        Fact::text("Descrição", &p.description),
        Fact::new("Valor calculado pelas regras", Col::money(p.computed)),
        Fact::new("Valor proposto", Col::money(p.proposed)),
    ];
    if !p.amount_reason.is_empty() {
        facts.push(Fact::text("Motivo do valor proposto", &p.amount_reason));
    }
    facts.extend([
        Fact::text(
            "Prazos",
            format!("defesa em {} dia(s) úteis; recurso em {} dia(s) úteis", p.defense_days, p.appeal_days),
        ),
        Fact::text("Operadora notificada em", when(p.notified_at)),
        Fact::text("Prazo da defesa", p.defense_due_on.map(format_date).unwrap_or_else(|| "—".into())),
        Fact::text("Defesa apresentada em", when(p.defense_at)),
        Fact::text("Decisão", decision(&p.decision)),
        Fact::text("Prazo de recurso", p.appeal_due_on.map(format_date).unwrap_or_else(|| "—".into())),
        Fact::text("Recurso apresentado em", when(p.appeal_at)),
        Fact::text("Decisão do recurso", decision(&p.appeal_decision)),
        Fact::text("Definitiva em", when(p.final_at)),
    ]);
    if let Some(n) = p.installments {
        facts.push(Fact::text(
            "Aplicação",
            format!("{n} parcela(s) mensais a partir de {}", p.start_month.as_deref().unwrap_or("—")),
        ));
    }
    if p.suspended_at.is_some() {
        facts.push(Fact::text("Suspensa em", format!("{} — {}", when(p.suspended_at), p.suspend_reason)));
    }
    if p.settled_at.is_some() {
        facts.push(Fact::text("Quitada em", when(p.settled_at)));
    }
    facts
}

/// The forms of a process's page, by the action they take.
fn action_form(
    user: &PortalUser,
    d: &PenaltyDetail,
    action: PenaltyAction,
    v: &Values,
) -> Option<ActionForm> {
    let id = d.row.penalty.id;
    let mut form = ActionForm::new(form_id(action), format!("/multas/{id}"), user);
    let button =
        |label: &str| SubmitButton::new("acao", action.as_str(), label, format!("btn-{}", action.as_str()));
    let outcome = |name| {
        Field::select(name, "Resultado", v, code_choices(Outcome::ALL, Outcome::as_str, Outcome::label))
            .required()
    };
    match action {
        PenaltyAction::Amend => {
            form.intro = "Altera o valor proposto antes da notificação; o motivo fica no processo.".into();
            form.fields.push(Field::text("amend_amount", "Novo valor proposto (R$)", v).required());
            form.fields.push(Field::new("amend_reason", "Motivo", "textarea", v).required());
            form.buttons.push(button("Alterar o valor").kind(ButtonKind::Secondary));
        }
        PenaltyAction::Notify => {
            form.intro = format!(
                "A operadora recebe e-mail e vê o processo no portal; o prazo de defesa ({} dia(s) úteis) \
                 começa a contar agora.",
                d.row.penalty.defense_days
            );
            form.buttons.push(button("Notificar a operadora"));
        }
        PenaltyAction::FileDefense | PenaltyAction::FileAppeal => {
            let (what, due) = if action == PenaltyAction::FileDefense {
                ("a defesa", d.row.penalty.defense_due_on)
            } else {
                ("o recurso", d.row.penalty.appeal_due_on)
            };
            form.action = format!("/multas/{id}/peticao");
            form.multipart = true;
            form.intro = format!(
                "Apresente {what} até {} (texto e até {MAX_ATTACHMENTS} documentos de até {} MiB; o SHA-256 \
                 de cada um fica registrado).",
                due.map(format_date).unwrap_or_else(|| "o fim do prazo".into()),
                MAX_ATTACHMENT_BYTES / (1024 * 1024)
            );
            form.fields.push(Field::new("text", "Texto", "textarea", v).required());
            form.fields.push(Field::new("documents", "Documentos", "file", v));
            form.buttons.push(button(action.label()));
        }
        PenaltyAction::Decide | PenaltyAction::DecideAppeal => {
            form.intro = if action == PenaltyAction::Decide {
                "Procedente mantém o valor proposto; parcialmente procedente exige o valor; improcedente \
                 arquiva a multa. A decisão abre o prazo de recurso."
            } else {
                "Procedente mantém a multa decidida; parcialmente procedente a reduz ao valor informado; \
                 improcedente a anula. A decisão do recurso é definitiva."
            }
            .into();
            form.fields.push(outcome("outcome"));
            form.fields.push(
                Field::text("decision_amount", "Valor (R$)", v).help("Somente para parcialmente procedente."),
            );
            form.fields.push(Field::new("grounds", "Fundamentação", "textarea", v).required());
            form.buttons.push(button(action.label()));
        }
        PenaltyAction::Apply => {
            form.intro = "A multa definitiva é descontada em parcelas mensais (a última absorve o \
                          arredondamento), rateadas entre os órgãos do lote proporcionalmente à cobrança de \
                          cada um e, em consórcio, entre as consorciadas."
                .into();
            form.fields.push(Field::new("installments", "Parcelas", "number", v).required());
            form.fields.push(
                Field::text("start_month", "Mês da primeira parcela", v)
                    .placeholder("AAAA-MM")
                    .required()
                    .help("Um mês ainda aberto (AAAA-MM)."),
            );
            form.buttons.push(button("Aplicar em parcelas"));
        }
        PenaltyAction::Suspend => {
            form.intro = "Suspende as parcelas ainda não aplicadas (ordem judicial, por exemplo).".into();
            form.fields.push(Field::new("suspend_reason", "Motivo", "textarea", v).required());
            form.buttons.push(button("Suspender").kind(ButtonKind::Danger));
        }
        PenaltyAction::Resume => {
            form.intro =
                "As parcelas pendentes passam a meses consecutivos a partir do primeiro mês aberto.".into();
            form.buttons.push(button("Retomar a aplicação"));
        }
        PenaltyAction::MissDefenseDeadline | PenaltyAction::Finalize | PenaltyAction::Settle => return None,
    }
    Some(form)
}

fn form_id(action: PenaltyAction) -> &'static str {
    match action {
        PenaltyAction::Amend => "form-amend",
        PenaltyAction::Notify => "form-notify",
        PenaltyAction::FileDefense => "form-defense",
        PenaltyAction::FileAppeal => "form-appeal",
        PenaltyAction::Decide => "form-decide",
        PenaltyAction::DecideAppeal => "form-decide-appeal",
        PenaltyAction::Apply => "form-apply",
        PenaltyAction::Suspend => "form-suspend",
        PenaltyAction::Resume => "form-resume",
        PenaltyAction::MissDefenseDeadline | PenaltyAction::Finalize | PenaltyAction::Settle => "form-system",
    }
}

/// A form submitted and refused, shown again as typed with the rule.
struct Refusal {
    action: PenaltyAction,
    values: Values,
    error: FieldError,
}

async fn penalty_page(
    state: &WebState,
    user: &PortalUser,
    d: &PenaltyDetail,
    refusal: Option<Refusal>,
) -> Result<DetailPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let p = &d.row.penalty;
    let mut page = DetailPage::new(user, Section::Penalties, format!("Processo de multa {}", p.number));
    page.subtitle = format!("Lote {} — {}", d.row.lot_code, p.status.label());
    page.actions.push(LinkButton::primary("Dossiê em PDF", format!("/multas/{}/dossie.pdf", p.id)));
    page.actions.push(LinkButton::secondary("Todos os processos", "/multas"));
    let applied: Money = d
        .installments
        .iter()
        .filter(|i| i.installment.status == InstallmentStatus::Applied)
        .map(|i| i.installment.amount)
        .sum();
    let fine = p.final_amount();
    page.kpis = vec![
        Kpi::new("Valor proposto", p.proposed.format_brl(), "calculado pelas regras ou alterado com motivo"),
        Kpi::new(
            "Multa",
            fine.map(Money::format_brl).unwrap_or_else(|| "—".into()),
            p.outcome().map(|o| o.label()).unwrap_or("sem decisão"),
        ),
        Kpi::new(
            "Aplicado",
            applied.format_brl(),
            format!("{} parcela(s)", count(d.installments.len() as i64)),
        ),
        Kpi::new("A aplicar", (fine.unwrap_or(Money::ZERO) - applied).format_brl(), "parcelas pendentes"),
    ];
    page.facts = facts(d);
    let (mut refused_action, mut refused_values, mut refused_error) = (None, None, None);
    if let Some(r) = refusal {
        refused_action = Some(r.action);
        refused_values = Some(r.values);
        refused_error = Some(r.error);
    }
    let empty = Values::default();
    let mut forms = DetailSection::new("O que fazer agora").id("acoes");
    for &action in &d.allowed {
        let values =
            if refused_action == Some(action) { refused_values.as_ref().unwrap_or(&empty) } else { &empty };
        if let Some(mut form) = action_form(user, d, action, values) {
            if refused_action == Some(action)
                && let Some(e) = &refused_error
            {
                form = form.with_error(e);
            }
            forms = forms.form(form);
        }
    }
    if !forms.forms.is_empty() {
        page.sections.push(forms);
    }
    if !d.breaches.is_empty() {
        page.sections.push(
            DetailSection::new("Violações de IMR citadas")
                .id("violacoes")
                .note("Medições dos meses fechados, como apuradas no fechamento.")
                .grid(Breaches.grid("violacoes-grid", &d.breaches)),
        );
    }
    page.sections.push(
        DetailSection::new("Linha do tempo")
            .id("linha-do-tempo")
            .grid(Timeline.grid("linha-do-tempo-grid", &d.events).empty_text("Nenhum ato registrado.")),
    );
    let mut filings = DetailSection::new("Defesa e recurso").id("defesa");
    if !p.defense_text.is_empty() {
        filings.facts.push(Fact::text("Defesa", &p.defense_text));
    }
    if !p.appeal_text.is_empty() {
        filings.facts.push(Fact::text("Recurso", &p.appeal_text));
    }
    filings = filings.grid(
        Attachments { penalty: p.id }.grid("anexos", &d.attachments).empty_text("Nenhum documento juntado."),
    );
    page.sections.push(filings);
    if !d.installments.is_empty() {
        let agencies = fetch::agency_acronyms(app, actor).await?;
        page.sections.push(
            DetailSection::new("Parcelas")
                .id("parcelas")
                .note("Cada parcela vira linhas \"multa\" nos relatórios de faturamento do mês em que é aplicada.")
                .grid(Installments { agencies: &agencies }.grid("parcelas-grid", &d.installments)),
        );
    }
    page.sections.extend(history(app, actor, "penalty", p.id.0).await?);
    Ok(page)
}

pub async fn detail(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let d = state.app.get_penalty(user.actor(), PenaltyId(parse_id(&id)?)).await?;
    let mut page = penalty_page(&state, &user, &d, None).await?;
    page.saved(raw.as_deref(), "Ato registrado.");
    Ok(render(&page))
}

fn decision_amount(v: &Values) -> Valid<Option<Money>> {
    v.optional("decision_amount", Money::parse_brl)
}

/// The command a plain action form asks for.
fn parse_command(action: PenaltyAction, v: &Values) -> Valid<Command> {
    let outcome = || Outcome::parse("outcome", v.get("outcome"));
    Ok(match action {
        PenaltyAction::Amend => Command::Amend {
            amount: Money::parse_brl("amend_amount", v.get("amend_amount"))?,
            reason: v.get("amend_reason").into(),
        },
        PenaltyAction::Notify => Command::Notify,
        PenaltyAction::Decide => Command::Decide {
            outcome: outcome()?,
            amount: decision_amount(v)?,
            grounds: v.get("grounds").into(),
        },
        PenaltyAction::DecideAppeal => Command::DecideAppeal {
            outcome: outcome()?,
            amount: decision_amount(v)?,
            grounds: v.get("grounds").into(),
        },
        PenaltyAction::Suspend => Command::Suspend { reason: v.get("suspend_reason").into() },
        PenaltyAction::Resume => Command::Resume,
        _ => return Err(FieldError::new("acao", Rule::Malformed("ato do processo"))),
    })
}

/// Field names the app's rules use, as this page's forms name them.
fn page_field(action: PenaltyAction, e: FieldError) -> FieldError {
    let field = match (action, e.field.as_str()) {
        (PenaltyAction::Amend, "amount" | "amount_centavos") => "amend_amount",
        (PenaltyAction::Amend, "reason") => "amend_reason",
        (PenaltyAction::Decide | PenaltyAction::DecideAppeal, "amount" | "amount_centavos") => {
            "decision_amount"
        }
        (PenaltyAction::Suspend, "reason") => "suspend_reason",
        _ => return e,
    };
    FieldError { field: field.into(), ..e }
}

pub async fn act(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let (app, actor) = (&state.app, user.actor());
    let id = PenaltyId(parse_id(&id)?);
    let action = PenaltyAction::parse("acao", values.get("acao")).map_err(|_| PageError::not_found())?;
    let result = match action {
        PenaltyAction::Apply => {
            let n = values.int("installments").and_then(|n| {
                u32::try_from(n)
                    .map_err(|_| FieldError::new("installments", Rule::OutOfRange { min: 1, max: 120 }))
            });
            match (n, parse_start_month(values.get("start_month"))) {
                (Ok(n), Ok(start)) => app.apply_penalty(actor, id, n, start).await,
                (Err(e), _) | (_, Err(e)) => Err(e.into()),
            }
        }
        _ => match parse_command(action, &values) {
            Ok(command) => app.transition_penalty(actor, id, command).await,
            Err(e) => Err(e.into()),
        },
    };
    settle(&state, &user, id, action, values, result).await
}

/// After an action: back to the process, or the page again with the rule.
async fn settle(
    state: &WebState,
    user: &PortalUser,
    id: PenaltyId,
    action: PenaltyAction,
    values: Values,
    result: Result<PenaltyDetail, AppError>,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => created(format!("/multas/{id}?salvo=1")),
        Err(AppError::Invalid(error)) => {
            let d = state.app.get_penalty(user.actor(), id).await?;
            let error = page_field(action, error);
            let page = penalty_page(state, user, &d, Some(Refusal { action, values, error })).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /multas/{id}/peticao`: the operator's defense or appeal, as
/// `multipart/form-data` (csrf, acao, text and the documents).
pub async fn file(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let id = PenaltyId(parse_id(&id)?);
    let (fields, files) = super::invoices::read_multipart(multipart, "documents").await?;
    let attachments = files
        .into_iter()
        .map(|(name, content_type, data)| AttachmentInput { name, content_type, data })
        .collect();
    let values = submitted(&user, fields)?;
    let action = PenaltyAction::parse("acao", values.get("acao")).map_err(|_| PageError::not_found())?;
    let filing = Filing { text: values.get("text").into(), attachments };
    let result = match action {
        PenaltyAction::FileDefense => state.app.file_defense(user.actor(), id, filing).await,
        PenaltyAction::FileAppeal => state.app.file_appeal(user.actor(), id, filing).await,
        _ => return Err(PageError::not_found()),
    };
    settle(&state, &user, id, action, values, result).await
}

/// `GET /multas/{id}/anexos/{attachment}`: a document, checksum verified.
pub async fn attachment(
    State(state): State<WebState>,
    user: PortalUser,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let a = state
        .app
        .penalty_attachment(user.actor(), PenaltyId(parse_id(&id)?), AttachmentId(parse_id(&attachment)?))
        .await?;
    Ok(crate::api::penalties::attachment_download(a))
}

/// `GET /multas/{id}/dossie.pdf`: the process's full record as one PDF.
pub async fn dossier(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = state.app.get_penalty(user.actor(), PenaltyId(parse_id(&id)?)).await?;
    let page = penalty_page(&state, &user, &d, None).await?;
    let number = &d.row.penalty.number;
    let doc = printing::document(&page, state.app.now(), format!("Processo de multa {number}"));
    let file =
        format!("dossie-{}.pdf", number.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    Ok(printing::pdf_download(&doc, &file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaches_are_typed_one_per_line() {
        let typed = "2026-03;12;disponibilidade\n\n2026-03, 12, reparo, 7\n2026-02;#40;order_deadline;9";
        let b = parse_breaches("breaches", typed).expect("parsed");
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].access_id, b[0].kind.as_str()), (AccessId(12), "availability"));
        assert_eq!(
            (b[1].kind.as_str(), b[1].incident_id, b[1].order_id),
            ("repair_time", Some(IncidentId(7)), None)
        );
        assert_eq!((b[2].access_id, b[2].order_id, b[2].incident_id), (AccessId(40), Some(OrderId(9)), None));
        assert_eq!(b[2].month.to_string(), "2026-02");
    }

    #[test]
    fn a_bad_breach_line_is_named() {
        for (typed, line) in
            [("2026-03;12", 1), ("2026-03;12;disponibilidade\n2026-13;1;reparo", 2), ("2026-03;x;prazo", 1)]
        {
            let e = parse_breaches("breaches", typed).expect_err(typed);
            assert_eq!(e.field, format!("breaches[{line}]"), "{typed}");
        }
        let e = parse_breaches("breaches", "2026-03;1;latencia").expect_err("kind");
        assert!(matches!(e.rule, Rule::OneOf(_)));
    }

    #[test]
    fn commands_read_their_own_fields() {
        let v = Values(
            [("outcome", "partially_upheld"), ("decision_amount", "1.500,00"), ("grounds", "Parcial.")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        assert_eq!(
            parse_command(PenaltyAction::Decide, &v),
            Ok(Command::Decide {
                outcome: Outcome::PartiallyUpheld,
                amount: Some(Money::from_centavos(150_000)),
                grounds: "Parcial.".into()
            })
        );
        let e = parse_command(PenaltyAction::Amend, &Values::default()).expect_err("amount");
        assert_eq!(e.field, "amend_amount");
        let moved = page_field(PenaltyAction::Suspend, FieldError::new("reason", Rule::Required));
        assert_eq!(moved.field, "suspend_reason");
    }
}
