//! Runs the lookups on a pool of threads sharing one client (so its rate limit holds across
//! them) and hands the rows over in input order as soon as each is ready.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use getavatar::{Cancel, GaStatus};

use crate::output::Row;

/// Asks a run to stop: no new lookup starts, and those in flight are cancelled through the
/// library's token (they end at once with `GA_ERR_CANCELLED`; `run` drops those rows, so only
/// finished rows are written).
#[derive(Default)]
pub struct Stop {
    requested: AtomicBool,
    cancel: Cancel,
    /// The first row whose failure belongs to the whole instance, when one stopped the run.
    halted_by: Mutex<Option<Row>>,
}

impl Stop {
    /// Stops dispatching, and cancels the lookups in flight (their rows are dropped).
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.cancel.cancel();
    }

    /// The token the lookups of this run are given.
    pub fn token(&self) -> &Cancel {
        &self.cancel
    }

    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Stops the run because of `row`'s failure, which every lookup would meet (the first such
    /// row in input order is kept).
    fn halt(&self, row: Row) {
        let mut h = self.halted_by.lock().unwrap_or_else(|e| e.into_inner());
        if h.as_ref().is_none_or(|r| r.line > row.line) {
            *h = Some(row);
        }
        drop(h);
        self.request();
    }

    /// The row that stopped the run, if one did.
    pub fn halted_by(&self) -> Option<Row> {
        self.halted_by
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// How a run ended.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows handed to `emit`, in order.
    pub written: usize,
    /// Of those, failed ones.
    pub failed: usize,
}

/// Computes `count` rows with `row(i)` on `workers` threads and hands each to `emit` in index
/// order as soon as it and all before it are ready. Stops dispatching when `stop` is requested
/// or `emit` fails (then it returns that error after the lookups in flight end or are cancelled),
/// or a row's failure belongs to the whole instance (`Row::stops_run`: that row is not emitted,
/// see [`Stop::halted_by`]); rows after the first one not computed are dropped.
pub fn run<R, E>(
    count: usize,
    workers: usize,
    stop: &Stop,
    row: R,
    mut emit: E,
) -> (Summary, std::io::Result<()>)
where
    R: Fn(usize) -> Row + Sync,
    E: FnMut(&Row) -> std::io::Result<()>,
{
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Row)>();
    let mut summary = Summary::default();
    let mut result = Ok(());
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, count.max(1)) {
            let tx = tx.clone();
            let (next, row) = (&next, &row);
            s.spawn(move || loop {
                if stop.requested() {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= count {
                    break;
                }
                let r = row(i);
                if r.stops_run {
                    stop.halt(r);
                    break;
                }
                // Cut short by the stop: not a finished row (the rows after it are dropped).
                if r.status == GaStatus::GA_ERR_CANCELLED || tx.send((i, r)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let (mut pending, mut done) = (BTreeMap::new(), 0);
        for (i, r) in rx {
            pending.insert(i, r);
            while let Some(r) = pending.remove(&done) {
                done += 1;
                if result.is_ok() {
                    result = emit(&r);
                    if result.is_ok() {
                        summary.written += 1;
                        summary.failed += usize::from(r.failed());
                    } else {
                        stop.request();
                    }
                }
            }
        }
    });
    (summary, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn row(i: usize) -> Row {
        Row {
            line: i as u64,
            chat_id: i.to_string(),
            status: if i % 3 == 0 {
                GaStatus::GA_ERR_SERVER
            } else {
                GaStatus::GA_OK
            },
            http_status: 200,
            url: String::new(),
            available: None,
            file: None,
            error: String::new(),
            stops_run: false,
            kept: Vec::new(),
        }
    }

    #[test]
    fn rows_come_out_in_order_whatever_order_they_finish_in() {
        let mut seen = Vec::new();
        let (s, r) = run(
            40,
            8,
            &Stop::default(),
            |i| {
                std::thread::sleep(Duration::from_millis(((40 - i) % 7) as u64 * 3));
                row(i)
            },
            |r| {
                seen.push(r.line);
                Ok(())
            },
        );
        assert!(r.is_ok());
        assert_eq!(seen, (0..40).collect::<Vec<u64>>());
        assert_eq!(
            s,
            Summary {
                written: 40,
                failed: 14
            }
        );
    }

    #[test]
    fn a_stop_keeps_an_unbroken_prefix() {
        let stop = Stop::default();
        let mut seen = Vec::new();
        let (s, _) = run(
            100,
            4,
            &stop,
            |i| {
                if i == 10 {
                    stop.request();
                }
                std::thread::sleep(Duration::from_millis(5));
                row(i)
            },
            |r| {
                seen.push(r.line);
                Ok(())
            },
        );
        assert!(s.written >= 11 && s.written < 100, "{s:?}");
        assert_eq!(seen, (0..s.written as u64).collect::<Vec<_>>());
    }

    #[test]
    fn an_instance_failure_stops_the_run_and_keeps_the_rows_before_it() {
        let stop = Stop::default();
        let mut seen = Vec::new();
        let calls = AtomicUsize::new(0);
        let (s, r) = run(
            1000,
            4,
            &stop,
            |i| {
                calls.fetch_add(1, Ordering::SeqCst);
                let mut r = row(i);
                r.stops_run = i == 20;
                r
            },
            |r| {
                seen.push(r.line);
                Ok(())
            },
        );
        assert!(r.is_ok());
        assert!(stop.requested());
        assert_eq!(stop.halted_by().map(|r| r.line), Some(20));
        assert!(s.written <= 20, "{s:?}");
        assert_eq!(seen, (0..s.written as u64).collect::<Vec<_>>());
        assert!(calls.load(Ordering::SeqCst) < 100);
    }

    #[test]
    fn a_failing_output_stops_the_run() {
        let calls = AtomicUsize::new(0);
        let (_, r) = run(
            1000,
            2,
            &Stop::default(),
            |i| {
                calls.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
                row(i)
            },
            |r| {
                if r.line == 5 {
                    Err(std::io::Error::other("disk full"))
                } else {
                    Ok(())
                }
            },
        );
        assert!(r.is_err());
        assert!(calls.load(Ordering::SeqCst) < 100);
    }
}
