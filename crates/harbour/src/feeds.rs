//! `harbour import` and `harbour quarantine`.

use crate::cli::{ImportArgs, QuarantineCommand};
use crate::shared::{choose_tenant, find_agency, open_store, open_store_for_import, print_table};
use anyhow::{Context, bail};
use harbour_domain::feeds::Feed;
use harbour_domain::{Clock, SystemClock, TenantCode};
use harbour_ingest::{FeedFile, Pipeline, Placement, Progress};
use harbour_store::ImportCounts;
use harbour_synth::county::Manifest;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

fn progress_bar(label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(label.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// How far an import has got, for its one progress bar: measured in bytes of the files (the
/// one size known before they are read), with files and rows in the message.
struct ImportProgress {
    bar: indicatif::ProgressBar,
    sizes: Vec<u64>,
    files_done: usize,
    bytes_done: u64,
    rows_done: u64,
    started: std::time::Instant,
}

impl ImportProgress {
    fn new(files: &[FeedFile]) -> Self {
        let sizes: Vec<u64> = files
            .iter()
            .map(|f| std::fs::metadata(&f.path).map_or(0, |m| m.len()))
            .collect();
        let bar = indicatif::ProgressBar::new(sizes.iter().sum::<u64>().max(1));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{wide_bar} {percent:>3}% {msg}, {elapsed} so far, about {eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(250));
        Self {
            bar,
            sizes,
            files_done: 0,
            bytes_done: 0,
            rows_done: 0,
            started: std::time::Instant::now(),
        }
    }

    fn show(&self, rows: u64) {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        self.bar.set_message(format!(
            "{} of {} files, {rows} rows ({:.0} rows/s)",
            self.files_done,
            self.sizes.len(),
            rows as f64 / seconds
        ));
    }

    /// Part-way through the current file: its share of bytes is estimated from its rows so
    /// far at the bytes per row of the files already done.
    fn batch(&self, counts: &ImportCounts) {
        let size = self.sizes.get(self.files_done).copied().unwrap_or(0);
        let per_row = if self.rows_done > 0 {
            self.bytes_done as f64 / self.rows_done as f64
        } else {
            100.0
        };
        let estimate = ((counts.read as f64 * per_row) as u64).min(size);
        self.bar.set_position(self.bytes_done + estimate);
        self.show(self.rows_done + counts.read);
    }

    fn done(&mut self, counts: &ImportCounts) {
        self.bytes_done += self.sizes.get(self.files_done).copied().unwrap_or(0);
        self.files_done += 1;
        self.rows_done += counts.read;
        self.bar.set_position(self.bytes_done);
        self.show(self.rows_done);
    }
}

/// Imports `files` in order under one progress bar (files and rows, rate, time left),
/// queueing their jobs, and gives the counts of each file with the total.
async fn import_with_progress(
    pipeline: &Pipeline,
    tenant: &TenantCode,
    files: &[FeedFile],
) -> anyhow::Result<(ImportCounts, Vec<(Feed, ImportCounts)>)> {
    let mut progress = ImportProgress::new(files);
    let mut each = Vec::with_capacity(files.len());
    let imported = pipeline
        .import_files(tenant, files, |step| match step {
            Progress::Batch { counts, .. } => progress.batch(counts),
            Progress::Done { file, counts } => {
                progress.done(counts);
                each.push((file.feed, *counts));
            }
        })
        .await;
    progress.bar.finish_and_clear();
    Ok((imported?.counts, each))
}

/// The counts by feed, as a table with a total row.
fn print_summary(each: &[(Feed, ImportCounts)], total: &ImportCounts) {
    let mut by_feed: Vec<(Feed, usize, ImportCounts)> = Vec::new();
    for (feed, counts) in each {
        match by_feed.iter_mut().find(|(f, ..)| f == feed) {
            Some((_, files, sum)) => {
                *files += 1;
                sum.add(*counts);
            }
            None => by_feed.push((*feed, 1, *counts)),
        }
    }
    let row = |name: String, files: usize, c: &ImportCounts| {
        [
            name,
            files.to_string(),
            c.read.to_string(),
            c.accepted.to_string(),
            c.superseded.to_string(),
            c.duplicate.to_string(),
            c.rejected.to_string(),
        ]
    };
    let mut rows: Vec<[String; 7]> = by_feed
        .iter()
        .map(|(feed, files, counts)| row(feed.to_string(), *files, counts))
        .collect();
    rows.push(row("altogether".into(), each.len(), total));
    print_table(
        &[
            "FEED",
            "FILES",
            "READ",
            "ACCEPTED",
            "SUPERSEDED",
            "ALREADY STORED",
            "REJECTED",
        ],
        &rows,
    );
}

fn say(counts: &ImportCounts, what: &str) {
    println!(
        "{what}: {} rows read; {} accepted, {} superseded (corrections), {} already stored, {} rejected to the quarantine",
        counts.read, counts.accepted, counts.superseded, counts.duplicate, counts.rejected
    );
}

pub async fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    // Checked before anything is imported: a broken rule file must not leave an import
    // whose alerts were never raised.
    let rules = crate::rules::load_rules(args.rules.as_deref())?;
    let store = open_store_for_import(&args.store).await?;
    let pipeline = Pipeline::new(store.clone(), Arc::new(rules), Arc::new(SystemClock));
    let started = std::time::Instant::now();
    let (tenant, total) = if let Some(manifest_path) = &args.manifest {
        let text = std::fs::read_to_string(manifest_path)
            .with_context(|| format!("cannot read {}", manifest_path.display()))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a Harbour manifest", manifest_path.display()))?;
        let base = manifest_path.parent().unwrap_or(Path::new("."));
        // With --tenant, into an existing local authority: its own council, police, health
        // and youth-justice agencies send those feeds, and the county's schools join it.
        let into = match args.tenant.as_deref() {
            Some(code) => Some(choose_tenant(&store, Some(code)).await?),
            None => None,
        };
        let placement = into.as_ref().map_or(Placement::AsNamed, Placement::Into);
        let (tenant, files) =
            harbour_ingest::set_up_agencies(&store, &manifest, base, placement, SystemClock.now())
                .await?;
        let (total, each) = import_with_progress(&pipeline, &tenant, &files).await?;
        if !args.json {
            print_summary(&each, &total);
        }
        (tenant, total)
    } else {
        let (Some(agency), Some(feed), Some(file)) = (&args.agency, &args.feed, &args.file) else {
            bail!("give --agency, --feed and a FILE, or --manifest");
        };
        let feed: Feed = feed.parse()?;
        let tenant = choose_tenant(&store, args.tenant.as_deref()).await?;
        let agency = find_agency(&store, &tenant, agency).await?;
        if feed.agency_kind() != agency.kind {
            bail!(
                "the {feed} feed comes from a {} agency, and {} is a {}",
                feed.agency_kind().label(),
                agency.code,
                agency.kind.label()
            );
        }
        let file = FeedFile {
            agency: agency.id,
            feed,
            path: file.clone(),
        };
        let (total, _) = import_with_progress(&pipeline, &tenant, &[file]).await?;
        (tenant, total)
    };
    let bar = progress_bar("linking the new records and running the rules over what changed");
    let ran = drain_for(&pipeline, &tenant).await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let mut report = serde_json::to_value(total)?;
        if let Some(fields) = report.as_object_mut() {
            fields.insert(
                "seconds".into(),
                serde_json::json!((seconds * 10.0).round() / 10.0),
            );
            let (linked, alerts) = ran.unzip();
            fields.insert("linked".into(), serde_json::to_value(&linked)?);
            fields.insert("rules".into(), serde_json::to_value(&alerts)?);
        }
        println!("{report}");
    } else {
        say(&total, "Altogether");
        match &ran {
            Some((linked, alerts)) => {
                crate::link::say_linked(linked);
                println!(
                    "Rules: {} timelines evaluated, {} new alerts raised.",
                    alerts.persons_evaluated, alerts.alerts_raised
                );
            }
            None => println!(
                "Linking and rules: taken up by another worker on this database (harbour serve), which runs them."
            ),
        }
        println!("Took {seconds:.1} s. See rejected rows with `harbour quarantine list`.");
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn quarantine(command: QuarantineCommand) -> anyhow::Result<ExitCode> {
    let QuarantineCommand::List {
        store,
        agency,
        tenant,
        json,
        csv,
    } = command;
    let store = open_store(&store).await?;
    let tenant = choose_tenant(&store, tenant.as_deref()).await?;
    let agency = match agency {
        Some(code) => Some(find_agency(&store, &tenant, &code).await?.id),
        None => None,
    };
    let entries = store.quarantine(&tenant, agency, SystemClock.now()).await?;
    if csv {
        harbour_import::export::write_quarantine_csv(std::io::stdout().lock(), &entries)?;
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    for entry in &entries {
        if json {
            println!("{}", serde_json::to_string(entry)?);
        } else {
            println!(
                "{} {} line {} ({}): {}: {}",
                entry.agency_code,
                entry.file_name,
                entry.line,
                entry.record_key,
                entry.field,
                entry.reason
            );
        }
    }
    if !json {
        println!("{} rows waiting in the quarantine.", entries.len());
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Runs the queued linking and rules in this process until nothing waits (the same work
/// `harbour serve`'s worker does in the background), and gives what was reported for
/// `tenant`: its jobs are all taken by one claim, so that is one report. `None` if another
/// worker (a `harbour serve` on the same PostgreSQL database) claimed them first: they run
/// there.
async fn drain_for(
    pipeline: &Pipeline,
    tenant: &TenantCode,
) -> anyhow::Result<Option<(harbour_store::LinkReport, harbour_store::RuleRunReport)>> {
    let ran = pipeline.drain().await?;
    Ok(ran
        .into_iter()
        .rev()
        .find(|r| r.tenant == *tenant)
        .map(|r| (r.linked, r.rules)))
}

/// Loads a synthetic county's feeds into the demo authority, so the demo has thousands of
/// children to search and link, not only the hand-written ones. Schools come in as agencies
/// of their own; the council, police, health and youth-justice feeds are sent by the demo's
/// own agencies of those kinds. Then the queue is drained: every record is linked and the
/// rules run (over every timeline, as none has been run before), as for any import.
pub async fn import_into_demo(
    pipeline: &Pipeline,
    tenant: &TenantCode,
    county_dir: &Path,
) -> anyhow::Result<(
    ImportCounts,
    harbour_store::LinkReport,
    harbour_store::RuleRunReport,
)> {
    let text = std::fs::read_to_string(county_dir.join("manifest.json"))
        .context("cannot read the demo county's manifest")?;
    let manifest: Manifest = serde_json::from_str(&text)?;
    let (_, files) = harbour_ingest::set_up_agencies(
        pipeline.store(),
        &manifest,
        county_dir,
        Placement::Into(tenant),
        SystemClock.now(),
    )
    .await?;
    let imported = pipeline.import_files(tenant, &files, |_| {}).await?;
    let (linked, alerts) = drain_for(pipeline, tenant)
        .await?
        .context("the demo's linking and rules were taken by another worker")?;
    Ok((imported.counts, linked, alerts))
}
