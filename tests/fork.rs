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

/// A keep-alive getAvatar server that tells when a connection's client side closed: its URL,
/// its connection count, and the flag.
fn closing_watch_server() -> (
    String,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let (conns, closed) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let (n, shut) = (conns.clone(), closed.clone());
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            n.fetch_add(1, Ordering::SeqCst);
            let shut = shut.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                loop {
                    let mut len = 0;
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            shut.store(true, Ordering::SeqCst);
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0u8; len];
                    r.read_exact(&mut body).unwrap();
                    let b = r#"{"urlAvatar":"https://pps.example/a.jpg","available":true}"#;
                    let _ = write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                        b.len()
                    );
                }
            });
        }
    });
    (url, conns, closed)
}

#[test]
fn a_forked_child_does_not_keep_the_parents_connection() {
    // Issue 23: a child that never calls held the parent's pooled socket until it exited, so
    // the connection outlived the parent's close. The child now closes its copy of the
    // descriptor at the fork (nothing is sent on it), and the parent's connection is unaffected.
    use std::sync::atomic::Ordering;
    let (url, conns, closed) = closing_watch_server();
    let c = Handle::new(&url, "1101000001", "forktoken1234567890");
    assert_eq!(c.set_rate(0), 0);
    assert_eq!(c.get("10000000").status, 0);
    // SAFETY: the child only sleeps and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        std::thread::sleep(Duration::from_secs(4));
        unsafe { libc::_exit(0) };
    }
    assert!(pid > 0);
    // The parent's connection still works, and is the same one.
    assert_eq!(c.get("10000001").status, 0);
    assert_eq!(conns.load(Ordering::SeqCst), 1);
    assert!(!closed.load(Ordering::SeqCst));
    // The parent closes it: the server sees the close although the child is still running.
    drop(c);
    let t0 = Instant::now();
    while !closed.load(Ordering::SeqCst) && t0.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let seen = closed.load(Ordering::SeqCst);
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(seen, "the connection stayed open while the child lived");
}
