//! Alerts from external monitors — Prometheus Alertmanager (webhook payload
//! version 4) and Zabbix (our webhook media type, `docs/zabbix-media-type.md`)
//! — validated and normalised into one [`ExternalAlert`].
//!
//! An external monitor may feed outages instead of the built-in prober
//! (DOMAIN §5). Each delivery is parsed here into alerts that say *what* is
//! firing or resolved, *since when*, and *how to find the access* (an explicit
//! `access_id`, or the probed address). Deliveries repeat (Alertmanager
//! re-sends a group every `repeat_interval`, Zabbix retries a failed call), so
//! every alert carries a stable [`ExternalAlert::key`] and [`alert_key`] makes
//! it the idempotency key.
//!
//! This module deliberately does not match an alert to an access, open or
//! close incidents, or check the caller's token: the app layer does that with
//! the rows it loaded. It reads no clock: every instant comes from the payload.
//! Malformed input is a [`FieldError`] that names the JSON path
//! (`alerts[2].startsAt`) and the rule; fields the monitors add in newer
//! versions are ignored.

use crate::error::{FieldError, Rule, Valid};
use crate::inventory::code_enum;
use crate::time::Timestamp;
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

code_enum!(
    /// Which monitor sent an alert.
    AlertSource {
        Alertmanager = "alertmanager" / "Prometheus Alertmanager",
        Zabbix = "zabbix" / "Zabbix",
    }
);

code_enum!(
    /// Whether the condition still holds.
    AlertStatus {
        Firing = "firing" / "Em alerta",
        Resolved = "resolved" / "Resolvido",
    }
);

/// How to find the access: an explicit label, or the probe target address.
///
/// Both may be present; `access_id` is the stronger hint and wins when the
/// caller matches. Neither is a valid outcome: the alert is then recorded as
/// unmatched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccessHint {
    /// The access's id as the monitor labelled it; not yet checked to exist.
    pub access_id: Option<i64>,
    pub address: Option<IpAddr>,
}

impl AccessHint {
    /// No way to find the access.
    pub fn is_empty(&self) -> bool {
        self.access_id.is_none() && self.address.is_none()
    }
}

/// One alert, whichever monitor sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalAlert {
    pub source: AlertSource,
    /// Stable identity across deliveries: Alertmanager's `fingerprint` (or the
    /// same hash computed from the labels when absent); Zabbix's problem event
    /// id, which its recovery event carries too.
    pub key: String,
    pub status: AlertStatus,
    pub starts_at: Timestamp,
    /// Only when resolved.
    pub ends_at: Option<Timestamp>,
    pub hint: AccessHint,
    /// Alertmanager's `alertname`, Zabbix's trigger (event) name.
    pub name: String,
    /// Alertmanager's `summary` (else `description`) annotation; Zabbix's message.
    pub summary: String,
    pub labels: BTreeMap<String, String>,
}

/// The idempotency key of an alert: `"<source>:<key>"`, e.g.
/// `alertmanager:1a30ba71cca2921f` or `zabbix:4711`.
///
/// The key names an alert, not one occurrence of it: once an Alertmanager
/// alert resolved, the same label set firing again comes with the same
/// fingerprint. So a firing alert updates the *open* record with its key, or
/// opens a new one when there is none; a resolved one closes the open record.
pub fn alert_key(a: &ExternalAlert) -> String {
    format!("{}:{}", a.source.as_str(), a.key)
}

/// An Alertmanager delivery: its alerts and what the envelope says about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertmanagerBatch {
    /// Identifies the alert group (`groupKey`); empty when absent.
    pub group_key: String,
    /// Alerts Alertmanager left out because of the receiver's `max_alerts`:
    /// more than zero means outages this delivery cannot tell about.
    pub truncated_alerts: u64,
    pub alerts: Vec<ExternalAlert>,
}

/// Parses an Alertmanager webhook body (payload version 4) into its alerts.
pub fn parse_alertmanager(body: &[u8]) -> Result<Vec<ExternalAlert>, FieldError> {
    parse_alertmanager_batch(body).map(|batch| batch.alerts)
}

/// Like [`parse_alertmanager`], keeping the envelope's `groupKey` and
/// `truncatedAlerts` for the caller's log.
pub fn parse_alertmanager_batch(body: &[u8]) -> Valid<AlertmanagerBatch> {
    let root = json_object(body)?;
    match root.get("version") {
        None | Some(Value::Null) => return Err(FieldError::new("version", Rule::Required)),
        Some(Value::String(v)) if v == "4" => {}
        Some(_) => return Err(FieldError::new("version", Rule::OneOf(&["4"]))),
    }
    let alerts = match root.get("alerts") {
        None | Some(Value::Null) => return Err(FieldError::new("alerts", Rule::Required)),
        Some(Value::Array(alerts)) => alerts,
        Some(_) => return Err(FieldError::new("alerts", Rule::Malformed("array"))),
    };
    // The envelope is informational only: a wrong type there must not cost the alerts.
    let group_key = root.get("groupKey").and_then(Value::as_str).unwrap_or_default().to_string();
    let truncated_alerts = root.get("truncatedAlerts").and_then(Value::as_u64).unwrap_or(0);
    let alerts = alerts
        .iter()
        .enumerate()
        .map(|(i, alert)| alertmanager_alert(&format!("alerts[{i}]"), alert))
        .collect::<Valid<Vec<_>>>()?;
    Ok(AlertmanagerBatch { group_key, truncated_alerts, alerts })
}

fn alertmanager_alert(path: &str, value: &Value) -> Valid<ExternalAlert> {
    let Value::Object(obj) = value else {
        return Err(FieldError::new(path, Rule::Malformed("object")));
    };
    let status_field = join(path, "status");
    let status = AlertStatus::parse(&status_field, optional_str(obj, path, "status")?.unwrap_or_default())?;
    let labels_field = join(path, "labels");
    let labels = string_map(obj.get("labels"), &labels_field)?
        .ok_or_else(|| FieldError::new(labels_field.as_str(), Rule::Required))?;
    let annotations = string_map(obj.get("annotations"), &join(path, "annotations"))?.unwrap_or_default();

    let starts_field = join(path, "startsAt");
    let starts_at = optional_instant(obj, path, "startsAt")?
        .filter(|at| !is_go_zero(*at))
        .ok_or_else(|| FieldError::new(starts_field.as_str(), Rule::Required))?;
    // A firing alert's endsAt is Go's zero time or Alertmanager's guess of
    // when it will time out; only a resolved one has a real end.
    let ends_field = join(path, "endsAt");
    let ends_at = match status {
        AlertStatus::Firing => None,
        AlertStatus::Resolved => {
            let end = optional_instant(obj, path, "endsAt")?
                .filter(|at| !is_go_zero(*at))
                .ok_or_else(|| FieldError::new(ends_field.as_str(), Rule::Required))?;
            if end < starts_at {
                return Err(FieldError::new(ends_field, Rule::DatesOutOfOrder));
            }
            Some(end)
        }
    };

    let key = match optional_str(obj, path, "fingerprint")?.map(str::trim).filter(|f| !f.is_empty()) {
        Some(fingerprint) => fingerprint.to_string(),
        None => labels_fingerprint(&labels),
    };
    let hint = hint_from_labels(path, &labels)?;
    let name = labels.get("alertname").map(|n| n.trim().to_string()).unwrap_or_default();
    let summary = ["summary", "description"]
        .iter()
        .filter_map(|k| annotations.get(*k))
        .map(|text| text.trim())
        .find(|text| !text.is_empty())
        .unwrap_or_default()
        .to_string();
    Ok(ExternalAlert {
        source: AlertSource::Alertmanager,
        key,
        status,
        starts_at,
        ends_at,
        hint,
        name,
        summary,
        labels,
    })
}

/// The access hint in an alert's labels: `access_id`, and the first of
/// `address`, `target`, `instance` that holds an IP address.
///
/// The explicit labels come before `instance` because `instance` is often the
/// exporter that made the probe (a blackbox exporter without relabelling), not
/// the probed device; it is also often a host name, which simply gives no
/// address.
fn hint_from_labels(path: &str, labels: &BTreeMap<String, String>) -> Valid<AccessHint> {
    let access_id = match labels.get("access_id").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        Some(text) => Some(parse_access_id(&format!("{path}.labels.access_id"), text)?),
        None => None,
    };
    let address =
        ["address", "target", "instance"].iter().filter_map(|k| labels.get(*k)).find_map(|v| ip_in(v));
    Ok(AccessHint { access_id, address })
}

/// Parses a Zabbix webhook body: the JSON our media type script sends, one
/// problem or recovery event (contract in `docs/zabbix-media-type.md`).
pub fn parse_zabbix(body: &[u8]) -> Result<ExternalAlert, FieldError> {
    let root = json_object(body)?;
    let event_id = match root.get("event_id") {
        None | Some(Value::Null) => return Err(FieldError::new("event_id", Rule::Required)),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(FieldError::new("event_id", Rule::Malformed("Zabbix event id (digits)"))),
    };
    if event_id.is_empty() {
        return Err(FieldError::new("event_id", Rule::Required));
    }
    if !event_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new("event_id", Rule::Malformed("Zabbix event id (digits)")));
    }

    let status = match optional_str(&root, "", "status")?.map(str::trim).unwrap_or_default() {
        "problem" => AlertStatus::Firing,
        "resolved" => AlertStatus::Resolved,
        "" => return Err(FieldError::new("status", Rule::Required)),
        _ => return Err(FieldError::new("status", Rule::OneOf(&["problem", "resolved"]))),
    };
    let starts_at = optional_instant(&root, "", "started_at")?
        .ok_or_else(|| FieldError::new("started_at", Rule::Required))?;
    let ends_at = match status {
        AlertStatus::Firing => None,
        AlertStatus::Resolved => {
            let end = optional_instant(&root, "", "ended_at")?
                .ok_or_else(|| FieldError::new("ended_at", Rule::Required))?;
            if end < starts_at {
                return Err(FieldError::new("ended_at", Rule::DatesOutOfOrder));
            }
            Some(end)
        }
    };
    let name = match optional_str(&root, "", "name")?.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_string(),
        None => return Err(FieldError::new("name", Rule::Required)),
    };
    let host = optional_str(&root, "", "host")?.unwrap_or_default().trim().to_string();
    let severity = optional_str(&root, "", "severity")?.unwrap_or_default().trim().to_string();
    let summary = optional_str(&root, "", "message")?.unwrap_or_default().trim().to_string();
    let tags = string_map(root.get("tags"), "tags")?.unwrap_or_default();

    let access_id = match root.get("access_id") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(parse_access_id("access_id", &n.to_string())?),
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(parse_access_id("access_id", s.trim())?),
        Some(_) => return Err(FieldError::new("access_id", Rule::Malformed("positive integer"))),
    };
    // The script fills `access_id` from the tag of that name; a hand-written
    // sender may only have sent the tags.
    let access_id = match (access_id, tags.get("access_id").map(|v| v.trim()).filter(|v| !v.is_empty())) {
        (Some(id), _) => Some(id),
        (None, Some(text)) => Some(parse_access_id("tags.access_id", text)?),
        (None, None) => None,
    };
    let address = match optional_str(&root, "", "address")?.map(str::trim).filter(|a| !a.is_empty()) {
        Some(text) => {
            Some(ip_in(text).ok_or_else(|| FieldError::new("address", Rule::Malformed("IP address")))?)
        }
        None => None,
    };

    let mut labels = tags;
    for (name, value) in [("host", &host), ("severity", &severity)] {
        if !value.is_empty() {
            labels.insert(name.to_string(), value.clone());
        }
    }
    Ok(ExternalAlert {
        source: AlertSource::Zabbix,
        key: event_id,
        status,
        starts_at,
        ends_at,
        hint: AccessHint { access_id, address },
        name,
        summary,
        labels,
    })
}

/// The fingerprint of a label set, as Prometheus computes it (64-bit FNV-1a
/// over the labels sorted by name, each name and value followed by a 0xFF
/// byte, written as 16 hex digits). Computing the very same value means an
/// alert keeps its key whether or not a sender includes `fingerprint`.
fn labels_fingerprint(labels: &BTreeMap<String, String>) -> String {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    const SEPARATOR: u8 = 0xff;
    let mut hash = OFFSET_BASIS;
    // A BTreeMap iterates in byte order of the names, the order Go's sort gives.
    for (name, value) in labels {
        let bytes = name.bytes().chain([SEPARATOR]).chain(value.bytes()).chain([SEPARATOR]);
        for byte in bytes {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:016x}")
}

/// A positive integer id.
fn parse_access_id(field: &str, text: &str) -> Valid<i64> {
    match text.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(FieldError::new(field, Rule::Malformed("positive integer"))),
    }
}

/// The IP address in a label value: `10.1.2.3`, `10.1.2.3:9100`,
/// `2001:db8::1`, `[2001:db8::1]:80`, also inside a URL
/// (`icmp://10.1.2.3`, `http://10.1.2.3:8080/metrics`). A host name gives
/// `None`: this module resolves nothing.
fn ip_in(value: &str) -> Option<IpAddr> {
    let text = value.trim();
    let text = match text.split_once("://") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or_default(),
        None => text,
    };
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).and_then(|t| t.parse::<IpAddr>().ok())
}

type Object = Map<String, Value>;

fn json_object(body: &[u8]) -> Valid<Object> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(root)) => Ok(root),
        Ok(_) => Err(FieldError::new("body", Rule::Malformed("JSON object"))),
        Err(_) => Err(FieldError::new("body", Rule::Malformed("JSON"))),
    }
}

/// `path.name`, or `name` at the top level.
fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}.{name}") }
}

/// A string member; `None` when absent or null.
fn optional_str<'a>(obj: &'a Object, path: &str, name: &str) -> Valid<Option<&'a str>> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str())),
        Some(_) => Err(FieldError::new(join(path, name), Rule::Malformed("string"))),
    }
}

/// An RFC 3339 instant (an offset is mandatory, so the instant is never a
/// guess); `None` when absent, null or blank.
fn optional_instant(obj: &Object, path: &str, name: &str) -> Valid<Option<Timestamp>> {
    match optional_str(obj, path, name)?.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|at| Some(at.with_timezone(&Utc)))
            .map_err(|_| FieldError::new(join(path, name), Rule::Malformed("RFC 3339 date-time"))),
    }
}

/// Go's zero `time.Time` (`0001-01-01T00:00:00Z`), which Alertmanager sends
/// for "not set". No real alert is that old.
fn is_go_zero(at: Timestamp) -> bool {
    at.year() <= 1
}

/// An object whose members are all strings (labels, annotations, tags).
fn string_map(value: Option<&Value>, path: &str) -> Valid<Option<BTreeMap<String, String>>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(members)) => members
            .iter()
            .map(|(name, value)| match value {
                Value::String(text) => Ok((name.clone(), text.clone())),
                _ => Err(FieldError::new(format!("{path}.{name}"), Rule::Malformed("string"))),
            })
            .collect::<Valid<BTreeMap<_, _>>>()
            .map(Some),
        Some(_) => Err(FieldError::new(path, Rule::Malformed("object of strings"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALERTMANAGER: &[u8] = include_bytes!("../tests/fixtures/alerts/alertmanager-v4.json");
    const ZABBIX_PROBLEM: &[u8] = include_bytes!("../tests/fixtures/alerts/zabbix-problem.json");
    const ZABBIX_RECOVERY: &[u8] = include_bytes!("../tests/fixtures/alerts/zabbix-recovery.json");

    fn at(text: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(text).expect("test instant").with_timezone(&Utc)
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A minimal valid version-4 body around the given alerts.
    fn am_body(alerts: Value) -> Vec<u8> {
        json!({ "version": "4", "status": "firing", "receiver": "redegov", "alerts": alerts })
            .to_string()
            .into_bytes()
    }

    fn firing(extra_labels: Value) -> Value {
        let mut alert = json!({
            "status": "firing",
            "labels": { "alertname": "AccessDown" },
            "annotations": {},
            "startsAt": "2026-03-02T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
        });
        if let (Some(target), Value::Object(extra)) = (alert["labels"].as_object_mut(), extra_labels) {
            target.extend(extra);
        }
        alert
    }

    /// Sets `alerts[index].<member>` in a fresh copy of the fixture and parses it.
    fn am_error(mutate: impl FnOnce(&mut Value)) -> FieldError {
        let mut root: Value = serde_json::from_slice(ALERTMANAGER).expect("fixture");
        mutate(&mut root);
        parse_alertmanager(root.to_string().as_bytes()).expect_err("must be refused")
    }

    fn zabbix_error(mutate: impl FnOnce(&mut Value)) -> FieldError {
        let mut root: Value = serde_json::from_slice(ZABBIX_RECOVERY).expect("fixture");
        mutate(&mut root);
        parse_zabbix(root.to_string().as_bytes()).expect_err("must be refused")
    }

    /// A case name, a change to a valid payload, and the error it must give.
    type ErrorCase = (&'static str, Box<dyn FnOnce(&mut Value)>, FieldError);

    fn err(field: &str, rule: Rule) -> FieldError {
        FieldError::new(field, rule)
    }

    #[test]
    fn codes() {
        assert_eq!(AlertSource::CODES, &["alertmanager", "zabbix"]);
        assert_eq!(AlertStatus::CODES, &["firing", "resolved"]);
        assert_eq!(AlertStatus::parse("s", "resolved"), Ok(AlertStatus::Resolved));
    }

    #[test]
    fn alertmanager_payload_parsed_fully() {
        let batch = parse_alertmanager_batch(ALERTMANAGER).expect("valid payload");
        assert_eq!(batch.group_key, "{}:{}");
        assert_eq!(batch.truncated_alerts, 0);
        let [down, up] = batch.alerts.as_slice() else { panic!("two alerts, got {:?}", batch.alerts) };

        assert_eq!(
            *down,
            ExternalAlert {
                source: AlertSource::Alertmanager,
                key: "7e966e62f388b53c".into(),
                status: AlertStatus::Firing,
                starts_at: at("2026-03-02T13:04:05.123456789Z"),
                ends_at: None,
                hint: AccessHint { access_id: Some(42), address: Some("10.20.30.40".parse().expect("ip")) },
                name: "AccessDown".into(),
                summary: "Acesso 42 (Escola Estadual Central) sem resposta a ICMP".into(),
                labels: labels(&[
                    ("access_id", "42"),
                    ("alertname", "AccessDown"),
                    ("instance", "10.20.30.40"),
                    ("job", "blackbox-icmp"),
                    ("severity", "critical"),
                ]),
            }
        );
        assert_eq!(alert_key(down), "alertmanager:7e966e62f388b53c");

        assert_eq!(up.status, AlertStatus::Resolved);
        assert_eq!(up.key, "bbfde70809d1ba53");
        assert_eq!(up.starts_at, at("2026-03-02T12:50:00Z"));
        assert_eq!(up.ends_at, Some(at("2026-03-02T13:10:00Z")));
        assert_eq!(up.hint, AccessHint { access_id: None, address: Some("10.0.0.5".parse().expect("ip")) });
        assert_eq!(up.name, "NodeDown");
        // No summary annotation: the description stands in.
        assert_eq!(up.summary, "node_exporter em 10.0.0.5:9100 não responde");
        assert_eq!(up.labels.get("instance").map(String::as_str), Some("10.0.0.5:9100"));
        // The fixture's fingerprints are the ones Alertmanager would compute.
        for alert in &batch.alerts {
            assert_eq!(labels_fingerprint(&alert.labels), alert.key);
        }
    }

    #[test]
    fn start_offset_is_kept_as_the_same_instant() {
        let body = am_body(json!([{
            "status": "firing", "labels": { "alertname": "X" },
            "startsAt": "2026-03-02T10:00:00.5-03:00", "endsAt": "2026-03-02T13:05:00Z",
        }]));
        let alerts = parse_alertmanager(&body).expect("valid");
        assert_eq!(alerts[0].starts_at, at("2026-03-02T13:00:00.5Z"));
        // A firing alert's endsAt (here Alertmanager's timeout guess) is not an end.
        assert_eq!(alerts[0].ends_at, None);
    }

    #[test]
    fn empty_alerts_and_unknown_fields_are_fine() {
        let body = json!({
            "version": "4", "alerts": [], "truncatedAlerts": 3,
            "newField": { "from": "a later Alertmanager" },
        });
        let batch = parse_alertmanager_batch(body.to_string().as_bytes()).expect("valid");
        assert!(batch.alerts.is_empty());
        assert_eq!(batch.truncated_alerts, 3);
        assert_eq!(parse_alertmanager(body.to_string().as_bytes()), Ok(vec![]));
    }

    #[test]
    fn missing_fingerprint_is_the_same_hash_as_alertmanagers() {
        let one = am_body(json!([firing(json!({ "job": "icmp", "instance": "10.9.8.7", "zone": "bh" }))]));
        let other = br#"{"version":"4","alerts":[{"status":"firing","startsAt":"2026-03-02T10:00:00Z",
            "labels":{"zone":"bh","instance":"10.9.8.7","alertname":"AccessDown","job":"icmp"}}]}"#;
        let one = parse_alertmanager(&one).expect("valid");
        let other = parse_alertmanager(other).expect("valid");
        assert_eq!(one[0].key, other[0].key);
        assert_eq!(one[0].key.len(), 16);
        assert!(one[0].key.bytes().all(|b| b.is_ascii_hexdigit()));

        let mut changed = labels(&[("alertname", "AccessDown"), ("instance", "10.9.8.7"), ("job", "icmp")]);
        assert_ne!(labels_fingerprint(&changed), one[0].key);
        changed.insert("zone".into(), "bh".into());
        assert_eq!(labels_fingerprint(&changed), one[0].key);
        // A blank fingerprint counts as absent.
        let blank = am_body(
            json!([{ "status": "firing", "labels": { "alertname": "AccessDown", "instance": "10.9.8.7",
            "job": "icmp", "zone": "bh" }, "startsAt": "2026-03-02T10:00:00Z", "fingerprint": " " }]),
        );
        assert_eq!(parse_alertmanager(&blank).expect("valid")[0].key, one[0].key);
    }

    #[test]
    fn fingerprint_matches_a_real_alertmanager_delivery() {
        // Labels and fingerprint of an alert as an Alertmanager delivered it
        // (a public test payload), so the fallback key is Alertmanager's own.
        let delivered = labels(&[
            ("alertname", "Deployment"),
            ("app_kubernetes_io_instance", "eric-oss-common-base"),
            ("app_kubernetes_io_managed_by", "Helm"),
            ("app_kubernetes_io_name", "eric-pm-kube-state-metrics"),
            ("app_kubernetes_io_version", "2.1.0_10"),
            ("chart", "eric-pm-kube-state-metrics-2.1.0_10"),
            ("deployment", "eric-log-transformer"),
            ("instance", "192.168.69.53:8080"),
            ("job", "eric-pm-kube-state-metrics"),
            ("kubernetes_name", "eric-pm-kube-state-metrics"),
            ("kubernetes_namespace", "eric-eo-cm-ci406"),
            ("namespace", "eric-eo-cm-ci406"),
            ("severity", "Warning"),
        ]);
        assert_eq!(labels_fingerprint(&delivered), "fbab788ec4c1018b");
        // Prometheus's fingerprint of the empty label set is the FNV offset basis.
        assert_eq!(labels_fingerprint(&BTreeMap::new()), "cbf29ce484222325");
    }

    #[test]
    fn addresses_in_labels() {
        let cases: &[(&str, Option<&str>)] = &[
            ("10.1.2.3", Some("10.1.2.3")),
            (" 10.1.2.3:9100 ", Some("10.1.2.3")),
            ("2001:db8::1", Some("2001:db8::1")),
            ("[2001:db8::1]:80", Some("2001:db8::1")),
            ("[2001:db8::1]", Some("2001:db8::1")),
            ("icmp://10.1.2.3", Some("10.1.2.3")),
            ("http://10.1.2.3:8080/metrics?x=1", Some("10.1.2.3")),
            ("https://[2001:db8::2]:443/", Some("2001:db8::2")),
            ("cpe-42.rede.mg.gov.br:9100", None),
            ("https://server.example.org", None),
            ("10.1.2.300", None),
            ("", None),
        ];
        for (text, want) in cases {
            let want = want.map(|w| w.parse::<IpAddr>().expect("test ip"));
            assert_eq!(ip_in(text), want, "{text:?}");
        }
    }

    #[test]
    fn hint_prefers_explicit_labels_over_instance() {
        let hint = |pairs: &[(&str, &str)]| hint_from_labels("alerts[0]", &labels(pairs));
        let ip = |t: &str| Some(t.parse::<IpAddr>().expect("test ip"));
        let exporter = ("instance", "10.0.0.1:9115");
        assert_eq!(hint(&[exporter, ("target", "10.5.5.5")]).expect("ok").address, ip("10.5.5.5"));
        assert_eq!(
            hint(&[exporter, ("address", "10.6.6.6"), ("target", "10.5.5.5")]).expect("ok").address,
            ip("10.6.6.6")
        );
        // A target that is a host name gives way to the next label.
        assert_eq!(hint(&[exporter, ("target", "cpe.example")]).expect("ok").address, ip("10.0.0.1"));
        assert!(hint(&[("instance", "cpe.example:9100")]).expect("ok").is_empty());
        assert_eq!(
            hint(&[("access_id", " 7 ")]).expect("ok"),
            AccessHint { access_id: Some(7), address: None }
        );
        // Prometheus treats an empty label as absent.
        assert_eq!(hint(&[("access_id", "")]).expect("ok"), AccessHint::default());
    }

    #[test]
    fn alertmanager_errors_name_the_field_and_rule() {
        let cases: Vec<ErrorCase> = vec![
            ("version 3", Box::new(|r| r["version"] = json!("3")), err("version", Rule::OneOf(&["4"]))),
            ("version number", Box::new(|r| r["version"] = json!(4)), err("version", Rule::OneOf(&["4"]))),
            ("no version", Box::new(|r| r["version"] = Value::Null), err("version", Rule::Required)),
            (
                "no alerts",
                Box::new(|r| {
                    r.as_object_mut().map(|o| o.remove("alerts"));
                }),
                err("alerts", Rule::Required),
            ),
            ("alerts object", Box::new(|r| r["alerts"] = json!({})), err("alerts", Rule::Malformed("array"))),
            (
                "alert string",
                Box::new(|r| r["alerts"][1] = json!("x")),
                err("alerts[1]", Rule::Malformed("object")),
            ),
            (
                "bad status",
                Box::new(|r| r["alerts"][0]["status"] = json!("pending")),
                err("alerts[0].status", Rule::OneOf(&["firing", "resolved"])),
            ),
            (
                "no status",
                Box::new(|r| r["alerts"][0]["status"] = Value::Null),
                err("alerts[0].status", Rule::Required),
            ),
            (
                "status number",
                Box::new(|r| r["alerts"][0]["status"] = json!(1)),
                err("alerts[0].status", Rule::Malformed("string")),
            ),
            (
                "no labels",
                Box::new(|r| r["alerts"][1]["labels"] = Value::Null),
                err("alerts[1].labels", Rule::Required),
            ),
            (
                "labels array",
                Box::new(|r| r["alerts"][1]["labels"] = json!([])),
                err("alerts[1].labels", Rule::Malformed("object of strings")),
            ),
            (
                "label number",
                Box::new(|r| r["alerts"][1]["labels"]["port"] = json!(9100)),
                err("alerts[1].labels.port", Rule::Malformed("string")),
            ),
            (
                "annotation number",
                Box::new(|r| r["alerts"][0]["annotations"]["value"] = json!(0.5)),
                err("alerts[0].annotations.value", Rule::Malformed("string")),
            ),
            (
                "access_id text",
                Box::new(|r| r["alerts"][0]["labels"]["access_id"] = json!("escola-42")),
                err("alerts[0].labels.access_id", Rule::Malformed("positive integer")),
            ),
            (
                "access_id zero",
                Box::new(|r| r["alerts"][0]["labels"]["access_id"] = json!("0")),
                err("alerts[0].labels.access_id", Rule::Malformed("positive integer")),
            ),
            (
                "no startsAt",
                Box::new(|r| r["alerts"][0]["startsAt"] = json!("")),
                err("alerts[0].startsAt", Rule::Required),
            ),
            (
                "zero startsAt",
                Box::new(|r| r["alerts"][0]["startsAt"] = json!("0001-01-01T00:00:00Z")),
                err("alerts[0].startsAt", Rule::Required),
            ),
            (
                "startsAt without offset",
                Box::new(|r| r["alerts"][1]["startsAt"] = json!("2026-03-02 12:50:00")),
                err("alerts[1].startsAt", Rule::Malformed("RFC 3339 date-time")),
            ),
            (
                "resolved, zero endsAt",
                Box::new(|r| r["alerts"][1]["endsAt"] = json!("0001-01-01T00:00:00Z")),
                err("alerts[1].endsAt", Rule::Required),
            ),
            (
                "resolved, bad endsAt",
                Box::new(|r| r["alerts"][1]["endsAt"] = json!("yesterday")),
                err("alerts[1].endsAt", Rule::Malformed("RFC 3339 date-time")),
            ),
            (
                "ends before it starts",
                Box::new(|r| r["alerts"][1]["endsAt"] = json!("2026-03-02T09:49:59-03:00")),
                err("alerts[1].endsAt", Rule::DatesOutOfOrder),
            ),
            (
                "fingerprint number",
                Box::new(|r| r["alerts"][0]["fingerprint"] = json!(12)),
                err("alerts[0].fingerprint", Rule::Malformed("string")),
            ),
        ];
        for (case, mutate, want) in cases {
            assert_eq!(am_error(mutate), want, "{case}");
        }
    }

    #[test]
    fn the_failing_alert_is_named_by_its_index() {
        let body = am_body(json!([
            firing(json!({})),
            firing(json!({})),
            { "status": "firing", "labels": { "alertname": "X" }, "startsAt": "02/03/2026 10:00" },
        ]));
        assert_eq!(
            parse_alertmanager(&body),
            Err(err("alerts[2].startsAt", Rule::Malformed("RFC 3339 date-time")))
        );
    }

    #[test]
    fn body_that_is_not_a_json_object() {
        for body in [&b"version=4"[..], b"", b"{\"version\": \"4\",", b"\xff\xfe"] {
            assert_eq!(parse_alertmanager(body), Err(err("body", Rule::Malformed("JSON"))));
            assert_eq!(parse_zabbix(body), Err(err("body", Rule::Malformed("JSON"))));
        }
        assert_eq!(parse_alertmanager(b"[]"), Err(err("body", Rule::Malformed("JSON object"))));
        assert_eq!(parse_zabbix(b"\"problem\""), Err(err("body", Rule::Malformed("JSON object"))));
    }

    #[test]
    fn zabbix_problem_and_recovery_share_the_key() {
        let problem = parse_zabbix(ZABBIX_PROBLEM).expect("valid problem");
        let recovery = parse_zabbix(ZABBIX_RECOVERY).expect("valid recovery");
        assert_eq!(
            problem,
            ExternalAlert {
                source: AlertSource::Zabbix,
                key: "4711".into(),
                status: AlertStatus::Firing,
                starts_at: at("2026-03-02T13:04:05Z"),
                ends_at: None,
                hint: AccessHint { access_id: Some(42), address: Some("10.20.30.40".parse().expect("ip")) },
                name: "Acesso 42 sem resposta a ICMP".into(),
                summary: "Host: cpe-42-escola-central\nSeverity: High".into(),
                labels: labels(&[
                    ("access_id", "42"),
                    ("host", "cpe-42-escola-central"),
                    ("service", "icmp"),
                    ("severity", "High"),
                ]),
            }
        );
        assert_eq!(recovery.key, problem.key);
        assert_eq!(alert_key(&recovery), "zabbix:4711");
        assert_eq!(alert_key(&recovery), alert_key(&problem));
        assert_eq!(recovery.status, AlertStatus::Resolved);
        assert_eq!(recovery.starts_at, problem.starts_at);
        // Sent with the local offset; the same instant.
        assert_eq!(recovery.ends_at, Some(at("2026-03-02T13:16:35Z")));
        assert_eq!(recovery.hint, problem.hint);
    }

    #[test]
    fn zabbix_minimal_and_lenient_forms() {
        let body = json!({
            "event_id": 99, "status": "problem", "started_at": "2026-03-02T10:00:00-03:00",
            "ended_at": "", "name": "Unavailable by ICMP ping", "access_id": 7, "address": "",
            "unknown": "ignored",
        });
        let alert = parse_zabbix(body.to_string().as_bytes()).expect("valid");
        assert_eq!(alert.key, "99");
        assert_eq!(alert.hint, AccessHint { access_id: Some(7), address: None });
        assert_eq!((alert.summary.as_str(), alert.labels.len()), ("", 0));
        // A problem's ended_at is ignored, whatever it holds.
        let body = json!({ "event_id": "5", "status": "problem", "started_at": "2026-03-02T13:00:00Z",
            "ended_at": "2026-03-02T12:00:00Z", "name": "n", "tags": { "access_id": "8" } });
        let alert = parse_zabbix(body.to_string().as_bytes()).expect("valid");
        assert_eq!(alert.ends_at, None);
        // The access_id tag stands in for the field.
        assert_eq!(alert.hint.access_id, Some(8));
    }

    #[test]
    fn zabbix_errors_name_the_field_and_rule() {
        let cases: Vec<ErrorCase> = vec![
            ("no event_id", Box::new(|r| r["event_id"] = Value::Null), err("event_id", Rule::Required)),
            ("blank event_id", Box::new(|r| r["event_id"] = json!(" ")), err("event_id", Rule::Required)),
            (
                "macro left unresolved",
                Box::new(|r| r["event_id"] = json!("{EVENT.ID}")),
                err("event_id", Rule::Malformed("Zabbix event id (digits)")),
            ),
            (
                "negative event_id",
                Box::new(|r| r["event_id"] = json!(-3)),
                err("event_id", Rule::Malformed("Zabbix event id (digits)")),
            ),
            ("no status", Box::new(|r| r["status"] = json!("")), err("status", Rule::Required)),
            (
                "status OK",
                Box::new(|r| r["status"] = json!("OK")),
                err("status", Rule::OneOf(&["problem", "resolved"])),
            ),
            (
                "status as value",
                Box::new(|r| r["status"] = json!(0)),
                err("status", Rule::Malformed("string")),
            ),
            ("no started_at", Box::new(|r| r["started_at"] = Value::Null), err("started_at", Rule::Required)),
            (
                "Zabbix local date",
                Box::new(|r| r["started_at"] = json!("2026.03.02 10:04:05")),
                err("started_at", Rule::Malformed("RFC 3339 date-time")),
            ),
            (
                "no offset",
                Box::new(|r| r["started_at"] = json!("2026-03-02T10:04:05")),
                err("started_at", Rule::Malformed("RFC 3339 date-time")),
            ),
            (
                "recovery without end",
                Box::new(|r| r["ended_at"] = json!("")),
                err("ended_at", Rule::Required),
            ),
            (
                "ends before it starts",
                Box::new(|r| r["ended_at"] = json!("2026-03-02T13:04:04Z")),
                err("ended_at", Rule::DatesOutOfOrder),
            ),
            ("no name", Box::new(|r| r["name"] = json!("  ")), err("name", Rule::Required)),
            (
                "access_id text",
                Box::new(|r| r["access_id"] = json!("escola")),
                err("access_id", Rule::Malformed("positive integer")),
            ),
            (
                "access_id list",
                Box::new(|r| r["access_id"] = json!([42])),
                err("access_id", Rule::Malformed("positive integer")),
            ),
            (
                "access_id tag text",
                Box::new(|r| {
                    r["access_id"] = json!("");
                    r["tags"]["access_id"] = json!("x");
                }),
                err("tags.access_id", Rule::Malformed("positive integer")),
            ),
            (
                "bad address",
                Box::new(|r| r["address"] = json!("cpe-42")),
                err("address", Rule::Malformed("IP address")),
            ),
            ("tag number", Box::new(|r| r["tags"]["n"] = json!(1)), err("tags.n", Rule::Malformed("string"))),
            ("host number", Box::new(|r| r["host"] = json!(1)), err("host", Rule::Malformed("string"))),
        ];
        for (case, mutate, want) in cases {
            assert_eq!(zabbix_error(mutate), want, "{case}");
        }
    }
}
