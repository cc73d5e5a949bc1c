//! Service orders (ordens de serviço, DOMAIN §4) on the portal: the list
//! with its filters, deadline highlighting and CSV/XLSX export (an
//! operator's queue, a network manager's view by deadline); the guided
//! "Nova ordem" form — first the type, then that type's fields — kept as a
//! draft or sent at once; and the order's page: its facts and deadline, the
//! type's fields, the survey's pending items, the history timeline and one
//! button per action the reader may take now, with the input it needs.
//!
//! The app decides who may do what, scopes every read and states every
//! rule; this module only offers the actions `OrderDetail::allowed` lists
//! and turns the forms into `OrderSpec`s and `Command`s. Times are typed
//! and shown in Brasília time (`dd/mm/aaaa hh:mm`).

use super::details::{DetailPage, DetailSection, Notice, history};
use super::fetch;
use super::formkit::{
    ActionForm, ButtonKind, DataList, Field, FormPage, SubmitButton, Values, code_choices, created,
    form_field, preselect, refused, submitted,
};
use super::lists::{ListSpec, agency_filter, filters_by_agency, respond};
use super::localtime::{DATE_TIME_HINT, parse_local};
use super::paging::ListQuery;
use super::view::{Col, Column, Fact, FilterField, Kpi, LinkButton, Listing, count, mbps, when};
use super::{Chrome, Section, forbidden, parse_id, render, render_status};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use redegov_app::orders::{OrderDetail, OrderInput};
use redegov_app::{Actor, App, AppError, InventoryFilter, OrderFilter, OrderRow, Page};
use redegov_domain::calendar::DayUnit;
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::*;
use redegov_domain::inventory::{AccessStatus, Area, Redundancy, Technology};
use redegov_domain::order::*;
use redegov_domain::role::{Role, Scope};
use redegov_domain::time::{format_date, format_local, to_network_date};
use std::collections::HashMap;

/// Beyond this many sites or accesses in scope, a form asks for the number
/// instead of offering a select of them all.
const MAX_CHOICES: i64 = 300;

/// Rows of pending items a survey report offers.
const PENDING_ROWS: usize = 3;
const PENDING_PARTY: [&str; PENDING_ROWS] = ["pending_party_0", "pending_party_1", "pending_party_2"];
const PENDING_DESCRIPTION: [&str; PENDING_ROWS] =
    ["pending_description_0", "pending_description_1", "pending_description_2"];

/// Whether the role may open orders (the domain's roles for submitting).
fn opens_orders(role: Role) -> bool {
    Action::Submit.roles().contains(&role)
}

fn unit_word(unit: DayUnit) -> &'static str {
    match unit {
        DayUnit::Calendar => "corridos",
        DayUnit::Business => "úteis",
    }
}

/// An order's status as a badge: `ord-<status>` for the stylesheet, plus
/// the access badge of the same tone the stylesheet already colours.
fn status_col(status: OrderStatus) -> Col {
    use OrderStatus::*;
    let tone = match status {
        Draft | Cancelled => "st-deactivated",
        Submitted | Executed | AwaitingAgencyAcceptance => "st-requested",
        ReturnedForCorrection => "st-suspended",
        SentToOperator | SurveyScheduled | SurveyDone | InExecution => "st-installing",
        Completed => "st-active",
    };
    Col::text(status.label()).badge(format!("ord-{} {tone}", status.as_str()))
}

/// The due date and how the order stands against it, in words.
fn deadline_text(o: &Order, urgency: Option<Urgency>) -> String {
    let Some(due) = o.due_on else {
        return "—".into();
    };
    let date = format_date(due);
    match (urgency, o.late_days) {
        (Some(Urgency::Late { days }), _) => format!("{date} — atrasada {days} dia(s)"),
        (Some(Urgency::DueSoon { days_left: 0 }), _) => format!("{date} — vence hoje"),
        (Some(Urgency::DueSoon { days_left }), _) => format!("{date} — vence em {days_left} dia(s)"),
        (_, Some(late)) if late > 0 => format!("{date} — entregue com atraso de {late} dia(s)"),
        _ => date,
    }
}

/// The deadline cell: red when late, amber when due soon.
fn deadline_col(o: &Order, urgency: Option<Urgency>) -> Col {
    let col = Col::text(deadline_text(o, urgency));
    match urgency {
        Some(Urgency::Late { .. }) => col.badge("ord-late st-suspended"),
        Some(Urgency::DueSoon { .. }) => col.badge("ord-due-soon st-installing"),
        _ => col,
    }
}

// ----- the list -----

/// The order list's columns; `today` and the reminder days give urgency.
struct Orders {
    today: chrono::NaiveDate,
    reminder_days: u32,
}

impl Orders {
    fn urgency(&self, o: &Order) -> Option<Urgency> {
        o.urgency(self.today, self.reminder_days)
    }
}

impl Listing for Orders {
    type Item = OrderRow;
    const COLUMNS: &'static [Column] = &[
        Column::both("Número"),
        Column::both("Tipo"),
        Column::both("Órgão"),
        Column::page_only("Endereço / município"),
        Column::export_only("Endereço"),
        Column::export_only("Município"),
        Column::both("Lote"),
        Column::both("Situação"),
        Column::page_only("Prazo"),
        Column::export_only("Prazo (dias)"),
        Column::export_only("Contagem"),
        Column::export_only("Vencimento"),
        Column::export_only("Situação do prazo"),
        Column::export_only("Dias de atraso"),
        Column::export_only("Acesso"),
        Column::export_only("Aberta em"),
        Column::export_only("Concluída em"),
    ];

    fn cells(&self, r: &OrderRow) -> Vec<Col> {
        let o = &r.order;
        let urgency = self.urgency(o);
        let standing = match urgency {
            Some(Urgency::Late { .. }) => "atrasada",
            Some(Urgency::DueSoon { .. }) => "vencendo",
            Some(Urgency::OnTime { .. }) => "no prazo",
            None if o.late_days.is_some_and(|d| d > 0) => "entregue com atraso",
            None if o.delivered_on.is_some() => "entregue no prazo",
            None => "",
        };
        let late = match urgency {
            Some(Urgency::Late { days }) => Col::int(days),
            _ => o.late_days.map(|d| Col::int(i64::from(d))).unwrap_or_else(|| Col::text("")),
        };
        vec![
            Col::text(&o.number).link(format!("/ordens/{}", o.id)),
            Col::text(o.order_type.label()),
            Col::text(&r.agency_acronym).link(format!("/orgaos/{}", o.agency_id)),
            Col::text(format!("{} — {}", r.site_address, r.municipality_name)),
            Col::text(&r.site_address),
            Col::text(&r.municipality_name),
            Col::text(&r.lot_code).link(format!("/lotes/{}", o.lot_id)),
            status_col(o.status),
            deadline_col(o, urgency),
            Col::int(i64::from(o.deadline_days)),
            Col::text(unit_word(o.deadline_unit)),
            Col::text(o.due_on.map(format_date).unwrap_or_default()),
            Col::text(standing),
            late,
            o.access_id.map(|a| Col::id(a.0)).unwrap_or_else(|| Col::text("")),
            Col::text(format_local(o.created_at)),
            Col::text(o.completed_at.map(format_local).unwrap_or_default()),
        ]
    }

    fn row_class(&self, r: &OrderRow) -> &'static str {
        match self.urgency(&r.order) {
            Some(Urgency::Late { .. }) => "row-breach",
            Some(Urgency::DueSoon { .. }) => "row-open",
            _ => "",
        }
    }
}

/// A yes-only filter (`?late=true`), as the API names it.
fn flag_filter(name: &'static str, label: &'static str, on: bool, words: &str) -> FilterField {
    FilterField::select(
        name,
        label,
        on.then(|| "true".to_string()),
        [("true".to_string(), words.to_string())],
    )
}

pub async fn list(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    let settings = app.order_settings(actor).await?;
    let today = to_network_date(app.now());
    let lots = fetch::lots(app, actor).await?;
    let by_agency = filters_by_agency(actor);
    let agencies = if by_agency { fetch::agency_choices(app, actor).await? } else { Vec::new() };
    let operators = if actor.scope == Scope::All {
        app.list_operators(actor, InventoryFilter::default(), Page::all()).await?.items
    } else {
        Vec::new()
    };
    let status = q.code("status", OrderStatus::CODES);
    let order_type = q.code("type", OrderType::CODES);
    let agency_id = q.id("agency_id").map(AgencyId).filter(|_| by_agency);
    let lot_id = q.id("lot_id").map(LotId);
    let operator_id = q.id("operator_id").map(OperatorId).filter(|_| !operators.is_empty());
    let flag = |name: &str| q.code(name, &["true"]).is_some();
    let (open, late, due_soon) = (flag("open"), flag("late"), flag("due_soon"));
    let by_deadline = q.code("ordem", &["prazo"]).is_some();
    let filter = OrderFilter {
        status: status.as_deref().and_then(|s| OrderStatus::parse("status", s).ok()),
        order_type: order_type.as_deref().and_then(|t| OrderType::parse("type", t).ok()),
        agency_id,
        lot_id,
        access_id: q.id("access_id").map(AccessId),
        operator_id,
        open_only: open,
        late_on: late.then_some(today),
        due_by: due_soon.then(|| due_soon_by(today, &settings)),
        due_from: due_soon.then_some(today),
        search: q.text("q"),
        by_due_date: false,
    };
    let filter = OrderFilter { by_due_date: by_deadline, ..filter };
    let listed = app.list_orders(actor, filter, q.fetch()).await?;
    let (items, total) = (listed.items, listed.total);
    let choices = |pairs: Vec<(&'static str, &'static str)>| {
        pairs.into_iter().map(|(c, l)| (c.to_string(), l.to_string())).collect::<Vec<_>>()
    };
    let mut filters = vec![
        FilterField::search("q", "Busca", q.text("q"), "número, órgão, município ou endereço"),
        FilterField::select(
            "status",
            "Situação",
            status,
            choices(OrderStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect()),
        ),
        FilterField::select(
            "type",
            "Tipo",
            order_type,
            choices(OrderType::ALL.iter().map(|t| (t.as_str(), t.label())).collect()),
        ),
        FilterField::select(
            "lot_id",
            "Lote",
            lot_id.map(|l| l.to_string()),
            lots.iter().map(|l| (l.id.to_string(), l.code.clone())),
        ),
    ];
    if by_agency {
        let mut field = agency_filter(agency_id, &agencies);
        field.name = "agency_id";
        filters.push(field);
    }
    if operators.len() > 1 {
        filters.push(FilterField::select(
            "operator_id",
            "Operadora",
            operator_id.map(|o| o.to_string()),
            operators.iter().map(|o| (o.id.to_string(), o.name.clone())),
        ));
    }
    filters.push(flag_filter("open", "Em aberto", open, "Somente as em aberto"));
    filters.push(flag_filter("late", "Atrasadas", late, "Somente as atrasadas"));
    filters.push(flag_filter(
        "due_soon",
        "Vencendo",
        due_soon,
        &format!("Vencem em até {} dia(s)", settings.reminder_days),
    ));
    let mut sort = FilterField::select(
        "ordem",
        "Ordem",
        by_deadline.then(|| "prazo".to_string()),
        [("prazo".to_string(), "Por prazo (vencimento mais próximo)".to_string())],
    );
    if let Some(first) = sort.options.first_mut() {
        first.label = "Mais recentes primeiro".into();
    }
    filters.push(sort);
    let mut actions = Vec::new();
    if opens_orders(actor.role) {
        actions.push(LinkButton::primary("Nova ordem", "/ordens/nova"));
    }
    actions.push(LinkButton::secondary("Por prazo", "/ordens?open=true&ordem=prazo"));
    actions.push(LinkButton::secondary("Atrasadas", "/ordens?late=true&ordem=prazo"));
    actions.push(LinkButton::secondary("Vencendo", "/ordens?due_soon=true&ordem=prazo"));
    let heading = match actor.scope {
        Scope::Operator(_) => "Ordens de serviço — fila da operadora",
        _ => "Ordens de serviço",
    };
    let spec = ListSpec {
        section: Section::Orders,
        heading: heading.into(),
        path: "/ordens".into(),
        file: "ordens-de-servico".into(),
        table_id: "ordens",
        filters,
        actions,
    };
    let listing = Orders { today, reminder_days: settings.reminder_days };
    Ok(respond(&user, &q, spec, &listing, &items, total))
}

/// The dashboard's headline on orders: open ones, late and due soon.
pub(super) async fn dashboard_kpi(app: &App, actor: &Actor) -> Result<Kpi, PageError> {
    let settings = app.order_settings(actor).await?;
    let today = to_network_date(app.now());
    let yesterday = today.checked_sub_days(chrono::Days::new(1)).unwrap_or(today);
    let open = OrderFilter { open_only: true, ..OrderFilter::default() };
    // Undelivered: due by yesterday is late; due from today to the
    // reminder horizon is due soon.
    let filters = [
        open.clone(),
        OrderFilter { due_by: Some(yesterday), ..open.clone() },
        OrderFilter { due_from: Some(today), due_by: Some(due_soon_by(today, &settings)), ..open },
    ];
    let mut totals = [0; 3];
    for (total, f) in totals.iter_mut().zip(filters) {
        *total = app.list_orders(actor, f, Page { page: 1, page_size: 1 }).await?.total;
    }
    let [open_total, late, soon] = totals;
    Ok(Kpi::new(
        "Ordens de serviço em aberto",
        count(open_total),
        format!("{} atrasada(s), {} vencendo", count(late), count(soon)),
    ))
}

/// The last day of the "due soon" view.
fn due_soon_by(today: chrono::NaiveDate, settings: &OrderSettings) -> chrono::NaiveDate {
    today.checked_add_days(chrono::Days::new(u64::from(settings.reminder_days))).unwrap_or(today)
}

// ----- Nova ordem -----

/// What each type is for, in a sentence.
fn explanation(t: OrderType) -> &'static str {
    match t {
        OrderType::NewAccess => "Instalar um novo acesso em uma unidade do órgão.",
        OrderType::Deactivation => "Desligar um acesso existente; o faturamento termina na conclusão.",
        OrderType::Reconfiguration => {
            "Mudar a velocidade (ou o serviço) de um acesso; o novo preço vale a partir do dia seguinte ao aceite."
        }
        OrderType::AddressChange => {
            "Levar um acesso para outra unidade do mesmo órgão: instala no novo endereço e, após o aceite, \
             desativa o antigo."
        }
        OrderType::AddressCorrection => "Corrigir o endereço cadastrado de um acesso, sem mudança física.",
        OrderType::OwnershipTransfer => "Passar um acesso para outro órgão, em uma unidade dele.",
        OrderType::CpeConfigChange => "Alterar a configuração do equipamento (CPE) de um acesso.",
        OrderType::CpeRelocation => "Mudar o equipamento (CPE) de lugar no mesmo endereço.",
        OrderType::SecurityRuleChange => "Bloquear ou desbloquear tráfego de um acesso (regra de segurança).",
        OrderType::Migration => "Trazer um circuito da rede legada para este contrato.",
    }
}

/// The operator's deadline for a type, in words.
fn deadline_rule(settings: &OrderSettings, t: OrderType) -> String {
    let (capital, unit) = settings.deadline(t, Area::Capital);
    let (elsewhere, _) = settings.deadline(t, Area::Interior);
    if capital == elsewhere {
        format!("{capital} dia(s) {}", unit_word(unit))
    } else {
        format!("{capital} dias {} na capital, {elsewhere} nos demais municípios", unit_word(unit))
    }
}

/// The order types, as the first step of the guided form.
struct Types<'a> {
    settings: &'a OrderSettings,
}

impl Listing for Types<'_> {
    type Item = OrderType;
    const COLUMNS: &'static [Column] =
        &[Column::both("Tipo"), Column::both("Para quê"), Column::both("Prazo da operadora")];

    fn cells(&self, t: &OrderType) -> Vec<Col> {
        vec![
            Col::text(t.label()).link(format!("/ordens/nova?type={}", t.as_str())),
            Col::text(explanation(*t)),
            Col::text(deadline_rule(self.settings, *t)),
        ]
    }
}

fn require_opener(user: &PortalUser) -> Result<(), PageError> {
    if opens_orders(user.actor().role) { Ok(()) } else { Err(forbidden()) }
}

/// A select of the sites in scope, or a number box when there are too many.
async fn site_field(
    app: &App,
    actor: &Actor,
    name: &'static str,
    label: &'static str,
    values: &Values,
) -> Result<Field, PageError> {
    let sites =
        app.list_sites(actor, InventoryFilter::default(), Page { page: 1, page_size: MAX_CHOICES }).await?;
    if sites.total > MAX_CHOICES {
        return Ok(Field::new(name, label, "number", values)
            .required()
            .help("O número da unidade, que aparece na lista de Unidades."));
    }
    let acronyms: HashMap<AgencyId, String> =
        fetch::agency_choices(app, actor).await?.into_iter().map(|(id, acronym, _)| (id, acronym)).collect();
    let choices = sites.items.iter().map(|s| {
        let acronym =
            acronyms.get(&s.agency_id).cloned().unwrap_or_else(|| format!("órgão nº {}", s.agency_id));
        let name = if s.name.is_empty() { String::new() } else { format!("{} — ", s.name) };
        (s.id.to_string(), format!("{acronym}: {name}{}, {} (nº {})", s.address, s.municipality_name, s.id))
    });
    Ok(Field::select(name, label, values, choices.collect::<Vec<_>>()).required())
}

/// A select of the live accesses in scope, or a number box when there are
/// too many.
async fn access_field(app: &App, actor: &Actor, values: &Values) -> Result<Field, PageError> {
    let page = Page { page: 1, page_size: MAX_CHOICES };
    let accesses = app.list_accesses(actor, InventoryFilter::default(), page).await?;
    if accesses.total > MAX_CHOICES {
        let mut field = Field::new("access_id", "Acesso (nº)", "number", values)
            .required()
            .help("O número do acesso, que aparece na lista de Acessos.");
        if let Ok(id) = values.int("access_id")
            && let Ok(a) = app.get_access(actor, AccessId(id)).await
        {
            field.help = format!(
                "{} — {}, {} (lote {}, {})",
                a.agency_acronym,
                a.site_address,
                a.municipality_name,
                a.lot_code,
                mbps(a.access.bandwidth_mbps)
            );
        }
        return Ok(field);
    }
    let choices = accesses.items.iter().filter(|a| a.access.status != AccessStatus::Deactivated).map(|a| {
        (
            a.access.id.to_string(),
            format!(
                "nº {} — {}: {}, {} (lote {}, {}, {})",
                a.access.id,
                a.agency_acronym,
                a.site_address,
                a.municipality_name,
                a.lot_code,
                mbps(a.access.bandwidth_mbps),
                a.access.status.label()
            ),
        )
    });
    Ok(Field::select("access_id", "Acesso", values, choices.collect::<Vec<_>>()).required())
}

fn bandwidth_field(label: &'static str, values: &Values) -> Field {
    Field::new("bandwidth_mbps", label, "number", values).required().placeholder("ex.: 10")
}

fn service_field(values: &Values, default: bool) -> Field {
    let mut field = Field::text("service", "Serviço", values);
    field.list = "servicos";
    if default && field.value.is_empty() {
        field.value = "SCM".into();
    }
    field
}

fn description_field(values: &Values) -> Field {
    Field::new("description", "Descrição", "textarea", values).required()
}

/// The form of one order type: the type (fixed), its fields, and whether
/// to keep it as a draft.
async fn order_form(
    state: &WebState,
    user: &PortalUser,
    t: OrderType,
    values: &Values,
) -> Result<FormPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let settings = app.order_settings(actor).await?;
    let mut kind = Field::new("type", "Tipo", "fixed", values);
    kind.value = t.as_str().into();
    kind.shown = t.label().into();
    let mut fields = vec![kind];
    let mut datalists = Vec::new();
    if t.creates_access() {
        if t == OrderType::Migration {
            fields.push(
                Field::text("legacy_circuit", "Circuito da rede legada", values)
                    .required()
                    .help("A designação do circuito na rede antiga."),
            );
        }
        fields.push(site_field(app, actor, "site_id", "Unidade", values).await?);
        let lots = fetch::lots(app, actor).await?;
        let lot_choices = lots.iter().map(|l| {
            let label = if l.description.is_empty() {
                l.code.clone()
            } else {
                format!("{} — {}", l.code, l.description)
            };
            (l.id.to_string(), label)
        });
        fields.push(
            Field::select("lot_id", "Lote", values, lot_choices.collect::<Vec<_>>())
                .required()
                .help("O lote que atende o município da unidade."),
        );
        fields.push(
            service_field(values, true)
                .required()
                .help("SCM (intranet) é o padrão; SAI ou STI para internet."),
        );
        fields.push(bandwidth_field("Velocidade (Mbps)", values));
        let mut redundancy = Field::select(
            "redundancy",
            "Redundância",
            values,
            code_choices(Redundancy::ALL, Redundancy::as_str, Redundancy::label),
        )
        .required();
        preselect(&mut redundancy, Redundancy::None.as_str());
        fields.push(redundancy);
        let mut technology = Field::select(
            "technology",
            "Tecnologia",
            values,
            code_choices(Technology::ALL, Technology::as_str, Technology::label),
        )
        .required();
        preselect(&mut technology, Technology::Terrestrial.as_str());
        fields.push(technology);
        datalists.push(DataList { id: "servicos", options: vec!["SCM", "SAI", "STI"] });
    } else {
        fields.push(access_field(app, actor, values).await?);
        match t {
            OrderType::Reconfiguration => {
                fields.push(bandwidth_field("Nova velocidade (Mbps)", values));
                fields.push(service_field(values, false).help("Em branco: mantém o serviço atual."));
                datalists.push(DataList { id: "servicos", options: vec!["SCM", "SAI", "STI"] });
            }
            OrderType::AddressChange => {
                fields.push(site_field(app, actor, "new_site_id", "Nova unidade", values).await?);
            }
            OrderType::AddressCorrection => {
                fields.push(
                    Field::text("address", "Endereço correto", values)
                        .required()
                        .placeholder("ex.: Rua da Bahia, 1000 — Centro"),
                );
            }
            OrderType::OwnershipTransfer => {
                let agencies = fetch::agency_choices(app, actor).await?;
                fields.push(
                    Field::select(
                        "to_agency_id",
                        "Órgão de destino",
                        values,
                        agencies
                            .into_iter()
                            .map(|(id, _, label)| (id.to_string(), label))
                            .collect::<Vec<_>>(),
                    )
                    .required(),
                );
                fields.push(
                    Field::new("to_site_id", "Unidade de destino (nº)", "number", values)
                        .required()
                        .help("O número de uma unidade do órgão de destino."),
                );
            }
            OrderType::SecurityRuleChange => {
                fields.push(
                    Field::select(
                        "change",
                        "Alteração",
                        values,
                        code_choices(SecurityChange::ALL, SecurityChange::as_str, SecurityChange::label),
                    )
                    .required(),
                );
                fields.push(
                    description_field(values)
                        .help("O tráfego a bloquear ou liberar: origem, destino, portas."),
                );
            }
            OrderType::CpeConfigChange | OrderType::CpeRelocation => fields.push(description_field(values)),
            OrderType::Deactivation | OrderType::NewAccess | OrderType::Migration => {}
        }
    }
    let mut draft = Field::new("rascunho", "Rascunho", "checkbox", values);
    draft.shown = "Salvar como rascunho (enviar depois)".into();
    draft.help = if settings.validation_step {
        "Sem marcar, a ordem é enviada agora para a validação do gestor da rede.".into()
    } else {
        "Sem marcar, a ordem é enviada agora à operadora.".into()
    };
    fields.push(draft);
    Ok(FormPage {
        chrome: Chrome::new(user, Section::Orders, "Nova ordem de serviço"),
        heading: format!("Nova ordem: {}", t.label()),
        intro: format!(
            "Passo 2 de 2. {} Prazo da operadora: {}, contados do envio à operadora.",
            explanation(t),
            deadline_rule(&settings, t)
        ),
        action: "/ordens/nova".into(),
        submit: "Enviar ordem",
        cancel: "/ordens/nova".into(),
        csrf: user.session.csrf_token.clone(),
        error: None,
        fields,
        groups: Vec::new(),
        datalists,
    })
}

/// A required code field.
fn code<T>(v: &Values, name: &str, parse: fn(&str, &str) -> Valid<T>) -> Valid<T> {
    match v.get(name) {
        "" => Err(FieldError::new(name, Rule::Required)),
        text => parse(name, text),
    }
}

/// The order a submitted form describes.
fn parse_spec(t: OrderType, v: &Values) -> Valid<OrderSpec> {
    let access = || -> Valid<AccessSpec> {
        Ok(AccessSpec {
            site_id: SiteId(v.int("site_id")?),
            lot_id: LotId(v.int("lot_id")?),
            service: v.get("service").into(),
            bandwidth_mbps: v.int("bandwidth_mbps")?,
            redundancy: code(v, "redundancy", Redundancy::parse)?,
            technology: code(v, "technology", Technology::parse)?,
        })
    };
    let access_id = || v.int("access_id").map(AccessId);
    Ok(match t {
        OrderType::NewAccess => OrderSpec::NewAccess { access: access()? },
        OrderType::Migration => {
            OrderSpec::Migration { legacy_circuit: v.get("legacy_circuit").into(), access: access()? }
        }
        OrderType::Deactivation => OrderSpec::Deactivation { access_id: access_id()? },
        OrderType::Reconfiguration => OrderSpec::Reconfiguration {
            access_id: access_id()?,
            bandwidth_mbps: v.int("bandwidth_mbps")?,
            service: Some(v.get("service").to_string()).filter(|s| !s.is_empty()),
        },
        OrderType::AddressChange => {
            OrderSpec::AddressChange { access_id: access_id()?, new_site_id: SiteId(v.int("new_site_id")?) }
        }
        OrderType::AddressCorrection => {
            OrderSpec::AddressCorrection { access_id: access_id()?, address: v.get("address").into() }
        }
        OrderType::OwnershipTransfer => OrderSpec::OwnershipTransfer {
            access_id: access_id()?,
            to_agency_id: AgencyId(v.int("to_agency_id")?),
            to_site_id: SiteId(v.int("to_site_id")?),
        },
        OrderType::CpeConfigChange => {
            OrderSpec::CpeConfigChange { access_id: access_id()?, description: v.get("description").into() }
        }
        OrderType::CpeRelocation => {
            OrderSpec::CpeRelocation { access_id: access_id()?, description: v.get("description").into() }
        }
        OrderType::SecurityRuleChange => OrderSpec::SecurityRuleChange {
            access_id: access_id()?,
            change: code(v, "change", SecurityChange::parse)?,
            description: v.get("description").into(),
        },
    })
}

/// `GET /ordens/nova`: the types to choose from, or — with `?type=` — that
/// type's form (prefilled from the query, e.g. `&access_id=7`).
pub async fn new_form(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    require_opener(&user)?;
    let values = Values::from_query(raw.as_deref());
    if let Ok(t) = OrderType::parse("type", values.get("type")) {
        return Ok(render(&order_form(&state, &user, t, &values).await?));
    }
    let settings = state.app.order_settings(user.actor()).await?;
    let mut page = DetailPage::new(&user, Section::Orders, "Nova ordem de serviço".into());
    page.subtitle = "Passo 1 de 2: escolha o tipo da ordem.".into();
    page.actions.push(LinkButton::secondary("Todas as ordens", "/ordens"));
    page.sections.push(
        DetailSection::new("Tipos de ordem")
            .id("tipos")
            .note(
                "Cada tipo pede os seus dados. O prazo da operadora conta a partir do envio à operadora \
                 e fica pausado enquanto houver pendência do órgão.",
            )
            .grid(Types { settings: &settings }.grid("tipos-de-ordem", OrderType::ALL)),
    );
    Ok(render(&page))
}

/// `POST /ordens/nova`: opens the order and shows it, or the form again
/// with the rule the app stated.
pub async fn create(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    require_opener(&user)?;
    let Ok(t) = OrderType::parse("type", values.get("type")) else {
        return created("/ordens/nova".into());
    };
    let (app, actor) = (&state.app, user.actor());
    let input =
        parse_spec(t, &values).map(|spec| OrderInput { spec, submit: values.get("rascunho") != "sim" });
    let result = match input {
        Ok(input) => app.create_order(actor, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(d) => created(format!("/ordens/{}", d.row.order.id)),
        Err(e) => refused(e, order_form(&state, &user, t, &values).await?),
    }
}

// ----- the order's page -----

/// The forms of an order's page; actions that need the same input share
/// one (several buttons, each posting its `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActionGroup {
    /// No input: submit, validate, start, technical acceptance, acceptance.
    Plain,
    /// A reason: return, technical rejection, refusal, cancellation.
    Reason,
    /// A date and time: survey or installation.
    Schedule,
    /// The survey's report and pending items.
    Survey,
    /// The technical report and probe targets.
    Execution,
    /// Marking a pending item resolved.
    Pending,
}

impl ActionGroup {
    fn of(action: Action) -> ActionGroup {
        match action {
            Action::Return | Action::RejectTechnical | Action::Refuse | Action::Cancel => ActionGroup::Reason,
            Action::ScheduleSurvey | Action::ScheduleInstallation => ActionGroup::Schedule,
            Action::ReportSurvey => ActionGroup::Survey,
            Action::ReportExecution => ActionGroup::Execution,
            Action::Submit
            | Action::Validate
            | Action::StartExecution
            | Action::AcceptTechnical
            | Action::Accept
            | Action::TacitAccept => ActionGroup::Plain,
        }
    }

    /// The form's element id.
    fn id(self) -> &'static str {
        match self {
            ActionGroup::Plain => "acoes",
            ActionGroup::Reason => "motivo",
            ActionGroup::Schedule => "agendar",
            ActionGroup::Survey => "vistoria",
            ActionGroup::Execution => "execucao",
            ActionGroup::Pending => "pendencias",
        }
    }
}

/// The `action` value of the pending-item form.
const RESOLVE_PENDING: &str = "resolve_pending";

/// A submission the app refused: shown again as typed, with the rule.
struct Refusal {
    group: ActionGroup,
    values: Values,
    error: FieldError,
}

/// The button's words, where the action's label alone would be ambiguous.
fn button_label(action: Action) -> &'static str {
    match action {
        Action::Submit => "Enviar a ordem",
        Action::Cancel => "Cancelar a ordem",
        other => other.label(),
    }
}

fn button(action: Action) -> SubmitButton {
    let kind = match action {
        Action::Cancel => ButtonKind::Danger,
        Action::Return | Action::RejectTechnical | Action::Refuse => ButtonKind::Secondary,
        _ => ButtonKind::Primary,
    };
    SubmitButton::new("action", action.as_str(), button_label(action), format!("acao-{}", action.as_str()))
        .kind(kind)
}

/// Whether the order installs links whose probe targets the execution
/// report must give.
fn installs_links(t: OrderType) -> bool {
    matches!(t, OrderType::NewAccess | OrderType::Migration | OrderType::AddressChange)
}

/// The pt-BR name of a field a refusal may name although no form shows it.
fn order_label(field: &str) -> &str {
    match field {
        "at" => "Data e hora",
        "reason" => "Motivo",
        "report" => "Relatório",
        "pending" => "Pendências",
        "probe_targets" => "Endereços monitorados",
        "agency_id" => "Órgão",
        "action" => "Ação",
        "item_id" => "Pendência",
        "access_id" => "Acesso",
        "site_id" => "Unidade",
        "bandwidth_mbps" => "Velocidade",
        other => other,
    }
}

/// The form with the rule stated: next to its field when the form has it,
/// above the buttons otherwise.
fn with_refusal(form: ActionForm, e: &FieldError) -> ActionForm {
    let name = form_field(&e.field);
    if form.fields.iter().any(|f| f.name == name) {
        form.with_error(e)
    } else {
        ActionForm { error: Some(format!("{}: {}", order_label(name), e.rule.pt_br())), ..form }
    }
}

/// The hints of the plain actions present, in one sentence each.
fn plain_intro(actions: &[Action], o: &Order) -> String {
    let hints: Vec<String> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Submit => Some("Enviar manda a ordem para a validação (ou direto à operadora).".into()),
            Action::Validate => Some("Validar envia a ordem à operadora; o prazo começa a contar.".into()),
            Action::StartExecution => Some("Iniciar a execução sem vistoria nem agendamento.".into()),
            Action::AcceptTechnical => {
                Some("O aceite técnico confirma a execução e passa a ordem ao órgão para o aceite.".into())
            }
            Action::Accept => Some(match o.acceptance_due_on {
                Some(d) => format!(
                    "Confira o serviço antes de aceitar; sem resposta até {}, o aceite é tácito.",
                    format_date(d)
                ),
                None => "Confira o serviço antes de aceitar.".into(),
            }),
            _ => None,
        })
        .collect();
    hints.join(" ")
}

/// One form per group of the actions the reader may take now.
fn action_forms(
    user: &PortalUser,
    detail: &OrderDetail,
    settings: &OrderSettings,
    refusal: Option<&Refusal>,
) -> Vec<ActionForm> {
    let o = &detail.row.order;
    let href = format!("/ordens/{}", o.id);
    let empty = Values::default();
    let mut forms = Vec::new();
    for group in [
        ActionGroup::Plain,
        ActionGroup::Schedule,
        ActionGroup::Survey,
        ActionGroup::Execution,
        ActionGroup::Reason,
    ] {
        let actions: Vec<Action> = detail
            .allowed
            .iter()
            .copied()
            .filter(|a| *a != Action::TacitAccept && ActionGroup::of(*a) == group)
            .collect();
        if actions.is_empty() {
            continue;
        }
        let refused = refusal.filter(|r| r.group == group);
        let values = refused.map(|r| &r.values).unwrap_or(&empty);
        let mut form = ActionForm::new(group.id(), href.clone(), user);
        match group {
            ActionGroup::Plain => form.intro = plain_intro(&actions, o),
            ActionGroup::Reason => {
                form.intro =
                    "Informe o motivo: ele fica no histórico da ordem e vai no aviso por e-mail.".into();
                form.fields.push(Field::new("reason", "Motivo", "textarea", values).required());
            }
            ActionGroup::Schedule => {
                form.intro = format!(
                    "Horário de Brasília, no formato dd/mm/aaaa hh:mm, com pelo menos {} h de antecedência.",
                    settings.schedule_notice_hours
                );
                form.fields
                    .push(Field::text("at", "Data e hora", values).required().placeholder(DATE_TIME_HINT));
            }
            ActionGroup::Survey => {
                form.intro =
                    "O relatório da vistoria e as pendências encontradas: as do órgão pausam o prazo \
                              da operadora até serem resolvidas."
                        .into();
                form.fields
                    .push(Field::new("report", "Relatório da vistoria", "textarea", values).required());
                let parties = code_choices(Party::ALL, Party::as_str, Party::label);
                for (party, description) in PENDING_PARTY.into_iter().zip(PENDING_DESCRIPTION) {
                    form.fields.push(Field::select(party, "Pendência de", values, parties.clone()));
                    form.fields.push(
                        Field::text(description, "Descrição da pendência", values)
                            .placeholder("em branco: sem pendência"),
                    );
                }
            }
            ActionGroup::Execution => {
                form.intro = "O relatório técnico da execução.".into();
                form.fields.push(Field::new("report", "Relatório técnico", "textarea", values).required());
                if installs_links(o.order_type) {
                    form.intro.push_str(
                        " Informe os endereços monitorados dos enlaces instalados (um por enlace), separados \
                         por vírgula.",
                    );
                    form.fields.push(
                        Field::text("probe_targets", "Endereços monitorados", values)
                            .required()
                            .placeholder("ex.: 10.0.0.1, 10.0.1.1"),
                    );
                }
            }
            ActionGroup::Pending => {}
        }
        form.buttons.extend(actions.iter().map(|a| button(*a)));
        forms.push(match refused {
            Some(r) => with_refusal(form, &r.error),
            None => form,
        });
    }
    forms
}

/// Who may mark an item resolved (the app checks it again).
fn resolves(role: Role, party: Party) -> bool {
    match party {
        Party::Agency => matches!(role, Role::Admin | Role::NetworkManager | Role::AgencyManager),
        Party::Operator => matches!(role, Role::Admin | Role::Operator),
    }
}

/// The survey's pending items.
struct PendingRows;

impl Listing for PendingRows {
    type Item = PendingItem;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nº"),
        Column::both("Pendência de"),
        Column::both("Descrição"),
        Column::both("Registrada em"),
        Column::both("Resolvida em"),
    ];

    fn cells(&self, p: &PendingItem) -> Vec<Col> {
        vec![
            Col::id(p.id.0),
            Col::text(p.party.label()),
            Col::text(&p.description),
            Col::text(format_local(p.created_at)),
            Col::text(p.resolved_at.map(format_local).unwrap_or_else(|| "em aberto".into())),
        ]
    }

    fn row_class(&self, p: &PendingItem) -> &'static str {
        if p.resolved_at.is_none() { "row-open" } else { "" }
    }
}

fn pending_section(user: &PortalUser, detail: &OrderDetail, refusal: Option<&Refusal>) -> DetailSection {
    let o = &detail.row.order;
    let open = detail.pending.iter().filter(|p| p.resolved_at.is_none()).count();
    let mut section = DetailSection::new("Pendências da vistoria")
        .id("pendencias-vistoria")
        .note(format!(
            "{} pendência(s), {open} em aberto. As do órgão pausam o prazo da operadora enquanto abertas.",
            detail.pending.len()
        ))
        .grid(PendingRows.grid("pendencias", &detail.pending));
    let role = user.actor().role;
    let mine: Vec<&PendingItem> = detail
        .pending
        .iter()
        .filter(|p| p.resolved_at.is_none() && resolves(role, p.party) && !o.status.is_final())
        .collect();
    if !mine.is_empty() {
        let mut form = ActionForm::new(ActionGroup::Pending.id(), format!("/ordens/{}", o.id), user);
        form.hidden.push(("action", RESOLVE_PENDING.into()));
        for p in mine {
            let mut text: String = p.description.chars().take(60).collect();
            if text.len() < p.description.len() {
                text.push('…');
            }
            form.buttons.push(
                SubmitButton::new(
                    "item_id",
                    p.id.to_string(),
                    format!("Marcar como resolvida: {text}"),
                    format!("resolver-{}", p.id),
                )
                .kind(ButtonKind::Secondary),
            );
        }
        section = section.form(match refusal.filter(|r| r.group == ActionGroup::Pending) {
            Some(r) => with_refusal(form, &r.error),
            None => form,
        });
    }
    section
}

/// The history's action codes in pt-BR.
fn event_label(code: &str) -> String {
    match code {
        "create" => "Abertura".into(),
        "resolve_pending" => "Pendência resolvida".into(),
        other => {
            Action::parse("action", other).map(|a| a.label().to_string()).unwrap_or_else(|_| other.into())
        }
    }
}

/// The order's history, oldest first.
struct Timeline;

impl Listing for Timeline {
    type Item = OrderEvent;
    const COLUMNS: &'static [Column] = &[
        Column::both("Data/hora"),
        Column::both("Quem"),
        Column::both("Ação"),
        Column::both("Situação"),
        Column::both("Nota"),
    ];

    fn cells(&self, e: &OrderEvent) -> Vec<Col> {
        let who = if e.login.is_empty() { "sistema" } else { e.login.as_str() };
        let status = match e.from_status {
            Some(from) if from != e.to_status => format!("{} → {}", from.label(), e.to_status.label()),
            _ => e.to_status.label().to_string(),
        };
        vec![
            Col::text(format_local(e.at)),
            Col::text(who),
            Col::text(event_label(&e.action)),
            Col::text(status),
            Col::text(&e.note),
        ]
    }
}

/// How the order stands against its deadline, in words.
fn standing(o: &Order, urgency: Option<Urgency>) -> String {
    match (urgency, o.late_days) {
        (Some(Urgency::Late { days }), _) => format!("atrasada {days} dia(s)"),
        (Some(Urgency::DueSoon { days_left: 0 }), _) => "vence hoje".into(),
        (Some(Urgency::DueSoon { days_left }), _) => format!("vence em {days_left} dia(s)"),
        (Some(Urgency::OnTime { days_left }), _) => format!("no prazo ({days_left} dia(s) restantes)"),
        (None, Some(late)) if late > 0 => format!("entregue com atraso de {late} dia(s)"),
        (None, Some(_)) => "entregue no prazo".into(),
        (None, None) if o.due_on.is_none() => "o prazo começa no envio à operadora".into(),
        (None, None) => "—".into(),
    }
}

/// The order's facts: where it is, its deadline and its milestones.
fn facts(detail: &OrderDetail) -> Vec<Fact> {
    let (r, o) = (&detail.row, &detail.row.order);
    let mut facts = vec![
        Fact::text("Número", &o.number),
        Fact::text("Tipo", o.order_type.label()),
        Fact::new("Situação", status_col(o.status)),
        Fact::new("Órgão", Col::text(&r.agency_acronym).link(format!("/orgaos/{}", o.agency_id))),
        Fact::new(
            "Unidade",
            Col::text(format!("{}, {}", r.site_address, r.municipality_name))
                .link(format!("/unidades/{}", o.site_id)),
        ),
        Fact::new("Lote", Col::text(&r.lot_code).link(format!("/lotes/{}", o.lot_id))),
        Fact::new(
            "Acesso",
            match o.access_id {
                Some(a) => Col::text(format!("nº {a}")).link(format!("/acessos/{a}")),
                None => Col::text("— (criado na conclusão)"),
            },
        ),
        Fact::text(
            "Prazo da operadora",
            format!("{} dia(s) {} (área: {})", o.deadline_days, unit_word(o.deadline_unit), o.area.label()),
        ),
        Fact::text("Vencimento", o.due_on.map(format_date).unwrap_or_default()),
    ];
    let standing_col = Col::text(standing(o, detail.urgency));
    facts.push(Fact::new(
        "Situação do prazo",
        match detail.urgency {
            Some(Urgency::Late { .. }) => standing_col.badge("ord-late st-suspended"),
            Some(Urgency::DueSoon { .. }) => standing_col.badge("ord-due-soon st-installing"),
            _ => standing_col,
        },
    ));
    facts.push(Fact::text("Dias pausados", count(i64::from(o.paused_days))));
    facts.push(Fact::text("Aberta em", format_local(o.created_at)));
    facts.push(Fact::text("Enviada à operadora em", when(o.sent_at)));
    facts.push(Fact::text("Vistoria agendada", when(o.survey_at)));
    facts.push(Fact::text("Instalação agendada", when(o.installation_at)));
    facts.push(Fact::text("Executada em", when(o.executed_at)));
    facts.push(Fact::text("Relatório técnico", &o.technical_report));
    if installs_links(o.order_type) {
        facts.push(Fact::text("Endereços monitorados", o.probe_targets.join(", ")));
    }
    facts.push(Fact::text("Aceite do órgão até", o.acceptance_due_on.map(format_date).unwrap_or_default()));
    facts.push(Fact::text("Concluída em", when(o.completed_at)));
    if o.status == OrderStatus::Completed {
        facts.push(Fact::text("Aceite tácito", if o.tacit { "sim" } else { "não" }));
    }
    facts.push(Fact::text(
        "Atraso",
        match o.late_days {
            Some(0) => "nenhum".to_string(),
            Some(d) => format!("{d} dia(s)"),
            None => String::new(),
        },
    ));
    if let Some(linked) = o.linked_order_id {
        facts.push(Fact::new(
            "Ordem vinculada",
            Col::text(format!("nº {linked}")).link(format!("/ordens/{linked}")),
        ));
    }
    facts
}

/// The fields of the order's type.
async fn spec_facts(app: &App, actor: &Actor, row: &OrderRow) -> Vec<Fact> {
    let access =
        |id: AccessId| Fact::new("Acesso", Col::text(format!("nº {id}")).link(format!("/acessos/{id}")));
    let site = || {
        Col::text(format!("{}, {}", row.site_address, row.municipality_name))
            .link(format!("/unidades/{}", row.order.site_id))
    };
    let describe = |a: &AccessSpec| {
        vec![
            Fact::new("Unidade", site()),
            Fact::new("Lote", Col::text(&row.lot_code).link(format!("/lotes/{}", a.lot_id))),
            Fact::text("Serviço", &a.service),
            Fact::text("Velocidade", mbps(a.bandwidth_mbps)),
            Fact::text("Redundância", a.redundancy.label()),
            Fact::text("Tecnologia", a.technology.label()),
        ]
    };
    match &row.order.spec {
        OrderSpec::NewAccess { access: a } => describe(a),
        OrderSpec::Migration { legacy_circuit, access: a } => {
            let mut facts = vec![Fact::text("Circuito da rede legada", legacy_circuit)];
            facts.extend(describe(a));
            facts
        }
        OrderSpec::Deactivation { access_id } => vec![access(*access_id)],
        OrderSpec::Reconfiguration { access_id, bandwidth_mbps, service } => vec![
            access(*access_id),
            Fact::text("Nova velocidade", mbps(*bandwidth_mbps)),
            Fact::text("Serviço", service.clone().unwrap_or_else(|| "mantido".into())),
        ],
        OrderSpec::AddressChange { access_id, .. } => {
            vec![access(*access_id), Fact::new("Nova unidade", site())]
        }
        OrderSpec::AddressCorrection { access_id, address } => {
            vec![access(*access_id), Fact::text("Endereço correto", address)]
        }
        OrderSpec::OwnershipTransfer { access_id, to_agency_id, to_site_id } => {
            let agency = match app.get_agency(actor, *to_agency_id).await {
                Ok(a) => format!("{} — {}", a.acronym, a.name),
                Err(_) => format!("órgão nº {to_agency_id}"),
            };
            vec![
                access(*access_id),
                Fact::new("Órgão de destino", Col::text(agency).link(format!("/orgaos/{to_agency_id}"))),
                Fact::new(
                    "Unidade de destino",
                    Col::text(format!("nº {to_site_id}")).link(format!("/unidades/{to_site_id}")),
                ),
            ]
        }
        OrderSpec::CpeConfigChange { access_id, description }
        | OrderSpec::CpeRelocation { access_id, description } => {
            vec![access(*access_id), Fact::text("Descrição", description)]
        }
        OrderSpec::SecurityRuleChange { access_id, change, description } => vec![
            access(*access_id),
            Fact::text("Alteração", change.label()),
            Fact::text("Descrição", description),
        ],
    }
}

async fn order_page(
    state: &WebState,
    user: &PortalUser,
    detail: &OrderDetail,
    refusal: Option<&Refusal>,
) -> Result<DetailPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let (r, o) = (&detail.row, &detail.row.order);
    let settings = app.order_settings(actor).await?;
    let mut page = DetailPage::new(user, Section::Orders, format!("Ordem de serviço {}", o.number));
    page.subtitle = format!(
        "{} — {}, {} (lote {})",
        o.order_type.label(),
        r.agency_acronym,
        r.municipality_name,
        r.lot_code
    );
    page.facts = facts(detail);
    page.actions.push(LinkButton::secondary("Todas as ordens", "/ordens"));
    let mut spec = DetailSection::new("Dados do pedido").id("pedido");
    spec.facts = spec_facts(app, actor, r).await;
    page.sections.push(spec);
    let forms = action_forms(user, detail, &settings, refusal);
    if !forms.is_empty() {
        let mut section = DetailSection::new("O que fazer agora").id("acoes-da-ordem");
        section.forms = forms;
        page.sections.push(section);
    }
    if !detail.pending.is_empty() {
        page.sections.push(pending_section(user, detail, refusal));
    }
    page.sections.push(
        DetailSection::new("Histórico da ordem")
            .id("historico-da-ordem")
            .note(format!("{} evento(s), do mais antigo ao mais recente.", detail.events.len()))
            .grid(Timeline.grid("linha-do-tempo", &detail.events)),
    );
    page.sections.extend(history(app, actor, "order", o.id.0).await?);
    Ok(page)
}

pub async fn detail(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let detail = state.app.get_order(user.actor(), OrderId(parse_id(&id)?)).await?;
    let mut page = order_page(&state, &user, &detail, None).await?;
    if let Some(done) = ListQuery::parse(raw.as_deref()).text("feito") {
        let text = match done.as_str() {
            RESOLVE_PENDING => "Pendência marcada como resolvida.".to_string(),
            code => match Action::parse("feito", code) {
                Ok(a) => format!("Registrado: {}.", a.label()),
                Err(_) => "Ordem registrada.".to_string(),
            },
        };
        page.notice = Some(Notice { class: "alert-ok", text });
    }
    Ok(render(&page))
}

/// Probe targets typed in one box, separated by commas, semicolons or spaces.
fn probe_targets(text: &str) -> Vec<String> {
    text.split([',', ';', ' ', '\n']).map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect()
}

/// The survey's pending items from the form's rows; a blank row is none.
fn pending_drafts(v: &Values) -> Valid<Vec<PendingDraft>> {
    let mut drafts = Vec::new();
    for (party_field, description_field) in PENDING_PARTY.into_iter().zip(PENDING_DESCRIPTION) {
        match (v.get(party_field), v.get(description_field)) {
            ("", "") => {}
            ("", _) => return Err(FieldError::new(party_field, Rule::Required)),
            (_, "") => return Err(FieldError::new(description_field, Rule::Required)),
            (party, description) => drafts.push(PendingDraft {
                party: Party::parse(party_field, party)?,
                description: description.into(),
            }),
        }
    }
    Ok(drafts)
}

/// The command a submitted action form asks for.
fn parse_command(action: Action, v: &Values) -> Valid<Command> {
    let reason = || v.get("reason").to_string();
    let report = || v.get("report").to_string();
    Ok(match action {
        Action::Submit => Command::Submit,
        Action::Validate => Command::Validate,
        Action::Return => Command::Return { reason: reason() },
        Action::ScheduleSurvey => Command::ScheduleSurvey { at: parse_local("at", v.get("at"))? },
        Action::ReportSurvey => Command::ReportSurvey { report: report(), pending: pending_drafts(v)? },
        Action::ScheduleInstallation => Command::ScheduleInstallation { at: parse_local("at", v.get("at"))? },
        Action::StartExecution => Command::StartExecution,
        Action::ReportExecution => Command::ReportExecution {
            report: report(),
            probe_targets: probe_targets(v.get("probe_targets")),
        },
        Action::AcceptTechnical => Command::AcceptTechnical,
        Action::RejectTechnical => Command::RejectTechnical { reason: reason() },
        Action::Accept => Command::Accept,
        Action::Refuse => Command::Refuse { reason: reason() },
        Action::TacitAccept => Command::TacitAccept,
        Action::Cancel => Command::Cancel { reason: reason() },
    })
}

/// `POST /ordens/{id}`: one action (the `action` field), or marking a
/// pending item resolved; a refusal shows the page again with the rule
/// next to the form, status 422.
pub async fn act(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let (app, actor) = (&state.app, user.actor());
    let id = OrderId(parse_id(&id)?);
    let before = app.get_order(actor, id).await?;
    let code = values.get("action").to_string();
    let (group, result) = if code == RESOLVE_PENDING {
        let result = match values.int("item_id") {
            Ok(item) => app.resolve_pending_item(actor, id, PendingItemId(item)).await,
            Err(e) => Err(e.into()),
        };
        (ActionGroup::Pending, result)
    } else {
        match Action::parse("action", &code) {
            Ok(action) => {
                let result = match parse_command(action, &values) {
                    Ok(command) => app.transition_order(actor, id, command).await,
                    Err(e) => Err(e.into()),
                };
                (ActionGroup::of(action), result)
            }
            Err(e) => (ActionGroup::Plain, Err(e.into())),
        }
    };
    match result {
        Ok(_) => created(format!("/ordens/{id}?feito={code}")),
        Err(AppError::Invalid(error)) => {
            let refusal = Refusal { group, values, error };
            let mut page = order_page(&state, &user, &before, Some(&refusal)).await?;
            let target = page.sections.iter().flat_map(|s| &s.forms).any(|f| f.id == group.id());
            if !target {
                // The form is gone (the order moved on meanwhile): say it on top.
                let field = form_field(&refusal.error.field);
                page.notice = Some(Notice {
                    class: "alert-error",
                    text: format!("{}: {}", order_label(field), refusal.error.rule.pt_br()),
                });
            }
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
    fn the_form_reads_each_type() {
        let v = values(&[
            ("site_id", "3"),
            ("lot_id", "1"),
            ("service", "scm"),
            ("bandwidth_mbps", "10"),
            ("redundancy", "none"),
            ("technology", "terrestrial"),
        ]);
        let spec = parse_spec(OrderType::NewAccess, &v).expect("valid");
        let a = spec.new_access().expect("an access");
        assert_eq!((a.site_id, a.lot_id, a.bandwidth_mbps), (SiteId(3), LotId(1), 10));
        let field =
            |t, pairs: &[(&str, &str)]| parse_spec(t, &values(pairs)).map(|_| ()).map_err(|e| e.field);
        assert_eq!(field(OrderType::NewAccess, &[("site_id", "3")]), Err("lot_id".into()));
        assert_eq!(
            field(OrderType::NewAccess, &[("site_id", "3"), ("lot_id", "1"), ("bandwidth_mbps", "10")]),
            Err("redundancy".into())
        );
        assert_eq!(field(OrderType::Deactivation, &[]), Err("access_id".into()));
        let reconf =
            parse_spec(OrderType::Reconfiguration, &values(&[("access_id", "7"), ("bandwidth_mbps", "20")]))
                .expect("valid");
        assert_eq!(
            reconf,
            OrderSpec::Reconfiguration { access_id: AccessId(7), bandwidth_mbps: 20, service: None }
        );
        let block = parse_spec(
            OrderType::SecurityRuleChange,
            &values(&[("access_id", "7"), ("change", "block"), ("description", "porta 23")]),
        )
        .expect("valid");
        assert_eq!(block.order_type(), OrderType::SecurityRuleChange);
        assert_eq!(field(OrderType::SecurityRuleChange, &[("access_id", "7")]), Err("change".into()));
    }

    #[test]
    fn actions_read_their_input() {
        let at = parse_command(Action::ScheduleInstallation, &values(&[("at", "13/03/2026 14:00")]))
            .expect("valid");
        assert_eq!(
            at,
            Command::ScheduleInstallation { at: parse_instant("t", "2026-03-13T14:00:00-03:00").expect("t") }
        );
        let bad = parse_command(Action::ScheduleSurvey, &values(&[("at", "amanhã")])).expect_err("bad");
        assert_eq!(bad.field, "at");
        let report = parse_command(
            Action::ReportExecution,
            &values(&[("report", "instalado"), ("probe_targets", "10.0.0.1, 10.0.1.1")]),
        )
        .expect("valid");
        assert_eq!(
            report,
            Command::ReportExecution {
                report: "instalado".into(),
                probe_targets: vec!["10.0.0.1".into(), "10.0.1.1".into()]
            }
        );
        let survey = parse_command(
            Action::ReportSurvey,
            &values(&[
                ("report", "ok"),
                ("pending_party_0", "agency"),
                ("pending_description_0", "liberar o rack"),
                ("pending_party_1", ""),
                ("pending_description_1", ""),
            ]),
        )
        .expect("valid");
        assert_eq!(
            survey,
            Command::ReportSurvey {
                report: "ok".into(),
                pending: vec![PendingDraft { party: Party::Agency, description: "liberar o rack".into() }]
            }
        );
        let missing = parse_command(
            Action::ReportSurvey,
            &values(&[("report", "ok"), ("pending_description_2", "cabo")]),
        )
        .expect_err("no party");
        assert_eq!(missing.field, "pending_party_2");
    }

    #[test]
    fn deadlines_in_words() {
        let settings = OrderSettings::default();
        assert_eq!(
            deadline_rule(&settings, OrderType::NewAccess),
            "45 dias corridos na capital, 60 nos demais municípios"
        );
        assert_eq!(deadline_rule(&settings, OrderType::SecurityRuleChange), "2 dia(s) úteis");
        assert_eq!(event_label("validate"), "Validar");
        assert_eq!(event_label("create"), "Abertura");
        assert_eq!(ActionGroup::of(Action::Refuse), ActionGroup::Reason);
        assert_eq!(probe_targets(" 10.0.0.1;10.0.1.1 \n"), ["10.0.0.1", "10.0.1.1"]);
    }

    #[test]
    fn refusals_name_fields_the_form_lacks_in_pt_br() {
        let form = ActionForm {
            id: "acoes",
            action: "/ordens/1".into(),
            csrf: String::new(),
            intro: String::new(),
            hidden: Vec::new(),
            fields: vec![Field::text("at", "Data e hora", &Values::default())],
            buttons: Vec::new(),
            error: None,
            multipart: false,
        };
        let on_field = with_refusal(form, &FieldError::new("at", Rule::ScheduleTooSoon { hours: 48 }));
        assert!(on_field.fields[0].invalid);
        assert_eq!(
            on_field.error.as_deref(),
            Some("Data e hora: o agendamento deve ser feito com pelo menos 48 h de antecedência")
        );
        let elsewhere =
            with_refusal(on_field, &FieldError::new("pending", Rule::PendingItemsOpen { party: "operator" }));
        assert_eq!(
            elsewhere.error.as_deref(),
            Some("Pendências: há pendências da operadora em aberto; resolva-as antes")
        );
    }
}
