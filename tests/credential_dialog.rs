//! GaSaveToken's masked token entry (`ga_credential_prompt`) with a display: under Wine on a
//! virtual X display (Xvfb), for x64 and x86, the release DLL shows Windows' credential dialog and
//! a test program (tests/wine/credential_dialog.c) plays the user: the token field is masked and
//! the idInstance shown; Cancel stores nothing; the token typed and OK stores it; an invalid token
//! is refused without being shown; OK on an empty field says so (GA_ERR_INVALID_ARGUMENT, not the
//! GA_ERR_IO that sends the macro to its unmasked InputBox) (x64; x86 runs Cancel only: Wine's 32-bit WoW64 mode faults
//! painting the dialog, see tests/wine/credential_dialog.c). The no-display path (GA_ERR_IO, the macro's InputBox fallback)
//! is in tests/windows.rs. This test writes credentials, so it uses its own Wine prefix.
//!
//! Needs what tests/windows.rs needs plus xvfb-run (`bash scripts/setup-wine.sh`).

mod common;

use std::process::Command;

use common::wine::*;
use common::*;

#[test]
fn the_credential_dialog_masks_the_token_and_stores_it_only_on_ok() {
    let test = "the_credential_dialog_masks_the_token_and_stores_it_only_on_ok";
    if !wine_available(test) {
        return;
    }
    let xvfb = Command::new("xvfb-run").arg("--help").output().is_ok();
    if !xvfb {
        assert!(std::env::var_os("CI").is_none(), "CI must have xvfb-run");
        record_skip(
            test,
            "missing xvfb-run; run `sudo bash scripts/setup-wine.sh`",
        );
        return;
    }
    let dist = release_dlls("wine-credential-dialog");
    let work = root().join("target/wine-credential-dialog");
    let prefix = prefix("wine-prefix-credential-dialog");
    for (arch, gcc, bits) in ARCHES {
        let dir = work.join(arch);
        dll_folder(&dist, arch, gcc, &dir);
        let exe = compile_exe(
            gcc,
            "credential_dialog.c",
            &dir,
            "credential_dialog.exe",
            &["-ladvapi32"],
        );
        // One dialog per process, in this order. Under Wine's experimental WoW64 mode (x86 here)
        // the dialog's painting faults inside Wine and OK never returns: Cancel only (see
        // credential_dialog.c).
        let modes: &[&str] = if bits == 64 {
            &["cancel", "ok", "invalid", "empty"]
        } else {
            &["cancel"]
        };
        for mode in modes {
            // `wine` as the other tests run it, on a display of its own.
            let base = wine(&prefix);
            let mut cmd = Command::new("xvfb-run");
            cmd.args(["-a", "timeout", "120", "wine"]);
            for (k, v) in base.get_envs() {
                if let Some(v) = v {
                    cmd.env(k, v);
                }
            }
            cmd.arg(&exe)
                .arg(windows_path(&dir.join("getavatar.dll")))
                .arg("1101000007")
                .arg("abcdef0123456789abcdef")
                .arg(mode);
            let out = run(&mut cmd);
            eprintln!("{arch} {mode}:\n{out}");
            assert!(
                out.contains(&format!("arch: {bits}-bit")),
                "{arch} did not run:\n{out}"
            );
            assert!(out.contains(&format!("{mode}: status ")), "{arch}:\n{out}");
            assert!(
                out.contains(" passed, 0 failed") && !out.contains("FAIL"),
                "{arch} {mode}:\n{out}"
            );
        }
    }
}

/// A credui.dll planted beside the program (as beside a workbook) is never loaded: the DLL loads
/// credui.dll from System32 only. Without a display Wine's own dialog cannot be shown
/// (GA_ERR_IO); the planted one would answer 4242. `credui=n,b` makes Wine prefer a native DLL
/// found on the search path, as Windows' own search order would.
#[test]
fn a_credui_dll_planted_beside_the_program_is_not_loaded() {
    let test = "a_credui_dll_planted_beside_the_program_is_not_loaded";
    if !wine_available(test) {
        return;
    }
    let dist = release_dlls("wine-credui-planted");
    let work = root().join("target/wine-credui-planted");
    let prefix = prefix("wine-prefix-credui-planted");
    for (arch, gcc, bits) in ARCHES {
        let dir = work.join(arch);
        dll_folder(&dist, arch, gcc, &dir);
        run(Command::new(gcc)
            .args(["-O1", "-shared", "-Wl,--kill-at", "-o"])
            .arg(dir.join("credui.dll"))
            .arg(root().join("tests/wine/planted_credui.c")));
        let exe = compile_exe(
            gcc,
            "credential_dialog.c",
            &dir,
            "credential_dialog.exe",
            &["-ladvapi32"],
        );
        let out = run(wine(&prefix)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env(
                "WINEDLLOVERRIDES",
                "mscoree,mshtml=;bcryptprimitives=n,b;credui=n,b",
            )
            .current_dir(&dir)
            .arg(&exe)
            .arg(windows_path(&dir.join("getavatar.dll")))
            .arg("1101000008")
            .arg("abcdef0123456789abcdef")
            .arg("headless"));
        eprintln!("{arch}:\n{out}");
        assert!(
            out.contains(&format!("arch: {bits}-bit")),
            "{arch} did not run:\n{out}"
        );
        assert!(
            out.contains(" passed, 0 failed") && !out.contains("FAIL"),
            "{arch}:\n{out}"
        );
    }
}
