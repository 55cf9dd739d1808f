//! Sparse kernels and the options that choose their pairs.

use std::ffi::c_int;
use std::sync::Arc;

use super::boundary::{ffi_boundary, scalot_status};
use super::enums;
use super::handles::{free, input, Handle};
use super::kernel::{new_kernel, scalot_kernel, Clouds};
use super::options::{merged, new_options, update};
use crate::error::Error;
use crate::kernel::pairs::{AngularLsh, KMeans, PairOptions, PairRule};
use crate::kernel::sparse::SparseKernel;

/// How a sparse kernel chooses its pairs. Not thread-safe while being changed; a kernel built from it
/// keeps no reference to it.
pub struct scalot_sparse_options {
    _private: [u8; 0],
}

pub(crate) struct SparseOptions {
    /// `None` until a rule is set: the kernel constructor's default applies.
    rule: Option<PairRule>,
    /// The rest of the options; its rule is unused.
    pairs: PairOptions,
}

impl SparseOptions {
    /// The options, with `default`'s rule where no rule was set; NULL options are all `default`.
    /// `options` is as the C caller passed it: NULL or a live handle, by the C contract.
    pub(crate) fn or_default(
        options: *const scalot_sparse_options,
        default: impl FnOnce() -> PairOptions,
    ) -> crate::Result<PairOptions> {
        merged(options, "options", default, |o, default| PairOptions {
            rule: o.rule.clone().unwrap_or(default.rule),
            ..o.pairs.clone()
        })
    }
}

impl Handle for scalot_sparse_options {
    type Inner = SparseOptions;
}

impl Default for SparseOptions {
    fn default() -> Self {
        SparseOptions {
            rule: None,
            pairs: PairOptions::sparse_default(),
        }
    }
}

/// Creates sparse-kernel options with no rule set, seed 0, coverage 2 and the backbone on. A kernel
/// built from options without a rule uses its constructor's default: for scalot_kernel_sparse_new, joint
/// k-means buckets over X and Y (100 clusters, 1 round, 20 Lloyd iterations); for scalot_kernel_lcn_new,
/// the LCN paper's hierarchical k-means 10 x 100 (1 round, 10 Lloyd iterations).
///
/// The LCN paper's settings for embedding alignment (Klicpera, Lienen and Gunnemann 2021, lambda = 0.05):
/// Sparse Sinkhorn with angular LSH, 130 buckets, 16 bands x 2 hashes
/// (scalot_sparse_options_set_lsh(o, 130, 2, 16)); LCN with hierarchical k-means 10 x 100
/// (scalot_sparse_options_set_hierarchical_kmeans) and 20 k-means++ landmarks.
///
/// Statuses: OK; NULL_POINTER (out).
#[no_mangle]
pub extern "C" fn scalot_sparse_options_new(out: *mut *mut scalot_sparse_options) -> scalot_status {
    ffi_boundary!({ new_options(out) })
}

/// Releases sparse-kernel options; NULL is a no-op.
#[no_mangle]
pub extern "C" fn scalot_sparse_options_free(options: *mut scalot_sparse_options) {
    // SAFETY: by the C contract, NULL or a live handle, which the caller gives up.
    ffi_boundary!(() => { unsafe { free(options) } })
}

/// Validates `rule` and stores it; invalid rules leave the options as they were.
fn set_rule(options: *mut scalot_sparse_options, rule: PairRule) -> crate::Result<()> {
    update(options, |options| {
        rule.validate()?;
        options.rule = Some(rule);
        Ok(())
    })
}

/// Keeps the pairs that share a k-means cluster of X and Y clustered jointly: k-means++ seeding, then at
/// most `iterations` Lloyd iterations (0 keeps the seeding), repeated `rounds` times from different seeds
/// and OR-ed. Each round costs O((n + m) * clusters * d) per iteration; nnz is about n * m / clusters per
/// round on balanced clusters.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (clusters or rounds is 0; rounds above 256; clusters
/// above n + m is refused when the kernel is built).
#[no_mangle]
pub extern "C" fn scalot_sparse_options_set_kmeans(
    options: *mut scalot_sparse_options,
    clusters: usize,
    rounds: usize,
    iterations: usize,
) -> scalot_status {
    ffi_boundary!({
        set_rule(
            options,
            PairRule::KMeans(KMeans::flat(clusters, rounds, iterations)),
        )
    })
}

/// Keeps the pairs that share a bucket of hierarchical k-means over X and Y jointly: the points are split
/// into `branching[0]` clusters, each of those into `branching[1]`, and so on, for
/// prod(branching) buckets at a cost of about sum(branching) distances per point and Lloyd iteration
/// (flat k-means into as many buckets costs their product). Each split is k-means++ seeding and at most
/// `iterations` Lloyd iterations; `rounds` hierarchies from different seeds are OR-ed. The LCN paper uses
/// {10, 100}.
///
/// `branching` is read during the call and not kept.
///
/// Statuses: OK; NULL_POINTER (options, branching); SIZE_OVERFLOW (levels); INVALID_ARGUMENT (levels,
/// rounds or an entry of branching is 0; rounds above 256; the product of branching exceeds 2^64; an
/// entry above n + m is refused when the kernel is built).
#[no_mangle]
pub extern "C" fn scalot_sparse_options_set_hierarchical_kmeans(
    options: *mut scalot_sparse_options,
    branching: *const usize,
    levels: usize,
    rounds: usize,
    iterations: usize,
) -> scalot_status {
    ffi_boundary!({
        if levels == 0 {
            return Err(Error::invalid("levels", "0 levels; at least 1 is needed"));
        }
        // SAFETY: by the C contract, NULL or valid for its length.
        let branching = unsafe { input(branching, levels, "branching") }?.to_vec();
        set_rule(
            options,
            PairRule::KMeans(KMeans {
                branching,
                rounds,
                iterations,
            }),
        )
    })
}

/// Keeps the pairs that share a bucket of angular LSH (cross-polytope style) in any band. One hash draws
/// a Gaussian d x (buckets/2) matrix R and puts x in the bucket argmax [R^T x, -R^T x], so points at a
/// small angle tend to share it; `hashes` hashes are AND-ed within a band and `bands` bands are OR-ed.
/// Suited to the cosine geometry of normalised, centred data such as word embeddings. Costs
/// O((n + m) * d * buckets/2 * hashes * bands). The LCN paper's Sparse Sinkhorn uses 130 buckets,
/// 2 hashes, 16 bands.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (buckets odd or below 2; hashes or bands 0; bands
/// above 256; buckets^hashes above 2^64).
#[no_mangle]
pub extern "C" fn scalot_sparse_options_set_lsh(
    options: *mut scalot_sparse_options,
    buckets: usize,
    hashes: usize,
    bands: usize,
) -> scalot_status {
    ffi_boundary!({
        set_rule(
            options,
            PairRule::AngularLsh(AngularLsh {
                buckets,
                hashes,
                bands,
            }),
        )
    })
}

/// Keeps each point's `k` nearest points of the other cloud by the cost, both ways (so no row or column
/// is empty). Exact: a k-d tree for d <= 8 with a Euclidean cost (about O((n + m) log) per query), a
/// blocked exhaustive search in O(n * m * d) otherwise.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (k is 0).
#[no_mangle]
pub extern "C" fn scalot_sparse_options_set_neighbours(
    options: *mut scalot_sparse_options,
    k: usize,
) -> scalot_status {
    ffi_boundary!({ set_rule(options, PairRule::NearestNeighbours { k }) })
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
    ffi_boundary!({ set_rule(options, PairRule::Truncation { factor }) })
}

/// Seeds the randomised rules (k-means, LSH) and the clustering that finds nearest partners: the same
/// seed gives the same pairs for any number of threads.
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_sparse_options_set_seed(
    options: *mut scalot_sparse_options,
    seed: u64,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            o.pairs.seed = seed;
            Ok(())
        })
    })
}

/// Gives every row and column at least `partners` pairs (default 2; 0 switches it off): after the rule
/// has chosen its pairs, each line with fewer gets its `partners` nearest points of the other cloud by
/// the cost. With k-means buckets they are searched first in the line's own split: the other cloud's
/// members of the buckets its k-means split made, nearest centre first, until 2,048 candidates are
/// scanned (O(2048 * d) per line, no extra clustering). Lines whose split holds too few partners, and
/// every line under the other rules, use a coarse clustering of x and y (about sqrt(n + m) clusters,
/// visited in order of a lower bound on their costs), at about O((n + m) * sqrt(n + m) * d) for the
/// clustering, built only when some line needs it, and O(2048 * d) per line: exact where the bounds
/// close within 2,048 candidates (always below 2,048 points, mostly in low dimension), else the cheapest
/// of those candidates. Without coverage a line the rule leaves empty makes a solve fail with
/// NUMERICAL_FAILURE naming it. An outlier then still gets its nearest partners, and LSH buckets or
/// epsilon-truncation never leave a line empty.
///
/// Statuses: OK; NULL_POINTER.
#[no_mangle]
pub extern "C" fn scalot_sparse_options_set_coverage(
    options: *mut scalot_sparse_options,
    partners: usize,
) -> scalot_status {
    ffi_boundary!({
        update(options, |o| {
            o.pairs.coverage = partners;
            Ok(())
        })
    })
}

/// Switches the transport backbone of balanced solves on (1, the default) or off (0). Balanced Sinkhorn
/// on a sparse pattern converges only if some plan on the pattern has the solve's marginals, which
/// buckets and neighbourhoods rarely allow (a bucket whose source and target masses differ, or mass that
/// must move further than a neighbourhood). With the backbone on, a balanced solve runs on the pairs plus
/// the support of one plan with its marginals: a coarse plan between the clusters of x and y by the
/// minimum-cost rule, refined into a monotone plan within each pair of clusters (about 2 (n + m) pairs,
/// O((n + m) * d) to build, plus one rebuild of the pattern). The plan's kernel (scalot_plan_kernel_info)
/// counts them in added_pairs. Off, such a solve runs to its iteration limit. Unbalanced solves never add
/// a backbone. LCN kernels ignore this option: their low-rank part connects every pair.
///
/// Statuses: OK; NULL_POINTER; INVALID_ARGUMENT (enabled is neither 0 nor 1).
#[no_mangle]
pub extern "C" fn scalot_sparse_options_set_backbone(
    options: *mut scalot_sparse_options,
    enabled: c_int,
) -> scalot_status {
    ffi_boundary!({
        update(options, |options| {
            options.pairs.backbone = enums::flag(enabled, "enabled")?;
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
/// Every row and column keeps at least the coverage's pairs (scalot_sparse_options_set_coverage), and a
/// balanced solve adds a transport backbone (scalot_sparse_options_set_backbone), so that a balanced
/// solve converges on every pattern. The kernel approximates the dense kernel only as well as its pairs
/// hold the plan's mass: scalot_plan_certify says how far a solve is from the exact one.
///
/// Statuses: OK; NULL_POINTER (x, y, out); EMPTY_INPUT; SIZE_OVERFLOW; NON_FINITE; INVALID_ARGUMENT
/// (layout, cost, epsilon, clusters above n + m, m above 2^32 - 1, LSH bands of more than
/// max(n + m, 2^16) directions, buckets/2 * hashes); OUT_OF_MEMORY.
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
        let clouds = Clouds::new(x, n, y, m, d, layout);
        new_kernel(clouds, cost, out, |x, y, cost| {
            let pairs = SparseOptions::or_default(options, PairOptions::sparse_default)?;
            Ok(Arc::new(SparseKernel::new(x, y, cost, epsilon, &pairs)?))
        })
    })
}
