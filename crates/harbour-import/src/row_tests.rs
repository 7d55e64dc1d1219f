use super::*;
use time::macros::date;

const TODAY: Date = date!(2026 - 09 - 01);

fn parse(feed: Feed, values: &[(&str, &str)]) -> Result<ImportRow, Box<QuarantineRow>> {
    let header_record = csv::StringRecord::from(feed.columns().to_vec());
    let header = Header::check(feed, &header_record).unwrap();
    let row: Vec<String> = feed
        .columns()
        .iter()
        .map(|c| {
            values
                .iter()
                .find(|(k, _)| k == c)
                .map(|(_, v)| (*v).to_owned())
                .unwrap_or_default()
        })
        .collect();
    parse_row(&header, &csv::StringRecord::from(row), 7, TODAY)
}

const PUPIL: &[(&str, &str)] = &[
    ("record_key", "S001-0000042"),
    ("upn", "R201100018042"),
    ("given_name", "Jayden"),
    ("family_name", "Mercer"),
    ("date_of_birth", "2009-05-14"),
    ("sex", "M"),
    ("postcode", "bn7 2ld"),
    ("event_key", "S001-0000042-3"),
];

fn with<'a>(base: &[(&'a str, &'a str)], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all: Vec<_> = base
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .copied()
        .collect();
    all.extend_from_slice(extra);
    all
}

#[test]
fn a_valid_row_of_each_feed_is_read() {
    let suspension = parse(
        Feed::SchoolExclusions,
        &with(
            PUPIL,
            &[
                ("category", "SUSP"),
                ("start_date", "14/06/2021"),
                ("sessions", "6"),
                ("reason", "db"),
            ],
        ),
    )
    .unwrap();
    assert_eq!(suspension.line, 7);
    assert_eq!(suspension.event.kind, EventKind::Suspension);
    assert_eq!(suspension.event.occurred_on, date!(2021 - 06 - 14));
    assert!(
        suspension
            .event
            .summary
            .contains("Persistent or general disruptive behaviour (DB)"),
        "{}",
        suspension.event.summary
    );
    assert_eq!(suspension.identity.postcode.unwrap().as_str(), "BN7 2LD");
    assert_eq!(suspension.identity.upn.unwrap().as_str(), "R201100018042");

    let attendance = parse(
        Feed::SchoolAttendance,
        &with(
            PUPIL,
            &[
                ("period_start", "2024-01-06"),
                ("period_end", "2024-02-13"),
                ("sessions_possible", "54"),
                ("sessions_attended", "45"),
            ],
        ),
    )
    .unwrap();
    assert_eq!(attendance.event.details["percent"], 83.3);

    let intel = parse(
        Feed::Police,
        &[
            ("record_key", "PN1"),
            ("family_name", "Mercer"),
            ("event_key", "PN1-1"),
            ("type", "intelligence"),
            ("date", "2023-03-20"),
            ("offence", "Seen with adults"),
            ("grading", "2b p"),
        ],
    )
    .unwrap();
    assert_eq!(intel.event.handling, Handling::PoliceIntelligence);
    assert_eq!(intel.event.details["grading"], "2/B/P");
    assert_eq!(
        intel.identity.date_of_birth, None,
        "police may not know a date of birth"
    );

    let ed = parse(
        Feed::Health,
        &[
            ("record_key", "9434765919"),
            ("nhs_number", "943 476 5919"),
            ("given_name", "J"),
            ("family_name", "Mercer"),
            ("date_of_birth", "2009-05-14"),
            ("event_key", "H1"),
            ("type", "ed_attendance"),
            ("date", "2026-07-18"),
            ("reason", "assault"),
        ],
    )
    .unwrap();
    assert_eq!(ed.event.handling, Handling::HealthConfidential);

    for (feed, extra) in [
        (
            Feed::SchoolRoll,
            vec![("type", "joined"), ("date", "2020-09-03")],
        ),
        (
            Feed::LaEducation,
            vec![
                ("type", "ehe_start"),
                ("date", "2023-03-06"),
                ("detail", ""),
            ],
        ),
        (
            Feed::SocialCare,
            vec![("type", "mace_referral"), ("date", "2023-05-05")],
        ),
        (
            Feed::YouthJustice,
            vec![("type", "intervention"), ("date", "2025-02-12")],
        ),
    ] {
        let mut values = with(PUPIL, &extra);
        values.retain(|(k, _)| *k != "upn" || feed.columns().contains(&"upn"));
        parse(feed, &values).unwrap_or_else(|q| panic!("{feed}: {q:?}"));
    }
}

fn rejected(feed: Feed, values: &[(&str, &str)]) -> QuarantineRow {
    *parse(feed, values).expect_err("should be rejected")
}

/// Row values, the field that should be named, and words the reason should contain.
type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);

#[test]
fn every_rule_names_its_field() {
    let susp = |extra: &[(&'static str, &'static str)]| {
        with(
            &with(
                PUPIL,
                &[
                    ("category", "SUSP"),
                    ("start_date", "2021-06-14"),
                    ("sessions", "6"),
                    ("reason", "DB"),
                ],
            ),
            extra,
        )
    };
    let cases: Vec<Case<'_>> = vec![
        (
            susp(&[("upn", "Q207000016049")]),
            "upn",
            "check letter should be P",
        ),
        (
            susp(&[("postcode", "QQ1 1AA")]),
            "postcode",
            "not a UK postcode",
        ),
        (
            susp(&[("start_date", "31/02/2024")]),
            "start_date",
            "31 February 2024 is not a date",
        ),
        (
            susp(&[("start_date", "2027-01-01")]),
            "start_date",
            "is in the future",
        ),
        (
            susp(&[("start_date", "2008-01-01")]),
            "start_date",
            "before the date of birth",
        ),
        (
            susp(&[("date_of_birth", "1980-01-01")]),
            "date_of_birth",
            "more than 25 years",
        ),
        (susp(&[("date_of_birth", "")]), "date_of_birth", "required"),
        (
            susp(&[("reason", "ZZ")]),
            "reason",
            "not a DfE exclusion reason code",
        ),
        (
            susp(&[("category", "EXPEL")]),
            "category",
            "not one of: SUSP, PERM",
        ),
        (susp(&[("sessions", "0")]), "sessions", "1 to 90 sessions"),
        (
            susp(&[("sessions", "six")]),
            "sessions",
            "not a whole number",
        ),
        (susp(&[("family_name", "")]), "family_name", "required"),
        (susp(&[("sex", "male")]), "sex", "not M, F, U or X"),
        (susp(&[("record_key", "")]), "record_key", "required"),
    ];
    for (values, field, reason) in cases {
        let q = rejected(Feed::SchoolExclusions, &values);
        assert_eq!(q.field, field, "{q:?}");
        assert!(
            q.reason.contains(reason),
            "{field}: {:?} lacks {reason:?}",
            q.reason
        );
        assert_eq!(q.line, 7);
    }
    let huge = "x".repeat(10 * 1024 * 1024);
    let q = rejected(
        Feed::LaEducation,
        &with(
            PUPIL,
            &[
                ("type", "cme_start"),
                ("date", "2023-01-01"),
                ("detail", huge.as_str()),
            ],
        ),
    );
    assert_eq!(q.field, "detail");
    assert!(q.reason.contains("longer than 500 characters"));
    assert!(
        q.raw.len() <= 2_000 && q.value.len() <= 200,
        "the quarantine keeps a bounded copy"
    );

    let attendance = rejected(
        Feed::SchoolAttendance,
        &with(
            PUPIL,
            &[
                ("period_start", "2024-01-06"),
                ("period_end", "2024-02-13"),
                ("sessions_possible", "54"),
                ("sessions_attended", "60"),
            ],
        ),
    );
    assert!(attendance.reason.contains("more than sessions_possible"));
    let nhs = rejected(
        Feed::Health,
        &[
            ("record_key", "H"),
            ("nhs_number", "9434765918"),
            ("family_name", "M"),
            ("date_of_birth", "2009-05-14"),
            ("event_key", "H1"),
            ("type", "ed_attendance"),
            ("date", "2026-07-18"),
            ("reason", "assault"),
        ],
    );
    assert!(
        nhs.field == "nhs_number" && nhs.reason.contains("check digit"),
        "{nhs:?}"
    );
    let grade = rejected(
        Feed::Police,
        &[
            ("record_key", "PN1"),
            ("family_name", "M"),
            ("event_key", "PN1-1"),
            ("type", "intelligence"),
            ("date", "2023-03-20"),
            ("grading", "B/2/P"),
        ],
    );
    assert!(
        grade.field == "grading" && grade.reason.contains("3x5x2"),
        "{grade:?}"
    );
}

#[test]
fn a_header_missing_a_column_is_refused_by_name_and_order_does_not_matter() {
    let header = csv::StringRecord::from(vec!["record_key", "given_name"]);
    let error = Header::check(Feed::Police, &header).unwrap_err();
    assert!(error.contains("\"family_name\""), "{error}");
    let mut columns: Vec<&str> = Feed::YouthJustice.columns().to_vec();
    columns.reverse();
    assert!(Header::check(Feed::YouthJustice, &csv::StringRecord::from(columns)).is_ok());
}

/// `parse` with an extra `handling` column in the header (it is optional).
fn parse_with_handling(
    feed: Feed,
    values: &[(&str, &str)],
    handling: &str,
) -> Result<ImportRow, Box<QuarantineRow>> {
    let mut columns: Vec<&str> = feed.columns().to_vec();
    columns.push("handling");
    let header = Header::check(feed, &csv::StringRecord::from(columns.clone())).unwrap();
    let row: Vec<String> = columns
        .iter()
        .map(|c| {
            if *c == "handling" {
                return handling.to_owned();
            }
            values
                .iter()
                .find(|(k, _)| k == c)
                .map(|(_, v)| (*v).to_owned())
                .unwrap_or_default()
        })
        .collect();
    parse_row(&header, &csv::StringRecord::from(row), 9, TODAY)
}

const YOUTH: &[(&str, &str)] = &[
    ("record_key", "YJ1"),
    ("given_name", "Jayden"),
    ("family_name", "Mercer"),
    ("date_of_birth", "2009-05-14"),
    ("event_key", "YJ1-1"),
    ("type", "intervention"),
    ("date", "2025-02-12"),
];

#[test]
fn a_sender_sets_the_handling_marker_and_a_bad_one_is_refused_by_name() {
    let plain = with(YOUTH, &[("detail", "Voluntary intervention")]);
    // No column, or an empty value: the feed's default.
    assert_eq!(
        parse(Feed::YouthJustice, &plain).unwrap().event.handling,
        Handling::Ordinary
    );
    assert_eq!(
        parse_with_handling(Feed::YouthJustice, &plain, "")
            .unwrap()
            .event
            .handling,
        Handling::Ordinary
    );
    // The sender's marker, in any case.
    assert_eq!(
        parse_with_handling(Feed::YouthJustice, &plain, "Restricted")
            .unwrap()
            .event
            .handling,
        Handling::Restricted
    );
    // A youth-justice note about MACE is restricted by default.
    let mace = with(YOUTH, &[("detail", "Discussed at the MACE panel")]);
    assert_eq!(
        parse(Feed::YouthJustice, &mace).unwrap().event.handling,
        Handling::Restricted
    );
    // Not a marker: quarantined naming the line, field, value and rule.
    let bad = *parse_with_handling(Feed::YouthJustice, &plain, "secret").unwrap_err();
    assert_eq!(
        (bad.line, bad.field.as_str(), bad.value.as_str()),
        (9, "handling", "secret")
    );
    assert!(
        bad.reason
            .contains("ordinary, restricted, police_intelligence, health_confidential"),
        "{bad:?}"
    );
    // Intelligence is always police intelligence: a sender cannot open it to everyone.
    let intel = [
        ("record_key", "PN1"),
        ("family_name", "Mercer"),
        ("event_key", "PN1-1"),
        ("type", "intelligence"),
        ("date", "2023-03-20"),
        ("grading", "2/B/P"),
    ];
    let lowered = *parse_with_handling(Feed::Police, &intel, "ordinary").unwrap_err();
    assert_eq!(lowered.field, "handling", "{lowered:?}");
    // The JSON feed takes the same field.
    let mut fields: std::collections::BTreeMap<String, String> = plain
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    fields.insert("handling".into(), "restricted".into());
    assert_eq!(
        parse_fields(Feed::YouthJustice, &fields, 1, TODAY)
            .unwrap()
            .event
            .handling,
        Handling::Restricted
    );
}

#[test]
fn a_future_date_of_birth_is_refused_as_such() {
    let unborn = with(
        PUPIL,
        &[
            ("date_of_birth", "2027-01-01"),
            ("type", "joined"),
            ("date", "2026-06-01"),
        ],
    );
    let q = rejected(Feed::SchoolRoll, &unborn);
    assert_eq!(q.field, "date_of_birth", "{q:?}");
    assert!(
        q.reason
            .contains("date_of_birth 2027-01-01 is in the future"),
        "{q:?}"
    );
}

#[test]
fn a_json_row_with_a_repeated_key_is_refused_naming_the_key() {
    let error = serde_json::from_str::<Fields>(
        r#"{"record_key": "A1", "family_name": "Mercer", "family_name": "Smith"}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("\"family_name\" more than once"), "{error}");
    let fields: Fields = serde_json::from_str(r#"{"record_key": "A1"}"#).unwrap();
    assert_eq!(fields.get("record_key").map(String::as_str), Some("A1"));
}

#[test]
fn the_police_alias_is_kept_as_another_name() {
    let victim = |alias: &'static str| {
        parse(
            Feed::Police,
            &[
                ("record_key", "PN7"),
                ("given_name", "J"),
                ("family_name", "Okonkwo"),
                ("alias", alias),
                ("event_key", "PN7-1"),
                ("type", "victim"),
                ("date", "2025-11-02"),
                ("offence", "Wounding"),
            ],
        )
        .unwrap()
    };
    assert_eq!(
        victim(" Jay Okonkwo ").identity.alias.as_deref(),
        Some("Jay Okonkwo")
    );
    assert_eq!(victim("").identity.alias, None, "an empty alias is none");
    let pupil = parse(
        Feed::SchoolExclusions,
        &with(
            PUPIL,
            &[
                ("category", "SUSP"),
                ("start_date", "14/06/2021"),
                ("sessions", "6"),
                ("reason", "db"),
            ],
        ),
    )
    .unwrap();
    assert_eq!(pupil.identity.alias, None, "only the police feed has one");
}
