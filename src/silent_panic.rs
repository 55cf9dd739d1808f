//! Panics that stay silent inside scalot. A caught panic becomes `SCALOT_STATUS_PANIC` with its message;
//! the default hook would also print it, with a backtrace, on the host program's stderr, which a library
//! must not write to. The hook installed here is silent on threads that are inside a C entry point or
//! belong to scalot's pool, and defers to the previous hook everywhere else.

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    /// Entry points this thread is inside, or `usize::MAX` on scalot's pool threads.
    static INSIDE: Cell<usize> = const { Cell::new(0) };
}

static INSTALL: Once = Once::new();

fn install() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if INSIDE.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
}

/// Silences panics on the current thread while it lives; entry points hold one.
pub(crate) struct Silenced(());

impl Silenced {
    pub(crate) fn new() -> Self {
        install();
        INSIDE.with(|inside| inside.set(inside.get().saturating_add(1)));
        Silenced(())
    }
}

impl Drop for Silenced {
    fn drop(&mut self) {
        INSIDE.with(|inside| {
            if inside.get() != usize::MAX {
                inside.set(inside.get() - 1);
            }
        });
    }
}

/// Silences panics on the current thread for good: scalot's pool threads run only scalot's work.
pub(crate) fn silence_thread() {
    INSIDE.with(|inside| inside.set(usize::MAX));
}
