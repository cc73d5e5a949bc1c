//! Use cases of the network inventory: create, read, list, change and remove
//! operators, consortia, contracts, lots, prices, agencies, sites and
//! accesses — each authorised, scoped, transactional and audited.
//!
//! Changes take a `merge` closure that turns the current value into the new
//! validated input, so a PATCH reads and writes in the same transaction. The
//! sequence itself (authorise, validate, write, audit, commit) is written once
//! in `crate::records`; each kind below states only what differs.

use crate::audit::{Action, record};
use crate::authz::{Resource, require_write, scoped};
use crate::records::Record;
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
pub(crate) async fn ensure_sees(
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

pub(crate) async fn reference<T>(found: Result<T, StoreError>, field: &str) -> AppResult<T> {
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

macro_rules! record_kind {
    ($t:ty, $id:ty, $new:ty, $entity:literal, $resource:expr, unique: $unique:expr,
     load: $load:ident, insert: $insert:ident, save: $save:ident, remove: $remove:ident) => {
        type Id = $id;
        type New = $new;
        const ENTITY: &'static str = $entity;
        const RESOURCE: Resource = $resource;
        const UNIQUE: &'static [&'static str] = $unique;

        fn raw_id(id: $id) -> i64 {
            id.0
        }

        fn key(&self) -> i64 {
            self.id.0
        }

        async fn load(tx: &mut Tx, id: $id) -> Result<Self, StoreError> {
            tx.$load(id).await
        }

        async fn insert(tx: &mut Tx, new: &$new) -> Result<Self, StoreError> {
            tx.$insert(new).await
        }

        async fn save(&self, tx: &mut Tx) -> Result<(), StoreError> {
            tx.$save(self).await
        }

        async fn remove(tx: &mut Tx, id: $id) -> Result<(), StoreError> {
            tx.$remove(id).await
        }
    };
}

impl Record for Operator {
    record_kind!(Operator, OperatorId, NewOperator, "operator", Resource::Operator, unique: &["cnpj"],
        load: operator, insert: insert_operator, save: update_operator, remove: delete_operator);

    fn replaced(id: OperatorId, new: NewOperator) -> Self {
        Operator { id, name: new.name, cnpj: new.cnpj }
    }

    async fn check_visible(&self, _tx: &mut Tx, actor: &Actor) -> AppResult<()> {
        ensure_sees_operator(actor, self.id)
    }
}

impl Record for Consortium {
    record_kind!(Consortium, ConsortiumId, NewConsortium, "consortium", Resource::Consortium, unique: &["name"],
        load: consortium, insert: insert_consortium, save: update_consortium, remove: delete_consortium);

    fn replaced(id: ConsortiumId, new: NewConsortium) -> Self {
        Consortium { id, name: new.name, members: new.members }
    }

    async fn check_visible(&self, _tx: &mut Tx, actor: &Actor) -> AppResult<()> {
        ensure_sees_consortium(actor, self)
    }

    async fn check_new(tx: &mut Tx, _actor: &Actor, new: &NewConsortium) -> AppResult<()> {
        check_members(tx, &new.members).await
    }
}

impl Record for Contract {
    record_kind!(Contract, ContractId, NewContract, "contract", Resource::Contract, unique: &["number"],
        load: contract, insert: insert_contract, save: update_contract, remove: delete_contract);

    fn replaced(id: ContractId, new: NewContract) -> Self {
        Contract {
            id,
            number: new.number,
            starts_on: new.starts_on,
            ends_on: new.ends_on,
            ceiling: new.ceiling,
        }
    }

    async fn check_visible(&self, tx: &mut Tx, actor: &Actor) -> AppResult<()> {
        ensure_sees(tx, actor, OperatorScoped::Contract, self.id.0, None).await
    }
}

impl Record for Lot {
    record_kind!(Lot, LotId, NewLot, "lot", Resource::Lot, unique: &["code"],
        load: lot, insert: insert_lot, save: update_lot, remove: delete_lot);

    fn replaced(id: LotId, new: NewLot) -> Self {
        Lot {
            id,
            contract_id: new.contract_id,
            code: new.code,
            holder: new.holder,
            profile: new.profile,
            region: new.region,
            description: new.description,
            starts_on: new.starts_on,
            ends_on: new.ends_on,
        }
    }

    async fn check_visible(&self, tx: &mut Tx, actor: &Actor) -> AppResult<()> {
        ensure_sees(tx, actor, OperatorScoped::Lot, self.id.0, None).await
    }

    async fn check_new(tx: &mut Tx, _actor: &Actor, new: &NewLot) -> AppResult<()> {
        reference(tx.contract(new.contract_id).await, "contract_id").await?;
        check_holder(tx, new.holder).await
    }
}

impl Record for Price {
    record_kind!(Price, PriceId, NewPrice, "price", Resource::Price, unique: &[],
        load: price, insert: insert_price, save: update_price, remove: delete_price);

    fn replaced(id: PriceId, new: NewPrice) -> Self {
        Price {
            id,
            lot_id: new.lot_id,
            service: new.service,
            bandwidth_mbps: new.bandwidth_mbps,
            area: new.area,
            monthly_price: new.monthly_price,
            effective_from: new.effective_from,
            effective_to: new.effective_to,
        }
    }

    /// A price is seen by whoever sees its lot.
    async fn check_visible(&self, tx: &mut Tx, actor: &Actor) -> AppResult<()> {
        ensure_sees(tx, actor, OperatorScoped::Lot, self.lot_id.0, None).await
    }

    async fn check_new(tx: &mut Tx, actor: &Actor, new: &NewPrice) -> AppResult<()> {
        tx.lot(new.lot_id).await.map_err(AppError::not_found("lot"))?;
        ensure_sees(tx, actor, OperatorScoped::Lot, new.lot_id.0, None).await
    }
}

impl Record for Agency {
    record_kind!(Agency, AgencyId, NewAgency, "agency", Resource::Agency, unique: &["cnpj", "acronym"],
        load: agency, insert: insert_agency, save: update_agency, remove: delete_agency);

    fn replaced(id: AgencyId, new: NewAgency) -> Self {
        Agency { id, name: new.name, acronym: new.acronym, cnpj: new.cnpj, kind: new.kind }
    }

    async fn check_visible(&self, tx: &mut Tx, actor: &Actor) -> AppResult<()> {
        ensure_sees(tx, actor, OperatorScoped::Agency, self.id.0, Some(self.id)).await
    }
}

impl Record for Site {
    record_kind!(Site, SiteId, NewSite, "site", Resource::Site, unique: &[],
        load: site, insert: insert_site, save: update_site, remove: delete_site);

    fn replaced(id: SiteId, new: NewSite) -> Self {
        Site {
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
        }
    }

    async fn check_visible(&self, tx: &mut Tx, actor: &Actor) -> AppResult<()> {
        ensure_sees(tx, actor, OperatorScoped::Site, self.id.0, Some(self.agency_id)).await
    }

    /// A scoped actor may put a site only in its own agency.
    async fn check_new(tx: &mut Tx, actor: &Actor, new: &NewSite) -> AppResult<()> {
        if let Scope::Agency(own) = actor.scope
            && own != new.agency_id
        {
            return Err(FieldError::new("agency_id", Rule::UnknownReference).into());
        }
        reference(tx.agency(new.agency_id).await, "agency_id").await.map(|_| ())
    }
}

/// The public use cases of a record kind: thin names over the generic ones.
macro_rules! record_use_cases {
    ($t:ty, $id:ty, $new:ty, $create:ident, $get:ident, $update:ident, $delete:ident) => {
        pub async fn $create(&self, actor: &Actor, new: $new) -> AppResult<$t> {
            self.create_record(actor, new).await
        }

        pub async fn $get(&self, actor: &Actor, id: $id) -> AppResult<$t> {
            self.get_record(actor, id).await
        }

        pub async fn $update(
            &self,
            actor: &Actor,
            id: $id,
            merge: impl FnOnce(&$t) -> Valid<$new>,
        ) -> AppResult<$t> {
            self.update_record(actor, id, merge).await
        }

        pub async fn $delete(&self, actor: &Actor, id: $id) -> AppResult<()> {
            self.delete_record::<$t>(actor, id).await
        }
    };
}

impl App {
    record_use_cases!(
        Operator,
        OperatorId,
        NewOperator,
        create_operator,
        get_operator,
        update_operator,
        delete_operator
    );
    record_use_cases!(
        Consortium,
        ConsortiumId,
        NewConsortium,
        create_consortium,
        get_consortium,
        update_consortium,
        delete_consortium
    );
    record_use_cases!(
        Contract,
        ContractId,
        NewContract,
        create_contract,
        get_contract,
        update_contract,
        delete_contract
    );
    record_use_cases!(Lot, LotId, NewLot, create_lot, get_lot, update_lot, delete_lot);
    record_use_cases!(Price, PriceId, NewPrice, create_price, get_price, update_price, delete_price);
    record_use_cases!(Agency, AgencyId, NewAgency, create_agency, get_agency, update_agency, delete_agency);
    record_use_cases!(Site, SiteId, NewSite, create_site, get_site, update_site, delete_site);

    pub async fn list_operators(
        &self,
        actor: &Actor,
        f: InventoryFilter,
        page: Page,
    ) -> AppResult<Listed<Operator>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_operators(&scoped(actor, f), page).await?)
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

    pub async fn list_contracts(
        &self,
        actor: &Actor,
        f: InventoryFilter,
        page: Page,
    ) -> AppResult<Listed<Contract>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_contracts(&scoped(actor, f), page).await?)
    }

    pub async fn list_lots(&self, actor: &Actor, f: InventoryFilter, page: Page) -> AppResult<Listed<Lot>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_lots(&scoped(actor, f), page).await?)
    }

    /// A lot's price table (visible to whoever sees the lot).
    pub async fn list_prices(&self, actor: &Actor, lot: LotId) -> AppResult<Vec<Price>> {
        let mut tx = self.store().read().await?;
        tx.lot(lot).await.map_err(AppError::not_found("lot"))?;
        ensure_sees(&mut tx, actor, OperatorScoped::Lot, lot.0, None).await?;
        Ok(tx.prices_of_lot(lot).await?)
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

    pub async fn list_sites(&self, actor: &Actor, f: InventoryFilter, page: Page) -> AppResult<Listed<Site>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_sites(&scoped(actor, f), page).await?)
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
