//! `ga_free`: the one way to free a result (see `alloc.rs` for the registry that makes it safe).

use std::ffi::c_void;

use super::alloc::free_block;
use super::error::set_last_error;
use super::ffi_boundary;

/// Frees a `GaAvatar*` or `GaAvatarImage*` (with the strings and image inside it). NULL is fine.
/// Any other pointer (one inside a result such as `result->error`, one freed already,
/// `ga_last_error()`, memory from elsewhere) is refused: nothing is freed, the memory it points
/// to is never read, and `ga_last_error()` says so. Free a client with `ga_client_free`, a
/// cancel token with `ga_cancel_free`.
#[no_mangle]
pub unsafe extern "system" fn ga_free(ptr: *mut c_void) {
    ffi_boundary!({
        if !ptr.is_null() && !free_block(ptr.cast()) {
            set_last_error("ga_free: the pointer was not returned by getavatar, or was already freed (a pointer inside a result, such as its error, is freed with the result); nothing was freed");
        }
    })
}
