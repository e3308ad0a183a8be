//! The panic boundary: every export runs its body in [`ffi_boundary!`], which catches a panic,
//! records it as the last error, keeps it off the host's stderr, and returns the panic value of
//! the export's return type ([`PanicValue`]).

use crate::messages::Msg;
use std::sync::atomic::{AtomicBool, Ordering};

use super::avatar::{new_avatar, new_avatar_image, GaAvatar, GaAvatarImage, Said};
use super::cancel::GaCancel;
use super::client::GaClient;
use crate::error::quiet_panics::{in_export, QuietPanics};
use crate::error::status::GaStatus;

/// What an export returns when its body panicked: for each return type, the value a C caller
/// already handles as a failure.
pub(crate) trait PanicValue {
    fn panic_value() -> Self;
}

impl PanicValue for () {
    fn panic_value() {}
}

impl PanicValue for GaStatus {
    fn panic_value() -> GaStatus {
        GaStatus::GA_ERR_INTERNAL
    }
}

/// A number export fails as it does on bad arguments: -1 (with the last error).
impl PanicValue for f64 {
    fn panic_value() -> f64 {
        -1.0
    }
}

/// A handle export fails as it does on bad arguments: NULL (with the last error).
impl PanicValue for *mut GaClient {
    fn panic_value() -> Self {
        std::ptr::null_mut()
    }
}

impl PanicValue for *mut GaCancel {
    fn panic_value() -> Self {
        std::ptr::null_mut()
    }
}

/// A result export keeps its promise to always return a result (NULL only if memory runs out).
impl PanicValue for *mut GaAvatar {
    fn panic_value() -> Self {
        new_avatar(&Said::internal())
    }
}

impl PanicValue for *mut GaAvatarImage {
    fn panic_value() -> Self {
        new_avatar_image(&Said::internal(), None)
    }
}

/// Runs an export's body; a panic becomes a last error and the return type's
/// [`PanicValue`], or `$on_panic` when given (the static-string exports, whose fallback
/// differs per export).
macro_rules! ffi_boundary {
    ($body:block) => {
        $crate::ffi::panic::ffi_boundary!($crate::ffi::panic::PanicValue::panic_value(), $body)
    };
    ($on_panic:expr, $body:block) => {{
        match $crate::ffi::panic::catch(std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(payload) => {
                $crate::ffi::error::set_last_error(&$crate::ffi::panic::message(&*payload));
                $on_panic
            }
        }
    }};
}
pub(crate) use ffi_boundary;

/// The message for a caught panic.
pub(crate) fn message(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| Msg::UnknownPanic.text());
    Msg::InternalPanic { what }.text()
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

/// Panics inside an export, as a bug would: for the test that proves a caught panic prints
/// nothing. Returns `GA_ERR_INTERNAL`. Not part of the C API.
#[doc(hidden)]
pub fn panic_inside_export_for_tests() -> GaStatus {
    ffi_boundary!({
        panic!("a test panic inside an export");
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;
    use crate::ffi::error::ga_last_error;

    fn last_error() -> String {
        let p = ga_last_error();
        unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
    }

    fn panicking_export(n: i32) -> GaStatus {
        ffi_boundary!({
            if n > 0 {
                panic!("boom {n}");
            }
            GaStatus::GA_OK
        })
    }

    #[test]
    fn a_panic_becomes_the_default_and_a_last_error() {
        assert_eq!(panicking_export(0), GaStatus::GA_OK);
        assert_eq!(panicking_export(7), GaStatus::GA_ERR_INTERNAL);
        assert_eq!(
            last_error(),
            "internal error in getavatar (please report it): boom 7"
        );
    }

    #[test]
    fn each_return_type_has_its_panic_value() {
        let handle: *mut GaClient = ffi_boundary!({ panic!("h") });
        assert!(handle.is_null());
        assert_eq!(
            last_error(),
            "internal error in getavatar (please report it): h"
        );
        let token: *mut GaCancel = ffi_boundary!({ panic!("t") });
        assert!(token.is_null());
        let unit: () = ffi_boundary!({ panic!("u") });
        assert_eq!(unit, ());
        let given: *const std::ffi::c_char = ffi_boundary!(c"fallback".as_ptr(), { panic!("s") });
        assert_eq!(unsafe { CStr::from_ptr(given) }, c"fallback");

        let a: *mut GaAvatar = ffi_boundary!({ panic!("a") });
        let r = unsafe { &*a };
        assert_eq!((r.status, r.http_status, r.available), (12, 0, -1));
        assert_eq!(unsafe { CStr::from_ptr(r.url_avatar) }, c"");
        assert_eq!(
            unsafe { CStr::from_ptr(r.error) },
            c"internal error in getavatar (please report it)"
        );
        assert!(crate::ffi::alloc::free_block(a.cast()));

        let i: *mut GaAvatarImage = ffi_boundary!({ panic!("i") });
        let r = unsafe { &*i };
        assert_eq!((r.status, r.available, r.size), (12, -1, 0));
        assert!(r.data.is_null() && !r.error.is_null());
        assert_eq!(unsafe { CStr::from_ptr(r.content_type) }, c"");
        assert!(crate::ffi::alloc::free_block(i.cast()));
    }
}
