//! What the county's officers record by hand (`casework.json`): no feed sends it, so the
//! generator writes it beside the feeds and [`record`] enters it through the register pages'
//! own store calls. For each permanent exclusion, the governing board's decision on
//! reinstatement (most within the 15 school days, some late, a few never) and the reviews of
//! the education offer (about every six weeks from the exclusion, some held late, and for
//! some children the officer stops reviewing in the last months, so the next review is
//! overdue by the as-of day), and the entry's closure: on the day the board reinstates the pupil, or a few days
//! after the child joins a school's roll (the panel's place; a place at the PRU or the AP
//! academy is provision, not a return to school) or compulsory schooling ends;
//! for each alternative-provision placement, its reviews and its end (a move to another
//! placement, a return to a school's roll, the end of compulsory schooling); for each spell
//! missing education still open on the as-of day, the tracing steps (the family contacted
//! within days, a home visit, the school-to-school search and others). A spell the
//! authority's feed closed is closed on the register before anything could be recorded on
//! it, so it has none.
//!
//! Each case names the register, the agency that sent the opening event (its code, as in
//! `manifest.json`) and that event's key (the feed row's `event_key`, which the register
//! keeps as the entry's source key), so no answer key is needed to find it. Every draw comes
//! from the child's own casework stream: the rest of the county is drawn as before.

use super::life::{Event, Supplier};
use super::rng::Rng;
use super::school_days;
use super::sim::Schools;
use harbour_casework::RegisterSettings;
use harbour_casework::exclusions::{Closure, Fact};
use harbour_casework::not_in_school::{CmeFact, TraceStep};
use harbour_casework::placements::{PlacementFact, PlacementOutcome};
use harbour_domain::feeds::{Feed, Manifest};
use harbour_domain::{AgencyId, TenantCode};
use harbour_policy::Principal;
use harbour_rules::calendar::Calendar;
use harbour_store::{NotInSchoolDay, RegisterDay, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::path::Path;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// An officer stops reviewing a case (leaving its next review overdue) only when that review
/// falls this close to the as-of day; earlier, a stopped review is held on time instead.
const STOPS_WITHIN_DAYS: i64 = 120;

/// Whether a review due on `due` is recent enough on `as_of` to be left undone.
fn lately(due: Date, as_of: Date) -> bool {
    as_of - due <= Duration::days(STOPS_WITHIN_DAYS)
}

/// Calendar days between reviews of the education offer (the register's default).
pub const REVIEW_EVERY_DAYS: i64 = 42;
/// School days after the exclusion by which the governing board should decide.
pub const BOARD_WITHIN_SCHOOL_DAYS: u32 = 15;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseworkFile {
    /// The day the data is taken: nothing here is after it.
    pub as_of: Option<Date>,
    pub cases: Vec<Case>,
}

/// One register case and what officers recorded on it, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The agency that sent the opening event, by its code in `manifest.json`.
    pub agency: String,
    /// The opening event's key (the feed row's `event_key`).
    pub source_key: String,
    #[serde(flatten)]
    pub facts: Facts,
}

/// The facts of a case, by register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "register", rename_all = "snake_case")]
pub enum Facts {
    Exclusions { facts: Vec<Fact> },
    MissingEducation { facts: Vec<CmeFact> },
    AlternativeProvision { facts: Vec<PlacementFact> },
}

/// A child's cases, each with the first day of what opened it (for the answer key).
pub(crate) struct ChildCasework {
    pub cases: Vec<(Date, Case)>,
}

fn kind_of(event: &Event) -> &str {
    event.columns.first().map_or("", String::as_str)
}

const REVIEW_NOTES: &[&str] = &[
    "Attending most sessions; the provider reports settling well. Offer continues.",
    "Attendance patchy; spoke with the family and the provider about transport.",
    "Working towards a return to a mainstream school through the fair access panel.",
    "Part-time offer still in place; looking for more hours at the provider.",
    "Family happy with the place; the child's needs assessment is under way.",
];

/// Where the child is after a day: what the casework closes entries and ends placements on.
/// `joins` are the days the child joined a school's roll that is a return to school (not the
/// PRU's or the AP academy's), with the school's name; `last_day` the end of compulsory
/// schooling.
pub(crate) struct Afterwards {
    joins: Vec<(Date, String)>,
    last_day: Date,
}

impl Afterwards {
    /// From the child's events: `schools` says which rolls are provision, `last_day` is the
    /// last day of the child's Year 11.
    pub(crate) fn of(events: &[Event], schools: Schools, last_day: Date) -> Self {
        let mut joins: Vec<(Date, String)> = events
            .iter()
            .filter(|e| e.feed == Feed::SchoolRoll && kind_of(e) == "joined")
            .filter_map(|e| match e.supplier {
                Supplier::School(n) if n < schools.pru() => {
                    Some((e.date, super::agency_name(e.supplier, schools).0))
                }
                _ => None,
            })
            .collect();
        joins.sort();
        Self { joins, last_day }
    }

    /// The first return to a school's roll after `day`.
    fn join_after(&self, day: Date) -> Option<&(Date, String)> {
        self.joins.iter().find(|(on, _)| *on > day)
    }
}

/// What the officers recorded on `events`' register cases by `as_of`. `keys` gives each
/// event's key as written to its feed (`None` for rows that have none, the roll's).
pub(crate) fn of_child(
    rng: &mut Rng,
    events: &[Event],
    keys: &[Option<String>],
    afterwards: &Afterwards,
    as_of: Date,
) -> ChildCasework {
    let mut keyed: Vec<(&Event, &str)> = events
        .iter()
        .zip(keys)
        .filter(|(e, _)| e.date <= as_of)
        .filter_map(|(e, k)| k.as_deref().map(|k| (e, k)))
        .collect();
    keyed.sort_by_key(|(e, _)| e.date);
    let mut cases = Vec::new();
    for (event, key) in &keyed {
        if event.feed == Feed::SchoolExclusions && kind_of(event) == "PERM" {
            let facts = exclusion_facts(rng, event.date, afterwards, as_of);
            cases.push((
                event.date,
                Case {
                    agency: event.supplier.code(),
                    source_key: (*key).to_owned(),
                    facts: Facts::Exclusions { facts },
                },
            ));
        }
    }
    // Placements: each runs until the next starts, the child returns to a school's roll or
    // compulsory schooling ends.
    let placements: Vec<(Date, &str)> = keyed
        .iter()
        .filter(|(e, _)| e.feed == Feed::LaEducation && kind_of(e) == "ap_placement")
        .map(|(e, k)| (e.date, *k))
        .collect();
    for (i, (starts, key)) in placements.iter().enumerate() {
        let next = placements.get(i + 1).map(|(d, _)| *d);
        let facts = placement_facts(rng, *starts, next, afterwards, as_of);
        if !facts.is_empty() {
            cases.push((
                *starts,
                Case {
                    agency: Supplier::La.code(),
                    source_key: (*key).to_owned(),
                    facts: Facts::AlternativeProvision { facts },
                },
            ));
        }
    }
    // Spells missing education: each start with the end that follows it, as the register
    // pairs them. Only those open on the as-of day take steps.
    let mut open: Option<(Date, &str)> = None;
    for (event, key) in keyed.iter().filter(|(e, _)| e.feed == Feed::LaEducation) {
        match kind_of(event) {
            "cme_start" => {
                // A start with no end before the next start: still open on the register.
                if let Some((start, key)) = open.take() {
                    cases.extend(missing_case(rng, start, key, as_of));
                }
                open = Some((event.date, key));
            }
            "cme_end" => {
                open = None;
            }
            _ => {}
        }
    }
    if let Some((start, key)) = open {
        cases.extend(missing_case(rng, start, key, as_of));
    }
    ChildCasework { cases }
}

fn missing_case(rng: &mut Rng, start: Date, key: &str, as_of: Date) -> Option<(Date, Case)> {
    let facts = tracing_steps(rng, start, as_of);
    (!facts.is_empty()).then(|| {
        (
            start,
            Case {
                agency: Supplier::La.code(),
                source_key: key.to_owned(),
                facts: Facts::MissingEducation { facts },
            },
        )
    })
}

/// The board's decision, the reviews of the offer and the closure of an exclusion on
/// `first`: recorded in that order, nothing after the closure (a closed entry takes nothing
/// more).
fn exclusion_facts(rng: &mut Rng, first: Date, afterwards: &Afterwards, as_of: Date) -> Vec<Fact> {
    let mut facts = Vec::new();
    // Drawn whatever the as-of day, so each child's later draws do not depend on it.
    let board = match rng.below(100) {
        0..=74 => Some(rng.between(3, i64::from(BOARD_WITHIN_SCHOOL_DAYS))),
        75..=91 => Some(rng.between(16, 35)),
        _ => None,
    };
    let told_after = Duration::days(rng.between(0, 3));
    let reinstate = rng.chance(0.05);
    // The officer closes the entry some days after the child's place is settled.
    let closed_after = Duration::days(rng.between(0, 10));
    let board_on = board.map(|day| school_days::add(first, u32::try_from(day).unwrap_or(15)));
    // What closes the entry first: the board reinstating the pupil, a school's roll, the
    // end of compulsory schooling.
    let mut closes: Vec<(Date, Closure)> = Vec::new();
    if let Some(on) = board_on.filter(|_| reinstate) {
        closes.push((on, Closure::Reinstated));
    }
    if let Some((on, school)) = afterwards.join_after(first) {
        closes.push((
            *on + closed_after,
            Closure::PlacedOnRoll {
                school: school.clone(),
            },
        ));
    }
    if afterwards.last_day > first {
        closes.push((
            afterwards.last_day + closed_after,
            Closure::LeftCompulsoryEducation,
        ));
    }
    let closure = closes
        .into_iter()
        .min_by_key(|(on, _)| *on)
        .filter(|(on, _)| *on <= as_of);
    let closed_on = closure.as_ref().map(|(on, _)| *on);
    let before_closure = |day: Date| day <= as_of && closed_on.is_none_or(|c| day <= c);
    if let Some(on) = board_on.filter(|on| before_closure(*on)) {
        facts.push(Fact::BoardDecision {
            on,
            reinstate,
            parents_told_on: (on + told_after).min(as_of),
        });
    }
    // Reviews: the first six weeks after the exclusion, each setting the next six weeks on.
    let mut due = first + Duration::days(REVIEW_EVERY_DAYS);
    // Bounded: a case reviewed every six weeks for twelve years.
    for _ in 0..100 {
        let (held, stop) = match rng.below(100) {
            0..=75 => (due + Duration::days(rng.between(-5, 5)), false),
            76..=95 => (due + Duration::days(rng.between(6, 40)), false),
            _ => (due, true),
        };
        let notes = rng.pick(REVIEW_NOTES).copied().unwrap_or("Reviewed");
        // An officer who stops reviewing leaves the next review overdue: only lately, as a
        // review years late would have been noticed.
        if (stop && lately(due, as_of)) || !before_closure(held) {
            break;
        }
        let next_on = held + Duration::days(REVIEW_EVERY_DAYS);
        facts.push(Fact::Review {
            on: held,
            notes: notes.to_owned(),
            next_on: Some(next_on),
        });
        due = next_on;
    }
    if let Some((on, closure)) = closure {
        facts.push(Fact::Closed { on, closure });
    }
    facts
}

const PLACEMENT_NOTES: &[&str] = &[
    "Settled at the provider; attendance good this half term.",
    "Attendance dropping; provider and family meeting booked.",
    "Making progress in English and maths; hours unchanged.",
    "Provider asks for more support with behaviour; plan agreed.",
];

/// The reviews and the end of a placement starting on `starts` (the child's next placement
/// starts on `next`, if any): reviewed about every six weeks while it runs (some late, and
/// for some placements nobody reviews it after a while), and ended on the day what ends it
/// happens.
fn placement_facts(
    rng: &mut Rng,
    starts: Date,
    next: Option<Date>,
    afterwards: &Afterwards,
    as_of: Date,
) -> Vec<PlacementFact> {
    let mut ends: Vec<(Date, PlacementOutcome, String)> = Vec::new();
    if let Some(on) = next {
        ends.push((
            on,
            PlacementOutcome::MovedToAnotherPlacement,
            "Moved to another placement".to_owned(),
        ));
    }
    if let Some((on, school)) = afterwards.join_after(starts) {
        ends.push((
            *on,
            PlacementOutcome::ReturnedToMainstream,
            format!("Joined the roll of {school}"),
        ));
    }
    if afterwards.last_day > starts {
        ends.push((
            afterwards.last_day,
            PlacementOutcome::CompletedCompulsoryEducation,
            "Finished Year 11".to_owned(),
        ));
    }
    let ended = ends
        .into_iter()
        .min_by_key(|(on, ..)| *on)
        .filter(|(on, ..)| *on <= as_of);
    let mut facts = Vec::new();
    let mut due = starts + Duration::days(REVIEW_EVERY_DAYS);
    // Bounded: a case reviewed every six weeks for twelve years.
    for _ in 0..100 {
        let (held, stop) = match rng.below(100) {
            0..=79 => (due + Duration::days(rng.between(-5, 5)), false),
            80..=95 => (due + Duration::days(rng.between(6, 30)), false),
            _ => (due, true),
        };
        let notes = rng.pick(PLACEMENT_NOTES).copied().unwrap_or("Reviewed");
        if (stop && lately(due, as_of))
            || held > as_of
            || ended.as_ref().is_some_and(|(on, ..)| held >= *on)
        {
            break;
        }
        let next_on = held + Duration::days(REVIEW_EVERY_DAYS);
        facts.push(PlacementFact::Reviewed {
            on: held,
            notes: notes.to_owned(),
            next_on: Some(next_on),
        });
        due = next_on;
    }
    if let Some((on, outcome, notes)) = ended {
        facts.push(PlacementFact::Ended { on, outcome, notes });
    }
    facts
}

/// The tracing steps taken for a child missing education from `start`, by `as_of`.
fn tracing_steps(rng: &mut Rng, start: Date, as_of: Date) -> Vec<CmeFact> {
    // (step, chance it is taken, earliest and latest calendar day after the start, outcome)
    let plan: [(TraceStep, f64, i64, i64, &str); 7] = [
        (
            TraceStep::FamilyContacted,
            0.95,
            0,
            4,
            "Phoned the family's numbers; no answer, letter left at the last address",
        ),
        (
            TraceStep::HomeVisit,
            0.8,
            3,
            12,
            "Visited the last address; no one home, neighbours not sure",
        ),
        (
            TraceStep::SchoolToSchool,
            0.7,
            5,
            20,
            "School-to-school search: no match yet",
        ),
        (
            TraceStep::Health,
            0.5,
            5,
            25,
            "Asked health: still registered with the same GP",
        ),
        (
            TraceStep::NeighbouringAuthorities,
            0.4,
            10,
            30,
            "Asked the neighbouring authorities: not known to them",
        ),
        (
            TraceStep::Police,
            0.2,
            15,
            40,
            "Asked the police: no recent contact",
        ),
        (
            TraceStep::HomeOffice,
            0.05,
            15,
            40,
            "Asked the Home Office: no record of leaving the country",
        ),
    ];
    let mut steps: Vec<(Date, TraceStep, &str)> = Vec::new();
    for (step, chance, low, high, outcome) in plan {
        let taken = rng.chance(chance);
        let on = start + Duration::days(rng.between(low, high));
        if taken && on <= as_of {
            steps.push((on, step, outcome));
        }
    }
    steps.sort_by_key(|(on, step, _)| (*on, *step));
    steps
        .into_iter()
        .map(|(on, step, outcome)| CmeFact::Step {
            step,
            on,
            outcome: outcome.to_owned(),
        })
        .collect()
}

/// Why the casework could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum CaseworkError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("the casework names {0}, which the county has no entry for")]
    NoEntry(String),
    #[error("the register refused the casework on {case}: {message}")]
    Refused { case: String, message: String },
    #[error("{0} cannot open the register")]
    NotAllowed(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many entries were recorded on, and how many facts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    pub entries: usize,
    pub facts: usize,
}

/// The officers who record: the inclusion officer keeps the exclusions register and the
/// alternative-provision placements, the CME officer the children not in school register.
#[derive(Debug, Clone, Copy)]
pub struct Officers<'a> {
    pub inclusion: &'a Principal,
    pub missing_education: &'a Principal,
}

/// Records `dir/casework.json` on the registers of `tenant`, into which the county in `dir`
/// has been imported (its entries opened), as `officers`, through the register pages' own
/// store calls: each fact checked by the register's rules on `today` and audited under the
/// officer's name. An entry is found by the agency that sent its opening event and that
/// event's key; the agency is the tenant's of that code or, for a county loaded around
/// another's agencies (the demo), the tenant's agency of the same kind, as the import placed
/// its feeds. A refusal is an error naming the case.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    store: &Store,
    tenant: &TenantCode,
    officers: Officers<'_>,
    dir: &Path,
    calendar: &Calendar,
    settings: RegisterSettings,
    today: Date,
    now: OffsetDateTime,
) -> Result<Recorded, CaseworkError> {
    let read = |file: &str| -> Result<String, CaseworkError> {
        let path = dir.join(file);
        std::fs::read_to_string(&path).map_err(|e| CaseworkError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    };
    let parse_err = |file: &str, e: serde_json::Error| CaseworkError::Read {
        path: dir.join(file).display().to_string(),
        message: e.to_string(),
    };
    let casework: CaseworkFile =
        serde_json::from_str(&read("casework.json")?).map_err(|e| parse_err("casework.json", e))?;
    let manifest: Manifest =
        serde_json::from_str(&read("manifest.json")?).map_err(|e| parse_err("manifest.json", e))?;
    let agencies = store.list_agencies(tenant).await?;
    let agency_of = |code: &str| {
        agencies
            .iter()
            .find(|a| a.code == code)
            .or_else(|| {
                let kind = manifest.agencies.iter().find(|a| a.code == code)?.kind;
                agencies.iter().find(|a| a.kind == kind)
            })
            .map(|a| a.id)
    };

    let day = RegisterDay {
        calendar,
        settings: settings.exclusions,
        today,
    };
    let register = store
        .exclusions_register(officers.inclusion, day, now)
        .await?
        .ok_or(CaseworkError::NotAllowed("the inclusion officer"))?;
    let cnis_day = NotInSchoolDay {
        calendar,
        settings: settings.not_in_school,
        today,
    };
    let cnis = store
        .children_not_in_school(officers.missing_education, cnis_day, now)
        .await?
        .ok_or(CaseworkError::NotAllowed("the CME officer"))?;
    let placements = store
        .placements(officers.inclusion, day, now)
        .await?
        .ok_or(CaseworkError::NotAllowed("the inclusion officer"))?;

    let mut done = Recorded::default();
    for case in &casework.cases {
        let name = || {
            format!(
                "{} {} ({})",
                case.agency,
                case.source_key,
                register_name(case)
            )
        };
        let agency = agency_of(&case.agency);
        let refused = |message: String| CaseworkError::Refused {
            case: name(),
            message,
        };
        // Whether an entry (its agency and source key) is this case's.
        let is_case = |entry_agency: Option<AgencyId>, key: Option<&str>| {
            entry_agency.is_some()
                && entry_agency == agency
                && key == Some(case.source_key.as_str())
        };
        let found = |id: Option<Uuid>| id.ok_or_else(|| CaseworkError::NoEntry(name()));
        match &case.facts {
            Facts::Exclusions { facts } => {
                let id = found(
                    register
                        .entries
                        .iter()
                        .find(|e| is_case(e.school, e.source_key.as_deref()))
                        .map(|e| e.id),
                )?;
                for fact in facts {
                    store
                        .record_on_exclusion(officers.inclusion, id, fact, day, now)
                        .await?
                        .map_err(|r| refused(r.to_string()))?;
                    done.facts += 1;
                }
            }
            Facts::MissingEducation { facts } => {
                let id = found(
                    cnis.missing_education
                        .iter()
                        .find(|e| is_case(e.agency, e.source_key.as_deref()))
                        .map(|e| e.id),
                )?;
                for fact in facts {
                    store
                        .record_on_missing_education(
                            officers.missing_education,
                            id,
                            fact,
                            cnis_day,
                            now,
                        )
                        .await?
                        .map_err(|r| refused(r.to_string()))?;
                    done.facts += 1;
                }
            }
            Facts::AlternativeProvision { facts } => {
                let id = found(
                    placements
                        .entries
                        .iter()
                        .find(|e| is_case(e.agency, e.source_key.as_deref()))
                        .map(|e| e.id),
                )?;
                for fact in facts {
                    store
                        .record_on_placement(officers.inclusion, id, fact, day, now)
                        .await?
                        .map_err(|r| refused(r.to_string()))?;
                    done.facts += 1;
                }
            }
        }
        done.entries += 1;
    }
    Ok(done)
}

fn register_name(case: &Case) -> &'static str {
    match case.facts {
        Facts::Exclusions { .. } => "exclusions",
        Facts::MissingEducation { .. } => "missing education",
        Facts::AlternativeProvision { .. } => "alternative provision",
    }
}
