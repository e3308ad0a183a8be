//! Windows DLLs proven under Wine: the release script builds both DLLs; their export tables hold
//! exactly the header's functions under plain names; a Windows program that calls the DLL exactly
//! as GetAvatar.bas does (tests/wine/vba_sim.c: LoadLibraryW, GetProcAddress, stdcall with a
//! stack-pointer check on 32-bit, UTF-8 via WideCharToMultiByte, lstrlenA + RtlMoveMemory) runs
//! under Wine for both architectures against the emulator on 127.0.0.1, including the
//! workbook's life: the token in the Windows Credential Manager, a connection without a token, a
//! reconnect after a simulated reopen, and a lookup against a black-holed server that returns
//! within about 10 s.
//!
//! Needs mingw-w64, Wine and 32-bit Wine DLLs (`bash scripts/setup-wine.sh`). Outside CI, when
//! they are missing, the test says so loudly and passes; in CI it fails.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn wine32_dir() -> PathBuf {
    let base = std::env::var("GETAVATAR_WINE32").unwrap_or_else(|_| "/opt/getavatar-wine32".into());
    Path::new(&base).join("usr/lib/i386-linux-gnu/wine")
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

fn missing_prerequisites() -> Vec<String> {
    let mut missing: Vec<String> = [
        "wine",
        "x86_64-w64-mingw32-gcc",
        "i686-w64-mingw32-gcc",
        "x86_64-w64-mingw32-objdump",
        "zip",
        "unzip",
        "strings",
    ]
    .iter()
    .filter(|c| !have(c))
    .map(|c| c.to_string())
    .collect();
    if !wine32_dir().join("i386-windows").is_dir() {
        missing.push(format!("32-bit Wine DLLs in {}", wine32_dir().display()));
    }
    let targets = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    let targets = targets
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    for t in ["x86_64-pc-windows-gnu", "i686-pc-windows-gnu"] {
        if !targets.lines().any(|l| l.trim() == t) {
            missing.push(format!("rust target {t}"));
        }
    }
    missing
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

fn header_functions() -> BTreeSet<String> {
    let h = std::fs::read_to_string(root().join("include/getavatar.h")).unwrap();
    h.split("GA_CALL ")
        .skip(1)
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| n.starts_with("ga_"))
        .collect()
}

fn dll_exports(dll: &Path) -> BTreeSet<String> {
    let text = run(Command::new("x86_64-w64-mingw32-objdump")
        .arg("-p")
        .arg(dll));
    let table = text
        .split("[Ordinal/Name Pointer] Table")
        .nth(1)
        .expect("an export table");
    table
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split(']').nth(1).map(|n| n.trim().to_string()))
        .collect()
}

fn wine(prefix: &Path) -> Command {
    let mut c = Command::new("timeout");
    c.arg("180")
        .arg("wine")
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=;bcryptprimitives=n,b")
        .env("WINEDLLPATH", wine32_dir());
    c
}

/// A server that accepts connections and never answers (held open until the test ends).
fn black_hole() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    url
}

#[test]
fn windows_dlls_work_as_vba_calls_them_under_wine() {
    let missing = missing_prerequisites();
    if !missing.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the Wine tests; missing: {missing:?}"
        );
        record_skip(
            "windows_dlls_work_as_vba_calls_them_under_wine",
            &format!("missing {missing:?}; run `sudo bash scripts/setup-wine.sh`"),
        );
        return;
    }
    let r = root();
    // What is shipped is what is tested: the DLLs and import libraries come out of the release
    // zip. scripts/test.sh has just built it with scripts/dist.sh (GETAVATAR_DIST_BUILT=1);
    // otherwise this test builds it.
    if std::env::var("GETAVATAR_DIST_BUILT").as_deref() != Ok("1") {
        run(Command::new("bash")
            .arg(r.join("scripts/build-windows.sh"))
            .current_dir(&r));
    }
    let version = env!("CARGO_PKG_VERSION");
    let zip = r.join(format!("dist/getavatar-{version}-windows.zip"));
    assert!(zip.is_file(), "{} is missing", zip.display());
    let work = r.join("target/wine-test");
    let unzipped = work.join("unzipped");
    let _ = std::fs::remove_dir_all(&unzipped);
    std::fs::create_dir_all(&unzipped).unwrap();
    run(Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&unzipped));
    let dist = unzipped.join(format!("getavatar-{version}-windows"));
    let want = header_functions();
    assert!(want.len() >= 11);

    let prefix = r.join("target/wine-prefix");
    std::fs::create_dir_all(&work).unwrap();
    if !prefix
        .join("drive_c/windows/syswow64/kernel32.dll")
        .exists()
    {
        // A new prefix, made with the 32-bit DLLs on WINEDLLPATH so that it gets a syswow64.
        let _ = std::fs::remove_dir_all(&prefix);
        let mut boot = wine(&prefix);
        boot.arg("wineboot").arg("-i");
        run(&mut boot);
    }

    let emu = Emulator::start_default().unwrap();
    let blackhole = black_hole();
    for (arch, gcc, bits) in [
        ("x64", "x86_64-w64-mingw32-gcc", 64),
        ("x86", "i686-w64-mingw32-gcc", 32),
    ] {
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
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&dll, dir.join("getavatar.dll")).unwrap();
        // The test-only ProcessPrng shim for Wine 8 (see tests/wine/processprng_shim.c).
        run(Command::new(gcc)
            .args(["-O2", "-shared", "-Wl,--enable-stdcall-fixup", "-o"])
            .arg(dir.join("bcryptprimitives.dll"))
            .arg(r.join("tests/wine/processprng_shim.c"))
            .arg(r.join("tests/wine/processprng_shim.def"))
            .arg("-ladvapi32"));
        run(Command::new(gcc)
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-o"])
            .arg(dir.join("vba_sim.exe"))
            .arg(r.join("tests/wine/vba_sim.c")));

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

        let dll_win = format!("Z:{}", dir.join("getavatar.dll").display()).replace('/', "\\");
        let mut cmd = wine(&prefix);
        cmd.arg(dir.join("vba_sim.exe"))
            .arg(&dll_win)
            .arg(emu.url())
            .arg(emu.id_instance())
            .arg(emu.token())
            .arg(&blackhole);
        let out = run(&mut cmd);
        eprintln!("{arch}:\n{out}");
        // A missing wine32 makes `wine x.exe` exit 0 without running anything: read the output.
        assert!(
            out.contains(&format!("arch: {bits}-bit")),
            "{arch} did not run:\n{out}"
        );
        assert!(out.contains(" passed, 0 failed"), "{arch}:\n{out}");
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
            13,
            "{arch}: two lookups, the 400, a batch of two, five downloads, a lookup after the \
             proxy checks, and two lookups of the workbook's life; bad ids cost nothing"
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
