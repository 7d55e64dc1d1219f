//! The people API: finding children, and one child's single view, as JSON.

use super::SEARCH_LIMIT;
use crate::problem::{ApiProblem, ApiQuery, ErrorBody, Problem};
use crate::session::ApiCaller;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use harbour_domain::PersonId;
use harbour_store::{
    IdentityRecord, PersonSummary, PersonView, SearchFilter, SearchQuery, TimelineEntry,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// Part of a name (either order), a UPN or an NHS number. At least 2 characters.
    q: String,
    /// At most this many people (1 to 50; default 50).
    limit: Option<u32>,
    /// Skip this many people first, for the next page (default 0). The `X-Total-Count`
    /// header gives how many match in all (only children the caller may see).
    offset: Option<u32>,
    /// Only children whose current school (the school that recorded the latest event the
    /// caller may see) is this one, by its agency code.
    school: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PersonSummaryBody {
    id: Uuid,
    given_name: String,
    family_name: String,
    /// ISO 8601 date, when known.
    #[schema(example = "2009-05-14")]
    date_of_birth: Option<String>,
    /// Names of the agencies whose records matched.
    agencies: Vec<String>,
    /// The child's current school, as far as the caller may see: the school that recorded
    /// the latest event the caller may see.
    school: Option<String>,
}

impl From<PersonSummary> for PersonSummaryBody {
    fn from(p: PersonSummary) -> Self {
        Self {
            id: p.id.0,
            given_name: p.given_name,
            family_name: p.family_name,
            date_of_birth: p.date_of_birth.map(|d| d.to_string()),
            agencies: p.agencies,
            school: p.school,
        }
    }
}

/// Find children by name, UPN or NHS number, among those the caller may see.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(SearchParams),
    responses(
        (status = 200, body = Vec<PersonSummaryBody>, headers(
            ("X-Total-Count" = u64, description = "How many children match in all, among those the caller may see"))),
        (status = 400, description = "A parameter is missing or not valid; `field` names it", body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub(crate) async fn search_people(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<impl IntoResponse, ApiProblem> {
    let limit = match params.limit {
        None => SEARCH_LIMIT,
        Some(n @ 1..=50) => n as usize,
        Some(_) => {
            return Err(Problem::bad_request("limit", "limit must be between 1 and 50").into());
        }
    };
    let query =
        SearchQuery::parse(&params.q).map_err(|message| Problem::bad_request("q", message))?;
    let school = params
        .school
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let schools = super::schools(&state, &caller.user.principal.tenant).await?;
    let school = super::school_of(&schools, school).map_err(|_| {
        Problem::bad_request(
            "school",
            "school must be the agency code of one of the schools",
        )
    })?;
    let filter = SearchFilter {
        offset: params.offset.unwrap_or(0) as usize,
        limit,
        school,
        ..SearchFilter::default()
    };
    let found = state
        .store
        .search_persons_page(&caller.user.principal, &query, &filter, state.clock.now())
        .await?;
    let people: Vec<PersonSummaryBody> = found
        .people
        .into_iter()
        .map(PersonSummaryBody::from)
        .collect();
    Ok(([(TOTAL_COUNT, found.total.to_string())], Json(people)))
}

/// The header giving a search's total.
const TOTAL_COUNT: &str = "x-total-count";

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IdentityBody {
    source_record: Uuid,
    agency: Uuid,
    agency_name: String,
    given_name: String,
    family_name: String,
    date_of_birth: Option<String>,
    sex: Option<String>,
    upn: Option<String>,
    nhs_number: Option<String>,
    postcode: Option<String>,
}

impl From<IdentityRecord> for IdentityBody {
    fn from(r: IdentityRecord) -> Self {
        Self {
            source_record: r.source_record.0,
            agency: r.agency.0,
            agency_name: r.agency_name,
            given_name: r.given_name,
            family_name: r.family_name,
            date_of_birth: r.date_of_birth.map(|d| d.to_string()),
            sex: r.sex,
            upn: r.upn,
            nhs_number: r.nhs_number,
            postcode: r.postcode,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TimelineEntryBody {
    event: Uuid,
    /// The event kind's stable code (e.g. `permanent_exclusion`).
    kind: String,
    /// The event kind in plain English.
    kind_label: String,
    #[schema(example = "2023-01-17")]
    occurred_on: String,
    /// When Harbour recorded it (RFC 3339, UTC).
    recorded_at: String,
    /// ordinary, restricted, police_intelligence or health_confidential.
    handling: String,
    summary: String,
    /// The agency that supplied the event.
    agency: Uuid,
    agency_name: String,
    /// For history a school's transfer file reported about another school, that school's
    /// DfE number (LA/ESTAB): the event is the supplying agency's report about it, not its
    /// own record. Absent for an agency's own record.
    #[schema(example = "999/2001")]
    #[serde(skip_serializing_if = "Option::is_none")]
    reported_about: Option<String>,
}

impl From<TimelineEntry> for TimelineEntryBody {
    fn from(e: TimelineEntry) -> Self {
        Self {
            event: e.event.0,
            kind: e.kind.as_str().into(),
            kind_label: e.kind.label().into(),
            occurred_on: e.occurred_on.to_string(),
            recorded_at: e
                .recorded_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            handling: e.handling.as_str().into(),
            summary: e.summary,
            agency: e.agency.0,
            agency_name: e.agency_name,
            reported_about: e.reported_about,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PersonBody {
    id: Uuid,
    /// Each agency's record of the person that the caller may see.
    identities: Vec<IdentityBody>,
    /// Events the caller may see, oldest first.
    timeline: Vec<TimelineEntryBody>,
}

impl From<PersonView> for PersonBody {
    fn from(v: PersonView) -> Self {
        Self {
            id: v.id.0,
            identities: v.identities.into_iter().map(IdentityBody::from).collect(),
            timeline: v
                .timeline
                .into_iter()
                .map(TimelineEntryBody::from)
                .collect(),
        }
    }
}

/// One child's single view: identities and timeline, as far as the caller may see them.
/// An id that does not exist and one the caller may not see both answer 404.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people",
    params(("id" = Uuid, Path, description = "The person's id")),
    responses(
        (status = 200, body = PersonBody),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn get_person(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<PersonBody>, ApiProblem> {
    let id: PersonId = id
        .parse()
        .map_err(|_| Problem::bad_request("id", "id must be a UUID"))?;
    let view = state
        .store
        .person_view(&caller.user.principal, id, state.clock.now())
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(Json(PersonBody::from(view)))
}
