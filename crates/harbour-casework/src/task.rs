//! Tasks: what a register asks someone to do, and by when. Every workflow turns its open
//! clocks into tasks of this one shape, so the "My work" queue can list them all together,
//! overdue first.

use harbour_domain::Role;
use harbour_rules::calendar::Calendar;
use serde::{Deserialize, Serialize};
use time::Date;

/// What is to be done. Each workflow adds its own kinds here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Arrange full-time education from the sixth school day of a permanent exclusion (the
    /// local authority's duty under s.19 Education Act 1996).
    ArrangeProvision,
    /// The governing board's decision on reinstatement, within 15 school days.
    BoardDecision,
    /// The independent review panel's hearing, by the 15th school day after the application.
    ReviewHearing,
    /// The regular review of an excluded child's education offer.
    ReviewOffer,
    /// A part-time offer has run longer than the limit: make it full-time or record why not.
    PartTimeOffer,
    /// A home-education registration needs the authority's s.434A consent decision.
    EheConsent,
    /// The authority may ask for a home visit within 15 days of registration.
    EheHomeVisit,
    /// Ask the parents for information (at least every 12 months).
    EheInformationRequest,
    /// Trace a child missing education within the limit (20 school days by default).
    TraceMissingChild,
    /// Review an alternative-provision placement (on its review date, else every six weeks).
    ReviewPlacement,
}

impl TaskKind {
    /// The words a practitioner reads in the queue.
    pub fn label(self) -> &'static str {
        match self {
            Self::ArrangeProvision => "Arrange full-time education from day 6",
            Self::BoardDecision => "Governing board's reinstatement decision",
            Self::ReviewHearing => "Independent review panel hearing",
            Self::ReviewOffer => "Review the education offer",
            Self::PartTimeOffer => "Part-time offer past its limit",
            Self::EheConsent => "Decide consent to home education (s.434A)",
            Self::EheHomeVisit => "Ask for a home visit (within 15 days)",
            Self::EheInformationRequest => "Ask for information about home education",
            Self::TraceMissingChild => "Trace a child missing education",
            Self::ReviewPlacement => "Review the alternative-provision placement",
        }
    }

    /// Whether the law counts this one in school days (shown beside the date).
    pub fn counts_school_days(self) -> bool {
        matches!(
            self,
            Self::ArrangeProvision
                | Self::BoardDecision
                | Self::ReviewHearing
                | Self::TraceMissingChild
        )
    }
}

/// One thing to do, by a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub kind: TaskKind,
    pub due: Date,
    pub overdue: bool,
}

impl Task {
    pub fn new(kind: TaskKind, due: Date, today: Date) -> Self {
        Self {
            kind,
            due,
            overdue: today > due,
        }
    }

    /// The queue's order: overdue first, then the soonest due.
    pub fn queue_order(&self) -> (bool, Date) {
        (!self.overdue, self.due)
    }
}

impl Task {
    /// School days from `today` to the due day: above nought, due in that many school days;
    /// below, overdue by that many; nought, due today (or on the next school day).
    pub fn school_days_left(&self, calendar: &Calendar, today: Date) -> i64 {
        if today <= self.due {
            i64::from(calendar.school_days_between(today, self.due))
        } else {
            -i64::from(calendar.school_days_between(self.due, today))
        }
    }

    /// Whether the task has been overdue long enough to go up the line: more than
    /// `escalation.after_school_days` school days past its due day.
    pub fn escalates(&self, calendar: &Calendar, escalation: Escalation, today: Date) -> bool {
        self.overdue && calendar.school_days_between(self.due, today) > escalation.after_school_days
    }
}

/// When an overdue register task escalates, as an overdue alert does: it then also appears
/// in the queue of the role the routing (`rules/routing.toml`, `[escalate]`) names above
/// the register's keepers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// School days a task may be overdue before it escalates (5 by default).
    pub after_school_days: u32,
}

impl Default for Escalation {
    fn default() -> Self {
        Self {
            after_school_days: 5,
        }
    }
}

/// The roles an escalated task of a register kept by `keepers` goes to: for each keeping
/// role, the role `route` names above it (the alert routing's `escalates_to`), each once,
/// leaving out roles that keep the register already (their queue has the task).
pub fn escalated_to(keepers: &[Role], route: impl Fn(Role) -> Option<Role>) -> Vec<Role> {
    let mut out = Vec::new();
    for keeper in keepers {
        if let Some(to) = route(*keeper)
            && !keepers.contains(&to)
            && !out.contains(&to)
        {
            out.push(to);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// England's usual terms (autumn 3 September to 20 December, summer to 22 July).
    fn calendar() -> Calendar {
        Calendar::default()
    }

    #[test]
    fn school_days_left_counts_school_days_either_side_of_the_due_day() {
        let calendar = calendar();
        // Due Monday 18 November 2024.
        let due = date!(2024 - 11 - 18);
        let on = |today| Task::new(TaskKind::ArrangeProvision, due, today);
        assert_eq!(on(due).school_days_left(&calendar, due), 0);
        // From Friday the 15th: only Monday falls after it, on or before the due day.
        let friday = date!(2024 - 11 - 15);
        assert_eq!(on(friday).school_days_left(&calendar, friday), 1);
        // Tuesday 26th is six school days late (19, 20, 21, 22, 25, 26).
        let late = date!(2024 - 11 - 26);
        assert_eq!(on(late).school_days_left(&calendar, late), -6);
        // A weekend after the due day adds nothing.
        let sunday = date!(2024 - 11 - 24);
        assert_eq!(on(sunday).school_days_left(&calendar, sunday), -4);
    }

    #[test]
    fn a_task_escalates_only_when_overdue_by_more_than_the_setting() {
        let calendar = calendar();
        let due = date!(2024 - 11 - 18);
        let five = Escalation::default();
        assert_eq!(five.after_school_days, 5);
        let task = |today| Task::new(TaskKind::BoardDecision, due, today);
        // Five school days late (Monday the 25th) is not yet more than five.
        let monday = date!(2024 - 11 - 25);
        assert!(!task(monday).escalates(&calendar, five, monday));
        let tuesday = date!(2024 - 11 - 26);
        assert!(task(tuesday).escalates(&calendar, five, tuesday));
        // Not overdue at all never escalates, whatever the setting.
        let zero = Escalation {
            after_school_days: 0,
        };
        assert!(!task(due).escalates(&calendar, zero, due));
        let next = date!(2024 - 11 - 19);
        assert!(task(next).escalates(&calendar, zero, next));
    }

    #[test]
    fn holidays_do_not_count_towards_escalation() {
        let calendar = calendar();
        // Due Tuesday 22 July 2025, the last day of the summer term: on Tuesday 2 September,
        // the day before the autumn term, the task is six weeks but no school days late.
        let due = date!(2025 - 07 - 22);
        let tuesday = date!(2025 - 09 - 02);
        let task = Task::new(TaskKind::TraceMissingChild, due, tuesday);
        assert!(task.overdue);
        assert_eq!(task.school_days_left(&calendar, tuesday), 0);
        assert!(!task.escalates(&calendar, Escalation::default(), tuesday));
        let later = date!(2025 - 09 - 10);
        assert_eq!(task.school_days_left(&calendar, later), -6);
        assert!(task.escalates(&calendar, Escalation::default(), later));
    }

    #[test]
    fn escalation_follows_the_alert_routing_above_the_keepers() {
        let route = |role: Role| match role {
            Role::LaInclusionOfficer => Some(Role::MaceChair),
            Role::LaCmeEheOfficer => Some(Role::LaInclusionOfficer),
            Role::SchoolDsl => Some(Role::LaInclusionOfficer),
            _ => None,
        };
        assert_eq!(
            escalated_to(&[Role::LaInclusionOfficer], route),
            [Role::MaceChair]
        );
        // A role above one keeper that keeps the register itself already has the task.
        assert_eq!(
            escalated_to(&[Role::LaCmeEheOfficer, Role::LaInclusionOfficer], route),
            [Role::MaceChair]
        );
        assert_eq!(
            escalated_to(&[Role::SchoolDsl, Role::LaCmeEheOfficer], route),
            [Role::LaInclusionOfficer]
        );
        assert!(escalated_to(&[Role::MaceChair], route).is_empty());
    }

    #[test]
    fn overdue_tasks_come_first_then_the_soonest() {
        let today = date!(2024 - 11 - 20);
        let mut tasks = [
            Task::new(TaskKind::ReviewOffer, date!(2024 - 12 - 01), today),
            Task::new(TaskKind::ArrangeProvision, date!(2024 - 11 - 11), today),
            Task::new(TaskKind::BoardDecision, date!(2024 - 11 - 25), today),
            Task::new(TaskKind::ReviewHearing, date!(2024 - 11 - 19), today),
        ];
        tasks.sort_by_key(Task::queue_order);
        let order: Vec<Date> = tasks.iter().map(|t| t.due).collect();
        assert_eq!(
            order,
            [
                date!(2024 - 11 - 11),
                date!(2024 - 11 - 19),
                date!(2024 - 11 - 25),
                date!(2024 - 12 - 01)
            ]
        );
        assert!(tasks[0].overdue && tasks[1].overdue && !tasks[2].overdue);
    }
}
