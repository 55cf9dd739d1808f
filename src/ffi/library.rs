//! Library-wide functions: version, status names, error messages, threads.

use std::ffi::{c_char, c_int};

use super::boundary::{ffi_boundary, last_error, scalot_status};
use super::handles::out_param;
use crate::threads;

/// The library version, "MAJOR.MINOR.PATCH", as a static NUL-terminated string.
///
/// Thread-safe. Compare with the SCALOT_VERSION_* macros to detect a header/library mismatch.
#[no_mangle]
pub extern "C" fn scalot_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The name of a status code, e.g. "SCALOT_STATUS_NULL_POINTER", as a static string;
/// "SCALOT_STATUS_UNKNOWN" for a number that is not a status.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scalot_status_name(status: c_int) -> *const c_char {
    ffi_boundary!(c"SCALOT_STATUS_UNKNOWN".as_ptr() => {
        let name = usize::try_from(status)
            .ok()
            .and_then(|i| scalot_status::ALL.get(i))
            .map_or(c"SCALOT_STATUS_UNKNOWN", |s| s.name());
        name.as_ptr()
    })
}

/// The message of the calling thread's last failed call ("" after a success). It names the argument and
/// the value that failed.
///
/// The string belongs to scalot and stays valid until the same thread's next call into scalot: copy it
/// before calling again. Each thread has its own message.
#[no_mangle]
pub extern "C" fn scalot_last_error_message() -> *const c_char {
    ffi_boundary!(c"".as_ptr() => { last_error() })
}

/// Sets the number of threads scalot computes with; 0 restores the default (the environment variable
/// SCALOT_NUM_THREADS if set, else one per core).
///
/// Results do not depend on the number of threads: every parallel sum is split in a fixed way.
/// Calls already running keep the threads they started with.
///
/// At most 1024 threads; SCALOT_NUM_THREADS above that is ignored.
///
/// Statuses: OK; INVALID_ARGUMENT if `threads` is above 1024 or the threads cannot be started.
#[no_mangle]
pub extern "C" fn scalot_set_num_threads(threads: usize) -> scalot_status {
    ffi_boundary!({ threads::set_num_threads(threads) })
}

/// Writes the number of threads scalot computes with to `*out`.
///
/// Statuses: OK; NULL_POINTER if `out` is NULL.
#[no_mangle]
pub extern "C" fn scalot_num_threads(out: *mut usize) -> scalot_status {
    ffi_boundary!({
        // SAFETY: by the C contract, NULL or valid for writes.
        let out = unsafe { out_param(out, "out") }?;
        out.write(threads::num_threads());
        Ok(())
    })
}
