//! The API token in the Windows Credential Manager: save, delete, and make a client from it.

use std::ffi::c_char;

use super::args::str_arg;
use super::client::{into_handle, GaClient};
use super::error::report;
use super::ffi_boundary;
use crate::client::Client;
use crate::error::status::GaStatus;
use crate::sys::credential;

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
    ffi_boundary!({
        into_handle((|| {
            // SAFETY: C strings or NULL, per the contract.
            let url = unsafe { str_arg(api_url, "api_url") }?;
            let id = unsafe { str_arg(id_instance, "id_instance") }?;
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
) -> GaStatus {
    ffi_boundary!({
        report((|| {
            // SAFETY: C strings or NULL, per the contract.
            let id = unsafe { str_arg(id_instance, "id_instance") }?;
            let token = unsafe { str_arg(api_token_instance, "api_token_instance") }?;
            credential::save(id, token)
        })())
    })
}

/// Deletes the stored token of `id_instance`. Returns `GA_OK`, or `GA_ERR_INVALID_ARGUMENT`
/// (none stored, bad idInstance, or not Windows) with the reason as the last error.
#[no_mangle]
pub unsafe extern "system" fn ga_credential_delete(id_instance: *const c_char) -> GaStatus {
    ffi_boundary!({
        report((|| {
            // SAFETY: a C string or NULL, per the contract.
            let id = unsafe { str_arg(id_instance, "id_instance") }?;
            credential::delete(id)
        })())
    })
}

/// Asks the user for the token of `id_instance` in Windows' own credential dialog (the user name
/// fixed to the idInstance, the token typed into a masked field) and stores it as
/// `ga_credential_save` does. Blocks until the dialog closes; call it from a thread that may
/// show windows (Excel's macro thread). Returns `GA_OK` (stored), `GA_ERR_CANCELLED` (the user
/// cancelled; nothing stored), `GA_ERR_INVALID_ARGUMENT` (bad idInstance, before any dialog, a
/// typed token that is not valid, or OK on an empty field; nothing stored, the token never
/// shown), or `GA_ERR_IO` when no dialog could be shown (not Windows, credui.dll missing, no
/// interactive desktop, or it returned no token without being shown): nothing stored; ask
/// another way. credui.dll is loaded from System32 only. The last error says which.
#[no_mangle]
pub unsafe extern "system" fn ga_credential_prompt(id_instance: *const c_char) -> GaStatus {
    ffi_boundary!({
        report((|| {
            // SAFETY: a C string or NULL, per the contract.
            let id = unsafe { str_arg(id_instance, "id_instance") }?;
            crate::sys::credential_prompt::prompt_and_save(id)
        })())
    })
}
