//! Tasks: what a register asks someone to do, and by when. Every workflow turns its open
//! clocks into tasks of this one shape, so the "My work" queue can list them all together,
//! overdue first.

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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

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
