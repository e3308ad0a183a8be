//! Pacing that learns the instance's real rate (issue 28), through the C ABI against the
//! emulator: down from the rate limit to what the server allows and back up when it relents, no
//! row failing for it (with no retries at all), Retry-After holding every thread, a 429 teaching
//! a client with no ceiling, and a forked child starting afresh.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use getavatar::internals::ffi::*;

fn rate(h: &Handle) -> f64 {
    unsafe { ga_client_rate(h.0) }
}

/// Runs a batch of `n` ids through `ga_get_avatars`; the statuses.
fn batch(h: &Handle, first: u64, n: usize) -> Vec<i32> {
    let ids: Vec<String> = (0..n as u64).map(|i| (first + i).to_string()).collect();
    let (st, results) = h.get_many(&ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(st, 0, "{}", last_error());
    results.into_iter().map(|r| r.status).collect()
}

fn failed(statuses: &[i32]) -> Vec<String> {
    statuses
        .iter()
        .filter(|&&s| s != 0)
        .map(|&s| status_name(s))
        .collect()
}

/// A client with the default rate limit (10), no retries at all: a 429 that fails a row shows.
fn client(emu: &Emulator) -> Handle {
    let h = Handle::new(&emu.url(), &emu.id_instance(), &emu.token());
    assert_eq!(h.set_retries(0), 0);
    h
}

fn too_many_429s(emu: &Emulator) -> usize {
    emu.requests().iter().filter(|r| r.status == 429).count()
}

#[test]
fn learns_down_to_what_the_server_allows_and_back_up_when_it_relents() {
    let emu = Emulator::start_default().unwrap();
    emu.set_rate_limit(3);
    let h = client(&emu);
    assert_eq!(rate(&h), 10.0);

    // Down: the server allows 3 a second. A cold batch of 4 workers learns it from the first
    // 429s; none of the 21 rows fails, though the client retries nothing. (Fewer than 8 windows
    // of 3: no probe of 4 yet.)
    let t = Instant::now();
    let s = batch(&h, 10_000_000, 21);
    let took = t.elapsed();
    assert!(failed(&s).is_empty(), "{:?}", failed(&s));
    assert_eq!(rate(&h), 3.0);
    let refused = too_many_429s(&emu);
    eprintln!("down to 3: {took:?}, {refused} 429s");
    if std::env::var_os("GA_DEBUG_PACE").is_some() {
        for r in emu.requests() {
            eprintln!("LOG {:?} {}", r.at, r.status);
        }
    }
    assert!((1..=6).contains(&refused), "{refused} 429s");
    // 21 at 3 a second: 6 full windows after the first (and the first one's 429s).
    assert!(took < Duration::from_millis(8_000), "{took:?}");

    // Up: the server allows 10 again. The client probes 4 after 8 windows at 3, then one more
    // a window, up to its rate limit (never above): no 429 on the way, no failed row.
    emu.reset();
    emu.set_rate_limit(10);
    let seen = Arc::new(Mutex::new(vec![rate(&h)]));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (seen, done) = (seen.clone(), done.clone());
        let p = h.0 as usize;
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                let r = unsafe { ga_client_rate(p as *const GaClient) };
                let mut v = seen.lock().unwrap();
                if v.last() != Some(&r) {
                    v.push(r);
                }
                drop(v);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    // 3 * 8 + 4 + 5 + ... + 9 = 63 requests at the full pace reach 10. A loaded machine can
    // leave some windows short of the pace (they do not count), so up to three more batches
    // of 50 run while the rate is still below 10.
    let mut s = batch(&h, 20_000_000, 150);
    for more in 0..3u64 {
        if rate(&h) == 10.0 {
            break;
        }
        s.extend(batch(&h, 30_000_000 + more * 100, 50));
    }
    done.store(true, Ordering::SeqCst);
    sampler.join().unwrap();
    assert!(failed(&s).is_empty(), "{:?}", failed(&s));
    // The sampler may have stopped between the last step and its next look.
    let last = rate(&h);
    let mut seen = seen.lock().unwrap().clone();
    if seen.last() != Some(&last) {
        seen.push(last);
    }
    eprintln!("back up: {seen:?}");
    assert_eq!(seen, [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
    assert_eq!(rate(&h), 10.0);
    assert_eq!(too_many_429s(&emu), 0);
}

#[test]
fn retry_after_holds_every_thread_of_the_client() {
    // The first request is answered 429 with Retry-After: 1. A second thread that calls 200 ms
    // later must not reach the server before that second is over either.
    let emu = Emulator::start_default().unwrap();
    emu.push_fault(Fault::Status {
        status: 429,
        body: r#"{"message":"Too Many Requests"}"#.into(),
        headers: vec![("Retry-After".into(), "1".into())],
    });
    let h = Arc::new(client(&emu));
    h.set_retries(1);
    let a = {
        let h = h.clone();
        std::thread::spawn(move || h.get("10000000"))
    };
    std::thread::sleep(Duration::from_millis(200));
    let b = h.get("10000001");
    let a = a.join().unwrap();
    assert_eq!((a.status, b.status), (0, 0), "{a:?} {b:?}");
    let log = emu.requests();
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log[0].status, 429);
    for r in &log[1..] {
        let after = r.at - log[0].at;
        assert!(after >= Duration::from_millis(980), "{after:?}: {log:?}");
    }
}

#[test]
fn with_no_ceiling_a_429_still_teaches_the_pacer() {
    // rate_limit 0 sends unpaced; against a server that allows 5 a second, the first 429 sets
    // the pace: a handful of refused requests, no failed row (no retries), then 5 a second.
    let emu = Emulator::start_default().unwrap();
    emu.set_rate_limit(5);
    let h = client(&emu);
    assert_eq!(h.set_rate(0), 0);
    assert_eq!(rate(&h), 0.0);
    let s = batch(&h, 10_000_000, 25);
    assert!(failed(&s).is_empty(), "{:?}", failed(&s));
    // What went through in the second of the first fresh 429, less one (arrivals jitter: one
    // either way).
    let r = rate(&h);
    assert!((4.0..=6.0).contains(&r), "{r}");
    let (sent, refused) = (emu.request_count(), too_many_429s(&emu));
    eprintln!("no ceiling: {sent} requests for 25 ids, {refused} 429s");
    assert!(sent <= 25 + 8, "{sent} requests");
}

#[test]
fn the_rate_of_a_null_client_is_minus_one() {
    assert_eq!(unsafe { ga_client_rate(std::ptr::null()) }, -1.0);
    assert_eq!(last_error(), "client is NULL");
}

#[cfg(unix)]
#[test]
fn a_forked_child_starts_from_the_rate_limit_again() {
    let emu = Emulator::start_default().unwrap();
    emu.set_rate_limit(3);
    let h = client(&emu);
    let s = batch(&h, 10_000_000, 8);
    assert!(failed(&s).is_empty(), "{:?}", failed(&s));
    assert_eq!(rate(&h), 3.0);
    // SAFETY: the child only reads the rate and leaves by _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let fresh = unsafe { ga_client_rate(h.0) } == 10.0;
        unsafe { libc::_exit(if fresh { 0 } else { 1 }) };
    }
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child's pace is the rate limit: {status}"
    );
    assert_eq!(rate(&h), 3.0, "the parent keeps what it learned");
}
