//! `GaAvatar`: the result of a lookup, one allocation holding the struct and its strings.

use std::ffi::c_char;

use super::alloc::{alloc_block, c_string_size, write_c_string};
use crate::status::GaStatus;

/// The result of `ga_get_avatar`. Free it with `ga_free`, which also frees its strings;
/// the strings are valid until then.
#[repr(C)]
#[derive(Debug)]
pub struct GaAvatar {
    /// A `GaStatus` number; 0 = `GA_OK`.
    pub status: i32,
    /// The status of the last HTTP response whose headers arrived; 0 when none did.
    pub http_status: i32,
    /// 1 available, 0 hidden by privacy, -1 the server did not say (also on errors).
    pub available: i32,
    /// The avatar link, UTF-8; "" when there is none (no avatar, no such account, privacy, error).
    /// Never NULL.
    pub url_avatar: *const c_char,
    /// What went wrong, UTF-8, token redacted; NULL when `status == GA_OK`.
    pub error: *const c_char,
}

/// Allocates a result. NULL only when memory runs out.
pub(crate) fn new_avatar(
    status: GaStatus,
    http_status: u16,
    available: Option<bool>,
    url: &str,
    error: Option<&str>,
) -> *mut GaAvatar {
    let head = std::mem::size_of::<GaAvatar>();
    let url_len = c_string_size(url);
    let err_len = error.map(c_string_size).unwrap_or(0);
    let p = alloc_block(head + url_len + err_len);
    if p.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the block holds the struct (16-aligned) followed by both strings.
    unsafe {
        let url_ptr = p.add(head);
        write_c_string(url_ptr, url);
        let err_ptr = match error {
            Some(e) => {
                let q = url_ptr.add(url_len);
                write_c_string(q, e);
                q as *const c_char
            }
            None => std::ptr::null(),
        };
        let a = p as *mut GaAvatar;
        a.write(GaAvatar {
            status: status as i32,
            http_status: http_status as i32,
            available: match available {
                Some(true) => 1,
                Some(false) => 0,
                None => -1,
            },
            url_avatar: url_ptr as *const c_char,
            error: err_ptr,
        });
        a
    }
}
