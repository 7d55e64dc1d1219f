//! A rule set is refused whole, naming the file, the line and the reason, for each kind of
//! mistake a manager editing a rule file might make.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use harbour_rules::RuleSet;

const GOOD: &str = r#"id = "permanent-exclusion"
version = 1
title = "Permanent exclusion"
severity = "high"
notify = ["la_inclusion_officer"]
respond_within_school_days = 5
rationale = "Why."
source = "Where from."

[when]
event = "permanent_exclusion"
"#;

fn refuse(file: &str, text: &str) -> (String, usize, String) {
    let files = vec![
        ("good.toml".to_owned(), GOOD.to_owned()),
        (file.to_owned(), text.to_owned()),
    ];
    let error = RuleSet::from_sources(&files).unwrap_err();
    (error.file, error.line, error.reason)
}

fn with(replace: &str, by: &str) -> String {
    assert!(GOOD.contains(replace), "{replace}");
    GOOD.replace(replace, by)
        .replace("permanent-exclusion\"", "other\"")
}

#[test]
fn a_good_set_loads() {
    let files = vec![("good.toml".to_owned(), GOOD.to_owned())];
    assert_eq!(RuleSet::from_sources(&files).unwrap().rules().len(), 1);
}

#[test]
fn a_syntax_error_names_its_line() {
    let (file, line, reason) = refuse(
        "bad.toml",
        &with("title = \"Permanent exclusion\"", "title = \"unclosed"),
    );
    assert_eq!((file.as_str(), line), ("bad.toml", 3));
    assert!(!reason.is_empty());
}

#[test]
fn an_unknown_event_kind_is_named_with_the_known_ones() {
    let (_, line, reason) = refuse(
        "bad.toml",
        &with("event = \"permanent_exclusion\"", "event = \"expulsion\""),
    );
    assert_eq!(line, 11);
    assert!(
        reason.contains("\"expulsion\"") && reason.contains("permanent_exclusion"),
        "{reason}"
    );
}

#[test]
fn an_unknown_field_in_a_condition_is_refused_with_the_fields_there_are() {
    let text = with(
        "event = \"permanent_exclusion\"",
        "event = \"suspension\"\nwhere = \"days > 2\"",
    );
    let (_, line, reason) = refuse("bad.toml", &text);
    assert_eq!(line, 12);
    assert!(
        reason.contains("\"days\"") && reason.contains("sessions") && reason.contains("reason"),
        "{reason}"
    );
}

#[test]
fn an_expression_that_does_not_parse_is_refused() {
    let text = with(
        "event = \"permanent_exclusion\"",
        "event = \"suspension\"\nwhere = \"sessions >\"",
    );
    let (_, line, reason) = refuse("bad.toml", &text);
    assert_eq!(line, 12);
    assert!(reason.contains("not a valid expression"), "{reason}");
}

#[test]
fn a_function_outside_the_short_list_is_refused() {
    let text = with(
        "event = \"permanent_exclusion\"",
        "event = \"caution\"\nwhere = 'matches(offence, \"knife\")'",
    );
    let (_, _, reason) = refuse("bad.toml", &text);
    assert!(
        reason.contains("matches") && reason.contains("lower"),
        "{reason}"
    );
}

#[test]
fn an_unknown_role_is_refused() {
    let (_, line, reason) = refuse(
        "bad.toml",
        &with("[\"la_inclusion_officer\"]", "[\"head_teacher\"]"),
    );
    assert_eq!(line, 5);
    assert!(
        reason.contains("head_teacher") && reason.contains("school_dsl"),
        "{reason}"
    );
}

#[test]
fn an_unknown_state_is_refused() {
    let text = with(
        "event = \"permanent_exclusion\"",
        "event = \"ehe_registration\"\nwhile_open = [\"on_the_moon\"]",
    );
    let (_, line, reason) = refuse("bad.toml", &text);
    assert_eq!(line, 12);
    assert!(reason.contains("on_the_moon"), "{reason}");
}

#[test]
fn an_unknown_key_is_refused() {
    let (_, line, reason) = refuse(
        "bad.toml",
        &with("version = 1", "version = 1\ncolour = \"red\""),
    );
    assert_eq!(line, 3);
    assert!(reason.contains("colour"), "{reason}");
}

#[test]
fn two_forms_of_condition_at_once_are_refused() {
    let text = with(
        "event = \"permanent_exclusion\"",
        "event = \"suspension\"\nat_least = 2\nwithin_days = 30\nexpect = { event = \"cme_end\", within_days = 5 }",
    );
    let (_, _, reason) = refuse("bad.toml", &text);
    assert!(reason.contains("cannot be used here"), "{reason}");
}

#[test]
fn a_repeated_id_and_a_compound_of_an_unknown_rule_are_refused() {
    let (_, _, reason) = refuse("copy.toml", GOOD);
    assert!(reason.contains("used by another file"), "{reason}");
    let compound = with(
        "event = \"permanent_exclusion\"",
        "rules_at_least = 2\nwithin_days = 365\nof = [\"no-such-rule\", \"permanent-exclusion\"]",
    );
    let (_, _, reason) = refuse("compound.toml", &compound);
    assert!(reason.contains("no-such-rule"), "{reason}");
}

#[test]
fn a_bad_routing_role_or_calendar_is_refused() {
    let (file, _, reason) = refuse(
        "routing.toml",
        "raise_within_days = 90\n[escalate]\nschool_dsl = \"headmaster\"\n",
    );
    assert_eq!(file, "routing.toml");
    assert!(reason.contains("headmaster"), "{reason}");
    let (file, _, reason) = refuse(
        "calendar.toml",
        "[[term]]\nname = \"autumn\"\nstarts = \"09-40\"\nends = \"12-20\"\n",
    );
    assert_eq!(file, "calendar.toml");
    assert!(reason.contains("autumn"), "{reason}");
}
