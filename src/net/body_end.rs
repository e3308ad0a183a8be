//! How a connection ended while a response body was read. A body without Content-Length (nor
//! chunked encoding) runs until the server closes the connection, and ureq takes a reset, or over
//! TLS a close without `close_notify`, for the end of it: an image cut short that way would pass
//! for a whole one. [`WatchEnds`] wraps every connection and counts, per thread, the reads that
//! ended so; image downloads compare the count before and after reading a body. (ureq reads on
//! the calling thread, so the count is the call's own.) A clean close (FIN) over plain HTTP ends
//! a body of that kind normally and cannot be told from a complete one.

use std::cell::Cell;

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

thread_local! {
    static ABRUPT_ENDS: Cell<u64> = const { Cell::new(0) };
}

/// How many reads on this thread have ended with a reset, an abort or, over TLS, a close
/// without `close_notify`.
pub(crate) fn abrupt_ends() -> u64 {
    ABRUPT_ENDS.try_with(Cell::get).unwrap_or(0)
}

/// The last link of the agent's connector chain: wraps each connection in [`Watched`].
#[derive(Debug)]
pub(crate) struct WatchEnds;

impl<In: Transport> Connector<In> for WatchEnds {
    type Out = Watched<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Watched<In>>, ureq::Error> {
        Ok(chained.map(Watched))
    }
}

/// A connection whose abrupt ends are counted.
#[derive(Debug)]
pub(crate) struct Watched<T>(T);

impl<T: Transport> Transport for Watched<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.0.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        use std::io::ErrorKind as K;
        let r = self.0.await_input(timeout);
        if let Err(ureq::Error::Io(e)) = &r {
            if matches!(
                e.kind(),
                K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof
            ) {
                let _ = ABRUPT_ENDS.try_with(|n| n.set(n.get() + 1));
            }
        }
        r
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}
