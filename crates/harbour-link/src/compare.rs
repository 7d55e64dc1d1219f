//! The comparison levels each field of two records can reach. A Fellegi–Sunter model gives
//! each level of each field its own match weight, learnt from the data.
//!
//! The level functions work on [`Prepared`] records, normalised once; the string forms
//! (`given_name("Bill", "William")`) prepare their arguments first and exist for callers that
//! hold one pair, and for tests.

use crate::record::{Prepared, Record};
use time::Date;

/// The fields the model compares, in the order a [`Pattern`] holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    GivenName,
    FamilyName,
    DateOfBirth,
    Postcode,
    Sex,
    Upn,
    NhsNumber,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::GivenName,
        Field::FamilyName,
        Field::DateOfBirth,
        Field::Postcode,
        Field::Sex,
        Field::Upn,
        Field::NhsNumber,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::GivenName => "given name",
            Field::FamilyName => "family name",
            Field::DateOfBirth => "date of birth",
            Field::Postcode => "postcode",
            Field::Sex => "sex",
            Field::Upn => "UPN",
            Field::NhsNumber => "NHS number",
        }
    }

    /// The names of the field's levels, strongest agreement first.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Field::GivenName => &[
                "exact",
                "nickname",
                "very close spelling",
                "close spelling",
                "loosely alike",
                "initials or a part",
                "different",
            ],
            Field::FamilyName => &[
                "exact",
                "very close spelling",
                "close spelling",
                "shares a part",
                "different",
            ],
            Field::DateOfBirth => &[
                "exact",
                "day and month swapped",
                "one part different",
                "year one out",
                "different",
            ],
            Field::Postcode => &["exact", "same sector", "same district", "different"],
            Field::Sex | Field::Upn | Field::NhsNumber => &["agree", "disagree"],
        }
    }
}

/// The given-name level where one name could be the other's initials or a part of it.
pub const GIVEN_INITIALS: usize = 5;
/// The given-name level of two different names.
pub const GIVEN_DIFFERENT: usize = 6;

/// One pair's comparison: each field's level index packed three bits a field, with 7 for
/// "either side has no value" (no evidence either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Pattern(u32);

impl Pattern {
    const MISSING: u32 = 7;

    /// A pattern from each field's level, in [`Field::ALL`] order.
    pub fn from_levels(levels: [Option<usize>; 7]) -> Pattern {
        let mut bits = 0;
        for (field, level) in levels.iter().enumerate() {
            let code = level
                .and_then(|l| u32::try_from(l).ok())
                .filter(|l| *l < Self::MISSING)
                .unwrap_or(Self::MISSING);
            bits |= code << (3 * field);
        }
        Pattern(bits)
    }

    pub fn level(self, field: Field) -> Option<usize> {
        let code = (self.0 >> (3 * field.index())) & 7;
        (code != Self::MISSING).then_some(code as usize)
    }

    pub fn levels(self) -> [Option<usize>; 7] {
        Field::ALL.map(|f| self.level(f))
    }

    /// The raw bits, for storing.
    pub fn bits(self) -> u32 {
        self.0
    }
}

/// Compares two prepared records field by field.
pub fn compare(a: &Prepared, b: &Prepared) -> Pattern {
    let name_index = |level: NameLevel, order: &[NameLevel]| -> Option<usize> {
        order.iter().position(|l| *l == level)
    };
    let (given_level, family_level) = names_either_order(a, b);
    let given = name_index(
        given_level,
        &[
            NameLevel::Exact,
            NameLevel::Nickname,
            NameLevel::VeryClose,
            NameLevel::Close,
            NameLevel::Loose,
            NameLevel::Initials,
            NameLevel::Different,
        ],
    );
    let family = name_index(
        family_level,
        &[
            NameLevel::Exact,
            NameLevel::VeryClose,
            NameLevel::Close,
            NameLevel::SharesPart,
            NameLevel::Different,
        ],
    );
    let dob = match date_of_birth(a.date_of_birth, b.date_of_birth) {
        DateLevel::Exact => Some(0),
        DateLevel::DayMonthSwapped => Some(1),
        DateLevel::OnePartDifferent => Some(2),
        DateLevel::YearOffByOne => Some(3),
        DateLevel::Different => Some(4),
        DateLevel::Missing => None,
    };
    let postcode = match postcode_level(a, b) {
        PostcodeLevel::Exact => Some(0),
        PostcodeLevel::Sector => Some(1),
        PostcodeLevel::District => Some(2),
        PostcodeLevel::Different => Some(3),
        PostcodeLevel::Missing => None,
    };
    let sex = match (a.sex, b.sex) {
        (Some(x), Some(y)) => Some(usize::from(x != y)),
        _ => None,
    };
    let id = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => Some(usize::from(x != y)),
        _ => None,
    };
    Pattern::from_levels([
        given,
        family,
        dob,
        postcode,
        sex,
        id(&a.upn, &b.upn),
        id(&a.nhs_number, &b.nhs_number),
    ])
}

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
    /// Given names only: Jaro–Winkler similarity of at least [`LOOSELY_ALIKE`], short of
    /// close: two typos, a phonetic spelling ("Foebe", "Phoebe"), a letter lost to a scanner.
    Loose,
    /// Family names only: one part of a double-barrelled name matches the other name.
    SharesPart,
    /// Given names only: one could be the other's initials, or a part of it ("J" and
    /// "Jayden"; "JP", "J P" or "John P" and "John Paul"; "John" and "John Paul"). Neither the
    /// same name nor a different one: a person decides.
    Initials,
    Different,
    /// One side (or both) has no value: no evidence either way.
    Missing,
}

/// Jaro–Winkler similarity exactly as `strsim::jaro_winkler` computes it, but for ASCII
/// strings of up to 64 bytes (almost every normalised name) without allocating: the matched
/// positions are bits in two words. Linking a county compares names tens of millions of times.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if !(a.is_ascii() && b.is_ascii() && a.len() <= 64 && b.len() <= 64) {
        return strsim::jaro_winkler(a, b);
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let similarity = jaro_ascii(a, b);
    if similarity > 0.7 {
        let prefix = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        similarity + 0.1 * prefix as f64 * (1.0 - similarity)
    } else {
        similarity
    }
}

fn jaro_ascii(a: &[u8], b: &[u8]) -> f64 {
    let (a_len, b_len) = (a.len(), b.len());
    if a_len == 0 && b_len == 0 {
        return 1.0;
    }
    if a_len == 0 || b_len == 0 {
        return 0.0;
    }
    let range = (a_len.max(b_len) / 2).saturating_sub(1);
    let (mut a_flags, mut b_flags) = (0u64, 0u64);
    let mut matches = 0usize;
    for (i, x) in a.iter().enumerate() {
        let high = (i + range + 1).min(b_len);
        for j in i.saturating_sub(range)..high {
            if b_flags & (1 << j) == 0 && b.get(j) == Some(x) {
                a_flags |= 1 << i;
                b_flags |= 1 << j;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut k = 0;
    for (i, x) in a.iter().enumerate() {
        if a_flags & (1 << i) != 0 {
            while k < b_len && b_flags & (1 << k) == 0 {
                k += 1;
            }
            if b.get(k) != Some(x) {
                transpositions += 1;
            }
            k += 1;
        }
    }
    let m = matches as f64;
    ((m / a_len as f64) + (m / b_len as f64) + ((matches - transpositions / 2) as f64 / m)) / 3.0
}

/// [`jaro_winkler`] when it can reach `floor`, else `None` without working it out. Most pairs a
/// county run compares share no name, and each level asks only whether a similarity reaches
/// its threshold: an upper bound from the letters the names share and their common prefix
/// answers that in a few operations for most of them.
pub fn jaro_winkler_from(a: &str, b: &str, floor: f64) -> Option<f64> {
    // The margin keeps a bound that rounds a hair below the exact value from ruling it out.
    if a.is_ascii() && b.is_ascii() && jaro_winkler_bound(a.as_bytes(), b.as_bytes()) < floor - 1e-9
    {
        return None;
    }
    let similarity = jaro_winkler(a, b);
    (similarity >= floor).then_some(similarity)
}

/// An upper bound on the Jaro–Winkler similarity of two ASCII strings. Each of Jaro's matched
/// characters in one string occurs somewhere in the other, so the matches are at most the
/// characters of either string found in the other's letters (a 64-bit set, where two
/// characters may share a bit: that only loosens the bound); transpositions are taken as
/// none. Winkler's boost grows with Jaro's similarity, and the prefix is exact.
fn jaro_winkler_bound(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return if a.is_empty() && b.is_empty() {
            1.0
        } else {
            0.0
        };
    }
    let letters = |s: &[u8]| s.iter().fold(0u64, |set, c| set | 1 << (c & 63));
    let found_in = |s: &[u8], set: u64| s.iter().filter(|c| set & (1 << (*c & 63)) != 0).count();
    let matches = found_in(a, letters(b)).min(found_in(b, letters(a)));
    if matches == 0 {
        return 0.0;
    }
    let m = matches as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + 1.0) / 3.0;
    if jaro > 0.7 {
        let prefix = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        jaro + 0.1 * prefix as f64 * (1.0 - jaro)
    } else {
        jaro
    }
}

fn similarity_level(a: &str, b: &str) -> Option<NameLevel> {
    level_of_similarity(jaro_winkler_from(a, b, 0.88)?)
}

fn level_of_similarity(similarity: f64) -> Option<NameLevel> {
    if similarity >= 0.95 {
        Some(NameLevel::VeryClose)
    } else if similarity >= 0.88 {
        Some(NameLevel::Close)
    } else {
        None
    }
}

/// The given and family names' levels, or, when the names were written the other way round
/// (the given name in the family name's place and the reverse), the levels they reach
/// crosswise: a swap of two fields is one clerical slip, not two different names. Crosswise
/// agreement counts as a very close spelling at best, never exact: an exact level's weight
/// reads how rare the value is as a given (or family) name, and a family name written as a
/// given name is rare as one, which says nothing about these two records.
fn names_either_order(a: &Prepared, b: &Prepared) -> (NameLevel, NameLevel) {
    let straight = (given_level(a, b), family_level(a, b));
    if straight.0 != NameLevel::Different || a.given == a.family {
        return straight;
    }
    let close = |x: &str, y: &str| {
        if x.is_empty() || y.is_empty() {
            None
        } else if x == y {
            Some(NameLevel::VeryClose)
        } else {
            jaro_winkler_from(x, y, 0.95).map(|_| NameLevel::VeryClose)
        }
    };
    // The second comparison only when the first agrees: most pairs compared share no name.
    close(&a.given, &b.family)
        .and_then(|given| Some((given, close(&a.family, &b.given)?)))
        .unwrap_or(straight)
}

/// One given name in comparable form: the record's own, or one of its aliases.
#[derive(Clone, Copy)]
struct Given<'a> {
    whole: &'a str,
    groups: &'a [u16],
    parts: &'a [String],
}

fn given_names(p: &Prepared) -> impl Iterator<Item = Given<'_>> {
    std::iter::once(Given {
        whole: &p.given,
        groups: &p.given_groups,
        parts: &p.given_parts,
    })
    .chain(p.aliases.iter().map(|a| Given {
        whole: &a.given,
        groups: &a.given_groups,
        parts: &a.given_parts,
    }))
    .filter(|g| !g.whole.is_empty())
}

/// The best level any of `a`'s given names (its own or an alias) reaches with any of `b`'s:
/// an alias that matches counts as a name that matches.
fn given_level(a: &Prepared, b: &Prepared) -> NameLevel {
    let mut best = NameLevel::Missing;
    for x in given_names(a) {
        for y in given_names(b) {
            let level = one_given_level(x, y);
            if level == NameLevel::Exact {
                return level;
            }
            best = best.min(level);
        }
    }
    best
}

fn one_given_level(a: Given<'_>, b: Given<'_>) -> NameLevel {
    if a.whole == b.whole {
        return NameLevel::Exact;
    }
    if a.groups.iter().any(|g| b.groups.contains(g)) {
        return NameLevel::Nickname;
    }
    // Before spelling: "John P" is as close to "John Peter" as to "John Paul" by its letters,
    // and a person must say which.
    if initials_or_part(a, b) || initials_or_part(b, a) {
        return NameLevel::Initials;
    }
    match jaro_winkler_from(a.whole, b.whole, LOOSELY_ALIKE) {
        Some(similarity) => level_of_similarity(similarity).unwrap_or(NameLevel::Loose),
        None => NameLevel::Different,
    }
}

/// The Jaro–Winkler similarity from which two given names are loosely alike rather than
/// different. Measured on the twin-like pairs (different given names, the same birthday,
/// surname and address) that the other fields would link: from 0.80 to 0.88 they were one
/// child in 120 of 120 (childgen medium noise), 138 of 138 (high), 89 of 89 (pseudopeople)
/// and 17 of 17 (FEBRL 3); from 0.70 to 0.80, twins begin (6 of 48 on childgen medium, 1 of
/// 1 on `harbour synth`). Before this level such pairs counted as different names, which
/// is what twins look like.
pub const LOOSELY_ALIKE: f64 = 0.80;

/// Whether `short` could be written for `long`: its initials ("J" or "JP" for "John Paul"),
/// its parts word by word with some as initials ("John P", "J Paul"), or one of its words
/// ("John" or "Paul" for "John Paul").
fn initials_or_part(short: Given<'_>, long: Given<'_>) -> bool {
    let first = |w: &str| w.chars().next();
    // One short word that is the first letters of the long name's first words (compared
    // letter by letter: this runs for most pairs compared, and a String of initials each
    // time was an allocation per pair).
    if let [word] = short.parts {
        let letters = word.chars().count();
        let mut initials = long.parts.iter().filter_map(|w| first(w));
        if (1..=3).contains(&letters)
            && letters <= long.parts.len().max(1)
            && word.chars().all(|c| initials.next() == Some(c))
        {
            return true;
        }
        if long.parts.len() > 1 && long.parts.iter().any(|w| w == word) {
            return true;
        }
    }
    // Word by word: each the same word, or an initial of it; the long name may go on.
    if short.parts.len() > 1 && short.parts.len() <= long.parts.len() {
        return short
            .parts
            .iter()
            .zip(long.parts)
            .all(|(s, l)| s == l || (s.chars().count() == 1 && first(s) == first(l)));
    }
    false
}

/// The family names' level, or the better level an alias's family name reaches.
fn family_level(a: &Prepared, b: &Prepared) -> NameLevel {
    let own = own_family_level(a, b);
    let aliased = |x: &Prepared, y: &Prepared| {
        x.aliases
            .iter()
            .filter(|alias| !alias.family.is_empty() && !y.family.is_empty())
            .map(|alias| {
                if alias.family == y.family {
                    NameLevel::Exact
                } else {
                    similarity_level(&alias.family, &y.family).unwrap_or(NameLevel::Different)
                }
            })
            .min()
    };
    [Some(own), aliased(a, b), aliased(b, a)]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(own)
}

fn own_family_level(a: &Prepared, b: &Prepared) -> NameLevel {
    if a.family.is_empty() || b.family.is_empty() {
        return NameLevel::Missing;
    }
    if a.family == b.family {
        return NameLevel::Exact;
    }
    if let Some(level) = similarity_level(&a.family, &b.family) {
        return level;
    }
    // A single name counts as its own only part.
    let parts = |p: &'_ Prepared| -> Vec<String> {
        if p.family_parts.is_empty() {
            vec![p.family.clone()]
        } else {
            p.family_parts.clone()
        }
    };
    if !a.family_parts.is_empty() || !b.family_parts.is_empty() {
        let theirs = parts(b);
        if parts(a).iter().any(|p| theirs.contains(p)) {
            return NameLevel::SharesPart;
        }
    }
    NameLevel::Different
}

fn named(given: &str, family: &str) -> Prepared {
    Prepared::new(&Record {
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        ..Record::default()
    })
}

pub fn given_name(a: &str, b: &str) -> NameLevel {
    given_level(&named(a, ""), &named(b, ""))
}

pub fn family_name(a: &str, b: &str) -> NameLevel {
    own_family_level(&named("", a), &named("", b))
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

fn postcode_level(a: &Prepared, b: &Prepared) -> PostcodeLevel {
    if a.postcode.is_empty() || b.postcode.is_empty() {
        return PostcodeLevel::Missing;
    }
    if a.postcode == b.postcode {
        return PostcodeLevel::Exact;
    }
    if a.postcode_sector().is_some() && a.postcode_sector() == b.postcode_sector() {
        return PostcodeLevel::Sector;
    }
    if a.postcode_district().is_some() && a.postcode_district() == b.postcode_district() {
        return PostcodeLevel::District;
    }
    PostcodeLevel::Different
}

pub fn postcode(a: &str, b: &str) -> PostcodeLevel {
    let prepare = |p: &str| {
        Prepared::new(&Record {
            postcode: p.to_owned(),
            ..Record::default()
        })
    };
    postcode_level(&prepare(a), &prepare(b))
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
        for (short, long) in [
            ("J", "Jayden"),
            ("J", "John Paul"),
            ("JP", "John Paul"),
            ("J.P.", "John-Paul"),
            ("J P", "John Paul"),
            ("John P", "John Paul"),
            ("Paul", "John Paul"),
        ] {
            assert_eq!(
                given_name(short, long),
                NameLevel::Initials,
                "{short} {long}"
            );
            assert_eq!(
                given_name(long, short),
                NameLevel::Initials,
                "{long} {short}"
            );
        }
        assert_eq!(given_name("John-Paul", "John Paul"), NameLevel::Exact);
        assert_eq!(given_name("K", "Jayden"), NameLevel::Different);
        assert_eq!(
            given_name("Eva", "Ava"),
            NameLevel::Different,
            "a name, not initials"
        );
        assert_eq!(
            given_name("'-", "Amelia"),
            NameLevel::Missing,
            "punctuation alone is no name"
        );
    }

    #[test]
    fn an_alias_that_matches_counts_as_a_name_that_matches() {
        let known_as = |given: &str, family: &str, alias: &str| {
            Prepared::new(&Record {
                given_name: given.into(),
                family_name: family.into(),
                aliases: vec![alias.into()],
                ..Record::default()
            })
        };
        let school = named("Jayden", "Mercer");
        let police = known_as("Kai", "Mercer", "Jayden");
        let p = compare(&police, &school);
        assert_eq!(p.level(Field::GivenName), Some(0), "the alias is his name");
        assert!(
            !crate::score::held_apart(p, f64::MIN),
            "and no reason to hold him apart"
        );
        let married = known_as("Kai", "Okafor", "Jay Mercer");
        let p = compare(&married, &named("Jay", "Mercer"));
        assert_eq!(
            p.level(Field::FamilyName),
            Some(0),
            "a family name in the alias"
        );
        let p = compare(&police, &named("Harvey", "Mercer"));
        assert_eq!(
            p.level(Field::GivenName),
            Some(GIVEN_DIFFERENT),
            "neither his name nor his alias"
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
    fn patterns_pack_every_field_and_keep_missing_apart() {
        let a = Prepared::new(&Record {
            given_name: "William".into(),
            family_name: "Doyle-Khan".into(),
            date_of_birth: Some(date!(2009 - 05 - 04)),
            sex: Some("M".into()),
            postcode: "BN7 2LD".into(),
            upn: Some("R201100018042".into()),
            nhs_number: None,
            aliases: Vec::new(),
        });
        let b = Prepared::new(&Record {
            given_name: "Bill".into(),
            family_name: "Khan".into(),
            date_of_birth: Some(date!(2009 - 04 - 05)),
            sex: Some("F".into()),
            postcode: "BN7 4QS".into(),
            upn: Some("P207000016049".into()),
            nhs_number: Some("9434765919".into()),
            aliases: Vec::new(),
        });
        let p = compare(&a, &b);
        assert_eq!(
            p.levels(),
            [Some(1), Some(3), Some(1), Some(2), Some(1), Some(1), None]
        );
        assert_eq!(Pattern::from_levels(p.levels()), p);
        assert_eq!(compare(&a, &a).levels()[..6], [Some(0); 6]);
        for field in Field::ALL {
            assert!(
                field.levels().len() <= 7,
                "{} fits in three bits",
                field.label()
            );
        }
    }

    #[test]
    fn the_similarity_bound_never_rules_out_a_name_that_reaches_the_floor() {
        // Over a small alphabet most pairs share letters, so the bound is tested where it is
        // tight; over a large one most pairs share few, where it rules out most.
        let mut state = 11u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as usize
        };
        let mut ruled_out = 0;
        for alphabet in [&b"aeinorst"[..], &b"abcdefghijklmnopqrstuvwxyz-"[..]] {
            for _ in 0..40_000 {
                let (la, lb) = (next() % 12, next() % 12);
                let mut word = |n: usize| -> String {
                    (0..n)
                        .map(|_| char::from(alphabet[next() % alphabet.len()]))
                        .collect()
                };
                let (a, b) = (word(la), word(lb));
                let exact = jaro_winkler(&a, &b);
                for floor in [LOOSELY_ALIKE, 0.88, 0.95] {
                    let from = jaro_winkler_from(&a, &b, floor);
                    assert_eq!(
                        from,
                        (exact >= floor).then_some(exact),
                        "{a:?} {b:?} {floor}"
                    );
                    if jaro_winkler_bound(a.as_bytes(), b.as_bytes()) < floor {
                        ruled_out += 1;
                    }
                }
            }
        }
        assert!(ruled_out > 40_000, "the bound rules out {ruled_out}");
        assert_eq!(
            jaro_winkler_from("zoë", "zoe", 0.8),
            Some(jaro_winkler("zoë", "zoe"))
        );
        assert_eq!(jaro_winkler_from("", "", 0.95), Some(1.0));
        assert_eq!(jaro_winkler_from("smith", "jones", 0.88), None);
    }

    #[test]
    fn the_fast_jaro_winkler_agrees_with_strsim_exactly() {
        // Short strings over a small alphabet, so matches, transpositions and shared prefixes
        // all happen often; plus the cases the fast path hands back to strsim.
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as usize
        };
        let alphabet = b"aeinorst";
        for _ in 0..50_000 {
            let (la, lb) = (next() % 13, next() % 13);
            let a: String = (0..la)
                .map(|_| char::from(alphabet[next() % alphabet.len()]))
                .collect();
            let b: String = (0..lb)
                .map(|_| char::from(alphabet[next() % alphabet.len()]))
                .collect();
            assert_eq!(
                jaro_winkler(&a, &b),
                strsim::jaro_winkler(&a, &b),
                "{a:?} {b:?}"
            );
        }
        let long = "a".repeat(70) + "b";
        for (a, b) in [
            ("zoë", "zoe"),
            (long.as_str(), "ab"),
            ("", ""),
            ("jayden", ""),
        ] {
            assert_eq!(
                jaro_winkler(a, b),
                strsim::jaro_winkler(a, b),
                "{a:?} {b:?}"
            );
        }
        assert_eq!(
            jaro_winkler("martha", "marhta"),
            strsim::jaro_winkler("martha", "marhta")
        );
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
