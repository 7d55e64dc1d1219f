//! The register as JSON: both parts as the caller may see them, with the figures, the same
//! entries and clocks as the list page.

use super::pages::{day, name};
use crate::problem::{ApiProblem, ErrorBody, Problem};
use crate::session::ApiCaller;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use harbour_store::{HomeEducationEntry, MissingEducationEntry, ReaderAccess};
use serde::Serialize;
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

/// The children not in school register as you may see it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegisterBody {
    /// keep, own_agency, or null when your role does not see this part.
    home_education_access: Option<String>,
    missing_education_access: Option<String>,
    home_education: Vec<HomeEducationBody>,
    missing_education: Vec<MissingEducationBody>,
    /// Over the entries you see: numbers, median days missing, share traced within the limit.
    #[schema(value_type = Object)]
    figures: serde_json::Value,
}

/// One home-education registration.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HomeEducationBody {
    id: Uuid,
    person: Uuid,
    child: String,
    registered: Date,
    open: bool,
    /// special_school or child_protection when s.434A requires the authority's consent.
    consent_needed: Option<String>,
    /// Consent is needed and not granted.
    without_consent: bool,
    home_visit_due: Date,
    next_request_due: Option<Date>,
    /// The open tasks, overdue first.
    tasks: Vec<String>,
}

/// One missing-education episode.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MissingEducationBody {
    id: Uuid,
    person: Uuid,
    child: String,
    reported_by: Option<String>,
    missing_since: Date,
    days_missing: i64,
    trace_due: Date,
    /// The day the child was traced (the episode closed), if they were.
    traced_on: Option<Date>,
    open: bool,
    escalated: bool,
    /// The tracing steps every child needs that are not done.
    steps_left: Vec<String>,
}

fn access(access: Option<ReaderAccess>) -> Option<String> {
    access.map(|a| match a {
        ReaderAccess::Keep => "keep".to_owned(),
        ReaderAccess::OwnAgency => "own_agency".to_owned(),
    })
}

fn code<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
}

fn home_education(e: &HomeEducationEntry) -> HomeEducationBody {
    let a = &e.assessment;
    HomeEducationBody {
        id: e.id,
        person: e.person.0,
        child: name(&e.child),
        registered: e.first_day,
        open: a.open,
        consent_needed: a.consent_needed.as_ref().and_then(code),
        without_consent: a.without_consent,
        home_visit_due: a.home_visit.due,
        next_request_due: a.next_request_due,
        tasks: a.tasks.iter().map(|t| t.kind.label().to_owned()).collect(),
    }
}

fn missing_education(e: &MissingEducationEntry) -> MissingEducationBody {
    let a = &e.assessment;
    MissingEducationBody {
        id: e.id,
        person: e.person.0,
        child: name(&e.child),
        reported_by: e.agency_name.clone(),
        missing_since: e.first_day,
        days_missing: a.days_missing,
        trace_due: a.trace.due,
        traced_on: a.trace.met_on,
        open: a.open,
        escalated: a.escalated,
        steps_left: a.steps_left.iter().map(|s| s.label().to_owned()).collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/registers/children-not-in-school", tag = "registers",
    operation_id = "children_not_in_school_register",
    responses((status = 200, description = "The children not in school register (home education and missing education) as you may see it, with its figures (audited, naming every child)", body = RegisterBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Your role sees no part of this register", body = ErrorBody)))]
pub(crate) async fn api_register(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<RegisterBody>, ApiProblem> {
    let register = state
        .store
        .children_not_in_school(&caller.user.principal, day(&state), state.clock.now())
        .await?
        .ok_or_else(|| {
            Problem::forbidden("Your role cannot see the children not in school register.")
        })?;
    Ok(Json(RegisterBody {
        home_education_access: access(register.home_education_access),
        missing_education_access: access(register.missing_education_access),
        home_education: register.home_education.iter().map(home_education).collect(),
        missing_education: register
            .missing_education
            .iter()
            .map(missing_education)
            .collect(),
        figures: serde_json::to_value(&register.figures).unwrap_or_default(),
    }))
}
