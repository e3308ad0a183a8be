//! Keeping this library loaded while a thread of its own may still run (an OS call: the one
//! place, with [`crate::sys::fork`] and the Windows modules, where the core calls the system).
//!
//! A few helper threads may outlive the call that started them: the PAC script's evaluation
//! (Windows), a connection attempt left behind when a call is cancelled, a DNS lookup that
//! outlasts its deadline. A host that unloads the library (`dlclose`, `FreeLibrary`, .NET's
//! `NativeLibrary.Free`, JNA's `dispose`) while such a thread runs would make it return into
//! unmapped code. So before the first such thread starts, the library pins itself once: on
//! Windows `GetModuleHandleExW` with `GET_MODULE_HANDLE_EX_FLAG_PIN`, on Unix `dlopen` of its own
//! file with `RTLD_NODELETE | RTLD_NOLOAD`. From then on it stays mapped until the process ends
//! (unloading becomes a no-op), which is what Excel and ctypes already do. Statically linked
//! (the `.a`, or the Rust crate), there is nothing to pin and nothing happens.

use std::sync::Once;

/// Starts a detached helper thread named `name`, after pinning the library (once).
pub(crate) fn spawn_detached<F>(name: &str, f: F) -> std::io::Result<()>
where
    F: FnOnce() + Send + 'static,
{
    pin_once();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(drop)
}

/// Pins the library the first time it is called; later calls cost an atomic load.
pub(crate) fn pin_once() {
    static PINNED: Once = Once::new();
    PINNED.call_once(os::pin);
}

#[cfg(windows)]
mod os {
    use std::ffi::c_void;
    const GET_MODULE_HANDLE_EX_FLAG_PIN: u32 = 0x1;
    const GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS: u32 = 0x4;

    #[link(name = "kernel32")]
    extern "system" {
        fn GetModuleHandleExW(flags: u32, name: *const u16, module: *mut *mut c_void) -> i32;
    }

    pub(super) fn pin() {
        let mut module = std::ptr::null_mut();
        let flags = GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS;
        let here = pin as *const () as *const u16;
        // SAFETY: `here` is an address inside this module; `module` is a valid out pointer.
        unsafe { GetModuleHandleExW(flags, here, &mut module) };
    }
}

#[cfg(unix)]
mod os {
    pub(super) fn pin() {
        // SAFETY: dladdr fills `info` for an address of this module; its file name is a C string
        // owned by the loader. dlopen with RTLD_NOLOAD only changes the flags of an object
        // already loaded (it loads nothing); the reference it returns is kept for good.
        unsafe {
            let mut info: libc::Dl_info = std::mem::zeroed();
            let here = pin as *const () as *const libc::c_void;
            if libc::dladdr(here, &mut info) == 0 || info.dli_fname.is_null() {
                return;
            }
            let flags = libc::RTLD_NOW | libc::RTLD_NODELETE | libc::RTLD_NOLOAD;
            let _kept = libc::dlopen(info.dli_fname, flags);
        }
    }
}

#[cfg(not(any(unix, windows)))]
mod os {
    pub(super) fn pin() {}
}
