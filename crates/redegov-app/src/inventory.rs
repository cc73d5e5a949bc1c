//! Use cases of the network inventory: create, read, list, change and remove
//! operators, consortia, contracts, lots, prices, agencies, sites and
//! accesses — each authorised, scoped, transactional and audited.
//!
//! Changes take a `merge` closure that turns the current value into the new
//! validated input, so a PATCH reads and writes in the same transaction.

use crate::audit::{Action, record};
use crate::authz::{Resource, require_write, scoped};
use crate::{App, AppError, AppResult};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::ids::*;
use redegov_domain::inventory::*;
use redegov_domain::money::Money;
use redegov_domain::role::{Actor, Scope};
use redegov_domain::time::Timestamp;
use redegov_store::inventory::{AccessRow, AccessSummaryRow, InventoryFilter, Listed, OperatorScoped};
use redegov_store::{Page, StoreError, Tx};

/// A change to an access: only the fields given are changed.
#[derive(Debug, Clone, Default)]
pub struct AccessChange {
    pub profile: Option<Profile>,
    pub bandwidth_mbps: Option<i64>,
    pub redundancy: Option<Redundancy>,
    pub technology: Option<Technology>,
    /// `Some(Some(p))` overrides the price; `Some(None)` goes back to the
    /// lot's price table.
    pub monthly_price: Option<Option<Money>>,
    pub probe_targets: Option<Vec<String>>,
    /// A new status, at the given instant (or now).
    pub status: Option<(AccessStatus, Option<Timestamp>)>,
}

/// Access to the rows a scoped read needs, for one actor.
async fn ensure_sees(
    tx: &mut Tx,
    actor: &Actor,
    kind: OperatorScoped,
    id: i64,
    agency: Option<AgencyId>,
) -> AppResult<()> {
    let visible = match actor.scope {
        Scope::All => true,
        Scope::Agency(own) => match kind {
            // Contract-level information is shared with every agency.
            OperatorScoped::Contract | OperatorScoped::Lot => true,
            _ => agency == Some(own),
        },
        Scope::Operator(op) => tx.operator_sees(op, kind, id).await?,
    };
    if visible { Ok(()) } else { Err(AppError::NotFound(entity_name(kind))) }
}

fn entity_name(kind: OperatorScoped) -> &'static str {
    match kind {
        OperatorScoped::Contract => "contract",
        OperatorScoped::Lot => "lot",
        OperatorScoped::Agency => "agency",
        OperatorScoped::Site => "site",
        OperatorScoped::Access => "access",
    }
}

/// An operator sees only itself; everyone else sees every operator.
fn ensure_sees_operator(actor: &Actor, id: OperatorId) -> AppResult<()> {
    match actor.scope {
        Scope::Operator(own) if own != id => Err(AppError::NotFound("operator")),
        _ => Ok(()),
    }
}

fn ensure_sees_consortium(actor: &Actor, c: &Consortium) -> AppResult<()> {
    match actor.scope {
        Scope::Operator(own) if !c.members.iter().any(|m| m.operator_id == own) => {
            Err(AppError::NotFound("consortium"))
        }
        _ => Ok(()),
    }
}

/// Checks the members of a consortium exist, naming the member that does not.
async fn check_members(tx: &mut Tx, members: &[ConsortiumMember]) -> AppResult<()> {
    for (i, m) in members.iter().enumerate() {
        if let Err(StoreError::NotFound) = tx.operator(m.operator_id).await {
            return Err(FieldError::new(format!("members[{i}].operator_id"), Rule::UnknownReference).into());
        }
    }
    Ok(())
}

async fn check_holder(tx: &mut Tx, holder: LotHolder) -> AppResult<()> {
    let found = match holder {
        LotHolder::Operator(o) => tx.operator(o).await.map(|_| ()),
        LotHolder::Consortium(c) => tx.consortium(c).await.map(|_| ()),
    };
    match (found, holder) {
        (Ok(()), _) => Ok(()),
        (Err(StoreError::NotFound), LotHolder::Operator(_)) => {
            Err(FieldError::new("operator_id", Rule::UnknownReference).into())
        }
        (Err(StoreError::NotFound), LotHolder::Consortium(_)) => {
            Err(FieldError::new("consortium_id", Rule::UnknownReference).into())
        }
        (Err(e), _) => Err(e.into()),
    }
}

async fn reference<T>(found: Result<T, StoreError>, field: &str) -> AppResult<T> {
    match found {
        Ok(v) => Ok(v),
        Err(StoreError::NotFound) => Err(FieldError::new(field, Rule::UnknownReference).into()),
        Err(e) => Err(e.into()),
    }
}

/// Validates and inserts an access, with its audit entry. Shared by the use
/// case, the CSV import and the demo loader.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_access_in(
    tx: &mut Tx,
    actor: &Actor,
    now: Timestamp,
    draft: AccessDraft,
    site: &Site,
    lot: &Lot,
    prices: &[Price],
) -> AppResult<Access> {
    let new = draft.validate(site, lot, prices, now)?;
    let access = tx.insert_access(&new).await?;
    record(tx, actor, now, Action::Create, "access", Some(access.id.0), None::<&()>, Some(&access)).await?;
    Ok(access)
}

impl App {
    // ----- operators -----

    pub async fn create_operator(&self, actor: &Actor, new: NewOperator) -> AppResult<Operator> {
        require_write(actor, Resource::Operator)?;
        let mut tx = self.store().write().await?;
        let op = tx.insert_operator(&new).await.map_err(AppError::unique(&["cnpj"]))?;
        record(&mut tx, actor, self.now(), Action::Create, "operator", Some(op.id.0), None::<&()>, Some(&op))
            .await?;
        tx.commit().await?;
        Ok(op)
    }

    pub async fn get_operator(&self, actor: &Actor, id: OperatorId) -> AppResult<Operator> {
        ensure_sees_operator(actor, id)?;
        let mut tx = self.store().read().await?;
        tx.operator(id).await.map_err(AppError::not_found("operator"))
    }

    pub async fn list_operators(
        &self,
        actor: &Actor,
        f: InventoryFilter,
        page: Page,
    ) -> AppResult<Listed<Operator>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_operators(&scoped(actor, f), page).await?)
    }

    pub async fn update_operator(
        &self,
        actor: &Actor,
        id: OperatorId,
        merge: impl FnOnce(&Operator) -> Valid<NewOperator>,
    ) -> AppResult<Operator> {
        ensure_sees_operator(actor, id)?;
        let mut tx = self.store().write().await?;
        let before = tx.operator(id).await.map_err(AppError::not_found("operator"))?;
        require_write(actor, Resource::Operator)?;
        let new = merge(&before)?;
        let after = Operator { id, name: new.name, cnpj: new.cnpj };
        tx.update_operator(&after).await.map_err(AppError::unique(&["cnpj"]))?;
        record(
            &mut tx,
            actor,
            self.now(),
            Action::Update,
            "operator",
            Some(id.0),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_operator(&self, actor: &Actor, id: OperatorId) -> AppResult<()> {
        ensure_sees_operator(actor, id)?;
        let mut tx = self.store().write().await?;
        let before = tx.operator(id).await.map_err(AppError::not_found("operator"))?;
        require_write(actor, Resource::Operator)?;
        tx.delete_operator(id).await?;
        record(
            &mut tx,
            actor,
            self.now(),
            Action::Delete,
            "operator",
            Some(id.0),
            Some(&before),
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ----- consortia -----

    pub async fn create_consortium(&self, actor: &Actor, new: NewConsortium) -> AppResult<Consortium> {
        require_write(actor, Resource::Consortium)?;
        let mut tx = self.store().write().await?;
        check_members(&mut tx, &new.members).await?;
        let c = tx.insert_consortium(&new).await.map_err(AppError::unique(&["name"]))?;
        record(&mut tx, actor, self.now(), Action::Create, "consortium", Some(c.id.0), None::<&()>, Some(&c))
            .await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn get_consortium(&self, actor: &Actor, id: ConsortiumId) -> AppResult<Consortium> {
        let mut tx = self.store().read().await?;
        let c = tx.consortium(id).await.map_err(AppError::not_found("consortium"))?;
        ensure_sees_consortium(actor, &c)?;
        Ok(c)
    }

    pub async fn list_consortia(
        &self,
        actor: &Actor,
        f: InventoryFilter,
        page: Page,
    ) -> AppResult<Listed<Consortium>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_consortia(&scoped(actor, f), page).await?)
    }

    pub async fn update_consortium(
        &self,
        actor: &Actor,
        id: ConsortiumId,
        merge: impl FnOnce(&Consortium) -> Valid<NewConsortium>,
    ) -> AppResult<Consortium> {
        let mut tx = self.store().write().await?;
        let before = tx.consortium(id).await.map_err(AppError::not_found("consortium"))?;
        ensure_sees_consortium(actor, &before)?;
        require_write(actor, Resource::Consortium)?;
        let new = merge(&before)?;
        check_members(&mut tx, &new.members).await?;
        let after = Consortium { id, name: new.name, members: new.members };
        tx.update_consortium(&after).await.map_err(AppError::unique(&["name"]))?;
        record(
            &mut tx,
            actor,
            self.now(),
            Action::Update,
            "consortium",
            Some(id.0),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_consortium(&self, actor: &Actor, id: ConsortiumId) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        let before = tx.consortium(id).await.map_err(AppError::not_found("consortium"))?;
        ensure_sees_consortium(actor, &before)?;
        require_write(actor, Resource::Consortium)?;
        tx.delete_consortium(id).await?;
        record(
            &mut tx,
            actor,
            self.now(),
            Action::Delete,
            "consortium",
            Some(id.0),
            Some(&before),
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ----- contracts -----

    pub async fn create_contract(&self, actor: &Actor, new: NewContract) -> AppResult<Contract> {
        require_write(actor, Resource::Contract)?;
        let mut tx = self.store().write().await?;
        let c = tx.insert_contract(&new).await.map_err(AppError::unique(&["number"]))?;
        record(&mut tx, actor, self.now(), Action::Create, "contract", Some(c.id.0), None::<&()>, Some(&c))
            .await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn get_contract(&self, actor: &Actor, id: ContractId) -> AppResult<Contract> {
        let mut tx = self.store().read().await?;
        let c = tx.contract(id).await.map_err(AppError::not_found("contract"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Contract, id.0, None).await?;
        Ok(c)
    }

    pub async fn list_contracts(
        &self,
        actor: &Actor,
        f: InventoryFilter,
        page: Page,
    ) -> AppResult<Listed<Contract>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_contracts(&scoped(actor, f), page).await?)
    }

    pub async fn update_contract(
        &self,
        actor: &Actor,
        id: ContractId,
        merge: impl FnOnce(&Contract) -> Valid<NewContract>,
    ) -> AppResult<Contract> {
        let mut tx = self.store().write().await?;
        let before = tx.contract(id).await.map_err(AppError::not_found("contract"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Contract, id.0, None).await?;
        require_write(actor, Resource::Contract)?;
        let new = merge(&before)?;
        let after = Contract {
            id,
            number: new.number,
            starts_on: new.starts_on,
            ends_on: new.ends_on,
            ceiling: new.ceiling,
        };
        tx.update_contract(&after).await.map_err(AppError::unique(&["number"]))?;
        record(
            &mut tx,
            actor,
            self.now(),
            Action::Update,
            "contract",
            Some(id.0),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_contract(&self, actor: &Actor, id: ContractId) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        let before = tx.contract(id).await.map_err(AppError::not_found("contract"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Contract, id.0, None).await?;
        require_write(actor, Resource::Contract)?;
        tx.delete_contract(id).await?;
        record(
            &mut tx,
            actor,
            self.now(),
            Action::Delete,
            "contract",
            Some(id.0),
            Some(&before),
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ----- lots and prices -----

    pub async fn create_lot(&self, actor: &Actor, new: NewLot) -> AppResult<Lot> {
        require_write(actor, Resource::Lot)?;
        let mut tx = self.store().write().await?;
        reference(tx.contract(new.contract_id).await, "contract_id").await?;
        check_holder(&mut tx, new.holder).await?;
        let lot = tx.insert_lot(&new).await.map_err(AppError::unique(&["code"]))?;
        record(&mut tx, actor, self.now(), Action::Create, "lot", Some(lot.id.0), None::<&()>, Some(&lot))
            .await?;
        tx.commit().await?;
        Ok(lot)
    }

    pub async fn get_lot(&self, actor: &Actor, id: LotId) -> AppResult<Lot> {
        let mut tx = self.store().read().await?;
        let lot = tx.lot(id).await.map_err(AppError::not_found("lot"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Lot, id.0, None).await?;
        Ok(lot)
    }

    pub async fn list_lots(&self, actor: &Actor, f: InventoryFilter, page: Page) -> AppResult<Listed<Lot>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_lots(&scoped(actor, f), page).await?)
    }

    pub async fn update_lot(
        &self,
        actor: &Actor,
        id: LotId,
        merge: impl FnOnce(&Lot) -> Valid<NewLot>,
    ) -> AppResult<Lot> {
        let mut tx = self.store().write().await?;
        let before = tx.lot(id).await.map_err(AppError::not_found("lot"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Lot, id.0, None).await?;
        require_write(actor, Resource::Lot)?;
        let new = merge(&before)?;
        reference(tx.contract(new.contract_id).await, "contract_id").await?;
        check_holder(&mut tx, new.holder).await?;
        let after = Lot {
            id,
            contract_id: new.contract_id,
            code: new.code,
            holder: new.holder,
            profile: new.profile,
            region: new.region,
            description: new.description,
            starts_on: new.starts_on,
            ends_on: new.ends_on,
        };
        tx.update_lot(&after).await.map_err(AppError::unique(&["code"]))?;
        record(&mut tx, actor, self.now(), Action::Update, "lot", Some(id.0), Some(&before), Some(&after))
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_lot(&self, actor: &Actor, id: LotId) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        let before = tx.lot(id).await.map_err(AppError::not_found("lot"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Lot, id.0, None).await?;
        require_write(actor, Resource::Lot)?;
        tx.delete_lot(id).await?;
        record(&mut tx, actor, self.now(), Action::Delete, "lot", Some(id.0), Some(&before), None::<&()>)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_prices(&self, actor: &Actor, lot: LotId) -> AppResult<Vec<Price>> {
        let mut tx = self.store().read().await?;
        tx.lot(lot).await.map_err(AppError::not_found("lot"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Lot, lot.0, None).await?;
        Ok(tx.prices_of_lot(lot).await?)
    }

    pub async fn create_price(&self, actor: &Actor, new: NewPrice) -> AppResult<Price> {
        let mut tx = self.store().write().await?;
        tx.lot(new.lot_id).await.map_err(AppError::not_found("lot"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Lot, new.lot_id.0, None).await?;
        require_write(actor, Resource::Price)?;
        let p = tx.insert_price(&new).await?;
        record(&mut tx, actor, self.now(), Action::Create, "price", Some(p.id.0), None::<&()>, Some(&p))
            .await?;
        tx.commit().await?;
        Ok(p)
    }

    pub async fn update_price(
        &self,
        actor: &Actor,
        id: PriceId,
        merge: impl FnOnce(&Price) -> Valid<NewPrice>,
    ) -> AppResult<Price> {
        let mut tx = self.store().write().await?;
        let before = tx.price(id).await.map_err(AppError::not_found("price"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Lot, before.lot_id.0, None).await?;
        require_write(actor, Resource::Price)?;
        let new = merge(&before)?;
        let after = Price {
            id,
            lot_id: before.lot_id,
            service: new.service,
            bandwidth_mbps: new.bandwidth_mbps,
            area: new.area,
            monthly_price: new.monthly_price,
            effective_from: new.effective_from,
            effective_to: new.effective_to,
        };
        tx.update_price(&after).await?;
        record(&mut tx, actor, self.now(), Action::Update, "price", Some(id.0), Some(&before), Some(&after))
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_price(&self, actor: &Actor, id: PriceId) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        let before = tx.price(id).await.map_err(AppError::not_found("price"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Lot, before.lot_id.0, None).await?;
        require_write(actor, Resource::Price)?;
        tx.delete_price(id).await?;
        record(&mut tx, actor, self.now(), Action::Delete, "price", Some(id.0), Some(&before), None::<&()>)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    // ----- agencies -----

    pub async fn create_agency(&self, actor: &Actor, new: NewAgency) -> AppResult<Agency> {
        require_write(actor, Resource::Agency)?;
        let mut tx = self.store().write().await?;
        let a = tx.insert_agency(&new).await.map_err(AppError::unique(&["cnpj", "acronym"]))?;
        record(&mut tx, actor, self.now(), Action::Create, "agency", Some(a.id.0), None::<&()>, Some(&a))
            .await?;
        tx.commit().await?;
        Ok(a)
    }

    pub async fn get_agency(&self, actor: &Actor, id: AgencyId) -> AppResult<Agency> {
        let mut tx = self.store().read().await?;
        let a = tx.agency(id).await.map_err(AppError::not_found("agency"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Agency, id.0, Some(id)).await?;
        Ok(a)
    }

    pub async fn list_agencies(
        &self,
        actor: &Actor,
        f: InventoryFilter,
        page: Page,
    ) -> AppResult<Listed<Agency>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_agencies(&scoped(actor, f), page).await?)
    }

    pub async fn update_agency(
        &self,
        actor: &Actor,
        id: AgencyId,
        merge: impl FnOnce(&Agency) -> Valid<NewAgency>,
    ) -> AppResult<Agency> {
        let mut tx = self.store().write().await?;
        let before = tx.agency(id).await.map_err(AppError::not_found("agency"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Agency, id.0, Some(id)).await?;
        require_write(actor, Resource::Agency)?;
        let new = merge(&before)?;
        let after = Agency { id, name: new.name, acronym: new.acronym, cnpj: new.cnpj, kind: new.kind };
        tx.update_agency(&after).await.map_err(AppError::unique(&["cnpj", "acronym"]))?;
        record(&mut tx, actor, self.now(), Action::Update, "agency", Some(id.0), Some(&before), Some(&after))
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_agency(&self, actor: &Actor, id: AgencyId) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        let before = tx.agency(id).await.map_err(AppError::not_found("agency"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Agency, id.0, Some(id)).await?;
        require_write(actor, Resource::Agency)?;
        tx.delete_agency(id).await?;
        record(&mut tx, actor, self.now(), Action::Delete, "agency", Some(id.0), Some(&before), None::<&()>)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    // ----- sites -----

    /// The agency a scoped actor may put a site in: its own, and no other.
    fn check_site_agency(actor: &Actor, agency: AgencyId) -> AppResult<()> {
        match actor.scope {
            Scope::Agency(own) if own != agency => {
                Err(FieldError::new("agency_id", Rule::UnknownReference).into())
            }
            _ => Ok(()),
        }
    }

    pub async fn create_site(&self, actor: &Actor, new: NewSite) -> AppResult<Site> {
        require_write(actor, Resource::Site)?;
        Self::check_site_agency(actor, new.agency_id)?;
        let mut tx = self.store().write().await?;
        reference(tx.agency(new.agency_id).await, "agency_id").await?;
        let s = tx.insert_site(&new).await?;
        record(&mut tx, actor, self.now(), Action::Create, "site", Some(s.id.0), None::<&()>, Some(&s))
            .await?;
        tx.commit().await?;
        Ok(s)
    }

    pub async fn get_site(&self, actor: &Actor, id: SiteId) -> AppResult<Site> {
        let mut tx = self.store().read().await?;
        let s = tx.site(id).await.map_err(AppError::not_found("site"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Site, id.0, Some(s.agency_id)).await?;
        Ok(s)
    }

    pub async fn list_sites(&self, actor: &Actor, f: InventoryFilter, page: Page) -> AppResult<Listed<Site>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_sites(&scoped(actor, f), page).await?)
    }

    pub async fn update_site(
        &self,
        actor: &Actor,
        id: SiteId,
        merge: impl FnOnce(&Site) -> Valid<NewSite>,
    ) -> AppResult<Site> {
        let mut tx = self.store().write().await?;
        let before = tx.site(id).await.map_err(AppError::not_found("site"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Site, id.0, Some(before.agency_id)).await?;
        require_write(actor, Resource::Site)?;
        let new = merge(&before)?;
        Self::check_site_agency(actor, new.agency_id)?;
        reference(tx.agency(new.agency_id).await, "agency_id").await?;
        let after = Site {
            id,
            agency_id: new.agency_id,
            name: new.name,
            address: new.address,
            municipality_ibge: new.municipality_ibge,
            municipality_name: new.municipality_name,
            area: new.area,
            zone: new.zone,
            contact_name: new.contact_name,
            contact_phone: new.contact_phone,
            contact_email: new.contact_email,
        };
        tx.update_site(&after).await?;
        record(&mut tx, actor, self.now(), Action::Update, "site", Some(id.0), Some(&before), Some(&after))
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_site(&self, actor: &Actor, id: SiteId) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        let before = tx.site(id).await.map_err(AppError::not_found("site"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Site, id.0, Some(before.agency_id)).await?;
        require_write(actor, Resource::Site)?;
        tx.delete_site(id).await?;
        record(&mut tx, actor, self.now(), Action::Delete, "site", Some(id.0), Some(&before), None::<&()>)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    // ----- accesses -----

    pub async fn create_access(&self, actor: &Actor, draft: AccessDraft) -> AppResult<Access> {
        require_write(actor, Resource::Access)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let site = reference(tx.site(draft.site_id).await, "site_id").await?;
        let lot = reference(tx.lot(draft.lot_id).await, "lot_id").await?;
        let prices = tx.prices_of_lot(lot.id).await?;
        let access = insert_access_in(&mut tx, actor, now, draft, &site, &lot, &prices).await?;
        tx.commit().await?;
        Ok(access)
    }

    pub async fn get_access(&self, actor: &Actor, id: AccessId) -> AppResult<AccessRow> {
        let mut tx = self.store().read().await?;
        let row = tx.access(id).await.map_err(AppError::not_found("access"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Access, id.0, Some(row.agency_id)).await?;
        Ok(row)
    }

    pub async fn list_accesses(
        &self,
        actor: &Actor,
        f: InventoryFilter,
        page: Page,
    ) -> AppResult<Listed<AccessRow>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_accesses(&scoped(actor, f), page).await?)
    }

    /// Counts and monthly value of accesses by status and lot, in scope.
    pub async fn access_summary(&self, actor: &Actor) -> AppResult<Vec<AccessSummaryRow>> {
        let mut tx = self.store().read().await?;
        Ok(tx.access_summary(&scoped(actor, InventoryFilter::default())).await?)
    }

    pub async fn update_access(
        &self,
        actor: &Actor,
        id: AccessId,
        change: AccessChange,
    ) -> AppResult<Access> {
        let now = self.now();
        let mut tx = self.store().write().await?;
        let row = tx.access(id).await.map_err(AppError::not_found("access"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Access, id.0, Some(row.agency_id)).await?;
        require_write(actor, Resource::Access)?;
        let before = row.access;
        let site = tx.site(before.site_id).await?;
        let lot = tx.lot(before.lot_id).await?;
        let prices = tx.prices_of_lot(lot.id).await?;
        let redundancy = change.redundancy.unwrap_or(before.redundancy);
        let targets = change
            .probe_targets
            .clone()
            .unwrap_or_else(|| before.probe_targets.iter().map(|t| t.to_string()).collect());
        let monthly_price = match change.monthly_price {
            Some(choice) => choice,
            None if before.price_overridden => Some(before.monthly_price),
            None => None,
        };
        // Re-validate the whole access (region, targets, price) as a draft,
        // priced on its activation date like a new one.
        let checked = AccessDraft {
            site_id: before.site_id,
            lot_id: before.lot_id,
            profile: Some(change.profile.unwrap_or(before.profile)),
            service: before.service.clone(),
            bandwidth_mbps: change.bandwidth_mbps.unwrap_or(before.bandwidth_mbps),
            redundancy,
            technology: change.technology.unwrap_or(before.technology),
            monthly_price,
            activated_at: before.activated_at,
            probe_targets: targets,
        }
        .validate(&site, &lot, &prices, now)?;
        let mut after = Access {
            profile: checked.profile,
            bandwidth_mbps: checked.bandwidth_mbps,
            redundancy: checked.redundancy,
            technology: checked.technology,
            monthly_price: checked.monthly_price,
            price_overridden: checked.price_overridden,
            probe_targets: checked.probe_targets,
            ..before.clone()
        };
        if let Some((status, at)) = change.status
            && status != after.status
        {
            after.transition(status, at.unwrap_or(now))?;
        }
        tx.update_access(&after).await?;
        record(&mut tx, actor, now, Action::Update, "access", Some(id.0), Some(&before), Some(&after))
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deactivates an access now (accesses are never erased: their history
    /// is billed).
    pub async fn deactivate_access(&self, actor: &Actor, id: AccessId) -> AppResult<Access> {
        let change = AccessChange { status: Some((AccessStatus::Deactivated, None)), ..Default::default() };
        self.update_access(actor, id, change).await
    }
}
