//! Alternative-provision and PRU placements, stored, through the gate (recommendation 9: a
//! clear pathway into alternative provision). The entries and facts live in the registers'
//! tables under the register name `alternative_provision`; what they mean (review clocks, the
//! time from exclusion, what may be recorded) is decided in `harbour_casework::placements`.
//!
//! A placement opens from each `ap_placement` the authority's education feed sends (its
//! provider and hours from the row's details; the type, which the feed does not carry, for the
//! officer to add) or by hand. It is linked, each time it is read, to the child's latest
//! permanent exclusion on the exclusions register on or before its start, so an exclusion
//! added or corrected later moves the link with it. A placement added by hand after an
//! exclusion is also the offer on that exclusion's entry, as a feed's placement is
//! (`registers.rs`), so the day-6 clock follows it without typing it twice.
//!
//! Access is the policy's `[registers.alternative_provision]`; every read names the children
//! shown, every fact is audited by kind (never its free text) and added to the child's
//! workflow history (`case_events`).

use crate::StoreError;
use crate::case_events::NewCaseEvent;
use crate::gate::{Actor, Guarded, Needs, Work};
use crate::register_feed::{Opening, RegisterFeed};
use crate::registers::{
    EntryRow, FactRow, FeedEventRow, Names, RecordedFact, RegisterChild, RegisterDay,
    RegisterRefusal, Which, first_names,
};
use crate::store::Store;
use crate::work::{Owner, OwnerRow};
use harbour_casework::Lifecycle;
use harbour_casework::exclusions::{Entry as ExclusionCase, Fact as ExclusionFact};
use harbour_casework::placements::{
    Pathway, Placement, PlacementAssessment, PlacementFact, exclusion_followed,
};
use harbour_domain::{AgencyId, EventKind, PersonId, TenantCode};
use harbour_policy::{Principal, Register, RegisterAccess};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

const PLACEMENTS: Register = Register::AlternativeProvision;
pub(crate) const WORKFLOW: &str = "alternative_provision_register";

/// One placement with where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlacementEntry {
    pub id: Uuid,
    pub person: PersonId,
    pub child: Option<RegisterChild>,
    pub starts_on: Date,
    /// Opened from the authority's feed (rather than by hand).
    pub from_feed: bool,
    /// The agency whose feed reported it, and that event's key (`None` for one added by
    /// hand): how the county's recorded casework finds it.
    pub agency: Option<AgencyId>,
    pub source_key: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// The exclusions register's entry of the exclusion it follows, if any.
    pub exclusion_entry: Option<Uuid>,
    pub history: Vec<RecordedFact<PlacementFact>>,
    pub assessment: PlacementAssessment,
    pub owner: Option<Owner>,
}

/// The placements as a keeper sees them, with the pathway's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlacementsRegister {
    pub entries: Vec<PlacementEntry>,
    pub pathway: Pathway,
    /// Children on the exclusions register, open on the day, with no placement since their
    /// exclusion: the pathway's gap.
    pub excluded_without_placement: usize,
}

/// The details a feed's `ap_placement` row gives: its provider and hours; the type is the
/// officer's to add.
fn details_from_feed(event: &FeedEventRow) -> PlacementFact {
    let (provider, hours) = event.placement_details();
    PlacementFact::Details {
        provider,
        kind: None,
        hours,
        review_on: None,
    }
}

/// Each child's exclusions on the exclusions register: (first day, entry), oldest first.
fn exclusions_by_person(rows: &[EntryRow]) -> BTreeMap<Uuid, Vec<(Date, Uuid)>> {
    let mut by_person: BTreeMap<Uuid, Vec<(Date, Uuid)>> = BTreeMap::new();
    for row in rows {
        by_person
            .entry(row.person_id)
            .or_default()
            .push((row.first_day, row.id));
    }
    for list in by_person.values_mut() {
        list.sort_unstable();
    }
    by_person
}

/// The exclusion a placement starting on `starts_on` follows: its first day and entry.
fn followed(exclusions: Option<&Vec<(Date, Uuid)>>, starts_on: Date) -> Option<(Date, Uuid)> {
    let list = exclusions?;
    let days: Vec<Date> = list.iter().map(|(d, _)| *d).collect();
    let day = exclusion_followed(starts_on, &days)?;
    list.iter().rev().find(|(d, _)| *d == day).copied()
}

fn assemble(
    rows: Vec<EntryRow>,
    facts: Vec<FactRow>,
    names: BTreeMap<Uuid, RegisterChild>,
    exclusions: &BTreeMap<Uuid, Vec<(Date, Uuid)>>,
    owners: Vec<OwnerRow>,
    day: RegisterDay<'_>,
) -> Vec<PlacementEntry> {
    let mut by_entry: BTreeMap<Uuid, Vec<RecordedFact<PlacementFact>>> = BTreeMap::new();
    for f in facts {
        let Ok(fact) = serde_json::from_str::<PlacementFact>(&f.fact) else {
            tracing::warn!(entry = %f.entry_id, "a placement fact could not be read");
            continue;
        };
        by_entry.entry(f.entry_id).or_default().push(RecordedFact {
            fact,
            recorded_at: f.recorded_at,
            recorded_by: f.recorded_by_name,
        });
    }
    let owners = crate::work::owners_of(WORKFLOW, owners);
    rows.into_iter()
        .map(|row| {
            let history = by_entry.remove(&row.id).unwrap_or_default();
            let placement = Placement {
                starts_on: row.first_day,
                facts: history.iter().map(|f| f.fact.clone()).collect(),
            };
            let exclusion = followed(exclusions.get(&row.person_id), row.first_day);
            PlacementEntry {
                id: row.id,
                person: PersonId(row.person_id),
                child: names.get(&row.person_id).cloned(),
                starts_on: row.first_day,
                from_feed: row.source_key.is_some(),
                agency: row.agency_id.map(AgencyId),
                source_key: row.source_key,
                opened_at: row.opened_at,
                exclusion_entry: exclusion.map(|(_, id)| id),
                assessment: placement.assess(
                    exclusion.map(|(d, _)| d),
                    day.calendar,
                    &day.settings,
                    day.today,
                ),
                owner: owners.get(&row.id).cloned(),
                history,
            }
        })
        .collect()
}

impl Store {
    /// Opens a placement for every `ap_placement` the feeds have sent that is not on the
    /// register yet (a corrected row, re-sent under the same key, is the same placement).
    /// Harbour's own work, after imports (the pipeline runs it in
    /// [`Store::open_register_entries`]); returns how many it opened.
    pub async fn open_placement_entries(
        &self,
        tenant: &TenantCode,
        now: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let work = Work::new(
            "register_open_from_feeds",
            "open alternative-provision placements the feeds sent",
        );
        let mut g = self.service_gate(tenant, None, work, now).await?;
        let feed = self.register_feed(&mut g, tenant).await?;
        let opening = self
            .open_placements_inside(&mut g, tenant, &feed, now)
            .await?;
        g.entry.set_subjects(opening.subjects);
        g.entry.detail =
            serde_json::json!({ "register": PLACEMENTS.as_str(), "opened": opening.counts })
                .to_string();
        g.commit().await?;
        Ok(opening.counts)
    }

    /// The placements' part of the register step, in `g`: a placement for each of `feed`'s
    /// `ap_placement` rows not on the register, with the details the row gives.
    pub(crate) async fn open_placements_inside(
        &self,
        g: &mut Guarded,
        tenant: &TenantCode,
        feed: &RegisterFeed,
        now: OffsetDateTime,
    ) -> Result<Opening<usize>, StoreError> {
        let known = self.source_keys(g, tenant, PLACEMENTS).await?;
        let events = feed.not_on(EventKind::AlternativeProvision, &known);
        in_gate!(g, [registers as r, case_events as c], tx => {
            let mut history = Vec::new();
            let (mut entries, mut details) = (Vec::new(), Vec::new());
            for event in events {
                let id = Uuid::now_v7();
                entries.push(r::NewEntry {
                    id,
                    register: PLACEMENTS.as_str(),
                    person: event.person_id,
                    agency: Some(event.agency_id),
                    first_day: event.occurred_on,
                    source_key: Some(&event.record_key),
                    opened_by: None,
                });
                let text = serde_json::to_string(&details_from_feed(event))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                details.push(r::NewFact { entry: id, fact: text, lifecycle: Lifecycle::Leaves, by: None });
                history.push(NewCaseEvent {
                    person: PersonId(event.person_id),
                    workflow: WORKFLOW,
                    record: id,
                    action: "opened".into(),
                    at: now,
                    by: None,
                    detail: serde_json::json!({ "from": "feed" }).to_string(),
                });
            }
            r::insert_entries(tx, tenant, &entries, now).await?;
            r::insert_facts(tx, tenant, &details, now).await?;
            c::append(tx, tenant, &history).await?;
            Ok(Opening {
                subjects: history.iter().map(|h| h.person).collect(),
                counts: history.len(),
            })
        })
    }

    /// Every placement with the pathway's figures, for the register's keepers (`None`, refused
    /// and audited, for anyone else). Audited naming every child shown.
    pub async fn placements(
        &self,
        who: &Principal,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<PlacementsRegister>, StoreError> {
        let work = Work::new("view_register", "see the alternative-provision placements");
        let Some(g) = self
            .gate_read(Actor::Staff(who), Needs::Register(PLACEMENTS), work, now)
            .await?
        else {
            return Ok(None);
        };
        let (mut g, register) = self
            .read_placements(
                g,
                &who.tenant,
                Which::All(None),
                None,
                true,
                Names::Read,
                day,
            )
            .await?;
        g.entry
            .set_subjects(register.entries.iter().map(|e| e.person));
        g.entry.detail = serde_json::json!({
            "register": PLACEMENTS.as_str(),
            "entries": register.entries.len(),
        })
        .to_string();
        g.commit().await?;
        Ok(Some(register))
    }

    /// Every placement of `tenant` with the pathway's figures, for `harbour report
    /// alternative-provision` at the command line (Harbour's own work: audited as such,
    /// naming every child).
    pub async fn placements_report(
        &self,
        tenant: &TenantCode,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<PlacementsRegister, StoreError> {
        let work = Work::new(
            "report_register",
            "report on the alternative-provision placements",
        );
        let g = self.service_read(tenant, None, work, now).await?;
        let (mut g, register) = self
            .read_placements(g, tenant, Which::All(None), None, true, Names::Read, day)
            .await?;
        g.entry
            .set_subjects(register.entries.iter().map(|e| e.person));
        g.entry.detail = serde_json::json!({
            "register": PLACEMENTS.as_str(),
            "entries": register.entries.len(),
        })
        .to_string();
        g.commit().await?;
        Ok(register)
    }

    /// One child's placements, for the keepers (`None` for anyone else, refused and
    /// audited): what the exclusions register's entry and the person page link to.
    pub async fn placements_of(
        &self,
        who: &Principal,
        person: PersonId,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<Vec<PlacementEntry>>, StoreError> {
        let work = Work::new(
            "view_register",
            "see a child's alternative-provision placements",
        );
        let Some(g) = self
            .gate_read(Actor::Staff(who), Needs::Register(PLACEMENTS), work, now)
            .await?
        else {
            return Ok(None);
        };
        let (mut g, register) = self
            .read_placements(
                g,
                &who.tenant,
                Which::All(None),
                Some(person),
                false,
                Names::Read,
                day,
            )
            .await?;
        g.entry.set_subjects([person]);
        g.entry.detail = serde_json::json!({
            "register": PLACEMENTS.as_str(),
            "entries": register.entries.len(),
        })
        .to_string();
        g.commit().await?;
        Ok(Some(register.entries))
    }

    /// The placements `which` picks (of one child, or all), with the figures over them, read
    /// in `g`. One child's are read with their own facts only; the gap figure (excluded
    /// children with no placement) reads the exclusions' facts, so it is worked out only when
    /// `gap` asks for it. Each is linked to the exclusion it follows on a read of every
    /// placement; the open ones alone (the work queue's) are not, as their tasks do not
    /// depend on it and the link reads the whole exclusions register.
    #[allow(clippy::too_many_arguments)]
    async fn read_placements(
        &self,
        mut g: Guarded,
        tenant: &TenantCode,
        which: Which,
        person: Option<PersonId>,
        gap: bool,
        read_names: Names,
        day: RegisterDay<'_>,
    ) -> Result<(Guarded, PlacementsRegister), StoreError> {
        let (entries, exclusions) = in_gate!(g, [registers as r, work as w], tx => {
            let mut rows = r::entries(tx, tenant, PLACEMENTS.as_str(), which).await?;
            let (facts, names) = match person {
                Some(child) => {
                    rows.retain(|row| row.person_id == child.0);
                    let mut facts = Vec::new();
                    for row in &rows {
                        facts.extend(r::facts_of(tx, tenant, row.id).await?);
                    }
                    let names: BTreeMap<Uuid, RegisterChild> = r::name_of(tx, tenant, child.0)
                        .await?
                        .into_iter()
                        .map(|n| (n.person_id, n.into()))
                        .collect();
                    (facts, names)
                }
                None => (
                    r::facts(tx, tenant, PLACEMENTS.as_str(), which).await?,
                    match read_names {
                        Names::Read => {
                            let persons: Vec<Uuid> = rows.iter().map(|row| row.person_id).collect();
                            first_names(r::names_of(tx, tenant, &persons).await?)
                        }
                        Names::Later => BTreeMap::new(),
                    },
                ),
            };
            let exclusion_rows = match which {
                Which::All(_) => r::entries(tx, tenant, Register::Exclusions.as_str(), Which::All(None)).await?,
                Which::Open => Vec::new(),
            };
            let owners = w::owners(tx, tenant).await?;
            let entries = assemble(rows, facts, names, &exclusions_by_person(&exclusion_rows), owners, day);
            let open = if gap {
                let exclusion_facts = r::facts(tx, tenant, Register::Exclusions.as_str(), Which::All(None)).await?;
                open_exclusions(&exclusion_rows, exclusion_facts)
            } else {
                Vec::new()
            };
            (entries, open)
        });
        let placed: BTreeSet<(Uuid, Uuid)> = entries
            .iter()
            .filter_map(|e| e.exclusion_entry.map(|x| (e.person.0, x)))
            .collect();
        let excluded_without_placement = exclusions
            .iter()
            .filter(|(person, entry)| !placed.contains(&(*person, *entry)))
            .count();
        let pathway = Pathway::of(entries.iter().map(|e| &e.assessment), day.today);
        Ok((
            g,
            PlacementsRegister {
                entries,
                pathway,
                excluded_without_placement,
            },
        ))
    }

    /// One placement, for the keepers (`None` if refused or missing; both audited).
    pub async fn placement_entry(
        &self,
        who: &Principal,
        id: Uuid,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<PlacementEntry>, StoreError> {
        let work = Work::new(
            "view_register_entry",
            "see an alternative-provision placement",
        );
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), Needs::Register(PLACEMENTS), work, now)
            .await?
        else {
            return Ok(None);
        };
        let tenant = &who.tenant;
        let found = in_gate!(g, [registers as r, work as w], tx => {
            match r::entry(tx, tenant, PLACEMENTS.as_str(), id).await? {
                Some(row) => {
                    let facts = r::facts_of(tx, tenant, id).await?;
                    let names: BTreeMap<Uuid, RegisterChild> = r::name_of(tx, tenant, row.person_id)
                        .await?
                        .into_iter()
                        .map(|n| (n.person_id, n.into()))
                        .collect();
                    let exclusion_rows = r::entries(tx, tenant, Register::Exclusions.as_str(), Which::All(None)).await?;
                    let owners = w::owners(tx, tenant).await?;
                    assemble(vec![row], facts, names, &exclusions_by_person(&exclusion_rows), owners, day).pop()
                }
                None => None,
            }
        });
        crate::not_in_school::finish_entry(g, PLACEMENTS, id, found.as_ref().map(|e| e.person))
            .await?;
        Ok(found)
    }

    /// Adds a placement by hand for `person`, starting on `starts_on` with `details` (a
    /// [`PlacementFact::Details`]). When it follows an open exclusion on the register and
    /// gives its hours, it is recorded there as the offer too (if that register's rules
    /// accept it). The keepers only; audited either way. Returns the new placement's id.
    pub async fn add_placement(
        &self,
        who: &Principal,
        person: PersonId,
        starts_on: Date,
        details: PlacementFact,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Result<Uuid, RegisterRefusal>, StoreError> {
        let work = Work::new(
            "register_add_entry",
            "add an alternative-provision placement",
        );
        let Some(mut g) = self
            .gate(Actor::Staff(who), Needs::Register(PLACEMENTS), work, now)
            .await?
        else {
            return Ok(Err(RegisterRefusal::NotAllowed));
        };
        let action = "add_placement";
        if self.policy.register_access(who, PLACEMENTS) != Some(RegisterAccess::Keep) {
            let refusal = Err(RegisterRefusal::NotAllowed);
            crate::not_in_school::finish_write(g, PLACEMENTS, None, action, person, &refusal)
                .await?;
            return Ok(refusal);
        }
        let PlacementFact::Details {
            provider, hours, ..
        } = &details
        else {
            return Err(StoreError::Corrupt(
                "a placement opens with its details".into(),
            ));
        };
        if let Err(refusal) = Placement::new(starts_on, details.clone()).check(&details, day.today)
        {
            let refusal = Err(RegisterRefusal::Invalid(refusal));
            crate::not_in_school::finish_write(g, PLACEMENTS, None, action, person, &refusal)
                .await?;
            return Ok(refusal);
        }
        let id = Uuid::now_v7();
        let tenant = &who.tenant;
        let text =
            serde_json::to_string(&details).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let offer = hours.map(|hours| ExclusionFact::Offer {
            provider: provider.clone(),
            hours,
            starts_on,
            placement: Some(format!("placement/{id}")),
        });
        in_gate!(g, [registers as r, case_events as c], tx => {
            r::insert_entry(tx, tenant, &r::NewEntry {
                id,
                register: PLACEMENTS.as_str(),
                person: person.0,
                agency: None,
                first_day: starts_on,
                source_key: None,
                opened_by: Some(who.user.0),
            }, now).await?;
            r::insert_fact(tx, tenant, id, &text, details.lifecycle(), Some(who.user.0), now).await?;
            let mut history = vec![NewCaseEvent {
                person,
                workflow: WORKFLOW,
                record: id,
                action: "opened".into(),
                at: now,
                by: Some(who.user),
                detail: serde_json::json!({ "from": "hand" }).to_string(),
            }];
            // The offer on the exclusion it follows, as the feed's placements are.
            let exclusion_rows = r::entries(tx, tenant, Register::Exclusions.as_str(), Which::All(None)).await?;
            if let Some(offer) = &offer
                && let Some((first_day, entry)) = followed(exclusions_by_person(&exclusion_rows).get(&person.0), starts_on)
            {
                let facts = r::facts_of(tx, tenant, entry).await?;
                let case = ExclusionCase {
                    first_day,
                    facts: facts.iter().filter_map(|f| serde_json::from_str(&f.fact).ok()).collect(),
                };
                if case.check(offer, day.calendar, day.today).is_ok() {
                    let offer_text = serde_json::to_string(offer).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    r::insert_fact(tx, tenant, entry, &offer_text, offer.lifecycle(), Some(who.user.0), now).await?;
                    history.push(NewCaseEvent {
                        person,
                        workflow: crate::registers::WORKFLOW,
                        record: entry,
                        action: "offer".into(),
                        at: now,
                        by: Some(who.user),
                        detail: serde_json::json!({ "from": "placement", "placement": id }).to_string(),
                    });
                }
            }
            c::append(tx, tenant, &history).await?;
        });
        let outcome = Ok(id);
        crate::not_in_school::finish_write(g, PLACEMENTS, Some(id), action, person, &outcome)
            .await?;
        Ok(outcome)
    }

    /// Records `fact` on a placement, if its rules accept it today (a refusal names the form
    /// field). The keepers only; audited either way.
    pub async fn record_on_placement(
        &self,
        who: &Principal,
        id: Uuid,
        fact: &PlacementFact,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Result<(), RegisterRefusal>, StoreError> {
        let work = Work::new(
            "register_record",
            "record on an alternative-provision placement",
        );
        let Some(g) = self
            .gate(Actor::Staff(who), Needs::Register(PLACEMENTS), work, now)
            .await?
        else {
            return Ok(Err(RegisterRefusal::NotAllowed));
        };
        let kind = fact.kind();
        if self.policy.register_access(who, PLACEMENTS) != Some(RegisterAccess::Keep) {
            return crate::not_in_school::finish_record(
                g,
                PLACEMENTS,
                id,
                kind,
                Err(RegisterRefusal::NotAllowed),
            )
            .await;
        }
        let mut g = g;
        let tenant = &who.tenant;
        let text = serde_json::to_string(fact).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let outcome = in_gate!(g, [registers as r, case_events as c], tx => {
            match r::entry(tx, tenant, PLACEMENTS.as_str(), id).await? {
                None => Err(RegisterRefusal::NotFound),
                Some(row) => {
                    let facts = r::facts_of(tx, tenant, id).await?;
                    let placement = Placement {
                        starts_on: row.first_day,
                        facts: facts.iter().filter_map(|f| serde_json::from_str(&f.fact).ok()).collect(),
                    };
                    match placement.check(fact, day.today) {
                        Err(refusal) => Err(RegisterRefusal::Invalid(refusal)),
                        Ok(()) => {
                            r::insert_fact(tx, tenant, id, &text, fact.lifecycle(), Some(who.user.0), now).await?;
                            c::append(tx, tenant, &[NewCaseEvent {
                                person: PersonId(row.person_id),
                                workflow: WORKFLOW,
                                record: id,
                                action: kind.into(),
                                at: now,
                                by: Some(who.user),
                                detail: "{}".into(),
                            }]).await?;
                            Ok(PersonId(row.person_id))
                        }
                    }
                }
            }
        });
        crate::not_in_school::finish_record(g, PLACEMENTS, id, kind, outcome).await
    }

    /// Every running placement with where it stands, unnamed and not linked to its
    /// exclusion, read in `g` (whose caller has already decided what the reader may be
    /// told): for the work queue's tasks, which ended placements do not have.
    pub(crate) async fn placement_entries_inside(
        &self,
        g: Guarded,
        tenant: &TenantCode,
        day: RegisterDay<'_>,
    ) -> Result<(Guarded, Vec<PlacementEntry>), StoreError> {
        let (g, register) = self
            .read_placements(g, tenant, Which::Open, None, false, Names::Later, day)
            .await?;
        Ok((g, register.entries))
    }
}

/// The open entries of the exclusions register, as (child, entry).
fn open_exclusions(rows: &[EntryRow], facts: Vec<FactRow>) -> Vec<(Uuid, Uuid)> {
    let mut facts_of: BTreeMap<Uuid, Vec<ExclusionFact>> = BTreeMap::new();
    for f in facts {
        if let Ok(fact) = serde_json::from_str::<ExclusionFact>(&f.fact) {
            facts_of.entry(f.entry_id).or_default().push(fact);
        }
    }
    rows.iter()
        .filter(|row| {
            let case = ExclusionCase {
                first_day: row.first_day,
                facts: facts_of.remove(&row.id).unwrap_or_default(),
            };
            !case.is_closed()
        })
        .map(|row| (row.person_id, row.id))
        .collect()
}
