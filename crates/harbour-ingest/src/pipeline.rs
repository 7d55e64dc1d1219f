//! The pipeline: import and queue, then link, react and run the rules from the queue.

use crate::IngestError;
use crate::file::{FeedFile, Progress};
use harbour_domain::feeds::Feed;
use harbour_domain::{AgencyId, Clock, IngestJobId, TenantCode};
use harbour_import::{ImportCounts, ImportRow, QuarantineRow};
use harbour_rules::RuleSet;
use harbour_store::{IngestJob, LinkReport, NewIngestJob, RuleRunReport, RunScope, Store};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use time::OffsetDateTime;

/// What a [`Reaction`] gives back: done, or why not.
pub type ReactionFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// A workflow's reaction to newly stored and linked feed rows: **the place later workflows
/// add a step** (say, telling a school that a pupil it holds went missing). Reactions run in
/// the order they were added ([`Pipeline::with_reaction`]), after linking and before the
/// rules, once for each claim of the queue, with every job the claim took (one tenant's).
/// A reaction may run twice for the same rows (a job resumed after a crash), so it must
/// change nothing the second time. Every pipeline starts with the registers' reaction
/// ([`crate::registers::OpenRegisterEntries`]: permanent exclusions open register entries).
pub trait Reaction: Send + Sync + std::fmt::Debug {
    /// A short stable name, for logs and the job's failure message.
    fn name(&self) -> &'static str;

    /// Reacts to `jobs` (all of one tenant), with the store and the pipeline's clock's `now`.
    fn react<'a>(
        &'a self,
        store: &'a Store,
        jobs: &'a [IngestJob],
        now: OffsetDateTime,
    ) -> ReactionFuture<'a>;
}

/// What importing did: the counts, and the job queued for each file (or submission).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub counts: ImportCounts,
    pub jobs: Vec<IngestJobId>,
}

/// What one run from the queue did: the jobs it took (all of one tenant) and what linking and
/// the rules reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    pub tenant: TenantCode,
    pub jobs: Vec<IngestJobId>,
    pub linked: LinkReport,
    pub rules: RuleRunReport,
}

/// The one ingest pipeline, shared by the command line, the feed API and the demo. Cheap to
/// share behind an `Arc`.
#[derive(Debug)]
pub struct Pipeline {
    store: Store,
    rules: Arc<RuleSet>,
    clock: Arc<dyn Clock>,
    linking: harbour_link::Settings,
    reactions: Vec<Arc<dyn Reaction>>,
    wake: tokio::sync::Notify,
}

impl Pipeline {
    /// A pipeline over `store` raising alerts by `rules`, with every time taken from `clock`.
    pub fn new(store: Store, rules: Arc<RuleSet>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            rules,
            clock,
            linking: harbour_link::Settings::default(),
            reactions: vec![Arc::new(crate::registers::OpenRegisterEntries)],
            wake: tokio::sync::Notify::new(),
        }
    }

    /// Adds a workflow reaction after those already added.
    #[must_use]
    pub fn with_reaction(mut self, reaction: Arc<dyn Reaction>) -> Self {
        self.reactions.push(reaction);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The pipeline's clock's reading.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Imports `files` in order (the next read while the one before is stored, see
    /// [`crate::import_files`]) and queues a job for each file stored. If a file fails, the
    /// files before it stay imported and their jobs are queued before the error is returned.
    pub async fn import_files(
        &self,
        tenant: &TenantCode,
        files: &[FeedFile],
        mut progress: impl FnMut(Progress<'_>),
    ) -> Result<Imported, IngestError> {
        let now = self.clock.now();
        let mut stored: Vec<(FeedFile, ImportCounts)> = Vec::new();
        let result = crate::file::import_files(&self.store, tenant, files, now, |p| {
            if let Progress::Done { file, counts } = &p {
                stored.push(((*file).clone(), **counts));
            }
            progress(p);
        })
        .await;
        let mut jobs = Vec::with_capacity(stored.len());
        for (file, counts) in &stored {
            let file_name = file.path.file_name().map_or_else(
                || file.path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            jobs.push(
                self.queue(tenant, file.agency, file.feed, file_name, *counts)
                    .await?,
            );
        }
        let counts = result?;
        Ok(Imported { counts, jobs })
    }

    /// Stores one submission's parsed rows (one transaction) and queues its job: the feed
    /// API's way in.
    pub async fn import_rows(
        &self,
        tenant: &TenantCode,
        agency: AgencyId,
        feed: Feed,
        file_name: &str,
        rows: &[ImportRow],
        rejected: &[QuarantineRow],
    ) -> Result<(IngestJobId, ImportCounts), IngestError> {
        let now = self.clock.now();
        let counts = self
            .store
            .import_batch(
                tenant,
                agency,
                feed.as_str(),
                file_name,
                rows,
                rejected,
                now,
            )
            .await?;
        let job = self
            .queue(tenant, agency, feed, file_name.to_owned(), counts)
            .await?;
        Ok((job, counts))
    }

    async fn queue(
        &self,
        tenant: &TenantCode,
        agency: AgencyId,
        feed: Feed,
        file_name: String,
        counts: ImportCounts,
    ) -> Result<IngestJobId, IngestError> {
        let job = NewIngestJob {
            id: IngestJobId::new_v7(),
            tenant: tenant.clone(),
            agency,
            feed: feed.as_str().to_owned(),
            file_name,
            counts,
        };
        self.store.queue_ingest_job(&job, self.clock.now()).await?;
        self.wake.notify_one();
        Ok(job.id)
    }

    /// Claims the next jobs from the queue (every queued job of one tenant), links, reacts and
    /// runs the rules, and records the outcome on each job. `None` when nothing waits. A
    /// failure is recorded on the jobs (status `failed`, with the message) and returned.
    pub async fn run_next(&self) -> Result<Option<Ran>, IngestError> {
        let jobs = self.store.claim_ingest_jobs(self.clock.now()).await?;
        let Some(first) = jobs.first() else {
            return Ok(None);
        };
        let tenant = first.tenant.clone();
        let ids: Vec<IngestJobId> = jobs.iter().map(|j| j.id).collect();
        tracing::info!(tenant = %tenant.as_str(), jobs = ids.len(), "linking and running the rules for stored feeds");
        match self.run_stages(&tenant, &jobs).await {
            Ok((linked, rules)) => {
                self.store
                    .finish_ingest_jobs(&tenant, &ids, Ok(()), self.clock.now())
                    .await?;
                Ok(Some(Ran {
                    tenant,
                    jobs: ids,
                    linked,
                    rules,
                }))
            }
            Err(error) => {
                let message = error.to_string();
                tracing::error!(tenant = %tenant.as_str(), jobs = ids.len(), %message, "ingest jobs failed");
                self.store
                    .finish_ingest_jobs(&tenant, &ids, Err(&message), self.clock.now())
                    .await?;
                Err(error)
            }
        }
    }

    /// Incremental linking, then each reaction in order, then the rules over the timelines
    /// that changed.
    async fn run_stages(
        &self,
        tenant: &TenantCode,
        jobs: &[IngestJob],
    ) -> Result<(LinkReport, RuleRunReport), IngestError> {
        let linked = self
            .store
            .link_new(tenant, &self.linking, self.clock.now())
            .await?;
        for reaction in &self.reactions {
            reaction
                .react(&self.store, jobs, self.clock.now())
                .await
                .map_err(|message| IngestError::Reaction {
                    reaction: reaction.name(),
                    message,
                })?;
        }
        let now = self.clock.now();
        let rules = self
            .store
            .run_rules(tenant, &self.rules, RunScope::Changed, now.date(), now)
            .await?;
        Ok((linked, rules))
    }

    /// Runs the queue until nothing waits, in this process: the command line and the demo
    /// call it before they go on, so their linking and alerts are done when they report.
    /// Stops at the first failure (recorded on its jobs).
    pub async fn drain(&self) -> Result<Vec<Ran>, IngestError> {
        let mut ran = Vec::new();
        while let Some(one) = self.run_next().await? {
            ran.push(one);
        }
        Ok(ran)
    }

    /// Tells a waiting [`crate::Worker`] that a job was queued (queueing here does it too).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Completes when a job is queued through this pipeline (or [`Self::wake`] is called).
    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }
}
