#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use super::*;
use crate::clock::ClockState;
use proptest::prelude::*;
use time::macros::date;

const REGISTERED: Date = date!(2024 - 09 - 16);

fn registration() -> Registration {
    Registration {
        parents: vec![("Dana Fenwick".into(), "4 Mill Lane, Carrow".into())],
        educating_parents: vec!["Dana Fenwick".into()],
        hours_by_parents: Hours::whole(15),
        hours_by_others: Hours::whole(5),
        providers: vec![Provider {
            name: "Carrow Tutors".into(),
            address: "carrow-tutors.example".into(),
            kind: "online tuition".into(),
            hours: Hours::whole(5),
        }],
        optional: OptionalContent::default(),
    }
}

fn ehe(circumstances: ChildCircumstances, facts: Vec<EheFact>) -> EheCase {
    EheCase {
        first_day: REGISTERED,
        circumstances,
        facts,
    }
}

#[test]
fn a_child_protection_plan_the_officer_records_needs_consent_as_the_timeline_would() {
    let today = date!(2024 - 09 - 20);
    let with_plan = Registration {
        optional: OptionalContent {
            sen: Some(SenProvision::EhcPlan),
            social_care: vec![SocialCare::ChildProtectionPlan],
        },
        ..registration()
    };
    // Recorded on a case the timeline says nothing about, it is taken, and the case is then
    // flagged with its consent task until the decision is recorded.
    let bare = ehe(ChildCircumstances::default(), Vec::new());
    assert!(
        bare.check(
            &EheFact::Registered(with_plan.clone()),
            &Settings::default(),
            today
        )
        .is_ok()
    );
    let flagged = ehe(
        ChildCircumstances::default(),
        vec![EheFact::Registered(with_plan.clone())],
    );
    let a = flagged.assess(&Settings::default(), today);
    assert!(a.without_consent);
    assert!(a.tasks.iter().any(|t| t.kind == TaskKind::EheConsent));
    let decision = EheFact::ConsentDecision {
        on: today,
        granted: true,
    };
    assert!(
        flagged
            .check(&decision, &Settings::default(), today)
            .is_ok(),
        "the decision the plan asks for may now be recorded"
    );
    // A child in need (no s.47, no plan) needs none.
    let in_need = Registration {
        optional: OptionalContent {
            sen: None,
            social_care: vec![SocialCare::ChildInNeed],
        },
        ..registration()
    };
    assert!(
        bare.check(&EheFact::Registered(in_need), &Settings::default(), today)
            .is_ok()
    );
    // Once recorded (after the decision), the case is read as needing consent.
    let decided = ehe(
        ChildCircumstances::default(),
        vec![
            EheFact::ConsentDecision {
                on: date!(2024 - 09 - 16),
                granted: true,
            },
            EheFact::Registered(with_plan),
        ],
    );
    let a = decided.assess(&Settings::default(), today);
    assert_eq!(a.consent_needed, Some(ConsentCondition::ChildProtection));
    assert!(!a.without_consent);
    // The optional content survives a round trip and is left out when empty.
    let text = serde_json::to_string(&registration()).unwrap();
    assert!(!text.contains("optional"), "{text}");
}

#[test]
fn a_child_under_child_protection_is_flagged_until_consent_is_decided() {
    let cp = ChildCircumstances {
        at_special_school: false,
        under_child_protection: true,
    };
    let case = ehe(cp, vec![EheFact::Registered(registration())]);
    let today = date!(2024 - 09 - 20);
    let a = case.assess(&Settings::default(), today);
    assert_eq!(a.consent_needed, Some(ConsentCondition::ChildProtection));
    assert!(a.without_consent);
    assert_eq!(a.tasks[0].kind, TaskKind::EheConsent);

    let refused = ehe(
        cp,
        vec![
            EheFact::Registered(registration()),
            EheFact::ConsentDecision {
                on: date!(2024 - 09 - 19),
                granted: false,
            },
        ],
    );
    let a = refused.assess(&Settings::default(), today);
    assert!(a.without_consent, "refused consent stays flagged");
    assert!(!a.tasks.iter().any(|t| t.kind == TaskKind::EheConsent));

    let granted = ehe(
        cp,
        vec![
            EheFact::Registered(registration()),
            EheFact::ConsentDecision {
                on: date!(2024 - 09 - 19),
                granted: true,
            },
        ],
    );
    assert!(!granted.assess(&Settings::default(), today).without_consent);
}

#[test]
fn consent_cannot_be_recorded_where_the_law_does_not_ask_for_it() {
    let case = ehe(ChildCircumstances::default(), vec![]);
    let fact = EheFact::ConsentDecision {
        on: REGISTERED,
        granted: true,
    };
    assert_eq!(
        case.check(&fact, &Settings::default(), REGISTERED)
            .unwrap_err()
            .field,
        "granted"
    );
    assert!(
        !case
            .assess(&Settings::default(), REGISTERED)
            .without_consent
    );
}

#[test]
fn information_requests_are_at_least_yearly_and_at_most_three_monthly() {
    let settings = Settings::default();
    let case = ehe(
        ChildCircumstances::default(),
        vec![EheFact::InformationRequested {
            on: date!(2024 - 10 - 01),
        }],
    );
    let too_soon = EheFact::InformationRequested {
        on: date!(2024 - 12 - 01),
    };
    let refusal = case
        .check(&too_soon, &settings, date!(2024 - 12 - 01))
        .unwrap_err();
    assert!(refusal.message.contains("2024-12-31"), "{refusal}");
    let later = EheFact::InformationRequested {
        on: date!(2024 - 12 - 31),
    };
    assert!(case.check(&later, &settings, date!(2024 - 12 - 31)).is_ok());
    let a = case.assess(&settings, date!(2025 - 10 - 02));
    assert_eq!(a.next_request_due, Some(date!(2025 - 10 - 01)));
    assert!(
        a.tasks
            .iter()
            .any(|t| t.kind == TaskKind::EheInformationRequest && t.overdue)
    );
}

#[test]
fn a_registration_names_who_educates_the_child() {
    let case = ehe(ChildCircumstances::default(), vec![]);
    let mut r = registration();
    r.educating_parents = vec!["Someone Else".into()];
    assert_eq!(
        case.check(&EheFact::Registered(r), &Settings::default(), REGISTERED)
            .unwrap_err()
            .field,
        "educating_parents"
    );
    // Hours arrive in tenths through the API: more than a week holds is refused there too.
    let mut r = registration();
    r.hours_by_others = Hours::from_tenths(601);
    assert_eq!(
        case.check(&EheFact::Registered(r), &Settings::default(), REGISTERED)
            .unwrap_err()
            .field,
        "hours_by_parents"
    );
    let mut r = registration();
    r.parents.clear();
    assert_eq!(
        case.check(&EheFact::Registered(r), &Settings::default(), REGISTERED)
            .unwrap_err()
            .field,
        "parents"
    );
    assert!(
        case.check(
            &EheFact::Registered(registration()),
            &Settings::default(),
            REGISTERED
        )
        .is_ok()
    );
}

#[test]
fn the_home_visit_may_be_asked_for_within_fifteen_days() {
    let case = ehe(ChildCircumstances::default(), vec![]);
    let a = case.assess(&Settings::default(), date!(2024 - 09 - 20));
    assert_eq!(a.home_visit.due, date!(2024 - 10 - 01));
    assert!(a.tasks.iter().any(|t| t.kind == TaskKind::EheHomeVisit));
    let later = case.assess(&Settings::default(), date!(2024 - 10 - 02));
    assert!(!later.tasks.iter().any(|t| t.kind == TaskKind::EheHomeVisit));
}

/// Missing from Monday 3 March 2025: the 20 school days after it are 4-31 March, so the
/// child should be traced by Monday 31 March.
const MISSING: Date = date!(2025 - 03 - 03);

fn episode(facts: Vec<CmeFact>) -> CmeEpisode {
    CmeEpisode {
        first_day: MISSING,
        facts,
    }
}

fn cal() -> Calendar {
    Calendar::default()
}

#[test]
fn a_missing_child_is_traced_step_by_step_and_escalates_after_twenty_school_days() {
    let e = episode(vec![
        CmeFact::Step {
            step: TraceStep::FamilyContacted,
            on: date!(2025 - 03 - 04),
            outcome: "No answer on the numbers held".into(),
        },
        CmeFact::Step {
            step: TraceStep::HomeVisit,
            on: date!(2025 - 03 - 06),
            outcome: "House empty; neighbour says they left in February".into(),
        },
    ]);
    let a = e.assess(&cal(), &Settings::default(), date!(2025 - 03 - 10));
    assert_eq!(a.trace.due, date!(2025 - 03 - 31));
    assert!(!a.escalated);
    assert_eq!(a.steps_done.len(), 2);
    assert_eq!(
        a.steps_left,
        [
            TraceStep::Health,
            TraceStep::SchoolToSchool,
            TraceStep::NeighbouringAuthorities,
            TraceStep::Police
        ]
    );
    let late = e.assess(&cal(), &Settings::default(), date!(2025 - 04 - 15));
    assert!(late.escalated);
    assert!(late.tasks[0].overdue);
    assert_eq!(late.days_missing, 43);
}

#[test]
fn closing_an_episode_traces_the_child_and_keeps_the_first_trace_date() {
    let found = CmeFact::Closed {
        on: date!(2025 - 03 - 20),
        closure: CmeClosure::FoundOnRoll {
            school: "Northgate School, Kent".into(),
        },
    };
    let mut e = episode(vec![found]);
    let today = date!(2025 - 04 - 30);
    let a = e.assess(&cal(), &Settings::default(), today);
    assert!(!a.open && a.tasks.is_empty());
    assert!(matches!(a.trace.state(today), ClockState::Met { .. }));
    assert_eq!(a.days_missing, 17);
    let step = CmeFact::Step {
        step: TraceStep::Police,
        on: today,
        outcome: "x".into(),
    };
    assert_eq!(e.check(&step, today).unwrap_err().field, "episode");
    e.facts.push(CmeFact::Reopened {
        on: today,
        why: "Left the Kent school".into(),
    });
    let a = e.assess(&cal(), &Settings::default(), today);
    assert!(a.open);
    assert!(matches!(a.trace.state(today), ClockState::Met { .. }));
}

#[test]
fn steps_and_closures_are_refused_with_the_field_named() {
    let e = episode(vec![]);
    let today = date!(2025 - 03 - 10);
    let early = CmeFact::Step {
        step: TraceStep::Health,
        on: date!(2025 - 02 - 01),
        outcome: "Registered with a GP in Leeds".into(),
    };
    assert_eq!(e.check(&early, today).unwrap_err().field, "on");
    let blank = CmeFact::Step {
        step: TraceStep::Health,
        on: today,
        outcome: " ".into(),
    };
    assert_eq!(e.check(&blank, today).unwrap_err().field, "outcome");
    let nowhere = CmeFact::Closed {
        on: today,
        closure: CmeClosure::MovedAway {
            authority: String::new(),
            told_on: today,
        },
    };
    assert_eq!(e.check(&nowhere, today).unwrap_err().field, "authority");
}

#[test]
fn figures_count_both_registers() {
    let today = date!(2025 - 05 - 01);
    let settings = Settings::default();
    let cp = ChildCircumstances {
        at_special_school: false,
        under_child_protection: true,
    };
    let ehe_cases = [
        ehe(cp, vec![]),
        ehe(ChildCircumstances::default(), vec![]),
        ehe(
            ChildCircumstances::default(),
            vec![EheFact::Closed {
                on: date!(2024 - 12 - 01),
                closure: EheClosure::LeftCompulsoryEducation,
            }],
        ),
    ];
    let ehe: Vec<EheAssessment> = ehe_cases
        .iter()
        .map(|c| c.assess(&settings, today))
        .collect();
    let on_time = episode(vec![CmeFact::Closed {
        on: date!(2025 - 03 - 20),
        closure: CmeClosure::HomeEducated,
    }]);
    let late = episode(vec![CmeFact::Closed {
        on: date!(2025 - 04 - 20),
        closure: CmeClosure::LeftCompulsoryEducation,
    }]);
    let open = episode(vec![]);
    let cme: Vec<CmeAssessment> = [&on_time, &late, &open]
        .iter()
        .map(|e| e.assess(&cal(), &settings, today))
        .collect();
    let f = Figures::of(&ehe, &cme, today);
    assert_eq!(f.home_educated, 2);
    assert_eq!(f.home_educated_without_consent, 1);
    // Registered September 2024 and never asked: the first request is due September 2025.
    assert_eq!(f.information_requests_overdue, 0);
    let a_year_on = date!(2025 - 09 - 17);
    let ehe_later: Vec<EheAssessment> = ehe_cases
        .iter()
        .map(|c| c.assess(&settings, a_year_on))
        .collect();
    assert_eq!(
        Figures::of(&ehe_later, &cme, a_year_on).information_requests_overdue,
        2
    );
    assert_eq!(f.missing_education, 1);
    assert_eq!(f.episodes_due, 3);
    assert_eq!(f.traced_within_limit, 1);
    // 17, 48 and 59 days: median 48.
    assert_eq!(f.median_days_missing, Some(48.0));
}

proptest! {
    /// Whatever steps are recorded, done and left partition the steps every child needs,
    /// and days missing never go below zero.
    #[test]
    fn trace_steps_partition(steps in proptest::collection::vec((0usize..7, 0i64..60), 0..12), days in 0i64..120) {
        let facts = steps.iter().map(|(s, d)| CmeFact::Step {
            step: TraceStep::ALL[*s],
            on: MISSING + Duration::days(*d),
            outcome: "done".into(),
        }).collect();
        let a = episode(facts).assess(&cal(), &Settings::default(), MISSING + Duration::days(days));
        for step in TraceStep::ALL.into_iter().filter(|s| s.always_needed()) {
            let done = a.steps_done.iter().any(|(d, _)| *d == step);
            prop_assert_ne!(done, a.steps_left.contains(&step));
        }
        prop_assert!(a.days_missing >= 0);
        prop_assert_eq!(a.escalated, a.trace.state(MISSING + Duration::days(days)).is_missed());
    }
}

#[test]
fn circumstances_come_from_the_timeline_on_the_registration_day() {
    let day = date!(2024 - 09 - 16);
    let oak = 7;
    let none = ChildCircumstances::on(day, &[]);
    assert_eq!(none.consent_condition(), None);
    // On a special school's roll, withdrawn the same day: consent needed.
    let marks = [
        (date!(2021 - 09 - 01), Mark::JoinedSpecialSchool(oak)),
        (day, Mark::LeftSpecialSchool(oak)),
    ];
    assert_eq!(
        ChildCircumstances::on(day, &marks).consent_condition(),
        Some(ConsentCondition::SpecialSchool)
    );
    // Left it before: not needed; joined only after the registration: not needed.
    let left = [
        (date!(2021 - 09 - 01), Mark::JoinedSpecialSchool(oak)),
        (date!(2023 - 07 - 20), Mark::LeftSpecialSchool(oak)),
        (date!(2024 - 10 - 01), Mark::JoinedSpecialSchool(9)),
    ];
    assert_eq!(ChildCircumstances::on(day, &left).consent_condition(), None);
    // An open child protection plan; one that ended earlier does not count.
    let plan = [(date!(2024 - 06 - 03), Mark::ChildProtectionPlanStarted)];
    assert_eq!(
        ChildCircumstances::on(day, &plan).consent_condition(),
        Some(ConsentCondition::ChildProtection)
    );
    let ended = [
        (date!(2023 - 07 - 20), Mark::ChildProtectionPlanEnded),
        (date!(2022 - 06 - 03), Mark::ChildProtectionPlanStarted),
    ];
    assert_eq!(
        ChildCircumstances::on(day, &ended).consent_condition(),
        None
    );
}

#[test]
fn a_registration_needing_consent_waits_for_the_decision() {
    let cp = ChildCircumstances {
        at_special_school: false,
        under_child_protection: true,
    };
    let case = ehe(cp, vec![]);
    let refused = case
        .check(
            &EheFact::Registered(registration()),
            &Settings::default(),
            REGISTERED,
        )
        .unwrap_err();
    assert_eq!(refused.field, "consent");
    assert_eq!(cp.check_opening(false).unwrap_err().field, "consent");
    assert!(cp.check_opening(true).is_ok());
    assert!(ChildCircumstances::default().check_opening(false).is_ok());
    let decided = ehe(
        cp,
        vec![EheFact::ConsentDecision {
            on: REGISTERED,
            granted: true,
        }],
    );
    assert!(
        decided
            .check(
                &EheFact::Registered(registration()),
                &Settings::default(),
                REGISTERED
            )
            .is_ok()
    );
}

#[test]
fn the_latest_circumstances_harbour_found_count_over_the_timeline_given() {
    let today = date!(2024 - 09 - 20);
    let cp = ChildCircumstances {
        at_special_school: false,
        under_child_protection: true,
    };
    // Found needing consent, though the case was given nothing: the consent task is set.
    let found = ehe(
        ChildCircumstances::default(),
        vec![
            EheFact::CircumstancesFound(cp),
            EheFact::Registered(registration()),
        ],
    );
    assert_eq!(found.found(), Some(cp));
    let a = found.assess(&Settings::default(), today);
    assert_eq!(a.consent_needed, Some(ConsentCondition::ChildProtection));
    assert!(a.without_consent);
    // A later finding that the plan had ended before the registration lifts it.
    let mut corrected = found.clone();
    corrected
        .facts
        .push(EheFact::CircumstancesFound(ChildCircumstances::default()));
    let a = corrected.assess(&Settings::default(), today);
    assert_eq!(a.consent_needed, None);
    assert!(!a.without_consent);
    // With nothing found recorded, the timeline given counts.
    assert_eq!(ehe(cp, Vec::new()).found(), None);
    assert_eq!(
        ehe(cp, Vec::new())
            .assess(&Settings::default(), today)
            .consent_needed,
        Some(ConsentCondition::ChildProtection)
    );
    // Harbour keeps the finding up to date on a closed case too.
    let closed = ehe(
        ChildCircumstances::default(),
        vec![EheFact::Closed {
            on: today,
            closure: EheClosure::LeftCompulsoryEducation,
        }],
    );
    assert!(
        closed
            .check(
                &EheFact::CircumstancesFound(cp),
                &Settings::default(),
                today
            )
            .is_ok()
    );
}

#[test]
fn only_a_deletion_to_an_unknown_destination_opens_an_episode() {
    assert!(leaving_opens_episode(Some("not_known")));
    assert!(!leaving_opens_episode(Some("another_school")));
    assert!(!leaving_opens_episode(None));
    assert!(same_spell(date!(2024 - 09 - 01), date!(2024 - 09 - 20)));
    assert!(!same_spell(date!(2024 - 09 - 01), date!(2024 - 11 - 20)));
}

fn spell(first_day: Date, open: bool, used: &[&str]) -> EntryForEnds {
    EntryForEnds {
        first_day,
        open,
        reopened_on: None,
        used: used.iter().map(|k| (*k).to_owned()).collect(),
    }
}

fn end(on: Date, key: &str) -> ReportedEnd {
    ReportedEnd {
        on,
        key: key.into(),
    }
}

#[test]
fn each_reported_end_closes_the_spell_it_ended() {
    // Two spells, each ended in the feed: each closes on its own end, not the other's.
    let entries = [
        spell(date!(2019 - 11 - 04), true, &[]),
        spell(date!(2024 - 05 - 13), true, &[]),
    ];
    let ends = [
        end(date!(2024 - 07 - 01), "second"),
        end(date!(2020 - 01 - 20), "first"),
    ];
    assert_eq!(ends_to_apply(&entries, &ends), vec![(0, 1), (1, 0)]);
    // A spell with no end of its own stays open: the later spell's end is not its.
    let ends = [end(date!(2024 - 07 - 01), "second")];
    assert_eq!(ends_to_apply(&entries, &ends), vec![(1, 0)]);
    // An end before every spell, and a closed spell, close nothing.
    let ends = [end(date!(2019 - 01 - 01), "early")];
    assert!(ends_to_apply(&entries, &ends).is_empty());
    let closed = [spell(date!(2019 - 11 - 04), false, &[])];
    assert!(ends_to_apply(&closed, &[end(date!(2020 - 01 - 20), "first")]).is_empty());
}

#[test]
fn a_reopened_spell_is_not_closed_again_by_an_end_already_recorded() {
    let mut reopened = spell(date!(2024 - 05 - 13), true, &["first-end"]);
    reopened.reopened_on = Some(date!(2024 - 09 - 02));
    let ends = [end(date!(2024 - 07 - 01), "first-end")];
    assert!(ends_to_apply(std::slice::from_ref(&reopened), &ends).is_empty());
    // A new end after the reopening closes it.
    let ends = [
        end(date!(2024 - 07 - 01), "first-end"),
        end(date!(2024 - 10 - 14), "second-end"),
    ];
    assert_eq!(ends_to_apply(&[reopened], &ends), vec![(0, 1)]);
}

proptest! {
    /// Whatever the spells and ends: only open entries close, each at most once, on an end
    /// on or after its first day that no entry has used, and no end closes two entries.
    #[test]
    fn reported_ends_close_open_entries_once_each(
        firsts in proptest::collection::vec((0i64..2_000, any::<bool>()), 0..5),
        end_days in proptest::collection::vec(0i64..2_500, 0..6),
        used_mask in 0u8..64,
    ) {
        let base = date!(2018 - 09 - 03);
        let ends: Vec<ReportedEnd> = end_days
            .iter()
            .enumerate()
            .map(|(i, d)| end(base + time::Duration::days(*d), &format!("end-{i}")))
            .collect();
        let entries: Vec<EntryForEnds> = firsts
            .iter()
            .enumerate()
            .map(|(i, (d, open))| {
                let used: Vec<String> = (used_mask >> i & 1 == 1 && !ends.is_empty())
                    .then(|| ends[i % ends.len()].key.clone())
                    .into_iter()
                    .collect();
                EntryForEnds {
                    first_day: base + time::Duration::days(*d),
                    open: *open,
                    reopened_on: None,
                    used,
                }
            })
            .collect();
        let applied = ends_to_apply(&entries, &ends);
        let mut entries_seen = Vec::new();
        let mut ends_seen = Vec::new();
        for (e, x) in &applied {
            prop_assert!(entries[*e].open);
            prop_assert!(ends[*x].on >= entries[*e].first_day);
            prop_assert!(!entries.iter().any(|en| en.used.contains(&ends[*x].key)));
            prop_assert!(!entries_seen.contains(e));
            prop_assert!(!ends_seen.contains(x));
            entries_seen.push(*e);
            ends_seen.push(*x);
        }
    }
}
