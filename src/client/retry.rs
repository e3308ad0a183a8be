//! The retry loop: one call's attempts, the waits between them (backoff, `Retry-After`, the
//! learned pace), resending once on a connection the server had closed, and the errors of a call
//! that ran out of time or was cancelled.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Client;
use crate::cancel::Cancel;
use crate::deadline::{Ahead, Budget};
use crate::error::failure::Failure;
use crate::error::status::GaStatus;
use crate::error::Error;
use crate::messages::Msg;
use crate::settings::defaults;

impl Client {
    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up; when
    /// `rate_limited`, each request waits for the rate limit as it is written (see
    /// `transport`). A request that failed on a pooled connection the server had closed, before
    /// any byte of the answer, is resent once on a new connection without counting as a retry.
    /// A cancel ends it with `GA_ERR_CANCELLED`; running out of `budget`, with `GA_ERR_TIMEOUT`.
    /// The one exit point for failures: every message leaves here scrubbed of the token.
    pub(super) fn retrying<T>(
        &self,
        rate_limited: bool,
        cancel: Option<&Cancel>,
        budget: &mut Budget,
        mut attempt: impl FnMut() -> (Result<T, Failure>, u16),
    ) -> Result<T, Error> {
        let max_retries = self.max_retries.load(Ordering::Relaxed);
        let mut tries: u32 = 0;
        let mut resend = false;
        let mut last_http = 0;
        // What the last attempt met, for a deadline message.
        let mut last_failure: Option<String> = None;
        loop {
            if crate::cancel::check(cancel).is_err() {
                return Err(cancelled(last_http));
            }
            if budget.expired() {
                let e = out_of_time(budget, None, last_http, last_failure.as_deref());
                return Err(self.scrubbed(e));
            }
            let started = Instant::now();
            let ((r, http_status), done) =
                self.attempt_once(rate_limited, cancel, resend, budget, &mut attempt);
            if let Some(d) = done.slot_too_far {
                // Nothing was sent: not an attempt.
                let ahead = Some(Ahead::RateLimit(d));
                let e = out_of_time(budget, ahead, last_http, last_failure.as_deref());
                return Err(self.scrubbed(e));
            }
            budget.attempt_done(started.elapsed(), done.waited);
            last_http = http_status;
            if r.is_err() && crate::cancel::check(cancel).is_err() {
                return Err(cancelled(http_status));
            }
            if rate_limited && self.learn_pace(&r, http_status, &done) {
                // A 429 that slowed the pace down (or came after it had): sent again at the new
                // pace, not counted as a retry.
                resend = false;
                continue;
            }
            if needs_resend(&r, http_status, resend, &done) {
                resend = true;
                continue;
            }
            resend = false;
            tries += 1;
            let failure = match r {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            let last = last_failure.insert(self.what_it_met(&failure));
            let (pause, asked) =
                self.pause_or_give_up(failure, last, http_status, (tries, max_retries), budget)?;
            if crate::cancel::sleep(cancel, pause).is_err() {
                return Err(cancelled(http_status));
            }
            budget.paused(pause, asked);
        }
    }

    /// Tells the pacer what the server said to a paced request (see `ratelimit`): true when it
    /// answered 429 and the pace went down for it, so the request goes again at the new pace.
    pub(super) fn learn_pace<T>(
        &self,
        r: &Result<T, Failure>,
        http_status: u16,
        done: &crate::net::transport::Attempt,
    ) -> bool {
        let limiter = &self.state().limiter;
        match (http_status, r) {
            (0, _) => false,
            (429, Err(f)) => limiter.too_many(done.sent, f.retry_after),
            _ => {
                limiter.accepted(done.sent);
                false
            }
        }
    }

    /// Runs one attempt under the call's timeout (cut to what is left of `budget`), cancel and
    /// (if `rate_limited`) the pace; `fresh_only` makes it use a new connection.
    fn attempt_once<T>(
        &self,
        rate_limited: bool,
        cancel: Option<&Cancel>,
        fresh_only: bool,
        budget: &Budget,
        attempt: &mut impl FnMut() -> (Result<T, Failure>, u16),
    ) -> ((Result<T, Failure>, u16), crate::net::transport::Attempt) {
        let pace = rate_limited.then(|| self.state().limiter.clone());
        let mut a = crate::net::transport::Attempt::new(cancel, pace, budget.cut(self.timeout()));
        a.call_ends = budget.ends();
        a.fresh_only = fresh_only;
        crate::net::transport::run(a, attempt)
    }

    /// After a failed attempt: the pause before the next one (and whether the server asked for
    /// it), or the final error (scrubbed of the token) when the failure is not retryable, the
    /// retries are used up, the server asks to wait too long or the budget would be passed.
    fn pause_or_give_up(
        &self,
        failure: Failure,
        last: &str,
        http_status: u16,
        (tries, max_retries): (u32, u32),
        budget: &Budget,
    ) -> Result<(Duration, bool), Error> {
        let Failure {
            status,
            mut message,
            retryable,
            retry_after,
        } = failure;
        let too_long = retry_after.filter(|d| d.as_secs() > defaults::MAX_RETRY_AFTER_S);
        if let Some(d) = too_long {
            message.push_str(
                &Msg::RetryAfterTooLong {
                    secs: d.as_secs(),
                    max: defaults::MAX_RETRY_AFTER_S,
                }
                .text(),
            );
        }
        if retryable && too_long.is_none() && budget.expired() {
            let e = out_of_time(budget, None, http_status, Some(last));
            return Err(self.scrubbed(e));
        }
        if !retryable || tries > max_retries || too_long.is_some() {
            if retryable && tries > 1 {
                message.push_str(&Msg::GaveUp { tries }.text());
            }
            return Err(Error {
                status,
                http_status,
                message: self.redactor.scrub(&message),
            });
        }
        let (pause, ahead) = match retry_after {
            Some(d) => (d, Ahead::RetryAfter(d)),
            None => {
                let d = self.backoff(tries);
                (d, Ahead::Backoff(d))
            }
        };
        if budget.would_cross(pause) {
            let e = out_of_time(budget, Some(ahead), http_status, Some(last));
            return Err(self.scrubbed(e));
        }
        Ok((pause, retry_after.is_some()))
    }

    /// What an attempt met, for a deadline message: its failure's message, without the
    /// per-attempt timeout a timed-out attempt names (the deadline may have cut it shorter; the
    /// deadline message says how long the attempts took).
    fn what_it_met(&self, failure: &Failure) -> String {
        if failure.status != GaStatus::GA_ERR_TIMEOUT {
            return failure.message.clone();
        }
        let within = Msg::Within {
            ms: self.timeout().as_millis(),
        }
        .text();
        failure.message.replacen(&within, "", 1)
    }
}

/// Whether a failed attempt died on a reused connection before any answer, so it is resent
/// once on a new connection without counting as a retry.
fn needs_resend<T>(
    r: &Result<T, Failure>,
    http_status: u16,
    resend: bool,
    done: &crate::net::transport::Attempt,
) -> bool {
    matches!(r, Err(f) if f.status == GaStatus::GA_ERR_NETWORK)
        && http_status == 0
        && !resend
        && done.failed_on_stale()
}

/// The error of a call that ran out of its budget: what used it, the wait that would have
/// crossed the deadline (`ahead`), and what the last attempt met (a timeout too: it names the
/// host or the proxy that stayed silent). The message may hold server text: scrub it before it
/// leaves.
fn out_of_time(
    budget: &Budget,
    ahead: Option<Ahead>,
    http_status: u16,
    last: Option<&str>,
) -> Error {
    let mut message = budget.exceeded(ahead);
    if let Some(m) = last {
        message.push_str(
            &Msg::LastAttempt {
                text: m.to_string(),
            }
            .text(),
        );
    }
    Error {
        status: GaStatus::GA_ERR_TIMEOUT,
        http_status,
        message,
    }
}

/// The error of a cancelled call.
pub(super) fn cancelled(http_status: u16) -> Error {
    Error {
        status: GaStatus::GA_ERR_CANCELLED,
        http_status,
        message: Msg::Cancelled.text(),
    }
}

/// A random number in `0..n` (n > 0) from std's per-process random hasher keys: good enough
/// for jitter, no extra crate.
pub(super) fn random_below(n: u64) -> u64 {
    use std::hash::BuildHasher;
    let x = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
    x % n.max(1)
}
