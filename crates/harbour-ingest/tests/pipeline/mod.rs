//! The ingest pipeline and its queue, on SQLite and (when `HARBOUR_TEST_POSTGRES_URL` is set)
//! PostgreSQL: the command line's way in and the feed API's give the same people and alerts; a
//! job a crashed worker left running is resumed; the queue's claims, outcomes and scoping.

use super::{NOW, stores};
use harbour_domain::feeds::{Feed, Manifest};
use harbour_domain::{AgencyId, AgencyKind, Clock, FixedClock, IngestJobId, TenantCode};
use harbour_import::{ImportCounts, ImportRow, QuarantineRow};
use harbour_ingest::{Pipeline, Placement, Worker, set_up_agencies};
use harbour_store::{
    AuditVerification, IngestJob, JobStatus, NewAgency, NewIngestJob, Store, StoreLocation,
};
use harbour_synth::county;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn pipeline(store: &Store) -> Pipeline {
    Pipeline::new(
        store.clone(),
        Arc::new(harbour_rules::RuleSet::builtin().unwrap()),
        Arc::new(FixedClock::new(NOW)),
    )
}

fn read_manifest(dir: &Path) -> Manifest {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// A file's rows as an agency system would send them through the API: parsed by the same
/// parser, whole file at once.
fn parse_file(feed: Feed, path: &Path) -> (Vec<ImportRow>, Vec<QuarantineRow>) {
    let today = NOW.date();
    let (mut rows, mut rejected) = (Vec::new(), Vec::new());
    if feed.is_xml() {
        use harbour_import::ctf::{CtfReader, Next};
        let file = std::fs::File::open(path).unwrap();
        let mut reader = CtfReader::new(std::io::BufReader::new(file), today);
        loop {
            match reader.next_pupil().unwrap() {
                Next::Pupil(Ok(pupil)) => rows.extend(pupil),
                Next::Pupil(Err(q)) => rejected.push(*q),
                Next::End => break,
            }
        }
    } else {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header = harbour_import::Header::check(feed, reader.headers().unwrap()).unwrap();
        for (index, record) in reader.records().enumerate() {
            match harbour_import::parse_row(&header, &record.unwrap(), index as u64 + 2, today) {
                Ok(row) => rows.push(row),
                Err(q) => rejected.push(*q),
            }
        }
    }
    (rows, rejected)
}

/// What a store ends up holding, without its random ids: each person as the set of
/// (agency, record key) behind it, and each alert as (its person's records, rule, queue).
type Outcome = (
    BTreeSet<BTreeSet<(String, String)>>,
    Vec<(BTreeSet<(String, String)>, String, String)>,
);

async fn outcome(store: &Store, tenant: &TenantCode) -> Outcome {
    let mut by_person: std::collections::BTreeMap<uuid::Uuid, BTreeSet<(String, String)>> =
        Default::default();
    for (_, agency, key, person) in store.record_persons(tenant, super::NOW).await.unwrap() {
        by_person.entry(person).or_default().insert((agency, key));
    }
    // The queue by role and agency code (the recipient key holds the agency's random id).
    let sql = "SELECT al.person_id, al.rule_id, al.recipient_role || ':' || COALESCE(a.code, '') \
               FROM alerts al LEFT JOIN agencies a ON a.id = al.recipient_agency WHERE al.tenant_code = $1";
    let alerts: Vec<(uuid::Uuid, String, String)> = rows(store, sql, tenant).await;
    let mut alerts: Vec<_> = alerts
        .into_iter()
        .map(|(person, rule, queue)| (by_person[&person].clone(), rule, queue))
        .collect();
    alerts.sort();
    (by_person.into_values().collect(), alerts)
}

/// Waits until the worker has finished `job`. The bound (five minutes) only turns a hang
/// into a failure: it is far beyond the work even on a machine busy with other builds, so
/// the test waits on the job's status, never on a guess of how long the work takes (a count
/// of short sleeps was a guess that a loaded machine could outrun).
async fn finished(
    store: &Store,
    tenant: &TenantCode,
    agency: AgencyId,
    job: IngestJobId,
) -> IngestJob {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        let found = store
            .ingest_job(tenant, agency, job)
            .await
            .unwrap()
            .unwrap();
        if matches!(found.status, JobStatus::Done | JobStatus::Failed) {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job {job} did not finish in five minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_command_line_and_the_feed_api_give_the_same_people_and_alerts() {
    let out = tempfile::tempdir().unwrap();
    let county_dir = out.path().join("county");
    county::generate(&county::Config::new(300, 11), &county_dir, |_| {}).unwrap();
    let manifest = read_manifest(&county_dir);
    let mut outcomes = Vec::new();
    for (store, _dir) in stores().await {
        // The command line's way: files imported with read-ahead, then the queue drained.
        let cli = pipeline(&store);
        let (tenant, files) =
            set_up_agencies(&store, &manifest, &county_dir, Placement::AsNamed, NOW)
                .await
                .unwrap();
        let imported = cli.import_files(&tenant, &files, |_| {}).await.unwrap();
        assert_eq!(imported.jobs.len(), files.len(), "a job for each file");
        let ran = cli.drain().await.unwrap();
        assert_eq!(ran.len(), 1, "one claim takes every job of the tenant");
        assert_eq!(ran[0].jobs, imported.jobs);
        assert!(ran[0].rules.alerts_raised > 0, "{:?}", ran[0].rules);
        let by_cli = outcome(&store, &tenant).await;
        // Every permanent exclusion the feeds sent opened one register entry.
        let exclusions = count(
            &store,
            "SELECT COUNT(*) FROM (SELECT DISTINCT agency_id, record_key FROM events \
             WHERE tenant_code = $1 AND kind = 'permanent_exclusion') x",
            &tenant,
        )
        .await;
        let entries = count(
            &store,
            "SELECT COUNT(*) FROM register_entries WHERE tenant_code = $1 AND register = 'exclusions'",
            &tenant,
        )
        .await;
        assert!(exclusions > 0, "the county has permanent exclusions");
        assert_eq!(entries, exclusions, "one register entry per exclusion");

        // The feed API's way, on a fresh store of the same backend: each file's rows
        // submitted, answered once stored and queued, then a background worker runs them.
        let (api_store, _api_dir) = match store.location() {
            StoreLocation::Sqlite(_) => {
                let dir = tempfile::tempdir().unwrap();
                let store = Store::open(
                    StoreLocation::choose(None, dir.path()).unwrap(),
                    harbour_policy::Policy::default_policy().unwrap(),
                )
                .await
                .unwrap();
                (store, Some(dir))
            }
            StoreLocation::Postgres(_) => {
                let admin = std::env::var("HARBOUR_TEST_POSTGRES_URL").unwrap();
                let url = harbour_store::testing::fresh_postgres_database(&admin).await;
                let store = Store::open(
                    StoreLocation::choose(Some(&url), Path::new(".")).unwrap(),
                    harbour_policy::Policy::default_policy().unwrap(),
                )
                .await
                .unwrap();
                (store, None)
            }
        };
        let api = Arc::new(pipeline(&api_store));
        let (api_tenant, files) =
            set_up_agencies(&api_store, &manifest, &county_dir, Placement::AsNamed, NOW)
                .await
                .unwrap();
        let mut jobs = Vec::new();
        for file in &files {
            let (rows, rejected) = parse_file(file.feed, &file.path);
            let (job, counts) = api
                .import_rows(
                    &api_tenant,
                    file.agency,
                    file.feed,
                    "api 2026-09-01",
                    &rows,
                    &rejected,
                )
                .await
                .unwrap();
            let queued = api_store
                .ingest_job(&api_tenant, file.agency, job)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((queued.status, queued.counts), (JobStatus::Queued, counts));
            jobs.push((file.agency, job));
        }
        // Started once every submission is queued, so that it links them in one claim as the
        // command line did (linking in several steps may place a borderline record differently).
        let worker = Worker::spawn(api.clone());
        for (agency, job) in &jobs {
            let done = finished(&api_store, &api_tenant, *agency, *job).await;
            assert_eq!(
                (done.status, done.attempts),
                (JobStatus::Done, 1),
                "{done:?}"
            );
        }
        worker.stop().await;
        let by_api = outcome(&api_store, &api_tenant).await;
        assert_eq!(by_cli.0.len(), by_api.0.len(), "as many people");
        let only_cli: Vec<_> = by_cli.0.difference(&by_api.0).collect();
        let only_api: Vec<_> = by_api.0.difference(&by_cli.0).collect();
        assert!(
            only_cli.is_empty() && only_api.is_empty(),
            "the same people: {only_cli:?} / {only_api:?}"
        );
        assert_eq!(by_cli.1.len(), by_api.1.len(), "as many alerts");
        assert!(by_cli.1 == by_api.1, "the same alerts");
        for store in [&store, &api_store] {
            assert!(matches!(
                store.verify_audit().await.unwrap(),
                AuditVerification::Intact { .. }
            ));
        }
        outcomes.push(by_cli);
    }
    assert!(
        outcomes.windows(2).all(|w| w[0] == w[1]),
        "both backends agree"
    );
}

/// A tenant with two police forces (so one may ask after the other's jobs).
async fn two_agencies(store: &Store) -> (TenantCode, AgencyId, AgencyId) {
    let tenant = TenantCode::parse("999").unwrap();
    store
        .create_tenant(&tenant, "Testshire", NOW)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for code in ["police", "transport-police"] {
        let id = AgencyId::new_v7();
        store
            .create_agency(
                &NewAgency {
                    id,
                    tenant: tenant.clone(),
                    code: code.into(),
                    name: code.into(),
                    kind: AgencyKind::Police,
                },
                NOW,
            )
            .await
            .unwrap();
        ids.push(id);
    }
    (tenant, ids[0], ids[1])
}

fn police_rows() -> Vec<ImportRow> {
    let fields = |key: &str| {
        [
            ("record_key", "PN900"),
            ("given_name", "Kai"),
            ("family_name", "Stone"),
            ("date_of_birth", "2010-02-02"),
            ("event_key", key),
            ("type", "missing"),
            ("date", "2026-08-01"),
            ("offence", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect::<std::collections::BTreeMap<_, _>>()
    };
    ["PN900-1", "PN900-2"]
        .iter()
        .enumerate()
        .map(|(i, key)| {
            harbour_import::parse_fields(Feed::Police, &fields(key), i as u64 + 1, NOW.date())
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn a_job_left_running_by_a_crash_is_resumed_by_the_next_worker() {
    for (store, _dir) in stores().await {
        let (tenant, police, _) = two_agencies(&store).await;
        let pipeline = Arc::new(pipeline(&store));
        let (job, counts) = pipeline
            .import_rows(
                &tenant,
                police,
                Feed::Police,
                "api 2026-09-01",
                &police_rows(),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(counts.accepted, 2);
        // A worker claims the job and its process stops before it finishes.
        let claimed = store.claim_ingest_jobs(NOW).await.unwrap();
        assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), [job]);
        let left = store
            .ingest_job(&tenant, police, job)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((left.status, left.attempts), (JobStatus::Running, 1));
        assert!(
            store.claim_ingest_jobs(NOW).await.unwrap().is_empty(),
            "a running job is not claimed again while it runs"
        );

        // The next worker to start resumes it.
        let worker = Worker::spawn(pipeline.clone());
        let done = finished(&store, &tenant, police, job).await;
        worker.stop().await;
        assert_eq!(
            (done.status, done.attempts),
            (JobStatus::Done, 2),
            "{done:?}"
        );
        assert_eq!(done.message, "");
        assert!(done.finished_at.is_some());
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditVerification::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn the_queue_claims_once_records_outcomes_and_shows_a_job_only_to_its_agency() {
    for (store, _dir) in stores().await {
        let (tenant, police, other) = two_agencies(&store).await;
        let clock = FixedClock::new(NOW);
        let counts = ImportCounts {
            read: 3,
            accepted: 2,
            rejected: 1,
            ..ImportCounts::default()
        };
        let mut ids = Vec::new();
        for agency in [police, other, police] {
            let job = NewIngestJob {
                id: IngestJobId::new_v7(),
                tenant: tenant.clone(),
                agency,
                feed: "police".into(),
                file_name: "police.csv".into(),
                counts,
            };
            store.queue_ingest_job(&job, clock.now()).await.unwrap();
            clock.advance(time::Duration::seconds(1));
            ids.push((agency, job.id));
        }
        let queued = store
            .ingest_job(&tenant, police, ids[0].1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(queued.status, JobStatus::Queued);
        assert_eq!(queued.counts, counts);
        assert_eq!(queued.file_name, "police.csv");
        assert_eq!(queued.attempts, 0);

        // Only the sending agency sees a job: for another it does not exist.
        assert!(
            store
                .ingest_job(&tenant, other, ids[0].1)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .ingest_job(&tenant, police, ids[1].1)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .ingest_job(&tenant, other, ids[1].1)
                .await
                .unwrap()
                .is_some()
        );
        let elsewhere = TenantCode::parse("998").unwrap();
        assert!(
            store
                .ingest_job(&elsewhere, police, ids[0].1)
                .await
                .unwrap()
                .is_none()
        );

        // Two workers claiming at once never take the same job: one gets them all (the
        // tenant's work is one), the other nothing.
        let (a, b) = tokio::join!(store.claim_ingest_jobs(NOW), store.claim_ingest_jobs(NOW));
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut claimed: Vec<_> = a.iter().chain(&b).map(|j| j.id).collect();
        assert_eq!(claimed.len(), 3, "each job claimed exactly once");
        claimed.sort();
        claimed.dedup();
        assert_eq!(claimed.len(), 3);
        assert!(a.is_empty() || b.is_empty());
        let all: Vec<_> = ids.iter().map(|(_, id)| *id).collect();
        assert_eq!(
            a.iter().chain(&b).map(|j| j.id).collect::<Vec<_>>(),
            all,
            "oldest first"
        );
        assert!(
            a.iter()
                .chain(&b)
                .all(|j| j.status == JobStatus::Running && j.attempts == 1)
        );

        store
            .finish_ingest_jobs(&tenant, &all[..2], Ok(()), NOW)
            .await
            .unwrap();
        store
            .finish_ingest_jobs(&tenant, &all[2..], Err("linking failed: disk full"), NOW)
            .await
            .unwrap();
        let done = store
            .ingest_job(&tenant, police, all[0])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (done.status, done.finished_at),
            (JobStatus::Done, Some(NOW))
        );
        let failed = store
            .ingest_job(&tenant, police, all[2])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(failed.status, JobStatus::Failed);
        assert_eq!(failed.message, "linking failed: disk full");
        assert_eq!(
            store.requeue_running_ingest_jobs(NOW).await.unwrap(),
            0,
            "finished jobs are not resumed"
        );
        assert!(store.claim_ingest_jobs(NOW).await.unwrap().is_empty());
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditVerification::Intact { .. }
        ));
    }
}

/// A workflow reaction that records what it saw, or refuses.
#[derive(Debug, Default)]
struct Noting {
    refuse: bool,
    seen: std::sync::Mutex<Vec<IngestJobId>>,
}

impl harbour_ingest::Reaction for Noting {
    fn name(&self) -> &'static str {
        "noting"
    }

    fn react<'a>(
        &'a self,
        _store: &'a Store,
        jobs: &'a [IngestJob],
        _now: time::OffsetDateTime,
    ) -> harbour_ingest::ReactionFuture<'a> {
        Box::pin(async move {
            self.seen.lock().unwrap().extend(jobs.iter().map(|j| j.id));
            if self.refuse {
                Err("the case system is unavailable".to_owned())
            } else {
                Ok(())
            }
        })
    }
}

#[tokio::test]
async fn reactions_see_the_claimed_jobs_and_a_failing_one_fails_them() {
    for (store, _dir) in stores().await {
        let (tenant, police, _) = two_agencies(&store).await;
        let noting = Arc::new(Noting::default());
        let pipeline = pipeline(&store).with_reaction(noting.clone());
        let (job, _) = pipeline
            .import_rows(
                &tenant,
                police,
                Feed::Police,
                "api 2026-09-01",
                &police_rows(),
                &[],
            )
            .await
            .unwrap();
        let ran = pipeline.drain().await.unwrap();
        assert_eq!(ran.len(), 1);
        assert_eq!(*noting.seen.lock().unwrap(), [job]);

        let refusing = Arc::new(Noting {
            refuse: true,
            ..Noting::default()
        });
        let pipeline = self::pipeline(&store).with_reaction(refusing.clone());
        let (job, _) = pipeline
            .import_rows(
                &tenant,
                police,
                Feed::Police,
                "api 2026-09-02",
                &police_rows(),
                &[],
            )
            .await
            .unwrap();
        let error = pipeline.drain().await.unwrap_err().to_string();
        assert!(
            error.contains("noting") && error.contains("unavailable"),
            "{error}"
        );
        let failed = store
            .ingest_job(&tenant, police, job)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(failed.status, JobStatus::Failed);
        assert!(failed.message.contains("unavailable"), "{}", failed.message);
        assert!(
            pipeline.drain().await.unwrap().is_empty(),
            "a failed job is not retried on its own"
        );
    }
}

/// The rows a query bound to `tenant` gives, read straight from either backend's database
/// (what the store holds, not what a viewer may see).
async fn rows<T>(store: &Store, sql: &'static str, tenant: &TenantCode) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    match store.location() {
        StoreLocation::Sqlite(path) => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
                .await
                .unwrap();
            sqlx::query_as(sql)
                .bind(tenant.as_str())
                .fetch_all(&pool)
                .await
                .unwrap()
        }
        StoreLocation::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query_as(sql)
                .bind(tenant.as_str())
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    }
}

/// A count a query bound to `tenant` gives.
async fn count(store: &Store, sql: &'static str, tenant: &TenantCode) -> i64 {
    let counted: Vec<(i64,)> = rows(store, sql, tenant).await;
    counted.first().map_or(0, |(n,)| *n)
}

/// Every agency's feed submitted at once, while two workers drain the queue at the same
/// time: nothing fails, every job ends done, every record is linked exactly once (no two
/// people share a valid UPN), and the audit chain is whole. Before linking read inside its
/// own transaction, two runs could read the same unlinked records and both place them.
#[tokio::test]
async fn feeds_submitted_at_once_while_two_workers_run_are_all_linked_once() {
    let out = tempfile::tempdir().unwrap();
    let county_dir = out.path().join("county");
    county::generate(&county::Config::new(300, 23), &county_dir, |_| {}).unwrap();
    let manifest = read_manifest(&county_dir);
    for (store, _dir) in stores().await {
        let name = store.location().backend_name();
        let (tenant, files) =
            set_up_agencies(&store, &manifest, &county_dir, Placement::AsNamed, NOW)
                .await
                .unwrap();
        let workers: Vec<Worker> = (0..2)
            .map(|_| Worker::spawn(Arc::new(pipeline(&store))))
            .collect();
        let submitter = Arc::new(pipeline(&store));
        let tasks: Vec<_> = files
            .iter()
            .map(|file| {
                let (submitter, tenant) = (submitter.clone(), tenant.clone());
                let (agency, feed, path) = (file.agency, file.feed, file.path.clone());
                tokio::spawn(async move {
                    let (rows, rejected) = parse_file(feed, &path);
                    let (job, _) = submitter
                        .import_rows(&tenant, agency, feed, "at once", &rows, &rejected)
                        .await
                        .unwrap();
                    (agency, job)
                })
            })
            .collect();
        let mut jobs = Vec::new();
        for task in tasks {
            jobs.push(task.await.unwrap());
        }
        for (agency, job) in &jobs {
            let done = finished(&store, &tenant, *agency, *job).await;
            assert_eq!(done.status, JobStatus::Done, "{name}: {done:?}");
        }
        for worker in workers {
            worker.stop().await;
        }
        let unlinked = count(
            &store,
            "SELECT COUNT(*) FROM source_records WHERE tenant_code = $1 AND linked_at IS NULL",
            &tenant,
        )
        .await;
        assert_eq!(unlinked, 0, "{name}: every record was linked");
        let split_upns = count(
            &store,
            "SELECT COUNT(*) FROM (SELECT upn FROM source_records WHERE tenant_code = $1 \
             AND upn IS NOT NULL GROUP BY upn HAVING COUNT(DISTINCT person_id) > 1) s",
            &tenant,
        )
        .await;
        assert_eq!(split_upns, 0, "{name}: one person per UPN");
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                AuditVerification::Intact { .. }
            ),
            "{name}"
        );
    }
}

/// One row of `feed` as an agency system would send it through the API.
fn api_row(feed: Feed, fields: &[(&str, &str)]) -> ImportRow {
    let fields = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect::<std::collections::BTreeMap<_, _>>();
    harbour_import::parse_fields(feed, &fields, 1, NOW.date()).unwrap()
}

#[tokio::test]
async fn feeds_open_the_children_not_in_school_register_once_per_registration_and_episode() {
    for (store, _dir) in stores().await {
        let tenant = TenantCode::parse("999").unwrap();
        store
            .create_tenant(&tenant, "Testshire", NOW)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for (code, kind) in [
            ("la", AgencyKind::LocalAuthority),
            ("school", AgencyKind::School),
        ] {
            let id = AgencyId::new_v7();
            store
                .create_agency(
                    &NewAgency {
                        id,
                        tenant: tenant.clone(),
                        code: code.into(),
                        name: code.into(),
                        kind,
                    },
                    NOW,
                )
                .await
                .unwrap();
            ids.push(id);
        }
        let (la, school) = (ids[0], ids[1]);
        let pipeline = pipeline(&store);
        let la_rows = |detail: &str| {
            let person = |key: &str, event: &str, kind: &str, date: &str| {
                api_row(
                    Feed::LaEducation,
                    &[
                        ("record_key", key),
                        ("given_name", "Amy"),
                        ("family_name", "Hart"),
                        ("date_of_birth", "2012-02-03"),
                        ("event_key", event),
                        ("type", kind),
                        ("date", date),
                        ("detail", detail),
                    ],
                )
            };
            vec![
                person("LA1", "E1", "ehe_start", "2026-06-01"),
                person("LA2", "E2", "cme_start", "2026-06-08"),
            ]
        };
        let left = |destination: &str, key: &str| {
            api_row(
                Feed::SchoolRoll,
                &[
                    ("record_key", key),
                    ("given_name", "Ben"),
                    ("family_name", "Cole"),
                    ("date_of_birth", "2011-05-06"),
                    ("event_key", key),
                    ("type", "left"),
                    ("date", "2026-07-01"),
                    ("destination", destination),
                ],
            )
        };
        for round in ["first", "again, corrected"] {
            pipeline
                .import_rows(&tenant, la, Feed::LaEducation, "api", &la_rows(round), &[])
                .await
                .unwrap();
            pipeline
                .import_rows(
                    &tenant,
                    school,
                    Feed::SchoolRoll,
                    "api",
                    &[left("not_known", "S1"), left("another_school", "S2")],
                    &[],
                )
                .await
                .unwrap();
            pipeline.drain().await.unwrap();
            let calendar = harbour_rules::calendar::Calendar::default();
            let register = store
                .children_not_in_school_report(
                    &tenant,
                    harbour_store::NotInSchoolDay {
                        calendar: &calendar,
                        settings: Default::default(),
                        today: NOW.date(),
                    },
                    NOW,
                )
                .await
                .unwrap();
            assert_eq!(register.home_education.len(), 1, "{round}");
            assert_eq!(
                register
                    .missing_education
                    .iter()
                    .map(|e| (e.agency, e.first_day))
                    .collect::<Vec<_>>(),
                [
                    (Some(la), time::macros::date!(2026 - 06 - 08)),
                    (Some(school), time::macros::date!(2026 - 07 - 01)),
                ],
                "{round}: the authority's episode and the school's deletion to an unknown destination"
            );
        }
    }
}
