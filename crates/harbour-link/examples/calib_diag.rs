//! Prints what the model learnt on a `link dedupe` CSV with a truth column, and where it goes
//! wrong: λ, m and u per field and level, the reliability table over every candidate pair,
//! and the highest-scoring pairs of different people with each field's weight.
//! Then where recall goes: the true pairs compared but not linked by comparison pattern, the
//! twin-like pairs by how alike their given names are, and what held apart the clusters of
//! one child that did not join.
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
    eprintln!("seconds by step: {:?}", l.stats.seconds_by_step);
    let sc = score(&l.clusters, &truth);
    println!(
        "{path}: P {:.4} R {:.4} F1 {:.4} mixed {} review {} twins {:?} from {:.0} pairs: share {:.3}",
        sc.precision,
        sc.recall,
        sc.f1,
        sc.mixed_clusters,
        l.review.len(),
        l.stats.twin_evidence,
        l.stats.twin_pairs,
        l.stats.twin_share,
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
    // True pairs that were compared but end in different clusters, by comparison pattern:
    // where recall goes.
    let mut missed: std::collections::HashMap<String, (usize, f64)> = Default::default();
    for ((a, b), p) in l.candidates.iter().zip(&l.candidate_probabilities) {
        let (a, b) = (*a as usize, *b as usize);
        if truth[a] != truth[b] || l.clusters[a] == l.clusters[b] {
            continue;
        }
        let pattern = harbour_link::compare::compare(&prepared[a], &prepared[b]);
        let key: Vec<String> = Field::ALL
            .iter()
            .map(|f| {
                pattern
                    .level(*f)
                    .map_or("-".to_owned(), |k| f.levels()[k].to_owned())
            })
            .collect();
        let slot = missed.entry(key.join(" / ")).or_default();
        slot.0 += 1;
        slot.1 += p;
    }
    let mut missed: Vec<_> = missed.into_iter().collect();
    missed.sort_by_key(|m| std::cmp::Reverse(m.1.0));
    println!(
        "true pairs compared but not linked: {}",
        missed.iter().map(|m| m.1.0).sum::<usize>()
    );
    for (key, (n, p)) in missed.iter().take(show) {
        println!("  {n:6}  mean p {:.3}  {key}", p / *n as f64);
    }
    // Twin-like pairs that the fields alone would link: how many are one child?
    let (mut same, mut all, mut sex_known, mut sex_differs) = (0usize, 0usize, 0usize, 0usize);
    let (mut ids, mut ids_same) = (0usize, 0usize);
    let mut by_jw: std::collections::BTreeMap<usize, (usize, usize)> = Default::default();
    let fields_only = harbour_link::score::Scorer::new(
        harbour_link::model::Model {
            twin_share: 1.0,
            ..l.scorer.model.clone()
        },
        l.scorer.tf.clone(),
    );
    let (mut mass, mut mass_differ, mut mass_twins) = (0.0, 0.0, 0.0);
    for (a, b) in &l.candidates {
        let (a, b) = (*a as usize, *b as usize);
        let pattern = harbour_link::compare::compare(&prepared[a], &prepared[b]);
        if harbour_link::score::twin_like(pattern)
            && let Some(sex) = pattern.level(Field::Sex)
        {
            let mut levels = pattern.levels();
            levels[4] = None;
            let p = harbour_link::score::probability(fields_only.weight(
                &prepared[a],
                harbour_link::compare::Pattern::from_levels(levels),
            ));
            mass += p;
            if sex != 0 {
                mass_differ += p;
            }
            if truth[a] != truth[b] {
                mass_twins += p;
            }
        }
        let mut levels = pattern.levels();
        let had_ids = levels[5].is_some() || levels[6].is_some();
        levels[5] = None;
        levels[6] = None;
        let bare = harbour_link::compare::Pattern::from_levels(levels);
        if !harbour_link::score::twin_like(bare) {
            continue;
        }
        let w = fields_only.weight(&prepared[a], bare);
        if harbour_link::score::probability(w) < 0.99 {
            continue;
        }
        all += 1;
        let is_same = truth[a] == truth[b];
        let jw = harbour_link::compare::jaro_winkler(&prepared[a].given, &prepared[b].given);
        let sound = harbour_link::blocking::sound(&prepared[a].given).is_some()
            && harbour_link::blocking::sound(&prepared[a].given)
                == harbour_link::blocking::sound(&prepared[b].given);
        let bucket = if sound { 9 } else { (jw * 10.0) as usize };
        let slot = by_jw.entry(bucket).or_insert((0usize, 0usize));
        slot.0 += 1;
        slot.1 += usize::from(is_same);
        same += usize::from(is_same);
        if had_ids {
            ids += 1;
            ids_same += usize::from(is_same);
        }
        if let Some(sex) = pattern.level(Field::Sex) {
            sex_known += 1;
            sex_differs += usize::from(sex != 0);
        }
    }
    println!(
        "twin-like pairs the fields would link: {all}, one child {same} ({:.3}); with ids {ids}, one child {ids_same}; sex known {sex_known}, differs {sex_differs}",
        same as f64 / all.max(1) as f64
    );
    for (bucket, (n, same)) in &by_jw {
        println!(
            "  given JW {} : {n} pairs, {same} one child",
            if *bucket == 9 {
                "same sound".to_owned()
            } else {
                format!("{:.1}", *bucket as f64 / 10.0)
            }
        );
    }
    println!(
        "sexed twin-like mass {mass:.1}, sexes differ {mass_differ:.1}, different children {mass_twins:.1}; m(sex differs) {:.6}",
        l.scorer.model.m[4][1]
    );
    // Why true pairs the score would link end apart: the pair across their two clusters that
    // holds them apart.
    let mut members: std::collections::HashMap<u32, Vec<usize>> = Default::default();
    for (i, c) in l.clusters.iter().enumerate() {
        members.entry(*c).or_default().push(i);
    }
    let mut reasons: std::collections::HashMap<String, usize> = Default::default();
    let mut seen = std::collections::HashSet::new();
    for ((a, b), p) in l.candidates.iter().zip(&l.candidate_probabilities) {
        let (a, b) = (*a as usize, *b as usize);
        if truth[a] != truth[b] || l.clusters[a] == l.clusters[b] || *p < 0.99 {
            continue;
        }
        let (ca, cb) = (
            l.clusters[a].min(l.clusters[b]),
            l.clusters[a].max(l.clusters[b]),
        );
        if !seen.insert((ca, cb)) {
            continue;
        }
        let mut why = "no pair holds apart".to_owned();
        'find: for &x in &members[&ca] {
            for &y in &members[&cb] {
                let pattern = harbour_link::compare::compare(&prepared[x], &prepared[y]);
                let w = l.scorer.weight(&prepared[x], pattern);
                if harbour_link::score::held_apart(pattern, w) {
                    let kind = if harbour_link::score::conflicting(pattern) {
                        "conflicting ids"
                    } else {
                        "different given names"
                    };
                    let cluster_mix = |c: u32| {
                        let t: std::collections::HashSet<&String> =
                            members[&c].iter().map(|i| &truth[*i]).collect();
                        t.len()
                    };
                    why = format!(
                        "{kind}, pair is {} (mixed clusters: {}/{})",
                        if truth[x] == truth[y] {
                            "one child"
                        } else {
                            "two children"
                        },
                        cluster_mix(ca) > 1,
                        cluster_mix(cb) > 1
                    );
                    break 'find;
                }
            }
        }
        *reasons.entry(why).or_default() += 1;
    }
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
    println!("cluster pairs a sure true pair did not join, by what held them apart:");
    for (why, n) in reasons {
        println!("  {n:5}  {why}");
    }
    // How mixed clusters came about: for each, the strongest tie between records of two
    // different children inside it.
    let mut how: std::collections::HashMap<&'static str, usize> = Default::default();
    for ids in members.values() {
        let children: std::collections::HashSet<&String> = ids.iter().map(|i| &truth[*i]).collect();
        if children.len() < 2 {
            continue;
        }
        let mut best = "chained through others";
        'pairs: for (k, &x) in ids.iter().enumerate() {
            for &y in &ids[k + 1..] {
                if truth[x] == truth[y] {
                    continue;
                }
                let (a, b) = (&prepared[x], &prepared[y]);
                if (a.verified_upn && b.verified_upn && a.upn == b.upn)
                    || (a.verified_nhs && b.verified_nhs && a.nhs_number == b.nhs_number)
                {
                    let pattern = harbour_link::compare::compare(a, b);
                    best = match (
                        pattern.level(Field::GivenName),
                        pattern.level(Field::DateOfBirth),
                    ) {
                        (Some(6), Some(4)) => "a shared identifier, given name and birthday differ",
                        (Some(6), _) => "a shared identifier, given name differs, birthday near",
                        _ => "a shared identifier, names alike",
                    };
                    break 'pairs;
                }
                let pattern = harbour_link::compare::compare(a, b);
                if harbour_link::score::probability(l.scorer.weight(a, pattern)) >= 0.99 {
                    best = "a direct link scoring 0.99 or more";
                }
            }
        }
        *how.entry(best).or_default() += 1;
    }
    println!("mixed clusters by how they formed:");
    for (why, n) in how {
        println!("  {n:5}  {why}");
    }
    // True pairs blocking never made, by pattern: what the rules miss.
    let compared: std::collections::HashSet<(u32, u32)> = l
        .candidates
        .iter()
        .map(|(a, b)| (*a.min(b), *a.max(b)))
        .collect();
    let mut by_child: std::collections::HashMap<&String, Vec<usize>> = Default::default();
    for (i, t) in truth.iter().enumerate() {
        by_child.entry(t).or_default().push(i);
    }
    let mut unblocked: std::collections::HashMap<String, usize> = Default::default();
    // What compared would have made of them: the evidence they carry, at the run's prior.
    let mut would = [0usize; 3];
    for ids in by_child.values() {
        for (k, &x) in ids.iter().enumerate() {
            for &y in &ids[k + 1..] {
                if compared.contains(&(x as u32, y as u32)) {
                    continue;
                }
                let pattern = harbour_link::compare::compare(&prepared[x], &prepared[y]);
                let p = harbour_link::score::probability(l.scorer.weight(&prepared[x], pattern));
                for (slot, floor) in would.iter_mut().zip([0.05, 0.5, 0.99]) {
                    if p >= floor {
                        *slot += 1;
                    }
                }
                let key: Vec<String> = Field::ALL[..5]
                    .iter()
                    .map(|f| {
                        pattern
                            .level(*f)
                            .map_or("-".to_owned(), |k| f.levels()[k].to_owned())
                    })
                    .collect();
                *unblocked.entry(key.join(" / ")).or_default() += 1;
            }
        }
    }
    let mut unblocked: Vec<_> = unblocked.into_iter().collect();
    unblocked.sort_by_key(|u| std::cmp::Reverse(u.1));
    println!(
        "true pairs never compared: {}; compared, {} would score 0.05 or more, {} 0.5 or more, \
         {} 0.99 or more",
        unblocked.iter().map(|u| u.1).sum::<usize>(),
        would[0],
        would[1],
        would[2]
    );
    for (key, n) in unblocked.iter().take(show.max(8)) {
        println!("  {n:6}  {key}");
    }
}
