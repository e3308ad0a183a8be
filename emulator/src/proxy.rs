//! Small proxies on 127.0.0.1 for getavatar's proxy tests: an HTTP CONNECT proxy and a SOCKS5
//! proxy (RFC 1928, with RFC 1929 user/password), each optionally demanding credentials. They
//! record every tunnel they open (its target as the client named it) and every refusal.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::accept::spawn_accept_loop;

/// Which protocol a [`TestProxy`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// `CONNECT host:port HTTP/1.1`, with `Proxy-Authorization: Basic` when credentials are set.
    HttpConnect,
    /// SOCKS5 CONNECT, with user/password authentication when credentials are set.
    Socks5,
}

/// What a proxy saw.
#[derive(Debug, Default)]
struct Seen {
    /// Targets of the tunnels it opened, as `host:port`.
    tunnels: Vec<String>,
    /// Why it refused clients (bad or missing credentials, unknown requests).
    refusals: Vec<String>,
}

struct Shared {
    kind: ProxyKind,
    credentials: Option<(String, String)>,
    seen: Mutex<Seen>,
    stop: AtomicBool,
    conns: Mutex<Vec<TcpStream>>,
    /// When set, every CONNECT is answered 407 with these Proxy-Authenticate values.
    challenge: Mutex<Option<Vec<String>>>,
    /// When set, every tunnel goes to this address, whatever target the client named.
    route_to: Mutex<Option<SocketAddr>>,
}

/// A running proxy; it stops (and cuts its tunnels) when dropped.
pub struct TestProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<thread::JoinHandle<()>>,
}

impl TestProxy {
    /// Starts a proxy on a free port of 127.0.0.1. With `credentials`, clients must present them.
    pub fn start(kind: ProxyKind, credentials: Option<(&str, &str)>) -> std::io::Result<TestProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            kind,
            credentials: credentials.map(|(u, p)| (u.to_string(), p.to_string())),
            seen: Mutex::new(Seen::default()),
            stop: AtomicBool::new(false),
            conns: Mutex::new(Vec::new()),
            challenge: Mutex::new(None),
            route_to: Mutex::new(None),
        });
        let (sh, stop) = (shared.clone(), shared.clone());
        let accept = spawn_accept_loop(
            "test-proxy-accept",
            "test-proxy-conn",
            listener,
            move || stop.stop.load(Ordering::SeqCst),
            move |c| {
                if let Ok(k) = c.try_clone() {
                    lock(&sh.conns).push(k);
                }
                let sh = sh.clone();
                move || {
                    let _ = match sh.kind {
                        ProxyKind::HttpConnect => http_connect(&sh, c),
                        ProxyKind::Socks5 => socks5(&sh, c),
                    };
                }
            },
        )?;
        Ok(TestProxy {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// The proxy URL with the given credentials (or none): `http://u:p@127.0.0.1:PORT` or
    /// `socks5://...`.
    pub fn url_with(&self, credentials: Option<(&str, &str)>) -> String {
        let scheme = match self.shared.kind {
            ProxyKind::HttpConnect => "http",
            ProxyKind::Socks5 => "socks5",
        };
        match credentials {
            Some((u, p)) => format!("{scheme}://{u}:{p}@{}", self.addr),
            None => format!("{scheme}://{}", self.addr),
        }
    }

    /// The proxy URL with the credentials it demands, if any.
    pub fn url(&self) -> String {
        let c = self.shared.credentials.clone();
        self.url_with(c.as_ref().map(|(u, p)| (u.as_str(), p.as_str())))
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The targets of the tunnels opened so far, in order (`host:port` as the client named it).
    pub fn tunnels(&self) -> Vec<String> {
        lock(&self.shared.seen).tunnels.clone()
    }

    /// Why clients were refused so far, in order.
    pub fn refusals(&self) -> Vec<String> {
        lock(&self.shared.seen).refusals.clone()
    }

    /// From now on, answers every HTTP CONNECT with 407 and one `Proxy-Authenticate` header per
    /// value (e.g. `["Negotiate", "NTLM"]`), as a proxy wanting Windows authentication does;
    /// None goes back to normal.
    pub fn challenge_with(&self, values: Option<&[&str]>) {
        *lock(&self.shared.challenge) = values.map(|v| v.iter().map(|s| s.to_string()).collect());
    }

    /// From now on, opens every tunnel to `to`, whatever host the client named (tunnels still
    /// record the name): a stand-in for a proxy that reaches hosts this machine cannot resolve.
    pub fn route_all_to(&self, to: SocketAddr) {
        *lock(&self.shared.route_to) = Some(to);
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        for c in lock(&self.shared.conns).drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn refuse(sh: &Shared, why: String) {
    lock(&sh.seen).refusals.push(why);
}

/// Standard base64 (RFC 4648) of `data`: the well-kept `base64` crate, so the proxy checks the
/// library's own encoder (src/connect_proxy.rs) against an independent one.
fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Serves one HTTP CONNECT client: the request, its credentials, then the tunnel.
fn http_connect(sh: &Shared, client: TcpStream) -> std::io::Result<()> {
    let mut r = BufReader::new(client.try_clone()?);
    let mut w = client;
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let auth = read_proxy_authorization(&mut r)?;
    if method != "CONNECT" {
        refuse(sh, format!("not CONNECT: {method} {target}"));
        w.write_all(
            b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    let challenge = lock(&sh.challenge).clone();
    if let Some(values) = challenge {
        refuse(sh, format!("challenged CONNECT {target}"));
        let mut answer = String::from("HTTP/1.1 407 Proxy Authentication Required\r\n");
        for v in values {
            answer.push_str(&format!("Proxy-Authenticate: {v}\r\n"));
        }
        answer.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
        w.write_all(answer.as_bytes())?;
        return Ok(());
    }
    if let Some((u, p)) = &sh.credentials {
        let want = format!("Basic {}", base64(format!("{u}:{p}").as_bytes()));
        if auth.as_deref() != Some(want.as_str()) {
            refuse(
                sh,
                format!("bad credentials for CONNECT {target}: {auth:?}"),
            );
            w.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
            return Ok(());
        }
    }
    let upstream = match connect_upstream(sh, target) {
        Ok(u) => u,
        Err(e) => {
            refuse(sh, format!("cannot reach {target}: {e}"));
            w.write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return Ok(());
        }
    };
    lock(&sh.seen).tunnels.push(target.to_string());
    w.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    // Bytes the client sent after the CONNECT head are already in the reader's buffer.
    let buffered = r.buffer().to_vec();
    pipe(sh, r.into_inner(), w, upstream, &buffered)
}

/// Connects to a tunnel's target (or where [`TestProxy::route_all_to`] sends every tunnel).
fn connect_upstream(sh: &Shared, target: &str) -> std::io::Result<TcpStream> {
    let route = *lock(&sh.route_to);
    match route {
        Some(to) => TcpStream::connect(to),
        None => TcpStream::connect(target),
    }
}

/// Reads header lines up to the empty one and returns the Proxy-Authorization value; an error
/// when the client goes away first.
fn read_proxy_authorization(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<String>> {
    let mut auth = None;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let h = h.trim_end();
        if h.is_empty() {
            return Ok(auth);
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("proxy-authorization") {
                auth = Some(v.trim().to_string());
            }
        }
    }
}

/// Serves one SOCKS5 client: greeting, login, CONNECT, then the tunnel.
fn socks5(sh: &Shared, mut c: TcpStream) -> std::io::Result<()> {
    if !socks5_greeting(sh, &mut c)? {
        return Ok(());
    }
    let mut req = [0u8; 4];
    c.read_exact(&mut req)?;
    let Some(host) = socks5_host(sh, &mut c, req[3])? else {
        return Ok(());
    };
    let mut port = [0u8; 2];
    c.read_exact(&mut port)?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    if req[1] != 1 {
        refuse(sh, format!("SOCKS5 command {} for {target}", req[1]));
        c.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0])?;
        return Ok(());
    }
    let upstream = match connect_upstream(sh, &target) {
        Ok(u) => u,
        Err(e) => {
            refuse(sh, format!("cannot reach {target}: {e}"));
            c.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0])?;
            return Ok(());
        }
    };
    lock(&sh.seen).tunnels.push(target);
    c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])?;
    let w = c.try_clone()?;
    pipe(sh, c, w, upstream, &[])
}

/// The SOCKS5 greeting and, when the proxy demands credentials, the login; false when it
/// refused the client (and told it so).
fn socks5_greeting(sh: &Shared, c: &mut TcpStream) -> std::io::Result<bool> {
    let mut head = [0u8; 2];
    c.read_exact(&mut head)?;
    if head[0] != 5 {
        refuse(sh, format!("not SOCKS5: version {}", head[0]));
        return Ok(false);
    }
    let mut methods = vec![0u8; head[1] as usize];
    c.read_exact(&mut methods)?;
    let (method, what) = match &sh.credentials {
        Some(_) => (2, "user/password"),
        None => (0, "no-auth"),
    };
    if !methods.contains(&method) {
        refuse(sh, format!("client offered no {what} method: {methods:?}"));
        c.write_all(&[5, 0xff])?;
        return Ok(false);
    }
    c.write_all(&[5, method])?;
    match &sh.credentials {
        Some((u, p)) => socks5_login(sh, c, u, p),
        None => Ok(true),
    }
}

/// The RFC 1929 user/password exchange; false when the credentials are not `u` and `p`.
fn socks5_login(sh: &Shared, c: &mut TcpStream, u: &str, p: &str) -> std::io::Result<bool> {
    let mut v = [0u8; 2];
    c.read_exact(&mut v)?;
    let mut user = vec![0u8; v[1] as usize];
    c.read_exact(&mut user)?;
    let mut plen = [0u8; 1];
    c.read_exact(&mut plen)?;
    let mut pass = vec![0u8; plen[0] as usize];
    c.read_exact(&mut pass)?;
    if user != u.as_bytes() || pass != p.as_bytes() {
        refuse(
            sh,
            format!(
                "bad SOCKS5 credentials: {:?}",
                String::from_utf8_lossy(&user)
            ),
        );
        c.write_all(&[1, 1])?;
        return Ok(false);
    }
    c.write_all(&[1, 0])?;
    Ok(true)
}

/// Reads the host of a SOCKS5 request whose address type is `atyp`; None when the type is
/// unknown (the client is told so).
fn socks5_host(sh: &Shared, c: &mut TcpStream, atyp: u8) -> std::io::Result<Option<String>> {
    let host = match atyp {
        1 => {
            let mut a = [0u8; 4];
            c.read_exact(&mut a)?;
            std::net::Ipv4Addr::from(a).to_string()
        }
        3 => {
            let mut n = [0u8; 1];
            c.read_exact(&mut n)?;
            let mut name = vec![0u8; n[0] as usize];
            c.read_exact(&mut name)?;
            String::from_utf8_lossy(&name).into_owned()
        }
        4 => {
            let mut a = [0u8; 16];
            c.read_exact(&mut a)?;
            format!("[{}]", std::net::Ipv6Addr::from(a))
        }
        t => {
            refuse(sh, format!("unknown SOCKS5 address type {t}"));
            c.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0])?;
            return Ok(None);
        }
    };
    Ok(Some(host))
}

/// Copies bytes both ways until either side closes.
fn pipe(
    sh: &Shared,
    mut from_client: TcpStream,
    mut to_client: TcpStream,
    upstream: TcpStream,
    already: &[u8],
) -> std::io::Result<()> {
    if let Ok(k) = upstream.try_clone() {
        lock(&sh.conns).push(k);
    }
    let mut up_w = upstream.try_clone()?;
    up_w.write_all(already)?;
    let mut up_r = upstream;
    let down = thread::spawn(move || {
        let _ = std::io::copy(&mut up_r, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut from_client, &mut up_w);
    let _ = up_w.shutdown(Shutdown::Write);
    let _ = down.join();
    Ok(())
}
