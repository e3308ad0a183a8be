//! Telling processes apart after `fork()`, and state each process has its own copy of.
//!
//! A forked child inherits the parent's memory: pooled sockets (shared with the parent, so both
//! would read each other's answers), TLS sessions, cached answers, and locks that threads which
//! did not survive the fork may hold forever. [`generation`] is a counter that a
//! `pthread_atfork` child handler bumps (one atomic load a call); [`PerProcess`] holds a value
//! that a process uses only if it made it itself: a child makes a fresh one the first time it
//! uses it, and leaks (never drops) the inherited one, since dropping it could talk on the
//! parent's sockets (a TLS `close_notify`) or wait on a lock held by a thread that is gone.
//! Windows has no fork: the generation never changes there.
//!
//! The sockets of open connections are listed ([`sockets`]): a child closes its copies of their
//! descriptors at the fork (the connections it inherits are never used there), so that a
//! connection closes when the parent closes it, not when the last child exits. Closing a copy
//! sends nothing (no shutdown, no TLS `close_notify`): the parent's connection is unaffected.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The process's fork generation: different in a child from its parent's.
pub fn generation() -> u64 {
    #[cfg(unix)]
    watch::ensure();
    GENERATION.load(Ordering::Acquire)
}

/// What a forked child resets, registered by the modules that own that state (each function
/// async-signal-safe: atomics only). A fixed table, so that registering allocates nothing and
/// the child handler reads it without a lock.
static CHILD_RESETS: [AtomicUsize; 4] = [const { AtomicUsize::new(0) }; 4];

/// Registers `reset` to run in every forked child right after the fork (once per function; a
/// module registers before it makes the state `reset` clears).
pub(crate) fn reset_in_child(reset: fn()) {
    let v = reset as usize;
    for slot in &CHILD_RESETS {
        match slot.compare_exchange(0, v, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return,
            Err(current) if current == v => return,
            Err(_) => {}
        }
    }
    debug_assert!(false, "fork::CHILD_RESETS is full");
}

#[cfg_attr(not(unix), allow(dead_code))]
fn run_child_resets() {
    for slot in &CHILD_RESETS {
        let v = slot.load(Ordering::Acquire);
        if v != 0 {
            // SAFETY: every non-zero slot holds a `fn()` stored by `reset_in_child`.
            let reset = unsafe { std::mem::transmute::<usize, fn()>(v) };
            reset();
        }
    }
}

#[cfg(unix)]
mod watch {
    use super::GENERATION;
    use std::sync::atomic::{AtomicBool, Ordering};

    static REGISTERED: AtomicBool = AtomicBool::new(false);

    /// Runs in the child, alone, right after fork: only async-signal-safe work (atomics).
    extern "C" fn in_child() {
        GENERATION.fetch_add(1, Ordering::AcqRel);
        super::run_child_resets();
        super::sockets::close_in_child();
    }

    extern "C" fn register() {
        if !REGISTERED.swap(true, Ordering::AcqRel) {
            // SAFETY: registers a handler with no preconditions; it only touches atomics.
            unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        }
    }

    /// Registers the handler when the library is loaded (before any client exists, so no fork
    /// can happen between making a client and registering).
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly",
        target_os = "illumos",
        target_os = "solaris"
    ))]
    #[used]
    #[link_section = ".init_array"]
    static AT_LOAD: extern "C" fn() = register;

    #[cfg(any(target_os = "macos", target_os = "ios"))]
    #[used]
    #[link_section = "__DATA,__mod_init_func"]
    static AT_LOAD: extern "C" fn() = register;

    /// Registers the handler now if the loader did not (other systems).
    pub(super) fn ensure() {
        if !REGISTERED.load(Ordering::Relaxed) {
            register();
        }
    }
}

/// The descriptors of the open connections' sockets, which a forked child closes at once (see
/// the module documentation). A fixed table of atomics, so that the child's handler only does
/// async-signal-safe work; a socket that finds no free slot is not listed (a child then keeps
/// it, as before). A connection is listed when it is made and unlisted before its socket closes,
/// so the child never closes a descriptor the parent had already reused for something else.
#[cfg(unix)]
pub(crate) mod sockets {
    use std::sync::atomic::{AtomicI32, Ordering};

    const SLOTS: usize = 1024;
    static FDS: [AtomicI32; SLOTS] = [const { AtomicI32::new(-1) }; SLOTS];

    /// A listed descriptor; unlisted when dropped (drop it before the socket closes).
    #[derive(Debug)]
    pub(crate) struct Listed(Option<(usize, i32)>);

    /// Lists `fd` until the returned value is dropped.
    pub(crate) fn list(fd: i32) -> Listed {
        for (i, slot) in FDS.iter().enumerate() {
            if slot
                .compare_exchange(-1, fd, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                return Listed(Some((i, fd)));
            }
        }
        Listed(None)
    }

    impl Drop for Listed {
        fn drop(&mut self) {
            if let Some((i, fd)) = self.0 {
                let _ = FDS[i].compare_exchange(fd, -1, Ordering::AcqRel, Ordering::Relaxed);
            }
        }
    }

    /// In a forked child, alone, right after the fork: closes every listed descriptor (`close`
    /// is async-signal-safe). The connections holding them are inherited state, never used nor
    /// dropped in the child (`PerProcess`).
    pub(super) fn close_in_child() {
        for slot in &FDS {
            let fd = slot.swap(-1, Ordering::AcqRel);
            if fd >= 0 {
                // SAFETY: `fd` was an open socket of a connection at the fork; nothing in this
                // process uses it again.
                unsafe { libc::close(fd) };
            }
        }
    }
}

/// What a process leaked on purpose (inherited state), kept reachable from a static so that
/// leak checkers (valgrind) count it as still reachable, not lost. Only ever pushed to.
struct Leaked {
    /// Never read: it only keeps the block reachable.
    _ptr: *mut (),
    next: *mut Leaked,
}

static LEAKED: AtomicPtr<Leaked> = AtomicPtr::new(std::ptr::null_mut());

fn keep_reachable(ptr: *mut ()) {
    let node = Box::into_raw(Box::new(Leaked {
        _ptr: ptr,
        next: std::ptr::null_mut(),
    }));
    let mut head = LEAKED.load(Ordering::Acquire);
    loop {
        // SAFETY: `node` is ours until published.
        unsafe { (*node).next = head };
        match LEAKED.compare_exchange_weak(head, node, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return,
            Err(h) => head = h,
        }
    }
}

struct Slot<T> {
    generation: u64,
    value: T,
}

/// A value of which each process uses only its own: see the module documentation.
pub struct PerProcess<T> {
    ptr: AtomicPtr<Slot<T>>,
    _owns: PhantomData<T>,
}

/// A value a process inherited from its parent: nothing in this process changes or frees it.
pub struct Inherited<'a, T>(&'a T);

impl<T> std::ops::Deref for Inherited<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0
    }
}

impl<T> PerProcess<T> {
    /// Holds `value` for the calling process.
    pub fn new(value: T) -> PerProcess<T> {
        let slot = Slot {
            generation: generation(),
            value,
        };
        PerProcess {
            ptr: AtomicPtr::new(Box::into_raw(Box::new(slot))),
            _owns: PhantomData,
        }
    }

    /// This process's value; in a forked child, the first call makes it with `renew` from the
    /// inherited one (several threads may race: one value wins, the others are dropped unused).
    pub fn get(&self, renew: impl FnOnce(&Inherited<'_, T>) -> T) -> &T {
        let now = generation();
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: slots are freed only by `drop` (which has `&mut self`) and by a losing racer
        // below (a slot nobody else saw); a replaced slot is leaked, so `p` is live for `&self`.
        let slot = unsafe { &*p };
        if slot.generation == now {
            return &slot.value;
        }
        let value = renew(&Inherited(&slot.value));
        let fresh = Box::into_raw(Box::new(Slot {
            generation: now,
            value,
        }));
        match self
            .ptr
            .compare_exchange(p, fresh, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {
                keep_reachable(p.cast());
                // SAFETY: `fresh` is now the live slot; the inherited one is leaked on purpose.
                unsafe { &(*fresh).value }
            }
            Err(winner) => {
                // SAFETY: `fresh` was never published; `winner` is live as argued above.
                drop(unsafe { Box::from_raw(fresh) });
                unsafe { &(*winner).value }
            }
        }
    }
}

impl<T> Drop for PerProcess<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        // SAFETY: `&mut self`: no other reference to the slot exists in this process.
        if unsafe { &*p }.generation == generation() {
            drop(unsafe { Box::from_raw(p) });
        } else {
            keep_reachable(p.cast()); // inherited: leaked (see the module documentation)
        }
    }
}

/// A value read and changed under a lock, whose latest version a forked child can also copy
/// without that lock (which a thread that did not survive the fork may hold): every change
/// makes a new immutable version, and frees the old one only after the new one is published.
pub struct Snapshot<T> {
    lock: Mutex<()>,
    ptr: AtomicPtr<T>,
    _owns: PhantomData<T>,
}

impl<T: Clone> Snapshot<T> {
    /// Holds `value`.
    pub fn new(value: T) -> Snapshot<T> {
        Snapshot {
            lock: Mutex::new(()),
            ptr: AtomicPtr::new(Box::into_raw(Box::new(value))),
            _owns: PhantomData,
        }
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the current version, holding the lock.
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let _g = self.guard();
        // SAFETY: versions are freed only under the lock (in `update`) or by `drop`.
        f(unsafe { &*self.ptr.load(Ordering::Acquire) })
    }

    /// Runs `f` on a copy of the current version, holding the lock, then publishes the copy.
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let _g = self.guard();
        // SAFETY: as in `read`.
        let mut v = unsafe { &*self.ptr.load(Ordering::Acquire) }.clone();
        let r = f(&mut v);
        let old = self.ptr.swap(Box::into_raw(Box::new(v)), Ordering::AcqRel);
        // SAFETY: `old` is unpublished now and nobody else in this process reads it (lock held);
        // a child forked before the swap sees it unfreed (freed after the swap, in program order).
        drop(unsafe { Box::from_raw(old) });
        r
    }

    /// A copy of the latest version, without the lock, in a child that inherited this snapshot
    /// within `_from` (nothing in this process changes or frees it).
    pub fn copy_inherited<S>(&self, _from: &Inherited<'_, S>) -> T {
        // SAFETY: the snapshot is part of an inherited value: see `Inherited`.
        unsafe { &*self.ptr.load(Ordering::Acquire) }.clone()
    }
}

impl<T> Drop for Snapshot<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`; the pointer always holds a live version.
        drop(unsafe { Box::from_raw(*self.ptr.get_mut()) });
    }
}
