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

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, RwLock};
use std::time::Duration;

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
    /// The stop flag of the call whose work this thread runs (see [`Interrupt`]).
    static INTERRUPT: RefCell<Option<Arc<AtomicUsize>>> = const { RefCell::new(None) };
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

/// Runs `work` in scalot's pool and waits for it. In the pool it is a call of its own, with no
/// [`Interrupt`] (the thread that runs it may be working for another call, whose interrupt is not this
/// one's); run in place, it is part of the call it was made from, and keeps that call's interrupt.
pub fn run<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    match pool_for_call() {
        Some(pool) => pool.install(|| {
            let _interrupt = enter_interrupt(None);
            work()
        }),
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

/// How long the calling thread waits for a report before it repeats the last one to the callback, so
/// that a pass longer than this (a first log-domain iteration, a stored operator's build) can still be
/// cancelled while it runs.
pub const HEARTBEAT: Duration = Duration::from_millis(250);

/// A cancel request of the call a thread works for, which long passes check between their tiles: a
/// pass that sees it stops early and returns [`Error::Cancelled`]. Outside a call with a heartbeat it
/// is never requested.
#[derive(Clone, Default)]
pub struct Interrupt(Option<Arc<AtomicUsize>>);

impl Interrupt {
    /// The interrupt of the call this thread is working for.
    pub fn current() -> Self {
        INTERRUPT.with(|interrupt| Interrupt(interrupt.borrow().clone()))
    }

    /// Whether the caller has asked to stop: a pass checks this between tiles.
    #[inline]
    pub fn requested(&self) -> bool {
        self.0
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed) != 0)
    }

    /// [`Error::Cancelled`] (at the iteration the caller last heard of) if the caller asked to stop.
    pub fn check(&self) -> Result<()> {
        match self.0.as_ref().map(|flag| flag.load(Ordering::Relaxed)) {
            Some(at) if at != 0 => Err(Error::Cancelled { iteration: at - 1 }),
            _ => Ok(()),
        }
    }
}

/// Makes `flag` this thread's [`Interrupt`] until the guard drops.
fn enter_interrupt(flag: Option<Arc<AtomicUsize>>) -> impl Drop {
    struct Restore(Option<Arc<AtomicUsize>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            INTERRUPT.with(|interrupt| *interrupt.borrow_mut() = previous);
        }
    }
    Restore(INTERRUPT.with(|interrupt| std::mem::replace(&mut *interrupt.borrow_mut(), flag)))
}

/// Runs `work` in scalot's pool while the calling thread answers its progress reports with `progress`.
pub fn run_with_progress<P: Send + Clone, R: Send>(
    work: impl FnOnce(&mut dyn FnMut(P) -> bool) -> R + Send,
    progress: &mut dyn FnMut(P) -> bool,
) -> R {
    relay(work, progress, None)
}

/// As [`run_with_progress`], and while no report arrives for a [`HEARTBEAT`] the calling thread calls
/// `progress` again with the last report (`first` before any). If it then asks to stop, the work's
/// [`Interrupt`] is set, at the count `done` gives for that report, and every later report is answered
/// with a stop.
///
/// Work that finishes after the caller asked to stop, in a part that does not check its interrupt,
/// still ends in [`Error::Cancelled`]: a stop the callback asked for is never an OK result.
pub fn run_with_heartbeat<P: Send + Clone, T: Send>(
    first: P,
    done: fn(&P) -> usize,
    work: impl FnOnce(&mut dyn FnMut(P) -> bool) -> Result<T> + Send,
    progress: &mut dyn FnMut(P) -> bool,
) -> Result<T> {
    relay(
        |report| {
            let value = work(report)?;
            Interrupt::current().check()?;
            Ok(value)
        },
        progress,
        Some(Heartbeat { last: first, done }),
    )
}

/// The report a heartbeat repeats, and how many iterations it stands for.
struct Heartbeat<P> {
    last: P,
    done: fn(&P) -> usize,
}

fn relay<P: Send + Clone, R: Send>(
    work: impl FnOnce(&mut dyn FnMut(P) -> bool) -> R + Send,
    progress: &mut dyn FnMut(P) -> bool,
    mut heartbeat: Option<Heartbeat<P>>,
) -> R {
    enum Message<P, R> {
        Progress(P),
        Done(R),
    }
    let Some(pool) = pool_for_call() else {
        return work(&mut |report| in_callback(progress, report));
    };
    // 0 while the caller lets the work go on; 1 + the iteration at which it asked to stop.
    let stop = Arc::new(AtomicUsize::new(0));
    let flag = Arc::clone(&stop);
    let (to_caller, inbox) = mpsc::channel();
    let (to_worker, replies) = mpsc::channel::<bool>();
    let mut ask = move |report: P, done: usize| -> bool {
        let go = stop.load(Ordering::Relaxed) == 0 && in_callback(progress, report);
        if !go {
            let _ = stop.compare_exchange(0, done + 1, Ordering::Relaxed, Ordering::Relaxed);
        }
        go
    };
    // The channels move into the scope: if the callback panics, they drop as it unwinds, and the worker's
    // next report fails (a stop) instead of waiting for a reply forever.
    pool.in_place_scope(move |scope| {
        scope.spawn(move |_| {
            let _interrupt = enter_interrupt(Some(flag));
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
            let message = match &heartbeat {
                Some(_) => inbox.recv_timeout(HEARTBEAT),
                None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match message {
                Ok(Message::Progress(p)) => {
                    let done = heartbeat.as_mut().map_or(0, |beat| {
                        beat.last = p.clone();
                        (beat.done)(&p)
                    });
                    // The worker is blocked on this reply; it cannot have gone.
                    let _ = to_worker.send(ask(p, done));
                }
                Ok(Message::Done(result)) => break Some(result),
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(beat) = &heartbeat {
                        ask(beat.last.clone(), (beat.done)(&beat.last));
                    }
                }
                // The worker panicked; leaving the scope re-raises its panic.
                Err(RecvTimeoutError::Disconnected) => break None,
            }
        }
    })
    .expect("a worker's panic is re-raised when its scope ends")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Work that never reports, and stops only when its interrupt is set.
    fn until_interrupted(limit: Duration) -> Result<usize> {
        let interrupt = Interrupt::current();
        let start = Instant::now();
        while !interrupt.requested() && start.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(1));
        }
        interrupt.check().map(|()| 0)
    }

    #[test]
    fn a_heartbeat_lets_the_caller_stop_work_that_does_not_report() {
        let mut calls = Vec::new();
        let result = run_with_heartbeat(
            (7usize, f64::INFINITY),
            |p: &(usize, f64)| p.0,
            |_report| until_interrupted(Duration::from_secs(60)),
            &mut |p| {
                calls.push(p);
                false
            },
        );
        assert!(matches!(result, Err(Error::Cancelled { iteration: 7 })));
        assert_eq!(calls, vec![(7, f64::INFINITY)]);
    }

    #[test]
    fn a_heartbeat_repeats_the_last_report_and_later_reports_are_refused() {
        let mut calls = Vec::new();
        let result = run_with_heartbeat(
            0usize,
            |&p| p,
            |report| {
                assert!(report(3));
                let cancelled = until_interrupted(Duration::from_secs(60));
                // Once the caller has asked to stop, a report is answered without asking again.
                assert!(!report(4));
                cancelled
            },
            &mut |p| {
                calls.push(p);
                calls.len() == 1
            },
        );
        assert!(matches!(result, Err(Error::Cancelled { iteration: 3 })));
        assert_eq!(calls, vec![3, 3]);
    }

    #[test]
    fn a_stop_asked_during_work_that_does_not_check_is_still_a_cancel() {
        let result = run_with_heartbeat(
            0usize,
            |&p| p,
            |_report| {
                std::thread::sleep(HEARTBEAT * 3);
                Ok(1)
            },
            &mut |_| false,
        );
        assert!(matches!(result, Err(Error::Cancelled { iteration: 0 })));
    }

    #[test]
    fn a_panicking_callback_ends_the_call_instead_of_hanging_it() {
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let outcome = std::panic::catch_unwind(|| {
                run_with_heartbeat(
                    0usize,
                    |&p| p,
                    |report| {
                        // Reports until one is refused, as a solve does.
                        while report(1) {}
                        Ok(())
                    },
                    &mut |_| panic!("the callback failed"),
                )
            });
            let _ = done.send(outcome.is_err());
        });
        let panicked = finished
            .recv_timeout(Duration::from_secs(30))
            .expect("the call returns");
        assert!(panicked);
    }

    #[test]
    fn without_a_heartbeat_nothing_is_interrupted() {
        let result = run_with_progress(
            |_report: &mut dyn FnMut(usize) -> bool| until_interrupted(HEARTBEAT * 3),
            &mut |_| false,
        );
        assert!(matches!(result, Ok(0)));
    }
}
