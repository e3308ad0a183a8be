//! include/getavatar.h compiles on its own, included first in a file, as C99, C11, C++11 and
//! C++17 with `-Wall -Wextra -pedantic -Werror` (it brings its own <stddef.h> and <stdint.h>);
//! getavatar.hpp (which needs C++14: std::make_unique, std::exchange) as C++14 and C++17.

use std::path::{Path, PathBuf};
use std::process::Command;

fn compile(compiler: &str, std: &str, header: &str, dir: &Path) {
    let ext = if compiler == "cc" { "c" } else { "cpp" };
    let src = dir.join(format!("alone_{}_{std}.{ext}", header.replace('.', "_")));
    // The header first, then code that uses what it declares (size_t, int32_t, the functions).
    std::fs::write(
        &src,
        format!(
            "#include \"{header}\"\nint main(void) {{ size_t n = sizeof(GaAvatarImage); \
             int32_t s = GA_OK; return (int)(n == 0) + s + (ga_version() == 0); }}\n"
        ),
    )
    .unwrap();
    let include = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include");
    let out = Command::new(compiler)
        .arg(format!("-std={std}"))
        .args([
            "-Wall",
            "-Wextra",
            "-pedantic",
            "-Werror",
            "-fsyntax-only",
            "-I",
        ])
        .arg(&include)
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("{compiler}: {e}"));
    assert!(
        out.status.success(),
        "{header} does not compile alone as {std}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn header_compiles_alone_in_every_language_standard() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("header_alone");
    std::fs::create_dir_all(&dir).unwrap();
    for std in ["c99", "c11"] {
        compile("cc", std, "getavatar.h", &dir);
    }
    for std in ["c++11", "c++17"] {
        compile("c++", std, "getavatar.h", &dir);
    }
    for std in ["c++14", "c++17"] {
        compile("c++", std, "getavatar.hpp", &dir);
    }
}
