//! `harbour link`: linking records into people, in the store or in a CSV list.

use crate::cli::{DedupeArgs, LinkArgs, LinkCommand};
use anyhow::{Context, bail};
use harbour_link::evaluate::{Scores, score};
use harbour_link::linkage::Stats;
use harbour_link::{Settings, link as run_linkage};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

pub async fn link(args: LinkArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(LinkCommand::Dedupe(dedupe_args)) => dedupe(&dedupe_args),
        None => bail!("linking the store arrives with the next change; use `harbour link dedupe`"),
    }
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
        ..Settings::default()
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

    let scores = people
        .clusters
        .as_ref()
        .map(|truth| score(&linkage.clusters, truth));
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let report = Report {
            stats: &linkage.stats,
            seconds,
            output: output.display().to_string(),
            scores: scores.as_ref(),
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
    }
    Ok(ExitCode::SUCCESS)
}
