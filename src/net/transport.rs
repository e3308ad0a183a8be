//! The connection layer under ureq: our own TCP connector and a per-call wrapper on top of TLS.
//!
//! - **Per-attempt state** lives in a thread-local [`Attempt`] while [`run`] runs an attempt (ureq
//!   does all of a request's I/O on the calling thread): the cancel token, the rate limiter to
//!   pace by, the attempt's deadline, and what happened (a new connection, bytes of an answer).
//! - **Pacing by arrival**: the wrapper ([`CallConnector`]) takes the rate-limit slot when the
//!   request's first byte is about to be written, after DNS, TCP and TLS, so the server sees
//!   requests spaced as the limiter planned them. The limiter's wait extends the deadline, never
//!   past the call's (the deadline setting); a slot beyond it is not waited for.
//! - **Cancellation**: socket waits (connect, TLS, reading the answer) run in slices of at most
//!   [`SLICE`]; between slices the token is checked. Waits outside I/O sleep on the token.
//! - **Fewer system calls**: the request is written with one `write` (headers, body and TLS
//!   records are gathered until the first read), socket timeouts are set when they change
//!   (in practice once per connection).
//! - **Nothing unrequested is read as an answer**: before a pooled connection carries a request
//!   ([`Transport::is_open`] when ureq's pool hands it out; [`CallTransport`] skips the check
//!   when the pool takes it back), the socket is looked at without waiting ([`peek`]); bytes
//!   waiting there (a late or unrequested answer, a `408` sent on an idle connection) or the
//!   server's close drop the connection, unread. TLS does the same over its records (`tls`).

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};
use ureq::Error;

use crate::cancel::Cancel;
use crate::ratelimit::{RateLimiter, Refused, Slot};
use crate::sys::socket::{peek, Peek};

/// The longest a socket wait lasts before the cancel token and the deadline are checked again.
pub const SLICE: Duration = Duration::from_millis(50);

/// Largest request gathered before it is written anyway.
const GATHER_MAX: usize = 64 * 1024;

/// What one attempt needs from, and tells, the connection layer.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// The call's cancel token.
    pub cancel: Option<Cancel>,
    /// The limiter to take a slot from when the request is written (lookups only).
    pub pace: Option<Arc<RateLimiter>>,
    /// When the attempt times out; the limiter's wait moves it later.
    pub deadline: Instant,
    /// When the call must end (its deadline setting): no wait goes past it.
    pub call_ends: Option<Instant>,
    /// The rate-limit slot was further away than the call's end, by this much (not waited for).
    pub slot_too_far: Option<Duration>,
    /// Refuse pooled connections, for every hop (the resend after a stale one).
    pub fresh_only: bool,
    /// A request of this attempt reached a connection.
    pub used: bool,
    /// The latest request (a redirect's hop is one) went on a connection that had carried one
    /// before (a pooled connection).
    pub hop_reused: bool,
    /// A byte of the answer to the latest request arrived.
    pub hop_answered: bool,
    /// The rate-limit slot was taken.
    pub paced: bool,
    /// The slot, until the request is written (then the limiter hears when).
    pub slot: Option<Slot>,
    /// Time spent waiting for the rate limit.
    pub waited: Duration,
    /// When the paced request was let go and written (the limiter learns from its answer).
    pub sent: Option<crate::ratelimit::Sent>,
    /// Warm-up: open (or find) the connection, send nothing, and hand ureq an empty answer so
    /// that the connection goes to the pool.
    pub warm_up: bool,
    /// Refuse connections to this machine (an avatar link, or its redirect, when apiUrl is not
    /// on loopback): see [`GuardThisMachine`].
    pub not_this_machine: bool,
}

impl Attempt {
    /// A fresh attempt that times out `timeout` from now.
    pub fn new(cancel: Option<&Cancel>, pace: Option<Arc<RateLimiter>>, timeout: Duration) -> Self {
        Attempt {
            cancel: cancel.cloned(),
            pace,
            deadline: Instant::now() + timeout,
            call_ends: None,
            slot_too_far: None,
            fresh_only: false,
            used: false,
            hop_reused: false,
            hop_answered: false,
            paced: false,
            slot: None,
            waited: Duration::ZERO,
            sent: None,
            warm_up: false,
            not_this_machine: false,
        }
    }

    /// Whether a failure of this attempt was a pooled connection the server had closed: the
    /// request that failed (the first, or a redirect's next hop) went on a connection that had
    /// carried one before, and failed before any byte of its answer arrived.
    pub fn failed_on_stale(&self) -> bool {
        self.used && self.hop_reused && !self.hop_answered
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Attempt>> = const { RefCell::new(None) };
}

/// Runs `f` with `attempt` as the thread's current attempt, and returns what `f` returned and
/// what the attempt recorded.
pub(crate) fn run<T>(attempt: Attempt, f: impl FnOnce() -> T) -> (T, Attempt) {
    // Attempts do not nest; one left behind by a panic is replaced by the next.
    CURRENT.with(|c| *c.borrow_mut() = Some(attempt));
    let out = f();
    let done = CURRENT.with(|c| c.borrow_mut().take());
    (out, done.expect("the attempt is set while it runs"))
}

/// Reads or changes the current attempt, if there is one.
fn with_current<R>(f: impl FnOnce(&mut Attempt) -> R) -> Option<R> {
    CURRENT.with(|c| c.borrow_mut().as_mut().map(f))
}

/// The current attempt refuses connections to this machine (see [`GuardThisMachine`]).
pub(crate) fn refuse_this_machine() {
    with_current(|a| a.not_this_machine = true);
}

/// What is left of the current attempt's time, if an attempt is running (a DNS lookup waits no
/// longer).
pub(crate) fn attempt_left() -> Option<Duration> {
    with_current(|a| a.deadline.saturating_duration_since(Instant::now()))
}

/// The current attempt's request was written: the limiter moves its slot to now.
fn request_written() {
    with_current(|a| {
        if let (Some(slot), Some(l)) = (a.slot.take(), &a.pace) {
            a.sent = Some(l.sent(slot));
        }
    });
}

/// The current attempt's cancel token and deadline.
fn cancel_and_deadline() -> (Option<Cancel>, Option<Instant>) {
    with_current(|a| (a.cancel.clone(), Some(a.deadline))).unwrap_or((None, None))
}

/// The current attempt's cancel token, if any.
pub(crate) fn attempt_cancel() -> Option<Cancel> {
    with_current(|a| a.cancel.clone()).flatten()
}

/// The error a cancelled socket wait returns (the client reports `GA_ERR_CANCELLED`).
pub(crate) fn cancelled_error() -> Error {
    Error::Io(io::Error::other("cancelled"))
}

/// Whether the current attempt was cancelled.
fn is_cancelled() -> bool {
    with_current(|a| a.cancel.as_ref().is_some_and(Cancel::is_cancelled)).unwrap_or(false)
}

/// The deadline of a socket wait: ureq's (`timeout`, from now) or the attempt's, whichever comes
/// first.
fn deadline_of(timeout: NextTimeout) -> Instant {
    let now = Instant::now();
    let ureq = if timeout.after.is_not_happening() {
        None
    } else {
        now.checked_add(*timeout.after)
    };
    let attempt = with_current(|a| a.deadline);
    match (ureq, attempt) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => now + Duration::from_secs(3600),
    }
}

/// A timeout of exactly `d`.
pub(crate) fn exact(d: Duration) -> NextTimeout {
    NextTimeout {
        after: ureq::unversioned::transport::time::Duration::Exact(d),
        ..NextTimeout::default()
    }
}

/// The next wait's timeout: a slice, or what is left before `deadline`; an error when the call
/// was cancelled or the deadline passed.
fn sliced(deadline: Instant) -> Result<NextTimeout, Error> {
    if is_cancelled() {
        return Err(cancelled_error());
    }
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(Error::Timeout(ureq::Timeout::Global));
    }
    Ok(exact(left.min(SLICE)))
}

/// Connects TCP sockets; the connect is cancellable (see the module documentation).
#[derive(Debug, Default)]
pub struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        if let Some(t) = chained {
            return Ok(Some(Either::A(t)));
        }
        let deadline = deadline_of(details.timeout);
        let mut last = None;
        let addrs: Vec<SocketAddr> = details.addrs.iter().copied().collect();
        for (i, addr) in addrs.iter().enumerate() {
            // Share what is left between the addresses still to try.
            let left = deadline.saturating_duration_since(Instant::now());
            let budget = left / (addrs.len() - i) as u32;
            match connect_one(*addr, budget.max(Duration::from_millis(10))) {
                Ok(s) => {
                    let t = TcpTransport::new(s, details)?;
                    (details.register_shutdown)(t.shutdown_handle())?;
                    return Ok(Some(Either::B(t)));
                }
                Err(e @ Error::Io(_)) if !is_cancelled() && i + 1 < addrs.len() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(Error::ConnectionFailed))
    }
}

/// Connects to `addr` within `budget`. Without a cancel token it connects on this thread; with
/// one, a helper thread connects while this one watches the token (std has no non-blocking
/// connect), and a cancel returns at once, leaving the helper to finish and drop the socket.
fn connect_one(addr: SocketAddr, budget: Duration) -> Result<TcpStream, Error> {
    let timed_out = |e: io::Error| match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            Error::Timeout(ureq::Timeout::Connect)
        }
        _ => Error::Io(e),
    };
    let (cancel, _) = cancel_and_deadline();
    let Some(cancel) = cancel else {
        return TcpStream::connect_timeout(&addr, budget).map_err(timed_out);
    };
    if cancel.is_cancelled() {
        return Err(cancelled_error());
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let spawned = crate::sys::pin::spawn_detached("getavatar-connect", move || {
        let _ = tx.send(TcpStream::connect_timeout(&addr, budget));
    });
    if spawned.is_err() {
        return TcpStream::connect_timeout(&addr, budget).map_err(timed_out);
    }
    loop {
        match rx.recv_timeout(SLICE) {
            Ok(r) => return r.map_err(timed_out),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) if !cancel.is_cancelled() => {}
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Err(cancelled_error()),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Error::ConnectionFailed)
            }
        }
    }
}

/// A TCP connection: writes gathered until the next read, socket waits in slices.
pub struct TcpTransport {
    /// The socket in the list a forked child closes. First field: fields drop in order, so it
    /// is unlisted before `stream` closes the socket.
    #[cfg(unix)]
    _listed: crate::sys::fork::sockets::Listed,
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    /// Bytes written by ureq or TLS and not yet sent.
    pending: Vec<u8>,
    /// The socket's read and write timeouts as last set.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl std::fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpTransport").finish_non_exhaustive()
    }
}

impl TcpTransport {
    fn new(stream: TcpStream, details: &ConnectionDetails) -> Result<TcpTransport, Error> {
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        #[cfg(unix)]
        let listed = crate::sys::fork::sockets::list(std::os::fd::AsRawFd::as_raw_fd(&stream));
        Ok(TcpTransport {
            #[cfg(unix)]
            _listed: listed,
            stream: Arc::new(stream),
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            pending: Vec::new(),
            read_timeout: None,
            write_timeout: None,
        })
    }

    fn shutdown_handle(&self) -> Weak<dyn ShutdownHandle> {
        Arc::downgrade(&self.stream) as Weak<dyn ShutdownHandle>
    }

    /// The socket timeout for the next wait: a slice, or less when the deadline is nearer.
    fn slice_until(deadline: Instant) -> Result<Duration, Error> {
        if is_cancelled() {
            return Err(cancelled_error());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Timeout(ureq::Timeout::Global));
        }
        // Round up to whole milliseconds so that a nearly constant value is set once.
        let ms = (left.as_micros().div_ceil(1000) as u64).max(1);
        Ok(Duration::from_millis(ms).min(SLICE))
    }

    /// Sends what is gathered, in slices.
    fn flush_pending(&mut self, timeout: NextTimeout) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let deadline = deadline_of(timeout);
        let mut sent = 0;
        while sent < self.pending.len() {
            let t = Self::slice_until(deadline)?;
            if self.write_timeout != Some(t) {
                self.stream.set_write_timeout(Some(t))?;
                self.write_timeout = Some(t);
            }
            match (&*self.stream).write(&self.pending[sent..]) {
                Ok(0) => return Err(Error::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => sent += n,
                Err(e) if is_wait_over(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.pending.clear();
        request_written();
        Ok(())
    }
}

/// A socket wait that ended without data: the slice is over.
fn is_wait_over(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let out = &self.buffers.output()[..amount];
        self.pending.extend_from_slice(out);
        if self.pending.len() >= GATHER_MAX {
            self.flush_pending(timeout)?;
        }
        Ok(())
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.flush_pending(timeout)?;
        if self.buffers.can_use_input() {
            return Ok(true);
        }
        self.await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.flush_pending(timeout)?;
        let deadline = deadline_of(timeout);
        loop {
            let t = Self::slice_until(deadline)?;
            if self.read_timeout != Some(t) {
                self.stream.set_read_timeout(Some(t))?;
                self.read_timeout = Some(t);
            }
            let buf = self.buffers.input_append_buf();
            match (&*self.stream).read(buf) {
                Ok(n) => {
                    self.buffers.input_appended(n);
                    return Ok(n > 0);
                }
                Err(e) if is_wait_over(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn is_open(&mut self) -> bool {
        // A TLS handshake's last flight (a warm-up sends nothing after it): send it now.
        if self.flush_pending(exact(SLICE * 4)).is_err() {
            return false;
        }
        // Bytes ureq or TLS read and left unconsumed: the server sent more than was asked for.
        if !self.buffers.input().is_empty() {
            return false;
        }
        matches!(peek(&self.stream), Peek::Nothing)
    }
}

/// The last connector of the chain: wraps every connection to the target (not a hop to a CONNECT
/// proxy) in a [`CallTransport`].
#[derive(Debug)]
pub struct CallConnector {
    /// Whether the agent sends requests through a proxy (then a connection whose config has no
    /// proxy is the hop to the proxy itself).
    pub agent_has_proxy: bool,
}

impl<In: Transport> Connector<In> for CallConnector {
    type Out = Either<In, CallTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        let Some(t) = chained else { return Ok(None) };
        if self.agent_has_proxy && details.config.proxy().is_none() {
            return Ok(Some(Either::A(t)));
        }
        Ok(Some(Either::B(CallTransport {
            inner: Box::new(t),
            carried: false,
            in_request: false,
        })))
    }
}

/// What a warm-up hands ureq in place of an answer: empty, keep-alive.
const WARM_UP_ANSWER: &[u8] = b"HTTP/1.1 204 No Content\r\n\r\n";

/// Whether the current attempt is a warm-up.
fn warming_up() -> bool {
    with_current(|a| a.warm_up).unwrap_or(false)
}

/// A connection to the target: paces the request and records what the attempt saw.
#[derive(Debug)]
pub struct CallTransport {
    inner: Box<dyn Transport>,
    /// The connection carried a request before the current one (or was warmed up).
    carried: bool,
    /// A request is under way on it: written (or being written) and not yet handed back to the
    /// pool. ureq asks [`Transport::is_open`] when it hands a pooled connection out and when it
    /// takes one back: this tells the two apart.
    in_request: bool,
}

impl CallTransport {
    /// A request starts on this connection: the attempt hears whether the connection is reused.
    fn request_starts(&mut self) {
        if self.in_request {
            return;
        }
        self.in_request = true;
        let reused = std::mem::replace(&mut self.carried, true);
        with_current(|a| {
            a.hop_reused = reused;
            a.hop_answered = false;
        });
    }

    /// Takes the rate-limit slot, once per attempt, before the request's first byte.
    fn pace(&self) -> Result<(), Error> {
        let todo = with_current(|a| {
            a.used = true;
            if a.paced {
                return None;
            }
            a.paced = true;
            a.pace.clone().map(|l| (l, a.cancel.clone(), a.call_ends))
        })
        .flatten();
        let Some((limiter, cancel, call_ends)) = todo else {
            return Ok(());
        };
        match limiter.acquire(cancel.as_ref(), call_ends) {
            Ok((waited, slot)) => {
                with_current(|a| {
                    a.slot = Some(slot);
                    a.waited += waited;
                    a.deadline += waited;
                    if let Some(end) = a.call_ends {
                        a.deadline = a.deadline.min(end);
                    }
                });
                Ok(())
            }
            Err(Refused::Cancelled) => Err(cancelled_error()),
            Err(Refused::TooFar(d)) => {
                with_current(|a| a.slot_too_far = Some(d));
                Err(Error::Timeout(ureq::Timeout::Global))
            }
        }
    }

    /// Waits for input in slices, checking the token and the attempt's deadline between them.
    fn wait(&mut self, timeout: NextTimeout, maybe: bool) -> Result<bool, Error> {
        if warming_up() {
            let b = self.inner.buffers();
            let buf = b.input_append_buf();
            let n = WARM_UP_ANSWER.len().min(buf.len());
            buf[..n].copy_from_slice(&WARM_UP_ANSWER[..n]);
            b.input_appended(n);
            return Ok(n > 0);
        }
        let deadline = deadline_of(timeout);
        let r = loop {
            // Slices bound waits on transports that are not ours (a SOCKS proxy's), which know
            // neither the deadline nor the token; ours already wait this way.
            let t = sliced(deadline)?;
            let r = if maybe {
                self.inner.maybe_await_input(t)
            } else {
                self.inner.await_input(t)
            };
            // The request was written before any wait (ours tell the limiter as they write;
            // other transports, e.g. a SOCKS proxy's, are told here).
            request_written();
            match r {
                Err(Error::Timeout(_)) if Instant::now() < deadline => {}
                Err(Error::Timeout(_)) => break Err(Error::Timeout(ureq::Timeout::Global)),
                r => break r,
            }
        };
        if matches!(r, Ok(true)) {
            with_current(|a| a.hop_answered = true);
        }
        r
    }
}

impl Transport for CallTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        if warming_up() {
            // Sends nothing; a request on it later counts as on a reused connection.
            self.carried = true;
            return Ok(());
        }
        self.request_starts();
        self.pace()?;
        let remaining = deadline_of(timeout).saturating_duration_since(Instant::now());
        self.inner.transmit_output(amount, exact(remaining))
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.wait(timeout, true)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.wait(timeout, false)
    }

    fn is_open(&mut self) -> bool {
        // Taken back after a request, or handed out for one?
        if std::mem::replace(&mut self.in_request, false) {
            // Taken back: ureq has checked that nothing past the answer was read; what arrives
            // later is found when the connection is handed out (one peek per request, not two).
            return true;
        }
        // The resend after a stale connection refuses every pooled one, for each hop (they sat
        // idle as long; a server that closes after a redirect does so again).
        let refuse = with_current(|a| a.fresh_only).unwrap_or(false);
        !refuse && self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// A connection refused because it would reach this machine (see [`GuardThisMachine`]).
#[derive(Debug)]
pub(crate) struct ThisMachine;

impl std::fmt::Display for ThisMachine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::messages::Msg::ThisMachine.text())
    }
}

impl std::error::Error for ThisMachine {}

/// Whether a connection to `ip` reaches this machine: loopback (also IPv4-mapped) or the
/// unspecified address (connecting to 0.0.0.0 or :: reaches the local host).
fn is_this_machine(ip: std::net::IpAddr) -> bool {
    let ip = match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map(Into::into).unwrap_or(ip),
        v4 => v4,
    };
    ip.is_loopback() || ip.is_unspecified()
}

/// The first connector of the chain: when the attempt says so (image links while apiUrl is not
/// on loopback), refuses, before any connection is made, a target whose host is a loopback
/// name or address, or (without a proxy) resolves to one. Every hop of a redirect comes here.
/// The hop to a proxy itself is not checked (a local proxy is the user's choice).
#[derive(Debug)]
pub struct GuardThisMachine {
    /// Whether the agent sends requests through a proxy (as in [`CallConnector`]).
    pub agent_has_proxy: bool,
}

impl<In: Transport> Connector<In> for GuardThisMachine {
    type Out = In;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<In>, Error> {
        let to_proxy = self.agent_has_proxy && details.config.proxy().is_none();
        if to_proxy || !with_current(|a| a.not_this_machine).unwrap_or(false) {
            return Ok(chained);
        }
        let host = details.uri.host().unwrap_or_default().to_ascii_lowercase();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let literal = crate::answer::validate::is_loopback_host(&host)
            || bare.parse().is_ok_and(is_this_machine)
            || bare
                .strip_suffix('.')
                .unwrap_or(bare)
                .ends_with(".localhost");
        let resolved = details.config.proxy().is_none()
            && details.addrs.iter().any(|a| is_this_machine(a.ip()));
        if literal || resolved {
            return Err(Error::Io(io::Error::other(ThisMachine)));
        }
        Ok(chained)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Shutdown, TcpListener};

    #[test]
    fn a_peek_tells_nothing_bytes_and_close_apart_and_reads_nothing() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (mut server, _) = l.accept().unwrap();
        assert_eq!(peek(&client), Peek::Nothing);
        server.write_all(b"HTTP/1.1 200 OK\r\n").unwrap();
        let t0 = Instant::now();
        while peek(&client) == Peek::Nothing && t0.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(peek(&client), Peek::Bytes);
        // Nothing was consumed, and the socket still blocks (with a timeout) as before.
        client
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut got = [0u8; 17];
        (&client).read_exact(&mut got).unwrap();
        assert_eq!(&got, b"HTTP/1.1 200 OK\r\n");
        assert_eq!(peek(&client), Peek::Nothing);
        let e = (&client).read(&mut got).unwrap_err();
        assert!(is_wait_over(&e), "{e:?}");
        server.shutdown(Shutdown::Write).unwrap();
        let t0 = Instant::now();
        while peek(&client) == Peek::Nothing && t0.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(peek(&client), Peek::Closed);
    }

    #[test]
    fn this_machine_is_loopback_unspecified_or_mapped_loopback() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "0.0.0.0",
            "::",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_this_machine(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "10.0.0.1", "::ffff:8.8.8.8", "2001:db8::1"] {
            assert!(!is_this_machine(ip.parse().unwrap()), "{ip}");
        }
    }
}
