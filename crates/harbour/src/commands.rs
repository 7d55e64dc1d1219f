use crate::cli::{AuditCommand, Cli, Command, DemoArgs, ServeArgs, StoreArgs};
use crate::shared::open_store;
use anyhow::{Context, bail};
use harbour_casework::settings::RegisterSettings;
use harbour_domain::{Clock, SystemClock};
use harbour_store::{AuditVerification, BackupOutcome, Store};
use harbour_web::{AppState, WebConfig};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Marks a directory as made by `harbour demo`, so a later demo may replace it.
const DEMO_MARKER: &str = ".harbour-demo";

/// The demo's synthetic county: small enough to load in seconds on a laptop.
const DEMO_CHILDREN: u64 = 1_000;
const DEMO_SEED: u64 = 2026;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Demo(args) => demo(args).await,
        Command::Migrate(args) => {
            let store = open_store(&args).await?;
            let health = store.health().await?;
            println!(
                "The {} database is at schema version {}.",
                health.backend, health.schema_version
            );
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup(args) => {
            let store = open_store(&args.store).await?;
            let outcome = store.backup(&args.out).await;
            store.close().await;
            match outcome? {
                BackupOutcome::Written { bytes } => {
                    println!(
                        "Wrote {} ({bytes} bytes); the copy passed SQLite's integrity check.",
                        args.out.display()
                    );
                }
                BackupOutcome::UsePgDump { command } => {
                    println!("PostgreSQL is backed up with its own tools. Run:\n\n    {command}\n");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(audit) => match audit.command {
            AuditCommand::Verify(args) => {
                let store = open_store(&args).await?;
                let verification = store.verify_audit().await;
                store.close().await;
                let verification = verification?;
                println!("{verification}");
                Ok(match verification {
                    AuditVerification::Intact { .. } => ExitCode::SUCCESS,
                    AuditVerification::Broken { .. } => ExitCode::FAILURE,
                })
            }
        },
        Command::Synth(args) => synth(args),
        Command::Import(args) => crate::feeds::import(args).await,
        Command::Quarantine(args) => crate::feeds::quarantine(args.command).await,
        Command::Link(args) => crate::link::link(args).await,
        Command::Rules(args) => crate::rules::rules(args).await,
        Command::Person(args) => crate::admin::person(args.command).await,
        Command::Report(args) => crate::report::report(args.command).await,
        Command::Tenant(args) => crate::admin::tenant(args.command).await,
        Command::Agency(args) => crate::admin::agency(args.command).await,
        Command::User(args) => crate::admin::user(args.command).await,
        Command::Token(args) => crate::admin::api_token(args.command).await,
        Command::Openapi => {
            println!("{}", harbour_web::openapi_json());
            Ok(ExitCode::SUCCESS)
        }
        Command::Version => {
            println!("harbour {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn synth(args: crate::cli::SynthArgs) -> anyhow::Result<ExitCode> {
    use harbour_synth::county;
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(args.children);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} children  {per_sec}  eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let summary = county::generate(
        &county::Config::new(args.children, args.seed),
        &args.out,
        |done| {
            if done % 1_000 == 0 {
                bar.set_position(done);
            }
        },
    )?;
    bar.finish_and_clear();
    println!(
        "Wrote a synthetic county to {} in {:.1} s: {} children, {} adults of concern, {} agency records, {} events; {} follow the Child AA pattern.",
        args.out.display(),
        started.elapsed().as_secs_f64(),
        summary.children,
        summary.adults,
        summary.source_records,
        summary.events,
        summary.trajectories,
    );
    println!(
        "See {}/README.md for the base rates. truth.csv is the answer key: never import it.",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let rules = crate::rules::load_rules(args.rules.as_deref())?;
    let registers = crate::rules::load_registers(args.rules.as_deref())?;
    let store = open_store(&args.store).await?;
    let config = WebConfig {
        demo_sign_in: false,
        secure_cookies: args.secure_cookies,
        idle_timeout: time::Duration::minutes(i64::from(args.idle_timeout_minutes)),
        absolute_timeout: time::Duration::hours(i64::from(args.absolute_timeout_hours)),
        trusted_proxies: args.trusted_proxies.clone(),
    };
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    println!("Harbour is running at http://{}/", listener.local_addr()?);
    run_server(listener, store, Arc::new(rules), registers, config).await
}

async fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    prepare_demo_dir(&args.data_dir)?;
    let store = open_store(&StoreArgs {
        data_dir: args.data_dir.clone(),
        database_url: None,
        policy: None,
    })
    .await?;
    let clock = SystemClock;
    // Dated so that today is the demo's day: every queue shows recent work.
    let county = harbour_synth::demo::load_demo_today(&store, clock.now()).await?;
    // Around the hand-written children, a small synthetic county: enough people to search,
    // link and review, generated fresh (and deterministically) each time.
    let county_dir = args.data_dir.join("synthetic-county");
    harbour_synth::county::generate(
        &harbour_synth::county::Config::new(DEMO_CHILDREN, DEMO_SEED),
        &county_dir,
        |_| {},
    )?;
    let demo_rules = Arc::new(harbour_rules::RuleSet::builtin()?);
    // The same pipeline as `harbour import` and the feed API; with no rules run before, the
    // rules go over every timeline.
    let pipeline =
        harbour_ingest::Pipeline::new(store.clone(), demo_rules.clone(), Arc::new(SystemClock));
    let (imported, linked, alerts) =
        crate::feeds::import_into_demo(&pipeline, &county.tenant, &county_dir).await?;
    // What the demo's officers have recorded on the registers by today (offers, reviews,
    // tracing steps), so every register shows entries on time, due and overdue.
    let casework = harbour_synth::demo::record_casework(
        &store,
        &county,
        demo_rules.calendar(),
        RegisterSettings::default(),
        harbour_synth::demo::shift_to(clock.now().date()),
        clock.now(),
    )
    .await?;
    // And what officers recorded on the synthetic county's exclusions and missing children
    // (board decisions, reviews, tracing steps), met, late and overdue.
    let county_casework = harbour_synth::demo::record_county_casework(
        &store,
        &county,
        &county_dir,
        demo_rules.calendar(),
        RegisterSettings::default(),
        clock.now(),
    )
    .await?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; try --bind 127.0.0.1:0 for any free port",
                args.bind
            )
        })?;
    let address = listener.local_addr()?;

    let mut out = std::io::stdout().lock();
    writeln!(out, "Harbour demo is running at http://{address}/")?;
    writeln!(
        out,
        "Data directory: {} (fictional data only)",
        args.data_dir.display()
    )?;
    writeln!(
        out,
        "Loaded a synthetic county of {DEMO_CHILDREN} children ({} feed rows, {} agency records linked into {} people, {} pairs waiting for review).",
        imported.read, linked.records, linked.persons, linked.reviews
    )?;
    writeln!(
        out,
        "The critical-moment rules raised {} alerts into practitioners' queues.",
        alerts.alerts_raised
    )?;
    writeln!(
        out,
        "The demo's officers have recorded {} facts on {} register entries.",
        casework.facts + county_casework.facts,
        casework.entries + county_casework.entries
    )?;
    writeln!(
        out,
        "\nSign in by choosing one of these demo accounts on the sign-in page:"
    )?;
    for user in &county.users {
        let agency = county
            .agencies
            .iter()
            .find(|a| a.id == user.agency)
            .map_or("?", |a| a.name.as_str());
        let roles: Vec<_> = user.roles.iter().map(|r| r.label()).collect();
        writeln!(
            out,
            "  {:<18} {:<52} {}",
            user.display_name,
            roles.join(", "),
            agency
        )?;
    }
    writeln!(
        out,
        "\nTry: sign in as Sam Okafor (a school DSL), search for \"Mercer\", then compare with Nadia Petrova (police intelligence)."
    )?;
    writeln!(out, "Press Ctrl-C to stop.")?;
    out.flush()?;
    drop(out);

    let config = WebConfig {
        demo_sign_in: true,
        ..WebConfig::default()
    };
    run_server(
        listener,
        store,
        demo_rules,
        RegisterSettings::default(),
        config,
    )
    .await
}

/// Makes `dir` an empty demo directory, replacing only an earlier demo's.
fn prepare_demo_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let is_demo = dir.join(DEMO_MARKER).exists();
        let is_empty = std::fs::read_dir(dir)?.next().is_none();
        if !is_demo && !is_empty {
            bail!(
                "{} already exists and was not made by `harbour demo`; choose another --data-dir so nothing is overwritten",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("cannot clear the old demo in {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(
        dir.join(DEMO_MARKER),
        "Made by `harbour demo`: fictional data, replaced at each demo start.\n",
    )?;
    Ok(())
}

async fn run_server(
    listener: tokio::net::TcpListener,
    store: Store,
    rules: Arc<harbour_rules::RuleSet>,
    registers: RegisterSettings,
    config: WebConfig,
) -> anyhow::Result<ExitCode> {
    let state = AppState::new(store.clone(), rules, Arc::new(SystemClock), config)
        .with_registers(registers);
    // Links and runs the rules for stored feeds in the background (see docs/feeds.md); jobs
    // a stopped server left running are resumed first.
    let worker = harbour_ingest::Worker::spawn(state.ingest.clone());
    let served = harbour_web::serve(listener, state, shutdown_signal()).await;
    tracing::info!("stopped accepting requests; finishing the ingest job in hand");
    worker.stop().await;
    served?;
    tracing::info!("closing the database");
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM, so requests in flight finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_never_replaces_a_directory_it_did_not_make() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("harbour.sqlite3"), b"real data").unwrap();
        let error = prepare_demo_dir(&dir).unwrap_err().to_string();
        assert!(error.contains("was not made by `harbour demo`"), "{error}");
        assert!(dir.join("harbour.sqlite3").exists());

        let demo_dir = parent.path().join("demo");
        prepare_demo_dir(&demo_dir).unwrap();
        std::fs::write(demo_dir.join("old.sqlite3"), b"old demo").unwrap();
        prepare_demo_dir(&demo_dir).unwrap();
        assert!(
            !demo_dir.join("old.sqlite3").exists(),
            "an earlier demo is replaced"
        );
        assert!(demo_dir.join(DEMO_MARKER).exists());
    }
}
