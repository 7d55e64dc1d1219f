//! The DfE Unique Pupil Number: a check letter and twelve characters.
//!
//! Permanent UPNs are `Annnnnnnnnnnn`; temporary ones end in a letter (`AnnnnnnnnnnnA`). The
//! check letter is the weighted sum of characters 2–13 (weights 2…13) modulo 23, mapped
//! through an alphabet that leaves out I, O and S. A temporary UPN's final letter counts as
//! its position in that same alphabet. An invalid final letter is rejected rather than
//! counted as 0, the safer of the two readings in use.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The 23 letters used for check and temporary letters, in value order (A=0 … Z=22).
const LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Upn(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpnError {
    #[error("a UPN has 13 characters; this one has {0}")]
    Length(usize),
    #[error("a UPN starts with a letter other than I, O or S; character {position} is {found:?}")]
    BadLetter { position: usize, found: char },
    #[error("characters 2 to 12 of a UPN are digits; character {position} is {found:?}")]
    NotDigit { position: usize, found: char },
    #[error("the check letter should be {expected}, not {found}")]
    CheckLetter { expected: char, found: char },
}

fn letter_value(byte: u8) -> Option<u32> {
    LETTERS
        .iter()
        .position(|&l| l == byte)
        .and_then(|p| u32::try_from(p).ok())
}

impl Upn {
    /// Parses a UPN, ignoring surrounding spaces and letter case.
    pub fn parse(input: &str) -> Result<Self, UpnError> {
        let upn = input.trim().to_ascii_uppercase();
        let bytes = upn.as_bytes();
        if upn.chars().count() != 13 || bytes.len() != 13 {
            return Err(UpnError::Length(upn.chars().count()));
        }
        let mut sum = 0u32;
        for (index, &byte) in bytes.iter().enumerate().skip(1) {
            let position = index + 1;
            let weight = u32::try_from(position).unwrap_or(0);
            let value = if byte.is_ascii_digit() {
                u32::from(byte - b'0')
            } else if position == 13 {
                letter_value(byte).ok_or(UpnError::BadLetter {
                    position,
                    found: char::from(byte),
                })?
            } else {
                return Err(UpnError::NotDigit {
                    position,
                    found: char::from(byte),
                });
            };
            sum += weight * value;
        }
        let first = bytes.first().copied().unwrap_or(b'?');
        if letter_value(first).is_none() {
            return Err(UpnError::BadLetter {
                position: 1,
                found: char::from(first),
            });
        }
        let expected = LETTERS
            .get(usize::try_from(sum % 23).unwrap_or(0))
            .copied()
            .map(char::from)
            .unwrap_or('?');
        if char::from(first) != expected {
            return Err(UpnError::CheckLetter {
                expected,
                found: char::from(first),
            });
        }
        Ok(Self(upn))
    }

    /// Completes a 12-character body (LA, establishment, year, serial) with its check
    /// letter. Used to make synthetic UPNs that pass the real check.
    pub fn from_body(body: &str) -> Result<Self, UpnError> {
        for letter in LETTERS {
            let candidate = format!("{}{body}", char::from(*letter));
            match Self::parse(&candidate) {
                Ok(upn) => return Ok(upn),
                Err(UpnError::CheckLetter { .. }) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(UpnError::Length(body.chars().count() + 1))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a temporary UPN, to be replaced once the real one is known.
    pub fn is_temporary(&self) -> bool {
        self.0
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_alphabetic)
    }
}

impl TryFrom<String> for Upn {
    type Error = UpnError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Upn> for String {
    fn from(value: Upn) -> Self {
        value.0
    }
}

impl fmt::Display for Upn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_published_worked_examples() {
        let permanent = Upn::parse("R201100018042").unwrap();
        assert!(!permanent.is_temporary());
        let temporary = Upn::parse("t20110001804v").unwrap();
        assert_eq!(temporary.as_str(), "T20110001804V");
        assert!(temporary.is_temporary());
    }

    #[test]
    fn rejects_a_wrong_check_letter_and_names_the_right_one() {
        // A vendor page once called Q207000016049 valid; the sum is 266, so the letter is P.
        assert_eq!(
            Upn::parse("Q207000016049"),
            Err(UpnError::CheckLetter {
                expected: 'P',
                found: 'Q'
            })
        );
        assert!(Upn::parse("P207000016049").is_ok());
    }

    #[test]
    fn rejects_malformed_values() {
        assert_eq!(Upn::parse("R20110001804"), Err(UpnError::Length(12)));
        assert!(matches!(
            Upn::parse("R2011000180X2"),
            Err(UpnError::NotDigit { position: 12, .. })
        ));
        assert!(matches!(
            Upn::parse("S201100018042"),
            Err(UpnError::BadLetter { position: 1, .. })
        ));
        assert!(matches!(
            Upn::parse("T20110001804S"),
            Err(UpnError::BadLetter { position: 13, .. })
        ));
        assert!(matches!(
            Upn::parse("R2011000180é2"),
            Err(UpnError::Length(_))
        ));
    }

    #[test]
    fn from_body_adds_the_check_letter() {
        assert_eq!(
            Upn::from_body("201100018042").unwrap().as_str(),
            "R201100018042"
        );
        assert_eq!(
            Upn::from_body("20110001804V").unwrap().as_str(),
            "T20110001804V"
        );
        assert!(Upn::from_body("2011000180").is_err());
    }

    #[test]
    fn every_single_digit_change_is_caught() {
        let good = "R201100018042";
        for index in 1..13 {
            for digit in b'0'..=b'9' {
                let mut bytes = good.as_bytes().to_vec();
                if bytes[index] == digit {
                    continue;
                }
                bytes[index] = digit;
                let changed = String::from_utf8(bytes).unwrap();
                assert!(Upn::parse(&changed).is_err(), "{changed} accepted");
            }
        }
    }
}
