//! Each local authority's audit chain stands alone: on PostgreSQL one tenant's write does not
//! wait for another's (only for the same tenant's), and audited work of many tenants at once,
//! on either backend, leaves every tenant's chain whole and numbered 1, 2, 3, ... without gaps.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

mod common;

use common::backends;
use harbour_domain::{AgencyId, AgencyKind, PersonId, Role, TenantCode, UserId};
use harbour_policy::Principal;
use harbour_store::testing::HeldWrite;
use harbour_store::{AuditVerification, NewAgency, Store, StoreLocation};
use std::collections::BTreeMap;
use std::time::Duration;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-20 10:00 UTC);

/// How long a write that must not wait is given. It is a bound on a hang, not a measure of
/// speed: a loaded machine (parallel builds, other test binaries) can take seconds for one
/// write, and a write that truly waits for the held one waits for ever, so a generous bound
/// tells the two apart without a race.
const NOT_WAITING: Duration = Duration::from_secs(120);

/// Waits until a session of the database at `url` is waiting for a lock (the second write of
/// the held tenant), so the test knows that write has reached the lock instead of sleeping
/// and hoping it has. Gives up after two minutes.
async fn a_session_waits_for_a_lock(url: &str) {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the same tenant's second write never reached the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pool.close().await;
}

fn agency(tenant: &TenantCode, code: String) -> NewAgency {
    NewAgency {
        id: AgencyId(uuid::Uuid::now_v7()),
        tenant: tenant.clone(),
        name: code.clone(),
        code,
        kind: AgencyKind::School,
    }
}

/// A member of staff of `tenant` who may open records (the audit does not check they exist).
fn staff(tenant: &TenantCode) -> Principal {
    Principal {
        user: UserId::new_v7(),
        tenant: tenant.clone(),
        agency: AgencyId(uuid::Uuid::now_v7()),
        roles: [Role::SocialWorker].into(),
    }
}

/// Every tenant's entry numbers, in order, read straight from the database.
async fn numbers(store: &Store) -> BTreeMap<String, Vec<i64>> {
    let sql = "SELECT tenant_code, seq FROM audit ORDER BY tenant_code, seq";
    let rows: Vec<(String, i64)> = match store.location() {
        StoreLocation::Sqlite(path) => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
                .await
                .unwrap();
            sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
        }
        StoreLocation::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
        }
    };
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (tenant, seq) in rows {
        out.entry(tenant).or_default().push(seq);
    }
    out
}

#[tokio::test]
async fn on_postgres_an_open_write_holds_up_its_own_tenant_only() {
    let mut ran = false;
    for backend in backends().await {
        // SQLite has one writer at a time by design; this is about PostgreSQL's lock.
        if backend.name != "postgres" {
            continue;
        }
        ran = true;
        let store = &backend.store;
        let held_tenant = TenantCode::parse("845").unwrap();
        let other = TenantCode::parse("846").unwrap();
        store
            .create_tenant(&held_tenant, "Held", NOW)
            .await
            .unwrap();
        store.create_tenant(&other, "Other", NOW).await.unwrap();

        let held = HeldWrite::open(store, &held_tenant, NOW).await.unwrap();
        // The other tenant's audited write and audited read complete meanwhile.
        tokio::time::timeout(
            NOT_WAITING,
            store.create_agency(&agency(&other, "school".into()), NOW),
        )
        .await
        .expect("another tenant's write waited for the open one")
        .unwrap();
        tokio::time::timeout(
            NOT_WAITING,
            store.person_view(&staff(&other), PersonId::new_v7(), NOW),
        )
        .await
        .expect("another tenant's audited read waited for the open write")
        .unwrap();
        // A second write of the same tenant from another Harbour process on the same
        // database (a command-line import beside the server) waits for the database's lock.
        let elsewhere = Store::open(
            store.location().clone(),
            harbour_policy::Policy::default_policy().unwrap(),
        )
        .await
        .unwrap();
        let same = {
            let tenant = held_tenant.clone();
            tokio::spawn(async move {
                elsewhere
                    .create_agency(&agency(&tenant, "school".into()), NOW)
                    .await
            })
        };
        let StoreLocation::Postgres(url) = store.location() else {
            unreachable!("this test runs on PostgreSQL only")
        };
        a_session_waits_for_a_lock(url).await;
        assert!(
            !same.is_finished(),
            "the same tenant's second write did not wait for the first"
        );
        // One from this process waits its turn inside Harbour, without a connection.
        let queued = {
            let (store, tenant) = (store.clone(), held_tenant.clone());
            tokio::spawn(async move {
                store
                    .create_agency(&agency(&tenant, "college".into()), NOW)
                    .await
            })
        };
        let deadline = tokio::time::Instant::now() + NOT_WAITING;
        while harbour_store::testing::writers_in_turn(store, &held_tenant) < 2 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the same process's second write never queued"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!queued.is_finished(), "the queued write did not wait");
        held.commit().await.unwrap();
        for waiting in [same, queued] {
            tokio::time::timeout(NOT_WAITING, waiting)
                .await
                .expect("a waiting write did not go on once the first committed")
                .unwrap()
                .unwrap();
        }

        assert_eq!(
            store.verify_audit().await.unwrap(),
            AuditVerification::Intact { entries: 7 }
        );
        let numbers = numbers(store).await;
        assert_eq!(
            numbers["845"],
            [1, 2, 3, 4],
            "create, held write, the two writes that waited"
        );
        assert_eq!(numbers["846"], [1, 2, 3]);
    }
    if !ran {
        println!("PostgreSQL skipped: HARBOUR_TEST_POSTGRES_URL is not set");
    }
}

#[tokio::test]
async fn audited_work_of_many_tenants_at_once_leaves_every_chain_whole() {
    const TENANTS: usize = 6;
    const EACH: usize = 16;
    for backend in backends().await {
        let store = &backend.store;
        let tenants: Vec<TenantCode> = (0..TENANTS)
            .map(|i| TenantCode::parse(&format!("{}", 801 + i)).unwrap())
            .collect();
        for tenant in &tenants {
            store.create_tenant(tenant, "At once", NOW).await.unwrap();
        }
        // Every tenant's writes and reads at once, interleaved.
        let mut tasks = Vec::new();
        for n in 0..EACH {
            for tenant in &tenants {
                let store = store.clone();
                let tenant = tenant.clone();
                tasks.push(tokio::spawn(async move {
                    if n % 2 == 0 {
                        store
                            .create_agency(&agency(&tenant, format!("school{n}")), NOW)
                            .await
                    } else {
                        store
                            .person_view(&staff(&tenant), PersonId::new_v7(), NOW)
                            .await
                            .map(|_| ())
                    }
                }));
            }
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(
            store.verify_audit().await.unwrap(),
            AuditVerification::Intact {
                entries: (TENANTS * (EACH + 1)) as u64
            },
            "{}",
            backend.name
        );
        let numbers = numbers(store).await;
        let whole: Vec<i64> = (1..=i64::try_from(EACH + 1).unwrap()).collect();
        for tenant in &tenants {
            assert_eq!(
                numbers[tenant.as_str()],
                whole,
                "{}: {tenant}",
                backend.name
            );
        }
    }
}
