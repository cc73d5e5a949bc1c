//! Dates, intervals, durations and months as people type and read them on
//! the portal: `dd/mm/aaaa hh:mm` in America/Sao_Paulo, clock stops as one
//! interval a line, `2 h 05 min`, `fevereiro de 2026`, `99,8656 %`, and the
//! short labels of the monitoring charts (`14h`, `05/03`).
//!
//! Parsing here is the portal's leniency (pt-BR dates, the browser's ISO
//! date-times, a dash of any kind between two instants); the rules on the
//! values themselves are the domain's and the app's.

use chrono::{NaiveDateTime, TimeZone, Utc};
use redegov_domain::error::{FieldError, Rule, Valid};
use redegov_domain::measure::{Month, Span, month_of};
use redegov_domain::time::format_date;
use redegov_domain::time::{NETWORK_TZ, Timestamp, format_local, from_epoch, parse_instant, to_network_date};

/// What a date-time box expects, shown as its placeholder.
pub const DATE_TIME_HINT: &str = "dd/mm/aaaa hh:mm";

/// What a date-time that cannot be read breaks.
const MALFORMED: Rule = Rule::Malformed("data e hora dd/mm/aaaa hh:mm, ex.: 05/02/2026 08:30");

/// Reads a local date-time: `05/02/2026 08:30` (the portal's format), or
/// what a browser or a script sends (`2026-02-05T08:30`, RFC 3339).
pub fn parse_local(field: &str, input: &str) -> Valid<Timestamp> {
    let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Err(FieldError::new(field, Rule::Required));
    }
    for format in ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y, %H:%M", "%d/%m/%Y às %H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&text, format)
            && let Some(local) = NETWORK_TZ.from_local_datetime(&naive).earliest()
        {
            return Ok(local.with_timezone(&Utc));
        }
    }
    parse_instant(field, &text).map_err(|_| FieldError::new(field, MALFORMED))
}

/// An optional local date-time: blank is `None`.
pub fn parse_optional(field: &str, input: &str) -> Valid<Option<Timestamp>> {
    if input.trim().is_empty() { Ok(None) } else { parse_local(field, input).map(Some) }
}

/// Fails when `at` is later than `now`, in pt-BR (the app states the same
/// rule in English).
pub fn not_after_now(field: &str, at: Option<Timestamp>, now: Timestamp) -> Valid<()> {
    match at {
        Some(at) if at > now => {
            Err(FieldError::new(field, Rule::Other("não pode ser posterior ao momento atual".into())))
        }
        _ => Ok(()),
    }
}

/// Separators accepted between the two ends of an interval, tried in order
/// (the dashes first: a pt-BR date has none, an ISO one has hyphens).
const SEPARATORS: [&str; 6] = ["–", "—", " - ", " a ", " até ", ";"];

/// Reads intervals typed one per line, `dd/mm/aaaa hh:mm – dd/mm/aaaa hh:mm`,
/// as epoch-second spans. A line that cannot be read names its number.
pub fn parse_spans(field: &str, input: &str) -> Valid<Vec<Span>> {
    let lines = input.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut spans = Vec::new();
    for (i, line) in lines.enumerate() {
        let bad = || {
            FieldError::new(
                format!("{field}[{i}]"),
                Rule::Other(format!("linha {}: use dd/mm/aaaa hh:mm – dd/mm/aaaa hh:mm", i + 1)),
            )
        };
        let (from, to) = SEPARATORS.iter().find_map(|sep| line.split_once(sep)).ok_or_else(bad)?;
        let from = parse_local(field, from).map_err(|_| bad())?;
        let to = parse_local(field, to).map_err(|_| bad())?;
        spans.push(Span::new(from.timestamp(), to.timestamp()));
    }
    Ok(spans)
}

/// Spans as the clock-stop box shows them, one a line.
pub fn spans_text(spans: &[Span]) -> String {
    spans.iter().map(span_text).collect::<Vec<_>>().join("\n")
}

/// `05/02/2026 08:30 – 05/02/2026 09:00`.
pub fn span_text(span: &Span) -> String {
    format!("{} – {}", format_local(from_epoch(span.start)), format_local(from_epoch(span.end)))
}

/// A local date-time as typed back into a box (the display format).
pub fn input_text(at: Option<Timestamp>) -> String {
    at.map(format_local).unwrap_or_default()
}

/// A duration in words: `45 s`, `12 min`, `2 h 05 min`, `26 h 00 min 30 s`.
/// Hours are not folded into days: downtime is read in hours.
pub fn duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let text = match (h, m, sec) {
        (0, 0, sec) => format!("{sec} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, sec) => format!("{m} min {sec:02} s"),
        (h, m, 0) => format!("{h} h {m:02} min"),
        (h, m, sec) => format!("{h} h {m:02} min {sec:02} s"),
    };
    format!("{sign}{text}")
}

/// Availability in millionths (1,000,000 = 100 %) as `99,8656 %`.
pub fn percent_micro(micro: i64) -> String {
    format!("{} %", redegov_domain::measure::percent_text(micro).replace('.', ","))
}

/// Availability rounded to hundredths for tight spaces: `99,87 %`.
pub fn percent_micro_short(micro: i64) -> String {
    let hundredths = redegov_domain::money::div_round(i128::from(micro), 100);
    let h = i64::try_from(hundredths).unwrap_or(0);
    let sign = if h < 0 { "-" } else { "" };
    let a = h.unsigned_abs();
    format!("{sign}{},{:02} %", a / 100, a % 100)
}

/// An instant kept in epoch milliseconds (the prober's), as a timestamp.
pub fn from_ms(ms: i64) -> Timestamp {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// `dd/mm/aaaa hh:mm:ss` in Brasília time, for a panel that changes by the
/// second.
pub fn format_local_seconds(at: Timestamp) -> String {
    at.with_timezone(&NETWORK_TZ).format("%d/%m/%Y %H:%M:%S").to_string()
}

/// The local hour of `at`, as under an hourly chart's column: `14h`.
pub fn hour_label(at: Timestamp) -> String {
    at.with_timezone(&NETWORK_TZ).format("%Hh").to_string()
}

/// The local day of `at`, as under a daily chart's column: `05/03`.
pub fn day_label(at: Timestamp) -> String {
    at.with_timezone(&NETWORK_TZ).format("%d/%m").to_string()
}

/// The local date of `at`: `05/03/2026`.
pub fn date_text(at: Timestamp) -> String {
    format_date(to_network_date(at))
}

const MONTH_NAMES: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];

/// `fevereiro de 2026`.
pub fn month_name(month: Month) -> String {
    let name = MONTH_NAMES.get(month.month.saturating_sub(1) as usize).copied().unwrap_or("?");
    format!("{name} de {}", month.year)
}

/// `Fevereiro de 2026`, to start a sentence or a heading.
pub fn month_title(month: Month) -> String {
    let name = month_name(month);
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name,
    }
}

/// `02/2026`, for tight columns.
pub fn month_short(month: Month) -> String {
    format!("{:02}/{}", month.month, month.year)
}

/// The month `now` falls in, in the network's time zone.
pub fn current_month(now: Timestamp) -> Month {
    month_of(to_network_date(now))
}

/// Whether `month` has ended at `now` (only then may it be closed).
pub fn has_ended(month: Month, now: Timestamp) -> bool {
    redegov_domain::measure::month_bounds(month).end <= now.timestamp()
}

/// `count` months ending with `last`, newest first.
pub fn months_back(last: Month, count: usize) -> Vec<Month> {
    std::iter::successors(Some(last), |m| Some(m.prev())).take(count).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        parse_instant("t", s).expect("instant")
    }

    #[test]
    fn reads_pt_br_and_iso_date_times_in_brasilia_time() {
        let expected = at("2026-02-05T08:30:00-03:00");
        for text in ["05/02/2026 08:30", " 05/02/2026   08:30 ", "2026-02-05T08:30", "2026-02-05T11:30:00Z"] {
            assert_eq!(parse_local("started_at", text), Ok(expected), "{text}");
        }
        assert_eq!(parse_local("started_at", "").map_err(|e| e.rule), Err(Rule::Required));
        let bad = parse_local("started_at", "31/02/2026 08:00").expect_err("no such day");
        assert_eq!((bad.field.as_str(), bad.rule), ("started_at", MALFORMED));
        assert_eq!(input_text(Some(expected)), "05/02/2026 08:30");
        assert_eq!(parse_optional("x", "  "), Ok(None));
    }

    #[test]
    fn reads_one_interval_a_line_with_any_dash() {
        let text = "05/02/2026 09:00 – 05/02/2026 09:30\n\n05/02/2026 10:00 - 05/02/2026 10:15\n\
                    05/02/2026 11:00—05/02/2026 11:05";
        let spans = parse_spans("clock_stops", text).expect("valid");
        let t = |s: &str| at(s).timestamp();
        assert_eq!(
            spans,
            [
                Span::new(t("2026-02-05T09:00:00-03:00"), t("2026-02-05T09:30:00-03:00")),
                Span::new(t("2026-02-05T10:00:00-03:00"), t("2026-02-05T10:15:00-03:00")),
                Span::new(t("2026-02-05T11:00:00-03:00"), t("2026-02-05T11:05:00-03:00")),
            ]
        );
        assert_eq!(parse_spans("clock_stops", spans_text(&spans).as_str()), Ok(spans));
        let bad = parse_spans("clock_stops", "05/02/2026 09:00 – 05/02/2026 09:30\nontem").expect_err("bad");
        assert_eq!(bad.field, "clock_stops[1]");
        assert!(bad.rule.pt_br().starts_with("linha 2:"), "{}", bad.rule.pt_br());
        assert_eq!(parse_spans("clock_stops", " \n"), Ok(vec![]));
    }

    #[test]
    fn durations_and_percentages_in_pt_br() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(12 * 60), "12 min");
        assert_eq!(duration(2 * 3600 + 5 * 60), "2 h 05 min");
        assert_eq!(duration(26 * 3600 + 30), "26 h 00 min 30 s");
        assert_eq!(duration(90), "1 min 30 s");
        assert_eq!(percent_micro(998_656), "99,8656 %");
        assert_eq!(percent_micro(1_000_000), "100,0000 %");
        assert_eq!(percent_micro_short(998_656), "99,87 %");
        assert_eq!(percent_micro_short(999_950), "100,00 %");
    }

    #[test]
    fn chart_labels_are_brasilia_time() {
        let t = at("2026-03-05T01:30:15Z");
        assert_eq!(hour_label(t), "22h");
        assert_eq!(day_label(t), "04/03");
        assert_eq!(date_text(t), "04/03/2026");
        assert_eq!(format_local_seconds(t), "04/03/2026 22:30:15");
        assert_eq!(from_ms(t.timestamp_millis() + 250).timestamp(), t.timestamp());
    }

    #[test]
    fn months_in_words() {
        let feb = Month { year: 2026, month: 2 };
        assert_eq!(month_name(feb), "fevereiro de 2026");
        assert_eq!(month_title(Month { year: 2026, month: 3 }), "Março de 2026");
        assert_eq!(month_short(feb), "02/2026");
        assert_eq!(current_month(at("2026-03-01T02:00:00Z")), feb, "still February in Brasília");
        assert!(has_ended(feb, at("2026-03-01T03:00:00Z")));
        assert!(!has_ended(feb, at("2026-03-01T02:59:59Z")));
        assert_eq!(
            months_back(Month { year: 2026, month: 1 }, 2),
            [Month { year: 2026, month: 1 }, Month { year: 2025, month: 12 }]
        );
    }
}
