//! Plan handles: the solution of a solve and every query on it. No query allocates n*m memory except
//! scalot_plan_to_dense, whose buffer is the caller's.

use std::ffi::c_int;
use std::sync::Arc;

use super::boundary::{ffi_boundary, scalot_status};
use super::coupling;
use super::enums;
use super::enums::scalot_stop_reason;
use super::handles::{borrow, free, into_handle, out_param, output, Handle};
use super::kernel::scalot_kernel;
use crate::coupling::Coupling;
use crate::error::{checked_product, ensure_count, Result};
use crate::sinkhorn::{StopReason, TransportPlan};

/// An entropic transport plan P_ij = a_i b_j exp((f_i + g_j - C_ij)/eps), held as potentials and the
/// kernel, never as an n x m matrix. Immutable: any number of threads may query one plan at once.
pub struct scalot_plan {
    _private: [u8; 0],
}

impl Handle for scalot_plan {
    type Inner = TransportPlan;
}

/// Releases a plan; NULL is a no-op.
#[no_mangle]
pub extern "C" fn scalot_plan_free(plan: *mut scalot_plan) {
    // SAFETY: by the C contract, NULL or a live handle, which the caller gives up.
    ffi_boundary!(() => { unsafe { free(plan) } })
}

/// Reads one value of the plan into `*out`.
fn query<T>(
    plan: *const scalot_plan,
    out: *mut T,
    value: impl FnOnce(&TransportPlan) -> Result<T>,
) -> Result<()> {
    // SAFETY: by the C contract, NULL or a live handle.
    let plan = unsafe { borrow(plan, "plan") }?;
    // SAFETY: by the C contract, NULL or valid for writes.
    let out = unsafe { out_param(out, "out") }?;
    out.write(value(plan)?);
    Ok(())
}

/// Writes the plan's shape: n rows (sources) and m columns (targets).
///
/// Statuses: OK; NULL_POINTER (plan, n, m).
#[no_mangle]
pub extern "C" fn scalot_plan_shape(
    plan: *const scalot_plan,
    n: *mut usize,
    m: *mut usize,
) -> scalot_status {
    ffi_boundary!({
        // SAFETY: by the C contract, NULL or a live handle.
        let plan = unsafe { borrow(plan, "plan") }?;
        // SAFETY: by the C contract, NULL or valid for writes.
        let n = unsafe { out_param(n, "n") }?;
        // SAFETY: by the C contract, NULL or valid for writes.
        let m = unsafe { out_param(m, "m") }?;
        let (rows, cols) = plan.shape();
        n.write(rows);
        m.write(cols);
        Ok(())
    })
}

/// Writes whether the stopping rule was met before the iteration limit. Not converging is not an error:
/// scalot_plan_stop_reason says why it stopped.
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_plan_converged(plan: *const scalot_plan, out: *mut bool) -> scalot_status {
    ffi_boundary!({ query(plan, out, |p| Ok(p.converged())) })
}

/// Writes why the solve stopped, a scalot_stop_reason: converged, at the iteration limit, or stalled
/// (the error stopped falling, so more iterations would not reach the tolerance).
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_plan_stop_reason(
    plan: *const scalot_plan,
    out: *mut c_int,
) -> scalot_status {
    ffi_boundary!({
        query(plan, out, |p| {
            Ok(match p.stop_reason() {
                StopReason::Converged => scalot_stop_reason::Converged,
                StopReason::IterationLimit => scalot_stop_reason::IterationLimit,
                StopReason::Stalled => scalot_stop_reason::Stalled,
            } as c_int)
        })
    })
}

/// Writes a new handle to the kernel the solve ran on, to be released with scalot_kernel_free. It is the
/// kernel the solve was given, with what the solve added: a balanced sparse solve's transport backbone,
/// a Nystrom or LCN kernel's floor, f64 storage where f32 stalled. scalot_kernel_info on it reports
/// them (added_pairs, floor_share, kind), and it can be reused for further solves.
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_plan_kernel(
    plan: *const scalot_plan,
    out: *mut *mut scalot_kernel,
) -> scalot_status {
    ffi_boundary!({
        // SAFETY: by the C contract, NULL or a live handle.
        let plan = unsafe { borrow(plan, "plan") }?;
        // SAFETY: by the C contract, NULL or valid for writes.
        let out = unsafe { out_param(out, "out") }?;
        out.write(into_handle::<scalot_kernel>(Arc::clone(plan.kernel())));
        Ok(())
    })
}

/// Writes the number of iterations done (over all epsilon stages).
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_plan_iterations(
    plan: *const scalot_plan,
    out: *mut usize,
) -> scalot_status {
    ffi_boundary!({ query(plan, out, |p| Ok(p.iterations())) })
}

/// Writes the L1 marginal error ||P1 - a||_1 + ||P^T 1 - b||_1 of the returned plan (for unbalanced problems
/// it measures the relaxation, not convergence).
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_plan_marginal_error(
    plan: *const scalot_plan,
    out: *mut f64,
) -> scalot_status {
    ffi_boundary!({ query(plan, out, |p| Ok(p.marginal_error())) })
}

/// Writes the transport cost <P, C>. The first call costs one pass over the costs (O(n*m*d)); the value is
/// kept.
///
/// Statuses: OK; NULL_POINTER; UNSUPPORTED (a kernel that does not know its costs entry by entry);
/// NUMERICAL_FAILURE (the cost overflows).
#[no_mangle]
pub extern "C" fn scalot_plan_transport_cost(
    plan: *const scalot_plan,
    out: *mut f64,
) -> scalot_status {
    ffi_boundary!({ query(plan, out, |p| p.transport_cost()) })
}

/// Writes the regularised objective <P,C> + eps KL(P | a b^T) (+ tau_a KL(P1|a) + tau_b KL(P^T 1|b) when
/// relaxed), with KL(p|q) = sum p log(p/q) - p + q. Balanced, this is POT's sinkhorn2 value plus eps times
/// (mass terms that vanish for unit masses).
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_plan_regularized_objective(
    plan: *const scalot_plan,
    out: *mut f64,
) -> scalot_status {
    ffi_boundary!({ query(plan, out, |p| Ok(p.regularized_objective())) })
}

/// Writes the dual objective at (f, g): sum a f + sum b g - eps (sum P - sum a sum b) for balanced problems;
/// relaxed marginals replace sum a f by -tau_a sum a (exp(-f/tau_a) - 1). At convergence it equals the
/// regularised objective.
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_plan_dual_objective(
    plan: *const scalot_plan,
    out: *mut f64,
) -> scalot_status {
    ffi_boundary!({ query(plan, out, |p| Ok(p.dual_objective())) })
}

/// Writes the plan's total mass, sum_ij P_ij.
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_plan_mass(plan: *const scalot_plan, out: *mut f64) -> scalot_status {
    ffi_boundary!({ query(plan, out, |p| Ok(p.mass())) })
}

/// Copies the potentials f (length n) and g (length m). Balanced potentials are shifted so that
/// a.f = b.g (they are defined up to f + c, g - c).
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; DIMENSION_MISMATCH.
#[no_mangle]
pub extern "C" fn scalot_plan_potentials(
    plan: *const scalot_plan,
    f: *mut f64,
    n: usize,
    g: *mut f64,
    m: usize,
) -> scalot_status {
    ffi_boundary!({ coupling::potentials(plan, "plan", (f, n, "f"), (g, m, "g")) })
}

/// Copies the marginals P1 (length n) and P^T 1 (length m).
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; DIMENSION_MISMATCH.
#[no_mangle]
pub extern "C" fn scalot_plan_marginals(
    plan: *const scalot_plan,
    rows: *mut f64,
    n: usize,
    cols: *mut f64,
    m: usize,
) -> scalot_status {
    ffi_boundary!({ coupling::marginals(plan, "plan", (rows, n, "rows"), (cols, m, "cols")) })
}

/// Computes out = P v, for v of length m and out of length n. One pass over the kernel.
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; DIMENSION_MISMATCH; NON_FINITE (v); NUMERICAL_FAILURE (an entry
/// of P v overflows; `out` is then unspecified).
#[no_mangle]
pub extern "C" fn scalot_plan_apply(
    plan: *const scalot_plan,
    v: *const f64,
    m: usize,
    out: *mut f64,
    n: usize,
) -> scalot_status {
    ffi_boundary!({ coupling::apply(plan, "plan", (v, m), (out, n)) })
}

/// Computes out = P^T u, for u of length n and out of length m. One pass over the kernel.
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; DIMENSION_MISMATCH; NON_FINITE (u); NUMERICAL_FAILURE (an entry
/// of P^T u overflows; `out` is then unspecified).
#[no_mangle]
pub extern "C" fn scalot_plan_apply_transpose(
    plan: *const scalot_plan,
    u: *const f64,
    n: usize,
    out: *mut f64,
    m: usize,
) -> scalot_status {
    ffi_boundary!({ coupling::apply_transpose(plan, "plan", (u, n), (out, m)) })
}

/// Writes the barycentric projection T(x_i) = (P Y)_i / (P1)_i of the source points onto the kernel's
/// target points Y, as an n x d matrix in `layout` (a scalot_layout). Rows without mass map to 0.
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; DIMENSION_MISMATCH (n, d); INVALID_ARGUMENT (layout);
/// UNSUPPORTED (a kernel built from a cost matrix has no points); NUMERICAL_FAILURE (an entry overflows).
#[no_mangle]
pub extern "C" fn scalot_plan_barycentric_projection(
    plan: *const scalot_plan,
    out: *mut f64,
    n: usize,
    d: usize,
    layout: c_int,
) -> scalot_status {
    ffi_boundary!({
        let (plan, out, layout) = points_output(plan, out, n, d, layout)?;
        plan.barycentric_projection(out, layout)
    })
}

/// Writes the gradient of the regularised objective with respect to the source points, an n x d matrix
/// in `layout`: 2 (r_i x_i - (P Y)_i) for the squared Euclidean cost, -(P Y)_i for the negative dot
/// product (the plan is optimal, so it is held fixed: envelope theorem).
///
/// Statuses: as scalot_plan_barycentric_projection; UNSUPPORTED also for the Euclidean cost.
#[no_mangle]
pub extern "C" fn scalot_plan_gradient_x(
    plan: *const scalot_plan,
    out: *mut f64,
    n: usize,
    d: usize,
    layout: c_int,
) -> scalot_status {
    ffi_boundary!({
        let (plan, out, layout) = points_output(plan, out, n, d, layout)?;
        plan.gradient_x(out, layout)
    })
}

/// Checks an n x d output against the plan and its kernel's points.
fn points_output<'a>(
    plan: *const scalot_plan,
    out: *mut f64,
    n: usize,
    d: usize,
    layout: c_int,
) -> Result<(&'a TransportPlan, &'a mut [f64], crate::Layout)> {
    // SAFETY: by the C contract, NULL or a live handle.
    let plan = unsafe { borrow(plan, "plan") }?;
    let layout = enums::layout(layout, "layout")?;
    ensure_count("n", n, plan.shape().0, "the plan's rows")?;
    if let Some((x, _, _)) = plan.kernel().geometry() {
        ensure_count("d", d, x.dim(), "the points' dimension")?;
    }
    // SAFETY: by the C contract, NULL or valid for writes of its length.
    let out = unsafe { output(out, checked_product("out (n x d)", n, d)?, "out") }?;
    Ok((plan, out, layout))
}

/// Writes every entry of P into the caller's n x m buffer, in `layout`. The one query that touches n*m
/// memory, and it is the caller's.
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; DIMENSION_MISMATCH; SIZE_OVERFLOW; INVALID_ARGUMENT (layout);
/// NUMERICAL_FAILURE (an entry overflows, as an unbalanced plan's can).
#[no_mangle]
pub extern "C" fn scalot_plan_to_dense(
    plan: *const scalot_plan,
    out: *mut f64,
    n: usize,
    m: usize,
    layout: c_int,
) -> scalot_status {
    ffi_boundary!({ coupling::to_dense(plan, "plan", (out, n, m), layout) })
}

/// Exports the `k` largest entries of every row in coordinate form, row by row and largest first:
/// entry i*k + s is (rows[i*k + s], cols[i*k + s], values[i*k + s]). Each array has length `len` = n*k.
///
/// Statuses: OK; NULL_POINTER; EMPTY_INPUT; INVALID_ARGUMENT (k = 0 or k > m); DIMENSION_MISMATCH (len);
/// SIZE_OVERFLOW.
#[no_mangle]
pub extern "C" fn scalot_plan_top_k(
    plan: *const scalot_plan,
    k: usize,
    rows: *mut usize,
    cols: *mut usize,
    values: *mut f64,
    len: usize,
) -> scalot_status {
    ffi_boundary!({ coupling::top_k(plan, "plan", k, (rows, cols, values), len) })
}
