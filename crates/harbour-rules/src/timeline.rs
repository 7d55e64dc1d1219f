//! What the rules read: one person's events from every agency, in date order.

use crate::predicate::{FieldType, fields_of};
use harbour_domain::EventKind;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::sync::Arc;
use time::Date;

/// One event on a timeline. `id` is whatever the caller uses to name it (the store's event
/// id; an example's position); the engine only hands it back as evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub kind: EventKind,
    pub on: Date,
    /// The agency that recorded it, and whether that agency is a school: an alert for "the
    /// designated safeguarding lead of the child's school" goes to the last school that
    /// recorded something about the child.
    /// Shared, not copied: a county's timelines hold millions of events from a few hundred
    /// agencies.
    pub agency: Arc<str>,
    /// The agency's name, for people to read.
    pub agency_name: Arc<str>,
    pub from_school: bool,
    /// Empty when the caller knows no condition reads it (a full run over a county).
    pub summary: String,
    /// The structured fields rule conditions may test (a suspension's reason code, an
    /// attendance percentage, an offence).
    pub details: Fields,
}

/// The fields of an event that rule conditions can name (`fields_of` its kind); anything
/// else a feed recorded is left out, because no condition could read it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields(Vec<(&'static str, Value)>);

impl Fields {
    /// The fields of a `kind` event from its stored details (a JSON object). Details that
    /// are not an object give no fields: a condition on them then does not match.
    pub fn from_json(kind: EventKind, details: &str) -> Self {
        let known = fields_of(kind);
        if known.is_empty() {
            return Self::default();
        }
        let mut reader = serde_json::Deserializer::from_str(details);
        Self(
            KnownFields(known)
                .deserialize(&mut reader)
                .unwrap_or_default(),
        )
    }

    /// The fields of a `kind` event from a map (an example timeline in a rule file).
    pub fn from_map(kind: EventKind, details: &Map<String, Value>) -> Self {
        Self(
            fields_of(kind)
                .iter()
                .filter_map(|(name, _)| details.get(*name).map(|v| (*name, v.clone())))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// Reads a JSON object keeping only the `0` fields, without allocating for the others.
struct KnownFields(&'static [(&'static str, FieldType)]);

impl<'de> DeserializeSeed<'de> for KnownFields {
    type Value = Vec<(&'static str, Value)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KnownFields {
    type Value = Vec<(&'static str, Value)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object of event details")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(known) = map.next_key_seed(KnownName(self.0))? {
            match known {
                Some(name) => out.push((name, map.next_value::<Value>()?)),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// A key of the details object: which known field it is, if any.
struct KnownName(&'static [(&'static str, FieldType)]);

impl<'de> DeserializeSeed<'de> for KnownName {
    type Value = Option<&'static str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KnownName {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().find(|(n, _)| *n == key).map(|(n, _)| *n))
    }
}

/// A person's events, sorted by date (then id, so that evaluation is deterministic), and
/// their date of birth when any agency recorded one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeline {
    pub person: String,
    pub born: Option<Date>,
    pub events: Vec<Event>,
}

impl Timeline {
    pub fn new(person: impl Into<String>, born: Option<Date>, mut events: Vec<Event>) -> Self {
        events.sort_by(|a, b| a.on.cmp(&b.on).then_with(|| a.id.cmp(&b.id)));
        Self {
            person: person.into(),
            born,
            events,
        }
    }

    /// The agency of the last school to record something about the child on or before `day`.
    pub fn school_on(&self, day: Date) -> Option<&str> {
        self.events
            .iter()
            .take_while(|e| e.on <= day)
            .filter(|e| e.from_school)
            .last()
            .map(|e| &*e.agency)
    }

    /// Whole months of age on `day`.
    pub fn age_in_months(&self, day: Date) -> Option<i32> {
        let born = self.born?;
        let mut months = (day.year() - born.year()) * 12 + i32::from(u8::from(day.month()))
            - i32::from(u8::from(born.month()));
        if day.day() < born.day() {
            months -= 1;
        }
        Some(months)
    }

    /// The first day on which the person is `months` old.
    pub fn day_aged(&self, months: i32) -> Option<Date> {
        let born = self.born?;
        let total = i32::from(u8::from(born.month())) - 1 + months;
        let year = born.year() + total.div_euclid(12);
        let month = time::Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
        let last = time::util::days_in_month(month, year);
        Date::from_calendar_date(year, month, born.day().min(last)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn ages_count_whole_months() {
        let t = Timeline::new("p", Some(date!(2008 - 03 - 15)), Vec::new());
        assert_eq!(t.age_in_months(date!(2025 - 09 - 14)), Some(17 * 12 + 5));
        assert_eq!(t.age_in_months(date!(2025 - 09 - 15)), Some(17 * 12 + 6));
        assert_eq!(t.day_aged(17 * 12 + 6), Some(date!(2025 - 09 - 15)));
        let leap = Timeline::new("p", Some(date!(2008 - 08 - 31)), Vec::new());
        assert_eq!(leap.day_aged(6), Some(date!(2009 - 02 - 28)));
    }

    #[test]
    fn fields_keep_what_conditions_can_name() {
        let f = Fields::from_json(
            EventKind::AttendanceSummary,
            r#"{"estab":"2000","percent":87.5,"note":{"nested":[1,2]},"sessions_possible":120}"#,
        );
        assert_eq!(f.get("percent"), Some(&Value::from(87.5)));
        assert_eq!(f.get("sessions_possible"), Some(&Value::from(120)));
        assert_eq!(f.get("estab"), None);
        // Escaped keys are still recognised; a kind without fields reads nothing.
        let f = Fields::from_json(EventKind::Suspension, r#"{"re\u0061son":"PA"}"#);
        assert_eq!(f.get("reason"), Some(&Value::from("PA")));
        assert_eq!(
            Fields::from_json(EventKind::SchoolEnrolment, r#"{"reason":"x"}"#),
            Fields::default()
        );
        // Not an object, or broken: no fields, not an error.
        assert_eq!(
            Fields::from_json(EventKind::Suspension, "[1]"),
            Fields::default()
        );
        assert_eq!(
            Fields::from_json(EventKind::Suspension, "{\"reason\":"),
            Fields::default()
        );
    }
}
