//! Cancellation through the C ABI: a call cancelled from another thread returns
//! GA_ERR_CANCELLED promptly wherever it waits (rate limit, backoff, Retry-After, TLS handshake,
//! a server holding the answer), a token cancelled beforehand sends nothing, and the client stays
//! usable (an interrupted connection is never reused). Times are asserted generously: "well
//! before the wait would have ended", never to the millisecond.

mod common;

use std::ffi::CString;
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use getavatar::internals::ffi::*;

const OK: i32 = 0;
const CANCELLED: i32 = 14;
/// How soon after ga_cancel a call must have returned (the promise is about 100 ms).
const PROMPT: Duration = Duration::from_millis(1000);

/// Runs `call` on another thread, cancels `token` after `after`, and returns the call's result
/// and how long after the cancel it returned.
fn cancel_after<R: Send>(
    token: &Token,
    after: Duration,
    call: impl FnOnce() -> R + Send,
) -> (R, Duration) {
    thread::scope(|s| {
        let h = s.spawn(call);
        thread::sleep(after);
        let t = Instant::now();
        token.cancel();
        let r = h.join().unwrap();
        (r, t.elapsed())
    })
}

fn assert_cancelled(r: &Res, took: Duration) {
    assert_eq!(r.status, CANCELLED, "{r:?}");
    assert_eq!(r.name(), "GA_ERR_CANCELLED");
    assert!(r.err().contains("cancelled"), "{r:?}");
    assert!(took < PROMPT, "returned {took:?} after the cancel");
}

#[test]
fn cancel_ends_a_rate_limit_wait_and_sends_nothing() {
    let e = Emulator::start_default().unwrap();
    let c = Handle::for_emu(&e);
    assert_eq!(c.set_rate(1), 0);
    assert_eq!(c.get("10000000").status, OK);
    thread::scope(|s| {
        // This one takes the next slot (about 1 s away); the cancellable call queues behind it
        // (about 2 s away).
        let other = s.spawn(|| c.get("10000000"));
        thread::sleep(Duration::from_millis(50));
        let t = Token::new();
        let (r, took) = cancel_after(&t, Duration::from_millis(200), || {
            c.get_cancellable("20000000", &t)
        });
        assert_cancelled(&r, took);
        assert_eq!(other.join().unwrap().status, OK);
    });
    let ids: Vec<Option<String>> = e.requests().into_iter().map(|r| r.chat_id).collect();
    assert!(
        !ids.contains(&Some("20000000".into())),
        "the cancelled lookup never reached the server: {ids:?}"
    );
    assert_eq!(c.set_rate(0), 0);
    let r = c.get("20000000");
    assert_eq!((r.status, r.url.as_str()), (OK, ""));
}

#[test]
fn cancel_ends_a_backoff_and_a_retry_after_wait() {
    let e = Emulator::start_default().unwrap();
    let c = Handle::for_emu(&e);
    let fault = |headers: Vec<(String, String)>| Fault::Status {
        status: 503,
        body: "busy".into(),
        headers,
    };
    // Backoff: the first retry would come 10-20 s later.
    assert_eq!(c.set_backoff(20_000), 0);
    e.push_fault(fault(vec![]));
    let t = Token::new();
    let (r, took) = cancel_after(&t, Duration::from_millis(300), || {
        c.get_cancellable("10000000", &t)
    });
    assert_cancelled(&r, took);
    assert_eq!(r.http, 503, "the last status seen is kept");
    // Retry-After: 30 s.
    e.push_fault(fault(vec![("Retry-After".into(), "30".into())]));
    let t = Token::new();
    let (r, took) = cancel_after(&t, Duration::from_millis(300), || {
        c.get_cancellable("10000000", &t)
    });
    assert_cancelled(&r, took);
    assert_eq!(e.request_count(), 2, "no retry was sent");
    let r = c.get("10000000");
    assert_eq!(r.status, OK, "{r:?}");
}

#[test]
fn cancel_while_the_server_holds_the_answer_never_reuses_that_connection() {
    let e = Emulator::start_default().unwrap();
    let c = Handle::for_emu(&e);
    assert_eq!(c.get("20000000").status, OK, "a pooled connection to reuse");
    // The server answers this lookup (for 10000000) only after 700 ms.
    e.push_fault(Fault::Delay(Duration::from_millis(700)));
    let t = Token::new();
    let (r, took) = cancel_after(&t, Duration::from_millis(200), || {
        c.get_cancellable("10000000", &t)
    });
    assert_cancelled(&r, took);
    // Were the interrupted connection pooled, the next lookup would read 10000000's late answer.
    thread::sleep(Duration::from_millis(700));
    let r = c.get("-10000000000000");
    assert_eq!(r.status, OK, "{r:?}");
    assert!(r.url.ends_with("/avatars/-10000000000000.png"), "{r:?}");
    for _ in 0..3 {
        assert_eq!(c.get("20000000").url, "");
    }
}

#[test]
fn cancel_during_the_tls_handshake() {
    // A server that accepts connections and never says a word: the handshake waits.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let held = thread::spawn(move || {
        let mut conns = Vec::new();
        for s in l.incoming().take(2) {
            conns.push(s);
        }
        thread::sleep(Duration::from_secs(3));
    });
    let c = Handle::new(
        &format!("https://127.0.0.1:{port}"),
        "1101000001",
        "abc123abc123",
    );
    let t = Token::new();
    let (r, took) = cancel_after(&t, Duration::from_millis(300), || {
        c.get_cancellable("10000000", &t)
    });
    assert_cancelled(&r, took);
    drop(c);
    drop(held);
}

#[test]
fn a_cancelled_token_ends_calls_at_once_and_null_is_harmless() {
    let e = Emulator::start_default().unwrap();
    let c = Handle::for_emu(&e);
    let t = Token::new();
    t.cancel();
    t.cancel();
    let start = Instant::now();
    let r = c.get_cancellable("10000000", &t);
    assert_cancelled(&r, start.elapsed());
    assert_eq!(last_error(), r.err());
    // Bad arguments are still reported as such.
    assert_eq!(c.get_cancellable("x", &t).status, 1);
    assert_eq!(e.request_count(), 0, "nothing was sent");
    unsafe {
        ga_cancel(std::ptr::null_mut());
        ga_cancel_free(std::ptr::null_mut());
    }
    // NULL token: an ordinary call.
    let id = CString::new("10000000").unwrap();
    let r = unsafe { get_cancellable_with(c.0, id.as_ptr(), std::ptr::null_mut()) };
    assert_eq!(r.status, OK);
    assert_eq!(c.get_cancellable("10000000", &Token::new()).status, OK);
}

#[test]
fn a_batch_and_downloads_can_be_cancelled() {
    let e = Emulator::start_default().unwrap();
    let c = Handle::for_emu(&e);
    // The batch runs 4 lookups at once; the server holds each answer.
    e.push_faults(Fault::Delay(Duration::from_secs(2)), 4);
    let ids: Vec<String> = (0..8).map(|i| format!("5000000{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let t = Token::new();
    let ((st, each), took) = cancel_after(&t, Duration::from_millis(300), || {
        c.get_many_cancellable(&ids, &t)
    });
    assert_eq!(st, OK);
    assert!(took < PROMPT, "{took:?}");
    assert_eq!(each, vec![CANCELLED; 8]);

    // Downloads: the image server holds the image.
    let dir = std::env::temp_dir().join(format!("ga-cancel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.png");
    let path = path.to_str().unwrap();
    e.push_image_fault(Fault::Delay(Duration::from_secs(3)));
    let t = Token::new();
    let (r, took) = cancel_after(&t, Duration::from_millis(300), || {
        c.download_cancellable("10000000", path, &t)
    });
    assert_cancelled(&r, took);
    assert!(!std::path::Path::new(path).exists(), "nothing written");
    e.push_image_fault(Fault::Delay(Duration::from_secs(3)));
    let t = Token::new();
    let ((r, data), took) = cancel_after(&t, Duration::from_millis(300), || {
        c.download_bytes_cancellable("10000000", &t)
    });
    assert_cancelled(&r, took);
    assert!(!data);
    let img = c.download_bytes("10000000");
    assert_eq!(img.res.status, OK, "{:?}", img.res);
    let _ = std::fs::remove_dir_all(&dir);
}
