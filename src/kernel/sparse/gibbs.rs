//! The sparse kernel with potentials absorbed: G_ij = exp((f_i + g_j − C_ij)/ε) at the kept pairs, in
//! row order. Row products stream the values; column products gather them through the pattern's
//! column view. Every sum runs over one row or column in a fixed order, whatever the thread count.

use std::sync::Arc;

use rayon::prelude::*;

use super::pattern::Pattern;
use crate::error::{try_zeroed, Result};
use crate::kernel::Gibbs;
use crate::numeric::exp::exp;
use crate::numeric::parallel::min_rows_per_task;

/// Scalings are absorbed before they pass e^150: f64 values, as the stored dense f64 operator.
const ABSORPTION_THRESHOLD: f64 = 150.0;

pub(super) struct SparseGibbs {
    pattern: Arc<Pattern>,
    values: Vec<f64>,
}

impl SparseGibbs {
    pub fn new(pattern: Arc<Pattern>, epsilon: f64, f: &[f64], g: &[f64]) -> Result<Self> {
        let mut values = try_zeroed::<f64>(pattern.nnz(), "the sparse kernel's values")?;
        let costs = pattern.costs();
        values
            .par_iter_mut()
            .with_min_len(4096)
            .enumerate()
            .for_each(|(k, value)| {
                let (i, j) = (pattern.row_of(k), pattern.col(k));
                *value = exp((f[i] + g[j] - costs[k]) / epsilon);
            });
        Ok(SparseGibbs { pattern, values })
    }

    fn width(&self) -> usize {
        let (n, _) = self.pattern.shape();
        self.pattern.nnz() / n.max(1) + 1
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
        y.par_iter_mut()
            .with_min_len(min_rows_per_task(self.width()))
            .enumerate()
            .for_each(|(i, yi)| {
                *yi = self
                    .pattern
                    .row(i)
                    .map(|k| self.values[k] * x[self.pattern.col(k)])
                    .sum();
            });
    }

    fn apply_transpose(&self, x: &[f64], y: &mut [f64]) {
        y.par_iter_mut()
            .with_min_len(min_rows_per_task(self.width()))
            .enumerate()
            .for_each(|(j, yj)| {
                *yj = self
                    .pattern
                    .column(j)
                    .iter()
                    .map(|&k| self.values[k] * x[self.pattern.row_of(k)])
                    .sum();
            });
    }

    fn apply_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        y.par_chunks_mut(k)
            .with_min_len(min_rows_per_task(self.width() * k))
            .enumerate()
            .for_each(|(i, yi)| {
                yi.fill(0.0);
                for e in self.pattern.row(i) {
                    let (value, j) = (self.values[e], self.pattern.col(e));
                    for (out, &xj) in yi.iter_mut().zip(&x[j * k..(j + 1) * k]) {
                        *out += value * xj;
                    }
                }
            });
    }

    fn row(&self, i: usize, out: &mut [f64]) {
        out.fill(0.0);
        for k in self.pattern.row(i) {
            out[self.pattern.col(k)] = self.values[k];
        }
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
        self.values.len() * 8
    }
}
