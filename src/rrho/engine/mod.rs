//! Kernel-sum engines: the row sums of the dual, Σ_j w_j (a − b_j)_+^k / d_ij^s for k = p, p − 1 and s,
//! for every row of one side at the values a a solver asks for. Both engines serve the same solvers.

pub mod exact;
pub mod tree;

use super::row_equation::RowSums;

/// Which cloud's points are the rows of a pass. For the rows of x the potentials are α and the offsets
/// β; for the rows of y the potentials are −β and the offsets −α, so that (a − b) is α_i − β_j either way
/// and one row equation serves both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    X,
    Y,
}

/// A row's sums as a function of its potential.
pub type RowEvaluator<'r> = dyn FnMut(f64) -> RowSums + 'r;

/// A way of computing the dual's row sums.
pub trait KernelSums: Sync {
    /// Calls `visit(i, sums)` for every row i of `side`, in parallel, where `sums(a)` evaluates row i at
    /// a against `offsets` (length: the other side's size). Returns the visits' results in row order.
    fn map_rows<T: Send>(
        &self,
        side: Side,
        offsets: &[f64],
        visit: &(dyn Fn(usize, &mut RowEvaluator<'_>) -> T + Sync),
    ) -> Vec<T>;
}
