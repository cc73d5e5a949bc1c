//! Endereços IP (IPAM, `docs/ipam.md`): the pools with their use as a chart
//! (used and free addresses, the largest free block), a pool's free blocks,
//! the blocks allocated (an agency manager sees its own), all exportable;
//! and, for the network manager and admin, the forms to configure a pool,
//! allocate a block (first fit) and release or reassign one. The app
//! authorises and scopes every read and write.

use super::charts::{BarChart, BarInput};
use super::details::{DetailPage, DetailSection, Picker};
use super::fetch;
use super::formkit::{ActionForm, ButtonKind, Field, SubmitButton, Values, created, submitted};
use super::paging::ListQuery;
use super::view::{Col, Column, LinkButton, Listing, Opt, count};
use super::{Section, may_create, render, render_status};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use redegov_app::AppError;
use redegov_app::authz::Resource;
use redegov_app::ipam::{IpBlock, NewPool, PoolView};
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::{AgencyId, IpBlockId, IpPoolId};
use redegov_domain::ipam::{Cidr, Visibility};
use redegov_domain::money::format_percent_bp;
use redegov_domain::role::Role;
use std::collections::HashMap;

/// This module's pages.
pub(super) fn routes() -> Router<WebState> {
    Router::new().route("/enderecos", get(page).post(act))
}

/// Whether the role reads pools (the app checks it again).
fn reads_pools(role: Role) -> bool {
    matches!(role, Role::Admin | Role::NetworkManager | Role::Committee | Role::Auditor)
}

struct Pools;

impl Listing for Pools {
    type Item = PoolView;
    const COLUMNS: &'static [Column] = &[
        Column::both("Pool"),
        Column::both("Bloco"),
        Column::both("Família"),
        Column::both("Visibilidade"),
        Column::both("Endereços usados"),
        Column::both("Endereços livres"),
        Column::both("Uso"),
        Column::both("Maior bloco livre"),
        Column::both("Blocos alocados"),
    ];

    fn cells(&self, v: &PoolView) -> Vec<Col> {
        let u = v.utilisation;
        let big = |n: u128| match i64::try_from(n) {
            Ok(n) => Col::int(n),
            Err(_) => Col { numeric: true, ..Col::text(n.to_string()) },
        };
        vec![
            Col::text(&v.pool.name).link(format!("/enderecos?pool={}#livres", v.pool.id.0)),
            Col::text(v.pool.cidr.to_string()),
            Col::text(if v.pool.cidr.family == redegov_domain::ipam::Family::V4 { "IPv4" } else { "IPv6" }),
            Col::text(v.pool.visibility.label()),
            big(u.used),
            big(u.free),
            Col { numeric: true, ..Col::text(format_percent_bp(u.used_basis_points())) },
            Col::text(
                u.largest_free.map(|p| format!("/{p}")).unwrap_or_else(|| "nenhum (pool cheio)".into()),
            ),
            Col::int(v.blocks as i64),
        ]
    }

    fn row_class(&self, v: &PoolView) -> &'static str {
        if v.utilisation.used_basis_points() >= 9_000 { "row-breach" } else { "" }
    }
}

struct Blocks<'a> {
    pools: &'a HashMap<IpPoolId, String>,
    agencies: &'a HashMap<AgencyId, String>,
}

impl Listing for Blocks<'_> {
    type Item = IpBlock;
    const COLUMNS: &'static [Column] = &[
        Column::both("Nº"),
        Column::both("Bloco"),
        Column::both("Hosts"),
        Column::both("Pool"),
        Column::both("Órgão"),
        Column::both("Alocado em"),
    ];

    fn cells(&self, b: &IpBlock) -> Vec<Col> {
        // Usable hosts: the network and broadcast addresses left out of
        // an IPv4 block of more than two addresses.
        let hosts = match (b.cidr.family, b.cidr.size()) {
            (redegov_domain::ipam::Family::V4, n) if n > 2 => (n - 2).to_string(),
            (_, n) => n.to_string(),
        };
        vec![
            Col::id(b.id.0),
            Col::text(b.cidr.to_string()),
            Col { numeric: true, ..Col::text(hosts) },
            Col::text(self.pools.get(&b.pool_id).cloned().unwrap_or_else(|| format!("#{}", b.pool_id.0))),
            Col::text(
                self.agencies.get(&b.agency_id).cloned().unwrap_or_else(|| format!("#{}", b.agency_id)),
            )
            .link(format!("/orgaos/{}", b.agency_id)),
            Col::text(super::view::when(Some(b.allocated_at))),
        ]
    }
}

struct FreeBlocks;

impl Listing for FreeBlocks {
    type Item = Cidr;
    const COLUMNS: &'static [Column] = &[Column::both("Bloco livre"), Column::both("Endereços")];

    fn cells(&self, c: &Cidr) -> Vec<Col> {
        vec![Col::text(c.to_string()), Col { numeric: true, ..Col::text(c.size().to_string()) }]
    }
}

/// The forms of the page, by `acao`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IpamForm {
    Pool,
    Allocate,
    Block,
}

impl IpamForm {
    fn of(acao: &str) -> Option<IpamForm> {
        match acao {
            "pool" => Some(IpamForm::Pool),
            "alocar" => Some(IpamForm::Allocate),
            "liberar" | "reatribuir" => Some(IpamForm::Block),
            _ => None,
        }
    }
}

async fn ipam_page(
    state: &WebState,
    user: &PortalUser,
    raw: Option<&str>,
    refusal: Option<(IpamForm, Values, FieldError)>,
) -> Result<DetailPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw);
    let pools = if reads_pools(actor.role) { app.list_ip_pools(actor).await? } else { Vec::new() };
    let blocks = app.list_ip_blocks(actor, None).await?;
    let agency_choices = fetch::agency_choices(app, actor).await?;
    let agencies: HashMap<AgencyId, String> =
        agency_choices.iter().map(|(id, acronym, _)| (*id, acronym.clone())).collect();
    let pool_names: HashMap<IpPoolId, String> =
        pools.iter().map(|v| (v.pool.id, format!("{} ({})", v.pool.name, v.pool.cidr))).collect();
    let mut page = DetailPage::new(user, Section::Ipam, "Endereços IP".into());
    page.subtitle = "Pools de endereços e blocos alocados aos órgãos: primeiro bloco livre alinhado, sem \
                     sobreposição."
        .into();
    page.saved(raw, "Registrado.");
    page.actions.extend([
        LinkButton::secondary("Blocos em CSV", "/enderecos?formato=csv&lista=blocos"),
        LinkButton::secondary("Blocos em XLSX", "/enderecos?formato=xlsx&lista=blocos"),
    ]);
    if reads_pools(actor.role) {
        page.actions.extend([
            LinkButton::secondary("Pools em CSV", "/enderecos?formato=csv"),
            LinkButton::secondary("Pools em XLSX", "/enderecos?formato=xlsx"),
        ]);
    }
    let (refused, values, error) = match refusal {
        Some((form, values, error)) => (Some(form), values, Some(error)),
        None => (None, Values::default(), None),
    };
    let empty = Values::default();
    let shown = |form: IpamForm| if refused == Some(form) { &values } else { &empty };
    let with_error = |f: ActionForm, form: IpamForm| match (&error, refused == Some(form)) {
        (Some(e), true) => f.with_error(e),
        _ => f,
    };
    if may_create(user, Resource::Ipam) {
        let mut forms = DetailSection::new("Alocar, liberar e configurar").id("acoes");
        let v = shown(IpamForm::Allocate);
        let mut allocate = ActionForm::new("alocar", "/enderecos", user);
        allocate.intro = "Aloca ao órgão o primeiro bloco livre do tamanho pedido, alinhado ao seu tamanho \
                          (/28: 14 hosts; /30: 2 hosts), dentro do limite do tipo de órgão."
            .into();
        allocate.fields = vec![
            Field::select(
                "agency_id",
                "Órgão",
                v,
                agency_choices.iter().map(|(id, _, label)| (id.to_string(), label.clone())),
            )
            .required(),
            Field::select(
                "pool_id",
                "Pool",
                v,
                pools.iter().map(|p| (p.pool.id.0.to_string(), pool_names[&p.pool.id].clone())),
            )
            .required(),
            Field::new("prefix_length", "Tamanho (prefixo)", "number", v).placeholder("28").required(),
            Field::new("count", "Quantidade", "number", v)
                .placeholder("1")
                .help("Vários blocos de uma vez: todos dentro do limite, ou nenhum."),
        ];
        allocate.buttons.push(SubmitButton::new("acao", "alocar", "Alocar bloco", "alocar-bloco"));
        forms = forms.form(with_error(allocate, IpamForm::Allocate));

        let v = shown(IpamForm::Block);
        let mut change = ActionForm::new("bloco", "/enderecos", user);
        change.intro = "Libere um bloco (seus endereços voltam ao pool) ou reatribua-o a outro órgão.".into();
        change.fields = vec![
            Field::select(
                "block_id",
                "Bloco",
                v,
                blocks.iter().map(|b| {
                    let owner = agencies.get(&b.agency_id).cloned().unwrap_or_default();
                    (b.id.0.to_string(), format!("{} — {owner}", b.cidr))
                }),
            )
            .required(),
            Field::select(
                "new_agency_id",
                "Novo órgão (para reatribuir)",
                v,
                agency_choices.iter().map(|(id, _, label)| (id.to_string(), label.clone())),
            ),
        ];
        change.buttons.push(SubmitButton::new("acao", "reatribuir", "Reatribuir", "reatribuir-bloco"));
        change
            .buttons
            .push(SubmitButton::new("acao", "liberar", "Liberar", "liberar-bloco").kind(ButtonKind::Danger));
        forms = forms.form(with_error(change, IpamForm::Block));

        let v = shown(IpamForm::Pool);
        let mut pool = ActionForm::new("pool", "/enderecos", user);
        pool.intro = "Um pool não pode sobrepor outro.".into();
        pool.fields = vec![
            Field::text("name", "Nome do pool", v).required(),
            Field::text("cidr", "Bloco CIDR", v).placeholder("10.128.0.0/12").required(),
            Field::select(
                "visibility",
                "Visibilidade",
                v,
                Visibility::ALL.iter().map(|x| (x.as_str().to_string(), x.label().to_string())),
            )
            .required(),
        ];
        pool.buttons.push(SubmitButton::new("acao", "pool", "Cadastrar pool", "cadastrar-pool"));
        forms = forms.form(with_error(pool, IpamForm::Pool));
        page.sections.push(forms);
    }
    if reads_pools(actor.role) {
        let bars: Vec<BarInput> = pools
            .iter()
            .map(|v| {
                let bp = v.utilisation.used_basis_points();
                BarInput {
                    label: format!("{} ({})", v.pool.name, v.pool.cidr),
                    value: bp,
                    value_text: format_percent_bp(bp),
                    class: if bp >= 9_000 { "bar-balance-exceeded".into() } else { "bar-balance-ok".into() },
                    href: Some(format!("/enderecos?pool={}#livres", v.pool.id.0)),
                }
            })
            .collect();
        let mut section = DetailSection::new("Pools")
            .id("pools")
            .note("Uso = endereços em blocos alocados; em destaque, pools com 90 % ou mais em uso.")
            .grid(Pools.grid("pools-grid", &pools).empty_text("Nenhum pool cadastrado."));
        if !bars.is_empty() {
            section = section.chart(BarChart::horizontal_from("Uso de cada pool (%)", bars, 0, 10_000));
        }
        page.sections.push(section);
        if let Some(chosen) = q.id("pool").and_then(|id| pools.iter().find(|v| v.pool.id.0 == id)) {
            let (_, free) = app.ip_pool_free(actor, chosen.pool.id).await?;
            let mut section = DetailSection::new(format!("Blocos livres de {}", chosen.pool.name))
                .id("livres")
                .note(format!("{} bloco(s) livre(s), por endereço.", count(free.len() as i64)))
                .grid(FreeBlocks.grid("livres-grid", &free).empty_text("O pool está cheio."));
            section.picker = Some(Picker {
                action: "/enderecos".into(),
                name: "pool",
                label: "Pool",
                keep: Vec::new(),
                options: pools
                    .iter()
                    .map(|v| Opt::new(v.pool.id.0.to_string(), &v.pool.name, &chosen.pool.id.0.to_string()))
                    .collect(),
            });
            page.sections.push(section);
        }
    }
    page.sections.push(
        DetailSection::new("Blocos alocados").id("blocos").grid(
            Blocks { pools: &pool_names, agencies: &agencies }
                .grid("blocos-grid", &blocks)
                .empty_text("Nenhum bloco alocado."),
        ),
    );
    Ok(page)
}

/// `GET /enderecos[?pool=][&formato=csv|xlsx[&lista=blocos]]`.
pub async fn page(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let q = ListQuery::parse(raw.as_deref());
    if let Some(format) = q.export() {
        if q.text("lista").as_deref() == Some("blocos") {
            let blocks = app.list_ip_blocks(actor, None).await?;
            let agencies: HashMap<AgencyId, String> = fetch::agency_acronyms(app, actor).await?;
            let pools: HashMap<IpPoolId, String> = if reads_pools(actor.role) {
                app.list_ip_pools(actor).await?.into_iter().map(|v| (v.pool.id, v.pool.name)).collect()
            } else {
                HashMap::new()
            };
            let listing = Blocks { pools: &pools, agencies: &agencies };
            return Ok(listing.table("Blocos IP", &blocks).into_download(format, "blocos-ip"));
        }
        let pools = app.list_ip_pools(actor).await?;
        return Ok(Pools.table("Pools de endereços IP", &pools).into_download(format, "pools-ip"));
    }
    Ok(render(&ipam_page(&state, &user, raw.as_deref(), None).await?))
}

fn id_of(v: &Values, name: &str) -> Result<i64, FieldError> {
    v.int(name)
}

pub async fn act(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let (app, actor) = (&state.app, user.actor());
    let acao = values.get("acao").to_string();
    let Some(kind) = IpamForm::of(&acao) else { return Err(PageError::not_found()) };
    let result: Result<String, AppError> = match acao.as_str() {
        "pool" => app
            .create_ip_pool(
                actor,
                NewPool {
                    name: values.get("name").into(),
                    cidr: values.get("cidr").into(),
                    visibility: values.get("visibility").into(),
                },
            )
            .await
            .map(|p| format!("/enderecos?pool={}&salvo=1#livres", p.id.0)),
        "alocar" => {
            let count = match values.get("count") {
                "" => Ok(1),
                _ => values.int("count"),
            };
            match (id_of(&values, "agency_id"), id_of(&values, "pool_id"), values.int("prefix_length"), count)
            {
                (Ok(agency), Ok(pool), Ok(prefix), Ok(1)) => app
                    .allocate_ip_block(actor, AgencyId(agency), IpPoolId(pool), prefix)
                    .await
                    .map(|b| format!("/enderecos?pool={}&salvo=1#blocos", b.pool_id.0)),
                (Ok(agency), Ok(pool), Ok(prefix), Ok(count)) => app
                    .allocate_ip_blocks(actor, AgencyId(agency), IpPoolId(pool), prefix, count)
                    .await
                    .map(|_| format!("/enderecos?pool={pool}&salvo=1#blocos")),
                (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => Err(e.into()),
            }
        }
        "liberar" => match id_of(&values, "block_id") {
            Ok(id) => app.release_ip_block(actor, IpBlockId(id)).await.map(|()| "/enderecos?salvo=1".into()),
            Err(e) => Err(e.into()),
        },
        _ => match (id_of(&values, "block_id"), values.get("new_agency_id")) {
            (Err(e), _) => Err(e.into()),
            (Ok(_), "") => Err(FieldError::new("new_agency_id", Rule::Required).into()),
            (Ok(id), agency) => match agency.parse::<i64>() {
                Ok(agency) => app
                    .reassign_ip_block(actor, IpBlockId(id), AgencyId(agency))
                    .await
                    .map(|_| "/enderecos?salvo=1#blocos".into()),
                Err(_) => Err(FieldError::new("new_agency_id", Rule::Malformed("número inteiro")).into()),
            },
        },
    };
    match result {
        Ok(href) => created(href),
        Err(AppError::Invalid(e)) => {
            let page = ipam_page(&state, &user, None, Some((kind, values, e))).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}
