//! What a council may set for its registers: `rules/registers.toml` in a deployment, read
//! with the rules directory. [`RegisterSettings::parse`] reads the text (pure: the caller
//! brings it from the file); every key is optional and falls back to the statutory default,
//! an unknown key is refused, and a bad value is refused naming its key.

use crate::exclusions;
use crate::hours::Hours;
use crate::not_in_school;
use crate::task::Escalation;
use serde::{Deserialize, Serialize};
use time::Duration;

/// The file's name in a rules directory.
pub const FILE: &str = "registers.toml";

/// The file as shipped in `rules/`, with every default written out and explained.
pub const SHIPPED: &str = include_str!("../../../rules/registers.toml");

/// Every register's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RegisterSettings {
    pub exclusions: exclusions::Settings,
    pub not_in_school: not_in_school::Settings,
    /// When an overdue register task goes up the line (the work queue).
    pub escalation: Escalation,
}

/// Why a settings file was refused: the key (`exclusions.full_time_hours`) when one is to
/// blame, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{FILE}: {}{message}", key.map(|k| format!("{k}: ")).unwrap_or_default())]
pub struct SettingsError {
    pub key: Option<&'static str>,
    pub message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    exclusions: ExclusionsFile,
    #[serde(default)]
    not_in_school: NotInSchoolFile,
    #[serde(default)]
    work: WorkFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkFile {
    escalate_after_school_days: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExclusionsFile {
    full_time_hours: Option<Number>,
    part_time_limit_weeks: Option<i64>,
    review_every_weeks: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotInSchoolFile {
    trace_within_school_days: Option<i64>,
    home_visit_within_days: Option<i64>,
    request_at_least_every_days: Option<i64>,
    request_at_most_every_days: Option<i64>,
}

/// Hours may be written `25` or `27.5`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
enum Number {
    Whole(i64),
    Decimal(f64),
}

fn bad(key: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError {
        key: Some(key),
        message: message.into(),
    }
}

/// A whole number from 1 to `max`.
fn count(
    key: &'static str,
    value: Option<i64>,
    max: i64,
    unit: &str,
) -> Result<Option<i64>, SettingsError> {
    match value {
        Some(v) if !(1..=max).contains(&v) => Err(bad(
            key,
            format!("{v} is out of range: give a whole number of {unit} from 1 to {max}"),
        )),
        other => Ok(other),
    }
}

impl RegisterSettings {
    /// The settings given with a rule set (its `registers.toml`), or the statutory defaults
    /// when it came without one: what the rules' register clocks run on.
    pub fn of_rules(rules: &harbour_rules::RuleSet) -> Result<Self, SettingsError> {
        rules
            .registers_source()
            .map_or(Ok(Self::default()), Self::parse)
    }

    /// Reads a `registers.toml`. Keys left out keep their defaults.
    pub fn parse(text: &str) -> Result<Self, SettingsError> {
        let file: File = toml::from_str(text).map_err(|e| SettingsError {
            key: None,
            message: e.message().to_owned()
                + &e.span()
                    .map(|span| format!(" (line {})", line_of(text, span.start)))
                    .unwrap_or_default(),
        })?;
        let mut settings = Self::default();
        let ex = &mut settings.exclusions;
        if let Some(hours) = file.exclusions.full_time_hours {
            let key = "exclusions.full_time_hours";
            let text = match hours {
                Number::Whole(n) => n.to_string(),
                Number::Decimal(f) => f.to_string(),
            };
            let parsed = Hours::parse(&text).map_err(|why| bad(key, why))?;
            if parsed.tenths() == 0 {
                return Err(bad(key, "full-time must be more than 0 hours a week"));
            }
            ex.full_time = parsed;
        }
        if let Some(w) = count(
            "exclusions.part_time_limit_weeks",
            file.exclusions.part_time_limit_weeks,
            52,
            "weeks",
        )? {
            ex.part_time_limit = Duration::weeks(w);
        }
        if let Some(w) = count(
            "exclusions.review_every_weeks",
            file.exclusions.review_every_weeks,
            52,
            "weeks",
        )? {
            ex.review_every = Duration::weeks(w);
        }
        let nis = &mut settings.not_in_school;
        let f = &file.not_in_school;
        if let Some(d) = count(
            "not_in_school.trace_within_school_days",
            f.trace_within_school_days,
            195,
            "school days",
        )? {
            nis.trace_within_school_days = u32::try_from(d).unwrap_or(u32::MAX);
        }
        if let Some(d) = count(
            "not_in_school.home_visit_within_days",
            f.home_visit_within_days,
            366,
            "days",
        )? {
            nis.home_visit_within = Duration::days(d);
        }
        if let Some(d) = count(
            "not_in_school.request_at_least_every_days",
            f.request_at_least_every_days,
            731,
            "days",
        )? {
            nis.request_at_least_every = Duration::days(d);
        }
        if let Some(d) = count(
            "not_in_school.request_at_most_every_days",
            f.request_at_most_every_days,
            731,
            "days",
        )? {
            nis.request_at_most_every = Duration::days(d);
        }
        if nis.request_at_most_every > nis.request_at_least_every {
            return Err(bad(
                "not_in_school.request_at_most_every_days",
                "the shortest gap between information requests is longer than the longest (request_at_least_every_days)",
            ));
        }
        if let Some(d) = count(
            "work.escalate_after_school_days",
            file.work.escalate_after_school_days,
            195,
            "school days",
        )? {
            settings.escalation.after_school_days = u32::try_from(d).unwrap_or(u32::MAX);
        }
        Ok(settings)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |before| before.lines().count().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_holds_the_statutory_defaults() {
        assert_eq!(
            RegisterSettings::parse(SHIPPED),
            Ok(RegisterSettings::default())
        );
        assert_eq!(RegisterSettings::parse(""), Ok(RegisterSettings::default()));
    }

    #[test]
    fn a_council_may_change_a_value_and_keep_the_rest() {
        let s = RegisterSettings::parse(
            "[exclusions]\nfull_time_hours = 27.5\nreview_every_weeks = 4\n",
        )
        .unwrap();
        assert_eq!(s.exclusions.full_time, Hours::from_tenths(275));
        assert_eq!(s.exclusions.review_every, Duration::weeks(4));
        assert_eq!(s.exclusions.part_time_limit, Duration::weeks(6));
        assert_eq!(s.not_in_school, not_in_school::Settings::default());
        let s =
            RegisterSettings::parse("[not_in_school]\ntrace_within_school_days = 10\n").unwrap();
        assert_eq!(s.not_in_school.trace_within_school_days, 10);
        let s = RegisterSettings::parse("[work]\nescalate_after_school_days = 3\n").unwrap();
        assert_eq!(s.escalation.after_school_days, 3);
        assert_eq!(s.exclusions, exclusions::Settings::default());
    }

    #[test]
    fn a_bad_value_is_refused_naming_its_key() {
        let e = RegisterSettings::parse("[exclusions]\nfull_time_hours = 250\n").unwrap_err();
        assert_eq!(e.key, Some("exclusions.full_time_hours"));
        assert!(
            e.to_string()
                .starts_with("registers.toml: exclusions.full_time_hours: "),
            "{e}"
        );
        let e = RegisterSettings::parse("[exclusions]\nreview_every_weeks = 0\n").unwrap_err();
        assert_eq!(e.key, Some("exclusions.review_every_weeks"));
        let e = RegisterSettings::parse("[not_in_school]\nrequest_at_most_every_days = 400\n")
            .unwrap_err();
        assert_eq!(e.key, Some("not_in_school.request_at_most_every_days"));
        let e = RegisterSettings::parse("[work]\nescalate_after_school_days = 0\n").unwrap_err();
        assert_eq!(e.key, Some("work.escalate_after_school_days"));
    }

    #[test]
    fn an_unknown_key_or_a_wrong_type_is_refused() {
        let e = RegisterSettings::parse("[exclusions]\nfull_time = 25\n").unwrap_err();
        assert!(e.to_string().contains("full_time"), "{e}");
        let e = RegisterSettings::parse("[exclusion]\n").unwrap_err();
        assert!(e.to_string().contains("exclusion"), "{e}");
        let e =
            RegisterSettings::parse("[exclusions]\nreview_every_weeks = \"six\"\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
