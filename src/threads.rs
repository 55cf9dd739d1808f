//! scalot's own thread pool, so that a host program's rayon pool (or none) is left alone and the caller
//! chooses the width: `scalot_set_num_threads`, else `SCALOT_NUM_THREADS`, else every core.
//!
//! A solve runs inside the pool, so its many small products never cross threads. Progress callbacks
//! are relayed back to the calling thread, which may be R's or Julia's main thread and the only one
//! allowed to call into that runtime.
//!
//! A callback may call scalot again: such a nested call runs in a pool of its own, of the same width,
//! because the pool's threads may all be waiting on the callback (one thread always is, and with one
//! thread that is the whole pool).

use std::cell::Cell;
use std::sync::mpsc;
use std::sync::{Arc, RwLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::{Error, Result};

/// The most threads a pool may have.
pub const MAX_THREADS: usize = 1024;

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

thread_local! {
    /// Progress callbacks this thread is inside.
    static IN_CALLBACK: Cell<usize> = const { Cell::new(0) };
    /// Whether this thread belongs to one of scalot's pools.
    static ON_POOL: Cell<bool> = const { Cell::new(false) };
}

fn build(threads: usize) -> Result<Arc<ThreadPool>> {
    if threads > MAX_THREADS {
        return Err(Error::invalid(
            "threads",
            format!("{threads} threads; at most {MAX_THREADS}"),
        ));
    }
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("scalot-{i}"))
        .start_handler(|_| {
            ON_POOL.with(|on_pool| on_pool.set(true));
            crate::silent_panic::silence_thread();
        })
        .build()
        .map(Arc::new)
        .map_err(|e| Error::invalid("threads", format!("the thread pool could not start: {e}")))
}

/// SCALOT_NUM_THREADS, if it holds a count up to [`MAX_THREADS`]; else 0 (one thread per core).
fn threads_from_env() -> usize {
    std::env::var("SCALOT_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&threads| threads <= MAX_THREADS)
        .unwrap_or(0)
}

fn pool() -> Arc<ThreadPool> {
    if let Some(pool) = POOL.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return Arc::clone(pool);
    }
    let mut slot = POOL.write().unwrap_or_else(|e| e.into_inner());
    if let Some(pool) = slot.as_ref() {
        return Arc::clone(pool);
    }
    // 0 lets rayon use every core; a pool that cannot start is unrecoverable anyway.
    let pool = build(threads_from_env()).expect("scalot's thread pool starts");
    *slot = Some(Arc::clone(&pool));
    pool
}

/// Sets the number of threads for later work, at most [`MAX_THREADS`]; 0 restores the default. Work
/// already running keeps the pool it started with.
pub fn set_num_threads(threads: usize) -> Result<()> {
    let threads = if threads == 0 {
        threads_from_env()
    } else {
        threads
    };
    let pool = build(threads)?;
    *POOL.write().unwrap_or_else(|e| e.into_inner()) = Some(pool);
    Ok(())
}

/// The number of threads work runs on.
pub fn num_threads() -> usize {
    pool().current_num_threads()
}

/// The pool a call runs in: none for a call from one of scalot's pool threads (it runs where it is, in
/// that pool), a new one of the pool's width for a call from inside a progress callback (none if it
/// cannot start), and scalot's pool otherwise.
fn pool_for_call() -> Option<Arc<ThreadPool>> {
    if ON_POOL.with(Cell::get) {
        return None;
    }
    let pool = pool();
    if IN_CALLBACK.with(Cell::get) == 0 {
        Some(pool)
    } else {
        build(pool.current_num_threads()).ok()
    }
}

/// Runs `work` in scalot's pool and waits for it.
pub fn run<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    match pool_for_call() {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

/// Calls a progress callback, marking the thread as inside it.
fn in_callback<P>(progress: &mut dyn FnMut(P) -> bool, report: P) -> bool {
    IN_CALLBACK.with(|depth| depth.set(depth.get() + 1));
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            IN_CALLBACK.with(|depth| depth.set(depth.get() - 1));
        }
    }
    let _leave = Leave;
    progress(report)
}

/// Runs `work` in scalot's pool while the calling thread answers its progress reports with `progress`.
pub fn run_with_progress<P: Send, R: Send>(
    work: impl FnOnce(&mut dyn FnMut(P) -> bool) -> R + Send,
    progress: &mut dyn FnMut(P) -> bool,
) -> R {
    enum Message<P, R> {
        Progress(P),
        Done(R),
    }
    let Some(pool) = pool_for_call() else {
        return work(&mut |report| in_callback(progress, report));
    };
    let (to_caller, inbox) = mpsc::channel();
    let (to_worker, replies) = mpsc::channel::<bool>();
    pool.in_place_scope(|scope| {
        scope.spawn(move |_| {
            let to_caller_for_reports = to_caller.clone();
            let mut report = |p: P| {
                to_caller_for_reports.send(Message::Progress(p)).is_ok()
                    && replies.recv().unwrap_or(false)
            };
            let result = work(&mut report);
            // The caller is waiting for this message; it cannot have gone.
            let _ = to_caller.send(Message::Done(result));
        });
        loop {
            match inbox.recv() {
                Ok(Message::Progress(p)) => {
                    // The worker is blocked on this reply; it cannot have gone.
                    let _ = to_worker.send(in_callback(progress, p));
                }
                Ok(Message::Done(result)) => break Some(result),
                // The worker panicked; leaving the scope re-raises its panic.
                Err(_) => break None,
            }
        }
    })
    .expect("a worker's panic is re-raised when its scope ends")
}
