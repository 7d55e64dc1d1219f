//! The tamper-evident audit chains.
//!
//! Each local authority (tenant) has its own chain: its entries are numbered 1, 2, 3, ... and
//! each entry's hash covers its own fields and the hash of the same tenant's previous entry,
//! so changing, removing, inserting or reordering any row breaks every hash after it in that
//! tenant's chain, and [`AuditVerification`] names the first entry that no longer fits.
//! Entries written before migration 0011 form one global chain across every tenant (the
//! [`AuditChain::Legacy`] chain); each tenant's chain continues from its last entry there.

use harbour_domain::{AgencyId, PersonId, TenantCode, UserId};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
        }
    }
}

/// One audit entry before it is chained. No personal details: ids, actions and reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: OffsetDateTime,
    pub tenant: TenantCode,
    pub user: Option<UserId>,
    pub agency: Option<AgencyId>,
    pub action: String,
    /// Every child the entry concerns, in id order (a search names each child it returned).
    pub subjects: Vec<PersonId>,
    pub purpose: String,
    pub outcome: Outcome,
    /// A small JSON object of counts and ids (never names or content).
    pub detail: String,
}

impl AuditEntry {
    /// The instant is kept to the microsecond, the precision both databases store, so the
    /// hash computed now is the hash recomputed from the stored row.
    pub fn new(at: OffsetDateTime, tenant: TenantCode, action: &str, purpose: &str) -> Self {
        let micros = at.nanosecond() / 1_000 * 1_000;
        Self {
            at: at.replace_nanosecond(micros).unwrap_or(at),
            tenant,
            user: None,
            agency: None,
            action: action.to_owned(),
            subjects: Vec::new(),
            purpose: purpose.to_owned(),
            outcome: Outcome::Allowed,
            detail: "{}".to_owned(),
        }
    }

    /// Sets the children the entry concerns, sorted and without repeats, as they are stored.
    pub fn with_subjects(mut self, subjects: impl IntoIterator<Item = PersonId>) -> Self {
        self.set_subjects(subjects);
        self
    }

    /// Sets the children the entry concerns, sorted and without repeats.
    pub fn set_subjects(&mut self, subjects: impl IntoIterator<Item = PersonId>) {
        let mut subjects: Vec<PersonId> = subjects.into_iter().collect();
        subjects.sort();
        subjects.dedup();
        self.subjects = subjects;
    }

    /// The chained hash of this entry at position `seq` after `prev_hash`.
    pub fn hash(&self, seq: i64, prev_hash: &str) -> String {
        let fields = [
            seq.to_string(),
            self.at.unix_timestamp_nanos().to_string(),
            self.tenant.to_string(),
            self.user.map(|u| u.to_string()).unwrap_or_default(),
            self.agency.map(|a| a.to_string()).unwrap_or_default(),
            self.action.clone(),
            self.subjects
                .iter()
                .map(PersonId::to_string)
                .collect::<Vec<_>>()
                .join(","),
            self.purpose.clone(),
            self.outcome.as_str().to_owned(),
            self.detail.clone(),
            prev_hash.to_owned(),
        ];
        let mut hasher = Sha256::new();
        for field in fields {
            // Length-prefixed, so no two different entries serialise to the same bytes.
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// One of the chains the audit is made of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum AuditChain {
    /// The one chain across every local authority that entries were written into before
    /// migration 0011; its entries keep the numbers they had there.
    Legacy,
    /// A local authority's own chain, by its code as stored (a tampered row may hold a code
    /// that is not a valid one).
    Tenant(String),
}

impl AuditChain {
    pub fn tenant(tenant: &TenantCode) -> Self {
        Self::Tenant(tenant.as_str().to_owned())
    }
}

impl std::fmt::Display for AuditChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Legacy => {
                f.write_str("the audit written before each local authority had its own chain")
            }
            Self::Tenant(code) => write!(f, "the audit of local authority {code}"),
        }
    }
}

/// The result of recomputing the chains: the legacy chain first, then each tenant's in
/// order of code. A broken result names the first entry that does not fit, in the first
/// chain that is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerification {
    /// Every chain checked out; `entries` counts the entries of all of them.
    Intact { entries: u64 },
    Broken {
        chain: AuditChain,
        seq: i64,
        reason: String,
    },
}

impl std::fmt::Display for AuditVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Intact { entries } => write!(f, "The audit is intact ({entries} entries)."),
            Self::Broken { chain, seq, reason } => {
                let chain = chain.to_string();
                let mut chain = chain.chars();
                let first = chain.next().map(|c| c.to_uppercase().collect::<String>());
                write!(
                    f,
                    "{}{} is broken at entry {seq}: {reason}.",
                    first.unwrap_or_default(),
                    chain.as_str()
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn every_field_changes_the_hash() {
        let entry = AuditEntry::new(
            datetime!(2026-03-01 10:00:00.123456789 UTC),
            TenantCode::parse("845").unwrap(),
            "view_person",
            "test",
        );
        assert_eq!(
            entry.at.nanosecond(),
            123_456_000,
            "kept to the microsecond"
        );
        let base = entry.hash(1, GENESIS);
        assert_eq!(base.len(), 64);
        assert_ne!(entry.hash(2, GENESIS), base);
        assert_ne!(entry.hash(1, &base), base);
        let mut other = entry.clone();
        other.outcome = Outcome::Denied;
        assert_ne!(other.hash(1, GENESIS), base);
        let other = entry.clone().with_subjects([PersonId::new_v7()]);
        assert_ne!(other.hash(1, GENESIS), base, "the subjects are covered");
        let mut other = entry.clone();
        other.purpose = "tes".into();
        other.action = "tview_person".into();
        assert_ne!(
            other.hash(1, GENESIS),
            base,
            "length prefixes keep field boundaries"
        );
    }

    #[test]
    fn the_hash_is_the_one_entries_were_always_written_with() {
        // Entries written before the chains were split must still verify: the hash of a
        // fixed entry is pinned here, so a change to `hash` fails at once.
        let entry = AuditEntry::new(
            datetime!(2026-03-01 10:00:00.123456 UTC),
            TenantCode::parse("845").unwrap(),
            "view_person",
            "test",
        );
        assert_eq!(entry.hash(7, GENESIS), PINNED);
    }

    const PINNED: &str = "2c512549124cc66475c1290c226c79dea7a1a821325be8c6104f65d217b5f081";

    #[test]
    fn a_broken_result_says_which_chain_and_entry() {
        let broken = AuditVerification::Broken {
            chain: AuditChain::Tenant("845".into()),
            seq: 12,
            reason: "it does not follow from the entry before it".into(),
        };
        assert_eq!(
            broken.to_string(),
            "The audit of local authority 845 is broken at entry 12: it does not follow from the entry before it."
        );
        let legacy = AuditVerification::Broken {
            chain: AuditChain::Legacy,
            seq: 3,
            reason: "its contents were changed after it was written".into(),
        };
        assert!(legacy.to_string().starts_with("The audit written before"));
    }
}
