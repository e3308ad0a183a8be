//! The results: `GaAvatar` (a lookup or a download to a file) and `GaAvatarImage` (a download
//! into memory), each one block holding the struct and its strings (and image).

use std::borrow::Cow;
use std::ffi::c_char;

use super::block::{write_block, Part};
use crate::error::status::GaStatus;
use crate::error::Error;
use crate::{Avatar, Image};

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

/// What a result says, whichever its C type: the lookup's answer (when there was one) and the
/// failure (when there was one).
pub(crate) struct Said<'a> {
    status: GaStatus,
    http_status: u16,
    available: Option<bool>,
    url: &'a str,
    /// With settings named by their C function (see [`crate::settings::c_names`]).
    error: Option<Cow<'a, str>>,
}

impl<'a> Said<'a> {
    /// `avatar` is the lookup's answer (None when the lookup failed); `error` why the call
    /// failed (None when it succeeded; it may fail after the lookup, fetching the image).
    pub(crate) fn new(avatar: Option<&'a Avatar>, error: Option<&'a Error>) -> Said<'a> {
        Said {
            status: error.map_or(GaStatus::GA_OK, |e| e.status),
            http_status: error.map_or(200, |e| e.http_status),
            available: avatar.and_then(|a| a.available),
            url: avatar.map_or("", |a| a.url.as_str()),
            error: error.map(|e| crate::settings::c_names(&e.message)),
        }
    }

    /// A caught panic's result (the message with the panic's own words is the last error).
    pub(crate) fn internal() -> Said<'static> {
        Said {
            status: GaStatus::GA_ERR_INTERNAL,
            http_status: 0,
            available: None,
            url: "",
            error: Some(crate::messages::Msg::Internal.text().into()),
        }
    }

    /// `available` as the C field says it: 1, 0, or -1 for "did not say".
    fn available_code(&self) -> i32 {
        match self.available {
            Some(true) => 1,
            Some(false) => 0,
            None => -1,
        }
    }
}

/// Allocates a result. NULL only when memory runs out.
pub(crate) fn new_avatar(said: &Said) -> *mut GaAvatar {
    write_block(
        [Part::Text(said.url), Part::MaybeText(said.error.as_deref())],
        |[url, error]| GaAvatar {
            status: said.status as i32,
            http_status: said.http_status.into(),
            available: said.available_code(),
            url_avatar: url.cast(),
            error: error.cast(),
        },
    )
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

/// Allocates an image result; `image` None when there is none (no avatar, or an error). NULL
/// only when memory runs out.
pub(crate) fn new_avatar_image(said: &Said, image: Option<&Image>) -> *mut GaAvatarImage {
    let content_type = image.map_or("", |i| i.content_type.as_str());
    let data = image.map(|i| i.data.as_slice());
    write_block(
        [
            Part::Text(said.url),
            Part::MaybeText(said.error.as_deref()),
            Part::Text(content_type),
            Part::MaybeBytes(data),
        ],
        |[url, error, content_type, data_ptr]| GaAvatarImage {
            status: said.status as i32,
            http_status: said.http_status.into(),
            available: said.available_code(),
            url_avatar: url.cast(),
            error: error.cast(),
            data: data_ptr,
            size: data.map_or(0, <[u8]>::len),
            content_type: content_type.cast(),
        },
    )
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;
    use crate::ffi::alloc::free_block;

    #[test]
    fn results_and_the_last_error_name_settings_by_their_c_function() {
        let e = Error {
            status: GaStatus::GA_ERR_NETWORK,
            http_status: 0,
            message: "UnknownIssuer; trust its root (CA file setting)".into(),
        };
        let a = new_avatar(&Said::new(None, Some(&e)));
        let text = unsafe { CStr::from_ptr((*a).error) }
            .to_str()
            .unwrap()
            .to_string();
        assert!(free_block(a.cast()));
        assert_eq!(
            text,
            "UnknownIssuer; trust its root (ga_client_set_ca_file)"
        );
        let i = new_avatar_image(&Said::new(None, Some(&e)), None);
        let text = unsafe { CStr::from_ptr((*i).error) }
            .to_str()
            .unwrap()
            .to_string();
        assert!(free_block(i.cast()));
        assert_eq!(
            text,
            "UnknownIssuer; trust its root (ga_client_set_ca_file)"
        );
        crate::ffi::error::set_last_error("choose another (trust setting)");
        let last = unsafe { CStr::from_ptr(crate::ffi::ga_last_error()) };
        assert_eq!(
            last.to_str().unwrap(),
            "choose another (ga_client_set_trust)"
        );
    }

    #[test]
    fn avatar_blocks_hold_their_strings_and_free_once() {
        let e = Error {
            status: GaStatus::GA_ERR_SERVER,
            http_status: 503,
            message: "a\0b".into(),
        };
        let a = new_avatar(&Said::new(None, Some(&e)));
        let r = unsafe { &*a };
        assert_eq!((r.status, r.http_status, r.available), (8, 503, -1));
        assert_eq!(unsafe { CStr::from_ptr(r.url_avatar) }.to_bytes(), b"");
        assert_eq!(
            unsafe { CStr::from_ptr(r.error) }.to_str().unwrap(),
            "a\u{fffd}b"
        );
        assert_eq!(a as usize % 16, 0, "16-byte aligned");
        assert!(free_block(a.cast()));
        assert!(!free_block(a.cast()), "freed once");
        let found = Avatar {
            url: "https://x/ä".into(),
            available: Some(false),
        };
        let ok = new_avatar(&Said::new(Some(&found), None));
        let r = unsafe { &*ok };
        assert!(r.error.is_null());
        assert_eq!((r.status, r.http_status, r.available), (0, 200, 0));
        assert_eq!(
            unsafe { CStr::from_ptr(r.url_avatar) }.to_str().unwrap(),
            "https://x/ä"
        );
        assert!(free_block(ok.cast()));
    }

    #[test]
    fn image_blocks_hold_the_image_after_the_strings() {
        let found = Avatar {
            url: "https://x/a.jpg".into(),
            available: Some(true),
        };
        let img = Image {
            data: vec![0xff, 0xd8, 0, 7],
            content_type: "image/jpeg".into(),
        };
        let p = new_avatar_image(&Said::new(Some(&found), None), Some(&img));
        let r = unsafe { &*p };
        assert_eq!(
            (r.status, r.http_status, r.available, r.size),
            (0, 200, 1, 4)
        );
        assert!(r.error.is_null());
        assert_eq!(
            unsafe { std::slice::from_raw_parts(r.data, r.size) },
            img.data
        );
        assert_eq!(unsafe { CStr::from_ptr(r.content_type) }, c"image/jpeg");
        assert_eq!(unsafe { CStr::from_ptr(r.url_avatar) }, c"https://x/a.jpg");
        assert!(free_block(p.cast()));

        let e = Error::invalid("no file");
        let p = new_avatar_image(&Said::new(Some(&found), Some(&e)), None);
        let r = unsafe { &*p };
        assert_eq!((r.status, r.http_status, r.available, r.size), (1, 0, 1, 0));
        assert!(r.data.is_null());
        assert_eq!(unsafe { CStr::from_ptr(r.content_type) }, c"");
        assert_eq!(unsafe { CStr::from_ptr(r.url_avatar) }, c"https://x/a.jpg");
        assert_eq!(unsafe { CStr::from_ptr(r.error) }, c"no file");
        assert!(free_block(p.cast()));
    }
}
