//! Blocking: which pairs of records are worth comparing at all.
//!
//! Comparing every record with every other grows with the square of the records. Each rule
//! below groups records that share a cheap key; only pairs within a group are compared, and
//! the rules' pairs are unioned, so a typo in one field is caught by another rule. Blocks over
//! a size limit are skipped, so the pairs can never exceed rules x records x limit / 2: the
//! work grows linearly with the records, not with their square.

use crate::normalise;
use std::collections::{BTreeSet, HashMap};
use time::Date;

/// The fields blocking looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockingRecord {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
    pub postcode: String,
    pub upn: Option<String>,
    pub nhs_number: Option<String>,
}

/// A rule: records with the same key form a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Upn,
    NhsNumber,
    DateOfBirth,
    /// The first four letters of the family name and the year of birth.
    FamilyNameAndBirthYear,
    /// The postcode district and the given name's first letter.
    DistrictAndGivenInitial,
}

/// The rules Harbour uses by default.
pub const DEFAULT_RULES: &[Rule] = &[
    Rule::Upn,
    Rule::NhsNumber,
    Rule::DateOfBirth,
    Rule::FamilyNameAndBirthYear,
    Rule::DistrictAndGivenInitial,
];

fn key(rule: Rule, record: &BlockingRecord) -> Option<String> {
    let nonempty = |s: String| (!s.is_empty()).then_some(s);
    match rule {
        Rule::Upn => record
            .upn
            .as_deref()
            .map(str::trim)
            .map(str::to_uppercase)
            .and_then(nonempty),
        Rule::NhsNumber => record
            .nhs_number
            .as_deref()
            .map(|n| n.chars().filter(char::is_ascii_digit).collect())
            .and_then(nonempty),
        Rule::DateOfBirth => record.date_of_birth.map(|d| d.to_string()),
        Rule::FamilyNameAndBirthYear => {
            let family: String = normalise::name(&record.family_name)
                .chars()
                .take(4)
                .collect();
            let year = record.date_of_birth?.year();
            nonempty(family).map(|f| format!("{f}|{year}"))
        }
        Rule::DistrictAndGivenInitial => {
            let compact: String = record
                .postcode
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_uppercase();
            let district = compact.get(..compact.len().checked_sub(3)?)?.to_owned();
            let initial = normalise::name(&record.given_name).chars().next()?;
            nonempty(district).map(|d| format!("{d}|{initial}"))
        }
    }
}

/// The distinct pairs (i, j), i < j, that share a block under any rule. Blocks larger than
/// `max_block` are skipped (a key shared by that many records says little and costs much).
pub fn candidate_pairs(
    records: &[BlockingRecord],
    rules: &[Rule],
    max_block: usize,
) -> Vec<(usize, usize)> {
    let mut pairs = BTreeSet::new();
    for rule in rules {
        let mut blocks: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, record) in records.iter().enumerate() {
            if let Some(key) = key(*rule, record) {
                blocks.entry(key).or_default().push(index);
            }
        }
        for members in blocks
            .values()
            .filter(|m| m.len() > 1 && m.len() <= max_block)
        {
            for (position, &i) in members.iter().enumerate() {
                for &j in members.iter().skip(position + 1) {
                    pairs.insert((i.min(j), i.max(j)));
                }
            }
        }
    }
    pairs.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn record(given: &str, family: &str, dob: Option<Date>, postcode: &str) -> BlockingRecord {
        BlockingRecord {
            given_name: given.into(),
            family_name: family.into(),
            date_of_birth: dob,
            postcode: postcode.into(),
            upn: None,
            nhs_number: None,
        }
    }

    #[test]
    fn each_kind_of_noise_is_still_paired_by_some_rule() {
        let records = vec![
            record("Jayden", "Mercer", Some(date!(2009 - 05 - 14)), "BN7 2LD"),
            record("Jaden", "Mercer", Some(date!(2009 - 05 - 14)), ""),
            record("Jayden", "Mercer", Some(date!(2009 - 05 - 04)), "BN7 4QS"),
            record("Jayden", "Mecrer", None, "BN7 2AB"),
            record("Amelia", "Hart", Some(date!(2012 - 02 - 03)), "BN9 9AX"),
        ];
        let pairs = candidate_pairs(&records, DEFAULT_RULES, 1_000);
        assert!(
            pairs.contains(&(0, 1)),
            "misspelt given name: same date of birth"
        );
        assert!(
            pairs.contains(&(0, 2)),
            "wrong day of birth: same family name start and year"
        );
        assert!(
            pairs.contains(&(0, 3)),
            "surname typo and no date: same district and initial"
        );
        assert!(
            !pairs.iter().any(|(i, j)| *i == 4 || *j == 4),
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
        let mut a = record("A", "X", None, "");
        a.upn = Some("r201100018042".into());
        let mut b = record("B", "Y", None, "");
        b.upn = Some("R201100018042 ".into());
        let mut c = record("C", "Z", None, "");
        c.nhs_number = Some("943 476 5919".into());
        let mut d = record("D", "W", None, "");
        d.nhs_number = Some("9434765919".into());
        assert_eq!(
            candidate_pairs(&[a, b, c, d], DEFAULT_RULES, 1_000),
            vec![(0, 1), (2, 3)]
        );

        let crowd: Vec<_> = (0..50)
            .map(|i| {
                record(
                    &format!("N{i}"),
                    &format!("F{i}"),
                    Some(date!(2010 - 01 - 01)),
                    "",
                )
            })
            .collect();
        assert_eq!(
            candidate_pairs(&crowd, &[Rule::DateOfBirth], 1_000).len(),
            50 * 49 / 2
        );
        assert!(
            candidate_pairs(&crowd, &[Rule::DateOfBirth], 20).is_empty(),
            "a block over the limit is skipped"
        );
    }

    #[test]
    fn the_block_limit_bounds_the_work_linearly() {
        // However the keys fall, each record meets at most `max_block - 1` others per rule, so
        // the pairs never exceed rules x records x (max_block - 1) / 2.
        let make = |n: usize| -> Vec<BlockingRecord> {
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
            let pairs = candidate_pairs(&make(n), DEFAULT_RULES, max_block).len();
            let bound = DEFAULT_RULES.len() * n * (max_block - 1) / 2;
            assert!(
                pairs <= bound,
                "{pairs} pairs for {n} records exceeds {bound}"
            );
        }
        // Without the limit the same crowded keys would cost far more.
        let unbounded = candidate_pairs(&make(4_000), DEFAULT_RULES, usize::MAX).len();
        assert!(
            unbounded > DEFAULT_RULES.len() * 4_000 * (max_block - 1) / 2,
            "{unbounded}"
        );
    }
}
