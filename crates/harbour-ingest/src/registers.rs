//! The registers' part in the pipeline: a permanent exclusion that arrives in any feed opens
//! an entry on the permanent exclusions register (recommendation 8), and an EHE registration,
//! a CME episode or a school's deletion of a pupil to an unknown destination opens one on the
//! children not in school register, with no one having to add it. Runs after linking, so the
//! entry is about the linked child.

use crate::pipeline::{Reaction, ReactionFuture};
use harbour_store::{IngestJob, Store};
use time::OffsetDateTime;

/// Opens register entries for the permanent exclusions, home-education registrations and
/// missing-education episodes the claimed jobs stored. Opening is by the event's agency and
/// key, so a job run twice (or a corrected event re-sent) opens nothing the second time.
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
                .open_register_entries(&first.tenant, now)
                .await
                .map_err(|e| e.to_string())?;
            let cnis = opened.not_in_school;
            if opened != harbour_store::OpenedFromFeeds::default() {
                tracing::info!(
                    tenant = %first.tenant.as_str(),
                    exclusions = opened.exclusions,
                    offers = opened.offers,
                    placements = opened.placements,
                    home_education = cnis.home_education,
                    consent_required = cnis.consent_required,
                    missing_education = cnis.missing_education,
                    closed_from_feed = cnis.closed_from_feed,
                    "register entries opened from the feeds"
                );
            }
            Ok(())
        })
    }
}
