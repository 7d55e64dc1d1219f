//! Blocking: which pairs of records are worth comparing at all.
//!
//! Comparing every record with every other grows with the square of the records. Each rule
//! below groups records that share a cheap key; only pairs within a group are compared, and
//! the rules' pairs are unioned, so a typo in one field is caught by another rule. A pair is
//! produced by the first rule that groups it and skipped by the later ones, so the union
//! needs no set of every pair seen. Blocks over a size limit are skipped, so the pairs can
//! never exceed rules x records x limit / 2: the work grows linearly with the records.
//!
//! Keys are 64-bit FNV-1a hashes, which never change between versions or machines, so they
//! can be stored and looked up again when new records arrive.

use crate::record::Prepared;
use rayon::prelude::*;
use std::ops::Range;
use time::Date;

/// A rule: records with the same key form a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    Upn,
    NhsNumber,
    /// Date of birth and the family name's first letter (catches nicknames and given-name typos).
    DateOfBirthAndFamilyInitial,
    /// Date of birth and the given name's first letter (catches changed or shortened surnames).
    DateOfBirthAndGivenInitial,
    /// Both names and the year of birth (a wrong day or month).
    NamesAndBirthYear,
    /// Both names and the postcode district (a wrong or missing date of birth).
    NamesAndDistrict,
    /// Family name, year of birth, and day and month in either order (a nickname with the day
    /// and month swapped).
    FamilyNameAndBirthDateEitherWay,
    /// Postcode and family name (a nickname with no date of birth).
    PostcodeAndFamilyName,
}

impl Rule {
    pub fn label(self) -> &'static str {
        match self {
            Rule::Upn => "upn",
            Rule::NhsNumber => "nhs-number",
            Rule::DateOfBirthAndFamilyInitial => "dob-family-initial",
            Rule::DateOfBirthAndGivenInitial => "dob-given-initial",
            Rule::NamesAndBirthYear => "names-birth-year",
            Rule::NamesAndDistrict => "names-district",
            Rule::FamilyNameAndBirthDateEitherWay => "family-dob-either-way",
            Rule::PostcodeAndFamilyName => "postcode-family",
        }
    }
}

/// The rules Harbour uses, in the order they claim pairs. None is a single common value
/// (a date of birth alone, a surname alone), whose blocks would grow with the county and make
/// the work grow with its square.
pub const RULES: [Rule; 8] = [
    Rule::Upn,
    Rule::NhsNumber,
    Rule::DateOfBirthAndFamilyInitial,
    Rule::DateOfBirthAndGivenInitial,
    Rule::NamesAndBirthYear,
    Rule::NamesAndDistrict,
    Rule::FamilyNameAndBirthDateEitherWay,
    Rule::PostcodeAndFamilyName,
];

/// One record's key under each of [`RULES`]; 0 where the rule does not apply (a field is
/// missing).
pub type Keys = [u64; RULES.len()];

/// The stable 64-bit hash keys are made of (never 0, which means "no key").
pub fn hash(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.iter().chain(std::iter::once(&0x1f)) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    // 0 means "no key"; a real key that hashes to 0 moves to 1.
    hash.max(1)
}

/// A date as `YYYY-MM-DD` bytes, the same text `Date`'s `Display` gives for years 0 to 9999,
/// without formatting (a county's million records each need several).
fn iso(date: Date) -> Option<[u8; 10]> {
    let year = u16::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let (month, day) = (u8::from(date.month()), date.day());
    let digit = |n: u16| b'0' + (n % 10) as u8;
    Some([
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(u16::from(month) / 10),
        digit(u16::from(month)),
        b'-',
        digit(u16::from(day) / 10),
        digit(u16::from(day)),
    ])
}

/// The first character of a non-empty name, as bytes.
fn initial(name: &str) -> Option<&[u8]> {
    let first = name.chars().next()?;
    name.as_bytes().get(..first.len_utf8())
}

fn nonempty(text: &str) -> Option<&[u8]> {
    (!text.is_empty()).then_some(text.as_bytes())
}

fn key(rule: Rule, r: &Prepared) -> Option<u64> {
    let tag = [rule as u8];
    let dob = r.date_of_birth.and_then(iso);
    let year = || dob.as_ref().and_then(|d| d.get(..4));
    Some(match rule {
        Rule::Upn => hash(&[&tag, r.upn.as_deref()?.as_bytes()]),
        Rule::NhsNumber => hash(&[&tag, r.nhs_number.as_deref()?.as_bytes()]),
        Rule::DateOfBirthAndFamilyInitial => hash(&[&tag, dob.as_ref()?, initial(&r.family)?]),
        Rule::DateOfBirthAndGivenInitial => hash(&[&tag, dob.as_ref()?, initial(&r.given)?]),
        Rule::NamesAndBirthYear => {
            hash(&[&tag, nonempty(&r.family)?, nonempty(&r.given)?, year()?])
        }
        Rule::NamesAndDistrict => hash(&[
            &tag,
            nonempty(&r.family)?,
            nonempty(&r.given)?,
            r.postcode_district()?.as_bytes(),
        ]),
        Rule::FamilyNameAndBirthDateEitherWay => {
            let date = r.date_of_birth?;
            let (day, month) = (date.day(), u8::from(date.month()));
            let either = format!("{}-{}-{}", date.year(), day.min(month), day.max(month));
            hash(&[&tag, nonempty(&r.family)?, either.as_bytes()])
        }
        Rule::PostcodeAndFamilyName => hash(&[&tag, nonempty(&r.postcode)?, nonempty(&r.family)?]),
    })
}

/// A record's keys under every rule.
pub fn keys(record: &Prepared) -> Keys {
    RULES.map(|rule| key(rule, record).unwrap_or(0))
}

/// Whether a rule earlier than `rule_index` already groups these two records, in which case
/// that rule produced (or skipped) the pair.
pub fn claimed_earlier(a: &[u64], b: &[u64], rule_index: usize) -> bool {
    a.iter()
        .zip(b.iter())
        .take(rule_index)
        .any(|(x, y)| *x != 0 && x == y)
}

/// The blocks of all rules: for each, the rule's index and the record indices in it.
#[derive(Debug)]
pub struct Blocks {
    /// Per rule, (key, record) sorted by key.
    sorted: Vec<Vec<(u64, u32)>>,
    /// (rule index, range into that rule's sorted list) for each block of 2..=max members.
    blocks: Vec<(usize, Range<usize>)>,
    /// Blocks skipped for being over the limit.
    pub skipped: usize,
}

impl Blocks {
    /// Blocks for records' keys under N rules (the linkage rules, or a training rule alone).
    pub fn new<const N: usize>(keys: &[[u64; N]], max_block: usize) -> Blocks {
        let mut sorted = Vec::with_capacity(N);
        let mut blocks = Vec::new();
        let mut skipped = 0;
        for rule in 0..N {
            let mut entries: Vec<(u64, u32)> = keys
                .iter()
                .zip(0u32..)
                .filter_map(|(k, i)| k.get(rule).filter(|k| **k != 0).map(|k| (*k, i)))
                .collect();
            entries.par_sort_unstable();
            let mut start = 0;
            while start < entries.len() {
                let key = entries.get(start).map(|e| e.0);
                let mut end = start + 1;
                while end < entries.len() && entries.get(end).map(|e| e.0) == key {
                    end += 1;
                }
                let size = end - start;
                if size > max_block {
                    skipped += 1;
                } else if size > 1 {
                    blocks.push((rule, start..end));
                }
                start = end;
            }
            sorted.push(entries);
        }
        Blocks {
            sorted,
            blocks,
            skipped,
        }
    }

    /// Every candidate pair, each once, as (i, j) with i < j, visited in parallel with the
    /// index of the rule that produced it; `visit` maps a pair to whatever the caller keeps.
    pub fn par_map<T, F, const N: usize>(&self, keys: &[[u64; N]], visit: F) -> Vec<T>
    where
        T: Send,
        F: Fn(usize, u32, u32) -> Option<T> + Sync,
    {
        self.blocks
            .par_iter()
            .flat_map_iter(|(rule, range)| {
                let members: &[(u64, u32)] = self
                    .sorted
                    .get(*rule)
                    .and_then(|s| s.get(range.clone()))
                    .unwrap_or(&[]);
                let visit = &visit;
                members
                    .iter()
                    .enumerate()
                    .flat_map(move |(position, &(_, i))| {
                        members
                            .iter()
                            .skip(position + 1)
                            .filter_map(move |&(_, j)| {
                                let (a, b) = (i.min(j), i.max(j));
                                let (ka, kb) = (keys.get(a as usize)?, keys.get(b as usize)?);
                                if claimed_earlier(ka, kb, *rule) {
                                    return None;
                                }
                                visit(*rule, a, b)
                            })
                    })
            })
            .collect()
    }
}

/// The distinct candidate pairs (i, j), i < j, under [`RULES`] with blocks capped at
/// `max_block`, in order.
pub fn candidate_pairs(records: &[Prepared], max_block: usize) -> Vec<(u32, u32)> {
    let keys: Vec<Keys> = records.iter().map(keys).collect();
    let blocks = Blocks::new(&keys, max_block);
    let mut pairs = blocks.par_map(&keys, |_, a, b| Some((a, b)));
    pairs.sort_unstable();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;
    use std::collections::BTreeSet;
    use time::Date;
    use time::macros::date;

    fn record(given: &str, family: &str, dob: Option<Date>, postcode: &str) -> Prepared {
        Prepared::new(&Record {
            given_name: given.into(),
            family_name: family.into(),
            date_of_birth: dob,
            postcode: postcode.into(),
            ..Record::default()
        })
    }

    #[test]
    fn each_kind_of_noise_is_still_paired_by_some_rule() {
        let records = vec![
            record("William", "Mercer", Some(date!(2009 - 05 - 08)), "BN7 2LD"),
            record("Bill", "Mercer", Some(date!(2009 - 05 - 08)), ""),
            record("William", "Mercer", Some(date!(2009 - 05 - 04)), "BN7 4QS"),
            record("Bill", "Mercer", None, "BN7 2LD"),
            record("William", "Smith-Mercer", Some(date!(2009 - 05 - 08)), ""),
            record("Bill", "Mercer", Some(date!(2009 - 08 - 05)), "TN2 1AA"),
            record("William", "Mercer", None, "BN7 9ZZ"),
            record("Amelia", "Hart", Some(date!(2012 - 02 - 03)), "BN9 9AX"),
        ];
        let pairs = candidate_pairs(&records, 1_000);
        assert!(pairs.contains(&(0, 1)), "nickname: date and family initial");
        assert!(pairs.contains(&(0, 2)), "wrong day: names and year");
        assert!(
            pairs.contains(&(0, 3)),
            "nickname, no date: postcode and name"
        );
        assert!(
            pairs.contains(&(0, 4)),
            "surname changed: date and given initial"
        );
        assert!(
            pairs.contains(&(0, 5)),
            "nickname, day and month swapped, moved"
        );
        assert!(
            pairs.contains(&(0, 6)),
            "no date, moved within the district"
        );
        assert!(
            !pairs.contains(&(2, 5)),
            "a nickname, a wrong day and a move together are not compared"
        );
        assert!(
            !pairs.iter().any(|(i, j)| *i == 7 || *j == 7),
            "an unrelated child is never compared"
        );
        assert!(pairs.iter().all(|(i, j)| i < j), "ordered, no self-pairs");
        let unique: BTreeSet<_> = pairs.iter().collect();
        assert_eq!(
            unique.len(),
            pairs.len(),
            "each pair once, however many rules share it"
        );
    }

    #[test]
    fn identifiers_block_together_and_huge_blocks_are_skipped() {
        let with = |upn: Option<&str>, nhs: Option<&str>, n: &str| {
            Prepared::new(&Record {
                given_name: n.into(),
                family_name: format!("F{n}"),
                upn: upn.map(Into::into),
                nhs_number: nhs.map(Into::into),
                ..Record::default()
            })
        };
        let records = [
            with(Some("r201100018042"), None, "A"),
            with(Some("R201100018042 "), None, "B"),
            with(None, Some("943 476 5919"), "C"),
            with(None, Some("9434765919"), "D"),
        ];
        assert_eq!(candidate_pairs(&records, 1_000), vec![(0, 1), (2, 3)]);

        let crowd: Vec<_> = (0..50)
            .map(|i| {
                record(
                    &format!("Sam{i}"),
                    "Lee",
                    Some(date!(2010 - 01 - 01)),
                    &format!("BN{i} 1AA"),
                )
            })
            .collect();
        assert_eq!(candidate_pairs(&crowd, 1_000).len(), 50 * 49 / 2);
        assert!(
            candidate_pairs(&crowd, 20).is_empty(),
            "a block over the limit is skipped"
        );
    }

    #[test]
    fn the_block_limit_bounds_the_work_linearly() {
        // However the keys fall, each record meets at most `max_block - 1` others per rule, so
        // the pairs never exceed rules x records x (max_block - 1) / 2.
        let make = |n: usize| -> Vec<Prepared> {
            (0..n)
                .map(|i| {
                    let day = date!(2008 - 01 - 01) + time::Duration::days((i % 40) as i64);
                    record(
                        &format!("G{}", i % 3),
                        &format!("Fam{}", i % 7),
                        Some(day),
                        &format!("BN{} {}AB", i % 5, i % 10),
                    )
                })
                .collect()
        };
        let max_block = 50;
        for n in [2_000, 4_000] {
            let pairs = candidate_pairs(&make(n), max_block).len();
            let bound = RULES.len() * n * (max_block - 1) / 2;
            assert!(
                pairs <= bound,
                "{pairs} pairs for {n} records exceeds {bound}"
            );
        }
        // The limit is what holds the work down: without it the same keys cost more.
        let unbounded = candidate_pairs(&make(4_000), usize::MAX).len();
        let bounded = candidate_pairs(&make(4_000), max_block).len();
        assert!(unbounded > 2 * bounded, "{unbounded} vs {bounded}");
    }

    #[test]
    fn keys_are_stable_across_versions() {
        // Stored keys must mean the same thing after an upgrade: pin one.
        let r = record("Jayden", "Mercer", Some(date!(2009 - 05 - 14)), "BN7 2LD");
        let k = keys(&r);
        assert_eq!(k[0], 0, "no UPN, no key");
        assert_eq!(k[4], hash(&[&[4], b"mercer", b"jayden", b"2009"]));
        assert_eq!(k[4], 0x950e_f476_d4b6_6109, "FNV-1a, worked out by hand");
        // Dates hash as their ISO text.
        assert_eq!(k[2], hash(&[&[2], b"2009-05-14", b"m"]));
        assert_eq!(iso(date!(0987 - 01 - 02)), Some(*b"0987-01-02"));
    }
}
