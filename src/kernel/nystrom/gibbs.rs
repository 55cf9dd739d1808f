//! The Nyström kernel and its floor with potentials absorbed,
//! `G = diag(e^{f/ε}) (F Gᵀ + βρρᵀ) diag(e^{g/ε})`, kept as `Ũ diag(w) Ṽᵀ` with one column per rank of F
//! and one for the floor: `Ũ_pa = e^{f_p/ε + M_p − c} F̃_pa`, `Ũ_p,floor = e^{f_p/ε + log ρ_p − c_ρ}`, with
//! c and c_ρ the largest of those exponents, and the weights `w_a = e^{c + d}`, `w_floor = β e^{c_ρ + d_ρ}`
//! (d and d_ρ the target side's). Every stored entry is bounded, so the sums over the points cannot
//! overflow; a product costs O((n + m)·rank).
//!
//! Sums over the points run over fixed leaves combined by a fixed tree, so products do not depend on the
//! number of threads.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::factor::{Factor, LEAF_ENTRIES};
use crate::error::{try_zeroed, Error, Result};
use crate::kernel::Gibbs;
use crate::numeric::exp::exp;
use crate::numeric::parallel::{min_rows_per_task, sum_over_row_leaves};

/// Scalings are absorbed before they pass e^150, as for the other f64 operators.
const ABSORPTION_THRESHOLD: f64 = 150.0;

pub(crate) struct NystromGibbs {
    n: usize,
    m: usize,
    /// Columns of Ũ and Ṽ: the rank and the floor.
    width: usize,
    /// Ũ, n × width, point-major.
    u: Vec<f64>,
    /// Ṽ, m × width, point-major.
    v: Vec<f64>,
    w: Vec<f64>,
}

/// One side's factor with its potentials absorbed, point-major with the floor last, and the shifts of the
/// factor's columns and of the floor.
fn absorbed(factor: &Factor, potentials: &[f64], epsilon: f64) -> Result<(Vec<f64>, f64, f64)> {
    let (count, rank) = (factor.len(), factor.rank());
    let width = rank + 1;
    let largest = |offsets: &[f64]| {
        let top = potentials
            .iter()
            .zip(offsets)
            .map(|(p, o)| p / epsilon + o)
            .fold(f64::NEG_INFINITY, f64::max);
        if top.is_finite() {
            top
        } else {
            0.0
        }
    };
    let (shift, floor_shift) = (largest(factor.log_scale()), largest(factor.floor()));
    let mut out = try_zeroed::<f64>(count * width, "the Nyström factor")?;
    out.par_chunks_mut(width)
        .enumerate()
        .with_min_len(1024)
        .for_each(|(p, row)| {
            let scale = exp(potentials[p] / epsilon + factor.log_scale()[p] - shift);
            for (o, f) in row.iter_mut().zip(factor.row(p)) {
                *o = scale * f;
            }
            row[rank] = exp(potentials[p] / epsilon + factor.floor()[p] - floor_shift);
        });
    Ok((out, shift, floor_shift))
}

impl NystromGibbs {
    /// The operator of the factors with the potentials f and g absorbed and the floor at weight `floor`.
    pub fn new(
        rows: &Factor,
        columns: &Factor,
        epsilon: f64,
        floor: f64,
        f: &[f64],
        g: &[f64],
    ) -> Result<Self> {
        let (u, c, c_floor) = absorbed(rows, f, epsilon)?;
        let (v, d, d_floor) = absorbed(columns, g, epsilon)?;
        let rank = rows.rank();
        let mut w = vec![(c + d).exp(); rank];
        w.push(floor * (c_floor + d_floor).exp());
        if !w.iter().all(|w| w.is_finite()) {
            return Err(Error::NumericalFailure(
                "the Nyström factors overflow with the current potentials: increase epsilon".into(),
            ));
        }
        Ok(NystromGibbs {
            n: f.len(),
            m: g.len(),
            width: rank + 1,
            u,
            v,
            w,
        })
    }

    /// `diag(w) Σ_p factor_p x_p` over a factor's points.
    fn weighted_sums(&self, factor: &[f64], x: &[f64]) -> Vec<f64> {
        let width = self.width;
        let mut t = sum_over_row_leaves(
            x.len(),
            width,
            LEAF_ENTRIES,
            &mut [] as &mut [f64],
            0,
            &|range, _, acc: &mut [f64]| {
                for p in range {
                    let xp = x[p];
                    for (a, f) in acc.iter_mut().zip(&factor[p * width..(p + 1) * width]) {
                        *a += f * xp;
                    }
                }
            },
        );
        t.iter_mut().zip(&self.w).for_each(|(t, w)| *t *= w);
        t
    }

    /// `y_p = ⟨factor_p, s⟩`.
    fn expand(&self, factor: &[f64], s: &[f64], y: &mut [f64]) {
        let width = self.width;
        y.par_iter_mut()
            .with_min_len(min_rows_per_task(width))
            .enumerate()
            .for_each(|(p, yp)| {
                *yp = factor[p * width..(p + 1) * width]
                    .iter()
                    .zip(s)
                    .map(|(f, s)| f * s)
                    .sum();
            });
    }
}

impl Gibbs for NystromGibbs {
    fn shape(&self) -> (usize, usize) {
        (self.n, self.m)
    }

    fn absorption_threshold(&self) -> f64 {
        ABSORPTION_THRESHOLD
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        let s = self.weighted_sums(&self.v, x);
        self.expand(&self.u, &s, y);
    }

    fn apply_transpose(&self, x: &[f64], y: &mut [f64]) {
        let s = self.weighted_sums(&self.u, x);
        self.expand(&self.v, &s, y);
    }

    fn apply_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        let (width, m) = (self.width, self.m);
        // T = Ṽᵀ X (width × k), leaf by leaf.
        let mut t = sum_over_row_leaves(
            m,
            width * k,
            LEAF_ENTRIES * k,
            &mut [] as &mut [f64],
            0,
            &|range, _, acc: &mut [f64]| {
                let rows = range.len();
                matmul(
                    MatMut::from_row_major_slice_mut(acc, width, k),
                    Accum::Add,
                    MatRef::from_row_major_slice(
                        &self.v[range.start * width..range.end * width],
                        rows,
                        width,
                    )
                    .transpose(),
                    MatRef::from_row_major_slice(&x[range.start * k..range.end * k], rows, k),
                    1.0,
                    Par::Seq,
                );
            },
        );
        // S = diag(w) T.
        for (row, w) in t.chunks_exact_mut(k).zip(&self.w) {
            row.iter_mut().for_each(|v| *v *= w);
        }
        // Y = Ũ S (n × k), by blocks of rows.
        let rows_per_task = min_rows_per_task(width * k).max(64);
        y.par_chunks_mut(rows_per_task * k)
            .enumerate()
            .for_each(|(chunk, y)| {
                let start = chunk * rows_per_task;
                let rows = y.len() / k;
                matmul(
                    MatMut::from_row_major_slice_mut(y, rows, k),
                    Accum::Replace,
                    MatRef::from_row_major_slice(
                        &self.u[start * width..(start + rows) * width],
                        rows,
                        width,
                    ),
                    MatRef::from_row_major_slice(&t, width, k),
                    1.0,
                    Par::Seq,
                );
            });
    }

    fn row(&self, i: usize, out: &mut [f64]) {
        let width = self.width;
        let q: Vec<f64> = self.u[i * width..(i + 1) * width]
            .iter()
            .zip(&self.w)
            .map(|(u, w)| u * w)
            .collect();
        self.expand(&self.v, &q, out);
    }

    fn cost_moment(&self, _x: &[f64], _y: &[f64]) -> Option<f64> {
        None
    }

    fn bytes(&self) -> usize {
        (self.u.len() + self.v.len() + self.w.len()) * 8
    }
}
