//! Roles and scopes (DOMAIN §3): who a request acts for.
//!
//! The decisions themselves (may this actor read that site?) are made in
//! `redegov-app::authz`, which loads the rows a decision needs; this module
//! only defines the vocabulary and the binding rules of a user's scope.

use crate::error::{FieldError, Rule, Valid};
use crate::ids::{AgencyId, OperatorId, UserId};
use serde::{Deserialize, Serialize};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Committee,
    NetworkManager,
    ContractManager,
    AgencyManager,
    Operator,
    Auditor,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::Admin,
        Role::Committee,
        Role::NetworkManager,
        Role::ContractManager,
        Role::AgencyManager,
        Role::Operator,
        Role::Auditor,
    ];
    const CODES: &'static [&'static str] = &[
        "admin",
        "committee",
        "network_manager",
        "contract_manager",
        "agency_manager",
        "operator",
        "auditor",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Committee => "committee",
            Role::NetworkManager => "network_manager",
            Role::ContractManager => "contract_manager",
            Role::AgencyManager => "agency_manager",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrador",
            Role::Committee => "Comitê Gestor",
            Role::NetworkManager => "Gestor da rede (UGO/NOC)",
            Role::ContractManager => "Gestor de contratos (UGS)",
            Role::AgencyManager => "Gestor do órgão",
            Role::Operator => "Operadora",
            Role::Auditor => "Auditor",
        }
    }

    pub fn parse(field: &str, input: &str) -> Valid<Role> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == input.trim())
            .ok_or_else(|| FieldError::new(field, Rule::OneOf(Self::CODES)))
    }

    /// Roles whose scope is the whole network.
    pub fn sees_everything(self) -> bool {
        !matches!(self, Role::AgencyManager | Role::Operator)
    }
}

/// The scope a user is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Scope {
    /// The whole network.
    All,
    /// One agency (agency managers).
    Agency(AgencyId),
    /// One operator's lots, including consortium lots it belongs to.
    Operator(OperatorId),
}

/// Checks that a role comes with exactly the binding it needs.
pub fn scope_for(role: Role, agency: Option<AgencyId>, operator: Option<OperatorId>) -> Valid<Scope> {
    match (role, agency, operator) {
        (Role::AgencyManager, Some(a), None) => Ok(Scope::Agency(a)),
        (Role::AgencyManager, None, _) => Err(FieldError::new("agency_id", Rule::Required)),
        (Role::Operator, None, Some(o)) => Ok(Scope::Operator(o)),
        (Role::Operator, _, None) => Err(FieldError::new("operator_id", Rule::Required)),
        (_, None, None) => Ok(Scope::All),
        (_, Some(_), _) => Err(FieldError::new(
            "agency_id",
            Rule::Other("only an agency manager is bound to an agency".into()),
        )),
        (_, None, Some(_)) => Err(FieldError::new(
            "operator_id",
            Rule::Other("only an operator user is bound to an operator".into()),
        )),
    }
}

/// Who a request acts for: the authenticated user, with role and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub login: String,
    pub role: Role,
    pub scope: Scope,
}

impl Actor {
    /// The system itself (demo loading, migrations, scheduled jobs).
    pub fn system() -> Actor {
        Actor { user_id: UserId(0), login: "system".into(), role: Role::Admin, scope: Scope::All }
    }

    /// The user to record as the author of a change: none for the system.
    pub fn user(&self) -> Option<UserId> {
        (self.user_id.0 != 0).then_some(self.user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings() {
        assert_eq!(scope_for(Role::Admin, None, None), Ok(Scope::All));
        assert_eq!(scope_for(Role::AgencyManager, Some(AgencyId(3)), None), Ok(Scope::Agency(AgencyId(3))));
        assert_eq!(scope_for(Role::AgencyManager, None, None).unwrap_err().field, "agency_id");
        assert_eq!(scope_for(Role::Operator, None, None).unwrap_err().field, "operator_id");
        assert!(scope_for(Role::Auditor, Some(AgencyId(1)), None).is_err());
        for r in Role::ALL {
            assert_eq!(Role::parse("role", r.as_str()), Ok(*r));
        }
    }
}
