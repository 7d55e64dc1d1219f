//! Prints what the model learnt on a `link dedupe` CSV with a truth column, and where it goes
//! wrong: λ, m and u per field and level, the reliability table over every candidate pair,
//! and the highest-scoring pairs of different people with each field's weight.
//! `cargo run --release -p harbour-link --example calib_diag -- RULES FILE.csv [N]`
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
use harbour_link::compare::Field;
use harbour_link::evaluate::{BIN_EDGES, reliability, score};
use harbour_link::{Prepared, Record, Settings, link};
fn fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let linking: usize = args[1].parse().unwrap();
    let path = &args[2];
    let show: usize = args.get(3).map_or(15, |n| n.parse().unwrap());
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let head = fields(lines.next().unwrap());
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
    for line in lines {
        let v = fields(line);
        let dob =
            time::Date::parse(&v[d], &time::format_description::well_known::Iso8601::DATE).ok();
        let opt = |x: &str| (!x.is_empty()).then(|| x.to_owned());
        records.push(Record {
            given_name: v[g].clone(),
            family_name: v[f].clone(),
            date_of_birth: dob,
            sex: opt(&v[s]),
            postcode: v[p].clone(),
            upn: opt(&v[u]),
            nhs_number: opt(&v[n]),
            aliases: Vec::new(),
        });
        truth.push(v[c].clone());
    }
    let settings = Settings {
        linking_rules: linking,
        keep_candidates: true,
        ..Settings::default()
    };
    let l = link(&records, &settings, &[]);
    let sc = score(&l.clusters, &truth);
    println!(
        "{path}: P {:.4} R {:.4} F1 {:.4} mixed {} review {}",
        sc.precision,
        sc.recall,
        sc.f1,
        sc.mixed_clusters,
        l.review.len()
    );
    let completeness = harbour_link::evaluate::pair_completeness(&l.candidates, &truth);
    let table = reliability(
        &l.candidates,
        &l.candidate_probabilities,
        &truth,
        &BIN_EDGES,
    );
    // One line for tables: the figures suite.py reports, from the library alone.
    println!(
        "JSON {}",
        serde_json::json!({
            "set": path, "records": sc.records, "precision": sc.precision, "recall": sc.recall,
            "f1": sc.f1, "mixed_clusters": sc.mixed_clusters,
            "predicted_clusters": sc.predicted_clusters,
            "mixed_share": sc.mixed_clusters as f64 / sc.predicted_clusters.max(1) as f64,
            "review_pairs": l.review.len(), "pair_completeness": completeness.completeness,
            "candidate_pairs": l.stats.candidate_pairs, "reliability": table,
        })
    );
    let model = &l.scorer.model;
    println!("lambda {:.5}", model.lambda);
    for field in Field::ALL {
        let i = field.index();
        let row: Vec<String> = field
            .levels()
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let (m, u) = (model.m[i][k], model.u[i][k]);
                format!("{name}: m {m:.4} u {u:.5} w {:+.1}", (m / u).log2())
            })
            .collect();
        println!("  {:14} {}", field.label(), row.join(" | "));
    }
    let table = reliability(
        &l.candidates,
        &l.candidate_probabilities,
        &truth,
        &BIN_EDGES,
    );
    println!("calibration error {:.4}", table.calibration_error);
    for b in &table.bins {
        println!(
            "  [{:.3}, {:.3}) pairs {:7} matches {:7} predicted {:.4} observed {:.4}",
            b.from, b.to, b.pairs, b.matches, b.predicted, b.observed
        );
    }
    let prepared: Vec<Prepared> = records.iter().map(Prepared::new).collect();
    let mut wrong: Vec<(f64, u32, u32)> = l
        .candidates
        .iter()
        .zip(&l.candidate_probabilities)
        .filter(|((a, b), _)| truth[*a as usize] != truth[*b as usize])
        .map(|((a, b), p)| (*p, *a, *b))
        .collect();
    wrong.sort_by(|x, y| y.0.total_cmp(&x.0));
    println!(
        "different people scored >= 0.99: {}",
        wrong.iter().filter(|w| w.0 >= 0.99).count()
    );
    for (p, a, b) in wrong.iter().take(show) {
        let (ra, rb) = (&records[*a as usize], &records[*b as usize]);
        let e = l
            .scorer
            .explain(&prepared[*a as usize], &prepared[*b as usize]);
        let parts: Vec<String> = e
            .fields
            .iter()
            .map(|f| format!("{}={:+.1}", f.field, f.weight))
            .collect();
        println!(
            "  p {p:.4} prior {:+.1} | {} {} {:?} {} | {} {} {:?} {} | {}",
            e.prior,
            ra.given_name,
            ra.family_name,
            ra.date_of_birth.map(|d| d.to_string()),
            ra.postcode,
            rb.given_name,
            rb.family_name,
            rb.date_of_birth.map(|d| d.to_string()),
            rb.postcode,
            parts.join(" ")
        );
    }
}
