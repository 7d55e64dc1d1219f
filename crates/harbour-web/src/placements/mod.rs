//! Alternative-provision and PRU placements (recommendation 9 of the Child AA review: a clear
//! pathway into alternative provision): the list with the pathway's figures, one placement
//! with its review and its end, the forms that record on it, adding one by hand, and the API.
//! Thin: the store decides who sees them and audits every read and write;
//! `harbour_casework::placements` decides what the facts mean and refuses what cannot be true,
//! naming the form field.
//!
//! `view.rs` turns a placement into the words and figures the page and the API both show;
//! `pages.rs` holds the pages and forms, `api.rs` the JSON. Templates:
//! `templates/placements_list.html`, `templates/placements_entry.html`,
//! `templates/placements_new.html`.

mod api;
mod pages;
mod view;

use crate::nav::NavEntry;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use harbour_domain::london_today;
use harbour_policy::{Principal, Register, RegisterAccess};
use harbour_store::{RegisterDay, RegisterRefusal};
use uuid::Uuid;

pub(crate) use pages::of_child;
pub(crate) use view::Row as PlacementRow;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/registers/alternative-provision", get(pages::list))
        .route(
            "/registers/alternative-provision/new",
            get(pages::new_placement).post(pages::add_placement),
        )
        .route("/registers/alternative-provision/{id}", get(pages::entry))
        .route(
            "/registers/alternative-provision/{id}/facts",
            post(pages::record),
        )
        .route(
            "/api/v1/registers/alternative-provision",
            get(api::api_list).post(api::api_add),
        )
        .route(
            "/api/v1/registers/alternative-provision/{id}",
            get(api::api_entry),
        )
        .route(
            "/api/v1/registers/alternative-provision/{id}/facts",
            post(api::api_record),
        )
}

/// Shown to the placements' keepers.
pub(crate) const NAV: NavEntry = NavEntry {
    href: "/registers/alternative-provision",
    label: "Alternative provision",
    shown: |policy, who| {
        policy
            .register_access(who, Register::AlternativeProvision)
            .is_some()
    },
};

/// The placements' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::api_list, api::api_entry, api::api_record, api::api_add),
    components(schemas(
        api::PlacementsBody,
        api::PathwayBody,
        api::PlacementBody,
        api::PlacementDetailBody,
        api::HistoryBody,
        api::NewPlacementBody,
        api::AddedBody
    ))
)]
pub(crate) struct PlacementsApi;

/// The exclusions register's day: placements are reviewed on its interval and measured
/// against its full-time hours.
fn register_day(state: &AppState) -> RegisterDay<'_> {
    RegisterDay {
        calendar: state.rules.calendar(),
        settings: state.registers.exclusions,
        today: london_today(state.clock.now()),
    }
}

/// Whether `who` keeps the placements (sees and records on them).
pub(crate) fn keeps(state: &AppState, who: &Principal) -> bool {
    state
        .store
        .policy()
        .register_access(who, Register::AlternativeProvision)
        == Some(RegisterAccess::Keep)
}

fn parse_id(text: &str) -> Result<Uuid, Problem> {
    text.parse()
        .map_err(|_| Problem::bad_request("id", "This placement's address is not valid."))
}

fn not_theirs() -> Problem {
    Problem::forbidden("Your role cannot see the alternative-provision placements.")
}

/// A refused change, as a problem: the placement's own refusal is 422 and names the field.
fn refusal(refusal: RegisterRefusal) -> Problem {
    match refusal {
        RegisterRefusal::NotAllowed => {
            Problem::forbidden("Only the placements' keepers record on them.")
        }
        RegisterRefusal::NotFound => Problem::not_found(),
        RegisterRefusal::Invalid(why) => Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_input",
            message: why.message,
            field: Some(why.field.to_owned()),
        },
    }
}
