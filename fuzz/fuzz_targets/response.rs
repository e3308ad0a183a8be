//! The response parser: (status, Retry-After, Location, body) -> result. Never panics; a 200 is a
//! success only with a string urlAvatar free of control characters that is empty or an http(s)
//! link; messages stay short.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use getavatar::internals::response::{interpret, parse_http_date, parse_retry_after, Failure, Outcome};
use getavatar::internals::redact::Redactor;
use getavatar::GaStatus;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let status = u16::from_le_bytes([data[0], data[1]]) % 1000;
    let split = data[2] as usize % 64;
    let rest = &data[3..];
    let (hdr, body) = rest.split_at(split.min(rest.len()));
    let hdr = String::from_utf8_lossy(hdr);
    let (retry_after, location) = hdr.split_once('\n').unwrap_or((&hdr, ""));
    let now = UNIX_EPOCH + Duration::from_secs(1_795_548_774);
    let _ = parse_http_date(retry_after);
    let _ = parse_retry_after(retry_after, SystemTime::now());
    let r = Redactor::new("d75b3a66374942c5b3c019c698abc2067e151558acbd412345");
    match interpret(status, Some(retry_after), Some(location), body, now, &r) {
        Outcome::Success(a) => {
            assert_eq!(status, 200);
            assert!(!a.url.chars().any(|c| c.is_control()));
            let l = a.url.to_ascii_lowercase();
            assert!(l.is_empty() || l.starts_with("http://") || l.starts_with("https://"), "{l}");
        }
        Outcome::Failure(Failure { status: st, message, retryable, .. }) => {
            assert_ne!(st, GaStatus::GA_OK);
            assert!(!message.is_empty());
            // Server text is quoted in short, cleaned snippets: no control characters.
            assert!(message.chars().count() < 2_000, "{}", message.len());
            assert!(!message.chars().any(|c| c.is_control()), "{message:?}");
            if retryable {
                assert!(matches!(status, 429 | 499 | 500 | 502 | 503 | 504));
            }
        }
    }
});
