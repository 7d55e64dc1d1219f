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
    /// The agency that recorded it.
    /// Shared, not copied: a county's timelines hold millions of events from a few hundred
    /// agencies.
    pub agency: Arc<str>,
    /// The agency's name, for people to read.
    pub agency_name: Arc<str>,
    /// The school the event is about, if any: the recording school for its own record; for
    /// history one school's transfer file reports about another, the school it describes.
    /// An alert for "the designated safeguarding lead of the child's school" goes by these
    /// (see [`Timeline::school_on`]).
    pub school: Option<School>,
    /// Empty when the caller knows no condition reads it (a full run over a county).
    pub summary: String,
    /// The structured fields rule conditions may test (a suspension's reason code, an
    /// attendance percentage, an offence).
    pub details: Fields,
}

/// A school an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum School {
    /// A school in Harbour, by its agency id (the text of [`Event::agency`] for its own
    /// records).
    Agency(Arc<str>),
    /// A school Harbour does not hold, by its DfE number (LA/ESTAB), as another school's
    /// transfer file named it: it has no lead in Harbour to tell.
    Elsewhere(Arc<str>),
}

impl School {
    /// The recording agency, when it is a school: how an agency's own record is placed.
    pub fn own(agency: &Arc<str>, is_school: bool) -> Option<Self> {
        is_school.then(|| Self::Agency(Arc::clone(agency)))
    }
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

    /// The school the child was at on `day`, by the roll as the events give it: of the
    /// schools whose roll the child is on that day (joined, and not left before `day`; a
    /// school that recorded something without a joining counts as joined then), the one
    /// joined or heard from last. With no school's roll open, the school the child was last
    /// at (a child who left, or was excluded, is still that school's concern). Each event
    /// counts for the school it is about, so a transfer file's history places the child at
    /// the earlier school it describes, not at the sender.
    pub fn school_on(&self, day: Date) -> Option<&School> {
        // Each school heard of so far, the last day it was heard from, and whether the child
        // is still on its roll; in the order they were last heard from.
        let mut schools: Vec<(&School, Date, bool)> = Vec::new();
        for event in self.events.iter().take_while(|e| e.on <= day) {
            let Some(school) = event.school.as_ref() else {
                continue;
            };
            let known = schools.iter().position(|(s, ..)| *s == school);
            let was_on_roll = known
                .and_then(|i| schools.get(i))
                .is_none_or(|(_, _, on_roll)| *on_roll);
            let on_roll = match event.kind {
                EventKind::SchoolEnrolment => true,
                // Left before the day: off the roll. Leaving on the day itself (an exclusion)
                // is still that school's moment.
                EventKind::SchoolLeaving => event.on >= day && was_on_roll,
                // A report after leaving (a late attendance summary) does not rejoin.
                _ => was_on_roll,
            };
            if let Some(i) = known {
                schools.remove(i);
            }
            schools.push((school, event.on, on_roll));
        }
        schools
            .iter()
            .rev()
            .find(|(.., on_roll)| *on_roll)
            .or_else(|| schools.last())
            .map(|(school, ..)| *school)
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

    /// Issue 14, point 3: a moment goes to the school whose roll the child was on that day,
    /// whoever reported the stint.
    #[test]
    fn the_school_on_a_day_follows_the_roll() {
        let ashdown = School::Agency("ashdown".into());
        let brookfield = School::Elsewhere("999/2002".into());
        let northgate = School::Agency("northgate".into());
        let event = |n: u8, kind: EventKind, on: Date, agency: &str, school: &School| Event {
            id: format!("{n:02}"),
            kind,
            on,
            agency: agency.into(),
            agency_name: agency.into(),
            school: Some(school.clone()),
            summary: String::new(),
            details: Fields::default(),
        };
        use EventKind::{AttendanceSummary, SchoolEnrolment, SchoolLeaving};
        let t = Timeline::new(
            "p",
            None,
            vec![
                // Northgate's transfer file reports the earlier schools, recorded after
                // Ashdown's own admission on the same day.
                event(
                    1,
                    SchoolEnrolment,
                    date!(2013 - 09 - 04),
                    "ashdown",
                    &ashdown,
                ),
                event(
                    2,
                    SchoolEnrolment,
                    date!(2013 - 09 - 04),
                    "northgate",
                    &ashdown,
                ),
                event(
                    3,
                    SchoolLeaving,
                    date!(2017 - 07 - 21),
                    "northgate",
                    &ashdown,
                ),
                event(
                    4,
                    SchoolEnrolment,
                    date!(2017 - 09 - 06),
                    "northgate",
                    &brookfield,
                ),
                // Ashdown's late summary of a term before he left does not put him back.
                event(
                    5,
                    AttendanceSummary,
                    date!(2017 - 10 - 01),
                    "ashdown",
                    &ashdown,
                ),
                event(
                    6,
                    SchoolLeaving,
                    date!(2018 - 07 - 20),
                    "northgate",
                    &brookfield,
                ),
                event(
                    7,
                    SchoolEnrolment,
                    date!(2018 - 09 - 05),
                    "northgate",
                    &northgate,
                ),
            ],
        );
        assert_eq!(t.school_on(date!(2013 - 01 - 01)), None);
        assert_eq!(t.school_on(date!(2016 - 05 - 10)), Some(&ashdown));
        assert_eq!(
            t.school_on(date!(2017 - 07 - 21)),
            Some(&ashdown),
            "the day he left"
        );
        assert_eq!(
            t.school_on(date!(2017 - 08 - 01)),
            Some(&ashdown),
            "the school he left"
        );
        assert_eq!(t.school_on(date!(2018 - 03 - 12)), Some(&brookfield));
        assert_eq!(t.school_on(date!(2018 - 08 - 01)), Some(&brookfield));
        assert_eq!(t.school_on(date!(2026 - 01 - 01)), Some(&northgate));
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
