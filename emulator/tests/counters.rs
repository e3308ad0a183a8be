//! The emulator's counters (connections, full and resumed TLS handshakes, requests, 429s), over
//! HTTPS with a rustls client that keeps a session cache, and its rate limit, which counts every
//! arrival (a request answered by a fault included) in any rolling second.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use getavatar_emulator::{Config, Counters, DelayRelay, Emulator, Fault};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, HandshakeKind, RootCertStore, StreamOwned};

fn client_config(emu: &Emulator) -> Arc<ClientConfig> {
    let pem = emu.cert_pem().expect("a TLS emulator has a certificate");
    let mut roots = RootCertStore::empty();
    let der = rustls::pki_types::pem::PemObject::from_pem_slice(pem.as_bytes()).unwrap();
    roots.add(der).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // The default resumption: an in-memory session cache.
    Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn request(emu: &Emulator, chat: &str) -> Vec<u8> {
    let body = format!("{{\"chatId\":\"{chat}\"}}");
    format!(
        "POST /v3/waInstance{}/getAvatar/{} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        emu.id_instance(),
        emu.token(),
        body.len()
    )
    .into_bytes()
}

/// Reads one answer; returns its status.
fn read_answer(r: &mut impl BufRead) -> u16 {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut len = 0;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
        if h == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    status
}

/// One HTTPS connection to `addr` with `n` requests on it; returns the handshake's kind.
fn https_calls(
    emu: &Emulator,
    cfg: &Arc<ClientConfig>,
    addr: SocketAddr,
    n: usize,
) -> HandshakeKind {
    let name = ServerName::try_from("localhost").unwrap();
    let conn = ClientConnection::new(cfg.clone(), name).unwrap();
    let sock = TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut tls = StreamOwned::new(conn, sock);
    for _ in 0..n {
        tls.write_all(&request(emu, "10000000")).unwrap();
        let mut r = BufReader::new(&mut tls);
        assert_eq!(read_answer(&mut r), 200);
    }
    let kind = tls.conn.handshake_kind().unwrap();
    tls.conn.send_close_notify();
    let _ = tls.flush();
    kind
}

#[test]
fn tls_handshakes_are_counted_full_and_resumed() {
    let emu = Emulator::start(Config {
        tls: true,
        ..Config::default()
    })
    .unwrap();
    assert!(emu.url().starts_with("https://127.0.0.1:"));
    let cfg = client_config(&emu);
    assert_eq!(https_calls(&emu, &cfg, emu.addr(), 2), HandshakeKind::Full);
    // The same client config (its session cache) reconnects: the server resumes the session.
    assert_eq!(
        https_calls(&emu, &cfg, emu.addr(), 1),
        HandshakeKind::Resumed
    );
    // A client without the cached session: a full handshake again.
    let fresh = client_config(&emu);
    assert_eq!(
        https_calls(&emu, &fresh, emu.addr(), 1),
        HandshakeKind::Full
    );
    let want = Counters {
        connections: 3,
        tls_full: 2,
        tls_resumed: 1,
        tls_failed: 0,
        requests: 4,
        too_many: 0,
    };
    assert_eq!(emu.counters(), want);
    // The control API says the same (over the plain port, which is not counted).
    let ctl = http(&emu.plain_url(), "GET", "/__emulator/counters", "");
    let v: serde_json::Value = serde_json::from_str(&ctl).unwrap();
    assert_eq!(v["connections"], 3);
    assert_eq!(v["tls_full"], 2);
    assert_eq!(v["tls_resumed"], 1);
    assert_eq!(v["requests"], 4);
    assert_eq!(v["too_many"], 0);
    assert_eq!(emu.counters(), want, "control connections are not counted");
    emu.reset();
    assert_eq!(emu.counters(), Counters::default());
}

#[test]
fn through_the_relay_resumption_saves_a_round_trip_and_is_counted() {
    let emu = Emulator::start(Config {
        tls: true,
        ..Config::default()
    })
    .unwrap();
    let rtt = Duration::from_millis(60);
    let relay = DelayRelay::start(emu.addr(), rtt).unwrap();
    let cfg = client_config(&emu);
    let t = std::time::Instant::now();
    assert_eq!(
        https_calls(&emu, &cfg, relay.addr(), 1),
        HandshakeKind::Full
    );
    // TCP (1 RTT) + TLS 1.3 (1 RTT) + the request (1 RTT).
    assert!(t.elapsed() >= 3 * rtt, "{:?}", t.elapsed());
    assert_eq!(
        https_calls(&emu, &cfg, relay.addr(), 1),
        HandshakeKind::Resumed
    );
    let c = emu.counters();
    assert_eq!((c.connections, c.tls_full, c.tls_resumed), (2, 1, 1));
    assert_eq!(relay.connections(), 2);
}

#[test]
fn a_refused_certificate_is_counted_as_a_failed_handshake() {
    let emu = Emulator::start(Config {
        tls: true,
        ..Config::default()
    })
    .unwrap();
    let other = Emulator::start(Config {
        tls: true,
        ..Config::default()
    })
    .unwrap();
    let cfg = client_config(&other); // trusts another certificate
    let conn = ClientConnection::new(cfg, ServerName::try_from("localhost").unwrap()).unwrap();
    let mut tls = StreamOwned::new(conn, TcpStream::connect(emu.addr()).unwrap());
    assert!(tls
        .write_all(&request(&emu, "1"))
        .and_then(|_| tls.flush())
        .is_err());
    for _ in 0..100 {
        if emu.counters().tls_failed == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let c = emu.counters();
    assert_eq!(
        (c.connections, c.tls_full, c.tls_failed, c.requests),
        (1, 0, 1, 0)
    );
}

/// A plain HTTP/1.1 exchange on a new connection; returns the body.
fn http(base: &str, method: &str, path: &str, body: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n").unwrap().1.to_string()
}

fn plain_statuses(emu: &Emulator, n: usize) -> Vec<u16> {
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    (0..n)
        .map(|_| {
            s.write_all(&request(emu, "10000000")).unwrap();
            read_answer(&mut r)
        })
        .collect()
}

#[test]
fn the_rate_limit_counts_every_arrival_and_429s_are_counted() {
    let emu = Emulator::start(Config {
        rate_limit: 3,
        ..Config::default()
    })
    .unwrap();
    // A request answered by a fault still arrived: it takes a place in the second.
    emu.push_fault(Fault::Status {
        status: 503,
        body: String::new(),
        headers: vec![],
    });
    assert_eq!(plain_statuses(&emu, 5), [503, 200, 200, 429, 429]);
    let c = emu.counters();
    assert_eq!((c.connections, c.requests, c.too_many), (1, 5, 2));
    // The limit is set over the control API too, and applies at once.
    let v = http(
        &emu.url(),
        "POST",
        "/__emulator/config",
        r#"{"rate_limit": 6}"#,
    );
    assert!(v.contains("\"rate_limit\":6"), "{v}");
    assert_eq!(
        plain_statuses(&emu, 2),
        [200, 429],
        "5 arrivals and this one"
    );
    std::thread::sleep(Duration::from_millis(1050));
    assert_eq!(plain_statuses(&emu, 7), [200, 200, 200, 200, 200, 200, 429]);
}

#[test]
fn concurrent_arrivals_get_exactly_the_limit() {
    let emu = Arc::new(
        Emulator::start(Config {
            rate_limit: 5,
            ..Config::default()
        })
        .unwrap(),
    );
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let emu = emu.clone();
            std::thread::spawn(move || plain_statuses(&emu, 3))
        })
        .collect();
    let all: Vec<u16> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    // 24 requests well within a second (a loaded machine could stretch them: then more pass,
    // but never more than 5 in any second, which the log shows).
    let ok = all.iter().filter(|s| **s == 200).count();
    assert!(ok >= 5, "{all:?}");
    let mut times: Vec<Duration> = emu
        .requests()
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.at)
        .collect();
    // The log is in the order requests were handled; the rule is about arrival times.
    times.sort();
    for (i, t) in times.iter().enumerate() {
        let in_second = times[i..]
            .iter()
            .filter(|u| **u - *t < Duration::from_secs(1))
            .count();
        assert!(in_second <= 5, "{in_second} answered within a second");
    }
    assert_eq!(emu.counters().too_many as usize, 24 - ok);
}

#[test]
fn accept_and_tls_delays_hold_the_first_answer_back() {
    let emu = Emulator::start(Config {
        tls: true,
        accept_delay: Duration::from_millis(150),
        tls_delay: Duration::from_millis(100),
        ..Config::default()
    })
    .unwrap();
    let cfg = client_config(&emu);
    let t = std::time::Instant::now();
    https_calls(&emu, &cfg, emu.addr(), 1);
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
    // Set at run time (and over the control API): no delay at all now.
    let v = http(
        &emu.plain_url(),
        "POST",
        "/__emulator/config",
        r#"{"accept_delay_ms": 0, "tls_delay_ms": 0}"#,
    );
    assert!(v.contains("\"accept_delay_ms\":0"), "{v}");
    emu.set_tls_delay(Duration::from_millis(120));
    let t = std::time::Instant::now();
    https_calls(&emu, &cfg, emu.addr(), 1);
    let d = t.elapsed();
    assert!(d >= Duration::from_millis(120), "{d:?}");
    let plain = Emulator::start_default().unwrap();
    plain.set_accept_delay(Duration::from_millis(120));
    let t = std::time::Instant::now();
    assert_eq!(plain_statuses(&plain, 2), [200, 200]);
    assert!(
        t.elapsed() >= Duration::from_millis(120),
        "{:?}",
        t.elapsed()
    );
}
