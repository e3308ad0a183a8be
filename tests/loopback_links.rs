//! Issue 23: an avatar link (a URL the server chose) that points at this machine, such as
//! `http://127.0.0.1:PORT/admin`, is fetched only when apiUrl itself is on loopback (the
//! emulator, tests, a local gateway). Its own binary: it sets the proxy variables.

mod common;

use std::ffi::CString;
use std::path::{Path, PathBuf};

use common::*;
use getavatar::internals::ffi::GaStatus;

fn folder(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ga-links-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A plain HTTP image server on 127.0.0.1: its port and how many connections it accepted.
fn counting_image_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let mut out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                AVATAR_PNG.len()
            )
            .into_bytes();
            out.extend_from_slice(AVATAR_PNG);
            let _ = stream.write_all(&out);
        }
    });
    (port, hits)
}

#[test]
fn loopback_image_links_are_fetched_only_when_the_api_is_on_loopback() {
    // Issue 23: a link the server chose may not reach into the user's own machine, unless the
    // API itself is there (the emulator, a local gateway).
    use getavatar_emulator::{Config, PROXIED_HOST};
    use std::sync::atomic::Ordering;
    let (port, hits) = counting_image_server();
    let links = [
        format!("http://127.0.0.1:{port}/admin"),
        format!("http://localhost:{port}/admin"),
        format!("http://[::ffff:127.0.0.1]:{port}/admin"),
        format!("http://127.1.2.3:{port}/admin"),
    ];

    // The API on loopback: loopback links work.
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    e.set_avatar("50000002", &links[0], Some(true));
    let img = h.download_bytes("50000002");
    assert_eq!(img.res.name(), "GA_OK", "{:?}", img.res);
    assert_eq!(img.data.as_deref(), Some(AVATAR_PNG));
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // The API elsewhere (a name that is not loopback, reached through the system's proxy, which
    // loopback addresses bypass): refused, and the image server never hears of it.
    let e = Emulator::start(Config {
        tls: true,
        ..Config::default()
    })
    .unwrap();
    let p = TestProxy::start(ProxyKind::HttpConnect, None).unwrap();
    p.route_all_to(e.addr());
    let url = format!("https://{PROXIED_HOST}:{}", e.addr().port());
    clear_proxy_env();
    std::env::set_var("HTTPS_PROXY", p.url());
    std::env::set_var("HTTP_PROXY", p.url());
    let h = Handle::new(&url, &e.id_instance(), &e.token());
    assert_eq!(h.set_retries(2), 0);
    let d = folder("loopback-links");
    let ca = d.join("ca.pem");
    std::fs::write(&ca, e.cert_pem().unwrap()).unwrap();
    let ca = CString::new(s(&ca)).unwrap();
    assert_eq!(
        unsafe { getavatar::internals::ffi::ga_client_set_ca_file(h.0, ca.as_ptr()) },
        GaStatus::GA_OK
    );
    for link in &links {
        e.set_avatar("50000003", link, Some(true));
        let p = d.join("a.png");
        let r = h.download("50000003", s(&p));
        assert_eq!(r.name(), "GA_ERR_BAD_RESPONSE", "{link}: {r:?}");
        assert_eq!(r.url, *link, "the answer is kept");
        assert!(r.err().contains("points at this machine"), "{r:?}");
        assert!(!p.exists());
        let img = h.download_bytes("50000003");
        assert_eq!(
            img.res.name(),
            "GA_ERR_BAD_RESPONSE",
            "{link}: {:?}",
            img.res
        );
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "no connection to the image server"
    );
    // The lookup itself went through the proxy and worked.
    assert!(!p.tunnels().is_empty());
}
