//! Alternative provision and pupil referral unit placements, as entries of their own
//! (recommendation 9 of the Child AA review: a clear pathway into alternative provision).
//!
//! A placement is a case like any register entry: a first day (the day it starts) and a list
//! of dated facts that is only ever appended to. Its details (provider, type, hours, review
//! date) are a fact too, so a correction keeps what was there before. It is linked to the
//! permanent exclusion it follows, the child's latest exclusion on or before its start
//! ([`exclusion_followed`]), so the time from exclusion to a place is known for each child and
//! in aggregate ([`Pathway`]). A placement's open task is its review: on the date the
//! officer set, else every [`Settings::review_every`](crate::exclusions::Settings) from its
//! start, so no placement is left without one.

use crate::exclusions::{Refusal, Settings};
use crate::hours::Hours;
use crate::lifecycle::Lifecycle;
use crate::task::{Task, TaskKind};
use harbour_rules::calendar::Calendar;
use serde::{Deserialize, Serialize};
use time::Date;

fn refuse<T>(field: &'static str, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        field,
        message: message.into(),
    })
}

/// The kind of alternative provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionKind {
    PupilReferralUnit,
    AlternativeProvisionAcademy,
    IndependentProvider,
    Tuition,
}

impl ProvisionKind {
    pub const ALL: [Self; 4] = [
        Self::PupilReferralUnit,
        Self::AlternativeProvisionAcademy,
        Self::IndependentProvider,
        Self::Tuition,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::PupilReferralUnit => "pupil_referral_unit",
            Self::AlternativeProvisionAcademy => "alternative_provision_academy",
            Self::IndependentProvider => "independent_provider",
            Self::Tuition => "tuition",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PupilReferralUnit => "Pupil referral unit",
            Self::AlternativeProvisionAcademy => "Alternative provision academy or free school",
            Self::IndependentProvider => "Independent or unregistered provider",
            Self::Tuition => "Tuition (one to one or online)",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// How a placement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacementOutcome {
    ReturnedToMainstream,
    MovedToSpecialistProvision,
    MovedToAnotherPlacement,
    CompletedCompulsoryEducation,
    BrokeDown,
}

impl PlacementOutcome {
    pub const ALL: [Self; 5] = [
        Self::ReturnedToMainstream,
        Self::MovedToSpecialistProvision,
        Self::MovedToAnotherPlacement,
        Self::CompletedCompulsoryEducation,
        Self::BrokeDown,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::ReturnedToMainstream => "returned_to_mainstream",
            Self::MovedToSpecialistProvision => "moved_to_specialist_provision",
            Self::MovedToAnotherPlacement => "moved_to_another_placement",
            Self::CompletedCompulsoryEducation => "completed_compulsory_education",
            Self::BrokeDown => "broke_down",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ReturnedToMainstream => "Returned to a mainstream school",
            Self::MovedToSpecialistProvision => "Moved to specialist provision",
            Self::MovedToAnotherPlacement => "Moved to another placement",
            Self::CompletedCompulsoryEducation => "Completed compulsory education",
            Self::BrokeDown => "Placement broke down",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }
}

/// Something recorded on a placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum PlacementFact {
    /// What the placement is: recorded when it opens and again to correct it (the latest
    /// counts). A feed that does not say the type or the hours leaves them empty for the
    /// officer to fill in.
    Details {
        provider: String,
        kind: Option<ProvisionKind>,
        hours: Option<Hours>,
        review_on: Option<Date>,
    },
    /// A review of the placement, with the next one's date if set.
    Reviewed {
        on: Date,
        notes: String,
        next_on: Option<Date>,
    },
    /// The placement ended.
    Ended {
        on: Date,
        outcome: PlacementOutcome,
        notes: String,
    },
}

impl PlacementFact {
    /// What recording it does to whether the placement is open: an ended placement stays
    /// ended (a new placement is a new entry).
    pub fn lifecycle(&self) -> Lifecycle {
        match self {
            Self::Ended { .. } => Lifecycle::Closes,
            Self::Details { .. } | Self::Reviewed { .. } => Lifecycle::Leaves,
        }
    }

    /// The fact's kind, for the audit and the history (never its free text).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Details { .. } => "details",
            Self::Reviewed { .. } => "reviewed",
            Self::Ended { .. } => "ended",
        }
    }
}

/// One placement: the day it starts and what has been recorded on it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub starts_on: Date,
    pub facts: Vec<PlacementFact>,
}

/// Where a placement stands on a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacementAssessment {
    pub provider: String,
    pub kind: Option<ProvisionKind>,
    pub hours: Option<Hours>,
    /// Whether the hours reach the register's full-time threshold (unknown without hours).
    pub full_time: Option<bool>,
    /// The first day of the permanent exclusion it follows, if it follows one.
    pub after_exclusion: Option<Date>,
    /// Calendar days from the exclusion's first day to the placement's start.
    pub days_from_exclusion: Option<i64>,
    /// School days from the exclusion to the start, counted as the day-6 clock counts them
    /// (the first day of the exclusion is day 1, so a start on day 6 is 5).
    pub school_days_from_exclusion: Option<u32>,
    /// When the next review is due, while the placement runs.
    pub next_review: Option<Date>,
    pub ended: Option<(Date, PlacementOutcome)>,
    /// The tasks open on the day.
    pub tasks: Vec<Task>,
}

/// The latest of a child's permanent exclusions (their first days) on or before `starts_on`:
/// the one a placement follows.
pub fn exclusion_followed(starts_on: Date, exclusions: &[Date]) -> Option<Date> {
    exclusions.iter().copied().filter(|d| *d <= starts_on).max()
}

impl Placement {
    pub fn new(starts_on: Date, details: PlacementFact) -> Self {
        Self {
            starts_on,
            facts: vec![details],
        }
    }

    fn ended(&self) -> Option<(Date, PlacementOutcome)> {
        self.facts.iter().find_map(|f| match f {
            PlacementFact::Ended { on, outcome, .. } => Some((*on, *outcome)),
            _ => None,
        })
    }

    /// The latest details recorded (the opening ones or a correction).
    fn details(&self) -> Option<&PlacementFact> {
        self.facts
            .iter()
            .rev()
            .find(|f| matches!(f, PlacementFact::Details { .. }))
    }

    fn last_review(&self) -> Option<(Date, Option<Date>)> {
        self.facts.iter().rev().find_map(|f| match f {
            PlacementFact::Reviewed { on, next_on, .. } => Some((*on, *next_on)),
            _ => None,
        })
    }

    /// Whether `fact` may be added on `today`. An ended placement takes nothing more (a new
    /// placement is a new entry); dates cannot come before the start or after today, and a
    /// review date must come after what it follows.
    pub fn check(&self, fact: &PlacementFact, today: Date) -> Result<(), Refusal> {
        if let Some((on, _)) = self.ended() {
            return refuse(
                "placement",
                format!("This placement ended on {on}; record a new placement instead"),
            );
        }
        match fact {
            PlacementFact::Details {
                provider,
                hours,
                review_on,
                ..
            } => {
                if provider.trim().is_empty() {
                    return refuse("provider", "Enter the provider");
                }
                if provider.chars().count() > 200 {
                    return refuse("provider", "Enter the provider in 200 characters or fewer");
                }
                if let Some(hours) = hours {
                    if hours.tenths() == 0 {
                        return refuse("hours", "Enter the hours a week, more than 0");
                    }
                    if !hours.within_a_week() {
                        return refuse("hours", "Enter hours of 60 or fewer a week");
                    }
                }
                if let Some(review) = review_on
                    && *review <= self.starts_on
                {
                    return refuse(
                        "review_on",
                        format!(
                            "The review must be after the placement starts ({})",
                            self.starts_on
                        ),
                    );
                }
            }
            PlacementFact::Reviewed { on, notes, next_on } => {
                self.dated("on", *on, today)?;
                if let Some((last, _)) = self.last_review()
                    && *on < last
                {
                    return refuse(
                        "on",
                        format!("The last review was on {last}; a review cannot come before it"),
                    );
                }
                if notes.trim().is_empty() {
                    return refuse("notes", "Enter what the review found");
                }
                if let Some(next) = next_on
                    && next <= on
                {
                    return refuse("next_on", "The next review must be after this one");
                }
            }
            PlacementFact::Ended { on, .. } => self.dated("on", *on, today)?,
        }
        Ok(())
    }

    fn dated(&self, field: &'static str, on: Date, today: Date) -> Result<(), Refusal> {
        if on < self.starts_on {
            return refuse(
                field,
                format!(
                    "The date must be on or after the placement starts ({})",
                    self.starts_on
                ),
            );
        }
        if on > today {
            return refuse(field, "The date cannot be in the future");
        }
        Ok(())
    }

    /// Where the placement stands on `today`, following the exclusion that began on
    /// `after_exclusion` if any.
    pub fn assess(
        &self,
        after_exclusion: Option<Date>,
        calendar: &Calendar,
        settings: &Settings,
        today: Date,
    ) -> PlacementAssessment {
        let (provider, kind, hours, review_on) = match self.details() {
            Some(PlacementFact::Details {
                provider,
                kind,
                hours,
                review_on,
            }) => (provider.clone(), *kind, *hours, *review_on),
            _ => (String::new(), None, None, None),
        };
        let ended = self.ended();
        // The officer's date, else the last review's next date, else the register's
        // interval from the start or the last review.
        let next_review = match (ended, self.last_review()) {
            (Some(_), _) => None,
            (None, Some((_, Some(next)))) => Some(next),
            (None, Some((on, None))) => Some(on + settings.review_every),
            (None, None) => Some(review_on.unwrap_or(self.starts_on + settings.review_every)),
        };
        let after_exclusion = after_exclusion.filter(|d| *d <= self.starts_on);
        // Counted from day 1, the exclusion's first school day, as the register's own
        // "school days to provision" is, so the two figures can be read side by side.
        let school_days_from_exclusion = after_exclusion.map(|excluded| {
            calendar.school_days_between(calendar.add_school_days(excluded, 0), self.starts_on)
        });
        PlacementAssessment {
            provider,
            kind,
            hours,
            full_time: hours.map(|h| h >= settings.full_time),
            after_exclusion,
            days_from_exclusion: after_exclusion.map(|d| (self.starts_on - d).whole_days()),
            school_days_from_exclusion,
            next_review,
            ended,
            tasks: next_review
                .map(|due| vec![Task::new(TaskKind::ReviewPlacement, due, today)])
                .unwrap_or_default(),
        }
    }
}

/// The pathway in aggregate: how many placements there are and have ended, how many followed
/// an exclusion and how long after, and the reviews overdue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pathway {
    pub placements: usize,
    /// Placements still running on the day.
    pub running: usize,
    pub part_time_running: usize,
    pub after_exclusion: usize,
    pub median_days_from_exclusion: Option<f64>,
    pub median_school_days_from_exclusion: Option<f64>,
    pub reviews_overdue: usize,
}

impl Pathway {
    pub fn of<'a>(
        assessments: impl IntoIterator<Item = &'a PlacementAssessment>,
        today: Date,
    ) -> Self {
        let mut days = Vec::new();
        let mut school_days = Vec::new();
        let mut pathway = Self {
            placements: 0,
            running: 0,
            part_time_running: 0,
            after_exclusion: 0,
            median_days_from_exclusion: None,
            median_school_days_from_exclusion: None,
            reviews_overdue: 0,
        };
        for a in assessments {
            pathway.placements += 1;
            if a.ended.is_none() {
                pathway.running += 1;
                if a.full_time == Some(false) {
                    pathway.part_time_running += 1;
                }
                if a.next_review.is_some_and(|due| today > due) {
                    pathway.reviews_overdue += 1;
                }
            }
            if let Some(d) = a.days_from_exclusion {
                pathway.after_exclusion += 1;
                days.push(u32::try_from(d).unwrap_or(u32::MAX));
            }
            if let Some(d) = a.school_days_from_exclusion {
                school_days.push(d);
            }
        }
        pathway.median_days_from_exclusion = crate::exclusions::median(&mut days);
        pathway.median_school_days_from_exclusion = crate::exclusions::median(&mut school_days);
        pathway
    }
}

#[cfg(test)]
#[path = "placements_tests.rs"]
mod tests;
