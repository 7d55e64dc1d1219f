//! The one place the wall clock is read.
//!
//! Writes, sessions and audit take the time from a [`Clock`] passed in, so tests can fix it
//! and timeouts, audit order and (later) rules behave the same on every run.

use std::fmt::Debug;
use std::sync::Mutex;
use time::OffsetDateTime;

/// A source of the current instant (UTC).
pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> OffsetDateTime;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the single sanctioned read of the wall clock
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct FixedClock(Mutex<OffsetDateTime>);

impl FixedClock {
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: time::Duration) {
        let mut at = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *at += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = FixedClock::new(datetime!(2026-01-05 09:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-01-05 09:00 UTC));
        clock.advance(time::Duration::minutes(16));
        assert_eq!(clock.now(), datetime!(2026-01-05 09:16 UTC));
    }
}
