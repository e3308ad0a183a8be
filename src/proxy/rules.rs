//! The rules of a system proxy, whatever names it: the loopback hosts a system proxy never
//! carries, WinHTTP's proxy lists (`http=a:3128;https=b:3129`) and bypass lists (`<local>`,
//! globs), their ureq equivalents, and a bounded wait for a slow evaluation (a PAC script).
//! Used by `system_proxy` (the environment) and `sys::winhttp` (Windows Internet Options).

// The Windows list and bypass readers are used by `winhttp` only (and tested everywhere).
#![cfg_attr(not(windows), allow(dead_code))]

use crate::messages::Msg;
use crate::proxy::{self, ProxyScheme, ProxyUrl};

/// A proxy the system chose: the checked URL, the ureq bypass rules, and where it came from
/// (for messages: "environment variable HTTPS_PROXY", "Windows Internet Options"...).
pub(crate) type Chosen = (ProxyUrl, Vec<String>, String);

/// The ureq rules that keep loopback hosts off a system proxy: `localhost` and names under it,
/// `127.0.0.1` and `[::1]`, each matched exactly. ureq's rules cannot say "the addresses in
/// 127.0.0.0/8" (`127.` is a host prefix, which `127.evil.example` matches too): the other
/// 127.x.y.z addresses go direct through `loopback::LoopbackDirect`.
pub(crate) fn loopback_rules() -> Vec<String> {
    ["localhost", ".localhost", "127.0.0.1", "[::1]"]
        .map(String::from)
        .to_vec()
}

/// Whether `host` (lowercase, IPv6 in brackets) is a loopback host.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback())
}

/// What the text of a problem adds: how the caller gets past it.
pub(crate) fn way_out() -> String {
    Msg::ProxyWayOut.text()
}

/// Runs `f` on a helper thread and waits for it at most `limit`: its result, or None when it
/// did not finish in time (it then runs on, detached; it owns all it uses) or no thread could
/// be started. Bounds the PAC evaluation (`winhttp`), which can take many seconds.
pub(crate) fn within<T: Send + 'static>(
    limit: std::time::Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    crate::sys::pin::spawn_detached("getavatar-pac", move || {
        let _ = tx.send(f());
    })
    .ok()?;
    rx.recv_timeout(limit).ok()
}

/// A slot at most one holder has at a time (the process's one PAC evaluation, `winhttp`): a
/// caller that finds it taken waits for it, within a limit, instead of going without.
pub(crate) struct OneAtATime {
    taken: std::sync::Mutex<bool>,
    freed: std::sync::Condvar,
}

/// The slot of [`OneAtATime`], held until dropped (on whichever thread ends the work).
pub(crate) struct Held(&'static OneAtATime);

impl OneAtATime {
    pub(crate) const fn new() -> OneAtATime {
        OneAtATime {
            taken: std::sync::Mutex::new(false),
            freed: std::sync::Condvar::new(),
        }
    }

    /// The slot, once free, waiting at most `limit` for its holder to let it go; None when it is
    /// still held then.
    pub(crate) fn claim_within(&'static self, limit: std::time::Duration) -> Option<Held> {
        let taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        let (mut taken, _) = self
            .freed
            .wait_timeout_while(taken, limit, |t| *t)
            .unwrap_or_else(|e| e.into_inner());
        if *taken {
            return None;
        }
        *taken = true;
        Some(Held(self))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        *self.0.taken.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.0.freed.notify_all();
    }
}

/// The message for a proxy `what` (the setting) names for `host` that getavatar cannot speak to.
pub(crate) fn unusable(what: &str, bad: &str, host: &str) -> String {
    Msg::SystemProxyNamesUnusable {
        what: what.to_string(),
        proxy: crate::answer::validate::shown(bad),
        host,
        way_out: way_out(),
    }
    .text()
}

/// One entry of a WinHTTP proxy list, read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A proxy getavatar can use.
    Usable(ProxyUrl),
    /// One it cannot (an HTTPS or SOCKS4 proxy...), as written.
    Unusable(String),
}

/// The proxy for a URL of scheme `https`/http from a WinHTTP proxy list: `host:port`,
/// `http://host:port`, `a:1;b:2` (the first usable one), or the per-scheme form
/// `http=a:3128;https=b:3129` (the entry for the scheme; none means direct). `Ok(None)` is
/// direct; an error holds the entries that cannot be used.
pub(crate) fn pick_from_list(list: &str, https: bool) -> Result<Option<ProxyUrl>, String> {
    let entries: Vec<&str> = list
        .split([';', ' ', '\t', '\r', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let per_scheme = entries.iter().any(|e| e.contains('='));
    let wanted = if https { "https" } else { "http" };
    let mut unusable = Vec::new();
    for e in entries {
        let e = match e.split_once('=') {
            Some((s, rest)) if s.eq_ignore_ascii_case(wanted) => rest,
            Some((s, rest)) if s.eq_ignore_ascii_case("socks") => {
                unusable.push(format!("socks={rest}"));
                continue;
            }
            Some(_) => continue,
            None if per_scheme => continue,
            None => e,
        };
        match read_entry(e) {
            Entry::Usable(u) => return Ok(Some(u)),
            Entry::Unusable(s) => unusable.push(s),
        }
    }
    if unusable.is_empty() {
        Ok(None)
    } else {
        Err(unusable.join(";"))
    }
}

/// One proxy of a WinHTTP list: `host[:port]` or `http://host[:port]` is an HTTP proxy (port 80
/// when none is given); anything else (`https://`, `socks://`...) cannot be used.
pub(crate) fn read_entry(e: &str) -> Entry {
    let lower = e.to_ascii_lowercase();
    let plain = lower.strip_prefix("http://").unwrap_or(&lower);
    if plain.contains("://") {
        return Entry::Unusable(crate::text::mask_credentials(e));
    }
    match proxy::parse_proxy_url(&format!("http://{plain}")) {
        Ok(u) if u.scheme == ProxyScheme::Http => Entry::Usable(u),
        _ => Entry::Unusable(crate::text::mask_credentials(e)),
    }
}

/// The entries of a Windows bypass list (`ProxyOverride`): separated by `;`, `,` or spaces.
pub(crate) fn bypass_entries(list: &str) -> Vec<String> {
    list.split([';', ',', ' ', '\t', '\r', '\n'])
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .collect()
}

/// Whether `host` (lowercase) matches a Windows bypass entry: `<local>` is any name without a
/// dot; otherwise a pattern where `*` stands for any run of characters (`*.corp`, `10.*`,
/// `192.168.*.1`), an optional `scheme://` and `:port` ignored.
pub(crate) fn bypassed(host: &str, entries: &[String]) -> bool {
    entries.iter().any(|e| {
        if e == "<local>" {
            return !host.contains('.') && !host.starts_with('[');
        }
        let e = e.split_once("://").map_or(e.as_str(), |(_, r)| r);
        let e = match e.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => e,
        };
        glob(e.as_bytes(), host.as_bytes())
    })
}

/// `*`-only glob match.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// The ureq rules for the bypass entries ureq can express (`*.corp`, `.corp`, `10.*`, exact
/// names): downloads from those hosts go direct. Others (`<local>`, `*` inside) only decide
/// for apiUrl.
pub(crate) fn bypass_rules(entries: &[String]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| !e.starts_with('<') && !e.contains("://"))
        .filter(|e| {
            let inner = e.trim_start_matches('*').trim_end_matches('*');
            !inner.contains('*') && !inner.is_empty()
        })
        .map(|e| match e.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
            _ => e.clone(),
        })
        .map(|e| {
            if e.starts_with('*') && !e.starts_with("*.") {
                format!("*.{}", e.trim_start_matches('*'))
            } else {
                e
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_second_claimer_waits_for_the_first_and_gives_up_at_its_limit() {
        use std::time::{Duration, Instant};
        static SLOT: OneAtATime = OneAtATime::new();
        let first = SLOT.claim_within(Duration::ZERO).expect("free at first");
        // Held for 300 ms on another thread: a claimer with 3 s gets it when it is let go.
        let t = Instant::now();
        let holder = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        let second = SLOT.claim_within(Duration::from_secs(3));
        let waited = t.elapsed();
        holder.join().unwrap();
        assert!(second.is_some(), "the slot was let go within the limit");
        assert!(waited >= Duration::from_millis(250), "{waited:?}");
        // Held for good: a claimer gives up at its limit.
        let t = Instant::now();
        assert!(SLOT.claim_within(Duration::from_millis(200)).is_none());
        assert!(
            t.elapsed() >= Duration::from_millis(150),
            "{:?}",
            t.elapsed()
        );
        drop(second);
        assert!(SLOT.claim_within(Duration::ZERO).is_some());
    }

    use super::*;

    fn shown(r: Result<Option<ProxyUrl>, String>) -> Result<Option<String>, String> {
        r.map(|o| o.map(|u| u.shown()))
    }

    #[test]
    fn windows_proxy_lists_pick_the_scheme_entry_or_the_first_usable() {
        let p = |l: &str, https: bool| shown(pick_from_list(l, https));
        assert_eq!(
            p("10.0.0.1:3128", true),
            Ok(Some("http://10.0.0.1:3128".into()))
        );
        assert_eq!(
            p("proxy.corp", true),
            Ok(Some("http://proxy.corp:80".into()))
        );
        assert_eq!(
            p("http://P.Corp:8080", true),
            Ok(Some("http://p.corp:8080".into()))
        );
        let per = "http=a.corp:3128;https=b.corp:3129;ftp=c:21";
        assert_eq!(p(per, true), Ok(Some("http://b.corp:3129".into())));
        assert_eq!(p(per, false), Ok(Some("http://a.corp:3128".into())));
        assert_eq!(p("http=a:1", true), Ok(None), "no https entry: direct");
        assert_eq!(p("", true), Ok(None));
        assert_eq!(p("https://h:443; b:2", true), Ok(Some("http://b:2".into())));
        assert_eq!(p("https://h:443", true), Err("https://h:443".into()));
        assert_eq!(p("socks=s:1080", true), Err("socks=s:1080".into()));
        assert_eq!(
            p("socks://u:secretpw@s:1", true),
            Err("socks://***@s:1".into())
        );
        assert_eq!(p("h:99999", true), Err("h:99999".into()));
        let what = "the PAC script \"http://wpad/wpad.dat\" (Windows Internet Options)";
        assert_eq!(
            unusable(what, "https://h:443", "api.example"),
            "the system proxy cannot be used: the PAC script \"http://wpad/wpad.dat\" (Windows \
             Internet Options) names the proxy \"https://h:443\" for api.example, which getavatar \
             cannot use (it reaches proxies by plain HTTP CONNECT or SOCKS5, not HTTPS or SOCKS4); \
             set a proxy URL, or \"direct\" to connect without a proxy (proxy setting)"
        );
    }

    #[test]
    fn a_slow_evaluation_is_waited_for_at_most_the_limit() {
        use std::time::{Duration, Instant};
        let t = Instant::now();
        let late = within(Duration::from_millis(300), || {
            std::thread::sleep(Duration::from_secs(3));
            "proxy"
        });
        let took = t.elapsed();
        assert_eq!(late, None);
        assert!(took < Duration::from_secs(2), "waited {took:?}");
        assert_eq!(within(Duration::from_secs(5), || 7), Some(7));
    }

    #[test]
    fn windows_bypass_lists_match_as_windows_does() {
        let e = bypass_entries("*.corp.example; 10.*;<local> ,intranet:8080;192.168.*.1");
        for (host, want) in [
            ("x.corp.example", true),
            ("corp.example", false),
            ("10.1.2.3", true),
            ("110.1.2.3", false),
            ("fileserver", true),
            ("intranet", true),
            ("192.168.7.1", true),
            ("192.168.7.2", false),
            ("api.green-api.com", false),
            ("[::2]", false),
        ] {
            assert_eq!(bypassed(host, &e), want, "{host}");
        }
        assert_eq!(bypass_rules(&e), ["*.corp.example", "10.*", "intranet"]);
        assert_eq!(bypass_rules(&bypass_entries("*corp;a*b;*")), ["*.corp"]);
    }
}
