//! The building blocks of the create and edit forms: a form is a list of
//! fields (optionally followed by titled groups of fields) rendered by one
//! template (`form.html`), submitted values are read by name, and a refused
//! submission comes back with the broken rule named in pt-BR next to its
//! field. The create forms are in `forms.rs`, the edit forms in `edits.rs`.

use super::view::Opt;
use super::{Chrome, forbidden, may_create, render_status};
use crate::auth::{PortalUser, check_csrf};
use crate::error::PageError;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use redegov_app::AppError;
use redegov_app::authz::Resource;
use redegov_domain::error::{FieldError, Rule, Valid};
use std::collections::HashMap;

/// One field of a form.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// An `<input type>` (`file` takes several files), or `select`,
    /// `textarea` or `fixed` (a value the user cannot change, sent as a
    /// hidden input and shown as text).
    pub input: &'static str,
    pub value: String,
    pub options: Vec<Opt>,
    pub required: bool,
    pub placeholder: &'static str,
    pub help: String,
    /// The id of a `<datalist>` of suggestions.
    pub list: &'static str,
    /// What a `fixed` field shows.
    pub shown: String,
    pub invalid: bool,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, input: &'static str, values: &Values) -> Field {
        Field {
            name,
            label,
            input,
            value: values.get(name).to_string(),
            options: Vec::new(),
            required: false,
            placeholder: "",
            help: String::new(),
            list: "",
            shown: String::new(),
            invalid: false,
        }
    }

    pub fn text(name: &'static str, label: &'static str, values: &Values) -> Field {
        Field::new(name, label, "text", values)
    }

    /// A select over a code enum's values, with a first "choose" option.
    pub fn select(
        name: &'static str,
        label: &'static str,
        values: &Values,
        choices: impl IntoIterator<Item = (String, String)>,
    ) -> Field {
        let mut field = Field::new(name, label, "select", values);
        field.options = std::iter::once(("".to_string(), "Escolha…".to_string()))
            .chain(choices)
            .map(|(v, l)| Opt::new(v, l, &field.value))
            .collect();
        field
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Field {
        self.help = help.into();
        self
    }

    pub fn placeholder(mut self, placeholder: &'static str) -> Field {
        self.placeholder = placeholder;
        self
    }
}

/// Suggestions for a text field.
pub struct DataList {
    pub id: &'static str,
    pub options: Vec<&'static str>,
}

/// A titled part of a form, shown after its main fields (an access's
/// status change, say), submitted with them.
pub struct FieldGroup {
    pub legend: &'static str,
    pub intro: String,
    pub fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub intro: String,
    pub action: String,
    pub submit: &'static str,
    pub cancel: String,
    pub csrf: String,
    pub error: Option<String>,
    pub fields: Vec<Field>,
    pub groups: Vec<FieldGroup>,
    pub datalists: Vec<DataList>,
}

impl FormPage {
    /// Marks the field a rule names and states the rule in pt-BR.
    pub fn with_error(mut self, e: &FieldError) -> FormPage {
        let all = self.fields.iter_mut().chain(self.groups.iter_mut().flat_map(|g| g.fields.iter_mut()));
        self.error = Some(mark_error(all, e));
        self
    }
}

/// Marks the field among `fields` that a rule names and returns the
/// message: its label and the rule in pt-BR.
fn mark_error<'a>(mut fields: impl Iterator<Item = &'a mut Field>, e: &FieldError) -> String {
    let name = form_field(&e.field);
    let label = match fields.find(|f| f.name == name) {
        Some(field) => {
            field.invalid = true;
            field.label
        }
        None => known_label(name).unwrap_or(name),
    };
    format!("{label}: {}", e.rule.pt_br())
}

/// The pt-BR name of a field a rule may name although the form does not
/// show it (a closed month found through the incident's start, say).
fn known_label(field: &str) -> Option<&'static str> {
    Some(match field {
        "started_at" | "starts_at" => "Início",
        "ended_at" | "ends_at" => "Fim",
        "status" => "Situação",
        "month" => "Mês",
        "reason" => "Justificativa",
        "access_id" => "Acesso",
        "lot_id" => "Lote",
        "responsibility" => "Responsabilidade",
        "clock_stops" => "Paradas de relógio",
        _ => return None,
    })
}

/// A submit button; several may share a form, each posting its own value
/// under its name (the status an incident moves to, approve or reject).
pub struct SubmitButton {
    pub name: &'static str,
    pub value: String,
    pub label: String,
    pub id: String,
    pub kind: ButtonKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonKind {
    Primary,
    Secondary,
    Danger,
}

impl SubmitButton {
    pub fn new(
        name: &'static str,
        value: impl Into<String>,
        label: impl Into<String>,
        id: impl Into<String>,
    ) -> Self {
        SubmitButton {
            name,
            value: value.into(),
            label: label.into(),
            id: id.into(),
            kind: ButtonKind::Primary,
        }
    }

    pub fn kind(mut self, kind: ButtonKind) -> SubmitButton {
        self.kind = kind;
        self
    }

    /// The button's CSS classes (for the templates).
    pub fn class(&self) -> &'static str {
        match self.kind {
            ButtonKind::Primary => "btn-primary",
            ButtonKind::Secondary => "btn-secondary",
            ButtonKind::Danger => "btn-danger",
        }
    }
}

/// A small form inside a page (work an incident, decide a window, close a
/// month): CSRF-protected, posted to `action`, shown again with the rule
/// named when the app refuses it.
pub struct ActionForm {
    /// The element id, also the prefix of its error's id.
    pub id: &'static str,
    pub action: String,
    pub csrf: String,
    pub intro: String,
    pub hidden: Vec<(&'static str, String)>,
    pub fields: Vec<Field>,
    pub buttons: Vec<SubmitButton>,
    pub error: Option<String>,
    /// Sent as `multipart/form-data` (it has a file field).
    pub multipart: bool,
}

impl ActionForm {
    pub fn new(id: &'static str, action: impl Into<String>, user: &PortalUser) -> ActionForm {
        ActionForm {
            id,
            action: action.into(),
            csrf: user.session.csrf_token.clone(),
            intro: String::new(),
            hidden: Vec::new(),
            fields: Vec::new(),
            buttons: Vec::new(),
            error: None,
            multipart: false,
        }
    }

    /// Marks the field a rule names and states the rule in pt-BR.
    pub fn with_error(mut self, e: &FieldError) -> ActionForm {
        self.error = Some(mark_error(self.fields.iter_mut(), e));
        self
    }
}

/// The form field a rule's field name refers to: `probe_targets[1]` is the
/// `probe_targets` box, and prices and amounts are typed in reais, not
/// centavos.
pub fn form_field(rule_field: &str) -> &str {
    let base = rule_field.split(['[', '.']).next().unwrap_or(rule_field);
    match base {
        "monthly_price_centavos" => "monthly_price",
        "amount_centavos" => "amount",
        other => other,
    }
}

/// Submitted (or prefilled) values by field name.
#[derive(Default)]
pub struct Values(pub HashMap<String, String>);

impl Values {
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(|v| v.trim()).unwrap_or("")
    }

    pub fn from_query(raw: Option<&str>) -> Values {
        Values(raw.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default())
    }

    pub fn int(&self, name: &str) -> Valid<i64> {
        match self.get(name) {
            "" => Err(FieldError::new(name, Rule::Required)),
            text => text.parse().map_err(|_| FieldError::new(name, Rule::Malformed("número inteiro"))),
        }
    }

    pub fn optional<T>(&self, name: &str, parse: impl FnOnce(&str, &str) -> Valid<T>) -> Valid<Option<T>> {
        match self.get(name) {
            "" => Ok(None),
            text => parse(name, text).map(Some),
        }
    }
}

/// Options for a code enum: (code, pt-BR label).
pub fn code_choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter().map(|&v| (code(v).to_string(), label(v).to_string())).collect()
}

/// The form again, after the app refused a submission: with the problem
/// when it is about the input, otherwise an error page.
pub fn refused(e: AppError, form: FormPage) -> Result<Response, PageError> {
    match e {
        AppError::Invalid(e) => Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &form.with_error(&e))),
        AppError::Conflict { message, .. } => {
            let form =
                FormPage { error: Some(format!("Conflito com um registro existente: {message}")), ..form };
            Ok(render_status(StatusCode::CONFLICT, &form))
        }
        e => Err(e.into()),
    }
}

/// The new (or just changed) record's page, as a 303 "see other".
pub fn created(href: String) -> Result<Response, PageError> {
    Ok(Redirect::to(&href).into_response())
}

pub fn require(user: &PortalUser, resource: Resource) -> Result<(), PageError> {
    if may_create(user, resource) { Ok(()) } else { Err(forbidden()) }
}

/// Reads a submitted form after checking its CSRF token.
pub fn submitted(user: &PortalUser, form: HashMap<String, String>) -> Result<Values, PageError> {
    let values = Values(form);
    check_csrf(user, values.get("csrf"))?;
    Ok(values)
}

/// Selects `code` when nothing was chosen yet.
pub fn preselect(field: &mut Field, code: &str) {
    if field.value.is_empty() {
        field.value = code.to_string();
        for o in &mut field.options {
            o.selected = o.value == code;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_fields_map_to_form_fields() {
        assert_eq!(form_field("probe_targets[1]"), "probe_targets");
        assert_eq!(form_field("monthly_price_centavos"), "monthly_price");
        assert_eq!(form_field("lot_id"), "lot_id");
    }

    #[test]
    fn a_rule_on_a_field_the_form_does_not_show_is_named_in_pt_br() {
        let e = FieldError::new("started_at", Rule::MonthClosed { month: "2026-02".into() });
        let form = ActionForm {
            id: "f",
            action: "/x".into(),
            csrf: String::new(),
            intro: String::new(),
            hidden: Vec::new(),
            fields: vec![Field::text("notes", "Observações", &Values::default())],
            buttons: Vec::new(),
            error: None,
            multipart: false,
        }
        .with_error(&e);
        assert!(form.error.as_deref().is_some_and(|m| m.starts_with("Início: o mês 2026-02 já foi fechado")));
        assert!(!form.fields[0].invalid);
    }

    #[test]
    fn values_are_trimmed_and_typed() {
        let v = Values([("n".to_string(), " 12 ".to_string()), ("x".to_string(), "doze".to_string())].into());
        assert_eq!(v.get("n"), "12");
        assert_eq!(v.get("ausente"), "");
        assert_eq!(v.int("n"), Ok(12));
        assert_eq!(v.int("x").map_err(|e| e.rule), Err(Rule::Malformed("número inteiro")));
        assert_eq!(v.int("ausente").map_err(|e| e.rule), Err(Rule::Required));
        assert_eq!(v.optional("ausente", |_, t| Ok(t.len())), Ok(None));
    }
}
