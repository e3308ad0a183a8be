//! Reading the arguments of an export: C strings and string arrays.

use std::ffi::{c_char, CStr};

use crate::error::Error;
use crate::messages::Msg;

/// Reads a C string argument: NULL and invalid UTF-8 become an invalid-argument error naming it.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid during the call.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(Error::invalid(Msg::ArgNull { name }));
    }
    // SAFETY: the caller promises a NUL-terminated string.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| {
        Error::invalid(Msg::ArgNotUtf8 {
            name,
            offset: e.valid_up_to(),
        })
    })
}

/// Reads a C string argument that only fills a blank of a text (`ga_message`): NULL is "",
/// invalid UTF-8 is replaced, never refused.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid during the call.
pub(crate) unsafe fn lossy_arg(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: per the contract.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// The caller's array of chat ids, read (never written) by the batch workers.
pub(crate) struct IdArray(pub(crate) *const *const c_char);

// SAFETY: the array and its strings are only read, and the caller keeps them alive and unchanged
// for the duration of ga_get_avatars (documented contract).
unsafe impl Sync for IdArray {}

impl IdArray {
    /// The `i`th id.
    ///
    /// # Safety
    /// The array holds more than `i` pointers, each NULL or a C string.
    pub(crate) unsafe fn get<'a>(&self, i: usize) -> Result<&'a str, Error> {
        // SAFETY: per the contract.
        unsafe { str_arg(*self.0.add(i), "chat_id") }
    }
}
