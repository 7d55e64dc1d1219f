//! The store's conformance story, run on every backend: SQLite always, PostgreSQL when
//! `HARBOUR_TEST_POSTGRES_URL` is set (CI sets it and fails if the server is unreachable).

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use harbour_domain::{EventKind, Handling, PersonId, Role};
use harbour_policy::Policy;
use harbour_store::{
    AuditChain, AuditVerification, BackupOutcome, Batch, NewEvent, SearchQuery, SessionUser, Store,
    StoreLocation,
};
use harbour_synth::demo::{self, DemoCounty};

mod common;
use common::{backends, principal};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-20 10:00 UTC);

async fn with_demo(store: &Store) -> DemoCounty {
    demo::load_demo(store, NOW).await.unwrap()
}

fn name(text: &str) -> SearchQuery {
    SearchQuery::parse(text).unwrap()
}

#[tokio::test]
async fn opens_migrates_and_reports_health() {
    for backend in backends().await {
        let health = backend.store.health().await.unwrap();
        assert_eq!(health.backend, backend.name);
        assert_eq!(health.schema_version, 19, "{}", backend.name);
    }
}

#[tokio::test]
async fn a_practitioner_sees_partners_ordinary_events_but_not_police_intelligence() {
    for backend in backends().await {
        let store = &backend.store;
        let county = with_demo(store).await;
        let dsl = principal(&county, Role::SchoolDsl, "northgate");

        let found = store
            .search_persons(&dsl, &name("mercer"), 20, NOW)
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{}", backend.name);
        let jayden = demo::jayden(&county).unwrap();
        assert_eq!(found[0].id, jayden);
        // Shown by the name most agencies use, not the police's misspelling.
        assert_eq!(
            (found[0].given_name.as_str(), found[0].family_name.as_str()),
            ("Jayden", "Mercer")
        );
        assert!(
            found[0]
                .agencies
                .contains(&"Harbourshire Police".to_owned())
        );

        let view = store.person_view(&dsl, jayden, NOW).await.unwrap().unwrap();
        let kinds: Vec<_> = view.timeline.iter().map(|e| e.kind).collect();
        assert!(
            kinds.contains(&EventKind::PermanentExclusion),
            "{}",
            backend.name
        );
        assert!(
            kinds.contains(&EventKind::Caution),
            "police cautions are ordinary"
        );
        assert!(
            !kinds.contains(&EventKind::IntelligenceReport),
            "{}: intelligence leaked",
            backend.name
        );
        assert!(
            !kinds.contains(&EventKind::EmergencyAttendance),
            "health detail leaked"
        );
        assert!(
            !kinds.contains(&EventKind::MaceReferral),
            "restricted leaked"
        );
        assert!(
            view.timeline
                .windows(2)
                .all(|w| w[0].occurred_on <= w[1].occurred_on),
            "date order"
        );
        // Every row names the agency that supplied it.
        assert!(
            view.timeline
                .iter()
                .any(|e| e.agency_name == "Harbourshire Police")
        );
        assert!(
            view.timeline
                .iter()
                .any(|e| e.agency_name == "Northgate Academy")
        );
        assert!(view.timeline.iter().all(|e| !e.agency_name.is_empty()));

        let intel = principal(&county, Role::PoliceIntelligenceOfficer, "police");
        let view = store
            .person_view(&intel, jayden, NOW)
            .await
            .unwrap()
            .unwrap();
        assert!(
            view.timeline
                .iter()
                .any(|e| e.handling == Handling::PoliceIntelligence)
        );
        assert!(
            !view
                .timeline
                .iter()
                .any(|e| e.handling == Handling::HealthConfidential)
        );

        let social_worker = principal(&county, Role::SocialWorker, "la");
        let view = store
            .person_view(&social_worker, jayden, NOW)
            .await
            .unwrap()
            .unwrap();
        assert!(
            view.timeline
                .iter()
                .any(|e| e.handling == Handling::HealthConfidential)
        );
        assert!(
            view.timeline
                .iter()
                .any(|e| e.kind == EventKind::MaceReferral)
        );
    }
}

#[tokio::test]
async fn search_reveals_nobody_the_viewer_may_not_see() {
    for backend in backends().await {
        let store = &backend.store;
        let county = with_demo(store).await;
        // Ollie Fenwick is known only through police intelligence.
        let dsl = principal(&county, Role::SchoolDsl, "seaview");
        assert!(
            store
                .search_persons(&dsl, &name("fenwick"), 20, NOW)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            backend.name
        );
        let intel = principal(&county, Role::PoliceIntelligenceOfficer, "police");
        assert_eq!(
            store
                .search_persons(&intel, &name("fenwick"), 20, NOW)
                .await
                .unwrap()
                .len(),
            1
        );

        // Roles with no rule find nobody at all.
        let dpo = principal(&county, Role::DataProtectionOfficer, "la");
        assert!(
            store
                .search_persons(&dpo, &name("mercer"), 20, NOW)
                .await
                .unwrap()
                .is_empty()
        );

        // A school finds only children on (or once on) its own roll: Jayden was never at Seaview.
        let jayden_upn = county.batch.source_records[0].upn.clone().unwrap();
        let by_upn = SearchQuery::Upn(jayden_upn);
        assert!(
            store
                .search_persons(&dsl, &by_upn, 20, NOW)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            backend.name
        );
        let northgate = principal(&county, Role::SchoolDsl, "northgate");
        assert_eq!(
            store
                .search_persons(&northgate, &by_upn, 20, NOW)
                .await
                .unwrap()
                .len(),
            1
        );

        // Wildcards in a name are literal; either name order matches.
        assert!(
            store
                .search_persons(&northgate, &name("%%"), 20, NOW)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .search_persons(&northgate, &name("mer_er"), 20, NOW)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .search_persons(&northgate, &name("mercer jay"), 20, NOW)
                .await
                .unwrap()
                .len(),
            1
        );

        // A role with only county-wide rules (no own-agency rule) searches too.
        let chair = principal(&county, Role::MaceChair, "la");
        assert_eq!(
            store
                .search_persons(&chair, &name("mercer"), 20, NOW)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn an_unknown_id_and_a_forbidden_one_look_the_same_and_both_are_audited() {
    for backend in backends().await {
        let store = &backend.store;
        let county = with_demo(store).await;
        let dsl = principal(&county, Role::SchoolDsl, "northgate");
        let fenwick = county.batch.persons[5].id;
        assert_eq!(store.person_view(&dsl, fenwick, NOW).await.unwrap(), None);
        assert_eq!(
            store
                .person_view(&dsl, PersonId::new_v7(), NOW)
                .await
                .unwrap(),
            None
        );
        match store.verify_audit().await.unwrap() {
            AuditVerification::Intact { entries } => {
                // tenant + 7 agencies (two schools with a number and an area) + 13 users and
                // their 13 passwords + 1 load + 2 views
                assert_eq!(entries, 1 + 7 + 2 + 2 + 13 + 13 + 1 + 2, "{}", backend.name);
            }
            broken => panic!("{}: {broken:?}", backend.name),
        }
    }
}

#[tokio::test]
async fn a_failed_batch_writes_nothing() {
    for backend in backends().await {
        let store = &backend.store;
        let county = with_demo(store).await;
        let record = &county.batch.source_records[0];
        let good = NewEvent {
            id: harbour_domain::EventId::new_v7(),
            source_record: record.id,
            agency: record.agency,
            record_key: "new-1".into(),
            kind: EventKind::Suspension,
            occurred_on: time::macros::date!(2026 - 01 - 05),
            handling: Handling::Ordinary,
            summary: "Suspended 1 day".into(),
            details: serde_json::json!({}),
        };
        // The second event reuses a key already stored, so the whole batch must fail.
        let duplicate = NewEvent {
            id: harbour_domain::EventId::new_v7(),
            record_key: "demo-0-event-0".into(),
            ..good.clone()
        };
        let batch = Batch {
            tenant: county.tenant.clone(),
            persons: vec![],
            source_records: vec![],
            events: vec![good, duplicate],
        };
        assert!(
            store.load(&batch, "test", NOW).await.is_err(),
            "{}",
            backend.name
        );

        let dsl = principal(&county, Role::SchoolDsl, "northgate");
        let view = store
            .person_view(&dsl, demo::jayden(&county).unwrap(), NOW)
            .await
            .unwrap()
            .unwrap();
        assert!(
            !view.timeline.iter().any(|e| e.summary == "Suspended 1 day"),
            "{}: partial write",
            backend.name
        );
    }
}

#[tokio::test]
async fn sessions_end_on_idle_absolute_limit_and_sign_out() {
    for backend in backends().await {
        let store = &backend.store;
        let county = with_demo(store).await;
        let user: SessionUser = store.demo_user(county.users[0].id).await.unwrap().unwrap();
        let idle = Duration::minutes(15);

        store
            .start_session(&user, "hash-a", NOW, NOW + Duration::hours(12))
            .await
            .unwrap();
        assert_eq!(
            store
                .session_user("hash-a", NOW + Duration::minutes(14), idle)
                .await
                .unwrap(),
            Some(user.clone())
        );
        // Activity at 14 minutes restarted the idle clock.
        assert!(
            store
                .session_user("hash-a", NOW + Duration::minutes(28), idle)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .session_user("hash-a", NOW + Duration::minutes(44), idle)
                .await
                .unwrap()
                .is_none(),
            "{}",
            backend.name
        );
        assert!(
            store
                .session_user("hash-a", NOW + Duration::minutes(45), idle)
                .await
                .unwrap()
                .is_none(),
            "gone for good"
        );

        store
            .start_session(&user, "hash-b", NOW, NOW + Duration::minutes(20))
            .await
            .unwrap();
        assert!(
            store
                .session_user("hash-b", NOW + Duration::minutes(10), idle)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .session_user("hash-b", NOW + Duration::minutes(20), idle)
                .await
                .unwrap()
                .is_none(),
            "absolute limit"
        );

        // A request seconds after the last one does not write the session again (a page
        // read is not a write): the idle clock runs from the last write, so the session may
        // end up to 30 seconds before the idle limit, never after it.
        store
            .start_session(&user, "hash-d", NOW, NOW + Duration::hours(12))
            .await
            .unwrap();
        for seen in [Duration::seconds(10), Duration::seconds(29)] {
            assert!(
                store
                    .session_user("hash-d", NOW + seen, idle)
                    .await
                    .unwrap()
                    .is_some()
            );
        }
        assert!(
            store
                .session_user("hash-d", NOW + idle, idle)
                .await
                .unwrap()
                .is_none(),
            "{}: idle since the start, as far as the store knows",
            backend.name
        );
        store
            .start_session(&user, "hash-e", NOW, NOW + Duration::hours(12))
            .await
            .unwrap();
        for seen in [Duration::seconds(30), Duration::minutes(15)] {
            assert!(
                store
                    .session_user("hash-e", NOW + seen, idle)
                    .await
                    .unwrap()
                    .is_some(),
                "{}: seen at {seen}",
                backend.name
            );
        }

        store
            .start_session(&user, "hash-c", NOW, NOW + Duration::hours(12))
            .await
            .unwrap();
        store.end_session(&user, "hash-c", NOW).await.unwrap();
        assert!(
            store
                .session_user("hash-c", NOW, idle)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .session_user("unknown", NOW, idle)
                .await
                .unwrap()
                .is_none()
        );

        // Only demo accounts can be chosen on the demo sign-in page.
        assert!(
            store
                .demo_user(harbour_domain::UserId::new_v7())
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn events_and_the_audit_refuse_edits_and_the_chain_catches_tampering() {
    for backend in backends().await {
        let store = &backend.store;
        let county = with_demo(store).await;
        let dsl = principal(&county, Role::SchoolDsl, "northgate");
        store
            .person_view(&dsl, demo::jayden(&county).unwrap(), NOW)
            .await
            .unwrap();
        let statements = [
            "UPDATE events SET summary = 'x'",
            "DELETE FROM events",
            "UPDATE audit SET purpose = 'x'",
            "DELETE FROM audit",
        ];
        match store.location() {
            StoreLocation::Sqlite(path) => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
                    .await
                    .unwrap();
                for sql in statements {
                    let error = sqlx::query(sql)
                        .execute(&pool)
                        .await
                        .unwrap_err()
                        .to_string();
                    assert!(error.contains("append-only"), "{sql}: {error}");
                }
                // Someone with file access drops the guard and edits an entry.
                sqlx::query("DROP TRIGGER audit_no_update")
                    .execute(&pool)
                    .await
                    .unwrap();
                sqlx::query("UPDATE audit SET purpose = 'nothing to see' WHERE seq = 5")
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            StoreLocation::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                for sql in statements {
                    let error = sqlx::query(sql)
                        .execute(&pool)
                        .await
                        .unwrap_err()
                        .to_string();
                    assert!(error.contains("append-only"), "{sql}: {error}");
                }
                sqlx::query("ALTER TABLE audit DISABLE TRIGGER audit_append_only")
                    .execute(&pool)
                    .await
                    .unwrap();
                sqlx::query("UPDATE audit SET purpose = 'nothing to see' WHERE seq = 5")
                    .execute(&pool)
                    .await
                    .unwrap();
            }
        }
        match store.verify_audit().await.unwrap() {
            AuditVerification::Broken { chain, seq, reason } => {
                assert_eq!(
                    chain,
                    AuditChain::tenant(&county.tenant),
                    "{}",
                    backend.name
                );
                assert_eq!(seq, 5, "{}", backend.name);
                assert!(reason.contains("changed"), "{reason}");
            }
            intact => panic!("{}: tampering not caught: {intact:?}", backend.name),
        }
    }
}

#[tokio::test]
async fn backup_writes_a_checked_copy_or_names_pg_dump() {
    for backend in backends().await {
        let store = &backend.store;
        with_demo(store).await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("backup.sqlite3");
        match store.backup(&out).await.unwrap() {
            BackupOutcome::Written { bytes } => {
                assert_eq!(backend.name, "sqlite");
                assert!(bytes > 0);
                let copy = Store::open(
                    StoreLocation::Sqlite(out.clone()),
                    Policy::default_policy().unwrap(),
                )
                .await
                .unwrap();
                assert!(matches!(
                    copy.verify_audit().await.unwrap(),
                    AuditVerification::Intact { .. }
                ));
                let error = store.backup(&out).await.unwrap_err().to_string();
                assert!(error.contains("already exists"), "{error}");
            }
            BackupOutcome::UsePgDump { command } => {
                assert_eq!(backend.name, "postgres");
                assert!(command.starts_with("pg_dump"));
                assert!(!out.exists());
            }
        }
    }
}

/// Issue 14, point 17: search filters by the child's current school (the school that last
/// recorded something the viewer may see) and names it in each result; the viewer's scope
/// applies to the filter and the total as to everything else.
#[tokio::test]
async fn search_filters_by_current_school_within_the_viewers_scope() {
    for backend in backends().await {
        let store = &backend.store;
        let county = with_demo(store).await;
        let school = |code: &str| county.agencies.iter().find(|a| a.code == code).unwrap().id;
        let at = |code: &str| harbour_store::SearchFilter {
            school: Some(school(code)),
            limit: 20,
            ..Default::default()
        };
        let social = principal(&county, Role::SocialWorker, "la");
        let all = store
            .search_persons_page(&social, &name("mercer"), &at("pru"), NOW)
            .await
            .unwrap();
        assert_eq!(all.total, 1, "{}: {all:?}", backend.name);
        assert_eq!(
            all.people[0].school.as_deref(),
            Some("Harbourshire Pupil Referral Unit"),
            "{}: the PRU recorded the latest school event",
            backend.name
        );
        // Jayden left Northgate: it is not his current school.
        let left = store
            .search_persons_page(&social, &name("mercer"), &at("northgate"), NOW)
            .await
            .unwrap();
        assert_eq!((left.total, left.people.len()), (0, 0), "{}", backend.name);
        // Without the filter, each result still names the current school.
        let unfiltered = store
            .search_persons_page(
                &social,
                &name("hart"),
                &harbour_store::SearchFilter {
                    limit: 20,
                    ..Default::default()
                },
                NOW,
            )
            .await
            .unwrap();
        let amelia = unfiltered
            .people
            .iter()
            .find(|p| p.given_name == "Amelia")
            .unwrap();
        assert_eq!(amelia.school.as_deref(), Some("Seaview School"));
        let seaview = store
            .search_persons_page(&social, &name("hart"), &at("seaview"), NOW)
            .await
            .unwrap();
        assert!(
            seaview.people.iter().any(|p| p.id == amelia.id),
            "{}",
            backend.name
        );
        assert_eq!(seaview.total, seaview.people.len() as u64);

        // The scope applies to the filter and the count: Northgate's lead cannot see Amelia
        // (never known to Northgate), so the same filter finds nobody for them.
        let northgate = principal(&county, Role::SchoolDsl, "northgate");
        let hidden = store
            .search_persons_page(&northgate, &name("hart"), &at("seaview"), NOW)
            .await
            .unwrap();
        assert!(
            hidden.people.iter().all(|p| p.id != amelia.id),
            "{}",
            backend.name
        );
        assert_eq!(hidden.total, hidden.people.len() as u64, "{}", backend.name);
    }
}

#[tokio::test]
async fn search_pages_count_only_children_the_viewer_may_see_and_filter_by_birth() {
    for backend in backends().await {
        let store = &backend.store;
        let county = with_demo(store).await;
        let page = |offset, limit| harbour_store::SearchFilter {
            offset,
            limit,
            ..Default::default()
        };
        let intel = principal(&county, Role::PoliceIntelligenceOfficer, "police");
        let all = store
            .search_persons_page(&intel, &name("er"), &page(0, 1000), NOW)
            .await
            .unwrap();
        assert!(all.total >= 2, "{}: {all:?}", backend.name);
        assert_eq!(all.total, all.people.len() as u64);
        // Pages of one: the same children in the same order, the total on each.
        for (i, person) in all.people.iter().enumerate() {
            let one = store
                .search_persons_page(&intel, &name("er"), &page(i, 1), NOW)
                .await
                .unwrap();
            assert_eq!(one.total, all.total, "{}", backend.name);
            assert_eq!(
                one.people,
                vec![person.clone()],
                "{} page {i}",
                backend.name
            );
        }
        let past = store
            .search_persons_page(&intel, &name("er"), &page(all.people.len(), 10), NOW)
            .await
            .unwrap();
        assert!(past.people.is_empty());
        assert_eq!(past.total, all.total);

        // The total never counts a child the viewer may not see: Ollie Fenwick is known only
        // through police intelligence.
        let dsl = principal(&county, Role::SchoolDsl, "seaview");
        let hidden = store
            .search_persons_page(&dsl, &name("fenwick"), &page(0, 20), NOW)
            .await
            .unwrap();
        assert_eq!(hidden.total, 0, "{}", backend.name);
        let theirs = store
            .search_persons_page(&dsl, &name("er"), &page(0, 1), NOW)
            .await
            .unwrap();
        let every = store
            .search_persons_page(&dsl, &name("er"), &page(0, 1000), NOW)
            .await
            .unwrap();
        assert_eq!(theirs.total, every.people.len() as u64, "{}", backend.name);
        assert!(every.people.iter().all(|p| p.family_name != "Fenwick"));

        // By date of birth.
        let dob = county.batch.source_records[0].date_of_birth.unwrap();
        let northgate = principal(&county, Role::SchoolDsl, "northgate");
        let born = |from, to| harbour_store::SearchFilter {
            born_from: Some(from),
            born_to: Some(to),
            limit: 20,
            ..Default::default()
        };
        let on_the_day = store
            .search_persons_page(&northgate, &name("mercer"), &born(dob, dob), NOW)
            .await
            .unwrap();
        assert_eq!(on_the_day.total, 1, "{}", backend.name);
        let after = dob.next_day().unwrap();
        let later = store
            .search_persons_page(&northgate, &name("mercer"), &born(after, after), NOW)
            .await
            .unwrap();
        assert_eq!(later.total, 0, "{}", backend.name);
        assert!(later.people.is_empty());
    }
}
