//! Harbour's storage: SQLite (embedded, the default) and PostgreSQL behind one [`Store`].
//!
//! The SQL is written once, as runtime query strings in `backend/queries.rs` and its
//! neighbours, and compiled once per backend (see `backend.rs`) without a generic abstraction
//! over them; the compiler checks the Rust for both backends, not the SQL. The SQL is checked
//! by `tests/statements.rs`: it prepares every fixed statement on a migrated SQLite and a
//! migrated PostgreSQL database, and lists the ones assembled at run time, with the reason.
//! Where the dialects differ the backend module says so.
//!
//! **The gate.** Every public method that reads or writes personal data, or changes who may
//! do what, starts at `Store::gate` (or `gate_read` for reads), in `gate.rs`: it asks the
//! access policy whether the actor (a member of staff, or Harbour itself for feeds, linking
//! and rules runs) may do this at all and audits a refusal there; otherwise it opens the only
//! kind of transaction the store has, carrying the actor's policy scope for the queries and
//! the audit entry that its commit writes with the work. `tests/gate.rs` reads this crate's
//! source and fails if anything else begins a transaction, or if a public method skips the
//! gate without a written reason (authentication, directories, the audit check itself).

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

// First: `in_gate!` is defined there, for every module after it.
#[macro_use]
mod gate;
mod accounts;
mod alerts;
mod audit;
mod backend;
mod case_events;
mod error;
mod fair_access;
mod identity_review;
mod imports;
mod jobs;
mod linking;
mod location;
mod model;
mod not_in_school;
mod placements;
mod register_feed;
mod register_moments;
mod registers;
mod search;
mod store;
#[cfg(feature = "test-support")]
pub mod testing;
mod timelines;
mod work;
mod write_queue;

pub use accounts::{BreakGlassOutcome, BreakGlassRefusal, SignInRefusal};
pub use alerts::{
    Alert, AlertActed, AlertChild, AlertDetail, QueueFilter, ReplayView, RuleRunReport, RunScope,
};
pub use audit::{AuditChain, AuditEntry, AuditVerification, Outcome};
pub use case_events::CaseEvent;
pub use error::StoreError;
pub use fair_access::{FairAccessDecision, FairAccessView, NO_AREA};
/// What a practitioner does with an alert, and why it may be refused: pure, in the rules crate.
pub use harbour_rules::alerts::{
    Action as AlertAction, Refusal as AlertRefusal, Status as AlertStatus,
};
pub use identity_review::{
    IdentityRefusal, LinkReviewItem, PersonChange, ReviewDecided, ReviewSide,
};
pub use jobs::{IngestJob, JobStatus, NewIngestJob};
pub use linking::LinkReport;
pub use location::StoreLocation;
pub use model::{
    Agency, ApiToken, AuditLine, AuditLines, AuditOfPerson, AuditPage, Batch, BreakGlassGrant,
    DemoUser, FeedEvent, FeedIdentity, Health, IdentityRecord, ImportCounts, ImportRow, LoadReport,
    NewAgency, NewEvent, NewPerson, NewSourceRecord, NewUser, PersonSummary, PersonView,
    QuarantineEntry, QuarantineRow, SearchFilter, SearchResults, SessionUser, SignInAccount,
    StaffMember, TimelineEntry,
};
pub use not_in_school::{
    HomeEducationEntry, MissingEducationEntry, NotInSchoolDay, NotInSchoolPart,
    NotInSchoolRegister, OpenedNotInSchool, ReaderAccess,
};
pub use placements::{PlacementEntry, PlacementsRegister};
pub use register_feed::OpenedFromFeeds;
pub use registers::{
    ExclusionEntry, ExclusionsRegister, RecordedFact, RegisterChild, RegisterDay, RegisterRefusal,
};
pub use search::SearchQuery;
pub use store::{BackupOutcome, SQLITE_ROW_BUFFER, Store};
pub use work::{
    AssignRefusal, Colleague, MAX_NOTE_CHARS, Owner, WorkChild, WorkDay, WorkFilter, WorkItem,
    WorkQueue, WorkWindow, Workflow,
};
