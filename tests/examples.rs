//! The README's commands outside `cli/`'s own tests: the emulator example prints the variables
//! to export, and the `getavatar` command-line tool (package getavatar-cli) configured from them
//! prints an avatar link.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Builds a target with `cargo build ARGS` and returns the file it made: `cargo test` does not
/// build examples or other packages' binaries for this test, so a fresh clone has none to run.
fn built(args: &[&str], relative: &str) -> PathBuf {
    let st = Command::new(env!("CARGO"))
        .args(["build"])
        .args(args)
        .arg("--manifest-path")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .status()
        .expect("cargo");
    assert!(st.success(), "cargo build {args:?} failed");
    // target/debug/deps/this-test -> target/debug
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let p = dir.join(relative);
    assert!(p.exists(), "{} was not built", p.display());
    p
}

/// Kills the emulator example when the test ends, passed or not.
struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_emulator_example_configures_the_command_line_tool() {
    let emulator = built(&["--example", "emulator"], "examples/emulator");
    let cli = built(
        &["-p", "getavatar-cli", "--bin", "getavatar"],
        &format!("getavatar{}", std::env::consts::EXE_SUFFIX),
    );
    let mut child = Kill(
        Command::new(emulator)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut vars = Vec::new();
    for line in BufReader::new(child.0.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line == "ready" {
            break;
        }
        let (k, v) = line.split_once('=').expect("NAME=value lines, then ready");
        vars.push((k.to_string(), v.to_string()));
    }
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        &names[..3],
        ["GA_API_URL", "GA_ID_INSTANCE", "GA_API_TOKEN_INSTANCE"]
    );
    let out = Command::new(cli)
        .envs(vars.iter().take(3).cloned())
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .args(["10000000", "30000000"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("10000000\thttp://127.0.0.1:")
            && lines[0].ends_with("/avatars/10000000.png"),
        "{stdout}"
    );
    assert_eq!(
        lines[1],
        "30000000\tno avatar (hidden by the user's privacy settings)"
    );
}
