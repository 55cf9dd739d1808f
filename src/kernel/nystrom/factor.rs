//! One side's Nyström factor at one ε, in the half-inverse form, with its floor.
//!
//! With h_a = C(z_a, z_a)/2 and s_p = C(p, p)/2, the normalised kernel K̂(p, q) = e^{−(C(p,q) − s_p −
//! s_q)/ε} has a unit diagonal and K(p, q) = K̂(p, q) e^{−(s_p + s_q)/ε}; for −⟨x, y⟩ it is the
//! Gaussian e^{−‖p − q‖²/2ε}, so its conditioning does not depend on the points' norms. The landmark
//! matrix Â_ab = K̂(z_a, z_b) is inverted in halves, S Sᵀ = Â⁻¹ (`inverse.rs`), and each point keeps
//!
//!   F_p = Û_p S,  Û_pa = e^{−(C(p, z_a) − h_a)/ε},  so that  K_Nys(p, q) = ⟨F_p, F_q⟩,
//!
//! stored as F̃_p = F_p e^{−M_p} with M_p the largest exponent of Û_p. In normalised units
//! ‖F_p e^{s_p/ε}‖ ≤ 1, so products through F stay bounded where products through Â⁻¹ (norm up to
//! 1/cutoff) lose that many digits.
//!
//! **The floor.** Nyström is an orthogonal projection in the kernel's feature space, so the residual
//! r_p = 1 − ‖F_p e^{s_p/ε}‖² ∈ [0, 1] bounds every entry's error by Cauchy–Schwarz:
//! |K − K_Nys|(p, q) ≤ ρ_p ρ_q with ρ_p = √r_p e^{−s_p/ε}. Hence K ≤ K_Nys + ρρᵀ ≤ K + 2ρρᵀ entrywise:
//! with the rank-one floor ρρᵀ no entry is negative, landmarks (r = 0) are exact, and elsewhere the
//! error is at most twice Nyström's own bound. The kernels use βρρᵀ, β ∈ [0, 1], starting from β = 0
//! (plain Nyström): the floor is loose far from the diagonal, where it would swamp the small entries
//! a plan lives on at small ε, so a solve raises β only as far as a sum that is not positive needs
//! (`kernel/corrected`). At β = 1 no sum can be negative at any potentials. The residuals are raised by
//! a rounding margin so that the floor also covers the rounding of F.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use crate::error::{try_zeroed, Result};
use crate::geometry::{Cost, Points};
use crate::kernel::dense::fill_cost_tile;
use crate::numeric::exp::exp;
use crate::numeric::logsumexp::LogSumExp;
use crate::numeric::parallel::sum_over_row_leaves;
use crate::numeric::signed_logsum::{SignedLog, SignedLogSum};

/// Points per block of the factor's matrix products.
const BLOCK: usize = 256;
/// Factor entries per leaf of a sum over the points.
pub(crate) const LEAF_ENTRIES: usize = 1 << 16;
/// Rounding margin of the residuals, in units of the half inverse's rounding: F̃ = E S rounds to about
/// l · 2⁻⁵³ · max|S| in normalised units.
const MARGIN_ROUNDINGS: f64 = 16.0;

/// The factor of the points of one side.
#[derive(Debug)]
pub(crate) struct Factor {
    /// F̃, point-major: `count × rank`.
    values: Vec<f64>,
    /// M_p.
    log_scale: Vec<f64>,
    /// log ρ_p.
    floor: Vec<f64>,
    rank: usize,
}

/// The landmarks and their shifts h_a, the half inverse S (l×rank, row-major), ε.
pub(crate) struct Basis<'a> {
    pub landmarks: &'a Points,
    pub shifts: &'a [f64],
    pub half: &'a [f64],
    pub rank: usize,
    pub epsilon: f64,
}

impl Factor {
    pub fn new(points: &Points, cost: Cost, basis: &Basis, what: &'static str) -> Result<Self> {
        let (count, l, rank, epsilon) = (
            points.len(),
            basis.landmarks.len(),
            basis.rank,
            basis.epsilon,
        );
        let mut values = try_zeroed::<f64>(count * rank, what)?;
        let mut log_scale = vec![0.0; count];
        let mut floor = vec![0.0; count];
        let half = MatRef::from_row_major_slice(basis.half, l, rank);
        let largest = basis.half.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        let margin = MARGIN_ROUNDINGS * l as f64 * f64::EPSILON * largest.max(1.0);
        values
            .par_chunks_mut(BLOCK * rank.max(1))
            .zip(log_scale.par_chunks_mut(BLOCK))
            .zip(floor.par_chunks_mut(BLOCK))
            .enumerate()
            .for_each(|(block, ((values, log_scale), floor))| {
                let start = block * BLOCK;
                let rows = log_scale.len();
                let mut exponents = vec![0.0; rows * l];
                fill_cost_tile(
                    cost,
                    (points, start..start + rows),
                    (basis.landmarks, 0..l),
                    &mut exponents,
                );
                for (row, scale) in exponents.chunks_exact_mut(l).zip(log_scale.iter_mut()) {
                    for (e, h) in row.iter_mut().zip(basis.shifts) {
                        *e = -(*e - h) / epsilon;
                    }
                    *scale = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    for e in row.iter_mut() {
                        *e = exp(*e - *scale);
                    }
                }
                matmul(
                    MatMut::from_row_major_slice_mut(values, rows, rank),
                    Accum::Replace,
                    MatRef::from_row_major_slice(&exponents, rows, l),
                    half,
                    1.0,
                    Par::Seq,
                );
                for (r, (f, scale)) in floor.iter_mut().zip(log_scale.iter()).enumerate() {
                    let p = start + r;
                    let own = cost.eval(points.point(p), points.point(p)) / (2.0 * epsilon);
                    let norm: f64 = values[r * rank..(r + 1) * rank].iter().map(|v| v * v).sum();
                    let residual = (1.0 - norm * (2.0 * (scale + own)).exp()).clamp(0.0, 1.0);
                    *f = 0.5 * (residual + margin).ln() - own;
                }
            });
        Ok(Factor {
            values,
            log_scale,
            floor,
            rank,
        })
    }

    pub fn len(&self) -> usize {
        self.log_scale.len()
    }

    pub fn rank(&self) -> usize {
        self.rank
    }

    /// F̃_p.
    pub fn row(&self, p: usize) -> &[f64] {
        &self.values[p * self.rank..(p + 1) * self.rank]
    }

    pub fn log_scale(&self) -> &[f64] {
        &self.log_scale
    }

    /// log ρ_p.
    pub fn floor(&self) -> &[f64] {
        &self.floor
    }

    pub fn bytes(&self) -> usize {
        (self.values.len() + 2 * self.log_scale.len()) * 8
    }

    /// log Σ_p ρ_p.
    pub fn log_floor_sum(&self) -> f64 {
        let mut acc = LogSumExp::default();
        acc.add_block(&self.floor);
        acc.value()
    }

    /// The log-domain product into `out` (one entry per point of `self`) of the kernel's Nyström part
    /// and its floor at weight β (`log_weight` = ln β, −∞ for none) with the weights e^{v} of `input`'s
    /// points: `out_i = log(Σ_j (K_Nys + βρρᵀ)_ij e^{v_j} + extra_i)`, where `extra(i, acc)` adds line
    /// i's further signed terms. O((n + m)·rank) operations and n + m exponentials. A line whose sum is
    /// not positive has no logarithm: it is NaN.
    pub fn log_lines(
        &self,
        input: &Factor,
        v: &[f64],
        log_weight: f64,
        out: &mut [f64],
        extra: impl Fn(usize, &mut SignedLogSum) + Sync,
    ) {
        let sums = InputSums::new(input, v);
        out.par_iter_mut()
            .with_min_len(crate::numeric::parallel::min_rows_per_task(self.rank))
            .enumerate()
            .for_each(|(i, value)| {
                let (mut acc, floor) = self.line(i, &sums, &extra);
                acc.add(floor + log_weight, 1.0);
                let sum = acc.value();
                *value = if sum.sign > 0.0 {
                    sum.log
                } else if sum.sign == 0.0 {
                    f64::NEG_INFINITY
                } else {
                    f64::NAN
                };
            });
    }

    /// For each of `lines`, the product's sum without the floor, and the log of the floor's term at
    /// weight 1, as [`Factor::log_lines`] computes them.
    pub fn line_parts(
        &self,
        input: &Factor,
        v: &[f64],
        lines: &[usize],
        extra: impl Fn(usize, &mut SignedLogSum) + Sync,
    ) -> Vec<(SignedLog, f64)> {
        let sums = InputSums::new(input, v);
        lines
            .par_iter()
            .map(|&i| {
                let (acc, floor) = self.line(i, &sums, &extra);
                (acc.value(), floor)
            })
            .collect()
    }

    /// Line i's signed sum without the floor, and the log of its floor term at weight 1.
    fn line(
        &self,
        i: usize,
        sums: &InputSums,
        extra: &(impl Fn(usize, &mut SignedLogSum) + Sync),
    ) -> (SignedLogSum, f64) {
        let mut acc = SignedLogSum::default();
        let q: f64 = self.row(i).iter().zip(&sums.t).map(|(f, t)| f * t).sum();
        if q != 0.0 {
            acc.add(q.abs().ln() + self.log_scale[i] + sums.top, q.signum());
        }
        extra(i, &mut acc);
        (acc, self.floor[i] + sums.floor)
    }
}

/// What a log-domain product needs of its input side: t = Σ_j e^{N_j + v_j − top} G̃_j (in a fixed
/// order of leaves), the shift `top`, and log Σ_j ρ_j e^{v_j}.
struct InputSums {
    t: Vec<f64>,
    top: f64,
    floor: f64,
}

impl InputSums {
    fn new(input: &Factor, v: &[f64]) -> Self {
        let rank = input.rank;
        let shifted: Vec<f64> = input.log_scale.iter().zip(v).map(|(m, v)| m + v).collect();
        let top = shifted.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let t = if top == f64::NEG_INFINITY {
            vec![0.0; rank]
        } else {
            sum_over_row_leaves(
                input.len(),
                rank,
                LEAF_ENTRIES,
                &mut [] as &mut [f64],
                0,
                &|range, _, acc: &mut [f64]| {
                    for j in range {
                        let w = exp(shifted[j] - top);
                        for (a, g) in acc.iter_mut().zip(input.row(j)) {
                            *a += w * g;
                        }
                    }
                },
            )
        };
        let mut floor = LogSumExp::default();
        for (f, v) in input.floor.iter().zip(v) {
            floor.add(f + v);
        }
        InputSums {
            t,
            top,
            floor: floor.value(),
        }
    }
}
