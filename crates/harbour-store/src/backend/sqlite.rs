//! SQLite: the embedded default.

pub(crate) type Db = sqlx::Sqlite;

/// A user's role codes, comma-joined ('' when none).
pub(crate) const ROLES_AGGREGATE: &str = "COALESCE(group_concat(r.role, ','), '')";

/// SQLite allows one writer at a time. Taking the write lock at `BEGIN` (rather than on
/// the first write) means a read-then-append transaction can never deadlock with another.
pub(crate) async fn begin_write(
    pool: &sqlx::Pool<Db>,
) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

// Compiled once per backend on purpose: the same SQL and Rust for each database (the SQL is
// prepared against both schemas by tests/statements.rs).
#[allow(clippy::duplicate_mod)]
#[path = "queries.rs"]
pub(crate) mod queries;

#[allow(clippy::duplicate_mod)]
#[path = "accounts.rs"]
pub(crate) mod accounts;

#[allow(clippy::duplicate_mod)]
#[path = "imports.rs"]
pub(crate) mod imports;

#[allow(clippy::duplicate_mod)]
#[path = "linking.rs"]
pub(crate) mod linking;

#[allow(clippy::duplicate_mod)]
#[path = "alerts.rs"]
pub(crate) mod alerts;

#[allow(clippy::duplicate_mod)]
#[path = "case_events.rs"]
pub(crate) mod case_events;

#[allow(clippy::duplicate_mod)]
#[path = "jobs.rs"]
pub(crate) mod jobs;

#[allow(clippy::duplicate_mod)]
#[path = "fair_access.rs"]
pub(crate) mod fair_access;

#[allow(clippy::duplicate_mod)]
#[path = "not_in_school.rs"]
pub(crate) mod not_in_school;

#[allow(clippy::duplicate_mod)]
#[path = "registers.rs"]
pub(crate) mod registers;

#[allow(clippy::duplicate_mod)]
#[path = "work.rs"]
pub(crate) mod work;

#[path = "bulk_sqlite.rs"]
pub(crate) mod bulk;
