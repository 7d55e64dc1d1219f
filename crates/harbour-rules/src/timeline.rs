//! What the rules read: one person's events from every agency, in date order.

use harbour_domain::EventKind;
use serde_json::{Map, Value};
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
    pub agency: String,
    /// The agency's name, for people to read.
    pub agency_name: String,
    pub from_school: bool,
    pub summary: String,
    /// The event's structured fields (a suspension's reason code, an attendance percentage,
    /// an offence), which rule conditions test.
    pub details: Map<String, Value>,
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
            .map(|e| e.agency.as_str())
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
}
