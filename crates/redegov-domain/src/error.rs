//! Validation errors that name the field and the rule it broke.
//!
//! Every layer above turns a [`FieldError`] into its own message (JSON for the
//! API, pt-BR text for the portal, a line for the CLI); the rule itself lives
//! here, once.

use std::fmt;

/// The rule an input broke. Each has a stable machine code and a pt-BR text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// A required value is missing or blank.
    Required,
    /// A CNPJ whose check digits or format are wrong.
    InvalidCnpj,
    /// A CPF whose check digits or format are wrong.
    InvalidCpf,
    /// Consortium shares must add up to exactly 100 %.
    SharesMustSumTo100 { sum_basis_points: i64 },
    /// A value outside its allowed range.
    OutOfRange { min: i64, max: i64 },
    /// An end that comes before its start.
    DatesOutOfOrder,
    /// A value that is not one of the accepted ones.
    OneOf(&'static [&'static str]),
    /// A malformed value (date, address, number...), with what was expected.
    Malformed(&'static str),
    /// An IBGE municipality code that does not exist.
    UnknownMunicipality,
    /// The site's municipality is outside the lot's region.
    OutsideLotRegion,
    /// No price in the lot's table for this combination.
    NoPrice,
    /// The number of probe targets does not fit the redundancy.
    ProbeTargetCount { expected: usize },
    /// A referenced object that does not exist (or is out of the caller's scope).
    UnknownReference,
    /// A transition that the life cycle does not allow.
    InvalidTransition { from: &'static str, to: &'static str },
    /// A value that must be unique and is already taken.
    Duplicate,
    /// An interval that must lie inside another one (a clock stop inside its incident).
    OutsideIncident,
    /// A maintenance window announced with less than the minimum notice.
    NoticeTooShort { hours: i64 },
    /// A change that would alter a closed month (`YYYY-MM`).
    MonthClosed { month: String },
    /// Free-form rule, for the rare rule that has no variant yet.
    Other(String),
    /// A month (`YYYY-MM`) that has not ended yet, where an ended one is needed.
    MonthNotEnded { month: String },
    /// A month (`YYYY-MM`) that is still open, where a closed one is needed.
    MonthNotClosed { month: String },
    /// An access that was not billable in the month (`YYYY-MM`) concerned.
    NotBillableInMonth { month: String },
    /// An instant after now, where only the past can be recorded.
    InFuture,
    /// A survey or installation scheduled with less than the minimum notice.
    ScheduleTooSoon { hours: i64 },
    /// An agency in default (delinquent): its new orders cannot be validated.
    AgencyDelinquent,
    /// An adhesion policy of the agency's kind forbids this, with the rule's text.
    AdhesionPolicy { rule: String },
    /// An action the order's current state does not allow.
    ActionNotAllowed { action: &'static str, status: &'static str },
    /// Pending items of a party (`agency`, `operator`) are still open.
    PendingItemsOpen { party: &'static str },
    /// A deadline (a penalty process's defense or appeal) ended on this day.
    DeadlinePassed { due_on: chrono::NaiveDate },
    /// No free block of the size asked for is left in the address pool.
    PoolExhausted { prefix: u8 },
    /// The agency already holds the most blocks of this kind its kind allows.
    BlockLimitReached { max: i64 },
    /// An address range overlaps one already configured (`cidr`).
    Overlaps { cidr: String },
    /// A document (or responsible person) the step needs is missing.
    MissingDocument { document: &'static str },
    /// Services of the agency still active or pending, named.
    ServicesRemain { services: String },
    /// The agency's adhesion is not approved (`status`, an adhesion status
    /// code): no new orders.
    AdhesionNotApproved { status: &'static str },
}

impl Rule {
    /// A stable code for machines (the API's `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::InvalidCnpj => "invalid_cnpj",
            Rule::InvalidCpf => "invalid_cpf",
            Rule::SharesMustSumTo100 { .. } => "shares_must_sum_to_100",
            Rule::OutOfRange { .. } => "out_of_range",
            Rule::DatesOutOfOrder => "dates_out_of_order",
            Rule::OneOf(_) => "not_allowed_value",
            Rule::Malformed(_) => "malformed",
            Rule::UnknownMunicipality => "unknown_municipality",
            Rule::OutsideLotRegion => "outside_lot_region",
            Rule::NoPrice => "no_price",
            Rule::ProbeTargetCount { .. } => "probe_target_count",
            Rule::UnknownReference => "unknown_reference",
            Rule::InvalidTransition { .. } => "invalid_transition",
            Rule::Duplicate => "duplicate",
            Rule::OutsideIncident => "outside_incident",
            Rule::NoticeTooShort { .. } => "notice_too_short",
            Rule::MonthClosed { .. } => "month_closed",
            Rule::Other(_) => "invalid",
            Rule::MonthNotEnded { .. } => "month_not_ended",
            Rule::MonthNotClosed { .. } => "month_not_closed",
            Rule::NotBillableInMonth { .. } => "not_billable_in_month",
            Rule::InFuture => "in_future",
            Rule::ScheduleTooSoon { .. } => "schedule_too_soon",
            Rule::AgencyDelinquent => "agency_delinquent",
            Rule::AdhesionPolicy { .. } => "adhesion_policy",
            Rule::ActionNotAllowed { .. } => "action_not_allowed",
            Rule::PendingItemsOpen { .. } => "pending_items_open",
            Rule::DeadlinePassed { .. } => "deadline_passed",
            Rule::PoolExhausted { .. } => "pool_exhausted",
            Rule::BlockLimitReached { .. } => "block_limit_reached",
            Rule::Overlaps { .. } => "overlaps",
            Rule::MissingDocument { .. } => "missing_document",
            Rule::ServicesRemain { .. } => "services_remain",
            Rule::AdhesionNotApproved { .. } => "adhesion_not_approved",
        }
    }

    /// The rule in Brazilian Portuguese, for the portal and the CLI.
    pub fn pt_br(&self) -> String {
        match self {
            Rule::Required => "é obrigatório".into(),
            Rule::InvalidCnpj => "não é um CNPJ válido (dígitos verificadores ou formato)".into(),
            Rule::InvalidCpf => "não é um CPF válido (dígitos verificadores ou formato)".into(),
            Rule::SharesMustSumTo100 { sum_basis_points } => format!(
                "as cotas dos consorciados devem somar exatamente 100 % (somam {})",
                crate::money::format_percent_bp(*sum_basis_points)
            ),
            Rule::OutOfRange { min, max } => format!("deve estar entre {min} e {max}"),
            Rule::DatesOutOfOrder => "a data final deve ser posterior à inicial".into(),
            Rule::OneOf(values) => format!("deve ser um de: {}", values.join(", ")),
            Rule::Malformed(expected) => format!("formato inválido (esperado: {expected})"),
            Rule::UnknownMunicipality => "código IBGE de município inexistente".into(),
            Rule::OutsideLotRegion => "o município do endereço está fora da região do lote".into(),
            Rule::NoPrice => "não há preço na tabela do lote para este serviço, velocidade e área; \
                 informe o preço mensal"
                .into(),
            Rule::ProbeTargetCount { expected } => {
                format!("a redundância escolhida exige {expected} endereço(s) de monitoramento")
            }
            Rule::UnknownReference => "não existe (ou não está no seu escopo)".into(),
            Rule::InvalidTransition { from, to } => {
                format!("transição não permitida: de {from} para {to}")
            }
            Rule::Duplicate => "já existe um registro com este valor".into(),
            Rule::OutsideIncident => "deve estar dentro do período do chamado".into(),
            Rule::NoticeTooShort { hours } => {
                format!("a janela de manutenção deve ser comunicada com pelo menos {hours} h de antecedência")
            }
            Rule::MonthClosed { month } => {
                format!("o mês {month} já foi fechado; corrija com um ajuste em um mês aberto")
            }
            Rule::Other(text) => text.clone(),
            Rule::MonthNotEnded { month } => {
                format!("o mês {month} ainda não terminou; só pode ser fechado depois do seu último dia")
            }
            Rule::MonthNotClosed { month } => {
                format!(
                    "o mês {month} ainda não foi fechado; ajustes, faturas e violações citadas referem-se a meses fechados"
                )
            }
            Rule::NotBillableInMonth { month } => {
                format!("o acesso não foi faturado em {month} (não estava ativo no mês)")
            }
            Rule::InFuture => "não pode estar no futuro".into(),
            Rule::ScheduleTooSoon { hours } => {
                format!("o agendamento deve ser feito com pelo menos {hours} h de antecedência")
            }
            Rule::AgencyDelinquent => {
                "o órgão está inadimplente: novas ordens não podem ser validadas até a regularização".into()
            }
            Rule::AdhesionPolicy { rule } => format!("a política de adesão não permite: {rule}"),
            Rule::ActionNotAllowed { action, status } => {
                format!("a ação {action} não é permitida na situação {status}")
            }
            Rule::PendingItemsOpen { party } => {
                let who = if *party == "agency" { "do órgão" } else { "da operadora" };
                format!("há pendências {who} em aberto; resolva-as antes")
            }
            Rule::DeadlinePassed { due_on } => {
                format!("o prazo terminou em {}", due_on.format("%d/%m/%Y"))
            }
            Rule::PoolExhausted { prefix } => {
                format!("não há bloco /{prefix} livre no pool; libere blocos ou use outro pool")
            }
            Rule::BlockLimitReached { max } => {
                format!(
                    "o órgão já tem o máximo de {max} bloco(s) deste tipo; justifique um pedido acima do limite"
                )
            }
            Rule::Overlaps { cidr } => format!("sobrepõe o intervalo já cadastrado {cidr}"),
            Rule::MissingDocument { document } => format!("falta: {document}; providencie antes desta etapa"),
            Rule::ServicesRemain { services } => {
                format!("ainda há serviços ativos ou pendentes, que devem ser cancelados antes: {services}")
            }
            Rule::AdhesionNotApproved { status } => format!(
                "a adesão do órgão não está aprovada (situação: {}); novas ordens não podem ser validadas",
                crate::adhesion::AdhesionStatus::parse("status", status).map(|s| s.label()).unwrap_or(status)
            ),
        }
    }

    /// The rule in English, for API messages and logs.
    pub fn en(&self) -> String {
        match self {
            Rule::Required => "is required".into(),
            Rule::InvalidCnpj => "is not a valid CNPJ (check digits or format)".into(),
            Rule::InvalidCpf => "is not a valid CPF (check digits or format)".into(),
            Rule::SharesMustSumTo100 { sum_basis_points } => format!(
                "member shares must sum to exactly 100 % (they sum to {})",
                crate::money::format_percent_bp(*sum_basis_points)
            ),
            Rule::OutOfRange { min, max } => format!("must be between {min} and {max}"),
            Rule::DatesOutOfOrder => "the end must come after the start".into(),
            Rule::OneOf(values) => format!("must be one of: {}", values.join(", ")),
            Rule::Malformed(expected) => format!("is malformed (expected {expected})"),
            Rule::UnknownMunicipality => "is not an IBGE municipality code".into(),
            Rule::OutsideLotRegion => "the site's municipality is outside the lot's region".into(),
            Rule::NoPrice => "the lot's price table has no price for this service, bandwidth and \
                 area; give monthly_price_centavos"
                .into(),
            Rule::ProbeTargetCount { expected } => {
                format!("this redundancy needs exactly {expected} probe target(s)")
            }
            Rule::UnknownReference => "does not exist (or is outside your scope)".into(),
            Rule::InvalidTransition { from, to } => {
                format!("transition not allowed: from {from} to {to}")
            }
            Rule::Duplicate => "is already taken".into(),
            Rule::OutsideIncident => "must lie inside the incident".into(),
            Rule::NoticeTooShort { hours } => {
                format!("a maintenance window must be announced at least {hours} h ahead")
            }
            Rule::MonthClosed { month } => {
                format!("month {month} is closed; correct it with an adjustment in an open month")
            }
            Rule::Other(text) => text.clone(),
            Rule::MonthNotEnded { month } => {
                format!("month {month} has not ended yet; it can be closed after its last day")
            }
            Rule::MonthNotClosed { month } => {
                format!("month {month} is not closed; an adjustment corrects a closed month")
            }
            Rule::NotBillableInMonth { month } => {
                format!("the access was not billed in {month} (it was not active in the month)")
            }
            Rule::InFuture => "must not be in the future".into(),
            Rule::ScheduleTooSoon { hours } => format!("must be scheduled at least {hours} h ahead"),
            Rule::AgencyDelinquent => {
                "the agency is delinquent: its new orders cannot be validated until it is settled".into()
            }
            Rule::AdhesionPolicy { rule } => format!("the adhesion policy does not allow it: {rule}"),
            Rule::ActionNotAllowed { action, status } => {
                format!("action {action} is not allowed in status {status}")
            }
            Rule::PendingItemsOpen { party } => format!("pending items of the {party} are still open"),
            Rule::DeadlinePassed { due_on } => format!("the deadline ended on {}", due_on.format("%Y-%m-%d")),
            Rule::PoolExhausted { prefix } => format!("no free /{prefix} block is left in the pool"),
            Rule::BlockLimitReached { max } => {
                format!("the agency already holds the most blocks of this kind its kind allows ({max})")
            }
            Rule::Overlaps { cidr } => format!("overlaps the range already configured {cidr}"),
            Rule::MissingDocument { document } => format!("{document} is missing; attach it first"),
            Rule::ServicesRemain { services } => {
                format!("services still active or pending must be cancelled first: {services}")
            }
            Rule::AdhesionNotApproved { status } => {
                format!(
                    "the agency's adhesion is not approved (status {status}); no new orders are validated"
                )
            }
        }
    }
}

/// A bad input: the field it concerns and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FieldError {
    pub field: String,
    pub rule: Rule,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: Rule) -> Self {
        FieldError { field: field.into(), rule }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule.en())
    }
}

/// Shorthand for a validation result.
pub type Valid<T> = Result<T, FieldError>;

/// Fails with [`Rule::Required`] when `value` is blank; returns it trimmed.
pub fn required(field: &str, value: &str) -> Valid<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() { Err(FieldError::new(field, Rule::Required)) } else { Ok(trimmed.to_string()) }
}
