//! Batches: many lookups on a few worker threads, results in the order asked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{Client, Error};
use crate::answer::response::Avatar;
use crate::cancel::Cancel;
use crate::error::status::GaStatus;

impl Client {
    /// `get_avatars` over `count` ids that `id(i)` yields (an `Err` is that entry's error).
    /// Fails with `GA_ERR_INTERNAL`, before any request, when memory for `count` results cannot
    /// be had (a caller-chosen count must never abort the process).
    pub(crate) fn get_avatars_with<'a, F>(
        &self,
        count: usize,
        id: F,
        cancel: Option<&Cancel>,
    ) -> Result<Vec<Result<Avatar, Error>>, Error>
    where
        F: Fn(usize) -> Result<&'a str, Error> + Sync,
    {
        let mut out = Vec::new();
        out.try_reserve_exact(count).map_err(|_| no_memory(count))?;
        let one = |i: usize| id(i).and_then(|s| self.lookup(s, cancel));
        let workers = (self.concurrency.load(Ordering::Relaxed) as usize).min(count);
        if workers <= 1 {
            out.extend((0..count).map(one));
            return Ok(out);
        }
        let slots = empty_slots(count)?;
        fill_slots(&slots, workers, &one);
        out.extend(slots.into_iter().map(slot_result));
        Ok(out)
    }
}

/// One batch entry's result, filled in by whichever worker looks it up.
type Slot = Mutex<Option<Result<Avatar, Error>>>;

/// The error of a batch whose results do not fit in memory.
fn no_memory(count: usize) -> Error {
    Error {
        status: GaStatus::GA_ERR_INTERNAL,
        http_status: 0,
        message: format!("out of memory for a batch of {count} chat ids; nothing was sent"),
    }
}

/// `count` empty slots, or the out-of-memory error.
fn empty_slots(count: usize) -> Result<Vec<Slot>, Error> {
    let mut slots: Vec<Slot> = Vec::new();
    slots
        .try_reserve_exact(count)
        .map_err(|_| no_memory(count))?;
    slots.extend((0..count).map(|_| Mutex::new(None)));
    Ok(slots)
}

/// Fills every slot with `one(i)` on up to `workers` threads, the calling thread included.
fn fill_slots<O>(slots: &[Slot], workers: usize, one: &O)
where
    O: Fn(usize) -> Result<Avatar, Error> + Sync,
{
    let count = slots.len();
    let next = AtomicUsize::new(0);
    // Workers inherit "inside an export" so a panic on them is not printed (see ffi::error).
    let quiet = crate::ffi::error::in_export();
    let work = || {
        let _quiet = quiet.then(crate::ffi::error::QuietPanics::enter);
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count {
                break;
            }
            let r = one(i);
            *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        }
    };
    std::thread::scope(|s| {
        // The calling thread is a worker too; when the system refuses more threads, the
        // ones running (at least this one) do all the work.
        for _ in 1..workers {
            if std::thread::Builder::new().spawn_scoped(s, work).is_err() {
                break;
            }
        }
        work();
    });
}

/// A filled slot's result, or an internal error if a worker never filled it.
fn slot_result(m: Slot) -> Result<Avatar, Error> {
    m.into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or_else(|| {
            Err(Error {
                status: GaStatus::GA_ERR_INTERNAL,
                http_status: 0,
                message: "batch worker lost a result".into(),
            })
        })
}
