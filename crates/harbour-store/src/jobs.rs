//! The ingest queue: once a feed's rows are stored, a job records that the linking, the
//! workflow reactions and the rules are still to run over them (`harbour-ingest` runs them).
//!
//! A worker claims every queued job of one tenant at once (the work is the tenant's, not one
//! file's: linking takes every record not yet linked, the rules every timeline changed since
//! their last run), runs it, and records the outcome on each job. A job found `running` when a
//! worker starts was left so by a process that stopped part-way; it is queued again, which is
//! safe because running the work twice changes nothing the second time.
//!
//! Jobs hold ids, a file name and counts: no names or row content. Every change is audited in
//! its own transaction.

use crate::StoreError;
use crate::gate::Work;
use crate::store::Store;
use harbour_domain::{AgencyId, IngestJobId, TenantCode};
use harbour_import::ImportCounts;
use time::OffsetDateTime;

/// Where a job has got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Stored and waiting for a worker.
    Queued,
    /// A worker is linking and running the rules.
    Running,
    Done,
    /// The work failed; the job's message says why (for operators).
    Failed,
}

impl JobStatus {
    /// The stable code stored and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    fn parse(code: &str) -> Result<Self, StoreError> {
        match code {
            "queued" => Ok(Self::Queued),
            "running" => Ok(Self::Running),
            "done" => Ok(Self::Done),
            "failed" => Ok(Self::Failed),
            other => Err(StoreError::corrupt(format!("ingest job status {other:?}"))),
        }
    }
}

/// A job to queue: what was stored, from whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIngestJob {
    pub id: IngestJobId,
    pub tenant: TenantCode,
    pub agency: AgencyId,
    /// The feed's code (`police`, `school_roll`…).
    pub feed: String,
    /// The file's name, or `api <date>` for a submission through the API.
    pub file_name: String,
    /// What storing the rows did.
    pub counts: ImportCounts,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestJob {
    pub id: IngestJobId,
    pub tenant: TenantCode,
    pub agency: AgencyId,
    pub feed: String,
    pub file_name: String,
    pub counts: ImportCounts,
    pub status: JobStatus,
    /// Why the job failed ('' unless it did). For operators: it may name internals.
    pub message: String,
    /// How many times a worker has claimed it.
    pub attempts: u32,
    pub queued_at: OffsetDateTime,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
}

/// One row of `ingest_jobs`, as stored (decoded alike from either backend).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct JobRow {
    pub tenant_code: String,
    pub id: uuid::Uuid,
    pub agency_id: uuid::Uuid,
    pub feed: String,
    pub file_name: String,
    pub rows_read: i64,
    pub accepted: i64,
    pub superseded: i64,
    pub duplicate: i64,
    pub rejected: i64,
    pub status: String,
    pub message: String,
    pub attempts: i64,
    pub queued_at: OffsetDateTime,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
}

/// The longest message kept for a failed job.
const MAX_MESSAGE: usize = 500;

fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn uncount(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl TryFrom<JobRow> for IngestJob {
    type Error = StoreError;

    fn try_from(row: JobRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: IngestJobId(row.id),
            tenant: TenantCode::parse(&row.tenant_code).map_err(StoreError::corrupt)?,
            agency: AgencyId(row.agency_id),
            feed: row.feed,
            file_name: row.file_name,
            counts: ImportCounts {
                read: uncount(row.rows_read),
                accepted: uncount(row.accepted),
                superseded: uncount(row.superseded),
                duplicate: uncount(row.duplicate),
                rejected: uncount(row.rejected),
            },
            status: JobStatus::parse(&row.status)?,
            message: row.message,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            queued_at: row.queued_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
        })
    }
}

/// Every job change is the same work, named by its action.
fn work(action: &'static str) -> Work {
    Work::new(action, "link and check newly stored feed rows")
}

impl Store {
    /// Queues the linking and rules for rows just stored. One audit entry.
    pub async fn queue_ingest_job(
        &self,
        job: &NewIngestJob,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let detail = serde_json::json!({ "job": job.id, "feed": job.feed, "counts": job.counts })
            .to_string();
        let row = JobRow {
            tenant_code: job.tenant.as_str().to_owned(),
            id: job.id.0,
            agency_id: job.agency.0,
            feed: job.feed.clone(),
            file_name: job.file_name.clone(),
            rows_read: count(job.counts.read),
            accepted: count(job.counts.accepted),
            superseded: count(job.counts.superseded),
            duplicate: count(job.counts.duplicate),
            rejected: count(job.counts.rejected),
            status: JobStatus::Queued.as_str().to_owned(),
            message: String::new(),
            attempts: 0,
            queued_at: now,
            started_at: None,
            finished_at: None,
        };
        let mut g = self
            .service_gate(&job.tenant, Some(job.agency), work("queue_ingest_job"), now)
            .await?;
        g.entry.detail = detail;
        in_gate!(g, jobs as j, tx => j::insert(tx, &row).await)?;
        g.commit().await
    }

    /// Claims every queued job of the tenant whose job has waited longest: they are marked
    /// running (one more attempt each) and given oldest first. Empty when nothing waits.
    /// Atomic: two workers never claim the same job. One audit entry.
    pub async fn claim_ingest_jobs(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<IngestJob>, StoreError> {
        // Which tenant to serve is read outside the gate (job rows hold no personal data);
        // the claim itself is made inside it, of the jobs still queued then.
        let tenant = on_backend!(self, jobs as j, pool => j::longest_waiting_tenant(pool).await)?;
        let Some(tenant) = tenant else {
            return Ok(Vec::new());
        };
        let tenant_code = TenantCode::parse(&tenant).map_err(StoreError::corrupt)?;
        let mut g = self
            .service_gate(&tenant_code, None, work("start_ingest_jobs"), now)
            .await?;
        let claimed: Vec<JobRow> =
            in_gate!(g, jobs as j, tx => j::claim_tenant(tx, &tenant, now).await)?;
        if claimed.is_empty() {
            // Another worker took them in between: nothing was claimed, nothing to record.
            return Ok(Vec::new());
        }
        let ids: Vec<_> = claimed.iter().map(|r| r.id).collect();
        g.entry.detail = serde_json::json!({ "jobs": ids }).to_string();
        g.commit().await?;
        claimed.into_iter().map(IngestJob::try_from).collect()
    }

    /// Records how claimed jobs of `tenant` ended: done, or failed with `Err(message)` (for
    /// operators; cut to 500 characters). Jobs no longer running are left alone. One audit
    /// entry.
    pub async fn finish_ingest_jobs(
        &self,
        tenant: &TenantCode,
        ids: &[IngestJobId],
        outcome: Result<(), &str>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (status, message) = match outcome {
            Ok(()) => (JobStatus::Done, String::new()),
            Err(message) => (
                JobStatus::Failed,
                message.chars().take(MAX_MESSAGE).collect(),
            ),
        };
        // The outcome stays `allowed` (nothing was refused); the detail says how the jobs ended.
        let uuids: Vec<_> = ids.iter().map(|id| id.0).collect();
        let mut g = self
            .service_gate(tenant, None, work("finish_ingest_jobs"), now)
            .await?;
        g.entry.detail =
            serde_json::json!({ "jobs": uuids, "status": status.as_str() }).to_string();
        in_gate!(g, jobs as j, tx => j::finish(tx, tenant.as_str(), &uuids, status.as_str(), &message, now).await)?;
        g.commit().await
    }

    /// Queues again every job left running: called when a worker starts, for the jobs of a
    /// process that stopped part-way. Gives how many. One audit entry per tenant affected.
    pub async fn requeue_running_ingest_jobs(
        &self,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let running = on_backend!(self, jobs as j, pool => j::running(pool).await)?;
        let mut tenants: Vec<&str> = running.iter().map(|(t, _)| t.as_str()).collect();
        tenants.sort_unstable();
        tenants.dedup();
        let mut total = 0;
        for tenant in tenants {
            let ids: Vec<_> = running
                .iter()
                .filter(|(t, _)| t == tenant)
                .map(|(_, id)| *id)
                .collect();
            let tenant_code = TenantCode::parse(tenant).map_err(StoreError::corrupt)?;
            let mut g = self
                .service_gate(&tenant_code, None, work("requeue_ingest_jobs"), now)
                .await?;
            g.entry.detail = serde_json::json!({ "jobs": ids }).to_string();
            total += in_gate!(g, jobs as j, tx => j::requeue(tx, tenant, &ids).await)?;
            g.commit().await?;
        }
        Ok(total)
    }

    /// One job, only for the agency that sent it: `None` for another agency's job, as for
    /// one that does not exist.
    pub async fn ingest_job(
        &self,
        tenant: &TenantCode,
        agency: AgencyId,
        id: IngestJobId,
    ) -> Result<Option<IngestJob>, StoreError> {
        let row = on_backend!(self, jobs as j, pool => {
            j::one(pool, tenant.as_str(), agency.0, id.0).await
        })?;
        row.map(IngestJob::try_from).transpose()
    }
}
