//! School terms and school days. Rules count some time limits in school days (a school must
//! send a safeguarding file within 5 school days of a move) and some windows in terms (two
//! suspensions in one term), so the engine needs the calendar a council actually works to.
//!
//! `rules/calendar.toml` gives each term as month-day boundaries that repeat every year; a
//! council can list exact dates for years where they differ. School days are the weekdays
//! inside a term.

use serde::Deserialize;
use time::{Date, Duration, Month, Weekday};

/// A term's first and last day within a year, as `MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermSpec {
    pub name: String,
    pub starts: String,
    pub ends: String,
}

/// One term in one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Term {
    pub starts: Date,
    pub ends: Date,
}

/// The terms, as month-day boundaries, in calendar order within a year (spring, summer,
/// autumn for England), plus any exact terms that replace them for their year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pattern: Vec<((Month, u8), (Month, u8))>,
    exact: Vec<Term>,
}

impl Default for Calendar {
    /// England's usual pattern: spring 5 January to 31 March, summer 15 April to 22 July,
    /// autumn 3 September to 20 December.
    fn default() -> Self {
        Self {
            pattern: vec![
                ((Month::January, 5), (Month::March, 31)),
                ((Month::April, 15), (Month::July, 22)),
                ((Month::September, 3), (Month::December, 20)),
            ],
            exact: Vec::new(),
        }
    }
}

fn month_day(text: &str) -> Option<(Month, u8)> {
    let (m, d) = text.split_once('-')?;
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let day = d.parse::<u8>().ok()?;
    // Valid in a leap year at least (29 February is refused: it would vanish in other years).
    Date::from_calendar_date(2024, month, day).ok()?;
    (day <= 28 || month != Month::February).then_some((month, day))
}

impl Calendar {
    /// A calendar from repeating month-day terms and exact terms (`YYYY-MM-DD` pairs).
    /// Errors name the term and the value.
    pub fn new(pattern: &[TermSpec], exact: &[(Date, Date)]) -> Result<Self, String> {
        let mut parsed = Vec::new();
        for term in pattern {
            let starts = month_day(&term.starts).ok_or_else(|| {
                format!(
                    "term {:?}: starts {:?} is not a month-day like 09-03",
                    term.name, term.starts
                )
            })?;
            let ends = month_day(&term.ends).ok_or_else(|| {
                format!(
                    "term {:?}: ends {:?} is not a month-day like 12-20",
                    term.name, term.ends
                )
            })?;
            if ends <= starts {
                return Err(format!(
                    "term {:?} ends before it starts (terms may not span a new year)",
                    term.name
                ));
            }
            parsed.push((starts, ends));
        }
        parsed.sort();
        for pair in parsed.windows(2) {
            if let [a, b] = pair
                && b.0 <= a.1
            {
                return Err("two terms overlap".into());
            }
        }
        if parsed.is_empty() {
            return Err("the calendar needs at least one term".into());
        }
        let mut exact: Vec<Term> = exact
            .iter()
            .map(|&(starts, ends)| Term { starts, ends })
            .collect();
        if let Some(bad) = exact.iter().find(|t| t.ends < t.starts) {
            return Err(format!(
                "the exact term starting {} ends before it starts",
                bad.starts
            ));
        }
        exact.sort();
        Ok(Self {
            pattern: parsed,
            exact,
        })
    }

    /// The terms of `year`, in date order (exact terms where given, else the pattern).
    pub fn terms_of_year(&self, year: i32) -> Vec<Term> {
        let exact: Vec<Term> = self
            .exact
            .iter()
            .filter(|t| t.starts.year() == year)
            .copied()
            .collect();
        if !exact.is_empty() {
            return exact;
        }
        self.pattern
            .iter()
            .filter_map(|&((sm, sd), (em, ed))| {
                Some(Term {
                    starts: Date::from_calendar_date(year, sm, sd).ok()?,
                    ends: Date::from_calendar_date(year, em, ed).ok()?,
                })
            })
            .collect()
    }

    /// The term `day` falls in, if any (holidays are in none).
    pub fn term_of(&self, day: Date) -> Option<Term> {
        self.terms_of_year(day.year())
            .into_iter()
            .find(|t| t.starts <= day && day <= t.ends)
    }

    /// Whether `day` is a school day: a weekday in term.
    pub fn is_school_day(&self, day: Date) -> bool {
        !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) && self.term_of(day).is_some()
    }

    /// The day `n` school days after `day` (the next school day when `n` is 0 and `day` is
    /// not one). Gives up after ten years of no school days, which only a broken calendar has.
    pub fn add_school_days(&self, day: Date, n: u32) -> Date {
        if n == 0 && self.is_school_day(day) {
            return day;
        }
        let mut current = day;
        let mut left = n.max(1);
        for _ in 0..3_660 {
            let Some(next) = current.next_day() else {
                break;
            };
            current = next;
            if self.is_school_day(current) {
                left -= 1;
                if left == 0 {
                    return current;
                }
            }
        }
        day + Duration::days(i64::from(n))
    }

    /// How many school days fall after `from` and on or before `to` (0 when `to` is not after
    /// `from`): the inverse of [`Self::add_school_days`], for "took 7 school days" figures.
    pub fn school_days_between(&self, from: Date, to: Date) -> u32 {
        let mut count = 0;
        let mut current = from;
        while current < to {
            let Some(next) = current.next_day() else {
                break;
            };
            current = next;
            if self.is_school_day(current) {
                count += 1;
            }
        }
        count
    }

    /// The `n`th school day of a period that starts on `first` (counted as day 1 when it is a
    /// school day; otherwise the next school day is day 1). The statutory "sixth day of a
    /// permanent exclusion" is `nth_school_day(first_day, 6)`.
    pub fn nth_school_day(&self, first: Date, n: u32) -> Date {
        let day_one = self.add_school_days(first, 0);
        self.add_school_days(day_one, n.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn school_days_skip_weekends_and_holidays() {
        let calendar = Calendar::default();
        // Friday 13 December 2024 + 5 school days: 16-20 December, all in the autumn term.
        assert_eq!(
            calendar.add_school_days(date!(2024 - 12 - 13), 5),
            date!(2024 - 12 - 20)
        );
        // Thursday 19 December + 5: 20 December, then the spring term from Monday 6 January.
        assert_eq!(
            calendar.add_school_days(date!(2024 - 12 - 19), 5),
            date!(2025 - 01 - 09)
        );
        assert!(!calendar.is_school_day(date!(2025 - 08 - 04)));
        assert!(!calendar.is_school_day(date!(2025 - 03 - 08)));
    }

    #[test]
    fn school_days_between_counts_what_add_school_days_adds() {
        let calendar = Calendar::default();
        let friday = date!(2024 - 12 - 13);
        assert_eq!(
            calendar.school_days_between(friday, date!(2024 - 12 - 20)),
            5
        );
        assert_eq!(
            calendar.school_days_between(friday, date!(2025 - 01 - 09)),
            9
        );
        assert_eq!(calendar.school_days_between(friday, friday), 0);
        assert_eq!(
            calendar.school_days_between(friday, date!(2024 - 12 - 01)),
            0
        );
    }

    #[test]
    fn the_sixth_day_counts_the_first_day_as_one() {
        let calendar = Calendar::default();
        // Excluded from Monday 4 November 2024: day 6 is Monday 11 November.
        assert_eq!(
            calendar.nth_school_day(date!(2024 - 11 - 04), 6),
            date!(2024 - 11 - 11)
        );
        // From a Saturday, day 1 is the Monday.
        assert_eq!(
            calendar.nth_school_day(date!(2024 - 11 - 02), 6),
            date!(2024 - 11 - 11)
        );
        assert_eq!(
            calendar.nth_school_day(date!(2024 - 11 - 04), 1),
            date!(2024 - 11 - 04)
        );
    }

    #[test]
    fn terms_are_found_and_holidays_are_in_none() {
        let calendar = Calendar::default();
        let term = calendar.term_of(date!(2023 - 10 - 10)).unwrap();
        assert_eq!(
            (term.starts, term.ends),
            (date!(2023 - 09 - 03), date!(2023 - 12 - 20))
        );
        assert_eq!(calendar.term_of(date!(2023 - 08 - 10)), None);
    }

    #[test]
    fn bad_terms_are_refused_with_the_term_named() {
        let spec = |s: &str, e: &str| TermSpec {
            name: "autumn".into(),
            starts: s.into(),
            ends: e.into(),
        };
        assert!(
            Calendar::new(&[spec("09-31", "12-20")], &[])
                .unwrap_err()
                .contains("autumn")
        );
        assert!(
            Calendar::new(&[spec("12-20", "09-03")], &[])
                .unwrap_err()
                .contains("before")
        );
        assert!(Calendar::new(&[spec("02-29", "03-20")], &[]).is_err());
    }

    #[test]
    fn exact_terms_replace_the_pattern_for_their_year() {
        let calendar = Calendar::new(
            &[TermSpec {
                name: "autumn".into(),
                starts: "09-03".into(),
                ends: "12-20".into(),
            }],
            &[(date!(2025 - 09 - 08), date!(2025 - 12 - 19))],
        )
        .unwrap();
        assert_eq!(calendar.term_of(date!(2025 - 09 - 04)), None);
        assert!(calendar.term_of(date!(2024 - 09 - 04)).is_some());
    }
}
