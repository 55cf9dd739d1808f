//! A stabilised inverse of the landmark kernel matrix Â (symmetric positive semi-definite, unit
//! diagonal). Â is often numerically singular: nearby landmarks give nearly equal rows, and at small ε
//! Â tends to the identity only for well-separated landmarks. Both methods bound the inverse's norm.

use faer::{Mat, MatRef, Par, Side};

use crate::error::{Error, Result};

/// How Â⁻¹ is stabilised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StabilisedInverse {
    /// The pseudo-inverse over the eigenvalues above `cutoff` times the largest (faer's symmetric
    /// eigendecomposition).
    Eigen {
        /// In (0, 1).
        cutoff: f64,
    },
    /// (Â + δI)⁻¹ by Cholesky, with δ = `jitter`, multiplied by 10 until the factorisation succeeds.
    Cholesky {
        /// In (0, 1).
        jitter: f64,
    },
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
    /// Checks that the tolerance lies in (0, 1).
    pub fn validate(&self) -> Result<()> {
        let (what, value) = match *self {
            StabilisedInverse::Eigen { cutoff } => ("eigenvalue cutoff", cutoff),
            StabilisedInverse::Cholesky { jitter } => ("Cholesky jitter", jitter),
        };
        if value.is_finite() && value > 0.0 && value < 1.0 {
            Ok(())
        } else {
            // The C API and the bindings call either one the inverse's tolerance.
            Err(Error::invalid(
                "tolerance",
                format!("the {what} {value} is not in (0, 1), relative to Â's unit diagonal"),
            ))
        }
    }

    /// A half of the stabilised inverse of the l×l symmetric `a` (row-major): S, l×k row-major, with
    /// S Sᵀ the inverse. Products through S keep every intermediate bounded (the factor rows Û S have
    /// norm at most 1), where products through the inverse itself, whose norm reaches 1/cutoff, lose
    /// that many digits.
    pub(crate) fn half_inverse(&self, a: &[f64], l: usize) -> Result<(Vec<f64>, usize)> {
        let a = MatRef::from_row_major_slice(a, l, l);
        let half = match *self {
            StabilisedInverse::Eigen { cutoff } => {
                let eigen = a
                    .self_adjoint_eigen(Side::Lower)
                    .map_err(|_| failure("its eigendecomposition did not converge"))?;
                let (vectors, values) = (eigen.U(), eigen.S().column_vector());
                let largest = values.iter().copied().fold(0.0f64, f64::max);
                let kept: Vec<usize> = (0..l).filter(|&k| values[k] > cutoff * largest).collect();
                Mat::from_fn(l, kept.len(), |r, c| {
                    vectors[(r, kept[c])] / values[kept[c]].sqrt()
                })
            }
            StabilisedInverse::Cholesky { jitter } => {
                let mut delta = jitter;
                loop {
                    let shifted =
                        Mat::from_fn(l, l, |r, c| a[(r, c)] + if r == c { delta } else { 0.0 });
                    if let Ok(factor) = shifted.llt(Side::Lower) {
                        // (Â + δI)⁻¹ = L⁻ᵀ L⁻¹, so S = L⁻ᵀ.
                        let mut inverse = Mat::<f64>::identity(l, l);
                        faer::linalg::triangular_solve::solve_lower_triangular_in_place(
                            factor.L(),
                            inverse.as_mut(),
                            Par::Seq,
                        );
                        break inverse.transpose().to_owned();
                    }
                    delta *= 10.0;
                    if delta > 1.0 {
                        return Err(failure("it is not positive definite even with jitter 1"));
                    }
                }
            }
        };
        let k = half.ncols();
        let mut out = Vec::with_capacity(l * k);
        for r in 0..l {
            out.extend((0..k).map(|c| half[(r, c)]));
        }
        if out.iter().all(|v| v.is_finite()) {
            Ok((out, k))
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
