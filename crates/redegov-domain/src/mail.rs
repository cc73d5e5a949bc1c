//! The pure rules of e-mail notifications: which addresses are plausible,
//! how a recipient list is cleaned, how the link is appended to a body, and
//! the retry schedule of the outbox (when to try again, when to give up).
//!
//! It sends nothing and stores nothing (that is `redegov-app::mail` and
//! `redegov-store::mail`), and it does not decide who is told about what:
//! the use cases pick the recipients.

/// Attempts before a message is given up (the first send included).
pub const MAX_ATTEMPTS: i64 = 10;

/// Wait after the first failed attempt; each further failure doubles it.
pub const FIRST_RETRY_SECONDS: i64 = 60;

/// The longest wait between two attempts.
pub const MAX_RETRY_SECONDS: i64 = 2 * 3600;

/// What to do with a message after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this instant (epoch seconds).
    RetryAt(i64),
    /// Stop trying: the server refused for good, or attempts ran out.
    GiveUp,
}

/// The wait after the `attempts`-th failed attempt (1-based): 1, 2, 4, … minutes,
/// capped at [`MAX_RETRY_SECONDS`]. With [`MAX_ATTEMPTS`] = 10 a message is
/// retried for about six hours, long enough to ride out a relay's maintenance.
pub fn retry_delay(attempts: i64) -> i64 {
    let doublings = attempts.clamp(1, 32) - 1;
    FIRST_RETRY_SECONDS.saturating_mul(1_i64 << doublings).min(MAX_RETRY_SECONDS)
}

/// Decides after a failed attempt. `attempts` counts the attempts made so far,
/// this one included; `permanent` is a refusal the server will repeat (an SMTP
/// 5xx reply), which retrying cannot fix.
pub fn after_failure(attempts: i64, permanent: bool, now: i64) -> AfterFailure {
    if permanent || attempts >= MAX_ATTEMPTS {
        AfterFailure::GiveUp
    } else {
        AfterFailure::RetryAt(now.saturating_add(retry_delay(attempts)))
    }
}

/// A plausible address (`local@domain`), checked before a message is queued
/// so one mistyped user e-mail cannot make a whole message undeliverable.
/// Deliberately simpler than RFC 5322: no quoted local parts, no comments,
/// no address literals; what it accepts, an SMTP client accepts.
pub fn is_valid_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| (c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)) && !c.is_control());
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// A recipient list made ready to send: trimmed, blanks dropped, duplicates
/// (ignoring case) dropped keeping the first spelling, in the given order.
/// Returns the valid addresses and, apart, the implausible ones.
pub fn clean_recipients<I, S>(addresses: I) -> (Vec<String>, Vec<String>)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut valid: Vec<String> = Vec::new();
    let mut invalid = Vec::new();
    for address in addresses {
        let address = address.as_ref().trim();
        if address.is_empty() {
            continue;
        }
        if !is_valid_address(address) {
            invalid.push(address.to_string());
        } else if !valid.iter().any(|v| v.eq_ignore_ascii_case(address)) {
            valid.push(address.to_string());
        }
    }
    (valid, invalid)
}

/// A subject on one line: line breaks and other control characters become
/// spaces, runs of spaces collapse, and the ends are trimmed.
pub fn one_line(subject: &str) -> String {
    subject
        .split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text that is sent: the body, then the link on a line of its own
/// (`Acesse: <link>`) when there is one.
pub fn body_with_link(body: &str, link: Option<&str>) -> String {
    let body = body.trim_end();
    match link.map(str::trim).filter(|l| !l.is_empty()) {
        Some(link) if body.is_empty() => format!("Acesse: {link}\n"),
        Some(link) => format!("{body}\n\nAcesse: {link}\n"),
        None => format!("{body}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_give_up() {
        let delays: Vec<i64> = (1..MAX_ATTEMPTS).map(retry_delay).collect();
        assert_eq!(delays, vec![60, 120, 240, 480, 960, 1920, 3840, 7200, 7200]);
        let total: i64 = delays.iter().sum();
        assert!((5 * 3600..7 * 3600).contains(&total), "about six hours of retries: {total}");
        assert_eq!(after_failure(1, false, 1000), AfterFailure::RetryAt(1060));
        assert_eq!(after_failure(MAX_ATTEMPTS - 1, false, 0), AfterFailure::RetryAt(7200));
        assert_eq!(after_failure(MAX_ATTEMPTS, false, 0), AfterFailure::GiveUp);
        assert_eq!(after_failure(1, true, 0), AfterFailure::GiveUp, "a 5xx is not retried");
        assert_eq!(retry_delay(0), 60);
        assert_eq!(retry_delay(i64::MAX), MAX_RETRY_SECONDS);
    }

    #[test]
    fn addresses() {
        for ok in ["gestor@orgao.mg.gov.br", "a.b+c@x.com", "noc@localhost", "joão@prefeitura.mg.gov.br"] {
            assert!(is_valid_address(ok), "{ok}");
        }
        for bad in [
            "",
            "gestor",
            "@x.com",
            "a@",
            "a@@x.com",
            "a b@x.com",
            "a@x..com",
            "a@-x.com",
            ".a@x.com",
            "a..b@x.com",
            "a@x.com\r\nBcc: b@y.com",
            "Nome <a@x.com>",
            "a@x.com,b@y.com",
        ] {
            assert!(!is_valid_address(bad), "{bad:?}");
        }
    }

    #[test]
    fn recipients_are_cleaned_in_order() {
        let (valid, invalid) =
            clean_recipients([" b@x.com", "a@x.com", "", "B@X.com", "errado", "c@x.com", "a@x.com "]);
        assert_eq!(valid, vec!["b@x.com", "a@x.com", "c@x.com"]);
        assert_eq!(invalid, vec!["errado"]);
    }

    #[test]
    fn subjects_and_bodies() {
        assert_eq!(one_line(" Ordem\r\nBcc: x@y.com\t enviada "), "Ordem Bcc: x@y.com enviada");
        assert_eq!(body_with_link("Olá.\n", Some("https://r/os/1")), "Olá.\n\nAcesse: https://r/os/1\n");
        assert_eq!(body_with_link("Olá.", None), "Olá.\n");
        assert_eq!(body_with_link("Olá.", Some("  ")), "Olá.\n");
        assert_eq!(body_with_link("", Some("https://r")), "Acesse: https://r\n");
    }
}
