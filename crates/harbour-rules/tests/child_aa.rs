//! Child AA's journey (../shared/seeds/: the East Sussex LCSPR learning briefing), written as a
//! fictional timeline with the dates of the demo's Jayden Mercer, and the alerts the built-in
//! rules raise on it: which, in what order, on which days, to whom. If a rule change alters
//! this, the change is deliberate or a mistake; either way this test says so.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use harbour_domain::EventKind as K;
use harbour_rules::replay::replay;
use harbour_rules::{Event, Fields, RuleSet, Timeline};
use serde_json::{Map, Value, json};
use time::Date;
use time::macros::date;

fn event(
    n: usize,
    on: Date,
    kind: K,
    agency: &str,
    school: bool,
    summary: &str,
    details: Value,
) -> Event {
    let details: Map<String, Value> = details.as_object().cloned().unwrap_or_default();
    Event {
        id: format!("e{n:02}"),
        kind,
        on,
        agency: agency.into(),
        agency_name: agency.into(),
        school: harbour_rules::School::own(&agency.into(), school),
        summary: summary.to_owned(),
        details: Fields::from_map(kind, &details),
    }
}

fn child_aa() -> Timeline {
    let none = json!({});
    let events = vec![
        event(
            1,
            date!(2020 - 09 - 03),
            K::SchoolEnrolment,
            "Northgate Academy",
            true,
            "Joined Year 7",
            none.clone(),
        ),
        event(
            2,
            date!(2021 - 03 - 10),
            K::Caution,
            "Police",
            false,
            "Youth caution",
            json!({ "offence": "Criminal damage" }),
        ),
        event(
            3,
            date!(2021 - 06 - 15),
            K::Suspension,
            "Northgate Academy",
            true,
            "Suspended 3 days",
            json!({ "reason": "PP", "sessions": 6 }),
        ),
        event(
            4,
            date!(2021 - 11 - 02),
            K::CmeStart,
            "County Council",
            false,
            "Missing education (Year 8)",
            none.clone(),
        ),
        event(
            5,
            date!(2021 - 12 - 01),
            K::CmeEnd,
            "County Council",
            false,
            "Back on roll",
            none.clone(),
        ),
        event(
            6,
            date!(2022 - 02 - 08),
            K::Caution,
            "Police",
            false,
            "Youth caution",
            json!({ "offence": "Possession of a bladed article" }),
        ),
        event(
            7,
            date!(2022 - 05 - 20),
            K::VictimOfCrime,
            "Police",
            false,
            "Victim of assault",
            json!({ "offence": "Assault" }),
        ),
        event(
            8,
            date!(2022 - 07 - 20),
            K::AttendanceSummary,
            "Northgate Academy",
            true,
            "Summer term attendance",
            json!({ "percent": 71.0, "sessions_possible": 140, "sessions_attended": 99 }),
        ),
        event(
            9,
            date!(2022 - 09 - 12),
            K::Suspension,
            "Northgate Academy",
            true,
            "Suspended 5 days",
            json!({ "reason": "PD", "sessions": 10 }),
        ),
        event(
            10,
            date!(2023 - 01 - 17),
            K::PermanentExclusion,
            "Northgate Academy",
            true,
            "Permanently excluded",
            json!({ "reason": "PA" }),
        ),
        event(
            11,
            date!(2023 - 01 - 25),
            K::AlternativeProvision,
            "Pupil Referral Unit",
            true,
            "Placed at the PRU",
            none.clone(),
        ),
        event(
            12,
            date!(2023 - 03 - 06),
            K::EheRegistration,
            "County Council",
            false,
            "Elective home education",
            none.clone(),
        ),
        event(
            13,
            date!(2023 - 03 - 20),
            K::IntelligenceReport,
            "Police",
            false,
            "Seen with adults linked to a county line",
            json!({ "grading": "2/B/P" }),
        ),
        event(
            14,
            date!(2023 - 04 - 11),
            K::SocialCareReferral,
            "County Council",
            false,
            "Referral: criminal exploitation",
            none.clone(),
        ),
        event(
            15,
            date!(2023 - 05 - 05),
            K::MaceReferral,
            "County Council",
            false,
            "Referred to MACE",
            none.clone(),
        ),
        event(
            16,
            date!(2024 - 06 - 28),
            K::EheEnd,
            "County Council",
            false,
            "No suitable education evidenced",
            none.clone(),
        ),
        event(
            17,
            date!(2024 - 07 - 03),
            K::CmeStart,
            "County Council",
            false,
            "Missing education (end of Year 10)",
            none.clone(),
        ),
        event(
            18,
            date!(2024 - 08 - 14),
            K::MissingEpisode,
            "Police",
            false,
            "Missing overnight",
            none.clone(),
        ),
        event(
            19,
            date!(2024 - 08 - 29),
            K::MissingEpisode,
            "Police",
            false,
            "Missing 3 days, found in another county",
            none.clone(),
        ),
        event(
            20,
            date!(2024 - 10 - 02),
            K::Arrest,
            "Police",
            false,
            "Arrested",
            json!({ "offence": "Possession with intent to supply class A drugs" }),
        ),
        event(
            21,
            date!(2024 - 10 - 03),
            K::RuiStart,
            "Police",
            false,
            "Released under investigation",
            json!({ "offence": "Possession with intent to supply class A drugs" }),
        ),
        event(
            22,
            date!(2025 - 02 - 12),
            K::YouthJusticeIntervention,
            "Youth Justice Service",
            false,
            "Voluntary intervention",
            none.clone(),
        ),
        event(
            23,
            date!(2026 - 07 - 18),
            K::EmergencyAttendance,
            "Hospital Trust",
            false,
            "Stab wound",
            json!({ "reason": "assault" }),
        ),
    ];
    Timeline::new("child-aa", Some(date!(2009 - 05 - 14)), events)
}

#[test]
fn child_aa_alerts_fire_in_order_on_the_right_days_to_the_right_people() {
    let rules = RuleSet::builtin().unwrap();
    let replayed = replay(&rules, &child_aa(), date!(2026 - 11 - 23));
    let got: Vec<(String, &str, String)> = replayed
        .alerts
        .iter()
        .map(|a| (a.on.to_string(), a.rule.as_str(), a.told.join("; ")))
        .collect();
    let dsl = |school: &str| format!("School designated safeguarding lead at {school}");
    let expected: Vec<(String, &str, String)> = vec![
        (
            "2021-11-02",
            "child-missing-education",
            format!(
                "LA children missing education and EHE officer; {}",
                dsl("Northgate Academy")
            ),
        ),
        (
            "2022-02-08",
            "weapon-or-drug-supply",
            format!(
                "Police MACE coordinator; {}; Youth justice worker",
                dsl("Northgate Academy")
            ),
        ),
        (
            "2022-05-20",
            "several-concerns",
            "LA inclusion officer; Social worker; Police MACE coordinator".into(),
        ),
        (
            "2022-05-20",
            "victim-of-violence",
            format!(
                "Social worker; Police MACE coordinator; {}",
                dsl("Northgate Academy")
            ),
        ),
        // The one summer-term attendance of 71% covers a term's sessions (140): persistent
        // absence fires on it (issue 14, point 4: it used to wait for a second low period).
        ("2022-07-20", "persistent-absence", dsl("Northgate Academy")),
        (
            "2023-01-17",
            "permanent-exclusion",
            format!("LA inclusion officer; {}", dsl("Northgate Academy")),
        ),
        (
            "2023-03-06",
            "ehe-after-exclusion",
            "LA children missing education and EHE officer; LA inclusion officer".into(),
        ),
        (
            "2024-07-03",
            "child-missing-education",
            format!(
                "LA children missing education and EHE officer; {}",
                dsl("Pupil Referral Unit")
            ),
        ),
        (
            "2024-08-29",
            "missing-episodes",
            "Police MACE coordinator; Social worker".into(),
        ),
        (
            "2024-10-02",
            "several-concerns",
            "LA inclusion officer; Social worker; Police MACE coordinator".into(),
        ),
        (
            "2024-10-02",
            "weapon-or-drug-supply",
            format!(
                "Police MACE coordinator; {}; Youth justice worker",
                dsl("Pupil Referral Unit")
            ),
        ),
        (
            "2025-01-02",
            "rui-over-three-months",
            "Police MACE coordinator; Youth justice worker".into(),
        ),
        (
            "2026-07-18",
            "victim-of-violence",
            format!(
                "Social worker; Police MACE coordinator; {}",
                dsl("Pupil Referral Unit")
            ),
        ),
        (
            "2026-11-14",
            "transition-to-adulthood",
            "Social worker; Police MACE coordinator".into(),
        ),
    ]
    .into_iter()
    .map(|(d, r, t)| (d.to_owned(), r, t))
    .collect();
    assert_eq!(got, expected);

    // The first compound alert, four years before the stabbing, lists its concerns.
    let first = replayed
        .alerts
        .iter()
        .find(|a| a.rule == "several-concerns")
        .unwrap();
    assert!(
        first
            .because
            .contains("Child missing education (2021-11-02)"),
        "{}",
        first.because
    );
    assert!(
        first.because.contains("bladed article") || first.because.contains("2022-02-08"),
        "{}",
        first.because
    );
    assert_eq!(first.evidence, vec!["e04", "e06", "e07"]);
}
