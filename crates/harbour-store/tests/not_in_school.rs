//! The children not in school register on every backend: EHE registrations and CME episodes
//! open from the feeds once each (a school's deletion to an unknown destination too), the
//! s.434A consent gate reads the child's timeline, the CME/EHE officer records every kind of
//! fact, a school sees only the episodes it opened, and other roles are refused and audited.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code

use harbour_casework::Hours;
use harbour_casework::TaskKind;
use harbour_casework::not_in_school::{
    CmeClosure, CmeFact, ConsentCondition, EheClosure, EheFact, Registration, Settings,
    Suitability, TraceStep,
};
use harbour_domain::{AgencyId, AgencyKind, EventKind, Handling, Role, Upn};
use harbour_import::{FeedEvent, FeedIdentity, ImportRow};
use harbour_rules::calendar::Calendar;
use harbour_store::{
    NewAgency, NotInSchoolDay, NotInSchoolPart, ReaderAccess, RegisterRefusal, Store,
};
use harbour_synth::demo;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

mod common;
use common::{backends, principal};

/// Sends one event from `agency` about the child its record `record_key` holds.
#[allow(clippy::too_many_arguments)]
async fn send(
    store: &Store,
    county: &demo::DemoCounty,
    agency: AgencyId,
    feed: &str,
    record_key: &str,
    upn: Option<&str>,
    event_key: &str,
    kind: EventKind,
    on: Date,
    details: serde_json::Value,
    summary: &str,
    now: OffsetDateTime,
) {
    let row = ImportRow::new(
        1,
        FeedIdentity {
            record_key: record_key.into(),
            given_name: "Test".into(),
            family_name: "Child".into(),
            date_of_birth: Some(date!(2013 - 03 - 02)),
            sex: None,
            postcode: None,
            upn: upn.map(|body| Upn::from_body(body).unwrap()),
            nhs_number: None,
            alias: None,
        },
        FeedEvent {
            event_key: event_key.into(),
            kind,
            occurred_on: on,
            handling: if feed == "social_care" {
                Handling::Restricted
            } else {
                Handling::Ordinary
            },
            summary: summary.into(),
            details,
            about_school: None,
        },
    );
    store
        .import_batch(&county.tenant, agency, feed, "test.csv", &[row], &[], now)
        .await
        .unwrap();
}

fn registration() -> Registration {
    Registration {
        parents: vec![("Dana Doyle-Khan".into(), "4 Mill Lane, Carrow".into())],
        educating_parents: vec!["Dana Doyle-Khan".into()],
        hours_by_parents: Hours::whole(18),
        hours_by_others: Hours::whole(0),
        providers: vec![],
        optional: Default::default(),
    }
}

#[tokio::test]
async fn the_children_not_in_school_register_opens_from_feeds_and_gates_consent() {
    let calendar = Calendar::default();
    let today = date!(2025 - 03 - 03);
    let day = NotInSchoolDay {
        calendar: &calendar,
        settings: Settings::default(),
        today,
    };
    let now = datetime!(2025-03-03 10:00 UTC);
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo(store, datetime!(2026-07-19 08:00 UTC))
            .await
            .unwrap();
        let tenant = &county.tenant;
        let agency = |code: &str| county.agencies.iter().find(|a| a.code == code).unwrap().id;
        let jayden = demo::jayden(&county).unwrap();
        let maisie = county
            .batch
            .source_records
            .iter()
            .find(|r| r.given_name == "Maisie")
            .unwrap();
        let maisie_person = maisie.person;

        // The demo feeds: two EHE registrations (Jayden, Maisie) and Jayden's two CME
        // episodes; none needs consent.
        let opened = store.open_not_in_school_entries(tenant, now).await.unwrap();
        assert_eq!(
            (
                opened.home_education,
                opened.missing_education,
                opened.consent_required
            ),
            (2, 2, 0),
            "{name}: {opened:?}"
        );
        // The authority's feed ended Jayden's first spell missing education (December 2021)
        // and his home education (June 2024): both close as Harbour's record of the feed;
        // his second spell (July 2024) has no end and stays open.
        assert_eq!(opened.closed_from_feed, 2, "{name}: {opened:?}");
        assert_eq!(
            store.open_not_in_school_entries(tenant, now).await.unwrap(),
            Default::default(),
            "{name}: nothing opens twice"
        );

        // A child protection plan for Maisie that began before her registration: her feed
        // registration is now flagged, with the consent task.
        send(
            store,
            &county,
            agency("la"),
            "social_care",
            &maisie.record_key,
            None,
            "cp-maisie",
            EventKind::ChildProtectionPlanStart,
            date!(2024 - 10 - 01),
            serde_json::json!({}),
            "Child protection plan started",
            now,
        )
        .await;

        // A pupil of a special school, registered for home education by the authority.
        let oakfield = AgencyId::new_v7();
        store
            .create_agency(
                &NewAgency {
                    id: oakfield,
                    tenant: tenant.clone(),
                    code: "oakfield".into(),
                    name: "Oakfield Special School".into(),
                    kind: AgencyKind::School,
                },
                now,
            )
            .await
            .unwrap();
        store
            .set_special_school(tenant, oakfield, true, now)
            .await
            .unwrap();
        send(
            store,
            &county,
            oakfield,
            "school_roll",
            "oak-1",
            Some("999412520077"),
            "oak-join",
            EventKind::SchoolEnrolment,
            date!(2022 - 09 - 05),
            serde_json::json!({}),
            "Joined",
            now,
        )
        .await;
        send(
            store,
            &county,
            agency("la"),
            "la_education",
            "la-oak-1",
            Some("999412520077"),
            "la-ehe-oak",
            EventKind::EheRegistration,
            date!(2025 - 01 - 06),
            serde_json::json!({}),
            "EHE",
            now,
        )
        .await;

        // Seaview deletes a pupil to an unknown destination: a missing-education episode at
        // Seaview. A deletion to another school opens nothing.
        send(
            store,
            &county,
            agency("seaview"),
            "school_roll",
            "sea-1",
            Some("999412520088"),
            "sea-left",
            EventKind::SchoolLeaving,
            date!(2025 - 02 - 03),
            serde_json::json!({ "destination": "not_known" }),
            "Left",
            now,
        )
        .await;
        send(
            store,
            &county,
            agency("seaview"),
            "school_roll",
            "sea-2",
            Some("999412520099"),
            "sea-moved",
            EventKind::SchoolLeaving,
            date!(2025 - 02 - 03),
            serde_json::json!({ "destination": "another_school" }),
            "Left",
            now,
        )
        .await;

        let opened = store.open_not_in_school_entries(tenant, now).await.unwrap();
        assert_eq!(
            (
                opened.home_education,
                opened.missing_education,
                opened.consent_required
            ),
            (1, 1, 1),
            "{name}: {opened:?}"
        );
        // Maisie's plan, sent after her registration was opened but dated before it: the
        // step records Harbour's changed finding.
        assert_eq!(opened.circumstances_changed, 1, "{name}: {opened:?}");
        // A corrected deletion, re-sent under its key, is the same episode.
        send(
            store,
            &county,
            agency("seaview"),
            "school_roll",
            "sea-1",
            Some("999412520088"),
            "sea-left",
            EventKind::SchoolLeaving,
            date!(2025 - 02 - 03),
            serde_json::json!({ "destination": "not_known" }),
            "Left (corrected)",
            now,
        )
        .await;
        assert_eq!(
            store.open_not_in_school_entries(tenant, now).await.unwrap(),
            Default::default(),
            "{name}"
        );

        // The CME/EHE officer sees both parts and keeps them.
        let officer = principal(&county, Role::LaCmeEheOfficer, "la");
        let register = store
            .children_not_in_school(&officer, day, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(register.home_education_access, Some(ReaderAccess::Keep));
        assert_eq!(register.missing_education_access, Some(ReaderAccess::Keep));
        assert_eq!(register.home_education.len(), 3, "{name}");
        assert_eq!(register.missing_education.len(), 3, "{name}");
        let maisie_entry = register
            .home_education
            .iter()
            .find(|e| e.person == maisie_person)
            .unwrap()
            .clone();
        assert!(maisie_entry.from_feed);
        assert_eq!(
            maisie_entry.assessment.consent_needed,
            Some(ConsentCondition::ChildProtection),
            "{name}"
        );
        assert!(
            maisie_entry
                .assessment
                .tasks
                .iter()
                .any(|t| t.kind == TaskKind::EheConsent)
        );
        let oak_entry = register
            .home_education
            .iter()
            .find(|e| e.first_day == date!(2025 - 01 - 06))
            .unwrap()
            .clone();
        assert_eq!(
            oak_entry.assessment.consent_needed,
            Some(ConsentCondition::SpecialSchool),
            "{name}"
        );
        let jayden_ehe = register
            .home_education
            .iter()
            .find(|e| e.person == jayden)
            .unwrap()
            .clone();
        assert_eq!(jayden_ehe.assessment.consent_needed, None);
        let seaview_episode = register
            .missing_education
            .iter()
            .find(|e| e.agency == Some(agency("seaview")))
            .unwrap()
            .clone();
        assert_eq!(seaview_episode.first_day, date!(2025 - 02 - 03));
        let f = &register.figures;
        assert_eq!(f.home_educated, 2, "{name}: Jayden's home education ended");
        assert_eq!(f.home_educated_without_consent, 2);
        assert_eq!(f.missing_education, 2, "{name}: Jayden's first spell ended");
        let jayden_spells: Vec<_> = register
            .missing_education
            .iter()
            .filter(|e| e.person == jayden)
            .collect();
        assert_eq!(jayden_spells.len(), 2, "{name}");
        let first = jayden_spells
            .iter()
            .find(|e| e.first_day == date!(2021 - 11 - 02))
            .unwrap();
        assert!(!first.assessment.open, "{name}");
        assert!(
            matches!(
                &first.history.last().unwrap().fact,
                CmeFact::Closed { on, closure: CmeClosure::EndedInFeed { .. } } if *on == date!(2021 - 12 - 01)
            ),
            "{name}: {:?}",
            first.history
        );
        assert!(
            first.history.last().unwrap().recorded_by.is_none(),
            "{name}: Harbour's record"
        );
        assert!(!jayden_ehe.assessment.open, "{name}");
        assert!(f.median_days_missing.is_some());

        // Recording a registration for Maisie waits for the consent decision.
        let registered = EheFact::Registered(registration());
        let refused = store
            .record_on_home_education(&officer, maisie_entry.id, &registered, day, now)
            .await
            .unwrap();
        assert!(
            matches!(&refused, Err(RegisterRefusal::Invalid(r)) if r.field == "consent"),
            "{name}: {refused:?}"
        );
        // Every kind of fact, in order.
        let facts = [
            EheFact::ConsentDecision {
                on: date!(2024 - 11 - 20),
                granted: true,
            },
            registered.clone(),
            EheFact::HomeVisitRequested {
                on: date!(2024 - 11 - 22),
            },
            EheFact::InformationRequested {
                on: date!(2024 - 12 - 02),
            },
            EheFact::InformationReceived {
                on: date!(2024 - 12 - 16),
            },
            EheFact::SuitabilityOutcome {
                on: date!(2025 - 01 - 10),
                outcome: Suitability::Suitable,
            },
        ];
        for fact in &facts {
            store
                .record_on_home_education(&officer, maisie_entry.id, fact, day, now)
                .await
                .unwrap()
                .unwrap_or_else(|r| panic!("{name}: {fact:?}: {r:?}"));
        }
        // A second request within three months is refused, naming the field.
        let too_soon = store
            .record_on_home_education(
                &officer,
                maisie_entry.id,
                &EheFact::InformationRequested {
                    on: date!(2025 - 01 - 15),
                },
                day,
                now,
            )
            .await
            .unwrap();
        assert!(
            matches!(&too_soon, Err(RegisterRefusal::Invalid(r)) if r.field == "on"),
            "{name}: {too_soon:?}"
        );
        for fact in [
            EheFact::Closed {
                on: date!(2025 - 02 - 28),
                closure: EheClosure::ReturnedToSchool {
                    school: "Seaview School".into(),
                },
            },
            EheFact::Reopened {
                on: date!(2025 - 03 - 03),
                why: "Withdrawn again".into(),
            },
        ] {
            store
                .record_on_home_education(&officer, maisie_entry.id, &fact, day, now)
                .await
                .unwrap()
                .unwrap();
            // The list page's read gives the open entries alone, each named, with the whole
            // register's figures (closed episodes count in the figures of missing education).
            let whole = store
                .children_not_in_school(&officer, day, now)
                .await
                .unwrap()
                .unwrap();
            let listed = store
                .children_not_in_school_open(&officer, day, now)
                .await
                .unwrap()
                .unwrap();
            let open: Vec<_> = whole
                .home_education
                .iter()
                .filter(|e| e.assessment.open)
                .cloned()
                .collect();
            assert_eq!(listed.home_education, open, "{name}");
            assert_eq!(
                listed
                    .home_education
                    .iter()
                    .any(|e| e.id == maisie_entry.id),
                matches!(fact, EheFact::Reopened { .. }),
                "{name}: {fact:?}"
            );
            assert!(listed.home_education.iter().all(|e| e.child.is_some()));
            let open_episodes: Vec<_> = whole
                .missing_education
                .iter()
                .filter(|e| e.assessment.open)
                .cloned()
                .collect();
            assert!(
                open_episodes.len() < whole.missing_education.len(),
                "{name}: Jayden's first spell is closed"
            );
            assert_eq!(listed.missing_education, open_episodes, "{name}");
            assert!(listed.missing_education.iter().all(|e| e.child.is_some()));
            assert_eq!(listed.figures, whole.figures, "{name}");
        }
        let entry = store
            .home_education_entry(&officer, maisie_entry.id, day, now)
            .await
            .unwrap()
            .unwrap();
        // Harbour's findings from the feeds first (nothing at first; then the plan that
        // arrived later, dated before the registration), then the officer's eight facts.
        assert_eq!(entry.history.len(), 10, "{name}");
        assert!(
            matches!(entry.history[0].fact, EheFact::CircumstancesFound(c) if c == Default::default()),
            "{name}: {:?}",
            entry.history[0]
        );
        assert!(
            matches!(entry.history[1].fact, EheFact::CircumstancesFound(c) if c.under_child_protection),
            "{name}: {:?}",
            entry.history[1]
        );
        assert!(
            entry.history[..2].iter().all(|f| f.recorded_by.is_none()),
            "{name}"
        );
        assert_eq!(entry.assessment.consent, Some(true));
        assert!(!entry.assessment.without_consent);
        assert!(entry.history[2].recorded_by.is_some());
        // Nobody records Harbour's finding by hand.
        let forged = store
            .record_on_home_education(
                &officer,
                maisie_entry.id,
                &EheFact::CircumstancesFound(Default::default()),
                day,
                now,
            )
            .await
            .unwrap();
        assert!(
            matches!(&forged, Err(RegisterRefusal::Invalid(r)) if r.field == "fact"),
            "{name}: {forged:?}"
        );

        // Tracing the missing child, step by step, then finding them.
        let officer_steps = [
            (TraceStep::FamilyContacted, date!(2025 - 02 - 04)),
            (TraceStep::HomeVisit, date!(2025 - 02 - 05)),
            (TraceStep::Health, date!(2025 - 02 - 06)),
            (TraceStep::SchoolToSchool, date!(2025 - 02 - 07)),
        ];
        for (step, on) in officer_steps {
            store
                .record_on_missing_education(
                    &officer,
                    seaview_episode.id,
                    &CmeFact::Step {
                        step,
                        on,
                        outcome: "No trace yet".into(),
                    },
                    day,
                    now,
                )
                .await
                .unwrap()
                .unwrap();
        }
        let blank = store
            .record_on_missing_education(
                &officer,
                seaview_episode.id,
                &CmeFact::Step {
                    step: TraceStep::Police,
                    on: date!(2025 - 02 - 10),
                    outcome: "  ".into(),
                },
                day,
                now,
            )
            .await
            .unwrap();
        assert!(
            matches!(&blank, Err(RegisterRefusal::Invalid(r)) if r.field == "outcome"),
            "{name}: {blank:?}"
        );
        for fact in [
            CmeFact::Closed {
                on: date!(2025 - 02 - 20),
                closure: CmeClosure::FoundOnRoll {
                    school: "Northgate Academy".into(),
                },
            },
            CmeFact::Reopened {
                on: date!(2025 - 02 - 27),
                why: "Stopped attending again".into(),
            },
        ] {
            store
                .record_on_missing_education(&officer, seaview_episode.id, &fact, day, now)
                .await
                .unwrap()
                .unwrap();
        }
        let episode = store
            .missing_education_entry(&officer, seaview_episode.id, day, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(episode.history.len(), 6, "{name}");
        assert_eq!(episode.assessment.steps_done.len(), 4);
        assert!(episode.assessment.open);

        // By hand: a registration for a child under a plan needs the decision with it.
        let registered_before = store
            .children_not_in_school(&officer, day, now)
            .await
            .unwrap()
            .unwrap()
            .home_education
            .len();
        let without = store
            .add_home_education_entry(
                &officer,
                maisie_person,
                today,
                &registration(),
                None,
                day,
                now,
            )
            .await
            .unwrap();
        assert!(
            matches!(&without, Err(RegisterRefusal::Invalid(r)) if r.field == "consent"),
            "{name}: {without:?}"
        );
        // With the decision but without the s.436C(1) content's parents: refused naming the
        // field, and neither the entry nor the decision is written.
        let no_parents = store
            .add_home_education_entry(
                &officer,
                maisie_person,
                today,
                &Registration {
                    parents: Vec::new(),
                    ..registration()
                },
                Some((today, false)),
                day,
                now,
            )
            .await
            .unwrap();
        assert!(
            matches!(&no_parents, Err(RegisterRefusal::Invalid(r)) if r.field == "parents"),
            "{name}: {no_parents:?}"
        );
        assert_eq!(
            store
                .children_not_in_school(&officer, day, now)
                .await
                .unwrap()
                .unwrap()
                .home_education
                .len(),
            registered_before,
            "{name}: a refused registration writes nothing"
        );
        let with = store
            .add_home_education_entry(
                &officer,
                maisie_person,
                today,
                &registration(),
                Some((today, false)),
                day,
                now,
            )
            .await
            .unwrap()
            .unwrap();
        let added = store
            .home_education_entry(&officer, with, day, now)
            .await
            .unwrap()
            .unwrap();
        assert!(!added.from_feed);
        assert_eq!(
            added.history.len(),
            3,
            "the decision, the content, then what Harbour found"
        );
        assert!(matches!(
            added.history[0].fact,
            EheFact::ConsentDecision { granted: false, .. }
        ));
        assert_eq!(added.history[1].fact, EheFact::Registered(registration()));
        assert!(
            matches!(added.history[2].fact, EheFact::CircumstancesFound(c) if c.under_child_protection),
            "{:?}",
            added.history[2]
        );
        assert!(added.history[2].recorded_by.is_none(), "Harbour's own");
        assert!(
            added.assessment.without_consent,
            "refused consent stays flagged"
        );
        // A child with nothing on the timeline needs no decision; one given is refused.
        store
            .add_home_education_entry(&officer, jayden, today, &registration(), None, day, now)
            .await
            .unwrap()
            .unwrap();
        let needless = store
            .add_home_education_entry(
                &officer,
                jayden,
                today,
                &registration(),
                Some((today, true)),
                day,
                now,
            )
            .await
            .unwrap();
        assert!(
            matches!(&needless, Err(RegisterRefusal::Invalid(r)) if r.field == "granted"),
            "{name}: {needless:?}"
        );
        let future = store
            .add_missing_education_entry(&officer, jayden, None, date!(2025 - 04 - 01), today, now)
            .await
            .unwrap();
        assert!(matches!(future, Err(RegisterRefusal::Invalid(r)) if r.field == "first_day"));
        store
            .add_missing_education_entry(
                &officer,
                jayden,
                Some(agency("northgate")),
                today,
                today,
                now,
            )
            .await
            .unwrap()
            .unwrap();

        // Seaview's lead sees Seaview's episode only, read only, and no home education;
        // Northgate's sees the one opened by hand naming it.
        let seaview = principal(&county, Role::SchoolDsl, "seaview");
        let theirs = store
            .children_not_in_school(&seaview, day, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(theirs.home_education_access, None);
        assert_eq!(
            theirs.missing_education_access,
            Some(ReaderAccess::OwnAgency)
        );
        assert!(theirs.home_education.is_empty());
        assert_eq!(theirs.missing_education.len(), 1, "{name}");
        assert_eq!(theirs.missing_education[0].id, seaview_episode.id);
        assert_eq!(theirs.missing_education[0].history.len(), 6);
        let northgate = principal(&county, Role::SchoolDsl, "northgate");
        assert_eq!(
            store
                .missing_education_entry(&northgate, seaview_episode.id, day, now)
                .await
                .unwrap(),
            None,
            "{name}: another school's episode is answered as missing"
        );
        assert_eq!(
            store
                .children_not_in_school(&northgate, day, now)
                .await
                .unwrap()
                .unwrap()
                .missing_education
                .len(),
            1
        );
        assert_eq!(
            store
                .home_education_entry(&seaview, maisie_entry.id, day, now)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .record_on_missing_education(
                    &seaview,
                    seaview_episode.id,
                    &CmeFact::Reopened {
                        on: today,
                        why: "x".into()
                    },
                    day,
                    now
                )
                .await
                .unwrap(),
            Err(RegisterRefusal::NotAllowed)
        );
        assert_eq!(
            store
                .add_missing_education_entry(&seaview, jayden, None, today, today, now)
                .await
                .unwrap(),
            Err(RegisterRefusal::NotAllowed)
        );

        // A download holds one part, the same entries the reader sees: Seaview's lead may
        // download its missing-education episodes, not the home education it cannot see.
        let officer_view = store
            .children_not_in_school(&officer, day, now)
            .await
            .unwrap()
            .unwrap();
        let export = store
            .children_not_in_school_export(&officer, NotInSchoolPart::HomeEducation, day, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(export.home_education, officer_view.home_education, "{name}");
        assert!(export.missing_education.is_empty());
        assert_eq!(export.missing_education_access, None);
        let theirs = store
            .children_not_in_school_export(&seaview, NotInSchoolPart::MissingEducation, day, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(theirs.missing_education.len(), 1, "{name}");
        assert_eq!(
            theirs.missing_education_access,
            Some(ReaderAccess::OwnAgency)
        );
        assert_eq!(
            store
                .children_not_in_school_export(&seaview, NotInSchoolPart::HomeEducation, day, now)
                .await
                .unwrap(),
            None,
            "{name}"
        );

        // The police and the inclusion officer see no part of it; the refusal is audited.
        let before = match store.verify_audit().await.unwrap() {
            harbour_store::AuditVerification::Intact { entries } => entries,
            broken => panic!("{name}: {broken:?}"),
        };
        for who in [
            principal(&county, Role::PoliceMaceCoordinator, "police"),
            principal(&county, Role::LaInclusionOfficer, "la"),
        ] {
            assert!(
                store
                    .children_not_in_school(&who, day, now)
                    .await
                    .unwrap()
                    .is_none(),
                "{name}"
            );
        }
        let after = match store.verify_audit().await.unwrap() {
            harbour_store::AuditVerification::Intact { entries } => entries,
            broken => panic!("{name}: {broken:?}"),
        };
        assert_eq!(after, before + 2, "{name}: each refusal is audited");

        // The report reads the whole register.
        let report = store
            .children_not_in_school_report(tenant, day, now)
            .await
            .unwrap();
        assert_eq!(report.home_education.len(), 5, "{name}");
        assert_eq!(report.missing_education.len(), 4, "{name}");
        // Open: all but Jayden's first spell, ended in the feed.
        assert_eq!(report.figures.missing_education, 3);
    }
}
