#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use super::*;
use proptest::prelude::*;
use time::Duration;
use time::macros::date;

fn calendar() -> Calendar {
    Calendar::default()
}

/// Excluded from Monday 4 November 2024 (autumn term): day 6 is Monday 11 November.
const EXCLUDED: Date = date!(2024 - 11 - 04);
const STARTS: Date = date!(2024 - 11 - 18);

fn details(hours: Option<u16>, review_on: Option<Date>) -> PlacementFact {
    PlacementFact::Details {
        provider: "Riverside PRU".into(),
        kind: Some(ProvisionKind::PupilReferralUnit),
        hours: hours.map(Hours::whole),
        review_on,
    }
}

fn assess(p: &Placement, today: Date) -> PlacementAssessment {
    p.assess(Some(EXCLUDED), &calendar(), &Settings::default(), today)
}

#[test]
fn a_placement_after_an_exclusion_is_timed_in_days_and_school_days() {
    let p = Placement::new(STARTS, details(Some(25), Some(date!(2025 - 01 - 13))));
    let a = assess(&p, date!(2024 - 11 - 20));
    assert_eq!(a.after_exclusion, Some(EXCLUDED));
    assert_eq!(a.days_from_exclusion, Some(14));
    // Day 1 is the 4th; the 18th is day 11, so ten school days after day 1.
    assert_eq!(a.school_days_from_exclusion, Some(10));
    assert_eq!(a.full_time, Some(true));
    assert_eq!(a.next_review, Some(date!(2025 - 01 - 13)));
    assert_eq!(a.tasks.len(), 1);
    assert_eq!(a.tasks[0].kind, TaskKind::ReviewPlacement);
    assert!(!a.tasks[0].overdue);
    assert!(assess(&p, date!(2025 - 01 - 14)).tasks[0].overdue);
}

#[test]
fn a_placement_starting_on_day_six_is_five_school_days_as_the_register_counts() {
    let p = Placement::new(date!(2024 - 11 - 11), details(Some(25), None));
    let a = assess(&p, date!(2024 - 11 - 20));
    assert_eq!(a.school_days_from_exclusion, Some(5));
}

#[test]
fn an_exclusion_after_the_start_is_not_the_one_it_follows() {
    assert_eq!(
        exclusion_followed(
            STARTS,
            &[date!(2023 - 05 - 01), EXCLUDED, date!(2025 - 01 - 06)]
        ),
        Some(EXCLUDED)
    );
    assert_eq!(exclusion_followed(STARTS, &[date!(2025 - 01 - 06)]), None);
    let p = Placement::new(STARTS, details(Some(25), None));
    let a = p.assess(
        Some(date!(2025 - 01 - 06)),
        &calendar(),
        &Settings::default(),
        STARTS,
    );
    assert_eq!(a.after_exclusion, None);
    assert_eq!(a.days_from_exclusion, None);
}

#[test]
fn without_a_review_date_the_review_falls_due_every_six_weeks() {
    let p = Placement::new(STARTS, details(None, None));
    let a = assess(&p, STARTS);
    assert_eq!(a.next_review, Some(STARTS + Duration::weeks(6)));
    assert_eq!(a.full_time, None, "no hours: not known to be full-time");
    let reviewed = Placement {
        facts: vec![
            details(Some(15), None),
            PlacementFact::Reviewed {
                on: date!(2024 - 12 - 02),
                notes: "Settling in; attendance 80%".into(),
                next_on: None,
            },
        ],
        ..p
    };
    let a = assess(&reviewed, date!(2024 - 12 - 03));
    assert_eq!(
        a.next_review,
        Some(date!(2024 - 12 - 02) + Duration::weeks(6))
    );
    assert_eq!(a.full_time, Some(false), "the corrected details count");
}

#[test]
fn an_ended_placement_has_no_task_and_takes_nothing_more() {
    let p = Placement {
        starts_on: STARTS,
        facts: vec![
            details(Some(25), None),
            PlacementFact::Ended {
                on: date!(2025 - 02 - 07),
                outcome: PlacementOutcome::ReturnedToMainstream,
                notes: String::new(),
            },
        ],
    };
    let a = assess(&p, date!(2025 - 03 - 01));
    assert!(a.tasks.is_empty());
    assert_eq!(
        a.ended,
        Some((
            date!(2025 - 02 - 07),
            PlacementOutcome::ReturnedToMainstream
        ))
    );
    let refusal = p
        .check(&details(Some(20), None), date!(2025 - 03 - 01))
        .unwrap_err();
    assert_eq!(refusal.field, "placement");
}

#[test]
fn impossible_facts_are_refused_naming_the_field() {
    let p = Placement::new(STARTS, details(Some(25), None));
    let today = date!(2024 - 12 - 10);
    let refused = |fact: PlacementFact| p.check(&fact, today).unwrap_err().field;
    assert_eq!(
        refused(PlacementFact::Reviewed {
            on: date!(2024 - 11 - 01),
            notes: "x".into(),
            next_on: None
        }),
        "on"
    );
    assert_eq!(
        refused(PlacementFact::Reviewed {
            on: date!(2024 - 12 - 11),
            notes: "x".into(),
            next_on: None
        }),
        "on"
    );
    assert_eq!(
        refused(PlacementFact::Reviewed {
            on: today,
            notes: " ".into(),
            next_on: None
        }),
        "notes"
    );
    assert_eq!(
        refused(PlacementFact::Reviewed {
            on: today,
            notes: "x".into(),
            next_on: Some(today)
        }),
        "next_on"
    );
    assert_eq!(refused(details(Some(0), None)), "hours");
    assert_eq!(refused(details(Some(61), None)), "hours");
    assert_eq!(refused(details(Some(25), Some(STARTS))), "review_on");
    assert_eq!(
        refused(PlacementFact::Details {
            provider: "  ".into(),
            kind: None,
            hours: None,
            review_on: None
        }),
        "provider"
    );
    assert_eq!(
        refused(PlacementFact::Ended {
            on: date!(2024 - 11 - 17),
            outcome: PlacementOutcome::BrokeDown,
            notes: String::new()
        }),
        "on"
    );
    assert!(
        p.check(
            &PlacementFact::Ended {
                on: today,
                outcome: PlacementOutcome::BrokeDown,
                notes: String::new()
            },
            today
        )
        .is_ok()
    );
}

#[test]
fn the_pathway_counts_what_followed_an_exclusion_and_the_median_wait() {
    let today = date!(2025 - 03 - 01);
    let a = assess(&Placement::new(STARTS, details(Some(25), None)), today);
    let b = assess(
        &Placement::new(date!(2024 - 11 - 25), details(Some(10), None)),
        today,
    );
    let unlinked = Placement::new(STARTS, details(Some(25), None)).assess(
        None,
        &calendar(),
        &Settings::default(),
        today,
    );
    let pathway = Pathway::of([&a, &b, &unlinked], today);
    assert_eq!(pathway.placements, 3);
    assert_eq!(pathway.after_exclusion, 2);
    assert_eq!(pathway.median_days_from_exclusion, Some(17.5));
    assert_eq!(pathway.running, 3);
    assert_eq!(pathway.part_time_running, 1);
    assert_eq!(pathway.reviews_overdue, 3);
}

#[test]
fn codes_read_back() {
    for k in ProvisionKind::ALL {
        assert_eq!(ProvisionKind::parse(k.code()), Some(k));
    }
    for o in PlacementOutcome::ALL {
        assert_eq!(PlacementOutcome::parse(o.code()), Some(o));
    }
    assert_eq!(ProvisionKind::parse("school"), None);
}

fn any_date() -> impl Strategy<Value = Date> {
    (0i64..3_000).prop_map(|d| date!(2022 - 01 - 01) + Duration::days(d))
}

proptest! {
    /// Whatever was recorded, an accepted fact never dates before the start or after
    /// today, a running placement always has exactly one review task, and the time from its
    /// exclusion is never negative.
    #[test]
    fn accepted_facts_keep_the_placement_in_order(
        starts in any_date(),
        excluded_back in 0i64..200,
        steps in proptest::collection::vec((0i64..400, 0u8..3, 0u16..70), 0..8),
    ) {
        let excluded = starts - Duration::days(excluded_back);
        let mut p = Placement::new(starts, details(Some(25), None));
        let mut today = starts;
        for (gap, which, hours) in steps {
            today += Duration::days(gap);
            let fact = match which {
                0 => PlacementFact::Reviewed { on: today, notes: "seen".into(), next_on: Some(today + Duration::days(42)) },
                1 => details(Some(hours), None),
                _ => PlacementFact::Ended { on: today, outcome: PlacementOutcome::BrokeDown, notes: String::new() },
            };
            if p.check(&fact, today).is_ok() {
                p.facts.push(fact);
            }
        }
        let a = p.assess(Some(excluded), &calendar(), &Settings::default(), today);
        prop_assert!(a.days_from_exclusion.unwrap() >= 0);
        prop_assert_eq!(a.tasks.len(), usize::from(a.ended.is_none()));
        let ends = p.facts.iter().filter(|f| f.kind() == "ended").count();
        prop_assert!(ends <= 1);
        for f in &p.facts {
            if let PlacementFact::Reviewed { on, .. } | PlacementFact::Ended { on, .. } = f {
                prop_assert!(*on >= starts && *on <= today);
            }
            if let PlacementFact::Details { hours: Some(h), .. } = f {
                prop_assert!(h.tenths() > 0 && h.within_a_week());
            }
        }
    }
}
