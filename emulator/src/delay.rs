//! A delaying TCP relay on loopback: it stands for the network between a client and a server
//! that is `rtt` away (the kernel here has no netem).
//!
//! Every chunk read from one side is written to the other `rtt / 2` after it was read, in each
//! direction, without reordering; chunks are pipelined (a chunk read at `t` leaves at `t + rtt/2`
//! even while earlier ones are still in flight), so a request/answer exchange costs one `rtt`
//! and every TLS handshake flight pays its share.
//!
//! The TCP handshake: the local kernel completes `connect()` at once, so the relay makes the
//! client's first exchange pay for it instead. Nothing the client sends is delivered before
//! `connect_rtts * rtt + rtt / 2` after the connection was accepted, which is when its first byte
//! would reach the server had `connect()` taken one round trip (the default, `connect_rtts = 1`).
//! The relay connects to the target when it accepts; its own connect is on loopback.
//!
//! A clean close (EOF) is passed on as a half-close after the same delay; a reset as a reset.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::accept::spawn_accept_loop;

/// What travels through one direction of a relayed connection.
enum Piece {
    Data(Vec<u8>),
    Eof,
    Reset,
}

struct Shared {
    target: SocketAddr,
    one_way: Mutex<Duration>,
    connect_rtts: Mutex<u32>,
    connections: AtomicU64,
    stop: AtomicBool,
    open: Mutex<HashMap<u64, [TcpStream; 2]>>,
}

/// A running relay; it stops (and drops every relayed connection) when dropped.
pub struct DelayRelay {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<thread::JoinHandle<()>>,
}

impl DelayRelay {
    /// Listens on 127.0.0.1 (a free port) and relays every connection to `target`, adding
    /// `rtt / 2` each way and one extra `rtt` before the client's first byte is delivered.
    pub fn start(target: SocketAddr, rtt: Duration) -> std::io::Result<DelayRelay> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            target,
            one_way: Mutex::new(rtt / 2),
            connect_rtts: Mutex::new(1),
            connections: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            open: Mutex::new(HashMap::new()),
        });
        let (sh, stop) = (shared.clone(), shared.clone());
        let accept = spawn_accept_loop(
            "delay-accept",
            "delay-conn",
            listener,
            move || stop.stop.load(Ordering::SeqCst),
            move |client| {
                let accepted = Instant::now();
                let id = sh.connections.fetch_add(1, Ordering::SeqCst);
                let sh = sh.clone();
                move || relay(sh, id, client, accepted)
            },
        )?;
        Ok(DelayRelay {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The round-trip time it adds (for connections accepted from now on, and for chunks read
    /// from now on).
    pub fn rtt(&self) -> Duration {
        *lock(&self.shared.one_way) * 2
    }

    /// Changes the round-trip time.
    pub fn set_rtt(&self, rtt: Duration) {
        *lock(&self.shared.one_way) = rtt / 2;
    }

    /// How many round trips the TCP handshake costs the client's first exchange (default 1; 0
    /// for none, as for a connection through an already open tunnel).
    pub fn set_connect_rtts(&self, n: u32) {
        *lock(&self.shared.connect_rtts) = n;
    }

    /// How many connections it accepted.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for DelayRelay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        for (_, pair) in lock(&self.shared.open).drain() {
            for s in pair {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Relays one connection: a reader and a writer thread per direction.
fn relay(sh: Arc<Shared>, id: u64, client: TcpStream, accepted: Instant) {
    let one_way = *lock(&sh.one_way);
    let hold = one_way * 2 * *lock(&sh.connect_rtts);
    let Ok(server) = TcpStream::connect(sh.target) else {
        crate::wire::reset_connection(&client);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let clones = (|| {
        Some((
            [client.try_clone().ok()?, server.try_clone().ok()?],
            client.try_clone().ok()?,
            server.try_clone().ok()?,
        ))
    })();
    let Some((pair, c2, s2)) = clones else {
        crate::wire::reset_connection(&client);
        return;
    };
    lock(&sh.open).insert(id, pair);
    // Client to server: nothing before accepted + hold + one way (the TCP handshake's round trip).
    let up = pump(sh.clone(), client, s2, Some(accepted + hold));
    let down = pump(sh.clone(), server, c2, None);
    for h in [up, down].into_iter().flatten() {
        let _ = h.join();
    }
    lock(&sh.open).remove(&id);
}

/// Starts the two threads of one direction: the reader stamps each chunk with its delivery time,
/// the writer delivers in order at those times. Returns the writer's handle.
fn pump(
    sh: Arc<Shared>,
    from: TcpStream,
    to: TcpStream,
    not_before: Option<Instant>,
) -> Option<thread::JoinHandle<()>> {
    let (tx, rx) = channel::<(Instant, Piece)>();
    let sh2 = sh.clone();
    let _ = thread::Builder::new()
        .name("delay-read".into())
        .spawn(move || read_side(sh2, from, tx, not_before));
    thread::Builder::new()
        .name("delay-write".into())
        .spawn(move || write_side(to, rx))
        .ok()
}

fn read_side(
    sh: Arc<Shared>,
    mut from: TcpStream,
    tx: Sender<(Instant, Piece)>,
    not_before: Option<Instant>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let r = from.read(&mut buf);
        let one_way = *lock(&sh.one_way);
        let mut at = Instant::now() + one_way;
        if let Some(nb) = not_before {
            at = at.max(nb + one_way);
        }
        let piece = match r {
            Ok(0) => Piece::Eof,
            Ok(n) => Piece::Data(buf[..n].to_vec()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => Piece::Reset,
        };
        let last = !matches!(piece, Piece::Data(_));
        if tx.send((at, piece)).is_err() || last {
            return;
        }
    }
}

fn write_side(mut to: TcpStream, rx: Receiver<(Instant, Piece)>) {
    while let Ok((at, piece)) = rx.recv() {
        let now = Instant::now();
        if at > now {
            thread::sleep(at - now);
        }
        match piece {
            Piece::Data(d) => {
                if to.write_all(&d).is_err() {
                    crate::wire::reset_connection(&to);
                    return;
                }
            }
            Piece::Eof => {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Piece::Reset => {
                crate::wire::reset_connection(&to);
                return;
            }
        }
    }
}
