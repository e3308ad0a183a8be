//! The C ABI: thin, unsafe, and nothing else. Every export runs its body inside
//! [`ffi_boundary!`], so no panic crosses into C; arguments are checked by the helpers here.
//!
//! Every export is `extern "system"`: `__stdcall` on 32-bit Windows (the only convention Excel
//! VBA can call) and the platform's C convention everywhere else. See `build.rs` for how the
//! header says so.
//!
//! Safety contract of every export (stated in each doc comment in C terms, which is what the
//! header shows): pointer arguments are NULL or valid for the call; strings are NUL-terminated.
#![allow(clippy::missing_safety_doc)]

pub(crate) mod alloc;
pub mod avatar;
pub mod cancel;
pub mod client;
pub mod credential;
pub mod error;

use std::ffi::{c_char, CStr};

/// Runs an export's body, turning a panic into `$default` and a last error.
macro_rules! ffi_boundary {
    ($default:expr, $body:block) => {{
        match $crate::ffi::error::catch(std::panic::AssertUnwindSafe(|| $body)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn panicking_export(n: i32) -> i32 {
        ffi_boundary!(crate::status::GaStatus::GA_ERR_INTERNAL as i32, {
            if n > 0 {
                panic!("boom {n}");
            }
            0
        })
    }

    #[test]
    fn a_panic_becomes_the_default_and_a_last_error() {
        assert_eq!(panicking_export(0), 0);
        assert_eq!(panicking_export(7), 12);
        let msg = unsafe { CStr::from_ptr(error::ga_last_error()) }
            .to_str()
            .unwrap();
        assert_eq!(
            msg,
            "internal error in getavatar (please report it): boom 7"
        );
    }

    #[test]
    fn avatar_blocks_hold_their_strings_and_free_once() {
        let a = avatar::new_avatar(crate::GaStatus::GA_ERR_SERVER, 503, None, "", Some("a\0b"));
        let r = unsafe { &*a };
        assert_eq!((r.status, r.http_status, r.available), (8, 503, -1));
        assert_eq!(unsafe { CStr::from_ptr(r.url_avatar) }.to_bytes(), b"");
        assert_eq!(
            unsafe { CStr::from_ptr(r.error) }.to_str().unwrap(),
            "a\u{fffd}b"
        );
        assert_eq!(a as usize % 16, 0, "16-byte aligned");
        unsafe { error::ga_free(a.cast()) };
        let ok = avatar::new_avatar(
            crate::GaStatus::GA_OK,
            200,
            Some(false),
            "https://x/ä",
            None,
        );
        let r = unsafe { &*ok };
        assert!(r.error.is_null());
        assert_eq!(r.available, 0);
        assert_eq!(
            unsafe { CStr::from_ptr(r.url_avatar) }.to_str().unwrap(),
            "https://x/ä"
        );
        unsafe { error::ga_free(ok.cast()) };
    }
}
