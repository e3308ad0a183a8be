//! The state each process keeps for itself (connections, cache, rate limiter): see `fork`.

use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::Client;
use crate::cache::Cache;
use crate::net::agent::{AgentSettings, ResolverChoice};
use crate::ratelimit::RateLimiter;
use crate::sys::fork::{Inherited, Snapshot};

/// What one process must not share with its parent or children: the agent (its connection
/// pool, TLS sessions and resolver cache), the rate limiter and the cache, each with its lock.
pub(super) struct ProcState {
    pub(super) agent: RwLock<ureq::Agent>,
    /// What the agent is built from beyond the fixed configuration; changing it rebuilds it.
    pub(super) settings: Snapshot<AgentSettings>,
    pub(super) limiter: Arc<RateLimiter>,
    pub(super) cache: Cache,
}

impl ProcState {
    pub(super) fn new(
        settings: AgentSettings,
        resolver: ResolverChoice,
        rate: u32,
        ttl_s: u32,
    ) -> ProcState {
        let cache = Cache::new(crate::cache::CAPACITY);
        cache.set_ttl(Duration::from_secs(ttl_s as u64));
        ProcState {
            agent: RwLock::new(resolver.agent(&settings)),
            settings: Snapshot::new(settings),
            limiter: Arc::new(RateLimiter::new(rate)),
            cache,
        }
    }
}

impl Client {
    /// This process's connections, cache and rate limiter. A forked child gets fresh ones the
    /// first time it calls (the settings copied, nothing else); what it inherited is never used,
    /// locked or dropped there (dropping a TLS connection could talk on the parent's socket).
    /// Costs one atomic load and compare a call.
    pub(super) fn state(&self) -> &ProcState {
        self.state.get(|old| self.renewed(old))
    }

    /// A forked child's fresh state: the inherited agent settings (read without their lock, which
    /// a thread that did not survive the fork may hold), rate limit and cache TTL.
    pub(super) fn renewed(&self, old: &Inherited<'_, ProcState>) -> ProcState {
        let settings = old.settings.copy_inherited(old);
        let rate = self.rate_limit.load(Ordering::Acquire);
        let ttl = self.cache_ttl_s.load(Ordering::Acquire);
        ProcState::new(settings, self.resolver, rate, ttl)
    }
}
