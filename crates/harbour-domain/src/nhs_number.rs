//! The NHS number: ten digits, the last a modulus-11 check digit.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NhsNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhsNumberError {
    #[error(
        "an NHS number has 10 digits (spaces allowed); this has {0} characters that are not spaces"
    )]
    Length(usize),
    #[error("an NHS number is digits only; found {0:?}")]
    NotDigit(char),
    #[error("this NHS number can never be valid (its check digit would be 10)")]
    NeverValid,
    #[error("the check digit should be {expected}, not {found}")]
    CheckDigit { expected: u32, found: u32 },
}

impl NhsNumber {
    /// Parses an NHS number written with or without spaces or hyphens (e.g. `943 476 5919`).
    pub fn parse(input: &str) -> Result<Self, NhsNumberError> {
        let compact: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if compact.chars().count() != 10 {
            return Err(NhsNumberError::Length(compact.chars().count()));
        }
        let mut digits = [0u32; 10];
        for (slot, c) in digits.iter_mut().zip(compact.chars()) {
            *slot = c.to_digit(10).ok_or(NhsNumberError::NotDigit(c))?;
        }
        let sum: u32 = digits
            .iter()
            .take(9)
            .zip((2..=10).rev())
            .map(|(d, w)| d * w)
            .sum();
        let expected = match 11 - sum % 11 {
            11 => 0,
            10 => return Err(NhsNumberError::NeverValid),
            c => c,
        };
        let found = digits.last().copied().unwrap_or(0);
        if expected != found {
            return Err(NhsNumberError::CheckDigit { expected, found });
        }
        Ok(Self(compact))
    }

    /// Completes a 9-digit body with its check digit, or `None` for the one body in eleven
    /// that no check digit can make valid. Used to make synthetic NHS numbers.
    pub fn from_body(body: &str) -> Option<Self> {
        (0..10).find_map(|digit| Self::parse(&format!("{body}{digit}")).ok())
    }

    /// The ten digits with no spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NhsNumber {
    type Error = NhsNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<NhsNumber> for String {
    fn from(value: NhsNumber) -> Self {
        value.0
    }
}

/// Shown the way the NHS writes it: `943 476 5919`.
impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, rest) = self.0.split_at(3.min(self.0.len()));
        let (b, c) = rest.split_at(3.min(rest.len()));
        write!(f, "{a} {b} {c}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_worked_example_in_any_spacing() {
        for written in ["9434765919", "943 476 5919", "943-476-5919"] {
            let n = NhsNumber::parse(written).unwrap();
            assert_eq!(n.as_str(), "9434765919");
            assert_eq!(n.to_string(), "943 476 5919");
        }
    }

    #[test]
    fn rejects_bad_numbers_with_the_reason() {
        assert_eq!(
            NhsNumber::parse("9434765918"),
            Err(NhsNumberError::CheckDigit {
                expected: 9,
                found: 8
            })
        );
        assert_eq!(
            NhsNumber::parse("943476591"),
            Err(NhsNumberError::Length(9))
        );
        assert_eq!(
            NhsNumber::parse("94347659l9"),
            Err(NhsNumberError::NotDigit('l'))
        );
        // 1000000010: sum = 10 + 2 = 12 → 11 - 1 = 10, which no number may carry.
        assert_eq!(
            NhsNumber::parse("0000000060"),
            Err(NhsNumberError::NeverValid)
        );
    }

    #[test]
    fn from_body_adds_the_check_digit() {
        assert_eq!(
            NhsNumber::from_body("943476591").unwrap().as_str(),
            "9434765919"
        );
        assert!(NhsNumber::from_body("000000006").is_none());
    }

    #[test]
    fn exactly_one_check_digit_fits_each_body_that_can_be_valid() {
        for body in [123456789u32, 401023213, 999999999] {
            let body = format!("{body:09}");
            let valid = (0..10)
                .filter(|d| NhsNumber::parse(&format!("{body}{d}")).is_ok())
                .count();
            assert!(valid <= 1, "{body} has {valid} valid check digits");
        }
    }
}
