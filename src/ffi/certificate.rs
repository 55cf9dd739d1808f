//! Certificates of plans against their exact problems.

use std::ffi::c_void;

use super::boundary::{ffi_boundary, scalot_status};
use super::handles::{borrow, free, out_param, Handle};
use super::options::{
    new_options, or_default, scalot_progress_callback, set_progress_callback, update,
    ProgressCallback, Reporting,
};
use super::plan::scalot_plan;
use crate::error::Error;
use crate::sinkhorn::CertifyOptions;

/// How scalot_plan_certify computes its sums. Not thread-safe while being changed.
pub struct scalot_certify_options {
    _private: [u8; 0],
}

#[derive(Clone, Default)]
pub(crate) struct Options {
    certify: CertifyOptions,
    progress: ProgressCallback,
}

impl Handle for scalot_certify_options {
    type Inner = Options;
}

impl Reporting for Options {
    fn progress_mut(&mut self) -> &mut ProgressCallback {
        &mut self.progress
    }
}

/// An interval that holds the exact regularised cost of the problem a plan solved (scalot_plan_certify).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct scalot_certificate {
    /// A lower bound: the exact dual objective at the plan's potentials after one exact c-transform.
    pub lower: f64,
    /// An upper bound: the exact objective of a plan feasible for the problem (the plan's potentials on
    /// the exact kernel, rounded onto exact marginals).
    pub upper: f64,
    /// (upper - lower) / max(|upper|, |lower|), 0 when both are 0.
    pub relative_gap: f64,
    /// <P, C> of that feasible plan.
    pub transport_cost: f64,
    /// Rows sampled for the sums: 0 when every sum is exact.
    pub sampled_rows: usize,
    /// The standard error of lower when sampled, 0 when exact.
    pub lower_error: f64,
    /// The standard error of upper when sampled, 0 when exact.
    pub upper_error: f64,
}

/// Creates options with the defaults: exact sums up to 10^9 pairs n * m, 1,000 sampled rows above,
/// seed 0, no callback.
///
/// Statuses: OK; NULL_POINTER (out).
#[no_mangle]
pub extern "C" fn scalot_certify_options_new(
    out: *mut *mut scalot_certify_options,
) -> scalot_status {
    ffi_boundary!({ new_options(out) })
}

/// Releases options; NULL is a no-op.
#[no_mangle]
pub extern "C" fn scalot_certify_options_free(options: *mut scalot_certify_options) {
    // SAFETY: by the C contract, NULL or a live handle, which the caller gives up.
    ffi_boundary!(() => { unsafe { free(options) } })
}

/// Sums over every pair exactly up to `pairs` pairs n * m (default 10^9; 0 always samples). Above,
/// sampled rows estimate them (scalot_certify_options_set_samples).
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_certify_options_set_exact_limit(
    options: *mut scalot_certify_options,
    pairs: usize,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            o.certify.exact_limit = pairs;
            Ok(())
        })
    })
}

/// Above the exact limit, estimates the sums over rows from `rows` rows drawn uniformly with `seed`
/// (default 1,000 and 0; all rows when there are fewer). The approximate plan's own row terms serve as
/// control variates, so the standard errors shrink as the approximation improves; each sampled row costs
/// O(m * d) per pass.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (rows is 0).
#[no_mangle]
pub extern "C" fn scalot_certify_options_set_samples(
    options: *mut scalot_certify_options,
    rows: usize,
    seed: u64,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            if rows == 0 {
                return Err(Error::invalid("rows", "0 rows; at least 1 is needed"));
            }
            o.certify.samples = rows;
            o.certify.seed = seed;
            Ok(())
        })
    })
}

/// Calls `callback(user_data, blocks, fraction)` on the calling thread between blocks of rows:
/// `blocks` done so far and `fraction` of the certificate's work done, in [0, 1]. Non-zero cancels
/// (SCALOT_STATUS_CANCELLED). NULL removes the callback.
///
/// Statuses: OK; NULL_POINTER (options).
#[no_mangle]
pub extern "C" fn scalot_certify_options_set_progress_callback(
    options: *mut scalot_certify_options,
    callback: scalot_progress_callback,
    user_data: *mut c_void,
) -> scalot_status {
    ffi_boundary!({ set_progress_callback(options, callback, user_data) })
}

/// Certifies a plan against the exact problem it approximates: the exact kernel of its kernel's points
/// and cost (or cost matrix), the plan's weights, epsilon and marginal relaxation. Writes an interval
/// [lower, upper] that holds the exact regularised cost OT_eps, so relative_gap bounds how far the solve
/// is from the exact one, for any kernel: dense (a converged solve gives a gap near rounding), sparse,
/// Nystrom, LCN.
///
/// lower is the exact dual objective D(f~, g) after one exact c-transform f~ of the plan's f; upper the
/// exact objective of P~_ij = a_i b_j exp((f~_i + g_j - C_ij)/eps), feasible when the columns are relaxed,
/// and otherwise rounded onto both marginals (Altschuler, Weed and Rigollet 2017). Exact sums cost four
/// passes over every pair for a balanced problem (three otherwise), online, blockwise and in parallel,
/// with no n * m memory. Above the exact limit the sums are estimated from sampled rows: lower is then
/// an unbiased estimate, upper a consistent one (the rounding uses estimated column sums), with standard
/// errors. A problem with relaxed rows and exact columns samples only below the limit.
///
/// `options` NULL means the defaults of scalot_certify_options_new.
///
/// Statuses: OK; NULL_POINTER (plan, out); UNSUPPORTED (the kernel has no exact costs; sampling a problem
/// with relaxed rows and exact columns); CANCELLED; NUMERICAL_FAILURE (the exact kernel underflows at the
/// plan's potentials: a larger epsilon); OUT_OF_MEMORY.
///
/// Thread-safe for a given plan.
#[no_mangle]
pub extern "C" fn scalot_plan_certify(
    plan: *const scalot_plan,
    options: *const scalot_certify_options,
    out: *mut scalot_certificate,
) -> scalot_status {
    ffi_boundary!({
        // SAFETY: by the C contract, NULL or a live handle.
        let plan = unsafe { borrow(plan, "plan") }?;
        // SAFETY: by the C contract, NULL or valid for writes.
        let out = unsafe { out_param(out, "out") }?;
        let options = or_default(options);
        let mut blocks = 0;
        let certificate = plan.certify(&options.certify, &mut |fraction| {
            blocks += 1;
            options.progress.report(blocks, fraction)
        })?;
        out.write(scalot_certificate {
            lower: certificate.lower,
            upper: certificate.upper,
            relative_gap: certificate.relative_gap(),
            transport_cost: certificate.transport_cost,
            sampled_rows: certificate.sampled_rows,
            lower_error: certificate.lower_error,
            upper_error: certificate.upper_error,
        });
        Ok(())
    })
}
