//! Reading single values, each failure a plain sentence naming the rule.

use time::{Date, Month};

/// The longest text Harbour keeps in a field; longer values are refused, not cut.
pub const MAX_TEXT: usize = 500;
pub const MAX_NAME: usize = 100;
pub const MAX_KEY: usize = 64;

/// Reads a date written `YYYY-MM-DD` or `DD/MM/YYYY`.
pub fn date(text: &str) -> Result<Date, String> {
    let text = text.trim();
    let parts: Option<(i32, u8, u8)> =
        if let [y, m, d] = text.split('-').collect::<Vec<_>>().as_slice() {
            (y.len() == 4)
                .then(|| Some((y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)))
                .flatten()
        } else if let [d, m, y] = text.split('/').collect::<Vec<_>>().as_slice() {
            (y.len() == 4)
                .then(|| Some((y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)))
                .flatten()
        } else {
            None
        };
    let Some((year, month, day)) = parts else {
        return Err(format!(
            "{text:?} is not a date; write it as YYYY-MM-DD (or DD/MM/YYYY)"
        ));
    };
    let month = Month::try_from(month).map_err(|_| format!("{text:?} has no month {month}"))?;
    Date::from_calendar_date(year, month, day)
        .map_err(|_| format!("{day} {month} {year} is not a date"))
}

/// A text value within `max` characters; `None` when empty.
pub fn text(value: &str, max: usize) -> Result<Option<String>, String> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(format!(
            "is longer than {max} characters ({} given)",
            value.chars().count()
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err("contains control characters".into());
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

pub fn whole_number(value: &str) -> Result<u32, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("{:?} is not a whole number", value.trim()))
}

/// Hours a week as people write them: whole or with tenths (`15`, `27.5`), from 0 to 60,
/// as tenths of an hour.
pub fn hours_per_week(value: &str) -> Result<u16, String> {
    let text = value.trim();
    let bad = || format!("{text:?} is not a number of hours (whole or with tenths, like 27.5)");
    let (whole, tenths) = match text.split_once('.') {
        None => (text, "0"),
        Some((whole, tenths)) if tenths.len() == 1 => (whole, tenths),
        Some(_) => return Err(bad()),
    };
    let whole: u16 = whole.parse().map_err(|_| bad())?;
    let tenths: u16 = tenths.parse().map_err(|_| bad())?;
    if whole > 60 || (whole == 60 && tenths > 0) {
        return Err(format!("{text} is more than 60 hours a week"));
    }
    Ok(whole * 10 + tenths)
}

/// A national curriculum year group as schools' systems write it (the CBDS codes of the CTF's
/// `NCyearActual`): `R` (or `0`) for reception, `1` to `14`, nursery `N1` and `N2`, and `X`
/// for a child not following the national curriculum. Stored as a number rules can compare
/// (`year_group >= 10`): reception is 0, N1 and N2 are -2 and -1; `X` has no number (`None`).
pub fn curriculum_year(value: &str) -> Result<Option<i64>, String> {
    let value = value.trim().to_uppercase();
    let year = match value.as_str() {
        "X" => return Ok(None),
        "R" => 0,
        "N1" => -2,
        "N2" => -1,
        number => number
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=14).contains(n))
            .ok_or_else(|| {
                format!("{value:?} is not a national curriculum year: use R, 1 to 14, N1, N2 or X")
            })?,
    };
    Ok(Some(year))
}

/// How a curriculum year reads on a timeline.
pub fn curriculum_year_words(year: i64) -> String {
    match year {
        -2 => "Nursery (N1)".into(),
        -1 => "Nursery (N2)".into(),
        0 => "Reception".into(),
        n => format!("Year {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curriculum_years_in_every_spelling_and_others_refused() {
        assert_eq!(curriculum_year(" r ").unwrap(), Some(0));
        assert_eq!(curriculum_year("n1").unwrap(), Some(-2));
        assert_eq!(curriculum_year("11").unwrap(), Some(11));
        assert_eq!(curriculum_year("X").unwrap(), None);
        assert!(curriculum_year("15").unwrap_err().contains("R, 1 to 14"));
        assert!(curriculum_year("Year 10").is_err());
        assert_eq!(curriculum_year_words(10), "Year 10");
    }

    #[test]
    fn dates_in_either_order_and_impossible_ones_refused() {
        assert_eq!(date("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert_eq!(date("29/02/2024").unwrap().to_string(), "2024-02-29");
        assert_eq!(
            date("31/02/2024").unwrap_err(),
            "31 February 2024 is not a date"
        );
        assert!(date("2024-13-01").unwrap_err().contains("no month 13"));
        assert!(date("yesterday").unwrap_err().contains("YYYY-MM-DD"));
        assert!(date("24-01-01").is_err());
    }

    #[test]
    fn text_limits_and_control_characters() {
        assert_eq!(text("  Ann ", 10).unwrap().as_deref(), Some("Ann"));
        assert_eq!(text("", 10).unwrap(), None);
        assert!(
            text(&"x".repeat(11), 10)
                .unwrap_err()
                .contains("longer than 10")
        );
        assert!(text("a\u{0}b", 10).is_err());
        // A formula-looking value is kept as text: it is never evaluated here, and is escaped
        // on any export.
        assert_eq!(
            text("=HYPERLINK(\"x\")", 100).unwrap().as_deref(),
            Some("=HYPERLINK(\"x\")")
        );
    }
}
