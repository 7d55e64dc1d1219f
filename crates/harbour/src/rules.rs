//! `harbour rules`: run the critical-moment rules, test them, replay a child's timeline and
//! score early identification against a synthetic county's truth.

use crate::cli::{RulesArgs, RulesCommand};
use crate::shared::{choose_tenant, open_store};
use anyhow::{Context, bail};
use harbour_casework::settings::RegisterSettings;
use harbour_domain::{Clock, PersonId, SystemClock};
use harbour_rules::{LoadError, RuleSet};
use harbour_store::RunScope;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::ExitCode;

/// The rule set in `dir`, or the built-in one. Refused whole, naming file and line.
pub fn load_rules(dir: Option<&Path>) -> anyhow::Result<RuleSet> {
    let Some(dir) = dir else {
        return RuleSet::builtin().map_err(|e| anyhow::anyhow!("the built-in rules: {e}"));
    };
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the rules directory {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            files.push((name, text));
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("{} holds no .toml rule files", dir.display());
    }
    RuleSet::from_sources(&files)
        .map_err(|e: LoadError| anyhow::anyhow!("{}/{e}; no rules were loaded", dir.display()))
}

/// The registers' settings: `registers.toml` in `dir` when there is one, otherwise the
/// statutory defaults (also without a directory: the built-in rules ship the defaults).
pub fn load_registers(dir: Option<&Path>) -> anyhow::Result<RegisterSettings> {
    let Some(path) = dir.map(|d| d.join(harbour_casework::settings::FILE)) else {
        return Ok(RegisterSettings::default());
    };
    if !path.exists() {
        return Ok(RegisterSettings::default());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    RegisterSettings::parse(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}/{e}; fix it or remove the file to use the statutory defaults",
            dir.map(|d| d.display().to_string()).unwrap_or_default()
        )
    })
}

pub async fn rules(args: RulesArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        RulesCommand::Test { dir } => test(dir.as_deref()),
        RulesCommand::Run {
            store,
            tenant,
            rules,
            changed,
            json,
        } => {
            let set = load_rules(rules.as_deref())?;
            let store = open_store(&store).await?;
            let tenant = choose_tenant(&store, tenant.as_deref()).await?;
            let now = SystemClock.now();
            let scope = if changed {
                RunScope::Changed
            } else {
                RunScope::All
            };
            let report = store
                .run_rules(&tenant, &set, scope, now.date(), now)
                .await?;
            store.close().await;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "Evaluated {} timelines ({}): {} firings, {} new alerts, {} escalated as overdue. Took {:.1} s.",
                    report.persons_evaluated,
                    report.scope,
                    report.firings,
                    report.alerts_raised,
                    report.escalated,
                    report.seconds
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Replay {
            store,
            tenant,
            rules,
            person,
            by,
            json,
        } => {
            let set = load_rules(rules.as_deref())?;
            let person: PersonId = person
                .parse()
                .with_context(|| format!("--person {person:?} is not a person id"))?;
            let store = open_store(&store).await?;
            let tenant = choose_tenant(&store, tenant.as_deref()).await?;
            let staff = store
                .account_by_email(by.trim())
                .await?
                .map(|account| account.staff)
                .filter(|staff| staff.tenant == tenant && !staff.disabled);
            let Some(staff) = staff else {
                store.close().await;
                bail!("--by {by:?}: no active member of staff of tenant {tenant} has that email");
            };
            let now = SystemClock.now();
            let timeline = store
                .rule_timeline(&tenant, person, &set, &staff, now)
                .await?;
            store.close().await;
            let Some(timeline) = timeline else {
                bail!("no person {person} with any events in tenant {tenant}");
            };
            let replay = harbour_rules::replay::replay(&set, &timeline, now.date());
            if json {
                println!("{}", serde_json::to_string(&replay)?);
            } else {
                print_replay(&replay);
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Evaluate {
            store,
            tenant,
            rules,
            truth,
            json,
        } => {
            let set = load_rules(rules.as_deref())?;
            let store = open_store(&store).await?;
            let tenant = choose_tenant(&store, tenant.as_deref()).await?;
            let now = SystemClock.now();
            let report = evaluate(&store, &tenant, &set, &truth, now).await?;
            store.close().await;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print_evaluation(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn test(dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    match dir {
        Some(dir) => println!("Testing the rules in {}.", dir.display()),
        None => println!("Testing the built-in rules."),
    }
    let set = match load_rules(dir) {
        Ok(set) => set,
        Err(error) => {
            eprintln!("{error:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let outcome = set.run_examples();
    for failure in &outcome.failures {
        println!("FAIL {failure}");
    }
    let failing: HashSet<&str> = outcome.failures.iter().map(|f| f.rule.as_str()).collect();
    println!(
        "{} rules, {} examples: {} passed, {} failed{}",
        set.rules().len(),
        outcome.examples,
        outcome.examples - outcome.failures.len(),
        outcome.failures.len(),
        if failing.is_empty() {
            String::new()
        } else {
            let mut names: Vec<&str> = failing.into_iter().collect();
            names.sort_unstable();
            format!(" (rules: {})", names.join(", "))
        }
    );
    Ok(if outcome.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One synthetic person of the truth file.
struct Truth {
    person: String,
    child: bool,
    trajectory: bool,
    harm: Option<time::Date>,
}

/// One outcome per true child, however the linkage split them: each Harbour person's firings
/// go to the true person most of its records belong to (`true_of`), and the firings of
/// every Harbour person of one child are pooled, each (rule, day) once. Without the pooling a
/// child split into two people counted as two children, twice in every rate. In the true
/// persons' order, so every run agrees.
fn outcomes_by_child(
    firings: Vec<(PersonId, Vec<(String, time::Date)>)>,
    true_of: impl Fn(&PersonId) -> Option<String>,
    truth_of: &HashMap<&str, &Truth>,
) -> Vec<harbour_rules::score::Outcome> {
    let mut pooled: std::collections::BTreeMap<
        String,
        std::collections::BTreeSet<(String, time::Date)>,
    > = std::collections::BTreeMap::new();
    for (person, fired) in firings {
        let Some(true_person) = true_of(&person) else {
            continue;
        };
        if !truth_of.get(true_person.as_str()).is_some_and(|t| t.child) {
            continue;
        }
        pooled.entry(true_person).or_default().extend(fired);
    }
    pooled
        .into_iter()
        .filter_map(|(person, fired)| {
            let t = truth_of.get(person.as_str())?;
            Some(harbour_rules::score::Outcome {
                trajectory: t.trajectory,
                harm: t.harm,
                firings: fired.into_iter().collect(),
            })
        })
        .collect()
}

/// Scores early identification: each Harbour person is matched to the synthetic person most
/// of their records belong to, and each child counted once (see [`outcomes_by_child`]).
async fn evaluate(
    store: &harbour_store::Store,
    tenant: &harbour_domain::TenantCode,
    rules: &RuleSet,
    truth: &Path,
    now: time::OffsetDateTime,
) -> anyhow::Result<harbour_rules::score::Report> {
    let today = now.date();
    let mut reader = csv::Reader::from_path(truth)
        .with_context(|| format!("cannot read {}", truth.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: line 1 has no {name:?} column", truth.display()))
    };
    let (agency, key, person, kind, trajectory, harm) = (
        column("agency")?,
        column("record_key")?,
        column("person_id")?,
        column("kind")?,
        column("exploitation_trajectory")?,
        column("serious_harm_date")?,
    );
    let mut by_record: HashMap<(String, String), Truth> = HashMap::new();
    for (line, row) in reader.records().enumerate() {
        let row = row.with_context(|| format!("{}: line {}", truth.display(), line + 2))?;
        let get = |i: usize| row.get(i).unwrap_or_default();
        let harm_date = match get(harm) {
            "" => None,
            text => Some(
                time::Date::parse(text, &time::format_description::well_known::Iso8601::DATE)
                    .with_context(|| {
                        format!(
                            "{}: line {}: serious_harm_date {text:?} is not a date",
                            truth.display(),
                            line + 2
                        )
                    })?,
            ),
        };
        by_record.insert(
            (get(agency).to_owned(), get(key).to_owned()),
            Truth {
                person: get(person).to_owned(),
                child: get(kind) == "child",
                trajectory: get(trajectory) == "1",
                harm: harm_date,
            },
        );
    }
    // Harbour person -> the true person most of its records belong to.
    let mut votes: HashMap<uuid::Uuid, HashMap<&str, usize>> = HashMap::new();
    let records = store.record_persons(tenant, SystemClock.now()).await?;
    for (_, agency, key, person) in &records {
        if let Some(t) = by_record.get(&(agency.clone(), key.clone())) {
            *votes
                .entry(*person)
                .or_default()
                .entry(t.person.as_str())
                .or_default() += 1;
        }
    }
    let truth_of: HashMap<&str, &Truth> =
        by_record.values().map(|t| (t.person.as_str(), t)).collect();
    let firings = store.evaluate_all(tenant, rules, now).await?;
    let true_of = |person: &PersonId| {
        votes.get(&person.0).and_then(|v| {
            // Most records; on a tie, the smaller id, so that every run agrees.
            v.iter()
                .max_by_key(|(p, n)| (**n, std::cmp::Reverse(**p)))
                .map(|(p, _)| (*p).to_owned())
        })
    };
    let outcomes = outcomes_by_child(firings, true_of, &truth_of);
    let earliest = outcomes
        .iter()
        .flat_map(|o| o.firings.iter().map(|(_, on)| *on))
        .min()
        .unwrap_or(today)
        .min(today);
    if outcomes.is_empty() {
        bail!(
            "no person in the store matches a child in {}",
            truth.display()
        );
    }
    let flags: HashSet<String> = rules
        .rules()
        .iter()
        .filter(|r| {
            r.signals_exploitation
                || matches!(r.condition, harbour_rules::Condition::Compound { .. })
        })
        .map(|r| r.id.clone())
        .collect();
    let compound: HashSet<String> = rules
        .rules()
        .iter()
        .filter(|r| matches!(r.condition, harbour_rules::Condition::Compound { .. }))
        .map(|r| r.id.clone())
        .collect();
    let years = (today - earliest).as_seconds_f64() / (365.25 * 86_400.0);
    Ok(harbour_rules::score::early_identification(
        &outcomes,
        &flags,
        &compound,
        years.max(1.0),
    ))
}

fn print_evaluation(report: &harbour_rules::score::Report) {
    println!(
        "{} children over {:.1} years; {} on an exploitation trajectory, {} of them harmed so far.",
        report.children, report.years, report.trajectories, report.trajectories_harmed
    );
    println!(
        "Flagged by a compound or exploitation rule before harm: {}; at least 12 months before: {} ({:.1}%). Median lead time: {}.",
        report.flagged_before_harm,
        report.flagged_12_months_before_harm,
        report.share_flagged_12_months_before_harm * 100.0,
        report
            .median_lead_days
            .map_or("none".into(), |d| format!("{d} days")),
    );
    println!(
        "Children with a compound alert: {} ({:.2}% of all children).",
        report.children_with_compound_alert,
        report.share_children_with_compound_alert * 100.0
    );
    println!("Alerts per 1,000 children per year, by rule:");
    // As wide as the longest rule id, so the figures line up whatever a council names them.
    let width = report
        .by_rule
        .iter()
        .map(|r| r.rule.len())
        .max()
        .unwrap_or(0)
        .max(28);
    for rule in &report.by_rule {
        println!(
            "  {:<width$} {:>9.1}   ({} alerts, {} children)",
            rule.rule, rule.alerts_per_1000_children_per_year, rule.alerts, rule.children
        );
    }
}

fn print_replay(replay: &harbour_rules::replay::Replay) {
    println!(
        "Person {}{}: {} events, {} alerts would have fired up to {}.",
        replay.person,
        replay
            .born
            .map_or(String::new(), |b| format!(" (born {b})")),
        replay.events.len(),
        replay.alerts.len(),
        replay.until
    );
    let mut alerts = replay.alerts.iter().peekable();
    for event in &replay.events {
        while let Some(alert) = alerts.next_if(|a| a.on < event.on) {
            print_alert(alert);
        }
        println!("{}  {:<24} {}", event.on, event.agency, event.summary);
    }
    for alert in alerts {
        print_alert(alert);
    }
}

fn print_alert(alert: &harbour_rules::replay::ReplayAlert) {
    println!(
        "{}  >>> ALERT {} v{} [{}]: {}\n             told: {}; respond by {}\n             because: {}",
        alert.on,
        alert.rule,
        alert.version,
        alert.severity,
        alert.title,
        alert.told.join("; "),
        alert.due,
        alert.because
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_child_split_into_two_people_is_counted_once() {
        let truth = [
            Truth {
                person: "child-1".into(),
                child: true,
                trajectory: true,
                harm: Some(date!(2025 - 11 - 02)),
            },
            Truth {
                person: "adult-1".into(),
                child: false,
                trajectory: false,
                harm: None,
            },
        ];
        let truth_of: HashMap<&str, &Truth> =
            truth.iter().map(|t| (t.person.as_str(), t)).collect();
        let (named, initials, adult) = (
            PersonId(uuid::Uuid::from_u128(1)),
            PersonId(uuid::Uuid::from_u128(2)),
            PersonId(uuid::Uuid::from_u128(3)),
        );
        let fired = |rule: &str, on| (rule.to_owned(), on);
        let firings = vec![
            (
                named,
                vec![fired("cme-after-exclusion", date!(2023 - 03 - 01))],
            ),
            (
                initials,
                vec![
                    fired("cme-after-exclusion", date!(2023 - 03 - 01)),
                    fired("police-victim", date!(2025 - 11 - 02)),
                ],
            ),
            (adult, vec![fired("police-victim", date!(2024 - 01 - 01))]),
        ];
        let true_of =
            |p: &PersonId| Some(if *p == adult { "adult-1" } else { "child-1" }.to_owned());
        let outcomes = outcomes_by_child(firings, true_of, &truth_of);
        assert_eq!(
            outcomes.len(),
            1,
            "one child, however many people he was split into"
        );
        assert_eq!(
            outcomes[0].firings,
            vec![
                fired("cme-after-exclusion", date!(2023 - 03 - 01)),
                fired("police-victim", date!(2025 - 11 - 02)),
            ],
            "each firing once"
        );
        assert!(outcomes[0].trajectory);
    }
}
