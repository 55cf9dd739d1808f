//! A stabilised inverse of the landmark kernel matrix Â (symmetric positive semi-definite, unit
//! diagonal). Â is often numerically singular: nearby landmarks give nearly equal rows, and at small ε
//! Â tends to the identity only for well-separated landmarks. Both methods bound the inverse's norm.

use faer::linalg::matmul::matmul;
use faer::linalg::solvers::DenseSolveCore;
use faer::{Accum, Mat, MatRef, Par, Side};

use crate::error::{Error, Result};

/// How Â⁻¹ is stabilised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StabilisedInverse {
    /// The pseudo-inverse over the eigenvalues above `cutoff` times the largest (faer's symmetric
    /// eigendecomposition).
    Eigen { cutoff: f64 },
    /// (Â + δI)⁻¹ by Cholesky, with δ = `jitter`, multiplied by 10 until the factorisation succeeds.
    Cholesky { jitter: f64 },
}

impl Default for StabilisedInverse {
    /// The eigenvalue cutoff at 1e-8: the most accurate setting measured (BENCHMARKS.md, "Nyström
    /// inverse"). Smaller tolerances keep eigenvalues whose inverses amplify rounding more than the
    /// extra rank helps.
    fn default() -> Self {
        StabilisedInverse::Eigen { cutoff: 1e-8 }
    }
}

impl StabilisedInverse {
    pub fn validate(&self) -> Result<()> {
        let (arg, value) = match *self {
            StabilisedInverse::Eigen { cutoff } => ("cutoff", cutoff),
            StabilisedInverse::Cholesky { jitter } => ("jitter", jitter),
        };
        if value.is_finite() && value > 0.0 && value < 1.0 {
            Ok(())
        } else {
            Err(Error::invalid(
                arg,
                format!("{value} is not in (0, 1), relative to Â's unit diagonal"),
            ))
        }
    }

    /// The stabilised inverse of the l×l symmetric `a` (row-major), row-major.
    pub(crate) fn invert(&self, a: &[f64], l: usize) -> Result<Vec<f64>> {
        let a = MatRef::from_row_major_slice(a, l, l);
        let inverse = match *self {
            StabilisedInverse::Eigen { cutoff } => {
                let eigen = a
                    .self_adjoint_eigen(Side::Lower)
                    .map_err(|_| failure("its eigendecomposition did not converge"))?;
                let (vectors, values) = (eigen.U(), eigen.S().column_vector());
                let largest = values.iter().copied().fold(0.0f64, f64::max);
                let kept: Vec<usize> = (0..l).filter(|&k| values[k] > cutoff * largest).collect();
                let basis = Mat::from_fn(l, kept.len(), |r, c| vectors[(r, kept[c])]);
                let scaled = Mat::from_fn(l, kept.len(), |r, c| basis[(r, c)] / values[kept[c]]);
                let mut inverse = Mat::<f64>::zeros(l, l);
                matmul(
                    inverse.as_mut(),
                    Accum::Replace,
                    scaled.as_ref(),
                    basis.transpose(),
                    1.0,
                    Par::Seq,
                );
                inverse
            }
            StabilisedInverse::Cholesky { jitter } => {
                let mut delta = jitter;
                loop {
                    let shifted =
                        Mat::from_fn(l, l, |r, c| a[(r, c)] + if r == c { delta } else { 0.0 });
                    if let Ok(factor) = shifted.llt(Side::Lower) {
                        break factor.inverse();
                    }
                    delta *= 10.0;
                    if delta > 1.0 {
                        return Err(failure("it is not positive definite even with jitter 1"));
                    }
                }
            }
        };
        let mut out = Vec::with_capacity(l * l);
        for r in 0..l {
            out.extend((0..l).map(|c| inverse[(r, c)]));
        }
        if out.iter().all(|v| v.is_finite()) {
            Ok(out)
        } else {
            Err(failure("its inverse is not finite"))
        }
    }
}

fn failure(why: &str) -> Error {
    Error::NumericalFailure(format!(
        "the Nyström landmark matrix cannot be inverted: {why}; use fewer landmarks or a larger epsilon"
    ))
}
