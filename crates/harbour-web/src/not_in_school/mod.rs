//! The children not in school register (elective home education and children missing
//! education): the list with its figures, a home-education entry with its consent and
//! information forms, and a missing-education episode with its tracing checklist, as pages
//! (`pages.rs`); adding a child to either part by hand (`add.rs`); each part downloaded as
//! CSV and XLSX (`export.rs`); and the register as JSON (`api.rs`). `view.rs` turns entries
//! into rows once, for the list and the downloads alike. Thin: the store decides who sees
//! what and audits; the casework decides what may be recorded, and a refusal names the form
//! field.
//!
//! Templates: `templates/not_in_school_list.html`, `templates/home_education_entry.html`,
//! `templates/missing_education_entry.html`, `templates/not_in_school_new.html`,
//! `templates/home_education_new.html`, `templates/missing_education_new.html`.

mod add;
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
use harbour_policy::Register;
use harbour_store::RegisterRefusal;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/children-not-in-school", get(pages::list))
        .route("/children-not-in-school/new", get(add::choose))
        .route(
            "/children-not-in-school/home-education/new",
            get(add::new_home_education).post(add::add_home_education),
        )
        .route(
            "/children-not-in-school/home-education/export.csv",
            get(export::home_education_csv),
        )
        .route(
            "/children-not-in-school/home-education/export.xlsx",
            get(export::home_education_xlsx),
        )
        .route(
            "/children-not-in-school/home-education/{id}",
            get(pages::home_education).post(pages::record_home_education),
        )
        .route(
            "/children-not-in-school/missing-education/new",
            get(add::new_missing_education).post(add::add_missing_education),
        )
        .route(
            "/children-not-in-school/missing-education/export.csv",
            get(export::missing_education_csv),
        )
        .route(
            "/children-not-in-school/missing-education/export.xlsx",
            get(export::missing_education_xlsx),
        )
        .route(
            "/children-not-in-school/missing-education/{id}",
            get(pages::missing_education).post(pages::record_missing_education),
        )
        .route(
            "/api/v1/registers/children-not-in-school",
            get(api::api_register),
        )
        .route(
            "/api/v1/registers/children-not-in-school/home-education",
            post(api::api_add_home_education),
        )
        .route(
            "/api/v1/registers/children-not-in-school/missing-education",
            post(api::api_add_missing_education),
        )
}

/// The register's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        api::api_register,
        api::api_add_home_education,
        api::api_add_missing_education
    ),
    components(schemas(
        api::RegisterBody,
        api::HomeEducationBody,
        api::MissingEducationBody,
        api::NewHomeEducationBody,
        api::ConsentBody,
        api::NewMissingEducationBody,
        api::OpenedBody
    ))
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

/// A refused change, as a problem: the register's own refusal (a registration without the
/// consent s.434A needs) is 422 and names the field.
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
