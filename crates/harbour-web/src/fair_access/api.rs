//! The fair-access view as JSON (the same figures and log as the page), and recording a
//! decision and a school's answer in the log kept in Harbour.

use super::pages::response_words;
use super::{Period, invalid, keeps, not_theirs, refusal, today};
use crate::forms::{child_named, parse_date};
use crate::problem::{ApiProblem, ErrorBody, Problem};
use crate::session::ApiCaller;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use harbour_casework::fair_access::{Rate, Response};
use harbour_domain::{AgencyId, PersonId};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

/// The fair-access panel's log of a period and its consistency figures.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ViewBody {
    from: Date,
    to: Date,
    county: RateBody,
    schools: Vec<RateBody>,
    areas: Vec<RateBody>,
    decisions: Vec<DecisionBody>,
    /// Decisions whose school is not registered in Harbour: in the county's figures only.
    unmatched: usize,
}

/// Accepted placements and refusals of a school, an area or the county, per 1,000 pupils.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RateBody {
    /// The school's agency code, the area's name, or `county`.
    key: String,
    label: String,
    placements: u32,
    refusals: u32,
    pupils_on_roll: u32,
    /// Accepted placements per 1,000 pupils on roll; null for a school with no roll.
    per_thousand: Option<f64>,
}

impl From<&Rate> for RateBody {
    fn from(r: &Rate) -> Self {
        Self {
            key: r.key.clone(),
            label: r.label.clone(),
            placements: r.placements,
            refusals: r.refusals,
            pupils_on_roll: r.pupils_on_roll,
            per_thousand: r.per_thousand,
        }
    }
}

/// One panel decision.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DecisionBody {
    person: Uuid,
    child: Option<String>,
    on: Date,
    /// The decision's id when it was recorded in Harbour (its answer can then be recorded at
    /// `/api/v1/fair-access/{id}/answer`); null for one from the authority's feed.
    id: Option<Uuid>,
    school_number: Option<String>,
    school: Option<String>,
    /// accepted, refused or pending.
    response: String,
    /// The school's answer in words.
    response_words: String,
    reason: String,
}

#[utoipa::path(get, path = "/api/v1/fair-access", tag = "registers",
    operation_id = "fair_access",
    params(Period),
    responses((status = 200, description = "The fair-access panel's decisions of the period and each school's and area's placements per 1,000 pupils beside the county's (audited, naming every child)", body = ViewBody),
        (status = 400, description = "A date is not valid; `field` names it", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Your role cannot see the fair-access log", body = ErrorBody)))]
pub(crate) async fn api_view(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(period): Query<Period>,
) -> Result<Json<ViewBody>, ApiProblem> {
    let (from, to) = period.check(today(&state))?;
    let view = state
        .store
        .fair_access(&caller.user.principal, from, to, state.clock.now())
        .await?
        .ok_or_else(not_theirs)?;
    let c = &view.consistency;
    Ok(Json(ViewBody {
        from,
        to,
        county: RateBody::from(&c.county),
        schools: c.schools.iter().map(RateBody::from).collect(),
        areas: c.areas.iter().map(RateBody::from).collect(),
        decisions: view
            .decisions
            .iter()
            .map(|d| DecisionBody {
                person: d.person.0,
                child: d
                    .child
                    .as_ref()
                    .map(|c| format!("{} {}", c.given_name, c.family_name)),
                on: d.on,
                id: d.id,
                school_number: d.school_number.clone(),
                school: d.school_name.clone(),
                response: serde_json::to_value(d.response)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                response_words: response_words(d.response).to_owned(),
                reason: d.reason.clone(),
            })
            .collect(),
        unmatched: view.unmatched,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewDecisionBody {
    /// The child.
    person: Uuid,
    /// ISO 8601: the day of the panel.
    on: String,
    /// The allocated school (its agency id).
    school: Uuid,
    /// Why the child came to the panel.
    reason: String,
    /// pending (the default), accepted or refused.
    #[serde(default)]
    response: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RecordedBody {
    id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct AnswerBody {
    /// ISO 8601: the day the school answered.
    on: String,
    /// accepted or refused.
    response: String,
}

fn response_of(field: &str, text: Option<&str>) -> Result<Response, Problem> {
    match text.unwrap_or("pending") {
        "pending" => Ok(Response::Pending),
        "accepted" => Ok(Response::Accepted),
        "refused" => Ok(Response::Refused),
        _ => Err(Problem::bad_request(
            field,
            format!("{field} must be pending, accepted or refused"),
        )),
    }
}

fn date_of(field: &str, text: &str) -> Result<Date, Problem> {
    parse_date(text).ok_or_else(|| {
        Problem::bad_request(field, format!("{field} must be a date like 2023-01-17"))
    })
}

#[utoipa::path(post, path = "/api/v1/fair-access", tag = "registers",
    operation_id = "fair_access_record",
    request_body = NewDecisionBody,
    responses((status = 201, description = "Recorded in the log (audited)", body = RecordedBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Only the log's keepers record decisions (audited)", body = ErrorBody),
        (status = 422, description = "Refused (a decision in the future, no reason, not one of the authority's schools); `field` names the field", body = ErrorBody)))]
pub(crate) async fn api_record(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    body: Bytes,
) -> Result<(StatusCode, Json<RecordedBody>), ApiProblem> {
    let request: NewDecisionBody = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request("body", format!("The body is not valid: {e}")))?;
    let on = date_of("on", &request.on)?;
    let response = response_of("response", request.response.as_deref())?;
    let who = &caller.user.principal;
    if keeps(&state, who) && child_named(&state, who, request.person).await?.is_none() {
        return Err(invalid("person", "There is no child with this person id").into());
    }
    let id = state
        .store
        .log_fair_access_decision(
            who,
            PersonId(request.person),
            on,
            AgencyId(request.school),
            &request.reason,
            response,
            today(&state),
            state.clock.now(),
        )
        .await?
        .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(RecordedBody { id })))
}

#[utoipa::path(post, path = "/api/v1/fair-access/{id}/answer", tag = "registers",
    operation_id = "fair_access_answer",
    params(("id" = Uuid, Path, description = "A decision recorded in Harbour")),
    request_body = AnswerBody,
    responses((status = 204, description = "Recorded (audited)"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Only the log's keepers record answers (audited)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Refused (already answered, before the panel, in the future); `field` names the field", body = ErrorBody)))]
pub(crate) async fn api_answer(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiProblem> {
    let id: Uuid = id
        .parse()
        .map_err(|_| Problem::bad_request("id", "This decision's address is not valid."))?;
    let request: AnswerBody = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request("body", format!("The body is not valid: {e}")))?;
    let on = date_of("on", &request.on)?;
    let response = response_of("response", Some(&request.response))?;
    state
        .store
        .answer_fair_access_decision(
            &caller.user.principal,
            id,
            on,
            response,
            today(&state),
            state.clock.now(),
        )
        .await?
        .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}
