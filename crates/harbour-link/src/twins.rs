//! Twins: two children who share a surname, a birthday and an address, and differ in little
//! but the given name.
//!
//! The model scores each field as if independent of the others. For a duplicate whose given
//! name was changed or badly mistyped, that is fair; for twins it is not, because everything a
//! family shares agrees at once, so twins score as high as the duplicate. The fields can say
//! "one family, one birthday"; they cannot say which of twins and duplicate. Rather than hold
//! every such pair apart by rule (which also splits one child whose given name was written two
//! ways), the engine learns from the data in front of it what share of these pairs are one
//! child, [`crate::model::Model::twin_share`], and scales their probability by it.
//!
//! Two kinds of evidence give the share, best first. Both count each twin-like pair by how
//! likely its other fields make it one family's child with one birthday (its probability
//! without the evidence in question), so the many strangers who merely share a birthday do not
//! count.
//!
//! 1. **Identifiers.** Twin-like pairs whose records both carry a UPN or an NHS number: the
//!    numbers agree (one child) or differ (twins). [`from_identifiers`].
//! 2. **Sex.** A duplicate's two records agree on sex almost always (as often as the model's m
//!    says); about a third of twin pairs are a boy and a girl. So the share of twin-like pairs
//!    that disagree on sex says how many are twins: [`from_sex`]. Same-sex twins are invisible
//!    to this; where all twins are of one sex, it reads as no twins.
//!
//! With neither (FEBRL's sets have no sex and no identifiers), the share is 1 and the fields
//! decide, as in Splink.

/// The share of twin pairs who are a boy and a girl. By Weinberg's rule about half of
/// non-identical twin pairs are of opposite sex, and about two thirds of twins born in the UK
/// are non-identical, which gives about a third. An assumption, not a measurement: where it is
/// wrong, the estimate of how many pairs are twins is off in proportion (a data set whose twins
/// are a boy and a girl half the time reads as having more twins than it has, which errs
/// towards keeping pairs apart).
pub const OPPOSITE_SEX_SHARE: f64 = 1.0 / 3.0;

/// Twin-like pairs (counted by their probability) that identifiers must label before they are
/// trusted over sex.
pub const ENOUGH_LABELLED: f64 = 10.0;

/// Pseudo-pairs of one child added to what each estimate counts: a few twin-like pairs cannot
/// alone declare the data full of twins, and with none the share stays 1. Sex, which rests on
/// an assumption and sees only a third of twins, needs more pairs before it moves as far.
const PSEUDO_PAIRS: f64 = 2.0;
const SEX_PSEUDO_PAIRS: f64 = 10.0;

/// What the share was learnt from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Identifiers,
    Sex,
    /// No evidence either way: every twin-like pair is left to its fields.
    #[default]
    Nothing,
}

/// A twin-like pair whose records both carry an identifier: its fields' probability without
/// the identifiers, and whether they agree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelledPair {
    pub without_ids: f64,
    pub one_child: bool,
}

/// A twin-like pair whose records both give a sex: its fields' probability without the sex
/// field, and whether the sexes differ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SexedPair {
    pub without_sex: f64,
    pub sexes_differ: bool,
}

/// The twin share and where it came from; `m_sex_differs` is the model's m for a duplicate's
/// records disagreeing on sex.
pub fn share(labelled: &[LabelledPair], sexed: &[SexedPair], m_sex_differs: f64) -> (f64, Source) {
    let weight: f64 = labelled.iter().map(|p| p.without_ids).sum();
    if weight >= ENOUGH_LABELLED {
        (from_identifiers(labelled), Source::Identifiers)
    } else if sexed.iter().any(|p| p.without_sex > 0.0) {
        (from_sex(sexed, m_sex_differs), Source::Sex)
    } else {
        (1.0, Source::Nothing)
    }
}

/// The share of labelled twin-like pairs that are one child, each counted by its probability
/// without the identifiers.
pub fn from_identifiers(labelled: &[LabelledPair]) -> f64 {
    let all: f64 = labelled.iter().map(|p| p.without_ids).sum();
    let same: f64 = labelled
        .iter()
        .filter(|p| p.one_child)
        .map(|p| p.without_ids)
        .sum();
    (same + PSEUDO_PAIRS) / (all + PSEUDO_PAIRS)
}

/// The share of twin-like pairs that are one child, from how many disagree on sex: duplicates
/// at `m_sex_differs`, twins at [`OPPOSITE_SEX_SHARE`]. Each pair counts by its probability
/// without the sex field.
pub fn from_sex(sexed: &[SexedPair], m_sex_differs: f64) -> f64 {
    let all: f64 = sexed.iter().map(|p| p.without_sex).sum();
    let differ: f64 = sexed
        .iter()
        .filter(|p| p.sexes_differ)
        .map(|p| p.without_sex)
        .sum();
    let share_differing = (differ + SEX_PSEUDO_PAIRS * m_sex_differs) / (all + SEX_PSEUDO_PAIRS);
    let twins =
        ((share_differing - m_sex_differs) / (OPPOSITE_SEX_SHARE - m_sex_differs)).clamp(0.0, 1.0);
    1.0 - twins
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(without_ids: f64, one_child: bool) -> LabelledPair {
        LabelledPair {
            without_ids,
            one_child,
        }
    }

    fn sexed(without_sex: f64, sexes_differ: bool) -> SexedPair {
        SexedPair {
            without_sex,
            sexes_differ,
        }
    }

    #[test]
    fn no_evidence_no_correction() {
        assert_eq!(share(&[], &[], 0.02), (1.0, Source::Nothing));
    }

    #[test]
    fn identifiers_say_how_many_are_one_child() {
        // 200 pairs the fields would link, 10 with one UPN, 190 with two; and 1,000
        // strangers sharing a birthday, whose fields say they are not one family.
        let pairs: Vec<LabelledPair> = (0..200)
            .map(|i| labelled(0.999, i < 10))
            .chain((0..1_000).map(|_| labelled(0.0001, false)))
            .collect();
        let (share, source) = share(&pairs, &[], 0.02);
        assert_eq!(source, Source::Identifiers);
        assert!((share - 0.06).abs() < 0.01, "{share}");
        // A handful of labelled pairs is not enough; sex decides, or nothing.
        let few: Vec<LabelledPair> = (0..3).map(|_| labelled(0.999, false)).collect();
        assert_eq!(super::share(&few, &[], 0.02).1, Source::Nothing);
    }

    #[test]
    fn sex_says_how_many_are_twins() {
        // Duplicates disagree on sex 2% of the time; a third of twins do; strangers half the
        // time, but their fields say they are not one family.
        let duplicates = |n: usize| (0..n).map(move |i| sexed(0.999, i % 50 == 0));
        let twins = |n: usize| (0..n).map(move |i| sexed(0.999, i % 3 == 0));
        let strangers = |n: usize| (0..n).map(move |i| sexed(0.0001, i % 2 == 0));
        let none: Vec<SexedPair> = duplicates(300).chain(strangers(5_000)).collect();
        assert!(from_sex(&none, 0.02) > 0.95, "no twins");
        let all: Vec<SexedPair> = twins(300).chain(strangers(5_000)).collect();
        assert!(from_sex(&all, 0.02) < 0.05, "all twins");
        let half: Vec<SexedPair> = duplicates(150).chain(twins(150)).collect();
        assert!((from_sex(&half, 0.02) - 0.5).abs() < 0.1, "half twins");
        let few: Vec<SexedPair> = twins(3).collect();
        assert!(
            from_sex(&few, 0.02) > 0.5,
            "three pairs are not a population of twins"
        );
    }
}
