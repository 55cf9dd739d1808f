//! Each point's nearest partners in the other cloud, found through a coarse joint clustering of X ∪ Y
//! instead of an n×m search. A query visits the clusters in the order of a lower bound on the cost of
//! their members (from the cluster's centre and radius) and stops when the next bound exceeds the k-th
//! cost found, so the answer is exact (the k cheapest partners, ties broken by index), or once it has
//! scanned [`SCAN_BUDGET`] candidates, with the cheapest among them.
//!
//! The same clustering gives the coarse masses of the transport backbone (`backbone.rs`).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

use rayon::prelude::*;

use crate::cluster::{hierarchical_labels, Joint};
use crate::geometry::{dot, Cost, Points};

/// Candidates a query scans, at least, before it settles for the cheapest found: in high dimension the
/// clusters' bounds rarely close, and an exhaustive scan would cost O(n + m) per query. Below this many
/// points, and wherever the bounds close first (low dimension), the answer is exact.
pub(super) const SCAN_BUDGET: usize = 2048;

/// Lloyd iterations of each split of the index's clustering: the index only prunes, so rough clusters
/// are as good as converged ones.
const ITERATIONS: usize = 3;

/// Which cloud a query point belongs to: a row's partners are columns (points of y), and a column's
/// partners are rows (points of x).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Rows,
    Columns,
}

/// One cluster of the joint clustering: its centre, its members in each cloud, and the largest
/// distance from the centre to a member of each cloud.
#[derive(Debug)]
pub(crate) struct Cluster {
    pub centre: Vec<f64>,
    pub rows: Vec<u32>,
    pub columns: Vec<u32>,
    row_radius: f64,
    column_radius: f64,
}

impl Cluster {
    fn members(&self, side: Side) -> (&[u32], f64) {
        match side {
            Side::Rows => (&self.rows, self.row_radius),
            Side::Columns => (&self.columns, self.column_radius),
        }
    }
}

/// A coarse clustering of X ∪ Y, about √(n + m) clusters from hierarchical k-means with two levels.
#[derive(Debug)]
pub(crate) struct PartnerIndex {
    clusters: Vec<Cluster>,
}

impl PartnerIndex {
    pub fn new(x: &Points, y: &Points, seed: u64) -> Self {
        let joint = Joint::new(x, y);
        let total = joint.len();
        // Two levels of b clusters: b² ≈ √(n + m) clusters of about √(n + m) points each.
        let branching = ((total as f64).powf(0.25).ceil() as usize).max(1);
        let (paths, _) =
            hierarchical_labels(&joint, &[branching, branching], ITERATIONS, seed, None);
        let mut distinct = paths.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let label = |path: u64| {
            distinct
                .binary_search(&path)
                .expect("a path of the clustering") as u32
        };
        let labels: Vec<u32> = paths.par_iter().map(|&p| label(p)).collect();
        let (row_labels, column_labels) = labels.split_at(x.len());
        let d = joint.dim();
        let mut clusters: Vec<Cluster> = (0..distinct.len())
            .map(|_| Cluster {
                centre: vec![0.0; d],
                rows: Vec::new(),
                columns: Vec::new(),
                row_radius: 0.0,
                column_radius: 0.0,
            })
            .collect();
        for (i, &c) in row_labels.iter().enumerate() {
            clusters[c as usize].rows.push(i as u32);
        }
        for (j, &c) in column_labels.iter().enumerate() {
            clusters[c as usize].columns.push(j as u32);
        }
        clusters.par_iter_mut().for_each(|cluster| {
            let count = (cluster.rows.len() + cluster.columns.len()) as f64;
            let members = cluster
                .rows
                .iter()
                .map(|&i| x.point(i as usize))
                .chain(cluster.columns.iter().map(|&j| y.point(j as usize)));
            for point in members {
                for (c, v) in cluster.centre.iter_mut().zip(point) {
                    *c += v / count;
                }
            }
            let radius = |points: &Points, members: &[u32], centre: &[f64]| {
                members
                    .iter()
                    .map(|&p| Cost::Euclidean.eval(points.point(p as usize), centre))
                    .fold(0.0, f64::max)
            };
            cluster.row_radius = radius(x, &cluster.rows, &cluster.centre);
            cluster.column_radius = radius(y, &cluster.columns, &cluster.centre);
        });
        PartnerIndex { clusters }
    }

    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    /// For each query (an index into the cloud of `side`), its `k` cheapest partners in the other cloud
    /// by `cost`, cheapest first: exact, or the cheapest among the [`SCAN_BUDGET`] candidates of the
    /// clusters with the lowest bounds.
    pub fn nearest(
        &self,
        x: &Points,
        y: &Points,
        cost: Cost,
        side: Side,
        queries: &[usize],
        k: usize,
    ) -> Vec<Vec<u32>> {
        let (own, others, partner_side) = match side {
            Side::Rows => (x, y, Side::Columns),
            Side::Columns => (y, x, Side::Rows),
        };
        debug_assert!(k <= others.len(), "k is at most the other cloud's size");
        queries
            .par_iter()
            .map(|&q| self.nearest_to(own.point(q), others, cost, partner_side, k))
            .collect()
    }

    fn nearest_to(
        &self,
        p: &[f64],
        others: &Points,
        cost: Cost,
        partner_side: Side,
        k: usize,
    ) -> Vec<u32> {
        let norm = dot(p, p).sqrt();
        let mut order: Vec<(f64, usize)> = self
            .clusters
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.members(partner_side).0.is_empty())
            .map(|(c, cluster)| {
                let radius = cluster.members(partner_side).1;
                (lower_bound(cost, p, norm, &cluster.centre, radius), c)
            })
            .collect();
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(k + 1);
        let mut scanned = 0;
        for (bound, c) in order {
            if best.len() == k && (bound > best.peek().expect("k ≥ 1").0 || scanned >= SCAN_BUDGET)
            {
                break;
            }
            let members = self.clusters[c].members(partner_side).0;
            scanned += members.len();
            for &q in members {
                Candidate::offer(
                    &mut best,
                    Candidate(cost.eval(p, others.point(q as usize)), q),
                    k,
                );
            }
        }
        best.into_sorted_vec().into_iter().map(|c| c.1).collect()
    }
}

/// A partner index of one pair of clouds, built on first use: most builds never need one.
#[derive(Debug)]
pub(crate) struct LazyIndex {
    seed: u64,
    index: OnceLock<PartnerIndex>,
}

impl LazyIndex {
    pub fn new(seed: u64) -> Self {
        LazyIndex {
            seed,
            index: OnceLock::new(),
        }
    }

    /// The index of `x` and `y`, which must be the clouds of every earlier call.
    pub fn get(&self, x: &Points, y: &Points) -> &PartnerIndex {
        self.index
            .get_or_init(|| PartnerIndex::new(x, y, self.seed))
    }
}

/// A lower bound on `cost(p, q)` over the points q within `radius` of `centre`.
fn lower_bound(cost: Cost, p: &[f64], norm: f64, centre: &[f64], radius: f64) -> f64 {
    match cost {
        Cost::SqEuclidean => (Cost::Euclidean.eval(p, centre) - radius).max(0.0).powi(2),
        Cost::Euclidean => (Cost::Euclidean.eval(p, centre) - radius).max(0.0),
        // −⟨p, q⟩ = −⟨p, c⟩ − ⟨p, q − c⟩ ≥ −⟨p, c⟩ − ‖p‖·radius.
        Cost::NegDot => -dot(p, centre) - norm * radius,
    }
}

/// A partner ordered by (cost, index), so a max-heap's top is the one to drop.
#[derive(PartialEq)]
pub(super) struct Candidate(pub f64, pub u32);

impl Candidate {
    /// Keeps `candidate` in `best` if it is among the `k` cheapest so far.
    pub fn offer(best: &mut BinaryHeap<Candidate>, candidate: Candidate, k: usize) {
        if best.len() < k {
            best.push(candidate);
        } else if best.peek().is_some_and(|worst| candidate < *worst) {
            best.pop();
            best.push(candidate);
        }
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::random::SplitMix64;

    fn cloud(n: usize, d: usize, seed: u64, scale: f64) -> Points {
        let mut random = SplitMix64::new(seed);
        Points::from_row_major((0..n * d).map(|_| scale * random.normal()).collect(), n, d)
    }

    /// The k cheapest partners by a direct scan.
    fn direct(p: &[f64], others: &Points, cost: Cost, k: usize) -> Vec<u32> {
        let mut all: Vec<(f64, u32)> = (0..others.len())
            .map(|q| (cost.eval(p, others.point(q)), q as u32))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all.into_iter().take(k).map(|(_, q)| q).collect()
    }

    #[test]
    fn the_search_finds_the_cheapest_partners_exactly() {
        for (d, cost) in [
            (2, Cost::SqEuclidean),
            (5, Cost::Euclidean),
            (40, Cost::SqEuclidean),
            (16, Cost::NegDot),
        ] {
            let (x, mut y) = (cloud(300, d, 1, 1.0), cloud(250, d, 2, 1.5));
            // An outlier far from every cluster.
            y.as_mut_slice()[..d].iter_mut().for_each(|v| *v += 40.0);
            let index = PartnerIndex::new(&x, &y, 7);
            let queries: Vec<usize> = (0..x.len()).step_by(7).collect();
            let found = index.nearest(&x, &y, cost, Side::Rows, &queries, 5);
            for (&i, partners) in queries.iter().zip(&found) {
                assert_eq!(
                    partners,
                    &direct(x.point(i), &y, cost, 5),
                    "{cost:?}, d = {d}"
                );
            }
            let found = index.nearest(&x, &y, cost, Side::Columns, &[0, 1, 100], 3);
            for (&j, partners) in [0, 1, 100].iter().zip(&found) {
                assert_eq!(
                    partners,
                    &direct(y.point(j), &x, cost, 3),
                    "{cost:?}, d = {d}"
                );
            }
        }
    }
}
