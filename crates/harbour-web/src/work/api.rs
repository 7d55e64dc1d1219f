//! The work queue API: the caller's tasks, and giving a task's record to a colleague.

use super::{filter, record_link, refusal, work_day, workflow};
use crate::problem::{ApiProblem, ApiQuery, ErrorBody, Problem};
use crate::session::ApiCaller;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use harbour_domain::UserId;
use harbour_store::{WorkItem, WorkWindow};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// A colleague, as the API names them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ColleagueBody {
    id: Uuid,
    name: String,
}

/// One task of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TaskBody {
    /// alert, exclusions_register, home_education_register or missing_education_register.
    workflow: String,
    /// The workflow's record (the alert, or the register entry): what is assigned.
    record: Uuid,
    person: Uuid,
    /// The child's name, when your role may see it; null otherwise.
    child: Option<String>,
    /// What is to be done.
    what: String,
    /// ISO 8601.
    due: String,
    /// For a task the law counts in school days: school days until due (above nought) or
    /// overdue by (below); null for others.
    school_days_left: Option<i64>,
    overdue: bool,
    escalated: bool,
    owner: Option<ColleagueBody>,
    /// Where the task is completed: the alert's page, or the register entry's; null when
    /// your role may not open it (a register task escalated to you: follow it up with its
    /// owner).
    link: Option<String>,
    /// The colleagues you may give this record to (empty: not yours to give).
    assignable: Vec<ColleagueBody>,
}

fn body(item: WorkItem, names: &HashMap<UserId, String>) -> TaskBody {
    TaskBody {
        workflow: item.workflow.as_str().to_owned(),
        record: item.record,
        person: item.person.0,
        child: item
            .child
            .map(|c| format!("{} {}", c.given_name, c.family_name)),
        what: item.what,
        due: item.due.to_string(),
        school_days_left: item.school_days_left,
        overdue: item.overdue,
        escalated: item.escalated,
        owner: item.owner.map(|o| ColleagueBody {
            id: o.user.0,
            name: o.name,
        }),
        link: item
            .may_open
            .then(|| record_link(item.workflow, item.record)),
        assignable: item
            .assignable
            .iter()
            .filter_map(|u| {
                names.get(u).map(|name| ColleagueBody {
                    id: u.0,
                    name: name.clone(),
                })
            })
            .collect(),
    }
}

/// Which tasks to give.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct TasksParams {
    /// mine (given to you), unassigned (given to nobody yet) or all (the default).
    show: Option<String>,
    /// At most this many tasks (1 to 500; default 100), in the queue's order.
    limit: Option<u32>,
    /// Skip this many tasks first, for the next page (default 0). The `X-Total-Count`
    /// header gives how many there are in all.
    offset: Option<u32>,
}

/// Tasks in one answer unless `limit` says otherwise.
const TASKS_LIMIT: usize = 100;

/// The header giving the queue's total.
const TOTAL_COUNT: &str = "x-total-count";

#[utoipa::path(get, path = "/api/v1/tasks", tag = "work", operation_id = "my_work",
    params(TasksParams),
    responses((status = 200, description = "Your open tasks, from alerts and the registers you keep, overdue first", body = [TaskBody],
            headers(("X-Total-Count" = u64, description = "How many tasks the filter admits in all"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub(crate) async fn api_tasks(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(params): ApiQuery<TasksParams>,
) -> Result<impl IntoResponse, ApiProblem> {
    let show = filter(params.show.as_deref())?;
    let limit = match params.limit {
        None => TASKS_LIMIT,
        Some(n @ 1..=500) => n as usize,
        Some(_) => {
            return Err(Problem::bad_request("limit", "limit must be between 1 and 500").into());
        }
    };
    let window = WorkWindow {
        offset: params.offset.unwrap_or(0) as usize,
        limit,
    };
    let queue = state
        .store
        .my_work(
            &caller.user.principal,
            show,
            window,
            work_day(&state),
            state.clock.now(),
        )
        .await?;
    let total = queue.total;
    let names: HashMap<UserId, String> = queue
        .colleagues
        .into_iter()
        .map(|c| (c.user, c.name))
        .collect();
    let tasks: Vec<TaskBody> = queue.items.into_iter().map(|i| body(i, &names)).collect();
    Ok(([(TOTAL_COUNT, total.to_string())], Json(tasks)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct AssignBody {
    /// alert, exclusions_register, home_education_register or missing_education_register.
    workflow: String,
    /// The record (a task's `record`).
    record: Uuid,
    /// The colleague to give it to (one of the task's `assignable`).
    assignee: Uuid,
    /// Optional words for the colleague, at most 500 characters.
    #[serde(default)]
    note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AssignedBody {
    workflow: String,
    record: Uuid,
    owner: Uuid,
}

#[utoipa::path(post, path = "/api/v1/tasks/assign", tag = "work", operation_id = "assign_task",
    request_body = AssignBody,
    responses((status = 200, description = "The record's owner from now on", body = AssignedBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Your role may not give this task away", body = ErrorBody),
        (status = 404, description = "No such task in your queues", body = ErrorBody),
        (status = 422, description = "That colleague may not work it (the message says why), or the note is too long", body = ErrorBody)))]
pub(crate) async fn api_assign(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(request): Json<AssignBody>,
) -> Result<Json<AssignedBody>, ApiProblem> {
    let workflow = workflow(&request.workflow)?;
    state
        .store
        .assign_task(
            &caller.user.principal,
            workflow,
            request.record,
            UserId(request.assignee),
            &request.note,
            state.clock.now(),
        )
        .await?
        .map_err(refusal)?;
    Ok(Json(AssignedBody {
        workflow: workflow.as_str().to_owned(),
        record: request.record,
        owner: request.assignee,
    }))
}
