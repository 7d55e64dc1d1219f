//! What the gate costs: an audited, policy-scoped view of a child's record against the bare
//! SQLite query that reads the same timeline rows with no policy and no audit, in the same
//! run on the same file. Run with `cargo bench -p harbour-store --bench gate`.
//!
//! Each audited read is a write transaction (the audit entry) committed with
//! `synchronous=FULL`, so the ratio is mostly the price of an fsync per look: the price of
//! "every look is accounted for".

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // benchmark code

use harbour_domain::Role;
use harbour_policy::{Policy, Principal};
use harbour_store::{Store, StoreLocation};
use harbour_synth::demo;
use std::time::{Duration, Instant};
use time::macros::datetime;

const VIEWS: usize = 500;
const ROUNDS: usize = 5;
/// Viewers at once in the concurrent case: several practitioners opening records together.
const VIEWERS: usize = 8;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let location = StoreLocation::choose(None, dir.path()).unwrap();
        let store = Store::open(location.clone(), Policy::default_policy().unwrap()).await.unwrap();
        let now = datetime!(2026-11-20 10:00 UTC);
        let county = demo::load_demo(&store, now).await.unwrap();
        let jayden = demo::jayden(&county).unwrap();
        let user = county.users.iter().find(|u| u.roles.contains(&Role::SocialWorker)).unwrap();
        let who = Principal { user: user.id, tenant: county.tenant.clone(), agency: user.agency, roles: user.roles.clone() };
        let events = store.person_view(&who, jayden, now).await.unwrap().unwrap().timeline.len();

        let StoreLocation::Sqlite(path) = &location else { unreachable!() };
        let bare = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display())).await.unwrap();
        // The same rows the social worker is shown (everything but police intelligence).
        let bare_sql = "SELECT e.id, e.kind, e.occurred_on, e.recorded_at, e.handling, e.summary, e.agency_id, a.name \
             FROM events e JOIN source_records sr ON sr.tenant_code = e.tenant_code AND sr.id = e.source_record_id \
             JOIN agencies a ON a.id = e.agency_id WHERE e.tenant_code = $1 AND sr.person_id = $2 \
             AND e.handling <> 'police_intelligence' ORDER BY e.occurred_on, e.recorded_at, e.id";

        let mut gate = Vec::new();
        let mut reference = Vec::new();
        for _ in 0..ROUNDS {
            let started = Instant::now();
            for _ in 0..VIEWS {
                let view = store.person_view(&who, jayden, now).await.unwrap().unwrap();
                assert_eq!(view.timeline.len(), events);
            }
            gate.push(started.elapsed());

            let started = Instant::now();
            for _ in 0..VIEWS {
                let rows = sqlx::query(bare_sql).bind(county.tenant.as_str()).bind(jayden.0).fetch_all(&bare).await.unwrap();
                assert_eq!(rows.len(), events);
            }
            reference.push(started.elapsed());
        }
        // The same views from VIEWERS tasks at once, VIEWS in all per round: what a busy
        // afternoon asks of one file. Audited views serialise on the audit append (one writer);
        // the question is how much of each view waits behind the others.
        let mut gate_together = Vec::new();
        let mut reference_together = Vec::new();
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let tasks: Vec<_> = (0..VIEWERS)
                .map(|_| {
                    let (store, who) = (store.clone(), who.clone());
                    tokio::spawn(async move {
                        for _ in 0..VIEWS / VIEWERS {
                            let view = store.person_view(&who, jayden, now).await.unwrap().unwrap();
                            assert_eq!(view.timeline.len(), events);
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            gate_together.push(started.elapsed());

            let started = Instant::now();
            let tasks: Vec<_> = (0..VIEWERS)
                .map(|_| {
                    let (bare, tenant) = (bare.clone(), county.tenant.clone());
                    tokio::spawn(async move {
                        for _ in 0..VIEWS / VIEWERS {
                            let rows = sqlx::query(bare_sql).bind(tenant.as_str()).bind(jayden.0).fetch_all(&bare).await.unwrap();
                            assert_eq!(rows.len(), events);
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            reference_together.push(started.elapsed());
        }

        let gate = median(gate);
        let reference = median(reference);
        let per = |d: Duration, n: usize| d.as_secs_f64() * 1e6 / n as f64;
        let n = VIEWS;
        println!("single view of a {events}-event timeline, {VIEWS} views x {ROUNDS} rounds, medians:");
        println!("  audited gate (policy scope + audit entry, synchronous=FULL): {:>8.1} µs/view  {:>7.0} views/s", per(gate, n), 1e6 / per(gate, n));
        println!("  bare SQLite query, same rows, no policy or audit:             {:>8.1} µs/view  {:>7.0} views/s", per(reference, n), 1e6 / per(reference, n));
        println!("  ratio gate/bare: {:.1}x", gate.as_secs_f64() / reference.as_secs_f64());
        let gate = median(gate_together);
        let reference = median(reference_together);
        let n = VIEWS / VIEWERS * VIEWERS;
        println!("{VIEWERS} viewers at once, {n} views per round, medians:");
        println!("  audited gate:      {:>8.1} µs/view  {:>7.0} views/s", per(gate, n), 1e6 / per(gate, n));
        println!("  bare SQLite query: {:>8.1} µs/view  {:>7.0} views/s", per(reference, n), 1e6 / per(reference, n));
        println!("  ratio gate/bare: {:.1}x", gate.as_secs_f64() / reference.as_secs_f64());
    });
}
