//! The comparison levels each field of two records can reach. A Fellegi–Sunter model gives
//! each level of each field its own match weight, learnt from the data.

use crate::{nicknames, normalise};
use time::Date;

/// How two names compare, best level first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameLevel {
    Exact,
    /// Given names only: a short form or spelling of the same name (Bill, William).
    Nickname,
    /// Jaro–Winkler similarity of at least 0.95 (a typo).
    VeryClose,
    /// Jaro–Winkler similarity of at least 0.88.
    Close,
    /// Family names only: one part of a double-barrelled name matches the other name.
    SharesPart,
    Different,
    /// One side (or both) has no value: no evidence either way.
    Missing,
}

fn similarity_level(a: &str, b: &str) -> Option<NameLevel> {
    let similarity = strsim::jaro_winkler(a, b);
    if similarity >= 0.95 {
        Some(NameLevel::VeryClose)
    } else if similarity >= 0.88 {
        Some(NameLevel::Close)
    } else {
        None
    }
}

pub fn given_name(a: &str, b: &str) -> NameLevel {
    let (na, nb) = (normalise::name(a), normalise::name(b));
    if na.is_empty() || nb.is_empty() {
        return NameLevel::Missing;
    }
    if na == nb {
        return NameLevel::Exact;
    }
    if nicknames::same_name(a, b) {
        return NameLevel::Nickname;
    }
    similarity_level(&na, &nb).unwrap_or(NameLevel::Different)
}

pub fn family_name(a: &str, b: &str) -> NameLevel {
    let (na, nb) = (normalise::name(a), normalise::name(b));
    if na.is_empty() || nb.is_empty() {
        return NameLevel::Missing;
    }
    if na == nb {
        return NameLevel::Exact;
    }
    if let Some(level) = similarity_level(&na, &nb) {
        return level;
    }
    let (pa, pb) = (normalise::parts(a), normalise::parts(b));
    if (pa.len() > 1 || pb.len() > 1) && pa.iter().any(|p| pb.contains(p)) {
        return NameLevel::SharesPart;
    }
    NameLevel::Different
}

/// How two dates of birth compare, best level first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DateLevel {
    Exact,
    /// Day and month swapped (a date keyed in the American order).
    DayMonthSwapped,
    /// Two of year, month and day agree.
    OnePartDifferent,
    /// Month and day agree and the years are one apart.
    YearOffByOne,
    Different,
    Missing,
}

pub fn date_of_birth(a: Option<Date>, b: Option<Date>) -> DateLevel {
    let (Some(a), Some(b)) = (a, b) else {
        return DateLevel::Missing;
    };
    if a == b {
        return DateLevel::Exact;
    }
    let (am, bm) = (u8::from(a.month()), u8::from(b.month()));
    if a.year() == b.year() && am == b.day() && a.day() == bm {
        return DateLevel::DayMonthSwapped;
    }
    let agreeing = [a.year() == b.year(), am == bm, a.day() == b.day()]
        .iter()
        .filter(|x| **x)
        .count();
    if agreeing == 2 {
        if am == bm && a.day() == b.day() && (a.year() - b.year()).abs() == 1 {
            return DateLevel::YearOffByOne;
        }
        return DateLevel::OnePartDifferent;
    }
    DateLevel::Different
}

/// How two postcodes compare, best level first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PostcodeLevel {
    Exact,
    /// Same sector: outward code and the inward digit (BN7 2).
    Sector,
    /// Same district: the outward code (BN7).
    District,
    Different,
    Missing,
}

pub fn postcode(a: &str, b: &str) -> PostcodeLevel {
    let clean = |p: &str| {
        p.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase()
    };
    let (a, b) = (clean(a), clean(b));
    if a.is_empty() || b.is_empty() {
        return PostcodeLevel::Missing;
    }
    if a == b {
        return PostcodeLevel::Exact;
    }
    let split = |p: &str| -> (String, String) {
        let compact: String = p.chars().filter(|c| !c.is_whitespace()).collect();
        let cut = compact.len().saturating_sub(3);
        (
            compact.get(..cut).unwrap_or("").to_owned(),
            compact.get(cut..cut + 1).unwrap_or("").to_owned(),
        )
    };
    let ((ao, ad), (bo, bd)) = (split(&a), split(&b));
    if ao == bo && !ao.is_empty() {
        if ad == bd {
            return PostcodeLevel::Sector;
        }
        return PostcodeLevel::District;
    }
    PostcodeLevel::Different
}

/// How two verified identifiers (UPN, NHS number) compare: agreement is strong evidence for a
/// match, conflict strong evidence against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentifierLevel {
    Agree,
    Conflict,
    Missing,
}

pub fn identifier(a: Option<&str>, b: Option<&str>) -> IdentifierLevel {
    match (
        a.map(str::trim).filter(|v| !v.is_empty()),
        b.map(str::trim).filter(|v| !v.is_empty()),
    ) {
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => IdentifierLevel::Agree,
        (Some(_), Some(_)) => IdentifierLevel::Conflict,
        _ => IdentifierLevel::Missing,
    }
}

/// How two recorded sexes compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SexLevel {
    Agree,
    Disagree,
    Missing,
}

pub fn sex(a: Option<&str>, b: Option<&str>) -> SexLevel {
    let known = |s: Option<&str>| {
        s.map(str::trim)
            .map(str::to_uppercase)
            .filter(|s| s == "M" || s == "F")
    };
    match (known(a), known(b)) {
        (Some(a), Some(b)) if a == b => SexLevel::Agree,
        (Some(_), Some(_)) => SexLevel::Disagree,
        _ => SexLevel::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn given_names() {
        assert_eq!(given_name("Jayden", "JAYDEN"), NameLevel::Exact);
        assert_eq!(given_name("Jayden", "Jaden"), NameLevel::Nickname);
        assert_eq!(given_name("William", "Bill"), NameLevel::Nickname);
        assert_eq!(given_name("Jessica", "Jesica"), NameLevel::VeryClose);
        assert_eq!(given_name("Jessica", "Jesicca"), NameLevel::Close);
        assert_eq!(given_name("Amelia", "Amalia"), NameLevel::Close);
        assert_eq!(given_name("Amelia", "Oliver"), NameLevel::Different);
        assert_eq!(given_name("Zoë", "Zoe"), NameLevel::Exact, "accents fold");
        assert_eq!(given_name("", "Amelia"), NameLevel::Missing);
        assert_eq!(
            given_name("'-", "Amelia"),
            NameLevel::Missing,
            "punctuation alone is no name"
        );
    }

    #[test]
    fn family_names() {
        assert_eq!(family_name("O'Brien", "OBrien"), NameLevel::Exact);
        assert_eq!(family_name("McDonald", "MacDonald"), NameLevel::Exact);
        assert_eq!(family_name("Brookes", "Brooks"), NameLevel::VeryClose);
        assert_eq!(
            family_name("Doyle-Khan", "Doyle"),
            NameLevel::Close,
            "a long shared prefix scores as close"
        );
        assert_eq!(
            family_name("Smith-Oyelaran", "Oyelaran"),
            NameLevel::SharesPart
        );
        assert_eq!(family_name("Hart", "Mercer"), NameLevel::Different);
        assert_eq!(family_name("Hart", ""), NameLevel::Missing);
    }

    #[test]
    fn dates_of_birth() {
        let d = date!(2009 - 05 - 04);
        assert_eq!(date_of_birth(Some(d), Some(d)), DateLevel::Exact);
        assert_eq!(
            date_of_birth(Some(d), Some(date!(2009 - 04 - 05))),
            DateLevel::DayMonthSwapped
        );
        assert_eq!(
            date_of_birth(Some(d), Some(date!(2010 - 05 - 04))),
            DateLevel::YearOffByOne
        );
        assert_eq!(
            date_of_birth(Some(d), Some(date!(2009 - 05 - 14))),
            DateLevel::OnePartDifferent
        );
        assert_eq!(
            date_of_birth(Some(d), Some(date!(2013 - 05 - 04))),
            DateLevel::OnePartDifferent
        );
        assert_eq!(
            date_of_birth(Some(d), Some(date!(2011 - 10 - 30))),
            DateLevel::Different
        );
        assert_eq!(date_of_birth(None, Some(d)), DateLevel::Missing);
    }

    #[test]
    fn postcodes() {
        assert_eq!(postcode("BN7 2LD", "bn7  2ld"), PostcodeLevel::Exact);
        assert_eq!(postcode("BN7 2LD", "BN7 2QS"), PostcodeLevel::Sector);
        assert_eq!(postcode("BN7 2LD", "BN7 4QS"), PostcodeLevel::District);
        assert_eq!(
            postcode("BN7 2LD", "BN70 2LD"),
            PostcodeLevel::Different,
            "BN7 and BN70 are different districts"
        );
        assert_eq!(postcode("", "BN7 2LD"), PostcodeLevel::Missing);
    }

    #[test]
    fn identifiers_and_sex() {
        assert_eq!(
            identifier(Some("R201100018042"), Some("r201100018042")),
            IdentifierLevel::Agree
        );
        assert_eq!(
            identifier(Some("R201100018042"), Some("P207000016049")),
            IdentifierLevel::Conflict
        );
        assert_eq!(
            identifier(None, Some("P207000016049")),
            IdentifierLevel::Missing
        );
        assert_eq!(
            identifier(Some(" "), Some("P207000016049")),
            IdentifierLevel::Missing
        );
        assert_eq!(sex(Some("m"), Some("M")), SexLevel::Agree);
        assert_eq!(sex(Some("M"), Some("F")), SexLevel::Disagree);
        assert_eq!(sex(Some("U"), Some("F")), SexLevel::Missing);
    }
}
