//! The `getavatar` binary under hostile conditions found by the tester (each test failed on the
//! code before its fix).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use getavatar_emulator::{Emulator, Fault};

const BIN: &str = env!("CARGO_BIN_EXE_getavatar");

/// The binary configured for `emu` through the environment, nothing from the test's own.
fn cli_for(emu: &Emulator) -> Command {
    let mut c = Command::new(BIN);
    for k in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        c.env_remove(k);
    }
    c.env("GA_API_URL", emu.url())
        .env("GA_ID_INSTANCE", emu.id_instance())
        .env("GA_API_TOKEN_INSTANCE", emu.token())
        .stdin(Stdio::null());
    c
}

/// Ctrl-C while lookups wait for a server that does not answer: the program stops at once
/// (the lookups in flight are cancelled), not after the timeout (60 s here, minutes with the
/// default retries), and writes no row for the cut lookups.
#[cfg(unix)]
#[test]
fn an_interrupt_cancels_the_lookups_in_flight() {
    let emu = Emulator::start_default().unwrap();
    emu.push_faults(Fault::NeverAnswer, 8);
    let mut child = cli_for(&emu)
        .args(["--format", "jsonl", "--timeout", "60", "--retries", "0"])
        .args(["10000000", "-10000000000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until both requests reached the server.
    let t0 = Instant::now();
    while emu.request_count() < 2 && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(emu.request_count(), 2, "both lookups in flight");
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running 15 s after Ctrl-C (the lookups in flight were not cancelled)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status.code(), Some(130), "{err}");
    assert_eq!(out, "", "no row for a cut lookup");
    assert!(err.contains("wrote 0 of 2 rows"), "{err}");
}

/// A CSV with a quote that is never closed (a stray `"` typed at the start of a cell): the CSV
/// reader would read every later row into that one cell, and the run "succeeded" with rows
/// silently missing. It is refused as a usage error, naming the line, and nothing is looked up.
#[test]
fn an_unclosed_quote_is_refused_not_a_silent_loss_of_rows() {
    let emu = Emulator::start_default().unwrap();
    let dir = std::env::temp_dir().join(format!("ga-cli-attack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("ids.csv");
    std::fs::write(
        &f,
        "chat_id,name\n10000000,\"Bob\n20000000,Alice\n30000000,Carol\n",
    )
    .unwrap();
    let out = cli_for(&emu).arg("--from").arg(&f).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("line 2"), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(emu.request_count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The token in the id column (a credentials export read with the wrong `--column`, or pasted
/// as an argument): the library's message describes it without quoting it, and the row's
/// `chat_id` field must not quote it either (it did, whole, in every format).
#[test]
fn a_token_in_the_id_column_is_not_echoed_in_the_rows() {
    let emu = Emulator::start_default().unwrap();
    let token = emu.token();
    let dir = std::env::temp_dir().join(format!("ga-cli-attack-tok-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("cred.csv");
    std::fs::write(&f, format!("id,token\n{},{token}\n", emu.id_instance())).unwrap();
    let lower = token.to_ascii_lowercase();
    for format in ["text", "csv", "jsonl"] {
        for by_file in [true, false] {
            let mut c = cli_for(&emu);
            c.args(["--format", format]);
            if by_file {
                c.arg("--from").arg(&f).args(["--column", "token"]);
            } else {
                c.arg(&token);
            }
            let out = c.output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{format}");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
            .to_ascii_lowercase();
            assert!(all.contains("looks like a token"), "{format}: {all}");
            for w in lower.as_bytes().windows(8) {
                let frag = std::str::from_utf8(w).unwrap();
                assert!(
                    !all.contains(frag),
                    "{format} ({by_file}) shows {frag:?}: {all}"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
