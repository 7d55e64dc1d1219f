//! PostgreSQL: for larger deployments.

use harbour_domain::TenantCode;

pub(crate) type Db = sqlx::Postgres;

/// A user's role codes, comma-joined ('' when none).
pub(crate) const ROLES_AGGREGATE: &str = "COALESCE(string_agg(r.role, ',' ORDER BY r.role), '')";

/// A write transaction holding `tenant`'s write lock until it ends: the one lock that
/// serialises appends to that tenant's audit chain (each entry needs the hash of the one
/// before), and with them the tenant's other write work, as SQLite's single writer does.
/// Other tenants' writes do not wait for it. A write transaction works for one tenant and
/// takes one such lock, so two of them cannot deadlock on these locks.
pub(crate) async fn begin_write(
    pool: &sqlx::Pool<Db>,
    tenant: &TenantCode,
) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(4847254, $1)")
        .bind(tenant_lock_key(tenant))
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// The second half of a tenant's advisory-lock key (the first is Harbour's 4847254): the
/// three-digit code as a number, so no two tenants share a lock. Were a code ever not a
/// number, its tenants would share key -1: slower, never wrong.
fn tenant_lock_key(tenant: &TenantCode) -> i32 {
    tenant.as_str().parse().unwrap_or(-1)
}

/// Run on each new connection: sets `TCP_NODELAY` on TCP connections to `port`, which
/// sqlx 0.9.0 does not (see `postgres_nodelay.rs`). A failure is logged once and otherwise
/// ignored: the connection works without it, only slower.
pub(crate) fn after_connect(port: u16) {
    #[cfg(target_os = "linux")]
    if let Err(error) = nodelay::set_on_connections_to(port) {
        static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            tracing::warn!(%error, "cannot set TCP_NODELAY on the PostgreSQL connections: each COPY may wait 40 ms for an acknowledgement");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = port;
}

#[cfg(target_os = "linux")]
#[path = "postgres_nodelay.rs"]
pub(crate) mod nodelay;

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

#[path = "bulk_postgres.rs"]
pub(crate) mod bulk;
