//! Alerts: each user's queue (shown on their home page), one alert with its evidence and the
//! actions on it, and replay of a child's timeline, as pages (`pages.rs`) and as JSON
//! (`api.rs`). Thin: the store decides who sees what and audits.
//!
//! The template for a capability: this file registers the capability's routes
//! ([`routes`]) and its part of the OpenAPI document ([`AlertsApi`]); `router.rs` and
//! `api.rs` take each in one line. Its templates are `templates/alert.html` and
//! `templates/replay.html`. Alerts has no entry of its own in the main navigation (the
//! queue is the home page); a capability that has one declares a `NAV` here, as
//! `identity.rs` does.

mod api;
mod pages;

pub(crate) use pages::{AlertRow, rows};

use crate::problem::Problem;
use crate::state::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use harbour_store::{AlertAction, AlertRefusal};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts/list", get(pages::list))
        .route("/alerts/closed", get(pages::closed))
        .route("/alerts/{id}", get(pages::page).post(pages::act))
        .route("/people/{id}/replay", get(pages::replay))
        .route("/api/v1/alerts", get(api::api_queue))
        .route("/api/v1/alerts/{id}", post(api::api_act))
}

/// The alerts part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::api_queue, api::api_act),
    components(schemas(api::AlertBody, api::ChildBody, api::ActionBody))
)]
pub(crate) struct AlertsApi;

fn refusal(refusal: AlertRefusal) -> Problem {
    match refusal {
        AlertRefusal::NotYours => Problem::not_found(),
        AlertRefusal::NoteTooShort | AlertRefusal::ReasonTooShort => {
            Problem::bad_request("note", refusal.to_string())
        }
        AlertRefusal::Closed => Problem {
            status: StatusCode::CONFLICT,
            code: "conflict",
            message: refusal.to_string(),
            field: None,
        },
    }
}

/// An action from the alert page's form or the API.
fn action(name: &str, note: String) -> Result<AlertAction, Problem> {
    match name {
        "acknowledge" => Ok(AlertAction::Acknowledge),
        "actioned" => Ok(AlertAction::Actioned { note }),
        "dismiss" => Ok(AlertAction::Dismiss { reason: note }),
        other => Err(Problem::bad_request(
            "action",
            format!("{other:?} is not an action; use acknowledge, actioned or dismiss"),
        )),
    }
}
