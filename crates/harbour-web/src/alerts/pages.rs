//! The alert pages: the queue rows the home page shows, one alert with its evidence and
//! the form to act on it, and the replay of a child's timeline.

use super::{action, refusal};
use crate::layout::{FieldError, Layout, date_time, long_date};
use crate::problem::{PageProblem, Problem};
use crate::session::{SignedIn, check_form_token};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::{PersonId, Role};
use harbour_rules::alerts::Status;
use harbour_rules::alerts::{WITHHELD_TITLE, is_overdue};
use harbour_store::{Alert, AlertChild, AlertRefusal};
use serde::Deserialize;
use uuid::Uuid;

fn role_label(role: Role) -> String {
    role.label().to_owned()
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
    /// The child's name, as the viewer may see it.
    pub child: String,
    /// Their age and school, as far as the viewer may see them.
    pub child_detail: String,
    /// For sorting by child: family name, then given name.
    pub child_key: String,
    /// What another member of staff did to it, and when ("Acknowledged by Grace Adeyemi,
    /// 2 Dec"), or empty: the queue is shared work.
    pub acted: String,
}

/// "Acknowledged by Grace Adeyemi, 2 Dec": the last move on an alert, by whom, when.
fn acted_words(a: &Alert) -> String {
    let Some(acted) = &a.acted else {
        return String::new();
    };
    let on = acted
        .at
        .date()
        .format(time::macros::format_description!(
            "[day padding:none] [month repr:short]"
        ))
        .unwrap_or_default();
    format!("{} by {}, {on}", a.status.label(), acted.by_name)
}

/// The child's name, and their age and school, for a queue row or an alert page.
pub(crate) fn child_words(child: Option<&AlertChild>, today: time::Date) -> (String, String) {
    let Some(child) = child else {
        return ("A child".to_owned(), String::new());
    };
    let mut detail = Vec::new();
    if let Some(born) = child.date_of_birth {
        detail.push(format!("aged {}", age_on(born, today)));
    }
    if let Some(school) = &child.school {
        detail.push(school.clone());
    }
    (
        format!("{} {}", child.given_name, child.family_name),
        detail.join(", "),
    )
}

/// Whole years from `born` to `today`.
fn age_on(born: time::Date, today: time::Date) -> i32 {
    let years = today.year() - born.year();
    if (u8::from(today.month()), today.day()) < (u8::from(born.month()), born.day()) {
        years - 1
    } else {
        years
    }
}

/// An alert's title as its viewer may read it: the rule's, unless the viewer's role does not
/// open all of the evidence (the store then withholds the rule; see `Alert::withheld`).
pub(crate) fn title(state: &AppState, a: &Alert) -> String {
    if a.withheld > 0 {
        return WITHHELD_TITLE.to_owned();
    }
    state
        .rules
        .rule(&a.rule)
        .map_or_else(|| a.rule.clone(), |r| r.title.clone())
}

pub(crate) fn rows(state: &AppState, alerts: &[Alert]) -> Vec<AlertRow> {
    let today = state.clock.now().date();
    alerts
        .iter()
        .map(|a| {
            let (child, child_detail) = child_words(a.child.as_ref(), today);
            let child_key = a.child.as_ref().map_or_else(String::new, |c| {
                format!("{} {}", c.family_name, c.given_name).to_lowercase()
            });
            AlertRow {
                acted: acted_words(a),
                child,
                child_detail,
                child_key,
                id: a.id.to_string(),
                title: title(state, a),
                severity: a.severity.clone(),
                fired_on: long_date(a.fired_on),
                due_on: long_date(a.due_on),
                overdue: is_overdue(a.status, a.due_on, today),
                status: a.status.as_str().to_owned(),
                escalated: a.escalated_to.is_some(),
                sent_to: role_label(a.recipient_role),
            }
        })
        .collect()
}

/// A register entry as an alert's evidence: the register's name and the entry's page.
fn register_link(register: harbour_policy::Register, entry: Uuid) -> (String, String) {
    use harbour_policy::Register as R;
    let (name, path) = match register {
        R::Exclusions => ("permanent exclusions register", "/registers/exclusions"),
        R::HomeEducation => (
            "children not in school register (home education)",
            "/children-not-in-school/home-education",
        ),
        R::MissingEducation => (
            "children not in school register (missing education)",
            "/children-not-in-school/missing-education",
        ),
        // Not a register with clocks; named for completeness.
        R::FairAccess => ("fair-access log", "/fair-access"),
        R::AlternativeProvision => (
            "alternative-provision placements",
            "/registers/alternative-provision",
        ),
    };
    let link = match register {
        R::FairAccess => path.to_owned(),
        _ => format!("{path}/{entry}"),
    };
    (name.to_owned(), link)
}

/// One evidence event as the viewer may see it.
pub(crate) struct EvidenceRow {
    pub date: String,
    pub agency: String,
    pub summary: String,
}

/// One change in an alert's life, as the alert page lists it.
pub(crate) struct HistoryRow {
    pub at: String,
    pub what: String,
    pub who: String,
}

fn history_row(fact: &harbour_store::CaseEvent) -> HistoryRow {
    let to = serde_json::from_str::<serde_json::Value>(&fact.detail)
        .ok()
        .and_then(|d| {
            d.get("to")
                .and_then(|t| t.as_str())
                .and_then(|r| r.parse::<Role>().ok())
        });
    let what = match (fact.action.as_str(), to) {
        ("raised", Some(role)) => format!("Raised for the {}", role.label()),
        ("escalated", Some(role)) => format!("Escalated to the {} (overdue)", role.label()),
        ("evidence_added", _) => "Another record of the same moment was added".to_owned(),
        (action, _) => harbour_rules::alerts::Status::parse(action)
            .map_or_else(|| action.to_owned(), |s| s.label().to_owned()),
    };
    HistoryRow {
        at: date_time(fact.at),
        what,
        who: fact.by_name.clone().unwrap_or_else(|| "Harbour".to_owned()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "alert.html")]
pub(crate) struct AlertPage {
    pub layout: Layout,
    pub id: String,
    pub person: String,
    pub child: String,
    pub child_detail: String,
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
    /// The register entries whose clock ran out, as (what, link): the evidence of an alert
    /// on a register clock is the entry, not an agency's event.
    pub register_entries: Vec<(String, String)>,
    /// Evidence events the viewer's role does not open.
    pub hidden: usize,
    /// What happened to the alert, oldest first: shared by everyone who works its queue.
    pub history: Vec<HistoryRow>,
    pub open: bool,
    /// What was wrong with the form just sent, if anything (GOV.UK error summary).
    pub errors: Vec<FieldError>,
    /// The action chosen in the form: the one sent, or the first the alert allows.
    pub chosen: String,
    /// The note as typed, kept when the form is shown again.
    pub typed_note: String,
    /// The confirmation after a save ("Alert acknowledged"), or empty.
    pub saved: String,
}

/// What the form sent, shown again with its errors.
struct Sent {
    errors: Vec<FieldError>,
    action: String,
    note: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageParams {
    /// The status an action just saved, so the page can confirm it (see [`act`]).
    saved: Option<String>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    axum::extract::Query(params): axum::extract::Query<PageParams>,
) -> Result<AlertPage, PageProblem> {
    let id = parse_id(&id)?;
    let mut page = alert_page(&state, &signed_in, id, None).await?;
    page.saved = saved_words(params.saved.as_deref());
    Ok(page)
}

/// "Alert acknowledged" and so on, for a status an action leads to; nothing for anything
/// else (the query is read against the closed list of statuses, never echoed).
fn saved_words(saved: Option<&str>) -> String {
    saved
        .and_then(Status::parse)
        .filter(|s| *s != Status::Open)
        .map(|s| format!("Alert {}", s.as_str()))
        .unwrap_or_default()
}

fn parse_id(id: &str) -> Result<Uuid, Problem> {
    id.parse()
        .map_err(|_| Problem::bad_request("id", "This alert address is not valid."))
}

async fn alert_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: Uuid,
    sent: Option<Sent>,
) -> Result<AlertPage, PageProblem> {
    let who = &signed_in.user.principal;
    let now = state.clock.now();
    let detail = state
        .store
        .alert_for(who, id, now)
        .await?
        .ok_or_else(Problem::not_found)?;
    let alert = detail.alert;
    let history = detail.history.iter().map(history_row).collect();
    let evidence: Vec<EvidenceRow> = detail
        .evidence
        .into_iter()
        .map(|e| EvidenceRow {
            date: long_date(e.occurred_on),
            agency: e.agency_name,
            summary: e.summary,
        })
        .collect();
    let register_entries = detail
        .register_entries
        .iter()
        .map(|(register, entry)| register_link(*register, *entry))
        .collect();
    // A withheld rule (see `Alert::withheld`) is not looked up: its words would tell.
    let rule = state
        .rules
        .rule(&alert.rule)
        .filter(|_| alert.withheld == 0);
    let today = now.date();
    let (child, child_detail) = child_words(alert.child.as_ref(), today);
    let status = alert.status.as_str().to_owned();
    let sent = sent.unwrap_or_else(|| Sent {
        errors: Vec::new(),
        action: if status == "open" {
            "acknowledge"
        } else {
            "actioned"
        }
        .to_owned(),
        note: String::new(),
    });
    Ok(AlertPage {
        layout: Layout::new("Alert", Some(signed_in), state).with_error(!sent.errors.is_empty()),
        child,
        child_detail,
        id: alert.id.to_string(),
        person: alert.person.to_string(),
        title: title(state, &alert),
        rule: alert.rule.clone(),
        version: alert.rule_version,
        severity: alert.severity.clone(),
        rationale: rule.map(|r| r.rationale.clone()).unwrap_or_default(),
        source: rule.map(|r| r.source.clone()).unwrap_or_default(),
        because: alert.because.clone(),
        fired_on: long_date(alert.fired_on),
        due_on: long_date(alert.due_on),
        overdue: is_overdue(alert.status, alert.due_on, today),
        open: alert.status.is_open(),
        status,
        note: alert.note.clone(),
        sent_to: role_label(alert.recipient_role),
        escalated_to: alert.escalated_to.map(role_label).unwrap_or_default(),
        hidden: alert.withheld,
        evidence,
        register_entries,
        history,
        errors: sent.errors,
        chosen: sent.action,
        typed_note: sent.note,
        saved: String::new(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "alert_list.html")]
pub(crate) struct ListPage {
    pub layout: Layout,
    pub alerts: Vec<AlertRow>,
    pub child: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListParams {
    child: Option<String>,
}

/// The list: low-severity alerts (`harbour_rules::alerts::is_listed`), kept out of the
/// queue, sorted by child.
pub(crate) async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    axum::extract::Query(params): axum::extract::Query<ListParams>,
) -> Result<ListPage, PageProblem> {
    let child = params.child.unwrap_or_default().trim().to_owned();
    let filter = harbour_store::QueueFilter {
        child: Some(child.clone()).filter(|c| !c.is_empty()),
        list: true,
    };
    let alerts = state
        .store
        .alert_queue(&signed_in.user.principal, &filter, state.clock.now())
        .await?;
    let mut alerts = rows(&state, &alerts);
    alerts.sort_by(|a, b| a.child_key.cmp(&b.child_key));
    Ok(ListPage {
        layout: Layout::new("Your list", Some(&signed_in), &state),
        alerts,
        child,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "alert_closed.html")]
pub(crate) struct ClosedPage {
    pub layout: Layout,
    pub alerts: Vec<AlertRow>,
}

/// The queue's history: its alerts that were actioned or dismissed, most recently closed
/// first, with who closed each and when.
pub(crate) async fn closed(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<ClosedPage, PageProblem> {
    let alerts = state
        .store
        .closed_alerts(&signed_in.user.principal, state.clock.now())
        .await?;
    Ok(ClosedPage {
        layout: Layout::new("Closed alerts", Some(&signed_in), &state),
        alerts: rows(&state, &alerts),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct ActionForm {
    csrf_token: Option<String>,
    action: String,
    #[serde(default)]
    note: String,
}

pub(crate) async fn act(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    let id = parse_id(&id)?;
    let chosen = action(&form.action, form.note.clone())?;
    let saved = chosen.status();
    let outcome = state
        .store
        .act_on_alert(&signed_in.user.principal, id, chosen, state.clock.now())
        .await?;
    match outcome {
        // The page confirms the save (`saved_words`).
        Ok(()) => {
            Ok(Redirect::to(&format!("/alerts/{id}?saved={}", saved.as_str())).into_response())
        }
        // A note too short: the same form again, saying what to write, with what was typed.
        Err(refused @ (AlertRefusal::NoteTooShort | AlertRefusal::ReasonTooShort)) => {
            let sent = Sent {
                errors: vec![note_error(refused)],
                action: form.action,
                note: form.note,
            };
            let page = alert_page(&state, &signed_in, id, Some(sent)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(refusal(other).into()),
    }
}

/// What the note must say, in the words of the action refused.
fn note_error(refused: AlertRefusal) -> FieldError {
    let min = harbour_rules::alerts::MIN_NOTE_CHARS;
    let message = match refused {
        AlertRefusal::ReasonTooShort => {
            format!("Say why this is not a concern, in at least {min} characters")
        }
        _ => format!("Say what was done, in at least {min} characters"),
    };
    FieldError {
        field: "alert-note".to_owned(),
        message,
    }
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
    /// Alerts that rest on events the viewer may not open: counted, never described.
    pub hidden_alerts: usize,
}

/// The replay of a child's timeline. The rules run over everything Harbour holds (as they
/// do live); the store gives only the events the viewer may open and the alerts whose
/// whole evidence is among them, with who would have been told.
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
    let replay = state
        .store
        .replay(who, person, &state.rules, now)
        .await?
        .ok_or_else(Problem::not_found)?;
    let mut days: Vec<ReplayDay> = Vec::new();
    let mut alerts = replay.alerts.iter().peekable();
    for event in &replay.events {
        while let Some(alert) = alerts.next_if(|a| a.on < event.on) {
            if let Some(d) = day(&mut days, alert.on) {
                d.alerts.push(alert_row(alert));
            }
        }
        if let Some(d) = day(&mut days, event.on) {
            d.events.push(EvidenceRow {
                date: long_date(event.on),
                agency: event.agency.clone(),
                summary: event.summary.clone(),
            });
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
        hidden_events: replay.hidden_events,
        hidden_alerts: replay.hidden_alerts,
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
