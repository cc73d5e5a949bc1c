//! The people who answer for an agency and what it asks for (seed 002,
//! Annexes I and II; `docs/adhesion.md`): responsible persons and their
//! inclusion, change and ratification requests — each approved person gets
//! a portal account as agency manager, invited by e-mail to set its
//! password, and a replaced or removed person's account stops at once —,
//! the technical form whose approval allocates the blocks asked for, and
//! the ratification reminders after municipal elections.
//!
//! Every use case is one transaction with its audit entries and e-mails.
//! Readers are those of adhesions (operators are refused); an agency
//! manager reads and files for its own agency only; the network manager
//! and the admin decide.

use crate::adhesions::{in_scope, require_reader};
use crate::audit::{Action as AuditAction, record};
use crate::auth::{random_token, token_hash};
use crate::mail::{Email, agency_manager_emails, enqueue, network_manager_emails};
use crate::{App, AppError, AppResult};
use chrono::Duration;
use redegov_domain::adhesion::*;
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::*;
use redegov_domain::ipam::Visibility;
use redegov_domain::role::{Actor, Role, Scope};
use redegov_domain::time::{Timestamp, to_network_date};
use redegov_store::Tx;
use redegov_store::users::NewUser;
use serde::Serialize;

pub use redegov_store::adhesions::{AdhesionSettings, PersonRecord, ResponsibleRequest, TechnicalFormRecord};

/// Whether the actor sees CPFs whole: those who register and check people.
pub fn sees_cpf(actor: &Actor, agency: AgencyId) -> bool {
    match actor.role {
        Role::Admin | Role::NetworkManager => true,
        Role::AgencyManager => actor.scope == Scope::Agency(agency),
        _ => false,
    }
}

/// How long an invitation to set the first password is valid.
pub const INVITATION_DAYS: i64 = 7;

/// What approving a technical form allocates from: a pool for the private
/// blocks and one for the public ones (each needed only when asked for).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FormPools {
    pub private_pool: Option<IpPoolId>,
    pub public_pool: Option<IpPoolId>,
}

#[derive(Serialize)]
struct PersonAudit<'a> {
    agency_id: AgencyId,
    position: &'static str,
    name: &'a str,
    /// Masked: the audit log is read by auditors, who need not know who.
    cpf: String,
    status: &'static str,
    user_id: Option<UserId>,
}

impl PersonAudit<'_> {
    fn of(p: &PersonRecord, status: PersonStatus) -> PersonAudit<'_> {
        PersonAudit {
            agency_id: p.agency_id,
            position: p.person.position.as_str(),
            name: &p.person.name,
            cpf: p.person.cpf.redacted(),
            status: status.as_str(),
            user_id: p.user_id,
        }
    }
}

/// A request's status and decision note, as the audit log keeps them.
#[derive(Serialize)]
struct RequestDecision<'a> {
    status: &'static str,
    note: &'a str,
}

impl App {
    /// Files an Annex I request for an agency: one or two persons to include
    /// or change, or none to ratify the active ones (the agency's manager,
    /// admin, network manager). One pending request per agency.
    pub async fn request_responsibles(
        &self,
        actor: &Actor,
        agency: AgencyId,
        persons: &[PersonInput],
        note: &str,
    ) -> AppResult<ResponsibleRequest> {
        if !REQUESTERS.contains(&actor.role) {
            return Err(AppError::Forbidden("request responsible persons"));
        }
        if !in_scope(actor, agency) {
            return Err(FieldError::new("agency_id", Rule::UnknownReference).into());
        }
        let valid = persons
            .iter()
            .enumerate()
            .map(|(i, p)| p.validate(&format!("persons[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        crate::inventory::reference(tx.agency(agency).await, "agency_id").await?;
        let active: Vec<Position> = tx
            .persons(Some(agency), &[PersonStatus::Active])
            .await?
            .iter()
            .map(|p| p.person.position)
            .collect();
        let kind = request_kind(&valid, &active)?;
        if !tx.responsible_requests(Some(agency), true).await?.is_empty() {
            return Err(AppError::Conflict {
                field: Some("agency_id".into()),
                message: "já há um pedido de responsáveis pendente para este órgão; aguarde a decisão".into(),
            });
        }
        let request = tx.insert_responsible_request(agency, kind, note.trim(), actor.user(), now).await?;
        for p in &valid {
            tx.insert_person(agency, request, p, now).await?;
        }
        let r = tx.responsible_request(request).await?;
        #[derive(Serialize)]
        struct RequestAudit<'a> {
            agency_id: AgencyId,
            kind: &'static str,
            persons: Vec<(&'static str, &'a str, String)>,
        }
        let audit = RequestAudit {
            agency_id: agency,
            kind: kind.as_str(),
            persons: valid.iter().map(|p| (p.position.as_str(), p.name.as_str(), p.cpf.redacted())).collect(),
        };
        record(
            &mut tx,
            actor,
            now,
            AuditAction::Create,
            "responsible_request",
            Some(request.0),
            None::<&()>,
            Some(&audit),
        )
        .await?;
        let to = network_manager_emails(&mut tx).await?;
        enqueue(
            &mut tx,
            now,
            Email {
                to,
                subject: format!(
                    "Responsáveis de {}: pedido de {}",
                    r.agency_acronym,
                    kind.label().to_lowercase()
                ),
                body_text: format!(
                    "{} pediu a {} dos responsáveis de {}. Analise o pedido no portal.",
                    actor.login,
                    kind.label().to_lowercase(),
                    r.agency_acronym
                ),
                link: Some(format!("{}/responsaveis", self.public_url())),
                kind: "responsibles.requested",
                subject_ref: Some(format!("responsible_request:{}", request.0)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Persons of one agency or all, in the actor's scope (an agency
    /// manager's: its own agency's), current ones unless `all`.
    pub async fn list_persons(
        &self,
        actor: &Actor,
        agency: Option<AgencyId>,
        all: bool,
    ) -> AppResult<Vec<PersonRecord>> {
        require_reader(actor)?;
        let mut agency = agency;
        crate::authz::narrow(actor, &mut agency, &mut None);
        let statuses: &[PersonStatus] =
            if all { &[] } else { &[PersonStatus::Proposed, PersonStatus::Active] };
        let mut tx = self.store().read().await?;
        Ok(tx.persons(agency, statuses).await?)
    }

    /// Requests in the actor's scope, newest first.
    pub async fn list_responsible_requests(
        &self,
        actor: &Actor,
        agency: Option<AgencyId>,
        pending_only: bool,
    ) -> AppResult<Vec<ResponsibleRequest>> {
        require_reader(actor)?;
        let mut agency = agency;
        crate::authz::narrow(actor, &mut agency, &mut None);
        let mut tx = self.store().read().await?;
        Ok(tx.responsible_requests(agency, pending_only).await?)
    }

    /// Decides an Annex I request (network manager, admin). Approving an
    /// inclusion or change activates its persons with portal accounts
    /// (replacing whoever held the position); a ratification confirms the
    /// active persons. While the agency's adhesion is being decided, its
    /// persons are approved with it instead.
    pub async fn decide_responsibles(
        &self,
        actor: &Actor,
        id: ResponsibleRequestId,
        approve: bool,
        note: &str,
    ) -> AppResult<ResponsibleRequest> {
        if !matches!(actor.role, Role::Admin | Role::NetworkManager) {
            return Err(AppError::Forbidden("decide responsible person requests"));
        }
        let note = note.trim();
        if !approve && note.is_empty() {
            return Err(FieldError::new("note", Rule::Required).into());
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        let r = tx.responsible_request(id).await.map_err(AppError::not_found("request"))?;
        if r.status != RequestStatus::Pending {
            return Err(FieldError::new(
                "request",
                Rule::ActionNotAllowed { action: "decide", status: r.status.as_str() },
            )
            .into());
        }
        if approve {
            if let Some(a) = tx.latest_adhesion(r.agency_id).await?
                && !matches!(a.status, AdhesionStatus::Approved | AdhesionStatus::Suspended)
            {
                return Err(FieldError::new(
                    "request",
                    Rule::ActionNotAllowed { action: "approve", status: a.status.as_str() },
                )
                .into());
            }
            self.approve_persons(&mut tx, actor, &r, note, now).await?;
        } else {
            self.reject_persons(&mut tx, actor, &r, note, now).await?;
        }
        let r = tx.responsible_request(id).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub(crate) async fn approve_persons(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        r: &ResponsibleRequest,
        note: &str,
        now: Timestamp,
    ) -> AppResult<()> {
        tx.decide_responsible_request(r.id, RequestStatus::Approved, note, actor.user(), now).await?;
        if r.kind == RequestKind::Ratification {
            tx.ratify_persons(r.agency_id, now).await?;
        }
        for p in tx.persons_of_request(r.id).await? {
            for old in tx.persons(Some(r.agency_id), &[PersonStatus::Active]).await? {
                if old.person.position == p.person.position {
                    self.end_person(tx, actor, &old, PersonStatus::Replaced, now).await?;
                }
            }
            let user = self.open_account(tx, actor, &p, now).await?;
            tx.activate_person(p.id, user, now).await?;
            let mut active = p.clone();
            active.user_id = Some(user);
            record(
                tx,
                actor,
                now,
                AuditAction::Update,
                "responsible_person",
                Some(p.id.0),
                Some(&PersonAudit::of(&p, PersonStatus::Proposed)),
                Some(&PersonAudit::of(&active, PersonStatus::Active)),
            )
            .await?;
        }
        record(
            tx,
            actor,
            now,
            AuditAction::Update,
            "responsible_request",
            Some(r.id.0),
            Some(&RequestDecision { status: "pending", note: "" }),
            Some(&RequestDecision { status: "approved", note }),
        )
        .await?;
        let mut to = agency_manager_emails(tx, r.agency_id).await?;
        to.extend(
            tx.persons(Some(r.agency_id), &[PersonStatus::Active]).await?.into_iter().map(|p| p.person.email),
        );
        enqueue(
            tx,
            now,
            Email {
                to,
                subject: format!(
                    "Responsáveis de {}: {} aprovada",
                    r.agency_acronym,
                    r.kind.label().to_lowercase()
                ),
                body_text: format!(
                    "O pedido de {} dos responsáveis de {} foi aprovado.",
                    r.kind.label().to_lowercase(),
                    r.agency_acronym
                ),
                link: Some(format!("{}/responsaveis", self.public_url())),
                kind: "responsibles.approved",
                subject_ref: Some(format!("responsible_request:{}", r.id.0)),
            },
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn reject_persons(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        r: &ResponsibleRequest,
        note: &str,
        now: Timestamp,
    ) -> AppResult<()> {
        tx.decide_responsible_request(r.id, RequestStatus::Rejected, note, actor.user(), now).await?;
        for p in tx.persons_of_request(r.id).await? {
            tx.end_person(p.id, PersonStatus::Rejected, now).await?;
        }
        record(
            tx,
            actor,
            now,
            AuditAction::Update,
            "responsible_request",
            Some(r.id.0),
            Some(&RequestDecision { status: "pending", note: "" }),
            Some(&RequestDecision { status: "rejected", note }),
        )
        .await?;
        let to = agency_manager_emails(tx, r.agency_id).await?;
        enqueue(
            tx,
            now,
            Email {
                to,
                subject: format!("Responsáveis de {}: pedido não aprovado", r.agency_acronym),
                body_text: format!(
                    "O pedido de {} não foi aprovado.\nMotivo: {note}",
                    r.kind.label().to_lowercase()
                ),
                link: Some(format!("{}/responsaveis", self.public_url())),
                kind: "responsibles.rejected",
                subject_ref: Some(format!("responsible_request:{}", r.id.0)),
            },
        )
        .await?;
        Ok(())
    }

    /// Removes an active person (network manager, admin): the person's
    /// portal account stops working at once.
    pub async fn remove_responsible(
        &self,
        actor: &Actor,
        id: PersonId,
        note: &str,
    ) -> AppResult<PersonRecord> {
        if !matches!(actor.role, Role::Admin | Role::NetworkManager) {
            return Err(AppError::Forbidden("remove responsible persons"));
        }
        let note = redegov_domain::error::required("note", note)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let p = tx.person(id).await.map_err(AppError::not_found("person"))?;
        if p.status != PersonStatus::Active {
            return Err(FieldError::new(
                "person",
                Rule::ActionNotAllowed { action: "remove", status: p.status.as_str() },
            )
            .into());
        }
        self.end_person(&mut tx, actor, &p, PersonStatus::Removed, now).await?;
        enqueue(
            &mut tx,
            now,
            Email {
                to: vec![p.person.email.clone()],
                subject: format!("Acesso ao portal encerrado — {}", p.agency_acronym),
                body_text: format!(
                    "{}, você deixou de ser responsável por {} na rede e seu acesso ao portal foi encerrado.\n\
                     Motivo: {note}",
                    p.person.name, p.agency_acronym
                ),
                link: None,
                kind: "responsibles.removed",
                subject_ref: Some(format!("person:{}", id.0)),
            },
        )
        .await?;
        let p = tx.person(id).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Ends a person and deactivates its account (sessions and tokens of an
    /// inactive user are refused on the next request).
    pub(crate) async fn end_person(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        p: &PersonRecord,
        status: PersonStatus,
        now: Timestamp,
    ) -> AppResult<()> {
        tx.end_person(p.id, status, now).await?;
        if let Some(user) = p.user_id {
            tx.set_user_active(user, false).await?;
        }
        record(
            tx,
            actor,
            now,
            AuditAction::Update,
            "responsible_person",
            Some(p.id.0),
            Some(&PersonAudit::of(p, p.status)),
            Some(&PersonAudit::of(p, status)),
        )
        .await?;
        Ok(())
    }

    /// The person's portal account, as agency manager of its agency: an
    /// inactive account of the same person (same e-mail, same agency) is
    /// reactivated; otherwise a new one is made, its login the e-mail. The
    /// person is e-mailed an invitation link to set the password.
    async fn open_account(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        p: &PersonRecord,
        now: Timestamp,
    ) -> AppResult<UserId> {
        let base: String = p
            .person
            .email
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || "._-@".contains(c) { c } else { '_' })
            .take(60)
            .collect();
        let mut login = base.clone();
        let mut n = 1;
        let user = loop {
            match tx.user_by_login(&login).await {
                Ok(u) if u.role == Role::AgencyManager && u.agency_id == Some(p.agency_id) => {
                    tx.set_user_active(u.id, true).await?;
                    break u.id;
                }
                Ok(_) => {
                    n += 1;
                    login = format!("{base}-{n}");
                }
                Err(redegov_store::StoreError::NotFound) => {
                    let u = tx
                        .insert_user(&NewUser {
                            login: login.clone(),
                            name: p.person.name.clone(),
                            email: p.person.email.clone(),
                            role: Role::AgencyManager,
                            agency_id: Some(p.agency_id),
                            operator_id: None,
                            // Matches no password: the invitation sets one.
                            password_hash: "!invited".into(),
                            created_at: now,
                        })
                        .await?;
                    #[derive(Serialize)]
                    struct Account<'a> {
                        login: &'a str,
                        role: &'static str,
                        agency_id: AgencyId,
                    }
                    let audit = Account { login: &login, role: "agency_manager", agency_id: p.agency_id };
                    record(
                        tx,
                        actor,
                        now,
                        AuditAction::Create,
                        "user",
                        Some(u.id.0),
                        None::<&()>,
                        Some(&audit),
                    )
                    .await?;
                    break u.id;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let token = random_token(24);
        tx.insert_invitation(&token_hash(&token), user, now + Duration::days(INVITATION_DAYS), now).await?;
        enqueue(
            tx,
            now,
            Email {
                to: vec![p.person.email.clone()],
                subject: format!("Seu acesso ao portal da rede — {}", p.agency_acronym),
                body_text: format!(
                    "{}, você foi aprovado(a) como {} de {}.\nSeu usuário é {login}. Defina sua senha pelo link \
                     abaixo, válido por {INVITATION_DAYS} dias.",
                    p.person.name,
                    p.person.position.label(),
                    p.agency_acronym
                ),
                link: Some(format!("{}/convite/{token}", self.public_url())),
                kind: "user.invited",
                subject_ref: Some(format!("user:{}", user.0)),
            },
        )
        .await?;
        Ok(user)
    }

    /// Sets the first password through an invitation link; returns the
    /// login. An unknown, used or expired link is refused.
    pub async fn accept_invitation(&self, token: &str, password: &str) -> AppResult<String> {
        crate::auth::check_password(password)?;
        let hash = crate::auth::hash_password(password).await?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let inv =
            tx.invitation(&token_hash(token.trim())).await.map_err(AppError::not_found("invitation"))?;
        if inv.used_at.is_some() || inv.expires_at <= now {
            return Err(AppError::NotFound("invitation"));
        }
        let user = tx.user(inv.user_id).await?;
        if !user.active {
            return Err(AppError::NotFound("invitation"));
        }
        tx.set_password(user.id, &hash).await?;
        tx.use_invitation(&token_hash(token.trim()), now).await?;
        let actor = crate::auth::actor_of(&user)?;
        record(
            &mut tx,
            &actor,
            now,
            AuditAction::Update,
            "user_password",
            Some(user.id.0),
            None::<&()>,
            Some(&serde_json::json!({"login": user.login, "via": "invitation"})),
        )
        .await?;
        tx.commit().await?;
        Ok(user.login)
    }

    // ----- technical forms -----

    /// Files an Annex II technical form: applications and address blocks
    /// asked for, within the agency kind's limits (the blocks it holds
    /// count).
    pub async fn submit_technical_form(
        &self,
        actor: &Actor,
        agency: AgencyId,
        input: TechnicalFormInput,
    ) -> AppResult<TechnicalFormRecord> {
        if !REQUESTERS.contains(&actor.role) {
            return Err(AppError::Forbidden("file technical forms"));
        }
        if !in_scope(actor, agency) {
            return Err(FieldError::new("agency_id", Rule::UnknownReference).into());
        }
        let form = input.validate()?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        crate::inventory::reference(tx.agency(agency).await, "agency_id").await?;
        check_requested_blocks(&mut tx, agency, &form).await?;
        let id = tx.insert_technical_form(agency, &form, actor.user(), now).await?;
        let saved = tx.technical_form(id).await?;
        #[derive(Serialize)]
        struct FormAudit<'a> {
            agency_id: AgencyId,
            applications: &'a [Application],
            private_blocks: u32,
            public_blocks: u32,
        }
        let audit = FormAudit {
            agency_id: agency,
            applications: &saved.form.applications,
            private_blocks: form.private_blocks,
            public_blocks: form.public_blocks,
        };
        record(
            &mut tx,
            actor,
            now,
            AuditAction::Create,
            "technical_form",
            Some(id.0),
            None::<&()>,
            Some(&audit),
        )
        .await?;
        let to = network_manager_emails(&mut tx).await?;
        enqueue(
            &mut tx,
            now,
            Email {
                to,
                subject: format!("Formulário técnico de {}", saved.agency_acronym),
                body_text: format!(
                    "{} enviou o formulário técnico: {} aplicação(ões), {} bloco(s) privado(s) /{PRIVATE_PREFIX} e \
                     {} público(s) /{PUBLIC_PREFIX}.",
                    saved.agency_acronym,
                    saved.form.applications.len(),
                    form.private_blocks,
                    form.public_blocks
                ),
                link: Some(format!("{}/responsaveis", self.public_url())),
                kind: "technical_form.submitted",
                subject_ref: Some(format!("technical_form:{}", id.0)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Technical forms in the actor's scope, newest first.
    pub async fn list_technical_forms(
        &self,
        actor: &Actor,
        agency: Option<AgencyId>,
        pending_only: bool,
    ) -> AppResult<Vec<TechnicalFormRecord>> {
        require_reader(actor)?;
        let mut agency = agency;
        crate::authz::narrow(actor, &mut agency, &mut None);
        let mut tx = self.store().read().await?;
        Ok(tx.technical_forms(agency, pending_only).await?)
    }

    /// Decides a technical form (network manager, admin). Approving it
    /// allocates the blocks asked for from the pools given, first fit,
    /// in the same transaction: all of them or none.
    pub async fn decide_technical_form(
        &self,
        actor: &Actor,
        id: TechnicalFormId,
        approve: bool,
        note: &str,
        pools: FormPools,
    ) -> AppResult<(TechnicalFormRecord, Vec<crate::ipam::IpBlock>)> {
        crate::authz::require_write(actor, crate::authz::Resource::Ipam)?;
        let note = note.trim();
        if !approve && note.is_empty() {
            return Err(FieldError::new("note", Rule::Required).into());
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        let f = tx.technical_form(id).await.map_err(AppError::not_found("technical form"))?;
        if f.status != RequestStatus::Pending {
            return Err(FieldError::new(
                "form",
                Rule::ActionNotAllowed { action: "decide", status: f.status.as_str() },
            )
            .into());
        }
        let mut blocks = Vec::new();
        if approve {
            check_requested_blocks(&mut tx, f.agency_id, &f.form).await?;
            for (count, pool_id, field, visibility, prefix) in [
                (
                    f.form.private_blocks,
                    pools.private_pool,
                    "private_pool_id",
                    Visibility::Private,
                    PRIVATE_PREFIX,
                ),
                (
                    f.form.public_blocks,
                    pools.public_pool,
                    "public_pool_id",
                    Visibility::Public,
                    PUBLIC_PREFIX,
                ),
            ] {
                if count == 0 {
                    continue;
                }
                let pool_id = pool_id.ok_or_else(|| FieldError::new(field, Rule::Required))?;
                let pool = crate::inventory::reference(tx.ip_pool(pool_id).await, field).await?;
                if pool.visibility != visibility {
                    let expected: &'static [&'static str] = match visibility {
                        Visibility::Private => &["private"],
                        Visibility::Public => &["public"],
                    };
                    return Err(FieldError::new(field, Rule::OneOf(expected)).into());
                }
                redegov_domain::ipam::check_prefix(field, pool.cidr, i64::from(prefix))?;
                tx.lock_ip_pool(pool.id).await?;
                let got = crate::ipam::allocate_many(
                    &mut tx,
                    actor,
                    &pool,
                    f.agency_id,
                    prefix,
                    count as usize,
                    field,
                    now,
                )
                .await?;
                blocks.extend(got);
            }
        }
        let status = if approve { RequestStatus::Approved } else { RequestStatus::Rejected };
        tx.decide_technical_form(id, status, note, actor.user(), now).await?;
        #[derive(Serialize)]
        struct Decision<'a> {
            status: &'static str,
            note: &'a str,
            blocks: Vec<String>,
        }
        record(
            &mut tx,
            actor,
            now,
            AuditAction::Update,
            "technical_form",
            Some(id.0),
            Some(&Decision { status: "pending", note: "", blocks: vec![] }),
            Some(&Decision {
                status: status.as_str(),
                note,
                blocks: blocks.iter().map(|b| b.cidr.to_string()).collect(),
            }),
        )
        .await?;
        let mut body =
            format!("O formulário técnico de {} foi {}.", f.agency_acronym, status.label().to_lowercase());
        if !blocks.is_empty() {
            body.push_str("\nBlocos alocados: ");
            body.push_str(&blocks.iter().map(|b| b.cidr.to_string()).collect::<Vec<_>>().join(", "));
        }
        if !note.is_empty() {
            body.push_str(&format!("\nObservação: {note}"));
        }
        let mut to = agency_manager_emails(&mut tx, f.agency_id).await?;
        to.push(f.form.contact_email.clone());
        enqueue(
            &mut tx,
            now,
            Email {
                to,
                subject: format!(
                    "Formulário técnico de {}: {}",
                    f.agency_acronym,
                    status.label().to_lowercase()
                ),
                body_text: body,
                link: Some(format!("{}/enderecos", self.public_url())),
                kind: "technical_form.decided",
                subject_ref: Some(format!("technical_form:{}", id.0)),
            },
        )
        .await?;
        let f = tx.technical_form(id).await?;
        tx.commit().await?;
        Ok((f, blocks))
    }

    // ----- ratification -----

    pub async fn adhesion_settings(&self, actor: &Actor) -> AppResult<AdhesionSettings> {
        require_reader(actor)?;
        let mut tx = self.store().read().await?;
        Ok(tx.adhesion_settings().await?)
    }

    /// Sets the municipal election date after which municipalities ratify
    /// their persons, and the days between reminders (admin, network manager).
    pub async fn set_adhesion_settings(
        &self,
        actor: &Actor,
        s: AdhesionSettings,
    ) -> AppResult<AdhesionSettings> {
        if !matches!(actor.role, Role::Admin | Role::NetworkManager) {
            return Err(AppError::Forbidden("change the adhesion settings"));
        }
        if !(1..=365).contains(&s.reminder_days) {
            return Err(FieldError::new("reminder_days", Rule::OutOfRange { min: 1, max: 365 }).into());
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = tx.adhesion_settings().await?;
        tx.save_adhesion_settings(&s, now).await?;
        #[derive(Serialize)]
        struct Settings {
            election_date: Option<chrono::NaiveDate>,
            reminder_days: i64,
        }
        let shown = |s: &AdhesionSettings| Settings {
            election_date: s.election_date,
            reminder_days: s.reminder_days,
        };
        record(
            &mut tx,
            actor,
            now,
            AuditAction::Update,
            "adhesion_settings",
            Some(1),
            Some(&shown(&before)),
            Some(&shown(&s)),
        )
        .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// The ratification job: after the election date, e-mails each
    /// municipality whose persons were last confirmed before it, again
    /// every `reminder_days` until they ratify. Returns how many were
    /// reminded.
    pub async fn remind_ratifications(&self) -> AppResult<usize> {
        let now = self.now();
        let today = to_network_date(now);
        let mut tx = self.store().write().await?;
        let settings = tx.adhesion_settings().await?;
        let Some(election) = settings.election_date else { return Ok(0) };
        let mut reminded = 0;
        for c in tx.ratification_candidates().await? {
            let confirmed_on = c.confirmed_at.map(to_network_date).unwrap_or(chrono::NaiveDate::MIN);
            if !ratification_due(election, today, confirmed_on, c.reminded_on, settings.reminder_days) {
                continue;
            }
            let mut to = agency_manager_emails(&mut tx, c.agency_id).await?;
            to.extend(
                tx.persons(Some(c.agency_id), &[PersonStatus::Active])
                    .await?
                    .into_iter()
                    .map(|p| p.person.email),
            );
            enqueue(
                &mut tx,
                now,
                Email {
                    to,
                    subject: format!(
                        "Ratifique os responsáveis de {} após as eleições municipais",
                        c.agency_name
                    ),
                    body_text: format!(
                        "Após as eleições municipais de {}, {} deve ratificar (ou alterar) os seus dois \
                         responsáveis pela rede, enviando o Anexo I. Faça o pedido de ratificação no portal.",
                        election.format("%d/%m/%Y"),
                        c.agency_name
                    ),
                    link: Some(format!("{}/responsaveis", self.public_url())),
                    kind: "responsibles.ratification_due",
                    subject_ref: Some(format!("agency:{}", c.agency_id.0)),
                },
            )
            .await?;
            tx.set_reminded(c.agency_id, today).await?;
            reminded += 1;
        }
        tx.commit().await?;
        Ok(reminded)
    }
}

/// The blocks a form asks for, plus those the agency holds, within its
/// kind's limits.
async fn check_requested_blocks(tx: &mut Tx, agency: AgencyId, form: &TechnicalForm) -> AppResult<()> {
    for (count, field, visibility, prefix) in [
        (form.private_blocks, "private_blocks", Visibility::Private, PRIVATE_PREFIX),
        (form.public_blocks, "public_blocks", Visibility::Public, PUBLIC_PREFIX),
    ] {
        if count > 0 {
            crate::ipam::within_limit(tx, agency, visibility, prefix, i64::from(count), field).await?;
        }
    }
    Ok(())
}
