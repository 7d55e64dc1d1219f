//! The permanent exclusions register on every backend: entries open from the feeds once per
//! exclusion, the keepers see and record, a school sees only its own exclusions read only,
//! other roles are refused, and what the register's rules refuse is not stored.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code

use harbour_casework::Hours;
use harbour_casework::exclusions::{Closure, Fact, Settings};
use harbour_domain::Role;
use harbour_rules::calendar::Calendar;
use harbour_store::{RegisterDay, RegisterRefusal};
use harbour_synth::demo;
use time::macros::{date, datetime};

mod common;
use common::{backends, principal};

#[tokio::test]
async fn the_exclusions_register_opens_from_feeds_and_keeps_its_history() {
    let calendar = Calendar::default();
    // The demo child was permanently excluded by Northgate on Tuesday 17 January 2023: day 6
    // is Tuesday 24 January.
    let today = date!(2023 - 01 - 30);
    let day = RegisterDay {
        calendar: &calendar,
        settings: Settings::default(),
        today,
    };
    let now = datetime!(2023-01-30 10:00 UTC);
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo(store, datetime!(2026-07-19 08:00 UTC))
            .await
            .unwrap();
        let tenant = &county.tenant;
        let jayden = demo::jayden(&county).unwrap();

        let opened = store.open_exclusion_entries(tenant, now).await.unwrap();
        assert_eq!(
            opened, 1,
            "{name}: one permanent exclusion in the demo feeds"
        );
        assert_eq!(
            store.open_exclusion_entries(tenant, now).await.unwrap(),
            0,
            "{name}: an exclusion already on the register is not opened again"
        );

        let officer = principal(&county, Role::LaInclusionOfficer, "la");
        let register = store
            .exclusions_register(&officer, day, now)
            .await
            .unwrap()
            .unwrap();
        assert!(register.may_record);
        assert_eq!(register.entries.len(), 1, "{name}");
        let entry = &register.entries[0];
        assert_eq!(entry.person, jayden);
        assert_eq!(entry.first_day, date!(2023 - 01 - 17));
        assert_eq!(entry.school_name.as_deref(), Some("Northgate Academy"));
        assert!(entry.from_feed);
        assert_eq!(
            entry.child.as_ref().map(|c| c.family_name.as_str()),
            Some("Mercer")
        );
        assert_eq!(entry.assessment.day_six.due, date!(2023 - 01 - 24));
        // The authority's placement at the PRU (25 January, 15 hours a week) is the first
        // offer, recorded once by Harbour from the feed (both runs above): part-time, so it
        // does not meet day 6.
        assert_eq!(entry.history.len(), 1, "{name}: {:?}", entry.history);
        let from_feed = &entry.history[0];
        assert!(from_feed.recorded_by.is_none(), "{name}");
        assert!(
            matches!(
                &from_feed.fact,
                Fact::Offer { hours, starts_on, placement: Some(_), .. }
                    if *hours == Hours::whole(15) && *starts_on == date!(2023 - 01 - 25)
            ),
            "{name}: {:?}",
            entry.history
        );
        assert!(
            entry
                .assessment
                .offer
                .as_ref()
                .is_some_and(|o| !o.full_time),
            "{name}"
        );
        assert_eq!(register.figures.on_register, 1);
        assert_eq!(register.figures.full_time_by_day_six, 0);

        // The school that excluded him sees its entry, read only; another school sees none;
        // the police see no register at all.
        let northgate = principal(&county, Role::SchoolDsl, "northgate");
        let theirs = store
            .exclusions_register(&northgate, day, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(theirs.entries.len(), 1, "{name}");
        assert!(!theirs.may_record);
        let seaview = principal(&county, Role::SchoolDsl, "seaview");
        let other = store
            .exclusions_register(&seaview, day, now)
            .await
            .unwrap()
            .unwrap();
        assert!(other.entries.is_empty(), "{name}");
        assert_eq!(
            store
                .exclusion_entry(&seaview, entry.id, day, now)
                .await
                .unwrap(),
            None,
            "{name}: another school's entry is answered as missing"
        );
        let police = principal(&county, Role::PoliceMaceCoordinator, "police");
        assert!(
            store
                .exclusions_register(&police, day, now)
                .await
                .unwrap()
                .is_none()
        );

        // The keeper records an offer; a read-only school may not.
        let offer = Fact::Offer {
            provider: "Harbourshire PRU".into(),
            hours: Hours::whole(25),
            starts_on: date!(2023 - 01 - 25),
            placement: None,
        };
        assert_eq!(
            store
                .record_on_exclusion(&northgate, entry.id, &offer, day, now)
                .await
                .unwrap(),
            Err(RegisterRefusal::NotAllowed)
        );
        store
            .record_on_exclusion(&officer, entry.id, &offer, day, now)
            .await
            .unwrap()
            .unwrap();
        // A meeting before the exclusion is refused, naming the field, and not stored.
        let impossible = Fact::BoardDecision {
            on: date!(2023 - 01 - 10),
            reinstate: false,
            parents_told_on: date!(2023 - 01 - 11),
        };
        let refused = store
            .record_on_exclusion(&officer, entry.id, &impossible, day, now)
            .await
            .unwrap();
        assert!(
            matches!(&refused, Err(RegisterRefusal::Invalid(r)) if r.field == "on"),
            "{name}: {refused:?}"
        );
        let entry = store
            .exclusion_entry(&officer, entry.id, day, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            entry.history.len(),
            2,
            "{name}: only the feed's placement and the officer's offer were stored"
        );
        assert!(entry.history[1].recorded_by.is_some());
        // Provision from Wednesday 25 January: the day after day 6, so met late.
        assert_eq!(entry.assessment.school_days_to_provision, Some(6));
        assert!(entry.assessment.day_six.state(today).is_missed());

        // Closing keeps the history; anything but reopening is then refused.
        let close = Fact::Closed {
            on: date!(2023 - 01 - 30),
            closure: Closure::PlacedOnRoll {
                school: "Seaview School".into(),
            },
        };
        store
            .record_on_exclusion(&officer, entry.id, &close, day, now)
            .await
            .unwrap()
            .unwrap();
        let after = store
            .record_on_exclusion(&officer, entry.id, &offer, day, now)
            .await
            .unwrap();
        assert!(
            matches!(&after, Err(RegisterRefusal::Invalid(r)) if r.field == "entry"),
            "{name}: {after:?}"
        );
        let register = store
            .exclusions_register(&officer, day, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(register.figures.on_register, 0);
        assert_eq!(
            register.entries[0].history.len(),
            3,
            "{name}: placement, offer, closure"
        );

        // An entry added by hand, for a child no feed reported excluded.
        let added = store
            .add_exclusion_entry(&officer, jayden, None, date!(2023 - 01 - 27), today, now)
            .await
            .unwrap()
            .unwrap();
        let future = store
            .add_exclusion_entry(&officer, jayden, None, date!(2023 - 02 - 27), today, now)
            .await
            .unwrap();
        assert!(matches!(future, Err(RegisterRefusal::Invalid(r)) if r.field == "first_day"));
        assert_eq!(
            store
                .add_exclusion_entry(&northgate, jayden, None, today, today, now)
                .await
                .unwrap(),
            Err(RegisterRefusal::NotAllowed)
        );
        let register = store
            .exclusions_register_report(tenant, day, now)
            .await
            .unwrap();
        assert_eq!(register.entries.len(), 2, "{name}");
        assert!(
            register
                .entries
                .iter()
                .any(|e| e.id == added && !e.from_feed)
        );
        // The list page's first view: the open entry alone, named, with the figures of the
        // whole register (the closed entry still counts in them).
        let whole = store
            .exclusions_register(&officer, day, now)
            .await
            .unwrap()
            .unwrap();
        let open = store
            .exclusions_register_open(&officer, day, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            open.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![added],
            "{name}"
        );
        assert!(open.entries[0].child.is_some(), "{name}");
        assert_eq!(open.figures, whole.figures, "{name}");
        assert_eq!(whole.figures.past_day_six, 1, "{name}: the closed entry");
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                harbour_store::AuditVerification::Intact { .. }
            ),
            "{name}"
        );
    }
}
