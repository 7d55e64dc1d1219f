//! Clustering linked pairs into persons without chaining different people together.
//!
//! Three kinds of evidence join records, in order of authority:
//!
//! 1. A person's decisions ([`Decision`]): "the same" joins two records, "not the same" keeps
//!    them apart for good. They are taken newest first, so a later decision about the same
//!    records overrides an earlier one (a merge after a split, a split after a merge), and each
//!    is kept unless a newer one contradicts it.
//! 2. A shared verified identifier (`identified`): records with the same valid UPN or NHS
//!    number are one child, and no rule parts them; only a person's "not the same" can.
//! 3. Scored links (`edges`), strongest first, as in single-linkage clustering, but a join is
//!    refused when any record of one group must be held apart from any record of the other.
//!    Without that check, A–B and B–C links would put A with C even when A and C are twins;
//!    with it, B goes with whichever twin it matches best and the other stays apart.

use rayon::prelude::*;
use std::collections::HashSet;

/// A person's decision about two records: the same child or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub a: u32,
    pub b: u32,
    pub same: bool,
}

/// A link between two records and its weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub a: u32,
    pub b: u32,
    pub weight: f64,
}

/// The outcome: a cluster number per record (0, 1, … in order of first record) and the edges
/// that were refused because they would have joined records held apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Clusters {
    pub of: Vec<u32>,
    pub count: usize,
    pub refused: Vec<Edge>,
}

/// Union–find over the records, each group's members also kept as a ring (`next` leads from
/// each member to another of its group and round again), so a join is two swaps and a county
/// of single records costs no list each.
struct Groups {
    parent: Vec<u32>,
    size: Vec<u32>,
    next: Vec<u32>,
}

impl Groups {
    fn new(n: u32) -> Groups {
        Groups {
            parent: (0..n).collect(),
            size: vec![1; n as usize],
            next: (0..n).collect(),
        }
    }

    /// Every member of the group whose root is `root`, the root first.
    fn members(&self, root: u32) -> impl Iterator<Item = u32> + '_ {
        let mut at = Some(root);
        std::iter::from_fn(move || {
            let x = at?;
            let following = self.next.get(x as usize).copied().unwrap_or(root);
            at = (following != root).then_some(following);
            Some(x)
        })
    }

    fn root(&mut self, mut x: u32) -> u32 {
        while let Some(&p) = self.parent.get(x as usize) {
            if p == x {
                break;
            }
            // Path halving keeps later lookups short.
            let grand = self.parent.get(p as usize).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(x as usize) {
                *slot = grand;
            }
            x = grand;
        }
        x
    }

    fn join(&mut self, ra: u32, rb: u32) {
        let size = |r: u32| self.size.get(r as usize).copied().unwrap_or(0);
        let (big, small) = if size(ra) >= size(rb) {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let joined = size(big) + size(small);
        if let Some(slot) = self.size.get_mut(big as usize) {
            *slot = joined;
        }
        if let Some(slot) = self.parent.get_mut(small as usize) {
            *slot = big;
        }
        // Swapping the two roots' successors splices the two rings into one.
        if ra != rb
            && let (Some(&x), Some(&y)) = (self.next.get(ra as usize), self.next.get(rb as usize))
        {
            if let Some(slot) = self.next.get_mut(ra as usize) {
                *slot = y;
            }
            if let Some(slot) = self.next.get_mut(rb as usize) {
                *slot = x;
            }
        }
    }
}

/// Two record indices as one set member, smaller first.
fn key(x: u32, y: u32) -> (u32, u32) {
    (x.min(y), x.max(y))
}

/// Clusters `records` records: first a person's `decisions` (oldest first, as recorded; see
/// the module comment), then the `identified` pairs (sharing a verified identifier), then
/// `edges` strongest first, each refused if `apart(x, y)` holds for any x in one group and y
/// in the other. A person's "not the same" is never overridden by anything but a newer
/// decision of a person.
pub fn cluster(
    records: usize,
    decisions: &[Decision],
    identified: &[(u32, u32)],
    edges: &[Edge],
    apart: impl Fn(u32, u32) -> bool,
) -> Clusters {
    let n = u32::try_from(records).unwrap_or(u32::MAX);
    let mut groups = Groups::new(n);
    // Whether any record of one group and any of the other pass `test`.
    fn across(groups: &Groups, ra: u32, rb: u32, test: impl Fn(u32, u32) -> bool) -> bool {
        groups
            .members(ra)
            .any(|x| groups.members(rb).any(|y| test(x, y)))
    }
    let mut told_apart: HashSet<(u32, u32)> = HashSet::new();
    for d in decisions.iter().rev() {
        let (ra, rb) = (groups.root(d.a), groups.root(d.b));
        if d.same {
            // A newer "not the same" between the two groups outweighs this older "same".
            if ra != rb && !across(&groups, ra, rb, |x, y| told_apart.contains(&key(x, y))) {
                groups.join(ra, rb);
            }
        } else if ra != rb {
            // Unless a newer "same" already joined them.
            told_apart.insert(key(d.a, d.b));
        }
    }
    let refused_by_person =
        |groups: &Groups, ra, rb| across(groups, ra, rb, |x, y| told_apart.contains(&key(x, y)));
    for &(a, b) in identified {
        let (ra, rb) = (groups.root(a), groups.root(b));
        if ra != rb && !refused_by_person(&groups, ra, rb) {
            groups.join(ra, rb);
        }
    }
    let mut order: Vec<&Edge> = edges.iter().collect();
    order.par_sort_unstable_by(|x, y| {
        y.weight
            .total_cmp(&x.weight)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    let mut refused = Vec::new();
    for edge in order {
        let (ra, rb) = (groups.root(edge.a), groups.root(edge.b));
        if ra == rb {
            continue;
        }
        if across(&groups, ra, rb, |x, y| {
            told_apart.contains(&key(x, y)) || apart(x, y)
        }) {
            refused.push(*edge);
            continue;
        }
        groups.join(ra, rb);
    }
    let mut number: Vec<Option<u32>> = vec![None; records];
    let mut of = Vec::with_capacity(records);
    let mut count = 0u32;
    for x in 0..n {
        let root = groups.root(x);
        let slot = number.get_mut(root as usize);
        let id = match slot {
            Some(Some(id)) => *id,
            Some(slot) => {
                *slot = Some(count);
                count += 1;
                count - 1
            }
            None => count,
        };
        of.push(id);
    }
    Clusters {
        of,
        count: count as usize,
        refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(a: u32, b: u32, weight: f64) -> Edge {
        Edge { a, b, weight }
    }

    #[test]
    fn a_group_lists_exactly_its_members_however_it_was_joined() {
        let mut groups = Groups::new(10);
        let join = |groups: &mut Groups, x: u32, y: u32| {
            let (rx, ry) = (groups.root(x), groups.root(y));
            if rx != ry {
                groups.join(rx, ry);
            }
        };
        for (x, y) in [(0, 1), (2, 3), (3, 4), (1, 4), (7, 8), (4, 4), (9, 8)] {
            join(&mut groups, x, y);
        }
        let mut of = |x: u32| {
            let root = groups.root(x);
            let mut members: Vec<u32> = groups.members(root).collect();
            members.sort_unstable();
            members
        };
        assert_eq!(of(3), vec![0, 1, 2, 3, 4]);
        assert_eq!(of(0), of(4));
        assert_eq!(of(9), vec![7, 8, 9]);
        assert_eq!(of(5), vec![5]);
        assert_eq!(of(6), vec![6]);
    }

    #[test]
    fn links_join_transitively() {
        let c = cluster(5, &[], &[], &[edge(0, 1, 10.0), edge(1, 2, 9.0)], |_, _| {
            false
        });
        assert_eq!(c.of, vec![0, 0, 0, 1, 2]);
        assert_eq!(c.count, 3);
        assert!(c.refused.is_empty());
    }

    #[test]
    fn twins_are_never_chained_together() {
        // 0 and 1 are twins; 2 is a police record of twin 0 that also resembles twin 1.
        let twins = |x: u32, y: u32| (x.min(y), x.max(y)) == (0, 1);
        let c = cluster(3, &[], &[], &[edge(1, 2, 11.0), edge(0, 2, 12.0)], twins);
        assert_eq!(c.of[0], c.of[2], "the stronger link wins");
        assert_ne!(c.of[0], c.of[1], "the twins stay apart");
        assert_eq!(c.refused, vec![edge(1, 2, 11.0)]);
    }

    #[test]
    fn a_reviewers_decision_comes_first() {
        let same = Decision {
            a: 0,
            b: 2,
            same: true,
        };
        let c = cluster(3, &[same], &[], &[edge(0, 1, 5.0)], |x, y| {
            (x, y) == (1, 2) || (x, y) == (2, 1)
        });
        assert_eq!(c.of, vec![0, 1, 0]);
    }

    #[test]
    fn a_shared_identifier_outweighs_the_rules_but_not_a_person() {
        // 0 and 2 share a UPN; the rule would hold 1 and 2 apart; a person merged 0 and 1.
        let rule = |x: u32, y: u32| key(x, y) == (1, 2);
        let merged = Decision {
            a: 0,
            b: 1,
            same: true,
        };
        let c = cluster(3, &[merged], &[(0, 2)], &[], rule);
        assert_eq!(c.of, vec![0, 0, 0], "the UPN holds them together");
        let parted = Decision {
            a: 0,
            b: 2,
            same: false,
        };
        let c = cluster(3, &[merged, parted], &[(0, 2)], &[], rule);
        assert_eq!(c.of, vec![0, 0, 1], "a person's split parts even a UPN");
    }
}
