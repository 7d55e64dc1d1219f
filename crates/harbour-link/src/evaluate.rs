//! Scoring a clustering against the truth: pairwise precision, recall and F1 (every pair of
//! records put together is a claim that they are one person), and cluster-level counts.

use serde::Serialize;
use std::collections::HashMap;
use std::hash::Hash;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    pub records: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Pairs of records the clustering put together.
    pub predicted_pairs: u64,
    /// Pairs that belong together in truth.
    pub true_pairs: u64,
    /// Pairs in both.
    pub correct_pairs: u64,
    pub predicted_clusters: usize,
    pub true_clusters: usize,
    /// True persons reproduced exactly: all their records and nothing else.
    pub exact_clusters: usize,
    /// Predicted clusters holding more than one true person (wrong merges).
    pub mixed_clusters: usize,
    /// True persons spread over more than one predicted cluster (missed links).
    pub split_persons: usize,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Numbers each distinct label 0, 1, 2, … in order of first appearance.
fn numbered<L: Hash + Eq>(labels: &[L]) -> (Vec<u32>, usize) {
    let mut ids: HashMap<&L, u32> = HashMap::with_capacity(labels.len() / 2);
    let numbers = labels
        .iter()
        .map(|l| {
            let next = ids.len() as u32;
            *ids.entry(l).or_insert(next)
        })
        .collect();
    (numbers, ids.len())
}

/// Compares `predicted` with `truth`, both a cluster label per record, in the same order.
pub fn score<P: Hash + Eq, T: Hash + Eq>(predicted: &[P], truth: &[T]) -> Scores {
    let n = predicted.len().min(truth.len());
    let (p, p_count) = numbered(predicted.get(..n).unwrap_or(&[]));
    let (t, t_count) = numbered(truth.get(..n).unwrap_or(&[]));
    let mut by_predicted = vec![0u64; p_count];
    let mut by_truth = vec![0u64; t_count];
    let mut by_both: HashMap<(u32, u32), u64> = HashMap::with_capacity(n);
    for (&pi, &ti) in p.iter().zip(&t) {
        if let Some(c) = by_predicted.get_mut(pi as usize) {
            *c += 1;
        }
        if let Some(c) = by_truth.get_mut(ti as usize) {
            *c += 1;
        }
        *by_both.entry((pi, ti)).or_default() += 1;
    }
    let predicted_pairs: u64 = by_predicted.iter().map(|n| pairs(*n)).sum();
    let true_pairs: u64 = by_truth.iter().map(|n| pairs(*n)).sum();
    let correct_pairs: u64 = by_both.values().map(|n| pairs(*n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let precision = ratio(correct_pairs, predicted_pairs);
    let recall = ratio(correct_pairs, true_pairs);
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    let mut persons_in_cluster = vec![0usize; p_count];
    let mut clusters_of_person = vec![0usize; t_count];
    let mut exact_clusters = 0;
    for (&(pi, ti), count) in &by_both {
        if let Some(c) = persons_in_cluster.get_mut(pi as usize) {
            *c += 1;
        }
        if let Some(c) = clusters_of_person.get_mut(ti as usize) {
            *c += 1;
        }
        if by_predicted.get(pi as usize) == Some(count) && by_truth.get(ti as usize) == Some(count)
        {
            exact_clusters += 1;
        }
    }
    Scores {
        records: n,
        precision,
        recall,
        f1,
        predicted_pairs,
        true_pairs,
        correct_pairs,
        predicted_clusters: p_count,
        true_clusters: t_count,
        exact_clusters,
        mixed_clusters: persons_in_cluster.iter().filter(|n| **n > 1).count(),
        split_persons: clusters_of_person.iter().filter(|n| **n > 1).count(),
    }
}

/// How many of the truly matching pairs blocking made candidates: the ceiling on recall,
/// since a pair never compared can never be linked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completeness {
    pub true_pairs: u64,
    /// True pairs among the candidates.
    pub found: u64,
    /// found / true_pairs (1 when there are no true pairs).
    pub completeness: f64,
}

/// Pair completeness of `candidates` (record indices, each pair once, either order) against
/// `truth`, a cluster label per record.
pub fn pair_completeness<T: Hash + Eq>(candidates: &[(u32, u32)], truth: &[T]) -> Completeness {
    let (t, t_count) = numbered(truth);
    let mut sizes = vec![0u64; t_count];
    for &ti in &t {
        if let Some(c) = sizes.get_mut(ti as usize) {
            *c += 1;
        }
    }
    let true_pairs: u64 = sizes.iter().map(|n| pairs(*n)).sum();
    let label = |i: u32| t.get(i as usize);
    let found = candidates
        .iter()
        .filter(|(a, b)| a != b && label(*a).is_some() && label(*a) == label(*b))
        .count() as u64;
    Completeness {
        true_pairs,
        found,
        completeness: if true_pairs == 0 {
            1.0
        } else {
            found as f64 / true_pairs as f64
        },
    }
}

/// One bin of a reliability table: candidate pairs whose predicted match probability fell in
/// `[from, to)` (the last bin includes 1), and the share of them that are true matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub pairs: u64,
    /// True matches among them.
    pub matches: u64,
    /// The mean predicted probability in the bin.
    pub predicted: f64,
    /// matches / pairs (0 for an empty bin).
    pub observed: f64,
}

/// A reliability table: how often pairs scored around p are true matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reliability {
    pub bins: Vec<Bin>,
    /// The pairs' mean of |predicted - observed| by bin, weighted by the bin's pairs
    /// (expected calibration error): 0 for a perfectly calibrated model.
    pub calibration_error: f64,
}

/// The bin edges [`reliability`] uses by default: fine near 0 and 1, where most pairs fall
/// and where the thresholds are.
pub const BIN_EDGES: [f64; 14] = [
    0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0,
];

/// The reliability table of `candidates` (record indices) scored `probabilities` (the same
/// order) against `truth`, a cluster label per record, binned by `edges` (ascending, from 0
/// to 1).
pub fn reliability<T: Hash + Eq>(
    candidates: &[(u32, u32)],
    probabilities: &[f64],
    truth: &[T],
    edges: &[f64],
) -> Reliability {
    let (t, _) = numbered(truth);
    let label = |i: u32| t.get(i as usize);
    let bins = edges.len().saturating_sub(1);
    let mut counts = vec![(0u64, 0u64, 0.0f64); bins];
    for (&(a, b), &p) in candidates.iter().zip(probabilities) {
        let bin = edges
            .iter()
            .skip(1)
            .position(|edge| p < *edge)
            .unwrap_or(bins.saturating_sub(1));
        if let Some((pairs, matches, sum)) = counts.get_mut(bin) {
            *pairs += 1;
            *sum += p;
            if label(a).is_some() && label(a) == label(b) {
                *matches += 1;
            }
        }
    }
    let total: u64 = counts.iter().map(|c| c.0).sum();
    let mut error = 0.0;
    let bins: Vec<Bin> = counts
        .iter()
        .zip(edges.windows(2))
        .map(|(&(pairs, matches, sum), edge)| {
            let (predicted, observed) = if pairs == 0 {
                (0.0, 0.0)
            } else {
                (sum / pairs as f64, matches as f64 / pairs as f64)
            };
            error += pairs as f64 * (predicted - observed).abs();
            Bin {
                from: edge.first().copied().unwrap_or(0.0),
                to: edge.last().copied().unwrap_or(1.0),
                pairs,
                matches,
                predicted,
                observed,
            }
        })
        .collect();
    Reliability {
        bins,
        calibration_error: if total == 0 {
            0.0
        } else {
            error / total as f64
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_imperfect_clusterings() {
        let truth = ["a", "a", "a", "b", "b", "c"];
        let perfect = score(&[1, 1, 1, 2, 2, 3], &truth);
        assert_eq!(
            (perfect.precision, perfect.recall, perfect.f1),
            (1.0, 1.0, 1.0)
        );
        assert_eq!(perfect.exact_clusters, 3);

        // One record of "a" missed; "b" and "c" wrongly merged.
        let s = score(&[1, 1, 9, 2, 2, 2], &truth);
        assert_eq!(s.true_pairs, 3 + 1);
        assert_eq!(s.predicted_pairs, 1 + 3);
        assert_eq!(s.correct_pairs, 1 + 1);
        assert!((s.precision - 0.5).abs() < 1e-12);
        assert!((s.recall - 0.5).abs() < 1e-12);
        assert_eq!(s.mixed_clusters, 1);
        assert_eq!(s.split_persons, 1);
        assert_eq!(s.exact_clusters, 0);
    }

    #[test]
    fn pair_completeness_is_the_share_of_true_pairs_among_the_candidates() {
        let truth = ["a", "a", "a", "b", "b", "c"];
        // True pairs: (0,1) (0,2) (1,2) (3,4). Candidates find two of them, plus a wrong one.
        let found = pair_completeness(&[(0, 1), (4, 3), (2, 5)], &truth);
        assert_eq!((found.true_pairs, found.found), (4, 2));
        assert!((found.completeness - 0.5).abs() < 1e-12);
        let none = pair_completeness(&[], &["a", "b"]);
        assert_eq!(none.completeness, 1.0, "nothing to find: nothing missed");
    }

    #[test]
    fn a_reliability_table_bins_pairs_by_their_probability() {
        let truth = ["a", "a", "b", "b", "c"];
        let candidates = [(0, 1), (2, 3), (0, 2), (1, 4), (3, 4)];
        let probabilities = [0.995, 0.6, 0.6, 0.02, 1.0];
        let table = reliability(&candidates, &probabilities, &truth, &[0.0, 0.5, 0.99, 1.0]);
        let counts: Vec<(u64, u64)> = table.bins.iter().map(|b| (b.pairs, b.matches)).collect();
        assert_eq!(
            counts,
            [(1, 0), (2, 1), (2, 1)],
            "1.0 falls in the last bin"
        );
        assert!((table.bins[1].observed - 0.5).abs() < 1e-12);
        assert!((table.bins[2].predicted - 0.9975).abs() < 1e-12);
        // |0.02 - 0| + 2 × |0.6 - 0.5| + 2 × |0.9975 - 0.5|, over 5 pairs.
        let expected = (0.02 + 0.2 + 2.0 * 0.4975) / 5.0;
        assert!((table.calibration_error - expected).abs() < 1e-12);
    }

    #[test]
    fn all_singletons_claim_nothing() {
        let s = score(&[1, 2, 3], &["a", "b", "c"]);
        assert_eq!((s.precision, s.recall), (1.0, 1.0));
    }
}
