//! Time: UTC inside, America/Sao_Paulo on screen.
//!
//! Instants are `DateTime<Utc>` (stored as epoch seconds); calendar dates
//! (contract validity, effective dates) are `NaiveDate`. The conversion to
//! the network's time zone happens here and nowhere else.

use crate::error::{FieldError, Rule, Valid};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// An instant, always UTC.
pub type Timestamp = DateTime<Utc>;

/// The network's default time zone.
pub const NETWORK_TZ: Tz = chrono_tz::America::Sao_Paulo;

/// Epoch seconds → instant. Out-of-range values clamp to the epoch, which
/// only a corrupted row could produce.
pub fn from_epoch(seconds: i64) -> Timestamp {
    Utc.timestamp_opt(seconds, 0).single().unwrap_or_default()
}

/// `dd/mm/aaaa hh:mm` in America/Sao_Paulo.
pub fn format_local(at: Timestamp) -> String {
    at.with_timezone(&NETWORK_TZ).format("%d/%m/%Y %H:%M").to_string()
}

/// `dd/mm/aaaa`.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// The calendar date of an instant in the network's time zone.
pub fn to_network_date(at: Timestamp) -> NaiveDate {
    at.with_timezone(&NETWORK_TZ).date_naive()
}

/// Parses an ISO date (`2026-03-01`) or a pt-BR one (`01/03/2026`).
pub fn parse_date(field: &str, input: &str) -> Valid<NaiveDate> {
    let text = input.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, Rule::Required));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map_err(|_| FieldError::new(field, Rule::Malformed("data AAAA-MM-DD ou DD/MM/AAAA")))
}

/// Parses an RFC 3339 instant (`2026-03-01T08:00:00-03:00`), or a local
/// date-time without offset (`2026-03-01T08:00`, as HTML forms send it),
/// read in the network's time zone.
pub fn parse_instant(field: &str, input: &str) -> Valid<Timestamp> {
    let text = input.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, Rule::Required));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, format)
            && let Some(local) = NETWORK_TZ.from_local_datetime(&naive).earliest()
        {
            return Ok(local.with_timezone(&Utc));
        }
    }
    Err(FieldError::new(field, Rule::Malformed("data e hora RFC 3339, ex.: 2026-03-01T08:00:00-03:00")))
}

/// Checks that `end` (when given) does not come before `start`.
pub fn ordered<T: PartialOrd>(end_field: &str, start: &T, end: Option<&T>) -> Valid<()> {
    match end {
        Some(end) if end < start => Err(FieldError::new(end_field, Rule::DatesOutOfOrder)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_display_is_sao_paulo() {
        let at = parse_instant("t", "2026-03-01T03:00:00Z").expect("valid");
        assert_eq!(format_local(at), "01/03/2026 00:00");
        let local = parse_instant("t", "2026-03-01T00:00").expect("valid");
        assert_eq!(local, at);
    }

    #[test]
    fn dates_both_formats() {
        assert_eq!(parse_date("d", "2026-03-01"), parse_date("d", "01/03/2026"));
        assert!(parse_date("d", "31/02/2026").is_err());
    }
}
