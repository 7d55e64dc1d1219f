//! Harbour's HTTP layer: server-rendered pages, the JSON API under `/api/v1/`, sessions,
//! security headers and metrics.
//!
//! Handlers are thin: they read the request, call the store's gate with the signed-in
//! principal, and render. No handler reads personal data any other way.
//!
//! One module per capability, each owning its handlers, page views, routes and part of the
//! OpenAPI document; the shared modules below them know no capability.

// Capabilities.
mod alerts;
mod audit;
mod emergency;
mod exclusions;
mod fair_access;
mod feeds;
mod identity;
mod not_in_school;
mod people;
mod placements;
mod quarantine;
mod service;
mod sign_in;
mod work;

// Shared by every capability; none of these imports a capability.
mod assets;
mod forms;
mod layout;
mod metrics;
mod nav;
mod pagination;
mod problem;
mod session;
mod spreadsheet;
mod state;

// The composition: each capability's routes and OpenAPI part, merged.
mod api;
mod router;

pub use api::openapi_json;
pub use router::{router, serve};
pub use state::{AppState, WebConfig};
