//! A per-client rate limiter: at most N requests in any rolling window, shared by all threads,
//! first come first served, with no idle gaps while callers wait.
//!
//! It keeps the times of the requests sent within the last window and the reservations of those
//! waiting (some lie in the future), in order. A new request may go at `max(now, s + window)`,
//! `s` the N-th latest entry, so any N + 1 consecutive entries span at least one window.
//!
//! The server counts arrivals, so what counts is when a request is *written*, not when its slot
//! was planned. Three rules keep the entries true to that:
//! - a waiter that wakes **claims** its slot at the current time, checked again against the
//!   entries as they are then (another request may have been written later than planned); if
//!   the N-th entry before it is now less than a window away, it waits again;
//! - once the request is written, its entry is moved to the time the write ended ([`sent`]), so
//!   a request held up between its slot and its write (a busy machine) never lets the next ones
//!   go early;
//! - a wait that is cancelled gives its reservation back (the request was never sent).
//!
//! The window is one second plus a margin for the jitter between our clock and the server's
//! arrival times. It starts small ([`MARGIN`]), so a steady stream runs within about 2 % of the
//! physical limit, and grows after each 429 the server answers to a paced request ([`widen`]), up
//! to [`MAX_MARGIN`]: a path with more jitter costs a 429 or two, never a stream of them.
//!
//! [`sent`]: RateLimiter::sent
//! [`widen`]: RateLimiter::widen

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::cancel::Cancel;

/// The margin a client starts with (see the module documentation).
pub const MARGIN: Duration = Duration::from_millis(10);

/// The largest margin 429s can widen it to.
pub const MAX_MARGIN: Duration = Duration::from_millis(200);

/// The window a client starts with.
pub const WINDOW: Duration = Duration::from_millis(1000 + MARGIN.as_millis() as u64);

/// See the module documentation.
#[derive(Debug)]
pub struct RateLimiter {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    per_window: u32,
    window: Duration,
    entries: VecDeque<Instant>,
}

impl State {
    /// Drops entries too old to hold anything back.
    fn prune(&mut self, now: Instant) {
        while self
            .entries
            .front()
            .is_some_and(|&t| t + self.window <= now)
        {
            self.entries.pop_front();
        }
    }

    /// Inserts `t` in order.
    fn insert(&mut self, t: Instant) {
        let i = self.entries.partition_point(|&e| e <= t);
        self.entries.insert(i, t);
    }

    /// Removes one entry equal to `t`, if there is one.
    fn remove(&mut self, t: Instant) {
        if let Some(i) = self.entries.iter().rposition(|&e| e == t) {
            self.entries.remove(i);
        }
    }

    /// The earliest time at or after `t` that a new entry keeps the rule against the entries at
    /// or before it.
    fn free_at(&self, t: Instant) -> Instant {
        let n = self.per_window as usize;
        let before = self.entries.partition_point(|&e| e <= t);
        if before < n {
            t
        } else {
            t.max(self.entries[before - n] + self.window)
        }
    }
}

/// A slot a caller holds: where its entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(Instant);

impl RateLimiter {
    /// A limiter for `per_second` requests a second; 0 turns it off.
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            state: Mutex::new(State {
                per_window: per_second,
                window: WINDOW,
                entries: VecDeque::new(),
            }),
        }
    }

    /// Changes the rate; reservations already made stay valid.
    pub fn set_rate(&self, per_second: u32) {
        let mut st = self.lock();
        st.per_window = per_second;
        while st.entries.len() > per_second as usize {
            st.entries.pop_front();
        }
    }

    /// The current rate (0 = off).
    #[cfg(test)]
    pub fn rate(&self) -> u32 {
        self.lock().per_window
    }

    /// The current window (one second plus the margin).
    #[cfg(test)]
    pub fn window(&self) -> Duration {
        self.lock().window
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a plain queue of instants: a panic elsewhere cannot leave it inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves the next slot after every entry (first come, first served) without waiting, and
    /// returns its time.
    pub fn reserve(&self) -> Instant {
        let now = Instant::now();
        let mut st = self.lock();
        let n = st.per_window as usize;
        if n == 0 {
            return now;
        }
        st.prune(now);
        let len = st.entries.len();
        let at = if len < n {
            now
        } else {
            now.max(st.entries[len - n] + st.window)
        };
        st.insert(at);
        at
    }

    /// Gives back a reservation whose request was never sent (its wait was cancelled).
    fn release(&self, at: Instant) {
        self.lock().remove(at);
    }

    /// Claims the reservation `at` now: its entry moves to the current time if that keeps the
    /// rule against the entries as they are now; otherwise it moves to the earliest time that
    /// does, returned as `Err` (wait for it and claim again).
    fn claim(&self, at: Instant) -> Result<Instant, Instant> {
        let now = Instant::now();
        let mut st = self.lock();
        st.remove(at);
        if st.per_window == 0 {
            return Ok(now);
        }
        let free = st.free_at(now);
        st.insert(free);
        if free <= now {
            Ok(free)
        } else {
            Err(free)
        }
    }

    /// The request of `slot` was written: its entry moves to now (never earlier), so the ones
    /// after it keep a window from when it really went out.
    pub fn sent(&self, slot: Slot) {
        let now = Instant::now();
        let mut st = self.lock();
        // Off: nothing is kept (reserve and claim keep nothing either).
        if st.per_window != 0 && slot.0 < now {
            st.remove(slot.0);
            st.insert(now);
        }
    }

    /// The server answered 429 to a paced request: our clock and its arrivals disagree by more
    /// than the margin. Widens it (10, then 30, 70, 150 and at most 200 ms).
    pub fn widen(&self) {
        let mut st = self.lock();
        let margin = st.window.saturating_sub(Duration::from_secs(1));
        st.window = Duration::from_secs(1) + (margin * 2 + MARGIN).min(MAX_MARGIN);
    }

    /// Waits until this caller may send a request; returns how long it waited and its slot (pass
    /// it to [`RateLimiter::sent`] once the request is written). With a cancel token, a cancel
    /// ends the wait at once with `Refused::Cancelled`; a slot later than `until` (the call's
    /// deadline) is not waited for: `Refused::TooFar` says how far away it was. Either way the
    /// slot is given back (no request was sent with it).
    pub fn acquire(
        &self,
        cancel: Option<&Cancel>,
        until: Option<Instant>,
    ) -> Result<(Duration, Slot), Refused> {
        crate::cancel::check(cancel).map_err(|_| Refused::Cancelled)?;
        let mut waited = Duration::ZERO;
        let mut at = self.reserve();
        loop {
            let now = Instant::now();
            if at > now {
                if until.is_some_and(|u| at > u) {
                    self.release(at);
                    return Err(Refused::TooFar(at - now));
                }
                if crate::cancel::sleep(cancel, at - now).is_err() {
                    self.release(at);
                    return Err(Refused::Cancelled);
                }
                waited += at - now;
            }
            match self.claim(at) {
                Ok(t) => return Ok((waited, Slot(t))),
                Err(later) => at = later,
            }
        }
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
    fn with_the_limit_off_no_entry_is_kept() {
        // Every call of an unlimited client goes through acquire and sent; keeping an entry
        // each time grew the queue by one per call and made each call scan all of them.
        let l = RateLimiter::new(0);
        for _ in 0..10_000 {
            let (waited, slot) = l.acquire(None, None).unwrap();
            assert_eq!(waited, Duration::ZERO);
            std::hint::black_box(Instant::now());
            l.sent(slot);
        }
        assert_eq!(l.lock().entries.len(), 0);
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
        assert_eq!(l.acquire(None, None).unwrap().0, Duration::ZERO);
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

    #[test]
    fn a_request_written_late_holds_the_next_ones_back_from_when_it_went_out() {
        // One a window: the first is written 200 ms after its slot (a busy machine); the next
        // must keep a window from that write, not from the slot.
        let l = RateLimiter::new(1);
        let (_, first) = l.acquire(None, None).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let written = Instant::now();
        l.sent(first);
        let (_, next) = l.acquire(None, None).unwrap();
        assert!(
            next.0 >= written + WINDOW - Duration::from_millis(1),
            "{:?}",
            next.0 - written
        );
    }

    #[test]
    fn a_waiter_claims_again_when_an_earlier_request_went_out_late() {
        // One a window. B reserves while A's slot is still planned at t0, then A is written
        // 300 ms late: B, waking a window after t0, must wait until a window after A's write.
        let l = std::sync::Arc::new(RateLimiter::new(1));
        let (_, a) = l.acquire(None, None).unwrap();
        let l2 = l.clone();
        let b = std::thread::spawn(move || l2.acquire(None, None).unwrap().1);
        std::thread::sleep(Duration::from_millis(300));
        let written = Instant::now();
        l.sent(a);
        let b = b.join().unwrap();
        assert!(
            b.0 >= written + WINDOW - Duration::from_millis(1),
            "{:?}",
            b.0 - written
        );
    }

    #[test]
    fn each_429_widens_the_margin_up_to_its_cap() {
        let l = RateLimiter::new(10);
        assert_eq!(l.window(), WINDOW);
        let mut seen = vec![];
        for _ in 0..5 {
            l.widen();
            seen.push(l.window().as_millis());
        }
        assert_eq!(seen, [1030, 1070, 1150, 1200, 1200]);
    }
}
