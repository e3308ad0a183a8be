//! A per-client rate limiter: at most N request starts in any rolling window, shared by all
//! threads, first come first served, with no idle gaps while callers wait.
//!
//! It keeps the start times reserved within the last window and ahead (some lie in the future),
//! in order. A new request may start at `max(now, s + window)`, `s` the N-th latest reservation,
//! so any N + 1 consecutive starts span at least one window, and a waiting caller starts exactly
//! when a slot frees up. A wait that is cancelled gives its reservation back (the request was
//! never sent, so the server cannot count it): removing a start keeps every N + 1 consecutive
//! ones at least a window apart, and a later reservation, inserted in order, keeps that too
//! (fewer than N reservations lie after `s`, so any N + 1 around the new one reach back to `s`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::cancel::Cancel;

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
        // Starts a window old or older cannot hold a new one back.
        while st.starts.front().is_some_and(|&t| t + WINDOW <= now) {
            st.starts.pop_front();
        }
        let len = st.starts.len();
        let at = if len < n {
            now
        } else {
            now.max(st.starts[len - n] + WINDOW)
        };
        // In order: after a cancelled reservation was given back, `at` may precede later ones.
        let i = st.starts.partition_point(|&t| t <= at);
        st.starts.insert(i, at);
        at
    }

    /// Gives back a reservation whose request was never sent (its wait was cancelled).
    fn release(&self, at: Instant) {
        let mut st = self.lock();
        if let Some(i) = st.starts.iter().rposition(|&t| t == at) {
            st.starts.remove(i);
        }
    }

    /// Waits until this caller may send a request, and returns how long it waited. With a cancel
    /// token, a cancel ends the wait at once with `Refused::Cancelled`; a slot later than `until`
    /// (the call's deadline) is not waited for: `Refused::TooFar` says how far away it was. Either
    /// way the slot is given back (no request was sent with it).
    pub fn acquire(
        &self,
        cancel: Option<&Cancel>,
        until: Option<Instant>,
    ) -> Result<Duration, Refused> {
        crate::cancel::check(cancel).map_err(|_| Refused::Cancelled)?;
        let at = self.reserve();
        let now = Instant::now();
        if at <= now {
            return Ok(Duration::ZERO);
        }
        if until.is_some_and(|u| at > u) {
            self.release(at);
            return Err(Refused::TooFar(at - now));
        }
        if crate::cancel::sleep(cancel, at - now).is_err() {
            self.release(at);
            return Err(Refused::Cancelled);
        }
        Ok(at - now)
    }
}

/// Why [`RateLimiter::acquire`] gave no slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The call was cancelled while it waited.
    Cancelled,
    /// The next slot lies beyond the call's deadline, this far away.
    TooFar(Duration),
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
    fn released_reservations_leave_a_valid_schedule() {
        // Reserve 200 slots at 10 per window, giving back a pseudo-random third of them (any
        // one, not only the latest) along the way: the kept ones never put N + 1 in a window.
        let l = RateLimiter::new(10);
        let mut kept: Vec<Instant> = Vec::new();
        let mut x: u32 = 12345;
        for _ in 0..200 {
            kept.push(l.reserve());
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            if (x >> 16) % 3 == 0 {
                // Any live reservation, not only the latest.
                let i = (x >> 8) as usize % kept.len();
                l.release(kept.swap_remove(i));
            }
        }
        kept.sort();
        for w in kept.windows(11) {
            assert!(w[10] - w[0] >= WINDOW, "{:?}", w[10] - w[0]);
        }
        // Given-back slots shorten the schedule (without them: 19 windows for 200).
        let span = *kept.last().unwrap() - kept[0];
        assert!(span < WINDOW * 19, "{span:?}");
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

    #[test]
    fn a_slot_beyond_the_deadline_is_not_waited_for_and_given_back() {
        let l = RateLimiter::new(1);
        let t0 = Instant::now();
        assert_eq!(l.acquire(None, None), Ok(Duration::ZERO));
        let soon = Some(Instant::now() + Duration::from_millis(200));
        match l.acquire(None, soon) {
            Err(Refused::TooFar(d)) => assert!(d > Duration::from_millis(800), "{d:?}"),
            r => panic!("{r:?}"),
        }
        assert!(t0.elapsed() < Duration::from_millis(500), "not waited for");
        // Given back: the next caller gets the slot one window after the first, not two.
        let next = l.reserve();
        assert!(
            next - t0 < WINDOW + Duration::from_millis(100),
            "{:?}",
            next - t0
        );
    }
}
