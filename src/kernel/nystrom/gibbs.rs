//! The Nyström kernel with potentials absorbed: `G = diag(e^{f/ε}) Û W V̂ diag(e^{g/ε})`, kept as
//! `Ũ W̃ Ṽ` with `Ũ_ai = e^{(f_i − C_ai)/ε − c_a}`, `Ṽ_bj = e^{(g_j − C_bj)/ε − d_b}` and
//! `W̃_ab = W_ab e^{c_a + d_b}`, where c_a and d_b are each landmark's largest exponent. So every stored
//! factor entry is at most 1 and the landmark sums cannot overflow; a product costs O((n + m)·l + l²).
//!
//! Sums over the points run over fixed leaves combined by a fixed tree, so products do not depend on the
//! number of threads.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::factors::{Factors, LandmarkInverse};
use crate::error::{try_zeroed, Error, Result};
use crate::kernel::Gibbs;
use crate::numeric::exp::exp;
use crate::numeric::parallel::{min_rows_per_task, sum_over_row_leaves};

/// Scalings are absorbed before they pass e^150, as for the other f64 operators.
const ABSORPTION_THRESHOLD: f64 = 150.0;
/// Factor entries per leaf of a landmark sum.
const LEAF_ENTRIES: usize = 1 << 16;

pub(crate) struct NystromGibbs {
    n: usize,
    m: usize,
    l: usize,
    /// Ũ, l×n.
    u: Vec<f64>,
    /// Ṽ, l×m.
    v: Vec<f64>,
    /// W̃, l×l.
    w: Vec<f64>,
}

/// One factor with potentials absorbed, and each landmark's shift.
fn absorbed(
    costs: &[f64],
    potentials: &[f64],
    epsilon: f64,
    what: &'static str,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let count = potentials.len();
    let mut out = try_zeroed::<f64>(costs.len(), what)?;
    let shifts: Vec<f64> = out
        .par_chunks_mut(count)
        .zip(costs.par_chunks(count))
        .map(|(out, costs)| {
            for ((o, c), p) in out.iter_mut().zip(costs).zip(potentials) {
                *o = (p - c) / epsilon;
            }
            let shift = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for o in out.iter_mut() {
                *o = exp(*o - shift);
            }
            shift
        })
        .collect();
    Ok((out, shifts))
}

impl NystromGibbs {
    pub fn new(factors: &Factors, inverse: &LandmarkInverse, f: &[f64], g: &[f64]) -> Result<Self> {
        let (l, epsilon) = (factors.landmarks(), inverse.epsilon);
        let (u, c) = absorbed(factors.source(), f, epsilon, "the Nyström source factor")?;
        let (v, d) = absorbed(factors.target(), g, epsilon, "the Nyström target factor")?;
        let w: Vec<f64> = inverse
            .values
            .iter()
            .enumerate()
            .map(|(ab, w)| w * (c[ab / l] + d[ab % l]).exp())
            .collect();
        if !w.iter().all(|w| w.is_finite()) {
            return Err(Error::NumericalFailure(
                "the Nyström factors overflow with the current potentials: increase epsilon".into(),
            ));
        }
        Ok(NystromGibbs {
            n: f.len(),
            m: g.len(),
            l,
            u,
            v,
            w,
        })
    }

    /// `t_a = Σ_p factor_ap x_p` over a factor's points.
    fn landmark_sums(&self, factor: &[f64], x: &[f64]) -> Vec<f64> {
        let count = x.len();
        sum_over_row_leaves(
            count,
            self.l,
            LEAF_ENTRIES * self.l,
            &mut [] as &mut [f64],
            0,
            &|range, _, acc: &mut [f64]| {
                for (a, t) in acc.iter_mut().enumerate() {
                    let row = &factor[a * count..][range.clone()];
                    *t += row
                        .iter()
                        .zip(&x[range.clone()])
                        .map(|(f, x)| f * x)
                        .sum::<f64>();
                }
            },
        )
    }

    /// `s = W̃ t` (W̃ᵀ when `transpose`).
    fn mix(&self, t: &[f64], transpose: bool) -> Vec<f64> {
        let l = self.l;
        (0..l)
            .map(|a| {
                (0..l)
                    .map(|b| {
                        let w = if transpose {
                            self.w[b * l + a]
                        } else {
                            self.w[a * l + b]
                        };
                        w * t[b]
                    })
                    .sum()
            })
            .collect()
    }

    /// `y_p = Σ_a factor_ap s_a`.
    fn expand(&self, factor: &[f64], s: &[f64], y: &mut [f64]) {
        let count = y.len();
        let rows_per_task = min_rows_per_task(self.l).max(1024);
        y.par_chunks_mut(rows_per_task)
            .enumerate()
            .for_each(|(chunk, y)| {
                let start = chunk * rows_per_task;
                y.fill(0.0);
                for (a, &sa) in s.iter().enumerate() {
                    let row = &factor[a * count + start..][..y.len()];
                    for (yp, f) in y.iter_mut().zip(row) {
                        *yp += f * sa;
                    }
                }
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
        let t = self.landmark_sums(&self.v, x);
        self.expand(&self.u, &self.mix(&t, false), y);
    }

    fn apply_transpose(&self, x: &[f64], y: &mut [f64]) {
        let t = self.landmark_sums(&self.u, x);
        self.expand(&self.v, &self.mix(&t, true), y);
    }

    fn apply_block(&self, x: &[f64], k: usize, y: &mut [f64]) {
        let (l, m, n) = (self.l, self.m, self.n);
        // T = Ṽ X (l×k), leaf by leaf.
        let t = sum_over_row_leaves(
            m,
            l * k,
            LEAF_ENTRIES * l * k / l.max(1),
            &mut [] as &mut [f64],
            0,
            &|range, _, acc: &mut [f64]| {
                let rows = range.len();
                let factor =
                    MatRef::from_row_major_slice_with_stride(&self.v[range.start..], l, rows, m);
                let block =
                    MatRef::from_row_major_slice(&x[range.start * k..range.end * k], rows, k);
                matmul(
                    MatMut::from_row_major_slice_mut(acc, l, k),
                    Accum::Add,
                    factor,
                    block,
                    1.0,
                    Par::Seq,
                );
            },
        );
        // S = W̃ T (l×k).
        let mut s = vec![0.0; l * k];
        matmul(
            MatMut::from_row_major_slice_mut(&mut s, l, k),
            Accum::Replace,
            MatRef::from_row_major_slice(&self.w, l, l),
            MatRef::from_row_major_slice(&t, l, k),
            1.0,
            Par::Seq,
        );
        // Y = Ũᵀ S (n×k), by blocks of rows.
        let rows_per_task = min_rows_per_task(l * k).max(64);
        y.par_chunks_mut(rows_per_task * k)
            .enumerate()
            .for_each(|(chunk, y)| {
                let start = chunk * rows_per_task;
                let rows = y.len() / k;
                let factor = MatRef::from_row_major_slice_with_stride(&self.u[start..], l, rows, n);
                matmul(
                    MatMut::from_row_major_slice_mut(y, rows, k),
                    Accum::Replace,
                    factor.transpose(),
                    MatRef::from_row_major_slice(&s, l, k),
                    1.0,
                    Par::Seq,
                );
            });
    }

    fn row(&self, i: usize, out: &mut [f64]) {
        let l = self.l;
        let q: Vec<f64> = (0..l)
            .map(|b| {
                (0..l)
                    .map(|a| self.u[a * self.n + i] * self.w[a * l + b])
                    .sum()
            })
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
