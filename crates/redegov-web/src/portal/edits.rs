//! The edit forms: "Editar unidade", "Editar órgão" and "Editar acesso"
//! (with its status change), built from the same pieces as the create forms
//! (`formkit.rs`, and the fields and parsers of `forms.rs`).
//!
//! A GET shows the form filled with the record's current values; a POST is
//! CSRF-checked and handed to the app's `update_*` use case, which reads,
//! authorises (scope first, so another agency's record is a 404), validates
//! and writes in one transaction. A broken rule re-renders the form with
//! what was typed, the field marked and the rule in pt-BR (HTTP 422), a
//! duplicate is a 409, and success goes to the record's page (303). This
//! module does not decide who may edit: it only refuses early the roles
//! `authz::may_write` would refuse anyway.

use super::formkit::{Field, FieldGroup, FormPage, Values, created, refused, require, submitted};
use super::forms::{
    agency_fields, bandwidth_field, municipality_list, parse_agency, parse_site_of, price_field,
    probe_targets, probe_targets_field, redundancy_field, site_fields, site_values, technology_field,
};
use super::{Chrome, Section, parse_id, render};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use redegov_app::AccessRow;
use redegov_app::authz::Resource;
use redegov_app::inventory::AccessChange;
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::*;
use redegov_domain::inventory::*;
use redegov_domain::money::Money;
use redegov_domain::time::parse_instant;
use std::collections::HashMap;

/// Statuses the status change offers; "requested" is only where accesses start.
const STATUS_CHOICES: [AccessStatus; 4] =
    [AccessStatus::Installing, AccessStatus::Active, AccessStatus::Suspended, AccessStatus::Deactivated];

fn values_of<const N: usize>(pairs: [(&str, String); N]) -> Values {
    Values(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

// ----- Editar órgão -----

fn agency_form(user: &PortalUser, id: AgencyId, values: &Values) -> FormPage {
    FormPage {
        chrome: Chrome::new(user, Section::Agencies, "Editar órgão"),
        heading: "Editar órgão".into(),
        intro: "Nome, sigla, CNPJ e tipo de adesão do órgão.".into(),
        action: format!("/orgaos/{id}/editar"),
        submit: "Salvar alterações",
        cancel: format!("/orgaos/{id}"),
        csrf: user.session.csrf_token.clone(),
        error: None,
        fields: agency_fields(values),
        groups: Vec::new(),
        datalists: Vec::new(),
    }
}

fn agency_values(a: &Agency) -> Values {
    values_of([
        ("name", a.name.clone()),
        ("acronym", a.acronym.clone()),
        ("cnpj", a.cnpj.masked()),
        ("kind", a.kind.as_str().to_string()),
    ])
}

pub async fn edit_agency(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require(&user, Resource::Agency)?;
    let agency = state.app.get_agency(user.actor(), AgencyId(parse_id(&id)?)).await?;
    Ok(render(&agency_form(&user, agency.id, &agency_values(&agency))))
}

pub async fn update_agency(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let id = AgencyId(parse_id(&id)?);
    match state.app.update_agency(user.actor(), id, |_| parse_agency(&values)).await {
        Ok(a) => created(format!("/orgaos/{}", a.id)),
        Err(e) => refused(e, agency_form(&user, id, &values)),
    }
}

// ----- Editar unidade -----

/// The form of `site`; its agency is shown, not changed.
async fn site_form(
    state: &WebState,
    user: &PortalUser,
    site: &Site,
    values: &Values,
) -> Result<FormPage, PageError> {
    let agency = state.app.get_agency(user.actor(), site.agency_id).await?;
    let mut agency_field = Field::new("agency_id", "Órgão", "fixed", values);
    agency_field.value = agency.id.to_string();
    agency_field.shown = format!("{} — {}", agency.acronym, agency.name);
    let title = if site.name.is_empty() { format!("Unidade nº {}", site.id) } else { site.name.clone() };
    Ok(FormPage {
        chrome: Chrome::new(user, Section::Sites, "Editar unidade"),
        heading: "Editar unidade".into(),
        intro: format!("{title}: endereço, município, área de preço e contato no local."),
        action: format!("/unidades/{}/editar", site.id),
        submit: "Salvar alterações",
        cancel: format!("/unidades/{}", site.id),
        csrf: user.session.csrf_token.clone(),
        error: None,
        fields: std::iter::once(agency_field).chain(site_fields(values)).collect(),
        groups: Vec::new(),
        datalists: vec![municipality_list()],
    })
}

pub async fn edit_site(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require(&user, Resource::Site)?;
    let site = state.app.get_site(user.actor(), SiteId(parse_id(&id)?)).await?;
    Ok(render(&site_form(&state, &user, &site, &site_values(&site)).await?))
}

pub async fn update_site(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let id = SiteId(parse_id(&id)?);
    // The site stays in its agency, whatever the form posts.
    let result =
        state.app.update_site(user.actor(), id, |current| parse_site_of(current.agency_id, &values)).await;
    match result {
        Ok(s) => created(format!("/unidades/{}", s.id)),
        Err(e) => {
            let site = state.app.get_site(user.actor(), id).await?;
            refused(e, site_form(&state, &user, &site, &values).await?)
        }
    }
}

// ----- Editar acesso -----

/// `1.234,56`: a price as typed in the price box.
fn price_text(price: Money) -> String {
    price.format_brl().replacen("R$ ", "", 1)
}

fn access_values(a: &Access) -> Values {
    let targets: Vec<String> = a.probe_targets.iter().map(|t| t.to_string()).collect();
    values_of([
        ("bandwidth_mbps", a.bandwidth_mbps.to_string()),
        ("redundancy", a.redundancy.as_str().to_string()),
        ("technology", a.technology.as_str().to_string()),
        ("probe_targets", targets.join(", ")),
        ("monthly_price", if a.price_overridden { price_text(a.monthly_price) } else { String::new() }),
        ("status", String::new()),
        ("status_at", String::new()),
    ])
}

/// The status change: the statuses the current one may become, and when.
fn status_group(current: AccessStatus, values: &Values) -> FieldGroup {
    let reachable = STATUS_CHOICES.iter().filter(|&&s| current.can_become(s));
    let mut status = Field::select(
        "status",
        "Nova situação",
        values,
        reachable.map(|s| (s.as_str().to_string(), s.label().to_string())),
    );
    if let Some(first) = status.options.first_mut() {
        first.label = format!("Manter: {}", current.label());
    }
    let at = Field::new("status_at", "A partir de", "datetime-local", values)
        .help("Horário de Brasília. Em branco: agora.");
    let intro = if status.options.len() > 1 {
        format!("Situação atual: {}. Escolha a nova somente se ela mudou.", current.label())
    } else {
        format!("Situação atual: {}; ela não muda mais.", current.label())
    };
    FieldGroup { legend: "Mudança de situação", intro, fields: vec![status, at] }
}

fn access_form(user: &PortalUser, line: &AccessRow, values: &Values) -> FormPage {
    let a = &line.access;
    let mut price = price_field(values);
    if !a.price_overridden {
        price.help = format!(
            "Deixe em branco para usar a tabela de preços do lote (hoje: {}).",
            a.monthly_price.format_brl()
        );
    }
    FormPage {
        chrome: Chrome::new(user, Section::Accesses, format!("Editar acesso #{}", a.id)),
        heading: format!("Editar acesso #{}", a.id),
        intro: format!(
            "{} — {}, {} (lote {}).",
            line.agency_acronym, line.site_address, line.municipality_name, line.lot_code
        ),
        action: format!("/acessos/{}/editar", a.id),
        submit: "Salvar alterações",
        cancel: format!("/acessos/{}", a.id),
        csrf: user.session.csrf_token.clone(),
        error: None,
        fields: vec![
            bandwidth_field(values),
            redundancy_field(values),
            technology_field(values),
            probe_targets_field(values),
            price,
        ],
        groups: vec![status_group(a.status, values)],
        datalists: Vec::new(),
    }
}

/// The change a submitted access form asks for: every field as typed (an
/// empty price goes back to the lot's table), and a status only if chosen.
fn parse_access_change(v: &Values) -> Valid<AccessChange> {
    let status = v.optional("status", AccessStatus::parse)?;
    let at = v.optional("status_at", parse_instant)?;
    if status.is_none() && at.is_some() {
        return Err(FieldError::new(
            "status",
            Rule::Other("escolha a nova situação da data informada".into()),
        ));
    }
    Ok(AccessChange {
        profile: None,
        bandwidth_mbps: Some(v.int("bandwidth_mbps")?),
        redundancy: Some(Redundancy::parse("redundancy", v.get("redundancy"))?),
        technology: Some(Technology::parse("technology", v.get("technology"))?),
        monthly_price: Some(v.optional("monthly_price", Money::parse_brl)?),
        probe_targets: Some(probe_targets(v)),
        status: status.map(|s| (s, at)),
    })
}

pub async fn edit_access(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require(&user, Resource::Access)?;
    let line = state.app.get_access(user.actor(), AccessId(parse_id(&id)?)).await?;
    Ok(render(&access_form(&user, &line, &access_values(&line.access))))
}

pub async fn update_access(
    State(state): State<WebState>,
    user: PortalUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let id = AccessId(parse_id(&id)?);
    let result = match parse_access_change(&values) {
        Ok(change) => state.app.update_access(user.actor(), id, change).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(a) => created(format!("/acessos/{}", a.id)),
        Err(e) => {
            let line = state.app.get_access(user.actor(), id).await?;
            refused(e, access_form(&user, &line, &values))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    fn access_form_values(status: &str, at: &str, price: &str) -> Values {
        values(&[
            ("bandwidth_mbps", "20"),
            ("redundancy", "critical"),
            ("technology", "satellite"),
            ("probe_targets", "10.0.0.1 10.0.0.2"),
            ("monthly_price", price),
            ("status", status),
            ("status_at", at),
        ])
    }

    #[test]
    fn access_form_parses_to_a_change() {
        let change = parse_access_change(&access_form_values("", "", "")).expect("valid");
        assert_eq!(change.bandwidth_mbps, Some(20));
        assert_eq!(change.technology, Some(Technology::Satellite));
        assert_eq!(change.monthly_price, Some(None), "an empty price goes back to the table");
        assert_eq!(change.probe_targets, Some(vec!["10.0.0.1".to_string(), "10.0.0.2".to_string()]));
        assert_eq!(change.status, None);

        let change = parse_access_change(&access_form_values("suspended", "2026-03-05T08:00", "1.234,56"))
            .expect("valid");
        assert_eq!(change.monthly_price, Some(Some(Money::from_centavos(123_456))));
        let at = parse_instant("t", "2026-03-05T11:00:00Z").expect("instant");
        assert_eq!(change.status, Some((AccessStatus::Suspended, Some(at))));
        let now = parse_access_change(&access_form_values("active", "", "")).expect("valid");
        assert_eq!(now.status, Some((AccessStatus::Active, None)), "no date: now");
    }

    #[test]
    fn access_form_names_the_broken_field() {
        let field = |v: Values| parse_access_change(&v).map(|_| ()).map_err(|e| e.field);
        assert_eq!(field(access_form_values("", "2026-03-05T08:00", "")), Err("status".to_string()));
        assert_eq!(field(access_form_values("paused", "", "")), Err("status".to_string()));
        assert_eq!(field(access_form_values("active", "ontem", "")), Err("status_at".to_string()));
        assert_eq!(field(access_form_values("", "", "12,345")), Err("monthly_price".to_string()));
        assert_eq!(field(values(&[("bandwidth_mbps", "dez")])), Err("bandwidth_mbps".to_string()));
    }

    #[test]
    fn status_change_offers_only_reachable_statuses() {
        let codes = |s: AccessStatus| -> Vec<String> {
            status_group(s, &Values::default()).fields[0].options.iter().map(|o| o.value.clone()).collect()
        };
        assert_eq!(codes(AccessStatus::Active), ["", "suspended", "deactivated"]);
        assert_eq!(codes(AccessStatus::Requested), ["", "installing", "active", "deactivated"]);
        assert_eq!(codes(AccessStatus::Deactivated), [""]);
    }

    #[test]
    fn prices_are_shown_as_typed() {
        assert_eq!(price_text(Money::from_centavos(123_456)), "1.234,56");
        assert_eq!(Money::parse_brl("p", &price_text(Money::from_centavos(5))), Ok(Money::from_centavos(5)));
    }
}
