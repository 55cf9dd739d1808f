//! The one error type of the library. Every variant names the argument or the place that failed, because
//! its `Display` text is what a C, Julia or R caller reads from `scalot_last_error_message()`.

/// A side of a kernel: its rows (the source points) or its columns (the target points).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A row: a source point.
    Row,
    /// A column: a target point.
    Column,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Line::Row => "row",
            Line::Column => "column",
        })
    }
}

/// Everything that can go wrong, from bad input to a cancelled solve.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A required pointer was NULL (C callers only).
    #[error("{arg} is NULL")]
    NullPointer {
        /// The argument.
        arg: &'static str,
    },

    /// An argument is out of its documented range.
    #[error("invalid {arg}: {reason}")]
    InvalidArgument {
        /// The argument.
        arg: &'static str,
        /// What is wrong with it, and the range it must lie in.
        reason: String,
    },

    /// A size is zero where at least one entry is needed.
    #[error("{arg} is empty: it must have at least one entry")]
    Empty {
        /// The size or the array.
        arg: &'static str,
    },

    /// Two sizes disagree.
    #[error("dimension mismatch: {arg} has {found}, expected {expected}")]
    DimensionMismatch {
        /// The argument whose size is wrong.
        arg: &'static str,
        /// The size it must have, and where that comes from.
        expected: String,
        /// The size it has.
        found: String,
    },

    /// An input value is NaN or infinite.
    #[error("{arg}[{index}] is {value}: input must be finite")]
    NonFinite {
        /// The array.
        arg: &'static str,
        /// The first entry that is not finite.
        index: usize,
        /// Its value.
        value: f64,
    },

    /// A weight is negative.
    #[error("{arg}[{index}] is {value}: weights must be non-negative")]
    NegativeWeight {
        /// The weights.
        arg: &'static str,
        /// The first negative entry.
        index: usize,
        /// Its value.
        value: f64,
    },

    /// A weight vector sums to zero.
    #[error("{arg} has zero total mass: at least one weight must be positive")]
    ZeroMass {
        /// The weights.
        arg: &'static str,
    },

    /// A balanced problem's marginals have different total masses.
    #[error(
        "mass mismatch: a sums to {mass_a} and b to {mass_b}; a balanced problem needs equal masses \
         (normalise them, or relax the marginals with an unbalanced solve)"
    )]
    MassMismatch {
        /// Σ a.
        mass_a: f64,
        /// Σ b.
        mass_b: f64,
    },

    /// A size, or the bytes it needs, does not fit in the address space.
    #[error("size overflow: {arg} ({what}) does not fit in the address space")]
    SizeOverflow {
        /// The size or the array.
        arg: &'static str,
        /// The product that overflows.
        what: String,
    },

    /// An allocation failed, or was refused before it was tried.
    #[error("out of memory: could not allocate {bytes} bytes for {what}")]
    OutOfMemory {
        /// The bytes asked for.
        bytes: usize,
        /// What they were for.
        what: &'static str,
    },

    /// A computation left the doubles, or has no answer at these settings; the text says which
    /// setting to change.
    #[error("numerical failure: {0}")]
    NumericalFailure(String),

    /// Lines of a kernel whose sums are not positive, so that they have no logarithm; the solver repairs
    /// them where the kernel can (Nyström and LCN lines fall back to exact pairs), and reports them
    /// otherwise.
    #[error("numerical failure: {}", non_positive(.line, .lines, .advice))]
    NonPositiveSums {
        /// Rows or columns.
        line: Line,
        /// The lines, ascending; at least one.
        lines: Vec<usize>,
        /// What to change.
        advice: &'static str,
    },

    /// The progress callback asked to stop.
    #[error("cancelled by the progress callback at iteration {iteration}")]
    Cancelled {
        /// The work done when it stopped, in the solve's own unit (iterations, passes, steps).
        iteration: usize,
    },

    /// The operation does not exist for this kernel or these settings.
    #[error("unsupported: {0}")]
    Unsupported(String),

    /// A bug inside scalot, caught at the C boundary.
    #[error("panic inside scalot: {0}")]
    Panic(String),
}

fn non_positive(line: &Line, lines: &[usize], advice: &str) -> String {
    let others = match lines.len() {
        0 | 1 => String::new(),
        2 => format!(" (and 1 other {line})"),
        count => format!(" (and {} other {line}s)", count - 1),
    };
    format!(
        "{line} {}{others} of the kernel sums to a value that is not positive, so it has no \
         logarithm: {advice}",
        lines.first().copied().unwrap_or_default()
    )
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn invalid(arg: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            arg,
            reason: reason.into(),
        }
    }

    pub(crate) fn mismatch(
        arg: &'static str,
        expected: impl ToString,
        found: impl ToString,
    ) -> Self {
        Error::DimensionMismatch {
            arg,
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }
}

/// `value` if it is finite and positive, else [`Error::InvalidArgument`] naming `arg`.
pub(crate) fn positive(arg: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::invalid(
            arg,
            format!("{value} is not a positive finite number"),
        ))
    }
}

/// Checks `a * b` and names the product in the error when it overflows.
pub(crate) fn checked_product(arg: &'static str, a: usize, b: usize) -> Result<usize> {
    a.checked_mul(b).ok_or_else(|| Error::SizeOverflow {
        arg,
        what: format!("{a} x {b}"),
    })
}

/// Fails with [`Error::Empty`], naming `arg`, when a size is 0. Check a count this way before the arrays
/// it sizes, so that the message names the count rather than an array.
pub(crate) fn ensure_nonzero(arg: &'static str, size: usize) -> Result<()> {
    if size == 0 {
        Err(Error::Empty { arg })
    } else {
        Ok(())
    }
}

/// Fails with [`Error::DimensionMismatch`] unless the count `found` given for `arg` is `expected`,
/// which `what` says the origin of ("the plan's rows").
pub(crate) fn ensure_count(
    arg: &'static str,
    found: usize,
    expected: usize,
    what: &str,
) -> Result<()> {
    if found == expected {
        Ok(())
    } else {
        Err(Error::mismatch(arg, format!("{expected} ({what})"), found))
    }
}

/// Fails with [`Error::NonFinite`] at the first NaN or infinity of `values`, naming `arg`.
pub(crate) fn ensure_finite(arg: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite {
            arg,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Fails with [`Error::DimensionMismatch`] unless `values` has exactly `len` entries.
pub(crate) fn ensure_len<T>(arg: &'static str, values: &[T], len: usize) -> Result<()> {
    if values.len() == len {
        Ok(())
    } else {
        Err(Error::mismatch(
            arg,
            format!("{len} entries"),
            format!("{} entries", values.len()),
        ))
    }
}

/// Fails with [`Error::NumericalFailure`] if an entry of a computed `what` is not finite, saying what to
/// change (`advice`).
pub(crate) fn ensure_finite_entries(what: &str, values: &[f64], advice: &str) -> Result<()> {
    match values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((index, value)) => Err(Error::NumericalFailure(format!(
            "entry {index} of {what} is {value}: {advice}"
        ))),
        None => Ok(()),
    }
}

/// Fails with [`Error::OutOfMemory`] if `bytes` for `what` cannot be reserved now: a cheap test, before
/// a long computation, of an allocation that comes at its end (the reservation is released at once).
pub(crate) fn ensure_allocatable(bytes: usize, what: &'static str) -> Result<()> {
    Vec::<u8>::new()
        .try_reserve_exact(bytes)
        .map_err(|_| Error::OutOfMemory { bytes, what })
}

/// Element types whose all-zero bytes are the value 0, so that zeroed memory holds valid values.
///
/// # Safety
///
/// An implementing type must be valid with every byte zero, and not zero-sized.
pub(crate) unsafe trait Zeroed: Copy {}

// SAFETY: 0.0 is all zero bytes, and the types are 4 and 8 bytes.
unsafe impl Zeroed for f32 {}
// SAFETY: as for f32.
unsafe impl Zeroed for f64 {}

/// Allocates a zeroed buffer, reporting failure as [`Error::OutOfMemory`] instead of aborting. The
/// memory comes zeroed from the allocator (for large buffers, untouched pages of the operating
/// system), so no pass writes the zeros: a buffer that is then filled is written once, by its filler.
pub(crate) fn try_zeroed<T: Zeroed>(len: usize, what: &'static str) -> Result<Vec<T>> {
    let bytes = checked_product(what, len, std::mem::size_of::<T>())?;
    if bytes == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| Error::SizeOverflow {
        arg: what,
        what: format!("{len} entries of {} bytes", std::mem::size_of::<T>()),
    })?;
    // SAFETY: `layout` has a non-zero size (`bytes` > 0).
    let pointer = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if pointer.is_null() {
        return Err(Error::OutOfMemory { bytes, what });
    }
    // SAFETY: `pointer` comes from the global allocator with the layout of `len` values of `T`, which
    // is the layout a Vec of capacity `len` uses; its `len` values are zero bytes, valid for `Zeroed`
    // (whose types are not zero-sized, so `bytes` = 0 means `len` = 0).
    Ok(unsafe { Vec::from_raw_parts(pointer, len, len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_buffers_are_zero_and_refusals_are_statuses() {
        let buffer = try_zeroed::<f32>(1 << 20, "buffer").unwrap();
        assert!(buffer.iter().all(|&v| v == 0.0));
        assert!(try_zeroed::<f64>(0, "buffer").unwrap().is_empty());
        assert!(matches!(
            try_zeroed::<f64>(usize::MAX / 4, "buffer"),
            Err(Error::SizeOverflow { arg: "buffer", .. })
        ));
        // 2^60 bytes: representable, and more than any machine can map.
        assert!(matches!(
            try_zeroed::<f64>(1 << 57, "buffer"),
            Err(Error::OutOfMemory { what: "buffer", .. })
        ));
    }
}
