//! Empenhos e saldo contratual: the balance of a fiscal year per contract,
//! lot and agency-lot (ceiling, committed, consumed by the closed months,
//! remaining, the share consumed as a chart, the months closed beyond the
//! commitment), the commitments registered, both exportable (CSV/XLSX), and
//! the "Novo empenho" form. The app scopes it: an agency manager sees its
//! own rows; operators and the NOC are refused.

use super::charts::{BarChart, BarInput};
use super::details::{DetailPage, DetailSection, Notice};
use super::formkit::{Field, FormPage, Values, created, refused, require, submitted};
use super::paging::ListQuery;
use super::view::{Col, Column, Kpi, LinkButton, Listing};
use super::{Chrome, Section, fetch, may_create, render};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use redegov_app::authz::Resource;
use redegov_app::commitments::{BalanceView, CommitmentFilter, CommitmentRecord};
use redegov_domain::commitment::{BalanceKey, BalanceRow, BalanceStatus, NewCommitment};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::AgencyId;
use redegov_domain::money::{Money, format_percent_bp};
use redegov_domain::role::Scope;
use std::collections::{BTreeMap, HashMap};

/// This module's pages.
pub(super) fn routes() -> Router<WebState> {
    Router::new().route("/empenhos", get(page)).route("/empenhos/novo", get(new_form).post(create))
}

/// The balance rows with the names their ids stand for.
struct BalanceRows<'a> {
    view: &'a BalanceView,
}

impl BalanceRows<'_> {
    fn name(map: &BTreeMap<i64, String>, id: i64) -> String {
        map.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    }

    fn what(&self, key: BalanceKey) -> (&'static str, String) {
        let v = self.view;
        match key {
            BalanceKey::Contract { contract_id } => {
                ("Contrato", format!("Contrato {}", Self::name(&v.contracts, contract_id)))
            }
            BalanceKey::Lot { lot_id, .. } => ("Lote", format!("Lote {}", Self::name(&v.lots, lot_id))),
            BalanceKey::AgencyLot { lot_id, agency_id, .. } => (
                "Órgão",
                format!("{} — lote {}", Self::name(&v.agencies, agency_id), Self::name(&v.lots, lot_id)),
            ),
        }
    }
}

fn optional_money(m: Option<Money>) -> Col {
    match m {
        Some(m) => Col::money(m),
        None => Col { numeric: true, ..Col::text("—") },
    }
}

fn status_col(status: BalanceStatus) -> Col {
    Col::text(status.label()).badge(format!("balance-{}", status.code()))
}

impl Listing for BalanceRows<'_> {
    type Item = BalanceRow;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nível"),
        Column::both("Item"),
        Column::both("Teto"),
        Column::both("Empenhado"),
        Column::both("Consumido"),
        Column::both("Consumido (%)"),
        Column::both("Saldo do empenho"),
        Column::both("Saldo do teto"),
        Column::both("Situação"),
        Column::both("Meses além do empenho"),
    ];

    fn cells(&self, r: &BalanceRow) -> Vec<Col> {
        let (level, what) = self.what(r.key);
        vec![
            Col::text(level),
            Col::text(what),
            optional_money(r.ceiling),
            Col::money(r.committed),
            Col::money(r.consumed),
            Col {
                numeric: true,
                ..Col::text(r.consumed_basis_points.map(format_percent_bp).unwrap_or_else(|| "—".into()))
            },
            Col::money(r.remaining),
            optional_money(r.ceiling_balance),
            status_col(r.status),
            Col::text(r.overruns.iter().map(|o| o.month.as_str()).collect::<Vec<_>>().join(", ")),
        ]
    }

    fn row_class(&self, r: &BalanceRow) -> &'static str {
        match r.status {
            BalanceStatus::Exceeded => "row-breach",
            BalanceStatus::Warning => "row-open",
            BalanceStatus::Ok => "",
        }
    }
}

/// The commitments registered, with agency and lot names.
struct Commitments<'a> {
    agencies: &'a HashMap<AgencyId, String>,
    lots: &'a BTreeMap<i64, String>,
}

impl Listing for Commitments<'_> {
    type Item = CommitmentRecord;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nº"),
        Column::both("Empenho"),
        Column::both("Exercício"),
        Column::both("Órgão"),
        Column::both("Lote"),
        Column::both("Valor"),
        Column::both("Observações"),
        Column::both("Situação"),
    ];

    fn cells(&self, c: &CommitmentRecord) -> Vec<Col> {
        vec![
            Col::id(c.id.0),
            Col::text(&c.number),
            Col::int(i64::from(c.fiscal_year)),
            Col::text(self.agencies.get(&c.agency_id).cloned().unwrap_or_else(|| c.agency_id.to_string()))
                .link(format!("/orgaos/{}", c.agency_id)),
            Col::text(self.lots.get(&c.lot_id.0).cloned().unwrap_or_else(|| c.lot_id.to_string()))
                .link(format!("/lotes/{}", c.lot_id)),
            Col::money(c.amount),
            Col::text(&c.notes),
            match &c.cancelled {
                Some((_, _, reason)) => Col::text(format!("Anulado: {reason}")).badge("balance-exceeded"),
                None => Col::text("Ativo"),
            },
        ]
    }
}

/// The fiscal year asked for (`exercicio`), or the current one.
fn fiscal_year(q: &ListQuery, now_year: i32) -> i32 {
    q.text("exercicio").and_then(|y| y.parse().ok()).filter(|y| (2000..=2100).contains(y)).unwrap_or(now_year)
}

fn current_year(state: &WebState) -> i32 {
    let local = redegov_domain::time::format_local(state.app.now());
    // "dd/mm/aaaa hh:mm"
    local.get(6..10).and_then(|y| y.parse().ok()).unwrap_or(2026)
}

/// `GET /empenhos[?exercicio=2026][&formato=csv|xlsx[&lista=empenhos]]`.
pub async fn page(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    let year = fiscal_year(&q, current_year(&state));
    let view = app.contract_balance(actor, year).await?;
    let commitments = app
        .list_commitments(actor, CommitmentFilter { fiscal_year: Some(year), ..Default::default() })
        .await?;
    let agencies: HashMap<AgencyId, String> = fetch::agency_acronyms(app, actor).await?;
    let rows = BalanceRows { view: &view };
    let registered = Commitments { agencies: &agencies, lots: &view.lots };
    if let Some(format) = q.export() {
        let download = if q.text("lista").as_deref() == Some("empenhos") {
            registered.table("Empenhos", &commitments).into_download(format, &format!("empenhos-{year}"))
        } else {
            rows.table("Saldo contratual", &view.rows)
                .into_download(format, &format!("saldo-contratual-{year}"))
        };
        return Ok(download);
    }
    let mut page = DetailPage::new(&user, Section::Commitments, "Empenhos e saldo contratual".into());
    page.subtitle = format!(
        "Exercício {year}. Consumido = valor líquido dos meses fechados (faturado − descontos − ajustes − multas \
         e contestações). Alerta a partir de {} do empenho.",
        format_percent_bp(view.settings.warn_basis_points)
    );
    if matches!(actor.scope, Scope::Agency(_)) {
        page.notice = Some(Notice {
            class: "alert-info",
            text: "Você vê somente os empenhos do seu órgão.".into(),
        });
    }
    if may_create(&user, Resource::Commitment) {
        page.actions.push(LinkButton::primary("Novo empenho", "/empenhos/novo"));
    }
    let here = |extra: &str| format!("/empenhos?exercicio={year}{extra}");
    page.actions.extend([
        LinkButton::secondary("Saldo em CSV", here("&formato=csv")),
        LinkButton::secondary("Saldo em XLSX", here("&formato=xlsx")),
        LinkButton::secondary("Empenhos em CSV", here("&formato=csv&lista=empenhos")),
        LinkButton::secondary("Empenhos em XLSX", here("&formato=xlsx&lista=empenhos")),
        LinkButton::secondary(format!("Exercício {}", year - 1), format!("/empenhos?exercicio={}", year - 1)),
    ]);
    let agency_rows: Vec<&BalanceRow> =
        view.rows.iter().filter(|r| matches!(r.key, BalanceKey::AgencyLot { .. })).collect();
    let total = |f: fn(&BalanceRow) -> Money| agency_rows.iter().map(|r| f(r)).sum::<Money>();
    let (committed, consumed) = (total(|r| r.committed), total(|r| r.consumed));
    let alerts = agency_rows.iter().filter(|r| r.status != BalanceStatus::Ok).count();
    page.kpis = vec![
        Kpi::new(
            "Empenhado",
            committed.format_brl(),
            format!("{} empenho(s) ativo(s)", commitments.iter().filter(|c| c.cancelled.is_none()).count()),
        ),
        Kpi::new("Consumido", consumed.format_brl(), "meses fechados do exercício"),
        Kpi::new("Saldo", (committed - consumed).format_brl(), "empenhado − consumido"),
        Kpi::new("Alertas", alerts.to_string(), "órgão × lote em atenção ou excedidos"),
    ];
    let bars: Vec<BarInput> = agency_rows
        .iter()
        .map(|r| {
            let (_, label) = rows.what(r.key);
            let bp = r.consumed_basis_points.unwrap_or(if r.consumed > Money::ZERO { 20_000 } else { 0 });
            BarInput {
                label,
                value: bp.min(20_000),
                value_text: r
                    .consumed_basis_points
                    .map(format_percent_bp)
                    .unwrap_or_else(|| "sem empenho".into()),
                class: format!("bar-balance-{}", r.status.code()),
                href: None,
            }
        })
        .collect();
    let mut balance = DetailSection::new("Saldo por contrato, lote e órgão")
        .id("saldo")
        .note("Linhas em destaque: consumo a partir do limite de alerta ou além do empenho.")
        .grid(rows.grid("saldo", &view.rows).empty_text("Nenhum empenho nem consumo no exercício."));
    if !bars.is_empty() {
        balance = balance.chart(BarChart::horizontal("Consumo do empenho por órgão e lote (%)", bars));
    }
    page.sections.push(balance);
    page.sections.push(
        DetailSection::new("Empenhos registrados")
            .id("empenhos")
            .note("Empenhos anulados continuam na lista e deixam de contar no saldo.")
            .grid(
                registered
                    .grid("empenhos", &commitments)
                    .empty_text("Nenhum empenho registrado no exercício."),
            ),
    );
    Ok(render(&page))
}

async fn commitment_form(
    state: &WebState,
    user: &PortalUser,
    values: &Values,
) -> Result<FormPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let agencies = fetch::agency_choices(app, actor).await?;
    let lots = fetch::lots(app, actor).await?;
    Ok(FormPage {
        chrome: Chrome::new(user, Section::Commitments, "Novo empenho"),
        heading: "Novo empenho".into(),
        intro:
            "O empenho reserva orçamento do órgão para um lote no exercício; o saldo compara-o com o valor \
                líquido dos meses fechados."
                .into(),
        action: "/empenhos/novo".into(),
        submit: "Registrar empenho",
        cancel: "/empenhos".into(),
        csrf: user.session.csrf_token.clone(),
        error: None,
        fields: vec![
            Field::select(
                "agency_id",
                "Órgão",
                values,
                agencies.into_iter().map(|(id, _, label)| (id.to_string(), label)),
            )
            .required(),
            Field::select(
                "lot_id",
                "Lote",
                values,
                lots.iter().map(|l| (l.id.to_string(), format!("{} — {}", l.code, l.description))),
            )
            .required(),
            Field::text("number", "Número do empenho", values).placeholder("2026NE000123").required(),
            Field::new("fiscal_year", "Exercício", "number", values).required(),
            Field::text("amount", "Valor (R$)", values).placeholder("1.234,56").required(),
            Field::new("notes", "Observações", "textarea", values),
        ],
        groups: Vec::new(),
        datalists: Vec::new(),
    })
}

fn parse_commitment(v: &Values) -> Valid<NewCommitment> {
    let year = v.int("fiscal_year")?;
    Ok(NewCommitment {
        agency_id: v.int("agency_id")?,
        lot_id: v.int("lot_id")?,
        number: v.get("number").into(),
        fiscal_year: i32::try_from(year)
            .map_err(|_| FieldError::new("fiscal_year", Rule::OutOfRange { min: 2000, max: 2100 }))?,
        amount: Money::parse_brl("amount", v.get("amount"))?,
        notes: v.get("notes").into(),
    })
}

pub async fn new_form(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    require(&user, Resource::Commitment)?;
    Ok(render(&commitment_form(&state, &user, &Values::from_query(raw.as_deref())).await?))
}

pub async fn create(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let (app, actor) = (&state.app, user.actor());
    let result = match parse_commitment(&values) {
        Ok(input) => app.create_commitment(actor, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(c) => created(format!("/empenhos?exercicio={}", c.fiscal_year)),
        Err(e) => refused(e, commitment_form(&state, &user, &values).await?),
    }
}
