//! Service orders (DOMAIN §4): the ten order types and what each needs, the
//! life cycle as one transition function with the role allowed for every
//! action, the operator's deadline (per type and area, in calendar or
//! business days, paused while the agency has pending items), lateness, the
//! order settings and the adhesion policies that limit what an agency of a
//! kind may order.
//!
//! Everything here is pure: the app layer loads the order, the settings,
//! the calendar and the agency's accesses, calls these functions with the
//! current time, and writes what they return.

use crate::calendar::{Calendar, DayUnit};
use crate::error::{FieldError, Rule, Valid, required};
use crate::ids::{AccessId, AgencyId, LotId, OrderId, PendingItemId, SiteId, UserId};
use crate::inventory::{AgencyKind, Area, Redundancy, Technology, code_enum};
use crate::role::Role;
use crate::time::{Timestamp, to_network_date};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

code_enum!(
    /// What an order asks for.
    OrderType {
        NewAccess = "new_access" / "Novo acesso",
        Deactivation = "deactivation" / "Desativação",
        Reconfiguration = "reconfiguration" / "Reconfiguração (velocidade)",
        AddressChange = "address_change" / "Mudança de endereço",
        AddressCorrection = "address_correction" / "Correção de endereço",
        OwnershipTransfer = "ownership_transfer" / "Transferência de titularidade",
        CpeConfigChange = "cpe_config_change" / "Alteração de configuração do CPE",
        CpeRelocation = "cpe_relocation" / "Remanejamento do CPE",
        SecurityRuleChange = "security_rule_change" / "Regra de segurança (bloqueio/desbloqueio)",
        Migration = "migration" / "Migração da rede legada",
    }
);

code_enum!(
    /// Where an order is in its life cycle.
    OrderStatus {
        Draft = "draft" / "Rascunho",
        Submitted = "submitted" / "Aguardando validação",
        ReturnedForCorrection = "returned_for_correction" / "Devolvida para correção",
        SentToOperator = "sent_to_operator" / "Enviada à operadora",
        SurveyScheduled = "survey_scheduled" / "Vistoria agendada",
        SurveyDone = "survey_done" / "Vistoria realizada",
        InExecution = "in_execution" / "Em execução",
        Executed = "executed" / "Executada (aguardando aceite técnico)",
        AwaitingAgencyAcceptance = "awaiting_agency_acceptance" / "Aguardando aceite do órgão",
        Completed = "completed" / "Concluída",
        Cancelled = "cancelled" / "Cancelada",
    }
);

code_enum!(
    /// What someone does to an order. Each action is one transition.
    Action {
        Submit = "submit" / "Enviar",
        Validate = "validate" / "Validar",
        Return = "return" / "Devolver para correção",
        ScheduleSurvey = "schedule_survey" / "Agendar vistoria",
        ReportSurvey = "report_survey" / "Registrar vistoria",
        ScheduleInstallation = "schedule_installation" / "Agendar instalação",
        StartExecution = "start_execution" / "Iniciar execução",
        ReportExecution = "report_execution" / "Informar execução",
        AcceptTechnical = "accept_technical" / "Aceite técnico",
        RejectTechnical = "reject_technical" / "Rejeitar execução",
        Accept = "accept" / "Aceitar",
        Refuse = "refuse" / "Recusar",
        TacitAccept = "tacit_accept" / "Aceite tácito",
        Cancel = "cancel" / "Cancelar",
    }
);

code_enum!(
    /// Who must resolve a pending item of a survey.
    Party {
        Agency = "agency" / "Órgão",
        Operator = "operator" / "Operadora",
    }
);

code_enum!(
    /// A security rule change blocks or unblocks traffic.
    SecurityChange {
        Block = "block" / "Bloqueio",
        Unblock = "unblock" / "Desbloqueio",
    }
);

impl OrderStatus {
    /// Completed and cancelled orders never change again.
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Cancelled)
    }

    /// Whether the operator's deadline clock runs in this status: from the
    /// order's sending to the operator until its execution is reported.
    pub fn operator_clock_runs(self) -> bool {
        matches!(
            self,
            OrderStatus::SentToOperator
                | OrderStatus::SurveyScheduled
                | OrderStatus::SurveyDone
                | OrderStatus::InExecution
        )
    }
}

impl OrderStatus {
    /// The TMF641 Service Ordering state this status maps to (`paused`:
    /// an agency pending item holds the order).
    pub fn tmf641(self, paused: bool) -> &'static str {
        use OrderStatus::*;
        match self {
            _ if paused && !self.is_final() => "held",
            Draft | Submitted => "acknowledged",
            ReturnedForCorrection | AwaitingAgencyAcceptance => "pending",
            SentToOperator | SurveyScheduled | SurveyDone | InExecution | Executed => "inProgress",
            Completed => "completed",
            Cancelled => "cancelled",
        }
    }
}

impl OrderType {
    /// The TMF641 order item action: an activation adds a service, a
    /// deactivation deletes it, everything else modifies it.
    pub fn tmf641_action(self) -> &'static str {
        match self {
            OrderType::NewAccess | OrderType::Migration => "add",
            OrderType::Deactivation => "delete",
            _ => "modify",
        }
    }

    /// Whether the order creates a new access (it names a site and a lot
    /// instead of an existing access).
    pub fn creates_access(self) -> bool {
        matches!(self, OrderType::NewAccess | OrderType::Migration)
    }
}

/// What a new access (or a migrated one) will be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessSpec {
    pub site_id: SiteId,
    pub lot_id: LotId,
    pub service: String,
    pub bandwidth_mbps: i64,
    pub redundancy: Redundancy,
    pub technology: Technology,
}

/// The fields each order type needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OrderSpec {
    NewAccess {
        #[serde(flatten)]
        access: AccessSpec,
    },
    Deactivation {
        access_id: AccessId,
    },
    /// A new bandwidth (and optionally another service) for an access.
    Reconfiguration {
        access_id: AccessId,
        bandwidth_mbps: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service: Option<String>,
    },
    /// The access moves to another site of the same agency: an activation
    /// there, then the deactivation of the old one once the new is accepted.
    AddressChange {
        access_id: AccessId,
        new_site_id: SiteId,
    },
    /// The access's site address was recorded wrongly.
    AddressCorrection {
        access_id: AccessId,
        address: String,
    },
    /// The access passes to another agency, at one of its sites.
    OwnershipTransfer {
        access_id: AccessId,
        to_agency_id: AgencyId,
        to_site_id: SiteId,
    },
    CpeConfigChange {
        access_id: AccessId,
        description: String,
    },
    /// The CPE moves inside the same address.
    CpeRelocation {
        access_id: AccessId,
        description: String,
    },
    SecurityRuleChange {
        access_id: AccessId,
        change: SecurityChange,
        description: String,
    },
    /// A circuit of the legacy network becomes an access of this contract.
    Migration {
        legacy_circuit: String,
        #[serde(flatten)]
        access: AccessSpec,
    },
}

impl OrderSpec {
    pub fn order_type(&self) -> OrderType {
        match self {
            OrderSpec::NewAccess { .. } => OrderType::NewAccess,
            OrderSpec::Deactivation { .. } => OrderType::Deactivation,
            OrderSpec::Reconfiguration { .. } => OrderType::Reconfiguration,
            OrderSpec::AddressChange { .. } => OrderType::AddressChange,
            OrderSpec::AddressCorrection { .. } => OrderType::AddressCorrection,
            OrderSpec::OwnershipTransfer { .. } => OrderType::OwnershipTransfer,
            OrderSpec::CpeConfigChange { .. } => OrderType::CpeConfigChange,
            OrderSpec::CpeRelocation { .. } => OrderType::CpeRelocation,
            OrderSpec::SecurityRuleChange { .. } => OrderType::SecurityRuleChange,
            OrderSpec::Migration { .. } => OrderType::Migration,
        }
    }

    /// The existing access the order is about, if any.
    pub fn access_id(&self) -> Option<AccessId> {
        match self {
            OrderSpec::NewAccess { .. } | OrderSpec::Migration { .. } => None,
            OrderSpec::Deactivation { access_id }
            | OrderSpec::Reconfiguration { access_id, .. }
            | OrderSpec::AddressChange { access_id, .. }
            | OrderSpec::AddressCorrection { access_id, .. }
            | OrderSpec::OwnershipTransfer { access_id, .. }
            | OrderSpec::CpeConfigChange { access_id, .. }
            | OrderSpec::CpeRelocation { access_id, .. }
            | OrderSpec::SecurityRuleChange { access_id, .. } => Some(*access_id),
        }
    }

    /// The access to be created, for the types that create one.
    pub fn new_access(&self) -> Option<&AccessSpec> {
        match self {
            OrderSpec::NewAccess { access } | OrderSpec::Migration { access, .. } => Some(access),
            _ => None,
        }
    }

    /// Checks what needs no database: required texts, bandwidth range;
    /// returns the spec with its texts trimmed and services upper-cased.
    pub fn validate(self) -> Valid<OrderSpec> {
        fn access(mut a: AccessSpec) -> Valid<AccessSpec> {
            a.service = required("service", &a.service)?.to_uppercase();
            bandwidth("bandwidth_mbps", a.bandwidth_mbps)?;
            Ok(a)
        }
        Ok(match self {
            OrderSpec::NewAccess { access: a } => OrderSpec::NewAccess { access: access(a)? },
            OrderSpec::Migration { legacy_circuit, access: a } => OrderSpec::Migration {
                legacy_circuit: required("legacy_circuit", &legacy_circuit)?,
                access: access(a)?,
            },
            OrderSpec::Reconfiguration { access_id, bandwidth_mbps, service } => {
                bandwidth("bandwidth_mbps", bandwidth_mbps)?;
                let service = match service {
                    Some(s) if !s.trim().is_empty() => Some(s.trim().to_uppercase()),
                    _ => None,
                };
                OrderSpec::Reconfiguration { access_id, bandwidth_mbps, service }
            }
            OrderSpec::AddressCorrection { access_id, address } => {
                OrderSpec::AddressCorrection { access_id, address: required("address", &address)? }
            }
            OrderSpec::CpeConfigChange { access_id, description } => {
                OrderSpec::CpeConfigChange { access_id, description: required("description", &description)? }
            }
            OrderSpec::CpeRelocation { access_id, description } => {
                OrderSpec::CpeRelocation { access_id, description: required("description", &description)? }
            }
            OrderSpec::SecurityRuleChange { access_id, change, description } => {
                OrderSpec::SecurityRuleChange {
                    access_id,
                    change,
                    description: required("description", &description)?,
                }
            }
            other @ (OrderSpec::Deactivation { .. }
            | OrderSpec::AddressChange { .. }
            | OrderSpec::OwnershipTransfer { .. }) => other,
        })
    }
}

fn bandwidth(field: &str, mbps: i64) -> Valid<()> {
    if (1..=100_000).contains(&mbps) {
        Ok(())
    } else {
        Err(FieldError::new(field, Rule::OutOfRange { min: 1, max: 100_000 }))
    }
}

/// The deadline of one order type: days in the capital's area and
/// elsewhere, and how they are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRule {
    pub order_type: OrderType,
    pub days_capital: u32,
    pub days_elsewhere: u32,
    pub unit: DayUnit,
}

/// The order settings of the network (DOMAIN §4; values marked [default]
/// there are contract-dependent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSettings {
    /// Whether the network manager validates (or returns) a submitted order
    /// before it goes to the operator.
    pub validation_step: bool,
    /// Days the agency has to accept or refuse an executed order; silence is
    /// tacit acceptance.
    pub acceptance_days: u32,
    pub acceptance_unit: DayUnit,
    /// A reminder goes out this many days before the due date.
    pub reminder_days: u32,
    /// Minimum notice for a survey or installation visit, in hours.
    pub schedule_notice_hours: i64,
    pub deadlines: Vec<DeadlineRule>,
}

impl Default for OrderSettings {
    fn default() -> Self {
        use DayUnit::{Business, Calendar};
        use OrderType::*;
        let rule = |order_type, days_capital, days_elsewhere, unit| DeadlineRule {
            order_type,
            days_capital,
            days_elsewhere,
            unit,
        };
        OrderSettings {
            validation_step: true,
            acceptance_days: 10,
            acceptance_unit: Calendar,
            reminder_days: 5,
            schedule_notice_hours: 48,
            deadlines: vec![
                rule(NewAccess, 45, 60, Calendar),
                rule(Deactivation, 15, 15, Calendar),
                rule(Reconfiguration, 30, 30, Calendar),
                rule(AddressChange, 45, 60, Calendar),
                rule(AddressCorrection, 5, 5, Business),
                rule(OwnershipTransfer, 15, 15, Calendar),
                rule(CpeConfigChange, 5, 5, Business),
                rule(CpeRelocation, 5, 5, Business),
                rule(SecurityRuleChange, 2, 2, Business),
                rule(Migration, 45, 60, Calendar),
            ],
        }
    }
}

impl OrderSettings {
    /// Checks that every type has exactly one deadline and the numbers make
    /// sense, naming the field that does not.
    pub fn validate(&self) -> Valid<()> {
        let range = |field: String, v: i64, min: i64, max: i64| {
            if (min..=max).contains(&v) {
                Ok(())
            } else {
                Err(FieldError::new(field, Rule::OutOfRange { min, max }))
            }
        };
        range("acceptance_days".into(), i64::from(self.acceptance_days), 1, 365)?;
        range("reminder_days".into(), i64::from(self.reminder_days), 0, 60)?;
        range("schedule_notice_hours".into(), self.schedule_notice_hours, 0, 720)?;
        for (i, r) in self.deadlines.iter().enumerate() {
            range(format!("deadlines[{i}].days_capital"), i64::from(r.days_capital), 1, 365)?;
            range(format!("deadlines[{i}].days_elsewhere"), i64::from(r.days_elsewhere), 1, 365)?;
            if self.deadlines[..i].iter().any(|o| o.order_type == r.order_type) {
                return Err(FieldError::new(format!("deadlines[{i}].order_type"), Rule::Duplicate));
            }
        }
        for t in OrderType::ALL {
            if !self.deadlines.iter().any(|r| r.order_type == *t) {
                return Err(FieldError::new(format!("deadlines.{t}"), Rule::Required));
            }
        }
        Ok(())
    }

    /// The deadline of an order of `order_type` at a site in `area`: the
    /// capital's days in the capital, the other days elsewhere.
    pub fn deadline(&self, order_type: OrderType, area: Area) -> (u32, DayUnit) {
        let fallback =
            DeadlineRule { order_type, days_capital: 60, days_elsewhere: 60, unit: DayUnit::Calendar };
        let r = self.deadlines.iter().find(|r| r.order_type == order_type).unwrap_or(&fallback);
        let days = if area == Area::Capital { r.days_capital } else { r.days_elsewhere };
        (days, r.unit)
    }
}

/// Who acts: a user with a role, or the system's scheduled jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    User(Role),
    System,
}

/// A pending item recorded by a survey, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingDraft {
    pub party: Party,
    pub description: String,
}

/// An action with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Submit,
    Validate,
    Return {
        reason: String,
    },
    ScheduleSurvey {
        at: Timestamp,
    },
    ReportSurvey {
        report: String,
        pending: Vec<PendingDraft>,
    },
    ScheduleInstallation {
        at: Timestamp,
    },
    StartExecution,
    /// The operator's technical report; for an order that creates an access,
    /// the probe targets of the installed links.
    ReportExecution {
        report: String,
        probe_targets: Vec<String>,
    },
    AcceptTechnical,
    RejectTechnical {
        reason: String,
    },
    Accept,
    Refuse {
        reason: String,
    },
    TacitAccept,
    Cancel {
        reason: String,
    },
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Submit => Action::Submit,
            Command::Validate => Action::Validate,
            Command::Return { .. } => Action::Return,
            Command::ScheduleSurvey { .. } => Action::ScheduleSurvey,
            Command::ReportSurvey { .. } => Action::ReportSurvey,
            Command::ScheduleInstallation { .. } => Action::ScheduleInstallation,
            Command::StartExecution => Action::StartExecution,
            Command::ReportExecution { .. } => Action::ReportExecution,
            Command::AcceptTechnical => Action::AcceptTechnical,
            Command::RejectTechnical { .. } => Action::RejectTechnical,
            Command::Accept => Action::Accept,
            Command::Refuse { .. } => Action::Refuse,
            Command::TacitAccept => Action::TacitAccept,
            Command::Cancel { .. } => Action::Cancel,
        }
    }
}

impl Action {
    /// The roles that may take this action (the system alone takes tacit
    /// acceptance). Scope — own agency, own lot — is checked by the caller.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::Submit => &[Admin, NetworkManager, AgencyManager],
            Action::Validate | Action::Return | Action::AcceptTechnical | Action::RejectTechnical => {
                &[Admin, NetworkManager]
            }
            Action::ScheduleSurvey
            | Action::ReportSurvey
            | Action::ScheduleInstallation
            | Action::StartExecution
            | Action::ReportExecution => &[Admin, Operator],
            Action::Accept | Action::Refuse => &[Admin, AgencyManager],
            Action::TacitAccept => &[],
            Action::Cancel => &[Admin, NetworkManager, AgencyManager],
        }
    }

    /// The statuses this action may be taken in.
    pub fn from_statuses(self) -> &'static [OrderStatus] {
        use OrderStatus::*;
        match self {
            Action::Submit => &[Draft, ReturnedForCorrection],
            Action::Validate | Action::Return => &[Submitted],
            Action::ScheduleSurvey => &[SentToOperator, SurveyScheduled],
            Action::ReportSurvey => &[SurveyScheduled],
            Action::ScheduleInstallation => &[SentToOperator, SurveyDone, InExecution],
            Action::StartExecution => &[SentToOperator, SurveyDone],
            Action::ReportExecution => &[InExecution],
            Action::AcceptTechnical | Action::RejectTechnical => &[Executed],
            Action::Accept | Action::Refuse | Action::TacitAccept => &[AwaitingAgencyAcceptance],
            Action::Cancel => &[
                Draft,
                Submitted,
                ReturnedForCorrection,
                SentToOperator,
                SurveyScheduled,
                SurveyDone,
                InExecution,
                Executed,
                AwaitingAgencyAcceptance,
            ],
        }
    }

    /// Whether the action is the agency's own cancellation, which is only
    /// allowed before the order reaches the operator.
    fn agency_may_cancel_in(status: OrderStatus) -> bool {
        matches!(status, OrderStatus::Draft | OrderStatus::Submitted | OrderStatus::ReturnedForCorrection)
    }

    /// The actions `by` may take on an order in `status` (for the portal's
    /// buttons and the API's `allowed_actions`).
    pub fn available(status: OrderStatus, by: By) -> Vec<Action> {
        Action::ALL.iter().copied().filter(|a| a.permits(status, by)).collect()
    }

    fn permits(self, status: OrderStatus, by: By) -> bool {
        if !self.from_statuses().contains(&status) {
            return false;
        }
        match by {
            By::System => self == Action::TacitAccept,
            By::User(role) => {
                self.roles().contains(&role)
                    && !(self == Action::Cancel
                        && role == Role::AgencyManager
                        && !Action::agency_may_cancel_in(status))
            }
        }
    }
}

/// What the transition function needs to know of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderView {
    pub status: OrderStatus,
    pub order_type: OrderType,
    pub open_agency_items: usize,
    pub open_operator_items: usize,
}

/// A transition that was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub action: Action,
    pub from: OrderStatus,
    pub to: OrderStatus,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The actor's role may not take this action (in this status).
    #[error("role may not take action {action} in status {status}")]
    Forbidden { action: Action, status: OrderStatus },
    /// The action is not one of the status's, or its input is wrong.
    #[error(transparent)]
    Invalid(#[from] FieldError),
}

/// The one transition function of the order life cycle: checks that `by`
/// may take the command's action in the order's status and that its input
/// is acceptable at `now`, and returns the status the order moves to.
pub fn transition(
    order: &OrderView,
    command: &Command,
    by: By,
    settings: &OrderSettings,
    now: Timestamp,
) -> Result<Step, TransitionError> {
    use OrderStatus::*;
    let action = command.action();
    let from = order.status;
    // A role that never takes this action is told so whatever the status;
    // one that may is told when the status does not allow it.
    let role_takes_it = match by {
        By::System => action == Action::TacitAccept,
        By::User(role) => action.roles().contains(&role),
    };
    if !role_takes_it {
        return Err(TransitionError::Forbidden { action, status: from });
    }
    if !action.from_statuses().contains(&from) {
        return Err(FieldError::new(
            "action",
            Rule::ActionNotAllowed { action: action.as_str(), status: from.as_str() },
        )
        .into());
    }
    if !action.permits(from, by) {
        return Err(TransitionError::Forbidden { action, status: from });
    }
    let notice = |at: &Timestamp| {
        if *at < now + chrono::Duration::hours(settings.schedule_notice_hours) {
            Err(FieldError::new("at", Rule::ScheduleTooSoon { hours: settings.schedule_notice_hours }))
        } else {
            Ok(())
        }
    };
    let to = match command {
        Command::Submit if settings.validation_step => Submitted,
        Command::Submit | Command::Validate => SentToOperator,
        Command::Return { reason } | Command::Cancel { reason } => {
            required("reason", reason)?;
            if action == Action::Return { ReturnedForCorrection } else { Cancelled }
        }
        Command::ScheduleSurvey { at } => {
            notice(at)?;
            SurveyScheduled
        }
        Command::ReportSurvey { report, pending } => {
            required("report", report)?;
            for (i, p) in pending.iter().enumerate() {
                required(&format!("pending[{i}].description"), &p.description)?;
            }
            SurveyDone
        }
        Command::ScheduleInstallation { at } => {
            notice(at)?;
            InExecution
        }
        Command::StartExecution => InExecution,
        Command::ReportExecution { report, .. } => {
            required("report", report)?;
            if order.open_operator_items > 0 {
                return Err(FieldError::new("pending", Rule::PendingItemsOpen { party: "operator" }).into());
            }
            Executed
        }
        Command::AcceptTechnical => AwaitingAgencyAcceptance,
        Command::RejectTechnical { reason } | Command::Refuse { reason } => {
            required("reason", reason)?;
            InExecution
        }
        Command::Accept | Command::TacitAccept => Completed,
    };
    Ok(Step { action, from, to })
}

/// A span during which the operator's clock was paused (an agency pending
/// item open from `from` to `to`, or still open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub from: Timestamp,
    pub to: Option<Timestamp>,
}

/// The operator's deadline of an order at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// The day the clock started (the order went to the operator).
    pub started_on: NaiveDate,
    pub days: u32,
    pub unit: DayUnit,
    /// Days added for the agency's pending items, in the deadline's unit.
    pub paused_days: u32,
    /// Whether an agency pending item is open now.
    pub paused_now: bool,
    /// The last day the operator has (art. 66 counting, extended by the pauses).
    pub due_on: NaiveDate,
}

/// The deadline of an order sent to the operator at `sent_at`, with `days`
/// in `unit`, paused during `pauses` (an open pause counts up to `now`).
/// A pause extends the deadline by the whole days (or business days) from
/// the day it began to the day it ended; overlapping pauses count once.
pub fn deadline(
    calendar: &Calendar,
    sent_at: Timestamp,
    days: u32,
    unit: DayUnit,
    pauses: &[Pause],
    now: Timestamp,
) -> Deadline {
    let started_on = to_network_date(sent_at);
    let mut spans: Vec<(Timestamp, Timestamp)> =
        pauses.iter().map(|p| (p.from, p.to.unwrap_or(now).max(p.from))).collect();
    spans.sort();
    let mut merged: Vec<(Timestamp, Timestamp)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let paused_days: u32 = merged
        .iter()
        .map(|(a, b)| {
            let (a, b) = (to_network_date(*a), to_network_date(*b));
            match unit {
                DayUnit::Calendar => u32::try_from((b - a).num_days()).unwrap_or(0),
                DayUnit::Business => calendar.business_days_between(a, b),
            }
        })
        .sum();
    let paused_now = pauses.iter().any(|p| p.to.is_none());
    let due_on = calendar.due(started_on, days + paused_days, unit);
    Deadline { started_on, days, unit, paused_days, paused_now, due_on }
}

/// How late a delivery on `delivered_on` was against `due_on`, in the
/// deadline's unit (0 when on time).
pub fn days_late(calendar: &Calendar, due_on: NaiveDate, delivered_on: NaiveDate, unit: DayUnit) -> u32 {
    match unit {
        DayUnit::Calendar => u32::try_from((delivered_on - due_on).num_days()).unwrap_or(0),
        DayUnit::Business => calendar.business_days_between(due_on, delivered_on),
    }
}

/// How an open order stands against its due date today, for highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Urgency {
    /// More than the reminder days left.
    OnTime { days_left: i64 },
    /// Due within the reminder days (or today).
    DueSoon { days_left: i64 },
    /// Past the due date by this many calendar days.
    Late { days: i64 },
}

impl Urgency {
    pub fn of(due_on: NaiveDate, today: NaiveDate, reminder_days: u32) -> Urgency {
        let left = (due_on - today).num_days();
        if left < 0 {
            Urgency::Late { days: -left }
        } else if left <= i64::from(reminder_days) {
            Urgency::DueSoon { days_left: left }
        } else {
            Urgency::OnTime { days_left: left }
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Urgency::OnTime { .. } => "on_time",
            Urgency::DueSoon { .. } => "due_soon",
            Urgency::Late { .. } => "late",
        }
    }
}

/// A service order as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: OrderId,
    /// Unique and human-readable: `OS-2026-000123`.
    pub number: String,
    pub order_type: OrderType,
    pub status: OrderStatus,
    pub agency_id: AgencyId,
    pub lot_id: LotId,
    /// Where the service is (the new site of an activation or address change).
    pub site_id: SiteId,
    /// The access concerned; for an activation, set when it is completed.
    pub access_id: Option<AccessId>,
    pub spec: OrderSpec,
    /// The site's price area, which chose the deadline.
    pub area: Area,
    pub deadline_days: u32,
    pub deadline_unit: DayUnit,
    pub sent_at: Option<Timestamp>,
    pub due_on: Option<NaiveDate>,
    pub paused_days: u32,
    pub survey_at: Option<Timestamp>,
    pub installation_at: Option<Timestamp>,
    pub executed_at: Option<Timestamp>,
    /// The day the execution that was accepted was reported: what lateness
    /// is counted on.
    pub delivered_on: Option<NaiveDate>,
    pub late_days: Option<u32>,
    pub technical_report: String,
    pub probe_targets: Vec<String>,
    pub acceptance_due_on: Option<NaiveDate>,
    pub completed_at: Option<Timestamp>,
    /// Completed by tacit acceptance (the agency did not answer in time).
    pub tacit: bool,
    /// An address change's deactivation names the activation it follows.
    pub linked_order_id: Option<OrderId>,
    pub reminded_at: Option<Timestamp>,
    pub late_notified_at: Option<Timestamp>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Order {
    /// How the order stands against its due date on `today`, while the
    /// operator has not delivered it (no urgency otherwise).
    pub fn urgency(&self, today: NaiveDate, reminder_days: u32) -> Option<Urgency> {
        match (self.due_on, self.delivered_on) {
            (Some(due), None) if !self.status.is_final() => Some(Urgency::of(due, today, reminder_days)),
            _ => None,
        }
    }

    /// The first day on which the order counts as late — the day after its
    /// due date — while it is open and undelivered, or for good once it was
    /// delivered late; `None` when it never is (no due date yet, delivered
    /// on time, or closed undelivered). "Late on `d`" is `late_from <= d`,
    /// which the store indexes.
    pub fn late_from(&self) -> Option<NaiveDate> {
        let due = self.due_on?;
        let late = match self.delivered_on {
            None => !self.status.is_final(),
            Some(_) => self.late_days.unwrap_or(0) > 0,
        };
        late.then(|| due + chrono::Days::new(1))
    }
}

/// One entry of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderEvent {
    pub at: Timestamp,
    pub user_id: Option<UserId>,
    pub login: String,
    /// An [`Action`] code, or `create`, `pending_resolved`, `reminder`…
    pub action: String,
    pub from_status: Option<OrderStatus>,
    pub to_status: OrderStatus,
    pub note: String,
}

/// A pending item of a survey: who must resolve it and whether it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingItem {
    pub id: PendingItemId,
    pub order_id: OrderId,
    pub party: Party,
    pub description: String,
    pub created_at: Timestamp,
    pub created_by: Option<UserId>,
    pub resolved_at: Option<Timestamp>,
    pub resolved_by: Option<UserId>,
}

impl PendingItem {
    /// The span an agency item paused the clock (none for the operator's).
    pub fn pause(&self) -> Option<Pause> {
        (self.party == Party::Agency).then_some(Pause { from: self.created_at, to: self.resolved_at })
    }
}

/// Formats an order number: `OS-2026-000123`.
pub fn order_number(year: i32, seq: i64) -> String {
    format!("OS-{year}-{seq:06}")
}

/// What an agency of some kind may have (DOMAIN §4, last bullet): limits
/// per service, kept as data per agency kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdhesionPolicy {
    pub kind: AgencyKind,
    /// The services an agency of this kind may order; empty: any.
    pub services: Vec<ServiceLimit>,
    /// A service the agency must have (or be ordering) before any other.
    #[serde(default)]
    pub required_service: Option<String>,
}

/// Limits on the accesses of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceLimit {
    pub service: String,
    /// How the contract calls this kind of link (intranet, internet).
    pub label: String,
    pub max_links: Option<u32>,
    pub max_bandwidth_mbps: Option<i64>,
    pub redundancy_allowed: bool,
}

/// An access the agency has or has ordered, for the policy check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub service: String,
    pub bandwidth_mbps: i64,
    pub redundancy: Redundancy,
}

impl AdhesionPolicy {
    /// The São Paulo municipalities' policy (seed 002): intranet (SCM) at
    /// most 20 links of at most 16 Mbps without redundancy; internet (SAI or
    /// STI) at most one link of at most 16 Mbps; SCM is mandatory.
    pub fn sp_municipality() -> AdhesionPolicy {
        let limit = |service: &str, label: &str, max_links| ServiceLimit {
            service: service.into(),
            label: label.into(),
            max_links: Some(max_links),
            max_bandwidth_mbps: Some(16),
            redundancy_allowed: false,
        };
        AdhesionPolicy {
            kind: AgencyKind::Municipality,
            services: vec![
                limit("SCM", "intranet", 20),
                limit("SAI", "internet", 1),
                limit("STI", "internet", 1),
            ],
            required_service: Some("SCM".into()),
        }
    }

    /// Checks that the agency, holding `held` (its active and ordered
    /// accesses, without the one being changed), may have `wanted`. The
    /// refusal names the policy's rule.
    pub fn check(&self, wanted: &Holding, held: &[Holding]) -> Valid<()> {
        let refuse = |field: &str, rule: String| Err(FieldError::new(field, Rule::AdhesionPolicy { rule }));
        if self.services.is_empty() {
            return Ok(());
        }
        let Some(limit) = self.services.iter().find(|l| l.service.eq_ignore_ascii_case(&wanted.service))
        else {
            let allowed: Vec<&str> = self.services.iter().map(|l| l.service.as_str()).collect();
            return refuse(
                "service",
                format!("serviço {} (permitidos: {})", wanted.service, allowed.join(", ")),
            );
        };
        if let Some(req) = &self.required_service
            && !wanted.service.eq_ignore_ascii_case(req)
            && !held.iter().any(|h| h.service.eq_ignore_ascii_case(req))
        {
            return refuse("service", format!("{} sem o serviço obrigatório {req}", wanted.service));
        }
        if let Some(max) = limit.max_bandwidth_mbps
            && wanted.bandwidth_mbps > max
        {
            return refuse("bandwidth_mbps", format!("{} acima de {max} Mbps por link", limit.label));
        }
        if !limit.redundancy_allowed && wanted.redundancy != Redundancy::None {
            return refuse("redundancy", format!("{} com redundância", limit.label));
        }
        if let Some(max) = limit.max_links {
            // Services sharing a label share the limit (SAI and STI are both
            // "internet": one link in all).
            let same = |s: &str| {
                self.services.iter().any(|l| l.label == limit.label && l.service.eq_ignore_ascii_case(s))
            };
            let count = held.iter().filter(|h| same(&h.service)).count();
            if count + 1 > max as usize {
                return refuse("service", format!("{} com mais de {max} link(s)", limit.label));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> Timestamp {
        crate::time::NETWORK_TZ
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("valid")
            .with_timezone(&chrono::Utc)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn view(status: OrderStatus) -> OrderView {
        OrderView { status, order_type: OrderType::NewAccess, open_agency_items: 0, open_operator_items: 0 }
    }

    /// A command of each action, with acceptable input.
    fn command(action: Action, now: Timestamp) -> Command {
        let later = now + chrono::Duration::hours(72);
        match action {
            Action::Submit => Command::Submit,
            Action::Validate => Command::Validate,
            Action::Return => Command::Return { reason: "falta o endereço".into() },
            Action::ScheduleSurvey => Command::ScheduleSurvey { at: later },
            Action::ReportSurvey => Command::ReportSurvey { report: "ok".into(), pending: vec![] },
            Action::ScheduleInstallation => Command::ScheduleInstallation { at: later },
            Action::StartExecution => Command::StartExecution,
            Action::ReportExecution => {
                Command::ReportExecution { report: "instalado".into(), probe_targets: vec![] }
            }
            Action::AcceptTechnical => Command::AcceptTechnical,
            Action::RejectTechnical => Command::RejectTechnical { reason: "sem sinal".into() },
            Action::Accept => Command::Accept,
            Action::Refuse => Command::Refuse { reason: "não funciona".into() },
            Action::TacitAccept => Command::TacitAccept,
            Action::Cancel => Command::Cancel { reason: "desistência".into() },
        }
    }

    /// Every (status, action, actor) triple: allowed exactly when the table
    /// says so; forbidden roles get `Forbidden`, wrong statuses `Invalid`.
    #[test]
    fn every_transition_for_every_role() {
        let now = at(2026, 3, 10, 12);
        let settings = OrderSettings::default();
        let actors: Vec<By> = Role::ALL.iter().map(|r| By::User(*r)).chain([By::System]).collect();
        let mut allowed = 0;
        for status in OrderStatus::ALL {
            for action in Action::ALL {
                for by in &actors {
                    let r = transition(&view(*status), &command(*action, now), *by, &settings, now);
                    let in_status = action.from_statuses().contains(status);
                    let role_takes_it = match by {
                        By::System => *action == Action::TacitAccept,
                        By::User(role) => action.roles().contains(role),
                    };
                    let late_agency_cancel = *action == Action::Cancel
                        && *by == By::User(Role::AgencyManager)
                        && !matches!(
                            status,
                            OrderStatus::Draft | OrderStatus::Submitted | OrderStatus::ReturnedForCorrection
                        );
                    let role_ok = role_takes_it && !late_agency_cancel;
                    match r {
                        Ok(step) => {
                            assert!(in_status && role_ok, "{status} {action} {by:?} allowed");
                            assert_eq!(step.from, *status);
                            allowed += 1;
                        }
                        Err(TransitionError::Forbidden { .. }) => {
                            assert!(
                                !role_takes_it || (in_status && late_agency_cancel),
                                "{status} {action} {by:?}"
                            )
                        }
                        Err(TransitionError::Invalid(e)) => {
                            assert!(role_takes_it && !in_status, "{status} {action} {by:?}: {e}");
                            assert_eq!(e.rule.code(), "action_not_allowed");
                        }
                    }
                    assert_eq!(
                        Action::available(*status, *by).contains(action),
                        in_status && role_ok,
                        "available() agrees for {status} {action} {by:?}"
                    );
                }
            }
        }
        assert!(allowed > 30, "{allowed}");
        for status in [OrderStatus::Completed, OrderStatus::Cancelled] {
            assert!(status.is_final());
            assert!(Action::available(status, By::User(Role::Admin)).is_empty());
        }
    }

    #[test]
    fn the_happy_path_with_and_without_validation() {
        use OrderStatus::*;
        let now = at(2026, 3, 10, 12);
        let mut settings = OrderSettings::default();
        let nm = By::User(Role::NetworkManager);
        let op = By::User(Role::Operator);
        let ag = By::User(Role::AgencyManager);
        let path = [
            (Draft, Action::Submit, ag, Submitted),
            (Submitted, Action::Validate, nm, SentToOperator),
            (SentToOperator, Action::ScheduleSurvey, op, SurveyScheduled),
            (SurveyScheduled, Action::ReportSurvey, op, SurveyDone),
            (SurveyDone, Action::ScheduleInstallation, op, InExecution),
            (InExecution, Action::ReportExecution, op, Executed),
            (Executed, Action::RejectTechnical, nm, InExecution),
            (Executed, Action::AcceptTechnical, nm, AwaitingAgencyAcceptance),
            (AwaitingAgencyAcceptance, Action::Refuse, ag, InExecution),
            (AwaitingAgencyAcceptance, Action::Accept, ag, Completed),
            (AwaitingAgencyAcceptance, Action::TacitAccept, By::System, Completed),
            (Submitted, Action::Return, nm, ReturnedForCorrection),
            (ReturnedForCorrection, Action::Submit, ag, Submitted),
        ];
        for (from, action, by, to) in path {
            let step = transition(&view(from), &command(action, now), by, &settings, now).expect("allowed");
            assert_eq!(step.to, to, "{from} {action}");
        }
        settings.validation_step = false;
        let step = transition(&view(Draft), &Command::Submit, ag, &settings, now).expect("submit");
        assert_eq!(step.to, SentToOperator, "no validation step: straight to the operator");
    }

    #[test]
    fn schedules_need_48_hours_and_reasons_are_required() {
        let now = at(2026, 3, 10, 12);
        let s = OrderSettings::default();
        let op = By::User(Role::Operator);
        let v = view(OrderStatus::SentToOperator);
        let short = Command::ScheduleSurvey { at: now + chrono::Duration::hours(47) };
        let e = transition(&v, &short, op, &s, now).expect_err("47 h");
        assert_eq!(e, TransitionError::Invalid(FieldError::new("at", Rule::ScheduleTooSoon { hours: 48 })));
        let exact = Command::ScheduleInstallation { at: now + chrono::Duration::hours(48) };
        assert!(transition(&v, &exact, op, &s, now).is_ok(), "exactly 48 h is enough");
        let blank = Command::Cancel { reason: "  ".into() };
        let e = transition(&v, &blank, By::User(Role::Admin), &s, now).expect_err("blank");
        assert_eq!(e, TransitionError::Invalid(FieldError::new("reason", Rule::Required)));
        let mut v = view(OrderStatus::InExecution);
        v.open_operator_items = 1;
        let report = Command::ReportExecution { report: "feito".into(), probe_targets: vec![] };
        let e = transition(&v, &report, op, &s, now).expect_err("open items");
        assert_eq!(
            e,
            TransitionError::Invalid(FieldError::new(
                "pending",
                Rule::PendingItemsOpen { party: "operator" }
            ))
        );
    }

    #[test]
    fn deadlines_per_type_and_area() {
        let s = OrderSettings::default();
        assert_eq!(s.deadline(OrderType::NewAccess, Area::Capital), (45, DayUnit::Calendar));
        assert_eq!(s.deadline(OrderType::NewAccess, Area::Interior), (60, DayUnit::Calendar));
        assert_eq!(s.deadline(OrderType::SecurityRuleChange, Area::Capital), (2, DayUnit::Business));
        assert_eq!(s.deadline(OrderType::CpeConfigChange, Area::Metropolitan), (5, DayUnit::Business));
        s.validate().expect("defaults are valid");
        let mut bad = s.clone();
        bad.deadlines.pop();
        assert_eq!(bad.validate(), Err(FieldError::new("deadlines.migration", Rule::Required)));
        let mut bad = s;
        bad.deadlines[0].days_capital = 0;
        assert_eq!(
            bad.validate(),
            Err(FieldError::new("deadlines[0].days_capital", Rule::OutOfRange { min: 1, max: 365 }))
        );
    }

    #[test]
    fn deadlines_across_the_year_end_holidays_and_leap_years() {
        let mg = Calendar::for_state("MG");
        // Sent on 2026-12-23; 10 business days: 24, 28, 29, 30, 31 Dec, then
        // 2, 5, 6, 7, 8 Jan (25 Dec and 1 Jan are holidays).
        let d = deadline(&mg, at(2026, 12, 23, 15), 10, DayUnit::Business, &[], at(2026, 12, 23, 15));
        assert_eq!(d.due_on, date("2027-01-08"));
        // 45 calendar days from 2026-11-15: 2026-12-30 (a Wednesday).
        let d = deadline(&mg, at(2026, 11, 15, 9), 45, DayUnit::Calendar, &[], at(2026, 11, 15, 9));
        assert_eq!(d.due_on, date("2026-12-30"));
        // Leap year: 60 days from 2028-01-01 is 2028-03-01 (29 Feb exists).
        let d = deadline(&mg, at(2028, 1, 1, 9), 60, DayUnit::Calendar, &[], at(2028, 1, 1, 9));
        assert_eq!(d.due_on, date("2028-03-01"));
        // Ending on a Sunday (2026-03-15) moves to Monday.
        let d = deadline(&mg, at(2026, 3, 10, 9), 5, DayUnit::Calendar, &[], at(2026, 3, 10, 9));
        assert_eq!(d.due_on, date("2026-03-16"));
    }

    #[test]
    fn pauses_extend_the_deadline_once() {
        let cal = Calendar::national();
        let sent = at(2026, 3, 2, 9);
        let base = deadline(&cal, sent, 30, DayUnit::Calendar, &[], sent).due_on;
        assert_eq!(base, date("2026-04-01"));
        // An agency item open 2026-03-05 → 2026-03-12: 7 days; an
        // overlapping one (03-10 → 03-11) adds nothing.
        let pauses = [
            Pause { from: at(2026, 3, 5, 10), to: Some(at(2026, 3, 12, 10)) },
            Pause { from: at(2026, 3, 10, 10), to: Some(at(2026, 3, 11, 10)) },
        ];
        let d = deadline(&cal, sent, 30, DayUnit::Calendar, &pauses, at(2026, 3, 20, 0));
        assert_eq!((d.paused_days, d.due_on, d.paused_now), (7, date("2026-04-08"), false));
        // Still open: counts up to now, and says so.
        let open = [Pause { from: at(2026, 3, 5, 10), to: None }];
        let d = deadline(&cal, sent, 30, DayUnit::Calendar, &open, at(2026, 3, 8, 10));
        assert_eq!((d.paused_days, d.paused_now), (3, true));
        // In business days: Thu 03-05 → Thu 03-12 is 5 business days.
        let d = deadline(&cal, sent, 10, DayUnit::Business, &pauses[..1], at(2026, 3, 20, 0));
        assert_eq!(d.paused_days, 5);
        assert_eq!(d.due_on, cal.due(date("2026-03-02"), 15, DayUnit::Business));
    }

    #[test]
    fn lateness_and_urgency() {
        let cal = Calendar::national();
        let due = date("2026-04-01");
        assert_eq!(days_late(&cal, due, date("2026-04-01"), DayUnit::Calendar), 0);
        assert_eq!(days_late(&cal, due, date("2026-03-20"), DayUnit::Calendar), 0);
        assert_eq!(days_late(&cal, due, date("2026-04-06"), DayUnit::Calendar), 5);
        // 02, 03 (Good Friday), 06 → 2 business days.
        assert_eq!(days_late(&cal, due, date("2026-04-06"), DayUnit::Business), 2);
        assert_eq!(Urgency::of(due, date("2026-03-20"), 5), Urgency::OnTime { days_left: 12 });
        assert_eq!(Urgency::of(due, date("2026-03-27"), 5), Urgency::DueSoon { days_left: 5 });
        assert_eq!(Urgency::of(due, date("2026-04-03"), 5), Urgency::Late { days: 2 });
        assert_eq!(order_number(2026, 123), "OS-2026-000123");
    }

    #[test]
    fn late_from_is_the_day_after_the_due_date_while_late_counts() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().expect("instant");
        let order = |status, due: Option<&str>, delivered: Option<&str>, late_days| Order {
            id: OrderId(1),
            number: order_number(2026, 1),
            order_type: OrderType::CpeConfigChange,
            status,
            agency_id: AgencyId(1),
            lot_id: LotId(1),
            site_id: SiteId(1),
            access_id: Some(AccessId(1)),
            spec: OrderSpec::CpeConfigChange { access_id: AccessId(1), description: "x".into() },
            area: Area::Capital,
            deadline_days: 10,
            deadline_unit: DayUnit::Calendar,
            sent_at: Some(at),
            due_on: due.map(date),
            paused_days: 0,
            survey_at: None,
            installation_at: None,
            executed_at: None,
            delivered_on: delivered.map(date),
            late_days,
            technical_report: String::new(),
            probe_targets: vec![],
            acceptance_due_on: None,
            completed_at: None,
            tacit: false,
            linked_order_id: None,
            reminded_at: None,
            late_notified_at: None,
            created_by: None,
            created_at: at,
            updated_at: at,
        };
        let next = Some(date("2026-04-02"));
        use OrderStatus::*;
        // Open and undelivered: late from the day after the due date.
        assert_eq!(order(InExecution, Some("2026-04-01"), None, None).late_from(), next);
        // Not sent yet (no due date), or closed undelivered: never.
        assert_eq!(order(Submitted, None, None, None).late_from(), None);
        assert_eq!(order(Cancelled, Some("2026-04-01"), None, None).late_from(), None);
        // Delivered: late for good only if it was delivered late.
        assert_eq!(order(Completed, Some("2026-04-01"), Some("2026-04-05"), Some(4)).late_from(), next);
        assert_eq!(order(Executed, Some("2026-04-01"), Some("2026-04-01"), Some(0)).late_from(), None);
    }

    #[test]
    fn specs_validate_and_round_trip_as_json() {
        let spec = OrderSpec::NewAccess {
            access: AccessSpec {
                site_id: SiteId(1),
                lot_id: LotId(2),
                service: " scm ".into(),
                bandwidth_mbps: 10,
                redundancy: Redundancy::None,
                technology: Technology::Terrestrial,
            },
        }
        .validate()
        .expect("valid");
        let json = serde_json::to_string(&spec).expect("json");
        assert!(json.contains(r#""type":"new_access""#) && json.contains(r#""service":"SCM""#), "{json}");
        let back: OrderSpec = serde_json::from_str(&json).expect("back");
        assert_eq!(back, spec);
        assert_eq!(back.order_type(), OrderType::NewAccess);
        let bad = OrderSpec::Reconfiguration { access_id: AccessId(1), bandwidth_mbps: 0, service: None };
        assert_eq!(
            bad.validate(),
            Err(FieldError::new("bandwidth_mbps", Rule::OutOfRange { min: 1, max: 100_000 }))
        );
        let bad = OrderSpec::CpeRelocation { access_id: AccessId(1), description: "".into() };
        assert_eq!(bad.validate(), Err(FieldError::new("description", Rule::Required)));
        let transfer: OrderSpec = serde_json::from_str(
            r#"{"type":"ownership_transfer","access_id":3,"to_agency_id":4,"to_site_id":5}"#,
        )
        .expect("transfer");
        assert_eq!(transfer.access_id(), Some(AccessId(3)));
        assert!(serde_json::from_str::<OrderSpec>(r#"{"type":"deactivation","access_id":1,"x":1}"#).is_err());
    }

    #[test]
    fn the_sp_municipality_policy() {
        let p = AdhesionPolicy::sp_municipality();
        let h = |service: &str, mbps| Holding {
            service: service.into(),
            bandwidth_mbps: mbps,
            redundancy: Redundancy::None,
        };
        let rule = |r: Valid<()>| match r {
            Err(FieldError { rule: Rule::AdhesionPolicy { rule }, .. }) => rule,
            other => panic!("expected a policy refusal, got {other:?}"),
        };
        assert!(p.check(&h("SCM", 16), &[]).is_ok());
        assert_eq!(rule(p.check(&h("SCM", 20), &[])), "intranet acima de 16 Mbps por link");
        assert_eq!(rule(p.check(&h("SAI", 10), &[])), "SAI sem o serviço obrigatório SCM");
        assert!(p.check(&h("SAI", 10), &[h("SCM", 8)]).is_ok());
        assert_eq!(
            rule(p.check(&h("STI", 10), &[h("SCM", 8), h("SAI", 10)])),
            "internet com mais de 1 link(s)"
        );
        let twenty = vec![h("SCM", 8); 20];
        assert_eq!(rule(p.check(&h("SCM", 8), &twenty)), "intranet com mais de 20 link(s)");
        assert!(p.check(&h("SCM", 8), &twenty[..19]).is_ok());
        let redundant = Holding { redundancy: Redundancy::Critical, ..h("SCM", 8) };
        assert_eq!(rule(p.check(&redundant, &[])), "intranet com redundância");
        assert_eq!(rule(p.check(&h("MPLS", 8), &[])), "serviço MPLS (permitidos: SCM, SAI, STI)");
        let open = AdhesionPolicy { kind: AgencyKind::Compulsory, services: vec![], required_service: None };
        assert!(open.check(&h("MPLS", 1000), &twenty).is_ok());
    }
}
