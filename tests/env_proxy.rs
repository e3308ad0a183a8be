//! ga_client_use_env_proxy against the real process environment. One test in its own binary:
//! changing environment variables is only safe while no other test thread runs.

mod common;

use common::*;
use getavatar::internals::ffi::{ga_client_use_env_proxy, GaStatus};

#[test]
fn environment_proxies_are_opt_in_and_follow_curls_rules() {
    let e = Emulator::start_default().unwrap();
    let p = TestProxy::start(ProxyKind::Socks5, Some(("envuser", "envpass-77"))).unwrap();
    let h = Handle::for_emu(&e);
    clear_proxy_env();
    std::env::set_var("ALL_PROXY", p.url());
    // Not used until asked for.
    assert_eq!(h.get("10000000").name(), "GA_OK");
    assert!(p.tunnels().is_empty());
    assert_eq!(
        unsafe { ga_client_use_env_proxy(h.0) },
        GaStatus::GA_OK,
        "{}",
        last_error()
    );
    assert_eq!(h.get("10000000").name(), "GA_OK");
    assert_eq!(p.tunnels().len(), 1);
    // apiUrl is http://: HTTPS_PROXY does not apply, and HTTP_PROXY (upper case) is ignored as
    // curl ignores it; http_proxy wins over ALL_PROXY.
    let http = TestProxy::start(ProxyKind::HttpConnect, None).unwrap();
    std::env::set_var("HTTPS_PROXY", "http://127.0.0.1:1");
    std::env::set_var("HTTP_PROXY", "http://127.0.0.1:1");
    std::env::set_var("http_proxy", http.url());
    assert_eq!(
        unsafe { ga_client_use_env_proxy(h.0) },
        GaStatus::GA_OK,
        "{}",
        last_error()
    );
    assert_eq!(h.get("10000000").name(), "GA_OK");
    assert_eq!((p.tunnels().len(), http.tunnels().len()), (1, 1));
    // NO_PROXY: the emulator's address is reached directly.
    std::env::set_var("NO_PROXY", "example.com, 127.0.0.1");
    assert_eq!(unsafe { ga_client_use_env_proxy(h.0) }, GaStatus::GA_OK);
    assert_eq!(h.get("10000000").name(), "GA_OK");
    assert_eq!(http.tunnels().len(), 1, "bypassed");
    std::env::set_var("NO_PROXY", "*");
    assert_eq!(unsafe { ga_client_use_env_proxy(h.0) }, GaStatus::GA_OK);
    assert_eq!(h.get("10000000").name(), "GA_OK");
    assert_eq!(http.tunnels().len(), 1, "bypassed");
    std::env::remove_var("NO_PROXY");
    // An invalid value names the variable, hides the credentials, and keeps the old setting
    // (here: NO_PROXY=* from the last call, so still direct).
    std::env::set_var("http_proxy", "ftp://envuser:envpass-77@127.0.0.1:1");
    assert_eq!(
        unsafe { ga_client_use_env_proxy(h.0) },
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
    let m = last_error();
    assert!(
        m.starts_with("environment variable http_proxy: proxy URL"),
        "{m}"
    );
    assert!(!m.contains("envuser") && !m.contains("envpass"), "{m}");
    assert_eq!(h.get("10000000").name(), "GA_OK");
    // Nothing set: direct.
    clear_proxy_env();
    assert_eq!(unsafe { ga_client_use_env_proxy(h.0) }, GaStatus::GA_OK);
    assert_eq!(h.get("10000000").name(), "GA_OK");
    assert_eq!((p.tunnels().len(), http.tunnels().len()), (1, 1));
    assert_eq!(e.request_count(), 7);
}
