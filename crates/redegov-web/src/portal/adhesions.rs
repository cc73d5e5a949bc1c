//! Adesões (`docs/adhesion.md`): the adhesions with the queue of what waits
//! for the reader's role, a new request, and each adhesion's page — its
//! documents (signed PDFs uploaded here, their SHA-256 shown and checked on
//! download), the actions the reader may take with a note, the responsible
//! persons and technical forms of the agency, what still blocks a
//! withdrawal, the timeline — and the request printed as a PDF ready for
//! signature. The invitation link of a new responsible person's account
//! (`/convite/{token}`) sets its first password. The app authorises and
//! scopes every read and write.

use super::details::{DetailPage, DetailSection, history};
use super::fetch;
use super::formkit::{ActionForm, ButtonKind, Field, SubmitButton, Values, code_choices, created, submitted};
use super::paging::ListQuery;
use super::view::{Col, Column, Fact, Kpi, LinkButton, Listing, count, when};
use super::{Chrome, Section, parse_id, render, render_status};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use redegov_app::AppError;
use redegov_app::adhesions::{
    Adhesion, AdhesionDetail, AdhesionEvent, AdhesionFilter, DocumentInput, DocumentMeta,
};
use redegov_app::responsibles::{PersonRecord, TechnicalFormRecord};
use redegov_domain::adhesion::{
    AdhesionAction, AdhesionStatus, DocumentKind, MAX_DOCUMENT_BYTES, REQUESTERS, required_documents,
};
use redegov_domain::error::FieldError;
use redegov_domain::ids::{AdhesionDocumentId, AdhesionId, AgencyId};
use redegov_domain::role::{Actor, Role};
use redegov_report::{Document, DocumentSection, DocumentTable};
use serde::Deserialize;
use std::collections::HashMap;

/// This module's pages.
pub(super) fn routes() -> Router<WebState> {
    Router::new()
        .route("/adesoes", get(list).post(create))
        .route("/adesoes/{id}", get(detail).post(act))
        .route(
            "/adesoes/{id}/documentos",
            post(upload).layer(axum::extract::DefaultBodyLimit::max(crate::MAX_BODY_BYTES)),
        )
        .route("/adesoes/{id}/documentos/{document}", get(download))
        .route("/adesoes/{id}/solicitacao.pdf", get(request_pdf))
}

/// The invitation page: outside the signed-in portal.
pub(super) fn public_routes() -> Router<WebState> {
    Router::new().route("/convite/{token}", get(invitation_form).post(accept_invitation))
}

fn row_class(status: AdhesionStatus) -> &'static str {
    match status {
        AdhesionStatus::Requested | AdhesionStatus::UnderReview | AdhesionStatus::WithdrawalRequested => {
            "row-open"
        }
        AdhesionStatus::Suspended | AdhesionStatus::Rejected => "row-breach",
        _ => "",
    }
}

struct Adhesions;

impl Listing for Adhesions {
    type Item = Adhesion;
    const COLUMNS: &'static [Column] = &[
        Column::both("Adesão"),
        Column::both("Órgão"),
        Column::both("Tipo"),
        Column::both("Situação"),
        Column::both("Observação"),
        Column::both("Solicitada em"),
        Column::both("Decidida em"),
        Column::both("Atualizada em"),
    ];

    fn cells(&self, a: &Adhesion) -> Vec<Col> {
        vec![
            Col::text(&a.number).link(format!("/adesoes/{}", a.id.0)),
            Col::text(format!("{} — {}", a.agency_acronym, a.agency_name))
                .link(format!("/orgaos/{}", a.agency_id)),
            Col::text(a.kind.label()),
            Col::text(a.status.label()),
            Col::text(&a.note),
            Col::text(when(Some(a.requested_at))),
            Col::text(when(a.decided_at)),
            Col::text(when(Some(a.updated_at))),
        ]
    }

    fn row_class(&self, a: &Adhesion) -> &'static str {
        row_class(a.status)
    }
}

/// The queue: an adhesion and what the reader may do to it.
struct Queue;

impl Listing for Queue {
    type Item = (Adhesion, Vec<AdhesionAction>);
    const COLUMNS: &'static [Column] = &[
        Column::both("Adesão"),
        Column::both("Órgão"),
        Column::both("Tipo"),
        Column::both("Situação"),
        Column::both("Solicitada em"),
        Column::both("O que fazer"),
    ];

    fn cells(&self, (a, allowed): &(Adhesion, Vec<AdhesionAction>)) -> Vec<Col> {
        let todo = if allowed.is_empty() {
            "Aprovar — faltam documentos ou responsáveis".to_string()
        } else {
            allowed.iter().map(|x| x.label()).collect::<Vec<_>>().join(", ")
        };
        vec![
            Col::text(&a.number).link(format!("/adesoes/{}", a.id.0)),
            Col::text(&a.agency_acronym),
            Col::text(a.kind.label()),
            Col::text(a.status.label()),
            Col::text(when(Some(a.requested_at))),
            Col::text(todo),
        ]
    }
}

async fn list_page(
    state: &WebState,
    user: &PortalUser,
    raw: Option<&str>,
    refusal: Option<(Values, FieldError)>,
) -> Result<DetailPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw);
    let status =
        q.code("status", AdhesionStatus::CODES).and_then(|c| AdhesionStatus::parse("status", &c).ok());
    let f = AdhesionFilter { status, ..AdhesionFilter::default() };
    let listed = app.list_adhesions(actor, f, redegov_app::Page::all()).await?;
    let queue = app.adhesion_queue(actor).await?;
    let mut page = DetailPage::new(user, Section::Adhesions, "Adesões".into());
    page.subtitle = "Adesão dos órgãos e prefeituras à rede: solicitação, análise pela UGO, aprovação, \
                     suspensão por inadimplência e desistência."
        .into();
    page.saved(raw, "Registrado.");
    page.actions.extend([
        LinkButton::secondary("Responsáveis e formulários técnicos", "/responsaveis"),
        LinkButton::secondary("Exportar CSV", "/adesoes?formato=csv"),
        LinkButton::secondary("Exportar XLSX", "/adesoes?formato=xlsx"),
    ]);
    let by_status = |s: AdhesionStatus| listed.items.iter().filter(|a| a.status == s).count() as i64;
    page.kpis = vec![
        Kpi::new("Aguardando você", count(queue.len() as i64), "análise, aprovação ou desistência"),
        Kpi::new("Aprovadas", count(by_status(AdhesionStatus::Approved)), "órgãos na rede"),
        Kpi::new("Suspensas", count(by_status(AdhesionStatus::Suspended)), "inadimplência"),
        Kpi::new(
            "Em andamento",
            count(
                by_status(AdhesionStatus::Requested)
                    + by_status(AdhesionStatus::UnderReview)
                    + by_status(AdhesionStatus::Returned),
            ),
            "solicitadas, em análise ou devolvidas",
        ),
    ];
    if !queue.is_empty() {
        page.sections
            .push(DetailSection::new("Aguardando você").id("fila").grid(Queue.grid("fila-grid", &queue)));
    }
    if REQUESTERS.contains(&actor.role) {
        let (values, error) = match refusal {
            Some((v, e)) => (v, Some(e)),
            None => (Values::default(), None),
        };
        let agencies = fetch::agency_choices(app, actor).await?;
        let mut form = ActionForm::new("nova-adesao", "/adesoes", user);
        form.intro = "Registre a solicitação recebida (ofício, declaração ou termo). Em seguida anexe os \
                      documentos assinados e os responsáveis (Anexo I) na página da adesão."
            .into();
        form.fields = vec![
            Field::select(
                "agency_id",
                "Órgão",
                &values,
                agencies.iter().map(|(id, _, label)| (id.to_string(), label.clone())),
            )
            .required(),
            Field::new("note", "Observação (nº do ofício, por exemplo)", "textarea", &values),
        ];
        form.buttons.push(SubmitButton::new("acao", "solicitar", "Solicitar adesão", "solicitar-adesao"));
        if let Some(e) = &error {
            form = form.with_error(e);
        }
        page.sections.push(DetailSection::new("Nova solicitação de adesão").id("nova").form(form));
    }
    let mut all = DetailSection::new("Todas as adesões")
        .id("adesoes")
        .grid(Adhesions.grid("adesoes-grid", &listed.items).empty_text("Nenhuma adesão registrada."));
    all.picker =
        Some(super::details::Picker {
            action: "/adesoes".into(),
            name: "status",
            label: "Situação",
            keep: Vec::new(),
            options: std::iter::once(super::view::Opt::new(
                "",
                "Todas",
                status.map(|s| s.as_str()).unwrap_or(""),
            ))
            .chain(AdhesionStatus::ALL.iter().map(|s| {
                super::view::Opt::new(s.as_str(), s.label(), status.map(|s| s.as_str()).unwrap_or(""))
            }))
            .collect(),
        });
    page.sections.push(all);
    Ok(page)
}

/// `GET /adesoes[?status=][&formato=csv|xlsx]`.
pub async fn list(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = ListQuery::parse(raw.as_deref());
    if let Some(format) = q.export() {
        let listed = state
            .app
            .list_adhesions(user.actor(), AdhesionFilter::default(), redegov_app::Page::all())
            .await?;
        return Ok(Adhesions.table("Adesões", &listed.items).into_download(format, "adesoes"));
    }
    Ok(render(&list_page(&state, &user, raw.as_deref(), None).await?))
}

/// `POST /adesoes`: a new request.
pub async fn create(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let result = match values.int("agency_id") {
        Ok(agency) => state.app.request_adhesion(user.actor(), AgencyId(agency), values.get("note")).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(d) => created(format!("/adesoes/{}?salvo=1", d.adhesion.id.0)),
        Err(AppError::Invalid(e)) => {
            let page = list_page(&state, &user, None, Some((values, e))).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

// ----- one adhesion -----

struct Documents {
    adhesion: AdhesionId,
}

impl Listing for Documents {
    type Item = DocumentMeta;
    const COLUMNS: &'static [Column] = &[
        Column::both("Documento"),
        Column::both("Arquivo"),
        Column::both("Tamanho (bytes)"),
        Column::both("SHA-256"),
        Column::both("Anexado em"),
    ];

    fn cells(&self, d: &DocumentMeta) -> Vec<Col> {
        vec![
            Col::text(d.kind.label()),
            Col::text(&d.name).link(format!("/adesoes/{}/documentos/{}", self.adhesion.0, d.id.0)),
            Col::int(d.size_bytes),
            Col::text(&d.sha256),
            Col::text(when(Some(d.created_at))),
        ]
    }
}

/// Responsible persons, with the CPF whole or masked by the reader.
pub(super) struct Persons<'a> {
    pub actor: &'a Actor,
}

impl Listing for Persons<'_> {
    type Item = PersonRecord;
    const COLUMNS: &'static [Column] = &[
        Column::both("Órgão"),
        Column::both("Posição"),
        Column::both("Nome"),
        Column::both("CPF"),
        Column::both("Matrícula"),
        Column::both("Cargo/função"),
        Column::both("Departamento"),
        Column::both("E-mail"),
        Column::both("Telefone"),
        Column::both("Celular"),
        Column::both("Situação"),
        Column::both("Confirmado em"),
    ];

    fn cells(&self, p: &PersonRecord) -> Vec<Col> {
        let q = &p.person;
        let cpf = if redegov_app::responsibles::sees_cpf(self.actor, p.agency_id) {
            q.cpf.masked()
        } else {
            q.cpf.redacted()
        };
        vec![
            Col::text(&p.agency_acronym).link(format!("/orgaos/{}", p.agency_id)),
            Col::text(q.position.label()),
            Col::text(&q.name),
            Col::text(cpf),
            Col::text(&q.registration),
            Col::text(&q.job_title),
            Col::text(&q.department),
            Col::text(&q.email),
            Col::text(&q.phone),
            Col::text(&q.mobile),
            Col::text(p.status.label()),
            Col::text(when(p.confirmed_at)),
        ]
    }
}

/// Technical forms.
pub(super) struct Forms;

impl Listing for Forms {
    type Item = TechnicalFormRecord;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nº"),
        Column::both("Órgão"),
        Column::both("Aplicações (órgão responsável)"),
        Column::both("Blocos privados /28"),
        Column::both("Blocos públicos /30"),
        Column::both("Contato técnico"),
        Column::both("Situação"),
        Column::both("Enviado em"),
        Column::both("Decisão"),
    ];

    fn cells(&self, f: &TechnicalFormRecord) -> Vec<Col> {
        let apps = f.form.applications.iter().map(|a| format!("{} ({})", a.name, a.body)).collect::<Vec<_>>();
        vec![
            Col::id(f.id.0),
            Col::text(&f.agency_acronym),
            Col::text(apps.join("; ")),
            Col::int(i64::from(f.form.private_blocks)),
            Col::int(i64::from(f.form.public_blocks)),
            Col::text(format!(
                "{} — {} — {}",
                f.form.contact_name, f.form.contact_phone, f.form.contact_email
            )),
            Col::text(f.status.label()),
            Col::text(when(Some(f.created_at))),
            Col::text(if f.decision_note.is_empty() { when(f.decided_at) } else { f.decision_note.clone() }),
        ]
    }
}

struct Timeline;

impl Listing for Timeline {
    type Item = AdhesionEvent;
    const COLUMNS: &'static [Column] = &[
        Column::both("Quando"),
        Column::both("Quem"),
        Column::both("Ato"),
        Column::both("Situação"),
        Column::both("Observação"),
    ];

    fn cells(&self, e: &AdhesionEvent) -> Vec<Col> {
        let act = match e.action.as_str() {
            "create" => "Solicitação".to_string(),
            "attach" => "Documento anexado".to_string(),
            code => {
                AdhesionAction::parse("action", code).map(|a| a.label().to_string()).unwrap_or(code.into())
            }
        };
        vec![
            Col::text(when(Some(e.at))),
            Col::text(if e.login.is_empty() { "sistema" } else { &e.login }),
            Col::text(act),
            Col::text(e.to_status.label()),
            Col::text(&e.note),
        ]
    }
}

fn facts(d: &AdhesionDetail) -> Vec<Fact> {
    let a = &d.adhesion;
    vec![
        Fact::new(
            "Órgão",
            Col::text(format!("{} — {}", a.agency_acronym, a.agency_name))
                .link(format!("/orgaos/{}", a.agency_id)),
        ),
        Fact::text("Tipo", a.kind.label()),
        Fact::text("Situação", a.status.label()),
        Fact::text("Solicitada em", when(Some(a.requested_at))),
        Fact::text("Decidida em", when(a.decided_at)),
        Fact::text("Observação", if a.note.is_empty() { "—" } else { &a.note }),
    ]
}

async fn adhesion_page(
    state: &WebState,
    user: &PortalUser,
    d: &AdhesionDetail,
    refusal: Option<(&'static str, Values, FieldError)>,
) -> Result<DetailPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let a = &d.adhesion;
    let mut page = DetailPage::new(user, Section::Adhesions, format!("Adesão {}", a.number));
    page.subtitle = format!("{} — {} — {}", a.agency_name, a.kind.label(), a.status.label());
    page.actions.push(LinkButton::primary(
        "Solicitação para assinatura (PDF)",
        format!("/adesoes/{}/solicitacao.pdf", a.id.0),
    ));
    page.actions.push(LinkButton::secondary("Responsáveis", format!("/responsaveis?agency={}", a.agency_id)));
    page.actions.push(LinkButton::secondary("Todas as adesões", "/adesoes"));
    page.facts = facts(d);
    let (refused_form, values, error) = match refusal {
        Some((form, v, e)) => (Some(form), v, Some(e)),
        None => (None, Values::default(), None),
    };
    let empty = Values::default();
    let shown = |form: &str| if refused_form == Some(form) { &values } else { &empty };
    let with_error = |f: ActionForm| match (&error, refused_form == Some(f.id)) {
        (Some(e), true) => f.with_error(e),
        _ => f,
    };

    let mut todo = DetailSection::new("O que fazer agora").id("acoes");
    if !d.allowed.is_empty() {
        let mut form = ActionForm::new("acoes-form", format!("/adesoes/{}", a.id.0), user);
        form.intro = "Devolver, indeferir, suspender e solicitar a desistência exigem observação; cada ato \
                      fica na linha do tempo e é avisado por e-mail."
            .into();
        form.fields.push(Field::new("note", "Observação", "textarea", shown("acoes-form")));
        for &action in &d.allowed {
            let kind = match action {
                AdhesionAction::Reject | AdhesionAction::Suspend | AdhesionAction::Withdraw => {
                    ButtonKind::Danger
                }
                AdhesionAction::Return
                | AdhesionAction::CancelWithdrawal
                | AdhesionAction::RequestWithdrawal => ButtonKind::Secondary,
                _ => ButtonKind::Primary,
            };
            form.buttons.push(
                SubmitButton::new(
                    "acao",
                    action.as_str(),
                    action.label(),
                    format!("btn-{}", action.as_str()),
                )
                .kind(kind),
            );
        }
        todo = todo.form(with_error(form));
    }
    let open = redegov_domain::adhesion::is_open(a.status);
    if open && REQUESTERS.contains(&actor.role) {
        let mut upload = ActionForm::new("documento", format!("/adesoes/{}/documentos", a.id.0), user);
        upload.multipart = true;
        upload.intro = format!(
            "Anexe o documento assinado, em PDF (até {} MiB); o SHA-256 fica registrado.",
            MAX_DOCUMENT_BYTES / (1024 * 1024)
        );
        upload.fields = vec![
            Field::select(
                "kind",
                "Documento",
                shown("documento"),
                code_choices(DocumentKind::ALL, DocumentKind::as_str, DocumentKind::label),
            )
            .required(),
            Field::new("file", "Arquivo PDF", "file", shown("documento")).required(),
        ];
        upload.buttons.push(SubmitButton::new("acao", "anexar", "Anexar documento", "anexar-documento"));
        todo = todo.form(with_error(upload));
    }
    if !todo.forms.is_empty() {
        page.sections.push(todo);
    }
    // Withdrawal: what must be cancelled first.
    if a.status == AdhesionStatus::WithdrawalRequested {
        let note = if d.remaining.is_empty() {
            "Nada mais em serviço: a desistência pode ser concluída.".to_string()
        } else {
            format!("Ainda em serviço (cancele antes de concluir): {}.", d.remaining.join("; "))
        };
        page.sections.push(DetailSection::new("Serviços a cancelar").id("pendencias").note(note));
    }
    let required = required_documents(a.kind);
    let missing: Vec<&str> = required
        .iter()
        .filter(|k| !d.documents.iter().any(|doc| doc.kind == **k))
        .map(|k| k.label())
        .collect();
    let checklist = if missing.is_empty() {
        "Todos os documentos exigidos para este tipo de órgão estão anexados.".to_string()
    } else {
        format!("Faltam: {}.", missing.join("; "))
    };
    page.sections.push(
        DetailSection::new("Documentos")
            .id("documentos")
            .note(format!(
                "Exigidos para {}: {}. {checklist}",
                a.kind.label().to_lowercase(),
                required.iter().map(|k| k.label()).collect::<Vec<_>>().join("; ")
            ))
            .grid(
                Documents { adhesion: a.id }
                    .grid("documentos-grid", &d.documents)
                    .empty_text("Nenhum documento anexado."),
            ),
    );
    page.sections.push(
        DetailSection::new("Responsáveis (Anexo I)")
            .id("responsaveis")
            .note("O 1º e o 2º responsável recebem acesso ao portal como gestores do órgão quando aprovados.")
            .grid(
                Persons { actor }
                    .grid("responsaveis-grid", &d.persons)
                    .empty_text("Nenhum responsável indicado."),
            ),
    );
    page.sections.push(
        DetailSection::new("Formulários técnicos (Anexo II)")
            .id("formularios")
            .grid(Forms.grid("formularios-grid", &d.forms).empty_text("Nenhum formulário técnico enviado.")),
    );
    page.sections.push(
        DetailSection::new("Linha do tempo")
            .id("linha-do-tempo")
            .grid(Timeline.grid("linha-do-tempo-grid", &d.events)),
    );
    page.sections.extend(history(app, actor, "adhesion", a.id.0).await?);
    Ok(page)
}

pub async fn detail(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let d = state.app.get_adhesion(user.actor(), AdhesionId(parse_id(&id)?)).await?;
    let mut page = adhesion_page(&state, &user, &d, None).await?;
    page.saved(raw.as_deref(), "Registrado.");
    Ok(render(&page))
}

async fn settle(
    state: &WebState,
    user: &PortalUser,
    id: AdhesionId,
    form: &'static str,
    values: Values,
    result: Result<(), AppError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => created(format!("/adesoes/{}?salvo=1", id.0)),
        Err(AppError::Invalid(e)) => {
            let d = state.app.get_adhesion(user.actor(), id).await?;
            let page = adhesion_page(state, user, &d, Some((form, values, e))).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /adesoes/{id}`: an action with its note.
pub async fn act(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let id = AdhesionId(parse_id(&id)?);
    let action = AdhesionAction::parse("acao", values.get("acao")).map_err(|_| PageError::not_found())?;
    let result = state.app.act_on_adhesion(user.actor(), id, action, values.get("note")).await.map(|_| ());
    settle(&state, &user, id, "acoes-form", values, result).await
}

/// `POST /adesoes/{id}/documentos`: a signed PDF, multipart.
pub async fn upload(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let id = AdhesionId(parse_id(&id)?);
    let (fields, files) = super::invoices::read_multipart(multipart, "file").await?;
    let values = submitted(&user, fields)?;
    let result = match files.into_iter().next() {
        Some((name, content_type, data)) => state
            .app
            .attach_adhesion_document(
                user.actor(),
                id,
                DocumentInput { kind: values.get("kind").into(), name, content_type, data },
            )
            .await
            .map(|_| ()),
        None => Err(FieldError::new("file", redegov_domain::error::Rule::Required).into()),
    };
    settle(&state, &user, id, "documento", values, result).await
}

/// `GET /adesoes/{id}/documentos/{document}`: the PDF, checksum verified.
pub async fn download(
    State(state): State<WebState>,
    user: PortalUser,
    Path((id, document)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let d = state
        .app
        .adhesion_document(user.actor(), AdhesionId(parse_id(&id)?), AdhesionDocumentId(parse_id(&document)?))
        .await?;
    Ok(crate::api::penalties::file_download(&d.meta.name, &d.meta.content_type, &d.meta.sha256, d.data))
}

/// The adhesion request as a document to sign: the term (seed 002's
/// wording), the agency, the responsible persons (Annex I) and the
/// technical form (Annex II), with signature lines.
fn request_document(actor: &Actor, d: &AdhesionDetail, cnpj: &str, generated_at: String) -> Document {
    let a = &d.adhesion;
    let term = match a.kind {
        redegov_domain::inventory::AgencyKind::Compulsory => format!(
            "{} declara sua participação na Rede IP Multisserviços do Estado e indica, abaixo, o gestor e o \
             substituto que responderão pelo órgão junto à unidade gestora da rede.",
            a.agency_name
        ),
        redegov_domain::inventory::AgencyKind::Facultative => format!(
            "{} manifesta seu interesse em aderir, por termo de cooperação, à Rede IP Multisserviços do \
             Estado, sujeito à aprovação do Comitê Gestor da Rede.",
            a.agency_name
        ),
        redegov_domain::inventory::AgencyKind::Municipality => format!(
            "A {}, inscrita sob CNPJ nº {cnpj}, representada por seu titular ou representante legal \
             abaixo-assinado, manifesta sua adesão ao Termo de Cooperação Técnica da Rede IP Multisserviços \
             do Estado, comprometendo-se a seguir o estabelecido no Termo, a responder individualmente pelas \
             solicitações de serviço à operadora e pelos respectivos pagamentos, e a manter atualizados os \
             dados dos seus responsáveis, inclusive após novas eleições municipais.",
            a.agency_name
        ),
    };
    let persons: Vec<&PersonRecord> = d.persons.iter().collect();
    let sees = redegov_app::responsibles::sees_cpf(actor, a.agency_id);
    let person_rows = persons
        .iter()
        .map(|p| {
            let q = &p.person;
            vec![
                q.position.label().to_string(),
                q.name.clone(),
                if sees { q.cpf.masked() } else { q.cpf.redacted() },
                q.registration.clone(),
                q.job_title.clone(),
                q.department.clone(),
                q.email.clone(),
                [q.phone.as_str(), q.mobile.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" / "),
            ]
        })
        .collect();
    let form = d.forms.first();
    let mut technical = DocumentSection {
        title: "Anexo II — Formulário técnico".into(),
        paragraphs: vec![
            "Aplicações do Governo do Estado que o órgão utilizará e os sub-blocos CIDR solicitados (privados \
             /28 para a Intranet, até 14 hosts cada; público /30 para a Internet, 2 hosts)."
                .into(),
        ],
        ..Default::default()
    };
    match form {
        Some(f) => {
            technical.facts = vec![
                ("Sub-blocos privados /28".into(), f.form.private_blocks.to_string()),
                ("Sub-bloco público /30".into(), f.form.public_blocks.to_string()),
                (
                    "Responsável técnico".into(),
                    format!("{} — {} — {}", f.form.contact_name, f.form.contact_phone, f.form.contact_email),
                ),
            ];
            technical.table = Some(DocumentTable {
                headers: vec!["Aplicação".into(), "Órgão responsável".into()],
                numeric: vec![false, false],
                rows: f.form.applications.iter().map(|x| vec![x.name.clone(), x.body.clone()]).collect(),
                empty: "Nenhuma aplicação indicada.".into(),
            });
        }
        None => technical.paragraphs.push("Formulário técnico ainda não enviado.".into()),
    }
    Document {
        title: format!("Solicitação de adesão {} — {}", a.number, a.agency_name),
        subtitle: format!("{} — situação: {}", a.kind.label(), a.status.label()),
        generated_at,
        reference: format!("Adesão {}", a.number),
        facts: vec![
            ("Órgão".into(), format!("{} ({})", a.agency_name, a.agency_acronym)),
            ("CNPJ".into(), cnpj.to_string()),
            ("Tipo de adesão".into(), a.kind.label().into()),
            ("Solicitada em".into(), when(Some(a.requested_at))),
        ],
        sections: vec![
            DocumentSection { title: "Termo".into(), paragraphs: vec![term], ..Default::default() },
            DocumentSection {
                title: "Anexo I — Designação de responsáveis".into(),
                paragraphs: vec![
                    "Os dois servidores abaixo respondem pelo órgão na rede, podendo emitir solicitações de \
                     serviço, abrir e acompanhar incidentes e acompanhar o desempenho dos serviços."
                        .into(),
                ],
                facts: Vec::new(),
                table: Some(DocumentTable {
                    headers: [
                        "Posição",
                        "Nome",
                        "CPF",
                        "Matrícula",
                        "Cargo/função",
                        "Departamento",
                        "E-mail",
                        "Telefones",
                    ]
                    .map(String::from)
                    .to_vec(),
                    numeric: vec![false; 8],
                    rows: person_rows,
                    empty: "Nenhum responsável indicado.".into(),
                }),
            },
            technical,
            DocumentSection {
                title: "Assinatura".into(),
                paragraphs: vec![
                    "Local e data: ______________________________, ____ de ________________ de ______."
                        .into(),
                    "Representante legal: ______________________________________________".into(),
                    "Nome e cargo por extenso: __________________________________________".into(),
                    "CPF: ______________________".into(),
                ],
                ..Default::default()
            },
        ],
    }
}

/// `GET /adesoes/{id}/solicitacao.pdf`.
pub async fn request_pdf(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = state.app.get_adhesion(user.actor(), AdhesionId(parse_id(&id)?)).await?;
    let agency = state.app.get_agency(user.actor(), d.adhesion.agency_id).await?;
    let doc = request_document(
        user.actor(),
        &d,
        &agency.cnpj.masked(),
        redegov_domain::time::format_local(state.app.now()),
    );
    let file = format!(
        "adesao-{}.pdf",
        d.adhesion.number.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    Ok(super::printing::pdf_download(&doc, &file))
}

// ----- invitation -----

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    chrome: Chrome,
    action: String,
    error: Option<String>,
}

fn invitation_page(token: &str, error: Option<String>) -> InvitationPage {
    InvitationPage { chrome: Chrome::anonymous("Definir senha"), action: format!("/convite/{token}"), error }
}

pub async fn invitation_form(Path(token): Path<String>) -> Response {
    render(&invitation_page(&token, None))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InvitationForm {
    password: String,
    confirmation: String,
}

/// `POST /convite/{token}`: sets the password, then the login page.
pub async fn accept_invitation(
    State(state): State<WebState>,
    Path(token): Path<String>,
    Form(form): Form<InvitationForm>,
) -> Result<Response, PageError> {
    if form.password != form.confirmation {
        let page = invitation_page(&token, Some("As duas senhas não conferem.".into()));
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    match state.app.accept_invitation(&token, &form.password).await {
        Ok(login) => {
            Ok(Redirect::to(&format!("/login?convite=1&usuario={}", urlencode(&login))).into_response())
        }
        Err(AppError::Invalid(e)) => {
            let page = invitation_page(&token, Some(format!("Senha: {}.", e.rule.pt_br())));
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::NotFound(_)) => {
            let page = invitation_page(
                &token,
                Some("Este convite não vale mais (já usado, vencido ou revogado). Peça outro à UGO.".into()),
            );
            Ok(render_status(StatusCode::NOT_FOUND, &page))
        }
        Err(e) => Err(e.into()),
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).map(|q| q[2..].to_string()).unwrap_or_default()
}

/// Whether the role sees the adhesion pages in its menu (operators do not).
pub(super) fn in_menu(role: Role) -> bool {
    role != Role::Operator
}
