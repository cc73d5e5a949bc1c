//! IP address pools, the blocks allocated from them, each pool's free
//! blocks and the per-kind limits (migration 0012). Allocation is the
//! domain's buddy allocator (`redegov_domain::ipam`) over the `ip_free`
//! table: [`Tx::allocate_ip_block`] reads the first free block that fits,
//! by address, and writes the split; [`Tx::release_ip_block`] merges the
//! block back. Both run inside the caller's writing transaction, after
//! [`Tx::lock_ip_pool`]: on PostgreSQL a row lock on the pool, so two
//! allocations from one pool queue; SQLite's writing transactions are
//! already one at a time.

use crate::inventory::id;
use crate::{Backend, StoreError, Tx};
use redegov_domain::ids::*;
use redegov_domain::inventory::AgencyKind;
use redegov_domain::ipam::{BlockLimit, Cidr, Family, Visibility, merge, split};
use redegov_domain::time::{Timestamp, from_epoch};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// A configured pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPool {
    pub id: IpPoolId,
    pub name: String,
    pub cidr: Cidr,
    pub visibility: Visibility,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

/// An allocated block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpBlock {
    pub id: IpBlockId,
    pub pool_id: IpPoolId,
    pub agency_id: AgencyId,
    pub cidr: Cidr,
    pub allocated_by: Option<UserId>,
    pub allocated_at: Timestamp,
}

fn family(text: &str) -> Result<Family, StoreError> {
    match text {
        "ipv4" => Ok(Family::V4),
        "ipv6" => Ok(Family::V6),
        other => Err(StoreError::Corrupt(format!("ip family {other:?}"))),
    }
}

fn cidr_of(family: Family, r: &AnyRow) -> Result<Cidr, StoreError> {
    let key: String = r.try_get("start_key")?;
    let prefix: i64 = r.try_get("prefix_length")?;
    u8::try_from(prefix)
        .ok()
        .and_then(|p| Cidr::from_key(family, &key, p))
        .ok_or_else(|| StoreError::Corrupt(format!("ip block {key}/{prefix}")))
}

fn decode_pool(r: &AnyRow) -> Result<IpPool, StoreError> {
    let visibility: String = r.try_get("visibility")?;
    Ok(IpPool {
        id: IpPoolId(id(r)?),
        name: r.try_get("name")?,
        cidr: cidr_of(family(&r.try_get::<String, _>("family")?)?, r)?,
        visibility: Visibility::parse("visibility", &visibility)
            .map_err(|_| StoreError::Corrupt(format!("ip_pools.visibility {visibility:?}")))?,
        created_by: r.try_get::<Option<i64>, _>("created_by")?.map(UserId),
        created_at: from_epoch(r.try_get("created_at")?),
    })
}

/// Blocks are read with their pool's family.
const BLOCK_COLUMNS: &str = "b.id, b.pool_id, b.agency_id, b.start_key, b.prefix_length, b.allocated_by, \
                             b.allocated_at, p.family";

fn decode_block(r: &AnyRow) -> Result<IpBlock, StoreError> {
    Ok(IpBlock {
        id: IpBlockId(id(r)?),
        pool_id: IpPoolId(r.try_get("pool_id")?),
        agency_id: AgencyId(r.try_get("agency_id")?),
        cidr: cidr_of(family(&r.try_get::<String, _>("family")?)?, r)?,
        allocated_by: r.try_get::<Option<i64>, _>("allocated_by")?.map(UserId),
        allocated_at: from_epoch(r.try_get("allocated_at")?),
    })
}

impl Tx {
    /// Stores a pool with its one free block (the whole range).
    pub async fn insert_ip_pool(
        &mut self,
        name: &str,
        cidr: Cidr,
        visibility: Visibility,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<IpPool, StoreError> {
        let row = sqlx::query(
            "INSERT INTO ip_pools (name, family, cidr, start_key, prefix_length, visibility, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(name.to_string())
        .bind(cidr.family.as_str())
        .bind(cidr.to_string())
        .bind(cidr.key())
        .bind(i64::from(cidr.prefix))
        .bind(visibility.as_str())
        .bind(by.map(|u| u.0))
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        let id = IpPoolId(id(&row)?);
        self.insert_free(id, cidr).await?;
        self.ip_pool(id).await
    }

    pub async fn ip_pool(&mut self, id: IpPoolId) -> Result<IpPool, StoreError> {
        let row =
            sqlx::query("SELECT * FROM ip_pools WHERE id = $1").bind(id.0).fetch_one(self.conn()).await?;
        decode_pool(&row)
    }

    /// Every pool, by family and address.
    pub async fn ip_pools(&mut self) -> Result<Vec<IpPool>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM ip_pools ORDER BY family, start_key").fetch_all(self.conn()).await?;
        rows.iter().map(decode_pool).collect()
    }

    /// Serialises allocations from one pool until the transaction ends.
    pub async fn lock_ip_pool(&mut self, id: IpPoolId) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM ip_pools WHERE id = $1 FOR UPDATE")
                .bind(id.0)
                .fetch_one(self.conn())
                .await?;
        }
        Ok(())
    }

    async fn insert_free(&mut self, pool: IpPoolId, block: Cidr) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO ip_free (pool_id, start_key, prefix_length) VALUES ($1, $2, $3)")
            .bind(pool.0)
            .bind(block.key())
            .bind(i64::from(block.prefix))
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Stores free blocks with one multi-row insert.
    async fn insert_free_blocks(&mut self, pool: IpPoolId, blocks: &[Cidr]) -> Result<(), StoreError> {
        if blocks.is_empty() {
            return Ok(());
        }
        // At most 128 buddies (an IPv6 /0 split to a /128): well within the
        // placeholder limits of both backends.
        let mut sql = String::from("INSERT INTO ip_free (pool_id, start_key, prefix_length) VALUES ");
        crate::query::push_placeholders(&mut sql, blocks.len(), 3);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in blocks {
            q = q.bind(pool.0).bind(b.key()).bind(i64::from(b.prefix));
        }
        q.execute(self.conn()).await?;
        Ok(())
    }

    async fn delete_free(&mut self, pool: IpPoolId, block: Cidr) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM ip_free WHERE pool_id = $1 AND start_key = $2")
            .bind(pool.0)
            .bind(block.key())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// A pool's free blocks, by address.
    pub async fn ip_free_blocks(&mut self, pool: &IpPool) -> Result<Vec<Cidr>, StoreError> {
        let rows =
            sqlx::query("SELECT start_key, prefix_length FROM ip_free WHERE pool_id = $1 ORDER BY start_key")
                .bind(pool.id.0)
                .fetch_all(self.conn())
                .await?;
        rows.iter().map(|r| cidr_of(pool.cidr.family, r)).collect()
    }

    /// Allocates the first free aligned `/prefix` of `pool` to `agency`, or
    /// `None` when none is left. Call [`Tx::lock_ip_pool`] first.
    pub async fn allocate_ip_block(
        &mut self,
        pool: &IpPool,
        agency: AgencyId,
        prefix: u8,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<Option<IpBlock>, StoreError> {
        // The free blocks that can hold a /prefix, by address: the first is
        // first fit (see the domain module). Taken out in one statement.
        let row = sqlx::query(
            "DELETE FROM ip_free WHERE pool_id = $1 AND start_key = (SELECT start_key FROM ip_free \
             WHERE pool_id = $1 AND prefix_length <= $2 ORDER BY start_key LIMIT 1) \
             RETURNING start_key, prefix_length",
        )
        .bind(pool.id.0)
        .bind(i64::from(prefix))
        .fetch_optional(self.conn())
        .await?;
        let free = match row {
            Some(r) => cidr_of(pool.cidr.family, &r)?,
            None => return Ok(None),
        };
        let (taken, left) = split(free, prefix);
        self.insert_free_blocks(pool.id, &left).await?;
        let row = sqlx::query(
            "INSERT INTO ip_blocks (pool_id, agency_id, start_key, prefix_length, cidr, allocated_by, \
             allocated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(pool.id.0)
        .bind(agency.0)
        .bind(taken.key())
        .bind(i64::from(taken.prefix))
        .bind(taken.to_string())
        .bind(by.map(|u| u.0))
        .bind(now.timestamp())
        .fetch_one(self.conn())
        .await?;
        Ok(Some(IpBlock {
            id: IpBlockId(id(&row)?),
            pool_id: pool.id,
            agency_id: agency,
            cidr: taken,
            allocated_by: by,
            allocated_at: now,
        }))
    }

    /// Allocates `count` blocks of `/prefix` to `agency`, one by one, each
    /// the first free aligned one (exactly what `count` calls of
    /// [`Tx::allocate_ip_block`] give), with few statements: the free list
    /// is read once, run through the domain's allocator, and written back
    /// as its difference; the blocks go in multi-row inserts. `None` (nothing written) when the pool cannot
    /// hold them all. Call [`Tx::lock_ip_pool`] first.
    pub async fn allocate_ip_blocks(
        &mut self,
        pool: &IpPool,
        agency: AgencyId,
        prefix: u8,
        count: usize,
        by: Option<UserId>,
        now: Timestamp,
    ) -> Result<Option<Vec<IpBlock>>, StoreError> {
        let before = self.ip_free_blocks(pool).await?;
        let mut allocator = redegov_domain::ipam::Allocator::with_free(pool.cidr, &before);
        let mut taken = Vec::with_capacity(count);
        for _ in 0..count {
            match allocator.allocate(prefix) {
                Some(b) => taken.push(b),
                None => return Ok(None),
            }
        }
        let after = allocator.free_blocks();
        for gone in before.iter().filter(|b| !after.contains(b)) {
            self.delete_free(pool.id, *gone).await?;
        }
        let added: Vec<Cidr> = after.iter().filter(|b| !before.contains(b)).copied().collect();
        self.insert_free_blocks(pool.id, &added).await?;
        let mut out = Vec::with_capacity(count);
        for chunk in taken.chunks(crate::query::MAX_ROWS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO ip_blocks (pool_id, agency_id, start_key, prefix_length, cidr, allocated_by, \
                 allocated_at) VALUES ",
            );
            crate::query::push_placeholders(&mut sql, chunk.len(), 7);
            sql.push_str(" RETURNING id, start_key");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for b in chunk {
                q = q
                    .bind(pool.id.0)
                    .bind(agency.0)
                    .bind(b.key())
                    .bind(i64::from(b.prefix))
                    .bind(b.to_string())
                    .bind(by.map(|u| u.0))
                    .bind(now.timestamp());
            }
            let rows = q.fetch_all(self.conn()).await?;
            let ids: std::collections::HashMap<String, i64> = rows
                .iter()
                .map(|r| Ok((r.try_get::<String, _>("start_key")?, id(r)?)))
                .collect::<Result<_, StoreError>>()?;
            for b in chunk {
                let block_id = ids
                    .get(&b.key())
                    .ok_or_else(|| StoreError::Corrupt(format!("ip block {b} not returned")))?;
                out.push(IpBlock {
                    id: IpBlockId(*block_id),
                    pool_id: pool.id,
                    agency_id: agency,
                    cidr: *b,
                    allocated_by: by,
                    allocated_at: now,
                });
            }
        }
        Ok(Some(out))
    }

    /// Gives a block back to its pool, merged with its free buddies. Call
    /// [`Tx::lock_ip_pool`] first.
    pub async fn release_ip_block(&mut self, pool: &IpPool, block: &IpBlock) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM ip_blocks WHERE id = $1").bind(block.id.0).execute(self.conn()).await?;
        // Each merge step asks whether one buddy is free: at most one lookup
        // per bit between the block's prefix and the pool's.
        let mut is_free = Vec::new();
        let mut probe = block.cidr;
        while probe.prefix > pool.cidr.prefix {
            let Some(buddy) = probe.buddy() else { break };
            let row = sqlx::query("SELECT prefix_length FROM ip_free WHERE pool_id = $1 AND start_key = $2")
                .bind(pool.id.0)
                .bind(buddy.key())
                .fetch_optional(self.conn())
                .await?;
            let free = match row {
                Some(r) => r.try_get::<i64, _>("prefix_length")? == i64::from(buddy.prefix),
                None => false,
            };
            is_free.push((buddy, free));
            if !free {
                break;
            }
            probe = Cidr { start: probe.start & buddy.start, prefix: probe.prefix - 1, ..probe };
        }
        let (merged, absorbed) =
            merge(pool.cidr, block.cidr, |b| is_free.iter().any(|(c, free)| *c == b && *free));
        for b in absorbed {
            self.delete_free(pool.id, b).await?;
        }
        self.insert_free(pool.id, merged).await
    }

    pub async fn ip_block(&mut self, id: IpBlockId) -> Result<IpBlock, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BLOCK_COLUMNS} FROM ip_blocks b JOIN ip_pools p ON p.id = b.pool_id WHERE b.id = $1"
        )))
        .bind(id.0)
        .fetch_one(self.conn())
        .await?;
        decode_block(&row)
    }

    /// Blocks, of one agency or all, by pool and address.
    pub async fn ip_blocks(&mut self, agency: Option<AgencyId>) -> Result<Vec<IpBlock>, StoreError> {
        let rows = match agency {
            Some(a) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {BLOCK_COLUMNS} FROM ip_blocks b JOIN ip_pools p ON p.id = b.pool_id \
                     WHERE b.agency_id = $1 ORDER BY b.pool_id, b.start_key"
                )))
                .bind(a.0)
                .fetch_all(self.conn())
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {BLOCK_COLUMNS} FROM ip_blocks b JOIN ip_pools p ON p.id = b.pool_id \
                     ORDER BY b.pool_id, b.start_key"
                )))
                .fetch_all(self.conn())
                .await?
            }
        };
        rows.iter().map(decode_block).collect()
    }

    /// How many blocks each pool has allocated.
    pub async fn ip_block_counts(&mut self) -> Result<HashMap<IpPoolId, usize>, StoreError> {
        let rows = sqlx::query("SELECT pool_id, COUNT(*) AS n FROM ip_blocks GROUP BY pool_id")
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((IpPoolId(r.try_get("pool_id")?), usize::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0)))
            })
            .collect()
    }

    /// Moves a block to another agency.
    pub async fn reassign_ip_block(&mut self, id: IpBlockId, agency: AgencyId) -> Result<(), StoreError> {
        sqlx::query("UPDATE ip_blocks SET agency_id = $1 WHERE id = $2")
            .bind(agency.0)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// How many `/prefix` blocks the agency holds from pools of `visibility`.
    pub async fn count_ip_blocks(
        &mut self,
        agency: AgencyId,
        visibility: Visibility,
        prefix: u8,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM ip_blocks b JOIN ip_pools p ON p.id = b.pool_id \
             WHERE b.agency_id = $1 AND p.visibility = $2 AND b.prefix_length = $3",
        )
        .bind(agency.0)
        .bind(visibility.as_str())
        .bind(i64::from(prefix))
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("n")?)
    }

    /// An agency's kind and the limit that applies to it for `/prefix`
    /// blocks from pools of `visibility` (`None` when the agency does not
    /// exist).
    pub async fn ip_limit_for(
        &mut self,
        agency: AgencyId,
        visibility: Visibility,
        prefix: u8,
    ) -> Result<Option<(AgencyKind, Option<BlockLimit>)>, StoreError> {
        let row = sqlx::query(
            "SELECT a.kind, l.max_blocks FROM agencies a LEFT JOIN ip_block_limits l \
             ON l.agency_kind = a.kind AND l.visibility = $2 AND l.prefix_length = $3 WHERE a.id = $1",
        )
        .bind(agency.0)
        .bind(visibility.as_str())
        .bind(i64::from(prefix))
        .fetch_optional(self.conn())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let kind: String = r.try_get("kind")?;
        let kind = AgencyKind::parse("kind", &kind)
            .map_err(|_| StoreError::Corrupt(format!("agencies.kind {kind:?}")))?;
        let max: Option<i64> = r.try_get("max_blocks")?;
        Ok(Some((kind, max.map(|max_blocks| BlockLimit { kind, visibility, prefix, max_blocks }))))
    }
}
