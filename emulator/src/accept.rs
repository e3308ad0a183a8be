//! The accept loop shared by the emulator, its TLS front, the delay relay and the test proxies.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};

/// Accepts connections on `listener` on a thread named `name` until `stopping()` says so (checked
/// after each accept: whoever stops it then connects once to wake it). Each connection goes to
/// `on_conn`, which does what must happen at once (counting it, say) and returns the work that
/// serves it, run on a thread of its own named `conn_name`.
pub(crate) fn spawn_accept_loop<S, F, W>(
    name: &str,
    conn_name: &'static str,
    listener: TcpListener,
    stopping: S,
    mut on_conn: F,
) -> io::Result<JoinHandle<()>>
where
    S: Fn() -> bool + Send + 'static,
    F: FnMut(TcpStream) -> W + Send + 'static,
    W: FnOnce() + Send + 'static,
{
    thread::Builder::new().name(name.into()).spawn(move || {
        for conn in listener.incoming() {
            if stopping() {
                break;
            }
            let Ok(stream) = conn else { continue };
            let work = on_conn(stream);
            let _ = thread::Builder::new().name(conn_name.into()).spawn(work);
        }
    })
}
