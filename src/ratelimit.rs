//! A per-client rate limiter: at most N request starts in any rolling window, shared by all
//! threads, first come first served, with no idle gaps while callers wait.
//!
//! It keeps the start times reserved for the last N requests (some may lie in the future).
//! A new request may start at `max(now, oldest + window)`, so any N + 1 consecutive starts span
//! at least one window, and a waiting caller starts exactly when a slot frees up.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::cancel::{Cancel, Cancelled};

/// The window: one second plus a margin for the jitter between our clock and the server's
/// arrival times (scheduling, connection setup, a loaded machine), so the server never sees
/// N + 1 in a second. 5 % of the budget buys robustness: 100 requests at 10/s take 9.45 s.
pub const WINDOW: Duration = Duration::from_millis(1050);

/// See the module documentation.
#[derive(Debug)]
pub struct RateLimiter {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    per_window: u32,
    starts: VecDeque<Instant>,
}

impl RateLimiter {
    /// A limiter for `per_second` starts a second; 0 turns it off.
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            state: Mutex::new(State {
                per_window: per_second,
                starts: VecDeque::new(),
            }),
        }
    }

    /// Changes the rate; reservations already made stay valid.
    pub fn set_rate(&self, per_second: u32) {
        let mut st = self.lock();
        st.per_window = per_second;
        while st.starts.len() > per_second as usize {
            st.starts.pop_front();
        }
    }

    /// The current rate (0 = off).
    #[cfg(test)]
    pub fn rate(&self) -> u32 {
        self.lock().per_window
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a plain queue of instants: a panic elsewhere cannot leave it inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves the next start time without waiting, and returns it.
    pub fn reserve(&self) -> Instant {
        let now = Instant::now();
        let mut st = self.lock();
        let n = st.per_window as usize;
        if n == 0 {
            return now;
        }
        let at = if st.starts.len() < n {
            now
        } else {
            let oldest = st.starts.pop_front().expect("len >= n > 0");
            now.max(oldest + WINDOW)
        };
        st.starts.push_back(at);
        at
    }

    /// Waits until this caller may send a request, and returns how long it waited. With a cancel
    /// token, a cancel ends the wait at once with `Err(Cancelled)`; the slot stays reserved (freeing
    /// it could let N + 1 requests into one window).
    pub fn acquire(&self, cancel: Option<&Cancel>) -> Result<Duration, Cancelled> {
        crate::cancel::check(cancel)?;
        let at = self.reserve();
        let now = Instant::now();
        if at <= now {
            return Ok(Duration::ZERO);
        }
        crate::cancel::sleep(cancel, at - now)?;
        Ok(at - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_never_exceed_the_rate_and_leave_no_gaps() {
        let l = RateLimiter::new(10);
        let t0 = Instant::now();
        let slots: Vec<Instant> = (0..35).map(|_| l.reserve()).collect();
        for w in slots.windows(11) {
            assert!(w[10] - w[0] >= WINDOW);
        }
        // The first 10 start at once; slot k + 10 starts exactly one window after slot k.
        assert!(slots[9] - t0 < Duration::from_millis(50));
        for k in 0..25 {
            let d = slots[k + 10] - slots[k];
            assert!(
                d >= WINDOW && d < WINDOW + Duration::from_millis(50),
                "{d:?}"
            );
        }
    }

    #[test]
    fn off_and_rate_changes() {
        let l = RateLimiter::new(0);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(l.reserve() - t0 < Duration::from_millis(100));
        }
        l.set_rate(2);
        assert_eq!(l.rate(), 2);
        let a = l.reserve();
        let b = l.reserve();
        let c = l.reserve();
        assert!(b - a < Duration::from_millis(50));
        assert!(c - a >= WINDOW);
        l.set_rate(1);
        let d = l.reserve();
        assert!(d - c >= WINDOW);
    }
}
