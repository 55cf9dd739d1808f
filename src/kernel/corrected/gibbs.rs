//! The corrected kernel with potentials absorbed: the Nyström operator on its trusted lines plus the
//! sparse correction `Δ_ij e^{(f_i + g_j)/ε}` at the kept pairs. A product costs O((n + m)·l + nnz).

use crate::kernel::nystrom::NystromGibbs;
use crate::kernel::sparse::gibbs::SparseGibbs;
use crate::kernel::Gibbs;

pub(super) struct CorrectedGibbs {
    pub nystrom: NystromGibbs,
    pub correction: SparseGibbs,
}

impl Gibbs for CorrectedGibbs {
    fn shape(&self) -> (usize, usize) {
        self.nystrom.shape()
    }

    fn absorption_threshold(&self) -> f64 {
        self.nystrom.absorption_threshold()
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        self.nystrom.apply(x, y);
        self.correction.rows_into(x, y, true);
    }

    fn apply_transpose(&self, x: &[f64], y: &mut [f64]) {
        self.nystrom.apply_transpose(x, y);
        self.correction.columns_into(x, y, true);
    }

    fn apply_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        self.nystrom.apply_block(x, k, y);
        self.correction.block_into(x, k, y, true);
    }

    fn row(&self, i: usize, out: &mut [f64]) {
        self.nystrom.row(i, out);
        self.correction.add_row(i, out);
    }

    fn cost_moment(&self, _x: &[f64], _y: &[f64]) -> Option<f64> {
        None
    }

    fn bytes(&self) -> usize {
        self.nystrom.bytes() + self.correction.bytes()
    }
}
