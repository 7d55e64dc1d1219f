//! Alternative-provision placements on every backend: each feed placement opens once, linked to
//! the exclusion it follows and timed from it; the keepers record reviews, corrections and
//! the end, and what the rules refuse is not stored; a placement added by hand is the offer on
//! the exclusion's entry too; other roles are refused; a placement's review is a task in the
//! work queue.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code

use harbour_casework::Hours;
use harbour_casework::RegisterSettings;
use harbour_casework::exclusions::{Fact, Settings};
use harbour_casework::placements::{PlacementFact, PlacementOutcome, ProvisionKind};
use harbour_domain::Role;
use harbour_rules::RuleSet;
use harbour_rules::calendar::Calendar;
use harbour_store::{RegisterDay, RegisterRefusal, WorkDay, WorkFilter, Workflow};
use harbour_synth::demo;
use time::macros::{date, datetime};

mod common;
use common::{backends, principal};

#[tokio::test]
async fn placements_open_from_the_feed_follow_their_exclusion_and_keep_their_history() {
    let calendar = Calendar::default();
    let today = date!(2023 - 02 - 06);
    let day = RegisterDay {
        calendar: &calendar,
        settings: Settings::default(),
        today,
    };
    let now = datetime!(2023-02-06 10:00 UTC);
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo(store, datetime!(2026-07-19 08:00 UTC))
            .await
            .unwrap();
        let tenant = &county.tenant;
        let jayden = demo::jayden(&county).unwrap();
        store.open_exclusion_entries(tenant, now).await.unwrap();
        let opened = store.open_placement_entries(tenant, now).await.unwrap();
        assert!(opened >= 1, "{name}: the demo feeds hold placements");
        assert_eq!(
            store.open_placement_entries(tenant, now).await.unwrap(),
            0,
            "{name}: a placement already open is not opened again"
        );

        let officer = principal(&county, Role::LaInclusionOfficer, "la");
        let register = store.placements(&officer, day, now).await.unwrap().unwrap();
        let theirs: Vec<_> = register
            .entries
            .iter()
            .filter(|e| e.person == jayden)
            .collect();
        assert_eq!(theirs.len(), 1, "{name}: {theirs:?}");
        let placement = theirs[0];
        // Excluded by Northgate from Tuesday 17 January 2023; placed at the PRU from
        // Wednesday 25 January, 15 hours a week: 8 days, 6 school days after day 1.
        assert!(placement.from_feed);
        assert_eq!(placement.starts_on, date!(2023 - 01 - 25));
        let a = &placement.assessment;
        assert_eq!(a.days_from_exclusion, Some(8), "{name}");
        assert_eq!(a.school_days_from_exclusion, Some(6), "{name}");
        assert_eq!(a.hours, Some(Hours::whole(15)));
        assert_eq!(a.full_time, Some(false));
        assert_eq!(a.kind, None, "the feed does not say the type");
        assert!(placement.exclusion_entry.is_some());
        assert!(register.pathway.after_exclusion >= 1);

        // Schools and the police do not see the placements.
        for (role, agency) in [
            (Role::SchoolDsl, "northgate"),
            (Role::PoliceMaceCoordinator, "police"),
            (Role::LaCmeEheOfficer, "la"),
        ] {
            let other = principal(&county, role, agency);
            assert!(
                store.placements(&other, day, now).await.unwrap().is_none(),
                "{name}: {role:?}"
            );
            assert!(
                store
                    .placement_entry(&other, placement.id, day, now)
                    .await
                    .unwrap()
                    .is_none(),
                "{name}: {role:?}"
            );
            let refused = store
                .record_on_placement(
                    &other,
                    placement.id,
                    &PlacementFact::Ended {
                        on: today,
                        outcome: PlacementOutcome::BrokeDown,
                        notes: String::new(),
                    },
                    day,
                    now,
                )
                .await
                .unwrap();
            assert_eq!(refused, Err(RegisterRefusal::NotAllowed), "{name}");
        }

        // The keeper corrects the details and reviews; an impossible review is refused,
        // naming the field, and not stored.
        let details = PlacementFact::Details {
            provider: "Harbourshire PRU".into(),
            kind: Some(ProvisionKind::PupilReferralUnit),
            hours: Some(Hours::whole(25)),
            review_on: None,
        };
        store
            .record_on_placement(&officer, placement.id, &details, day, now)
            .await
            .unwrap()
            .unwrap();
        let too_early = PlacementFact::Reviewed {
            on: date!(2023 - 01 - 20),
            notes: "Settling in".into(),
            next_on: None,
        };
        let refused = store
            .record_on_placement(&officer, placement.id, &too_early, day, now)
            .await
            .unwrap();
        assert!(
            matches!(&refused, Err(RegisterRefusal::Invalid(r)) if r.field == "on"),
            "{name}: {refused:?}"
        );
        let review = PlacementFact::Reviewed {
            on: date!(2023 - 02 - 03),
            notes: "Attending every day".into(),
            next_on: Some(date!(2023 - 03 - 17)),
        };
        store
            .record_on_placement(&officer, placement.id, &review, day, now)
            .await
            .unwrap()
            .unwrap();
        let entry = store
            .placement_entry(&officer, placement.id, day, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            entry.history.len(),
            3,
            "{name}: feed details, correction, review"
        );
        assert!(entry.history[0].recorded_by.is_none());
        assert_eq!(entry.assessment.full_time, Some(true));
        assert_eq!(entry.assessment.next_review, Some(date!(2023 - 03 - 17)));

        // The review is a task in the keeper's queue, and in no school's.
        let rules = RuleSet::builtin().unwrap();
        let work_day = WorkDay {
            today: date!(2023 - 03 - 20),
            rules: &rules,
            settings: RegisterSettings::default(),
        };
        let mine = store
            .my_work(
                &officer,
                WorkFilter::All,
                harbour_store::WorkWindow::ALL,
                work_day,
                now,
            )
            .await
            .unwrap()
            .items;
        let review_task = mine
            .iter()
            .find(|i| i.workflow == Workflow::AlternativeProvision && i.record == placement.id)
            .unwrap_or_else(|| panic!("{name}: {mine:?}"));
        assert!(review_task.overdue);
        let school = principal(&county, Role::SchoolDsl, "northgate");
        let theirs = store
            .my_work(
                &school,
                WorkFilter::All,
                harbour_store::WorkWindow::ALL,
                work_day,
                now,
            )
            .await
            .unwrap()
            .items;
        assert!(
            theirs
                .iter()
                .all(|i| i.workflow != Workflow::AlternativeProvision),
            "{name}"
        );

        // Ending it closes the review task; nothing more is taken.
        let end = PlacementFact::Ended {
            on: date!(2023 - 02 - 06),
            outcome: PlacementOutcome::MovedToAnotherPlacement,
            notes: String::new(),
        };
        store
            .record_on_placement(&officer, placement.id, &end, day, now)
            .await
            .unwrap()
            .unwrap();
        let after = store
            .record_on_placement(&officer, placement.id, &review, day, now)
            .await
            .unwrap();
        assert!(
            matches!(&after, Err(RegisterRefusal::Invalid(r)) if r.field == "placement"),
            "{name}: {after:?}"
        );

        // A placement added by hand after the exclusion is the offer on its entry too.
        let added = store
            .add_placement(
                &officer,
                jayden,
                date!(2023 - 02 - 06),
                PlacementFact::Details {
                    provider: "Coastline Academy (AP)".into(),
                    kind: Some(ProvisionKind::AlternativeProvisionAcademy),
                    hours: Some(Hours::whole(27)),
                    review_on: Some(date!(2023 - 03 - 20)),
                },
                day,
                now,
            )
            .await
            .unwrap()
            .unwrap();
        let exclusion = store
            .exclusion_entry(&officer, placement.exclusion_entry.unwrap(), day, now)
            .await
            .unwrap()
            .unwrap();
        let offers: Vec<_> = exclusion
            .history
            .iter()
            .filter_map(|f| match &f.fact {
                Fact::Offer {
                    placement: Some(key),
                    hours,
                    ..
                } => Some((key.clone(), *hours, f.recorded_by.is_some())),
                _ => None,
            })
            .collect();
        assert!(
            offers.contains(&(format!("placement/{added}"), Hours::whole(27), true)),
            "{name}: {offers:?}"
        );
        // A placement with an impossible review date is refused whole.
        let refused = store
            .add_placement(
                &officer,
                jayden,
                date!(2023 - 02 - 06),
                PlacementFact::Details {
                    provider: "Tutor".into(),
                    kind: Some(ProvisionKind::Tuition),
                    hours: Some(Hours::whole(5)),
                    review_on: Some(date!(2023 - 02 - 01)),
                },
                day,
                now,
            )
            .await
            .unwrap();
        assert!(
            matches!(&refused, Err(RegisterRefusal::Invalid(r)) if r.field == "review_on"),
            "{name}: {refused:?}"
        );
        let register = store.placements(&officer, day, now).await.unwrap().unwrap();
        assert_eq!(
            register
                .entries
                .iter()
                .filter(|e| e.person == jayden)
                .count(),
            2,
            "{name}: the refused placement was not stored"
        );
        // The feed's second run opens nothing more.
        assert_eq!(store.open_placement_entries(tenant, now).await.unwrap(), 0);
    }
}
