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
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_store::SessionUser;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};

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

/// The client's address, for throttling sign-in attempts and for the audit: the TCP peer,
/// or, when the peer is one of the configured trusted proxies, the address that proxy says it
/// saw (see [`client_address`]).
#[derive(Debug, Clone)]
pub(crate) struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        Ok(Self(match peer {
            Some(peer) => {
                client_address(peer, &parts.headers, &state.config.trusted_proxies).to_string()
            }
            // Only a server started without connect info (never `serve`) lands here.
            None => "unknown".to_owned(),
        }))
    }
}

/// Who the client is. A peer that is not a trusted proxy is the client, whatever headers it
/// sends. A trusted proxy's forwarding header is read from the right, the end the proxy
/// itself appended: the first address that is not another trusted proxy is the client. A
/// header that says nothing usable leaves the proxy as the client (so such requests share
/// one throttle rather than escape it). `Forwarded` (RFC 7239) is preferred when both are
/// present; only its `for=` parameters are read.
pub(crate) fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    // A dual-stack listener sees IPv4 peers as `::ffff:a.b.c.d`; compare them as IPv4.
    let peer = peer.to_canonical();
    let trusted: Vec<IpAddr> = trusted.iter().map(IpAddr::to_canonical).collect();
    if !trusted.contains(&peer) {
        return peer;
    }
    let values = |name: header::HeaderName| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|part| part.trim().to_owned())
            .collect()
    };
    let forwarded: Vec<Option<IpAddr>> = values(header::FORWARDED)
        .iter()
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.trim().split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| forwarded_node(value.trim()))
            })
        })
        .collect();
    let chain = if forwarded.is_empty() {
        values(HeaderName::from_static("x-forwarded-for"))
            .iter()
            .map(|value| forwarded_node(value))
            .collect()
    } else {
        forwarded
    };
    for hop in chain.iter().rev() {
        match hop {
            Some(address) if trusted.contains(address) => {}
            Some(address) => return *address,
            // An obfuscated or unparsable hop: nothing further left can be trusted.
            None => return peer,
        }
    }
    peer
}

/// One node of a forwarding header: `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`,
/// `2001:db8::1`. Obfuscated identifiers and `unknown` give `None`.
fn forwarded_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    let address = if let Ok(address) = text.parse::<IpAddr>() {
        address
    } else if let Some(rest) = text.strip_prefix('[') {
        rest.split(']').next()?.parse().ok()?
    } else {
        text.parse::<SocketAddr>().ok()?.ip()
    };
    Some(address.to_canonical())
}

/// Where a page sends a browser without a live session: the sign-in page, carrying the page
/// asked for (a `GET` only: a form posted with an expired session cannot be replayed) so that
/// signing in returns to it.
fn sign_in_address(parts: &Parts) -> String {
    let asked = parts
        .uri
        .path_and_query()
        .map_or("/", axum::http::uri::PathAndQuery::as_str);
    match safe_next(asked) {
        Some(next) if parts.method == axum::http::Method::GET && next != "/" => {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next)
                .finish();
            format!("/sign-in?{query}")
        }
        _ => "/sign-in".to_owned(),
    }
}

/// `next` if it is a path on this site and nothing else: it starts with a single `/` (not
/// `//`, which a browser reads as another host), holds no backslash (which browsers read as
/// `/`) and only visible ASCII (browsers drop tabs and line breaks, which could make `//`).
/// A scheme (`https:`, `javascript:`) cannot come first, since the path must start with `/`.
pub(crate) fn safe_next(next: &str) -> Option<&str> {
    let ok = next.len() <= 2048
        && next.starts_with('/')
        && !next.starts_with("//")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    ok.then_some(next)
}

/// The signed-in member of staff behind this request.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub user: SessionUser,
    pub token: String,
    /// The path asked for, so the navigation can mark the current page.
    pub path: String,
}

/// What the page layout shows of the user, and the token its forms carry.
impl Viewer for SignedIn {
    fn user(&self) -> &SessionUser {
        &self.user
    }

    fn csrf_token(&self) -> String {
        csrf_token(&self.token)
    }

    fn path(&self) -> &str {
        &self.path
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
    Ok(user.map(|user| SignedIn {
        user,
        token,
        path: parts.uri.path().to_owned(),
    }))
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
            Ok(None) => Err(Redirect::to(&sign_in_address(parts)).into_response()),
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

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let inner: IpAddr = "10.0.0.6".parse().unwrap();
        let stranger: IpAddr = "203.0.113.50".parse().unwrap();
        let trusted = [proxy, inner];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.1")]);
        assert_eq!(client_address(stranger, &spoofed, &trusted), stranger);
        assert_eq!(
            client_address(proxy, &spoofed, &trusted),
            ip("198.51.100.1")
        );
        // The client's own claim sits on the left; the proxies append on the right.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.1, 10.0.0.6")]);
        assert_eq!(client_address(proxy, &chain, &trusted), ip("198.51.100.1"));
        let split = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.2"),
        ]);
        assert_eq!(client_address(proxy, &split, &trusted), ip("198.51.100.2"));
        let forwarded = headers(&[(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8::1]:4711\";proto=https;by=10.0.0.5",
        )]);
        assert_eq!(
            client_address(proxy, &forwarded, &trusted),
            ip("2001:db8::1")
        );
        let with_port = headers(&[("forwarded", "For=198.51.100.3:8080")]);
        assert_eq!(
            client_address(proxy, &with_port, &trusted),
            ip("198.51.100.3")
        );
        for useless in ["unknown", "_hidden", "", "not an address"] {
            let map = headers(&[("x-forwarded-for", useless)]);
            assert_eq!(client_address(proxy, &map, &trusted), proxy, "{useless:?}");
        }
        let hidden = headers(&[("forwarded", "for=198.51.100.9, for=_proxy2")]);
        assert_eq!(
            client_address(proxy, &hidden, &trusted),
            proxy,
            "nothing left of an unknown hop is believed"
        );
        assert_eq!(client_address(proxy, &HeaderMap::new(), &trusted), proxy);
        let mapped: IpAddr = "::ffff:10.0.0.5".parse().unwrap();
        assert_eq!(
            client_address(mapped, &spoofed, &trusted),
            ip("198.51.100.1"),
            "an IPv4 proxy seen through a dual-stack socket"
        );
        assert_eq!(
            client_address("::ffff:203.0.113.50".parse().unwrap(), &spoofed, &trusted),
            stranger
        );
    }

    #[test]
    fn only_same_site_paths_are_followed_after_sign_in() {
        for good in [
            "/",
            "/people/123",
            "/people?q=mercer&limit=5",
            "/a:b",
            "/x//y",
        ] {
            assert_eq!(safe_next(good), Some(good), "{good}");
        }
        for bad in [
            "",
            "people",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/caf\u{e9}",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(3000))), None);
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
