//! Errors at the edge: one JSON error for the API and one HTML error page
//! for the portal, each mapped to a status in a single `match`. A 5xx gets
//! a request id that is logged once with the cause and shown to the user.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use redegov_app::AppError;
use redegov_app::import::ImportProblem;
use redegov_domain::error::{FieldError, Rule};
use serde::Serialize;

/// The API's error: `{"error": {"code", "message", "field"}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    pub problems: Vec<ImportProblem>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<ProblemDto>,
}

#[derive(Serialize)]
struct ProblemDto {
    line: usize,
    column: String,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.into(), message: message.into(), field: None, problems: vec![] }
    }

    /// A malformed request (400), naming the field when known.
    pub fn bad_request(field: Option<String>, message: impl Into<String>) -> ApiError {
        ApiError { field, ..ApiError::new(StatusCode::BAD_REQUEST, "malformed_request", message) }
    }

    /// A rule broken by one field (422).
    pub fn invalid(e: FieldError) -> ApiError {
        let status = match e.rule {
            Rule::Malformed(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            code: e.rule.code().into(),
            message: format!("{}: {}", e.field, e.rule.en()),
            field: Some(e.field),
            problems: vec![],
        }
    }
}

/// Logs an internal failure once and returns the id shown to the user.
pub fn log_internal(cause: &dyn std::fmt::Display) -> String {
    let id = redegov_app::auth::random_token(6);
    tracing::error!(request_id = %id, "internal error: {cause}");
    id
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::Invalid(fe) => ApiError::invalid(fe),
            AppError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            AppError::Forbidden(what) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("your role may not {what}"))
            }
            AppError::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "missing or invalid bearer token (Authorization: Bearer rg_…; create one with `redegov token create`)",
            ),
            AppError::Conflict { field, message } => {
                ApiError { field, ..ApiError::new(StatusCode::CONFLICT, "conflict", message) }
            }
            AppError::Rejected(problems) => ApiError {
                problems,
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "rejected_file",
                    "the file has problems; nothing was imported",
                )
            },
            other @ (AppError::Store(_) | AppError::Internal(_)) => {
                let id = log_internal(&other);
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    format!("internal error (request id {id}); it was logged"),
                )
            }
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> ApiError {
        ApiError::invalid(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: &self.code,
                message: &self.message,
                field: self.field.as_deref(),
                problems: self
                    .problems
                    .iter()
                    .map(|p| ProblemDto {
                        line: p.line,
                        column: p.column.clone(),
                        code: p.rule.code(),
                        message: p.rule.en(),
                    })
                    .collect(),
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// The portal's error: a status and a pt-BR message, rendered as a page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn not_found() -> PageError {
        PageError { status: StatusCode::NOT_FOUND, message: "Página ou registro não encontrado.".into() }
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        let (status, message) = match e {
            AppError::Invalid(fe) => {
                (StatusCode::UNPROCESSABLE_ENTITY, format!("{}: {}", fe.field, fe.rule.pt_br()))
            }
            AppError::NotFound(_) => return PageError::not_found(),
            AppError::Forbidden(_) => {
                (StatusCode::FORBIDDEN, "Seu perfil não permite esta operação.".to_string())
            }
            AppError::Unauthenticated => {
                (StatusCode::UNAUTHORIZED, "Entre com seu usuário e senha.".to_string())
            }
            AppError::Conflict { message, .. } => (StatusCode::CONFLICT, format!("Conflito: {message}")),
            AppError::Rejected(problems) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"),
            ),
            other @ (AppError::Store(_) | AppError::Internal(_)) => {
                let id = log_internal(&other);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!(
                        "Erro interno (código {id}). Tente de novo; se persistir, informe o código ao suporte."
                    ),
                )
            }
        };
        PageError { status, message }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        crate::portal::error_page(self.status, &self.message)
    }
}
