//! The C enumerations. Functions take them as `int` and convert here, because a C caller can pass any
//! integer and an out-of-range value must be an error, not undefined behaviour.

use std::ffi::c_int;

use crate::error::{Error, Result};
use crate::geometry::{Cost, Layout};
use crate::kernel::dense::DenseMode;
use crate::kernel::nystrom::{LandmarkRule, StabilisedInverse};
use crate::kernel::KernelKind;
use crate::rrho::{Engine, Method};

/// How a matrix argument is laid out.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum scalot_layout {
    /// Row i of an r×c matrix is c consecutive values (C, NumPy).
    RowMajor = 0,
    /// Column k of an r×c matrix is r consecutive values (R, Julia, Fortran).
    ColumnMajor = 1,
}

/// The ground cost between points.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum scalot_cost {
    /// ||x - y||^2, without a 1/2 (as POT).
    SqEuclidean = 0,
    /// ||x - y||.
    Euclidean = 1,
    /// -<x, y>.
    NegDot = 2,
}

/// How a dense kernel holds its entries during a solve.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum scalot_dense_mode {
    /// n*m doubles: the reference accuracy. 8*n*m bytes per solve and per live plan.
    StoredF64 = 0,
    /// n*m floats, accumulated in double: half the memory traffic (about 2x faster per iteration);
    /// entries rounded to 6e-8 relative, which moves costs by about 1e-7 relative.
    StoredF32 = 1,
    /// Nothing stored: every entry recomputed from the points in every product. O((n+m)*d) memory,
    /// d flops and one exponential per entry per product.
    Online = 2,
}

/// Why a solve stopped (scalot_plan_stop_reason).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum scalot_stop_reason {
    /// The stopping rule fell below the tolerance.
    Converged = 0,
    /// The iteration limit came first.
    IterationLimit = 1,
    /// The error stopped falling before the tolerance: its best value improved by less than 0.1% over
    /// 1000 iterations. A stored f32 kernel's solve first moved to f64 storage; for other kernels the
    /// kernel's precision is the floor (an approximate kernel's row and column products disagree at
    /// that level). Use a looser tolerance, or a more accurate kernel.
    Stalled = 2,
}

/// What a kernel handle holds.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum scalot_kernel_kind {
    /// Dense, its n*m entries stored as doubles at solve time.
    DenseStoredF64 = 0,
    /// Dense, stored as floats.
    DenseStoredF32 = 1,
    /// Dense, entries recomputed from the points in every product.
    DenseOnline = 2,
    /// Sparse: exact entries at the kept pairs (scalot_kernel_sparse_new).
    Sparse = 3,
    /// Nystrom: a rank-l factorisation on landmarks (scalot_kernel_nystrom_new).
    Nystrom = 4,
    /// Locally corrected Nystrom (scalot_kernel_lcn_new).
    Lcn = 5,
}

/// How Nystrom landmarks are chosen from the points of x and y together.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum scalot_landmark_rule {
    /// Distinct points, uniformly at random.
    Uniform = 0,
    /// k-means++ seeding: spread-out points (the LCN paper's choice).
    KMeansPlusPlus = 1,
    /// k-means centres after Lloyd iterations from k-means++ seeding.
    KMeans = 2,
    /// Greedy, as pivoted Cholesky: each landmark is the point the earlier ones represent worst (the
    /// largest Nystrom residual at the kernel's epsilon). O((n + m) * landmarks * (d + landmarks)).
    Pivoted = 3,
}

/// How the inverse of the landmark kernel matrix is stabilised.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum scalot_inverse {
    /// Pseudo-inverse over the eigenvalues above tolerance times the largest.
    Eigen = 0,
    /// Cholesky factorisation with jitter: (A + delta I)^-1, delta = tolerance, times 10 until it succeeds.
    Cholesky = 1,
}

/// A C flag: 0 is off, 1 is on, anything else is refused.
pub(crate) fn flag(value: c_int, arg: &'static str) -> Result<bool> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(Error::invalid(
            arg,
            format!("{other} is neither 0 (off) nor 1 (on)"),
        )),
    }
}

pub(crate) fn layout(value: c_int, arg: &'static str) -> Result<Layout> {
    match value {
        0 => Ok(Layout::RowMajor),
        1 => Ok(Layout::ColumnMajor),
        other => Err(Error::invalid(
            arg,
            format!("{other} is not a scalot_layout (0 row-major, 1 column-major)"),
        )),
    }
}

pub(crate) fn cost(value: c_int) -> Result<Cost> {
    match value {
        0 => Ok(Cost::SqEuclidean),
        1 => Ok(Cost::Euclidean),
        2 => Ok(Cost::NegDot),
        other => Err(Error::invalid(
            "cost",
            format!("{other} is not a scalot_cost (0, 1 or 2)"),
        )),
    }
}

pub(crate) fn dense_mode(value: c_int, arg: &'static str) -> Result<DenseMode> {
    match value {
        0 => Ok(DenseMode::StoredF64),
        1 => Ok(DenseMode::StoredF32),
        2 => Ok(DenseMode::Online),
        other => Err(Error::invalid(
            arg,
            format!("{other} is not a scalot_dense_mode (0, 1 or 2)"),
        )),
    }
}

pub(crate) fn landmark_rule(value: c_int, iterations: usize) -> Result<LandmarkRule> {
    match value {
        0 => Ok(LandmarkRule::Uniform),
        1 => Ok(LandmarkRule::KMeansPlusPlus),
        2 => Ok(LandmarkRule::KMeans { iterations }),
        3 => Ok(LandmarkRule::Pivoted),
        other => Err(Error::invalid(
            "rule",
            format!("{other} is not a scalot_landmark_rule (0, 1, 2 or 3)"),
        )),
    }
}

pub(crate) fn inverse(value: c_int, tolerance: f64) -> Result<StabilisedInverse> {
    match value {
        0 => Ok(StabilisedInverse::Eigen { cutoff: tolerance }),
        1 => Ok(StabilisedInverse::Cholesky { jitter: tolerance }),
        other => Err(Error::invalid(
            "method",
            format!("{other} is not a scalot_inverse (0 eigen, 1 Cholesky)"),
        )),
    }
}

/// How an R_rho solve computes the dual's kernel sums.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum scalot_rrho_engine {
    /// Every pair: O(n*m*d) per pass, the reference.
    Exact = 0,
    /// Ball trees (a KDE engine, sub-quadratic): far nodes' terms within a relative `accuracy` of the
    /// exact ones; a row's near field kept whole up to ceil(1/accuracy^2) points, else sampled with that
    /// many draws shared by both sides (relative standard error about `accuracy` times the spread of the
    /// terms). Needs rho = 1 + 1/k for an integer k (2, 1.5, 1.25, 1.1, ...).
    Tree = 1,
}

/// How an R_rho solve maximises the dual.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum scalot_rrho_method {
    /// Exact block maximisation, Anderson-accelerated (the default).
    BlockAscent = 0,
    /// The paper's sign-gradient ascent with a fixed step: a slow reference for small problems.
    SignAscent = 1,
}

/// The kernel every alignment step runs Sinkhorn on.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum scalot_align_kernel {
    /// Full dense Sinkhorn (the paper's "Full Sinkhorn"); its storage from `dense_mode`.
    Dense = 0,
    /// Sparse Sinkhorn on the pairs of a scalot_sparse_options.
    Sparse = 1,
    /// Nystrom Sinkhorn on the landmarks of a scalot_nystrom_options.
    Nystrom = 2,
    /// LCN-Sinkhorn: both.
    Lcn = 3,
}

pub(crate) fn align_kernel(value: c_int) -> Result<scalot_align_kernel> {
    match value {
        0 => Ok(scalot_align_kernel::Dense),
        1 => Ok(scalot_align_kernel::Sparse),
        2 => Ok(scalot_align_kernel::Nystrom),
        3 => Ok(scalot_align_kernel::Lcn),
        other => Err(Error::invalid(
            "kernel",
            format!("{other} is not a scalot_align_kernel (0 dense, 1 sparse, 2 nystrom, 3 lcn)"),
        )),
    }
}

pub(crate) fn rrho_engine(value: c_int, accuracy: f64) -> Result<Engine> {
    match value {
        0 => Ok(Engine::Exact),
        1 => Ok(Engine::Tree { accuracy }),
        other => Err(Error::invalid(
            "engine",
            format!("{other} is not a scalot_rrho_engine (0 exact, 1 tree)"),
        )),
    }
}

pub(crate) fn rrho_method(value: c_int, step: f64) -> Result<Method> {
    match value {
        0 => Ok(Method::BlockAscent),
        1 => Ok(Method::SignAscent { step }),
        other => Err(Error::invalid(
            "method",
            format!("{other} is not a scalot_rrho_method (0 block ascent, 1 sign ascent)"),
        )),
    }
}

impl From<KernelKind> for scalot_kernel_kind {
    fn from(kind: KernelKind) -> Self {
        match kind {
            KernelKind::DenseStoredF64 => scalot_kernel_kind::DenseStoredF64,
            KernelKind::DenseStoredF32 => scalot_kernel_kind::DenseStoredF32,
            KernelKind::DenseOnline => scalot_kernel_kind::DenseOnline,
            KernelKind::Sparse => scalot_kernel_kind::Sparse,
            KernelKind::Nystrom => scalot_kernel_kind::Nystrom,
            KernelKind::Lcn => scalot_kernel_kind::Lcn,
        }
    }
}
