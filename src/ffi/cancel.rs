//! `GaCancel`: cancel tokens for the `*_cancellable` calls.

use super::error::set_last_error;
use super::ffi_boundary;
use crate::cancel::Cancel;

/// A cancel token. Opaque. Make one with `ga_cancel_new`, pass it to any number of
/// `*_cancellable` calls, call `ga_cancel` from any thread to stop them, and free it with
/// `ga_cancel_free` once those calls have returned.
pub struct GaCancel {
    inner: Cancel,
}

/// The token behind a pointer, if any, as the call's own handle on it: a call holds this clone
/// (which shares the token's state), so the memory behind `p` is read once, when the call starts.
///
/// # Safety
/// `p` is NULL or a live token from `ga_cancel_new`.
pub(crate) unsafe fn cancel_of(p: *const GaCancel) -> Option<Cancel> {
    // SAFETY: per the contract.
    unsafe { cancel_ref(p) }.cloned()
}

/// The token behind a pointer, if any.
///
/// # Safety
/// `p` is NULL or a live token from `ga_cancel_new`.
pub(crate) unsafe fn cancel_ref<'a>(p: *const GaCancel) -> Option<&'a Cancel> {
    // SAFETY: per the contract.
    unsafe { p.as_ref() }.map(|c| &c.inner)
}

/// Makes a cancel token (not cancelled). Returns NULL only if memory runs out (then
/// `ga_last_error()` says so). Free it with `ga_cancel_free`.
#[no_mangle]
pub extern "system" fn ga_cancel_new() -> *mut GaCancel {
    ffi_boundary!({
        let layout = std::alloc::Layout::new::<GaCancel>();
        // SAFETY: GaCancel has a non-zero size.
        let p = unsafe { std::alloc::alloc(layout) } as *mut GaCancel;
        if p.is_null() {
            set_last_error(&crate::messages::Msg::OomCancel.text());
            return p;
        }
        // SAFETY: p is valid for a GaCancel and aligned for it; ga_cancel_free turns it back
        // into the Box this layout matches.
        unsafe {
            p.write(GaCancel {
                inner: Cancel::new(),
            })
        };
        p
    })
}

/// Cancels every call using `cancel`: each returns `GA_ERR_CANCELLED` within about 100 ms,
/// wherever it is (waiting for the rate limit, a retry delay, connecting, TLS, waiting for the
/// answer); a call started later with it returns `GA_ERR_CANCELLED` at once. A token once
/// cancelled stays cancelled. Safe from any thread, at any time while the token is alive;
/// calling it twice is fine; NULL is ignored. The client stays usable.
#[no_mangle]
pub unsafe extern "system" fn ga_cancel(cancel: *mut GaCancel) {
    ffi_boundary!({
        // SAFETY: NULL or a live token, per the contract.
        if let Some(c) = unsafe { cancel_ref(cancel) } {
            c.cancel();
        }
    })
}

/// Frees a cancel token. NULL is fine. Only once every call given it has returned, and once.
#[no_mangle]
pub unsafe extern "system" fn ga_cancel_free(cancel: *mut GaCancel) {
    ffi_boundary!({
        if !cancel.is_null() {
            // SAFETY: a live token from ga_cancel_new (allocated with GaCancel's layout, as a
            // Box is), freed once, per the contract.
            drop(unsafe { Box::from_raw(cancel) });
        }
    })
}
