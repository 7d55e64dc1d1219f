//! The JSON API under `/api/v1/`. The OpenAPI document is generated from these handlers and
//! types, so it cannot drift from the code; CI also diffs it against `docs/openapi.json`.

use crate::pages::SEARCH_LIMIT;
use crate::problem::{ApiProblem, ErrorBody, Problem};
use crate::session::ApiCaller;
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use harbour_domain::PersonId;
use harbour_store::{IdentityRecord, PersonSummary, PersonView, SearchQuery, TimelineEntry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Harbour API",
        description = "Multi-agency safeguarding hub. Every call that returns personal data is filtered by the access policy and recorded in the audit. Authenticate with a signed-in session cookie.",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(
        health,
        search_people,
        get_person,
        crate::feeds::check_token,
        crate::feeds::submit,
        crate::feeds::job_status,
        crate::identity::api_queue,
        crate::identity::api_decide,
        crate::identity::api_split,
        crate::identity::api_merge,
        crate::identity::api_undo,
        crate::alerts::api_queue,
        crate::alerts::api_act
    ),
    components(schemas(
        HealthBody,
        PersonSummaryBody,
        PersonBody,
        IdentityBody,
        TimelineEntryBody,
        ErrorBody,
        crate::feeds::TokenCheckBody,
        crate::feeds::FeedSubmission,
        crate::feeds::FeedReport,
        crate::feeds::Rejection,
        crate::feeds::JobBody,
        crate::identity::ReviewPairBody,
        crate::identity::ReviewSideBody,
        crate::identity::EvidenceBody,
        crate::identity::DecisionBody,
        crate::identity::SplitBody,
        crate::identity::MergeBody,
        crate::identity::ChangeResultBody,
        crate::alerts::AlertBody,
        crate::alerts::ActionBody
    )),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

/// Declares the agency-token scheme the feed endpoints use.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "agency_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("hbt_ token")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document, pretty-printed (what `GET /api/v1/openapi.json` serves).
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned())
}

pub(crate) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Query parameters, with a bad value answered by a 400 that names the parameter.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection| {
                let text = rejection.body_text();
                let detail = text.trim_start_matches("Failed to deserialize query string: ");
                let (field, message) = match detail.strip_prefix("missing field `") {
                    Some(rest) => {
                        let field = rest.split('`').next().unwrap_or("query").to_owned();
                        let message = format!("{field} is required");
                        (field, message)
                    }
                    // serde names the parameter first: "limit: invalid digit found in string".
                    None => {
                        let field = detail
                            .split(':')
                            .next()
                            .unwrap_or("query")
                            .trim()
                            .to_owned();
                        (field, format!("query parameter {detail}"))
                    }
                };
                ApiProblem(Problem::bad_request(&field, message))
            })
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

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct SearchParams {
    /// Part of a name (either order), a UPN or an NHS number. At least 2 characters.
    q: String,
    /// At most this many people (1 to 50; default 50).
    limit: Option<u32>,
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
}

impl From<PersonSummary> for PersonSummaryBody {
    fn from(p: PersonSummary) -> Self {
        Self {
            id: p.id.0,
            given_name: p.given_name,
            family_name: p.family_name,
            date_of_birth: p.date_of_birth.map(|d| d.to_string()),
            agencies: p.agencies,
        }
    }
}

/// Find children by name, UPN or NHS number, among those the caller may see.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(SearchParams),
    responses(
        (status = 200, body = Vec<PersonSummaryBody>),
        (status = 400, description = "A parameter is missing or not valid; `field` names it", body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub(crate) async fn search_people(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<Vec<PersonSummaryBody>>, ApiProblem> {
    let limit = match params.limit {
        None => SEARCH_LIMIT,
        Some(n @ 1..=50) => n as usize,
        Some(_) => {
            return Err(Problem::bad_request("limit", "limit must be between 1 and 50").into());
        }
    };
    let query =
        SearchQuery::parse(&params.q).map_err(|message| Problem::bad_request("q", message))?;
    let found = state
        .store
        .search_persons(&caller.user.principal, &query, limit, state.clock.now())
        .await?;
    Ok(Json(
        found.into_iter().map(PersonSummaryBody::from).collect(),
    ))
}

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
