//! The API token in the Windows Credential Manager: save, delete, and make a client from it.

use std::ffi::c_char;

use super::client::{into_handle, GaClient};
use super::error::set_last_error;
use super::{ffi_boundary, str_arg};
use crate::client::{Client, Error};
use crate::credential;
use crate::status::GaStatus;

/// Makes a client whose token is read from the user's Windows Credential Manager: the generic
/// credential "getavatar/<id_instance>" (see `ga_credential_save`). `api_url` as for
/// `ga_client_new`. No request is sent. Returns NULL when there is no stored token (the last
/// error says how to store one), on invalid arguments, and on platforms other than Windows
/// ("available on Windows only"). Free with `ga_client_free`.
#[no_mangle]
pub unsafe extern "system" fn ga_client_new_from_credential(
    api_url: *const c_char,
    id_instance: *const c_char,
) -> *mut GaClient {
    ffi_boundary!(std::ptr::null_mut(), {
        into_handle((|| {
            // SAFETY: C strings or NULL, per the contract.
            let url = unsafe { str_arg(api_url, "api_url") }.map_err(Error::invalid)?;
            let id = unsafe { str_arg(id_instance, "id_instance") }.map_err(Error::invalid)?;
            Client::from_credential(url, id)
        })())
    })
}

/// Stores `api_token_instance` for `id_instance` in the user's Windows Credential Manager
/// (generic credential "getavatar/<id_instance>", user name the idInstance, the token as
/// UTF-16LE; kept on this computer for this user), replacing a stored one. Both are checked
/// first, as `ga_client_new` checks them; nothing is sent and the token is never shown.
/// Returns `GA_OK`, or `GA_ERR_INVALID_ARGUMENT` (bad argument, the store refused, or not
/// Windows) with the reason as the last error.
#[no_mangle]
pub unsafe extern "system" fn ga_credential_save(
    id_instance: *const c_char,
    api_token_instance: *const c_char,
) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        status_of((|| {
            // SAFETY: C strings or NULL, per the contract.
            let id = unsafe { str_arg(id_instance, "id_instance") }.map_err(Error::invalid)?;
            let token = unsafe { str_arg(api_token_instance, "api_token_instance") }
                .map_err(Error::invalid)?;
            credential::save(id, token)
        })())
    })
}

/// Deletes the stored token of `id_instance`. Returns `GA_OK`, or `GA_ERR_INVALID_ARGUMENT`
/// (none stored, bad idInstance, or not Windows) with the reason as the last error.
#[no_mangle]
pub unsafe extern "system" fn ga_credential_delete(id_instance: *const c_char) -> i32 {
    ffi_boundary!(GaStatus::GA_ERR_INTERNAL as i32, {
        status_of((|| {
            // SAFETY: a C string or NULL, per the contract.
            let id = unsafe { str_arg(id_instance, "id_instance") }.map_err(Error::invalid)?;
            credential::delete(id)
        })())
    })
}

fn status_of(r: Result<(), Error>) -> i32 {
    match r {
        Ok(()) => GaStatus::GA_OK as i32,
        Err(e) => {
            set_last_error(&e.message);
            e.status as i32
        }
    }
}
