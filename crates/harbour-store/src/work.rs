//! One work queue: every open task of the signed-in person's queues, from alerts and from the
//! registers, in one shape ([`WorkItem`]), with each record's owner; and giving a record to a
//! colleague.
//!
//! Each workflow is a *source* ([`Workflow`]): one function that turns its open records into
//! work items as the reader may see them (alerts: [`Store::alert_work`]; a register:
//! its entries' tasks as [`RegisterTasks`], made into items by [`Store::register_work`]).
//! A new workflow adds a variant, its source and, for a register, its [`Register`] in
//! [`Workflow::register`] (which gives the owner check in [`Store::assign_task`]); the
//! queue, the owners, the filters, the order and the audit are shared. What the tasks are, when they escalate and where they
//! go is decided by the pure rules (`harbour_casework::task`, `harbour_rules::alerts`); this
//! module only applies them.
//!
//! Owners: a record's latest assignment (`task_assignments`, append-only) names its owner.
//! Only someone who may work the record may assign it, and only to a colleague of the same
//! tenant who may also work it (an alert: someone whose queue it is in and who may see the
//! child; a register entry: a keeper of the register). Every assignment is audited and added
//! to the record's history in `case_events`.

use crate::StoreError;
use crate::alerts::QueueFilter;
use crate::case_events::NewCaseEvent;
use crate::gate::{Actor, Guarded, Needs, Work};
use crate::not_in_school::NotInSchoolDay;
use crate::registers::{RegisterDay, Which};
use crate::store::Store;
use harbour_casework::RegisterSettings;
use harbour_casework::task::{Task, escalated_to};
use harbour_domain::{AgencyId, PersonId, Role, TenantCode, UserId};
use harbour_policy::{Principal, Register, RegisterAccess};
use harbour_rules::RuleSet;
use harbour_rules::alerts::{Queue, WITHHELD_TITLE, is_overdue};
use harbour_rules::calendar::Calendar;
use serde::Serialize;
use sqlx::FromRow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A workflow whose open records are tasks in the work queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workflow {
    /// Critical-moment alerts, in the queues they were sent or escalated to.
    Alert,
    /// The permanent exclusions register's open clocks, for its keepers.
    Exclusions,
    /// Home-education registrations' open clocks (consent, home visit, information).
    HomeEducation,
    /// Missing-education episodes still to trace.
    MissingEducation,
    /// Alternative-provision placements' reviews.
    AlternativeProvision,
}

impl Workflow {
    /// Every source of the queue, in the order they are read.
    pub const ALL: [Self; 5] = [
        Self::Alert,
        Self::Exclusions,
        Self::HomeEducation,
        Self::MissingEducation,
        Self::AlternativeProvision,
    ];

    /// The workflow's code, as `case_events` and `task_assignments` keep it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::Exclusions => "exclusions_register",
            Self::HomeEducation => "home_education_register",
            Self::MissingEducation => "missing_education_register",
            Self::AlternativeProvision => crate::placements::WORKFLOW,
        }
    }

    /// The register whose entries are this workflow's records (`None` for alerts).
    pub fn register(self) -> Option<Register> {
        match self {
            Self::Alert => None,
            Self::Exclusions => Some(Register::Exclusions),
            Self::HomeEducation => Some(Register::HomeEducation),
            Self::MissingEducation => Some(Register::MissingEducation),
            Self::AlternativeProvision => Some(Register::AlternativeProvision),
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.as_str() == code)
    }
}

/// What the queue needs to work out each task: the day in the council's time zone, the
/// rules (the school calendar, alert titles and the escalation routing) and the registers'
/// settings (their clocks, and when an overdue task escalates).
#[derive(Debug, Clone, Copy)]
pub struct WorkDay<'a> {
    pub today: Date,
    pub rules: &'a RuleSet,
    pub settings: RegisterSettings,
}

impl<'a> WorkDay<'a> {
    fn calendar(&self) -> &'a Calendar {
        self.rules.calendar()
    }

    fn exclusions(&self) -> RegisterDay<'a> {
        RegisterDay {
            calendar: self.calendar(),
            settings: self.settings.exclusions,
            today: self.today,
        }
    }

    fn not_in_school(&self) -> NotInSchoolDay<'a> {
        NotInSchoolDay {
            calendar: self.calendar(),
            settings: self.settings.not_in_school,
            today: self.today,
        }
    }
}

/// Each record of `workflow` with its owner (`owners` is each record's latest assignment, of
/// every workflow, as `backend::work::owners` reads them).
pub(crate) fn owners_of(workflow: &str, owners: Vec<OwnerRow>) -> BTreeMap<Uuid, Owner> {
    owners
        .into_iter()
        .filter(|o| o.workflow == workflow)
        .map(|o| {
            (
                o.record_id,
                Owner {
                    user: UserId(o.assignee),
                    name: o.assignee_name,
                },
            )
        })
        .collect()
}

/// One register entry's open tasks, as its source reads them, for [`Store::register_work`].
#[derive(Debug)]
pub(crate) struct RegisterTasks {
    pub entry: Uuid,
    pub person: PersonId,
    pub tasks: Vec<Task>,
}

/// Which of the queue's tasks to give.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkFilter {
    /// Tasks whose record the reader owns.
    Mine,
    /// Tasks whose record nobody owns yet.
    Unassigned,
    /// Every task of the reader's queues.
    #[default]
    All,
}

impl WorkFilter {
    pub const ALL: [Self; 3] = [Self::Mine, Self::Unassigned, Self::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mine => "mine",
            Self::Unassigned => "unassigned",
            Self::All => "all",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == code)
    }

    fn admits(self, owner: Option<&Owner>, me: UserId) -> bool {
        match self {
            Self::Mine => owner.is_some_and(|o| o.user == me),
            Self::Unassigned => owner.is_none(),
            Self::All => true,
        }
    }
}

/// The colleague who owns a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    pub user: UserId,
    pub name: String,
}

/// Which child a task is about, where the reader may know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkChild {
    pub given_name: String,
    pub family_name: String,
}

/// One task of the work queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkItem {
    pub workflow: Workflow,
    /// The workflow's record: the alert, or the register entry.
    pub record: Uuid,
    pub person: PersonId,
    /// The child, if the reader may see who it is (the same rules as the alert or register
    /// read); `None` otherwise.
    pub child: Option<WorkChild>,
    /// What is to be done: the task's label, or the alert's title (neutral where the alert
    /// page would be).
    pub what: String,
    pub due: Date,
    /// For a task the law counts in school days: school days until due (above nought) or
    /// overdue by (below).
    pub school_days_left: Option<i64>,
    pub overdue: bool,
    /// Gone up the line (an overdue alert, or a register task overdue by more than the
    /// setting): shown so in the queue it escalated to.
    pub escalated: bool,
    pub owner: Option<Owner>,
    /// Whether the reader may open the record itself (the alert, the register entry) to
    /// complete the task; not so for a register task escalated to a role that does not
    /// keep the register, who follows it up with its owner.
    pub may_open: bool,
    /// The colleagues the reader may give this record to (empty when the reader may not
    /// assign it, as an escalation's recipient who does not keep the register).
    pub assignable: Vec<UserId>,
}

impl WorkItem {
    /// The queue's order: overdue first, then the soonest due.
    fn order(&self) -> (bool, Date, Workflow, Uuid, String) {
        (
            !self.overdue,
            self.due,
            self.workflow,
            self.record,
            self.what.clone(),
        )
    }
}

/// A member of staff a task may be given to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Colleague {
    pub user: UserId,
    pub name: String,
    pub agency: AgencyId,
    pub roles: BTreeSet<Role>,
}

impl Colleague {
    fn principal(&self, tenant: &TenantCode) -> Principal {
        Principal {
            user: self.user,
            tenant: tenant.clone(),
            agency: self.agency,
            roles: self.roles.clone(),
        }
    }
}

/// Which stretch of the queue to give, in its order: at county scale a keeper's queue holds
/// thousands of tasks, and a page of them is what a person reads (and what the audit names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkWindow {
    /// Tasks to pass over first.
    pub offset: usize,
    /// Tasks to give at most.
    pub limit: usize,
}

impl WorkWindow {
    /// The whole queue.
    pub const ALL: Self = Self {
        offset: 0,
        limit: usize::MAX,
    };

    /// The `number`th page (from 1) of `size` tasks.
    pub fn page(number: usize, size: usize) -> Self {
        Self {
            offset: number.saturating_sub(1).saturating_mul(size),
            limit: size,
        }
    }
}

/// The work queue as one reader sees it: a window of the tasks, how many there are in all,
/// and the colleagues the window's tasks may be given to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkQueue {
    /// The tasks in the window asked for, in the queue's order.
    pub items: Vec<WorkItem>,
    /// Every task the filter admits, in and out of the window.
    pub total: usize,
    /// How many of those are overdue (they come first, so a window that starts at the top
    /// shows them before any other).
    pub overdue: usize,
    /// Where the window starts.
    pub offset: usize,
    /// Every colleague some item in the window may be given to (see
    /// `WorkItem::assignable`).
    pub colleagues: Vec<Colleague>,
}

/// Why an assignment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignRefusal {
    #[error("there is no such task in your queues")]
    NotFound,
    #[error("your role cannot assign this task")]
    NotAllowed,
    #[error("there is no such colleague")]
    NoSuchColleague,
    #[error("{name} cannot work this task: {reason}")]
    CannotWork { name: String, reason: &'static str },
    #[error("a note is at most {MAX_NOTE_CHARS} characters")]
    NoteTooLong,
}

/// An assignment's note is at most this long.
pub const MAX_NOTE_CHARS: usize = 500;

// Rows as the backends read them.

#[derive(Debug, FromRow)]
pub(crate) struct OwnerRow {
    pub workflow: String,
    pub record_id: Uuid,
    pub assignee: Uuid,
    pub assignee_name: String,
}

#[derive(Debug, FromRow)]
pub(crate) struct ColleagueRow {
    pub id: Uuid,
    pub display_name: String,
    pub agency_id: Uuid,
    pub role: String,
}

/// An assignment to store.
#[derive(Debug)]
pub(crate) struct NewAssignment<'a> {
    pub workflow: &'static str,
    pub record: Uuid,
    pub assignee: Uuid,
    pub by: Uuid,
    pub note: &'a str,
}

/// The colleagues of a tenant from their rows (one per role), in name order.
fn colleagues_of(rows: Vec<ColleagueRow>) -> Vec<Colleague> {
    let mut out: Vec<Colleague> = Vec::new();
    for row in rows {
        // A role code this Harbour does not know gives nothing.
        let role = row.role.parse::<Role>().ok();
        match out.last_mut() {
            Some(last) if last.user.0 == row.id => last.roles.extend(role),
            _ => out.push(Colleague {
                user: UserId(row.id),
                name: row.display_name,
                agency: AgencyId(row.agency_id),
                roles: role.into_iter().collect(),
            }),
        }
    }
    out
}

/// Whether a colleague works an alert's queue (sent to their role, or escalated to it).
fn works_alert(alert: &crate::Alert, roles: &BTreeSet<Role>, agency: AgencyId) -> bool {
    let roles: Vec<Role> = roles.iter().copied().collect();
    Queue {
        role: alert.recipient_role,
        agency: alert.recipient_agency,
    }
    .is_worked_by(alert.escalated_to, &roles, agency)
}

/// The alerts source: the open alerts of the reader's queue (sent to their role, at their
/// agency for a school's lead, or escalated to it) about children they may see, as tasks,
/// titled by their rules; [`Store::my_work`] discloses those it shows. Alerts of the listed
/// severities stay in the alerts list (`/alerts/list`): one row per child there would bury
/// the queue.
fn alert_work(
    alerts: &[crate::Alert],
    colleagues: &[Colleague],
    day: WorkDay<'_>,
) -> Vec<WorkItem> {
    alerts
        .iter()
        .map(|a| WorkItem {
            workflow: Workflow::Alert,
            record: a.id,
            person: a.person,
            child: None,
            what: day
                .rules
                .rule(&a.rule)
                .map_or_else(|| a.rule.clone(), |r| r.title.clone()),
            due: a.due_on,
            school_days_left: None,
            overdue: is_overdue(a.status, a.due_on, day.today),
            escalated: a.escalated_to.is_some(),
            owner: None,
            may_open: true,
            assignable: colleagues
                .iter()
                .filter(|c| works_alert(a, &c.roles, c.agency))
                .map(|c| c.user)
                .collect(),
        })
        .collect()
}

impl Store {
    /// `who`'s work: every open task of their queues (alerts sent or escalated to them;
    /// the open clocks of the registers they keep, and register tasks escalated to their
    /// role), with each record's owner, as `filter` picks, overdue first and then the
    /// soonest due; the tasks in `window` given whole. One audited read naming the children
    /// of the tasks given.
    ///
    /// Every task is ordered and counted, but only the window's alerts are disclosed (their
    /// titles and children read through the child's view): which children the reader may see
    /// at all is decided for every alert in one query, so the count is exact while the cost
    /// of the views grows with the page, not the queue.
    pub async fn my_work(
        &self,
        who: &Principal,
        filter: WorkFilter,
        window: WorkWindow,
        day: WorkDay<'_>,
        now: OffsetDateTime,
    ) -> Result<WorkQueue, StoreError> {
        let work = Work::new("view_work_queue", "see my work");
        let empty = WorkQueue {
            items: Vec::new(),
            total: 0,
            overdue: 0,
            offset: window.offset,
            colleagues: Vec::new(),
        };
        let Some(mut g) = self
            .gate_read(Actor::Staff(who), Needs::Own, work, now)
            .await?
        else {
            return Ok(empty);
        };
        let (owners, colleague_rows) = in_gate!(g, work as w, tx => {
            (w::owners(tx, &who.tenant).await?, w::colleagues(tx, &who.tenant).await?)
        });
        let colleagues = colleagues_of(colleague_rows);
        let alerts = self.queue_undisclosed(&mut g, who, now).await?;
        let mut items = alert_work(&alerts, &colleagues, day);
        // Each register's entries as their open tasks (the entry types differ; the fields
        // read do not). Named later, for the page shown.
        macro_rules! register_tasks {
            ($entries:expr) => {
                $entries.into_iter().map(|e| RegisterTasks {
                    entry: e.id,
                    person: e.person,
                    tasks: e.assessment.tasks,
                })
            };
        }
        let works = |workflow: Workflow| {
            workflow
                .register()
                .is_some_and(|register| self.works_register(who, register, day))
        };
        if works(Workflow::Exclusions) {
            let (back, entries) = self
                .exclusion_entries_inside(g, &who.tenant, Which::Open, day.exclusions())
                .await?;
            g = back;
            let tasks = register_tasks!(entries);
            items.extend(self.register_work(Workflow::Exclusions, tasks, who, &colleagues, day));
        }
        if works(Workflow::HomeEducation) || works(Workflow::MissingEducation) {
            let (back, home, missing) = self
                .not_in_school_entries_inside(g, &who.tenant, Which::Open, day.not_in_school())
                .await?;
            g = back;
            let home = register_tasks!(home);
            items.extend(self.register_work(Workflow::HomeEducation, home, who, &colleagues, day));
            let missing = register_tasks!(missing);
            items.extend(self.register_work(
                Workflow::MissingEducation,
                missing,
                who,
                &colleagues,
                day,
            ));
        }
        if works(Workflow::AlternativeProvision) {
            let (back, placements) = self
                .placement_entries_inside(g, &who.tenant, day.exclusions())
                .await?;
            g = back;
            let placements = register_tasks!(placements);
            items.extend(self.register_work(
                Workflow::AlternativeProvision,
                placements,
                who,
                &colleagues,
                day,
            ));
        }
        let owners: HashMap<(String, Uuid), Owner> = owners
            .into_iter()
            .map(|o| {
                (
                    (o.workflow, o.record_id),
                    Owner {
                        user: UserId(o.assignee),
                        name: o.assignee_name,
                    },
                )
            })
            .collect();
        for item in &mut items {
            item.owner = owners
                .get(&(item.workflow.as_str().to_owned(), item.record))
                .cloned();
        }
        items.retain(|i| filter.admits(i.owner.as_ref(), who.user));
        items.sort_by_key(WorkItem::order);
        let total = items.len();
        let overdue = items.iter().filter(|i| i.overdue).count();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for item in &items {
            *counts.entry(item.workflow.as_str()).or_default() += 1;
        }
        let mut shown: Vec<WorkItem> = items
            .into_iter()
            .skip(window.offset)
            .take(window.limit)
            .collect();
        // The registers were read without their children's names: the window's are read
        // now, for the tasks of the registers the reader keeps (an escalated task stays
        // unnamed, as its register is not theirs).
        let keeps = |workflow: Workflow| {
            workflow.register().is_some_and(|register| {
                self.policy.register_access(who, register) == Some(RegisterAccess::Keep)
            })
        };
        let unnamed: Vec<Uuid> = shown
            .iter()
            .filter(|i| keeps(i.workflow))
            .map(|i| i.person.0)
            .collect();
        let names = self.name_children(&mut g, &who.tenant, &unnamed).await?;
        for item in shown.iter_mut().filter(|i| keeps(i.workflow)) {
            item.child = names.get(&item.person.0).map(|c| WorkChild {
                given_name: c.given_name.clone(),
                family_name: c.family_name.clone(),
            });
        }
        let items = self
            .disclose_alert_items(&mut g, who, shown, alerts, now)
            .await?;
        let wanted: BTreeSet<UserId> = items
            .iter()
            .flat_map(|i| i.assignable.iter().copied())
            .collect();
        let colleagues: Vec<Colleague> = colleagues
            .into_iter()
            .filter(|c| wanted.contains(&c.user))
            .collect();
        g.entry.set_subjects(items.iter().map(|i| i.person));
        g.entry.detail = serde_json::json!({
            "filter": filter.as_str(),
            "tasks": total,
            "shown": items.len(),
            "offset": window.offset,
            "by_workflow": counts,
        })
        .to_string();
        g.commit().await?;
        Ok(WorkQueue {
            items,
            total,
            overdue,
            colleagues,
            ..empty
        })
    }

    /// The alert tasks of `items` told as the reader may see them: the child's name, and
    /// the rule's title unless some of its evidence is withheld from the reader (then a
    /// neutral title, as the alert's page says). An alert whose child's view is not there
    /// after all is left out.
    async fn disclose_alert_items(
        &self,
        g: &mut Guarded,
        who: &Principal,
        items: Vec<WorkItem>,
        alerts: Vec<crate::Alert>,
        now: OffsetDateTime,
    ) -> Result<Vec<WorkItem>, StoreError> {
        let wanted: BTreeSet<Uuid> = items
            .iter()
            .filter(|i| i.workflow == Workflow::Alert)
            .map(|i| i.record)
            .collect();
        let alerts: Vec<crate::Alert> = alerts
            .into_iter()
            .filter(|a| wanted.contains(&a.id))
            .collect();
        let disclosed: HashMap<Uuid, crate::Alert> = self
            .disclosed(g, who, alerts, &QueueFilter::default(), now)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        Ok(items
            .into_iter()
            .filter_map(|mut item| {
                if item.workflow != Workflow::Alert {
                    return Some(item);
                }
                let alert = disclosed.get(&item.record)?;
                if alert.withheld > 0 {
                    item.what = WITHHELD_TITLE.to_owned();
                }
                item.child = alert.child.as_ref().map(|c| WorkChild {
                    given_name: c.given_name.clone(),
                    family_name: c.family_name.clone(),
                });
                Some(item)
            })
            .collect())
    }

    /// Whether any of `register`'s tasks can be in `who`'s queue: they keep it, or the
    /// routing sends its overdue tasks to their role. A register nobody in the reader's
    /// place works is not read for their queue at all.
    fn works_register(&self, who: &Principal, register: Register, day: WorkDay<'_>) -> bool {
        let keeps = self.policy.register_access(who, register) == Some(RegisterAccess::Keep);
        keeps
            || escalated_to(self.policy.register_keepers(register), |role| {
                day.rules.escalates_to(role)
            })
            .iter()
            .any(|role| who.roles.contains(role))
    }

    /// A register's tasks as the queue lists them: for its keepers, every open task of
    /// every entry (the child named afterwards, for the page shown); for a role the
    /// routing names above the keepers, the tasks overdue long enough to escalate, without
    /// the child's name (their role does not open the register); for anyone else, none.
    /// The entries are read whole, so the reader's right to them is decided here.
    fn register_work(
        &self,
        workflow: Workflow,
        entries: impl IntoIterator<Item = RegisterTasks>,
        who: &Principal,
        colleagues: &[Colleague],
        day: WorkDay<'_>,
    ) -> Vec<WorkItem> {
        let Some(register) = workflow.register() else {
            return Vec::new();
        };
        if !self.works_register(who, register, day) {
            return Vec::new();
        }
        let keeps = self.policy.register_access(who, register) == Some(RegisterAccess::Keep);
        let calendar = day.calendar();
        let today = day.today;
        let keepers: Vec<UserId> = if keeps {
            colleagues
                .iter()
                .filter(|c| {
                    self.policy
                        .register_access(&c.principal(&who.tenant), register)
                        == Some(RegisterAccess::Keep)
                })
                .map(|c| c.user)
                .collect()
        } else {
            Vec::new()
        };
        let mut items = Vec::new();
        for entry in entries {
            for task in &entry.tasks {
                let escalated = task.escalates(calendar, day.settings.escalation, today);
                if !keeps && !escalated {
                    continue;
                }
                items.push(WorkItem {
                    workflow,
                    record: entry.entry,
                    person: entry.person,
                    // Named by `my_work` for the page shown, and only for keepers.
                    child: None,
                    what: task.kind.label().to_owned(),
                    due: task.due,
                    school_days_left: task
                        .kind
                        .counts_school_days()
                        .then(|| task.school_days_left(calendar, today)),
                    overdue: task.overdue,
                    escalated,
                    owner: None,
                    may_open: keeps,
                    assignable: keepers.clone(),
                });
            }
        }
        items
    }

    /// Gives a record of `workflow` to `assignee`, with an optional note: its owner from
    /// now on. `who` must work the record and so must the assignee (see the module
    /// comment); refused otherwise with the reason. Audited either way, and added to the
    /// record's history.
    pub async fn assign_task(
        &self,
        who: &Principal,
        workflow: Workflow,
        record: Uuid,
        assignee: UserId,
        note: &str,
        now: OffsetDateTime,
    ) -> Result<Result<(), AssignRefusal>, StoreError> {
        let work = Work::new("assign_task", "give a task to a colleague");
        let Some(mut g) = self.gate(Actor::Staff(who), Needs::Own, work, now).await? else {
            return Ok(Err(AssignRefusal::NotAllowed));
        };
        let tenant = &who.tenant;
        let detail = |refused: Option<&AssignRefusal>| {
            serde_json::json!({
                "workflow": workflow.as_str(),
                "record": record,
                "assignee": assignee,
                "refused": refused.map(ToString::to_string),
            })
            .to_string()
        };
        let note = note.trim();
        let checked = if note.chars().count() > MAX_NOTE_CHARS {
            Err(AssignRefusal::NoteTooLong)
        } else {
            let rows = in_gate!(g, work as w, tx => w::colleagues(tx, tenant).await)?;
            match colleagues_of(rows).into_iter().find(|c| c.user == assignee) {
                None => Err(AssignRefusal::NoSuchColleague),
                Some(colleague) => match workflow.register() {
                    None => {
                        self.may_assign_alert(&mut g, who, &colleague, record, now)
                            .await?
                    }
                    Some(register) => {
                        self.may_assign_entry(&mut g, register, who, &colleague, record)
                            .await?
                    }
                },
            }
        };
        let person = match checked {
            Ok(person) => person,
            Err(refusal) => {
                g.refuse(Some(detail(Some(&refusal)))).await?;
                return Ok(Err(refusal));
            }
        };
        in_gate!(g, [work as w, case_events as c], tx => {
            w::insert_assignment(tx, tenant, &NewAssignment {
                workflow: workflow.as_str(),
                record,
                assignee: assignee.0,
                by: who.user.0,
                note,
            }, now).await?;
            c::append(tx, tenant, &[NewCaseEvent {
                person,
                workflow: workflow.as_str(),
                record,
                action: "assigned".into(),
                at: now,
                by: Some(who.user),
                detail: serde_json::json!({ "to": assignee }).to_string(),
            }]).await?;
        });
        g.entry.set_subjects([person]);
        g.entry.detail = detail(None);
        g.commit().await?;
        Ok(Ok(()))
    }

    /// An alert may be given by someone whose queue it is in, for a child they may see, to
    /// a colleague of whom both are true. Gives the child.
    async fn may_assign_alert(
        &self,
        g: &mut Guarded,
        who: &Principal,
        colleague: &Colleague,
        record: Uuid,
        now: OffsetDateTime,
    ) -> Result<Result<PersonId, AssignRefusal>, StoreError> {
        let alert = in_gate!(g, alerts as a, tx => a::alert(tx, &who.tenant, record).await)?;
        let Some(alert) = alert.filter(|a| a.status.is_open()) else {
            return Ok(Err(AssignRefusal::NotFound));
        };
        if !works_alert(&alert, &who.roles, who.agency)
            || !self.sees_child(g, who, alert.person, now).await?
        {
            return Ok(Err(AssignRefusal::NotFound));
        }
        // From here a refusal is about this child: the audit names them.
        g.entry.set_subjects([alert.person]);
        let theirs = colleague.principal(&who.tenant);
        if !works_alert(&alert, &colleague.roles, colleague.agency) {
            return Ok(Err(AssignRefusal::CannotWork {
                name: colleague.name.clone(),
                reason: "the alert is not in their queue",
            }));
        }
        if !self.sees_child(g, &theirs, alert.person, now).await? {
            return Ok(Err(AssignRefusal::CannotWork {
                name: colleague.name.clone(),
                reason: "their role does not open this child's records",
            }));
        }
        Ok(Ok(alert.person))
    }

    /// A register entry may be given by one of the register's keepers to another. Gives the
    /// child.
    async fn may_assign_entry(
        &self,
        g: &mut Guarded,
        register: Register,
        who: &Principal,
        colleague: &Colleague,
        record: Uuid,
    ) -> Result<Result<PersonId, AssignRefusal>, StoreError> {
        if self.policy.register_access(who, register) != Some(RegisterAccess::Keep) {
            return Ok(Err(AssignRefusal::NotAllowed));
        }
        let row = in_gate!(g, registers as r, tx => {
            r::entry(tx, &who.tenant, register.as_str(), record).await
        })?;
        let Some(row) = row else {
            return Ok(Err(AssignRefusal::NotFound));
        };
        g.entry.set_subjects([PersonId(row.person_id)]);
        if self
            .policy
            .register_access(&colleague.principal(&who.tenant), register)
            != Some(RegisterAccess::Keep)
        {
            return Ok(Err(AssignRefusal::CannotWork {
                name: colleague.name.clone(),
                reason: register.not_kept_reason(),
            }));
        }
        Ok(Ok(PersonId(row.person_id)))
    }

    /// Whether the policy lets `viewer` see anything of `person` (their own scope, not the
    /// gate's actor's), read in `g`'s snapshot.
    async fn sees_child(
        &self,
        g: &mut Guarded,
        viewer: &Principal,
        person: PersonId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let scope = self.policy.scope(viewer);
        if scope.is_empty() {
            return Ok(false);
        }
        in_gate!(g, queries as q, tx => {
            Ok(!q::visible_identities(tx, viewer, &scope, person, now).await?.is_empty())
        })
    }
}
