//! Statutory clocks: a deadline that is met by something happening on or before a day, and a
//! window in which someone (a parent) may act. Each shows as due, met or missed with its
//! dates, which is what an officer and an inspector ask of a register.

use serde::{Deserialize, Serialize};
use time::Date;

/// How a deadline stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClockState {
    /// Not yet met; the due day has not passed.
    Due { due: Date },
    /// Met on `on`, which was on or before `due`.
    Met { due: Date, on: Date },
    /// Met on `on`, after `due`.
    MetLate { due: Date, on: Date },
    /// Not met, and `due` has passed.
    Missed { due: Date },
}

impl ClockState {
    /// Whether the duty the clock measures was (or is now) not done in time.
    pub fn is_missed(self) -> bool {
        matches!(self, Self::Missed { .. } | Self::MetLate { .. })
    }

    /// Whether the clock still needs something doing: due or missed and not met.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Due { .. } | Self::Missed { .. })
    }

    pub fn due(self) -> Date {
        match self {
            Self::Due { due } | Self::Missed { due } => due,
            Self::Met { due, .. } | Self::MetLate { due, .. } => due,
        }
    }

    /// Plain words for the register page: "due 11 Nov 2024", "met 8 Nov 2024".
    pub fn label(self) -> &'static str {
        match self {
            Self::Due { .. } => "Due",
            Self::Met { .. } => "Met",
            Self::MetLate { .. } => "Met late",
            Self::Missed { .. } => "Missed",
        }
    }
}

/// A duty with a last day, met by the first day something happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub due: Date,
    pub met_on: Option<Date>,
}

impl Deadline {
    pub fn new(due: Date, met_on: Option<Date>) -> Self {
        Self { due, met_on }
    }

    /// The state on `today`. A duty met on a day after `today` (a date recorded in advance)
    /// does not count yet.
    pub fn state(self, today: Date) -> ClockState {
        match self.met_on {
            Some(on) if on <= today && on <= self.due => ClockState::Met { due: self.due, on },
            Some(on) if on <= today => ClockState::MetLate { due: self.due, on },
            _ if today > self.due => ClockState::Missed { due: self.due },
            _ => ClockState::Due { due: self.due },
        }
    }
}

/// How a window stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WindowState {
    /// Still open until `closes`.
    Open { closes: Date },
    /// Used on `on`, within the window.
    Used { closes: Date, on: Date },
    /// Closed unused. Not a failure by anyone: a parent may choose not to act.
    Closed { closes: Date },
}

/// A period in which someone may act (a parent's right to ask for a review).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub closes: Date,
    pub used_on: Option<Date>,
}

impl Window {
    pub fn state(self, today: Date) -> WindowState {
        match self.used_on {
            Some(on) if on <= today => WindowState::Used {
                closes: self.closes,
                on,
            },
            _ if today > self.closes => WindowState::Closed {
                closes: self.closes,
            },
            _ => WindowState::Open {
                closes: self.closes,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_deadline_is_due_then_met_or_missed() {
        let due = date!(2024 - 11 - 11);
        let open = Deadline::new(due, None);
        assert_eq!(open.state(date!(2024 - 11 - 11)), ClockState::Due { due });
        assert_eq!(
            open.state(date!(2024 - 11 - 12)),
            ClockState::Missed { due }
        );
        let met = Deadline::new(due, Some(date!(2024 - 11 - 08)));
        assert!(matches!(
            met.state(date!(2025 - 01 - 01)),
            ClockState::Met { .. }
        ));
        let late = Deadline::new(due, Some(date!(2024 - 11 - 20)));
        assert_eq!(
            late.state(date!(2024 - 11 - 15)),
            ClockState::Missed { due }
        );
        assert!(late.state(date!(2024 - 11 - 20)).is_missed());
        assert!(!late.state(date!(2024 - 11 - 20)).is_open());
    }

    #[test]
    fn a_window_closes_unused_without_blame() {
        let closes = date!(2024 - 12 - 02);
        let window = Window {
            closes,
            used_on: None,
        };
        assert_eq!(window.state(closes), WindowState::Open { closes });
        assert_eq!(
            window.state(date!(2024 - 12 - 03)),
            WindowState::Closed { closes }
        );
    }
}
