//! The R_ρ relaxation of optimal transport (Charikar, Chen, Ré, Waingarten, COLT 2023):
//!
//!   R_ρ(μ, ν)^ρ = min_{γ ∈ Π(μ, ν)} Σ_ij (μ_i ν_j)^{1−ρ} γ_ij^ρ ‖x_i − y_j‖^ρ,   1 < ρ ≤ 2,
//!
//! a metric with EMD ≤ R_ρ ≤ max_ij (μ_i ν_j)^{−(ρ−1)/ρ}·EMD that tends to EMD as ρ → 1. It is solved on
//! its dual by exact block maximisation (each potential solves a monotone one-dimensional equation), with
//! the row sums from an exact or a tree (KDE) engine.

mod anderson;
mod dual;
mod engine;
mod exponents;
mod options;
mod oriented;
mod problem;
mod row_equation;
mod solution;
mod solver;

pub use dual::Certificate;
pub use options::{Engine, Method, RrhoOptions, RrhoProgress};
pub use problem::{Preprocessing, RrhoProblem};
pub use solution::RrhoSolution;
pub use solver::{solve, solve_with_progress};
