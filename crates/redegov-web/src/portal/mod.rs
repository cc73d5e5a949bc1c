//! The server-rendered portal (pt-BR). Placeholder: being written.

use crate::WebState;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Router;

pub fn routes() -> Router<WebState> {
    Router::new()
}

/// Renders an error page with a pt-BR message.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    (status, Html(format!("<p>{}</p>", message.replace('<', "&lt;")))).into_response()
}
