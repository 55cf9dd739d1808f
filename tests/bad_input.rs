//! One row per kind of bad input, through the C entry points: the exact status, a message naming the
//! argument, and no output written.

use scalot_testkit::last_error as message;
use std::ffi::{c_int, c_void};
use std::ptr::{null, null_mut};

use scalot::ffi::kernel::{
    scalot_kernel, scalot_kernel_dense_from_cost, scalot_kernel_dense_new, scalot_kernel_free,
};
use scalot::ffi::plan::{scalot_plan, scalot_plan_free};
use scalot::ffi::scalot_status;
use scalot::ffi::sinkhorn::*;

const X: [f64; 6] = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
const Y: [f64; 4] = [0.5, 0.5, 1.0, 1.0];

fn kernel(
    x: &[f64],
    n: usize,
    y: &[f64],
    m: usize,
    d: usize,
    eps: f64,
) -> (scalot_status, *mut scalot_kernel) {
    let mut out = null_mut();
    let status = scalot_kernel_dense_new(x.as_ptr(), n, y.as_ptr(), m, d, 0, 0, eps, 0, &mut out);
    (status, out)
}

fn good_kernel() -> *mut scalot_kernel {
    let (status, k) = kernel(&X, 3, &Y, 2, 2, 0.5);
    assert_eq!(status, scalot_status::Ok);
    k
}

fn solve(
    k: *const scalot_kernel,
    a: Option<&[f64]>,
    n: usize,
    b: Option<&[f64]>,
    m: usize,
    options: *const scalot_sinkhorn_options,
) -> (scalot_status, *mut scalot_plan) {
    let mut out = null_mut();
    let status = scalot_sinkhorn_solve(
        k,
        a.map_or(null(), |a| a.as_ptr()),
        n,
        b.map_or(null(), |b| b.as_ptr()),
        m,
        options,
        &mut out,
    );
    (status, out)
}

fn expect(what: &str, found: scalot_status, expected: scalot_status, arg: &str) {
    let message = message();
    assert_eq!(found, expected, "{what}: {message}");
    assert!(
        scalot_testkit::names(&message, arg),
        "{what}: message {message:?} does not name {arg}"
    );
}

/// (what, the call, the expected status, the argument its message must name).
type KernelRow = (
    &'static str,
    Box<dyn Fn() -> (scalot_status, *mut scalot_kernel)>,
    scalot_status,
    &'static str,
);

#[test]
fn kernel_construction_refuses_bad_input() {
    let nan_x = [0.0, f64::NAN, 1.0, 0.0, 0.0, 1.0];
    let inf_y = [0.5, f64::INFINITY, 1.0, 1.0];
    let cases: Vec<KernelRow> = vec![
        (
            "NULL x",
            Box::new(|| {
                let mut out = null_mut();
                (
                    scalot_kernel_dense_new(null(), 3, Y.as_ptr(), 2, 2, 0, 0, 0.5, 0, &mut out),
                    out,
                )
            }),
            scalot_status::NullPointer,
            "x",
        ),
        (
            "NULL out",
            Box::new(|| {
                (
                    scalot_kernel_dense_new(
                        X.as_ptr(),
                        3,
                        Y.as_ptr(),
                        2,
                        2,
                        0,
                        0,
                        0.5,
                        0,
                        null_mut(),
                    ),
                    null_mut(),
                )
            }),
            scalot_status::NullPointer,
            "out",
        ),
        (
            "n = 0",
            Box::new(|| kernel(&X, 0, &Y, 2, 2, 0.5)),
            scalot_status::EmptyInput,
            "n",
        ),
        (
            "m = 0",
            Box::new(|| kernel(&X, 3, &Y, 0, 2, 0.5)),
            scalot_status::EmptyInput,
            "m",
        ),
        (
            "d = 0",
            Box::new(|| kernel(&X, 3, &Y, 2, 0, 0.5)),
            scalot_status::EmptyInput,
            "d",
        ),
        (
            "NaN in x",
            Box::new(move || kernel(&nan_x, 3, &Y, 2, 2, 0.5)),
            scalot_status::NonFinite,
            "x[1]",
        ),
        (
            "Inf in y",
            Box::new(move || kernel(&X, 3, &inf_y, 2, 2, 0.5)),
            scalot_status::NonFinite,
            "y[1]",
        ),
        (
            "eps = 0",
            Box::new(|| kernel(&X, 3, &Y, 2, 2, 0.0)),
            scalot_status::InvalidArgument,
            "epsilon",
        ),
        (
            "eps < 0",
            Box::new(|| kernel(&X, 3, &Y, 2, 2, -1.0)),
            scalot_status::InvalidArgument,
            "epsilon",
        ),
        (
            "eps NaN",
            Box::new(|| kernel(&X, 3, &Y, 2, 2, f64::NAN)),
            scalot_status::InvalidArgument,
            "epsilon",
        ),
        (
            "n*d overflow",
            Box::new(|| kernel(&X, usize::MAX / 2 + 1, &Y, 2, 2, 0.5)),
            scalot_status::SizeOverflow,
            "x (n x d)",
        ),
        (
            "n*m overflow",
            Box::new(|| {
                let mut out = null_mut();
                (
                    scalot_kernel_dense_from_cost(
                        X.as_ptr(),
                        usize::MAX / 2 + 1,
                        4,
                        0,
                        0.5,
                        0,
                        &mut out,
                    ),
                    out,
                )
            }),
            scalot_status::SizeOverflow,
            "cost (n x m)",
        ),
        (
            "NaN cost",
            Box::new(|| {
                let mut out = null_mut();
                let cost = [1.0, 2.0, f64::NAN, 0.0];
                (
                    scalot_kernel_dense_from_cost(cost.as_ptr(), 2, 2, 0, 0.5, 0, &mut out),
                    out,
                )
            }),
            scalot_status::NonFinite,
            "cost[2]",
        ),
        (
            "bad layout",
            Box::new(|| {
                let mut out = null_mut();
                (
                    scalot_kernel_dense_new(
                        X.as_ptr(),
                        3,
                        Y.as_ptr(),
                        2,
                        2,
                        9,
                        0,
                        0.5,
                        0,
                        &mut out,
                    ),
                    out,
                )
            }),
            scalot_status::InvalidArgument,
            "layout",
        ),
        (
            "bad cost",
            Box::new(|| {
                let mut out = null_mut();
                (
                    scalot_kernel_dense_new(
                        X.as_ptr(),
                        3,
                        Y.as_ptr(),
                        2,
                        2,
                        0,
                        -1,
                        0.5,
                        0,
                        &mut out,
                    ),
                    out,
                )
            }),
            scalot_status::InvalidArgument,
            "cost",
        ),
        (
            "bad mode",
            Box::new(|| {
                let mut out = null_mut();
                (
                    scalot_kernel_dense_new(
                        X.as_ptr(),
                        3,
                        Y.as_ptr(),
                        2,
                        2,
                        0,
                        0,
                        0.5,
                        3,
                        &mut out,
                    ),
                    out,
                )
            }),
            scalot_status::InvalidArgument,
            "mode",
        ),
    ];
    for (what, call, status, arg) in cases {
        let (found, out) = call();
        expect(what, found, status, arg);
        assert!(out.is_null(), "{what}: an output was written on failure");
    }
}

#[test]
fn solve_refuses_bad_weights_and_sizes() {
    let k = good_kernel();
    let a = [0.2, 0.3, 0.5];
    let b = [0.5, 0.5];
    let (found, out) = solve(null(), Some(&a), 3, Some(&b), 2, null());
    expect("NULL kernel", found, scalot_status::NullPointer, "kernel");
    assert!(
        out.is_null(),
        "NULL kernel: an output was written on failure"
    );
    let (found, out) = solve(k, Some(&a), 2, Some(&b), 2, null());
    expect("n mismatch", found, scalot_status::DimensionMismatch, "n");
    assert!(
        out.is_null(),
        "n mismatch: an output was written on failure"
    );
    let (found, out) = solve(k, Some(&a), 3, Some(&b), 3, null());
    expect("m mismatch", found, scalot_status::DimensionMismatch, "m");
    assert!(
        out.is_null(),
        "m mismatch: an output was written on failure"
    );
    let (found, out) = solve(k, Some(&[0.2, f64::NAN, 0.5]), 3, Some(&b), 2, null());
    expect("NaN weight", found, scalot_status::NonFinite, "a[1]");
    assert!(
        out.is_null(),
        "NaN weight: an output was written on failure"
    );
    let (found, out) = solve(k, Some(&a), 3, Some(&[f64::INFINITY, 0.5]), 2, null());
    expect("Inf weight", found, scalot_status::NonFinite, "b[0]");
    assert!(
        out.is_null(),
        "Inf weight: an output was written on failure"
    );
    let (found, out) = solve(k, Some(&[0.7, -0.2, 0.5]), 3, Some(&b), 2, null());
    expect(
        "negative weight",
        found,
        scalot_status::NegativeWeight,
        "a[1]",
    );
    assert!(
        out.is_null(),
        "negative weight: an output was written on failure"
    );
    let (found, out) = solve(k, Some(&a), 3, Some(&[0.0, 0.0]), 2, null());
    expect("zero mass", found, scalot_status::ZeroMass, "b");
    assert!(out.is_null(), "zero mass: an output was written on failure");
    let (found, out) = solve(k, Some(&a), 3, Some(&[1.0, 1.0]), 2, null());
    expect("unequal masses", found, scalot_status::MassMismatch, "mass");
    assert!(
        out.is_null(),
        "unequal masses: an output was written on failure"
    );
    scalot_kernel_free(k);
}

#[test]
fn option_setters_refuse_out_of_range_values() {
    let mut options = null_mut();
    assert_eq!(scalot_sinkhorn_options_new(&mut options), scalot_status::Ok);
    expect(
        "tolerance 0",
        scalot_sinkhorn_options_set_tolerance(options, 0.0),
        scalot_status::InvalidArgument,
        "tolerance",
    );
    expect(
        "tolerance NaN",
        scalot_sinkhorn_options_set_tolerance(options, f64::NAN),
        scalot_status::InvalidArgument,
        "tolerance",
    );
    expect(
        "0 iterations",
        scalot_sinkhorn_options_set_max_iterations(options, 0),
        scalot_status::InvalidArgument,
        "max_iterations",
    );
    expect(
        "interval 0",
        scalot_sinkhorn_options_set_check_interval(options, 0),
        scalot_status::InvalidArgument,
        "check_interval",
    );
    expect(
        "tau_a < 0",
        scalot_sinkhorn_options_set_marginal_relaxation(options, -1.0, 1.0),
        scalot_status::InvalidArgument,
        "tau_a",
    );
    expect(
        "tau_b NaN",
        scalot_sinkhorn_options_set_marginal_relaxation(options, 1.0, f64::NAN),
        scalot_status::InvalidArgument,
        "tau_b",
    );
    expect(
        "scaling start < 1",
        scalot_sinkhorn_options_set_epsilon_scaling(options, 0.5, 0.5),
        scalot_status::InvalidArgument,
        "start",
    );
    expect(
        "scaling factor 1",
        scalot_sinkhorn_options_set_epsilon_scaling(options, 10.0, 1.0),
        scalot_status::InvalidArgument,
        "factor",
    );
    expect(
        "omega 2",
        scalot_sinkhorn_options_set_overrelaxation(options, 2.0),
        scalot_status::InvalidArgument,
        "omega",
    );
    let f = [0.0, f64::NAN, 0.0];
    let g = [0.0, 0.0];
    expect(
        "NaN warm start",
        scalot_sinkhorn_options_set_warm_start(options, f.as_ptr(), 3, g.as_ptr(), 2),
        scalot_status::NonFinite,
        "f[1]",
    );
    expect(
        "NULL options",
        scalot_sinkhorn_options_set_tolerance(null_mut(), 1e-6),
        scalot_status::NullPointer,
        "options",
    );

    // A warm start whose lengths do not fit the kernel is caught at solve time.
    let k = good_kernel();
    let f = [0.0; 4];
    assert_eq!(
        scalot_sinkhorn_options_set_warm_start(options, f.as_ptr(), 4, g.as_ptr(), 2),
        scalot_status::Ok
    );
    let (status, plan) = solve(k, None, 3, None, 2, options);
    expect(
        "warm start length",
        status,
        scalot_status::DimensionMismatch,
        "f",
    );
    assert!(plan.is_null());
    scalot_sinkhorn_options_free(options);
    scalot_kernel_free(k);
}

unsafe extern "C" fn cancel_immediately(
    user_data: *mut c_void,
    iteration: usize,
    _error: f64,
) -> c_int {
    // SAFETY: the user data is the test's `usize`, alive for the solve.
    unsafe { *(user_data as *mut usize) = iteration };
    1
}

#[test]
fn the_callback_cancels_and_nothing_is_returned() {
    let k = good_kernel();
    let mut options = null_mut();
    assert_eq!(scalot_sinkhorn_options_new(&mut options), scalot_status::Ok);
    let mut seen = 0usize;
    assert_eq!(
        scalot_sinkhorn_options_set_progress_callback(
            options,
            Some(cancel_immediately),
            &mut seen as *mut usize as *mut c_void
        ),
        scalot_status::Ok
    );
    scalot_sinkhorn_options_set_tolerance(options, 1e-300);
    let (status, plan) = solve(k, None, 3, None, 2, options);
    expect(
        "cancel",
        status,
        scalot_status::Cancelled,
        "cancelled by the progress callback",
    );
    assert!(plan.is_null() && seen >= 1);
    scalot_plan_free(plan);
    scalot_sinkhorn_options_free(options);
    scalot_kernel_free(k);
}

#[test]
fn approximate_kernels_and_their_options_refuse_bad_input() {
    use scalot::ffi::lcn::scalot_kernel_lcn_new;
    use scalot::ffi::nystrom::*;
    use scalot::ffi::sparse::*;

    let mut landmarks = null_mut();
    let mut pairs = null_mut();
    assert_eq!(
        scalot_nystrom_options_new(&mut landmarks),
        scalot_status::Ok
    );
    assert_eq!(scalot_sparse_options_new(&mut pairs), scalot_status::Ok);
    type Setter<'a> = Box<dyn Fn() -> scalot_status + 'a>;
    let setters: Vec<(&str, Setter, scalot_status, &str)> = vec![
        (
            "0 landmarks",
            Box::new(|| scalot_nystrom_options_set_landmarks(landmarks, 0, 1, 0)),
            scalot_status::InvalidArgument,
            "landmarks",
        ),
        (
            "rule 7",
            Box::new(|| scalot_nystrom_options_set_landmarks(landmarks, 4, 7, 0)),
            scalot_status::InvalidArgument,
            "rule",
        ),
        (
            "method 5",
            Box::new(|| scalot_nystrom_options_set_inverse(landmarks, 5, 1e-8)),
            scalot_status::InvalidArgument,
            "method",
        ),
        (
            "cutoff NaN",
            Box::new(|| scalot_nystrom_options_set_inverse(landmarks, 0, f64::NAN)),
            scalot_status::InvalidArgument,
            "tolerance",
        ),
        (
            "jitter 0",
            Box::new(|| scalot_nystrom_options_set_inverse(landmarks, 1, 0.0)),
            scalot_status::InvalidArgument,
            "tolerance",
        ),
        (
            "NULL Nystrom options",
            Box::new(|| scalot_nystrom_options_set_seed(null_mut(), 1)),
            scalot_status::NullPointer,
            "options",
        ),
        (
            "0 buckets",
            Box::new(|| scalot_sparse_options_set_lsh(pairs, 0, 2, 16)),
            scalot_status::InvalidArgument,
            "buckets",
        ),
        (
            "odd buckets",
            Box::new(|| scalot_sparse_options_set_lsh(pairs, 131, 2, 16)),
            scalot_status::InvalidArgument,
            "buckets",
        ),
        (
            "0 bands",
            Box::new(|| scalot_sparse_options_set_lsh(pairs, 130, 2, 0)),
            scalot_status::InvalidArgument,
            "bands",
        ),
        (
            "buckets^hashes overflows",
            Box::new(|| scalot_sparse_options_set_lsh(pairs, 130, 10, 1)),
            scalot_status::InvalidArgument,
            "hashes",
        ),
        (
            "0 levels",
            Box::new(|| {
                scalot_sparse_options_set_hierarchical_kmeans(pairs, [10usize].as_ptr(), 0, 1, 10)
            }),
            scalot_status::InvalidArgument,
            "levels",
        ),
        (
            "NULL branching",
            Box::new(|| scalot_sparse_options_set_hierarchical_kmeans(pairs, null(), 2, 1, 10)),
            scalot_status::NullPointer,
            "branching",
        ),
        (
            "a level of 0",
            Box::new(|| {
                scalot_sparse_options_set_hierarchical_kmeans(
                    pairs,
                    [10usize, 0].as_ptr(),
                    2,
                    1,
                    10,
                )
            }),
            scalot_status::InvalidArgument,
            "branching",
        ),
        (
            "0 rounds",
            Box::new(|| {
                scalot_sparse_options_set_hierarchical_kmeans(
                    pairs,
                    [10usize, 10].as_ptr(),
                    2,
                    0,
                    10,
                )
            }),
            scalot_status::InvalidArgument,
            "rounds",
        ),
    ];
    for (what, setter, expected, arg) in setters {
        expect(what, setter(), expected, arg);
    }

    let nystrom = |x: *const f64, n: usize, y: *const f64, m: usize, eps: f64, options| {
        let mut out = null_mut();
        let status = scalot_kernel_nystrom_new(x, n, y, m, 2, 0, 0, eps, options, &mut out);
        assert!(out.is_null(), "no kernel on failure");
        status
    };
    let nan = [0.0, f64::NAN, 1.0, 1.0];
    expect(
        "NULL x",
        nystrom(null(), 3, Y.as_ptr(), 2, 1.0, null()),
        scalot_status::NullPointer,
        "x",
    );
    expect(
        "n = 0",
        nystrom(X.as_ptr(), 0, Y.as_ptr(), 2, 1.0, null()),
        scalot_status::EmptyInput,
        "n",
    );
    expect(
        "NaN y",
        nystrom(X.as_ptr(), 3, nan.as_ptr(), 2, 1.0, null()),
        scalot_status::NonFinite,
        "y",
    );
    expect(
        "eps 0",
        nystrom(X.as_ptr(), 3, Y.as_ptr(), 2, 0.0, null()),
        scalot_status::InvalidArgument,
        "epsilon",
    );
    assert_eq!(
        scalot_nystrom_options_set_landmarks(landmarks, 6, 0, 0),
        scalot_status::Ok
    );
    expect(
        "6 landmarks for 5 points",
        nystrom(X.as_ptr(), 3, Y.as_ptr(), 2, 1.0, landmarks),
        scalot_status::InvalidArgument,
        "landmarks",
    );

    let mut out = null_mut();
    let status = scalot_kernel_lcn_new(
        X.as_ptr(),
        3,
        Y.as_ptr(),
        0,
        2,
        0,
        0,
        1.0,
        null(),
        null(),
        &mut out,
    );
    expect("LCN m = 0", status, scalot_status::EmptyInput, "m");
    let status = scalot_kernel_lcn_new(
        X.as_ptr(),
        3,
        Y.as_ptr(),
        2,
        2,
        0,
        9,
        1.0,
        null(),
        null(),
        &mut out,
    );
    expect("LCN cost 9", status, scalot_status::InvalidArgument, "cost");
    assert!(out.is_null());
    scalot_nystrom_options_free(landmarks);
    scalot_sparse_options_free(pairs);
}

#[test]
fn coverage_backbone_and_certificate_options_refuse_bad_input() {
    use scalot::ffi::certificate::*;
    use scalot::ffi::plan::{scalot_plan_kernel, scalot_plan_stop_reason};
    use scalot::ffi::sparse::*;

    let mut pairs = null_mut();
    assert_eq!(scalot_sparse_options_new(&mut pairs), scalot_status::Ok);
    expect(
        "backbone 2",
        scalot_sparse_options_set_backbone(pairs, 2),
        scalot_status::InvalidArgument,
        "enabled",
    );
    expect(
        "backbone -1",
        scalot_sparse_options_set_backbone(pairs, -1),
        scalot_status::InvalidArgument,
        "enabled",
    );
    expect(
        "NULL options for coverage",
        scalot_sparse_options_set_coverage(null_mut(), 3),
        scalot_status::NullPointer,
        "options",
    );
    expect(
        "NULL options for the backbone",
        scalot_sparse_options_set_backbone(null_mut(), 1),
        scalot_status::NullPointer,
        "options",
    );
    scalot_sparse_options_free(pairs);

    let mut certify = null_mut();
    assert_eq!(scalot_certify_options_new(&mut certify), scalot_status::Ok);
    expect(
        "0 sampled rows",
        scalot_certify_options_set_samples(certify, 0, 0),
        scalot_status::InvalidArgument,
        "rows",
    );
    expect(
        "NULL certify options",
        scalot_certify_options_set_exact_limit(null_mut(), 5),
        scalot_status::NullPointer,
        "options",
    );
    expect(
        "NULL certify options for the callback",
        scalot_certify_options_set_progress_callback(null_mut(), None, null_mut()),
        scalot_status::NullPointer,
        "options",
    );
    expect(
        "NULL out for new certify options",
        scalot_certify_options_new(null_mut()),
        scalot_status::NullPointer,
        "out",
    );

    let k = good_kernel();
    let (status, plan) = solve(k, None, 3, None, 2, null());
    assert_eq!(status, scalot_status::Ok);
    let mut certificate = std::mem::MaybeUninit::<scalot_certificate>::uninit();
    expect(
        "NULL plan to certify",
        scalot_plan_certify(null(), certify, certificate.as_mut_ptr()),
        scalot_status::NullPointer,
        "plan",
    );
    expect(
        "NULL certificate",
        scalot_plan_certify(plan, certify, null_mut()),
        scalot_status::NullPointer,
        "out",
    );
    unsafe extern "C" fn stop(_: *mut c_void, _: usize, _: f64) -> c_int {
        1
    }
    assert_eq!(
        scalot_certify_options_set_progress_callback(certify, Some(stop), null_mut()),
        scalot_status::Ok
    );
    expect(
        "a cancelled certificate",
        scalot_plan_certify(plan, certify, certificate.as_mut_ptr()),
        scalot_status::Cancelled,
        "cancelled",
    );
    let mut reason: c_int = -1;
    expect(
        "NULL plan for the stop reason",
        scalot_plan_stop_reason(null(), &mut reason),
        scalot_status::NullPointer,
        "plan",
    );
    assert_eq!(reason, -1, "no output is written on failure");
    let mut solved_on = null_mut();
    expect(
        "NULL out for the plan's kernel",
        scalot_plan_kernel(plan, null_mut()),
        scalot_status::NullPointer,
        "out",
    );
    expect(
        "NULL plan for its kernel",
        scalot_plan_kernel(null(), &mut solved_on),
        scalot_status::NullPointer,
        "plan",
    );
    assert!(solved_on.is_null());
    scalot_certify_options_free(certify);
    scalot_plan_free(plan);
    scalot_kernel_free(k);
}
