//! Alert burden: how many rows a school's designated safeguarding lead finds in their queue
//! each week on a synthetic county (issue 14, point 21). Not a timing: a count.
//!
//! `cargo bench -p harbour-ingest --bench alert_burden` generates a synthetic county
//! (`HARBOUR_BENCH_CHILDREN`, default 5,000; seed 1), imports and links it, runs the rules once
//! over every timeline as of `HARBOUR_BENCH_DAY` (default 2026-09-01), then signs in a lead at
//! every school and reads their queue and their list through the store, as the home page does.
//! A full run raises the firings of the raise window (`raise_within_days`, 90 days), so a
//! lead's rows divided by 90/7 is their rows per week. "One row per alert" counts queue and
//! list alerts as if all were queue rows (before the list); "queue rows" counts the queue
//! plus one row for the list when it holds anything (after).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // benchmark code

use harbour_domain::{AgencyKind, Role, UserId};
use harbour_ingest::import_file;
use harbour_policy::Policy;
use harbour_rules::RuleSet;
use harbour_store::{NewUser, QueueFilter, RunScope, Store, StoreLocation};
use harbour_synth::county::{self, Manifest};
use time::macros::format_description;

fn main() {
    let children: u64 = std::env::var("HARBOUR_BENCH_CHILDREN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let day = std::env::var("HARBOUR_BENCH_DAY").unwrap_or_else(|_| "2026-09-01".to_owned());
    let day = time::Date::parse(&day, format_description!("[year]-[month]-[day]")).unwrap();
    let now = day.with_hms(9, 0, 0).unwrap().assume_utc();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("county");
    county::generate(&county::Config::new(children, 1), &dir, |_| {}).unwrap();
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let rules = RuleSet::builtin().unwrap();
    runtime.block_on(async {
        let store = Store::open(
            StoreLocation::choose(None, &work.path().join("store")).unwrap(),
            Policy::default_policy().unwrap(),
        )
        .await
        .unwrap();
        let (tenant, files) = harbour_ingest::set_up_agencies(
            &store,
            &manifest,
            &dir,
            harbour_ingest::Placement::AsNamed,
            now,
        )
        .await
        .unwrap();
        for file in &files {
            import_file(
                &store,
                &tenant,
                file.agency,
                file.feed,
                &file.path,
                now,
                |_| {},
            )
            .await
            .unwrap();
        }
        store
            .relink(&tenant, &harbour_link::Settings::default(), now)
            .await
            .unwrap();
        let run = store
            .run_rules(&tenant, &rules, RunScope::All, day, now)
            .await
            .unwrap();
        let weeks = f64::from(rules.raise_within_days()) / 7.0;
        let schools: Vec<_> = store
            .list_agencies(&tenant)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.kind == AgencyKind::School)
            .collect();
        let (mut before, mut after) = (Vec::new(), Vec::new());
        let mut listed_alerts = 0usize;
        for (n, school) in schools.iter().enumerate() {
            let id = UserId::new_v7();
            store
                .create_user(
                    &NewUser {
                        id,
                        tenant: tenant.clone(),
                        agency: school.id,
                        email: format!("dsl{n}@burden.example"),
                        display_name: format!("Lead {n}"),
                        roles: [Role::SchoolDsl].into(),
                        is_demo: true,
                    },
                    now,
                )
                .await
                .unwrap();
            let who = store.demo_user(id).await.unwrap().unwrap().principal;
            let queue = store
                .alert_queue(&who, &QueueFilter::default(), now)
                .await
                .unwrap()
                .len();
            let list = store
                .alert_queue(
                    &who,
                    &QueueFilter {
                        list: true,
                        ..QueueFilter::default()
                    },
                    now,
                )
                .await
                .unwrap()
                .len();
            listed_alerts += list;
            before.push((queue + list) as f64 / weeks);
            after.push((queue + usize::from(list > 0)) as f64 / weeks);
        }
        let stats = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            let median = v.get(v.len() / 2).copied().unwrap_or(0.0);
            let max = v.last().copied().unwrap_or(0.0);
            let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
            (mean, median, max)
        };
        let (b_mean, b_median, b_max) = stats(&mut before);
        let (a_mean, a_median, a_max) = stats(&mut after);
        println!(
            "county: {children} children, {} schools; rules as of {day}: {} firings, {} alerts raised ({listed_alerts} of them to school leads' lists)",
            schools.len(),
            run.firings,
            run.alerts_raised
        );
        println!(
            "per school lead per week, one row per alert: mean {b_mean:.1}, median {b_median:.1}, max {b_max:.1}"
        );
        println!(
            "per school lead per week, queue rows (list as one row): mean {a_mean:.1}, median {a_median:.1}, max {a_max:.1}"
        );
        store.close().await;
    });
}
