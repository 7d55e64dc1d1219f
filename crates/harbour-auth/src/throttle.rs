//! When to slow sign-in attempts down.
//!
//! A soft lock, never a hard one (a hard lock lets anyone lock a colleague out by guessing):
//! after a few failures an account must wait before the next attempt, the wait doubling with
//! each further failure up to a ceiling; a client address that fails across many accounts
//! waits too. Failures older than the window are forgotten.

use time::{Duration, OffsetDateTime};

/// The rules, with Harbour's defaults.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures are counted over this window.
    pub window: Duration,
    /// Failures on one account allowed before waits begin.
    pub account_free_failures: usize,
    /// The longest wait an account is asked for.
    pub account_max_wait: Duration,
    /// Failures from one client address (across accounts) before it must wait.
    pub client_failures: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            account_free_failures: 5,
            account_max_wait: Duration::minutes(15),
            client_failures: 30,
        }
    }
}

/// Whether an attempt may go ahead now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Try again after this long (for `Retry-After`).
    Wait(Duration),
}

/// Decides from the failure times recorded for the account and for the client address
/// (within the window, any order).
pub fn verdict(
    limits: &Limits,
    account_failures: &[OffsetDateTime],
    client_failures: &[OffsetDateTime],
    now: OffsetDateTime,
) -> Verdict {
    let recent = |times: &[OffsetDateTime]| -> Vec<OffsetDateTime> {
        let mut recent: Vec<_> = times
            .iter()
            .copied()
            .filter(|t| now - *t < limits.window)
            .collect();
        recent.sort();
        recent
    };
    let mut wait = Duration::ZERO;

    let account = recent(account_failures);
    if account.len() >= limits.account_free_failures {
        let extra = u32::try_from(account.len() - limits.account_free_failures)
            .unwrap_or(u32::MAX)
            .min(10);
        let backoff =
            (Duration::minutes(1) * 2_i32.saturating_pow(extra)).min(limits.account_max_wait);
        if let Some(last) = account.last() {
            wait = wait.max(*last + backoff - now);
        }
    }

    let client = recent(client_failures);
    if client.len() >= limits.client_failures {
        // Wait until enough of the window's failures have aged out.
        let index = client.len() - limits.client_failures;
        if let Some(oldest_counted) = client.get(index) {
            wait = wait.max(*oldest_counted + limits.window - now);
        }
    }

    if wait > Duration::ZERO {
        Verdict::Wait(wait)
    } else {
        Verdict::Allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-20 10:00 UTC);

    fn ago(minutes: i64) -> OffsetDateTime {
        NOW - Duration::minutes(minutes)
    }

    #[test]
    fn a_few_failures_cost_nothing() {
        let limits = Limits::default();
        assert_eq!(
            verdict(&limits, &[ago(1), ago(2), ago(3), ago(4)], &[], NOW),
            Verdict::Allowed
        );
    }

    #[test]
    fn waits_begin_after_five_failures_and_double() {
        let limits = Limits::default();
        let five = [NOW, ago(1), ago(2), ago(3), ago(4)];
        assert_eq!(
            verdict(&limits, &five, &[], NOW),
            Verdict::Wait(Duration::minutes(1))
        );
        let six = [NOW, NOW, ago(1), ago(2), ago(3), ago(4)];
        assert_eq!(
            verdict(&limits, &six, &[], NOW),
            Verdict::Wait(Duration::minutes(2))
        );
        let many: Vec<_> = (0..40).map(|_| NOW).collect();
        assert_eq!(
            verdict(&limits, &many, &[], NOW),
            Verdict::Wait(Duration::minutes(15)),
            "capped"
        );
        // Old failures are forgotten.
        let old = [ago(20), ago(21), ago(22), ago(23), ago(24), ago(25)];
        assert_eq!(verdict(&limits, &old, &[], NOW), Verdict::Allowed);
    }

    #[test]
    fn at_most_a_hundred_guesses_an_hour_reach_one_account() {
        // Simulate an attacker who retries the instant each wait ends, for an hour.
        let limits = Limits::default();
        let mut failures = Vec::new();
        let mut t = NOW;
        let end = NOW + Duration::hours(1);
        while t < end {
            let window: Vec<_> = failures
                .iter()
                .copied()
                .filter(|f: &OffsetDateTime| t - *f < limits.window)
                .collect();
            match verdict(&limits, &window, &[], t) {
                Verdict::Allowed => {
                    failures.push(t);
                    t += Duration::seconds(1);
                }
                Verdict::Wait(wait) => t += wait,
            }
        }
        assert!(
            failures.len() <= 100,
            "{} guesses in an hour",
            failures.len()
        );
    }

    #[test]
    fn a_client_failing_across_many_accounts_waits() {
        let limits = Limits::default();
        let client: Vec<_> = (0..30).map(|i| ago(i % 10)).collect();
        assert!(matches!(
            verdict(&limits, &[], &client, NOW),
            Verdict::Wait(_)
        ));
        let client: Vec<_> = (0..29).map(|_| NOW).collect();
        assert_eq!(verdict(&limits, &[], &client, NOW), Verdict::Allowed);
    }
}
