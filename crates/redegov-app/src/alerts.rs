//! Alerts from external monitors (Prometheus Alertmanager, Zabbix), parsed
//! by the domain ([`redegov_domain::alert`]) and ingested here: each alert
//! instance — its source, key and start — is recorded once; a firing alert
//! matched to an access (by its `access_id` label or its address among the
//! accesses' probe targets) opens an incident (source `alert`,
//! responsibility `operator` pending the NOC's confirmation), and its
//! resolution closes it with the alert's end time. The same delivery twice
//! opens one incident and changes nothing else but a delivery count; an
//! alert for no known access is kept as unmatched, visible to the NOC.

use crate::noc::{Notifier, Origin, open_detected, resolve_detected};
use crate::{App, AppError, AppResult};
use redegov_domain::alert::{AlertStatus, ExternalAlert, alert_key};
use redegov_domain::ids::*;
use redegov_domain::incident::{IncidentSource, IncidentStatus, Responsibility};
use redegov_domain::role::{Actor, Role};
use redegov_domain::time::{Timestamp, from_epoch};
use redegov_store::Tx;
use redegov_store::incidents::NewIncident;
use redegov_store::monitor::AlertRow;

pub use redegov_store::monitor::AlertRow as StoredAlert;

/// What one delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestReport {
    pub received: usize,
    /// Alerts seen for the first time.
    pub recorded: usize,
    /// Deliveries of an alert already recorded in the same state.
    pub repeated: usize,
    /// Alerts no access was found for.
    pub unmatched: usize,
    pub opened: Vec<IncidentId>,
    pub resolved: Vec<IncidentId>,
}

impl App {
    /// Ingests a delivery of alerts in one transaction. Admin and network
    /// manager (a monitor's API token) only.
    pub async fn ingest_alerts(&self, actor: &Actor, alerts: Vec<ExternalAlert>) -> AppResult<IngestReport> {
        if !matches!(actor.role, Role::Admin | Role::NetworkManager) {
            return Err(AppError::Forbidden("send monitoring alerts"));
        }
        let now = self.now();
        let mut tx = self.store().write().await?;
        let mut report = IngestReport { received: alerts.len(), ..IngestReport::default() };
        let mut notifier = Notifier::new(self.public_url());
        for alert in &alerts {
            ingest_one(&mut tx, &mut notifier, actor, alert, now, &mut report).await?;
        }
        tx.commit().await?;
        for alert in &alerts {
            metrics::counter!("redegov_alerts_received_total", "source" => alert.source.as_str())
                .increment(1);
        }
        Ok(report)
    }

    /// The alerts received, newest first (NOC roles); only the unmatched
    /// ones when `unmatched`.
    pub async fn list_alerts(
        &self,
        actor: &Actor,
        unmatched: bool,
        limit: i64,
    ) -> AppResult<Vec<StoredAlert>> {
        if !matches!(actor.role, Role::Admin | Role::NetworkManager | Role::Auditor) {
            return Err(AppError::Forbidden("read the monitoring alerts"));
        }
        let mut tx = self.store().read().await?;
        Ok(tx.alerts(unmatched, limit.clamp(1, 10_000)).await?)
    }
}

/// Records one alert of a delivery and opens or resolves its incident.
async fn ingest_one(
    tx: &mut Tx,
    notifier: &mut Notifier<'_>,
    actor: &Actor,
    alert: &ExternalAlert,
    now: Timestamp,
    report: &mut IngestReport,
) -> AppResult<()> {
    let key = alert_key(alert);
    let source = alert.source.as_str();
    let starts_at = alert.starts_at.timestamp();
    let ends_at = alert.ends_at.map(|t| t.timestamp().max(starts_at).min(now.timestamp()));
    if let Some(mut stored) = tx.alert_by_identity(source, &key, starts_at).await? {
        stored.deliveries += 1;
        stored.updated_at = now.timestamp();
        let resolves =
            alert.status == AlertStatus::Resolved && stored.status != AlertStatus::Resolved.as_str();
        if resolves {
            stored.status = AlertStatus::Resolved.as_str().into();
            stored.ends_at = ends_at;
            if let (Some(incident), Some(end)) = (stored.incident_id, ends_at)
                && resolve_detected(tx, notifier, actor, incident, from_epoch(end), now).await?
            {
                report.resolved.push(incident);
            }
        } else {
            report.repeated += 1;
        }
        tx.update_alert(&stored).await?;
        return Ok(());
    }
    let access = matched_access(tx, notifier, alert).await?;
    let mut row = AlertRow {
        id: 0,
        source: source.into(),
        alert_key: key.clone(),
        starts_at,
        ends_at: if alert.status == AlertStatus::Resolved { ends_at } else { None },
        status: alert.status.as_str().into(),
        name: alert.name.clone(),
        summary: alert.summary.clone(),
        labels: serde_json::to_string(&alert.labels).map_err(|e| AppError::Internal(e.to_string()))?,
        address: alert.hint.address.map(|a| a.to_string()),
        access_id: access,
        incident_id: None,
        deliveries: 1,
        received_at: now.timestamp(),
        updated_at: now.timestamp(),
    };
    report.recorded += 1;
    match access {
        None => report.unmatched += 1,
        Some(_) => {
            let origin = format!("{key}:{starts_at}");
            match open(tx, notifier, actor, alert, &row, &origin, now).await? {
                Some(id) => {
                    row.incident_id = Some(id);
                    report.opened.push(id);
                    if row.ends_at.is_some() {
                        report.resolved.push(id);
                    }
                }
                None => tracing::warn!(%origin, "alert in a closed month: recorded without an incident"),
            }
        }
    }
    tx.insert_alert(&row).await?;
    Ok(())
}

/// The access an alert is about: its `access_id` label when that access
/// exists, else the active access whose probe targets hold its address
/// (the store matches it exactly, between the list's commas). The row is
/// kept by the notifier for the incident's notice.
async fn matched_access(
    tx: &mut Tx,
    notifier: &mut Notifier<'_>,
    alert: &ExternalAlert,
) -> AppResult<Option<AccessId>> {
    if let Some(id) = alert.hint.access_id
        && notifier.access(tx, AccessId(id)).await?.is_some()
    {
        return Ok(Some(AccessId(id)));
    }
    match alert.hint.address {
        None => Ok(None),
        Some(addr) => Ok(tx.access_by_probe_target(&addr.to_string()).await?),
    }
}

/// Opens the incident of a matched alert (already resolved when the alert
/// is); `None` when its start lies in a closed month.
async fn open(
    tx: &mut Tx,
    notifier: &mut Notifier<'_>,
    actor: &Actor,
    alert: &ExternalAlert,
    row: &AlertRow,
    origin: &str,
    now: Timestamp,
) -> AppResult<Option<IncidentId>> {
    let Some(access) = row.access_id else { return Ok(None) };
    let ended = row.ends_at.map(from_epoch);
    let new = NewIncident {
        access_id: access,
        probe_target: None,
        started_at: from_epoch(row.starts_at.min(now.timestamp())),
        ended_at: ended,
        responsibility: Responsibility::Operator,
        status: if ended.is_some() { IncidentStatus::Resolved } else { IncidentStatus::Open },
        cause: format!("Alerta {}: {}", alert.source.label(), alert.name),
        ticket: String::new(),
        clock_stops: Vec::new(),
        notes: alert.summary.clone(),
        source: IncidentSource::Alert,
    };
    Ok(open_detected(tx, notifier, actor, new, Origin::New(origin), now).await?.map(|(id, _)| id))
}
