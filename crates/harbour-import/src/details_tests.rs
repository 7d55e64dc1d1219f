//! The optional detail columns (issue 14 point 5): read into the event's details, each bad
//! value refused naming its line, field and rule, and a file without them read as before.

use super::*;
use serde_json::json;
use std::collections::BTreeMap;
use time::macros::date;

const TODAY: Date = date!(2026 - 09 - 01);

/// One JSON row (the feed API's way in), from column → value pairs.
fn json_row(feed: Feed, values: &[(&str, &str)]) -> Result<ImportRow, Box<QuarantineRow>> {
    let fields: BTreeMap<String, String> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    parse_fields(feed, &fields, 4, TODAY)
}

/// One CSV row under a header of exactly the columns given (in that order).
fn csv_row(feed: Feed, values: &[(&str, &str)]) -> Result<ImportRow, Box<QuarantineRow>> {
    let header = csv::StringRecord::from(values.iter().map(|(k, _)| *k).collect::<Vec<_>>());
    let header = Header::check(feed, &header).unwrap();
    let record = csv::StringRecord::from(values.iter().map(|(_, v)| *v).collect::<Vec<_>>());
    parse_row(&header, &record, 12, TODAY)
}

fn with<'a>(base: &[(&'a str, &'a str)], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all: Vec<_> = base
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .copied()
        .collect();
    all.extend_from_slice(extra);
    all
}

/// Refused, naming `field` and a reason containing `words`, at the row's line.
fn refused(result: Result<ImportRow, Box<QuarantineRow>>, line: u64, field: &str, words: &str) {
    let q = *result.expect_err("should be refused");
    assert_eq!((q.line, q.field.as_str()), (line, field), "{q:?}");
    assert!(q.reason.contains(words), "{:?} lacks {words:?}", q.reason);
}

const ROLL: &[(&str, &str)] = &[
    ("record_key", "S001-42"),
    ("upn", "R201100018042"),
    ("family_name", "Mercer"),
    ("date_of_birth", "2009-05-14"),
    ("event_key", "S001-42-9"),
    ("type", "left"),
    ("date", "2024-02-01"),
];

#[test]
fn a_roll_leaver_carries_the_destination_and_year_group() {
    let left = json_row(
        Feed::SchoolRoll,
        &with(
            ROLL,
            &[("destination", "Home_Education"), ("year_group", "10")],
        ),
    )
    .unwrap();
    assert_eq!(
        left.event.details,
        json!({ "destination": "home_education", "year_group": 10 })
    );
    assert!(
        left.event.summary.contains("elective home education")
            && left.event.summary.contains("Year 10"),
        "{}",
        left.event.summary
    );
    // Reception is year 0; nursery N1 and N2 are -2 and -1; X (no curriculum year) is left out.
    for (given, stored) in [("R", json!(0)), ("n2", json!(-1)), ("14", json!(14))] {
        let joined = json_row(
            Feed::SchoolRoll,
            &with(ROLL, &[("type", "joined"), ("year_group", given)]),
        )
        .unwrap();
        assert_eq!(joined.event.details["year_group"], stored, "{given}");
    }
    let x = json_row(Feed::SchoolRoll, &with(ROLL, &[("year_group", "X")])).unwrap();
    assert_eq!(x.event.details, json!({}));

    refused(
        json_row(
            Feed::SchoolRoll,
            &with(ROLL, &[("destination", "the moon")]),
        ),
        4,
        "destination",
        "another_school, alternative_provision, home_education",
    );
    refused(
        json_row(
            Feed::SchoolRoll,
            &with(
                ROLL,
                &[("type", "joined"), ("destination", "another_school")],
            ),
        ),
        4,
        "destination",
        "only for a left row",
    );
    refused(
        json_row(Feed::SchoolRoll, &with(ROLL, &[("year_group", "15")])),
        4,
        "year_group",
        "national curriculum year",
    );
    // The CSV header may carry the columns in any order; a file without them reads as before.
    let csv = csv_row(
        Feed::SchoolRoll,
        &with(
            &[("year_group", "9"), ("destination", "not_known")],
            &with(ROLL, &[("given_name", ""), ("sex", ""), ("postcode", "")]),
        ),
    )
    .unwrap();
    assert_eq!(csv.event.details["destination"], "not_known");
    let plain = csv_row(
        Feed::SchoolRoll,
        &with(ROLL, &[("given_name", ""), ("sex", ""), ("postcode", "")]),
    )
    .unwrap();
    assert_eq!(
        (plain.event.details.clone(), plain.event.summary.as_str()),
        (json!({}), "Left school roll")
    );
}

const CARE: &[(&str, &str)] = &[
    ("record_key", "LCS-7"),
    ("family_name", "Mercer"),
    ("date_of_birth", "2009-05-14"),
    ("event_key", "LCS-7-1"),
    ("type", "referral"),
    ("date", "2024-03-01"),
];

#[test]
fn a_social_care_referral_carries_its_reason_and_referrer() {
    let referral = json_row(
        Feed::SocialCare,
        &with(
            CARE,
            &[
                ("referral_reason", "criminal_exploitation"),
                ("referrer", "SCHOOL"),
            ],
        ),
    )
    .unwrap();
    assert_eq!(
        referral.event.details,
        json!({ "referral_reason": "criminal_exploitation", "referrer": "school" })
    );
    assert!(
        referral.event.summary.contains("criminal exploitation")
            && referral.event.summary.contains("school"),
        "{}",
        referral.event.summary
    );
    refused(
        json_row(Feed::SocialCare, &with(CARE, &[("referral_reason", "CCE")])),
        4,
        "referral_reason",
        "criminal_exploitation",
    );
    refused(
        json_row(
            Feed::SocialCare,
            &with(CARE, &[("type", "contact"), ("referral_reason", "neglect")]),
        ),
        4,
        "referral_reason",
        "only for a referral row",
    );
    refused(
        json_row(Feed::SocialCare, &with(CARE, &[("referrer", "neighbour")])),
        4,
        "referrer",
        "school, la_education, social_care, police",
    );
    // Social care's own MACE referral says who referred; left out, the referrer is social care.
    let mace = json_row(Feed::SocialCare, &with(CARE, &[("type", "mace_referral")])).unwrap();
    assert_eq!(mace.event.details, json!({ "referrer": "social_care" }));
    let from_police = json_row(
        Feed::SocialCare,
        &with(CARE, &[("type", "mace_referral"), ("referrer", "police")]),
    )
    .unwrap();
    assert_eq!(from_police.event.details["referrer"], "police");
}

#[test]
fn police_and_youth_justice_send_their_own_mace_referrals_restricted() {
    let police = json_row(
        Feed::Police,
        &[
            ("record_key", "PN1"),
            ("family_name", "Mercer"),
            ("event_key", "PN1-5"),
            ("type", "mace_referral"),
            ("date", "2024-04-01"),
        ],
    )
    .unwrap();
    assert_eq!(police.event.kind, EventKind::MaceReferral);
    assert_eq!(police.event.details, json!({ "referrer": "police" }));
    assert_eq!(police.event.handling, Handling::Restricted);
    let youth = json_row(
        Feed::YouthJustice,
        &[
            ("record_key", "YJ1"),
            ("family_name", "Mercer"),
            ("date_of_birth", "2009-05-14"),
            ("event_key", "YJ1-2"),
            ("type", "mace_referral"),
            ("date", "2024-04-02"),
            ("detail", "Referred after the county lines arrest"),
        ],
    )
    .unwrap();
    assert_eq!(youth.event.kind, EventKind::MaceReferral);
    assert_eq!(youth.event.details, json!({ "referrer": "youth_justice" }));
    assert_eq!(youth.event.handling, Handling::Restricted);
    // The referrer is only for MACE referrals outside social care.
    refused(
        json_row(
            Feed::YouthJustice,
            &[
                ("record_key", "YJ1"),
                ("family_name", "Mercer"),
                ("date_of_birth", "2009-05-14"),
                ("event_key", "YJ1-3"),
                ("type", "order"),
                ("date", "2024-04-02"),
                ("referrer", "police"),
            ],
        ),
        4,
        "referrer",
        "only for a mace_referral row",
    );
}

const POLICE: &[(&str, &str)] = &[
    ("record_key", "PN1"),
    ("family_name", "Mercer"),
    ("date_of_birth", "2009-05-14"),
    ("event_key", "PN1-1"),
    ("type", "missing"),
    ("date", "2024-05-01"),
];

#[test]
fn a_missing_episode_carries_its_length_and_where_the_child_was_found() {
    let missing = csv_row(
        Feed::Police,
        &with(
            POLICE,
            &[
                ("given_name", ""),
                ("alias", ""),
                ("sex", ""),
                ("postcode", ""),
                ("offence", "Reported missing from home"),
                ("grading", ""),
                ("missing_hours", "36"),
                ("found_out_of_area", "Yes"),
                ("found_at", "A flat in another county"),
            ],
        ),
    )
    .unwrap();
    assert_eq!(
        missing.event.details,
        json!({
            "offence": "Reported missing from home",
            "missing_hours": 36,
            "found_out_of_area": true,
            "found_at": "A flat in another county",
        })
    );
    assert!(
        missing.event.summary.contains("36 hours") && missing.event.summary.contains("out of area"),
        "{}",
        missing.event.summary
    );
    let home = json_row(Feed::Police, &with(POLICE, &[("found_out_of_area", "no")])).unwrap();
    assert_eq!(home.event.details, json!({ "found_out_of_area": false }));
    refused(
        json_row(Feed::Police, &with(POLICE, &[("missing_hours", "a day")])),
        4,
        "missing_hours",
        "not a whole number",
    );
    refused(
        json_row(Feed::Police, &with(POLICE, &[("missing_hours", "9000")])),
        4,
        "missing_hours",
        "8760",
    );
    refused(
        json_row(
            Feed::Police,
            &with(POLICE, &[("found_out_of_area", "maybe")]),
        ),
        4,
        "found_out_of_area",
        "yes or no",
    );
    refused(
        json_row(
            Feed::Police,
            &with(POLICE, &[("type", "arrest"), ("missing_hours", "3")]),
        ),
        4,
        "missing_hours",
        "only for a missing row",
    );
}

#[test]
fn a_stop_and_search_carries_its_outcome() {
    let stop = json_row(
        Feed::Police,
        &with(
            POLICE,
            &[
                ("type", "stop_search"),
                ("offence", "Controlled drugs"),
                ("outcome", "Community_Resolution"),
            ],
        ),
    )
    .unwrap();
    assert_eq!(
        stop.event.details,
        json!({ "offence": "Controlled drugs", "outcome": "community_resolution" })
    );
    assert!(
        stop.event.summary.contains("community resolution"),
        "{}",
        stop.event.summary
    );
    refused(
        json_row(
            Feed::Police,
            &with(POLICE, &[("type", "stop_search"), ("outcome", "released")]),
        ),
        4,
        "outcome",
        "arrest, summons, caution, cannabis_warning, penalty_notice, community_resolution, no_further_action",
    );
    refused(
        json_row(
            Feed::Police,
            &with(POLICE, &[("type", "caution"), ("outcome", "arrest")]),
        ),
        4,
        "outcome",
        "only for a stop_search row",
    );
}

#[test]
fn an_emergency_attendance_for_an_injury_carries_its_severity() {
    let ed: &[(&str, &str)] = &[
        ("record_key", "9434765919"),
        ("nhs_number", "9434765919"),
        ("family_name", "Mercer"),
        ("date_of_birth", "2009-05-14"),
        ("event_key", "H1"),
        ("type", "ed_attendance"),
        ("date", "2026-07-18"),
        ("reason", "assault"),
    ];
    let stabbed = json_row(Feed::Health, &with(ed, &[("severity", "Life_Threatening")])).unwrap();
    assert_eq!(
        stabbed.event.details,
        json!({ "reason": "assault", "severity": "life_threatening" })
    );
    assert!(
        stabbed.event.summary.contains("life-threatening"),
        "{}",
        stabbed.event.summary
    );
    refused(
        json_row(Feed::Health, &with(ed, &[("severity", "bad")])),
        4,
        "severity",
        "minor, moderate, serious, life_threatening",
    );
    refused(
        json_row(
            Feed::Health,
            &with(ed, &[("reason", "illness"), ("severity", "minor")]),
        ),
        4,
        "severity",
        "only for injuries",
    );
}

const LA: &[(&str, &str)] = &[
    ("record_key", "LA-7"),
    ("family_name", "Mercer"),
    ("date_of_birth", "2009-05-14"),
    ("event_key", "LA-7-3"),
    ("type", "ap_placement"),
    ("date", "2023-01-25"),
];

#[test]
fn a_placement_carries_its_provider_and_hours() {
    let placed = json_row(
        Feed::LaEducation,
        &with(
            LA,
            &[
                ("provider", "Harbourshire Pupil Referral Unit"),
                ("hours_per_week", "15"),
            ],
        ),
    )
    .unwrap();
    assert_eq!(
        placed.event.details,
        json!({ "provider": "Harbourshire Pupil Referral Unit", "hours_per_week": 15.0 })
    );
    assert!(
        placed.event.summary.contains("15 hours a week"),
        "{}",
        placed.event.summary
    );
    let tenths = json_row(Feed::LaEducation, &with(LA, &[("hours_per_week", "27.5")])).unwrap();
    assert_eq!(tenths.event.details, json!({ "hours_per_week": 27.5 }));
    refused(
        json_row(Feed::LaEducation, &with(LA, &[("hours_per_week", "lots")])),
        4,
        "hours_per_week",
        "not a number of hours",
    );
    refused(
        json_row(Feed::LaEducation, &with(LA, &[("hours_per_week", "61")])),
        4,
        "hours_per_week",
        "more than 60 hours",
    );
    refused(
        json_row(
            Feed::LaEducation,
            &with(LA, &[("type", "ehe_start"), ("provider", "A tutor")]),
        ),
        4,
        "provider",
        "only for an ap_placement row",
    );
}

#[test]
fn a_fair_access_decision_carries_the_school_and_its_answer() {
    let panel = with(LA, &[("type", "fair_access"), ("event_key", "LA-7-4")]);
    let decided = json_row(
        Feed::LaEducation,
        &with(
            &panel,
            &[("allocated_school", "999/4001"), ("response", "Refused")],
        ),
    )
    .unwrap();
    assert_eq!(
        decided.event.details,
        json!({ "allocated_school": "999/4001", "response": "refused" })
    );
    assert!(decided.event.summary.contains("refused by the school"));
    refused(
        json_row(
            Feed::LaEducation,
            &with(&panel, &[("allocated_school", "Northgate")]),
        ),
        4,
        "allocated_school",
        "not a school number",
    );
    refused(
        json_row(Feed::LaEducation, &with(&panel, &[("response", "maybe")])),
        4,
        "response",
        "is not one of",
    );
    refused(
        json_row(Feed::LaEducation, &with(LA, &[("response", "accepted")])),
        4,
        "response",
        "only for a fair_access row",
    );
}
