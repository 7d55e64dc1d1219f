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

/// Compares `predicted` with `truth`, both a cluster label per record, in the same order.
pub fn score<P: Hash + Eq, T: Hash + Eq>(predicted: &[P], truth: &[T]) -> Scores {
    let mut by_predicted: HashMap<&P, u64> = HashMap::new();
    let mut by_truth: HashMap<&T, u64> = HashMap::new();
    let mut by_both: HashMap<(&P, &T), u64> = HashMap::new();
    for (p, t) in predicted.iter().zip(truth) {
        *by_predicted.entry(p).or_default() += 1;
        *by_truth.entry(t).or_default() += 1;
        *by_both.entry((p, t)).or_default() += 1;
    }
    let predicted_pairs: u64 = by_predicted.values().map(|n| pairs(*n)).sum();
    let true_pairs: u64 = by_truth.values().map(|n| pairs(*n)).sum();
    let correct_pairs: u64 = by_both.values().map(|n| pairs(*n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let precision = ratio(correct_pairs, predicted_pairs);
    let recall = ratio(correct_pairs, true_pairs);
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    let mut persons_in_cluster: HashMap<&P, usize> = HashMap::new();
    let mut clusters_of_person: HashMap<&T, usize> = HashMap::new();
    let mut exact_clusters = 0;
    for ((p, t), n) in &by_both {
        *persons_in_cluster.entry(*p).or_default() += 1;
        *clusters_of_person.entry(*t).or_default() += 1;
        if by_predicted.get(p) == Some(n) && by_truth.get(t) == Some(n) {
            exact_clusters += 1;
        }
    }
    Scores {
        records: predicted.len().min(truth.len()),
        precision,
        recall,
        f1,
        predicted_pairs,
        true_pairs,
        correct_pairs,
        predicted_clusters: by_predicted.len(),
        true_clusters: by_truth.len(),
        exact_clusters,
        mixed_clusters: persons_in_cluster.values().filter(|n| **n > 1).count(),
        split_persons: clusters_of_person.values().filter(|n| **n > 1).count(),
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
    fn all_singletons_claim_nothing() {
        let s = score(&[1, 2, 3], &["a", "b", "c"]);
        assert_eq!((s.precision, s.recall), (1.0, 1.0));
    }
}
