//! The fault language: the ways the emulator misbehaves ([`Fault`]), their JSON descriptions,
//! and how it carries them out on a connection.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::wire::{abort_connection, reason, reset_connection, Answer, Conn};

/// One way to misbehave, used by the next getAvatar request (faults queue up, first in first out),
/// or by the next image request when queued with [`Emulator::push_image_fault`](crate::Emulator::push_image_fault). A `Status` fault
/// with an empty Content-Type header sends none.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status, body and extra headers (content type JSON unless given).
    Status {
        /// HTTP status.
        status: u16,
        /// Body.
        body: String,
        /// Extra headers, e.g. Retry-After or Content-Type.
        headers: Vec<(String, String)>,
    },
    /// Wait, then answer normally.
    Delay(Duration),
    /// Close the connection with a reset before sending anything.
    ResetBeforeStatus,
    /// Send the headers and half the body of a normal answer, then reset.
    ResetMidBody,
    /// Announce a longer Content-Length than is sent, then close.
    TruncatedBody,
    /// Send a chunked body that stops in the middle of a chunk, then close.
    TruncatedChunked,
    /// Wait this long before sending the headers (then answer normally).
    SlowHeaders(Duration),
    /// Send the headers, wait this long, then send the body.
    SlowBody(Duration),
    /// A 200 whose body is this many bytes of valid-looking JSON (for an image request: this
    /// many bytes of image, announced in Content-Length).
    HugeBody(usize),
    /// Like `HugeBody`, but chunked: no Content-Length announces the size.
    HugeChunked(usize),
    /// A 200 whose body is not JSON.
    InvalidJson,
    /// A 200 with JSON of another shape.
    WrongShape(String),
    /// A 502 HTML page from a proxy.
    Html502,
    /// A 302 to this location.
    Redirect(String),
    /// Read the request and never answer (until the client goes away).
    NeverAnswer,
    /// Answer normally but without Content-Length (the body runs until the connection closes):
    /// send the first `bytes` bytes of the body (all of it when None), then close, with a reset
    /// (RST) when `reset`, else cleanly (FIN).
    CloseDelimited {
        /// How much of the body to send.
        bytes: Option<usize>,
        /// End with a reset instead of a clean close.
        reset: bool,
    },
}

impl Fault {
    /// Reads a fault from its JSON description, as sent to `POST /__emulator/faults`:
    /// `{"kind": "status", "status": 503, "body": "...", "headers": {"Retry-After": "1"}}`,
    /// `{"kind": "delay", "ms": 100}`, `{"kind": "slow_headers", "ms": 100}`,
    /// `{"kind": "slow_body", "ms": 100}`, `{"kind": "huge_body", "bytes": 2000000}` (or
    /// `huge_chunked`),
    /// `{"kind": "redirect", "location": "..."}`, `{"kind": "wrong_shape", "body": "[]"}`, or one of
    /// `reset_before_status`, `reset_mid_body`, `truncated_body`, `truncated_chunked`,
    /// `invalid_json`, `html_502`, `never_answer`, or
    /// `{"kind": "close_delimited", "bytes": 20, "reset": true}` (`bytes` optional: all of it).
    /// An optional `"times": N` repeats it.
    pub fn from_json(v: &Value) -> Result<(Fault, usize), String> {
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .ok_or("fault needs \"kind\"")?;
        let ms = || Duration::from_millis(v.get("ms").and_then(Value::as_u64).unwrap_or(0));
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let bytes = || v.get("bytes").and_then(Value::as_u64).unwrap_or(2 << 20) as usize;
        let f = match kind {
            "status" => Fault::Status {
                status: v
                    .get("status")
                    .and_then(Value::as_u64)
                    .ok_or("status fault needs \"status\"")? as u16,
                body: s("body"),
                headers: headers_of(v),
            },
            "delay" => Fault::Delay(ms()),
            "slow_headers" => Fault::SlowHeaders(ms()),
            "slow_body" => Fault::SlowBody(ms()),
            "huge_body" => Fault::HugeBody(bytes()),
            "huge_chunked" => Fault::HugeChunked(bytes()),
            "redirect" => Fault::Redirect(s("location")),
            "wrong_shape" => Fault::WrongShape(s("body")),
            "reset_before_status" => Fault::ResetBeforeStatus,
            "reset_mid_body" => Fault::ResetMidBody,
            "truncated_body" => Fault::TruncatedBody,
            "truncated_chunked" => Fault::TruncatedChunked,
            "invalid_json" => Fault::InvalidJson,
            "html_502" => Fault::Html502,
            "never_answer" => Fault::NeverAnswer,
            "close_delimited" => Fault::CloseDelimited {
                bytes: v.get("bytes").and_then(Value::as_u64).map(|n| n as usize),
                reset: v.get("reset").and_then(Value::as_bool).unwrap_or(false),
            },
            other => return Err(format!("unknown fault kind {other:?}")),
        };
        let times = v.get("times").and_then(Value::as_u64).unwrap_or(1) as usize;
        Ok((f, times))
    }

    /// Whether the request still needs its normal answer under this fault (the fault sends it,
    /// or part of it).
    pub(crate) fn uses_normal_answer(&self) -> bool {
        matches!(
            self,
            Fault::Delay(_)
                | Fault::SlowHeaders(_)
                | Fault::SlowBody(_)
                | Fault::ResetMidBody
                | Fault::TruncatedBody
                | Fault::TruncatedChunked
                | Fault::CloseDelimited { .. }
        )
    }

    /// The status it answers with when the normal answer's is `normal` (0 when it sends none).
    pub(crate) fn status(&self, normal: u16) -> u16 {
        match self {
            Fault::Status { status, .. } => *status,
            Fault::ResetBeforeStatus | Fault::NeverAnswer => 0,
            Fault::HugeBody(_)
            | Fault::HugeChunked(_)
            | Fault::InvalidJson
            | Fault::WrongShape(_) => 200,
            Fault::Html502 => 502,
            Fault::Redirect(_) => 302,
            _ => normal,
        }
    }
}

/// The `headers` object of a status fault, as pairs (values that are not strings count as empty).
fn headers_of(v: &Value) -> Vec<(String, String)> {
    v.get("headers")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, x)| (k.clone(), x.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The page a proxy (nginx) sends with its 502.
const HTML_502: &[u8] = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// Misbehaves as `f` says on `c`; `normal` is the answer the request would otherwise get, and
/// `stop` says the emulator is stopping. False when the connection must close.
pub(crate) fn apply_fault(f: Fault, normal: Answer, c: &mut Conn, stop: &AtomicBool) -> bool {
    match f {
        Fault::Status {
            status,
            body,
            headers,
        } => status_fault(c, status, &body, headers),
        Fault::Delay(d) | Fault::SlowHeaders(d) => {
            thread::sleep(d);
            c.send(&normal)
        }
        Fault::SlowBody(d) => slow_body(c, &normal, d),
        Fault::ResetBeforeStatus => {
            reset_connection(c.w);
            false
        }
        Fault::ResetMidBody => reset_mid_body(c, &normal),
        Fault::TruncatedBody => truncated_body(c, &normal),
        Fault::TruncatedChunked => truncated_chunked(c, &normal),
        Fault::HugeBody(n) if normal.content_type.starts_with("image/") => {
            huge_image(c, &normal.content_type, n)
        }
        Fault::HugeChunked(n) => huge_chunked(c, &normal.content_type, n),
        Fault::HugeBody(n) => c.json(200, &huge_json(n)),
        Fault::InvalidJson => c.json(200, "{\"urlAvatar\": \"https://x\","),
        Fault::WrongShape(body) => c.json(200, &body),
        Fault::Html502 => c.respond(502, "text/html", HTML_502, &[]),
        Fault::Redirect(loc) => c.respond(302, "text/plain", b"", &[("Location".into(), loc)]),
        Fault::CloseDelimited { bytes, reset } => close_delimited(c, &normal, bytes, reset),
        Fault::NeverAnswer => never_answer(c, stop),
    }
}

/// Answers `status` with `body` and `headers`; the content type is JSON unless they give one
/// (an empty one sends none).
fn status_fault(c: &mut Conn, status: u16, body: &str, headers: Vec<(String, String)>) -> bool {
    let is_ct = |k: &str| k.eq_ignore_ascii_case("content-type");
    let ct = headers
        .iter()
        .find(|(k, _)| is_ct(k))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| "application/json".into());
    let extra: Vec<_> = headers.into_iter().filter(|(k, _)| !is_ct(k)).collect();
    c.respond(status, &ct, body.as_bytes(), &extra)
}

/// Sends the head, waits `d`, then sends the body.
fn slow_body(c: &mut Conn, a: &Answer, d: Duration) -> bool {
    let h = c.head(a.status, &a.content_type, a.body.len(), &a.headers);
    if c.w.write_all(h.as_bytes()).is_err() {
        return false;
    }
    thread::sleep(d);
    c.w.write_all(&a.body).is_ok()
}

/// Sends the head and half the body, then resets.
fn reset_mid_body(c: &mut Conn, a: &Answer) -> bool {
    let mut out = c
        .head(a.status, &a.content_type, a.body.len(), &a.headers)
        .into_bytes();
    out.extend_from_slice(&a.body[..a.body.len() / 2]);
    let _ = c.w.write_all(&out);
    let _ = c.w.flush();
    thread::sleep(Duration::from_millis(20));
    reset_connection(c.w);
    false
}

/// Announces 100 bytes more than it sends, then closes.
fn truncated_body(c: &mut Conn, a: &Answer) -> bool {
    let mut out = c
        .head(a.status, &a.content_type, a.body.len() + 100, &a.headers)
        .into_bytes();
    out.extend_from_slice(&a.body);
    let _ = c.w.write_all(&out);
    let _ = c.w.shutdown(Shutdown::Both);
    false
}

/// Sends one chunk announced at the body's size but holding half of it, then closes.
fn truncated_chunked(c: &mut Conn, a: &Answer) -> bool {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        a.status,
        reason(a.status),
        a.content_type,
        a.body.len()
    )
    .into_bytes();
    out.extend_from_slice(&a.body[..a.body.len() / 2]);
    let _ = c.w.write_all(&out);
    let _ = c.w.shutdown(Shutdown::Both);
    false
}

/// Streams an image of `n` bytes, announced at its full size, in 64 KiB pieces.
fn huge_image(c: &mut Conn, ct: &str, n: usize) -> bool {
    let h = c.head(200, ct, n, &[]);
    if c.w.write_all(h.as_bytes()).is_err() {
        return false;
    }
    let piece = vec![0u8; 64 * 1024];
    let mut left = n;
    while left > 0 {
        let k = left.min(piece.len());
        if c.w.write_all(&piece[..k]).is_err() {
            return false;
        }
        left -= k;
    }
    true
}

/// Streams a 200 of `n` bytes in 64 KiB chunks, with no Content-Length; its content type is
/// `ct` for an image, else JSON.
fn huge_chunked(c: &mut Conn, ct: &str, n: usize) -> bool {
    let ct = if ct.starts_with("image/") {
        ct
    } else {
        "application/json"
    };
    let h = format!("HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nTransfer-Encoding: chunked\r\n\r\n");
    if c.w.write_all(h.as_bytes()).is_err() {
        return false;
    }
    let piece = vec![b'a'; 64 * 1024];
    let mut left = n;
    while left > 0 {
        let k = left.min(piece.len());
        let mut chunk = format!("{k:x}\r\n").into_bytes();
        chunk.extend_from_slice(&piece[..k]);
        chunk.extend_from_slice(b"\r\n");
        if c.w.write_all(&chunk).is_err() {
            return false;
        }
        left -= k;
    }
    c.w.write_all(b"0\r\n\r\n").is_ok()
}

/// A valid getAvatar answer of about `n` bytes (a long `urlAvatar`).
fn huge_json(n: usize) -> String {
    let mut body = String::with_capacity(n + 32);
    // A web link (a client refuses any other urlAvatar) as long as it takes.
    body.push_str("{\"urlAvatar\":\"https://x.example/");
    while body.len() + 2 < n {
        body.push('a');
    }
    body.push_str("\"}");
    body
}

/// Sends the answer without Content-Length, only its first `bytes` bytes (all when None), then
/// closes: with a reset when `reset`, else cleanly.
fn close_delimited(c: &mut Conn, a: &Answer, bytes: Option<usize>, reset: bool) -> bool {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nConnection: close\r\n\r\n",
        a.status,
        reason(a.status),
        a.content_type
    )
    .into_bytes();
    out.extend_from_slice(&a.body[..bytes.unwrap_or(a.body.len()).min(a.body.len())]);
    let _ = c.w.write_all(&out);
    let _ = c.w.flush();
    if reset {
        // Let the bytes reach the client before the reset (a reset drops unsent data).
        thread::sleep(Duration::from_millis(50));
        abort_connection(c.w);
    } else {
        let _ = c.w.shutdown(Shutdown::Write);
    }
    false
}

/// Reads and ignores what the client sends until it goes away or the emulator stops.
fn never_answer(c: &mut Conn, stop: &AtomicBool) -> bool {
    let mut buf = [0u8; 1024];
    while !stop.load(Ordering::SeqCst) {
        match c.r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    false
}
