//! Regressions for the defects an adversarial probe of the C ABI found (issue 18): sizes whose bytes
//! overflow, counts that made Rust panic, LSH settings that aborted the process, the R_ρ Anderson
//! panic, a deadlock of nested calls from a callback, unbounded thread counts, derived values that
//! overflowed under an OK status, an out-of-memory status that came after minutes of work, and messages
//! that named the wrong argument. Each case checks the exact status and the word of the message that
//! names the argument or the quantity.

use scalot_testkit::last_error as message;
use std::ffi::{c_int, c_void};
use std::ptr::{null, null_mut};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use scalot::ffi::align::*;
use scalot::ffi::kernel::*;
use scalot::ffi::lcn::scalot_kernel_lcn_new;
use scalot::ffi::library::scalot_set_num_threads;
use scalot::ffi::nystrom::*;
use scalot::ffi::plan::*;
use scalot::ffi::rrho::*;
use scalot::ffi::scalot_status;
use scalot::ffi::sinkhorn::*;
use scalot::ffi::sparse::*;

const P62: usize = 1 << 62;

#[track_caller]
fn expect(what: &str, found: scalot_status, expected: scalot_status, word: &str) {
    let text = message();
    assert_eq!(found, expected, "{what}: {text}");
    assert!(
        scalot_testkit::names(&text, word),
        "{what}: {text:?} does not name {word:?}"
    );
}

/// Points in [0, 1)^d from a fixed integer pattern.
fn points(count: usize, d: usize, salt: usize) -> Vec<f64> {
    (0..count * d)
        .map(|i| ((i * 7919 + salt * 104_729) % 1000) as f64 / 1000.0)
        .collect()
}

fn dense(
    x: &[f64],
    n: usize,
    y: &[f64],
    m: usize,
    d: usize,
    cost: c_int,
    eps: f64,
) -> *mut scalot_kernel {
    let mut k = null_mut();
    let status = scalot_kernel_dense_new(x.as_ptr(), n, y.as_ptr(), m, d, 0, cost, eps, 0, &mut k);
    assert_eq!(status, scalot_status::Ok, "{}", message());
    k
}

fn solve(
    k: *const scalot_kernel,
    (n, m): (usize, usize),
    a: Option<&[f64]>,
    b: Option<&[f64]>,
) -> (scalot_status, *mut scalot_plan) {
    let mut plan = null_mut();
    let status = scalot_sinkhorn_solve(
        k,
        a.map_or(null(), <[f64]>::as_ptr),
        n,
        b.map_or(null(), <[f64]>::as_ptr),
        m,
        null(),
        &mut plan,
    );
    (status, plan)
}

#[test]
fn sizes_whose_bytes_overflow_are_refused_before_any_read() {
    let (x, y) = ([0.0; 4], [0.0; 4]);
    let mut k = null_mut();
    for d in [P62, usize::MAX] {
        let status = scalot_kernel_dense_new(x.as_ptr(), 1, y.as_ptr(), 1, d, 0, 0, 1.0, 0, &mut k);
        expect("dense d", status, scalot_status::SizeOverflow, "x");
    }
    let status = scalot_kernel_dense_from_cost(x.as_ptr(), 1 << 31, 1 << 31, 0, 1.0, 0, &mut k);
    expect("cost n x m", status, scalot_status::SizeOverflow, "cost");
    let mut q = null_mut();
    let status = scalot_rrho_problem_new(
        x.as_ptr(),
        1,
        y.as_ptr(),
        1,
        P62,
        0,
        null(),
        null(),
        1.5,
        1e-3,
        0.0,
        &mut q,
    );
    expect("rrho d", status, scalot_status::SizeOverflow, "x");
    assert!(k.is_null() && q.is_null());

    let mut options = null_mut();
    assert_eq!(scalot_sinkhorn_options_new(&mut options), scalot_status::Ok);
    let status = scalot_sinkhorn_options_set_warm_start(options, x.as_ptr(), P62, y.as_ptr(), 1);
    expect("warm start n", status, scalot_status::SizeOverflow, "f");
    scalot_sinkhorn_options_free(options);
}

/// scalot_retrieval_precision between two one-point clouds in 1-d, with `count` seed pairs claimed (the
/// index buffers hold two).
fn retrieval_precision_with_count(count: usize) -> scalot_status {
    let (x, rotation, indices) = ([0.0], [1.0], [0usize; 2]);
    let mut found = std::mem::MaybeUninit::uninit();
    scalot_retrieval_precision(
        x.as_ptr(),
        1,
        x.as_ptr(),
        1,
        1,
        0,
        rotation.as_ptr(),
        indices.as_ptr(),
        indices.as_ptr(),
        count,
        1,
        found.as_mut_ptr(),
    )
}

#[test]
fn counts_whose_bytes_overflow_are_size_overflows_not_panics() {
    let indices = [0usize; 2];
    expect(
        "retrieval count",
        retrieval_precision_with_count(P62),
        scalot_status::SizeOverflow,
        "source",
    );

    let mut align = null_mut();
    assert_eq!(scalot_align_options_new(&mut align), scalot_status::Ok);
    let status =
        scalot_align_options_set_seed_pairs(align, indices.as_ptr(), indices.as_ptr(), P62);
    expect(
        "seed pairs count",
        status,
        scalot_status::SizeOverflow,
        "source",
    );
    scalot_align_options_free(align);

    let mut pairs = null_mut();
    assert_eq!(scalot_sparse_options_new(&mut pairs), scalot_status::Ok);
    let status = scalot_sparse_options_set_hierarchical_kmeans(pairs, indices.as_ptr(), P62, 1, 1);
    expect(
        "k-means levels",
        status,
        scalot_status::SizeOverflow,
        "branching",
    );
    scalot_sparse_options_free(pairs);
}

#[test]
fn lsh_bands_wider_than_the_points_are_refused_at_the_build() {
    let (n, d) = (8, 4);
    let (x, y) = (points(n, d, 1), points(n, d, 2));
    for log2 in [30, 40, 62, 63] {
        let mut pairs = null_mut();
        assert_eq!(scalot_sparse_options_new(&mut pairs), scalot_status::Ok);
        assert_eq!(
            scalot_sparse_options_set_lsh(pairs, 1 << log2, 1, 1),
            scalot_status::Ok
        );
        let mut k = null_mut();
        let status =
            scalot_kernel_sparse_new(x.as_ptr(), n, y.as_ptr(), n, d, 0, 0, 0.1, pairs, &mut k);
        expect(
            &format!("2^{log2} buckets"),
            status,
            scalot_status::InvalidArgument,
            "directions",
        );
        assert!(k.is_null());
        scalot_sparse_options_free(pairs);
    }
    // The LCN paper's setting still runs on a problem smaller than its 65 directions per band.
    let mut pairs = null_mut();
    assert_eq!(scalot_sparse_options_new(&mut pairs), scalot_status::Ok);
    assert_eq!(
        scalot_sparse_options_set_lsh(pairs, 130, 2, 16),
        scalot_status::Ok
    );
    let mut k = null_mut();
    let status =
        scalot_kernel_sparse_new(x.as_ptr(), n, y.as_ptr(), n, d, 0, 0, 0.1, pairs, &mut k);
    assert_eq!(status, scalot_status::Ok, "{}", message());
    scalot_kernel_free(k);
    scalot_sparse_options_free(pairs);
}

/// An R_ρ solve from `alpha`, `beta`: OK with a finite summary, or NUMERICAL_FAILURE; never a panic.
fn rrho_answers(x: &[f64], y: &[f64], d: usize, rho: f64, floor: f64, warm: (&[f64], &[f64])) {
    let (n, m) = (x.len() / d, y.len() / d);
    let mut q = null_mut();
    let status = scalot_rrho_problem_new(
        x.as_ptr(),
        n,
        y.as_ptr(),
        m,
        d,
        0,
        null(),
        null(),
        rho,
        floor,
        0.0,
        &mut q,
    );
    assert_eq!(status, scalot_status::Ok, "{}", message());
    let mut options = null_mut();
    assert_eq!(scalot_rrho_options_new(&mut options), scalot_status::Ok);
    assert_eq!(
        scalot_rrho_options_set_max_passes(options, 40),
        scalot_status::Ok
    );
    let status =
        scalot_rrho_options_set_warm_start(options, warm.0.as_ptr(), n, warm.1.as_ptr(), m);
    assert_eq!(status, scalot_status::Ok, "{}", message());
    let mut solution = null_mut();
    let status = scalot_rrho_solve(q, options, &mut solution);
    match status {
        scalot_status::Ok => {
            let mut summary = std::mem::MaybeUninit::uninit();
            assert_eq!(
                scalot_rrho_solution_summary(solution, summary.as_mut_ptr()),
                scalot_status::Ok
            );
            // SAFETY: written by the call that returned OK.
            let summary = unsafe { summary.assume_init() };
            assert!(summary.value.is_finite() && summary.upper_bound.is_finite());
        }
        other => expect(
            "R_rho from an extreme warm start",
            other,
            scalot_status::NumericalFailure,
            "not finite",
        ),
    }
    scalot_rrho_solution_free(solution);
    scalot_rrho_options_free(options);
    scalot_rrho_problem_free(q);
}

#[test]
fn r_rho_from_an_overflowing_warm_start_does_not_panic() {
    let x = [0.25, 0.5, 0.75];
    let y: Vec<f64> = (0..12).map(|j| j as f64 / 11.0).collect();
    let mut beta = vec![0.5; 12];
    beta[3] = f64::MAX;
    beta[7] = -1e31;
    rrho_answers(&x, &y, 1, 2.0, 1e-3, (&[1.0, -1.0, 2.0], &beta));
    // Coordinates far apart at ρ near 1 without a floor.
    let x = [0.5, -0.25, 1e8, 0.0];
    let y = [-0.75, 0.5, -5e150, 1e8, 0.25, 0.125];
    rrho_answers(&x, &y, 2, 1.01, 0.0, (&[0.1, -0.5], &[-0.2, -2.0, -2.0]));
}

static NESTED: Mutex<Option<scalot_status>> = Mutex::new(None);

struct Inner(*mut scalot_kernel);

unsafe extern "C" fn nested_solve(user: *mut c_void, iteration: usize, _error: f64) -> c_int {
    if iteration == 1 {
        // SAFETY: the user data is the `Inner` the test passed, alive for the solve.
        let inner = unsafe { &*(user as *const Inner) };
        let (status, plan) = solve(inner.0, (5, 4), None, None);
        scalot_plan_free(plan);
        *NESTED.lock().unwrap() = Some(status);
    }
    0
}

#[test]
fn a_callback_may_solve_again_with_one_thread() {
    let (x, y) = (points(40, 2, 3), points(30, 2, 4));
    let outer = dense(&x, 40, &y, 30, 2, 0, 0.05) as usize;
    let inner = Inner(dense(&x[..10], 5, &y[..8], 4, 2, 0, 0.5));
    let (done, finished) = mpsc::channel();
    let inner_address = &inner as *const Inner as usize;
    std::thread::spawn(move || {
        assert_eq!(scalot_set_num_threads(1), scalot_status::Ok);
        let mut options = null_mut();
        assert_eq!(scalot_sinkhorn_options_new(&mut options), scalot_status::Ok);
        let status = scalot_sinkhorn_options_set_progress_callback(
            options,
            Some(nested_solve),
            inner_address as *mut c_void,
        );
        assert_eq!(status, scalot_status::Ok);
        let mut plan = null_mut();
        let status = scalot_sinkhorn_solve(
            outer as *const _,
            null(),
            40,
            null(),
            30,
            options,
            &mut plan,
        );
        scalot_plan_free(plan);
        scalot_sinkhorn_options_free(options);
        assert_eq!(scalot_set_num_threads(0), scalot_status::Ok);
        let _ = done.send(status);
    });
    let status = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("a solve whose callback solves again returns (it deadlocked before)");
    assert_eq!(status, scalot_status::Ok, "{}", message());
    assert_eq!(*NESTED.lock().unwrap(), Some(scalot_status::Ok));
    scalot_kernel_free(outer as *mut _);
    scalot_kernel_free(inner.0);
}

#[test]
fn thread_counts_above_the_cap_are_refused() {
    for threads in [1025, usize::MAX] {
        expect(
            "threads",
            scalot_set_num_threads(threads),
            scalot_status::InvalidArgument,
            "at most 1024",
        );
    }
}

fn finite_summaries(plan: *const scalot_plan) {
    let (mut mass, mut objective, mut dual) = (0.0, 0.0, 0.0);
    assert_eq!(scalot_plan_mass(plan, &mut mass), scalot_status::Ok);
    assert_eq!(
        scalot_plan_regularized_objective(plan, &mut objective),
        scalot_status::Ok
    );
    assert_eq!(
        scalot_plan_dual_objective(plan, &mut dual),
        scalot_status::Ok
    );
    assert!(mass.is_finite() && objective.is_finite() && dual.is_finite());
}

#[test]
fn derived_values_that_overflow_are_numerical_failures() {
    let (x, y) = (points(6, 2, 5), points(5, 2, 6));
    // ε = 1e-300 with the Euclidean (1) and negative dot-product (2) costs: C/ε leaves the doubles.
    for cost in [1, 2] {
        let k = dense(&x, 6, &y, 5, 2, cost, 1e-300);
        let (status, plan) = solve(k, (6, 5), None, None);
        if status == scalot_status::Ok {
            finite_summaries(plan);
        } else {
            expect(
                "eps 1e-300",
                status,
                scalot_status::NumericalFailure,
                "epsilon",
            );
        }
        scalot_plan_free(plan);
        scalot_kernel_free(k);
    }
    // Finite weights whose sum is not.
    let k = dense(&x, 6, &y, 5, 2, 0, 0.5);
    let (a, b) = ([1e308; 6], [1.2e308; 5]);
    let (status, plan) = solve(k, (6, 5), Some(&a), Some(&b));
    expect(
        "weights 1e308",
        status,
        scalot_status::InvalidArgument,
        "rescale",
    );
    assert!(plan.is_null());
    scalot_kernel_free(k);

    // P v and Pᵀ u on approximate plans, with entries at the largest doubles (NaN under OK before).
    let mut kernels = [null_mut(), null_mut(), null_mut()];
    let status = scalot_kernel_nystrom_new(
        x.as_ptr(),
        6,
        y.as_ptr(),
        5,
        2,
        0,
        0,
        0.5,
        null(),
        &mut kernels[0],
    );
    assert_eq!(status, scalot_status::Ok, "{}", message());
    let status = scalot_kernel_lcn_new(
        x.as_ptr(),
        6,
        y.as_ptr(),
        5,
        2,
        0,
        0,
        0.5,
        null(),
        null(),
        &mut kernels[1],
    );
    assert_eq!(status, scalot_status::Ok, "{}", message());
    let mut pairs = null_mut();
    assert_eq!(scalot_sparse_options_new(&mut pairs), scalot_status::Ok);
    assert_eq!(
        scalot_sparse_options_set_kmeans(pairs, 3, 1, 10),
        scalot_status::Ok
    );
    let status = scalot_kernel_sparse_new(
        x.as_ptr(),
        6,
        y.as_ptr(),
        5,
        2,
        0,
        0,
        0.5,
        pairs,
        &mut kernels[2],
    );
    assert_eq!(status, scalot_status::Ok, "{}", message());
    scalot_sparse_options_free(pairs);
    for k in kernels {
        let (status, plan) = solve(k, (6, 5), None, None);
        assert_eq!(status, scalot_status::Ok, "{}", message());
        let (v, mut pv) = ([1e308, -1e308, 1e308, 1e308, -1e308], [0.0; 6]);
        let status = scalot_plan_apply(plan, v.as_ptr(), 5, pv.as_mut_ptr(), 6);
        if status == scalot_status::Ok {
            assert!(pv.iter().all(|p| p.is_finite()), "{pv:?}");
        } else {
            expect("P v", status, scalot_status::NumericalFailure, "P v");
        }
        let (u, mut ptu) = ([1e308; 6], [0.0; 5]);
        let status = scalot_plan_apply_transpose(plan, u.as_ptr(), 6, ptu.as_mut_ptr(), 5);
        if status == scalot_status::Ok {
            assert!(ptu.iter().all(|p| p.is_finite()), "{ptu:?}");
        } else {
            expect("Pᵀ u", status, scalot_status::NumericalFailure, "Pᵀ u");
        }
        scalot_plan_free(plan);
        scalot_kernel_free(k);
    }

    // R_ρ with a floor near the largest double.
    let mut q = null_mut();
    let status = scalot_rrho_problem_new(
        x.as_ptr(),
        6,
        y.as_ptr(),
        5,
        2,
        0,
        null(),
        null(),
        1.5,
        1e300,
        0.0,
        &mut q,
    );
    assert_eq!(status, scalot_status::Ok, "{}", message());
    let mut solution = null_mut();
    let status = scalot_rrho_solve(q, null(), &mut solution);
    if status == scalot_status::Ok {
        let mut summary = std::mem::MaybeUninit::uninit();
        assert_eq!(
            scalot_rrho_solution_summary(solution, summary.as_mut_ptr()),
            scalot_status::Ok
        );
        // SAFETY: written by the call that returned OK.
        let summary = unsafe { summary.assume_init() };
        assert!(summary.upper_bound.is_finite(), "{}", summary.upper_bound);
    } else {
        expect(
            "R_rho floor 1e300",
            status,
            scalot_status::NumericalFailure,
            "floor",
        );
    }
    scalot_rrho_solution_free(solution);
    scalot_rrho_problem_free(q);
}

#[test]
fn a_stored_kernel_that_cannot_fit_is_refused_before_its_first_pass() {
    // 2·10⁶ points a side: the f64 operator would take 32 TB, the costs 4·10¹² passes of d = 1.
    let n = 2_000_000;
    let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let mut k = null_mut();
    let status = scalot_kernel_dense_new(x.as_ptr(), n, x.as_ptr(), n, 1, 0, 0, 0.1, 0, &mut k);
    assert_eq!(status, scalot_status::Ok, "{}", message());
    let started = std::time::Instant::now();
    let (status, plan) = solve(k, (n, n), None, None);
    expect(
        "stored 2e6 x 2e6",
        status,
        scalot_status::OutOfMemory,
        "stored dense kernel",
    );
    assert!(plan.is_null());
    // Before: the refusal came after one pass over the 4·10¹² costs, hours here.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    scalot_kernel_free(k);
}

/// What the cancelling callback was first told: the iteration and whether the error was infinite.
static FIRST_REPORT: Mutex<Option<(usize, bool)>> = Mutex::new(None);

unsafe extern "C" fn cancel_at_once(_: *mut c_void, iteration: usize, error: f64) -> c_int {
    FIRST_REPORT
        .lock()
        .unwrap()
        .get_or_insert((iteration, error.is_infinite()));
    1
}

/// Solves on 20,000 × 20,000 stored f64 points (a first pass over 4·10⁸ costs, and a 3.2 GB build)
/// with a callback that cancels at its first call and a check interval no solve reaches.
fn cancelled_before_the_first_iteration(warm_start: bool) {
    let (n, d) = (20_000, 16);
    let (x, y) = (points(n, d, 5), points(n, d, 6));
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let k = dense(&x, n, &y, n, d, 0, 0.05);
        let mut options = null_mut();
        assert_eq!(scalot_sinkhorn_options_new(&mut options), scalot_status::Ok);
        let status = scalot_sinkhorn_options_set_progress_callback(
            options,
            Some(cancel_at_once),
            null_mut(),
        );
        assert_eq!(status, scalot_status::Ok);
        assert_eq!(
            scalot_sinkhorn_options_set_check_interval(options, 1_000_000),
            scalot_status::Ok
        );
        if warm_start {
            // A warm start is absorbed as it is: the solve starts with the operator's build.
            let zeros = vec![0.0; n];
            let status = scalot_sinkhorn_options_set_warm_start(
                options,
                zeros.as_ptr(),
                n,
                zeros.as_ptr(),
                n,
            );
            assert_eq!(status, scalot_status::Ok);
        }
        let mut plan = null_mut();
        let status = scalot_sinkhorn_solve(k, null(), n, null(), n, options, &mut plan);
        let text = message();
        assert!(plan.is_null());
        scalot_sinkhorn_options_free(options);
        scalot_kernel_free(k);
        let _ = done.send((status, text));
    });
    let (status, text) = finished
        .recv_timeout(Duration::from_secs(120))
        .expect("a cancelled solve returns");
    assert_eq!(status, scalot_status::Cancelled, "{text}");
    assert!(text.contains("cancelled"), "{text}");
    // Told before any iteration was done: the heartbeat, not a report of an iteration.
    assert_eq!(*FIRST_REPORT.lock().unwrap(), Some((0, true)));
}

#[test]
fn a_cancel_stops_the_first_pass_and_the_build_of_a_stored_kernel() {
    // Without the heartbeat and the passes' checks, no callback is due before iteration 10⁶: both
    // solves would run to their end (the first pass alone takes about 20 s in a release build).
    cancelled_before_the_first_iteration(false);
    *FIRST_REPORT.lock().unwrap() = None;
    cancelled_before_the_first_iteration(true);
}

#[test]
fn messages_name_the_argument_the_caller_passed() {
    let mut landmarks = null_mut();
    assert_eq!(
        scalot_nystrom_options_new(&mut landmarks),
        scalot_status::Ok
    );
    for method in [0, 1] {
        let status = scalot_nystrom_options_set_inverse(landmarks, method, 2.0);
        expect(
            "inverse tolerance",
            status,
            scalot_status::InvalidArgument,
            "tolerance",
        );
    }
    scalot_nystrom_options_free(landmarks);

    let mut pairs = null_mut();
    assert_eq!(scalot_sparse_options_new(&mut pairs), scalot_status::Ok);
    let status =
        scalot_sparse_options_set_hierarchical_kmeans(pairs, [4usize, 0].as_ptr(), 2, 1, 1);
    expect(
        "k-means level of 0",
        status,
        scalot_status::InvalidArgument,
        "branching",
    );
    scalot_sparse_options_free(pairs);

    let mut align = null_mut();
    assert_eq!(scalot_align_options_new(&mut align), scalot_status::Ok);
    let status = scalot_align_options_set_initial_rotation(align, [1.0].as_ptr(), 0, 0);
    expect(
        "rotation d = 0",
        status,
        scalot_status::EmptyInput,
        "d is empty",
    );
    let indices = [0usize];
    let status = scalot_align_options_set_seed_pairs(align, indices.as_ptr(), indices.as_ptr(), 0);
    expect(
        "seed pairs count 0",
        status,
        scalot_status::EmptyInput,
        "count",
    );
    scalot_align_options_free(align);

    expect(
        "retrieval count 0",
        retrieval_precision_with_count(0),
        scalot_status::EmptyInput,
        "count",
    );
}
