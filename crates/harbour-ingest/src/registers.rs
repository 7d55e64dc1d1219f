//! The registers' part in the pipeline: a permanent exclusion that arrives in any feed opens
//! an entry on the permanent exclusions register (recommendation 8), with no one having to
//! add it. Runs after linking, so the entry is about the linked child.

use crate::pipeline::{Reaction, ReactionFuture};
use harbour_store::{IngestJob, Store};
use time::OffsetDateTime;

/// Opens register entries for the permanent exclusions the claimed jobs stored. Opening is
/// by the exclusion's agency and key, so a job run twice opens nothing the second time.
#[derive(Debug, Default)]
pub struct OpenRegisterEntries;

impl Reaction for OpenRegisterEntries {
    fn name(&self) -> &'static str {
        "open register entries"
    }

    fn react<'a>(
        &'a self,
        store: &'a Store,
        jobs: &'a [IngestJob],
        now: OffsetDateTime,
    ) -> ReactionFuture<'a> {
        Box::pin(async move {
            let Some(first) = jobs.first() else {
                return Ok(());
            };
            let opened = store
                .open_exclusion_entries(&first.tenant, now)
                .await
                .map_err(|e| e.to_string())?;
            if opened > 0 {
                tracing::info!(tenant = %first.tenant.as_str(), opened, "permanent exclusions added to the register");
            }
            Ok(())
        })
    }
}
