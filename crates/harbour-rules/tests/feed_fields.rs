//! The details the feeds now carry (issue 14 point 5) are fields rule conditions can test:
//! each loads, matches the value the importer stores, and a misspelt one is refused.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use harbour_domain::EventKind;
use harbour_rules::predicate::Predicate;
use harbour_rules::{Event, Fields, RuleSet};
use time::macros::date;

fn event(kind: EventKind, details: &str) -> Event {
    Event {
        id: "1".into(),
        kind,
        on: date!(2024 - 05 - 01),
        agency: "police".into(),
        agency_name: "Police".into(),
        school: None,
        summary: String::new(),
        details: Fields::from_json(kind, details),
    }
}

#[test]
fn each_new_field_is_tested_as_the_importer_stores_it() {
    use EventKind as K;
    let cases: &[(K, &str, &str, bool)] = &[
        (
            K::MissingEpisode,
            "found_out_of_area == true && missing_hours >= 24.0",
            r#"{"offence": "Missing", "missing_hours": 36, "found_out_of_area": true, "found_at": "Another county"}"#,
            true,
        ),
        (
            K::MissingEpisode,
            "found_out_of_area == true",
            r#"{"found_out_of_area": false}"#,
            false,
        ),
        // Absent: a condition on it does not match.
        (K::MissingEpisode, "found_out_of_area", "{}", false),
        (
            K::MissingEpisode,
            r#"lower(found_at).contains("county")"#,
            r#"{"found_at": "Another County"}"#,
            true,
        ),
        (
            K::StopAndSearch,
            r#"outcome == "arrest""#,
            r#"{"outcome": "arrest"}"#,
            true,
        ),
        (
            K::StopAndSearch,
            r#"outcome == "arrest""#,
            r#"{"outcome": "no_further_action"}"#,
            false,
        ),
        (
            K::EmergencyAttendance,
            r#"reason == "assault" && severity in ["serious", "life_threatening"]"#,
            r#"{"reason": "assault", "severity": "life_threatening"}"#,
            true,
        ),
        (
            K::SocialCareReferral,
            r#"referral_reason == "criminal_exploitation" && referrer == "school""#,
            r#"{"referral_reason": "criminal_exploitation", "referrer": "school"}"#,
            true,
        ),
        (
            K::MaceReferral,
            r#"referrer == "youth_justice""#,
            r#"{"referrer": "youth_justice"}"#,
            true,
        ),
        (
            K::SchoolLeaving,
            r#"destination == "home_education" && year_group >= 10.0"#,
            r#"{"destination": "home_education", "year_group": 10}"#,
            true,
        ),
        (
            K::SchoolEnrolment,
            "year_group == 7.0",
            r#"{"year_group": 7}"#,
            true,
        ),
        (
            K::SchoolEnrolment,
            "year_group >= 7",
            r#"{"year_group": 7}"#,
            true,
        ),
    ];
    for (kind, condition, details, expected) in cases {
        let predicate =
            Predicate::compile(condition, &[*kind]).unwrap_or_else(|e| panic!("{condition}: {e}"));
        assert_eq!(
            predicate.test(&event(*kind, details)),
            *expected,
            "{condition} on {details}"
        );
    }
}

#[test]
fn a_misspelt_new_field_is_refused_naming_the_right_one() {
    let error = Predicate::compile(
        "found_out_of_the_area == true",
        &[EventKind::MissingEpisode],
    )
    .unwrap_err();
    assert!(error.contains("found_out_of_area"), "{error}");
    let error = Predicate::compile(r#"outcome == "arrest""#, &[EventKind::Caution]).unwrap_err();
    assert!(error.contains("\"outcome\""), "{error}");
}

#[test]
fn a_rule_file_example_may_give_a_yes_or_no_field() {
    let rule = r#"id = "found-far-away"
version = 1
title = "Missing and found out of area"
severity = "high"
notify = ["police_mace_coordinator"]
respond_within_days = 3
rationale = "Why."
source = "Where from."

[when]
event = "missing_episode"
where = "found_out_of_area == true"

[[example]]
name = "found out of area fires; found at home does not"
events = [
  { on = "2022-03-01", kind = "missing_episode", found_out_of_area = true },
  { on = "2022-04-01", kind = "missing_episode", found_out_of_area = false },
]
fires = ["2022-03-01"]
"#;
    let set = RuleSet::from_sources(&[("r.toml".to_owned(), rule.to_owned())]).unwrap();
    let outcome = set.run_examples();
    assert_eq!(outcome.examples, 1);
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
}
