//! Harbour's HTTP layer: server-rendered pages, the JSON API under `/api/v1/`, sessions,
//! security headers and metrics.
//!
//! Handlers are thin: they read the request, call the store's gate with the signed-in
//! principal, and render. No handler reads personal data any other way.

mod alerts;
mod api;
mod assets;
mod audit_pages;
mod emergency;
mod feeds;
mod identity;
mod metrics;
mod pages;
mod problem;
mod router;
mod session;
mod sign_in;
mod state;
mod views;

pub use api::openapi_json;
pub use router::{router, serve};
pub use state::{AppState, WebConfig};
