//! A per-client rate limiter that learns the instance's real rate: at most N requests in any
//! rolling window, shared by all threads, first come first served, with no idle gaps while
//! callers wait.
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
//! physical limit, and grows (up to [`MAX_MARGIN`]) after a 429 at a pace the server already
//! took (see below): a path with more jitter costs a 429 or two, never a stream of them.
//!
//! **Learning** ([`too_many`], [`accepted`]): the configured rate is a ceiling, not a promise.
//! - A 429 to a request written at `t` says the server's limit is below the number of our
//!   requests not already refused written in the second up to `t` (this one included, and those
//!   written up to the margin after it: simultaneous writes arrive in either order). N becomes
//!   that number less one, and the request goes again at the new pace without counting as a
//!   retry. 429s to requests let go before a decrease teach only a lower count, and go again.
//! - At a pace the server already took for a full window, a 429 more likely means bunched
//!   arrivals than a new limit: the margin widens and the request goes again; once the margin is
//!   at its cap, the pace goes down one step.
//! - A 429 the count does not explain (one request in that second: a storm, other clients on
//!   the instance) halves N, not below one a second, and is a failure retried as usual.
//! - A `Retry-After` holds every caller until it passes (up to [`MAX_HOLD`]).
//! - Coming back up is additive: one more request a window after each window of accepted
//!   requests sent at the full pace; the step back to the level that drew the 429 (the probe)
//!   waits [`FIRST_PROBE`] windows, twice as long after each probe the server refuses (at most
//!   [`MAX_PROBE`]). Never above the ceiling; with the limit off (0) it sends unpaced until a
//!   429 teaches it a pace, and goes back to unpaced above [`UNPACED_ABOVE`].
//!
//! [`sent`]: RateLimiter::sent
//! [`too_many`]: RateLimiter::too_many
//! [`accepted`]: RateLimiter::accepted

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::cancel::Cancel;

/// The margin a client starts with (see the module documentation).
pub const MARGIN: Duration = Duration::from_millis(10);

/// The largest margin 429s can widen it to.
pub const MAX_MARGIN: Duration = Duration::from_millis(200);

/// Windows of accepted requests before the pace goes back up to the level that drew a 429.
pub const FIRST_PROBE: u32 = 8;

/// The longest wait, in windows, before a probe (it doubles after each refused one).
pub const MAX_PROBE: u32 = 128;

/// With no ceiling, a learned pace above this many a second goes back to unpaced.
pub const UNPACED_ABOVE: u32 = 1000;

/// The longest `Retry-After` that holds every caller: a longer one fails the call (the
/// settings' `MAX_RETRY_AFTER_S`, checked equal in `client`'s tests; not imported, which would
/// make a module loop).
pub const MAX_HOLD: Duration = Duration::from_secs(60);

/// See the module documentation.
#[derive(Debug)]
pub struct RateLimiter {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The configured rate: the pace never goes above it (0 = no ceiling).
    ceiling: u32,
    /// The pace: this many requests in any window (0 = unpaced).
    per_window: u32,
    /// The window is one second plus this margin.
    margin: Duration,
    /// Requests written (and reservations) within the last window and the second before, in
    /// order (the pace off too: a 429 counts them).
    entries: VecDeque<Instant>,
    /// When the requests answered 429 were written, over the same time as `entries`.
    rejected: VecDeque<Instant>,
    /// The pace is below the ceiling: it was learned from 429s.
    learned: bool,
    /// When the pace last went down: 429s to requests written before say nothing new.
    lowered: Option<Instant>,
    /// The per-window level that drew the last 429, until a probe passes it.
    refused: Option<u32>,
    /// Windows of accepted requests before a probe of `refused`.
    probe: u32,
    /// Accepted requests towards the next step up.
    credit: u32,
    /// No request before this (the server's Retry-After).
    hold: Option<Instant>,
    /// Requests let go since the pace last changed (`changed`) that the server accepted.
    taken: u32,
    changed: Option<Instant>,
}

impl State {
    fn window(&self) -> Duration {
        Duration::from_secs(1) + self.margin
    }

    /// Drops entries too old to hold anything back or to be counted (a 429 counts those of the
    /// second before its request, which may have been written a while ago).
    fn prune(&mut self, now: Instant) {
        let keep = self.window() + Duration::from_secs(1);
        while self.entries.front().is_some_and(|&t| t + keep <= now) {
            self.entries.pop_front();
        }
        while self.rejected.front().is_some_and(|&t| t + keep <= now) {
            self.rejected.pop_front();
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

    /// The earliest time at or after `t` (and the hold) that a new entry keeps the rule against
    /// the entries at or before it.
    fn free_at(&self, t: Instant) -> Instant {
        let t = self.hold.map_or(t, |h| t.max(h));
        let n = self.per_window as usize;
        let before = self.entries.partition_point(|&e| e <= t);
        if n == 0 || before < n {
            t
        } else {
            t.max(self.entries[before - n] + self.window())
        }
    }

    /// How many entries lie in the window of `len` up to `t` (`t` included).
    fn count(&self, t: Instant, len: Duration) -> usize {
        in_window(&self.entries, t, len)
    }

    /// The pace as requests a second (0 = unpaced).
    fn rate(&self) -> f64 {
        f64::from(self.per_window)
    }

    /// Lowers the pace after a 429 to a request written at `t`, `fresh` when it was let go at
    /// the pace of now. True when our own sending explains the 429: more of our requests not
    /// refused were written in the second up to `t` than the server allows, so the pace goes to
    /// that number less one, or stays when it is already lower (requests let go under an
    /// earlier, faster pace made the count). A fresh 429 it does not explain (one request in
    /// that second: a 429 storm, another client on the instance) halves the pace, not below one
    /// a second, and is false. A stale one says nothing more (true: it goes again at the pace
    /// that is lower now). A 429 at a pace the server already took is put down to jitter
    /// first (see below).
    fn lower(&mut self, t: Instant, now: Instant, fresh: bool) -> bool {
        // Two requests written at about the same time may reach the server in either order:
        // those written up to the margin after `t` count too.
        let (second, upto) = (Duration::from_secs(1), (t + self.margin).min(now.max(t)));
        let sent = in_window(&self.entries, upto, second).saturating_sub(in_window(
            &self.rejected,
            upto,
            second,
        )) as u32;
        // At a pace the server already took for a full window, a 429 more likely says that its
        // clock and ours disagree by more than the margin (a loaded machine or network delays
        // some requests more than others, and a second's arrivals bunch up) than that its limit
        // changed: while the margin can grow, it widens and the request goes again; then the
        // pace goes down one step at a time. (A cold client, or one that just changed its pace,
        // trusts the count.)
        let proven = self.per_window > 0 && self.taken >= self.per_window;
        if fresh && sent >= 2 && proven && self.margin < MAX_MARGIN {
            self.margin = (self.margin * 2 + MARGIN).min(MAX_MARGIN);
            return true;
        }
        let n = self.per_window;
        let explained = sent >= 2;
        let pace = if explained && fresh && proven {
            // The margin is at its cap: one step down (the count may hold bunched arrivals).
            n.min(sent - 1).max(n - 1).max(1)
        } else if explained {
            if n == 0 {
                sent - 1
            } else {
                n.min(sent - 1)
            }
        } else if !fresh {
            return true;
        } else if n == 0 {
            1
        } else {
            (n / 2).max(1)
        };
        if pace == n {
            return explained || !fresh;
        }
        // A refused probe waits twice as long next time; a new level starts afresh.
        self.probe = if self.refused == Some(n) {
            (self.probe * 2).min(MAX_PROBE)
        } else {
            FIRST_PROBE
        };
        self.refused = Some(pace + 1);
        self.per_window = pace;
        self.learned = true;
        self.lowered = Some(now);
        self.credit = 0;
        self.taken = 0;
        self.changed = Some(now);
        explained
    }

    /// Whether `sent` went under a pace that has gone down since (its answer says nothing new).
    fn sent_before_lowered(&self, sent: Sent) -> bool {
        self.lowered.is_some_and(|l| sent.claimed < l)
    }

    /// One more accepted request sent at the full pace: additive increase.
    fn raise(&mut self) {
        let probing = self.refused == Some(self.per_window + 1);
        let windows = if probing { self.probe } else { 1 };
        self.credit += 1;
        if self.credit < self.per_window * windows {
            return;
        }
        self.credit = 0;
        self.taken = 0;
        self.changed = Some(Instant::now());
        self.per_window += 1;
        if self.refused.is_some_and(|r| self.per_window > r) {
            // The probe passed: the server allows more than it did.
            self.refused = None;
            self.probe = FIRST_PROBE;
        }
        let top = if self.ceiling == 0 {
            UNPACED_ABOVE
        } else {
            self.ceiling
        };
        if self.per_window >= top {
            self.per_window = self.ceiling;
            self.learned = false;
            self.refused = None;
        }
    }
}
/// How many of the instants `v` (in order) lie in the window of `len` up to `t` (`t` included).
fn in_window(v: &VecDeque<Instant>, t: Instant, len: Duration) -> usize {
    let end = v.partition_point(|&e| e <= t);
    let start = v.partition_point(|&e| e + len <= t);
    end - start.min(end)
}

/// A slot a caller holds: where its entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(Instant);

/// When a paced request was let go (its slot claimed, under the pace of that moment) and
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub claimed: Instant,
    pub written: Instant,
}

impl RateLimiter {
    /// A limiter for `per_second` requests a second at most; 0 = no ceiling (unpaced until a
    /// 429 teaches it a pace).
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            state: Mutex::new(State {
                ceiling: per_second,
                per_window: per_second,
                margin: MARGIN,
                entries: VecDeque::new(),
                rejected: VecDeque::new(),
                learned: false,
                lowered: None,
                refused: None,
                probe: FIRST_PROBE,
                credit: 0,
                hold: None,
                taken: 0,
                changed: None,
            }),
        }
    }

    /// Changes the ceiling; reservations already made stay valid. A learned pace below the new
    /// ceiling is kept; otherwise the pace is the ceiling.
    pub fn set_rate(&self, per_second: u32) {
        let mut st = self.lock();
        st.ceiling = per_second;
        let below = st.learned && (per_second == 0 || st.rate() < f64::from(per_second));
        if !below {
            if st.per_window != per_second {
                st.taken = 0;
                st.changed = Some(Instant::now());
            }
            st.per_window = per_second;
            st.learned = false;
            st.refused = None;
        }
    }

    /// The pace now, in requests a second: the ceiling, or less when the server taught it less;
    /// 0 when unpaced (no ceiling and nothing learned).
    pub fn rate(&self) -> f64 {
        self.lock().rate()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is plain data kept consistent under the lock: a panic elsewhere cannot
        // leave it half changed.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves the next slot after every entry (first come, first served) without waiting, and
    /// returns its time.
    pub fn reserve(&self) -> Instant {
        let now = Instant::now();
        let mut st = self.lock();
        st.prune(now);
        let n = st.per_window as usize;
        let len = st.entries.len();
        let mut at = st.hold.map_or(now, |h| now.max(h));
        if n > 0 && len >= n {
            at = at.max(st.entries[len - n] + st.window());
        }
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
        let free = st.free_at(now);
        st.insert(free);
        if free <= now {
            Ok(free)
        } else {
            Err(free)
        }
    }

    /// The request of `slot` was written: its entry moves to now (never earlier), so the ones
    /// after it keep a window from when it really went out. Returns when it was claimed and
    /// written (pass it to [`RateLimiter::too_many`] or [`RateLimiter::accepted`]).
    pub fn sent(&self, slot: Slot) -> Sent {
        let now = Instant::now();
        let mut st = self.lock();
        if slot.0 < now {
            st.remove(slot.0);
            st.insert(now);
        }
        Sent {
            claimed: slot.0,
            written: now.max(slot.0),
        }
    }

    /// The server answered 429 to a request written at `written` (now, when unknown), with
    /// its `Retry-After`. Learns from it (see the module documentation) and says whether the
    /// request should simply go again at the new pace: true when our pace explains the 429 (it
    /// went down to what went through), or the pace already went down since the request was
    /// written; false otherwise (a 429 storm, another client using the instance: the pace still
    /// goes down, and the 429 is a failure like any other, retried or not as usual).
    pub fn too_many(&self, sent: Option<Sent>, retry_after: Option<Duration>) -> bool {
        let now = Instant::now();
        let mut st = self.lock();
        if let Some(d) = retry_after.filter(|d| *d <= MAX_HOLD) {
            let until = now + d;
            st.hold = Some(st.hold.map_or(until, |h| h.max(until)));
        }
        let sent = sent.unwrap_or(Sent {
            claimed: now,
            written: now,
        });
        let stale = st.sent_before_lowered(sent);
        let again = st.lower(sent.written, now, !stale);
        let i = st.rejected.partition_point(|&e| e <= sent.written);
        st.rejected.insert(i, sent.written);
        again || stale
    }

    /// The server accepted (answered other than 429) a request written at `written`: when it
    /// went at the full pace, the pace creeps back up (never above the ceiling).
    pub fn accepted(&self, sent: Option<Sent>) {
        let Some(sent) = sent else {
            return;
        };
        let mut st = self.lock();
        if st.sent_before_lowered(sent) {
            return;
        }
        if st.changed.is_none_or(|c| sent.claimed >= c) {
            st.taken = st.taken.saturating_add(1);
        }
        if !st.learned {
            return;
        }
        let (window, n) = (st.window(), st.per_window as usize);
        if st.count(sent.written, window) >= n {
            st.raise();
        }
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

    /// The window a client starts with.
    const WINDOW: Duration = Duration::from_millis(1000 + MARGIN.as_millis() as u64);

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
    fn with_the_limit_off_only_the_last_seconds_are_kept() {
        // Every call of an unlimited client goes through acquire and sent; the entries (kept for
        // a 429 to count) never grow past the last two seconds.
        let l = RateLimiter::new(0);
        for _ in 0..10_000 {
            let (waited, slot) = l.acquire(None, None).unwrap();
            assert_eq!(waited, Duration::ZERO);
            l.sent(slot);
        }
        std::thread::sleep(WINDOW + Duration::from_secs(1));
        let (_, slot) = l.acquire(None, None).unwrap();
        l.sent(slot);
        assert_eq!(l.lock().entries.len(), 1);
        assert_eq!(l.rate(), 0.0);
    }

    #[test]
    fn off_and_rate_changes() {
        let l = RateLimiter::new(0);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(l.reserve() - t0 < Duration::from_millis(100));
        }
        l.set_rate(2);
        assert_eq!(l.rate(), 2.0);
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
        assert!(l.sent(first).written >= written);
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
    fn a_429_the_count_explains_lowers_the_pace_not_the_margin() {
        // Two went through in the second before the 3rd was refused: the pace is 2, and the
        // window stays (a wider one would cost every window of the run).
        let l = RateLimiter::new(10);
        let mut st = l.lock();
        let t = Instant::now();
        st.entries = [t, t, t].into();
        assert!(st.lower(t, t, true));
        assert_eq!((st.per_window, st.window()), (2, WINDOW));
        // A storm (one request a second refused) does not widen it either.
        st.entries.clear();
        assert!(!st.lower(t, t, true));
        assert_eq!((st.per_window, st.window()), (1, WINDOW));
    }

    /// Sends `k` requests at once; returns when each was claimed and written.
    fn burst(l: &RateLimiter, k: usize) -> Vec<Sent> {
        (0..k)
            .map(|_| l.sent(l.acquire(None, None).unwrap().1))
            .collect()
    }

    /// Sends `k` requests 80 ms apart (more than the margin: their order is sure).
    fn spaced(l: &RateLimiter, k: usize) -> Vec<Sent> {
        (0..k)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(80));
                l.sent(l.acquire(None, None).unwrap().1)
            })
            .collect()
    }

    #[test]
    fn a_429_teaches_the_count_that_went_through_and_stale_ones_teach_nothing() {
        // The server allows 3: the 4th of a burst is refused; the 5th was written before that
        // answer came back (it is refused too, but says nothing new).
        let l = RateLimiter::new(10);
        let w = spaced(&l, 5);
        assert!(l.too_many(Some(w[3]), None));
        assert_eq!(l.rate(), 3.0);
        assert!(
            l.too_many(Some(w[4]), None),
            "stale: retried at the new pace"
        );
        assert_eq!(l.rate(), 3.0);
        // The next request waits until the 3rd latest (of five) is a window old.
        let next = l.reserve();
        let third = w[2].written;
        assert!(next >= third + Duration::from_secs(1), "{:?}", next - third);
    }

    #[test]
    fn an_earlier_429_answered_later_teaches_its_lower_count() {
        // The server allows 3; the answers to the 4th to 7th of a burst come back in another
        // order: the 7th's says 6, the 4th's then 3, the 5th's nothing new (the 4th is refused).
        let l = RateLimiter::new(10);
        let w = spaced(&l, 7);
        assert!(l.too_many(Some(w[6]), None));
        assert_eq!(l.rate(), 6.0);
        assert!(l.too_many(Some(w[3]), None));
        assert_eq!(l.rate(), 3.0);
        assert!(l.too_many(Some(w[4]), None));
        assert_eq!(l.rate(), 3.0);
    }

    #[test]
    fn a_429_at_a_pace_the_server_took_widens_the_margin_then_lowers_it() {
        let l = RateLimiter::new(10);
        let mut st = l.lock();
        let t = Instant::now();
        st.entries = (0..10)
            .map(|k| t - Duration::from_millis(90 * (9 - k)))
            .collect();
        st.taken = 10; // a window went through at this pace
        for margin in [30, 70, 150, 200] {
            assert!(st.lower(t, t, true));
            assert_eq!(st.per_window, 10);
            assert_eq!(st.window().as_millis(), 1000 + margin);
        }
        // Then one step at a time, whatever the count (bunched arrivals may make it).
        st.entries.truncate(4);
        assert!(st.lower(t, t, true));
        assert_eq!(st.per_window, 9);
    }

    #[test]
    fn unpaced_learns_from_a_429_and_the_ceiling_is_never_passed() {
        let l = RateLimiter::new(0);
        let w = burst(&l, 12);
        assert!(l.too_many(Some(w[11]), None));
        assert_eq!(l.rate(), 11.0);
        // Setting a ceiling above the learned pace keeps it; below, the ceiling rules.
        l.set_rate(20);
        assert_eq!(l.rate(), 11.0);
        l.set_rate(5);
        assert_eq!(l.rate(), 5.0);
    }

    #[test]
    fn retry_after_holds_every_caller() {
        let l = RateLimiter::new(10);
        let t0 = Instant::now();
        l.too_many(None, Some(Duration::from_millis(300)));
        let (waited, slot) = l.acquire(None, None).unwrap();
        assert!(waited >= Duration::from_millis(290), "{waited:?}");
        assert!(l.sent(slot).written >= t0 + Duration::from_millis(300));
    }

    #[test]
    fn a_429_our_pace_does_not_explain_halves_it_and_is_a_failure() {
        // One request in the last second and still a 429: a storm, or another client.
        let l = RateLimiter::new(10);
        for want in [5.0, 2.0, 1.0, 1.0] {
            let w = burst(&l, 1);
            std::thread::sleep(Duration::from_millis(1));
            assert!(!l.too_many(Some(w[0]), None));
            assert_eq!(l.rate(), want);
            l.lock().entries.clear();
        }
        // Unpaced: one a second.
        let l = RateLimiter::new(0);
        assert!(!l.too_many(None, None));
        assert_eq!(l.rate(), 1.0);
    }

    fn learned_at(n: u32, ceiling: u32) -> State {
        let l = RateLimiter::new(ceiling);
        let mut st = l.state.into_inner().unwrap();
        st.per_window = n + 1;
        st.margin = MAX_MARGIN; // 429s at this pace are not put down to jitter
        let t = Instant::now();
        for _ in 0..=n {
            st.entries.push_back(t);
        }
        assert!(st.lower(t, t, true));
        st
    }

    #[test]
    fn the_pace_climbs_back_probing_the_refused_level_slowly() {
        // Learned 3 (4 was refused): 8 windows of 3 before trying 4; once 4 passes a window,
        // one more a window up to the ceiling.
        let mut st = learned_at(3, 10);
        assert_eq!((st.per_window, st.refused), (3, Some(4)));
        let mut steps = vec![3];
        let mut accepted = 0;
        while st.learned {
            st.raise();
            accepted += 1;
            if steps.last() != Some(&(st.per_window)) {
                steps.push(st.per_window);
                if steps.len() == 2 {
                    assert_eq!(accepted, 3 * FIRST_PROBE);
                }
            }
        }
        assert_eq!(steps, [3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(accepted, 3 * FIRST_PROBE + 4 + 5 + 6 + 7 + 8 + 9);
        // A refused probe doubles the next wait; a level below the probe is not slowed.
        let mut st = learned_at(3, 10);
        for _ in 0..3 * FIRST_PROBE {
            st.raise();
        }
        assert_eq!(st.per_window, 4);
        let t = Instant::now();
        st.entries.clear();
        for _ in 0..4 {
            st.entries.push_back(t);
        }
        assert!(st.lower(t, t, true));
        assert_eq!((st.per_window, st.probe), (3, 2 * FIRST_PROBE));
    }
}
