//! Agency systems authenticate with an API token (`Authorization: Bearer hbt_…`). A token
//! belongs to one agency and may only submit feeds: it opens no page and no other API call.

use crate::problem::{ApiProblem, ErrorBody, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::FromRequestParts;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use harbour_auth::token;
use harbour_domain::IngestJobId;
use harbour_domain::feeds::Feed;
use harbour_store::{ApiToken, JobStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The agency system behind a request, from its bearer token.
#[derive(Debug, Clone)]
pub(crate) struct AgencySystem(pub ApiToken);

impl FromRequestParts<AppState> for AgencySystem {
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthenticated = || {
            ApiProblem(Problem {
                message: "Send the agency's API token as 'Authorization: Bearer hbt_…'.".into(),
                ..Problem::unauthenticated()
            })
        };
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token)
            .filter(|t| token::looks_like_api_token(t))
            .ok_or_else(unauthenticated)?;
        let found = state
            .store
            .api_token(&token::hash_token("api", presented))
            .await?;
        match found {
            Some(token) if token.scope == "feed_submission" => Ok(Self(token)),
            _ => Err(unauthenticated()),
        }
    }
}

/// The token of an `Authorization: Bearer …` value. The scheme name is case-insensitive
/// (RFC 7235 section 2.1; RFC 6750 section 2.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenCheckBody {
    /// The agency the token belongs to.
    agency: String,
    /// What the token may do: `feed_submission`.
    scope: String,
    /// The label given when the token was made.
    label: String,
}

/// Checks an agency API token: answers with the agency it belongs to, so an agency's IT team
/// can test its connection before sending feeds.
#[utoipa::path(get, path = "/api/v1/feeds/token", tag = "feeds",
    security(("agency_token" = [])),
    responses((status = 200, body = TokenCheckBody), (status = 401, body = ErrorBody)))]
pub(crate) async fn check_token(AgencySystem(token): AgencySystem) -> Json<TokenCheckBody> {
    Json(TokenCheckBody {
        agency: token.agency_name,
        scope: token.scope,
        label: token.label,
    })
}

/// The most rows one submission may carry; send more in several.
pub(crate) const MAX_ROWS: usize = 5_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedSubmission {
    /// The rows, each an object of column name to value, with the same columns as the
    /// feed's CSV layout (see docs/feeds.md). At most 5,000 rows.
    #[schema(value_type = Vec<std::collections::BTreeMap<String, String>>)]
    rows: Vec<harbour_import::row::Fields>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Rejection {
    /// The row's position in `rows`, counting from 1.
    row: u64,
    field: String,
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeedReport {
    /// The job that links the stored rows and runs the rules over them, in the background:
    /// follow it at `/api/v1/feeds/jobs/{job}`.
    job: String,
    read: u64,
    accepted: u64,
    superseded: u64,
    duplicate: u64,
    rejected: u64,
    /// Why each rejected row was refused; it is also kept in the quarantine.
    rejections: Vec<Rejection>,
}

/// Submits feed rows, as the CSV feed would, from an agency's system. Valid rows are stored
/// in one transaction; invalid ones are quarantined with their reason and listed in the
/// answer. Sending the same rows again changes nothing. The answer comes as soon as the rows
/// are stored and a job is queued for the rest (linking the new records to the people already
/// known, then the rules): `202 Accepted` with the job's id, to follow at
/// `GET /api/v1/feeds/jobs/{job}`.
#[utoipa::path(post, path = "/api/v1/feeds/{feed}", tag = "feeds",
    security(("agency_token" = [])),
    params(("feed" = String, Path, description = "school_roll, school_attendance, school_exclusions, la_education, police, social_care, health or youth_justice")),
    request_body = FeedSubmission,
    responses(
        (status = 202, description = "Stored; linking and rules queued as `job`", body = FeedReport),
        (status = 400, description = "Unknown feed, bad JSON or too many rows", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The token's agency does not send this feed", body = ErrorBody)))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    AgencySystem(token): AgencySystem,
    Path(feed): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<FeedReport>), ApiProblem> {
    let feed: Feed = feed
        .parse()
        .map_err(|e: harbour_domain::UnknownCode| Problem::bad_request("feed", e.to_string()))?;
    if feed.is_xml() {
        return Err(Problem::bad_request(
            "feed",
            "the Common Transfer File is XML: send it as a file, not as JSON rows",
        )
        .into());
    }
    let agency = state
        .store
        .list_agencies(&token.tenant)
        .await?
        .into_iter()
        .find(|a| a.id == token.agency)
        .ok_or_else(Problem::not_found)?;
    if agency.kind != feed.agency_kind() {
        return Err(Problem::forbidden(format!(
            "the {feed} feed comes from a {} agency",
            feed.agency_kind().label()
        ))
        .into());
    }
    let submission: FeedSubmission = serde_json::from_slice(&body).map_err(|e| {
        Problem::bad_request("rows", format!("the body is not a feed submission: {e}"))
    })?;
    if submission.rows.len() > MAX_ROWS {
        return Err(Problem::bad_request(
            "rows",
            format!("send at most {MAX_ROWS} rows at a time"),
        )
        .into());
    }
    let now = state.clock.now();
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    for (index, fields) in submission.rows.iter().enumerate() {
        match harbour_import::parse_fields(feed, fields, index as u64 + 1, now.date()) {
            Ok(row) => rows.push(row),
            Err(q) => rejected.push(*q),
        }
    }
    let file_name = format!("api {}", now.date());
    // Stored and queued here; the worker links the new records to the people already known
    // (through their blocking keys, so the work is in proportion to the submission, not the
    // county) and runs the rules over the timelines that changed, so alerts are raised as the
    // events arrive rather than at the next scheduled run.
    let (job, counts) = state
        .ingest
        .import_rows(
            &token.tenant,
            token.agency,
            feed,
            &file_name,
            &rows,
            &rejected,
        )
        .await
        .map_err(ingest_problem)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(FeedReport {
            job: job.to_string(),
            read: counts.read,
            accepted: counts.accepted,
            superseded: counts.superseded,
            duplicate: counts.duplicate,
            rejected: counts.rejected,
            rejections: rejected
                .into_iter()
                .map(|q| Rejection {
                    row: q.line,
                    field: q.field,
                    reason: q.reason,
                })
                .collect(),
        }),
    ))
}

/// Ingest failures are logged in full and answered only as "something went wrong".
fn ingest_problem(error: harbour_ingest::IngestError) -> ApiProblem {
    match error {
        harbour_ingest::IngestError::Store(error) => Problem::from(error).into(),
        other => {
            tracing::error!(error = %other, "ingest error");
            Problem::internal().into()
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobBody {
    job: String,
    /// The feed the rows came in.
    feed: String,
    /// `queued` (stored, waiting), `running` (linking and rules under way), `done` or
    /// `failed`.
    status: String,
    /// Why the job failed, in plain words; absent otherwise. Harbour's operators have the
    /// details.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// How many times a worker has taken the job up (more than once after a restart).
    attempts: u32,
    /// What storing the rows did.
    read: u64,
    accepted: u64,
    superseded: u64,
    duplicate: u64,
    rejected: u64,
    #[serde(with = "time::serde::rfc3339")]
    queued_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    started_at: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    finished_at: Option<time::OffsetDateTime>,
}

/// A feed submission's job: whether the linking and rules for its rows have run. Only the
/// agency that sent the rows sees it; for any other token the job does not exist (404).
#[utoipa::path(get, path = "/api/v1/feeds/jobs/{job}", tag = "feeds",
    security(("agency_token" = [])),
    params(("job" = String, Path, description = "The job id a submission was answered with")),
    responses(
        (status = 200, body = JobBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such job for this agency", body = ErrorBody)))]
pub(crate) async fn job_status(
    State(state): State<AppState>,
    AgencySystem(token): AgencySystem,
    Path(job): Path<String>,
) -> Result<Json<JobBody>, ApiProblem> {
    let id: IngestJobId = job.parse().map_err(|_| Problem::not_found())?;
    let job = state
        .store
        .ingest_job(&token.tenant, token.agency, id)
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(Json(JobBody {
        job: job.id.to_string(),
        feed: job.feed,
        status: job.status.as_str().to_owned(),
        message: (job.status == JobStatus::Failed).then(|| {
            "Linking or the rules failed for these rows; Harbour's operators have been told. The rows themselves are stored.".to_owned()
        }),
        attempts: job.attempts,
        read: job.counts.read,
        accepted: job.counts.accepted,
        superseded: job.counts.superseded,
        duplicate: job.counts.duplicate,
        rejected: job.counts.rejected,
        queued_at: job.queued_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
    }))
}

/// A feed submission carries up to 5,000 rows.
const FEED_BODY_LIMIT: usize = 8 * 1024 * 1024;

// Written with full paths and appended, so the feed handler's rewrite merges cleanly.
/// The feeds part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(check_token, submit, job_status),
    components(schemas(TokenCheckBody, FeedSubmission, FeedReport, Rejection, JobBody))
)]
pub(crate) struct FeedsApi;

pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/feeds/token", get(check_token))
        .route("/api/v1/feeds/jobs/{job}", get(job_status))
        .route(
            "/api/v1/feeds/{feed}",
            post(submit).layer(axum::extract::DefaultBodyLimit::max(FEED_BODY_LIMIT)),
        )
}
