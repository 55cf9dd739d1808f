//! A short line's nearest partners among the buckets next to its own: the other cloud's members of the
//! buckets its k-means split made, nearest centre first. A point whose bucket holds too few partners is
//! most often in a split's small or one-sided bucket, and its nearest partners lie in the split's other
//! buckets; scanning them costs one split's points, where the partner index (`partners.rs`) first
//! clusters all of X ∪ Y again and bounds every query against all its clusters. A query whose split
//! holds fewer partners than it needs gets none here, and goes to the partner index.

use std::collections::BinaryHeap;

use rayon::prelude::*;

use super::buckets::by_bucket;
use super::partners::{Candidate, Side, SCAN_BUDGET};
use crate::cluster::Hierarchy;
use crate::geometry::{Cost, Points};

/// The buckets of one k-means clustering of X ∪ Y, with the centres of the splits that made them.
pub(crate) struct Siblings<'a> {
    hierarchy: &'a Hierarchy,
    /// The bucket of every joint point (x first, then y).
    labels: &'a [u64],
    /// The deepest level and its clusters per split: a bucket's split is `bucket / branching`.
    level: usize,
    branching: u64,
    /// Each cloud's points as (bucket, index), sorted.
    rows: Vec<(u64, u32)>,
    columns: Vec<(u64, u32)>,
}

impl<'a> Siblings<'a> {
    /// The buckets `labels` of a clustering with `branching` clusters per level, whose split centres
    /// `hierarchy` holds; the first `n` labels are those of x's points.
    pub fn new(hierarchy: &'a Hierarchy, labels: &'a [u64], branching: &[usize], n: usize) -> Self {
        Siblings {
            hierarchy,
            labels,
            level: branching.len() - 1,
            branching: *branching.last().expect("at least one level") as u64,
            rows: by_bucket(&labels[..n]),
            columns: by_bucket(&labels[n..]),
        }
    }

    /// For each query (an index into the cloud of `side`), its `k` cheapest partners by `cost` among the
    /// members of its split's buckets, nearest centre first, until [`SCAN_BUDGET`] candidates are
    /// scanned; `None` where the split holds fewer than `k` partners.
    pub fn nearest(
        &self,
        (x, y, cost): (&Points, &Points, Cost),
        side: Side,
        queries: &[usize],
        k: usize,
    ) -> Vec<Option<Vec<u32>>> {
        let (own, others, members, offset) = match side {
            Side::Rows => (x, y, &self.columns, 0),
            Side::Columns => (y, x, &self.rows, x.len()),
        };
        queries
            .par_iter()
            .map(|&q| {
                let bucket = self.labels[offset + q];
                self.nearest_to(own.point(q), bucket, others, members, cost, k)
            })
            .collect()
    }

    fn nearest_to(
        &self,
        p: &[f64],
        bucket: u64,
        others: &Points,
        members: &[(u64, u32)],
        cost: Cost,
        k: usize,
    ) -> Option<Vec<u32>> {
        let split = bucket / self.branching;
        let centres = self.hierarchy.split_centres(self.level, split)?;
        let mut order: Vec<(f64, u64)> = centres
            .chunks_exact(p.len())
            .zip(0..)
            .map(|(centre, c)| (Cost::SqEuclidean.eval(p, centre), c))
            .collect();
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(k + 1);
        let mut scanned = 0;
        for (_, c) in order {
            if best.len() == k && scanned >= SCAN_BUDGET {
                break;
            }
            let child = split * self.branching + c;
            let start = members.partition_point(|&(b, _)| b < child);
            let end = members.partition_point(|&(b, _)| b <= child);
            scanned += end - start;
            for &(_, q) in &members[start..end] {
                Candidate::offer(
                    &mut best,
                    Candidate(cost.eval(p, others.point(q as usize)), q),
                    k,
                );
            }
        }
        (best.len() == k).then(|| best.into_sorted_vec().into_iter().map(|c| c.1).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{hierarchical_labels, Joint};
    use crate::numeric::random::SplitMix64;

    /// `per_blob` points around each of `blobs` centres 50 apart on the first axis.
    fn blobs(blobs: &[f64], per_blob: usize, d: usize, seed: u64) -> Points {
        let mut random = SplitMix64::new(seed);
        let mut values = Vec::new();
        for &centre in blobs {
            for _ in 0..per_blob {
                values.extend((0..d).map(|k| random.normal() + if k == 0 { centre } else { 0.0 }));
            }
        }
        Points::from_row_major(values, blobs.len() * per_blob, d)
    }

    #[test]
    fn a_split_gives_its_points_their_nearest_partners_and_leaves_one_without_partners_to_the_index(
    ) {
        let d = 3;
        let x = blobs(&[0.0, 50.0, 100.0], 30, d, 1);
        let y = blobs(&[0.0, 50.0], 30, d, 2);
        let branching = [3, 4];
        let (labels, hierarchy) = hierarchical_labels(&Joint::new(&x, &y), &branching, 10, 5, None);
        let siblings = Siblings::new(&hierarchy, &labels, &branching, x.len());
        let cost = Cost::SqEuclidean;
        let direct = |p: &[f64], others: &Points, k: usize| {
            let mut all: Vec<(f64, u32)> = (0..others.len())
                .map(|q| (cost.eval(p, others.point(q)), q as u32))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            all.into_iter().take(k).map(|(_, q)| q).collect::<Vec<_>>()
        };
        let rows: Vec<usize> = (0..90).collect();
        let found = siblings.nearest((&x, &y, cost), Side::Rows, &rows, 3);
        for (&i, partners) in rows.iter().zip(&found) {
            if i < 60 {
                assert_eq!(partners.as_deref(), Some(&direct(x.point(i), &y, 3)[..]));
            } else {
                assert_eq!(partners, &None, "row {i} has no partner in its split");
            }
        }
        let columns: Vec<usize> = (0..60).collect();
        let found = siblings.nearest((&x, &y, cost), Side::Columns, &columns, 2);
        for (&j, partners) in columns.iter().zip(&found) {
            assert_eq!(partners.as_deref(), Some(&direct(y.point(j), &x, 2)[..]));
        }
    }
}
