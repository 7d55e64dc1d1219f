//! The register as JSON: both parts as the caller may see them, with the figures, the same
//! entries and clocks as the list page; and adding a child to either part by hand, as the
//! forms do (the same store calls, the same refusals naming the field).

use super::add::keeps;
use super::pages::day;
use super::refusal;
use super::view::name;
use crate::forms::{child_named, parse_date};
use crate::problem::{ApiProblem, ErrorBody, Problem};
use crate::session::ApiCaller;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use harbour_casework::not_in_school::Registration;
use harbour_domain::{AgencyId, PersonId};
use harbour_policy::Register;
use harbour_store::{HomeEducationEntry, MissingEducationEntry, ReaderAccess};
use serde::{Deserialize, Serialize};
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

/// A hand registration of home education.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewHomeEducationBody {
    /// The child.
    person: Uuid,
    /// ISO 8601: the day home education began.
    first_day: String,
    /// The s.436C(1) content: `parents` as `[name, home address]` pairs,
    /// `educating_parents` (names from `parents`), `hours_by_parents` and `hours_by_others`
    /// in tenths of an hour (180 is 18 hours), and `providers`, each
    /// `{name, address, kind, hours}`; optionally the s.436C(2) content as
    /// `optional: {sen: no_sen|sen_support|ehc_plan, social_care: [child_in_need,
    /// section_47_enquiry, child_protection_plan, looked_after]}` (a s.47 enquiry or a plan
    /// needs the consent decision, as the timeline's would).
    #[schema(value_type = Object)]
    registration: Registration,
    /// The authority's s.434A consent decision, where the child's timeline or the
    /// registration's own content needs one (a special school's roll, a child protection
    /// plan or s.47 enquiry); leave it out otherwise.
    #[serde(default)]
    consent: Option<ConsentBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ConsentBody {
    /// ISO 8601: the day the authority decided.
    on: String,
    granted: bool,
}

/// A missing-education episode opened by hand.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewMissingEducationBody {
    /// The child.
    person: Uuid,
    /// The school the child was last on roll at (its agency id), if known; its lead then
    /// sees the episode.
    #[serde(default)]
    school: Option<Uuid>,
    /// ISO 8601: the first day the child was missing education.
    first_day: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OpenedBody {
    id: Uuid,
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, Problem> {
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::bad_request("body", format!("The body is not valid: {e}")))
}

fn iso_date(field: &str, text: &str) -> Result<Date, Problem> {
    parse_date(text).ok_or_else(|| {
        Problem::bad_request(field, format!("{field} must be a date like 2026-09-01"))
    })
}

/// Refuses a keeper's request about a child they cannot find, naming `person`. (Others are
/// refused by the store before anything is looked up, so the answer never says whether the
/// child exists.)
async fn child_exists(
    state: &AppState,
    who: &harbour_policy::Principal,
    register: Register,
    person: Uuid,
) -> Result<(), Problem> {
    if keeps(state, who, register) && child_named(state, who, person).await?.is_none() {
        return Err(Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_input",
            message: "There is no child with this person id".into(),
            field: Some("person".into()),
        });
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/registers/children-not-in-school/home-education", tag = "registers",
    operation_id = "home_education_register_add",
    request_body = NewHomeEducationBody,
    responses((status = 201, description = "Registered, with the content and any consent decision, in one audited write", body = OpenedBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Only the register's keepers register children", body = ErrorBody),
        (status = 422, description = "Refused, nothing written; `field` names the field (`consent` when s.434A needs the authority's decision)", body = ErrorBody)))]
pub(crate) async fn api_add_home_education(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    bytes: Bytes,
) -> Result<(StatusCode, Json<OpenedBody>), ApiProblem> {
    let request: NewHomeEducationBody = body(&bytes)?;
    let first_day = iso_date("first_day", &request.first_day)?;
    let consent = match &request.consent {
        Some(c) => Some((iso_date("consent.on", &c.on)?, c.granted)),
        None => None,
    };
    let who = &caller.user.principal;
    child_exists(&state, who, Register::HomeEducation, request.person).await?;
    let id = state
        .store
        .add_home_education_entry(
            who,
            PersonId(request.person),
            first_day,
            &request.registration,
            consent,
            day(&state),
            state.clock.now(),
        )
        .await?
        .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(OpenedBody { id })))
}

#[utoipa::path(post, path = "/api/v1/registers/children-not-in-school/missing-education", tag = "registers",
    operation_id = "missing_education_register_add",
    request_body = NewMissingEducationBody,
    responses((status = 201, description = "Opened (audited)", body = OpenedBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Only the register's keepers open episodes", body = ErrorBody),
        (status = 422, description = "Refused, nothing written; `field` names the field", body = ErrorBody)))]
pub(crate) async fn api_add_missing_education(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    bytes: Bytes,
) -> Result<(StatusCode, Json<OpenedBody>), ApiProblem> {
    let request: NewMissingEducationBody = body(&bytes)?;
    let first_day = iso_date("first_day", &request.first_day)?;
    let who = &caller.user.principal;
    child_exists(&state, who, Register::MissingEducation, request.person).await?;
    let id = state
        .store
        .add_missing_education_entry(
            who,
            PersonId(request.person),
            request.school.map(AgencyId),
            first_day,
            day(&state).today,
            state.clock.now(),
        )
        .await?
        .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(OpenedBody { id })))
}
