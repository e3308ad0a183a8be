//! Running Windows programs under Wine: prerequisites, the release zip's DLLs, a prefix, the
//! ProcessPrng shim, cross-compiling a test program. Shared by every Wine test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The two Windows architectures: (zip folder, C compiler, pointer bits).
pub const ARCHES: [(&str, &str, u32); 2] = [
    ("x64", "x86_64-w64-mingw32-gcc", 64),
    ("x86", "i686-w64-mingw32-gcc", 32),
];

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn wine32_dir() -> PathBuf {
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

/// What this machine lacks to run the Wine tests.
pub fn missing_prerequisites() -> Vec<String> {
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

/// False (after recording a skip) when Wine cannot run here; in CI that is a failure instead.
pub fn wine_available(test: &str) -> bool {
    let missing = missing_prerequisites();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the Wine tests; missing: {missing:?}"
    );
    super::record_skip(
        test,
        &format!("missing {missing:?}; run `sudo bash scripts/setup-wine.sh`"),
    );
    false
}

/// Runs `cmd`, fails the test on a non-zero exit, and returns stdout and stderr.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// The functions the header declares.
pub fn header_functions() -> BTreeSet<String> {
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

/// The names a DLL exports.
pub fn dll_exports(dll: &Path) -> BTreeSet<String> {
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

/// `wine` in `prefix`, with a 180 s guard, quiet, the ProcessPrng shim preferred, and the 32-bit
/// DLLs on the path.
pub fn wine(prefix: &Path) -> Command {
    let mut c = Command::new("timeout");
    c.arg("180")
        .arg("wine")
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=;bcryptprimitives=n,b")
        .env("WINEDLLPATH", wine32_dir());
    c
}

/// A Wine prefix at `target/<name>`, made once (with a syswow64 for 32-bit programs).
pub fn prefix(name: &str) -> PathBuf {
    let prefix = root().join("target").join(name);
    if !prefix
        .join("drive_c/windows/syswow64/kernel32.dll")
        .exists()
    {
        let _ = std::fs::remove_dir_all(&prefix);
        std::fs::create_dir_all(prefix.parent().unwrap()).unwrap();
        run(wine(&prefix).arg("wineboot").arg("-i"));
    }
    prefix
}

/// The release zip's folder, unzipped under `target/<work>/unzipped`. scripts/test.sh has just
/// built the zip with scripts/dist.sh (GETAVATAR_DIST_BUILT=1); otherwise this builds it.
pub fn release_dlls(work: &str) -> PathBuf {
    let r = root();
    // Once per test binary: two tests building at once race in dlltool's temporary files.
    static BUILT: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !*built && std::env::var("GETAVATAR_DIST_BUILT").as_deref() != Ok("1") {
        run(Command::new("bash")
            .arg(r.join("scripts/build-windows.sh"))
            .current_dir(&r));
        *built = true;
    }
    drop(built);
    let version = env!("CARGO_PKG_VERSION");
    let zip = r.join(format!("dist/getavatar-{version}-windows.zip"));
    assert!(zip.is_file(), "{} is missing", zip.display());
    let unzipped = r.join("target").join(work).join("unzipped");
    let _ = std::fs::remove_dir_all(&unzipped);
    std::fs::create_dir_all(&unzipped).unwrap();
    run(Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&unzipped));
    unzipped.join(format!("getavatar-{version}-windows"))
}

/// A folder `dir` holding the zip's DLL for `arch` and the test-only ProcessPrng shim for Wine 8
/// (see tests/wine/processprng_shim.c), ready for test programs.
pub fn dll_folder(dist: &Path, arch: &str, gcc: &str, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(
        dist.join(arch).join("getavatar.dll"),
        dir.join("getavatar.dll"),
    )
    .unwrap();
    let r = root();
    run(Command::new(gcc)
        .args(["-O2", "-shared", "-Wl,--enable-stdcall-fixup", "-o"])
        .arg(dir.join("bcryptprimitives.dll"))
        .arg(r.join("tests/wine/processprng_shim.c"))
        .arg(r.join("tests/wine/processprng_shim.def"))
        .arg("-ladvapi32"));
}

/// Cross-compiles `tests/wine/<source>` into `dir/<exe>` with `gcc` and extra arguments.
pub fn compile_exe(gcc: &str, source: &str, dir: &Path, exe: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(exe);
    run(Command::new(gcc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-o"])
        .arg(&out)
        .arg(root().join("tests/wine").join(source))
        .args(extra));
    out
}

/// A path as Wine's Windows side sees it.
pub fn windows_path(p: &Path) -> String {
    format!("Z:{}", p.display()).replace('/', "\\")
}

/// A server that accepts connections and never answers (held open until the test ends).
pub fn black_hole() -> String {
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
