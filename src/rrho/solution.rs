//! The solution of an R_ρ solve: potentials, value, certificate, and the implicit plan
//! γ_ij = s C_s μ_i ν_j (α_i − β_j)_+^{s−1} / d_ij^s, queried by the exact engine without n×m memory.

use std::borrow::Cow;
use std::sync::Arc;

use super::dual::{Assessment, Certificate};
use super::engine::exact::ExactSums;
use super::engine::Side;
use super::oriented::{row_weights, DualPoint};
use super::problem::RrhoProblem;
use crate::coupling::{Coupling, Product};
use crate::error::{ensure_finite_entries, Error, Result};
use crate::geometry::Layout;
use crate::numeric::largest::largest_k;
use crate::threads;

/// A solved R_ρ problem: the dual potentials (α, β), the value and its certificate, and the implicit
/// plan, queried through [`Coupling`].
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

    /// The problem solved.
    pub fn problem(&self) -> &RrhoProblem {
        &self.problem
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

    /// Passes made.
    pub fn passes(&self) -> usize {
        self.passes
    }

    /// Whether both marginal errors fell below the tolerance before the pass limit.
    pub fn converged(&self) -> bool {
        self.converged
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
}

impl Coupling for RrhoSolution {
    const ROWS: &'static str = "the problem's x points";
    const COLUMNS: &'static str = "the problem's y points";

    fn shape(&self) -> (usize, usize) {
        self.problem.shape()
    }

    /// (α, β).
    fn potentials(&self) -> (&[f64], &[f64]) {
        (&self.point.alpha, &self.point.beta)
    }

    /// γ1 and γᵀ1, equal to μ and ν at the optimum: two exact passes on each call.
    fn marginals(&self) -> (Cow<'_, [f64]>, Cow<'_, [f64]>) {
        let sum = |_: usize, row: &[f64]| row.iter().sum::<f64>();
        (
            Cow::Owned(self.map_plan_rows(Side::X, &sum)),
            Cow::Owned(self.map_plan_rows(Side::Y, &sum)),
        )
    }

    /// One exact pass.
    fn product(&self, product: Product, v: &[f64], out: &mut [f64]) -> Result<()> {
        let (side, what) = match product {
            Product::Plan => (Side::X, "γ v"),
            Product::Transpose => (Side::Y, "γᵀ u"),
        };
        let rows = self.map_plan_rows(side, &|_, row| {
            row.iter().zip(v).map(|(g, v)| g * v).sum::<f64>()
        });
        out.copy_from_slice(&rows);
        ensure_finite_entries(what, out, "rescale the vector")
    }

    /// Largest first, ties to the lower column.
    fn largest_entries(
        &self,
        k: usize,
        rows: &mut [usize],
        cols: &mut [usize],
        values: &mut [f64],
    ) -> Result<()> {
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

    /// One exact pass, which holds the rows it computes (n·m values) until it has written them all.
    fn dense(&self, out: &mut [f64], layout: Layout) -> Result<()> {
        let (n, m) = self.shape();
        let (rs, cs) = layout.strides(n, m);
        let plan = self.map_plan_rows(Side::X, &|_, row| row.to_vec());
        for (i, row) in plan.iter().enumerate() {
            for (j, &p) in row.iter().enumerate() {
                out[i * rs + j * cs] = p;
            }
        }
        ensure_finite_entries("the plan", out, "rescale the points or the weights")
    }
}
