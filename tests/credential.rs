//! The stored-credential exports through the C ABI on this (non-Windows) platform: arguments are
//! checked first (NULL, invalid UTF-8, bad idInstance or token, never echoing the token), then a
//! clear "Windows only" error. The Windows store itself is proven under Wine (tests/windows.rs).
#![cfg(not(windows))]

use std::ffi::{c_char, CStr};

use getavatar::internals::ffi::*;

fn last() -> String {
    unsafe { CStr::from_ptr(ga_last_error()) }
        .to_str()
        .unwrap()
        .to_string()
}

fn p(s: &CStr) -> *const c_char {
    s.as_ptr()
}

#[test]
fn arguments_are_checked_then_windows_only() {
    unsafe {
        assert_eq!(
            ga_credential_save(std::ptr::null(), p(c"abcdef0123456789")),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last(), "id_instance is NULL");
        assert_eq!(
            ga_credential_save(p(c"3100000001"), std::ptr::null()),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last(), "api_token_instance is NULL");
        assert_eq!(
            ga_credential_delete(p(c"\xff")),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert!(last().contains("not valid UTF-8"), "{}", last());
        assert_eq!(
            ga_credential_save(p(c"31x"), p(c"abcdef0123456789")),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert!(last().contains("idInstance"), "{}", last());
        assert_eq!(
            ga_credential_save(p(c"3100000001"), p(c"secret0123456789 spaced")),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert!(!last().contains("secret0123"), "{}", last());
        assert!(ga_client_new_from_credential(std::ptr::null(), p(c"3100000001")).is_null());
        assert_eq!(last(), "api_url is NULL");

        assert_eq!(
            ga_credential_save(p(c"3100000001"), p(c"abcdef0123456789")),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert!(last().contains("available on Windows only"), "{}", last());
        assert_eq!(
            ga_credential_delete(p(c"3100000001")),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert!(last().contains("available on Windows only"));
        let c =
            ga_client_new_from_credential(p(c"https://3100.api.green-api.com"), p(c"3100000001"));
        assert!(c.is_null());
        assert!(last().contains("available on Windows only"));
    }
}

#[test]
fn the_credential_dialog_checks_its_argument_then_says_no_dialog_here() {
    unsafe {
        assert_eq!(
            ga_credential_prompt(std::ptr::null()),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last(), "id_instance is NULL");
        assert_eq!(
            ga_credential_prompt(p(c"31x")),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert!(last().contains("idInstance"), "{}", last());
        assert_eq!(ga_credential_prompt(p(c"3100000001")), GaStatus::GA_ERR_IO);
        assert_eq!(
            last(),
            "no credential dialog could be shown (it is available on Windows only); nothing was stored"
        );
    }
}
