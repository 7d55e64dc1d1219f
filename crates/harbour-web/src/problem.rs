//! One mapping from failures to responses: a page in the service's design for browsers, a
//! small JSON object for the API. Neither ever carries SQL, a file path or a stack trace.
//! Also the answer to unknown addresses, and the API's query-parameter extractor, whose
//! rejections are such failures.

use crate::layout::{ErrorPage, Layout};
use axum::Json;
use axum::extract::{FromRequestParts, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use harbour_store::StoreError;
use serde::Serialize;

/// A failure as the user should hear of it.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub status: StatusCode,
    /// A stable code for API clients.
    pub code: &'static str,
    pub message: String,
    /// The input field the message is about, when there is one.
    pub field: Option<String>,
}

impl Problem {
    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: "There is nothing at this address, or you are not allowed to see it.".into(),
            field: None,
        }
    }

    pub fn unauthenticated() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthenticated",
            message: "Sign in first: this needs a signed-in session.".into(),
            field: None,
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: message.into(),
            field: None,
        }
    }

    pub fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal_error",
            message: "Something went wrong on our side. Nothing you entered has been lost; try again, and if it keeps happening tell your system administrator.".into(),
            field: None,
        }
    }

    fn heading(&self) -> &'static str {
        match self.status {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::UNAUTHORIZED => "You need to sign in",
            StatusCode::FORBIDDEN => "You cannot do that",
            StatusCode::INTERNAL_SERVER_ERROR => "Sorry, there is a problem with the service",
            StatusCode::SERVICE_UNAVAILABLE => "Sorry, the service is unavailable",
            _ => "There is a problem",
        }
    }
}

/// Store failures are logged in full and shown to users only as "something went wrong".
impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "store error");
        Self::internal()
    }
}

/// A failure answered with a page.
#[derive(Debug)]
pub(crate) struct PageProblem(pub Problem);

impl<E: Into<Problem>> From<E> for PageProblem {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl IntoResponse for PageProblem {
    fn into_response(self) -> Response {
        let problem = self.0;
        let page = ErrorPage {
            layout: Layout::anonymous(problem.heading(), false),
            heading: problem.heading(),
            message: problem.message.clone(),
        };
        (problem.status, page).into_response()
    }
}

/// A failure answered with JSON.
#[derive(Debug)]
pub(crate) struct ApiProblem(pub Problem);

impl<E: Into<Problem>> From<E> for ApiProblem {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

/// The body of every API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// A stable code: bad_request, invalid_input, unauthenticated, forbidden, not_found, internal_error.
    pub code: String,
    pub message: String,
    /// The query parameter or field the error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for ApiProblem {
    fn into_response(self) -> Response {
        let problem = self.0;
        let body = ErrorBody {
            error: ErrorDetail {
                code: problem.code.to_owned(),
                message: problem.message,
                field: problem.field,
            },
        };
        (problem.status, Json(body)).into_response()
    }
}

/// Unknown addresses: a page in the service's design, or JSON under `/api/`.
pub(crate) async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiProblem(Problem::not_found()).into_response()
    } else {
        PageProblem(Problem::not_found()).into_response()
    }
}

/// Query parameters, with a bad value answered by a 400 that names the parameter.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection| {
                let text = rejection.body_text();
                let detail = text.trim_start_matches("Failed to deserialize query string: ");
                let (field, message) = match detail.strip_prefix("missing field `") {
                    Some(rest) => {
                        let field = rest.split('`').next().unwrap_or("query").to_owned();
                        let message = format!("{field} is required");
                        (field, message)
                    }
                    // serde names the parameter first: "limit: invalid digit found in string".
                    None => {
                        let field = detail
                            .split(':')
                            .next()
                            .unwrap_or("query")
                            .trim()
                            .to_owned();
                        (field, format!("query parameter {detail}"))
                    }
                };
                ApiProblem(Problem::bad_request(&field, message))
            })
    }
}
