//! Fresh databases migrated by the store itself, with a plain sqlx pool beside each for
//! looking at the schema: SQLite always, PostgreSQL when `HARBOUR_TEST_POSTGRES_URL` is set
//! (exactly as `common::backends` decides).

#![allow(dead_code, clippy::unwrap_used)] // test support; not every test file uses everything

use harbour_policy::Policy;
use harbour_store::{Store, StoreLocation};
use sqlx::{PgPool, SqlitePool};

/// A migrated SQLite file, its pool, and the store that migrated it (kept open beside it).
pub struct MigratedSqlite {
    pub pool: SqlitePool,
    _store: Store,
    _dir: tempfile::TempDir,
}

pub async fn sqlite() -> MigratedSqlite {
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::choose(None, dir.path()).unwrap();
    let StoreLocation::Sqlite(file) = &location else {
        unreachable!("no URL was given")
    };
    let file = file.clone();
    let store = Store::open(location, Policy::default_policy().unwrap())
        .await
        .unwrap();
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(file);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    MigratedSqlite {
        pool,
        _store: store,
        _dir: dir,
    }
}

/// A migrated throwaway PostgreSQL database, or `None` when no server was asked for.
pub async fn postgres() -> Option<(PgPool, Store)> {
    let url = std::env::var("HARBOUR_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let url = harbour_store::testing::fresh_postgres_database(&url).await;
    let location = StoreLocation::choose(Some(&url), std::path::Path::new(".")).unwrap();
    let store = Store::open(location, Policy::default_policy().unwrap())
        .await
        .unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    Some((pool, store))
}
