//! The register as rows, worked out once for the list page, the exports and the API: the
//! filters, each entry's clocks in words, its offer and next review, and the figures.

use crate::layout::long_date;
use crate::problem::Problem;
use harbour_casework::exclusions::{Closure, Fact, Figures, PanelOutcome, Status};
use harbour_casework::{ClockState, WindowState};
use harbour_store::ExclusionEntry;
use serde::Deserialize;
use time::Date;
use uuid::Uuid;

/// The list's filters as the GET form (and the API's query) sends them. Strings, so that a
/// bad value is answered naming its field rather than with a bare 400.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FilterParams {
    /// open (the default), closed or all.
    pub status: Option<String>,
    /// Only entries of this excluding school (its agency id).
    pub school: Option<String>,
    /// yes (or true): only entries with something overdue (a review past its date, or a
    /// clock missed and not met).
    pub overdue: Option<String>,
    /// Only children at least this old today (whole years).
    pub min_age: Option<String>,
    /// Only children at most this old today (whole years).
    pub max_age: Option<String>,
    /// Only entries owned by this colleague (their user id, as "My work" assigns), or
    /// `unassigned` for those nobody owns.
    pub owner: Option<String>,
}

/// Whose entries are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnerFilter {
    Anyone,
    Unassigned,
    User(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusFilter {
    Open,
    Closed,
    All,
}

/// The filters, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    pub status: StatusFilter,
    pub school: Option<Uuid>,
    pub overdue: bool,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub owner: OwnerFilter,
}

fn age_param(field: &str, text: Option<&str>) -> Result<Option<i32>, Problem> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse::<i32>()
            .ok()
            .filter(|a| (0..=25).contains(a))
            .map(Some)
            .ok_or_else(|| Problem::bad_request(field, "Enter an age in whole years, like 14")),
    }
}

impl FilterParams {
    pub fn check(&self) -> Result<Filter, Problem> {
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("" | "open") => StatusFilter::Open,
            Some("closed") => StatusFilter::Closed,
            Some("all") => StatusFilter::All,
            Some(_) => {
                return Err(Problem::bad_request(
                    "status",
                    "Choose open, closed or all entries",
                ));
            }
        };
        let school = match self.school.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                text.parse::<Uuid>()
                    .map_err(|_| Problem::bad_request("school", "Choose a school from the list"))?,
            ),
        };
        let overdue = match self.overdue.as_deref().map(str::trim) {
            None | Some("" | "no" | "false") => false,
            Some("yes" | "true") => true,
            Some(_) => return Err(Problem::bad_request("overdue", "Give overdue as yes or no")),
        };
        let min_age = age_param("min_age", self.min_age.as_deref())?;
        let max_age = age_param("max_age", self.max_age.as_deref())?;
        if let (Some(min), Some(max)) = (min_age, max_age)
            && min > max
        {
            return Err(Problem::bad_request(
                "max_age",
                "The oldest age must be the same as or more than the youngest",
            ));
        }
        let owner = match self.owner.as_deref().map(str::trim) {
            None | Some("") => OwnerFilter::Anyone,
            Some("unassigned") => OwnerFilter::Unassigned,
            Some(text) => OwnerFilter::User(
                text.parse::<Uuid>()
                    .map_err(|_| Problem::bad_request("owner", "Choose an owner from the list"))?,
            ),
        };
        Ok(Filter {
            status,
            school,
            overdue,
            min_age,
            max_age,
            owner,
        })
    }
}

/// Whole years from `born` to `today`.
pub(crate) fn age_on(born: Date, today: Date) -> i32 {
    let years = today.year() - born.year();
    if (u8::from(today.month()), today.day()) < (u8::from(born.month()), born.day()) {
        years - 1
    } else {
        years
    }
}

fn is_open(entry: &ExclusionEntry) -> bool {
    entry.assessment.status == Status::Open
}

/// Whether the entry's offer review is past its date (open entries only).
pub(crate) fn review_overdue(entry: &ExclusionEntry, today: Date) -> bool {
    is_open(entry) && entry.assessment.next_review.is_some_and(|due| today > due)
}

/// Something on an open entry is overdue: its review, or a clock missed and still not met.
pub(crate) fn overdue(entry: &ExclusionEntry, today: Date) -> bool {
    let a = &entry.assessment;
    let missed = |state: ClockState| matches!(state, ClockState::Missed { .. });
    review_overdue(entry, today)
        || (is_open(entry)
            && (missed(a.day_six.state(today))
                || missed(a.board.state(today))
                || a.review_hearing.is_some_and(|h| missed(h.state(today)))))
}

impl Filter {
    /// Whether the open entries alone show what this filter asks for: it lists open entries
    /// only, and no school or age narrows the population its figures describe (so they are
    /// the whole register's, which the store works out over every entry).
    pub fn open_entries_suffice(&self) -> bool {
        self.status == StatusFilter::Open
            && self.school.is_none()
            && self.min_age.is_none()
            && self.max_age.is_none()
    }

    /// The population the figures describe: the school and age filters (the status and
    /// overdue filters choose which of its entries are listed).
    fn in_population(&self, entry: &ExclusionEntry, today: Date) -> bool {
        if self.school.is_some() && entry.school.map(|s| s.0) != self.school {
            return false;
        }
        if self.min_age.is_some() || self.max_age.is_some() {
            let Some(age) = entry
                .child
                .as_ref()
                .and_then(|c| c.date_of_birth)
                .map(|born| age_on(born, today))
            else {
                return false;
            };
            if self.min_age.is_some_and(|min| age < min)
                || self.max_age.is_some_and(|max| age > max)
            {
                return false;
            }
        }
        true
    }

    fn listed(&self, entry: &ExclusionEntry, today: Date) -> bool {
        let status = match self.status {
            StatusFilter::Open => is_open(entry),
            StatusFilter::Closed => !is_open(entry),
            StatusFilter::All => true,
        };
        let owner = entry.owner.as_ref().map(|o| o.user.0);
        let owned = match self.owner {
            OwnerFilter::Anyone => true,
            OwnerFilter::Unassigned => owner.is_none(),
            OwnerFilter::User(user) => owner == Some(user),
        };
        status && owned && (!self.overdue || overdue(entry, today))
    }

    /// The entries listed, in the order shown (first day, oldest first), and the figures
    /// over the population they come from.
    pub fn apply<'a>(
        &self,
        entries: &'a [ExclusionEntry],
        today: Date,
    ) -> (Vec<&'a ExclusionEntry>, Figures) {
        let population: Vec<&ExclusionEntry> = entries
            .iter()
            .filter(|e| self.in_population(e, today))
            .collect();
        let figures = Figures::of(population.iter().map(|e| &e.assessment), today);
        let mut listed: Vec<&ExclusionEntry> = population
            .into_iter()
            .filter(|e| self.listed(e, today))
            .collect();
        listed.sort_by_key(|e| (e.first_day, e.id));
        (listed, figures)
    }
}

/// A clock in words, with the tag it is shown in. The words carry the meaning; the colour
/// only repeats it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClockView {
    /// Due, Met, Met late, Missed.
    pub label: &'static str,
    /// "24 January 2023", or "30 January 2023 (due 24 January 2023)".
    pub when: String,
    pub class: &'static str,
}

impl ClockView {
    pub fn of(state: ClockState) -> Self {
        let (when, class) = match state {
            ClockState::Due { due } => (long_date(due), "tag--blue"),
            ClockState::Met { on, .. } => (long_date(on), "tag--grey"),
            ClockState::MetLate { due, on } => (
                format!("{} (due {})", long_date(on), long_date(due)),
                "tag--orange",
            ),
            ClockState::Missed { due } => (format!("due {}", long_date(due)), "tag--red"),
        };
        Self {
            label: state.label(),
            when,
            class,
        }
    }

    /// "Met 23 January 2023", for a spreadsheet cell.
    pub fn text(&self) -> String {
        format!("{} {}", self.label, self.when)
    }

    pub fn window(state: WindowState) -> Self {
        match state {
            WindowState::Open { closes } => Self {
                label: "Open",
                when: format!("until {}", long_date(closes)),
                class: "tag--blue",
            },
            WindowState::Used { on, .. } => Self {
                label: "Applied",
                when: long_date(on),
                class: "tag--grey",
            },
            WindowState::Closed { closes } => Self {
                label: "Closed unused",
                when: format!("on {}", long_date(closes)),
                class: "tag--grey",
            },
        }
    }
}

/// One row of the list, and of the exports.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub id: String,
    pub child: String,
    pub date_of_birth: String,
    pub age: String,
    pub school: String,
    pub first_day: String,
    pub day_six: ClockView,
    pub board: ClockView,
    /// "25 hours, Harbourshire PRU", or "None".
    pub offer: String,
    /// For the exports, apart: hours a week ("27.5") and provider, or empty.
    pub offer_hours: String,
    pub provider: String,
    /// Full-time, Part-time, or empty without an offer.
    pub offer_kind: &'static str,
    pub part_time_too_long: bool,
    pub next_review: String,
    pub review_overdue: bool,
    pub status: String,
    /// Who the entry's tasks are assigned to, or "Unassigned".
    pub owner: String,
}

pub(crate) fn child_name(entry: &ExclusionEntry) -> String {
    entry.child.as_ref().map_or_else(
        || "A child".to_owned(),
        |c| format!("{} {}", c.given_name, c.family_name),
    )
}

pub(crate) fn status_words(status: &Status) -> String {
    match status {
        Status::Open => "Open".to_owned(),
        Status::Closed { on, closure } => {
            format!("Closed {}: {}", long_date(*on), closure_words(closure))
        }
    }
}

fn closure_words(closure: &Closure) -> String {
    match closure {
        Closure::PlacedOnRoll { school } => format!("on the roll of {school}"),
        Closure::MovedOutOfArea { authority, told_on } => {
            format!("moved to {authority} (told {})", long_date(*told_on))
        }
        other => other.label().to_lowercase(),
    }
}

impl Row {
    pub fn of(entry: &ExclusionEntry, today: Date) -> Self {
        let a = &entry.assessment;
        let born = entry.child.as_ref().and_then(|c| c.date_of_birth);
        Self {
            id: entry.id.to_string(),
            child: child_name(entry),
            date_of_birth: born.map(long_date).unwrap_or_default(),
            age: born
                .map(|b| age_on(b, today).to_string())
                .unwrap_or_default(),
            school: entry.school_name.clone().unwrap_or_default(),
            first_day: long_date(entry.first_day),
            day_six: ClockView::of(a.day_six.state(today)),
            board: ClockView::of(a.board.state(today)),
            offer: a.offer.as_ref().map_or_else(
                || "None".to_owned(),
                |o| format!("{} hours, {}", o.hours, o.provider),
            ),
            offer_hours: a
                .offer
                .as_ref()
                .map(|o| o.hours.to_string())
                .unwrap_or_default(),
            provider: a
                .offer
                .as_ref()
                .map(|o| o.provider.clone())
                .unwrap_or_default(),
            offer_kind: match &a.offer {
                Some(o) if o.full_time => "Full-time",
                Some(_) => "Part-time",
                None => "",
            },
            part_time_too_long: a.part_time_too_long,
            next_review: a.next_review.map(long_date).unwrap_or_default(),
            review_overdue: review_overdue(entry, today),
            status: status_words(&a.status),
            owner: entry
                .owner
                .as_ref()
                .map_or_else(|| "Unassigned".to_owned(), |o| o.name.clone()),
        }
    }

    /// The export's header, in the order of [`Row::cells`].
    pub const HEADERS: [&'static str; 15] = [
        "Child",
        "Date of birth",
        "Age",
        "Excluding school",
        "First day",
        "Day 6",
        "Board",
        "Hours offered a week",
        "Provider",
        "Full-time or part-time",
        "Part-time too long",
        "Next review",
        "Review overdue",
        "Status",
        "Owner",
    ];

    pub fn cells(&self) -> [String; 15] {
        let yes = |b: bool| if b { "Yes" } else { "No" }.to_owned();
        [
            self.child.clone(),
            self.date_of_birth.clone(),
            self.age.clone(),
            self.school.clone(),
            self.first_day.clone(),
            self.day_six.text(),
            self.board.text(),
            self.offer_hours.clone(),
            self.provider.clone(),
            self.offer_kind.to_owned(),
            yes(self.part_time_too_long),
            self.next_review.clone(),
            yes(self.review_overdue),
            self.status.clone(),
            self.owner.clone(),
        ]
    }
}

/// The figures above the table, in words.
#[derive(Debug, Clone)]
pub(crate) struct FiguresView {
    pub on_register: usize,
    /// "2 of 3 (67%)", or "None past day 6 yet".
    pub full_time_by_day_six: String,
    /// "5.5 school days", or "None yet".
    pub median_days: String,
    pub overdue_reviews: usize,
    pub part_time_too_long: usize,
}

impl FiguresView {
    pub fn of(f: &Figures) -> Self {
        Self {
            on_register: f.on_register,
            full_time_by_day_six: match f.share_full_time_by_day_six {
                Some(share) => format!(
                    "{}% ({} of {})",
                    (share * 100.0).round(),
                    f.full_time_by_day_six,
                    f.past_day_six
                ),
                None => "None past day 6 yet".to_owned(),
            },
            median_days: f
                .median_school_days_to_provision
                .map_or_else(|| "None yet".to_owned(), |d| format!("{d:.1} school days")),
            overdue_reviews: f.overdue_reviews,
            part_time_too_long: f.part_time_too_long,
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn outcome_words(outcome: PanelOutcome) -> &'static str {
    match outcome {
        PanelOutcome::Upheld => "the board's decision upheld",
        PanelOutcome::RecommendReconsider => "the board recommended to reconsider",
        PanelOutcome::Quashed => "the decision quashed, the board to reconsider",
    }
}

/// A recorded fact in words, for the entry's history.
pub(crate) fn fact_words(fact: &Fact) -> String {
    match fact {
        Fact::BoardDecision {
            on,
            reinstate,
            parents_told_on,
        } => format!(
            "Board decision on {}: reinstate {}; parents told {}",
            long_date(*on),
            yes_no(*reinstate),
            long_date(*parents_told_on)
        ),
        Fact::ReviewApplied { on } => {
            format!(
                "Parents applied for an independent review on {}",
                long_date(*on)
            )
        }
        Fact::ReviewHearing { on, outcome } => match outcome {
            Some(o) => format!(
                "Review panel sat on {}: {}",
                long_date(*on),
                outcome_words(*o)
            ),
            None => format!("Review panel hearing arranged for {}", long_date(*on)),
        },
        Fact::Offer {
            provider,
            hours,
            starts_on,
            placement,
        } => format!(
            "Offer: {hours} hours a week with {provider}, from {}{}",
            long_date(*starts_on),
            if placement.is_some() {
                " (the authority's placement, from its education feed)"
            } else {
                ""
            }
        ),
        Fact::Attended {
            week_starting,
            hours,
        } => format!(
            "Attended {hours} hours in the week starting {}",
            long_date(*week_starting)
        ),
        Fact::Review { on, notes, next_on } => format!(
            "Review on {}: {notes}{}",
            long_date(*on),
            next_on
                .map(|n| format!(" Next review {}.", long_date(n)))
                .unwrap_or_default()
        ),
        Fact::Closed { on, closure } => {
            format!("Closed on {}: {}", long_date(*on), closure_words(closure))
        }
        Fact::Reopened { on, why } => format!("Reopened on {}: {why}", long_date(*on)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn filters_are_checked_naming_the_field() {
        let ok = FilterParams::default().check().unwrap();
        assert_eq!(ok.status, StatusFilter::Open);
        let bad = |p: FilterParams| p.check().unwrap_err().field.unwrap();
        assert_eq!(
            bad(FilterParams {
                status: Some("shut".into()),
                ..Default::default()
            }),
            "status"
        );
        assert_eq!(
            bad(FilterParams {
                min_age: Some("ten".into()),
                ..Default::default()
            }),
            "min_age"
        );
        assert_eq!(
            bad(FilterParams {
                min_age: Some("12".into()),
                max_age: Some("10".into()),
                ..Default::default()
            }),
            "max_age"
        );
        assert_eq!(
            bad(FilterParams {
                school: Some("x".into()),
                ..Default::default()
            }),
            "school"
        );
    }

    #[test]
    fn ages_are_whole_years() {
        assert_eq!(age_on(date!(2010 - 03 - 01), date!(2026 - 02 - 28)), 15);
        assert_eq!(age_on(date!(2010 - 03 - 01), date!(2026 - 03 - 01)), 16);
    }

    #[test]
    fn clocks_read_in_words() {
        let due = date!(2023 - 01 - 24);
        let missed = ClockView::of(ClockState::Missed { due });
        assert_eq!(missed.text(), "Missed due 24 January 2023");
        let late = ClockView::of(ClockState::MetLate {
            due,
            on: date!(2023 - 01 - 30),
        });
        assert_eq!(
            late.text(),
            "Met late 30 January 2023 (due 24 January 2023)"
        );
    }
}
