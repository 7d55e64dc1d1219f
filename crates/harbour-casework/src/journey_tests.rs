#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use super::*;
use proptest::prelude::*;
use time::macros::date;

fn item<'a>(kind: EventKind, on: Date, school: &'a str, details: &'a str) -> Item<'a> {
    Item {
        kind,
        on,
        school,
        summary: kind.label(),
        details,
    }
}

fn attendance(from: &str, possible: u32, attended: u32) -> String {
    format!(
        r#"{{"period_start":"{from}","sessions_possible":{possible},"sessions_attended":{attended}}}"#
    )
}

#[test]
fn rolls_pair_joining_and_leaving_at_the_same_school() {
    let cal = Calendar::default();
    let j = of(
        [
            item(
                EventKind::SchoolEnrolment,
                date!(2016 - 09 - 05),
                "Northgate",
                "{}",
            ),
            item(
                EventKind::SchoolEnrolment,
                date!(2018 - 01 - 08),
                "Seaview",
                "{}",
            ),
            item(
                EventKind::SchoolLeaving,
                date!(2017 - 12 - 20),
                "Northgate",
                r#"{"destination":"another_school"}"#,
            ),
            // A leaver whose joining the school never sent.
            item(
                EventKind::SchoolLeaving,
                date!(2019 - 03 - 01),
                "Harbourside",
                r#"{"reason":"EHE"}"#,
            ),
        ],
        &cal,
    );
    assert_eq!(
        j.rolls,
        [
            Stint {
                school: "Northgate".into(),
                from: Some(date!(2016 - 09 - 05)),
                to: Some(date!(2017 - 12 - 20)),
                left_because: Some("to another school".into()),
            },
            Stint {
                school: "Seaview".into(),
                from: Some(date!(2018 - 01 - 08)),
                to: None,
                left_because: None,
            },
            Stint {
                school: "Harbourside".into(),
                from: None,
                to: Some(date!(2019 - 03 - 01)),
                left_because: Some("EHE".into()),
            },
        ]
    );
}

#[test]
fn suspensions_and_exclusions_carry_sessions_and_the_reason_in_words() {
    let j = of(
        [
            item(
                EventKind::Suspension,
                date!(2017 - 10 - 02),
                "Northgate",
                r#"{"reason":"VA","sessions":6}"#,
            ),
            item(
                EventKind::PermanentExclusion,
                date!(2018 - 01 - 17),
                "Northgate",
                r#"{"reason":"DA"}"#,
            ),
        ],
        &Calendar::default(),
    );
    assert_eq!(j.suspensions.len(), 1);
    assert_eq!(j.suspensions[0].sessions, Some(6));
    assert_eq!(j.suspensions[0].reason_code.as_deref(), Some("VA"));
    assert!(
        j.suspensions[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("Verbal abuse")
    );
    assert_eq!(j.exclusions[0].sessions, None);
    assert_eq!(
        j.exclusions[0].reason.as_deref(),
        Some("Drug and alcohol related")
    );
}

#[test]
fn spells_of_home_and_missing_education_open_and_close() {
    let j = of(
        [
            item(
                EventKind::EheRegistration,
                date!(2018 - 03 - 01),
                "LA",
                "{}",
            ),
            item(EventKind::EheEnd, date!(2018 - 09 - 01), "LA", "{}"),
            item(EventKind::CmeStart, date!(2018 - 09 - 10), "LA", "{}"),
            item(EventKind::CmeEnd, date!(2018 - 11 - 01), "LA", "{}"),
            item(EventKind::CmeStart, date!(2019 - 02 - 04), "LA", "{}"),
        ],
        &Calendar::default(),
    );
    assert_eq!(j.home_education.len(), 1);
    assert_eq!(j.home_education[0].to, Some(date!(2018 - 09 - 01)));
    assert_eq!(j.missing_education.len(), 2);
    assert_eq!(j.missing_education[1].from, Some(date!(2019 - 02 - 04)));
    assert_eq!(j.missing_education[1].to, None);
}

#[test]
fn termly_figures_are_one_row_each_and_weekly_ones_add_up_to_their_term() {
    let cal = Calendar::default();
    let spring = attendance("2023-01-05", 110, 90);
    let week1 = attendance("2023-09-04", 10, 10);
    let week2 = attendance("2023-09-11", 10, 4);
    let j = of(
        [
            item(
                EventKind::AttendanceSummary,
                date!(2023 - 03 - 31),
                "Northgate",
                &spring,
            ),
            item(
                EventKind::AttendanceSummary,
                date!(2023 - 09 - 08),
                "Seaview",
                &week1,
            ),
            item(
                EventKind::AttendanceSummary,
                date!(2023 - 09 - 15),
                "Seaview",
                &week2,
            ),
        ],
        &cal,
    );
    assert_eq!(j.attendance.len(), 2);
    let spring = &j.attendance[0];
    assert_eq!(spring.label, "Spring term 2023");
    assert_eq!((spring.possible, spring.attended), (110, 90));
    assert_eq!(spring.percent(), "81.8%");
    assert_eq!(spring.absence, Absence::Persistent);
    let autumn = &j.attendance[1];
    assert_eq!(autumn.label, "Autumn term 2023");
    assert_eq!((autumn.possible, autumn.attended), (20, 14));
    assert_eq!(autumn.recorded_by, ["Seaview"]);
}

#[test]
fn a_transfer_files_academic_year_keeps_its_own_dates() {
    let j = of(
        [item(
            EventKind::AttendanceSummary,
            date!(2020 - 07 - 31),
            "Northgate",
            r#"{"year":2019,"sessions_possible":300,"sessions_attended":140}"#,
        )],
        &Calendar::default(),
    );
    assert_eq!(j.attendance[0].from, date!(2019 - 09 - 01));
    assert_eq!(j.attendance[0].label, "2019-09-01 to 2020-07-31");
    assert_eq!(j.attendance[0].absence, Absence::Severe);
}

#[test]
fn absence_thresholds_are_ten_and_fifty_percent_missed_inclusive() {
    assert_eq!(Absence::of(100, 91), Absence::Ordinary);
    assert_eq!(Absence::of(100, 90), Absence::Persistent);
    assert_eq!(Absence::of(100, 51), Absence::Persistent);
    assert_eq!(Absence::of(100, 50), Absence::Severe);
    assert_eq!(Absence::of(1000, 901), Absence::Ordinary);
}

#[test]
fn events_that_are_not_about_education_leave_the_journey_empty() {
    let j = of(
        [
            item(EventKind::Caution, date!(2019 - 01 - 01), "Police", "{}"),
            // Details that do not read are passed over, not a failure.
            item(
                EventKind::AttendanceSummary,
                date!(2019 - 01 - 01),
                "X",
                "not json",
            ),
        ],
        &Calendar::default(),
    );
    assert!(j.is_empty());
}

proptest! {
    /// However the figures are cut into periods, the journey's totals are the sessions sent,
    /// and each period's band agrees with its own figures.
    #[test]
    fn totals_are_kept_and_bands_match(weeks in proptest::collection::vec((1u32..=10, 0u32..=10), 1..40)) {
        let cal = Calendar::default();
        let mut texts = Vec::new();
        let mut day = date!(2023 - 09 - 04);
        for (possible, attended) in &weeks {
            texts.push((day, attendance(&day.to_string(), *possible, (*attended).min(*possible))));
            day += time::Duration::weeks(1);
        }
        let items: Vec<Item<'_>> = texts
            .iter()
            .map(|(start, text)| item(EventKind::AttendanceSummary, *start + time::Duration::days(4), "S", text))
            .collect();
        let j = of(items, &cal);
        let possible: u32 = weeks.iter().map(|w| w.0).sum();
        let attended: u32 = weeks.iter().map(|w| w.1.min(w.0)).sum();
        prop_assert_eq!(j.attendance.iter().map(|a| a.possible).sum::<u32>(), possible);
        prop_assert_eq!(j.attendance.iter().map(|a| a.attended).sum::<u32>(), attended);
        for a in &j.attendance {
            prop_assert_eq!(a.absence, Absence::of(a.possible, a.attended));
            prop_assert!(a.per_mille <= 1000);
        }
    }
}
