//! Critical-moment rules: readable, versioned rule files run over each child's timeline.
//!
//! A rule (one file in `rules/`) names what it looks for, why (the guidance or review
//! recommendation behind it), who is told, how fast they should respond and how serious it
//! is. [`RuleSet::from_sources`] checks every file before any is used; [`RuleSet::evaluate`]
//! gives each day a rule fires on a [`Timeline`], with the evidence and a sentence saying
//! why. Pure: no database, no clock, no files; the store and the CLI bring those.

pub mod alerts;
pub mod calendar;
mod evaluate;
pub mod examples;
mod load;
pub mod predicate;
pub mod replay;
pub mod rule;
pub mod score;
pub mod states;
pub mod timeline;

pub use evaluate::{Firing, Recipient};
pub use load::{CALENDAR_FILE, LoadError, REGISTERS_FILE, ROUTING_FILE, STATES_FILE};
pub use rule::{Condition, Limit, Rule, Severity};
pub use timeline::{Event, Fields, School, Timeline};

use calendar::Calendar;
use harbour_domain::Role;
use states::State;
use std::collections::BTreeMap;

/// A checked set of rules with the calendar, states and routing they use.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    states: BTreeMap<String, State>,
    calendar: Calendar,
    escalate: BTreeMap<Role, Role>,
    raise_within_days: u32,
    /// `registers.toml` as given with the rules, if it was.
    registers: Option<String>,
}

impl RuleSet {
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Whether any condition reads an event's `summary`. When none does, a full run need not
    /// read the summaries at all, the longest text on most events.
    pub fn reads_summary(&self) -> bool {
        use rule::Condition as C;
        let reads = |m: &rule::Match| m.predicate.as_ref().is_some_and(|p| p.reads("summary"));
        self.rules.iter().any(|rule| match &rule.condition {
            C::Event(m) | C::Count { what: m, .. } => reads(m),
            C::Sequence { first, then, .. } => reads(first) || reads(then),
            C::Absence { after, expect, .. } => reads(after) || reads(expect),
            C::Age { .. } | C::Compound { .. } => false,
        })
    }

    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    pub fn states(&self) -> impl Iterator<Item = &State> {
        self.states.values()
    }

    /// The role an overdue alert for `role` goes to next, if any.
    pub fn escalates_to(&self, role: Role) -> Option<Role> {
        self.escalate.get(&role).copied()
    }

    /// Firings older than this many days are history (seen in replay), not new alerts: the
    /// first import of a county's records must not flood every queue with years-old events.
    pub fn raise_within_days(&self) -> u32 {
        self.raise_within_days
    }

    /// The text of the registers' settings file given with the rules (`registers.toml`), if
    /// any: not a rule, read by `harbour_casework::RegisterSettings::of_rules`, so that the
    /// register clocks the rules evaluate use the settings the registers themselves use.
    pub fn registers_source(&self) -> Option<&str> {
        self.registers.as_deref()
    }

    /// A short fingerprint of the rule ids and versions, recorded with each run.
    pub fn versions(&self) -> String {
        self.rules
            .iter()
            .map(|r| format!("{}@{}", r.id, r.version))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The rule files shipped in `rules/`, built in so that Harbour runs without them on disk;
/// `--rules DIR` (or `HARBOUR_RULES`) replaces them with a council's own.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "calendar.toml",
        include_str!("../../../rules/calendar.toml"),
    ),
    ("states.toml", include_str!("../../../rules/states.toml")),
    ("routing.toml", include_str!("../../../rules/routing.toml")),
    // Not a rule: the registers' settings, read by harbour-casework (skipped by the loader).
    (
        "registers.toml",
        include_str!("../../../rules/registers.toml"),
    ),
    (
        "permanent-exclusion.toml",
        include_str!("../../../rules/permanent-exclusion.toml"),
    ),
    (
        "suspensions-in-a-term.toml",
        include_str!("../../../rules/suspensions-in-a-term.toml"),
    ),
    (
        "persistent-absence.toml",
        include_str!("../../../rules/persistent-absence.toml"),
    ),
    (
        "severe-absence.toml",
        include_str!("../../../rules/severe-absence.toml"),
    ),
    (
        "child-missing-education.toml",
        include_str!("../../../rules/child-missing-education.toml"),
    ),
    (
        "ehe-after-exclusion.toml",
        include_str!("../../../rules/ehe-after-exclusion.toml"),
    ),
    (
        "ehe-while-known.toml",
        include_str!("../../../rules/ehe-while-known.toml"),
    ),
    (
        "weapon-or-drug-supply.toml",
        include_str!("../../../rules/weapon-or-drug-supply.toml"),
    ),
    (
        "victim-of-violence.toml",
        include_str!("../../../rules/victim-of-violence.toml"),
    ),
    (
        "missing-episodes.toml",
        include_str!("../../../rules/missing-episodes.toml"),
    ),
    (
        "missing-found-out-of-area.toml",
        include_str!("../../../rules/missing-found-out-of-area.toml"),
    ),
    (
        "rui-over-three-months.toml",
        include_str!("../../../rules/rui-over-three-months.toml"),
    ),
    (
        "transition-to-adulthood.toml",
        include_str!("../../../rules/transition-to-adulthood.toml"),
    ),
    (
        "exclusion-no-provision-by-day-six.toml",
        include_str!("../../../rules/exclusion-no-provision-by-day-six.toml"),
    ),
    (
        "exclusion-review-overdue.toml",
        include_str!("../../../rules/exclusion-review-overdue.toml"),
    ),
    (
        "exclusion-part-time-too-long.toml",
        include_str!("../../../rules/exclusion-part-time-too-long.toml"),
    ),
    (
        "ehe-without-consent.toml",
        include_str!("../../../rules/ehe-without-consent.toml"),
    ),
    (
        "cme-not-traced.toml",
        include_str!("../../../rules/cme-not-traced.toml"),
    ),
    (
        "several-concerns.toml",
        include_str!("../../../rules/several-concerns.toml"),
    ),
];

impl RuleSet {
    /// The built-in rule set.
    pub fn builtin() -> Result<Self, LoadError> {
        let files: Vec<(String, String)> = BUILTIN_FILES
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .collect();
        Self::from_sources(&files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_rules_load_and_every_example_passes() {
        let rules = RuleSet::builtin().unwrap();
        assert!(rules.rules().len() >= 12);
        let outcome = rules.run_examples();
        let failures: Vec<String> = outcome.failures.iter().map(ToString::to_string).collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(outcome.examples >= 25);
    }

    #[test]
    fn a_set_reads_summaries_only_if_a_condition_names_them() {
        assert!(!RuleSet::builtin().unwrap().reads_summary());
        let rule = |condition: &str| {
            format!(
                "id = \"r\"\nversion = 1\ntitle = \"T\"\nseverity = \"high\"\n\
                 notify = [\"mace_chair\"]\nrespond_within_days = 5\nrationale = \"R\"\n\
                 source = \"S\"\n\n[when]\nevent = \"caution\"\nwhere = '{condition}'\n"
            )
        };
        let set = |condition: &str| {
            RuleSet::from_sources(&[("r.toml".to_owned(), rule(condition))]).unwrap()
        };
        assert!(set("lower(summary).contains(\"knife\")").reads_summary());
        assert!(!set("lower(offence).contains(\"knife\")").reads_summary());
    }

    #[test]
    fn every_rule_file_in_rules_is_built_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".toml") {
                assert!(
                    BUILTIN_FILES.iter().any(|(n, _)| *n == name),
                    "{name} is not in BUILTIN_FILES"
                );
            }
        }
    }
}
