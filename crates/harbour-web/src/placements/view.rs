//! A placement in words, once, for the list, the entry page, the exclusions register's entry
//! and the API alike.

use crate::layout::long_date;
use harbour_casework::placements::{PlacementFact, ProvisionKind};
use harbour_store::PlacementEntry;
use time::Date;

/// One placement as a row of the list (and of the child's placements on the exclusions
/// register's entry).
pub(crate) struct Row {
    pub id: String,
    pub person: String,
    pub child: String,
    pub provider: String,
    pub kind: &'static str,
    pub hours: String,
    pub part_time: bool,
    pub starts: String,
    pub from_exclusion: String,
    pub next_review: String,
    pub review_overdue: bool,
    pub status: String,
    pub running: bool,
}

pub(crate) fn child_name(entry: &PlacementEntry) -> String {
    entry.child.as_ref().map_or_else(
        || "A child".into(),
        |c| format!("{} {}", c.given_name, c.family_name),
    )
}

pub(crate) fn kind_words(kind: Option<ProvisionKind>) -> &'static str {
    kind.map_or("Type not recorded", ProvisionKind::label)
}

pub(crate) fn from_exclusion_words(entry: &PlacementEntry) -> String {
    let a = &entry.assessment;
    match (a.days_from_exclusion, a.school_days_from_exclusion) {
        (Some(days), Some(school)) => format!(
            "{days} day{} ({school} school day{}) after the exclusion",
            if days == 1 { "" } else { "s" },
            if school == 1 { "" } else { "s" },
        ),
        _ => "Not after an exclusion on the register".into(),
    }
}

impl Row {
    pub(crate) fn of(entry: &PlacementEntry, today: Date) -> Self {
        let a = &entry.assessment;
        Self {
            id: entry.id.to_string(),
            person: entry.person.to_string(),
            child: child_name(entry),
            provider: a.provider.clone(),
            kind: kind_words(a.kind),
            hours: a
                .hours
                .map_or_else(|| "Not recorded".into(), |h| format!("{h} hours a week")),
            part_time: a.full_time == Some(false),
            starts: long_date(entry.starts_on),
            from_exclusion: from_exclusion_words(entry),
            next_review: a.next_review.map(long_date).unwrap_or_default(),
            review_overdue: a.next_review.is_some_and(|due| today > due),
            status: match a.ended {
                Some((on, outcome)) => format!("Ended {}: {}", long_date(on), outcome.label()),
                None if entry.starts_on > today => "Starts soon".into(),
                None => "Running".into(),
            },
            running: a.ended.is_none(),
        }
    }
}

/// A fact in the history, in words (never more than the officer typed).
pub(crate) fn fact_words(fact: &PlacementFact) -> String {
    match fact {
        PlacementFact::Details {
            provider,
            kind,
            hours,
            review_on,
        } => {
            let mut words = format!("Details: {provider}, {}", kind_words(*kind).to_lowercase());
            if let Some(h) = hours {
                words.push_str(&format!(", {h} hours a week"));
            }
            if let Some(r) = review_on {
                words.push_str(&format!(", review by {}", long_date(*r)));
            }
            words
        }
        PlacementFact::Reviewed { on, notes, next_on } => {
            let next = next_on
                .map(|n| format!(" Next review {}.", long_date(n)))
                .unwrap_or_default();
            format!("Reviewed {}: {notes}.{next}", long_date(*on))
        }
        PlacementFact::Ended { on, outcome, notes } => {
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!(" {notes}")
            };
            format!("Ended {}: {}.{notes}", long_date(*on), outcome.label())
        }
    }
}
