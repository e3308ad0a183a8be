//! The API token kept out of files: one generic credential per instance in the user's Windows
//! Credential Manager.
//!
//! - Target name `getavatar/<idInstance>` (e.g. `getavatar/1101000001`), user name the idInstance,
//!   persisted for this user on this computer (`CRED_PERSIST_LOCAL_MACHINE`: not roamed).
//! - The blob is the token as UTF-16LE without a terminator, as Windows' own tools write generic
//!   credentials, so `cmdkey /generic:getavatar/1101000001 /user:1101000001 /pass` (which asks
//!   for the token without showing it) and Control Panel > Credential Manager store it too.
//!
//! On other platforms every function fails with `GA_ERR_INVALID_ARGUMENT` and
//! `unsupported()`. No message ever holds the token.

use crate::answer::validate;
use crate::client::Client;
use crate::error::Error;
use crate::messages::Msg;

/// The target name prefix of every getavatar credential.
pub const TARGET_PREFIX: &str = "getavatar/";

/// The message on platforms without the store.
#[cfg_attr(windows, allow(dead_code))]
fn unsupported() -> String {
    Msg::CredentialUnsupported.text()
}

/// The credential's target name for an instance, e.g. `getavatar/1101000001`.
pub fn target_name(id_instance: &str) -> String {
    format!("{TARGET_PREFIX}{id_instance}")
}

/// How to store a token, for "not found" messages.
fn how_to_store(id_instance: &str) -> String {
    Msg::NoTokenStored {
        id: id_instance,
        target: target_name(id_instance),
    }
    .text()
}

/// Stores the token of an instance, replacing any stored one. Both are checked first (as
/// [`Client::new`] checks them); nothing is sent.
pub fn save(id_instance: &str, api_token_instance: &str) -> Result<(), Error> {
    validate::check_id_instance(id_instance).map_err(Error::invalid)?;
    validate::check_token(api_token_instance).map_err(Error::invalid)?;
    sys::write(&target_name(id_instance), id_instance, api_token_instance)
}

/// Deletes the stored token of an instance. Deleting one that is not there is an error that
/// says so.
pub fn delete(id_instance: &str) -> Result<(), Error> {
    validate::check_id_instance(id_instance).map_err(Error::invalid)?;
    match sys::delete(&target_name(id_instance))? {
        true => Ok(()),
        false => Err(Error::invalid(how_to_store(id_instance))),
    }
}

/// The stored token of an instance, or an error saying how to store it.
fn load(id_instance: &str) -> Result<String, Error> {
    validate::check_id_instance(id_instance).map_err(Error::invalid)?;
    sys::read(&target_name(id_instance))?.ok_or_else(|| Error::invalid(how_to_store(id_instance)))
}

impl Client {
    /// A client whose token is read from the stored credential of `id_instance` (see
    /// [`crate::sys::credential`]). No request is sent.
    pub fn from_credential(api_url: &str, id_instance: &str) -> Result<Client, Error> {
        validate::parse_api_url(api_url).map_err(Error::invalid)?;
        let mut token = load(id_instance)?;
        let made = Client::new(api_url, id_instance, &token);
        wipe(&mut token);
        made.map_err(|e| Error {
            message: Msg::StoredTokenOf {
                target: target_name(id_instance),
                error: e.message,
            }
            .text(),
            ..e
        })
    }
}

/// Overwrites a string holding the token before it is freed.
pub(crate) fn wipe(s: &mut str) {
    // SAFETY: zero bytes are valid UTF-8.
    zero(unsafe { s.as_bytes_mut() });
}

/// Sets every element of `buf` to zero with volatile writes, which the compiler may not remove
/// as dead stores (a plain `fill(0)` just before a buffer is freed may be optimised away).
pub(crate) fn zero<T: Copy + Default>(buf: &mut [T]) {
    for x in buf.iter_mut() {
        // SAFETY: `x` is a valid, aligned, exclusive reference.
        unsafe { std::ptr::write_volatile(x, T::default()) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// A buffer that holds (part of) the token: allocated once at its final size, so that no
/// reallocation frees a block with a copy in it, and wiped before it is freed.
#[cfg_attr(not(windows), allow(dead_code))] // used by the Windows store
pub(crate) struct Wiped<T: Copy + Default>(Vec<T>);

#[cfg_attr(not(windows), allow(dead_code))] // used by the Windows store
impl<T: Copy + Default> Wiped<T> {
    /// Fills a buffer of exactly `n` elements from `items` (at most `n` are taken).
    fn exact(n: usize, items: impl Iterator<Item = T>) -> Wiped<T> {
        let mut v = Vec::with_capacity(n);
        v.extend(items.take(n));
        Wiped(v)
    }
}

impl<T: Copy + Default> std::ops::Deref for Wiped<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: Copy + Default> std::ops::DerefMut for Wiped<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T: Copy + Default> Drop for Wiped<T> {
    fn drop(&mut self) {
        zero(&mut self.0);
    }
}

/// The token as UTF-16LE bytes without a terminator (the credential blob), in one allocation.
#[cfg_attr(not(windows), allow(dead_code))] // used by the Windows store
pub(crate) fn utf16le(token: &str) -> Wiped<u8> {
    let n = token.encode_utf16().count() * 2;
    Wiped::exact(n, token.encode_utf16().flat_map(u16::to_le_bytes))
}

/// UTF-16 units from little-endian bytes (an odd last byte is ignored), in one allocation.
#[cfg_attr(not(windows), allow(dead_code))] // used by the Windows store
pub(crate) fn units_from_le(bytes: &[u8]) -> Wiped<u16> {
    let units = bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]));
    Wiped::exact(bytes.len() / 2, units)
}

/// The text of UTF-16 `units`, allocated once at its exact size; None (and nothing allocated)
/// when they are not valid UTF-16. `String::from_utf16` grows its buffer as it goes and drops
/// a partial string on error, leaving copies of the start of the token in freed memory.
#[cfg_attr(not(windows), allow(dead_code))] // used by the Windows store and dialog
pub(crate) fn text_from_utf16(units: &[u16]) -> Option<String> {
    let chars = || char::decode_utf16(units.iter().copied());
    let mut n = 0;
    for c in chars() {
        n += c.ok()?.len_utf8();
    }
    let mut s = String::with_capacity(n);
    chars().flatten().for_each(|c| s.push(c));
    Some(s)
}

#[cfg(windows)]
mod sys {
    //! advapi32's CredWriteW / CredReadW / CredDeleteW / CredFree.
    use super::Error;
    use std::ffi::c_void;

    const CRED_TYPE_GENERIC: u32 = 1;
    const CRED_PERSIST_LOCAL_MACHINE: u32 = 2;
    const ERROR_NOT_FOUND: i32 = 1168;

    #[repr(C)]
    #[allow(non_snake_case, clippy::upper_case_acronyms)]
    struct CREDENTIALW {
        Flags: u32,
        Type: u32,
        TargetName: *mut u16,
        Comment: *mut u16,
        LastWritten: [u32; 2],
        CredentialBlobSize: u32,
        CredentialBlob: *mut u8,
        Persist: u32,
        AttributeCount: u32,
        Attributes: *mut c_void,
        TargetAlias: *mut u16,
        UserName: *mut u16,
    }

    #[link(name = "advapi32")]
    extern "system" {
        fn CredWriteW(credential: *const CREDENTIALW, flags: u32) -> i32;
        fn CredReadW(
            target: *const u16,
            kind: u32,
            flags: u32,
            credential: *mut *mut CREDENTIALW,
        ) -> i32;
        fn CredDeleteW(target: *const u16, kind: u32, flags: u32) -> i32;
        fn CredFree(buffer: *const c_void);
    }

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().chain(std::iter::once(0)).collect()
    }

    fn os_error(what: crate::messages::Msg<'_>, target: &str) -> Error {
        let e = std::io::Error::last_os_error();
        Error::invalid(crate::messages::Msg::CredentialOsError {
            what: what.text(),
            target,
            error: e.to_string(),
        })
    }

    pub(super) fn write(target: &str, user: &str, token: &str) -> Result<(), Error> {
        let mut t = wide(target);
        let mut u = wide(user);
        let mut blob = super::utf16le(token);
        let cred = CREDENTIALW {
            Flags: 0,
            Type: CRED_TYPE_GENERIC,
            TargetName: t.as_mut_ptr(),
            Comment: std::ptr::null_mut(),
            LastWritten: [0, 0],
            CredentialBlobSize: blob.len() as u32,
            CredentialBlob: blob.as_mut_ptr(),
            Persist: CRED_PERSIST_LOCAL_MACHINE,
            AttributeCount: 0,
            Attributes: std::ptr::null_mut(),
            TargetAlias: std::ptr::null_mut(),
            UserName: u.as_mut_ptr(),
        };
        // SAFETY: every pointer in `cred` points into a live buffer of this frame.
        let ok = unsafe { CredWriteW(&cred, 0) } != 0;
        if ok {
            Ok(())
        } else {
            Err(os_error(crate::messages::Msg::CredStoring, target))
        }
    }

    pub(super) fn read(target: &str) -> Result<Option<String>, Error> {
        let t = wide(target);
        let mut p: *mut CREDENTIALW = std::ptr::null_mut();
        // SAFETY: a NUL-terminated target and an out pointer.
        if unsafe { CredReadW(t.as_ptr(), CRED_TYPE_GENERIC, 0, &mut p) } == 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(ERROR_NOT_FOUND) {
                return Ok(None);
            }
            return Err(os_error(crate::messages::Msg::CredReading, target));
        }
        // SAFETY: CredReadW succeeded: `p` is a credential whose blob has CredentialBlobSize
        // bytes (or is NULL); the blob is wiped and the credential freed once, below.
        let units = unsafe {
            let c = &*p;
            let n = c.CredentialBlobSize as usize;
            let units = if c.CredentialBlob.is_null() || n == 0 {
                super::units_from_le(&[])
            } else {
                let units = super::units_from_le(std::slice::from_raw_parts(c.CredentialBlob, n));
                std::ptr::write_bytes(c.CredentialBlob, 0, n);
                units
            };
            CredFree(p.cast());
            units
        };
        let end = units.iter().rposition(|&u| u != 0).map_or(0, |i| i + 1);
        // `units` is wiped when it goes, on either path.
        super::text_from_utf16(&units[..end])
            .map(Some)
            .ok_or_else(|| Error::invalid(crate::messages::Msg::CredentialNotUtf16 { target }))
    }

    pub(super) fn delete(target: &str) -> Result<bool, Error> {
        let t = wide(target);
        // SAFETY: a NUL-terminated target.
        if unsafe { CredDeleteW(t.as_ptr(), CRED_TYPE_GENERIC, 0) } != 0 {
            return Ok(true);
        }
        if std::io::Error::last_os_error().raw_os_error() == Some(ERROR_NOT_FOUND) {
            return Ok(false);
        }
        Err(os_error(crate::messages::Msg::CredDeleting, target))
    }
}

#[cfg(not(windows))]
mod sys {
    //! No store here: a clear error.
    use super::Error;

    pub(super) fn write(_target: &str, _user: &str, _token: &str) -> Result<(), Error> {
        Err(Error::invalid(super::unsupported()))
    }

    pub(super) fn read(_target: &str) -> Result<Option<String>, Error> {
        Err(Error::invalid(super::unsupported()))
    }

    pub(super) fn delete(_target: &str) -> Result<bool, Error> {
        Err(Error::invalid(super::unsupported()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::status::GaStatus;

    #[test]
    fn zero_and_wipe_clear_every_element() {
        let mut units = [0x41u16; 257];
        zero(&mut units);
        assert!(units.iter().all(|&u| u == 0));
        let mut token = String::from("abcdef0123456789abcdef");
        wipe(&mut token);
        assert_eq!(token.len(), 22);
        assert!(token.bytes().all(|b| b == 0));
    }

    #[test]
    fn arguments_are_checked_before_the_store_and_never_echo_the_token() {
        let e = save("12ab", "token").unwrap_err();
        assert!(e.message.contains("idInstance"), "{}", e.message);
        let secret = "s3cr3t-token with space";
        let e = save("1101000001", secret).unwrap_err();
        assert_eq!(e.status, GaStatus::GA_ERR_INVALID_ARGUMENT);
        assert!(!e.message.contains("s3cr3t"), "{}", e.message);
        let e = Client::from_credential("ftp://x", "1101000001").unwrap_err();
        assert!(e.message.contains("https://"), "{}", e.message);
        assert_eq!(target_name("1101000001"), "getavatar/1101000001");
    }

    /// Frees of blocks that still hold the start of the marker token, counted by the test
    /// allocator below while armed.
    mod scan {
        use std::alloc::{GlobalAlloc, Layout, System};
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

        pub const TOKEN: &str = "Wq7vMarkerTok3n-\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}";
        pub static ARMED: AtomicBool = AtomicBool::new(false);
        pub static FOUND: AtomicUsize = AtomicUsize::new(0);

        /// Eight characters of the token as UTF-8 and as UTF-16LE.
        const UTF8: &[u8] = b"Wq7vMark";
        const UTF16: &[u8] = b"W\0q\x007\0v\0M\0a\0r\0k\0";

        pub struct Scan;

        // SAFETY: every call is passed to the system allocator unchanged.
        unsafe impl GlobalAlloc for Scan {
            unsafe fn alloc(&self, l: Layout) -> *mut u8 {
                unsafe { System.alloc(l) }
            }
            unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
                if ARMED.load(SeqCst) {
                    // SAFETY: the block being freed is `l.size()` readable bytes.
                    let b = unsafe { std::slice::from_raw_parts(p, l.size()) };
                    let has = |m: &[u8]| b.windows(m.len()).any(|w| w == m);
                    if has(UTF8) || has(UTF16) {
                        FOUND.fetch_add(1, SeqCst);
                    }
                }
                unsafe { System.dealloc(p, l) }
            }
        }

        #[global_allocator]
        static A: Scan = Scan;
    }

    #[test]
    fn every_buffer_that_held_the_token_is_wiped_before_it_is_freed() {
        use scan::*;
        use std::sync::atomic::Ordering::SeqCst;
        ARMED.store(true, SeqCst);
        // Storing: the blob. Reading: the units, then the text (wiped by its user).
        let blob = utf16le(TOKEN);
        let units = units_from_le(&blob);
        let mut text = text_from_utf16(&units).unwrap();
        assert_eq!(text, TOKEN);
        wipe(&mut text);
        drop((blob, units, text));
        // Not UTF-16 (a lone surrogate at the end): nothing partial is left behind.
        let mut bad: Vec<u16> = Vec::with_capacity(64);
        bad.extend(TOKEN.encode_utf16());
        bad.push(0xd800);
        assert!(text_from_utf16(&bad).is_none());
        let bytes = Wiped::exact(bad.len() * 2, bad.iter().flat_map(|u| u.to_le_bytes()));
        let units = units_from_le(&bytes);
        assert!(text_from_utf16(&units).is_none());
        zero(&mut bad);
        drop((bad, bytes, units));
        ARMED.store(false, SeqCst);
        assert_eq!(FOUND.load(SeqCst), 0, "a freed block still held the token");
    }

    #[cfg(not(windows))]
    #[test]
    fn other_platforms_say_windows_only() {
        for e in [
            save("1101000001", "abcdef0123456789").unwrap_err(),
            delete("1101000001").unwrap_err(),
            Client::from_credential("https://3100.api.green-api.com", "1101000001").unwrap_err(),
        ] {
            assert_eq!(e.status, GaStatus::GA_ERR_INVALID_ARGUMENT);
            assert_eq!(e.message, unsupported());
        }
    }
}
