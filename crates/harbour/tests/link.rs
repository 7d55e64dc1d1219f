//! `harbour link dedupe` as an analyst uses it: a synthetic county's list of people in,
//! clusters out, scored against the truth; and a malformed list refused with its line and
//! column.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use std::process::{Command, Output};

fn harbour(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harbour"))
        .args(args)
        .env("HARBOUR_LOG", "warn")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn dedupe_links_a_synthetic_county_with_precision_first() {
    let dir = tempfile::tempdir().unwrap();
    let county = dir.path().join("county");
    let synth = harbour(&[
        "synth",
        "--children",
        "4000",
        "--seed",
        "7",
        "--out",
        county.to_str().unwrap(),
    ]);
    assert!(synth.status.success(), "{}", text(&synth));
    let input = county.join("identities.csv");
    let output = dir.path().join("clusters.csv");
    let candidates = dir.path().join("candidates.csv");
    let run = harbour(&[
        "link",
        "dedupe",
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
        "--candidates",
        candidates.to_str().unwrap(),
        "--json",
    ]);
    assert!(run.status.success(), "{}", text(&run));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let precision = report["precision"].as_f64().unwrap();
    let recall = report["recall"].as_f64().unwrap();
    let f1 = report["f1"].as_f64().unwrap();
    assert!(precision >= 0.995, "precision {precision}: {report}");
    assert!(f1 >= 0.99, "F1 {f1} (recall {recall}): {report}");

    // One output row per input row, every id once.
    let written = std::fs::read_to_string(&output).unwrap();
    let rows: Vec<&str> = written.lines().collect();
    let records = report["records"].as_u64().unwrap() as usize;
    assert_eq!(rows[0], "id,cluster");
    assert_eq!(rows.len(), records + 1);
    let clusters: std::collections::HashSet<&str> = rows[1..]
        .iter()
        .map(|r| r.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(clusters.len() as u64, report["clusters"].as_u64().unwrap());

    // Blocking's own figure: the share of true pairs that became candidates, from the
    // cluster column (used only to score), and the candidate pairs themselves, by id.
    let completeness = report["pair_completeness"]["completeness"]
        .as_f64()
        .unwrap();
    assert!(completeness >= recall, "{completeness} < recall {recall}");
    assert!(completeness > 0.99, "{report}");
    let pairs = std::fs::read_to_string(&candidates).unwrap();
    let pairs: Vec<&str> = pairs.lines().collect();
    assert_eq!(pairs[0], "id_a,id_b");
    assert_eq!(
        pairs.len() as u64 - 1,
        report["candidate_pairs"].as_u64().unwrap()
    );
    let ids: std::collections::HashSet<&str> = rows[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap())
        .collect();
    assert!(pairs[1..].iter().all(|p| {
        let (a, b) = p.split_once(',').unwrap();
        a != b && ids.contains(a) && ids.contains(b)
    }));
}

#[test]
fn a_malformed_list_is_refused_naming_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.csv");
    std::fs::write(&input, "id,given_name,family_name,dob,sex\n1,Amy,Hart,,F\n").unwrap();
    let run = harbour(&["link", "dedupe", "--input", input.to_str().unwrap()]);
    assert!(!run.status.success());
    let said = text(&run);
    assert!(
        said.contains("line 1") && said.contains("\"postcode\""),
        "{said}"
    );
    assert!(
        !dir.path().join("people-clusters.csv").exists(),
        "nothing written for a refused file"
    );

    let mut bytes = b"id,given_name,family_name,dob,sex,postcode\n1,Amy,Hart,,F,\n2,".to_vec();
    bytes.extend_from_slice(&[0xc3, 0x28]);
    bytes.extend_from_slice(b",Hart,,F,\n");
    std::fs::write(&input, bytes).unwrap();
    let said = text(&harbour(&[
        "link",
        "dedupe",
        "--input",
        input.to_str().unwrap(),
    ]));
    assert!(
        said.contains("line 3") && said.contains("given_name"),
        "{said}"
    );
}

fn harbour_in(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--data-dir", dir.to_str().unwrap(), "--json"]);
    let run = harbour(&all);
    assert!(run.status.success(), "{}", text(&run));
    serde_json::from_slice(&run.stdout).unwrap_or_else(|_| panic!("{}", text(&run)))
}

#[test]
fn imports_link_new_records_to_people_already_known() {
    let dir = tempfile::tempdir().unwrap();
    let county = dir.path().join("county");
    let synth = harbour(&[
        "synth",
        "--children",
        "1500",
        "--seed",
        "11",
        "--out",
        county.to_str().unwrap(),
    ]);
    assert!(synth.status.success(), "{}", text(&synth));
    // Everything but the police first: the first import links everyone and learns the model.
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(county.join("manifest.json")).unwrap())
            .unwrap();
    manifest["feeds"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["agency"] != "police");
    let partial = county.join("partial.json");
    std::fs::write(&partial, manifest.to_string()).unwrap();
    let data = dir.path().join("data");
    let first = harbour_in(&data, &["import", "--manifest", partial.to_str().unwrap()]);
    assert_eq!(first["linked"]["full"], true, "{first}");

    // Then the police, who hold no UPN or NHS number: each record is placed by name, date of
    // birth and address among the people already known, without re-linking everyone.
    let police = county.join("feeds/police/police.csv");
    let second = harbour_in(
        &data,
        &[
            "import",
            "--agency",
            "police",
            "--feed",
            "police",
            police.to_str().unwrap(),
        ],
    );
    let linked = &second["linked"];
    assert_eq!(linked["full"], false, "{second}");
    assert!(
        linked["moved"].as_u64().unwrap() > linked["records"].as_u64().unwrap() / 2,
        "{second}"
    );

    let truth = county.join("truth.csv");
    let as_is = harbour_in(
        &data,
        &["link", "--evaluate", truth.to_str().unwrap(), "--as-is"],
    );
    assert!(as_is["precision"].as_f64().unwrap() >= 0.995, "{as_is}");
    assert!(as_is["f1"].as_f64().unwrap() >= 0.99, "{as_is}");

    // A full re-link agrees and keeps people's ids: nobody moves.
    let full = harbour_in(&data, &["link", "--evaluate", truth.to_str().unwrap()]);
    assert!(full["f1"].as_f64().unwrap() >= 0.99, "{full}");
    let again = harbour_in(&data, &["link"]);
    assert_eq!(again["moved"], 0, "{again}");
}
