//! Replay: a timeline with, on each day a rule would have fired, the alert and who would
//! have been told. The question every practice review asks: when could we have known?

use crate::RuleSet;
use crate::timeline::Timeline;
use serde::Serialize;
use time::Date;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayEvent {
    pub id: String,
    pub on: Date,
    pub kind: String,
    pub agency: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayAlert {
    pub on: Date,
    pub rule: String,
    pub version: u32,
    pub title: String,
    pub severity: String,
    pub due: Date,
    /// Who would have been told, in words ("School designated safeguarding lead at Hillside
    /// Academy").
    pub told: Vec<String>,
    /// The roles told, as codes, for machines.
    pub roles: Vec<String>,
    pub evidence: Vec<String>,
    pub because: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    pub person: String,
    pub born: Option<Date>,
    pub until: Date,
    pub events: Vec<ReplayEvent>,
    pub alerts: Vec<ReplayAlert>,
}

/// Replays `rules` over `timeline` up to `until`.
pub fn replay(rules: &RuleSet, timeline: &Timeline, until: Date) -> Replay {
    let name_of = |agency: &str| {
        timeline
            .events
            .iter()
            .find(|e| &*e.agency == agency)
            .map_or_else(|| agency.to_owned(), |e| e.agency_name.to_string())
    };
    let alerts = rules
        .evaluate(timeline, until)
        .into_iter()
        .map(|firing| {
            let recipients = rules.recipients(&firing, timeline);
            let rule = rules.rule(&firing.rule);
            ReplayAlert {
                on: firing.on,
                rule: firing.rule.clone(),
                version: firing.version,
                title: rule.map(|r| r.title.clone()).unwrap_or_default(),
                severity: rule
                    .map(|r| r.severity.as_str().to_owned())
                    .unwrap_or_default(),
                due: firing.due,
                told: recipients
                    .iter()
                    .map(|r| match &r.school {
                        Some(school) => format!("{} at {}", r.role.label(), name_of(school)),
                        None => r.role.label().to_owned(),
                    })
                    .collect(),
                roles: recipients
                    .iter()
                    .map(|r| r.role.as_str().to_owned())
                    .collect(),
                // With the events that opened the states it names: replay withholds an
                // alert whose reader may not open all of them, as the queue does.
                evidence: firing
                    .evidence
                    .iter()
                    .chain(&firing.context)
                    .filter_map(|&i| timeline.events.get(i).map(|e| e.id.clone()))
                    .collect(),
                because: firing.because,
            }
        })
        .collect();
    Replay {
        person: timeline.person.clone(),
        born: timeline.born,
        until,
        events: timeline
            .events
            .iter()
            .map(|e| ReplayEvent {
                id: e.id.clone(),
                on: e.on,
                kind: e.kind.as_str().to_owned(),
                agency: e.agency_name.to_string(),
                summary: e.summary.clone(),
            })
            .collect(),
        alerts,
    }
}
