//! School days by the county's own term dates (`life::terms`): weekdays inside a term. The
//! generator times its placements, panel decisions and missing-education spells in school
//! days with these, and counts the known answers in `registers_truth.json` with them. This is
//! deliberately its own small arithmetic, not `harbour-rules`' calendar: the truth file is an
//! answer key for the registers, so it must not share their code. `calendar.toml` in the
//! county's folder gives the same terms in the form the rules and registers read.

use super::life::terms;
use time::{Date, Duration, Weekday};

/// The county's terms as month-day pairs for `calendar.toml`: (name, starts, ends), in the
/// order of a calendar year.
pub fn calendar_toml() -> String {
    // The terms of one academic year, read back as month-days: every year has the same.
    let [autumn, spring, summer] = terms(2000);
    let md = |d: Date| format!("{:02}-{:02}", u8::from(d.month()), d.day());
    let mut text = String::from(
        "# The synthetic county's school terms (the same every year): use this as the rules\n\
         # directory's calendar.toml so the registers count school days as the county does.\n",
    );
    for (name, (starts, ends)) in [("spring", spring), ("summer", summer), ("autumn", autumn)] {
        text.push_str(&format!(
            "\n[[term]]\nname = \"{name}\"\nstarts = \"{}\"\nends = \"{}\"\n",
            md(starts),
            md(ends)
        ));
    }
    text
}

/// Whether `day` is a school day in the county.
pub fn is_school_day(day: Date) -> bool {
    if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return false;
    }
    // A day belongs to the academic year starting that September or the one before.
    [day.year() - 1, day.year()]
        .into_iter()
        .flat_map(terms)
        .any(|(starts, ends)| starts <= day && day <= ends)
}

/// `day` if it is a school day, else the next one.
pub fn on_or_after(day: Date) -> Date {
    let mut current = day;
    // A summer holiday is the longest gap: well under a hundred days.
    for _ in 0..120 {
        if is_school_day(current) {
            return current;
        }
        current += Duration::days(1);
    }
    current
}

/// The school day `n` school days after `day` (`day` itself is not counted).
pub fn add(day: Date, n: u32) -> Date {
    let mut current = day;
    let mut left = n;
    while left > 0 {
        current += Duration::days(1);
        if is_school_day(current) {
            left -= 1;
        }
    }
    current
}

/// The `n`th school day of a period starting on `first` (day 1 is `first` if it is a school
/// day, else the next school day): the sixth day of an exclusion is `nth(first, 6)`.
pub fn nth(first: Date, n: u32) -> Date {
    add(on_or_after(first), n.saturating_sub(1))
}

/// School days after `from` up to and including `to` (0 when `to` is not after `from`).
pub fn between(from: Date, to: Date) -> u32 {
    let mut count = 0;
    let mut current = from;
    while current < to {
        current += Duration::days(1);
        if is_school_day(current) {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn school_days_are_weekdays_in_the_county_terms() {
        // Friday 18 July 2025 ends the summer term; the autumn term starts Thursday 4 September.
        assert!(is_school_day(date!(2025 - 07 - 18)));
        assert!(!is_school_day(date!(2025 - 07 - 21)));
        assert!(!is_school_day(date!(2025 - 09 - 06)));
        assert_eq!(on_or_after(date!(2025 - 07 - 19)), date!(2025 - 09 - 04));
        assert_eq!(add(date!(2025 - 07 - 17), 2), date!(2025 - 09 - 04));
        assert_eq!(nth(date!(2025 - 07 - 19), 1), date!(2025 - 09 - 04));
        assert_eq!(nth(date!(2025 - 09 - 04), 6), date!(2025 - 09 - 11));
        assert_eq!(between(date!(2025 - 09 - 04), date!(2025 - 09 - 11)), 5);
        assert_eq!(between(date!(2025 - 09 - 11), date!(2025 - 09 - 04)), 0);
    }

    #[test]
    fn the_calendar_file_names_the_same_terms() {
        let text = calendar_toml();
        assert!(text.contains("starts = \"09-04\"") && text.contains("ends = \"07-18\""));
        assert_eq!(text.matches("[[term]]").count(), 3);
    }
}
