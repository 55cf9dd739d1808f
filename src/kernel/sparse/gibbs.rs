//! The sparse kernel with potentials absorbed: G_ij = exp((f_i + g_j − C_ij)/ε) at the kept pairs, in
//! row order, and again in the column order. Products read their input in the pattern's locality orders.
//! Every sum runs over one row or column in a fixed order, whatever the thread count.

use std::sync::Arc;

use rayon::prelude::*;

use super::pattern::Pattern;
use crate::error::{try_zeroed, Result};
use crate::kernel::Gibbs;
use crate::numeric::exp::exp;
use crate::numeric::parallel::min_rows_per_task;

/// Scalings are absorbed before they pass e^150: f64 values, as the stored dense f64 operator.
const ABSORPTION_THRESHOLD: f64 = 150.0;

pub(crate) struct SparseGibbs {
    pattern: Arc<Pattern>,
    values: Vec<f64>,
    /// The values again in the column order: a column product then streams them instead of gathering
    /// one cache line per entry.
    column_values: Vec<f64>,
}

impl SparseGibbs {
    pub fn new(pattern: Arc<Pattern>, epsilon: f64, f: &[f64], g: &[f64]) -> Result<Self> {
        let costs = pattern.costs();
        Self::from_entries(pattern.clone(), |k, i, j| {
            exp((f[i] + g[j] - costs[k]) / epsilon)
        })
    }

    /// The operator whose entry k, at (i, j), is `value(k, i, j)`.
    pub fn from_entries(
        pattern: Arc<Pattern>,
        value: impl Fn(usize, usize, usize) -> f64 + Sync,
    ) -> Result<Self> {
        let mut values = try_zeroed::<f64>(pattern.nnz(), "the sparse kernel's values")?;
        values
            .par_iter_mut()
            .with_min_len(4096)
            .enumerate()
            .for_each(|(k, v)| *v = value(k, pattern.row_of(k), pattern.col(k)));
        let mut column_values = try_zeroed::<f64>(pattern.nnz(), "the sparse kernel's values")?;
        column_values
            .par_iter_mut()
            .with_min_len(4096)
            .zip(pattern.column_order())
            .for_each(|(v, &k)| *v = values[k]);
        Ok(SparseGibbs {
            pattern,
            values,
            column_values,
        })
    }

    fn width(&self) -> usize {
        let (n, _) = self.pattern.shape();
        self.pattern.nnz() / n.max(1) + 1
    }

    /// `y = G x`, or `y += G x` when `accumulate`.
    pub fn rows_into(&self, x: &[f64], y: &mut [f64], accumulate: bool) {
        let x = self.pattern.columns_locally(x);
        y.par_iter_mut()
            .with_min_len(min_rows_per_task(self.width()))
            .enumerate()
            .for_each(|(i, yi)| {
                let sum: f64 = self.values[self.pattern.row(i)]
                    .iter()
                    .zip(self.pattern.local_columns(i))
                    .map(|(v, &q)| v * x[q as usize])
                    .sum();
                *yi = if accumulate { *yi + sum } else { sum };
            });
    }

    /// `y = Gᵀ x`, or `y += Gᵀ x` when `accumulate`.
    pub fn columns_into(&self, x: &[f64], y: &mut [f64], accumulate: bool) {
        let x = self.pattern.rows_locally(x);
        y.par_iter_mut()
            .with_min_len(min_rows_per_task(self.width()))
            .enumerate()
            .for_each(|(j, yj)| {
                let sum: f64 = self.column_values[self.pattern.column_range(j)]
                    .iter()
                    .zip(self.pattern.local_rows(j))
                    .map(|(v, &q)| v * x[q as usize])
                    .sum();
                *yj = if accumulate { *yj + sum } else { sum };
            });
    }

    /// `Y = G X`, or `Y += G X` when `accumulate` (X m×k and Y n×k, row-major).
    pub fn block_into(&self, x: &[f64], k: usize, y: &mut [f64], accumulate: bool) {
        y.par_chunks_mut(k)
            .with_min_len(min_rows_per_task(self.width() * k))
            .enumerate()
            .for_each(|(i, yi)| {
                if !accumulate {
                    yi.fill(0.0);
                }
                for e in self.pattern.row(i) {
                    let (value, j) = (self.values[e], self.pattern.col(e));
                    for (out, &xj) in yi.iter_mut().zip(&x[j * k..(j + 1) * k]) {
                        *out += value * xj;
                    }
                }
            });
    }

    /// Adds row i's entries into `out` (length m).
    pub fn add_row(&self, i: usize, out: &mut [f64]) {
        for k in self.pattern.row(i) {
            out[self.pattern.col(k)] += self.values[k];
        }
    }
}

impl Gibbs for SparseGibbs {
    fn shape(&self) -> (usize, usize) {
        self.pattern.shape()
    }

    fn absorption_threshold(&self) -> f64 {
        ABSORPTION_THRESHOLD
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        self.rows_into(x, y, false);
    }

    fn apply_transpose(&self, x: &[f64], y: &mut [f64]) {
        self.columns_into(x, y, false);
    }

    fn apply_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        self.block_into(x, k, y, false);
    }

    fn row(&self, i: usize, out: &mut [f64]) {
        out.fill(0.0);
        self.add_row(i, out);
    }

    fn cost_moment(&self, x: &[f64], y: &[f64]) -> Option<f64> {
        let costs = self.pattern.costs();
        let (n, _) = self.pattern.shape();
        let mut rows = vec![0.0; n];
        rows.par_iter_mut()
            .with_min_len(min_rows_per_task(self.width()))
            .enumerate()
            .for_each(|(i, value)| {
                let row: f64 = self
                    .pattern
                    .row(i)
                    .map(|k| self.values[k] * costs[k] * y[self.pattern.col(k)])
                    .sum();
                *value = x[i] * row;
            });
        // Summed in row order, so that the result does not depend on the number of threads.
        Some(rows.iter().sum())
    }

    fn bytes(&self) -> usize {
        (self.values.len() + self.column_values.len()) * 8
    }
}
