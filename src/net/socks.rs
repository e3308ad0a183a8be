//! SOCKS proxies through ureq's connector, held to the attempt's deadline and cancel token.
//!
//! ureq's `SocksConnector` opens its own socket and runs the handshake with blocking reads timed
//! only by the connection timeout it is given, so [`Socks`] gives it a copy of the connection
//! details whose timeout is cut to what is left of the attempt (the deadline setting included).
//! Its reads cannot be sliced, so while it runs with a cancel token a watcher thread looks at the
//! token every [`SLICE`] and, once cancelled, shuts the proxy socket down (ureq registers it
//! before the handshake), which ends a blocked read at once. The TCP connect to the proxy itself
//! is not interruptible: a cancel during it takes effect when it ends (at the latest at the
//! attempt's deadline).

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, Weak};

use ureq::unversioned::transport::time::Duration as UreqDuration;
use ureq::unversioned::transport::{
    ConnectionDetails, Connector, NextTimeout, ShutdownHandle, SocksConnector, Transport,
};
use ureq::{Error, ProxyProtocol};

use crate::cancel::Cancel;
use crate::net::transport::{attempt_cancel, attempt_left, cancelled_error, SLICE};

/// ureq's SOCKS connector under the attempt's deadline and cancel token.
#[derive(Debug, Default)]
pub struct Socks(SocksConnector);

/// Shutdown handles of the sockets opened while a handshake runs.
type Handles = Arc<Mutex<Vec<Weak<dyn ShutdownHandle>>>>;

impl<In: Transport> Connector<In> for Socks {
    type Out = <SocksConnector as Connector<In>>::Out;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        let socks = details.config.proxy().is_some_and(|p| {
            matches!(
                p.protocol(),
                ProxyProtocol::Socks4
                    | ProxyProtocol::Socks4A
                    | ProxyProtocol::Socks5
                    | ProxyProtocol::Socks5h
            )
        });
        if chained.is_some() || !socks {
            return self.0.connect(details, chained);
        }
        let handles: Handles = Arc::default();
        let register = {
            let (handles, inner) = (handles.clone(), details.register_shutdown.clone());
            Arc::new(move |h: Weak<dyn ShutdownHandle>| {
                lock(&handles).push(h.clone());
                inner(h)
            })
        };
        let hop = ConnectionDetails {
            uri: details.uri,
            addrs: details.addrs.clone(),
            config: details.config,
            request_level: details.request_level,
            resolver: details.resolver,
            now: (details.current_time)(),
            timeout: cut(details, attempt_left()),
            current_time: details.current_time.clone(),
            run_connector: details.run_connector.clone(),
            register_shutdown: register,
        };
        let cancel = attempt_cancel();
        let r = match &cancel {
            Some(c) => watched(c, &handles, || self.0.connect(&hop, None)),
            None => self.0.connect(&hop, None),
        };
        match r {
            Err(_) if cancel.as_ref().is_some_and(Cancel::is_cancelled) => Err(cancelled_error()),
            Err(Error::Io(e)) if is_timeout(&e) => Err(Error::Timeout(ureq::Timeout::Connect)),
            r => r,
        }
    }
}

/// ureq's connection timeout, cut to `left` (what is left of the attempt), if shorter.
fn cut(details: &ConnectionDetails, left: Option<std::time::Duration>) -> NextTimeout {
    let mut t = details.timeout;
    if let Some(left) = left {
        if t.after.is_not_happening() || *t.after > left {
            t.after = UreqDuration::Exact(left);
        }
    }
    t
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `connect` while a watcher thread shuts the registered sockets down once `cancel` is
/// cancelled. Without a thread (none could be started) it runs unwatched.
fn watched<T>(cancel: &Cancel, handles: &Handles, connect: impl FnOnce() -> T) -> T {
    let (done, wait) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        let watcher = std::thread::Builder::new()
            .name("getavatar-socks".into())
            .spawn_scoped(s, move || loop {
                match wait.recv_timeout(SLICE) {
                    Err(RecvTimeoutError::Timeout) if cancel.is_cancelled() => {
                        let hs: Vec<_> = lock(handles).iter().filter_map(Weak::upgrade).collect();
                        hs.iter().for_each(|h| h.shutdown());
                        if !hs.is_empty() {
                            return;
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
            });
        let out = connect();
        drop(done);
        drop(watcher);
        out
    })
}
