//! The CSV import page: paste a file of agencies, sites, accesses or
//! incidents, get it
//! imported whole or get every problem (line, column, rule in pt-BR) with
//! nothing written. A `<textarea>` rather than a file upload, because the
//! server is built without multipart support; the layouts are described on
//! the page from `ImportKind::columns`.

use super::paging::ListQuery;
use super::{Chrome, Section, forbidden, render, render_status};
use crate::WebState;
use crate::auth::{PortalUser, check_csrf};
use crate::error::PageError;
use askama::Template;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use redegov_app::AppError;
use redegov_app::authz::{Resource, may_write};
use redegov_app::import::ImportKind;
use redegov_domain::role::Role;
use serde::Deserialize;

const KINDS: [ImportKind; 4] =
    [ImportKind::Agencies, ImportKind::Sites, ImportKind::Accesses, ImportKind::Incidents];

/// The kinds of file a role may import (those it may create).
pub fn kinds_for(role: Role) -> Vec<ImportKind> {
    KINDS.into_iter().filter(|k| may_write(role, resource_of(*k))).collect()
}

fn resource_of(kind: ImportKind) -> Resource {
    match kind {
        ImportKind::Agencies => Resource::Agency,
        ImportKind::Sites => Resource::Site,
        ImportKind::Accesses => Resource::Access,
        ImportKind::Incidents => Resource::Incident,
    }
}

/// The kind of file that creates this resource, if there is one.
pub fn kind_of(resource: Resource) -> Option<ImportKind> {
    KINDS.into_iter().find(|k| resource_of(*k) == resource)
}

/// The code `ImportKind::parse` reads.
pub fn kind_code(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Agencies => "agencies",
        ImportKind::Sites => "sites",
        ImportKind::Accesses => "accesses",
        ImportKind::Incidents => "incidents",
    }
}

fn kind_label(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Agencies => "Órgãos",
        ImportKind::Sites => "Unidades",
        ImportKind::Accesses => "Acessos",
        ImportKind::Incidents => "Incidentes",
    }
}

fn list_path(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Agencies => "/orgaos",
        ImportKind::Sites => "/unidades",
        ImportKind::Accesses => "/acessos",
        ImportKind::Incidents => "/incidentes",
    }
}

/// A kind of file as the page describes it.
struct KindInfo {
    code: &'static str,
    label: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
    selected: bool,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    csrf: String,
    kinds: Vec<KindInfo>,
    csv: String,
    error: Option<String>,
    problems: Vec<String>,
    imported: Option<(String, &'static str)>,
}

impl ImportPage {
    fn new(user: &PortalUser, kinds: &[ImportKind], selected: Option<ImportKind>) -> ImportPage {
        let selected = selected.or_else(|| kinds.first().copied());
        ImportPage {
            chrome: Chrome::new(user, Section::Import, "Importar CSV"),
            csrf: user.session.csrf_token.clone(),
            kinds: kinds
                .iter()
                .map(|k| {
                    let (required, optional) = k.columns();
                    KindInfo {
                        code: kind_code(*k),
                        label: kind_label(*k),
                        required,
                        optional,
                        selected: Some(*k) == selected,
                    }
                })
                .collect(),
            csv: String::new(),
            error: None,
            problems: Vec::new(),
            imported: None,
        }
    }
}

pub async fn import_form(user: PortalUser, RawQuery(raw): RawQuery) -> Result<Response, PageError> {
    let kinds = kinds_for(user.actor().role);
    if kinds.is_empty() {
        return Err(forbidden());
    }
    let tipo = ListQuery::parse(raw.as_deref()).text("tipo").unwrap_or_default();
    let selected = ImportKind::parse(&tipo).filter(|k| kinds.contains(k));
    Ok(render(&ImportPage::new(&user, &kinds, selected)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ImportForm {
    csrf: String,
    kind: String,
    csv: String,
}

pub async fn import(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<ImportForm>,
) -> Result<Response, PageError> {
    check_csrf(&user, &form.csrf)?;
    let kinds = kinds_for(user.actor().role);
    if kinds.is_empty() {
        return Err(forbidden());
    }
    let kind = ImportKind::parse(&form.kind).filter(|k| kinds.contains(k));
    let mut page = ImportPage::new(&user, &kinds, kind);
    let Some(kind) = kind else {
        page.csv = form.csv;
        page.error = Some("Tipo de arquivo: escolha um dos tipos da lista.".into());
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    if form.csv.trim().is_empty() {
        page.error = Some("Arquivo CSV: é obrigatório (cole o conteúdo, com a linha de cabeçalho).".into());
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    match state.app.import_csv(user.actor(), kind, form.csv.as_bytes(), &|_, _| {}).await {
        Ok(report) => {
            let plural = if report.rows == 1 { "registro importado" } else { "registros importados" };
            page.imported =
                Some((format!("{} {plural}.", super::view::count(report.rows as i64)), list_path(kind)));
            Ok(render(&page))
        }
        Err(AppError::Rejected(problems)) => {
            page.error = Some(format!(
                "O arquivo tem {} problema(s); nada foi importado. Corrija e envie de novo.",
                problems.len()
            ));
            page.problems = problems.iter().map(|p| p.to_string()).collect();
            page.csv = form.csv;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::Invalid(e)) => {
            page.error = Some(format!("{}: {}", e.field, e.rule.pt_br()));
            page.csv = form.csv;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_import_what_they_may_create() {
        assert_eq!(kinds_for(Role::Admin).len(), 4);
        assert!(matches!(
            kinds_for(Role::NetworkManager)[..],
            [ImportKind::Sites, ImportKind::Accesses, ImportKind::Incidents]
        ));
        assert!(matches!(kinds_for(Role::AgencyManager)[..], [ImportKind::Sites, ImportKind::Incidents]));
        assert!(kinds_for(Role::Auditor).is_empty());
        assert!(matches!(kinds_for(Role::Operator)[..], [ImportKind::Incidents]));
        for kind in KINDS {
            assert_eq!(ImportKind::parse(kind_code(kind)), Some(kind));
            assert_eq!(kind_of(resource_of(kind)), Some(kind));
        }
    }
}
