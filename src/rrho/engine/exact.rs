//! The exact engine: every pair, O(n·m·d) per pass, never an n×m matrix. Rows are taken in tiles whose
//! distances to all columns come from one faer product (‖x‖² + ‖y‖² − 2⟨x, y⟩ + floor²); each row's
//! inverse distances then serve all of its Newton steps.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

use super::{KernelSums, RowEvaluator, Side};
use crate::geometry::{dot, Cost, Points};
use crate::rrho::problem::RrhoProblem;
use crate::rrho::row_equation::exact_row_sums;

/// Rows per tile: a tile's distances (TILE × m) stay a few megabytes for m up to 10⁵.
const TILE: usize = 16;

/// Below this fraction of ‖x‖² + ‖y‖², the expansion may have cancelled most digits of a squared
/// distance; such pairs are recomputed from the differences.
const CANCELLATION: f64 = 1e-8;

pub struct ExactSums<'a> {
    problem: &'a RrhoProblem,
    x_norms: Vec<f64>,
    y_norms: Vec<f64>,
}

impl<'a> ExactSums<'a> {
    pub fn new(problem: &'a RrhoProblem) -> Self {
        let norms = |p: &Points| (0..p.len()).map(|i| dot(p.point(i), p.point(i))).collect();
        ExactSums {
            problem,
            x_norms: norms(&problem.x),
            y_norms: norms(&problem.y),
        }
    }

    fn sides(&self, side: Side) -> (&Points, &[f64], &Points, &[f64]) {
        let p = self.problem;
        match side {
            Side::X => (&p.x, &self.x_norms, &p.y, &self.y_norms),
            Side::Y => (&p.y, &self.y_norms, &p.x, &self.x_norms),
        }
    }

    /// The other side's weights, as a row of `side` sees them.
    pub fn column_weights(&self, side: Side) -> &'a [f64] {
        match side {
            Side::X => &self.problem.nu,
            Side::Y => &self.problem.mu,
        }
    }

    /// Calls `visit(i, 1/d_i·)` with every row's inverse (floored) distances to all columns.
    pub fn map_distance_rows<T: Send>(
        &self,
        side: Side,
        visit: &(dyn Fn(usize, &[f64]) -> T + Sync),
    ) -> Vec<T> {
        let (rows, row_norms, cols, col_norms) = self.sides(side);
        let (n, m, d) = (rows.len(), cols.len(), rows.dim());
        let floor_sq = self.problem.floor_sq;
        let columns = MatRef::from_row_major_slice(cols.as_slice(), m, d);
        let tiles: Vec<Vec<T>> = (0..n.div_ceil(TILE))
            .into_par_iter()
            .map(|tile| {
                let range = tile * TILE..((tile + 1) * TILE).min(n);
                let block = &rows.as_slice()[range.start * d..range.end * d];
                let block = MatRef::from_row_major_slice(block, range.len(), d);
                // Column r of `inner` is row i's inner products with every column point, contiguous.
                let mut inner = Mat::<f64>::zeros(m, range.len());
                matmul(
                    inner.as_mut(),
                    Accum::Replace,
                    columns,
                    block.transpose(),
                    1.0,
                    Par::Seq,
                );
                let mut inverse = vec![0.0; m];
                range
                    .enumerate()
                    .map(|(r, i)| {
                        let products = inner.col(r).try_as_col_major().unwrap().as_slice();
                        // Branch-free so that it vectorises; the rare cancelled pairs are redone below.
                        for ((slot, &product), &norm) in
                            inverse.iter_mut().zip(products).zip(col_norms)
                        {
                            let sq = (row_norms[i] + norm - 2.0 * product).max(0.0);
                            *slot = 1.0 / (sq + floor_sq).sqrt();
                        }
                        for (j, (slot, &product)) in inverse.iter_mut().zip(products).enumerate() {
                            let scale = row_norms[i] + col_norms[j];
                            if scale - 2.0 * product <= CANCELLATION * scale {
                                let sq = Cost::SqEuclidean.eval(rows.point(i), cols.point(j));
                                *slot = 1.0 / (sq + floor_sq).sqrt();
                            }
                        }
                        visit(i, &inverse)
                    })
                    .collect()
            })
            .collect();
        tiles.into_iter().flatten().collect()
    }
}

impl KernelSums for ExactSums<'_> {
    fn map_rows<T: Send>(
        &self,
        side: Side,
        offsets: &[f64],
        visit: &(dyn Fn(usize, &mut RowEvaluator<'_>) -> T + Sync),
    ) -> Vec<T> {
        let exponents = &self.problem.exponents;
        let weights = self.column_weights(side);
        self.map_distance_rows(side, &|i, inverse| {
            visit(i, &mut |a| {
                exact_row_sums(exponents, weights, inverse, offsets, a)
            })
        })
    }
}
