//! Fair access and alternative provision (recommendations 5 and 9 of the Child AA review:
//! consistency in fair-access placements across the county, and a clear pathway into
//! alternative provision).
//!
//! The fair-access panel places children who have no school place, often after an
//! exclusion. Its log is a list of [`Decision`]s; the consistency view asks whether every
//! school takes its share: placements per 1,000 pupils on roll, per school and per area,
//! beside the county's rate. Alternative-provision placements, the other half of the
//! pathway, are entries of their own: [`crate::placements`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::Date;

pub use crate::exclusions::Refusal;

fn refuse<T>(field: &'static str, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        field,
        message: message.into(),
    })
}

/// What the allocated school said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    Pending,
    Accepted,
    Refused,
}

/// One fair-access panel decision: a child allocated to a school.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub on: Date,
    /// The allocated school's code (its agency).
    pub school: String,
    pub reason: String,
    pub response: Response,
}

impl Decision {
    /// Checks a decision as the panel clerk records it.
    pub fn check(&self, today: Date) -> Result<(), Refusal> {
        if self.on > today {
            return refuse("on", "The panel's date cannot be in the future");
        }
        if self.school.trim().is_empty() {
            return refuse("school", "Choose the school the child was allocated to");
        }
        if self.reason.trim().is_empty() {
            return refuse("reason", "Enter why the child came to the panel");
        }
        Ok(())
    }
}

/// Something recorded on a decision the panel's clerk keeps in Harbour (rather than in the
/// authority's own system, whose decisions arrive in its feed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum LogFact {
    /// The panel's decision: why the child came, and the school's answer if it was given at
    /// the panel.
    Decided { reason: String, response: Response },
    /// The allocated school's answer, given after the panel.
    Answered { on: Date, response: Response },
}

impl LogFact {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Decided { .. } => "decided",
            Self::Answered { .. } => "answered",
        }
    }
}

/// A decision kept in Harbour: the panel's day, the allocated school and what was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedDecision {
    pub on: Date,
    pub school: String,
    pub facts: Vec<LogFact>,
}

impl LoggedDecision {
    /// The decision as the log and the figures count it: the reason as decided, the
    /// latest answer.
    pub fn decision(&self) -> Decision {
        let reason = self
            .facts
            .iter()
            .find_map(|f| match f {
                LogFact::Decided { reason, .. } => Some(reason.clone()),
                LogFact::Answered { .. } => None,
            })
            .unwrap_or_default();
        let response = self
            .facts
            .iter()
            .rev()
            .map(|f| match f {
                LogFact::Decided { response, .. } | LogFact::Answered { response, .. } => *response,
            })
            .next()
            .unwrap_or(Response::Pending);
        Decision {
            on: self.on,
            school: self.school.clone(),
            reason,
            response,
        }
    }

    /// Whether the school's answer may be recorded on `today`: only on a decision still
    /// awaiting it, on or after the panel's day and not in the future, and an answer (not
    /// "pending").
    pub fn check_answer(&self, on: Date, response: Response, today: Date) -> Result<(), Refusal> {
        if self.decision().response != Response::Pending {
            return refuse("response", "The school's answer is already recorded");
        }
        if response == Response::Pending {
            return refuse("response", "Choose whether the school accepted or refused");
        }
        if on < self.on {
            return refuse(
                "on",
                format!("The answer cannot come before the panel ({})", self.on),
            );
        }
        if on > today {
            return refuse("on", "The date cannot be in the future");
        }
        Ok(())
    }
}

/// A school's size and the area it is in, for the per-1,000 rates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct School {
    pub code: String,
    pub name: String,
    pub area: String,
    pub pupils_on_roll: u32,
}

/// One row of the consistency table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// A school's code, or an area's name.
    pub key: String,
    pub label: String,
    pub placements: u32,
    pub refusals: u32,
    pub pupils_on_roll: u32,
    /// Accepted placements per 1,000 pupils on roll (none for a school with no roll).
    pub per_thousand: Option<f64>,
}

/// The consistency view: each school's and each area's rate, and the county's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consistency {
    pub schools: Vec<Rate>,
    pub areas: Vec<Rate>,
    pub county: Rate,
}

fn per_thousand(placements: u32, pupils: u32) -> Option<f64> {
    (pupils > 0).then(|| f64::from(placements) * 1_000.0 / f64::from(pupils))
}

/// Placements per 1,000 pupils, counting accepted decisions made from `from` to `to`
/// inclusive. A decision for a school not in `schools` is counted in the county only, so
/// the county total always equals the log.
pub fn consistency(
    schools: &[School],
    decisions: &[Decision],
    from: Date,
    to: Date,
) -> Consistency {
    let mut by_school: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    let (mut county_placed, mut county_refused) = (0, 0);
    for d in decisions.iter().filter(|d| from <= d.on && d.on <= to) {
        let counts = by_school.entry(d.school.as_str()).or_default();
        match d.response {
            Response::Accepted => {
                counts.0 += 1;
                county_placed += 1;
            }
            Response::Refused => {
                counts.1 += 1;
                county_refused += 1;
            }
            Response::Pending => {}
        }
    }
    let mut areas: BTreeMap<&str, (u32, u32, u32)> = BTreeMap::new();
    let mut school_rates = Vec::new();
    for school in schools {
        let (placed, refused) = by_school
            .get(school.code.as_str())
            .copied()
            .unwrap_or_default();
        let area = areas.entry(school.area.as_str()).or_default();
        area.0 += placed;
        area.1 += refused;
        area.2 += school.pupils_on_roll;
        school_rates.push(Rate {
            key: school.code.clone(),
            label: school.name.clone(),
            placements: placed,
            refusals: refused,
            pupils_on_roll: school.pupils_on_roll,
            per_thousand: per_thousand(placed, school.pupils_on_roll),
        });
    }
    let pupils: u32 = schools.iter().map(|s| s.pupils_on_roll).sum();
    Consistency {
        schools: school_rates,
        areas: areas
            .into_iter()
            .map(|(name, (placed, refused, roll))| Rate {
                key: name.to_owned(),
                label: name.to_owned(),
                placements: placed,
                refusals: refused,
                pupils_on_roll: roll,
                per_thousand: per_thousand(placed, roll),
            })
            .collect(),
        county: Rate {
            key: "county".into(),
            label: "County".into(),
            placements: county_placed,
            refusals: county_refused,
            pupils_on_roll: pupils,
            per_thousand: per_thousand(county_placed, pupils),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn school(code: &str, area: &str, roll: u32) -> School {
        School {
            code: code.into(),
            name: format!("{code} School"),
            area: area.into(),
            pupils_on_roll: roll,
        }
    }

    fn decision(school: &str, on: Date, response: Response) -> Decision {
        Decision {
            on,
            school: school.into(),
            reason: "Permanently excluded".into(),
            response,
        }
    }

    #[test]
    fn rates_are_per_thousand_pupils_with_the_county_beside_them() {
        let schools = [
            school("A", "North", 1_000),
            school("B", "North", 500),
            school("C", "South", 2_000),
        ];
        let day = date!(2025 - 02 - 01);
        let decisions = [
            decision("A", day, Response::Accepted),
            decision("A", day, Response::Accepted),
            decision("B", day, Response::Refused),
            decision("B", day, Response::Accepted),
            decision("C", day, Response::Pending),
            decision("Z", day, Response::Accepted),
            decision("A", date!(2023 - 01 - 01), Response::Accepted),
        ];
        let c = consistency(
            &schools,
            &decisions,
            date!(2024 - 09 - 01),
            date!(2025 - 07 - 31),
        );
        assert_eq!(c.schools[0].per_thousand, Some(2.0));
        assert_eq!(c.schools[1].per_thousand, Some(2.0));
        assert_eq!(c.schools[1].refusals, 1);
        assert_eq!(c.schools[2].per_thousand, Some(0.0));
        assert_eq!(c.areas[0].key, "North");
        assert_eq!(c.areas[0].per_thousand, Some(2.0));
        assert_eq!(
            c.county.placements, 4,
            "the unknown school Z counts in the county"
        );
        assert_eq!(c.county.pupils_on_roll, 3_500);
    }

    #[test]
    fn a_kept_decision_takes_one_answer_after_the_panel() {
        let panel = date!(2025 - 02 - 03);
        let mut kept = LoggedDecision {
            on: panel,
            school: "A".into(),
            facts: vec![LogFact::Decided {
                reason: "Moved into the area".into(),
                response: Response::Pending,
            }],
        };
        let today = date!(2025 - 02 - 10);
        assert_eq!(kept.decision().response, Response::Pending);
        let field = |r: Result<(), Refusal>| r.unwrap_err().field;
        assert_eq!(
            field(kept.check_answer(date!(2025 - 02 - 01), Response::Accepted, today)),
            "on"
        );
        assert_eq!(
            field(kept.check_answer(date!(2025 - 02 - 11), Response::Accepted, today)),
            "on"
        );
        assert_eq!(
            field(kept.check_answer(today, Response::Pending, today)),
            "response"
        );
        assert!(kept.check_answer(today, Response::Refused, today).is_ok());
        kept.facts.push(LogFact::Answered {
            on: today,
            response: Response::Refused,
        });
        let decision = kept.decision();
        assert_eq!(decision.response, Response::Refused);
        assert_eq!(decision.reason, "Moved into the area");
        assert_eq!(
            field(kept.check_answer(today, Response::Accepted, today)),
            "response"
        );
    }

    #[test]
    fn a_decision_needs_a_school_and_a_reason() {
        let today = date!(2025 - 02 - 01);
        let mut d = decision(" ", today, Response::Pending);
        assert_eq!(d.check(today).unwrap_err().field, "school");
        d.school = "A".into();
        d.reason = String::new();
        assert_eq!(d.check(today).unwrap_err().field, "reason");
        d.reason = "Moved into the area mid-year".into();
        assert!(d.check(today).is_ok());
        d.on = date!(2025 - 02 - 02);
        assert_eq!(d.check(today).unwrap_err().field, "on");
    }
}
