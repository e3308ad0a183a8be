//! Errors: the per-thread last error, status names, and the version.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use super::args::lossy_arg;
use super::ffi_boundary;
use crate::error::status::GaStatus;
use crate::error::Error;
use crate::messages::{binding_text, Lang};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    static MESSAGE: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `msg` as this thread's last error (NULs become U+FFFD; settings named by their C
/// function, see [`crate::settings::c_names`]).
pub(crate) fn set_last_error(msg: &str) {
    let c = c_text(&crate::settings::c_names(msg));
    // try_with: during thread teardown the slot may be gone; then there is nobody to tell.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = c);
}

/// `text` as a C string: a NUL inside becomes U+FFFD.
fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{fffd}")).unwrap_or_default()
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

/// A check a binding makes itself, whose text `ga_message` gives: a `GA_MSG_*` value.
pub type GaMessage = i32;

/// "this {name} is closed": a call on a client the program closed.
pub const GA_MSG_CLOSED: GaMessage = 1;
/// "{name} must be {expected}, not {value}": `expected` and `value` are the language's type
/// names.
pub const GA_MSG_WRONG_TYPE: GaMessage = 2;
/// "{name} must not contain NUL characters".
pub const GA_MSG_HAS_NUL: GaMessage = 3;
/// "{name} is not valid Unicode text (a lone surrogate at index {value})".
pub const GA_MSG_LONE_SURROGATE: GaMessage = 4;
/// "{name} {value} is out of range", then ": expected {expected}" when `expected` is not
/// empty (write it without words, e.g. "0..86400").
pub const GA_MSG_OUT_OF_RANGE: GaMessage = 5;
/// "{name} {value} is not valid: expected {expected}": `expected` lists the choices separated
/// by `|` (`"system"|"bundled"`), joined with the language's "or".
pub const GA_MSG_NOT_ONE_OF: GaMessage = 6;
/// "{value} chat ids in one batch: at most {expected}".
pub const GA_MSG_TOO_MANY_IDS: GaMessage = 7;
/// "getavatar: out of memory".
pub const GA_MSG_OUT_OF_MEMORY: GaMessage = 8;
/// "{value} (not sent: an earlier lookup of this batch met this failure, which every lookup of
/// the instance meets)": `value` is that failure's message; for a batch the binding runs itself,
/// worded as `ga_get_avatars` words its own.
pub const GA_MSG_NOT_SENT: GaMessage = 9;
/// "could not connect to the server": for a binding that cannot read the message of a call
/// made on another thread (`ga_client_warm_up` on a worker thread).
pub const GA_MSG_NOT_CONNECTED: GaMessage = 10;
/// "could not reach the server within the timeout": the same, for `GA_ERR_TIMEOUT`.
pub const GA_MSG_NO_ANSWER_IN_TIME: GaMessage = 11;
/// "{value} reads {name} from the environment; do not pass it": `value` is the function
/// (`Client.fromEnv`), `name` the option given.
pub const GA_MSG_READ_FROM_ENV: GaMessage = 12;

/// The library's text for a check a binding makes itself before calling it (`GA_MSG_*`), so a
/// binding's own errors read as the library's do, in the same language: `language` is a client's
/// language tag ("en", "ru", as `ga_client_set_language` takes); NULL, `""` or another tag mean
/// the process default. `name`, `value` and `expected` (UTF-8; NULL is `""`) fill the blanks
/// the `GA_MSG_*` value names. UTF-8, never NULL; owned by the library: do not free it; valid
/// until the next `ga_message` call on this thread (`ga_last_error()` is not changed). A number
/// that names no message gets a text that says so.
#[no_mangle]
pub unsafe extern "system" fn ga_message(
    language: *const c_char,
    message: GaMessage,
    name: *const c_char,
    value: *const c_char,
    expected: *const c_char,
) -> *const c_char {
    const NONE: &std::ffi::CStr = c"getavatar: no message";
    ffi_boundary!(NONE.as_ptr(), {
        // SAFETY: each pointer is NULL or a C string, per the contract.
        let (language, name, value, expected) = unsafe {
            (
                lossy_arg(language),
                lossy_arg(name),
                lossy_arg(value),
                lossy_arg(expected),
            )
        };
        let lang = Lang::parse(&language).unwrap_or_else(Lang::process_default);
        let c = c_text(&binding_text(lang, message, &name, &value, &expected));
        MESSAGE
            .try_with(|slot| {
                *slot.borrow_mut() = c;
                slot.borrow().as_ptr()
            })
            .unwrap_or(NONE.as_ptr())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::BindingCheck;

    #[test]
    fn the_c_numbers_are_the_checks_numbers() {
        let c = [
            GA_MSG_CLOSED,
            GA_MSG_WRONG_TYPE,
            GA_MSG_HAS_NUL,
            GA_MSG_LONE_SURROGATE,
            GA_MSG_OUT_OF_RANGE,
            GA_MSG_NOT_ONE_OF,
            GA_MSG_TOO_MANY_IDS,
            GA_MSG_OUT_OF_MEMORY,
            GA_MSG_NOT_SENT,
            GA_MSG_NOT_CONNECTED,
            GA_MSG_NO_ANSWER_IN_TIME,
            GA_MSG_READ_FROM_ENV,
        ];
        let core: Vec<i32> = BindingCheck::ALL.iter().map(|c| *c as i32).collect();
        assert_eq!(c.to_vec(), core);
    }
}
