//! Lookups: one chat id (`ga_get_avatar`) or many at once (`ga_get_avatars`), each with a
//! cancellable form.

use crate::messages::Msg;
use std::ffi::c_char;

use super::args::{str_arg, IdArray};
use super::avatar::{new_avatar, GaAvatar, Said};
use super::cancel::{cancel_of, GaCancel};
use super::client::{client_ref, GaClient};
use super::error::{report, set_last_error};
use super::ffi_boundary;
use crate::client::Client;
use crate::error::status::GaStatus;
use crate::error::Error;
use crate::Avatar;

/// A result block for one lookup (NULL only if memory runs out).
fn avatar_block(r: &Result<Avatar, Error>) -> *mut GaAvatar {
    new_avatar(&Said::new(r.as_ref().ok(), r.as_ref().err()))
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
    ffi_boundary!({
        let r = (|| {
            // SAFETY: NULL or a live client / C string / token, per the contract.
            let c = unsafe { client_ref(client) }?;
            let id = unsafe { str_arg(chat_id, "chat_id") }?;
            match unsafe { cancel_of(cancel) } {
                Some(t) => c.get_avatar_cancellable(id, &t),
                None => c.get_avatar(id),
            }
        })();
        if let Err(e) = &r {
            set_last_error(&e.message);
        }
        avatar_block(&r)
    })
}

/// Looks up `count` chat ids at once (see `ga_client_set_concurrency`), keeping to the client's
/// rate limit. `chat_ids` is an array of `count` UTF-8 strings; `results` an array of `count`
/// pointers that receives one `GaAvatar*` per id, in the same order (free each with `ga_free`).
/// One bad or NULL id fails only its own result. After a failure of the whole instance
/// (`GA_ERR_UNAUTHORIZED`, `GA_ERR_FORBIDDEN`, `GA_ERR_NOT_FOUND`, `GA_ERR_QUOTA_EXCEEDED`,
/// `GA_ERR_NETWORK`, a `GA_ERR_TIMEOUT` that reached no server) the ids not yet asked get that
/// failure at once, without a request each (their error says "not sent"). Returns `GA_OK` when every slot was filled (look
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
) -> GaStatus {
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
) -> GaStatus {
    ffi_boundary!({
        // SAFETY: NULL or a live client / token, per the contract.
        let (c, n) = match unsafe { batch_args(client, chat_ids, count, results) } {
            Ok(v) => v,
            Err(e) => return report(Err(e)),
        };
        let ids = IdArray(chat_ids);
        // SAFETY: chat_ids holds n pointers (i < n), each NULL or a C string.
        let id = |i| unsafe { ids.get(i) };
        let token = unsafe { cancel_of(cancel) };
        match c.get_avatars_with(n, id, token.as_ref()) {
            // SAFETY: results holds n writable slots.
            Ok(out) => unsafe { store_results(&out, results) },
            Err(e) => report(Err(e)),
        }
    })
}

/// The client and the count of a batch, once its arrays are known not to be NULL.
///
/// # Safety
/// `client` is NULL or a live client.
unsafe fn batch_args<'a>(
    client: *mut GaClient,
    chat_ids: *const *const c_char,
    count: i32,
    results: *mut *mut GaAvatar,
) -> Result<(&'a Client, usize), Error> {
    // SAFETY: per the contract.
    let c = unsafe { client_ref(client) }?;
    let n = usize::try_from(count).map_err(|_| {
        Error::invalid(Msg::CountNegative {
            count: count.to_string(),
        })
    })?;
    if n > 0 && chat_ids.is_null() {
        return Err(Error::invalid(Msg::ArgNull { name: "chat_ids" }));
    }
    if n > 0 && results.is_null() {
        return Err(Error::invalid(Msg::ArgNull { name: "results" }));
    }
    Ok((c, n))
}

/// Writes one result block per lookup into `results`; `GA_ERR_INTERNAL` when one could not be
/// allocated (its slot is NULL).
///
/// # Safety
/// `results` holds `out.len()` writable slots.
unsafe fn store_results(out: &[Result<Avatar, Error>], results: *mut *mut GaAvatar) -> GaStatus {
    let mut all = true;
    for (i, r) in out.iter().enumerate() {
        let a = avatar_block(r);
        all &= !a.is_null();
        // SAFETY: per the contract.
        unsafe { *results.add(i) = a };
    }
    if all {
        GaStatus::GA_OK
    } else {
        set_last_error(&Msg::OomBatch.text());
        GaStatus::GA_ERR_INTERNAL
    }
}
