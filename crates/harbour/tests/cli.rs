//! The harbour command as an administrator uses it: set up an authority, an agency and a
//! member of staff, verify the audit, then catch a row edited by hand.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn harbour(dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("HARBOUR_LOG", "warn")
        .env_remove("HARBOUR_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
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

#[test]
fn an_administrator_sets_up_staff_and_the_audit_catches_a_hand_edit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ok = |output: Output| {
        assert!(output.status.success(), "{}", text(&output));
        text(&output)
    };
    ok(harbour(
        &data,
        &[
            "tenant",
            "add",
            "--code",
            "845",
            "--name",
            "Test County Council",
        ],
        "",
    ));
    ok(harbour(
        &data,
        &[
            "agency",
            "add",
            "--code",
            "northgate",
            "--name",
            "Northgate Academy",
            "--kind",
            "school",
        ],
        "",
    ));
    // A special school is said to be one (the s.434A consent gate reads it); only a school.
    ok(harbour(
        &data,
        &[
            "agency",
            "add",
            "--code",
            "oakfield",
            "--name",
            "Oakfield Special School",
            "--kind",
            "school",
            "--special-school",
        ],
        "",
    ));
    let not_a_school = harbour(
        &data,
        &[
            "agency",
            "add",
            "--code",
            "clinic",
            "--name",
            "Clinic",
            "--kind",
            "health",
            "--special-school",
        ],
        "",
    );
    assert!(!not_a_school.status.success());
    assert!(text(&not_a_school).contains("--special-school"));

    let refused = harbour(
        &data,
        &[
            "user",
            "add",
            "--agency",
            "northgate",
            "--role",
            "school_dsl",
            "--email",
            "sam@northgate.example",
            "--name",
            "Sam",
        ],
        "short\n",
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("at least 12 characters"),
        "{}",
        text(&refused)
    );
    let unknown_role = harbour(
        &data,
        &[
            "user",
            "add",
            "--agency",
            "northgate",
            "--role",
            "caretaker",
            "--email",
            "x@northgate.example",
            "--name",
            "X",
        ],
        "lantern orbit meadow\n",
    );
    assert!(
        text(&unknown_role).contains("\"caretaker\" is not a known role"),
        "{}",
        text(&unknown_role)
    );

    let added = ok(harbour(
        &data,
        &[
            "user",
            "add",
            "--agency",
            "northgate",
            "--role",
            "school_dsl",
            "--email",
            "sam@northgate.example",
            "--name",
            "Sam Okafor",
        ],
        "lantern orbit meadow\n",
    ));
    assert!(added.contains("Added Sam Okafor"));
    let listed = ok(harbour(&data, &["user", "list"], ""));
    assert!(
        listed.contains("sam@northgate.example") && listed.contains("school_dsl"),
        "{listed}"
    );
    let token = ok(harbour(
        &data,
        &[
            "token",
            "add",
            "--agency",
            "northgate",
            "--label",
            "MIS export",
        ],
        "",
    ));
    assert!(token.contains("hbt_"), "{token}");
    ok(harbour(
        &data,
        &["user", "disable", "--email", "sam@northgate.example"],
        "",
    ));
    assert!(ok(harbour(&data, &["user", "list"], "")).contains("disabled"));

    // The lists print aligned columns under a header, or JSON lines with --json.
    let agencies = ok(harbour(&data, &["agency", "list"], ""));
    let mut lines = agencies.lines();
    let header = lines.next().unwrap();
    let row = lines.next().unwrap();
    assert!(header.starts_with("CODE"), "{agencies}");
    assert_eq!(
        header.find("KIND"),
        row.find("School"),
        "columns aligned: {agencies}"
    );
    for list in ["agency", "user", "token"] {
        let json = ok(harbour(&data, &[list, "list", "--json"], ""));
        let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap())
            .unwrap_or_else(|e| panic!("{list}: {e}: {json}"));
        assert!(first.is_object(), "{list}: {json}");
    }
    assert!(ok(harbour(&data, &["user", "list"], "")).contains("EMAIL"));
    assert!(ok(harbour(&data, &["token", "list"], "")).contains("MIS export"));

    let verified = ok(harbour(&data, &["audit", "verify"], ""));
    assert!(verified.contains("intact"), "{verified}");

    // Someone with the database file edits the third entry by hand.
    let db = data.join("harbour.sqlite3");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        sqlx::query("DROP TRIGGER audit_no_update")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("UPDATE audit SET purpose = 'nothing' WHERE seq = 3")
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let caught = harbour(&data, &["audit", "verify"], "");
    assert_eq!(caught.status.code(), Some(1));
    assert!(
        text(&caught).contains("broken at entry 3"),
        "{}",
        text(&caught)
    );
}

/// Kills the importer at several points part-way through (SIGKILL: no chance to tidy up),
/// runs it again to the end, and checks every row is stored exactly once and the store and
/// its audit are sound.
#[cfg(unix)]
#[test]
fn killing_the_importer_and_running_it_again_stores_every_row_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let county = dir.path().join("county");
    let data = dir.path().join("data");
    let synth = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(["synth", "--children", "4000", "--seed", "5", "--out"])
        .arg(&county)
        .output()
        .unwrap();
    assert!(synth.status.success(), "{}", text(&synth));
    let manifest = county.join("manifest.json");
    let import = |json: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_harbour"));
        command
            .args(["import", "--manifest"])
            .arg(&manifest)
            .arg("--data-dir")
            .arg(&data)
            .env("HARBOUR_LOG", "warn");
        if json {
            command.arg("--json");
        }
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command
    };
    for wait_ms in [150u64, 600, 1_400] {
        let mut child = import(false).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let finished = import(true).output().unwrap();
    assert!(finished.status.success(), "{}", text(&finished));
    let report: serde_json::Value = serde_json::from_slice(&finished.stdout).unwrap();

    let db = data.join("harbour.sqlite3");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display())).await.unwrap();
        let (events, distinct): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), (SELECT COUNT(*) FROM (SELECT DISTINCT agency_id, record_key FROM events)) FROM events",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(events, distinct, "an event stored twice");
        let read = report["read"].as_i64().unwrap();
        let rejected = report["rejected"].as_i64().unwrap();
        assert_eq!(events, read - rejected, "every valid row stored exactly once: {report}");
        let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check").fetch_one(&mut conn).await.unwrap();
        assert_eq!(check, "ok");
    });
    let verified = harbour(&data, &["audit", "verify"], "");
    assert!(verified.status.success(), "{}", text(&verified));
}

/// The first 3,000 bytes of a Common Transfer File: the import fails, naming the file and the
/// line where it stops, and stores nothing.
#[test]
fn a_truncated_common_transfer_file_fails_the_import_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ok = |output: Output| {
        assert!(output.status.success(), "{}", text(&output));
        text(&output)
    };
    ok(harbour(
        &data,
        &["tenant", "add", "--code", "845", "--name", "Test County"],
        "",
    ));
    ok(harbour(
        &data,
        &[
            "agency",
            "add",
            "--code",
            "northgate",
            "--name",
            "Northgate",
            "--kind",
            "school",
        ],
        "",
    ));
    let pupil = "  <Pupil>\n    <UPN>R201100018042</UPN>\n    <Surname>Mercer</Surname>\n    <Forename>Jayden</Forename>\n    <DOB>2009-05-14</DOB>\n    <SchoolHistory><School><LEA>999</LEA><Estab>4125</Estab><EntryDate>2020-09-03</EntryDate></School></SchoolHistory>\n  </Pupil>\n";
    let mut whole = String::from("<?xml version=\"1.0\"?>\n<CTfile>\n <CTFpupilData>\n");
    for _ in 0..40 {
        whole.push_str(pupil);
    }
    whole.push_str(" </CTFpupilData>\n</CTfile>\n");
    let cut = &whole[..3_000];
    let file = dir.path().join("northgate-ctf.xml");
    std::fs::write(&file, cut).unwrap();
    let import = harbour(
        &data,
        &[
            "import",
            "--agency",
            "northgate",
            "--feed",
            "school_ctf",
            file.to_str().unwrap(),
        ],
        "",
    );
    let said = text(&import);
    assert!(!import.status.success(), "exit code says it failed: {said}");
    let line = cut.lines().count();
    assert!(
        said.contains("northgate-ctf.xml") && said.contains(&format!("line {line}")),
        "names the file and the line: {said}"
    );
    assert!(said.contains("cut off"), "says what was wrong: {said}");
    let quarantine = ok(harbour(&data, &["quarantine", "list"], ""));
    assert!(quarantine.contains("0 rows waiting"), "{quarantine}");
    let db = data.join("harbour.sqlite3");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(events, 0, "nothing from the file stored");
    });
}

/// The first bytes of a school roll CSV, cut off part-way through a row: as with a cut-off
/// Common Transfer File, the import fails, naming the file and the line where it stops, and
/// stores nothing.
#[test]
fn a_truncated_csv_feed_fails_the_import_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ok = |output: Output| {
        assert!(output.status.success(), "{}", text(&output));
        text(&output)
    };
    ok(harbour(
        &data,
        &["tenant", "add", "--code", "845", "--name", "Test County"],
        "",
    ));
    ok(harbour(
        &data,
        &[
            "agency",
            "add",
            "--code",
            "northgate",
            "--name",
            "Northgate",
            "--kind",
            "school",
        ],
        "",
    ));
    let mut whole = String::from(
        "record_key,upn,given_name,family_name,date_of_birth,sex,postcode,event_key,type,date\n",
    );
    for n in 0..40 {
        whole.push_str(&format!(
            "P{n},,Jayden,Mercer,2009-05-14,M,BN7 2LD,P{n}-join,joined,2020-09-03\n"
        ));
    }
    // Cut part-way through a row (in its postcode): too few fields and no final newline.
    let cut = &whole[..whole.len() - 200];
    let cut = &cut[..cut.rfind("BN7").unwrap() + 2];
    let file = dir.path().join("northgate-roll.csv");
    std::fs::write(&file, cut).unwrap();
    let import = harbour(
        &data,
        &[
            "import",
            "--agency",
            "northgate",
            "--feed",
            "school_roll",
            file.to_str().unwrap(),
        ],
        "",
    );
    let said = text(&import);
    assert!(!import.status.success(), "exit code says it failed: {said}");
    let line = cut.lines().count();
    assert!(
        said.contains("northgate-roll.csv") && said.contains(&format!("line {line}")),
        "names the file and the line: {said}"
    );
    assert!(said.contains("cut off"), "says what was wrong: {said}");
    let quarantine = ok(harbour(&data, &["quarantine", "list"], ""));
    assert!(quarantine.contains("0 rows waiting"), "{quarantine}");
    let db = data.join("harbour.sqlite3");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(events, 0, "nothing from the file stored");
    });
}

/// `harbour import --manifest --tenant CODE` loads a synthetic county into an authority that
/// already exists: no second authority, the authority's own police force sends the police
/// feed, and the county's schools join it.
#[test]
fn a_synthetic_county_imports_into_an_existing_authority() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let county = dir.path().join("county");
    let ok = |output: Output| {
        assert!(output.status.success(), "{}", text(&output));
        text(&output)
    };
    ok(harbour(
        &data,
        &["tenant", "add", "--code", "845", "--name", "Test County"],
        "",
    ));
    ok(harbour(
        &data,
        &[
            "agency",
            "add",
            "--code",
            "our-police",
            "--name",
            "Our Police",
            "--kind",
            "police",
        ],
        "",
    ));
    let synth = Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(["synth", "--children", "300", "--seed", "3", "--out"])
        .arg(&county)
        .output()
        .unwrap();
    assert!(synth.status.success(), "{}", text(&synth));
    let manifest = county.join("manifest.json");
    ok(harbour(
        &data,
        &[
            "import",
            "--manifest",
            manifest.to_str().unwrap(),
            "--tenant",
            "845",
            "--json",
        ],
        "",
    ));
    // Sent again, without --json: one summary table by feed, not a line per file.
    let again = ok(harbour(
        &data,
        &[
            "import",
            "--manifest",
            manifest.to_str().unwrap(),
            "--tenant",
            "845",
        ],
        "",
    ));
    let files = std::fs::read_to_string(&manifest)
        .unwrap()
        .matches("\"file\"")
        .count();
    assert!(
        again.contains("FEED") && again.contains("ALREADY STORED"),
        "{again}"
    );
    assert!(
        again.lines().any(|l| l.starts_with("altogether")),
        "{again}"
    );
    assert!(
        !again.contains(".csv:"),
        "no per-file lines ({files} files): {again}"
    );
    // One authority still, so no --tenant is needed; the county's police feed came from ours.
    let agencies = ok(harbour(&data, &["agency", "list"], ""));
    assert_eq!(
        agencies.matches("police").count(),
        agencies.matches("our-police").count(),
        "no second police force: {agencies}"
    );
    let quarantine = ok(harbour(
        &data,
        &["quarantine", "list", "--agency", "our-police"],
        "",
    ));
    assert!(quarantine.contains("rows waiting"), "{quarantine}");
    // The import opened a register entry for each permanent exclusion; the report lists them
    // with their clocks and the figures, and says so as JSON.
    let report = ok(harbour(
        &data,
        &["report", "exclusions", "--on", "2026-09-01", "--json"],
        "",
    ));
    let register: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    let entries = register["entries"].as_array().unwrap();
    assert!(!entries.is_empty(), "{report}");
    assert!(entries[0]["assessment"]["day_six"]["due"].is_string());
    assert!(register["figures"]["on_register"].as_u64().is_some());
    let table = ok(harbour(&data, &["report", "exclusions"], ""));
    assert!(table.contains("On the register:"), "{table}");
    assert!(table.contains("DAY 6"), "{table}");
    // And the children not in school register: the county's EHE registrations and CME
    // episodes, opened by the same import.
    let report = ok(harbour(
        &data,
        &[
            "report",
            "children-not-in-school",
            "--on",
            "2026-09-01",
            "--json",
        ],
        "",
    ));
    let not_in_school: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    let ehe = not_in_school["home_education"].as_array().unwrap();
    let cme = not_in_school["missing_education"].as_array().unwrap();
    assert!(!ehe.is_empty() && !cme.is_empty(), "{report}");
    assert!(cme[0]["assessment"]["trace"]["due"].is_string());
    assert_eq!(
        not_in_school["figures"]["home_educated"].as_u64().unwrap() as usize,
        ehe.iter()
            .filter(|e| e["assessment"]["open"] == true)
            .count()
    );
    let table = ok(harbour(&data, &["report", "children-not-in-school"], ""));
    assert!(table.contains("Median days missing:"), "{table}");
    assert!(
        table.contains("MISSING SINCE") && table.contains("CONSENT"),
        "{table}"
    );
    // And the alternative-provision placements the county's feed reported, each timed from
    // the exclusion it followed.
    let report = ok(harbour(
        &data,
        &[
            "report",
            "alternative-provision",
            "--on",
            "2026-09-01",
            "--json",
        ],
        "",
    ));
    let placements: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    let placed = placements["entries"].as_array().unwrap();
    assert!(!placed.is_empty(), "{report}");
    assert_eq!(
        placements["pathway"]["placements"].as_u64().unwrap() as usize,
        placed.len()
    );
    assert!(
        placed
            .iter()
            .all(|e| e["assessment"]["days_from_exclusion"].as_i64().is_some()),
        "the county places children only after an exclusion: {report}"
    );
    let table = ok(harbour(&data, &["report", "alternative-provision"], ""));
    assert!(table.contains("Median days from exclusion:"), "{table}");
    assert!(table.contains("AFTER EXCLUSION"), "{table}");
    let bad = harbour(&data, &["report", "exclusions", "--on", "1 Sept"], "");
    assert!(!bad.status.success());
    assert!(text(&bad).contains("--on"), "{}", text(&bad));
    // The registers' settings come from registers.toml beside the rules: a council's own
    // review interval moves the next review; a bad value is refused naming its key.
    let rules = dir.path().join("council-rules");
    std::fs::create_dir_all(&rules).unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    for file in std::fs::read_dir(&shipped).unwrap() {
        let path = file.unwrap().path();
        std::fs::copy(&path, rules.join(path.file_name().unwrap())).unwrap();
    }
    let settings = rules.join("registers.toml");
    let shipped_text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        shipped_text.replace("review_every_weeks = 6", "review_every_weeks = 1"),
    )
    .unwrap();
    let rules_arg = rules.to_str().unwrap();
    let weekly = ok(harbour(
        &data,
        &[
            "report",
            "exclusions",
            "--on",
            "2026-09-01",
            "--json",
            "--rules",
            rules_arg,
        ],
        "",
    ));
    let weekly: serde_json::Value = serde_json::from_str(weekly.trim()).unwrap();
    let next_review = |register: &serde_json::Value| {
        register["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["assessment"]["next_review"].clone())
            .collect::<Vec<_>>()
    };
    assert_ne!(next_review(&weekly), next_review(&register));
    std::fs::write(
        &settings,
        shipped_text.replace("full_time_hours = 25", "full_time_hours = 99"),
    )
    .unwrap();
    let refused = harbour(&data, &["report", "exclusions", "--rules", rules_arg], "");
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("exclusions.full_time_hours"),
        "{}",
        text(&refused)
    );
    // The rules read the registers' clocks with the same file: a run with the bad one is
    // refused naming the key too.
    let refused = harbour(&data, &["rules", "run", "--rules", rules_arg], "");
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("exclusions.full_time_hours"),
        "{}",
        text(&refused)
    );
    // Issue 16 point 7: replaying an excluded child whose sixth school day passed without
    // full-time education shows the register's clock on the day after, with the alert.
    let missed = entries
        .iter()
        .find(|e| {
            let day_six = &e["assessment"]["day_six"];
            day_six["met_on"].is_null() || day_six["met_on"].as_str() > day_six["due"].as_str()
        })
        .unwrap_or_else(|| panic!("the county misses some day-6 clocks: {register}"));
    let person = missed["person"].as_str().unwrap();
    let council = agencies
        .lines()
        .find(|l| l.contains("Local authority"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap();
    ok(harbour(
        &data,
        &[
            "user",
            "add",
            "--agency",
            council,
            "--role",
            "la_inclusion_officer",
            "--email",
            "ina@council.example",
            "--name",
            "Ina Clusion",
        ],
        "a long enough password\n",
    ));
    let replay = ok(harbour(
        &data,
        &[
            "rules",
            "replay",
            "--person",
            person,
            "--by",
            "ina@council.example",
            "--json",
        ],
        "",
    ));
    let replay: serde_json::Value = serde_json::from_str(replay.trim()).unwrap();
    let clocks: Vec<&serde_json::Value> = replay["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "register_clock")
        .collect();
    assert!(!clocks.is_empty(), "{replay}");
    let fired = replay["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == "exclusion-no-provision-by-day-six")
        .unwrap_or_else(|| panic!("{replay}"));
    assert!(
        clocks.iter().any(|c| c["on"] == fired["on"]),
        "the alert falls on the clock's day: {replay}"
    );
    // And early identification is scored with the register rules among the others.
    let truth = county.join("truth.csv");
    let scored = ok(harbour(
        &data,
        &[
            "rules",
            "evaluate",
            "--truth",
            truth.to_str().unwrap(),
            "--json",
        ],
        "",
    ));
    assert!(
        scored.contains("exclusion-no-provision-by-day-six"),
        "{scored}"
    );
    let db = data.join("harbour.sqlite3");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        let (tenants,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tenants")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(tenants, 1, "imported into 845, not a new authority");
        let (police_events,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM events e JOIN agencies a ON a.id = e.agency_id WHERE a.code = 'our-police'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert!(police_events > 0, "the police feed was sent by our police");
    });
}
