//! Errors: the per-thread last error, status names, and the version.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use super::ffi_boundary;
use crate::error::status::GaStatus;
use crate::error::Error;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `msg` as this thread's last error (NULs become U+FFFD; settings named by their C
/// function, see [`crate::settings::c_names`]).
pub(crate) fn set_last_error(msg: &str) {
    let msg = crate::settings::c_names(msg);
    let c = CString::new(msg.replace('\0', "\u{fffd}")).unwrap_or_default();
    // try_with: during thread teardown the slot may be gone; then there is nobody to tell.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = c);
}

/// The status of a call: `GA_OK`, or the failure's, recorded as the last error.
pub(crate) fn report(r: Result<(), Error>) -> GaStatus {
    match r {
        Ok(()) => GaStatus::GA_OK,
        Err(e) => {
            set_last_error(&e.message);
            e.status
        }
    }
}

/// This thread's message for the last failed call, UTF-8; "" when nothing failed yet on this
/// thread. Never NULL. Owned by the library: do not free it; valid until the next getavatar
/// call on this thread. A successful call does not clear it.
#[no_mangle]
pub extern "system" fn ga_last_error() -> *const c_char {
    ffi_boundary!(c"internal error in getavatar".as_ptr(), {
        LAST_ERROR
            .try_with(|slot| slot.borrow().as_ptr())
            .unwrap_or(c"".as_ptr())
    })
}

/// The name of a status, e.g. "GA_OK", "GA_ERR_TIMEOUT"; "GA_ERR_UNKNOWN" for a number that is
/// not a status. Static: do not free.
#[no_mangle]
pub extern "system" fn ga_status_name(status: i32) -> *const c_char {
    ffi_boundary!(c"GA_ERR_UNKNOWN".as_ptr(), {
        match GaStatus::from_i32(status) {
            Some(s) => s.name_nul().as_ptr() as *const c_char,
            None => c"GA_ERR_UNKNOWN".as_ptr(),
        }
    })
}

/// The library's version, e.g. "0.1.0" (equals GETAVATAR_VERSION in this header when the
/// header and the library match). Static: do not free.
#[no_mangle]
pub extern "system" fn ga_version() -> *const c_char {
    ffi_boundary!(std::ptr::null(), {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
    })
}
