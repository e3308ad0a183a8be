//! Status names, the per-thread last error, the version, `ga_free`, and keeping caught panics
//! off the host's stderr.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_void, CString};
use std::sync::atomic::{AtomicBool, Ordering};

use super::ffi_boundary;
use crate::status::GaStatus;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    /// How many getavatar exports (or batch workers of one) this thread is inside.
    static IN_EXPORT: Cell<u32> = const { Cell::new(0) };
}

/// Marks the current thread as working for a getavatar export while it lives: a panic on it is
/// caught by the export and reported as a last error, never printed.
pub(crate) struct QuietPanics(());

impl QuietPanics {
    pub(crate) fn enter() -> QuietPanics {
        let _ = IN_EXPORT.try_with(|d| d.set(d.get() + 1));
        QuietPanics(())
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        let _ = IN_EXPORT.try_with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Whether the current thread is inside a getavatar export (batch workers inherit it).
pub(crate) fn in_export() -> bool {
    IN_EXPORT.try_with(|d| d.get() > 0).unwrap_or(false)
}

/// Rust's default panic hook prints every panic to stderr, even one `catch_unwind` catches. The
/// first export call installs, once, a hook that stays silent for panics on threads inside an
/// export and hands every other panic to the hook that was there before (a Rust program using
/// the rlib keeps its own behaviour).
fn install_quiet_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    // set_hook panics on a panicking thread: try again on a later call then.
    if std::thread::panicking() || INSTALLED.load(Ordering::Acquire) {
        return;
    }
    if INSTALLED.swap(true, Ordering::AcqRel) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !in_export() {
            previous(info);
        }
    }));
}

/// Runs an export's body, catching a panic (see `ffi_boundary!`) without printing it.
pub(crate) fn catch<R>(
    body: impl FnOnce() -> R + std::panic::UnwindSafe,
) -> std::thread::Result<R> {
    install_quiet_hook();
    let _quiet = QuietPanics::enter();
    std::panic::catch_unwind(body)
}

/// Records `msg` as this thread's last error (NULs become U+FFFD).
pub(crate) fn set_last_error(msg: &str) {
    let c = CString::new(msg.replace('\0', "\u{fffd}")).unwrap_or_default();
    // try_with: during thread teardown the slot may be gone; then there is nobody to tell.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = c);
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

/// Frees a `GaAvatar*` or `GaAvatarImage*` (with the strings and image inside it). NULL is fine.
/// Any other pointer (one inside a result such as `result->error`, one freed already,
/// `ga_last_error()`, memory from elsewhere) is refused: nothing is freed, the memory it points
/// to is never read, and `ga_last_error()` says so. Free a client with `ga_client_free`.
#[no_mangle]
pub unsafe extern "system" fn ga_free(ptr: *mut c_void) {
    ffi_boundary!((), {
        if ptr.is_null() {
            return;
        }
        if !super::alloc::free_block(ptr as *mut u8) {
            set_last_error("ga_free: the pointer was not returned by getavatar, or was already freed (a pointer inside a result, such as its error, is freed with the result); nothing was freed");
        }
    })
}

/// Panics inside an export, as a bug would: for the test that proves a caught panic prints
/// nothing. Returns `GA_ERR_INTERNAL`. Not part of the C API.
#[doc(hidden)]
pub fn panic_inside_export_for_tests() -> i32 {
    ffi_boundary!(crate::status::GaStatus::GA_ERR_INTERNAL as i32, {
        panic!("a test panic inside an export");
    })
}
