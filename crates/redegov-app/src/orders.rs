//! Service orders (DOMAIN §4): opening an order of one of the ten types,
//! moving it through its life cycle with the domain's one transition
//! function, the survey's pending items (which pause the operator's clock),
//! the deadline and lateness, completion's change to the inventory, the
//! e-mail each step sends, and the scheduled jobs (tacit acceptance,
//! reminders, late notices, scheduled access changes).
//!
//! Every use case is one transaction: the order, its history entry, the
//! audit entry, the inventory change and the queued e-mails commit together
//! or not at all.

use crate::audit::{Action as AuditAction, record};
use crate::calendar::calendar_for;
use crate::inventory::{ensure_sees, insert_access_in, reference};
use crate::mail::{
    Email, agency_manager_emails, enqueue, lot_operators, network_manager_emails, operator_emails,
};
use crate::{App, AppError, AppResult};
use chrono::{Days, TimeZone};
use redegov_domain::calendar::Calendar;
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::*;
use redegov_domain::inventory::{
    Access, AccessDraft, AccessStatus, Area, Redundancy, Site, parse_probe_targets, resolve_price,
};
use redegov_domain::order::*;
use redegov_domain::role::{Actor, Role, Scope};
use redegov_domain::time::{NETWORK_TZ, Timestamp, format_date, format_local, to_network_date};
use redegov_store::Tx;
use redegov_store::inventory::{Listed, OperatorScoped};
use redegov_store::orders::{AccessChange, NewOrder, OrderFilter, OrderRow};
use redegov_store::{Page, StoreError};
use serde::Serialize;

/// A new order: its type's fields, and whether to submit it at once
/// (otherwise it stays a draft).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderInput {
    pub spec: OrderSpec,
    pub submit: bool,
}

/// An order with its history, pending items, the actions the reader may
/// take now and how it stands against its due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDetail {
    pub row: OrderRow,
    pub events: Vec<OrderEvent>,
    pub pending: Vec<PendingItem>,
    pub allowed: Vec<Action>,
    pub urgency: Option<Urgency>,
}

/// What a run of the scheduled order jobs did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OrderJobReport {
    pub tacit_acceptances: usize,
    pub reminders: usize,
    pub late_notices: usize,
    pub access_changes: usize,
    pub deadlines_refreshed: usize,
}

/// Keeps an agency manager inside its agency and an operator inside its
/// lots, on top of what the caller asked for.
fn scoped_orders(actor: &Actor, mut f: OrderFilter) -> OrderFilter {
    crate::authz::narrow(actor, &mut f.agency_id, &mut f.operator_id);
    f
}

fn forbidden(e: TransitionError) -> AppError {
    match e {
        TransitionError::Forbidden { .. } => AppError::Forbidden("take this action on the order"),
        TransitionError::Invalid(e) => e.into(),
    }
}

/// The start of the day after `at`, in the network's time zone: when a
/// reconfiguration's new bandwidth and price take effect.
fn next_local_midnight(at: Timestamp) -> Timestamp {
    let tomorrow = to_network_date(at).checked_add_days(Days::new(1)).unwrap_or(to_network_date(at));
    let midnight = tomorrow.and_hms_opt(0, 0, 0).unwrap_or_default();
    NETWORK_TZ.from_local_datetime(&midnight).earliest().map(|t| t.with_timezone(&chrono::Utc)).unwrap_or(at)
}

impl App {
    /// The link to an order in the portal, for e-mails.
    fn order_link(&self, id: OrderId) -> String {
        format!("{}/ordens/{}", self.public_url(), id.0)
    }

    // ----- settings, policies, delinquency -----

    /// The network's order settings (defaults until an admin saves some).
    pub async fn order_settings(&self, _actor: &Actor) -> AppResult<OrderSettings> {
        let mut tx = self.store().read().await?;
        load_settings(&mut tx).await
    }

    pub async fn set_order_settings(
        &self,
        actor: &Actor,
        settings: OrderSettings,
    ) -> AppResult<OrderSettings> {
        if actor.role != Role::Admin {
            return Err(AppError::Forbidden("change the order settings"));
        }
        settings.validate()?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = load_settings(&mut tx).await?;
        let json = serde_json::to_string(&settings).map_err(|e| AppError::Internal(e.to_string()))?;
        tx.save_order_settings(&json, Some(actor.user_id), now).await?;
        record(
            &mut tx,
            actor,
            now,
            AuditAction::Update,
            "order_settings",
            None,
            Some(&before),
            Some(&settings),
        )
        .await?;
        tx.commit().await?;
        Ok(settings)
    }

    /// The adhesion policies per agency kind (kinds without one have no limits).
    pub async fn adhesion_policies(&self, _actor: &Actor) -> AppResult<Vec<AdhesionPolicy>> {
        let mut tx = self.store().read().await?;
        load_policies(&mut tx).await
    }

    /// Saves the policy of one agency kind (admin or committee).
    pub async fn set_adhesion_policy(
        &self,
        actor: &Actor,
        policy: AdhesionPolicy,
    ) -> AppResult<AdhesionPolicy> {
        if !matches!(actor.role, Role::Admin | Role::Committee) {
            return Err(AppError::Forbidden("change adhesion policies"));
        }
        for (i, s) in policy.services.iter().enumerate() {
            redegov_domain::error::required(&format!("services[{i}].service"), &s.service)?;
            redegov_domain::error::required(&format!("services[{i}].label"), &s.label)?;
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = load_policies(&mut tx).await?.into_iter().find(|p| p.kind == policy.kind);
        let json = serde_json::to_string(&policy).map_err(|e| AppError::Internal(e.to_string()))?;
        tx.save_adhesion_policy(policy.kind.as_str(), &json, Some(actor.user_id), now).await?;
        record(
            &mut tx,
            actor,
            now,
            AuditAction::Update,
            "adhesion_policy",
            None,
            before.as_ref(),
            Some(&policy),
        )
        .await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// Marks an agency delinquent (or settled): a delinquent agency's new
    /// orders cannot be validated. Admin and contract manager, with a reason.
    pub async fn set_agency_delinquent(
        &self,
        actor: &Actor,
        agency: AgencyId,
        delinquent: bool,
        reason: &str,
    ) -> AppResult<()> {
        if !matches!(actor.role, Role::Admin | Role::ContractManager) {
            return Err(AppError::Forbidden("mark agencies delinquent"));
        }
        let reason = redegov_domain::error::required("reason", reason)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = tx.agency_delinquent(agency).await.map_err(AppError::not_found("agency"))?;
        tx.set_agency_delinquent(agency, delinquent).await?;
        self.follow_delinquency(&mut tx, actor, agency, delinquent, &reason, now).await?;
        #[derive(Serialize)]
        struct Delinquency<'a> {
            delinquent: bool,
            reason: &'a str,
        }
        record(
            &mut tx,
            actor,
            now,
            AuditAction::Update,
            "agency_delinquency",
            Some(agency.0),
            Some(&Delinquency { delinquent: before, reason: "" }),
            Some(&Delinquency { delinquent, reason: &reason }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn agency_is_delinquent(&self, actor: &Actor, agency: AgencyId) -> AppResult<bool> {
        let mut tx = self.store().read().await?;
        let delinquent = tx.agency_delinquent(agency).await.map_err(AppError::not_found("agency"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Agency, agency.0, Some(agency)).await?;
        Ok(delinquent)
    }

    // ----- orders -----

    /// Opens an order (a draft, or submitted at once). The agency is the
    /// one of the site or access the order is about; an agency manager can
    /// only order for its own.
    pub async fn create_order(&self, actor: &Actor, input: OrderInput) -> AppResult<OrderDetail> {
        if !Action::Submit.roles().contains(&actor.role) {
            return Err(AppError::Forbidden("open service orders"));
        }
        let spec = input.spec.validate()?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let settings = load_settings(&mut tx).await?;
        let target = resolve_target(&mut tx, actor, &spec).await?;
        check_policy(&mut tx, &target, &spec).await?;
        if let Some(access) = spec.access_id() {
            let open = OrderFilter { access_id: Some(access), open_only: true, ..OrderFilter::default() };
            let listed = tx.list_orders(&open, Page { page: 1, page_size: 100 }).await?;
            if listed.items.iter().any(|r| r.order.order_type == spec.order_type()) {
                return Err(FieldError::new("access_id", Rule::Duplicate).into());
            }
        }
        let (days, unit) = settings.deadline(spec.order_type(), target.site.area);
        let year = chrono::Datelike::year(&to_network_date(now));
        let number = order_number(year, tx.next_order_seq(year).await?);
        let new = NewOrder {
            order_type: spec.order_type(),
            status: OrderStatus::Draft,
            agency_id: target.agency_id,
            lot_id: target.lot_id,
            site_id: target.site.id,
            access_id: spec.access_id(),
            spec,
            area: target.site.area,
            deadline_days: days,
            deadline_unit: unit,
            linked_order_id: None,
            created_by: Some(actor.user_id),
        };
        let search = [target.agency_acronym.as_str(), &target.site.municipality_name, &target.site.address];
        let id = tx.insert_order(&new, &number, &search, now).await.map_err(|e| match e {
            StoreError::Reference(_) => FieldError::new("site_id", Rule::UnknownReference).into(),
            other => AppError::from(other),
        })?;
        let event = OrderEvent {
            at: now,
            user_id: Some(actor.user_id),
            login: actor.login.clone(),
            action: "create".into(),
            from_status: None,
            to_status: OrderStatus::Draft,
            note: String::new(),
        };
        tx.insert_order_event(id, &event).await?;
        let row = tx.order(id).await?;
        record(&mut tx, actor, now, AuditAction::Create, "order", Some(id.0), None::<&()>, Some(&row.order))
            .await?;
        if input.submit {
            self.apply(&mut tx, actor, By::User(actor.role), id, Command::Submit, now).await?;
        }
        let detail = self.detail(&mut tx, actor, id, now).await?;
        tx.commit().await?;
        Ok(detail)
    }

    async fn visible_order(&self, tx: &mut Tx, actor: &Actor, id: OrderId) -> AppResult<OrderRow> {
        let row = tx.order(id).await.map_err(AppError::not_found("order"))?;
        let visible = match actor.scope {
            Scope::All => true,
            Scope::Agency(own) => row.order.agency_id == own,
            Scope::Operator(op) => tx.operator_sees(op, OperatorScoped::Lot, row.order.lot_id.0).await?,
        };
        if visible { Ok(row) } else { Err(AppError::NotFound("order")) }
    }

    async fn detail(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: OrderId,
        now: Timestamp,
    ) -> AppResult<OrderDetail> {
        let row = self.visible_order(tx, actor, id).await?;
        let settings = load_settings(tx).await?;
        let events = tx.order_events(id).await?;
        let pending = tx.pending_items(id).await?;
        let allowed = Action::available(row.order.status, By::User(actor.role));
        let urgency = row.order.urgency(to_network_date(now), settings.reminder_days);
        Ok(OrderDetail { row, events, pending, allowed, urgency })
    }

    pub async fn get_order(&self, actor: &Actor, id: OrderId) -> AppResult<OrderDetail> {
        let now = self.now();
        let mut tx = self.store().read().await?;
        self.detail(&mut tx, actor, id, now).await
    }

    pub async fn get_order_by_number(&self, actor: &Actor, number: &str) -> AppResult<OrderDetail> {
        let now = self.now();
        let mut tx = self.store().read().await?;
        let row = tx.order_by_number(number.trim()).await.map_err(AppError::not_found("order"))?;
        self.detail(&mut tx, actor, row.order.id, now).await
    }

    pub async fn list_orders(
        &self,
        actor: &Actor,
        f: OrderFilter,
        page: Page,
    ) -> AppResult<Listed<OrderRow>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_orders(&scoped_orders(actor, f), page).await?)
    }

    /// Takes one action on an order.
    pub async fn transition_order(
        &self,
        actor: &Actor,
        id: OrderId,
        command: Command,
    ) -> AppResult<OrderDetail> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        self.visible_order(&mut tx, actor, id).await?;
        self.apply(&mut tx, actor, By::User(actor.role), id, command, now).await?;
        let detail = self.detail(&mut tx, actor, id, now).await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// Marks a pending item resolved: the agency's by its manager (or the
    /// network manager), the operator's by the operator. Resolving the
    /// agency's last item restarts the clock, with the due date extended.
    pub async fn resolve_pending_item(
        &self,
        actor: &Actor,
        id: OrderId,
        item: PendingItemId,
    ) -> AppResult<OrderDetail> {
        if !matches!(actor.role, Role::Admin | Role::NetworkManager | Role::AgencyManager | Role::Operator) {
            return Err(AppError::Forbidden("resolve pending items"));
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        let row = self.visible_order(&mut tx, actor, id).await?;
        let items = tx.pending_items(id).await?;
        let found = items
            .iter()
            .find(|i| i.id == item && i.resolved_at.is_none())
            .ok_or_else(|| AppError::from(FieldError::new("item_id", Rule::UnknownReference)))?;
        let allowed = match found.party {
            Party::Agency => matches!(actor.role, Role::Admin | Role::NetworkManager | Role::AgencyManager),
            Party::Operator => matches!(actor.role, Role::Admin | Role::Operator),
        };
        if !allowed {
            return Err(AppError::Forbidden("resolve this pending item"));
        }
        if row.order.status.is_final() {
            return Err(FieldError::new(
                "item_id",
                Rule::ActionNotAllowed { action: "resolve_pending", status: row.order.status.as_str() },
            )
            .into());
        }
        tx.resolve_pending_item(item, Some(actor.user_id), now).await?;
        let mut order = row.order.clone();
        let cal = order_calendar(&mut tx, &order).await?;
        refresh_deadline(&mut tx, &mut order, &cal, now).await?;
        order.updated_at = now;
        tx.update_order(&order).await?;
        let event = OrderEvent {
            at: now,
            user_id: Some(actor.user_id),
            login: actor.login.clone(),
            action: "resolve_pending".into(),
            from_status: Some(order.status),
            to_status: order.status,
            note: format!("{}: {}", found.party.label(), found.description),
        };
        tx.insert_order_event(id, &event).await?;
        record(&mut tx, actor, now, AuditAction::Update, "order", Some(id.0), Some(&row.order), Some(&order))
            .await?;
        let detail = self.detail(&mut tx, actor, id, now).await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// Applies one command inside `tx`: the transition function decides,
    /// then the side effects of the action are written with the history
    /// entry, the audit entry and the e-mails.
    async fn apply(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        by: By,
        id: OrderId,
        command: Command,
        now: Timestamp,
    ) -> AppResult<Order> {
        let settings = load_settings(tx).await?;
        let row = tx.order(id).await?;
        let before = row.order.clone();
        let pending = tx.pending_items(id).await?;
        let open =
            |party: Party| pending.iter().filter(|p| p.party == party && p.resolved_at.is_none()).count();
        let view = OrderView {
            status: before.status,
            order_type: before.order_type,
            open_agency_items: open(Party::Agency),
            open_operator_items: open(Party::Operator),
        };
        let step = transition(&view, &command, by, &settings, now).map_err(forbidden)?;
        let cal = order_calendar(tx, &before).await?;
        let today = to_network_date(now);
        let mut order = before.clone();
        order.status = step.to;
        order.updated_at = now;
        let mut note = String::new();
        if step.to == OrderStatus::SentToOperator {
            if tx.agency_delinquent(order.agency_id).await? {
                return Err(FieldError::new("agency_id", Rule::AgencyDelinquent).into());
            }
            crate::adhesions::check_adhesion_allows_orders(tx, order.agency_id).await?;
            order.sent_at = Some(now);
            refresh_deadline(tx, &mut order, &cal, now).await?;
        }
        match &command {
            Command::Return { reason }
            | Command::Cancel { reason }
            | Command::RejectTechnical { reason }
            | Command::Refuse { reason } => note = reason.trim().to_string(),
            Command::ScheduleSurvey { at } => {
                order.survey_at = Some(*at);
                note = format_local(*at);
            }
            Command::ScheduleInstallation { at } => {
                order.installation_at = Some(*at);
                note = format_local(*at);
            }
            Command::ReportSurvey { report, pending } => {
                for p in pending {
                    tx.insert_pending_item(id, p, Some(actor.user_id), now).await?;
                }
                note = report.trim().to_string();
                refresh_deadline(tx, &mut order, &cal, now).await?;
            }
            Command::ReportExecution { report, probe_targets } => {
                if let Some(redundancy) = installed_redundancy(tx, &order).await? {
                    let targets = parse_probe_targets(redundancy, probe_targets)?;
                    order.probe_targets = targets.iter().map(|t| t.to_string()).collect();
                }
                order.technical_report = report.trim().to_string();
                order.executed_at = Some(now);
                order.delivered_on = Some(today);
                order.late_days = order.due_on.map(|due| days_late(&cal, due, today, order.deadline_unit));
                note = order.technical_report.clone();
            }
            Command::AcceptTechnical => {
                order.acceptance_due_on =
                    Some(cal.due(today, settings.acceptance_days, settings.acceptance_unit));
            }
            Command::Accept | Command::TacitAccept => {
                order.completed_at = Some(now);
                order.tacit = matches!(command, Command::TacitAccept);
                self.complete(tx, actor, &mut order, now).await?;
                if order.tacit {
                    note = format!(
                        "sem resposta do órgão até {}",
                        order.acceptance_due_on.map(format_date).unwrap_or_default()
                    );
                }
            }
            Command::Submit | Command::Validate | Command::StartExecution => {}
        }
        if matches!(command, Command::RejectTechnical { .. } | Command::Refuse { .. }) {
            // The operator must execute again: delivery is undone, the
            // clock runs on against the same due date.
            order.executed_at = None;
            order.delivered_on = None;
            order.late_days = None;
            order.acceptance_due_on = None;
        }
        tx.update_order(&order).await?;
        let event = OrderEvent {
            at: now,
            user_id: actor.user(),
            login: actor.login.clone(),
            action: step.action.as_str().into(),
            from_status: Some(step.from),
            to_status: step.to,
            note,
        };
        tx.insert_order_event(id, &event).await?;
        record(tx, actor, now, AuditAction::Update, "order", Some(id.0), Some(&before), Some(&order)).await?;
        self.notify(tx, &row, &order, step, now).await?;
        Ok(order)
    }

    /// Completion changes the inventory, in the same transaction.
    async fn complete(&self, tx: &mut Tx, actor: &Actor, order: &mut Order, now: Timestamp) -> AppResult<()> {
        match order.spec.clone() {
            OrderSpec::NewAccess { access } | OrderSpec::Migration { access, .. } => {
                let site = tx.site(access.site_id).await?;
                let lot = tx.lot(access.lot_id).await?;
                let prices = tx.prices_of_lot(lot.id).await?;
                let draft = AccessDraft {
                    site_id: access.site_id,
                    lot_id: access.lot_id,
                    profile: None,
                    service: access.service,
                    bandwidth_mbps: access.bandwidth_mbps,
                    redundancy: access.redundancy,
                    technology: access.technology,
                    monthly_price: None,
                    activated_at: Some(now),
                    probe_targets: order.probe_targets.clone(),
                };
                let created = insert_access_in(tx, actor, now, draft, &site, &lot, &prices).await?;
                order.access_id = Some(created.id);
            }
            OrderSpec::Deactivation { access_id } => {
                let mut access = tx.access(access_id).await?.access;
                let before = access.clone();
                access.transition(AccessStatus::Deactivated, now)?;
                save_access(tx, actor, now, &before, &access).await?;
            }
            OrderSpec::Reconfiguration { access_id, bandwidth_mbps, service } => {
                let row = tx.access(access_id).await?;
                let site = tx.site(row.access.site_id).await?;
                let effective_at = next_local_midnight(now);
                let service = service.unwrap_or_else(|| row.access.service.clone());
                let price = new_price(tx, &row.access, &site, &service, bandwidth_mbps, effective_at).await?;
                tx.insert_access_change(&AccessChange {
                    id: 0,
                    order_id: order.id,
                    access_id,
                    effective_at,
                    service,
                    bandwidth_mbps,
                    monthly_price: price,
                    applied_at: None,
                })
                .await?;
            }
            OrderSpec::AddressChange { access_id, new_site_id } => {
                let old = tx.access(access_id).await?.access;
                let site = tx.site(new_site_id).await?;
                let lot = tx.lot(old.lot_id).await?;
                let prices = tx.prices_of_lot(lot.id).await?;
                let draft = AccessDraft {
                    site_id: new_site_id,
                    lot_id: old.lot_id,
                    profile: Some(old.profile),
                    service: old.service.clone(),
                    bandwidth_mbps: old.bandwidth_mbps,
                    redundancy: old.redundancy,
                    technology: old.technology,
                    monthly_price: None,
                    activated_at: Some(now),
                    probe_targets: order.probe_targets.clone(),
                };
                insert_access_in(tx, actor, now, draft, &site, &lot, &prices).await?;
                self.open_linked_deactivation(tx, actor, order, &old, now).await?;
            }
            OrderSpec::AddressCorrection { access_id, address } => {
                let row = tx.access(access_id).await?;
                let mut site = tx.site(row.access.site_id).await?;
                let before = site.clone();
                site.address = address;
                tx.update_site(&site).await?;
                record(
                    tx,
                    actor,
                    now,
                    AuditAction::Update,
                    "site",
                    Some(site.id.0),
                    Some(&before),
                    Some(&site),
                )
                .await?;
            }
            OrderSpec::OwnershipTransfer { access_id, to_site_id, .. } => {
                let mut access = tx.access(access_id).await?.access;
                let before = access.clone();
                access.site_id = to_site_id;
                save_access(tx, actor, now, &before, &access).await?;
            }
            OrderSpec::CpeConfigChange { .. }
            | OrderSpec::CpeRelocation { .. }
            | OrderSpec::SecurityRuleChange { .. } => {}
        }
        Ok(())
    }

    /// An address change, once accepted, opens the deactivation of the old
    /// access, already sent to the operator (the change was validated).
    async fn open_linked_deactivation(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        parent: &Order,
        old: &Access,
        now: Timestamp,
    ) -> AppResult<()> {
        let settings = load_settings(tx).await?;
        let site = tx.site(old.site_id).await?;
        let (days, unit) = settings.deadline(OrderType::Deactivation, site.area);
        let year = chrono::Datelike::year(&to_network_date(now));
        let number = order_number(year, tx.next_order_seq(year).await?);
        let new = NewOrder {
            order_type: OrderType::Deactivation,
            status: OrderStatus::SentToOperator,
            agency_id: parent.agency_id,
            lot_id: old.lot_id,
            site_id: old.site_id,
            access_id: Some(old.id),
            spec: OrderSpec::Deactivation { access_id: old.id },
            area: site.area,
            deadline_days: days,
            deadline_unit: unit,
            linked_order_id: Some(parent.id),
            created_by: None,
        };
        let agency = tx.agency(parent.agency_id).await?;
        let id = tx
            .insert_order(
                &new,
                &number,
                &[agency.acronym.as_str(), &site.municipality_name, &site.address],
                now,
            )
            .await?;
        let mut order = tx.order(id).await?.order;
        order.sent_at = Some(now);
        let cal = calendar_for(tx, Some(site.municipality_ibge)).await?;
        refresh_deadline(tx, &mut order, &cal, now).await?;
        tx.update_order(&order).await?;
        let event = OrderEvent {
            at: now,
            user_id: None,
            login: actor.login.clone(),
            action: "create".into(),
            from_status: None,
            to_status: OrderStatus::SentToOperator,
            note: format!("desativação do endereço antigo, após o aceite de {}", parent.number),
        };
        tx.insert_order_event(id, &event).await?;
        record(tx, actor, now, AuditAction::Create, "order", Some(id.0), None::<&()>, Some(&order)).await?;
        let row = tx.order(id).await?;
        let step =
            Step { action: Action::Validate, from: OrderStatus::Submitted, to: OrderStatus::SentToOperator };
        self.notify(tx, &row, &order, step, now).await?;
        Ok(())
    }

    /// Queues the e-mail of a step to whom it concerns.
    async fn notify(
        &self,
        tx: &mut Tx,
        row: &OrderRow,
        order: &Order,
        step: Step,
        now: Timestamp,
    ) -> AppResult<()> {
        use OrderStatus::*;
        let who = Recipients::of(step);
        let (kind, what) = match (step.action, step.to) {
            (Action::Submit, Submitted) => ("order.submitted", "aguarda validação".to_string()),
            (Action::Return, _) => ("order.returned", "foi devolvida para correção".to_string()),
            (_, SentToOperator) => ("order.sent", "foi enviada à operadora".to_string()),
            (Action::ScheduleSurvey, _) => (
                "order.scheduled",
                format!(
                    "teve vistoria agendada para {}",
                    order.survey_at.map(format_local).unwrap_or_default()
                ),
            ),
            (Action::ScheduleInstallation, _) => (
                "order.scheduled",
                format!(
                    "teve instalação agendada para {}",
                    order.installation_at.map(format_local).unwrap_or_default()
                ),
            ),
            (Action::ReportExecution, _) => ("order.executed", "foi executada pela operadora".to_string()),
            (Action::AcceptTechnical, _) => (
                "order.accepted",
                format!(
                    "teve aceite técnico e aguarda o aceite do órgão até {}",
                    order.acceptance_due_on.map(format_date).unwrap_or_default()
                ),
            ),
            (Action::RejectTechnical, _) => {
                ("order.refused", "teve a execução rejeitada no aceite técnico".into())
            }
            (Action::Refuse, _) => ("order.refused", "foi recusada pelo órgão".to_string()),
            (Action::Accept, _) => ("order.accepted", "foi aceita pelo órgão e concluída".to_string()),
            (Action::TacitAccept, _) => ("order.accepted", "foi concluída por aceite tácito".to_string()),
            (Action::Cancel, _) => ("order.cancelled", "foi cancelada".to_string()),
            _ => return Ok(()),
        };
        let subject = format!("Ordem de serviço {} {what}", order.number);
        let body = order_body(row, order, &subject, step.to);
        self.send_order_mail(tx, order, who, kind, subject, body, now).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_order_mail(
        &self,
        tx: &mut Tx,
        order: &Order,
        who: Recipients,
        kind: &'static str,
        subject: String,
        body: String,
        now: Timestamp,
    ) -> AppResult<()> {
        let mut to = Vec::new();
        if who.agency {
            to.extend(agency_manager_emails(tx, order.agency_id).await?);
        }
        if who.operator && order.sent_at.is_some() {
            let lot = tx.lot(order.lot_id).await?;
            let operators = lot_operators(tx, &lot).await?;
            to.extend(operator_emails(tx, &operators).await?);
        }
        if who.network {
            to.extend(network_manager_emails(tx).await?);
        }
        let email = Email {
            to,
            subject,
            body_text: body,
            link: Some(self.order_link(order.id)),
            kind,
            subject_ref: Some(format!("order:{}", order.id.0)),
        };
        enqueue(tx, now, email).await?;
        Ok(())
    }

    // ----- scheduled jobs -----

    /// The order jobs, each order in its own transaction: tacit acceptance
    /// after the agency's deadline, the reminder some days before the due
    /// date, the late notice, the scheduled access changes, and the due
    /// dates of orders paused by an open agency item.
    pub async fn run_order_jobs(&self) -> AppResult<OrderJobReport> {
        let now = self.now();
        let today = to_network_date(now);
        let system = Actor::system();
        let mut report = OrderJobReport::default();
        let settings = {
            let mut tx = self.store().read().await?;
            load_settings(&mut tx).await?
        };
        let remind_by = today.checked_add_days(Days::new(u64::from(settings.reminder_days))).unwrap_or(today);
        let ids = {
            let mut tx = self.store().read().await?;
            tx.orders_needing_jobs(today, remind_by).await?
        };
        for id in ids {
            let mut tx = self.store().write().await?;
            let row = tx.order(id).await?;
            let o = &row.order;
            if o.status == OrderStatus::AwaitingAgencyAcceptance
                && o.acceptance_due_on.is_some_and(|d| d < today)
            {
                self.apply(&mut tx, &system, By::System, id, Command::TacitAccept, now).await?;
                report.tacit_acceptances += 1;
            } else if o.delivered_on.is_none() && !o.status.is_final() {
                let Some(due) = o.due_on else { continue };
                let mut order = o.clone();
                let (kind, what, who) = if due < today && o.late_notified_at.is_none() {
                    order.late_notified_at = Some(now);
                    report.late_notices += 1;
                    let late = (today - due).num_days();
                    ("order.late", format!("está atrasada ({late} dia(s) após o prazo)"), Recipients::ALL)
                } else if o.reminded_at.is_none() && due <= remind_by {
                    order.reminded_at = Some(now);
                    report.reminders += 1;
                    let left = (due - today).num_days();
                    (
                        "order.due_soon",
                        format!("vence em {left} dia(s), em {}", format_date(due)),
                        Recipients { agency: false, operator: true, network: true },
                    )
                } else {
                    continue;
                };
                // A late order was also due soon: no reminder after the notice.
                order.reminded_at = order.reminded_at.or(Some(now));
                tx.update_order(&order).await?;
                let subject = format!("Ordem de serviço {} {what}", order.number);
                let body = order_body(&row, &order, &subject, order.status);
                self.send_order_mail(&mut tx, &order, who, kind, subject, body, now).await?;
            }
            tx.commit().await?;
        }
        let changes = {
            let mut tx = self.store().read().await?;
            tx.due_access_changes(now).await?
        };
        for c in changes {
            let mut tx = self.store().write().await?;
            let mut access = tx.access(c.access_id).await?.access;
            let before = access.clone();
            access.service = c.service.clone();
            access.bandwidth_mbps = c.bandwidth_mbps;
            access.monthly_price = c.monthly_price;
            save_access(&mut tx, &system, now, &before, &access).await?;
            tx.mark_access_change_applied(c.id, now).await?;
            tx.commit().await?;
            report.access_changes += 1;
        }
        let paused = {
            let mut tx = self.store().read().await?;
            tx.orders_paused().await?
        };
        for id in paused {
            let mut tx = self.store().write().await?;
            let mut order = tx.order(id).await?.order;
            let due = order.due_on;
            let cal = order_calendar(&mut tx, &order).await?;
            refresh_deadline(&mut tx, &mut order, &cal, now).await?;
            if order.due_on != due {
                tx.update_order(&order).await?;
                report.deadlines_refreshed += 1;
            }
            tx.commit().await?;
        }
        Ok(report)
    }
}

/// Who gets a step's e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Recipients {
    agency: bool,
    operator: bool,
    network: bool,
}

impl Recipients {
    const ALL: Recipients = Recipients { agency: true, operator: true, network: true };

    fn of(step: Step) -> Recipients {
        let r = |agency, operator, network| Recipients { agency, operator, network };
        match step.action {
            Action::Submit if step.to == OrderStatus::Submitted => r(true, false, true),
            Action::Return => r(true, false, false),
            Action::Submit | Action::Validate => r(true, true, true),
            Action::ScheduleSurvey | Action::ScheduleInstallation => r(true, false, true),
            Action::ReportExecution => r(true, false, true),
            Action::AcceptTechnical => r(true, true, false),
            Action::RejectTechnical | Action::Refuse => r(false, true, true),
            Action::Accept | Action::TacitAccept | Action::Cancel => Recipients::ALL,
            Action::ReportSurvey | Action::StartExecution => r(false, false, false),
        }
    }
}

fn order_body(row: &OrderRow, order: &Order, subject: &str, status: OrderStatus) -> String {
    let mut body = format!(
        "{subject}.\n\nOrdem: {}\nTipo: {}\nÓrgão: {}\nLote: {}\nEndereço: {} — {}\nSituação: {}\n",
        order.number,
        order.order_type.label(),
        row.agency_acronym,
        row.lot_code,
        row.site_address,
        row.municipality_name,
        status.label(),
    );
    if let Some(due) = order.due_on {
        body.push_str(&format!(
            "Prazo da operadora: {} ({} dia(s) {})\n",
            format_date(due),
            order.deadline_days,
            if order.deadline_unit == redegov_domain::calendar::DayUnit::Business {
                "úteis"
            } else {
                "corridos"
            }
        ));
    }
    if let Some(late) = order.late_days.filter(|d| *d > 0) {
        body.push_str(&format!("Entregue com {late} dia(s) de atraso\n"));
    }
    body.push_str("\nEsta é uma mensagem automática do redegov.\n");
    body
}

/// The deadline of an order from its sending, extended by its agency
/// pending items; no deadline before it is sent.
async fn refresh_deadline(tx: &mut Tx, order: &mut Order, cal: &Calendar, now: Timestamp) -> AppResult<()> {
    let Some(sent) = order.sent_at else { return Ok(()) };
    let pauses: Vec<Pause> =
        tx.pending_items(order.id).await?.iter().filter_map(PendingItem::pause).collect();
    let d = deadline(cal, sent, order.deadline_days, order.deadline_unit, &pauses, now);
    order.due_on = Some(d.due_on);
    order.paused_days = d.paused_days;
    Ok(())
}

async fn order_calendar(tx: &mut Tx, order: &Order) -> AppResult<Calendar> {
    let site = tx.site(order.site_id).await?;
    calendar_for(tx, Some(site.municipality_ibge)).await
}

/// The redundancy of the access an order installs (activations and address
/// changes), whose probe targets the execution report must give.
async fn installed_redundancy(tx: &mut Tx, order: &Order) -> AppResult<Option<Redundancy>> {
    Ok(match &order.spec {
        OrderSpec::NewAccess { access } | OrderSpec::Migration { access, .. } => Some(access.redundancy),
        OrderSpec::AddressChange { access_id, .. } => Some(tx.access(*access_id).await?.access.redundancy),
        _ => None,
    })
}

async fn save_access(
    tx: &mut Tx,
    actor: &Actor,
    now: Timestamp,
    before: &Access,
    after: &Access,
) -> AppResult<()> {
    tx.update_access(after).await?;
    record(tx, actor, now, AuditAction::Update, "access", Some(after.id.0), Some(before), Some(after)).await
}

/// The price of an access after a reconfiguration, from the lot's table in
/// force when the change takes effect.
async fn new_price(
    tx: &mut Tx,
    access: &Access,
    site: &Site,
    service: &str,
    bandwidth_mbps: i64,
    effective_at: Timestamp,
) -> AppResult<redegov_domain::money::Money> {
    let prices = tx.prices_of_lot(access.lot_id).await?;
    resolve_price(&prices, service, bandwidth_mbps, site.area, to_network_date(effective_at))
        .map(|p| p.monthly_price)
        .ok_or_else(|| FieldError::new("bandwidth_mbps", Rule::NoPrice).into())
}

pub(crate) async fn load_settings(tx: &mut Tx) -> AppResult<OrderSettings> {
    match tx.order_settings().await? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| AppError::Store(StoreError::Corrupt(format!("order settings: {e}")))),
        None => Ok(OrderSettings::default()),
    }
}

async fn load_policies(tx: &mut Tx) -> AppResult<Vec<AdhesionPolicy>> {
    tx.adhesion_policies()
        .await?
        .into_iter()
        .map(|(kind, json)| {
            serde_json::from_str(&json)
                .map_err(|e| AppError::Store(StoreError::Corrupt(format!("adhesion policy {kind}: {e}"))))
        })
        .collect()
}

/// What an order is about, resolved and checked against the actor's scope.
struct Target {
    agency_id: AgencyId,
    agency_acronym: String,
    lot_id: LotId,
    /// Where the service is (the new site of an activation or move).
    site: Site,
}

/// Loads the rows an order refers to and checks them: existence and scope
/// (an unknown reference otherwise), the lot's region, a price for a new
/// access, a live access, a receiving agency's site.
async fn resolve_target(tx: &mut Tx, actor: &Actor, spec: &OrderSpec) -> AppResult<Target> {
    let own = |agency: AgencyId, field: &str| -> AppResult<()> {
        match actor.scope {
            Scope::Agency(a) if a != agency => Err(FieldError::new(field, Rule::UnknownReference).into()),
            _ => Ok(()),
        }
    };
    let target = if let Some(a) = spec.new_access() {
        let site = reference(tx.site(a.site_id).await, "site_id").await?;
        own(site.agency_id, "site_id")?;
        let lot = reference(tx.lot(a.lot_id).await, "lot_id").await?;
        if !lot.region.contains(site.municipality_ibge) {
            return Err(FieldError::new("lot_id", Rule::OutsideLotRegion).into());
        }
        has_price(tx, lot.id, &a.service, a.bandwidth_mbps, site.area).await?;
        Target { agency_id: site.agency_id, agency_acronym: String::new(), lot_id: lot.id, site }
    } else {
        let access_id = spec.access_id().ok_or_else(|| FieldError::new("access_id", Rule::Required))?;
        let row = reference(tx.access(access_id).await, "access_id").await?;
        own(row.agency_id, "access_id")?;
        if row.access.status == AccessStatus::Deactivated {
            return Err(FieldError::new(
                "access_id",
                Rule::InvalidTransition { from: "deactivated", to: spec.order_type().as_str() },
            )
            .into());
        }
        let mut site = tx.site(row.access.site_id).await?;
        match spec {
            OrderSpec::AddressChange { new_site_id, .. } => {
                let new_site = reference(tx.site(*new_site_id).await, "new_site_id").await?;
                if new_site.agency_id != row.agency_id {
                    return Err(FieldError::new("new_site_id", Rule::UnknownReference).into());
                }
                let lot = tx.lot(row.access.lot_id).await?;
                if !lot.region.contains(new_site.municipality_ibge) {
                    return Err(FieldError::new("new_site_id", Rule::OutsideLotRegion).into());
                }
                site = new_site;
            }
            OrderSpec::OwnershipTransfer { to_agency_id, to_site_id, .. } => {
                reference(tx.agency(*to_agency_id).await, "to_agency_id").await?;
                let to_site = reference(tx.site(*to_site_id).await, "to_site_id").await?;
                if to_site.agency_id != *to_agency_id || *to_agency_id == row.agency_id {
                    return Err(FieldError::new("to_site_id", Rule::UnknownReference).into());
                }
            }
            OrderSpec::Reconfiguration { bandwidth_mbps, service, .. } => {
                let service = service.clone().unwrap_or_else(|| row.access.service.clone());
                has_price(tx, row.access.lot_id, &service, *bandwidth_mbps, site.area).await?;
            }
            _ => {}
        }
        Target {
            agency_id: row.agency_id,
            agency_acronym: row.agency_acronym,
            lot_id: row.access.lot_id,
            site,
        }
    };
    let agency = tx.agency(target.agency_id).await?;
    Ok(Target { agency_acronym: agency.acronym, ..target })
}

/// Refuses an order whose new link has no price in the lot's table (for
/// any period): completion could not price it.
async fn has_price(tx: &mut Tx, lot: LotId, service: &str, bandwidth_mbps: i64, area: Area) -> AppResult<()> {
    let prices = tx.prices_of_lot(lot).await?;
    if prices.iter().any(|p| {
        p.service.eq_ignore_ascii_case(service) && p.bandwidth_mbps == bandwidth_mbps && p.area == area
    }) {
        Ok(())
    } else {
        Err(FieldError::new("bandwidth_mbps", Rule::NoPrice).into())
    }
}

/// The adhesion policy of the agency's kind, for orders that add a link or
/// change its bandwidth or service.
async fn check_policy(tx: &mut Tx, target: &Target, spec: &OrderSpec) -> AppResult<()> {
    let agency = tx.agency(target.agency_id).await?;
    let Some(policy) = load_policies(tx).await?.into_iter().find(|p| p.kind == agency.kind) else {
        return Ok(());
    };
    let holdings = |rows: Vec<(String, i64, String)>| -> Vec<Holding> {
        rows.into_iter()
            .map(|(service, bandwidth_mbps, redundancy)| Holding {
                service,
                bandwidth_mbps,
                redundancy: Redundancy::parse("redundancy", &redundancy).unwrap_or(Redundancy::None),
            })
            .collect()
    };
    let held = holdings(tx.agency_holdings(agency.id).await?);
    match spec {
        OrderSpec::NewAccess { access } | OrderSpec::Migration { access, .. } => {
            let wanted = Holding {
                service: access.service.clone(),
                bandwidth_mbps: access.bandwidth_mbps,
                redundancy: access.redundancy,
            };
            policy.check(&wanted, &held)?;
        }
        OrderSpec::Reconfiguration { access_id, bandwidth_mbps, service } => {
            let current = tx.access(*access_id).await?.access;
            let wanted = Holding {
                service: service.clone().unwrap_or_else(|| current.service.clone()),
                bandwidth_mbps: *bandwidth_mbps,
                redundancy: current.redundancy,
            };
            // The access being changed does not count against itself.
            let mut others = held;
            if let Some(i) = others.iter().position(|h| {
                h.service == current.service
                    && h.bandwidth_mbps == current.bandwidth_mbps
                    && h.redundancy == current.redundancy
            }) {
                others.remove(i);
            }
            policy.check(&wanted, &others)?;
        }
        _ => {}
    }
    Ok(())
}
