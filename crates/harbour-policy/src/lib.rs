//! Harbour's access policy: default deny, read from a file an information-governance officer
//! can review (`policy/access.toml`).
//!
//! The evaluator is pure: [`Policy::decide`] answers one question ("may this person see this
//! event?") and [`Policy::scope`] answers the same question for a whole list at once, as a
//! [`Scope`] the store turns into a SQL condition. Both read the same rules, so what a search
//! returns and what a single look allows can never disagree (a test checks every cell).

mod file;
mod scope;

use harbour_domain::{AgencyId, Handling, Role, TenantCode, UserId};
use std::collections::{BTreeMap, BTreeSet};

pub use file::{
    BreakGlass, Function, PolicyError, Register, RegisterRule, Relationship, Rule, Supplier,
};
pub use scope::{Clause, Scope};

/// The policy that ships with Harbour.
pub const DEFAULT_POLICY: &str = include_str!("../../../policy/access.toml");

/// Who is asking: the signed-in member of staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: UserId,
    pub tenant: TenantCode,
    pub agency: AgencyId,
    pub roles: BTreeSet<Role>,
}

/// The facts about one event, and the viewer's relationship to its child, that the policy
/// decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventFacts {
    pub supplier: AgencyId,
    pub handling: Handling,
    /// The viewer's own agency holds a record of this child (a school: on or once on roll).
    pub known_to_viewer_agency: bool,
    /// The viewer holds a live emergency-access grant for this child.
    pub break_glass: bool,
}

/// The answer to one question, with the rule that allowed it and its lawful basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow { rule: String, lawful_basis: String },
    Deny,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow { .. })
    }
}

/// The rule id used in decisions and the audit for emergency access.
pub const BREAK_GLASS_RULE: &str = "break-glass";

/// How much of a register someone may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterAccess {
    /// Every entry, and recording on them: the officers who keep it.
    Keep,
    /// The entries naming the viewer's own agency, read only.
    OwnAgency,
}

/// A loaded, checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    rules: Vec<Rule>,
    break_glass: BreakGlass,
    functions: Vec<(Function, BTreeSet<Role>)>,
    second_factor: BTreeSet<Role>,
    registers: BTreeMap<Register, RegisterRule>,
}

impl Policy {
    /// Reads and checks a policy file. Nothing half-loads: any error refuses the whole file.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let file = file::PolicyFile::parse(text)?;
        Ok(Self {
            rules: file.rules,
            break_glass: file.break_glass,
            functions: file.functions,
            second_factor: file.second_factor,
            registers: file.registers,
        })
    }

    /// The policy shipped in `policy/access.toml`.
    pub fn default_policy() -> Result<Self, PolicyError> {
        Self::parse(DEFAULT_POLICY)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn break_glass(&self) -> &BreakGlass {
        &self.break_glass
    }

    /// May `principal` see `event`? The first rule that allows it is named in the answer.
    pub fn decide(&self, principal: &Principal, event: EventFacts) -> Decision {
        let holds = |roles: &[Role]| roles.iter().any(|role| principal.roles.contains(role));
        let by_rule = self.rules.iter().find(|rule| {
            holds(&rule.roles)
                && rule.handling.contains(&event.handling)
                && match rule.supplier {
                    Supplier::AnyAgency => true,
                    Supplier::OwnAgency => event.supplier == principal.agency,
                }
                && match rule.relationship {
                    Relationship::Any => true,
                    Relationship::KnownToAgency => event.known_to_viewer_agency,
                }
        });
        if let Some(rule) = by_rule {
            return Decision::Allow {
                rule: rule.id.clone(),
                lawful_basis: rule.lawful_basis.clone(),
            };
        }
        if event.break_glass
            && holds(&self.break_glass.roles)
            && self.break_glass.handling.contains(&event.handling)
        {
            return Decision::Allow {
                rule: BREAK_GLASS_RULE.to_owned(),
                lawful_basis: self.break_glass.lawful_basis.clone(),
            };
        }
        Decision::Deny
    }

    /// Everything `principal` may see, for filtering lists inside the database.
    pub fn scope(&self, principal: &Principal) -> Scope {
        let holds = |roles: &[Role]| roles.iter().any(|role| principal.roles.contains(role));
        let mut scope = Scope::empty(principal.agency);
        for rule in self.rules.iter().filter(|rule| holds(&rule.roles)) {
            scope.add(
                Clause {
                    own_agency_only: rule.supplier == Supplier::OwnAgency,
                    known_to_agency_only: rule.relationship == Relationship::KnownToAgency,
                },
                &rule.handling,
            );
        }
        if holds(&self.break_glass.roles) {
            scope
                .break_glass_handling
                .extend(self.break_glass.handling.iter().copied());
        }
        scope
    }

    /// May `principal` use emergency access at all?
    pub fn may_break_glass(&self, principal: &Principal) -> bool {
        self.break_glass
            .roles
            .iter()
            .any(|role| principal.roles.contains(role))
    }

    /// May `principal` use this part of Harbour?
    pub fn allows_function(&self, principal: &Principal, function: Function) -> bool {
        self.functions.iter().any(|(f, roles)| {
            *f == function && roles.iter().any(|role| principal.roles.contains(role))
        })
    }

    /// How much of `register` `principal` may see, if anything (default deny: a register the
    /// file does not list is open to no one).
    pub fn register_access(
        &self,
        principal: &Principal,
        register: Register,
    ) -> Option<RegisterAccess> {
        let rule = self.registers.get(&register)?;
        let holds = |roles: &[Role]| roles.iter().any(|role| principal.roles.contains(role));
        if holds(&rule.keep) {
            Some(RegisterAccess::Keep)
        } else if holds(&rule.own_agency) {
            Some(RegisterAccess::OwnAgency)
        } else {
            None
        }
    }

    /// The roles that keep `register` (none for a register the file does not list): an
    /// overdue task of the register escalates from these.
    pub fn register_keepers(&self, register: Register) -> &[Role] {
        self.registers
            .get(&register)
            .map_or(&[], |rule| rule.keep.as_slice())
    }

    /// The lawful basis recorded for disclosures from `register`.
    pub fn register_lawful_basis(&self, register: Register) -> Option<&str> {
        self.registers
            .get(&register)
            .map(|rule| rule.lawful_basis.as_str())
    }

    /// Must someone holding these roles sign in with a second factor?
    pub fn requires_second_factor(&self, roles: &BTreeSet<Role>) -> bool {
        roles.iter().any(|role| self.second_factor.contains(role))
    }
}

#[cfg(test)]
mod tests;
