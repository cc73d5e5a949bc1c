//! Adhesions with their history and signed documents, responsible persons
//! and their requests, technical forms, the ratification settings and
//! reminders, and portal-account invitations (migration 0013).

use crate::inventory::{Listed, id};
use crate::query::Filter;
use crate::{Page, StoreError, Tx, code, opt_date, opt_time};
use chrono::NaiveDate;
use redegov_domain::adhesion::*;
use redegov_domain::document::Cpf;
use redegov_domain::ids::*;
use redegov_domain::inventory::AgencyKind;
use redegov_domain::time::{Timestamp, from_epoch};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A stored adhesion, with its agency's name and acronym.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adhesion {
    pub id: AdhesionId,
    pub number: String,
    pub agency_id: AgencyId,
    pub agency_name: String,
    pub agency_acronym: String,
    pub kind: AgencyKind,
    pub status: AdhesionStatus,
    /// The note of the last transition (why it was returned, suspended…).
    pub note: String,
    pub requested_by: Option<UserId>,
    pub requested_at: Timestamp,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

/// One entry of an adhesion's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdhesionEvent {
    pub at: Timestamp,
    pub user_id: Option<UserId>,
    pub login: String,
    /// `create`, or an [`AdhesionAction`] code.
    pub action: String,
    pub from_status: Option<AdhesionStatus>,
    pub to_status: AdhesionStatus,
    pub note: String,
}

/// A document to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub kind: DocumentKind,
    pub name: String,
    pub content_type: String,
    /// SHA-256 of `data`, lower-case hex.
    pub sha256: String,
    pub data: Vec<u8>,
    pub created_by: Option<UserId>,
}

/// A stored document, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentMeta {
    pub id: AdhesionDocumentId,
    pub adhesion_id: AdhesionId,
    pub kind: DocumentKind,
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

/// A stored document with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub meta: DocumentMeta,
    pub data: Vec<u8>,
}

/// Which adhesions to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdhesionFilter {
    pub status: Option<AdhesionStatus>,
    pub kind: Option<AgencyKind>,
    pub agency_id: Option<AgencyId>,
    /// Only those waiting for someone: requested, under review, or a
    /// withdrawal requested.
    pub pending_only: bool,
}

/// A request about an agency's responsible persons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponsibleRequest {
    pub id: ResponsibleRequestId,
    pub agency_id: AgencyId,
    pub agency_acronym: String,
    pub kind: RequestKind,
    pub status: RequestStatus,
    pub note: String,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
    pub decision_note: String,
}

/// A stored responsible person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub id: PersonId,
    pub agency_id: AgencyId,
    pub agency_acronym: String,
    pub request_id: ResponsibleRequestId,
    pub person: Person,
    pub status: PersonStatus,
    /// The portal account of an active person.
    pub user_id: Option<UserId>,
    pub confirmed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}

/// A stored technical form with its applications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechnicalFormRecord {
    pub id: TechnicalFormId,
    pub agency_id: AgencyId,
    pub agency_acronym: String,
    pub status: RequestStatus,
    pub form: TechnicalForm,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
    pub decision_note: String,
}

/// The ratification settings: the municipal election date (none: no
/// reminders) and the days between two reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdhesionSettings {
    pub election_date: Option<NaiveDate>,
    pub reminder_days: i64,
}

/// A municipality with an approved adhesion, for the ratification job:
/// when its active persons were last confirmed (the oldest of them) and
/// when it was last reminded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatificationCandidate {
    pub agency_id: AgencyId,
    pub agency_name: String,
    pub confirmed_at: Option<Timestamp>,
    pub reminded_on: Option<NaiveDate>,
}

/// Something an agency still has in service (what blocks its withdrawal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InService {
    Access { id: AccessId, status: redegov_domain::inventory::AccessStatus },
    Order { number: String, status: redegov_domain::order::OrderStatus },
}

/// An invitation to set a new account's first password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub user_id: UserId,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

const ADHESION: &str = "SELECT d.*, g.name AS agency_name, g.acronym AS agency_acronym \
                        FROM adhesions d JOIN agencies g ON g.id = d.agency_id";
const ADHESION_COUNT: &str = "SELECT COUNT(*) FROM adhesions d";
const DOCUMENT_META: &str =
    "id, adhesion_id, kind, name, content_type, size_bytes, sha256, created_by, created_at";
const REQUEST: &str = "SELECT r.*, g.acronym AS agency_acronym FROM responsible_requests r \
                       JOIN agencies g ON g.id = r.agency_id";
const PERSON: &str = "SELECT p.*, g.acronym AS agency_acronym FROM responsible_persons p \
                      JOIN agencies g ON g.id = p.agency_id";
const FORM: &str = "SELECT f.*, g.acronym AS agency_acronym FROM technical_forms f \
                    JOIN agencies g ON g.id = f.agency_id";

fn user(r: &AnyRow, col: &str) -> Result<Option<UserId>, StoreError> {
    Ok(r.try_get::<Option<i64>, _>(col)?.map(UserId))
}

fn time(r: &AnyRow, col: &str) -> Result<Timestamp, StoreError> {
    Ok(from_epoch(r.try_get(col)?))
}

fn decode_adhesion(r: &AnyRow) -> Result<Adhesion, StoreError> {
    Ok(Adhesion {
        id: AdhesionId(id(r)?),
        number: r.try_get("number")?,
        agency_id: AgencyId(r.try_get("agency_id")?),
        agency_name: r.try_get("agency_name")?,
        agency_acronym: r.try_get("agency_acronym")?,
        kind: code(r, "kind", AgencyKind::parse)?,
        status: code(r, "status", AdhesionStatus::parse)?,
        note: r.try_get("note")?,
        requested_by: user(r, "requested_by")?,
        requested_at: time(r, "requested_at")?,
        decided_by: user(r, "decided_by")?,
        decided_at: opt_time(r, "decided_at")?,
        updated_at: time(r, "updated_at")?,
    })
}

fn decode_document(r: &AnyRow) -> Result<DocumentMeta, StoreError> {
    Ok(DocumentMeta {
        id: AdhesionDocumentId(id(r)?),
        adhesion_id: AdhesionId(r.try_get("adhesion_id")?),
        kind: code(r, "kind", DocumentKind::parse)?,
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        created_by: user(r, "created_by")?,
        created_at: time(r, "created_at")?,
    })
}

fn decode_request(r: &AnyRow) -> Result<ResponsibleRequest, StoreError> {
    Ok(ResponsibleRequest {
        id: ResponsibleRequestId(id(r)?),
        agency_id: AgencyId(r.try_get("agency_id")?),
        agency_acronym: r.try_get("agency_acronym")?,
        kind: code(r, "kind", RequestKind::parse)?,
        status: code(r, "status", RequestStatus::parse)?,
        note: r.try_get("note")?,
        created_by: user(r, "created_by")?,
        created_at: time(r, "created_at")?,
        decided_by: user(r, "decided_by")?,
        decided_at: opt_time(r, "decided_at")?,
        decision_note: r.try_get("decision_note")?,
    })
}

fn decode_person(r: &AnyRow) -> Result<PersonRecord, StoreError> {
    Ok(PersonRecord {
        id: PersonId(id(r)?),
        agency_id: AgencyId(r.try_get("agency_id")?),
        agency_acronym: r.try_get("agency_acronym")?,
        request_id: ResponsibleRequestId(r.try_get("request_id")?),
        person: Person {
            position: code(r, "position", Position::parse)?,
            name: r.try_get("name")?,
            cpf: code(r, "cpf", Cpf::parse)?,
            registration: r.try_get("registration")?,
            email: r.try_get("email")?,
            phone: r.try_get("phone")?,
            mobile: r.try_get("mobile")?,
            job_title: r.try_get("job_title")?,
            department: r.try_get("department")?,
        },
        status: code(r, "status", PersonStatus::parse)?,
        user_id: user(r, "user_id")?,
        confirmed_at: opt_time(r, "confirmed_at")?,
        created_at: time(r, "created_at")?,
        ended_at: opt_time(r, "ended_at")?,
    })
}

fn decode_form(r: &AnyRow) -> Result<TechnicalFormRecord, StoreError> {
    let count = |col: &str| -> Result<u32, StoreError> {
        let v: i64 = r.try_get(col)?;
        u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col}: {v}")))
    };
    Ok(TechnicalFormRecord {
        id: TechnicalFormId(id(r)?),
        agency_id: AgencyId(r.try_get("agency_id")?),
        agency_acronym: r.try_get("agency_acronym")?,
        status: code(r, "status", RequestStatus::parse)?,
        form: TechnicalForm {
            applications: Vec::new(),
            private_blocks: count("private_blocks")?,
            public_blocks: count("public_blocks")?,
            contact_name: r.try_get("contact_name")?,
            contact_phone: r.try_get("contact_phone")?,
            contact_email: r.try_get("contact_email")?,
        },
        created_by: user(r, "created_by")?,
        created_at: time(r, "created_at")?,
        decided_by: user(r, "decided_by")?,
        decided_at: opt_time(r, "decided_at")?,
        decision_note: r.try_get("decision_note")?,
    })
}

impl Tx {
    // ----- adhesions -----

    pub async fn next_adhesion_seq(&mut self, year: i32) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO adhesion_counters (year, last) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last = adhesion_counters.last + 1 RETURNING last",
        )
        .bind(i64::from(year))
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Inserts a requested adhesion; a second open adhesion of the agency is
    /// a conflict (`adhesions_open`).
    pub async fn insert_adhesion(
        &mut self,
        agency: AgencyId,
        kind: AgencyKind,
        number: &str,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<AdhesionId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO adhesions (number, agency_id, kind, status, note, requested_by, requested_at, \
             updated_at) VALUES ($1, $2, $3, $4, '', $5, $6, $6) RETURNING id",
        )
        .bind(number)
        .bind(agency.0)
        .bind(kind.as_str())
        .bind(AdhesionStatus::Requested.as_str())
        .bind(by.map(|u| u.0))
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(AdhesionId(id(&row)?))
    }

    pub async fn adhesion(&mut self, id: AdhesionId) -> Result<Adhesion, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{ADHESION} WHERE d.id = $1")))
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        decode_adhesion(&row)
    }

    /// The agency's open adhesion (not rejected or withdrawn), if any.
    pub async fn open_adhesion(&mut self, agency: AgencyId) -> Result<Option<Adhesion>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ADHESION} WHERE d.agency_id = $1 AND d.status NOT IN ('rejected', 'withdrawn')"
        )))
        .bind(agency.0)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(decode_adhesion).transpose()
    }

    /// The agency's latest adhesion, whatever its status.
    pub async fn latest_adhesion(&mut self, agency: AgencyId) -> Result<Option<Adhesion>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ADHESION} WHERE d.agency_id = $1 ORDER BY d.id DESC LIMIT 1"
        )))
        .bind(agency.0)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(decode_adhesion).transpose()
    }

    /// Adhesions, newest first.
    pub async fn list_adhesions(
        &mut self,
        f: &AdhesionFilter,
        page: Page,
    ) -> Result<Listed<Adhesion>, StoreError> {
        let mut q = Filter::default();
        q.text("d.status = {}", f.status.map(|s| s.as_str()));
        q.text("d.kind = {}", f.kind.map(|k| k.as_str()));
        q.int("d.agency_id = {}", f.agency_id.map(|a| a.0));
        if f.pending_only {
            q.push_raw("d.status IN ('requested', 'under_review', 'withdrawal_requested')".into());
        }
        self.list(ADHESION, ADHESION_COUNT, q, "d.requested_at DESC, d.id DESC", page, decode_adhesion).await
    }

    /// Moves an adhesion to `status` with the transition's note; a decision
    /// (approval, rejection) records who and when.
    pub async fn set_adhesion_status(
        &mut self,
        id: AdhesionId,
        status: AdhesionStatus,
        note: &str,
        decided_by: Option<Option<UserId>>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let decided = decided_by.is_some();
        sqlx::query(
            "UPDATE adhesions SET status = $1, note = $2, updated_at = $3, \
             decided_by = CASE WHEN $4 = 1 THEN $5 ELSE decided_by END, \
             decided_at = CASE WHEN $6 = 1 THEN $7 ELSE decided_at END WHERE id = $8",
        )
        .bind(status.as_str())
        .bind(note)
        .bind(now.timestamp())
        .bind(i64::from(decided))
        .bind(decided_by.flatten().map(|u| u.0))
        .bind(i64::from(decided))
        .bind(now.timestamp())
        .bind(id.0)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn insert_adhesion_event(
        &mut self,
        id: AdhesionId,
        e: &AdhesionEvent,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO adhesion_events (adhesion_id, at, user_id, login, action, from_status, to_status, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.0)
        .bind(e.at.timestamp())
        .bind(e.user_id.map(|u| u.0))
        .bind(&e.login)
        .bind(&e.action)
        .bind(e.from_status.map(|s| s.as_str()))
        .bind(e.to_status.as_str())
        .bind(&e.note)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn adhesion_events(&mut self, id: AdhesionId) -> Result<Vec<AdhesionEvent>, StoreError> {
        let rows = sqlx::query("SELECT * FROM adhesion_events WHERE adhesion_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                let from: Option<String> = r.try_get("from_status")?;
                Ok(AdhesionEvent {
                    at: time(r, "at")?,
                    user_id: user(r, "user_id")?,
                    login: r.try_get("login")?,
                    action: r.try_get("action")?,
                    from_status: from
                        .map(|s| AdhesionStatus::parse("from_status", &s))
                        .transpose()
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    to_status: code(r, "to_status", AdhesionStatus::parse)?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    pub async fn insert_adhesion_document(
        &mut self,
        adhesion: AdhesionId,
        d: &NewDocument,
        now: Timestamp,
    ) -> Result<AdhesionDocumentId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO adhesion_documents (adhesion_id, kind, name, content_type, size_bytes, sha256, data, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(adhesion.0)
        .bind(d.kind.as_str())
        .bind(&d.name)
        .bind(&d.content_type)
        .bind(d.data.len() as i64)
        .bind(&d.sha256)
        .bind(d.data.clone())
        .bind(d.created_by.map(|u| u.0))
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(AdhesionDocumentId(id(&row)?))
    }

    pub async fn adhesion_documents(&mut self, id: AdhesionId) -> Result<Vec<DocumentMeta>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DOCUMENT_META} FROM adhesion_documents WHERE adhesion_id = $1 ORDER BY id"
        )))
        .bind(id.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(decode_document).collect()
    }

    pub async fn adhesion_document(
        &mut self,
        id: AdhesionId,
        document: AdhesionDocumentId,
    ) -> Result<Document, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DOCUMENT_META}, data FROM adhesion_documents WHERE adhesion_id = $1 AND id = $2"
        )))
        .bind(id.0)
        .bind(document.0)
        .fetch_one(self.conn())
        .await?;
        Ok(Document { meta: decode_document(&row)?, data: row.try_get("data")? })
    }

    /// What an agency still has in service: its accesses not deactivated and
    /// its orders not completed or cancelled, by id.
    pub async fn agency_services_in_place(&mut self, agency: AgencyId) -> Result<Vec<InService>, StoreError> {
        let accesses = sqlx::query(
            "SELECT a.id, a.status FROM accesses a JOIN sites s ON s.id = a.site_id \
             WHERE s.agency_id = $1 AND a.status <> 'deactivated' ORDER BY a.id",
        )
        .bind(agency.0)
        .fetch_all(self.conn())
        .await?;
        let mut out = Vec::new();
        for r in &accesses {
            out.push(InService::Access {
                id: AccessId(id(r)?),
                status: code(r, "status", redegov_domain::inventory::AccessStatus::parse)?,
            });
        }
        let orders = sqlx::query(
            "SELECT number, status FROM service_orders WHERE agency_id = $1 \
             AND status NOT IN ('completed', 'cancelled') ORDER BY id",
        )
        .bind(agency.0)
        .fetch_all(self.conn())
        .await?;
        for r in &orders {
            out.push(InService::Order {
                number: r.try_get("number")?,
                status: code(r, "status", redegov_domain::order::OrderStatus::parse)?,
            });
        }
        Ok(out)
    }

    // ----- responsible persons -----

    pub async fn insert_responsible_request(
        &mut self,
        agency: AgencyId,
        kind: RequestKind,
        note: &str,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<ResponsibleRequestId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO responsible_requests (agency_id, kind, status, note, created_by, created_at, \
             decision_note) VALUES ($1, $2, $3, $4, $5, $6, '') RETURNING id",
        )
        .bind(agency.0)
        .bind(kind.as_str())
        .bind(RequestStatus::Pending.as_str())
        .bind(note)
        .bind(by.map(|u| u.0))
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(ResponsibleRequestId(id(&row)?))
    }

    pub async fn responsible_request(
        &mut self,
        id: ResponsibleRequestId,
    ) -> Result<ResponsibleRequest, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{REQUEST} WHERE r.id = $1")))
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        decode_request(&row)
    }

    /// Requests of one agency or all, optionally only pending ones, newest first.
    pub async fn responsible_requests(
        &mut self,
        agency: Option<AgencyId>,
        pending_only: bool,
    ) -> Result<Vec<ResponsibleRequest>, StoreError> {
        let mut q = Filter::default();
        q.int("r.agency_id = {}", agency.map(|a| a.0));
        if pending_only {
            q.push_raw("r.status = 'pending'".into());
        }
        let rows =
            q.query(format!("{REQUEST}{} ORDER BY r.id DESC", q.where_sql())).fetch_all(self.conn()).await?;
        rows.iter().map(decode_request).collect()
    }

    pub async fn decide_responsible_request(
        &mut self,
        id: ResponsibleRequestId,
        status: RequestStatus,
        note: &str,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE responsible_requests SET status = $1, decision_note = $2, decided_by = $3, decided_at = $4 \
             WHERE id = $5",
        )
        .bind(status.as_str())
        .bind(note)
        .bind(by.map(|u| u.0))
        .bind(now.timestamp())
        .bind(id.0)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn insert_person(
        &mut self,
        agency: AgencyId,
        request: ResponsibleRequestId,
        p: &Person,
        now: Timestamp,
    ) -> Result<PersonId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO responsible_persons (agency_id, request_id, position, name, cpf, registration, email, \
             phone, mobile, job_title, department, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(agency.0)
        .bind(request.0)
        .bind(p.position.as_str())
        .bind(&p.name)
        .bind(p.cpf.as_str())
        .bind(&p.registration)
        .bind(&p.email)
        .bind(&p.phone)
        .bind(&p.mobile)
        .bind(&p.job_title)
        .bind(&p.department)
        .bind(PersonStatus::Proposed.as_str())
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(PersonId(id(&row)?))
    }

    pub async fn person(&mut self, id: PersonId) -> Result<PersonRecord, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{PERSON} WHERE p.id = $1")))
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        decode_person(&row)
    }

    /// Persons of one agency (or all) in any of `statuses` (all when empty),
    /// by agency and position.
    pub async fn persons(
        &mut self,
        agency: Option<AgencyId>,
        statuses: &[PersonStatus],
    ) -> Result<Vec<PersonRecord>, StoreError> {
        let mut q = Filter::default();
        q.int("p.agency_id = {}", agency.map(|a| a.0));
        if !statuses.is_empty() {
            let list: Vec<String> = statuses.iter().map(|s| format!("'{}'", s.as_str())).collect();
            q.push_raw(format!("p.status IN ({})", list.join(", ")));
        }
        let rows = q
            .query(format!(
                "{PERSON}{} ORDER BY g.acronym, p.agency_id, p.position, p.id DESC",
                q.where_sql()
            ))
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(decode_person).collect()
    }

    pub async fn persons_of_request(
        &mut self,
        request: ResponsibleRequestId,
    ) -> Result<Vec<PersonRecord>, StoreError> {
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(format!("{PERSON} WHERE p.request_id = $1 ORDER BY p.id")))
                .bind(request.0)
                .fetch_all(self.conn())
                .await?;
        rows.iter().map(decode_person).collect()
    }

    /// Ends a person (replaced, removed, not approved) at `now`.
    pub async fn end_person(
        &mut self,
        id: PersonId,
        status: PersonStatus,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE responsible_persons SET status = $1, ended_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(now.timestamp())
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Makes a proposed person active with its portal account.
    pub async fn activate_person(
        &mut self,
        id: PersonId,
        user: UserId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE responsible_persons SET status = 'active', user_id = $1, confirmed_at = $2 WHERE id = $3",
        )
        .bind(user.0)
        .bind(now.timestamp())
        .bind(id.0)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Confirms the agency's active persons (a ratification) at `now`.
    pub async fn ratify_persons(&mut self, agency: AgencyId, now: Timestamp) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE responsible_persons SET confirmed_at = $1 WHERE agency_id = $2 AND status = 'active'",
        )
        .bind(now.timestamp())
        .bind(agency.0)
        .execute(self.conn())
        .await?
        .rows_affected())
    }

    // ----- technical forms -----

    pub async fn insert_technical_form(
        &mut self,
        agency: AgencyId,
        f: &TechnicalForm,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<TechnicalFormId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO technical_forms (agency_id, status, private_blocks, public_blocks, contact_name, \
             contact_phone, contact_email, created_by, created_at, decision_note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '') RETURNING id",
        )
        .bind(agency.0)
        .bind(RequestStatus::Pending.as_str())
        .bind(i64::from(f.private_blocks))
        .bind(i64::from(f.public_blocks))
        .bind(&f.contact_name)
        .bind(&f.contact_phone)
        .bind(&f.contact_email)
        .bind(by.map(|u| u.0))
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        let form = TechnicalFormId(id(&row)?);
        for a in &f.applications {
            sqlx::query("INSERT INTO technical_form_applications (form_id, name, body) VALUES ($1, $2, $3)")
                .bind(form.0)
                .bind(&a.name)
                .bind(&a.body)
                .execute(self.conn())
                .await?;
        }
        Ok(form)
    }

    async fn with_applications(
        &mut self,
        mut f: TechnicalFormRecord,
    ) -> Result<TechnicalFormRecord, StoreError> {
        let rows =
            sqlx::query("SELECT name, body FROM technical_form_applications WHERE form_id = $1 ORDER BY id")
                .bind(f.id.0)
                .fetch_all(self.conn())
                .await?;
        f.form.applications = rows
            .iter()
            .map(|r| Ok(Application { name: r.try_get("name")?, body: r.try_get("body")? }))
            .collect::<Result<_, StoreError>>()?;
        Ok(f)
    }

    pub async fn technical_form(&mut self, id: TechnicalFormId) -> Result<TechnicalFormRecord, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{FORM} WHERE f.id = $1")))
            .bind(id.0)
            .fetch_one(self.conn())
            .await?;
        let form = decode_form(&row)?;
        self.with_applications(form).await
    }

    /// Forms of one agency or all, optionally only pending ones, newest first.
    pub async fn technical_forms(
        &mut self,
        agency: Option<AgencyId>,
        pending_only: bool,
    ) -> Result<Vec<TechnicalFormRecord>, StoreError> {
        let mut q = Filter::default();
        q.int("f.agency_id = {}", agency.map(|a| a.0));
        if pending_only {
            q.push_raw("f.status = 'pending'".into());
        }
        let rows =
            q.query(format!("{FORM}{} ORDER BY f.id DESC", q.where_sql())).fetch_all(self.conn()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let form = decode_form(r)?;
            out.push(self.with_applications(form).await?);
        }
        Ok(out)
    }

    pub async fn decide_technical_form(
        &mut self,
        id: TechnicalFormId,
        status: RequestStatus,
        note: &str,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE technical_forms SET status = $1, decision_note = $2, decided_by = $3, decided_at = $4 \
             WHERE id = $5",
        )
        .bind(status.as_str())
        .bind(note)
        .bind(by.map(|u| u.0))
        .bind(now.timestamp())
        .bind(id.0)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    // ----- ratification -----

    pub async fn adhesion_settings(&mut self) -> Result<AdhesionSettings, StoreError> {
        let row = sqlx::query("SELECT election_date, reminder_days FROM adhesion_settings WHERE id = 1")
            .fetch_one(self.conn())
            .await?;
        Ok(AdhesionSettings {
            election_date: opt_date(&row, "election_date")?,
            reminder_days: row.try_get("reminder_days")?,
        })
    }

    pub async fn save_adhesion_settings(
        &mut self,
        s: &AdhesionSettings,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE adhesion_settings SET election_date = $1, reminder_days = $2, updated_at = $3 WHERE id = 1")
            .bind(s.election_date.map(|d| d.format("%Y-%m-%d").to_string()))
            .bind(s.reminder_days)
            .bind(now.timestamp())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Municipalities with an approved (or suspended) adhesion and active
    /// persons, with the oldest confirmation of those persons and the last
    /// reminder.
    pub async fn ratification_candidates(&mut self) -> Result<Vec<RatificationCandidate>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.id, g.name, MIN(p.confirmed_at) AS confirmed_at, rr.reminded_on \
             FROM adhesions d JOIN agencies g ON g.id = d.agency_id \
             JOIN responsible_persons p ON p.agency_id = g.id AND p.status = 'active' \
             LEFT JOIN ratification_reminders rr ON rr.agency_id = g.id \
             WHERE d.kind = 'municipality' AND d.status IN ('approved', 'suspended') \
             GROUP BY g.id, g.name, rr.reminded_on ORDER BY g.id",
        )
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RatificationCandidate {
                    agency_id: AgencyId(id(r)?),
                    agency_name: r.try_get("name")?,
                    confirmed_at: opt_time(r, "confirmed_at")?,
                    reminded_on: opt_date(r, "reminded_on")?,
                })
            })
            .collect()
    }

    pub async fn set_reminded(&mut self, agency: AgencyId, on: NaiveDate) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ratification_reminders (agency_id, reminded_on) VALUES ($1, $2) \
             ON CONFLICT (agency_id) DO UPDATE SET reminded_on = excluded.reminded_on",
        )
        .bind(agency.0)
        .bind(on.format("%Y-%m-%d").to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    // ----- invitations -----

    pub async fn insert_invitation(
        &mut self,
        token_hash: &str,
        user: UserId,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO user_invitations (token_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user.0)
        .bind(expires_at.timestamp())
        .bind(now.timestamp())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn invitation(&mut self, token_hash: &str) -> Result<Invitation, StoreError> {
        let row =
            sqlx::query("SELECT user_id, expires_at, used_at FROM user_invitations WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_one(self.conn())
                .await?;
        Ok(Invitation {
            user_id: UserId(row.try_get("user_id")?),
            expires_at: time(&row, "expires_at")?,
            used_at: opt_time(&row, "used_at")?,
        })
    }

    pub async fn use_invitation(&mut self, token_hash: &str, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE user_invitations SET used_at = $1 WHERE token_hash = $2")
            .bind(now.timestamp())
            .bind(token_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
