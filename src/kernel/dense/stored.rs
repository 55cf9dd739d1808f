//! The dense Gibbs operator held in memory: n·m values of `exp((f_i + g_j − C_ij)/ε)` in f32 or f64.
//! Every product reads the matrix once from memory, so its speed is the machine's read bandwidth; a
//! Sinkhorn iteration is one [`Gibbs::sweep`], a single read of the matrix.

use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use super::source::CostSource;
use crate::error::{try_zeroed, Result};
use crate::kernel::Gibbs;
use crate::numeric::exp::exp;
use crate::numeric::parallel::{min_rows_per_task, sum_over_row_leaves};

/// A storage precision for the absorbed kernel.
pub(crate) trait Storage: Copy + Default + Send + Sync + 'static {
    /// Scalings beyond `e^{±threshold}` would lift entries that this type flushed to zero at absorption
    /// time (below ~1e-38 for f32) to within 1e-16 of the row sums, so they are absorbed before that.
    const ABSORPTION_THRESHOLD: f64;
    fn from_f64(value: f64) -> Self;
    fn to_f64(self) -> f64;
}

impl Storage for f32 {
    const ABSORPTION_THRESHOLD: f64 = 25.0;
    #[inline(always)]
    fn from_f64(value: f64) -> Self {
        value as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Storage for f64 {
    const ABSORPTION_THRESHOLD: f64 = 150.0;
    #[inline(always)]
    fn from_f64(value: f64) -> Self {
        value
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
}

/// Rows of roughly a megabyte form one leaf of the column-sum reduction.
const LEAF_ENTRIES: usize = 1 << 18;

pub(crate) struct StoredGibbs<T> {
    values: Vec<T>,
    n: usize,
    m: usize,
    source: Arc<CostSource>,
}

impl<T: Storage> StoredGibbs<T> {
    pub fn new(source: Arc<CostSource>, epsilon: f64, f: &[f64], g: &[f64]) -> Result<Self> {
        let (n, m) = source.shape();
        let mut values = try_zeroed::<T>(n * m, "the stored dense kernel")?;
        values
            .par_chunks_mut(m)
            .with_min_len(min_rows_per_task(m))
            .enumerate()
            .for_each_init(
                || vec![0.0; m],
                |costs, (i, row)| {
                    source.row(i, 0..m, costs);
                    for ((value, &c), &gj) in row.iter_mut().zip(costs.iter()).zip(g) {
                        *value = T::from_f64(exp((f[i] + gj - c) / epsilon));
                    }
                },
            );
        Ok(StoredGibbs {
            values,
            n,
            m,
            source,
        })
    }

    #[inline]
    fn row_slice(&self, i: usize) -> &[T] {
        &self.values[i * self.m..(i + 1) * self.m]
    }
}

/// `Σ_j row_j x_j` in f64, with independent accumulators so the loop vectorises.
#[inline(always)]
fn row_dot<T: Storage>(row: &[T], x: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut rows = row.chunks_exact(8);
    let mut xs = x.chunks_exact(8);
    for (r, v) in (&mut rows).zip(&mut xs) {
        for k in 0..8 {
            acc[k] += r[k].to_f64() * v[k];
        }
    }
    let tail: f64 = rows
        .remainder()
        .iter()
        .zip(xs.remainder())
        .map(|(r, v)| r.to_f64() * v)
        .sum();
    acc.iter().sum::<f64>() + tail
}

/// `acc_j += scale · row_j`.
#[inline(always)]
fn row_axpy<T: Storage>(scale: f64, row: &[T], acc: &mut [f64]) {
    for (a, r) in acc.iter_mut().zip(row) {
        *a += scale * r.to_f64();
    }
}

/// A sweep's work on a range of rows: `s_i = G_i·x`, `r_i = row_update(i, s_i)`, `acc += r_i G_i`.
/// Rows are read twice, the second time from cache: one pass over memory per iteration.
#[inline(always)]
fn sweep_rows_generic<T: Storage>(
    gibbs: &StoredGibbs<T>,
    rows: Range<usize>,
    x: &[f64],
    row_update: &(dyn Fn(usize, f64) -> f64 + Sync),
    out: &mut [(f64, f64)],
    acc: &mut [f64],
) {
    for (local, i) in rows.enumerate() {
        let row = gibbs.row_slice(i);
        let si = row_dot(row, x);
        let ri = row_update(i, si);
        row_axpy(ri, row, acc);
        out[local] = (si, ri);
    }
}

/// The same loop compiled for AVX2, whose four-wide f64 vectors double the baseline's throughput: the
/// sweep is then limited by memory, not by conversions and additions. Multiplications and additions
/// stay unfused, so both versions give identical bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sweep_rows_avx2<T: Storage>(
    gibbs: &StoredGibbs<T>,
    rows: Range<usize>,
    x: &[f64],
    row_update: &(dyn Fn(usize, f64) -> f64 + Sync),
    out: &mut [(f64, f64)],
    acc: &mut [f64],
) {
    sweep_rows_generic(gibbs, rows, x, row_update, out, acc)
}

fn sweep_rows<T: Storage>(
    gibbs: &StoredGibbs<T>,
    rows: Range<usize>,
    x: &[f64],
    row_update: &(dyn Fn(usize, f64) -> f64 + Sync),
    out: &mut [(f64, f64)],
    acc: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor supports AVX2, checked just above.
        return unsafe { sweep_rows_avx2(gibbs, rows, x, row_update, out, acc) };
    }
    sweep_rows_generic(gibbs, rows, x, row_update, out, acc)
}

impl<T: Storage> Gibbs for StoredGibbs<T> {
    fn shape(&self) -> (usize, usize) {
        (self.n, self.m)
    }

    fn absorption_threshold(&self) -> f64 {
        T::ABSORPTION_THRESHOLD
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        y.par_iter_mut()
            .with_min_len(min_rows_per_task(self.m))
            .enumerate()
            .for_each(|(i, yi)| *yi = row_dot(self.row_slice(i), x));
    }

    fn apply_transpose(&self, x: &[f64], y: &mut [f64]) {
        let mut unused = vec![(); self.n];
        let sums = sum_over_row_leaves(
            self.n,
            self.m,
            LEAF_ENTRIES,
            &mut unused,
            1,
            &|rows, _, acc| {
                for i in rows {
                    row_axpy(x[i], self.row_slice(i), acc);
                }
            },
        );
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
        let mut row_results = vec![(0.0, 0.0); self.n];
        let sums = sum_over_row_leaves(
            self.n,
            self.m,
            LEAF_ENTRIES,
            &mut row_results,
            1,
            &|rows, out, acc| sweep_rows(self, rows, x, row_update, out, acc),
        );
        for ((si, ri), &(s_value, r_value)) in s.iter_mut().zip(r.iter_mut()).zip(&row_results) {
            *si = s_value;
            *ri = r_value;
        }
        y.copy_from_slice(&sums);
    }

    fn apply_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        y.par_chunks_mut(k)
            .with_min_len(min_rows_per_task(self.m))
            .enumerate()
            .for_each(|(i, yi)| {
                yi.fill(0.0);
                for (&gij, xj) in self.row_slice(i).iter().zip(x.chunks_exact(k)) {
                    let gij = gij.to_f64();
                    for (acc, &v) in yi.iter_mut().zip(xj) {
                        *acc += gij * v;
                    }
                }
            });
    }

    fn row(&self, i: usize, out: &mut [f64]) {
        for (o, v) in out.iter_mut().zip(self.row_slice(i)) {
            *o = v.to_f64();
        }
    }

    fn cost_moment(&self, x: &[f64], y: &[f64]) -> Option<f64> {
        let m = self.m;
        let per_row: Vec<f64> = (0..self.n)
            .into_par_iter()
            .with_min_len(min_rows_per_task(m))
            .map_init(
                || vec![0.0; m],
                |costs, i| {
                    self.source.row(i, 0..m, costs);
                    let weighted: f64 = self
                        .row_slice(i)
                        .iter()
                        .zip(costs.iter())
                        .zip(y)
                        .map(|((g, c), yj)| g.to_f64() * c * yj)
                        .sum();
                    x[i] * weighted
                },
            )
            .collect();
        Some(per_row.iter().sum())
    }

    fn bytes(&self) -> usize {
        std::mem::size_of_val(self.values.as_slice())
    }
}
