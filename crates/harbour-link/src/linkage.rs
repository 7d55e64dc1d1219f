//! The whole linkage run: prepare, block, compare, learn the model, score, cluster.

use crate::blocking::{self, Blocks, Keys, Limits};
use crate::bound::{self, Bound, Sketch, Verdict};
use crate::cluster::{self, Edge};
use crate::compare::{Field, Pattern, compare};
use crate::model::{Comparison, Model, estimate_u, fit_prior};
use crate::record::{Prepared, Record};
use crate::score::{
    Scorer, TermFrequencies, conflicting, disputed_identifier, doubtful_twins, held_apart,
    probability, twin_like, undecided,
};
use crate::twins::{LabelledPair, SexedPair};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// What a run may be tuned by.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Pairs at or above this probability are linked automatically.
    pub match_probability: f64,
    /// Pairs from this probability up to the match probability go to a person for review.
    pub review_probability: f64,
    /// Blocks larger than this are skipped.
    pub max_block: usize,
    /// Each blocking rule compares at most this many pairs per record, its smallest blocks
    /// first (see `blocking`): what keeps the work linear however the keys fall.
    pub block_pairs_per_record: usize,
    /// Random pairs drawn to estimate u.
    pub u_pairs: usize,
    /// Seed for drawing the random pairs, so a run is repeatable.
    pub seed: u64,
    pub em_tolerance: f64,
    pub em_max_iterations: usize,
    /// Pairs from the first this-many of [`blocking::RULES`] may be linked automatically;
    /// pairs that only a later (looser) rule found go to review however high they score.
    pub linking_rules: usize,
    /// Keep the candidate pairs in [`Linkage::candidates`], for measuring blocking (pair
    /// completeness) against a known truth; off by default, as they cost 8 bytes a pair.
    pub keep_candidates: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            match_probability: 0.99,
            // Measured on the synthetic county: below 0.95 the pairs held back are almost
            // all different people; reviewers' time goes where the doubt is.
            review_probability: 0.95,
            max_block: 1_000,
            // Measured on FEBRL, pseudopeople and childgen: 1.5 a record loses about 0.5% of
            // the true pairs that 3 finds, and 5 finds few more than 3 at two thirds more
            // pairs (bench/README.md).
            block_pairs_per_record: 3,
            u_pairs: 1_000_000,
            seed: 1,
            em_tolerance: 1e-5,
            em_max_iterations: 200,
            linking_rules: LINKING_RULES,
            keep_candidates: false,
        }
    }
}

pub use crate::cluster::Decision;

/// How many of [`blocking::RULES`] may link pairs without a person: see
/// [`Settings::linking_rules`]. All of them. Until the prior was fitted over all pairs, only the
/// first eight could: the prior fitted to the candidates counted the agreement that made a pair
/// a candidate twice, more so the looser the rule, and letting every rule link took FEBRL 2's
/// precision from 0.995 to 0.881. With the prior over all pairs, every rule linking keeps
/// precision at 0.99 or more on the test bed (BENCHMARKS.md, "Scores that mean what they say").
pub const LINKING_RULES: usize = blocking::RULES.len();

/// A compared pair with its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    pub a: u32,
    pub b: u32,
    pub pattern: Pattern,
    pub weight: f64,
    pub probability: f64,
    /// The index in [`blocking::RULES`] of the rule that made the pair a candidate.
    pub rule: u8,
}

/// A candidate pair as the run keeps it between comparing and scoring.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    a: u32,
    b: u32,
    /// The comparison, or `None` where the bound ruled the pair out before its names were
    /// compared (see [`crate::bound`]).
    pattern: Option<Pattern>,
    rule: u8,
    /// Bits of evidence without a prior, the pair's own; for a pair the bound ruled out, only
    /// where it was sampled for the prior's fit (otherwise NaN: kept only for measuring).
    evidence: f32,
}

/// Two record indices as one map key, smaller first.
fn pair_key(x: u32, y: u32) -> u64 {
    (u64::from(x.min(y)) << 32) | u64::from(x.max(y))
}

/// A hasher for [`pair_key`]s: the splitmix64 finaliser, much cheaper than the default
/// SipHash, which guards against keys chosen by an attacker (these are record indices).
#[derive(Debug, Default, Clone, Copy)]
struct PairHasher(u64);

impl std::hash::Hasher for PairHasher {
    fn finish(&self) -> u64 {
        splitmix(self.0)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8) | u64::from(*byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type PairMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<PairHasher>>;

/// Wall time per step, for finding where a run spends it.
struct Stopwatch {
    last: std::time::Instant,
    laps: Vec<(&'static str, f64)>,
}

impl Stopwatch {
    fn start() -> Self {
        Stopwatch {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, step: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((step, (now - self.last).as_secs_f64()));
        self.last = now;
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Seconds each step took.
    pub seconds_by_step: Vec<(&'static str, f64)>,
    pub records: usize,
    pub candidate_pairs: usize,
    /// Candidate pairs by the blocking rule that produced them.
    pub pairs_by_rule: Vec<(&'static str, usize)>,
    pub blocks_skipped: usize,
    /// Candidate pairs the bound ruled out before their names were compared: even at their
    /// most they could not reach the review floor (see [`crate::bound`]).
    pub pairs_not_compared: usize,
    pub distinct_patterns: usize,
    pub em_iterations: usize,
    pub linked_pairs: usize,
    pub held_apart: usize,
    pub clusters: usize,
    pub review_pairs: usize,
    /// What the twin share was learnt from, from how many twin-like pairs (each counted by how
    /// likely its other fields make it one child), and the share (see [`Model::twin_share`]
    /// and [`crate::twins`]).
    pub twin_evidence: crate::twins::Source,
    pub twin_pairs: f64,
    pub twin_share: f64,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Linkage {
    pub scorer: Scorer,
    /// A cluster number per record, in the records' order.
    pub clusters: Vec<u32>,
    /// Pairs for a person to decide: in the uncertain band, not held apart, and not already in
    /// one cluster.
    pub review: Vec<ScoredPair>,
    /// Every candidate pair blocking produced, when [`Settings::keep_candidates`] asked for
    /// them (otherwise empty).
    pub candidates: Vec<(u32, u32)>,
    /// The match probability of each of [`Linkage::candidates`], in the same order (empty
    /// when they were not kept): for measuring calibration against a known truth.
    pub candidate_probabilities: Vec<f64>,
    pub stats: Stats,
}

/// Where EM starts: agreement likely among matches, every level possible.
pub fn starting_m() -> Vec<Vec<f64>> {
    vec![
        vec![0.85, 0.04, 0.04, 0.03, 0.02, 0.01, 0.03],
        vec![0.85, 0.04, 0.03, 0.03, 0.05],
        vec![0.90, 0.02, 0.04, 0.01, 0.03],
        vec![0.80, 0.05, 0.05, 0.10],
        vec![0.98, 0.02],
        vec![0.99, 0.01],
        vec![0.99, 0.01],
    ]
}

fn level_counts() -> Vec<usize> {
    Field::ALL.iter().map(|f| f.levels().len()).collect()
}

/// u from pairs drawn at random (a splitmix64 sequence from the seed).
fn random_u(records: &[Prepared], pairs: usize, seed: u64) -> Vec<Vec<f64>> {
    let n = records.len() as u64;
    if n < 2 {
        return estimate_u(&[], &level_counts());
    }
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        splitmix(state)
    };
    // Drawing more pairs than a small list has is pointless.
    let pairs = (pairs as u64).min(n * (n - 1) / 2) as usize;
    let drawn: Vec<(usize, usize)> = (0..pairs)
        .filter_map(|_| {
            let (i, j) = (next() % n, next() % n);
            (i != j).then_some((i as usize, j as usize))
        })
        .collect();
    let patterns: Vec<Pattern> = drawn
        .par_iter()
        .filter_map(|(i, j)| Some(compare(records.get(*i)?, records.get(*j)?)))
        .collect();
    estimate_u(&distinct(&patterns), &level_counts())
}

/// A training block: records sharing one value, with the fields that value fixes (which the
/// block can say nothing about).
struct Training {
    key: fn(&Prepared) -> Option<u64>,
    fixes: &'static [Field],
}

/// About how many pairs each training block set is sampled down to.
const TRAINING_PAIRS: u64 = 2_000_000;

const TRAINING: [Training; 2] = [
    // Pairs born on the same day: what names, postcodes and identifiers look like in matches.
    Training {
        key: |r| {
            r.date_of_birth
                .map(|d| (i64::from(d.to_julian_day()) as u64) | (1 << 40))
        },
        fixes: &[Field::DateOfBirth],
    },
    // Pairs with the same names: what dates of birth, postcodes and identifiers look like.
    Training {
        key: |r| {
            (!r.given.is_empty() && !r.family.is_empty())
                .then(|| blocking::hash(&[r.family.as_bytes(), r.given.as_bytes()]))
        },
        fixes: &[Field::GivenName, Field::FamilyName],
    },
];

/// Learns m by EM within each training block, as Splink does: each block leaves out the
/// fields it fixes, and each field's m comes from the blocks where it was free to vary.
fn train_m(prepared: &[Prepared], u: &[Vec<f64>], settings: &Settings) -> (Vec<Vec<f64>>, usize) {
    let mut sums: Vec<Vec<f64>> = starting_m().iter().map(|r| vec![0.0; r.len()]).collect();
    let mut runs = vec![0usize; Field::ALL.len()];
    let mut iterations = 0;
    for training in &TRAINING {
        let mut keys: Vec<[u64; 1]> = prepared
            .par_iter()
            .map(|r| [(training.key)(r).unwrap_or(0)])
            .collect();
        // Whole blocks are sampled (by key), never single records, so the matches inside a
        // kept block are all still there; enough blocks are kept for about TRAINING_PAIRS.
        let mut sizes: HashMap<u64, u64> = HashMap::new();
        for [key] in &keys {
            if *key != 0 {
                *sizes.entry(*key).or_default() += 1;
            }
        }
        let pairs: u64 = sizes.values().map(|n| n * n.saturating_sub(1) / 2).sum();
        let keep_one_in = pairs.div_ceil(TRAINING_PAIRS).max(1);
        if keep_one_in > 1 {
            for [key] in &mut keys {
                if *key % keep_one_in != 0 {
                    *key = 0;
                }
            }
        }
        let blocks = Blocks::new(&mut keys, Limits::size_only(settings.max_block));
        let patterns: Vec<Pattern> = blocks.par_map(&keys, |_, a, b| {
            let mut levels = compare(prepared.get(a as usize)?, prepared.get(b as usize)?).levels();
            for field in training.fixes {
                if let Some(level) = levels.get_mut(field.index()) {
                    *level = None;
                }
            }
            Some(Pattern::from_levels(levels))
        });
        if patterns.is_empty() {
            continue;
        }
        let start = Model {
            lambda: 0.1,
            m: starting_m(),
            u: u.to_vec(),
            twin_share: 1.0,
        };
        let (model, used) = Model::fit_m(
            start,
            &distinct(&patterns),
            settings.em_tolerance,
            settings.em_max_iterations,
        );
        iterations += used;
        for field in Field::ALL {
            if training.fixes.contains(&field) {
                continue;
            }
            if let (Some(sum), Some(m), Some(n)) = (
                sums.get_mut(field.index()),
                model.m.get(field.index()),
                runs.get_mut(field.index()),
            ) {
                sum.iter_mut().zip(m).for_each(|(s, m)| *s += m);
                *n += 1;
            }
        }
    }
    let m = sums
        .into_iter()
        .zip(runs)
        .zip(starting_m())
        .map(|((sum, n), start)| {
            if n == 0 {
                start
            } else {
                sum.iter().map(|s| s / n as f64).collect()
            }
        })
        .collect();
    (m, iterations)
}

/// At most about this many pairs the bound ruled out are compared after all, for the prior's
/// fit (see `link`): a sample that costs a tenth of a second, taken only where they are more.
const PRIOR_SAMPLE: usize = 1_000_000;

/// The splitmix64 finaliser: a well-mixed 64-bit value from any other, the same in every run.
fn splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Weights of evidence (each standing for a number of pairs) rounded to a twentieth of a bit,
/// with how many pairs have each: what
/// [`fit_prior`] iterates over, a few thousand values however many pairs there are.
fn histogram(weights: impl ParallelIterator<Item = (f32, f64)>) -> Vec<(f64, f64)> {
    type Bins = HashMap<i64, f64, std::hash::BuildHasherDefault<PairHasher>>;
    // Counted in parallel: a county run has tens of millions of weights.
    let counts = weights
        .filter(|(w, _)| w.is_finite())
        .fold(Bins::default, |mut bins, (w, pairs)| {
            *bins
                .entry((f64::from(w) * 20.0).round() as i64)
                .or_default() += pairs;
            bins
        })
        .reduce(Bins::default, |mut all, part| {
            for (bin, n) in part {
                *all.entry(bin).or_default() += n;
            }
            all
        });
    let mut bins: Vec<(f64, f64)> = counts
        .into_iter()
        .map(|(k, n)| (k as f64 / 20.0, n))
        .collect();
    bins.sort_by(|a, b| a.0.total_cmp(&b.0));
    bins
}

/// Each distinct pattern with how many pairs share it.
fn distinct<'a>(patterns: impl IntoIterator<Item = &'a Pattern>) -> Vec<(Comparison, f64)> {
    let mut counts: HashMap<Pattern, f64> = HashMap::new();
    for pattern in patterns {
        *counts.entry(*pattern).or_default() += 1.0;
    }
    let mut distinct: Vec<(Comparison, f64)> = counts
        .into_iter()
        .map(|(p, n)| (p.levels().to_vec(), n))
        .collect();
    // A fixed order keeps floating-point sums, and so the model, identical run to run.
    distinct.sort_by(|a, b| a.0.cmp(&b.0));
    distinct
}

/// What the twin-like candidate pairs say about twins (see [`crate::twins`]): `labelled`, for
/// each pair that would be [`twin_like`] without its identifiers and has a UPN or NHS number
/// on both sides, its probability without them and whether they agree (pairs whose
/// identifiers both agree and conflict say nothing and are left out); `sexed`, each twin-like
/// pair whose records both give a sex. `weight(a, pattern)` is a pair's weight in bits with
/// the prior and without any twin share.
///
/// Only pairs with the very same birthday are counted, where twins are: pairs a date part
/// apart are mostly other people (two parents born in the same month of one year, on
/// pseudopeople's census, disagree on sex and read as twins). The share learnt applies to
/// every twin-like pair.
struct TwinEvidence {
    labelled: Vec<LabelledPair>,
    sexed: Vec<SexedPair>,
}

impl TwinEvidence {
    fn gather(
        candidates: &[Candidate],
        weight: impl Fn(u32, Pattern) -> f64 + Sync,
    ) -> TwinEvidence {
        let labelled = candidates
            .par_iter()
            .filter_map(|c| {
                let (a, pattern) = (c.a, c.pattern?);
                let ids = [pattern.level(Field::Upn), pattern.level(Field::NhsNumber)];
                if ids.iter().all(Option::is_none) {
                    return None;
                }
                let mut levels = pattern.levels();
                for f in [Field::Upn, Field::NhsNumber] {
                    if let Some(slot) = levels.get_mut(f.index()) {
                        *slot = None;
                    }
                }
                let bare = Pattern::from_levels(levels);
                let (agrees, conflicts) = (ids.contains(&Some(0)), ids.contains(&Some(1)));
                (twin_like(bare) && same_birthday(bare) && agrees != conflicts).then(|| {
                    LabelledPair {
                        without_ids: probability(weight(a, bare)),
                        one_child: agrees,
                    }
                })
            })
            .collect();
        let sexed = candidates
            .par_iter()
            .filter_map(|c| {
                let (a, pattern) = (c.a, c.pattern?);
                let sex = pattern.level(Field::Sex)?;
                let mut levels = pattern.levels();
                if let Some(slot) = levels.get_mut(Field::Sex.index()) {
                    *slot = None;
                }
                (twin_like(pattern) && same_birthday(pattern)).then(|| SexedPair {
                    without_sex: probability(weight(a, Pattern::from_levels(levels))),
                    sexes_differ: sex != 0,
                })
            })
            .collect();
        TwinEvidence { labelled, sexed }
    }
}

fn same_birthday(pattern: Pattern) -> bool {
    pattern.level(Field::DateOfBirth) == Some(0)
}

/// Pairs of records sharing a verified UPN or NHS number, each record paired with the first
/// earlier record holding the same identifier: one child, whatever the rules say, unless the
/// number is all they share ([`disputed_identifier`]; such pairs go to review).
fn identified(prepared: &[Prepared]) -> Vec<(u32, u32)> {
    let mut holders: HashMap<(bool, &str), Vec<u32>> = HashMap::new();
    let mut pairs = Vec::new();
    for (p, i) in prepared.iter().zip(0u32..) {
        let ids = [
            (true, p.upn.as_deref().filter(|_| p.verified_upn)),
            (false, p.nhs_number.as_deref().filter(|_| p.verified_nhs)),
        ];
        for (is_upn, id) in ids {
            let Some(id) = id else { continue };
            let earlier = holders.entry((is_upn, id)).or_default();
            // The first earlier holder the number is not disputed with (see
            // `disputed_identifier`): a sibling's number on one record must not pull it in.
            let undisputed = earlier.iter().copied().find(|j| {
                prepared
                    .get(*j as usize)
                    .is_some_and(|q| !disputed_identifier(compare(q, p)))
            });
            if let Some(j) = undisputed {
                pairs.push((j, i));
            }
            earlier.push(i);
        }
    }
    pairs
}

/// Links `records` into clusters. `decisions` are earlier reviewers' answers, indices into
/// `records`, oldest first: the newest decision about records wins, "same" pairs are joined
/// first, "not the same" pairs are never joined (see [`cluster`]).
pub fn link(records: &[Record], settings: &Settings, decisions: &[Decision]) -> Linkage {
    let mut clock = Stopwatch::start();
    let prepared: Vec<Prepared> = records.par_iter().map(Prepared::new).collect();
    let sounds = blocking::sounds_of(&prepared);
    let mut keys: Vec<Keys> = prepared
        .par_iter()
        .map(|p| blocking::all_keys_sounded(p, &sounds))
        .collect();
    drop(sounds);
    clock.lap("prepare");
    let blocks = Blocks::new(
        &mut keys,
        Limits {
            max_block: settings.max_block,
            pairs_per_record: settings.block_pairs_per_record,
            min_rule_pairs: blocking::MIN_RULE_PAIRS,
        },
    );
    clock.lap("block");

    // The model is learnt from random pairs and training blocks, not from the candidates, so
    // it is ready before them and the bound can rule out pairs that cannot matter.
    let u = random_u(&prepared, settings.u_pairs, settings.seed);
    clock.lap("estimate u");
    let (m, em_iterations) = train_m(&prepared, &u, settings);
    clock.lap("train m");
    let m = crate::model::ordered(&m, &u);
    // Weights without any prior first (λ = ½): the prior comes from them, over all pairs.
    let unprimed = Scorer::new(
        Model {
            lambda: 0.5,
            m: m.clone(),
            u: u.clone(),
            twin_share: 1.0,
        },
        TermFrequencies::count(&prepared),
    );
    let exact: Vec<[f64; 3]> = prepared
        .par_iter()
        .map(|p| unprimed.exact_weights(p))
        .collect();
    // The lowest probability kept: the review band's floor, or the match threshold when that
    // is lower (a threshold of 0.9 must link the pairs from 0.9, not drop those under 0.95).
    let floor = settings.review_probability.min(settings.match_probability);
    let sketches: Vec<Sketch> = prepared
        .par_iter()
        .zip(&exact)
        .map(|(p, e)| Sketch::new(p, e))
        .collect();
    let bound = Bound::new(
        &unprimed,
        floor,
        bound::prior_most(prepared.len(), blocks.pairs_at_most()),
    );
    // The pairs the bound rules out still count in the prior's fit at their own weight: all
    // of them where the blocks hold up to PRIOR_SAMPLE pairs (the list then links exactly as
    // if nothing had been ruled out), a fixed sample of them, each standing for the rest,
    // where they hold more.
    let sampled_one_in = blocks.pairs_at_most().div_ceil(PRIOR_SAMPLE).max(1) as u64;
    let (candidates, by_rule): (Vec<Candidate>, Vec<usize>) =
        blocks.par_map_counted(&keys, |rule, a, b| {
            let rule = u8::try_from(rule).ok()?;
            let (ea, sa, sb) = (
                exact.get(a as usize)?,
                sketches.get(a as usize)?,
                sketches.get(b as usize)?,
            );
            let evidence = |pattern| unprimed.weight_with(ea, pattern) as f32;
            let compared = || {
                Some(compare(
                    prepared.get(a as usize)?,
                    prepared.get(b as usize)?,
                ))
            };
            match bound.verdict(sa, sb) {
                Verdict::Beneath(_) => {
                    let sampled = splitmix(pair_key(a, b)).is_multiple_of(sampled_one_in);
                    // Kept when sampled for the prior, or to measure blocking.
                    (sampled || settings.keep_candidates).then(|| Candidate {
                        a,
                        b,
                        pattern: None,
                        rule,
                        evidence: if sampled {
                            compared().map_or(f32::NAN, evidence)
                        } else {
                            f32::NAN
                        },
                    })
                }
                Verdict::Compare => {
                    let pattern = compared()?;
                    Some(Candidate {
                        a,
                        b,
                        pattern: Some(pattern),
                        rule,
                        evidence: evidence(pattern),
                    })
                }
            }
        });
    let patterns = distinct(candidates.iter().filter_map(|c| c.pattern.as_ref()));
    let candidate_count: usize = by_rule.iter().sum();
    let not_compared = candidate_count - patterns.iter().map(|(_, n)| *n as usize).sum::<usize>();
    clock.lap("compare");

    let n = prepared.len() as f64;
    let lambda = fit_prior(
        &histogram(candidates.par_iter().filter_map(|c| {
            match c.pattern {
                Some(_) => Some((c.evidence, 1.0)),
                // NaN: ruled out and not sampled, kept only for measuring.
                None => c
                    .evidence
                    .is_finite()
                    .then_some((c.evidence, sampled_one_in as f64)),
            }
        })),
        n * (n - 1.0) / 2.0,
        settings.em_tolerance,
        settings.em_max_iterations,
    );
    let prior = (lambda / (1.0 - lambda)).log2();
    let twins = TwinEvidence::gather(&candidates, |a, pattern| {
        exact
            .get(a as usize)
            .map_or(f64::MIN, |e| prior + unprimed.weight_with(e, pattern))
    });
    let m_sex_differs = m
        .get(Field::Sex.index())
        .and_then(|levels| levels.get(1))
        .copied()
        .unwrap_or(0.0);
    let (twin_share, twin_source) =
        crate::twins::share(&twins.labelled, &twins.sexed, m_sex_differs);
    let scorer = Scorer::new(
        Model {
            lambda,
            twin_share,
            ..unprimed.model.clone()
        },
        unprimed.tf,
    );

    // The floor as a weight, so most pairs are dropped without an exponential.
    let review_weight = (floor / (1.0 - floor)).log2();
    let scored: Vec<ScoredPair> = candidates
        .par_iter()
        .filter_map(|c| {
            let (a, b, rule) = (c.a, c.b, c.rule);
            let pattern = c.pattern?;
            let fields = prior + f64::from(c.evidence);
            let weight = scorer.twin_adjusted(pattern, fields);
            // Twin-like pairs the fields alone would link are kept, however low the twin
            // share takes them, so the doubtful ones reach a person (`doubtful_twins`).
            let twin_doubt =
                twin_like(pattern) && probability(fields) >= settings.match_probability;
            // A disputed identifier is queued whatever it scores.
            let disputed = disputed_identifier(pattern);
            if weight < review_weight - 1e-6 && !twin_doubt && !disputed {
                return None;
            }
            let p = probability(weight);
            (p >= floor || doubtful_twins(pattern, p) || disputed).then_some(ScoredPair {
                a,
                b,
                pattern,
                weight,
                probability: p,
                rule,
            })
        })
        .collect();
    clock.lap("score");

    let rejected: HashSet<(u32, u32)> = decisions
        .iter()
        .filter(|d| !d.same)
        .map(|d| (d.a.min(d.b), d.a.max(d.b)))
        .collect();
    // Pairs no score decides (initials, a middle name) are never linked automatically.
    let edges: Vec<Edge> = scored
        .iter()
        .filter(|p| {
            p.probability >= settings.match_probability
                && !undecided(p.pattern)
                && usize::from(p.rule) < settings.linking_rules
        })
        .map(|p| Edge {
            a: p.a,
            b: p.b,
            weight: p.weight,
        })
        .collect();
    // Most joins are between two records already compared: reuse those comparisons.
    let compared: PairMap<(Pattern, f64)> = scored
        .iter()
        .map(|p| (pair_key(p.a, p.b), (p.pattern, p.weight)))
        .collect();
    let apart = |x: u32, y: u32| {
        if let Some((pattern, weight)) = compared.get(&pair_key(x, y)) {
            return held_apart(*pattern, *weight);
        }
        match (prepared.get(x as usize), prepared.get(y as usize)) {
            (Some(a), Some(b)) => {
                let pattern = compare(a, b);
                held_apart(pattern, scorer.weight(a, pattern))
            }
            _ => true,
        }
    };
    let clusters = cluster::cluster(
        prepared.len(),
        decisions,
        &identified(&prepared),
        &edges,
        apart,
    );

    let cluster_of = |x: u32| clusters.of.get(x as usize).copied();
    // Pairs with conflicting identifiers are not queued: two UPNs are an answer, not a doubt.
    // Undecided pairs are queued however high they score.
    let review: Vec<ScoredPair> = scored
        .iter()
        .filter(|p| {
            (p.probability < settings.match_probability
                || undecided(p.pattern)
                || usize::from(p.rule) >= settings.linking_rules)
                && !conflicting(p.pattern)
                && cluster_of(p.a) != cluster_of(p.b)
                && !rejected.contains(&(p.a.min(p.b), p.a.max(p.b)))
        })
        .copied()
        .collect();
    clock.lap("cluster");
    let stats = Stats {
        seconds_by_step: clock.laps,
        records: records.len(),
        candidate_pairs: candidate_count,
        pairs_by_rule: blocking::RULES
            .iter()
            .zip(&by_rule)
            .map(|(r, n)| (r.label(), *n))
            .collect(),
        blocks_skipped: blocks.skipped,
        pairs_not_compared: not_compared,
        distinct_patterns: patterns.len(),
        em_iterations,
        linked_pairs: edges.len() - clusters.refused.len(),
        held_apart: clusters.refused.len(),
        clusters: clusters.count,
        review_pairs: review.len(),
        twin_evidence: twin_source,
        twin_pairs: match twin_source {
            crate::twins::Source::Identifiers => twins.labelled.iter().map(|p| p.without_ids).sum(),
            crate::twins::Source::Sex => twins.sexed.iter().map(|p| p.without_sex).sum(),
            crate::twins::Source::Nothing => 0.0,
        },
        twin_share,
    };
    let candidate_probabilities = if settings.keep_candidates {
        // Measuring: the pairs the bound ruled out are compared here after all, so the
        // reliability table holds every candidate at its own probability.
        candidates
            .par_iter()
            .map(|c| match c.pattern {
                Some(pattern) => {
                    probability(scorer.twin_adjusted(pattern, prior + f64::from(c.evidence)))
                }
                None => match (prepared.get(c.a as usize), prepared.get(c.b as usize)) {
                    (Some(a), Some(b)) => probability(scorer.weight(a, compare(a, b))),
                    _ => 0.0,
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    Linkage {
        scorer,
        clusters: clusters.of,
        review,
        candidates: if settings.keep_candidates {
            candidates.iter().map(|c| (c.a, c.b)).collect()
        } else {
            Vec::new()
        },
        candidate_probabilities,
        stats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn child(given: &str, family: &str, dob: time::Date, postcode: &str) -> Record {
        Record {
            given_name: given.into(),
            family_name: family.into(),
            date_of_birth: Some(dob),
            sex: Some("M".into()),
            postcode: postcode.into(),
            upn: None,
            nhs_number: None,
            aliases: Vec::new(),
        }
    }

    /// A small town: unrelated children, each recorded twice with a little noise, and one pair
    /// of twins recorded by school (with UPNs) and police (without).
    fn town() -> (Vec<Record>, Vec<u32>) {
        let mut records = Vec::new();
        let mut truth = Vec::new();
        let given = [
            "Oliver", "Noah", "Amelia", "Isla", "George", "Ava", "Leo", "Mia",
        ];
        let family = [
            "Hartley", "Ashworth", "Fernby", "Lockwood", "Stanton", "Whitmore",
        ];
        for i in 0..300u32 {
            let g = given[(i % 8) as usize];
            let f = family[(i / 8 % 6) as usize];
            let dob = date!(2008 - 01 - 01) + time::Duration::days(i64::from(i * 7 % 3000));
            let postcode = format!("BN{} {}AB", i % 20, i % 9);
            let mut first = child(g, f, dob, &postcode);
            first.upn = Some(format!("UPN{i:05}"));
            records.push(first);
            let typo = if i % 5 == 0 {
                format!("{g}e")
            } else {
                g.to_owned()
            };
            records.push(child(&typo, f, dob, &postcode));
            truth.extend([i, i]);
        }
        let twins = date!(2011 - 03 - 09);
        for (n, name) in ["Jacob", "Harvey"].iter().enumerate() {
            let mut school = child(name, "Mercer", twins, "BN7 2LD");
            school.upn = Some(format!("TWIN{n}"));
            records.push(school);
            records.push(child(name, "Mercer", twins, "BN7 2LD"));
            truth.extend([1000 + n as u32; 2]);
        }
        (records, truth)
    }

    #[test]
    fn links_a_town_and_never_merges_twins() {
        let (records, truth) = town();
        let linkage = link(&records, &Settings::default(), &[]);
        let scores = crate::evaluate::score(&linkage.clusters, &truth);
        assert!(scores.precision >= 0.995, "{scores:?}");
        assert!(scores.recall >= 0.95, "{scores:?}");
        let n = records.len();
        let (jacob, harvey) = (n - 4, n - 2);
        assert_eq!(linkage.clusters[jacob], linkage.clusters[jacob + 1]);
        assert_eq!(linkage.clusters[harvey], linkage.clusters[harvey + 1]);
        assert_ne!(
            linkage.clusters[jacob], linkage.clusters[harvey],
            "twins share a birthday, a surname and an address, and stay two children"
        );
    }

    #[test]
    fn a_changed_given_name_is_one_child_where_the_data_shows_no_twins() {
        // No identifiers and no sex anywhere: nothing says twins exist, so the fields decide.
        let (mut records, _) = town();
        records.truncate(600);
        for r in &mut records {
            r.upn = None;
            r.sex = None;
        }
        let born = date!(2010 - 10 - 02);
        for given in ["Oliver", "Ezekiel"] {
            let mut r = child(given, "Quennell", born, "BN9 4XY");
            r.sex = None;
            records.push(r);
        }
        let n = records.len();
        let linkage = link(&records, &Settings::default(), &[]);
        assert_eq!(linkage.stats.twin_evidence, crate::twins::Source::Nothing);
        assert_eq!(
            linkage.clusters[n - 2],
            linkage.clusters[n - 1],
            "no rule holds them apart: {:?}",
            linkage.scorer.explain(
                &Prepared::new(&records[n - 2]),
                &Prepared::new(&records[n - 1])
            )
        );
    }

    #[test]
    fn a_siblings_number_on_one_record_goes_to_a_person() {
        let (mut records, _) = town();
        let upn = "A820200007001";
        let mut ruby = child("Ruby", "Quennell", date!(2010 - 01 - 05), "BN9 4XY");
        ruby.upn = Some(upn.into());
        let ruby_police = child("Ruby", "Quennell", date!(2010 - 01 - 05), "BN9 4XY");
        // Her brother's school record, with her UPN copied onto it.
        let mut kai = child("Kai", "Quennell", date!(2012 - 07 - 21), "BN9 4XY");
        kai.upn = Some(upn.into());
        let kai_health = child("Kai", "Quennell", date!(2012 - 07 - 21), "BN9 4XY");
        let at = records.len();
        records.extend([ruby, ruby_police, kai, kai_health]);
        assert!(Prepared::new(&records[at]).verified_upn, "a valid UPN");
        let linkage = link(&records, &Settings::default(), &[]);
        let c = &linkage.clusters;
        assert_eq!(c[at], c[at + 1]);
        assert_eq!(c[at + 2], c[at + 3]);
        assert_ne!(c[at], c[at + 2], "the number is all they share");
        assert!(
            linkage
                .review
                .iter()
                .any(|p| (p.a as usize, p.b as usize) == (at, at + 2)),
            "and a person decides"
        );
    }

    #[test]
    fn reviewers_decisions_override_the_score() {
        let (records, _) = town();
        let first = link(&records, &Settings::default(), &[]);
        assert_eq!(first.clusters[0], first.clusters[1]);
        let decided = link(
            &records,
            &Settings::default(),
            &[
                Decision {
                    a: 0,
                    b: 1,
                    same: false,
                },
                Decision {
                    a: 2,
                    b: 4,
                    same: true,
                },
            ],
        );
        assert_ne!(decided.clusters[0], decided.clusters[1], "told apart");
        assert_eq!(decided.clusters[2], decided.clusters[4], "told together");
    }

    /// The case of issue 15: one boy's records from two schools under his UPN, his last
    /// school's roll under his initials with no UPN, and a police victim record under
    /// initials, in a town of other children.
    fn the_boy_under_his_initials() -> (Vec<Record>, [usize; 4]) {
        let mut records = town().0;
        let born = date!(2009 - 06 - 14);
        let mut first = child("Jayden", "Okonkwo", born, "BN7 2LD");
        first.upn = Some("A820200007001".into());
        let mut second = first.clone();
        second.postcode = "BN7 2QS".into();
        let last = child("J", "Okonkwo", born, "BN7 2QS");
        let police = child("J", "Okonkwo", born, "BN7 2QS");
        let at = records.len();
        records.extend([first, second, last, police]);
        (records, [at, at + 1, at + 2, at + 3])
    }

    #[test]
    fn initials_go_to_review_rather_than_being_held_apart() {
        let (records, [first, second, last, police]) = the_boy_under_his_initials();
        let linkage = link(&records, &Settings::default(), &[]);
        let c = &linkage.clusters;
        assert_eq!(c[first], c[second], "same UPN");
        assert_eq!(c[last], c[police], "the same initials, dob and address");
        assert_ne!(c[first], c[last], "initials alone do not decide");
        let them = |p: &ScoredPair| {
            let (a, b) = (p.a as usize, p.b as usize);
            [first, second].contains(&a.min(b)) && [last, police].contains(&a.max(b))
        };
        assert!(
            linkage.review.iter().any(them),
            "a person decides whether J is Jayden: {:?}",
            linkage.stats
        );
    }

    #[test]
    fn a_merge_holds_and_never_splits_records_sharing_a_upn() {
        let (records, [first, second, last, police]) = the_boy_under_his_initials();
        let merged = Decision {
            a: first as u32,
            b: last as u32,
            same: true,
        };
        let linkage = link(&records, &Settings::default(), &[merged]);
        let c = &linkage.clusters;
        assert_eq!(c[first], c[last], "the reviewer's merge holds");
        assert_eq!(c[first], c[second], "records sharing a UPN stay together");
        assert_eq!(c[last], c[police], "and he is one person, not three");
    }

    #[test]
    fn the_newest_decision_about_a_pair_wins() {
        let (records, _) = town();
        let (same, apart) = (
            Decision {
                a: 0,
                b: 2,
                same: true,
            },
            Decision {
                a: 0,
                b: 2,
                same: false,
            },
        );
        let c = link(&records, &Settings::default(), &[same, apart]).clusters;
        assert_ne!(c[0], c[2], "told together, then told apart");
        let c = link(&records, &Settings::default(), &[apart, same]).clusters;
        assert_eq!(c[0], c[2], "told apart, then told together");
    }

    #[test]
    fn a_person_can_part_records_sharing_a_upn() {
        let (records, [first, second, ..]) = the_boy_under_his_initials();
        let split = Decision {
            a: first as u32,
            b: second as u32,
            same: false,
        };
        let c = link(&records, &Settings::default(), &[split]).clusters;
        assert_ne!(c[first], c[second], "only a person's split parts a UPN");
    }

    #[test]
    fn a_pair_only_a_loose_rule_found_is_queued_when_only_the_stored_rules_link() {
        let (mut records, _) = town();
        // The same rare names twice, with no date or postcode on the second: only the names'
        // sounds bring them together, and the model alone would link them.
        let mut first = child("Zebedee", "Quartermaine", date!(2010 - 06 - 01), "BN1 1AA");
        first.upn = None;
        let mut second = first.clone();
        second.date_of_birth = None;
        second.postcode = String::new();
        records.push(first);
        records.push(second);
        let n = records.len();
        let all = Settings {
            keep_candidates: true,
            ..Settings::default()
        };
        let found = link(&records, &all, &[]);
        assert!(found.candidates.contains(&((n - 2) as u32, (n - 1) as u32)));
        let cautious = link(
            &records,
            &Settings {
                linking_rules: blocking::STORED,
                ..Settings::default()
            },
            &[],
        );
        assert_ne!(
            cautious.clusters[n - 2],
            cautious.clusters[n - 1],
            "not linked on a loose rule alone"
        );
        assert_eq!(
            found.clusters[n - 2],
            found.clusters[n - 1],
            "the model links them"
        );
        assert!(
            cautious
                .review
                .iter()
                .any(|p| p.a == (n - 2) as u32 && p.b == (n - 1) as u32),
            "a pair the model would link goes to review instead"
        );
    }

    #[test]
    fn candidates_are_kept_only_when_asked_for() {
        let (records, truth) = town();
        assert!(
            link(&records, &Settings::default(), &[])
                .candidates
                .is_empty()
        );
        let settings = Settings {
            keep_candidates: true,
            ..Settings::default()
        };
        let linkage = link(&records, &settings, &[]);
        assert_eq!(linkage.candidates.len(), linkage.stats.candidate_pairs);
        let found = crate::evaluate::pair_completeness(&linkage.candidates, &truth);
        assert_eq!(found.true_pairs, 302);
        assert!(found.completeness > 0.99, "{found:?}");
    }

    #[test]
    fn a_record_with_nothing_to_link_on_is_its_own_person() {
        let mut records = town().0;
        records.push(Record::default());
        let linkage = link(&records, &Settings::default(), &[]);
        let last = *linkage.clusters.last().unwrap();
        assert_eq!(linkage.clusters.iter().filter(|c| **c == last).count(), 1);
        assert_eq!(linkage.clusters.len(), records.len(), "nobody dropped");
    }
}
