//! `harbour import` and `harbour quarantine`.

use crate::cli::{ImportArgs, QuarantineCommand};
use crate::shared::{choose_tenant, find_agency, open_store, open_store_for_import};
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
    bar
}

/// Imports `files` in order under one progress bar, queueing their jobs. `each_file` prints
/// each file's counts as it finishes (for a manifest; a single file's counts are the total
/// printed after).
async fn import_with_progress(
    pipeline: &Pipeline,
    tenant: &TenantCode,
    files: &[FeedFile],
    each_file: bool,
) -> anyhow::Result<ImportCounts> {
    let bar = progress_bar("importing");
    let imported = pipeline
        .import_files(tenant, files, |progress| match progress {
            Progress::Batch { file, counts } => bar.set_message(format!(
                "{}: {} read, {} accepted, {} rejected",
                file.path.display(),
                counts.read,
                counts.accepted,
                counts.rejected
            )),
            Progress::Done { file, counts } if each_file => {
                bar.suspend(|| say(counts, &format!("{} {}", file.feed, file.path.display())));
            }
            Progress::Done { .. } => {}
        })
        .await?;
    bar.finish_and_clear();
    Ok(imported.counts)
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
        let (tenant, files) = harbour_ingest::set_up_agencies(
            &store,
            &manifest,
            base,
            Placement::AsNamed,
            SystemClock.now(),
        )
        .await?;
        let total = import_with_progress(&pipeline, &tenant, &files, !args.json).await?;
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
        let total = import_with_progress(&pipeline, &tenant, &[file], false).await?;
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
