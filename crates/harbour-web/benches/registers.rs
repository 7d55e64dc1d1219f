//! The education registers at county scale (issue 16, point 10): building them from the
//! feeds against a bare scan of the same events in the same run, then the exclusions list and
//! "My work" pages served to an inclusion officer.
//!
//! `cargo bench -p harbour-web --bench registers` generates a synthetic county
//! (`HARBOUR_BENCH_CHILDREN`, default 120,000; seed 1), imports it into SQLite and links it
//! (not timed), and keeps that store as a snapshot. Then, `HARBOUR_BENCH_ROUNDS` times
//! (default 5), on a fresh copy of the snapshot:
//!
//! - the bare scan: the events the build reads (permanent exclusions, AP placements, EHE and
//!   CME starts and ends, roll deletions that may name an unknown destination, special
//!   schools' roll changes and child protection plans), read with one plain query from the
//!   same file through sqlx, every row decoded, with no gate, policy or audit;
//! - the build: what the pipeline's register step does after an import
//!   (`open_register_entries`: one scan of the events, every entry opened from the feeds,
//!   placements, offers, closures and s.434A findings recorded, every write audited), then
//!   the first read of each register (`exclusions_register_report`,
//!   `children_not_in_school_report`: every entry assessed on the school calendar).
//!
//! Medians of the rounds, and their ratio. The last round's store then gets the rules' alerts
//! (as the pipeline raises them after the registers) and the officers' casework the county
//! wrote (`casework.json`: board decisions, reviews, closures, placements' reviews and ends,
//! tracing steps, entered through the registers' own store calls; not timed), so that its
//! registers hold closed entries and ended placements as a council's do. It is served on a
//! loopback port, as
//! `harbour serve` does; an inclusion officer and a CME/EHE officer sign in and each page is
//! asked for `HARBOUR_BENCH_REQUESTS` times (default 200) one after another: p50 and p95 of
//! the time to the last byte of the body. Beside the exclusions list (with and without
//! filters) and "My work", each officer's home page (their alert queue alone) and the
//! children not in school list say which part of "My work" the time goes to.
//!
//! `HARBOUR_BENCH_STORE=<dir>` keeps the imported snapshot there and reuses it on the next
//! run (the import and linking take minutes at this scale), with the county's casework beside
//! it; it must be made by the same county settings, which the bench does not check. `HARBOUR_BENCH_KEEP_BUILT=<file>` keeps a
//! copy of the last round's store, registers built and alerts raised, to study its queries
//! (`sqlite3 <file>`, `EXPLAIN QUERY PLAN`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // benchmark code

use harbour_domain::{AgencyKind, EventKind, FixedClock, Role, TenantCode, UserId};
use harbour_policy::Policy;
use harbour_rules::RuleSet;
use harbour_store::{NewUser, NotInSchoolDay, RegisterDay, RunScope, Store, StoreLocation};
use harbour_synth::county::{self, Manifest};
use harbour_web::{AppState, WebConfig};
use reqwest::header::{COOKIE, SET_COOKIE};
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use time::macros::datetime;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The value below which `share` of the sorted `values` fall (nearest rank).
fn percentile(sorted: &[f64], share: f64) -> f64 {
    let rank = ((share * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The county imported and linked into a SQLite store in `dir`, as `harbour import` leaves
/// it before the pipeline's register step; its tenant.
async fn prepare(dir: &Path, children: u64, now: OffsetDateTime) -> TenantCode {
    let work = tempfile::tempdir().unwrap();
    let feeds = work.path().join("county");
    let started = Instant::now();
    let summary = county::generate(&county::Config::new(children, 1), &feeds, |_| {}).unwrap();
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(feeds.join("manifest.json")).unwrap())
            .unwrap();
    // What the officers record, kept with the snapshot (the feeds are not).
    std::fs::create_dir_all(casework_dir(dir)).unwrap();
    for file in ["casework.json", "manifest.json"] {
        std::fs::copy(feeds.join(file), casework_dir(dir).join(file)).unwrap();
    }
    let store = Store::open_for_import(
        StoreLocation::choose(None, dir).unwrap(),
        Policy::default_policy().unwrap(),
    )
    .await
    .unwrap();
    let (tenant, files) = harbour_ingest::set_up_agencies(
        &store,
        &manifest,
        &feeds,
        harbour_ingest::Placement::AsNamed,
        now,
    )
    .await
    .unwrap();
    harbour_ingest::import_files(&store, &tenant, &files, now, |_| {})
        .await
        .unwrap();
    let linked = store
        .relink(&tenant, &harbour_link::Settings::default(), now)
        .await
        .unwrap();
    println!(
        "county: {children} children, {} events, {} people; generated, imported and linked in {:.0} s (not timed below)",
        summary.events,
        linked.persons,
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    tenant
}

/// Where the snapshot in `dir` keeps the county's casework and manifest.
fn casework_dir(dir: &Path) -> PathBuf {
    dir.join("casework")
}

/// The SQLite file of the store in `dir`.
fn sqlite_file(dir: &Path) -> PathBuf {
    match StoreLocation::choose(None, dir).unwrap() {
        StoreLocation::Sqlite(file) => file,
        StoreLocation::Postgres(_) => unreachable!("no URL was given"),
    }
}

/// Copies the store's file from `from` into the empty directory `to` (closed, so its
/// write-ahead log has been checkpointed into it), and waits for the copy to reach the disk.
/// Without the wait, the build's first checkpoint (SQLite's, at the commit of the register
/// step, which syncs the store's file) wrote out the copy's 2.6 GB as well: about 1 s of the
/// build's 3.4 s was the bench's own copy.
fn copy_store(from: &Path, to: &Path) {
    std::fs::copy(sqlite_file(from), sqlite_file(to)).unwrap();
    std::fs::File::open(sqlite_file(to))
        .unwrap()
        .sync_all()
        .unwrap();
}

/// The reference: every event the register build reads, in one plain query over the same
/// file, each row decoded as the build decodes it. The narrowing the build does in SQL
/// without the register tables is kept (a roll deletion's details must name an unknown
/// destination; roll changes count only at special schools), so that both read the same
/// rows; the rest of the build (which of them are on a register, which child each entry is
/// now about, the latest version of each event) is what the comparison measures. Every
/// condition names the event alone (special schools by a subquery, not a join), so SQLite
/// drops the other events before looking up their records: a join to the agencies in the
/// condition made it look up the record of every event first, and doubled the scan.
async fn bare_scan(file: &Path, tenant: &TenantCode) -> (usize, usize) {
    use sqlx::ConnectOptions;
    // Rows read ahead as the store's own connections read them.
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .row_buffer_size(harbour_store::SQLITE_ROW_BUFFER)
        .connect()
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT sr.person_id, e.agency_id, e.record_key, e.occurred_on, e.details \
         FROM events e JOIN source_records sr \
           ON sr.tenant_code = e.tenant_code AND sr.id = e.source_record_id \
         WHERE e.tenant_code = $1 AND ( \
           e.kind IN ($2, $3, $4, $5, $6, $7, $8, $9) \
           OR (e.kind = $10 AND e.about_school IS NULL AND e.details LIKE '%not_known%') \
           OR (e.kind IN ($10, $11) AND e.agency_id IN (SELECT id FROM agencies WHERE special_school)))",
    )
    .bind(tenant.as_str())
    .bind(EventKind::PermanentExclusion.as_str())
    .bind(EventKind::AlternativeProvision.as_str())
    .bind(EventKind::EheRegistration.as_str())
    .bind(EventKind::EheEnd.as_str())
    .bind(EventKind::CmeStart.as_str())
    .bind(EventKind::CmeEnd.as_str())
    .bind(EventKind::ChildProtectionPlanStart.as_str())
    .bind(EventKind::ChildProtectionPlanEnd.as_str())
    .bind(EventKind::SchoolLeaving.as_str())
    .bind(EventKind::SchoolEnrolment.as_str())
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut bytes = 0;
    for row in &rows {
        let _person: uuid::Uuid = row.get(0);
        let _agency: uuid::Uuid = row.get(1);
        let key: String = row.get(2);
        let _on: time::Date = row.get(3);
        let details: String = row.get(4);
        bytes += key.len() + details.len();
    }
    (rows.len(), bytes)
}

/// What the build made, for the printout, and how long its register step took.
struct Built {
    exclusions: usize,
    home_education: usize,
    missing_education: usize,
    step: Duration,
}

/// The pipeline's register step, then the first read of each register.
async fn build(store: &Store, tenant: &TenantCode, rules: &RuleSet, now: OffsetDateTime) -> Built {
    let started = Instant::now();
    store.open_register_entries(tenant, now).await.unwrap();
    let step = started.elapsed();
    let settings = harbour_casework::RegisterSettings::default();
    let today = harbour_domain::london_today(now);
    let exclusions = store
        .exclusions_register_report(
            tenant,
            RegisterDay {
                calendar: rules.calendar(),
                settings: settings.exclusions,
                today,
            },
            now,
        )
        .await
        .unwrap();
    let not_in_school = store
        .children_not_in_school_report(
            tenant,
            NotInSchoolDay {
                calendar: rules.calendar(),
                settings: settings.not_in_school,
                today,
            },
            now,
        )
        .await
        .unwrap();
    Built {
        exclusions: exclusions.entries.len(),
        home_education: not_in_school.home_education.len(),
        missing_education: not_in_school.missing_education.len(),
        step,
    }
}

/// A demo account (chosen on the demo sign-in page) with `role` at `agency`.
async fn demo_user(
    store: &Store,
    tenant: &TenantCode,
    agency: harbour_domain::AgencyId,
    role: Role,
    name: &str,
    now: OffsetDateTime,
) -> UserId {
    let id = UserId::new_v7();
    store
        .create_user(
            &NewUser {
                id,
                tenant: tenant.clone(),
                agency,
                email: format!("{}@bench.example", role.as_str()),
                display_name: name.to_owned(),
                roles: [role].into(),
                is_demo: true,
            },
            now,
        )
        .await
        .unwrap();
    id
}

async fn sign_in(client: &reqwest::Client, base: &str, user: UserId) -> String {
    let response = client
        .post(format!("{base}/sign-in"))
        .form(&[("user_id", user.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// Asks for `path` `requests` times, one after another; prints p50, p95 and the body size.
async fn pages(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    who: &str,
    path: &str,
    requests: usize,
) {
    let mut times = Vec::with_capacity(requests);
    let mut size = 0;
    for _ in 0..requests {
        let started = Instant::now();
        let response = client
            .get(format!("{base}{path}"))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{path}");
        size = response.bytes().await.unwrap().len();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "  {who:<18} {path:<60} p50 {:>6.1} ms  p95 {:>6.1} ms  ({} kB)",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        size / 1024
    );
}

fn main() {
    let children: u64 = env_or("HARBOUR_BENCH_CHILDREN", 120_000);
    let rounds: usize = env_or("HARBOUR_BENCH_ROUNDS", 5);
    let requests: usize = env_or("HARBOUR_BENCH_REQUESTS", 200);
    // The day after the county's data was taken (`county::Config::new`: 31 August 2026).
    let now = datetime!(2026-09-01 09:00 UTC);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let snapshot = std::env::var("HARBOUR_BENCH_STORE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| work.path().join("snapshot"));
    let rules = RuleSet::builtin().unwrap();
    runtime.block_on(async {
        std::fs::create_dir_all(&snapshot).unwrap();
        let tenant = if sqlite_file(&snapshot).exists() {
            assert!(
                casework_dir(&snapshot).join("casework.json").exists(),
                "the snapshot in {} has no casework beside it (made by an older bench): delete it",
                snapshot.display()
            );
            // Opened once so that any migration newer than the snapshot is applied before
            // the copies are made, not inside a timed round.
            let store = Store::open(
                StoreLocation::choose(None, &snapshot).unwrap(),
                Policy::default_policy().unwrap(),
            )
            .await
            .unwrap();
            let tenant = store.tenants().await.unwrap().remove(0).0;
            store.close().await;
            println!("county: the snapshot in {}", snapshot.display());
            tenant
        } else {
            prepare(&snapshot, children, now).await
        };

        let (mut bare, mut built) = (Vec::new(), Vec::new());
        let mut last = None;
        for round in 0..rounds {
            let dir = work.path().join(format!("round-{round}"));
            std::fs::create_dir_all(&dir).unwrap();
            copy_store(&snapshot, &dir);
            let store = Store::open(
                StoreLocation::choose(None, &dir).unwrap(),
                Policy::default_policy().unwrap(),
            )
            .await
            .unwrap();

            let clock = Instant::now();
            let (rows, _bytes) = bare_scan(&sqlite_file(&dir), &tenant).await;
            bare.push(clock.elapsed().as_secs_f64());

            let clock = Instant::now();
            let made = build(&store, &tenant, &rules, now).await;
            built.push(clock.elapsed().as_secs_f64());
            if round == 0 {
                println!(
                    "  bare scan: {rows} events; build: {} exclusions, {} home education, {} missing education entries",
                    made.exclusions, made.home_education, made.missing_education
                );
            }
            println!(
                "  round {round}: bare scan {:.3} s, build {:.3} s (of which the register step {:.3} s)",
                bare[round],
                built[round],
                made.step.as_secs_f64()
            );
            if let Some((old, old_dir)) = last.replace((store, dir)) {
                old.close().await;
                std::fs::remove_dir_all(old_dir).unwrap();
            }
        }
        let (bare, built) = (median(bare), median(built));
        println!("bare scan of the events the build reads (reference): {bare:>7.3} s");
        println!(
            "register build (open from the feeds, first read):    {built:>7.3} s   ({:.2}x the scan)",
            built / bare
        );

        // The pages, on the last round's store with the rules' alerts raised.
        let (store, built_dir) = last.unwrap();
        let run = store
            .run_rules(&tenant, &rules, RunScope::All, now.date(), now)
            .await
            .unwrap();
        let agencies = store.list_agencies(&tenant).await.unwrap();
        let la = agencies
            .iter()
            .find(|a| a.kind == AgencyKind::LocalAuthority)
            .unwrap()
            .id;
        let officer = demo_user(&store, &tenant, la, Role::LaInclusionOfficer, "Inclusion", now).await;
        let cme = demo_user(&store, &tenant, la, Role::LaCmeEheOfficer, "Tracing", now).await;
        let principal = |user: UserId, role: Role| harbour_policy::Principal {
            user,
            tenant: tenant.clone(),
            agency: la,
            roles: [role].into(),
        };
        let clock = Instant::now();
        let recorded = county::casework::record(
            &store,
            &tenant,
            county::casework::Officers {
                inclusion: &principal(officer, Role::LaInclusionOfficer),
                missing_education: &principal(cme, Role::LaCmeEheOfficer),
            },
            &casework_dir(&snapshot),
            rules.calendar(),
            harbour_casework::RegisterSettings::default(),
            harbour_domain::london_today(now),
            now,
        )
        .await
        .unwrap();
        println!(
            "casework: {} facts on {} entries recorded in {:.0} s (not timed)",
            recorded.facts,
            recorded.entries,
            clock.elapsed().as_secs_f64()
        );
        let state = AppState::new(
            store.clone(),
            Arc::new(RuleSet::builtin().unwrap()),
            Arc::new(FixedClock::new(now)),
            WebConfig {
                demo_sign_in: true,
                ..WebConfig::default()
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(harbour_web::serve(listener, state, async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let officer = sign_in(&client, &base, officer).await;
        let cme = sign_in(&client, &base, cme).await;
        // The school with the most entries, for the school filter.
        let register = store
            .exclusions_register_report(
                &tenant,
                RegisterDay {
                    calendar: rules.calendar(),
                    settings: harbour_casework::RegisterSettings::default().exclusions,
                    today: harbour_domain::london_today(now),
                },
                now,
            )
            .await
            .unwrap();
        let mut by_school = std::collections::BTreeMap::<_, usize>::new();
        for entry in &register.entries {
            if let Some(school) = entry.school {
                *by_school.entry(school.0).or_default() += 1;
            }
        }
        let school = by_school.into_iter().max_by_key(|(_, n)| *n).unwrap().0;
        println!(
            "pages ({requests} requests each, one at a time; {} alerts raised by the rules):",
            run.alerts_raised
        );
        for path in [
            "/registers/exclusions".to_owned(),
            "/registers/exclusions?status=all".to_owned(),
            "/registers/exclusions?overdue=yes".to_owned(),
            format!("/registers/exclusions?status=all&school={school}&min_age=11&max_age=16"),
            "/work".to_owned(),
            // The home page is the alert queue alone: the part of "My work" from alerts.
            "/".to_owned(),
        ] {
            pages(&client, &base, &officer, "inclusion officer", &path, requests).await;
        }
        // The register the CME/EHE officer keeps, then their work with its tasks.
        for path in ["/children-not-in-school", "/work", "/"] {
            pages(&client, &base, &cme, "CME/EHE officer", path, requests).await;
        }
        let _ = stop.send(());
        let _ = server.await;
        store.close().await;
        if let Ok(keep) = std::env::var("HARBOUR_BENCH_KEEP_BUILT") {
            std::fs::copy(sqlite_file(&built_dir), &keep).unwrap();
            println!("the built store (registers and alerts) is kept in {keep}");
        }
    });
}
