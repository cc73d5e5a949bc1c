//! The server-rendered portal, in Brazilian Portuguese: login, the dashboard,
//! the inventory lists (with filters, pagination and CSV/XLSX export), detail
//! pages, the create and edit forms, the CSV import page, service orders,
//! the minutes to money pages: incidents, maintenance windows, the
//! monthly closing, the agency's billing and each access's availability
//! explained, and the NOC's monitoring panel and each access's monitoring.
//!
//! Pages are askama templates (`templates/*.html`, auto-escaped) around one
//! layout; everything works without JavaScript, and charts are inline SVG
//! drawn on the server. The one script is the vendored htmx
//! (`assets/vendor/`, 0BSD), which only the NOC panel loads to refresh its
//! live part in place; the policy allows scripts from this origin alone,
//! never inline ones or `eval`. Handlers stay thin: they read the request,
//! call the use cases on `App` (which authorise and scope every read and
//! write) and render the result. This module holds the routes, the layout
//! ("chrome") and the render helper; it deliberately decides no permission
//! itself — it only hides buttons a role could not use anyway.

mod adhesions;
mod availability;
mod billing;
mod charts;
mod columns;
mod commitments;
mod dashboard;
mod details;
mod edits;
mod fetch;
mod formkit;
mod forms;
mod import;
mod incidents;
mod invoices;
mod ipam;
mod lists;
mod localtime;
mod monitoring;
mod months;
mod noc;
mod orders;
mod paging;
mod penalties;
mod printing;
mod responsibles;
mod session;
mod view;
mod windows;

use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use redegov_app::authz::{Resource, may_write};
use redegov_domain::role::Role;
use tower_http::set_header::SetResponseHeaderLayer;

/// The portal's stylesheet, shipped inside the binary.
const CSS: &str = include_str!("../../assets/redegov.css");

/// A fingerprint of the stylesheet, so its URL changes whenever it does and
/// browsers may cache it for a year.
const CSS_VERSION: u64 = fnv1a(CSS.as_bytes());

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// htmx, vendored (`assets/vendor/`, licence 0BSD), served under a
/// versioned name so browsers may cache it for a year.
const HTMX: &[u8] = include_bytes!("../../assets/vendor/htmx-2.0.11.min.js");
pub(crate) const HTMX_PATH: &str = "/assets/htmx-2.0.11.min.js";

/// Pages may load only this origin's resources and may not be framed;
/// scripts only from files of this origin (the vendored htmx): no inline
/// script, no `eval`.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; \
     form-action 'self'; base-uri 'none'";

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/assets/redegov.css", get(stylesheet))
        .route(HTMX_PATH, get(htmx_script))
        .route("/login", get(session::login_form).post(session::login))
        .merge(adhesions::public_routes())
        .route("/logout", post(session::logout))
        .route("/", get(dashboard::dashboard))
        .route("/noc", get(noc::page))
        .route("/noc/painel", get(noc::panel))
        .route("/acessos", get(lists::accesses))
        .route("/acessos/novo", get(forms::new_access).post(forms::create_access))
        .route("/acessos/{id}", get(details::access))
        .route("/acessos/{id}/editar", get(edits::edit_access).post(edits::update_access))
        .route("/acessos/{id}/monitoramento", get(monitoring::access))
        .route("/unidades", get(lists::sites))
        .route("/unidades/novo", get(forms::new_site).post(forms::create_site))
        .route("/unidades/{id}", get(details::site))
        .route("/unidades/{id}/editar", get(edits::edit_site).post(edits::update_site))
        .route("/orgaos", get(lists::agencies))
        .route("/orgaos/novo", get(forms::new_agency).post(forms::create_agency))
        .route("/orgaos/{id}", get(details::agency))
        .route("/orgaos/{id}/editar", get(edits::edit_agency).post(edits::update_agency))
        .route("/lotes", get(lists::lots))
        .route("/lotes/{id}", get(details::lot))
        .route("/operadoras", get(lists::operators))
        .route("/operadoras/{id}", get(details::operator))
        .route("/auditoria", get(lists::audit))
        .route("/ordens", get(orders::list))
        .route("/ordens/nova", get(orders::new_form).post(orders::create))
        .route("/ordens/{id}", get(orders::detail).post(orders::act))
        .route("/incidentes", get(incidents::list))
        .route("/incidentes/novo", get(incidents::new_form).post(incidents::create))
        .route("/incidentes/{id}", get(incidents::detail).post(incidents::work))
        .route("/manutencoes", get(windows::list))
        .route("/manutencoes/nova", get(windows::new_form).post(windows::create))
        .route("/manutencoes/{id}", get(windows::detail).post(windows::decide))
        .route("/meses", get(months::list))
        .route("/meses/{month}", get(months::month))
        .route("/meses/{month}/fechar", post(months::close))
        .route("/meses/{month}/apuracao", get(months::measurements))
        .route("/faturamento", get(billing::index))
        .route("/faturamento/{month}/{agency}/{holder}", get(billing::report))
        .route(
            "/importar",
            get(import::import_form)
                .post(import::import)
                // A pasted CSV may be far larger than axum's 2 MB form default.
                .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES)),
        )
        .merge(commitments::routes())
        .merge(penalties::routes())
        .merge(invoices::routes())
        .merge(ipam::routes())
        .merge(adhesions::routes())
        .merge(responsibles::routes())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Pages show scoped, personal data: never keep them in shared caches.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        ))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
        .into_response()
}

async fn htmx_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        HTMX,
    )
        .into_response()
}

/// Renders a page with status 200.
fn render<T: Template>(page: &T) -> Response {
    render_status(StatusCode::OK, page)
}

/// Renders a page; a template failure becomes a logged 500.
fn render_status<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            let id = crate::error::log_internal(&e);
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(format!("<!doctype html><title>Erro</title><p>Erro interno (código {id}).</p>")),
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    heading: &'static str,
    message: &'a str,
}

/// Renders an error page with a pt-BR message.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let heading = match status {
        StatusCode::NOT_FOUND => "Não encontrado",
        StatusCode::FORBIDDEN => "Operação não permitida",
        StatusCode::UNAUTHORIZED => "É preciso entrar",
        StatusCode::CONFLICT => "Conflito com os dados existentes",
        s if s.is_client_error() => "Não foi possível concluir",
        _ => "Erro interno",
    };
    let page = ErrorPage { chrome: Chrome::anonymous(heading), status: status.as_u16(), heading, message };
    render_status(status, &page)
}

/// The part of the portal a page belongs to, to highlight it in the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Dashboard,
    Noc,
    Accesses,
    Sites,
    Agencies,
    Lots,
    Operators,
    Audit,
    Import,
    Orders,
    Incidents,
    Windows,
    Months,
    Billing,
    Commitments,
    Penalties,
    Invoices,
    Disputes,
    Ipam,
    Adhesions,
}

/// The layout around every page: title, the signed-in user and the menu.
struct Chrome {
    title: String,
    css_href: String,
    user: Option<UserBar>,
    nav: Vec<NavLink>,
}

/// Who is signed in, as the header shows it.
struct UserBar {
    name: String,
    role: &'static str,
    csrf: String,
}

struct NavLink {
    label: &'static str,
    href: &'static str,
    current: bool,
}

impl Chrome {
    fn css_href() -> String {
        format!("/assets/redegov.css?v={CSS_VERSION:016x}")
    }

    /// The layout of a page seen before signing in (login, errors).
    fn anonymous(title: &str) -> Chrome {
        Chrome { title: title.into(), css_href: Self::css_href(), user: None, nav: Vec::new() }
    }

    /// The layout of a signed-in user's page, with the menu of their role.
    fn new(user: &PortalUser, section: Section, title: impl Into<String>) -> Chrome {
        let role = user.actor().role;
        let work = work_menu(role);
        let entries: [(Section, &'static str, &'static str, bool); 20] = [
            (Section::Dashboard, "Painel", "/", true),
            (Section::Noc, "NOC", "/noc", true),
            (Section::Orders, "Ordens de serviço", "/ordens", true),
            (Section::Incidents, "Incidentes", "/incidentes", work.incidents),
            (Section::Windows, "Manutenções", "/manutencoes", work.windows),
            (Section::Months, "Meses", "/meses", work.months),
            (Section::Billing, "Faturamento", "/faturamento", work.billing),
            (Section::Commitments, "Empenhos", "/empenhos", work.billing),
            (Section::Invoices, "Faturas", "/faturas", work.invoices),
            (Section::Disputes, "Contestações", "/contestacoes", work.invoices),
            (Section::Penalties, "Multas", "/multas", work.penalties),
            (Section::Accesses, "Acessos", "/acessos", true),
            (Section::Sites, "Unidades", "/unidades", true),
            (Section::Agencies, "Órgãos", "/orgaos", true),
            (Section::Lots, "Lotes", "/lotes", true),
            (Section::Operators, "Operadoras", "/operadoras", true),
            (
                Section::Ipam,
                "Endereços IP",
                "/enderecos",
                !matches!(role, Role::Operator | Role::ContractManager),
            ),
            (Section::Adhesions, "Adesões", "/adesoes", adhesions::in_menu(role)),
            (Section::Audit, "Auditoria", "/auditoria", reads_audit(role)),
            (Section::Import, "Importar CSV", "/importar", !import::kinds_for(role).is_empty()),
        ];
        let mut nav: Vec<NavLink> = entries
            .into_iter()
            .filter(|(_, _, _, shown)| *shown)
            .map(|(s, label, href, _)| NavLink { label, href, current: s == section })
            .collect();
        nav.push(NavLink { label: "API", href: "/api/v1/docs", current: false });
        Chrome {
            title: title.into(),
            css_href: Self::css_href(),
            user: Some(UserBar {
                name: user.session.name.clone(),
                role: role.label(),
                csrf: user.session.csrf_token.clone(),
            }),
            nav,
        }
    }
}

/// Which of the incident, maintenance, closing, billing, invoice and
/// penalty pages a role has in its menu: the ones of its daily work. The pages themselves are open to
/// every signed-in role, scoped by the app; the menu only keeps it short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WorkMenu {
    incidents: bool,
    windows: bool,
    months: bool,
    billing: bool,
    /// Operator invoices and disputes.
    invoices: bool,
    penalties: bool,
}

fn work_menu(role: Role) -> WorkMenu {
    let menu = |incidents, windows, months, billing, invoices, penalties| WorkMenu {
        incidents,
        windows,
        months,
        billing,
        invoices,
        penalties,
    };
    match role {
        Role::Admin | Role::Committee | Role::Auditor => menu(true, true, true, true, true, true),
        Role::NetworkManager => menu(true, true, false, false, false, false),
        Role::Operator => menu(true, true, false, false, true, true),
        Role::ContractManager => menu(false, false, true, true, true, true),
        Role::AgencyManager => menu(false, false, false, true, true, false),
    }
}

/// Roles that read the audit log (the app checks it again on every read).
fn reads_audit(role: Role) -> bool {
    redegov_app::authz::may_read_audit(role)
}

/// Whether the user's role may create or change this kind of record:
/// decides which buttons ("Novo…", "Editar") are shown; the app enforces it
/// (and the record's scope) on submit.
fn may_create(user: &PortalUser, resource: Resource) -> bool {
    may_write(user.actor().role, resource)
}

/// A numeric id from the path; anything else is a page that does not exist.
fn parse_id(text: &str) -> Result<i64, PageError> {
    text.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(PageError::not_found)
}

/// A refusal for a page the role may not open at all.
fn forbidden() -> PageError {
    PageError { status: StatusCode::FORBIDDEN, message: "Seu perfil não permite esta operação.".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_paths_are_positive_integers() {
        assert_eq!(parse_id("42").ok(), Some(42));
        for bad in ["0", "-1", "abc", "", "1.5"] {
            assert_eq!(parse_id(bad).map_err(|e| e.status).err(), Some(StatusCode::NOT_FOUND), "{bad}");
        }
    }

    #[test]
    fn each_role_has_its_daily_work_in_the_menu() {
        let agency = work_menu(Role::AgencyManager);
        assert!(
            agency.billing && agency.invoices && !agency.incidents && !agency.months && !agency.penalties
        );
        let noc = work_menu(Role::NetworkManager);
        assert!(noc.incidents && noc.windows && !noc.months && !noc.invoices && !noc.penalties);
        let operator = work_menu(Role::Operator);
        assert!(operator.incidents && operator.invoices && operator.penalties && !operator.billing);
        let ugs = work_menu(Role::ContractManager);
        assert!(ugs.months && ugs.billing && !ugs.incidents);
        assert_eq!(
            work_menu(Role::Admin),
            WorkMenu {
                incidents: true,
                windows: true,
                months: true,
                billing: true,
                invoices: true,
                penalties: true
            }
        );
    }

    #[test]
    fn stylesheet_fingerprint_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
        assert!(Chrome::css_href().starts_with("/assets/redegov.css?v="));
    }

    #[test]
    fn scripts_come_only_from_this_origin() {
        let script = CONTENT_SECURITY_POLICY.split("; ").find(|d| d.starts_with("script-src"));
        assert_eq!(script, Some("script-src 'self'"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
        assert!(HTMX.starts_with(b"var htmx=") && HTMX_PATH.ends_with("2.0.11.min.js"));
    }
}
