//! Critical-moment alerts: running the rules over timelines, raising each firing once in
//! each recipient's queue, escalating overdue ones, and practitioners acting on them. Every
//! run and every look and action is audited.

use crate::StoreError;
use crate::StoreLocation;
use crate::audit::{AuditEntry, Outcome};
use crate::store::{Store, principal_entry};
use harbour_domain::{AgencyId, PersonId, Role, TenantCode};
use harbour_policy::Principal;
use harbour_rules::{Firing, RuleSet, Timeline};
use rayon::prelude::*;
use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// An alert in a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub id: Uuid,
    pub person: PersonId,
    pub rule: String,
    pub rule_version: i32,
    pub fired_on: Date,
    pub due_on: Date,
    pub severity: String,
    pub recipient_role: String,
    pub recipient_agency: Option<AgencyId>,
    /// The evidence events' ids.
    pub evidence: Vec<Uuid>,
    pub because: String,
    /// open, acknowledged, actioned or dismissed.
    pub status: String,
    pub note: String,
    pub escalated_to: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
}

/// An alert to raise (the same for both backends).
#[derive(Debug, Clone)]
pub(crate) struct NewAlert {
    pub person: Uuid,
    pub rule: String,
    pub version: i32,
    pub fired_on: Date,
    pub due_on: Date,
    pub severity: String,
    pub role: String,
    pub agency: Option<Uuid>,
    pub evidence: String,
    pub evidence_key: String,
    pub because: String,
}

impl NewAlert {
    /// The queue the alert goes to: a role, or a role at one school.
    pub(crate) fn recipient_key(&self) -> String {
        match self.agency {
            Some(agency) => format!("{}@{agency}", self.role),
            None => self.role.clone(),
        }
    }
}

/// Which timelines a run evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunScope {
    /// Every person.
    All,
    /// Persons whose timelines changed since the last run began (every person if none).
    Changed,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRunReport {
    pub scope: &'static str,
    pub persons_evaluated: u64,
    pub firings: u64,
    pub alerts_raised: u64,
    pub escalated: u64,
    pub seconds: f64,
}

/// What a practitioner does with an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertAction {
    /// Seen, and being looked into.
    Acknowledge,
    /// Something was done: the note says what.
    Actioned { note: String },
    /// Not a concern: the note says why.
    Dismiss { reason: String },
}

impl AlertAction {
    fn status(&self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledged",
            Self::Actioned { .. } => "actioned",
            Self::Dismiss { .. } => "dismissed",
        }
    }
}

/// Why an action on an alert was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertRefusal {
    #[error("there is no such alert in your queue")]
    NotYours,
    #[error("this alert has already been closed")]
    Closed,
    #[error("say what was done (at least 10 characters)")]
    NoteTooShort,
}

/// Timelines are read and evaluated this many persons at a time: memory stays flat.
const PERSONS_PER_CHUNK: usize = 2_000;

/// The key that makes a firing unique: its rule and evidence (so a merge that changes the
/// person's id does not raise it again); for a firing with no evidence events, the person
/// and day.
fn evidence_key(firing: &Firing, timeline: &Timeline) -> String {
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

fn evidence_ids(firing: &Firing, timeline: &Timeline) -> Vec<Uuid> {
    firing
        .evidence
        .iter()
        .filter_map(|&i| timeline.events.get(i))
        .filter_map(|e| Uuid::parse_str(&e.id).ok())
        .collect()
}

/// The alerts a timeline's recent firings call for: one per firing per recipient queue.
fn alerts_for(
    rules: &RuleSet,
    person: Uuid,
    timeline: &Timeline,
    today: Date,
) -> (u64, Vec<NewAlert>) {
    let firings = rules.evaluate(timeline, today);
    let since = today - Duration::days(i64::from(rules.raise_within_days()));
    let mut out = Vec::new();
    for firing in firings.iter().filter(|f| f.on >= since) {
        let Some(rule) = rules.rule(&firing.rule) else {
            continue;
        };
        let key = evidence_key(firing, timeline);
        let evidence = serde_json::to_string(&evidence_ids(firing, timeline)).unwrap_or_default();
        for recipient in rules.recipients(firing, timeline) {
            out.push(NewAlert {
                person,
                rule: firing.rule.clone(),
                version: i32::try_from(firing.version).unwrap_or(i32::MAX),
                fired_on: firing.on,
                due_on: firing.due,
                severity: rule.severity.as_str().to_owned(),
                role: recipient.role.as_str().to_owned(),
                agency: recipient
                    .school
                    .as_deref()
                    .and_then(|s| Uuid::parse_str(s).ok()),
                evidence: evidence.clone(),
                evidence_key: key.clone(),
                because: firing.because.clone(),
            });
        }
    }
    (firings.len() as u64, out)
}

impl Store {
    /// Runs `rules` over the timelines `scope` names, as of `today`; raises an alert for each
    /// recent firing in each recipient's queue (never twice), escalates overdue alerts, and
    /// records the run. One audit entry for the run.
    pub async fn run_rules(
        &self,
        tenant: &TenantCode,
        rules: &RuleSet,
        scope: RunScope,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<RuleRunReport, StoreError> {
        let clock = std::time::Instant::now();
        on_backend!(self, [queries as q, alerts as a], pool => {
            let since = match scope {
                RunScope::All => None,
                RunScope::Changed => a::last_run_started(pool, tenant).await?,
            };
            let scope_name = if since.is_some() { "changed" } else { "all" };
            let mut evaluated = 0u64;
            let mut firings = 0;
            let mut alerts = Vec::new();
            let mut evaluate = |timelines: Vec<(Uuid, Timeline)>| {
                evaluated += timelines.len() as u64;
                let found: Vec<(u64, Vec<NewAlert>)> = timelines
                    .par_iter()
                    .map(|(person, timeline)| alerts_for(rules, *person, timeline, today))
                    .collect();
                for (count, more) in found {
                    firings += count;
                    alerts.extend(more);
                }
            };
            match since {
                None => self.each_timeline_chunk(tenant, rules.reads_summary(), &mut evaluate).await?,
                Some(since) => {
                    let mut changed = a::changed_since(pool, tenant, since).await?;
                    changed.sort_unstable();
                    changed.dedup();
                    for chunk in changed.chunks(PERSONS_PER_CHUNK) {
                        evaluate(a::timelines(pool, tenant, chunk).await?);
                    }
                }
            }
            let mut tx = q::begin(pool).await?;
            let raised = a::insert_alerts(&mut tx, tenant, &alerts, now).await?;
            let mut escalated = 0;
            for role in Role::ALL {
                if let Some(to) = rules.escalates_to(*role) {
                    escalated += a::escalate(&mut tx, tenant, role.as_str(), to.as_str(), today, now).await?;
                }
            }
            let report = RuleRunReport {
                scope: scope_name,
                persons_evaluated: evaluated,
                firings,
                alerts_raised: raised,
                escalated,
                seconds: clock.elapsed().as_secs_f64(),
            };
            a::record_run(&mut tx, tenant, now, now + Duration::seconds_f64(report.seconds), scope_name,
                &rules.versions(), i64::try_from(report.persons_evaluated).unwrap_or(i64::MAX),
                i64::try_from(raised).unwrap_or(i64::MAX)).await?;
            let mut entry = AuditEntry::new(now, tenant.clone(), "run_rules", "notice critical moments");
            entry.detail = serde_json::json!({
                "scope": scope_name,
                "persons_evaluated": report.persons_evaluated,
                "alerts_raised": raised,
                "escalated": escalated,
                "rules": rules.versions(),
            })
            .to_string();
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(report)
        })
    }

    /// Every person's firings up to `today`, as (rule id, day), without raising alerts: for
    /// scoring the rules against a synthetic county's truth. One audit entry.
    pub async fn evaluate_all(
        &self,
        tenant: &TenantCode,
        rules: &RuleSet,
        now: OffsetDateTime,
    ) -> Result<Vec<(PersonId, Vec<(String, Date)>)>, StoreError> {
        let today = now.date();
        let mut out = Vec::new();
        self.each_timeline_chunk(tenant, rules.reads_summary(), |timelines| {
            out.par_extend(timelines.par_iter().map(|(person, timeline)| {
                let fired = rules
                    .evaluate(timeline, today)
                    .into_iter()
                    .map(|f| (f.rule, f.on))
                    .collect();
                (PersonId(*person), fired)
            }));
        })
        .await?;
        let mut entry = AuditEntry::new(
            now,
            tenant.clone(),
            "evaluate_rules",
            "score the rules against synthetic ground truth",
        );
        entry.detail =
            serde_json::json!({ "persons_evaluated": out.len(), "rules": rules.versions() })
                .to_string();
        self.record_audit(&entry).await?;
        Ok(out)
    }

    /// Reads every timeline exactly as a full run does, without evaluating the rules: the
    /// reference the rules benchmark measures against. Gives the number of events read.
    pub async fn count_rule_events(&self, tenant: &TenantCode) -> Result<u64, StoreError> {
        let mut events = 0;
        self.each_timeline_chunk(tenant, false, |timelines| {
            events += timelines
                .iter()
                .map(|(_, t)| t.events.len() as u64)
                .sum::<u64>();
        })
        .await?;
        Ok(events)
    }

    /// Every timeline in the tenant, `PERSONS_PER_CHUNK` persons at a time. A SQLite file
    /// is read on a thread of its own (see `sqlite_timelines`).
    async fn each_timeline_chunk(
        &self,
        tenant: &TenantCode,
        with_summary: bool,
        each: impl FnMut(Vec<(Uuid, Timeline)>),
    ) -> Result<(), StoreError> {
        if let StoreLocation::Sqlite(path) = self.location() {
            return crate::backend::sqlite_timelines::each_timeline_chunk(
                path.clone(),
                tenant.as_str().to_owned(),
                with_summary,
                PERSONS_PER_CHUNK,
                each,
            )
            .await;
        }
        on_backend!(self, alerts as a, pool => {
            a::each_timeline_chunk(pool, tenant, with_summary, PERSONS_PER_CHUNK, each).await
        })
    }

    /// One person's timeline as the rules read it, for replay by an operator (the CLI).
    /// Audited as a replay of that person.
    pub async fn rule_timeline(
        &self,
        tenant: &TenantCode,
        person: PersonId,
        now: OffsetDateTime,
    ) -> Result<Option<Timeline>, StoreError> {
        let mut entry = AuditEntry::new(
            now,
            tenant.clone(),
            "replay_rules",
            "review when the rules would have fired",
        )
        .with_subjects([person]);
        on_backend!(self, [queries as q, alerts as a], pool => {
            let mut timelines = a::timelines(pool, tenant, &[person.0]).await?;
            let timeline = timelines.pop().map(|(_, t)| t).filter(|t| !t.events.is_empty());
            if timeline.is_none() {
                entry.outcome = Outcome::Denied;
            }
            self.record_audit(&entry).await?;
            Ok(timeline)
        })
    }

    /// `who`'s queue: alerts sent to one of their roles (a school's lead: their own school's),
    /// or escalated to one, still to act on, for children `who` may see. Audited with the
    /// children as subjects.
    pub async fn alert_queue(
        &self,
        who: &Principal,
        now: OffsetDateTime,
    ) -> Result<Vec<Alert>, StoreError> {
        let roles: Vec<String> = who.roles.iter().map(|r| r.as_str().to_owned()).collect();
        let alerts = on_backend!(self, alerts as a, pool => a::queue(pool, &who.tenant, &roles, who.agency.0, 500).await)?;
        // One policy check per child, however many alerts the child has.
        let mut seen: std::collections::HashMap<PersonId, bool> = std::collections::HashMap::new();
        let mut visible = Vec::new();
        for alert in alerts {
            let allowed = match seen.get(&alert.person) {
                Some(allowed) => *allowed,
                None => {
                    let allowed = self.may_see_person(who, alert.person, now).await?;
                    seen.insert(alert.person, allowed);
                    allowed
                }
            };
            if allowed {
                visible.push(alert);
            }
        }
        let mut entry = principal_entry(who, now, "view_alert_queue", "see my alerts")
            .with_subjects(visible.iter().map(|a| a.person));
        entry.detail = serde_json::json!({ "alerts": visible.len() }).to_string();
        self.record_audit(&entry).await?;
        Ok(visible)
    }

    /// One alert, if it is in `who`'s queue (or was: closed alerts stay readable).
    pub async fn alert_for(
        &self,
        who: &Principal,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Option<Alert>, StoreError> {
        let alert = on_backend!(self, alerts as a, pool => a::alert(pool, &who.tenant, id).await)?;
        let alert = match alert {
            Some(alert)
                if self.addressed_to(who, &alert)
                    && self.may_see_person(who, alert.person, now).await? =>
            {
                Some(alert)
            }
            _ => None,
        };
        let mut entry = principal_entry(who, now, "view_alert", "act on an alert");
        if let Some(alert) = &alert {
            entry = entry.with_subjects([alert.person]);
        } else {
            entry.outcome = Outcome::Denied;
        }
        entry.detail = serde_json::json!({ "alert": id }).to_string();
        self.record_audit(&entry).await?;
        Ok(alert)
    }

    /// Whether the access policy lets `who` see anything of `person` (the alert queue shows
    /// only children the viewer could open). The caller audits.
    async fn may_see_person(
        &self,
        who: &Principal,
        person: PersonId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let scope = self.policy.scope(who);
        if scope.is_empty() {
            return Ok(false);
        }
        on_backend!(self, queries as q, pool => {
            let mut tx = q::begin(pool).await?;
            let seen = !q::visible_identities(&mut tx, who, &scope, person, now).await?.is_empty();
            tx.rollback().await?;
            Ok(seen)
        })
    }

    fn addressed_to(&self, who: &Principal, alert: &Alert) -> bool {
        let sent = who.roles.iter().any(|r| r.as_str() == alert.recipient_role)
            && alert.recipient_agency.is_none_or(|a| a == who.agency);
        let escalated = alert
            .escalated_to
            .as_deref()
            .is_some_and(|to| who.roles.iter().any(|r| r.as_str() == to));
        sent || escalated
    }

    /// Acknowledges, actions or dismisses an alert in `who`'s queue. Audited either way.
    pub async fn act_on_alert(
        &self,
        who: &Principal,
        id: Uuid,
        action: AlertAction,
        now: OffsetDateTime,
    ) -> Result<Result<(), AlertRefusal>, StoreError> {
        let note = match &action {
            AlertAction::Acknowledge => String::new(),
            AlertAction::Actioned { note } | AlertAction::Dismiss { reason: note } => {
                note.trim().to_owned()
            }
        };
        let alert = on_backend!(self, alerts as a, pool => a::alert(pool, &who.tenant, id).await)?;
        let mut entry = principal_entry(who, now, "act_on_alert", "respond to a critical moment");
        entry.detail = serde_json::json!({ "alert": id, "action": action.status() }).to_string();
        let refusal = match &alert {
            None => Some(AlertRefusal::NotYours),
            Some(alert)
                if !self.addressed_to(who, alert)
                    || !self.may_see_person(who, alert.person, now).await? =>
            {
                Some(AlertRefusal::NotYours)
            }
            Some(alert) if alert.status == "actioned" || alert.status == "dismissed" => {
                Some(AlertRefusal::Closed)
            }
            Some(_) if !matches!(action, AlertAction::Acknowledge) && note.chars().count() < 10 => {
                Some(AlertRefusal::NoteTooShort)
            }
            Some(_) => None,
        };
        if let Some(alert) = &alert
            && refusal != Some(AlertRefusal::NotYours)
        {
            entry = entry.with_subjects([alert.person]);
        }
        on_backend!(self, [queries as q, alerts as a], pool => {
            let mut tx = q::begin(pool).await?;
            let mut refusal = refusal;
            if refusal.is_none() {
                let from: &[&str] = match action {
                    AlertAction::Acknowledge => &["open"],
                    _ => &["open", "acknowledged"],
                };
                if !a::set_status(&mut tx, &who.tenant, id, from, action.status(), &note, who.user.0, now).await? {
                    refusal = Some(AlertRefusal::Closed);
                }
            }
            if refusal.is_some() {
                entry.outcome = Outcome::Denied;
            }
            q::append_audit(&mut tx, &entry).await?;
            tx.commit().await?;
            Ok(refusal.map_or(Ok(()), Err))
        })
    }

    /// The alerts raised about one person (for their page), if `who` may see the person.
    pub async fn alerts_of_person(
        &self,
        who: &Principal,
        person: PersonId,
        now: OffsetDateTime,
    ) -> Result<Vec<Alert>, StoreError> {
        if !self.may_see_person(who, person, now).await? {
            return Ok(Vec::new());
        }
        let all = on_backend!(self, alerts as a, pool => a::alerts_of(pool, &who.tenant, person.0).await)?;
        Ok(all
            .into_iter()
            .filter(|a| self.addressed_to(who, a))
            .collect())
    }
}
