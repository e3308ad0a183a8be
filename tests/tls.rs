//! TLS is really checked: a self-signed HTTPS server on 127.0.0.1 is refused with GA_ERR_NETWORK
//! and a message naming the certificate problem; trusting its certificate with
//! ga_client_set_ca_file makes the same call succeed.

mod common;

use std::ffi::CString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use getavatar::internals::ffi::{ga_client_set_ca_file, GaStatus};

/// An HTTPS server with a fresh self-signed certificate for localhost and 127.0.0.1.
struct TlsServer {
    port: u16,
    cert_pem: String,
    served: Arc<AtomicUsize>,
}

fn start_tls_server(bind: &str) -> TlsServer {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert_pem = cert.cert.pem();
    let cert_der = cert.cert.der().clone();
    let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert_der], key_der)
            .unwrap(),
    );
    let listener = TcpListener::bind((bind, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (config, count) = (config.clone(), count.clone());
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut reader = BufReader::new(&mut tls);
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return; // the client gave up (certificate refused)
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                let answer = r#"{"urlAvatar":"https://i.oneme.ru/i?r=tls","available":true}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                count.fetch_add(1, Ordering::SeqCst);
                let _ = tls.write_all(resp.as_bytes());
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    TlsServer {
        port,
        cert_pem,
        served,
    }
}

#[test]
fn self_signed_certificate_is_refused_then_trusted_with_a_ca_file() {
    let srv = start_tls_server("127.0.0.1");
    let c = Handle::new(
        &format!("https://localhost:{}", srv.port),
        "3100000001",
        "tlstoken123",
    );
    assert_eq!(c.set_backoff(1), 0);
    let r = c.get("10000000");
    assert_eq!(
        (r.name(), r.http),
        ("GA_ERR_NETWORK".to_string(), 0),
        "{}",
        r.err()
    );
    assert!(
        r.err().contains("certificate") && r.err().contains("UnknownIssuer"),
        "names the problem: {}",
        r.err()
    );
    assert!(
        !r.err().contains("after"),
        "a certificate problem is not retried: {}",
        r.err()
    );
    assert_eq!(
        srv.served.load(Ordering::SeqCst),
        0,
        "nothing was sent over the untrusted connection"
    );

    // Bad CA files are refused with reasons, and change nothing.
    let dir = std::env::temp_dir().join(format!("ga-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    for (p, want) in [
        (dir.join("missing.pem"), "cannot read CA file"),
        (junk, "is not a certificate: 18 bytes of text"),
    ] {
        let cp = CString::new(p.to_str().unwrap()).unwrap();
        assert_eq!(
            unsafe { ga_client_set_ca_file(c.0, cp.as_ptr()) },
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert!(last_error().contains(want), "{}", last_error());
    }
    assert_eq!(
        unsafe { ga_client_set_ca_file(c.0, std::ptr::null()) },
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        unsafe { ga_client_set_ca_file(std::ptr::null_mut(), c"x".as_ptr()) },
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
    assert_eq!(c.get("10000000").status, 10, "still refused");

    let pem = dir.join("proxy-root.pem");
    std::fs::write(&pem, &srv.cert_pem).unwrap();
    let cp = CString::new(pem.to_str().unwrap()).unwrap();
    assert_eq!(
        unsafe { ga_client_set_ca_file(c.0, cp.as_ptr()) },
        GaStatus::GA_OK,
        "{}",
        last_error()
    );
    let r = c.get("10000000");
    assert_eq!(
        (r.status, r.http, r.url.as_str()),
        (0, 200, "https://i.oneme.ru/i?r=tls"),
        "{}",
        r.err()
    );
    assert_eq!(srv.served.load(Ordering::SeqCst), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_trusted_root_does_not_excuse_a_certificate_for_another_name() {
    // The certificate is for localhost/127.0.0.1; asking for it under another name fails even
    // once its root is trusted: host names are verified too.
    let srv = start_tls_server("127.0.0.2");
    let c = Handle::new(&format!("https://127.0.0.2:{}", srv.port), "1", "tok");
    let dir = std::env::temp_dir().join(format!("ga-tls2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("root.pem");
    std::fs::write(&pem, &srv.cert_pem).unwrap();
    let cp = CString::new(pem.to_str().unwrap()).unwrap();
    assert_eq!(
        unsafe { ga_client_set_ca_file(c.0, cp.as_ptr()) },
        GaStatus::GA_OK
    );
    assert_eq!(c.set_retries(0), 0);
    let r = c.get("10000000");
    assert_eq!(r.status, 10, "{}", r.err());
    assert!(
        r.err().contains("certificate not valid for name")
            && !r.err().contains("ga_client_set_ca_file"),
        "{}",
        r.err()
    );
    assert_eq!(srv.served.load(Ordering::SeqCst), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn https_through_an_http_connect_proxy_is_tls_from_end_to_end() {
    // The proxy only sees the tunnel's target; the certificate is still checked against
    // "localhost", so a proxy cannot stand in for the server.
    let srv = start_tls_server("127.0.0.1");
    let proxy = TestProxy::start(ProxyKind::HttpConnect, Some(("u", "p"))).unwrap();
    let c = Handle::new(
        &format!("https://localhost:{}", srv.port),
        "3100000001",
        "tlstoken123",
    );
    assert_eq!(c.set_proxy(&proxy.url()), 0, "{}", last_error());
    let dir = std::env::temp_dir().join(format!("ga-tls3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("root.pem");
    std::fs::write(&pem, &srv.cert_pem).unwrap();
    let cp = CString::new(pem.to_str().unwrap()).unwrap();
    assert_eq!(
        unsafe { ga_client_set_ca_file(c.0, cp.as_ptr()) },
        GaStatus::GA_OK
    );
    let r = c.get("10000000");
    assert_eq!(
        (r.status, r.url.as_str()),
        (0, "https://i.oneme.ru/i?r=tls"),
        "{}",
        r.err()
    );
    assert_eq!(proxy.tunnels(), [format!("localhost:{}", srv.port)]);
    assert_eq!(srv.served.load(Ordering::SeqCst), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
