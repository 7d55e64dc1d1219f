//! Critical-moment rules over a county, against reading the same events, in the same run.
//!
//! `cargo bench -p harbour-ingest --bench rules` generates a synthetic county
//! (`HARBOUR_BENCH_CHILDREN`, default 140,000: the synthetic county has about 37 events a
//! child, and the goal is stated for at least 5,000,000 events), imports it into SQLite and links it, then:
//! reads every person's events the way the rules do but without evaluating them (the
//! reference), runs every rule over every timeline (`run_rules(All)`), and after importing
//! 10,000 new events runs the rules again over the timelines that changed. Each measured
//! three times; medians printed. Memory is the process's peak.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // benchmark code

use harbour_domain::feeds::Feed;
use harbour_ingest::import_file;
use harbour_policy::Policy;
use harbour_rules::RuleSet;
use harbour_store::{RunScope, Store, StoreLocation};
use harbour_synth::county::{self, Manifest};
use std::path::Path;
use std::time::Instant;
use time::macros::datetime;

fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// 10,000 new attendance events for children already on the roll: the first rows of the
/// largest attendance file, under new event keys.
fn new_events(dir: &Path, manifest: &Manifest, round: usize) -> (String, std::path::PathBuf) {
    let feed = manifest
        .feeds
        .iter()
        .filter(|f| f.feed == Feed::SchoolAttendance)
        .max_by_key(|f| {
            std::fs::metadata(dir.join(&f.file))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .unwrap();
    let mut reader = csv::Reader::from_path(dir.join(&feed.file)).unwrap();
    let headers = reader.headers().unwrap().clone();
    let key = headers.iter().position(|h| h == "event_key").unwrap();
    let out = dir.join(format!("bench-new-{round}.csv"));
    let mut writer = csv::Writer::from_path(&out).unwrap();
    writer.write_record(&headers).unwrap();
    for row in reader.records().take(10_000) {
        let row = row.unwrap();
        let fields: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if i == key {
                    format!("{v}-new{round}")
                } else {
                    v.to_owned()
                }
            })
            .collect();
        writer.write_record(&fields).unwrap();
    }
    writer.flush().unwrap();
    (feed.agency.clone(), out)
}

fn main() {
    let children: u64 = std::env::var("HARBOUR_BENCH_CHILDREN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(140_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("county");
    let summary = county::generate(&county::Config::new(children, 1), &dir, |_| {}).unwrap();
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let rules = RuleSet::builtin().unwrap();
    runtime.block_on(async {
        let now = datetime!(2026-09-01 09:00 UTC);
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
        let agencies = store.list_agencies(&tenant).await.unwrap();
        let started = Instant::now();
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
        let linked = store
            .relink(&tenant, &harbour_link::Settings::default(), now)
            .await
            .unwrap();
        println!(
            "county: {children} children, {} events, {} people; imported and linked in {:.0} s",
            summary.events,
            linked.persons,
            started.elapsed().as_secs_f64()
        );

        let (mut read, mut full, mut incremental) = (Vec::new(), Vec::new(), Vec::new());
        let mut report = None;
        for round in 0..3 {
            let clock = Instant::now();
            let events = store.count_rule_events(&tenant, now).await.unwrap();
            read.push(clock.elapsed().as_secs_f64());

            let at = now + time::Duration::days(i64::try_from(round).unwrap());
            let clock = Instant::now();
            let run = store
                .run_rules(&tenant, &rules, RunScope::All, at.date(), at)
                .await
                .unwrap();
            full.push(clock.elapsed().as_secs_f64());
            if round == 0 {
                println!(
                    "  full run: {} timelines, {} firings, {} alerts raised; {events} events read",
                    run.persons_evaluated, run.firings, run.alerts_raised
                );
            }

            let (agency_code, file) = new_events(&dir, &manifest, round);
            let agency = agencies.iter().find(|a| a.code == agency_code).unwrap().id;
            let later = at + time::Duration::hours(1);
            let counts = import_file(
                &store,
                &tenant,
                agency,
                Feed::SchoolAttendance,
                &file,
                later,
                |_| {},
            )
            .await
            .unwrap();
            assert_eq!(counts.accepted, 10_000);
            let after = later + time::Duration::minutes(1);
            let clock = Instant::now();
            let run = store
                .run_rules(&tenant, &rules, RunScope::Changed, after.date(), after)
                .await
                .unwrap();
            incremental.push(clock.elapsed().as_secs_f64());
            report = Some(run);
        }
        let run = report.unwrap();
        println!(
            "  incremental run after 10,000 new events: {} timelines evaluated",
            run.persons_evaluated
        );
        let (read, full, incremental) = (median(read), median(full), median(incremental));
        println!("reading every event as the rules do (reference): {read:>6.2} s");
        println!(
            "rules over every timeline (run_rules all):       {full:>6.2} s   ({:.2}x the read)",
            full / read
        );
        println!("rules after 10,000 new events (changed only):    {incremental:>6.2} s");
        println!("peak memory: {:.0} MB", peak_memory_mb());
        store.close().await;
    });
}
