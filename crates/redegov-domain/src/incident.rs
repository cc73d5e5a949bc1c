//! Incidents (chamados) and maintenance windows as the measurement sees them:
//! responsibility, the incident life cycle (with its TMF621 trouble-ticket
//! names), input validation, repair time, and the maintenance notice rule.
//!
//! Storage, notification and the API live above; this module only states the
//! rules, with `now` as a parameter.

use crate::error::{FieldError, Rule, Valid};
use crate::ids::{AccessId, IncidentId, LotId, UserId, WindowId};
use crate::inventory::code_enum;
use crate::measure::{Span, union};
use crate::time::Timestamp;
use serde::Serialize;
use std::net::IpAddr;

code_enum!(
    /// Who caused an outage. Only `Operator` time counts as downtime.
    Responsibility {
        Operator = "operator" / "Operadora",
        Agency = "agency" / "Órgão",
        ThirdParty = "third_party" / "Terceiros",
        ForceMajeure = "force_majeure" / "Caso fortuito ou força maior",
        ScheduledMaintenance = "scheduled_maintenance" / "Manutenção programada",
    }
);

impl Responsibility {
    /// Whether this time is discounted from the operator's invoice.
    pub fn counts_as_downtime(self) -> bool {
        self == Responsibility::Operator
    }
}

code_enum!(
    /// Where an incident is in its life.
    IncidentStatus {
        Open = "open" / "Aberto",
        WithOperator = "with_operator" / "Com a operadora",
        Resolved = "resolved" / "Resolvido",
        Confirmed = "confirmed" / "Confirmado",
        Closed = "closed" / "Encerrado",
    }
);

code_enum!(
    /// How an incident was reported.
    IncidentSource {
        ServiceDesk = "service_desk" / "Central de atendimento",
        Monitor = "monitor" / "Monitoramento",
        Alert = "alert" / "Alerta externo",
        Manual = "manual" / "Manual",
    }
);

code_enum!(
    /// Where a maintenance window is in its approval.
    WindowStatus {
        Proposed = "proposed" / "Proposta",
        Approved = "approved" / "Aprovada",
        Rejected = "rejected" / "Rejeitada",
    }
);

/// An incident (chamado) as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub id: IncidentId,
    pub access_id: AccessId,
    /// `None`: the whole access was down; `Some`: only that link.
    pub probe_target: Option<IpAddr>,
    pub started_at: Timestamp,
    /// `None` while open.
    pub ended_at: Option<Timestamp>,
    pub responsibility: Responsibility,
    pub status: IncidentStatus,
    pub cause: String,
    pub ticket: String,
    /// Intervals waiting for the agency (epoch seconds), merged.
    pub clock_stops: Vec<Span>,
    pub notes: String,
    pub source: IncidentSource,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What a maintenance window covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowTarget {
    Access(AccessId),
    Lot(LotId),
}

/// A maintenance window announced by the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenanceWindow {
    pub id: WindowId,
    pub target: WindowTarget,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub announced_at: Timestamp,
    pub description: String,
    pub status: WindowStatus,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
    pub decision_reason: String,
    pub created_by: Option<UserId>,
}

impl IncidentStatus {
    /// The TMF621 (Trouble Ticket) state an external system would use.
    /// Confirmation by the NOC is an internal step of TMF621's `resolved`.
    pub fn tmf621(self) -> &'static str {
        match self {
            IncidentStatus::Open => "acknowledged",
            IncidentStatus::WithOperator => "inProgress",
            IncidentStatus::Resolved | IncidentStatus::Confirmed => "resolved",
            IncidentStatus::Closed => "closed",
        }
    }

    /// open → with_operator → resolved → confirmed → closed; a short outage
    /// may be resolved straight from open; the NOC may send a resolution back.
    pub fn can_become(self, next: IncidentStatus) -> bool {
        use IncidentStatus::*;
        matches!(
            (self, next),
            (Open, WithOperator)
                | (Open, Resolved)
                | (WithOperator, Resolved)
                | (Resolved, Confirmed)
                | (Resolved, WithOperator)
                | (Confirmed, Closed)
        )
    }

    /// Checks a transition, naming the rule when it is refused.
    pub fn transition(self, next: IncidentStatus) -> Valid<IncidentStatus> {
        if self.can_become(next) {
            Ok(next)
        } else {
            Err(FieldError::new("status", Rule::InvalidTransition { from: self.as_str(), to: next.as_str() }))
        }
    }
}

/// The timing of an incident, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentTiming {
    pub started_at: i64,
    /// `None` while the incident is open.
    pub ended_at: Option<i64>,
    /// Merged, each inside the incident.
    pub clock_stops: Vec<Span>,
    /// `None`: the whole access; `Some(i)`: only that probe target's link.
    pub link: Option<usize>,
}

/// Validates an incident's timing against its access's probe targets: the end
/// after the start, every clock stop inside the incident and well-formed, the
/// probe target (if any) one of the access's.
pub fn validate_timing(
    started_at: i64,
    ended_at: Option<i64>,
    clock_stops: &[Span],
    probe_target: Option<IpAddr>,
    access_targets: &[IpAddr],
) -> Valid<IncidentTiming> {
    if let Some(end) = ended_at
        && end <= started_at
    {
        return Err(FieldError::new("ended_at", Rule::DatesOutOfOrder));
    }
    for (i, stop) in clock_stops.iter().enumerate() {
        if stop.end <= stop.start {
            return Err(FieldError::new(format!("clock_stops[{i}].to"), Rule::DatesOutOfOrder));
        }
        if stop.start < started_at || ended_at.is_some_and(|end| stop.end > end) {
            return Err(FieldError::new(format!("clock_stops[{i}]"), Rule::OutsideIncident));
        }
    }
    let link = match probe_target {
        None => None,
        Some(ip) => Some(
            access_targets
                .iter()
                .position(|t| *t == ip)
                .ok_or_else(|| FieldError::new("probe_target", Rule::UnknownReference))?,
        ),
    };
    Ok(IncidentTiming { started_at, ended_at, clock_stops: union(clock_stops), link })
}

/// Repair time: resolution − opening − clock stops (DOMAIN §5). An open
/// incident is measured up to `now`.
pub fn repair_seconds(timing: &IncidentTiming, now: i64) -> i64 {
    let end = timing.ended_at.unwrap_or(now).max(timing.started_at);
    let stopped: i64 = timing.clock_stops.iter().map(|s| s.end.min(end) - s.start.min(end)).sum();
    end - timing.started_at - stopped
}

/// A maintenance window must be announced at least `notice_seconds` ahead.
pub fn check_notice(announced_at: i64, starts_at: i64, ends_at: i64, notice_seconds: i64) -> Valid<()> {
    if ends_at <= starts_at {
        return Err(FieldError::new("ends_at", Rule::DatesOutOfOrder));
    }
    if starts_at - announced_at < notice_seconds {
        return Err(FieldError::new("starts_at", Rule::NoticeTooShort { hours: notice_seconds / 3600 }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    #[test]
    fn life_cycle_and_tmf621_names() {
        use IncidentStatus::*;
        assert_eq!(Open.transition(WithOperator), Ok(WithOperator));
        assert_eq!(Resolved.transition(WithOperator), Ok(WithOperator), "the NOC sends it back");
        assert!(Open.transition(Closed).is_err());
        assert!(Closed.transition(Open).is_err());
        assert_eq!(
            [Open, WithOperator, Resolved, Confirmed, Closed].map(IncidentStatus::tmf621),
            ["acknowledged", "inProgress", "resolved", "resolved", "closed"]
        );
        assert!(Responsibility::Operator.counts_as_downtime());
        assert!(!Responsibility::ForceMajeure.counts_as_downtime());
        assert_eq!(Responsibility::parse("r", "third_party"), Ok(Responsibility::ThirdParty));
        assert_eq!(Responsibility::parse("responsibility", "nobody").unwrap_err().field, "responsibility");
    }

    #[test]
    fn timing_rules_name_their_field() {
        let targets: Vec<IpAddr> = vec!["10.0.0.1".parse().expect("ip"), "10.0.1.1".parse().expect("ip")];
        type Case<'a> = (Option<i64>, Vec<Span>, Option<&'a str>, &'a str);
        let cases: Vec<Case> = vec![
            (Some(0), vec![], None, "ended_at"),
            (Some(10 * H), vec![Span::new(H, H)], None, "clock_stops[0].to"),
            (Some(10 * H), vec![Span::new(9 * H, 11 * H)], None, "clock_stops[0]"),
            (Some(10 * H), vec![], Some("10.9.9.9"), "probe_target"),
        ];
        for (end, stops, target, field) in cases {
            let target = target.map(|t| t.parse().expect("ip"));
            let err = validate_timing(0, end, &stops, target, &targets).unwrap_err();
            assert_eq!(err.field, field);
        }
        let ok = validate_timing(0, None, &[Span::new(H, 2 * H)], Some(targets[1]), &targets).expect("valid");
        assert_eq!(ok.link, Some(1));
    }

    #[test]
    fn repair_time_excludes_clock_stops() {
        let t = validate_timing(0, Some(10 * H), &[Span::new(H, 3 * H), Span::new(2 * H, 4 * H)], None, &[])
            .expect("valid");
        assert_eq!(repair_seconds(&t, 0), 7 * H, "10 h minus 3 h waiting (merged stops)");
        let open = validate_timing(0, None, &[Span::new(H, 2 * H)], None, &[]).expect("valid");
        assert_eq!(repair_seconds(&open, 5 * H), 4 * H);
    }

    #[test]
    fn maintenance_needs_notice() {
        assert!(check_notice(0, 48 * H, 50 * H, 48 * H).is_ok());
        assert_eq!(check_notice(0, 47 * H, 50 * H, 48 * H).unwrap_err().field, "starts_at");
        assert_eq!(check_notice(0, 50 * H, 50 * H, 48 * H).unwrap_err().field, "ends_at");
    }
}
