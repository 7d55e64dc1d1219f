//! Register clocks on the rules' timeline: the store's side of `harbour_casework::moments`.
//!
//! The rules read timelines; a register's clock that has run out (day 6, a review, a
//! part-time offer, s.434A consent, tracing) reaches them as a `register_clock` event that
//! is never stored: each rules run, replay or evaluation reads the registers' entries in
//! the same audited read as the timelines, asks `harbour-casework` where each stands and
//! which clocks have run out, and adds those moments to the child's timeline. What a clock
//! means stays in `harbour-casework` (the register page, the work queue and the rules agree
//! by construction); this module only reads and joins.
//!
//! A moment's evidence is its register entry's id, so an alert raised on it is shown only to
//! a reader who may open that entry ([`Store::register_entries_opened`]), by the policy's
//! `[registers]` section, as an agency event is shown only to a reader the policy lets see
//! it. Register facts never become agency events: the access rules for events are wider than
//! the registers' own.

use crate::StoreError;
use crate::gate::Guarded;
use crate::not_in_school::NotInSchoolDay;
use crate::registers::{RegisterDay, Which};
use crate::store::Store;
use harbour_casework::RegisterSettings;
use harbour_casework::moments::{self, Moment};
use harbour_domain::TenantCode;
use harbour_policy::{Principal, Register, RegisterAccess};
use harbour_rules::{RuleSet, Timeline};
use std::collections::HashMap;
use time::Date;
use uuid::Uuid;

/// Every register entry's moments by person: (entry id as text, moment).
#[derive(Debug, Default)]
pub(crate) struct RegisterMoments(HashMap<Uuid, Vec<(String, Moment)>>);

impl RegisterMoments {
    /// `timeline` (of `person`) with that person's moments added.
    pub(crate) fn join(&self, person: Uuid, timeline: Timeline) -> Timeline {
        match self.0.get(&person) {
            Some(found) => {
                moments::with_moments(timeline, found.iter().map(|(e, m)| (e.as_str(), m)))
            }
            None => timeline,
        }
    }

    /// Persons with a moment on or after `day`: a run over the timelines that changed since
    /// `day` evaluates them too, since a clock runs out with time, not with a feed.
    pub(crate) fn persons_since(&self, day: Date) -> impl Iterator<Item = Uuid> + '_ {
        self.0
            .iter()
            .filter(move |(_, found)| found.iter().any(|(_, m)| m.on >= day))
            .map(|(person, _)| *person)
    }

    /// Only `person`'s moments.
    pub(crate) fn only(mut self, person: Uuid) -> Self {
        self.0.retain(|p, _| *p == person);
        self
    }
}

impl Store {
    /// Every register entry's moments as of `today`, read in `g` (whose caller has decided
    /// what the reader may be told: Harbour's own rules run, or a replay that then shows
    /// only the entries the reader opens). The clocks run on the calendar and the registers'
    /// settings given with `rules`.
    pub(crate) async fn register_moments_inside(
        &self,
        g: Guarded,
        tenant: &TenantCode,
        rules: &RuleSet,
        today: Date,
    ) -> Result<(Guarded, RegisterMoments), StoreError> {
        let settings = RegisterSettings::of_rules(rules)
            .map_err(|e| StoreError::RegisterSettings(e.to_string()))?;
        let calendar = rules.calendar();
        let (g, exclusions) = self
            .exclusion_entries_inside(
                g,
                tenant,
                Which::All(None),
                RegisterDay {
                    calendar,
                    settings: settings.exclusions,
                    today,
                },
            )
            .await?;
        let (g, home_education, missing_education) = self
            .not_in_school_entries_inside(
                g,
                tenant,
                Which::All(None),
                NotInSchoolDay {
                    calendar,
                    settings: settings.not_in_school,
                    today,
                },
            )
            .await?;
        let mut out: HashMap<Uuid, Vec<(String, Moment)>> = HashMap::new();
        let mut add = |person: Uuid, entry: Uuid, found: Vec<Moment>| {
            if !found.is_empty() {
                out.entry(person)
                    .or_default()
                    .extend(found.into_iter().map(|m| (entry.to_string(), m)));
            }
        };
        for e in &exclusions {
            add(
                e.person.0,
                e.id,
                moments::of_exclusion(&e.assessment, &settings.exclusions, today),
            );
        }
        for e in &home_education {
            add(
                e.person.0,
                e.id,
                moments::of_home_education(e.first_day, &e.assessment),
            );
        }
        for e in &missing_education {
            add(
                e.person.0,
                e.id,
                moments::of_missing_education(&e.assessment, today),
            );
        }
        Ok((g, RegisterMoments(out)))
    }

    /// The register entries `who` may open, read in `g`, with the register of each: every
    /// entry of a register their role keeps, and their own agency's entries of one they see
    /// read only. An alert whose evidence is a register clock is shown to them only if they
    /// open its entry.
    pub(crate) async fn register_entries_opened(
        &self,
        g: &mut Guarded,
        who: &Principal,
    ) -> Result<HashMap<Uuid, Register>, StoreError> {
        let mut opened = HashMap::new();
        for register in [
            Register::Exclusions,
            Register::HomeEducation,
            Register::MissingEducation,
        ] {
            let agency = match self.policy.register_access(who, register) {
                Some(RegisterAccess::Keep) => None,
                Some(RegisterAccess::OwnAgency) => Some(who.agency.0),
                None => continue,
            };
            let ids = in_gate!(g, registers as r, tx => {
                r::entry_ids(tx, &who.tenant, register.as_str(), agency).await?
            });
            opened.extend(ids.into_iter().map(|id| (id, register)));
        }
        Ok(opened)
    }
}
