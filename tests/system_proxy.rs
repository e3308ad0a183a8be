//! The system's proxy is every client's default: here (Linux) the environment, read as curl
//! reads it when the client is made and again on ga_client_set_proxy("system"); "direct" and ""
//! override it; NO_PROXY is honoured; loopback hosts never go through it; a value that cannot
//! be used fails lookups with a message saying so. One test in its own binary: changing
//! environment variables is only safe while no other test thread runs.
//!
//! The apiUrl is `https://api.getavatar.test:PORT` (a name no resolver knows, in the emulator's
//! certificate): only a proxy that routes tunnels to the emulator reaches it, so a lookup that
//! succeeds went through the proxy, and one that goes direct fails on DNS.

mod common;

use std::ffi::CString;

use common::*;
use getavatar::internals::ffi::{ga_client_set_ca_file, ga_client_set_max_retries, GaStatus};
use getavatar_emulator::{Config, PROXIED_HOST};

/// A client for the TLS emulator under its proxied name, trusting its certificate, no retries.
fn proxied_client(e: &Emulator, ca: &str) -> Handle {
    let url = format!("https://{PROXIED_HOST}:{}", e.addr().port());
    let h = Handle::new(&url, &e.id_instance(), &e.token());
    let c = CString::new(ca).unwrap();
    assert_eq!(
        unsafe { ga_client_set_ca_file(h.0, c.as_ptr()) },
        GaStatus::GA_OK
    );
    assert_eq!(
        unsafe { ga_client_set_max_retries(h.0, 0) },
        GaStatus::GA_OK
    );
    h
}

/// A lookup that went direct: the name did not resolve, and no proxy is named.
fn assert_direct(r: &Res) {
    assert_eq!(r.name(), "GA_ERR_NETWORK", "{r:?}");
    let dns = r.err().contains("resolve") || r.err().contains("lookup address");
    assert!(
        dns && r.err().contains(PROXIED_HOST) && !r.err().contains("via proxy"),
        "{r:?}"
    );
}

#[test]
fn the_environment_is_the_default_proxy_and_direct_overrides_it() {
    clear_proxy_env();
    let e = Emulator::start(Config {
        tls: true,
        ..Config::default()
    })
    .unwrap();
    let ca = std::env::temp_dir().join(format!("getavatar-sysproxy-{}.pem", std::process::id()));
    std::fs::write(&ca, e.cert_pem().unwrap()).unwrap();
    let ca = ca.to_str().unwrap().to_string();
    let p = TestProxy::start(ProxyKind::HttpConnect, None).unwrap();
    p.route_all_to(e.addr());
    let target = format!("{PROXIED_HOST}:{}", e.addr().port());

    // No variable: direct.
    let h = proxied_client(&e, &ca);
    assert_direct(&h.get("10000000"));
    assert!(p.tunnels().is_empty());

    // HTTPS_PROXY, read when the client is made: no proxy call needed.
    std::env::set_var("HTTPS_PROXY", p.url());
    let h = proxied_client(&e, &ca);
    let r = h.get("10000000");
    assert_eq!(r.name(), "GA_OK", "{r:?}");
    assert_eq!(p.tunnels(), [target.as_str()]);

    // "direct" and "" override it; "system" returns to it (read again).
    for direct in ["direct", "DIRECT", ""] {
        assert_eq!(h.set_proxy(direct), 0, "{}", last_error());
        assert_direct(&h.get("10000000"));
    }
    assert_eq!(p.tunnels().len(), 1);
    assert_eq!(h.set_proxy("system"), 0, "{}", last_error());
    assert_eq!(h.get("10000000").name(), "GA_OK");
    assert_eq!(p.tunnels().len(), 2);

    // NO_PROXY (curl's forms) sends the host direct, on "system" as on a new client.
    for no_proxy in ["getavatar.test", ".getavatar.test", "*"] {
        std::env::set_var("NO_PROXY", no_proxy);
        assert_eq!(h.set_proxy("system"), 0);
        assert_direct(&h.get("10000000"));
        assert_direct(&proxied_client(&e, &ca).get("10000000"));
    }
    assert_eq!(p.tunnels().len(), 2);
    std::env::remove_var("NO_PROXY");

    // ALL_PROXY when no HTTPS_PROXY is set; the message names where the proxy came from.
    std::env::remove_var("HTTPS_PROXY");
    let other = TestProxy::start(ProxyKind::HttpConnect, None).unwrap();
    other.route_all_to(e.addr());
    std::env::set_var("ALL_PROXY", other.url());
    let h2 = proxied_client(&e, &ca);
    let r = h2.get("10000000");
    assert_eq!(r.name(), "GA_OK", "{r:?}");
    assert_eq!(other.tunnels(), [target.as_str()]);

    // Loopback hosts never go through a system proxy (the emulator over plain http).
    std::env::set_var("http_proxy", other.url());
    std::env::set_var("HTTPS_PROXY", other.url());
    let plain = Emulator::start_default().unwrap();
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("http://{host}:{}", plain.addr().port());
        let h = Handle::new(&url, &plain.id_instance(), &plain.token());
        assert_eq!(h.get("10000000").name(), "GA_OK", "{host}");
    }
    assert_eq!(other.tunnels().len(), 1, "loopback went direct");
    assert_eq!(plain.request_count(), 2);

    // A value that cannot be used: the client is made, lookups fail saying why, "direct" helps.
    std::env::set_var("HTTPS_PROXY", "ftp://envuser:envpass-77@127.0.0.1:1");
    let h3 = proxied_client(&e, &ca);
    let r = h3.get("10000000");
    assert_eq!(r.name(), "GA_ERR_NETWORK", "{r:?}");
    assert!(
        r.err().starts_with(
            "the system proxy cannot be used: environment variable HTTPS_PROXY: proxy URL"
        ) && r.err().contains("\"direct\""),
        "{r:?}"
    );
    assert!(
        !r.err().contains("envuser") && !r.err().contains("envpass"),
        "{r:?}"
    );
    assert_eq!(h3.set_proxy("direct"), 0);
    assert_direct(&h3.get("10000000"));

    // A failure through a system proxy names it and where it came from.
    std::env::set_var("HTTPS_PROXY", "http://127.0.0.1:1");
    assert_eq!(h3.set_proxy("system"), 0);
    let r = h3.get("10000000");
    assert!(
        r.err()
            .contains("proxy http://127.0.0.1:1 from environment variable HTTPS_PROXY"),
        "{r:?}"
    );
    clear_proxy_env();
    let _ = std::fs::remove_file(&ca);
}
