//! Compiles tests/c/test_getavatar.c with the system C compiler against include/getavatar.h,
//! links it to the built libgetavatar, runs it against the emulator, and runs it again under
//! valgrind (required when CI is set).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

fn build_c_test(name: &str) -> PathBuf {
    compile("CC", "cc", "-std=c99", "tests/c/test_getavatar.c", name)
}

fn run(prefix: &[&str], exe: &PathBuf) -> String {
    let ok = Emulator::start_default().unwrap();
    let bad = Emulator::start_default().unwrap();
    bad.push_faults(
        Fault::Status {
            status: 503,
            body: String::new(),
            headers: vec![],
        },
        100,
    );
    let mut cmd = if prefix.is_empty() {
        Command::new(exe)
    } else {
        Command::new(prefix[0])
    };
    if !prefix.is_empty() {
        cmd.args(&prefix[1..]).arg(exe);
    }
    let out = cmd
        .args([ok.url(), bad.url(), ok.id_instance(), ok.token()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        out.status.success(),
        "C test failed ({:?}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    assert_eq!(bad.request_count(), 2, "one try and one retry");
    stdout + &stderr
}

#[test]
fn c_program_uses_the_header_and_library() {
    let exe = build_c_test("test_getavatar_c");
    let out = run(&[], &exe);
    let n: u32 = out.split(" passed").next().unwrap().trim().parse().unwrap();
    assert!(n >= 30, "{out}");
}

/// The C++ wrapper's stated minimum is C++14 (README, the SDK's README, docs/install.md and the
/// header say so): the test program is built and run as C++14 and as C++17.
#[test]
fn cpp_wrapper_works_as_a_cpp_user_expects() {
    for std in ["c++14", "c++17"] {
        let out = compile(
            "CXX",
            "c++",
            &format!("-std={std}"),
            "tests/c/test_getavatar.cpp",
            &format!("test_getavatar_cpp_{}", &std[3..]),
        );
        let text = run(&[], &out);
        assert!(text.contains(" passed, 0 failed"), "{std}: {text}");
    }
}

#[test]
fn c_program_has_no_leaks_under_valgrind() {
    let have = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            std::env::var_os("CI").is_none(),
            "valgrind is required in CI"
        );
        record_skip(
            "c_program_has_no_leaks_under_valgrind",
            "valgrind is not installed",
        );
        return;
    }
    let exe = build_c_test("test_getavatar_c_vg");
    let out = run(
        &[
            "valgrind",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect,possible",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--error-exitcode=99",
        ],
        &exe,
    );
    assert!(
        out.contains("definitely lost: 0 bytes") || out.contains("All heap blocks were freed"),
        "{out}"
    );
    assert!(
        !out.contains("Invalid read") && !out.contains("Invalid write"),
        "{out}"
    );
    eprintln!(
        "{}",
        out.lines()
            .filter(|l| l.contains("lost")
                || l.contains("ERROR SUMMARY")
                || l.contains("in use at exit"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The README's C example, taken from the README as it stands: it reads the instance from the
/// environment, prints the link and exits 0; a failed lookup exits non-zero and says why.
#[test]
fn the_readme_c_example_runs_against_the_emulator() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme.find("```c\n").expect("a C block in the README") + 5;
    let code = &readme[start..start + readme[start..].find("```").unwrap()];
    let dir = std::env::temp_dir().join(format!("ga-readme-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("readme_example.c");
    std::fs::write(&src, code).unwrap();
    let exe = compile(
        "CC",
        "cc",
        "-std=c99",
        src.to_str().unwrap(),
        "readme_example_c",
    );
    let emu = Emulator::start_default().unwrap();
    let run_with = |token: &str, chat: &str| {
        Command::new(&exe)
            .arg(chat)
            .env("GA_API_URL", emu.url())
            .env("GA_ID_INSTANCE", emu.id_instance())
            .env("GA_API_TOKEN_INSTANCE", token)
            .env("LD_LIBRARY_PATH", lib_dir())
            .output()
            .unwrap()
    };
    let ok = run_with(&emu.token(), "10000000");
    assert!(ok.status.success(), "{ok:?}");
    assert!(
        String::from_utf8_lossy(&ok.stdout).starts_with("http"),
        "{ok:?}"
    );
    let wrong = "0".repeat(emu.token().len());
    let bad = run_with(&wrong, "10000000");
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("GA_ERR_UNAUTHORIZED"),
        "{bad:?}"
    );
    let unset = Command::new(&exe)
        .env_remove("GA_API_URL")
        .env("LD_LIBRARY_PATH", lib_dir())
        .output()
        .unwrap();
    assert_eq!(unset.status.code(), Some(2), "{unset:?}");
}
