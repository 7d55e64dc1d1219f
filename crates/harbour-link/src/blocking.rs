//! Blocking: which pairs of records are worth comparing at all.
//!
//! Comparing every record with every other grows with the square of the records. Each rule
//! below groups records that share a cheap key; only pairs within a group are compared, and
//! the rules' pairs are unioned, so noise in one field is caught by a rule that does not read
//! it. A pair is produced by the first rule that groups it and skipped by the later ones, so
//! the union needs no set of every pair seen.
//!
//! The rules are of three kinds. Exact keys of two or three fields (the first eight, which
//! the store also keeps for incremental linking) find the pairs with little noise. Phonetic
//! keys of the names (Double Metaphone, which survives misspellings, OCR slips and
//! transliterations that sound alike) with part of the date find pairs whose names and
//! date are both a little wrong. Keys of one field alone (a name's sound, the date of birth,
//! the postcode) and of name prefixes and suffixes find the pairs where only one field
//! survived, but only where that value is rare enough to say something.
//!
//! The work stays linear in the records: within each rule, blocks are taken smallest first
//! (a rare key says most) until the rule has spent its budget of pairs (a fixed number per
//! record), and no block over the size limit is ever taken, so the pairs never exceed
//! rules x records x budget. A rule whose fields a set lacks (no UPNs, no postcodes) makes
//! no keys and spends nothing, leaving the others' budgets whole; a field that is nearly
//! always the same value (one postcode for a whole town) makes huge blocks that are
//! skipped, not compared. A record in a skipped block is treated as not keyed by that rule,
//! so a later rule is not stopped from pairing it.
//!
//! Keys are 64-bit FNV-1a hashes, which never change between versions or machines, so they
//! can be stored and looked up again when new records arrive.

use crate::record::Prepared;
use rayon::prelude::*;
use rphonetic::{DoubleMetaphone, Encoder};
use std::collections::{HashMap, HashSet};
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
    /// The sounds of both names and the year of birth (both names misspelt, a wrong day).
    SoundsAndBirthYear,
    /// The sounds of both names, and the day and month of birth (misspelt names, wrong year).
    SoundsAndBirthDayMonth,
    /// The sounds of both names in either order (given and family name swapped, no date).
    SoundsEitherOrder,
    /// Date of birth and postcode (both names changed or garbled).
    DateOfBirthAndPostcode,
    /// Date of birth and both initials in either order (names swapped, or both misspelt
    /// after the first letter).
    DateOfBirthAndInitialsEitherOrder,
    /// The given name's sound and the postcode (a new or mistyped surname, no date).
    GivenSoundAndPostcode,
    /// The family name's sound and the postcode (a nickname and no date).
    FamilySoundAndPostcode,
    /// The first three letters of the family name and two of the given name (typos late in
    /// both names, where the sounds differ).
    NamePrefixes,
    /// The last three letters of each name (typos early in both names).
    NameSuffixes,
    /// Day and month of birth in either order and the family initial (a wrong year).
    DayMonthEitherWayAndFamilyInitial,
    /// The family name's sound alone, where it is rare.
    FamilySound,
    /// The given name's sound alone, where it is rare.
    GivenSound,
    /// The date of birth alone, where few share it.
    DateOfBirth,
    /// The postcode alone, where few live there.
    Postcode,
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
            Rule::SoundsAndBirthYear => "sounds-birth-year",
            Rule::SoundsAndBirthDayMonth => "sounds-birth-day-month",
            Rule::SoundsEitherOrder => "sounds-either-order",
            Rule::DateOfBirthAndPostcode => "dob-postcode",
            Rule::DateOfBirthAndInitialsEitherOrder => "dob-initials-either-order",
            Rule::GivenSoundAndPostcode => "given-sound-postcode",
            Rule::FamilySoundAndPostcode => "family-sound-postcode",
            Rule::NamePrefixes => "name-prefixes",
            Rule::NameSuffixes => "name-suffixes",
            Rule::DayMonthEitherWayAndFamilyInitial => "day-month-family-initial",
            Rule::FamilySound => "family-sound",
            Rule::GivenSound => "given-sound",
            Rule::DateOfBirth => "dob",
            Rule::Postcode => "postcode",
        }
    }
}

/// How many of [`RULES`] (the first) the store keeps keys for, to find candidates for a new
/// record without relinking. The later rules are used in full linking runs only: keys of one
/// field alone would fetch too many stored records for each new one.
pub const STORED: usize = 8;

/// The rules Harbour uses, in the order they claim pairs: exact keys first, then sounds, then
/// single fields, so each pair is credited to the most specific rule that finds it. None of
/// the first eight is a single common value (a date of birth alone, a surname alone); the
/// single-field rules at the end are held to rare values by the pair budget.
pub const RULES: [Rule; 22] = [
    Rule::Upn,
    Rule::NhsNumber,
    Rule::DateOfBirthAndFamilyInitial,
    Rule::DateOfBirthAndGivenInitial,
    Rule::NamesAndBirthYear,
    Rule::NamesAndDistrict,
    Rule::FamilyNameAndBirthDateEitherWay,
    Rule::PostcodeAndFamilyName,
    Rule::SoundsAndBirthYear,
    Rule::SoundsAndBirthDayMonth,
    Rule::SoundsEitherOrder,
    Rule::DateOfBirthAndPostcode,
    Rule::DateOfBirthAndInitialsEitherOrder,
    Rule::GivenSoundAndPostcode,
    Rule::FamilySoundAndPostcode,
    Rule::NamePrefixes,
    Rule::NameSuffixes,
    Rule::DayMonthEitherWayAndFamilyInitial,
    Rule::FamilySound,
    Rule::GivenSound,
    Rule::DateOfBirth,
    Rule::Postcode,
];

/// One record's key under each of [`RULES`]; 0 where the rule does not apply (a field is
/// missing).
pub type Keys = [u64; RULES.len()];

/// One record's keys under the rules the store keeps ([`STORED`]).
pub type StoredKeys = [u64; STORED];

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

/// A normalised name's Double Metaphone code (primary, at most 4 sounds); None when the name
/// has no letters to sound. Double Metaphone (rather than Soundex) because it knows the
/// spellings of many languages' names (Slavic, Germanic, Romance, Gaelic), so
/// transliterations and misheard names meet: Wojcik and Wojczik, Chaudhry and Choudhury,
/// Aleksander and Alexander, Stephen and Steven.
pub fn sound(name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let code = DoubleMetaphone::default().encode(name);
    (!code.is_empty()).then_some(code)
}

/// The sounds of a record's names, worked out once for all the rules that read them.
struct Sounds<'a> {
    given: Option<&'a str>,
    family: Option<&'a str>,
}

/// The sound of every distinct name in a list, each worked out once: a county's million
/// records hold some thousands of names, and Double Metaphone was half the cost of keying them.
pub fn sounds_of(records: &[Prepared]) -> HashMap<&str, Option<String>> {
    let names: HashSet<&str> = records
        .iter()
        .flat_map(|r| [r.given.as_str(), r.family.as_str()])
        .collect();
    names
        .into_par_iter()
        .map(|name| (name, sound(name)))
        .collect()
}

/// The first `n` characters of a name at least `n` long, as bytes.
fn prefix(name: &str, n: usize) -> Option<&[u8]> {
    let (end, _) = name.char_indices().nth(n.checked_sub(1)?)?;
    let last = name.get(end..)?.chars().next()?;
    name.as_bytes().get(..end + last.len_utf8())
}

/// The last `n` characters of a name at least `n` long, as bytes.
fn suffix(name: &str, n: usize) -> Option<&[u8]> {
    let (start, _) = name.char_indices().rev().nth(n.checked_sub(1)?)?;
    name.as_bytes().get(start..)
}

/// The first character of a non-empty name, as bytes.
fn initial(name: &str) -> Option<&[u8]> {
    let first = name.chars().next()?;
    name.as_bytes().get(..first.len_utf8())
}

fn nonempty(text: &str) -> Option<&[u8]> {
    (!text.is_empty()).then_some(text.as_bytes())
}

fn key(rule: Rule, r: &Prepared, sounds: &Sounds<'_>) -> Option<u64> {
    let tag = [rule as u8];
    let dob = r.date_of_birth.and_then(iso);
    let year = || dob.as_ref().and_then(|d| d.get(..4));
    let day_month = || dob.as_ref().and_then(|d| d.get(5..));
    let given_sound = || sounds.given.map(str::as_bytes);
    let family_sound = || sounds.family.map(str::as_bytes);
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
        Rule::SoundsAndBirthYear => hash(&[&tag, family_sound()?, given_sound()?, year()?]),
        Rule::SoundsAndBirthDayMonth => {
            hash(&[&tag, family_sound()?, given_sound()?, day_month()?])
        }
        Rule::SoundsEitherOrder => {
            let (a, b) = (family_sound()?, given_sound()?);
            hash(&[&tag, a.min(b), a.max(b)])
        }
        Rule::DateOfBirthAndPostcode => hash(&[&tag, dob.as_ref()?, nonempty(&r.postcode)?]),
        Rule::DateOfBirthAndInitialsEitherOrder => {
            let (a, b) = (initial(&r.family)?, initial(&r.given)?);
            hash(&[&tag, dob.as_ref()?, a.min(b), a.max(b)])
        }
        Rule::GivenSoundAndPostcode => hash(&[&tag, given_sound()?, nonempty(&r.postcode)?]),
        Rule::FamilySoundAndPostcode => hash(&[&tag, family_sound()?, nonempty(&r.postcode)?]),
        Rule::NamePrefixes => hash(&[&tag, prefix(&r.family, 3)?, prefix(&r.given, 2)?]),
        Rule::NameSuffixes => hash(&[&tag, suffix(&r.family, 3)?, suffix(&r.given, 3)?]),
        Rule::DayMonthEitherWayAndFamilyInitial => {
            let date = r.date_of_birth?;
            let (day, month) = (date.day(), u8::from(date.month()));
            hash(&[&tag, &[day.min(month), day.max(month)], initial(&r.family)?])
        }
        Rule::FamilySound => hash(&[&tag, family_sound()?]),
        Rule::GivenSound => hash(&[&tag, given_sound()?]),
        Rule::DateOfBirth => hash(&[&tag, dob.as_ref()?]),
        Rule::Postcode => hash(&[&tag, nonempty(&r.postcode)?]),
    })
}

/// A record's keys under every rule, for a full linking run.
pub fn all_keys(record: &Prepared) -> Keys {
    let (given, family) = (sound(&record.given), sound(&record.family));
    keys_with(
        record,
        &Sounds {
            given: given.as_deref(),
            family: family.as_deref(),
        },
    )
}

/// [`all_keys`] with the sounds of the list's names already known ([`sounds_of`]).
pub fn all_keys_sounded(record: &Prepared, sounds: &HashMap<&str, Option<String>>) -> Keys {
    let of = |name: &str| sounds.get(name).and_then(|s| s.as_deref());
    keys_with(
        record,
        &Sounds {
            given: of(&record.given),
            family: of(&record.family),
        },
    )
}

fn keys_with(record: &Prepared, sounds: &Sounds<'_>) -> Keys {
    RULES.map(|rule| key(rule, record, sounds).unwrap_or(0))
}

/// A record's keys under the rules the store keeps for incremental linking (the first
/// [`STORED`] of [`RULES`]; the same values as [`all_keys`] gives for them).
pub fn keys(record: &Prepared) -> StoredKeys {
    let sounds = Sounds {
        given: None,
        family: None,
    };
    let mut stored = [0; STORED];
    for (slot, rule) in stored.iter_mut().zip(RULES) {
        *slot = key(rule, record, &sounds).unwrap_or(0);
    }
    stored
}

/// Whether a rule earlier than `rule_index` already groups these two records, in which case
/// that rule produced (or skipped) the pair.
pub fn claimed_earlier(a: &[u64], b: &[u64], rule_index: usize) -> bool {
    a.iter()
        .zip(b.iter())
        .take(rule_index)
        .any(|(x, y)| *x != 0 && x == y)
}

/// How big the blocks may be: no block over `max_block` records, and within each rule no more
/// than `pairs_per_record` pairs for each record (at least `min_rule_pairs`), the smallest
/// blocks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_block: usize,
    pub pairs_per_record: usize,
    /// The pairs a rule may always spend, however short the list ([`MIN_RULE_PAIRS`]).
    pub min_rule_pairs: usize,
}

/// A list of up to a few hundred thousand records may be compared more thoroughly than its
/// size alone allows: each rule may always spend this many pairs. With the bound ruling out
/// the pairs that cannot matter before their names are compared (`crate::bound`), 22 rules'
/// worth is a few seconds at most, and it lets a rule take the larger blocks of a list whose
/// fields are coarse: on pseudopeople's census, where a ZIP code holds thousands, pair
/// completeness went from 0.988 at 10,000 to 0.997 at 1,000,000 (0.993 to 0.996 on FEBRL 3,
/// 0.992 to 0.998 on childgen-medium), F1 unchanged or higher. From 333,334 records up, the
/// pairs per record govern, so the work is still linear in the records.
pub const MIN_RULE_PAIRS: usize = 1_000_000;

impl Limits {
    /// Only the size limit (training blocks, which are sampled instead).
    pub fn size_only(max_block: usize) -> Limits {
        Limits {
            max_block,
            pairs_per_record: usize::MAX,
            min_rule_pairs: 0,
        }
    }

    fn rule_budget(self, records: usize) -> usize {
        records
            .saturating_mul(self.pairs_per_record)
            .max(self.min_rule_pairs)
    }
}

/// One rule's blocks: those taken, their members one after another, and what was left out.
struct RuleBlocks {
    /// (key, record) for the members of the blocks taken, block after block.
    members: Vec<(u64, u32)>,
    /// Each block taken, as a range of `members`, in the order taken.
    taken: Vec<Range<usize>>,
    skipped: usize,
    /// Records whose key must read as none: their block was skipped.
    unkeyed: Vec<u32>,
}

/// One rule's blocks of two or more records, smallest first, before any is taken.
struct Runs {
    /// (key, record), sorted.
    entries: Vec<(u64, u32)>,
    /// Each block of two or more, as a range of `entries`, smallest first (a rare key says
    /// most), ties in key order.
    runs: Vec<Range<usize>>,
}

impl Runs {
    fn new<const N: usize>(keys: &[[u64; N]], rule: usize) -> Runs {
        let mut entries: Vec<(u64, u32)> = keys
            .iter()
            .zip(0u32..)
            .filter_map(|(k, i)| k.get(rule).filter(|k| **k != 0).map(|k| (*k, i)))
            .collect();
        entries.sort_unstable();
        // A key nobody else holds makes no pair and claims none (no other record has it), so
        // it needs neither sorting by size nor unkeying.
        let mut runs: Vec<Range<usize>> = Vec::new();
        let mut start = 0;
        while start < entries.len() {
            let key = entries.get(start).map(|e| e.0);
            let mut end = start + 1;
            while end < entries.len() && entries.get(end).map(|e| e.0) == key {
                end += 1;
            }
            if end - start > 1 {
                runs.push(start..end);
            }
            start = end;
        }
        runs.sort_unstable_by_key(|r| (r.len(), r.start));
        Runs { entries, runs }
    }

    /// The blocks taken, smallest first, until `budget` pairs are spent (then every larger
    /// block is skipped).
    fn take(self, max_block: usize, budget: usize) -> RuleBlocks {
        let mut found = RuleBlocks {
            members: Vec::new(),
            taken: Vec::new(),
            skipped: 0,
            unkeyed: Vec::new(),
        };
        let mut spent = 0usize;
        for run in self.runs {
            let size = run.len();
            let cost = size * (size - 1) / 2;
            let block = self.entries.get(run).unwrap_or(&[]);
            if size <= max_block && spent + cost <= budget {
                spent += cost;
                let at = found.members.len();
                found.members.extend_from_slice(block);
                found.taken.push(at..found.members.len());
            } else {
                found.skipped += 1;
                found.unkeyed.extend(block.iter().map(|(_, i)| *i));
            }
        }
        found
    }
}

/// The blocks of all rules: for each, the rule's index and the record indices in it.
#[derive(Debug)]
pub struct Blocks {
    /// Per rule, (key, record) for the members of its blocks taken.
    sorted: Vec<Vec<(u64, u32)>>,
    /// (rule index, range into that rule's members) for each block taken.
    blocks: Vec<(usize, Range<usize>)>,
    /// Blocks skipped for being over the size limit or past their rule's budget.
    pub skipped: usize,
}

impl Blocks {
    /// Blocks for records' keys under N rules (the linkage rules, or a training rule alone).
    /// A record's key for a rule is set to 0 in `keys` where its block was skipped (a key it
    /// shares with nobody is left: it can claim no pair), so that [`Blocks::par_map`] does not
    /// take a skipped block as having claimed a pair.
    pub fn new<const N: usize>(keys: &mut [[u64; N]], limits: Limits) -> Blocks {
        let budget = limits.rule_budget(keys.len());
        // The rules are independent of each other until their skipped blocks are unkeyed, so
        // each is worked out on its own thread, the unkeying done after.
        let rules: Vec<RuleBlocks> = (0..N)
            .into_par_iter()
            .map(|rule| Runs::new(keys, rule).take(limits.max_block, budget))
            .collect();
        let mut sorted = Vec::with_capacity(N);
        let mut blocks = Vec::new();
        let mut skipped = 0;
        for (rule, found) in rules.into_iter().enumerate() {
            for i in found.unkeyed {
                if let Some(k) = keys.get_mut(i as usize).and_then(|k| k.get_mut(rule)) {
                    *k = 0;
                }
            }
            skipped += found.skipped;
            blocks.extend(found.taken.into_iter().map(|range| (rule, range)));
            sorted.push(found.members);
        }
        Blocks {
            sorted,
            blocks,
            skipped,
        }
    }

    /// How many pairs the blocks taken hold, counting a pair once for each rule that groups
    /// it: at least the distinct candidate pairs [`Blocks::par_map`] visits.
    pub fn pairs_at_most(&self) -> usize {
        self.blocks
            .iter()
            .map(|(_, range)| range.len() * range.len().saturating_sub(1) / 2)
            .sum()
    }

    /// Every candidate pair, each once, as (i, j) with i < j, visited in parallel with the
    /// index of the rule that produced it; `visit` maps a pair to whatever the caller keeps.
    /// `keys` are the ones [`Blocks::new`] was given, as it left them.
    pub fn par_map<T, F, const N: usize>(&self, keys: &[[u64; N]], visit: F) -> Vec<T>
    where
        T: Send,
        F: Fn(usize, u32, u32) -> Option<T> + Sync,
    {
        self.par_map_counted(keys, visit).0
    }

    /// [`Blocks::par_map`], also counting the pairs each rule produced, whatever `visit`
    /// kept of them.
    pub fn par_map_counted<T, F, const N: usize>(
        &self,
        keys: &[[u64; N]],
        visit: F,
    ) -> (Vec<T>, Vec<usize>)
    where
        T: Send,
        F: Fn(usize, u32, u32) -> Option<T> + Sync,
    {
        let rules = self.sorted.len();
        let parts: Vec<(Vec<T>, Vec<usize>)> = self
            .blocks
            .par_iter()
            .fold(
                || (Vec::new(), vec![0usize; rules]),
                |(mut kept, mut counts), (rule, range)| {
                    let members: &[(u64, u32)] = self
                        .sorted
                        .get(*rule)
                        .and_then(|s| s.get(range.clone()))
                        .unwrap_or(&[]);
                    for (position, &(_, i)) in members.iter().enumerate() {
                        for &(_, j) in members.iter().skip(position + 1) {
                            let (a, b) = (i.min(j), i.max(j));
                            let (Some(ka), Some(kb)) = (keys.get(a as usize), keys.get(b as usize))
                            else {
                                continue;
                            };
                            if claimed_earlier(ka, kb, *rule) {
                                continue;
                            }
                            if let Some(count) = counts.get_mut(*rule) {
                                *count += 1;
                            }
                            kept.extend(visit(*rule, a, b));
                        }
                    }
                    (kept, counts)
                },
            )
            .collect();
        let mut counts = vec![0usize; rules];
        let mut kept = Vec::with_capacity(parts.iter().map(|(k, _)| k.len()).sum());
        for (part, part_counts) in parts {
            kept.extend(part);
            counts
                .iter_mut()
                .zip(part_counts)
                .for_each(|(total, n)| *total += n);
        }
        (kept, counts)
    }
}

/// The distinct candidate pairs (i, j), i < j, under [`RULES`] within `limits`, in order.
pub fn candidate_pairs(records: &[Prepared], limits: Limits) -> Vec<(u32, u32)> {
    let mut keys: Vec<Keys> = records.par_iter().map(all_keys).collect();
    let blocks = Blocks::new(&mut keys, limits);
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

    const LIMITS: Limits = Limits {
        max_block: 1_000,
        pairs_per_record: 3,
        min_rule_pairs: MIN_RULE_PAIRS,
    };

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
        let pairs = candidate_pairs(&records, LIMITS);
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
            pairs.contains(&(2, 5)),
            "a nickname, a wrong day and a move together: the rare surname's sound alone"
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
            let (given, family) = match n {
                "A" => ("Amelia", "Hart"),
                "B" => ("Bartholomew", "Ng"),
                "C" => ("Cosmo", "Pike"),
                _ => ("Dorothea", "Vasquez"),
            };
            Prepared::new(&Record {
                given_name: given.into(),
                family_name: family.into(),
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
        assert_eq!(candidate_pairs(&records, LIMITS), vec![(0, 1), (2, 3)]);

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
        assert_eq!(candidate_pairs(&crowd, LIMITS).len(), 50 * 49 / 2);
        assert!(
            candidate_pairs(&crowd, Limits::size_only(20)).is_empty(),
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
            let pairs = candidate_pairs(&make(n), Limits::size_only(max_block)).len();
            let bound = RULES.len() * n * (max_block - 1) / 2;
            assert!(
                pairs <= bound,
                "{pairs} pairs for {n} records exceeds {bound}"
            );
        }
        // The limit is what holds the work down: without it the same keys cost more.
        let unbounded = candidate_pairs(&make(4_000), Limits::size_only(usize::MAX)).len();
        let bounded = candidate_pairs(&make(4_000), Limits::size_only(max_block)).len();
        assert!(unbounded > 2 * bounded, "{unbounded} vs {bounded}");
    }

    #[test]
    fn sounds_meet_across_spellings() {
        assert_eq!(sound("wojcik"), sound("wojczik"));
        assert_eq!(sound("chaudhry"), sound("choudhury"));
        assert_eq!(sound("aleksander"), sound("alexander"));
        assert_eq!(sound("stephen"), sound("steven"));
        assert_eq!(sound("mohammed"), sound("muhammad"));
        assert_ne!(sound("mercer"), sound("okafor"));
        assert_eq!(sound(""), None);
        assert_eq!(prefix("jayden", 3), Some(&b"jay"[..]));
        assert_eq!(suffix("jayden", 3), Some(&b"den"[..]));
        assert_eq!(prefix("jo", 3), None);
        assert_eq!(suffix("zoë", 2), Some("oë".as_bytes()));
    }

    #[test]
    fn a_skipped_block_does_not_stop_a_later_rule_pairing_its_records() {
        // 60 records share a UPN (a placeholder a feed filled in), so that block is skipped;
        // two of them are the same child by name and date, and must still be compared.
        let mut records: Vec<Prepared> = (0..60)
            .map(|i| {
                let mut r = record(
                    &format!("Child{i}"),
                    &format!("Family{i}"),
                    Some(date!(2001 - 01 - 01) + time::Duration::days(i * 40)),
                    "",
                );
                r.upn = Some("A000000000000".into());
                r
            })
            .collect();
        let mut twin = record("Jayden", "Mercer", Some(date!(2009 - 05 - 14)), "BN7 2LD");
        twin.upn = Some("A000000000000".into());
        records.push(twin.clone());
        records.push(twin);
        let limits = Limits::size_only(50);
        assert!(candidate_pairs(&records, limits).contains(&(60, 61)));
    }

    #[test]
    fn each_rule_spends_at_most_its_budget_smallest_blocks_first() {
        // One town where everybody has the same postcode, and pairs of records that share a
        // rare date of birth: the postcode's huge block is skipped, the dates' small ones kept.
        let records: Vec<Prepared> = (0..400)
            .map(|i| {
                record(
                    &format!("G{i}x"),
                    &format!("F{i}y"),
                    Some(date!(1990 - 01 - 01) + time::Duration::days(i / 2)),
                    "BN1 1AA",
                )
            })
            .collect();
        // No floor: the 400 records' own budget is what is tested.
        let limits = Limits {
            max_block: 1_000,
            pairs_per_record: 1,
            min_rule_pairs: 0,
        };
        let pairs = candidate_pairs(&records, limits);
        for i in (0..400).step_by(2) {
            assert!(pairs.contains(&(i, i + 1)), "the pair born on day {i}");
        }
        assert!(
            !pairs.contains(&(0, 399)),
            "only the town's postcode joins these two, and its block was skipped"
        );
        assert!(pairs.len() < 400 * 399 / 4, "{} pairs", pairs.len());
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
        // The stored keys are the first of all the keys, unchanged.
        assert_eq!(all_keys(&r)[..STORED], k[..]);
        assert_eq!(all_keys(&r)[8], hash(&[&[8], b"MRSR", b"JTN", b"2009"]));
        assert_eq!(iso(date!(0987 - 01 - 02)), Some(*b"0987-01-02"));
    }
}
