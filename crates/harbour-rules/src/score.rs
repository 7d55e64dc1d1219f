//! Early identification, scored against the synthetic county's ground truth: of the children
//! on an exploitation trajectory, how many a compound or exploitation rule flagged before the
//! serious harm, and how long before; and for everyone, how many alerts each rule raises per
//! 1,000 children a year (the burden on practitioners).

use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use time::Date;

/// One child's truth and firings.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub trajectory: bool,
    pub harm: Option<Date>,
    /// (rule id, day fired)
    pub firings: Vec<(String, Date)>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleBurden {
    pub rule: String,
    pub alerts: u64,
    pub children: u64,
    pub alerts_per_1000_children_per_year: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub children: u64,
    pub years: f64,
    pub trajectories: u64,
    /// Trajectories whose serious harm has happened (the ones a lead time can be measured on).
    pub trajectories_harmed: u64,
    pub flagged_before_harm: u64,
    pub flagged_12_months_before_harm: u64,
    pub share_flagged_12_months_before_harm: f64,
    pub median_lead_days: Option<i64>,
    /// Children with at least one compound-rule alert, and their share of all children.
    pub children_with_compound_alert: u64,
    pub share_children_with_compound_alert: f64,
    pub by_rule: Vec<RuleBurden>,
}

/// Scores `people`. `flags` are the rules whose firing counts as identifying exploitation
/// risk; `compound` the compound rules; `years` the length of the period the firings cover.
pub fn early_identification(
    people: &[Outcome],
    flags: &HashSet<String>,
    compound: &HashSet<String>,
    years: f64,
) -> Report {
    let mut leads = Vec::new();
    let (mut trajectories, mut harmed, mut before, mut year_before, mut with_compound) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut burden: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for person in people {
        let mut rules_seen = HashSet::new();
        for (rule, _) in &person.firings {
            let entry = burden.entry(rule.clone()).or_default();
            entry.0 += 1;
            if rules_seen.insert(rule.as_str()) {
                entry.1 += 1;
            }
        }
        if person.firings.iter().any(|(r, _)| compound.contains(r)) {
            with_compound += 1;
        }
        if !person.trajectory {
            continue;
        }
        trajectories += 1;
        let Some(harm) = person.harm else { continue };
        harmed += 1;
        let first_flag = person
            .firings
            .iter()
            .filter(|(r, on)| flags.contains(r) && *on < harm)
            .map(|(_, on)| *on)
            .min();
        if let Some(flagged) = first_flag {
            before += 1;
            let lead = (harm - flagged).whole_days();
            if lead >= 365 {
                year_before += 1;
            }
            leads.push(lead);
        }
    }
    leads.sort_unstable();
    let children = people.len() as u64;
    let share = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    Report {
        children,
        years,
        trajectories,
        trajectories_harmed: harmed,
        flagged_before_harm: before,
        flagged_12_months_before_harm: year_before,
        share_flagged_12_months_before_harm: share(year_before, harmed),
        median_lead_days: leads.get(leads.len() / 2).copied(),
        children_with_compound_alert: with_compound,
        share_children_with_compound_alert: share(with_compound, children),
        by_rule: burden
            .into_iter()
            .map(|(rule, (alerts, kids))| RuleBurden {
                rule,
                alerts,
                children: kids,
                alerts_per_1000_children_per_year: if children == 0 || years <= 0.0 {
                    0.0
                } else {
                    alerts as f64 * 1000.0 / children as f64 / years
                },
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn lead_times_and_shares_are_counted_per_child() {
        let flags: HashSet<String> = ["compound".to_owned()].into();
        let people = vec![
            Outcome {
                trajectory: true,
                harm: Some(date!(2024 - 06 - 01)),
                firings: vec![
                    ("absence".into(), date!(2020 - 01 - 01)),
                    ("compound".into(), date!(2022 - 06 - 01)),
                ],
            },
            Outcome {
                trajectory: true,
                harm: Some(date!(2024 - 06 - 01)),
                firings: vec![("compound".into(), date!(2024 - 01 - 01))],
            },
            Outcome {
                trajectory: false,
                harm: None,
                firings: vec![("absence".into(), date!(2020 - 01 - 01))],
            },
            Outcome {
                trajectory: true,
                harm: None,
                firings: vec![],
            },
        ];
        let report = early_identification(&people, &flags, &flags, 2.0);
        assert_eq!(report.trajectories, 3);
        assert_eq!(report.trajectories_harmed, 2);
        assert_eq!(report.flagged_before_harm, 2);
        assert_eq!(report.flagged_12_months_before_harm, 1);
        assert_eq!(report.median_lead_days, Some(731));
        assert_eq!(report.children_with_compound_alert, 2);
        let absence = report.by_rule.iter().find(|r| r.rule == "absence").unwrap();
        assert_eq!((absence.alerts, absence.children), (2, 2));
        assert!((absence.alerts_per_1000_children_per_year - 250.0).abs() < 1e-9);
    }
}
