#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use super::*;
use crate::clock::{ClockState, WindowState};
use proptest::prelude::*;
use time::macros::date;

fn calendar() -> Calendar {
    Calendar::default()
}

/// Excluded from Monday 4 November 2024 (autumn term): day 6 is Monday 11 November, the
/// board's 15th school day is Monday 25 November.
const FIRST: Date = date!(2024 - 11 - 04);

fn entry(facts: Vec<Fact>) -> Entry {
    Entry {
        first_day: FIRST,
        facts,
    }
}

fn offer(hours: u16, starts_on: Date) -> Fact {
    Fact::Offer {
        provider: "Riverside PRU".into(),
        hours: Hours::whole(hours),
        starts_on,
        placement: None,
    }
}

fn assess(entry: &Entry, today: Date) -> Assessment {
    entry.assess(&calendar(), &Settings::default(), today)
}

#[test]
fn day_six_and_the_board_are_counted_in_school_days() {
    let a = assess(&entry(vec![]), date!(2024 - 11 - 05));
    assert_eq!(a.day_six.due, date!(2024 - 11 - 11));
    assert_eq!(a.board.due, date!(2024 - 11 - 25));
    assert_eq!(a.next_review, Some(date!(2024 - 12 - 16)));
    let kinds: Vec<TaskKind> = a.tasks.iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [
            TaskKind::ArrangeProvision,
            TaskKind::BoardDecision,
            TaskKind::ReviewOffer
        ]
    );
}

#[test]
fn day_six_crosses_the_christmas_holiday() {
    // Excluded Tuesday 17 December 2024: days 1-4 are 17-20 December, then the spring term
    // from Monday 6 January: day 5 is 6 January, day 6 is 7 January.
    let e = Entry::new(date!(2024 - 12 - 17));
    let a = e.assess(&calendar(), &Settings::default(), date!(2024 - 12 - 18));
    assert_eq!(a.day_six.due, date!(2025 - 01 - 07));
}

#[test]
fn a_full_time_offer_by_day_six_meets_the_clock() {
    let e = entry(vec![offer(25, date!(2024 - 11 - 11))]);
    let a = assess(&e, date!(2024 - 11 - 12));
    assert_eq!(
        a.day_six.state(date!(2024 - 11 - 12)),
        ClockState::Met {
            due: date!(2024 - 11 - 11),
            on: date!(2024 - 11 - 11)
        }
    );
    assert_eq!(a.school_days_to_provision, Some(5));
    assert!(a.offer.unwrap().full_time);
    assert!(!a.tasks.iter().any(|t| t.kind == TaskKind::ArrangeProvision));
}

#[test]
fn a_part_time_offer_does_not_meet_day_six_and_is_flagged_after_six_weeks() {
    let e = entry(vec![offer(10, date!(2024 - 11 - 08))]);
    let early = assess(&e, date!(2024 - 11 - 20));
    assert_eq!(
        early.day_six.state(date!(2024 - 11 - 20)),
        ClockState::Missed {
            due: date!(2024 - 11 - 11)
        }
    );
    assert_eq!(early.part_time_since, Some(date!(2024 - 11 - 08)));
    assert!(!early.part_time_too_long);
    let late = assess(&e, date!(2024 - 12 - 21));
    assert!(
        late.part_time_too_long,
        "6 weeks from 8 November is 20 December"
    );
    let task = late
        .tasks
        .iter()
        .find(|t| t.kind == TaskKind::PartTimeOffer)
        .unwrap();
    assert!(task.overdue);
}

#[test]
fn going_full_time_late_meets_day_six_late_and_ends_the_part_time_run() {
    let e = entry(vec![
        offer(10, date!(2024 - 11 - 08)),
        offer(27, date!(2024 - 11 - 18)),
    ]);
    let a = assess(&e, date!(2024 - 12 - 30));
    assert!(matches!(
        a.day_six.state(date!(2024 - 12 - 30)),
        ClockState::MetLate { .. }
    ));
    assert_eq!(a.part_time_since, None);
    assert!(!a.part_time_too_long);
    assert_eq!(a.school_days_to_provision, Some(10));
}

#[test]
fn a_corrected_offer_supersedes_the_earlier_one_from_its_start() {
    // Recorded as 25 hours from 11 November, then corrected: 15 hours from the same day.
    let e = entry(vec![
        offer(25, date!(2024 - 11 - 11)),
        offer(15, date!(2024 - 11 - 11)),
    ]);
    let a = assess(&e, date!(2024 - 11 - 12));
    assert_eq!(a.offer.unwrap().hours, Hours::whole(15));
    assert_eq!(a.day_six.met_on, None);
}

#[test]
fn the_review_window_opens_when_the_board_does_not_reinstate() {
    let decided = Fact::BoardDecision {
        on: date!(2024 - 11 - 20),
        reinstate: false,
        parents_told_on: date!(2024 - 11 - 21),
    };
    let e = entry(vec![decided.clone()]);
    let a = assess(&e, date!(2024 - 11 - 22));
    assert!(matches!(
        a.board.state(date!(2024 - 11 - 22)),
        ClockState::Met { .. }
    ));
    // 15 school days after Thursday 21 November: Thursday 12 December.
    let window = a.review_window.unwrap();
    assert_eq!(window.closes, date!(2024 - 12 - 12));
    assert_eq!(
        window.state(date!(2024 - 12 - 13)),
        WindowState::Closed {
            closes: date!(2024 - 12 - 12)
        }
    );

    let applied = entry(vec![
        decided,
        Fact::ReviewApplied {
            on: date!(2024 - 12 - 02),
        },
    ]);
    let a = assess(&applied, date!(2024 - 12 - 03));
    // The 15th school day after Monday 2 December: 3-20 December are 14 school days, then
    // the Christmas holiday, so it is Monday 6 January.
    assert_eq!(a.review_hearing.unwrap().due, date!(2025 - 01 - 06));
    assert!(a.tasks.iter().any(|t| t.kind == TaskKind::ReviewHearing));
}

#[test]
fn impossible_dates_are_refused_naming_the_field() {
    let today = date!(2024 - 12 - 01);
    let e = entry(vec![]);
    let before = Fact::BoardDecision {
        on: date!(2024 - 10 - 01),
        reinstate: false,
        parents_told_on: date!(2024 - 10 - 02),
    };
    assert_eq!(
        e.check(&before, &calendar(), today).unwrap_err().field,
        "on"
    );
    let told_first = Fact::BoardDecision {
        on: date!(2024 - 11 - 20),
        reinstate: false,
        parents_told_on: date!(2024 - 11 - 19),
    };
    assert_eq!(
        e.check(&told_first, &calendar(), today).unwrap_err().field,
        "parents_told_on"
    );
    let future = Fact::Review {
        on: date!(2024 - 12 - 02),
        notes: "Settled at the PRU".into(),
        next_on: None,
    };
    assert_eq!(
        e.check(&future, &calendar(), today).unwrap_err().field,
        "on"
    );
    let backwards = Fact::Review {
        on: date!(2024 - 11 - 29),
        notes: "Settled".into(),
        next_on: Some(date!(2024 - 11 - 28)),
    };
    assert_eq!(
        e.check(&backwards, &calendar(), today).unwrap_err().field,
        "next_on"
    );
    // Hours come in tenths through the API, where no form holds them to a week's worth.
    let too_many = offer(61, date!(2024 - 11 - 11));
    assert_eq!(
        e.check(&too_many, &calendar(), today).unwrap_err().field,
        "hours"
    );
    assert!(
        e.check(&offer(60, date!(2024 - 11 - 11)), &calendar(), today)
            .is_ok()
    );
    let no_notes = Fact::Review {
        on: date!(2024 - 11 - 29),
        notes: "  ".into(),
        next_on: None,
    };
    assert_eq!(
        e.check(&no_notes, &calendar(), today).unwrap_err().field,
        "notes"
    );
    let hearing = Fact::ReviewHearing {
        on: date!(2024 - 11 - 29),
        outcome: None,
    };
    assert!(
        e.check(&hearing, &calendar(), today)
            .unwrap_err()
            .message
            .contains("application")
    );
}

#[test]
fn an_application_after_the_window_is_refused() {
    let e = entry(vec![Fact::BoardDecision {
        on: date!(2024 - 11 - 20),
        reinstate: false,
        parents_told_on: date!(2024 - 11 - 21),
    }]);
    let late = Fact::ReviewApplied {
        on: date!(2024 - 12 - 13),
    };
    let refusal = e
        .check(&late, &calendar(), date!(2024 - 12 - 20))
        .unwrap_err();
    assert!(refusal.message.contains("2024-12-12"), "{refusal}");
    let in_time = Fact::ReviewApplied {
        on: date!(2024 - 12 - 12),
    };
    assert!(
        e.check(&in_time, &calendar(), date!(2024 - 12 - 20))
            .is_ok()
    );
}

#[test]
fn a_closed_entry_takes_nothing_but_reopening_and_keeps_its_history() {
    let closed = Fact::Closed {
        on: date!(2024 - 12 - 01),
        closure: Closure::PlacedOnRoll {
            school: "Hillside Academy".into(),
        },
    };
    let mut e = entry(vec![offer(25, date!(2024 - 11 - 11)), closed]);
    let today = date!(2024 - 12 - 05);
    let a = assess(&e, today);
    assert!(matches!(a.status, Status::Closed { .. }));
    assert!(a.tasks.is_empty());
    assert_eq!(a.next_review, None);
    let review = Fact::Review {
        on: date!(2024 - 12 - 04),
        notes: "x".into(),
        next_on: None,
    };
    assert_eq!(
        e.check(&review, &calendar(), today).unwrap_err().field,
        "entry"
    );
    let reopen = Fact::Reopened {
        on: date!(2024 - 12 - 05),
        why: "The placement broke down".into(),
    };
    assert!(e.check(&reopen, &calendar(), today).is_ok());
    e.facts.push(reopen.clone());
    assert_eq!(assess(&e, today).status, Status::Open);
    assert_eq!(e.facts.len(), 3, "closing and reopening keep every fact");
    assert!(e.check(&reopen, &calendar(), today).is_err());
}

#[test]
fn reviews_set_the_next_review() {
    let e = entry(vec![Fact::Review {
        on: date!(2024 - 12 - 02),
        notes: "Attending well".into(),
        next_on: None,
    }]);
    assert_eq!(
        assess(&e, date!(2024 - 12 - 03)).next_review,
        Some(date!(2025 - 01 - 13))
    );
    let set = entry(vec![Fact::Review {
        on: date!(2024 - 12 - 02),
        notes: "Attending well".into(),
        next_on: Some(date!(2024 - 12 - 16)),
    }]);
    assert_eq!(
        assess(&set, date!(2024 - 12 - 03)).next_review,
        Some(date!(2024 - 12 - 16))
    );
}

#[test]
fn figures_count_the_register() {
    let today = date!(2025 - 01 - 20);
    let on_time = entry(vec![offer(25, date!(2024 - 11 - 11))]);
    let late = entry(vec![offer(25, date!(2024 - 11 - 18))]);
    let none = entry(vec![]);
    let closed = entry(vec![
        offer(30, date!(2024 - 11 - 06)),
        Fact::Closed {
            on: date!(2024 - 12 - 01),
            closure: Closure::Reinstated,
        },
    ]);
    let assessed: Vec<Assessment> = [&on_time, &late, &none, &closed]
        .iter()
        .map(|e| assess(e, today))
        .collect();
    let f = Figures::of(&assessed, today);
    assert_eq!(f.on_register, 3);
    assert_eq!(f.past_day_six, 4);
    assert_eq!(f.full_time_by_day_six, 2);
    assert_eq!(f.share_full_time_by_day_six, Some(0.5));
    // 5, 10 and 2 school days: median 5.
    assert_eq!(f.median_school_days_to_provision, Some(5.0));
    // Three open entries, none reviewed, first review due 16 December: all overdue.
    assert_eq!(f.overdue_reviews, 3);
}

fn any_date() -> impl Strategy<Value = Date> {
    // 2016 to 2032, leap years included.
    (0i64..6_000).prop_map(|d| date!(2016 - 01 - 01) + Duration::days(d))
}

proptest! {
    /// Day 6 is a school day, after the first day, and exactly five school days after the
    /// first school day of the exclusion, whatever day and season it starts.
    #[test]
    fn day_six_is_five_school_days_after_day_one(first in any_date()) {
        let cal = calendar();
        let a = Entry::new(first).assess(&cal, &Settings::default(), first);
        let day_one = cal.add_school_days(first, 0);
        prop_assert!(cal.is_school_day(a.day_six.due));
        prop_assert!(a.day_six.due > first);
        prop_assert_eq!(cal.school_days_between(day_one, a.day_six.due), 5);
        prop_assert!(a.board.due > a.day_six.due);
        prop_assert_eq!(cal.school_days_between(first, a.board.due), 15);
    }

    /// Adding school days and counting them agree, across term boundaries and leap years.
    #[test]
    fn counting_school_days_inverts_adding_them(day in any_date(), n in 1u32..200) {
        let cal = calendar();
        let later = cal.add_school_days(day, n);
        prop_assert!(cal.is_school_day(later));
        prop_assert_eq!(cal.school_days_between(day, later), n);
        prop_assert!(cal.add_school_days(day, n + 1) > later);
    }

    /// A clock is never both open and met, and moving the day on never un-misses it.
    #[test]
    fn clocks_only_move_forward(due in any_date(), met in proptest::option::of(any_date()), today in any_date()) {
        let d = Deadline::new(due, met);
        let now = d.state(today);
        let later = d.state(today + Duration::days(30));
        if now.is_missed() {
            prop_assert!(later.is_missed());
        }
        if !now.is_open() {
            prop_assert!(!later.is_open());
        }
    }

    /// Whatever offers are recorded, the assessment is consistent: provision counts only
    /// from a full-time offer, and part-time flags only when the offer in force is part-time.
    #[test]
    fn offers_are_assessed_consistently(
        offers in proptest::collection::vec((0u16..=40, 0i64..120), 0..6),
        days_on in 0i64..200,
    ) {
        let facts = offers.iter().map(|(h, d)| offer(*h, FIRST + Duration::days(*d))).collect();
        let e = entry(facts);
        let today = FIRST + Duration::days(days_on);
        let a = assess(&e, today);
        if let Some(o) = &a.offer {
            prop_assert_eq!(o.full_time, o.hours >= Hours::whole(25));
            if a.part_time_since.is_some() {
                prop_assert!(!o.full_time);
            }
        } else {
            prop_assert!(a.part_time_since.is_none());
        }
        if let Some(on) = a.day_six.met_on {
            prop_assert!(offers.iter().any(|(h, d)| *h >= 25 && FIRST + Duration::days(*d) == on));
        }
        let sorted = a.tasks.windows(2).all(|w| w[0].queue_order() <= w[1].queue_order());
        prop_assert!(sorted);
    }
}

fn placement(on: Date, key: &str, hours: u16) -> ReportedPlacement {
    ReportedPlacement {
        on,
        key: key.into(),
        provider: "Riverside PRU".into(),
        hours: Hours::whole(hours),
    }
}

#[test]
fn the_authoritys_placements_become_the_entrys_offers_once_each() {
    let placements = [
        placement(date!(2024 - 10 - 01), "before", 25),
        placement(date!(2024 - 11 - 13), "pru", 15),
        placement(date!(2025 - 03 - 03), "next-exclusion", 25),
    ];
    // Only the placement from the first day until the child's next exclusion.
    let fresh = entry(vec![]);
    let offers = fresh.offers_from_feed(&placements, Some(date!(2025 - 02 - 03)));
    assert_eq!(
        offers,
        vec![Fact::Offer {
            provider: "Riverside PRU".into(),
            hours: Hours::whole(15),
            starts_on: date!(2024 - 11 - 13),
            placement: Some("pru".into()),
        }]
    );
    // Recorded, it is the offer in force: part-time, day 6 missed (it started on day 8).
    let recorded = entry(offers.clone());
    let a = assess(&recorded, date!(2024 - 11 - 20));
    assert!(a.offer.as_ref().is_some_and(|o| !o.full_time), "{a:?}");
    assert!(matches!(
        a.day_six.state(date!(2024 - 11 - 20)),
        ClockState::Missed { .. }
    ));
    // Once recorded it is not recorded again, and a closed entry takes none.
    assert!(
        recorded
            .offers_from_feed(&placements, None)
            .iter()
            .all(|f| matches!(
                f,
                Fact::Offer { placement: Some(k), .. } if k == "next-exclusion"
            ))
    );
    let closed = entry(vec![Fact::Closed {
        on: date!(2024 - 11 - 12),
        closure: Closure::Reinstated,
    }]);
    assert!(closed.offers_from_feed(&placements, None).is_empty());
    // An older Harbour's offer (no placement key) still reads.
    let old: Fact = serde_json::from_str(
        r#"{"fact":"offer","provider":"PRU","hours":250,"starts_on":"2024-11-11"}"#,
    )
    .unwrap();
    assert!(matches!(
        old,
        Fact::Offer {
            placement: None,
            ..
        }
    ));
}
