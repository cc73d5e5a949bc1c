//! The dashboard ("Painel"): what the signed-in user's part of the network
//! looks like — accesses by status, by lot and by operator, and the monthly
//! value under contract (the monthly price of every active access). The
//! numbers come from `App::access_summary`, already scoped to the actor, so
//! an agency manager sees its agency and an operator its lots.

use super::charts::{BarChart, BarInput};
use super::import;
use super::view::{Col, Column, Grid, Kpi, LinkButton, Listing, count, natural_key};
use super::{Chrome, Section, may_create, reads_audit, render};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use redegov_app::authz::Resource;
use redegov_app::{AccessSummaryRow, App};
use redegov_domain::ids::LotId;
use redegov_domain::inventory::AccessStatus;
use redegov_domain::money::{Money, div_round, format_percent_bp};
use redegov_domain::role::{Actor, Scope};

/// Accesses in one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusTotal {
    pub status: AccessStatus,
    pub count: i64,
}

/// Accesses of one lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotTotal {
    pub lot_id: LotId,
    pub code: String,
    pub holder: String,
    pub total: i64,
    pub active: i64,
    pub active_value: Money,
}

/// Accesses of the lots one operator or consortium holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderTotal {
    pub holder: String,
    pub lots: usize,
    pub total: i64,
    pub active: i64,
    pub active_value: Money,
}

/// The access summary, added up for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub total: i64,
    pub active: i64,
    /// The monthly value under contract: monthly prices of active accesses.
    pub active_value: Money,
    /// Every status, in life-cycle order, zeros included.
    pub by_status: Vec<StatusTotal>,
    /// Lots in code order (`1A` before `10A`).
    pub by_lot: Vec<LotTotal>,
    /// Holders by monthly value, largest first.
    pub by_holder: Vec<HolderTotal>,
}

impl Summary {
    pub fn of(lines: &[AccessSummaryRow]) -> Summary {
        let active = |l: &AccessSummaryRow| l.status == AccessStatus::Active;
        let by_status = AccessStatus::ALL
            .iter()
            .map(|&status| StatusTotal {
                status,
                count: lines.iter().filter(|l| l.status == status).map(|l| l.count).sum(),
            })
            .collect();
        let mut by_lot: Vec<LotTotal> = Vec::new();
        for line in lines {
            let at = match by_lot.iter().position(|l| l.lot_id == line.lot_id) {
                Some(at) => at,
                None => {
                    by_lot.push(LotTotal {
                        lot_id: line.lot_id,
                        code: line.lot_code.clone(),
                        holder: line.holder.clone(),
                        total: 0,
                        active: 0,
                        active_value: Money::ZERO,
                    });
                    by_lot.len() - 1
                }
            };
            let lot = &mut by_lot[at];
            lot.total += line.count;
            if active(line) {
                lot.active += line.count;
                lot.active_value += line.monthly_value;
            }
        }
        by_lot.sort_by_key(|l| natural_key(&l.code));
        let mut by_holder: Vec<HolderTotal> = Vec::new();
        for lot in &by_lot {
            match by_holder.iter_mut().find(|h| h.holder == lot.holder) {
                Some(h) => {
                    h.lots += 1;
                    h.total += lot.total;
                    h.active += lot.active;
                    h.active_value += lot.active_value;
                }
                None => by_holder.push(HolderTotal {
                    holder: lot.holder.clone(),
                    lots: 1,
                    total: lot.total,
                    active: lot.active,
                    active_value: lot.active_value,
                }),
            }
        }
        by_holder.sort_by(|a, b| b.active_value.cmp(&a.active_value).then_with(|| a.holder.cmp(&b.holder)));
        Summary {
            total: lines.iter().map(|l| l.count).sum(),
            active: lines.iter().filter(|l| active(l)).map(|l| l.count).sum(),
            active_value: lines.iter().filter(|l| active(l)).map(|l| l.monthly_value).sum(),
            by_status,
            by_lot,
            by_holder,
        }
    }
}

/// `part` as a percentage of `whole`, pt-BR: `97,5 %`.
fn share(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "—".into();
    }
    let bp = div_round(i128::from(part) * 10_000, i128::from(whole));
    format_percent_bp(i64::try_from(bp).unwrap_or(0))
}

struct StatusRows {
    total: i64,
}

impl Listing for StatusRows {
    type Item = StatusTotal;
    const COLUMNS: &'static [Column] =
        &[Column::both("Situação"), Column::both("Acessos"), Column::both("Parcela")];

    fn cells(&self, s: &StatusTotal) -> Vec<Col> {
        vec![
            Col::status(s.status),
            Col::int(s.count).link(format!("/acessos?status={}", s.status.as_str())),
            Col::text(share(s.count, self.total)),
        ]
    }
}

struct LotRows;

impl Listing for LotRows {
    type Item = LotTotal;
    const COLUMNS: &'static [Column] = &[
        Column::both("Lote"),
        Column::both("Titular"),
        Column::both("Acessos"),
        Column::both("Ativos"),
        Column::both("Valor mensal (ativos)"),
    ];

    fn cells(&self, l: &LotTotal) -> Vec<Col> {
        vec![
            Col::text(&l.code).link(format!("/lotes/{}", l.lot_id)),
            Col::text(&l.holder),
            Col::int(l.total).link(format!("/acessos?lot={}", l.lot_id)),
            Col::int(l.active),
            Col::money(l.active_value),
        ]
    }
}

struct HolderRows;

impl Listing for HolderRows {
    type Item = HolderTotal;
    const COLUMNS: &'static [Column] = &[
        Column::both("Operadora ou consórcio"),
        Column::both("Lotes"),
        Column::both("Acessos"),
        Column::both("Ativos"),
        Column::both("Valor mensal"),
    ];

    fn cells(&self, h: &HolderTotal) -> Vec<Col> {
        vec![
            Col::text(&h.holder),
            Col::int(h.lots as i64),
            Col::int(h.total),
            Col::int(h.active),
            Col::money(h.active_value),
        ]
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    name: String,
    scope: String,
    kpis: Vec<Kpi>,
    status_chart: BarChart,
    lot_chart: BarChart,
    holder_chart: BarChart,
    status_grid: Grid,
    lot_grid: Grid,
    holder_grid: Grid,
    actions: Vec<LinkButton>,
}

/// What part of the network the dashboard covers, in words.
async fn scope_text(app: &App, actor: &Actor) -> Result<String, PageError> {
    Ok(match actor.scope {
        Scope::All => "Toda a rede".into(),
        Scope::Agency(id) => {
            let a = app.get_agency(actor, id).await?;
            format!("Órgão {} — {}", a.acronym, a.name)
        }
        Scope::Operator(id) => format!("Lotes da operadora {}", app.get_operator(actor, id).await?.name),
    })
}

/// The dashboard's charts: by status, by lot and by holder.
fn charts(s: &Summary) -> (BarChart, BarChart, BarChart) {
    let by_status = s
        .by_status
        .iter()
        .map(|t| BarInput {
            label: t.status.label().into(),
            value: t.count,
            value_text: count(t.count),
            class: format!("st-{}", t.status.as_str()),
            href: Some(format!("/acessos?status={}", t.status.as_str())),
        })
        .collect();
    let by_lot = s
        .by_lot
        .iter()
        .map(|l| BarInput {
            label: format!("{} — {}", l.code, l.holder),
            value: l.total,
            value_text: count(l.total),
            class: "lot".into(),
            href: Some(format!("/acessos?lot={}", l.lot_id)),
        })
        .collect();
    let by_holder = s
        .by_holder
        .iter()
        .map(|h| BarInput {
            label: h.holder.clone(),
            value: h.active_value.centavos(),
            value_text: h.active_value.format_brl(),
            class: "money".into(),
            href: None,
        })
        .collect();
    (
        BarChart::horizontal("Acessos por situação", by_status),
        BarChart::horizontal("Acessos por lote", by_lot),
        BarChart::horizontal("Valor mensal por operadora (acessos ativos)", by_holder),
    )
}

fn actions(user: &PortalUser) -> Vec<LinkButton> {
    let mut actions = Vec::new();
    for (resource, label, href) in [
        (Resource::Access, "Novo acesso", "/acessos/novo"),
        (Resource::Site, "Nova unidade", "/unidades/novo"),
        (Resource::Agency, "Novo órgão", "/orgaos/novo"),
    ] {
        if may_create(user, resource) {
            actions.push(LinkButton::primary(label, href));
        }
    }
    if !import::kinds_for(user.actor().role).is_empty() {
        actions.push(LinkButton::secondary("Importar CSV", "/importar"));
    }
    if reads_audit(user.actor().role) {
        actions.push(LinkButton::secondary("Auditoria", "/auditoria"));
    }
    actions
}

pub async fn dashboard(State(state): State<WebState>, user: PortalUser) -> Result<Response, PageError> {
    let actor = user.actor();
    let summary = Summary::of(&state.app.access_summary(actor).await?);
    let mut kpis = vec![
        Kpi { label: "Acessos", value: count(summary.total), note: "em todas as situações".into() },
        Kpi {
            label: "Ativos",
            value: count(summary.active),
            note: format!("{} do total", share(summary.active, summary.total)),
        },
        Kpi {
            label: "Valor mensal contratado",
            value: summary.active_value.format_brl(),
            note: "soma dos preços mensais dos acessos ativos".into(),
        },
        Kpi { label: "Lotes", value: count(summary.by_lot.len() as i64), note: "com acessos".into() },
    ];
    kpis.push(super::orders::dashboard_kpi(&state.app, actor).await?);
    let (status_chart, lot_chart, holder_chart) = charts(&summary);
    let page = DashboardPage {
        chrome: Chrome::new(&user, Section::Dashboard, "Painel"),
        name: user.session.name.clone(),
        scope: scope_text(&state.app, actor).await?,
        kpis,
        status_chart,
        lot_chart,
        holder_chart,
        status_grid: StatusRows { total: summary.total }.grid("por-situacao", &summary.by_status),
        lot_grid: LotRows.grid("por-lote", &summary.by_lot),
        holder_grid: HolderRows.grid("por-operadora", &summary.by_holder),
        actions: actions(&user),
    };
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(status: AccessStatus, lot: i64, holder: &str, count: i64, reais: i64) -> AccessSummaryRow {
        AccessSummaryRow {
            status,
            lot_id: LotId(lot),
            lot_code: format!("{lot}A"),
            holder: holder.into(),
            count,
            monthly_value: Money::from_centavos(reais * 100),
        }
    }

    #[test]
    fn adds_up_by_status_lot_and_holder() {
        use AccessStatus::*;
        let s = Summary::of(&[
            line(Active, 1, "Telemar", 10, 1000),
            line(Deactivated, 1, "Telemar", 2, 200),
            line(Active, 2, "Telemar", 5, 300),
            line(Requested, 3, "Algar", 1, 50),
            line(Active, 3, "Algar", 4, 2000),
        ]);
        assert_eq!((s.total, s.active, s.active_value), (22, 19, Money::from_centavos(330_000)));
        let counts: Vec<(AccessStatus, i64)> = s.by_status.iter().map(|t| (t.status, t.count)).collect();
        assert_eq!(counts, [(Requested, 1), (Installing, 0), (Active, 19), (Suspended, 0), (Deactivated, 2)]);
        let lots: Vec<(i64, i64, i64)> =
            s.by_lot.iter().map(|l| (l.lot_id.0, l.total, l.active_value.centavos() / 100)).collect();
        assert_eq!(lots, [(1, 12, 1000), (2, 5, 300), (3, 5, 2000)]);
        let holders: Vec<(&str, usize, i64)> =
            s.by_holder.iter().map(|h| (h.holder.as_str(), h.lots, h.active)).collect();
        assert_eq!(holders, [("Algar", 1, 4), ("Telemar", 2, 15)]);
    }

    #[test]
    fn empty_summary_is_all_zeros() {
        let s = Summary::of(&[]);
        assert_eq!((s.total, s.active, s.active_value), (0, 0, Money::ZERO));
        assert!(s.by_status.iter().all(|t| t.count == 0));
        assert!(s.by_lot.is_empty() && s.by_holder.is_empty());
        assert_eq!(share(0, 0), "—");
    }

    #[test]
    fn shares_round_to_hundredths_of_a_percent() {
        assert_eq!(share(1, 3), "33,33 %");
        assert_eq!(share(2, 3), "66,67 %");
        assert_eq!(share(19, 19), "100 %");
    }
}
