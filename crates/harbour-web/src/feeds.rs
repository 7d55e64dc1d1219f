//! Agency systems authenticate with an API token (`Authorization: Bearer hbt_…`). A token
//! belongs to one agency and may only submit feeds: it opens no page and no other API call.

use crate::problem::{ApiProblem, ErrorBody, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use harbour_auth::token;
use harbour_store::ApiToken;
use serde::Serialize;
use utoipa::ToSchema;

/// The agency system behind a request, from its bearer token.
#[derive(Debug, Clone)]
pub(crate) struct AgencySystem(pub ApiToken);

impl FromRequestParts<AppState> for AgencySystem {
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthenticated = || {
            ApiProblem(Problem {
                message: "Send the agency's API token as 'Authorization: Bearer hbt_…'.".into(),
                ..Problem::unauthenticated()
            })
        };
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| token::looks_like_api_token(t))
            .ok_or_else(unauthenticated)?;
        let found = state
            .store
            .api_token(&token::hash_token("api", presented))
            .await?;
        match found {
            Some(token) if token.scope == "feed_submission" => Ok(Self(token)),
            _ => Err(unauthenticated()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenCheckBody {
    /// The agency the token belongs to.
    agency: String,
    /// What the token may do: `feed_submission`.
    scope: String,
    /// The label given when the token was made.
    label: String,
}

/// Checks an agency API token: answers with the agency it belongs to, so an agency's IT team
/// can test its connection before sending feeds.
#[utoipa::path(get, path = "/api/v1/feeds/token", tag = "feeds",
    security(("agency_token" = [])),
    responses((status = 200, body = TokenCheckBody), (status = 401, body = ErrorBody)))]
pub(crate) async fn check_token(AgencySystem(token): AgencySystem) -> Json<TokenCheckBody> {
    Json(TokenCheckBody {
        agency: token.agency_name,
        scope: token.scope,
        label: token.label,
    })
}
