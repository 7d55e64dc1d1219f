//! The data-protection officer's pages: who has seen a child's record, when and why; every
//! emergency access, with its review; refused attempts. Only roles the policy names for the
//! audit review see them, and every look is itself audited.
//!
//! Templates: `templates/audit_*.html`.

use crate::layout::{FieldError, Layout, date_time};
use crate::nav::NavEntry;
use crate::pagination::{Pagination, page_number, thousands};
use crate::problem::{PageProblem, Problem};
use crate::session::{SignedIn, check_form_token};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use harbour_domain::PersonId;
use harbour_policy::Function;
use harbour_store::SearchQuery;
use serde::Deserialize;
use uuid::Uuid;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(home))
        .route("/audit/people/{id}", get(person))
        .route("/audit/emergency-access", get(grants))
        .route("/audit/emergency-access/{id}/review", post(review))
        .route("/audit/refused", get(refused))
}

pub(crate) const NAV: NavEntry = NavEntry {
    href: "/audit",
    label: "Audit",
    shown: |policy, who| policy.allows_function(who, Function::AuditReview),
};

/// The review outcomes a data-protection officer can record.
const REVIEW_OUTCOMES: &[(&str, &str)] = &[
    ("justified", "Justified"),
    (
        "not_justified",
        "Not justified: follow up with the user and their manager",
    ),
    ("referred", "Referred for investigation"),
];

fn not_allowed() -> Problem {
    Problem::forbidden("Only the data-protection officer can review the audit.")
}

/// A request refused before it reached the store (a bad id, a form not filled in): for a
/// role that may not review the audit at all that is a refusal of the review, audited and
/// answered as such; for the data-protection officer it is `problem`.
async fn refused_before_the_store(
    state: &AppState,
    signed_in: &SignedIn,
    problem: Problem,
) -> PageProblem {
    match state
        .store
        .open_audit_review(&signed_in.user.principal, state.clock.now())
        .await
    {
        Ok(true) => problem.into(),
        Ok(false) => not_allowed().into(),
        Err(error) => error.into(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "audit_home.html")]
pub(crate) struct AuditHomePage {
    pub layout: Layout,
    pub errors: Vec<FieldError>,
    pub identifier: String,
}

/// One audit entry on a page.
pub(crate) struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub who: String,
    pub agency: String,
    pub action: String,
    pub purpose: String,
    pub outcome: String,
    pub emergency: bool,
    pub detail: String,
}

impl From<harbour_store::AuditLine> for AuditRow {
    fn from(line: harbour_store::AuditLine) -> Self {
        Self {
            seq: line.seq,
            at: date_time(line.at),
            who: line
                .user_name
                .unwrap_or_else(|| "Harbour (system or command line)".into()),
            agency: line.agency_name.unwrap_or_default(),
            emergency: line.action.contains("emergency") || line.action == "break_glass",
            action: action_words(&line.action),
            purpose: line.purpose,
            outcome: line.outcome,
            detail: readable_detail(&line.detail),
        }
    }
}

/// The audit action codes the store writes, in plain words for the audit pages: a closed
/// list, so a new code is shown as it is until it is given its words here.
const ACTION_WORDS: &[(&str, &str)] = &[
    ("act_on_alert", "Acted on an alert"),
    ("audit_review", "Opened the audit review"),
    ("break_glass", "Used emergency access"),
    ("create_agency", "Added an agency"),
    ("create_api_token", "Issued an API token"),
    ("create_tenant", "Added a local authority"),
    ("create_user", "Added a member of staff"),
    ("disable_user", "Disabled a member of staff"),
    ("enable_user", "Enabled a member of staff"),
    ("evaluate_rules", "Checked the rules"),
    ("export_quarantine", "Downloaded refused rows"),
    ("feed_submission", "Received a feed submission"),
    ("find_persons", "Looked up a child by identifier"),
    ("identity_change", "Changed who is the same child"),
    ("identity_history", "Viewed identity decisions"),
    ("identity_review", "Viewed the same-child review"),
    ("import_feed", "Imported a feed"),
    ("link_records", "Linked records"),
    ("load_records", "Loaded records for linking"),
    ("quarantine_review", "Viewed refused rows"),
    ("read_linkage", "Read linkage"),
    ("read_timelines", "Read timelines for the rules"),
    ("remove_second_factor", "Removed a second factor"),
    ("replay_rules", "Replayed the rules for a child"),
    ("review_break_glass", "Reviewed an emergency access"),
    ("revoke_api_token", "Revoked an API token"),
    ("run_rules", "Ran the rules"),
    ("search_persons", "Searched for a child"),
    ("set_password", "Set a password"),
    ("set_second_factor", "Set up a second factor"),
    ("sign_in", "Signed in"),
    ("sign_in_failed", "Failed to sign in"),
    ("sign_in_refused", "Sign-in refused"),
    ("sign_in_throttled", "Sign-in held back after failures"),
    ("sign_out", "Signed out"),
    ("view_alert", "Viewed an alert"),
    ("view_alert_queue", "Viewed the alert queue"),
    ("view_alerts_of_person", "Viewed a child's alerts"),
    ("view_person", "Viewed a child's record"),
    (
        "view_person_emergency",
        "Viewed a child's record under emergency access",
    ),
];

/// An entry's detail (JSON in the store) as one short line: "by: name; results: 3". Text
/// that is not a JSON object is shown as it is.
pub(crate) fn readable_detail(detail: &str) -> String {
    fn value(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::String(s) => s.replace('_', " "),
            serde_json::Value::Array(items) => {
                items.iter().map(value).collect::<Vec<_>>().join(", ")
            }
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| format!("{} {}", k.replace('_', " "), value(v)))
                .collect::<Vec<_>>()
                .join(", "),
            serde_json::Value::Null => "none".into(),
            other => other.to_string(),
        }
    }
    match serde_json::from_str::<serde_json::Value>(detail) {
        Ok(serde_json::Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{}: {}", k.replace('_', " "), value(v)))
            .collect::<Vec<_>>()
            .join("; "),
        _ => detail.to_owned(),
    }
}

/// The audit action code in plain words; a code not in [`ACTION_WORDS`] as it is.
pub(crate) fn action_words(code: &str) -> String {
    ACTION_WORDS
        .iter()
        .find(|(known, _)| *known == code)
        .map_or(code, |(_, words)| words)
        .to_owned()
}

#[derive(Template, WebTemplate)]
#[template(path = "audit_person.html")]
pub(crate) struct AuditPersonPage {
    pub layout: Layout,
    pub person: String,
    /// The child's name, for the reviewer (the store audits that it was shown).
    pub name: String,
    pub rows: Vec<AuditRow>,
    /// How many entries there are in all, and the links to the other pages.
    pub total: String,
    pub pagination: Pagination,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit_refused.html")]
pub(crate) struct AuditRefusedPage {
    pub layout: Layout,
    pub rows: Vec<AuditRow>,
    pub total: String,
    pub pagination: Pagination,
}

/// Audit entries on one page.
const AUDIT_PAGE_SIZE: usize = 50;

#[derive(Debug, Deserialize)]
pub(crate) struct PageParams {
    page: Option<String>,
}

/// The page asked for (the first if none), or the refusal of a page number that is not one.
fn audit_page(params: &PageParams) -> Result<(usize, harbour_store::AuditPage), Problem> {
    let number = page_number(params.page.as_deref())?;
    let page = harbour_store::AuditPage {
        offset: (number - 1).saturating_mul(AUDIT_PAGE_SIZE),
        limit: AUDIT_PAGE_SIZE,
    };
    Ok((number, page))
}

/// The pagination of an audit list at `path`.
fn audit_pagination(path: &str, current: usize, total: u64) -> Pagination {
    Pagination::new(
        "Audit pages",
        current,
        usize::try_from(total).unwrap_or(usize::MAX),
        AUDIT_PAGE_SIZE,
        |number| format!("{path}?page={number}"),
    )
}

/// One emergency-access grant on the review page.
pub(crate) struct GrantRow {
    pub id: String,
    pub person: String,
    pub who: String,
    pub agency: String,
    pub reason: String,
    pub granted: String,
    pub until: String,
    pub live: bool,
    pub review: Option<String>,
}

impl GrantRow {
    pub fn new(grant: harbour_store::BreakGlassGrant, now: time::OffsetDateTime) -> Self {
        let review = grant.reviewed_at.map(|at| {
            let outcome = grant.review_outcome.as_deref().unwrap_or("");
            let label = REVIEW_OUTCOMES
                .iter()
                .find(|(code, _)| *code == outcome)
                .map_or(outcome, |(_, label)| label);
            let note = grant
                .review_note
                .as_deref()
                .filter(|n| !n.is_empty())
                .map(|n| format!(" Note: {n}"))
                .unwrap_or_default();
            format!(
                "{label}, by {} on {}.{note}",
                grant.reviewer_name.as_deref().unwrap_or("?"),
                date_time(at)
            )
        });
        Self {
            id: grant.id.to_string(),
            person: grant.person.to_string(),
            who: grant.user_name,
            agency: grant.agency_name,
            reason: grant.reason,
            granted: date_time(grant.granted_at),
            until: date_time(grant.expires_at),
            live: grant.expires_at > now,
            review,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "audit_grants.html")]
pub(crate) struct AuditGrantsPage {
    pub layout: Layout,
    pub waiting: usize,
    pub rows: Vec<GrantRow>,
    pub outcomes: &'static [(&'static str, &'static str)],
}

#[derive(Debug, Deserialize)]
pub(crate) struct FindParams {
    identifier: Option<String>,
}

async fn home(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<FindParams>,
) -> Result<Response, PageProblem> {
    let who = &signed_in.user.principal;
    let layout = Layout::new("Audit", Some(&signed_in), &state);
    let text = params.identifier.map(|t| t.trim().to_owned());
    let query = text
        .as_deref()
        .and_then(|text| match SearchQuery::parse(text) {
            Ok(query @ (SearchQuery::Upn(_) | SearchQuery::NhsNumber(_))) => Some(query),
            _ => None,
        });
    // A search goes through the audited finder below; anything else opens the review first,
    // so that a refusal is audited either way.
    if query.is_none()
        && !state
            .store
            .open_audit_review(who, state.clock.now())
            .await?
    {
        return Err(not_allowed().into());
    }
    let Some(text) = text else {
        return Ok(AuditHomePage {
            layout,
            errors: vec![],
            identifier: String::new(),
        }
        .into_response());
    };
    let error = |message: &str| FieldError {
        field: "identifier".into(),
        message: message.into(),
    };
    let query = match query {
        Some(query) => query,
        None => {
            let page = AuditHomePage {
                layout: layout.with_error(true),
                errors: vec![error(
                    "Enter a UPN (13 characters) or an NHS number (10 digits)",
                )],
                identifier: text,
            };
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let found = state
        .store
        .audit_find_person(who, &query, state.clock.now())
        .await?
        .ok_or_else(not_allowed)?;
    match found.as_slice() {
        [person] => Ok(Redirect::to(&format!("/audit/people/{person}")).into_response()),
        _ => {
            let page = AuditHomePage {
                layout: layout.with_error(true),
                errors: vec![error("No child has that UPN or NHS number")],
                identifier: text,
            };
            Ok((StatusCode::NOT_FOUND, page).into_response())
        }
    }
}

async fn person(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<AuditPersonPage, PageProblem> {
    let Ok(person) = id.parse::<PersonId>() else {
        let problem = Problem::bad_request("id", "The person id in this address is not valid.");
        return Err(refused_before_the_store(&state, &signed_in, problem).await);
    };
    let (number, page) = match audit_page(&params) {
        Ok(page) => page,
        Err(problem) => return Err(refused_before_the_store(&state, &signed_in, problem).await),
    };
    let audit = state
        .store
        .audit_for_person(&signed_in.user.principal, person, page, state.clock.now())
        .await?
        .ok_or_else(not_allowed)?;
    let path = format!("/audit/people/{person}");
    Ok(AuditPersonPage {
        layout: Layout::new("Who has seen this record", Some(&signed_in), &state),
        person: person.to_string(),
        name: audit
            .name
            .unwrap_or_else(|| "A child with no record".into()),
        total: thousands(audit.lines.total),
        pagination: audit_pagination(&path, number, audit.lines.total),
        rows: audit.lines.lines.into_iter().map(AuditRow::from).collect(),
    })
}

async fn grants(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<AuditGrantsPage, PageProblem> {
    let grants = state
        .store
        .break_glass_grants(&signed_in.user.principal, state.clock.now())
        .await?
        .ok_or_else(not_allowed)?;
    let now = state.clock.now();
    Ok(AuditGrantsPage {
        layout: Layout::new("Emergency access reviews", Some(&signed_in), &state),
        waiting: grants.iter().filter(|g| g.reviewed_at.is_none()).count(),
        rows: grants.into_iter().map(|g| GrantRow::new(g, now)).collect(),
        outcomes: REVIEW_OUTCOMES,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReviewForm {
    csrf_token: Option<String>,
    outcome: Option<String>,
    note: Option<String>,
}

async fn review(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    let outcome = form.outcome.unwrap_or_default();
    let note = form.note.unwrap_or_default();
    let grant = id.parse::<Uuid>();
    let problem = match &grant {
        Err(_) => Some(Problem::bad_request(
            "id",
            "The grant id in this address is not valid.",
        )),
        Ok(_) if !REVIEW_OUTCOMES.iter().any(|(code, _)| *code == outcome) => {
            Some(Problem::bad_request("outcome", "Choose a review outcome"))
        }
        Ok(_) if note.chars().count() > 2000 => Some(Problem::bad_request(
            "note",
            "Keep the note to 2,000 characters or fewer",
        )),
        Ok(_) => None,
    };
    let (Ok(grant), None) = (grant, problem.clone()) else {
        let problem = problem.unwrap_or_else(Problem::internal);
        return Err(refused_before_the_store(&state, &signed_in, problem).await);
    };
    let done = state
        .store
        .review_break_glass(
            &signed_in.user.principal,
            grant,
            &outcome,
            note.trim(),
            state.clock.now(),
        )
        .await?
        .ok_or_else(not_allowed)?;
    if !done {
        return Err(Problem::not_found().into());
    }
    Ok(Redirect::to("/audit/emergency-access").into_response())
}

async fn refused(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<PageParams>,
) -> Result<AuditRefusedPage, PageProblem> {
    let (number, page) = match audit_page(&params) {
        Ok(page) => page,
        Err(problem) => return Err(refused_before_the_store(&state, &signed_in, problem).await),
    };
    let lines = state
        .store
        .denied_attempts(&signed_in.user.principal, page, state.clock.now())
        .await?
        .ok_or_else(not_allowed)?;
    Ok(AuditRefusedPage {
        layout: Layout::new("Refused attempts", Some(&signed_in), &state),
        total: thousands(lines.total),
        pagination: audit_pagination("/audit/refused", number, lines.total),
        rows: lines.lines.into_iter().map(AuditRow::from).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_as_plain_words() {
        assert_eq!(action_words("view_person"), "Viewed a child's record");
        assert_eq!(action_words("search_persons"), "Searched for a child");
        assert_eq!(action_words("break_glass"), "Used emergency access");
        // A code the list does not know is shown as it is.
        assert_eq!(action_words("brand_new_thing"), "brand_new_thing");
    }

    #[test]
    fn details_read_as_a_short_line_not_json() {
        assert_eq!(
            readable_detail(r#"{"by":"name","results":3,"kinds":["school_roll","missing"]}"#),
            "by: name; kinds: school roll, missing; results: 3"
        );
        assert_eq!(readable_detail(""), "");
        assert_eq!(readable_detail("plain words"), "plain words");
    }
}
