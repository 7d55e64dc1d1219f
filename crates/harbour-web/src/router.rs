//! The whole application: each capability's routes, merged, and the layers every response
//! passes through. Capabilities register here in one line each (and, if they have one, their
//! navigation entry in [`NAVIGATION`]).

use crate::nav::NavEntry;
use crate::state::AppState;
use crate::{
    alerts, api, assets, audit, emergency, exclusions, fair_access, feeds, identity, metrics,
    not_in_school, people, placements, problem, quarantine, service, sign_in, work,
};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Response, StatusCode, header};
use axum::middleware;
use axum::response::{Html, IntoResponse};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Forms and API bodies are small; anything bigger is refused before it is read. (The feed
/// submission route allows more: see `feeds.rs`.)
const BODY_LIMIT: usize = 64 * 1024;

/// No inline script or style anywhere, no framing, forms post only to us.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Sent when Harbour is served over HTTPS (`--secure-cookies`): browsers then refuse plain
/// HTTP to this host, and its subdomains, for a year (ASVS 3.4.1). Never over plain HTTP,
/// where it would mean nothing and could lock a test host out of itself.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// The main navigation, in the order shown; each user sees the entries their role may use.
const NAVIGATION: &[NavEntry] = &[
    people::HOME_NAV,
    work::NAV,
    people::NAV,
    emergency::NAV,
    quarantine::NAV,
    identity::NAV,
    exclusions::NAV,
    not_in_school::NAV,
    fair_access::NAV,
    placements::NAV,
    audit::NAV,
    service::NAV,
];

/// The whole application.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(sign_in::routes())
        .merge(people::routes())
        .merge(alerts::routes())
        .merge(work::routes())
        .merge(not_in_school::routes())
        .merge(fair_access::routes())
        .merge(placements::routes())
        .merge(identity::routes())
        .merge(exclusions::routes())
        .merge(quarantine::routes())
        .merge(emergency::routes())
        .merge(audit::routes())
        .merge(feeds::routes())
        .merge(service::routes())
        .merge(api::routes())
        .merge(assets::routes())
        .merge(metrics::routes())
        .fallback(problem::not_found);
    with_layers(routes, state.with_navigation(NAVIGATION))
}

/// Wraps routes in the layers every response passes through.
fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    let hsts = state
        .config
        .secure_cookies
        .then(|| HeaderValue::from_static(STRICT_TRANSPORT_SECURITY));
    routes
        .route_layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CsrfLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(panic_page))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        // Pages and API answers may carry personal data: never stored by browsers or proxies.
        // Static files set their own long cache and keep it.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(
            TraceLayer::new_for_http()
                // The span names the route pattern, never the address: a query string could
                // hold a child's name.
                .make_span_with(|request: &Request| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", |p| p.as_str());
                    tracing::info_span!("request", method = %request.method(), route)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

const PANIC_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Sorry, there is a problem with the service – Harbour</title>
<link rel="stylesheet" href="/static/harbour.css"></head>
<body><header class="header"><div class="header__container width-container"><a href="/" class="header__service">Harbour</a></div></header>
<div class="width-container"><main class="main" id="main-content"><h1 class="heading-xl">Sorry, there is a problem with the service</h1>
<p class="body-l">Something went wrong on our side. Nothing you entered has been lost; try again, and if it keeps happening tell your system administrator.</p>
<p><a href="/">Go to the home page</a></p></main></div></body></html>"#;

fn panic_page(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    tracing::error!("a request handler panicked; answered 500");
    (StatusCode::INTERNAL_SERVER_ERROR, Html(PANIC_PAGE)).into_response()
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // With the peer's address on every request: the sign-in throttle keys on it.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use harbour_domain::SystemClock;
    use harbour_store::{Store, StoreLocation};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_500_page_and_the_server_lives_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            StoreLocation::choose(None, dir.path()).unwrap(),
            harbour_policy::Policy::default_policy().unwrap(),
        )
        .await
        .unwrap();
        let state = AppState::new(
            store,
            Arc::new(harbour_rules::RuleSet::builtin().unwrap()),
            Arc::new(SystemClock),
            crate::WebConfig::default(),
        );
        async fn buggy() -> &'static str {
            panic!("a bug")
        }
        let boom = Router::new().route("/boom", get(buggy));
        let app = with_layers(boom.fallback(problem::not_found), state);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });

        let response = reqwest::get(format!("{base}/boom")).await.unwrap();
        assert_eq!(
            response.status(),
            reqwest::StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let page = response.text().await.unwrap();
        assert!(page.contains("Sorry, there is a problem with the service"));
        assert!(
            !page.contains("a bug"),
            "the panic message stays in the log"
        );
        let after = reqwest::get(format!("{base}/anything")).await.unwrap();
        assert_eq!(
            after.status(),
            reqwest::StatusCode::NOT_FOUND,
            "still serving"
        );
    }
}
