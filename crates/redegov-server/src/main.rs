//! The `redegov` binary: command line, configuration, tracing and wiring.
//! Every subcommand is a thin call into `redegov_app`; nothing here decides
//! business rules.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use redegov_app::import::ImportKind;
use redegov_app::{Actor, App, AppError, LineFilter, SystemClock};
use redegov_domain::ids::{AgencyId, OperatorId};
use redegov_domain::measure::Month;
use redegov_domain::money::group_thousands;
use redegov_domain::role::Role;
use redegov_store::Store;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Instant;

mod jobs;

#[derive(Parser)]
#[command(name = "redegov", version, about = "Gestão do contrato da Rede IP Multisserviços")]
struct Cli {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "REDEGOV_DB", default_value = "sqlite://redegov.db")]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the portal and the API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "REDEGOV_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Loads the demo network if the database is empty.
        #[arg(long)]
        demo: bool,
        /// Marks cookies `Secure` (set when served over HTTPS).
        #[arg(long, env = "REDEGOV_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Builds every API list page from the database, never from the
        /// change-validated cache (for measuring the uncached path).
        #[arg(long, env = "REDEGOV_NO_LIST_CACHE")]
        no_list_cache: bool,
        /// SMTP server for e-mail notifications: smtp://host:25 (plain),
        /// smtp+starttls://user:pass@host:587 or smtps://user:pass@host:465.
        /// Without it, messages wait in the outbox.
        #[arg(long, env = "REDEGOV_SMTP_URL")]
        smtp_url: Option<String>,
        /// The From of notification e-mails.
        #[arg(long, env = "REDEGOV_MAIL_FROM", default_value = "redegov <redegov@localhost>")]
        mail_from: String,
        /// The portal's address as users reach it, for the links in e-mails
        /// (default: http://<bind>).
        #[arg(long, env = "REDEGOV_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        probe: ProbeArgs,
        /// Runs without the built-in prober (monitoring by `redegov probe`
        /// workers or by external monitors only).
        #[arg(long, env = "REDEGOV_NO_PROBE")]
        no_probe: bool,
    },
    /// Runs a probe worker only: probes the targets of the shards it leases
    /// (several workers share the targets through one PostgreSQL).
    Probe {
        #[command(flatten)]
        probe: ProbeArgs,
    },
    /// Applies pending database migrations.
    Migrate,
    /// Loads the demo network into an empty database.
    Demo,
    /// Imports a CSV file (all rows or none): agencies, sites, accesses or incidents.
    Import {
        /// agencies, sites, accesses or incidents.
        kind: String,
        /// The CSV file (`,` or `;` separated, UTF-8).
        file: std::path::PathBuf,
    },
    /// Closes a month (YYYY-MM) that has ended: measures every access and
    /// stores the immutable snapshot (once per month).
    CloseMonth {
        /// The month, as YYYY-MM (e.g. 2026-10).
        month: String,
    },
    /// Manages users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manages API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

/// How the built-in prober runs (`serve` and `probe`).
#[derive(clap::Args)]
struct ProbeArgs {
    /// Overrides the settings' default probe interval: 200ms, 30s, 1m.
    #[arg(long, env = "REDEGOV_PROBE_INTERVAL", value_parser = parse_interval)]
    probe_interval: Option<std::time::Duration>,
    /// This worker's name, unique among the workers of one database
    /// (default: host name and process id).
    #[arg(long, env = "REDEGOV_WORKER")]
    worker: Option<String>,
    /// ICMP socket: auto (unprivileged if net.ipv4.ping_group_range allows,
    /// else raw), raw (root or CAP_NET_RAW) or dgram.
    #[arg(long, env = "REDEGOV_ICMP_SOCKET", default_value = "auto", value_parser = parse_socket)]
    icmp_socket: redegov_probe::SocketKind,
}

impl ProbeArgs {
    fn options(self) -> redegov_app::probing::MonitorOptions {
        let worker = self.worker.unwrap_or_else(|| {
            let host = std::fs::read_to_string("/etc/hostname").unwrap_or_else(|_| "redegov".into());
            format!("{}-{}", host.trim(), std::process::id())
        });
        redegov_app::probing::MonitorOptions {
            worker,
            interval: self.probe_interval,
            icmp_socket: self.icmp_socket,
        }
    }
}

/// `200ms`, `30s`, `1m` (at least 100 ms, at most an hour).
fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = number.parse().map_err(|_| format!("{text:?}: use e.g. 200ms, 30s or 1m"))?;
    let ms = match unit {
        "ms" => n,
        "s" | "" => n.saturating_mul(1000),
        "m" | "min" => n.saturating_mul(60_000),
        _ => return Err(format!("{text:?}: the unit is ms, s or m")),
    };
    if !(100..=3_600_000).contains(&ms) {
        return Err(format!("{text:?}: between 100ms and 60m"));
    }
    Ok(std::time::Duration::from_millis(ms))
}

fn parse_socket(text: &str) -> Result<redegov_probe::SocketKind, String> {
    use redegov_probe::SocketKind;
    match text {
        "auto" => Ok(SocketKind::Auto),
        "raw" => Ok(SocketKind::Raw),
        "dgram" => Ok(SocketKind::Dgram),
        other => Err(format!("{other:?}: auto, raw or dgram")),
    }
}

#[derive(Subcommand)]
enum UserCommand {
    /// Adds a user; the password comes from a prompt or REDEGOV_PASSWORD.
    Add {
        #[arg(long)]
        login: String,
        /// admin, committee, network_manager, contract_manager, agency_manager, operator, auditor.
        #[arg(long)]
        role: String,
        #[arg(long)]
        agency: Option<i64>,
        #[arg(long)]
        operator: Option<i64>,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long, default_value = "")]
        email: String,
    },
    /// Sets a user's password (prompt or REDEGOV_PASSWORD).
    Passwd {
        #[arg(long)]
        login: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Prints a new bearer token for the user (shown once).
    Create {
        #[arg(long)]
        login: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    // One TLS provider for every client (SMTP, webhooks): ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(cli).await {
        eprintln!("erro: {e:#}");
        std::process::exit(1);
    }
}

/// Connects and migrates: every subcommand starts here.
async fn open(db: &str) -> Result<App> {
    let store = Store::connect(db).await?;
    store.migrate().await.with_context(|| format!("migrating {}", redegov_store::redact(db)))?;
    Ok(App::new(store, Arc::new(SystemClock)))
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            bind,
            demo,
            secure_cookies,
            no_list_cache,
            smtp_url,
            mail_from,
            public_url,
            probe,
            no_probe,
        } => {
            let smtp = match smtp_url {
                Some(url) => Some(
                    redegov_app::mail::SmtpConfig::from_url(&url, &mail_from)
                        .map_err(|e| cli_error(e).context("--smtp-url / --mail-from"))?,
                ),
                None => None,
            };
            let public_url = public_url.unwrap_or_else(|| format!("http://{bind}"));
            let probe = (!no_probe).then(|| probe.options());
            let options = ServeOptions { demo, secure_cookies, cache_lists: !no_list_cache, smtp, probe };
            serve(&cli.db, &bind, &public_url, options).await
        }
        Command::Probe { probe } => probe_worker(&cli.db, probe.options()).await,
        Command::Migrate => {
            open(&cli.db).await?;
            println!("migrations applied to {}", redegov_store::redact(&cli.db));
            Ok(())
        }
        Command::Demo => {
            let app = open(&cli.db).await?;
            load_demo(&app).await
        }
        Command::Import { kind, file } => import(&cli.db, &kind, &file).await,
        Command::CloseMonth { month } => close_month(&cli.db, &month).await,
        Command::User(UserCommand::Add { login, role, agency, operator, name, email }) => {
            let app = open(&cli.db).await?;
            let role = Role::parse("role", &role).map_err(|e| anyhow::anyhow!("--{e}"))?;
            let password = read_password()?;
            let input = redegov_app::auth::UserInput {
                login,
                name,
                email,
                role,
                agency_id: agency.map(AgencyId),
                operator_id: operator.map(OperatorId),
                password,
            };
            let user = app.create_user(&Actor::system(), input).await.map_err(cli_error)?;
            println!("user {} created (id {}, role {})", user.login, user.id, user.role.as_str());
            Ok(())
        }
        Command::User(UserCommand::Passwd { login }) => {
            let app = open(&cli.db).await?;
            let password = read_password()?;
            app.set_password(&Actor::system(), &login, &password).await.map_err(cli_error)?;
            println!("password of {login} changed");
            Ok(())
        }
        Command::Token(TokenCommand::Create { login, name }) => {
            let app = open(&cli.db).await?;
            let token = app.create_api_token(&Actor::system(), &login, &name).await.map_err(cli_error)?;
            println!("{token}");
            Ok(())
        }
    }
}

/// Turns a use-case error into a one-line CLI message naming field and rule.
fn cli_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(fe) => anyhow::anyhow!("{}: {}", fe.field, fe.rule.pt_br()),
        AppError::Rejected(problems) => {
            let mut text = format!("{} problema(s); nada foi importado:", problems.len());
            for p in &problems {
                text.push_str(&format!("\n  {p}"));
            }
            anyhow::anyhow!(text)
        }
        other => anyhow::anyhow!(other),
    }
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("REDEGOV_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password: set REDEGOV_PASSWORD");
    }
    let first = rpassword::prompt_password("Senha: ")?;
    let again = rpassword::prompt_password("Repita a senha: ")?;
    if first != again {
        bail!("the passwords differ");
    }
    Ok(first)
}

async fn load_demo(app: &App) -> Result<()> {
    match app.load_demo().await.map_err(cli_error)? {
        Some(loaded) => {
            println!("rede de demonstração carregada: {}", loaded.summary);
            println!(
                "usuários de demonstração (senha {}):",
                loaded.users.first().map(|u| u.2.as_str()).unwrap_or("")
            );
            for (login, role, _) in &loaded.users {
                println!("  {login:<12} {}", role.label());
            }
        }
        None => println!("o banco já tem dados: a rede de demonstração não foi carregada"),
    }
    Ok(())
}

/// What `serve` runs besides the portal and the API.
struct ServeOptions {
    demo: bool,
    secure_cookies: bool,
    cache_lists: bool,
    smtp: Option<redegov_app::mail::SmtpConfig>,
    /// The built-in prober, unless `--no-probe`.
    probe: Option<redegov_app::probing::MonitorOptions>,
}

async fn serve(db: &str, bind: &str, public_url: &str, options: ServeOptions) -> Result<()> {
    let ServeOptions { demo, secure_cookies, cache_lists, smtp, probe } = options;
    let started = Instant::now();
    let metrics = install_metrics()?;
    let app = open(db).await?.with_public_url(public_url);
    let admin_password =
        app.bootstrap_admin(std::env::var("REDEGOV_ADMIN_PASSWORD").ok()).await.map_err(cli_error)?;
    if demo {
        load_demo(&app).await?;
    }
    let listener =
        tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    println!(
        "redegov pronto em {} ms — portal: http://{addr}/  API: http://{addr}/api/v1/docs",
        started.elapsed().as_millis()
    );
    match admin_password {
        Some(p) => println!(
            "login: admin  senha: {p}  (mostrada só agora; troque com `redegov user passwd --login admin`)"
        ),
        None => println!("login: admin (senha definida anteriormente ou por REDEGOV_ADMIN_PASSWORD)"),
    }
    let mail = match &smtp {
        Some(config) => {
            let transport = redegov_app::mail::MailTransport::new(config).map_err(cli_error)?;
            println!("e-mail: enviando por {} (de {})", transport.describe(), config.from);
            Some(transport)
        }
        None => {
            println!("e-mail: sem --smtp-url; as mensagens ficam na fila até haver um servidor");
            None
        }
    };
    tokio::spawn(jobs::run(app.clone(), mail, jobs::TICK));
    let monitor = match probe {
        Some(options) => start_prober(&app, options),
        None => {
            println!("monitoramento: sem prober embutido (--no-probe)");
            None
        }
    };
    let state = redegov_web::WebState::new(app, secure_cookies, cache_lists).with_metrics(metrics);
    let router = redegov_web::router(state);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    if let Some(monitor) = monitor {
        monitor.stop().await;
    }
    Ok(())
}

/// Starts the built-in prober; a prober that cannot open its socket is
/// reported with what to do, and the server goes on without it.
fn start_prober(
    app: &App,
    options: redegov_app::probing::MonitorOptions,
) -> Option<redegov_app::probing::MonitorHandle> {
    let worker = options.worker.clone();
    match redegov_app::probing::start_monitor(app.clone(), options) {
        Ok(handle) => {
            println!("monitoramento: prober {worker} ativo");
            Some(handle)
        }
        Err(e) => {
            eprintln!("aviso: monitoramento desligado — {e}");
            None
        }
    }
}

/// `redegov probe`: the monitor alone, until Ctrl-C.
async fn probe_worker(db: &str, options: redegov_app::probing::MonitorOptions) -> Result<()> {
    install_metrics()?;
    let app = open(db).await?;
    let worker = options.worker.clone();
    let handle = redegov_app::probing::start_monitor(app, options).map_err(cli_error)?;
    println!("prober {worker} ativo; Ctrl-C para parar");
    let _ = tokio::signal::ctrl_c().await;
    handle.stop().await;
    Ok(())
}

/// Installs the Prometheus recorder behind `/metrics` (latency buckets for
/// probes and HTTP requests) and returns its renderer.
fn install_metrics() -> Result<redegov_web::metrics::Render> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    let probe = [0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0];
    let http = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full("redegov_probe_rtt_seconds".into()), &probe)?
        .set_buckets_for_metric(Matcher::Full("redegov_http_request_duration_seconds".into()), &http)?
        .install_recorder()
        .context("installing the metrics recorder")?;
    Ok(Arc::new(move || handle.render()))
}

async fn import(db: &str, kind: &str, file: &std::path::Path) -> Result<()> {
    let Some(kind) = ImportKind::parse(kind) else {
        bail!("unknown import kind {kind:?}: use agencies, sites, accesses or incidents");
    };
    let data = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let app = open(db).await?;
    let bar = if std::io::stderr().is_terminal() { ProgressBar::new(0) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} linhas ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let report = app.import_csv(&Actor::system(), kind, &data, &progress).await.map_err(cli_error);
    bar.finish_and_clear();
    let report = report?;
    println!(
        "{} linha(s) importada(s) de {} em {:.1} s",
        report.rows,
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One progress bar per stage of a long job, each left on screen finished
/// when the next stage starts. Hidden when stderr is not a terminal.
struct StageBars {
    visible: bool,
    current: Mutex<Option<(String, ProgressBar)>>,
}

impl StageBars {
    fn new() -> StageBars {
        StageBars { visible: std::io::stderr().is_terminal(), current: Mutex::new(None) }
    }

    fn update(&self, stage: &str, done: usize, total: usize) {
        // A poisoned lock only means an earlier update panicked; the bar
        // itself is still usable.
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_none_or(|(name, _)| name != stage) {
            if let Some((_, bar)) = current.take() {
                bar.finish();
            }
            let bar = if self.visible { ProgressBar::new(total as u64) } else { ProgressBar::hidden() };
            bar.set_style(
                ProgressStyle::with_template("{prefix:<44} {bar:30} {pos}/{len} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_prefix(stage.to_string());
            *current = Some((stage.to_string(), bar));
        }
        if let Some((_, bar)) = current.as_ref() {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }

    /// Completes the last stage's bar, or leaves it where it stopped when
    /// the job failed.
    fn finish(&self, succeeded: bool) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, bar)) = current.take() {
            if succeeded { bar.finish() } else { bar.abandon() }
        }
    }
}

async fn close_month(db: &str, month_text: &str) -> Result<()> {
    let Some(month) = Month::parse(month_text) else {
        bail!("mês inválido {month_text:?}: use AAAA-MM, por exemplo 2026-10");
    };
    let app = open(db).await?;
    let actor = Actor::system();
    let bars = StageBars::new();
    let started = Instant::now();
    let closed = app.close_month(&actor, month, &|stage, done, total| bars.update(stage, done, total)).await;
    bars.finish(closed.is_ok());
    let closing = closed.map_err(|e| match e {
        // The rule names the month ("o mês 2026-10 já foi fechado; …",
        // "o mês 2026-12 ainda não terminou; …"): no field name needed.
        AppError::Invalid(fe) if fe.field == "month" => anyhow::anyhow!(fe.rule.pt_br()),
        other => cli_error(other),
    })?;
    let results = app.month_results(&actor, month, LineFilter::default()).await.map_err(cli_error)?;
    let seconds = format!("{:.1}", started.elapsed().as_secs_f64()).replace('.', ",");
    println!("Mês {} fechado em {seconds} s", closing.month);
    let accesses = group_thousands(closing.accesses.unsigned_abs());
    let breaches = group_thousands(results.breaches.len() as u64);
    for (label, value) in [
        ("Acessos", accesses),
        ("Faturado", closing.charge.format_brl()),
        ("Descontos", closing.credit.format_brl()),
        ("Líquido", closing.net.format_brl()),
        ("Violações de IMR", breaches),
        ("Impressão digital dos dados (SHA-256)", closing.inputs_fingerprint.clone()),
    ] {
        println!("  {:<38} {value}", format!("{label}:"));
    }
    Ok(())
}
