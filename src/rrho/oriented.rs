//! The dual seen from one side: a side's potentials and the other side's offsets, oriented so that
//! (a − b) is α_i − β_j (see [`Side`]), and the passes over a side that solve or evaluate its rows.

use super::engine::{KernelSums, Side};
use super::problem::RrhoProblem;
use super::row_equation::{solve_row, Bracket, RowSums};

/// The potentials (α, β) of a dual point.
#[derive(Debug, Clone, PartialEq)]
pub struct DualPoint {
    pub alpha: Vec<f64>,
    pub beta: Vec<f64>,
}

impl DualPoint {
    /// Side X: (α, β). Side Y: (−β, −α).
    pub fn oriented(&self, side: Side) -> (Vec<f64>, Vec<f64>) {
        match side {
            Side::X => (self.alpha.clone(), self.beta.clone()),
            Side::Y => (negated(&self.beta), negated(&self.alpha)),
        }
    }

    /// Stores a side's oriented potentials.
    pub fn set(&mut self, side: Side, potentials: &[f64]) {
        match side {
            Side::X => self.alpha.copy_from_slice(potentials),
            Side::Y => self
                .beta
                .iter_mut()
                .zip(potentials)
                .for_each(|(b, p)| *b = -p),
        }
    }
}

fn negated(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| -x).collect()
}

/// The weights of a side's own rows.
pub fn row_weights(problem: &RrhoProblem, side: Side) -> &[f64] {
    match side {
        Side::X => &problem.mu,
        Side::Y => &problem.nu,
    }
}

/// One side's marginal error Σ w_i |1 − η_i| and penalty Σ w_i·penalty_i.
pub fn totals(weights: &[f64], sums: impl Iterator<Item = RowSums>) -> (f64, f64) {
    weights
        .iter()
        .zip(sums)
        .fold((0.0, 0.0), |(error, penalty), (w, s)| {
            (error + w * (1.0 - s.eta).abs(), penalty + w * s.penalty)
        })
}

/// The outcome of solving every row of a side.
pub struct SolvedSide {
    pub potentials: Vec<f64>,
    /// The side's error before the pass.
    pub error_before: f64,
    /// The side's error and penalty after it.
    pub error_after: f64,
    pub penalty_after: f64,
}

/// Maximises the dual over one side's potentials, every row by its own equation.
pub fn solve_side<E: KernelSums>(
    engine: &E,
    problem: &RrhoProblem,
    side: Side,
    point: &DualPoint,
) -> SolvedSide {
    let (potentials, offsets) = point.oriented(side);
    let exponents = &problem.exponents;
    // The weights are normalised: the other side's mass is 1.
    let bracket = Bracket::of(exponents, &offsets, 1.0, problem.max_distance());
    let solved = engine.map_rows(side, &offsets, &|i, sums| {
        solve_row(exponents, potentials[i], bracket, sums)
    });
    let weights = row_weights(problem, side);
    let (error_before, _) = totals(
        weights,
        solved.iter().map(|r| RowSums {
            eta: r.eta_before,
            ..RowSums::default()
        }),
    );
    let (error_after, penalty_after) = totals(weights, solved.iter().map(|r| r.sums));
    SolvedSide {
        potentials: solved.iter().map(|r| r.potential).collect(),
        error_before,
        error_after,
        penalty_after,
    }
}

/// Every row's sums of a side at the current point.
pub fn evaluate_side<E: KernelSums>(engine: &E, side: Side, point: &DualPoint) -> Vec<RowSums> {
    let (potentials, offsets) = point.oriented(side);
    engine.map_rows(side, &offsets, &|i, sums| sums(potentials[i]))
}
