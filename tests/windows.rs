//! Windows DLLs proven under Wine: the release script builds both DLLs; their export tables hold
//! exactly the header's functions under plain names; a Windows program that calls the DLL exactly
//! as GetAvatar.bas does (tests/wine/vba_sim.c: LoadLibraryW, GetProcAddress, stdcall with a
//! stack-pointer check on 32-bit, UTF-8 via WideCharToMultiByte, lstrlenA + RtlMoveMemory) runs
//! under Wine for both architectures against the emulator on 127.0.0.1, including the
//! workbook's life: the token in the Windows Credential Manager, a connection without a token, a
//! reconnect after a simulated reopen, and a lookup against a black-holed server that returns
//! within GaConnect's deadline (10 s, kept in the workbook) plus 10 %, with the deadline's message.
//!
//! Needs mingw-w64, Wine and 32-bit Wine DLLs (`bash scripts/setup-wine.sh`). Outside CI, when
//! they are missing, the test says so loudly and passes; in CI it fails.

mod common;

use std::process::Command;

use common::wine::*;
use common::*;

#[test]
fn windows_dlls_work_as_vba_calls_them_under_wine() {
    if !wine_available("windows_dlls_work_as_vba_calls_them_under_wine") {
        return;
    }
    let r = root();
    // What is shipped is what is tested: the DLLs and import libraries come out of the release zip.
    let dist = release_dlls("wine-test");
    let work = r.join("target/wine-test");
    let version = env!("CARGO_PKG_VERSION");
    let want = header_functions();
    assert!(want.len() >= 11);
    let prefix = prefix("wine-prefix");

    let emu = Emulator::start_default().unwrap();
    let blackhole = black_hole();
    for (arch, gcc, bits) in ARCHES {
        let dll = dist.join(arch).join("getavatar.dll");
        assert_eq!(
            dll_exports(&dll),
            want,
            "{arch}: the DLL exports exactly the header's functions, plain names"
        );

        let strings = run(Command::new("strings").arg("-el").arg(&dll));
        assert!(
            strings.contains("ProductName\ngetavatar\n")
                && strings.contains(&format!("ProductVersion\n{version}\n")),
            "{arch}: the DLL has a version resource:\n{strings}"
        );

        let dir = work.join(arch);
        dll_folder(&dist, arch, gcc, &dir);
        let vba_sim = compile_exe(gcc, "vba_sim.c", &dir, "vba_sim.exe", &[]);

        emu.reset();
        emu.push_faults(Fault::Delay(std::time::Duration::ZERO), 2);
        let t = emu.token();
        let body = format!(
            r#"{{"statusCode":400,"timestamp":"2025-08-21T13:02:16.247Z","path":"/waInstance{}/getAvatar/{t}","message":"Проверка не пройдена: «chatId» — ошибка ({t})"}}"#,
            emu.id_instance()
        );
        emu.push_fault(Fault::Status {
            status: 400,
            body,
            headers: vec![],
        });

        let dll_win = windows_path(&dir.join("getavatar.dll"));
        let mut cmd = wine(&prefix);
        // No display: GaSaveToken's credential dialog cannot be shown (the fallback is tested).
        cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
        cmd.arg(&vba_sim)
            .arg(&dll_win)
            .arg(emu.url())
            .arg(emu.id_instance())
            .arg(emu.token())
            .arg(&blackhole)
            .arg(module_status_names())
            .arg(windows_path(
                &dist
                    .join(if arch == "x64" { "x86" } else { "x64" })
                    .join("getavatar.dll"),
            ));
        let out = run(&mut cmd);
        eprintln!("{arch}:\n{out}");
        // A missing wine32 makes `wine x.exe` exit 0 without running anything: read the output.
        assert!(
            out.contains(&format!("arch: {bits}-bit")),
            "{arch} did not run:\n{out}"
        );
        assert!(out.contains(" passed, 0 failed"), "{arch}:\n{out}");
        black_holed_lookup_met_the_deadline(arch, &out);
        assert!(!out.contains("FAIL"), "{arch}:\n{out}");
        if bits == 32 {
            assert!(
                out.contains("(self-test, expected) runtime error 49"),
                "the stack check is live:\n{out}"
            );
            assert_eq!(
                out.matches("runtime error 49").count(),
                1,
                "no real call moved the stack:\n{out}"
            );
        }
        assert_eq!(
            emu.request_count(),
            14,
            "{arch}: two lookups, the 400, a batch of two, five downloads, a lookup after the \
             proxy checks, and three lookups of the workbook's life (one after a VBA reset); \
             bad ids cost nothing"
        );
        assert_eq!(
            emu.image_requests().len(),
            3,
            "{arch}: images for the two file downloads and the bytes download with an avatar"
        );

        // C code compiled against the header calls the DLL with the right convention (GA_CALL is
        // __stdcall on 32-bit): the repository's C test, cross-compiled against the zip's header
        // and linked with the zip's import library (no stdcall fix-up: the names must match).
        run(Command::new(gcc)
            .args([
                "-std=c99",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-O1",
                "-Wl,--disable-stdcall-fixup",
                "-o",
            ])
            .arg(dir.join("test_getavatar.exe"))
            .arg(r.join("tests/c/test_getavatar.c"))
            .arg("-I")
            .arg(dist.join("include"))
            .arg("-L")
            .arg(dist.join(arch))
            .arg("-lgetavatar"));
        let failing = Emulator::start_default().unwrap();
        failing.push_faults(
            Fault::Status {
                status: 503,
                body: String::new(),
                headers: vec![],
            },
            10,
        );
        let mut cmd = wine(&prefix);
        cmd.arg(dir.join("test_getavatar.exe"))
            .arg(emu.url())
            .arg(failing.url())
            .arg(emu.id_instance())
            .arg(emu.token());
        let out = run(&mut cmd);
        assert!(
            out.contains(" passed, 0 failed") && !out.contains("FAIL"),
            "{arch} header test:\n{out}"
        );
        assert_eq!(failing.request_count(), 2, "{arch}: one try and one retry");
    }
}

/// GetAvatar.bas's own table of status names (its StatusName function), for vba_sim to compare
/// with the DLL's: "0=GA_OK;1=...;*=GA_ERR_UNKNOWN".
fn module_status_names() -> String {
    let bas = include_str!("../bindings/vba/GetAvatar.bas");
    let body = &bas[bas.find("Private Function StatusName(").unwrap()..];
    let body = &body[..body.find("End Function").unwrap()];
    body.lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("Case ")?;
            let (n, name) = l.split_once(": StatusName = \"")?;
            let n = if n == "Else" { "*" } else { n };
            Some(format!("{n}={}", name.trim_end_matches('"')))
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// The black-holed lookup vba_sim printed ("black-holed lookup: status 9 after N ms (deadline
/// D ms): message") ended within the deadline plus 10 %, with GA_ERR_TIMEOUT and the deadline's
/// message.
fn black_holed_lookup_met_the_deadline(arch: &str, out: &str) {
    let line = out
        .lines()
        .find(|l| l.starts_with("black-holed lookup: "))
        .unwrap_or_else(|| panic!("{arch}: no black-holed lookup in:\n{out}"));
    let number_after = |key: &str| -> u64 {
        let rest = &line[line.find(key).unwrap_or_else(|| panic!("{key} in {line}")) + key.len()..];
        rest.split(' ').next().unwrap().parse().unwrap()
    };
    let (ms, deadline) = (number_after(" after "), number_after("(deadline "));
    eprintln!("{arch}: black-holed lookup took {ms} ms, deadline {deadline} ms");
    assert_eq!(deadline, 10_000, "{arch}: GaConnect's deadline");
    assert!(line.contains("status 9 "), "{arch}: GA_ERR_TIMEOUT: {line}");
    assert!(
        line.contains("deadline of 10 s reached"),
        "{arch}: the deadline's message: {line}"
    );
    assert!(
        ms <= deadline + deadline / 10,
        "{arch}: {ms} ms, more than the deadline + 10 %: {line}"
    );
}
