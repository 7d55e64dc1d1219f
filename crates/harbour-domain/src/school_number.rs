//! A school's DfE number: its local authority's three-digit code and its four-digit
//! establishment number (LA/ESTAB). A Common Transfer File names every school in a pupil's
//! history this way, so it is how Harbour knows which of its schools a stint describes.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchoolNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a school's DfE number: give the LA code and establishment number, like 999/4125"
)]
pub struct SchoolNumberError(pub String);

impl SchoolNumber {
    /// Parses `999/4125`, `999 4125` or `9994125` into `999/4125`.
    pub fn parse(input: &str) -> Result<Self, SchoolNumberError> {
        let refuse = || SchoolNumberError(input.trim().to_owned());
        let digits = |text: &str, n: usize| {
            let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            (text.len() == n && text.bytes().all(|b| b.is_ascii_digit())).then_some(text)
        };
        // With a separator, each side must be whole: 99/41255 is not 994/1255.
        let (la, estab) = match input.split_once(['/', '-']) {
            Some((la, estab)) => (digits(la, 3), digits(estab, 4)),
            None => {
                let all = digits(input, 7).ok_or_else(refuse)?;
                let (la, estab) = all.split_at(3);
                (Some(la.to_owned()), Some(estab.to_owned()))
            }
        };
        match (la, estab) {
            (Some(la), Some(estab)) => Ok(Self(format!("{la}/{estab}"))),
            _ => Err(refuse()),
        }
    }

    /// The number from a transfer file's `LEA` and `Estab` elements.
    pub fn from_parts(la: &str, estab: &str) -> Result<Self, SchoolNumberError> {
        Self::parse(&format!("{}/{}", la.trim(), estab.trim()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SchoolNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_any_usual_way_it_reads_as_la_slash_estab() {
        for text in ["999/4125", "9994125", " 999 4125 ", "999-4125"] {
            assert_eq!(
                SchoolNumber::parse(text).map(|n| n.to_string()),
                Ok("999/4125".to_owned()),
                "{text}"
            );
        }
        assert_eq!(
            SchoolNumber::from_parts("999", "4125").map(|n| n.to_string()),
            Ok("999/4125".to_owned())
        );
        for bad in [
            "",
            "999/412",
            "99/41255",
            "XXX/XXXX",
            "999/41256",
            "9994125a",
        ] {
            assert!(SchoolNumber::parse(bad).is_err(), "{bad}");
        }
    }
}
