//! The numeric settings: one range-checked entry ([`Client::set`], driven by the table in
//! `settings`) and typed setters for Rust callers (`Duration` where the setting is a time).

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Client, Error};
use crate::settings::Setting;

/// `d` in whole milliseconds, saturating.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Client {
    /// Sets `setting` to `value`, in the setting's unit (see `docs/settings.md`). Out of range:
    /// `GA_ERR_INVALID_ARGUMENT` naming the setting and its range; the previous value is kept.
    pub fn set(&self, setting: Setting, value: i64) -> Result<(), Error> {
        let _lang = self.speak();
        let v = setting.check(value)?;
        match setting {
            Setting::Timeout => {
                if self.timeout_ms.swap(v, Ordering::Relaxed) != v {
                    // DNS and SOCKS proxies take their timeout from the agent.
                    self.change_agent(|s| s.timeout_ms = v);
                }
            }
            Setting::Deadline => self.deadline_ms.store(v, Ordering::Relaxed),
            Setting::MaxRetries => self.max_retries.store(v, Ordering::Relaxed),
            Setting::RateLimit => {
                let s = self.state();
                // Under the settings lock, so that the value kept and the limiter's agree.
                s.settings.read(|_| {
                    self.rate_limit.store(v, Ordering::Release);
                    s.limiter.set_rate(v);
                });
            }
            Setting::Backoff => self.backoff_ms.store(v, Ordering::Relaxed),
            Setting::CacheTtl => {
                let s = self.state();
                s.settings.read(|_| {
                    self.cache_ttl_s.store(v, Ordering::Release);
                    s.cache.set_ttl(Duration::from_secs(v.into()));
                });
            }
            Setting::IdleTimeout => self.change_agent(|s| s.idle_timeout_ms = v),
            Setting::Concurrency => self.concurrency.store(v, Ordering::Relaxed),
        }
        Ok(())
    }

    /// Per-attempt timeout, 1 ms to 10 minutes (default 30 s), in whole milliseconds.
    /// Out of range: error, old value kept.
    pub fn set_timeout(&self, timeout: Duration) -> Result<(), Error> {
        self.set(Setting::Timeout, millis(timeout))
    }

    /// Total time budget of each call, 0 to one hour in whole milliseconds (default 2 minutes;
    /// `Duration::ZERO` = none): every attempt, backoff, Retry-After and rate-limit wait of the
    /// call counts. A call that would pass it ends with `GA_ERR_TIMEOUT` saying what used it.
    /// In a batch each id has its own budget.
    pub fn set_deadline(&self, budget: Duration) -> Result<(), Error> {
        self.set(Setting::Deadline, millis(budget))
    }

    /// Retries after the first attempt, 0..=10 (default 3).
    pub fn set_max_retries(&self, retries: i64) -> Result<(), Error> {
        self.set(Setting::MaxRetries, retries)
    }

    /// Requests started per rolling second, 0..=1000 (default 10; 0 = off).
    pub fn set_rate_limit(&self, per_second: i64) -> Result<(), Error> {
        self.set(Setting::RateLimit, per_second)
    }

    /// First retry delay, 0 to 60 s (default 250 ms), in whole milliseconds; doubles on each
    /// retry, with jitter.
    pub fn set_backoff(&self, first: Duration) -> Result<(), Error> {
        self.set(Setting::Backoff, millis(first))
    }

    /// Keeps successful answers per chat id for `ttl`, 0 to one day in whole seconds (default 0 =
    /// off); errors are never kept; at most 10,000 chat ids, least recently used evicted first.
    /// Any change empties the cache.
    pub fn set_cache_ttl(&self, ttl: Duration) -> Result<(), Error> {
        let s = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        self.set(Setting::CacheTtl, s)
    }

    /// How long an idle connection is kept for the next call, 0 to one hour in whole
    /// milliseconds (default 5 minutes; 0 = close after each call). Open connections are dropped.
    pub fn set_idle_timeout(&self, idle: Duration) -> Result<(), Error> {
        self.set(Setting::IdleTimeout, millis(idle))
    }

    /// Lookups a batch (`get_avatars`) runs at once, 1..=64 (default 4).
    pub fn set_concurrency(&self, n: i64) -> Result<(), Error> {
        self.set(Setting::Concurrency, n)
    }
}
