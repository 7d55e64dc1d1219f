//! PostgreSQL: for larger deployments.

pub(crate) type Db = sqlx::Postgres;

/// A user's role codes, comma-joined ('' when none).
pub(crate) const ROLES_AGGREGATE: &str = "COALESCE(string_agg(r.role, ',' ORDER BY r.role), '')";

/// Serialises appends to the audit chain: each entry needs the hash of the one before.
/// The lock is released when the transaction ends.
pub(crate) async fn begin_write(
    pool: &sqlx::Pool<Db>,
) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(4847254)")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

// Compiled once per backend on purpose: the same SQL, checked against each database's types.
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

#[path = "bulk_postgres.rs"]
pub(crate) mod bulk;
