//! Conditions on an event's fields, written in the Common Expression Language (CEL):
//! `percent < 90.0`, `reason == "PERM"`, `lower(offence).contains("bladed")`. CEL is small,
//! has no loops or side effects and always terminates, which is what a rule file a manager
//! edits needs; the `cel` crate parses and runs it.
//!
//! Each expression may name only the fields the rule's event kinds carry (checked when the
//! rules load, so a misspelt field is refused rather than never matching).

use crate::timeline::Event;
use harbour_domain::EventKind;
use std::sync::Arc;

/// What a field holds, for binding an absent value and for the load-time check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Number,
    /// Yes or no (`found_out_of_area == true`); absent, it is null and matches nothing.
    Bool,
}

/// The fields each kind of event carries, as the feeds record them (see docs/feeds.md).
/// Every event also has `summary`, its one-line description.
pub fn fields_of(kind: EventKind) -> &'static [(&'static str, FieldType)] {
    use EventKind as K;
    use FieldType::{Bool, Number, Text};
    match kind {
        K::SchoolEnrolment => &[("year_group", Number)],
        K::SchoolLeaving => &[("destination", Text), ("year_group", Number)],
        K::AttendanceSummary => &[
            ("percent", Number),
            ("sessions_possible", Number),
            ("sessions_attended", Number),
        ],
        K::Suspension => &[("reason", Text), ("sessions", Number)],
        K::PermanentExclusion => &[("reason", Text)],
        K::Caution | K::Arrest | K::Charge | K::VictimOfCrime | K::RuiStart | K::RuiEnd => {
            &[("offence", Text)]
        }
        K::MissingEpisode => &[
            ("offence", Text),
            ("missing_hours", Number),
            ("found_out_of_area", Bool),
            ("found_at", Text),
        ],
        K::StopAndSearch => &[("offence", Text), ("outcome", Text)],
        K::IntelligenceReport => &[("grading", Text)],
        K::EmergencyAttendance => &[("reason", Text), ("severity", Text)],
        K::SocialCareReferral => &[("referral_reason", Text), ("referrer", Text)],
        K::MaceReferral => &[("referrer", Text)],
        K::AlternativeProvision => &[("provider", Text), ("hours_per_week", Number)],
        K::FairAccessPlacement => &[("allocated_school", Text), ("response", Text)],
        K::RegisterClock => &[("register", Text), ("clock", Text)],
        _ => &[],
    }
}

fn field_type(kinds: &[EventKind], name: &str) -> Option<FieldType> {
    if name == "summary" {
        return Some(FieldType::Text);
    }
    kinds.iter().find_map(|kind| {
        fields_of(*kind)
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, t)| *t)
    })
}

/// A compiled condition and the fields it reads.
#[derive(Debug)]
pub struct Predicate {
    source: String,
    program: cel::Program,
    fields: Vec<(String, FieldType)>,
}

impl Predicate {
    /// Compiles `source` for events of `kinds`. The error says what is wrong in words.
    pub fn compile(source: &str, kinds: &[EventKind]) -> Result<Self, String> {
        let program = cel::Program::compile(source)
            .map_err(|e| format!("the condition {source:?} is not a valid expression: {e}"))?;
        let mut fields = Vec::new();
        for name in program.references().variables() {
            let Some(t) = field_type(kinds, name) else {
                let known: Vec<&str> = kinds
                    .iter()
                    .flat_map(|k| fields_of(*k).iter().map(|(f, _)| *f))
                    .chain(["summary"])
                    .collect();
                return Err(format!(
                    "the condition names {name:?}, which {} events do not have; they have: {}",
                    kinds
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(" or "),
                    known.join(", ")
                ));
            };
            fields.push((name.to_owned(), t));
        }
        for function in program.references().functions() {
            if !ALLOWED_FUNCTIONS.contains(&function) {
                return Err(format!(
                    "the condition calls {function:?}; conditions may use: {}",
                    ALLOWED_FUNCTIONS.join(", ")
                ));
            }
        }
        Ok(Self {
            source: source.to_owned(),
            program,
            fields,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the condition names `field`.
    pub fn reads(&self, field: &str) -> bool {
        self.fields.iter().any(|(name, _)| name == field)
    }

    /// Whether `event` meets the condition. A condition that cannot be worked out for this
    /// event (a field holding the wrong type of value) does not match it.
    pub fn test(&self, event: &Event) -> bool {
        let fields = EventFields {
            event,
            fields: &self.fields,
        };
        FUNCTIONS.with(|functions| {
            let mut context = functions.new_inner_scope();
            context.set_variable_resolver(&fields);
            matches!(self.program.execute(&context), Ok(cel::Value::Bool(true)))
        })
    }
}

thread_local! {
    /// CEL's functions and `lower`, registered once per thread: a fresh `cel::Context`
    /// registers every built-in function again, which cost more than the test itself when a
    /// county's millions of events are tested.
    static FUNCTIONS: cel::Context<'static> = {
        let mut context = cel::Context::default();
        context.add_function("lower", lower);
        context
    };
}

/// The values a condition names, looked up in the event when the condition reads them.
struct EventFields<'e> {
    event: &'e Event,
    fields: &'e [(String, FieldType)],
}

impl cel::context::VariableResolver for EventFields<'_> {
    fn resolve(&self, name: &str) -> Option<cel::Value> {
        let (_, t) = self.fields.iter().find(|(n, _)| n == name)?;
        Some(if name == "summary" {
            cel::Value::String(Arc::new(self.event.summary.clone()))
        } else {
            match (self.event.details.get(name), t) {
                (Some(serde_json::Value::String(s)), _) => cel::Value::String(Arc::new(s.clone())),
                (Some(serde_json::Value::Number(n)), _) => {
                    cel::Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
                (Some(serde_json::Value::Bool(b)), _) => cel::Value::Bool(*b),
                (_, FieldType::Text) => cel::Value::String(Arc::new(String::new())),
                (_, FieldType::Number | FieldType::Bool) => cel::Value::Null,
            }
        })
    }
}

/// Functions and operators a condition may use: CEL's comparisons, logic and arithmetic,
/// text tests, and `lower` for matching text whatever its case.
const ALLOWED_FUNCTIONS: &[&str] = &[
    "lower",
    "contains",
    "startsWith",
    "endsWith",
    "size",
    "_==_",
    "_!=_",
    "_<_",
    "_<=_",
    "_>_",
    "_>=_",
    "_&&_",
    "_||_",
    "!_",
    "_+_",
    "_-_",
    "_*_",
    "_/_",
    "@in",
];

fn lower(text: Arc<String>) -> String {
    text.to_lowercase()
}
