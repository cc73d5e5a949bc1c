//! IP address management (DOMAIN §8, seed 002, `docs/ipam.md`): the
//! network manager configures address pools and allocates, releases and
//! reassigns blocks of them to agencies — first fit, aligned, never
//! overlapping (the domain's buddy allocator), within the per-kind limits
//! (a municipality: at most 20 private /28 and one public /30). Every
//! change is one transaction with its audit entry; allocations from one
//! pool queue on its lock, so concurrent requests never get the same block.
//!
//! Who sees what: admin, network manager, committee and auditor read every
//! pool and block; an agency manager reads its own agency's blocks; the
//! other roles are refused (403).

use crate::audit::{Action, record};
use crate::authz::{Resource, require_write};
use crate::inventory::reference;
use crate::{App, AppError, AppResult};
use redegov_domain::error::{FieldError, Rule, required};
use redegov_domain::ids::*;
use redegov_domain::ipam::{Cidr, Utilisation, Visibility, check_limit, check_prefix};
use redegov_domain::role::{Actor, Role, Scope};
use redegov_store::Tx;
pub use redegov_store::ipam::{IpBlock, IpPool};
use serde::Serialize;

/// A new pool as typed: name, CIDR and visibility.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewPool {
    pub name: String,
    pub cidr: String,
    pub visibility: String,
}

/// A pool with its use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolView {
    pub pool: IpPool,
    pub utilisation: Utilisation,
    pub blocks: usize,
}

fn require_pool_reader(actor: &Actor) -> AppResult<()> {
    match actor.role {
        Role::Admin | Role::NetworkManager | Role::Committee | Role::Auditor => Ok(()),
        _ => Err(AppError::Forbidden("read IP address pools")),
    }
}

fn require_block_reader(actor: &Actor) -> AppResult<()> {
    match actor.role {
        Role::Operator | Role::ContractManager => Err(AppError::Forbidden("read IP blocks")),
        _ => Ok(()),
    }
}

#[derive(Serialize)]
struct PoolAudit<'a> {
    name: &'a str,
    cidr: String,
    visibility: &'static str,
}

#[derive(Serialize)]
struct BlockAudit {
    /// The block's id (the entry's entity id, not part of its snapshot).
    #[serde(skip)]
    id: i64,
    pool_id: IpPoolId,
    agency_id: AgencyId,
    cidr: String,
}

impl BlockAudit {
    fn of(b: &IpBlock) -> BlockAudit {
        BlockAudit { id: b.id.0, pool_id: b.pool_id, agency_id: b.agency_id, cidr: b.cidr.to_string() }
    }
}

/// A pool or block id the caller gave: unknown ones are named.
async fn pool_ref(tx: &mut Tx, id: IpPoolId) -> AppResult<IpPool> {
    reference(tx.ip_pool(id).await, "pool_id").await
}

/// Checks the agency's kind limit for `more` blocks of `/prefix` from
/// pools of `visibility` (the agency's blocks are counted only when a
/// limit applies); `field` is named when it is exceeded.
pub(crate) async fn within_limit(
    tx: &mut Tx,
    agency: AgencyId,
    visibility: Visibility,
    prefix: u8,
    more: i64,
    field: &str,
) -> AppResult<()> {
    let (_, limit) = tx
        .ip_limit_for(agency, visibility, prefix)
        .await?
        .ok_or_else(|| FieldError::new("agency_id", Rule::UnknownReference))?;
    if let Some(limit) = limit {
        let held = tx.count_ip_blocks(agency, visibility, prefix).await?;
        check_limit(field, Some(&limit), held + more - 1)?;
    }
    Ok(())
}

/// The most blocks one batch allocates.
pub const MAX_BATCH: i64 = 1_000_000;

impl App {
    /// Configures a pool: a network address with its prefix that overlaps
    /// no other pool.
    pub async fn create_ip_pool(&self, actor: &Actor, input: NewPool) -> AppResult<IpPool> {
        require_write(actor, Resource::Ipam)?;
        let name = required("name", &input.name)?;
        let cidr = Cidr::parse("cidr", &input.cidr)?;
        if cidr.prefix == 0 {
            return Err(FieldError::new(
                "cidr",
                Rule::OutOfRange { min: 1, max: i64::from(cidr.family.bits()) },
            )
            .into());
        }
        let visibility = Visibility::parse("visibility", &input.visibility)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        if let Some(other) = tx.ip_pools().await?.into_iter().find(|p| p.cidr.overlaps(cidr)) {
            return Err(FieldError::new("cidr", Rule::Overlaps { cidr: other.cidr.to_string() }).into());
        }
        let pool =
            tx.insert_ip_pool(&name, cidr, visibility, Some(actor.user_id), now).await.map_err(|e| {
                if matches!(e, redegov_store::StoreError::Conflict(_)) {
                    AppError::Conflict {
                        field: Some("name".into()),
                        message: format!("pool {name} already exists"),
                    }
                } else {
                    e.into()
                }
            })?;
        let audit =
            PoolAudit { name: &pool.name, cidr: pool.cidr.to_string(), visibility: visibility.as_str() };
        record(&mut tx, actor, now, Action::Create, "ip_pool", Some(pool.id.0), None::<&()>, Some(&audit))
            .await?;
        tx.commit().await?;
        Ok(pool)
    }

    /// Every pool with its use (addresses used and free, the largest free
    /// block).
    pub async fn list_ip_pools(&self, actor: &Actor) -> AppResult<Vec<PoolView>> {
        require_pool_reader(actor)?;
        let mut tx = self.store().read().await?;
        let counts = tx.ip_block_counts().await?;
        let mut out = Vec::new();
        for pool in tx.ip_pools().await? {
            let free = tx.ip_free_blocks(&pool).await?;
            out.push(PoolView {
                utilisation: Utilisation::of(pool.cidr, &free),
                blocks: counts.get(&pool.id).copied().unwrap_or(0),
                pool,
            });
        }
        Ok(out)
    }

    /// A pool's free blocks, by address.
    pub async fn ip_pool_free(&self, actor: &Actor, id: IpPoolId) -> AppResult<(IpPool, Vec<Cidr>)> {
        require_pool_reader(actor)?;
        let mut tx = self.store().read().await?;
        let pool = tx.ip_pool(id).await.map_err(AppError::not_found("IP pool"))?;
        let free = tx.ip_free_blocks(&pool).await?;
        Ok((pool, free))
    }

    /// Allocates the first free aligned `/prefix_length` of the pool to the
    /// agency, within its kind's limit.
    pub async fn allocate_ip_block(
        &self,
        actor: &Actor,
        agency_id: AgencyId,
        pool_id: IpPoolId,
        prefix_length: i64,
    ) -> AppResult<IpBlock> {
        require_write(actor, Resource::Ipam)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let pool = pool_ref(&mut tx, pool_id).await?;
        let prefix = check_prefix("prefix_length", pool.cidr, prefix_length)?;
        tx.lock_ip_pool(pool.id).await?;
        within_limit(&mut tx, agency_id, pool.visibility, prefix, 1, "prefix_length").await?;
        let block = tx
            .allocate_ip_block(&pool, agency_id, prefix, Some(actor.user_id), now)
            .await?
            .ok_or_else(|| FieldError::new("prefix_length", Rule::PoolExhausted { prefix }))?;
        let audit = BlockAudit::of(&block);
        record(&mut tx, actor, now, Action::Create, "ip_block", Some(block.id.0), None::<&()>, Some(&audit))
            .await?;
        tx.commit().await?;
        Ok(block)
    }

    /// Allocates `count` blocks of `/prefix_length` to the agency in one
    /// transaction: each the first free aligned one, as `count` single
    /// allocations would give, all within the kind's limit or none. One
    /// audit entry per block.
    pub async fn allocate_ip_blocks(
        &self,
        actor: &Actor,
        agency_id: AgencyId,
        pool_id: IpPoolId,
        prefix_length: i64,
        count: i64,
    ) -> AppResult<Vec<IpBlock>> {
        require_write(actor, Resource::Ipam)?;
        if !(1..=MAX_BATCH).contains(&count) {
            return Err(FieldError::new("count", Rule::OutOfRange { min: 1, max: MAX_BATCH }).into());
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        let pool = pool_ref(&mut tx, pool_id).await?;
        let prefix = check_prefix("prefix_length", pool.cidr, prefix_length)?;
        tx.lock_ip_pool(pool.id).await?;
        within_limit(&mut tx, agency_id, pool.visibility, prefix, count, "count").await?;
        let blocks =
            allocate_many(&mut tx, actor, &pool, agency_id, prefix, count as usize, "count", now).await?;
        tx.commit().await?;
        Ok(blocks)
    }

    /// Blocks in the actor's scope (an agency manager's: its own agency's),
    /// of one agency or all.
    pub async fn list_ip_blocks(
        &self,
        actor: &Actor,
        mut agency: Option<AgencyId>,
    ) -> AppResult<Vec<IpBlock>> {
        require_block_reader(actor)?;
        if let Scope::Agency(own) = actor.scope {
            agency = Some(if agency.is_some_and(|a| a != own) { AgencyId(-1) } else { own });
        }
        let mut tx = self.store().read().await?;
        Ok(tx.ip_blocks(agency).await?)
    }

    /// Releases a block: its addresses go back to the pool.
    pub async fn release_ip_block(&self, actor: &Actor, id: IpBlockId) -> AppResult<()> {
        require_write(actor, Resource::Ipam)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let block = tx.ip_block(id).await.map_err(AppError::not_found("IP block"))?;
        let pool = tx.ip_pool(block.pool_id).await?;
        tx.lock_ip_pool(pool.id).await?;
        tx.release_ip_block(&pool, &block).await?;
        let audit = BlockAudit::of(&block);
        record(&mut tx, actor, now, Action::Delete, "ip_block", Some(id.0), Some(&audit), None::<&()>)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reassigns a block to another agency, within that agency's limit.
    pub async fn reassign_ip_block(
        &self,
        actor: &Actor,
        id: IpBlockId,
        agency_id: AgencyId,
    ) -> AppResult<IpBlock> {
        require_write(actor, Resource::Ipam)?;
        let now = self.now();
        let mut tx = self.store().write().await?;
        let before = tx.ip_block(id).await.map_err(AppError::not_found("IP block"))?;
        let pool = tx.ip_pool(before.pool_id).await?;
        tx.lock_ip_pool(pool.id).await?;
        if before.agency_id != agency_id {
            within_limit(&mut tx, agency_id, pool.visibility, before.cidr.prefix, 1, "agency_id").await?;
            tx.reassign_ip_block(id, agency_id).await?;
        }
        let after = tx.ip_block(id).await?;
        record(
            &mut tx,
            actor,
            now,
            Action::Update,
            "ip_block",
            Some(id.0),
            Some(&BlockAudit::of(&before)),
            Some(&BlockAudit::of(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// Allocates `count` blocks of `/prefix` from a locked pool, with their
/// audit entries (`field` is named when the pool cannot hold them).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn allocate_many(
    tx: &mut Tx,
    actor: &Actor,
    pool: &IpPool,
    agency: AgencyId,
    prefix: u8,
    count: usize,
    field: &str,
    now: redegov_domain::time::Timestamp,
) -> AppResult<Vec<IpBlock>> {
    let by = actor.user();
    let blocks = tx
        .allocate_ip_blocks(pool, agency, prefix, count, by, now)
        .await
        .map_err(AppError::reference("agency_id"))?
        .ok_or_else(|| FieldError::new(field, Rule::PoolExhausted { prefix }))?;
    let audits: Vec<BlockAudit> = blocks.iter().map(BlockAudit::of).collect();
    crate::audit::record_created(tx, actor, now, "ip_block", &audits, |a| a.id).await?;
    Ok(blocks)
}
