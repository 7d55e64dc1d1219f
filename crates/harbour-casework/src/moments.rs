//! Register clocks as moments on the timeline the critical-moment rules read.
//!
//! Why this shape. The rules (`harbour-rules`) read one thing, a child's timeline, and are
//! pure; the registers' clocks (day 6, reviews, part-time offers, s.434A consent, tracing)
//! are worked out here, from the register's facts, on the school calendar and with the
//! council's `registers.toml`. Rather than teach the rules engine the registers' arithmetic
//! (a second copy, which would drift from the register page and the work queue) or write
//! register facts into `events` (which would put them under the agency events' access rules,
//! wider than the registers' own), each clock that has run out becomes one dated
//! [`Moment`], handed to the rules as an event of kind `register_clock` with the fields
//! `register` and `clock`. A rule file then says what the moment means for people: who is
//! told, how fast, how seriously and why. Only the day a clock ran out is a moment, so the
//! rules see the verdict the register page shows, never the register's facts or notes.
//!
//! A moment is worked out from where the entry stands on the day the rules run (its
//! [`Assessment`](crate::exclusions::Assessment)); replay therefore shows each clock that
//! has run out by then on the day it ran out, including one met late. A clock that ran out
//! and was later put right in a way the assessment no longer shows (consent granted after
//! registration, an earlier review that was late before a later one on time) is not
//! replayed: the register's history page keeps those.

use crate::exclusions::{self, Status};
use crate::not_in_school::{CmeAssessment, EheAssessment};
use harbour_domain::EventKind;
use harbour_rules::{Event, Fields, Timeline};
use std::sync::Arc;
use time::Date;

/// Which clock ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Clock {
    /// Exclusions: no full-time education in force by the sixth school day (s.19).
    DaySix,
    /// Exclusions: the six-weekly review of the child's education not recorded by its day.
    ReviewOverdue,
    /// Exclusions: only part-time education for longer than the limit (6 weeks).
    PartTimeTooLong,
    /// Home education: registered where s.434A needs the authority's consent, without it.
    WithoutConsent,
    /// Missing education: not traced within the limit (20 school days).
    NotTraced,
}

impl Clock {
    pub const ALL: [Self; 5] = [
        Self::DaySix,
        Self::ReviewOverdue,
        Self::PartTimeTooLong,
        Self::WithoutConsent,
        Self::NotTraced,
    ];

    /// The code a rule's condition names (`clock == "day_six"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DaySix => "day_six",
            Self::ReviewOverdue => "review_overdue",
            Self::PartTimeTooLong => "part_time_too_long",
            Self::WithoutConsent => "without_consent",
            Self::NotTraced => "not_traced",
        }
    }

    /// The register it belongs to, by the policy's register code (`register == "exclusions"`).
    pub fn register(self) -> &'static str {
        match self {
            Self::DaySix | Self::ReviewOverdue | Self::PartTimeTooLong => "exclusions",
            Self::WithoutConsent => "home_education",
            Self::NotTraced => "missing_education",
        }
    }

    /// Plain words for the timeline a replay shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::DaySix => "No full-time education by the sixth school day",
            Self::ReviewOverdue => "Review of the education offer overdue",
            Self::PartTimeTooLong => "Part-time education offer past its limit",
            Self::WithoutConsent => "Home education registered without the consent required",
            Self::NotTraced => "Child missing education not traced in time",
        }
    }
}

/// A clock that ran out: which, on what day (the first day it stood missed), and the day it
/// was due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub clock: Clock,
    pub on: Date,
    pub due: Date,
}

/// The first day a duty due on `due` stands missed.
fn day_after(due: Date) -> Date {
    due.next_day().unwrap_or(due)
}

/// An exclusions entry's clocks that have run out by `today`, from its assessment on
/// `today`. A clock that ran out after the entry closed is not a moment: closing it
/// (reinstated, on a roll, moved away) ends the authority's duty.
pub fn of_exclusion(
    assessment: &exclusions::Assessment,
    settings: &exclusions::Settings,
    today: Date,
) -> Vec<Moment> {
    let closed_on = match &assessment.status {
        Status::Closed { on, .. } => Some(*on),
        Status::Open => None,
    };
    let still_open_on = |day: Date| closed_on.is_none_or(|closed| closed >= day);
    let mut out = Vec::new();
    let day_six = assessment.day_six;
    if day_six.state(today).is_missed() && still_open_on(day_after(day_six.due)) {
        out.push(Moment {
            clock: Clock::DaySix,
            on: day_after(day_six.due),
            due: day_six.due,
        });
    }
    // `next_review` and `part_time_since` are only given while the entry is open.
    if let Some(due) = assessment.next_review.filter(|due| *due < today) {
        out.push(Moment {
            clock: Clock::ReviewOverdue,
            on: day_after(due),
            due,
        });
    }
    if let Some(since) = assessment.part_time_since
        && assessment.part_time_too_long
    {
        let due = since + settings.part_time_limit;
        out.push(Moment {
            clock: Clock::PartTimeTooLong,
            on: day_after(due),
            due,
        });
    }
    out
}

/// A home-education registration's moment: registered on `first_day` where s.434A needs
/// the authority's consent, without it (not yet decided, or refused). The moment is the
/// registration day itself: there is no time allowed.
pub fn of_home_education(first_day: Date, assessment: &EheAssessment) -> Vec<Moment> {
    if assessment.without_consent {
        vec![Moment {
            clock: Clock::WithoutConsent,
            on: first_day,
            due: first_day,
        }]
    } else {
        Vec::new()
    }
}

/// A missing-education episode's moment: not traced (closed with where the child was
/// found) by the limit, whether traced since or not.
pub fn of_missing_education(assessment: &CmeAssessment, today: Date) -> Vec<Moment> {
    let trace = assessment.trace;
    if trace.state(today).is_missed() {
        vec![Moment {
            clock: Clock::NotTraced,
            on: day_after(trace.due),
            due: trace.due,
        }]
    } else {
        Vec::new()
    }
}

/// The agency a moment is recorded under on the timeline: none of the feeds' agencies (the
/// register is the council's own record, and its facts never become agency events).
pub const AGENCY: &str = "register";

/// A moment as an event on the rules' timeline. `entry` is the register entry's id: the
/// moment's evidence, so an alert raised on it is raised once per rule and entry, and is
/// shown only to a reader who may open that entry (the store checks it as it checks an
/// agency event's access). The summary names the clock and its due day, never a fact.
pub fn event(entry: &str, moment: &Moment) -> Event {
    let mut details = serde_json::Map::new();
    details.insert("register".into(), moment.clock.register().into());
    details.insert("clock".into(), moment.clock.as_str().into());
    Event {
        id: entry.to_owned(),
        kind: EventKind::RegisterClock,
        on: moment.on,
        agency: Arc::from(AGENCY),
        agency_name: Arc::from("Local authority register"),
        school: None,
        summary: format!("{} (due {})", moment.clock.label(), moment.due),
        details: Fields::from_map(EventKind::RegisterClock, &details),
    }
}

/// `timeline` with `moments` (entry id, moment) added in their places.
pub fn with_moments<'a>(
    timeline: Timeline,
    moments: impl IntoIterator<Item = (&'a str, &'a Moment)>,
) -> Timeline {
    let mut events = timeline.events;
    let before = events.len();
    events.extend(moments.into_iter().map(|(entry, m)| event(entry, m)));
    if events.len() == before {
        return Timeline { events, ..timeline };
    }
    Timeline::new(timeline.person, timeline.born, events)
}

#[cfg(test)]
#[path = "moments_tests.rs"]
mod tests;
