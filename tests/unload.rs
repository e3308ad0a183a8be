//! A host that unloads the library (`dlclose`; on Windows `FreeLibrary`, .NET's
//! `NativeLibrary.Free`, JNA's `dispose`) while a helper thread of the library may still run must
//! not make that thread return into unmapped code: the library pins itself before its first
//! helper thread starts (src/pin.rs), so an unload after that leaves it mapped.
#![cfg(target_os = "linux")]

mod common;

use std::ffi::{c_char, c_int, c_void, CString};

use common::*;

type NewFn = unsafe extern "C" fn(*const c_char, *const c_char, *const c_char) -> *mut c_void;
type GetFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> *mut c_int;
type FreeFn = unsafe extern "C" fn(*mut c_void);

unsafe fn sym<T>(lib: *mut c_void, name: &str) -> T {
    let n = CString::new(name).unwrap();
    let p = libc::dlsym(lib, n.as_ptr());
    assert!(!p.is_null(), "{name} not exported");
    std::mem::transmute_copy(&p)
}

#[test]
fn unloading_after_a_helper_thread_leaves_the_library_mapped() {
    let emu = Emulator::start_default().unwrap();
    // A host name (not an address) is looked up on the library's DNS helper thread.
    let url = emu.url().replace("127.0.0.1", "localhost");
    // A copy of its own, so that nothing else in this process holds the file open.
    let dir = tempdir();
    let so = dir.join("libgetavatar-unload.so");
    std::fs::copy(lib_dir().join("libgetavatar.so"), &so).unwrap();
    let path = CString::new(so.to_str().unwrap()).unwrap();
    // SAFETY: the exported functions with their header's signatures; every handle freed once.
    unsafe {
        let lib = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        assert!(!lib.is_null(), "dlopen failed");
        let new: NewFn = sym(lib, "ga_client_new");
        let get: GetFn = sym(lib, "ga_get_avatar");
        let free: FreeFn = sym(lib, "ga_free");
        let client_free: FreeFn = sym(lib, "ga_client_free");
        let (u, i, t) = (
            CString::new(url).unwrap(),
            CString::new(emu.id_instance()).unwrap(),
            CString::new(emu.token()).unwrap(),
        );
        // On a thread that ends before the unload: its thread-local destructors (which also keep
        // a library loaded) are gone by then, as in a host whose worker threads come and go.
        let (u, i, t) = (
            u.as_ptr() as usize,
            i.as_ptr() as usize,
            t.as_ptr() as usize,
        );
        std::thread::spawn(move || {
            let c = new(u as _, i as _, t as _);
            assert!(!c.is_null());
            let chat = CString::new("10000000").unwrap();
            let a = get(c, chat.as_ptr());
            assert_eq!(*a, 0, "the lookup through localhost succeeds");
            free(a.cast());
            client_free(c);
        })
        .join()
        .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(libc::dlclose(lib), 0);
        let again = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD);
        assert!(
            !again.is_null(),
            "the library was unmapped by dlclose although a helper thread of it had run"
        );
        libc::dlclose(again);
    }
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ga-unload-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
