//! Writers take turns inside Harbour before they take a database connection.
//!
//! Only one transaction writes at a time: on SQLite the file's write lock, on PostgreSQL the
//! advisory lock of the tenant whose audit chain the entry joins. Before this queue, each
//! writer took a pooled connection first and then waited for the lock while holding it, so a
//! burst of writers (every school's feed arriving at nine o'clock, two ingest workers, the
//! audit entries of people's reads) could hold every connection of the pool while waiting:
//! the rest failed with "pool timed out" (PostgreSQL's pool waits 30 seconds) or "database is
//! locked" (SQLite's busy timeout), and reads found no connection at all. `cargo test` under
//! a parallel CPU load showed it (`feeds_submitted_at_once_while_two_workers_run_are_all_linked_once`
//! failed with `PoolTimedOut`).
//!
//! Now a writer first waits for its turn here, in order of arrival (tokio's mutex is fair),
//! without a connection; it takes one only when its turn comes, and holds the turn until its
//! transaction ends. The database lock stays: it is what keeps other processes (a command-line
//! import beside the server) in step, and what the audit chain relies on. The queue only
//! stops waiting writers from holding connections.

use harbour_domain::TenantCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OwnedMutexGuard;

/// The turns of one store: one queue for the whole database (SQLite, whose one writer is the
/// file's) or one per tenant (PostgreSQL, where tenants write side by side).
#[derive(Debug, Clone)]
pub(crate) struct WriteQueue {
    per_tenant: bool,
    queues: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// A writer's turn: the queue moves on when it is dropped.
#[derive(Debug)]
pub(crate) struct Turn {
    _held: OwnedMutexGuard<()>,
}

impl WriteQueue {
    pub(crate) fn one_writer() -> Self {
        Self {
            per_tenant: false,
            queues: Arc::default(),
        }
    }

    pub(crate) fn per_tenant() -> Self {
        Self {
            per_tenant: true,
            queues: Arc::default(),
        }
    }

    fn queue(&self, tenant: &TenantCode) -> Arc<tokio::sync::Mutex<()>> {
        let key = if self.per_tenant { tenant.as_str() } else { "" };
        // The map only ever gains a queue per tenant; a panic elsewhere while it was held
        // leaves it whole, so a poisoned lock is used as it is.
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(queues.entry(key.to_owned()).or_default())
    }

    /// Waits for `tenant`'s turn to write.
    pub(crate) async fn turn(&self, tenant: &TenantCode) -> Turn {
        Turn {
            _held: self.queue(tenant).lock_owned().await,
        }
    }

    /// How many writers hold or wait for `tenant`'s turn (for tests: two handles of the
    /// queue, the map's and the caller's, are not writers).
    #[cfg(any(test, feature = "test-support"))]
    pub(crate) fn writers(&self, tenant: &TenantCode) -> usize {
        Arc::strong_count(&self.queue(tenant)).saturating_sub(2)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;
    use crate::gate::Work;
    use crate::{Store, StoreLocation};
    use std::time::Duration;

    fn tenant(code: &str) -> TenantCode {
        TenantCode::parse(code).unwrap()
    }

    #[tokio::test]
    async fn turns_come_in_order_and_tenants_of_postgres_do_not_wait_for_each_other() {
        let queue = WriteQueue::per_tenant();
        let first = queue.turn(&tenant("845")).await;
        // Another tenant's turn comes at once.
        let other = tokio::time::timeout(Duration::from_secs(5), queue.turn(&tenant("846")))
            .await
            .unwrap();
        drop(other);
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for n in 0..3 {
            let (waiter, order) = (queue.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let _turn = waiter.turn(&tenant("845")).await;
                order.lock().unwrap().push(n);
            }));
            // Each joins the queue before the next is spawned.
            while queue.writers(&tenant("845")) < n + 2 {
                tokio::task::yield_now().await;
            }
        }
        assert!(
            order.lock().unwrap().is_empty(),
            "no one writes before the first is done"
        );
        drop(first);
        for task in waiting {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
    }

    #[tokio::test]
    async fn sqlite_has_one_queue_for_every_tenant() {
        let queue = WriteQueue::one_writer();
        let _first = queue.turn(&tenant("845")).await;
        let other =
            tokio::time::timeout(Duration::from_millis(200), queue.turn(&tenant("846"))).await;
        assert!(other.is_err(), "a second tenant's write waits on SQLite");
    }

    /// More writers than the pool has connections, all waiting behind one open write: before
    /// the queue each took a connection and waited for the database's lock while holding it,
    /// so the ninth found no connection and those in SQLite's busy wait gave up after its
    /// timeout. Now they wait without connections, and every one of them writes.
    #[tokio::test]
    async fn writers_beyond_the_pool_wait_without_a_connection_and_all_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            StoreLocation::Sqlite(dir.path().join("h.db")),
            harbour_policy::Policy::default_policy().unwrap(),
        )
        .await
        .unwrap();
        let code = tenant("845");
        let now = time::OffsetDateTime::UNIX_EPOCH;
        store.create_tenant(&code, "Test", now).await.unwrap();
        let work = Work::new("test_write", "a write in a test");
        let held = store.service_gate(&code, None, work, now).await.unwrap();
        let writers = 3 * crate::store::SQLITE_CONNECTIONS as usize;
        let mut tasks = Vec::new();
        for _ in 0..writers {
            let (store, code) = (store.clone(), code.clone());
            tasks.push(tokio::spawn(async move {
                let g = store.service_gate(&code, None, work, now).await?;
                g.commit().await
            }));
        }
        tokio::time::timeout(Duration::from_secs(20), async {
            while store.write_queue.writers(&code) < writers + 1 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("the writers did not all queue"));
        let crate::store::Pools::Sqlite(pool) = &store.pools else {
            panic!("a SQLite store");
        };
        let in_use = pool.size() - u32::try_from(pool.num_idle()).unwrap();
        assert_eq!(in_use, 1, "only the open write holds a connection");
        held.commit().await.unwrap();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            crate::AuditVerification::Intact { .. }
        ));
    }
}
