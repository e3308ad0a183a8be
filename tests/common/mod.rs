//! Helpers for the integration tests: calls through the exported C functions, as a C user would.
#![allow(dead_code, unused_imports)]

use std::ffi::{c_char, CStr, CString};
use std::path::PathBuf;
use std::process::Command;

use getavatar::internals::ffi::*;

pub mod wine;
pub use getavatar_emulator::{Emulator, Fault, ProxyKind, TestProxy, AVATAR_PNG};

/// A copied result.
#[derive(Debug, Clone, PartialEq)]
pub struct Res {
    pub status: i32,
    pub http: i32,
    pub available: i32,
    pub url: String,
    pub error: Option<String>,
}

impl Res {
    pub fn name(&self) -> String {
        status_name(self.status)
    }
    pub fn err(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }
}

pub fn status_name(s: i32) -> String {
    unsafe { CStr::from_ptr(ga_status_name(s)) }
        .to_str()
        .unwrap()
        .to_string()
}

pub fn last_error() -> String {
    let p = ga_last_error();
    assert!(!p.is_null(), "ga_last_error never returns NULL");
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
}

/// A client handle that is freed on drop; Send + Sync like the C contract says.
pub struct Handle(pub *mut GaClient, pub String);
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        unsafe { ga_client_free(self.0) };
    }
}

impl Handle {
    pub fn new(url: &str, id: &str, token: &str) -> Handle {
        let (u, i, t) = (
            CString::new(url).unwrap(),
            CString::new(id).unwrap(),
            CString::new(token).unwrap(),
        );
        let c = unsafe { ga_client_new(u.as_ptr(), i.as_ptr(), t.as_ptr()) };
        assert!(!c.is_null(), "ga_client_new failed: {}", last_error());
        Handle(c, token.to_string())
    }

    /// A client for the emulator with fast retries and the rate limit off.
    pub fn for_emu(emu: &Emulator) -> Handle {
        let h = Handle::new(&emu.url(), &emu.id_instance(), &emu.token());
        assert_eq!(unsafe { ga_client_set_backoff_ms(h.0, 1) }, GaStatus::GA_OK);
        assert_eq!(unsafe { ga_client_set_rate_limit(h.0, 0) }, GaStatus::GA_OK);
        h
    }

    pub fn get(&self, chat_id: &str) -> Res {
        let c = CString::new(chat_id).unwrap();
        self.get_raw(c.as_ptr())
    }

    pub fn get_bytes(&self, chat_id: &[u8]) -> Res {
        let c = CString::new(chat_id).unwrap();
        self.get_raw(c.as_ptr())
    }

    pub fn get_raw(&self, chat_id: *const c_char) -> Res {
        let r = unsafe { get_with(self.0, chat_id) };
        assert_no_token(&r, &self.1);
        r
    }

    pub fn set_timeout(&self, ms: i32) -> i32 {
        unsafe { ga_client_set_timeout_ms(self.0, ms) as i32 }
    }
    pub fn set_retries(&self, n: i32) -> i32 {
        unsafe { ga_client_set_max_retries(self.0, n) as i32 }
    }
    pub fn set_rate(&self, n: i32) -> i32 {
        unsafe { ga_client_set_rate_limit(self.0, n) as i32 }
    }
    pub fn set_backoff(&self, n: i32) -> i32 {
        unsafe { ga_client_set_backoff_ms(self.0, n) as i32 }
    }
    /// ga_client_set_language.
    pub fn set_language(&self, tag: &str) -> i32 {
        let t = CString::new(tag).unwrap();
        unsafe { ga_client_set_language(self.0, t.as_ptr()) as i32 }
    }
    pub fn set_proxy(&self, url: &str) -> i32 {
        let u = CString::new(url).unwrap();
        unsafe { ga_client_set_proxy(self.0, u.as_ptr()) as i32 }
    }

    /// ga_download_avatar: the result, checked and freed.
    pub fn download(&self, chat_id: &str, path: &str) -> Res {
        let (c, p) = (CString::new(chat_id).unwrap(), CString::new(path).unwrap());
        let r = unsafe { download_with(self.0, c.as_ptr(), p.as_ptr()) };
        assert_no_token(&r, &self.1);
        r
    }

    /// ga_download_avatar_bytes: the result and the image, checked and freed.
    pub fn download_bytes(&self, chat_id: &str) -> Img {
        let c = CString::new(chat_id).unwrap();
        let p: *mut GaAvatarImage = unsafe { ga_download_avatar_bytes(self.0, c.as_ptr()) };
        assert!(!p.is_null());
        let i = unsafe { &*p };
        let res = unsafe { copy(i.status, i.http_status, i.available, i.url_avatar, i.error) };
        assert!(!i.content_type.is_null(), "content_type is never NULL");
        let content_type = unsafe { CStr::from_ptr(i.content_type) }
            .to_str()
            .unwrap()
            .to_string();
        let data = if i.data.is_null() {
            assert_eq!(i.size, 0, "size is 0 when data is NULL");
            assert_eq!(content_type, "", "no content type without data");
            None
        } else {
            Some(unsafe { std::slice::from_raw_parts(i.data, i.size) }.to_vec())
        };
        unsafe { ga_free(p.cast()) };
        check_download(&res);
        if res.status != 0 {
            assert!(data.is_none(), "no image on failure");
        }
        assert_no_token(&res, &self.1);
        Img {
            res,
            data,
            content_type,
        }
    }
}

/// A copied `GaAvatarImage`.
#[derive(Debug)]
pub struct Img {
    pub res: Res,
    pub data: Option<Vec<u8>>,
    pub content_type: String,
}

/// Copies the fields every result shares.
pub unsafe fn copy(
    status: i32,
    http: i32,
    available: i32,
    url: *const c_char,
    error: *const c_char,
) -> Res {
    assert!(!url.is_null(), "url_avatar is never NULL");
    let s = |p| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string();
    Res {
        status,
        http,
        available,
        url: s(url),
        error: (!error.is_null()).then(|| s(error)),
    }
}

/// The invariants of a download result: like a lookup's, except that the link and `available`
/// stay when the lookup succeeded and only the image failed.
pub fn check_download(r: &Res) {
    if r.status == 0 {
        assert!(r.error.is_none(), "error is NULL on GA_OK");
    } else {
        assert!(!r.err().is_empty(), "a failure has a message");
        assert_eq!(
            last_error(),
            r.err(),
            "ga_last_error holds the failure's message"
        );
        if r.url.is_empty() {
            assert_eq!(r.available, -1);
        }
    }
    assert!(matches!(r.available, -1..=1));
}

/// Calls ga_download_avatar, copies the result, checks its invariants, frees it.
pub unsafe fn download_with(
    client: *mut GaClient,
    chat_id: *const c_char,
    path: *const c_char,
) -> Res {
    let p: *mut GaAvatar = unsafe { ga_download_avatar(client, chat_id, path) };
    assert!(!p.is_null());
    let a = unsafe { &*p };
    let r = unsafe { copy(a.status, a.http_status, a.available, a.url_avatar, a.error) };
    unsafe { ga_free(p.cast()) };
    check_download(&r);
    r
}

/// A cancel token from ga_cancel_new, freed on drop; Send + Sync like the C contract says.
pub struct Token(pub *mut GaCancel);
unsafe impl Send for Token {}
unsafe impl Sync for Token {}

impl Token {
    pub fn new() -> Token {
        let t = ga_cancel_new();
        assert!(!t.is_null(), "ga_cancel_new: {}", last_error());
        Token(t)
    }
    pub fn cancel(&self) {
        unsafe { ga_cancel(self.0) }
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        unsafe { ga_cancel_free(self.0) };
    }
}

impl Handle {
    /// ga_get_avatar_cancellable: the result, checked and freed.
    pub fn get_cancellable(&self, chat_id: &str, cancel: &Token) -> Res {
        let c = CString::new(chat_id).unwrap();
        let r = unsafe { get_cancellable_with(self.0, c.as_ptr(), cancel.0) };
        assert_no_token(&r, &self.1);
        r
    }

    /// ga_get_avatars: the call's status and each result, copied, freed and checked for the
    /// token.
    pub fn get_many(&self, ids: &[&str]) -> (i32, Vec<Res>) {
        let ids: Vec<CString> = ids.iter().map(|s| CString::new(*s).unwrap()).collect();
        let ptrs: Vec<*const c_char> = ids.iter().map(|s| s.as_ptr()).collect();
        let mut out: Vec<*mut GaAvatar> = vec![std::ptr::null_mut(); ids.len()];
        let n = ids.len() as i32;
        let st = unsafe { ga_get_avatars(self.0, ptrs.as_ptr(), n, out.as_mut_ptr()) };
        let each = out
            .into_iter()
            .map(|p| {
                assert!(!p.is_null());
                let r = unsafe {
                    let a = &*p;
                    copy(a.status, a.http_status, a.available, a.url_avatar, a.error)
                };
                unsafe { ga_free(p.cast()) };
                assert_no_token(&r, &self.1);
                r
            })
            .collect();
        (st as i32, each)
    }

    /// ga_get_avatars_cancellable: the call's status and each result's status.
    pub fn get_many_cancellable(&self, ids: &[&str], cancel: &Token) -> (i32, Vec<i32>) {
        let ids: Vec<CString> = ids.iter().map(|s| CString::new(*s).unwrap()).collect();
        let ptrs: Vec<*const c_char> = ids.iter().map(|s| s.as_ptr()).collect();
        let mut out: Vec<*mut GaAvatar> = vec![std::ptr::null_mut(); ids.len()];
        let n = ids.len() as i32;
        let st = unsafe {
            ga_get_avatars_cancellable(self.0, ptrs.as_ptr(), n, out.as_mut_ptr(), cancel.0)
        };
        let each = out
            .into_iter()
            .map(|p| {
                assert!(!p.is_null());
                let s = unsafe { (*p).status };
                unsafe { ga_free(p.cast()) };
                s
            })
            .collect();
        (st as i32, each)
    }

    /// ga_download_avatar_cancellable: the result, checked and freed.
    pub fn download_cancellable(&self, chat_id: &str, path: &str, cancel: &Token) -> Res {
        let (c, p) = (CString::new(chat_id).unwrap(), CString::new(path).unwrap());
        let a = unsafe { ga_download_avatar_cancellable(self.0, c.as_ptr(), p.as_ptr(), cancel.0) };
        assert!(!a.is_null());
        let r = unsafe {
            let a = &*a;
            copy(a.status, a.http_status, a.available, a.url_avatar, a.error)
        };
        unsafe { ga_free(a.cast()) };
        check_download(&r);
        assert_no_token(&r, &self.1);
        r
    }

    /// ga_download_avatar_bytes_cancellable: the result and whether it held data.
    pub fn download_bytes_cancellable(&self, chat_id: &str, cancel: &Token) -> (Res, bool) {
        let c = CString::new(chat_id).unwrap();
        let p = unsafe { ga_download_avatar_bytes_cancellable(self.0, c.as_ptr(), cancel.0) };
        assert!(!p.is_null());
        let (r, data) = unsafe {
            let i = &*p;
            (
                copy(i.status, i.http_status, i.available, i.url_avatar, i.error),
                !i.data.is_null(),
            )
        };
        unsafe { ga_free(p.cast()) };
        check_download(&r);
        assert_no_token(&r, &self.1);
        (r, data)
    }
}

/// Calls ga_get_avatar, copies the result, checks its invariants, frees it.
pub unsafe fn get_with(client: *mut GaClient, chat_id: *const c_char) -> Res {
    unsafe { get_cancellable_with(client, chat_id, std::ptr::null_mut()) }
}

/// Calls ga_get_avatar_cancellable, copies the result, checks its invariants, frees it.
pub unsafe fn get_cancellable_with(
    client: *mut GaClient,
    chat_id: *const c_char,
    cancel: *mut GaCancel,
) -> Res {
    let p: *mut GaAvatar = unsafe {
        if cancel.is_null() {
            ga_get_avatar(client, chat_id)
        } else {
            ga_get_avatar_cancellable(client, chat_id, cancel)
        }
    };
    assert!(!p.is_null());
    let a = unsafe { &*p };
    assert!(!a.url_avatar.is_null(), "url_avatar is never NULL");
    let url = unsafe { CStr::from_ptr(a.url_avatar) }
        .to_str()
        .unwrap()
        .to_string();
    let error = (!a.error.is_null()).then(|| {
        unsafe { CStr::from_ptr(a.error) }
            .to_str()
            .unwrap()
            .to_string()
    });
    let r = Res {
        status: a.status,
        http: a.http_status,
        available: a.available,
        url,
        error,
    };
    unsafe { ga_free(p.cast()) };
    if r.status == 0 {
        assert!(r.error.is_none(), "error is NULL on GA_OK");
        assert!(matches!(r.available, -1..=1));
    } else {
        let e = r.err();
        assert!(!e.is_empty(), "a failure has a message");
        assert_eq!(last_error(), e, "ga_last_error holds the failure's message");
        assert_eq!(r.url, "");
        assert_eq!(r.available, -1);
    }
    r
}

pub fn assert_no_token(r: &Res, token: &str) {
    let low = token.to_ascii_lowercase();
    for s in [r.err(), r.url.as_str(), &last_error()] {
        assert!(!s.to_ascii_lowercase().contains(&low), "token leaked: {s}");
    }
}

/// An HTTP date (IMF-fixdate) for `t`, built the long way round so that tests do not reuse the
/// parser they check.
pub fn http_date(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = secs / 86_400;
    let (mut y, mut d) = (1970u64, days);
    let leap = |y: u64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    while d >= if leap(y) { 366 } else { 365 } {
        d -= if leap(y) { 366 } else { 365 };
        y += 1;
    }
    let ml = [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut m = 0;
    while d >= ml[m] {
        d -= ml[m];
        m += 1;
    }
    let names = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let s = secs % 86_400;
    format!(
        "{wd}, {:02} {} {y} {:02}:{:02}:{:02} GMT",
        d + 1,
        names[m],
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// Says loudly that a test did not run its checks, and records it in $GETAVATAR_SKIPPED_FILE
/// (scripts/test.sh reports those tests as skipped, not passed).
pub fn record_skip(test: &str, why: &str) {
    eprintln!("\n*** SKIPPED: {test}: {why}\n");
    if let Some(path) = std::env::var_os("GETAVATAR_SKIPPED_FILE") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("GETAVATAR_SKIPPED_FILE is writable");
        writeln!(f, "{test}: {why}").unwrap();
    }
}

/// The folder of the built cdylib (built now when missing or stale).
pub fn lib_dir() -> PathBuf {
    // `cargo test` builds the rlib only: build the cdylib too (a no-op when it is fresh), so the C
    // program never links a stale or missing libgetavatar.
    let st = Command::new(env!("CARGO"))
        .args(["build", "--lib", "--manifest-path"])
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .status()
        .expect("cargo");
    assert!(st.success(), "cargo build --lib failed");
    // target/debug/deps/<test>-XXXX -> target/debug
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// Compiles a test program against include/ and links it to the built libgetavatar, as a user
/// of the header would (warnings are errors).
pub fn compile(compiler_var: &str, default: &str, std: &str, source: &str, name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let lib = lib_dir();
    let so = lib.join(if cfg!(target_os = "macos") {
        "libgetavatar.dylib"
    } else {
        "libgetavatar.so"
    });
    assert!(so.exists(), "{} not built", so.display());
    let out = lib.join(name);
    let compiler = std::env::var(compiler_var).unwrap_or_else(|_| default.into());
    let st = Command::new(&compiler)
        .args([
            std,
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-g",
            "-pthread",
            "-o",
        ])
        .arg(&out)
        .arg(root.join(source))
        .arg("-I")
        .arg(root.join("include"))
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lgetavatar")
        .status()
        .unwrap_or_else(|e| panic!("a compiler ({compiler}): {e}"));
    assert!(st.success(), "{source} did not compile");
    out
}

/// The proxy variables the library reads (curl's names, both cases).
pub const PROXY_VARS: [&str; 8] = [
    "HTTPS_PROXY",
    "https_proxy",
    "http_proxy",
    "HTTP_PROXY",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Removes every proxy variable from this process's environment (only safe in a test binary
/// with a single test: no other thread reads the environment meanwhile).
pub fn clear_proxy_env() {
    for v in PROXY_VARS {
        std::env::remove_var(v);
    }
}
