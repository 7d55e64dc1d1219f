//! UK postcodes, checked against the BS 7666 / Royal Mail format rules.
//!
//! A postcode that passes is well formed; whether it exists needs the ONS directory, which
//! Harbour does not ship.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Postcode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a UK postcode: {rule}")]
pub struct PostcodeError {
    pub value: String,
    pub rule: &'static str,
}

impl Postcode {
    /// Parses a postcode in any case and spacing (`bn7 1aa`, `BN71AA`) into `BN7 1AA`.
    pub fn parse(input: &str) -> Result<Self, PostcodeError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let fail = |rule| PostcodeError {
            value: input.trim().to_owned(),
            rule,
        };
        if compact == "GIR0AA" {
            return Ok(Self("GIR 0AA".to_owned()));
        }
        if !compact.is_ascii() || !(5..=7).contains(&compact.len()) {
            return Err(fail("it should have 5 to 7 letters and digits"));
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        check_inward(inward.as_bytes()).map_err(fail)?;
        check_outward(outward.as_bytes()).map_err(fail)?;
        Ok(Self(format!("{outward} {inward}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code (`BN7`), used as the postcode district.
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or_default()
    }
}

fn check_inward(inward: &[u8]) -> Result<(), &'static str> {
    match inward {
        [digit, a, b]
            if digit.is_ascii_digit()
                && [a, b]
                    .iter()
                    .all(|l| l.is_ascii_uppercase() && !b"CIKMOV".contains(l)) =>
        {
            Ok(())
        }
        _ => Err(
            "the last three characters should be a digit and two letters (not C, I, K, M, O or V)",
        ),
    }
}

fn check_outward(outward: &[u8]) -> Result<(), &'static str> {
    let area_first = |c: &u8| c.is_ascii_uppercase() && !b"QVX".contains(c);
    let area_second = |c: &u8| c.is_ascii_uppercase() && !b"IJZ".contains(c);
    let d = |c: &u8| c.is_ascii_digit();
    let ok = match outward {
        [a, n] => area_first(a) && d(n),
        [a, x, y] => {
            area_first(a)
                && ((d(x) && d(y))
                    || (area_second(x) && d(y))
                    || (d(x) && b"ABCDEFGHJKSTUW".contains(y)))
        }
        [a, b, n, y] => {
            area_first(a) && area_second(b) && d(n) && (d(y) || b"ABEHMNPRVWXY".contains(y))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err("the first part is not a valid outward code (e.g. BN7, SW1A, M1)")
    }
}

impl TryFrom<String> for Postcode {
    type Error = PostcodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Postcode> for String {
    fn from(value: Postcode) -> Self {
        value.0
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_format_and_normalises_spacing() {
        for (input, expected) in [
            ("m1 1aa", "M1 1AA"),
            ("M60 1NW", "M60 1NW"),
            ("CR2 6XH", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
            ("W1A 1HQ", "W1A 1HQ"),
            ("EC1A1BB", "EC1A 1BB"),
            ("bn7  2ld", "BN7 2LD"),
            ("gir 0aa", "GIR 0AA"),
        ] {
            let postcode = Postcode::parse(input).unwrap();
            assert_eq!(postcode.as_str(), expected);
        }
        assert_eq!(Postcode::parse("EC1A 1BB").unwrap().outward(), "EC1A");
    }

    #[test]
    fn rejects_broken_postcodes_with_a_rule() {
        for bad in [
            "", "BN7", "QN7 1AA", "BZ7 1AA", "BN7 1AC", "BN7 AAA", "BN7 1AAA", "W1I 1HQ",
            "EC1C 1BB", "BN7 1ÄA",
        ] {
            let error = Postcode::parse(bad).unwrap_err();
            assert!(!error.rule.is_empty(), "{bad}");
        }
    }
}
