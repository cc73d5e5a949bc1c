//! Incidents and maintenance windows: opening, working and classifying
//! incidents (DOMAIN §5), announcing, approving and rejecting maintenance
//! windows. A change that would alter a closed month is refused; the
//! correction of a closed month is an adjustment (see [`crate::closing`]).

use crate::audit::{Action, record};
use crate::authz::{Resource, may_write, narrow, require_write};
use crate::closing::{ensure_months_open, rules_at};
use crate::inventory::{ensure_sees, reference};
use crate::{App, AppError, AppResult};
use redegov_domain::error::{FieldError, Rule, required};
use redegov_domain::ids::*;
use redegov_domain::incident::*;
use redegov_domain::measure::Span;
use redegov_domain::role::{Actor, Role, Scope};
use redegov_domain::time::Timestamp;
use redegov_store::Tx;
use redegov_store::incidents::{IncidentFilter, IncidentRow, NewIncident, NewWindow, WindowFilter};
use redegov_store::inventory::{Listed, OperatorScoped};
use redegov_store::{Page, StoreError};
use serde::Serialize;

/// A new incident, as typed by a person or sent by a monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentInput {
    pub access_id: AccessId,
    pub probe_target: Option<String>,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub responsibility: Responsibility,
    pub cause: String,
    pub ticket: String,
    pub clock_stops: Vec<Span>,
    pub notes: String,
    pub source: IncidentSource,
}

/// A change to an incident; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentChange {
    pub status: Option<IncidentStatus>,
    /// `Some(None)` reopens (clears the end).
    pub ended_at: Option<Option<Timestamp>>,
    /// The new responsibility and the reason for the change.
    pub responsibility: Option<(Responsibility, String)>,
    pub cause: Option<String>,
    pub ticket: Option<String>,
    pub notes: Option<String>,
    pub clock_stops: Option<Vec<Span>>,
}

/// A maintenance window to announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowInput {
    pub target: WindowTarget,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub description: String,
    /// When it was announced; `None` is now. Only admin and network manager
    /// may record a window announced earlier (importing history).
    pub announced_at: Option<Timestamp>,
}

/// Scope of incident lists, like [`crate::authz::scoped`] for the inventory.
fn scoped_incidents(actor: &Actor, mut f: IncidentFilter) -> IncidentFilter {
    narrow(actor, &mut f.agency_id, &mut f.operator_id);
    f
}

fn scoped_windows(actor: &Actor, mut f: WindowFilter) -> WindowFilter {
    narrow(actor, &mut f.agency_id, &mut f.operator_id);
    f
}

/// The span an incident occupies for the closed-month check.
fn incident_span(started_at: Timestamp, ended_at: Option<Timestamp>, now: Timestamp) -> Span {
    let start = started_at.timestamp();
    Span::new(start, ended_at.unwrap_or(now).timestamp().max(start + 1))
}

/// Checks a new incident against its access's probe targets and `now`, and
/// builds the row to insert, with the span the closed-month check needs.
/// Everything [`App::create_incident`] checks except what needs the
/// transaction (the access's existence and scope, closed months); shared
/// with the CSV import, so one file row is refused exactly like one form.
pub(crate) fn validate_new_incident(
    actor: &Actor,
    input: IncidentInput,
    access_targets: &[std::net::IpAddr],
    now: Timestamp,
) -> AppResult<(NewIncident, Span)> {
    if actor.role == Role::Operator && input.responsibility != Responsibility::Operator {
        return Err(AppError::Forbidden("classify an incident's responsibility"));
    }
    let target =
        match input.probe_target.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => Some(t.parse().map_err(|_| {
                FieldError::new("probe_target", Rule::Malformed("endereço IP, ex.: 10.1.2.3"))
            })?),
        };
    if input.started_at > now {
        return Err(FieldError::new("started_at", Rule::InFuture).into());
    }
    if input.ended_at.is_some_and(|end| end > now) {
        return Err(FieldError::new("ended_at", Rule::InFuture).into());
    }
    let timing = validate_timing(
        input.started_at.timestamp(),
        input.ended_at.map(|t| t.timestamp()),
        &input.clock_stops,
        target,
        access_targets,
    )?;
    let status = if input.ended_at.is_some() { IncidentStatus::Resolved } else { IncidentStatus::Open };
    let span = incident_span(input.started_at, input.ended_at, now);
    let new = NewIncident {
        access_id: input.access_id,
        probe_target: target,
        started_at: input.started_at,
        ended_at: input.ended_at,
        responsibility: input.responsibility,
        status,
        cause: input.cause.trim().to_string(),
        ticket: input.ticket.trim().to_string(),
        clock_stops: timing.clock_stops,
        notes: input.notes.trim().to_string(),
        source: input.source,
    };
    Ok((new, span))
}

/// What the audit log keeps of a responsibility change.
#[derive(Serialize)]
struct Reclassified<'a> {
    incident: &'a Incident,
    reason: &'a str,
}

impl App {
    pub async fn create_incident(&self, actor: &Actor, input: IncidentInput) -> AppResult<Incident> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let row = reference(tx.access(input.access_id).await, "access_id").await?;
        // An access outside the actor's scope is an unknown reference.
        ensure_sees(&mut tx, actor, OperatorScoped::Access, input.access_id.0, Some(row.agency_id))
            .await
            .map_err(|_| FieldError::new("access_id", Rule::UnknownReference))?;
        require_write(actor, Resource::Incident)?;
        let (new, span) = validate_new_incident(actor, input, &row.access.probe_targets, now)?;
        ensure_months_open(&mut tx, span, "started_at").await?;
        let incident = tx.insert_incident(&new, now).await?;
        record(
            &mut tx,
            actor,
            now,
            Action::Create,
            "incident",
            Some(incident.id.0),
            None::<&()>,
            Some(&incident),
        )
        .await?;
        tx.commit().await?;
        Ok(incident)
    }

    async fn visible_incident(&self, tx: &mut Tx, actor: &Actor, id: IncidentId) -> AppResult<IncidentRow> {
        let row = tx.incident(id).await.map_err(AppError::not_found("incident"))?;
        ensure_sees(tx, actor, OperatorScoped::Access, row.incident.access_id.0, Some(row.agency_id))
            .await
            .map_err(|_| AppError::NotFound("incident"))?;
        Ok(row)
    }

    pub async fn get_incident(&self, actor: &Actor, id: IncidentId) -> AppResult<IncidentRow> {
        let mut tx = self.store().read().await?;
        self.visible_incident(&mut tx, actor, id).await
    }

    pub async fn list_incidents(
        &self,
        actor: &Actor,
        f: IncidentFilter,
        page: Page,
    ) -> AppResult<Listed<IncidentRow>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_incidents(&scoped_incidents(actor, f), page).await?)
    }

    /// Works an incident: status, end, ticket, notes, clock stops, and (the
    /// NOC only, with a reason) its responsibility. Refused once a month it
    /// touches is closed.
    pub async fn update_incident(
        &self,
        actor: &Actor,
        id: IncidentId,
        change: IncidentChange,
    ) -> AppResult<Incident> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let row = self.visible_incident(&mut tx, actor, id).await?;
        require_write(actor, Resource::Incident)?;
        let before = row.incident;
        // What each role may touch.
        let noc = may_write(actor.role, Resource::Responsibility);
        let agency = actor.role == Role::AgencyManager;
        if change.responsibility.is_some() || change.clock_stops.is_some() {
            require_write(actor, Resource::Responsibility)?;
        }
        if agency && (change.status.is_some() || change.ended_at.is_some() || change.ticket.is_some()) {
            return Err(AppError::Forbidden("work an incident (only notes)"));
        }
        let mut after = before.clone();
        if let Some(status) = change.status
            && status != before.status
        {
            if !noc && matches!(status, IncidentStatus::Confirmed | IncidentStatus::Closed) {
                return Err(AppError::Forbidden("confirm or close incidents"));
            }
            after.status = before.status.transition(status)?;
        }
        if let Some(end) = change.ended_at {
            after.ended_at = end;
        }
        if after.status == IncidentStatus::Resolved && after.ended_at.is_none() {
            after.ended_at = Some(now);
        }
        if let Some(end) = after.ended_at
            && end > now
        {
            return Err(FieldError::new("ended_at", Rule::InFuture).into());
        }
        let mut reason = None;
        if let Some((responsibility, why)) = change.responsibility {
            reason = Some(required("reason", &why)?);
            after.responsibility = responsibility;
        }
        for (value, field) in [(change.cause, &mut after.cause), (change.ticket, &mut after.ticket)] {
            if let Some(v) = value {
                *field = v.trim().to_string();
            }
        }
        if let Some(notes) = change.notes {
            after.notes = notes.trim().to_string();
        }
        let access = tx.access(before.access_id).await?;
        let timing = validate_timing(
            after.started_at.timestamp(),
            after.ended_at.map(|t| t.timestamp()),
            change.clock_stops.as_deref().unwrap_or(&before.clock_stops),
            after.probe_target,
            &access.access.probe_targets,
        )?;
        after.clock_stops = timing.clock_stops;
        if after == before {
            return Ok(before);
        }
        // Both the old and the new extent must lie in open months.
        ensure_months_open(&mut tx, incident_span(before.started_at, before.ended_at, now), "started_at")
            .await?;
        ensure_months_open(&mut tx, incident_span(after.started_at, after.ended_at, now), "ended_at").await?;
        after.updated_at = now;
        tx.update_incident(&after).await?;
        match &reason {
            Some(reason) => {
                let after_entry = Reclassified { incident: &after, reason };
                record(
                    &mut tx,
                    actor,
                    now,
                    Action::Update,
                    "incident",
                    Some(id.0),
                    Some(&before),
                    Some(&after_entry),
                )
                .await?
            }
            None => {
                record(
                    &mut tx,
                    actor,
                    now,
                    Action::Update,
                    "incident",
                    Some(id.0),
                    Some(&before),
                    Some(&after),
                )
                .await?
            }
        }
        tx.commit().await?;
        Ok(after)
    }

    // ----- maintenance windows -----

    pub async fn propose_window(&self, actor: &Actor, input: WindowInput) -> AppResult<MaintenanceWindow> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let lot = match input.target {
            WindowTarget::Access(a) => {
                let row = reference(tx.access(a).await, "access_id").await?;
                ensure_sees(&mut tx, actor, OperatorScoped::Access, a.0, Some(row.agency_id))
                    .await
                    .map_err(|_| FieldError::new("access_id", Rule::UnknownReference))?;
                row.access.lot_id
            }
            WindowTarget::Lot(l) => {
                let lot = reference(tx.lot(l).await, "lot_id").await?;
                if let Scope::Operator(op) = actor.scope
                    && !tx.operator_sees(op, OperatorScoped::Lot, l.0).await?
                {
                    return Err(FieldError::new("lot_id", Rule::UnknownReference).into());
                }
                lot.id
            }
        };
        require_write(actor, Resource::MaintenanceWindow)?;
        let announced_at = match input.announced_at {
            Some(at) if at != now => {
                if !may_write(actor.role, Resource::WindowDecision) {
                    return Err(AppError::Forbidden("record a window announced at another time"));
                }
                if at > now {
                    return Err(FieldError::new("announced_at", Rule::InFuture).into());
                }
                at
            }
            _ => now,
        };
        let description = required("description", &input.description)?;
        let all_rules = tx.all_rules(Some(lot)).await?;
        let (_, rules) = rules_at(&all_rules, lot, redegov_domain::time::to_network_date(input.starts_at))?;
        check_notice(
            announced_at.timestamp(),
            input.starts_at.timestamp(),
            input.ends_at.timestamp(),
            rules.maintenance_notice,
        )?;
        ensure_months_open(
            &mut tx,
            Span::new(input.starts_at.timestamp(), input.ends_at.timestamp()),
            "starts_at",
        )
        .await?;
        let window = tx
            .insert_window(&NewWindow {
                target: input.target,
                starts_at: input.starts_at,
                ends_at: input.ends_at,
                announced_at,
                description,
                created_by: Some(actor.user_id),
            })
            .await?;
        record(
            &mut tx,
            actor,
            now,
            Action::Create,
            "maintenance_window",
            Some(window.id.0),
            None::<&()>,
            Some(&window),
        )
        .await?;
        tx.commit().await?;
        Ok(window)
    }

    async fn visible_window(&self, tx: &mut Tx, actor: &Actor, id: WindowId) -> AppResult<MaintenanceWindow> {
        let window = tx.window(id).await.map_err(AppError::not_found("maintenance window"))?;
        let f = scoped_windows(actor, WindowFilter::default());
        if f == WindowFilter::default() {
            return Ok(window);
        }
        // Scoped: visible if the scoped list holds it.
        let mut f = f;
        match window.target {
            WindowTarget::Access(a) => f.access_id = Some(a),
            WindowTarget::Lot(l) => f.lot_id = Some(l),
        }
        let found = tx.list_windows(&f, Page::all()).await?;
        if found.items.iter().any(|w| w.id == id) {
            Ok(window)
        } else {
            Err(AppError::NotFound("maintenance window"))
        }
    }

    pub async fn get_window(&self, actor: &Actor, id: WindowId) -> AppResult<MaintenanceWindow> {
        let mut tx = self.store().read().await?;
        self.visible_window(&mut tx, actor, id).await
    }

    pub async fn list_windows(
        &self,
        actor: &Actor,
        f: WindowFilter,
        page: Page,
    ) -> AppResult<Listed<MaintenanceWindow>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_windows(&scoped_windows(actor, f), page).await?)
    }

    /// Approves (`approve = true`) or rejects a proposed window. A rejection
    /// needs a reason.
    pub async fn decide_window(
        &self,
        actor: &Actor,
        id: WindowId,
        approve: bool,
        reason: &str,
    ) -> AppResult<MaintenanceWindow> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = self.visible_window(&mut tx, actor, id).await?;
        require_write(actor, Resource::WindowDecision)?;
        let next = if approve { WindowStatus::Approved } else { WindowStatus::Rejected };
        if before.status != WindowStatus::Proposed {
            return Err(FieldError::new(
                "status",
                Rule::InvalidTransition { from: before.status.as_str(), to: next.as_str() },
            )
            .into());
        }
        let reason = if approve { reason.trim().to_string() } else { required("reason", reason)? };
        ensure_months_open(
            &mut tx,
            Span::new(before.starts_at.timestamp(), before.ends_at.timestamp()),
            "starts_at",
        )
        .await?;
        let after = MaintenanceWindow {
            status: next,
            decided_by: Some(actor.user_id),
            decided_at: Some(now),
            decision_reason: reason,
            ..before.clone()
        };
        tx.decide_window(&after).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("maintenance window"),
            other => other.into(),
        })?;
        record(
            &mut tx,
            actor,
            now,
            Action::Update,
            "maintenance_window",
            Some(id.0),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
