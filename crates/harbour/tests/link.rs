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
    let run = harbour(&[
        "link",
        "dedupe",
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
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
