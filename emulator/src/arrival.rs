//! When a request arrived: the kernel's receive time of its first bytes (`SO_TIMESTAMPNS`), so the
//! rate limit counts arrivals as a server's network edge sees them, whatever the emulator's own
//! threads were doing (a loaded machine may run the thread that reads a connection tens of
//! milliseconds after its bytes came in). Elsewhere than Linux: the time the read returned.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::Instant;

/// A connection that remembers when the first bytes after the last [`Stamped::take_first`] arrived.
pub(crate) struct Stamped {
    inner: TcpStream,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Stamped {
    /// Wraps `inner` and asks the kernel to stamp what it receives.
    pub fn new(inner: TcpStream) -> Stamped {
        enable(&inner);
        Stamped {
            inner,
            first: None,
            last: None,
        }
    }

    /// When the first bytes read since the last call arrived (now, when nothing was read: the
    /// request was already buffered).
    pub fn take_first(&mut self) -> Instant {
        self.first.take().unwrap_or_else(Instant::now)
    }

    /// When the bytes of the latest read arrived (now, when nothing was read yet).
    pub fn last(&self) -> Instant {
        self.last.unwrap_or_else(Instant::now)
    }

    /// The connection itself.
    pub fn get_ref(&self) -> &TcpStream {
        &self.inner
    }
}

impl Read for Stamped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (n, at) = recv(&self.inner, buf)?;
        if n > 0 {
            self.first.get_or_insert(at);
            self.last = Some(at);
        }
        Ok(n)
    }
}

/// Asks the kernel to stamp what `listener`'s connections receive, from the start: the kernel
/// turns stamping on a few moments after the first socket asks for it, so a listener that asks
/// early has its first connection's first bytes stamped too.
pub(crate) fn enable_on_listener(listener: &std::net::TcpListener) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        enable_fd(listener.as_raw_fd());
    }
    #[cfg(not(target_os = "linux"))]
    let _ = listener;
}

#[cfg(target_os = "linux")]
fn enable(s: &TcpStream) {
    use std::os::unix::io::AsRawFd;
    enable_fd(s.as_raw_fd());
}

#[cfg(target_os = "linux")]
fn enable_fd(fd: std::os::unix::io::RawFd) {
    let on: libc::c_int = 1;
    // SAFETY: a valid socket and an int option of the right size.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn enable(_: &TcpStream) {}

/// Reads into `buf`; returns the count and when the data arrived (the kernel's stamp, converted
/// to this process's monotonic clock; the time of the call when there is none).
#[cfg(target_os = "linux")]
fn recv(s: &TcpStream, buf: &mut [u8]) -> io::Result<(usize, Instant)> {
    use std::os::unix::io::AsRawFd;
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control = [0u64; 16]; // aligned room for one timespec control message
                                  // SAFETY: msghdr is plain data; every pointer in it is set to live buffers below.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: the socket is valid and msg points at live buffers of the sizes given.
    let n = unsafe { libc::recvmsg(s.as_raw_fd(), &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((
        n as usize,
        kernel_stamp(&msg).map_or_else(Instant::now, to_instant),
    ))
}

#[cfg(not(target_os = "linux"))]
fn recv(mut s: &TcpStream, buf: &mut [u8]) -> io::Result<(usize, Instant)> {
    let n = s.read(buf)?;
    Ok((n, Instant::now()))
}

/// The `SCM_TIMESTAMPNS` control message of `msg`, if any.
#[cfg(target_os = "linux")]
fn kernel_stamp(msg: &libc::msghdr) -> Option<libc::timespec> {
    // SAFETY: the CMSG macros walk the control buffer recvmsg filled, within msg_controllen.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_TIMESTAMPNS {
                return Some(std::ptr::read_unaligned(
                    libc::CMSG_DATA(c).cast::<libc::timespec>(),
                ));
            }
            c = libc::CMSG_NXTHDR(msg, c);
        }
    }
    None
}

/// A wall-clock stamp as an `Instant`: now minus how long ago it was (never later than now). The
/// two clocks are read one right after the other, so a preemption hardly comes between them.
#[cfg(target_os = "linux")]
fn to_instant(ts: libc::timespec) -> Instant {
    let now = Instant::now();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let at = std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
    now.checked_sub(wall.saturating_sub(at)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::Duration;

    #[test]
    fn the_stamp_is_when_the_bytes_arrived_not_when_they_were_read() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        enable_on_listener(&l);
        std::thread::sleep(Duration::from_millis(50));
        let mut c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let mut s = Stamped::new(l.accept().unwrap().0);
        let sent = Instant::now();
        c.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let mut buf = [0u8; 64];
        assert_eq!(s.read(&mut buf).unwrap(), 16);
        let at = s.take_first();
        if cfg!(target_os = "linux") {
            assert!(at < sent + Duration::from_millis(150), "{:?}", at - sent);
        }
        // Nothing read since: the next take is now.
        assert!(s.take_first() >= sent + Duration::from_millis(300));
    }
}
