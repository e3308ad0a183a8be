//! Which threads work for a getavatar export: a panic on them is caught by the export and
//! reported as a last error, never printed. The C layer marks its calls (`ffi::panic`); the
//! core's batch workers inherit the mark from the thread that started them.

use std::cell::Cell;

thread_local! {
    /// How many getavatar exports (or batch workers of one) this thread is inside.
    static IN_EXPORT: Cell<u32> = const { Cell::new(0) };
}

/// Marks the current thread as working for a getavatar export while it lives.
pub(crate) struct QuietPanics(());

impl QuietPanics {
    pub(crate) fn enter() -> QuietPanics {
        let _ = IN_EXPORT.try_with(|d| d.set(d.get() + 1));
        QuietPanics(())
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        let _ = IN_EXPORT.try_with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Whether the current thread is inside a getavatar export (batch workers inherit it).
pub(crate) fn in_export() -> bool {
    IN_EXPORT.try_with(|d| d.get() > 0).unwrap_or(false)
}
