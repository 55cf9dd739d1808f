//! The dense Gibbs operator evaluated on the fly: each product recomputes `exp((f_i + g_j − C_ij)/ε)`
//! from the points, so memory stays O((n + m)·d) at the price of d flops and one exponential per entry.

use std::sync::Arc;

use rayon::prelude::*;

use super::source::CostSource;
use crate::geometry::dot;
use crate::kernel::Gibbs;
use crate::numeric::exp::exp;
use crate::numeric::parallel::{min_rows_per_task, sum_over_row_leaves};

/// Leaves are larger than for the stored operator: a leaf's work is exponentials, not memory reads, and
/// fewer leaves mean fewer partial column sums to merge.
const LEAF_ENTRIES: usize = 1 << 20;

pub(crate) struct OnlineGibbs {
    source: Arc<CostSource>,
    epsilon: f64,
    f: Vec<f64>,
    g: Vec<f64>,
}

impl OnlineGibbs {
    pub fn new(source: Arc<CostSource>, epsilon: f64, f: &[f64], g: &[f64]) -> Self {
        OnlineGibbs {
            source,
            epsilon,
            f: f.to_vec(),
            g: g.to_vec(),
        }
    }

    /// Row i of G into `out` (length m).
    #[inline]
    fn fill_row(&self, i: usize, out: &mut [f64]) {
        self.source.row(i, 0..out.len(), out);
        let fi = self.f[i];
        for (value, &gj) in out.iter_mut().zip(&self.g) {
            *value = exp((fi + gj - *value) / self.epsilon);
        }
    }

    fn m(&self) -> usize {
        self.g.len()
    }
}

impl Gibbs for OnlineGibbs {
    fn shape(&self) -> (usize, usize) {
        (self.f.len(), self.g.len())
    }

    fn absorption_threshold(&self) -> f64 {
        // Absorbing is free here (the potentials are all the operator holds), so keep entries near 1.
        25.0
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        let m = self.m();
        y.par_iter_mut()
            .with_min_len(min_rows_per_task(m))
            .enumerate()
            .for_each_init(
                || vec![0.0; m],
                |row, (i, yi)| {
                    self.fill_row(i, row);
                    *yi = dot(row, x);
                },
            );
    }

    fn apply_transpose(&self, x: &[f64], y: &mut [f64]) {
        let (n, m) = self.shape();
        let mut unused = vec![(); n];
        let sums = sum_over_row_leaves(n, m, LEAF_ENTRIES, &mut unused, 1, &|rows, _, acc| {
            let mut row = vec![0.0; m];
            for i in rows {
                self.fill_row(i, &mut row);
                for (a, &v) in acc.iter_mut().zip(&row) {
                    *a += x[i] * v;
                }
            }
        });
        y.copy_from_slice(&sums);
    }

    fn sweep(
        &self,
        x: &[f64],
        row_update: &(dyn Fn(usize, f64) -> f64 + Sync),
        s: &mut [f64],
        r: &mut [f64],
        y: &mut [f64],
    ) {
        let (n, m) = self.shape();
        let mut row_results = vec![(0.0, 0.0); n];
        let sums = sum_over_row_leaves(
            n,
            m,
            LEAF_ENTRIES,
            &mut row_results,
            1,
            &|rows, out, acc| {
                let mut row = vec![0.0; m];
                for (local, i) in rows.enumerate() {
                    self.fill_row(i, &mut row);
                    let si = dot(&row, x);
                    let ri = row_update(i, si);
                    for (a, &v) in acc.iter_mut().zip(&row) {
                        *a += ri * v;
                    }
                    out[local] = (si, ri);
                }
            },
        );
        for ((si, ri), &(s_value, r_value)) in s.iter_mut().zip(r.iter_mut()).zip(&row_results) {
            *si = s_value;
            *ri = r_value;
        }
        y.copy_from_slice(&sums);
    }

    fn apply_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        let m = self.m();
        y.par_chunks_mut(k)
            .with_min_len(min_rows_per_task(m))
            .enumerate()
            .for_each_init(
                || vec![0.0; m],
                |row, (i, yi)| {
                    self.fill_row(i, row);
                    yi.fill(0.0);
                    for (&gij, xj) in row.iter().zip(x.chunks_exact(k)) {
                        for (acc, &v) in yi.iter_mut().zip(xj) {
                            *acc += gij * v;
                        }
                    }
                },
            );
    }

    fn row(&self, i: usize, out: &mut [f64]) {
        self.fill_row(i, out);
    }

    fn cost_moment(&self, x: &[f64], y: &[f64]) -> Option<f64> {
        let (n, m) = self.shape();
        let per_row: Vec<f64> = (0..n)
            .into_par_iter()
            .with_min_len(min_rows_per_task(m))
            .map_init(
                || (vec![0.0; m], vec![0.0; m]),
                |(costs, gibbs), i| {
                    self.source.row(i, 0..m, costs);
                    self.fill_row(i, gibbs);
                    let weighted: f64 = gibbs
                        .iter()
                        .zip(costs.iter())
                        .zip(y)
                        .map(|((g, c), yj)| g * c * yj)
                        .sum();
                    x[i] * weighted
                },
            )
            .collect();
        Some(per_row.iter().sum())
    }

    fn bytes(&self) -> usize {
        (self.f.len() + self.g.len()) * std::mem::size_of::<f64>()
    }
}
