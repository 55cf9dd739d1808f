//! The solution of an R_ρ solve: potentials, value, certificate, and the implicit plan
//! γ_ij = s C_s μ_i ν_j (α_i − β_j)_+^{s−1} / d_ij^s, queried by the exact engine without n×m memory.

use std::sync::Arc;

use super::dual::{Assessment, Certificate};
use super::engine::exact::ExactSums;
use super::engine::Side;
use super::oriented::{row_weights, DualPoint};
use super::problem::RrhoProblem;
use crate::error::{checked_product, ensure_finite_entries, Error, Result};
use crate::numeric::largest::largest_k;
use crate::threads;

#[derive(Debug, Clone)]
pub struct RrhoSolution {
    problem: Arc<RrhoProblem>,
    point: DualPoint,
    assessment: Assessment,
    certificate: Certificate,
    passes: usize,
    converged: bool,
}

impl RrhoSolution {
    pub(crate) fn new(
        problem: Arc<RrhoProblem>,
        point: DualPoint,
        assessment: Assessment,
        passes: usize,
        converged: bool,
    ) -> Self {
        let certificate = Certificate::new(&problem, &point.alpha, &point.beta, &assessment);
        RrhoSolution {
            problem,
            point,
            assessment,
            certificate,
            passes,
            converged,
        }
    }

    /// Refuses a solution whose value, bounds or potentials overflow (coordinates, weights or a floor
    /// near the largest double), so that no solution a solve returns reports a non-finite value.
    pub(crate) fn ensure_finite(&self) -> Result<()> {
        let c = &self.certificate;
        let summaries = [
            ("value", self.value()),
            ("dual value", c.dual_value),
            ("lower bound", c.lower),
            ("upper bound", c.upper),
        ];
        if let Some((what, value)) = summaries.iter().find(|(_, value)| !value.is_finite()) {
            return Err(Error::NumericalFailure(format!(
                "the R_rho solution's {what} is {value}: rescale the points or the weights, or \
                 lower the floor"
            )));
        }
        let (alpha, beta) = self.potentials();
        ensure_finite_entries("the potentials", alpha, "rescale the points")?;
        ensure_finite_entries("the potentials", beta, "rescale the points")
    }

    pub fn problem(&self) -> &RrhoProblem {
        &self.problem
    }

    /// (n, m).
    pub fn shape(&self) -> (usize, usize) {
        self.problem.shape()
    }

    /// R_ρ as the paper estimates it, (Σ μα − Σ νβ − penalty)^{1/ρ}; a lower bound.
    pub fn value(&self) -> f64 {
        self.certificate.lower
    }

    /// The dual's value g(α, β) (R_ρ^ρ's lower bound), and the interval [lower, upper] that holds R_ρ.
    pub fn certificate(&self) -> Certificate {
        self.certificate
    }

    /// (Σ μ_i|1 − η_i|, Σ ν_j|ξ_j − 1|) at the returned potentials.
    pub fn marginal_errors(&self) -> (f64, f64) {
        (self.assessment.alpha_error, self.assessment.beta_error)
    }

    pub fn passes(&self) -> usize {
        self.passes
    }

    pub fn converged(&self) -> bool {
        self.converged
    }

    /// (α, β).
    pub fn potentials(&self) -> (&[f64], &[f64]) {
        (&self.point.alpha, &self.point.beta)
    }

    /// Calls `visit(i, γ_i·)` with every row of the plan (side X) or of its transpose (side Y).
    fn map_plan_rows<T: Send>(
        &self,
        side: Side,
        visit: &(dyn Fn(usize, &[f64]) -> T + Sync),
    ) -> Vec<T> {
        let problem = &*self.problem;
        let exponents = &problem.exponents;
        let engine = ExactSums::new(problem);
        let column_weights = engine.column_weights(side);
        let row_weights = row_weights(problem, side);
        let (potentials, offsets) = self.point.oriented(side);
        threads::run(|| {
            engine.map_distance_rows(side, &|i, inverse| {
                let scale = exponents.plan_factor * row_weights[i];
                let row: Vec<f64> = inverse
                    .iter()
                    .zip(&offsets)
                    .zip(column_weights)
                    .map(|((&inverse, &b), &w)| {
                        let t = potentials[i] - b;
                        if t > 0.0 {
                            let q = t * inverse;
                            scale * w * exponents.pow_p_minus_1(q) * q * inverse
                        } else {
                            0.0
                        }
                    })
                    .collect();
                visit(i, &row)
            })
        })
    }

    /// γ1 (length n) and γᵀ1 (length m); equal to μ and ν at the optimum.
    pub fn marginals(&self) -> (Vec<f64>, Vec<f64>) {
        let sum = |_: usize, row: &[f64]| row.iter().sum::<f64>();
        (
            self.map_plan_rows(Side::X, &sum),
            self.map_plan_rows(Side::Y, &sum),
        )
    }

    /// out = γ v (v of length m, out of length n).
    pub fn apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        self.product(Side::X, "v", v, out)
    }

    /// out = γᵀ u (u of length n, out of length m).
    pub fn apply_transpose(&self, u: &[f64], out: &mut [f64]) -> Result<()> {
        self.product(Side::Y, "u", u, out)
    }

    fn product(&self, side: Side, arg: &'static str, v: &[f64], out: &mut [f64]) -> Result<()> {
        let (n, m) = match side {
            Side::X => self.shape(),
            Side::Y => (self.shape().1, self.shape().0),
        };
        crate::error::ensure_len(arg, v, m)?;
        crate::error::ensure_len("out", out, n)?;
        crate::geometry::ensure_finite(arg, v)?;
        let rows = self.map_plan_rows(side, &|_, row| {
            row.iter().zip(v).map(|(g, v)| g * v).sum::<f64>()
        });
        out.copy_from_slice(&rows);
        ensure_finite_entries(
            match side {
                Side::X => "γ v",
                Side::Y => "γᵀ u",
            },
            out,
            "rescale the vector",
        )
    }

    /// The `k` largest entries of every row, largest first (ties to the lower column): entry i·k + r is
    /// (rows, cols, values)[i·k + r].
    pub fn top_k(
        &self,
        k: usize,
        rows: &mut [usize],
        cols: &mut [usize],
        values: &mut [f64],
    ) -> Result<()> {
        let (n, m) = self.shape();
        if k == 0 || k > m {
            return Err(Error::invalid(
                "k",
                format!("{k} must lie between 1 and the number of columns, {m}"),
            ));
        }
        let len = checked_product("n x k", n, k)?;
        crate::error::ensure_len("rows", rows, len)?;
        crate::error::ensure_len("cols", cols, len)?;
        crate::error::ensure_len("values", values, len)?;
        let best = self.map_plan_rows(Side::X, &|_, row| {
            let mut order = vec![0; row.len()];
            largest_k(row, k, &mut order);
            order[..k].iter().map(|&j| (j, row[j])).collect::<Vec<_>>()
        });
        for (i, entries) in best.into_iter().enumerate() {
            for (r, (j, value)) in entries.into_iter().enumerate() {
                rows[i * k + r] = i;
                cols[i * k + r] = j;
                values[i * k + r] = value;
            }
        }
        Ok(())
    }
}
