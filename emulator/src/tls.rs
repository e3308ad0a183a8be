//! HTTPS for the emulator: a rustls front (TLS 1.3 and 1.2, session tickets and a session cache
//! on) that terminates TLS and hands the plaintext to the emulator over an internal loopback
//! connection, so every route, fault and log works the same over HTTPS. It counts connections and
//! full and resumed handshakes, and can delay accepting and the handshake.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rustls::server::{ServerConfig, ServerConnection, ServerSessionMemoryCache};
use rustls::HandshakeKind;

use crate::accept::spawn_accept_loop;
use crate::arrival::Stamped;
use crate::{lock, State};

/// A self-signed certificate for `localhost`, `127.0.0.1` and [`crate::PROXIED_HOST`] and the
/// server config using it.
pub(crate) fn server_config() -> Result<(Arc<ServerConfig>, String), String> {
    let names = ["localhost", "127.0.0.1", crate::PROXIED_HOST].map(String::from);
    let cert = rcgen::generate_simple_self_signed(names.to_vec()).map_err(|e| e.to_string())?;
    let pem = cert.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .map_err(|e| e.to_string())?;
    cfg.ticketer = rustls::crypto::ring::Ticketer::new().map_err(|e| e.to_string())?;
    cfg.session_storage = ServerSessionMemoryCache::new(1024);
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(cfg), pem))
}

/// Accepts TLS connections on `listener` and relays each to `inner` (the emulator's internal
/// plaintext port).
pub(crate) fn spawn_accept(
    state: &Arc<State>,
    listener: TcpListener,
    inner: SocketAddr,
    cfg: Arc<ServerConfig>,
) -> std::io::Result<thread::JoinHandle<()>> {
    crate::arrival::enable_on_listener(&listener);
    let (st, stop) = (state.clone(), state.clone());
    spawn_accept_loop(
        "emulator-tls-accept",
        "emulator-tls",
        listener,
        move || stop.stop.load(Ordering::SeqCst),
        move |sock| {
            st.counters.connections.fetch_add(1, Ordering::SeqCst);
            let (st, cfg) = (st.clone(), cfg.clone());
            move || serve_tls(st, sock, inner, cfg)
        },
    )
}

fn serve_tls(st: Arc<State>, mut sock: TcpStream, inner: SocketAddr, cfg: Arc<ServerConfig>) {
    let _ = sock.set_nodelay(true);
    let id = st.next_conn.fetch_add(1, Ordering::SeqCst);
    if let Ok(c) = sock.try_clone() {
        lock(&st.conns).insert(id, c);
    }
    let (accept_delay, tls_delay) = {
        let c = lock(&st.config);
        (c.accept_delay, c.tls_delay)
    };
    thread::sleep(accept_delay);
    let Ok(reader) = sock.try_clone() else { return };
    let mut rd = Stamped::new(reader);
    if let Ok(mut conn) = ServerConnection::new(cfg) {
        if handshake(&mut conn, &mut rd, &mut sock, tls_delay) {
            let c = &st.counters;
            match conn.handshake_kind() {
                Some(HandshakeKind::Resumed) => c.tls_resumed.fetch_add(1, Ordering::SeqCst),
                _ => c.tls_full.fetch_add(1, Ordering::SeqCst),
            };
            if let Ok(plain) = TcpStream::connect(inner) {
                let _ = plain.set_nodelay(true);
                // Requests reach the emulator through `plain`: it counts each one as arriving
                // when its TLS record reached this front (see `server::arrival`).
                let key = plain.local_addr().ok();
                let note = |at: Instant| {
                    if let Some(k) = key {
                        lock(&st.tls_arrivals).entry(k).or_insert(at);
                    }
                };
                relay(&mut conn, &mut rd, &mut sock, plain, &note);
                if let Some(k) = key {
                    lock(&st.tls_arrivals).remove(&k);
                }
            }
        } else {
            st.counters.tls_failed.fetch_add(1, Ordering::SeqCst);
        }
    }
    close_gracefully(&mut sock);
    lock(&st.conns).remove(&id);
}

/// Runs the handshake, waiting `delay` before the server's first flight. False when it failed.
fn handshake(
    conn: &mut ServerConnection,
    rd: &mut Stamped,
    sock: &mut TcpStream,
    delay: Duration,
) -> bool {
    let mut delayed = delay.is_zero();
    while conn.is_handshaking() {
        if conn.wants_write() {
            if !delayed {
                thread::sleep(delay);
                delayed = true;
            }
            if conn.write_tls(sock).is_err() {
                return false;
            }
            continue;
        }
        match conn.read_tls(rd) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        if conn.process_new_packets().is_err() {
            let _ = conn.write_tls(sock); // the alert
            return false;
        }
    }
    flush(conn, sock)
}

fn flush(conn: &mut ServerConnection, sock: &mut TcpStream) -> bool {
    while conn.wants_write() {
        if conn.write_tls(sock).is_err() {
            return false;
        }
    }
    true
}

/// Moves plaintext between the TLS connection and the emulator until either side is done.
/// `note` hears when a read brought plaintext (a request, or its first part).
fn relay(
    conn: &mut ServerConnection,
    rd: &mut Stamped,
    sock: &mut TcpStream,
    mut plain: TcpStream,
    note: &dyn Fn(Instant),
) {
    let mut buf = vec![0u8; 64 * 1024];
    // The handshake's last read may have brought the first request too.
    if conn
        .process_new_packets()
        .is_ok_and(|io| io.plaintext_bytes_to_read() > 0)
    {
        note(rd.last());
    }
    let mut client_open = pass_plaintext(conn, &mut plain, &mut buf);
    loop {
        if !flush(conn, sock) {
            crate::wire::reset_connection(&plain);
            return;
        }
        let ready = wait_readable(client_open.then_some(&*sock), &plain);
        let (client, emulator) = match ready {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        if client_open && client {
            client_open = from_client(conn, rd, sock, &mut plain, &mut buf, note);
        }
        if emulator && !from_emulator(conn, sock, &mut plain, &mut buf) {
            return;
        }
    }
}

/// Waits until `a` (when given) or `b` can be read (or is closed); says which of them can.
#[cfg(unix)]
fn wait_readable(a: Option<&TcpStream>, b: &TcpStream) -> std::io::Result<(bool, bool)> {
    use std::os::unix::io::AsRawFd;
    let fd = |fd| libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let mut fds = [fd(a.map_or(-1, |s| s.as_raw_fd())), fd(b.as_raw_fd())];
    // SAFETY: two valid pollfd entries.
    if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((fds[0].revents != 0, fds[1].revents != 0))
}

/// Waits until `a` (when given) or `b` can be read (or is closed); says which of them can.
/// Without poll(2): peeks at each in turn, 5 ms at a time.
#[cfg(not(unix))]
fn wait_readable(a: Option<&TcpStream>, b: &TcpStream) -> std::io::Result<(bool, bool)> {
    use std::io::ErrorKind::{TimedOut, WouldBlock};
    let ready = |s: &TcpStream| -> std::io::Result<bool> {
        s.set_read_timeout(Some(Duration::from_millis(5)))?;
        let peek = s.peek(&mut [0u8; 1]);
        let r = !matches!(peek, Err(e) if matches!(e.kind(), WouldBlock | TimedOut));
        s.set_read_timeout(None)?;
        Ok(r)
    };
    loop {
        let ra = match a {
            Some(s) => ready(s)?,
            None => false,
        };
        let rb = ready(b)?;
        if ra || rb {
            return Ok((ra, rb));
        }
    }
}

/// Reads what the emulator answered and passes it to the client; false once the relay is done
/// (the emulator closed, with a close_notify to the client, or reset, with a reset to it).
fn from_emulator(
    conn: &mut ServerConnection,
    sock: &mut TcpStream,
    plain: &mut TcpStream,
    buf: &mut [u8],
) -> bool {
    match plain.read(buf) {
        Ok(0) => {
            conn.send_close_notify();
            let _ = flush(conn, sock);
            false
        }
        Ok(n) => conn.writer().write_all(&buf[..n]).is_ok(),
        Err(_) => {
            // The emulator reset the connection (a fault): so does the front.
            let _ = flush(conn, sock);
            crate::wire::reset_connection(sock);
            false
        }
    }
}

/// Reads what the client sent and passes its plaintext on; false once the client is done.
fn from_client(
    conn: &mut ServerConnection,
    rd: &mut Stamped,
    sock: &mut TcpStream,
    plain: &mut TcpStream,
    buf: &mut [u8],
    note: &dyn Fn(Instant),
) -> bool {
    let done = |plain: &mut TcpStream| {
        let _ = plain.shutdown(Shutdown::Write);
        false
    };
    match conn.read_tls(rd) {
        Ok(0) | Err(_) => return done(plain),
        Ok(_) => {}
    }
    match conn.process_new_packets() {
        Ok(io) if io.plaintext_bytes_to_read() > 0 => note(rd.last()),
        Ok(_) => {}
        Err(_) => {
            let _ = conn.write_tls(sock);
            return done(plain);
        }
    }
    pass_plaintext(conn, plain, buf)
}

/// Passes the plaintext rustls holds on to the emulator; false once the client is done.
fn pass_plaintext(conn: &mut ServerConnection, plain: &mut TcpStream, buf: &mut [u8]) -> bool {
    let done = |plain: &mut TcpStream| {
        let _ = plain.shutdown(Shutdown::Write);
        false
    };
    loop {
        match conn.reader().read(buf) {
            Ok(0) => return done(plain), // close_notify
            Ok(n) => {
                if plain.write_all(&buf[..n]).is_err() {
                    return done(plain);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
            Err(_) => return done(plain),
        }
    }
}

/// Stops writing, drains what the client still sends (briefly), then lets the socket drop:
/// closing with unread input would make the kernel send a reset.
fn close_gracefully(sock: &mut TcpStream) {
    let _ = sock.shutdown(Shutdown::Write);
    let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    while let Ok(n) = sock.read(&mut sink) {
        if n == 0 {
            break;
        }
    }
}
