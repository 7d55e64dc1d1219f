//! The register's API: the list with its figures (the same filters as the page), one entry
//! with its history, recording a fact, and adding an entry by hand.

use super::view::{FilterParams, age_on, child_name, overdue, review_overdue, status_words};
use super::{not_theirs, parse_id, refusal, register_day};
use crate::forms::{child_named, parse_date};
use crate::problem::{ApiProblem, ErrorBody, Problem};
use crate::session::ApiCaller;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use harbour_casework::exclusions::{Fact, Figures, Status};
use harbour_casework::{ClockState, Deadline, WindowState};
use harbour_domain::{AgencyId, PersonId};
use harbour_store::ExclusionEntry;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

/// The register as you may see it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegisterBody {
    /// The entries the filters list, by first day of exclusion.
    entries: Vec<EntryBody>,
    /// Over the entries matching the school and age filters, whatever their status.
    figures: FiguresBody,
    /// Whether you keep the register (may record and add) or see your own agency's entries.
    may_record: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FiguresBody {
    /// Open entries.
    on_register: usize,
    /// Entries whose sixth school day has passed.
    past_day_six: usize,
    /// Of those, how many had full-time education by the sixth day.
    full_time_by_day_six: usize,
    share_full_time_by_day_six: Option<f64>,
    /// Median school days from exclusion to full-time education.
    median_school_days_to_provision: Option<f64>,
    overdue_reviews: usize,
    part_time_too_long: usize,
}

impl From<&Figures> for FiguresBody {
    fn from(f: &Figures) -> Self {
        Self {
            on_register: f.on_register,
            past_day_six: f.past_day_six,
            full_time_by_day_six: f.full_time_by_day_six,
            share_full_time_by_day_six: f.share_full_time_by_day_six,
            median_school_days_to_provision: f.median_school_days_to_provision,
            overdue_reviews: f.overdue_reviews,
            part_time_too_long: f.part_time_too_long,
        }
    }
}

/// A clock: its due day, and where it stands today.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClockBody {
    /// due, met, met_late or missed (a review window: open, used or closed).
    state: String,
    /// ISO 8601: the last day (a window: the day it closes).
    due: String,
    /// ISO 8601: when it was met (a window: when parents applied).
    met_on: Option<String>,
}

fn clock(deadline: Deadline, today: Date) -> ClockBody {
    let state = deadline.state(today);
    ClockBody {
        state: match state {
            ClockState::Due { .. } => "due",
            ClockState::Met { .. } => "met",
            ClockState::MetLate { .. } => "met_late",
            ClockState::Missed { .. } => "missed",
        }
        .to_owned(),
        due: state.due().to_string(),
        met_on: match state {
            ClockState::Met { on, .. } | ClockState::MetLate { on, .. } => Some(on.to_string()),
            _ => None,
        },
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OfferBody {
    provider: String,
    /// Hours a week, as written ("27.5").
    hours: String,
    full_time: bool,
    /// ISO 8601.
    starts_on: String,
    /// Hours attended in the last recorded week since the offer started.
    attended_last: Option<String>,
}

/// One entry of the register.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EntryBody {
    id: Uuid,
    person: Uuid,
    child: String,
    /// ISO 8601.
    date_of_birth: Option<String>,
    age: Option<i32>,
    school_id: Option<Uuid>,
    school: Option<String>,
    /// ISO 8601: the first day of the exclusion.
    first_day: String,
    /// open or closed.
    status: String,
    /// The status in words, with the closure's reason.
    status_words: String,
    /// Opened from a feed's permanent exclusion (rather than by hand).
    from_feed: bool,
    day_six: ClockBody,
    board: ClockBody,
    offer: Option<OfferBody>,
    part_time_too_long: bool,
    /// ISO 8601 (open entries only).
    next_review: Option<String>,
    review_overdue: bool,
    /// A review overdue or a clock missed and not met.
    overdue: bool,
    /// The colleague the entry's tasks are assigned to in "My work", if anyone.
    owner: Option<OwnerBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OwnerBody {
    /// Their user id (the `owner` filter takes it).
    id: Uuid,
    name: String,
}

fn entry_body(e: &ExclusionEntry, today: Date) -> EntryBody {
    let a = &e.assessment;
    let born = e.child.as_ref().and_then(|c| c.date_of_birth);
    EntryBody {
        id: e.id,
        person: e.person.0,
        child: child_name(e),
        date_of_birth: born.map(|d| d.to_string()),
        age: born.map(|b| age_on(b, today)),
        school_id: e.school.map(|s| s.0),
        school: e.school_name.clone(),
        first_day: e.first_day.to_string(),
        status: match a.status {
            Status::Open => "open",
            Status::Closed { .. } => "closed",
        }
        .to_owned(),
        status_words: status_words(&a.status),
        from_feed: e.from_feed,
        day_six: clock(a.day_six, today),
        board: clock(a.board, today),
        offer: a.offer.as_ref().map(|o| OfferBody {
            provider: o.provider.clone(),
            hours: o.hours.to_string(),
            full_time: o.full_time,
            starts_on: o.starts_on.to_string(),
            attended_last: o.attended_last.map(|h| h.to_string()),
        }),
        part_time_too_long: a.part_time_too_long,
        next_review: a.next_review.map(|d| d.to_string()),
        review_overdue: review_overdue(e, today),
        overdue: overdue(e, today),
        owner: e.owner.as_ref().map(|o| OwnerBody {
            id: o.user.0,
            name: o.name.clone(),
        }),
    }
}

#[utoipa::path(get, path = "/api/v1/registers/exclusions", tag = "registers",
    operation_id = "exclusions_register",
    params(FilterParams),
    responses((status = 200, description = "The permanent exclusions register as you may see it, with its figures (audited, naming every child)", body = RegisterBody),
        (status = 400, description = "A filter is not valid; `field` names it", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Your role sees no part of this register", body = ErrorBody)))]
pub(crate) async fn api_list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(params): Query<FilterParams>,
) -> Result<Json<RegisterBody>, ApiProblem> {
    let filter = params.check()?;
    let day = register_day(&state);
    let register = state
        .store
        .exclusions_register(&caller.user.principal, day, state.clock.now())
        .await?
        .ok_or_else(not_theirs)?;
    let (listed, figures) = filter.apply(&register.entries, day.today);
    Ok(Json(RegisterBody {
        entries: listed.iter().map(|e| entry_body(e, day.today)).collect(),
        figures: FiguresBody::from(&figures),
        may_record: register.may_record,
    }))
}

/// One recorded fact.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HistoryBody {
    /// The fact as recorded (the same shape `POST …/facts` takes).
    #[schema(value_type = Object)]
    fact: serde_json::Value,
    /// RFC 3339.
    recorded_at: String,
    /// The member of staff; empty for Harbour itself.
    recorded_by: Option<String>,
}

/// One entry with its clocks and history.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EntryDetailBody {
    entry: EntryBody,
    /// Parents' window to ask for an independent review (once the board has declined to reinstate).
    review_window: Option<ClockBody>,
    /// The review panel's hearing (once parents have applied).
    review_hearing: Option<ClockBody>,
    /// Oldest first.
    history: Vec<HistoryBody>,
}

fn detail_body(e: &ExclusionEntry, today: Date) -> EntryDetailBody {
    let a = &e.assessment;
    EntryDetailBody {
        entry: entry_body(e, today),
        review_window: a.review_window.map(|w| {
            let state = w.state(today);
            ClockBody {
                state: match state {
                    WindowState::Open { .. } => "open",
                    WindowState::Used { .. } => "used",
                    WindowState::Closed { .. } => "closed",
                }
                .to_owned(),
                due: w.closes.to_string(),
                met_on: match state {
                    WindowState::Used { on, .. } => Some(on.to_string()),
                    _ => None,
                },
            }
        }),
        review_hearing: a.review_hearing.map(|h| clock(h, today)),
        history: e
            .history
            .iter()
            .map(|f| HistoryBody {
                fact: serde_json::to_value(&f.fact).unwrap_or_default(),
                recorded_at: f
                    .recorded_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                recorded_by: f.recorded_by.clone(),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/registers/exclusions/{id}", tag = "registers",
    operation_id = "exclusions_register_entry",
    params(("id" = Uuid, Path, description = "The register entry")),
    responses((status = 200, description = "The entry with its clocks and history (audited)", body = EntryDetailBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "No such entry, or not one you may see", body = ErrorBody)))]
pub(crate) async fn api_entry(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<EntryDetailBody>, ApiProblem> {
    let id = parse_id(&id)?;
    let day = register_day(&state);
    let entry = state
        .store
        .exclusion_entry(&caller.user.principal, id, day, state.clock.now())
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(Json(detail_body(&entry, day.today)))
}

#[utoipa::path(post, path = "/api/v1/registers/exclusions/{id}/facts", tag = "registers",
    operation_id = "exclusions_register_record",
    params(("id" = Uuid, Path, description = "The register entry")),
    request_body(content = Object, description = "A fact, tagged by `fact`: board_decision {on, reinstate, parents_told_on}, review_applied {on}, review_hearing {on, outcome: null|upheld|recommend_reconsider|quashed}, offer {provider, hours, starts_on}, attended {week_starting, hours}, review {on, notes, next_on}, closed {on, closure: {reason: reinstated|placed_on_roll {school}|moved_out_of_area {authority, told_on}|left_compulsory_education}}, reopened {on, why}. Dates are ISO 8601; hours are tenths of an hour (250 is 25 hours)."),
    responses((status = 200, description = "The entry after the fact was recorded (audited)", body = EntryDetailBody),
        (status = 400, description = "The body is not a fact", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "You may see the register but not record on it (audited)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "The register's rules refuse it (a meeting before the exclusion, a change to a closed entry); `field` names the field", body = ErrorBody)))]
pub(crate) async fn api_record(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<EntryDetailBody>, ApiProblem> {
    let id = parse_id(&id)?;
    let fact: Fact = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request("fact", format!("The body is not a fact: {e}")))?;
    let who = &caller.user.principal;
    let day = register_day(&state);
    let now = state.clock.now();
    state
        .store
        .record_on_exclusion(who, id, &fact, day, now)
        .await?
        .map_err(refusal)?;
    let entry = state
        .store
        .exclusion_entry(who, id, day, now)
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(Json(detail_body(&entry, day.today)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewEntryBody {
    /// The child.
    person: Uuid,
    /// The excluding school (its agency id), if known.
    #[serde(default)]
    school: Option<Uuid>,
    /// ISO 8601: the first day of the exclusion.
    first_day: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AddedBody {
    id: Uuid,
}

#[utoipa::path(post, path = "/api/v1/registers/exclusions", tag = "registers",
    operation_id = "exclusions_register_add",
    request_body = NewEntryBody,
    responses((status = 201, description = "Added (audited)", body = AddedBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Only the register's keepers add entries", body = ErrorBody),
        (status = 422, description = "Refused; `field` names the field", body = ErrorBody)))]
pub(crate) async fn api_add(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    body: Bytes,
) -> Result<(StatusCode, Json<AddedBody>), ApiProblem> {
    let request: NewEntryBody = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request("body", format!("The body is not valid: {e}")))?;
    let first_day = parse_date(&request.first_day).ok_or_else(|| {
        Problem::bad_request("first_day", "first_day must be a date like 2023-01-17")
    })?;
    let who = &caller.user.principal;
    let now = state.clock.now();
    let keeps = state
        .store
        .policy()
        .register_access(who, harbour_policy::Register::Exclusions)
        == Some(harbour_policy::RegisterAccess::Keep);
    if keeps && child_named(&state, who, request.person).await?.is_none() {
        return Err(Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_input",
            message: "There is no child with this person id".into(),
            field: Some("person".into()),
        }
        .into());
    }
    let id = state
        .store
        .add_exclusion_entry(
            who,
            PersonId(request.person),
            request.school.map(AgencyId),
            first_day,
            register_day(&state).today,
            now,
        )
        .await?
        .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(AddedBody { id })))
}
