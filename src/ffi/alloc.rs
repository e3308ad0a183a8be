//! The allocator of result blocks (see `block.rs`): one allocation per returned object (a
//! `GaAvatar*` or `GaAvatarImage*` with its strings and image inside), recorded in a registry of
//! live blocks so that `ga_free` knows its own blocks without reading any memory it did not
//! allocate. A pointer that is not a live block (foreign, inside a result, already freed) is
//! refused and nothing is freed.
//! The registry's lock is fork-safe on Unix: `pthread_atfork` handlers take it before `fork()`
//! and release it in both processes, so a child never inherits it locked or half-updated.

use std::alloc::{alloc, dealloc, Layout};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard};

/// Every block's alignment: enough for any result struct.
pub(crate) const ALIGN: usize = 16;

/// Hashes a block address (16-aligned, chosen by the allocator, not by any input): one
/// multiplication, so the registry costs little more than the lock.
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ *b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_usize(&mut self, n: usize) {
        // The low 4 bits stay zero (addresses are 16-aligned): the table then starts each probe
        // at a 16-slot group boundary and the top 7 bits pick within it; measured faster than
        // folding the high half down, as sequential addresses stay near each other.
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Live blocks: address -> size in bytes.
type Registry = HashMap<usize, usize, BuildHasherDefault<AddrHasher>>;

static LIVE: Mutex<Registry> = Mutex::new(HashMap::with_hasher(BuildHasherDefault::new()));

fn live() -> MutexGuard<'static, Registry> {
    fork::register_once();
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(unix)]
mod fork {
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::MutexGuard;

    thread_local! {
        /// The registry lock held across `fork()` by the forking thread.
        static HELD: RefCell<Option<MutexGuard<'static, super::Registry>>> =
            const { RefCell::new(None) };
    }

    extern "C" fn prepare() {
        let g = super::LIVE.lock().unwrap_or_else(|e| e.into_inner());
        let _ = HELD.try_with(|h| *h.borrow_mut() = Some(g));
    }

    extern "C" fn release() {
        // Dropping the guard unlocks: in the parent, and in the child (whose only thread is
        // the copy of the forking thread that took the lock).
        let _ = HELD.try_with(|h| h.borrow_mut().take());
    }

    static REGISTERED: AtomicBool = AtomicBool::new(false);

    /// Registers the fork handlers the first time a block is made or freed. Never waits: a
    /// child forked at any moment cannot find this half-done and block on it.
    pub(super) fn register_once() {
        if !REGISTERED.load(Ordering::Acquire) && !REGISTERED.swap(true, Ordering::AcqRel) {
            // SAFETY: plain function pointers with C linkage that never unwind.
            unsafe { libc::pthread_atfork(Some(prepare), Some(release), Some(release)) };
        }
    }
}

#[cfg(not(unix))]
mod fork {
    pub(super) fn register_once() {}
}

/// Allocates `size` bytes, 16-byte aligned, that `free_block` releases. NULL when memory runs out
/// (the registry's growth included: nothing aborts).
pub(crate) fn alloc_block(size: usize) -> *mut u8 {
    let Ok(layout) = Layout::from_size_align(size.max(1), ALIGN) else {
        return std::ptr::null_mut();
    };
    // SAFETY: layout has non-zero size.
    let p = unsafe { alloc(layout) };
    if p.is_null() {
        return p;
    }
    let mut reg = live();
    if reg.try_reserve(1).is_err() {
        drop(reg);
        // SAFETY: just allocated with this layout, never handed out.
        unsafe { dealloc(p, layout) };
        return std::ptr::null_mut();
    }
    reg.insert(p as usize, layout.size());
    p
}

/// Frees a block from `alloc_block`. Returns false (and frees nothing, reading nothing at `p`)
/// when `p` is not a live block: a foreign pointer, a pointer inside a block, or a second free.
pub(crate) fn free_block(p: *mut u8) -> bool {
    let size = {
        let mut reg = live();
        let Some(size) = reg.remove(&(p as usize)) else {
            return false;
        };
        if reg.is_empty() {
            // No live block: the table goes too. A table kept until exit is reachable only
            // through a pointer into its middle (hashbrown's), which valgrind reports as
            // "possibly lost"; the next block makes a new one (one small allocation).
            *reg = Registry::default();
        }
        size
    };
    // SAFETY: p is a live block of this size and alignment, removed from the registry above so
    // it is freed once.
    unsafe { dealloc(p, Layout::from_size_align_unchecked(size, ALIGN)) };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_live_blocks_are_freed_and_only_once() {
        let p = alloc_block(40);
        assert!(!p.is_null() && p as usize % ALIGN == 0);
        // SAFETY: a 40-byte block.
        let inside = unsafe { p.add(16) };
        assert!(!free_block(inside), "a pointer inside a block");
        let mut local = [0u8; 32];
        assert!(!free_block(local.as_mut_ptr()), "foreign memory");
        assert!(free_block(p));
        assert!(!free_block(p), "a second free");
        assert!(
            alloc_block(usize::MAX).is_null(),
            "too large: NULL, no abort"
        );
    }
}
