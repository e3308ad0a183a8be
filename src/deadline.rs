//! A call's total time budget (the deadline setting): when the call must end, how much of it
//! is left, and what used it, for the message of a call that runs out of it.
//!
//! Every wait of a call is counted: attempts (DNS, connecting, TLS, waiting for the answer),
//! backoff between retries, waits the server asked for (Retry-After) and rate-limit waits.

use crate::messages::Msg;
use std::time::{Duration, Instant};

/// Less than this left counts as none: no attempt can be made in it.
const GRACE: Duration = Duration::from_millis(10);

/// A call's budget and what it was spent on.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    /// The budget; None when there is no deadline.
    limit: Option<Duration>,
    start: Instant,
    attempts: u32,
    attempt_time: Duration,
    backoff: Duration,
    retry_after: Duration,
    rate_wait: Duration,
}

/// Why a call ended before using up its budget: the wait it would have needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ahead {
    /// The server asked to retry after this long.
    RetryAfter(Duration),
    /// The next backoff.
    Backoff(Duration),
    /// The next rate-limit slot is this far away.
    RateLimit(Duration),
}

impl Budget {
    /// A budget of `limit_ms` from now (0 = no deadline).
    pub fn new(limit_ms: u32) -> Budget {
        Budget {
            limit: (limit_ms > 0).then(|| Duration::from_millis(limit_ms.into())),
            start: Instant::now(),
            attempts: 0,
            attempt_time: Duration::ZERO,
            backoff: Duration::ZERO,
            retry_after: Duration::ZERO,
            rate_wait: Duration::ZERO,
        }
    }

    /// When the call must end, if it has a deadline.
    pub fn ends(&self) -> Option<Instant> {
        self.limit.map(|l| self.start + l)
    }

    /// What is left of the budget (None: no deadline).
    pub fn left(&self) -> Option<Duration> {
        self.ends()
            .map(|e| e.saturating_duration_since(Instant::now()))
    }

    /// Whether the budget is used up.
    pub fn expired(&self) -> bool {
        self.left().is_some_and(|l| l < GRACE)
    }

    /// `timeout` cut to what is left.
    pub fn cut(&self, timeout: Duration) -> Duration {
        self.left().map_or(timeout, |l| timeout.min(l))
    }

    /// Whether waiting `d` would reach the deadline (no attempt could follow it).
    pub fn would_cross(&self, d: Duration) -> bool {
        self.left().is_some_and(|l| d + GRACE > l)
    }

    /// Counts an attempt that took `took`, of which `rate_wait` waiting for the rate limit.
    pub fn attempt_done(&mut self, took: Duration, rate_wait: Duration) {
        self.attempts += 1;
        self.attempt_time += took.saturating_sub(rate_wait);
        self.rate_wait += rate_wait;
    }

    /// Counts a pause between attempts: the server's Retry-After or a backoff.
    pub fn paused(&mut self, d: Duration, asked_by_server: bool) {
        if asked_by_server {
            self.retry_after += d;
        } else {
            self.backoff += d;
        }
    }

    /// The message of a call that ran out of its budget (`ahead`: the wait that would have
    /// crossed the deadline, when the call ended before it).
    pub fn exceeded(&self, ahead: Option<Ahead>) -> String {
        let limit = self.limit.map_or_else(|| "?".into(), budget_text);
        let left = secs(self.left().unwrap_or_default());
        let why = match ahead {
            None => String::new(),
            Some(Ahead::RetryAfter(d)) => Msg::AheadRetryAfter {
                wait: secs(d),
                left,
            }
            .text(),
            Some(Ahead::Backoff(d)) => Msg::AheadBackoff {
                wait: secs(d),
                left,
            }
            .text(),
            Some(Ahead::RateLimit(d)) => Msg::AheadRateLimit {
                wait: secs(d),
                left,
            }
            .text(),
        };
        Msg::DeadlineReached {
            limit,
            why,
            usage: self.usage(),
        }
        .text()
    }

    /// What the budget was spent on, e.g. "2 attempts 8.1 s, backoff 0.5 s".
    fn usage(&self) -> String {
        let mut parts = vec![match self.attempts {
            0 => Msg::NoAttemptMade.text(),
            1 => Msg::OneAttempt {
                time: secs(self.attempt_time),
            }
            .text(),
            n => Msg::Attempts {
                n,
                time: secs(self.attempt_time),
            }
            .text(),
        }];
        type Named = fn(String) -> Msg<'static>;
        let used: [(Duration, Named); 3] = [
            (self.backoff, |time| Msg::UsedBackoff { time }),
            (self.retry_after, |time| Msg::UsedRetryAfter { time }),
            (self.rate_wait, |time| Msg::UsedRateWait { time }),
        ];
        for (d, what) in used {
            if !d.is_zero() {
                parts.push(what(secs(d)).text());
            }
        }
        parts.join(", ")
    }
}

/// A duration as seconds with one decimal: "8.1 s".
fn secs(d: Duration) -> String {
    Msg::Seconds {
        v: format!("{:.1}", d.as_secs_f64()),
    }
    .text()
}

/// The budget as set: "10 s", "2.5 s" or "250 ms".
fn budget_text(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        Msg::Seconds {
            v: (ms / 1000).to_string(),
        }
        .text()
    } else if ms % 100 == 0 {
        secs(d)
    } else {
        Msg::Millis { ms }.text()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_deadline_never_expires_or_cuts() {
        let b = Budget::new(0);
        assert_eq!(b.ends(), None);
        assert!(!b.expired() && !b.would_cross(Duration::from_secs(1_000_000)));
        assert_eq!(b.cut(Duration::from_secs(30)), Duration::from_secs(30));
    }

    #[test]
    fn cuts_waits_and_says_what_used_the_budget() {
        let mut b = Budget::new(10_000);
        assert_eq!(b.cut(Duration::from_secs(4)), Duration::from_secs(4));
        assert!(b.cut(Duration::from_secs(30)) <= Duration::from_secs(10));
        assert!(b.would_cross(Duration::from_secs(10)) && !b.would_cross(Duration::from_secs(9)));
        b.attempt_done(Duration::from_millis(5500), Duration::from_millis(1400));
        b.attempt_done(Duration::from_millis(4000), Duration::ZERO);
        b.paused(Duration::from_millis(500), false);
        let m = b.exceeded(None);
        assert_eq!(
            m,
            "deadline of 10 s reached (deadline setting): 2 attempts 8.1 s, backoff 0.5 s, rate-limit wait 1.4 s"
        );
        let m = Budget::new(2500).exceeded(Some(Ahead::RetryAfter(Duration::from_secs(30))));
        assert!(
            m.starts_with("deadline of 2.5 s reached (deadline setting): the server asked to retry after 30.0 s, more than the 2.")
                && m.ends_with(" s left; no attempt made"),
            "{m}"
        );
        let m = Budget::new(250).exceeded(Some(Ahead::RateLimit(Duration::from_millis(900))));
        assert!(
            m.contains("of 250 ms") && m.contains("slot is 0.9 s away"),
            "{m}"
        );
    }
}
