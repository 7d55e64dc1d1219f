//! `harbour report`: the council's registers at the command line, for the officers who keep
//! them and for the figures a partnership asks for.

use crate::cli::ReportCommand;
use crate::rules::{load_registers, load_rules};
use crate::shared::{choose_tenant, open_store, print_table};
use anyhow::Context;
use harbour_casework::ClockState;
use harbour_casework::exclusions::Status;
use harbour_domain::{Clock, SystemClock, london_today};
use harbour_store::{NotInSchoolDay, RegisterDay};
use std::process::ExitCode;
use time::Date;
use time::macros::format_description;

pub async fn report(command: ReportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReportCommand::Exclusions {
            store,
            tenant,
            rules,
            on,
            json,
        } => {
            let Reporting {
                store,
                tenant,
                rules,
                settings,
                today,
                now,
            } = reporting(&store, tenant.as_deref(), rules.as_deref(), on).await?;
            let day = RegisterDay {
                calendar: rules.calendar(),
                settings: settings.exclusions,
                today,
            };
            let register = store.exclusions_register_report(&tenant, day, now).await?;
            if json {
                println!("{}", serde_json::to_string(&register)?);
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<[String; 7]> = register
                .entries
                .iter()
                .map(|e| {
                    let a = &e.assessment;
                    [
                        e.child
                            .as_ref()
                            .map(|c| format!("{} {}", c.given_name, c.family_name))
                            .unwrap_or_else(|| e.person.0.to_string()),
                        e.school_name.clone().unwrap_or_default(),
                        e.first_day.to_string(),
                        clock(a.day_six.state(today)),
                        clock(a.board.state(today)),
                        match (&a.status, a.next_review) {
                            (Status::Closed { closure, .. }, _) => {
                                format!("closed: {}", closure.label())
                            }
                            (Status::Open, Some(due)) if today > due => format!("overdue {due}"),
                            (Status::Open, Some(due)) => format!("due {due}"),
                            (Status::Open, None) => String::new(),
                        },
                        a.offer
                            .as_ref()
                            .map(|o| {
                                let kind = if o.full_time {
                                    "full-time"
                                } else {
                                    "part-time"
                                };
                                format!("{} h {kind}, {}", o.hours, o.provider)
                            })
                            .unwrap_or_else(|| "none".into()),
                    ]
                })
                .collect();
            print_table(
                &[
                    "CHILD", "SCHOOL", "EXCLUDED", "DAY 6", "BOARD", "REVIEW", "OFFER",
                ],
                &rows,
            );
            let f = &register.figures;
            println!();
            println!("On the register:            {}", f.on_register);
            println!(
                "Full-time by day 6:         {} of {}{}",
                f.full_time_by_day_six,
                f.past_day_six,
                f.share_full_time_by_day_six
                    .map(|s| format!(" ({:.0}%)", s * 100.0))
                    .unwrap_or_default()
            );
            println!(
                "Median school days to full-time education: {}",
                f.median_school_days_to_provision
                    .map(|d| format!("{d:.1}"))
                    .unwrap_or_else(|| "none yet".into())
            );
            println!("Reviews overdue:            {}", f.overdue_reviews);
            println!("Part-time past the limit:   {}", f.part_time_too_long);
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::AlternativeProvision {
            store,
            tenant,
            rules,
            on,
            json,
        } => {
            let Reporting {
                store,
                tenant,
                rules,
                settings,
                today,
                now,
            } = reporting(&store, tenant.as_deref(), rules.as_deref(), on).await?;
            let day = RegisterDay {
                calendar: rules.calendar(),
                settings: settings.exclusions,
                today,
            };
            let register = store.placements_report(&tenant, day, now).await?;
            if json {
                println!("{}", serde_json::to_string(&register)?);
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<[String; 6]> = register
                .entries
                .iter()
                .map(|e| {
                    let a = &e.assessment;
                    [
                        e.child
                            .as_ref()
                            .map(|c| format!("{} {}", c.given_name, c.family_name))
                            .unwrap_or_else(|| e.person.0.to_string()),
                        a.provider.clone(),
                        a.hours
                            .map(|h| format!("{h} h"))
                            .unwrap_or_else(|| "not recorded".into()),
                        e.starts_on.to_string(),
                        match (a.days_from_exclusion, a.school_days_from_exclusion) {
                            (Some(d), Some(s)) => format!("{d} days ({s} school days)"),
                            _ => "no exclusion".into(),
                        },
                        match (a.ended, a.next_review) {
                            (Some((on, outcome)), _) => format!("ended {on}: {}", outcome.label()),
                            (None, Some(due)) if today > due => format!("overdue {due}"),
                            (None, Some(due)) => format!("due {due}"),
                            (None, None) => String::new(),
                        },
                    ]
                })
                .collect();
            print_table(
                &[
                    "CHILD",
                    "PROVIDER",
                    "HOURS",
                    "STARTED",
                    "AFTER EXCLUSION",
                    "REVIEW",
                ],
                &rows,
            );
            let p = &register.pathway;
            let median =
                |m: Option<f64>| m.map_or_else(|| "none yet".into(), |m| format!("{m:.1}"));
            println!();
            println!(
                "Placements:                  {} ({} running, {} part-time)",
                p.placements, p.running, p.part_time_running
            );
            println!("After an exclusion:          {}", p.after_exclusion);
            println!(
                "Median days from exclusion:  {} ({} school days)",
                median(p.median_days_from_exclusion),
                median(p.median_school_days_from_exclusion)
            );
            println!(
                "Excluded, no placement yet:  {}",
                register.excluded_without_placement
            );
            println!("Reviews overdue:             {}", p.reviews_overdue);
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::ChildrenNotInSchool {
            store,
            tenant,
            rules,
            on,
            json,
        } => {
            let Reporting {
                store,
                tenant,
                rules,
                settings,
                today,
                now,
            } = reporting(&store, tenant.as_deref(), rules.as_deref(), on).await?;
            let day = NotInSchoolDay {
                calendar: rules.calendar(),
                settings: settings.not_in_school,
                today,
            };
            let register = store
                .children_not_in_school_report(&tenant, day, now)
                .await?;
            if json {
                println!("{}", serde_json::to_string(&register)?);
                return Ok(ExitCode::SUCCESS);
            }
            let child = |child: &Option<harbour_store::RegisterChild>,
                         person: &harbour_domain::PersonId| {
                child
                    .as_ref()
                    .map(|c| format!("{} {}", c.given_name, c.family_name))
                    .unwrap_or_else(|| person.0.to_string())
            };
            println!("Elective home education");
            let rows: Vec<[String; 5]> = register
                .home_education
                .iter()
                .map(|e| {
                    let a = &e.assessment;
                    [
                        child(&e.child, &e.person),
                        e.first_day.to_string(),
                        match (a.consent_needed, a.consent) {
                            (None, _) => "not needed".into(),
                            (Some(_), Some(true)) => "granted".into(),
                            (Some(_), Some(false)) => "refused".into(),
                            (Some(c), None) => format!("NEEDED: {}", c.reason()),
                        },
                        clock(a.home_visit.state(today)),
                        if !a.open {
                            "closed".into()
                        } else {
                            match a.next_request_due {
                                Some(due) if today > due => format!("overdue {due}"),
                                Some(due) => format!("due {due}"),
                                None => String::new(),
                            }
                        },
                    ]
                })
                .collect();
            print_table(
                &[
                    "CHILD",
                    "REGISTERED",
                    "CONSENT",
                    "HOME VISIT",
                    "INFORMATION",
                ],
                &rows,
            );
            println!();
            println!("Children missing education");
            let rows: Vec<[String; 6]> = register
                .missing_education
                .iter()
                .map(|e| {
                    let a = &e.assessment;
                    [
                        child(&e.child, &e.person),
                        e.agency_name.clone().unwrap_or_default(),
                        e.first_day.to_string(),
                        a.days_missing.to_string(),
                        if a.open && a.escalated {
                            format!("ESCALATED (due {})", a.trace.due)
                        } else {
                            clock(a.trace.state(today))
                        },
                        if a.open {
                            format!("{} left", a.steps_left.len())
                        } else {
                            "closed".into()
                        },
                    ]
                })
                .collect();
            print_table(
                &["CHILD", "FROM", "MISSING SINCE", "DAYS", "TRACED", "STEPS"],
                &rows,
            );
            let f = &register.figures;
            println!();
            println!("Home educated:              {}", f.home_educated);
            println!(
                "  without consent (s.434A): {}",
                f.home_educated_without_consent
            );
            println!(
                "  information overdue:      {}",
                f.information_requests_overdue
            );
            println!("Missing education:          {}", f.missing_education);
            println!(
                "Median days missing:        {}",
                f.median_days_missing
                    .map(|d| format!("{d:.1}"))
                    .unwrap_or_else(|| "none yet".into())
            );
            println!(
                "Traced within the limit:    {} of {}{}",
                f.traced_within_limit,
                f.episodes_due,
                f.share_traced_within_limit
                    .map(|s| format!(" ({:.0}%)", s * 100.0))
                    .unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The day `--on` names, or today in London.
/// What every register report starts from: the store and the authority, the rules (for the
/// school calendar) and the registers' settings from the same directory, and the day.
struct Reporting {
    store: harbour_store::Store,
    tenant: harbour_domain::TenantCode,
    rules: harbour_rules::RuleSet,
    settings: harbour_casework::RegisterSettings,
    today: Date,
    now: time::OffsetDateTime,
}

async fn reporting(
    store: &crate::cli::StoreArgs,
    tenant: Option<&str>,
    rules: Option<&std::path::Path>,
    on: Option<String>,
) -> anyhow::Result<Reporting> {
    let settings = load_registers(rules)?;
    let rules = load_rules(rules)?;
    let store = open_store(store).await?;
    let tenant = choose_tenant(&store, tenant).await?;
    let now = SystemClock.now();
    let today = report_day(on, now)?;
    Ok(Reporting {
        store,
        tenant,
        rules,
        settings,
        today,
        now,
    })
}

fn report_day(on: Option<String>, now: time::OffsetDateTime) -> anyhow::Result<Date> {
    match on {
        Some(text) => Date::parse(&text, format_description!("[year]-[month]-[day]"))
            .with_context(|| format!("--on {text:?} is not a date like 2026-09-01")),
        None => Ok(london_today(now)),
    }
}

fn clock(state: ClockState) -> String {
    match state {
        ClockState::Due { due } => format!("due {due}"),
        ClockState::Met { on, .. } => format!("met {on}"),
        ClockState::MetLate { due, on } => format!("late {on} (due {due})"),
        ClockState::Missed { due } => format!("missed {due}"),
    }
}
