//! Responsáveis e formulários técnicos (`docs/adhesion.md`): the agencies'
//! responsible persons (CPF whole or masked by the reader's role), the
//! Annex I requests (inclusion, change, ratification) with the network
//! manager's decision, removal of a person (the account stops at once),
//! the Annex II technical forms with their approval allocating the blocks
//! asked for, and the municipal election date that starts the ratification
//! reminders. Every list exports to CSV and XLSX.

use super::adhesions::{Forms, Persons};
use super::details::{DetailPage, DetailSection};
use super::fetch;
use super::formkit::{ActionForm, ButtonKind, Field, SubmitButton, Values, created, submitted};
use super::paging::ListQuery;
use super::view::{Col, Column, LinkButton, Listing, when};
use super::{Section, render, render_status};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use redegov_app::AppError;
use redegov_app::responsibles::{AdhesionSettings, FormPools, ResponsibleRequest};
use redegov_domain::adhesion::{PersonInput, PersonStatus, REQUESTERS, TechnicalFormInput};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::{AgencyId, IpPoolId, PersonId, ResponsibleRequestId, TechnicalFormId};
use redegov_domain::ipam::Visibility;
use redegov_domain::role::Role;
use std::collections::HashMap;

/// This module's page.
pub(super) fn routes() -> Router<WebState> {
    Router::new().route("/responsaveis", get(page).post(act))
}

fn decides(role: Role) -> bool {
    matches!(role, Role::Admin | Role::NetworkManager)
}

struct Requests;

impl Listing for Requests {
    type Item = ResponsibleRequest;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nº"),
        Column::both("Órgão"),
        Column::both("Pedido"),
        Column::both("Situação"),
        Column::both("Observação"),
        Column::both("Enviado em"),
        Column::both("Decidido em"),
        Column::both("Motivo da decisão"),
    ];

    fn cells(&self, r: &ResponsibleRequest) -> Vec<Col> {
        vec![
            Col::id(r.id.0),
            Col::text(&r.agency_acronym).link(format!("/orgaos/{}", r.agency_id)),
            Col::text(r.kind.label()),
            Col::text(r.status.label()),
            Col::text(&r.note),
            Col::text(when(Some(r.created_at))),
            Col::text(when(r.decided_at)),
            Col::text(&r.decision_note),
        ]
    }
}

/// The fields of one person of the Annex I form, by position.
const PERSON_FIELDS: [[&str; 9]; 2] = [
    [
        "p1_name",
        "p1_cpf",
        "p1_registration",
        "p1_email",
        "p1_phone",
        "p1_mobile",
        "p1_job_title",
        "p1_department",
        "primary",
    ],
    [
        "p2_name",
        "p2_cpf",
        "p2_registration",
        "p2_email",
        "p2_phone",
        "p2_mobile",
        "p2_job_title",
        "p2_department",
        "substitute",
    ],
];

fn person_fields(i: usize, v: &Values) -> Vec<Field> {
    let f = PERSON_FIELDS[i];
    let labels: [&'static str; 8] = if i == 0 {
        [
            "1º responsável — nome",
            "1º — CPF",
            "1º — matrícula (se houver)",
            "1º — e-mail",
            "1º — telefone com DDD",
            "1º — celular",
            "1º — cargo/função",
            "1º — departamento",
        ]
    } else {
        [
            "2º responsável (substituto) — nome",
            "2º — CPF",
            "2º — matrícula (se houver)",
            "2º — e-mail",
            "2º — telefone com DDD",
            "2º — celular",
            "2º — cargo/função",
            "2º — departamento",
        ]
    };
    (0..8)
        .map(|k| {
            let field = Field::text(f[k], labels[k], v);
            if k == 1 { field.placeholder("000.000.000-00") } else { field }
        })
        .collect()
}

/// The persons typed in the Annex I form (a position left blank is not
/// sent), with the form prefix of each, to name the field a rule breaks.
fn typed_persons(v: &Values) -> (Vec<PersonInput>, Vec<&'static str>) {
    let mut persons = Vec::new();
    let mut prefixes = Vec::new();
    for (i, f) in PERSON_FIELDS.iter().enumerate() {
        if f[..8].iter().all(|name| v.get(name).is_empty()) {
            continue;
        }
        persons.push(PersonInput {
            position: f[8].into(),
            name: v.get(f[0]).into(),
            cpf: v.get(f[1]).into(),
            registration: v.get(f[2]).into(),
            email: v.get(f[3]).into(),
            phone: v.get(f[4]).into(),
            mobile: v.get(f[5]).into(),
            job_title: v.get(f[6]).into(),
            department: v.get(f[7]).into(),
        });
        prefixes.push(if i == 0 { "p1_" } else { "p2_" });
    }
    (persons, prefixes)
}

/// `persons[1].cpf` as the form names it (`p2_cpf`).
fn form_field(e: FieldError, prefixes: &[&str]) -> FieldError {
    if let Some(rest) = e.field.strip_prefix("persons[")
        && let Some((index, name)) = rest.split_once("].")
        && let Some(prefix) = index.parse::<usize>().ok().and_then(|i| prefixes.get(i))
    {
        return FieldError { field: format!("{prefix}{name}"), ..e };
    }
    e
}

/// Applications typed one per line: `Nome; Órgão responsável`.
fn typed_applications(text: &str) -> Valid<Vec<(String, String)>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| match line.split_once(';') {
            Some((name, body)) => Ok((name.trim().to_string(), body.trim().to_string())),
            None => Err(FieldError::new(
                format!("applications[{i}]"),
                Rule::Malformed("uma aplicação por linha: Nome; Órgão responsável"),
            )),
        })
        .collect()
}

/// A refusal naming an app field (`note`) as this page's form names it
/// (`decision_note`).
fn on_form(e: AppError, app_field: &str, form_field: &'static str) -> AppError {
    match e {
        AppError::Invalid(e) if e.field == app_field => {
            AppError::Invalid(FieldError { field: form_field.into(), ..e })
        }
        other => other,
    }
}

fn count_of(v: &Values, name: &str) -> Valid<i64> {
    match v.get(name) {
        "" => Ok(0),
        _ => v.int(name),
    }
}

async fn responsibles_page(
    state: &WebState,
    user: &PortalUser,
    raw: Option<&str>,
    refusal: Option<(&'static str, Values, FieldError)>,
) -> Result<DetailPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw);
    let agency = q.id("agency").map(AgencyId);
    let all = q.text("todos").is_some();
    let persons = app.list_persons(actor, agency, all).await?;
    let requests = app.list_responsible_requests(actor, agency, false).await?;
    let forms = app.list_technical_forms(actor, agency, false).await?;
    let settings = app.adhesion_settings(actor).await?;
    let mut page = DetailPage::new(user, Section::Adhesions, "Responsáveis e formulários técnicos".into());
    page.subtitle = "Os dois responsáveis de cada órgão (Anexo I) e as aplicações e blocos de endereços \
                     pedidos (Anexo II)."
        .into();
    page.saved(raw, "Registrado.");
    page.actions.extend([
        LinkButton::secondary("Adesões", "/adesoes"),
        LinkButton::secondary("Responsáveis em CSV", "/responsaveis?formato=csv"),
        LinkButton::secondary("Responsáveis em XLSX", "/responsaveis?formato=xlsx"),
        LinkButton::secondary("Formulários em CSV", "/responsaveis?formato=csv&lista=formularios"),
        LinkButton::secondary("Formulários em XLSX", "/responsaveis?formato=xlsx&lista=formularios"),
        LinkButton::secondary("Pedidos em CSV", "/responsaveis?formato=csv&lista=pedidos"),
    ]);
    if let Some(election) = settings.election_date {
        page.subtitle.push_str(&format!(
            " Eleições municipais de referência: {} — as prefeituras devem ratificar seus responsáveis.",
            election.format("%d/%m/%Y")
        ));
    }
    let (refused, values, error) = match refusal {
        Some((form, v, e)) => (Some(form), v, Some(e)),
        None => (None, Values::default(), None),
    };
    let empty = Values::default();
    let shown = |form: &str| if refused == Some(form) { &values } else { &empty };
    let with_error = |f: ActionForm| match (&error, refused == Some(f.id)) {
        (Some(e), true) => f.with_error(e),
        _ => f,
    };
    let agencies = fetch::agency_choices(app, actor).await?;
    let agency_field = |name: &'static str, v: &Values| {
        let mut field = Field::select(
            name,
            "Órgão",
            v,
            agencies.iter().map(|(id, _, label)| (id.to_string(), label.clone())),
        )
        .required();
        if field.value.is_empty()
            && let Some(a) = agency
        {
            field.value = a.to_string();
        }
        field
    };

    let pending: Vec<&ResponsibleRequest> =
        requests.iter().filter(|r| r.status == redegov_domain::adhesion::RequestStatus::Pending).collect();
    if decides(actor.role) {
        if !pending.is_empty() {
            let v = shown("decidir-pedido");
            let mut f = ActionForm::new("decidir-pedido", "/responsaveis", user);
            f.intro = "Aprovar uma inclusão ou alteração dá acesso ao portal aos novos responsáveis (convite \
                       por e-mail) e encerra o acesso de quem eles substituem; a ratificação confirma os atuais."
                .into();
            f.fields = vec![
                Field::select(
                    "request_id",
                    "Pedido",
                    v,
                    pending.iter().map(|r| {
                        (
                            r.id.0.to_string(),
                            format!("#{} — {} — {}", r.id.0, r.agency_acronym, r.kind.label()),
                        )
                    }),
                )
                .required(),
                Field::new("decision_note", "Observação (obrigatória para recusar)", "textarea", v),
            ];
            f.buttons.push(SubmitButton::new("acao", "aprovar_pedido", "Aprovar pedido", "aprovar-pedido"));
            f.buttons.push(
                SubmitButton::new("acao", "recusar_pedido", "Recusar pedido", "recusar-pedido")
                    .kind(ButtonKind::Danger),
            );
            page.sections.push(
                DetailSection::new("Decidir pedidos de responsáveis")
                    .id("decidir-pedidos")
                    .form(with_error(f)),
            );
        }
        let pending_forms: Vec<_> =
            forms.iter().filter(|f| f.status == redegov_domain::adhesion::RequestStatus::Pending).collect();
        if !pending_forms.is_empty() {
            let pools = app.list_ip_pools(actor).await?;
            let pool_choices = |vis: Visibility| {
                pools
                    .iter()
                    .filter(|p| p.pool.visibility == vis)
                    .map(|p| (p.pool.id.0.to_string(), format!("{} ({})", p.pool.name, p.pool.cidr)))
                    .collect::<Vec<_>>()
            };
            let v = shown("decidir-formulario");
            let mut f = ActionForm::new("decidir-formulario", "/responsaveis", user);
            f.intro =
                "Aprovar aloca, numa só operação, os blocos pedidos: /28 do pool privado e /30 do pool \
                       público escolhidos (primeiro bloco livre alinhado)."
                    .into();
            f.fields = vec![
                Field::select(
                    "form_id",
                    "Formulário",
                    v,
                    pending_forms.iter().map(|x| {
                        (
                            x.id.0.to_string(),
                            format!(
                                "#{} — {} — {} privado(s), {} público(s)",
                                x.id.0, x.agency_acronym, x.form.private_blocks, x.form.public_blocks
                            ),
                        )
                    }),
                )
                .required(),
                Field::select("private_pool_id", "Pool privado", v, pool_choices(Visibility::Private)),
                Field::select("public_pool_id", "Pool público", v, pool_choices(Visibility::Public)),
                Field::new("form_note", "Observação (obrigatória para recusar)", "textarea", v),
            ];
            f.buttons.push(SubmitButton::new(
                "acao",
                "aprovar_formulario",
                "Aprovar e alocar",
                "aprovar-formulario",
            ));
            f.buttons.push(
                SubmitButton::new("acao", "recusar_formulario", "Recusar formulário", "recusar-formulario")
                    .kind(ButtonKind::Danger),
            );
            page.sections.push(
                DetailSection::new("Aprovar formulários técnicos")
                    .id("decidir-formularios")
                    .form(with_error(f)),
            );
        }
        let active: Vec<_> = persons.iter().filter(|p| p.status == PersonStatus::Active).collect();
        if !active.is_empty() {
            let v = shown("remover");
            let mut f = ActionForm::new("remover", "/responsaveis", user);
            f.intro = "O acesso ao portal da pessoa removida é encerrado na hora.".into();
            f.fields = vec![
                Field::select(
                    "person_id",
                    "Responsável",
                    v,
                    active.iter().map(|p| {
                        (
                            p.id.0.to_string(),
                            format!(
                                "{} — {} ({})",
                                p.agency_acronym,
                                p.person.name,
                                p.person.position.label()
                            ),
                        )
                    }),
                )
                .required(),
                Field::new("removal_note", "Motivo", "textarea", v).required(),
            ];
            f.buttons.push(
                SubmitButton::new("acao", "remover", "Remover responsável", "remover-responsavel")
                    .kind(ButtonKind::Danger),
            );
            page.sections.push(
                DetailSection::new("Remover responsável").id("remover-responsavel").form(with_error(f)),
            );
        }
        let v = shown("configurar");
        let mut f = ActionForm::new("configurar", "/responsaveis", user);
        f.intro = "Após a data das eleições municipais, as prefeituras recebem lembrete para ratificar seus \
                   responsáveis, repetido a cada intervalo até ratificarem."
            .into();
        let mut election =
            Field::text("election_date", "Data das eleições municipais", v).placeholder("dd/mm/aaaa");
        let mut days = Field::new("reminder_days", "Dias entre lembretes", "number", v).required();
        if refused != Some("configurar") {
            election.value =
                settings.election_date.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default();
            days.value = settings.reminder_days.to_string();
        }
        f.fields = vec![election, days];
        f.buttons.push(
            SubmitButton::new("acao", "configurar", "Salvar", "salvar-configuracao")
                .kind(ButtonKind::Secondary),
        );
        page.sections
            .push(DetailSection::new("Eleições municipais e lembretes").id("eleicoes").form(with_error(f)));
    }
    page.sections.push(
        DetailSection::new(if all { "Responsáveis (histórico completo)" } else { "Responsáveis" })
            .id("responsaveis")
            .note(if all {
                "Inclui substituídos, removidos e não aprovados.".to_string()
            } else {
                "Propostos e ativos. Acrescente ?todos=1 ao endereço para o histórico.".to_string()
            })
            .grid(Persons { actor }.grid("responsaveis-grid", &persons).empty_text("Nenhum responsável.")),
    );
    if REQUESTERS.contains(&actor.role) {
        let mut section = DetailSection::new("Enviar pedidos").id("pedir");
        let v = shown("anexo-i");
        let mut f = ActionForm::new("anexo-i", "/responsaveis", user);
        f.intro = "Anexo I: preencha um ou os dois responsáveis para incluir ou alterar; para ratificar os \
                   atuais (após eleições municipais), deixe-os em branco e use \"Pedir ratificação\"."
            .into();
        f.fields.push(agency_field("agency_id", v));
        f.fields.extend(person_fields(0, v));
        f.fields.extend(person_fields(1, v));
        f.fields.push(Field::new("note", "Observação", "textarea", v));
        f.buttons.push(SubmitButton::new("acao", "pedido", "Enviar pedido", "enviar-pedido"));
        f.buttons.push(
            SubmitButton::new("acao", "ratificar", "Pedir ratificação", "pedir-ratificacao")
                .kind(ButtonKind::Secondary),
        );
        section = section.form(with_error(f));
        let v = shown("anexo-ii");
        let mut f = ActionForm::new("anexo-ii", "/responsaveis", user);
        f.intro = "Anexo II: as aplicações de governo que o órgão usará (uma por linha, \"Nome; Órgão \
                   responsável\") e os sub-blocos pedidos — privados /28 (14 hosts; prefeituras: até 20) e \
                   público /30 (2 hosts; prefeituras: até 1)."
            .into();
        f.fields = vec![
            agency_field("form_agency_id", v),
            Field::new("applications", "Aplicações", "textarea", v),
            Field::new("private_blocks", "Sub-blocos privados /28", "number", v),
            Field::new("public_blocks", "Sub-bloco público /30", "number", v),
            Field::text("contact_name", "Responsável técnico", v).required(),
            Field::text("contact_phone", "Telefone do responsável técnico", v).required(),
            Field::text("contact_email", "E-mail do responsável técnico", v).required(),
        ];
        f.buttons.push(SubmitButton::new(
            "acao",
            "formulario",
            "Enviar formulário técnico",
            "enviar-formulario",
        ));
        section = section.form(with_error(f));
        page.sections.push(section);
    }
    page.sections.push(
        DetailSection::new("Pedidos de responsáveis (Anexo I)")
            .id("pedidos")
            .grid(Requests.grid("pedidos-grid", &requests).empty_text("Nenhum pedido.")),
    );
    page.sections.push(
        DetailSection::new("Formulários técnicos (Anexo II)")
            .id("formularios")
            .grid(Forms.grid("formularios-grid", &forms).empty_text("Nenhum formulário técnico.")),
    );
    Ok(page)
}

/// `GET /responsaveis[?agency=][&todos=1][&formato=csv|xlsx[&lista=formularios|pedidos]]`.
pub async fn page(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    if let Some(format) = q.export() {
        let agency = q.id("agency").map(AgencyId);
        return Ok(match q.text("lista").as_deref() {
            Some("formularios") => {
                let forms = app.list_technical_forms(actor, agency, false).await?;
                Forms.table("Formulários técnicos", &forms).into_download(format, "formularios-tecnicos")
            }
            Some("pedidos") => {
                let requests = app.list_responsible_requests(actor, agency, false).await?;
                Requests
                    .table("Pedidos de responsáveis", &requests)
                    .into_download(format, "pedidos-responsaveis")
            }
            _ => {
                let persons = app.list_persons(actor, agency, q.text("todos").is_some()).await?;
                Persons { actor }.table("Responsáveis", &persons).into_download(format, "responsaveis")
            }
        });
    }
    Ok(render(&responsibles_page(&state, &user, raw.as_deref(), None).await?))
}

fn optional_pool(v: &Values, name: &str) -> Valid<Option<IpPoolId>> {
    v.optional(name, |f, t| {
        t.parse().map(IpPoolId).map_err(|_| FieldError::new(f, Rule::Malformed("número inteiro")))
    })
}

pub async fn act(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let (app, actor) = (&state.app, user.actor());
    let acao = values.get("acao").to_string();
    let (form_id, result): (&'static str, Result<String, AppError>) = match acao.as_str() {
        "pedido" | "ratificar" => {
            let (persons, prefixes) =
                if acao == "pedido" { typed_persons(&values) } else { (Vec::new(), Vec::new()) };
            let result = match values.int("agency_id") {
                Ok(agency) => app
                    .request_responsibles(actor, AgencyId(agency), &persons, values.get("note"))
                    .await
                    .map(|r| format!("/responsaveis?agency={}&salvo=1#pedidos", r.agency_id))
                    .map_err(|e| match e {
                        AppError::Invalid(e) => AppError::Invalid(form_field(e, &prefixes)),
                        other => other,
                    }),
                Err(e) => Err(e.into()),
            };
            ("anexo-i", result)
        }
        "formulario" => {
            let input = typed_applications(values.get("applications")).and_then(|applications| {
                Ok(TechnicalFormInput {
                    applications,
                    private_blocks: count_of(&values, "private_blocks")?,
                    public_blocks: count_of(&values, "public_blocks")?,
                    contact_name: values.get("contact_name").into(),
                    contact_phone: values.get("contact_phone").into(),
                    contact_email: values.get("contact_email").into(),
                })
            });
            let result = match (values.int("form_agency_id"), input) {
                (Ok(agency), Ok(input)) => app
                    .submit_technical_form(actor, AgencyId(agency), input)
                    .await
                    .map(|f| format!("/responsaveis?agency={}&salvo=1#formularios", f.agency_id)),
                (Err(e), _) | (_, Err(e)) => Err(e.into()),
            };
            // `applications[2].body` is the one text box; the agency has its own name here.
            let result = result.map_err(|e| match e {
                AppError::Invalid(e) if e.field.starts_with("applications[") => {
                    AppError::Invalid(FieldError { field: "applications".into(), ..e })
                }
                other => on_form(other, "agency_id", "form_agency_id"),
            });
            ("anexo-ii", result)
        }
        "aprovar_pedido" | "recusar_pedido" => {
            let result = match values.int("request_id") {
                Ok(id) => app
                    .decide_responsibles(
                        actor,
                        ResponsibleRequestId(id),
                        acao == "aprovar_pedido",
                        values.get("decision_note"),
                    )
                    .await
                    .map(|_| "/responsaveis?salvo=1#pedidos".to_string())
                    .map_err(|e| on_form(e, "note", "decision_note")),
                Err(e) => Err(e.into()),
            };
            ("decidir-pedido", result)
        }
        "aprovar_formulario" | "recusar_formulario" => {
            let pools = optional_pool(&values, "private_pool_id").and_then(|private| {
                Ok(FormPools {
                    private_pool: private,
                    public_pool: optional_pool(&values, "public_pool_id")?,
                })
            });
            let result = match (values.int("form_id"), pools) {
                (Ok(id), Ok(pools)) => app
                    .decide_technical_form(
                        actor,
                        TechnicalFormId(id),
                        acao == "aprovar_formulario",
                        values.get("form_note"),
                        pools,
                    )
                    .await
                    .map(|_| "/responsaveis?salvo=1#formularios".to_string())
                    .map_err(|e| on_form(e, "note", "form_note")),
                (Err(e), _) | (_, Err(e)) => Err(e.into()),
            };
            ("decidir-formulario", result)
        }
        "remover" => {
            let result = match values.int("person_id") {
                Ok(id) => app
                    .remove_responsible(actor, PersonId(id), values.get("removal_note"))
                    .await
                    .map(|_| "/responsaveis?salvo=1".to_string())
                    .map_err(|e| on_form(e, "note", "removal_note")),
                Err(e) => Err(e.into()),
            };
            ("remover", result)
        }
        "configurar" => {
            let parsed = values.optional("election_date", redegov_domain::time::parse_date).and_then(
                |election_date| {
                    Ok(AdhesionSettings { election_date, reminder_days: values.int("reminder_days")? })
                },
            );
            let result = match parsed {
                Ok(s) => {
                    app.set_adhesion_settings(actor, s).await.map(|_| "/responsaveis?salvo=1".to_string())
                }
                Err(e) => Err(e.into()),
            };
            ("configurar", result)
        }
        _ => return Err(PageError::not_found()),
    };
    match result {
        Ok(href) => created(href),
        Err(AppError::Invalid(e)) => {
            let page = responsibles_page(&state, &user, None, Some((form_id, values, e))).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::Conflict { message, .. }) => {
            let e = FieldError::new("agency_id", Rule::Other(message));
            let page = responsibles_page(&state, &user, None, Some((form_id, values, e))).await?;
            Ok(render_status(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn a_blank_position_is_not_sent_and_errors_name_the_form_field() {
        let v = values(&[("p2_name", "Bruno"), ("p2_cpf", "123")]);
        let (persons, prefixes) = typed_persons(&v);
        assert_eq!(persons.len(), 1);
        assert_eq!(persons[0].position, "substitute");
        let e = form_field(FieldError::new("persons[0].cpf", Rule::InvalidCpf), &prefixes);
        assert_eq!(e.field, "p2_cpf");
    }

    #[test]
    fn applications_are_typed_one_per_line() {
        assert_eq!(
            typed_applications("SEI; Casa Civil\n\n Detran Online ;Detran "),
            Ok(vec![("SEI".into(), "Casa Civil".into()), ("Detran Online".into(), "Detran".into())])
        );
        assert_eq!(typed_applications("SEI").expect_err("refused").field, "applications[0]");
    }
}
