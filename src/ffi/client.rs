//! `GaClient`'s lifecycle: making a client (from arguments or the environment), opening its
//! connection ahead of time, freeing it.

use std::ffi::c_char;

use super::args::str_arg;
use super::error::{report, set_last_error};
use super::ffi_boundary;
use crate::client::Client;
use crate::error::status::GaStatus;
use crate::error::Error;
use crate::messages::Msg;

/// A client for one GREEN-API instance. Opaque. Safe to share between threads: any number of
/// threads may call `ga_get_avatar` and the setters on one client at once; they share its
/// connections and rate limit. Free it with `ga_client_free` once no call is using it.
pub struct GaClient {
    inner: Client,
}

/// Borrows the client behind a pointer, or says it is NULL.
///
/// # Safety
/// `p` is NULL or a live client from `ga_client_new*`.
pub(crate) unsafe fn client_ref<'a>(p: *const GaClient) -> Result<&'a Client, Error> {
    // SAFETY: per the contract.
    match unsafe { p.as_ref() } {
        Some(c) => Ok(&c.inner),
        None => Err(Error::invalid(Msg::ArgNull { name: "client" })),
    }
}

/// A handle for a new client, or NULL with the failure as the last error.
pub(crate) fn into_handle(made: Result<Client, Error>) -> *mut GaClient {
    match made {
        Ok(c) => Box::into_raw(Box::new(GaClient { inner: c })),
        Err(e) => {
            set_last_error(&e.message);
            std::ptr::null_mut()
        }
    }
}

/// Makes a client for one instance. `api_url` is the host from your console, e.g.
/// `"https://3100.api.green-api.com"` (a trailing "/" or "/v3" is fine; "http://" only for
/// loopback hosts); `id_instance` 1-19 digits; `api_token_instance` the token (letters, digits,
/// "-", ".", "_", "~"). All UTF-8. No request is sent.
/// Returns NULL on invalid arguments: `ga_last_error()` says why. Free with `ga_client_free`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_new(
    api_url: *const c_char,
    id_instance: *const c_char,
    api_token_instance: *const c_char,
) -> *mut GaClient {
    ffi_boundary!({
        into_handle((|| {
            // SAFETY: C strings or NULL, per the contract.
            let url = unsafe { str_arg(api_url, "api_url") }?;
            let id = unsafe { str_arg(id_instance, "id_instance") }?;
            let token = unsafe { str_arg(api_token_instance, "api_token_instance") }?;
            Client::new(url, id, token)
        })())
    })
}

/// Makes a client from the environment variables GA_API_URL, GA_ID_INSTANCE and
/// GA_API_TOKEN_INSTANCE. Returns NULL when one is missing or invalid: `ga_last_error()` names
/// it. Free with `ga_client_free`.
#[no_mangle]
pub extern "system" fn ga_client_new_from_env() -> *mut GaClient {
    ffi_boundary!({ into_handle(Client::from_env()) })
}

/// Opens the connection to the server (DNS, TCP, TLS) ahead of the first lookup, so that the
/// first lookup costs one round trip; sends no request and uses no rate-limit slot. The
/// connection is kept for the idle timeout. Returns `GA_OK` (also when a connection was already
/// open), `GA_ERR_INVALID_ARGUMENT` (NULL client), or, when the server cannot be reached within
/// the timeout, `GA_ERR_NETWORK` or `GA_ERR_TIMEOUT` with `ga_last_error()` saying why: nothing
/// else changes, and lookups connect as usual. Not retried.
#[no_mangle]
pub unsafe extern "system" fn ga_client_warm_up(client: *mut GaClient) -> GaStatus {
    ffi_boundary!({
        // SAFETY: NULL or a live client.
        report(unsafe { client_ref(client) }.and_then(|c| c.warm_up()))
    })
}

/// Frees a client and closes its connections. NULL is fine. Must not be called twice, nor while
/// another thread is still using the client.
#[no_mangle]
pub unsafe extern "system" fn ga_client_free(client: *mut GaClient) {
    ffi_boundary!({
        if !client.is_null() {
            // SAFETY: a live client from ga_client_new*, freed once (documented contract).
            drop(unsafe { Box::from_raw(client) });
        }
    })
}
