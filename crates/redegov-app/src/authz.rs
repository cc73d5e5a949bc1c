//! Authorisation: which role may change which resource, and the scope filter
//! that keeps an agency manager inside its agency and an operator inside its
//! lots. Every use case calls these before it touches data; handlers never
//! decide.

use crate::error::AppError;
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
        R::Access => matches!(role, Role::Admin | Role::NetworkManager),
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
    match actor.scope {
        Scope::All => {}
        Scope::Agency(agency) => {
            if filter.agency_id.is_some_and(|a| a != agency) {
                // Another agency's rows: ask for an impossible agency.
                filter.agency_id = Some(redegov_domain::ids::AgencyId(-1));
            } else {
                filter.agency_id = Some(agency);
            }
        }
        Scope::Operator(operator) => {
            if filter.operator_id.is_some_and(|o| o != operator) {
                filter.operator_id = Some(redegov_domain::ids::OperatorId(-1));
            } else {
                filter.operator_id = Some(operator);
            }
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::*;

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
