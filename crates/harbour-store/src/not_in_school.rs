//! The children not in school register, stored: elective home education and children missing
//! education, through the gate. The entries and facts live in the registers' tables
//! (`register_entries`, `register_facts`) under the register names `home_education` and
//! `missing_education`; what they mean (consent, clocks, tasks, figures, what may be recorded)
//! is decided in `harbour_casework::not_in_school`.
//!
//! Entries open from the feeds: one per EHE registration and one per CME episode the local
//! authority's education feed sends, and one per roll deletion a school says went to an
//! unknown destination (unless the child already has an episode of the same spell). Whether a
//! home-education registration needs the authority's s.434A consent is worked out, each time it
//! is read, from the child's timeline on the registration's first day (a special school's roll,
//! a child protection plan): a feed's registration for such a child still opens, flagged, with
//! its consent task; one added or recorded by hand needs the decision first.
//!
//! Access is the policy's `[registers.home_education]` and `[registers.missing_education]`;
//! every read names the children shown, every fact is audited by kind (never its free text) and
//! added to the child's workflow history (`case_events`).

use crate::StoreError;
use crate::case_events::NewCaseEvent;
use crate::gate::{Actor, Guarded, Needs, Work};
use crate::register_feed::{Opening, RegisterFeed};
use crate::registers::{
    EntryRow, FactRow, FeedEventRow, Given, RecordedFact, RegisterChild, RegisterRefusal, Which,
    first_names,
};
use crate::store::Store;
use harbour_casework::Lifecycle;
use harbour_casework::exclusions::Refusal;
use harbour_casework::not_in_school::{
    ChildCircumstances, CmeAssessment, CmeClosure, CmeEpisode, CmeFact, EheAssessment, EheCase,
    EheClosure, EheFact, EntryForEnds, Figures, Mark, Registration, ReportedEnd, Settings,
    cme_for_ends, ehe_for_ends, ends_to_apply, leaving_opens_episode, same_spell,
};
use harbour_domain::{AgencyId, EventKind, PersonId, TenantCode};
use harbour_policy::{Principal, Register, RegisterAccess};
use harbour_rules::calendar::Calendar;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::FromRow;
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

const EHE: Register = Register::HomeEducation;
const CME: Register = Register::MissingEducation;
const EHE_WORKFLOW: &str = "home_education_register";
const CME_WORKFLOW: &str = "missing_education_register";

/// What a read needs to work out where each entry stands.
#[derive(Debug, Clone, Copy)]
pub struct NotInSchoolDay<'a> {
    pub calendar: &'a Calendar,
    pub settings: Settings,
    /// The day in the council's time zone (Europe/London), for the clocks.
    pub today: Date,
}

/// One home-education registration, with where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HomeEducationEntry {
    pub id: Uuid,
    pub person: PersonId,
    pub child: Option<RegisterChild>,
    /// The agency whose feed registered it (the local authority), if from a feed.
    pub agency: Option<AgencyId>,
    pub agency_name: Option<String>,
    pub first_day: Date,
    pub from_feed: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// What the child's timeline showed on the first day (for the s.434A consent gate).
    pub circumstances: ChildCircumstances,
    pub history: Vec<RecordedFact<EheFact>>,
    pub assessment: EheAssessment,
}

/// One missing-education episode, with where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingEducationEntry {
    pub id: Uuid,
    pub person: PersonId,
    pub child: Option<RegisterChild>,
    /// The agency whose feed opened it: the local authority, or the school that deleted the
    /// child from its roll.
    pub agency: Option<AgencyId>,
    pub agency_name: Option<String>,
    pub first_day: Date,
    pub from_feed: bool,
    /// The key of the feed's event it was opened from (that agency's own key), if from a
    /// feed. Not in the pages' or the API's JSON.
    #[serde(skip)]
    pub source_key: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub history: Vec<RecordedFact<CmeFact>>,
    pub assessment: CmeAssessment,
}

/// The register as one reader may see it, with its figures over those entries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotInSchoolRegister {
    pub home_education: Vec<HomeEducationEntry>,
    pub missing_education: Vec<MissingEducationEntry>,
    pub figures: Figures,
    /// Whether the reader keeps each part (may record) or sees only their agency's entries
    /// (`None`: that part is closed to them).
    pub home_education_access: Option<ReaderAccess>,
    pub missing_education_access: Option<ReaderAccess>,
}

/// One part of the register, each read and downloaded under its own policy entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotInSchoolPart {
    HomeEducation,
    MissingEducation,
}

impl NotInSchoolPart {
    fn register(self) -> Register {
        match self {
            Self::HomeEducation => EHE,
            Self::MissingEducation => CME,
        }
    }
}

/// How a reader holds one part of the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderAccess {
    Keep,
    OwnAgency,
}

impl From<RegisterAccess> for ReaderAccess {
    fn from(access: RegisterAccess) -> Self {
        match access {
            RegisterAccess::Keep => Self::Keep,
            RegisterAccess::OwnAgency => Self::OwnAgency,
        }
    }
}

/// How many entries a run over the feeds opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct OpenedNotInSchool {
    pub home_education: usize,
    /// Of those, how many need the authority's s.434A consent decision.
    pub consent_required: usize,
    pub missing_education: usize,
    /// Home-education entries whose s.434A circumstances a later feed changed.
    pub circumstances_changed: usize,
    /// Entries of either part closed by an end the authority's feed reported.
    pub closed_from_feed: usize,
}

/// A closure the feed's reported ends call for: the entry, its child and the fact to record.
struct FeedClosure {
    entry: Uuid,
    person: Uuid,
    fact: String,
}

/// The closures the feed's `ends` call for on a register's entries (`rows`, with their
/// `facts`), by [`ends_to_apply`] for each child. `view` reads an entry's facts as the pairing
/// needs them; `fact` makes the closing fact for an end.
fn feed_closures<F: DeserializeOwned + Serialize + Clone>(
    rows: &[EntryRow],
    facts: Vec<FactRow>,
    ends: &[FeedEventRow],
    today: Date,
    view: impl Fn(Date, &[F]) -> EntryForEnds,
    fact: impl Fn(&ReportedEnd) -> F,
) -> Vec<FeedClosure> {
    let by_entry = read_facts::<F>(facts);
    let mut by_person: BTreeMap<Uuid, Vec<&EntryRow>> = BTreeMap::new();
    for row in rows {
        by_person.entry(row.person_id).or_default().push(row);
    }
    let mut out = Vec::new();
    for (person, entries) in by_person {
        let theirs: Vec<ReportedEnd> = ends
            .iter()
            // An end dated after today is not recorded yet: the register cannot close in the
            // future.
            .filter(|e| e.person_id == person && e.occurred_on <= today)
            .map(|e| ReportedEnd {
                on: e.occurred_on,
                key: e.key(),
            })
            .collect();
        if theirs.is_empty() {
            continue;
        }
        let views: Vec<EntryForEnds> = entries
            .iter()
            .map(|row| {
                let recorded: Vec<F> = by_entry
                    .get(&row.id)
                    .map(|fs| fs.iter().map(|f| f.fact.clone()).collect())
                    .unwrap_or_default();
                view(row.first_day, &recorded)
            })
            .collect();
        for (i, j) in ends_to_apply(&views, &theirs) {
            let (Some(row), Some(end)) = (entries.get(i), theirs.get(j)) else {
                continue;
            };
            let Ok(text) = serde_json::to_string(&fact(end)) else {
                continue;
            };
            out.push(FeedClosure {
                entry: row.id,
                person,
                fact: text,
            });
        }
    }
    out
}

/// An event bearing on s.434A consent (see `backend/not_in_school.rs`).
#[derive(Debug, FromRow)]
pub(crate) struct MarkRow {
    pub person_id: Uuid,
    pub kind: String,
    pub occurred_on: Date,
    pub school_id: Uuid,
}

fn marks_by_person(rows: Vec<MarkRow>) -> BTreeMap<Uuid, Vec<(Date, Mark)>> {
    let mut by_person: BTreeMap<Uuid, Vec<(Date, Mark)>> = BTreeMap::new();
    for row in rows {
        let school = row.school_id.as_u128();
        let mark = match row.kind.parse::<EventKind>() {
            Ok(EventKind::SchoolEnrolment) => Mark::JoinedSpecialSchool(school),
            Ok(EventKind::SchoolLeaving) => Mark::LeftSpecialSchool(school),
            Ok(EventKind::ChildProtectionPlanStart) => Mark::ChildProtectionPlanStarted,
            Ok(EventKind::ChildProtectionPlanEnd) => Mark::ChildProtectionPlanEnded,
            _ => continue,
        };
        by_person
            .entry(row.person_id)
            .or_default()
            .push((row.occurred_on, mark));
    }
    by_person
}

/// The children of `rows` whose entries have no circumstances Harbour recorded finding
/// (opened before it recorded them, and not yet refreshed by a register step): only for them
/// is the timeline read for s.434A on a read of the register.
fn timeline_marks_wanted(
    rows: &[EntryRow],
    facts: &BTreeMap<Uuid, Vec<RecordedFact<EheFact>>>,
) -> BTreeSet<Uuid> {
    rows.iter()
        .filter(|row| {
            !facts.get(&row.id).is_some_and(|history| {
                history
                    .iter()
                    .any(|f| matches!(f.fact, EheFact::CircumstancesFound(_)))
            })
        })
        .map(|row| row.person_id)
        .collect()
}

fn read_facts<F: DeserializeOwned>(facts: Vec<FactRow>) -> BTreeMap<Uuid, Vec<RecordedFact<F>>> {
    let mut by_entry: BTreeMap<Uuid, Vec<RecordedFact<F>>> = BTreeMap::new();
    for f in facts {
        // A fact that no longer reads (written by a newer Harbour) is left out rather than
        // failing the whole register.
        let Ok(fact) = serde_json::from_str::<F>(&f.fact) else {
            tracing::warn!(entry = %f.entry_id, "a register fact could not be read");
            continue;
        };
        by_entry.entry(f.entry_id).or_default().push(RecordedFact {
            fact,
            recorded_at: f.recorded_at,
            recorded_by: f.recorded_by_name,
        });
    }
    by_entry
}

/// Builds the home-education entries from their rows and facts. `marks` are needed only for
/// the children of entries with no [`EheFact::CircumstancesFound`] (see
/// [`timeline_marks_wanted`]).
fn assemble_ehe(
    rows: Vec<EntryRow>,
    facts: BTreeMap<Uuid, Vec<RecordedFact<EheFact>>>,
    names: &BTreeMap<Uuid, RegisterChild>,
    marks: &BTreeMap<Uuid, Vec<(Date, Mark)>>,
    day: NotInSchoolDay<'_>,
) -> Vec<HomeEducationEntry> {
    let mut by_entry = facts;
    rows.into_iter()
        .map(|row| {
            let history = by_entry.remove(&row.id).unwrap_or_default();
            let case = EheCase {
                first_day: row.first_day,
                circumstances: ChildCircumstances::on(
                    row.first_day,
                    marks.get(&row.person_id).map_or(&[], Vec::as_slice),
                ),
                facts: history.iter().map(|f| f.fact.clone()).collect(),
            };
            let circumstances = case.found().unwrap_or(case.circumstances);
            HomeEducationEntry {
                id: row.id,
                person: PersonId(row.person_id),
                child: names.get(&row.person_id).cloned(),
                agency: row.agency_id.map(AgencyId),
                agency_name: row.agency_name,
                first_day: row.first_day,
                from_feed: row.source_key.is_some(),
                opened_at: row.opened_at,
                circumstances,
                assessment: case.assess(&day.settings, day.today),
                history,
            }
        })
        .collect()
}

fn assemble_cme(
    rows: Vec<EntryRow>,
    facts: Vec<FactRow>,
    names: &BTreeMap<Uuid, RegisterChild>,
    day: NotInSchoolDay<'_>,
) -> Vec<MissingEducationEntry> {
    let mut by_entry = read_facts::<CmeFact>(facts);
    rows.into_iter()
        .map(|row| {
            let history = by_entry.remove(&row.id).unwrap_or_default();
            let episode = CmeEpisode {
                first_day: row.first_day,
                facts: history.iter().map(|f| f.fact.clone()).collect(),
            };
            MissingEducationEntry {
                id: row.id,
                person: PersonId(row.person_id),
                child: names.get(&row.person_id).cloned(),
                agency: row.agency_id.map(AgencyId),
                agency_name: row.agency_name,
                first_day: row.first_day,
                from_feed: row.source_key.is_some(),
                source_key: row.source_key,
                opened_at: row.opened_at,
                assessment: episode.assess(day.calendar, &day.settings, day.today),
                history,
            }
        })
        .collect()
}

fn opened(
    person: Uuid,
    workflow: &'static str,
    id: Uuid,
    now: OffsetDateTime,
    detail: serde_json::Value,
    by: Option<&Principal>,
) -> NewCaseEvent {
    NewCaseEvent {
        person: PersonId(person),
        workflow,
        record: id,
        action: "opened".into(),
        at: now,
        by: by.map(|p| p.user),
        detail: detail.to_string(),
    }
}

/// The kind of a fact, for the audit and the history: never its free text.
fn ehe_kind(fact: &EheFact) -> &'static str {
    match fact {
        EheFact::Registered(_) => "registered",
        EheFact::CircumstancesFound(_) => "circumstances_found",
        EheFact::ConsentDecision { .. } => "consent_decision",
        EheFact::InformationRequested { .. } => "information_requested",
        EheFact::InformationReceived { .. } => "information_received",
        EheFact::HomeVisitRequested { .. } => "home_visit_requested",
        EheFact::SuitabilityOutcome { .. } => "suitability_outcome",
        EheFact::Closed { .. } => "closed",
        EheFact::Reopened { .. } => "reopened",
    }
}

fn cme_kind(fact: &CmeFact) -> &'static str {
    match fact {
        CmeFact::Step { .. } => "trace_step",
        CmeFact::Closed { .. } => "closed",
        CmeFact::Reopened { .. } => "reopened",
    }
}

impl Store {
    /// Marks a school as a special school (or not): a registered pupil of one may be
    /// withdrawn to home education only with the local authority's consent (s.434A).
    /// Administrators' work, audited as Harbour's own.
    pub async fn set_special_school(
        &self,
        tenant: &TenantCode,
        agency: AgencyId,
        special: bool,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let work = Work::new(
            "set_special_school",
            "say whether a school is a special school",
        );
        let mut g = self.service_gate(tenant, Some(agency), work, now).await?;
        g.entry.detail = serde_json::json!({ "special_school": special }).to_string();
        let updated = in_gate!(g, not_in_school as n, tx => n::set_special_school(tx, tenant, agency, special).await)?;
        if !updated {
            return Err(StoreError::Conflict(format!(
                "no school {agency} in local authority {tenant}"
            )));
        }
        g.commit().await
    }

    /// Opens entries for what the feeds sent that is not on the register yet: a
    /// home-education entry per EHE registration (with whether s.434A consent is needed), a
    /// missing-education episode per CME start and per school roll deletion to an unknown
    /// destination that is not another report of a spell already open; and closes the
    /// spells the authority's feed reported ended. Harbour's own work, after imports (the
    /// pipeline runs it in [`Store::open_register_entries`]).
    pub async fn open_not_in_school_entries(
        &self,
        tenant: &TenantCode,
        now: OffsetDateTime,
    ) -> Result<OpenedNotInSchool, StoreError> {
        let work = Work::new(
            "register_open_from_feeds",
            "open children not in school register entries for what the feeds sent",
        );
        let mut g = self.service_gate(tenant, None, work, now).await?;
        let feed = self.register_feed(&mut g, tenant).await?;
        let opening = self
            .open_not_in_school_inside(&mut g, tenant, &feed, now)
            .await?;
        g.entry.set_subjects(opening.subjects);
        g.entry.detail = serde_json::json!({
            "register": "children_not_in_school",
            "opened": opening.counts,
        })
        .to_string();
        g.commit().await?;
        Ok(opening.counts)
    }

    /// The children not in school register's part of the register step, in `g`.
    pub(crate) async fn open_not_in_school_inside(
        &self,
        g: &mut Guarded,
        tenant: &TenantCode,
        feed: &RegisterFeed,
        now: OffsetDateTime,
    ) -> Result<Opening<OpenedNotInSchool>, StoreError> {
        let ehe_known = self.source_keys(g, tenant, EHE).await?;
        let cme_known = self.source_keys(g, tenant, CME).await?;
        let ehe = feed.not_on(EventKind::EheRegistration, &ehe_known);
        let episodes = feed.not_on(EventKind::CmeStart, &cme_known);
        let deletions = feed.leavings_not_on(&cme_known);
        in_gate!(g, [registers as r, case_events as c], tx => {
            let mut counts = OpenedNotInSchool::default();
            let mut history = Vec::new();
            let mut subjects = Vec::new();

            // Home education: one entry per registration.
            let mut new_ehe = Vec::new();
            let mut entries = Vec::new();
            for candidate in &ehe {
                let id = Uuid::now_v7();
                entries.push(r::NewEntry {
                    id,
                    register: EHE.as_str(),
                    person: candidate.person_id,
                    agency: Some(candidate.agency_id),
                    first_day: candidate.occurred_on,
                    source_key: Some(&candidate.record_key),
                    opened_by: None,
                });
                new_ehe.push((id, candidate.person_id, candidate.occurred_on));
            }
            r::insert_entries(tx, tenant, &entries, now).await?;
            if !new_ehe.is_empty() {
                let persons = new_ehe.iter().map(|(_, person, _)| *person).collect();
                let marks = marks_by_person(feed.marks_of(&persons));
                for (id, person, first_day) in new_ehe {
                    let circumstances = ChildCircumstances::on(
                        first_day,
                        marks.get(&person).map_or(&[], Vec::as_slice),
                    );
                    let consent = circumstances.consent_condition();
                    if consent.is_some() {
                        counts.consent_required += 1;
                    }
                    counts.home_education += 1;
                    subjects.push(PersonId(person));
                    history.push(opened(person, EHE_WORKFLOW, id, now, serde_json::json!({
                        "from": "feed", "consent_required": consent,
                    }), None));
                }
            }

            // What each child's records show for s.434A, recorded on every entry whose
            // latest finding differs (a new entry's first; a later feed's event dated before
            // a registration can change it), so that reading the register needs no timeline.
            let rows = r::entries(tx, tenant, EHE.as_str(), Which::All(None)).await?;
            let facts = read_facts::<EheFact>(r::facts(tx, tenant, EHE.as_str(), Which::All(None)).await?);
            let marks = marks_by_person(feed.marks_of(&rows.iter().map(|row| row.person_id).collect()));
            let mut findings = Vec::new();
            for row in &rows {
                let found = ChildCircumstances::on(
                    row.first_day,
                    marks.get(&row.person_id).map_or(&[], Vec::as_slice),
                );
                let recorded = facts.get(&row.id).and_then(|history| {
                    history.iter().rev().find_map(|f| match f.fact {
                        EheFact::CircumstancesFound(c) => Some(c),
                        _ => None,
                    })
                });
                if recorded == Some(found) {
                    continue;
                }
                let text = serde_json::to_string(&EheFact::CircumstancesFound(found))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                findings.push(r::NewFact { entry: row.id, fact: text, lifecycle: Lifecycle::Leaves, by: None });
                // A first finding is part of the opening; a changed one is news in the
                // child's history.
                if recorded.is_some() {
                    counts.circumstances_changed += 1;
                    subjects.push(PersonId(row.person_id));
                    history.push(NewCaseEvent {
                        action: "circumstances_found".into(),
                        detail: serde_json::json!({
                            "from": "feed",
                            "consent_required": found.consent_condition(),
                        })
                        .to_string(),
                        ..opened(row.person_id, EHE_WORKFLOW, row.id, now, serde_json::Value::Null, None)
                    });
                }
            }
            r::insert_facts(tx, tenant, &findings, now).await?;

            // Missing education: the authority's episodes, then schools' deletions to an
            // unknown destination that are not another report of a spell already open.
            let mut known: Vec<(Uuid, Date)> = r::entries(tx, tenant, CME.as_str(), Which::All(None))
                .await?
                .into_iter()
                .map(|row| (row.person_id, row.first_day))
                .collect();
            let deletions = deletions.into_iter().filter(|d| {
                let details: serde_json::Value = serde_json::from_str(&d.details).unwrap_or_default();
                leaving_opens_episode(details.get("destination").and_then(|v| v.as_str()))
            });
            let mut candidates: Vec<(&FeedEventRow, &'static str)> =
                episodes.into_iter().map(|e| (e, "feed")).collect();
            candidates.extend(deletions.map(|d| (d, "roll_deletion")));
            let mut entries = Vec::new();
            for (event, from) in candidates {
                let (person, first_day) = (event.person_id, event.occurred_on);
                if from == "roll_deletion"
                    && known.iter().any(|(p, d)| *p == person && same_spell(*d, first_day))
                {
                    continue;
                }
                let id = Uuid::now_v7();
                entries.push(r::NewEntry {
                    id,
                    register: CME.as_str(),
                    person,
                    agency: Some(event.agency_id),
                    first_day,
                    source_key: Some(&event.record_key),
                    opened_by: None,
                });
                known.push((person, first_day));
                counts.missing_education += 1;
                subjects.push(PersonId(person));
                history.push(opened(person, CME_WORKFLOW, id, now, serde_json::json!({ "from": from }), None));
            }
            r::insert_entries(tx, tenant, &entries, now).await?;

            // The ends the authority's feed reported close the spells they ended, as Harbour's
            // own record (an officer may reopen; the same end never closes it again).
            let today = harbour_domain::london_today(now);
            for (register, workflow, kind) in [
                (EHE, EHE_WORKFLOW, EventKind::EheEnd),
                (CME, CME_WORKFLOW, EventKind::CmeEnd),
            ] {
                let ends = feed.of(kind);
                if ends.is_empty() {
                    continue;
                }
                let rows = r::entries(tx, tenant, register.as_str(), Which::All(None)).await?;
                let facts = r::facts(tx, tenant, register.as_str(), Which::All(None)).await?;
                let closures = if register == EHE {
                    feed_closures(&rows, facts, ends, today, ehe_for_ends, |end| EheFact::Closed {
                        on: end.on,
                        closure: EheClosure::EndedInFeed { event: end.key.clone() },
                    })
                } else {
                    feed_closures(&rows, facts, ends, today, cme_for_ends, |end| CmeFact::Closed {
                        on: end.on,
                        closure: CmeClosure::EndedInFeed { event: end.key.clone() },
                    })
                };
                let mut facts = Vec::new();
                for closure in closures {
                    // Every feed closure is a closing fact (`feed_closures`).
                    facts.push(r::NewFact { entry: closure.entry, fact: closure.fact.clone(), lifecycle: Lifecycle::Closes, by: None });
                    history.push(NewCaseEvent {
                        person: PersonId(closure.person),
                        workflow,
                        record: closure.entry,
                        action: "closed".into(),
                        at: now,
                        by: None,
                        detail: serde_json::json!({ "from": "feed" }).to_string(),
                    });
                    subjects.push(PersonId(closure.person));
                    counts.closed_from_feed += 1;
                }
                r::insert_facts(tx, tenant, &facts, now).await?;
            }
            c::append(tx, tenant, &history).await?;
            Ok(Opening { subjects, counts })
        })
    }

    /// The children not in school register as `who` may see it (each part by its own policy
    /// entry), or `None` if their roles open neither part (refused and audited). Audited
    /// naming every child shown.
    pub async fn children_not_in_school(
        &self,
        who: &Principal,
        day: NotInSchoolDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<NotInSchoolRegister>, StoreError> {
        self.read_children_not_in_school(who, Given::All, day, now)
            .await
    }

    /// As [`Store::children_not_in_school`], giving back only the open entries: the list
    /// page's own view. The figures are the same: those of home education count only open
    /// registrations (so a keeper's read of that part reads only those), and the
    /// missing-education part is read whole, as its figures (median days missing, share
    /// traced in time) count closed episodes too. The audit names the children given back:
    /// a closed episode counted in a figure is not shown to the reader.
    pub async fn children_not_in_school_open(
        &self,
        who: &Principal,
        day: NotInSchoolDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<NotInSchoolRegister>, StoreError> {
        self.read_children_not_in_school(who, Given::Open, day, now)
            .await
    }

    async fn read_children_not_in_school(
        &self,
        who: &Principal,
        given: Given,
        day: NotInSchoolDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<NotInSchoolRegister>, StoreError> {
        let ehe_access = self.policy.register_access(who, EHE);
        let cme_access = self.policy.register_access(who, CME);
        let work = Work::new("view_register", "see the children not in school register");
        // Gate on a part the reader holds, so that one open part is not audited as a refusal
        // of the other; with neither, the refusal is audited against home education.
        let needs = if ehe_access.is_none() && cme_access.is_some() {
            CME
        } else {
            EHE
        };
        let Some(g) = self
            .gate_read(Actor::Staff(who), Needs::Register(needs), work, now)
            .await?
        else {
            return Ok(None);
        };
        let own = |access: Option<RegisterAccess>, open: bool| match access {
            Some(RegisterAccess::Keep) if open => Some(Which::Open),
            Some(RegisterAccess::Keep) => Some(Which::All(None)),
            Some(RegisterAccess::OwnAgency) => Some(Which::All(Some(who.agency.0))),
            None => None,
        };
        let register = self
            .read_not_in_school(
                g,
                &who.tenant,
                own(ehe_access, given == Given::Open),
                own(cme_access, false),
                given,
                day,
            )
            .await?;
        Ok(Some(NotInSchoolRegister {
            home_education_access: ehe_access.map(ReaderAccess::from),
            missing_education_access: cme_access.map(ReaderAccess::from),
            ..register
        }))
    }

    /// One part of the register as `who` may see it, for a download (CSV or XLSX): the same
    /// entries as that part of [`Store::children_not_in_school`], audited as an export naming
    /// every child in it; `None` (refused and audited) when their roles do not open that part.
    /// The other part is left out and its access given as `None`.
    pub async fn children_not_in_school_export(
        &self,
        who: &Principal,
        part: NotInSchoolPart,
        day: NotInSchoolDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<NotInSchoolRegister>, StoreError> {
        let register = part.register();
        let work = Work::new(
            "export_register",
            "download the children not in school register",
        );
        let Some(g) = self
            .gate_read(Actor::Staff(who), Needs::Register(register), work, now)
            .await?
        else {
            return Ok(None);
        };
        // The gate let them in, so the policy gives them some access; the narrower reading
        // is the safe one should it ever not.
        let access = self
            .policy
            .register_access(who, register)
            .unwrap_or(RegisterAccess::OwnAgency);
        let own = Some((access == RegisterAccess::OwnAgency).then_some(who.agency.0));
        let (ehe, cme) = match part {
            NotInSchoolPart::HomeEducation => (own, None),
            NotInSchoolPart::MissingEducation => (None, own),
        };
        let read = self
            .read_not_in_school(
                g,
                &who.tenant,
                ehe.map(Which::All),
                cme.map(Which::All),
                Given::All,
                day,
            )
            .await?;
        let holds = |p: NotInSchoolPart| (p == part).then_some(ReaderAccess::from(access));
        Ok(Some(NotInSchoolRegister {
            home_education_access: holds(NotInSchoolPart::HomeEducation),
            missing_education_access: holds(NotInSchoolPart::MissingEducation),
            ..read
        }))
    }

    /// The whole register of `tenant`, for `harbour report children-not-in-school` at the
    /// command line (Harbour's own work: audited as such, naming every child).
    pub async fn children_not_in_school_report(
        &self,
        tenant: &TenantCode,
        day: NotInSchoolDay<'_>,
        now: OffsetDateTime,
    ) -> Result<NotInSchoolRegister, StoreError> {
        let work = Work::new(
            "report_register",
            "report on the children not in school register",
        );
        let g = self.service_read(tenant, None, work, now).await?;
        self.read_not_in_school(
            g,
            tenant,
            Some(Which::All(None)),
            Some(Which::All(None)),
            Given::All,
            day,
        )
        .await
    }

    /// Reads both parts and commits the read's audit entry. The figures count every entry
    /// read; `given` says which of them the reader is given back (the list page asks for the
    /// open ones): the audit names every child given, and no other.
    async fn read_not_in_school(
        &self,
        g: Guarded,
        tenant: &TenantCode,
        ehe: Option<Which>,
        cme: Option<Which>,
        given: Given,
        day: NotInSchoolDay<'_>,
    ) -> Result<NotInSchoolRegister, StoreError> {
        let (mut g, mut home_education, mut missing_education) =
            self.read_parts(g, tenant, ehe, cme, day).await?;
        let figures = Figures::of(
            home_education.iter().map(|e| &e.assessment),
            missing_education.iter().map(|e| &e.assessment),
            day.today,
        );
        if given == Given::Open {
            home_education.retain(|e| e.assessment.open);
            missing_education.retain(|e| e.assessment.open);
        }
        let persons: Vec<Uuid> = home_education
            .iter()
            .map(|e| e.person.0)
            .chain(missing_education.iter().map(|e| e.person.0))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let names = in_gate!(g, registers as r, tx => first_names(r::names_of(tx, tenant, &persons).await?));
        for e in &mut home_education {
            e.child = names.get(&e.person.0).cloned();
        }
        for e in &mut missing_education {
            e.child = names.get(&e.person.0).cloned();
        }
        g.entry.set_subjects(persons.into_iter().map(PersonId));
        // The parts read, by name: a count of 0 alone would not say whether a part was left
        // out (a download of the other part) or read and empty.
        let parts: Vec<&str> = [(EHE, ehe.is_some()), (CME, cme.is_some())]
            .into_iter()
            .filter_map(|(register, read)| read.then_some(register.as_str()))
            .collect();
        g.entry.detail = serde_json::json!({
            "register": "children_not_in_school",
            "parts": parts,
            "home_education": home_education.len(),
            "missing_education": missing_education.len(),
        })
        .to_string();
        g.commit().await?;
        Ok(NotInSchoolRegister {
            figures,
            home_education,
            missing_education,
            home_education_access: Some(ReaderAccess::Keep),
            missing_education_access: Some(ReaderAccess::Keep),
        })
    }

    /// Reads both parts in `g` without committing, unnamed: `None` leaves a part out,
    /// `Some(which)` reads the entries it picks.
    async fn read_parts(
        &self,
        mut g: Guarded,
        tenant: &TenantCode,
        ehe: Option<Which>,
        cme: Option<Which>,
        day: NotInSchoolDay<'_>,
    ) -> Result<(Guarded, Vec<HomeEducationEntry>, Vec<MissingEducationEntry>), StoreError> {
        let unnamed = BTreeMap::new();
        let (home_education, missing_education) = in_gate!(g, [registers as r, not_in_school as n], tx => {
            let home_education = match ehe {
                None => Vec::new(),
                Some(which) => {
                    let rows = r::entries(tx, tenant, EHE.as_str(), which).await?;
                    let facts = read_facts::<EheFact>(r::facts(tx, tenant, EHE.as_str(), which).await?);
                    let mut marks = BTreeMap::new();
                    for person in timeline_marks_wanted(&rows, &facts) {
                        marks.extend(marks_by_person(n::marks_of_person(tx, tenant, person).await?));
                    }
                    assemble_ehe(rows, facts, &unnamed, &marks, day)
                }
            };
            let missing_education = match cme {
                None => Vec::new(),
                Some(which) => {
                    let rows = r::entries(tx, tenant, CME.as_str(), which).await?;
                    let facts = r::facts(tx, tenant, CME.as_str(), which).await?;
                    assemble_cme(rows, facts, &unnamed, day)
                }
            };
            (home_education, missing_education)
        });
        Ok((g, home_education, missing_education))
    }

    /// The entries of both parts `which` picks with where each stands, unnamed, read in `g`
    /// (whose caller has already decided what the reader may be told): the open ones for the
    /// work queue's tasks, all of them for the rules' clocks (as
    /// [`Store::exclusion_entries_inside`]).
    pub(crate) async fn not_in_school_entries_inside(
        &self,
        g: Guarded,
        tenant: &TenantCode,
        which: Which,
        day: NotInSchoolDay<'_>,
    ) -> Result<(Guarded, Vec<HomeEducationEntry>, Vec<MissingEducationEntry>), StoreError> {
        self.read_parts(g, tenant, Some(which), Some(which), day)
            .await
    }

    /// One home-education entry, if `who` keeps the register; otherwise answered as missing.
    pub async fn home_education_entry(
        &self,
        who: &Principal,
        id: Uuid,
        day: NotInSchoolDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<HomeEducationEntry>, StoreError> {
        let work = Work::new("view_register_entry", "see a home education register entry");
        let access = self.policy.register_access(who, EHE);
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), Needs::Register(EHE), work, now)
            .await?
        else {
            return Ok(None);
        };
        let tenant = &who.tenant;
        let found = in_gate!(g, [registers as r, not_in_school as n], tx => {
            match r::entry(tx, tenant, EHE.as_str(), id).await? {
                Some(row) if access == Some(RegisterAccess::Keep)
                    || row.agency_id == Some(who.agency.0) => {
                    let facts = read_facts::<EheFact>(r::facts_of(tx, tenant, id).await?);
                    let names = first_names(r::name_of(tx, tenant, row.person_id).await?.into_iter().collect());
                    let marks = marks_by_person(n::marks_of_person(tx, tenant, row.person_id).await?);
                    assemble_ehe(vec![row], facts, &names, &marks, day).pop()
                }
                _ => None,
            }
        });
        finish_entry(g, EHE, id, found.as_ref().map(|e| e.person)).await?;
        Ok(found)
    }

    /// One missing-education episode, if `who` may see it: for a reader limited to their
    /// agency, another agency's episode is answered as missing.
    pub async fn missing_education_entry(
        &self,
        who: &Principal,
        id: Uuid,
        day: NotInSchoolDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<MissingEducationEntry>, StoreError> {
        let work = Work::new(
            "view_register_entry",
            "see a missing education register entry",
        );
        let access = self.policy.register_access(who, CME);
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), Needs::Register(CME), work, now)
            .await?
        else {
            return Ok(None);
        };
        let tenant = &who.tenant;
        let found = in_gate!(g, [registers as r], tx => {
            match r::entry(tx, tenant, CME.as_str(), id).await? {
                Some(row) if access == Some(RegisterAccess::Keep)
                    || row.agency_id == Some(who.agency.0) => {
                    let facts = r::facts_of(tx, tenant, id).await?;
                    let names = first_names(r::name_of(tx, tenant, row.person_id).await?.into_iter().collect());
                    assemble_cme(vec![row], facts, &names, day).pop()
                }
                _ => None,
            }
        });
        finish_entry(g, CME, id, found.as_ref().map(|e| e.person)).await?;
        Ok(found)
    }

    /// Registers a child as home educated by hand, with the s.436C(1) content
    /// (`registration`): the register's keepers only. Where the child's timeline on
    /// `first_day` means s.434A applies, the authority's consent decision (`consent`: the day
    /// and whether granted) must come with it, or the refusal names the field `consent`. The
    /// entry, the decision and the content are written together or not at all. Returns the
    /// new entry's id.
    #[allow(clippy::too_many_arguments)] // each is a separate thing the officer gives
    pub async fn add_home_education_entry(
        &self,
        who: &Principal,
        person: PersonId,
        first_day: Date,
        registration: &Registration,
        consent: Option<(Date, bool)>,
        day: NotInSchoolDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Result<Uuid, RegisterRefusal>, StoreError> {
        let work = Work::new("register_add_entry", "register a child as home educated");
        let Some(mut g) = self
            .gate(Actor::Staff(who), Needs::Register(EHE), work, now)
            .await?
        else {
            return Ok(Err(RegisterRefusal::NotAllowed));
        };
        if self.policy.register_access(who, EHE) != Some(RegisterAccess::Keep) {
            g.refuse(Some(
                r#"{"register":"home_education","refused":"read only"}"#.into(),
            ))
            .await?;
            return Ok(Err(RegisterRefusal::NotAllowed));
        }
        let id = Uuid::now_v7();
        let tenant = &who.tenant;
        let outcome = in_gate!(g, [registers as r, not_in_school as n, case_events as c], tx => {
            let marks = marks_by_person(n::marks_of_person(tx, tenant, person.0).await?);
            let on_timeline = ChildCircumstances::on(
                first_day,
                marks.get(&person.0).map_or(&[], Vec::as_slice),
            );
            // A s.47 enquiry or plan the officer records (s.436C(2)) is a s.434A condition
            // too, before children's social care's feed shows it.
            let circumstances = ChildCircumstances {
                under_child_protection: on_timeline.under_child_protection
                    || registration.optional.under_child_protection(),
                ..on_timeline
            };
            // The facts in the order they are recorded, each checked against those before
            // it: the consent decision, the content (whose check applies s.434A again), then
            // what the timeline shows, as Harbour's finding (last, so that the checks before
            // it see the plan the officer records as well as the timeline's).
            let facts: Vec<EheFact> = consent
                .map(|(on, granted)| EheFact::ConsentDecision { on, granted })
                .into_iter()
                .chain([
                    EheFact::Registered(registration.clone()),
                    EheFact::CircumstancesFound(on_timeline),
                ])
                .collect();
            let mut case = EheCase { first_day, circumstances, facts: Vec::new() };
            let mut checked = first_day_not_future(first_day, day.today)
                .and_then(|()| circumstances.check_opening(consent.is_some()));
            for fact in &facts {
                checked = checked.and_then(|()| case.check(fact, &day.settings, day.today));
                case.facts.push(fact.clone());
            }
            match checked {
                Err(refusal) => Err(RegisterRefusal::Invalid(refusal)),
                Ok(()) => {
                    r::insert_entry(tx, tenant, &r::NewEntry {
                        id,
                        register: EHE.as_str(),
                        person: person.0,
                        agency: None,
                        first_day,
                        source_key: None,
                        opened_by: Some(who.user.0),
                    }, now).await?;
                    let mut history = vec![opened(person.0, EHE_WORKFLOW, id, now, serde_json::json!({
                        "from": "hand", "consent_required": circumstances.consent_condition(),
                    }), Some(who))];
                    for fact in &facts {
                        let text = serde_json::to_string(fact).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                        // What the records show is Harbour's finding, not the officer's.
                        if matches!(fact, EheFact::CircumstancesFound(_)) {
                            r::insert_fact(tx, tenant, id, &text, fact.lifecycle(), None, now).await?;
                            continue;
                        }
                        r::insert_fact(tx, tenant, id, &text, fact.lifecycle(), Some(who.user.0), now).await?;
                        history.push(NewCaseEvent {
                            action: ehe_kind(fact).into(),
                            detail: "{}".into(),
                            ..opened(person.0, EHE_WORKFLOW, id, now, serde_json::Value::Null, Some(who))
                        });
                    }
                    c::append(tx, tenant, &history).await?;
                    Ok(id)
                }
            }
        });
        finish_write(g, EHE, Some(id), "opened", person, &outcome).await?;
        Ok(outcome)
    }

    /// Opens a missing-education episode by hand (a child the officer learnt of another way):
    /// the register's keepers only. `school` is the school the child was last on roll at, if
    /// known (its lead then sees the episode). Returns the new entry's id.
    pub async fn add_missing_education_entry(
        &self,
        who: &Principal,
        person: PersonId,
        school: Option<AgencyId>,
        first_day: Date,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<Result<Uuid, RegisterRefusal>, StoreError> {
        let work = Work::new("register_add_entry", "open a missing education episode");
        let Some(mut g) = self
            .gate(Actor::Staff(who), Needs::Register(CME), work, now)
            .await?
        else {
            return Ok(Err(RegisterRefusal::NotAllowed));
        };
        if self.policy.register_access(who, CME) != Some(RegisterAccess::Keep) {
            g.refuse(Some(
                r#"{"register":"missing_education","refused":"read only"}"#.into(),
            ))
            .await?;
            return Ok(Err(RegisterRefusal::NotAllowed));
        }
        let id = Uuid::now_v7();
        let tenant = &who.tenant;
        let outcome = match first_day_not_future(first_day, today) {
            Err(refusal) => Err(RegisterRefusal::Invalid(refusal)),
            Ok(()) => {
                in_gate!(g, [registers as r, case_events as c], tx => {
                    r::insert_entry(tx, tenant, &r::NewEntry {
                        id,
                        register: CME.as_str(),
                        person: person.0,
                        agency: school.map(|s| s.0),
                        first_day,
                        source_key: None,
                        opened_by: Some(who.user.0),
                    }, now).await?;
                    c::append(tx, tenant, &[opened(person.0, CME_WORKFLOW, id, now, serde_json::json!({ "from": "hand" }), Some(who))]).await?;
                });
                Ok(id)
            }
        };
        finish_write(g, CME, Some(id), "opened", person, &outcome).await?;
        Ok(outcome)
    }

    /// Records `fact` on a home-education entry, if the register's rules accept it on `day`
    /// (a refusal names the form field; a registration needing s.434A consent is refused,
    /// naming `consent`, until the decision is recorded). Keepers only; audited either way.
    pub async fn record_on_home_education(
        &self,
        who: &Principal,
        id: Uuid,
        fact: &EheFact,
        day: NotInSchoolDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Result<(), RegisterRefusal>, StoreError> {
        let work = Work::new("register_record", "record on the home education register");
        let Some(mut g) = self
            .gate(Actor::Staff(who), Needs::Register(EHE), work, now)
            .await?
        else {
            return Ok(Err(RegisterRefusal::NotAllowed));
        };
        let kind = ehe_kind(fact);
        if self.policy.register_access(who, EHE) != Some(RegisterAccess::Keep) {
            g.refuse(Some(
                serde_json::json!({ "register": EHE.as_str(), "entry": id, "fact": kind, "refused": "read only" })
                    .to_string(),
            ))
            .await?;
            return Ok(Err(RegisterRefusal::NotAllowed));
        }
        if matches!(fact, EheFact::CircumstancesFound(_)) {
            // What the child's records show is Harbour's finding from the feeds, never
            // entered by hand (an officer records a plan in the registration's details).
            g.refuse(Some(
                serde_json::json!({ "register": EHE.as_str(), "entry": id, "fact": kind, "refused": "harbour's own" })
                    .to_string(),
            ))
            .await?;
            return Ok(Err(RegisterRefusal::Invalid(Refusal {
                field: "fact",
                message: "What the child's records show is recorded by Harbour from the feeds"
                    .into(),
            })));
        }
        let tenant = &who.tenant;
        let text = serde_json::to_string(fact).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let outcome = in_gate!(g, [registers as r, not_in_school as n, case_events as c], tx => {
            match r::entry(tx, tenant, EHE.as_str(), id).await? {
                None => Err(RegisterRefusal::NotFound),
                Some(row) => {
                    let facts = r::facts_of(tx, tenant, id).await?;
                    let marks = marks_by_person(n::marks_of_person(tx, tenant, row.person_id).await?);
                    let case = EheCase {
                        first_day: row.first_day,
                        circumstances: ChildCircumstances::on(
                            row.first_day,
                            marks.get(&row.person_id).map_or(&[], Vec::as_slice),
                        ),
                        facts: facts.iter().filter_map(|f| serde_json::from_str(&f.fact).ok()).collect(),
                    };
                    match case.check(fact, &day.settings, day.today) {
                        Err(refusal) => Err(RegisterRefusal::Invalid(refusal)),
                        Ok(()) => {
                            r::insert_fact(tx, tenant, id, &text, fact.lifecycle(), Some(who.user.0), now).await?;
                            c::append(tx, tenant, &[NewCaseEvent {
                                action: kind.into(),
                                detail: "{}".into(),
                                ..opened(row.person_id, EHE_WORKFLOW, id, now, serde_json::Value::Null, Some(who))
                            }]).await?;
                            Ok(PersonId(row.person_id))
                        }
                    }
                }
            }
        });
        finish_record(g, EHE, id, kind, outcome).await
    }

    /// Records `fact` (a tracing step, a closure, a reopening) on a missing-education
    /// episode, if the register's rules accept it on `day`. Keepers only; audited either way.
    pub async fn record_on_missing_education(
        &self,
        who: &Principal,
        id: Uuid,
        fact: &CmeFact,
        day: NotInSchoolDay<'_>,
        now: OffsetDateTime,
    ) -> Result<Result<(), RegisterRefusal>, StoreError> {
        let work = Work::new(
            "register_record",
            "record on the missing education register",
        );
        let Some(mut g) = self
            .gate(Actor::Staff(who), Needs::Register(CME), work, now)
            .await?
        else {
            return Ok(Err(RegisterRefusal::NotAllowed));
        };
        let kind = cme_kind(fact);
        if self.policy.register_access(who, CME) != Some(RegisterAccess::Keep) {
            g.refuse(Some(
                serde_json::json!({ "register": CME.as_str(), "entry": id, "fact": kind, "refused": "read only" })
                    .to_string(),
            ))
            .await?;
            return Ok(Err(RegisterRefusal::NotAllowed));
        }
        let tenant = &who.tenant;
        let text = serde_json::to_string(fact).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let outcome = in_gate!(g, [registers as r, case_events as c], tx => {
            match r::entry(tx, tenant, CME.as_str(), id).await? {
                None => Err(RegisterRefusal::NotFound),
                Some(row) => {
                    let facts = r::facts_of(tx, tenant, id).await?;
                    let episode = CmeEpisode {
                        first_day: row.first_day,
                        facts: facts.iter().filter_map(|f| serde_json::from_str(&f.fact).ok()).collect(),
                    };
                    match episode.check(fact, day.today) {
                        Err(refusal) => Err(RegisterRefusal::Invalid(refusal)),
                        Ok(()) => {
                            r::insert_fact(tx, tenant, id, &text, fact.lifecycle(), Some(who.user.0), now).await?;
                            c::append(tx, tenant, &[NewCaseEvent {
                                action: kind.into(),
                                detail: "{}".into(),
                                ..opened(row.person_id, CME_WORKFLOW, id, now, serde_json::Value::Null, Some(who))
                            }]).await?;
                            Ok(PersonId(row.person_id))
                        }
                    }
                }
            }
        });
        finish_record(g, CME, id, kind, outcome).await
    }
}

fn first_day_not_future(
    first_day: Date,
    today: Date,
) -> Result<(), harbour_casework::not_in_school::Refusal> {
    if first_day > today {
        Err(harbour_casework::not_in_school::Refusal {
            field: "first_day",
            message: "The first day cannot be in the future".into(),
        })
    } else {
        Ok(())
    }
}

/// A refusal for the audit: the field a form got wrong, never the message (which may quote
/// what was typed, such as a parent's name).
fn refused(refusal: &RegisterRefusal) -> serde_json::Value {
    match refusal {
        RegisterRefusal::Invalid(r) => serde_json::json!({ "invalid": r.field }),
        other => serde_json::json!(other.to_string()),
    }
}

pub(crate) async fn finish_entry(
    mut g: Guarded,
    register: Register,
    id: Uuid,
    person: Option<PersonId>,
) -> Result<(), StoreError> {
    match person {
        Some(person) => {
            g.entry.set_subjects([person]);
            g.entry.detail =
                serde_json::json!({ "register": register.as_str(), "entry": id }).to_string();
            g.commit().await
        }
        None => {
            g.refuse(Some(
                serde_json::json!({ "register": register.as_str(), "entry": id, "refused": "not found" })
                    .to_string(),
            ))
            .await
        }
    }
}

pub(crate) async fn finish_write(
    mut g: Guarded,
    register: Register,
    id: Option<Uuid>,
    action: &str,
    person: PersonId,
    outcome: &Result<Uuid, RegisterRefusal>,
) -> Result<(), StoreError> {
    g.entry.set_subjects([person]);
    match outcome {
        Ok(_) => {
            g.entry.detail = serde_json::json!({ "register": register.as_str(), "entry": id, "action": action }).to_string();
            g.commit().await
        }
        Err(refusal) => {
            g.refuse(Some(
                serde_json::json!({ "register": register.as_str(), "action": action, "refused": refused(refusal) })
                    .to_string(),
            ))
            .await
        }
    }
}

pub(crate) async fn finish_record(
    mut g: Guarded,
    register: Register,
    id: Uuid,
    kind: &str,
    outcome: Result<PersonId, RegisterRefusal>,
) -> Result<Result<(), RegisterRefusal>, StoreError> {
    let detail = |refused: Option<serde_json::Value>| {
        serde_json::json!({ "register": register.as_str(), "entry": id, "fact": kind, "refused": refused }).to_string()
    };
    match outcome {
        Ok(person) => {
            g.entry.set_subjects([person]);
            g.entry.detail = detail(None);
            g.commit().await?;
            Ok(Ok(()))
        }
        Err(refusal) => {
            g.refuse(Some(detail(Some(refused(&refusal))))).await?;
            Ok(Err(refusal))
        }
    }
}
