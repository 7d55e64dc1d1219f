//! The education registers' known answers (`registers_truth.json`): for each permanent
//! exclusion, its day, the sixth school day, the first provision and the first full-time
//! provision, and whether full-time provision was in place by the sixth day; for each spell
//! missing education, whether it was closed, its length and whether the child was traced
//! within 20 school days; for the fair-access panel, each decision and each school's share.
//! With what officers recorded by hand (`casework.json`): each exclusion's board decision
//! and whether it came within 15 school days, its closure, and while it is open its next
//! review of the offer and whether that is overdue; each placement's end; each spell's
//! tracing steps.
//!
//! Worked out from the events the generator wrote, by the generator's own arithmetic (school
//! days from `school_days`, never `harbour-casework` or `harbour-rules`), so that a test can
//! hold the registers built from the imported feeds against it. Never import it.

use super::casework::{BOARD_WITHIN_SCHOOL_DAYS, Case, Facts, REVIEW_EVERY_DAYS};
use super::life::{Event, Supplier};
use super::school_days;
use harbour_casework::exclusions::Fact;
use harbour_casework::not_in_school::{CmeFact, TraceStep};
use harbour_casework::placements::PlacementFact;
use harbour_domain::feeds::Feed;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, Duration};

/// Hours a week that count as full-time (the registers' default).
pub const FULL_TIME_HOURS: f64 = 25.0;
/// School days after the first day missing within which a child should be traced (the
/// registers' default).
pub const TRACE_WITHIN_SCHOOL_DAYS: u32 = 20;

/// One permanent exclusion and what the authority provided after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExclusionTruth {
    pub person_id: u64,
    /// The excluding school's agency code.
    pub school: String,
    pub excluded_on: Date,
    /// The sixth school day of the exclusion (the first day, if a school day, is day 1).
    pub day_six: Date,
    /// The first alternative-provision placement, if one started by the as-of day.
    pub first_provision_on: Option<Date>,
    pub first_provision_hours: Option<f64>,
    pub first_provider: Option<String>,
    /// The first day a placement of 25 hours or more started.
    pub full_time_from: Option<Date>,
    /// Full-time provision started on or before the sixth school day.
    pub full_time_by_day_six: bool,
    /// School days after the first school day of the exclusion up to the start of full-time
    /// provision (provision on day 6 is 5), if it started.
    pub school_days_to_full_time: Option<u32>,
    /// Every placement that followed it by the as-of day, oldest first: the pathway from
    /// exclusion to a place (an AP placement register times it in calendar days).
    pub placements: Vec<PlacementTruth>,
    /// The 15th school day after the exclusion's first day, by which the governing board
    /// should decide on reinstatement.
    pub board_due: Date,
    /// The day the board decided, as the officer recorded it (`casework.json`), if by the
    /// as-of day.
    pub board_decision_on: Option<Date>,
    /// Whether the board decided within the 15 school days; `None` while undecided.
    pub board_within_limit: Option<bool>,
    /// The board clock on the as-of day: `met`, `met_late`, `missed` or `due`.
    pub board_state: String,
    /// The reviews of the education offer recorded, oldest first.
    pub reviews: Vec<Date>,
    /// When the officer closed the entry, and why (the closure's label), if by the as-of day.
    pub closed_on: Option<Date>,
    pub closure: Option<String>,
    /// When the next review is due on the as-of day while the entry is open: six weeks after
    /// the exclusion with no review, else the last review's next date.
    pub next_review_due: Option<Date>,
    /// The entry is open and its next review's day has passed by the as-of day.
    pub review_overdue: bool,
}

/// A tracing step an officer recorded on a spell missing education.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepTruth {
    pub step: TraceStep,
    pub on: Date,
}

/// One alternative-provision placement after an exclusion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacementTruth {
    pub starts_on: Date,
    pub provider: String,
    pub hours: f64,
    /// Calendar days from the exclusion's first day to the placement's start.
    pub days_from_exclusion: i64,
    /// The day it ended, as the officer recorded it (`casework.json`), if by the as-of day.
    pub ended_on: Option<Date>,
}

/// One spell missing education.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingTruth {
    pub person_id: u64,
    pub started_on: Date,
    /// The day the child was found, if by the as-of day.
    pub ended_on: Option<Date>,
    pub closed: bool,
    /// Calendar days from the first day to the day found (or to the as-of day if not found).
    pub days_missing: i64,
    /// School days after the first day up to the day found (or the as-of day).
    pub school_days_missing: u32,
    /// The 20th school day after the first day.
    pub trace_due: Date,
    /// Found on or before `trace_due`; `None` while open with the limit not yet passed.
    pub traced_within_limit: Option<bool>,
    /// The tracing steps officers recorded by the as-of day (`casework.json`), oldest first:
    /// only on spells still open then (the feed's closure closes the register's episode).
    pub steps: Vec<StepTruth>,
}

/// One fair-access panel decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionTruth {
    pub person_id: u64,
    pub on: Date,
    /// The allocated school's agency code and DfE number.
    pub school: String,
    pub school_number: String,
    pub response: String,
}

/// A school's decisions by response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchoolShare {
    pub school_number: String,
    pub accepted: u32,
    pub refused: u32,
    pub pending: u32,
}

/// The figures the registers' reports give, worked out here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TruthFigures {
    pub exclusions: usize,
    /// Exclusions whose sixth school day is before the as-of day.
    pub exclusions_past_day_six: usize,
    pub full_time_by_day_six: usize,
    /// Exclusions with no provision at all by the as-of day.
    pub never_placed: usize,
    pub median_school_days_to_full_time: Option<f64>,
    /// The median calendar days from an exclusion to its first placement, over exclusions
    /// with one.
    pub median_days_to_first_placement: Option<f64>,
    pub missing_spells: usize,
    pub missing_open: usize,
    /// Spells closed, or open past their limit: the cohort of the next figure.
    pub missing_due: usize,
    pub missing_traced_within_limit: usize,
    pub median_days_missing: Option<f64>,
    pub fair_access_decisions: usize,
    pub fair_access_accepted: usize,
    /// Board decisions within 15 school days, late, and past due with none recorded.
    pub boards_within_limit: usize,
    pub boards_late: usize,
    pub boards_missed: usize,
    /// Exclusions open on the as-of day (the register's `on_register`).
    pub exclusions_open: usize,
    /// Open exclusions whose next review of the offer is overdue on the as-of day (the
    /// register's `overdue_reviews`).
    pub reviews_overdue: usize,
    /// Placements that followed an exclusion and had not ended by the as-of day (the
    /// pathway's `running`).
    pub placements_running: usize,
    /// Spells with at least one tracing step recorded.
    pub missing_with_steps: usize,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistersTruth {
    pub as_of: Option<Date>,
    pub exclusions: Vec<ExclusionTruth>,
    pub missing_education: Vec<MissingTruth>,
    pub fair_access: Vec<DecisionTruth>,
    /// Each allocated school's decisions, by agency code.
    pub fair_access_by_school: BTreeMap<String, SchoolShare>,
    pub figures: TruthFigures,
}

fn kind_of(event: &Event) -> &str {
    event.columns.first().map_or("", String::as_str)
}

fn detail<'e>(event: &'e Event, column: &str) -> Option<&'e str> {
    event
        .details
        .iter()
        .find(|(c, _)| *c == column)
        .map(|(_, v)| v.as_str())
}

impl RegistersTruth {
    pub fn new(as_of: Date) -> Self {
        Self {
            as_of: Some(as_of),
            ..Self::default()
        }
    }

    /// Adds what one child's written events say.
    pub fn observe(&mut self, person_id: u64, events: &[Event]) {
        let Some(as_of) = self.as_of else { return };
        let mut sorted: Vec<&Event> = events.iter().filter(|e| e.date <= as_of).collect();
        sorted.sort_by_key(|e| e.date);
        // Placements, by day, with their hours and provider.
        let placements: Vec<(Date, f64, &str)> = sorted
            .iter()
            .filter(|e| e.feed == Feed::LaEducation && kind_of(e) == "ap_placement")
            .filter_map(|e| {
                let hours = detail(e, "hours_per_week")?.parse().ok()?;
                Some((e.date, hours, detail(e, "provider").unwrap_or("")))
            })
            .collect();
        let exclusions: Vec<&Event> = sorted
            .iter()
            .copied()
            .filter(|e| e.feed == Feed::SchoolExclusions && kind_of(e) == "PERM")
            .collect();
        for (i, exclusion) in exclusions.iter().enumerate() {
            let first = exclusion.date;
            // A placement belongs to the latest exclusion on or before it.
            let next = exclusions.get(i + 1).map(|e| e.date);
            let theirs: Vec<&(Date, f64, &str)> = placements
                .iter()
                .filter(|(on, ..)| *on >= first && next.is_none_or(|n| *on < n))
                .collect();
            let day_six = school_days::nth(first, 6);
            let full_time_from = theirs
                .iter()
                .find(|(_, hours, _)| *hours >= FULL_TIME_HOURS)
                .map(|(on, ..)| *on);
            self.exclusions.push(ExclusionTruth {
                person_id,
                school: exclusion.supplier.code(),
                excluded_on: first,
                day_six,
                first_provision_on: theirs.first().map(|p| p.0),
                first_provision_hours: theirs.first().map(|p| p.1),
                first_provider: theirs.first().map(|p| p.2.to_owned()),
                full_time_from,
                full_time_by_day_six: full_time_from.is_some_and(|on| on <= day_six),
                board_due: school_days::add(first, BOARD_WITHIN_SCHOOL_DAYS),
                board_decision_on: None,
                board_within_limit: None,
                board_state: board_state(
                    school_days::add(first, BOARD_WITHIN_SCHOOL_DAYS),
                    None,
                    as_of,
                ),
                reviews: Vec::new(),
                closed_on: None,
                closure: None,
                next_review_due: Some(first + Duration::days(REVIEW_EVERY_DAYS)),
                review_overdue: as_of > first + Duration::days(REVIEW_EVERY_DAYS),
                school_days_to_full_time: full_time_from
                    .map(|on| school_days::between(school_days::on_or_after(first), on)),
                placements: theirs
                    .iter()
                    .map(|(on, hours, provider)| PlacementTruth {
                        starts_on: *on,
                        provider: (*provider).to_owned(),
                        hours: *hours,
                        days_from_exclusion: (*on - first).whole_days(),
                        ended_on: None,
                    })
                    .collect(),
            });
        }

        // Missing education: each start with the end that follows it (spells never overlap).
        let mut open: Option<Date> = None;
        for event in sorted.iter().filter(|e| e.feed == Feed::LaEducation) {
            match kind_of(event) {
                "cme_start" => {
                    if let Some(start) = open.take() {
                        self.missing(person_id, start, None, as_of);
                    }
                    open = Some(event.date);
                }
                "cme_end" => {
                    if let Some(start) = open.take() {
                        self.missing(person_id, start, Some(event.date), as_of);
                    }
                }
                _ => {}
            }
        }
        if let Some(start) = open {
            self.missing(person_id, start, None, as_of);
        }

        for event in sorted
            .iter()
            .filter(|e| e.feed == Feed::LaEducation && kind_of(e) == "fair_access")
        {
            let number = detail(event, "allocated_school").unwrap_or("").to_owned();
            let response = detail(event, "response").unwrap_or("").to_owned();
            // The agency code of the school with that number.
            let school = number
                .rsplit('/')
                .next()
                .and_then(|estab| estab.parse::<u16>().ok())
                .and_then(|estab| estab.checked_sub(2000))
                .map(|n| Supplier::School(n).code())
                .unwrap_or_default();
            let share = self
                .fair_access_by_school
                .entry(school.clone())
                .or_insert_with(|| SchoolShare {
                    school_number: number.clone(),
                    ..SchoolShare::default()
                });
            match response.as_str() {
                "accepted" => share.accepted += 1,
                "refused" => share.refused += 1,
                _ => share.pending += 1,
            }
            self.fair_access.push(DecisionTruth {
                person_id,
                on: event.date,
                school,
                school_number: number,
                response,
            });
        }
    }

    fn missing(&mut self, person_id: u64, start: Date, end: Option<Date>, as_of: Date) {
        let trace_due = school_days::add(start, TRACE_WITHIN_SCHOOL_DAYS);
        let until = end.unwrap_or(as_of);
        self.missing_education.push(MissingTruth {
            person_id,
            started_on: start,
            ended_on: end,
            closed: end.is_some(),
            days_missing: (until - start).whole_days().max(0),
            school_days_missing: school_days::between(start, until),
            trace_due,
            traced_within_limit: match end {
                Some(found) => Some(found <= trace_due),
                None if as_of > trace_due => Some(false),
                None => None,
            },
            steps: Vec::new(),
        });
    }

    /// Adds what officers recorded on `person_id`'s cases (`casework::of_child`, each with
    /// the first day of what opened it) to the child's exclusions and spells.
    pub(crate) fn casework(&mut self, person_id: u64, cases: &[(Date, Case)]) {
        let Some(as_of) = self.as_of else { return };
        for (first, case) in cases {
            match &case.facts {
                Facts::Exclusions { facts } => {
                    let Some(e) = self
                        .exclusions
                        .iter_mut()
                        .find(|e| e.person_id == person_id && e.excluded_on == *first)
                    else {
                        continue;
                    };
                    for fact in facts {
                        match fact {
                            Fact::BoardDecision { on, .. } => e.board_decision_on = Some(*on),
                            Fact::Review { on, next_on, .. } => {
                                e.reviews.push(*on);
                                e.next_review_due = Some(
                                    next_on.unwrap_or(*on + Duration::days(REVIEW_EVERY_DAYS)),
                                );
                            }
                            Fact::Closed { on, closure } => {
                                e.closed_on = Some(*on);
                                e.closure = Some(closure.label().to_owned());
                                e.next_review_due = None;
                            }
                            _ => {}
                        }
                    }
                    e.board_within_limit = e.board_decision_on.map(|on| on <= e.board_due);
                    e.board_state = board_state(e.board_due, e.board_decision_on, as_of);
                    e.review_overdue = e.next_review_due.is_some_and(|due| as_of > due);
                }
                Facts::AlternativeProvision { facts } => {
                    let ended = facts.iter().find_map(|f| match f {
                        PlacementFact::Ended { on, .. } => Some(*on),
                        _ => None,
                    });
                    let placement = self
                        .exclusions
                        .iter_mut()
                        .filter(|e| e.person_id == person_id)
                        .flat_map(|e| e.placements.iter_mut())
                        .find(|p| p.starts_on == *first);
                    if let Some(p) = placement {
                        p.ended_on = ended;
                    }
                }
                Facts::MissingEducation { facts } => {
                    let Some(m) = self
                        .missing_education
                        .iter_mut()
                        .find(|m| m.person_id == person_id && m.started_on == *first)
                    else {
                        continue;
                    };
                    m.steps = facts
                        .iter()
                        .filter_map(|f| match f {
                            CmeFact::Step { step, on, .. } => Some(StepTruth {
                                step: *step,
                                on: *on,
                            }),
                            _ => None,
                        })
                        .collect();
                }
            }
        }
    }

    /// Works out the figures once every child has been observed.
    pub fn finish(&mut self) {
        let Some(as_of) = self.as_of else { return };
        let mut f = TruthFigures {
            exclusions: self.exclusions.len(),
            missing_spells: self.missing_education.len(),
            fair_access_decisions: self.fair_access.len(),
            ..TruthFigures::default()
        };
        let mut to_full_time = Vec::new();
        let mut to_placement = Vec::new();
        for e in &self.exclusions {
            to_placement.extend(e.placements.first().map(|p| p.days_from_exclusion as f64));
            if as_of > e.day_six {
                f.exclusions_past_day_six += 1;
                if e.full_time_by_day_six {
                    f.full_time_by_day_six += 1;
                }
            }
            if e.first_provision_on.is_none() {
                f.never_placed += 1;
            }
            to_full_time.extend(e.school_days_to_full_time.map(f64::from));
            match e.board_state.as_str() {
                "met" => f.boards_within_limit += 1,
                "met_late" => f.boards_late += 1,
                "missed" => f.boards_missed += 1,
                _ => {}
            }
            if e.closed_on.is_none() {
                f.exclusions_open += 1;
            }
            if e.review_overdue {
                f.reviews_overdue += 1;
            }
            f.placements_running += e.placements.iter().filter(|p| p.ended_on.is_none()).count();
        }
        f.median_school_days_to_full_time = median(to_full_time);
        f.median_days_to_first_placement = median(to_placement);
        let mut days = Vec::new();
        for m in &self.missing_education {
            if !m.closed {
                f.missing_open += 1;
            }
            if let Some(traced) = m.traced_within_limit {
                f.missing_due += 1;
                if traced {
                    f.missing_traced_within_limit += 1;
                }
            }
            days.push(m.days_missing as f64);
            if !m.steps.is_empty() {
                f.missing_with_steps += 1;
            }
        }
        f.median_days_missing = median(days);
        f.fair_access_accepted = self
            .fair_access
            .iter()
            .filter(|d| d.response == "accepted")
            .count();
        self.figures = f;
    }
}

/// A deadline's state on `as_of`, counted here: met on or before the due day, met late,
/// missed (not met and the due day passed) or still due.
fn board_state(due: Date, met_on: Option<Date>, as_of: Date) -> String {
    match met_on {
        Some(on) if on <= due => "met",
        Some(_) => "met_late",
        None if as_of > due => "missed",
        None => "due",
    }
    .to_owned()
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => values.get(n / 2).copied(),
        _ => Some((values.get(n / 2 - 1)? + values.get(n / 2)?) / 2.0),
    }
}
