//! `GaClient`: creating, configuring, using and freeing a client.

use std::ffi::c_char;

use super::avatar::{new_avatar, GaAvatar};
use super::error::set_last_error;
use super::{ffi_boundary, str_arg};
use crate::client::{Client, Error};
use crate::status::GaStatus;

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
        let made = (|| {
            // SAFETY: C strings or NULL, per the contract.
            let url = unsafe { str_arg(api_url, "api_url") }.map_err(Error::invalid)?;
            let id = unsafe { str_arg(id_instance, "id_instance") }.map_err(Error::invalid)?;
            let token = unsafe { str_arg(api_token_instance, "api_token_instance") }
                .map_err(Error::invalid)?;
            Client::new(url, id, token)
        })();
        match made {
            Ok(c) => Box::into_raw(Box::new(GaClient { inner: c })),
            Err(e) => {
                set_last_error(&e.message);
                std::ptr::null_mut()
            }
        }
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
                c.get_avatar(id)
            })();
            match r {
                Ok(a) => new_avatar(GaStatus::GA_OK, 200, a.available, &a.url, None),
                Err(e) => {
                    set_last_error(&e.message);
                    new_avatar(e.status, e.http_status, None, "", Some(&e.message))
                }
            }
        }
    )
}

/// Sets the timeout of each attempt, 1 to 600000 ms (default 30000). Returns `GA_OK`, or
/// `GA_ERR_INVALID_ARGUMENT` (NULL client, out of range: the old value is kept).
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_timeout_ms(client: *mut GaClient, ms: i32) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client.
        status_of(unsafe { client_ref(client) }.and_then(|c| c.set_timeout_ms(ms.into())))
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
        status_of(unsafe { client_ref(client) }.and_then(|c| c.set_max_retries(retries.into())))
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
        status_of(unsafe { client_ref(client) }.and_then(|c| c.set_rate_limit(per_second.into())))
    })
}

/// Sets the first retry delay, 0 to 60000 ms (default 250); it doubles on each retry (capped at
/// 30 s) with random jitter, unless the server sends Retry-After. Returns `GA_OK` or
/// `GA_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_set_backoff_ms(client: *mut GaClient, ms: i32) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        // SAFETY: NULL or a live client.
        status_of(unsafe { client_ref(client) }.and_then(|c| c.set_backoff_ms(ms.into())))
    })
}
