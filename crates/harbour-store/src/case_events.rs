//! Workflow history: every change of state in a workflow is a fact about the child, kept
//! append-only in `case_events` beside the workflow's own table (which holds the current
//! state for queues and lists).
//!
//! How workflow state reaches the timeline. A workflow's facts are not agency events: no
//! agency supplied them and no feed's handling marker applies, so they are kept apart from
//! `events` and the access policy's event rules. Each workflow decides who may read its
//! facts, as it decides who may read its records (an alert's history goes to those who work
//! its queue, for a child they may see), and reads them through the gate like any other
//! personal data. Alerts write theirs now (raised, escalated, acknowledged, actioned,
//! dismissed); the registers, transfers, the MACE panel and transitions add their own
//! `workflow` and actions through [`NewCaseEvent`]. Replay of what was done, the record
//! pages and the practice-review chronology read them from here, ordered by time.

use harbour_domain::{PersonId, UserId};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// A fact to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewCaseEvent {
    pub person: PersonId,
    /// The workflow's stable code (`alert`, ...).
    pub workflow: &'static str,
    /// The workflow's record (an alert's id).
    pub record: Uuid,
    /// The workflow's stable code for what happened (`raised`, `acknowledged`, ...).
    pub action: String,
    pub at: OffsetDateTime,
    /// Who did it; `None` when Harbour did (a rules run raising or escalating).
    pub by: Option<UserId>,
    /// A small JSON object of codes and ids, never free text.
    pub detail: String,
}

/// A fact as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseEvent {
    pub person: PersonId,
    pub record: Uuid,
    pub action: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: Option<UserId>,
    /// The member of staff's name, for people to read; `None` for Harbour itself.
    pub by_name: Option<String>,
    pub detail: String,
}
