//! What every options handle shares: creation with the defaults, a checked update, "the handle, or the
//! defaults when it is NULL" at the call that reads it, and the caller's progress callback.
//!
//! The functions here take handle pointers as the C caller passed them, which by the C contract are NULL
//! or live handles of their type; they check for NULL, and they are safe functions for that reason, as
//! the entry points are.

use std::borrow::Cow;
use std::ffi::{c_int, c_void};

use super::handles::{borrow, borrow_mut, input, into_handle, out_param, Handle};
use crate::error::Result;

/// Called on the thread that called the solve (scalot_sinkhorn_solve, scalot_rrho_solve, scalot_align,
/// scalot_plan_certify) as its work goes on: `iteration` is the count of work done, `error` the stopping
/// rule's current value (each options' setter says which). Return 0 to continue, non-zero to cancel
/// (the call then returns SCALOT_STATUS_CANCELLED). R uses this for Ctrl-C, Julia for interrupts.
///
/// When no report is due for 250 ms, as during the first log-domain iteration or the build of a stored
/// kernel, the callback is called again with the last values (0 and +infinity before the first iteration),
/// and a cancel then stops that pass within a tile of rows. R_rho solves call it so too, and a cancel
/// then takes effect when the running pass ends.
///
/// The callback may call any scalot function, a nested solve included (it runs on threads of its own,
/// so it works with any thread count); it must not free the kernel or options of the running solve.
pub type scalot_progress_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, iteration: usize, error: f64) -> c_int>;

/// A caller's progress callback and the pointer passed back to it; the default has no callback.
#[derive(Clone, Copy)]
pub(crate) struct ProgressCallback {
    callback: scalot_progress_callback,
    user_data: *mut c_void,
}

impl Default for ProgressCallback {
    fn default() -> Self {
        ProgressCallback {
            callback: None,
            user_data: std::ptr::null_mut(),
        }
    }
}

impl ProgressCallback {
    /// Tells the caller; false when it asks to cancel. Without a callback, always true.
    pub(crate) fn report(&self, iteration: usize, value: f64) -> bool {
        match self.callback {
            None => true,
            // SAFETY: the caller's contract: `callback` accepts `user_data` (scalot_progress_callback).
            Some(callback) => unsafe { callback(self.user_data, iteration, value) == 0 },
        }
    }

    /// Runs a solve: `reporting`, with this callback told `count_and_value` of each progress report,
    /// when a callback is set, and `quiet` (which spares the solve its heartbeat) otherwise.
    pub(crate) fn run<P, R>(
        self,
        quiet: impl FnOnce() -> R,
        reporting: impl FnOnce(&mut dyn FnMut(&P) -> bool) -> R,
        count_and_value: impl Fn(&P) -> (usize, f64),
    ) -> R {
        if self.callback.is_none() {
            return quiet();
        }
        reporting(&mut |p| {
            let (count, value) = count_and_value(p);
            self.report(count, value)
        })
    }
}

/// An options handle's value that holds a progress callback.
pub(crate) trait Reporting {
    fn progress_mut(&mut self) -> &mut ProgressCallback;
}

/// Writes a new options handle with the defaults to `*out`.
pub(crate) fn new_options<H: Handle>(out: *mut *mut H) -> Result<()>
where
    H::Inner: Default,
{
    // SAFETY: by the C contract, `out` is NULL or valid for writes.
    let out = unsafe { out_param(out, "out") }?;
    out.write(into_handle::<H>(H::Inner::default()));
    Ok(())
}

/// Applies `set` to the options behind `options`.
pub(crate) fn update<H: Handle>(
    options: *mut H,
    set: impl FnOnce(&mut H::Inner) -> Result<()>,
) -> Result<()> {
    // SAFETY: by the C contract, `options` is NULL or a live handle that no other call is using.
    set(unsafe { borrow_mut(options, "options") }?)
}

/// The options behind `options`, or the defaults when it is NULL.
pub(crate) fn or_default<'a, H: Handle>(options: *const H) -> Cow<'a, H::Inner>
where
    H::Inner: Clone + Default,
{
    // SAFETY: by the C contract, `options` is NULL or a live handle that outlives the call. Borrowing
    // fails for NULL only.
    match unsafe { borrow(options, "options") } {
        Ok(options) => Cow::Borrowed(options),
        Err(_) => Cow::Owned(H::Inner::default()),
    }
}

/// Sets the progress callback of the options behind `options`; a NULL `callback` removes it.
pub(crate) fn set_progress_callback<H: Handle>(
    options: *mut H,
    callback: scalot_progress_callback,
    user_data: *mut c_void,
) -> Result<()>
where
    H::Inner: Reporting,
{
    update(options, |o| {
        *o.progress_mut() = ProgressCallback {
            callback,
            user_data,
        };
        Ok(())
    })
}

/// A warm start's two arrays, of lengths n and m: `None` when both are NULL (no warm start), otherwise
/// both, checked. The pointers are as the C caller passed them: NULL or valid for their lengths.
pub(crate) fn warm_start<'a>(
    first: (*const f64, usize, &'static str),
    second: (*const f64, usize, &'static str),
) -> Result<Option<(&'a [f64], &'a [f64])>> {
    if first.0.is_null() && second.0.is_null() {
        return Ok(None);
    }
    // SAFETY: by the C contract, NULL or valid for their lengths.
    unsafe {
        Ok(Some((
            input(first.0, first.1, first.2)?,
            input(second.0, second.1, second.2)?,
        )))
    }
}

/// The options a kernel constructor reads from a handle that may leave some unset: `default()` when
/// `options` (named `arg`) is NULL, and otherwise `merge` of the handle's options with it.
pub(crate) fn merged<H: Handle, T>(
    options: *const H,
    arg: &'static str,
    default: impl FnOnce() -> T,
    merge: impl FnOnce(&H::Inner, T) -> T,
) -> Result<T> {
    if options.is_null() {
        return Ok(default());
    }
    // SAFETY: by the C contract, a live handle.
    let options = unsafe { borrow(options, arg) }?;
    Ok(merge(options, default()))
}
