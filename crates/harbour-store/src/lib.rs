//! Harbour's storage: SQLite (embedded, the default) and PostgreSQL behind one [`Store`].
//!
//! The SQL is written once, in `queries.rs`, and compiled twice, once per backend (see
//! `backend.rs`), so each query is type-checked against both databases without a generic
//! abstraction over them. Where the dialects differ the backend module says so.
//!
//! **The gate.** Every read of personal data goes through [`Store::search_persons`] or
//! [`Store::person_view`] (in `gate.rs`): they ask the access policy for the viewer's scope,
//! filter inside the database with it, and append the audit entry in the same transaction
//! before anything is returned. There is no other public way to read a child's record.

/// Runs the same call on whichever backend this store uses: each `$module` names a SQL
/// module (compiled once per backend), bound as `$alias` inside `$body`, with that backend's
/// pool as `$pool`.
macro_rules! on_backend {
    ($self:ident, [$($module:ident as $alias:ident),+], $pool:ident => $body:expr) => {
        match &$self.pools {
            $crate::store::Pools::Sqlite($pool) => {
                $(#[allow(unused_imports)] use $crate::backend::sqlite::$module as $alias;)+
                $body
            }
            $crate::store::Pools::Postgres($pool) => {
                $(#[allow(unused_imports)] use $crate::backend::postgres::$module as $alias;)+
                $body
            }
        }
    };
    ($self:ident, $module:ident as $alias:ident, $pool:ident => $body:expr) => {
        on_backend!($self, [$module as $alias], $pool => $body)
    };
}

mod accounts;
mod alerts;
mod audit;
mod backend;
mod error;
mod gate;
mod identity_review;
mod imports;
mod jobs;
mod linking;
mod location;
mod model;
mod store;
#[cfg(feature = "test-support")]
pub mod testing;
mod timelines;

pub use accounts::BreakGlassOutcome;
pub use alerts::{Alert, AlertAction, AlertRefusal, RuleRunReport, RunScope};
pub use audit::{AuditEntry, AuditVerification, Outcome};
pub use error::StoreError;
pub use gate::SearchQuery;
pub use identity_review::{IdentityRefusal, LinkReviewItem, PersonChange, ReviewSide};
pub use jobs::{IngestJob, JobStatus, NewIngestJob};
pub use linking::LinkReport;
pub use location::StoreLocation;
pub use model::{
    Agency, ApiToken, AuditLine, Batch, BreakGlassGrant, DemoUser, FeedEvent, FeedIdentity, Health,
    IdentityRecord, ImportCounts, ImportRow, LoadReport, NewAgency, NewEvent, NewPerson,
    NewSourceRecord, NewUser, PersonSummary, PersonView, QuarantineEntry, QuarantineRow,
    SessionUser, SignInAccount, StaffMember, TimelineEntry,
};
pub use store::{BackupOutcome, Store};
