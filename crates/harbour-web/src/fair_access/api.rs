//! The fair-access view as JSON: the same figures and log as the page.

use super::pages::response_words;
use super::{Period, not_theirs, today};
use crate::problem::{ApiProblem, ErrorBody};
use crate::session::ApiCaller;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use harbour_casework::fair_access::Rate;
use serde::Serialize;
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
