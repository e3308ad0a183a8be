//! Proxies: HTTP CONNECT and SOCKS5 (with and without letting the proxy resolve names), with
//! credentials that never appear in a message, through loopback proxies the tests start.

mod common;

use common::*;
use getavatar::internals::ffi::GaStatus;

const USER: &str = "proxy-user-7";
const PASS: &str = "s3cret:p@ss/w0rd";
const PASS_ENC: &str = "s3cret%3Ap%40ss%2Fw0rd";

fn no_secret(r: &Res) {
    for s in [r.err(), &last_error()] {
        for secret in [USER, PASS, PASS_ENC, "p@ss", "w0rd"] {
            assert!(!s.contains(secret), "{secret:?} leaked: {s}");
        }
    }
}

fn start(kind: ProxyKind) -> TestProxy {
    TestProxy::start(kind, Some((USER, PASS))).unwrap()
}

#[test]
fn http_connect_proxy_carries_lookups_and_downloads() {
    let e = Emulator::start_default().unwrap();
    let p = start(ProxyKind::HttpConnect);
    let h = Handle::for_emu(&e);
    assert_eq!(
        h.set_proxy(&p.url_with(Some((USER, PASS_ENC)))),
        0,
        "{}",
        last_error()
    );
    let r = h.get("10000000");
    assert_eq!(r.name(), "GA_OK", "{r:?}");
    let b = h.download_bytes("-10000000000000");
    assert_eq!(b.data.as_deref(), Some(AVATAR_PNG));
    let port = e.addr().port();
    let t = p.tunnels();
    assert!(
        !t.is_empty() && t.iter().all(|x| *x == format!("127.0.0.1:{port}")),
        "{t:?}"
    );
    assert_eq!(e.request_count(), 2);
    assert!(p.refusals().is_empty(), "{:?}", p.refusals());
    // Off again: direct, no new tunnel.
    assert_eq!(h.set_proxy(""), 0);
    let n = p.tunnels().len();
    assert_eq!(h.get("10000000").name(), "GA_OK");
    assert_eq!(p.tunnels().len(), n);
}

#[test]
fn wrong_http_proxy_credentials_fail_at_once_without_echoing_them() {
    let e = Emulator::start_default().unwrap();
    let p = start(ProxyKind::HttpConnect);
    let h = Handle::for_emu(&e);
    for url in [
        p.url_with(Some((USER, "wrong-password-1"))),
        p.url_with(None),
    ] {
        assert_eq!(h.set_proxy(&url), 0);
        let r = h.get("10000000");
        no_secret(&r);
        assert_eq!(r.name(), "GA_ERR_NETWORK", "{r:?}");
        assert!(
            r.err().contains("(HTTP 407): check the credentials"),
            "{r:?}"
        );
        assert!(!r.err().contains("wrong-password-1"), "{r:?}");
        let shown = if url.contains('@') {
            format!("the proxy http://***@{} wants", p.addr())
        } else {
            format!("the proxy http://{} wants", p.addr())
        };
        assert!(r.err().starts_with(&shown), "{r:?}");
    }
    assert_eq!(p.refusals().len(), 2, "not retried: {:?}", p.refusals());
    assert_eq!(e.request_count(), 0);
}

#[test]
fn socks5_proxy_with_local_and_proxy_side_name_resolution() {
    let e = Emulator::start_default().unwrap();
    let p = start(ProxyKind::Socks5);
    let port = e.addr().port();
    // apiUrl by name, so that the proxy sees either the resolved address or the name.
    let h = Handle::new(
        &format!("http://localhost:{port}"),
        &e.id_instance(),
        &e.token(),
    );
    assert_eq!(h.set_backoff(1), 0);
    let enc = p.url_with(Some((USER, PASS_ENC)));
    assert_eq!(h.set_proxy(&enc), 0, "{}", last_error());
    assert_eq!(h.get("10000000").name(), "GA_OK");
    let t = p.tunnels();
    assert!(
        t[0] == format!("127.0.0.1:{port}") || t[0] == format!("[::1]:{port}"),
        "{t:?}"
    );
    assert_eq!(h.set_proxy(&enc.replace("socks5://", "socks5h://")), 0);
    let b = h.download_bytes("10000000");
    assert_eq!(b.res.name(), "GA_OK", "{:?}", b.res);
    let t = p.tunnels();
    assert_eq!(
        t.last().unwrap(),
        &format!("127.0.0.1:{port}"),
        "image links use the emulator's address"
    );
    assert!(
        t.contains(&format!("localhost:{port}")),
        "socks5h sends the name: {t:?}"
    );
}

#[test]
fn wrong_socks5_credentials_fail_at_once_without_echoing_them() {
    let e = Emulator::start_default().unwrap();
    let p = start(ProxyKind::Socks5);
    let h = Handle::for_emu(&e);
    assert_eq!(
        h.set_proxy(&p.url_with(Some((USER, "wrong-password-1")))),
        0
    );
    let r = h.get("10000000");
    no_secret(&r);
    assert_eq!(r.name(), "GA_ERR_NETWORK");
    assert!(
        r.err().contains("refused the user name or password"),
        "{r:?}"
    );
    assert!(!r.err().contains("wrong-password-1"), "{r:?}");
    assert_eq!(p.refusals().len(), 1, "not retried");
}

#[test]
fn an_unreachable_proxy_is_named_without_credentials() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for scheme in ["http", "socks5"] {
        let url = format!("{scheme}://{USER}:{PASS_ENC}@{dead}");
        assert_eq!(h.set_proxy(&url), 0);
        assert_eq!(h.set_retries(1), 0);
        let r = h.get("10000000");
        no_secret(&r);
        assert_eq!(r.name(), "GA_ERR_NETWORK", "{r:?}");
        let shown = format!("connection to the proxy {scheme}://***@{dead} refused");
        assert!(r.err().starts_with(&shown), "{r:?}");
        assert!(r.err().contains("gave up after 2 attempts"), "{r:?}");
    }
    assert_eq!(e.request_count(), 0);
}

#[test]
fn invalid_proxy_urls_are_refused_and_the_old_setting_kept() {
    let e = Emulator::start_default().unwrap();
    let p = start(ProxyKind::HttpConnect);
    let h = Handle::for_emu(&e);
    assert_eq!(h.set_proxy(&p.url_with(Some((USER, PASS_ENC)))), 0);
    for bad in [
        format!("ftp://{USER}:{PASS_ENC}@127.0.0.1:1"),
        format!("https://{USER}:{PASS_ENC}@127.0.0.1:1"),
        format!("http://{USER}:{PASS}@127.0.0.1:1"),
        format!("http://{USER}:{PASS_ENC}@127.0.0.1:70000"),
        format!("http://{USER}:{PASS_ENC}%FF@127.0.0.1:1"),
        format!("socks5://{USER}:{}@127.0.0.1:1", "x".repeat(300)),
    ] {
        assert_eq!(h.set_proxy(&bad), 1, "{bad}");
        let m = last_error();
        assert!(m.starts_with("proxy URL"), "{m}");
        for secret in [USER, PASS, PASS_ENC, "xxxxxxxx"] {
            assert!(!m.contains(secret), "{secret:?} leaked: {m}");
        }
    }
    let r = h.get("10000000");
    assert_eq!(r.name(), "GA_OK");
    assert_eq!(p.tunnels().len(), 1, "still through the proxy");
    unsafe {
        assert_eq!(
            getavatar::internals::ffi::ga_client_set_proxy(h.0, std::ptr::null()),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last_error(), "url is NULL");
        assert_eq!(
            getavatar::internals::ffi::ga_client_set_proxy(std::ptr::null_mut(), std::ptr::null()),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            getavatar::internals::ffi::ga_client_use_env_proxy(std::ptr::null_mut()),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last_error(), "client is NULL");
    }
}

#[test]
fn a_proxy_offering_only_ntlm_or_negotiate_fails_at_once_saying_what_it_wants() {
    let e = Emulator::start_default().unwrap();
    let p = TestProxy::start(ProxyKind::HttpConnect, None).unwrap();
    let h = Handle::for_emu(&e);
    assert_eq!(h.set_proxy(&p.url_with(Some((USER, PASS_ENC)))), 0);
    p.challenge_with(Some(&["Negotiate", "NTLM", "Kerberos realm=\"CORP\""]));
    let r = h.get("10000000");
    no_secret(&r);
    assert_eq!(r.name(), "GA_ERR_NETWORK", "{r:?}");
    let want = format!(
        "the proxy http://***@{} asks for Negotiate, NTLM, Kerberos authentication (HTTP 407)",
        p.addr()
    );
    assert!(r.err().starts_with(&want), "{r:?}");
    for part in ["allow Basic", "127.0.0.1", "user:password@"] {
        assert!(r.err().contains(part), "{part}: {r:?}");
    }
    assert_eq!(p.refusals().len(), 1, "not retried: {:?}", p.refusals());
    // Offering Basic too: the credentials message, also not retried.
    p.challenge_with(Some(&["NTLM", "Basic realm=\"corp\""]));
    let r = h.get("10000000");
    assert!(
        r.err().contains("(HTTP 407): check the credentials"),
        "{r:?}"
    );
    assert_eq!(p.refusals().len(), 2);
    assert_eq!(e.request_count(), 0);
}

/// A proxy that answers every CONNECT with `status`; counts the requests.
fn refusing_proxy(
    status: &'static str,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&n);
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let mut r = BufReader::new(c.try_clone().unwrap());
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|k| k > 0) && line != "\r\n" {
                line.clear();
            }
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = write!(
                c,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, n)
}

#[test]
fn a_proxy_that_refuses_the_tunnel_with_403_is_not_asked_again() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let (url, asked) = refusing_proxy("403 Forbidden");
    assert_eq!(h.set_proxy(&url), 0);
    let r = h.get("10000000");
    assert_eq!(r.name(), "GA_ERR_NETWORK", "{r:?}");
    assert!(
        r.err().contains("would not open a tunnel") && r.err().contains("HTTP 403"),
        "{r:?}"
    );
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1, "{r:?}");
    // A proxy's 502 (the far side is down) may pass: retried.
    let (url, asked) = refusing_proxy("502 Bad Gateway");
    assert_eq!(h.set_proxy(&url), 0);
    let r = h.get("10000000");
    assert_eq!(r.name(), "GA_ERR_NETWORK", "{r:?}");
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 4, "{r:?}");
}
