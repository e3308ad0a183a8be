//! A local emulator of GREEN-API's getAvatar endpoint (MAX, v3), for getavatar's tests,
//! benchmarks and `--sandbox` demos. It listens on 127.0.0.1 on a free port, starts in
//! milliseconds, answers like the real server (the statuses, bodies and error envelopes below),
//! can be told to misbehave, and records what it received.
//!
//! Routes:
//! - `POST [/v3]/waInstance{id}/getAvatar/{token}`: the method. Wrong id: 403; wrong token: 401;
//!   other method names: 404; over the rate limit: 429; over the quota: 466; bad body: 400 with
//!   the real envelope (which echoes the token in `path`, as the real server does).
//! - `GET /avatars/{name}.png` (or `.jpg`): the image behind each link it hands out;
//!   `GET /hop/{n}/avatars/{name}.png`: a chain of `n` redirects (302) ending at that image.
//!   Image requests have their own fault queue ([`Emulator::push_image_fault`]) and log
//!   ([`Emulator::image_requests`]).
//! - `/__emulator/...`: control for other processes (Python, Wine tests): `POST faults` (a JSON
//!   [`Fault`] description; `"target": "image"` queues it for image requests), `GET requests`,
//!   `GET counters` ([`Counters`] as JSON), `POST reset`, `POST config` (`rate_limit`, `quota`,
//!   `avatars`, `accept_delay_ms`, `tls_delay_ms`).
//!
//! With [`Config::tls`] it serves HTTPS (see [`Emulator::cert_pem`]); [`DelayRelay`] puts a
//! round-trip time between a client and it.
//!
//! Chat ids it knows: `10000000` and `-10000000000000` have avatars; `20000000` has none;
//! `30000000` hides it (available false); `40000000` has one but the answer omits `available`.
//! Any other valid id: `""`, available (as the real server answers for unknown accounts).

use std::collections::{HashMap, VecDeque};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod accept;
mod api;
mod arrival;
mod control;
pub mod delay;
mod fault;
pub mod proxy;
mod server;
mod tls;
mod wire;
pub use delay::DelayRelay;
pub use fault::Fault;
pub use proxy::{ProxyKind, TestProxy};

use server::spawn_accept;

/// A name the emulator's certificate also holds, that no resolver knows (`.test` is reserved):
/// tests reach it only through a test proxy that routes every tunnel to the emulator
/// ([`TestProxy::route_all_to`]), so the client's own proxy choice is what they see.
pub const PROXIED_HOST: &str = "api.getavatar.test";

/// Credentials the emulator accepts by default (the token is 50 hex characters, like real ones).
pub const DEFAULT_ID_INSTANCE: &str = "3100000001";
/// See [`DEFAULT_ID_INSTANCE`].
pub const DEFAULT_TOKEN: &str = "d75b3a66374942c5b3c019c698abc2067e151558acbd4e0f9a";

/// A 1x1 PNG, served for every avatar link.
pub const AVATAR_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// How the emulator is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// The idInstance it serves.
    pub id_instance: String,
    /// The apiTokenInstance it accepts.
    pub token: String,
    /// The most getAvatar requests that may arrive in any rolling second: a request that arrives
    /// when `rate_limit` others arrived in the second before it is answered 429 (every arrival
    /// counts, answered 429 or not). 0 = no limit.
    pub rate_limit: u32,
    /// Successful answers before it answers 466; None = no quota.
    pub quota: Option<u64>,
    /// Port to listen on; 0 = a free one.
    pub port: u16,
    /// Serve HTTPS (a self-signed certificate for localhost and 127.0.0.1, see
    /// [`Emulator::cert_pem`]; TLS 1.3 with session tickets and a session cache) on the public
    /// port; plain HTTP stays available on [`Emulator::plain_url`] (for control).
    pub tls: bool,
    /// Waits this long after accepting a connection before reading from it.
    pub accept_delay: Duration,
    /// With `tls`: waits this long before the server's first handshake flight.
    pub tls_delay: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            id_instance: DEFAULT_ID_INSTANCE.into(),
            token: DEFAULT_TOKEN.into(),
            rate_limit: 0,
            quota: None,
            port: 0,
            tls: false,
            accept_delay: Duration::ZERO,
            tls_delay: Duration::ZERO,
        }
    }
}

/// One getAvatar request as the emulator saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// When its first bytes arrived (the kernel's receive time, at the TLS front for HTTPS), since
    /// the emulator started.
    pub at: Duration,
    /// The HTTP method.
    pub method: String,
    /// The path (with the token: this is test-side data).
    pub path: String,
    /// The chatId in its body, when there was one.
    pub chat_id: Option<String>,
    /// The status it answered (0 when a fault sent none).
    pub status: u16,
    /// The User-Agent header.
    pub user_agent: String,
}

/// What an avatar answer says.
#[derive(Debug, Clone, PartialEq)]
pub struct AvatarEntry {
    /// `urlAvatar`; `{base}` is replaced by the emulator's address.
    pub url: String,
    /// `available`, or None to leave it out.
    pub available: Option<bool>,
}

/// What the emulator counted since it started (or since [`Emulator::reset`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Connections accepted on the public port (the HTTPS one with `tls`).
    pub connections: u64,
    /// TLS handshakes completed in full.
    pub tls_full: u64,
    /// TLS handshakes that resumed a session (ticket or session id).
    pub tls_resumed: u64,
    /// TLS handshakes that failed (e.g. the client refused the certificate).
    pub tls_failed: u64,
    /// getAvatar requests that arrived (the method's route; not control or image requests).
    pub requests: u64,
    /// Of those, how many were answered 429.
    pub too_many: u64,
}

#[derive(Default)]
struct AtomicCounters {
    connections: AtomicU64,
    tls_full: AtomicU64,
    tls_resumed: AtomicU64,
    tls_failed: AtomicU64,
    requests: AtomicU64,
    too_many: AtomicU64,
}

impl AtomicCounters {
    fn get(&self) -> Counters {
        let g = |a: &AtomicU64| a.load(Ordering::SeqCst);
        Counters {
            connections: g(&self.connections),
            tls_full: g(&self.tls_full),
            tls_resumed: g(&self.tls_resumed),
            tls_failed: g(&self.tls_failed),
            requests: g(&self.requests),
            too_many: g(&self.too_many),
        }
    }

    fn clear(&self) {
        for a in [
            &self.connections,
            &self.tls_full,
            &self.tls_resumed,
            &self.tls_failed,
            &self.requests,
            &self.too_many,
        ] {
            a.store(0, Ordering::SeqCst);
        }
    }
}

impl Counters {
    fn to_json(self) -> Value {
        json!({"connections": self.connections, "tls_full": self.tls_full,
            "tls_resumed": self.tls_resumed, "tls_failed": self.tls_failed,
            "requests": self.requests, "too_many": self.too_many})
    }
}

struct State {
    counters: AtomicCounters,
    config: Mutex<Config>,
    faults: Mutex<VecDeque<Fault>>,
    image_faults: Mutex<VecDeque<Fault>>,
    log: Mutex<Vec<Record>>,
    image_log: Mutex<Vec<Record>>,
    window: Mutex<VecDeque<Instant>>,
    avatars: Mutex<HashMap<String, AvatarEntry>>,
    served: AtomicU64,
    started: Instant,
    stop: AtomicBool,
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    base: String,
    /// See [`Emulator::set_idle_forget`].
    idle_forget: Mutex<Option<Duration>>,
    /// Arrival times the TLS front saw, by the address of its connection to the plaintext port,
    /// until the request they belong to is read there (see `server::arrival`).
    tls_arrivals: Mutex<HashMap<SocketAddr, Instant>>,
}

impl State {
    /// A fresh state for an emulator at `base` (its public URL).
    fn new(config: Config, base: String) -> State {
        State {
            counters: AtomicCounters::default(),
            config: Mutex::new(config),
            faults: Mutex::new(VecDeque::new()),
            image_faults: Mutex::new(VecDeque::new()),
            log: Mutex::new(Vec::new()),
            image_log: Mutex::new(Vec::new()),
            window: Mutex::new(VecDeque::new()),
            avatars: Mutex::new(api::default_avatars()),
            served: AtomicU64::new(0),
            started: Instant::now(),
            stop: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            base,
            idle_forget: Mutex::new(None),
            tls_arrivals: Mutex::new(HashMap::new()),
        }
    }
}

/// A running emulator; it stops when dropped.
pub struct Emulator {
    addr: SocketAddr,
    plain: SocketAddr,
    internal: Option<SocketAddr>,
    cert_pem: Option<String>,
    state: Arc<State>,
    accept: Vec<thread::JoinHandle<()>>,
}

impl Emulator {
    /// Starts an emulator with the default credentials and no rate limit.
    pub fn start_default() -> std::io::Result<Emulator> {
        Emulator::start(Config::default())
    }

    /// Starts an emulator on 127.0.0.1.
    pub fn start(config: Config) -> std::io::Result<Emulator> {
        let tls = if config.tls {
            let (cfg, pem) = tls::server_config().map_err(std::io::Error::other)?;
            let public = TcpListener::bind(("127.0.0.1", config.port))?;
            let internal = TcpListener::bind(("127.0.0.1", 0))?;
            Some((cfg, pem, public, internal))
        } else {
            None
        };
        let plain_port = if tls.is_some() { 0 } else { config.port };
        let listener = TcpListener::bind(("127.0.0.1", plain_port))?;
        let plain = listener.local_addr()?;
        let addr = match &tls {
            Some((_, _, public, _)) => public.local_addr()?,
            None => plain,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let state = Arc::new(State::new(config, format!("{scheme}://{addr}")));
        // The plain port is public (counted, delayed) unless TLS is on.
        let mut accept = vec![spawn_accept(&state, listener, tls.is_none())?];
        let (mut internal_addr, mut cert_pem) = (None, None);
        if let Some((cfg, pem, public, internal)) = tls {
            let inner = internal.local_addr()?;
            accept.push(spawn_accept(&state, internal, false)?);
            accept.push(tls::spawn_accept(&state, public, inner, cfg)?);
            internal_addr = Some(inner);
            cert_pem = Some(pem);
        }
        Ok(Emulator {
            addr,
            plain,
            internal: internal_addr,
            cert_pem,
            state,
            accept,
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` with `tls`): the apiUrl to give a client.
    pub fn url(&self) -> String {
        self.state.base.clone()
    }

    /// The socket address of its public port (the HTTPS one with `tls`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` of its plain HTTP port (the same as [`Emulator::url`] without
    /// `tls`); with `tls`, connections to it are neither counted nor delayed (use it for control).
    pub fn plain_url(&self) -> String {
        format!("http://{}", self.plain)
    }

    /// With `tls`: the PEM of its self-signed certificate (a client's CA file).
    pub fn cert_pem(&self) -> Option<String> {
        self.cert_pem.clone()
    }

    /// What it counted since it started or was last reset.
    pub fn counters(&self) -> Counters {
        self.state.counters.get()
    }

    /// Sets the delay after accepting a connection (see [`Config::accept_delay`]).
    pub fn set_accept_delay(&self, d: Duration) {
        lock(&self.state.config).accept_delay = d;
    }

    /// Sets the delay before the server's first TLS flight (see [`Config::tls_delay`]).
    pub fn set_tls_delay(&self, d: Duration) {
        lock(&self.state.config).tls_delay = d;
    }

    /// The idInstance it serves.
    pub fn id_instance(&self) -> String {
        lock(&self.state.config).id_instance.clone()
    }

    /// The token it accepts.
    pub fn token(&self) -> String {
        lock(&self.state.config).token.clone()
    }

    /// Queues a fault for the next getAvatar request.
    pub fn push_fault(&self, f: Fault) {
        lock(&self.state.faults).push_back(f);
    }

    /// Queues `n` copies of a fault.
    pub fn push_faults(&self, f: Fault, n: usize) {
        let mut q = lock(&self.state.faults);
        for _ in 0..n {
            q.push_back(f.clone());
        }
    }

    /// Queues a fault for the next image request (`/avatars/...` or `/hop/...`).
    pub fn push_image_fault(&self, f: Fault) {
        lock(&self.state.image_faults).push_back(f);
    }

    /// The image requests received so far (redirect hops included), in order of arrival.
    pub fn image_requests(&self) -> Vec<Record> {
        lock(&self.state.image_log).clone()
    }

    /// Sets what the answer for `chat_id` says.
    pub fn set_avatar(&self, chat_id: &str, url: &str, available: Option<bool>) {
        lock(&self.state.avatars).insert(
            chat_id.into(),
            AvatarEntry {
                url: url.into(),
                available,
            },
        );
    }

    /// Sets the rate limit (requests per rolling second; 0 = none).
    pub fn set_rate_limit(&self, n: u32) {
        lock(&self.state.config).rate_limit = n;
    }

    /// Makes the server forget keep-alive connections idle longer than `d` without telling the
    /// client (no `Connection: close`, no FIN), as a server or middlebox that dropped them does:
    /// the next request on such a connection is answered with a reset, unread and unlogged.
    /// Control requests are exempt. None (the default) keeps connections forever.
    pub fn set_idle_forget(&self, d: Option<Duration>) {
        *lock(&self.state.idle_forget) = d;
    }

    /// Sets the quota of successful answers (None = none); the count so far is kept.
    pub fn set_quota(&self, q: Option<u64>) {
        lock(&self.state.config).quota = q;
    }

    /// The getAvatar requests received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Record> {
        // In arrival order: threads may handle requests that arrive together in another order.
        let mut log = lock(&self.state.log).clone();
        log.sort_by_key(|r| r.at);
        log
    }

    /// How many getAvatar requests arrived.
    pub fn request_count(&self) -> usize {
        lock(&self.state.log).len()
    }

    /// Forgets requests, faults, the rate window, the quota count and the counters.
    pub fn reset(&self) {
        reset(&self.state);
    }
}

/// See [`Emulator::reset`].
fn reset(st: &State) {
    lock(&st.faults).clear();
    lock(&st.image_faults).clear();
    lock(&st.log).clear();
    lock(&st.image_log).clear();
    lock(&st.window).clear();
    st.served.store(0, Ordering::SeqCst);
    st.counters.clear();
    *lock(&st.avatars) = api::default_avatars();
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let mut wake = vec![self.addr, self.plain];
        wake.extend(self.internal);
        wake.dedup();
        for a in wake {
            let _ = TcpStream::connect(a);
        }
        for h in self.accept.drain(..) {
            let _ = h.join();
        }
        for (_, c) in lock(&self.state.conns).drain() {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

/// Locks `m`, whether or not a thread panicked holding it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
