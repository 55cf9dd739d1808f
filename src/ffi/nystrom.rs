//! Nystrom kernels and the options that choose their landmarks.

use std::ffi::c_int;
use std::sync::Arc;

use super::boundary::{ffi_boundary, scalot_status};
use super::enums;
use super::handles::{free, Handle};
use super::kernel::{new_kernel, scalot_kernel, Clouds};
use super::options::{merged, new_options, update};
use crate::error::Error;
use crate::kernel::nystrom::{NystromKernel, NystromOptions};

/// How a Nystrom (or LCN) kernel chooses its landmarks and inverts their kernel matrix. Not thread-safe
/// while being changed; a kernel built from it keeps no reference to it.
pub struct scalot_nystrom_options {
    _private: [u8; 0],
}

pub(crate) struct NystromSettings {
    /// `None` until set: the kernel constructor's default count applies.
    landmarks: Option<usize>,
    /// The rest of the options; its landmark count is unused.
    options: NystromOptions,
}

impl Handle for scalot_nystrom_options {
    type Inner = NystromSettings;
}

impl Default for NystromSettings {
    fn default() -> Self {
        NystromSettings {
            landmarks: None,
            options: NystromOptions::new(0),
        }
    }
}

impl NystromSettings {
    /// The options, with `default`'s landmark count where no count was set; NULL options are all
    /// `default`. `options` is as the C caller passed it: NULL or a live handle, by the C contract.
    pub(crate) fn or_default(
        options: *const scalot_nystrom_options,
        default: impl FnOnce() -> NystromOptions,
    ) -> crate::Result<NystromOptions> {
        merged(options, "landmarks", default, |o, default| NystromOptions {
            landmarks: o.landmarks.unwrap_or(default.landmarks),
            ..o.options.clone()
        })
    }
}

/// Creates Nystrom options with the defaults: the constructor's number of landmarks (200 for
/// scalot_kernel_nystrom_new, 20 for scalot_kernel_lcn_new, as in the LCN paper; n + m when that is
/// fewer), chosen by k-means++
/// seeding; the eigenvalue-cutoff inverse with tolerance 1e-8; seed 0.
///
/// Statuses: OK; NULL_POINTER (out).
#[no_mangle]
pub extern "C" fn scalot_nystrom_options_new(
    out: *mut *mut scalot_nystrom_options,
) -> scalot_status {
    ffi_boundary!({ new_options(out) })
}

/// Releases Nystrom options; NULL is a no-op.
#[no_mangle]
pub extern "C" fn scalot_nystrom_options_free(options: *mut scalot_nystrom_options) {
    // SAFETY: by the C contract, NULL or a live handle, which the caller gives up.
    ffi_boundary!(() => { unsafe { free(options) } })
}

/// Sets the number of landmarks and how they are chosen from the points of x and y together (a
/// scalot_landmark_rule). `iterations` is the number of Lloyd iterations for SCALOT_LANDMARK_RULE_K_MEANS
/// and is ignored otherwise. More landmarks approximate the kernel better at O((n + m) * landmarks)
/// memory and time per product.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (landmarks is 0; rule unknown; more landmarks than
/// n + m is refused when the kernel is built).
#[no_mangle]
pub extern "C" fn scalot_nystrom_options_set_landmarks(
    options: *mut scalot_nystrom_options,
    landmarks: usize,
    rule: c_int,
    iterations: usize,
) -> scalot_status {
    ffi_boundary!({
        update(options, |options| {
            let rule = enums::landmark_rule(rule, iterations)?;
            if landmarks == 0 {
                return Err(Error::invalid(
                    "landmarks",
                    "0 landmarks; at least 1 is needed",
                ));
            }
            options.landmarks = Some(landmarks);
            options.options.rule = rule;
            Ok(())
        })
    })
}

/// Sets how the landmark kernel matrix A (unit diagonal after scaling) is inverted, a scalot_inverse:
/// SCALOT_INVERSE_EIGEN keeps the eigenvalues above `tolerance` times the largest; SCALOT_INVERSE_CHOLESKY
/// adds `tolerance` to the diagonal (times 10 until the factorisation succeeds). Both bound the inverse
/// where landmarks nearly coincide; BENCHMARKS.md compares their accuracy.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (method unknown; tolerance not in (0, 1)).
#[no_mangle]
pub extern "C" fn scalot_nystrom_options_set_inverse(
    options: *mut scalot_nystrom_options,
    method: c_int,
    tolerance: f64,
) -> scalot_status {
    ffi_boundary!({
        update(options, |options| {
            let inverse = enums::inverse(method, tolerance)?;
            inverse.validate()?;
            options.options.inverse = inverse;
            Ok(())
        })
    })
}

/// Seeds the landmark choice: the same seed gives the same landmarks for any number of threads.
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_nystrom_options_set_seed(
    options: *mut scalot_nystrom_options,
    seed: u64,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            o.options.seed = seed;
            Ok(())
        })
    })
}

/// Builds the Nystrom kernel between `x` (n x d) and `y` (m x d): K_Nys = U A^-1 V with
/// U_ia = k(x_i, z_a), A_ab = k(z_a, z_b), V_aj = k(z_a, y_j) for landmarks z (Nystrom Sinkhorn). Products
/// cost O((n + m) * landmarks); the kernel holds O((n + m) * landmarks) numbers and nothing of size
/// n * m. Epsilon-scaling is supported (the landmarks are kept).
///
/// Nystrom's entries are signed, and Sinkhorn's scalings turn small negative ones into sums that are not
/// positive. The kernel therefore adds a rank-one floor rho rho^T from Nystrom's own error bound
/// (|K - K_Nys|_ij <= rho_i rho_j, rho_p = sqrt(1 - K_Nys(p, p) / K(p, p)) * sqrt(K(p, p))), so every
/// entry is at least the exact one and at most twice the bound above it: a solve answers on every
/// problem. scalot_kernel_info's floor_share says how much of the kernel is floor; scalot_plan_certify
/// says how far a solve is from the exact one. The plan's transport cost is exact for the given plan with the squared Euclidean and negative dot-product costs
/// (from P*Y); for the Euclidean cost it is UNSUPPORTED.
///
/// Arguments as scalot_kernel_dense_new; `options` NULL means the defaults of scalot_nystrom_options_new
/// (200 k-means++ landmarks, as the LCN paper's Nystrom Sinkhorn).
///
/// Statuses: OK; NULL_POINTER (x, y, out); EMPTY_INPUT; SIZE_OVERFLOW; NON_FINITE; INVALID_ARGUMENT
/// (layout, cost, epsilon, landmarks above n + m); NUMERICAL_FAILURE (the landmark matrix cannot be
/// inverted); OUT_OF_MEMORY.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scalot_kernel_nystrom_new(
    x: *const f64,
    n: usize,
    y: *const f64,
    m: usize,
    d: usize,
    layout: c_int,
    cost: c_int,
    epsilon: f64,
    options: *const scalot_nystrom_options,
    out: *mut *mut scalot_kernel,
) -> scalot_status {
    ffi_boundary!({
        let clouds = Clouds::new(x, n, y, m, d, layout);
        new_kernel(clouds, cost, out, |x, y, cost| {
            let options =
                NystromSettings::or_default(options, || NystromOptions::nystrom_default(n + m))?;
            Ok(Arc::new(NystromKernel::new(x, y, cost, epsilon, &options)?))
        })
    })
}
