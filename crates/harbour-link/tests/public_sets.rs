//! Regression tests on the independent test bed: each public set and each noise level of the
//! second generator, at the F1 this engine reached on it (BENCHMARKS.md, "Holding apart on
//! evidence"), less a point, with precision at least 0.99, mixed clusters at most 0.5%, and
//! pair completeness at least 0.995 (BENCHMARKS.md, "Linkage at a county's scale"), except on
//! childgen's high noise, where the true pairs blocking misses share nothing to find them by
//! and it is held at the 0.98 reached.
//!
//! The sets are not in the repository (FEBRL and pseudopeople come from their own packages,
//! the second generator is Python), so these tests are ignored by default. CI (`.ci/run`)
//! makes the three childgen sets and runs their tests; the public sets, which need
//! bench/.venv (788 MB), are run by hand:
//!
//! ```sh
//! python3 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements.txt
//! bench/.venv/bin/python bench/datasets.py
//! for n in low medium high; do
//!   python3 bench/childgen.py --children 4000 --seed 7 --noise $n --out bench/work/data/childgen-$n.csv
//! done
//! cargo test --release -p harbour-link --test public_sets -- --ignored
//! ```
//!
//! A set that is missing fails its test with the command that makes it.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

use harbour_link::evaluate::{pair_completeness, score};
use harbour_link::{Record, Settings, link};
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../bench/work/data")
        .join(format!("{name}.csv"))
}

/// The set's records (as `harbour link dedupe` reads them) and its true person per record.
fn read(name: &str) -> (Vec<Record>, Vec<String>) {
    let path = data(name);
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}. Make the test bed first (see this file's header: bench/datasets.py, \
             bench/childgen.py)",
            path.display()
        )
    });
    let head = reader.headers().unwrap().clone();
    let at = |n: &str| head.iter().position(|h| h == n).unwrap();
    let (g, f, d, s, p, u, n, c) = (
        at("given_name"),
        at("family_name"),
        at("dob"),
        at("sex"),
        at("postcode"),
        at("upn"),
        at("nhs_number"),
        at("cluster"),
    );
    let (mut records, mut truth) = (Vec::new(), Vec::new());
    for row in reader.records() {
        let row = row.unwrap();
        let opt = |i: usize| Some(row[i].to_owned()).filter(|v| !v.is_empty());
        records.push(Record {
            given_name: row[g].to_owned(),
            family_name: row[f].to_owned(),
            date_of_birth: time::Date::parse(
                &row[d],
                &time::format_description::well_known::Iso8601::DATE,
            )
            .ok(),
            sex: opt(s),
            postcode: row[p].to_owned(),
            upn: opt(u),
            nhs_number: opt(n),
            aliases: Vec::new(),
        });
        truth.push(row[c].to_owned());
    }
    (records, truth)
}

fn holds(name: &str, achieved_f1: f64, completeness: f64) {
    let (records, truth) = read(name);
    let settings = Settings {
        keep_candidates: true,
        ..Settings::default()
    };
    let linkage = link(&records, &settings, &[]);
    let blocking = pair_completeness(&linkage.candidates, &truth);
    let s = score(&linkage.clusters, &truth);
    let mixed = s.mixed_clusters as f64 / s.predicted_clusters.max(1) as f64;
    eprintln!(
        "{name}: precision {:.4} recall {:.4} F1 {:.4} mixed {:.4} review {} pair completeness \
         {:.4}",
        s.precision,
        s.recall,
        s.f1,
        mixed,
        linkage.review.len(),
        blocking.completeness
    );
    assert!(s.f1 >= achieved_f1 - 0.01, "{name}: F1 {:.4}", s.f1);
    assert!(s.precision >= 0.99, "{name}: precision {:.4}", s.precision);
    assert!(mixed <= 0.005, "{name}: mixed clusters {mixed:.4}");
    assert!(
        blocking.completeness >= completeness,
        "{name}: pair completeness {:.4}",
        blocking.completeness
    );
}

#[test]
#[ignore = "needs bench/work/data (see the file's header)"]
fn febrl1() {
    holds("febrl1", 0.954, 0.995);
}

#[test]
#[ignore = "needs bench/work/data (see the file's header)"]
fn febrl2() {
    holds("febrl2", 0.944, 0.995);
}

#[test]
#[ignore = "needs bench/work/data (see the file's header)"]
fn febrl3() {
    holds("febrl3", 0.934, 0.995);
}

#[test]
#[ignore = "needs bench/work/data (see the file's header)"]
fn febrl4() {
    holds("febrl4", 0.953, 0.995);
}

#[test]
#[ignore = "needs bench/work/data (see the file's header)"]
fn pseudopeople() {
    holds("pseudopeople", 0.890, 0.995);
}

#[test]
#[ignore = "needs bench/work/data (see the file's header)"]
fn childgen_low() {
    holds("childgen-low", 0.983, 0.995);
}

#[test]
#[ignore = "needs bench/work/data (see the file's header)"]
fn childgen_medium() {
    holds("childgen-medium", 0.958, 0.995);
}

#[test]
#[ignore = "needs bench/work/data (see the file's header)"]
fn childgen_high() {
    holds("childgen-high", 0.871, 0.98);
}
