//! Alerts: each user's queue (their home page), one alert with its evidence and the actions
//! on it, and replay of a child's timeline. Thin: the store decides who sees what and audits.

use crate::problem::{ApiProblem, ErrorBody, PageProblem, Problem};
use crate::session::{ApiCaller, SignedIn, check_form_token};
use crate::state::AppState;
use crate::views::{Layout, long_date};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use harbour_domain::{PersonId, Role};
use harbour_store::{Alert, AlertAction, AlertRefusal};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;
use uuid::Uuid;

fn refusal(refusal: AlertRefusal) -> Problem {
    match refusal {
        AlertRefusal::NotYours => Problem::not_found(),
        AlertRefusal::NoteTooShort => Problem::bad_request("note", refusal.to_string()),
        AlertRefusal::Closed => Problem {
            status: StatusCode::CONFLICT,
            code: "conflict",
            message: refusal.to_string(),
            field: None,
        },
    }
}

fn role_label(code: &str) -> String {
    code.parse::<Role>()
        .map_or_else(|_| code.to_owned(), |r| r.label().to_owned())
}

/// One alert in a queue, ready to show.
pub(crate) struct AlertRow {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub fired_on: String,
    pub due_on: String,
    pub overdue: bool,
    pub status: String,
    pub escalated: bool,
    pub sent_to: String,
}

pub(crate) fn rows(state: &AppState, alerts: &[Alert]) -> Vec<AlertRow> {
    let today = state.clock.now().date();
    alerts
        .iter()
        .map(|a| AlertRow {
            id: a.id.to_string(),
            title: state
                .rules
                .rule(&a.rule)
                .map_or_else(|| a.rule.clone(), |r| r.title.clone()),
            severity: a.severity.clone(),
            fired_on: long_date(a.fired_on),
            due_on: long_date(a.due_on),
            overdue: a.due_on < today && (a.status == "open" || a.status == "acknowledged"),
            status: a.status.clone(),
            escalated: a.escalated_to.is_some(),
            sent_to: role_label(&a.recipient_role),
        })
        .collect()
}

/// One evidence event as the viewer may see it.
pub(crate) struct EvidenceRow {
    pub date: String,
    pub agency: String,
    pub summary: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "alert.html")]
pub(crate) struct AlertPage {
    pub layout: Layout,
    pub id: String,
    pub person: String,
    pub title: String,
    pub rule: String,
    pub version: i32,
    pub severity: String,
    pub rationale: String,
    pub source: String,
    pub because: String,
    pub fired_on: String,
    pub due_on: String,
    pub overdue: bool,
    pub status: String,
    pub note: String,
    pub sent_to: String,
    pub escalated_to: String,
    pub evidence: Vec<EvidenceRow>,
    /// Evidence events the viewer's role does not open.
    pub hidden: usize,
    pub open: bool,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<AlertPage, PageProblem> {
    let id: Uuid = id
        .parse()
        .map_err(|_| Problem::bad_request("id", "This alert address is not valid."))?;
    let who = &signed_in.user.principal;
    let now = state.clock.now();
    let alert = state
        .store
        .alert_for(who, id, now)
        .await?
        .ok_or_else(Problem::not_found)?;
    let view = state.store.person_view(who, alert.person, now).await?;
    let wanted: HashSet<Uuid> = alert.evidence.iter().copied().collect();
    let evidence: Vec<EvidenceRow> = view
        .map(|v| {
            v.timeline
                .into_iter()
                .filter(|e| wanted.contains(&e.event.0))
                .map(|e| EvidenceRow {
                    date: long_date(e.occurred_on),
                    agency: e.agency_name,
                    summary: e.summary,
                })
                .collect()
        })
        .unwrap_or_default();
    let rule = state.rules.rule(&alert.rule);
    let today = now.date();
    Ok(AlertPage {
        layout: Layout::new("Alert", Some(&signed_in), &state),
        id: alert.id.to_string(),
        person: alert.person.to_string(),
        title: rule.map_or_else(|| alert.rule.clone(), |r| r.title.clone()),
        rule: alert.rule.clone(),
        version: alert.rule_version,
        severity: alert.severity.clone(),
        rationale: rule.map(|r| r.rationale.clone()).unwrap_or_default(),
        source: rule.map(|r| r.source.clone()).unwrap_or_default(),
        because: alert.because.clone(),
        fired_on: long_date(alert.fired_on),
        due_on: long_date(alert.due_on),
        overdue: alert.due_on < today && (alert.status == "open" || alert.status == "acknowledged"),
        open: alert.status == "open" || alert.status == "acknowledged",
        status: alert.status.clone(),
        note: alert.note.clone(),
        sent_to: role_label(&alert.recipient_role),
        escalated_to: alert
            .escalated_to
            .as_deref()
            .map(role_label)
            .unwrap_or_default(),
        hidden: wanted.len().saturating_sub(evidence.len()),
        evidence,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct ActionForm {
    csrf_token: Option<String>,
    action: String,
    #[serde(default)]
    note: String,
}

fn action(name: &str, note: String) -> Result<AlertAction, Problem> {
    match name {
        "acknowledge" => Ok(AlertAction::Acknowledge),
        "actioned" => Ok(AlertAction::Actioned { note }),
        "dismiss" => Ok(AlertAction::Dismiss { reason: note }),
        other => Err(Problem::bad_request(
            "action",
            format!("{other:?} is not an action; use acknowledge, actioned or dismiss"),
        )),
    }
}

pub(crate) async fn act(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    let id: Uuid = id
        .parse()
        .map_err(|_| Problem::bad_request("id", "This alert address is not valid."))?;
    let action = action(&form.action, form.note)?;
    state
        .store
        .act_on_alert(&signed_in.user.principal, id, action, state.clock.now())
        .await?
        .map_err(refusal)?;
    Ok(Redirect::to(&format!("/alerts/{id}")).into_response())
}

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
    /// The evidence events' ids; open the person to read those your role may see.
    evidence: Vec<Uuid>,
    because: String,
    /// open, acknowledged, actioned or dismissed.
    status: String,
    note: String,
    escalated_to: Option<String>,
}

fn body(state: &AppState, a: Alert) -> AlertBody {
    AlertBody {
        id: a.id,
        person: a.person.0,
        title: state
            .rules
            .rule(&a.rule)
            .map_or_else(|| a.rule.clone(), |r| r.title.clone()),
        rule: a.rule,
        rule_version: a.rule_version,
        severity: a.severity,
        fired_on: a.fired_on.to_string(),
        due_on: a.due_on.to_string(),
        recipient_role: a.recipient_role,
        evidence: a.evidence,
        because: a.because,
        status: a.status,
        note: a.note,
        escalated_to: a.escalated_to,
    }
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts",
    responses((status = 200, description = "Your queue: alerts to act on, most urgent first", body = [AlertBody]),
        (status = 401, body = ErrorBody)))]
pub(crate) async fn api_queue(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<AlertBody>>, ApiProblem> {
    let alerts = state
        .store
        .alert_queue(&caller.user.principal, state.clock.now())
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
        .ok_or_else(Problem::not_found)?;
    Ok(Json(body(&state, alert)))
}

/// A day of a replay: the events the viewer may see, and the alerts that fired.
pub(crate) struct ReplayDay {
    pub date: String,
    pub events: Vec<EvidenceRow>,
    pub alerts: Vec<ReplayAlertRow>,
}

pub(crate) struct ReplayAlertRow {
    pub title: String,
    pub rule: String,
    pub version: u32,
    pub severity: String,
    pub told: String,
    pub due: String,
    pub because: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "replay.html")]
pub(crate) struct ReplayPage {
    pub layout: Layout,
    pub person: String,
    pub days: Vec<ReplayDay>,
    pub alerts: usize,
    pub hidden_events: usize,
}

/// The replay of a child's timeline. The rules run over everything Harbour holds (as they
/// do live); the page shows only the events the viewer may see, and each alert with who
/// would have been told.
pub(crate) async fn replay(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<ReplayPage, PageProblem> {
    let person: PersonId = id
        .parse()
        .map_err(|_| Problem::bad_request("id", "The person id in this address is not valid."))?;
    let who = &signed_in.user.principal;
    let now = state.clock.now();
    let view = state
        .store
        .person_view(who, person, now)
        .await?
        .ok_or_else(Problem::not_found)?;
    let timeline = state
        .store
        .rule_timeline(&who.tenant, person, now)
        .await?
        .ok_or_else(Problem::not_found)?;
    let replay = harbour_rules::replay::replay(&state.rules, &timeline, now.date());
    let visible: HashSet<String> = view
        .timeline
        .iter()
        .map(|e| e.event.0.to_string())
        .collect();
    let mut days: Vec<ReplayDay> = Vec::new();
    let mut alerts = replay.alerts.iter().peekable();
    let mut hidden = 0;
    for event in &replay.events {
        while let Some(alert) = alerts.next_if(|a| a.on < event.on) {
            if let Some(d) = day(&mut days, alert.on) {
                d.alerts.push(alert_row(alert));
            }
        }
        if visible.contains(&event.id) {
            if let Some(d) = day(&mut days, event.on) {
                d.events.push(EvidenceRow {
                    date: long_date(event.on),
                    agency: event.agency.clone(),
                    summary: event.summary.clone(),
                });
            }
        } else {
            hidden += 1;
        }
    }
    for alert in alerts {
        if let Some(d) = day(&mut days, alert.on) {
            d.alerts.push(alert_row(alert));
        }
    }
    Ok(ReplayPage {
        layout: Layout::new("Replay", Some(&signed_in), &state),
        person: person.to_string(),
        alerts: replay.alerts.len(),
        days,
        hidden_events: hidden,
    })
}

/// The last day of `days`, after adding `date` if it is a later day.
fn day(days: &mut Vec<ReplayDay>, date: time::Date) -> Option<&mut ReplayDay> {
    let label = long_date(date);
    if days.last().is_none_or(|d| d.date != label) {
        days.push(ReplayDay {
            date: label,
            events: Vec::new(),
            alerts: Vec::new(),
        });
    }
    days.last_mut()
}

fn alert_row(alert: &harbour_rules::replay::ReplayAlert) -> ReplayAlertRow {
    ReplayAlertRow {
        title: alert.title.clone(),
        rule: alert.rule.clone(),
        version: alert.version,
        severity: alert.severity.clone(),
        told: alert.told.join("; "),
        due: long_date(alert.due),
        because: alert.because.clone(),
    }
}
