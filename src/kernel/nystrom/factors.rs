//! The Nyström factors' costs and their log-domain products.
//!
//! With h_a = C(z_a, z_a)/2, the normalised factors `Û_ia = e^{−(C(x_i,z_a) − h_a)/ε}`,
//! `Â_ab = e^{−(C(z_a,z_b) − h_a − h_b)/ε}` and `V̂_bj = e^{−(C(z_b,y_j) − h_b)/ε}` give the same
//! `K_Nys = Û Â⁻¹ V̂ = U A⁻¹ V`, and Â has a unit diagonal with entries at most 1 for every cost here
//! (h = 0 for the Euclidean costs; for −⟨x, y⟩ the shifted cost is ‖z_a − z_b‖²/2). That keeps Â's
//! condition independent of the points' norms. Costs are stored landmark-major and shifted, so one
//! factor row is one landmark's costs to every point.

use rayon::prelude::*;

use super::inverse::StabilisedInverse;
use crate::error::{try_zeroed, Error, Result};
use crate::geometry::{Cost, Points};
use crate::numeric::logsumexp::LogSumExp;
use crate::numeric::parallel::min_rows_per_task;
use crate::numeric::signed_logsum::{SignedLog, SignedLogSum};

/// Which lines a product computes: `Rows` is `K v`, `Columns` is `Kᵀ u`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Rows,
    Columns,
}

/// Values per block of a landmark's log-sum-exp.
const BLOCK: usize = 1024;

/// Â⁻¹ at one ε, row-major l×l (symmetric).
#[derive(Debug)]
pub(crate) struct LandmarkInverse {
    pub epsilon: f64,
    pub values: Vec<f64>,
}

#[derive(Debug)]
pub(crate) struct Factors {
    landmarks: Points,
    /// C(x_i, z_a) − h_a at `a * n + i`.
    source: Vec<f64>,
    /// C(z_b, y_j) − h_b at `b * m + j`.
    target: Vec<f64>,
    /// C(z_a, z_b) − h_a − h_b at `a * l + b`.
    between: Vec<f64>,
}

impl Factors {
    pub fn new(x: &Points, y: &Points, cost: Cost, landmarks: Points) -> Result<Self> {
        let l = landmarks.len();
        let shift: Vec<f64> = (0..l)
            .map(|a| cost.eval(landmarks.point(a), landmarks.point(a)) / 2.0)
            .collect();
        let costs = |points: &Points, what: &'static str| -> Result<Vec<f64>> {
            let count = points.len();
            let mut out = try_zeroed::<f64>(l * count, what)?;
            out.par_chunks_mut(count)
                .zip(&shift)
                .enumerate()
                .for_each(|(a, (row, &h))| {
                    let z = landmarks.point(a);
                    row.par_iter_mut()
                        .with_min_len(min_rows_per_task(points.dim()))
                        .enumerate()
                        .for_each(|(i, c)| *c = cost.eval(points.point(i), z) - h);
                });
            Ok(out)
        };
        let source = costs(x, "the Nyström source factor")?;
        let target = costs(y, "the Nyström target factor")?;
        let between = (0..l * l)
            .map(|ab| {
                let (a, b) = (ab / l, ab % l);
                cost.eval(landmarks.point(a), landmarks.point(b)) - shift[a] - shift[b]
            })
            .collect();
        Ok(Factors {
            landmarks,
            source,
            target,
            between,
        })
    }

    pub fn landmarks(&self) -> usize {
        self.landmarks.len()
    }

    pub fn bytes(&self) -> usize {
        self.landmarks.bytes() + (self.source.len() + self.target.len() + self.between.len()) * 8
    }

    /// The shifted costs of one side, landmark-major.
    pub fn source(&self) -> &[f64] {
        &self.source
    }

    pub fn target(&self) -> &[f64] {
        &self.target
    }

    /// Â⁻¹ at ε.
    pub fn inverse(&self, epsilon: f64, method: &StabilisedInverse) -> Result<LandmarkInverse> {
        let a: Vec<f64> = self.between.iter().map(|c| (-c / epsilon).exp()).collect();
        Ok(LandmarkInverse {
            epsilon,
            values: method.invert(&a, self.landmarks())?,
        })
    }

    /// The output and input sides' costs for a direction.
    fn sides(&self, direction: Direction) -> (&[f64], &[f64]) {
        match direction {
            Direction::Rows => (&self.source, &self.target),
            Direction::Columns => (&self.target, &self.source),
        }
    }

    /// `out_i = log(Σ_j (Û W V̂)_ij e^{v_j} + extra_i)` for every line i of `direction` (W = Â⁻¹, so the
    /// transposed product uses the same W), where `extra(i, acc)` adds line i's further signed terms (LCN's
    /// correction). Costs O((n + m)·l + l²) exponentials, and fails, naming the first line, where a sum is
    /// not positive: the approximation has no logarithm there.
    pub fn log_lines(
        &self,
        inverse: &LandmarkInverse,
        direction: Direction,
        v: &[f64],
        out: &mut [f64],
        extra: impl Fn(usize, &mut SignedLogSum) + Sync,
        advice: &str,
    ) -> Result<()> {
        let l = self.landmarks();
        let epsilon = inverse.epsilon;
        let (output, input) = self.sides(direction);
        let width = v.len();
        // t_b = log Σ_j V̂_bj e^{v_j}
        let t: Vec<f64> = input
            .par_chunks(width)
            .map(|costs| {
                let mut acc = LogSumExp::default();
                let mut block = [0.0; BLOCK];
                for (costs, v) in costs.chunks(BLOCK).zip(v.chunks(BLOCK)) {
                    for ((z, c), v) in block.iter_mut().zip(costs).zip(v) {
                        *z = v - c / epsilon;
                    }
                    acc.add_block(&block[..costs.len()]);
                }
                acc.value()
            })
            .collect();
        // s = W e^t, signed.
        let top = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let s: Vec<SignedLog> = inverse
            .values
            .chunks_exact(l)
            .map(|w| {
                if top == f64::NEG_INFINITY {
                    return SignedLog::ZERO;
                }
                let sum: f64 = w.iter().zip(&t).map(|(w, t)| w * (t - top).exp()).sum();
                let value = SignedLog::of(sum);
                SignedLog {
                    log: value.log + top,
                    ..value
                }
            })
            .collect();
        let lines = out.len();
        out.par_iter_mut()
            .with_min_len(min_rows_per_task(l))
            .enumerate()
            .for_each(|(i, value)| {
                let mut acc = SignedLogSum::default();
                for (a, s) in s.iter().enumerate() {
                    acc.add(s.log - output[a * lines + i] / epsilon, s.sign);
                }
                extra(i, &mut acc);
                let sum = acc.value();
                *value = if sum.sign > 0.0 { sum.log } else { f64::NAN };
            });
        match out.iter().position(|v| v.is_nan()) {
            None => Ok(()),
            Some(i) => {
                let line = match direction {
                    Direction::Rows => "row",
                    Direction::Columns => "column",
                };
                Err(Error::NumericalFailure(format!(
                    "{line} {i} of the approximate kernel sums to a value that is not positive, so it \
                     has no logarithm: {advice}"
                )))
            }
        }
    }
}
