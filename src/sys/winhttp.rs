//! Windows only: the current user's Internet Options read through WinHTTP, called directly
//! (`winhttp.dll`, part of every Windows). `WinHttpGetIEProxyConfigForCurrentUser` gives the
//! static proxy, its bypass list, the PAC script URL and whether to auto-detect one (WPAD);
//! `WinHttpGetProxyForUrl` runs the PAC script with Windows' own engine. As Windows does, a
//! PAC script that cannot be found or run falls back to the static proxy, then to direct, and so
//! does one that takes longer than [`PAC_WAIT`] (auto-detect on a network without WPAD, a PAC
//! server that never answers): the script runs on a helper thread that owns all it uses.
//!
//! What bounds a script that never ends: the download is bounded by WinHTTP's timeouts
//! ([`PAC_TIMEOUT_MS`] each), but running the script is not (WinHTTP sets no limit). Its thread
//! then runs on; the library is pinned ([`crate::sys::pin`]) so it never returns into unloaded code,
//! and while it runs every later client waits for it up to [`PAC_WAIT`], then uses the static
//! proxy or none, so the process has at most one such thread. A client made while another's
//! evaluation is under way waits for it the same way, then runs its own. The PAC server gets the user's Windows logon only
//! when it asks for one (a first try without it, as Microsoft's sample does).

use std::ffi::c_void;
use std::ptr::null_mut;

use crate::proxy::rules::{self as sys, unusable, Chosen};

#[repr(C)]
struct IeProxyConfig {
    auto_detect: i32,
    auto_config_url: *mut u16,
    proxy: *mut u16,
    proxy_bypass: *mut u16,
}

#[repr(C)]
struct AutoProxyOptions {
    flags: u32,
    auto_detect_flags: u32,
    auto_config_url: *const u16,
    reserved: *mut c_void,
    reserved2: u32,
    auto_logon_if_challenged: i32,
}

#[repr(C)]
struct ProxyInfo {
    access_type: u32,
    proxy: *mut u16,
    proxy_bypass: *mut u16,
}

const ACCESS_TYPE_NO_PROXY: u32 = 1;
const ACCESS_TYPE_NAMED_PROXY: u32 = 3;
const AUTOPROXY_AUTO_DETECT: u32 = 1;
const AUTOPROXY_CONFIG_URL: u32 = 2;
const AUTO_DETECT_TYPE_DHCP: u32 = 1;
const AUTO_DETECT_TYPE_DNS_A: u32 = 2;
/// How long WinHTTP may take to resolve, connect to, and read a PAC script's server, ms.
const PAC_TIMEOUT_MS: i32 = 5000;
/// The longest creating a client (or choosing `"system"`) waits for the PAC script's answer;
/// then the static proxy is used, or none. The evaluation goes on, unseen, on its thread.
pub(crate) const PAC_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
/// WinHTTP's "the PAC server asked for a logon" (ERROR_WINHTTP_LOGIN_FAILURE).
const ERROR_WINHTTP_LOGIN_FAILURE: i32 = 12015;

#[link(name = "winhttp")]
extern "system" {
    fn WinHttpGetIEProxyConfigForCurrentUser(config: *mut IeProxyConfig) -> i32;
    fn WinHttpOpen(
        agent: *const u16,
        access_type: u32,
        proxy: *const u16,
        bypass: *const u16,
        flags: u32,
    ) -> *mut c_void;
    fn WinHttpSetTimeouts(h: *mut c_void, resolve: i32, connect: i32, send: i32, recv: i32) -> i32;
    fn WinHttpGetProxyForUrl(
        session: *mut c_void,
        url: *const u16,
        options: *mut AutoProxyOptions,
        info: *mut ProxyInfo,
    ) -> i32;
    fn WinHttpCloseHandle(h: *mut c_void) -> i32;
}

#[link(name = "kernel32")]
extern "system" {
    fn GlobalFree(mem: *mut c_void) -> *mut c_void;
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Takes a string WinHTTP allocated (GlobalAlloc): its text (None for null or empty), freed.
fn take(p: *mut u16) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: WinHTTP hands out NUL-terminated UTF-16 strings; each is read once and freed once.
    let s = unsafe {
        let len = (0..).take_while(|&i| *p.add(i) != 0).count();
        let s = String::from_utf16_lossy(std::slice::from_raw_parts(p, len));
        GlobalFree(p.cast());
        s
    };
    Some(s).filter(|s| !s.trim().is_empty())
}

/// The current user's Internet Options.
#[derive(Clone)]
struct IeConfig {
    auto_detect: bool,
    pac_url: Option<String>,
    proxy: Option<String>,
    bypass: Option<String>,
}

/// Reads the Internet Options; None when WinHTTP cannot (then there is no proxy).
fn ie_config() -> Option<IeConfig> {
    let mut c = IeProxyConfig {
        auto_detect: 0,
        auto_config_url: null_mut(),
        proxy: null_mut(),
        proxy_bypass: null_mut(),
    };
    // SAFETY: `c` is a valid out structure; on success its strings are ours to free (take()).
    // On failure its contents are not defined, so nothing in it is read or freed.
    if unsafe { WinHttpGetIEProxyConfigForCurrentUser(&mut c) } == 0 {
        return None;
    }
    Some(IeConfig {
        auto_detect: c.auto_detect != 0,
        pac_url: take(c.auto_config_url),
        proxy: take(c.proxy),
        bypass: take(c.proxy_bypass),
    })
}

/// The PAC script's answer for `url`: `Ok(Some(list))` a WinHTTP proxy list, `Ok(None)`
/// direct, `Err(())` when no script could be found, downloaded or run.
fn pac_answer(url: &str, cfg: &IeConfig) -> Result<Option<String>, ()> {
    let agent = wide("getavatar");
    // SAFETY: valid NUL-terminated strings and out structures; the handle is closed below.
    let session = unsafe {
        WinHttpOpen(
            agent.as_ptr(),
            ACCESS_TYPE_NO_PROXY,
            null_mut(),
            null_mut(),
            0,
        )
    };
    if session.is_null() {
        return Err(());
    }
    let t = PAC_TIMEOUT_MS;
    // SAFETY: an open session.
    unsafe { WinHttpSetTimeouts(session, t, t, t, t) };
    let pac = cfg.pac_url.as_deref().map(wide);
    let mut opts = AutoProxyOptions {
        flags: 0,
        auto_detect_flags: 0,
        auto_config_url: pac.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
        reserved: null_mut(),
        reserved2: 0,
        auto_logon_if_challenged: 0,
    };
    if pac.is_some() {
        opts.flags |= AUTOPROXY_CONFIG_URL;
    }
    if cfg.auto_detect {
        opts.flags |= AUTOPROXY_AUTO_DETECT;
        opts.auto_detect_flags = AUTO_DETECT_TYPE_DHCP | AUTO_DETECT_TYPE_DNS_A;
    }
    let url = wide(url);
    // As Microsoft's own sample: first without sending the user's Windows logon to the PAC
    // server, and with it only when that server asked for a logon.
    let mut answer = ask(session, &url, &mut opts);
    if answer.as_ref().err() == Some(&Some(ERROR_WINHTTP_LOGIN_FAILURE)) {
        opts.auto_logon_if_challenged = 1;
        answer = ask(session, &url, &mut opts);
    }
    // SAFETY: the session opened above, closed once.
    unsafe { WinHttpCloseHandle(session) };
    answer.map_err(drop)
}

/// One WinHttpGetProxyForUrl: `Ok(Some(list))` a proxy list, `Ok(None)` direct, `Err(code)` its
/// failure with the system's error code.
fn ask(
    session: *mut c_void,
    url: &[u16],
    opts: &mut AutoProxyOptions,
) -> Result<Option<String>, Option<i32>> {
    let mut info = ProxyInfo {
        access_type: 0,
        proxy: null_mut(),
        proxy_bypass: null_mut(),
    };
    // SAFETY: an open session, a NUL-terminated URL, valid in and out structures.
    if unsafe { WinHttpGetProxyForUrl(session, url.as_ptr(), opts, &mut info) } == 0 {
        return Err(std::io::Error::last_os_error().raw_os_error());
    }
    // On success the strings are ours to free (take()).
    let (list, _) = (take(info.proxy), take(info.proxy_bypass));
    Ok(list.filter(|_| info.access_type == ACCESS_TYPE_NAMED_PROXY))
}

/// The one PAC evaluation the process may have running: claimed before its thread starts,
/// let go when the evaluation ends (or when its thread could not start).
static PAC_RUNNING: sys::OneAtATime = sys::OneAtATime::new();

/// The proxy the Internet Options name for apiUrl (`base_url`, its `host`): the PAC script's
/// answer when there is a script, else the static proxy unless the bypass list names the host.
pub(crate) fn internet_options(
    https: bool,
    base_url: &str,
    host: &str,
) -> Result<Option<Chosen>, String> {
    let Some(cfg) = ie_config() else {
        return Ok(None);
    };
    if cfg.auto_detect || cfg.pac_url.is_some() {
        let what = match &cfg.pac_url {
            Some(u) => crate::messages::Msg::FromPacScript {
                url: crate::answer::validate::shown(&crate::text::mask_credentials(u)),
            }
            .text(),
            None => crate::messages::Msg::FromPacAuto.text(),
        };
        let (url, c) = (base_url.to_string(), cfg.clone());
        // At most one evaluation at a time in the process. A client made while another's runs
        // waits for it (two clients made at once both get the script's answer); while one runs
        // on past PAC_WAIT (a script that never ends: WinHTTP sets no limit on running it),
        // later clients use the fallback. PAC_WAIT bounds the wait and the evaluation together.
        let start = std::time::Instant::now();
        let answer = PAC_RUNNING.claim_within(PAC_WAIT).and_then(|running| {
            sys::within(PAC_WAIT.saturating_sub(start.elapsed()), move || {
                let _running = running;
                pac_answer(&url, &c)
            })
        });
        if let Some(Ok(answer)) = answer {
            let Some(list) = answer else { return Ok(None) };
            return match sys::pick_from_list(&list, https) {
                Ok(p) => Ok(p.map(|u| (u, sys::loopback_rules(), what))),
                Err(bad) => Err(unusable(&what, &bad, host)),
            };
        }
    }
    let Some(list) = cfg.proxy else {
        return Ok(None);
    };
    let entries = sys::bypass_entries(cfg.bypass.as_deref().unwrap_or(""));
    if sys::bypassed(host, &entries) {
        return Ok(None);
    }
    let what = crate::messages::Msg::FromInternetOptions.text();
    match sys::pick_from_list(&list, https) {
        Ok(p) => {
            let mut rules = sys::bypass_rules(&entries);
            rules.extend(sys::loopback_rules());
            Ok(p.map(|u| (u, rules, what)))
        }
        Err(bad) => Err(unusable(&what, &bad, host)),
    }
}
