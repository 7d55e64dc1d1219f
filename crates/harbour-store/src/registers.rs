//! The council's registers, stored: entries and their facts, through the gate. What the facts
//! mean (clocks, states, tasks, figures, what may be recorded) is decided in
//! `harbour-casework`; this module keeps them and applies its answers.
//!
//! Access is the policy's `[registers]` section: a register's keepers see every entry and
//! record on them; roles listed under `own_agency` see, read only, the entries that name their
//! agency (a school: the children it excluded); everyone else is refused at the gate and the
//! refusal audited. Every read names the children shown as its audit subjects; every fact
//! recorded is audited with the entry and the kind of fact (never its free text) and added to
//! the child's workflow history (`case_events`).

use crate::StoreError;
use crate::case_events::NewCaseEvent;
use crate::gate::{Actor, Guarded, Needs, Work};
use crate::register_feed::{Opening, RegisterFeed};
use crate::store::Store;
use crate::work::{Owner, OwnerRow};
use harbour_casework::exclusions::{
    Assessment, Entry, Fact, Figures, Refusal, ReportedPlacement, Settings, Status,
};
use harbour_casework::hours::Hours;
use harbour_domain::{AgencyId, EventKind, PersonId, TenantCode};
use harbour_policy::{Principal, Register, RegisterAccess};
use harbour_rules::calendar::Calendar;
use serde::Serialize;
use sqlx::FromRow;
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

const EXCLUSIONS: Register = Register::Exclusions;
pub(crate) const WORKFLOW: &str = "exclusions_register";

/// Which child an entry is about, for those entitled to see the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterChild {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
}

/// A fact as recorded: what, when and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedFact<F = Fact> {
    pub fact: F,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// The member of staff's name; `None` for Harbour itself.
    pub recorded_by: Option<String>,
}

/// One entry of the permanent exclusions register, with where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExclusionEntry {
    pub id: Uuid,
    pub person: PersonId,
    pub child: Option<RegisterChild>,
    /// The excluding school.
    pub school: Option<AgencyId>,
    pub school_name: Option<String>,
    pub first_day: Date,
    /// Opened from a feed's permanent exclusion (rather than by hand).
    pub from_feed: bool,
    /// The key of the feed's event it was opened from (the excluding agency's own key), if
    /// from a feed. Not in the pages' or the API's JSON.
    #[serde(skip)]
    pub source_key: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub history: Vec<RecordedFact>,
    pub assessment: Assessment,
    /// The colleague the entry's tasks are assigned to in "My work" (its latest assignment),
    /// if anyone.
    pub owner: Option<Owner>,
}

/// The register as one reader may see it, with its figures over those entries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExclusionsRegister {
    pub entries: Vec<ExclusionEntry>,
    pub figures: Figures,
    /// Whether the reader keeps the register (may record) or sees their agency's entries.
    pub may_record: bool,
}

/// Why a change to a register was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterRefusal {
    #[error("your role cannot record on this register")]
    NotAllowed,
    #[error("there is no such entry")]
    NotFound,
    #[error("{0}")]
    Invalid(Refusal),
}

/// Whether a read of a register names its children. A list does; the work queue reads every
/// open entry for its tasks but shows a page of them, and names only that page
/// (`Store::name_children`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Names {
    Read,
    Later,
}

/// What a read needs to work out where each entry stands.
#[derive(Debug, Clone, Copy)]
pub struct RegisterDay<'a> {
    pub calendar: &'a Calendar,
    pub settings: Settings,
    /// The day in the council's time zone (Europe/London), for the clocks.
    pub today: Date,
}

// Rows as the backends read them (one definition for both: FromRow is generic over the
// database).

/// An event the registers act on (see `backend/registers.rs`, `events_of_kind`).
#[derive(Debug, FromRow)]
pub(crate) struct FeedEventRow {
    pub person_id: Uuid,
    pub agency_id: Uuid,
    pub record_key: String,
    pub occurred_on: Date,
    pub details: String,
    pub summary: String,
}

/// The provider a placement is recorded with when the feed's row does not name one.
pub(crate) const UNNAMED_PROVIDER: &str = "Alternative provision (provider not named in the feed)";

impl FeedEventRow {
    /// The event's identity across agencies (record keys are each agency's own), as a fact
    /// recorded from it keeps it.
    pub(crate) fn key(&self) -> String {
        format!("{}/{}", self.agency_id, self.record_key)
    }

    /// What an `ap_placement` row's optional details say: its provider (or
    /// [`UNNAMED_PROVIDER`]) and its hours a week, when given and more than none. One reading
    /// for the exclusions register's offers and the placements.
    pub(crate) fn placement_details(&self) -> (String, Option<Hours>) {
        let details: serde_json::Value = serde_json::from_str(&self.details).unwrap_or_default();
        let provider = details
            .get("provider")
            .and_then(|v| v.as_str())
            .filter(|p| !p.trim().is_empty())
            .unwrap_or(UNNAMED_PROVIDER);
        let hours = details
            .get("hours_per_week")
            .and_then(serde_json::Value::as_f64)
            .and_then(|h| Hours::parse(&h.to_string()).ok())
            .filter(|h| h.tenths() > 0);
        (provider.to_owned(), hours)
    }
}

#[derive(Debug, FromRow)]
pub(crate) struct EntryRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub agency_id: Option<Uuid>,
    pub agency_name: Option<String>,
    pub first_day: Date,
    pub source_key: Option<String>,
    pub opened_at: OffsetDateTime,
}

/// Which entries a read of a register gives back to its reader; its figures count every
/// entry read. The audit names the children given back: an entry counted only in a figure is
/// not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Given {
    All,
    Open,
}

/// Which entries of a register a read gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    /// Every entry, or only those naming the agency.
    All(Option<Uuid>),
    /// The open entries (`register_entries.is_open`, kept by each fact's
    /// [`harbour_casework::Lifecycle`]): the work queue's, as a closed entry has no tasks.
    Open,
}

#[derive(Debug, FromRow)]
pub(crate) struct FactRow {
    pub entry_id: Uuid,
    pub fact: String,
    pub recorded_at: OffsetDateTime,
    pub recorded_by_name: Option<String>,
}

/// The child's name as the excluding school's record (or, for an entry added by hand, the
/// most recent record) gives it: for the register's keepers, who are entitled to know which
/// child is on it.
#[derive(Debug, FromRow)]
pub(crate) struct NameRow {
    pub person_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
}

impl From<NameRow> for RegisterChild {
    fn from(n: NameRow) -> Self {
        Self {
            given_name: n.given_name,
            family_name: n.family_name,
            date_of_birth: n.date_of_birth,
        }
    }
}

/// The first name row of each child (the rows come most recent record first).
pub(crate) fn first_names(names: Vec<NameRow>) -> BTreeMap<Uuid, RegisterChild> {
    let mut first = BTreeMap::new();
    for n in names {
        first.entry(n.person_id).or_insert_with(|| n.into());
    }
    first
}

/// Builds the register's entries from its rows, facts and names.
fn assemble(
    rows: Vec<EntryRow>,
    facts: Vec<FactRow>,
    names: BTreeMap<Uuid, RegisterChild>,
    day: RegisterDay<'_>,
) -> Vec<ExclusionEntry> {
    let mut by_entry: BTreeMap<Uuid, Vec<RecordedFact>> = BTreeMap::new();
    for f in facts {
        // A fact that no longer reads (written by a newer Harbour) is left out rather than
        // failing the whole register.
        let Ok(fact) = serde_json::from_str::<Fact>(&f.fact) else {
            tracing::warn!(entry = %f.entry_id, "a register fact could not be read");
            continue;
        };
        by_entry.entry(f.entry_id).or_default().push(RecordedFact {
            fact,
            recorded_at: f.recorded_at,
            recorded_by: f.recorded_by_name,
        });
    }
    rows.into_iter()
        .map(|row| {
            let history = by_entry.remove(&row.id).unwrap_or_default();
            let entry = Entry {
                first_day: row.first_day,
                facts: history.iter().map(|f| f.fact.clone()).collect(),
            };
            ExclusionEntry {
                id: row.id,
                person: PersonId(row.person_id),
                child: names.get(&row.person_id).cloned(),
                school: row.agency_id.map(AgencyId),
                school_name: row.agency_name,
                first_day: row.first_day,
                from_feed: row.source_key.is_some(),
                source_key: row.source_key,
                opened_at: row.opened_at,
                assessment: entry.assess(day.calendar, &day.settings, day.today),
                owner: None,
                history,
            }
        })
        .collect()
}

/// The offers the authority's `placements` add to the register's entries (`rows`, with their
/// `facts`), as (entry, child, fact): each child's placements go to the entry of the latest
/// exclusion on or before them (`Entry::offers_from_feed`), up to `today` (an offer starts
/// on or after the exclusion by construction). A placement without its hours (a feed that
/// does not send the optional column) gives none: the timeline still shows it.
fn offers_from_placements(
    rows: &[EntryRow],
    facts: Vec<FactRow>,
    placements: &[FeedEventRow],
    today: Date,
) -> Vec<(Uuid, Uuid, Fact)> {
    let mut facts_of: BTreeMap<Uuid, Vec<Fact>> = BTreeMap::new();
    for f in facts {
        if let Ok(fact) = serde_json::from_str::<Fact>(&f.fact) {
            facts_of.entry(f.entry_id).or_default().push(fact);
        }
    }
    let mut by_person: BTreeMap<Uuid, Vec<&EntryRow>> = BTreeMap::new();
    for row in rows {
        by_person.entry(row.person_id).or_default().push(row);
    }
    let mut out = Vec::new();
    for (person, mut entries) in by_person {
        let theirs: Vec<ReportedPlacement> = placements
            .iter()
            .filter(|p| p.person_id == person && p.occurred_on <= today)
            .filter_map(|p| {
                let (provider, hours) = p.placement_details();
                Some(ReportedPlacement {
                    on: p.occurred_on,
                    key: p.key(),
                    provider,
                    hours: hours?,
                })
            })
            .collect();
        if theirs.is_empty() {
            continue;
        }
        entries.sort_by_key(|e| (e.first_day, e.id));
        for (i, row) in entries.iter().enumerate() {
            let until = entries.get(i + 1).map(|next| next.first_day);
            let entry = Entry {
                first_day: row.first_day,
                facts: facts_of.remove(&row.id).unwrap_or_default(),
            };
            for fact in entry.offers_from_feed(&theirs, until) {
                out.push((row.id, person, fact));
            }
        }
    }
    out
}

impl Store {
    /// Opens an entry for every permanent exclusion a feed has sent that is not on the
    /// register yet (a corrected exclusion, re-sent under the same key, is the same entry).
    /// Harbour's own work, after imports (the pipeline runs it in
    /// [`Store::open_register_entries`] with the other registers); returns how many entries
    /// it opened.
    pub async fn open_exclusion_entries(
        &self,
        tenant: &TenantCode,
        now: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        let work = Work::new(
            "register_open_from_feeds",
            "open register entries for permanent exclusions the feeds sent",
        );
        let mut g = self.service_gate(tenant, None, work, now).await?;
        let feed = self.register_feed(&mut g, tenant).await?;
        let opening = self
            .open_exclusions_inside(&mut g, tenant, &feed, now)
            .await?;
        let (opened, offered) = opening.counts;
        g.entry.set_subjects(opening.subjects);
        g.entry.detail = serde_json::json!({
            "register": EXCLUSIONS.as_str(),
            "opened": opened,
            "offers_from_feed": offered,
        })
        .to_string();
        g.commit().await?;
        Ok(opened)
    }

    /// The exclusions register's part of the register step, in `g`: an entry for each
    /// permanent exclusion of `feed` not on the register, then the offers the authority's
    /// placements make. Counts (entries opened, offers recorded).
    pub(crate) async fn open_exclusions_inside(
        &self,
        g: &mut Guarded,
        tenant: &TenantCode,
        feed: &RegisterFeed,
        now: OffsetDateTime,
    ) -> Result<Opening<(usize, usize)>, StoreError> {
        let known = self.source_keys(g, tenant, EXCLUSIONS).await?;
        let candidates = feed.not_on(EventKind::PermanentExclusion, &known);
        in_gate!(g, [registers as r, case_events as c], tx => {
            let mut history = Vec::new();
            let mut entries = Vec::new();
            for candidate in &candidates {
                let id = Uuid::now_v7();
                entries.push(r::NewEntry {
                    id,
                    register: EXCLUSIONS.as_str(),
                    person: candidate.person_id,
                    agency: Some(candidate.agency_id),
                    first_day: candidate.occurred_on,
                    source_key: Some(&candidate.record_key),
                    opened_by: None,
                });
                history.push(NewCaseEvent {
                    person: PersonId(candidate.person_id),
                    workflow: WORKFLOW,
                    record: id,
                    action: "opened".into(),
                    at: now,
                    by: None,
                    detail: serde_json::json!({ "from": "feed" }).to_string(),
                });
            }
            r::insert_entries(tx, tenant, &entries, now).await?;
            let mut subjects: Vec<PersonId> = candidates.iter().map(|c| PersonId(c.person_id)).collect();

            // The authority's alternative-provision placements are the offers it made: each is
            // recorded, once, on the entry of the exclusion it follows, as Harbour's record of
            // the feed.
            let today = harbour_domain::london_today(now);
            let placements = feed.of(EventKind::AlternativeProvision);
            let mut offered = 0;
            if !placements.is_empty() {
                let rows = r::entries(tx, tenant, EXCLUSIONS.as_str(), Which::All(None)).await?;
                let facts = r::facts(tx, tenant, EXCLUSIONS.as_str(), Which::All(None)).await?;
                let mut offers = Vec::new();
                for (entry, person, fact) in offers_from_placements(&rows, facts, placements, today) {
                    let text = serde_json::to_string(&fact).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    offers.push(r::NewFact { entry, fact: text, lifecycle: fact.lifecycle(), by: None });
                    history.push(NewCaseEvent {
                        person: PersonId(person),
                        workflow: WORKFLOW,
                        record: entry,
                        action: fact_kind(&fact).into(),
                        at: now,
                        by: None,
                        detail: serde_json::json!({ "from": "feed" }).to_string(),
                    });
                    subjects.push(PersonId(person));
                    offered += 1;
                }
                r::insert_facts(tx, tenant, &offers, now).await?;
            }
            c::append(tx, tenant, &history).await?;
            Ok(Opening { subjects, counts: (candidates.len(), offered) })
        })
    }

    /// The permanent exclusions register as `who` may see it, or `None` if their roles open
    /// none of it (refused and audited). Audited naming every child shown.
    pub async fn exclusions_register(
        &self,
        who: &Principal,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<ExclusionsRegister>, StoreError> {
        let work = Work::new("view_register", "see the permanent exclusions register");
        self.exclusions_register_as(who, day, work, Given::All, now)
            .await
    }

    /// As [`Store::exclusions_register`], giving back only the open entries, with the
    /// figures of the whole register: the list page's first view (most of the register is
    /// closed entries). Audited naming the children of the open entries.
    pub async fn exclusions_register_open(
        &self,
        who: &Principal,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<ExclusionsRegister>, StoreError> {
        let work = Work::new("view_register", "see the permanent exclusions register");
        self.exclusions_register_as(who, day, work, Given::Open, now)
            .await
    }

    /// The register as `who` may see it, for a download (CSV or XLSX): the same entries as
    /// [`Store::exclusions_register`], audited as an export naming every child.
    pub async fn exclusions_register_export(
        &self,
        who: &Principal,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<ExclusionsRegister>, StoreError> {
        let work = Work::new(
            "export_register",
            "download the permanent exclusions register",
        );
        self.exclusions_register_as(who, day, work, Given::All, now)
            .await
    }

    /// The register as `who` may see it, read and audited as `work` (a view or an export:
    /// the entries are the same, only the audit's action differs), giving back the entries
    /// `given` picks, named, with the figures of every entry read.
    async fn exclusions_register_as(
        &self,
        who: &Principal,
        day: RegisterDay<'_>,
        work: Work,
        given: Given,
        now: OffsetDateTime,
    ) -> Result<Option<ExclusionsRegister>, StoreError> {
        let Some(g) = self
            .gate_read(Actor::Staff(who), Needs::Register(EXCLUSIONS), work, now)
            .await?
        else {
            return Ok(None);
        };
        // The gate let them in, so the policy gives them some access; the narrower reading
        // is the safe one should it ever not.
        let access = self
            .policy
            .register_access(who, EXCLUSIONS)
            .unwrap_or(RegisterAccess::OwnAgency);
        let agency = (access == RegisterAccess::OwnAgency).then_some(who.agency.0);
        let (mut g, mut entries) = self
            .read_register(g, &who.tenant, Which::All(agency), Names::Later, day)
            .await?;
        let figures = Figures::of(entries.iter().map(|e| &e.assessment), day.today);
        if given == Given::Open {
            entries.retain(|e| e.assessment.status == Status::Open);
        }
        let persons: Vec<Uuid> = entries.iter().map(|e| e.person.0).collect();
        let names = in_gate!(g, registers as r, tx => first_names(r::names_of(tx, &who.tenant, &persons).await?));
        for e in &mut entries {
            e.child = names.get(&e.person.0).cloned();
        }
        finish_read(g, &entries).await?;
        Ok(Some(ExclusionsRegister {
            figures,
            entries,
            may_record: access == RegisterAccess::Keep,
        }))
    }

    /// The whole register of `tenant`, for `harbour report exclusions` at the command line
    /// (Harbour's own work: audited as such, naming every child).
    pub async fn exclusions_register_report(
        &self,
        tenant: &TenantCode,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<ExclusionsRegister, StoreError> {
        let work = Work::new(
            "report_register",
            "report on the permanent exclusions register",
        );
        let g = self.service_read(tenant, None, work, now).await?;
        let (g, entries) = self
            .read_register(g, tenant, Which::All(None), Names::Read, day)
            .await?;
        finish_read(g, &entries).await?;
        Ok(ExclusionsRegister {
            figures: Figures::of(entries.iter().map(|e| &e.assessment), day.today),
            entries,
            may_record: false,
        })
    }

    async fn read_register(
        &self,
        mut g: Guarded,
        tenant: &TenantCode,
        which: Which,
        names: Names,
        day: RegisterDay<'_>,
    ) -> Result<(Guarded, Vec<ExclusionEntry>), StoreError> {
        let entries = in_gate!(g, [registers as r, work as w], tx => {
            let rows = r::entries(tx, tenant, EXCLUSIONS.as_str(), which).await?;
            let facts = r::facts(tx, tenant, EXCLUSIONS.as_str(), which).await?;
            // Named from the rows: each row already says which child its entry is now about.
            let names = match names {
                Names::Read => {
                    let persons: Vec<Uuid> = rows.iter().map(|row| row.person_id).collect();
                    r::names_of(tx, tenant, &persons).await?
                }
                Names::Later => Vec::new(),
            };
            let owners = w::owners(tx, tenant).await?;
            with_owners(assemble(rows, facts, first_names(names), day), owners)
        });
        Ok((g, entries))
    }

    /// One entry, if `who` may see it: for a reader limited to their agency, an entry of
    /// another agency is answered as missing (as for any record they may not open).
    pub async fn exclusion_entry(
        &self,
        who: &Principal,
        id: Uuid,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<ExclusionEntry>, StoreError> {
        let work = Work::new(
            "view_register_entry",
            "see a permanent exclusions register entry",
        );
        let access = self.policy.register_access(who, EXCLUSIONS);
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), Needs::Register(EXCLUSIONS), work, now)
            .await?
        else {
            return Ok(None);
        };
        let tenant = &who.tenant;
        let found = in_gate!(g, [registers as r, work as w], tx => {
            match r::entry(tx, tenant, EXCLUSIONS.as_str(), id).await? {
                Some(row) if access == Some(RegisterAccess::Keep)
                    || row.agency_id == Some(who.agency.0) => {
                    let facts = r::facts_of(tx, tenant, id).await?;
                    let names: BTreeMap<Uuid, RegisterChild> = r::name_of(tx, tenant, row.person_id)
                        .await?
                        .into_iter()
                        .map(|n| (n.person_id, n.into()))
                        .collect();
                    let owners = w::owners(tx, tenant).await?;
                    with_owners(assemble(vec![row], facts, names, day), owners).pop()
                }
                _ => None,
            }
        });
        match found {
            Some(entry) => {
                g.entry.set_subjects([entry.person]);
                g.entry.detail =
                    serde_json::json!({ "register": EXCLUSIONS.as_str(), "entry": id }).to_string();
                g.commit().await?;
                Ok(Some(entry))
            }
            None => {
                g.refuse(Some(serde_json::json!({ "register": EXCLUSIONS.as_str(), "entry": id, "refused": "not found" }).to_string())).await?;
                Ok(None)
            }
        }
    }

    /// Adds an entry by hand (a permanent exclusion no feed has sent): the register's keepers
    /// only. Returns the new entry's id.
    pub async fn add_exclusion_entry(
        &self,
        who: &Principal,
        person: PersonId,
        school: Option<AgencyId>,
        first_day: Date,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<Result<Uuid, RegisterRefusal>, StoreError> {
        let work = Work::new(
            "register_add_entry",
            "add a permanent exclusion to the register",
        );
        let Some(mut g) = self
            .gate(Actor::Staff(who), Needs::Register(EXCLUSIONS), work, now)
            .await?
        else {
            return Ok(Err(RegisterRefusal::NotAllowed));
        };
        if self.policy.register_access(who, EXCLUSIONS) != Some(RegisterAccess::Keep) {
            g.refuse(Some(r#"{"refused":"read only"}"#.into())).await?;
            return Ok(Err(RegisterRefusal::NotAllowed));
        }
        if first_day > today {
            g.refuse(Some(r#"{"refused":"future first day"}"#.into()))
                .await?;
            return Ok(Err(RegisterRefusal::Invalid(Refusal {
                field: "first_day",
                message: "The first day of the exclusion cannot be in the future".into(),
            })));
        }
        let id = Uuid::now_v7();
        let tenant = &who.tenant;
        in_gate!(g, [registers as r, case_events as c], tx => {
            r::insert_entry(tx, tenant, &r::NewEntry {
                id,
                register: EXCLUSIONS.as_str(),
                person: person.0,
                agency: school.map(|s| s.0),
                first_day,
                source_key: None,
                opened_by: Some(who.user.0),
            }, now).await?;
            c::append(tx, tenant, &[NewCaseEvent {
                person,
                workflow: WORKFLOW,
                record: id,
                action: "opened".into(),
                at: now,
                by: Some(who.user),
                detail: serde_json::json!({ "from": "hand" }).to_string(),
            }]).await?;
        });
        g.entry.set_subjects([person]);
        g.entry.detail =
            serde_json::json!({ "register": EXCLUSIONS.as_str(), "entry": id }).to_string();
        g.commit().await?;
        Ok(Ok(id))
    }

    /// Records `fact` on an entry, if the register's rules accept it on `day` (a refusal
    /// names the form field). The register's keepers only; audited either way.
    pub async fn record_on_exclusion(
        &self,
        who: &Principal,
        id: Uuid,
        fact: &Fact,
        day: RegisterDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Result<(), RegisterRefusal>, StoreError> {
        let work = Work::new(
            "register_record",
            "record on the permanent exclusions register",
        );
        let Some(mut g) = self
            .gate(Actor::Staff(who), Needs::Register(EXCLUSIONS), work, now)
            .await?
        else {
            return Ok(Err(RegisterRefusal::NotAllowed));
        };
        let kind = fact_kind(fact);
        if self.policy.register_access(who, EXCLUSIONS) != Some(RegisterAccess::Keep) {
            g.refuse(Some(
                serde_json::json!({ "entry": id, "fact": kind, "refused": "read only" })
                    .to_string(),
            ))
            .await?;
            return Ok(Err(RegisterRefusal::NotAllowed));
        }
        let tenant = &who.tenant;
        let text = serde_json::to_string(fact).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let outcome = in_gate!(g, [registers as r, case_events as c], tx => {
            match r::entry(tx, tenant, EXCLUSIONS.as_str(), id).await? {
                None => Err(RegisterRefusal::NotFound),
                Some(row) => {
                    let facts = r::facts_of(tx, tenant, id).await?;
                    let entry = Entry {
                        first_day: row.first_day,
                        facts: facts.iter().filter_map(|f| serde_json::from_str(&f.fact).ok()).collect(),
                    };
                    match entry.check(fact, day.calendar, day.today) {
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
                            g.entry.set_subjects([PersonId(row.person_id)]);
                            Ok(())
                        }
                    }
                }
            }
        });
        let detail = |refused: Option<String>| {
            serde_json::json!({ "register": EXCLUSIONS.as_str(), "entry": id, "fact": kind, "refused": refused }).to_string()
        };
        match &outcome {
            Ok(()) => {
                g.entry.detail = detail(None);
                g.commit().await?;
            }
            Err(refusal) => g.refuse(Some(detail(Some(refusal.to_string())))).await?,
        }
        Ok(outcome)
    }

    /// The names of `persons` as the registers give them (each child's most recent record),
    /// read in `g`, for the few children a page of the work queue shows.
    pub(crate) async fn name_children(
        &self,
        g: &mut Guarded,
        tenant: &TenantCode,
        persons: &[Uuid],
    ) -> Result<BTreeMap<Uuid, RegisterChild>, StoreError> {
        if persons.is_empty() {
            return Ok(BTreeMap::new());
        }
        let mut persons = persons.to_vec();
        persons.sort_unstable();
        persons.dedup();
        in_gate!(g, registers as r, tx => {
            Ok(first_names(r::names_of(tx, tenant, &persons).await?))
        })
    }

    /// The entries `which` picks with where each stands, unnamed, read in `g` (whose caller
    /// has already decided what the reader may be told): the open ones for the work queue's
    /// tasks (a closed entry has none), all of them for the rules' clocks (a clock missed
    /// before the entry closed is still history).
    pub(crate) async fn exclusion_entries_inside(
        &self,
        g: Guarded,
        tenant: &TenantCode,
        which: Which,
        day: RegisterDay<'_>,
    ) -> Result<(Guarded, Vec<ExclusionEntry>), StoreError> {
        self.read_register(g, tenant, which, Names::Later, day)
            .await
    }
}

/// Each entry with its owner: the latest assignment of the register's workflow naming it
/// (`owners` holds every workflow's; the work queue assigns, this register only reads).
fn with_owners(mut entries: Vec<ExclusionEntry>, owners: Vec<OwnerRow>) -> Vec<ExclusionEntry> {
    let by_record = crate::work::owners_of(WORKFLOW, owners);
    for entry in &mut entries {
        entry.owner = by_record.get(&entry.id).cloned();
    }
    entries
}

/// The kind of a fact, for the audit and the history: never its free text.
fn fact_kind(fact: &Fact) -> &'static str {
    match fact {
        Fact::BoardDecision { .. } => "board_decision",
        Fact::ReviewApplied { .. } => "review_applied",
        Fact::ReviewHearing { .. } => "review_hearing",
        Fact::Offer { .. } => "offer",
        Fact::Attended { .. } => "attended",
        Fact::Review { .. } => "review",
        Fact::Closed { .. } => "closed",
        Fact::Reopened { .. } => "reopened",
    }
}

async fn finish_read(mut g: Guarded, entries: &[ExclusionEntry]) -> Result<(), StoreError> {
    g.entry.set_subjects(entries.iter().map(|e| e.person));
    g.entry.detail =
        serde_json::json!({ "register": EXCLUSIONS.as_str(), "entries": entries.len() })
            .to_string();
    g.commit().await
}
