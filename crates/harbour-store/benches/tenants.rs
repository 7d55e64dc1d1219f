//! Audited writes of several local authorities at once on PostgreSQL, against the same
//! writes all made for one local authority: what the per-tenant audit lock lets through.
//! Kept apart from `gate` (one viewer on SQLite). Needs a server:
//! `HARBOUR_BENCH_POSTGRES_URL=postgres://… cargo bench -p harbour-store --bench tenants`
//! (a throwaway database is made on it); without the variable it says so and stops.
//!
//! Each writer is a task making audited writes one after another (an agency added: a row
//! and its audit entry, committed together). With one tenant the writers queue on that
//! tenant's lock; with a tenant each they only share the server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // benchmark code

use harbour_domain::{AgencyId, AgencyKind, TenantCode};
use harbour_policy::Policy;
use harbour_store::{AuditVerification, NewAgency, Store, StoreLocation};
use std::time::{Duration, Instant};
use time::macros::datetime;

const WRITERS: usize = 8;
const WRITES: usize = 50;
const ROUNDS: usize = 3;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// `WRITERS` tasks, writer `w` writing `WRITES` times for `tenants[w % tenants.len()]`.
async fn run(store: &Store, tenants: &[TenantCode], round: usize) -> Duration {
    let now = datetime!(2026-11-20 10:00 UTC);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        let tenant = tenants[w % tenants.len()].clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..WRITES {
                let agency = NewAgency {
                    id: AgencyId(uuid::Uuid::now_v7()),
                    tenant: tenant.clone(),
                    code: format!("r{round}w{w}n{n}"),
                    name: "School".into(),
                    kind: AgencyKind::School,
                };
                store.create_agency(&agency, now).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

fn main() {
    let Some(url) = std::env::var("HARBOUR_BENCH_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        println!("HARBOUR_BENCH_POSTGRES_URL is not set: nothing measured");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = harbour_store::testing::fresh_postgres_database(&url).await;
        let store = Store::open(
            StoreLocation::choose(Some(&url), std::path::Path::new(".")).unwrap(),
            Policy::default_policy().unwrap(),
        )
        .await
        .unwrap();
        let now = datetime!(2026-11-20 10:00 UTC);
        let tenants: Vec<TenantCode> = (0..WRITERS)
            .map(|i| TenantCode::parse(&format!("{}", 801 + i)).unwrap())
            .collect();
        for tenant in &tenants {
            store.create_tenant(tenant, "Bench", now).await.unwrap();
        }
        let mut one = Vec::new();
        let mut each = Vec::new();
        for round in 0..ROUNDS {
            one.push(run(&store, &tenants[..1], 2 * round).await);
            each.push(run(&store, &tenants, 2 * round + 1).await);
        }
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditVerification::Intact { .. }
        ));
        let writes = (WRITERS * WRITES) as f64;
        let rate = |d: Duration| writes / d.as_secs_f64();
        let (one, each) = (median(one), median(each));
        println!(
            "PostgreSQL, {WRITERS} writers x {WRITES} audited writes, {ROUNDS} rounds, medians:"
        );
        println!(
            "  all for one tenant (one lock):     {:>7.0} writes/s",
            rate(one)
        );
        println!(
            "  a tenant each ({WRITERS} locks):          {:>7.0} writes/s",
            rate(each)
        );
        println!("  ratio: {:.1}x", one.as_secs_f64() / each.as_secs_f64());
    });
}
