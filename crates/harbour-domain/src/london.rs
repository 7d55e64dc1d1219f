//! Europe/London time: councils work to it, so "today" for a statutory clock and the times
//! shown to staff are London's, whatever the server's zone.

use time::macros::offset;
use time::{Date, Month, OffsetDateTime, UtcOffset};

/// An instant in Europe/London time, with the zone's abbreviation.
///
/// No time-zone database crate is needed for this one zone: the UK rule is short and fixed
/// by law (the Summer Time Order 2002): British Summer Time (UTC+1) from 01:00 UTC on the
/// last Sunday of March to 01:00 UTC on the last Sunday of October, Greenwich Mean Time
/// (UTC+0) otherwise. Should Parliament change it, this function and its test change.
pub fn london(at: OffsetDateTime) -> (OffsetDateTime, &'static str) {
    let utc = at.to_offset(UtcOffset::UTC);
    let change = |month| {
        last_sunday(utc.year(), month).map(|day| day.with_hms(1, 0, 0).map(|t| t.assume_utc()))
    };
    match (change(Month::March), change(Month::October)) {
        (Some(Ok(starts)), Some(Ok(ends))) if utc >= starts && utc < ends => {
            (utc.to_offset(offset!(+1)), "BST")
        }
        _ => (utc, "GMT"),
    }
}

/// The last Sunday of a 31-day month (March and October are).
fn last_sunday(year: i32, month: Month) -> Option<Date> {
    let last = Date::from_calendar_date(year, month, 31).ok()?;
    let back = last.weekday().number_days_from_sunday();
    last.checked_sub(time::Duration::days(i64::from(back)))
}

/// The day it is in London at `at`: the "today" of every statutory clock.
pub fn london_today(at: OffsetDateTime) -> Date {
    london(at).0.date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn london_is_bst_in_summer_and_gmt_in_winter() {
        assert_eq!(london(datetime!(2026-11-20 09:00 UTC)).1, "GMT");
        assert_eq!(london(datetime!(2026-07-20 09:00 UTC)).1, "BST");
        // 23:30 UTC on 20 July is already the 21st in London.
        assert_eq!(
            london_today(datetime!(2026-07-20 23:30 UTC)),
            date!(2026 - 07 - 21)
        );
        assert_eq!(
            london_today(datetime!(2026-12-20 23:30 UTC)),
            date!(2026 - 12 - 20)
        );
        // The change: 01:00 UTC on the last Sunday of March (29 March 2026).
        assert_eq!(london(datetime!(2026-03-29 00:59 UTC)).1, "GMT");
        assert_eq!(london(datetime!(2026-03-29 01:00 UTC)).1, "BST");
    }
}
