//! Sessions: a random token in an HttpOnly, SameSite=Strict cookie; only its hash is stored.
//!
//! Every handler that shows personal data takes a [`SignedIn`] (pages) or [`ApiCaller`]
//! (API), so the signed-in principal travels with each request and no handler can forget to
//! ask for it. Password and second-factor sign-in will create sessions the same way.

use crate::layout::Viewer;
use crate::problem::{ApiProblem, PageProblem, Problem};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_store::SessionUser;
use sha2::{Digest, Sha256};

const COOKIE: &str = "harbour_session";
const SECURE_COOKIE: &str = "__Host-harbour_session";

/// A new session token: 256 random bits, hex-encoded.
pub(crate) fn new_token() -> Result<String, Problem> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| {
        tracing::error!(%error, "no randomness for a session token");
        Problem::internal()
    })?;
    Ok(hex::encode(bytes))
}

/// What the database keeps instead of the token.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(
        format!("harbour-session:{token}").as_bytes(),
    ))
}

/// The anti-forgery token for forms in this session: derived from the session token, which
/// scripts and other sites cannot read, so it cannot be guessed from outside.
pub(crate) fn csrf_token(token: &str) -> String {
    hex::encode(Sha256::digest(format!("harbour-csrf:{token}").as_bytes()))
}

fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE } else { COOKIE }
}

pub(crate) fn set_cookie(token: &str, secure: bool) -> HeaderValue {
    let attributes = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict{attributes}",
        cookie_name(secure)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub(crate) fn clear_cookie(secure: bool) -> HeaderValue {
    let attributes = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{attributes}",
        cookie_name(secure)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn token_from(parts: &Parts, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| {
            *key == name && value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|(_, value)| value.to_owned())
}

/// Checks the anti-forgery token a signed-in form carries.
pub(crate) fn check_form_token(signed_in: &SignedIn, token: Option<&str>) -> Result<(), Problem> {
    use subtle::ConstantTimeEq;
    let expected = signed_in.csrf_token();
    let given = token.unwrap_or_default();
    if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "This form has expired. Go back, reload the page and try again.",
        ))
    }
}

/// The client's address, for throttling sign-in attempts: the TCP peer. (Behind a reverse
/// proxy every request shares the proxy's address, so the per-client limit then applies to
/// all users together; the per-account limit is unaffected.)
#[derive(Debug, Clone)]
pub(crate) struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string());
        Ok(Self(address))
    }
}

/// The signed-in member of staff behind this request.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub user: SessionUser,
    pub token: String,
}

/// What the page layout shows of the user, and the token its forms carry.
impl Viewer for SignedIn {
    fn user(&self) -> &SessionUser {
        &self.user
    }

    fn csrf_token(&self) -> String {
        csrf_token(&self.token)
    }
}

async fn lookup(parts: &Parts, state: &AppState) -> Result<Option<SignedIn>, Problem> {
    let Some(token) = token_from(parts, state.config.secure_cookies) else {
        return Ok(None);
    };
    let user = state
        .store
        .session_user(
            &token_hash(&token),
            state.clock.now(),
            state.config.idle_timeout,
        )
        .await?;
    Ok(user.map(|user| SignedIn { user, token }))
}

/// Pages: without a live session, the browser is sent to sign in.
impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match lookup(parts, state).await {
            Ok(Some(signed_in)) => Ok(signed_in),
            Ok(None) => Err(Redirect::to("/sign-in").into_response()),
            Err(problem) => Err(PageProblem(problem).into_response()),
        }
    }
}

/// Pages that anyone may see, with the user's name in the header when there is one.
#[derive(Debug, Clone)]
pub(crate) struct MaybeSignedIn(pub Option<SignedIn>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        lookup(parts, state)
            .await
            .map(Self)
            .map_err(|problem| PageProblem(problem).into_response())
    }
}

/// API: without a live session, `401` with a JSON error.
#[derive(Debug, Clone)]
pub(crate) struct ApiCaller(pub SignedIn);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match lookup(parts, state).await? {
            Some(signed_in) => Ok(Self(signed_in)),
            None => Err(ApiProblem(Problem::unauthenticated())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_hashes_are_kept() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_ne!(
            csrf_token(&a),
            token_hash(&a),
            "the form token is not the stored hash"
        );
    }

    #[test]
    fn cookies_are_locked_down() {
        let plain = set_cookie("abc", false).to_str().unwrap().to_owned();
        assert!(plain.starts_with("harbour_session=abc;"));
        assert!(
            plain.contains("HttpOnly")
                && plain.contains("SameSite=Strict")
                && !plain.contains("Secure")
        );
        let secure = set_cookie("abc", true).to_str().unwrap().to_owned();
        assert!(secure.starts_with("__Host-harbour_session=abc;") && secure.contains("; Secure"));
    }
}
