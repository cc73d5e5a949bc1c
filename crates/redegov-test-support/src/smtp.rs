//! A real SMTP server for tests: Debian's `python3-aiosmtpd` running a small
//! handler that writes every received message to a temporary directory, as
//! JSON with the envelope, the raw message, and the subject and body decoded
//! by Python's `email` package (RFC 2047, quoted-printable, base64, charset).
//!
//! The server listens on a port of its own on 127.0.0.1 and is killed when
//! the [`SmtpServer`] drops, even if the test panics (it also exits when its
//! stdin closes, so a killed test process leaves nothing behind). Addresses
//! whose local part is `recusar` are refused with a 550 and those whose
//! local part is `adiar` with a 451, to test permanent and transient
//! failures. Without aiosmtpd, [`SmtpServer::start`] skips the test, or
//! fails it when `CI=true`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The interpreter that has aiosmtpd: Debian's, not the first `python3` on
/// `PATH` (a pyenv one may come first, without the module).
const DEFAULT_PYTHON: &str = "/usr/bin/python3";

const HANDLER: &str = r#"
import asyncio, email, email.policy, json, os, sys
from aiosmtpd.smtp import SMTP

outdir = sys.argv[1]

class Handler:
    def __init__(self):
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split('@', 1)[0].lower()
        if local == 'recusar':
            return '550 5.1.1 mailbox unavailable'
        if local == 'adiar':
            return '451 4.3.0 try again later'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode('utf-8')
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        part = msg.get_body(preferencelist=('plain',))
        record = {
            'mail_from': envelope.mail_from,
            'rcpt_tos': list(envelope.rcpt_tos),
            'raw': raw.decode('utf-8', 'replace'),
            'from': str(msg.get('from', '')),
            'to': str(msg.get('to', '')),
            'subject': str(msg.get('subject', '')),
            'content_type': str(msg.get('content-type', '')),
            # Lines travel as CRLF; tests compare text with plain newlines.
            'body': part.get_content().replace('\r\n', '\n') if part is not None else '',
        }
        name = '%06d' % self.count
        tmp = os.path.join(outdir, '.' + name + '.tmp')
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(outdir, name + '.json'))
        return '250 2.0.0 accepted'

async def main():
    loop = asyncio.get_running_loop()
    handler = Handler()
    server = await loop.create_server(
        # A fixed hostname: the default asks DNS (getfqdn), slow on a closed network.
        lambda: SMTP(handler, hostname='redegov-test', decode_data=False, enable_SMTPUTF8=True),
        '127.0.0.1', 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    # Serve until the test closes our stdin (or dies).
    await loop.run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"#;

/// A message as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// Envelope sender (`MAIL FROM`).
    pub mail_from: String,
    /// Envelope recipients (`RCPT TO`), as accepted.
    pub rcpt_tos: Vec<String>,
    /// The message as transmitted (headers and encoded body).
    pub raw: String,
    /// `From`, `To` and `Subject` headers, decoded.
    pub from: String,
    pub to: String,
    pub subject: String,
    pub content_type: String,
    /// The text/plain body, decoded to text, with `\n` line ends.
    pub body: String,
}

/// A running aiosmtpd, killed on drop.
pub struct SmtpServer {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl SmtpServer {
    /// Starts the server and waits until it accepts connections; `None`
    /// (with a "skipped" line) when aiosmtpd is not installed outside CI.
    pub fn start() -> Option<SmtpServer> {
        let python = std::env::var("REDEGOV_SMTP_PYTHON").unwrap_or_else(|_| DEFAULT_PYTHON.into());
        let has_aiosmtpd = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_aiosmtpd {
            crate::skip_or_fail(&format!(
                "SMTP test ({python} cannot import aiosmtpd: apt-get install python3-aiosmtpd, \
                 or point REDEGOV_SMTP_PYTHON at an interpreter that has it)"
            ));
            return None;
        }
        let dir = std::env::temp_dir().join(format!("redegov-smtp-{}", crate::unique_suffix()));
        std::fs::create_dir_all(&dir).expect("create the SMTP test directory");
        let mut child = Command::new(&python)
            .args(["-c", HANDLER])
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python} (aiosmtpd): {e}"));
        // The handler prints its port once it listens.
        let mut line = String::new();
        let read = child.stdout.take().map(|out| BufReader::new(out).read_line(&mut line));
        let port = match (read, line.trim().parse::<u16>()) {
            (Some(Ok(_)), Ok(port)) => port,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the aiosmtpd test server did not report its port (got {line:?})");
            }
        };
        let server = SmtpServer { port, dir, child };
        std::net::TcpStream::connect(("127.0.0.1", port)).expect("the SMTP test server accepts connections");
        Some(server)
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in order of arrival. A message is
    /// written before the server answers 250, so a send that succeeded is
    /// always here.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .expect("read the SMTP test directory")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).expect("read a received message");
                let v: serde_json::Value = serde_json::from_str(&text).expect("a received message as JSON");
                let s = |key: &str| v[key].as_str().unwrap_or_default().to_string();
                ReceivedMail {
                    mail_from: s("mail_from"),
                    rcpt_tos: v["rcpt_tos"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|r| r.as_str().map(String::from)).collect())
                        .unwrap_or_default(),
                    raw: s("raw"),
                    from: s("from"),
                    to: s("to"),
                    subject: s("subject"),
                    content_type: s("content_type"),
                    body: s("body"),
                }
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}
