//! API
use crate::WebState;
use axum::Router;
pub fn routes() -> Router<WebState> {
    Router::new()
}
