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

#[test]
fn cpp_wrapper_works_as_a_cpp_user_expects() {
    let out = compile(
        "CXX",
        "c++",
        "-std=c++17",
        "tests/c/test_getavatar.cpp",
        "test_getavatar_cpp",
    );
    let text = run(&[], &out);
    assert!(text.contains(" passed, 0 failed"), "{text}");
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
