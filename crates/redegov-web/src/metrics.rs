//! `/metrics` in the Prometheus text format, so a NOC can scrape redegov
//! with its own Prometheus, and the middleware that times every request.
//!
//! Counters and histograms recorded anywhere in the process through the
//! `metrics` facade (probes sent and failed, probe latency, alerts
//! received, HTTP request durations by method, route pattern and status)
//! are rendered by the recorder the server installed (`WebState::metrics`);
//! the network's state — accesses up, down and unknown, open incidents —
//! is read from the database at each scrape, so it is right whichever
//! worker probes. Labels are bounded: route patterns, never ids.

use crate::WebState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt::Write;
use std::time::Instant;

/// Renders the recorder's metrics as Prometheus text.
pub type Render = std::sync::Arc<dyn Fn() -> String + Send + Sync>;

/// `GET /metrics`.
pub async fn metrics(State(s): State<WebState>) -> Response {
    let mut text = s.metrics.as_ref().map(|render| render()).unwrap_or_default();
    match s.app.network_gauges().await {
        Ok(g) => {
            let _ = writeln!(text, "# HELP redegov_accesses Monitored accesses by state.");
            let _ = writeln!(text, "# TYPE redegov_accesses gauge");
            for (state, n) in [("up", g.up), ("down", g.down), ("unknown", g.unknown)] {
                let _ = writeln!(text, "redegov_accesses{{state=\"{state}\"}} {n}");
            }
            let _ = writeln!(text, "# HELP redegov_open_outages Incidents open now (accesses down).");
            let _ = writeln!(text, "# TYPE redegov_open_outages gauge");
            let _ = writeln!(text, "redegov_open_outages {}", g.open_incidents);
        }
        Err(e) => {
            tracing::error!(error = %e, "metrics: network state not read");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

/// Times a request into `redegov_http_request_duration_seconds`.
pub async fn timed(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    ::metrics::histogram!(
        "redegov_http_request_duration_seconds",
        "method" => method,
        "route" => route,
        "status" => status
    )
    .record(started.elapsed().as_secs_f64());
    response
}
