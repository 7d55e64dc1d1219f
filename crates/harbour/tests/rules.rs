//! `harbour rules` as a safeguarding manager and an operator use it: test the rule files,
//! see a broken or changed rule named, run the rules, replay a child and score the rules on a
//! synthetic county.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn harbour(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(args)
        .env("HARBOUR_LOG", "warn")
        .env_remove("HARBOUR_RULES")
        .output()
        .unwrap()
}

/// As [`harbour`], with `stdin` written to the command's standard input.
fn harbour_with_input(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(args)
        .env("HARBOUR_LOG", "warn")
        .env_remove("HARBOUR_RULES")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn shipped_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

/// A copy of the shipped rules a test may edit.
fn copy_of_rules(dir: &Path) -> PathBuf {
    let copy = dir.join("rules");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(shipped_rules()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
    }
    copy
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_shipped_rules_pass_their_examples() {
    let run = harbour(&["rules", "test", shipped_rules().to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run));
    assert!(text(&run).contains(", 0 failed"), "{}", text(&run));
}

#[test]
fn rules_test_without_a_directory_tests_the_installed_rules() {
    let elsewhere = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(["rules", "test"])
        .current_dir(elsewhere.path())
        .env_remove("HARBOUR_RULES")
        .env("HARBOUR_LOG", "warn")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run));
    assert!(text(&run).contains(", 0 failed"), "{}", text(&run));
}

#[test]
fn a_changed_threshold_names_the_rule_and_example_it_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let rules = copy_of_rules(dir.path());
    edit(
        &rules.join("missing-episodes.toml"),
        "at_least = 2",
        "at_least = 3",
    );
    let run = harbour(&["rules", "test", rules.to_str().unwrap()]);
    assert!(!run.status.success());
    let said = text(&run);
    assert!(said.contains("missing-episodes.toml:"), "{said}");
    assert!(
        said.contains("a second episode within 90 days fires"),
        "{said}"
    );
    assert!(said.contains("(rules: missing-episodes)"), "{said}");
}

#[test]
fn a_broken_rule_file_is_refused_with_file_and_line_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let rules = copy_of_rules(dir.path());
    edit(
        &rules.join("permanent-exclusion.toml"),
        "event = \"permanent_exclusion\"",
        "event = \"expelled\"",
    );
    let run = harbour(&["rules", "test", rules.to_str().unwrap()]);
    assert!(!run.status.success());
    let said = text(&run);
    assert!(said.contains("permanent-exclusion.toml:19:"), "{said}");
    assert!(
        said.contains("\"expelled\" is not a known event kind"),
        "{said}"
    );

    let county = dir.path().join("county");
    let synth = harbour(&[
        "synth",
        "--children",
        "200",
        "--seed",
        "3",
        "--out",
        county.to_str().unwrap(),
    ]);
    assert!(synth.status.success(), "{}", text(&synth));
    let data = dir.path().join("data");
    let import = harbour(&[
        "import",
        "--data-dir",
        data.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--manifest",
        county.join("manifest.json").to_str().unwrap(),
    ]);
    assert!(!import.status.success());
    assert!(
        text(&import).contains("no rules were loaded"),
        "{}",
        text(&import)
    );
    assert!(
        !data.exists(),
        "the import stopped before opening the store"
    );
}

#[test]
fn rules_run_replay_and_evaluate_on_a_synthetic_county() {
    let dir = tempfile::tempdir().unwrap();
    let county = dir.path().join("county");
    let synth = harbour(&[
        "synth",
        "--children",
        "3000",
        "--seed",
        "5",
        "--out",
        county.to_str().unwrap(),
    ]);
    assert!(synth.status.success(), "{}", text(&synth));
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let import = harbour(&[
        "import",
        "--data-dir",
        data,
        "--json",
        "--manifest",
        county.join("manifest.json").to_str().unwrap(),
    ]);
    assert!(import.status.success(), "{}", text(&import));
    let imported: serde_json::Value = serde_json::from_slice(&import.stdout).unwrap();
    assert!(
        imported["rules"]["persons_evaluated"].as_u64().unwrap() > 2000,
        "{imported}"
    );

    let run = harbour(&["rules", "run", "--data-dir", data, "--json"]);
    assert!(run.status.success(), "{}", text(&run));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        report["persons_evaluated"], imported["rules"]["persons_evaluated"],
        "{report}"
    );
    assert_eq!(
        report["alerts_raised"], 0,
        "the import already raised them: {report}"
    );
    assert!(report["firings"].as_u64().unwrap() > 1000, "{report}");

    let changed = harbour(&["rules", "run", "--changed", "--data-dir", data, "--json"]);
    let changed: serde_json::Value = serde_json::from_slice(&changed.stdout).unwrap();
    assert_eq!(changed["persons_evaluated"], 0, "{changed}");

    let evaluate = harbour(&[
        "rules",
        "evaluate",
        "--data-dir",
        data,
        "--json",
        "--truth",
        county.join("truth.csv").to_str().unwrap(),
    ]);
    assert!(evaluate.status.success(), "{}", text(&evaluate));
    let scores: serde_json::Value = serde_json::from_slice(&evaluate.stdout).unwrap();
    assert!(scores["children"].as_u64().unwrap() > 2500, "{scores}");
    let share = scores["share_children_with_compound_alert"]
        .as_f64()
        .unwrap();
    assert!(share > 0.0 && share <= 0.03, "{scores}");
    assert!(
        scores["by_rule"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule"] == "persistent-absence"),
        "{scores}"
    );

    // An operator finds a child's id by UPN, then replays them; every date in the JSON is
    // ISO 8601 text ("2018-11-17"), never time's default tuple ([2018, 321]).
    let roll = std::fs::read_dir(county.join("feeds"))
        .unwrap()
        .flat_map(|agency| std::fs::read_dir(agency.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .find(|p| p.file_name().unwrap() == "school_attendance.csv")
        .unwrap();
    let mut rows = csv::Reader::from_path(&roll).unwrap();
    let upn_column = rows
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "upn")
        .unwrap();
    let upn = rows
        .records()
        .map(|r| r.unwrap()[upn_column].to_owned())
        .find(|u| !u.is_empty())
        .unwrap();
    let found = harbour(&["person", "find", "--data-dir", data, &upn, "--json"]);
    assert!(found.status.success(), "{}", text(&found));
    let person: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&found.stdout)
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let id = person["id"].as_str().unwrap().to_owned();
    let table = harbour(&["person", "find", "--data-dir", data, &upn]);
    assert!(text(&table).contains(&id), "{}", text(&table));
    // A replay is credited to the member of staff who runs it (issue 14, point 22), so the
    // data-protection officer sees who replayed which child: without `--by` it is refused.
    let anonymous = harbour(&["rules", "replay", "--data-dir", data, "--person", &id]);
    assert!(!anonymous.status.success(), "{}", text(&anonymous));
    assert!(text(&anonymous).contains("--by"), "{}", text(&anonymous));
    let made = harbour(&[
        "agency",
        "add",
        "--data-dir",
        data,
        "--code",
        "safeguarding",
        "--name",
        "Safeguarding team",
        "--kind",
        "local_authority",
    ]);
    assert!(made.status.success(), "{}", text(&made));
    let made = harbour_with_input(
        &[
            "user",
            "add",
            "--data-dir",
            data,
            "--agency",
            "safeguarding",
            "--role",
            "social_worker",
            "--email",
            "reviewer@la.example",
            "--name",
            "Rhea Reviewer",
        ],
        "lantern orbit meadow quietly\n",
    );
    assert!(made.status.success(), "{}", text(&made));
    let stranger = harbour(&[
        "rules",
        "replay",
        "--data-dir",
        data,
        "--person",
        &id,
        "--by",
        "nobody@la.example",
    ]);
    assert!(!stranger.status.success(), "{}", text(&stranger));
    assert!(
        text(&stranger).contains("nobody@la.example"),
        "{}",
        text(&stranger)
    );
    let replay = harbour(&[
        "rules",
        "replay",
        "--data-dir",
        data,
        "--person",
        &id,
        "--by",
        "reviewer@la.example",
        "--json",
    ]);
    assert!(replay.status.success(), "{}", text(&replay));
    let credited = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let db = Path::new(data).join("harbour.sqlite3");
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        let rows: Vec<(Option<String>,)> = sqlx::query_as(
            "SELECT u.email FROM audit a LEFT JOIN users u ON u.id = a.user_id \
             WHERE a.action = 'replay_rules' AND a.outcome = 'allowed'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        rows
    });
    assert_eq!(
        credited,
        [(Some("reviewer@la.example".to_owned()),)],
        "the replay's audit entry names who ran it"
    );
    let replay: serde_json::Value = serde_json::from_slice(&replay.stdout).unwrap();
    let iso = |value: &serde_json::Value| {
        value.as_str().is_some_and(|d| {
            d.len() == 10
                && time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                    .is_ok()
        })
    };
    assert!(iso(&replay["until"]), "until: {}", replay["until"]);
    assert!(
        replay["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| iso(&e["on"])),
        "{replay}"
    );
    if let Some(born) = replay.get("born").filter(|b| !b.is_null()) {
        assert!(iso(born), "born: {born}");
    }

    let missing = harbour(&[
        "rules",
        "replay",
        "--data-dir",
        data,
        "--person",
        "00000000-0000-0000-0000-000000000000",
        "--by",
        "reviewer@la.example",
    ]);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("no person"), "{}", text(&missing));
}
