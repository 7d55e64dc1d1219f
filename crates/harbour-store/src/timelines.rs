//! Rule timelines from stored rows, whichever way they were read: the newest version of each
//! event, the agency that recorded it, and the date of birth most of the person's records
//! give; history one school reported about another placed at the school it describes, and
//! left out where that school's own record (or an earlier report) says the same. No SQL
//! here; the backends read the rows.

use harbour_domain::EventKind;
use harbour_rules::{Event, Fields, School, Timeline};
use std::collections::HashMap;
use std::collections::HashSet;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use time::Date;
use uuid::Uuid;

/// One stored version of an event, its text borrowed from wherever the row was read into.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventRow<'a> {
    pub id: Uuid,
    pub agency: Uuid,
    pub record_key: &'a str,
    pub version: i32,
    pub kind: EventKind,
    pub on: Date,
    pub summary: &'a str,
    /// The stored details (a JSON object), parsed only if this version is the newest.
    pub details: &'a str,
    /// For history reported about another school, that school's DfE number.
    pub about: Option<&'a str>,
}

impl<'a> EventRow<'a> {
    /// A row as stored. A kind this build does not know (a newer Harbour wrote it) gives
    /// `None`: the rules cannot name it, so it is left out.
    #[allow(clippy::too_many_arguments)] // one argument per column
    pub fn new(
        id: Uuid,
        agency: Uuid,
        record_key: &'a str,
        version: i32,
        kind: &str,
        on: Date,
        summary: &'a str,
        details: &'a str,
        about: Option<&'a str>,
    ) -> Option<Self> {
        Some(Self {
            id,
            agency,
            record_key,
            version,
            kind: kind.parse::<EventKind>().ok()?,
            on,
            summary,
            details,
            about,
        })
    }
}

/// Which of a person's events to keep, given for each the school it is about and whether it
/// is a report by another school: every agency's own record, and a report only when neither
/// the school it describes nor an earlier report (in `rows`' order) recorded the same kind of
/// event on the same day. A transfer file that repeats a stint the earlier school sent itself
/// adds nothing to the timeline and fires no rule a second time.
pub(crate) fn unrepeated<'k>(
    rows: impl IntoIterator<Item = (Option<&'k str>, bool, EventKind, Date)>,
) -> Vec<bool> {
    let rows: Vec<_> = rows.into_iter().collect();
    let mut said: HashSet<(&str, EventKind, Date)> = rows
        .iter()
        .filter_map(|(school, reported, kind, on)| {
            school.filter(|_| !reported).map(|s| (s, *kind, *on))
        })
        .collect();
    rows.iter()
        .map(|(school, reported, kind, on)| match school {
            Some(school) if *reported => said.insert((school, *kind, *on)),
            _ => true,
        })
        .collect()
}

/// An agency as timelines name it: its id as text, its name, and the school it is (if it
/// is one).
#[derive(Debug, Clone)]
struct AgencyLabel {
    id: Arc<str>,
    name: Arc<str>,
    school: Option<School>,
}

/// Builds timelines from a tenant's agencies and its persons' dates of birth.
#[derive(Debug)]
pub(crate) struct Builder {
    agencies: HashMap<Uuid, AgencyLabel>,
    /// Schools by DfE number: the school a reported event describes.
    numbers: HashMap<String, School>,
    births: HashMap<Uuid, HashMap<Date, usize>>,
}

impl Builder {
    /// `agencies` as (id, kind, name, school number); `births` as (person, date of birth)
    /// for each record.
    pub fn new(
        agencies: impl IntoIterator<Item = (Uuid, String, String, Option<String>)>,
        births: impl IntoIterator<Item = (Uuid, Option<Date>)>,
    ) -> Self {
        let mut numbers = HashMap::new();
        let agencies = agencies
            .into_iter()
            .map(|(id, kind, name, number)| {
                let id_text: Arc<str> = id.to_string().into();
                let school = School::own(&id_text, kind == "school");
                if let (Some(number), Some(school)) = (number, &school) {
                    numbers.insert(number, school.clone());
                }
                let label = AgencyLabel {
                    id: id_text,
                    name: name.into(),
                    school,
                };
                (id, label)
            })
            .collect();
        let mut counted: HashMap<Uuid, HashMap<Date, usize>> = HashMap::new();
        for (person, date) in births {
            if let Some(date) = date {
                *counted.entry(person).or_default().entry(date).or_default() += 1;
            }
        }
        Self {
            agencies,
            numbers,
            births: counted,
        }
    }

    /// The school an event is about: the recording school for its own record; for a report
    /// about another school, that school (by agency, when Harbour holds it).
    fn school_of(&self, row: &EventRow<'_>) -> Option<School> {
        match row.about {
            Some(number) => Some(
                self.numbers
                    .get(number)
                    .cloned()
                    .unwrap_or_else(|| School::Elsewhere(number.into())),
            ),
            None => self
                .agencies
                .get(&row.agency)
                .and_then(|a| a.school.clone()),
        }
    }

    /// The date of birth most of the person's records give (the earliest on a tie).
    fn born(&self, person: &Uuid) -> Option<Date> {
        self.births.get(person).and_then(|counts| {
            counts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(d, _)| *d)
        })
    }

    /// The timeline of `person` from their event rows (any order, every version).
    pub fn timeline(&self, person: Uuid, rows: &[EventRow<'_>]) -> Timeline {
        let mut newest: HashMap<(Uuid, &str), usize> = HashMap::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            match newest.entry((row.agency, row.record_key)) {
                Entry::Occupied(mut kept) => {
                    if rows
                        .get(*kept.get())
                        .is_some_and(|k| row.version > k.version)
                    {
                        kept.insert(i);
                    }
                }
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }
        let mut keep = vec![false; rows.len()];
        for i in newest.into_values() {
            if let Some(k) = keep.get_mut(i) {
                *k = true;
            }
        }
        // Reports are weighed in the order they were stored (ids are time-ordered), so the
        // first report of a moment is the one kept whichever way the rows were read.
        let mut newest: Vec<(&EventRow<'_>, Option<School>)> = rows
            .iter()
            .zip(keep)
            .filter(|(_, keep)| *keep)
            .map(|(row, _)| (row, self.school_of(row)))
            .collect();
        newest.sort_by_key(|(row, _)| row.id);
        let school_keys: Vec<Option<&str>> = newest
            .iter()
            .map(|(_, school)| match school {
                Some(School::Agency(id) | School::Elsewhere(id)) => Some(&**id),
                None => None,
            })
            .collect();
        let unrepeated = unrepeated(
            newest
                .iter()
                .zip(&school_keys)
                .map(|((row, _), key)| (*key, row.about.is_some(), row.kind, row.on)),
        );
        let events = newest
            .iter()
            .zip(unrepeated)
            .filter(|(_, keep)| *keep)
            .map(|((row, school), _)| {
                // An agency missing from the list (it cannot be, by the foreign key) is
                // named by its id and counts as not a school.
                let (agency, agency_name) = match self.agencies.get(&row.agency) {
                    Some(a) => (Arc::clone(&a.id), Arc::clone(&a.name)),
                    None => (row.agency.to_string().into(), Arc::from("")),
                };
                Event {
                    id: row.id.to_string(),
                    kind: row.kind,
                    on: row.on,
                    agency,
                    agency_name,
                    school: school.clone(),
                    summary: row.summary.to_owned(),
                    details: Fields::from_json(row.kind, row.details),
                }
            })
            .collect();
        Timeline::new(person.to_string(), self.born(&person), events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn row(agency: Uuid, key: &str, version: i32, on: Date) -> EventRow<'_> {
        EventRow::new(
            Uuid::now_v7(),
            agency,
            key,
            version,
            "suspension",
            on,
            "",
            r#"{"reason":"PA"}"#,
            None,
        )
        .unwrap_or_else(|| unreachable!("suspension is a kind"))
    }

    #[test]
    fn newest_versions_only_and_the_commonest_birth_date() {
        let (school, person) = (Uuid::now_v7(), Uuid::now_v7());
        let builder = Builder::new(
            [(school, "school".to_owned(), "Northgate".to_owned(), None)],
            [
                (person, Some(date!(2008 - 03 - 15))),
                (person, Some(date!(2008 - 03 - 15))),
                (person, Some(date!(2008 - 03 - 16))),
                (person, None),
            ],
        );
        let rows = vec![
            row(school, "s1", 1, date!(2021 - 01 - 05)),
            row(school, "s1", 2, date!(2021 - 01 - 06)),
            row(school, "s2", 1, date!(2021 - 02 - 01)),
        ];
        let t = builder.timeline(person, &rows);
        assert_eq!(t.born, Some(date!(2008 - 03 - 15)));
        let days: Vec<Date> = t.events.iter().map(|e| e.on).collect();
        assert_eq!(days, [date!(2021 - 01 - 06), date!(2021 - 02 - 01)]);
        assert!(
            t.events
                .iter()
                .all(|e| e.school.is_some() && &*e.agency_name == "Northgate")
        );
        assert_eq!(
            t.events.first().and_then(|e| e.details.get("reason")),
            Some(&"PA".into())
        );
        let unknown = EventRow::new(
            school,
            school,
            "k",
            1,
            "new_kind",
            date!(2021 - 01 - 01),
            "",
            "{}",
            None,
        );
        assert!(unknown.is_none());
    }

    /// Issue 14, point 3: a transfer file's report of a stint the earlier school sent itself
    /// is left out; one it alone reports is placed at the school it describes.
    #[test]
    fn reports_are_placed_at_the_school_they_describe_and_never_repeat_its_own_record() {
        let (ashdown, northgate, person) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let builder = Builder::new(
            [
                (
                    ashdown,
                    "school".to_owned(),
                    "Ashdown".to_owned(),
                    Some("999/2001".to_owned()),
                ),
                (northgate, "school".to_owned(), "Northgate".to_owned(), None),
            ],
            [(person, None)],
        );
        let row = |agency, key, kind, on, about| {
            EventRow::new(Uuid::now_v7(), agency, key, 1, kind, on, "", "{}", about)
                .unwrap_or_else(|| unreachable!("a known kind"))
        };
        let rows = vec![
            row(
                ashdown,
                "a-in",
                "school_enrolment",
                date!(2013 - 09 - 04),
                None,
            ),
            row(
                northgate,
                "n-a-in",
                "school_enrolment",
                date!(2013 - 09 - 04),
                Some("999/2001"),
            ),
            row(
                northgate,
                "n-a-out",
                "school_leaving",
                date!(2017 - 07 - 21),
                Some("999/2001"),
            ),
            row(
                northgate,
                "n-b-in",
                "school_enrolment",
                date!(2017 - 09 - 06),
                Some("999/2002"),
            ),
            row(
                northgate,
                "n-b-in-2",
                "school_enrolment",
                date!(2017 - 09 - 06),
                Some("999/2002"),
            ),
            row(
                northgate,
                "n-in",
                "school_enrolment",
                date!(2018 - 09 - 05),
                None,
            ),
        ];
        let t = builder.timeline(person, &rows);
        let placed: Vec<(Date, &str, Option<School>)> = t
            .events
            .iter()
            .map(|e| (e.on, &*e.agency_name, e.school.clone()))
            .collect();
        let at = |id: Uuid| Some(School::Agency(id.to_string().into()));
        assert_eq!(
            placed,
            [
                (date!(2013 - 09 - 04), "Ashdown", at(ashdown)),
                (date!(2017 - 07 - 21), "Northgate", at(ashdown)),
                (
                    date!(2017 - 09 - 06),
                    "Northgate",
                    Some(School::Elsewhere("999/2002".into()))
                ),
                (date!(2018 - 09 - 05), "Northgate", at(northgate)),
            ]
        );
    }
}
