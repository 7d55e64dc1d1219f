//! The ingest queue's SQL (see `jobs.rs` one level up). Compiled once per backend like
//! `queries.rs`. Every change runs in a write transaction of the jobs' tenant (the gate's), so
//! on SQLite the one writer and on PostgreSQL that tenant's write lock make a claim atomic:
//! two workers never claim the same job (a claim takes only its own tenant's jobs).

use super::Db;
use super::queries::Tx;
use crate::StoreError;
use crate::jobs::JobRow;
use sqlx::Pool;
use time::OffsetDateTime;
use uuid::Uuid;

const COLUMNS: &str = "tenant_code, id, agency_id, feed, file_name, rows_read, accepted, superseded, \
     duplicate, rejected, status, message, attempts, queued_at, started_at, finished_at";

pub(crate) async fn insert(tx: &mut Tx, job: &JobRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ingest_jobs (tenant_code, id, agency_id, feed, file_name, rows_read, accepted, \
         superseded, duplicate, rejected, status, message, attempts, queued_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&job.tenant_code)
    .bind(job.id)
    .bind(job.agency_id)
    .bind(&job.feed)
    .bind(&job.file_name)
    .bind(job.rows_read)
    .bind(job.accepted)
    .bind(job.superseded)
    .bind(job.duplicate)
    .bind(job.rejected)
    .bind(&job.status)
    .bind(&job.message)
    .bind(job.attempts)
    .bind(job.queued_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The tenant whose queued job has waited longest, if any job waits.
pub(crate) async fn longest_waiting_tenant(pool: &Pool<Db>) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT tenant_code FROM ingest_jobs WHERE status = 'queued' ORDER BY queued_at, id LIMIT 1",
    )
    .fetch_optional(pool)
    .await?)
}

/// Marks every queued job of `tenant` running (one more attempt each) and gives them, oldest
/// first.
pub(crate) async fn claim_tenant(
    tx: &mut Tx,
    tenant: &str,
    now: OffsetDateTime,
) -> Result<Vec<JobRow>, StoreError> {
    let mut rows: Vec<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE ingest_jobs SET status = 'running', attempts = attempts + 1, started_at = $2, \
         finished_at = NULL, message = '' \
         WHERE tenant_code = $1 AND status = 'queued' RETURNING {COLUMNS}"
    )))
    .bind(tenant)
    .bind(now)
    .fetch_all(&mut **tx)
    .await?;
    rows.sort_by_key(|r| (r.queued_at, r.id));
    Ok(rows)
}

/// Every job marked running, as (tenant, id).
pub(crate) async fn running(pool: &Pool<Db>) -> Result<Vec<(String, Uuid)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT tenant_code, id FROM ingest_jobs WHERE status = 'running' ORDER BY queued_at, id",
    )
    .fetch_all(pool)
    .await?)
}

/// Puts the running jobs of `tenant` among `ids` back in the queue.
pub(crate) async fn requeue(tx: &mut Tx, tenant: &str, ids: &[Uuid]) -> Result<u64, StoreError> {
    let mut changed = 0;
    for id in ids {
        changed += sqlx::query(
            "UPDATE ingest_jobs SET status = 'queued' \
             WHERE tenant_code = $1 AND id = $2 AND status = 'running'",
        )
        .bind(tenant)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(changed)
}

/// Records how running jobs ended: `status` is `done` or `failed`.
pub(crate) async fn finish(
    tx: &mut Tx,
    tenant: &str,
    ids: &[Uuid],
    status: &str,
    message: &str,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let mut changed = 0;
    for id in ids {
        changed += sqlx::query(
            "UPDATE ingest_jobs SET status = $3, message = $4, finished_at = $5 \
             WHERE tenant_code = $1 AND id = $2 AND status = 'running'",
        )
        .bind(tenant)
        .bind(id)
        .bind(status)
        .bind(message)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(changed)
}

/// One job, only if `agency` of `tenant` sent it.
pub(crate) async fn one(
    pool: &Pool<Db>,
    tenant: &str,
    agency: Uuid,
    id: Uuid,
) -> Result<Option<JobRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ingest_jobs WHERE tenant_code = $1 AND agency_id = $2 AND id = $3"
    )))
    .bind(tenant)
    .bind(agency)
    .bind(id)
    .fetch_optional(pool)
    .await?)
}
