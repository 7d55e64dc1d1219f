//! The "My work" page: the queue as a table, its filter, and the form on each row that gives
//! the task's record to a colleague.

use super::{filter, record_link, refusal, work_day, workflow};
use crate::layout::{FieldError, Layout, long_date};
use crate::pagination::{Pagination, page_number, thousands};
use crate::problem::{PageProblem, Problem};
use crate::session::{SignedIn, check_form_token};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::UserId;
use harbour_store::{
    AssignRefusal, Colleague, WorkFilter, WorkItem, WorkQueue, WorkWindow, Workflow,
};
use serde::Deserialize;
use uuid::Uuid;

/// A colleague the row's task may be given to.
pub(crate) struct Choice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// One task of the queue, ready to show.
pub(crate) struct WorkRow {
    pub what: String,
    /// Where the task is completed (the alert, or the register entry); empty when the
    /// reader may not open it (a register task escalated to them).
    pub link: String,
    /// Which workflow it comes from ("Alert", "Permanent exclusions register").
    pub source: &'static str,
    /// The child's name, or words saying the reader's role does not show it.
    pub child: String,
    /// The child's page, when the name is shown.
    pub child_link: String,
    pub due: String,
    /// "in 3 school days", "4 school days overdue", "due today": for tasks the law counts
    /// in school days.
    pub due_words: String,
    pub overdue: bool,
    pub escalated: bool,
    pub owner: String,
    pub workflow: &'static str,
    pub record: String,
    pub choices: Vec<Choice>,
}

fn source(workflow: Workflow) -> &'static str {
    match workflow {
        Workflow::Alert => "Alert",
        Workflow::Exclusions => "Permanent exclusions register",
        Workflow::HomeEducation => "Elective home education",
        Workflow::MissingEducation => "Children missing education",
        Workflow::AlternativeProvision => "Alternative provision",
    }
}

/// "in 3 school days", "1 school day overdue", "due today".
pub(crate) fn school_days_words(left: i64) -> String {
    let days = |n: i64| {
        if n == 1 {
            "1 school day".to_owned()
        } else {
            format!("{n} school days")
        }
    };
    match left {
        0 => "due today".to_owned(),
        n if n > 0 => format!("in {}", days(n)),
        n => format!("{} overdue", days(-n)),
    }
}

fn row(item: WorkItem, colleagues: &[Colleague]) -> WorkRow {
    let owner = item.owner.as_ref().map(|o| o.user);
    let choices = colleagues
        .iter()
        .filter(|c| item.assignable.contains(&c.user))
        .map(|c| Choice {
            id: c.user.0.to_string(),
            name: c.name.clone(),
            selected: Some(c.user) == owner,
        })
        .collect();
    let (child, child_link) = match &item.child {
        Some(c) => (
            format!("{} {}", c.given_name, c.family_name),
            format!("/people/{}", item.person),
        ),
        None => ("Not shown to your role".to_owned(), String::new()),
    };
    WorkRow {
        link: if item.may_open {
            record_link(item.workflow, item.record)
        } else {
            String::new()
        },
        source: source(item.workflow),
        what: item.what,
        child,
        child_link,
        due: long_date(item.due),
        due_words: item
            .school_days_left
            .map(school_days_words)
            .unwrap_or_default(),
        overdue: item.overdue,
        escalated: item.escalated,
        owner: item.owner.map(|o| o.name).unwrap_or_default(),
        workflow: item.workflow.as_str(),
        record: item.record.to_string(),
        choices,
    }
}

pub(crate) fn rows(queue: WorkQueue) -> Vec<WorkRow> {
    let colleagues = queue.colleagues;
    queue
        .items
        .into_iter()
        .map(|item| row(item, &colleagues))
        .collect()
}

/// Tasks on one page of "My work": enough to plan a day from, few enough to read (and to
/// serve quickly from a queue of thousands).
const PAGE_SIZE: usize = 50;

#[derive(Template, WebTemplate)]
#[template(path = "work.html")]
pub(crate) struct WorkPage {
    pub layout: Layout,
    pub rows: Vec<WorkRow>,
    /// The filter shown: mine, unassigned or all.
    pub show: &'static str,
    /// The page shown, from 1.
    pub page: usize,
    /// Every task the filter admits, on this page and the others ("1,234").
    pub total: String,
    pub overdue: String,
    /// Which tasks this page shows ("1 to 50"), when there is more than one page.
    pub showing: String,
    pub pagination: Pagination,
    /// School days an overdue register task waits before it escalates (`registers.toml`).
    pub escalate_after: u32,
    pub errors: Vec<FieldError>,
    /// The confirmation after an assignment, or empty.
    pub saved: &'static str,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageParams {
    show: Option<String>,
    page: Option<String>,
    /// Set after an assignment, so the page can confirm it (never echoed).
    assigned: Option<String>,
}

async fn work_page(
    state: &AppState,
    signed_in: &SignedIn,
    show: WorkFilter,
    page: usize,
    errors: Vec<FieldError>,
) -> Result<WorkPage, PageProblem> {
    let queue = state
        .store
        .my_work(
            &signed_in.user.principal,
            show,
            WorkWindow::page(page, PAGE_SIZE),
            work_day(state),
            state.clock.now(),
        )
        .await?;
    let (total, overdue, first) = (queue.total, queue.overdue, queue.offset + 1);
    let rows = rows(queue);
    let showing = if total > PAGE_SIZE && !rows.is_empty() {
        format!(
            "{} to {}",
            thousands(first as u64),
            thousands((first + rows.len() - 1) as u64)
        )
    } else {
        String::new()
    };
    Ok(WorkPage {
        layout: Layout::new("My work", Some(signed_in), state).with_error(!errors.is_empty()),
        total: thousands(total as u64),
        overdue: if overdue > 0 {
            thousands(overdue as u64)
        } else {
            String::new()
        },
        showing,
        pagination: Pagination::new("Pages of tasks", page, total, PAGE_SIZE, |number| {
            format!("/work?show={}&page={number}", show.as_str())
        }),
        escalate_after: state.registers.escalation.after_school_days,
        rows,
        show: show.as_str(),
        page,
        errors,
        saved: "",
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<PageParams>,
) -> Result<WorkPage, PageProblem> {
    let show = filter(params.show.as_deref())?;
    let number = page_number(params.page.as_deref())?;
    let mut page = work_page(&state, &signed_in, show, number, Vec::new()).await?;
    if params.assigned.is_some() {
        page.saved = "Task assigned";
    }
    Ok(page)
}

#[derive(Debug, Deserialize)]
pub(crate) struct AssignForm {
    csrf_token: Option<String>,
    workflow: String,
    record: String,
    assignee: String,
    #[serde(default)]
    note: String,
    show: Option<String>,
    /// The page of the queue the form was on, to come back to.
    page: Option<String>,
}

pub(crate) async fn assign(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<AssignForm>,
) -> Result<Response, PageProblem> {
    check_form_token(&signed_in, form.csrf_token.as_deref())?;
    let show = filter(form.show.as_deref())?;
    let number = page_number(form.page.as_deref())?;
    let workflow = workflow(&form.workflow)?;
    let record: Uuid = form
        .record
        .parse()
        .map_err(|_| Problem::bad_request("record", "This task's address is not valid."))?;
    let assignee = form
        .assignee
        .parse::<Uuid>()
        .map(UserId)
        .map_err(|_| Problem::bad_request("assignee", "Choose a colleague to give it to."))?;
    let outcome = state
        .store
        .assign_task(
            &signed_in.user.principal,
            workflow,
            record,
            assignee,
            &form.note,
            state.clock.now(),
        )
        .await?;
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/work?show={}&page={number}&assigned=1",
            show.as_str()
        ))
        .into_response()),
        // A colleague who may not work it: the queue again, saying why.
        Err(
            refused @ (AssignRefusal::CannotWork { .. }
            | AssignRefusal::NoSuchColleague
            | AssignRefusal::NoteTooLong),
        ) => {
            let errors = vec![FieldError {
                field: "work-tasks".to_owned(),
                message: refused.to_string(),
            }];
            let page = work_page(&state, &signed_in, show, number, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(refusal(other).into()),
    }
}
