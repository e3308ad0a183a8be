//! ga_get_avatars: order, isolation of bad ids, bounded concurrency, and the rate limit used in
//! full without a single 429.

mod common;

use std::ffi::{c_char, CStr, CString};
use std::time::Duration;

use common::*;
use getavatar::internals::ffi::*;
use getavatar_emulator::Config;

/// Runs a batch through the C ABI and copies the results (status, url, error).
fn batch(h: &Handle, ids: &[Option<&str>]) -> Vec<(i32, String, String)> {
    let owned: Vec<Option<CString>> = ids
        .iter()
        .map(|i| i.map(|s| CString::new(s).unwrap()))
        .collect();
    let ptrs: Vec<*const c_char> = owned
        .iter()
        .map(|o| o.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()))
        .collect();
    let mut out: Vec<*mut GaAvatar> = vec![std::ptr::null_mut(); ids.len()];
    let st = unsafe { ga_get_avatars(h.0, ptrs.as_ptr(), ids.len() as i32, out.as_mut_ptr()) };
    assert_eq!(st, GaStatus::GA_OK, "{}", last_error());
    out.into_iter()
        .map(|p| {
            assert!(!p.is_null());
            let a = unsafe { &*p };
            let url = unsafe { CStr::from_ptr(a.url_avatar) }
                .to_str()
                .unwrap()
                .to_string();
            let err = if a.error.is_null() {
                String::new()
            } else {
                unsafe { CStr::from_ptr(a.error) }
                    .to_str()
                    .unwrap()
                    .to_string()
            };
            let r = (a.status, url, err);
            unsafe { ga_free(p.cast()) };
            assert!(!r.2.contains(&h.1), "token leaked");
            r
        })
        .collect()
}

#[test]
fn results_keep_order_and_bad_ids_fail_alone() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let ids = [
        Some("10000000"),
        Some("bad"),
        None,
        Some("30000000"),
        Some("-10000000000000"),
        Some("20000000"),
        Some("79001234567@c.us"),
    ];
    let r = batch(&h, &ids);
    assert_eq!(r.len(), ids.len());
    assert_eq!(r[0].0, 0);
    assert!(r[0].1.ends_with("/avatars/10000000.png"));
    assert_eq!(r[1].0, 1);
    assert!(r[1].2.contains("group_id"));
    assert_eq!((r[2].0, r[2].2.as_str()), (1, "chat_id is NULL"));
    assert_eq!((r[3].0, r[3].1.as_str()), (0, ""));
    assert!(r[4].1.ends_with("/avatars/-10000000000000.png"));
    assert_eq!((r[5].0, r[5].1.as_str()), (0, ""));
    assert!(r[6].2.contains("WhatsApp"));
    let mut seen: Vec<String> = e.requests().into_iter().filter_map(|q| q.chat_id).collect();
    seen.sort();
    assert_eq!(
        seen,
        ["-10000000000000", "10000000", "20000000", "30000000"],
        "bad ids cost no request"
    );
    // A server failure in one slot does not spoil the others (5xx belongs to the row).
    assert_eq!(h.set_retries(0), 0);
    e.push_fault(Fault::Status {
        status: 500,
        body: String::new(),
        headers: vec![],
    });
    let r = batch(&h, &[Some("10000000"), Some("10000000"), Some("10000000")]);
    assert_eq!(r.iter().filter(|x| x.0 == 8).count(), 1, "{r:?}");
    assert_eq!(r.iter().filter(|x| x.0 == 0).count(), 2, "{r:?}");
}

#[test]
fn bad_batch_arguments() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    let id = c"10000000";
    let ids = [id.as_ptr()];
    let mut out = [std::ptr::null_mut::<GaAvatar>(); 1];
    unsafe {
        assert_eq!(
            ga_get_avatars(std::ptr::null_mut(), ids.as_ptr(), 1, out.as_mut_ptr()),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last_error(), "client is NULL");
        assert_eq!(
            ga_get_avatars(h.0, std::ptr::null(), 1, out.as_mut_ptr()),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last_error(), "chat_ids is NULL");
        assert_eq!(
            ga_get_avatars(h.0, ids.as_ptr(), 1, std::ptr::null_mut()),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last_error(), "results is NULL");
        assert_eq!(
            ga_get_avatars(h.0, ids.as_ptr(), -1, out.as_mut_ptr()),
            GaStatus::GA_ERR_INVALID_ARGUMENT
        );
        assert!(last_error().contains("negative"));
        assert!(out[0].is_null(), "nothing written on a bad call");
        assert_eq!(
            ga_get_avatars(h.0, std::ptr::null(), 0, std::ptr::null_mut()),
            GaStatus::GA_OK,
            "an empty batch is fine"
        );
        for bad in [0, 65, -3] {
            assert_eq!(
                ga_client_set_concurrency(h.0, bad),
                GaStatus::GA_ERR_INVALID_ARGUMENT
            );
        }
        assert_eq!(ga_client_set_concurrency(h.0, 64), GaStatus::GA_OK);
    }
    assert_eq!(e.request_count(), 0);
}

#[test]
fn concurrency_is_bounded() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    assert_eq!(
        unsafe { ga_client_set_concurrency(h.0, 3) },
        GaStatus::GA_OK
    );
    e.push_faults(Fault::Delay(Duration::from_millis(300)), 9);
    let r = batch(&h, &[Some("10000000"); 9]);
    assert!(r.iter().all(|x| x.0 == 0));
    let t: Vec<Duration> = e.requests().iter().map(|q| q.at).collect();
    // Three waves of three: each wave starts when the previous one answers.
    for wave in 0..3 {
        let w = &t[wave * 3..wave * 3 + 3];
        assert!(
            w[2] - w[0] < Duration::from_millis(150),
            "wave {wave} starts together: {t:?}"
        );
        if wave > 0 {
            assert!(
                w[0] - t[wave * 3 - 1] >= Duration::from_millis(250),
                "wave {wave} waits: {t:?}"
            );
        }
    }
}

#[test]
fn a_batch_of_100_uses_the_rate_budget_with_zero_429s() {
    // The server answers 429 to the 11th request in any rolling second; the client keeps its
    // default 10 per second and concurrency 4.
    let e = Emulator::start(Config {
        rate_limit: 10,
        ..Config::default()
    })
    .unwrap();
    let h = Handle::new(&e.url(), &e.id_instance(), &e.token());
    let ids: Vec<String> = (0..100).map(|i| format!("{}", 10000000 + i)).collect();
    let r = batch(
        &h,
        &ids.iter().map(|s| Some(s.as_str())).collect::<Vec<_>>(),
    );
    assert!(
        r.iter().all(|x| x.0 == 0),
        "{:?}",
        r.iter().find(|x| x.0 != 0)
    );
    let q = e.requests();
    assert_eq!(q.len(), 100, "no retries were needed");
    assert_eq!(q.iter().filter(|x| x.status == 429).count(), 0);
    let span = q[99].at - q[0].at;
    eprintln!("100 lookups at 10/s: {span:?} of server time");
    assert!(span <= Duration::from_millis(10_500), "{span:?}");
    assert!(
        span >= Duration::from_secs(9),
        "never faster than the limit: {span:?}"
    );
    // Order follows the input.
    let mut got: Vec<String> = q.iter().filter_map(|x| x.chat_id.clone()).collect();
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want);
}

fn set_concurrency(h: &Handle, n: i32) {
    assert_eq!(
        unsafe { ga_client_set_concurrency(h.0, n) },
        GaStatus::GA_OK
    );
}

const NOT_SENT: &str = "(not sent: an earlier lookup of this batch met this failure";

#[test]
fn a_wrong_token_stops_the_batch_at_the_first_401() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::new(
        &e.url(),
        &e.id_instance(),
        "0123456789abcdef0123456789abcdef",
    );
    assert_eq!(h.set_rate(0), 0);
    let mut ids: Vec<Option<&str>> = vec![Some("10000000"); 30];
    ids[7] = Some("bad");
    ids[9] = None;
    for workers in [1, 4] {
        set_concurrency(&h, workers);
        e.reset();
        let r = batch(&h, &ids);
        let asked = e.request_count();
        assert!(
            asked >= 1 && asked <= workers as usize,
            "{workers} workers: {asked} requests for 30 ids"
        );
        for (i, (status, _, err)) in r.iter().enumerate() {
            match i {
                7 => assert!(*status == 1 && err.contains("group_id"), "{i}: {err}"),
                9 => assert_eq!((*status, err.as_str()), (1, "chat_id is NULL")),
                _ => assert_eq!(*status, 3, "{i}: {err}"),
            }
        }
        assert_eq!(
            r.iter().filter(|x| x.2.contains(NOT_SENT)).count(),
            28 - asked,
            "{r:?}"
        );
    }
}

#[test]
fn the_quota_used_up_mid_batch_ends_the_rest_with_466() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    set_concurrency(&h, 1);
    e.set_quota(Some(3));
    let r = batch(&h, &[Some("10000000"); 20]);
    let statuses: Vec<i32> = r.iter().map(|x| x.0).collect();
    assert_eq!(statuses[..3], [0, 0, 0]);
    assert!(statuses[3..].iter().all(|s| *s == 7), "{statuses:?}");
    assert_eq!(e.request_count(), 4, "one 466, then no more requests");
    assert!(
        !r[3].2.contains(NOT_SENT) && r[19].2.contains(NOT_SENT),
        "{r:?}"
    );
}

#[test]
fn a_server_that_cannot_be_talked_to_is_asked_once_per_worker_not_once_per_id() {
    // Accepts every connection and closes it at once: a network failure every request meets.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&accepted);
    std::thread::spawn(move || {
        for c in l.incoming() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(c);
        }
    });
    let h = Handle::new(
        &format!("http://127.0.0.1:{port}"),
        "1101000001",
        "0123456789abcdef0123456789abcdef",
    );
    assert_eq!(h.set_rate(0), 0);
    assert_eq!(h.set_retries(0), 0);
    set_concurrency(&h, 4);
    let r = batch(&h, &[Some("10000000"); 200]);
    assert!(
        r.iter().all(|x| x.0 == 10),
        "{:?}",
        r.iter().find(|x| x.0 != 10)
    );
    let n = accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert!(n <= 8, "{n} connections for 200 ids");
    assert!(r.iter().filter(|x| x.2.contains(NOT_SENT)).count() >= 192);
}

#[cfg(target_os = "linux")]
#[test]
fn a_dead_network_that_drops_packets_stops_the_batch_after_the_first_connect_timeouts() {
    use std::os::fd::AsRawFd;
    // A listener that never accepts, with no room in its queue once one connection waits there:
    // the kernel drops every later SYN, as a dead network or a dropping firewall does.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    assert_eq!(unsafe { libc::listen(l.as_raw_fd(), 0) }, 0);
    let addr = l.local_addr().unwrap();
    let _queued = std::net::TcpStream::connect(addr).unwrap();
    let h = Handle::new(
        &format!("http://{addr}"),
        "1101000001",
        "0123456789abcdef0123456789abcdef",
    );
    assert_eq!(h.set_rate(0), 0);
    assert_eq!(h.set_retries(0), 0);
    assert_eq!(h.set_timeout(300), 0);
    set_concurrency(&h, 4);
    let t = std::time::Instant::now();
    let r = batch(&h, &[Some("10000000"); 40]);
    let took = t.elapsed();
    assert!(
        r.iter().all(|x| x.0 == 9),
        "{:?}",
        r.iter().find(|x| x.0 != 9)
    );
    assert!(
        r[0].2
            .starts_with(&format!("could not connect to {addr} within 300 ms")),
        "{:?}",
        r[0]
    );
    assert!(
        r.iter().filter(|x| x.2.contains(NOT_SENT)).count() >= 32,
        "{r:?}"
    );
    // One wave of 0.3 s, not ten.
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[test]
fn a_slow_answer_is_the_id_s_own_failure_and_the_batch_goes_on() {
    let e = Emulator::start_default().unwrap();
    let h = Handle::for_emu(&e);
    assert_eq!(h.set_retries(0), 0);
    assert_eq!(h.set_timeout(300), 0);
    set_concurrency(&h, 1);
    e.push_fault(Fault::NeverAnswer);
    let r = batch(
        &h,
        &[Some("10000000"), Some("20000000"), Some("-10000000000000")],
    );
    let statuses: Vec<i32> = r.iter().map(|x| x.0).collect();
    assert_eq!(statuses, [9, 0, 0], "{r:?}");
    assert_eq!(e.request_count(), 3);
}
