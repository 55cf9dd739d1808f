//! scalot's own thread pool, so that a host program's rayon pool (or none) is left alone and the caller
//! chooses the width: `scalot_set_num_threads`, else `SCALOT_NUM_THREADS`, else every core.
//!
//! A solve runs inside the pool, so its many small products never cross threads. Progress callbacks
//! are relayed back to the calling thread, which may be R's or Julia's main thread and the only one
//! allowed to call into that runtime.

use std::sync::mpsc;
use std::sync::{Arc, RwLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::{Error, Result};

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

fn build(threads: usize) -> Result<Arc<ThreadPool>> {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("scalot-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| Error::invalid("threads", format!("the thread pool could not start: {e}")))
}

fn threads_from_env() -> usize {
    std::env::var("SCALOT_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
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

/// Sets the number of threads for later work; 0 restores the default. Work already running keeps the
/// pool it started with.
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

/// Runs `work` in scalot's pool and waits for it.
pub fn run<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    pool().install(work)
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
    let (to_caller, inbox) = mpsc::channel();
    let (to_worker, replies) = mpsc::channel::<bool>();
    pool()
        .in_place_scope(|scope| {
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
                        let _ = to_worker.send(progress(p));
                    }
                    Ok(Message::Done(result)) => break Some(result),
                    // The worker panicked; leaving the scope re-raises its panic.
                    Err(_) => break None,
                }
            }
        })
        .expect("a worker's panic is re-raised when its scope ends")
}
