//! The setters of a `GaClient`: timing and retries, the rate limit, batch concurrency, the
//! cache, connections, then TLS and proxies. Each returns `GA_OK`, or a failure with the
//! previous value kept and `ga_last_error()` saying why.

use std::ffi::c_char;

use super::args::str_arg;
use super::client::{client_ref, GaClient};
use super::error::report;
use super::ffi_boundary;
use crate::client::Client;
use crate::error::status::GaStatus;
use crate::error::Error;
use crate::messages::Msg;
use crate::Setting;

/// Applies a setter that takes a number, with the usual NULL check.
///
/// # Safety
/// `client` is NULL or a live client.
unsafe fn set_num(
    client: *mut GaClient,
    value: i32,
    set: impl FnOnce(&Client, i64) -> Result<(), Error>,
) -> GaStatus {
    ffi_boundary!({
        // SAFETY: per the contract.
        report(unsafe { client_ref(client) }.and_then(|c| set(c, value.into())))
    })
}

/// Applies a setter that takes a string argument, with the usual NULL and UTF-8 checks.
///
/// # Safety
/// `client` is NULL or a live client; `value` is NULL or a C string.
unsafe fn set_str(
    client: *mut GaClient,
    value: *const c_char,
    name: &str,
    set: impl FnOnce(&Client, &str) -> Result<(), Error>,
) -> GaStatus {
    ffi_boundary!({
        // SAFETY: per the contract.
        report(unsafe { client_ref(client) }.and_then(|c| set(c, unsafe { str_arg(value, name) }?)))
    })
}

/// Sets the timeout of each attempt, 1 to 600000 ms (default 30000). Returns `GA_OK`, or
/// `GA_ERR_INVALID_ARGUMENT` (NULL client, out of range: the old value is kept).
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_timeout_ms(client: *mut GaClient, ms: i32) -> GaStatus {
    // SAFETY: NULL or a live client.
    unsafe { set_num(client, ms, |c, v| c.set(Setting::Timeout, v)) }
}

/// Sets the total time budget of each call, 0 to 3600000 ms (default 120000, two minutes; 0 =
/// none): every attempt, backoff, Retry-After and rate-limit wait counts. Each attempt's timeout
/// is cut to what is left, and a wait that would pass the deadline is not started: the call ends
/// at once with `GA_ERR_TIMEOUT`, `ga_last_error()` saying the budget and what used it. In
/// `ga_get_avatars` each id has its own budget; a download's lookup and image share one. Returns
/// `GA_OK` or `GA_ERR_INVALID_ARGUMENT` (NULL client, out of range: the old value is kept).
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_deadline_ms(
    client: *mut GaClient,
    ms: i32,
) -> GaStatus {
    // SAFETY: NULL or a live client.
    unsafe { set_num(client, ms, |c, v| c.set(Setting::Deadline, v)) }
}

/// Sets how many times a transient failure (429, 499, 500, 502, 503, 504, connection failure,
/// timeout) is retried, 0 to 10 (default 3). Returns `GA_OK` or `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_max_retries(
    client: *mut GaClient,
    retries: i32,
) -> GaStatus {
    // SAFETY: NULL or a live client.
    unsafe { set_num(client, retries, Client::set_max_retries) }
}

/// Sets the first retry delay, 0 to 60000 ms (default 250); it doubles on each retry (capped at
/// 30 s) with random jitter, unless the server sends Retry-After. Returns `GA_OK` or
/// `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_backoff_ms(client: *mut GaClient, ms: i32) -> GaStatus {
    // SAFETY: NULL or a live client.
    unsafe { set_num(client, ms, |c, v| c.set(Setting::Backoff, v)) }
}

/// Sets the most requests this client starts in any rolling second, across all threads, retries
/// included, 0 to 1000 (default 10; 0 = no ceiling). A ceiling, not a promise: when the server
/// answers 429 the client paces itself by what went through and comes back up step by step
/// (`ga_client_rate` says the pace now); with 0 it sends unpaced until a 429. Calls wait for a
/// slot; they never fail for it. Returns `GA_OK` or `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_rate_limit(
    client: *mut GaClient,
    per_second: i32,
) -> GaStatus {
    // SAFETY: NULL or a live client.
    unsafe { set_num(client, per_second, Client::set_rate_limit) }
}

/// The pace the client keeps now, in requests a second, shared by all its threads and batch
/// workers: the rate limit set, or less when the server answered 429 (the client learns the
/// instance's real rate: it slows down at once and comes back up step by step, never above the
/// rate limit); 0 when it does not pace (rate limit 0 and no 429 yet). Per process: a forked
/// child starts from the rate limit again. Returns -1 when `client` is NULL (`ga_last_error()`
/// says so).
#[no_mangle]
pub unsafe extern "system" fn ga_client_rate(client: *const GaClient) -> f64 {
    ffi_boundary!({
        // SAFETY: NULL or a live client.
        match unsafe { client_ref(client) } {
            Ok(c) => c.rate(),
            Err(e) => {
                super::error::set_last_error(&e.message);
                -1.0
            }
        }
    })
}

/// Sets how many lookups `ga_get_avatars` runs at once, 1 to 64 (default 4). They share the
/// client's rate limit. Returns `GA_OK` or `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_concurrency(client: *mut GaClient, n: i32) -> GaStatus {
    // SAFETY: NULL or a live client.
    unsafe { set_num(client, n, Client::set_concurrency) }
}

/// Keeps successful answers per chat id for `seconds`, 0 to 86400 (default 0 = off), so repeated
/// lookups (an Excel recalculation) cost no request and no rate-limit slot. Errors are never kept;
/// at most 10,000 chat ids, least recently used evicted first; any change empties the cache.
/// Returns `GA_OK` or `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_cache_ttl(
    client: *mut GaClient,
    seconds: i32,
) -> GaStatus {
    // SAFETY: NULL or a live client.
    unsafe { set_num(client, seconds, |c, v| c.set(Setting::CacheTtl, v)) }
}

/// Sets how long an idle connection is kept for the next call, 0 to 3600000 ms (default 300000,
/// 5 minutes, so that sporadic calls, as from a spreadsheet, find the connection and its TLS
/// session open; 0 = close after each call). Open connections are dropped. Returns `GA_OK` or
/// `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_idle_timeout_ms(
    client: *mut GaClient,
    ms: i32,
) -> GaStatus {
    // SAFETY: NULL or a live client.
    unsafe { set_num(client, ms, |c, v| c.set(Setting::IdleTimeout, v)) }
}

/// Sets the User-Agent header (UTF-8; 1 to 256 printable ASCII characters; default
/// "getavatar/VERSION"). Open connections are dropped. Returns `GA_OK` or
/// `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_user_agent(
    client: *mut GaClient,
    user_agent: *const c_char,
) -> GaStatus {
    // SAFETY: NULL or a live client / C string.
    unsafe { set_str(client, user_agent, "user_agent", Client::set_user_agent) }
}

/// Sets the language of the client's messages (`ga_last_error()`, `GaAvatarResult.message`):
/// `"en"` (English) or `"ru"` (Russian), any letter case, a region or encoding allowed
/// (`"ru-RU"`, `"ru_RU.UTF-8"`); `""` returns to the process default, which is `GA_LANG`, else
/// the locale (`LC_ALL`, `LC_MESSAGES`, `LANG` on Unix; the user's UI language on Windows), else
/// English. Status names and the server's own text are the same in every language. Returns
/// `GA_OK`, or `GA_ERR_INVALID_ARGUMENT` (NULL client or language, another language: the
/// language is kept).
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_language(
    client: *mut GaClient,
    language: *const c_char,
) -> GaStatus {
    // SAFETY: NULL or a live client / C string.
    unsafe { set_str(client, language, "language", Client::set_language_tag) }
}

/// Trusts the certificates in the CA file at `path` (UTF-8) in addition to what the trust setting
/// trusts (`ga_client_set_trust`): for corporate proxies that re-sign TLS, or private servers.
/// PEM or DER (`.pem`, `.crt`, `.cer`, `.der`; told apart by content). Several calls add up.
/// Certificates are always verified; there is no switch that turns that off. Open connections
/// are dropped. Returns `GA_OK`, or `GA_ERR_INVALID_ARGUMENT` (NULL, unreadable or empty file,
/// or something other than certificates in it, such as a private key: `ga_last_error()` says
/// what the file held).
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_ca_file(
    client: *mut GaClient,
    path: *const c_char,
) -> GaStatus {
    // SAFETY: NULL or a live client / C string.
    unsafe { set_str(client, path, "path", Client::add_ca_file) }
}

/// Whose roots `ga_client_set_trust` trusts: a `GA_TRUST_*` value.
pub type GaTrust = i32;

/// The operating system's certificate verifier and store (the default): the Windows certificate
/// store and its policies, the macOS keychain, on Linux the system bundle (`SSL_CERT_FILE` and
/// `SSL_CERT_DIR` honoured). A company's TLS-inspecting proxy root installed there is trusted.
pub const GA_TRUST_SYSTEM: GaTrust = 0;

/// The web roots bundled in the library (webpki-roots), whatever the system trusts: for machines
/// without a usable store.
pub const GA_TRUST_BUNDLED: GaTrust = 1;

/// Chooses whose roots certificates are verified against: `GA_TRUST_SYSTEM` (default) or
/// `GA_TRUST_BUNDLED`. CA files (`ga_client_set_ca_file`) add to either. Open connections are
/// dropped. Returns `GA_OK`, or `GA_ERR_INVALID_ARGUMENT` (NULL client, another value: the
/// previous choice is kept).
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_trust(
    client: *mut GaClient,
    trust: GaTrust,
) -> GaStatus {
    // SAFETY: NULL or a live client.
    unsafe {
        set_num(client, trust, |c, v| {
            let t = match v {
                0 => crate::Trust::System,
                1 => crate::Trust::Bundled,
                _ => return Err(Error::invalid(Msg::TrustBad { v })),
            };
            c.set_trust(t);
            Ok(())
        })
    }
}

/// Chooses the proxy for every request (lookups and image downloads). `url` (UTF-8) is
/// `"system"` (the default of a new client: the proxy the system names, read again now: the
/// environment as curl reads it, then on Windows the Internet Options, PAC included; loopback
/// hosts never use it), `"direct"` or `""` (no proxy, whatever the system says),
/// `"http://[user:password@]host[:port]"` (HTTP CONNECT; port 80 if not given),
/// `"socks5://[user:password@]host[:port]"` (SOCKS5; the client resolves names; port 1080)
/// or `"socks5h://..."` (the proxy resolves names). Percent-encode special characters in the
/// user name and password; they are never shown in messages. Open connections are dropped.
/// Returns `GA_OK`, or `GA_ERR_INVALID_ARGUMENT` (NULL, malformed URL; the previous setting is
/// kept).
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_proxy(
    client: *mut GaClient,
    url: *const c_char,
) -> GaStatus {
    // SAFETY: NULL or a live client / C string.
    unsafe { set_str(client, url, "url", Client::set_proxy) }
}

/// Pins the proxy named by the environment, as an explicit setting: for an https apiUrl
/// HTTPS_PROXY or https_proxy, for http http_proxy, then ALL_PROXY or all_proxy (same URL forms
/// as `ga_client_set_proxy`); hosts listed in NO_PROXY/no_proxy ("*", "example.com" which also
/// covers its subdomains, IP addresses) are reached directly. Read once, when called. Unlike the
/// default (`"system"`), it ignores Windows' Internet Options and does not keep loopback hosts
/// off the proxy. Returns
/// `GA_OK` (also when no variable is set: requests then go direct), or `GA_ERR_INVALID_ARGUMENT`
/// when the variable holds an invalid URL (`ga_last_error()` names the variable, never the
/// credentials; the previous setting is kept).
#[no_mangle]
pub unsafe extern "system" fn ga_client_use_env_proxy(client: *mut GaClient) -> GaStatus {
    ffi_boundary!({
        // SAFETY: NULL or a live client.
        report(unsafe { client_ref(client) }.and_then(|c| c.use_env_proxy().map(|_| ())))
    })
}
