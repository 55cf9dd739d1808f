//! The R_rho relaxation: problems, options, the solve and its solution.

use std::ffi::{c_int, c_void};
use std::sync::Arc;

use super::boundary::{ffi_boundary, scalot_status};
use super::coupling;
use super::enums;
use super::handles::{borrow, free, into_handle, optional_input, out_param, Handle};
use super::kernel::Clouds;
use super::options::{
    new_options, or_default, scalot_progress_callback, set_progress_callback, update, warm_start,
    ProgressCallback, Reporting,
};
use crate::coupling::Coupling;
use crate::rrho::{self, Preprocessing, RrhoOptions, RrhoProblem, RrhoSolution};

/// The default distance floor sigma of scalot_rrho_problem_new (a literal, for cbindgen; a test ties it to
/// the library's default).
pub const SCALOT_RRHO_DEFAULT_FLOOR: f64 = 1e-3;

/// An R_rho problem (Charikar, Chen, Re, Waingarten, COLT 2023):
/// R_rho(mu, nu)^rho = min over couplings gamma of sum_ij (mu_i nu_j)^(1-rho) gamma_ij^rho ||x_i - y_j||^rho,
/// a metric between distributions with EMD <= R_rho <= max_ij (mu_i nu_j)^(-(rho-1)/rho) EMD, tending to
/// EMD as rho -> 1. Immutable; solutions keep their problem alive.
pub struct scalot_rrho_problem {
    _private: [u8; 0],
}

impl Handle for scalot_rrho_problem {
    type Inner = Arc<RrhoProblem>;
}

/// Options of an R_rho solve. Not thread-safe: do not change an options handle while a solve reads it.
pub struct scalot_rrho_options {
    _private: [u8; 0],
}

#[derive(Clone, Default)]
pub(crate) struct Options {
    solver: RrhoOptions,
    progress: ProgressCallback,
}

impl Handle for scalot_rrho_options {
    type Inner = Options;
}

impl Reporting for Options {
    fn progress_mut(&mut self) -> &mut ProgressCallback {
        &mut self.progress
    }
}

/// A solved R_rho problem: the dual potentials (alpha, beta), the value and its certificate, and the
/// implicit plan gamma_ij = s C_s mu_i nu_j (alpha_i - beta_j)_+^(s-1) / d_ij^s (s = rho/(rho-1),
/// C_s = (1/s)(1-1/s)^(s-1), d_ij the floored distance), queried without n x m memory. Immutable.
pub struct scalot_rrho_solution {
    _private: [u8; 0],
}

impl Handle for scalot_rrho_solution {
    type Inner = RrhoSolution;
}

/// What a solve found.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct scalot_rrho_summary {
    /// Points of x (rows of gamma).
    pub n: usize,
    /// Points of y (columns of gamma).
    pub m: usize,
    /// R_rho as the paper estimates it, (sum mu alpha - sum nu beta - penalty)^(1/rho): a lower bound.
    pub value: f64,
    /// The dual objective g(alpha, beta), a lower bound of R_rho^rho.
    pub dual_value: f64,
    /// A certified upper bound of R_rho: the value of the implicit plan after rounding it onto the
    /// marginals (ARCHITECTURE.md derives it). upper - value bounds the error of `value`.
    pub upper_bound: f64,
    /// sum_i mu_i |1 - eta_i|, eta_i = (gamma 1)_i / mu_i.
    pub alpha_error: f64,
    /// sum_j nu_j |xi_j - 1|, xi_j = (gamma^T 1)_j / nu_j.
    pub beta_error: f64,
    /// Passes over one side done (block ascent does two per iteration).
    pub passes: usize,
    /// Whether both errors fell below the tolerance before the pass limit.
    pub converged: bool,
}

/// Poses an R_rho problem between the points `x` (n x d) and `y` (m x d), both in `layout`, with the
/// Euclidean ground distance.
///
/// - `mu`, `nu`: positive weights, or NULL for uniform ones; normalised to unit mass.
/// - `rho`: in (1, 2]. rho = 1 is the Earth Mover's distance (use an exact OT solver).
/// - `floor`: sigma >= 0 (SCALOT_RRHO_DEFAULT_FLOOR = 1e-3 is the recommended default). The paper's
///   preprocessing: sigma*r is appended to every x and 0 to every y, r bounding the diameter of x and y,
///   so every distance becomes sqrt(d^2 + (sigma r)^2), between d and d + sigma r, and the supports are
///   disjoint. R_rho grows by at most sigma r max_ij (mu_i nu_j)^(-(rho-1)/rho), and by far less unless
///   points of x and y nearly coincide. 0 turns it off; then x and y must share no point.
/// - `granularity`: g in [0, 1). Weights below g/n (g/m for nu) are dropped and the rest renormalised,
///   as in the paper; 0 (no pruning) refuses zero weights.
///
/// Statuses: OK; NULL_POINTER (x, y, out); EMPTY_INPUT; SIZE_OVERFLOW; NON_FINITE (x, y, mu, nu);
/// DIMENSION_MISMATCH; NEGATIVE_WEIGHT; ZERO_MASS; INVALID_ARGUMENT (rho, floor, granularity, layout, a
/// zero weight without pruning, a point shared by x and y without a floor).
#[no_mangle]
pub extern "C" fn scalot_rrho_problem_new(
    x: *const f64,
    n: usize,
    y: *const f64,
    m: usize,
    d: usize,
    layout: c_int,
    mu: *const f64,
    nu: *const f64,
    rho: f64,
    floor: f64,
    granularity: f64,
    out: *mut *mut scalot_rrho_problem,
) -> scalot_status {
    ffi_boundary!({
        // SAFETY: by the C contract, NULL or valid for writes.
        let out = unsafe { out_param(out, "out") }?;
        let (xs, ys, _) = Clouds::new(x, n, y, m, d, layout).read()?;
        // SAFETY: by the C contract, NULL or valid for its length.
        let mu = unsafe { optional_input(mu, n, "mu") }?;
        // SAFETY: by the C contract, NULL or valid for its length.
        let nu = unsafe { optional_input(nu, m, "nu") }?;
        let problem =
            RrhoProblem::new(&xs, &ys, mu, nu, rho, Preprocessing { floor, granularity })?;
        out.write(into_handle::<scalot_rrho_problem>(Arc::new(problem)));
        Ok(())
    })
}

/// Releases a problem; NULL is a no-op. Solutions made from it stay valid.
#[no_mangle]
pub extern "C" fn scalot_rrho_problem_free(problem: *mut scalot_rrho_problem) {
    // SAFETY: by the C contract, NULL or a live handle, which the caller gives up.
    ffi_boundary!(() => { unsafe { free(problem) } })
}

/// Creates options with the defaults: tolerance 1e-6, 1000 passes, the exact engine, block ascent, no
/// warm start, no callback.
///
/// Statuses: OK; NULL_POINTER (out).
#[no_mangle]
pub extern "C" fn scalot_rrho_options_new(out: *mut *mut scalot_rrho_options) -> scalot_status {
    ffi_boundary!({ new_options(out) })
}

/// Releases options; NULL is a no-op.
#[no_mangle]
pub extern "C" fn scalot_rrho_options_free(options: *mut scalot_rrho_options) {
    // SAFETY: by the C contract, NULL or a live handle, which the caller gives up.
    ffi_boundary!(() => { unsafe { free(options) } })
}

/// Stops when sum_i mu_i |1 - eta_i| and sum_j nu_j |xi_j - 1| are both below `tolerance` (the paper's
/// epsilon_2; default 1e-6, must be > 0). With the tree engine, keep it above about accuracy/100 where it
/// summarises far nodes (low dimension): the two sides summarise them independently.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn scalot_rrho_options_set_tolerance(
    options: *mut scalot_rrho_options,
    tolerance: f64,
) -> scalot_status {
    ffi_boundary!({ update(options, |o| o.solver.set_tolerance(tolerance).map(drop)) })
}

/// At most `max_passes` passes (default 1000, must be >= 1). Reaching it is not an error: the summary
/// reports converged = false, with the errors and bounds of the point reached.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn scalot_rrho_options_set_max_passes(
    options: *mut scalot_rrho_options,
    max_passes: usize,
) -> scalot_status {
    ffi_boundary!({ update(options, |o| o.solver.set_max_passes(max_passes).map(drop)) })
}

/// Chooses the kernel-sum engine (a scalot_rrho_engine). `accuracy` (> 0) is the tree engine's: far
/// terms within a relative `accuracy` of the exact ones, and a near field sampled with ceil(1/accuracy^2)
/// draws per row when it holds more points (then unbiased, with a relative standard error of about
/// `accuracy` times the spread of the terms; 0.05 gave value errors near 1e-3 in BENCHMARKS.md). The
/// solve's value, errors and certificate are then those of the engine's sums. Ignored for EXACT.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (engine, accuracy).
#[no_mangle]
pub extern "C" fn scalot_rrho_options_set_engine(
    options: *mut scalot_rrho_options,
    engine: c_int,
    accuracy: f64,
) -> scalot_status {
    ffi_boundary!({
        let engine = enums::rrho_engine(engine, accuracy)?;
        update(options, |o| o.solver.set_engine(engine).map(drop))
    })
}

/// Chooses the ascent method (a scalot_rrho_method). `step` (> 0) is the sign ascent's lambda; it is
/// ignored for BLOCK_ASCENT.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (method, step).
#[no_mangle]
pub extern "C" fn scalot_rrho_options_set_method(
    options: *mut scalot_rrho_options,
    method: c_int,
    step: f64,
) -> scalot_status {
    ffi_boundary!({
        let method = enums::rrho_method(method, step)?;
        update(options, |o| o.solver.set_method(method).map(drop))
    })
}

/// Starts from the potentials `alpha` (length n) and `beta` (length m) of an earlier solution, copied.
/// Both NULL clears the warm start. The lengths are checked against the problem at solve time.
///
/// Statuses: OK; NULL_POINTER (options, or one of alpha and beta); EMPTY_INPUT; SIZE_OVERFLOW (n, m);
/// NON_FINITE.
#[no_mangle]
pub extern "C" fn scalot_rrho_options_set_warm_start(
    options: *mut scalot_rrho_options,
    alpha: *const f64,
    n: usize,
    beta: *const f64,
    m: usize,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            match warm_start((alpha, n, "alpha"), (beta, m, "beta"))? {
                None => {
                    o.solver.clear_warm_start();
                    Ok(())
                }
                Some((alpha, beta)) => o.solver.set_warm_start(alpha, beta).map(drop),
            }
        })
    })
}

/// Sets the progress callback, called on the solving thread after every pass with the passes done and the
/// larger of the two marginal errors; a non-zero return cancels (CANCELLED). NULL removes it.
///
/// Statuses: OK; NULL_POINTER (options).
#[no_mangle]
pub extern "C" fn scalot_rrho_options_set_progress_callback(
    options: *mut scalot_rrho_options,
    callback: scalot_progress_callback,
    user_data: *mut c_void,
) -> scalot_status {
    ffi_boundary!({ set_progress_callback(options, callback, user_data) })
}

/// Solves the dual of `problem`: every alpha_i, then every beta_j, solves its own monotone equation
/// (safeguarded Newton), Anderson-accelerated; or the paper's sign ascent. `options` NULL means the
/// defaults. `out` receives a new solution, also when the pass limit is reached first.
///
/// Statuses: OK; NULL_POINTER (problem, out); DIMENSION_MISMATCH (a warm start's lengths);
/// UNSUPPORTED (the tree engine with rho not of the form 1 + 1/k); NUMERICAL_FAILURE (sums overflow:
/// raise the floor); CANCELLED.
#[no_mangle]
pub extern "C" fn scalot_rrho_solve(
    problem: *const scalot_rrho_problem,
    options: *const scalot_rrho_options,
    out: *mut *mut scalot_rrho_solution,
) -> scalot_status {
    ffi_boundary!({
        // SAFETY: by the C contract, NULL or a live handle.
        let problem = unsafe { borrow(problem, "problem") }?;
        // SAFETY: by the C contract, NULL or valid for writes.
        let out = unsafe { out_param(out, "out") }?;
        let options = or_default(options);
        let solution = options.progress.run(
            || rrho::solve(problem, &options.solver),
            |report| rrho::solve_with_progress(problem, &options.solver, report),
            |p| (p.pass, p.error),
        )?;
        out.write(into_handle::<scalot_rrho_solution>(solution));
        Ok(())
    })
}

/// Releases a solution; NULL is a no-op.
#[no_mangle]
pub extern "C" fn scalot_rrho_solution_free(solution: *mut scalot_rrho_solution) {
    // SAFETY: by the C contract, NULL or a live handle, which the caller gives up.
    ffi_boundary!(() => { unsafe { free(solution) } })
}

/// Writes the shape, value, bounds, errors and pass count.
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_rrho_solution_summary(
    solution: *const scalot_rrho_solution,
    out: *mut scalot_rrho_summary,
) -> scalot_status {
    ffi_boundary!({
        // SAFETY: by the C contract, NULL or a live handle.
        let solution = unsafe { borrow(solution, "solution") }?;
        // SAFETY: by the C contract, NULL or valid for writes.
        let out = unsafe { out_param(out, "out") }?;
        let certificate = solution.certificate();
        let (alpha_error, beta_error) = solution.marginal_errors();
        let (n, m) = solution.shape();
        out.write(scalot_rrho_summary {
            n,
            m,
            value: solution.value(),
            dual_value: certificate.dual_value,
            upper_bound: certificate.upper,
            alpha_error,
            beta_error,
            passes: solution.passes(),
            converged: solution.converged(),
        });
        Ok(())
    })
}

/// Copies the dual potentials alpha (length n) and beta (length m).
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; DIMENSION_MISMATCH.
#[no_mangle]
pub extern "C" fn scalot_rrho_solution_potentials(
    solution: *const scalot_rrho_solution,
    alpha: *mut f64,
    n: usize,
    beta: *mut f64,
    m: usize,
) -> scalot_status {
    ffi_boundary!({
        coupling::potentials(solution, "solution", (alpha, n, "alpha"), (beta, m, "beta"))
    })
}

/// Computes the plan's marginals gamma 1 (length n) and gamma^T 1 (length m): two exact passes.
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; DIMENSION_MISMATCH.
#[no_mangle]
pub extern "C" fn scalot_rrho_solution_marginals(
    solution: *const scalot_rrho_solution,
    rows: *mut f64,
    n: usize,
    cols: *mut f64,
    m: usize,
) -> scalot_status {
    ffi_boundary!({
        coupling::marginals(solution, "solution", (rows, n, "rows"), (cols, m, "cols"))
    })
}

/// Computes out = gamma v, for v of length m and out of length n: one exact pass.
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; DIMENSION_MISMATCH; NON_FINITE (v).
#[no_mangle]
pub extern "C" fn scalot_rrho_solution_apply(
    solution: *const scalot_rrho_solution,
    v: *const f64,
    m: usize,
    out: *mut f64,
    n: usize,
) -> scalot_status {
    ffi_boundary!({ coupling::apply(solution, "solution", (v, m), (out, n)) })
}

/// Computes out = gamma^T u, for u of length n and out of length m: one exact pass.
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; DIMENSION_MISMATCH; NON_FINITE (u).
#[no_mangle]
pub extern "C" fn scalot_rrho_solution_apply_transpose(
    solution: *const scalot_rrho_solution,
    u: *const f64,
    n: usize,
    out: *mut f64,
    m: usize,
) -> scalot_status {
    ffi_boundary!({ coupling::apply_transpose(solution, "solution", (u, n), (out, m)) })
}

/// Exports the `k` largest entries of every row of gamma, as scalot_plan_top_k: entry i*k + s is
/// (rows[i*k + s], cols[i*k + s], values[i*k + s]); each array has length `len` = n*k.
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; INVALID_ARGUMENT (k = 0 or k > m); DIMENSION_MISMATCH (len);
/// SIZE_OVERFLOW.
#[no_mangle]
pub extern "C" fn scalot_rrho_solution_top_k(
    solution: *const scalot_rrho_solution,
    k: usize,
    rows: *mut usize,
    cols: *mut usize,
    values: *mut f64,
    len: usize,
) -> scalot_status {
    ffi_boundary!({ coupling::top_k(solution, "solution", k, (rows, cols, values), len) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_header_floor_is_the_library_default() {
        assert_eq!(
            super::SCALOT_RRHO_DEFAULT_FLOOR,
            super::Preprocessing::DEFAULT_FLOOR
        );
    }
}
