//! Turning one HTTP answer (status, two headers, body) into a result. Pure: no I/O, no clock
//! except the `now` it is given, so it can be tested and fuzzed on its own.

use crate::messages::Msg;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use crate::error::failure::Failure;
use crate::error::status::GaStatus;
use crate::redact::Redactor;
use crate::text::clean;

/// Largest response body read, in bytes; a larger one is `GA_ERR_BAD_RESPONSE`.
pub const MAX_BODY: usize = 1 << 20;

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar {
    /// The avatar link; empty when there is none or privacy hides it.
    pub url: String,
    /// `Some(true)` available, `Some(false)` hidden by privacy, `None` the server did not say.
    pub available: Option<bool>,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 200 with a usable body.
    Success(Avatar),
    /// Anything else. `message` may still hold server text: the client scrubs it.
    Failure(Failure),
}

fn fail(status: GaStatus, message: String) -> Outcome {
    Outcome::Failure(Failure::fatal(status, message))
}

/// Reads the answer to one getAvatar request. Server text in the message is scrubbed of the token
/// (`redactor`) before it is shortened, so no fragment of the token is left in it.
pub fn interpret(
    status: u16,
    retry_after: Option<&str>,
    location: Option<&str>,
    body: &[u8],
    now: SystemTime,
    redactor: &Redactor,
) -> Outcome {
    match interpret_raw(status, retry_after, location, body, now, redactor) {
        Outcome::Failure(f) => Outcome::Failure(Failure {
            // Again over the whole message: what was cut can only have become shorter.
            message: redactor.scrub(&f.message),
            ..f
        }),
        ok => ok,
    }
}

fn interpret_raw(
    status: u16,
    retry_after: Option<&str>,
    location: Option<&str>,
    body: &[u8],
    now: SystemTime,
    r: &Redactor,
) -> Outcome {
    match status {
        200 => parse_success(body, r),
        400 | 401 | 403 | 404 => client_error(status, body, r),
        466 => fail(GaStatus::GA_ERR_QUOTA_EXCEEDED, quota_message(r, body)),
        429 | 499 | 500 | 502 | 503 | 504 => transient_error(status, retry_after, body, now, r),
        300..=399 => {
            let to = location
                .map(|l| {
                    Msg::RedirectTo {
                        place: quote(r, l, 200),
                    }
                    .text()
                })
                .unwrap_or_default();
            fail(
                GaStatus::GA_ERR_BAD_RESPONSE,
                Msg::Redirect { status, to }.text(),
            )
        }
        500..=599 => fail(
            GaStatus::GA_ERR_SERVER,
            Msg::ServerCannotHandle {
                status,
                reason: reason(status),
                said: server_said(r, body),
            }
            .text(),
        ),
        _ => fail(
            GaStatus::GA_ERR_BAD_RESPONSE,
            Msg::UnexpectedStatus {
                status,
                said: server_said(r, body),
            }
            .text(),
        ),
    }
}

/// ` (server said: ...)` with the body's redacted text, or nothing when it has none.
fn server_said(r: &Redactor, body: &[u8]) -> String {
    match server_text(r, body) {
        Some(text) => Msg::ServerSaid { text }.text(),
        None => String::new(),
    }
}

/// The failure for HTTP 400, 401, 403 or 404: the request or credentials are wrong.
fn client_error(status: u16, body: &[u8], r: &Redactor) -> Outcome {
    let said = || server_said(r, body);
    match status {
        400 => {
            let msg = match json_message(r, body) {
                Some(text) => Msg::Rejected400With { text }.text(),
                None => Msg::Rejected400 { said: said() }.text(),
            };
            fail(GaStatus::GA_ERR_VALIDATION, msg)
        }
        401 => fail(
            GaStatus::GA_ERR_UNAUTHORIZED,
            Msg::Unauthorized401 { said: said() }.text(),
        ),
        403 => fail(
            GaStatus::GA_ERR_FORBIDDEN,
            Msg::Forbidden403 { said: said() }.text(),
        ),
        _ => fail(
            GaStatus::GA_ERR_NOT_FOUND,
            Msg::NotFound404 { said: said() }.text(),
        ),
    }
}

/// The retryable failure for HTTP 429, 499, 500, 502, 503 or 504, with its Retry-After.
fn transient_error(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
    now: SystemTime,
    r: &Redactor,
) -> Outcome {
    let (st, what) = if status == 429 {
        (GaStatus::GA_ERR_RATE_LIMITED, Msg::TooMany429.text())
    } else {
        (
            GaStatus::GA_ERR_SERVER,
            Msg::TemporaryServerError {
                status,
                reason: reason(status),
                said: server_said(r, body),
            }
            .text(),
        )
    };
    Outcome::Failure(
        Failure::transient(st, what)
            .with_retry_after(retry_after.and_then(|v| parse_retry_after(v, now))),
    )
}

fn parse_success(body: &[u8], r: &Redactor) -> Outcome {
    let (url, available) = match crate::answer::success::read(body) {
        Some(found) => found,
        None => match read_success(body) {
            Ok(found) => found,
            Err(failure) => return failure,
        },
    };
    if let Some(c) = url.chars().find(|c| c.is_control()) {
        return fail(
            GaStatus::GA_ERR_BAD_RESPONSE,
            Msg::UrlAvatarControl { code: c as u32 }.text(),
        );
    }
    // The link is handed to the caller as data (shown, logged, stored): a server that puts the
    // token in it is not believed (the token never reaches a caller's output).
    if r.finds(&url) {
        return fail(GaStatus::GA_ERR_BAD_RESPONSE, Msg::UrlAvatarToken.text());
    }
    // The caller opens, shows or fetches the link: anything but a web link (javascript:, file:,
    // data:, a relative path) is not one.
    if !url.is_empty() && !is_web_link(&url) {
        return fail(
            GaStatus::GA_ERR_BAD_RESPONSE,
            Msg::UrlAvatarNotWeb {
                scheme: scheme_of(&url),
            }
            .text(),
        );
    }
    Outcome::Success(Avatar { url, available })
}

/// Whether `url` starts with `http://` or `https://` (any letter case).
fn is_web_link(url: &str) -> bool {
    let lower = |n: usize| url.get(..n).map(str::to_ascii_lowercase);
    lower(7).as_deref() == Some("http://") || lower(8).as_deref() == Some("https://")
}

/// How a message names a link's scheme: `scheme "javascript:"`, or `no scheme`.
fn scheme_of(url: &str) -> String {
    match url.split_once(':') {
        Some((s, _))
            if !s.is_empty()
                && s.len() <= 20
                && s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            Msg::SchemeNamed {
                scheme: s.to_ascii_lowercase(),
            }
            .text()
        }
        _ => Msg::NoScheme.text(),
    }
}

/// `urlAvatar` and `available` of any 200 answer, or the failure that says what is wrong with it.
fn read_success(body: &[u8]) -> Result<(String, Option<bool>), Outcome> {
    let v: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Err(fail(
                GaStatus::GA_ERR_BAD_RESPONSE,
                Msg::AnswerNotJson {
                    error: e.to_string(),
                }
                .text(),
            ))
        }
    };
    let obj = match v.as_object() {
        Some(o) => o,
        None => {
            return Err(fail(
                GaStatus::GA_ERR_BAD_RESPONSE,
                Msg::AnswerNotObject { kind: kind(&v) }.text(),
            ))
        }
    };
    let url = match obj.get("urlAvatar") {
        Some(serde_json::Value::String(s)) => s,
        Some(other) => {
            return Err(fail(
                GaStatus::GA_ERR_BAD_RESPONSE,
                Msg::UrlAvatarNotString { kind: kind(other) }.text(),
            ))
        }
        None => return Err(fail(GaStatus::GA_ERR_BAD_RESPONSE, Msg::NoUrlAvatar.text())),
    };
    let available = obj.get("available").and_then(|a| a.as_bool());
    Ok((url.clone(), available))
}

fn kind(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => Msg::JsonNull,
        serde_json::Value::Bool(_) => Msg::JsonBool,
        serde_json::Value::Number(_) => Msg::JsonNumber,
        serde_json::Value::String(_) => Msg::JsonString,
        serde_json::Value::Array(_) => Msg::JsonArray,
        serde_json::Value::Object(_) => Msg::JsonObject,
    }
    .text()
}

/// The `message` of GREEN-API's error envelope (never its `path`, which echoes the token).
fn json_message(r: &Redactor, body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let m = v.get("message")?;
    let text = match m {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        _ => return None,
    };
    let t = quote(r, &text, 500);
    (!t.is_empty()).then_some(t)
}

fn quota_message(r: &Redactor, body: &[u8]) -> String {
    let mut msg = Msg::Quota466.text();
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let s = v.get("invokeStatus").unwrap_or(&v);
        if let (Some(u), Some(t)) = (
            s.get("used").and_then(|x| x.as_u64()),
            s.get("total").and_then(|x| x.as_u64()),
        ) {
            msg.push_str(&Msg::QuotaUsed { used: u, total: t }.text());
        }
        if let Some(d) = s.get("description").and_then(|x| x.as_str()) {
            msg.push_str(
                &Msg::QuotaDescription {
                    text: quote(r, d, 300),
                }
                .text(),
            );
        }
    }
    msg
}

/// A short, printable summary of a body: a JSON envelope's `message` (nothing else of a JSON
/// body, whose `path` echoes the token), an HTML page's title, else its text.
fn server_text(r: &Redactor, body: &[u8]) -> Option<String> {
    if serde_json::from_slice::<serde_json::Value>(body).is_ok() {
        return json_message(r, body);
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        // A broken envelope: its fields cannot be told apart, so none is quoted.
        return Some(Msg::BodyNotJson { len: body.len() }.text());
    }
    let lower = text.to_ascii_lowercase();
    if let (Some(a), Some(b)) = (lower.find("<title>"), lower.find("</title>")) {
        if a + 7 <= b {
            let t = quote(r, &text[a + 7..b], 200);
            return (!t.is_empty()).then_some(t);
        }
    }
    if lower.contains("<html") || lower.contains("<!doctype") {
        return Some(Msg::HtmlPage.text());
    }
    let t = quote(r, &text, 200);
    (!t.is_empty()).then_some(t)
}

/// Server text for a message: scrubbed of the token first, then cleaned and cut to `max`.
fn quote(r: &Redactor, text: &str, max: usize) -> String {
    clean(r.scrub(text).as_bytes(), max)
}

fn reason(status: u16) -> &'static str {
    match status {
        499 => "Client Closed Request",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Server Error",
    }
}

/// Parses `Retry-After`: delay-seconds, or an HTTP date (IMF-fixdate, RFC 850 or asctime).
/// A date in the past gives zero.
pub fn parse_retry_after(v: &str, now: SystemTime) -> Option<Duration> {
    let v = v.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(
            v.parse::<u64>().unwrap_or(u64::MAX).min(u32::MAX as u64),
        ));
    }
    let at = parse_http_date(v)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Seconds since the Unix epoch for an HTTP date, in any of the three forms RFC 9110 allows.
pub fn parse_http_date(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split([' ', ',']).filter(|p| !p.is_empty()).collect();
    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT  -> [Sun, 06, Nov, 1994, 08:49:37, GMT]
    // RFC 850:     Sunday, 06-Nov-94 08:49:37 GMT -> [Sunday, 06-Nov-94, 08:49:37, GMT]
    // asctime:     Sun Nov  6 08:49:37 1994       -> [Sun, Nov, 6, 08:49:37, 1994]
    let (day, month, year, time) = match parts.as_slice() {
        [_, d, m, y, t, "GMT"] => (*d, *m, y.parse::<i64>().ok()?, *t),
        [_, dmy, t, "GMT"] => {
            let mut it = dmy.split('-');
            let (d, m, y) = (it.next()?, it.next()?, it.next()?);
            let y: i64 = y.parse().ok()?;
            // RFC 9110: a two-digit year more than 50 years ahead is in the past century.
            (
                d,
                m,
                if y < 70 {
                    2000 + y
                } else if y < 100 {
                    1900 + y
                } else {
                    y
                },
                *t,
            )
        }
        [_, m, d, t, y] => (*d, *m, y.parse::<i64>().ok()?, *t),
        _ => return None,
    };
    let day: i64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month)? as i64
        + 1;
    let mut hms = time.split(':').map(|x| x.parse::<i64>().ok());
    let (h, mi, se) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some()
        || !(0..24).contains(&h)
        || !(0..60).contains(&mi)
        || !(0..61).contains(&se)
    {
        return None;
    }
    if !(1970..=9999).contains(&year) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + se).ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const TOKEN: &str = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345";

    fn rd() -> Redactor {
        Redactor::new(TOKEN)
    }

    use crate::leak_check::leaks;

    #[test]
    fn the_fast_reader_agrees_with_the_general_one() {
        // Every body the fast reader accepts reads the same the general way; mutations of the
        // usual answer (each byte dropped, doubled or replaced) cover the edges.
        let usual =
            br#"{"urlAvatar":"https://a.example/x\/y.jpg","available":true,"e":[1,{"k":null}]}"#;
        let mut bodies: Vec<Vec<u8>> = vec![usual.to_vec()];
        for i in 0..usual.len() {
            let mut dropped = usual.to_vec();
            dropped.remove(i);
            let mut doubled = usual.to_vec();
            doubled.insert(i, usual[i]);
            bodies.extend([dropped, doubled]);
            for b in [b'"', b',', b'}', b'{', b'0', b'n', b'\\', b' ', 0x01, 0xff] {
                let mut swapped = usual.to_vec();
                swapped[i] = b;
                bodies.push(swapped);
            }
        }
        let deep = |n: usize| {
            format!(
                r#"{{"urlAvatar":"a","e":{}1{}}}"#,
                "[".repeat(n),
                "]".repeat(n)
            )
        };
        for extra in [
            &br#"{"urlAvatar":"a","e":1e400}"#[..],
            br#"{"urlAvatar":"a","e":"\ud800"}"#,
            br#"{"urlAvatar":"a","e":{"\udc00":1}}"#,
            deep(126).as_bytes(),
            deep(127).as_bytes(),
            deep(200).as_bytes(),
        ] {
            bodies.push(extra.to_vec());
        }
        let mut fast = 0;
        for b in &bodies {
            let general = read_success(b).ok();
            if let Some(found) = crate::answer::success::read(b) {
                fast += 1;
                assert_eq!(Some(found), general, "{}", String::from_utf8_lossy(b));
            }
        }
        assert!(fast > 50, "{fast}");
    }

    fn message_of(o: Outcome) -> String {
        match o {
            Outcome::Failure(Failure { message, .. }) => message,
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn cut_server_text_never_keeps_a_token_fragment() {
        let pad = |n: usize| "x".repeat(n);
        let enc = crate::leak_check::percent_encoded(TOKEN, false);
        let mixed = crate::leak_check::mixed_escapes_and_case(TOKEN);
        let split = crate::leak_check::split_by_controls(TOKEN, 5);
        let json = |m: &str| serde_json::json!({"statusCode": 400, "message": m}).to_string();
        let cases: Vec<(u16, Option<&str>, String)> = vec![
            // The token at character 455 of a 400 message (cut at 500).
            (400, None, json(&format!("{} {TOKEN} tail", pad(454)))),
            (400, None, json(&format!("bad path /getAvatar/{enc}"))),
            (400, None, json(&format!("bad path /getAvatar/{mixed}"))),
            (400, None, json(&format!("split {split}"))),
            // A 400 envelope that is not JSON (cut short): nothing of it is copied.
            (
                400,
                None,
                format!(
                    r#"{{"statusCode":400,"path":"/waInstance1/getAvatar/{TOKEN}","message":"x"#
                ),
            ),
            // A 502 page whose title holds the token after 180 characters (cut at 200).
            (
                502,
                None,
                format!("<html><title>{} {TOKEN}</title></html>", pad(179)),
            ),
            (500, None, format!("plain text {split}")),
            (503, None, format!("plain {}", enc.to_uppercase())),
            (
                466,
                None,
                serde_json::json!({"invokeStatus": {"used": 1, "total": 1,
                    "description": format!("{} {TOKEN}", pad(279))}})
                .to_string(),
            ),
            (
                401,
                None,
                format!(r#"{{"path":"/waInstance1/getAvatar/{TOKEN}"}}"#),
            ),
        ];
        let loc = format!("http://portal.example/login?next={}{TOKEN}", pad(150));
        let loc_enc = format!("http://portal.example/?u=/getAvatar/{enc}");
        let mut all = cases;
        all.push((302, Some(loc.as_str()), String::new()));
        all.push((307, Some(loc_enc.as_str()), String::new()));
        for (code, location, body) in all {
            let m = message_of(interpret(
                code,
                None,
                location,
                body.as_bytes(),
                now(),
                &rd(),
            ));
            assert!(!leaks(TOKEN, &m), "{code} {body:?}: {m}");
            assert!(!m.is_empty());
        }
        let m = message_of(interpret(
            400,
            None,
            None,
            json(&format!("{} {TOKEN} tail", pad(454))).as_bytes(),
            now(),
            &rd(),
        ));
        assert!(m.contains("<apiTokenInstance> tail"), "{m}");
    }

    #[test]
    fn control_characters_in_url_avatar_are_refused() {
        for c in ['\u{1b}', '\r', '\n', '\t', '\u{7f}', '\u{85}', '\0'] {
            let body =
                serde_json::json!({"urlAvatar": format!("https://x.example/a{c}b")}).to_string();
            let o = interpret(200, None, None, body.as_bytes(), now(), &rd());
            assert_eq!(status_of(&o), GaStatus::GA_ERR_BAD_RESPONSE, "{c:?}");
        }
    }

    #[test]
    fn a_url_avatar_holding_the_token_is_refused() {
        let lower = TOKEN.to_ascii_lowercase();
        let fragment: String = TOKEN[10..18].to_ascii_uppercase();
        let encoded = crate::leak_check::percent_encoded(&TOKEN[20..30], true);
        for url in [
            format!("https://x.example/{TOKEN}.jpg"),
            format!("https://x.example/a?t={lower}"),
            format!("https://x.example/{fragment}"),
            format!("https://x.example/{encoded}"),
        ] {
            let body = serde_json::json!({"urlAvatar": url, "available": true}).to_string();
            let o = interpret(200, None, None, body.as_bytes(), now(), &rd());
            let Outcome::Failure(f) = &o else {
                panic!("accepted {url}")
            };
            assert_eq!(f.status, GaStatus::GA_ERR_BAD_RESPONSE);
            assert!(f
                .message
                .contains("contains the instance's apiTokenInstance"));
            assert!(!f.message.to_ascii_lowercase().contains(&TOKEN[10..18]));
        }
        // Seven characters of it are a coincidence, not the token.
        let url = format!("https://x.example/{}", &TOKEN[3..10]);
        let body = serde_json::json!({ "urlAvatar": url }).to_string();
        let o = interpret(200, None, None, body.as_bytes(), now(), &rd());
        assert_eq!(status_of(&o), GaStatus::GA_OK);
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(784_111_777) // Sun, 06 Nov 1994 08:49:37 GMT
    }

    fn status_of(o: &Outcome) -> GaStatus {
        match o {
            Outcome::Success(_) => GaStatus::GA_OK,
            Outcome::Failure(Failure { status, .. }) => *status,
        }
    }

    #[test]
    fn success_rows() {
        let ok = |b: &str| interpret(200, None, None, b.as_bytes(), now(), &rd());
        assert_eq!(
            ok(r#"{"urlAvatar":"https://i.oneme.ru/i?r=1","available":true}"#),
            Outcome::Success(Avatar {
                url: "https://i.oneme.ru/i?r=1".into(),
                available: Some(true)
            })
        );
        assert_eq!(
            ok(r#"{"urlAvatar":"","available":false}"#),
            Outcome::Success(Avatar {
                url: "".into(),
                available: Some(false)
            })
        );
        assert_eq!(
            ok(r#"{"urlAvatar":"https://x"}"#),
            Outcome::Success(Avatar {
                url: "https://x".into(),
                available: None
            })
        );
        for bad in [
            r#"{"urlAvatar":"x","available":true,}"#,
            r#"{"urlAvatar":5}"#,
            r#"{"urlAvatar":null}"#,
            r#"{"available":true}"#,
            r#"[{"urlAvatar":"x"}]"#,
            r#"{"urlAvatar":"a\u0000b"}"#,
            "",
            "<html>",
        ] {
            assert_eq!(status_of(&ok(bad)), GaStatus::GA_ERR_BAD_RESPONSE, "{bad}");
        }
    }

    #[test]
    fn error_rows() {
        let body400 = br#"{"statusCode":400,"timestamp":"2025-08-21T13:02:16.247Z","path":"/waInstance3100000001/getAvatar/SECRET","message":"Validation failed. Details: 'chatId' must be one of the next formats: 'user_id' or 'group_id'"}"#;
        match interpret(400, None, None, body400, now(), &rd()) {
            Outcome::Failure(Failure {
                status,
                message,
                retryable,
                ..
            }) => {
                assert_eq!(status, GaStatus::GA_ERR_VALIDATION);
                assert!(message.contains("'chatId' must be one of"), "{message}");
                assert!(!message.contains("SECRET"));
                assert!(!retryable);
            }
            o => panic!("{o:?}"),
        }
        let table = [
            (401, GaStatus::GA_ERR_UNAUTHORIZED, false, "token"),
            (403, GaStatus::GA_ERR_FORBIDDEN, false, "idInstance"),
            (404, GaStatus::GA_ERR_NOT_FOUND, false, "apiUrl"),
            (429, GaStatus::GA_ERR_RATE_LIMITED, true, "429"),
            (466, GaStatus::GA_ERR_QUOTA_EXCEEDED, false, "quota"),
            (499, GaStatus::GA_ERR_SERVER, true, "499"),
            (500, GaStatus::GA_ERR_SERVER, true, "500"),
            (502, GaStatus::GA_ERR_SERVER, true, "Bad Gateway"),
            (503, GaStatus::GA_ERR_SERVER, true, "503"),
            (504, GaStatus::GA_ERR_SERVER, true, "504"),
            (501, GaStatus::GA_ERR_SERVER, false, "501"),
            (505, GaStatus::GA_ERR_SERVER, false, "505"),
            (302, GaStatus::GA_ERR_BAD_RESPONSE, false, "redirect"),
            (204, GaStatus::GA_ERR_BAD_RESPONSE, false, "204"),
            (418, GaStatus::GA_ERR_BAD_RESPONSE, false, "418"),
        ];
        for (code, want, want_retry, text) in table {
            match interpret(
                code,
                None,
                Some("https://elsewhere.example/x"),
                b"",
                now(),
                &rd(),
            ) {
                Outcome::Failure(Failure {
                    status,
                    message,
                    retryable,
                    ..
                }) => {
                    assert_eq!((status, retryable), (want, want_retry), "{code}");
                    assert!(message.contains(text), "{code}: {message}");
                }
                o => panic!("{code}: {o:?}"),
            }
        }
        let q = br#"{"invokeStatus":{"method":"getAvatar","used":100,"total":100,"status":"QUOTE_EXCEEDED","description":"Monthly quota has been exceeded"}}"#;
        match interpret(466, None, None, q, now(), &rd()) {
            Outcome::Failure(Failure { message, .. }) => {
                assert!(
                    message.contains("used 100 of 100") && message.contains("Monthly quota"),
                    "{message}"
                )
            }
            o => panic!("{o:?}"),
        }
        let html = b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>";
        match interpret(502, Some("2"), None, html, now(), &rd()) {
            Outcome::Failure(Failure {
                message,
                retry_after,
                ..
            }) => {
                assert!(
                    message.contains("server said: 502 Bad Gateway"),
                    "{message}"
                );
                assert_eq!(retry_after, Some(Duration::from_secs(2)));
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after("120", now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now()), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now()),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now()),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:40 1994", now()),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, now()), None, "{bad}");
        }
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 24 Nov 2026 19:32:54 GMT"),
            Some(1_795_548_774)
        );
    }
}
