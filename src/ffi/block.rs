//! The one writer of result blocks: a `#[repr(C)]` struct followed, in the same allocation, by
//! the strings and bytes its pointers point to. One block per result, so `ga_free` frees it all
//! at once; every block is recorded by `alloc_block`.

use super::alloc::{alloc_block, ALIGN};

/// Something stored after the struct.
pub(crate) enum Part<'a> {
    /// A C string: NULs become U+FFFD, a terminator is added. Never NULL.
    Text(&'a str),
    /// A C string, or NULL when `None`.
    MaybeText(Option<&'a str>),
    /// Raw bytes, or NULL when `None`.
    MaybeBytes(Option<&'a [u8]>),
}

impl Part<'_> {
    /// Bytes the part takes in the block.
    fn size(&self) -> usize {
        match self {
            Part::Text(s) | Part::MaybeText(Some(s)) => c_string_size(s),
            Part::MaybeBytes(Some(b)) => b.len(),
            Part::MaybeText(None) | Part::MaybeBytes(None) => 0,
        }
    }

    /// Writes the part at `dst`; returns where it starts (NULL when absent).
    ///
    /// # Safety
    /// `dst` has room for `self.size()` bytes.
    unsafe fn write(&self, dst: *mut u8) -> *const u8 {
        // SAFETY: room as promised.
        unsafe {
            match self {
                Part::Text(s) | Part::MaybeText(Some(s)) => write_c_string(dst, s),
                Part::MaybeBytes(Some(b)) => {
                    std::ptr::copy_nonoverlapping(b.as_ptr(), dst, b.len())
                }
                Part::MaybeText(None) | Part::MaybeBytes(None) => return std::ptr::null(),
            }
        }
        dst
    }
}

/// Allocates one block holding a `T` followed by `parts`, in order; `make` builds the `T` from
/// where each part starts (NULL for an absent one). NULL only when memory runs out.
pub(crate) fn write_block<T, const N: usize>(
    parts: [Part<'_>; N],
    make: impl FnOnce([*const u8; N]) -> T,
) -> *mut T {
    const { assert!(std::mem::align_of::<T>() <= ALIGN) };
    let head = std::mem::size_of::<T>();
    let Some(total) = parts.iter().try_fold(head, |n, p| n.checked_add(p.size())) else {
        return std::ptr::null_mut();
    };
    let p = alloc_block(total);
    if p.is_null() {
        return std::ptr::null_mut();
    }
    let mut at = [std::ptr::null(); N];
    let mut next = head;
    for (i, part) in parts.iter().enumerate() {
        // SAFETY: the block has `total` bytes: the struct, then room for each part in turn.
        at[i] = unsafe { part.write(p.add(next)) };
        next += part.size();
    }
    let t = p as *mut T;
    // SAFETY: the block starts ALIGN-aligned (enough for T, checked above) with room for a T.
    unsafe { t.write(make(at)) };
    t
}

/// Writes `s` with NULs replaced by U+FFFD and a terminator at `dst`.
///
/// # Safety
/// `dst` has room for `c_string_size(s)` bytes.
unsafe fn write_c_string(dst: *mut u8, s: &str) {
    let mut n = 0;
    for (i, chunk) in s.split('\0').enumerate() {
        // SAFETY: room as promised: each NUL (1 byte) becomes 3, plus the terminator.
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
}

/// Bytes `write_c_string` needs for `s`.
fn c_string_size(s: &str) -> usize {
    s.len() + 2 * s.matches('\0').count() + 1
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;

    #[repr(C)]
    struct Pair {
        a: *const u8,
        b: *const u8,
        c: *const u8,
        d: *const u8,
    }

    #[test]
    fn parts_follow_the_struct_in_order_and_absent_ones_are_null() {
        let p = write_block(
            [
                Part::Text("x\0y"),
                Part::MaybeText(None),
                Part::MaybeBytes(Some(&[1, 2, 3])),
                Part::MaybeText(Some("")),
            ],
            |[a, b, c, d]| Pair { a, b, c, d },
        );
        assert!(!p.is_null() && p as usize % ALIGN == 0);
        let r = unsafe { &*p };
        let head = std::mem::size_of::<Pair>();
        assert_eq!(r.a as usize, p as usize + head);
        assert_eq!(
            unsafe { CStr::from_ptr(r.a.cast()) }.to_str(),
            Ok("x\u{fffd}y")
        );
        assert!(r.b.is_null());
        assert_eq!(r.c as usize, r.a as usize + 6);
        assert_eq!(unsafe { std::slice::from_raw_parts(r.c, 3) }, [1, 2, 3]);
        assert_eq!(r.d as usize, r.c as usize + 3);
        assert_eq!(unsafe { CStr::from_ptr(r.d.cast()) }, c"");
        assert!(
            super::super::alloc::free_block(p.cast()),
            "a registered block"
        );
    }
}
