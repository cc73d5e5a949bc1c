//! Signing in and out of the portal. The login form carries no CSRF token
//! (there is no session yet; the session cookie is `SameSite=Lax`); logout
//! is a CSRF-checked POST. After signing in, the browser goes back to the
//! page that asked for it — only ever a local path, never another site.

use super::paging::ListQuery;
use super::{Chrome, render, render_status};
use crate::WebState;
use crate::auth::{PortalUser, check_csrf, clear_session_cookie, session_cookie};
use crate::error::PageError;
use askama::Template;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use redegov_app::AppError;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    login: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

/// Where to go after signing in: a path of this site, or the dashboard.
/// `//host` and `/\host` are refused because browsers read them as other
/// sites; control characters because they would break the header.
fn local_target(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

pub async fn login_form(RawQuery(raw): RawQuery) -> Response {
    let q = ListQuery::parse(raw.as_deref());
    let next = local_target(q.text("next").as_deref());
    // After an invitation link set the password: the login is filled in.
    let notice = q.text("convite").map(|_| "Senha definida. Entre com seu usuário e a nova senha.");
    let login = q.text("usuario").unwrap_or_default();
    render(&LoginPage { chrome: Chrome::anonymous("Entrar"), next, login, error: None, notice })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    login: String,
    password: String,
    next: String,
}

pub async fn login(
    State(state): State<WebState>,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = local_target(Some(&form.next));
    match state.app.login(&form.login, &form.password).await {
        Ok(session) => {
            let cookie = session_cookie(&session.token, state.secure_cookies);
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
        }
        Err(AppError::Unauthenticated) => {
            let page = LoginPage {
                chrome: Chrome::anonymous("Entrar"),
                next,
                login: form.login,
                error: Some("Usuário ou senha inválidos."),
                notice: None,
            };
            Ok(render_status(StatusCode::UNAUTHORIZED, &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// A form whose only field is the CSRF token.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<WebState>,
    user: PortalUser,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&user, &form.csrf)?;
    state.app.logout(&user.token).await?;
    Ok(([(header::SET_COOKIE, clear_session_cookie())], Redirect::to("/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        for (next, target) in [
            (Some("/acessos?lot=3"), "/acessos?lot=3"),
            (Some("/"), "/"),
            (Some("//evil.example/x"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("https://evil.example"), "/"),
            (Some("acessos"), "/"),
            (Some("/a\r\nSet-Cookie: x=1"), "/"),
            (Some(""), "/"),
            (None, "/"),
        ] {
            assert_eq!(local_target(next), target, "{next:?}");
        }
    }
}
