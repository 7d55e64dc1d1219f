//! A person as one source describes them, and the same reduced once to the forms the
//! comparisons and blocking rules read, so nothing is normalised again for every pair.

use crate::{nicknames, normalise};
use serde::{Deserialize, Serialize};
use time::Date;

/// A source record's identity, as the agency wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
    pub sex: Option<String>,
    pub postcode: String,
    pub upn: Option<String>,
    pub nhs_number: Option<String>,
    /// Other names the person uses (the police feed's `alias`): a given name ("Jay"), or a
    /// given and family name ("Jay Smith").
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Recorded sex, where it is one of the two the feeds carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// A record in comparable form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    /// Normalised given name ("" when none).
    pub given: String,
    /// The nickname groups the given name belongs to (Bill and William share one).
    pub given_groups: Vec<u16>,
    /// Normalised family name ("" when none).
    pub family: String,
    /// The parts of a double-barrelled family name, normalised.
    pub family_parts: Vec<String>,
    pub date_of_birth: Option<Date>,
    pub sex: Option<Sex>,
    /// Postcode in capitals without spaces ("" when none or too short to be one: fewer than
    /// five characters, or four digits, as other countries write theirs).
    pub postcode: String,
    /// Upper-cased UPN, if any.
    pub upn: Option<String>,
    /// NHS number digits, if any.
    pub nhs_number: Option<String>,
    /// The parts of the given name, normalised: "John-Paul" → ["john", "paul"], "J P" →
    /// ["j", "p"]; compared when the names as a whole differ, for initials and middle names.
    pub given_parts: Vec<String>,
    /// Whether the UPN and the NHS number pass their check digits: records sharing a verified
    /// identifier are one child, and no rule parts them.
    pub verified_upn: bool,
    pub verified_nhs: bool,
    /// Other names the person uses, each in the same comparable form.
    pub aliases: Vec<Alias>,
}

/// Another name a person uses, normalised like the record's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alias {
    pub given: String,
    pub given_groups: Vec<u16>,
    pub given_parts: Vec<String>,
    /// "" when the alias is a given name only.
    pub family: String,
}

impl Alias {
    /// "Jay" is a given name; "Jay Smith" a given name and a family name (the last word).
    fn new(text: &str) -> Option<Alias> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (given_words, family) = match words.split_last() {
            Some((last, rest)) if !rest.is_empty() => (rest.to_vec(), normalise::name(last)),
            _ => (words, String::new()),
        };
        let given_text = given_words.join(" ");
        let given = normalise::name(&given_text);
        (!given.is_empty()).then(|| Alias {
            given_groups: nicknames::groups(&given),
            given_parts: normalise::parts(&given_text),
            given,
            family,
        })
    }
}

impl Prepared {
    pub fn new(record: &Record) -> Self {
        let nonempty = |s: String| (!s.is_empty()).then_some(s);
        let given = normalise::name(&record.given_name);
        let family_parts = normalise::parts(&record.family_name);
        let postcode: String = record
            .postcode
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        let upn: Option<String> = record
            .upn
            .as_deref()
            .map(|u| u.trim().to_uppercase())
            .and_then(nonempty);
        let nhs_number: Option<String> = record
            .nhs_number
            .as_deref()
            .map(|n| n.chars().filter(char::is_ascii_digit).collect())
            .and_then(nonempty);
        Prepared {
            verified_upn: upn
                .as_deref()
                .is_some_and(|u| harbour_domain::Upn::parse(u).is_ok()),
            verified_nhs: nhs_number
                .as_deref()
                .is_some_and(|n| harbour_domain::NhsNumber::parse(n).is_ok()),
            given_parts: normalise::parts(&record.given_name),
            aliases: record
                .aliases
                .iter()
                .filter_map(|a| Alias::new(a))
                .collect(),
            given_groups: nicknames::groups(&given),
            given,
            family: normalise::name(&record.family_name),
            family_parts: if family_parts.len() > 1 {
                family_parts
            } else {
                Vec::new()
            },
            date_of_birth: record.date_of_birth,
            sex: match record.sex.as_deref().map(str::trim) {
                Some("M" | "m") => Some(Sex::Male),
                Some("F" | "f") => Some(Sex::Female),
                _ => None,
            },
            postcode: if postcode.len() >= 5
                || (postcode.len() == 4 && postcode.bytes().all(|b| b.is_ascii_digit()))
            {
                postcode
            } else {
                String::new()
            },
            upn,
            nhs_number,
        }
    }

    /// Whether the postcode ends as a UK one does (an inward code: a digit and two letters),
    /// so that it has a district and a sector.
    fn uk_shaped(&self) -> bool {
        let inward = self
            .postcode
            .len()
            .checked_sub(3)
            .and_then(|at| self.postcode.as_bytes().get(at..));
        matches!(inward, Some([d, a, b]) if d.is_ascii_digit() && a.is_ascii_alphabetic() && b.is_ascii_alphabetic())
    }

    /// The outward code (district) of a UK postcode: "BN72LD" → "BN7".
    pub fn postcode_district(&self) -> Option<&str> {
        if !self.uk_shaped() {
            return None;
        }
        self.postcode
            .get(..self.postcode.len().checked_sub(3)?)
            .filter(|d| !d.is_empty())
    }

    /// The sector of a UK postcode: outward code and the inward digit, "BN72LD" → "BN72".
    pub fn postcode_sector(&self) -> Option<&str> {
        if !self.uk_shaped() {
            return None;
        }
        self.postcode
            .get(..self.postcode.len().checked_sub(2)?)
            .filter(|d| d.len() > 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preparing_folds_names_and_cleans_identifiers() {
        let p = Prepared::new(&Record {
            given_name: "Bill".into(),
            family_name: "Smith-O'Neil".into(),
            date_of_birth: None,
            sex: Some(" f".into()),
            postcode: "bn7 2ld".into(),
            upn: Some(" r201100018042 ".into()),
            nhs_number: Some("943 476 5919".into()),
            aliases: vec!["Jay Smith".into(), " ".into(), "Bo".into()],
        });
        assert!(p.verified_upn && p.verified_nhs, "both check digits pass");
        assert_eq!(p.aliases.len(), 2, "a blank alias is no name");
        assert_eq!(
            (p.aliases[0].given.as_str(), p.aliases[0].family.as_str()),
            ("jay", "smith")
        );
        assert_eq!(
            (p.aliases[1].given.as_str(), p.aliases[1].family.as_str()),
            ("bo", "")
        );
        assert_eq!(p.given_parts, ["bill"]);
        let unchecked = Prepared::new(&Record {
            upn: Some("R201100018043".into()),
            nhs_number: Some("9434765910".into()),
            ..Record::default()
        });
        assert!(!unchecked.verified_upn && !unchecked.verified_nhs);
        assert_eq!(p.given, "bill");
        assert!(!p.given_groups.is_empty(), "Bill is a short form");
        assert_eq!(p.family, "smithoneil");
        assert_eq!(p.family_parts, ["smith", "oneil"]);
        assert_eq!(p.sex, Some(Sex::Female));
        assert_eq!(p.postcode, "BN72LD");
        assert_eq!(p.postcode_district(), Some("BN7"));
        assert_eq!(p.postcode_sector(), Some("BN72"));
        assert_eq!(p.upn.as_deref(), Some("R201100018042"));
        assert_eq!(p.nhs_number.as_deref(), Some("9434765919"));

        // A postcode from another country (Australia's four digits, a US ZIP) is still a
        // postcode to compare whole, but has no UK district or sector.
        let abroad = |code: &str| {
            Prepared::new(&Record {
                postcode: code.into(),
                ..Record::default()
            })
        };
        assert_eq!(abroad("2615").postcode, "2615");
        assert_eq!(abroad("2615").postcode_district(), None);
        assert_eq!(abroad("90210").postcode_sector(), None);
        assert_eq!(
            abroad("BN7").postcode,
            "",
            "a district alone is not a postcode"
        );
        assert_eq!(abroad("W1A 1AA").postcode_district(), Some("W1A"));

        let empty = Prepared::new(&Record::default());
        assert_eq!(empty, Prepared::default());
        assert_eq!(empty.postcode_district(), None);
    }
}
