//! The permanent exclusions register (recommendation 8 of the Child AA review): the list
//! with its filters and figures, one entry with its clocks, offer, reviews and history, the
//! forms that record on it, its exports (CSV and XLSX) and its API. Thin: the store decides
//! who sees which entries and audits every read and write; `harbour-casework` decides what
//! the facts mean and refuses what cannot be true, naming the form field.
//!
//! `view.rs` turns entries into rows once, for the page, the exports and the API alike, so
//! the three always agree; `pages.rs` holds the pages and forms, `api.rs` the JSON and
//! `export.rs` the spreadsheets. Templates: `templates/exclusions_list.html`,
//! `templates/exclusions_entry.html` and `templates/exclusions_new.html`.

mod api;
mod export;
mod pages;
mod view;

use crate::nav::NavEntry;
use crate::problem::Problem;
use crate::state::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use harbour_domain::london_today;
use harbour_policy::Register;
use harbour_store::{RegisterDay, RegisterRefusal};
use uuid::Uuid;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/registers/exclusions", get(pages::list))
        .route("/registers/exclusions/export.csv", get(export::csv))
        .route("/registers/exclusions/export.xlsx", get(export::xlsx))
        .route(
            "/registers/exclusions/new",
            get(pages::new_entry).post(pages::add_entry),
        )
        .route("/registers/exclusions/{id}", get(pages::entry))
        .route("/registers/exclusions/{id}/facts", post(pages::record))
        .route(
            "/api/v1/registers/exclusions",
            get(api::api_list).post(api::api_add),
        )
        .route("/api/v1/registers/exclusions/{id}", get(api::api_entry))
        .route(
            "/api/v1/registers/exclusions/{id}/facts",
            post(api::api_record),
        )
}

/// Shown to the register's keepers and to the roles that see their own agency's entries.
pub(crate) const NAV: NavEntry = NavEntry {
    href: "/registers/exclusions",
    label: "Exclusions register",
    shown: |policy, who| policy.register_access(who, Register::Exclusions).is_some(),
};

/// The exclusions register's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::api_list, api::api_entry, api::api_record, api::api_add),
    components(schemas(
        api::RegisterBody,
        api::FiguresBody,
        api::EntryBody,
        api::EntryDetailBody,
        api::ClockBody,
        api::OfferBody,
        api::HistoryBody,
        api::NewEntryBody,
        api::AddedBody,
        api::OwnerBody
    ))
)]
pub(crate) struct ExclusionsApi;

/// What every read and write needs: the calendar, the council's settings and today in
/// London, where the clocks run.
fn register_day(state: &AppState) -> RegisterDay<'_> {
    RegisterDay {
        calendar: state.rules.calendar(),
        settings: state.registers.exclusions,
        today: london_today(state.clock.now()),
    }
}

fn parse_id(text: &str) -> Result<Uuid, Problem> {
    text.parse()
        .map_err(|_| Problem::bad_request("id", "This register entry address is not valid."))
}

/// Who may not see the register at all.
fn not_theirs() -> Problem {
    Problem::forbidden("Your role cannot see the permanent exclusions register.")
}

/// A refused change, as a problem. The register's own refusal (a meeting before the
/// exclusion) is 422 and names the field.
fn refusal(refusal: RegisterRefusal) -> Problem {
    match refusal {
        RegisterRefusal::NotAllowed => {
            Problem::forbidden("Your role can see this register but not record on it.")
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
