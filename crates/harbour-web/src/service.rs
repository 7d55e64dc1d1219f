//! The service itself: whether Harbour and its database are working, as a page anyone may
//! open (`/health`) and as JSON (`/api/v1/health`).
//!
//! Template: `templates/health.html`.

use crate::layout::Layout;
use crate::nav::{self, NavEntry};
use crate::problem::{ApiProblem, ErrorBody};
use crate::session::MaybeSignedIn;
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health_page))
        .route("/api/v1/health", get(health))
}

pub(crate) const NAV: NavEntry = NavEntry {
    href: "/health",
    label: "Service health",
    shown: nav::everyone,
};

/// The service part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(health), components(schemas(HealthBody)))]
pub(crate) struct ServiceApi;

#[derive(Template, WebTemplate)]
#[template(path = "health.html")]
pub(crate) struct HealthPage {
    pub layout: Layout,
    pub ok: bool,
    pub backend: String,
    pub schema_version: String,
}

async fn health_page(
    State(state): State<AppState>,
    MaybeSignedIn(signed_in): MaybeSignedIn,
) -> Response {
    let layout = Layout::new("Service health", signed_in.as_ref(), &state);
    match state.store.health().await {
        Ok(health) => HealthPage {
            layout,
            ok: true,
            backend: health.backend.to_owned(),
            schema_version: health.schema_version.to_string(),
        }
        .into_response(),
        Err(error) => {
            tracing::error!(%error, "health check failed");
            let page = HealthPage {
                layout,
                ok: false,
                backend: state.store.location().backend_name().into(),
                schema_version: "unknown".into(),
            };
            (StatusCode::SERVICE_UNAVAILABLE, page).into_response()
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HealthBody {
    /// "ok" when the database answers.
    status: String,
    backend: String,
    schema_version: i64,
    version: String,
}

/// Whether the service and its database are working.
#[utoipa::path(get, path = "/api/v1/health", tag = "service",
    responses((status = 200, body = HealthBody), (status = 500, body = ErrorBody)))]
pub(crate) async fn health(State(state): State<AppState>) -> Result<Json<HealthBody>, ApiProblem> {
    let health = state.store.health().await?;
    Ok(Json(HealthBody {
        status: "ok".into(),
        backend: health.backend.into(),
        schema_version: health.schema_version,
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}
