//! The dual at a point, and what it certifies.
//!
//! g(α, β) = Σ μ_i α_i − Σ ν_j β_j − C_s·S, with S = Σ_ij μ_i ν_j ((α_i − β_j)_+ / d_ij)^s, is a lower bound
//! of R_ρ^ρ at every (α, β): the dual is unconstrained. The implicit plan γ_ij = s C_s μ_i ν_j
//! (α_i − β_j)_+^{s−1} / d_ij^s has primal value F(γ) = (s C_s)^ρ S, but is feasible only at the optimum.
//! Scaling its rows and columns down to the marginals and adding δ eᵀ/Δ for the missing mass gives a
//! feasible plan (Altschuler, Weed, Rigollet 2017) whose value, by Minkowski's inequality for the
//! weighted ρ-norm, is at most
//!
//!   F(γ)^{1/ρ} + D · (Δ / w_min^{ρ−1})^{1/ρ},   Δ ≤ Σ μ_i|1 − η_i| + Σ ν_j|ξ_j − 1|,
//!
//! where D bounds every distance and w_min is the larger of the smallest μ_i and smallest ν_j (each added
//! entry δ_i e_j/Δ is at most μ_i and at most ν_j). Together: R_ρ ∈ [g^{1/ρ}, that bound].

use super::problem::RrhoProblem;

/// The state of the last assessed point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    /// Σ μ_i |1 − η_i|.
    pub alpha_error: f64,
    /// Σ ν_j |ξ_j − 1|.
    pub beta_error: f64,
    /// S = Σ_ij μ_i ν_j ((α_i − β_j)_+ / d_ij)^s.
    pub penalty_sum: f64,
}

/// R_ρ's value at a dual point and the interval it certifies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Certificate {
    /// g(α, β), a lower bound of R_ρ^ρ.
    pub dual_value: f64,
    /// max(g, 0)^{1/ρ}: the paper's value estimate and a lower bound of R_ρ.
    pub lower: f64,
    /// The rounded plan's value: an upper bound of R_ρ.
    pub upper: f64,
}

impl Certificate {
    /// The bounds at (α, β), with the marginal errors `assessment` measured there.
    pub fn new(
        problem: &RrhoProblem,
        alpha: &[f64],
        beta: &[f64],
        assessment: &Assessment,
    ) -> Self {
        let e = &problem.exponents;
        let weighted = |w: &[f64], v: &[f64]| w.iter().zip(v).map(|(w, v)| w * v).sum::<f64>();
        let dual_value = weighted(&problem.mu, alpha)
            - weighted(&problem.nu, beta)
            - e.penalty_factor * assessment.penalty_sum;
        let lower = dual_value.max(0.0).powf(1.0 / e.rho);
        let missing = assessment.alpha_error + assessment.beta_error;
        let repair = problem.max_distance()
            * (missing / problem.smallest_weight().powf(e.rho - 1.0)).powf(1.0 / e.rho);
        let upper = e.plan_factor * assessment.penalty_sum.powf(1.0 / e.rho) + repair;
        Certificate {
            dual_value,
            lower,
            upper,
        }
    }
}
