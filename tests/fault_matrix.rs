//! The fault matrix: every fault the emulator can produce, what the caller gets (status,
//! http_status, attempts the server saw, a message fragment), with the token absent from every
//! message. The table in docs/fault-matrix.md is checked against this one, row by row.

mod common;

use std::time::{Duration, SystemTime};

use common::*;

const T: u64 = 300; // per-attempt timeout, ms
const RETRIES: i32 = 2;

struct Row {
    fault: &'static str,
    setup: fn(&Emulator),
    status: &'static str,
    http: i32,
    attempts: usize,
    text: &'static str,
}

fn st(status: u16, headers: &[(&str, &str)]) -> Fault {
    Fault::Status {
        status,
        body: String::new(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn http_date_in(secs: u64) -> String {
    http_date(SystemTime::now() + Duration::from_secs(secs))
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            fault: "connection refused",
            setup: |_| {},
            status: "GA_ERR_NETWORK",
            http: 0,
            attempts: 0,
            text: "refused",
        },
        Row {
            fault: "reset before the status line",
            setup: |e| e.push_faults(Fault::ResetBeforeStatus, 9),
            status: "GA_ERR_NETWORK",
            http: 0,
            attempts: 3,
            text: "closed by the server",
        },
        Row {
            fault: "reset mid-body",
            setup: |e| e.push_faults(Fault::ResetMidBody, 9),
            status: "GA_ERR_NETWORK",
            http: 200,
            attempts: 3,
            text: "while reading the answer",
        },
        Row {
            fault: "truncated body (short of Content-Length)",
            setup: |e| e.push_faults(Fault::TruncatedBody, 9),
            status: "GA_ERR_NETWORK",
            http: 200,
            attempts: 3,
            text: "while reading the answer",
        },
        Row {
            fault: "truncated chunked body",
            setup: |e| e.push_faults(Fault::TruncatedChunked, 9),
            status: "GA_ERR_NETWORK",
            http: 200,
            attempts: 3,
            text: "while reading the answer",
        },
        Row {
            fault: "slow headers past the timeout",
            setup: |e| e.push_faults(Fault::SlowHeaders(Duration::from_millis(2 * T)), 9),
            status: "GA_ERR_TIMEOUT",
            http: 0,
            attempts: 3,
            text: "within 300 ms",
        },
        Row {
            fault: "slow body past the timeout",
            setup: |e| e.push_faults(Fault::SlowBody(Duration::from_millis(2 * T)), 9),
            status: "GA_ERR_TIMEOUT",
            http: 200,
            attempts: 3,
            text: "within 300 ms",
        },
        Row {
            fault: "accepts and never answers",
            setup: |e| e.push_faults(Fault::NeverAnswer, 9),
            status: "GA_ERR_TIMEOUT",
            http: 0,
            attempts: 3,
            text: "within 300 ms",
        },
        Row {
            fault: "body over 1 MiB",
            setup: |e| e.push_fault(Fault::HugeBody(3 << 20)),
            status: "GA_ERR_BAD_RESPONSE",
            http: 200,
            attempts: 1,
            text: "larger than 1048576 bytes",
        },
        Row {
            fault: "not JSON",
            setup: |e| e.push_fault(Fault::InvalidJson),
            status: "GA_ERR_BAD_RESPONSE",
            http: 200,
            attempts: 1,
            text: "not valid JSON",
        },
        Row {
            fault: "urlAvatar a number",
            setup: |e| e.push_fault(Fault::WrongShape(r#"{"urlAvatar":42}"#.into())),
            status: "GA_ERR_BAD_RESPONSE",
            http: 200,
            attempts: 1,
            text: "urlAvatar as a number",
        },
        Row {
            fault: "urlAvatar null",
            setup: |e| {
                e.push_fault(Fault::WrongShape(
                    r#"{"urlAvatar":null,"available":true}"#.into(),
                ))
            },
            status: "GA_ERR_BAD_RESPONSE",
            http: 200,
            attempts: 1,
            text: "urlAvatar as null",
        },
        Row {
            fault: "urlAvatar missing",
            setup: |e| e.push_fault(Fault::WrongShape(r#"{"available":true}"#.into())),
            status: "GA_ERR_BAD_RESPONSE",
            http: 200,
            attempts: 1,
            text: "no urlAvatar",
        },
        Row {
            fault: "array at top level",
            setup: |e| e.push_fault(Fault::WrongShape(r#"[{"urlAvatar":"x"}]"#.into())),
            status: "GA_ERR_BAD_RESPONSE",
            http: 200,
            attempts: 1,
            text: "an array, not an object",
        },
        Row {
            fault: "HTML 502 page on every attempt",
            setup: |e| e.push_faults(Fault::Html502, 9),
            status: "GA_ERR_SERVER",
            http: 502,
            attempts: 3,
            text: "502 Bad Gateway",
        },
        Row {
            fault: "redirect to another host",
            setup: |e| e.push_fault(Fault::Redirect("https://evil.example/steal".into())),
            status: "GA_ERR_BAD_RESPONSE",
            http: 302,
            attempts: 1,
            text: "does not follow",
        },
        Row {
            fault: "429 storm longer than the retries",
            setup: |e| e.push_faults(st(429, &[]), 9),
            status: "GA_ERR_RATE_LIMITED",
            http: 429,
            attempts: 3,
            text: "after 3 attempts",
        },
        Row {
            fault: "429 then success",
            setup: |e| e.push_fault(st(429, &[])),
            status: "GA_OK",
            http: 200,
            attempts: 2,
            text: "",
        },
        Row {
            fault: "503 then success",
            setup: |e| e.push_fault(st(503, &[])),
            status: "GA_OK",
            http: 200,
            attempts: 2,
            text: "",
        },
        Row {
            fault: "429 with Retry-After: 1 (seconds), then success",
            setup: |e| e.push_fault(st(429, &[("Retry-After", "1")])),
            status: "GA_OK",
            http: 200,
            attempts: 2,
            text: "",
        },
        Row {
            fault: "503 with Retry-After as an HTTP date, then success",
            setup: |e| e.push_fault(st(503, &[("Retry-After", &http_date_in(1))])),
            status: "GA_OK",
            http: 200,
            attempts: 2,
            text: "",
        },
        Row {
            fault: "429 with Retry-After: 3600",
            setup: |e| e.push_fault(st(429, &[("Retry-After", "3600")])),
            status: "GA_ERR_RATE_LIMITED",
            http: 429,
            attempts: 1,
            text: "retry after 3600 s",
        },
        Row {
            fault: "400 echoing the token in path and message",
            setup: |e| {
                let body = format!(
                    r#"{{"statusCode":400,"timestamp":"2025-08-21T13:02:16.247Z","path":"/waInstance1/getAvatar/{t}","message":"Validation failed. Details: {t}"}}"#,
                    t = e.token()
                );
                e.push_fault(Fault::Status {
                    status: 400,
                    body,
                    headers: vec![],
                })
            },
            status: "GA_ERR_VALIDATION",
            http: 400,
            attempts: 1,
            text: "Validation failed. Details: <apiTokenInstance>",
        },
        Row {
            fault: "401",
            setup: |e| e.push_fault(st(401, &[])),
            status: "GA_ERR_UNAUTHORIZED",
            http: 401,
            attempts: 1,
            text: "apiTokenInstance",
        },
        Row {
            fault: "403",
            setup: |e| e.push_fault(st(403, &[])),
            status: "GA_ERR_FORBIDDEN",
            http: 403,
            attempts: 1,
            text: "idInstance",
        },
        Row {
            fault: "404",
            setup: |e| e.push_fault(st(404, &[])),
            status: "GA_ERR_NOT_FOUND",
            http: 404,
            attempts: 1,
            text: "apiUrl",
        },
        Row {
            fault: "466",
            setup: |e| {
                e.push_fault(Fault::Status {
                    status: 466,
                    body: r#"{"invokeStatus":{"used":3,"total":3,"description":"quota"}}"#.into(),
                    headers: vec![],
                })
            },
            status: "GA_ERR_QUOTA_EXCEEDED",
            http: 466,
            attempts: 1,
            text: "used 3 of 3",
        },
    ]
}

/// The docs/fault-matrix.md row for a matrix row.
fn readme_row(r: &Row) -> String {
    let attempts = if r.attempts == 0 {
        "3 (connects)".to_string()
    } else {
        r.attempts.to_string()
    };
    format!(
        "| {} | `{}` | {} | {} |",
        r.fault, r.status, r.http, attempts
    )
}

#[test]
fn every_fault_gets_its_status_and_an_honest_message() {
    let e = Emulator::start_default().unwrap();
    let refused_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for r in rows() {
        e.reset();
        (r.setup)(&e);
        let url = if r.fault == "connection refused" {
            format!("http://127.0.0.1:{refused_port}")
        } else {
            e.url()
        };
        let c = Handle::new(&url, &e.id_instance(), &e.token());
        assert_eq!(c.set_timeout(T as i32), 0);
        assert_eq!(c.set_retries(RETRIES), 0);
        assert_eq!(c.set_backoff(1), 0);
        assert_eq!(c.set_rate(0), 0);
        let res = c.get("10000000"); // Handle::get checks the token is in no string
        assert_eq!(
            (res.name().as_str(), res.http),
            (r.status, r.http),
            "{}: {}",
            r.fault,
            res.err()
        );
        assert!(res.err().contains(r.text), "{}: {}", r.fault, res.err());
        if r.attempts > 0 {
            assert_eq!(e.request_count(), r.attempts, "{}", r.fault);
        }
        if r.fault.contains("Retry-After") && r.status == "GA_OK" {
            let q = e.requests();
            assert!(
                q[1].at - q[0].at >= Duration::from_millis(900),
                "{}: waited {:?}",
                r.fault,
                q[1].at - q[0].at
            );
        }
    }
}

#[test]
fn the_readme_table_is_this_matrix() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/fault-matrix.md"))
            .unwrap();
    for r in rows() {
        let row = readme_row(&r);
        assert!(
            readme.contains(&row),
            "docs/fault-matrix.md lacks the fault-matrix row:\n{row}"
        );
    }
}
