//! Issue 23: what a kept-alive connection may carry. A server (or a proxy) that sends a second,
//! unrequested answer on a kept connection a moment after the first must never have that answer
//! taken for the next lookup's: before a pooled connection carries a request, the library looks
//! (without waiting) whether bytes or a close are waiting on it, and drops it if so. Plain HTTP
//! and TLS, through the C ABI.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::*;

/// The token the hostile server's clients use (long enough to be a token).
const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef00";

/// One HTTP/1.1 request's body, read off `r` (None when the client closed).
fn read_request(r: &mut BufReader<impl Read>) -> Option<String> {
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some(String::from_utf8_lossy(&body).into_owned())
}

/// A keep-alive answer whose avatar link names `who`.
fn answer(who: &str) -> Vec<u8> {
    let body = format!(r#"{{"urlAvatar":"https://pps.example/{who}.jpg","available":true}}"#);
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The chat id in a getAvatar body.
fn chat_id(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["chatId"].as_str().unwrap().to_string()
}

/// Serves one connection: each request is answered at once, and 50 ms later an unrequested
/// answer naming `EVIL` follows on the same connection (in its own packet). Writes are
/// serialised, so the late answer never lands inside another.
fn serve<S: Read + Write + Send + 'static>(
    reader: impl Read,
    writer: Arc<Mutex<S>>,
    requests: &AtomicUsize,
) {
    let mut r = BufReader::new(reader);
    while let Some(body) = read_request(&mut r) {
        requests.fetch_add(1, Ordering::SeqCst);
        let id = chat_id(&body);
        {
            let mut w = writer.lock().unwrap();
            if w.write_all(&answer(&id)).and_then(|_| w.flush()).is_err() {
                return;
            }
        }
        let w = writer.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            let mut w = w.lock().unwrap();
            let _ = w.write_all(&answer("EVIL")).and_then(|_| w.flush());
        });
    }
}

/// A plain-HTTP hostile server; its URL, connection count and request count.
fn plain_server() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let (conns, reqs) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, q) = (conns.clone(), reqs.clone());
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            c.fetch_add(1, Ordering::SeqCst);
            let q = q.clone();
            thread::spawn(move || {
                let reader = s.try_clone().unwrap();
                serve(reader, Arc::new(Mutex::new(s)), &q);
            });
        }
    });
    (url, conns, reqs)
}

/// The ids asked for, one after another with `gap` between calls, and the links answered.
fn lookups(c: &Handle, ids: &[&str], gap: Duration) -> Vec<String> {
    ids.iter()
        .map(|id| {
            thread::sleep(gap);
            let r = c.get(id);
            assert_eq!(r.status, 0, "lookup {id}: {r:?}");
            r.url
        })
        .collect()
}

fn want(ids: &[&str]) -> Vec<String> {
    ids.iter()
        .map(|id| format!("https://pps.example/{id}.jpg"))
        .collect()
}

const IDS: [&str; 8] = [
    "11111111", "22222222", "33333333", "44444444", "55555555", "66666666", "77777777", "88888888",
];

#[test]
fn a_late_unrequested_answer_is_never_the_next_lookups_answer() {
    let (url, conns, reqs) = plain_server();
    let c = Handle::new(&url, "1101000001", TOKEN);
    assert_eq!(c.set_rate(0), 0);
    // Each call comes 150 ms after the last: the late answer (50 ms) is waiting by then.
    let got = lookups(&c, &IDS, Duration::from_millis(150));
    assert_eq!(got, want(&IDS));
    // Each call found the connection spoiled and opened a new one; none was resent.
    assert_eq!(reqs.load(Ordering::SeqCst), IDS.len());
    assert_eq!(conns.load(Ordering::SeqCst), IDS.len());
}

/// A TLS hostile server (the certificate's PEM returned for the CA file): its URL, connection
/// count and request count.
fn tls_server() -> (String, String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let pem = cert.pem();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let config = Arc::new(config);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://localhost:{}", l.local_addr().unwrap().port());
    let (conns, reqs) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, q) = (conns.clone(), reqs.clone());
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            c.fetch_add(1, Ordering::SeqCst);
            let (q, config) = (q.clone(), config.clone());
            thread::spawn(move || serve_tls(s, config, &q));
        }
    });
    (url, pem, conns, reqs)
}

/// One TLS connection: the handshake, then requests read in small non-blocking steps so that
/// the late answers can be written from another thread meanwhile.
fn serve_tls(s: TcpStream, config: Arc<rustls::ServerConfig>, requests: &AtomicUsize) {
    let conn = rustls::ServerConnection::new(config).unwrap();
    let tls = Arc::new(Mutex::new(rustls::StreamOwned::new(conn, s)));
    s_read_timeout(&tls);
    serve(SharedReader(tls.clone()), tls, requests);
}

fn s_read_timeout(tls: &Arc<Mutex<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>>) {
    let t = tls.lock().unwrap();
    t.sock
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
}

/// Reads a TLS stream shared with writers: holds the lock only for one short read.
struct SharedReader(Arc<Mutex<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>>);

impl Read for SharedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let r = self.0.lock().unwrap().read(buf);
            match r {
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    thread::sleep(Duration::from_millis(1));
                }
                r => return r,
            }
        }
    }
}

/// A client of the TLS server that trusts its certificate.
fn tls_client(url: &str, pem: &str) -> Handle {
    let c = Handle::new(url, "1101000001", TOKEN);
    assert_eq!(c.set_rate(0), 0);
    let path = std::env::temp_dir().join(format!("ga-keepalive-{}.pem", std::process::id()));
    std::fs::write(&path, pem).unwrap();
    let p = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(
        unsafe { getavatar::internals::ffi::ga_client_set_ca_file(c.0, p.as_ptr()) },
        getavatar::internals::ffi::GaStatus::GA_OK
    );
    let _ = std::fs::remove_file(&path);
    c
}

#[test]
fn a_late_answer_over_tls_is_never_the_next_lookups_answer() {
    let (url, pem, conns, reqs) = tls_server();
    let c = tls_client(&url, &pem);
    let got = lookups(&c, &IDS, Duration::from_millis(150));
    assert_eq!(got, want(&IDS));
    assert_eq!(reqs.load(Ordering::SeqCst), IDS.len());
    assert_eq!(conns.load(Ordering::SeqCst), IDS.len());
}

/// A server that answers the first request on each connection, then 50 ms later sends
/// `408 Request Timeout` and closes it (as some servers do with idle keep-alive connections):
/// its URL and connection count.
fn timeout_408_server() -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let conns = Arc::new(AtomicUsize::new(0));
    let c = conns.clone();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            c.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                let Some(body) = read_request(&mut r) else {
                    return;
                };
                let _ = s.write_all(&answer(&chat_id(&body)));
                thread::sleep(Duration::from_millis(50));
                let _ = s.write_all(
                    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                );
                let _ = s.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (url, conns)
}

#[test]
fn a_408_sent_on_an_idle_connection_is_not_the_next_answer() {
    let (url, conns) = timeout_408_server();
    let c = Handle::new(&url, "1101000001", TOKEN);
    assert_eq!(c.set_rate(0), 0);
    assert_eq!(c.set_retries(0), 0);
    let ids = &IDS[..4];
    assert_eq!(lookups(&c, ids, Duration::from_millis(150)), want(ids));
    assert_eq!(conns.load(Ordering::SeqCst), ids.len());
}
