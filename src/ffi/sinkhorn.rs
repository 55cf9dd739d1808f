//! Sinkhorn options and the solve.

use std::ffi::c_void;

use super::boundary::{ffi_boundary, scalot_status};
use super::handles::{borrow, free, into_handle, optional_input, out_param, Handle};
use super::kernel::scalot_kernel;
use super::options::{
    new_options, or_default, scalot_progress_callback, set_progress_callback, update, warm_start,
    ProgressCallback, Reporting,
};
use super::plan::scalot_plan;
use crate::error::ensure_count;
use crate::geometry::Weights;
use crate::sinkhorn::{self, EpsilonScaling, Overrelaxation, SinkhornOptions};

/// Options of a Sinkhorn solve. Not thread-safe: do not change an options handle while a solve on another
/// thread reads it.
pub struct scalot_sinkhorn_options {
    _private: [u8; 0],
}

#[derive(Clone, Default)]
pub(crate) struct Options {
    solver: SinkhornOptions,
    progress: ProgressCallback,
}

impl Handle for scalot_sinkhorn_options {
    type Inner = Options;
}

impl Reporting for Options {
    fn progress_mut(&mut self) -> &mut ProgressCallback {
        &mut self.progress
    }
}

/// Creates options with the defaults: tolerance 1e-9, 1000 iterations, check every iteration, balanced,
/// adaptive over-relaxation, no epsilon-scaling, no warm start, no callback (POT's defaults where POT has
/// the option).
///
/// Statuses: OK; NULL_POINTER (out).
#[no_mangle]
pub extern "C" fn scalot_sinkhorn_options_new(
    out: *mut *mut scalot_sinkhorn_options,
) -> scalot_status {
    ffi_boundary!({ new_options(out) })
}

/// Releases options; NULL is a no-op.
#[no_mangle]
pub extern "C" fn scalot_sinkhorn_options_free(options: *mut scalot_sinkhorn_options) {
    // SAFETY: by the C contract, NULL or a live handle, which the caller gives up.
    ffi_boundary!(() => { unsafe { free(options) } })
}

/// Stops when the stopping rule falls below `tolerance` (default 1e-9, must be > 0): the L1 marginal
/// error ||P1 - a||_1 + ||P^T 1 - b||_1 for balanced problems, the largest change of the potentials
/// divided by eps for unbalanced ones.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn scalot_sinkhorn_options_set_tolerance(
    options: *mut scalot_sinkhorn_options,
    tolerance: f64,
) -> scalot_status {
    ffi_boundary!({ update(options, |o| o.solver.set_tolerance(tolerance).map(drop)) })
}

/// At most `max_iterations` iterations (default 1000, must be >= 1). Reaching it is not an error: the
/// plan reports converged = false.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn scalot_sinkhorn_options_set_max_iterations(
    options: *mut scalot_sinkhorn_options,
    max_iterations: usize,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            o.solver.set_max_iterations(max_iterations).map(drop)
        })
    })
}

/// Evaluates the stopping rule and calls the progress callback every `interval` iterations (default 1,
/// must be >= 1). The rule costs nothing extra to evaluate; a larger interval only calls back less often.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn scalot_sinkhorn_options_set_check_interval(
    options: *mut scalot_sinkhorn_options,
    interval: usize,
) -> scalot_status {
    ffi_boundary!({ update(options, |o| o.solver.set_check_interval(interval).map(drop)) })
}

/// Relaxes the marginals: minimises <P,C> + eps KL(P|ab^T) + tau_a KL(P1|a) + tau_b KL(P^T 1|b), as POT's
/// sinkhorn_unbalanced(reg=eps, reg_m=tau, reg_type='kl'). INFINITY keeps that marginal exact; both
/// INFINITY (the default) is the balanced problem. Each tau must be > 0.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (names tau_a or tau_b).
#[no_mangle]
pub extern "C" fn scalot_sinkhorn_options_set_marginal_relaxation(
    options: *mut scalot_sinkhorn_options,
    tau_a: f64,
    tau_b: f64,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            o.solver.set_marginal_relaxation(tau_a, tau_b).map(drop)
        })
    })
}

/// Solves at eps*start, eps*start*factor, ... and finally eps, each stage warm-starting the next and
/// stopping at tolerance max(tolerance, 1e-3). `start` = 1 turns scaling off (the default); otherwise
/// `start` > 1 and 0 < `factor` < 1. Needs a dense kernel (UNSUPPORTED at solve time otherwise).
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (names start or factor).
#[no_mangle]
pub extern "C" fn scalot_sinkhorn_options_set_epsilon_scaling(
    options: *mut scalot_sinkhorn_options,
    start: f64,
    factor: f64,
) -> scalot_status {
    ffi_boundary!({
        let scaling = if start == 1.0 {
            None
        } else {
            Some(EpsilonScaling { start, factor })
        };
        update(options, |o| o.solver.set_epsilon_scaling(scaling).map(drop))
    })
}

/// Over-relaxes the updates, ln u <- (1 - omega) ln u + omega ln u_sinkhorn, which speeds up small-eps
/// problems many times. `omega` = 0 chooses omega from the measured convergence rate (the default);
/// 0 < `omega` < 2 fixes it; 1 is plain Sinkhorn. The solution is the same.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (names omega).
#[no_mangle]
pub extern "C" fn scalot_sinkhorn_options_set_overrelaxation(
    options: *mut scalot_sinkhorn_options,
    omega: f64,
) -> scalot_status {
    ffi_boundary!({
        let mode = if omega == 0.0 {
            Overrelaxation::Adaptive
        } else {
            Overrelaxation::Fixed(omega)
        };
        update(options, |o| o.solver.set_overrelaxation(mode).map(drop))
    })
}

/// Starts from the potentials `f` (length n) and `g` (length m) of an earlier plan (scalot_plan_potentials),
/// which are copied. Both NULL clears the warm start. The lengths are checked against the kernel at solve
/// time.
///
/// Statuses: OK; NULL_POINTER (options, or one of f and g); EMPTY_INPUT; SIZE_OVERFLOW (n, m); NON_FINITE.
#[no_mangle]
pub extern "C" fn scalot_sinkhorn_options_set_warm_start(
    options: *mut scalot_sinkhorn_options,
    f: *const f64,
    n: usize,
    g: *const f64,
    m: usize,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| match warm_start((f, n, "f"), (g, m, "g"))? {
            None => {
                o.solver.clear_warm_start();
                Ok(())
            }
            Some((f, g)) => o.solver.set_warm_start(f, g).map(drop),
        })
    })
}

/// Sets the progress callback and the pointer passed back to it; a NULL `callback` removes it.
///
/// Statuses: OK; NULL_POINTER (options).
#[no_mangle]
pub extern "C" fn scalot_sinkhorn_options_set_progress_callback(
    options: *mut scalot_sinkhorn_options,
    callback: scalot_progress_callback,
    user_data: *mut c_void,
) -> scalot_status {
    ffi_boundary!({ set_progress_callback(options, callback, user_data) })
}

/// Solves entropic optimal transport between the marginals `a` (length n) and `b` (length m) on `kernel`.
///
/// - `a`, `b`: non-negative weights, or NULL for uniform weights 1/n and 1/m (as POT). Balanced problems
///   need equal total masses (to 1e-6 relative).
/// - `options`: NULL for the defaults.
/// - `out`: receives a new plan (release with scalot_plan_free), also when the iteration limit is reached
///   first; then scalot_plan_converged reports false.
///
/// A balanced solve on which Sinkhorn stalls (after 256 iterations, with the L1 error below 1e-3 of the
/// mass, its measured rate predicts more than 1000 further ones) finishes with Newton's method on the semi-dual, conjugate gradients on the kernel's
/// products (Brauer et al. 2017). Its operator passes count as iterations, and it reports progress and
/// honours cancellation like Sinkhorn.
///
/// Statuses: OK; NULL_POINTER (kernel, out); EMPTY_INPUT; DIMENSION_MISMATCH (n, m against the kernel, or a
/// warm start's lengths); NON_FINITE, NEGATIVE_WEIGHT, ZERO_MASS (a, b); INVALID_ARGUMENT (weights whose
/// sum overflows); MASS_MISMATCH; OUT_OF_MEMORY (a stored kernel's n*m entries, refused before any pass
/// over the costs); NUMERICAL_FAILURE (also a plan whose mass or objectives would overflow, as for an
/// epsilon so small that C/epsilon leaves the doubles); CANCELLED; UNSUPPORTED (epsilon-scaling on a
/// kernel that cannot be rebuilt).
///
/// Thread-safe for distinct options handles; the kernel may be shared. The progress callback runs on the
/// calling thread.
#[no_mangle]
pub extern "C" fn scalot_sinkhorn_solve(
    kernel: *const scalot_kernel,
    a: *const f64,
    n: usize,
    b: *const f64,
    m: usize,
    options: *const scalot_sinkhorn_options,
    out: *mut *mut scalot_plan,
) -> scalot_status {
    ffi_boundary!({
        // SAFETY: by the C contract, NULL or a live handle.
        let kernel = unsafe { borrow(kernel, "kernel") }?;
        // SAFETY: by the C contract, NULL or valid for writes.
        let out = unsafe { out_param(out, "out") }?;
        let (rows, cols) = kernel.shape();
        ensure_count("n", n, rows, "the kernel's rows")?;
        ensure_count("m", m, cols, "the kernel's columns")?;
        // SAFETY: by the C contract, NULL or valid for its length.
        let a = Weights::new("a", unsafe { optional_input(a, n, "a") }?, n)?;
        // SAFETY: by the C contract, NULL or valid for its length.
        let b = Weights::new("b", unsafe { optional_input(b, m, "b") }?, m)?;
        let options = or_default(options);
        let plan = options.progress.run(
            || sinkhorn::solve(kernel, &a, &b, &options.solver),
            |report| sinkhorn::solve_with_progress(kernel, &a, &b, &options.solver, report),
            |p| (p.iteration, p.error),
        )?;
        out.write(into_handle::<scalot_plan>(plan));
        Ok(())
    })
}
