//! Authorisation: which role may change which resource, and the scope filter
//! that keeps an agency manager inside its agency and an operator inside its
//! lots. Every use case calls these before it touches data; handlers never
//! decide.

use crate::error::AppError;
use redegov_domain::ids::{AgencyId, OperatorId};
use redegov_domain::role::{Actor, Role, Scope};
use redegov_store::inventory::InventoryFilter;

/// Kinds of things a request may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Operator,
    Consortium,
    Contract,
    Lot,
    Price,
    Agency,
    Site,
    Access,
    User,
    /// Open or edit an incident.
    Incident,
    /// Change an incident's responsibility (the NOC's call).
    Responsibility,
    /// Announce a maintenance window.
    MaintenanceWindow,
    /// Approve or reject a maintenance window.
    WindowDecision,
    /// The contract's indicator rules.
    Rules,
    /// Close a month and record adjustments.
    Closing,
    /// Open, notify, apply, suspend and resume penalty processes.
    Penalty,
    /// Decide a penalty process or its appeal (contract manager or committee).
    PenaltyDecision,
    /// File a defense or an appeal in a penalty process (the operator).
    Defense,
    /// Upload an operator's invoice.
    Invoice,
    /// Approve an invoice for payment.
    InvoiceApproval,
    /// Open a dispute on lines of an invoice.
    Dispute,
    /// Answer a dispute (the operator).
    DisputeAnswer,
    /// Resolve a dispute (upheld or rejected).
    DisputeDecision,
    /// Register budget commitments (empenhos).
    Commitment,
    /// Annul commitments, set lot ceilings and the balance settings.
    Balance,
    /// Configure IP address pools; allocate, release and reassign blocks.
    Ipam,
}

impl Resource {
    fn verb(self) -> &'static str {
        match self {
            Resource::Operator => "change operators",
            Resource::Consortium => "change consortia",
            Resource::Contract => "change contracts",
            Resource::Lot => "change lots",
            Resource::Price => "change prices",
            Resource::Agency => "change agencies",
            Resource::Site => "change sites",
            Resource::Access => "change accesses",
            Resource::User => "manage users",
            Resource::Incident => "open or edit incidents",
            Resource::Responsibility => "change an incident's responsibility",
            Resource::MaintenanceWindow => "announce maintenance windows",
            Resource::WindowDecision => "approve or reject maintenance windows",
            Resource::Rules => "change contract rules",
            Resource::Closing => "close months or record adjustments",
            Resource::Penalty => "run penalty processes",
            Resource::PenaltyDecision => "decide penalty processes",
            Resource::Defense => "file defenses or appeals",
            Resource::Invoice => "upload invoices",
            Resource::InvoiceApproval => "approve invoices for payment",
            Resource::Dispute => "open disputes",
            Resource::DisputeAnswer => "answer disputes",
            Resource::DisputeDecision => "resolve disputes",
            Resource::Commitment => "register commitments",
            Resource::Balance => "annul commitments or change ceilings and balance settings",
            Resource::Ipam => "manage IP address pools and blocks",
        }
    }
}

/// May this role change this kind of resource (within its scope)?
pub fn may_write(role: Role, resource: Resource) -> bool {
    use Resource as R;
    match resource {
        R::Operator | R::Consortium | R::Contract | R::Lot | R::Price => {
            matches!(role, Role::Admin | Role::ContractManager)
        }
        R::Agency | R::User => role == Role::Admin,
        R::Site => matches!(role, Role::Admin | Role::NetworkManager | Role::AgencyManager),
        R::Access | R::Ipam => matches!(role, Role::Admin | Role::NetworkManager),
        // The NOC opens incidents; an agency reports its own (service desk);
        // an operator works on those of its lots (ticket, resolution).
        R::Incident => {
            matches!(role, Role::Admin | Role::NetworkManager | Role::AgencyManager | Role::Operator)
        }
        R::Responsibility | R::WindowDecision => matches!(role, Role::Admin | Role::NetworkManager),
        R::MaintenanceWindow => matches!(role, Role::Admin | Role::NetworkManager | Role::Operator),
        R::Rules => role == Role::Admin,
        R::Closing | R::Penalty | R::DisputeDecision | R::Balance => {
            matches!(role, Role::Admin | Role::ContractManager)
        }
        R::PenaltyDecision => matches!(role, Role::Admin | Role::ContractManager | Role::Committee),
        R::Defense | R::DisputeAnswer => role == Role::Operator,
        R::Invoice => matches!(role, Role::Admin | Role::ContractManager | Role::Operator),
        R::InvoiceApproval | R::Dispute | R::Commitment => {
            matches!(role, Role::Admin | Role::ContractManager | Role::AgencyManager)
        }
    }
}

/// Fails with `Forbidden` unless the actor's role may change `resource`.
pub fn require_write(actor: &Actor, resource: Resource) -> Result<(), AppError> {
    if may_write(actor.role, resource) { Ok(()) } else { Err(AppError::Forbidden(resource.verb())) }
}

/// Roles that read the audit log.
pub fn may_read_audit(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Auditor)
}

/// May the actor read the audit log?
pub fn require_audit_reader(actor: &Actor) -> Result<(), AppError> {
    if may_read_audit(actor.role) { Ok(()) } else { Err(AppError::Forbidden("read the audit log")) }
}

/// Narrows a list filter to the actor's scope. What the caller asked for is
/// kept; the scope is added on top, so asking for another agency's rows
/// yields an empty list, never a leak.
pub fn scoped(actor: &Actor, mut filter: InventoryFilter) -> InventoryFilter {
    narrow(actor, &mut filter.agency_id, &mut filter.operator_id);
    filter
}

/// The scope rule of every list filter, on its agency and operator fields:
/// an agency manager gets its agency, an operator its operator; asking for
/// another's sets an impossible id (`-1`), so the list is empty.
pub fn narrow(actor: &Actor, agency: &mut Option<AgencyId>, operator: &mut Option<OperatorId>) {
    match actor.scope {
        Scope::All => {}
        Scope::Agency(own) => {
            *agency = Some(if agency.is_some_and(|a| a != own) { AgencyId(-1) } else { own });
        }
        Scope::Operator(own) => {
            *operator = Some(if operator.is_some_and(|o| o != own) { OperatorId(-1) } else { own });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use redegov_domain::ids::{AgencyId, OperatorId, UserId};

    fn scope_strategy() -> impl Strategy<Value = Scope> {
        prop_oneof![
            Just(Scope::All),
            (1i64..5).prop_map(|a| Scope::Agency(AgencyId(a))),
            (1i64..5).prop_map(|o| Scope::Operator(OperatorId(o))),
        ]
    }

    proptest! {
        /// Whatever a caller asks for, a scoped actor's filter stays inside
        /// its scope, and what it asked for is kept (never widened).
        #[test]
        fn scoping_never_widens(
            scope in scope_strategy(),
            agency in proptest::option::of(1i64..5),
            operator in proptest::option::of(1i64..5),
            lot in proptest::option::of(1i64..5),
        ) {
            let role = match scope {
                Scope::All => Role::NetworkManager,
                Scope::Agency(_) => Role::AgencyManager,
                Scope::Operator(_) => Role::Operator,
            };
            let actor = Actor { user_id: UserId(1), login: "x".into(), role, scope };
            let asked = InventoryFilter {
                agency_id: agency.map(AgencyId),
                operator_id: operator.map(OperatorId),
                lot_id: lot.map(redegov_domain::ids::LotId),
                ..Default::default()
            };
            let got = scoped(&actor, asked.clone());
            prop_assert_eq!(got.lot_id, asked.lot_id);
            match scope {
                Scope::All => prop_assert_eq!(&got, &asked),
                Scope::Agency(own) => {
                    let a = got.agency_id.expect("always bound");
                    prop_assert!(a == own || a.0 < 0, "another agency is never reachable");
                    if asked.agency_id.is_none_or(|x| x == own) { prop_assert_eq!(a, own); }
                    prop_assert_eq!(got.operator_id, asked.operator_id);
                }
                Scope::Operator(own) => {
                    let o = got.operator_id.expect("always bound");
                    prop_assert!(o == own || o.0 < 0, "another operator is never reachable");
                    prop_assert_eq!(got.agency_id, asked.agency_id);
                }
            }
        }
    }

    #[test]
    fn only_admin_and_contract_manager_change_prices() {
        for role in Role::ALL {
            assert_eq!(
                may_write(*role, Resource::Price),
                matches!(role, Role::Admin | Role::ContractManager)
            );
        }
        assert!(!may_write(Role::Operator, Resource::Access));
        assert!(!may_write(Role::Auditor, Resource::Site));
        assert!(!may_write(Role::Committee, Resource::Site));
    }
}
