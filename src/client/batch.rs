//! Batches: many lookups on a few worker threads, results in the order asked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::retry::cancelled;
use super::{Client, Error};
use crate::answer::response::Avatar;
use crate::cancel::Cancel;
use crate::error::quiet_panics::{in_export, QuietPanics};
use crate::error::status::GaStatus;
use crate::messages::Msg;

impl Client {
    /// `get_avatars` over `count` ids that `id(i)` yields (an `Err` is that entry's error).
    /// Fails with `GA_ERR_INTERNAL`, before any request, when memory for `count` results cannot
    /// be had (a caller-chosen count must never abort the process).
    ///
    /// After a failure of the whole instance ([`Error::is_instance_level`]: a rejected token,
    /// an unknown instance, the quota used up, a network, TLS or proxy failure), the ids not
    /// yet asked get that failure at once instead of a request each; a bad id still gets its
    /// own error, a cancel still wins, and the lookups already under way finish.
    pub(crate) fn get_avatars_with<'a, F>(
        &self,
        count: usize,
        id: F,
        cancel: Option<&Cancel>,
    ) -> Result<Vec<Result<Avatar, Error>>, Error>
    where
        F: Fn(usize) -> Result<&'a str, Error> + Sync,
    {
        let _lang = self.speak();
        let mut out = Vec::new();
        out.try_reserve_exact(count).map_err(|_| no_memory(count))?;
        let halt: OnceLock<Error> = OnceLock::new();
        let one = |i: usize| {
            let chat_id = id(i)?;
            if let Some(e) = halt.get() {
                return Err(self.not_asked(chat_id, e, cancel));
            }
            let r = self.lookup(chat_id, cancel);
            if let Err(e) = &r {
                if e.is_instance_level() {
                    let _ = halt.set(e.clone());
                }
            }
            r
        };
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

    /// The result of an id not asked because the batch met `halt`, a failure of the whole
    /// instance: its own error when the id is bad, `GA_ERR_CANCELLED` after a cancel, else
    /// `halt` (same status and HTTP status), saying it was not sent.
    fn not_asked(&self, chat_id: &str, halt: &Error, cancel: Option<&Cancel>) -> Error {
        if let Err(m) = crate::answer::validate::check_chat_id(chat_id) {
            return self.invalid(m);
        }
        if crate::cancel::check(cancel).is_err() {
            return cancelled(0);
        }
        Error {
            message: Msg::NotSent {
                message: &halt.message,
            }
            .text(),
            ..halt.clone()
        }
    }
}

/// One batch entry's result, filled in by whichever worker looks it up.
type Slot = Mutex<Option<Result<Avatar, Error>>>;

/// The error of a batch whose results do not fit in memory.
fn no_memory(count: usize) -> Error {
    Error {
        status: GaStatus::GA_ERR_INTERNAL,
        http_status: 0,
        message: crate::messages::Msg::OomBatchStart { count }.text(),
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
    // Workers inherit "inside an export" so a panic on them is not printed (see quiet_panics).
    let quiet = in_export();
    // Workers make their messages in the caller's language.
    let lang = crate::messages::Lang::current();
    let work = || {
        let _quiet = quiet.then(QuietPanics::enter);
        let _lang = crate::messages::Scope::enter(lang);
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
                message: crate::messages::Msg::BatchLostResult.text(),
            })
        })
}
