//! A name resolver for ureq that does no work for IP literals, caches host lookups, and bounds
//! the threads slow lookups can hold.
//!
//! ureq's default resolver runs on every request, before the connection pool is consulted, and
//! spawns a thread per lookup whenever a timeout is set: about 30 µs a call on a reused loopback
//! connection, a real DNS query per call for a host name, and, when DNS hangs, one stuck thread
//! per call. This one answers IP literals at once, keeps successful lookups for [`TTL`] (at most
//! [`MAX_ENTRIES`] hosts), runs at most one lookup per host at a time (later callers wait for
//! it) on at most [`MAX_LOOKUP_THREADS`] threads in the process, and still honours the
//! request's timeout: a caller whose timeout passes gets a timeout error while the lookup
//! finishes (and fills the cache) later.
//!
//! The names `localhost` and `*.localhost` must resolve to loopback addresses only (RFC 6761):
//! an answer holding any other address is refused before anything is sent, since an `http://`
//! apiUrl carries the token in clear text.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;
use ureq::Error;

/// How long a successful lookup is reused.
pub const TTL: Duration = Duration::from_secs(60);
/// How many hosts are kept.
pub const MAX_ENTRIES: usize = 64;
/// Most lookup threads running at once in the process (all clients together).
pub const MAX_LOOKUP_THREADS: usize = 8;
/// Most hosts waiting for a lookup at once, per resolver.
const MAX_PENDING: usize = 256;

/// A host lookup: `"host:port"` to addresses (the system's resolver unless a test injects one).
pub(crate) type Lookup = fn(&str) -> std::io::Result<Vec<SocketAddr>>;

pub(crate) fn system_lookup(host_port: &str) -> std::io::Result<Vec<SocketAddr>> {
    host_port.to_socket_addrs().map(Iterator::collect)
}

/// A cap on threads running lookups.
#[derive(Debug)]
pub(crate) struct ThreadBudget {
    running: AtomicUsize,
    cap: usize,
}

impl ThreadBudget {
    pub(crate) const fn new(cap: usize) -> ThreadBudget {
        ThreadBudget {
            running: AtomicUsize::new(0),
            cap,
        }
    }

    fn try_take(&self) -> bool {
        self.running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.cap).then_some(n + 1)
            })
            .is_ok()
    }

    fn release(&self) {
        let _ = self
            .running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }
}

static LOOKUP_THREADS: ThreadBudget = ThreadBudget::new(MAX_LOOKUP_THREADS);

/// In a forked child: the lookup threads counted belong to the parent and do not run here.
/// Async-signal-safe (one atomic store); registered with `fork` before the first thread starts.
fn forget_lookup_threads() {
    LOOKUP_THREADS.running.store(0, Ordering::Release);
}

/// A lookup's outcome, shareable between the callers waiting for it.
type Found = Result<Vec<SocketAddr>, (std::io::ErrorKind, String)>;

/// One host's lookup: queued until a caller gets a thread for it, then running, then done.
#[derive(Debug, Default)]
struct Pending {
    state: Mutex<PendingState>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct PendingState {
    launched: bool,
    waiters: usize,
    result: Option<Found>,
}

#[derive(Debug)]
struct Shared {
    cache: Mutex<HashMap<String, (Instant, Vec<SocketAddr>)>>,
    pending: Mutex<HashMap<String, Arc<Pending>>>,
    lookup: Lookup,
    budget: &'static ThreadBudget,
}

/// See the module documentation.
#[derive(Debug)]
pub struct CachingResolver {
    shared: Arc<Shared>,
}

impl Default for CachingResolver {
    fn default() -> CachingResolver {
        CachingResolver::using(system_lookup)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The error for a `localhost` name that resolved to something else.
#[derive(Debug)]
pub struct NotLoopback(pub(crate) String);

impl std::fmt::Display for NotLoopback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotLoopback {}

/// Whether `host` is `localhost` or a name under it (RFC 6761), which must be loopback.
fn is_localhost_name(host: &str) -> bool {
    let h = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost")
}

/// Refuses a localhost name whose addresses are not all loopback.
fn check_loopback(host: &str, addrs: &[SocketAddr]) -> Result<(), Error> {
    if !is_localhost_name(host) {
        return Ok(());
    }
    match addrs.iter().find(|a| !a.ip().is_loopback()) {
        None => Ok(()),
        Some(a) => Err(Error::Io(std::io::Error::other(NotLoopback(
            crate::messages::Msg::NotLoopback {
                host,
                ip: a.ip().to_string(),
            }
            .text(),
        )))),
    }
}

impl CachingResolver {
    /// A resolver using `lookup`, on the process's lookup threads.
    pub(crate) fn using(lookup: Lookup) -> CachingResolver {
        CachingResolver::with_lookup(lookup, &LOOKUP_THREADS)
    }

    /// A resolver using `lookup` and counting its threads against `budget`.
    pub(crate) fn with_lookup(lookup: Lookup, budget: &'static ThreadBudget) -> CachingResolver {
        CachingResolver {
            shared: Arc::new(Shared {
                cache: Mutex::new(HashMap::new()),
                pending: Mutex::new(HashMap::new()),
                lookup,
                budget,
            }),
        }
    }

    fn fill(&self, addrs: impl Iterator<Item = SocketAddr>) -> Result<ResolvedSocketAddrs, Error> {
        let mut out = self.empty();
        for a in addrs.take(16) {
            out.push(a);
        }
        if out.is_empty() {
            Err(Error::HostNotFound)
        } else {
            Ok(out)
        }
    }

    /// Looks `key` up: at most one lookup per host at a time, on a thread from the budget,
    /// waiting at most `wait` for it.
    fn look_up(
        &self,
        key: &str,
        wait: Duration,
        reason: ureq::Timeout,
    ) -> Result<Vec<SocketAddr>, Error> {
        let deadline = Instant::now() + wait;
        let p = self.join_pending(key)?;
        let outcome = self.wait_for(key, &p, deadline);
        match outcome {
            None => Err(Error::Timeout(reason)),
            Some(Ok(found)) => Ok(found),
            Some(Err((kind, m))) => Err(Error::Io(std::io::Error::new(kind, m))),
        }
    }

    /// Joins (or opens) the pending lookup of `key` as one more waiter; refuses when too many
    /// hosts are already waiting.
    fn join_pending(&self, key: &str) -> Result<Arc<Pending>, Error> {
        let mut pending = lock(&self.shared.pending);
        if !pending.contains_key(key) && pending.len() >= MAX_PENDING {
            return Err(Error::Io(std::io::Error::other(
                crate::messages::Msg::TooManyLookups.text(),
            )));
        }
        let p = pending.entry(key.to_string()).or_default().clone();
        lock(&p.state).waiters += 1;
        Ok(p)
    }

    /// Waits until `deadline` for the lookup `p` of `key`, launching it when a thread is free;
    /// then leaves it as a waiter. `None` means the time ran out.
    fn wait_for(&self, key: &str, p: &Arc<Pending>, deadline: Instant) -> Option<Found> {
        let mut st = lock(&p.state);
        let outcome = loop {
            if let Some(r) = &st.result {
                break Some(r.clone());
            }
            if !st.launched && self.shared.budget.try_take() {
                match self.launch(key, p) {
                    Ok(()) => st.launched = true,
                    Err(e) => {
                        let error = e.to_string();
                        let m = crate::messages::Msg::NoLookupThread { error }.text();
                        st.result = Some(Err((e.kind(), m)));
                        continue;
                    }
                }
            }
            let now = Instant::now();
            if now >= deadline {
                break None;
            }
            // While the lookup waits for a thread, look for a free one every 10 ms.
            let mut nap = deadline - now;
            if !st.launched {
                nap = nap.min(Duration::from_millis(10));
            }
            st = p
                .done
                .wait_timeout(st, nap)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        };
        st.waiters -= 1;
        let abandoned = !st.launched && st.waiters == 0;
        drop(st);
        if abandoned {
            self.forget_abandoned(key, p);
        }
        outcome
    }

    /// Removes the lookup `p` of `key` from the pending ones if it never started and no one
    /// waits for it any more.
    fn forget_abandoned(&self, key: &str, p: &Arc<Pending>) {
        let mut pending = lock(&self.shared.pending);
        let still = pending.get(key).is_some_and(|q| Arc::ptr_eq(q, p));
        let st = lock(&p.state);
        if still && !st.launched && st.waiters == 0 {
            pending.remove(key);
        }
    }

    /// Starts the lookup of `key` on a new thread (one taken from the budget, given back when
    /// the thread cannot start).
    fn launch(&self, key: &str, p: &Arc<Pending>) -> std::io::Result<()> {
        let (shared, p2, k) = (self.shared.clone(), p.clone(), key.to_string());
        let run = move || {
            let r = (shared.lookup)(&k).map_err(|e| (e.kind(), e.to_string()));
            shared.finish(&k, &p2, r);
        };
        crate::sys::fork::reset_in_child(forget_lookup_threads);
        crate::sys::pin::spawn_detached("getavatar-dns", run)
            .inspect_err(|_| self.shared.budget.release())
    }
}

impl Shared {
    /// Records a finished lookup: caches a success, wakes the callers waiting, frees the thread.
    fn finish(&self, key: &str, p: &Arc<Pending>, r: Found) {
        if let Ok(found) = &r {
            if !found.is_empty() {
                self.put(key, found.clone());
            }
        }
        {
            let mut pending = lock(&self.pending);
            if pending.get(key).is_some_and(|q| Arc::ptr_eq(q, p)) {
                pending.remove(key);
            }
        }
        lock(&p.state).result = Some(r);
        p.done.notify_all();
        self.budget.release();
    }

    fn put(&self, key: &str, found: Vec<SocketAddr>) {
        let mut cache = lock(&self.cache);
        if cache.len() >= MAX_ENTRIES && !cache.contains_key(key) {
            let now = Instant::now();
            cache.retain(|_, (at, _)| now.duration_since(*at) < TTL);
            if cache.len() >= MAX_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(key.to_string(), (Instant::now(), found));
    }

    fn cached(&self, key: &str) -> Option<Vec<SocketAddr>> {
        let cache = lock(&self.cache);
        cache
            .get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, a)| a.clone())
    }
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let authority = uri
            .authority()
            .ok_or_else(|| Error::BadUri("no host".into()))?;
        let port = match (authority.port_u16(), uri.scheme_str()) {
            (Some(p), _) => p,
            (None, Some("https")) => 443,
            (None, Some("http")) => 80,
            (None, Some("socks5" | "socks5h" | "socks4" | "socks4a")) => 1080,
            _ => return Err(Error::BadUri("unknown scheme".into())),
        };
        let host = authority.host();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self.fill(std::iter::once(SocketAddr::new(ip, port)));
        }
        let key = format!("{host}:{port}");
        let found = match self.shared.cached(&key) {
            Some(found) => found,
            None if timeout.after.is_not_happening() => (self.shared.lookup)(&key)?,
            None => {
                // No longer than the attempt (cut to the call's deadline) has left.
                let wait = crate::net::transport::attempt_left()
                    .map_or(*timeout.after, |l| l.min(*timeout.after));
                self.look_up(&key, wait, timeout.reason)?
            }
        };
        if found.is_empty() {
            return Err(Error::HostNotFound);
        }
        check_loopback(host, &found)?;
        self.fill(config.ip_family().keep_wanted(found.into_iter()))
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration as UDuration;

    fn nt() -> NextTimeout {
        NextTimeout {
            after: UDuration::Exact(Duration::from_secs(5)),
            ..NextTimeout::default()
        }
    }

    #[test]
    fn literals_and_cache() {
        let r = CachingResolver::default();
        let cfg = Config::default();
        let a = r
            .resolve(&"http://127.0.0.1:8080/x".parse().unwrap(), &cfg, nt())
            .unwrap();
        assert_eq!(a[0], "127.0.0.1:8080".parse().unwrap());
        let a = r
            .resolve(&"https://[::1]/x".parse().unwrap(), &cfg, nt())
            .unwrap();
        assert_eq!(a[0], "[::1]:443".parse().unwrap());
        assert!(
            r.shared.cache.lock().unwrap().is_empty(),
            "literals are not looked up"
        );
        let a = r
            .resolve(&"http://localhost:9/x".parse().unwrap(), &cfg, nt())
            .unwrap();
        assert!(a.iter().all(|s| s.ip().is_loopback() && s.port() == 9));
        assert_eq!(r.shared.cache.lock().unwrap().len(), 1);
        let b = r
            .resolve(&"http://localhost:9/x".parse().unwrap(), &cfg, nt())
            .unwrap();
        assert_eq!(&a[..], &b[..]);
    }

    fn nt_ms(ms: u64) -> NextTimeout {
        NextTimeout {
            after: UDuration::Exact(Duration::from_millis(ms)),
            ..NextTimeout::default()
        }
    }

    fn uri(host: &str) -> ureq::http::Uri {
        format!("http://{host}:8080/x").parse().unwrap()
    }

    static BLOCKED: AtomicUsize = AtomicUsize::new(0);
    static MOST_BLOCKED: AtomicUsize = AtomicUsize::new(0);
    static BLOCKED_CALLS: AtomicUsize = AtomicUsize::new(0);
    static UNBLOCK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    /// A DNS server that does not answer until told to.
    fn blocking_lookup(_: &str) -> std::io::Result<Vec<SocketAddr>> {
        BLOCKED_CALLS.fetch_add(1, Ordering::SeqCst);
        let n = BLOCKED.fetch_add(1, Ordering::SeqCst) + 1;
        MOST_BLOCKED.fetch_max(n, Ordering::SeqCst);
        while !UNBLOCK.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        BLOCKED.fetch_sub(1, Ordering::SeqCst);
        Ok(vec!["127.0.0.1:8080".parse().unwrap()])
    }

    #[test]
    fn slow_dns_holds_a_bounded_number_of_threads() {
        let budget: &'static ThreadBudget = Box::leak(Box::new(ThreadBudget::new(3)));
        let r = CachingResolver::with_lookup(blocking_lookup, budget);
        let cfg = Config::default();
        // 60 calls for 20 hosts, each giving up after 150 ms while DNS hangs.
        std::thread::scope(|s| {
            for i in 0..60 {
                let (r, cfg) = (&r, &cfg);
                s.spawn(move || {
                    let e = r.resolve(&uri(&format!("h{}.example", i % 20)), cfg, nt_ms(150));
                    assert!(matches!(e, Err(Error::Timeout(_))), "{e:?}");
                });
            }
        });
        assert_eq!(
            MOST_BLOCKED.load(Ordering::SeqCst),
            3,
            "at most 3 threads look up"
        );
        assert_eq!(BLOCKED_CALLS.load(Ordering::SeqCst), 3);
        assert_eq!(budget.running.load(Ordering::SeqCst), 3);
        // The lookups finish later, give their threads back and fill the cache.
        UNBLOCK.store(true, Ordering::SeqCst);
        let t0 = Instant::now();
        while budget.running.load(Ordering::SeqCst) > 0 && t0.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(budget.running.load(Ordering::SeqCst), 0);
        assert_eq!(r.shared.cache.lock().unwrap().len(), 3);
        assert!(
            r.shared.pending.lock().unwrap().is_empty(),
            "abandoned hosts are forgotten"
        );
        let a = r.resolve(&uri("h5.example"), &cfg, nt_ms(2000)).unwrap();
        assert_eq!(a[0], "127.0.0.1:8080".parse().unwrap());
    }

    static SLOW_CALLS: AtomicUsize = AtomicUsize::new(0);

    fn slow_lookup(_: &str) -> std::io::Result<Vec<SocketAddr>> {
        SLOW_CALLS.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(200));
        Ok(vec!["10.1.2.3:8080".parse().unwrap()])
    }

    #[test]
    fn callers_for_one_host_share_one_lookup() {
        let budget: &'static ThreadBudget = Box::leak(Box::new(ThreadBudget::new(8)));
        let r = CachingResolver::with_lookup(slow_lookup, budget);
        let cfg = Config::default();
        std::thread::scope(|s| {
            for _ in 0..16 {
                s.spawn(|| {
                    let a = r.resolve(&uri("one.example"), &cfg, nt_ms(5000)).unwrap();
                    assert_eq!(a[0], "10.1.2.3:8080".parse().unwrap());
                });
            }
        });
        assert_eq!(SLOW_CALLS.load(Ordering::SeqCst), 1);
    }

    fn rebound_lookup(k: &str) -> std::io::Result<Vec<SocketAddr>> {
        let port = k.rsplit(':').next().unwrap();
        let ips: &[&str] = match k.split(':').next().unwrap() {
            "localhost" | "api.localhost" => &["127.0.0.1", "203.0.113.9"],
            "good.localhost" => &["127.0.0.2", "[::1]"],
            _ => &["203.0.113.9"],
        };
        Ok(ips
            .iter()
            .map(|ip| format!("{ip}:{port}").parse().unwrap())
            .collect())
    }

    #[test]
    fn localhost_names_must_resolve_to_loopback_only() {
        let budget: &'static ThreadBudget = Box::leak(Box::new(ThreadBudget::new(8)));
        let r = CachingResolver::with_lookup(rebound_lookup, budget);
        let cfg = Config::default();
        for host in ["localhost", "LocalHost", "api.localhost", "localhost."] {
            let e = r.resolve(&uri(host), &cfg, nt_ms(2000)).unwrap_err();
            let Error::Io(io) = &e else { panic!("{e:?}") };
            let m = io.to_string();
            assert!(io.get_ref().unwrap().is::<NotLoopback>(), "{m}");
            assert!(
                m.contains("203.0.113.9") && m.contains("not a loopback address"),
                "{m}"
            );
        }
        // Twice: a refused answer stays refused when it comes from the cache.
        assert!(r.resolve(&uri("localhost"), &cfg, nt_ms(2000)).is_err());
        let a = r
            .resolve(&uri("good.localhost"), &cfg, nt_ms(2000))
            .unwrap();
        assert_eq!(a.len(), 2);
        let a = r.resolve(&uri("example.com"), &cfg, nt_ms(2000)).unwrap();
        assert_eq!(a[0], "203.0.113.9:8080".parse().unwrap());
    }
}
