//! Sparse kernels and the options that choose their pairs.

use std::ffi::c_int;
use std::sync::Arc;

use super::boundary::{ffi_boundary, scalot_status};
use super::enums;
use super::handles::{borrow, borrow_mut, free, into_handle, out_param, Handle};
use super::kernel::{scalot_kernel, two_clouds};
use crate::error::Error;
use crate::kernel::pairs::{KMeans, PairRule};
use crate::kernel::sparse::SparseKernel;
use crate::kernel::Kernel;

/// How a sparse kernel chooses its pairs. Not thread-safe while being changed; a kernel built from it
/// keeps no reference to it.
pub struct scalot_sparse_options {
    _private: [u8; 0],
}

pub(crate) struct SparseOptions {
    rule: PairRule,
    seed: u64,
}

impl Handle for scalot_sparse_options {
    type Inner = SparseOptions;
}

/// The k-means rule of the defaults.
const DEFAULT_KMEANS: KMeans = KMeans {
    clusters: 100,
    rounds: 1,
    iterations: 20,
};

/// Creates sparse-kernel options with the defaults: joint k-means buckets over X and Y (100 clusters,
/// 1 round, 20 Lloyd iterations), seed 0.
///
/// Statuses: OK; NULL_POINTER (out).
#[no_mangle]
pub extern "C" fn scalot_sparse_options_new(out: *mut *mut scalot_sparse_options) -> scalot_status {
    ffi_boundary!({
        let out = unsafe { out_param(out, "out") }?;
        out.write(into_handle::<scalot_sparse_options>(SparseOptions {
            rule: PairRule::KMeans(DEFAULT_KMEANS),
            seed: 0,
        }));
        Ok(())
    })
}

/// Releases sparse-kernel options; NULL is a no-op.
#[no_mangle]
pub extern "C" fn scalot_sparse_options_free(options: *mut scalot_sparse_options) {
    ffi_boundary!(() => { unsafe { free(options) } })
}

fn update(
    options: *mut scalot_sparse_options,
    set: impl FnOnce(&mut SparseOptions) -> crate::Result<()>,
) -> crate::Result<()> {
    set(unsafe { borrow_mut(options, "options") }?)
}

/// Keeps the pairs that share a k-means cluster of X and Y clustered jointly: k-means++ seeding, then at
/// most `iterations` Lloyd iterations (0 keeps the seeding), repeated `rounds` times from different seeds
/// and OR-ed. Each round costs O((n + m) * clusters * d) per iteration; nnz is about n * m / clusters per
/// round on balanced clusters.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (clusters or rounds is 0; clusters above n + m is refused
/// when the kernel is built).
#[no_mangle]
pub extern "C" fn scalot_sparse_options_set_kmeans(
    options: *mut scalot_sparse_options,
    clusters: usize,
    rounds: usize,
    iterations: usize,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            if clusters == 0 {
                return Err(Error::invalid(
                    "clusters",
                    "0 clusters; at least 1 is needed",
                ));
            }
            if rounds == 0 {
                return Err(Error::invalid("rounds", "0 rounds; at least 1 is needed"));
            }
            o.rule = PairRule::KMeans(KMeans {
                clusters,
                rounds,
                iterations,
            });
            Ok(())
        })
    })
}

/// Keeps each point's `k` nearest points of the other cloud by the cost, both ways (so no row or column
/// is empty): an exact, exhaustive search in O(n * m * d).
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (k is 0).
#[no_mangle]
pub extern "C" fn scalot_sparse_options_set_neighbours(
    options: *mut scalot_sparse_options,
    k: usize,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            if k == 0 {
                return Err(Error::invalid("k", "0 neighbours; at least 1 is needed"));
            }
            o.rule = PairRule::NearestNeighbours { k };
            Ok(())
        })
    })
}

/// Keeps the pairs with C_ij <= `factor` * epsilon (epsilon-truncation; the dropped entries are below
/// exp(-factor)). An exhaustive scan in O(n * m * d).
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (factor not positive and finite).
#[no_mangle]
pub extern "C" fn scalot_sparse_options_set_truncation(
    options: *mut scalot_sparse_options,
    factor: f64,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            if !(factor.is_finite() && factor > 0.0) {
                return Err(Error::invalid(
                    "factor",
                    format!("{factor} is not a positive finite number"),
                ));
            }
            o.rule = PairRule::Truncation { factor };
            Ok(())
        })
    })
}

/// Seeds the randomised rules (k-means): the same seed gives the same pairs for any number of threads.
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_sparse_options_set_seed(
    options: *mut scalot_sparse_options,
    seed: u64,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            o.seed = seed;
            Ok(())
        })
    })
}

/// Builds the sparse kernel between `x` (n x d) and `y` (m x d): K_ij = exp(-C_ij/eps) at the pairs the
/// options choose, 0 elsewhere (Sparse Sinkhorn, Klicpera, Lienen and Gunnemann 2021). Products cost
/// O(nnz); epsilon-scaling is supported (the pairs are kept). The plan's transport cost is exact over
/// the kept pairs.
///
/// Arguments as scalot_kernel_dense_new; `options` NULL means the defaults of scalot_sparse_options_new.
/// A solve fails with NUMERICAL_FAILURE, naming the row or column, when one has no kept pair.
///
/// Statuses: OK; NULL_POINTER (x, y, out); EMPTY_INPUT; SIZE_OVERFLOW; NON_FINITE; INVALID_ARGUMENT
/// (layout, cost, epsilon, clusters above n + m, m above 2^32 - 1); OUT_OF_MEMORY.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scalot_kernel_sparse_new(
    x: *const f64,
    n: usize,
    y: *const f64,
    m: usize,
    d: usize,
    layout: c_int,
    cost: c_int,
    epsilon: f64,
    options: *const scalot_sparse_options,
    out: *mut *mut scalot_kernel,
) -> scalot_status {
    ffi_boundary!({
        let out = unsafe { out_param(out, "out") }?;
        let layout = enums::layout(layout, "layout")?;
        let cost = enums::cost(cost)?;
        let (rule, seed) = if options.is_null() {
            (PairRule::KMeans(DEFAULT_KMEANS), 0)
        } else {
            let o = unsafe { borrow(options, "options") }?;
            (o.rule, o.seed)
        };
        let (x, y) = unsafe { two_clouds(x, n, y, m, d, layout) }?;
        let kernel: Arc<dyn Kernel> =
            Arc::new(SparseKernel::new(&x, &y, cost, epsilon, &rule, seed)?);
        out.write(into_handle::<scalot_kernel>(kernel));
        Ok(())
    })
}
