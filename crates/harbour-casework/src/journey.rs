//! A child's education journey: the school-related events of one timeline gathered into
//! the shape an officer reads at a glance (the rolls they were on, suspensions, permanent
//! exclusions, spells of home education and missing education, alternative provision and
//! fair-access placements, attendance by term with persistent and severe absence marked).
//!
//! The input is the timeline the reader may already see (the store has put every event to
//! the access policy), so the journey never shows more than the timeline beside it. Nothing
//! here is stored: it is worked out again for each page.
//!
//! Absence thresholds, from `../shared/reference/domain-standards.md` section 5: persistent
//! absence is missing 10% or more of possible sessions, severe absence 50% or more (DfE
//! absence methodology). They are tested on whole sessions, so 90.0% attendance is
//! persistent absence and 90.1% is not.

use harbour_domain::EventKind;
use harbour_domain::feed_codes::{DESTINATIONS, meaning};
use harbour_domain::feeds::EXCLUSION_REASONS;
use harbour_rules::calendar::{Calendar, Term};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, Month};

/// One event of a timeline, as the journey reads it.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub kind: EventKind,
    pub on: Date,
    /// The school (or agency) the event is about, as people read it.
    pub school: &'a str,
    /// The sender's words for the event (an alternative-provision placement's provider).
    pub summary: &'a str,
    /// The event's stored details (a JSON object).
    pub details: &'a str,
}

/// A time on a school's roll. Either end may be unknown: a leaving with no joining row
/// (the school sent only its leavers), or a child still on the roll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stint {
    pub school: String,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Why the child left, in words (the destination, or the transfer file's reason).
    pub left_because: Option<String>,
}

/// A suspension or a permanent exclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exclusion {
    pub on: Date,
    pub school: String,
    /// Sessions missed (suspensions only).
    pub sessions: Option<u32>,
    /// The DfE reason code and its meaning.
    pub reason_code: Option<String>,
    pub reason: Option<String>,
}

/// A spell of home education or of missing education.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Spell {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub recorded_by: String,
}

/// What kind of placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacementKind {
    /// Alternative provision or a pupil referral unit.
    AlternativeProvision,
    /// A place allocated by the fair-access panel.
    FairAccess,
}

impl PlacementKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::AlternativeProvision => "Alternative provision",
            Self::FairAccess => "Fair-access placement",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    pub on: Date,
    pub kind: PlacementKind,
    pub recorded_by: String,
    pub description: String,
}

/// How much school a child missed in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Absence {
    Ordinary,
    /// Missed 10% or more of possible sessions.
    Persistent,
    /// Missed 50% or more.
    Severe,
}

impl Absence {
    fn of(possible: u32, attended: u32) -> Self {
        let missed = u64::from(possible.saturating_sub(attended));
        let possible = u64::from(possible);
        if missed * 2 >= possible {
            Self::Severe
        } else if missed * 10 >= possible {
            Self::Persistent
        } else {
            Self::Ordinary
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ordinary => "",
            Self::Persistent => "Persistent absence",
            Self::Severe => "Severe absence",
        }
    }
}

/// Attendance over one period: a term, or (when the sender's period spans more than one
/// term, as a transfer file's academic year does) the sender's own period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attendance {
    pub label: String,
    pub from: Date,
    pub to: Date,
    pub possible: u32,
    pub attended: u32,
    /// Attendance in tenths of a percent (905 is 90.5%), rounded down.
    pub per_mille: u32,
    pub absence: Absence,
    /// Who sent the figures (several schools in one term are added together).
    pub recorded_by: Vec<String>,
}

impl Attendance {
    /// The percentage to one decimal place, for people to read.
    pub fn percent(&self) -> String {
        format!("{}.{}%", self.per_mille / 10, self.per_mille % 10)
    }
}

/// The education journey of one child, each list oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Journey {
    pub rolls: Vec<Stint>,
    pub suspensions: Vec<Exclusion>,
    pub exclusions: Vec<Exclusion>,
    pub home_education: Vec<Spell>,
    pub missing_education: Vec<Spell>,
    pub placements: Vec<Placement>,
    pub attendance: Vec<Attendance>,
}

impl Journey {
    /// Whether there is nothing to show (a child known only to the police, say).
    pub fn is_empty(&self) -> bool {
        self.rolls.is_empty()
            && self.suspensions.is_empty()
            && self.exclusions.is_empty()
            && self.home_education.is_empty()
            && self.missing_education.is_empty()
            && self.placements.is_empty()
            && self.attendance.is_empty()
    }
}

#[derive(Deserialize, Default)]
struct Details {
    destination: Option<String>,
    reason: Option<String>,
    sessions: Option<u32>,
    sessions_possible: Option<u32>,
    sessions_attended: Option<u32>,
    period_start: Option<String>,
    /// A transfer file's academic year (2019 for 2019/20).
    year: Option<i32>,
}

fn details(text: &str) -> Details {
    // Details are written by Harbour's own parsers; any that do not read (an older shape)
    // simply give nothing, as the timeline still shows the event.
    serde_json::from_str(text).unwrap_or_default()
}

/// Gathers the journey from a timeline's items (any order; any kinds: the ones that are
/// not about education are passed over).
pub fn of<'a>(items: impl IntoIterator<Item = Item<'a>>, calendar: &Calendar) -> Journey {
    let mut items: Vec<Item<'a>> = items.into_iter().collect();
    items.sort_by_key(|i| i.on);
    let mut journey = Journey::default();
    let mut attendance = Vec::new();
    for item in &items {
        let d = details(item.details);
        match item.kind {
            EventKind::SchoolEnrolment => journey.rolls.push(Stint {
                school: item.school.to_owned(),
                from: Some(item.on),
                to: None,
                left_because: None,
            }),
            EventKind::SchoolLeaving => {
                let because = d
                    .destination
                    .as_deref()
                    .map(|code| meaning(DESTINATIONS, code).to_owned())
                    .or(d.reason.filter(|r| !r.is_empty()));
                match journey
                    .rolls
                    .iter_mut()
                    .rev()
                    .find(|s| s.school == item.school && s.to.is_none())
                {
                    Some(stint) => {
                        stint.to = Some(item.on);
                        stint.left_because = because;
                    }
                    None => journey.rolls.push(Stint {
                        school: item.school.to_owned(),
                        from: None,
                        to: Some(item.on),
                        left_because: because,
                    }),
                }
            }
            EventKind::Suspension | EventKind::PermanentExclusion => {
                let code = d.reason.filter(|r| !r.is_empty());
                let entry = Exclusion {
                    on: item.on,
                    school: item.school.to_owned(),
                    sessions: d.sessions.filter(|_| item.kind == EventKind::Suspension),
                    reason: code
                        .as_deref()
                        .map(|c| meaning(EXCLUSION_REASONS, c).to_owned()),
                    reason_code: code,
                };
                if item.kind == EventKind::Suspension {
                    journey.suspensions.push(entry);
                } else {
                    journey.exclusions.push(entry);
                }
            }
            EventKind::EheRegistration => start(&mut journey.home_education, item),
            EventKind::EheEnd => end(&mut journey.home_education, item),
            EventKind::CmeStart => start(&mut journey.missing_education, item),
            EventKind::CmeEnd => end(&mut journey.missing_education, item),
            EventKind::AlternativeProvision | EventKind::FairAccessPlacement => {
                journey.placements.push(Placement {
                    on: item.on,
                    kind: if item.kind == EventKind::AlternativeProvision {
                        PlacementKind::AlternativeProvision
                    } else {
                        PlacementKind::FairAccess
                    },
                    recorded_by: item.school.to_owned(),
                    description: item.summary.to_owned(),
                })
            }
            EventKind::AttendanceSummary => {
                if let (Some(possible), Some(attended)) = (d.sessions_possible, d.sessions_attended)
                    && possible > 0
                    && attended <= possible
                {
                    // A figure with no period is placed by its own date alone.
                    let from = d
                        .period_start
                        .as_deref()
                        .and_then(parse_date)
                        .or_else(|| academic_year_start(d.year?))
                        .unwrap_or(item.on);
                    attendance.push((from, item.on, possible, attended, item.school));
                }
            }
            _ => {}
        }
    }
    journey.attendance = by_period(attendance, calendar);
    journey
}

fn start(spells: &mut Vec<Spell>, item: &Item<'_>) {
    spells.push(Spell {
        from: Some(item.on),
        to: None,
        recorded_by: item.school.to_owned(),
    });
}

fn end(spells: &mut Vec<Spell>, item: &Item<'_>) {
    match spells.iter_mut().rev().find(|s| s.to.is_none()) {
        Some(spell) => spell.to = Some(item.on),
        None => spells.push(Spell {
            from: None,
            to: Some(item.on),
            recorded_by: item.school.to_owned(),
        }),
    }
}

fn parse_date(text: &str) -> Option<Date> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

fn academic_year_start(year: i32) -> Option<Date> {
    Date::from_calendar_date(year, Month::September, 1).ok()
}

/// The one term a period overlaps, if it overlaps exactly one (its ends may fall in the
/// holidays either side: half-termly figures are often dated at the break). A period across
/// terms (a transfer file's academic year) keeps its own dates.
fn term_of_period(calendar: &Calendar, from: Date, to: Date) -> Option<Term> {
    let mut overlapping = (from.year()..=to.year())
        .flat_map(|year| calendar.terms_of_year(year))
        .filter(|t| t.starts <= to && t.ends >= from);
    let term = overlapping.next()?;
    overlapping.next().is_none().then_some(term)
}

fn term_label(term: Term) -> String {
    let season = match term.starts.month() {
        Month::January | Month::February | Month::March => "Spring",
        Month::April | Month::May | Month::June | Month::July | Month::August => "Summer",
        _ => "Autumn",
    };
    format!("{season} term {}", term.starts.year())
}

type Sent<'a> = (Date, Date, u32, u32, &'a str);

fn by_period(sent: Vec<Sent<'_>>, calendar: &Calendar) -> Vec<Attendance> {
    // Keyed by the period's dates so the result is in date order.
    let mut periods: BTreeMap<(Date, Date), Attendance> = BTreeMap::new();
    for (from, to, possible, attended, school) in sent {
        let (key, label) = match term_of_period(calendar, from, to) {
            Some(term) => ((term.starts, term.ends), term_label(term)),
            None => ((from, to), format!("{from} to {to}")),
        };
        let period = periods.entry(key).or_insert_with(|| Attendance {
            label,
            from: key.0,
            to: key.1,
            possible: 0,
            attended: 0,
            per_mille: 0,
            absence: Absence::Ordinary,
            recorded_by: Vec::new(),
        });
        period.possible = period.possible.saturating_add(possible);
        period.attended = period.attended.saturating_add(attended);
        if !period.recorded_by.iter().any(|s| s == school) {
            period.recorded_by.push(school.to_owned());
        }
    }
    periods
        .into_values()
        .map(|mut p| {
            p.per_mille =
                u32::try_from(u64::from(p.attended) * 1000 / u64::from(p.possible.max(1)))
                    .unwrap_or(1000);
            p.absence = Absence::of(p.possible, p.attended);
            p
        })
        .collect()
}

#[cfg(test)]
#[path = "journey_tests.rs"]
mod tests;
