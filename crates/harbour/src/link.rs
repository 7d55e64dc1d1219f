//! `harbour link`: linking records into people, in the store or in a CSV list.

use crate::cli::{DedupeArgs, LinkArgs, LinkCommand};
use crate::shared::{choose_tenant, open_store};
use anyhow::{Context, bail};
use harbour_domain::{Clock, SystemClock, TenantCode};
use harbour_link::evaluate::{
    BIN_EDGES, Completeness, Reliability, Scores, pair_completeness, reliability, score,
};
use harbour_link::linkage::Stats;
use harbour_link::{Settings, link as run_linkage};
use harbour_store::{LinkReport, Store};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

pub async fn link(args: LinkArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(LinkCommand::Dedupe(dedupe_args)) => dedupe(dedupe_args),
        None => link_store(&args).await,
    }
}

pub fn say_linked(report: &LinkReport) {
    if report.full {
        println!(
            "Linked all {} records into {} people ({} records moved); {} pairs wait for review.",
            report.records, report.persons, report.moved, report.reviews
        );
    } else if report.records > 0 {
        println!(
            "Linked {} new records: {} joined people already known; {} pairs wait for review.",
            report.records, report.moved, report.reviews
        );
    }
}

/// `harbour link [--evaluate TRUTH.csv]`: re-link the store in full, then optionally score
/// the result against a synthetic county's truth.
async fn link_store(args: &LinkArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.store).await?;
    let tenant = choose_tenant(&store, args.tenant.as_deref()).await?;
    let started = Instant::now();
    let report = if args.as_is {
        LinkReport::default()
    } else {
        store
            .relink(&tenant, &Settings::default(), SystemClock.now())
            .await?
    };
    let seconds = started.elapsed().as_secs_f64();
    let scores = match &args.evaluate {
        Some(truth) => Some(evaluate(&store, &tenant, truth).await?),
        None => None,
    };
    store.close().await;
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        if let Some(fields) = value.as_object_mut() {
            fields.insert("seconds".into(), serde_json::json!(seconds));
            if let Some(s) = &scores
                && let serde_json::Value::Object(more) = serde_json::to_value(s)?
            {
                fields.extend(more);
            }
        }
        println!("{value}");
    } else {
        say_linked(&report);
        println!("Took {seconds:.1} s.");
        if let Some(s) = &scores {
            print_scores(s);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Scores the store's people against `truth.csv` (agency, record_key, person_id, …): only
/// records present in both count.
async fn evaluate(store: &Store, tenant: &TenantCode, path: &Path) -> anyhow::Result<Scores> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: line 1 has no {name:?} column", path.display()))
    };
    let (agency, key, person) = (
        column("agency")?,
        column("record_key")?,
        column("person_id")?,
    );
    let mut truth: HashMap<(String, String), String> = HashMap::new();
    for (line, row) in reader.records().enumerate() {
        let row = row.with_context(|| format!("{}: line {}", path.display(), line + 2))?;
        let get = |i: usize| row.get(i).unwrap_or_default().to_owned();
        truth.insert((get(agency), get(key)), get(person));
    }
    let mut predicted = Vec::new();
    let mut actual = Vec::new();
    for (_, agency, key, person) in store.record_persons(tenant, SystemClock.now()).await? {
        if let Some(true_person) = truth.remove(&(agency, key)) {
            predicted.push(person);
            actual.push(true_person);
        }
    }
    if predicted.is_empty() {
        bail!("no record in the store appears in {}", path.display());
    }
    Ok(score(&predicted, &actual))
}

fn default_output(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map_or_else(|| "people".into(), |s| s.to_string_lossy().into_owned());
    input.with_file_name(format!("{stem}-clusters.csv"))
}

/// The report `--json` prints: the run's counts, the time taken and, with known truth, the
/// scores.
#[derive(Debug, serde::Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    stats: &'a Stats,
    seconds: f64,
    output: String,
    #[serde(flatten)]
    scores: Option<&'a Scores>,
    /// With known truth: the share of true pairs blocking made candidates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pair_completeness: Option<&'a Completeness>,
    /// With known truth: every candidate pair binned by its match probability, with the
    /// share of each bin that are true matches (calibration).
    #[serde(skip_serializing_if = "Option::is_none")]
    reliability: Option<&'a Reliability>,
}

fn print_scores(s: &Scores) {
    println!(
        "Against the known clusters: precision {:.4}, recall {:.4}, F1 {:.4} \
         ({} of {} true pairs found, {} pairs claimed).",
        s.precision, s.recall, s.f1, s.correct_pairs, s.true_pairs, s.predicted_pairs
    );
    println!(
        "{} of {} true people reproduced exactly; {} groups mix people; {} people are split.",
        s.exact_clusters, s.true_clusters, s.mixed_clusters, s.split_persons
    );
}

/// The reliability table: for candidate pairs binned by predicted match probability, the
/// share that are true matches.
fn print_reliability(table: &Reliability) {
    println!(
        "Calibration (every candidate pair by its match probability; error {:.4}):",
        table.calibration_error
    );
    println!("  probability     pairs   matches  predicted  observed");
    for bin in table.bins.iter().filter(|b| b.pairs > 0) {
        println!(
            "  {:.3}-{:.3} {:>9} {:>9} {:>10.4} {:>9.4}",
            bin.from, bin.to, bin.pairs, bin.matches, bin.predicted, bin.observed
        );
    }
}

fn dedupe(args: &DedupeArgs) -> anyhow::Result<ExitCode> {
    if !(0.5..1.0).contains(&args.match_probability) {
        bail!("--match-probability must be at least 0.5 and below 1");
    }
    let started = Instant::now();
    let file = std::fs::File::open(&args.input)
        .with_context(|| format!("cannot open {}", args.input.display()))?;
    let people = harbour_import::people::read_people(std::io::BufReader::new(file))
        .with_context(|| format!("{}", args.input.display()))?;
    let settings = Settings {
        match_probability: args.match_probability,
        // The candidates are kept only to measure blocking: against the truth (when the file
        // has one) or written out (when asked).
        keep_candidates: people.clusters.is_some() || args.candidates.is_some(),
        ..Settings::default()
    };
    let settings = Settings {
        linking_rules: args.linking_rules.unwrap_or(settings.linking_rules),
        ..settings
    };
    let linkage = run_linkage(&people.records, &settings, &[]);

    let output = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(&args.input));
    let mut writer = csv::Writer::from_path(&output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    writer.write_record(["id", "cluster"])?;
    for (id, cluster) in people.ids.iter().zip(&linkage.clusters) {
        writer.write_record([id.as_str(), &cluster.to_string()])?;
    }
    writer
        .flush()
        .with_context(|| format!("cannot write {}", output.display()))?;

    if let Some(path) = &args.candidates {
        let mut writer = csv::Writer::from_path(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        writer.write_record(["id_a", "id_b"])?;
        for (a, b) in &linkage.candidates {
            let id = |i: &u32| people.ids.get(*i as usize).map_or("", String::as_str);
            writer.write_record([id(a), id(b)])?;
        }
        writer
            .flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }

    let scores = people
        .clusters
        .as_ref()
        .map(|truth| score(&linkage.clusters, truth));
    let completeness = people
        .clusters
        .as_ref()
        .map(|truth| pair_completeness(&linkage.candidates, truth));
    let calibration = people.clusters.as_ref().map(|truth| {
        reliability(
            &linkage.candidates,
            &linkage.candidate_probabilities,
            truth,
            &BIN_EDGES,
        )
    });
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let report = Report {
            stats: &linkage.stats,
            seconds,
            output: output.display().to_string(),
            scores: scores.as_ref(),
            pair_completeness: completeness.as_ref(),
            reliability: calibration.as_ref(),
        };
        println!("{}", serde_json::to_string(&report)?);
    } else {
        let s = &linkage.stats;
        println!(
            "{} records grouped into {} people in {seconds:.1} s ({} pairs compared; {} linked, \
             {} held apart as possible twins or conflicting identifiers, {} uncertain).",
            s.records, s.clusters, s.candidate_pairs, s.linked_pairs, s.held_apart, s.review_pairs
        );
        println!("Wrote {}.", output.display());
        if let Some(s) = &scores {
            print_scores(s);
        }
        if let Some(c) = &completeness {
            println!(
                "Blocking made candidates of {} of {} true pairs (pair completeness {:.4}).",
                c.found, c.true_pairs, c.completeness
            );
        }
        if let Some(table) = &calibration {
            print_reliability(table);
        }
    }
    Ok(ExitCode::SUCCESS)
}
