//! Alerts: what a firing becomes in a practitioner's queue, and the life of an alert there.
//!
//! Pure, like the rest of the crate: [`alerts_for`] turns a timeline's recent firings into
//! one alert per recipient queue, each keyed by its rule and evidence so it is raised once
//! however often the rules run; [`Status`] and [`Action`] are the states an alert moves
//! through and the moves allowed. The store keeps alerts and applies these; the web shows them.

use crate::{Firing, RuleSet, Timeline};
use harbour_domain::{AgencyId, EventKind, Role};
use std::fmt;
use time::{Date, Duration};

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Raised and waiting for someone in the queue.
    Open,
    /// Seen, and being looked into.
    Acknowledged,
    /// Something was done; the note says what.
    Actioned,
    /// Not a concern; the note says why.
    Dismissed,
}

impl Status {
    pub const ALL: [Self; 4] = [
        Self::Open,
        Self::Acknowledged,
        Self::Actioned,
        Self::Dismissed,
    ];

    /// The stable code stored in the database and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Actioned => "actioned",
            Self::Dismissed => "dismissed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// Still someone's work: open or acknowledged.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Open | Self::Acknowledged)
    }

    /// The plain-English word for a page.
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Acknowledged => "Acknowledged",
            Self::Actioned => "Actioned",
            Self::Dismissed => "Dismissed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a practitioner does with an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Seen, and being looked into.
    Acknowledge,
    /// Something was done: the note says what.
    Actioned { note: String },
    /// Not a concern: the note says why.
    Dismiss { reason: String },
}

/// A note that says what was done, or why not, is at least this long.
pub const MIN_NOTE_CHARS: usize = 10;

/// Why an action on an alert was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("there is no such alert in your queue")]
    NotYours,
    #[error("this alert has already been closed")]
    Closed,
    #[error("say what was done (at least 10 characters)")]
    NoteTooShort,
    #[error("say why this is not a concern (at least 10 characters)")]
    ReasonTooShort,
}

impl Action {
    /// The status the action leads to.
    pub fn status(&self) -> Status {
        match self {
            Self::Acknowledge => Status::Acknowledged,
            Self::Actioned { .. } => Status::Actioned,
            Self::Dismiss { .. } => Status::Dismissed,
        }
    }

    /// The statuses an alert may be in for the action to apply: acknowledging only an open
    /// alert, closing one that is still open or acknowledged.
    pub fn from_statuses(&self) -> &'static [Status] {
        match self {
            Self::Acknowledge => &[Status::Open],
            Self::Actioned { .. } | Self::Dismiss { .. } => &[Status::Open, Status::Acknowledged],
        }
    }

    /// The note kept with the alert (trimmed; empty for an acknowledgement).
    pub fn note(&self) -> &str {
        match self {
            Self::Acknowledge => "",
            Self::Actioned { note } | Self::Dismiss { reason: note } => note.trim(),
        }
    }

    /// Checks the action against the alert's current status: the move must be allowed, and
    /// closing needs a note that says something.
    pub fn check(&self, current: Status) -> Result<(), Refusal> {
        if !current.is_open() {
            return Err(Refusal::Closed);
        }
        let short = self.note().chars().count() < MIN_NOTE_CHARS;
        match self {
            Self::Actioned { .. } if short => Err(Refusal::NoteTooShort),
            Self::Dismiss { .. } if short => Err(Refusal::ReasonTooShort),
            _ if !self.from_statuses().contains(&current) => Err(Refusal::Closed),
            _ => Ok(()),
        }
    }
}

/// A queue an alert goes to: a role, or a role at one agency (a school's lead).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Queue {
    pub role: Role,
    pub agency: Option<AgencyId>,
}

impl Queue {
    /// Whether a member of staff with `roles` at `agency` works this queue, or the queue it
    /// was escalated to.
    pub fn is_worked_by(
        &self,
        escalated_to: Option<Role>,
        roles: &[Role],
        agency: AgencyId,
    ) -> bool {
        let sent = roles.contains(&self.role) && self.agency.is_none_or(|a| a == agency);
        let escalated = escalated_to.is_some_and(|to| roles.contains(&to));
        sent || escalated
    }

    /// The key the store keeps unique per firing: `role` or `role@agency`.
    pub fn key(&self) -> String {
        match self.agency {
            Some(agency) => format!("{}@{agency}", self.role.as_str()),
            None => self.role.as_str().to_owned(),
        }
    }
}

/// An alert to raise: one firing, for one queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub rule: String,
    pub version: u32,
    pub fired_on: Date,
    pub due_on: Date,
    pub severity: &'static str,
    pub queue: Queue,
    /// The evidence events' ids, in date order, with the events that opened the states its
    /// explanation names (`Firing::context`): a reader who may not open all of them sees
    /// the alert withheld.
    pub evidence: Vec<String>,
    /// Unique per rule and evidence (see [`evidence_key`]).
    pub evidence_key: String,
    pub because: String,
    /// For an alert that groups several firings of one family: every rule of the family.
    /// An alert already raised for one of them, for the same child, queue and day, takes
    /// this one's evidence instead of a second alert being raised (a record of the same
    /// moment that arrived later). Empty for an alert of one firing.
    pub family_rules: Vec<String>,
}

/// The key that makes a firing unique: its rule and evidence (so a merge that changes the
/// person's id does not raise it again); for a firing with no evidence events, the person
/// and day. A SHA-256, as stored since alerts were first kept.
pub fn evidence_key(firing: &Firing, timeline: &Timeline) -> String {
    use sha2::{Digest, Sha256};
    let mut ids: Vec<&str> = firing
        .evidence
        .iter()
        .filter_map(|&i| timeline.events.get(i).map(|e| e.id.as_str()))
        .collect();
    ids.sort_unstable();
    let text = if ids.is_empty() {
        format!("{}|{}|{}", firing.rule, timeline.person, firing.on)
    } else {
        format!("{}|{}", firing.rule, ids.join(","))
    };
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The key of an alert that groups several firings of one family on one day: the family,
/// the day and every evidence event, so the same group raises once however often the
/// rules run (and, as for one firing, whatever the person's id).
fn group_key(family: &str, on: Date, firings: &[&Firing], timeline: &Timeline) -> String {
    use sha2::{Digest, Sha256};
    let mut ids: Vec<&str> = firings
        .iter()
        .flat_map(|f| f.evidence.iter())
        .filter_map(|&i| timeline.events.get(i).map(|e| e.id.as_str()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let text = format!("family:{family}|{on}|{}", ids.join(","));
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The alerts a timeline's recent firings call for, as of `today`: one per firing raised in
/// the rule set's raise window, per recipient queue, except that the firings of one rule
/// family on one day (see `Rule::family`) make one alert with all their evidence, sent to
/// every recipient of any of them. Also gives how many firings there were in all.
pub fn alerts_for(rules: &RuleSet, timeline: &Timeline, today: Date) -> (u64, Vec<NewAlert>) {
    let firings = rules.evaluate(timeline, today);
    let since = today - Duration::days(i64::from(rules.raise_within_days()));
    // Groups of (family, day), in the order their first firing comes.
    let mut groups: Vec<(&str, Date, Vec<&Firing>)> = Vec::new();
    for firing in firings.iter().filter(|f| f.on >= since) {
        let Some(rule) = rules.rule(&firing.rule) else {
            continue;
        };
        match groups
            .iter_mut()
            .find(|(family, on, _)| *family == rule.family && *on == firing.on)
        {
            Some((_, _, members)) => members.push(firing),
            None => groups.push((rule.family.as_str(), firing.on, vec![firing])),
        }
    }
    let mut out = Vec::new();
    for (family, on, members) in groups {
        // The most severe rule of the group speaks for it (the first, on a tie).
        let mut lead: Option<(&Firing, &crate::Rule)> = None;
        for firing in &members {
            if let Some(rule) = rules.rule(&firing.rule)
                && lead.is_none_or(|(_, l)| rule.severity > l.severity)
            {
                lead = Some((firing, rule));
            }
        }
        let Some((first, rule)) = lead else {
            continue;
        };
        let key = match members.as_slice() {
            [one] => evidence_key(one, timeline),
            _ => group_key(family, on, &members, timeline),
        };
        // The evidence, and the events that opened the states the explanation names.
        let mut positions: Vec<usize> = members
            .iter()
            .flat_map(|f| f.evidence.iter().chain(&f.context).copied())
            .collect();
        positions.sort_unstable();
        positions.dedup();
        let evidence: Vec<String> = positions
            .iter()
            .filter_map(|&i| timeline.events.get(i))
            .map(|e| e.id.clone())
            .collect();
        let mut because: Vec<&str> = Vec::new();
        for firing in &members {
            if !because.contains(&firing.because.as_str()) {
                because.push(&firing.because);
            }
        }
        let due = members.iter().map(|f| f.due).min().unwrap_or(first.due);
        let mut recipients = Vec::new();
        for firing in &members {
            for recipient in rules.recipients(firing, timeline) {
                if !recipients.contains(&recipient) {
                    recipients.push(recipient);
                }
            }
        }
        let family_rules: Vec<String> = if members.len() > 1 {
            rules
                .rules()
                .iter()
                .filter(|r| r.family == family)
                .map(|r| r.id.clone())
                .collect()
        } else {
            Vec::new()
        };
        for recipient in recipients {
            out.push(NewAlert {
                family_rules: family_rules.clone(),
                rule: first.rule.clone(),
                version: first.version,
                fired_on: on,
                due_on: due,
                severity: rule.severity.as_str(),
                queue: Queue {
                    role: recipient.role,
                    agency: recipient
                        .school
                        .as_deref()
                        .and_then(|s| s.parse::<uuid::Uuid>().ok())
                        .map(AgencyId),
                },
                evidence: evidence.clone(),
                evidence_key: key.clone(),
                because: because.join("; also "),
            });
        }
    }
    (firings.len() as u64, out)
}

/// The title an alert shows to a viewer whose role does not open all of its evidence: the
/// rule's own title names what happened ("an emergency department attendance for
/// assault"), so it is withheld with the rule and its explanation.
pub const WITHHELD_TITLE: &str = "A concern from records your role does not open";

/// An alert's explanation for a viewer whose role opens only some of its evidence: the
/// events they may open, named by kind and date, and how many others there are. Never the
/// rule's own words, which would say what the others were.
pub fn withheld_because(shown: &[(EventKind, Date)], withheld: usize) -> String {
    let others = format!(
        "{withheld} event{} you cannot see",
        if withheld == 1 { "" } else { "s" }
    );
    if shown.is_empty() {
        return format!("Raised on {others}");
    }
    let listed: Vec<String> = shown
        .iter()
        .map(|(kind, on)| format!("{} ({on})", kind.label()))
        .collect();
    format!("{}, and {others}", listed.join("; "))
}

/// Severities whose alerts go to a recipient's list rather than their queue. Persistent
/// absence alone raised 26,832 alerts for 11,122 children of a 20,000-child county: one
/// queue row each would bury a school's lead. Listed alerts are kept, acted on and escalated
/// as any other; the queue shows them as one row (how many children), linking to the list.
pub const LISTED_SEVERITIES: [&str; 1] = ["low"];

/// Whether an alert of `severity` goes to the list rather than the queue.
pub fn is_listed(severity: &str) -> bool {
    LISTED_SEVERITIES.contains(&severity)
}

/// Whether an open alert due before `today` should go up to the role above its queue.
pub fn is_overdue(status: Status, due_on: Date, today: Date) -> bool {
    status.is_open() && due_on < today
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actioned(note: &str) -> Action {
        Action::Actioned { note: note.into() }
    }

    #[test]
    fn statuses_round_trip_through_their_codes() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("closed"), None);
    }

    #[test]
    fn only_open_alerts_can_be_acted_on_and_closing_needs_a_note() {
        assert_eq!(Action::Acknowledge.check(Status::Open), Ok(()));
        assert_eq!(
            Action::Acknowledge.check(Status::Acknowledged),
            Err(Refusal::Closed),
            "acknowledging twice is not a move"
        );
        assert_eq!(
            actioned("Spoke to the family").check(Status::Acknowledged),
            Ok(())
        );
        assert_eq!(
            actioned(" short    ").check(Status::Open),
            Err(Refusal::NoteTooShort)
        );
        assert_eq!(
            Action::Dismiss {
                reason: "no".into()
            }
            .check(Status::Open),
            Err(Refusal::ReasonTooShort)
        );
        for closed in [Status::Actioned, Status::Dismissed] {
            assert_eq!(
                actioned("Spoke to the family").check(closed),
                Err(Refusal::Closed)
            );
        }
    }

    #[test]
    fn a_queue_is_worked_by_its_role_at_its_agency_or_where_it_was_escalated() {
        let school = AgencyId(uuid::Uuid::from_u128(1));
        let other = AgencyId(uuid::Uuid::from_u128(2));
        let queue = Queue {
            role: Role::SchoolDsl,
            agency: Some(school),
        };
        assert!(queue.is_worked_by(None, &[Role::SchoolDsl], school));
        assert!(!queue.is_worked_by(None, &[Role::SchoolDsl], other));
        assert!(!queue.is_worked_by(None, &[Role::LaInclusionOfficer], school));
        assert!(queue.is_worked_by(
            Some(Role::LaInclusionOfficer),
            &[Role::LaInclusionOfficer],
            other
        ));
        assert_eq!(queue.key(), format!("school_dsl@{}", school.0));
    }

    fn event(id: &str, kind: EventKind, on: Date, agency: &str, details: &str) -> crate::Event {
        crate::Event {
            id: id.into(),
            kind,
            on,
            agency: agency.into(),
            agency_name: agency.into(),
            school: crate::School::own(&agency.into(), agency == "school"),
            summary: String::new(),
            details: crate::Fields::from_json(kind, details),
        }
    }

    /// Issue 14, point 7: the police's and the hospital's records of one assault, or two
    /// home-education rules on one day, are one alert per recipient with all the evidence.
    #[test]
    fn one_moment_of_one_family_is_one_alert_per_recipient() {
        let rules = RuleSet::builtin().unwrap();
        let day = time::macros::date!(2026 - 11 - 10);
        let assault = Timeline::new(
            "p",
            None,
            vec![
                event(
                    "e1",
                    EventKind::SchoolEnrolment,
                    day - Duration::days(400),
                    "school",
                    "{}",
                ),
                event(
                    "e2",
                    EventKind::VictimOfCrime,
                    day,
                    "police",
                    r#"{"offence":"Assault"}"#,
                ),
                event(
                    "e3",
                    EventKind::EmergencyAttendance,
                    day,
                    "health",
                    r#"{"reason":"assault"}"#,
                ),
            ],
        );
        let (_, alerts) = alerts_for(&rules, &assault, day);
        let queues: std::collections::BTreeSet<String> =
            alerts.iter().map(|a| a.queue.key()).collect();
        assert_eq!(
            alerts.len(),
            queues.len(),
            "one alert per queue: {alerts:#?}"
        );
        assert!(alerts.iter().all(|a| a.evidence.len() == 2), "{alerts:#?}");

        let ehe = Timeline::new(
            "q",
            None,
            vec![
                event(
                    "s1",
                    EventKind::Suspension,
                    day - Duration::days(60),
                    "school",
                    r#"{"reason":"PP"}"#,
                ),
                event(
                    "r1",
                    EventKind::SocialCareReferral,
                    day - Duration::days(30),
                    "la",
                    "{}",
                ),
                event("h1", EventKind::EheRegistration, day, "la", "{}"),
            ],
        );
        let (_, alerts) = alerts_for(&rules, &ehe, day);
        let officer: Vec<&NewAlert> = alerts
            .iter()
            .filter(|a| a.queue.role == Role::LaCmeEheOfficer)
            .collect();
        assert_eq!(officer.len(), 1, "{alerts:#?}");
        let (_, again) = alerts_for(&rules, &ehe, day);
        assert_eq!(
            alerts, again,
            "raising stays idempotent: the same keys each run"
        );
    }

    /// Issue 14, point 1: "home education while known to social care" says the child is
    /// known to social care. The referral that opened that state is part of what the alert
    /// tells, so it is among the alert's evidence: a reader whose role may not open it sees
    /// the alert withheld. The key (raised once) still rests on the firing's own evidence.
    #[test]
    fn an_alert_that_fires_while_a_state_is_open_cites_the_event_that_opened_it() {
        let rules = RuleSet::builtin().unwrap();
        let day = time::macros::date!(2026 - 11 - 10);
        let timeline = Timeline::new(
            "q",
            None,
            vec![
                event(
                    "r1",
                    EventKind::SocialCareReferral,
                    day - Duration::days(30),
                    "la",
                    "{}",
                ),
                event("h1", EventKind::EheRegistration, day, "la", "{}"),
            ],
        );
        let (_, alerts) = alerts_for(&rules, &timeline, day);
        let known: Vec<&NewAlert> = alerts
            .iter()
            .filter(|a| a.rule == "ehe-while-known")
            .collect();
        assert!(!known.is_empty(), "{alerts:#?}");
        for alert in known {
            assert_eq!(alert.evidence, ["r1", "h1"], "{alert:#?}");
        }
    }

    #[test]
    fn withheld_evidence_is_counted_and_never_named() {
        let day = time::macros::date!(2026 - 03 - 02);
        assert_eq!(
            withheld_because(&[(EventKind::PermanentExclusion, day)], 1),
            "Permanent exclusion (2026-03-02), and 1 event you cannot see"
        );
        assert_eq!(
            withheld_because(&[], 2),
            "Raised on 2 events you cannot see"
        );
    }

    #[test]
    fn overdue_means_open_and_past_its_day() {
        let day = time::macros::date!(2026 - 03 - 02);
        assert!(is_overdue(
            Status::Acknowledged,
            day,
            day + Duration::days(1)
        ));
        assert!(!is_overdue(Status::Open, day, day));
        assert!(!is_overdue(Status::Actioned, day, day + Duration::days(9)));
    }
}
