//! Hours of education a week, as officers record them (25, 27.5): whole tenths, so sums and
//! comparisons with the full-time threshold are exact and the value stores as an integer.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Hours a week, in tenths of an hour.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Hours(u16);

/// More than anyone is educated in a week: refused as a typing error.
const MAX_TENTHS: u16 = 600;

impl Hours {
    pub const fn from_tenths(tenths: u16) -> Self {
        Self(tenths)
    }

    pub const fn whole(hours: u16) -> Self {
        Self(hours * 10)
    }

    pub fn tenths(self) -> u16 {
        self.0
    }

    /// Whether the hours could be a week's education (60 or fewer): what [`Hours::parse`]
    /// holds typed hours to, for hours that arrive already in tenths (the API, a feed).
    pub fn within_a_week(self) -> bool {
        self.0 <= MAX_TENTHS
    }

    /// Reads "25", "27.5" or "27.50"; at most one decimal place that is not zero, and at most
    /// 60 hours. The error says what was wrong, for the form's error summary.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err("Enter hours as a number, like 25 or 27.5");
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err("Enter hours as a number, like 25 or 27.5");
        }
        let mut digits = fraction.bytes();
        let tenth = digits.next().map_or(0, |b| u16::from(b - b'0'));
        if digits.any(|b| b != b'0') {
            return Err("Enter hours to one decimal place at most, like 27.5");
        }
        let whole: u16 = whole
            .parse()
            .map_err(|_| "Enter hours of 60 or fewer a week")?;
        let tenths = whole
            .checked_mul(10)
            .and_then(|t| t.checked_add(tenth))
            .filter(|t| *t <= MAX_TENTHS)
            .ok_or("Enter hours of 60 or fewer a week")?;
        Ok(Self(tenths))
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 % 10 {
            0 => write!(f, "{}", self.0 / 10),
            tenth => write!(f, "{}.{tenth}", self.0 / 10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_read_as_officers_write_them() {
        assert_eq!(Hours::parse("25"), Ok(Hours::whole(25)));
        assert_eq!(Hours::parse(" 27.5 "), Ok(Hours::from_tenths(275)));
        assert_eq!(Hours::parse("27.50"), Ok(Hours::from_tenths(275)));
        assert_eq!(Hours::from_tenths(275).to_string(), "27.5");
        assert_eq!(Hours::whole(25).to_string(), "25");
        assert!(Hours::whole(60).within_a_week() && !Hours::from_tenths(601).within_a_week());
        for bad in ["", "x", "-1", "2.55", "61", "1e3", ".5", "99999999"] {
            assert!(Hours::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
