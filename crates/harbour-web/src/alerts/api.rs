//! The alerts API: the caller's queue, and acting on one alert.

use super::{action, refusal};
use crate::problem::{ApiProblem, ErrorBody, Problem};
use crate::session::ApiCaller;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use harbour_store::{Alert, QueueFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An alert, as the API gives it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AlertBody {
    id: Uuid,
    person: Uuid,
    rule: String,
    rule_version: i32,
    title: String,
    severity: String,
    fired_on: String,
    due_on: String,
    recipient_role: String,
    /// The ids of the evidence events your role opens; open the person to read them.
    evidence: Vec<Uuid>,
    /// Evidence events your role does not open: counted, never described. When above
    /// nought, `rule` is empty and `title` and `because` are worded without them.
    withheld_evidence: usize,
    because: String,
    /// open, acknowledged, actioned or dismissed.
    status: String,
    note: String,
    escalated_to: Option<String>,
    /// The child, as far as your role may see them.
    child: Option<ChildBody>,
}

/// Which child an alert is about.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChildBody {
    name: String,
    /// ISO 8601.
    date_of_birth: Option<String>,
    /// The school that last recorded something your role may see.
    school: Option<String>,
}

fn body(state: &AppState, a: Alert) -> AlertBody {
    let child = a.child.as_ref().map(|c| ChildBody {
        name: format!("{} {}", c.given_name, c.family_name),
        date_of_birth: c.date_of_birth.map(|d| d.to_string()),
        school: c.school.clone(),
    });
    AlertBody {
        child,
        id: a.id,
        person: a.person.0,
        title: super::pages::title(state, &a),
        withheld_evidence: a.withheld,
        rule: a.rule,
        rule_version: a.rule_version,
        severity: a.severity,
        fired_on: a.fired_on.to_string(),
        due_on: a.due_on.to_string(),
        recipient_role: a.recipient_role.as_str().to_owned(),
        evidence: a.evidence,
        because: a.because,
        status: a.status.as_str().to_owned(),
        note: a.note,
        escalated_to: a.escalated_to.map(|r| r.as_str().to_owned()),
    }
}

/// Which alerts of the queue to give.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct QueueParams {
    /// Only alerts about a child one of whose names contains this (ignoring case).
    child: Option<String>,
    /// true: the list (low-severity alerts, kept out of the queue) instead of the queue.
    #[serde(default)]
    list: bool,
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", operation_id = "alert_queue",
    params(QueueParams),
    responses((status = 200, description = "Your queue: alerts to act on, most urgent first", body = [AlertBody]),
        (status = 401, body = ErrorBody)))]
pub(crate) async fn api_queue(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(params): Query<QueueParams>,
) -> Result<Json<Vec<AlertBody>>, ApiProblem> {
    let filter = QueueFilter {
        child: params.child,
        list: params.list,
    };
    let alerts = state
        .store
        .alert_queue(&caller.user.principal, &filter, state.clock.now())
        .await?;
    Ok(Json(alerts.into_iter().map(|a| body(&state, a)).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ActionBody {
    /// acknowledge, actioned or dismiss.
    action: String,
    /// What was done (actioned) or why it is not a concern (dismiss); at least 10 characters.
    #[serde(default)]
    note: String,
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}", tag = "alerts",
    params(("id" = Uuid, Path, description = "The alert")),
    request_body = ActionBody,
    responses((status = 200, description = "The alert after the action", body = AlertBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "Already closed", body = ErrorBody)))]
pub(crate) async fn api_act(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Json(request): Json<ActionBody>,
) -> Result<Json<AlertBody>, ApiProblem> {
    let id: Uuid = id
        .parse()
        .map_err(|_| Problem::bad_request("id", format!("{id:?} is not a valid id")))?;
    let who = &caller.user.principal;
    let now = state.clock.now();
    state
        .store
        .act_on_alert(who, id, action(&request.action, request.note)?, now)
        .await?
        .map_err(refusal)?;
    let alert = state
        .store
        .alert_for(who, id, now)
        .await?
        .ok_or_else(Problem::not_found)?
        .alert;
    Ok(Json(body(&state, alert)))
}
