//! Downloads: the lookup, then the image, saved to a file (`ga_download_avatar`) or returned in
//! memory (`ga_download_avatar_bytes`), each with a cancellable form.

use std::ffi::c_char;

use super::args::str_arg;
use super::avatar::{new_avatar, new_avatar_image, GaAvatar, GaAvatarImage, Said};
use super::cancel::{cancel_of, GaCancel};
use super::client::{client_ref, GaClient};
use super::error::set_last_error;
use super::ffi_boundary;
use crate::client::Download;

/// Looks up `chat_id` and fetches its image; with `path`, also saves it there. A failure is
/// also the last error.
///
/// # Safety
/// `client` is NULL or a live client; `chat_id` and `path` NULL or C strings; `cancel` NULL or
/// a live token.
unsafe fn fetch(
    client: *mut GaClient,
    chat_id: *const c_char,
    path: Option<*const c_char>,
    cancel: *mut GaCancel,
) -> Download {
    let r = (|| {
        // SAFETY: per the contract.
        let c = unsafe { client_ref(client) }?;
        let id = unsafe { str_arg(chat_id, "chat_id") }?;
        let p = match path {
            Some(p) => Some(unsafe { str_arg(p, "path") }?),
            None => None,
        };
        let token = unsafe { cancel_of(cancel) };
        Ok(c.download(id, p, token.as_ref()))
    })();
    let fetched = r.unwrap_or_else(Download::failed);
    if let Err(e) = fetched.image() {
        set_last_error(&e.message);
    }
    fetched
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
    ffi_boundary!({
        // SAFETY: per the contract.
        let d = unsafe { fetch(client, chat_id, Some(path), cancel) };
        new_avatar(&Said::new(d.avatar(), d.image().err()))
    })
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
    ffi_boundary!({
        // SAFETY: per the contract.
        let d = unsafe { fetch(client, chat_id, None, cancel) };
        new_avatar_image(
            &Said::new(d.avatar(), d.image().err()),
            d.image().ok().flatten(),
        )
    })
}
