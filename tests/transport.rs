//! The request path of issue 13 through the C ABI: pacing by arrival (a cold client against a
//! server with slow connects and TLS that enforces 10 arrivals per rolling second gets no 429),
//! TLS session resumption across reconnects, idle connections kept for the idle timeout, a stale
//! pooled connection resent once on a fresh one (no error at max_retries = 0), and warm-up.
//! Nothing here is timed to the millisecond.

mod common;

use std::ffi::CString;
use std::thread;
use std::time::Duration;

use common::*;
use getavatar::internals::ffi::*;
use getavatar_emulator::Config;

const OK: i32 = 0;

/// An HTTPS emulator with `delay` before it reads a new connection and `delay` again before its
/// first TLS flight, enforcing `rate` arrivals per rolling second.
fn slow_tls_emulator(delay: Duration, rate: u32) -> Emulator {
    Emulator::start(Config {
        tls: true,
        rate_limit: rate,
        accept_delay: delay,
        tls_delay: delay,
        ..Config::default()
    })
    .unwrap()
}

/// A client for `e` that trusts its certificate, with the library's defaults otherwise.
fn tls_client(e: &Emulator) -> Handle {
    let h = Handle::new(&e.url(), &e.id_instance(), &e.token());
    let path = std::env::temp_dir().join(format!(
        "ga-transport-{}-{}.pem",
        std::process::id(),
        e.addr().port()
    ));
    std::fs::write(&path, e.cert_pem().unwrap()).unwrap();
    let p = CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(
        unsafe { ga_client_set_ca_file(h.0, p.as_ptr()) },
        GaStatus::GA_OK
    );
    let _ = std::fs::remove_file(&path);
    h
}

#[test]
fn a_cold_client_paces_by_arrival_and_gets_no_429() {
    // 30 sequential lookups.
    let e = slow_tls_emulator(Duration::from_millis(150), 10);
    let c = tls_client(&e);
    for i in 0..30 {
        let r = c.get("10000000");
        assert_eq!(r.status, OK, "lookup {i}: {r:?}");
    }
    let n = e.counters();
    assert_eq!(n.too_many, 0, "{n:?}");
    assert_eq!(n.requests, 30, "no retries: {n:?}");

    // A 50-id batch from another cold client (4 connections opened at once).
    let e = slow_tls_emulator(Duration::from_millis(150), 10);
    let c = tls_client(&e);
    let ids: Vec<String> = (0..50).map(|i| format!("{}", 70_000_000 + i)).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let (st, each) = c.get_many_cancellable(&ids, &Token::new());
    assert_eq!(st, OK);
    assert_eq!(each, vec![OK; 50]);
    let n = e.counters();
    assert_eq!(n.too_many, 0, "{n:?}");
    assert_eq!(n.requests, 50, "no retries: {n:?}");
}

#[test]
fn a_reconnect_after_idle_resumes_the_tls_session() {
    let e = slow_tls_emulator(Duration::ZERO, 0);
    let c = tls_client(&e);
    assert_eq!(c.get("10000000").status, OK);
    // The server forgets the connection; the next lookup reconnects.
    e.set_idle_forget(Some(Duration::from_millis(100)));
    thread::sleep(Duration::from_millis(300));
    assert_eq!(c.get("10000000").status, OK);
    // So does one after the client's own idle timeout.
    e.set_idle_forget(None);
    assert_eq!(
        unsafe { ga_client_set_idle_timeout_ms(c.0, 100) },
        GaStatus::GA_OK
    );
    assert_eq!(c.get("10000000").status, OK);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(c.get("10000000").status, OK);
    let n = e.counters();
    // Setting the idle timeout drops the pool and with it the agent's session cache: one full
    // handshake before it and one after, and each reconnect resumed.
    assert_eq!((n.tls_full, n.tls_resumed), (2, 2), "{n:?}");
}

#[test]
fn a_server_that_forgets_idle_connections_costs_no_error() {
    for tls in [false, true] {
        let e = if tls {
            slow_tls_emulator(Duration::ZERO, 0)
        } else {
            Emulator::start_default().unwrap()
        };
        let c = if tls {
            tls_client(&e)
        } else {
            Handle::for_emu(&e)
        };
        assert_eq!(c.set_retries(0), OK);
        e.set_idle_forget(Some(Duration::from_millis(100)));
        for i in 0..4 {
            let r = c.get("10000000");
            assert_eq!(r.status, OK, "tls {tls}, lookup {i}: {r:?}");
            thread::sleep(Duration::from_millis(250));
        }
        assert_eq!(
            e.request_count(),
            4,
            "tls {tls}: one answered request per lookup"
        );
    }
}

#[test]
fn idle_connections_are_kept_for_the_idle_timeout() {
    let e = slow_tls_emulator(Duration::ZERO, 0);
    let c = tls_client(&e);
    assert_eq!(c.get("10000000").status, OK);
    thread::sleep(Duration::from_millis(1300));
    assert_eq!(c.get("10000000").status, OK);
    assert_eq!(e.counters().connections, 1, "kept (default 5 minutes)");
    assert_eq!(
        unsafe { ga_client_set_idle_timeout_ms(c.0, 0) },
        GaStatus::GA_OK
    );
    assert_eq!(c.get("10000000").status, OK);
    assert_eq!(c.get("10000000").status, OK);
    assert_eq!(e.counters().connections, 3, "0 = a new connection per call");
    for bad in [-1, 3_600_001] {
        assert_eq!(
            unsafe { ga_client_set_idle_timeout_ms(c.0, bad) },
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert!(last_error().contains("0 to 3600000 ms"), "{}", last_error());
    }
    assert_eq!(
        unsafe { ga_client_set_idle_timeout_ms(std::ptr::null_mut(), 5) },
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
}

#[test]
fn warm_up_connects_without_a_request() {
    let e = slow_tls_emulator(Duration::from_millis(100), 10);
    let c = tls_client(&e);
    assert_eq!(
        unsafe { ga_client_warm_up(c.0) },
        GaStatus::GA_OK,
        "{}",
        last_error()
    );
    // The server counts the handshake once it has read the client's last flight.
    for _ in 0..100 {
        if e.counters().tls_full == 1 {
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let n = e.counters();
    assert_eq!((n.connections, n.tls_full, n.requests), (1, 1, 0), "{n:?}");
    assert_eq!(unsafe { ga_client_warm_up(c.0) }, GaStatus::GA_OK);
    assert_eq!(c.get("10000000").status, OK);
    let n = e.counters();
    assert_eq!(
        (n.connections, n.requests),
        (1, 1),
        "the lookup used it: {n:?}"
    );

    // Nothing listening: the failure, and the client still works afterwards.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let d = Handle::new(
        &format!("http://127.0.0.1:{port}"),
        "1101000001",
        "abc123abc123",
    );
    assert_eq!(unsafe { ga_client_warm_up(d.0) }, GaStatus::GA_ERR_NETWORK);
    assert!(last_error().contains("refused"), "{}", last_error());
    assert!(!last_error().contains("abc123abc123"));
    assert_eq!(
        unsafe { ga_client_warm_up(std::ptr::null_mut()) },
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
}
