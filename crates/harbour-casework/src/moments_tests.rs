#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use super::*;
use crate::exclusions::{Closure, Entry, Fact, Settings};
use crate::hours::Hours;
use crate::not_in_school::{
    ChildCircumstances, CmeClosure, CmeEpisode, CmeFact, EheCase, EheFact, Registration,
    Settings as NisSettings,
};
use harbour_rules::RuleSet;
use harbour_rules::calendar::Calendar;
use time::macros::date;

/// Excluded from Monday 4 November 2024: day 6 is Monday 11 November, the first review is
/// due on 16 December.
const FIRST: Date = date!(2024 - 11 - 04);

fn offer(hours: u16, starts_on: Date) -> Fact {
    Fact::Offer {
        provider: "Riverside PRU".into(),
        hours: Hours::whole(hours),
        starts_on,
        placement: None,
    }
}

fn exclusion(facts: Vec<Fact>, today: Date) -> Vec<Moment> {
    let entry = Entry {
        first_day: FIRST,
        facts,
    };
    let settings = Settings::default();
    of_exclusion(
        &entry.assess(&Calendar::default(), &settings, today),
        &settings,
        today,
    )
}

fn clocks(moments: &[Moment]) -> Vec<(Clock, Date)> {
    moments.iter().map(|m| (m.clock, m.on)).collect()
}

#[test]
fn day_six_is_a_moment_the_day_after_it_passes_with_no_full_time_offer() {
    // On day 6 itself the duty is still due: no moment yet.
    assert_eq!(clocks(&exclusion(vec![], date!(2024 - 11 - 11))), []);
    assert_eq!(
        clocks(&exclusion(vec![], date!(2024 - 11 - 12))),
        [(Clock::DaySix, date!(2024 - 11 - 12))]
    );
    // A full-time offer from day 6 meets it; one from day 7 meets it late, still a moment
    // on the day it ran out (replay shows when it was missed).
    assert_eq!(
        clocks(&exclusion(
            vec![offer(25, date!(2024 - 11 - 11))],
            date!(2024 - 11 - 20)
        )),
        []
    );
    assert_eq!(
        clocks(&exclusion(
            vec![offer(25, date!(2024 - 11 - 13))],
            date!(2024 - 11 - 20)
        )),
        [(Clock::DaySix, date!(2024 - 11 - 12))]
    );
}

#[test]
fn an_entry_closed_before_day_six_ran_out_has_no_moment() {
    let reinstated = Fact::Closed {
        on: date!(2024 - 11 - 07),
        closure: Closure::Reinstated,
    };
    assert_eq!(
        clocks(&exclusion(vec![reinstated], date!(2025 - 03 - 01))),
        []
    );
}

#[test]
fn a_part_time_offer_past_six_weeks_and_an_overdue_review_are_moments() {
    // 15 hours from day 6: part-time from 11 November, past 6 weeks after 23 December.
    let facts = vec![offer(15, date!(2024 - 11 - 11))];
    assert_eq!(
        clocks(&exclusion(facts.clone(), date!(2024 - 12 - 10))),
        [(Clock::DaySix, date!(2024 - 11 - 12))]
    );
    let moments = exclusion(facts, date!(2024 - 12 - 24));
    assert_eq!(
        clocks(&moments),
        [
            (Clock::DaySix, date!(2024 - 11 - 12)),
            (Clock::ReviewOverdue, date!(2024 - 12 - 17)),
            (Clock::PartTimeTooLong, date!(2024 - 12 - 24)),
        ]
    );
    assert_eq!(moments[1].due, date!(2024 - 12 - 16));
    // A review on time moves the next one six weeks on.
    let reviewed = vec![
        offer(25, date!(2024 - 11 - 11)),
        Fact::Review {
            on: date!(2024 - 12 - 16),
            notes: "Settled at the PRU".into(),
            next_on: None,
        },
    ];
    assert_eq!(clocks(&exclusion(reviewed, date!(2025 - 01 - 20))), []);
}

fn registration() -> Registration {
    Registration {
        parents: vec![("Dana Fenwick".into(), "4 Mill Lane, Carrow".into())],
        educating_parents: vec!["Dana Fenwick".into()],
        hours_by_parents: Hours::whole(15),
        hours_by_others: Hours::whole(0),
        providers: vec![],
        optional: Default::default(),
    }
}

#[test]
fn home_education_without_the_consent_s434a_needs_is_a_moment_on_registration() {
    let registered = date!(2024 - 09 - 16);
    let case = |cp: bool, facts: Vec<EheFact>| EheCase {
        first_day: registered,
        circumstances: ChildCircumstances {
            at_special_school: false,
            under_child_protection: cp,
        },
        facts,
    };
    let today = date!(2024 - 10 - 01);
    let moments = |c: EheCase| {
        clocks(&of_home_education(
            c.first_day,
            &c.assess(&NisSettings::default(), today),
        ))
    };
    let only = vec![EheFact::Registered(registration())];
    assert_eq!(moments(case(false, only.clone())), []);
    assert_eq!(
        moments(case(true, only.clone())),
        [(Clock::WithoutConsent, registered)]
    );
    let mut granted = only;
    granted.push(EheFact::ConsentDecision {
        on: registered,
        granted: true,
    });
    assert_eq!(moments(case(true, granted)), []);
}

#[test]
fn a_missing_child_not_traced_in_twenty_school_days_is_a_moment() {
    // Missing from Monday 3 March 2025: to be traced by Monday 31 March.
    let episode = |facts: Vec<CmeFact>| CmeEpisode {
        first_day: date!(2025 - 03 - 03),
        facts,
    };
    let moments = |e: CmeEpisode, today: Date| {
        clocks(&of_missing_education(
            &e.assess(&Calendar::default(), &NisSettings::default(), today),
            today,
        ))
    };
    assert_eq!(moments(episode(vec![]), date!(2025 - 03 - 31)), []);
    assert_eq!(
        moments(episode(vec![]), date!(2025 - 04 - 01)),
        [(Clock::NotTraced, date!(2025 - 04 - 01))]
    );
    let found = |on| CmeFact::Closed {
        on,
        closure: CmeClosure::LeftCompulsoryEducation,
    };
    assert_eq!(
        moments(
            episode(vec![found(date!(2025 - 03 - 20))]),
            date!(2025 - 05 - 01)
        ),
        []
    );
    assert_eq!(
        moments(
            episode(vec![found(date!(2025 - 04 - 10))]),
            date!(2025 - 05 - 01)
        ),
        [(Clock::NotTraced, date!(2025 - 04 - 01))]
    );
}

/// The moments reach the built-in rules as register-clock events, and each built-in
/// register rule fires on its own clock only.
#[test]
fn the_built_in_register_rules_fire_on_their_clocks() {
    let rules = RuleSet::builtin().unwrap();
    for clock in Clock::ALL {
        let moment = Moment {
            clock,
            on: date!(2025 - 04 - 01),
            due: date!(2025 - 03 - 31),
        };
        let timeline = with_moments(
            Timeline::new("p", None, Vec::new()),
            [("00000000-0000-0000-0000-000000000001", &moment)],
        );
        let firings = rules.evaluate(&timeline, date!(2025 - 04 - 02));
        // The explanation names the clock and its due day, never a register fact.
        assert!(
            firings
                .iter()
                .all(|f| f.because == format!("{} (due 2025-03-31) (2025-04-01)", clock.label())),
            "{firings:?}"
        );
        let fired: Vec<String> = firings.into_iter().map(|f| f.rule).collect();
        assert_eq!(fired.len(), 1, "{clock:?}: {fired:?}");
        let rule = rules.rule(&fired[0]).unwrap();
        assert!(
            format!("{:?}", rule.condition).contains(clock.as_str()),
            "{clock:?} fired {}",
            rule.id
        );
    }
}

#[test]
fn the_rules_read_the_settings_given_with_them() {
    let rules = RuleSet::builtin().unwrap();
    assert_eq!(
        crate::RegisterSettings::of_rules(&rules).unwrap(),
        crate::RegisterSettings::default()
    );
}
