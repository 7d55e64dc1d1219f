//! Harbour's access policy: default deny, read from a file an information-governance officer
//! can review (`policy/access.toml`).
//!
//! The evaluator is pure: [`Policy::decide`] answers one question ("may this person see this
//! event?") and [`Policy::scope`] answers the same question for a whole list at once, as a
//! [`Scope`] the store turns into a SQL condition. Both read the same rules, so what a search
//! returns and what a single look allows can never disagree.

use harbour_domain::{AgencyId, Handling, Role, TenantCode, UserId};
use serde::Deserialize;
use std::collections::BTreeSet;

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

/// The facts about an event that the policy decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventFacts {
    pub supplier: AgencyId,
    pub handling: Handling,
}

/// Whose events a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Supplier {
    OwnAgency,
    AnyAgency,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub roles: Vec<Role>,
    pub handling: Vec<Handling>,
    pub supplier: Supplier,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: u32,
    #[serde(rename = "rule", default)]
    rules: Vec<Rule>,
}

/// A loaded, checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    rules: Vec<Rule>,
}

/// Why a policy file was refused. The previous policy stays in force.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy file could not be read: {0}")]
    Syntax(#[from] toml::de::Error),
    #[error("the policy file says version {0}; this Harbour reads version 1")]
    Version(u32),
    #[error("rule {index} has no id")]
    MissingId { index: usize },
    #[error("two rules are called {0:?}; rule ids must be unique")]
    DuplicateId(String),
    #[error("rule {0:?} lists no roles or no handling markers, so it allows nothing")]
    Empty(String),
}

/// The answer to one question, with the rule that allowed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow { rule: String },
    Deny,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow { .. })
    }
}

/// What a principal may see, in the shape a database query needs: events whose handling is in
/// `any_agency`, plus events their own agency supplied whose handling is in `own_agency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub own_agency: AgencyId,
    pub own_agency_handling: BTreeSet<Handling>,
    pub any_agency_handling: BTreeSet<Handling>,
}

impl Scope {
    /// Whether this scope lets nothing through, so a query need not run at all.
    pub fn is_empty(&self) -> bool {
        self.own_agency_handling.is_empty() && self.any_agency_handling.is_empty()
    }

    /// The same test the SQL condition makes, for one event.
    pub fn admits(&self, event: EventFacts) -> bool {
        self.any_agency_handling.contains(&event.handling)
            || (event.supplier == self.own_agency
                && self.own_agency_handling.contains(&event.handling))
    }
}

impl Policy {
    /// Reads and checks a policy file. Nothing half-loads: any error refuses the whole file.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let file: PolicyFile = toml::from_str(text)?;
        if file.version != 1 {
            return Err(PolicyError::Version(file.version));
        }
        let mut ids = BTreeSet::new();
        for (index, rule) in file.rules.iter().enumerate() {
            if rule.id.trim().is_empty() {
                return Err(PolicyError::MissingId { index: index + 1 });
            }
            if !ids.insert(rule.id.as_str()) {
                return Err(PolicyError::DuplicateId(rule.id.clone()));
            }
            if rule.roles.is_empty() || rule.handling.is_empty() {
                return Err(PolicyError::Empty(rule.id.clone()));
            }
        }
        Ok(Self { rules: file.rules })
    }

    /// The policy shipped in `policy/access.toml`.
    pub fn default_policy() -> Result<Self, PolicyError> {
        Self::parse(DEFAULT_POLICY)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// May `principal` see `event`? The first rule that allows it is named in the answer.
    pub fn decide(&self, principal: &Principal, event: EventFacts) -> Decision {
        self.rules
            .iter()
            .find(|rule| {
                rule.roles.iter().any(|role| principal.roles.contains(role))
                    && rule.handling.contains(&event.handling)
                    && match rule.supplier {
                        Supplier::AnyAgency => true,
                        Supplier::OwnAgency => event.supplier == principal.agency,
                    }
            })
            .map_or(Decision::Deny, |rule| Decision::Allow {
                rule: rule.id.clone(),
            })
    }

    /// Everything `principal` may see, for filtering lists inside the database.
    pub fn scope(&self, principal: &Principal) -> Scope {
        let mut scope = Scope {
            own_agency: principal.agency,
            own_agency_handling: BTreeSet::new(),
            any_agency_handling: BTreeSet::new(),
        };
        for rule in &self.rules {
            if !rule.roles.iter().any(|role| principal.roles.contains(role)) {
                continue;
            }
            let target = match rule.supplier {
                Supplier::AnyAgency => &mut scope.any_agency_handling,
                Supplier::OwnAgency => &mut scope.own_agency_handling,
            };
            target.extend(rule.handling.iter().copied());
        }
        scope
    }
}

#[cfg(test)]
mod tests;
