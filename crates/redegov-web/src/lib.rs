//! The HTTP edge of redegov: the `/api/v1` JSON API (with its OpenAPI
//! document) and the server-rendered pt-BR portal.
//!
//! Handlers are thin: they turn HTTP into use-case calls on `redegov_app::App`
//! and results back into JSON or HTML. Authorisation is not decided here —
//! the app layer does it — and DTOs (the JSON shapes) live here, not in the
//! domain.

pub mod api;
pub mod auth;
pub mod error;
pub mod export;
pub mod list_cache;
pub mod metrics;
pub mod portal;
pub mod reports;

use axum::Router;
use redegov_app::App;
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;

/// Shared state of every handler.
#[derive(Clone)]
pub struct WebState {
    pub app: App,
    /// Whether cookies carry the `Secure` flag (behind HTTPS).
    pub secure_cookies: bool,
    /// Serialised API list pages, valid until the next committed change.
    pub list_cache: Arc<list_cache::ListCache>,
    /// Renders the process's metrics recorder for `/metrics` (none: only
    /// the network's state is reported).
    pub metrics: Option<metrics::Render>,
}

impl WebState {
    pub fn new(app: App, secure_cookies: bool, cache_lists: bool) -> WebState {
        WebState {
            app,
            secure_cookies,
            list_cache: Arc::new(list_cache::ListCache::new(cache_lists)),
            metrics: None,
        }
    }

    /// The same, with `/metrics` rendering this recorder.
    pub fn with_metrics(self, render: metrics::Render) -> WebState {
        WebState { metrics: Some(render), ..self }
    }
}

/// Largest accepted request body (CSV imports included).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The whole HTTP application.
pub fn router(state: WebState) -> Router {
    Router::new()
        .nest("/api/v1", api::routes())
        .merge(portal::routes())
        .route_layer(axum::middleware::from_fn(metrics::timed))
        .route("/health", axum::routing::get(|| async { "ok" }))
        .route("/metrics", axum::routing::get(metrics::metrics))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(120),
        ))
        .with_state(state)
}
