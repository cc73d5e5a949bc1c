//! E-mail notifications: the outbox and its delivery over SMTP.
//!
//! A use case calls [`enqueue`] inside its own transaction, so a refused or
//! rolled-back change sends nothing and a committed one always has its
//! message. Delivery is separate ([`App::deliver_mail`], run by the server's
//! job loop): due messages are claimed in one short transaction, sent outside
//! any transaction, and each outcome is recorded; a failure is retried on the
//! domain's schedule ([`redegov_domain::mail::after_failure`]) and never
//! blocks the change that queued the message. Delivery is at least once: a
//! crash between the send and its record sends the message again later.
//!
//! This module does not choose what to say or to whom: the use cases build
//! the [`Email`] (pt-BR text, the link to the object) and pick the recipients
//! with the helpers below.

use crate::{App, AppError, AppResult};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use redegov_domain::error::{FieldError, Rule};
use redegov_domain::ids::{AgencyId, OperatorId};
use redegov_domain::inventory::{Lot, LotHolder};
use redegov_domain::mail::{AfterFailure, after_failure, body_with_link, clean_recipients, one_line};
use redegov_domain::role::{Actor, Role};
use redegov_domain::time::{Timestamp, from_epoch};
use redegov_store::inventory::Listed;
use redegov_store::mail::{NewMail, UserScope};
use redegov_store::{Page, Tx};
use std::time::Duration;

pub use redegov_store::mail::{MailFilter, MailRecord, MailStatus};

/// A message a use case wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Addresses; blanks, duplicates and implausible ones are dropped.
    pub to: Vec<String>,
    pub subject: String,
    /// Plain text, pt-BR; the link is appended when sent (`Acesse: <link>`).
    pub body_text: String,
    pub link: Option<String>,
    /// What it is about, as a code: `order.submitted`, `order.late`.
    pub kind: &'static str,
    /// The object it is about: `order:123`.
    pub subject_ref: Option<String>,
}

/// Queues `email` in the caller's transaction. Returns the outbox id, or
/// `None` when no valid recipient is left (nothing is queued then).
/// Implausible addresses are dropped with a warning rather than failing the
/// use case: a mistyped user e-mail must not block an order's transition.
pub async fn enqueue(tx: &mut Tx, now: Timestamp, email: Email) -> AppResult<Option<i64>> {
    let (recipients, invalid) = clean_recipients(&email.to);
    if !invalid.is_empty() {
        tracing::warn!(kind = email.kind, ?invalid, "e-mail: implausible addresses left out");
    }
    if recipients.is_empty() {
        return Ok(None);
    }
    let new = NewMail {
        recipients,
        subject: one_line(&email.subject),
        body_text: email.body_text,
        link: email.link.filter(|l| !l.trim().is_empty()),
        kind: email.kind.to_string(),
        subject_ref: email.subject_ref,
    };
    Ok(Some(tx.insert_mail(&new, now).await?.id))
}

/// The addresses of the active agency managers of `agency`.
pub async fn agency_manager_emails(tx: &mut Tx, agency: AgencyId) -> AppResult<Vec<String>> {
    Ok(tx.active_user_emails(Role::AgencyManager, UserScope::Agency(agency)).await?)
}

/// The addresses of the active users of these operators (a consortium's
/// lot: pass every member).
pub async fn operator_emails(tx: &mut Tx, operators: &[OperatorId]) -> AppResult<Vec<String>> {
    Ok(tx.active_user_emails(Role::Operator, UserScope::Operators(operators)).await?)
}

/// The operators that hold `lot`: its operator, or every member of its
/// consortium.
pub async fn lot_operators(tx: &mut Tx, lot: &Lot) -> AppResult<Vec<OperatorId>> {
    Ok(match lot.holder {
        LotHolder::Operator(o) => vec![o],
        LotHolder::Consortium(c) => tx.consortium(c).await?.members.iter().map(|m| m.operator_id).collect(),
    })
}

/// The addresses of the active network managers (UGO/NOC).
pub async fn network_manager_emails(tx: &mut Tx) -> AppResult<Vec<String>> {
    Ok(tx.active_user_emails(Role::NetworkManager, UserScope::All).await?)
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a local relay, the test server).
    None,
    /// STARTTLS, required (`smtp+starttls://`, port 587 by default).
    StartTls,
    /// TLS from the first byte (`smtps://`, port 465 by default).
    Tls,
}

/// Where and how to send mail.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The `From` mailbox: `redegov <redegov@localhost>`.
    pub from: String,
    /// Longest wait for the server at each step of a send.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("url", &self.redacted_url())
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

const SMTP_URL_FORM: &str = "smtp://host:port, smtp+starttls://host:port or smtps://host:port, \
     optionally with user:password@";

impl SmtpConfig {
    /// Reads `smtp://[user[:password]@]host[:port]` (plain, port 25),
    /// `smtp+starttls://…` (port 587) or `smtps://…` (port 465). User and
    /// password may be percent-encoded.
    pub fn from_url(url: &str, from: &str) -> AppResult<SmtpConfig> {
        let bad = || AppError::Invalid(FieldError::new("smtp_url", Rule::Malformed(SMTP_URL_FORM)));
        let (scheme, rest) = url.trim().split_once("://").ok_or_else(bad)?;
        let (tls, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "smtp" => (SmtpTls::None, 25),
            "smtp+starttls" => (SmtpTls::StartTls, 587),
            "smtps" => (SmtpTls::Tls, 465),
            _ => return Err(bad()),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().map(|c| c.into_owned());
        let (username, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (user, password) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                let user = decode(user).map_err(|_| bad())?;
                let password = password.map(decode).transpose().map_err(|_| bad())?;
                (Some(user).filter(|u| !u.is_empty()), password)
            }
        };
        // `[::1]:25`, `host:25`, `host`.
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad)?;
            (host, after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
            None => default_port,
        };
        if host.is_empty() || host.contains(['/', '?', '#', ' ']) {
            return Err(bad());
        }
        from.parse::<Mailbox>().map_err(|_| {
            AppError::Invalid(FieldError::new("mail_from", Rule::Malformed("Nome <endereco@dominio>")))
        })?;
        Ok(SmtpConfig {
            host: host.to_string(),
            port,
            tls,
            username,
            password,
            from: from.to_string(),
            timeout: Duration::from_secs(30),
        })
    }

    /// The URL without its password, for logs.
    pub fn redacted_url(&self) -> String {
        let scheme = match self.tls {
            SmtpTls::None => "smtp",
            SmtpTls::StartTls => "smtp+starttls",
            SmtpTls::Tls => "smtps",
        };
        let user = match (&self.username, &self.password) {
            (Some(u), Some(_)) => format!("{u}:***@"),
            (Some(u), None) => format!("{u}@"),
            (None, _) => String::new(),
        };
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        format!("{scheme}://{user}{host}:{}", self.port)
    }
}

/// A connection pool to one SMTP server, and the `From` mailbox. Cheap to
/// clone; build it inside the Tokio runtime.
#[derive(Clone)]
pub struct MailTransport {
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    description: String,
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailTransport").field("server", &self.description).finish_non_exhaustive()
    }
}

impl MailTransport {
    pub fn new(config: &SmtpConfig) -> AppResult<MailTransport> {
        let from: Mailbox = config.from.parse().map_err(|_| {
            AppError::Invalid(FieldError::new("mail_from", Rule::Malformed("Nome <endereco@dominio>")))
        })?;
        let tls_error = |e: lettre::transport::smtp::Error| {
            AppError::Invalid(FieldError::new("smtp_url", Rule::Other(format!("TLS: {e}"))))
        };
        let builder = match config.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.as_str()),
            SmtpTls::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host).map_err(tls_error)?
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(tls_error)?,
        };
        let mut builder = builder.port(config.port).timeout(Some(config.timeout));
        if let Some(user) = &config.username {
            builder = builder
                .credentials(Credentials::new(user.clone(), config.password.clone().unwrap_or_default()));
        }
        Ok(MailTransport { smtp: builder.build(), from, description: config.redacted_url() })
    }

    /// The server, as a URL without password.
    pub fn describe(&self) -> &str {
        &self.description
    }

    async fn send(&self, mail: &MailRecord) -> Result<(), SendFailure> {
        let message =
            compose(&self.from, mail).map_err(|message| SendFailure { message, permanent: true })?;
        self.smtp
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendFailure { message: error_chain(&e), permanent: e.is_permanent() })
    }
}

/// Why a send failed, and whether trying again could help.
struct SendFailure {
    message: String,
    permanent: bool,
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells mail servers and
/// vacation responders that no one typed this, so they do not answer it.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// The message as sent: UTF-8 plain text (the Content-Type is set
/// explicitly: without it lettre sends none and clients guess the charset),
/// an RFC 2047-encoded subject, every recipient in `To`. The Message-ID is
/// derived from the outbox row, so a message sent twice (a crash between
/// send and record) carries the same id and mail clients show it once.
fn compose(from: &Mailbox, mail: &MailRecord) -> Result<Message, String> {
    let message_id = format!("<outbox.{}.{}@{}>", mail.id, mail.created_at.timestamp(), from.email.domain());
    let mut builder = Message::builder()
        .message_id(Some(message_id))
        .from(from.clone())
        .subject(one_line(&mail.subject))
        .header(ContentType::TEXT_PLAIN)
        .header(AutoSubmitted);
    for address in &mail.recipients {
        let to: Mailbox = address.parse().map_err(|e| format!("recipient {address:?}: {e}"))?;
        builder = builder.to(to);
    }
    builder
        .body(body_with_link(&mail.body_text, mail.link.as_deref()))
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// What one delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Messages that were due and claimed.
    pub claimed: usize,
    pub sent: usize,
    /// Failed attempts that will be retried.
    pub failed: usize,
    /// Messages given up in this run.
    pub gave_up: usize,
}

/// How long a claimed message is reserved for the worker that claimed it.
/// Longer than a batch can take (sends time out), so it is never sent twice
/// by two workers; a worker that dies leaves its messages due again after it.
pub const CLAIM_LEASE_SECONDS: i64 = 15 * 60;

impl App {
    /// Sends up to `limit` due messages through `transport`. The outcome of
    /// each send is recorded at once in its own short transaction; an SMTP
    /// failure is retried later or given up, never returned as an error.
    /// Errors are the database's only (the remaining claimed messages are
    /// then due again when their lease ends).
    pub async fn deliver_mail(&self, transport: &MailTransport, limit: usize) -> AppResult<DeliveryReport> {
        let now = self.now();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut tx = self.store().write().await?;
        let due = tx.claim_due_mail(now, limit, from_epoch(now.timestamp() + CLAIM_LEASE_SECONDS)).await?;
        tx.commit().await?;
        let mut report = DeliveryReport { claimed: due.len(), ..DeliveryReport::default() };
        for mail in due {
            let outcome = transport.send(&mail).await;
            let now = self.now();
            let mut tx = self.store().write().await?;
            match outcome {
                Ok(()) => {
                    tx.mark_mail_sent(mail.id, now).await?;
                    report.sent += 1;
                    tracing::debug!(id = mail.id, kind = %mail.kind, "e-mail sent");
                }
                Err(failure) => {
                    let attempts = mail.attempts + 1;
                    match after_failure(attempts, failure.permanent, now.timestamp()) {
                        AfterFailure::RetryAt(at) => {
                            tx.mark_mail_failed(mail.id, now, &failure.message, Some(from_epoch(at))).await?;
                            report.failed += 1;
                            tracing::warn!(
                                id = mail.id, attempts, error = %failure.message,
                                retry_at = %from_epoch(at), "e-mail not sent; will retry"
                            );
                        }
                        AfterFailure::GiveUp => {
                            tx.mark_mail_failed(mail.id, now, &failure.message, None).await?;
                            report.gave_up += 1;
                            tracing::error!(
                                id = mail.id, attempts, error = %failure.message, "e-mail given up"
                            );
                        }
                    }
                }
            }
            tx.commit().await?;
        }
        Ok(report)
    }

    /// The outbox, newest first: for administrators and network managers.
    pub async fn list_mail(
        &self,
        actor: &Actor,
        filter: &MailFilter,
        page: Page,
    ) -> AppResult<Listed<MailRecord>> {
        if !matches!(actor.role, Role::Admin | Role::NetworkManager) {
            return Err(AppError::Forbidden("read the e-mail outbox"));
        }
        let mut tx = self.store().read().await?;
        Ok(tx.list_mail(filter, page).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> AppResult<SmtpConfig> {
        SmtpConfig::from_url(u, "redegov <redegov@localhost>")
    }

    #[test]
    fn smtp_urls() {
        let c = url("smtp://127.0.0.1:2525").expect("plain");
        assert_eq!(
            (c.host.as_str(), c.port, c.tls, c.username.as_deref()),
            ("127.0.0.1", 2525, SmtpTls::None, None)
        );
        let c = url("smtp+starttls://avisos%40mg.gov.br:s%3Acr%40t@smtp.mg.gov.br").expect("starttls");
        assert_eq!((c.host.as_str(), c.port, c.tls), ("smtp.mg.gov.br", 587, SmtpTls::StartTls));
        assert_eq!(c.username.as_deref(), Some("avisos@mg.gov.br"));
        assert_eq!(c.password.as_deref(), Some("s:cr@t"));
        assert_eq!(c.redacted_url(), "smtp+starttls://avisos@mg.gov.br:***@smtp.mg.gov.br:587");
        assert!(!format!("{c:?}").contains("s:cr@t"), "Debug hides the password");
        let c = url("smtps://relay.example/").expect("tls");
        assert_eq!((c.port, c.tls), (465, SmtpTls::Tls));
        let c = url("smtp://[::1]").expect("v6");
        assert_eq!((c.host.as_str(), c.port), ("::1", 25));
        assert_eq!(c.redacted_url(), "smtp://[::1]:25");
        for bad in ["", "127.0.0.1:25", "http://x", "smtp://", "smtp://x:0", "smtp://x:99999", "smtp://x/y"] {
            assert!(matches!(url(bad), Err(AppError::Invalid(ref e)) if e.field == "smtp_url"), "{bad}");
        }
        assert!(matches!(
            SmtpConfig::from_url("smtp://x", "não é endereço"),
            Err(AppError::Invalid(ref e)) if e.field == "mail_from"
        ));
    }

    #[test]
    fn composed_message_is_utf8_plain_text_with_the_link() {
        let mail = MailRecord {
            id: 1,
            created_at: from_epoch(0),
            recipients: vec!["gestor@orgao.mg.gov.br".into(), "noc@prodemge.gov.br".into()],
            subject: "Ordem de serviço enviada à operadora".into(),
            body_text: "A ordem foi enviada.".into(),
            link: Some("https://redegov.example/ordens/1".into()),
            kind: "order.sent".into(),
            subject_ref: Some("order:1".into()),
            attempts: 0,
            next_attempt_at: from_epoch(0),
            sent_at: None,
            failed_at: None,
            last_error: None,
        };
        let from: Mailbox = "redegov <redegov@localhost>".parse().expect("mailbox");
        let raw = String::from_utf8(compose(&from, &mail).expect("message").formatted()).expect("ascii");
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"), "{raw}");
        let subject = raw.lines().find(|l| l.starts_with("Subject:")).expect("a Subject header");
        assert!(subject.is_ascii() && subject.contains("=?utf-8?"), "RFC 2047 subject: {raw}");
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(raw.contains("Message-ID: <outbox.1.0@localhost>"), "{raw}");
        assert!(raw.contains("To: gestor@orgao.mg.gov.br, noc@prodemge.gov.br"), "{raw}");
        assert!(raw.contains("Acesse: https://redegov.example/ordens/1"), "{raw}");
        let bad = MailRecord { recipients: vec!["não é endereço".into()], ..mail };
        assert!(compose(&from, &bad).is_err());
    }
}
