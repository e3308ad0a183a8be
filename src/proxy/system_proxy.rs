//! The proxy the system names: every client's default. First the environment, read as curl
//! reads it (see [`crate::proxy::proxy_from_env`]); on Windows, when the environment names no
//! proxy, the current user's Internet Options through WinHTTP (`winhttp`): a static proxy with
//! its bypass list, or a PAC script (`AutoConfigURL` or auto-detect) evaluated by WinHTTP for
//! apiUrl. Loopback hosts (`localhost`, 127.0.0.0/8, `[::1]`, matched exactly) never go through
//! a system proxy: a proxy elsewhere cannot reach this machine's loopback.
//!
//! The choice is made for apiUrl; image downloads use the same proxy, with the bypass rules
//! (NO_PROXY, or the Internet Options' bypass list) applied per host.

use super::rules::{is_loopback_host, loopback_rules, way_out, Chosen};
use crate::messages::Msg;
use crate::proxy;

/// The system's proxy for apiUrl (`scheme`, `host`), with `env` as the environment: None means
/// direct; an error is a setting that cannot be used (lookups then fail with it).
pub(crate) fn system_proxy(
    https: bool,
    base_url: &str,
    host: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Chosen>, String> {
    if let Some((name, value)) = proxy::proxy_from_env(https, &env) {
        let u = proxy::parse_proxy_url(value.trim()).map_err(|error| {
            Msg::SystemProxyEnvBad {
                name,
                error,
                way_out: way_out(),
            }
            .text()
        })?;
        let mut rules = ["no_proxy", "NO_PROXY"]
            .iter()
            .find_map(|k| env(k).filter(|v| !v.trim().is_empty()))
            .map(|v| proxy::no_proxy_rules(&v))
            .unwrap_or_default();
        rules.extend(loopback_rules());
        return Ok(Some((u, rules, Msg::FromEnvVar { name }.text())));
    }
    if is_loopback_host(host) {
        return Ok(None);
    }
    os_proxy(https, base_url, host)
}

#[cfg(windows)]
fn os_proxy(https: bool, base_url: &str, host: &str) -> Result<Option<Chosen>, String> {
    crate::sys::winhttp::internet_options(https, base_url, host)
}

#[cfg(not(windows))]
fn os_proxy(_https: bool, _base_url: &str, _host: &str) -> Result<Option<Chosen>, String> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_comes_first_and_loopback_never_goes_through_a_system_proxy() {
        let env = |k: &str| match k {
            "HTTPS_PROXY" => Some("http://u:pw@p.corp:3128".to_string()),
            "NO_PROXY" => Some("example.org".to_string()),
            _ => None,
        };
        let (u, rules, from) = system_proxy(true, "https://api.x/", "api.x", env)
            .unwrap()
            .unwrap();
        assert_eq!(u.shown(), "http://***@p.corp:3128");
        assert_eq!(from, "environment variable HTTPS_PROXY");
        let p = u.to_ureq(&rules).unwrap();
        for (uri, bypass) in [
            ("https://example.org/", true),
            ("https://api.x/", false),
            ("http://127.0.0.1:9/", true),
            ("http://127.5.6.7:9/", false),
            ("http://127.evil.example:9/", false),
            ("http://127.0.0.1.evil.example:9/", false),
            ("http://evil-localhost:9/", false),
            ("http://localhost:9/", true),
            ("http://a.localhost:9/", true),
            ("http://[::1]:9/", true),
            ("http://128.0.0.1:9/", false),
        ] {
            assert_eq!(p.is_no_proxy(&uri.parse().unwrap()), bypass, "{uri}");
        }
        let bad = |k: &str| (k == "ALL_PROXY").then(|| "ftp://u:secretpw@h".to_string());
        let e = system_proxy(true, "https://api.x/", "api.x", bad).unwrap_err();
        assert!(
            e.starts_with("the system proxy cannot be used: environment variable ALL_PROXY:")
                && e.ends_with(&way_out())
                && !e.contains("secretpw"),
            "{e}"
        );
        assert!(system_proxy(true, "https://api.x/", "api.x", |_| None)
            .unwrap()
            .is_none_or(|_| cfg!(windows)));
        for h in [
            "localhost",
            "127.0.0.1",
            "127.9.9.9",
            "[::1]",
            "a.localhost",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["localhost.evil", "128.0.0.1", "[::2]", "127.0.0.1.nip.io"] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
