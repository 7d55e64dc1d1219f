//! The permanent exclusions register (recommendation 8 of the Child AA review: "a robust
//! register of children who are permanently excluded which is monitored and reviewed to
//! ensure support and a full-time education offer").
//!
//! An entry is one permanent exclusion of one child. Its history is a list of [`Fact`]s in
//! the order they were recorded; nothing is removed, and a later fact of the same kind (a
//! corrected offer, a second board decision after an independent review) supersedes the
//! earlier one for the clocks while both stay in the history. [`Entry::check`] decides
//! whether a new fact may be added; [`Entry::assess`] says, for a day, where the entry
//! stands: its clocks, its offer, its tasks.
//!
//! The clocks, from `../shared/reference/domain-standards.md` section 3.3:
//! - **Day 6**: the local authority must arrange suitable full-time education from the sixth
//!   school day of the exclusion (s.19 Education Act 1996). Met by a full-time offer that
//!   starts on or before that day.
//! - **Board**: the governing board must consider reinstatement within 15 school days of
//!   being told of the exclusion (taken as the exclusion's first day: schools tell the
//!   board and the authority the same day).
//! - **Review window**: parents may apply for an independent review within 15 school days of
//!   being told in writing of the board's decision not to reinstate (SI 2012/1033 Sch 1).
//! - **Review hearing**: the panel must sit by the 15th school day after the application.
//! - **Offer review**: the register reviews each child's education every 6 weeks by default.

use crate::clock::{Deadline, Window};
use crate::hours::Hours;
use crate::lifecycle::Lifecycle;
use crate::task::{Task, TaskKind};
use harbour_rules::calendar::Calendar;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

/// What a council may set for its register (`rules/registers.toml` in a deployment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Hours a week that count as full-time (25 by default).
    pub full_time: Hours,
    /// How long a part-time offer may run before it is flagged (6 weeks by default).
    pub part_time_limit: Duration,
    /// How often the register reviews a child's education (6 weeks by default).
    pub review_every: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            full_time: Hours::whole(25),
            part_time_limit: Duration::weeks(6),
            review_every: Duration::weeks(6),
        }
    }
}

/// The independent review panel's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelOutcome {
    /// The board's decision stands.
    Upheld,
    /// The board is recommended to reconsider.
    RecommendReconsider,
    /// The board's decision is quashed and it must reconsider.
    Quashed,
}

/// Why an entry closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Closure {
    /// The board (or the head, by cancelling) reinstated the pupil.
    Reinstated,
    /// The child is on a school's roll.
    PlacedOnRoll { school: String },
    /// The family moved; the receiving authority was told on `told_on`.
    MovedOutOfArea { authority: String, told_on: Date },
    /// The child passed compulsory school age.
    LeftCompulsoryEducation,
}

impl Closure {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Reinstated => "Reinstated",
            Self::PlacedOnRoll { .. } => "Placed on a school roll",
            Self::MovedOutOfArea { .. } => "Moved out of the area",
            Self::LeftCompulsoryEducation => "Left compulsory education",
        }
    }
}

/// Something recorded on an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum Fact {
    /// The governing board met and decided; parents were told in writing on `parents_told_on`.
    BoardDecision {
        on: Date,
        reinstate: bool,
        parents_told_on: Date,
    },
    /// Parents applied for an independent review.
    ReviewApplied {
        on: Date,
    },
    /// The panel's hearing: `outcome` is empty while the date is only arranged.
    ReviewHearing {
        on: Date,
        outcome: Option<PanelOutcome>,
    },
    /// Education offered: who provides it, hours a week, from when. `placement` is the key
    /// of the authority's `ap_placement` event it was recorded from (by Harbour), if any.
    Offer {
        provider: String,
        hours: Hours,
        starts_on: Date,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        placement: Option<String>,
    },
    /// Hours attended in the week starting `week_starting`.
    Attended {
        week_starting: Date,
        hours: Hours,
    },
    /// A review of the child's education, with the next one's date if set.
    Review {
        on: Date,
        notes: String,
        next_on: Option<Date>,
    },
    Closed {
        on: Date,
        closure: Closure,
    },
    Reopened {
        on: Date,
        why: String,
    },
}

impl Fact {
    /// What recording it does to whether the entry is open.
    pub fn lifecycle(&self) -> Lifecycle {
        match self {
            Self::Closed { .. } => Lifecycle::Closes,
            Self::Reopened { .. } => Lifecycle::Reopens,
            _ => Lifecycle::Leaves,
        }
    }
}

/// Why a fact may not be added: the form field it concerns and what to tell the officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Refusal {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> Result<(), Refusal> {
    Err(Refusal {
        field,
        message: message.into(),
    })
}

/// Longest notes accepted on a review (a page of text).
const MAX_NOTES: usize = 10_000;
/// How far ahead an offer may start or a hearing be arranged.
const MAX_AHEAD: Duration = Duration::days(366);

/// One permanent exclusion and what has been recorded about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The first day the pupil is excluded.
    pub first_day: Date,
    /// What has been recorded, oldest first.
    pub facts: Vec<Fact>,
}

/// Whether an entry is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    Open,
    Closed { on: Date, closure: Closure },
}

/// The offer in force, and whether it is full-time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentOffer {
    pub provider: String,
    pub hours: Hours,
    pub starts_on: Date,
    pub full_time: bool,
    /// The last week's attended hours, if any were recorded since the offer started.
    pub attended_last: Option<Hours>,
}

/// Where an entry stands on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub status: Status,
    pub day_six: Deadline,
    pub board: Deadline,
    /// Open once the board has decided not to reinstate.
    pub review_window: Option<Window>,
    /// Set once parents have applied.
    pub review_hearing: Option<Deadline>,
    /// When the next review of the education offer is due (only while open).
    pub next_review: Option<Date>,
    pub offer: Option<CurrentOffer>,
    /// Since when the child has had only part-time offers (while that is so).
    pub part_time_since: Option<Date>,
    /// The part-time offer has run past the limit.
    pub part_time_too_long: bool,
    /// School days from the first day of the exclusion to the start of full-time education
    /// (the first day counts as day 1, so provision on day 6 is 5 days), if it has started.
    pub school_days_to_provision: Option<u32>,
    /// The tasks open on the day, in queue order.
    pub tasks: Vec<Task>,
}

impl Entry {
    pub fn new(first_day: Date) -> Self {
        Self {
            first_day,
            facts: Vec::new(),
        }
    }

    /// Whether the entry is closed (and not reopened since).
    pub fn is_closed(&self) -> bool {
        self.facts.iter().rev().find_map(|f| match f {
            Fact::Closed { .. } => Some(true),
            Fact::Reopened { .. } => Some(false),
            _ => None,
        }) == Some(true)
    }

    fn last_board_decision(&self) -> Option<(Date, bool, Date)> {
        self.facts.iter().rev().find_map(|f| match f {
            Fact::BoardDecision {
                on,
                reinstate,
                parents_told_on,
            } => Some((*on, *reinstate, *parents_told_on)),
            _ => None,
        })
    }

    fn last_application(&self) -> Option<Date> {
        self.facts.iter().rev().find_map(|f| match f {
            Fact::ReviewApplied { on } => Some(*on),
            _ => None,
        })
    }

    /// Whether `fact` may be added today. Refuses impossible dates (a meeting before the
    /// exclusion, a decision recorded before it is made), steps out of order (a review
    /// hearing with no application) and any change to a closed entry but reopening it.
    pub fn check(&self, fact: &Fact, calendar: &Calendar, today: Date) -> Result<(), Refusal> {
        let closed = self.is_closed();
        match fact {
            Fact::Reopened { .. } if !closed => return refuse("why", "This entry is open"),
            Fact::Reopened { .. } => {}
            _ if closed => {
                return refuse(
                    "entry",
                    "This entry is closed: reopen it before recording anything else",
                );
            }
            _ => {}
        }
        let first = self.first_day;
        let not_before_exclusion = |field, day: Date, what: &str| {
            if day < first {
                refuse(
                    field,
                    format!("{what} must be on or after the exclusion ({first})"),
                )
            } else {
                Ok(())
            }
        };
        let not_future = |field, day: Date, what: &str| {
            if day > today {
                refuse(field, format!("{what} cannot be in the future"))
            } else {
                Ok(())
            }
        };
        match fact {
            Fact::BoardDecision {
                on,
                parents_told_on,
                ..
            } => {
                not_before_exclusion("on", *on, "The board's decision")?;
                not_future("on", *on, "The board's decision")?;
                if parents_told_on < on {
                    return refuse(
                        "parents_told_on",
                        "Parents cannot be told of the decision before it was made",
                    );
                }
                not_future(
                    "parents_told_on",
                    *parents_told_on,
                    "The date parents were told",
                )
            }
            Fact::ReviewApplied { on } => {
                let Some((_, reinstate, told)) = self.last_board_decision() else {
                    return refuse(
                        "on",
                        "Record the board's decision before an application for review",
                    );
                };
                if reinstate {
                    return refuse(
                        "on",
                        "The board reinstated the pupil: there is nothing to review",
                    );
                }
                if *on < told {
                    return refuse(
                        "on",
                        format!("The application must be on or after parents were told ({told})"),
                    );
                }
                not_future("on", *on, "The application")?;
                let closes = calendar.add_school_days(told, 15);
                if *on > closes {
                    return refuse(
                        "on",
                        format!(
                            "The window for an application closed on {closes} (15 school days after parents were told)"
                        ),
                    );
                }
                Ok(())
            }
            Fact::ReviewHearing { on, outcome } => {
                let Some(applied) = self.last_application() else {
                    return refuse("on", "Record the parents' application before the hearing");
                };
                if *on < applied {
                    return refuse(
                        "on",
                        format!("The hearing must be on or after the application ({applied})"),
                    );
                }
                if outcome.is_some() {
                    not_future("on", *on, "A hearing with an outcome")?;
                } else if *on > today + MAX_AHEAD {
                    return refuse("on", "A hearing can be arranged at most a year ahead");
                }
                Ok(())
            }
            Fact::Offer {
                provider,
                hours,
                starts_on,
                ..
            } => {
                if provider.trim().is_empty() {
                    return refuse("provider", "Enter who provides the education");
                }
                if hours.tenths() == 0 {
                    return refuse("hours", "Enter the hours offered a week, more than 0");
                }
                if !hours.within_a_week() {
                    return refuse("hours", "Enter hours of 60 or fewer a week");
                }
                not_before_exclusion("starts_on", *starts_on, "The offer's start")?;
                if *starts_on > today + MAX_AHEAD {
                    return refuse("starts_on", "An offer can start at most a year ahead");
                }
                Ok(())
            }
            Fact::Attended {
                week_starting,
                hours,
            } => {
                not_before_exclusion("week_starting", *week_starting, "The week")?;
                not_future("week_starting", *week_starting, "The week")?;
                if !hours.within_a_week() {
                    return refuse("hours", "Enter hours of 60 or fewer a week");
                }
                let offered = self.facts.iter().any(
                    |f| matches!(f, Fact::Offer { starts_on, .. } if starts_on <= week_starting),
                );
                if !offered && hours.tenths() > 0 {
                    return refuse(
                        "week_starting",
                        "No offer had started by that week: record the offer first",
                    );
                }
                Ok(())
            }
            Fact::Review { on, notes, next_on } => {
                not_before_exclusion("on", *on, "The review")?;
                not_future("on", *on, "The review")?;
                if notes.trim().is_empty() {
                    return refuse("notes", "Enter what the review found");
                }
                if notes.len() > MAX_NOTES {
                    return refuse("notes", "Notes must be 10,000 characters or fewer");
                }
                match next_on {
                    Some(next) if next <= on => {
                        refuse("next_on", "The next review must be after this one")
                    }
                    Some(next) if *next > *on + MAX_AHEAD => {
                        refuse("next_on", "The next review must be within a year")
                    }
                    _ => Ok(()),
                }
            }
            Fact::Closed { on, closure } => {
                not_before_exclusion("on", *on, "The closure")?;
                not_future("on", *on, "The closure")?;
                match closure {
                    Closure::PlacedOnRoll { school } if school.trim().is_empty() => {
                        refuse("school", "Enter the school the child is on roll at")
                    }
                    Closure::MovedOutOfArea { authority, .. } if authority.trim().is_empty() => {
                        refuse("authority", "Enter the authority the child moved to")
                    }
                    Closure::MovedOutOfArea { told_on, .. } if *told_on > today => refuse(
                        "told_on",
                        "The date the receiving authority was told cannot be in the future",
                    ),
                    _ => Ok(()),
                }
            }
            Fact::Reopened { on, why } => {
                not_future("on", *on, "Reopening")?;
                if why.trim().is_empty() {
                    return refuse("why", "Say why the entry is reopened");
                }
                Ok(())
            }
        }
    }

    /// Where the entry stands on `today`.
    pub fn assess(&self, calendar: &Calendar, settings: &Settings, today: Date) -> Assessment {
        let first = self.first_day;
        let day_six_due = calendar.nth_school_day(first, 6);

        // Offers in force: the latest recorded offer starting on or before a day supersedes
        // earlier ones (a corrected or changed offer).
        let mut offers: Vec<(&str, Hours, Date)> = Vec::new();
        let mut reviews: Vec<(Date, Option<Date>)> = Vec::new();
        let mut attended: Vec<(Date, Hours)> = Vec::new();
        let mut status = Status::Open;
        let mut board_on = None;
        let mut hearing: Option<(Date, bool)> = None;
        for fact in &self.facts {
            match fact {
                Fact::Offer {
                    provider,
                    hours,
                    starts_on,
                    ..
                } => offers.push((provider, *hours, *starts_on)),
                Fact::Review { on, next_on, .. } => reviews.push((*on, *next_on)),
                Fact::Attended {
                    week_starting,
                    hours,
                } => attended.push((*week_starting, *hours)),
                Fact::Closed { on, closure } => {
                    status = Status::Closed {
                        on: *on,
                        closure: closure.clone(),
                    };
                }
                Fact::Reopened { .. } => status = Status::Open,
                Fact::BoardDecision { on, .. } => board_on = Some(*on),
                Fact::ReviewHearing { on, outcome } => hearing = Some((*on, outcome.is_some())),
                Fact::ReviewApplied { .. } => {}
            }
        }
        // The offer in force on a day: of the offers started by then, the one recorded last.
        let in_force = |day: Date| offers.iter().rev().find(|(_, _, starts)| *starts <= day);
        let full_time = |hours: Hours| hours >= settings.full_time;

        // The first day full-time education was in force (offers only start on their day).
        let mut starts: Vec<Date> = offers.iter().map(|(_, _, s)| *s).collect();
        starts.sort();
        starts.dedup();
        let provision_from = starts
            .iter()
            .copied()
            .find(|day| in_force(*day).is_some_and(|(_, h, _)| full_time(*h)));

        let offer = in_force(today).map(|(provider, hours, starts_on)| CurrentOffer {
            provider: (*provider).to_owned(),
            hours: *hours,
            starts_on: *starts_on,
            full_time: full_time(*hours),
            attended_last: attended
                .iter()
                .filter(|(week, _)| week >= starts_on && *week <= today)
                .max_by_key(|(week, _)| *week)
                .map(|(_, h)| *h),
        });

        // Since when only part-time offers have been in force, walking the offer starts.
        let mut part_time_since = None;
        for day in starts.iter().copied().filter(|d| *d <= today) {
            match in_force(day) {
                Some((_, hours, _)) if !full_time(*hours) => {
                    part_time_since.get_or_insert(day);
                }
                _ => part_time_since = None,
            }
        }
        let open = status == Status::Open;
        let part_time_since = part_time_since.filter(|_| open);
        let part_time_too_long =
            part_time_since.is_some_and(|since| today - since > settings.part_time_limit);

        let board = Deadline::new(calendar.add_school_days(first, 15), board_on);
        let decision = self.last_board_decision();
        let review_window = decision
            .filter(|(_, reinstate, _)| !reinstate)
            .map(|(_, _, told)| Window {
                closes: calendar.add_school_days(told, 15),
                used_on: self.last_application(),
            });
        let review_hearing = self.last_application().map(|applied| {
            Deadline::new(
                calendar.add_school_days(applied, 15),
                hearing.filter(|(_, decided)| *decided).map(|(on, _)| on),
            )
        });

        let next_review = open.then(|| match reviews.last() {
            Some((_, Some(next))) => *next,
            Some((on, None)) => *on + settings.review_every,
            None => first + settings.review_every,
        });

        let day_six = Deadline::new(day_six_due, provision_from);
        let mut tasks = Vec::new();
        if open {
            if day_six.met_on.is_none_or(|on| on > today) {
                tasks.push(Task::new(TaskKind::ArrangeProvision, day_six_due, today));
            }
            if board.met_on.is_none() {
                tasks.push(Task::new(TaskKind::BoardDecision, board.due, today));
            }
            if let Some(hearing) = review_hearing.filter(|h| h.met_on.is_none()) {
                tasks.push(Task::new(TaskKind::ReviewHearing, hearing.due, today));
            }
            if let Some(since) = part_time_since {
                tasks.push(Task::new(
                    TaskKind::PartTimeOffer,
                    since + settings.part_time_limit,
                    today,
                ));
            }
            if let Some(due) = next_review {
                tasks.push(Task::new(TaskKind::ReviewOffer, due, today));
            }
        }
        tasks.sort_by_key(Task::queue_order);

        Assessment {
            status,
            day_six,
            board,
            review_window,
            review_hearing,
            next_review,
            offer,
            part_time_since,
            part_time_too_long,
            school_days_to_provision: provision_from
                .filter(|on| *on <= today)
                .map(|on| calendar.school_days_between(calendar.add_school_days(first, 0), on)),
            tasks,
        }
    }
}

/// The register's figures on a day, for the list page and `harbour report exclusions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Entries open on the day.
    pub on_register: usize,
    /// Entries whose sixth school day has passed (the cohort the next figure is a share of).
    pub past_day_six: usize,
    /// Of those, how many had full-time education by the sixth day.
    pub full_time_by_day_six: usize,
    /// `full_time_by_day_six / past_day_six`, when there are any.
    pub share_full_time_by_day_six: Option<f64>,
    /// The median school days from exclusion to full-time education, over entries that have it.
    pub median_school_days_to_provision: Option<f64>,
    /// Open entries whose offer review is overdue.
    pub overdue_reviews: usize,
    /// Open entries with a part-time offer past the limit.
    pub part_time_too_long: usize,
}

impl Figures {
    pub fn of<'a>(assessments: impl IntoIterator<Item = &'a Assessment>, today: Date) -> Self {
        let mut figures = Self {
            on_register: 0,
            past_day_six: 0,
            full_time_by_day_six: 0,
            share_full_time_by_day_six: None,
            median_school_days_to_provision: None,
            overdue_reviews: 0,
            part_time_too_long: 0,
        };
        let mut days = Vec::new();
        for a in assessments {
            if a.status == Status::Open {
                figures.on_register += 1;
                if a.next_review.is_some_and(|due| today > due) {
                    figures.overdue_reviews += 1;
                }
                if a.part_time_too_long {
                    figures.part_time_too_long += 1;
                }
            }
            if today > a.day_six.due {
                figures.past_day_six += 1;
                if matches!(a.day_six.state(today), crate::ClockState::Met { .. }) {
                    figures.full_time_by_day_six += 1;
                }
            }
            if let Some(d) = a.school_days_to_provision {
                days.push(d);
            }
        }
        if figures.past_day_six > 0 {
            figures.share_full_time_by_day_six =
                Some(figures.full_time_by_day_six as f64 / figures.past_day_six as f64);
        }
        figures.median_school_days_to_provision = median(&mut days);
        figures
    }
}

pub(crate) fn median(values: &mut [u32]) -> Option<f64> {
    values.sort_unstable();
    let n = values.len();
    let mid = n / 2;
    match n {
        0 => None,
        _ if n % 2 == 1 => values.get(mid).map(|v| f64::from(*v)),
        _ => {
            let (a, b) = (values.get(mid - 1)?, values.get(mid)?);
            Some((f64::from(*a) + f64::from(*b)) / 2.0)
        }
    }
}

/// An alternative-provision placement the authority's feed reported (`ap_placement`): from
/// when, with whom, for how many hours a week, and the event's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedPlacement {
    pub on: Date,
    pub key: String,
    pub provider: String,
    pub hours: Hours,
}

impl Entry {
    /// The offers the authority's reported placements add to this entry while it is open:
    /// each placement from the exclusion's first day until `until` (the child's next
    /// permanent exclusion, whose entry the later placements belong to), not recorded yet.
    /// The placement is the offer the authority made, so the day-6, full-time and
    /// part-time clocks follow it as if an officer had typed it.
    pub fn offers_from_feed(
        &self,
        placements: &[ReportedPlacement],
        until: Option<Date>,
    ) -> Vec<Fact> {
        if self.is_closed() {
            return Vec::new();
        }
        let recorded: Vec<&str> = self
            .facts
            .iter()
            .filter_map(|f| match f {
                Fact::Offer {
                    placement: Some(key),
                    ..
                } => Some(key.as_str()),
                _ => None,
            })
            .collect();
        placements
            .iter()
            .filter(|p| {
                p.on >= self.first_day
                    && until.is_none_or(|until| p.on < until)
                    && p.hours.tenths() > 0
                    && !recorded.contains(&p.key.as_str())
            })
            .map(|p| Fact::Offer {
                provider: p.provider.clone(),
                hours: p.hours,
                starts_on: p.on,
                placement: Some(p.key.clone()),
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "exclusions_tests.rs"]
mod tests;
