//! HTTP/1.1 on the wire: reading a request, writing an answer, ending a connection abruptly.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Instant;

use crate::arrival::Stamped;

/// One request as read from a connection.
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
    pub user_agent: String,
    /// It asked to close the connection (`Connection: close`, or HTTP/1.0).
    pub close: bool,
    /// When its first bytes arrived (see [`crate::arrival`]).
    pub arrived: Instant,
}

/// What the head of a request says beyond its first line.
#[derive(Default)]
struct Headers {
    len: usize,
    close: Option<bool>,
    user_agent: String,
}

/// Reads one request; None at the end of the connection or on a request it will not serve (bad
/// first line, headers over 64 KiB, a body over 1 MiB).
pub(crate) fn read_request(r: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let http10 = parts.next() == Some("HTTP/1.0");
    let h = read_headers(r)?;
    if h.len > 1 << 20 {
        return None;
    }
    let mut body = vec![0; h.len];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        body,
        user_agent: h.user_agent,
        close: h.close.unwrap_or(http10),
        arrived: Instant::now(),
    })
}

/// Reads header lines up to the empty one.
fn read_headers(r: &mut impl BufRead) -> Option<Headers> {
    let mut out = Headers::default();
    let mut total = 0;
    loop {
        let mut h = String::new();
        let n = r.read_line(&mut h).ok()?;
        total += n;
        if n == 0 || total > 64 * 1024 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            return Some(out);
        }
        if let Some((k, v)) = h.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            match k.as_str() {
                "content-length" => out.len = v.parse().ok()?,
                "connection" => out.close = Some(v.eq_ignore_ascii_case("close")),
                "user-agent" => out.user_agent = v.to_string(),
                _ => {}
            }
        }
    }
}

/// A complete answer: status, content type, body and extra headers.
pub(crate) struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Answer {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Answer {
        Answer {
            status,
            content_type: content_type.into(),
            body,
            headers: Vec::new(),
        }
    }

    pub fn json(normal: (u16, String)) -> Answer {
        Answer::new(normal.0, "application/json", normal.1.into_bytes())
    }
}

/// The connection a request is answered on.
pub(crate) struct Conn<'a> {
    /// Where answers go.
    pub w: &'a mut TcpStream,
    /// Where the request came from (a fault may go on reading it).
    pub r: &'a mut BufReader<Stamped>,
    /// The request asked to close: heads made by [`Conn::head`] say `Connection: close`.
    pub close: bool,
}

impl Conn<'_> {
    /// The head of an answer with a Content-Length of `len`; an empty content type sends none.
    pub fn head(
        &self,
        status: u16,
        content_type: &str,
        len: usize,
        extra: &[(String, String)],
    ) -> String {
        let mut h = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        if !content_type.is_empty() {
            h.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        h.push_str(&format!("Content-Length: {len}\r\n"));
        if self.close {
            h.push_str("Connection: close\r\n");
        }
        for (k, v) in extra {
            h.push_str(&format!("{k}: {v}\r\n"));
        }
        h.push_str("\r\n");
        h
    }

    /// Sends a whole answer; false when the connection failed.
    pub fn respond(
        &mut self,
        status: u16,
        content_type: &str,
        body: &[u8],
        extra: &[(String, String)],
    ) -> bool {
        let mut out = self
            .head(status, content_type, body.len(), extra)
            .into_bytes();
        out.extend_from_slice(body);
        self.w.write_all(&out).is_ok()
    }

    /// Sends `a`; false when the connection failed.
    pub fn send(&mut self, a: &Answer) -> bool {
        self.respond(a.status, &a.content_type, &a.body, &a.headers)
    }

    /// Sends a JSON answer; false when the connection failed.
    pub fn json(&mut self, status: u16, body: &str) -> bool {
        self.respond(status, "application/json", body.as_bytes(), &[])
    }
}

/// The reason phrase the emulator sends with `status`.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        466 => "Quota Exceeded",
        499 => "Client Closed Request",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Ends a connection with a reset: linger 0, then shut it down.
pub(crate) fn reset_connection(s: &TcpStream) {
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        let l = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: a valid socket and a correctly sized linger struct.
        unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &l as *const libc::linger as *const libc::c_void,
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
        }
    }
    let _ = s.shutdown(Shutdown::Both);
}

/// Ends a connection with a reset (RST) and nothing else: no FIN goes first, whatever other
/// handles to the socket remain open. Linux: disconnect the socket (connect to AF_UNSPEC), which
/// aborts it; elsewhere as `reset_connection`.
pub(crate) fn abort_connection(s: &TcpStream) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: a zeroed sockaddr with family AF_UNSPEC, correctly sized, on a valid socket.
        unsafe {
            let mut a: libc::sockaddr = std::mem::zeroed();
            a.sa_family = libc::AF_UNSPEC as libc::sa_family_t;
            libc::connect(
                s.as_raw_fd(),
                &a,
                std::mem::size_of::<libc::sockaddr>() as libc::socklen_t,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    reset_connection(s);
}
