//! Cancel tokens: one thread asks a call running on another to stop.
//!
//! A [`Cancel`] is a flag with a condition variable. Waits inside a call (the rate limit, backoff,
//! Retry-After) sleep on the condition variable, so `cancel()` wakes them at once; socket I/O
//! (connecting, TLS, waiting for the answer) runs in short slices ([`crate::net::transport::SLICE`])
//! and looks at the flag between them. A cancelled call returns `GA_ERR_CANCELLED`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A cancel token. Clones share one flag; once cancelled it stays cancelled. Give it to any
/// number of `*_cancellable` calls; [`Cancel::cancel`] (from any thread) makes each of them
/// return `GA_ERR_CANCELLED` within about 100 ms, and every later call given it at once.
#[derive(Clone, Debug, Default)]
pub struct Cancel {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

/// What a wait ended with when the token was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl Cancel {
    /// A token that is not cancelled.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Cancels every call using this token, now and later. Idempotent; any thread.
    pub fn cancel(&self) {
        // Set the flag under the lock so that a waiter cannot check it, miss the store and then
        // sleep through the notification.
        let _g = self.inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.inner.cancelled.store(true, Ordering::SeqCst);
        self.inner.wake.notify_all();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Sleeps until `deadline`, or returns `Err(Cancelled)` as soon as the token is cancelled.
    pub fn wait_until(&self, deadline: Instant) -> Result<(), Cancelled> {
        let mut g = self.inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if self.is_cancelled() {
                return Err(Cancelled);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(());
            }
            g = self
                .inner
                .wake
                .wait_timeout(g, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Sleeps for `d`, cancellable when a token is given.
pub fn sleep(cancel: Option<&Cancel>, d: Duration) -> Result<(), Cancelled> {
    match cancel {
        Some(c) => c.wait_until(Instant::now() + d),
        None => {
            std::thread::sleep(d);
            Ok(())
        }
    }
}

/// `Err(Cancelled)` when `cancel` is given and cancelled.
pub fn check(cancel: Option<&Cancel>) -> Result<(), Cancelled> {
    match cancel {
        Some(c) if c.is_cancelled() => Err(Cancelled),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_wakes_a_wait_and_stays_cancelled() {
        let c = Cancel::new();
        assert!(!c.is_cancelled());
        let t0 = Instant::now();
        assert_eq!(c.wait_until(t0 + Duration::from_millis(20)), Ok(()));
        assert!(t0.elapsed() >= Duration::from_millis(20));
        let c2 = c.clone();
        let h = std::thread::spawn(move || {
            let t = Instant::now();
            let r = c2.wait_until(t + Duration::from_secs(30));
            (r, t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        c.cancel();
        c.cancel();
        let (r, waited) = h.join().unwrap();
        assert_eq!(r, Err(Cancelled));
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        assert!(c.is_cancelled());
        assert_eq!(sleep(Some(&c), Duration::from_secs(30)), Err(Cancelled));
        assert_eq!(check(Some(&c)), Err(Cancelled));
        assert_eq!(check(None), Ok(()));
    }
}
