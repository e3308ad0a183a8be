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
//! [`UNSUPPORTED`]. No message ever holds the token.

use crate::client::{Client, Error};
use crate::validate;

/// The target name prefix of every getavatar credential.
pub const TARGET_PREFIX: &str = "getavatar/";

/// The message on platforms without the store.
pub const UNSUPPORTED: &str =
    "the stored credential is available on Windows only; use ga_client_new or the environment \
     (GA_API_URL, GA_ID_INSTANCE, GA_API_TOKEN_INSTANCE)";

/// The credential's target name for an instance, e.g. `getavatar/1101000001`.
pub fn target_name(id_instance: &str) -> String {
    format!("{TARGET_PREFIX}{id_instance}")
}

/// How to store a token, for "not found" messages.
fn how_to_store(id_instance: &str) -> String {
    format!(
        "no API token stored for idInstance {id_instance} (Windows Credential Manager, generic \
         credential \"{t}\"): store it once with GaSaveToken (Excel), \
         getavatar.save_credential (Python), ga_credential_save (C), or \
         `cmdkey /generic:{t} /user:{id_instance} /pass`",
        t = target_name(id_instance)
    )
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
    /// [`crate::credential`]). No request is sent.
    pub fn from_credential(api_url: &str, id_instance: &str) -> Result<Client, Error> {
        validate::parse_api_url(api_url).map_err(Error::invalid)?;
        let mut token = load(id_instance)?;
        let made = Client::new(api_url, id_instance, &token);
        wipe(&mut token);
        made.map_err(|e| Error {
            message: format!(
                "the stored token of {}: {}",
                target_name(id_instance),
                e.message
            ),
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

    fn os_error(what: &str, target: &str) -> Error {
        let e = std::io::Error::last_os_error();
        Error::invalid(format!(
            "Windows Credential Manager: {what} \"{target}\" failed: {e}"
        ))
    }

    pub(super) fn write(target: &str, user: &str, token: &str) -> Result<(), Error> {
        let mut t = wide(target);
        let mut u = wide(user);
        let mut blob: Vec<u8> = token.encode_utf16().flat_map(u16::to_le_bytes).collect();
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
        let r = if ok {
            Ok(())
        } else {
            Err(os_error("storing", target))
        };
        super::zero(&mut blob);
        r
    }

    pub(super) fn read(target: &str) -> Result<Option<String>, Error> {
        let t = wide(target);
        let mut p: *mut CREDENTIALW = std::ptr::null_mut();
        // SAFETY: a NUL-terminated target and an out pointer.
        if unsafe { CredReadW(t.as_ptr(), CRED_TYPE_GENERIC, 0, &mut p) } == 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(ERROR_NOT_FOUND) {
                return Ok(None);
            }
            return Err(os_error("reading", target));
        }
        // SAFETY: CredReadW succeeded: `p` is a credential whose blob has CredentialBlobSize
        // bytes (or is NULL); it is freed once, below.
        let units: Vec<u16> = unsafe {
            let c = &*p;
            let n = c.CredentialBlobSize as usize;
            let bytes = if c.CredentialBlob.is_null() || n == 0 {
                &[][..]
            } else {
                std::slice::from_raw_parts(c.CredentialBlob, n)
            };
            let units = bytes
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            std::ptr::write_bytes(c.CredentialBlob, 0, n);
            CredFree(p.cast());
            units
        };
        let end = units.iter().rposition(|&u| u != 0).map_or(0, |i| i + 1);
        String::from_utf16(&units[..end]).map(Some).map_err(|_| {
            Error::invalid(format!(
                "the stored credential \"{target}\" is not UTF-16 text; store the token again"
            ))
        })
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
        Err(os_error("deleting", target))
    }
}

#[cfg(not(windows))]
mod sys {
    //! No store here: a clear error.
    use super::{Error, UNSUPPORTED};

    pub(super) fn write(_target: &str, _user: &str, _token: &str) -> Result<(), Error> {
        Err(Error::invalid(UNSUPPORTED))
    }

    pub(super) fn read(_target: &str) -> Result<Option<String>, Error> {
        Err(Error::invalid(UNSUPPORTED))
    }

    pub(super) fn delete(_target: &str) -> Result<bool, Error> {
        Err(Error::invalid(UNSUPPORTED))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::GaStatus;

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

    #[cfg(not(windows))]
    #[test]
    fn other_platforms_say_windows_only() {
        for e in [
            save("1101000001", "abcdef0123456789").unwrap_err(),
            delete("1101000001").unwrap_err(),
            Client::from_credential("https://3100.api.green-api.com", "1101000001").unwrap_err(),
        ] {
            assert_eq!(e.status, GaStatus::GA_ERR_INVALID_ARGUMENT);
            assert_eq!(e.message, UNSUPPORTED);
        }
    }
}
