//! 16 threads share one client for 500 calls each, mixing successes, bad ids and server faults
//! (503s, which are retried, and unusable bodies, which are not). Every result must be one its id
//! allows, and the totals must add up with what the server saw. `scripts/sanitize.sh` runs this
//! under ThreadSanitizer.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;

const THREADS: usize = 16;
const CALLS: usize = 500;

#[test]
fn sixteen_threads_five_hundred_calls_each() {
    let calls = std::env::var("GA_STRESS_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CALLS);
    let e = Emulator::start_default().unwrap();
    let c = Handle::for_emu(&e);
    assert_eq!(c.set_retries(2), 0);
    assert_eq!(c.set_timeout(5000), 0);
    let n_503 = calls / 2;
    let n_json = calls / 5;
    e.push_faults(
        Fault::Status {
            status: 503,
            body: String::new(),
            headers: vec![],
        },
        n_503,
    );
    e.push_faults(Fault::InvalidJson, n_json);
    let ids = [
        "10000000",
        "20000000",
        "30000000",
        "-10000000000000",
        "79001234567@c.us",
        "40000000",
        "",
    ];
    let (ok, invalid, server, bad) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (c, e, ids) = (&c, &e, &ids);
            let (ok, invalid, server, bad) = (&ok, &invalid, &server, &bad);
            s.spawn(move || {
                for i in 0..calls {
                    let id = ids[(t * 7 + i) % ids.len()];
                    let r = c.get(id);
                    match (id, r.name().as_str()) {
                        ("79001234567@c.us" | "", "GA_ERR_INVALID_ARGUMENT") => {
                            assert!(r.err().contains("group_id"));
                            invalid.fetch_add(1, Ordering::Relaxed);
                        }
                        ("79001234567@c.us" | "", other) => panic!("bad id {id:?} gave {other}"),
                        (_, "GA_OK") => {
                            let want = match id {
                                "20000000" | "30000000" => String::new(),
                                _ => format!("{}/avatars/{id}.png", e.url()),
                            };
                            assert_eq!(r.url, want, "{id}");
                            assert_eq!(
                                r.available,
                                match id {
                                    "30000000" => 0,
                                    "40000000" => -1,
                                    _ => 1,
                                },
                                "{id}"
                            );
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        (_, "GA_ERR_SERVER") => {
                            assert_eq!(r.http, 503);
                            server.fetch_add(1, Ordering::Relaxed);
                        }
                        (_, "GA_ERR_BAD_RESPONSE") => {
                            assert!(r.err().contains("not valid JSON"), "{}", r.err());
                            bad.fetch_add(1, Ordering::Relaxed);
                        }
                        (_, other) => panic!("{id}: unexpected {other}: {}", r.err()),
                    }
                }
            });
        }
    });
    let (ok, invalid, server, bad) = (
        ok.into_inner(),
        invalid.into_inner(),
        server.into_inner(),
        bad.into_inner(),
    );
    let total = THREADS * calls;
    assert_eq!(ok + invalid + server + bad, total);
    let valid_calls = total - invalid;
    assert_eq!(
        invalid,
        (0..THREADS)
            .map(|t| (0..calls)
                .filter(|i| (t * 7 + i) % ids.len() >= 4 && (t * 7 + i) % ids.len() != 5)
                .count())
            .sum::<usize>()
    );
    assert_eq!(
        bad, n_json,
        "each unusable body fails exactly one call, never retried"
    );
    // Each 503 costs one extra request, except the last attempt of a call that gave up.
    let requests = e.request_count();
    assert_eq!(
        requests,
        valid_calls + n_503 - server,
        "ok {ok} invalid {invalid} server {server} bad {bad}"
    );
    eprintln!("{total} calls: {ok} ok, {invalid} invalid ids, {server} gave up on 503, {bad} bad bodies; {requests} requests");
}
