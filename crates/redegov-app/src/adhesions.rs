//! Joining the network (DOMAIN §8, seed 002 §2, `docs/adhesion.md`): an
//! agency's adhesion moved through its life cycle with the domain's one
//! transition function, its signed documents, the queue of what waits for
//! each role, and the adhesion's link with delinquency and order
//! validation. What a step implies is done in the same transaction:
//! approval activates the persons proposed with it (`responsibles`), a
//! withdrawal removes them and releases the agency's IP blocks.
//!
//! Every use case is one transaction: the change, its history entry, its
//! audit entry and its e-mails commit together or not at all.
//!
//! Who sees what: admin, network manager, contract manager, committee and
//! auditor read everything; an agency manager reads its own agency's
//! adhesion, persons and forms (another agency's are "not found");
//! operators are refused (403). CPFs are shown whole to the admin, the
//! network manager and the agency's own managers, masked to the others.

use crate::audit::{Action as AuditAction, record};
use crate::mail::{Email, agency_manager_emails, enqueue, network_manager_emails};
use crate::penalties::sha256_hex;
use crate::responsibles::sees_cpf;
use crate::{App, AppError, AppResult};
use redegov_domain::adhesion::*;
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::*;
use redegov_domain::role::{Actor, Role, Scope};
use redegov_domain::time::{Timestamp, to_network_date};
use redegov_store::Tx;
use redegov_store::adhesions::{InService, NewDocument};
use redegov_store::mail::UserScope;
use serde::Serialize;

pub use redegov_store::adhesions::{Adhesion, AdhesionEvent, AdhesionFilter, Document, DocumentMeta};
use redegov_store::adhesions::{PersonRecord, ResponsibleRequest, TechnicalFormRecord};

/// An adhesion with everything its page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdhesionDetail {
    pub adhesion: Adhesion,
    pub events: Vec<AdhesionEvent>,
    pub documents: Vec<DocumentMeta>,
    /// The agency's persons, proposed and active.
    pub persons: Vec<PersonRecord>,
    pub requests: Vec<ResponsibleRequest>,
    pub forms: Vec<TechnicalFormRecord>,
    /// What must be cancelled before a withdrawal is concluded.
    pub remaining: Vec<String>,
    /// The documents the agency's kind files.
    pub required: &'static [DocumentKind],
    pub allowed: Vec<AdhesionAction>,
    /// Whether the reader sees CPFs whole.
    pub sees_cpf: bool,
}

/// A document to attach, as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentInput {
    pub kind: String,
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

pub(crate) fn require_reader(actor: &Actor) -> AppResult<()> {
    if actor.role == Role::Operator { Err(AppError::Forbidden("read adhesions")) } else { Ok(()) }
}

/// The agency an agency manager may act for: its own; any for the others.
pub(crate) fn in_scope(actor: &Actor, agency: AgencyId) -> bool {
    match actor.scope {
        Scope::Agency(own) => own == agency,
        Scope::Operator(_) => false,
        Scope::All => true,
    }
}

fn forbidden(e: TransitionError) -> AppError {
    match e {
        TransitionError::Forbidden { .. } => AppError::Forbidden("take this action on the adhesion"),
        TransitionError::Invalid(e) => e.into(),
    }
}

async fn committee_emails(tx: &mut Tx) -> AppResult<Vec<String>> {
    Ok(tx.active_user_emails(Role::Committee, UserScope::All).await?)
}

#[derive(Serialize)]
struct StatusAudit<'a> {
    number: &'a str,
    agency_id: AgencyId,
    status: &'static str,
    note: &'a str,
}

impl App {
    fn adhesion_link(&self, id: AdhesionId) -> String {
        format!("{}/adesoes/{}", self.public_url(), id.0)
    }

    /// Opens an adhesion request for an agency (admin, network manager, or
    /// the agency's own manager). An agency holds one open adhesion at a time.
    pub async fn request_adhesion(
        &self,
        actor: &Actor,
        agency: AgencyId,
        note: &str,
    ) -> AppResult<AdhesionDetail> {
        if !REQUESTERS.contains(&actor.role) {
            return Err(AppError::Forbidden("request adhesions"));
        }
        if !in_scope(actor, agency) {
            return Err(FieldError::new("agency_id", Rule::UnknownReference).into());
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        let agency_row = crate::inventory::reference(tx.agency(agency).await, "agency_id").await?;
        if tx.open_adhesion(agency).await?.is_some() {
            return Err(FieldError::new("agency_id", Rule::Duplicate).into());
        }
        let year = chrono::Datelike::year(&to_network_date(now));
        let number = adhesion_number(year, tx.next_adhesion_seq(year).await?);
        let id = tx.insert_adhesion(agency, agency_row.kind, &number, actor.user(), now).await.map_err(
            |e| match e {
                redegov_store::StoreError::Conflict(_) => {
                    FieldError::new("agency_id", Rule::Duplicate).into()
                }
                other => AppError::from(other),
            },
        )?;
        let note = note.trim();
        let event = AdhesionEvent {
            at: now,
            user_id: actor.user(),
            login: actor.login.clone(),
            action: "create".into(),
            from_status: None,
            to_status: AdhesionStatus::Requested,
            note: note.to_string(),
        };
        tx.insert_adhesion_event(id, &event).await?;
        let audit = StatusAudit { number: &number, agency_id: agency, status: "requested", note };
        record(&mut tx, actor, now, AuditAction::Create, "adhesion", Some(id.0), None::<&()>, Some(&audit))
            .await?;
        let mut to = network_manager_emails(&mut tx).await?;
        to.extend(agency_manager_emails(&mut tx, agency).await?);
        enqueue(
            &mut tx,
            now,
            Email {
                to,
                subject: format!("Adesão {number} solicitada: {}", agency_row.name),
                body_text: format!(
                    "A adesão {number} de {} ({}) foi solicitada e aguarda análise da UGO.\n\
                     Anexe os documentos assinados exigidos: {}.",
                    agency_row.name,
                    agency_row.kind.label(),
                    required_documents(agency_row.kind)
                        .iter()
                        .map(|d| d.label())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                link: Some(self.adhesion_link(id)),
                kind: "adhesion.requested",
                subject_ref: Some(format!("adhesion:{}", id.0)),
            },
        )
        .await?;
        let detail = self.adhesion_detail(&mut tx, actor, id).await?;
        tx.commit().await?;
        Ok(detail)
    }

    async fn visible_adhesion(&self, tx: &mut Tx, actor: &Actor, id: AdhesionId) -> AppResult<Adhesion> {
        require_reader(actor)?;
        let a = tx.adhesion(id).await.map_err(AppError::not_found("adhesion"))?;
        if in_scope(actor, a.agency_id) { Ok(a) } else { Err(AppError::NotFound("adhesion")) }
    }

    async fn view_of(
        &self,
        tx: &mut Tx,
        a: &Adhesion,
    ) -> AppResult<(AdhesionView, Vec<DocumentMeta>, Vec<PersonRecord>)> {
        let documents = tx.adhesion_documents(a.id).await?;
        let persons = tx.persons(Some(a.agency_id), &[PersonStatus::Proposed, PersonStatus::Active]).await?;
        // Named as the person who must cancel them reads them.
        let remaining = if a.status == AdhesionStatus::WithdrawalRequested {
            tx.agency_services_in_place(a.agency_id)
                .await?
                .into_iter()
                .map(|s| match s {
                    InService::Access { id, status } => format!("acesso #{} ({})", id.0, status.label()),
                    InService::Order { number, status } => format!("ordem {number} ({})", status.label()),
                })
                .collect()
        } else {
            Vec::new()
        };
        let view = AdhesionView {
            kind: a.kind,
            status: a.status,
            documents: documents.iter().map(|d| d.kind).collect(),
            positions: persons.iter().map(|p| p.person.position).collect(),
            remaining,
            delinquent: tx.agency_delinquent(a.agency_id).await?,
        };
        Ok((view, documents, persons))
    }

    async fn adhesion_detail(&self, tx: &mut Tx, actor: &Actor, id: AdhesionId) -> AppResult<AdhesionDetail> {
        let adhesion = self.visible_adhesion(tx, actor, id).await?;
        let (view, documents, persons) = self.view_of(tx, &adhesion).await?;
        let allowed = if in_scope(actor, adhesion.agency_id) {
            AdhesionAction::available(&view, actor.role)
        } else {
            Vec::new()
        };
        Ok(AdhesionDetail {
            events: tx.adhesion_events(id).await?,
            requests: tx.responsible_requests(Some(adhesion.agency_id), false).await?,
            forms: tx.technical_forms(Some(adhesion.agency_id), false).await?,
            required: required_documents(adhesion.kind),
            sees_cpf: sees_cpf(actor, adhesion.agency_id),
            remaining: view.remaining,
            documents,
            persons,
            allowed,
            adhesion,
        })
    }

    pub async fn get_adhesion(&self, actor: &Actor, id: AdhesionId) -> AppResult<AdhesionDetail> {
        let mut tx = self.store().read().await?;
        self.adhesion_detail(&mut tx, actor, id).await
    }

    /// Adhesions in the actor's scope, newest first (an agency manager's:
    /// its own agency's). `pending_only` is the queue of those waiting for
    /// a review, an approval or a withdrawal.
    pub async fn list_adhesions(
        &self,
        actor: &Actor,
        mut f: AdhesionFilter,
        page: crate::Page,
    ) -> AppResult<crate::Listed<Adhesion>> {
        require_reader(actor)?;
        crate::authz::narrow(actor, &mut f.agency_id, &mut None);
        let mut tx = self.store().read().await?;
        Ok(tx.list_adhesions(&f, page).await?)
    }

    /// The adhesions waiting for the actor's role now: the network
    /// manager's reviews and withdrawals, the committee's approvals.
    pub async fn adhesion_queue(&self, actor: &Actor) -> AppResult<Vec<(Adhesion, Vec<AdhesionAction>)>> {
        require_reader(actor)?;
        let f = AdhesionFilter { pending_only: true, ..AdhesionFilter::default() };
        let mut tx = self.store().read().await?;
        let listed = tx.list_adhesions(&f, crate::Page::all()).await?;
        let mut out = Vec::new();
        for a in listed.items.into_iter().filter(|a| in_scope(actor, a.agency_id)) {
            // The step that moves it on, and whose it is.
            let next = match a.status {
                AdhesionStatus::Requested => AdhesionAction::Review,
                AdhesionStatus::UnderReview => AdhesionAction::Approve,
                AdhesionStatus::WithdrawalRequested => AdhesionAction::Withdraw,
                _ => continue,
            };
            let waiting = next.roles(a.kind).contains(&actor.role);
            // The approver sees it even while documents are missing: the
            // queue lists what the reader may do now, the page what lacks.
            let (view, _, _) = self.view_of(&mut tx, &a).await?;
            let allowed = AdhesionAction::available(&view, actor.role);
            if waiting {
                out.push((a, allowed));
            }
        }
        Ok(out)
    }

    /// Attaches a signed PDF to an open adhesion (the agency's manager,
    /// admin, network manager).
    pub async fn attach_adhesion_document(
        &self,
        actor: &Actor,
        id: AdhesionId,
        input: DocumentInput,
    ) -> AppResult<DocumentMeta> {
        if !REQUESTERS.contains(&actor.role) {
            return Err(AppError::Forbidden("attach adhesion documents"));
        }
        let kind = DocumentKind::parse("kind", &input.kind)?;
        let name = redegov_domain::error::required("name", &input.name)?;
        check_pdf("file", &input.data)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let a = self.visible_adhesion(&mut tx, actor, id).await?;
        if !is_open(a.status) {
            return Err(FieldError::new(
                "adhesion",
                Rule::ActionNotAllowed { action: "attach", status: a.status.as_str() },
            )
            .into());
        }
        let doc = NewDocument {
            kind,
            name: name.replace(['/', '\\', '\r', '\n', '"'], "_"),
            content_type: "application/pdf".into(),
            sha256: sha256_hex(&input.data),
            data: input.data,
            created_by: actor.user(),
        };
        let doc_id = tx.insert_adhesion_document(id, &doc, now).await?;
        let event = AdhesionEvent {
            at: now,
            user_id: actor.user(),
            login: actor.login.clone(),
            action: "attach".into(),
            from_status: Some(a.status),
            to_status: a.status,
            note: format!("{}: {} (SHA-256 {})", kind.label(), doc.name, doc.sha256),
        };
        tx.insert_adhesion_event(id, &event).await?;
        #[derive(Serialize)]
        struct DocAudit<'a> {
            adhesion_id: AdhesionId,
            kind: &'static str,
            name: &'a str,
            sha256: &'a str,
            size_bytes: usize,
        }
        let audit = DocAudit {
            adhesion_id: id,
            kind: kind.as_str(),
            name: &doc.name,
            sha256: &doc.sha256,
            size_bytes: doc.data.len(),
        };
        record(
            &mut tx,
            actor,
            now,
            AuditAction::Create,
            "adhesion_document",
            Some(doc_id.0),
            None::<&()>,
            Some(&audit),
        )
        .await?;
        let meta = tx.adhesion_documents(id).await?.into_iter().find(|d| d.id == doc_id);
        tx.commit().await?;
        meta.ok_or(AppError::NotFound("document"))
    }

    /// One document with its bytes, verified against its SHA-256.
    pub async fn adhesion_document(
        &self,
        actor: &Actor,
        id: AdhesionId,
        doc: AdhesionDocumentId,
    ) -> AppResult<Document> {
        let mut tx = self.store().read().await?;
        self.visible_adhesion(&mut tx, actor, id).await?;
        let d = tx.adhesion_document(id, doc).await.map_err(AppError::not_found("document"))?;
        if sha256_hex(&d.data) != d.meta.sha256 {
            return Err(AppError::Internal(format!("document #{}: SHA-256 mismatch", d.meta.id.0)));
        }
        Ok(d)
    }

    /// Takes an action on an adhesion: review, return, resubmit, approve,
    /// reject, suspend, reinstate, request or cancel a withdrawal, withdraw.
    pub async fn act_on_adhesion(
        &self,
        actor: &Actor,
        id: AdhesionId,
        action: AdhesionAction,
        note: &str,
    ) -> AppResult<AdhesionDetail> {
        require_reader(actor)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let a = self.visible_adhesion(&mut tx, actor, id).await?;
        let (view, _, _) = self.view_of(&mut tx, &a).await?;
        let to = transition(&view, action, actor.role, note).map_err(forbidden)?;
        let note = note.trim();
        self.move_adhesion(&mut tx, actor, &a, action.as_str(), to, note, now).await?;
        match action {
            AdhesionAction::Approve => {
                for r in tx.responsible_requests(Some(a.agency_id), true).await? {
                    if r.kind != RequestKind::Ratification {
                        self.approve_persons(&mut tx, actor, &r, "aprovados com a adesão", now).await?;
                    }
                }
            }
            AdhesionAction::Reject => {
                for r in tx.responsible_requests(Some(a.agency_id), true).await? {
                    self.reject_persons(&mut tx, actor, &r, note, now).await?;
                }
            }
            AdhesionAction::Suspend | AdhesionAction::Reinstate => {
                tx.set_agency_delinquent(a.agency_id, action == AdhesionAction::Suspend).await?;
            }
            AdhesionAction::Withdraw => {
                for p in
                    tx.persons(Some(a.agency_id), &[PersonStatus::Active, PersonStatus::Proposed]).await?
                {
                    self.end_person(&mut tx, actor, &p, PersonStatus::Removed, now).await?;
                }
                for block in tx.ip_blocks(Some(a.agency_id)).await? {
                    let pool = tx.ip_pool(block.pool_id).await?;
                    tx.lock_ip_pool(pool.id).await?;
                    tx.release_ip_block(&pool, &block).await?;
                    #[derive(Serialize)]
                    struct Released {
                        cidr: String,
                        reason: &'static str,
                    }
                    let before = Released { cidr: block.cidr.to_string(), reason: "withdrawal" };
                    record(
                        &mut tx,
                        actor,
                        now,
                        AuditAction::Delete,
                        "ip_block",
                        Some(block.id.0),
                        Some(&before),
                        None::<&()>,
                    )
                    .await?;
                }
            }
            _ => {}
        }
        let detail = self.adhesion_detail(&mut tx, actor, id).await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// Writes a transition: status, history, audit, e-mails.
    #[allow(clippy::too_many_arguments)]
    async fn move_adhesion(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        a: &Adhesion,
        action: &str,
        to: AdhesionStatus,
        note: &str,
        now: Timestamp,
    ) -> AppResult<()> {
        let decision = matches!(to, AdhesionStatus::Approved | AdhesionStatus::Rejected)
            && a.status == AdhesionStatus::UnderReview;
        tx.set_adhesion_status(a.id, to, note, decision.then_some(actor.user()), now).await?;
        let event = AdhesionEvent {
            at: now,
            user_id: actor.user(),
            login: actor.login.clone(),
            action: action.into(),
            from_status: Some(a.status),
            to_status: to,
            note: note.to_string(),
        };
        tx.insert_adhesion_event(a.id, &event).await?;
        let before = StatusAudit {
            number: &a.number,
            agency_id: a.agency_id,
            status: a.status.as_str(),
            note: &a.note,
        };
        let after = StatusAudit { number: &a.number, agency_id: a.agency_id, status: to.as_str(), note };
        record(tx, actor, now, AuditAction::Update, "adhesion", Some(a.id.0), Some(&before), Some(&after))
            .await?;
        let mut to_list = agency_manager_emails(tx, a.agency_id).await?;
        match to {
            AdhesionStatus::Requested | AdhesionStatus::WithdrawalRequested => {
                to_list.extend(network_manager_emails(tx).await?);
            }
            AdhesionStatus::UnderReview
                if AdhesionAction::Approve.roles(a.kind).contains(&Role::Committee) =>
            {
                to_list.extend(committee_emails(tx).await?);
            }
            _ => {}
        }
        let mut body = format!(
            "A adesão {} de {} passou de \"{}\" para \"{}\".",
            a.number,
            a.agency_name,
            a.status.label(),
            to.label()
        );
        if !note.is_empty() {
            body.push_str(&format!("\nObservação: {note}"));
        }
        enqueue(
            tx,
            now,
            Email {
                to: to_list,
                subject: format!("Adesão {} — {}: {}", a.number, a.agency_acronym, to.label()),
                body_text: body,
                link: Some(self.adhesion_link(a.id)),
                kind: "adhesion.changed",
                subject_ref: Some(format!("adhesion:{}", a.id.0)),
            },
        )
        .await?;
        Ok(())
    }
}

impl App {
    /// Keeps an agency's adhesion in step with its delinquency flag, for
    /// the contract manager's "inadimplente" switch: approved ⇄ suspended,
    /// with the history entry, audit entry and e-mails of any transition.
    pub(crate) async fn follow_delinquency(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        agency: AgencyId,
        delinquent: bool,
        reason: &str,
        now: Timestamp,
    ) -> AppResult<()> {
        let Some(a) = tx.open_adhesion(agency).await? else { return Ok(()) };
        let (action, to) = match (a.status, delinquent) {
            (AdhesionStatus::Approved, true) => (AdhesionAction::Suspend, AdhesionStatus::Suspended),
            (AdhesionStatus::Suspended, false) => (AdhesionAction::Reinstate, AdhesionStatus::Approved),
            _ => return Ok(()),
        };
        self.move_adhesion(tx, actor, &a, action.as_str(), to, reason, now).await
    }
}

/// Whether new orders of the agency may be validated: an agency whose
/// latest adhesion is not approved may not (one without any adhesion —
/// registered before adhesions were kept — may).
pub(crate) async fn check_adhesion_allows_orders(tx: &mut Tx, agency: AgencyId) -> AppResult<()> {
    if let Some(a) = tx.latest_adhesion(agency).await?
        && !allows_orders(a.status)
    {
        return Err(
            FieldError::new("agency_id", Rule::AdhesionNotApproved { status: a.status.as_str() }).into()
        );
    }
    Ok(())
}
