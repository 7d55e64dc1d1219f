//! What the feeds say that the registers act on, read once for the pipeline's register step.
//!
//! After an import, Harbour opens register entries for what the feeds sent: permanent
//! exclusions, alternative-provision placements (and the offers they are on the exclusions
//! register), home-education registrations and their ends, missing-education episodes and
//! their ends, and schools' roll deletions to an unknown destination; a new home-education
//! entry also needs the child's roll changes at special schools and child protection plans
//! (s.434A consent). Each of those is a handful of events among millions, and the events have
//! no index by kind (every import would pay for one), so each kind read alone is a scan of
//! the whole table. [`RegisterFeed`] is every one of them read in one scan
//! (`backend::registers::register_feed`); each register's opening takes what it needs from
//! it. [`Store::open_register_entries`] is the step: one scan, one transaction, one audit
//! entry.

use crate::StoreError;
use crate::gate::{Guarded, Work};
use crate::not_in_school::{MarkRow, OpenedNotInSchool};
use crate::registers::FeedEventRow;
use crate::store::Store;
use harbour_domain::{EventKind, PersonId, TenantCode};
use serde::Serialize;
use sqlx::FromRow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::OffsetDateTime;
use uuid::Uuid;

/// An event of the register step's scan, with what says which part it plays.
#[derive(Debug, FromRow)]
pub(crate) struct RegisterFeedRow {
    pub kind: String,
    /// The school a transfer file's row is about, by its number (none for the agency's own).
    pub about_school: Option<String>,
    #[sqlx(flatten)]
    pub event: FeedEventRow,
}

/// The events the registers act on, the latest version of each, by the part they play.
#[derive(Debug, Default)]
pub(crate) struct RegisterFeed {
    /// Events that open, offer on or close entries, by kind, each kind in (child, day, key)
    /// order.
    by_kind: BTreeMap<EventKind, Vec<FeedEventRow>>,
    /// Schools' own roll deletions whose details may name an unknown destination.
    leavings: Vec<FeedEventRow>,
    /// Roll changes at or about a special school, and child protection plans: what decides
    /// s.434A consent, as `not_in_school::marks_by_person` reads them.
    marks: Vec<MarkRow>,
}

/// The (agency, key) of each entry of a register that came from a feed.
pub(crate) type SourceKeys = BTreeSet<(Uuid, String)>;

impl RegisterFeed {
    /// Sorts the scan's `rows` by the part they play. `agencies` are the tenant's agencies
    /// as `(agency, school number, special school)`: a roll change counts towards consent
    /// at the school it is about (a transfer file's report of an earlier school names it by
    /// number), else at the agency that sent it.
    pub(crate) fn new(
        rows: Vec<RegisterFeedRow>,
        agencies: &[(Uuid, Option<String>, bool)],
    ) -> Self {
        let special: HashMap<Uuid, bool> = agencies.iter().map(|(id, _, s)| (*id, *s)).collect();
        let by_number: HashMap<&str, (Uuid, bool)> = agencies
            .iter()
            .filter_map(|(id, number, s)| number.as_deref().map(|n| (n, (*id, *s))))
            .collect();
        let mut feed = Self::default();
        for row in rows {
            let Ok(kind) = row.kind.parse::<EventKind>() else {
                continue;
            };
            let mark = |school: Uuid| MarkRow {
                person_id: row.event.person_id,
                kind: row.kind.clone(),
                occurred_on: row.event.occurred_on,
                school_id: school,
            };
            match kind {
                EventKind::SchoolEnrolment | EventKind::SchoolLeaving => {
                    let about = row.about_school.as_deref().and_then(|n| by_number.get(n));
                    let (school, is_special) = match about {
                        Some(&(id, s)) => (id, s),
                        None => (
                            row.event.agency_id,
                            special.get(&row.event.agency_id).copied().unwrap_or(false),
                        ),
                    };
                    if is_special {
                        feed.marks.push(mark(school));
                    }
                    if kind == EventKind::SchoolLeaving
                        && row.about_school.is_none()
                        && row.event.details.contains("not_known")
                    {
                        feed.leavings.push(row.event);
                    }
                }
                EventKind::ChildProtectionPlanStart | EventKind::ChildProtectionPlanEnd => {
                    let about = row.about_school.as_deref().and_then(|n| by_number.get(n));
                    feed.marks
                        .push(mark(about.map_or(row.event.agency_id, |&(id, _)| id)));
                }
                _ => feed.by_kind.entry(kind).or_default().push(row.event),
            }
        }
        feed
    }

    /// Every event of `kind` (the latest version of each).
    pub(crate) fn of(&self, kind: EventKind) -> &[FeedEventRow] {
        self.by_kind.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// The events of `kind` no entry was opened from (`known`), in the order they happened.
    pub(crate) fn not_on(&self, kind: EventKind, known: &SourceKeys) -> Vec<&FeedEventRow> {
        unopened(self.of(kind), known)
    }

    /// Schools' roll deletions that may name an unknown destination and that no entry was
    /// opened from, in the order they happened. The caller reads their details.
    pub(crate) fn leavings_not_on(&self, known: &SourceKeys) -> Vec<&FeedEventRow> {
        unopened(&self.leavings, known)
    }

    /// The consent marks of `persons`' events, each child's in the order they happened.
    pub(crate) fn marks_of(&self, persons: &BTreeSet<Uuid>) -> Vec<MarkRow> {
        self.marks
            .iter()
            .filter(|m| persons.contains(&m.person_id))
            .map(|m| MarkRow {
                person_id: m.person_id,
                kind: m.kind.clone(),
                occurred_on: m.occurred_on,
                school_id: m.school_id,
            })
            .collect()
    }
}

fn unopened<'a>(events: &'a [FeedEventRow], known: &SourceKeys) -> Vec<&'a FeedEventRow> {
    let mut out: Vec<&FeedEventRow> = events
        .iter()
        .filter(|e| !known.contains(&(e.agency_id, e.record_key.clone())))
        .collect();
    out.sort_by(|a, b| (a.occurred_on, &a.record_key).cmp(&(b.occurred_on, &b.record_key)));
    out
}

/// What one register step opened and recorded from the feeds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OpenedFromFeeds {
    /// Permanent exclusions put on the register.
    pub exclusions: usize,
    /// Offers recorded on exclusions from the authority's placements.
    pub offers: usize,
    /// Alternative-provision placements opened.
    pub placements: usize,
    pub not_in_school: OpenedNotInSchool,
}

/// What one register's opening did inside the step: the children it named (the audit's
/// subjects) and its counts.
pub(crate) struct Opening<T> {
    pub subjects: Vec<PersonId>,
    pub counts: T,
}

impl Store {
    /// Reads the feed in `g`'s transaction: one scan of the events, and the agencies.
    pub(crate) async fn register_feed(
        &self,
        g: &mut Guarded,
        tenant: &TenantCode,
    ) -> Result<RegisterFeed, StoreError> {
        in_gate!(g, registers as r, tx => {
            let rows = r::register_feed(tx, tenant).await?;
            let agencies = r::agencies_special(tx, tenant).await?;
            Ok(RegisterFeed::new(rows, &agencies))
        })
    }

    /// The (agency, key) of every entry of `register` opened from a feed, in `g`.
    pub(crate) async fn source_keys(
        &self,
        g: &mut Guarded,
        tenant: &TenantCode,
        register: harbour_policy::Register,
    ) -> Result<SourceKeys, StoreError> {
        in_gate!(g, registers as r, tx => {
            Ok(r::source_keys(tx, tenant, register.as_str()).await?.into_iter().collect())
        })
    }

    /// The pipeline's register step after an import: every register entry the feeds call
    /// for that is not open yet (permanent exclusions, alternative-provision placements,
    /// home education and missing education) opened, the offers and closures the feeds
    /// report recorded, from one scan of the events, in one transaction, audited once naming
    /// every child. Opening is by each event's agency and key, so a second run opens nothing.
    pub async fn open_register_entries(
        &self,
        tenant: &TenantCode,
        now: OffsetDateTime,
    ) -> Result<OpenedFromFeeds, StoreError> {
        let work = Work::new(
            "register_open_from_feeds",
            "open register entries for what the feeds sent",
        );
        let mut g = self.service_gate(tenant, None, work, now).await?;
        let feed = self.register_feed(&mut g, tenant).await?;
        let exclusions = self
            .open_exclusions_inside(&mut g, tenant, &feed, now)
            .await?;
        let placements = self
            .open_placements_inside(&mut g, tenant, &feed, now)
            .await?;
        let not_in_school = self
            .open_not_in_school_inside(&mut g, tenant, &feed, now)
            .await?;
        let opened = OpenedFromFeeds {
            exclusions: exclusions.counts.0,
            offers: exclusions.counts.1,
            placements: placements.counts,
            not_in_school: not_in_school.counts,
        };
        g.entry.set_subjects(
            exclusions
                .subjects
                .into_iter()
                .chain(placements.subjects)
                .chain(not_in_school.subjects),
        );
        g.entry.detail = serde_json::json!({ "registers": "all", "opened": opened }).to_string();
        g.commit().await?;
        Ok(opened)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::date;

    fn row(
        kind: EventKind,
        person: u128,
        agency: u128,
        key: &str,
        about: Option<&str>,
        details: &str,
    ) -> RegisterFeedRow {
        RegisterFeedRow {
            kind: kind.as_str().to_owned(),
            about_school: about.map(str::to_owned),
            event: FeedEventRow {
                person_id: Uuid::from_u128(person),
                agency_id: Uuid::from_u128(agency),
                record_key: key.to_owned(),
                occurred_on: date!(2026 - 01 - 05),
                details: details.to_owned(),
                summary: String::new(),
            },
        }
    }

    #[test]
    fn each_event_goes_to_the_part_it_plays() {
        let special = Uuid::from_u128(10);
        let mainstream = Uuid::from_u128(11);
        let agencies = vec![
            (special, Some("9997001".to_owned()), true),
            (mainstream, Some("9992001".to_owned()), false),
        ];
        let feed = RegisterFeed::new(
            vec![
                row(EventKind::PermanentExclusion, 1, 11, "x1", None, "{}"),
                // The special school's own roll change: a mark at that school.
                row(EventKind::SchoolEnrolment, 2, 10, "r1", None, "{}"),
                // A mainstream school's transfer file about the special school: a mark
                // there.
                row(EventKind::SchoolLeaving, 3, 11, "r2", Some("9997001"), "{}"),
                // A mainstream school's own deletion to an unknown destination: a leaving,
                // not a mark.
                row(
                    EventKind::SchoolLeaving,
                    4,
                    11,
                    "r3",
                    None,
                    r#"{"destination":"not_known"}"#,
                ),
                // A special school's report about a mainstream school: no mark.
                row(EventKind::SchoolLeaving, 5, 10, "r4", Some("9992001"), "{}"),
                row(EventKind::ChildProtectionPlanStart, 6, 12, "cp", None, "{}"),
            ],
            &agencies,
        );
        assert_eq!(feed.of(EventKind::PermanentExclusion).len(), 1);
        let marks: Vec<(u128, Uuid)> = feed
            .marks
            .iter()
            .map(|m| (m.person_id.as_u128(), m.school_id))
            .collect();
        assert_eq!(
            marks,
            vec![(2, special), (3, special), (6, Uuid::from_u128(12))]
        );
        assert_eq!(feed.leavings.len(), 1);
        assert_eq!(feed.leavings[0].record_key, "r3");
        let known: SourceKeys = [(Uuid::from_u128(11), "x1".to_owned())].into();
        assert!(
            feed.not_on(EventKind::PermanentExclusion, &known)
                .is_empty()
        );
        assert_eq!(feed.marks_of(&[Uuid::from_u128(3)].into()).len(), 1);
    }
}
