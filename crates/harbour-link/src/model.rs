//! The Fellegi–Sunter model: for each field, the probability of each comparison level among
//! true matches (m) and among non-matches (u), and the share of pairs that match (λ).
//!
//! u comes from pairs drawn at random (almost all of which are non-matches); m and λ are
//! estimated by expectation–maximisation from unlabelled candidate pairs, so no labelled
//! training data is needed. A pair's match weight is the sum of each field's log2(m/u), which
//! keeps every field's contribution for explaining the score.

/// One pair's comparison: for each field, the level index reached, or `None` when either
/// record lacks the value (no evidence either way).
pub type Comparison = Vec<Option<usize>>;

/// The m and u probabilities per field and level, and the prior share of matches.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Model {
    pub lambda: f64,
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    /// Of the pairs that look like twins (different given names, the same birthday or
    /// nearly, no identifier to compare: [`crate::score::twin_like`]) and that the other fields
    /// alone would link, the share that are one child. The fields are scored as if
    /// independent, but twins agree on everything a family shares, so such a pair scores as
    /// high as a duplicate whose given name was written beyond recognition; the fields can
    /// say "one family, one birthday", not which of twin and duplicate. A twin-like pair's
    /// probability is the fields' probability times this share. Learnt from the data (see
    /// [`crate::twins`]): 1 where it shows no twins (FEBRL's sets), near 0 where twins are
    /// common and names are kept well. Models stored before this existed read as 1.
    #[serde(default = "all_one_child")]
    pub twin_share: f64,
}

fn all_one_child() -> f64 {
    1.0
}

/// Smallest probability kept for any level, so a level never seen does not make a weight
/// infinite.
const FLOOR: f64 = 1e-6;

fn normalised(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    counts
        .iter()
        .map(|c| {
            if total > 0.0 {
                (c / total).max(FLOOR)
            } else {
                1.0 / counts.len() as f64
            }
        })
        .collect()
}

/// u probabilities from random pairs: how often each level occurs when records are unrelated.
/// `levels[f]` is the number of levels field `f` has.
/// Each comparison comes with how many pairs share it.
pub fn estimate_u(random_pairs: &[(Comparison, f64)], levels: &[usize]) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = levels.iter().map(|n| vec![0.0; *n]).collect();
    for (pair, n) in random_pairs {
        for (field, level) in pair.iter().enumerate() {
            if let (Some(level), Some(row)) = (level, counts.get_mut(field))
                && let Some(slot) = row.get_mut(*level)
            {
                *slot += n;
            }
        }
    }
    counts.iter().map(|c| normalised(c)).collect()
}

impl Model {
    /// The weight of evidence for a match, in bits, with each field's part.
    pub fn weights(&self, pair: &[Option<usize>]) -> (f64, Vec<f64>) {
        let prior = (self.lambda / (1.0 - self.lambda)).log2();
        let parts: Vec<f64> = pair
            .iter()
            .enumerate()
            .map(|(field, level)| match level {
                Some(level) => {
                    let m = self
                        .m
                        .get(field)
                        .and_then(|r| r.get(*level))
                        .copied()
                        .unwrap_or(FLOOR);
                    let u = self
                        .u
                        .get(field)
                        .and_then(|r| r.get(*level))
                        .copied()
                        .unwrap_or(FLOOR);
                    (m / u).log2()
                }
                None => 0.0,
            })
            .collect();
        (prior + parts.iter().sum::<f64>(), parts)
    }

    /// The probability that the pair is a match.
    pub fn probability(&self, pair: &[Option<usize>]) -> f64 {
        let (weight, _) = self.weights(pair);
        let odds = weight.exp2();
        odds / (1.0 + odds)
    }

    /// Estimates m and λ by expectation–maximisation over candidate pairs, holding u fixed,
    /// starting from `start`. Each comparison comes with how many pairs share it, so a million
    /// pairs that fall into a few thousand distinct patterns cost a few thousand steps per
    /// iteration. Stops when no parameter moves by more than `tolerance`, or after
    /// `max_iterations`. Returns the model and the iterations used.
    pub fn fit_m(
        start: Model,
        pairs: &[(Comparison, f64)],
        tolerance: f64,
        max_iterations: usize,
    ) -> (Model, usize) {
        let mut model = start;
        let total: f64 = pairs.iter().map(|(_, n)| n).sum();
        for iteration in 1..=max_iterations {
            let mut m_counts: Vec<Vec<f64>> = model.m.iter().map(|r| vec![0.0; r.len()]).collect();
            let mut total_match = 0.0;
            for (pair, count) in pairs {
                let p = model.probability(pair) * count;
                total_match += p;
                for (field, level) in pair.iter().enumerate() {
                    if let (Some(level), Some(row)) = (level, m_counts.get_mut(field))
                        && let Some(slot) = row.get_mut(*level)
                    {
                        *slot += p;
                    }
                }
            }
            let new_m: Vec<Vec<f64>> = m_counts.iter().map(|c| normalised(c)).collect();
            let new_lambda = (total_match / total.max(1.0)).clamp(FLOOR, 1.0 - FLOOR);
            let moved = new_m
                .iter()
                .flatten()
                .zip(model.m.iter().flatten())
                .map(|(a, b)| (a - b).abs())
                .fold((new_lambda - model.lambda).abs(), f64::max);
            model.m = new_m;
            model.lambda = new_lambda;
            if moved < tolerance {
                return (model, iteration);
            }
        }
        (model, max_iterations)
    }
}

impl Model {
    /// Estimates λ alone by expectation–maximisation, holding m and u fixed: the share of
    /// matches among `pairs`.
    pub fn fit_lambda(
        mut self,
        pairs: &[(Comparison, f64)],
        tolerance: f64,
        max_iterations: usize,
    ) -> Model {
        let total: f64 = pairs.iter().map(|(_, n)| n).sum();
        for _ in 0..max_iterations {
            let matched: f64 = pairs
                .iter()
                .map(|(pair, n)| self.probability(pair) * n)
                .sum();
            let lambda = (matched / total.max(1.0)).clamp(FLOOR, 1.0 - FLOOR);
            let moved = (lambda - self.lambda).abs();
            self.lambda = lambda;
            if moved < tolerance {
                break;
            }
        }
        self
    }
}

/// Estimates λ as the probability that two records drawn at random are the same person, by
/// expectation–maximisation over every pair of the list: the candidate pairs with their
/// weights of evidence (`weights`, in bits, without any prior; each with how many pairs share
/// it), and the `all_pairs - candidates` pairs blocking never made, counted as non-matches.
///
/// Why over all pairs and not over the candidates: each candidate's weight already counts the
/// agreement that made it a candidate (the same birthday, the same name's sound), from u
/// measured on random pairs. A prior fitted to the candidates would count that agreement a
/// second time, and more so the more rules there are, since each looser rule adds
/// non-matches that agree on its key. Splink's "probability two random records match" is the
/// same quantity.
pub fn fit_prior(
    weights: &[(f64, f64)],
    all_pairs: f64,
    tolerance: f64,
    max_iterations: usize,
) -> f64 {
    const SMALLEST: f64 = 1e-15;
    let candidates: f64 = weights.iter().map(|(_, n)| n).sum();
    let all_pairs = all_pairs.max(candidates).max(1.0);
    // Start as if a tenth of the candidates were matches.
    let mut lambda = (0.1 * candidates / all_pairs).clamp(SMALLEST, 0.5);
    for _ in 0..max_iterations {
        let prior = (lambda / (1.0 - lambda)).log2();
        let matched: f64 = weights
            .iter()
            .map(|(w, n)| {
                let odds = (w + prior).exp2();
                let p = if odds.is_infinite() {
                    1.0
                } else {
                    odds / (1.0 + odds)
                };
                p * n
            })
            .sum();
        let next = (matched / all_pairs).clamp(SMALLEST, 0.5);
        let moved = ((next - lambda) / lambda).abs();
        lambda = next;
        if moved < tolerance {
            break;
        }
    }
    lambda
}

/// Keeps each field's levels in their order of evidence: a level of agreement (any but the
/// last) is never counted as stronger evidence against a match than the last level, complete
/// disagreement. EM, given a level that matches almost never reach in this data (nicknames
/// in a list without any, a day and month swapped), drives its m to the floor, and without
/// this a pair at that level would score far below one that disagrees outright.
pub fn ordered(m: &[Vec<f64>], u: &[Vec<f64>]) -> Vec<Vec<f64>> {
    m.iter()
        .zip(u)
        .map(|(m, u)| {
            let ratio = |k: usize| {
                let (m, u) = (
                    m.get(k).copied().unwrap_or(FLOOR),
                    u.get(k).copied().unwrap_or(FLOOR),
                );
                m / u
            };
            let last = m.len().saturating_sub(1);
            let least = ratio(last);
            m.iter()
                .zip(u)
                .enumerate()
                .map(|(k, (mk, uk))| {
                    if k < last && ratio(k) < least {
                        uk * least
                    } else {
                        *mk
                    }
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {

    use super::*;

    struct Lcg(u64);
    impl Lcg {
        fn unit(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
        fn draw(&mut self, probabilities: &[f64]) -> usize {
            let mut u = self.unit();
            for (i, p) in probabilities.iter().enumerate() {
                if u < *p {
                    return i;
                }
                u -= p;
            }
            probabilities.len() - 1
        }
    }

    /// Three fields with 3, 2 and 4 levels; level 0 is the strongest agreement.
    fn truth() -> Model {
        Model {
            lambda: 0.08,
            m: vec![
                vec![0.85, 0.10, 0.05],
                vec![0.95, 0.05],
                vec![0.70, 0.15, 0.10, 0.05],
            ],
            u: vec![
                vec![0.01, 0.04, 0.95],
                vec![0.50, 0.50],
                vec![0.002, 0.01, 0.05, 0.938],
            ],
            twin_share: 1.0,
        }
    }

    fn sample(model: &Model, n: usize, rng: &mut Lcg) -> Vec<Comparison> {
        (0..n)
            .map(|_| {
                let table = if rng.unit() < model.lambda {
                    &model.m
                } else {
                    &model.u
                };
                table
                    .iter()
                    .map(|levels| {
                        if rng.unit() < 0.05 {
                            None
                        } else {
                            Some(rng.draw(levels))
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn em_recovers_the_parameters_of_a_known_model() {
        let truth = truth();
        let mut rng = Lcg(42);
        let random = sample(
            &Model {
                lambda: 0.0,
                ..truth.clone()
            },
            50_000,
            &mut rng,
        );
        let random: Vec<(Comparison, f64)> = random.into_iter().map(|c| (c, 1.0)).collect();
        let u = estimate_u(&random, &[3, 2, 4]);
        for (estimated, real) in u.iter().flatten().zip(truth.u.iter().flatten()) {
            assert!((estimated - real).abs() < 0.01, "u {estimated} vs {real}");
        }
        let pairs: Vec<(Comparison, f64)> = sample(&truth, 60_000, &mut rng)
            .into_iter()
            .map(|c| (c, 1.0))
            .collect();
        let start = Model {
            lambda: 0.3,
            m: vec![
                vec![0.5, 0.3, 0.2],
                vec![0.6, 0.4],
                vec![0.4, 0.3, 0.2, 0.1],
            ],
            u,
            twin_share: 1.0,
        };
        let (fitted, iterations) = Model::fit_m(start, &pairs, 1e-7, 500);
        assert!(iterations < 500, "converged");
        assert!(
            (fitted.lambda - truth.lambda).abs() < 0.01,
            "λ {} vs {}",
            fitted.lambda,
            truth.lambda
        );
        for (estimated, real) in fitted.m.iter().flatten().zip(truth.m.iter().flatten()) {
            assert!((estimated - real).abs() < 0.03, "m {estimated} vs {real}");
        }
    }

    #[test]
    fn weights_explain_themselves_and_missing_values_are_neutral() {
        let model = truth();
        let strong = vec![Some(0), Some(0), Some(0)];
        let (weight, parts) = model.weights(&strong);
        assert_eq!(parts.len(), 3);
        assert!((parts[0] - (0.85f64 / 0.01).log2()).abs() < 1e-9);
        assert!(model.probability(&strong) > 0.99, "{weight}");
        assert!(model.probability(&[Some(2), Some(1), Some(3)]) < 0.001);
        let (_, partial) = model.weights(&[Some(0), None, None]);
        assert_eq!(&partial[1..], &[0.0, 0.0]);
        assert!(
            model.probability(&[Some(0), Some(0), Some(0)])
                > model.probability(&[Some(0), None, Some(0)])
        );
    }

    #[test]
    fn the_prior_is_recovered_over_all_pairs_not_the_candidates() {
        // 2,000,000 pairs of which 400 match (λ = 0.0002); the pairs a blocking rule on the
        // first field would keep hold the 400 among about 20,000, a share a hundred times λ.
        let truth = Model {
            lambda: 0.0002,
            ..truth()
        };
        let mut rng = Lcg(7);
        let (all_pairs, matches) = (2_000_000usize, 400usize);
        let with = |lambda: f64| Model {
            lambda,
            ..truth.clone()
        };
        let mut pairs = sample(&with(1.0), matches, &mut rng);
        pairs.extend(sample(&with(0.0), all_pairs - matches, &mut rng));
        let mut by_pattern: std::collections::BTreeMap<Comparison, f64> = Default::default();
        for pair in &pairs {
            *by_pattern.entry(pair.clone()).or_default() += 1.0;
        }
        let weights: Vec<(f64, f64)> = by_pattern
            .iter()
            .map(|(pair, n)| (with(0.5).weights(pair).0, *n))
            .collect();
        let lambda = fit_prior(&weights, all_pairs as f64, 1e-9, 1_000);
        let expected = matches as f64 / all_pairs as f64;
        assert!(
            (lambda - expected).abs() < 0.15 * expected,
            "λ {lambda} vs {expected}"
        );
        let blocked = pairs.iter().filter(|p| p[0] == Some(0)).count();
        assert!(
            blocked > 40 * matches,
            "the candidates' share of matches is no estimate of λ: {blocked}"
        );
    }

    #[test]
    fn a_level_of_agreement_never_counts_against_more_than_disagreement() {
        let m = vec![vec![0.9, 1e-6, 0.05, 0.05]];
        let u = vec![vec![0.01, 0.001, 0.04, 0.949]];
        let kept = ordered(&m, &u);
        let weight = |k: usize| (kept[0][k] / u[0][k]).log2();
        assert!((kept[0][0] - 0.9).abs() < 1e-12, "strong levels untouched");
        assert!((kept[0][2] - 0.05).abs() < 1e-12);
        assert!(
            (weight(1) - weight(3)).abs() < 1e-9,
            "the level EM starved weighs as much as disagreement, no less"
        );
    }
}
