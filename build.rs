//! Generates the C header with cbindgen into $OUT_DIR/getavatar.h (the header test compares it
//! with include/getavatar.h); with GA_WRITE_HEADER=1 it also writes include/getavatar.h.
//!
//! Calling convention: every export is `extern "system"`, which is `__stdcall` on 32-bit Windows
//! (Excel VBA calls nothing else) and the C convention on every other target. cbindgen 0.29 skips
//! `extern "system"` functions, so cbindgen reads a copy of src/ in which `extern "system"` reads
//! `extern "C"`, and this script then puts `GA_CALL` before each function name in the header.
//! `GA_CALL` is `__stdcall` on 32-bit Windows and empty elsewhere, in the position both MSVC and
//! GCC/MinGW accept (`GaClient *GA_CALL ga_client_new(...)`, like `void *__cdecl malloc(...)`),
//! so C code compiled against the header calls the 32-bit DLL correctly.

use std::path::{Path, PathBuf};

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &dest);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(
                &dest,
                text.replace("extern \"system\" fn", "extern \"C\" fn"),
            )
            .unwrap();
        }
    }
}

/// Puts "GA_CALL " before the function name in each declaration cbindgen wrote (code only,
/// never inside comments), and indents the declaration's continuation lines to match.
fn insert_calling_convention(header: &str) -> String {
    let mut out = String::with_capacity(header.len() + 4096);
    let mut in_comment = false;
    let mut continuing = false;
    for line in header.lines() {
        let t = line.trim_start();
        if in_comment || t.starts_with("/*") {
            in_comment = !line.contains("*/");
            out.push_str(line);
        } else if continuing {
            out.push_str("        ");
            out.push_str(line);
            continuing = !line.trim_end().ends_with(';');
        } else {
            let mut done = false;
            if !(t.starts_with('#') || t.starts_with("//")) {
                if let Some(open) = line.find('(') {
                    let name_start = line[..open]
                        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map(|i| i + 1)
                        .unwrap_or(0);
                    if line[name_start..open].starts_with("ga_") && name_start > 0 {
                        out.push_str(&line[..name_start]);
                        out.push_str("GA_CALL ");
                        out.push_str(&line[name_start..]);
                        continuing = !line.trim_end().ends_with(';');
                        done = true;
                    }
                }
            }
            if !done {
                out.push_str(line);
            }
        }
        out.push('\n');
    }
    out
}

/// Windows targets: a VERSIONINFO resource (file properties show product, version, license),
/// compiled with the target's MinGW `windres` and linked into the DLL only. Without `windres`
/// (e.g. an MSVC build from the sdist) the DLL is built without it and cargo prints a warning.
fn windows_version_resource(out: &Path, version: &str, numbers: [&str; 3]) {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let prefix = if arch == "x86" { "i686" } else { "x86_64" };
    let windres = std::env::var("WINDRES").unwrap_or(format!("{prefix}-w64-mingw32-windres"));
    let [major, minor, patch] = numbers;
    let rc = format!(
        r#"1 VERSIONINFO
FILEVERSION {major},{minor},{patch},0
PRODUCTVERSION {major},{minor},{patch},0
FILEOS 0x40004
FILETYPE 0x2
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "CompanyName", "the getavatar authors"
      VALUE "FileDescription", "getavatar: GREEN-API getAvatar (MAX) for C, C++, Python and Excel VBA"
      VALUE "FileVersion", "{version}"
      VALUE "InternalName", "getavatar"
      VALUE "LegalCopyright", "Copyright (c) the getavatar authors. MIT License."
      VALUE "OriginalFilename", "getavatar.dll"
      VALUE "ProductName", "getavatar"
      VALUE "ProductVersion", "{version}"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
"#
    );
    let rc_path = out.join("getavatar.rc");
    let obj = out.join("getavatar-version.o");
    std::fs::write(&rc_path, rc).unwrap();
    let status = std::process::Command::new(&windres)
        .args(["-O", "coff", "-i"])
        .arg(&rc_path)
        .arg("-o")
        .arg(&obj)
        .status();
    match status {
        Ok(s) if s.success() => {
            println!("cargo:rustc-cdylib-link-arg={}", obj.display());
        }
        _ => println!(
            "cargo:warning={windres} failed or is missing: the DLL has no version resource"
        ),
    }
}

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-env-changed=WINDRES");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=GA_WRITE_HEADER");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let src_copy = out.join("cbindgen-src");
    let _ = std::fs::remove_dir_all(&src_copy);
    copy_tree(&root.join("src"), &src_copy);
    // cbindgen follows `mod x;` only from a `mod.rs`: give it the C layer's root as one.
    std::fs::copy(src_copy.join("ffi.rs"), src_copy.join("ffi/mod.rs")).unwrap();

    let mut config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap();
    let mut parts = version
        .split('.')
        .map(|p| p.split('-').next().unwrap_or("0").to_string());
    let (major, minor, patch) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    windows_version_resource(&out, &version, [&major, &minor, &patch]);
    config.after_includes = Some(format!(
        r#"
/* The version this header describes; ga_version() returns the library's. */
#define GETAVATAR_VERSION "{version}"
#define GETAVATAR_VERSION_MAJOR {major}
#define GETAVATAR_VERSION_MINOR {minor}
#define GETAVATAR_VERSION_PATCH {patch}

/*
 * Calling convention of every function below: __stdcall on 32-bit Windows (the DLL is built for
 * Excel VBA, which calls nothing else), the platform's C convention everywhere else. Exported
 * names are undecorated on every platform.
 */
#if defined(_WIN32) && !defined(_WIN64)
#define GA_CALL __stdcall
#else
#define GA_CALL
#endif
"#
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        // Only the C ABI and the status codes: the Rust core's items are not part of it.
        .with_src(src_copy.join("ffi/mod.rs"))
        .with_src(src_copy.join("error/status.rs"))
        .generate()
        .expect("cbindgen failed to generate the header");
    let mut raw = Vec::new();
    bindings.write(&mut raw);
    let header = insert_calling_convention(&String::from_utf8(raw).unwrap());
    std::fs::write(out.join("getavatar.h"), &header).unwrap();
    if std::env::var("GA_WRITE_HEADER").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(root.join("include")).unwrap();
        std::fs::write(root.join("include/getavatar.h"), &header).unwrap();
    }
}
