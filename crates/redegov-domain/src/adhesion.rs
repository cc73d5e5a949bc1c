//! Joining the network (DOMAIN §8, seed 002 §2): the adhesion of an agency
//! and its life cycle, the documents each agency kind files, the people who
//! answer for the agency (responsible persons, with their inclusion, change
//! and ratification requests), the technical form (government applications
//! and address blocks asked for), and when a municipality must be reminded
//! to ratify its responsible persons after municipal elections.
//!
//! Who approves depends on the agency's kind: a compulsory body's
//! participation declaration is approved by the network manager (UGO); a
//! facultative body's cooperation term and a municipality's request are
//! approved by the Committee (which stands for the government authority —
//! in São Paulo, the Secretaria de Governo). The network manager reviews
//! every request and returns incomplete ones.
//!
//! Everything here is pure: the app layer loads the adhesion, its
//! documents, persons and the agency's remaining services, and calls
//! [`transition`] with them.

use crate::error::{FieldError, Rule, Valid, required};
use crate::inventory::{AgencyKind, code_enum};
use crate::role::Role;
use chrono::{Duration, NaiveDate};

code_enum!(
    /// Where an adhesion is in its life cycle.
    AdhesionStatus {
        Requested = "requested" / "Solicitada",
        UnderReview = "under_review" / "Em análise",
        Returned = "returned" / "Devolvida para correção",
        Approved = "approved" / "Aprovada",
        Rejected = "rejected" / "Indeferida",
        Suspended = "suspended" / "Suspensa (inadimplência)",
        WithdrawalRequested = "withdrawal_requested" / "Desistência solicitada",
        Withdrawn = "withdrawn" / "Desistência concluída",
    }
);

code_enum!(
    /// What someone does to an adhesion. Each action is one transition.
    AdhesionAction {
        Review = "review" / "Iniciar análise",
        Return = "return" / "Devolver para correção",
        Resubmit = "resubmit" / "Reenviar",
        Approve = "approve" / "Aprovar",
        Reject = "reject" / "Indeferir",
        Suspend = "suspend" / "Suspender (inadimplência)",
        Reinstate = "reinstate" / "Reativar",
        RequestWithdrawal = "request_withdrawal" / "Solicitar desistência",
        CancelWithdrawal = "cancel_withdrawal" / "Cancelar a desistência",
        Withdraw = "withdraw" / "Concluir a desistência",
    }
);

code_enum!(
    /// The documents of an adhesion (signed PDFs).
    DocumentKind {
        ParticipationDeclaration = "participation_declaration" / "Declaração de participação",
        CooperationTerm = "cooperation_term" / "Termo de cooperação",
        AdhesionRequest = "adhesion_request" / "Solicitação de adesão (ofício)",
        ResponsiblesForm = "responsibles_form" / "Anexo I — designação de responsáveis",
        TechnicalForm = "technical_form" / "Anexo II — formulário técnico",
        WithdrawalLetter = "withdrawal_letter" / "Anexo III — ofício de desistência",
        Other = "other" / "Outro documento",
    }
);

code_enum!(
    /// Which of the agency's two responsible persons.
    Position {
        Primary = "primary" / "1º responsável (gestor)",
        Substitute = "substitute" / "2º responsável (substituto)",
    }
);

code_enum!(
    /// Where a responsible person is.
    PersonStatus {
        Proposed = "proposed" / "Proposto (aguardando aprovação)",
        Active = "active" / "Ativo",
        Rejected = "rejected" / "Não aprovado",
        Replaced = "replaced" / "Substituído",
        Removed = "removed" / "Removido",
    }
);

code_enum!(
    /// What an Annex I request asks for.
    RequestKind {
        Inclusion = "inclusion" / "Inclusão",
        Change = "change" / "Alteração",
        Ratification = "ratification" / "Ratificação",
    }
);

code_enum!(
    /// Where a request (responsible persons, technical form) is.
    RequestStatus {
        Pending = "pending" / "Pendente",
        Approved = "approved" / "Aprovada",
        Rejected = "rejected" / "Não aprovada",
    }
);

/// The statuses in which an agency holds an adhesion: at most one such
/// adhesion per agency (a rejected or withdrawn one leaves room for a new
/// request).
pub fn is_open(status: AdhesionStatus) -> bool {
    !matches!(status, AdhesionStatus::Rejected | AdhesionStatus::Withdrawn)
}

/// Whether an agency whose adhesion is in `status` may have new orders
/// validated. An agency registered without any adhesion (imported, or
/// created by the administrator before adhesions were kept) is not blocked.
pub fn allows_orders(status: AdhesionStatus) -> bool {
    status == AdhesionStatus::Approved
}

/// The roles that may open an adhesion request (an agency manager only for
/// its own agency, which the caller checks).
pub const REQUESTERS: &[Role] = &[Role::Admin, Role::NetworkManager, Role::AgencyManager];

impl AdhesionAction {
    /// The roles that may take this action on an adhesion of `kind`. Scope
    /// (an agency manager's own agency) is checked by the caller.
    pub fn roles(self, kind: AgencyKind) -> &'static [Role] {
        use Role::*;
        match self {
            AdhesionAction::Review | AdhesionAction::Return | AdhesionAction::Withdraw => {
                &[Admin, NetworkManager]
            }
            AdhesionAction::Resubmit => &[Admin, NetworkManager, AgencyManager],
            AdhesionAction::Approve | AdhesionAction::Reject => match kind {
                AgencyKind::Compulsory => &[Admin, NetworkManager],
                AgencyKind::Facultative | AgencyKind::Municipality => &[Committee],
            },
            AdhesionAction::Suspend | AdhesionAction::Reinstate => &[Admin, ContractManager],
            AdhesionAction::RequestWithdrawal | AdhesionAction::CancelWithdrawal => &[Admin, AgencyManager],
        }
    }

    /// The statuses this action may be taken in, and where it leads.
    pub fn from_statuses(self) -> &'static [AdhesionStatus] {
        use AdhesionStatus::*;
        match self {
            AdhesionAction::Review => &[Requested],
            AdhesionAction::Return | AdhesionAction::Approve | AdhesionAction::Reject => &[UnderReview],
            AdhesionAction::Resubmit => &[Returned],
            AdhesionAction::Suspend => &[Approved],
            AdhesionAction::Reinstate => &[Suspended],
            AdhesionAction::RequestWithdrawal => &[Approved, Suspended],
            AdhesionAction::CancelWithdrawal | AdhesionAction::Withdraw => &[WithdrawalRequested],
        }
    }

    /// Whether the action needs a note (why it was returned, rejected,
    /// suspended, or why the agency leaves).
    pub fn needs_note(self) -> bool {
        matches!(
            self,
            AdhesionAction::Return
                | AdhesionAction::Reject
                | AdhesionAction::Suspend
                | AdhesionAction::RequestWithdrawal
        )
    }

    /// The actions `role` may take on `view` now (the portal's buttons, the
    /// API's `allowed_actions`): role and status, documents and persons
    /// present, nothing left in service.
    pub fn available(view: &AdhesionView, role: Role) -> Vec<AdhesionAction> {
        AdhesionAction::ALL.iter().copied().filter(|a| transition(view, *a, role, "-").is_ok()).collect()
    }
}

/// The documents an adhesion of `kind` must carry before it is approved:
/// a compulsory body's participation declaration; a facultative body's
/// cooperation term; a municipality's request letter with its Annexes I
/// (responsible persons) and II (technical form) (seed 002 §2).
pub fn required_documents(kind: AgencyKind) -> &'static [DocumentKind] {
    match kind {
        AgencyKind::Compulsory => &[DocumentKind::ParticipationDeclaration],
        AgencyKind::Facultative => &[DocumentKind::CooperationTerm],
        AgencyKind::Municipality => {
            &[DocumentKind::AdhesionRequest, DocumentKind::ResponsiblesForm, DocumentKind::TechnicalForm]
        }
    }
}

/// What a transition needs to know of an adhesion and its agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdhesionView {
    pub kind: AgencyKind,
    pub status: AdhesionStatus,
    /// The kinds of the documents attached so far.
    pub documents: Vec<DocumentKind>,
    /// The positions filled by a proposed or active responsible person.
    pub positions: Vec<Position>,
    /// The agency's accesses still active or pending, and its open orders,
    /// as the portal names them (`acesso #12 (ativo)`): what must be
    /// cancelled before the withdrawal is concluded.
    pub remaining: Vec<String>,
    /// Whether the agency is marked delinquent (a cancelled withdrawal goes
    /// back to suspended then).
    pub delinquent: bool,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The actor's role may not take this action on this kind of adhesion.
    #[error("role may not take action {action} on this adhesion")]
    Forbidden { action: AdhesionAction },
    /// The action is not one of the status's, or something it needs is missing.
    #[error(transparent)]
    Invalid(#[from] FieldError),
}

/// Where `action` by `role` takes the adhesion, or why it may not.
pub fn transition(
    view: &AdhesionView,
    action: AdhesionAction,
    role: Role,
    note: &str,
) -> Result<AdhesionStatus, TransitionError> {
    if !action.roles(view.kind).contains(&role) {
        return Err(TransitionError::Forbidden { action });
    }
    if !action.from_statuses().contains(&view.status) {
        return Err(FieldError::new(
            "action",
            Rule::ActionNotAllowed { action: action.as_str(), status: view.status.as_str() },
        )
        .into());
    }
    if action.needs_note() {
        required("note", note)?;
    }
    use AdhesionStatus::*;
    Ok(match action {
        AdhesionAction::Review => UnderReview,
        AdhesionAction::Return => Returned,
        AdhesionAction::Resubmit => Requested,
        AdhesionAction::Approve => {
            if let Some(missing) = required_documents(view.kind).iter().find(|d| !view.documents.contains(d))
            {
                return Err(FieldError::new(
                    "documents",
                    Rule::MissingDocument { document: missing.label() },
                )
                .into());
            }
            if let Some(missing) = Position::ALL.iter().find(|p| !view.positions.contains(p)) {
                return Err(FieldError::new(
                    "responsible_persons",
                    Rule::MissingDocument { document: missing.label() },
                )
                .into());
            }
            Approved
        }
        AdhesionAction::Reject => Rejected,
        AdhesionAction::Suspend => Suspended,
        AdhesionAction::Reinstate => Approved,
        AdhesionAction::RequestWithdrawal => WithdrawalRequested,
        AdhesionAction::CancelWithdrawal => {
            if view.delinquent {
                Suspended
            } else {
                Approved
            }
        }
        AdhesionAction::Withdraw => {
            if !view.documents.contains(&DocumentKind::WithdrawalLetter) {
                return Err(FieldError::new(
                    "documents",
                    Rule::MissingDocument { document: DocumentKind::WithdrawalLetter.label() },
                )
                .into());
            }
            if !view.remaining.is_empty() {
                return Err(FieldError::new(
                    "agency_id",
                    Rule::ServicesRemain { services: view.remaining.join(", ") },
                )
                .into());
            }
            Withdrawn
        }
    })
}

/// The number of an adhesion: `AD-2026/0007`.
pub fn adhesion_number(year: i32, seq: i64) -> String {
    format!("AD-{year}/{seq:04}")
}

/// The largest document taken (10 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// Checks that `data` is a PDF (its `%PDF-` header) of an accepted size:
/// the documents of an adhesion are signed PDFs.
pub fn check_pdf(field: &str, data: &[u8]) -> Valid<()> {
    if data.is_empty() || data.len() > MAX_DOCUMENT_BYTES {
        return Err(FieldError::new(field, Rule::OutOfRange { min: 1, max: MAX_DOCUMENT_BYTES as i64 }));
    }
    if !data.starts_with(b"%PDF-") {
        return Err(FieldError::new(field, Rule::Malformed("um arquivo PDF (assinado)")));
    }
    Ok(())
}

/// A responsible person as typed (Annex I of seed 002).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonInput {
    pub position: String,
    pub name: String,
    pub cpf: String,
    /// Matrícula, when the body has one.
    pub registration: String,
    pub email: String,
    /// Landline with area code (and extension).
    pub phone: String,
    pub mobile: String,
    /// Cargo/função.
    pub job_title: String,
    pub department: String,
}

/// A validated responsible person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub position: Position,
    pub name: String,
    pub cpf: crate::document::Cpf,
    pub registration: String,
    pub email: String,
    pub phone: String,
    pub mobile: String,
    pub job_title: String,
    pub department: String,
}

/// A Brazilian phone number with its area code: 10 or 11 digits once the
/// punctuation is gone, with an optional extension after `r`/`ramal`.
fn check_phone(field: &str, value: &str, needed: bool) -> Valid<String> {
    let value = value.trim();
    if value.is_empty() {
        return if needed { Err(FieldError::new(field, Rule::Required)) } else { Ok(String::new()) };
    }
    let lower = value.to_lowercase();
    let number = lower.split(['r', 'x']).next().unwrap_or("");
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let only_punctuation = number.chars().all(|c| c.is_ascii_digit() || " ()-+.".contains(c));
    let digits = digits.strip_prefix("55").filter(|d| d.len() >= 10).unwrap_or(&digits);
    if !only_punctuation || !(10..=11).contains(&digits.len()) {
        return Err(FieldError::new(field, Rule::Malformed("telefone com DDD, ex. (11) 3333-4444")));
    }
    Ok(value.to_string())
}

impl PersonInput {
    /// Validates the person: name, CPF (check digits), e-mail, a phone
    /// with area code (landline or mobile), job title and department;
    /// `field` prefixes the names (`persons[0]`).
    pub fn validate(&self, field: &str) -> Valid<Person> {
        let f = |name: &str| if field.is_empty() { name.to_string() } else { format!("{field}.{name}") };
        let position = Position::parse(&f("position"), &self.position)?;
        let name = required(&f("name"), &self.name)?;
        let cpf = crate::document::Cpf::parse(&f("cpf"), &self.cpf)?;
        let email = required(&f("email"), &self.email)?;
        if !crate::mail::is_valid_address(&email) {
            return Err(FieldError::new(
                f("email"),
                Rule::Malformed("um e-mail, ex. nome@prefeitura.sp.gov.br"),
            ));
        }
        let mobile = check_phone(&f("mobile"), &self.mobile, false)?;
        let phone = check_phone(&f("phone"), &self.phone, mobile.is_empty())?;
        Ok(Person {
            position,
            name,
            cpf,
            registration: self.registration.trim().to_string(),
            email,
            phone,
            mobile,
            job_title: required(&f("job_title"), &self.job_title)?,
            department: required(&f("department"), &self.department)?,
        })
    }
}

/// What an Annex I request is, from what it carries and who holds the
/// positions now: no persons is a ratification of the active ones;
/// persons for an agency without active ones is an inclusion; otherwise a
/// change. Two persons for one position are refused.
pub fn request_kind(persons: &[Person], active: &[Position]) -> Valid<RequestKind> {
    for (i, p) in persons.iter().enumerate() {
        if persons[..i].iter().any(|q| q.position == p.position) {
            return Err(FieldError::new(format!("persons[{i}].position"), Rule::Duplicate));
        }
        if persons[..i].iter().any(|q| q.cpf == p.cpf) {
            return Err(FieldError::new(format!("persons[{i}].cpf"), Rule::Duplicate));
        }
    }
    Ok(if persons.is_empty() {
        if active.is_empty() {
            return Err(FieldError::new("persons", Rule::Required));
        }
        RequestKind::Ratification
    } else if active.is_empty() {
        RequestKind::Inclusion
    } else {
        RequestKind::Change
    })
}

/// A government application the agency needs (Annex II): its name and the
/// body responsible for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Application {
    pub name: String,
    pub body: String,
}

/// The technical form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TechnicalFormInput {
    /// (name, responsible body) pairs.
    pub applications: Vec<(String, String)>,
    /// Private /28 blocks asked for, and public /30 ones.
    pub private_blocks: i64,
    pub public_blocks: i64,
    /// The municipality's technical contact.
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
}

/// A validated technical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechnicalForm {
    pub applications: Vec<Application>,
    pub private_blocks: u32,
    pub public_blocks: u32,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
}

/// The prefix of the private and of the public blocks a technical form
/// asks for (seed 002, Annex II: /28 private, 14 hosts; /30 public, 2 hosts).
pub const PRIVATE_PREFIX: u8 = 28;
pub const PUBLIC_PREFIX: u8 = 30;

impl TechnicalFormInput {
    /// Validates the form: each application named with its body, block
    /// counts of zero or more (at least one application or block), and a
    /// technical contact. The per-kind limits are data, checked by the app.
    pub fn validate(&self) -> Valid<TechnicalForm> {
        let mut applications = Vec::new();
        for (i, (name, body)) in self.applications.iter().enumerate() {
            if name.trim().is_empty() && body.trim().is_empty() {
                continue;
            }
            applications.push(Application {
                name: required(&format!("applications[{i}].name"), name)?,
                body: required(&format!("applications[{i}].body"), body)?,
            });
        }
        let count = |field: &str, n: i64| {
            u32::try_from(n)
                .ok()
                .filter(|n| *n <= 1000)
                .ok_or_else(|| FieldError::new(field, Rule::OutOfRange { min: 0, max: 1000 }))
        };
        let private_blocks = count("private_blocks", self.private_blocks)?;
        let public_blocks = count("public_blocks", self.public_blocks)?;
        if applications.is_empty() && private_blocks == 0 && public_blocks == 0 {
            return Err(FieldError::new("applications", Rule::Required));
        }
        let contact_email = required("contact_email", &self.contact_email)?;
        if !crate::mail::is_valid_address(&contact_email) {
            return Err(FieldError::new("contact_email", Rule::Malformed("um e-mail")));
        }
        Ok(TechnicalForm {
            applications,
            private_blocks,
            public_blocks,
            contact_name: required("contact_name", &self.contact_name)?,
            contact_phone: check_phone("contact_phone", &self.contact_phone, true)?,
            contact_email,
        })
    }
}

/// The ratification reminder (seed 002, Annex I: "após novas eleições
/// municipais"): after the municipal election date set for the network, a
/// municipality whose responsible persons were last confirmed before that
/// date is reminded, and reminded again every `every_days` until it ratifies.
pub fn ratification_due(
    election: NaiveDate,
    today: NaiveDate,
    confirmed_on: NaiveDate,
    last_reminded: Option<NaiveDate>,
    every_days: i64,
) -> bool {
    today >= election
        && confirmed_on < election
        && last_reminded.is_none_or(|r| r < election || today >= r + Duration::days(every_days.max(1)))
}

/// Days between two reminders to ratify **[default]**.
pub const DEFAULT_REMINDER_DAYS: i64 = 30;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn view(kind: AgencyKind, status: AdhesionStatus) -> AdhesionView {
        AdhesionView {
            kind,
            status,
            documents: required_documents(kind).to_vec(),
            positions: Position::ALL.to_vec(),
            remaining: vec![],
            delinquent: false,
        }
    }

    #[test]
    fn the_happy_path_of_each_kind() {
        for &kind in AgencyKind::ALL {
            let approver = AdhesionAction::Approve.roles(kind)[0];
            let mut v = view(kind, AdhesionStatus::Requested);
            for (action, role, to) in [
                (AdhesionAction::Review, Role::NetworkManager, AdhesionStatus::UnderReview),
                (AdhesionAction::Return, Role::NetworkManager, AdhesionStatus::Returned),
                (AdhesionAction::Resubmit, Role::AgencyManager, AdhesionStatus::Requested),
                (AdhesionAction::Review, Role::NetworkManager, AdhesionStatus::UnderReview),
                (AdhesionAction::Approve, approver, AdhesionStatus::Approved),
                (AdhesionAction::Suspend, Role::ContractManager, AdhesionStatus::Suspended),
                (AdhesionAction::Reinstate, Role::ContractManager, AdhesionStatus::Approved),
                (AdhesionAction::RequestWithdrawal, Role::AgencyManager, AdhesionStatus::WithdrawalRequested),
                (AdhesionAction::CancelWithdrawal, Role::AgencyManager, AdhesionStatus::Approved),
                (AdhesionAction::RequestWithdrawal, Role::AgencyManager, AdhesionStatus::WithdrawalRequested),
            ] {
                assert_eq!(transition(&v, action, role, "motivo"), Ok(to), "{kind} {action}");
                v.status = to;
            }
            assert!(matches!(
                transition(&v, AdhesionAction::Withdraw, Role::NetworkManager, ""),
                Err(TransitionError::Invalid(FieldError { rule: Rule::MissingDocument { .. }, .. }))
            ));
            v.documents.push(DocumentKind::WithdrawalLetter);
            v.remaining = vec!["acesso #3 (ativo)".into()];
            let refused = transition(&v, AdhesionAction::Withdraw, Role::NetworkManager, "");
            assert_eq!(
                refused,
                Err(FieldError::new(
                    "agency_id",
                    Rule::ServicesRemain { services: "acesso #3 (ativo)".into() }
                )
                .into())
            );
            v.remaining.clear();
            assert_eq!(
                transition(&v, AdhesionAction::Withdraw, Role::NetworkManager, ""),
                Ok(AdhesionStatus::Withdrawn)
            );
        }
    }

    #[test]
    fn the_committee_approves_facultative_and_municipal_adhesions_the_ugo_compulsory_ones() {
        let under = |k| view(k, AdhesionStatus::UnderReview);
        let approve = |k, r| transition(&under(k), AdhesionAction::Approve, r, "");
        assert!(approve(AgencyKind::Compulsory, Role::NetworkManager).is_ok());
        assert!(approve(AgencyKind::Compulsory, Role::Committee).is_err());
        for k in [AgencyKind::Facultative, AgencyKind::Municipality] {
            assert!(approve(k, Role::Committee).is_ok());
            assert_eq!(
                approve(k, Role::NetworkManager),
                Err(TransitionError::Forbidden { action: AdhesionAction::Approve })
            );
        }
        for role in [Role::AgencyManager, Role::Operator, Role::Auditor] {
            assert!(AdhesionAction::available(&under(AgencyKind::Municipality), role).is_empty());
        }
    }

    /// Who takes each step, as docs/adhesion.md states it.
    #[test]
    fn the_roles_of_every_action_are_the_documented_ones() {
        use Role::*;
        for &kind in AgencyKind::ALL {
            let approvers: &[Role] =
                if kind == AgencyKind::Compulsory { &[Admin, NetworkManager] } else { &[Committee] };
            for &action in AdhesionAction::ALL {
                let expected: &[Role] = match action {
                    AdhesionAction::Review | AdhesionAction::Return | AdhesionAction::Withdraw => {
                        &[Admin, NetworkManager]
                    }
                    AdhesionAction::Resubmit => &[Admin, NetworkManager, AgencyManager],
                    AdhesionAction::Approve | AdhesionAction::Reject => approvers,
                    AdhesionAction::Suspend | AdhesionAction::Reinstate => &[Admin, ContractManager],
                    AdhesionAction::RequestWithdrawal | AdhesionAction::CancelWithdrawal => {
                        &[Admin, AgencyManager]
                    }
                };
                for &role in Role::ALL {
                    let mut v = view(kind, action.from_statuses()[0]);
                    v.documents.push(DocumentKind::WithdrawalLetter);
                    let got = transition(&v, action, role, "nota");
                    assert_eq!(got.is_ok(), expected.contains(&role), "{kind} {action} by {role:?}: {got:?}");
                    if !expected.contains(&role) {
                        assert_eq!(got, Err(TransitionError::Forbidden { action }));
                    }
                }
            }
        }
    }

    #[test]
    fn approval_needs_the_kinds_documents_and_both_persons() {
        let mut v = view(AgencyKind::Municipality, AdhesionStatus::UnderReview);
        v.documents.retain(|d| *d != DocumentKind::TechnicalForm);
        let e = transition(&v, AdhesionAction::Approve, Role::Committee, "").expect_err("refused");
        assert_eq!(
            e,
            FieldError::new(
                "documents",
                Rule::MissingDocument { document: DocumentKind::TechnicalForm.label() }
            )
            .into()
        );
        let mut v = view(AgencyKind::Compulsory, AdhesionStatus::UnderReview);
        v.positions = vec![Position::Primary];
        let e = transition(&v, AdhesionAction::Approve, Role::NetworkManager, "").expect_err("refused");
        assert!(
            matches!(e, TransitionError::Invalid(FieldError { ref field, .. }) if field == "responsible_persons")
        );
    }

    #[test]
    fn notes_are_required_where_a_reason_is_owed() {
        let v = view(AgencyKind::Compulsory, AdhesionStatus::UnderReview);
        assert_eq!(
            transition(&v, AdhesionAction::Return, Role::NetworkManager, "  "),
            Err(FieldError::new("note", Rule::Required).into())
        );
    }

    #[test]
    fn a_cancelled_withdrawal_of_a_delinquent_agency_goes_back_to_suspended() {
        let mut v = view(AgencyKind::Compulsory, AdhesionStatus::WithdrawalRequested);
        v.delinquent = true;
        assert_eq!(
            transition(&v, AdhesionAction::CancelWithdrawal, Role::Admin, ""),
            Ok(AdhesionStatus::Suspended)
        );
    }

    fn person(position: &str, cpf: &str) -> PersonInput {
        PersonInput {
            position: position.into(),
            name: "Maria Souza".into(),
            cpf: cpf.into(),
            registration: String::new(),
            email: "maria@prefeitura.sp.gov.br".into(),
            phone: "(11) 3333-4444 r. 21".into(),
            mobile: String::new(),
            job_title: "Diretora de TI".into(),
            department: "Tecnologia".into(),
        }
    }

    #[test]
    fn persons_are_validated_field_by_field() {
        let ok = person("primary", "529.982.247-25").validate("persons[0]").expect("valid");
        assert_eq!(ok.cpf.as_str(), "52998224725");
        assert_eq!(
            person("primary", "529.982.247-24").validate("persons[0]"),
            Err(FieldError::new("persons[0].cpf", Rule::InvalidCpf))
        );
        let mut p = person("primary", "52998224725");
        p.phone = "3333-4444".into();
        assert!(matches!(p.validate(""), Err(FieldError { ref field, .. }) if field == "phone"));
        p.mobile = "+55 11 98888-7777".into();
        p.phone.clear();
        assert!(p.validate("").is_ok());
        p.email = "maria".into();
        assert!(matches!(p.validate(""), Err(FieldError { ref field, .. }) if field == "email"));
    }

    #[test]
    fn request_kinds() {
        let a = person("primary", "52998224725").validate("").expect("valid");
        let b = person("substitute", "11144477735").validate("").expect("valid");
        assert_eq!(request_kind(&[a.clone(), b.clone()], &[]), Ok(RequestKind::Inclusion));
        assert_eq!(request_kind(std::slice::from_ref(&b), &[Position::Primary]), Ok(RequestKind::Change));
        assert_eq!(request_kind(&[], &[Position::Primary]), Ok(RequestKind::Ratification));
        assert_eq!(request_kind(&[], &[]), Err(FieldError::new("persons", Rule::Required)));
        let mut twice = b.clone();
        twice.position = Position::Primary;
        assert_eq!(
            request_kind(&[a.clone(), twice], &[]),
            Err(FieldError::new("persons[1].position", Rule::Duplicate))
        );
        let mut same_cpf = b;
        same_cpf.cpf = a.cpf.clone();
        assert_eq!(
            request_kind(&[a, same_cpf], &[]),
            Err(FieldError::new("persons[1].cpf", Rule::Duplicate))
        );
    }

    #[test]
    fn technical_forms() {
        let input = TechnicalFormInput {
            applications: vec![("SEI".into(), "Casa Civil".into()), (String::new(), String::new())],
            private_blocks: 2,
            public_blocks: 1,
            contact_name: "João".into(),
            contact_phone: "(19) 3222-1111".into(),
            contact_email: "ti@campinas.sp.gov.br".into(),
        };
        let form = input.validate().expect("valid");
        assert_eq!(form.applications, vec![Application { name: "SEI".into(), body: "Casa Civil".into() }]);
        let mut bad = input.clone();
        bad.applications = vec![("SEI".into(), " ".into())];
        assert_eq!(bad.validate(), Err(FieldError::new("applications[0].body", Rule::Required)));
        let mut bad = input;
        bad.private_blocks = -1;
        assert_eq!(
            bad.validate(),
            Err(FieldError::new("private_blocks", Rule::OutOfRange { min: 0, max: 1000 }))
        );
    }

    #[test]
    fn only_pdfs_are_documents() {
        assert!(check_pdf("file", b"%PDF-1.7\n...").is_ok());
        assert!(check_pdf("file", b"PK\x03\x04").is_err());
        assert!(check_pdf("file", b"").is_err());
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("valid")
    }

    #[test]
    fn ratification_reminders() {
        let election = day("2028-10-01");
        let before = day("2025-03-01");
        assert!(!ratification_due(election, day("2028-09-30"), before, None, 30));
        assert!(ratification_due(election, day("2028-10-01"), before, None, 30));
        assert!(!ratification_due(election, day("2028-10-20"), before, Some(day("2028-10-01")), 30));
        assert!(ratification_due(election, day("2028-10-31"), before, Some(day("2028-10-01")), 30));
        assert!(!ratification_due(election, day("2028-10-31"), day("2028-10-05"), None, 30));
        // A reminder of the previous election does not count for this one.
        assert!(ratification_due(election, day("2028-10-02"), before, Some(day("2028-09-30")), 30));
    }

    proptest! {
        /// Whatever the sequence of actions and roles, the life cycle only
        /// ever moves along its edges, and a withdrawn adhesion is final.
        #[test]
        fn transitions_follow_the_edges(steps in proptest::collection::vec((0usize..10, 0usize..7), 1..40)) {
            let mut v = view(AgencyKind::Municipality, AdhesionStatus::Requested);
            v.documents.push(DocumentKind::WithdrawalLetter);
            for (a, r) in steps {
                let action = AdhesionAction::ALL[a];
                let role = Role::ALL[r];
                let before = v.status;
                if let Ok(to) = transition(&v, action, role, "nota") {
                    prop_assert!(action.from_statuses().contains(&before));
                    prop_assert!(action.roles(v.kind).contains(&role));
                    prop_assert!(is_open(before));
                    v.status = to;
                }
            }
        }

        #[test]
        fn reminders_stop_once_ratified(offset in 0i64..2000, confirmed in 0i64..2000) {
            let election = day("2028-10-01");
            let today = election + Duration::days(offset);
            let confirmed_on = day("2024-01-01") + Duration::days(confirmed);
            let due = ratification_due(election, today, confirmed_on, None, 30);
            prop_assert_eq!(due, confirmed_on < election);
        }
    }
}
