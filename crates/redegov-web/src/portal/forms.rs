//! The create forms: "Novo órgão", "Nova unidade" and "Novo acesso", built
//! from the pieces in `formkit.rs`. A submission is CSRF-checked, parsed
//! into the domain's validated input and handed to the app. A broken rule
//! re-renders the form with what was typed, the field marked and the rule
//! in pt-BR (HTTP 422); success goes to the new record's page (303). Which roles see a form mirrors `authz::may_write`; the app
//! checks it again on submit.

use super::formkit::{
    DataList, Field, FormPage, Values, code_choices, created, preselect, refused, require, submitted,
};
// The edit forms (`edits.rs`) reuse the fields and parsers below, so a
// field reads and validates the same way whether it creates or changes.
use super::{Chrome, Section, fetch, render};
use crate::WebState;
use crate::auth::PortalUser;
use crate::error::PageError;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use redegov_app::authz::Resource;
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::*;
use redegov_domain::inventory::*;
use redegov_domain::money::Money;
use redegov_domain::municipality::{self, Municipality};
use redegov_domain::role::Scope;
use redegov_domain::text::fold;
use redegov_domain::time::parse_instant;
use std::collections::HashMap;

/// The state whose municipalities the picker offers.
const PICKER_STATE: &str = "MG";
const MUNICIPALITIES_LIST: &str = "municipios";

// ----- Novo órgão -----

fn agency_form(user: &PortalUser, values: &Values) -> FormPage {
    FormPage {
        chrome: Chrome::new(user, Section::Agencies, "Novo órgão"),
        heading: "Novo órgão".into(),
        intro: "Um órgão, entidade ou prefeitura que usa a rede.".into(),
        action: "/orgaos/novo".into(),
        submit: "Cadastrar órgão",
        cancel: "/orgaos".into(),
        csrf: user.session.csrf_token.clone(),
        error: None,
        fields: agency_fields(values),
        groups: Vec::new(),
        datalists: Vec::new(),
    }
}

/// An agency's own fields, to create or edit it.
pub(super) fn agency_fields(values: &Values) -> Vec<Field> {
    vec![
        Field::text("name", "Nome", values).required().placeholder("ex.: Secretaria de Estado de Fazenda"),
        Field::text("acronym", "Sigla", values).required().placeholder("ex.: SEF"),
        Field::text("cnpj", "CNPJ", values).required().placeholder("00.000.000/0000-00"),
        Field::select(
            "kind",
            "Tipo de adesão",
            values,
            code_choices(AgencyKind::ALL, AgencyKind::as_str, AgencyKind::label),
        )
        .required(),
    ]
}

pub(super) fn parse_agency(v: &Values) -> Valid<NewAgency> {
    let kind = AgencyKind::parse("kind", v.get("kind"))?;
    NewAgency::new(v.get("name"), v.get("acronym"), v.get("cnpj"), kind)
}

pub async fn new_agency(user: PortalUser) -> Result<Response, PageError> {
    require(&user, Resource::Agency)?;
    Ok(render(&agency_form(&user, &Values::default())))
}

pub async fn create_agency(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let result = match parse_agency(&values) {
        Ok(new) => state.app.create_agency(user.actor(), new).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(a) => created(format!("/orgaos/{}", a.id)),
        Err(e) => refused(e, agency_form(&user, &values)),
    }
}

// ----- Nova unidade -----

/// The IBGE code of a site's municipality: the code box when filled (any
/// state), else the name picked from the list (accents and case ignored).
pub(super) fn municipality_code(name: &str, code: &str) -> Valid<u32> {
    if !code.trim().is_empty() {
        return code.trim().parse().map_err(|_| {
            FieldError::new("municipality_ibge", Rule::Malformed("código IBGE de 7 dígitos, ex.: 3106200"))
        });
    }
    if name.trim().is_empty() {
        return Err(FieldError::new("municipality", Rule::Required));
    }
    let wanted = fold(name);
    municipality::of_state(PICKER_STATE)
        .find(|m: &&Municipality| fold(m.name) == wanted)
        .map(|m| m.ibge_code)
        .ok_or_else(|| {
            FieldError::new(
                "municipality",
                Rule::Other(format!(
                    "não está na lista de municípios de {PICKER_STATE}; confira a grafia ou informe o código IBGE"
                )),
            )
        })
}

async fn site_form(state: &WebState, user: &PortalUser, values: &Values) -> Result<FormPage, PageError> {
    let agency = match user.actor().scope {
        Scope::Agency(own) => {
            let a = state.app.get_agency(user.actor(), own).await?;
            let mut field = Field::new("agency_id", "Órgão", "fixed", values);
            field.value = own.to_string();
            field.shown = format!("{} — {}", a.acronym, a.name);
            field
        }
        _ => {
            let agencies = fetch::agency_choices(&state.app, user.actor()).await?;
            Field::select(
                "agency_id",
                "Órgão",
                values,
                agencies.into_iter().map(|(id, _, label)| (id.to_string(), label)),
            )
            .required()
        }
    };
    Ok(FormPage {
        chrome: Chrome::new(user, Section::Sites, "Nova unidade"),
        heading: "Nova unidade".into(),
        intro: "Um endereço de instalação de um órgão, com a pessoa de contato no local.".into(),
        action: "/unidades/novo".into(),
        submit: "Cadastrar unidade",
        cancel: "/unidades".into(),
        csrf: user.session.csrf_token.clone(),
        error: None,
        fields: std::iter::once(agency).chain(site_fields(values)).collect(),
        groups: Vec::new(),
        datalists: vec![municipality_list()],
    })
}

/// The values a site's form shows for `site`: the municipality by name when
/// the picker offers it, else by IBGE code.
pub(super) fn site_values(site: &Site) -> Values {
    let in_picker =
        municipality::by_code(site.municipality_ibge).is_some_and(|m: &Municipality| m.uf == PICKER_STATE);
    let (name, code) = if in_picker {
        (site.municipality_name.clone(), String::new())
    } else {
        (String::new(), site.municipality_ibge.to_string())
    };
    Values(
        [
            ("agency_id", site.agency_id.to_string()),
            ("name", site.name.clone()),
            ("address", site.address.clone()),
            ("municipality", name),
            ("municipality_ibge", code),
            ("area", site.area.as_str().to_string()),
            ("zone", site.zone.as_str().to_string()),
            ("contact_name", site.contact_name.clone()),
            ("contact_phone", site.contact_phone.clone()),
            ("contact_email", site.contact_email.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    )
}

/// The municipality picker's suggestions.
pub(super) fn municipality_list() -> DataList {
    DataList {
        id: MUNICIPALITIES_LIST,
        options: municipality::of_state(PICKER_STATE).map(|m| m.name).collect(),
    }
}

/// A site's fields other than its agency, to create or edit it.
pub(super) fn site_fields(values: &Values) -> Vec<Field> {
    vec![
        Field::text("name", "Nome da unidade", values)
            .placeholder("ex.: Administração Fazendária de Uberaba"),
        Field::text("address", "Endereço", values).required().placeholder("Rua, número, bairro"),
        Field { list: MUNICIPALITIES_LIST, ..Field::text("municipality", "Município (MG)", values) }
            .placeholder("comece a digitar, ex.: Uberaba")
            .help("Municípios de Minas Gerais. Para outro estado, informe o código IBGE abaixo."),
        Field {
            placeholder: "ex.: 3170107",
            ..Field::new("municipality_ibge", "Código IBGE", "text", values)
        }
        .help("Opcional; quando preenchido, vale no lugar do nome."),
        Field::select("area", "Área de preço", values, code_choices(Area::ALL, Area::as_str, Area::label))
            .required(),
        Field::select("zone", "Zona", values, code_choices(Zone::ALL, Zone::as_str, Zone::label)).required(),
        Field::text("contact_name", "Contato no local", values),
        Field::new("contact_phone", "Telefone do contato", "tel", values),
        Field::new("contact_email", "E-mail do contato", "email", values),
    ]
}

fn parse_site(user: &PortalUser, v: &Values) -> Valid<NewSite> {
    let agency = match user.actor().scope {
        Scope::Agency(own) => own,
        _ => AgencyId(v.int("agency_id")?),
    };
    parse_site_of(agency, v)
}

/// A site of `agency` from the form's other fields.
pub(super) fn parse_site_of(agency: AgencyId, v: &Values) -> Valid<NewSite> {
    let ibge = municipality_code(v.get("municipality"), v.get("municipality_ibge"))?;
    NewSite::new(
        agency,
        v.get("name"),
        v.get("address"),
        ibge,
        Area::parse("area", v.get("area"))?,
        Zone::parse("zone", v.get("zone"))?,
        Contact {
            name: v.get("contact_name").into(),
            phone: v.get("contact_phone").into(),
            email: v.get("contact_email").into(),
        },
    )
}

pub async fn new_site(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    require(&user, Resource::Site)?;
    Ok(render(&site_form(&state, &user, &Values::from_query(raw.as_deref())).await?))
}

pub async fn create_site(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let result = match parse_site(&user, &values) {
        Ok(new) => state.app.create_site(user.actor(), new).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(s) => created(format!("/unidades/{}", s.id)),
        Err(e) => refused(e, site_form(&state, &user, &values).await?),
    }
}

// ----- Novo acesso -----

async fn access_form(state: &WebState, user: &PortalUser, values: &Values) -> Result<FormPage, PageError> {
    let (app, actor) = (&state.app, user.actor());
    let lots = fetch::lots(app, actor).await?;
    let lot_label = |l: &Lot| match l.description.as_str() {
        "" => format!("{} ({})", l.code, l.profile.label()),
        d => format!("{} — {d}", l.code),
    };
    let mut site = Field::new("site_id", "Unidade (nº)", "number", values)
        .required()
        .help("O número da unidade, que aparece na lista de Unidades.");
    if let Ok(id) = values.int("site_id")
        && let Ok(s) = app.get_site(actor, SiteId(id)).await
    {
        let place = format!("{}, {}", s.address, s.municipality_name);
        site.help = if s.name.is_empty() { place } else { format!("{} — {place}", s.name) };
    }
    let mut service = Field::text("service", "Serviço", values).required();
    if service.value.is_empty() {
        service.value = DEFAULT_SERVICE.into();
    }
    let mut redundancy = redundancy_field(values);
    let mut technology = technology_field(values);
    preselect(&mut redundancy, Redundancy::None.as_str());
    preselect(&mut technology, Technology::Terrestrial.as_str());
    let mut profile = Field::select(
        "profile",
        "Perfil",
        values,
        code_choices(Profile::ALL, Profile::as_str, Profile::label),
    );
    if let Some(first) = profile.options.first_mut() {
        first.label = "O do lote".into();
    }
    Ok(FormPage {
        chrome: Chrome::new(user, Section::Accesses, "Novo acesso"),
        heading: "Novo acesso".into(),
        intro: "Um link de dados numa unidade, num lote cuja região inclui o município da unidade.".into(),
        action: "/acessos/novo".into(),
        submit: "Cadastrar acesso",
        cancel: "/acessos".into(),
        csrf: user.session.csrf_token.clone(),
        error: None,
        fields: vec![
            site,
            Field::select("lot_id", "Lote", values, lots.iter().map(|l| (l.id.to_string(), lot_label(l))))
                .required(),
            service,
            bandwidth_field(values),
            redundancy,
            technology,
            profile,
            probe_targets_field(values),
            price_field(values),
            Field::new("activated_at", "Ativado em", "datetime-local", values)
                .help("Preencha somente se o acesso já está ativo (horário de Brasília)."),
        ],
        groups: Vec::new(),
        datalists: Vec::new(),
    })
}

pub(super) fn bandwidth_field(values: &Values) -> Field {
    Field { placeholder: "ex.: 10", ..Field::new("bandwidth_mbps", "Velocidade (Mbps)", "number", values) }
        .required()
}

pub(super) fn redundancy_field(values: &Values) -> Field {
    Field::select(
        "redundancy",
        "Redundância",
        values,
        code_choices(Redundancy::ALL, Redundancy::as_str, Redundancy::label),
    )
    .required()
}

pub(super) fn technology_field(values: &Values) -> Field {
    Field::select(
        "technology",
        "Tecnologia",
        values,
        code_choices(Technology::ALL, Technology::as_str, Technology::label),
    )
    .required()
}

pub(super) fn probe_targets_field(values: &Values) -> Field {
    Field::text("probe_targets", "Endereços monitorados (IP dos CPEs)", values)
        .required()
        .placeholder("ex.: 10.12.0.1")
        .help("Separados por vírgula ou espaço: 1 endereço sem redundância, 2 com redundância.")
}

pub(super) fn price_field(values: &Values) -> Field {
    Field::text("monthly_price", "Preço mensal (R$)", values)
        .placeholder("ex.: 1.234,56")
        .help("Deixe em branco para usar a tabela de preços do lote.")
}

/// The probe targets typed in one box, separated by commas, semicolons,
/// spaces or lines.
pub(super) fn probe_targets(v: &Values) -> Vec<String> {
    v.get("probe_targets")
        .split([',', ';', ' ', '\n'])
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.trim().to_string())
        .collect()
}

fn parse_access(v: &Values) -> Valid<AccessDraft> {
    Ok(AccessDraft {
        site_id: SiteId(v.int("site_id")?),
        lot_id: LotId(v.int("lot_id")?),
        profile: v.optional("profile", Profile::parse)?,
        service: v.get("service").to_string(),
        bandwidth_mbps: v.int("bandwidth_mbps")?,
        redundancy: Redundancy::parse("redundancy", v.get("redundancy"))?,
        technology: Technology::parse("technology", v.get("technology"))?,
        monthly_price: v.optional("monthly_price", Money::parse_brl)?,
        activated_at: v.optional("activated_at", parse_instant)?,
        probe_targets: probe_targets(v),
    })
}

pub async fn new_access(
    State(state): State<WebState>,
    user: PortalUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    require(&user, Resource::Access)?;
    Ok(render(&access_form(&state, &user, &Values::from_query(raw.as_deref())).await?))
}

pub async fn create_access(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let values = submitted(&user, form)?;
    let result = match parse_access(&values) {
        Ok(draft) => state.app.create_access(user.actor(), draft).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(a) => created(format!("/acessos/{}", a.id)),
        Err(e) => refused(e, access_form(&state, &user, &values).await?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn municipality_by_name_or_code() {
        assert_eq!(municipality_code("Belo Horizonte", ""), Ok(3106200));
        assert_eq!(municipality_code("  belo horizonte ", ""), Ok(3106200));
        assert_eq!(municipality_code("Sao Joao del Rei", ""), Ok(3162500));
        assert_eq!(municipality_code("Belo Horizonte", "3550308"), Ok(3550308));
        assert_eq!(municipality_code("", "").map_err(|e| e.rule), Err(Rule::Required));
        assert_eq!(municipality_code("Atlântida", "").map_err(|e| e.field), Err("municipality".to_string()));
        assert_eq!(municipality_code("", "31x").map_err(|e| e.field), Err("municipality_ibge".to_string()));
    }

    #[test]
    fn access_form_parses_to_a_draft() {
        let v = values(&[
            ("site_id", "12"),
            ("lot_id", "3"),
            ("service", "scm"),
            ("bandwidth_mbps", "10"),
            ("redundancy", "critical"),
            ("technology", "terrestrial"),
            ("profile", ""),
            ("probe_targets", "10.0.0.1, 10.0.0.2"),
            ("monthly_price", "1.234,56"),
            ("activated_at", ""),
        ]);
        let draft = parse_access(&v).expect("valid");
        assert_eq!((draft.site_id, draft.lot_id, draft.bandwidth_mbps), (SiteId(12), LotId(3), 10));
        assert_eq!(draft.profile, None);
        assert_eq!(draft.monthly_price, Some(Money::from_centavos(123_456)));
        assert_eq!(draft.probe_targets, ["10.0.0.1", "10.0.0.2"]);
        let bad = values(&[("site_id", "12"), ("lot_id", "3"), ("bandwidth_mbps", "dez")]);
        assert_eq!(parse_access(&bad).map_err(|e| e.field), Err("bandwidth_mbps".to_string()));
        assert_eq!(parse_access(&values(&[])).map_err(|e| e.rule), Err(Rule::Required));
    }

    #[test]
    fn agency_form_parses_and_names_the_broken_field() {
        let v = values(&[
            ("name", "Secretaria de Fazenda"),
            ("acronym", "sef"),
            ("cnpj", "11.222.333/0001-81"),
            ("kind", "compulsory"),
        ]);
        assert_eq!(parse_agency(&v).map(|a| a.acronym), Ok("SEF".to_string()));
        let v = values(&[
            ("name", "X"),
            ("acronym", "X"),
            ("cnpj", "11.222.333/0001-82"),
            ("kind", "compulsory"),
        ]);
        assert_eq!(parse_agency(&v).map_err(|e| e.rule), Err(Rule::InvalidCnpj));
    }
}
