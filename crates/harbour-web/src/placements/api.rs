//! The placements' API: the list with the pathway's figures, one placement with its history,
//! recording a fact, and adding a placement by hand.

use super::view::child_name;
use super::{keeps, not_theirs, parse_id, refusal, register_day};
use crate::forms::{child_named, parse_date};
use crate::problem::{ApiProblem, ErrorBody, Problem};
use crate::session::ApiCaller;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use harbour_casework::placements::{Pathway, PlacementFact};
use harbour_domain::PersonId;
use harbour_store::PlacementEntry;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

/// Every placement, with the pathway's figures.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlacementsBody {
    /// By start date.
    placements: Vec<PlacementBody>,
    pathway: PathwayBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PathwayBody {
    placements: usize,
    /// Placements not yet ended.
    running: usize,
    /// Of those, how many offer fewer than the full-time hours.
    part_time_running: usize,
    /// Placements that followed a permanent exclusion on the register.
    after_exclusion: usize,
    /// Median calendar days from the exclusion's first day to the placement's start.
    median_days_from_exclusion: Option<f64>,
    /// The same in school days, counted as the day-6 clock counts them.
    median_school_days_from_exclusion: Option<f64>,
    reviews_overdue: usize,
    /// Open exclusions register entries with no placement since the exclusion.
    excluded_without_placement: usize,
}

impl PathwayBody {
    fn of(p: &Pathway, excluded_without_placement: usize) -> Self {
        Self {
            placements: p.placements,
            running: p.running,
            part_time_running: p.part_time_running,
            after_exclusion: p.after_exclusion,
            median_days_from_exclusion: p.median_days_from_exclusion,
            median_school_days_from_exclusion: p.median_school_days_from_exclusion,
            reviews_overdue: p.reviews_overdue,
            excluded_without_placement,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlacementBody {
    id: Uuid,
    person: Uuid,
    child: String,
    /// ISO 8601.
    #[schema(value_type = String)]
    starts_on: Date,
    provider: String,
    /// pupil_referral_unit, alternative_provision_academy, independent_provider or tuition;
    /// null when not recorded (a feed does not send it).
    kind: Option<String>,
    /// Tenths of an hour a week (250 is 25 hours); null when not recorded.
    hours_tenths: Option<u16>,
    full_time: Option<bool>,
    /// The exclusions register's entry of the exclusion it follows.
    exclusion_entry: Option<Uuid>,
    days_from_exclusion: Option<i64>,
    school_days_from_exclusion: Option<u32>,
    #[schema(value_type = Option<String>)]
    next_review: Option<Date>,
    review_overdue: bool,
    #[schema(value_type = Option<String>)]
    ended_on: Option<Date>,
    /// returned_to_mainstream, moved_to_specialist_provision, moved_to_another_placement,
    /// completed_compulsory_education or broke_down.
    outcome: Option<String>,
    from_feed: bool,
}

fn body(entry: &PlacementEntry, today: Date) -> PlacementBody {
    let a = &entry.assessment;
    PlacementBody {
        id: entry.id,
        person: entry.person.0,
        child: child_name(entry),
        starts_on: entry.starts_on,
        provider: a.provider.clone(),
        kind: a.kind.map(|k| k.code().to_owned()),
        hours_tenths: a.hours.map(|h| h.tenths()),
        full_time: a.full_time,
        exclusion_entry: entry.exclusion_entry,
        days_from_exclusion: a.days_from_exclusion,
        school_days_from_exclusion: a.school_days_from_exclusion,
        next_review: a.next_review,
        review_overdue: a.next_review.is_some_and(|due| today > due),
        ended_on: a.ended.map(|(on, _)| on),
        outcome: a.ended.map(|(_, o)| o.code().to_owned()),
        from_feed: entry.from_feed,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HistoryBody {
    /// The fact as recorded, tagged by `fact` (details, reviewed, ended).
    #[schema(value_type = Object)]
    fact: serde_json::Value,
    #[schema(value_type = String)]
    #[serde(with = "time::serde::rfc3339")]
    recorded_at: time::OffsetDateTime,
    /// Null for Harbour itself (a placement from the feed).
    recorded_by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlacementDetailBody {
    #[serde(flatten)]
    placement: PlacementBody,
    history: Vec<HistoryBody>,
}

fn detail_body(entry: &PlacementEntry, today: Date) -> PlacementDetailBody {
    PlacementDetailBody {
        placement: body(entry, today),
        history: entry
            .history
            .iter()
            .map(|f| HistoryBody {
                fact: serde_json::to_value(&f.fact).unwrap_or_default(),
                recorded_at: f.recorded_at,
                recorded_by: f.recorded_by.clone(),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/registers/alternative-provision", tag = "registers",
    operation_id = "alternative_provision_list",
    responses((status = 200, description = "Every placement with the pathway's figures (audited, naming every child)", body = PlacementsBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Your role does not keep the placements (audited)", body = ErrorBody)))]
pub(crate) async fn api_list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<PlacementsBody>, ApiProblem> {
    let day = register_day(&state);
    let register = state
        .store
        .placements(&caller.user.principal, day, state.clock.now())
        .await?
        .ok_or_else(not_theirs)?;
    Ok(Json(PlacementsBody {
        placements: register
            .entries
            .iter()
            .map(|e| body(e, day.today))
            .collect(),
        pathway: PathwayBody::of(&register.pathway, register.excluded_without_placement),
    }))
}

#[utoipa::path(get, path = "/api/v1/registers/alternative-provision/{id}", tag = "registers",
    operation_id = "alternative_provision_entry",
    params(("id" = Uuid, Path, description = "The placement")),
    responses((status = 200, description = "The placement with its history (audited)", body = PlacementDetailBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn api_entry(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<PlacementDetailBody>, ApiProblem> {
    let id = parse_id(&id)?;
    let day = register_day(&state);
    let entry = state
        .store
        .placement_entry(&caller.user.principal, id, day, state.clock.now())
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(Json(detail_body(&entry, day.today)))
}

#[utoipa::path(post, path = "/api/v1/registers/alternative-provision/{id}/facts", tag = "registers",
    operation_id = "alternative_provision_record",
    params(("id" = Uuid, Path, description = "The placement")),
    request_body(content = Object, description = "A fact, tagged by `fact`: details {provider, kind: null|pupil_referral_unit|alternative_provision_academy|independent_provider|tuition, hours: null|tenths of an hour, review_on: null|date}, reviewed {on, notes, next_on: null|date}, ended {on, outcome: returned_to_mainstream|moved_to_specialist_provision|moved_to_another_placement|completed_compulsory_education|broke_down, notes}. Dates are ISO 8601."),
    responses((status = 200, description = "The placement after the fact was recorded (audited)", body = PlacementDetailBody),
        (status = 400, description = "The body is not a fact", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Your role does not keep the placements (audited)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "The placement's rules refuse it (a review before the start, a change to an ended placement); `field` names the field", body = ErrorBody)))]
pub(crate) async fn api_record(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<PlacementDetailBody>, ApiProblem> {
    let id = parse_id(&id)?;
    let fact: PlacementFact = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request("fact", format!("The body is not a fact: {e}")))?;
    let who = &caller.user.principal;
    let day = register_day(&state);
    let now = state.clock.now();
    state
        .store
        .record_on_placement(who, id, &fact, day, now)
        .await?
        .map_err(refusal)?;
    let entry = state
        .store
        .placement_entry(who, id, day, now)
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(Json(detail_body(&entry, day.today)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewPlacementBody {
    /// The child.
    person: Uuid,
    /// ISO 8601: the day the placement starts.
    starts_on: String,
    provider: String,
    /// pupil_referral_unit, alternative_provision_academy, independent_provider or tuition.
    #[serde(default)]
    kind: Option<String>,
    /// Tenths of an hour a week (250 is 25 hours).
    #[serde(default)]
    hours: Option<u16>,
    /// ISO 8601: the first review, if set (else six weeks from the start).
    #[serde(default)]
    review_on: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AddedBody {
    id: Uuid,
}

fn invalid(field: &str, message: &str) -> Problem {
    Problem {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid_input",
        message: message.into(),
        field: Some(field.into()),
    }
}

#[utoipa::path(post, path = "/api/v1/registers/alternative-provision", tag = "registers",
    operation_id = "alternative_provision_add",
    request_body = NewPlacementBody,
    responses((status = 201, description = "Added (audited); also recorded as the offer on the exclusion it follows, when it gives hours", body = AddedBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Only the placements' keepers add placements", body = ErrorBody),
        (status = 422, description = "Refused; `field` names the field", body = ErrorBody)))]
pub(crate) async fn api_add(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    body: Bytes,
) -> Result<(StatusCode, Json<AddedBody>), ApiProblem> {
    let request: NewPlacementBody = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request("body", format!("The body is not valid: {e}")))?;
    let starts_on = parse_date(&request.starts_on).ok_or_else(|| {
        Problem::bad_request("starts_on", "starts_on must be a date like 2023-01-17")
    })?;
    let review_on = match request.review_on.as_deref() {
        None | Some("") => None,
        Some(text) => Some(parse_date(text).ok_or_else(|| {
            Problem::bad_request("review_on", "review_on must be a date like 2023-01-17")
        })?),
    };
    let kind = match request.kind.as_deref() {
        None | Some("") => None,
        Some(code) => Some(
            harbour_casework::placements::ProvisionKind::parse(code)
                .ok_or_else(|| invalid("kind", "kind is not a type of provision"))?,
        ),
    };
    let who = &caller.user.principal;
    if keeps(&state, who) && child_named(&state, who, request.person).await?.is_none() {
        return Err(invalid("person", "There is no child with this person id").into());
    }
    let details = PlacementFact::Details {
        provider: request.provider,
        kind,
        hours: request.hours.map(harbour_casework::Hours::from_tenths),
        review_on,
    };
    let id = state
        .store
        .add_placement(
            who,
            PersonId(request.person),
            starts_on,
            details,
            register_day(&state),
            state.clock.now(),
        )
        .await?
        .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(AddedBody { id })))
}
