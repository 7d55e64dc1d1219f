//! Rule timelines from stored rows, whichever way they were read: the newest version of each
//! event, the agency that recorded it, and the date of birth most of the person's records
//! give. No SQL here; the backends read the rows.

use harbour_domain::EventKind;
use harbour_rules::{Event, Fields, Timeline};
use std::collections::HashMap;
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
        })
    }
}

/// An agency as timelines name it: its id as text, its name, and whether it is a school.
#[derive(Debug, Clone)]
struct AgencyLabel {
    id: Arc<str>,
    name: Arc<str>,
    school: bool,
}

/// Builds timelines from a tenant's agencies and its persons' dates of birth.
#[derive(Debug)]
pub(crate) struct Builder {
    agencies: HashMap<Uuid, AgencyLabel>,
    births: HashMap<Uuid, HashMap<Date, usize>>,
}

impl Builder {
    /// `agencies` as (id, kind, name); `births` as (person, date of birth) for each record.
    pub fn new(
        agencies: impl IntoIterator<Item = (Uuid, String, String)>,
        births: impl IntoIterator<Item = (Uuid, Option<Date>)>,
    ) -> Self {
        let agencies = agencies
            .into_iter()
            .map(|(id, kind, name)| {
                let label = AgencyLabel {
                    id: id.to_string().into(),
                    name: name.into(),
                    school: kind == "school",
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
            births: counted,
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
        let events = rows
            .iter()
            .zip(keep)
            .filter(|(_, keep)| *keep)
            .map(|(row, _)| {
                // An agency missing from the list (it cannot be, by the foreign key) is
                // named by its id and counts as not a school.
                let (agency, agency_name, from_school) = match self.agencies.get(&row.agency) {
                    Some(a) => (Arc::clone(&a.id), Arc::clone(&a.name), a.school),
                    None => (row.agency.to_string().into(), Arc::from(""), false),
                };
                Event {
                    id: row.id.to_string(),
                    kind: row.kind,
                    on: row.on,
                    agency,
                    agency_name,
                    from_school,
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
        )
        .unwrap_or_else(|| unreachable!("suspension is a kind"))
    }

    #[test]
    fn newest_versions_only_and_the_commonest_birth_date() {
        let (school, person) = (Uuid::now_v7(), Uuid::now_v7());
        let builder = Builder::new(
            [(school, "school".to_owned(), "Northgate".to_owned())],
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
                .all(|e| e.from_school && &*e.agency_name == "Northgate")
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
        );
        assert!(unknown.is_none());
    }
}
