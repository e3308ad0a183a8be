//! Memory handed to C: one allocation per returned object, with a small header so that a single
//! `ga_free` frees a `GaAvatar*` (strings inside it included) or any `char*` the library returned.

use std::alloc::{alloc, dealloc, Layout};

const MAGIC: u64 = 0x4741_5f42_4c4f_434b; // "GA_BLOCK"
const FREED: u64 = 0x4741_5f46_5245_4544; // "GA_FREED"
const HEADER: usize = 16;
const ALIGN: usize = 16;

/// Allocates `size` bytes, 16-byte aligned, that `free_block` releases. NULL when memory runs out.
pub(crate) fn alloc_block(size: usize) -> *mut u8 {
    let Some(total) = size.checked_add(HEADER) else {
        return std::ptr::null_mut();
    };
    let Ok(layout) = Layout::from_size_align(total, ALIGN) else {
        return std::ptr::null_mut();
    };
    // SAFETY: layout has non-zero size.
    let base = unsafe { alloc(layout) };
    if base.is_null() {
        return base;
    }
    // SAFETY: base is valid for HEADER bytes and 16-aligned.
    unsafe {
        (base as *mut u64).write(MAGIC);
        (base as *mut u64).add(1).write(total as u64);
        base.add(HEADER)
    }
}

/// Frees a block from `alloc_block`. Returns false (and frees nothing) when the header is not
/// ours: a foreign pointer or, often, a second free.
///
/// # Safety
/// `p` is non-NULL and came from `alloc_block`, or at least 16 readable bytes precede it.
pub(crate) unsafe fn free_block(p: *mut u8) -> bool {
    // SAFETY: per the contract, the header precedes p.
    unsafe {
        let base = p.sub(HEADER);
        if (base as *const u64).read() != MAGIC {
            return false;
        }
        let total = (base as *const u64).add(1).read() as usize;
        (base as *mut u64).write(FREED);
        dealloc(base, Layout::from_size_align_unchecked(total, ALIGN));
    }
    true
}

/// Writes `s` with NULs replaced and a terminator at `dst`; returns the bytes written.
///
/// # Safety
/// `dst` has room for `s.len() + 2 * (NULs in s) + 1` bytes.
pub(crate) unsafe fn write_c_string(dst: *mut u8, s: &str) -> usize {
    let mut n = 0;
    for part in s.split('\0').enumerate() {
        let (i, chunk) = part;
        // SAFETY: room as promised.
        unsafe {
            if i > 0 {
                std::ptr::copy_nonoverlapping("\u{fffd}".as_ptr(), dst.add(n), 3);
                n += 3;
            }
            std::ptr::copy_nonoverlapping(chunk.as_ptr(), dst.add(n), chunk.len());
        }
        n += chunk.len();
    }
    // SAFETY: room for the terminator.
    unsafe { dst.add(n).write(0) };
    n + 1
}

/// Bytes `write_c_string` needs for `s`.
pub(crate) fn c_string_size(s: &str) -> usize {
    s.len() + 2 * s.matches('\0').count() + 1
}
