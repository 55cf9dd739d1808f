//! The boundary every C entry point passes through: the status codes, the per-thread error message, and
//! the one macro that turns a `Result` or a panic into a status.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

use crate::error::Error;

/// The result of every fallible function. The numbers are stable: a retired number is never reused.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum scalot_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullPointer = 1,
    /// An argument is out of its documented range (for example eps <= 0, an unknown enum value).
    InvalidArgument = 2,
    /// A size is zero (n, m, d or a length) where at least one entry is needed.
    EmptyInput = 3,
    /// Two sizes disagree (a buffer's length, the dimension of x and y, weights and kernel).
    DimensionMismatch = 4,
    /// An input value is NaN or infinite.
    NonFinite = 5,
    /// A weight is negative.
    NegativeWeight = 6,
    /// A weight vector sums to zero.
    ZeroMass = 7,
    /// A balanced problem's marginals have different total masses (beyond 1e-6 relative).
    MassMismatch = 8,
    /// A size product (n*d, n*m, bytes) overflows size_t.
    SizeOverflow = 9,
    /// An allocation failed; nothing was left half-built.
    OutOfMemory = 10,
    /// The computation produced a non-finite or non-positive quantity; the message says where and what to change.
    NumericalFailure = 11,
    /// The progress callback asked to stop.
    Cancelled = 12,
    /// The operation does not apply to this kernel or cost (the message says why).
    Unsupported = 13,
    /// A bug inside scalot was caught at the boundary; the message carries the panic text.
    Panic = 14,
}

impl scalot_status {
    pub(crate) const ALL: [scalot_status; 15] = [
        scalot_status::Ok,
        scalot_status::NullPointer,
        scalot_status::InvalidArgument,
        scalot_status::EmptyInput,
        scalot_status::DimensionMismatch,
        scalot_status::NonFinite,
        scalot_status::NegativeWeight,
        scalot_status::ZeroMass,
        scalot_status::MassMismatch,
        scalot_status::SizeOverflow,
        scalot_status::OutOfMemory,
        scalot_status::NumericalFailure,
        scalot_status::Cancelled,
        scalot_status::Unsupported,
        scalot_status::Panic,
    ];

    /// The constant's name as the header spells it: SCALOT_STATUS_ and the variant in SCREAMING_SNAKE_CASE
    /// (cbindgen's rule in cbindgen.toml), made once.
    pub(crate) fn name(self) -> &'static CStr {
        static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
        let names = NAMES.get_or_init(|| {
            scalot_status::ALL
                .iter()
                .map(|status| {
                    let mut name = String::from("SCALOT_STATUS");
                    for c in format!("{status:?}").chars() {
                        if c.is_ascii_uppercase() {
                            name.push('_');
                        }
                        name.push(c.to_ascii_uppercase());
                    }
                    CString::new(name).expect("a variant name has no NUL")
                })
                .collect()
        });
        &names[self as usize]
    }
}

/// The one mapping from errors to statuses.
impl From<&Error> for scalot_status {
    fn from(error: &Error) -> Self {
        match error {
            Error::NullPointer { .. } => scalot_status::NullPointer,
            Error::InvalidArgument { .. } => scalot_status::InvalidArgument,
            Error::Empty { .. } => scalot_status::EmptyInput,
            Error::DimensionMismatch { .. } => scalot_status::DimensionMismatch,
            Error::NonFinite { .. } => scalot_status::NonFinite,
            Error::NegativeWeight { .. } => scalot_status::NegativeWeight,
            Error::ZeroMass { .. } => scalot_status::ZeroMass,
            Error::MassMismatch { .. } => scalot_status::MassMismatch,
            Error::SizeOverflow { .. } => scalot_status::SizeOverflow,
            Error::OutOfMemory { .. } => scalot_status::OutOfMemory,
            Error::NumericalFailure(_) | Error::NonPositiveSums { .. } => {
                scalot_status::NumericalFailure
            }
            Error::Cancelled { .. } => scalot_status::Cancelled,
            Error::Unsupported(_) => scalot_status::Unsupported,
            Error::Panic(_) => scalot_status::Panic,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    // An interior NUL cannot come from our messages, but a panic payload is arbitrary text.
    let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = message);
}

/// The calling thread's last message; valid until that thread's next call into scalot.
pub(crate) fn last_error() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// Records the outcome of an entry point's body and returns its status.
pub(crate) fn conclude(outcome: std::thread::Result<crate::error::Result<()>>) -> scalot_status {
    let error = match outcome {
        Ok(Ok(())) => {
            set_last_error("");
            return scalot_status::Ok;
        }
        Ok(Err(error)) => error,
        Err(payload) => Error::Panic(panic_text(payload.as_ref())),
    };
    set_last_error(&error.to_string());
    scalot_status::from(&error)
}

/// Runs `body` with panics caught and silent (see `silent_panic`).
pub(crate) fn catch<R>(body: impl FnOnce() -> R) -> std::thread::Result<R> {
    let _silenced = crate::silent_panic::Silenced::new();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body))
}

/// Runs an entry point's body with no panic escaping, and none printed. `ffi_boundary!({ … Ok(()) })` returns a
/// `scalot_status`; `ffi_boundary!(fallback => { … })` returns the body's value, or `fallback` if it
/// panicked (for the few functions that cannot fail).
macro_rules! ffi_boundary {
    ($body:block) => {
        $crate::ffi::boundary::conclude($crate::ffi::boundary::catch(
            || -> $crate::error::Result<()> { $body },
        ))
    };
    ($fallback:expr => $body:block) => {
        $crate::ffi::boundary::catch(|| $body).unwrap_or($fallback)
    };
}
pub(crate) use ffi_boundary;

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" fn panics_inside() -> scalot_status {
        ffi_boundary!({
            let empty: Vec<f64> = Vec::new();
            // An out-of-bounds index stands for any bug below the boundary.
            let _ = empty[empty.len() + 1];
            Ok(())
        })
    }

    #[test]
    fn a_panic_becomes_the_panic_status_with_its_message() {
        assert_eq!(panics_inside(), scalot_status::Panic);
        // SAFETY: last_error returns a NUL-terminated string that lives until the next failing call.
        let message = unsafe { std::ffi::CStr::from_ptr(last_error()) }
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            message.starts_with("panic inside scalot: index out of bounds"),
            "{message}"
        );
    }

    /// In a child process with the output uncaptured, so that a hook that printed would reach stderr.
    #[test]
    fn a_caught_panic_prints_nothing_on_stderr() {
        if std::env::var_os("SCALOT_PANIC_CHILD").is_some() {
            assert_eq!(panics_inside(), scalot_status::Panic);
            return;
        }
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "ffi::boundary::tests::a_caught_panic_prints_nothing_on_stderr",
                "--nocapture",
            ])
            .env("SCALOT_PANIC_CHILD", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "{stdout}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
    }

    #[test]
    fn every_status_has_its_header_name() {
        let header = include_str!("../../include/scalot.h");
        for (number, status) in scalot_status::ALL.iter().enumerate() {
            assert_eq!(*status as usize, number);
            let line = format!("  {} = {number},", status.name().to_str().unwrap());
            assert!(header.contains(&line), "the header lacks `{}`", line.trim());
        }
    }
}
