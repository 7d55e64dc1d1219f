//! A principal's policy as the shape a database query needs.

use harbour_domain::{AgencyId, Handling};
use std::collections::{BTreeMap, BTreeSet};

/// The conditions a group of rules puts on an event besides its handling marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Clause {
    /// Only events the viewer's own agency supplied.
    pub own_agency_only: bool,
    /// Only children the viewer's own agency holds a record of.
    pub known_to_agency_only: bool,
}

/// What a principal may see: for each [`Clause`], the handling markers it opens; and what an
/// emergency-access grant would open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub own_agency: AgencyId,
    pub clauses: BTreeMap<Clause, BTreeSet<Handling>>,
    /// Opened for a child only while the viewer holds a live emergency-access grant for them.
    pub break_glass_handling: BTreeSet<Handling>,
}

impl Scope {
    pub fn empty(own_agency: AgencyId) -> Self {
        Self {
            own_agency,
            clauses: BTreeMap::new(),
            break_glass_handling: BTreeSet::new(),
        }
    }

    pub(crate) fn add(&mut self, clause: Clause, handling: &[Handling]) {
        self.clauses
            .entry(clause)
            .or_default()
            .extend(handling.iter().copied());
    }

    /// Whether nothing at all can be seen, so a query need not run.
    pub fn is_empty(&self) -> bool {
        self.clauses.values().all(BTreeSet::is_empty) && self.break_glass_handling.is_empty()
    }

    /// The same test the SQL condition makes, for one event.
    pub fn admits(&self, event: crate::EventFacts) -> bool {
        let by_rule = self.clauses.iter().any(|(clause, handling)| {
            handling.contains(&event.handling)
                && (!clause.own_agency_only || event.supplier == self.own_agency)
                && (!clause.known_to_agency_only || event.known_to_viewer_agency)
        });
        by_rule || (event.break_glass && self.break_glass_handling.contains(&event.handling))
    }
}
