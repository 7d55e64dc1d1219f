//! The children not in school register (elective home education and children missing
//! education): the list with its figures, a home-education entry with its consent and
//! information forms, and a missing-education episode with its tracing checklist, as pages
//! (`pages.rs`), and the register as JSON (`api.rs`). Thin: the store decides who sees what and audits; the casework decides what
//! may be recorded, and a refusal names the form field.
//!
//! Templates: `templates/not_in_school_list.html`, `templates/home_education_entry.html`,
//! `templates/missing_education_entry.html`.

mod api;
mod pages;

use crate::nav::NavEntry;
use crate::state::AppState;
use axum::Router;
use axum::routing::get;
use harbour_policy::Register;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/children-not-in-school", get(pages::list))
        .route(
            "/children-not-in-school/home-education/{id}",
            get(pages::home_education).post(pages::record_home_education),
        )
        .route(
            "/children-not-in-school/missing-education/{id}",
            get(pages::missing_education).post(pages::record_missing_education),
        )
        .route(
            "/api/v1/registers/children-not-in-school",
            get(api::api_register),
        )
}

/// The register's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::api_register),
    components(schemas(api::RegisterBody, api::HomeEducationBody, api::MissingEducationBody))
)]
pub(crate) struct NotInSchoolApi;

pub(crate) const NAV: NavEntry = NavEntry {
    href: "/children-not-in-school",
    label: "Children not in school",
    shown: |policy, who| {
        policy
            .register_access(who, Register::HomeEducation)
            .is_some()
            || policy
                .register_access(who, Register::MissingEducation)
                .is_some()
    },
};
