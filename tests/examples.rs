//! The README's main job: the example prints an avatar link in --sandbox, and says why not
//! otherwise.

use std::path::PathBuf;
use std::process::Command;

/// The example's binary, built (or found fresh) with `cargo build --example`: `cargo test`
/// compiles examples only as test harnesses, so a fresh clone has no binary to run.
fn example(name: &str) -> PathBuf {
    let st = Command::new(env!("CARGO"))
        .args(["build", "--example", name, "--manifest-path"])
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .status()
        .expect("cargo");
    assert!(st.success(), "cargo build --example {name} failed");
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples");
    let p = dir.join(name);
    assert!(p.exists(), "{} was not built", p.display());
    p
}

#[test]
fn sandbox_prints_an_avatar_link() {
    let out = Command::new(example("getavatar"))
        .args(["--sandbox", "10000000"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("http://127.0.0.1:")
            && stdout.trim_end().ends_with("/avatars/10000000.png"),
        "{stdout}"
    );
}

#[test]
fn sandbox_reports_no_avatar_and_errors() {
    let out = Command::new(example("getavatar"))
        .args(["--sandbox", "30000000"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("hidden by the user's privacy settings"));
    let out = Command::new(example("getavatar"))
        .args(["--sandbox", "+7 900 123-45-67"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GA_ERR_INVALID_ARGUMENT"));
}

#[test]
fn missing_configuration_names_the_variables() {
    let out = Command::new(example("getavatar"))
        .arg("10000000")
        .env_remove("GA_API_URL")
        .env_remove("GA_ID_INSTANCE")
        .env("GA_API_TOKEN_INSTANCE", "x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("GA_API_URL, GA_ID_INSTANCE") && !err.contains("GA_API_TOKEN_INSTANCE,"),
        "{err}"
    );
}

#[test]
fn environment_configuration_reaches_the_server() {
    let emu = getavatar_emulator::Emulator::start_default().unwrap();
    let out = Command::new(example("getavatar"))
        .arg("-10000000000000")
        .env("GA_API_URL", emu.url())
        .env("GA_ID_INSTANCE", emu.id_instance())
        .env("GA_API_TOKEN_INSTANCE", emu.token())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("/avatars/-10000000000000.png"));
    assert_eq!(emu.request_count(), 1);
}
