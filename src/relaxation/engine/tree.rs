//! The tree engine: sub-quadratic row sums with a caller-set accuracy τ.
//!
//! Each cloud is held in a ball tree (splits along the line between two far points, at the median).
//! Before a pass, every node of the column tree summarises its points' offsets b_j: their range and the
//! moments M_l = Σ_j w_j (b_max − b_j)^l, l ≤ p + 1. A row's sums at a are then a traversal:
//!
//! - a node with a ≤ b_min contributes exactly nothing (the (a − b)_+ pruning of the paper's α-sorted
//!   trees, and what makes the sums cheap as ρ → 1, where plans are sparse);
//! - a node with a ≥ b_max has Σ_j w_j (a − b_j)^k = Σ_l C(k,l) (a − b_max)^{k−l} M_l, a sum of positive
//!   terms (no cancellation), and its distances lie in [d_lo, d_hi] from the ball's bounds; replacing
//!   every d^{−s} by that of √(d_lo·d_hi) errs by at most the node's estimate times (d_hi/d_lo)^{s/2} − 1.
//!   The node is accepted when that bound is at most τ times its share of the weight;
//! - anything else is opened, down to leaves summed exactly.
//!
//! So every η the engine returns is within τ of the exact one (for η near the target 1, a relative
//! error τ); the other sums carry errors of the same relative size per node. Moments need an integer
//! p = 1/(ρ − 1), that is ρ = 1 + 1/k.

use rayon::prelude::*;

use super::{KernelSums, RowEvaluator, Side};
use crate::error::{Error, Result};
use crate::geometry::{dot, Cost, Points};
use crate::relaxation::problem::RrhoProblem;
use crate::relaxation::row_equation::RowSums;

/// Points per leaf.
const LEAF: usize = 32;

struct Node {
    start: usize,
    end: usize,
    radius: f64,
    children: Option<(usize, usize)>,
}

/// A ball tree over one cloud: nodes in pre-order (children after their parent), their centres, and the
/// point order in which every node is a contiguous range.
struct BallTree {
    nodes: Vec<Node>,
    centres: Vec<f64>,
    order: Vec<usize>,
}

impl BallTree {
    fn new(points: &Points) -> Self {
        let d = points.dim();
        let mut tree = BallTree {
            nodes: Vec::new(),
            centres: Vec::new(),
            order: (0..points.len()).collect(),
        };
        let mut pending = vec![(0, points.len(), None::<(usize, bool)>)];
        while let Some((start, end, parent)) = pending.pop() {
            let index = tree.nodes.len();
            if let Some((parent, right)) = parent {
                let children = tree.nodes[parent].children.get_or_insert((0, 0));
                if right {
                    children.1 = index;
                } else {
                    children.0 = index;
                }
            }
            let members = &mut tree.order[start..end];
            let mut centre = vec![0.0; d];
            for &i in members.iter() {
                centre
                    .iter_mut()
                    .zip(points.point(i))
                    .for_each(|(c, v)| *c += v);
            }
            centre.iter_mut().for_each(|c| *c /= members.len() as f64);
            let distance = |i: usize, to: &[f64]| Cost::Euclidean.eval(points.point(i), to);
            let radius = members
                .iter()
                .map(|&i| distance(i, &centre))
                .fold(0.0, f64::max);
            tree.nodes.push(Node {
                start,
                end,
                radius,
                children: None,
            });
            tree.centres.extend_from_slice(&centre);
            if end - start <= LEAF || radius == 0.0 {
                continue;
            }
            let farthest = |from: &[f64]| {
                *members
                    .iter()
                    .max_by(|&&i, &&j| distance(i, from).total_cmp(&distance(j, from)))
                    .expect("a node has points")
            };
            let a = farthest(&centre);
            let b = farthest(points.point(a));
            let direction: Vec<f64> = points
                .point(b)
                .iter()
                .zip(points.point(a))
                .map(|(u, v)| u - v)
                .collect();
            let half = members.len() / 2;
            members.select_nth_unstable_by(half, |&i, &j| {
                dot(points.point(i), &direction).total_cmp(&dot(points.point(j), &direction))
            });
            // Pushed right first, so the left child is built next, right after its parent.
            pending.push((start + half, end, Some((index, true))));
            pending.push((start, start + half, Some((index, false))));
        }
        tree
    }

    fn centre(&self, node: usize, d: usize) -> &[f64] {
        &self.centres[node * d..(node + 1) * d]
    }
}

/// The offsets' range and moments per node, for one pass.
struct Summary {
    low: Vec<f64>,
    high: Vec<f64>,
    /// (p + 2) moments per node, about the node's `high`.
    moments: Vec<f64>,
}

pub struct TreeSums<'a> {
    problem: &'a RrhoProblem,
    accuracy: f64,
    trees: [BallTree; 2],
    p: usize,
    /// C(k, l) for k ≤ p + 1.
    binomials: Vec<Vec<f64>>,
}

impl<'a> TreeSums<'a> {
    /// Builds both trees. `accuracy` is τ > 0.
    pub fn new(problem: &'a RrhoProblem, accuracy: f64) -> Result<Self> {
        let p = problem.exponents.integer_p().ok_or_else(|| {
            Error::Unsupported(format!(
                "the tree engine needs rho = 1 + 1/k for an integer k (2, 1.5, 1.25, 1.1, ...); rho = {} \
                 needs the exact engine",
                problem.exponents.rho
            ))
        })? as usize;
        let (x_tree, y_tree) =
            rayon::join(|| BallTree::new(&problem.x), || BallTree::new(&problem.y));
        let mut binomials = vec![vec![1.0]];
        for k in 1..=p + 1 {
            let previous: &Vec<f64> = &binomials[k - 1];
            let row = (0..=k)
                .map(|l| {
                    let left = if l > 0 { previous[l - 1] } else { 0.0 };
                    left + previous.get(l).copied().unwrap_or(0.0)
                })
                .collect();
            binomials.push(row);
        }
        Ok(TreeSums {
            problem,
            accuracy,
            trees: [x_tree, y_tree],
            p,
            binomials,
        })
    }

    fn columns(&self, side: Side) -> (&Points, &BallTree, &[f64]) {
        let p = self.problem;
        match side {
            Side::X => (&p.y, &self.trees[1], &p.nu),
            Side::Y => (&p.x, &self.trees[0], &p.mu),
        }
    }

    fn summarise(&self, tree: &BallTree, weights: &[f64], offsets: &[f64]) -> Summary {
        let count = tree.nodes.len();
        let width = self.p + 2;
        let mut summary = Summary {
            low: vec![f64::INFINITY; count],
            high: vec![f64::NEG_INFINITY; count],
            moments: vec![0.0; count * width],
        };
        // Children come after their parent, so a reverse sweep sees them first.
        for index in (0..count).rev() {
            let node = &tree.nodes[index];
            let mut moments = vec![0.0; width];
            match node.children {
                None => {
                    let members = &tree.order[node.start..node.end];
                    let (low, high) = members
                        .iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &j| {
                            (l.min(offsets[j]), h.max(offsets[j]))
                        });
                    for &j in members {
                        let gap = high - offsets[j];
                        let mut power = weights[j];
                        for moment in moments.iter_mut() {
                            *moment += power;
                            power *= gap;
                        }
                    }
                    summary.low[index] = low;
                    summary.high[index] = high;
                }
                Some((left, right)) => {
                    let high = summary.high[left].max(summary.high[right]);
                    for child in [left, right] {
                        let shift = high - summary.high[child];
                        let child_moments = &summary.moments[child * width..(child + 1) * width];
                        for (l, moment) in moments.iter_mut().enumerate() {
                            let mut power = 1.0;
                            let mut sum = 0.0;
                            for k in (0..=l).rev() {
                                sum += self.binomials[l][k] * power * child_moments[k];
                                power *= shift;
                            }
                            *moment += sum;
                        }
                    }
                    summary.low[index] = summary.low[left].min(summary.low[right]);
                    summary.high[index] = high;
                }
            }
            summary.moments[index * width..(index + 1) * width].copy_from_slice(&moments);
        }
        summary
    }

    /// Σ_j w_j (A + δ_j)^k from the moments of δ.
    fn shifted_power_sum(&self, k: usize, shift: f64, moments: &[f64]) -> f64 {
        let mut power = 1.0;
        let mut sum = 0.0;
        for l in (0..=k).rev() {
            sum += self.binomials[k][l] * power * moments[l];
            power *= shift;
        }
        sum
    }

    fn row_sums(
        &self,
        side: Side,
        summary: &Summary,
        offsets: &[f64],
        point: &[f64],
        a: f64,
    ) -> RowSums {
        let (columns, tree, weights) = self.columns(side);
        let exponents = &self.problem.exponents;
        let (p, d, floor_sq) = (self.p, columns.dim(), self.problem.floor_sq);
        let width = p + 2;
        let half_s = 0.5 * exponents.s;
        let (mut eta, mut slope, mut penalty) = (0.0, 0.0, 0.0);
        let (mut leaf_eta, mut leaf_slope) = (0.0, 0.0);
        let mut pending = vec![0usize];
        while let Some(index) = pending.pop() {
            if a <= summary.low[index] {
                continue;
            }
            let node = &tree.nodes[index];
            if a >= summary.high[index] {
                let centre_distance = Cost::Euclidean.eval(point, tree.centre(index, d));
                let near = (centre_distance - node.radius).max(0.0).powi(2) + floor_sq;
                let far = (centre_distance + node.radius).powi(2) + floor_sq;
                if near > 0.0 {
                    // (d_lo d_hi)^{−s/2} from the squared bounds.
                    let kernel = (near * far).powf(-0.5 * half_s);
                    let moments = &summary.moments[index * width..(index + 1) * width];
                    let shift = a - summary.high[index];
                    let eta_node =
                        exponents.plan_factor * kernel * self.shifted_power_sum(p, shift, moments);
                    let bound = eta_node * ((far / near).powf(0.5 * half_s) - 1.0);
                    if bound <= self.accuracy * moments[0] {
                        eta += eta_node;
                        slope += exponents.plan_factor
                            * exponents.p
                            * kernel
                            * self.shifted_power_sum(p - 1, shift, moments);
                        penalty += kernel * self.shifted_power_sum(p + 1, shift, moments);
                        continue;
                    }
                }
            }
            match node.children {
                Some((left, right)) => pending.extend([left, right]),
                None => {
                    for &j in &tree.order[node.start..node.end] {
                        let t = a - offsets[j];
                        if t > 0.0 {
                            let sq = Cost::SqEuclidean.eval(point, columns.point(j)) + floor_sq;
                            let inverse = 1.0 / sq.sqrt();
                            let q = t * inverse;
                            let wu = weights[j] * exponents.pow_p_minus_1(q);
                            leaf_slope += wu * inverse * inverse;
                            leaf_eta += wu * q * inverse;
                            penalty += wu * q * q;
                        }
                    }
                }
            }
        }
        let (eta, slope) = (
            eta + exponents.plan_factor * leaf_eta,
            slope + exponents.plan_factor * exponents.p * leaf_slope,
        );
        RowSums {
            eta,
            slope,
            penalty,
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
        let (_, tree, weights) = self.columns(side);
        let summary = self.summarise(tree, weights, offsets);
        let rows = match side {
            Side::X => &self.problem.x,
            Side::Y => &self.problem.y,
        };
        (0..rows.len())
            .into_par_iter()
            .map(|i| {
                visit(i, &mut |a| {
                    self.row_sums(side, &summary, offsets, rows.point(i), a)
                })
            })
            .collect()
    }
}
