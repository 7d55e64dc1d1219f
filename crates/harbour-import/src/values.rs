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

#[cfg(test)]
mod tests {
    use super::*;

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
