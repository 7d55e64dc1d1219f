//! Importing feeds into a real store, on SQLite and (when `HARBOUR_TEST_POSTGRES_URL` is set)
//! PostgreSQL: a whole synthetic county, re-sent; a correction; a corpus of broken input.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use harbour_domain::feeds::Feed;
use harbour_domain::{AgencyId, AgencyKind, Role, SchoolNumber, TenantCode, UserId};
use harbour_ingest::{
    FeedFile, FileError, Placement, Progress, import_file, import_files, set_up_agencies,
};
use harbour_policy::{Policy, Principal};
use harbour_store::{AuditVerification, ImportCounts, NewAgency, Store, StoreLocation};
use harbour_synth::county::{self, Manifest};
use std::path::Path;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-09-01 09:00 UTC);

// One test binary for the crate: the pipeline's tests live beside the import's.
mod pipeline;
// Issue 15's case: a boy's records under his initials, a merge, and the relinks after it.
mod linkcase;
// Issue 16: the registers a synthetic county's feeds build, against its answer key.
mod registers;

async fn stores() -> Vec<(Store, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(
        StoreLocation::choose(None, dir.path()).unwrap(),
        Policy::default_policy().unwrap(),
    )
    .await
    .unwrap();
    let mut all = vec![(sqlite, dir)];
    if let Some(url) = std::env::var("HARBOUR_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let url = harbour_store::testing::fresh_postgres_database(&url).await;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            StoreLocation::choose(Some(&url), dir.path()).unwrap(),
            Policy::default_policy().unwrap(),
        )
        .await
        .unwrap();
        all.push((store, dir));
    }
    all
}

async fn import_manifest(
    store: &Store,
    dir: &Path,
) -> (TenantCode, Vec<(String, AgencyId)>, ImportCounts) {
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    // Read ahead, as `harbour import --manifest` does: the next file is parsed while the one
    // before is stored.
    let (tenant, files) = set_up_agencies(store, &manifest, dir, Placement::AsNamed, NOW)
        .await
        .unwrap();
    let agencies: Vec<(String, AgencyId)> = store
        .list_agencies(&tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.code, a.id))
        .collect();
    let total = import_files(store, &tenant, &files, NOW, |_| {})
        .await
        .unwrap();
    (tenant, agencies, total)
}

/// When the test reads (the audit records it).
const AUDIT_AT: time::OffsetDateTime = time::macros::datetime!(2026-11-20 09:00 UTC);

#[tokio::test]
async fn a_synthetic_county_imports_and_resending_it_changes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let county_dir = out.path().join("county");
    // The first seed whose county has a child following the Child AA pattern (about one
    // child in 1,500 does, so a small county can have none).
    let summary = (11..40)
        .find_map(|seed| {
            let _ = std::fs::remove_dir_all(&county_dir);
            let summary =
                county::generate(&county::Config::new(1_500, seed), &county_dir, |_| {}).unwrap();
            (summary.trajectories > 0).then_some(summary)
        })
        .expect("a seed with a trajectory");
    for (store, _dir) in stores().await {
        let (tenant, agencies, first) = import_manifest(&store, &county_dir).await;
        assert_eq!(first.read, summary.events, "every row read");
        assert_eq!(
            first.accepted + first.rejected,
            first.read,
            "every row accepted or quarantined: {first:?}"
        );
        assert!(
            first.rejected < first.read / 100,
            "noise rejects only a few rows: {first:?}"
        );
        let quarantined = store.quarantine(&tenant, None, AUDIT_AT).await.unwrap();
        assert_eq!(quarantined.len() as u64, first.rejected);
        assert!(
            quarantined
                .iter()
                .all(|q| !q.reason.is_empty() && !q.field.is_empty() && q.line > 1)
        );
        // The county's noise is in identities: every optional detail it writes (destinations,
        // year groups, referral reasons, missing episodes, outcomes, severities) is accepted.
        let details = [
            "destination",
            "year_group",
            "LeavingReason",
            "NCyearActual",
            "referral_reason",
            "referrer",
            "missing_hours",
            "found_out_of_area",
            "found_at",
            "outcome",
            "severity",
        ];
        assert!(
            quarantined
                .iter()
                .all(|q| !details.contains(&q.field.as_str())),
            "{:?}",
            quarantined
                .iter()
                .filter(|q| details.contains(&q.field.as_str()))
                .collect::<Vec<_>>()
        );

        let (_, _, second) = import_manifest(&store, &county_dir).await;
        assert_eq!(
            (second.accepted, second.superseded, second.duplicate),
            (0, 0, first.accepted),
            "{second:?}"
        );
        assert_eq!(
            store
                .quarantine(&tenant, None, AUDIT_AT)
                .await
                .unwrap()
                .len() as u64,
            first.rejected,
            "quarantined once"
        );
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditVerification::Intact { .. }
        ));

        // A social worker sees a Child AA-pattern child's school and council records together.
        let csc = agencies
            .iter()
            .find(|(code, _)| code == "childrens-social-care")
            .unwrap()
            .1;
        let who = Principal {
            user: UserId::new_v7(),
            tenant: tenant.clone(),
            agency: csc,
            roles: [Role::SocialWorker].into(),
        };
        let mut truth = csv::Reader::from_path(county_dir.join("truth.csv")).unwrap();
        let school_record = truth
            .records()
            .map(|r| r.unwrap())
            .find(|r| &r[4] == "1" && r[0].starts_with("school-"))
            .expect("a trajectory child with a school record");
        let person = person_of(&store, &tenant, &school_record[1]).await;
        let view = store.person_view(&who, person, NOW).await.unwrap().unwrap();
        let kinds: Vec<_> = view.timeline.iter().map(|e| e.kind).collect();
        for kind in [
            harbour_domain::EventKind::PermanentExclusion,
            harbour_domain::EventKind::EheRegistration,
            harbour_domain::EventKind::CmeStart,
        ] {
            assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
        }
    }
}

/// The person behind a source record key (test helper reading the store directly).
async fn person_of(
    store: &Store,
    tenant: &TenantCode,
    record_key: &str,
) -> harbour_domain::PersonId {
    let sql = "SELECT person_id FROM source_records WHERE tenant_code = $1 AND record_key = $2";
    let id: uuid::Uuid = match store.location() {
        StoreLocation::Sqlite(path) => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
                .await
                .unwrap();
            sqlx::query_scalar(sql)
                .bind(tenant.as_str())
                .bind(record_key)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
        StoreLocation::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query_scalar(sql)
                .bind(tenant.as_str())
                .bind(record_key)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    harbour_domain::PersonId(id)
}

async fn one_agency(store: &Store, kind: AgencyKind) -> (TenantCode, AgencyId) {
    let tenant = TenantCode::parse("999").unwrap();
    store.create_tenant(&tenant, "Test", NOW).await.unwrap();
    let agency = AgencyId::new_v7();
    store
        .create_agency(
            &NewAgency {
                id: agency,
                tenant: tenant.clone(),
                code: "a".into(),
                name: "A".into(),
                kind,
            },
            NOW,
        )
        .await
        .unwrap();
    (tenant, agency)
}

const LA_HEADER: &str =
    "record_key,upn,given_name,family_name,date_of_birth,sex,postcode,event_key,type,date,detail\n";

#[tokio::test]
async fn a_correction_supersedes_without_destroying_and_broken_input_is_quarantined() {
    for (store, dir) in stores().await {
        let (tenant, agency) = one_agency(&store, AgencyKind::LocalAuthority).await;
        let file = dir.path().join("la.csv");
        std::fs::write(&file, format!("{LA_HEADER}LA1,,Amy,Hart,2012-02-03,F,BN9 9AX,E1,ehe_start,2024-01-10,Parent elected home education\n")).unwrap();
        let first = import_file(
            &store,
            &tenant,
            agency,
            Feed::LaEducation,
            &file,
            NOW,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(first.accepted, 1);
        std::fs::write(&file, format!("{LA_HEADER}LA1,,Amy,Hart,2012-02-03,F,BN9 9AX,E1,ehe_start,2024-01-12,Registered after a visit\n")).unwrap();
        let second = import_file(
            &store,
            &tenant,
            agency,
            Feed::LaEducation,
            &file,
            NOW,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!((second.accepted, second.superseded), (0, 1));
        let person = person_of(&store, &tenant, "LA1").await;
        let who = Principal {
            user: UserId::new_v7(),
            tenant: tenant.clone(),
            agency,
            roles: [Role::LaCmeEheOfficer].into(),
        };
        let view = store.person_view(&who, person, NOW).await.unwrap().unwrap();
        assert_eq!(view.timeline.len(), 1, "only the newest version shows");
        assert_eq!(view.timeline[0].summary, "Registered after a visit");

        // A corpus of broken rows beside two good ones.
        let mut corpus = LA_HEADER.as_bytes().to_vec();
        corpus.extend_from_slice(b"LA2,,Ben,Cole,2011-05-06,M,BN7 1AA,E2,cme_start,2024-03-01,=HYPERLINK(\"http://x\")\n");
        corpus.extend_from_slice(
            b"LA3,Q207000016049,Cal,Dean,2011-05-06,M,BN7 1AA,E3,cme_start,2024-03-01,\n",
        );
        corpus.extend_from_slice(b"LA4,,Dee,Ewart,2011-05-06,F,BN7 1AA,E4,cme_start,31/02/2024,\n");
        corpus.extend_from_slice(b"LA5,,Eve,Ford,2011-05-06,F,BN7 1AA,E5,cme_start\n");
        corpus
            .extend_from_slice(b"LA6,,F\xffy,Gale,2011-05-06,F,BN7 1AA,E6,cme_start,2024-03-01,\n");
        corpus.extend_from_slice(
            format!(
                "LA7,,Gus,Hale,2011-05-06,M,BN7 1AA,E7,cme_start,2024-03-01,{}\n",
                "x".repeat(1_000_000)
            )
            .as_bytes(),
        );
        corpus
            .extend_from_slice(b"LA8,,Hal,Ives,2011-05-06,M,BN7 1AA,E8,ehe_start,2024-03-02,ok\n");
        std::fs::write(&file, corpus).unwrap();
        let counts = import_file(
            &store,
            &tenant,
            agency,
            Feed::LaEducation,
            &file,
            NOW,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(counts.accepted, 2, "{counts:?}");
        assert_eq!(counts.rejected, 5, "{counts:?}");
        let reasons: Vec<String> = store
            .quarantine(&tenant, Some(agency), AUDIT_AT)
            .await
            .unwrap()
            .into_iter()
            .map(|q| format!("{} {}: {}", q.line, q.field, q.reason))
            .collect();
        let all = reasons.join("\n");
        for expected in [
            "check letter should be P",
            "31 February 2024 is not a date",
            "the row has 9 fields; the header has 11",
            "not UTF-8",
            "longer than 500 characters",
        ] {
            assert!(all.contains(expected), "{expected:?} not in:\n{all}");
        }
        // Correcting the 31 February row and sending it again closes its quarantine entry.
        let open_before = store
            .quarantine(&tenant, Some(agency), AUDIT_AT)
            .await
            .unwrap()
            .len();
        std::fs::write(
            &file,
            format!("{LA_HEADER}LA4,,Dee,Ewart,2011-05-06,F,BN7 1AA,E4,cme_start,28/02/2024,\n"),
        )
        .unwrap();
        let fixed = import_file(
            &store,
            &tenant,
            agency,
            Feed::LaEducation,
            &file,
            NOW,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(fixed.accepted, 1);
        let open_after = store
            .quarantine(&tenant, Some(agency), AUDIT_AT)
            .await
            .unwrap();
        assert_eq!(
            open_after.len(),
            open_before - 1,
            "the corrected row's entry closed"
        );
        assert!(!open_after.iter().any(|q| q.reason.contains("31 February")));

        // The formula-looking cell was stored as plain text.
        let ben = person_of(&store, &tenant, "LA2").await;
        let view = store.person_view(&who, ben, NOW).await.unwrap().unwrap();
        assert_eq!(view.timeline[0].summary, "=HYPERLINK(\"http://x\")");
    }
}

#[tokio::test]
async fn a_file_with_the_wrong_header_is_refused_whole() {
    for (store, dir) in stores().await {
        let (tenant, agency) = one_agency(&store, AgencyKind::Police).await;
        let file = dir.path().join("police.csv");
        std::fs::write(&file, "record_key,given_name,surname\nPN1,Jo,Bloggs\n").unwrap();
        let before = store.verify_audit().await.unwrap();
        let error = import_file(&store, &tenant, agency, Feed::Police, &file, NOW, |_| {})
            .await
            .unwrap_err();
        assert!(matches!(&error, FileError::Header { .. }), "{error}");
        assert!(
            error.to_string().contains("\"family_name\"")
                && error.to_string().contains("nothing was imported"),
            "{error}"
        );
        assert_eq!(
            store.verify_audit().await.unwrap(),
            before,
            "nothing written, not even an audit entry"
        );
        assert!(
            store
                .quarantine(&tenant, None, AUDIT_AT)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// A list stops at the file that fails, with that file's own error; the files before it stay
/// imported and the one after it (already being read ahead) is not.
#[tokio::test]
async fn a_list_of_files_stops_at_the_one_that_fails() {
    for (store, dir) in stores().await {
        let (tenant, agency) = one_agency(&store, AgencyKind::LocalAuthority).await;
        let good = dir.path().join("first.csv");
        std::fs::write(
            &good,
            format!("{LA_HEADER}LA1,,Amy,Hart,2012-02-03,F,BN9 9AX,E1,ehe_start,2024-01-10,\n"),
        )
        .unwrap();
        let broken = dir.path().join("second.csv");
        std::fs::write(&broken, "record_key,given_name\nLA2,Ben\n").unwrap();
        let after = dir.path().join("third.csv");
        std::fs::write(
            &after,
            format!("{LA_HEADER}LA3,,Cal,Dean,2011-05-06,M,BN7 1AA,E3,cme_start,2024-03-01,\n"),
        )
        .unwrap();
        let files: Vec<FeedFile> = [&good, &broken, &after]
            .into_iter()
            .map(|path| FeedFile {
                agency,
                feed: Feed::LaEducation,
                path: path.clone(),
            })
            .collect();
        let mut done = Vec::new();
        let error = import_files(&store, &tenant, &files, NOW, |progress| {
            if let Progress::Done { file, counts } = progress {
                done.push((file.path.clone(), counts.accepted));
            }
        })
        .await
        .unwrap_err();
        assert!(
            matches!(&error, FileError::Header { path, .. } if path.ends_with("second.csv")),
            "{error}"
        );
        assert_eq!(done, vec![(good.clone(), 1)]);
        person_of(&store, &tenant, "LA1").await;
        let counts = import_file(
            &store,
            &tenant,
            agency,
            Feed::LaEducation,
            &after,
            NOW,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(
            counts.accepted, 1,
            "the file after the failure was not imported"
        );
    }
}

const CTF: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CTfile>
  <Header><DocumentName>Common Transfer File</DocumentName><CTFversion>25.0</CTFversion>
    <SourceSchool><LEA>999</LEA><Estab>4125</Estab><SchoolName>Northgate Academy</SchoolName></SourceSchool></Header>
  <CTFpupilData>
    <Pupil><UPN>R201100018042</UPN><Surname>Mercer</Surname><Forename>Jayden</Forename><DOB>2009-05-14</DOB><Sex>M</Sex>
      <Address><PostCode>BN7 2LD</PostCode></Address>
      <SchoolHistory><School><LEA>999</LEA><Estab>4125</Estab><SchoolName>Northgate Academy</SchoolName><EntryDate>2020-09-03</EntryDate><LeavingDate>2023-01-23</LeavingDate></School></SchoolHistory>
    </Pupil>
    <Pupil><UPN>Q207000016049</UPN><Surname>Bad</Surname><Forename>Check</Forename><DOB>2010-01-01</DOB></Pupil>
  </CTFpupilData>
</CTfile>
"#;

#[tokio::test]
async fn a_common_transfer_file_imports_and_a_hostile_one_stores_nothing() {
    for (store, dir) in stores().await {
        let (tenant, agency) = one_agency(&store, AgencyKind::School).await;
        let file = dir.path().join("pupils.xml");
        std::fs::write(&file, CTF).unwrap();
        let first = import_file(&store, &tenant, agency, Feed::SchoolCtf, &file, NOW, |_| {})
            .await
            .unwrap();
        assert_eq!((first.accepted, first.rejected), (2, 1), "{first:?}");
        let again = import_file(&store, &tenant, agency, Feed::SchoolCtf, &file, NOW, |_| {})
            .await
            .unwrap();
        assert_eq!((again.accepted, again.duplicate), (0, 2), "{again:?}");
        let refused = store
            .quarantine(&tenant, Some(agency), AUDIT_AT)
            .await
            .unwrap();
        assert_eq!(refused.len(), 1);
        assert!(refused[0].reason.contains("check letter"), "{refused:?}");
        assert_eq!(
            refused[0].line, 10,
            "the line of its <Pupil>, not a byte offset"
        );
        let person = person_of(&store, &tenant, "R201100018042").await;
        let who = Principal {
            user: UserId::new_v7(),
            tenant: tenant.clone(),
            agency,
            roles: [Role::SchoolDsl].into(),
        };
        let view = store.person_view(&who, person, NOW).await.unwrap().unwrap();
        assert_eq!(view.timeline.len(), 2);

        let before = store.verify_audit().await.unwrap();
        let hostile = dir.path().join("laughs.xml");
        std::fs::write(&hostile, "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><CTfile>&b;</CTfile>").unwrap();
        let error = import_file(
            &store,
            &tenant,
            agency,
            Feed::SchoolCtf,
            &hostile,
            NOW,
            |_| {},
        )
        .await
        .unwrap_err();
        assert!(
            error.to_string().contains("document type definition")
                && error.to_string().contains("nothing was imported"),
            "{error}"
        );
        assert_eq!(
            store.verify_audit().await.unwrap(),
            before,
            "nothing written"
        );
    }
}

/// A CSV feed cut off in transfer, part-way through a row, after more rows than a batch
/// holds: as with a cut-off Common Transfer File, the file is an error, naming the file and
/// the line where it stops, and nothing from it is stored. A file whose last row is whole
/// but has no final newline is not cut off: every row counts.
#[tokio::test]
async fn a_csv_file_cut_off_part_way_through_a_row_stores_nothing() {
    for (store, dir) in stores().await {
        let (tenant, agency) = one_agency(&store, AgencyKind::LocalAuthority).await;
        let mut csv = LA_HEADER.to_owned();
        for n in 0..harbour_ingest::file::BATCH_ROWS + 10 {
            csv.push_str(&format!(
                "LA{n},,Amy,Hart,2012-02-03,F,BN9 9AX,E{n},ehe_start,2024-01-10,ok\n"
            ));
        }
        let whole = csv.clone();
        // Too few fields, and an unterminated quote: both are a row the file stopped inside.
        for tail in [
            "LAX,,Ida,Jones,2011-05-06,F,BN7",
            "LAX,,Ida,Jones,2011-05-06,F,BN7 1AA,EX,cme_start,2024-03-01,\"Left for",
        ] {
            let cut = format!("{whole}{tail}");
            let line = cut.lines().count();
            let file = dir.path().join("cut.csv");
            std::fs::write(&file, &cut).unwrap();
            let before = store.verify_audit().await.unwrap();
            let error = import_file(
                &store,
                &tenant,
                agency,
                Feed::LaEducation,
                &file,
                NOW,
                |_| {},
            )
            .await
            .expect_err("a file cut off part-way through a row is an error for the file");
            let message = error.to_string();
            assert!(
                message.contains("cut.csv")
                    && message.contains(&format!("line {line}"))
                    && message.contains("cut off"),
                "{message}"
            );
            assert_eq!(
                store.verify_audit().await.unwrap(),
                before,
                "nothing from the file stored: {message}"
            );
            assert!(
                store
                    .quarantine(&tenant, Some(agency), AUDIT_AT)
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
        // The whole file without its final newline: every row is stored.
        let file = dir.path().join("whole.csv");
        std::fs::write(&file, whole.trim_end()).unwrap();
        let counts = import_file(
            &store,
            &tenant,
            agency,
            Feed::LaEducation,
            &file,
            NOW,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(
            (counts.accepted, counts.rejected),
            (harbour_ingest::file::BATCH_ROWS as u64 + 10, 0),
            "{counts:?}"
        );
    }
}

/// A Common Transfer File cut off in transfer, longer than one batch: the pupils before the
/// break fill a batch that the streaming import would otherwise commit before it reads the
/// broken tail. Nothing from the file is stored, and the error names the file and the line.
#[tokio::test]
async fn a_truncated_common_transfer_file_stores_nothing_even_past_the_first_batch() {
    for (store, dir) in stores().await {
        let (tenant, agency) = one_agency(&store, AgencyKind::School).await;
        let good = CTF
            .split("<Pupil>")
            .nth(1)
            .and_then(|p| p.split("</Pupil>").next())
            .unwrap();
        // One good pupil, then more refused pupils than a batch holds, then the break.
        let mut xml = String::from("<?xml version=\"1.0\"?>\n<CTfile>\n<CTFpupilData>\n");
        xml.push_str(&format!("<Pupil>{good}</Pupil>\n"));
        for _ in 0..harbour_ingest::file::BATCH_ROWS + 10 {
            xml.push_str("<Pupil><UPN>Q207000016049</UPN><Surname>Bad</Surname><DOB>2010-01-01</DOB></Pupil>\n");
        }
        xml.push_str("<Pupil><UPN>R201100018042</UPN><Surn");
        let lines = xml.lines().count();
        let file = dir.path().join("cut.xml");
        std::fs::write(&file, &xml).unwrap();
        let before = store.verify_audit().await.unwrap();
        let error = import_file(&store, &tenant, agency, Feed::SchoolCtf, &file, NOW, |_| {})
            .await
            .expect_err("a file that does not parse to its end is an error for the file");
        let message = error.to_string();
        assert!(
            message.contains("cut.xml") && message.contains(&format!("line {lines}")),
            "{message}"
        );
        assert_eq!(
            store.verify_audit().await.unwrap(),
            before,
            "nothing from the file stored: {message}"
        );
        assert!(
            store
                .quarantine(&tenant, Some(agency), AUDIT_AT)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// A small deterministic generator for the property test.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % n as u64).unwrap()
    }
}

/// Importing the same rows in any order, split into batches of any size, any number of times,
/// ends in the same store: every event once, the same people, and a second pass that changes
/// nothing.
#[tokio::test]
async fn import_is_idempotent_whatever_the_order_and_batching() {
    let out = tempfile::tempdir().unwrap();
    let county_dir = out.path().join("county");
    county::generate(&county::Config::new(300, 21), &county_dir, |_| {}).unwrap();
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(county_dir.join("manifest.json")).unwrap())
            .unwrap();
    let today = NOW.date();
    let mut parsed = Vec::new();
    for entry in &manifest.feeds {
        let mut reader = csv::Reader::from_path(county_dir.join(&entry.file)).unwrap();
        let header = harbour_import::Header::check(entry.feed, reader.headers().unwrap()).unwrap();
        for (line, record) in reader.records().enumerate() {
            if let Ok(row) =
                harbour_import::parse_row(&header, &record.unwrap(), line as u64 + 2, today)
            {
                parsed.push((entry.agency.clone(), entry.feed, row));
            }
        }
    }
    let mut outcomes = Vec::new();
    for trial in 0..4u64 {
        let (store, _dir) = stores().await.remove(0);
        let tenant = TenantCode::parse(&manifest.tenant).unwrap();
        store.create_tenant(&tenant, "t", NOW).await.unwrap();
        let mut agencies = std::collections::HashMap::new();
        for agency in &manifest.agencies {
            let id = AgencyId::new_v7();
            store
                .create_agency(
                    &NewAgency {
                        id,
                        tenant: tenant.clone(),
                        code: agency.code.clone(),
                        name: agency.name.clone(),
                        kind: agency.kind,
                    },
                    NOW,
                )
                .await
                .unwrap();
            agencies.insert(agency.code.clone(), id);
        }
        let mut rng = Lcg(trial + 1);
        let mut totals = [ImportCounts::default(), ImportCounts::default()];
        for total in &mut totals {
            let mut rows = parsed.clone();
            for i in (1..rows.len()).rev() {
                rows.swap(i, rng.below(i + 1));
            }
            // Rows of one agency and feed go together in a batch, as they would from a file.
            rows.sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
            let mut start = 0;
            while start < rows.len() {
                let (agency, feed) = (rows[start].0.clone(), rows[start].1);
                let end = rows[start..]
                    .iter()
                    .position(|r| r.0 != agency || r.1 != feed)
                    .map_or(rows.len(), |p| start + p);
                let mut at = start;
                while at < end {
                    let size = 1 + rng.below(1_500);
                    let chunk: Vec<_> = rows[at..(at + size).min(end)]
                        .iter()
                        .map(|r| r.2.clone())
                        .collect();
                    total.add(
                        store
                            .import_batch(
                                &tenant,
                                agencies[&agency],
                                feed.as_str(),
                                "f",
                                &chunk,
                                &[],
                                NOW,
                            )
                            .await
                            .unwrap(),
                    );
                    at += size;
                }
                start = end;
            }
        }
        assert_eq!(
            totals[0].accepted + totals[0].superseded + totals[0].duplicate,
            parsed.len() as u64
        );
        assert_eq!(
            (totals[1].accepted, totals[1].superseded),
            (0, 0),
            "trial {trial}: a second pass changed something: {:?}",
            totals[1]
        );
        let counts: (i64, i64, i64) = match store.location() {
            StoreLocation::Sqlite(path) => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
                    .await
                    .unwrap();
                sqlx::query_as("SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM persons), (SELECT COUNT(*) FROM source_records)")
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
            StoreLocation::Postgres(_) => unreachable!("the first store is SQLite"),
        };
        outcomes.push((totals[0].accepted, counts));
    }
    assert!(
        outcomes.windows(2).all(|w| w[0] == w[1]),
        "different outcomes: {outcomes:?}"
    );
}

/// Scores the store's people against the county's truth.csv.
async fn linking_scores(
    store: &Store,
    tenant: &TenantCode,
    county_dir: &Path,
) -> harbour_link::evaluate::Scores {
    let mut truth = std::collections::HashMap::new();
    let mut reader = csv::Reader::from_path(county_dir.join("truth.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        truth.insert((row[0].to_owned(), row[1].to_owned()), row[2].to_owned());
    }
    let (mut predicted, mut actual) = (Vec::new(), Vec::new());
    for (_, agency, key, person) in store.record_persons(tenant, AUDIT_AT).await.unwrap() {
        predicted.push(person);
        actual.push(truth.remove(&(agency, key)).unwrap());
    }
    harbour_link::evaluate::score(&predicted, &actual)
}

#[tokio::test]
async fn records_are_linked_across_agencies_as_they_arrive_and_in_full() {
    let out = tempfile::tempdir().unwrap();
    let county_dir = out.path().join("county");
    county::generate(&county::Config::new(1_200, 5), &county_dir, |_| {}).unwrap();
    let settings = harbour_link::Settings::default();
    for (store, _dir) in stores().await {
        let (tenant, _, _) = import_manifest(&store, &county_dir).await;
        // Before linking, only exact UPN and NHS number matches join records.
        let exact = linking_scores(&store, &tenant, &county_dir).await;
        assert!(exact.recall < 0.95, "{exact:?}");

        let first = store.link_new(&tenant, &settings, NOW).await.unwrap();
        assert!(first.full, "no model yet: the first run links everyone");
        let linked = linking_scores(&store, &tenant, &county_dir).await;
        assert!(linked.precision >= 0.995, "{linked:?}");
        assert!(linked.f1 >= 0.99, "{linked:?}");

        let nothing_new = store.link_new(&tenant, &settings, NOW).await.unwrap();
        assert_eq!(nothing_new.records, 0);
        let again = store.relink(&tenant, &settings, NOW).await.unwrap();
        assert_eq!(again.moved, 0, "a re-link keeps everyone's person id");
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditVerification::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn reviewers_merge_split_and_undo_and_linking_obeys_them() {
    use harbour_store::{IdentityRefusal, NewUser};
    let out = tempfile::tempdir().unwrap();
    let county_dir = out.path().join("county");
    county::generate(&county::Config::new(600, 9), &county_dir, |_| {}).unwrap();
    for (store, _dir) in stores().await {
        let (tenant, agencies, _) = import_manifest(&store, &county_dir).await;
        store
            .link_new(&tenant, &harbour_link::Settings::default(), NOW)
            .await
            .unwrap();
        // A cautious run leaves many likely pairs unlinked, for people to decide.
        let cautious = harbour_link::Settings {
            match_probability: 0.999_999_999,
            review_probability: 0.5,
            ..harbour_link::Settings::default()
        };
        let report = store.relink(&tenant, &cautious, NOW).await.unwrap();
        assert!(report.reviews > 0, "{report:?}");

        let la = agencies
            .iter()
            .find(|(c, _)| c == "la-education")
            .unwrap()
            .1;
        let school = agencies
            .iter()
            .find(|(c, _)| c.starts_with("school"))
            .unwrap()
            .1;
        let mut users = Vec::new();
        for (agency, role, email) in [
            (la, Role::LaInclusionOfficer, "officer@example.invalid"),
            (school, Role::SchoolDsl, "dsl@example.invalid"),
        ] {
            let id = UserId::new_v7();
            store
                .create_user(
                    &NewUser {
                        id,
                        tenant: tenant.clone(),
                        agency,
                        email: email.into(),
                        display_name: email.into(),
                        roles: [role].into(),
                        is_demo: false,
                    },
                    NOW,
                )
                .await
                .unwrap();
            users.push(Principal {
                user: id,
                tenant: tenant.clone(),
                agency,
                roles: [role].into(),
            });
        }
        let (officer, dsl) = (&users[0], &users[1]);
        assert!(store.link_reviews(dsl, 10, NOW).await.unwrap().is_none());
        let queue = store.link_reviews(officer, 10, NOW).await.unwrap().unwrap();
        let pair = queue.first().unwrap().clone();
        assert_ne!(pair.a.person, pair.b.person);
        assert_eq!(pair.evidence.len(), 7, "every field explained");
        let person_of = |rows: &[(uuid::Uuid, String, String, uuid::Uuid)], record| {
            rows.iter().find(|r| r.0 == record).unwrap().3
        };

        // Same child: the second record's person joins the first's.
        assert_eq!(
            store
                .decide_link_review(dsl, pair.id, true, "", NOW)
                .await
                .unwrap(),
            Err(IdentityRefusal::NotAllowed)
        );
        let merged = store
            .decide_link_review(officer, pair.id, true, "same school, same birthday", NOW)
            .await
            .unwrap()
            .unwrap();
        let rows = store.record_persons(&tenant, AUDIT_AT).await.unwrap();
        assert_eq!(person_of(&rows, pair.a.record), merged.0);
        assert_eq!(person_of(&rows, pair.b.record), merged.0);
        assert_eq!(
            store
                .decide_link_review(officer, pair.id, false, "", NOW)
                .await
                .unwrap(),
            Err(IdentityRefusal::AlreadyDecided)
        );

        // Undo puts every moved record back and reopens the pair.
        let changes = store
            .person_changes(officer, merged, AUDIT_AT)
            .await
            .unwrap()
            .unwrap();
        let merge = changes.iter().find(|c| c.kind == "merge").unwrap();
        store
            .undo_person_change(officer, merge.id, NOW)
            .await
            .unwrap()
            .unwrap();
        let rows = store.record_persons(&tenant, AUDIT_AT).await.unwrap();
        assert_eq!(person_of(&rows, pair.b.record), pair.b.person.0);
        assert_eq!(
            store
                .undo_person_change(officer, merge.id, NOW)
                .await
                .unwrap(),
            Err(IdentityRefusal::AlreadyUndone)
        );
        assert!(
            store
                .link_reviews(officer, 1_000, NOW)
                .await
                .unwrap()
                .unwrap()
                .iter()
                .any(|p| p.id == pair.id),
            "the pair is back in the queue"
        );

        // Different children: no later linking run joins them, however it scores them.
        store
            .decide_link_review(officer, pair.id, false, "different mothers", NOW)
            .await
            .unwrap()
            .unwrap();
        store
            .relink(&tenant, &harbour_link::Settings::default(), NOW)
            .await
            .unwrap();
        let rows = store.record_persons(&tenant, AUDIT_AT).await.unwrap();
        assert_ne!(
            person_of(&rows, pair.a.record),
            person_of(&rows, pair.b.record)
        );

        // Split: one record of a linked person becomes a child of its own, and stays one.
        let mut sizes: std::collections::HashMap<uuid::Uuid, Vec<uuid::Uuid>> = Default::default();
        for (record, _, _, person) in &rows {
            sizes.entry(*person).or_default().push(*record);
        }
        let (person, records) = sizes.iter().find(|(_, r)| r.len() >= 2).unwrap();
        let person = harbour_domain::PersonId(*person);
        assert_eq!(
            store
                .split_person(officer, person, &records[..1], " ", NOW)
                .await
                .unwrap(),
            Err(IdentityRefusal::NoReason)
        );
        assert_eq!(
            store
                .split_person(officer, person, records, "all of them", NOW)
                .await
                .unwrap(),
            Err(IdentityRefusal::BadSplit)
        );
        let split = store
            .split_person(
                officer,
                person,
                &records[..1],
                "a cousin, not this child",
                NOW,
            )
            .await
            .unwrap()
            .unwrap();
        store
            .relink(&tenant, &harbour_link::Settings::default(), NOW)
            .await
            .unwrap();
        let rows = store.record_persons(&tenant, AUDIT_AT).await.unwrap();
        assert_ne!(person_of(&rows, records[0]), person_of(&rows, records[1]));
        assert_ne!(split, person);

        // A hand merge joins them again, and a relink keeps them together.
        let (first, second) = (
            harbour_domain::PersonId(person_of(&rows, records[1])),
            harbour_domain::PersonId(person_of(&rows, records[0])),
        );
        assert_eq!(
            store
                .merge_persons(officer, first, first, "x", NOW)
                .await
                .unwrap(),
            Err(IdentityRefusal::SamePerson)
        );
        store
            .merge_persons(officer, first, second, "the same child after all", NOW)
            .await
            .unwrap()
            .unwrap();
        store
            .relink(&tenant, &harbour_link::Settings::default(), NOW)
            .await
            .unwrap();
        let rows = store.record_persons(&tenant, AUDIT_AT).await.unwrap();
        assert_eq!(person_of(&rows, records[0]), person_of(&rows, records[1]));
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditVerification::Intact { .. }
        ));
    }
}

/// Northgate (999/2003) is the child's third school. Its transfer file carries his earlier
/// schools in its history: Ashdown (999/2001, in Harbour, which sends its own roll) and
/// Brookfield (999/2002, not in Harbour). Those stints are Northgate's report about the
/// other schools, not its own record: Ashdown's own admission and leaving show once, the
/// rest as reported by Northgate about the school they describe, and an alert about a
/// moment in 2016 goes to the school the child was at then (Ashdown), one in 2018 at a
/// school not in Harbour to the local authority's officer, never to Northgate.
#[tokio::test]
async fn history_in_a_transfer_file_is_reported_about_the_school_it_describes() {
    for (store, dir) in stores().await {
        let tenant = TenantCode::parse("999").unwrap();
        store.create_tenant(&tenant, "Test", NOW).await.unwrap();
        let mut agencies = Vec::new();
        for (code, name, kind) in [
            ("ashdown", "Ashdown Primary", AgencyKind::School),
            ("northgate", "Northgate Academy", AgencyKind::School),
            ("council", "Test Council", AgencyKind::LocalAuthority),
        ] {
            let id = AgencyId::new_v7();
            store
                .create_agency(
                    &NewAgency {
                        id,
                        tenant: tenant.clone(),
                        code: code.into(),
                        name: name.into(),
                        kind,
                    },
                    NOW,
                )
                .await
                .unwrap();
            agencies.push(id);
        }
        let (ashdown, northgate, council) = (agencies[0], agencies[1], agencies[2]);
        store
            .set_school_number(
                &tenant,
                ashdown,
                &SchoolNumber::parse("999/2001").unwrap(),
                NOW,
            )
            .await
            .unwrap();
        store
            .set_school_number(
                &tenant,
                northgate,
                &SchoolNumber::parse("9992003").unwrap(),
                NOW,
            )
            .await
            .unwrap();
        assert!(
            store
                .set_school_number(
                    &tenant,
                    council,
                    &SchoolNumber::parse("999/2001").unwrap(),
                    NOW
                )
                .await
                .is_err(),
            "a number names one school"
        );
        let import = |agency, feed, name: &str, text: &str| {
            let file = dir.path().join(name);
            std::fs::write(&file, text).unwrap();
            let store = store.clone();
            let tenant = tenant.clone();
            async move {
                import_file(&store, &tenant, agency, feed, &file, NOW, |_| {})
                    .await
                    .unwrap()
            }
        };
        let person = "R201100018042,Jayden,Mercer,2009-05-14,M,BN7 2LD";
        import(
            ashdown,
            Feed::SchoolRoll,
            "ashdown.csv",
            &format!(
                "record_key,upn,given_name,family_name,date_of_birth,sex,postcode,event_key,type,date\n\
                 A1,{person},A1-in,joined,2013-09-04\nA1,{person},A1-out,left,2017-07-21\n"
            ),
        )
        .await;
        let school = |lea: &str, estab: &str, name: &str, from: &str, to: &str| {
            format!(
                "<School><LEA>{lea}</LEA><Estab>{estab}</Estab><SchoolName>{name}</SchoolName>\
                 <EntryDate>{from}</EntryDate>{}</School>",
                if to.is_empty() {
                    String::new()
                } else {
                    format!("<LeavingDate>{to}</LeavingDate>")
                }
            )
        };
        let ctf = format!(
            "<?xml version=\"1.0\"?>\n<CTfile><Header><SourceSchool><LEA>999</LEA><Estab>2003</Estab>\
             <SchoolName>Northgate Academy</SchoolName></SourceSchool></Header>\n<CTFpupilData>\n\
             <Pupil><UPN>R201100018042</UPN><Surname>Mercer</Surname><Forename>Jayden</Forename>\
             <DOB>2009-05-14</DOB><Sex>M</Sex><SchoolHistory>{}{}{}</SchoolHistory></Pupil>\n\
             </CTFpupilData></CTfile>\n",
            school("999", "2001", "Ashdown Primary", "2013-09-04", "2017-07-21"),
            school(
                "999",
                "2002",
                "Brookfield School",
                "2017-09-06",
                "2018-07-20"
            ),
            school("999", "2003", "Northgate Academy", "2018-09-05", ""),
        );
        import(northgate, Feed::SchoolCtf, "northgate.xml", &ctf).await;
        import(
            council,
            Feed::LaEducation,
            "council.csv",
            &format!(
                "{LA_HEADER}C1,{person},C1-cme,cme_start,2016-05-10,\nC1,{person},C2-cme,cme_start,2018-03-12,\n"
            ),
        )
        .await;
        let child = person_of(&store, &tenant, "A1").await;
        let officer = Principal {
            user: UserId::new_v7(),
            tenant: tenant.clone(),
            agency: council,
            roles: [Role::LaCmeEheOfficer].into(),
        };
        let view = store
            .person_view(&officer, child, NOW)
            .await
            .unwrap()
            .unwrap();
        let rows: Vec<String> = view
            .timeline
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {}",
                    e.occurred_on,
                    e.kind.as_str(),
                    e.agency_name,
                    e.reported_about.as_deref().unwrap_or("own")
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                "2013-09-04 school_enrolment Ashdown Primary own",
                "2016-05-10 cme_start Test Council own",
                "2017-07-21 school_leaving Ashdown Primary own",
                "2017-09-06 school_enrolment Northgate Academy 999/2002",
                "2018-03-12 cme_start Test Council own",
                "2018-07-20 school_leaving Northgate Academy 999/2002",
                "2018-09-05 school_enrolment Northgate Academy own",
            ],
            "one row for each moment, history marked as Northgate's report"
        );
        let rules = harbour_rules::RuleSet::builtin().unwrap();
        let replay = store
            .replay(&officer, child, &rules, NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            replay.events.len(),
            7,
            "no duplicate in the rules' timeline"
        );
        let told = |on: &str| -> Vec<String> {
            replay
                .alerts
                .iter()
                .filter(|a| a.rule == "child-missing-education" && a.on.to_string() == on)
                .flat_map(|a| a.told.clone())
                .collect()
        };
        let in_2016 = told("2016-05-10");
        assert!(
            in_2016.iter().any(|t| t.contains("Ashdown Primary"))
                && !in_2016.iter().any(|t| t.contains("Northgate")),
            "{in_2016:?}"
        );
        let in_2018 = told("2018-03-12");
        assert!(
            !in_2018.is_empty() && !in_2018.iter().any(|t| t.contains("Northgate")),
            "{in_2018:?}"
        );
        // Sending the file again changes nothing.
        let again = import(northgate, Feed::SchoolCtf, "northgate.xml", &ctf).await;
        assert_eq!(again.accepted + again.superseded, 0, "{again:?}");
    }
}
