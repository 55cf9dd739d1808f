//! The dense Gibbs operator held in memory: n·m values of `exp((f_i + g_j − C_ij)/ε)` in f32 or f64.
//! Every product reads the matrix once from memory, so its speed is the machine's read bandwidth; a
//! Sinkhorn iteration is one [`Gibbs::sweep`], a single read of the matrix.

use std::ops::Range;
use std::sync::Arc;

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::source::CostSource;
use crate::error::{try_zeroed, Result, Zeroed};
use crate::kernel::Gibbs;
use crate::numeric::exp::exp;
use crate::numeric::parallel::{min_rows_per_task, sum_over_row_leaves};
use crate::threads::Interrupt;

/// A storage precision for the absorbed kernel.
pub(crate) trait Storage: Zeroed + Default + Send + Sync + 'static {
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
        // Tiles of rows, so that the costs come from matrix products.
        const LINES: usize = 64;
        let interrupt = Interrupt::current();
        values
            .par_chunks_mut(m * LINES)
            .with_min_len(min_rows_per_task(m * LINES))
            .enumerate()
            .for_each_init(
                || vec![0.0; m * LINES],
                |costs, (group, rows)| {
                    if interrupt.requested() {
                        return;
                    }
                    let first = group * LINES;
                    let count = rows.len() / m;
                    let costs = &mut costs[..rows.len()];
                    source.tile(first..first + count, 0..m, costs);
                    for (r, (row, costs)) in rows
                        .chunks_exact_mut(m)
                        .zip(costs.chunks_exact(m))
                        .enumerate()
                    {
                        let fi = f[first + r];
                        for ((value, &c), &gj) in row.iter_mut().zip(costs).zip(g) {
                            *value = T::from_f64(exp((fi + gj - c) / epsilon));
                        }
                    }
                },
            );
        interrupt.check()?;
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

/// Rows a sweep handles together. Each `x_j` and `acc_j` is then loaded once per block rather than once
/// per row: with one row at a time the accumulator's loads and stores, not the matrix, bound an f32 sweep.
const ROW_BLOCK: usize = 4;

/// Eight consecutive entries, as an array so that the compiler knows the length.
#[inline(always)]
fn eight<T: Copy>(chunk: &[T]) -> &[T; 8] {
    chunk.try_into().expect("chunks_exact(8) yields 8 entries")
}

/// `Σ_j G_kj x_j` for the rows of a block, in f64 with independent accumulators (8 per row).
#[inline(always)]
fn block_dot<T: Storage>(block: [&[T]; ROW_BLOCK], x: &[f64]) -> [f64; ROW_BLOCK] {
    let [g0, g1, g2, g3] = block;
    let (mut l0, mut l1, mut l2, mut l3) = ([0.0f64; 8], [0.0f64; 8], [0.0f64; 8], [0.0f64; 8]);
    let chunks = x
        .chunks_exact(8)
        .zip(g0.chunks_exact(8))
        .zip(g1.chunks_exact(8))
        .zip(g2.chunks_exact(8))
        .zip(g3.chunks_exact(8));
    for ((((xs, r0), r1), r2), r3) in chunks {
        let (xs, r0, r1, r2, r3) = (eight(xs), eight(r0), eight(r1), eight(r2), eight(r3));
        for k in 0..8 {
            l0[k] += r0[k].to_f64() * xs[k];
            l1[k] += r1[k].to_f64() * xs[k];
            l2[k] += r2[k].to_f64() * xs[k];
            l3[k] += r3[k].to_f64() * xs[k];
        }
    }
    let lanes = [l0, l1, l2, l3];
    let full = x.len() / 8 * 8;
    std::array::from_fn(|k| {
        let tail: f64 = block[k][full..]
            .iter()
            .zip(&x[full..])
            .map(|(r, v)| r.to_f64() * v)
            .sum();
        lanes[k].iter().sum::<f64>() + tail
    })
}

/// `acc_j += Σ_k scale_k G_kj` over the rows of a block.
#[inline(always)]
fn block_axpy<T: Storage>(scales: [f64; ROW_BLOCK], block: [&[T]; ROW_BLOCK], acc: &mut [f64]) {
    let [g0, g1, g2, g3] = block;
    let [s0, s1, s2, s3] = scales;
    let entries = acc.iter_mut().zip(g0).zip(g1).zip(g2).zip(g3);
    for ((((a, r0), r1), r2), r3) in entries {
        *a += (s0 * r0.to_f64() + s1 * r1.to_f64()) + (s2 * r2.to_f64() + s3 * r3.to_f64());
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
    let start = rows.start;
    let blocked = rows.len() / ROW_BLOCK * ROW_BLOCK;
    for (b, results) in out[..blocked].chunks_exact_mut(ROW_BLOCK).enumerate() {
        let first = start + b * ROW_BLOCK;
        let block: [&[T]; ROW_BLOCK] = std::array::from_fn(|k| gibbs.row_slice(first + k));
        let sums = block_dot(block, x);
        let scales: [f64; ROW_BLOCK] = std::array::from_fn(|k| row_update(first + k, sums[k]));
        block_axpy(scales, block, acc);
        for (result, (&s, &r)) in results.iter_mut().zip(sums.iter().zip(&scales)) {
            *result = (s, r);
        }
    }
    for (local, i) in (blocked..rows.len()).zip(start + blocked..rows.end) {
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
        // A matrix product per band of rows, widened to f64 first: with k columns (d = 300 for
        // embeddings) the product's blocking beats a loop that rereads x for every entry.
        const LINES: usize = 32;
        let m = self.m;
        let x = MatRef::from_row_major_slice(x, m, k);
        y.par_chunks_mut(k * LINES).enumerate().for_each_init(
            || vec![0.0; LINES * m],
            |band, (group, out)| {
                let count = out.len() / k;
                let band = &mut band[..count * m];
                let first = group * LINES;
                for (wide, v) in band
                    .iter_mut()
                    .zip(&self.values[first * m..(first + count) * m])
                {
                    *wide = v.to_f64();
                }
                matmul(
                    MatMut::from_row_major_slice_mut(out, count, k),
                    Accum::Replace,
                    MatRef::from_row_major_slice(band, count, m),
                    x,
                    1.0,
                    Par::Seq,
                );
            },
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A 13 x 21 matrix: neither a multiple of the row block nor of the 8-wide chunks, so every tail runs.
    fn gibbs<T: Storage>() -> StoredGibbs<T> {
        let (n, m) = (13, 21);
        let values = (0..n * m)
            .map(|k| (((k * 7919) % 1000) as f64 / 1000.0).sqrt())
            .collect();
        let source = Arc::new(CostSource::Matrix { values, n, m });
        StoredGibbs::new(source, 0.7, &vec![0.1; n], &vec![-0.2; m]).unwrap()
    }

    fn sweep_with<T: Storage>(
        gibbs: &StoredGibbs<T>,
        run: impl Fn(&StoredGibbs<T>, &[f64], &mut [(f64, f64)], &mut [f64]),
    ) -> (Vec<(f64, f64)>, Vec<f64>) {
        let x: Vec<f64> = (0..gibbs.m).map(|j| 1.0 + j as f64 / 10.0).collect();
        let mut out = vec![(0.0, 0.0); gibbs.n];
        let mut acc = vec![0.0; gibbs.m];
        run(gibbs, &x, &mut out, &mut acc);
        (out, acc)
    }

    fn row_update(i: usize, s: f64) -> f64 {
        (1.0 + i as f64) / s
    }

    fn dispatched_and_portable_loops_agree<T: Storage>() {
        let g = gibbs::<T>();
        let rows = 0..g.n;
        let fast = sweep_with(&g, |g, x, out, acc| {
            sweep_rows(g, rows.clone(), x, &row_update, out, acc)
        });
        let portable = sweep_with(&g, |g, x, out, acc| {
            sweep_rows_generic(g, rows.clone(), x, &row_update, out, acc)
        });
        // Without AVX2 the dispatched loop is the portable one, and only the reference below tests it.
        #[cfg(target_arch = "x86_64")]
        let dispatched = std::arch::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let dispatched = false;
        if dispatched {
            assert_eq!(fast, portable);
        } else {
            eprintln!("no AVX2 loop on this machine: the dispatched sweep is checked against the reference only");
        }

        let x: Vec<f64> = (0..g.m).map(|j| 1.0 + j as f64 / 10.0).collect();
        let mut acc = vec![0.0; g.m];
        for i in 0..g.n {
            let row = g.row_slice(i);
            let s: f64 = row.iter().zip(&x).map(|(r, v)| r.to_f64() * v).sum();
            let r = row_update(i, s);
            assert!((fast.0[i].0 - s).abs() <= 1e-14 * s, "row {i}");
            assert!((fast.0[i].1 - r).abs() <= 1e-14 * r, "row {i}");
            for (a, value) in acc.iter_mut().zip(row) {
                *a += r * value.to_f64();
            }
        }
        for (got, want) in fast.1.iter().zip(&acc) {
            assert!((got - want).abs() <= 1e-14 * want);
        }
    }

    #[test]
    fn dispatched_and_portable_loops_agree_f32() {
        dispatched_and_portable_loops_agree::<f32>();
    }

    #[test]
    fn dispatched_and_portable_loops_agree_f64() {
        dispatched_and_portable_loops_agree::<f64>();
    }
}
