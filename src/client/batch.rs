//! Batches: many lookups on a few worker threads, results in the order asked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{Client, Error};
use crate::cancel::Cancel;
use crate::response::Avatar;
use crate::status::GaStatus;

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
        let no_memory = || Error {
            status: GaStatus::GA_ERR_INTERNAL,
            http_status: 0,
            message: format!("out of memory for a batch of {count} chat ids; nothing was sent"),
        };
        let mut out = Vec::new();
        out.try_reserve_exact(count).map_err(|_| no_memory())?;
        let one = |i: usize| id(i).and_then(|s| self.lookup(s, cancel));
        let workers = (self.concurrency.load(Ordering::Relaxed) as usize).min(count);
        if workers <= 1 {
            out.extend((0..count).map(one));
            return Ok(out);
        }
        let mut slots: Vec<Mutex<Option<Result<Avatar, Error>>>> = Vec::new();
        slots.try_reserve_exact(count).map_err(|_| no_memory())?;
        slots.extend((0..count).map(|_| Mutex::new(None)));
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
        out.extend(slots.into_iter().map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| {
                    Err(Error {
                        status: GaStatus::GA_ERR_INTERNAL,
                        http_status: 0,
                        message: "batch worker lost a result".into(),
                    })
                })
        }));
        Ok(out)
    }
}
