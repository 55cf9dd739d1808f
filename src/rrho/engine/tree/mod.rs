//! The tree engine: sub-quadratic row sums with a caller-set accuracy τ.
//!
//! Each cloud is held in a ball tree. Before the solve, every row plans what it interacts with
//! ([`interactions`]): far nodes, whose kernel is within τ of one value over their ball, and near strata,
//! covered whole or, when they hold more than ⌈1/τ²⌉ points, by stratified importance sampling. The
//! draws of both sides are pooled into one weighted set of near pairs ([`near_pairs`]) so that the α and
//! β passes sum the same plan entries. Before each pass every node summarises the offsets b_j of its
//! points ([`moments`]). A row's sums at a are then its far nodes' moment sums times their kernels plus
//! its near pairs' exact terms: a Newton step costs the length of the row's lists, not a walk of a tree.
//!
//! Far terms are certified within a relative τ. Near terms are exact when kept whole; drawn, their sums
//! are unbiased with a relative standard error of about τ times the spread of the terms. In low
//! dimension most of a row is far; in high dimension, where no ball is narrow next to its distance, the
//! draws carry the row, and its cost depends on τ, not on the size of the other cloud. Moment sums need
//! an integer p = 1/(ρ − 1), that is ρ = 1 + 1/k.

mod ball_tree;
mod interactions;
mod moments;
mod near_pairs;

use rayon::prelude::*;

use self::ball_tree::BallTree;
use self::interactions::{ColumnSide, RowPlan, Walk};
use self::moments::OffsetMoments;
use self::near_pairs::{Drawing, NearLines, NearPairs};
use super::{KernelSums, RowEvaluator, Side};
use crate::error::{Error, Result};
use crate::geometry::Points;
use crate::rrho::problem::RrhoProblem;
use crate::rrho::row_equation::exact_row_sums;

pub struct TreeSums<'a> {
    problem: &'a RrhoProblem,
    p: usize,
    trees: [BallTree; 2],
    /// Every row's far nodes and near strata, for the rows of x and of y.
    plans: [Vec<RowPlan>; 2],
    near: NearPairs,
}

impl<'a> TreeSums<'a> {
    /// Builds both trees, every row's plan and the near pairs. `accuracy` is τ > 0.
    pub fn new(problem: &'a RrhoProblem, accuracy: f64) -> Result<Self> {
        let p = problem.exponents.integer_p().ok_or_else(|| {
            Error::Unsupported(format!(
                "the tree engine needs rho = 1 + 1/k for an integer k (2, 1.5, 1.25, 1.1, ...); rho = {} \
                 needs the exact engine",
                problem.exponents.rho
            ))
        })? as usize;
        let (n, m) = problem.shape();
        if n.max(m) > u32::MAX as usize {
            return Err(Error::Unsupported(format!(
                "the tree engine indexes points with 32 bits; {n} x {m} points need the exact engine"
            )));
        }
        let (x_tree, y_tree) =
            rayon::join(|| BallTree::new(&problem.x), || BallTree::new(&problem.y));
        let walk = Walk {
            s: problem.exponents.s,
            floor_sq: problem.floor_sq,
            accuracy,
        };
        let plan = |rows: &Points, columns: &ColumnSide| -> Vec<RowPlan> {
            (0..rows.len())
                .into_par_iter()
                .map(|i| walk.row(rows.point(i), columns))
                .collect()
        };
        let y_columns = ColumnSide::new(&problem.y, &y_tree, &problem.nu);
        let x_columns = ColumnSide::new(&problem.x, &x_tree, &problem.mu);
        let x_plans = plan(&problem.x, &y_columns);
        let y_plans = plan(&problem.y, &x_columns);
        let near = NearPairs::draw(
            &Drawing {
                side: Side::X,
                plans: &x_plans,
                columns: y_columns,
            },
            &Drawing {
                side: Side::Y,
                plans: &y_plans,
                columns: x_columns,
            },
            problem.floor_sq,
        );
        Ok(TreeSums {
            problem,
            p,
            trees: [x_tree, y_tree],
            plans: [x_plans, y_plans],
            near,
        })
    }

    /// The column tree, the column weights, and the rows' plans and near lines of a side.
    fn side(&self, side: Side) -> (&BallTree, &[f64], &[RowPlan], &NearLines) {
        let p = self.problem;
        match side {
            Side::X => (&self.trees[1], &p.nu, &self.plans[0], &self.near.x_lines),
            Side::Y => (&self.trees[0], &p.mu, &self.plans[1], &self.near.y_lines),
        }
    }
}

impl KernelSums for TreeSums<'_> {
    fn map_rows<T: Send>(
        &self,
        side: Side,
        offsets: &[f64],
        visit: &(dyn Fn(usize, &mut RowEvaluator<'_>) -> T + Sync),
    ) -> Vec<T> {
        let (tree, weights, plans, lines) = self.side(side);
        let summary = OffsetMoments::new(self.p, tree, weights, offsets);
        let exponents = &self.problem.exponents;
        plans
            .par_iter()
            .enumerate()
            .map(|(i, plan)| {
                let near = lines.line(i);
                let near_offsets: Vec<f64> = near.partners.iter().map(|&j| offsets[j]).collect();
                visit(i, &mut |a| {
                    let mut sums = exact_row_sums(
                        exponents,
                        near.weights,
                        near.inverse_distances,
                        &near_offsets,
                        a,
                    );
                    for &(node, kernel) in &plan.far {
                        let [below, at, above] =
                            summary.power_sums(tree, node, a, weights, offsets);
                        sums.eta += exponents.plan_factor * kernel * at;
                        sums.slope += exponents.plan_factor * exponents.p * kernel * below;
                        sums.penalty += kernel * above;
                    }
                    sums
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
