//! My work: one queue of every open task of the signed-in person's queues, from alerts and
//! from the registers (`harbour_store::Store::my_work`), as a page (`pages.rs`, template
//! `templates/work.html`) and as JSON (`api.rs`), with giving a task's record to a colleague.
//! Thin: the store decides what is whose, who may be given what, and audits it.
//!
//! Completing a task is done where its record lives: an alert on its page (actioned or
//! dismissed, with a note), a register task by recording the outcome on the entry
//! (`/registers/exclusions/{id}`, `/children-not-in-school/...`), after which the register's clock is met and the task
//! leaves the queue. Each row links there ([`record_link`]).

mod api;
mod pages;

use crate::nav::{NavEntry, everyone};
use crate::problem::Problem;
use crate::state::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use harbour_store::{AssignRefusal, WorkDay, WorkFilter, Workflow};
use uuid::Uuid;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/work", get(pages::page))
        .route("/work/assign", post(pages::assign))
        .route("/api/v1/tasks", get(api::api_tasks))
        .route("/api/v1/tasks/assign", post(api::api_assign))
}

/// Every member of staff has a queue of their own (it may be empty).
pub(crate) const NAV: NavEntry = NavEntry {
    href: "/work",
    label: "My work",
    shown: everyone,
};

/// The work queue's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::api_tasks, api::api_assign),
    components(schemas(api::TaskBody, api::ColleagueBody, api::AssignBody, api::AssignedBody))
)]
pub(crate) struct WorkApi;

/// What the queue needs for today: the school calendar and alert routing of the rules in
/// use, and the registers' settings (`registers.toml`: their clocks and when an overdue task
/// escalates).
fn work_day(state: &AppState) -> WorkDay<'_> {
    WorkDay {
        today: crate::layout::london(state.clock.now()).0.date(),
        rules: state.rules.as_ref(),
        settings: *state.registers,
    }
}

/// Where a task is completed: the alert's page, or the register entry's.
pub(crate) fn record_link(workflow: Workflow, record: Uuid) -> String {
    match workflow {
        Workflow::Alert => format!("/alerts/{record}"),
        Workflow::Exclusions => format!("/registers/exclusions/{record}"),
        Workflow::HomeEducation => format!("/children-not-in-school/home-education/{record}"),
        Workflow::MissingEducation => {
            format!("/children-not-in-school/missing-education/{record}")
        }
        Workflow::AlternativeProvision => format!("/registers/alternative-provision/{record}"),
    }
}

fn filter(show: Option<&str>) -> Result<WorkFilter, Problem> {
    match show {
        None | Some("") => Ok(WorkFilter::default()),
        Some(code) => WorkFilter::parse(code).ok_or_else(|| {
            Problem::bad_request("show", "show must be one of mine, unassigned or all")
        }),
    }
}

fn workflow(code: &str) -> Result<Workflow, Problem> {
    Workflow::parse(code).ok_or_else(|| {
        Problem::bad_request(
            "workflow",
            format!(
                "{code:?} is not a workflow; use one of {}",
                Workflow::ALL.map(Workflow::as_str).join(", ")
            ),
        )
    })
}

/// A refusal to assign as the user hears it: a task outside their queues is answered as
/// missing; a colleague who may not work it, or a note too long, names the field.
fn refusal(refusal: AssignRefusal) -> Problem {
    match refusal {
        AssignRefusal::NotFound => Problem::not_found(),
        AssignRefusal::NotAllowed => Problem::forbidden(
            "Your role cannot give this task to someone else: only those who work it may.",
        ),
        AssignRefusal::NoteTooLong => Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..Problem::bad_request("note", refusal.to_string())
        },
        AssignRefusal::NoSuchColleague | AssignRefusal::CannotWork { .. } => Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..Problem::bad_request("assignee", refusal.to_string())
        },
    }
}
