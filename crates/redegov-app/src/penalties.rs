//! Penalty processes (DOMAIN §7): opening a process on IMR breaches of
//! closed months or a contract clause, moving it through its life cycle
//! with the domain's one transition function (notification and defense
//! deadline, defense with attachments, decision, appeal window, appeal,
//! final decision), applying a final fine in monthly installments,
//! suspending and resuming it, the deadline job, and the closing's
//! interface: the installments due in a month become deduction lines of its
//! billing reports, apportioned to the lot's agencies by their charges and
//! to a consortium's members by their shares.
//!
//! Every use case is one transaction: the process, its history entry, the
//! audit entry and the queued e-mails commit together or not at all.
//! Reading is for the contract manager, admin, committee and auditor (all
//! processes) and the operators (the processes of their lots; any other is
//! "not found"); agency and network managers get 403.

use crate::audit::{Action as AuditAction, record};
use crate::calendar::calendar_for;
use crate::closing::{first_open_month, holder_members, parse_month};
use crate::mail::{Email, enqueue, lot_operators, operator_emails};
use crate::{App, AppError, AppResult};
use redegov_domain::billing::{DeductionKind, apportion};
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::*;
use redegov_domain::measure::Month;
use redegov_domain::money::Money;
use redegov_domain::penalty::*;
use redegov_domain::role::{Actor, Role, Scope};
use redegov_domain::time::{Timestamp, format_date, to_network_date};
use redegov_store::closing::{ClosingLine, LineFilter};
use redegov_store::deductions::{Deduction, DeductionFilter, NewDeduction};
use redegov_store::inventory::{Listed, OperatorScoped};
use redegov_store::mail::UserScope;
use redegov_store::penalties::{DueInstallment, NewAttachment, NewPenalty};
use redegov_store::{Page, Tx};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub use redegov_store::penalties::{Attachment, AttachmentMeta, PenaltyFilter, PenaltyRow};

/// An IMR breach of a closed month cited as grounds. Without an incident
/// or order, every breach of that kind of the access-month is cited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachRef {
    pub month: Month,
    pub access_id: AccessId,
    /// `availability`, `repair_time` or `order_deadline`.
    pub kind: String,
    pub incident_id: Option<IncidentId>,
    pub order_id: Option<OrderId>,
}

/// A new process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PenaltyInput {
    /// Required when only a clause is cited; otherwise the breaches' lot
    /// (and, if given, it must be theirs).
    pub lot_id: Option<LotId>,
    pub breaches: Vec<BreachRef>,
    /// The contract clause cited, free text (required without breaches).
    pub clause: String,
    pub description: String,
    /// Replaces the amount the rules compute; needs `amount_reason`.
    pub proposed_amount: Option<Money>,
    pub amount_reason: String,
    /// Business days (defaults 5 and 10).
    pub defense_days: Option<u32>,
    pub appeal_days: Option<u32>,
}

/// A document filed with a defense or an appeal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInput {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A defense or an appeal: its text and documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filing {
    pub text: String,
    pub attachments: Vec<AttachmentInput>,
}

/// The largest attachment taken (10 MiB), and the most per filing.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_ATTACHMENTS: usize = 10;

/// An installment with the deduction parts it became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallmentDetail {
    pub installment: Installment,
    pub parts: Vec<Deduction>,
}

/// A process with its cited breaches, full timeline, attachments,
/// installments and the actions the reader may take now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PenaltyDetail {
    pub row: PenaltyRow,
    pub breaches: Vec<CitedBreach>,
    pub events: Vec<PenaltyEvent>,
    pub attachments: Vec<AttachmentMeta>,
    pub installments: Vec<InstallmentDetail>,
    pub allowed: Vec<PenaltyAction>,
}

/// The roles that read penalty processes (the operator only its own).
fn require_reader(actor: &Actor) -> AppResult<()> {
    match actor.role {
        Role::AgencyManager | Role::NetworkManager => Err(AppError::Forbidden("read penalty processes")),
        _ => Ok(()),
    }
}

fn forbidden(e: TransitionError) -> AppError {
    match e {
        TransitionError::Forbidden { .. } => AppError::Forbidden("take this action on the penalty process"),
        TransitionError::Invalid(e) => e.into(),
    }
}

/// SHA-256 of `data`, lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn by_of(actor: &Actor) -> By {
    if actor.user_id.0 == 0 && actor.login == "system" { By::System } else { By::User(actor.role) }
}

impl App {
    /// The link to a process in the portal, for e-mails.
    fn penalty_link(&self, id: PenaltyId) -> String {
        format!("{}/multas/{}", self.public_url(), id.0)
    }

    /// Opens a process (contract manager, admin): its grounds — breaches of
    /// closed months with their measurement, and/or a clause —, the amount
    /// the penalty rules propose for them, or another one with a reason.
    pub async fn open_penalty(&self, actor: &Actor, input: PenaltyInput) -> AppResult<PenaltyDetail> {
        crate::authz::require_write(actor, crate::authz::Resource::Penalty)?;
        let defense_days = input.defense_days.unwrap_or(DEFAULT_DEFENSE_DAYS);
        let appeal_days = input.appeal_days.unwrap_or(DEFAULT_APPEAL_DAYS);
        let (clause, description) = validate_opening(
            &input.clause,
            &input.description,
            !input.breaches.is_empty(),
            defense_days,
            appeal_days,
        )?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let (cited, breach_lot) = cite_breaches(&mut tx, &input.breaches).await?;
        let lot_id = match (input.lot_id, breach_lot) {
            (Some(given), Some(found)) if given != found => {
                return Err(FieldError::new("lot_id", Rule::UnknownReference).into());
            }
            (Some(lot), _) | (None, Some(lot)) => lot,
            (None, None) => return Err(FieldError::new("lot_id", Rule::Required).into()),
        };
        crate::inventory::reference(tx.lot(lot_id).await, "lot_id").await?;
        let computed = proposed_for(&cited);
        let amount_reason = input.amount_reason.trim().to_string();
        let proposed = match input.proposed_amount {
            Some(amount) => {
                check_amount("proposed_amount_centavos", amount, MAX_AMOUNT)?;
                if amount != computed && amount_reason.is_empty() {
                    return Err(FieldError::new("amount_reason", Rule::Required).into());
                }
                amount
            }
            None => computed,
        };
        if proposed.centavos() < 1 {
            // Nothing the rules price and no amount given: no fine to propose.
            return Err(FieldError::new(
                "proposed_amount_centavos",
                Rule::OutOfRange { min: 1, max: MAX_AMOUNT.centavos() },
            )
            .into());
        }
        let year = chrono::Datelike::year(&to_network_date(now));
        let number = penalty_number(year, tx.next_penalty_seq(year).await?);
        let new = NewPenalty {
            lot_id,
            clause,
            description,
            computed,
            proposed,
            amount_reason,
            defense_days,
            appeal_days,
            created_by: actor.user(),
        };
        let id = tx.insert_penalty(&new, &number, now).await.map_err(AppError::reference("lot_id"))?;
        tx.insert_penalty_breaches(id, &cited).await?;
        let event = PenaltyEvent {
            at: now,
            user_id: actor.user(),
            login: actor.login.clone(),
            action: "create".into(),
            from_status: None,
            to_status: PenaltyStatus::Opened,
            note: new.description.clone(),
            amount: Some(proposed),
        };
        tx.insert_penalty_event(id, &event).await?;
        let row = tx.penalty(id).await?;
        record(
            &mut tx,
            actor,
            now,
            AuditAction::Create,
            "penalty",
            Some(id.0),
            None::<&()>,
            Some(&row.penalty),
        )
        .await?;
        let detail = self.penalty_detail(&mut tx, actor, id, now).await?;
        tx.commit().await?;
        Ok(detail)
    }

    async fn visible_penalty(&self, tx: &mut Tx, actor: &Actor, id: PenaltyId) -> AppResult<PenaltyRow> {
        require_reader(actor)?;
        let row = tx.penalty(id).await.map_err(AppError::not_found("penalty"))?;
        let visible = match actor.scope {
            Scope::All => true,
            Scope::Agency(_) => false,
            Scope::Operator(op) => tx.operator_sees(op, OperatorScoped::Lot, row.penalty.lot_id.0).await?,
        };
        if visible { Ok(row) } else { Err(AppError::NotFound("penalty")) }
    }

    async fn penalty_detail(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: PenaltyId,
        now: Timestamp,
    ) -> AppResult<PenaltyDetail> {
        let row = self.visible_penalty(tx, actor, id).await?;
        let breaches = tx.penalty_breaches(id).await?;
        let events = tx.penalty_events(id).await?;
        let attachments = tx.penalty_attachments(id).await?;
        let mut installments = Vec::new();
        for installment in tx.installments(id).await? {
            let f = DeductionFilter {
                source: Some((DeductionKind::Penalty, installment.id.0)),
                ..DeductionFilter::default()
            };
            let parts = tx.deductions(&f).await?;
            installments.push(InstallmentDetail { installment, parts });
        }
        let allowed = PenaltyAction::available(&row.penalty.view(), By::User(actor.role), now);
        Ok(PenaltyDetail { row, breaches, events, attachments, installments, allowed })
    }

    pub async fn get_penalty(&self, actor: &Actor, id: PenaltyId) -> AppResult<PenaltyDetail> {
        let now = self.now();
        let mut tx = self.store().read().await?;
        self.penalty_detail(&mut tx, actor, id, now).await
    }

    /// Processes in the actor's scope, newest first (an operator's: those
    /// of its lots).
    pub async fn list_penalties(
        &self,
        actor: &Actor,
        mut f: PenaltyFilter,
        page: Page,
    ) -> AppResult<Listed<PenaltyRow>> {
        require_reader(actor)?;
        let mut agency = None;
        crate::authz::narrow(actor, &mut agency, &mut f.operator_id);
        let mut tx = self.store().read().await?;
        Ok(tx.list_penalties(&f, page).await?)
    }

    /// One document of a defense or an appeal, with its bytes (whoever
    /// reads the process).
    pub async fn penalty_attachment(
        &self,
        actor: &Actor,
        id: PenaltyId,
        attachment: AttachmentId,
    ) -> AppResult<Attachment> {
        let mut tx = self.store().read().await?;
        self.visible_penalty(&mut tx, actor, id).await?;
        let a = tx.penalty_attachment(id, attachment).await.map_err(AppError::not_found("attachment"))?;
        // The checksum shown with the process is verified on every read: a
        // document altered in the database is never served as the filed one.
        if sha256_hex(&a.data) != a.meta.sha256 {
            return Err(AppError::Internal(format!("attachment #{}: SHA-256 mismatch", a.meta.id.0)));
        }
        Ok(a)
    }

    /// Takes one action that needs no documents: amend, notify, decide,
    /// decide the appeal (which makes the decision final at once).
    pub async fn transition_penalty(
        &self,
        actor: &Actor,
        id: PenaltyId,
        command: Command,
    ) -> AppResult<PenaltyDetail> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        self.visible_penalty(&mut tx, actor, id).await?;
        match command {
            Command::Apply { .. } => {
                return Err(FieldError::new("action", Rule::OneOf(&["POST /penalties/{id}/apply"])).into());
            }
            Command::FileDefense { .. } | Command::FileAppeal { .. } => {
                return Err(FieldError::new(
                    "action",
                    Rule::OneOf(&["POST /penalties/{id}/defense", "POST /penalties/{id}/appeal"]),
                )
                .into());
            }
            _ => {}
        }
        self.step(&mut tx, actor, by_of(actor), id, command, now).await?;
        let detail = self.penalty_detail(&mut tx, actor, id, now).await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// The operator's defense: text and documents, before the deadline's
    /// end (a late one is refused naming the deadline).
    pub async fn file_defense(
        &self,
        actor: &Actor,
        id: PenaltyId,
        filing: Filing,
    ) -> AppResult<PenaltyDetail> {
        self.file(actor, id, filing, FilingKind::Defense).await
    }

    /// The operator's appeal against the decision, within the appeal window.
    pub async fn file_appeal(
        &self,
        actor: &Actor,
        id: PenaltyId,
        filing: Filing,
    ) -> AppResult<PenaltyDetail> {
        self.file(actor, id, filing, FilingKind::Appeal).await
    }

    async fn file(
        &self,
        actor: &Actor,
        id: PenaltyId,
        filing: Filing,
        kind: FilingKind,
    ) -> AppResult<PenaltyDetail> {
        let now = self.now();
        let attachments = check_attachments(&filing.attachments, kind, actor)?;
        let mut tx = self.store().write().await?;
        self.visible_penalty(&mut tx, actor, id).await?;
        let command = match kind {
            FilingKind::Defense => Command::FileDefense { text: filing.text },
            FilingKind::Appeal => Command::FileAppeal { text: filing.text },
        };
        self.step(&mut tx, actor, by_of(actor), id, command, now).await?;
        for a in &attachments {
            tx.insert_penalty_attachment(id, a, now).await?;
        }
        let detail = self.penalty_detail(&mut tx, actor, id, now).await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// Applies a final fine in `installments` monthly installments from
    /// `start_month`, which must be open (contract manager, admin).
    pub async fn apply_penalty(
        &self,
        actor: &Actor,
        id: PenaltyId,
        installments: u32,
        start_month: Month,
    ) -> AppResult<PenaltyDetail> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        self.visible_penalty(&mut tx, actor, id).await?;
        crate::authz::require_write(actor, crate::authz::Resource::Penalty)?;
        if tx.closing(&start_month.to_string()).await?.is_some() {
            return Err(
                FieldError::new("start_month", Rule::MonthClosed { month: start_month.to_string() }).into()
            );
        }
        let p = self
            .step_with(
                &mut tx,
                actor,
                by_of(actor),
                id,
                Command::Apply { installments },
                now,
                Some(start_month),
            )
            .await?;
        let total = p.final_amount().unwrap_or(Money::ZERO);
        tx.insert_installments(id, &schedule(total, installments, start_month)).await?;
        let detail = self.penalty_detail(&mut tx, actor, id, now).await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// Suspends the application of a fine (a court order…), with a reason:
    /// its installments are not applied until it is resumed.
    pub async fn suspend_penalty(
        &self,
        actor: &Actor,
        id: PenaltyId,
        reason: &str,
    ) -> AppResult<PenaltyDetail> {
        self.transition_penalty(actor, id, Command::Suspend { reason: reason.to_string() }).await
    }

    /// Resumes a suspended fine: its pending installments go to
    /// consecutive months from the first open month on or after this one.
    pub async fn resume_penalty(&self, actor: &Actor, id: PenaltyId) -> AppResult<PenaltyDetail> {
        self.transition_penalty(actor, id, Command::Resume).await
    }

    /// The deadline job: a notified process past its defense deadline
    /// moves to `defense_deadline_missed`, a decided one past its appeal
    /// window becomes final; each in its own transaction, audited as the
    /// system, with its e-mail. Returns how many moved.
    pub async fn run_penalty_deadlines(&self) -> AppResult<usize> {
        let now = self.now();
        let system = Actor::system();
        let ids = {
            let mut tx = self.store().read().await?;
            tx.penalties_past_deadline(to_network_date(now)).await?
        };
        let mut moved = 0;
        for id in ids {
            let mut tx = self.store().write().await?;
            let status = tx.penalty(id).await?.penalty.status;
            let command = match status {
                PenaltyStatus::OperatorNotified => Command::MissDefenseDeadline,
                PenaltyStatus::Decided => Command::Finalize,
                _ => continue,
            };
            self.step(&mut tx, &system, By::System, id, command, now).await?;
            tx.commit().await?;
            moved += 1;
        }
        Ok(moved)
    }

    /// Applies one command ([`Self::step_with`]); deciding an appeal chains
    /// the system's finalisation (there is no further instance).
    async fn step(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        by: By,
        id: PenaltyId,
        command: Command,
        now: Timestamp,
    ) -> AppResult<Penalty> {
        let p = self.step_with(tx, actor, by, id, command, now, None).await?;
        if p.status == PenaltyStatus::AppealDecided {
            return self.step_with(tx, actor, By::System, id, Command::Finalize, now, None).await;
        }
        Ok(p)
    }

    /// Applies one command inside `tx`: the transition function decides,
    /// then the action's side effects are written with the history entry,
    /// the audit entry and the e-mail.
    #[allow(clippy::too_many_arguments)]
    async fn step_with(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        by: By,
        id: PenaltyId,
        command: Command,
        now: Timestamp,
        start_month: Option<Month>,
    ) -> AppResult<Penalty> {
        let before = tx.penalty(id).await?.penalty;
        let step = transition(&before.view(), &command, by, now).map_err(forbidden)?;
        let mut p = before.clone();
        p.status = step.to;
        p.updated_at = now;
        let decision = |grounds: &str| Decision {
            outcome: step.outcome.unwrap_or(Outcome::Upheld),
            amount: step.amount.unwrap_or(Money::ZERO),
            grounds: grounds.trim().to_string(),
            at: now,
            by: actor.user(),
        };
        let note = match &command {
            Command::Amend { amount, reason } => {
                p.proposed = *amount;
                p.amount_reason = reason.trim().to_string();
                p.amount_reason.clone()
            }
            Command::Notify => {
                let cal = calendar_for(tx, None).await?;
                let due = due_on(&cal, now, p.defense_days);
                p.notified_at = Some(now);
                p.defense_due_on = Some(due);
                format!("prazo de defesa até {} ({} dias úteis)", format_date(due), p.defense_days)
            }
            Command::FileDefense { text } => {
                p.defense_text = text.trim().to_string();
                p.defense_at = Some(now);
                String::new()
            }
            Command::MissDefenseDeadline => {
                format!("sem defesa até {}", p.defense_due_on.map(format_date).unwrap_or_default())
            }
            Command::Decide { grounds, .. } => {
                let cal = calendar_for(tx, None).await?;
                let due = due_on(&cal, now, p.appeal_days);
                p.decision = Some(decision(grounds));
                p.appeal_due_on = Some(due);
                format!("{}; recurso até {}", grounds.trim(), format_date(due))
            }
            Command::FileAppeal { text } => {
                p.appeal_text = text.trim().to_string();
                p.appeal_at = Some(now);
                String::new()
            }
            Command::DecideAppeal { grounds, .. } => {
                p.appeal_decision = Some(decision(grounds));
                grounds.trim().to_string()
            }
            Command::Finalize => {
                p.final_at = Some(now);
                match p.outcome() {
                    Some(Outcome::Dismissed) => "decisão definitiva: improcedente, nada a aplicar".into(),
                    _ => "decisão definitiva".into(),
                }
            }
            Command::Apply { installments } => {
                p.installments = Some(*installments);
                p.start_month = start_month.map(|m| m.to_string());
                format!(
                    "{installments} parcela(s) a partir de {}",
                    start_month.map(|m| m.to_string()).unwrap_or_default()
                )
            }
            Command::Settle => {
                p.settled_at = Some(now);
                "todas as parcelas aplicadas".into()
            }
            Command::Suspend { reason } => {
                p.suspended_at = Some(now);
                p.suspend_reason = reason.trim().to_string();
                p.suspend_reason.clone()
            }
            Command::Resume => {
                p.suspended_at = None;
                p.suspend_reason = String::new();
                let from = first_open_month(tx, month_of(now)).await?;
                let pending: Vec<Installment> = tx
                    .installments(id)
                    .await?
                    .into_iter()
                    .filter(|i| i.status == InstallmentStatus::Pending)
                    .collect();
                for (i, month) in pending.iter().zip(consecutive_months(from, pending.len())) {
                    tx.move_installment(i.id, &month.to_string(), false).await?;
                }
                format!("parcelas pendentes a partir de {from}")
            }
        };
        tx.update_penalty(&p).await?;
        let event = PenaltyEvent {
            at: now,
            user_id: actor.user(),
            login: actor.login.clone(),
            action: step.action.as_str().into(),
            from_status: Some(step.from),
            to_status: step.to,
            note,
            amount: step.amount,
        };
        tx.insert_penalty_event(id, &event).await?;
        record(tx, actor, now, AuditAction::Update, "penalty", Some(id.0), Some(&before), Some(&p)).await?;
        self.notify_penalty(tx, &p, step, now).await?;
        Ok(p)
    }

    /// Queues the e-mail of a step: the operators hear of what they must
    /// answer or bear, the contract managers of what they must decide.
    async fn notify_penalty(&self, tx: &mut Tx, p: &Penalty, step: Step, now: Timestamp) -> AppResult<()> {
        use PenaltyAction as A;
        let amount = |m: Option<Money>| m.map(|m| m.format_brl()).unwrap_or_default();
        let (kind, what, operators, managers) = match step.action {
            A::Notify => (
                "penalty.notified",
                format!(
                    "foi aberto contra a operadora; prazo de defesa até {}",
                    p.defense_due_on.map(format_date).unwrap_or_default()
                ),
                true,
                false,
            ),
            A::FileDefense => ("penalty.defense", "recebeu a defesa da operadora".to_string(), false, true),
            A::MissDefenseDeadline => (
                "penalty.defense_missed",
                "teve o prazo de defesa encerrado sem defesa".to_string(),
                true,
                true,
            ),
            A::Decide => (
                "penalty.decided",
                format!(
                    "foi decidido: {} ({}); recurso até {}",
                    step.outcome.map(|o| o.label()).unwrap_or_default(),
                    amount(step.amount),
                    p.appeal_due_on.map(format_date).unwrap_or_default()
                ),
                true,
                false,
            ),
            A::FileAppeal => ("penalty.appeal", "recebeu recurso da operadora".to_string(), false, true),
            A::Finalize => (
                "penalty.final",
                format!(
                    "tem decisão definitiva: {} ({})",
                    step.outcome.map(|o| o.label()).unwrap_or_default(),
                    amount(step.amount)
                ),
                true,
                true,
            ),
            A::Apply => (
                "penalty.applied",
                format!(
                    "será descontado em {} parcela(s) a partir de {}",
                    p.installments.unwrap_or(0),
                    p.start_month.clone().unwrap_or_default()
                ),
                true,
                false,
            ),
            A::Suspend => {
                ("penalty.suspended", format!("teve a aplicação suspensa: {}", p.suspend_reason), true, true)
            }
            A::Resume => ("penalty.resumed", "teve a aplicação retomada".to_string(), true, true),
            A::Settle => ("penalty.settled", "foi quitado".to_string(), true, true),
            A::Amend | A::DecideAppeal => return Ok(()),
        };
        let mut to = Vec::new();
        if operators {
            let lot = tx.lot(p.lot_id).await?;
            let ops = lot_operators(tx, &lot).await?;
            to.extend(operator_emails(tx, &ops).await?);
        }
        if managers {
            to.extend(tx.active_user_emails(Role::ContractManager, UserScope::All).await?);
        }
        let subject = format!("Processo de multa {} {what}", p.number);
        let body = format!(
            "{subject}.\n\nProcesso: {}\nSituação: {}\nValor proposto: {}\nDescrição: {}\n\n\
             Esta é uma mensagem automática do redegov.\n",
            p.number,
            p.status.label(),
            p.proposed.format_brl(),
            p.description
        );
        let email = Email {
            to,
            subject,
            body_text: body,
            link: Some(self.penalty_link(p.id)),
            kind,
            subject_ref: Some(format!("penalty:{}", p.id.0)),
        };
        enqueue(tx, now, email).await?;
        Ok(())
    }
}

/// The network month of an instant.
fn month_of(at: Timestamp) -> Month {
    let d = to_network_date(at);
    Month { year: chrono::Datelike::year(&d), month: chrono::Datelike::month(&d) }
}

/// Checks the documents of a filing and computes their checksums.
fn check_attachments(
    list: &[AttachmentInput],
    kind: FilingKind,
    actor: &Actor,
) -> AppResult<Vec<NewAttachment>> {
    if list.len() > MAX_ATTACHMENTS {
        return Err(
            FieldError::new("attachments", Rule::OutOfRange { min: 0, max: MAX_ATTACHMENTS as i64 }).into()
        );
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, a) in list.iter().enumerate() {
        let name = redegov_domain::error::required(&format!("attachments[{i}].name"), &a.name)?;
        let content_type = match a.content_type.trim() {
            "" => "application/octet-stream".to_string(),
            t if t.contains('/') && !t.contains(['\r', '\n']) => t.to_string(),
            _ => {
                return Err(FieldError::new(
                    format!("attachments[{i}].content_type"),
                    Rule::Malformed("tipo/subtipo, ex. application/pdf"),
                )
                .into());
            }
        };
        if a.data.is_empty() || a.data.len() > MAX_ATTACHMENT_BYTES {
            return Err(FieldError::new(
                format!("attachments[{i}].data_base64"),
                Rule::OutOfRange { min: 1, max: MAX_ATTACHMENT_BYTES as i64 },
            )
            .into());
        }
        out.push(NewAttachment {
            kind,
            name: name.replace(['/', '\\', '\r', '\n', '"'], "_"),
            content_type,
            sha256: sha256_hex(&a.data),
            data: a.data.clone(),
            created_by: actor.user(),
        });
    }
    Ok(out)
}

/// Loads the cited breaches from the closed months' snapshots and checks
/// they concern one lot; returns them with their measurement and that lot.
async fn cite_breaches(tx: &mut Tx, refs: &[BreachRef]) -> AppResult<(Vec<CitedBreach>, Option<LotId>)> {
    let mut cited = Vec::new();
    let mut lot: Option<LotId> = None;
    for (i, r) in refs.iter().enumerate() {
        let field = |name: &str| format!("breaches[{i}].{name}");
        let month = r.month.to_string();
        let Some(closing) = tx.closing(&month).await? else {
            return Err(FieldError::new(field("month"), Rule::MonthNotClosed { month }).into());
        };
        let f = LineFilter { access_id: Some(r.access_id), ..LineFilter::default() };
        let Some(line) = tx.closing_lines(closing.id, &f).await?.into_iter().next() else {
            return Err(FieldError::new(field("access_id"), Rule::UnknownReference).into());
        };
        let found: Vec<_> = tx
            .closing_breaches(closing.id, &f)
            .await?
            .into_iter()
            .filter(|b| {
                b.kind == r.kind
                    && r.incident_id.is_none_or(|x| b.incident_id == Some(x))
                    && r.order_id.is_none_or(|x| b.order_id == Some(x))
            })
            .collect();
        if found.is_empty() {
            return Err(FieldError::new(field("kind"), Rule::UnknownReference).into());
        }
        match lot {
            Some(l) if l != line.lot_id => {
                return Err(FieldError::new(
                    field("access_id"),
                    Rule::Other(
                        "todas as falhas citadas devem ser do mesmo lote (all breaches must concern one lot)"
                            .into(),
                    ),
                )
                .into());
            }
            _ => lot = Some(line.lot_id),
        }
        for b in found {
            let c = CitedBreach {
                month: month.clone(),
                access_id: b.access_id,
                kind: b.kind,
                incident_id: b.incident_id,
                order_id: b.order_id,
                measured: b.measured,
                target: b.target,
                line_penalty: line.penalty,
            };
            if !cited.contains(&c) {
                cited.push(c);
            }
        }
    }
    Ok((cited, lot))
}

/// The deduction parts of one due installment from the month's `lines`:
/// its amount apportioned to the agencies of its lot by their charges, and
/// each agency's part to the lot holder's members by share. `None` when
/// the lot had no charge in the month (the installment waits a month).
async fn parts_of(
    tx: &mut Tx,
    month: Month,
    lines: &[ClosingLine],
    due: &DueInstallment,
) -> AppResult<Option<Vec<NewDeduction>>> {
    let i = &due.installment;
    if i.amount == Money::ZERO {
        return Ok(Some(Vec::new()));
    }
    let mut by_agency: BTreeMap<i64, Money> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.lot_id == due.lot_id) {
        *by_agency.entry(l.agency_id.0).or_default() += l.charge;
    }
    let charges: Vec<(i64, Money)> = by_agency.into_iter().filter(|(_, c)| c.centavos() > 0).collect();
    if charges.is_empty() {
        return Ok(None);
    }
    let lot = tx.lot(due.lot_id).await?;
    let members = holder_members(tx, lot.holder).await?;
    let description = installment_description(&due.number, i.seq, i.of_total);
    Ok(Some(
        apportion(i.amount, &charges, &members)
            .into_iter()
            .map(|p| NewDeduction {
                month: month.to_string(),
                agency_id: AgencyId(p.agency_id),
                lot_id: due.lot_id,
                operator_id: OperatorId(p.operator_id),
                kind: DeductionKind::Penalty,
                source_id: i.id.0,
                description: description.clone(),
                amount: p.amount,
            })
            .collect(),
    ))
}

/// The deduction parts the fine installments due in `month` get from the
/// month's measured `lines`, without writing anything (an open month's
/// billing report shows them as they stand).
pub async fn installment_deductions(
    tx: &mut Tx,
    month: Month,
    lines: &[ClosingLine],
) -> AppResult<Vec<NewDeduction>> {
    let mut out = Vec::new();
    for due in tx.due_installments(&month.to_string()).await? {
        if let Some(parts) = parts_of(tx, month, lines, &due).await? {
            out.extend(parts);
        }
    }
    Ok(out)
}

/// Inside the closing's transaction, after the snapshot is stored: stores
/// the deduction parts of the installments due in `month` and marks them
/// applied; an installment whose lot had no charge that month moves, with
/// every later one of its process, to the following months. The last
/// installment applied settles its process (e-mailed to the operators and
/// the contract managers).
pub(crate) async fn apply_installments(
    app: &App,
    tx: &mut Tx,
    actor: &Actor,
    month: Month,
    lines: &[ClosingLine],
    now: Timestamp,
) -> AppResult<()> {
    let mut postponed: BTreeSet<PenaltyId> = BTreeSet::new();
    let mut touched: BTreeSet<PenaltyId> = BTreeSet::new();
    for due in tx.due_installments(&month.to_string()).await? {
        let i = due.installment.clone();
        if postponed.contains(&i.penalty_id) {
            continue;
        }
        let status = tx.penalty(i.penalty_id).await?.penalty.status;
        let event = |action: &str, note: String, amount| PenaltyEvent {
            at: now,
            user_id: actor.user(),
            login: actor.login.clone(),
            action: action.into(),
            from_status: Some(status),
            to_status: status,
            note,
            amount,
        };
        match parts_of(tx, month, lines, &due).await? {
            Some(parts) => {
                tx.insert_deductions(&parts, now).await?;
                tx.mark_installment_applied(i.id, now).await?;
                let note = format!("{} em {month}", installment_description(&due.number, i.seq, i.of_total));
                tx.insert_penalty_event(i.penalty_id, &event("installment_applied", note, Some(i.amount)))
                    .await?;
                let after =
                    Installment { status: InstallmentStatus::Applied, applied_at: Some(now), ..i.clone() };
                record(
                    tx,
                    actor,
                    now,
                    AuditAction::Update,
                    "penalty_installment",
                    Some(i.id.0),
                    Some(&i),
                    Some(&after),
                )
                .await?;
                touched.insert(i.penalty_id);
            }
            None => {
                postponed.insert(i.penalty_id);
                let later: Vec<Installment> = tx
                    .installments(i.penalty_id)
                    .await?
                    .into_iter()
                    .filter(|x| x.status == InstallmentStatus::Pending && x.seq >= i.seq)
                    .collect();
                let months = consecutive_months(month.next(), later.len());
                for (x, m) in later.iter().zip(&months) {
                    tx.move_installment(x.id, &m.to_string(), true).await?;
                }
                let note = format!(
                    "parcela {} de {}: o lote não teve faturamento em {month}; parcelas pendentes adiadas a partir de {}",
                    i.seq,
                    i.of_total,
                    month.next()
                );
                tx.insert_penalty_event(i.penalty_id, &event("installment_postponed", note, Some(i.amount)))
                    .await?;
                record(
                    tx,
                    actor,
                    now,
                    AuditAction::Update,
                    "penalty_installment",
                    Some(i.id.0),
                    Some(&i),
                    Some(&months.iter().map(|m| m.to_string()).collect::<Vec<_>>()),
                )
                .await?;
            }
        }
    }
    for id in touched {
        let all_applied = tx.installments(id).await?.iter().all(|x| x.status == InstallmentStatus::Applied);
        if all_applied {
            settle(app, tx, actor, id, now).await?;
        }
    }
    Ok(())
}

/// Settles a process whose last installment was applied (by the system's
/// transition, in the closing's transaction), with its e-mail.
async fn settle(app: &App, tx: &mut Tx, actor: &Actor, id: PenaltyId, now: Timestamp) -> AppResult<()> {
    let before = tx.penalty(id).await?.penalty;
    let step = transition(&before.view(), &Command::Settle, By::System, now).map_err(forbidden)?;
    let mut p = before.clone();
    p.status = step.to;
    p.settled_at = Some(now);
    p.updated_at = now;
    tx.update_penalty(&p).await?;
    let event = PenaltyEvent {
        at: now,
        user_id: actor.user(),
        login: actor.login.clone(),
        action: step.action.as_str().into(),
        from_status: Some(step.from),
        to_status: step.to,
        note: "todas as parcelas aplicadas".into(),
        amount: p.final_amount(),
    };
    tx.insert_penalty_event(id, &event).await?;
    record(tx, actor, now, AuditAction::Update, "penalty", Some(id.0), Some(&before), Some(&p)).await?;
    app.notify_penalty(tx, &p, step, now).await
}

/// Parses a month field, for the edges.
pub fn parse_start_month(text: &str) -> Result<Month, FieldError> {
    parse_month("start_month", text)
}
