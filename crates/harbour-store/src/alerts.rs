//! Critical-moment alerts in the store: running the rules over timelines, raising each
//! firing once in each recipient's queue, escalating overdue ones, practitioners acting on
//! them, and replay. What an alert is and how it moves is pure code in
//! `harbour_rules::alerts`; this module keeps alerts and reads timelines, through the gate.

use crate::StoreError;
use crate::StoreLocation;
use crate::case_events::{CaseEvent, NewCaseEvent};
use crate::gate::{Actor, Guarded, Needs, Work};
use crate::store::Store;
use harbour_domain::{AgencyId, PersonId, Role, TenantCode, UserId};
use harbour_policy::Principal;
use harbour_rules::alerts::{self as pure, Action, NewAlert, Refusal, Status};
use harbour_rules::replay::{ReplayAlert, ReplayEvent};
use harbour_rules::{RuleSet, Timeline};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
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
    pub recipient_role: Role,
    pub recipient_agency: Option<AgencyId>,
    /// The evidence events' ids.
    pub evidence: Vec<Uuid>,
    pub because: String,
    #[serde(serialize_with = "status_code")]
    pub status: Status,
    pub note: String,
    pub escalated_to: Option<Role>,
    #[serde(with = "time::serde::rfc3339")]
    pub raised_at: OffsetDateTime,
    /// The last move someone made on the alert (who, when); its status says what. In a
    /// queue, only a move by someone other than the viewer (the queue is shared work).
    #[serde(skip)]
    pub acted: Option<AlertActed>,
    /// Evidence events the viewer's role does not open: counted, never described. When
    /// above nought the store has withheld `rule` (left empty) and reworded `because`
    /// (`harbour_rules::alerts::withheld_because`): the rule's title and explanation would
    /// say what those events were.
    pub withheld: usize,
    /// The child, as far as the viewer may see them: for a queue that says which child.
    pub child: Option<AlertChild>,
}

/// Which alerts of a queue to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    /// Still to act on, of the severities kept out of the list. Most urgent first.
    Queue,
    /// Still to act on, of the listed severities. Most urgent first.
    List,
    /// Actioned or dismissed, of any severity. Most recently closed first.
    Closed,
}

/// Who last moved an alert, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertActed {
    pub by: UserId,
    pub by_name: String,
    pub at: OffsetDateTime,
}

/// Which child an alert is about, from the identities and events the viewer may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertChild {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<Date>,
    /// The school that last recorded something the viewer may see, if any.
    pub school: Option<String>,
}

fn status_code<S: serde::Serializer>(status: &Status, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(status.as_str())
}

impl Alert {
    /// Whether `who` works this alert's queue (or the queue it was escalated to).
    fn is_for(&self, who: &Principal) -> bool {
        let roles: Vec<Role> = who.roles.iter().copied().collect();
        pure::Queue {
            role: self.recipient_role,
            agency: self.recipient_agency,
        }
        .is_worked_by(self.escalated_to, &roles, who.agency)
    }
}

/// One alert with its history: raised, escalated, and each move a practitioner made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertDetail {
    pub alert: Alert,
    pub history: Vec<CaseEvent>,
    /// The evidence events the viewer's role opens, in date order.
    pub evidence: Vec<crate::TimelineEntry>,
    /// The register entries among the evidence (a register clock that ran out), each with
    /// its register, for a link to the entry: only those the viewer may open.
    #[serde(skip)]
    pub register_entries: Vec<(harbour_policy::Register, Uuid)>,
}

/// Fits `alert` to what `view` (the child as the viewer may see them) shows: the evidence
/// the viewer may open, the rest counted and the rule withheld if there is any rest, and
/// which child it is. Evidence that is a register entry (a register clock that ran out, see
/// `register_moments`) counts as opened when it is among `entries`, the entries the viewer
/// may open. Gives the evidence events shown.
fn disclose(
    alert: &mut Alert,
    view: &crate::PersonView,
    schools: &HashSet<AgencyId>,
    entries: &HashMap<Uuid, harbour_policy::Register>,
) -> Vec<crate::TimelineEntry> {
    let wanted: HashSet<Uuid> = alert.evidence.iter().copied().collect();
    let shown: Vec<crate::TimelineEntry> = view
        .timeline
        .iter()
        .filter(|e| wanted.contains(&e.event.0))
        .cloned()
        .collect();
    let entries_opened = wanted.iter().filter(|id| entries.contains_key(id)).count();
    alert.withheld = wanted.len().saturating_sub(shown.len() + entries_opened);
    if alert.withheld > 0 {
        let named: Vec<(harbour_domain::EventKind, Date)> =
            shown.iter().map(|e| (e.kind, e.occurred_on)).collect();
        alert.rule = String::new();
        alert.rule_version = 0;
        alert.because = pure::withheld_because(&named, alert.withheld);
        let visible: HashSet<Uuid> = shown.iter().map(|e| e.event.0).collect();
        alert
            .evidence
            .retain(|id| visible.contains(id) || entries.contains_key(id));
    }
    let school = view
        .timeline
        .iter()
        .filter(|e| schools.contains(&e.agency))
        .max_by_key(|e| e.occurred_on)
        .map(|e| e.agency_name.clone())
        .or_else(|| {
            view.identities
                .iter()
                .find(|i| schools.contains(&i.agency))
                .map(|i| i.agency_name.clone())
        });
    // The name most of the agencies the viewer may see recorded (the first, on a tie).
    let mut names: Vec<(&str, &str, usize)> = Vec::new();
    for i in &view.identities {
        match names
            .iter_mut()
            .find(|(g, f, _)| *g == i.given_name && *f == i.family_name)
        {
            Some(entry) => entry.2 += 1,
            None => names.push((&i.given_name, &i.family_name, 1)),
        }
    }
    let mut best: Option<(&str, &str, usize)> = None;
    for entry in names {
        if best.is_none_or(|b| entry.2 > b.2) {
            best = Some(entry);
        }
    }
    alert.child = best.map(|(given, family, _)| AlertChild {
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        date_of_birth: view.identities.iter().find_map(|i| i.date_of_birth),
        school,
    });
    shown
}

/// Which alerts of a queue to give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Only alerts about a child one of whose names (as the viewer may see them) contains
    /// this, ignoring case.
    pub child: Option<String>,
    /// The list (alerts of the listed severities, `harbour_rules::alerts::is_listed`)
    /// rather than the queue (the others).
    pub list: bool,
}

impl QueueFilter {
    fn admits(&self, view: &crate::PersonView) -> bool {
        let Some(needle) = self
            .child
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
        else {
            return true;
        };
        view.identities.iter().any(|i| {
            format!("{} {}", i.given_name, i.family_name)
                .to_lowercase()
                .contains(&needle)
        })
    }
}

/// The code alerts' facts carry in the workflow history.
const ALERT_WORKFLOW: &str = "alert";

fn fact(
    alert: Uuid,
    person: Uuid,
    action: &str,
    at: OffsetDateTime,
    by: Option<harbour_domain::UserId>,
    detail: serde_json::Value,
) -> NewCaseEvent {
    NewCaseEvent {
        person: PersonId(person),
        workflow: ALERT_WORKFLOW,
        record: alert,
        action: action.to_owned(),
        at,
        by,
        detail: detail.to_string(),
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

/// A replay of one child's timeline as one viewer may see it: the rules run over everything
/// Harbour holds, as they do live, but the replay shows only the events the viewer's role
/// opens, and only the alerts whose every piece of evidence is among them. The rest is
/// counted, never described: an alert's title and reason would tell what its evidence was.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayView {
    pub person: PersonId,
    pub until: Date,
    pub events: Vec<ReplayEvent>,
    pub alerts: Vec<ReplayAlert>,
    /// Events of the child's timeline the viewer's role does not open.
    pub hidden_events: usize,
    /// Alerts that rest on at least one of those.
    pub hidden_alerts: usize,
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
        let work = Work::new("run_rules", "notice critical moments");
        let g = self.service_read(tenant, None, work, now).await?;
        // The registers' clocks that have run out, added to each child's timeline.
        let (mut g, moments) = self
            .register_moments_inside(g, tenant, rules, today)
            .await?;
        let since = match scope {
            RunScope::All => None,
            RunScope::Changed => {
                in_gate!(g, alerts as a, tx => a::last_run_started(tx, tenant).await)?
            }
        };
        let scope_name = if since.is_some() { "changed" } else { "all" };
        let mut evaluated = 0u64;
        let mut firings = 0;
        let mut alerts: Vec<(Uuid, NewAlert)> = Vec::new();
        let mut evaluate = |timelines: Vec<(Uuid, Timeline)>| {
            evaluated += timelines.len() as u64;
            let timelines: Vec<(Uuid, Timeline)> = timelines
                .into_iter()
                .map(|(person, timeline)| (person, moments.join(person, timeline)))
                .collect();
            let found: Vec<(u64, Vec<(Uuid, NewAlert)>)> = timelines
                .par_iter()
                .map(|(person, timeline)| {
                    let (count, raised) = pure::alerts_for(rules, timeline, today);
                    (count, raised.into_iter().map(|a| (*person, a)).collect())
                })
                .collect();
            for (count, more) in found {
                firings += count;
                alerts.extend(more);
            }
        };
        match since {
            None => {
                self.each_timeline_chunk(&mut g, tenant, rules.reads_summary(), &mut evaluate)
                    .await?
            }
            Some(since) => {
                let mut changed =
                    in_gate!(g, alerts as a, tx => a::changed_since(tx, tenant, since).await)?;
                // A register clock runs out with time, not with a feed: its child is
                // evaluated from the day before the last run began (runs straddle days;
                // raising is idempotent, so a second look raises nothing twice).
                changed.extend(moments.persons_since(since.date() - Duration::days(1)));
                changed.sort_unstable();
                changed.dedup();
                for chunk in changed.chunks(PERSONS_PER_CHUNK) {
                    evaluate(
                        in_gate!(g, alerts as a, tx => a::timelines(tx, tenant, chunk).await)?,
                    );
                }
            }
        }
        // Raising is idempotent (one alert per firing and queue), so what changed between
        // the read and this write is raised by the next run.
        let mut g = g.into_write().await?;
        let versions = rules.versions();
        let (raised, escalated) = in_gate!(g, [alerts as a, case_events as c], tx => {
            // A record of a moment already alerted on joins that alert (same child, queue,
            // day and rule family) instead of raising a second.
            let mut widened: Vec<NewCaseEvent> = Vec::new();
            let mut fresh: Vec<(Uuid, NewAlert)> = Vec::with_capacity(alerts.len());
            for (person, alert) in alerts {
                match a::sibling(tx, tenant, person, &alert).await? {
                    Some((id, evidence)) => {
                        a::widen(tx, tenant, id, &alert).await?;
                        widened.push(fact(id, person, "evidence_added", now, None,
                            serde_json::json!({
                                "before": serde_json::from_str::<Vec<Uuid>>(&evidence).map_or(0, |e| e.len()),
                                "evidence": alert.evidence.len(),
                            })));
                    }
                    None => fresh.push((person, alert)),
                }
            }
            let new = a::insert_alerts(tx, tenant, &fresh, now).await?;
            let mut facts: Vec<NewCaseEvent> = new
                .iter()
                .map(|(alert, person, role)| fact(*alert, *person, "raised", now, None, serde_json::json!({ "to": role })))
                .collect();
            facts.extend(widened);
            let raised = new.len() as u64;
            let mut escalated = 0;
            for role in Role::ALL {
                if let Some(to) = rules.escalates_to(*role) {
                    let up = a::escalate(tx, tenant, role.as_str(), to.as_str(), today, now).await?;
                    escalated += up.len() as u64;
                    facts.extend(up.into_iter().map(|(alert, person)| {
                        fact(alert, person, "escalated", now, None, serde_json::json!({ "to": to.as_str() }))
                    }));
                }
            }
            c::append(tx, tenant, &facts).await?;
            let seconds = clock.elapsed().as_secs_f64();
            a::record_run(tx, tenant, now, now + Duration::seconds_f64(seconds), scope_name,
                &versions, i64::try_from(evaluated).unwrap_or(i64::MAX),
                i64::try_from(raised).unwrap_or(i64::MAX)).await?;
            (raised, escalated)
        });
        g.entry.detail = serde_json::json!({
            "scope": scope_name,
            "persons_evaluated": evaluated,
            "alerts_raised": raised,
            "escalated": escalated,
            "rules": versions,
        })
        .to_string();
        g.commit().await?;
        Ok(RuleRunReport {
            scope: scope_name,
            persons_evaluated: evaluated,
            firings,
            alerts_raised: raised,
            escalated,
            seconds: clock.elapsed().as_secs_f64(),
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
        let work = Work::new(
            "evaluate_rules",
            "score the rules against synthetic ground truth",
        );
        let g = self.service_read(tenant, None, work, now).await?;
        let (mut g, moments) = self
            .register_moments_inside(g, tenant, rules, today)
            .await?;
        let mut out = Vec::new();
        self.each_timeline_chunk(&mut g, tenant, rules.reads_summary(), |timelines| {
            out.par_extend(timelines.into_par_iter().map(|(person, timeline)| {
                let timeline = moments.join(person, timeline);
                let fired = rules
                    .evaluate(&timeline, today)
                    .into_iter()
                    .map(|f| (f.rule, f.on))
                    .collect();
                (PersonId(person), fired)
            }));
        })
        .await?;
        g.entry.detail =
            serde_json::json!({ "persons_evaluated": out.len(), "rules": rules.versions() })
                .to_string();
        g.commit().await?;
        Ok(out)
    }

    /// Reads every timeline exactly as a full run does, without evaluating the rules: the
    /// reference the rules benchmark measures against. Gives the number of events read.
    pub async fn count_rule_events(
        &self,
        tenant: &TenantCode,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let work = Work::new("read_timelines", "measure reading every timeline");
        let mut g = self.service_read(tenant, None, work, now).await?;
        let mut events = 0;
        self.each_timeline_chunk(&mut g, tenant, false, |timelines| {
            events += timelines
                .iter()
                .map(|(_, t)| t.events.len() as u64)
                .sum::<u64>();
        })
        .await?;
        g.commit().await?;
        Ok(events)
    }

    /// Every timeline in the tenant, `PERSONS_PER_CHUNK` persons at a time, for work that
    /// came through the gate (`g`). A SQLite file is read on a thread and connection of its
    /// own (see `sqlite_timelines`: several times faster); PostgreSQL in `g`'s snapshot.
    async fn each_timeline_chunk(
        &self,
        g: &mut Guarded,
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
        in_gate!(g, alerts as a, tx => {
            a::each_timeline_chunk(tx, tenant, with_summary, PERSONS_PER_CHUNK, each).await
        })
    }

    /// One person's whole timeline as the rules read it (with the registers' clocks that
    /// have run out by `now`, on `rules`' calendar and settings), for replay by an operator
    /// at the command line (who holds the database). Audited as a replay of that person,
    /// credited to `by`, the member of staff who runs it: the data-protection officer's
    /// review then says who replayed which child, as it does for a replay on the web.
    pub async fn rule_timeline(
        &self,
        tenant: &TenantCode,
        person: PersonId,
        rules: &RuleSet,
        by: &crate::StaffMember,
        now: OffsetDateTime,
    ) -> Result<Option<Timeline>, StoreError> {
        let work = Work::new("replay_rules", "review when the rules would have fired");
        let mut g = self.service_read(tenant, None, work, now).await?;
        g.entry.user = Some(by.id);
        g.entry.agency = Some(by.agency);
        g.entry.set_subjects([person]);
        let mut timelines =
            in_gate!(g, alerts as a, tx => a::timelines(tx, tenant, &[person.0]).await)?;
        let (g, moments) = self
            .register_moments_inside(g, tenant, rules, now.date())
            .await?;
        match timelines
            .pop()
            .map(|(_, t)| moments.only(person.0).join(person.0, t))
            .filter(|t| !t.events.is_empty())
        {
            Some(timeline) => {
                g.commit().await?;
                Ok(Some(timeline))
            }
            None => {
                g.refuse(None).await?;
                Ok(None)
            }
        }
    }

    /// The replay of a child's timeline as `who` may see it (see [`ReplayView`]), or `None`
    /// if they may see nothing of the child. Audited as a replay, naming the child.
    pub async fn replay(
        &self,
        who: &Principal,
        person: PersonId,
        rules: &RuleSet,
        now: OffsetDateTime,
    ) -> Result<Option<ReplayView>, StoreError> {
        let work = Work::new("replay_rules", "review when the rules would have fired");
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), Needs::Records, work, now)
            .await?
        else {
            return Ok(None);
        };
        g.entry.set_subjects([person]);
        let Some((view, _)) = self.view_inside(&mut g, who, person, now).await? else {
            g.refuse(None).await?;
            return Ok(None);
        };
        let mut timelines =
            in_gate!(g, alerts as a, tx => a::timelines(tx, &who.tenant, &[person.0]).await)?;
        let until = now.date();
        // The rules run over the registers' clocks as they do live; the viewer is shown a
        // clock (and an alert resting on it) only if they may open its register entry.
        let (mut g, moments) = self
            .register_moments_inside(g, &who.tenant, rules, until)
            .await?;
        let opened = self.register_entries_opened(&mut g, who).await?;
        let timeline = timelines
            .pop()
            .map(|(_, t)| t)
            .unwrap_or_else(|| Timeline::new(person.0.to_string(), None, Vec::new()));
        let timeline = moments.only(person.0).join(person.0, timeline);
        let visible: HashSet<String> = view
            .timeline
            .iter()
            .map(|e| e.event.0.to_string())
            .chain(opened.keys().map(Uuid::to_string))
            .collect();
        let replay = harbour_rules::replay::replay(rules, &timeline, until);
        let (events, hidden): (Vec<ReplayEvent>, Vec<ReplayEvent>) = replay
            .events
            .into_iter()
            .partition(|e| visible.contains(&e.id));
        let (alerts, hidden_alerts): (Vec<ReplayAlert>, Vec<ReplayAlert>) = replay
            .alerts
            .into_iter()
            .partition(|a| a.evidence.iter().all(|id| visible.contains(id)));
        g.entry.detail = serde_json::json!({
            "events_shown": events.len(),
            "events_withheld": hidden.len(),
            "alerts_shown": alerts.len(),
            "alerts_withheld": hidden_alerts.len(),
        })
        .to_string();
        g.commit().await?;
        Ok(Some(ReplayView {
            person,
            until,
            events,
            alerts,
            hidden_events: hidden.len(),
            hidden_alerts: hidden_alerts.len(),
        }))
    }

    /// `who`'s queue: alerts sent to one of their roles (a school's lead: their own school's),
    /// or escalated to one, still to act on, for children `who` may see (and `filter`
    /// admits), each naming the child as `who` may see them. Audited with the children
    /// shown as subjects.
    pub async fn alert_queue(
        &self,
        who: &Principal,
        filter: &QueueFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<Alert>, StoreError> {
        let work = Work::new("view_alert_queue", "see my alerts");
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), Needs::Own, work, now)
            .await?
        else {
            return Ok(Vec::new());
        };
        let which = if filter.list {
            Which::List
        } else {
            Which::Queue
        };
        let visible = self.queue_inside(&mut g, who, which, filter, now).await?;
        // The viewer knows what they did: the queue tells them what others did.
        let visible: Vec<Alert> = visible
            .into_iter()
            .map(|mut alert| {
                if alert.acted.as_ref().is_some_and(|a| a.by == who.user) {
                    alert.acted = None;
                }
                alert
            })
            .collect();
        g.entry.set_subjects(visible.iter().map(|a| a.person));
        g.entry.detail = serde_json::json!({ "alerts": visible.len() }).to_string();
        g.commit().await?;
        Ok(visible)
    }

    /// The alerts of `who`'s queues that were actioned or dismissed, most recently closed
    /// first, each with who closed it and when: the queue's history.
    pub async fn closed_alerts(
        &self,
        who: &Principal,
        now: OffsetDateTime,
    ) -> Result<Vec<Alert>, StoreError> {
        let work = Work::new("view_closed_alerts", "see my queue's closed alerts");
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), Needs::Own, work, now)
            .await?
        else {
            return Ok(Vec::new());
        };
        let visible = self
            .queue_inside(&mut g, who, Which::Closed, &QueueFilter::default(), now)
            .await?;
        g.entry.set_subjects(visible.iter().map(|a| a.person));
        g.entry.detail = serde_json::json!({ "alerts": visible.len() }).to_string();
        g.commit().await?;
        Ok(visible)
    }

    /// Alerts of `who`'s queues, each about a child the viewer may see (and the filter
    /// admits), told only what the viewer may open.
    pub(crate) async fn queue_inside(
        &self,
        g: &mut Guarded,
        who: &Principal,
        which: Which,
        filter: &QueueFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<Alert>, StoreError> {
        let roles: Vec<String> = who.roles.iter().map(|r| r.as_str().to_owned()).collect();
        let alerts = in_gate!(g, alerts as a, tx => {
            a::queue(tx, &who.tenant, &roles, who.agency.0, which, 500).await
        })?;
        self.disclosed(g, who, alerts, filter, now).await
    }

    /// Of `alerts`, those about a child the viewer may see (and the filter admits), each
    /// told only what the viewer may open: its evidence, title and child as the child's
    /// page would show them.
    pub(crate) async fn disclosed(
        &self,
        g: &mut Guarded,
        who: &Principal,
        alerts: Vec<Alert>,
        filter: &QueueFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<Alert>, StoreError> {
        if alerts.is_empty() {
            return Ok(alerts);
        }
        let schools = in_gate!(g, alerts as a, tx => a::schools(tx, &who.tenant).await)?;
        // The child as the viewer may see them, read once however many alerts the child
        // has: the same view (and the same policy) as the child's page.
        let mut views: HashMap<PersonId, Option<crate::PersonView>> = HashMap::new();
        let entries = self.register_entries_opened(g, who).await?;
        let mut visible = Vec::new();
        for mut alert in alerts {
            if let std::collections::hash_map::Entry::Vacant(slot) = views.entry(alert.person) {
                let view = self
                    .view_inside(g, who, alert.person, now)
                    .await?
                    .map(|(v, _)| v);
                slot.insert(view);
            }
            if let Some(Some(view)) = views.get(&alert.person)
                && filter.admits(view)
            {
                disclose(&mut alert, view, &schools, &entries);
                visible.push(alert);
            }
        }
        Ok(visible)
    }

    /// The open alerts of `who`'s queue (as [`Store::queue_inside`] reads them, at most as
    /// many) about children the viewer may see anything of, *not yet disclosed*: their
    /// titles, evidence and children are as stored, for the caller to order and count, and
    /// to put through [`Store::disclosed`] before any is shown. One query decides which
    /// children the viewer may see, however many alerts there are.
    pub(crate) async fn queue_undisclosed(
        &self,
        g: &mut Guarded,
        who: &Principal,
        now: OffsetDateTime,
    ) -> Result<Vec<Alert>, StoreError> {
        if g.scope.is_empty() {
            return Ok(Vec::new());
        }
        let roles: Vec<String> = who.roles.iter().map(|r| r.as_str().to_owned()).collect();
        let scope = &g.scope;
        in_gate!(g, [alerts as a, queries as q], tx => {
            let alerts = a::queue(tx, &who.tenant, &roles, who.agency.0, Which::Queue, 500).await?;
            let mut persons: Vec<PersonId> = alerts.iter().map(|a| a.person).collect();
            persons.sort_unstable();
            persons.dedup();
            let seen = q::visible_persons(tx, who, scope, &persons, now).await?;
            Ok(alerts.into_iter().filter(|a| seen.contains(&a.person)).collect())
        })
    }

    /// One alert with its history, if it is in `who`'s queue (or was: closed alerts stay
    /// readable). Everyone who works the queue sees what the others did, and when.
    pub async fn alert_for(
        &self,
        who: &Principal,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Option<AlertDetail>, StoreError> {
        let work = Work::new("view_alert", "act on an alert");
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), Needs::Own, work, now)
            .await?
        else {
            return Ok(None);
        };
        g.entry.detail = serde_json::json!({ "alert": id }).to_string();
        let alert = in_gate!(g, alerts as a, tx => a::alert(tx, &who.tenant, id).await)?;
        let view = match &alert {
            Some(alert) if alert.is_for(who) => self
                .view_inside(&mut g, who, alert.person, now)
                .await?
                .map(|(v, _)| v),
            _ => None,
        };
        match (alert, view) {
            (Some(mut alert), Some(view)) => {
                g.entry.set_subjects([alert.person]);
                let (history, schools) = in_gate!(g, [case_events as c, alerts as a], tx => {
                    let history = c::of_record(tx, &who.tenant, ALERT_WORKFLOW, id).await?;
                    (history, a::schools(tx, &who.tenant).await?)
                });
                let entries = self.register_entries_opened(&mut g, who).await?;
                let evidence = disclose(&mut alert, &view, &schools, &entries);
                let register_entries = alert
                    .evidence
                    .iter()
                    .filter_map(|id| entries.get(id).map(|register| (*register, *id)))
                    .collect();
                g.commit().await?;
                Ok(Some(AlertDetail {
                    alert,
                    history,
                    evidence,
                    register_entries,
                }))
            }
            _ => {
                g.refuse(None).await?;
                Ok(None)
            }
        }
    }

    /// Acknowledges, actions or dismisses an alert in `who`'s queue. Audited either way.
    pub async fn act_on_alert(
        &self,
        who: &Principal,
        id: Uuid,
        action: Action,
        now: OffsetDateTime,
    ) -> Result<Result<(), Refusal>, StoreError> {
        let work = Work::new("act_on_alert", "respond to a critical moment");
        let Some(mut g) = self.gate(Actor::Staff(who), Needs::Own, work, now).await? else {
            return Ok(Err(Refusal::NotYours));
        };
        let status = action.status();
        g.entry.detail = serde_json::json!({ "alert": id, "action": status.as_str() }).to_string();
        let alert = in_gate!(g, alerts as a, tx => a::alert(tx, &who.tenant, id).await)?;
        let alert = match alert {
            Some(alert)
                if alert.is_for(who) && may_see_person(&mut g, who, alert.person, now).await? =>
            {
                alert
            }
            _ => {
                g.refuse(None).await?;
                return Ok(Err(Refusal::NotYours));
            }
        };
        g.entry.set_subjects([alert.person]);
        let checked = action.check(alert.status);
        let moved = match checked {
            Ok(()) => in_gate!(g, [alerts as a, case_events as c], tx => {
                let moved = a::set_status(tx, &who.tenant, id, action.from_statuses(), status, action.note(), who.user.0, now).await?;
                if moved {
                    let done = fact(id, alert.person.0, status.as_str(), now, Some(who.user), serde_json::json!({}));
                    c::append(tx, &who.tenant, &[done]).await?;
                }
                moved
            }),
            Err(_) => false,
        };
        if !moved {
            // Refused by the rules of the move, or closed by a colleague in the meantime.
            let refusal = checked.err().unwrap_or(Refusal::Closed);
            let detail = serde_json::json!({ "alert": id, "action": status.as_str(), "refused": refusal.to_string() }).to_string();
            g.refuse(Some(detail)).await?;
            return Ok(Err(refusal));
        }
        g.commit().await?;
        Ok(Ok(()))
    }

    /// The alerts raised about one person (for their page) that `who` works, if `who` may
    /// see the person. Audited with the person page's view, not again here.
    pub async fn alerts_of_person(
        &self,
        who: &Principal,
        person: PersonId,
        now: OffsetDateTime,
    ) -> Result<Vec<Alert>, StoreError> {
        let work = Work::new("view_alerts_of_person", "see a child's alerts");
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), Needs::Records, work, now)
            .await?
        else {
            return Ok(Vec::new());
        };
        g.entry.set_subjects([person]);
        let Some((view, _)) = self.view_inside(&mut g, who, person, now).await? else {
            g.refuse(None).await?;
            return Ok(Vec::new());
        };
        let (all, schools) = in_gate!(g, alerts as a, tx => {
            (a::alerts_of(tx, &who.tenant, person.0).await?, a::schools(tx, &who.tenant).await?)
        });
        let mut mine: Vec<Alert> = all.into_iter().filter(|a| a.is_for(who)).collect();
        let entries = if mine.is_empty() {
            HashMap::new()
        } else {
            self.register_entries_opened(&mut g, who).await?
        };
        for alert in &mut mine {
            disclose(alert, &view, &schools, &entries);
        }
        g.entry.detail = serde_json::json!({ "alerts": mine.len() }).to_string();
        g.commit().await?;
        Ok(mine)
    }
}

/// Whether the access policy lets `who` see anything of `person`, read in `g`'s snapshot:
/// an alert shows only for a child the viewer could open.
async fn may_see_person(
    g: &mut Guarded,
    who: &Principal,
    person: PersonId,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    if g.scope.is_empty() {
        return Ok(false);
    }
    let scope = &g.scope;
    in_gate!(g, queries as q, tx => Ok(!q::visible_identities(tx, who, scope, person, now).await?.is_empty()))
}

/// Timelines are read and evaluated this many persons at a time: memory stays flat.
const PERSONS_PER_CHUNK: usize = 2_000;
