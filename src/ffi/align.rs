//! Wasserstein-Procrustes embedding alignment and retrieval precision.

use std::ffi::{c_int, c_void};

use super::boundary::{ffi_boundary, scalot_status};
use super::enums::{self, scalot_align_kernel};
use super::handles::{free, input, into_handle, out_param, output, Handle};
use super::kernel::Clouds;
use super::nystrom::{scalot_nystrom_options, NystromSettings};
use super::options::{
    new_options, or_default, scalot_progress_callback, set_progress_callback, update,
    ProgressCallback, Reporting,
};
use super::plan::scalot_plan;
use super::sparse::{scalot_sparse_options, SparseOptions};
use crate::align::{self, precision_at_1, AlignKernel, AlignOptions, Initial};
use crate::error::{checked_product, ensure_count, ensure_nonzero};
use crate::geometry::PointCloud;

/// Options of an alignment. Not thread-safe: do not change an options handle while an alignment reads it.
pub struct scalot_align_options {
    _private: [u8; 0],
}

#[derive(Clone, Default)]
pub(crate) struct Options {
    align: AlignOptions,
    initial: Start,
    progress: ProgressCallback,
}

#[derive(Clone, Default)]
enum Start {
    #[default]
    Identity,
    /// Row-major d x d, with its d.
    Rotation(Vec<f64>, usize),
    SeedPairs(Vec<(usize, usize)>),
}

impl Handle for scalot_align_options {
    type Inner = Options;
}

impl Reporting for Options {
    fn progress_mut(&mut self) -> &mut ProgressCallback {
        &mut self.progress
    }
}

/// Precision@1 of an alignment's retrieval, over the distinct source points of the given pairs.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct scalot_retrieval {
    /// Ranked by cosine similarity between x_i and R y_j.
    pub nearest_neighbour: f64,
    /// Ranked by CSLS (Conneau et al. 2018): 2 cos(x, R y) - r_T(x) - r_S(R y), r the mean cosine of
    /// the k nearest points of the other side; it discounts hubs.
    pub csls: f64,
    /// Distinct source points evaluated.
    pub queries: usize,
}

/// Creates options with the LCN paper's protocol: dense stored-f32 kernel, epsilon 0.05, 10 Sinkhorn
/// iterations per step, 300 steps, learning rate 500 halved every 100 steps, the identity as start, no
/// callback.
///
/// Statuses: OK; NULL_POINTER (out).
#[no_mangle]
pub extern "C" fn scalot_align_options_new(out: *mut *mut scalot_align_options) -> scalot_status {
    ffi_boundary!({ new_options(out) })
}

/// Releases options; NULL is a no-op.
#[no_mangle]
pub extern "C" fn scalot_align_options_free(options: *mut scalot_align_options) {
    // SAFETY: by the C contract, NULL or a live handle, which the caller gives up.
    ffi_boundary!(() => { unsafe { free(options) } })
}

/// Chooses the kernel every step runs Sinkhorn on (a scalot_align_kernel), rebuilt at every step for
/// (X, Y R^T) since the rotated targets move its buckets and landmarks. The option handles are copied.
///
/// - `dense_mode`: a scalot_dense_mode, for DENSE (STORED_F32 is the default); ignored otherwise.
/// - `landmarks`: for NYSTROM and LCN; NULL for the LCN paper's settings (Nystrom: 200 k-means++
///   landmarks; LCN: 20).
/// - `pairs`: for SPARSE and LCN; NULL (or options without a rule) for the LCN paper's settings (Sparse:
///   angular LSH, 130 buckets, 16 bands x 2 hashes; LCN: hierarchical k-means 10 x 100).
///
/// Statuses: OK; NULL_POINTER (options); INVALID_ARGUMENT (kernel, dense_mode).
#[no_mangle]
pub extern "C" fn scalot_align_options_set_kernel(
    options: *mut scalot_align_options,
    kernel: c_int,
    dense_mode: c_int,
    landmarks: *const scalot_nystrom_options,
    pairs: *const scalot_sparse_options,
) -> scalot_status {
    ffi_boundary!({
        let kernel = match enums::align_kernel(kernel)? {
            scalot_align_kernel::Dense => {
                AlignKernel::Dense(enums::dense_mode(dense_mode, "dense_mode")?)
            }
            scalot_align_kernel::Sparse => AlignKernel::Sparse(SparseOptions::or_default(
                pairs,
                AlignKernel::paper_sparse_pairs,
            )?),
            scalot_align_kernel::Nystrom => AlignKernel::Nystrom(NystromSettings::or_default(
                landmarks,
                AlignKernel::paper_nystrom_landmarks,
            )?),
            scalot_align_kernel::Lcn => AlignKernel::Lcn {
                landmarks: NystromSettings::or_default(
                    landmarks,
                    AlignKernel::paper_lcn_landmarks,
                )?,
                pairs: SparseOptions::or_default(pairs, AlignKernel::paper_lcn_pairs)?,
            },
        };
        update(options, |o| {
            o.align.set_kernel(kernel);
            Ok(())
        })
    })
}

/// Sets epsilon (> 0; default 0.05) of every step's Sinkhorn, on the cost -<x_i, R y_j>.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn scalot_align_options_set_epsilon(
    options: *mut scalot_align_options,
    epsilon: f64,
) -> scalot_status {
    ffi_boundary!({ update(options, |o| o.align.set_epsilon(epsilon).map(drop)) })
}

/// Sets the Sinkhorn iterations per step (>= 1; default 10). Each step starts from the previous step's
/// potentials.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn scalot_align_options_set_sinkhorn_iterations(
    options: *mut scalot_align_options,
    iterations: usize,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            o.align.set_sinkhorn_iterations(iterations).map(drop)
        })
    })
}

/// Sets the number of gradient steps (>= 1; default 300).
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn scalot_align_options_set_steps(
    options: *mut scalot_align_options,
    steps: usize,
) -> scalot_status {
    ffi_boundary!({ update(options, |o| o.align.set_steps(steps).map(drop)) })
}

/// Step t (from 0) uses learning_rate * decay^floor(t / every): learning_rate > 0 (default 500),
/// decay in (0, 1] (default 0.5), every >= 1 (default 100). The step is R <- polar(R - lr G) with
/// G = -X^T P Y for the unit-mass plan P, the paper's R - (lr/n) X^T T Y for T = n P.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (learning_rate, decay, decay_every).
#[no_mangle]
pub extern "C" fn scalot_align_options_set_learning_rate(
    options: *mut scalot_align_options,
    learning_rate: f64,
    decay: f64,
    every: usize,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            o.align
                .set_learning_rate(learning_rate, decay, every)
                .map(drop)
        })
    })
}

/// Starts from the orthogonal d x d matrix `rotation` in `layout` (copied; |R^T R - I| <= 1e-8 is
/// checked at alignment time, against the points' d). NULL restores the identity.
///
/// Statuses: OK; NULL_POINTER (options); EMPTY_INPUT; SIZE_OVERFLOW; NON_FINITE; INVALID_ARGUMENT (layout).
#[no_mangle]
pub extern "C" fn scalot_align_options_set_initial_rotation(
    options: *mut scalot_align_options,
    rotation: *const f64,
    d: usize,
    layout: c_int,
) -> scalot_status {
    ffi_boundary!({
        let layout = enums::layout(layout, "layout")?;
        let start = if rotation.is_null() {
            Start::Identity
        } else {
            ensure_nonzero("d", d)?;
            let values =
                // SAFETY: by the C contract, NULL or valid for its length.
                unsafe { input(rotation, checked_product("rotation", d, d)?, "rotation") }?;
            let r = PointCloud::new("rotation", values, d, d, layout)?.to_points()?;
            Start::Rotation(r.as_slice().to_vec(), d)
        };
        update(options, |o| {
            o.initial = start;
            Ok(())
        })
    })
}

/// Starts from the Procrustes fit on `count` known pairs (`source[k]`, `target[k]`) of x and y indices
/// (copied; checked against the points at alignment time). NULL for both restores the identity.
///
/// Statuses: OK; NULL_POINTER (options, or one of source and target); EMPTY_INPUT; SIZE_OVERFLOW (count).
#[no_mangle]
pub extern "C" fn scalot_align_options_set_seed_pairs(
    options: *mut scalot_align_options,
    source: *const usize,
    target: *const usize,
    count: usize,
) -> scalot_status {
    ffi_boundary!({
        let start = if source.is_null() && target.is_null() {
            Start::Identity
        } else {
            ensure_nonzero("count", count)?;
            // SAFETY: by the C contract, NULL or valid for its length.
            let source = unsafe { input(source, count, "source") }?;
            // SAFETY: by the C contract, NULL or valid for its length.
            let target = unsafe { input(target, count, "target") }?;
            Start::SeedPairs(source.iter().copied().zip(target.iter().copied()).collect())
        };
        update(options, |o| {
            o.initial = start;
            Ok(())
        })
    })
}

/// Sets the progress callback, called on the aligning thread after every step with the steps done and,
/// in place of an error, the step's transport cost <P, C>; a non-zero return cancels (CANCELLED). NULL
/// removes it.
///
/// Statuses: OK; NULL_POINTER (options).
#[no_mangle]
pub extern "C" fn scalot_align_options_set_progress_callback(
    options: *mut scalot_align_options,
    callback: scalot_progress_callback,
    user_data: *mut c_void,
) -> scalot_status {
    ffi_boundary!({ set_progress_callback(options, callback, user_data) })
}

/// Aligns the embeddings `y` (m x d) onto `x` (n x d), both in `layout` (Wasserstein-Procrustes: the
/// orthogonal R minimising the entropic OT cost between X and Y R^T under C_ij = -<x_i, R y_j>, by
/// projected gradient steps, each on a few Sinkhorn iterations; Grave et al. 2019, full batch as in
/// Klicpera, Lienen and Gunnemann 2021). Unit-normalise and centre the embeddings first, as the paper.
/// `options` NULL means the defaults. Nothing of size n x m is allocated unless the kernel is dense.
///
/// - `rotation`: receives R, d x d in `layout`, with x ~ R y.
/// - `objectives`: NULL, or receives <P, C> at the start and after every step (`objectives_len` must
///   then be steps + 1).
/// - `plan`: NULL, or receives a new plan handle: the plan between X and Y R^T at the final R (its
///   targets are the rotated points), for the scalot_plan_* queries.
///
/// Statuses: OK; NULL_POINTER (x, y, rotation); EMPTY_INPUT; SIZE_OVERFLOW; NON_FINITE;
/// DIMENSION_MISMATCH (the initial rotation's d, objectives_len); INVALID_ARGUMENT (layout, a
/// non-orthogonal initial rotation, seed pairs out of range, kernel options the points cannot meet);
/// NUMERICAL_FAILURE (an approximate kernel with a row or column sum that is not positive); CANCELLED;
/// OUT_OF_MEMORY.
#[no_mangle]
pub extern "C" fn scalot_align(
    x: *const f64,
    n: usize,
    y: *const f64,
    m: usize,
    d: usize,
    layout: c_int,
    options: *const scalot_align_options,
    rotation: *mut f64,
    objectives: *mut f64,
    objectives_len: usize,
    plan: *mut *mut scalot_plan,
) -> scalot_status {
    ffi_boundary!({
        let (xs, ys, layout) = Clouds::new(x, n, y, m, d, layout).read()?;
        // SAFETY: by the C contract, NULL or valid for writes of its length.
        let rotation = unsafe { output(rotation, checked_product("rotation", d, d)?, "rotation") }?;
        let options = or_default(options);
        let objectives = if objectives.is_null() {
            None
        } else {
            ensure_count(
                "objectives_len",
                objectives_len,
                options.align.steps() + 1,
                "steps + 1",
            )?;
            // SAFETY: by the C contract, NULL or valid for writes of its length.
            Some(unsafe { output(objectives, objectives_len, "objectives") }?)
        };
        let initial = match &options.initial {
            Start::Identity => Initial::Identity,
            Start::Rotation(r, rd) => {
                ensure_count("rotation", *rd, d, "the points' dimension")?;
                Initial::Rotation(r)
            }
            Start::SeedPairs(pairs) => Initial::SeedPairs(pairs),
        };
        let progress = options.progress;
        let alignment = align::align(&xs, &ys, initial, &options.align, &mut |p| {
            progress.report(p.step, p.objective)
        })?;
        alignment.write_rotation(rotation, layout);
        if let Some(out) = objectives {
            out.copy_from_slice(alignment.objectives());
        }
        if !plan.is_null() {
            // SAFETY: by the C contract, NULL or valid for writes.
            let plan = unsafe { out_param(plan, "plan") }?;
            plan.write(into_handle::<scalot_plan>(alignment.into_plan()));
        }
        Ok(())
    })
}

/// Computes the precision@1 of retrieving y from x after mapping y by `rotation` (d x d in `layout`;
/// need not be orthogonal), over `count` known pairs (`source[k]`, `target[k]`): for every distinct source
/// point, whether the top-ranked of all m targets is one of its listed targets. Ranked by cosine
/// similarity and by CSLS with `k` neighbours (10 in the paper). Similarities are computed in blocks
/// against all points of the other side: O(block * (n + m)) memory, O(n m d) time.
///
/// Statuses: OK; NULL_POINTER (x, y, rotation, source, target, out); EMPTY_INPUT; SIZE_OVERFLOW;
/// NON_FINITE; DIMENSION_MISMATCH; INVALID_ARGUMENT (layout, pairs out of range, k = 0).
#[no_mangle]
pub extern "C" fn scalot_retrieval_precision(
    x: *const f64,
    n: usize,
    y: *const f64,
    m: usize,
    d: usize,
    layout: c_int,
    rotation: *const f64,
    source: *const usize,
    target: *const usize,
    count: usize,
    k: usize,
    out: *mut scalot_retrieval,
) -> scalot_status {
    ffi_boundary!({
        // SAFETY: by the C contract, NULL or valid for writes.
        let out = unsafe { out_param(out, "out") }?;
        let (xs, ys, layout) = Clouds::new(x, n, y, m, d, layout).read()?;
        // SAFETY: by the C contract, NULL or valid for its length.
        let values = unsafe { input(rotation, checked_product("rotation", d, d)?, "rotation") }?;
        let r = PointCloud::new("rotation", values, d, d, layout)?.to_points()?;
        ensure_nonzero("count", count)?;
        // SAFETY: by the C contract, NULL or valid for its length.
        let source = unsafe { input(source, count, "source") }?;
        // SAFETY: by the C contract, NULL or valid for its length.
        let target = unsafe { input(target, count, "target") }?;
        let pairs: Vec<(usize, usize)> =
            source.iter().copied().zip(target.iter().copied()).collect();
        let found = precision_at_1(&xs, &ys, r.as_slice(), &pairs, k)?;
        out.write(scalot_retrieval {
            nearest_neighbour: found.nearest_neighbour,
            csls: found.csls,
            queries: found.queries,
        });
        Ok(())
    })
}
