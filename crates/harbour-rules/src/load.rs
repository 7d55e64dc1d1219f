//! Reading a rule set from its files. Everything is checked before anything is used: a rule
//! file with a syntax error, an unknown event kind, field, state or role is refused with its
//! file, line and reason, and the caller keeps the rule set it had.

use crate::RuleSet;
use crate::calendar::{Calendar, TermSpec};
use crate::predicate::Predicate;
use crate::rule::{
    Condition, Example, ExampleEvent, ExampleFile, Limit, Match, OneOrMany, Rule, RuleFile,
    Severity, Spanned, StepFile, WhenFile, Window,
};
use crate::states::State;
use harbour_domain::{EventKind, Role};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use time::Date;

/// Files in a rules directory that configure the set rather than hold a rule.
pub const CALENDAR_FILE: &str = "calendar.toml";
pub const STATES_FILE: &str = "states.toml";
pub const ROUTING_FILE: &str = "routing.toml";
/// The registers' settings (read by `harbour-casework`, not a rule): skipped here.
pub const REGISTERS_FILE: &str = "registers.toml";

/// A refusal: which file, which line (1-based; 0 when the whole file), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.reason)
        }
    }
}

impl std::error::Error for LoadError {}

/// The line an offset into `text` falls on.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

struct Source<'a> {
    file: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, span: std::ops::Range<usize>, reason: impl Into<String>) -> LoadError {
        LoadError {
            file: self.file.to_owned(),
            line: line_of(self.text, span.start),
            reason: reason.into(),
        }
    }

    fn at<T>(&self, value: &Spanned<T>, reason: impl Into<String>) -> LoadError {
        self.error(value.span(), reason)
    }

    fn parse<T: for<'de> Deserialize<'de>>(&self) -> Result<T, LoadError> {
        toml::from_str(self.text).map_err(|e| LoadError {
            file: self.file.to_owned(),
            line: e.span().map_or(0, |s| line_of(self.text, s.start)),
            reason: e.message().trim().to_owned(),
        })
    }
}

fn kinds(source: &Source<'_>, value: &Spanned<OneOrMany>) -> Result<Vec<EventKind>, LoadError> {
    let mut kinds = Vec::new();
    for item in value.get_ref().items() {
        let kind = item
            .parse::<EventKind>()
            .map_err(|e| source.at(value, e.to_string()))?;
        kinds.push(kind);
    }
    if kinds.is_empty() {
        return Err(source.at(value, "name at least one kind of event"));
    }
    Ok(kinds)
}

fn matcher(
    source: &Source<'_>,
    event: &Spanned<OneOrMany>,
    condition: Option<&Spanned<String>>,
) -> Result<Match, LoadError> {
    let kinds = kinds(source, event)?;
    let predicate = condition
        .map(|c| Predicate::compile(c.get_ref(), &kinds).map_err(|e| source.at(c, e)))
        .transpose()?;
    Ok(Match { kinds, predicate })
}

fn limit(source: &Source<'_>, step: &Spanned<StepFile>, what: &str) -> Result<Limit, LoadError> {
    match (
        step.get_ref().within_days,
        step.get_ref().within_school_days,
    ) {
        (Some(days), None) => Ok(Limit::Days(days)),
        (None, Some(days)) => Ok(Limit::SchoolDays(days)),
        _ => Err(source.at(
            step,
            format!("{what} needs exactly one of within_days or within_school_days"),
        )),
    }
}

/// `17y6m`, `18y`, `6m` as months.
fn age_months(text: &str) -> Option<i32> {
    let (years, rest) = match text.split_once('y') {
        Some((y, rest)) => (y.trim().parse::<i32>().ok()?, rest),
        None => (0, text),
    };
    let months = match rest.trim() {
        "" => 0,
        m => m.strip_suffix('m')?.trim().parse::<i32>().ok()?,
    };
    (years >= 0 && (0..12).contains(&months) && years + months > 0).then_some(years * 12 + months)
}

fn condition(source: &Source<'_>, when: &Spanned<WhenFile>) -> Result<Condition, LoadError> {
    let w = when.get_ref();
    let only = |allowed: &[&str]| -> Result<(), LoadError> {
        let present = [
            ("event", w.event.is_some()),
            ("where", w.condition.is_some()),
            ("at_least", w.at_least.is_some()),
            ("sessions_at_least", w.sessions_at_least.is_some()),
            ("within_days", w.within_days.is_some()),
            ("within", w.within.is_some()),
            ("after", w.after.is_some()),
            ("expect", w.expect.is_some()),
            ("age_reaches", w.age_reaches.is_some()),
            ("rules_at_least", w.rules_at_least.is_some()),
            ("of", w.of.is_some()),
            ("while_open", w.while_open.is_some()),
            ("unless_seen", w.unless_seen.is_some()),
        ];
        for (key, set) in present {
            if set && !allowed.contains(&key) && !["while_open", "unless_seen"].contains(&key) {
                return Err(source.at(
                    when,
                    format!(
                        "{key} cannot be used here; with this kind of condition use only: {}",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    };
    if let Some(age) = &w.age_reaches {
        only(&["age_reaches"])?;
        let months = age_months(age.get_ref()).ok_or_else(|| {
            source.at(
                age,
                format!(
                    "age_reaches {:?} is not an age like 17y6m or 18y",
                    age.get_ref()
                ),
            )
        })?;
        return Ok(Condition::Age { months });
    }
    if let Some(at_least) = w.rules_at_least {
        only(&["rules_at_least", "of", "within_days"])?;
        let within_days = w
            .within_days
            .ok_or_else(|| source.at(when, "a compound rule needs within_days"))?;
        if at_least < 2 {
            return Err(source.at(when, "rules_at_least must be 2 or more"));
        }
        let of =
            w.of.as_ref()
                .map(|o| o.get_ref().clone())
                .unwrap_or_default();
        return Ok(Condition::Compound {
            of,
            at_least,
            within_days,
        });
    }
    let event = w.event.as_ref().ok_or_else(|| {
        source.at(when, "say what the rule looks for: event = \"kind\", age_reaches = \"17y6m\", or rules_at_least = N")
    })?;
    let what = matcher(source, event, w.condition.as_ref())?;
    if let Some(first) = &w.after {
        only(&["event", "where", "after"])?;
        let within_days = first.get_ref().within_days.ok_or_else(|| {
            source.at(
                first,
                "after needs within_days: how long before the event the earlier one may be",
            )
        })?;
        if first.get_ref().within_school_days.is_some() {
            return Err(source.at(first, "after counts calendar days: use within_days"));
        }
        let first_match = matcher(
            source,
            &first.get_ref().event,
            first.get_ref().condition.as_ref(),
        )?;
        return Ok(Condition::Sequence {
            first: first_match,
            then: what,
            within_days,
        });
    }
    if let Some(expect) = &w.expect {
        only(&["event", "where", "expect"])?;
        let within = limit(source, expect, "expect")?;
        let expected = matcher(
            source,
            &expect.get_ref().event,
            expect.get_ref().condition.as_ref(),
        )?;
        return Ok(Condition::Absence {
            after: what,
            expect: expected,
            within,
        });
    }
    if let Some(at_least) = w.at_least {
        only(&[
            "event",
            "where",
            "at_least",
            "sessions_at_least",
            "within_days",
            "within",
        ])?;
        if at_least < 1 {
            return Err(source.at(when, "at_least must be 1 or more"));
        }
        if w.sessions_at_least.is_some()
            && what
                .kinds
                .iter()
                .any(|k| *k != EventKind::AttendanceSummary)
        {
            return Err(source.at(
                when,
                "sessions_at_least counts the sessions of attendance summaries: use it with event = \"attendance_summary\"",
            ));
        }
        let window = match (&w.within_days, &w.within) {
            (Some(days), None) => Window::Days(*days),
            (None, Some(term)) if term.get_ref() == "term" => Window::Term,
            (None, Some(other)) => {
                return Err(source.at(
                    other,
                    format!(
                        "within {:?}: the only named window is \"term\"",
                        other.get_ref()
                    ),
                ));
            }
            _ => {
                return Err(source.at(
                    when,
                    "a count needs exactly one of within_days or within = \"term\"",
                ));
            }
        };
        return Ok(Condition::Count {
            what,
            at_least,
            sessions_at_least: w.sessions_at_least,
            window,
        });
    }
    only(&["event", "where"])?;
    Ok(Condition::Event(what))
}

fn date(text: &str) -> Option<Date> {
    Date::parse(text, &time::format_description::well_known::Iso8601::DATE).ok()
}

fn example(source: &Source<'_>, spanned: &Spanned<ExampleFile>) -> Result<Example, LoadError> {
    let e = spanned.get_ref();
    let bad = |what: String| source.at(spanned, format!("example {:?}: {what}", e.name));
    let parse_date = |text: &str, field: &str| {
        date(text).ok_or_else(|| bad(format!("{field} {text:?} is not a date like 2021-11-03")))
    };
    let mut events = Vec::new();
    for table in &e.events {
        let mut details = serde_json::Map::new();
        let mut on = None;
        let mut kind = None;
        let mut from_school = false;
        for (key, value) in table {
            match (key.as_str(), value) {
                ("on", toml::Value::String(s)) => on = Some(parse_date(s, "on")?),
                ("kind", toml::Value::String(s)) => {
                    kind = Some(s.parse::<EventKind>().map_err(|err| bad(err.to_string()))?);
                }
                ("school", toml::Value::Boolean(b)) => from_school = *b,
                (_, toml::Value::String(s)) => {
                    details.insert(key.clone(), serde_json::Value::String(s.clone()));
                }
                (_, toml::Value::Integer(n)) => {
                    details.insert(key.clone(), serde_json::Value::from(*n));
                }
                (_, toml::Value::Float(n)) => {
                    details.insert(key.clone(), serde_json::Value::from(*n));
                }
                (_, toml::Value::Boolean(b)) => {
                    details.insert(key.clone(), serde_json::Value::Bool(*b));
                }
                _ => {
                    return Err(bad(format!(
                        "event field {key} must be text, a number or true/false"
                    )));
                }
            }
        }
        let on = on.ok_or_else(|| bad("every event needs on = \"YYYY-MM-DD\"".into()))?;
        let kind = kind.ok_or_else(|| bad("every event needs kind = \"...\"".into()))?;
        // School kinds come from a school unless the example says otherwise.
        let school_kind = matches!(
            kind,
            EventKind::SchoolEnrolment
                | EventKind::SchoolLeaving
                | EventKind::AttendanceSummary
                | EventKind::Suspension
                | EventKind::PermanentExclusion
        );
        events.push(ExampleEvent {
            on,
            kind,
            from_school: from_school || school_kind,
            details,
        });
    }
    Ok(Example {
        name: e.name.clone(),
        born: e
            .born
            .as_deref()
            .map(|b| parse_date(b, "born"))
            .transpose()?,
        today: e
            .today
            .as_deref()
            .map(|t| parse_date(t, "today"))
            .transpose()?,
        events,
        fires: e
            .fires
            .iter()
            .map(|f| parse_date(f, "fires"))
            .collect::<Result<_, _>>()?,
        line: line_of(source.text, spanned.span().start),
    })
}

fn rule(source: &Source<'_>, states: &BTreeMap<String, State>) -> Result<Rule, LoadError> {
    let file: RuleFile = source.parse()?;
    let id = file.id.get_ref();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(source.at(
            &file.id,
            "id must be lower-case letters, digits and hyphens",
        ));
    }
    let severity = Severity::parse(file.severity.get_ref()).ok_or_else(|| {
        source.at(
            &file.severity,
            format!(
                "severity {:?} is not one of low, medium, high, critical",
                file.severity.get_ref()
            ),
        )
    })?;
    let mut notify = Vec::new();
    for role in file.notify.get_ref() {
        notify.push(
            role.parse::<Role>()
                .map_err(|e| source.at(&file.notify, e.to_string()))?,
        );
    }
    if notify.is_empty() {
        return Err(source.at(&file.notify, "notify at least one role"));
    }
    let respond_within = match (file.respond_within_days, file.respond_within_school_days) {
        (Some(d), None) => Limit::Days(d),
        (None, Some(d)) => Limit::SchoolDays(d),
        _ => {
            return Err(LoadError {
                file: source.file.to_owned(),
                line: 0,
                reason: "give exactly one of respond_within_days or respond_within_school_days"
                    .into(),
            });
        }
    };
    let condition = condition(source, &file.when)?;
    let when = file.when.get_ref();
    let while_open = when
        .while_open
        .as_ref()
        .map(|w| {
            w.get_ref()
                .iter()
                .map(|s| {
                    if states.contains_key(s) {
                        Ok(s.clone())
                    } else {
                        Err(source.at(w, format!(
                            "while_open names {s:?}, which is not a state in {STATES_FILE}; states: {}",
                            states.keys().cloned().collect::<Vec<_>>().join(", ")
                        )))
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let unless_seen = when
        .unless_seen
        .as_ref()
        .map(|u| kinds(source, u))
        .transpose()?
        .unwrap_or_default();
    let examples = file
        .example
        .iter()
        .map(|e| example(source, e))
        .collect::<Result<_, _>>()?;
    Ok(Rule {
        id: id.clone(),
        version: file.version,
        title: file.title,
        rationale: file.rationale.trim().to_owned(),
        source: file.source.trim().to_owned(),
        severity,
        family: file.family.unwrap_or_else(|| id.clone()),
        notify,
        respond_within,
        condition,
        while_open,
        unless_seen,
        signals_exploitation: file.signals_exploitation,
        examples,
        file: source.file.to_owned(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(default)]
    term: Vec<TermSpec>,
    #[serde(default)]
    exact: Vec<ExactTerm>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExactTerm {
    starts: String,
    ends: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    title: String,
    opens: Spanned<Vec<String>>,
    #[serde(default)]
    closes: Option<Spanned<Vec<String>>>,
    lasts_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingFile {
    raise_within_days: u32,
    escalate: Spanned<BTreeMap<String, String>>,
}

fn many(value: &Spanned<Vec<String>>) -> Spanned<OneOrMany> {
    Spanned::new(value.span(), OneOrMany::Many(value.get_ref().clone()))
}

impl RuleSet {
    /// Builds a rule set from `(file name, text)` pairs: the rule files and, when present,
    /// `calendar.toml`, `states.toml` and `routing.toml`. All or nothing: any error refuses
    /// the whole set.
    pub fn from_sources(files: &[(String, String)]) -> Result<Self, LoadError> {
        let find = |name: &str| files.iter().find(|(f, _)| f == name);
        let calendar = match find(CALENDAR_FILE) {
            None => Calendar::default(),
            Some((file, text)) => {
                let source = Source { file, text };
                let parsed: CalendarFile = source.parse()?;
                parsed
                    .exact
                    .iter()
                    .map(|t| match (date(&t.starts), date(&t.ends)) {
                        (Some(s), Some(e)) => Ok((s, e)),
                        _ => Err(format!(
                            "exact term {:?} to {:?}: dates must be like 2025-09-08",
                            t.starts, t.ends
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .and_then(|exact| Calendar::new(&parsed.term, &exact))
                    .map_err(|reason| LoadError {
                        file: file.clone(),
                        line: 0,
                        reason,
                    })?
            }
        };
        let mut states = BTreeMap::new();
        if let Some((file, text)) = find(STATES_FILE) {
            let source = Source { file, text };
            let parsed: BTreeMap<String, StateFile> = source.parse()?;
            for (name, state) in parsed {
                let opens = kinds(&source, &many(&state.opens))?;
                let closes = match &state.closes {
                    Some(c) => kinds(&source, &many(c))?,
                    None => Vec::new(),
                };
                states.insert(
                    name.clone(),
                    State {
                        name,
                        title: state.title,
                        opens,
                        closes,
                        lasts_days: state.lasts_days,
                    },
                );
            }
        }
        let mut escalate = BTreeMap::new();
        let mut raise_within_days = 90;
        if let Some((file, text)) = find(ROUTING_FILE) {
            let source = Source { file, text };
            let parsed: RoutingFile = source.parse()?;
            raise_within_days = parsed.raise_within_days;
            for (from, to) in parsed.escalate.get_ref() {
                let from_role = from
                    .parse::<Role>()
                    .map_err(|e| source.at(&parsed.escalate, e.to_string()))?;
                let to_role = to
                    .parse::<Role>()
                    .map_err(|e| source.at(&parsed.escalate, e.to_string()))?;
                escalate.insert(from_role, to_role);
            }
        }
        // The registers' settings are harbour-casework's to read; kept as given so that the
        // register clocks the rules see (`harbour_casework::moments`) run on the same file.
        let registers = files
            .iter()
            .find(|(file, _)| file == REGISTERS_FILE)
            .map(|(_, text)| text.clone());
        let mut rules = Vec::new();
        let mut ids = HashSet::new();
        for (file, text) in files {
            if [CALENDAR_FILE, STATES_FILE, ROUTING_FILE, REGISTERS_FILE].contains(&file.as_str()) {
                continue;
            }
            let source = Source { file, text };
            let rule = rule(&source, &states)?;
            if !ids.insert(rule.id.clone()) {
                return Err(LoadError {
                    file: file.clone(),
                    line: 0,
                    reason: format!("rule id {:?} is used by another file too", rule.id),
                });
            }
            rules.push(rule);
        }
        // Compound rules may only combine rules that exist and are not compound themselves.
        let plain: HashSet<String> = rules
            .iter()
            .filter(|r| !matches!(r.condition, Condition::Compound { .. }))
            .map(|r| r.id.clone())
            .collect();
        for rule in &rules {
            if let Condition::Compound { of, .. } = &rule.condition
                && let Some(unknown) = of.iter().find(|id| !plain.contains(*id))
            {
                return Err(LoadError {
                    file: rule.file.clone(),
                    line: 0,
                    reason: format!(
                        "of names {unknown:?}, which is not a (non-compound) rule in this set"
                    ),
                });
            }
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Self {
            rules,
            states,
            calendar,
            escalate,
            raise_within_days,
            registers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_read_in_years_and_months() {
        assert_eq!(age_months("17y6m"), Some(210));
        assert_eq!(age_months("18y"), Some(216));
        assert_eq!(age_months("6m"), Some(6));
        assert_eq!(age_months("17y13m"), None);
        assert_eq!(age_months("old"), None);
    }

    #[test]
    fn lines_are_counted_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }
}
