//! The background job loop of `redegov serve`: every tick it delivers the
//! e-mail outbox (when an SMTP server is configured) and the operators'
//! webhooks, and runs the other scheduled jobs (orders; penalty deadlines;
//! ratification reminders, hourly; monitoring retention, daily). Each job
//! is a use case of `redegov_app`; this loop only calls them and logs what
//! they did. A failing job is logged and tried again at the next tick: it
//! never stops the loop or the server.

use redegov_app::App;
use redegov_app::mail::MailTransport;
use std::time::Duration;

/// How often the loop runs: a queued e-mail goes out within this time.
pub const TICK: Duration = Duration::from_secs(5);

/// How often the database's planner statistics are refreshed.
const STATISTICS_EVERY: Duration = Duration::from_secs(3600);

/// How often municipalities are checked for a ratification reminder (a
/// reminder is sent at most once per the settings' interval anyway).
const RATIFICATION_EVERY: Duration = Duration::from_secs(3600);

/// How often monitoring data past its retention is deleted.
const RETENTION_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Webhook calls per tick.
const WEBHOOK_BATCH: usize = 100;

/// Messages sent per delivery batch. A full batch is followed at once by
/// another (up to [`MAX_BATCHES_PER_TICK`]), so a backlog drains quickly
/// while one tick stays bounded.
pub const MAIL_BATCH: usize = 50;
const MAX_BATCHES_PER_TICK: usize = 20;

/// Runs forever (until the task is dropped with the server).
pub async fn run(app: App, mail: Option<MailTransport>, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut statistics_refreshed: Option<std::time::Instant> = None;
    let mut pruned: Option<std::time::Instant> = None;
    let mut ratification_checked: Option<std::time::Instant> = None;
    let webhooks = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| tracing::error!(error = %e, "no HTTP client: webhooks stay queued"))
        .ok();
    loop {
        ticker.tick().await;

        // ----- planner statistics: at start, then hourly -----
        if statistics_refreshed.is_none_or(|at| at.elapsed() >= STATISTICS_EVERY) {
            if let Err(e) = app.refresh_statistics().await {
                tracing::error!(error = %e, "refreshing the planner statistics failed");
            }
            statistics_refreshed = Some(std::time::Instant::now());
        }

        // ----- scheduled jobs: add new ones here, each one call per tick -----
        // They queue their e-mails with `redegov_app::mail::enqueue`, so they
        // run before the delivery below and their messages go out this tick.
        order_jobs(&app).await;
        penalty_deadlines(&app).await;
        if ratification_checked.is_none_or(|at| at.elapsed() >= RATIFICATION_EVERY) {
            match app.remind_ratifications().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(municipalities = n, "ratification reminders"),
                Err(e) => tracing::error!(error = %e, "ratification reminders failed; trying again later"),
            }
            ratification_checked = Some(std::time::Instant::now());
        }
        if pruned.is_none_or(|at| at.elapsed() >= RETENTION_EVERY) {
            match app.prune_monitoring().await {
                Ok(n) if n > 0 => tracing::info!(rows = n, "monitoring retention applied"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "monitoring retention failed"),
            }
            pruned = Some(std::time::Instant::now());
        }
        if let Some(client) = &webhooks {
            match app.deliver_webhooks(client, WEBHOOK_BATCH).await {
                Ok(r) if r.claimed > 0 => {
                    tracing::info!(sent = r.sent, retry = r.failed, gave_up = r.gave_up, "webhooks")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "webhook delivery failed; trying again at the next tick")
                }
            }
        }

        // ----- e-mail delivery: last, so this tick's messages go out now -----
        if let Some(transport) = &mail {
            deliver_mail(&app, transport).await;
        }
    }
}

/// Service orders: tacit acceptance, reminders and late notices, scheduled
/// access changes, due dates of paused orders.
async fn order_jobs(app: &App) {
    match app.run_order_jobs().await {
        Ok(report) if report != Default::default() => tracing::info!(?report, "service-order jobs"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "service-order jobs failed; trying again at the next tick"),
    }
}

/// Penalty processes: defense deadlines and appeal windows that have passed.
async fn penalty_deadlines(app: &App) {
    match app.run_penalty_deadlines().await {
        Ok(0) => {}
        Ok(moved) => tracing::info!(moved, "penalty deadlines"),
        Err(e) => tracing::error!(error = %e, "penalty deadline job failed; trying again at the next tick"),
    }
}

async fn deliver_mail(app: &App, transport: &MailTransport) {
    for _ in 0..MAX_BATCHES_PER_TICK {
        match app.deliver_mail(transport, MAIL_BATCH).await {
            Ok(report) => {
                if report.claimed > 0 {
                    tracing::info!(
                        sent = report.sent,
                        retry = report.failed,
                        gave_up = report.gave_up,
                        "e-mail delivery"
                    );
                }
                if report.claimed < MAIL_BATCH {
                    return;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "e-mail delivery failed; trying again at the next tick");
                return;
            }
        }
    }
}
