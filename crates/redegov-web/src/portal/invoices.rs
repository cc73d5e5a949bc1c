//! Faturas das operadoras e contestações (DOMAIN §9): the invoice list, the
//! upload page (the CSV layout of `docs/invoices.md`, all lines or none,
//! every problem named with line, column and rule), the invoice's page —
//! its comparison with the closed month's billing report flag by flag, its
//! lines, its disputes, "Aprovar para pagamento" and "Contestar" — also as
//! a PDF; and the disputes, listed by status and age, each answered by the
//! operator and resolved by the contract manager on its own page. Every
//! list exports to CSV/XLSX. The app scopes and authorises every read and
//! write; this module only offers what the role may use.

use super::details::{DetailPage, DetailSection, Notice, history};
use super::fetch::{self, Holders};
use super::formkit::{ActionForm, ButtonKind, Field, SubmitButton, Values, created, preselect, submitted};
use super::lists::{ListSpec, agency_filter, agency_param, filters_by_agency, respond};
use super::paging::ListQuery;
use super::printing;
use super::view::{Col, Column, Fact, FilterField, Kpi, LinkButton, Listing, count, when};
use super::{Section, forbidden, may_create, parse_id, render, render_status};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use redegov_app::AppError;
use redegov_app::authz::Resource;
use redegov_app::import::ImportProblem;
use redegov_app::invoices::{
    DisputeDetail, DisputeFilter, DisputeInput, DisputeLineRecord, DisputeRecord, InvoiceDetail,
    InvoiceFilter, InvoiceHeader, InvoiceLineRecord, InvoiceRecord, Resolution,
};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::{AgencyId, DisputeId, InvoiceId};
use redegov_domain::invoice::{ContestedLine, DisputeStatus, Flag, InvoiceStatus, parse_holder};
use redegov_domain::money::Money;
use redegov_domain::time::{Timestamp, format_date, parse_date};
use std::collections::HashMap;

/// This module's pages.
pub(super) fn routes() -> Router<WebState> {
    Router::new()
        .route("/faturas", get(list))
        .route(
            "/faturas/nova",
            get(upload_page).post(upload).layer(axum::extract::DefaultBodyLimit::max(crate::MAX_BODY_BYTES)),
        )
        .route("/faturas/{id}", get(detail).post(act))
        .route("/faturas/{id}/comparacao.pdf", get(comparison_pdf))
        .route("/contestacoes", get(disputes))
        .route("/contestacoes/{id}", get(dispute).post(work_dispute))
}

// ----- columns -----

fn invoice_status(status: InvoiceStatus) -> Col {
    Col::text(status.label()).badge(format!("inv-{}", status.code()))
}

fn dispute_status(status: DisputeStatus) -> Col {
    Col::text(status.label()).badge(format!("disp-{}", status.code()))
}

/// Whole days since `at`.
fn age_days(at: Timestamp, now: Timestamp) -> i64 {
    ((now.timestamp() - at.timestamp()) / 86_400).max(0)
}

struct Invoices<'a> {
    holders: &'a Holders,
}

impl Listing for Invoices<'_> {
    type Item = InvoiceRecord;
    const COLUMNS: &'static [Column] = &[
        Column::both("Fatura"),
        Column::both("Número"),
        Column::both("Órgão"),
        Column::both("Operadora ou consórcio"),
        Column::both("Mês"),
        Column::both("Emissão"),
        Column::both("Situação"),
        Column::both("Linhas"),
        Column::both("Total da fatura"),
        Column::both("Líquido do relatório"),
        Column::both("Diferença"),
        Column::both("Divergências"),
    ];

    fn cells(&self, i: &InvoiceRecord) -> Vec<Col> {
        vec![
            Col::id(i.id.0).link(format!("/faturas/{}", i.id)),
            Col::text(&i.number).link(format!("/faturas/{}", i.id)),
            Col::text(&i.agency_name).link(format!("/orgaos/{}", i.agency_id)),
            Col::text(self.holders.name(i.holder).0),
            Col::text(&i.month),
            Col::text(format_date(i.issued_on)),
            invoice_status(i.status),
            Col::int(i.line_count),
            Col::money(i.totals.total),
            Col::money(i.totals.report_net),
            Col::money(i.totals.difference),
            Col::int(i.flag_count),
        ]
    }

    fn row_class(&self, i: &InvoiceRecord) -> &'static str {
        if i.status == InvoiceStatus::Received && i.totals.difference != Money::ZERO {
            "row-breach"
        } else {
            ""
        }
    }
}

/// A reconciliation flag.
struct Flags;

impl Listing for Flags {
    type Item = Flag;
    const COLUMNS: &'static [Column] = &[
        Column::both("Divergência"),
        Column::both("Acesso"),
        Column::both("Linhas da fatura"),
        Column::both("Relatório"),
        Column::both("Fatura"),
        Column::both("Diferença"),
        Column::both("Explicação"),
    ];

    fn cells(&self, f: &Flag) -> Vec<Col> {
        vec![
            Col::text(f.kind.label()).badge(format!("flag-{}", f.kind.code())),
            match f.access_id {
                Some(a) => Col::id(a.0).link(format!("/acessos/{a}")),
                None => Col::text("—"),
            },
            Col::text(f.line_nos.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")),
            Col::money(f.expected),
            Col::money(f.invoiced),
            Col::money(f.invoiced - f.expected),
            Col::text(&f.note),
        ]
    }

    fn row_class(&self, f: &Flag) -> &'static str {
        if f.kind.is_informational() { "" } else { "row-breach" }
    }
}

struct Lines;

impl Listing for Lines {
    type Item = InvoiceLineRecord;
    const COLUMNS: &'static [Column] = &[
        Column::both("Linha"),
        Column::both("Tipo"),
        Column::both("Acesso"),
        Column::both("Referência"),
        Column::both("Descrição"),
        Column::both("Valor"),
    ];

    fn cells(&self, r: &InvoiceLineRecord) -> Vec<Col> {
        let l = &r.line;
        vec![
            Col::id(l.line_no),
            Col::text(l.kind.label()),
            match l.access_id {
                Some(a) => Col::id(a.0).link(format!("/acessos/{a}")),
                None => Col::text(""),
            },
            Col::text(&l.reference),
            Col::text(&l.description),
            Col::money(l.amount),
        ]
    }
}

struct Disputes<'a> {
    holders: &'a Holders,
    agencies: &'a HashMap<AgencyId, String>,
    now: Timestamp,
}

impl Listing for Disputes<'_> {
    type Item = DisputeRecord;
    const COLUMNS: &'static [Column] = &[
        Column::both("Contestação"),
        Column::both("Fatura"),
        Column::both("Órgão"),
        Column::both("Operadora ou consórcio"),
        Column::both("Mês"),
        Column::both("Situação"),
        Column::both("Valor contestado"),
        Column::both("Aberta em"),
        Column::both("Idade (dias)"),
        Column::both("Motivo"),
        Column::both("Crédito em"),
    ];

    fn cells(&self, d: &DisputeRecord) -> Vec<Col> {
        let end = d.resolved_at.unwrap_or(self.now);
        vec![
            Col::id(d.id.0).link(format!("/contestacoes/{}", d.id)),
            Col::text(&d.invoice_number).link(format!("/faturas/{}", d.invoice_id)),
            Col::text(
                self.agencies.get(&d.agency_id).cloned().unwrap_or_else(|| format!("#{}", d.agency_id)),
            )
            .link(format!("/orgaos/{}", d.agency_id)),
            Col::text(self.holders.name(d.holder).0),
            Col::text(&d.month),
            dispute_status(d.status),
            Col::money(d.contested),
            Col::text(when(Some(d.opened_at))),
            Col::int(age_days(d.opened_at, end)),
            Col::text(&d.reason),
            Col::text(d.credit_month.as_deref().unwrap_or("—")),
        ]
    }

    fn row_class(&self, d: &DisputeRecord) -> &'static str {
        if d.status.is_final() { "" } else { "row-open" }
    }
}

struct ContestedLines;

impl Listing for ContestedLines {
    type Item = DisputeLineRecord;
    const COLUMNS: &'static [Column] = &[
        Column::both("Linha da fatura"),
        Column::both("Tipo"),
        Column::both("Acesso"),
        Column::both("Valor da linha"),
        Column::both("Valor contestado"),
    ];

    fn cells(&self, l: &DisputeLineRecord) -> Vec<Col> {
        vec![
            Col::id(l.line_no),
            Col::text(&l.kind),
            match l.access_id {
                Some(a) => Col::id(a.0).link(format!("/acessos/{a}")),
                None => Col::text(""),
            },
            Col::money(l.amount),
            Col::money(l.contested),
        ]
    }
}

// ----- the invoice list -----

/// `GET /faturas[?status=&mes=&agency=][&formato=csv|xlsx]`.
pub async fn list(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    let agencies =
        if filters_by_agency(actor) { fetch::agency_choices(app, actor).await? } else { Vec::new() };
    let agency_id = agency_param(&q, &agencies).filter(|_| filters_by_agency(actor));
    let status = q.code("status", &["received", "approved"]);
    let month = q.text("mes").filter(|m| redegov_app::closing::parse_month("mes", m).is_ok());
    let filter = InvoiceFilter {
        agency_id,
        month: month.clone(),
        status: status.as_deref().and_then(|s| InvoiceStatus::parse("status", s).ok()),
        ..Default::default()
    };
    let listed = app.list_invoices(actor, filter, q.fetch()).await?;
    let holders = Holders::load(app, actor).await?;
    let mut filters = vec![
        FilterField::select(
            "status",
            "Situação",
            status,
            InvoiceStatus::ALL.iter().map(|s| (s.code().to_string(), s.label().to_string())),
        ),
        FilterField::search("mes", "Mês (AAAA-MM)", month, "ex.: 2026-10"),
    ];
    if filters_by_agency(actor) {
        filters.push(agency_filter(agency_id, &agencies));
    }
    let mut actions = Vec::new();
    if may_create(&user, Resource::Invoice) {
        actions.push(LinkButton::primary("Enviar fatura", "/faturas/nova"));
    }
    actions.push(LinkButton::secondary("Contestações", "/contestacoes"));
    let spec = ListSpec {
        section: Section::Invoices,
        heading: "Faturas das operadoras".into(),
        path: "/faturas".into(),
        file: "faturas".into(),
        table_id: "faturas",
        filters,
        actions,
    };
    Ok(respond(&user, &q, spec, &Invoices { holders: &holders }, &listed.items, listed.total))
}

// ----- the upload -----

async fn upload_form(state: &WebState, user: &PortalUser, values: &Values) -> Result<ActionForm, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let agencies = fetch::agency_choices(app, actor).await?;
    let holders = Holders::load(app, actor).await?;
    let mut form = ActionForm::new("enviar-fatura", "/faturas/nova", user);
    form.multipart = true;
    form.intro = "A fatura é conferida com o relatório de faturamento do mês fechado, linha a linha. \
                  O arquivo é importado por inteiro ou não é importado."
        .into();
    form.fields = vec![
        Field::select(
            "agency_id",
            "Órgão",
            values,
            agencies.into_iter().map(|(id, _, label)| (id.to_string(), label)),
        )
        .required(),
        Field::select("holder", "Operadora ou consórcio", values, holders.choices()).required(),
        Field::text("month", "Mês de referência (fechado)", values).placeholder("AAAA-MM").required(),
        Field::text("number", "Número da fatura", values).required(),
        Field::new("issued_on", "Emissão", "date", values).required(),
        Field::new("file", "Arquivo CSV", "file", values).help(
            "Colunas tipo;acesso;referencia;descricao;valor (tipo: servico, desconto, multa ou outro; \
             valor em reais, 1234,56). Ou cole o conteúdo abaixo.",
        ),
        Field::new("csv", "Conteúdo do CSV", "textarea", values),
    ];
    if let [only] = &form.fields[1].options[1..] {
        let code = only.value.clone();
        preselect(&mut form.fields[1], &code);
    }
    form.buttons.push(SubmitButton::new("acao", "enviar", "Enviar e conferir", "enviar"));
    Ok(form)
}

struct ProblemRows;

impl Listing for ProblemRows {
    type Item = ImportProblem;
    const COLUMNS: &'static [Column] =
        &[Column::both("Linha"), Column::both("Coluna"), Column::both("Problema")];

    fn cells(&self, p: &ImportProblem) -> Vec<Col> {
        vec![Col::id(p.line as i64), Col::text(&p.column), Col::text(p.rule.pt_br())]
    }
}

async fn upload_view(
    state: &WebState,
    user: &PortalUser,
    values: &Values,
    error: Option<&FieldError>,
    problems: &[ImportProblem],
) -> Result<DetailPage, PageError> {
    let mut page = DetailPage::new(user, Section::Invoices, "Enviar fatura".into());
    page.subtitle =
        "Layout do arquivo em docs/invoices.md; também pela API (POST /api/v1/invoices/import).".into();
    page.actions.push(LinkButton::secondary("Todas as faturas", "/faturas"));
    let mut form = upload_form(state, user, values).await?;
    if let Some(e) = error {
        form = form.with_error(e);
    }
    let mut section = DetailSection::new("Fatura").id("fatura").form(form);
    if !problems.is_empty() {
        page.notice = Some(Notice {
            class: "alert-error",
            text: format!(
                "O arquivo tem {} problema(s); nada foi importado. Corrija e envie de novo.",
                problems.len()
            ),
        });
        section = section.grid(ProblemRows.grid("problemas", problems));
    }
    page.sections.push(section);
    Ok(page)
}

pub async fn upload_page(State(state): State<WebState>, user: PortalUser) -> Result<Response, PageError> {
    if !may_create(&user, Resource::Invoice) {
        return Err(forbidden());
    }
    Ok(render(&upload_view(&state, &user, &Values::default(), None, &[]).await?))
}

fn parse_header(v: &Values) -> Valid<InvoiceHeader> {
    Ok(InvoiceHeader {
        agency_id: AgencyId(v.int("agency_id")?),
        holder: parse_holder("holder", v.get("holder"))?,
        month: redegov_app::closing::parse_month("month", v.get("month"))?,
        number: v.get("number").into(),
        issued_on: parse_date("issued_on", v.get("issued_on"))?,
    })
}

/// Reads a multipart form: its text fields and the bytes of its one file
/// field `file_field` (empty when none was chosen).
pub(super) async fn read_multipart(
    mut multipart: Multipart,
    file_field: &str,
) -> Result<(HashMap<String, String>, Vec<(String, String, Vec<u8>)>), PageError> {
    let bad = |_| PageError {
        status: StatusCode::BAD_REQUEST,
        message: "Formulário inválido ou grande demais.".into(),
    };
    let (mut fields, mut files) = (HashMap::new(), Vec::new());
    while let Some(part) = multipart.next_field().await.map_err(bad)? {
        let name = part.name().unwrap_or_default().to_string();
        match part.file_name().map(str::to_string) {
            Some(file_name) if name == file_field => {
                let content_type = part.content_type().unwrap_or("application/octet-stream").to_string();
                let data = part.bytes().await.map_err(bad)?;
                // A file input left empty is sent as a part without a name or bytes.
                if !file_name.is_empty() || !data.is_empty() {
                    files.push((file_name, content_type, data.to_vec()));
                }
            }
            _ => {
                fields.insert(name, part.text().await.map_err(bad)?);
            }
        }
    }
    Ok((fields, files))
}

pub async fn upload(
    State(state): State<WebState>,
    user: PortalUser,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let (fields, files) = read_multipart(multipart, "file").await?;
    let values = submitted(&user, fields)?;
    let csv: Vec<u8> = match files.into_iter().next() {
        Some((_, _, data)) => data,
        None => values.get("csv").as_bytes().to_vec(),
    };
    let result = match parse_header(&values) {
        Ok(_) if csv.is_empty() => Err(FieldError::new("file", Rule::Required).into()),
        Ok(header) => state.app.import_invoice_csv(user.actor(), header, &csv).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(done) => created(format!("/faturas/{}", done.invoice.id)),
        Err(AppError::Invalid(e)) => {
            let page = upload_view(&state, &user, &values, Some(&e), &[]).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::Rejected(problems)) => {
            let page = upload_view(&state, &user, &values, None, &problems).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

// ----- the invoice's page -----

/// The contested lines typed one per line: `linha;valor` (the invoice's
/// line number and the amount contested, in reais).
fn parse_contested(field: &str, text: &str, lines: &[InvoiceLineRecord]) -> Valid<Vec<ContestedLine>> {
    let mut out = Vec::new();
    for (n, row) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = format!("{field}[{}]", n + 1);
        let (line_no, amount) = row
            .split_once([';', '\t'])
            .ok_or_else(|| FieldError::new(&at, Rule::Malformed("linha;valor")))?;
        let line_no: i64 =
            line_no.trim().parse().map_err(|_| FieldError::new(&at, Rule::Malformed("número da linha")))?;
        let line = lines
            .iter()
            .find(|l| l.line.line_no == line_no)
            .ok_or_else(|| FieldError::new(&at, Rule::UnknownReference))?;
        out.push(ContestedLine {
            invoice_line_id: line.id.0,
            contested: Money::parse_brl(&at, amount.trim())?,
        });
    }
    Ok(out)
}

/// The dispute form's lines prefilled from the flags: each flagged line
/// with what it asks beyond the report.
fn contested_from_flags(flags: &[Flag], lines: &[InvoiceLineRecord]) -> String {
    let mut out = Vec::new();
    for f in flags.iter().filter(|f| !f.kind.is_informational()) {
        let excess = f.invoiced - f.expected;
        for no in &f.line_nos {
            if let Some(l) = lines.iter().find(|l| l.line.line_no == *no) {
                let amount =
                    if excess > Money::ZERO && excess < l.line.amount { excess } else { l.line.amount };
                if amount > Money::ZERO && !out.iter().any(|(n, _)| n == no) {
                    out.push((*no, amount));
                }
            }
        }
    }
    out.iter()
        .map(|(n, a)| format!("{n};{}", a.format_brl().trim_start_matches("R$ ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The forms of an invoice's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InvoiceForm {
    Approve,
    Dispute,
}

async fn invoice_page(
    state: &WebState,
    user: &PortalUser,
    d: &InvoiceDetail,
    refusal: Option<(InvoiceForm, Values, FieldError)>,
) -> Result<DetailPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let i = &d.invoice;
    let r = app.invoice_reconciliation(actor, i.id).await?;
    let holders = Holders::load(app, actor).await?;
    let (holder_name, holder_href) = holders.name(i.holder);
    let mut page = DetailPage::new(user, Section::Invoices, format!("Fatura {}", i.number));
    page.subtitle = format!("{} — {} — {}", i.agency_name, holder_name, i.month);
    page.actions.push(LinkButton::primary("Comparação em PDF", format!("/faturas/{}/comparacao.pdf", i.id)));
    page.actions.push(LinkButton::secondary("Divergências em CSV", format!("/faturas/{}?formato=csv", i.id)));
    page.actions
        .push(LinkButton::secondary("Divergências em XLSX", format!("/faturas/{}?formato=xlsx", i.id)));
    page.actions.push(LinkButton::secondary("Todas as faturas", "/faturas"));
    let t = i.totals;
    let problems = r.reconciliation.flags.iter().filter(|f| !f.kind.is_informational()).count();
    page.kpis = vec![
        Kpi::new("Total da fatura", t.total.format_brl(), "serviços + outros − descontos − multas"),
        Kpi::new(
            "Líquido do relatório",
            t.report_net.format_brl(),
            "relatório de faturamento do mês fechado",
        ),
        Kpi::new("Diferença", t.difference.format_brl(), "positiva: a fatura cobra a mais"),
        Kpi::new("Divergências", count(problems as i64), "além das informativas"),
    ];
    let mut facts = vec![
        Fact::new("Situação", invoice_status(i.status)),
        Fact::new("Órgão", Col::text(&i.agency_name).link(format!("/orgaos/{}", i.agency_id))),
        Fact::new(
            "Operadora ou consórcio",
            match holder_href {
                Some(href) => Col::text(&holder_name).link(href),
                None => Col::text(&holder_name),
            },
        ),
        Fact::new("Mês de referência", Col::text(&i.month).link(format!("/meses/{}", i.month))),
        Fact::text("Emissão", format_date(i.issued_on)),
        Fact::text("Recebida em", when(Some(i.uploaded_at))),
        Fact::text("Aprovada para pagamento em", when(i.approved_at)),
        Fact::new("Serviços", Col::money(t.services)),
        Fact::new("Descontos", Col::money(t.discounts)),
        Fact::new("Multas", Col::money(t.penalties)),
        Fact::new("Outros", Col::money(t.other)),
    ];
    facts.retain(|f| !(f.label == "Outros" && t.other == Money::ZERO));
    page.facts = facts;
    let (refused_form, values, error) = match refusal {
        Some((form, values, error)) => (Some(form), values, Some(error)),
        None => (None, Values::default(), None),
    };
    let mut forms = DetailSection::new("Aprovar ou contestar").id("acoes");
    if i.status == InvoiceStatus::Received && may_create(user, Resource::InvoiceApproval) {
        let mut form = ActionForm::new("aprovar", format!("/faturas/{}", i.id), user);
        form.intro = if problems == 0 {
            "A fatura confere com o relatório de faturamento.".into()
        } else {
            format!(
                "Atenção: {problems} divergência(s) abaixo. Aprovar libera a fatura para pagamento como está."
            )
        };
        form.buttons.push(SubmitButton::new("acao", "aprovar", "Aprovar para pagamento", "aprovar-fatura"));
        if refused_form == Some(InvoiceForm::Approve)
            && let Some(e) = &error
        {
            form = form.with_error(e);
        }
        forms = forms.form(form);
    }
    if may_create(user, Resource::Dispute) {
        let prefilled;
        let shown = if refused_form == Some(InvoiceForm::Dispute) {
            &values
        } else {
            prefilled = Values(
                [("lines".to_string(), contested_from_flags(&r.reconciliation.flags, &d.lines))]
                    .into_iter()
                    .collect(),
            );
            &prefilled
        };
        let mut form = ActionForm::new("contestar", format!("/faturas/{}", i.id), user);
        form.intro = "Conteste linhas da fatura: a operadora responde e a gestão do contrato decide; \
                      procedente, o valor vira crédito no próximo mês aberto."
            .into();
        form.fields.push(Field::new("lines", "Linhas contestadas", "textarea", shown).required().help(
            "Uma por linha: nº da linha da fatura; valor contestado (R$). Preenchido com as divergências.",
        ));
        form.fields.push(Field::new("reason", "Motivo", "textarea", shown).required());
        form.buttons.push(
            SubmitButton::new("acao", "contestar", "Contestar", "contestar-fatura").kind(ButtonKind::Danger),
        );
        if refused_form == Some(InvoiceForm::Dispute)
            && let Some(e) = &error
        {
            form = form.with_error(e);
        }
        forms = forms.form(form);
    }
    if !forms.forms.is_empty() {
        page.sections.push(forms);
    }
    page.sections.push(
        DetailSection::new("Comparação com o relatório de faturamento")
            .id("comparacao")
            .note(
                "Cada acesso faturado é conferido com a linha do relatório do mês fechado; créditos de \
                 indisponibilidade e parcelas de multa devem vir descontados.",
            )
            .grid(Flags.grid("divergencias", &r.reconciliation.flags).empty_text("Nenhuma divergência.")),
    );
    page.sections
        .push(DetailSection::new("Linhas da fatura").id("linhas").grid(Lines.grid("linhas-grid", &d.lines)));
    let agencies = fetch::agency_acronyms(&state.app, user.actor()).await?;
    page.sections.push(
        DetailSection::new("Contestações").id("contestacoes").grid(
            Disputes { holders: &holders, agencies: &agencies, now: app.now() }
                .grid("contestacoes-grid", &d.disputes)
                .empty_text("Nenhuma contestação."),
        ),
    );
    page.sections.extend(history(app, actor, "invoice", i.id.0).await?);
    Ok(page)
}

pub async fn detail(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let d = app.get_invoice(actor, InvoiceId(parse_id(&id)?)).await?;
    let q = ListQuery::parse(raw.as_deref());
    if let Some(format) = q.export() {
        let r = app.invoice_reconciliation(actor, d.invoice.id).await?;
        let title = format!("Divergências da fatura {}", d.invoice.number);
        let file = format!("fatura-{}-divergencias", d.invoice.id);
        return Ok(Flags.table(&title, &r.reconciliation.flags).into_download(format, &file));
    }
    let mut page = invoice_page(&state, &user, &d, None).await?;
    match q.text("salvo").as_deref() {
        Some("aprovada") => {
            page.notice = Some(Notice { class: "alert-ok", text: "Fatura aprovada para pagamento.".into() })
        }
        Some(_) => page.notice = Some(Notice { class: "alert-ok", text: "Registrado.".into() }),
        None => {}
    }
    Ok(render(&page))
}

pub async fn act(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let (app, actor) = (&state.app, user.actor());
    let id = InvoiceId(parse_id(&id)?);
    let kind = match values.get("acao") {
        "aprovar" => InvoiceForm::Approve,
        "contestar" => InvoiceForm::Dispute,
        _ => return Err(PageError::not_found()),
    };
    let result = match kind {
        InvoiceForm::Approve => {
            app.approve_invoice(actor, id).await.map(|_| format!("/faturas/{id}?salvo=aprovada"))
        }
        InvoiceForm::Dispute => {
            let d = app.get_invoice(actor, id).await?;
            match parse_contested("lines", values.get("lines"), &d.lines) {
                Ok(lines) => app
                    .open_dispute(
                        actor,
                        DisputeInput { invoice_id: id, reason: values.get("reason").into(), lines },
                    )
                    .await
                    .map(|x| format!("/contestacoes/{}?salvo=1", x.dispute.id)),
                Err(e) => Err(e.into()),
            }
        }
    };
    match result {
        Ok(href) => created(href),
        Err(AppError::Invalid(e)) => {
            let d = app.get_invoice(actor, id).await?;
            let page = invoice_page(&state, &user, &d, Some((kind, values, e))).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /faturas/{id}/comparacao.pdf`: the invoice's page printed.
pub async fn comparison_pdf(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = state.app.get_invoice(user.actor(), InvoiceId(parse_id(&id)?)).await?;
    let page = invoice_page(&state, &user, &d, None).await?;
    let doc = printing::document(&page, state.app.now(), format!("Fatura {}", d.invoice.number));
    Ok(printing::pdf_download(&doc, &format!("fatura-{}-comparacao.pdf", d.invoice.id)))
}

// ----- disputes -----

/// `GET /contestacoes[?status=&ordem=antigas][&formato=csv|xlsx]`.
pub async fn disputes(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    let status = q.code("status", &["opened", "answered", "upheld", "rejected"]);
    let oldest = q.code("ordem", &["antigas"]).is_some();
    let filter = DisputeFilter {
        status: status.as_deref().and_then(|s| DisputeStatus::parse("status", s).ok()),
        oldest_first: oldest,
        ..Default::default()
    };
    let listed = app.list_disputes(actor, filter, q.fetch()).await?;
    let holders = Holders::load(app, actor).await?;
    let agencies = fetch::agency_acronyms(&state.app, user.actor()).await?;
    let filters = vec![
        FilterField::select(
            "status",
            "Situação",
            status,
            DisputeStatus::ALL.iter().map(|s| (s.code().to_string(), s.label().to_string())),
        ),
        FilterField::select(
            "ordem",
            "Ordem",
            oldest.then(|| "antigas".to_string()),
            [("antigas".to_string(), "Mais antigas primeiro".to_string())],
        ),
    ];
    let spec = ListSpec {
        section: Section::Disputes,
        heading: "Contestações de faturas".into(),
        path: "/contestacoes".into(),
        file: "contestacoes".into(),
        table_id: "contestacoes",
        filters,
        actions: vec![LinkButton::secondary("Faturas", "/faturas")],
    };
    let listing = Disputes { holders: &holders, agencies: &agencies, now: app.now() };
    Ok(respond(&user, &q, spec, &listing, &listed.items, listed.total))
}

async fn dispute_page(
    state: &WebState,
    user: &PortalUser,
    d: &DisputeDetail,
    refusal: Option<(Values, FieldError)>,
) -> Result<DetailPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let x = &d.dispute;
    let holders = Holders::load(app, actor).await?;
    let mut page = DetailPage::new(user, Section::Disputes, format!("Contestação #{}", x.id));
    page.subtitle = format!("Fatura {} — {} — {}", x.invoice_number, holders.name(x.holder).0, x.month);
    page.actions.push(LinkButton::secondary("Ver a fatura", format!("/faturas/{}", x.invoice_id)));
    page.actions.push(LinkButton::secondary("Todas as contestações", "/contestacoes"));
    let end = x.resolved_at.unwrap_or(app.now());
    page.facts = vec![
        Fact::new("Situação", dispute_status(x.status)),
        Fact::new("Valor contestado", Col::money(x.contested)),
        Fact::text("Motivo", &x.reason),
        Fact::text("Aberta em", when(Some(x.opened_at))),
        Fact::text("Idade", format!("{} dia(s)", age_days(x.opened_at, end))),
        Fact::text("Resposta da operadora", &x.answer),
        Fact::text("Respondida em", when(x.answered_at)),
        Fact::text("Decisão", &x.grounds),
        Fact::text("Decidida em", when(x.resolved_at)),
        Fact::text(
            "Crédito",
            x.credit_month
                .as_ref()
                .map(|m| format!("{} no relatório de faturamento de {m}", x.contested.format_brl()))
                .unwrap_or_else(|| "—".into()),
        ),
    ];
    let (values, error) = match refusal {
        Some((v, e)) => (v, Some(e)),
        None => (Values::default(), None),
    };
    // A refused submission comes back on the form it came from.
    let refused = |form: ActionForm, acao: &[&str]| match &error {
        Some(e) if acao.contains(&values.get("acao")) => form.with_error(e),
        _ => form,
    };
    let mut forms = DetailSection::new("Responder ou decidir").id("acoes");
    if x.status == DisputeStatus::Opened && may_create(user, Resource::DisputeAnswer) {
        let mut form = ActionForm::new("responder", format!("/contestacoes/{}", x.id), user);
        form.intro =
            "A resposta da operadora fica registrada e é enviada por e-mail à gestão do contrato.".into();
        form.fields.push(Field::new("answer", "Resposta", "textarea", &values).required());
        form.buttons.push(SubmitButton::new("acao", "responder", "Responder", "responder"));
        forms = forms.form(refused(form, &["responder"]));
    }
    if !x.status.is_final() && may_create(user, Resource::DisputeDecision) {
        let mut form = ActionForm::new("decidir", format!("/contestacoes/{}", x.id), user);
        form.intro = "Procedente: o valor contestado vira crédito no primeiro mês aberto após o da fatura, \
                      rateado entre as consorciadas pela participação."
            .into();
        form.fields.push(Field::new("grounds", "Fundamentação", "textarea", &values).required());
        form.buttons.push(SubmitButton::new("acao", "upheld", "Procedente", "procedente"));
        form.buttons.push(
            SubmitButton::new("acao", "rejected", "Improcedente", "improcedente").kind(ButtonKind::Danger),
        );
        forms = forms.form(refused(form, &["upheld", "rejected"]));
    }
    if !forms.forms.is_empty() {
        page.sections.push(forms);
    }
    page.sections.push(
        DetailSection::new("Linhas contestadas")
            .id("linhas")
            .grid(ContestedLines.grid("linhas-grid", &d.lines)),
    );
    page.sections.extend(history(app, actor, "dispute", x.id.0).await?);
    Ok(page)
}

pub async fn dispute(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let d = state.app.get_dispute(user.actor(), DisputeId(parse_id(&id)?)).await?;
    let mut page = dispute_page(&state, &user, &d, None).await?;
    page.saved(raw.as_deref(), "Registrado.");
    Ok(render(&page))
}

pub async fn work_dispute(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let (app, actor) = (&state.app, user.actor());
    let id = DisputeId(parse_id(&id)?);
    let result = match values.get("acao") {
        "responder" => app.answer_dispute(actor, id, values.get("answer")).await,
        "upheld" => app.resolve_dispute(actor, id, Some(Resolution::Upheld), values.get("grounds")).await,
        "rejected" => app.resolve_dispute(actor, id, Some(Resolution::Rejected), values.get("grounds")).await,
        _ => return Err(PageError::not_found()),
    };
    match result {
        Ok(_) => created(format!("/contestacoes/{id}?salvo=1")),
        Err(AppError::Invalid(e)) => {
            let d = app.get_dispute(actor, id).await?;
            let page = dispute_page(&state, &user, &d, Some((values, e))).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redegov_domain::ids::{AccessId, InvoiceLineId};
    use redegov_domain::invoice::{FlagKind, InvoiceLine, LineKind};

    fn line(id: i64, no: i64, cents: i64) -> InvoiceLineRecord {
        InvoiceLineRecord {
            id: InvoiceLineId(id),
            lot_id: None,
            line: InvoiceLine {
                line_no: no,
                kind: LineKind::Service,
                access_id: Some(AccessId(no)),
                reference: String::new(),
                description: String::new(),
                amount: Money::from_centavos(cents),
            },
        }
    }

    #[test]
    fn contested_lines_name_invoice_lines_and_amounts_in_reais() {
        let lines = [line(10, 2, 50_000), line(11, 3, 20_000)];
        let got = parse_contested("lines", "2;100,00\n\n3\t1.234,56", &lines).expect("parsed");
        assert_eq!(got[0], ContestedLine { invoice_line_id: 10, contested: Money::from_centavos(10_000) });
        assert_eq!(got[1].invoice_line_id, 11);
        assert_eq!(got[1].contested, Money::from_centavos(123_456));
        let e = parse_contested("lines", "2;1,00\n9;1,00", &lines).expect_err("unknown");
        assert_eq!((e.field.as_str(), e.rule), ("lines[2]", Rule::UnknownReference));
        assert_eq!(parse_contested("lines", "2", &lines).map_err(|e| e.field), Err("lines[1]".into()));
    }

    #[test]
    fn the_dispute_form_is_prefilled_with_what_the_flags_find() {
        let lines = [line(10, 2, 50_000), line(11, 3, 20_000)];
        let flag = |kind, line_nos: Vec<i64>, expected, invoiced| Flag {
            kind,
            access_id: None,
            line_nos,
            expected: Money::from_centavos(expected),
            invoiced: Money::from_centavos(invoiced),
            note: String::new(),
        };
        let flags = [
            flag(FlagKind::AmountDiffers, vec![2], 45_000, 50_000),
            flag(FlagKind::AccessNotInReport, vec![3], 0, 20_000),
        ];
        assert_eq!(contested_from_flags(&flags, &lines), "2;50,00\n3;200,00");
    }
}
