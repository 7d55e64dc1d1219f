//! Support for tests and benchmarks in every crate (feature `test-support`; never in a build
//! of the service).

use sqlx::Connection;

/// Creates a throwaway database on the PostgreSQL server named by `admin_url` and returns
/// its URL. Panics with a clear message if the server cannot be reached, because a test run
/// that was asked for PostgreSQL must fail rather than skip.
#[allow(clippy::panic, clippy::expect_used)] // test support: a failure here is a failed test
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| {
            panic!("HARBOUR_TEST_POSTGRES_URL is set but the server cannot be reached: {e}")
        });
    let name = format!("harbour_test_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    query.map_or_else(
        || format!("{server}/{name}"),
        |q| format!("{server}/{name}?{q}"),
    )
}

/// Sets `TCP_NODELAY` on this process's connections to the PostgreSQL server at `url`, as the
/// store does for its own (see `backend/postgres_nodelay.rs`): for a benchmark's reference
/// connection, so that both sides of a comparison send the same way.
pub fn set_nodelay_on_postgres_connections(url: &str) -> std::io::Result<usize> {
    #[cfg(target_os = "linux")]
    {
        let options: sqlx::postgres::PgConnectOptions = url
            .parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        crate::backend::postgres::nodelay::set_on_connections_to(options.get_port())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = url;
        Ok(0)
    }
}

/// An audited write transaction held open, as long work of one local authority would hold
/// it: for tests of what waits for what (on PostgreSQL, the tenant's write lock).
#[derive(Debug)]
pub struct HeldWrite(crate::gate::Guarded);

impl HeldWrite {
    /// Opens the write through the gate, as the service working for `tenant`; its commit
    /// appends an entry `test_hold_write` to the tenant's chain.
    pub async fn open(
        store: &crate::Store,
        tenant: &harbour_domain::TenantCode,
        now: time::OffsetDateTime,
    ) -> Result<Self, crate::StoreError> {
        let work = crate::gate::Work::new("test_hold_write", "hold a write open in a test");
        Ok(Self(store.service_gate(tenant, None, work, now).await?))
    }

    pub async fn commit(self) -> Result<(), crate::StoreError> {
        self.0.commit().await
    }
}

/// How many of this store's writers of `tenant` hold or wait for their turn
/// (`write_queue.rs`): a write that waits inside Harbour holds no connection, so the
/// database cannot see it wait.
pub fn writers_in_turn(store: &crate::Store, tenant: &harbour_domain::TenantCode) -> usize {
    store.write_queue.writers(tenant)
}
