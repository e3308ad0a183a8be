//! Asking the user for an instance's token in Windows' own credential dialog
//! (`CredUIPromptForCredentialsW`: the user name fixed to the idInstance, the token typed into
//! a masked field) and storing it with [`crate::sys::credential::save`]. For Excel, whose InputBox
//! shows what is typed.
//!
//! credui.dll (and user32.dll, for the parent window) are loaded when the dialog is asked for,
//! not imported, and only from the system folder (`LOAD_LIBRARY_SEARCH_SYSTEM32`: a credui.dll
//! planted beside a workbook is never loaded): a system without them gets a clear status, and the
//! DLL's imports stay as they were. Outcomes: stored; `GA_ERR_CANCELLED` (the user cancelled:
//! nothing stored); `GA_ERR_INVALID_ARGUMENT` (a bad idInstance, before any dialog; a typed token
//! that is not valid, the token never shown; or OK pressed on an empty field: nothing stored);
//! `GA_ERR_IO` (no dialog could be shown: not Windows, credui.dll missing, no interactive
//! desktop; or it returned no token without a window having been activated, which is what Wine
//! without a display does).

use crate::answer::validate;
use crate::error::status::GaStatus;
use crate::error::Error;
use crate::messages::Msg;

/// Asks for the token of `id_instance` in a masked dialog and stores it.
pub fn prompt_and_save(id_instance: &str) -> Result<(), Error> {
    validate::check_id_instance(id_instance).map_err(Error::invalid)?;
    let mut token = sys::prompt(id_instance)?;
    let r = crate::sys::credential::save(id_instance, &token).map_err(|e| Error {
        message: Msg::TokenNotStored { error: e.message }.text(),
        ..e
    });
    crate::sys::credential::wipe(&mut token);
    r
}

/// A failure to show the dialog.
fn no_dialog(why: String) -> Error {
    Error {
        status: GaStatus::GA_ERR_IO,
        http_status: 0,
        message: Msg::NoDialog { why }.text(),
    }
}

#[cfg(windows)]
mod sys {
    //! credui's CredUIPromptForCredentialsW, found at run time.
    use super::no_dialog;
    use crate::error::status::GaStatus;
    use crate::error::Error;
    use crate::messages::Msg;
    use std::ffi::c_void;

    const ERROR_CANCELLED: u32 = 1223;
    const CREDUI_FLAGS_DO_NOT_PERSIST: u32 = 0x2;
    const CREDUI_FLAGS_EXCLUDE_CERTIFICATES: u32 = 0x8;
    const CREDUI_FLAGS_ALWAYS_SHOW_UI: u32 = 0x80;
    const CREDUI_FLAGS_GENERIC_CREDENTIALS: u32 = 0x40000;
    const CREDUI_FLAGS_KEEP_USERNAME: u32 = 0x100000;
    /// CREDUI_MAX_USERNAME_LENGTH and CREDUI_MAX_PASSWORD_LENGTH, plus the terminator.
    const USER_MAX: usize = 514;
    const PASSWORD_MAX: usize = 257;

    #[repr(C)]
    #[allow(non_snake_case, clippy::upper_case_acronyms)]
    struct CREDUI_INFOW {
        cbSize: u32,
        hwndParent: *mut c_void,
        pszMessageText: *const u16,
        pszCaptionText: *const u16,
        hbmBanner: *mut c_void,
    }

    type PromptFn = unsafe extern "system" fn(
        info: *const CREDUI_INFOW,
        target: *const u16,
        reserved: *mut c_void,
        auth_error: u32,
        user: *mut u16,
        user_max: u32,
        password: *mut u16,
        password_max: u32,
        save: *mut i32,
        flags: u32,
    ) -> u32;
    type WindowFn = unsafe extern "system" fn() -> *mut c_void;
    type ThreadOfFn = unsafe extern "system" fn(window: *mut c_void, process: *mut u32) -> u32;

    type HookProc = unsafe extern "system" fn(code: i32, w: usize, l: isize) -> isize;
    type SetHookFn =
        unsafe extern "system" fn(id: i32, f: HookProc, module: *mut c_void, thread: u32) -> Hook;
    type UnhookFn = unsafe extern "system" fn(hook: Hook) -> i32;
    type NextHookFn = unsafe extern "system" fn(hook: Hook, code: i32, w: usize, l: isize) -> isize;
    type Hook = *mut c_void;

    /// Only the system folder is searched (never the program's or the workbook's folder).
    const LOAD_LIBRARY_SEARCH_SYSTEM32: u32 = 0x0000_0800;
    const WH_CBT: i32 = 5;
    const HCBT_ACTIVATE: i32 = 5;

    #[link(name = "kernel32")]
    extern "system" {
        fn LoadLibraryExW(name: *const u16, file: *mut c_void, flags: u32) -> *mut c_void;
        fn GetProcAddress(module: *mut c_void, name: *const u8) -> *mut c_void;
        fn GetCurrentThreadId() -> u32;
    }

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().chain(std::iter::once(0)).collect()
    }

    /// `name` (NUL-terminated) in the system DLL `dll`, or None. The DLL stays loaded (it is a
    /// system DLL; loading it again costs a reference count).
    fn find(dll: &str, name: &[u8]) -> Option<*mut c_void> {
        let d = wide(dll);
        // SAFETY: NUL-terminated names; no file handle, as documented.
        let m = unsafe {
            LoadLibraryExW(
                d.as_ptr(),
                std::ptr::null_mut(),
                LOAD_LIBRARY_SEARCH_SYSTEM32,
            )
        };
        if m.is_null() {
            return None;
        }
        // SAFETY: a loaded module and a NUL-terminated name.
        let f = unsafe { GetProcAddress(m, name.as_ptr()) };
        (!f.is_null()).then_some(f)
    }

    std::thread_local! {
        /// Whether a window was activated on this thread while [`Watch`] was on.
        static ACTIVATED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    static CALL_NEXT: std::sync::OnceLock<Option<NextHookFn>> = std::sync::OnceLock::new();

    /// A CBT hook on this thread: notes that a window (the dialog) was activated.
    unsafe extern "system" fn on_cbt(code: i32, w: usize, l: isize) -> isize {
        if code == HCBT_ACTIVATE {
            let _ = ACTIVATED.try_with(|a| a.set(true));
        }
        match CALL_NEXT.get() {
            // SAFETY: CallNextHookEx with the arguments received (its hook handle is ignored).
            Some(Some(next)) => unsafe { next(std::ptr::null_mut(), code, w, l) },
            _ => 0,
        }
    }

    /// Watches whether the credential dialog was really shown, to tell OK on an empty field
    /// from a dialog that never appeared (Wine without a display returns success either way).
    /// The hook sees this thread's windows only: the legacy dialog runs on the calling thread.
    /// Were it shown on another, an OK on an empty field would read "it may not have been
    /// shown" (`GA_ERR_IO`): still true in what matters, since nothing was stored.
    struct Watch {
        hook: Hook,
        unhook: UnhookFn,
    }

    impl Watch {
        fn start() -> Option<Watch> {
            let set = find("user32.dll", b"SetWindowsHookExW\0")?;
            let unhook = find("user32.dll", b"UnhookWindowsHookEx\0")?;
            let next = find("user32.dll", b"CallNextHookEx\0");
            // SAFETY: the documented signatures of these user32 functions.
            let (set, unhook) = unsafe {
                (
                    std::mem::transmute::<*mut c_void, SetHookFn>(set),
                    std::mem::transmute::<*mut c_void, UnhookFn>(unhook),
                )
            };
            CALL_NEXT.get_or_init(|| {
                // SAFETY: the documented signature of CallNextHookEx.
                next.map(|n| unsafe { std::mem::transmute::<*mut c_void, NextHookFn>(n) })
            });
            let _ = ACTIVATED.try_with(|a| a.set(false));
            // SAFETY: a hook procedure of this module, on this thread only (no module handle).
            let hook = unsafe { set(WH_CBT, on_cbt, std::ptr::null_mut(), GetCurrentThreadId()) };
            (!hook.is_null()).then_some(Watch { hook, unhook })
        }

        fn shown(&self) -> bool {
            ACTIVATED.try_with(|a| a.get()).unwrap_or(false)
        }
    }

    impl Drop for Watch {
        fn drop(&mut self) {
            // SAFETY: the hook this watch set.
            unsafe { (self.unhook)(self.hook) };
        }
    }

    /// The dialog's owner: the foreground window only when it belongs to this thread (owning
    /// another thread's or process's window disables it and joins the two threads' input, which
    /// hangs when that thread waits for this call), else this thread's active window, else none.
    fn owner_window() -> *mut c_void {
        let window = |name: &[u8]| {
            find("user32.dll", name).map_or(std::ptr::null_mut(), |g| {
                // SAFETY: GetForegroundWindow and GetActiveWindow take nothing, return an HWND.
                unsafe { std::mem::transmute::<*mut c_void, WindowFn>(g)() }
            })
        };
        let foreground = window(b"GetForegroundWindow\0");
        if !foreground.is_null() {
            if let Some(f) = find("user32.dll", b"GetWindowThreadProcessId\0") {
                // SAFETY: the documented signature; a NULL process id out pointer is allowed.
                let f = unsafe { std::mem::transmute::<*mut c_void, ThreadOfFn>(f) };
                // SAFETY: any window handle may be asked about; no out pointer.
                if unsafe { f(foreground, std::ptr::null_mut()) } == unsafe { GetCurrentThreadId() }
                {
                    return foreground;
                }
            }
        }
        window(b"GetActiveWindow\0")
    }

    pub(super) fn prompt(id_instance: &str) -> Result<String, Error> {
        let Some(f) = find("credui.dll", b"CredUIPromptForCredentialsW\0") else {
            return Err(no_dialog(Msg::NoCredUi.text()));
        };
        // SAFETY: the documented signature of CredUIPromptForCredentialsW.
        let prompt: PromptFn = unsafe { std::mem::transmute::<*mut c_void, PromptFn>(f) };
        let parent = owner_window();
        let target = wide(&crate::sys::credential::target_name(id_instance));
        let text = wide(
            &Msg::DialogPrompt {
                id: id_instance,
                target: crate::sys::credential::target_name(id_instance),
            }
            .text(),
        );
        let caption = wide("getavatar");
        let info = CREDUI_INFOW {
            cbSize: std::mem::size_of::<CREDUI_INFOW>() as u32,
            hwndParent: parent,
            pszMessageText: text.as_ptr(),
            pszCaptionText: caption.as_ptr(),
            hbmBanner: std::ptr::null_mut(),
        };
        let mut user = [0u16; USER_MAX];
        for (u, c) in user.iter_mut().zip(id_instance.encode_utf16()) {
            *u = c;
        }
        let mut password = [0u16; PASSWORD_MAX];
        let mut save = 0i32;
        let flags = CREDUI_FLAGS_GENERIC_CREDENTIALS
            | CREDUI_FLAGS_KEEP_USERNAME
            | CREDUI_FLAGS_DO_NOT_PERSIST
            | CREDUI_FLAGS_ALWAYS_SHOW_UI
            | CREDUI_FLAGS_EXCLUDE_CERTIFICATES;
        let watch = Watch::start();
        // SAFETY: every pointer is into a live buffer of this frame, with its size in units.
        let r = unsafe {
            prompt(
                &info,
                target.as_ptr(),
                std::ptr::null_mut(),
                0,
                user.as_mut_ptr(),
                USER_MAX as u32,
                password.as_mut_ptr(),
                PASSWORD_MAX as u32,
                &mut save,
                flags,
            )
        };
        let shown = watch.as_ref().is_some_and(Watch::shown);
        drop(watch);
        let end = password.iter().position(|&u| u == 0).unwrap_or(0);
        // Decoded only when it is kept (OK on a typed token), in one exact allocation; the field
        // is wiped on every path.
        let typed =
            (r == 0 && end > 0).then(|| crate::sys::credential::text_from_utf16(&password[..end]));
        crate::sys::credential::zero(&mut password);
        match r {
            // OK on an empty field: the user saw the dialog; nothing to store.
            0 if end == 0 && shown => Err(Error::invalid(Msg::NothingTyped)),
            // Success, nothing typed, no window activated (Wine without a display): ask another way.
            0 if end == 0 => Err(no_dialog(Msg::DialogNotShown.text())),
            0 => typed
                .flatten()
                .ok_or_else(|| Error::invalid(Msg::TypedNotText)),
            ERROR_CANCELLED => Err(Error {
                status: GaStatus::GA_ERR_CANCELLED,
                http_status: 0,
                message: Msg::DialogCancelled.text(),
            }),
            code => Err(no_dialog(
                std::io::Error::from_raw_os_error(code as i32).to_string(),
            )),
        }
    }
}

#[cfg(not(windows))]
mod sys {
    //! No dialog here.
    use super::no_dialog;
    use crate::error::Error;

    pub(super) fn prompt(_id_instance: &str) -> Result<String, Error> {
        Err(no_dialog(crate::messages::Msg::WindowsOnly.text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_id_is_refused_before_any_dialog() {
        let e = prompt_and_save("12ab").unwrap_err();
        assert_eq!(e.status, GaStatus::GA_ERR_INVALID_ARGUMENT);
        assert!(e.message.contains("idInstance"), "{}", e.message);
    }

    #[cfg(not(windows))]
    #[test]
    fn other_platforms_show_no_dialog() {
        let e = prompt_and_save("1101000001").unwrap_err();
        assert_eq!(e.status, GaStatus::GA_ERR_IO);
        assert_eq!(
            e.message,
            "no credential dialog could be shown (it is available on Windows only); nothing was stored"
        );
    }
}
