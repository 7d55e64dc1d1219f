//! Open states on a timeline: on the EHE register, missing education, an open child
//! protection plan, an open exploitation concern, known to social care. A state opens with
//! one kind of event and closes with another, or lapses after a time with no new opening.

use crate::timeline::Timeline;
use harbour_domain::EventKind;
use time::{Date, Duration};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub name: String,
    pub title: String,
    pub opens: Vec<EventKind>,
    pub closes: Vec<EventKind>,
    /// Days after its last opening event that an unclosed state lapses (a referral with no
    /// recorded outcome is not open for ever); `None` means it stays open until closed.
    pub lasts_days: Option<u32>,
}

impl State {
    /// Whether the state is open on `day`: the last opening or closing event on or before it
    /// opened the state, recently enough.
    pub fn open_on(&self, timeline: &Timeline, day: Date) -> bool {
        let last = timeline
            .events
            .iter()
            .take_while(|e| e.on <= day)
            .filter(|e| self.opens.contains(&e.kind) || self.closes.contains(&e.kind))
            .last();
        match last {
            Some(e) if self.opens.contains(&e.kind) => self
                .lasts_days
                .is_none_or(|days| day - e.on <= Duration::days(i64::from(days))),
            _ => false,
        }
    }
}
