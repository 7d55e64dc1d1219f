//! Rule tests a manager can read and write: example timelines beside each rule, each saying
//! on which days the rule should fire (none, for an example that must not). Changing a
//! threshold and running `harbour rules test rules/` shows at once which examples break.

use crate::RuleSet;
use crate::timeline::{Event, Fields, School, Timeline};
use time::{Date, Duration};

/// One example that did not give what it said it would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub rule: String,
    pub file: String,
    pub line: usize,
    pub example: String,
    pub expected: Vec<Date>,
    pub got: Vec<Date>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let days = |d: &[Date]| {
            if d.is_empty() {
                "never".to_owned()
            } else {
                d.iter().map(Date::to_string).collect::<Vec<_>>().join(", ")
            }
        };
        write!(
            f,
            "{}:{}: rule {} example {:?}: expected it to fire {}; it fired {}",
            self.file,
            self.line,
            self.rule,
            self.example,
            days(&self.expected),
            days(&self.got)
        )
    }
}

/// What running every example found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub examples: usize,
    pub failures: Vec<Failure>,
}

impl RuleSet {
    /// Runs every rule's examples through the whole rule set (so a compound rule's examples
    /// exercise the rules it combines) and compares the days the rule fired.
    pub fn run_examples(&self) -> Outcome {
        let mut outcome = Outcome::default();
        for rule in self.rules() {
            for example in &rule.examples {
                outcome.examples += 1;
                let events = example
                    .events
                    .iter()
                    .enumerate()
                    .map(|(i, e)| Event {
                        id: format!("{:04}", i + 1),
                        kind: e.kind,
                        on: e.on,
                        agency: if e.from_school {
                            "school".into()
                        } else {
                            "agency".into()
                        },
                        agency_name: if e.from_school {
                            "a school".into()
                        } else {
                            "an agency".into()
                        },
                        school: e.from_school.then(|| School::Agency("school".into())),
                        summary: e.kind.label().to_owned(),
                        details: Fields::from_map(e.kind, &e.details),
                    })
                    .collect();
                let timeline = Timeline::new("example", example.born, events);
                let last = timeline.events.last().map(|e| e.on);
                let until = example
                    .today
                    .or_else(|| last.map(|d| d + Duration::days(366)))
                    .unwrap_or(Date::MIN);
                let got: Vec<Date> = self
                    .evaluate(&timeline, until)
                    .into_iter()
                    .filter(|f| f.rule == rule.id)
                    .map(|f| f.on)
                    .collect();
                if got != example.fires {
                    outcome.failures.push(Failure {
                        rule: rule.id.clone(),
                        file: rule.file.clone(),
                        line: example.line,
                        example: example.name.clone(),
                        expected: example.fires.clone(),
                        got,
                    });
                }
            }
        }
        outcome
    }
}
