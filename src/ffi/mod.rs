//! The C ABI: thin, unsafe, and nothing else. Every export runs its body inside
//! [`ffi_boundary!`], so no panic crosses into C; arguments are checked by the helpers here.
//!
//! Every export is `extern "system"`: `__stdcall` on 32-bit Windows (the only convention Excel
//! VBA can call) and the platform's C convention everywhere else. See `build.rs` for how the
//! header says so.

pub(crate) mod alloc;
pub mod avatar;
pub mod client;
pub mod error;

use std::ffi::{c_char, CStr};

/// Runs an export's body, turning a panic into `$default` and a last error.
macro_rules! ffi_boundary {
    ($default:expr, $body:block) => {{
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(payload) => {
                $crate::ffi::error::set_last_error(&$crate::ffi::panic_message(&*payload));
                $default
            }
        }
    }};
}
pub(crate) use ffi_boundary;

/// The message for a caught panic.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("internal error in getavatar (please report it): {what}")
}

/// Reads a C string argument: NULL and invalid UTF-8 become a message naming the argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid during the call.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, String> {
    if p.is_null() {
        return Err(format!("{name} is NULL"));
    }
    // SAFETY: the caller promises a NUL-terminated string.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "{name} is not valid UTF-8 (bad byte at offset {}); pass UTF-8 text",
            e.valid_up_to()
        )
    })
}
