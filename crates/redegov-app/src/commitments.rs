//! Budget commitments (empenhos) and the contract balance (DOMAIN §9):
//! agencies register what they commit per lot and fiscal year; the balance
//! per contract, lot and agency-lot compares it with the closed months' net
//! consumption and the ceilings (see `redegov_domain::commitment`).
//!
//! Who sees it: the budget is the state's, so admin, contract manager,
//! committee and auditor see every row, an agency manager its own agency's
//! commitments and agency-lot rows, and operators and the NOC none (403).

use crate::audit::{Action, record};
use crate::authz::{Resource, require_write};
use crate::inventory::reference;
use crate::{App, AppError, AppResult};
use redegov_domain::commitment::{BalanceKey, BalanceRow, BalanceSettings, LotInfo, NewCommitment, balance};
use redegov_domain::error::required;
use redegov_domain::ids::*;
use redegov_domain::money::Money;
use redegov_domain::role::{Actor, Role, Scope};
use redegov_store::Page;
pub use redegov_store::commitments::{CommitmentFilter, CommitmentRecord};
use redegov_store::inventory::InventoryFilter;
use serde::Serialize;
use std::collections::BTreeMap;

/// The balance of a fiscal year, with the names its rows refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceView {
    pub fiscal_year: i32,
    pub settings: BalanceSettings,
    pub rows: Vec<BalanceRow>,
    pub contracts: BTreeMap<i64, String>,
    pub lots: BTreeMap<i64, String>,
    pub agencies: BTreeMap<i64, String>,
}

/// Fails unless the actor's role reads commitments and balances.
fn require_reader(actor: &Actor) -> AppResult<()> {
    match actor.role {
        Role::Admin | Role::ContractManager | Role::Committee | Role::Auditor | Role::AgencyManager => Ok(()),
        Role::Operator | Role::NetworkManager => Err(AppError::Forbidden("read commitments and balances")),
    }
}

#[derive(Serialize)]
struct CommitmentAudit<'a> {
    agency_id: AgencyId,
    lot_id: LotId,
    number: &'a str,
    fiscal_year: i32,
    amount_centavos: i64,
    notes: &'a str,
    cancelled: bool,
    cancel_reason: Option<&'a str>,
}

impl<'a> CommitmentAudit<'a> {
    fn of(c: &'a CommitmentRecord) -> CommitmentAudit<'a> {
        CommitmentAudit {
            agency_id: c.agency_id,
            lot_id: c.lot_id,
            number: &c.number,
            fiscal_year: c.fiscal_year,
            amount_centavos: c.amount.centavos(),
            notes: &c.notes,
            cancelled: c.cancelled.is_some(),
            cancel_reason: c.cancelled.as_ref().map(|(_, _, r)| r.as_str()),
        }
    }
}

impl App {
    /// Registers a commitment (an agency manager for its own agency; the
    /// contract manager or admin for any).
    pub async fn create_commitment(
        &self,
        actor: &Actor,
        input: NewCommitment,
    ) -> AppResult<CommitmentRecord> {
        require_write(actor, Resource::Commitment)?;
        let input = input.validate()?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        reference(tx.agency(AgencyId(input.agency_id)).await, "agency_id").await?;
        if let Scope::Agency(own) = actor.scope
            && own.0 != input.agency_id
        {
            return Err(redegov_domain::error::FieldError::new(
                "agency_id",
                redegov_domain::error::Rule::UnknownReference,
            )
            .into());
        }
        reference(tx.lot(LotId(input.lot_id)).await, "lot_id").await?;
        let stored = tx.insert_commitment(&input, Some(actor.user_id), now).await.map_err(|e| {
            if matches!(e, redegov_store::StoreError::Conflict(_)) {
                AppError::Conflict {
                    field: Some("number".into()),
                    message: format!(
                        "the agency already has commitment {} in {}",
                        input.number, input.fiscal_year
                    ),
                }
            } else {
                e.into()
            }
        })?;
        record(
            &mut tx,
            actor,
            now,
            Action::Create,
            "commitment",
            Some(stored.id.0),
            None::<&()>,
            Some(&CommitmentAudit::of(&stored)),
        )
        .await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Commitments matching `filter`, inside the actor's scope.
    pub async fn list_commitments(
        &self,
        actor: &Actor,
        mut filter: CommitmentFilter,
    ) -> AppResult<Vec<CommitmentRecord>> {
        require_reader(actor)?;
        if let Scope::Agency(own) = actor.scope {
            filter.agency_id =
                Some(if filter.agency_id.is_some_and(|a| a != own) { AgencyId(-1) } else { own });
        }
        let mut tx = self.store().read().await?;
        Ok(tx.commitments(&filter).await?)
    }

    /// Annuls a commitment (it stops counting; its row stays), with a reason.
    pub async fn cancel_commitment(
        &self,
        actor: &Actor,
        id: CommitmentId,
        reason: &str,
    ) -> AppResult<CommitmentRecord> {
        require_reader(actor)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = tx.commitment(id).await.map_err(AppError::not_found("commitment"))?;
        if let Scope::Agency(own) = actor.scope
            && own != before.agency_id
        {
            return Err(AppError::NotFound("commitment"));
        }
        require_write(actor, Resource::Balance)?;
        let reason = required("reason", reason)?;
        if before.cancelled.is_some() {
            return Err(AppError::Conflict {
                field: None,
                message: format!("commitment {} is already annulled", before.number),
            });
        }
        let after = tx.cancel_commitment(id, Some(actor.user_id), &reason, now).await?;
        record(
            &mut tx,
            actor,
            now,
            Action::Update,
            "commitment",
            Some(id.0),
            Some(&CommitmentAudit::of(&before)),
            Some(&CommitmentAudit::of(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The contract balance of a fiscal year. An agency manager gets its
    /// own agency-lot rows only (the others would show other agencies'
    /// consumption).
    pub async fn contract_balance(&self, actor: &Actor, fiscal_year: i32) -> AppResult<BalanceView> {
        require_reader(actor)?;
        let mut tx = self.store().read().await?;
        let settings = tx.balance_settings().await?;
        let contracts_list = tx.list_contracts(&InventoryFilter::default(), Page::all()).await?.items;
        let lots_list = tx.list_lots(&InventoryFilter::default(), Page::all()).await?.items;
        let ceilings = tx.lot_ceilings().await?;
        let commitments: Vec<(i64, i64, Money)> = tx
            .commitments(&CommitmentFilter {
                fiscal_year: Some(fiscal_year),
                active_only: true,
                ..Default::default()
            })
            .await?
            .into_iter()
            .map(|c| (c.agency_id.0, c.lot_id.0, c.amount))
            .collect();
        let consumption = tx.consumption(fiscal_year).await?;
        let lots: Vec<LotInfo> = lots_list
            .iter()
            .map(|l| LotInfo {
                lot_id: l.id.0,
                contract_id: l.contract_id.0,
                ceiling: ceilings.get(&l.id).copied(),
            })
            .collect();
        let ceilings_by_contract: BTreeMap<i64, Money> =
            contracts_list.iter().map(|c| (c.id.0, c.ceiling)).collect();
        let mut rows = balance(&ceilings_by_contract, &lots, &commitments, &consumption, settings);
        if let Scope::Agency(own) = actor.scope {
            rows.retain(|r| matches!(r.key, BalanceKey::AgencyLot { agency_id, .. } if agency_id == own.0));
        }
        let mut agencies = BTreeMap::new();
        for r in &rows {
            if let BalanceKey::AgencyLot { agency_id, .. } = r.key
                && !agencies.contains_key(&agency_id)
            {
                agencies.insert(agency_id, tx.agency(AgencyId(agency_id)).await?.name);
            }
        }
        Ok(BalanceView {
            fiscal_year,
            settings,
            rows,
            contracts: contracts_list.into_iter().map(|c| (c.id.0, c.number)).collect(),
            lots: lots_list.into_iter().map(|l| (l.id.0, l.code)).collect(),
            agencies,
        })
    }

    /// The balance settings.
    pub async fn balance_settings(&self, actor: &Actor) -> AppResult<BalanceSettings> {
        require_reader(actor)?;
        let mut tx = self.store().read().await?;
        Ok(tx.balance_settings().await?)
    }

    /// Sets the share of a commitment whose consumption raises a warning.
    pub async fn set_balance_settings(&self, actor: &Actor, settings: BalanceSettings) -> AppResult<()> {
        require_write(actor, Resource::Balance)?;
        let settings = settings.validate()?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = tx.balance_settings().await?;
        tx.put_balance_settings(settings, now).await?;
        record(
            &mut tx,
            actor,
            now,
            Action::Update,
            "balance_settings",
            Some(1),
            Some(&before),
            Some(&settings),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets (`Some`) or removes (`None`) a lot's own ceiling.
    pub async fn set_lot_ceiling(&self, actor: &Actor, lot: LotId, ceiling: Option<Money>) -> AppResult<()> {
        require_write(actor, Resource::Balance)?;
        if ceiling.is_some_and(|c| c < Money::ZERO) {
            return Err(redegov_domain::error::FieldError::new(
                "ceiling_centavos",
                redegov_domain::error::Rule::OutOfRange { min: 0, max: i64::MAX },
            )
            .into());
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        tx.lot(lot).await.map_err(AppError::not_found("lot"))?;
        let before = tx.lot_ceilings().await?.get(&lot).map(|m| m.centavos());
        tx.put_lot_ceiling(lot, ceiling, now).await?;
        record(
            &mut tx,
            actor,
            now,
            Action::Update,
            "lot_ceiling",
            Some(lot.0),
            Some(&before),
            Some(&ceiling.map(|m| m.centavos())),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
