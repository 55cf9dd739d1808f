//! Entropic kernels K = exp(−C/ε) and the operators the Sinkhorn solver applies.
//!
//! A [`Kernel`] is immutable and shared (`Arc`) between solves, threads and the plans that refer to it.
//! It offers two views:
//!
//! - the log domain, `log Σ_j K_ij e^{v_j}`, which never overflows and is used where potentials may be far
//!   from balanced: the first iteration, and recovery after a sum underflowed;
//! - a [`Gibbs`] operator, the kernel with the current potentials absorbed,
//!   `G_ij = K_ij · exp((f_i + g_j)/ε)`. Near a solution its entries are `P_ij/(a_i b_j)`, so plain
//!   linear-domain products are safe and as cheap as the memory they read. The solver re-absorbs the
//!   scalings into the potentials whenever they drift (Schmitzer's stabilised scaling).

pub(crate) mod corrected;
pub mod dense;
pub mod lcn;
pub mod nystrom;
pub mod pairs;
pub mod sparse;

use std::fmt::Debug;
use std::sync::Arc;

use crate::error::{Line, Result};
use crate::geometry::{Cost, Points};

/// What kind of kernel a handle holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelKind {
    /// Dense, with the absorbed kernel stored in f64 during a solve.
    DenseStoredF64,
    /// Dense, with the absorbed kernel stored in f32 during a solve.
    DenseStoredF32,
    /// Dense, every entry evaluated on the fly.
    DenseOnline,
    /// Sparse: the kept pairs' exact entries.
    Sparse,
    /// Nyström: a rank-l factorisation on landmarks.
    Nystrom,
    /// Locally corrected Nyström: Nyström made exact at sparse pairs.
    Lcn,
}

/// Facts about a kernel, for `scalot_kernel_info`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelInfo {
    /// Which kernel it is.
    pub kind: KernelKind,
    /// Rows: the source points.
    pub n: usize,
    /// Columns: the target points.
    pub m: usize,
    /// The absolute entropic regularisation.
    pub epsilon: f64,
    /// Stored pairs: n·m for dense kernels, the kept pairs for sparse and LCN kernels, 0 for Nyström.
    pub nnz: usize,
    /// Nyström landmarks, 0 where there are none.
    pub landmarks: usize,
    /// Bytes the kernel holds, plus the bytes one solve's operator allocates.
    pub bytes: usize,
    /// Pairs kept beyond the pair rule's: nearest partners that cover a line, a balanced solve's
    /// transport backbone, and the partners of lines that fall back to exact pairs.
    pub added_pairs: usize,
    /// Nyström and LCN: the share of the kernel's total Σ_ij K̃_ij (unit weights) that the nonnegative
    /// floor ρρᵀ carries, the floor that keeps every entry at least the exact one. Near 0 when the
    /// landmarks represent every point, near 1 when the kernel is mostly its own error bound. 0 for the
    /// exact and sparse kernels.
    pub floor_share: f64,
}

/// An entropic kernel, immutable and shareable.
pub trait Kernel: Send + Sync + Debug {
    /// (n, m).
    fn shape(&self) -> (usize, usize);

    /// The absolute entropic regularisation ε of K = exp(−C/ε).
    fn epsilon(&self) -> f64;

    /// The kernel's kind, shape, size and what was added to it.
    fn info(&self) -> KernelInfo;

    /// `out_i = log Σ_j K_ij e^{v_j}`; entries of `v` may be −∞. A line whose sum is 0 is −∞, and a
    /// signed kernel's line whose sum is negative is NaN: the solver repairs or reports them.
    fn log_apply(&self, v: &[f64], out: &mut [f64]) -> Result<()>;

    /// `out_j = log Σ_i K_ij e^{u_i}`, as [`Kernel::log_apply`].
    fn log_apply_transpose(&self, u: &[f64], out: &mut [f64]) -> Result<()>;

    /// The kernel with the potentials `f` (length n) and `g` (length m) absorbed.
    fn gibbs(&self, f: &[f64], g: &[f64]) -> Result<Box<dyn Gibbs>>;

    /// Fails with [`crate::Error::OutOfMemory`] now, before any pass over the costs, if the operator a
    /// solve builds ([`Kernel::gibbs`]) cannot be allocated: a stored dense kernel's n·m entries.
    fn reserve_operator(&self) -> Result<()> {
        Ok(())
    }

    /// The same kernel at another ε, where that is cheap (for ε-scaling); `None` otherwise.
    fn with_epsilon(&self, _epsilon: f64) -> Option<Arc<dyn Kernel>> {
        None
    }

    /// The point clouds and cost the kernel was built from, if it was built from points.
    fn geometry(&self) -> Option<(&Points, &Points, Cost)> {
        None
    }

    /// The exact costs this kernel approximates or holds, for passes over every pair: its points and
    /// cost, or a dense kernel's cost matrix.
    fn exact_costs(&self) -> Option<dense::Costs<'_>> {
        self.geometry()
            .map(|(x, y, cost)| dense::Costs::Points { x, y, cost })
    }

    /// The kernel a solve with the marginals `a` and `b` runs on, when it is not this one: a sparse
    /// kernel adds a transport backbone for a balanced solve (`balanced`), so that its pattern carries a
    /// plan with those marginals.
    fn for_marginals(&self, _a: &[f64], _b: &[f64], _balanced: bool) -> Option<Arc<dyn Kernel>> {
        None
    }

    /// The same kernel with more precise storage, for a solve whose error the storage stalls (a stored
    /// f32 kernel's f64 twin); `None` where there is none.
    fn more_precise(&self) -> Option<Arc<dyn Kernel>> {
        None
    }

    /// A repaired kernel, for a solve whose log-domain product over `line` found `lines` not positive,
    /// with `weights` the log-weights of the other side it was given (`log b + g/ε` for rows): a Nyström
    /// or LCN kernel raises its nonnegative floor. `None` when the kernel has no repair left.
    fn repaired(&self, _line: Line, _lines: &[usize], _weights: &[f64]) -> Option<Arc<dyn Kernel>> {
        None
    }

    /// What to change when a line's sum is not positive and the kernel cannot repair it.
    fn failure_advice(&self) -> &'static str {
        "increase epsilon"
    }
}

/// The kernel with potentials absorbed, `G_ij = exp((f_i + g_j − C_ij)/ε)`, as a linear operator.
pub trait Gibbs: Send + Sync {
    /// (n, m).
    fn shape(&self) -> (usize, usize);

    /// Scalings beyond `e^{±threshold}` must be absorbed before the next product: the operator's storage
    /// cannot represent the entries they would multiply.
    fn absorption_threshold(&self) -> f64;

    /// `y = G x`.
    fn apply(&self, x: &[f64], y: &mut [f64]);

    /// `y = Gᵀ x`.
    fn apply_transpose(&self, x: &[f64], y: &mut [f64]);

    /// One Sinkhorn iteration's products: `s = G x`, `r_i = row_update(i, s_i)`, `y = Gᵀ r`. Operators that
    /// can do it in one pass over their entries override this.
    fn sweep(
        &self,
        x: &[f64],
        row_update: &(dyn Fn(usize, f64) -> f64 + Sync),
        s: &mut [f64],
        r: &mut [f64],
        y: &mut [f64],
    ) {
        self.apply(x, s);
        for (i, (ri, &si)) in r.iter_mut().zip(s.iter()).enumerate() {
            *ri = row_update(i, si);
        }
        self.apply_transpose(r, y);
    }

    /// `Y = G X` for `X` m×k and `Y` n×k, both row-major.
    fn apply_block(&self, x: &[f64], k: usize, y: &mut [f64]);

    /// Row i of G.
    fn row(&self, i: usize, out: &mut [f64]);

    /// `Σ_ij x_i G_ij C_ij y_j`, where the kernel knows its costs entry by entry.
    fn cost_moment(&self, x: &[f64], y: &[f64]) -> Option<f64>;

    /// Bytes the operator holds.
    fn bytes(&self) -> usize;
}
