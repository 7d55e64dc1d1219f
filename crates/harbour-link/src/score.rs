//! Scoring a pair: the model's weight for each field's level, with names and postcodes that
//! agree exactly weighted by how common the value is (term frequency), so two records that
//! share a rare surname count for more than two that share "Smith".

use crate::compare::{Field, GIVEN_DIFFERENT, GIVEN_INITIALS, Pattern, compare};
use crate::model::Model;
use crate::record::Prepared;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How often each name and postcode occurs among the records linked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TermFrequencies {
    pub records: u64,
    pub given: HashMap<String, u32>,
    pub family: HashMap<String, u32>,
    pub postcode: HashMap<String, u32>,
}

impl TermFrequencies {
    pub fn count<'a>(records: impl IntoIterator<Item = &'a Prepared>) -> Self {
        let mut tf = TermFrequencies::default();
        for r in records {
            tf.add(r);
        }
        tf
    }

    pub fn add(&mut self, r: &Prepared) {
        self.records += 1;
        for (table, value) in [
            (&mut self.given, &r.given),
            (&mut self.family, &r.family),
            (&mut self.postcode, &r.postcode),
        ] {
            if value.is_empty() {
                continue;
            }
            // Looked up before a copy is made: most values are already counted, and a county
            // has a million records to count.
            match table.get_mut(value.as_str()) {
                Some(count) => *count += 1,
                None => {
                    table.insert(value.clone(), 1);
                }
            }
        }
    }

    /// The share of records holding `value` in `field`, never below one record's share.
    fn share(&self, field: Field, value: &str) -> Option<f64> {
        let table = match field {
            Field::GivenName => &self.given,
            Field::FamilyName => &self.family,
            Field::Postcode => &self.postcode,
            _ => return None,
        };
        let records = self.records.max(1) as f64;
        Some(f64::from(table.get(value).copied().unwrap_or(1).max(1)) / records)
    }
}

/// One field's part in a pair's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub field: &'static str,
    /// The level reached, or `None` when either record has no value.
    pub level: Option<&'static str>,
    /// Bits of evidence for (positive) or against (negative) a match.
    pub weight: f64,
    /// Whether the weight was adjusted for how common the agreeing value is.
    pub frequency_adjusted: bool,
}

/// A pair's score with every field's contribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub prior: f64,
    pub fields: Vec<Evidence>,
    pub weight: f64,
    pub probability: f64,
}

/// A model ready to score pairs: log2(m/u) for every field and level, worked out once.
#[derive(Debug, Clone)]
pub struct Scorer {
    pub model: Model,
    pub tf: TermFrequencies,
    table: Vec<Vec<f64>>,
    prior: f64,
}

/// Converts a weight in bits into a probability.
pub fn probability(weight: f64) -> f64 {
    let odds = weight.exp2();
    if odds.is_infinite() {
        1.0
    } else {
        odds / (1.0 + odds)
    }
}

impl Scorer {
    pub fn new(model: Model, tf: TermFrequencies) -> Scorer {
        let table = model
            .m
            .iter()
            .zip(&model.u)
            .map(|(m, u)| m.iter().zip(u).map(|(m, u)| (m / u).log2()).collect())
            .collect();
        let prior = (model.lambda / (1.0 - model.lambda)).log2();
        Scorer {
            model,
            tf,
            table,
            prior,
        }
    }

    /// A pair's weight in bits (with the prior) once the twin share is taken into account:
    /// unchanged unless the pair is [`twin_like`], whose probability is the fields'
    /// probability times [`Model::twin_share`].
    pub fn twin_adjusted(&self, pattern: Pattern, weight: f64) -> f64 {
        let share = self.model.twin_share;
        if !twin_like(pattern) || share >= 1.0 {
            return weight;
        }
        let p = probability(weight) * share.max(f64::MIN_POSITIVE);
        (p / (1.0 - p)).log2()
    }

    /// The weight, in bits, of one field's level, without term frequencies.
    pub fn level_weight(&self, field: Field, level: usize) -> f64 {
        self.table
            .get(field.index())
            .and_then(|t| t.get(level))
            .copied()
            .unwrap_or(0.0)
    }

    /// The prior log-odds of a match, in bits: log2(λ / (1 - λ)).
    pub fn prior(&self) -> f64 {
        self.prior
    }

    fn part(&self, a: &Prepared, field: Field, level: Option<usize>) -> (f64, bool) {
        let Some(level) = level else {
            return (0.0, false);
        };
        if level == 0 {
            let value = match field {
                Field::GivenName => Some(&a.given),
                Field::FamilyName => Some(&a.family),
                Field::Postcode => Some(&a.postcode),
                _ => None,
            };
            let m = self
                .model
                .m
                .get(field.index())
                .and_then(|m| m.first())
                .copied();
            if let (Some(value), Some(m)) = (value, m)
                && let Some(share) = self.tf.share(field, value)
            {
                return ((m / share).log2(), true);
            }
        }
        let weight = self
            .table
            .get(field.index())
            .and_then(|t| t.get(level))
            .copied()
            .unwrap_or(0.0);
        (weight, false)
    }

    /// The weight of evidence, in bits, that two records are the same person.
    pub fn weight(&self, a: &Prepared, pattern: Pattern) -> f64 {
        self.weight_with(&self.exact_weights(a), pattern)
    }

    /// The frequency-adjusted weights of exact agreement on `a`'s given name, family name and
    /// postcode: worked out once per record rather than once per pair.
    pub fn exact_weights(&self, a: &Prepared) -> [f64; 3] {
        [Field::GivenName, Field::FamilyName, Field::Postcode].map(|f| self.part(a, f, Some(0)).0)
    }

    /// [`Scorer::weight`] with the first record's exact-agreement weights already known.
    pub fn weight_with(&self, exact: &[f64; 3], pattern: Pattern) -> f64 {
        let mut total = self.prior;
        for field in Field::ALL {
            let Some(level) = pattern.level(field) else {
                continue;
            };
            let slot = match field {
                Field::GivenName => Some(0),
                Field::FamilyName => Some(1),
                Field::Postcode => Some(2),
                _ => None,
            };
            total += match slot.and_then(|i| exact.get(i)) {
                Some(weight) if level == 0 => *weight,
                _ => self
                    .table
                    .get(field.index())
                    .and_then(|t| t.get(level))
                    .copied()
                    .unwrap_or(0.0),
            };
        }
        self.twin_adjusted(pattern, total)
    }

    /// The pair's score, field by field, for a reviewer.
    pub fn explain(&self, a: &Prepared, b: &Prepared) -> Explanation {
        let pattern = compare(a, b);
        let mut fields: Vec<Evidence> = Field::ALL
            .iter()
            .map(|f| {
                let level = pattern.level(*f);
                let (weight, frequency_adjusted) = self.part(a, *f, level);
                Evidence {
                    field: f.label(),
                    level: level.and_then(|l| f.levels().get(l).copied()),
                    weight,
                    frequency_adjusted,
                }
            })
            .collect();
        let fields_weight = self.prior + fields.iter().map(|e| e.weight).sum::<f64>();
        let weight = self.twin_adjusted(pattern, fields_weight);
        if twin_like(pattern) {
            // Shown as a line of its own, so a reviewer sees why a pair that agrees on
            // nearly everything scores low (or why it does not, where the data has no twins).
            fields.push(Evidence {
                field: "twins",
                level: Some("different given names, same birthday"),
                weight: weight - fields_weight,
                frequency_adjusted: false,
            });
        }
        Explanation {
            prior: self.prior,
            fields,
            weight,
            probability: probability(weight),
        }
    }
}

/// Pairs that conflicting verified identifiers keep apart, whatever else agrees: two
/// different UPNs or NHS numbers are two children. Only a person's decision joins them.
pub fn conflicting(pattern: Pattern) -> bool {
    pattern.level(Field::Upn) == Some(1) || pattern.level(Field::NhsNumber) == Some(1)
}

/// Pairs that look like twins: different given names, the same birthday or nearly (a day
/// and month swapped, one part mistyped), and no identifier to compare. The fields' weights
/// assume they are independent; twins break that, agreeing on everything a family shares,
/// so such a pair's probability is scaled by [`crate::model::Model::twin_share`].
pub fn twin_like(pattern: Pattern) -> bool {
    pattern.level(Field::GivenName) == Some(GIVEN_DIFFERENT)
        && pattern
            .level(Field::DateOfBirth)
            .is_some_and(|level| level <= DOB_NEARLY)
        && pattern.level(Field::Upn).is_none()
        && pattern.level(Field::NhsNumber).is_none()
}

/// Below this probability two records with different given names are taken to be two
/// children: clustering never puts them in one person through a third record, and a twin-like
/// pair is not queued. From it up to the match threshold, a twin-like pair is in doubt and is
/// queued for a person, whatever the review band: where the data holds both twins and
/// duplicates with changed given names, the twin share puts such pairs anywhere between, and
/// a person with the records in front of them (a parent's name, a school) often can tell.
///
/// Measured (BENCHMARKS.md, "Holding apart on evidence"): holding apart below the match
/// threshold instead, as a different given name had to score like a match to stay in a
/// person, split one child's records wherever one of them had a changed given name (148 of
/// the 206 joins refused on childgen-medium; recall 0.827 there against 0.894 at 0.05).
pub const TWO_CHILDREN_BELOW: f64 = 0.05;

/// Whether a pair is a twin-like pair in doubt (see [`TWO_CHILDREN_BELOW`]), at probability
/// `p`.
pub fn doubtful_twins(pattern: Pattern, p: f64) -> bool {
    twin_like(pattern) && p >= TWO_CHILDREN_BELOW
}

/// The date-of-birth levels that count as "the same birthday or nearly" for [`twin_like`]:
/// exact, day and month swapped, one part different.
const DOB_NEARLY: usize = 2;

/// Whether two records must not be in one person: conflicting identifiers, a
/// [`disputed_identifier`], or different given
/// names (with no identifier agreeing) whose own pair says two children (a probability below
/// [`TWO_CHILDREN_BELOW`], twin share included in `weight`, the pair's weight in bits).
/// Clustering asks this of every pair across two groups before joining them, so records are
/// not chained into one person through a third (a shared address, a common surname, a twin's
/// police record) against the evidence of the pair itself. Given names that are variants of
/// each other (a nickname, a typo, initials, a middle name) never hold apart.
pub fn held_apart(pattern: Pattern, weight: f64) -> bool {
    if conflicting(pattern) || disputed_identifier(pattern) {
        return true;
    }
    !identifier_agrees(pattern)
        && pattern.level(Field::GivenName) == Some(GIVEN_DIFFERENT)
        && probability(weight) < TWO_CHILDREN_BELOW
}

fn identifier_agrees(pattern: Pattern) -> bool {
    pattern.level(Field::Upn) == Some(0) || pattern.level(Field::NhsNumber) == Some(0)
}

/// Pairs no score can decide alone: one given name could be the other's initials or a part
/// of it ("J" and "Jayden"), and no identifier agrees. A twin's initials are his brother's
/// too, so such a pair is never linked automatically; it goes to a person for review.
///
/// Also a [`disputed_identifier`]: the same valid number on two records that agree on neither
/// given name nor birthday.
pub fn undecided(pattern: Pattern) -> bool {
    (pattern.level(Field::GivenName) == Some(GIVEN_INITIALS) && !identifier_agrees(pattern))
        || disputed_identifier(pattern)
}

/// The same UPN or NHS number on two records whose given names and dates of birth both
/// differ: nothing else supports the number, and a sibling's number written on the wrong
/// form looks exactly like this (on childgen's high-noise set, 20 of its 32 mixed clusters
/// came from such pairs). A shared valid number joins records without a score everywhere
/// else; this pair is neither joined nor parted by the engine, but queued for a person.
pub fn disputed_identifier(pattern: Pattern) -> bool {
    identifier_agrees(pattern)
        && pattern.level(Field::GivenName) == Some(GIVEN_DIFFERENT)
        && pattern.level(Field::DateOfBirth) == Some(DOB_DIFFERENT)
}

/// The date-of-birth level of two dates that are not near each other in any way.
const DOB_DIFFERENT: usize = 4;
