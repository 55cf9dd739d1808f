//! Ownership at the boundary, in the types: which Rust value each opaque handle owns, and checked
//! conversions from C pointers to references and slices. These are the only pointer casts in scalot.

use crate::error::{Error, Result};

/// An opaque C handle type and the Rust value behind it. The handle owns a `Box<Inner>`.
pub(crate) trait Handle {
    type Inner;
}

/// Moves `inner` to the heap and hands its ownership to the caller as `*mut H`.
pub(crate) fn into_handle<H: Handle>(inner: H::Inner) -> *mut H {
    Box::into_raw(Box::new(inner)).cast()
}

/// Borrows the value behind a handle the caller still owns.
///
/// # Safety
/// `handle` is NULL or was returned by `into_handle::<H>` and not freed.
pub(crate) unsafe fn borrow<'a, H: Handle>(
    handle: *const H,
    arg: &'static str,
) -> Result<&'a H::Inner> {
    // SAFETY: by this function's contract, NULL or a live `Box<H::Inner>` from `into_handle`.
    unsafe { handle.cast::<H::Inner>().as_ref() }.ok_or(Error::NullPointer { arg })
}

/// Mutably borrows the value behind a handle the caller still owns.
///
/// # Safety
/// As [`borrow`], and no other reference to the value is live.
pub(crate) unsafe fn borrow_mut<'a, H: Handle>(
    handle: *mut H,
    arg: &'static str,
) -> Result<&'a mut H::Inner> {
    // SAFETY: as for `borrow`, and by this function's contract no other reference is live.
    unsafe { handle.cast::<H::Inner>().as_mut() }.ok_or(Error::NullPointer { arg })
}

/// Takes back ownership and drops the value; NULL is a no-op.
///
/// # Safety
/// `handle` is NULL or was returned by `into_handle::<H>` and not freed.
pub(crate) unsafe fn free<H: Handle>(handle: *mut H) {
    if !handle.is_null() {
        // SAFETY: not NULL, so by this function's contract a `Box<H::Inner>` from `into_handle`, which
        // is dropped once.
        drop(unsafe { Box::from_raw(handle.cast::<H::Inner>()) });
    }
}

/// Checks what every slice over a caller's array needs: a pointer, at least one value, and a byte size
/// `len · size_of::<T>()` that fits in `isize` (a larger one cannot describe memory the caller owns).
fn ensure_array<T>(data: *const T, len: usize, arg: &'static str) -> Result<()> {
    if data.is_null() {
        return Err(Error::NullPointer { arg });
    }
    if len == 0 {
        return Err(Error::Empty { arg });
    }
    let size = std::mem::size_of::<T>();
    match len.checked_mul(size) {
        Some(bytes) if isize::try_from(bytes).is_ok() => Ok(()),
        _ => Err(Error::SizeOverflow {
            arg,
            what: format!("{len} values of {size} bytes"),
        }),
    }
}

/// A caller's array of `len` values.
///
/// # Safety
/// `data` is NULL or points to `len` initialised values that outlive the call.
pub(crate) unsafe fn input<'a, T>(
    data: *const T,
    len: usize,
    arg: &'static str,
) -> Result<&'a [T]> {
    ensure_array(data, len, arg)?;
    // SAFETY: `data` is not NULL, the caller guarantees `len` initialised values behind it, and their
    // byte size fits in `isize`.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// A caller's array that may be NULL (meaning "use the default").
///
/// # Safety
/// As [`input`].
pub(crate) unsafe fn optional_input<'a, T>(
    data: *const T,
    len: usize,
    arg: &'static str,
) -> Result<Option<&'a [T]>> {
    if data.is_null() {
        Ok(None)
    } else {
        // SAFETY: this function's contract is `input`'s.
        unsafe { input(data, len, arg) }.map(Some)
    }
}

/// A caller's buffer of `len` values to write.
///
/// # Safety
/// `data` is NULL or points to `len` writable values that nothing else accesses during the call.
pub(crate) unsafe fn output<'a, T>(
    data: *mut T,
    len: usize,
    arg: &'static str,
) -> Result<&'a mut [T]> {
    ensure_array(data, len, arg)?;
    // SAFETY: `data` is not NULL, the caller guarantees `len` writable values behind it that nothing
    // else accesses, and their byte size fits in `isize`.
    Ok(unsafe { std::slice::from_raw_parts_mut(data, len) })
}

/// A checked out-parameter. Write it last, so that it is written only on success.
///
/// # Safety
/// `out` is NULL or valid for writes.
pub(crate) unsafe fn out_param<'a, T>(
    out: *mut T,
    arg: &'static str,
) -> Result<&'a mut std::mem::MaybeUninit<T>> {
    // SAFETY: by this function's contract, NULL or valid for writes; MaybeUninit<T> has T's layout.
    unsafe { out.cast::<std::mem::MaybeUninit<T>>().as_mut() }.ok_or(Error::NullPointer { arg })
}
