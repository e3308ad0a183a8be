//! `GaClient`: creating, configuring, using and freeing a client.

use std::ffi::c_char;

use super::avatar::{new_avatar, new_avatar_image, GaAvatar, GaAvatarImage};
use super::cancel::{cancel_ref, GaCancel};
use super::error::set_last_error;
use super::{ffi_boundary, str_arg};
use crate::client::{Client, Download, Error};
use crate::status::GaStatus;
use crate::Setting;

/// A client for one GREEN-API instance. Opaque. Safe to share between threads: any number of
/// threads may call `ga_get_avatar` and the setters on one client at once; they share its
/// connections and rate limit. Free it with `ga_client_free` once no call is using it.
pub struct GaClient {
    inner: Client,
}

/// Borrows the client behind a pointer, or says it is NULL.
///
/// # Safety
/// `p` is NULL or a live client from `ga_client_new`.
unsafe fn client_ref<'a>(p: *const GaClient) -> Result<&'a Client, Error> {
    // SAFETY: per the contract.
    match unsafe { p.as_ref() } {
        Some(c) => Ok(&c.inner),
        None => Err(Error::invalid("client is NULL")),
    }
}

/// Records a failure as the last error and returns its status number.
fn status_of(r: Result<(), Error>) -> i32 {
    match r {
        Ok(()) => GaStatus::GA_OK as i32,
        Err(e) => {
            set_last_error(&e.message);
            e.status as i32
        }
    }
}

/// A handle for a new client, or NULL with the failure as the last error.
fn into_handle(made: Result<Client, Error>) -> *mut GaClient {
    match made {
        Ok(c) => Box::into_raw(Box::new(GaClient { inner: c })),
        Err(e) => {
            set_last_error(&e.message);
            std::ptr::null_mut()
        }
    }
}

/// A result block for one lookup (NULL only if memory runs out).
fn avatar_block(r: &Result<crate::Avatar, Error>) -> *mut GaAvatar {
    match r {
        Ok(a) => new_avatar(GaStatus::GA_OK, 200, a.available, &a.url, None),
        Err(e) => new_avatar(e.status, e.http_status, None, "", Some(&e.message)),
    }
}

/// Applies a setter that takes a number, with the usual NULL check.
///
/// # Safety
/// `client` is NULL or a live client.
unsafe fn set_num(
    client: *mut GaClient,
    value: i32,
    set: impl FnOnce(&Client, i64) -> Result<(), Error>,
) -> i32 {
    // SAFETY: per the contract.
    status_of(unsafe { client_ref(client) }.and_then(|c| set(c, value.into())))
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
) -> i32 {
    // SAFETY: per the contract.
    status_of(unsafe { client_ref(client) }.and_then(|c| {
        let v = unsafe { str_arg(value, name) }.map_err(Error::invalid)?;
        set(c, v)
    }))
}

/// Makes a client for one instance. `api_url` is the host from your console, e.g.
/// "https://3100.api.green-api.com" (a trailing "/" or "/v3" is fine; "http://" only for
/// loopback hosts); `id_instance` 1-19 digits; `api_token_instance` the token (letters, digits,
/// "-", ".", "_", "~"). All UTF-8. No request is sent.
/// Returns NULL on invalid arguments: `ga_last_error()` says why. Free with `ga_client_free`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_new(
    api_url: *const c_char,
    id_instance: *const c_char,
    api_token_instance: *const c_char,
) -> *mut GaClient {
    ffi_boundary!(std::ptr::null_mut(), {
        into_handle((|| {
            // SAFETY: C strings or NULL, per the contract.
            let url = unsafe { str_arg(api_url, "api_url") }.map_err(Error::invalid)?;
            let id = unsafe { str_arg(id_instance, "id_instance") }.map_err(Error::invalid)?;
            let token = unsafe { str_arg(api_token_instance, "api_token_instance") }
                .map_err(Error::invalid)?;
            Client::new(url, id, token)
        })())
    })
}

/// Frees a client and closes its connections. NULL is fine. Must not be called twice, nor while
/// another thread is still using the client.
#[no_mangle]
pub unsafe extern "system" fn ga_client_free(client: *mut GaClient) {
    ffi_boundary!((), {
        if !client.is_null() {
            // SAFETY: a live client from ga_client_new, freed once (documented contract).
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

/// Looks up the avatar of `chat_id`: a user id (digits, e.g. "10000000") or a group id ("-" then
/// digits, e.g. "-10000000000000"). Waits for the client's rate limit and retries transient
/// failures (see the setters). Always returns a result, NULL only if memory runs out; its `status`
/// says what happened, and on failure `ga_last_error()` holds the same message as its `error`.
/// Free the result with `ga_free`.
#[no_mangle]
pub unsafe extern "system" fn ga_get_avatar(
    client: *mut GaClient,
    chat_id: *const c_char,
) -> *mut GaAvatar {
    // SAFETY: per the contract.
    unsafe { ga_get_avatar_cancellable(client, chat_id, std::ptr::null_mut()) }
}

/// `ga_get_avatar` that `cancel` (from `ga_cancel_new`; NULL = not cancellable) can stop: after
/// `ga_cancel(cancel)` from another thread, the result's status is `GA_ERR_CANCELLED` within
/// about 100 ms. Free the result with `ga_free`.
#[no_mangle]
pub unsafe extern "system" fn ga_get_avatar_cancellable(
    client: *mut GaClient,
    chat_id: *const c_char,
    cancel: *mut GaCancel,
) -> *mut GaAvatar {
    ffi_boundary!(
        new_avatar(
            GaStatus::GA_ERR_INTERNAL,
            0,
            None,
            "",
            Some("internal error in getavatar (please report it)")
        ),
        {
            let r = (|| {
                // SAFETY: NULL or a live client / C string, per the contract.
                let c = unsafe { client_ref(client) }?;
                let id = unsafe { str_arg(chat_id, "chat_id") }.map_err(Error::invalid)?;
                match unsafe { cancel_ref(cancel) } {
                    Some(t) => c.get_avatar_cancellable(id, t),
                    None => c.get_avatar(id),
                }
            })();
            if let Err(e) = &r {
                set_last_error(&e.message);
            }
            avatar_block(&r)
        }
    )
}

/// Sets the timeout of each attempt, 1 to 600000 ms (default 30000). Returns `GA_OK`, or
/// `GA_ERR_INVALID_ARGUMENT` (NULL client, out of range: the old value is kept).
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_timeout_ms(client: *mut GaClient, ms: i32) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client.
        unsafe { set_num(client, ms, |c, v| c.set(Setting::Timeout, v)) }
    })
}

/// Sets how many times a transient failure (429, 499, 500, 502, 503, 504, connection failure,
/// timeout) is retried, 0 to 10 (default 3). Returns `GA_OK` or `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_max_retries(
    client: *mut GaClient,
    retries: i32,
) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client.
        unsafe { set_num(client, retries, Client::set_max_retries) }
    })
}

/// Sets the most requests this client starts in any rolling second, across all threads, retries
/// included, 0 to 1000 (default 10, GREEN-API's documented limit; 0 = off). Calls wait for a
/// slot; they never fail for it. Returns `GA_OK` or `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_rate_limit(
    client: *mut GaClient,
    per_second: i32,
) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client.
        unsafe { set_num(client, per_second, Client::set_rate_limit) }
    })
}

/// Sets the first retry delay, 0 to 60000 ms (default 250); it doubles on each retry (capped at
/// 30 s) with random jitter, unless the server sends Retry-After. Returns `GA_OK` or
/// `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_backoff_ms(client: *mut GaClient, ms: i32) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client.
        unsafe { set_num(client, ms, |c, v| c.set(Setting::Backoff, v)) }
    })
}

/// The caller's array of chat ids, read (never written) by the batch workers.
struct IdArray(*const *const c_char);

// SAFETY: the array and its strings are only read, and the caller keeps them alive and unchanged
// for the duration of ga_get_avatars (documented contract).
unsafe impl Sync for IdArray {}

impl IdArray {
    fn get<'a>(&self, i: usize) -> Result<&'a str, Error> {
        // SAFETY: the array holds `count` pointers, each NULL or a C string; i < count.
        let p = unsafe { *self.0.add(i) };
        unsafe { str_arg(p, "chat_id") }.map_err(Error::invalid)
    }
}

/// Sets how many lookups `ga_get_avatars` runs at once, 1 to 64 (default 4). They share the
/// client's rate limit. Returns `GA_OK` or `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_concurrency(client: *mut GaClient, n: i32) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client.
        unsafe { set_num(client, n, Client::set_concurrency) }
    })
}

/// Looks up `count` chat ids at once (see `ga_client_set_concurrency`), keeping to the client's
/// rate limit. `chat_ids` is an array of `count` UTF-8 strings; `results` an array of `count`
/// pointers that receives one `GaAvatar*` per id, in the same order (free each with `ga_free`).
/// One bad or NULL id fails only its own result. Returns `GA_OK` when every slot was filled (look
/// at each result's status), `GA_ERR_INVALID_ARGUMENT` for a NULL client or array or a negative
/// count (no slot is written), or `GA_ERR_INTERNAL` if memory ran out: before the lookups (a
/// `count` too large to hold results for) no request is sent and no slot is written; after them,
/// the slots that could not be allocated are NULL. Never aborts the process.
#[no_mangle]
pub unsafe extern "system" fn ga_get_avatars(
    client: *mut GaClient,
    chat_ids: *const *const c_char,
    count: i32,
    results: *mut *mut GaAvatar,
) -> i32 {
    // SAFETY: per the contract.
    unsafe { ga_get_avatars_cancellable(client, chat_ids, count, results, std::ptr::null_mut()) }
}

/// `ga_get_avatars` that `cancel` (NULL = not cancellable) can stop: after `ga_cancel(cancel)`,
/// the lookups under way and those not yet started get results with status `GA_ERR_CANCELLED`
/// (finished ones keep theirs), and the call returns `GA_OK` with every slot filled as usual.
#[no_mangle]
pub unsafe extern "system" fn ga_get_avatars_cancellable(
    client: *mut GaClient,
    chat_ids: *const *const c_char,
    count: i32,
    results: *mut *mut GaAvatar,
    cancel: *mut GaCancel,
) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        let checked = (|| {
            // SAFETY: NULL or a live client.
            let c = unsafe { client_ref(client) }?;
            let n = usize::try_from(count)
                .map_err(|_| Error::invalid(format!("count {count} is negative")))?;
            if n > 0 && chat_ids.is_null() {
                return Err(Error::invalid("chat_ids is NULL"));
            }
            if n > 0 && results.is_null() {
                return Err(Error::invalid("results is NULL"));
            }
            Ok((c, n))
        })();
        let (c, n) = match checked {
            Ok(v) => v,
            Err(e) => return status_of(Err(e)),
        };
        let ids = IdArray(chat_ids);
        // SAFETY: NULL or a live token.
        let out = match c.get_avatars_with(n, |i| ids.get(i), unsafe { cancel_ref(cancel) }) {
            Ok(out) => out,
            Err(e) => return status_of(Err(e)),
        };
        let mut all = true;
        for (i, r) in out.iter().enumerate() {
            let a = avatar_block(r);
            all &= !a.is_null();
            // SAFETY: results holds n writable slots.
            unsafe { *results.add(i) = a };
        }
        if all {
            GaStatus::GA_OK as i32
        } else {
            set_last_error("out of memory while storing batch results");
            GaStatus::GA_ERR_INTERNAL as i32
        }
    })
}

/// Trusts the certificates in the PEM file at `path` (UTF-8) for TLS, in place of the bundled web
/// roots: for corporate proxies that re-sign TLS, or private servers. Several calls add up.
/// Certificates are always verified; there is no switch that turns that off. Open connections
/// are dropped. Returns `GA_OK`, or `GA_ERR_INVALID_ARGUMENT` (NULL, unreadable file, no
/// certificate in it, or a block that is not a valid certificate, such as a private key).
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_ca_file(
    client: *mut GaClient,
    path: *const c_char,
) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client / C string.
        unsafe { set_str(client, path, "path", Client::add_ca_file) }
    })
}

/// Keeps successful answers per chat id for `seconds`, 0 to 86400 (default 0 = off), so repeated
/// lookups (an Excel recalculation) cost no request and no rate-limit slot. Errors are never kept;
/// at most 10,000 chat ids, least recently used evicted first; any change empties the cache.
/// Returns `GA_OK` or `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_cache_ttl(client: *mut GaClient, seconds: i32) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client.
        unsafe { set_num(client, seconds, |c, v| c.set(Setting::CacheTtl, v)) }
    })
}

/// Makes a client from the environment variables GA_API_URL, GA_ID_INSTANCE and
/// GA_API_TOKEN_INSTANCE. Returns NULL when one is missing or invalid: `ga_last_error()` names
/// it. Free with `ga_client_free`.
#[no_mangle]
pub extern "system" fn ga_client_new_from_env() -> *mut GaClient {
    ffi_boundary!(std::ptr::null_mut(), { into_handle(Client::from_env()) })
}

/// Sets the User-Agent header (UTF-8; 1 to 256 printable ASCII characters; default
/// "getavatar/VERSION"). Open connections are dropped. Returns `GA_OK` or
/// `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_user_agent(
    client: *mut GaClient,
    user_agent: *const c_char,
) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client / C string.
        unsafe { set_str(client, user_agent, "user_agent", Client::set_user_agent) }
    })
}

/// Sends every request (lookups and image downloads) through a proxy. `url` (UTF-8) is
/// "http://[user:password@]host[:port]" (HTTP CONNECT; port 80 if not given),
/// "socks5://[user:password@]host[:port]" (SOCKS5; the client resolves names; port 1080) or
/// "socks5h://..." (the proxy resolves names). Percent-encode special characters in the user name
/// and password; they are never shown in messages. "" turns the proxy off. Open connections are
/// dropped. Returns `GA_OK`, or `GA_ERR_INVALID_ARGUMENT` (NULL, malformed URL; the previous
/// setting is kept).
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_proxy(
    client: *mut GaClient,
    url: *const c_char,
) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client / C string.
        unsafe { set_str(client, url, "url", Client::set_proxy) }
    })
}

/// Uses the proxy named by the environment, as curl reads it: for an https apiUrl HTTPS_PROXY or
/// https_proxy, for http http_proxy, then ALL_PROXY or all_proxy (same URL forms as
/// `ga_client_set_proxy`); hosts listed in NO_PROXY/no_proxy ("*", "example.com" which also
/// covers its subdomains, IP addresses) are reached directly. Read once, when called. Returns
/// `GA_OK` (also when no variable is set: requests then go direct), or `GA_ERR_INVALID_ARGUMENT`
/// when the variable holds an invalid URL (`ga_last_error()` names the variable, never the
/// credentials; the previous setting is kept).
#[no_mangle]
pub unsafe extern "system" fn ga_client_use_env_proxy(client: *mut GaClient) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client.
        status_of(unsafe { client_ref(client) }.and_then(|c| c.use_env_proxy().map(|_| ())))
    })
}

/// Looks up `chat_id` and fetches its image; with `path`, also saves it there.
///
/// # Safety
/// `client` is NULL or a live client; `chat_id` and `path` NULL or C strings.
unsafe fn fetch(
    client: *mut GaClient,
    chat_id: *const c_char,
    path: Option<*const c_char>,
    cancel: *mut GaCancel,
) -> Download {
    let r = (|| {
        // SAFETY: per the contract.
        let c = unsafe { client_ref(client) }?;
        let id = unsafe { str_arg(chat_id, "chat_id") }.map_err(Error::invalid)?;
        let p = match path {
            Some(p) => Some(unsafe { str_arg(p, "path") }.map_err(Error::invalid)?),
            None => None,
        };
        Ok(c.download(id, p, unsafe { cancel_ref(cancel) }))
    })();
    r.unwrap_or_else(Download::failed)
}

/// Looks up the avatar of `chat_id` (like `ga_get_avatar`) and saves the image to `path` (UTF-8),
/// atomically: it is written to a new temporary file (random name) in the same folder, then
/// renamed over `path`, so `path` never holds half an image and a failure leaves it as it was.
/// An existing file keeps its permission bits; a symbolic link at `path` is replaced by the file
/// (its target is not touched); a `path` that exists and is not a regular file (device, FIFO,
/// socket) is refused with `GA_ERR_INVALID_ARGUMENT` before anything is sent. The image request
/// follows at most 3 redirects and must answer with an image Content-Type ("image/...") and 1
/// byte to 16 MiB; it does not count against the rate limit. An empty image is
/// `GA_ERR_BAD_RESPONSE`; one cut short (fewer bytes than its Content-Length, or a connection
/// reset) `GA_ERR_NETWORK`, retried. When there is no avatar (empty link) the status is `GA_OK`
/// and nothing is written. Statuses are those of `ga_get_avatar`, plus `GA_ERR_IO` when the file
/// cannot be written. Always returns a result (NULL only if memory runs out); free it with
/// `ga_free`. See docs/downloads.md.
#[no_mangle]
pub unsafe extern "system" fn ga_download_avatar(
    client: *mut GaClient,
    chat_id: *const c_char,
    path: *const c_char,
) -> *mut GaAvatar {
    // SAFETY: per the contract.
    unsafe { ga_download_avatar_cancellable(client, chat_id, path, std::ptr::null_mut()) }
}

/// `ga_download_avatar` that `cancel` (NULL = not cancellable) can stop: after
/// `ga_cancel(cancel)` the status is `GA_ERR_CANCELLED` within about 100 ms and `path` is left as
/// it was. Free the result with `ga_free`.
#[no_mangle]
pub unsafe extern "system" fn ga_download_avatar_cancellable(
    client: *mut GaClient,
    chat_id: *const c_char,
    path: *const c_char,
    cancel: *mut GaCancel,
) -> *mut GaAvatar {
    ffi_boundary!(
        new_avatar(
            GaStatus::GA_ERR_INTERNAL,
            0,
            None,
            "",
            Some("internal error in getavatar (please report it)")
        ),
        {
            // SAFETY: per the contract.
            let f = unsafe { fetch(client, chat_id, Some(path), cancel) };
            let (available, url) = (f.available(), f.url());
            match f.image() {
                Ok(_) => new_avatar(GaStatus::GA_OK, 200, available, url, None),
                Err(e) => {
                    set_last_error(&e.message);
                    new_avatar(e.status, e.http_status, available, url, Some(&e.message))
                }
            }
        }
    )
}

/// Looks up the avatar of `chat_id` and downloads the image into memory: `data`, `size` and
/// `content_type` of the result (same limits as `ga_download_avatar`). When there is no avatar the
/// status is `GA_OK`, `data` is NULL and `size` 0. Always returns a result (NULL only if memory
/// runs out); free it, image included, with `ga_free`.
#[no_mangle]
pub unsafe extern "system" fn ga_download_avatar_bytes(
    client: *mut GaClient,
    chat_id: *const c_char,
) -> *mut GaAvatarImage {
    // SAFETY: per the contract.
    unsafe { ga_download_avatar_bytes_cancellable(client, chat_id, std::ptr::null_mut()) }
}

/// `ga_download_avatar_bytes` that `cancel` (NULL = not cancellable) can stop: after
/// `ga_cancel(cancel)` the status is `GA_ERR_CANCELLED` within about 100 ms and there is no
/// image. Free the result with `ga_free`.
#[no_mangle]
pub unsafe extern "system" fn ga_download_avatar_bytes_cancellable(
    client: *mut GaClient,
    chat_id: *const c_char,
    cancel: *mut GaCancel,
) -> *mut GaAvatarImage {
    ffi_boundary!(
        new_avatar_image(
            GaStatus::GA_ERR_INTERNAL,
            0,
            None,
            "",
            Some("internal error in getavatar (please report it)"),
            None
        ),
        {
            // SAFETY: per the contract.
            let f = unsafe { fetch(client, chat_id, None, cancel) };
            let (available, url) = (f.available(), f.url());
            match f.image() {
                Ok(img) => new_avatar_image(GaStatus::GA_OK, 200, available, url, None, img),
                Err(e) => {
                    set_last_error(&e.message);
                    new_avatar_image(
                        e.status,
                        e.http_status,
                        available,
                        url,
                        Some(&e.message),
                        None,
                    )
                }
            }
        }
    )
}

/// Sets how long an idle connection is kept for the next call, 0 to 3600000 ms (default 300000,
/// 5 minutes, so that sporadic calls, as from a spreadsheet, find the connection and its TLS
/// session open; 0 = close after each call). Open connections are dropped. Returns `GA_OK` or
/// `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_idle_timeout_ms(client: *mut GaClient, ms: i32) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client.
        unsafe { set_num(client, ms, |c, v| c.set(Setting::IdleTimeout, v)) }
    })
}

/// Opens the connection to the server (DNS, TCP, TLS) ahead of the first lookup, so that the
/// first lookup costs one round trip; sends no request and uses no rate-limit slot. The
/// connection is kept for the idle timeout. Returns `GA_OK` (also when a connection was already
/// open), `GA_ERR_INVALID_ARGUMENT` (NULL client), or, when the server cannot be reached within
/// the timeout, `GA_ERR_NETWORK` or `GA_ERR_TIMEOUT` with `ga_last_error()` saying why: nothing
/// else changes, and lookups connect as usual. Not retried.
#[no_mangle]
pub unsafe extern "system" fn ga_client_warm_up(client: *mut GaClient) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client.
        status_of(unsafe { client_ref(client) }.and_then(|c| c.warm_up()))
    })
}
