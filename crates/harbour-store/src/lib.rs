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

mod audit;
mod backend;
mod error;
mod gate;
mod location;
mod model;
mod store;

pub use audit::{AuditEntry, AuditVerification, Outcome};
pub use error::StoreError;
pub use gate::SearchQuery;
pub use location::StoreLocation;
pub use model::{
    Agency, Batch, DemoUser, Health, IdentityRecord, LoadReport, NewAgency, NewEvent, NewPerson,
    NewSourceRecord, NewUser, PersonSummary, PersonView, SessionUser, TimelineEntry,
};
pub use store::{BackupOutcome, Store};
