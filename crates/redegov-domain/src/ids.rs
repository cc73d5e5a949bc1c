//! Typed identifiers, so an agency id can never be passed where a site id is
//! expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// An operator (telecom company).
    OperatorId,
    /// A consortium of operators.
    ConsortiumId,
    /// A contract.
    ContractId,
    /// A lot of a contract.
    LotId,
    /// An entry of a lot's price table.
    PriceId,
    /// An agency (customer unit of the network).
    AgencyId,
    /// A site (building) of an agency.
    SiteId,
    /// An access (billed data link).
    AccessId,
    /// A user of the system.
    UserId,
    /// An entry of the audit log.
    AuditId,
    /// An incident (chamado).
    IncidentId,
    /// A maintenance window.
    WindowId,
    /// A version of a lot's contract rules.
    RulesId,
    /// An adjustment line correcting a closed month.
    AdjustmentId,
    /// A service order (ordem de serviço).
    OrderId,
    /// A pending item of a service order's survey.
    PendingItemId,
    /// A penalty process (processo administrativo de multa).
    PenaltyId,
    /// An installment of an applied fine.
    InstallmentId,
    /// A document attached to a penalty process (defense, decision).
    AttachmentId,
    /// An operator's invoice (fatura) for one agency and month.
    InvoiceId,
    /// A line of an operator's invoice.
    InvoiceLineId,
    /// A dispute (contestação / glosa) on lines of an invoice.
    DisputeId,
    /// A budget commitment (empenho).
    CommitmentId,
    /// A deduction line of a billing report (fine installment part, upheld dispute).
    DeductionId,
    /// An IP address pool.
    IpPoolId,
    /// An IP block allocated to an agency.
    IpBlockId,
    /// An agency's adhesion to the network.
    AdhesionId,
    /// A signed document of an adhesion.
    AdhesionDocumentId,
    /// A request about an agency's responsible persons (Annex I).
    ResponsibleRequestId,
    /// A responsible person of an agency.
    PersonId,
    /// A technical form (Annex II).
    TechnicalFormId,
);
