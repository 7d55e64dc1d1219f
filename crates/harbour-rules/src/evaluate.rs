//! Running the rules over one timeline: on which days each rule fires, on what evidence, and
//! why, in words. The same code serves live alerts (the firings since the last run) and
//! replay (all of them, to ask "when would we have known?").

use crate::RuleSet;
use crate::rule::{Condition, Limit, Match, Rule, Window};
use crate::timeline::{School, Timeline};
use harbour_domain::{EventKind, Role};
use std::collections::BTreeSet;
use time::{Date, Duration};

/// One rule firing on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub rule: String,
    pub version: u32,
    pub on: Date,
    /// When the recipients should have responded.
    pub due: Date,
    /// Positions in the timeline's events of the evidence, in date order.
    pub evidence: Vec<usize>,
    /// The firing explained in a sentence, naming the evidence.
    pub because: String,
    /// For a compound rule, the rules it combined.
    pub combines: Vec<String>,
    /// Positions of the events that opened the `while_open` states the firing names ("while
    /// known to children's social care"): not evidence of the moment (the key that raises
    /// it once rests on `evidence`), but what its explanation discloses, so an alert's
    /// reader must be able to open them too.
    pub context: Vec<usize>,
}

/// Who an alert goes to: a role, and for a school's designated safeguarding lead, which
/// school (the agency that last recorded something about the child).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Recipient {
    pub role: Role,
    pub school: Option<String>,
}

/// A firing before its due date and modifiers are applied.
struct Candidate {
    on: Date,
    evidence: Vec<usize>,
    because: String,
}

fn matching(m: &Match, timeline: &Timeline) -> Vec<usize> {
    timeline
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            m.kinds.contains(&e.kind) && m.predicate.as_ref().is_none_or(|p| p.test(e))
        })
        .map(|(i, _)| i)
        .collect()
}

fn days(n: u32) -> Duration {
    Duration::days(i64::from(n))
}

impl RuleSet {
    fn deadline(&self, from: Date, limit: Limit) -> Date {
        match limit {
            Limit::Days(n) => from + days(n),
            Limit::SchoolDays(n) => self.calendar.add_school_days(from, n),
        }
    }

    /// An event named by its kind and date, never its free text: an alert's explanation
    /// goes to everyone it is sent to, and the detail of each event stays behind the access
    /// policy (the alert page shows what the reader's role may see).
    /// A register clock is named by its summary, which is not free text: the register's
    /// fixed words for the clock and its due day (`harbour_casework::moments`).
    fn describe(timeline: &Timeline, index: usize) -> String {
        timeline
            .events
            .get(index)
            .map(|e| match e.kind {
                EventKind::RegisterClock if !e.summary.is_empty() => {
                    format!("{} ({})", e.summary, e.on)
                }
                _ => format!("{} ({})", e.kind.label(), e.on),
            })
            .unwrap_or_default()
    }

    fn candidates(&self, rule: &Rule, timeline: &Timeline, until: Date) -> Vec<Candidate> {
        let date_of = |i: usize| timeline.events.get(i).map(|e| e.on);
        let mut found = Vec::new();
        match &rule.condition {
            Condition::Event(m) => {
                for i in matching(m, timeline) {
                    if let Some(on) = date_of(i) {
                        found.push(Candidate {
                            on,
                            evidence: vec![i],
                            because: Self::describe(timeline, i),
                        });
                    }
                }
            }
            Condition::Count {
                what,
                at_least,
                sessions_at_least,
                window,
            } => {
                let hits = matching(what, timeline);
                let mut armed = true;
                let mut start = 0;
                for (j, &i) in hits.iter().enumerate() {
                    let Some(on) = date_of(i) else { continue };
                    // A gap longer than the window between one matching event and the next
                    // ends a run: the next run may fire again.
                    if let (Window::Days(n), Some(previous)) = (
                        window,
                        j.checked_sub(1)
                            .and_then(|p| hits.get(p))
                            .and_then(|&p| date_of(p)),
                    ) && on - previous > days(*n)
                    {
                        armed = true;
                    }
                    let in_window: Vec<usize> = match window {
                        Window::Days(n) => {
                            while hits
                                .get(start)
                                .and_then(|&s| date_of(s))
                                .is_some_and(|d| on - d > days(*n))
                            {
                                start += 1;
                            }
                            hits.get(start..=j)
                                .map(<[usize]>::to_vec)
                                .unwrap_or_default()
                        }
                        Window::Term => match self.calendar.term_of(on) {
                            None => Vec::new(),
                            Some(term) => hits
                                .get(..=j)
                                .unwrap_or_default()
                                .iter()
                                .copied()
                                .filter(|&h| date_of(h).is_some_and(|d| d >= term.starts))
                                .collect(),
                        },
                    };
                    let count = u32::try_from(in_window.len()).unwrap_or(u32::MAX);
                    let sessions: f64 = in_window
                        .iter()
                        .filter_map(|&k| timeline.events.get(k))
                        .filter_map(|e| e.details.get("sessions_possible"))
                        .filter_map(serde_json::Value::as_f64)
                        .sum();
                    let enough_sessions =
                        sessions_at_least.is_none_or(|n| sessions >= f64::from(n));
                    if count < *at_least || !enough_sessions {
                        armed = true;
                    } else if armed {
                        armed = false;
                        let span = match window {
                            Window::Days(n) => format!("within {n} days"),
                            Window::Term => "in one term".to_owned(),
                        };
                        let listed: Vec<String> = in_window
                            .iter()
                            .map(|&k| Self::describe(timeline, k))
                            .collect();
                        found.push(Candidate {
                            on,
                            because: format!(
                                "{count} × {} {span}: {}",
                                what.describe(),
                                listed.join("; ")
                            ),
                            evidence: in_window,
                        });
                    }
                    // A new term starts a new run.
                    if matches!(window, Window::Term)
                        && hits
                            .get(j + 1)
                            .and_then(|&n| date_of(n))
                            .is_some_and(|next| {
                                self.calendar.term_of(next) != self.calendar.term_of(on)
                            })
                    {
                        armed = true;
                    }
                }
            }
            Condition::Sequence {
                first,
                then,
                within_days,
            } => {
                let firsts = matching(first, timeline);
                for t in matching(then, timeline) {
                    let Some(on) = date_of(t) else { continue };
                    let earlier = firsts.iter().rev().copied().find(|&f| {
                        f != t
                            && date_of(f).is_some_and(|d| d <= on && on - d <= days(*within_days))
                    });
                    if let Some(f) = earlier {
                        let gap = date_of(f).map_or(0, |d| (on - d).whole_days());
                        found.push(Candidate {
                            on,
                            because: format!(
                                "{}, {gap} days after {}",
                                Self::describe(timeline, t),
                                Self::describe(timeline, f)
                            ),
                            evidence: vec![f, t],
                        });
                    }
                }
            }
            Condition::Absence {
                after,
                expect,
                within,
            } => {
                let expected = matching(expect, timeline);
                for a in matching(after, timeline) {
                    let Some(from) = date_of(a) else { continue };
                    let deadline = self.deadline(from, *within);
                    if deadline > until {
                        continue;
                    }
                    let met = expected
                        .iter()
                        .any(|&e| e != a && date_of(e).is_some_and(|d| d >= from && d <= deadline));
                    if !met {
                        found.push(Candidate {
                            on: deadline,
                            because: format!(
                                "{}, and no {} within {within} (by {deadline})",
                                Self::describe(timeline, a),
                                expect.describe()
                            ),
                            evidence: vec![a],
                        });
                    }
                }
            }
            Condition::Age { months } => {
                if let Some(reached) = timeline.day_aged(*months) {
                    let opening: Vec<usize> = timeline
                        .events
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| {
                            e.on > reached
                                && rule.while_open.iter().any(|s| {
                                    self.states
                                        .get(s)
                                        .is_some_and(|st| st.opens.contains(&e.kind))
                                })
                        })
                        .map(|(i, _)| i)
                        .collect();
                    let mut days_to_try = vec![reached];
                    days_to_try.extend(opening.iter().filter_map(|&i| date_of(i)));
                    let age = match months % 12 {
                        0 => format!("{} years", months / 12),
                        m => format!(
                            "{} years {m} month{}",
                            months / 12,
                            if m == 1 { "" } else { "s" }
                        ),
                    };
                    found.extend(days_to_try.into_iter().map(|on| {
                        let evidence: Vec<usize> = timeline
                            .events
                            .iter()
                            .enumerate()
                            .rev()
                            .find(|(_, e)| {
                                e.on <= on
                                    && rule.while_open.iter().any(|s| {
                                        self.states
                                            .get(s)
                                            .is_some_and(|st| st.opens.contains(&e.kind))
                                    })
                            })
                            .map(|(i, _)| i)
                            .into_iter()
                            .collect();
                        let mut because = format!("aged {age} on {on}");
                        if let Some(&i) = evidence.first() {
                            because.push_str(&format!(" with {}", Self::describe(timeline, i)));
                        }
                        Candidate {
                            on,
                            evidence,
                            because,
                        }
                    }));
                }
            }
            Condition::Compound { .. } => {}
        }
        found
    }

    /// The events that opened the rule's `while_open` states open on `day`: for each, the
    /// last opening event on or before it.
    fn opened_by(&self, rule: &Rule, timeline: &Timeline, day: Date) -> Vec<usize> {
        let mut out: Vec<usize> = rule
            .while_open
            .iter()
            .filter_map(|s| self.states.get(s))
            .filter(|s| s.open_on(timeline, day))
            .filter_map(|s| {
                timeline
                    .events
                    .iter()
                    .enumerate()
                    .take_while(|(_, e)| e.on <= day)
                    .filter(|(_, e)| s.opens.contains(&e.kind))
                    .last()
                    .map(|(i, _)| i)
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether the rule's `while_open` and `unless_seen` allow it to fire on `day`.
    fn allowed(&self, rule: &Rule, timeline: &Timeline, day: Date) -> Option<String> {
        let mut notes = Vec::new();
        if !rule.while_open.is_empty() {
            let open: Vec<&str> = rule
                .while_open
                .iter()
                .filter_map(|s| self.states.get(s))
                .filter(|s| s.open_on(timeline, day))
                .map(|s| s.title.as_str())
                .collect();
            if open.is_empty() {
                return None;
            }
            notes.push(format!("while {}", open.join(" and ")));
        }
        if !rule.unless_seen.is_empty() {
            if timeline
                .events
                .iter()
                .take_while(|e| e.on <= day)
                .any(|e| rule.unless_seen.contains(&e.kind))
            {
                return None;
            }
            let kinds: Vec<String> = rule
                .unless_seen
                .iter()
                .map(|k| k.label().to_lowercase())
                .collect();
            notes.push(format!("with no {} recorded", kinds.join(" or ")));
        }
        Some(notes.join(", "))
    }

    /// Every firing of every rule on `timeline` up to and including `until`, in date order
    /// (then rule id).
    pub fn evaluate(&self, timeline: &Timeline, until: Date) -> Vec<Firing> {
        let mut firings = Vec::new();
        for rule in self
            .rules
            .iter()
            .filter(|r| !matches!(r.condition, Condition::Compound { .. }))
        {
            let mut seen_days = BTreeSet::new();
            for candidate in self.candidates(rule, timeline, until) {
                if candidate.on > until {
                    continue;
                }
                let Some(note) = self.allowed(rule, timeline, candidate.on) else {
                    continue;
                };
                // An age rule fires once: on the first day all its conditions hold.
                if matches!(rule.condition, Condition::Age { .. }) && !seen_days.is_empty() {
                    continue;
                }
                seen_days.insert(candidate.on);
                let because = if note.is_empty() {
                    candidate.because
                } else {
                    format!("{}, {note}", candidate.because)
                };
                firings.push(Firing {
                    rule: rule.id.clone(),
                    version: rule.version,
                    on: candidate.on,
                    due: self.deadline(candidate.on, rule.respond_within),
                    context: self.opened_by(rule, timeline, candidate.on),
                    evidence: candidate.evidence,
                    because,
                    combines: Vec::new(),
                });
            }
        }
        firings.sort_by(|a, b| a.on.cmp(&b.on).then_with(|| a.rule.cmp(&b.rule)));
        let compound = self.compound(&firings, timeline);
        firings.extend(compound);
        firings.sort_by(|a, b| a.on.cmp(&b.on).then_with(|| a.rule.cmp(&b.rule)));
        firings
    }

    fn compound(&self, plain: &[Firing], timeline: &Timeline) -> Vec<Firing> {
        let mut out = Vec::new();
        for rule in &self.rules {
            let Condition::Compound {
                of,
                at_least,
                within_days,
            } = &rule.condition
            else {
                continue;
            };
            let counted: Vec<&Firing> = plain
                .iter()
                .filter(|f| of.is_empty() || of.contains(&f.rule))
                .collect();
            let mut armed = true;
            let mut start = 0;
            for (j, firing) in counted.iter().enumerate() {
                while counted
                    .get(start)
                    .is_some_and(|s| firing.on - s.on > days(*within_days))
                {
                    start += 1;
                }
                let window = counted.get(start..=j).unwrap_or_default();
                // The latest firing of each rule in the window.
                let mut by_rule: Vec<&Firing> = Vec::new();
                for f in window.iter().rev() {
                    if !by_rule.iter().any(|b| b.rule == f.rule) {
                        by_rule.push(f);
                    }
                }
                by_rule.reverse();
                let distinct = u32::try_from(by_rule.len()).unwrap_or(u32::MAX);
                if distinct < *at_least {
                    armed = true;
                    continue;
                }
                if !armed {
                    continue;
                }
                let Some(note) = self.allowed(rule, timeline, firing.on) else {
                    continue;
                };
                armed = false;
                let mut evidence: Vec<usize> = by_rule
                    .iter()
                    .flat_map(|f| f.evidence.iter().copied())
                    .collect();
                evidence.sort_unstable();
                evidence.dedup();
                let titles: Vec<String> = by_rule
                    .iter()
                    .map(|f| {
                        let title = self
                            .rule(&f.rule)
                            .map_or(f.rule.as_str(), |r| r.title.as_str());
                        format!("{title} ({})", f.on)
                    })
                    .collect();
                let mut because = format!(
                    "{distinct} different concerns within {within_days} days: {}",
                    titles.join("; ")
                );
                if !note.is_empty() {
                    because.push_str(&format!(", {note}"));
                }
                let mut context: Vec<usize> = by_rule
                    .iter()
                    .flat_map(|f| f.context.iter().copied())
                    .chain(self.opened_by(rule, timeline, firing.on))
                    .collect();
                context.sort_unstable();
                context.dedup();
                out.push(Firing {
                    context,
                    rule: rule.id.clone(),
                    version: rule.version,
                    on: firing.on,
                    due: self.deadline(firing.on, rule.respond_within),
                    evidence,
                    because,
                    combines: by_rule.iter().map(|f| f.rule.clone()).collect(),
                });
            }
        }
        out
    }

    /// Who a firing goes to. A school's designated safeguarding lead means the lead of the
    /// school the child was at on the day it fired ([`Timeline::school_on`]); with no school
    /// known, or one Harbour does not hold, the children-missing-education officer is told
    /// instead (a child with no school is their concern, and they can reach any school).
    pub fn recipients(&self, firing: &Firing, timeline: &Timeline) -> Vec<Recipient> {
        let Some(rule) = self.rule(&firing.rule) else {
            return Vec::new();
        };
        let mut out: Vec<Recipient> = Vec::new();
        for role in &rule.notify {
            let recipient = if *role == Role::SchoolDsl {
                match timeline.school_on(firing.on) {
                    Some(School::Agency(school)) => Recipient {
                        role: Role::SchoolDsl,
                        school: Some(school.to_string()),
                    },
                    // The child was at a school Harbour does not hold, or at none.
                    Some(School::Elsewhere(_)) | None => Recipient {
                        role: Role::LaCmeEheOfficer,
                        school: None,
                    },
                }
            } else {
                Recipient {
                    role: *role,
                    school: None,
                }
            };
            if !out.contains(&recipient) {
                out.push(recipient);
            }
        }
        out
    }
}
