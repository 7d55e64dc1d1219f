//! Links a `link dedupe` CSV with the first N blocking rules allowed to link, and prints the
//! scores: for trying settings in seconds with a release build of this crate alone
//! (`cargo run --release -p harbour-link --example dedupe_eval -- 8 FILE.csv…`), rather than
//! rebuilding the whole binary. How `Settings::linking_rules` was chosen (BENCHMARKS.md).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
use harbour_link::{Record, Settings, link};
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
    for path in &args[2..] {
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
            ..Settings::default()
        };
        let l = link(&records, &settings, &[]);
        let sc = harbour_link::evaluate::score(&l.clusters, &truth);
        println!(
            "{path}: P {:.4} R {:.4} F1 {:.4} mixed {} review {}",
            sc.precision,
            sc.recall,
            sc.f1,
            sc.mixed_clusters,
            l.review.len()
        );
    }
}
