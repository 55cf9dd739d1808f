//! Locally corrected Nystrom (LCN) kernels.

use std::ffi::c_int;
use std::sync::Arc;

use super::boundary::{ffi_boundary, scalot_status};
use super::kernel::{new_kernel, scalot_kernel, Clouds};
use super::nystrom::{scalot_nystrom_options, NystromSettings};
use super::sparse::{scalot_sparse_options, SparseOptions};
use crate::kernel::lcn::LcnKernel;
use crate::kernel::nystrom::NystromOptions;
use crate::kernel::pairs::PairOptions;

/// Builds the locally corrected Nystrom kernel between `x` (n x d) and `y` (m x d) (LCN-Sinkhorn;
/// Klicpera, Lienen and Gunnemann, ICML 2021): K_LCN = K_Nys - K_Nys^sp + K^sp, the Nystrom approximation
/// replaced by the exact entries K_ij = exp(-C_ij/eps) at sparse pairs. Nystrom carries the kernel's
/// global low-rank part, the pairs its large entries near the diagonal of the transport, so LCN is far
/// more accurate than either alone at small epsilon for the same memory. Products cost
/// O((n + m) * landmarks + nnz); nothing of size n * m is allocated. Epsilon-scaling is supported.
///
/// - `landmarks`: Nystrom options, NULL for the defaults with 20 k-means++ landmarks (n + m if fewer).
/// - `pairs`: sparse options, NULL (or options without a rule) for hierarchical k-means 10 x 100,
///   1 round, 10 Lloyd iterations. These are the LCN paper's settings for embedding alignment
///   (there with epsilon = 0.05 on unit-normalised embeddings and the negative dot-product cost).
///   The authors advise choosing landmarks and pairs independently; the two seeds are separate.
///
/// Other arguments as scalot_kernel_dense_new. A solve fails with NUMERICAL_FAILURE, naming the row or
/// column, where an approximate sum is not positive: use more landmarks, more pairs, or a larger epsilon.
/// The plan's transport cost is as for scalot_kernel_nystrom_new.
///
/// Statuses: OK; NULL_POINTER (x, y, out); EMPTY_INPUT; SIZE_OVERFLOW; NON_FINITE; INVALID_ARGUMENT
/// (layout, cost, epsilon, landmarks or clusters above n + m, m above 2^32 - 1); NUMERICAL_FAILURE (the
/// landmark matrix cannot be inverted); OUT_OF_MEMORY.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scalot_kernel_lcn_new(
    x: *const f64,
    n: usize,
    y: *const f64,
    m: usize,
    d: usize,
    layout: c_int,
    cost: c_int,
    epsilon: f64,
    landmarks: *const scalot_nystrom_options,
    pairs: *const scalot_sparse_options,
    out: *mut *mut scalot_kernel,
) -> scalot_status {
    ffi_boundary!({
        let clouds = Clouds::new(x, n, y, m, d, layout);
        new_kernel(clouds, cost, out, |x, y, cost| {
            let landmarks =
                NystromSettings::or_default(landmarks, || NystromOptions::lcn_default(n + m))?;
            let pairs = SparseOptions::or_default(pairs, || PairOptions::lcn_default(n + m))?;
            Ok(Arc::new(LcnKernel::new(
                x, y, cost, epsilon, &landmarks, &pairs,
            )?))
        })
    })
}
