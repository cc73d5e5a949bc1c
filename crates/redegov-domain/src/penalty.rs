//! Penalty processes (processo administrativo de multa, DOMAIN §7): the life
//! cycle as one transition function with the roles and statuses of every
//! action, the defense and appeal deadlines (business days, Lei 9.784/1999
//! art. 66 counting), the decision's amounts, and the installment schedule
//! of an applied fine (the last installment absorbs the rounding).
//!
//! Everything here is pure: the app layer loads the process and the
//! calendar, calls these functions with the current time, and writes what
//! they return. How an installment is split between agencies and consortium
//! members is `billing::apportion`, not this module.

use crate::calendar::{Calendar, DayUnit};
use crate::error::{FieldError, Rule, Valid, required};
use crate::ids::{AccessId, IncidentId, LotId, OrderId, PenaltyId, UserId};
use crate::inventory::code_enum;
use crate::measure::Month;
use crate::money::Money;
use crate::role::Role;
use crate::time::{Timestamp, to_network_date};
use chrono::NaiveDate;
use serde::Serialize;

code_enum!(
    /// Where a penalty process is in its life cycle.
    PenaltyStatus {
        Opened = "opened" / "Aberto",
        OperatorNotified = "operator_notified" / "Operadora notificada (prazo de defesa)",
        DefenseFiled = "defense_filed" / "Defesa apresentada",
        DefenseDeadlineMissed = "defense_deadline_missed" / "Prazo de defesa encerrado sem defesa",
        Decided = "decided" / "Decidido (prazo de recurso)",
        AppealFiled = "appeal_filed" / "Recurso apresentado",
        AppealDecided = "appeal_decided" / "Recurso decidido",
        Final = "final" / "Decisão definitiva",
        Applied = "applied" / "Em aplicação (parcelas)",
        Suspended = "suspended" / "Aplicação suspensa",
        Settled = "settled" / "Quitado",
    }
);

code_enum!(
    /// What a decision (or the decision of the appeal) says of the fine.
    Outcome {
        Upheld = "upheld" / "Procedente",
        PartiallyUpheld = "partially_upheld" / "Parcialmente procedente",
        Dismissed = "dismissed" / "Improcedente",
    }
);

code_enum!(
    /// What someone does to a penalty process. Each action is one transition.
    PenaltyAction {
        Amend = "amend" / "Alterar o valor proposto",
        Notify = "notify" / "Notificar a operadora",
        FileDefense = "file_defense" / "Apresentar defesa",
        MissDefenseDeadline = "miss_defense_deadline" / "Encerrar o prazo de defesa",
        Decide = "decide" / "Decidir",
        FileAppeal = "file_appeal" / "Apresentar recurso",
        DecideAppeal = "decide_appeal" / "Decidir o recurso",
        Finalize = "finalize" / "Tornar definitiva",
        Apply = "apply" / "Aplicar em parcelas",
        Settle = "settle" / "Quitar",
        Suspend = "suspend" / "Suspender",
        Resume = "resume" / "Retomar",
    }
);

code_enum!(
    /// Where an installment of an applied fine is.
    InstallmentStatus {
        Pending = "pending" / "A aplicar",
        Applied = "applied" / "Aplicada",
    }
);

code_enum!(
    /// Which filing an attachment belongs to.
    FilingKind {
        Defense = "defense" / "Defesa",
        Appeal = "appeal" / "Recurso",
    }
);

/// Who acts: a user with a role, or the system's scheduled jobs (deadlines,
/// the monthly closing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    User(Role),
    System,
}

/// The default days the operator has to defend itself, in business days
/// counted from the notification **[default]**.
pub const DEFAULT_DEFENSE_DAYS: u32 = 5;
/// The default days of the appeal window, in business days counted from
/// the decision **[default]**.
pub const DEFAULT_APPEAL_DAYS: u32 = 10;
/// The most installments a fine may be split into.
pub const MAX_INSTALLMENTS: u32 = 120;

impl PenaltyAction {
    /// The roles that may take this action (the system alone closes the
    /// defense deadline, finalises after the appeal window and settles).
    /// Scope — the operator's own lots — is checked by the caller.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            PenaltyAction::Amend
            | PenaltyAction::Notify
            | PenaltyAction::Apply
            | PenaltyAction::Suspend
            | PenaltyAction::Resume => &[Admin, ContractManager],
            PenaltyAction::Decide | PenaltyAction::DecideAppeal => &[Admin, ContractManager, Committee],
            PenaltyAction::FileDefense | PenaltyAction::FileAppeal => &[Operator],
            PenaltyAction::MissDefenseDeadline | PenaltyAction::Finalize | PenaltyAction::Settle => &[],
        }
    }

    /// Whether the system (a scheduled job, the closing) takes this action.
    pub fn by_system(self) -> bool {
        matches!(self, PenaltyAction::MissDefenseDeadline | PenaltyAction::Finalize | PenaltyAction::Settle)
    }

    /// The statuses this action may be taken in.
    pub fn from_statuses(self) -> &'static [PenaltyStatus] {
        use PenaltyStatus::*;
        match self {
            PenaltyAction::Amend | PenaltyAction::Notify => &[Opened],
            PenaltyAction::FileDefense | PenaltyAction::MissDefenseDeadline => &[OperatorNotified],
            PenaltyAction::Decide => &[DefenseFiled, DefenseDeadlineMissed],
            PenaltyAction::FileAppeal => &[Decided],
            PenaltyAction::DecideAppeal => &[AppealFiled],
            PenaltyAction::Finalize => &[Decided, AppealDecided],
            PenaltyAction::Apply => &[Final],
            PenaltyAction::Settle | PenaltyAction::Suspend => &[Applied],
            PenaltyAction::Resume => &[Suspended],
        }
    }

    fn role_takes_it(self, by: By) -> bool {
        match by {
            By::System => self.by_system(),
            By::User(role) => self.roles().contains(&role),
        }
    }

    /// The actions `by` may take on a process now (for the portal's buttons
    /// and the API's `allowed_actions`): status and role, plus what the
    /// view says without any input (a dismissed fine is neither appealed
    /// nor applied; deadlines).
    pub fn available(view: &PenaltyView, by: By, now: Timestamp) -> Vec<PenaltyAction> {
        PenaltyAction::ALL
            .iter()
            .copied()
            .filter(|a| a.role_takes_it(by) && a.from_statuses().contains(&view.status))
            .filter(|a| transition(view, &sample(*a), by, now).is_ok())
            .collect()
    }
}

/// A command of `action` with acceptable input, for [`PenaltyAction::available`].
fn sample(action: PenaltyAction) -> Command {
    let text = || "-".to_string();
    match action {
        PenaltyAction::Amend => Command::Amend { amount: Money::from_centavos(1), reason: text() },
        PenaltyAction::Notify => Command::Notify,
        PenaltyAction::FileDefense => Command::FileDefense { text: text() },
        PenaltyAction::MissDefenseDeadline => Command::MissDefenseDeadline,
        PenaltyAction::Decide => Command::Decide { outcome: Outcome::Upheld, amount: None, grounds: text() },
        PenaltyAction::FileAppeal => Command::FileAppeal { text: text() },
        PenaltyAction::DecideAppeal => {
            Command::DecideAppeal { outcome: Outcome::Upheld, amount: None, grounds: text() }
        }
        PenaltyAction::Finalize => Command::Finalize,
        PenaltyAction::Apply => Command::Apply { installments: 1 },
        PenaltyAction::Settle => Command::Settle,
        PenaltyAction::Suspend => Command::Suspend { reason: text() },
        PenaltyAction::Resume => Command::Resume,
    }
}

/// An action with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A new proposed amount, with the reason it differs from the rules'.
    Amend {
        amount: Money,
        reason: String,
    },
    Notify,
    FileDefense {
        text: String,
    },
    MissDefenseDeadline,
    /// `amount` only for a partial decision (an upheld fine keeps the
    /// proposed amount; a dismissed one is zero).
    Decide {
        outcome: Outcome,
        amount: Option<Money>,
        grounds: String,
    },
    FileAppeal {
        text: String,
    },
    /// The outcome says what becomes of the fine as decided: upheld keeps
    /// the decided amount, partially upheld lowers it, dismissed annuls it.
    DecideAppeal {
        outcome: Outcome,
        amount: Option<Money>,
        grounds: String,
    },
    Finalize,
    /// The number of monthly installments (the start month is the app's
    /// to check: it must be an open month).
    Apply {
        installments: u32,
    },
    Settle,
    Suspend {
        reason: String,
    },
    Resume,
}

impl Command {
    pub fn action(&self) -> PenaltyAction {
        match self {
            Command::Amend { .. } => PenaltyAction::Amend,
            Command::Notify => PenaltyAction::Notify,
            Command::FileDefense { .. } => PenaltyAction::FileDefense,
            Command::MissDefenseDeadline => PenaltyAction::MissDefenseDeadline,
            Command::Decide { .. } => PenaltyAction::Decide,
            Command::FileAppeal { .. } => PenaltyAction::FileAppeal,
            Command::DecideAppeal { .. } => PenaltyAction::DecideAppeal,
            Command::Finalize => PenaltyAction::Finalize,
            Command::Apply { .. } => PenaltyAction::Apply,
            Command::Settle => PenaltyAction::Settle,
            Command::Suspend { .. } => PenaltyAction::Suspend,
            Command::Resume => PenaltyAction::Resume,
        }
    }
}

/// What the transition function needs to know of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PenaltyView {
    pub status: PenaltyStatus,
    pub proposed: Money,
    /// The first decision: outcome and amount.
    pub decision: Option<(Outcome, Money)>,
    pub appeal_decision: Option<(Outcome, Money)>,
    /// The last day of the defense (set on notification).
    pub defense_due_on: Option<NaiveDate>,
    /// The last day of the appeal window (set on decision).
    pub appeal_due_on: Option<NaiveDate>,
}

impl PenaltyView {
    /// The outcome that stands: the appeal's, else the decision's.
    pub fn outcome(&self) -> Option<Outcome> {
        self.appeal_decision.or(self.decision).map(|(o, _)| o)
    }

    /// The amount that stands.
    pub fn amount(&self) -> Option<Money> {
        self.appeal_decision.or(self.decision).map(|(_, a)| a)
    }

    /// Settled, or final and dismissed: nothing will ever happen again.
    pub fn is_closed(&self) -> bool {
        self.status == PenaltyStatus::Settled
            || (self.status == PenaltyStatus::Final && self.outcome() == Some(Outcome::Dismissed))
    }
}

/// A transition that was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub action: PenaltyAction,
    pub from: PenaltyStatus,
    pub to: PenaltyStatus,
    /// A decision's (or an appeal's) outcome and amount; an amendment's amount.
    pub outcome: Option<Outcome>,
    pub amount: Option<Money>,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The actor's role may not take this action.
    #[error("role may not take action {action} in status {status}")]
    Forbidden { action: PenaltyAction, status: PenaltyStatus },
    /// The action is not one of the status's, or its input is wrong.
    #[error(transparent)]
    Invalid(#[from] FieldError),
}

fn not_allowed(action: PenaltyAction, status: &'static str) -> TransitionError {
    FieldError::new("action", Rule::ActionNotAllowed { action: action.as_str(), status }).into()
}

/// An amount of at least one centavo and at most `max`, naming `field`.
pub fn check_amount(field: &str, amount: Money, max: Money) -> Valid<Money> {
    if amount.centavos() < 1 || amount > max {
        Err(FieldError::new(field, Rule::OutOfRange { min: 1, max: max.centavos() }))
    } else {
        Ok(amount)
    }
}

/// The largest fine the system takes (R$ 10 billion), so sums never overflow.
pub const MAX_AMOUNT: Money = Money::from_centavos(1_000_000_000_000);

/// The amount a decision leaves, from the outcome and the amount it may
/// not exceed (the proposed amount, or the decided one for an appeal).
fn decided_amount(outcome: Outcome, amount: Option<Money>, ceiling: Money) -> Valid<Money> {
    match outcome {
        Outcome::Upheld => match amount {
            Some(a) if a != ceiling => Err(FieldError::new(
                "amount_centavos",
                Rule::OutOfRange { min: ceiling.centavos(), max: ceiling.centavos() },
            )),
            _ => Ok(ceiling),
        },
        Outcome::PartiallyUpheld => {
            let a = amount.ok_or_else(|| FieldError::new("amount_centavos", Rule::Required))?;
            check_amount("amount_centavos", a, ceiling)
        }
        Outcome::Dismissed => match amount {
            Some(a) if a != Money::ZERO => {
                Err(FieldError::new("amount_centavos", Rule::OutOfRange { min: 0, max: 0 }))
            }
            _ => Ok(Money::ZERO),
        },
    }
}

/// The one transition function of the penalty life cycle: checks that `by`
/// may take the command's action in the process's status, that its input
/// is acceptable and that the deadlines allow it at `now`, and returns the
/// status the process moves to (with a decision's outcome and amount).
pub fn transition(
    view: &PenaltyView,
    command: &Command,
    by: By,
    now: Timestamp,
) -> Result<Step, TransitionError> {
    use PenaltyStatus::*;
    let action = command.action();
    let from = view.status;
    // A role that never takes this action is told so whatever the status;
    // one that may is told when the status does not allow it.
    if !action.role_takes_it(by) {
        return Err(TransitionError::Forbidden { action, status: from });
    }
    if !action.from_statuses().contains(&from) {
        return Err(not_allowed(action, from.as_str()));
    }
    let today = to_network_date(now);
    let step = |to, outcome, amount| Ok(Step { action, from, to, outcome, amount });
    match command {
        Command::Amend { amount, reason } => {
            let amount = check_amount("proposed_amount_centavos", *amount, MAX_AMOUNT)?;
            required("amount_reason", reason)?;
            step(Opened, None, Some(amount))
        }
        Command::Notify => step(OperatorNotified, None, None),
        Command::FileDefense { text } => {
            required("text", text)?;
            match view.defense_due_on {
                Some(due) if today > due => {
                    Err(FieldError::new("defense_due_on", Rule::DeadlinePassed { due_on: due }).into())
                }
                _ => step(DefenseFiled, None, None),
            }
        }
        Command::MissDefenseDeadline => match view.defense_due_on {
            Some(due) if today > due => step(DefenseDeadlineMissed, None, None),
            _ => Err(not_allowed(action, "defense_deadline_open")),
        },
        Command::Decide { outcome, amount, grounds } => {
            required("grounds", grounds)?;
            let amount = decided_amount(*outcome, *amount, view.proposed)?;
            step(Decided, Some(*outcome), Some(amount))
        }
        Command::FileAppeal { text } => {
            if view.outcome() == Some(Outcome::Dismissed) {
                return Err(not_allowed(action, Outcome::Dismissed.as_str()));
            }
            required("text", text)?;
            match view.appeal_due_on {
                Some(due) if today > due => {
                    Err(FieldError::new("appeal_due_on", Rule::DeadlinePassed { due_on: due }).into())
                }
                _ => step(AppealFiled, None, None),
            }
        }
        Command::DecideAppeal { outcome, amount, grounds } => {
            required("grounds", grounds)?;
            let ceiling = view.decision.map(|(_, a)| a).unwrap_or(view.proposed);
            let amount = decided_amount(*outcome, *amount, ceiling)?;
            step(AppealDecided, Some(*outcome), Some(amount))
        }
        Command::Finalize => match (from, view.appeal_due_on) {
            (Decided, Some(due)) if today <= due => Err(not_allowed(action, "appeal_window_open")),
            _ => step(Final, view.outcome(), view.amount()),
        },
        Command::Apply { installments } => {
            if view.outcome().is_none_or(|o| o == Outcome::Dismissed) {
                return Err(not_allowed(action, Outcome::Dismissed.as_str()));
            }
            if !(1..=MAX_INSTALLMENTS).contains(installments) {
                return Err(FieldError::new(
                    "installments",
                    Rule::OutOfRange { min: 1, max: i64::from(MAX_INSTALLMENTS) },
                )
                .into());
            }
            step(Applied, view.outcome(), view.amount())
        }
        Command::Settle => step(Settled, None, None),
        Command::Suspend { reason } => {
            required("reason", reason)?;
            step(Suspended, None, None)
        }
        Command::Resume => step(Applied, None, None),
    }
}

/// The last day of a deadline of `days` business days from the day of
/// `from` (art. 66: the start day excluded, the last included).
pub fn due_on(calendar: &Calendar, from: Timestamp, days: u32) -> NaiveDate {
    calendar.due(to_network_date(from), days, DayUnit::Business)
}

/// Splits `total` into `n` installments: each is `floor(total / n)`, the
/// last is `total − (n − 1) × each`, so they sum to `total` exactly and
/// the last absorbs the rounding. Empty for `n = 0`; a negative total is
/// not a fine (the caller validated it).
pub fn installments(total: Money, n: u32) -> Vec<Money> {
    if n == 0 {
        return Vec::new();
    }
    let each = total.centavos().div_euclid(i64::from(n));
    let mut out = vec![Money::from_centavos(each); n as usize];
    if let Some(last) = out.last_mut() {
        *last = Money::from_centavos(total.centavos() - each * (i64::from(n) - 1));
    }
    out
}

/// One planned installment: its number (1-based), month and amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PlannedInstallment {
    pub seq: u32,
    #[serde(serialize_with = "month_text")]
    pub month: Month,
    pub amount: Money,
}

fn month_text<S: serde::Serializer>(m: &Month, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&m.to_string())
}

/// The schedule of `total` in `n` consecutive monthly installments from `start`.
pub fn schedule(total: Money, n: u32, start: Month) -> Vec<PlannedInstallment> {
    let mut month = start;
    installments(total, n)
        .into_iter()
        .zip(1..)
        .map(|(amount, seq)| {
            let planned = PlannedInstallment { seq, month, amount };
            month = month.next();
            planned
        })
        .collect()
}

/// `n` consecutive months from `start`: where resumed or postponed
/// installments go.
pub fn consecutive_months(start: Month, n: usize) -> Vec<Month> {
    let mut out = Vec::with_capacity(n);
    let mut month = start;
    for _ in 0..n {
        out.push(month);
        month = month.next();
    }
    out
}

/// Formats a process number: `PM-2026/0003`.
pub fn penalty_number(year: i32, seq: i64) -> String {
    format!("PM-{year}/{seq:04}")
}

/// The description of an installment's deduction lines.
pub fn installment_description(number: &str, seq: u32, of: u32) -> String {
    format!("Multa {number} — parcela {seq} de {of}")
}

/// An IMR breach of a closed month cited as grounds, with its measurement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitedBreach {
    /// `YYYY-MM`.
    pub month: String,
    pub access_id: AccessId,
    /// `availability`, `repair_time` or `order_deadline`.
    pub kind: String,
    pub incident_id: Option<IncidentId>,
    pub order_id: Option<OrderId>,
    pub measured: i64,
    pub target: i64,
    /// The closed line's proposed penalty for the access-month (capped).
    pub line_penalty: Money,
}

/// The amount the penalty rules propose for the cited breaches: the closed
/// lines' proposed penalty of every access-month cited, once per
/// access-month (a line's penalty already sums its breaches, capped).
pub fn proposed_for(breaches: &[CitedBreach]) -> Money {
    let mut seen: Vec<(&str, AccessId)> = Vec::new();
    let mut total = Money::ZERO;
    for b in breaches {
        if !seen.contains(&(b.month.as_str(), b.access_id)) {
            seen.push((b.month.as_str(), b.access_id));
            total += b.line_penalty;
        }
    }
    total
}

/// Checks the free texts and deadlines of a new process; returns the
/// trimmed clause and description.
pub fn validate_opening(
    clause: &str,
    description: &str,
    has_breaches: bool,
    defense_days: u32,
    appeal_days: u32,
) -> Valid<(String, String)> {
    let clause = clause.trim().to_string();
    if !has_breaches && clause.is_empty() {
        return Err(FieldError::new("breaches", Rule::Required));
    }
    let description = required("description", description)?;
    for (field, days) in [("defense_days", defense_days), ("appeal_days", appeal_days)] {
        if !(1..=60).contains(&days) {
            return Err(FieldError::new(field, Rule::OutOfRange { min: 1, max: 60 }));
        }
    }
    Ok((clause, description))
}

/// A decision as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub amount: Money,
    pub grounds: String,
    pub at: Timestamp,
    pub by: Option<UserId>,
}

/// A penalty process as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Penalty {
    pub id: PenaltyId,
    /// `PM-2026/0003`.
    pub number: String,
    pub status: PenaltyStatus,
    pub lot_id: LotId,
    /// The contract clause cited (may be empty when breaches are cited).
    pub clause: String,
    pub description: String,
    /// What the penalty rules propose for the cited breaches.
    pub computed: Money,
    /// The proposed amount (the computed one unless amended).
    pub proposed: Money,
    /// Why the proposed amount differs from the computed one.
    pub amount_reason: String,
    pub defense_days: u32,
    pub appeal_days: u32,
    pub notified_at: Option<Timestamp>,
    pub defense_due_on: Option<NaiveDate>,
    pub defense_text: String,
    pub defense_at: Option<Timestamp>,
    pub decision: Option<Decision>,
    pub appeal_due_on: Option<NaiveDate>,
    pub appeal_text: String,
    pub appeal_at: Option<Timestamp>,
    pub appeal_decision: Option<Decision>,
    pub final_at: Option<Timestamp>,
    pub installments: Option<u32>,
    /// `YYYY-MM`.
    pub start_month: Option<String>,
    pub suspended_at: Option<Timestamp>,
    pub suspend_reason: String,
    pub settled_at: Option<Timestamp>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Penalty {
    pub fn view(&self) -> PenaltyView {
        PenaltyView {
            status: self.status,
            proposed: self.proposed,
            decision: self.decision.as_ref().map(|d| (d.outcome, d.amount)),
            appeal_decision: self.appeal_decision.as_ref().map(|d| (d.outcome, d.amount)),
            defense_due_on: self.defense_due_on,
            appeal_due_on: self.appeal_due_on,
        }
    }

    /// The outcome that stands (the appeal's, else the decision's).
    pub fn outcome(&self) -> Option<Outcome> {
        self.view().outcome()
    }

    /// The fine that stands.
    pub fn final_amount(&self) -> Option<Money> {
        self.view().amount()
    }
}

/// An installment of an applied fine as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installment {
    pub id: crate::ids::InstallmentId,
    pub penalty_id: PenaltyId,
    /// 1-based; `of_total` installments in all.
    pub seq: u32,
    pub of_total: u32,
    /// `YYYY-MM`: the month whose closing applies it.
    pub month: String,
    pub amount: Money,
    pub status: InstallmentStatus,
    pub applied_at: Option<Timestamp>,
    /// How many times it moved a month on (its lot had no charge).
    pub postponements: u32,
}

/// One entry of a process's history (kept forever).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PenaltyEvent {
    pub at: Timestamp,
    pub user_id: Option<UserId>,
    pub login: String,
    /// A [`PenaltyAction`] code, or `create`, `installment_applied`,
    /// `installment_postponed`.
    pub action: String,
    pub from_status: Option<PenaltyStatus>,
    pub to_status: PenaltyStatus,
    pub note: String,
    pub amount: Option<Money>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> Timestamp {
        crate::time::parse_instant("t", s).expect("instant")
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    const NOW: &str = "2026-03-10T12:00:00-03:00";

    fn m(c: i64) -> Money {
        Money::from_centavos(c)
    }

    /// A view in `status` with every date and decision that status implies,
    /// deadlines still open at [`NOW`].
    fn view(status: PenaltyStatus) -> PenaltyView {
        use PenaltyStatus::*;
        let decided = !matches!(status, Opened | OperatorNotified | DefenseFiled | DefenseDeadlineMissed);
        let appealed =
            matches!(status, AppealDecided) || (decided && status != Decided && status != AppealFiled);
        PenaltyView {
            status,
            proposed: m(10_000),
            decision: decided.then_some((Outcome::PartiallyUpheld, m(8_000))),
            appeal_decision: appealed.then_some((Outcome::Upheld, m(8_000))),
            defense_due_on: (status != Opened).then(|| date("2026-03-12")),
            appeal_due_on: decided.then(|| date("2026-03-12")),
        }
    }

    /// A command of each action, with acceptable input.
    fn command(action: PenaltyAction) -> Command {
        sample(action)
    }

    fn actors() -> Vec<By> {
        Role::ALL.iter().map(|r| By::User(*r)).chain([By::System]).collect()
    }

    /// Every (status, action, actor): allowed exactly when the tables say
    /// so (the deadline-bound system actions apart, checked below); a role
    /// that never takes the action gets `Forbidden`, a wrong status
    /// `action_not_allowed`.
    #[test]
    fn every_transition_for_every_role() {
        let now = at(NOW);
        let mut allowed = 0;
        for status in PenaltyStatus::ALL {
            for action in PenaltyAction::ALL {
                for by in actors() {
                    let r = transition(&view(*status), &command(*action), by, now);
                    let in_status = action.from_statuses().contains(status);
                    let role_ok = action.role_takes_it(by);
                    // Closing the defense or the appeal window waits for the deadline.
                    let waits = matches!(
                        (action, status),
                        (PenaltyAction::MissDefenseDeadline, _)
                            | (PenaltyAction::Finalize, PenaltyStatus::Decided)
                    );
                    match r {
                        Ok(step) => {
                            assert!(in_status && role_ok && !waits, "{status} {action} {by:?} allowed");
                            assert_eq!(step.from, *status);
                            allowed += 1;
                        }
                        Err(TransitionError::Forbidden { .. }) => {
                            assert!(!role_ok, "{status} {action} {by:?}")
                        }
                        Err(TransitionError::Invalid(e)) => {
                            assert!(role_ok && (!in_status || waits), "{status} {action} {by:?}: {e}");
                            assert_eq!(e.rule.code(), "action_not_allowed");
                        }
                    }
                    assert_eq!(
                        PenaltyAction::available(&view(*status), by, now).contains(action),
                        in_status && role_ok && !waits,
                        "available() agrees for {status} {action} {by:?}"
                    );
                }
            }
        }
        assert!(allowed >= 20, "{allowed}");
        assert!(
            PenaltyAction::available(&view(PenaltyStatus::Settled), By::User(Role::Admin), now).is_empty()
        );
    }

    #[test]
    fn the_whole_path_and_where_each_step_leads() {
        use PenaltyAction as A;
        use PenaltyStatus::*;
        let now = at(NOW);
        let ugs = By::User(Role::ContractManager);
        let op = By::User(Role::Operator);
        let committee = By::User(Role::Committee);
        let path = [
            (Opened, A::Amend, ugs, Opened),
            (Opened, A::Notify, ugs, OperatorNotified),
            (OperatorNotified, A::FileDefense, op, DefenseFiled),
            (DefenseFiled, A::Decide, committee, Decided),
            (DefenseDeadlineMissed, A::Decide, ugs, Decided),
            (Decided, A::FileAppeal, op, AppealFiled),
            (AppealFiled, A::DecideAppeal, ugs, AppealDecided),
            (AppealDecided, A::Finalize, By::System, Final),
            (Final, A::Apply, ugs, Applied),
            (Applied, A::Suspend, ugs, Suspended),
            (Suspended, A::Resume, ugs, Applied),
            (Applied, A::Settle, By::System, Settled),
        ];
        for (from, action, by, to) in path {
            let step = transition(&view(from), &command(action), by, now).expect("allowed");
            assert_eq!(step.to, to, "{from} {action}");
        }
    }

    #[test]
    fn deadlines_close_the_defense_and_the_appeal() {
        let after = at("2026-03-13T00:00:00-03:00");
        let on_the_day = at("2026-03-12T23:59:00-03:00");
        let op = By::User(Role::Operator);
        let notified = view(PenaltyStatus::OperatorNotified);
        let defense = Command::FileDefense { text: "Não houve falha".into() };
        assert!(transition(&notified, &defense, op, on_the_day).is_ok(), "the last day counts");
        let e = transition(&notified, &defense, op, after).expect_err("late");
        assert_eq!(
            e,
            TransitionError::Invalid(FieldError::new(
                "defense_due_on",
                Rule::DeadlinePassed { due_on: date("2026-03-12") }
            ))
        );
        if let TransitionError::Invalid(f) = &e {
            assert_eq!(f.rule.pt_br(), "o prazo terminou em 12/03/2026");
            assert_eq!(f.rule.en(), "the deadline ended on 2026-03-12");
        }
        let missed = transition(&notified, &Command::MissDefenseDeadline, By::System, after).expect("missed");
        assert_eq!(missed.to, PenaltyStatus::DefenseDeadlineMissed);
        let decided = view(PenaltyStatus::Decided);
        let appeal = Command::FileAppeal { text: "Recorro".into() };
        let e = transition(&decided, &appeal, op, after).expect_err("late appeal");
        assert!(matches!(e, TransitionError::Invalid(ref f) if f.field == "appeal_due_on"), "{e:?}");
        let fin = transition(&decided, &Command::Finalize, By::System, after).expect("window passed");
        assert_eq!(
            (fin.to, fin.outcome, fin.amount),
            (PenaltyStatus::Final, Some(Outcome::PartiallyUpheld), Some(m(8_000)))
        );
        assert!(
            transition(&decided, &Command::Finalize, By::System, on_the_day).is_err(),
            "window still open"
        );
    }

    #[test]
    fn decisions_fix_the_amount_and_need_grounds() {
        let now = at(NOW);
        let ugs = By::User(Role::ContractManager);
        let filed = view(PenaltyStatus::DefenseFiled);
        let decide = |outcome, amount: Option<i64>, grounds: &str| Command::Decide {
            outcome,
            amount: amount.map(m),
            grounds: grounds.into(),
        };
        let s =
            transition(&filed, &decide(Outcome::Upheld, None, "Falhas comprovadas"), ugs, now).expect("ok");
        assert_eq!((s.outcome, s.amount), (Some(Outcome::Upheld), Some(m(10_000))));
        let s = transition(&filed, &decide(Outcome::PartiallyUpheld, Some(4_000), "Em parte"), ugs, now)
            .expect("ok");
        assert_eq!(s.amount, Some(m(4_000)));
        let s = transition(&filed, &decide(Outcome::Dismissed, None, "Sem falha"), ugs, now).expect("ok");
        assert_eq!(s.amount, Some(Money::ZERO));
        let field = |c: Command| match transition(&filed, &c, ugs, now) {
            Err(TransitionError::Invalid(f)) => (f.field, f.rule.code()),
            other => panic!("{other:?}"),
        };
        assert_eq!(field(decide(Outcome::Upheld, None, " ")), ("grounds".into(), "required"));
        assert_eq!(
            field(decide(Outcome::PartiallyUpheld, None, "x")),
            ("amount_centavos".into(), "required")
        );
        assert_eq!(
            field(decide(Outcome::PartiallyUpheld, Some(10_001), "x")),
            ("amount_centavos".into(), "out_of_range")
        );
        assert_eq!(
            field(decide(Outcome::PartiallyUpheld, Some(-5), "x")),
            ("amount_centavos".into(), "out_of_range")
        );
        // The appeal cannot raise the decided amount.
        let appealed = view(PenaltyStatus::AppealFiled);
        let up = Command::DecideAppeal {
            outcome: Outcome::PartiallyUpheld,
            amount: Some(m(9_000)),
            grounds: "x".into(),
        };
        assert!(transition(&appealed, &up, ugs, now).is_err());
        // A dismissed fine is neither appealed nor applied.
        let mut dismissed = view(PenaltyStatus::Decided);
        dismissed.decision = Some((Outcome::Dismissed, Money::ZERO));
        let appeal = Command::FileAppeal { text: "x".into() };
        assert!(transition(&dismissed, &appeal, By::User(Role::Operator), now).is_err());
        dismissed.status = PenaltyStatus::Final;
        assert!(dismissed.is_closed());
        assert!(transition(&dismissed, &Command::Apply { installments: 2 }, ugs, now).is_err());
        assert!(PenaltyAction::available(&dismissed, ugs, now).is_empty());
        let fin = view(PenaltyStatus::Final);
        for n in [0, MAX_INSTALLMENTS + 1] {
            let e = transition(&fin, &Command::Apply { installments: n }, ugs, now).expect_err("count");
            assert!(matches!(e, TransitionError::Invalid(ref f) if f.field == "installments"));
        }
        let amend = Command::Amend { amount: m(-1), reason: "x".into() };
        let e = transition(&view(PenaltyStatus::Opened), &amend, ugs, now).expect_err("negative");
        assert!(matches!(e, TransitionError::Invalid(ref f) if f.field == "proposed_amount_centavos"));
        let amend = Command::Amend { amount: m(5), reason: " ".into() };
        let e = transition(&view(PenaltyStatus::Opened), &amend, ugs, now).expect_err("reason");
        assert!(matches!(e, TransitionError::Invalid(ref f) if f.field == "amount_reason"));
    }

    #[test]
    fn installments_schedule_and_numbers() {
        assert_eq!(installments(m(1_000), 3), vec![m(333), m(333), m(334)]);
        assert_eq!(installments(m(2), 3), vec![m(0), m(0), m(2)]);
        assert!(installments(m(5), 0).is_empty());
        let plan = schedule(m(1_000), 3, Month { year: 2026, month: 11 });
        let months: Vec<String> = plan.iter().map(|p| p.month.to_string()).collect();
        assert_eq!(months, ["2026-11", "2026-12", "2027-01"]);
        assert_eq!(plan[2].seq, 3);
        assert_eq!(penalty_number(2026, 3), "PM-2026/0003");
        assert_eq!(installment_description("PM-2026/0003", 2, 6), "Multa PM-2026/0003 — parcela 2 de 6");
        let mg = Calendar::for_state("MG");
        // Notified on Friday 2026-04-17: 5 business days (21 Apr is Tiradentes).
        assert_eq!(due_on(&mg, at("2026-04-17T10:00:00-03:00"), 5), date("2026-04-27"));
    }

    #[test]
    fn the_rules_propose_each_access_month_once() {
        let b = |month: &str, access: i64, kind: &str, penalty: i64| CitedBreach {
            month: month.into(),
            access_id: AccessId(access),
            kind: kind.into(),
            incident_id: None,
            order_id: None,
            measured: 0,
            target: 0,
            line_penalty: m(penalty),
        };
        let cited = [
            b("2026-01", 1, "availability", 500),
            b("2026-01", 1, "repair_time", 500),
            b("2026-02", 1, "availability", 300),
            b("2026-01", 2, "availability", 70),
        ];
        assert_eq!(proposed_for(&cited), m(870));
        assert_eq!(validate_opening("", "x", false, 5, 10), Err(FieldError::new("breaches", Rule::Required)));
        assert_eq!(
            validate_opening("7.1", "x", false, 0, 10),
            Err(FieldError::new("defense_days", Rule::OutOfRange { min: 1, max: 60 }))
        );
        assert_eq!(validate_opening(" 7.1 ", " falta ", false, 5, 10), Ok(("7.1".into(), "falta".into())));
    }

    proptest! {
        /// The installments sum to the whole, none is negative, all but the
        /// last are equal and the last absorbs the rounding (less than `n`
        /// centavos more than the others).
        #[test]
        fn installments_sum_to_the_whole(total in 0i64..10_000_000_000, n in 1u32..=MAX_INSTALLMENTS) {
            let parts = installments(m(total), n);
            prop_assert_eq!(parts.len(), n as usize);
            prop_assert_eq!(parts.iter().map(|p| p.centavos()).sum::<i64>(), total);
            prop_assert!(parts.iter().all(|p| p.centavos() >= 0));
            let each = parts[0];
            prop_assert!(parts[..parts.len() - 1].iter().all(|p| *p == each));
            let last = parts[parts.len() - 1].centavos();
            prop_assert!(last >= each.centavos() && last - each.centavos() < i64::from(n));
            prop_assert_eq!(each.centavos(), total / i64::from(n));
        }
    }
}
