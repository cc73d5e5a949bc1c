//! What the NOC keeps: the monitoring settings, per-access probe overrides,
//! the current state of each probe target (written when it changes), link
//! outages, hourly and daily probe aggregates, monitoring gaps, the probe
//! workers' shard leases, and external monitors' alerts. Never one row per
//! probe: storage stays bounded, and `prune_monitoring` applies retention.
//!
//! Instants of the prober are epoch milliseconds (`*_ms` columns and
//! arguments); alerts and incidents keep epoch seconds. The store decides
//! nothing: the detector, the gap rule and the matching of alerts are the
//! domain's and the app's.

use crate::inventory::id;
use crate::inventory::operator_lots_sql;
use crate::query::{Filter, Value, push_placeholders};
use crate::{StoreError, Tx, code};
use redegov_domain::ids::*;
use redegov_domain::monitor::LinkState;
use sqlx::Row;
use sqlx::any::AnyRow;

/// An access the prober watches, with its targets and how to probe them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedAccess {
    pub access_id: AccessId,
    /// The probe targets as saved on the access (addresses).
    pub targets: Vec<String>,
    pub probe: Option<ProbeOverride>,
}

/// How one access is probed when not by the defaults (`None`: the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOverride {
    /// `icmp` or `tcp`.
    pub method: String,
    pub port: Option<u16>,
    pub interval_ms: Option<u32>,
    pub timeout_ms: Option<u32>,
    pub retries: Option<u32>,
}

/// The saved state of one probe target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStateRow {
    pub access_id: AccessId,
    pub target: String,
    pub state: LinkState,
    pub since_ms: Option<i64>,
    pub updated_ms: i64,
}

/// A link's down span (`ended_ms` `None` while down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkOutage {
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
}

/// Probe counts of one target in one bucket, added to what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsDelta {
    pub access_id: AccessId,
    pub target: String,
    /// `hour` or `day`.
    pub period: &'static str,
    /// The bucket's start, epoch seconds.
    pub bucket: i64,
    pub sent: i64,
    pub lost: i64,
    pub rtt_min_us: Option<i64>,
    pub rtt_sum_us: i64,
    pub rtt_max_us: Option<i64>,
}

/// Stored probe counts of one access in one bucket (its targets summed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsRow {
    pub bucket: i64,
    pub sent: i64,
    pub lost: i64,
    pub rtt_min_us: Option<i64>,
    pub rtt_sum_us: i64,
    pub rtt_max_us: Option<i64>,
}

/// A span in which a prober could not tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapRow {
    pub id: i64,
    pub worker: String,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub probed: i64,
    pub failed: i64,
}

/// An alert from an external monitor, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    pub id: i64,
    pub source: String,
    pub alert_key: String,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub status: String,
    pub name: String,
    pub summary: String,
    /// JSON object of the alert's labels.
    pub labels: String,
    pub address: Option<String>,
    pub access_id: Option<AccessId>,
    pub incident_id: Option<IncidentId>,
    pub deliveries: i64,
    pub received_at: i64,
    pub updated_at: i64,
}

/// An open incident as the NOC panel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutageRow {
    pub incident_id: IncidentId,
    pub access_id: AccessId,
    pub started_at: i64,
    pub source: String,
    pub status: String,
    pub ticket: String,
    pub lot_id: LotId,
    pub lot_code: String,
    /// The lot's holder: its operator's or consortium's name.
    pub holder: String,
    pub agency_acronym: String,
    pub municipality_name: String,
    pub site_address: String,
}

/// Which open incidents the NOC panel shows (`None`: all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutageScope {
    pub agency_id: Option<AgencyId>,
    pub operator_id: Option<OperatorId>,
}

/// A queued webhook call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    pub id: i64,
    pub operator_id: OperatorId,
    pub url: String,
    pub kind: String,
    pub body: String,
    pub attempts: i64,
}

/// The access counts of the NOC panel's header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    pub up: i64,
    pub down: i64,
    pub unknown: i64,
}

fn decode_link_state(r: &AnyRow) -> Result<LinkStateRow, StoreError> {
    Ok(LinkStateRow {
        access_id: AccessId(r.try_get("access_id")?),
        target: r.try_get("target")?,
        state: code(r, "state", LinkState::parse)?,
        since_ms: r.try_get("since_ms")?,
        updated_ms: r.try_get("updated_ms")?,
    })
}

fn decode_alert(r: &AnyRow) -> Result<AlertRow, StoreError> {
    Ok(AlertRow {
        id: id(r)?,
        source: r.try_get("source")?,
        alert_key: r.try_get("alert_key")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        status: r.try_get("status")?,
        name: r.try_get("name")?,
        summary: r.try_get("summary")?,
        labels: r.try_get("labels")?,
        address: r.try_get("address")?,
        access_id: r.try_get::<Option<i64>, _>("access_id")?.map(AccessId),
        incident_id: r.try_get::<Option<i64>, _>("incident_id")?.map(IncidentId),
        deliveries: r.try_get("deliveries")?,
        received_at: r.try_get("received_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn u32_opt(r: &AnyRow, col: &str) -> Result<Option<u32>, StoreError> {
    r.try_get::<Option<i64>, _>(col)?
        .map(|v| u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col}: {v}"))))
        .transpose()
}

const ALERT_COLUMNS: &str = "id, source, alert_key, starts_at, ends_at, status, name, summary, labels, \
     address, access_id, incident_id, deliveries, received_at, updated_at";

/// Rows per multi-row upsert of probe statistics (10 values each).
const STATS_ROWS_PER_STATEMENT: usize = 100;

impl Tx {
    // ----- settings and overrides -----

    pub async fn monitor_settings(&mut self) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT document FROM monitor_settings WHERE id = 1")
            .fetch_optional(self.conn())
            .await?;
        row.map(|r| r.try_get("document").map_err(StoreError::from)).transpose()
    }

    pub async fn save_monitor_settings(
        &mut self,
        document: &str,
        now: i64,
        by: Option<UserId>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO monitor_settings (id, document, updated_at, updated_by) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(document)
        .bind(now)
        .bind(by.map(|u| u.0))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn probe_override(&mut self, access: AccessId) -> Result<Option<ProbeOverride>, StoreError> {
        let row = sqlx::query(
            "SELECT method, port, interval_ms, timeout_ms, retries FROM probe_overrides WHERE access_id = $1",
        )
        .bind(access.0)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(decode_override).transpose()
    }

    /// Saves (or, with `None`, removes) an access's probe override.
    pub async fn save_probe_override(
        &mut self,
        access: AccessId,
        probe: Option<&ProbeOverride>,
    ) -> Result<(), StoreError> {
        let Some(p) = probe else {
            sqlx::query("DELETE FROM probe_overrides WHERE access_id = $1")
                .bind(access.0)
                .execute(self.conn())
                .await?;
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO probe_overrides (access_id, method, port, interval_ms, timeout_ms, retries) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (access_id) DO UPDATE SET method = excluded.method, \
             port = excluded.port, interval_ms = excluded.interval_ms, timeout_ms = excluded.timeout_ms, \
             retries = excluded.retries",
        )
        .bind(access.0)
        .bind(&p.method)
        .bind(p.port.map(i64::from))
        .bind(p.interval_ms.map(i64::from))
        .bind(p.timeout_ms.map(i64::from))
        .bind(p.retries.map(i64::from))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The active accesses with probe targets whose id falls in one of
    /// `shards` (access id modulo `shard_count`), by id.
    pub async fn watched_accesses(
        &mut self,
        shard_count: i64,
        shards: &[i64],
    ) -> Result<Vec<WatchedAccess>, StoreError> {
        if shards.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = String::from(
            "SELECT a.id, a.probe_targets, p.method, p.port, p.interval_ms, p.timeout_ms, p.retries \
             FROM accesses a LEFT JOIN probe_overrides p ON p.access_id = a.id \
             WHERE a.status = 'active' AND a.probe_targets <> '' AND a.id % $1 IN (",
        );
        for i in 0..shards.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", i + 2));
        }
        sql.push_str(") ORDER BY a.id");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(shard_count.max(1));
        for s in shards {
            q = q.bind(*s);
        }
        let rows = q.fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                let targets: String = r.try_get("probe_targets")?;
                let method: Option<String> = r.try_get("method")?;
                Ok(WatchedAccess {
                    access_id: AccessId(id(r)?),
                    targets: targets.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect(),
                    probe: method.map(|_| decode_override(r)).transpose()?,
                })
            })
            .collect()
    }

    // ----- link states and outages -----

    /// The saved states of the targets of these accesses (all when `None`).
    pub async fn link_states(
        &mut self,
        accesses: Option<&[AccessId]>,
    ) -> Result<Vec<LinkStateRow>, StoreError> {
        let base = "SELECT access_id, target, state, since_ms, updated_ms FROM link_states";
        let rows = match accesses {
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!("{base} ORDER BY access_id, target")))
                    .fetch_all(self.conn())
                    .await?
            }
            Some(ids) => {
                let mut rows = Vec::new();
                for chunk in ids.chunks(500) {
                    let list = chunk.iter().map(|a| a.0.to_string()).collect::<Vec<_>>().join(", ");
                    rows.extend(
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "{base} WHERE access_id IN ({list}) ORDER BY access_id, target"
                        )))
                        .fetch_all(self.conn())
                        .await?,
                    );
                }
                rows
            }
        };
        rows.iter().map(decode_link_state).collect()
    }

    pub async fn save_link_state(&mut self, s: &LinkStateRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO link_states (access_id, target, state, since_ms, updated_ms) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (access_id, target) DO UPDATE SET state = excluded.state, since_ms = excluded.since_ms, \
             updated_ms = excluded.updated_ms",
        )
        .bind(s.access_id.0)
        .bind(&s.target)
        .bind(s.state.as_str())
        .bind(s.since_ms)
        .bind(s.updated_ms)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn open_link_outage(
        &mut self,
        access: AccessId,
        target: &str,
        started_ms: i64,
    ) -> Result<(), StoreError> {
        // Once per start: a round written again adds nothing.
        sqlx::query(
            "INSERT INTO link_outages (access_id, target, started_ms) SELECT $1, $2, $3 WHERE NOT EXISTS \
             (SELECT 1 FROM link_outages WHERE access_id = $1 AND target = $2 AND started_ms = $3)",
        )
        .bind(access.0)
        .bind(target)
        .bind(started_ms)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Ends the open outage of a target (if any) at `ended_ms`.
    pub async fn close_link_outage(
        &mut self,
        access: AccessId,
        target: &str,
        ended_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE link_outages SET ended_ms = $1 WHERE access_id = $2 AND target = $3 AND ended_ms IS NULL",
        )
        .bind(ended_ms)
        .bind(access.0)
        .bind(target)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// A target's outages overlapping `[from_ms, until_ms)`, by start.
    pub async fn link_outages(
        &mut self,
        access: AccessId,
        from_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<(String, LinkOutage)>, StoreError> {
        let rows = sqlx::query(
            "SELECT target, started_ms, ended_ms FROM link_outages WHERE access_id = $1 AND started_ms < $2 \
             AND (ended_ms IS NULL OR ended_ms > $3) ORDER BY started_ms, id",
        )
        .bind(access.0)
        .bind(until_ms)
        .bind(from_ms)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("target")?,
                    LinkOutage { started_ms: r.try_get("started_ms")?, ended_ms: r.try_get("ended_ms")? },
                ))
            })
            .collect()
    }

    /// How many accesses of the scope are up, down and unknown: an access
    /// with all its targets down is down, one with a target up is up, the
    /// rest (no state yet included) unknown. Over the active accesses with
    /// targets.
    pub async fn access_state_counts(&mut self, scope: OutageScope) -> Result<StateCounts, StoreError> {
        let mut q = Filter::default();
        q.push_raw("a.status = 'active' AND a.probe_targets <> ''".into());
        q.int("s.agency_id = {}", scope.agency_id.map(|a| a.0));
        if let Some(op) = scope.operator_id {
            let lots = operator_lots_sql(&mut q, op);
            q.push_raw(format!("a.lot_id IN ({lots})"));
        }
        let sql = format!(
            "SELECT COALESCE(SUM(CASE WHEN up > 0 THEN 1 ELSE 0 END), 0) AS up, \
             COALESCE(SUM(CASE WHEN up = 0 AND down > 0 AND down = links THEN 1 ELSE 0 END), 0) AS down, \
             COUNT(*) AS total FROM ( \
               SELECT a.id, \
               SUM(CASE WHEN ls.state = 'up' THEN 1 ELSE 0 END) AS up, \
               SUM(CASE WHEN ls.state = 'down' THEN 1 ELSE 0 END) AS down, \
               COUNT(ls.target) AS links \
               FROM accesses a JOIN sites s ON s.id = a.site_id \
               LEFT JOIN link_states ls ON ls.access_id = a.id{} GROUP BY a.id) t",
            q.where_sql()
        );
        let row = q.query(sql).fetch_one(self.conn()).await?;
        let (up, down, total): (i64, i64, i64) =
            (row.try_get("up")?, row.try_get("down")?, row.try_get("total")?);
        Ok(StateCounts { up, down, unknown: total - up - down })
    }

    /// The open incidents, oldest first, in the scope, with their place.
    pub async fn open_outages(
        &mut self,
        scope: OutageScope,
        limit: i64,
    ) -> Result<Vec<OutageRow>, StoreError> {
        let mut q = Filter::default();
        q.push_raw("i.ended_at IS NULL".into());
        q.int("s.agency_id = {}", scope.agency_id.map(|a| a.0));
        if let Some(op) = scope.operator_id {
            let lots = operator_lots_sql(&mut q, op);
            q.push_raw(format!("a.lot_id IN ({lots})"));
        }
        let limit = q.bind(Value::Int(limit.max(0)));
        let sql = format!(
            "SELECT i.id, i.access_id, i.started_at, i.source, i.status, i.ticket, a.lot_id, l.code AS lot_code, \
             COALESCE(op.name, c.name) AS holder, ag.acronym, s.municipality_name, s.address \
             FROM incidents i JOIN accesses a ON a.id = i.access_id JOIN sites s ON s.id = a.site_id \
             JOIN agencies ag ON ag.id = s.agency_id JOIN lots l ON l.id = a.lot_id \
             LEFT JOIN operators op ON op.id = l.operator_id LEFT JOIN consortia c ON c.id = l.consortium_id\
             {} ORDER BY i.started_at, i.id LIMIT {limit}",
            q.where_sql()
        );
        let rows = q.query(sql).fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(OutageRow {
                    incident_id: IncidentId(id(r)?),
                    access_id: AccessId(r.try_get("access_id")?),
                    started_at: r.try_get("started_at")?,
                    source: r.try_get("source")?,
                    status: r.try_get("status")?,
                    ticket: r.try_get("ticket")?,
                    lot_id: LotId(r.try_get("lot_id")?),
                    lot_code: r.try_get("lot_code")?,
                    holder: r.try_get("holder")?,
                    agency_acronym: r.try_get("acronym")?,
                    municipality_name: r.try_get("municipality_name")?,
                    site_address: r.try_get("address")?,
                })
            })
            .collect()
    }

    /// How many incidents are open (no end).
    pub async fn count_open_incidents(&mut self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM incidents WHERE ended_at IS NULL")
            .fetch_one(self.conn())
            .await?;
        Ok(row.try_get("n")?)
    }

    // ----- probe statistics -----

    /// Adds probe counts to their buckets (a bucket's minimum and maximum
    /// latency widen, sums add up).
    pub async fn add_probe_stats(&mut self, deltas: &[StatsDelta]) -> Result<(), StoreError> {
        for chunk in deltas.chunks(STATS_ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO probe_stats (access_id, target, period, bucket, sent, lost, rtt_min_us, \
                 rtt_sum_us, rtt_max_us) VALUES ",
            );
            push_placeholders(&mut sql, chunk.len(), 9);
            sql.push_str(
                " ON CONFLICT (access_id, target, period, bucket) DO UPDATE SET \
                 sent = probe_stats.sent + excluded.sent, lost = probe_stats.lost + excluded.lost, \
                 rtt_min_us = CASE WHEN probe_stats.rtt_min_us IS NULL OR excluded.rtt_min_us < probe_stats.rtt_min_us \
                   THEN COALESCE(excluded.rtt_min_us, probe_stats.rtt_min_us) ELSE probe_stats.rtt_min_us END, \
                 rtt_sum_us = probe_stats.rtt_sum_us + excluded.rtt_sum_us, \
                 rtt_max_us = CASE WHEN probe_stats.rtt_max_us IS NULL OR excluded.rtt_max_us > probe_stats.rtt_max_us \
                   THEN COALESCE(excluded.rtt_max_us, probe_stats.rtt_max_us) ELSE probe_stats.rtt_max_us END",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for d in chunk {
                q = q
                    .bind(d.access_id.0)
                    .bind(d.target.clone())
                    .bind(d.period)
                    .bind(d.bucket)
                    .bind(d.sent)
                    .bind(d.lost)
                    .bind(d.rtt_min_us)
                    .bind(d.rtt_sum_us)
                    .bind(d.rtt_max_us);
            }
            q.execute(self.conn()).await?;
        }
        Ok(())
    }

    /// An access's probe counts per bucket of `period` in `[from, until)`
    /// (epoch seconds), its targets summed.
    pub async fn probe_stats(
        &mut self,
        access: AccessId,
        period: &str,
        from: i64,
        until: i64,
    ) -> Result<Vec<StatsRow>, StoreError> {
        let rows = sqlx::query(
            // PostgreSQL sums BIGINTs as NUMERIC, which `Any` cannot decode.
            "SELECT bucket, CAST(SUM(sent) AS BIGINT) AS sent, CAST(SUM(lost) AS BIGINT) AS lost, \
             MIN(rtt_min_us) AS rtt_min_us, CAST(SUM(rtt_sum_us) AS BIGINT) AS rtt_sum_us, \
             MAX(rtt_max_us) AS rtt_max_us FROM probe_stats \
             WHERE access_id = $1 AND period = $2 AND bucket >= $3 AND bucket < $4 GROUP BY bucket ORDER BY bucket",
        )
        .bind(access.0)
        .bind(period)
        .bind(from)
        .bind(until)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StatsRow {
                    bucket: r.try_get("bucket")?,
                    sent: r.try_get("sent")?,
                    lost: r.try_get("lost")?,
                    rtt_min_us: r.try_get("rtt_min_us")?,
                    rtt_sum_us: r.try_get("rtt_sum_us")?,
                    rtt_max_us: r.try_get("rtt_max_us")?,
                })
            })
            .collect()
    }

    // ----- gaps -----

    pub async fn open_gap(
        &mut self,
        worker: &str,
        started_ms: i64,
        probed: i64,
        failed: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO monitoring_gaps (worker, started_ms, probed, failed) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(worker)
        .bind(started_ms)
        .bind(probed)
        .bind(failed)
        .fetch_one(self.conn())
        .await?;
        id(&row)
    }

    /// Ends a worker's open gap at `ended_ms`.
    pub async fn close_gap(&mut self, worker: &str, ended_ms: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE monitoring_gaps SET ended_ms = $1 WHERE worker = $2 AND ended_ms IS NULL")
            .bind(ended_ms)
            .bind(worker)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Gaps overlapping `[from_ms, until_ms)`, open ones included, by start.
    pub async fn gaps(&mut self, from_ms: i64, until_ms: i64) -> Result<Vec<GapRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, worker, started_ms, ended_ms, probed, failed FROM monitoring_gaps \
             WHERE started_ms < $1 AND (ended_ms IS NULL OR ended_ms > $2) ORDER BY started_ms, id",
        )
        .bind(until_ms)
        .bind(from_ms)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(GapRow {
                    id: id(r)?,
                    worker: r.try_get("worker")?,
                    started_ms: r.try_get("started_ms")?,
                    ended_ms: r.try_get("ended_ms")?,
                    probed: r.try_get("probed")?,
                    failed: r.try_get("failed")?,
                })
            })
            .collect()
    }

    // ----- workers and leases -----

    /// Records that `worker` is alive at `now_ms`.
    pub async fn heartbeat(&mut self, worker: &str, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO probe_workers (worker, started_ms, heartbeat_ms) VALUES ($1, $2, $2) \
             ON CONFLICT (worker) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms",
        )
        .bind(worker)
        .bind(now_ms)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Workers whose last heartbeat is at or after `since_ms`, by name.
    pub async fn live_workers(&mut self, since_ms: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT worker FROM probe_workers WHERE heartbeat_ms >= $1 ORDER BY worker")
            .bind(since_ms)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(|r| r.try_get("worker").map_err(StoreError::from)).collect()
    }

    /// Makes sure shards `0..count` exist (new ones free), in one statement.
    pub async fn ensure_shards(&mut self, count: i64) -> Result<(), StoreError> {
        let rows = usize::try_from(count.max(0)).unwrap_or(0);
        if rows == 0 {
            return Ok(());
        }
        let mut sql = String::from("INSERT INTO probe_leases (shard, expires_ms) VALUES ");
        push_placeholders(&mut sql, rows, 2);
        sql.push_str(" ON CONFLICT (shard) DO NOTHING");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for shard in 0..count {
            q = q.bind(shard).bind(0_i64);
        }
        q.execute(self.conn()).await?;
        Ok(())
    }

    /// Renews `worker`'s leases until `expires_ms`, gives back all but
    /// `keep` of them (the highest shards go), and takes free or expired
    /// shards until it holds `keep`. Returns the shards it holds, sorted.
    /// Each statement re-checks its condition on the rows it changes, so
    /// two workers never hold the same shard on either backend.
    pub async fn balance_leases(
        &mut self,
        worker: &str,
        now_ms: i64,
        expires_ms: i64,
        keep: i64,
    ) -> Result<Vec<i64>, StoreError> {
        sqlx::query("UPDATE probe_leases SET expires_ms = $1 WHERE worker = $2 AND expires_ms > $3")
            .bind(expires_ms)
            .bind(worker)
            .bind(now_ms)
            .execute(self.conn())
            .await?;
        let mut held = self.held_shards(worker, now_ms).await?;
        let keep = usize::try_from(keep.max(0)).unwrap_or(0);
        if held.len() > keep {
            for shard in held.split_off(keep) {
                sqlx::query(
                    "UPDATE probe_leases SET worker = NULL, expires_ms = 0 WHERE shard = $1 AND worker = $2",
                )
                .bind(shard)
                .bind(worker)
                .execute(self.conn())
                .await?;
            }
        } else if held.len() < keep {
            let want = i64::try_from(keep - held.len()).unwrap_or(0);
            sqlx::query(
                "UPDATE probe_leases SET worker = $1, expires_ms = $2 WHERE shard IN \
                 (SELECT shard FROM probe_leases WHERE worker IS NULL OR expires_ms <= $3 ORDER BY shard LIMIT $4) \
                 AND (worker IS NULL OR expires_ms <= $3)",
            )
            .bind(worker)
            .bind(expires_ms)
            .bind(now_ms)
            .bind(want)
            .execute(self.conn())
            .await?;
            held = self.held_shards(worker, now_ms).await?;
        }
        Ok(held)
    }

    /// The worker holding each shard whose lease is alive at `now_ms`.
    pub async fn lease_holders(&mut self, now_ms: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT worker FROM probe_leases WHERE worker IS NOT NULL AND expires_ms > $1 ORDER BY shard",
        )
        .bind(now_ms)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| r.try_get("worker").map_err(StoreError::from)).collect()
    }

    async fn held_shards(&mut self, worker: &str, now_ms: i64) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT shard FROM probe_leases WHERE worker = $1 AND expires_ms > $2 ORDER BY shard",
        )
        .bind(worker)
        .bind(now_ms)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| r.try_get("shard").map_err(StoreError::from)).collect()
    }

    // ----- external alerts -----

    pub async fn alert_by_identity(
        &mut self,
        source: &str,
        key: &str,
        starts_at: i64,
    ) -> Result<Option<AlertRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM external_alerts WHERE source = $1 AND alert_key = $2 AND starts_at = $3"
        )))
        .bind(source)
        .bind(key)
        .bind(starts_at)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(decode_alert).transpose()
    }

    /// The latest firing alert of this identity (Zabbix resolves by key).
    pub async fn latest_alert(&mut self, source: &str, key: &str) -> Result<Option<AlertRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM external_alerts WHERE source = $1 AND alert_key = $2 \
             ORDER BY starts_at DESC, id DESC LIMIT 1"
        )))
        .bind(source)
        .bind(key)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(decode_alert).transpose()
    }

    /// Inserts an alert (its `id` is ignored); returns its id.
    pub async fn insert_alert(&mut self, a: &AlertRow) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO external_alerts (source, alert_key, starts_at, ends_at, status, name, summary, labels, \
             address, access_id, incident_id, deliveries, received_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(&a.source)
        .bind(&a.alert_key)
        .bind(a.starts_at)
        .bind(a.ends_at)
        .bind(&a.status)
        .bind(&a.name)
        .bind(&a.summary)
        .bind(&a.labels)
        .bind(a.address.as_deref())
        .bind(a.access_id.map(|x| x.0))
        .bind(a.incident_id.map(|x| x.0))
        .bind(a.deliveries)
        .bind(a.received_at)
        .bind(a.updated_at)
        .fetch_one(self.conn())
        .await?;
        id(&row)
    }

    /// Writes an alert's status, end, incident and delivery count.
    pub async fn update_alert(&mut self, a: &AlertRow) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE external_alerts SET status = $1, ends_at = $2, incident_id = $3, deliveries = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(&a.status)
        .bind(a.ends_at)
        .bind(a.incident_id.map(|x| x.0))
        .bind(a.deliveries)
        .bind(a.updated_at)
        .bind(a.id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Alerts newest first; only those matched to no access when `unmatched`.
    pub async fn alerts(&mut self, unmatched: bool, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
        let filter = if unmatched { "WHERE access_id IS NULL " } else { "" };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM external_alerts {filter}ORDER BY received_at DESC, id DESC LIMIT $1"
        )))
        .bind(limit.max(0))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(decode_alert).collect()
    }

    /// The active access whose probe targets include `address`.
    pub async fn access_by_probe_target(&mut self, address: &str) -> Result<Option<AccessId>, StoreError> {
        // The targets are a comma-separated list: match the address between
        // commas (an address holds no `%` or `_`).
        let row = sqlx::query(
            "SELECT id FROM accesses WHERE status = 'active' AND (',' || probe_targets || ',') LIKE $1 \
             ORDER BY id LIMIT 1",
        )
        .bind(format!("%,{address},%"))
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(id).transpose().map(|o| o.map(AccessId))
    }

    // ----- operators' webhooks -----

    /// An operator's webhook URL and secret.
    pub async fn operator_webhook(
        &mut self,
        operator: OperatorId,
    ) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query("SELECT url, secret FROM operator_webhooks WHERE operator_id = $1")
            .bind(operator.0)
            .fetch_optional(self.conn())
            .await?;
        row.map(|r| Ok((r.try_get("url")?, r.try_get("secret")?))).transpose()
    }

    /// Sets (or with `None` removes) an operator's webhook.
    pub async fn save_operator_webhook(
        &mut self,
        operator: OperatorId,
        hook: Option<(&str, &str)>,
    ) -> Result<(), StoreError> {
        match hook {
            None => {
                sqlx::query("DELETE FROM operator_webhooks WHERE operator_id = $1")
                    .bind(operator.0)
                    .execute(self.conn())
                    .await?;
            }
            Some((url, secret)) => {
                sqlx::query(
                    "INSERT INTO operator_webhooks (operator_id, url, secret) VALUES ($1, $2, $3) \
                     ON CONFLICT (operator_id) DO UPDATE SET url = excluded.url, secret = excluded.secret",
                )
                .bind(operator.0)
                .bind(url)
                .bind(secret)
                .execute(self.conn())
                .await?;
            }
        }
        Ok(())
    }

    /// Queues a webhook call, due at once.
    pub async fn insert_webhook(
        &mut self,
        operator: OperatorId,
        url: &str,
        kind: &str,
        body: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO webhook_outbox (created_at, operator_id, url, kind, body, attempts, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $1) RETURNING id",
        )
        .bind(now)
        .bind(operator.0)
        .bind(url)
        .bind(kind)
        .bind(body)
        .fetch_one(self.conn())
        .await?;
        id(&row)
    }

    /// Claims due webhook calls like [`Tx::claim_due_mail`] claims mail.
    pub async fn claim_due_webhooks(
        &mut self,
        now: i64,
        limit: i64,
        lease_until: i64,
    ) -> Result<Vec<WebhookRecord>, StoreError> {
        const DUE: &str = "sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2";
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE webhook_outbox SET next_attempt_at = $1 WHERE id IN (SELECT id FROM webhook_outbox WHERE {DUE} \
             ORDER BY id LIMIT $3) AND {DUE} RETURNING id, operator_id, url, kind, body, attempts"
        )))
        .bind(lease_until)
        .bind(now)
        .bind(limit.max(0))
        .fetch_all(self.conn())
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(WebhookRecord {
                    id: id(r)?,
                    operator_id: OperatorId(r.try_get("operator_id")?),
                    url: r.try_get("url")?,
                    kind: r.try_get("kind")?,
                    body: r.try_get("body")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_unstable_by_key(|w| w.id);
        Ok(out)
    }

    /// Records an attempt: sent (`error` `None`), to retry at `retry_at`, or
    /// given up (an error and no retry).
    pub async fn mark_webhook(
        &mut self,
        id: i64,
        now: i64,
        error: Option<&str>,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let sql = match (error, retry_at) {
            (None, _) => {
                "UPDATE webhook_outbox SET attempts = attempts + 1, sent_at = $1, last_error = $2 WHERE id = $3"
            }
            (Some(_), Some(_)) => {
                "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3"
            }
            (Some(_), None) => {
                "UPDATE webhook_outbox SET attempts = attempts + 1, failed_at = $1, last_error = $2 WHERE id = $3"
            }
        };
        sqlx::query(sql).bind(retry_at.unwrap_or(now)).bind(error).bind(id).execute(self.conn()).await?;
        Ok(())
    }

    // ----- retention -----

    /// Deletes hourly statistics before `hour_before`, daily ones before
    /// `day_before` (epoch seconds), and ended link outages and gaps that
    /// ended before `outage_before_ms`. Returns the rows deleted.
    pub async fn prune_monitoring(
        &mut self,
        hour_before: i64,
        day_before: i64,
        outage_before_ms: i64,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        for (sql, v) in [
            ("DELETE FROM probe_stats WHERE period = 'hour' AND bucket < $1", hour_before),
            ("DELETE FROM probe_stats WHERE period = 'day' AND bucket < $1", day_before),
            ("DELETE FROM link_outages WHERE ended_ms IS NOT NULL AND ended_ms < $1", outage_before_ms),
            ("DELETE FROM monitoring_gaps WHERE ended_ms IS NOT NULL AND ended_ms < $1", outage_before_ms),
        ] {
            n += sqlx::query(sql).bind(v).execute(self.conn()).await?.rows_affected();
        }
        Ok(n)
    }

    // ----- incidents opened by the monitor or an alert -----

    /// The incident opened for this origin (`monitor:…`, `alertmanager:…`).
    pub async fn incident_by_origin(&mut self, origin: &str) -> Result<Option<IncidentId>, StoreError> {
        let row = sqlx::query("SELECT id FROM incidents WHERE origin_key = $1")
            .bind(origin)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(id).transpose().map(|o| o.map(IncidentId))
    }

    pub async fn set_incident_origin(
        &mut self,
        incident: IncidentId,
        origin: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE incidents SET origin_key = $1 WHERE id = $2")
            .bind(origin)
            .bind(incident.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The open incident the monitor opened for an access, if any.
    pub async fn open_monitor_incident(
        &mut self,
        access: AccessId,
    ) -> Result<Option<IncidentId>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM incidents WHERE access_id = $1 AND source = 'monitor' AND ended_at IS NULL \
             AND origin_key IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT 1",
        )
        .bind(access.0)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(id).transpose().map(|o| o.map(IncidentId))
    }
}

fn decode_override(r: &AnyRow) -> Result<ProbeOverride, StoreError> {
    let port: Option<i64> = r.try_get("port")?;
    Ok(ProbeOverride {
        method: r.try_get("method")?,
        port: port
            .map(|p| u16::try_from(p).map_err(|_| StoreError::Corrupt(format!("port: {p}"))))
            .transpose()?,
        interval_ms: u32_opt(r, "interval_ms")?,
        timeout_ms: u32_opt(r, "timeout_ms")?,
        retries: u32_opt(r, "retries")?,
    })
}
