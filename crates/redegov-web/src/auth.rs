//! Who is calling: the API's bearer token and the portal's session cookie,
//! as axum extractors that yield an `Actor`. They authenticate only; what the
//! actor may do is decided by the app layer.

use crate::WebState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use redegov_app::auth::Session;
use redegov_app::{Actor, AppError};

/// Name of the portal's session cookie.
pub const SESSION_COOKIE: &str = "redegov_session";

/// An API caller authenticated by `Authorization: Bearer <token>`.
pub struct ApiActor(pub Actor);

impl FromRequestParts<WebState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(AppError::Unauthenticated)?;
        Ok(ApiActor(state.app.authenticate_token(token).await?))
    }
}

/// Reads one cookie's value.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A portal user with a live session. Without one, the browser is sent to
/// the login page (and back here afterwards).
pub struct PortalUser {
    pub session: Session,
    pub token: String,
}

impl PortalUser {
    pub fn actor(&self) -> &Actor {
        &self.session.actor
    }
}

/// Sends the browser to log in.
pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        let target = format!(
            "/login?next={}",
            percent_encoding::utf8_percent_encode(&self.0, percent_encoding::NON_ALPHANUMERIC)
        );
        Redirect::to(&target).into_response()
    }
}

impl FromRequestParts<WebState> for PortalUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let Some(token) = cookie(parts, SESSION_COOKIE).map(str::to_string) else {
            return Err(LoginRedirect(next).into_response());
        };
        match state.app.session(&token).await {
            Ok(session) => Ok(PortalUser { session, token }),
            Err(AppError::Unauthenticated) => Err(LoginRedirect(next).into_response()),
            Err(e) => Err(crate::error::PageError::from(e).into_response()),
        }
    }
}

/// Checks a form's CSRF token against the session's (constant time).
pub fn check_csrf(user: &PortalUser, submitted: &str) -> Result<(), crate::error::PageError> {
    let expected = user.session.csrf_token.as_bytes();
    let given = submitted.as_bytes();
    let same = expected.len() == given.len()
        && expected.iter().zip(given).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same {
        Ok(())
    } else {
        Err(crate::error::PageError {
            status: StatusCode::FORBIDDEN,
            message: "O formulário expirou ou não veio desta página (proteção CSRF). Recarregue a página e envie de novo."
                .into(),
        })
    }
}

/// The `Set-Cookie` value for a session token.
pub fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        redegov_app::auth::SESSION_HOURS * 3600
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}
