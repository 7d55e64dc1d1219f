//! Pairs that cannot matter, ruled out before their names are compared.
//!
//! Blocking's looser rules (a name's sound alone, a postcode alone) make millions of candidate
//! pairs in a county, nearly all of them two different children, and comparing names is most
//! of what a pair costs. The model is learnt before the candidates are compared (u from random
//! pairs, m from training blocks), so for each pair the engine can first read the cheap fields
//! (date of birth, postcode, sex, identifiers, whether the names are exactly equal) from a
//! small [`Sketch`] of each record, and add the most any name level could weigh. If even that
//! most, with the largest prior the data could give, stays under the lowest probability any
//! later step reads, the names are never compared: the pair would have been dropped anyway.
//!
//! Nothing is ruled out that any step could use: pairs with the same birthday (what the twin
//! share is learnt from), pairs whose identifiers agree (a shared number, perhaps disputed),
//! and records with aliases (which can match names the sketch does not hold) are always
//! compared, and a pair that could be twin-like is held to the lower floor at which twins go
//! to review. The bound only rules pairs out; every pair kept is compared in full, so the
//! clusters do not depend on it, except through the prior (below).
//!
//! The prior is fitted after comparing, over all pairs, and the pairs ruled out must count in
//! it at their own weight: counted at their most, they overstated it (at 1M records the
//! clusters changed); left out, they understated it (recall fell a little on the small sets).
//! `linkage::link` therefore compares them after all for the fit, every one where the blocks
//! hold up to a million pairs and a fixed sample standing for the rest where they hold more.

use crate::blocking;
use crate::compare::{DateLevel, Field, date_of_birth};
use crate::record::{Prepared, Sex};
use crate::score::{Scorer, TWO_CHILDREN_BELOW};
use time::Date;

/// What the bound reads of a record: one cache line, where a [`Prepared`] record with its
/// names on the heap is several. Values are 32-bit hashes: two different values that happen
/// to share one read as equal, and the bound then takes the most of every level they could
/// be at (an agreeing identifier is always compared), so a collision never rules a pair out.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(align(64))]
pub struct Sketch {
    date_of_birth: Option<Date>,
    /// Hashes of the postcode, its sector and its district (0: none).
    postcode: [u32; 3],
    sex: Option<Sex>,
    /// Hashes of the normalised given and family names (0: none).
    given: u32,
    family: u32,
    /// Hashes of the identifiers (0: none).
    upn: u32,
    nhs_number: u32,
    /// Aliases can match a name the sketch does not hold: such a record is always compared.
    aliased: bool,
    /// The record's frequency-adjusted weights of exact agreement on given name, family name
    /// and postcode, as [`Scorer::exact_weights`] gives them.
    exact: [f32; 3],
}

fn hash(text: &str) -> u32 {
    if text.is_empty() {
        0
    } else {
        // The high half of the 64-bit hash, never 0 (which means none).
        ((blocking::hash(&[text.as_bytes()]) >> 32) as u32).max(1)
    }
}

impl Sketch {
    pub fn new(record: &Prepared, exact: &[f64; 3]) -> Sketch {
        let optional = |text: Option<&str>| text.map_or(0, hash);
        Sketch {
            date_of_birth: record.date_of_birth,
            postcode: [
                hash(&record.postcode),
                optional(record.postcode_sector()),
                optional(record.postcode_district()),
            ],
            sex: record.sex,
            given: hash(&record.given),
            family: hash(&record.family),
            upn: optional(record.upn.as_deref()),
            nhs_number: optional(record.nhs_number.as_deref()),
            aliased: !record.aliases.is_empty(),
            // The bound is added up in f64 from these: rounding them up keeps it a bound.
            exact: exact.map(|w| (w as f32).next_up()),
        }
    }
}

/// The model's weights as the bound needs them.
#[derive(Debug, Clone)]
pub struct Bound {
    /// Each field's weight at each level, without term frequencies.
    levels: Vec<Vec<f64>>,
    /// The most a name that is not exactly equal can weigh (a nickname, a spelling, a swap,
    /// initials), and never less than nothing, the weight of a name one side lacks.
    given_unequal: f64,
    family_unequal: f64,
    /// The same for a postcode (only a hash collision could make equal hashes unequal).
    postcode_unequal: f64,
    /// Bits the pair's weight must reach, without prior, for a later step to read it: the
    /// review floor, and for a pair that could be twin-like, the floor at which doubtful
    /// twins are queued (both less the largest prior the data allows).
    floor: f64,
    twin_floor: f64,
}

/// What the bound says of one pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Compare it in full.
    Compare,
    /// It cannot reach any floor; at most this many bits (no prior).
    Beneath(f64),
}

impl Bound {
    /// `scorer` is the model without a prior (λ = ½); `floor` the lowest probability the run
    /// keeps a pair at; `prior_most` the largest prior, in bits, the data can give.
    pub fn new(scorer: &Scorer, floor: f64, prior_most: f64) -> Bound {
        let levels: Vec<Vec<f64>> = Field::ALL
            .iter()
            .map(|f| {
                (0..f.levels().len())
                    .map(|l| scorer.level_weight(*f, l))
                    .collect()
            })
            .collect();
        let unequal = |field: Field| {
            levels
                .get(field.index())
                .map_or(0.0, |w| w.iter().skip(1).fold(0.0f64, |a, b| a.max(*b)))
        };
        let bits = |p: f64| (p / (1.0 - p)).log2();
        Bound {
            given_unequal: unequal(Field::GivenName),
            family_unequal: unequal(Field::FamilyName),
            postcode_unequal: unequal(Field::Postcode),
            levels,
            floor: bits(floor) - prior_most,
            twin_floor: bits(floor.min(TWO_CHILDREN_BELOW)) - prior_most,
        }
    }

    fn level(&self, field: Field, level: usize) -> f64 {
        self.levels
            .get(field.index())
            .and_then(|w| w.get(level))
            .copied()
            .unwrap_or(0.0)
    }

    /// Whether the pair `a`, `b` (in that order: `a`'s term frequencies count, as in
    /// [`Scorer::weight_with`]) must be compared.
    pub fn verdict(&self, a: &Sketch, b: &Sketch) -> Verdict {
        let dob = date_of_birth(a.date_of_birth, b.date_of_birth);
        let agree = |x: u32, y: u32| x != 0 && x == y;
        if dob == DateLevel::Exact
            || agree(a.upn, b.upn)
            || agree(a.nhs_number, b.nhs_number)
            || a.aliased
            || b.aliased
        {
            return Verdict::Compare;
        }
        let name = |x: u32, y: u32, exact: f32, unequal: f64| {
            if x == 0 || y == 0 {
                0.0
            } else if x == y {
                // Equal names weigh their exact weight, or a crosswise spelling's.
                f64::from(exact).max(unequal)
            } else {
                unequal
            }
        };
        let [given_exact, family_exact, postcode_exact] = a.exact;
        let mut most = name(a.given, b.given, given_exact, self.given_unequal)
            + name(a.family, b.family, family_exact, self.family_unequal);
        most += match dob {
            DateLevel::Exact => self.level(Field::DateOfBirth, 0),
            DateLevel::DayMonthSwapped => self.level(Field::DateOfBirth, 1),
            DateLevel::OnePartDifferent => self.level(Field::DateOfBirth, 2),
            DateLevel::YearOffByOne => self.level(Field::DateOfBirth, 3),
            DateLevel::Different => self.level(Field::DateOfBirth, 4),
            DateLevel::Missing => 0.0,
        };
        let [pa, sa, da] = a.postcode;
        let [pb, sb, db] = b.postcode;
        most += if pa == 0 || pb == 0 {
            0.0
        } else if pa == pb {
            f64::from(postcode_exact).max(self.postcode_unequal)
        } else if agree(sa, sb) {
            // A shared hash may be a collision: the level may be any below.
            (1..4)
                .map(|l| self.level(Field::Postcode, l))
                .fold(f64::MIN, f64::max)
        } else if agree(da, db) {
            (2..4)
                .map(|l| self.level(Field::Postcode, l))
                .fold(f64::MIN, f64::max)
        } else {
            self.level(Field::Postcode, 3)
        };
        if let (Some(x), Some(y)) = (a.sex, b.sex) {
            most += self.level(Field::Sex, usize::from(x != y));
        }
        // Identifiers here never agree (that pair is compared above): present on both, they
        // conflict.
        for (field, x, y) in [
            (Field::Upn, a.upn, b.upn),
            (Field::NhsNumber, a.nhs_number, b.nhs_number),
        ] {
            if x != 0 && y != 0 {
                most += self.level(field, 1);
            }
        }
        // A pair with the birthday nearly the same and no identifiers could be twin-like, and
        // twin-like pairs are queued from a lower probability.
        let twin_possible = matches!(
            dob,
            DateLevel::DayMonthSwapped | DateLevel::OnePartDifferent
        ) && (a.upn == 0 || b.upn == 0)
            && (a.nhs_number == 0 || b.nhs_number == 0);
        let floor = if twin_possible {
            self.twin_floor
        } else {
            self.floor
        };
        // A margin for the rounding of sums taken in another order.
        if most < floor - 1e-6 {
            Verdict::Beneath(most)
        } else {
            Verdict::Compare
        }
    }
}

/// The largest prior, in bits, a list of `records` can be given when blocking made at most
/// `candidates` pairs: the prior λ is the matches expected among all pairs, each candidate
/// counting its probability (at most 1) and every other pair none, so λ is at most the
/// candidates' share of all pairs (see [`crate::model::fit_prior`], which also keeps it in
/// [1e-15, ½]).
pub fn prior_most(records: usize, candidates: usize) -> f64 {
    let n = records as f64;
    let all = (n * (n - 1.0) / 2.0).max(1.0);
    let lambda = (candidates as f64 / all).clamp(1e-15, 0.5);
    (lambda / (1.0 - lambda)).log2()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::compare;
    use crate::linkage::starting_m;
    use crate::model::Model;
    use crate::record::Record;
    use crate::score::{TermFrequencies, doubtful_twins, probability};
    use time::macros::date;

    /// A model like the ones EM learns: agreement rare among non-matches, and a few levels
    /// (a moved postcode, a disagreeing sex) evidence against.
    fn scorer(records: &[Prepared]) -> Scorer {
        let u = vec![
            vec![0.004, 0.0006, 0.0009, 0.0015, 0.003, 0.002, 0.988],
            vec![0.007, 0.0015, 0.0035, 0.0009, 0.987],
            vec![0.0004, 0.00005, 0.007, 0.0002, 0.992],
            vec![0.0003, 0.004, 0.04, 0.955],
            vec![0.5, 0.5],
            vec![0.0003, 0.9997],
            vec![0.0002, 0.9998],
        ];
        Scorer::new(
            Model {
                lambda: 0.5,
                m: starting_m(),
                u,
                twin_share: 1.0,
            },
            TermFrequencies::count(records),
        )
    }

    /// Records that share values often: a few names with their misspellings, dates a part
    /// apart, postcodes in few sectors, some identifiers, an alias.
    fn records() -> Vec<Prepared> {
        let given = [
            "Jayden", "Jaden", "Amelia", "Amelie", "Bill", "William", "", "J",
        ];
        let family = ["Mercer", "Mercier", "Hart", "Smith-Hart", "Okafor", ""];
        // A date, the same with day and month swapped, with one part different, a year out,
        // another date, and none.
        let dates = [
            Some(date!(2009 - 04 - 05)),
            Some(date!(2009 - 05 - 04)),
            Some(date!(2009 - 04 - 06)),
            Some(date!(2010 - 04 - 05)),
            Some(date!(2012 - 11 - 02)),
            None,
        ];
        let postcodes = ["BN7 2LD", "BN7 2QS", "BN7 9ZZ", "TN2 1AA", ""];
        let mut out = Vec::new();
        let mut state = 3u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as usize % n
        };
        for i in 0..260 {
            let record = Record {
                given_name: given[next(given.len())].into(),
                family_name: family[next(family.len())].into(),
                date_of_birth: dates[next(dates.len())],
                sex: ["M", "F", ""][next(3)].to_owned().into(),
                postcode: postcodes[next(postcodes.len())].into(),
                upn: (next(4) == 0).then(|| ["A201100018042", "B201100018043"][next(2)].into()),
                nhs_number: (next(5) == 0).then(|| "9434765919".into()),
                aliases: if i % 50 == 0 {
                    vec!["Jay Smith".into()]
                } else {
                    Vec::new()
                },
            };
            out.push(Prepared::new(&record));
        }
        out
    }

    #[test]
    fn a_pair_ruled_out_weighs_no_more_than_its_bound_and_stays_under_every_floor() {
        let records = records();
        let scorer = scorer(&records);
        let exact: Vec<[f64; 3]> = records.iter().map(|r| scorer.exact_weights(r)).collect();
        let sketches: Vec<Sketch> = records
            .iter()
            .zip(&exact)
            .map(|(r, e)| Sketch::new(r, e))
            .collect();
        // A prior that rules out many pairs, so the test reaches them.
        let prior = -12.0;
        let bound = Bound::new(&scorer, 0.95, prior);
        let (mut ruled_out, mut compared) = (0, 0);
        for i in 0..records.len() {
            for j in i + 1..records.len() {
                let pattern = compare(&records[i], &records[j]);
                let weight = scorer.weight_with(&exact[i], pattern);
                match bound.verdict(&sketches[i], &sketches[j]) {
                    Verdict::Beneath(most) => {
                        ruled_out += 1;
                        assert!(weight <= most + 1e-9, "{i} {j}: {weight} > {most}");
                        let p = probability(prior + weight);
                        assert!(p < 0.95 && !doubtful_twins(pattern, p), "{i} {j}: {p}");
                        assert_ne!(pattern.level(Field::DateOfBirth), Some(0));
                        assert_ne!(pattern.level(Field::Upn), Some(0));
                        assert_ne!(pattern.level(Field::NhsNumber), Some(0));
                        assert!(records[i].aliases.is_empty() && records[j].aliases.is_empty());
                    }
                    Verdict::Compare => compared += 1,
                }
            }
        }
        assert!(
            ruled_out > 1_000 && compared > 1_000,
            "{ruled_out} / {compared}"
        );
    }

    #[test]
    fn the_prior_bound_is_the_candidates_share_of_all_pairs() {
        // 1,000 records have 499,500 pairs; 4,995 candidates are a hundredth of them.
        let expected = (0.01f64 / 0.99).log2();
        assert!((prior_most(1_000, 4_995) - expected).abs() < 1e-12);
        assert_eq!(prior_most(2, 5), 0.0, "never above a half");
        assert!(prior_most(1_000_000, 0) < -49.0);
    }
}
