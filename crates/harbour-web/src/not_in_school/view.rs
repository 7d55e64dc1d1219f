//! The register as rows, worked out once for the list page and the downloads, so the two
//! always agree: each home-education registration and missing-education episode with its
//! clocks in words.

use crate::layout::long_date;
use harbour_casework::ClockState;
use harbour_casework::not_in_school::{EheFact, Registration};
use harbour_store::{HomeEducationEntry, MissingEducationEntry, RegisterChild};
use time::Date;

pub(crate) fn name(child: &Option<RegisterChild>) -> String {
    child
        .as_ref()
        .map(|c| format!("{} {}", c.given_name, c.family_name))
        .unwrap_or_else(|| "A child".into())
}

fn date_of_birth(child: &Option<RegisterChild>) -> String {
    child
        .as_ref()
        .and_then(|c| c.date_of_birth)
        .map(long_date)
        .unwrap_or_default()
}

pub(crate) fn clock(state: ClockState) -> String {
    match state {
        ClockState::Due { due } => format!("Due {}", long_date(due)),
        ClockState::Met { on, .. } => format!("Met {}", long_date(on)),
        ClockState::MetLate { due, on } => {
            format!("Met late {} (due {})", long_date(on), long_date(due))
        }
        ClockState::Missed { due } => format!("Missed (due {})", long_date(due)),
    }
}

pub(crate) fn consent_words(e: &HomeEducationEntry) -> String {
    match (e.assessment.consent_needed, e.assessment.consent) {
        (None, _) => "Not needed".into(),
        (Some(_), Some(true)) => "Granted".into(),
        (Some(_), Some(false)) => "Refused".into(),
        (Some(condition), None) => format!("Needed: this child {}", condition.reason()),
    }
}

pub(crate) fn information_words(e: &HomeEducationEntry, today: Date) -> String {
    match e.assessment.next_request_due {
        Some(due) if today > due => format!("Overdue (due {})", long_date(due)),
        Some(due) => format!("Next due {}", long_date(due)),
        None => "Closed".into(),
    }
}

fn status(open: bool) -> String {
    if open { "Open" } else { "Closed" }.into()
}

/// The latest s.436C(1) content recorded (a feed's registration may have none yet).
fn registration(e: &HomeEducationEntry) -> Option<&Registration> {
    e.history.iter().rev().find_map(|f| match &f.fact {
        EheFact::Registered(r) => Some(r),
        _ => None,
    })
}

/// The latest s.436C(1) content as label and value, for the entry page; empty when none is
/// recorded (a feed's registration says only that the child is home educated).
pub(crate) fn content_rows(e: &HomeEducationEntry) -> Vec<(&'static str, String)> {
    let Some(r) = registration(e) else {
        return Vec::new();
    };
    let none = |text: String| if text.is_empty() { "None".into() } else { text };
    vec![
        (
            "Parents",
            r.parents
                .iter()
                .map(|(name, address)| format!("{name}, {address}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ("Parents who educate", none(r.educating_parents.join("; "))),
        ("Hours a week by parents", r.hours_by_parents.to_string()),
        ("Hours a week by others", r.hours_by_others.to_string()),
        (
            "Other providers",
            none(
                r.providers
                    .iter()
                    .map(|p| {
                        let kind = if p.kind.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", p.kind)
                        };
                        format!("{}{kind}, {}, {} hours a week", p.name, p.address, p.hours)
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
        (
            "Special educational needs",
            r.optional
                .sen
                .map_or_else(|| "Not recorded".into(), |s| s.label().to_owned()),
        ),
        (
            "Children's social care",
            if r.optional.social_care.is_empty() {
                "Not recorded".into()
            } else {
                r.optional
                    .social_care
                    .iter()
                    .map(|c| c.label())
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        ),
    ]
}

/// One home-education registration, as the list and the downloads show it.
pub(crate) struct EheRow {
    pub href: String,
    pub child: String,
    pub date_of_birth: String,
    pub registered: String,
    /// The parents who educate and the other providers, by name; empty when no content is
    /// recorded yet.
    pub educated_by: String,
    /// "18 by parents, 4 by others", or empty.
    pub hours: String,
    pub consent: String,
    /// Consent is needed and not granted (an open entry).
    pub flagged: bool,
    pub home_visit: String,
    pub information: String,
    pub open: bool,
}

impl EheRow {
    pub fn of(e: &HomeEducationEntry, today: Date) -> Self {
        let content = registration(e);
        Self {
            href: format!("/children-not-in-school/home-education/{}", e.id),
            child: name(&e.child),
            date_of_birth: date_of_birth(&e.child),
            registered: long_date(e.first_day),
            educated_by: content
                .map(|r| {
                    r.educating_parents
                        .iter()
                        .cloned()
                        .chain(r.providers.iter().map(|p| p.name.clone()))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default(),
            hours: content
                .map(|r| {
                    format!(
                        "{} by parents, {} by others",
                        r.hours_by_parents, r.hours_by_others
                    )
                })
                .unwrap_or_default(),
            consent: consent_words(e),
            flagged: e.assessment.open && e.assessment.without_consent,
            home_visit: clock(e.assessment.home_visit.state(today)),
            information: information_words(e, today),
            open: e.assessment.open,
        }
    }

    pub const HEADERS: [&'static str; 10] = [
        "Child",
        "Date of birth",
        "Registered",
        "Educated by",
        "Hours a week",
        "Consent (s.434A)",
        "Consent needed and not granted",
        "Home visit request",
        "Information requests",
        "Status",
    ];

    pub fn cells(&self) -> [String; 10] {
        [
            self.child.clone(),
            self.date_of_birth.clone(),
            self.registered.clone(),
            self.educated_by.clone(),
            self.hours.clone(),
            self.consent.clone(),
            if self.flagged { "Yes" } else { "No" }.into(),
            self.home_visit.clone(),
            self.information.clone(),
            status(self.open),
        ]
    }
}

/// One missing-education episode, as the list and the downloads show it.
pub(crate) struct CmeRow {
    pub href: String,
    pub child: String,
    pub date_of_birth: String,
    pub from: String,
    pub since: String,
    pub days: i64,
    pub traced: String,
    pub escalated: bool,
    pub steps_left: usize,
    pub open: bool,
}

impl CmeRow {
    pub fn of(e: &MissingEducationEntry, today: Date) -> Self {
        Self {
            href: format!("/children-not-in-school/missing-education/{}", e.id),
            child: name(&e.child),
            date_of_birth: date_of_birth(&e.child),
            from: e
                .agency_name
                .clone()
                .unwrap_or_else(|| "Added by hand".into()),
            since: long_date(e.first_day),
            days: e.assessment.days_missing,
            traced: clock(e.assessment.trace.state(today)),
            escalated: e.assessment.escalated,
            steps_left: e.assessment.steps_left.len(),
            open: e.assessment.open,
        }
    }

    pub const HEADERS: [&'static str; 9] = [
        "Child",
        "Date of birth",
        "Reported by",
        "Missing since",
        "Days missing",
        "Traced",
        "Escalated",
        "Tracing steps left",
        "Status",
    ];

    pub fn cells(&self) -> [String; 9] {
        [
            self.child.clone(),
            self.date_of_birth.clone(),
            self.from.clone(),
            self.since.clone(),
            self.days.to_string(),
            self.traced.clone(),
            if self.open && self.escalated {
                "Yes"
            } else {
                "No"
            }
            .into(),
            if self.open {
                self.steps_left.to_string()
            } else {
                String::new()
            },
            status(self.open),
        ]
    }
}
