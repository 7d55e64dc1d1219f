//! The fair-access view on every backend: the authority's panel decisions from its education
//! feed, each school's and area's accepted placements per 1,000 pupils beside the county's,
//! only for the log's keepers, every read audited naming the children in it.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code

use harbour_casework::fair_access::Response;
use harbour_domain::Role;
use harbour_store::{AuditVerification, NO_AREA, RegisterRefusal};
use harbour_synth::demo;
use time::macros::{date, datetime};

mod common;
use common::{backends, principal};

#[tokio::test]
async fn the_fair_access_view_counts_each_schools_share_for_the_inclusion_officers_only() {
    // The demo's day: its three recent decisions (Tyler to Northgate, refused; Reece to
    // Seaview, accepted; Kayla to Northgate, awaiting the academy).
    let now = datetime!(2026-11-20 16:00 UTC);
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo_today(store, now).await.unwrap();
        let officer = principal(&county, Role::LaInclusionOfficer, "la");
        let view = store
            .fair_access(&officer, date!(2026 - 09 - 01), date!(2026 - 11 - 20), now)
            .await
            .unwrap()
            .unwrap();
        let log: Vec<(&str, Response)> = view
            .decisions
            .iter()
            .map(|d| (d.child.as_ref().unwrap().given_name.as_str(), d.response))
            .collect();
        assert_eq!(
            log,
            [
                ("Tyler", Response::Refused),
                ("Reece", Response::Accepted),
                ("Kayla", Response::Pending)
            ],
            "{name}"
        );
        assert_eq!(
            view.decisions[0].school_name.as_deref(),
            Some("Northgate Academy")
        );
        assert_eq!(view.decisions[0].school_number.as_deref(), Some("999/4001"));
        assert!(view.decisions[0].reason.contains("no place in Year 10"));
        assert_eq!(view.unmatched, 0, "{name}");

        let c = &view.consistency;
        let school = |label: &str| c.schools.iter().find(|s| s.label == label).unwrap();
        let northgate = school("Northgate Academy");
        assert_eq!((northgate.placements, northgate.refusals), (0, 1), "{name}");
        let seaview = school("Seaview School");
        assert_eq!((seaview.placements, seaview.refusals), (1, 0), "{name}");
        assert!(
            seaview.pupils_on_roll > 0,
            "{name}: Seaview has pupils on roll"
        );
        assert_eq!(
            seaview.per_thousand,
            Some(1_000.0 / f64::from(seaview.pupils_on_roll))
        );
        assert_eq!((c.county.placements, c.county.refusals), (1, 1), "{name}");
        let pupils: u32 = c.schools.iter().map(|s| s.pupils_on_roll).sum();
        assert_eq!(c.county.pupils_on_roll, pupils);
        let areas: Vec<&str> = c.areas.iter().map(|a| a.label.as_str()).collect();
        assert!(
            areas.contains(&"North Harbourshire")
                && areas.contains(&"Harbourshire Coast")
                && areas.contains(&NO_AREA),
            "{name}: {areas:?}"
        );

        // A period before the decisions has none; the figures are over the period only.
        let earlier = store
            .fair_access(&officer, date!(2026 - 09 - 01), date!(2026 - 10 - 31), now)
            .await
            .unwrap()
            .unwrap();
        assert!(earlier.decisions.is_empty(), "{name}");
        assert_eq!(earlier.consistency.county.refusals, 0);

        // Nobody else sees the log; each refusal is audited.
        let before = match store.verify_audit().await.unwrap() {
            AuditVerification::Intact { entries } => entries,
            broken => panic!("{name}: {broken:?}"),
        };
        for (role, agency) in [
            (Role::SchoolDsl, "northgate"),
            (Role::LaCmeEheOfficer, "la"),
            (Role::PoliceMaceCoordinator, "police"),
        ] {
            let who = principal(&county, role, agency);
            assert!(
                store
                    .fair_access(&who, date!(2026 - 09 - 01), date!(2026 - 11 - 20), now)
                    .await
                    .unwrap()
                    .is_none(),
                "{name}: {role}"
            );
        }
        let after = match store.verify_audit().await.unwrap() {
            AuditVerification::Intact { entries } => entries,
            broken => panic!("{name}: {broken:?}"),
        };
        assert_eq!(after, before + 3, "{name}: each refusal is audited");
    }
}

/// The log kept in Harbour: the inclusion officer records a decision the feed does not send
/// and, later, the school's answer; it is counted beside the feed's decisions; what cannot
/// be true is refused naming the field and not stored; no one else may record.
#[tokio::test]
async fn decisions_kept_in_harbour_are_counted_with_the_feeds() {
    let now = datetime!(2026-11-20 16:00 UTC);
    let today = date!(2026 - 11 - 20);
    for backend in backends().await {
        let store = &backend.store;
        let name = backend.name;
        let county = demo::load_demo_today(store, now).await.unwrap();
        let officer = principal(&county, Role::LaInclusionOfficer, "la");
        let jayden = demo::jayden(&county).unwrap();
        let seaview = county
            .agencies
            .iter()
            .find(|a| a.code == "seaview")
            .unwrap()
            .id;
        let police = county
            .agencies
            .iter()
            .find(|a| a.code == "police")
            .unwrap()
            .id;
        let log = |on, school, reason: &'static str, response| {
            let officer = officer.clone();
            async move {
                store
                    .log_fair_access_decision(
                        &officer, jayden, on, school, reason, response, today, now,
                    )
                    .await
                    .unwrap()
            }
        };
        // Refused, naming the field: the future, no reason, not a school.
        let field = |r: Result<uuid::Uuid, RegisterRefusal>| match r {
            Err(RegisterRefusal::Invalid(why)) => why.field,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(
            field(
                log(
                    date!(2026 - 11 - 21),
                    seaview,
                    "Moved in",
                    Response::Pending
                )
                .await
            ),
            "on"
        );
        assert_eq!(
            field(log(today, seaview, " ", Response::Pending).await),
            "reason"
        );
        assert_eq!(
            field(log(today, police, "Moved in", Response::Pending).await),
            "school"
        );

        let id = log(
            date!(2026 - 11 - 18),
            seaview,
            "Moved into the area in Year 10",
            Response::Pending,
        )
        .await
        .unwrap();
        let view = store
            .fair_access(&officer, date!(2026 - 09 - 01), today, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            view.decisions.len(),
            4,
            "{name}: the feed's three and this one"
        );
        let kept = view.decisions.iter().find(|d| d.id == Some(id)).unwrap();
        assert_eq!(kept.school_name.as_deref(), Some("Seaview School"));
        assert_eq!(kept.response, Response::Pending);
        let placed_before = view
            .consistency
            .schools
            .iter()
            .find(|s| s.label == "Seaview School")
            .unwrap()
            .placements;

        // The school's answer: not before the panel, not "pending", then once only.
        let answer = |on, response| {
            let officer = officer.clone();
            async move {
                store
                    .answer_fair_access_decision(&officer, id, on, response, today, now)
                    .await
                    .unwrap()
            }
        };
        assert!(matches!(
            answer(date!(2026 - 11 - 17), Response::Accepted).await,
            Err(RegisterRefusal::Invalid(r)) if r.field == "on"
        ));
        answer(today, Response::Accepted).await.unwrap();
        assert!(matches!(
            answer(today, Response::Refused).await,
            Err(RegisterRefusal::Invalid(r)) if r.field == "response"
        ));
        let view = store
            .fair_access(&officer, date!(2026 - 09 - 01), today, now)
            .await
            .unwrap()
            .unwrap();
        let seaview_rate = view
            .consistency
            .schools
            .iter()
            .find(|s| s.label == "Seaview School")
            .unwrap();
        assert_eq!(seaview_rate.placements, placed_before + 1, "{name}");
        assert_eq!(view.decisions.len(), 4, "{name}: refusals stored nothing");

        // Nobody else records.
        let school = principal(&county, Role::SchoolDsl, "seaview");
        assert_eq!(
            store
                .log_fair_access_decision(
                    &school,
                    jayden,
                    today,
                    seaview,
                    "Moved in",
                    Response::Pending,
                    today,
                    now
                )
                .await
                .unwrap(),
            Err(RegisterRefusal::NotAllowed)
        );
        assert_eq!(
            store
                .answer_fair_access_decision(&school, id, today, Response::Refused, today, now)
                .await
                .unwrap(),
            Err(RegisterRefusal::NotAllowed)
        );
    }
}
