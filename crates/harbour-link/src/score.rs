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
            if !value.is_empty() {
                *table.entry(value.clone()).or_insert(0) += 1;
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
        total
    }

    /// The pair's score, field by field, for a reviewer.
    pub fn explain(&self, a: &Prepared, b: &Prepared) -> Explanation {
        let pattern = compare(a, b);
        let fields: Vec<Evidence> = Field::ALL
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
        let weight = self.prior + fields.iter().map(|e| e.weight).sum::<f64>();
        Explanation {
            prior: self.prior,
            fields,
            weight,
            probability: probability(weight),
        }
    }
}

/// Pairs that must never be put together automatically, however high their score: conflicting
/// verified identifiers, or different given names with no identifier agreeing (twins and
/// siblings share a surname, an address and sometimes a birthday, and little else). Given
/// names that are variants of each other (a nickname, a typo, initials, a middle name) are
/// never a reason to hold apart.
pub fn held_apart(pattern: Pattern) -> bool {
    let level = |f| pattern.level(f);
    if level(Field::Upn) == Some(1) || level(Field::NhsNumber) == Some(1) {
        return true;
    }
    if identifier_agrees(pattern) {
        return false;
    }
    level(Field::GivenName) == Some(GIVEN_DIFFERENT)
}

fn identifier_agrees(pattern: Pattern) -> bool {
    pattern.level(Field::Upn) == Some(0) || pattern.level(Field::NhsNumber) == Some(0)
}

/// Pairs no score can decide alone: one given name could be the other's initials or a part
/// of it ("J" and "Jayden"), and no identifier agrees. A twin's initials are his brother's
/// too, so such a pair is never linked automatically; it goes to a person for review.
pub fn undecided(pattern: Pattern) -> bool {
    pattern.level(Field::GivenName) == Some(GIVEN_INITIALS) && !identifier_agrees(pattern)
}
