//! `GaAvatar`: the result of a lookup, one allocation holding the struct and its strings.

use std::ffi::c_char;

use super::alloc::{alloc_block, c_string_size, write_c_string};
use crate::status::GaStatus;

/// The result of `ga_get_avatar` (and of `ga_download_avatar`). Free it with `ga_free`, which also
/// frees its strings; the strings are valid until then.
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
    /// Never NULL. After `ga_download_avatar*` it is the link even when the lookup succeeded but
    /// fetching or saving the image failed (then `status` says why).
    pub url_avatar: *const c_char,
    /// What went wrong, UTF-8, token redacted; NULL when `status == GA_OK`.
    pub error: *const c_char,
}

/// `available` as the C field says it: 1, 0, or -1 for "did not say".
fn available_code(available: Option<bool>) -> i32 {
    match available {
        Some(true) => 1,
        Some(false) => 0,
        None => -1,
    }
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
    let Some(total) = head
        .checked_add(url_len)
        .and_then(|n| n.checked_add(err_len))
    else {
        return std::ptr::null_mut();
    };
    let p = alloc_block(total);
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
            available: available_code(available),
            url_avatar: url_ptr as *const c_char,
            error: err_ptr,
        });
        a
    }
}

/// The result of `ga_download_avatar_bytes`: a `GaAvatar` (same first five fields) plus the image.
/// Free it with `ga_free`, which also frees the image and strings; they are valid until then.
#[repr(C)]
#[derive(Debug)]
pub struct GaAvatarImage {
    /// A `GaStatus` number; 0 = `GA_OK`.
    pub status: i32,
    /// The status of the last HTTP response whose headers arrived (the image's, once it was
    /// requested); 0 when none did.
    pub http_status: i32,
    /// 1 available, 0 hidden by privacy, -1 the server did not say (also when the lookup failed).
    pub available: i32,
    /// The avatar link, UTF-8; "" when there is none or the lookup failed. Never NULL.
    pub url_avatar: *const c_char,
    /// What went wrong, UTF-8, token redacted; NULL when `status == GA_OK`.
    pub error: *const c_char,
    /// The image bytes (at most 16 MiB); NULL when there is no image (no avatar, or an error).
    pub data: *const u8,
    /// How many bytes `data` holds; 0 when it is NULL.
    pub size: usize,
    /// The image's media type, e.g. "image/jpeg"; "" when there is no image. Never NULL.
    pub content_type: *const c_char,
}

/// Allocates an image result in one block. NULL only when memory runs out.
pub(crate) fn new_avatar_image(
    status: GaStatus,
    http_status: u16,
    available: Option<bool>,
    url: &str,
    error: Option<&str>,
    image: Option<&crate::Image>,
) -> *mut GaAvatarImage {
    let head = std::mem::size_of::<GaAvatarImage>();
    let ct = image.map(|i| i.content_type.as_str()).unwrap_or("");
    let data: &[u8] = image.map(|i| i.data.as_slice()).unwrap_or(&[]);
    let url_len = c_string_size(url);
    let err_len = error.map(c_string_size).unwrap_or(0);
    let ct_len = c_string_size(ct);
    let Some(total) = [url_len, err_len, ct_len, data.len()]
        .iter()
        .try_fold(head, |a, b| a.checked_add(*b))
    else {
        return std::ptr::null_mut();
    };
    let p = alloc_block(total);
    if p.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the block holds the struct (16-aligned), then the three strings, then the data.
    unsafe {
        let url_ptr = p.add(head);
        write_c_string(url_ptr, url);
        let mut next = url_ptr.add(url_len);
        let err_ptr = match error {
            Some(e) => {
                write_c_string(next, e);
                let q = next as *const c_char;
                next = next.add(err_len);
                q
            }
            None => std::ptr::null(),
        };
        let ct_ptr = next;
        write_c_string(ct_ptr, ct);
        next = next.add(ct_len);
        let data_ptr = if image.is_some() {
            std::ptr::copy_nonoverlapping(data.as_ptr(), next, data.len());
            next as *const u8
        } else {
            std::ptr::null()
        };
        let a = p as *mut GaAvatarImage;
        a.write(GaAvatarImage {
            status: status as i32,
            http_status: http_status as i32,
            available: available_code(available),
            url_avatar: url_ptr as *const c_char,
            error: err_ptr,
            data: data_ptr,
            size: if image.is_some() { data.len() } else { 0 },
            content_type: ct_ptr as *const c_char,
        });
        a
    }
}
