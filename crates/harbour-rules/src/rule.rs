//! A rule as a manager writes it (`rules/*.toml`) and as the engine holds it once checked.

use crate::predicate::Predicate;
use harbour_domain::{EventKind, Role};
use serde::Deserialize;
use std::fmt;
use time::Date;

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Self; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A time limit, in calendar days or school days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Days(u32),
    SchoolDays(u32),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Days(1) => f.write_str("1 day"),
            Self::Days(n) => write!(f, "{n} days"),
            Self::SchoolDays(1) => f.write_str("1 school day"),
            Self::SchoolDays(n) => write!(f, "{n} school days"),
        }
    }
}

/// Events of some kinds, optionally with a condition on their fields.
#[derive(Debug)]
pub struct Match {
    pub kinds: Vec<EventKind>,
    pub predicate: Option<Predicate>,
}

impl Match {
    pub fn describe(&self) -> String {
        let kinds: Vec<&str> = self.kinds.iter().map(|k| k.label()).collect();
        let mut text = kinds.join(" or ").to_lowercase();
        if let Some(p) = &self.predicate {
            text.push_str(&format!(" where {}", p.source()));
        }
        text
    }
}

/// The window a count looks back over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Days(u32),
    /// The school term the latest event falls in.
    Term,
}

/// What makes a rule fire.
#[derive(Debug)]
pub enum Condition {
    /// Each matching event.
    Event(Match),
    /// `at_least` matching events within the window, once per run of them: a run ends when
    /// the count falls below `at_least` or (for a window in days) two matching events are
    /// further apart than the window. `at_least = 1` alerts on the first of a run only.
    /// With `sessions_at_least` (attendance summaries), the events in the window must also
    /// cover that many possible sessions between them: one termly figure can, where a
    /// weekly one cannot.
    Count {
        what: Match,
        at_least: u32,
        sessions_at_least: Option<u32>,
        window: Window,
    },
    /// A `then` event with a `first` event no more than `within_days` before it.
    Sequence {
        first: Match,
        then: Match,
        within_days: u32,
    },
    /// An `after` event with no `expect` event within the limit: fires when the limit passes.
    Absence {
        after: Match,
        expect: Match,
        within: Limit,
    },
    /// Reaching an age (in months), or the state opening after it.
    Age { months: i32 },
    /// At least `at_least` different rules of `of` firing within `within_days`.
    Compound {
        of: Vec<String>,
        at_least: u32,
        within_days: u32,
    },
}

/// A checked rule, ready to run.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub rationale: String,
    pub source: String,
    pub severity: Severity,
    /// Rules of one family that fire for one child on one day make one alert with all
    /// their evidence (the police's and the hospital's record of one assault; two
    /// home-education rules on one registration). The rule's id unless the file names one.
    pub family: String,
    pub notify: Vec<Role>,
    pub respond_within: Limit,
    pub condition: Condition,
    /// Fires only while one of these states is open.
    pub while_open: Vec<String>,
    /// Fires only if none of these kinds of event has been recorded before.
    pub unless_seen: Vec<EventKind>,
    /// Whether a firing counts as identifying exploitation risk when early identification
    /// is scored (`harbour rules evaluate`).
    pub signals_exploitation: bool,
    pub examples: Vec<Example>,
    /// The file it came from, for messages.
    pub file: String,
}

/// An example timeline beside a rule, and the days the rule should fire on it.
#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    pub born: Option<Date>,
    pub today: Option<Date>,
    pub events: Vec<ExampleEvent>,
    pub fires: Vec<Date>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct ExampleEvent {
    pub on: Date,
    pub kind: EventKind,
    pub from_school: bool,
    pub details: serde_json::Map<String, serde_json::Value>,
}

// ---- The file as written. Spans give line numbers for messages about values. ----

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(crate) fn items(&self) -> Vec<&str> {
        match self {
            Self::One(s) => vec![s.as_str()],
            Self::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

pub(crate) type Spanned<T> = toml::Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleFile {
    pub id: Spanned<String>,
    pub version: u32,
    pub title: String,
    pub rationale: String,
    pub source: String,
    pub severity: Spanned<String>,
    pub family: Option<String>,
    pub notify: Spanned<Vec<String>>,
    pub respond_within_days: Option<u32>,
    pub respond_within_school_days: Option<u32>,
    pub when: Spanned<WhenFile>,
    #[serde(default)]
    pub signals_exploitation: bool,
    #[serde(default)]
    pub example: Vec<Spanned<ExampleFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhenFile {
    pub event: Option<Spanned<OneOrMany>>,
    #[serde(rename = "where")]
    pub condition: Option<Spanned<String>>,
    pub at_least: Option<u32>,
    pub sessions_at_least: Option<u32>,
    pub within_days: Option<u32>,
    pub within: Option<Spanned<String>>,
    pub after: Option<Spanned<StepFile>>,
    pub expect: Option<Spanned<StepFile>>,
    pub age_reaches: Option<Spanned<String>>,
    pub rules_at_least: Option<u32>,
    pub of: Option<Spanned<Vec<String>>>,
    pub while_open: Option<Spanned<Vec<String>>>,
    pub unless_seen: Option<Spanned<OneOrMany>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepFile {
    pub event: Spanned<OneOrMany>,
    #[serde(rename = "where")]
    pub condition: Option<Spanned<String>>,
    pub within_days: Option<u32>,
    pub within_school_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExampleFile {
    pub name: String,
    pub born: Option<String>,
    pub today: Option<String>,
    #[serde(default)]
    pub events: Vec<toml::Table>,
    pub fires: Vec<String>,
}
