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
                .open_exclusion_entries(&first.tenant, now)
                .await
                .map_err(|e| e.to_string())?;
            if opened > 0 {
                tracing::info!(tenant = %first.tenant.as_str(), opened, "permanent exclusions added to the register");
            }
            let placements = store
                .open_placement_entries(&first.tenant, now)
                .await
                .map_err(|e| e.to_string())?;
            if placements > 0 {
                tracing::info!(tenant = %first.tenant.as_str(), placements, "alternative-provision placements added");
            }
            let cnis = store
                .open_not_in_school_entries(&first.tenant, now)
                .await
                .map_err(|e| e.to_string())?;
            if cnis.home_education + cnis.missing_education + cnis.closed_from_feed > 0 {
                tracing::info!(
                    tenant = %first.tenant.as_str(),
                    home_education = cnis.home_education,
                    consent_required = cnis.consent_required,
                    missing_education = cnis.missing_education,
                    closed_from_feed = cnis.closed_from_feed,
                    "children added to the children not in school register"
                );
            }
            Ok(())
        })
    }
}
