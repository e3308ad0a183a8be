//! Looking at a socket without reading it and without waiting: whether a kept connection has
//! bytes waiting (a late or unrequested answer) or was closed by the server, before it carries
//! another request.

use std::io;
use std::net::TcpStream;

/// What a look at a socket, without waiting, found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Peek {
    /// Nothing to read: the connection is idle and open.
    Nothing,
    /// Bytes are waiting to be read (a late or unrequested answer, a TLS record).
    Bytes,
    /// The server closed its side (or the socket failed).
    Closed,
}

/// Looks whether anything is waiting on `s` without reading it and without waiting: bytes,
/// the server's close (a read would return 0), or nothing. Unix: one `recv` with
/// `MSG_PEEK | MSG_DONTWAIT`.
#[cfg(unix)]
pub(crate) fn peek(s: &TcpStream) -> Peek {
    use std::os::fd::AsRawFd;
    let mut b = [0u8; 1];
    loop {
        // SAFETY: `b` is a valid one-byte buffer; the descriptor is the stream's own, open
        // while `s` is borrowed.
        let n = unsafe {
            libc::recv(
                s.as_raw_fd(),
                b.as_mut_ptr().cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        return match n {
            1.. => Peek::Bytes,
            0 => Peek::Closed,
            _ => match io::Error::last_os_error().kind() {
                io::ErrorKind::WouldBlock => Peek::Nothing,
                io::ErrorKind::Interrupted => continue,
                _ => Peek::Closed,
            },
        };
    }
}

/// Looks whether anything is waiting on `s` without reading it and without waiting (Windows:
/// the socket made non-blocking for one `recv(MSG_PEEK)`, then blocking again).
#[cfg(not(unix))]
pub(crate) fn peek(s: &TcpStream) -> Peek {
    if s.set_nonblocking(true).is_err() {
        return Peek::Closed;
    }
    let seen = match s.peek(&mut [0u8]) {
        Ok(0) => Peek::Closed,
        Ok(_) => Peek::Bytes,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Peek::Nothing,
        Err(_) => Peek::Closed,
    };
    // Always back to blocking, whatever the peek saw (the connection may still be read).
    if s.set_nonblocking(false).is_err() {
        return Peek::Closed;
    }
    seen
}
