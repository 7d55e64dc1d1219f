//! Reading and checking the policy file.

use harbour_domain::{Handling, Role};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// Whose events a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Supplier {
    OwnAgency,
    AnyAgency,
}

/// Which children a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// Every child in the area.
    Any,
    /// Children the viewer's own agency holds a record of.
    KnownToAgency,
}

/// A part of Harbour that is not a child's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Function {
    /// The data-protection officer's audit pages and the emergency-access review queue.
    AuditReview,
    /// The rows one's own agency sent that were refused on import.
    QuarantineReview,
    /// Deciding whether two agencies' records are the same child, and merging, splitting and
    /// undoing people. Shows identity details (never events) from any agency's records.
    IdentityReview,
}

/// A register the council keeps (`harbour-casework`), each with its own readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Register {
    /// Permanently excluded children (recommendation 8 of the Child AA review).
    Exclusions,
    /// Children in elective home education (Education Act 1996 s.436B-C, s.434A).
    HomeEducation,
    /// Children missing education (Education Act 1996 s.436A).
    MissingEducation,
    /// The fair-access panel's log and the consistency figures (recommendation 5).
    FairAccess,
    /// Alternative-provision and pupil referral unit placements (recommendation 9).
    AlternativeProvision,
}

impl Register {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exclusions => "exclusions",
            Self::HomeEducation => "home_education",
            Self::MissingEducation => "missing_education",
            Self::FairAccess => "fair_access",
            Self::AlternativeProvision => "alternative_provision",
        }
    }

    /// Why a colleague may not be given an entry of this register, for the refusal.
    pub fn not_kept_reason(self) -> &'static str {
        match self {
            Self::Exclusions => "their role does not keep the permanent exclusions register",
            Self::HomeEducation => "their role does not keep the home education register",
            Self::MissingEducation => {
                "their role does not keep the children missing education register"
            }
            Self::FairAccess => "their role does not keep the fair-access log",
            Self::AlternativeProvision => {
                "their role does not keep the alternative provision placements"
            }
        }
    }
}

/// Who may use a register: `keep` sees every entry and records on it; `own_agency` sees,
/// read only, the entries that name their own agency (a school: the children it excluded).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRule {
    pub keep: Vec<Role>,
    #[serde(default)]
    pub own_agency: Vec<Role>,
    pub lawful_basis: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub roles: Vec<Role>,
    pub handling: Vec<Handling>,
    pub supplier: Supplier,
    pub relationship: Relationship,
    pub lawful_basis: String,
}

/// Emergency access: who may use it, what it opens, for how long.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakGlass {
    pub roles: Vec<Role>,
    pub handling: Vec<Handling>,
    pub minutes: u32,
    pub min_reason_length: usize,
    pub lawful_basis: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecondFactor {
    required_for: Vec<Role>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    /// Checked before the rest is read (see `parse`); kept here so the field is known.
    #[allow(dead_code)]
    version: u32,
    #[serde(rename = "rule", default)]
    rules: Vec<Rule>,
    break_glass: BreakGlass,
    #[serde(default)]
    functions: BTreeMap<Function, Vec<Role>>,
    second_factor: SecondFactor,
    #[serde(default)]
    registers: BTreeMap<Register, RegisterRule>,
}

/// Why a policy file was refused. The previous policy stays in force.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy file could not be read: {0}")]
    Syntax(#[from] toml::de::Error),
    #[error("the policy file says version {0}; this Harbour reads version 2")]
    Version(u32),
    #[error("rule {index} has no id")]
    MissingId { index: usize },
    #[error("two rules are called {0:?}; rule ids must be unique")]
    DuplicateId(String),
    #[error("rule {0:?} lists no roles or no handling markers, so it allows nothing")]
    Empty(String),
    #[error("rule {0:?} has no lawful basis; every disclosure must record one")]
    NoLawfulBasis(String),
    #[error(
        "break_glass may not open {0}: emergency access never reaches police intelligence or health-confidential detail"
    )]
    BreakGlassTooWide(Handling),
    #[error("break_glass.minutes must be between 1 and 240, not {0}")]
    BreakGlassMinutes(u32),
    #[error(
        "role {0} can see police intelligence from other agencies, so it must be listed in second_factor.required_for"
    )]
    SecondFactorMissing(Role),
    #[error("registers.{0} has no lawful basis; every disclosure must record one")]
    RegisterNoLawfulBasis(&'static str),
    #[error("registers.{0} names no role to keep it")]
    RegisterNoKeeper(&'static str),
}

pub(crate) struct PolicyFile {
    pub rules: Vec<Rule>,
    pub break_glass: BreakGlass,
    pub functions: Vec<(Function, BTreeSet<Role>)>,
    pub second_factor: BTreeSet<Role>,
    pub registers: BTreeMap<Register, RegisterRule>,
}

impl PolicyFile {
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        // Read the version alone first, so an old file is told it is old rather than
        // given a list of the fields it lacks.
        #[derive(Deserialize)]
        struct VersionOnly {
            version: u32,
        }
        let VersionOnly { version } = toml::from_str(text)?;
        if version != 2 {
            return Err(PolicyError::Version(version));
        }
        let raw: RawFile = toml::from_str(text)?;
        let mut ids = BTreeSet::new();
        for (index, rule) in raw.rules.iter().enumerate() {
            if rule.id.trim().is_empty() {
                return Err(PolicyError::MissingId { index: index + 1 });
            }
            if !ids.insert(rule.id.as_str()) {
                return Err(PolicyError::DuplicateId(rule.id.clone()));
            }
            if rule.roles.is_empty() || rule.handling.is_empty() {
                return Err(PolicyError::Empty(rule.id.clone()));
            }
            if rule.lawful_basis.trim().is_empty() {
                return Err(PolicyError::NoLawfulBasis(rule.id.clone()));
            }
        }
        let glass = &raw.break_glass;
        if let Some(wide) = glass.handling.iter().find(|h| {
            matches!(
                h,
                Handling::PoliceIntelligence | Handling::HealthConfidential
            )
        }) {
            return Err(PolicyError::BreakGlassTooWide(*wide));
        }
        if !(1..=240).contains(&glass.minutes) {
            return Err(PolicyError::BreakGlassMinutes(glass.minutes));
        }
        let second_factor: BTreeSet<Role> = raw.second_factor.required_for.into_iter().collect();
        // Whoever can read another agency's police intelligence must use a second factor.
        for rule in &raw.rules {
            let opens_others_intelligence = rule.supplier == Supplier::AnyAgency
                && rule.handling.contains(&Handling::PoliceIntelligence);
            if let Some(role) = rule.roles.iter().find(|r| !second_factor.contains(r))
                && opens_others_intelligence
            {
                return Err(PolicyError::SecondFactorMissing(*role));
            }
        }
        for (register, rule) in &raw.registers {
            if rule.lawful_basis.trim().is_empty() {
                return Err(PolicyError::RegisterNoLawfulBasis(register.as_str()));
            }
            if rule.keep.is_empty() {
                return Err(PolicyError::RegisterNoKeeper(register.as_str()));
            }
        }
        Ok(Self {
            registers: raw.registers,
            rules: raw.rules,
            break_glass: raw.break_glass,
            functions: raw
                .functions
                .into_iter()
                .map(|(f, roles)| (f, roles.into_iter().collect()))
                .collect(),
            second_factor,
        })
    }
}
