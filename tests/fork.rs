//! fork() while threads call: tests/c/test_fork.c, compiled against include/ and the built
//! library, forks children while 8 threads call; every child must get its own answers and finish
//! (a watchdog turns a hang into a failure), and the parent must keep working.
#![cfg(unix)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Builds the cdylib (a no-op when fresh) and compiles tests/c/test_fork.c against it.
fn build(name: &str) -> PathBuf {
    compile("CC", "cc", "-std=c99", "tests/c/test_fork.c", name)
}

/// An emulator that answers every chat id the program uses with a link naming that chat id.
fn emulator() -> Emulator {
    let emu = Emulator::start_default().unwrap();
    let ids = (0..8).flat_map(|t| (0..50).map(move |k| 1_000_000 + 1000 * t + k));
    let ids = ids.chain((0..8).flat_map(|c| (0..40).map(move |k| 2_000_000 + 1000 * c + k)));
    for id in ids {
        emu.set_avatar(
            &id.to_string(),
            &format!("{{base}}/avatars/{id}.png"),
            Some(true),
        );
    }
    emu
}

fn run(cache_ttl: &str) {
    let exe = build(&format!("test_fork_c_{cache_ttl}"));
    let emu = emulator();
    let mut child = Command::new(&exe)
        .args([&emu.url(), &emu.id_instance(), &emu.token(), cache_ttl])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The program has its own watchdogs (alarm); this one is the last resort.
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(150) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}:\n{text}", out.status);
    assert!(text.contains("children: 0 of 8 failed"), "{text}");
    // Every child kept the parent's settings: all its requests carry the user agent set.
    let reqs = emu.requests();
    let child_reqs: Vec<_> = reqs
        .iter()
        .filter(|r| r.chat_id.as_deref().is_some_and(|c| c.starts_with('2')))
        .collect();
    assert!(child_reqs.len() >= 8 * 40, "{}", child_reqs.len());
    assert!(
        child_reqs.iter().all(|r| r.user_agent == "fork-test/1"),
        "a child lost the user agent"
    );
    eprintln!("{text}");
}

#[test]
fn children_forked_while_threads_call_get_their_own_answers() {
    run("0");
}

#[test]
fn children_forked_with_the_cache_on_get_their_own_answers() {
    run("600");
}
