//! The background worker: runs the queue while the service runs.

use crate::Pipeline;
use std::sync::Arc;
use std::time::Duration;

/// How often an idle worker looks at the queue without being woken: for jobs queued by
/// another process (`harbour import` beside `harbour serve`, a second server).
const POLL: Duration = Duration::from_secs(5);

/// After a failure to reach the queue, how long to wait before trying again.
const BACK_OFF: Duration = Duration::from_secs(10);

/// A tokio task that claims queued jobs and runs them ([`Pipeline::run_next`]) one claim at a
/// time, woken when a job is queued through its pipeline and every few seconds besides. On
/// start it queues again the jobs a stopped process left running, so they are resumed.
#[derive(Debug)]
pub struct Worker {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Starts the worker on the current tokio runtime.
    pub fn spawn(pipeline: Arc<Pipeline>) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            match pipeline
                .store()
                .requeue_running_ingest_jobs(pipeline.now())
                .await
            {
                Ok(0) => {}
                Ok(resumed) => tracing::info!(resumed, "resuming ingest jobs left running"),
                Err(error) => tracing::error!(%error, "cannot resume ingest jobs left running"),
            }
            loop {
                if *stopped.borrow() {
                    return;
                }
                let wait = match pipeline.run_next().await {
                    Ok(Some(_)) => continue,
                    Ok(None) => POLL,
                    // Recorded on the jobs by `run_next` when the work itself failed.
                    Err(error) => {
                        tracing::error!(%error, "ingest worker");
                        BACK_OFF
                    }
                };
                tokio::select! {
                    () = pipeline.woken() => {}
                    () = tokio::time::sleep(wait) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        Self { stop, task }
    }

    /// Stops taking jobs: the claim in hand is finished first. Jobs still queued wait for the
    /// next worker.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the ingest worker stopped abnormally");
        }
    }
}
