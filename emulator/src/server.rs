//! The connections: accepting them, reading requests one after another, and routing each to
//! the control API, the images or the method.

use std::io::{BufReader, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::accept::spawn_accept_loop;
use crate::arrival::Stamped;
use crate::control::control;
use crate::wire::{read_request, reset_connection, Conn, Request};
use crate::{api, lock, State};

/// Accepts connections on `listener`; `public` ones are counted and delayed.
pub(crate) fn spawn_accept(
    state: &Arc<State>,
    listener: TcpListener,
    public: bool,
) -> std::io::Result<thread::JoinHandle<()>> {
    crate::arrival::enable_on_listener(&listener);
    let st = state.clone();
    let stop = state.clone();
    spawn_accept_loop(
        "emulator-accept",
        "emulator-conn",
        listener,
        move || stop.stop.load(Ordering::SeqCst),
        move |stream| {
            if public {
                st.counters.connections.fetch_add(1, Ordering::SeqCst);
            }
            let st = st.clone();
            move || serve(st, stream, public)
        },
    )
}

/// Serves one connection until it ends.
fn serve(st: Arc<State>, stream: TcpStream, public: bool) {
    if public {
        let d = lock(&st.config).accept_delay;
        thread::sleep(d);
    }
    let _ = stream.set_nodelay(true);
    let id = st.next_conn.fetch_add(1, Ordering::SeqCst);
    if let Ok(c) = stream.try_clone() {
        lock(&st.conns).insert(id, c);
    }
    let mut w = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut r = BufReader::new(Stamped::new(stream));
    if answer_requests(&st, &mut w, &mut r) {
        close_gracefully(&w, &mut r);
    }
    lock(&st.conns).remove(&id);
}

/// Answers the requests of a connection until one asks to close, an answer ends it, the client
/// goes away or the emulator stops; false when it reset the connection instead (see
/// [`crate::Emulator::set_idle_forget`]).
fn answer_requests(st: &State, w: &mut TcpStream, r: &mut BufReader<Stamped>) -> bool {
    let mut last_answer: Option<Instant> = None;
    while !st.stop.load(Ordering::SeqCst) {
        let Some(mut req) = read_request(r) else {
            break;
        };
        req.arrived = arrival(st, r.get_mut());
        let forget = *lock(&st.idle_forget);
        if let (Some(d), Some(t)) = (forget, last_answer) {
            if t.elapsed() > d && !req.path.starts_with("/__emulator/") {
                reset_connection(w);
                return false;
            }
        }
        let mut c = Conn {
            w: &mut *w,
            r: &mut *r,
            close: req.close,
        };
        let keep = handle(st, &req, &mut c) && !req.close;
        if !keep {
            break;
        }
        last_answer = Some(Instant::now());
    }
    true
}

/// Closes gracefully: stops writing, drains what the client still sends, then lets the socket
/// drop. Dropping a socket with unread input makes the kernel send a reset instead of a clean
/// close.
fn close_gracefully(w: &TcpStream, r: &mut BufReader<Stamped>) {
    let _ = w.shutdown(Shutdown::Write);
    let _ = w.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    while let Ok(n) = r.get_mut().read(&mut sink) {
        if n == 0 {
            break;
        }
    }
}

/// When the request just read arrived: at the TLS front when it came through it (the front
/// recorded it under this connection's peer address), else at this connection.
fn arrival(st: &State, r: &mut Stamped) -> Instant {
    let own = r.take_first();
    let front = r
        .get_ref()
        .peer_addr()
        .ok()
        .and_then(|a| lock(&st.tls_arrivals).remove(&a));
    front.unwrap_or(own)
}

/// Answers one request; false when the connection must close.
fn handle(st: &State, req: &Request, c: &mut Conn) -> bool {
    let path = req.path.split('?').next().unwrap_or("");
    if let Some(cmd) = path.strip_prefix("/__emulator/") {
        return control(st, cmd, req, c);
    }
    if path.starts_with("/avatars/") || path.starts_with("/hop/") {
        return api::image(st, req, path, c);
    }
    api::get_avatar(st, req, path, c)
}
