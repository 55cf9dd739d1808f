//! What one row interacts with, fixed for a whole solve because it depends on the geometry alone: far
//! nodes, each with one kernel value for all of its points, and strata of near columns, each covered
//! whole or by draws. Only the offsets change between passes.
//!
//! A row walks the column tree. A node whose kernel ‖x − y‖^{−s} varies by a factor at most 1 + τ over
//! its ball is far: the geometric mean of its extremes is within τ of every point's kernel. Nodes whose
//! kernel varies by more than [`STRATUM_SPREAD`] are opened, the most important first (weight times the
//! kernel at a typical distance), up to [`OPENINGS`] of them; a leaf among them is covered whole, for it
//! holds the row's heaviest terms. Every other node is a stratum of the near field. The budget is what
//! keeps the walk short in high dimension, where the halves of a cluster are as wide as the cluster and
//! opening never narrows the kernel; in low dimension the openings go to the row's neighbourhood.
//!
//! When the strata hold at most L = ⌈1/τ²⌉ points they are covered whole. Otherwise the row draws about
//! L columns by stratified importance sampling: stratum J expects L·π_J draws, with π_J half in
//! proportion to its weight times the kernel at (‖x − c‖² + r²)^{1/2}, a bound on the root mean square
//! distance to its points, and half to its weight alone (the defensive half keeps every stratum's draws
//! from vanishing when that kernel misjudges it); inside a stratum a draw picks a point with probability
//! ∝ w_j. A stratum that would expect at least its size in draws is covered whole instead.

use std::collections::BinaryHeap;

use super::ball_tree::BallTree;
use crate::geometry::{Cost, Points};
use crate::numeric::random::SplitMix64;

/// A node is a stratum, not opened further, once its kernel varies by at most this factor.
const STRATUM_SPREAD: f64 = 2.0;

/// Nodes a row opens at most.
const OPENINGS: usize = 32;

/// How a stratum's points are covered.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Coverage {
    /// Every point once.
    Whole,
    /// Point j is drawn `rate`·w_j times in expectation.
    Drawn { rate: f64 },
}

/// A range of column-tree positions and how the row covers it.
#[derive(Debug, Clone, Copy)]
struct Stratum {
    start: usize,
    end: usize,
    coverage: Coverage,
}

/// One row's far nodes and near strata.
#[derive(Default)]
pub struct RowPlan {
    /// (node, its kernel value d^{−s}).
    pub far: Vec<(usize, f64)>,
    /// Sorted by `start`, disjoint.
    strata: Vec<Stratum>,
}

impl RowPlan {
    /// How many times the row draws the column at tree position `position` (weight `weight`) in
    /// expectation; zero when the column is far from the row.
    pub fn expected_draws(&self, position: usize, weight: f64) -> f64 {
        let index = self.strata.partition_point(|s| s.start <= position);
        match index.checked_sub(1).map(|k| self.strata[k]) {
            Some(stratum) if position < stratum.end => match stratum.coverage {
                Coverage::Whole => 1.0,
                Coverage::Drawn { rate } => rate * weight,
            },
            _ => 0.0,
        }
    }

    /// The row's draws: every column of a whole stratum, and the drawn strata's draws, from `seed`.
    pub fn draws(&self, columns: &ColumnSide, seed: u64) -> Vec<usize> {
        let order = &columns.tree.order;
        let mut random = SplitMix64::new(seed);
        let mut drawn = Vec::new();
        for stratum in &self.strata {
            match stratum.coverage {
                Coverage::Whole => drawn.extend_from_slice(&order[stratum.start..stratum.end]),
                Coverage::Drawn { rate } => {
                    let weight = columns.range_weight(stratum.start, stratum.end);
                    let expected = rate * weight;
                    let count = expected.floor() as usize
                        + usize::from(random.uniform() < expected.fract());
                    for _ in 0..count {
                        let mass = random.uniform() * weight;
                        drawn.push(
                            order[columns.position_of_mass(stratum.start, stratum.end, mass)],
                        );
                    }
                }
            }
        }
        drawn
    }
}

/// The column side of a walk: its points, tree, weights and their prefix sums in tree order.
pub struct ColumnSide<'a> {
    pub points: &'a Points,
    pub tree: &'a BallTree,
    pub weights: &'a [f64],
    /// `prefix[k]` is the weight of the first k points in tree order.
    prefix: Vec<f64>,
}

impl<'a> ColumnSide<'a> {
    pub fn new(points: &'a Points, tree: &'a BallTree, weights: &'a [f64]) -> Self {
        let mut prefix = Vec::with_capacity(tree.order.len() + 1);
        prefix.push(0.0);
        let mut total = 0.0;
        for &j in &tree.order {
            total += weights[j];
            prefix.push(total);
        }
        ColumnSide {
            points,
            tree,
            weights,
            prefix,
        }
    }

    fn range_weight(&self, start: usize, end: usize) -> f64 {
        self.prefix[end] - self.prefix[start]
    }

    /// The tree position in `start..end` whose weight interval holds `mass` (measured from `start`).
    fn position_of_mass(&self, start: usize, end: usize, mass: f64) -> usize {
        let target = self.prefix[start] + mass;
        let offset =
            self.prefix[start + 1..=end].partition_point(|&cumulative| cumulative <= target);
        (start + offset).min(end - 1)
    }
}

/// The walk's settings: the kernel exponent s, the squared floor and the accuracy τ.
pub struct Walk {
    pub s: f64,
    pub floor_sq: f64,
    pub accuracy: f64,
}

/// A near node before the row decides how to cover it.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    node: usize,
    weight: f64,
    /// The kernel at the bound on the root mean square distance: the stratum's importance.
    typical_kernel: f64,
}

/// A node to open, ordered by its importance.
struct Wide(Candidate);

impl Wide {
    fn importance(&self) -> f64 {
        self.0.weight * self.0.typical_kernel
    }
}

impl PartialEq for Wide {
    fn eq(&self, other: &Self) -> bool {
        self.importance() == other.importance()
    }
}

impl Eq for Wide {}

impl PartialOrd for Wide {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Wide {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.importance().total_cmp(&other.importance())
    }
}

impl Walk {
    /// The near field's draws per row, L = ⌈1/τ²⌉.
    fn sample_size(&self) -> f64 {
        (1.0 / (self.accuracy * self.accuracy)).ceil()
    }

    /// The plan of the row at `point`.
    pub fn row(&self, point: &[f64], columns: &ColumnSide) -> RowPlan {
        let tree = columns.tree;
        let mut plan = RowPlan::default();
        let mut candidates = Vec::new();
        let mut wide = BinaryHeap::new();
        let mut visit = |index: usize, plan: &mut RowPlan, wide: &mut BinaryHeap<Wide>| {
            let node = &tree.nodes[index];
            let centre_distance = Cost::Euclidean.eval(point, tree.centre(index));
            let near = (centre_distance - node.radius).max(0.0).powi(2) + self.floor_sq;
            let far = (centre_distance + node.radius).powi(2) + self.floor_sq;
            // near = 0 only without a floor, where the problem guarantees distinct supports.
            let spread = (far / near).powf(0.5 * self.s);
            if spread <= 1.0 + self.accuracy {
                plan.far.push((index, (near * far).powf(-0.25 * self.s)));
                return;
            }
            let weight = columns.range_weight(node.start, node.end);
            let mean_sq_bound = centre_distance.powi(2) + node.radius.powi(2) + self.floor_sq;
            let candidate = Candidate {
                node: index,
                weight,
                typical_kernel: mean_sq_bound.powf(-0.5 * self.s),
            };
            if spread <= STRATUM_SPREAD {
                if weight > 0.0 {
                    candidates.push(candidate);
                }
            } else if node.children.is_some() {
                wide.push(Wide(candidate));
            } else {
                plan.strata.push(Stratum {
                    start: node.start,
                    end: node.end,
                    coverage: Coverage::Whole,
                });
            }
        };
        visit(0, &mut plan, &mut wide);
        for _ in 0..OPENINGS {
            let Some(Wide(candidate)) = wide.pop() else {
                break;
            };
            let (left, right) = tree.nodes[candidate.node]
                .children
                .expect("wide nodes have children");
            visit(left, &mut plan, &mut wide);
            visit(right, &mut plan, &mut wide);
        }
        candidates.extend(wide.into_iter().map(|Wide(c)| c).filter(|c| c.weight > 0.0));
        let samples = self.sample_size();
        // Whole leaves are not counted against L: they are the row's closest few points.
        let size: usize = candidates.iter().map(|c| tree.nodes[c.node].len()).sum();
        let total_weight: f64 = candidates.iter().map(|c| c.weight).sum();
        let total_importance: f64 = candidates.iter().map(|c| c.weight * c.typical_kernel).sum();
        plan.strata.extend(candidates.iter().map(|candidate| {
            let node = &tree.nodes[candidate.node];
            let share = 0.5 * candidate.weight * candidate.typical_kernel / total_importance
                + 0.5 * candidate.weight / total_weight;
            let expected = samples * share;
            let coverage = if size as f64 <= samples || expected >= node.len() as f64 {
                Coverage::Whole
            } else {
                Coverage::Drawn {
                    rate: expected / candidate.weight,
                }
            };
            Stratum {
                start: node.start,
                end: node.end,
                coverage,
            }
        }));
        plan.strata.sort_by_key(|s| s.start);
        plan
    }
}
