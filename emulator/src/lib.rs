//! A local emulator of GREEN-API's getAvatar endpoint (MAX, v3), for getavatar's tests,
//! benchmarks and `--sandbox` demos. It listens on 127.0.0.1 on a free port, starts in
//! milliseconds, answers like the real server (see `shared/api-notes.md`), can be told to
//! misbehave, and records what it received.
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
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

pub mod delay;
pub mod proxy;
mod tls;
pub use delay::DelayRelay;
pub use proxy::{ProxyKind, TestProxy};

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

/// One way to misbehave, used by the next getAvatar request (faults queue up, first in first out),
/// or by the next image request when queued with [`Emulator::push_image_fault`]. A `Status` fault
/// with an empty Content-Type header sends none.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status, body and extra headers (content type JSON unless given).
    Status {
        /// HTTP status.
        status: u16,
        /// Body.
        body: String,
        /// Extra headers, e.g. Retry-After or Content-Type.
        headers: Vec<(String, String)>,
    },
    /// Wait, then answer normally.
    Delay(Duration),
    /// Close the connection with a reset before sending anything.
    ResetBeforeStatus,
    /// Send the headers and half the body of a normal answer, then reset.
    ResetMidBody,
    /// Announce a longer Content-Length than is sent, then close.
    TruncatedBody,
    /// Send a chunked body that stops in the middle of a chunk, then close.
    TruncatedChunked,
    /// Wait this long before sending the headers (then answer normally).
    SlowHeaders(Duration),
    /// Send the headers, wait this long, then send the body.
    SlowBody(Duration),
    /// A 200 whose body is this many bytes of valid-looking JSON (for an image request: this
    /// many bytes of image, announced in Content-Length).
    HugeBody(usize),
    /// Like `HugeBody`, but chunked: no Content-Length announces the size.
    HugeChunked(usize),
    /// A 200 whose body is not JSON.
    InvalidJson,
    /// A 200 with JSON of another shape.
    WrongShape(String),
    /// A 502 HTML page from a proxy.
    Html502,
    /// A 302 to this location.
    Redirect(String),
    /// Read the request and never answer (until the client goes away).
    NeverAnswer,
}

impl Fault {
    /// Reads a fault from its JSON description, as sent to `POST /__emulator/faults`:
    /// `{"kind": "status", "status": 503, "body": "...", "headers": {"Retry-After": "1"}}`,
    /// `{"kind": "delay", "ms": 100}`, `{"kind": "slow_headers", "ms": 100}`,
    /// `{"kind": "slow_body", "ms": 100}`, `{"kind": "huge_body", "bytes": 2000000}` (or
    /// `huge_chunked`),
    /// `{"kind": "redirect", "location": "..."}`, `{"kind": "wrong_shape", "body": "[]"}`, or one of
    /// `reset_before_status`, `reset_mid_body`, `truncated_body`, `truncated_chunked`,
    /// `invalid_json`, `html_502`, `never_answer`. An optional `"times": N` repeats it.
    pub fn from_json(v: &Value) -> Result<(Fault, usize), String> {
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .ok_or("fault needs \"kind\"")?;
        let ms = || Duration::from_millis(v.get("ms").and_then(Value::as_u64).unwrap_or(0));
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let f = match kind {
            "status" => Fault::Status {
                status: v
                    .get("status")
                    .and_then(Value::as_u64)
                    .ok_or("status fault needs \"status\"")? as u16,
                body: s("body"),
                headers: v
                    .get("headers")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, x)| (k.clone(), x.as_str().unwrap_or("").to_string()))
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            "delay" => Fault::Delay(ms()),
            "slow_headers" => Fault::SlowHeaders(ms()),
            "slow_body" => Fault::SlowBody(ms()),
            "huge_body" => {
                Fault::HugeBody(v.get("bytes").and_then(Value::as_u64).unwrap_or(2 << 20) as usize)
            }
            "huge_chunked" => Fault::HugeChunked(
                v.get("bytes").and_then(Value::as_u64).unwrap_or(2 << 20) as usize,
            ),
            "redirect" => Fault::Redirect(s("location")),
            "wrong_shape" => Fault::WrongShape(s("body")),
            "reset_before_status" => Fault::ResetBeforeStatus,
            "reset_mid_body" => Fault::ResetMidBody,
            "truncated_body" => Fault::TruncatedBody,
            "truncated_chunked" => Fault::TruncatedChunked,
            "invalid_json" => Fault::InvalidJson,
            "html_502" => Fault::Html502,
            "never_answer" => Fault::NeverAnswer,
            other => return Err(format!("unknown fault kind {other:?}")),
        };
        let times = v.get("times").and_then(Value::as_u64).unwrap_or(1) as usize;
        Ok((f, times))
    }
}

/// One getAvatar request as the emulator saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// When its headers were complete, since the emulator started.
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

fn default_avatars() -> HashMap<String, AvatarEntry> {
    let e = |url: &str, available| AvatarEntry {
        url: url.into(),
        available,
    };
    HashMap::from([
        (
            "10000000".into(),
            e("{base}/avatars/10000000.png", Some(true)),
        ),
        (
            "-10000000000000".into(),
            e("{base}/avatars/-10000000000000.png", Some(true)),
        ),
        ("20000000".into(), e("", Some(true))),
        ("30000000".into(), e("", Some(false))),
        ("40000000".into(), e("{base}/avatars/40000000.png", None)),
    ])
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
        let state = Arc::new(State {
            counters: AtomicCounters::default(),
            config: Mutex::new(config),
            faults: Mutex::new(VecDeque::new()),
            image_faults: Mutex::new(VecDeque::new()),
            log: Mutex::new(Vec::new()),
            image_log: Mutex::new(Vec::new()),
            window: Mutex::new(VecDeque::new()),
            avatars: Mutex::new(default_avatars()),
            served: AtomicU64::new(0),
            started: Instant::now(),
            stop: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            base: format!("{scheme}://{addr}"),
        });
        // The plain port is public (counted, delayed) unless TLS is on.
        let mut accept = vec![spawn_accept(&state, listener, tls.is_none())?];
        let (mut internal_addr, mut cert_pem) = (None, None);
        if let Some((cfg, pem, public, internal)) = tls {
            let inner = internal.local_addr()?;
            accept.push(spawn_accept(&state, internal, false)?);
            let st = state.clone();
            accept.push(
                thread::Builder::new()
                    .name("emulator-tls-accept".into())
                    .spawn(move || tls::accept_loop(st, public, inner, cfg))?,
            );
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

    /// Sets the quota of successful answers (None = none); the count so far is kept.
    pub fn set_quota(&self, q: Option<u64>) {
        lock(&self.state.config).quota = q;
    }

    /// The getAvatar requests received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Record> {
        lock(&self.state.log).clone()
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

fn reset(st: &State) {
    lock(&st.faults).clear();
    lock(&st.image_faults).clear();
    lock(&st.log).clear();
    lock(&st.image_log).clear();
    lock(&st.window).clear();
    st.served.store(0, Ordering::SeqCst);
    st.counters.clear();
    *lock(&st.avatars) = default_avatars();
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
    user_agent: String,
    close: bool,
}

fn read_request(r: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let http10 = parts.next() == Some("HTTP/1.0");
    let mut len = 0usize;
    let mut close = http10;
    let mut user_agent = String::new();
    let mut total = 0;
    loop {
        let mut h = String::new();
        let n = r.read_line(&mut h).ok()?;
        total += n;
        if n == 0 || total > 64 * 1024 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            match k.as_str() {
                "content-length" => len = v.parse().ok()?,
                "connection" => close = v.eq_ignore_ascii_case("close"),
                "user-agent" => user_agent = v.to_string(),
                _ => {}
            }
        }
    }
    if len > 1 << 20 {
        return None;
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        body,
        user_agent,
        close,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        466 => "Quota Exceeded",
        499 => "Client Closed Request",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

thread_local! {
    /// Whether this connection's current request asked to close (each connection has a thread).
    static CLOSING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn head(status: u16, content_type: &str, len: usize, extra: &[(String, String)]) -> String {
    let mut h = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    if !content_type.is_empty() {
        h.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    h.push_str(&format!("Content-Length: {len}\r\n"));
    if CLOSING.with(|c| c.get()) {
        h.push_str("Connection: close\r\n");
    }
    for (k, v) in extra {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    h
}

fn respond(
    w: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    extra: &[(String, String)],
) -> bool {
    let mut out = head(status, content_type, body.len(), extra).into_bytes();
    out.extend_from_slice(body);
    w.write_all(&out).is_ok()
}

fn reset_connection(s: &TcpStream) {
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        let l = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: a valid socket and a correctly sized linger struct.
        unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &l as *const libc::linger as *const libc::c_void,
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
        }
    }
    let _ = s.shutdown(Shutdown::Both);
}

fn iso_now() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Accepts connections on `listener`; `public` ones are counted and delayed.
fn spawn_accept(
    state: &Arc<State>,
    listener: TcpListener,
    public: bool,
) -> std::io::Result<thread::JoinHandle<()>> {
    let st = state.clone();
    thread::Builder::new()
        .name("emulator-accept".into())
        .spawn(move || {
            for conn in listener.incoming() {
                if st.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                if public {
                    st.counters.connections.fetch_add(1, Ordering::SeqCst);
                }
                let st = st.clone();
                let _ = thread::Builder::new()
                    .name("emulator-conn".into())
                    .spawn(move || serve(st, stream, public));
            }
        })
}

fn serve(st: Arc<State>, stream: TcpStream, public: bool) {
    if public {
        let d = lock(&st.config).accept_delay;
        thread::sleep(d);
    }
    let _ = stream.set_nodelay(true);
    let id = st.next_conn.fetch_add(1, Ordering::SeqCst);
    if let Ok(c) = stream.try_clone() {
        lock(&st.conns).insert(id, c);
    }
    let mut w = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut r = BufReader::new(stream);
    while !st.stop.load(Ordering::SeqCst) {
        let Some(req) = read_request(&mut r) else {
            break;
        };
        CLOSING.with(|c| c.set(req.close));
        let keep = handle(&st, &req, &mut w, &mut r) && !req.close;
        if !keep {
            break;
        }
    }
    // Close gracefully: stop writing, drain what the client still sends, then drop. Dropping a
    // socket with unread input makes the kernel send a reset instead of a clean close.
    let _ = w.shutdown(Shutdown::Write);
    let _ = w.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    while let Ok(n) = r.get_mut().read(&mut sink) {
        if n == 0 {
            break;
        }
    }
    lock(&st.conns).remove(&id);
}

/// Answers one request; false when the connection must close.
fn handle(st: &State, req: &Request, w: &mut TcpStream, r: &mut BufReader<TcpStream>) -> bool {
    let path = req.path.split('?').next().unwrap_or("");
    if let Some(cmd) = path.strip_prefix("/__emulator/") {
        return control(st, cmd, req, w);
    }
    if path.starts_with("/avatars/") || path.starts_with("/hop/") {
        return image(st, req, path, w, r);
    }
    let at = st.started.elapsed();
    let over_limit = arrive(st);
    let fault = lock(&st.faults).pop_front();
    // Decide the answer first and log it before replying, so a client that has its answer
    // always finds its request in the log.
    let normal = match &fault {
        None
        | Some(Fault::Delay(_) | Fault::SlowHeaders(_) | Fault::SlowBody(_))
        | Some(Fault::ResetMidBody | Fault::TruncatedBody | Fault::TruncatedChunked) => {
            answer(st, req, path, over_limit)
        }
        Some(_) => (0, String::new()),
    };
    let status = match &fault {
        None => normal.0,
        Some(f) => fault_status(f, normal.0),
    };
    let rec = Record {
        at,
        method: req.method.clone(),
        path: req.path.clone(),
        chat_id: serde_json::from_slice::<Value>(&req.body)
            .ok()
            .and_then(|v| v.get("chatId").and_then(Value::as_str).map(str::to_string)),
        status,
        user_agent: req.user_agent.clone(),
    };
    if status == 429 {
        st.counters.too_many.fetch_add(1, Ordering::SeqCst);
    }
    {
        let mut log = lock(&st.log);
        if log.len() < 2_000_000 {
            log.push(rec);
        }
    }
    match fault {
        Some(f) => apply_fault(f, Answer::json(normal), w, r, &st.stop),
        None => respond(w, normal.0, "application/json", normal.1.as_bytes(), &[]),
    }
}

/// Serves an image request: a redirect hop or the image, through the image fault queue.
fn image(
    st: &State,
    req: &Request,
    path: &str,
    w: &mut TcpStream,
    r: &mut BufReader<TcpStream>,
) -> bool {
    let normal = image_answer(st, req, path);
    let fault = lock(&st.image_faults).pop_front();
    let status = match &fault {
        None => normal.status,
        Some(f) => fault_status(f, normal.status),
    };
    {
        let mut log = lock(&st.image_log);
        if log.len() < 100_000 {
            log.push(Record {
                at: st.started.elapsed(),
                method: req.method.clone(),
                path: req.path.clone(),
                chat_id: None,
                status,
                user_agent: req.user_agent.clone(),
            });
        }
    }
    match fault {
        Some(f) => apply_fault(f, normal, w, r, &st.stop),
        None => respond(
            w,
            normal.status,
            &normal.content_type,
            &normal.body,
            &normal.headers,
        ),
    }
}

/// The normal answer to an image request.
fn image_answer(st: &State, req: &Request, path: &str) -> Answer {
    let not_found = Answer::new(404, "text/plain", b"Not Found".to_vec());
    if req.method != "GET" {
        return not_found;
    }
    if let Some(rest) = path.strip_prefix("/hop/") {
        let Some((n, tail)) = rest.split_once('/') else {
            return not_found;
        };
        let Ok(n) = n.parse::<u32>() else {
            return not_found;
        };
        let next = if n > 1 {
            format!("{}/hop/{}/{tail}", st.base, n - 1)
        } else {
            format!("{}/{tail}", st.base)
        };
        let mut a = Answer::new(302, "text/plain", Vec::new());
        a.headers.push(("Location".into(), next));
        return a;
    }
    let name = path.trim_start_matches("/avatars/");
    if name.ends_with(".png") {
        Answer::new(200, "image/png", AVATAR_PNG.to_vec())
    } else if name.ends_with(".jpg") {
        Answer::new(200, "image/jpeg", AVATAR_PNG.to_vec())
    } else {
        not_found
    }
}

/// A complete answer: status, content type, body and extra headers.
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn new(status: u16, content_type: &str, body: Vec<u8>) -> Answer {
        Answer {
            status,
            content_type: content_type.into(),
            body,
            headers: Vec::new(),
        }
    }

    fn json(normal: (u16, String)) -> Answer {
        Answer::new(normal.0, "application/json", normal.1.into_bytes())
    }
}

/// The status a fault answers with (0 when it sends none).
fn fault_status(f: &Fault, normal: u16) -> u16 {
    match f {
        Fault::Status { status, .. } => *status,
        Fault::ResetBeforeStatus | Fault::NeverAnswer => 0,
        Fault::HugeBody(_) | Fault::HugeChunked(_) | Fault::InvalidJson | Fault::WrongShape(_) => {
            200
        }
        Fault::Html502 => 502,
        Fault::Redirect(_) => 302,
        _ => normal,
    }
}

/// Misbehaves as `f` says; `normal` is the answer the request would otherwise get.
/// False when the connection must close.
fn apply_fault(
    f: Fault,
    normal: Answer,
    w: &mut TcpStream,
    r: &mut BufReader<TcpStream>,
    stop: &AtomicBool,
) -> bool {
    let Answer {
        status,
        content_type: ct,
        body,
        headers: extra,
    } = normal;
    match f {
        Fault::Status {
            status,
            body,
            headers,
        } => {
            let ct = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| "application/json".into());
            let extra: Vec<_> = headers
                .into_iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type"))
                .collect();
            respond(w, status, &ct, body.as_bytes(), &extra)
        }
        Fault::Delay(d) | Fault::SlowHeaders(d) => {
            thread::sleep(d);
            respond(w, status, &ct, &body, &extra)
        }
        Fault::SlowBody(d) => {
            let h = head(status, &ct, body.len(), &extra);
            if w.write_all(h.as_bytes()).is_err() {
                return false;
            }
            thread::sleep(d);
            w.write_all(&body).is_ok()
        }
        Fault::ResetBeforeStatus => {
            reset_connection(w);
            false
        }
        Fault::ResetMidBody => {
            let mut out = head(status, &ct, body.len(), &extra).into_bytes();
            out.extend_from_slice(&body[..body.len() / 2]);
            let _ = w.write_all(&out);
            let _ = w.flush();
            thread::sleep(Duration::from_millis(20));
            reset_connection(w);
            false
        }
        Fault::TruncatedBody => {
            let mut out = head(status, &ct, body.len() + 100, &extra).into_bytes();
            out.extend_from_slice(&body);
            let _ = w.write_all(&out);
            let _ = w.shutdown(Shutdown::Both);
            false
        }
        Fault::TruncatedChunked => {
            let mut out = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: {ct}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
                reason(status),
                body.len()
            )
            .into_bytes();
            out.extend_from_slice(&body[..body.len() / 2]);
            let _ = w.write_all(&out);
            let _ = w.shutdown(Shutdown::Both);
            false
        }
        Fault::HugeBody(n) if ct.starts_with("image/") => {
            // Stream it: an image announced at its full size, sent in 64 KiB pieces.
            let h = head(200, &ct, n, &[]);
            if w.write_all(h.as_bytes()).is_err() {
                return false;
            }
            let piece = vec![0u8; 64 * 1024];
            let mut left = n;
            while left > 0 {
                let k = left.min(piece.len());
                if w.write_all(&piece[..k]).is_err() {
                    return false;
                }
                left -= k;
            }
            true
        }
        Fault::HugeChunked(n) => {
            let ct = if ct.starts_with("image/") {
                ct
            } else {
                "application/json".to_string()
            };
            let h = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nTransfer-Encoding: chunked\r\n\r\n"
            );
            if w.write_all(h.as_bytes()).is_err() {
                return false;
            }
            let piece = vec![b'a'; 64 * 1024];
            let mut left = n;
            while left > 0 {
                let k = left.min(piece.len());
                let mut chunk = format!("{k:x}\r\n").into_bytes();
                chunk.extend_from_slice(&piece[..k]);
                chunk.extend_from_slice(b"\r\n");
                if w.write_all(&chunk).is_err() {
                    return false;
                }
                left -= k;
            }
            w.write_all(b"0\r\n\r\n").is_ok()
        }
        Fault::HugeBody(n) => {
            let mut body = String::with_capacity(n + 32);
            body.push_str("{\"urlAvatar\":\"");
            while body.len() + 2 < n {
                body.push('a');
            }
            body.push_str("\"}");
            respond(w, 200, "application/json", body.as_bytes(), &[])
        }
        Fault::InvalidJson => respond(
            w,
            200,
            "application/json",
            b"{\"urlAvatar\": \"https://x\",",
            &[],
        ),
        Fault::WrongShape(body) => respond(w, 200, "application/json", body.as_bytes(), &[]),
        Fault::Html502 => {
            let page = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
            respond(w, 502, "text/html", page, &[])
        }
        Fault::Redirect(loc) => respond(w, 302, "text/plain", b"", &[("Location".into(), loc)]),
        Fault::NeverAnswer => {
            let mut buf = [0u8; 1024];
            while !stop.load(Ordering::SeqCst) {
                match r.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            false
        }
    }
}

fn envelope(status: u16, path: &str, message: &str) -> String {
    json!({"statusCode": status, "timestamp": iso_now(), "path": path, "message": message})
        .to_string()
}

/// Counts a getAvatar request's arrival in the rolling window; true when more than the rate
/// limit arrived in the second up to and including it. The time is taken under the window's lock,
/// so the window is in order whatever the threads do.
fn arrive(st: &State) -> bool {
    st.counters.requests.fetch_add(1, Ordering::SeqCst);
    let limit = lock(&st.config).rate_limit as usize;
    let mut win = lock(&st.window);
    let now = Instant::now();
    while win
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        win.pop_front();
    }
    win.push_back(now);
    limit > 0 && win.len() > limit
}

/// The normal answer to a request: (status, body); `over_limit` says the rate limit is exceeded.
fn answer(st: &State, req: &Request, path: &str, over_limit: bool) -> (u16, String) {
    let cfg = lock(&st.config).clone();
    let rest = path.strip_prefix("/v3").unwrap_or(path);
    let mut segs = rest.trim_start_matches('/').split('/');
    let (inst, method, token) = (
        segs.next().unwrap_or(""),
        segs.next().unwrap_or(""),
        segs.next().unwrap_or(""),
    );
    if segs.next().is_some() || !inst.starts_with("waInstance") || method.is_empty() {
        return (404, "Not Found".into());
    }
    if inst["waInstance".len()..] != cfg.id_instance {
        return (403, "Forbidden".into());
    }
    if token != cfg.token {
        return (401, "Unauthorized".into());
    }
    if method != "getAvatar" || req.method != "POST" {
        return (404, "Not Found".into());
    }
    if over_limit {
        return (429, "Too Many Requests".into());
    }
    if let Some(q) = cfg.quota {
        let used = st.served.load(Ordering::SeqCst);
        if used >= q {
            let body = json!({"invokeStatus": {"method": "getAvatar", "used": used, "total": q,
                "status": "QUOTE_EXCEEDED",
                "description": "Monthly quota has been exceeded. Upgrade your plan in the personal area"}});
            return (466, body.to_string());
        }
    }
    let v: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            let msg = format!(
                "Unexpected token in JSON at position {}",
                e.column().saturating_sub(1)
            );
            return (400, envelope(400, rest, &msg));
        }
    };
    let invalid = |what: &str| {
        (
            400,
            envelope(400, rest, &format!("Validation failed. Details: {what}")),
        )
    };
    let chat = match v.get("chatId") {
        None | Some(Value::Null) => return invalid("'chatId' is required"),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return invalid("'chatId' must be a string"),
    };
    if chat.is_empty() {
        return invalid("'chatId' is not allowed to be empty");
    }
    let digits = chat.strip_prefix('-').unwrap_or(&chat);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("'chatId' must be one of the next formats: 'user_id' or 'group_id'");
    }
    st.served.fetch_add(1, Ordering::SeqCst);
    let entry = lock(&st.avatars).get(&chat).cloned();
    let entry = entry.unwrap_or(AvatarEntry {
        url: String::new(),
        available: Some(true),
    });
    let url = entry.url.replace("{base}", &st.base);
    let body = match entry.available {
        Some(a) => json!({"urlAvatar": url, "available": a}),
        None => json!({"urlAvatar": url}),
    };
    (200, body.to_string())
}

fn control(st: &State, cmd: &str, req: &Request, w: &mut TcpStream) -> bool {
    let ok = |w: &mut TcpStream, v: Value| {
        respond(w, 200, "application/json", v.to_string().as_bytes(), &[])
    };
    let bad = |w: &mut TcpStream, m: String| {
        respond(
            w,
            400,
            "application/json",
            json!({"error": m}).to_string().as_bytes(),
            &[],
        )
    };
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    match cmd {
        "faults" => {
            let list = match body {
                Value::Array(a) => a,
                v => vec![v],
            };
            let mut parsed = Vec::new();
            for v in &list {
                let image = match v.get("target").and_then(Value::as_str) {
                    None | Some("api") => false,
                    Some("image") => true,
                    Some(t) => return bad(w, format!("unknown fault target {t:?}")),
                };
                match Fault::from_json(v) {
                    Ok((f, n)) => parsed.push((image, f, n)),
                    Err(e) => return bad(w, e),
                }
            }
            let (mut api, mut img) = (lock(&st.faults), lock(&st.image_faults));
            for (image, f, n) in parsed {
                let q = if image { &mut img } else { &mut api };
                for _ in 0..n {
                    q.push_back(f.clone());
                }
            }
            ok(w, json!({"queued": api.len(), "queued_image": img.len()}))
        }
        "requests" => {
            let log = lock(&st.log);
            let items: Vec<Value> = log
                .iter()
                .map(|r| json!({"at_ms": r.at.as_secs_f64() * 1000.0, "method": r.method, "chat_id": r.chat_id, "status": r.status, "user_agent": r.user_agent}))
                .collect();
            let images: Vec<Value> = lock(&st.image_log)
                .iter()
                .map(|r| json!({"at_ms": r.at.as_secs_f64() * 1000.0, "method": r.method, "path": r.path, "status": r.status}))
                .collect();
            ok(
                w,
                json!({"count": log.len(), "requests": items, "images": images}),
            )
        }
        "reset" => {
            reset(st);
            ok(w, json!({"reset": true}))
        }
        "counters" => ok(w, st.counters.get().to_json()),
        "config" => {
            let mut c = lock(&st.config);
            if let Some(n) = body.get("rate_limit").and_then(Value::as_u64) {
                c.rate_limit = n as u32;
            }
            if let Some(q) = body.get("quota") {
                c.quota = q.as_u64();
            }
            if let Some(ms) = body.get("accept_delay_ms").and_then(Value::as_u64) {
                c.accept_delay = Duration::from_millis(ms);
            }
            if let Some(ms) = body.get("tls_delay_ms").and_then(Value::as_u64) {
                c.tls_delay = Duration::from_millis(ms);
            }
            if let Some(a) = body.get("avatars").and_then(Value::as_object) {
                let mut av = lock(&st.avatars);
                for (k, v) in a {
                    av.insert(
                        k.clone(),
                        AvatarEntry {
                            url: v.get("url").and_then(Value::as_str).unwrap_or("").into(),
                            available: v.get("available").and_then(Value::as_bool),
                        },
                    );
                }
            }
            ok(
                w,
                json!({"rate_limit": c.rate_limit, "quota": c.quota,
                    "accept_delay_ms": c.accept_delay.as_millis() as u64,
                    "tls_delay_ms": c.tls_delay.as_millis() as u64}),
            )
        }
        _ => respond(w, 404, "text/plain", b"unknown emulator command", &[]),
    }
}
