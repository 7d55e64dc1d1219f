//! Issue 15's case, replayed through the feeds on both backends: one boy's records from eight
//! agencies, his last school's roll without a UPN and under his initials, a police victim
//! record under his initials, and a twin brother at the same address. Linking must not hold
//! the initials apart as if twins without asking anyone; a person's merge must survive every
//! later routine linking run; records sharing his UPN must never be parted.

use super::{AUDIT_AT, NOW, import_manifest, stores};
use harbour_domain::feeds::Feed;
use harbour_domain::{AgencyId, PersonId, Role, TenantCode, Upn, UserId};
use harbour_ingest::import_file;
use harbour_policy::Principal;
use harbour_store::{NewUser, Store};
use harbour_synth::county;
use std::collections::BTreeSet;
use std::path::Path;

const JAYDEN_UPN: &str = "R201100018042";
const JACOB_UPN: &str = "P207000016049";
const BORN: &str = "2009-05-14";

/// (agency code, feed, file): every row is the boy's (or his twin's), keys prefixed CASE.
fn case_files() -> Vec<(&'static str, Feed, String)> {
    let header = |feed: Feed| feed.columns().join(",") + "\n";
    vec![
        (
            "school-000",
            Feed::SchoolRoll,
            header(Feed::SchoolRoll)
                + &format!(
                    "CASE-N1,{JAYDEN_UPN},Jayden,Mercer,{BORN},M,BN7 2LD,CASE-N1-1,joined,2020-09-03\n"
                )
                + &format!(
                    "CASE-N1,{JAYDEN_UPN},Jayden,Mercer,{BORN},M,BN7 2LD,CASE-N1-2,left,2023-02-10\n"
                )
                + &format!(
                    "CASE-N2,{JACOB_UPN},Jacob,Mercer,{BORN},M,BN7 2LD,CASE-N2-1,joined,2020-09-03\n"
                ),
        ),
        (
            "school-001",
            Feed::SchoolExclusions,
            header(Feed::SchoolExclusions)
                + &format!(
                    "CASE-H1,{JAYDEN_UPN},Jayden,Mercer,{BORN},M,BN7 2LD,CASE-H1-1,SUSP,14/06/2021,6,DB\n"
                ),
        ),
        (
            "la-education",
            Feed::LaEducation,
            header(Feed::LaEducation)
                + &format!(
                    "CASE-LA1,{JAYDEN_UPN},Jayden,Mercer,{BORN},M,BN7 2LD,CASE-LA1-1,cme_start,2023-03-01,Off roll\n"
                ),
        ),
        (
            // His last school: the roll has no UPN for him and only his initial.
            "school-002",
            Feed::SchoolRoll,
            header(Feed::SchoolRoll)
                + &format!("CASE-P1,,J,Mercer,{BORN},M,BN7 4QS,CASE-P1-1,joined,2023-09-05\n"),
        ),
        (
            // A police victim record under his initial, with a street name as alias.
            "police",
            Feed::Police,
            header(Feed::Police)
                + &format!(
                    "CASE-PN1,J,Mercer,JJ,{BORN},M,BN7 4QS,CASE-PN1-1,victim,2025-11-02,Wounding,\n"
                ),
        ),
        (
            "health",
            Feed::Health,
            header(Feed::Health)
                + &format!(
                    "9434765919,9434765919,Jayden,Mercer,{BORN},M,BN7 2LD,CASE-ED1,ed_attendance,2025-11-02,assault\n"
                ),
        ),
        (
            "childrens-social-care",
            Feed::SocialCare,
            header(Feed::SocialCare)
                + &format!(
                    "CASE-CSC1,9434765919,Jayden,Mercer,{BORN},M,BN7 4QS,CASE-CSC1-1,referral,2025-11-03\n"
                ),
        ),
        (
            "youth-justice",
            Feed::YouthJustice,
            header(Feed::YouthJustice)
                + &format!(
                    "CASE-YJ1,Jayden,Mercer,{BORN},M,BN7 4QS,CASE-YJ1-1,order,2024-05-01,\n"
                ),
        ),
    ]
}

async fn import_case(
    store: &Store,
    tenant: &TenantCode,
    agencies: &[(String, AgencyId)],
    dir: &Path,
) {
    for (code, feed, text) in case_files() {
        let agency = agencies.iter().find(|(c, _)| c == code).unwrap().1;
        let file = dir.join(format!("{code}-{feed}.csv"));
        std::fs::write(&file, text).unwrap();
        let counts = import_file(store, tenant, agency, feed, &file, NOW, |_| {})
            .await
            .unwrap();
        assert_eq!(counts.rejected, 0, "{code}: {counts:?}");
    }
}

/// The person of each of the case's records, by record key.
async fn persons(store: &Store, tenant: &TenantCode) -> Vec<(String, uuid::Uuid, uuid::Uuid)> {
    store
        .record_persons(tenant, AUDIT_AT)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, _, key, _)| key.starts_with("CASE") || key == "9434765919")
        .map(|(record, _, key, person)| (key, record, person))
        .collect()
}

fn person_of(rows: &[(String, uuid::Uuid, uuid::Uuid)], key: &str) -> uuid::Uuid {
    rows.iter().find(|r| r.0 == key).unwrap().2
}

/// Jayden's keys: every record but his twin's.
const JAYDEN: [&str; 8] = [
    "CASE-N1",
    "CASE-H1",
    "CASE-LA1",
    "CASE-P1",
    "CASE-PN1",
    "9434765919",
    "CASE-CSC1",
    "CASE-YJ1",
];

fn people_of(rows: &[(String, uuid::Uuid, uuid::Uuid)], keys: &[&str]) -> BTreeSet<uuid::Uuid> {
    keys.iter().map(|k| person_of(rows, k)).collect()
}

async fn officer(store: &Store, tenant: &TenantCode, agencies: &[(String, AgencyId)]) -> Principal {
    let agency = agencies
        .iter()
        .find(|(c, _)| c == "la-education")
        .unwrap()
        .1;
    let id = UserId::new_v7();
    store
        .create_user(
            &NewUser {
                id,
                tenant: tenant.clone(),
                agency,
                email: "officer@example.invalid".into(),
                display_name: "Officer".into(),
                roles: [Role::LaInclusionOfficer].into(),
                is_demo: false,
            },
            NOW,
        )
        .await
        .unwrap();
    Principal {
        user: id,
        tenant: tenant.clone(),
        agency,
        roles: [Role::LaInclusionOfficer].into(),
    }
}

#[tokio::test]
async fn the_boy_under_his_initials_is_asked_about_merged_and_stays_one_child() {
    assert!(Upn::parse(JAYDEN_UPN).is_ok() && Upn::parse(JACOB_UPN).is_ok());
    let out = tempfile::tempdir().unwrap();
    let county_dir = out.path().join("county");
    county::generate(&county::Config::new(600, 15), &county_dir, |_| {}).unwrap();
    let settings = harbour_link::Settings::default();
    for (store, dir) in stores().await {
        let (tenant, agencies, _) = import_manifest(&store, &county_dir).await;
        import_case(&store, &tenant, &agencies, dir.path()).await;
        store.relink(&tenant, &settings, NOW).await.unwrap();
        let rows = persons(&store, &tenant).await;
        let named = [
            "CASE-N1",
            "CASE-H1",
            "CASE-LA1",
            "9434765919",
            "CASE-CSC1",
            "CASE-YJ1",
        ];
        assert_eq!(
            people_of(&rows, &named).len(),
            1,
            "his named records are one child"
        );
        assert_eq!(
            person_of(&rows, "CASE-P1"),
            person_of(&rows, "CASE-PN1"),
            "his two records under initials are one"
        );
        assert_ne!(
            person_of(&rows, "CASE-N2"),
            person_of(&rows, "CASE-N1"),
            "twins"
        );

        // The initials are not held apart in silence: a person is asked.
        let officer = officer(&store, &tenant, &agencies).await;
        let queue = store
            .link_reviews(&officer, 1_000, NOW)
            .await
            .unwrap()
            .unwrap();
        let initials: BTreeSet<uuid::Uuid> = [person_of(&rows, "CASE-P1")].into();
        let asked = queue.iter().find(|item| {
            let people = BTreeSet::from([item.a.person.0, item.b.person.0]);
            people.contains(&person_of(&rows, "CASE-N1"))
                && people.iter().any(|p| initials.contains(p))
        });
        let asked = asked.unwrap_or_else(|| panic!("no review of J against Jayden: {queue:#?}"));
        assert_ne!(asked.probability, 0.0);
        let aliased: Vec<_> = queue
            .iter()
            .flat_map(|i| [&i.a, &i.b])
            .filter(|s| s.alias.is_some())
            .collect();
        assert!(
            aliased.iter().all(|s| s.alias.as_deref() == Some("JJ")),
            "the police alias is stored and shown with his record: {aliased:?}"
        );

        // A person merges them by hand (as /api/v1/people/{id}/merge does).
        let keep = PersonId(person_of(&rows, "CASE-N1"));
        let other = PersonId(person_of(&rows, "CASE-P1"));
        store
            .merge_persons(&officer, keep, other, "same boy: school confirmed", NOW)
            .await
            .unwrap()
            .unwrap();
        let rows = persons(&store, &tenant).await;
        assert_eq!(people_of(&rows, &JAYDEN).len(), 1, "merged");

        // The next routine runs, full and incremental, keep him one child.
        for run in 0..2 {
            store.relink(&tenant, &settings, NOW).await.unwrap();
            let rows = persons(&store, &tenant).await;
            assert_eq!(people_of(&rows, &JAYDEN), [keep.0].into(), "run {run}");
            assert_ne!(
                person_of(&rows, "CASE-N2"),
                keep.0,
                "his twin stays his own"
            );
        }
        // A new police record under his initials arrives and is linked as records are.
        let police = agencies.iter().find(|(c, _)| c == "police").unwrap().1;
        let file = dir.path().join("police-2.csv");
        std::fs::write(
            &file,
            Feed::Police.columns().join(",")
                + "\n"
                + &format!(
                    "CASE-PN1,J,Mercer,JJ,{BORN},M,BN7 4QS,CASE-PN1-2,missing,2025-12-01,,\n"
                ),
        )
        .unwrap();
        import_file(&store, &tenant, police, Feed::Police, &file, NOW, |_| {})
            .await
            .unwrap();
        store.link_new(&tenant, &settings, NOW).await.unwrap();
        let rows = persons(&store, &tenant).await;
        assert_eq!(people_of(&rows, &JAYDEN), [keep.0].into(), "after link_new");
        let shared_upn = ["CASE-N1", "CASE-H1", "CASE-LA1"];
        assert_eq!(people_of(&rows, &shared_upn).len(), 1, "one UPN, one child");
    }
}
