//! Integration tests through the exported C functions against the emulator.

mod common;

use std::ffi::{CStr, CString};
use std::time::{Duration, Instant, SystemTime};

use common::*;
use getavatar::internals::ffi::*;
use getavatar_emulator::Config;

const OK: i32 = 0;
const INVALID: i32 = 1;
const VALIDATION: i32 = 2;
const UNAUTHORIZED: i32 = 3;
const FORBIDDEN: i32 = 4;
const NOT_FOUND: i32 = 5;
const RATE_LIMITED: i32 = 6;
const QUOTA: i32 = 7;
const SERVER: i32 = 8;
const TIMEOUT: i32 = 9;
const NETWORK: i32 = 10;
const BAD_RESPONSE: i32 = 11;

fn emu() -> Emulator {
    Emulator::start_default().unwrap()
}

#[test]
fn answer_table_success_rows() {
    let e = emu();
    let c = Handle::for_emu(&e);
    let r = c.get("10000000");
    assert_eq!((r.status, r.http, r.available), (OK, 200, 1));
    assert_eq!(r.url, format!("{}/avatars/10000000.png", e.url()));
    let r = c.get("-10000000000000");
    assert_eq!((r.status, r.available), (OK, 1));
    assert!(r.url.ends_with("/avatars/-10000000000000.png"));
    let r = c.get("20000000");
    assert_eq!(
        (r.status, r.available, r.url.as_str()),
        (OK, 1, ""),
        "no avatar set"
    );
    let r = c.get("30000000");
    assert_eq!(
        (r.status, r.available, r.url.as_str()),
        (OK, 0, ""),
        "hidden by privacy"
    );
    let r = c.get("40000000");
    assert_eq!((r.status, r.available), (OK, -1), "available omitted");
    assert!(!r.url.is_empty());
    let r = c.get("55555555");
    assert_eq!(
        (r.status, r.available, r.url.as_str()),
        (OK, 1, ""),
        "unknown account"
    );
    let reqs = e.requests();
    assert_eq!(reqs.len(), 6, "one request per call");
    assert_eq!(reqs[0].chat_id.as_deref(), Some("10000000"));
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(
        reqs[0].path,
        format!("/v3/waInstance{}/getAvatar/{}", e.id_instance(), e.token())
    );
    assert_eq!(
        reqs[0].user_agent,
        format!("getavatar/{}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn api_url_forms_reach_the_same_endpoint() {
    let e = emu();
    for u in [
        e.url(),
        format!("{}/", e.url()),
        format!("{}/v3", e.url()),
        format!("{}/v3/", e.url()),
    ] {
        let c = Handle::new(&u, &e.id_instance(), &e.token());
        assert_eq!(c.get("10000000").status, OK, "{u}");
    }
    let local = e.url().replace("127.0.0.1", "localhost");
    let c = Handle::new(&local, &e.id_instance(), &e.token());
    assert_eq!(c.get("10000000").status, OK);
}

#[test]
fn server_400_carries_its_message_without_the_echoed_token() {
    let e = emu();
    let c = Handle::for_emu(&e);
    let t = e.token();
    let body = format!(
        r#"{{"statusCode":400,"timestamp":"2025-08-21T13:02:16.247Z","path":"/waInstance{}/getAvatar/{t}","message":"Validation failed. Details: 'chatId' must be one of the next formats: 'user_id' or 'group_id' ({})"}}"#,
        e.id_instance(),
        t.to_uppercase()
    );
    e.push_fault(Fault::Status {
        status: 400,
        body,
        headers: vec![],
    });
    let r = c.get("10000000");
    assert_eq!((r.status, r.http), (VALIDATION, 400));
    assert!(
        r.err()
            .contains("Validation failed. Details: 'chatId' must be one of"),
        "{}",
        r.err()
    );
    assert!(
        r.err().contains("<apiTokenInstance>"),
        "the echoed token is replaced: {}",
        r.err()
    );
    assert_eq!(e.request_count(), 1, "400 is not retried");
    // Other 400 messages of the real server.
    for m in [
        "instance is starting or not authorized",
        "Instance account is expired. Renew your instance from personal area",
    ] {
        let body =
            format!(r#"{{"statusCode":400,"timestamp":"x","path":"/p/{t}","message":"{m}"}}"#);
        e.push_fault(Fault::Status {
            status: 400,
            body,
            headers: vec![],
        });
        let r = c.get("10000000");
        assert_eq!(r.status, VALIDATION);
        assert!(r.err().contains(m), "{}", r.err());
    }
}

#[test]
fn auth_and_address_errors_say_what_to_check() {
    let e = emu();
    let bad_token = Handle::new(&e.url(), &e.id_instance(), "0000000000ffffffffff");
    let r = bad_token.get("10000000");
    assert_eq!((r.status, r.http), (UNAUTHORIZED, 401));
    assert!(r.err().contains("apiTokenInstance"), "{}", r.err());
    let bad_id = Handle::new(&e.url(), "3100000002", &e.token());
    let r = bad_id.get("10000000");
    assert_eq!((r.status, r.http), (FORBIDDEN, 403));
    assert!(
        r.err().contains("idInstance") && r.err().contains("apiUrl"),
        "{}",
        r.err()
    );
    let bad_path = Handle::new(&format!("{}/api", e.url()), &e.id_instance(), &e.token());
    let r = bad_path.get("10000000");
    assert_eq!((r.status, r.http), (NOT_FOUND, 404));
    assert!(r.err().contains("apiUrl"), "{}", r.err());
    assert_eq!(e.request_count(), 3, "none of these is retried");
}

#[test]
fn quota_466_is_reported_with_its_description() {
    let e = emu();
    e.set_quota(Some(1));
    let c = Handle::for_emu(&e);
    assert_eq!(c.get("10000000").status, OK);
    let r = c.get("10000000");
    assert_eq!((r.status, r.http), (QUOTA, 466));
    assert!(
        r.err().contains("used 1 of 1") && r.err().contains("quota"),
        "{}",
        r.err()
    );
    assert_eq!(e.request_count(), 2);
}

fn status_fault(status: u16) -> Fault {
    Fault::Status {
        status,
        body: String::new(),
        headers: vec![],
    }
}

#[test]
fn transient_statuses_are_retried_then_reported() {
    let e = emu();
    let c = Handle::for_emu(&e);
    for (code, want) in [
        (429u16, RATE_LIMITED),
        (499, SERVER),
        (500, SERVER),
        (502, SERVER),
        (503, SERVER),
        (504, SERVER),
    ] {
        e.reset();
        e.push_faults(status_fault(code), 4);
        let r = c.get("10000000");
        assert_eq!((r.status, r.http), (want, code as i32), "{code}");
        assert!(r.err().contains("after 4 attempts"), "{code}: {}", r.err());
        assert_eq!(e.request_count(), 4, "{code}: 1 try + 3 retries");
        // One failure, then success.
        e.reset();
        e.push_fault(status_fault(code));
        let r = c.get("10000000");
        assert_eq!((r.status, r.http), (OK, 200), "{code} then success");
        assert_eq!(e.request_count(), 2);
    }
    for code in [501u16, 505, 418, 201] {
        e.reset();
        e.push_faults(status_fault(code), 4);
        let r = c.get("10000000");
        assert_eq!(r.http, code as i32);
        assert_eq!(
            r.status,
            if code >= 500 { SERVER } else { BAD_RESPONSE },
            "{code}"
        );
        assert_eq!(e.request_count(), 1, "{code} is not retried");
    }
    // max_retries is honoured.
    e.reset();
    assert_eq!(c.set_retries(0), OK);
    e.push_faults(status_fault(503), 2);
    assert_eq!(c.get("10000000").status, SERVER);
    assert_eq!(e.request_count(), 1);
    e.reset();
    assert_eq!(c.set_retries(1), OK);
    e.push_faults(status_fault(503), 2);
    assert_eq!(c.get("10000000").status, SERVER);
    assert_eq!(e.request_count(), 2);
}

#[test]
fn retry_after_is_honoured_in_seconds_and_as_a_date_and_refused_past_60s() {
    let e = emu();
    let c = Handle::for_emu(&e);
    e.push_fault(Fault::Status {
        status: 429,
        body: String::new(),
        headers: vec![("Retry-After".into(), "1".into())],
    });
    let r = c.get("10000000");
    assert_eq!(r.status, OK);
    let q = e.requests();
    assert!(
        q[1].at - q[0].at >= Duration::from_millis(990),
        "waited {:?}",
        q[1].at - q[0].at
    );

    e.reset();
    let at = http_date(SystemTime::now() + Duration::from_secs(2));
    e.push_fault(Fault::Status {
        status: 503,
        body: String::new(),
        headers: vec![("Retry-After".into(), at)],
    });
    let r = c.get("10000000");
    assert_eq!(r.status, OK);
    let q = e.requests();
    assert!(
        q[1].at - q[0].at >= Duration::from_millis(900),
        "waited {:?}",
        q[1].at - q[0].at
    );

    e.reset();
    e.push_fault(Fault::Status {
        status: 429,
        body: String::new(),
        headers: vec![("Retry-After".into(), "120".into())],
    });
    let t0 = Instant::now();
    let r = c.get("10000000");
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_eq!((r.status, r.http), (RATE_LIMITED, 429));
    assert!(r.err().contains("retry after 120 s"), "{}", r.err());
    assert_eq!(e.request_count(), 1);
}

#[test]
fn broken_connections_and_bodies() {
    let e = emu();
    let c = Handle::for_emu(&e);
    assert_eq!(c.set_timeout(300), OK);
    assert_eq!(c.set_retries(1), OK);
    let cases: Vec<(Fault, i32, i32, &str)> = vec![
        (Fault::ResetBeforeStatus, NETWORK, 0, "closed by the server"),
        (
            Fault::ResetMidBody,
            NETWORK,
            200,
            "closed by the server while reading",
        ),
        (Fault::TruncatedBody, NETWORK, 200, "while reading"),
        (Fault::TruncatedChunked, NETWORK, 200, "while reading"),
        (
            Fault::SlowHeaders(Duration::from_millis(1500)),
            TIMEOUT,
            0,
            "within 300 ms",
        ),
        (
            Fault::SlowBody(Duration::from_millis(1500)),
            TIMEOUT,
            200,
            "within 300 ms",
        ),
        (Fault::NeverAnswer, TIMEOUT, 0, "within 300 ms"),
    ];
    for (f, status, http, text) in cases {
        e.reset();
        e.push_faults(f.clone(), 2);
        let r = c.get("10000000");
        assert_eq!(
            (r.name(), r.http),
            (status_name(status), http),
            "{f:?}: {}",
            r.err()
        );
        assert!(r.err().contains(text), "{f:?}: {}", r.err());
        assert!(
            r.err().contains("after 2 attempts"),
            "{f:?} is retried: {}",
            r.err()
        );
        assert_eq!(e.request_count(), 2, "{f:?}");
        // And a transient one followed by success recovers.
        e.reset();
        e.push_fault(f.clone());
        assert_eq!(c.get("10000000").status, OK, "{f:?} then success");
    }
}

#[test]
fn bad_bodies_and_redirects_are_bad_responses_not_retried() {
    let e = emu();
    let c = Handle::for_emu(&e);
    let cases: Vec<(Fault, &str)> = vec![
        (Fault::HugeBody(2 << 20), "larger than 1048576 bytes"),
        (Fault::InvalidJson, "not valid JSON"),
        (
            Fault::WrongShape(r#"{"urlAvatar":5,"available":true}"#.into()),
            "urlAvatar as a number",
        ),
        (
            Fault::WrongShape(r#"{"urlAvatar":null}"#.into()),
            "urlAvatar as null",
        ),
        (
            Fault::WrongShape(r#"{"available":true}"#.into()),
            "no urlAvatar",
        ),
        (
            Fault::WrongShape(r#"[{"urlAvatar":"x"}]"#.into()),
            "an array",
        ),
        (
            Fault::Redirect("https://elsewhere.example/getAvatar".into()),
            "redirect",
        ),
    ];
    for (f, text) in cases {
        e.reset();
        e.push_faults(f.clone(), 2);
        let r = c.get("10000000");
        assert_eq!(r.status, BAD_RESPONSE, "{f:?}: {}", r.err());
        assert!(r.http == 200 || r.http == 302, "{f:?}");
        assert!(r.err().contains(text), "{f:?}: {}", r.err());
        assert_eq!(e.request_count(), 1, "{f:?} is not retried");
    }
    e.reset();
    e.push_faults(Fault::Html502, 4);
    let r = c.get("10000000");
    assert_eq!((r.status, r.http), (SERVER, 502));
    assert!(r.err().contains("502 Bad Gateway"), "{}", r.err());
    // A body just under the limit is fine.
    e.reset();
    e.push_fault(Fault::HugeBody((1 << 20) - 10));
    let r = c.get("10000000");
    assert_eq!(r.status, OK);
    assert!(r.url.len() > 1_000_000);
}

#[test]
fn connection_refused_is_a_network_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = Handle::new(&format!("http://127.0.0.1:{port}"), "1", "token");
    assert_eq!(c.set_backoff(1), OK);
    let r = c.get("10000000");
    assert_eq!((r.status, r.http), (NETWORK, 0));
    assert!(
        r.err().contains("refused") && r.err().contains("after 4 attempts"),
        "{}",
        r.err()
    );
}

#[test]
fn bad_arguments_cost_no_request_and_no_rate_slot() {
    let e = emu();
    let c = Handle::for_emu(&e);
    assert_eq!(c.set_rate(1), OK);
    let long = "1".repeat(1 << 20);
    let pasted = [
        "",
        "-",
        "--1",
        "+7 900 123-45-67",
        "79001234567@c.us",
        " 100",
        "100 ",
        "1e5",
        "١٢٣",
        "😀",
        "123456789012345678901234567890123",
        &long,
        "12\t3",
        "0x1F",
    ];
    for bad in pasted {
        let r = c.get(bad);
        assert_eq!(r.status, INVALID, "{bad:?}");
        assert!(
            r.err().contains("user_id") && r.err().contains("group_id"),
            "{bad:?}: {}",
            r.err()
        );
        assert!(r.err().len() < 500, "message stays short");
    }
    let r = c.get_bytes(b"123\xff\xfe");
    assert_eq!(r.status, INVALID);
    assert!(r.err().contains("UTF-8"), "{}", r.err());
    let r = c.get_raw(std::ptr::null());
    assert_eq!(r.status, INVALID);
    assert!(r.err().contains("chat_id is NULL"));
    let r = unsafe { get_with(std::ptr::null_mut(), c"10000000".as_ptr()) };
    assert_eq!(r.status, INVALID);
    assert!(r.err().contains("client is NULL"));
    assert_eq!(e.request_count(), 0, "no request for a bad argument");
    // The rate limit (1/s) has not been touched: two good calls, the second waits a window.
    let t0 = Instant::now();
    assert_eq!(c.get("10000000").status, OK);
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "first slot was free"
    );
}

#[test]
fn client_new_rejects_bad_arguments_with_reasons() {
    type Case<'a> = (&'a [u8], &'a [u8], &'a [u8], &'a str);
    let cases: [Case; 12] = [
        (b"", b"1", b"t", "apiUrl is empty"),
        (b"http://api.green-api.com", b"1", b"t", "loopback"),
        (b"https://x.com?q", b"1", b"t", "query"),
        (b"ftp://x.com", b"1", b"t", "scheme"),
        (b"https://x.com", b"", b"t", "idInstance is empty"),
        (
            b"https://x.com",
            b"12345678901234567890",
            b"t",
            "1 to 19 digits",
        ),
        (b"https://x.com", b"31a", b"t", "1 to 19 digits"),
        (b"https://x.com", b"1", b"", "apiTokenInstance is empty"),
        (b"https://x.com", b"1", b"abc def", "position 4"),
        (b"https://x.com", b"1", b"abc/def", "position 4"),
        (
            b"https://x\xff.com",
            b"1",
            b"t",
            "api_url is not valid UTF-8",
        ),
        (
            b"https://x.com",
            b"1",
            b"\xc3",
            "api_token_instance is not valid UTF-8",
        ),
    ];
    for (u, i, t, want) in cases {
        let (u, i, t) = (
            CString::new(u).unwrap(),
            CString::new(i).unwrap(),
            CString::new(t).unwrap(),
        );
        let c = unsafe { ga_client_new(u.as_ptr(), i.as_ptr(), t.as_ptr()) };
        assert!(c.is_null());
        let e = last_error();
        assert!(e.contains(want), "{u:?} {i:?} {t:?}: {e}");
        assert!(
            !e.contains("abc def") && !e.contains("abc/def"),
            "token not echoed: {e}"
        );
    }
    let ok = c"https://3100.api.green-api.com";
    for (u, i, t, name) in [
        (
            std::ptr::null(),
            c"1".as_ptr(),
            c"t".as_ptr(),
            "api_url is NULL",
        ),
        (
            ok.as_ptr(),
            std::ptr::null(),
            c"t".as_ptr(),
            "id_instance is NULL",
        ),
        (
            ok.as_ptr(),
            c"1".as_ptr(),
            std::ptr::null(),
            "api_token_instance is NULL",
        ),
    ] {
        assert!(unsafe { ga_client_new(u, i, t) }.is_null());
        assert_eq!(last_error(), name);
    }
    let huge = CString::new("a".repeat(1 << 20)).unwrap();
    assert!(unsafe { ga_client_new(huge.as_ptr(), c"1".as_ptr(), c"t".as_ptr()) }.is_null());
    assert!(unsafe { ga_client_new(ok.as_ptr(), huge.as_ptr(), c"t".as_ptr()) }.is_null());
    assert!(unsafe { ga_client_new(ok.as_ptr(), c"1".as_ptr(), huge.as_ptr()) }.is_null());
    assert!(last_error().len() < 300 && !last_error().contains("aaaaaaaaaa"));
}

#[test]
fn setters_check_ranges_and_keep_the_old_value() {
    let e = emu();
    let c = Handle::for_emu(&e);
    assert_eq!(c.set_timeout(250), OK);
    for bad in [0, -1, 600_001, i32::MIN, i32::MAX] {
        assert_eq!(c.set_timeout(bad), INVALID, "{bad}");
        assert!(last_error().contains("1 to 600000 ms"));
    }
    for bad in [-1, 11, i32::MAX] {
        assert_eq!(c.set_retries(bad), INVALID);
    }
    for bad in [-1, 1001] {
        assert_eq!(c.set_rate(bad), INVALID);
    }
    for bad in [-1, 60_001] {
        assert_eq!(c.set_backoff(bad), INVALID);
    }
    for ok in [1, 600_000] {
        assert_eq!(c.set_timeout(ok), OK);
    }
    assert_eq!(c.set_timeout(250), OK);
    assert_eq!(c.set_retries(0), OK);
    assert_eq!(c.set_retries(7), OK, "7 is in range");
    assert_eq!(c.set_retries(0), OK);
    // The 250 ms timeout survived the rejected values.
    e.push_fault(Fault::SlowHeaders(Duration::from_millis(2000)));
    let t0 = Instant::now();
    let r = c.get("10000000");
    assert_eq!(r.status, TIMEOUT);
    assert!(t0.elapsed() < Duration::from_millis(1500));
    assert!(r.err().contains("250 ms"), "{}", r.err());
    let null = std::ptr::null_mut();
    assert_eq!(
        unsafe { ga_client_set_timeout_ms(null, 10) },
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        unsafe { ga_client_set_max_retries(null, 1) },
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        unsafe { ga_client_set_rate_limit(null, 1) },
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        unsafe { ga_client_set_backoff_ms(null, 1) },
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
    assert_eq!(last_error(), "client is NULL");
}

/// Checks, on the emulator's arrival times, that no rolling second holds more than `rate`.
fn assert_rate(times: &[Duration], rate: usize) {
    for w in times.windows(rate + 1) {
        assert!(
            w[rate] - w[0] >= Duration::from_secs(1),
            "{} requests within {:?}",
            rate + 1,
            w[rate] - w[0]
        );
    }
}

#[test]
fn rate_limit_uses_the_budget_and_never_exceeds_it() {
    let e = Emulator::start(Config {
        rate_limit: 5,
        ..Config::default()
    })
    .unwrap();
    let c = Handle::for_emu(&e);
    assert_eq!(c.set_rate(5), OK);
    for _ in 0..16 {
        assert_eq!(c.get("10000000").status, OK);
    }
    let times: Vec<Duration> = e.requests().iter().map(|r| r.at).collect();
    assert!(
        e.requests().iter().all(|r| r.status == 200),
        "the server never said 429"
    );
    assert_rate(&times, 5);
    // 16 requests at 5/s: starts at 0, 1, 2 windows and 3 windows: about 3 s, no idle gaps.
    let span = times[15] - times[0];
    assert!(
        span >= Duration::from_secs(3) && span < Duration::from_millis(3400),
        "{span:?}"
    );
}

#[test]
fn rate_limit_is_shared_by_threads_and_counts_retries() {
    let e = Emulator::start(Config {
        rate_limit: 4,
        ..Config::default()
    })
    .unwrap();
    let c = Handle::for_emu(&e);
    assert_eq!(c.set_rate(4), OK);
    e.push_faults(status_fault(503), 3);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..3 {
                    assert_eq!(c.get("10000000").status, OK);
                }
            });
        }
    });
    let reqs = e.requests();
    assert_eq!(reqs.len(), 12, "9 calls and 3 retries");
    assert!(reqs.iter().all(|r| r.status != 429));
    assert_rate(&reqs.iter().map(|r| r.at).collect::<Vec<_>>(), 4);
}

#[test]
fn eight_threads_share_one_client() {
    let e = emu();
    let c = Handle::for_emu(&e);
    let ids = [
        "10000000",
        "20000000",
        "30000000",
        "40000000",
        "-10000000000000",
        "bad id",
    ];
    std::thread::scope(|s| {
        for t in 0..8 {
            let (c, e, ids) = (&c, &e, &ids);
            s.spawn(move || {
                for i in 0..60 {
                    let id = ids[(t + i) % ids.len()];
                    let r = c.get(id);
                    match id {
                        "bad id" => assert_eq!(r.status, INVALID),
                        "20000000" => {
                            assert_eq!((r.status, r.available, r.url.as_str()), (OK, 1, ""))
                        }
                        "30000000" => assert_eq!((r.status, r.available), (OK, 0)),
                        "40000000" => assert_eq!((r.status, r.available), (OK, -1)),
                        _ => {
                            assert_eq!((r.status, r.available), (OK, 1));
                            assert_eq!(r.url, format!("{}/avatars/{id}.png", e.url()));
                        }
                    }
                }
            });
        }
    });
    assert_eq!(e.request_count(), 8 * 50);
}

#[test]
fn status_names_version_last_error_and_frees() {
    let names: Vec<String> = (0..15).map(status_name).collect();
    assert_eq!(names[0], "GA_OK");
    assert_eq!(names[9], "GA_ERR_TIMEOUT");
    assert_eq!(names[12], "GA_ERR_INTERNAL");
    assert_eq!(names[13], "GA_ERR_IO");
    assert_eq!(names[14], "GA_ERR_CANCELLED");
    for n in [-1, 15, 1000, i32::MIN, i32::MAX] {
        assert_eq!(status_name(n), "GA_ERR_UNKNOWN");
    }
    let v = unsafe { CStr::from_ptr(ga_version()) }.to_str().unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    std::thread::spawn(|| assert_eq!(last_error(), "", "nothing failed yet on this thread"))
        .join()
        .unwrap();
    unsafe {
        ga_free(std::ptr::null_mut());
        ga_client_free(std::ptr::null_mut());
    }
    // A pointer the library did not hand out is refused, not freed.
    let mut fake = [0u64; 4];
    unsafe { ga_free(fake.as_mut_ptr().add(2).cast()) };
    assert!(last_error().contains("not returned by getavatar"));
    // A success does not clear the last error.
    let e = emu();
    let c = Handle::for_emu(&e);
    assert_eq!(c.get("x").status, INVALID);
    let msg = last_error();
    assert_eq!(c.get("10000000").status, OK);
    assert_eq!(last_error(), msg);
}

#[test]
fn every_string_argument_rejects_null_invalid_utf8_empty_and_huge() {
    let e = emu();
    let c = Handle::for_emu(&e);
    let huge = vec![b'7'; 1 << 20];
    let cases: [(&str, &[u8]); 3] = [
        ("invalid UTF-8", b"\xc3\x28"),
        ("empty", b""),
        ("1 MiB", &huge),
    ];
    let ok = [
        CString::new(e.url()).unwrap(),
        CString::new(e.id_instance()).unwrap(),
        CString::new(e.token()).unwrap(),
    ];
    for arg in 0..3 {
        // NULL
        let mut p = [ok[0].as_ptr(), ok[1].as_ptr(), ok[2].as_ptr()];
        p[arg] = std::ptr::null();
        assert!(unsafe { ga_client_new(p[0], p[1], p[2]) }.is_null());
        assert!(last_error().ends_with("is NULL"), "{}", last_error());
        for (what, bytes) in cases {
            let bad = CString::new(bytes).unwrap();
            let mut p = [ok[0].as_ptr(), ok[1].as_ptr(), ok[2].as_ptr()];
            p[arg] = bad.as_ptr();
            assert!(
                unsafe { ga_client_new(p[0], p[1], p[2]) }.is_null(),
                "arg {arg} {what}"
            );
            let m = last_error();
            assert!(!m.is_empty() && m.len() < 400, "arg {arg} {what}: {m}");
        }
    }
    for (what, bytes) in cases {
        let r = c.get_bytes(bytes);
        assert_eq!(r.status, INVALID, "chat_id {what}");
        let path = CString::new(bytes).unwrap();
        let st = unsafe { getavatar::internals::ffi::ga_client_set_ca_file(c.0, path.as_ptr()) };
        assert_eq!(st, GaStatus::GA_ERR_INVALID_ARGUMENT, "ca file {what}");
        assert!(last_error().len() < 400, "{}", last_error());
        // "" turns the proxy off; anything else here is refused.
        let st = unsafe { getavatar::internals::ffi::ga_client_set_proxy(c.0, path.as_ptr()) };
        assert_eq!(
            st,
            if bytes.is_empty() {
                GaStatus::GA_OK
            } else {
                GaStatus::GA_ERR_INVALID_ARGUMENT
            },
            "proxy {what}"
        );
        assert!(last_error().len() < 400, "{}", last_error());
        let id = CString::new("10000000").unwrap();
        let r = unsafe { download_with(c.0, id.as_ptr(), path.as_ptr()) };
        assert_eq!(r.status, INVALID, "download path {what}");
        assert!(r.err().len() < 400, "{}", r.err());
        let r =
            unsafe { download_with(c.0, path.as_ptr(), CString::new("a.png").unwrap().as_ptr()) };
        assert_eq!(r.status, INVALID, "download chat_id {what}");
    }
    assert_eq!(e.request_count(), 0);
    // The client still works after all of it.
    assert_eq!(c.get("10000000").status, OK);
}

#[test]
fn cache_serves_repeats_without_requests_and_never_keeps_errors() {
    let e = emu();
    let c = Handle::for_emu(&e);
    let set = |s: i32| unsafe { ga_client_set_cache_ttl(c.0, s) };
    assert_eq!(set(-1), GaStatus::GA_ERR_INVALID_ARGUMENT);
    assert_eq!(set(86_401), GaStatus::GA_ERR_INVALID_ARGUMENT);
    // Off by default: every lookup asks the server.
    c.get("10000000");
    c.get("10000000");
    assert_eq!(e.request_count(), 2);
    assert_eq!(set(1), GaStatus::GA_OK);
    let first = c.get("10000000");
    for _ in 0..20 {
        assert_eq!(c.get("10000000"), first, "served from the cache");
    }
    assert_eq!(e.request_count(), 3, "one request for 21 lookups");
    // Errors are not kept: a 404, then the real answer.
    e.push_fault(Fault::Status {
        status: 404,
        body: String::new(),
        headers: vec![],
    });
    assert_eq!(c.get("20000000").status, NOT_FOUND);
    assert_eq!(c.get("20000000").status, OK);
    assert_eq!(c.get("20000000").status, OK);
    assert_eq!(e.request_count(), 5);
    // After the TTL a new request is made.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(c.get("10000000"), first);
    assert_eq!(e.request_count(), 6);
    // A cached answer costs no rate-limit slot either.
    assert_eq!(c.set_rate(1), OK);
    let t0 = Instant::now();
    for _ in 0..5 {
        c.get("10000000");
    }
    assert!(t0.elapsed() < Duration::from_millis(500));
    // Turning it off empties it.
    assert_eq!(set(0), GaStatus::GA_OK);
    assert_eq!(c.set_rate(0), OK);
    c.get("10000000");
    assert_eq!(e.request_count(), 7);
}

#[test]
fn user_agent_and_client_from_environment() {
    let e = emu();
    let c = Handle::for_emu(&e);
    let ua = CString::new("sheet-tool/2.0 (getavatar)").unwrap();
    assert_eq!(
        unsafe { ga_client_set_user_agent(c.0, ua.as_ptr()) },
        GaStatus::GA_OK
    );
    c.get("10000000");
    assert_eq!(e.requests()[0].user_agent, "sheet-tool/2.0 (getavatar)");
    for bad in [
        &b""[..],
        b"a\r\nX-Injected: 1",
        b"caf\xc3\xa9",
        &[b'a'; 257][..],
    ] {
        let b = CString::new(bad).unwrap();
        assert_eq!(
            unsafe { ga_client_set_user_agent(c.0, b.as_ptr()) },
            GaStatus::GA_ERR_INVALID_ARGUMENT,
            "{bad:?}"
        );
    }
    assert_eq!(
        unsafe { ga_client_set_user_agent(c.0, std::ptr::null()) },
        GaStatus::GA_ERR_INVALID_ARGUMENT
    );
    c.get("10000000");
    assert_eq!(
        e.requests()[1].user_agent,
        "sheet-tool/2.0 (getavatar)",
        "old value kept"
    );

    // This is the only test that touches these variables.
    for v in ["GA_API_URL", "GA_ID_INSTANCE", "GA_API_TOKEN_INSTANCE"] {
        std::env::remove_var(v);
    }
    std::env::set_var("GA_API_URL", e.url());
    assert!(ga_client_new_from_env().is_null());
    assert_eq!(
        last_error(),
        "environment variable(s) not set: GA_ID_INSTANCE, GA_API_TOKEN_INSTANCE"
    );
    std::env::set_var("GA_ID_INSTANCE", e.id_instance());
    std::env::set_var("GA_API_TOKEN_INSTANCE", "bad token");
    assert!(ga_client_new_from_env().is_null());
    assert!(
        last_error().contains("apiTokenInstance") && !last_error().contains("bad token"),
        "{}",
        last_error()
    );
    std::env::set_var("GA_API_TOKEN_INSTANCE", e.token());
    let h = Handle(ga_client_new_from_env(), e.token());
    assert!(!h.0.is_null(), "{}", last_error());
    assert_eq!(h.get("10000000").status, OK);
}

// ---- Misuse that must never crash, abort or print: each runs in a child process (this test
// binary run again for one test) so that a crash fails the test instead of the whole run, and
// so that its stderr can be checked.

/// Runs the test `name` of this binary alone in a child process; returns whether it exited 0,
/// and its stderr.
fn in_child(name: &str) -> (bool, String) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1", "-q"])
        .env("GA_FFI_CHILD", name)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success() && stdout.contains("1 passed"), stderr)
}

/// True when this process is the child run for `name` (the test body runs only then).
fn is_child(name: &str) -> bool {
    std::env::var("GA_FFI_CHILD").as_deref() == Ok(name)
}

#[cfg(unix)]
#[test]
fn ga_free_refuses_every_pointer_it_did_not_hand_out_without_crashing() {
    let (ok, stderr) = in_child("child_free_misuse");
    assert!(ok, "the child crashed or failed: {stderr}");
    assert_eq!(stderr, "", "nothing on stderr");
}

#[cfg(unix)]
#[test]
fn child_free_misuse() {
    if !is_child("child_free_misuse") {
        return;
    }
    let refused = |what: &str| {
        assert!(
            last_error().contains("not returned by getavatar"),
            "{what}: {}",
            last_error()
        );
        set_marker();
    };
    fn set_marker() {
        // A failing call with a known message, so each refusal is seen afresh.
        let r = unsafe { ga_get_avatar(std::ptr::null_mut(), std::ptr::null()) };
        unsafe { ga_free(r.cast()) };
        assert_eq!(last_error(), "client is NULL");
    }
    set_marker();
    // A page-aligned pointer with nothing readable before it: the old header read crashed.
    unsafe {
        let page = 4096usize.max(libc::sysconf(libc::_SC_PAGESIZE) as usize);
        let p = libc::mmap(
            std::ptr::null_mut(),
            2 * page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        assert_eq!(libc::mprotect(p, page, libc::PROT_NONE), 0);
        ga_free(p.cast::<u8>().add(page).cast());
        refused("page-aligned foreign pointer");
        libc::munmap(p, 2 * page);
    }
    // A stack array that looks like anything.
    let mut fake = [0u64; 4];
    unsafe { ga_free(fake.as_mut_ptr().add(2).cast()) };
    refused("stack memory");
    // A server-chosen link that ends in the old block header ("GA_BLOCK" little-endian, then a
    // size): ga_free(result->error) used to pass the check and crash in free().
    let e = emu();
    e.set_avatar(
        "50000000",
        "{base}/avatars/forged.pngKCOLB_AG1234567",
        Some(true),
    );
    let c = Handle::for_emu(&e);
    let (id, path) = (
        CString::new("50000000").unwrap(),
        CString::new("/nonexistent-folder-ga/a.png").unwrap(),
    );
    for bytes in [false, true] {
        unsafe {
            let (r, err, url): (*mut std::ffi::c_void, _, _) = if bytes {
                let r = ga_download_avatar_bytes(c.0, id.as_ptr());
                (r.cast(), (*r).error, (*r).url_avatar)
            } else {
                let r =
                    getavatar::internals::ffi::ga_download_avatar(c.0, id.as_ptr(), path.as_ptr());
                (r.cast(), (*r).error, (*r).url_avatar)
            };
            assert!(!err.is_null());
            assert!(CStr::from_ptr(url).to_bytes().ends_with(b"KCOLB_AG1234567"));
            ga_free(err as *mut _);
            refused("result->error");
            ga_free(url as *mut _);
            refused("result->url_avatar");
            ga_free(r.cast::<u8>().add(16).cast());
            refused("inside a result");
            ga_free(r);
            set_marker();
            ga_free(r);
            refused("a second free");
        }
    }
    // Strings the library owns.
    unsafe { ga_free(ga_last_error() as *mut _) };
    refused("ga_last_error()");
    unsafe { ga_free(ga_version() as *mut _) };
    refused("ga_version()");
}

#[cfg(unix)]
#[test]
fn a_child_forked_while_other_threads_free_results_never_hangs_in_ga_free() {
    let (ok, stderr) = in_child("child_fork_while_freeing");
    assert!(ok, "{stderr}");
}

#[cfg(unix)]
#[test]
fn child_fork_while_freeing() {
    use std::sync::atomic::{AtomicBool, Ordering};
    if !is_child("child_fork_while_freeing") {
        return;
    }
    let churn = || unsafe {
        let r = ga_get_avatar(std::ptr::null_mut(), std::ptr::null());
        assert!(!r.is_null());
        ga_free(r.cast());
    };
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    churn();
                }
            });
        }
        std::thread::sleep(Duration::from_millis(20));
        for round in 0..200 {
            // SAFETY: the child only calls getavatar (and the allocator) and then _exit.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0);
            if pid == 0 {
                churn();
                unsafe { libc::_exit(0) };
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut st = 0;
            loop {
                let w = unsafe { libc::waitpid(pid, &mut st, libc::WNOHANG) };
                if w == pid {
                    break;
                }
                if Instant::now() > deadline {
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                        libc::waitpid(pid, &mut st, 0);
                    }
                    stop.store(true, Ordering::Relaxed);
                    panic!("fork {round}: the child hung in getavatar");
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            assert!(
                libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0,
                "fork {round}: {st}"
            );
        }
        stop.store(true, Ordering::Relaxed);
    });
}

#[cfg(unix)]
#[test]
fn a_batch_too_large_for_memory_is_ga_err_internal_not_an_abort() {
    let (ok, stderr) = in_child("child_int_max_batch");
    assert!(ok, "the child aborted or failed: {stderr}");
    assert_eq!(stderr, "", "nothing on stderr");
}

#[cfg(unix)]
#[test]
fn child_int_max_batch() {
    if !is_child("child_int_max_batch") {
        return;
    }
    // Memory runs out for sure (whatever the machine and its overcommit policy): 8 GiB of
    // address space, far less than INT_MAX results need.
    let lim = libc::rlimit {
        rlim_cur: 8 << 30,
        rlim_max: 8 << 30,
    };
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) }, 0);
    let e = emu();
    let c = Handle::for_emu(&e);
    for concurrency in [1, 4] {
        assert_eq!(
            unsafe { ga_client_set_concurrency(c.0, concurrency) },
            GaStatus::GA_OK
        );
        let id = CString::new("10000000").unwrap();
        let ids = [id.as_ptr()];
        let sentinel = std::ptr::dangling_mut::<getavatar::internals::ffi::GaAvatar>();
        let mut results = [sentinel];
        let st = unsafe { ga_get_avatars(c.0, ids.as_ptr(), i32::MAX, results.as_mut_ptr()) };
        assert_eq!(
            st,
            GaStatus::GA_ERR_INTERNAL,
            "GA_ERR_INTERNAL: {}",
            last_error()
        );
        assert!(last_error().contains("out of memory"), "{}", last_error());
        assert_eq!(results[0], sentinel, "no slot written");
    }
    assert_eq!(e.request_count(), 0, "nothing sent");
}

#[test]
fn a_caught_panic_prints_nothing_and_other_panics_keep_their_hook() {
    let (ok, stderr) = in_child("child_panic_inside_export");
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("inside an export"), "printed: {stderr}");
    assert!(
        stderr.contains("a panic outside getavatar"),
        "the previous hook still reports other panics: {stderr:?}"
    );
}

#[test]
fn child_panic_inside_export() {
    if !is_child("child_panic_inside_export") {
        return;
    }
    assert_eq!(
        getavatar::internals::ffi::panic_inside_export_for_tests(),
        GaStatus::GA_ERR_INTERNAL
    );
    assert!(
        last_error().contains("a test panic inside an export"),
        "{}",
        last_error()
    );
    // Twice: the hook is installed once and stays quiet.
    assert_eq!(
        getavatar::internals::ffi::panic_inside_export_for_tests(),
        GaStatus::GA_ERR_INTERNAL
    );
    assert!(std::panic::catch_unwind(|| panic!("a panic outside getavatar")).is_err());
}
