//! Exact k nearest neighbours, both ways: each source point keeps its k cheapest targets and each target
//! its k cheapest sources, so that no row or column is left empty.
//!
//! In up to 8 dimensions with a Euclidean cost a k-d tree (kiddo) answers each query in about O(log n);
//! above, or for −⟨x, y⟩, a blocked exhaustive search computes a block of queries against a block of
//! candidates as one faer product. Either way a query's result is the k smallest (cost, index) pairs, so
//! ties are broken by index and the result is unique.

use std::collections::BinaryHeap;
use std::num::NonZero;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use kiddo::immutable::float::kdtree::ImmutableKdTree;
use kiddo::SquaredEuclidean;
use rayon::prelude::*;

use crate::geometry::{dot, Cost, Points};

/// Queries per block of the exhaustive search.
const QUERY_BLOCK: usize = 64;
/// Candidates per block of the exhaustive search.
const CANDIDATE_BLOCK: usize = 2048;
/// Points per leaf of the k-d tree.
const LEAF: usize = 32;

pub(super) fn rows(x: &Points, y: &Points, cost: Cost, k: usize) -> Vec<Vec<u32>> {
    let mut rows = nearest(x, y, cost, k);
    for (j, sources) in nearest(y, x, cost, k).iter().enumerate() {
        for &i in sources {
            rows[i as usize].push(j as u32);
        }
    }
    rows
}

/// For each query point, the indices of its `k` cheapest candidates.
fn nearest(queries: &Points, candidates: &Points, cost: Cost, k: usize) -> Vec<Vec<u32>> {
    let k = k.min(candidates.len());
    let euclidean = matches!(cost, Cost::SqEuclidean | Cost::Euclidean);
    match queries.dim() {
        1 if euclidean => by_tree::<1>(queries, candidates, k),
        2 if euclidean => by_tree::<2>(queries, candidates, k),
        3 if euclidean => by_tree::<3>(queries, candidates, k),
        4 if euclidean => by_tree::<4>(queries, candidates, k),
        5 if euclidean => by_tree::<5>(queries, candidates, k),
        6 if euclidean => by_tree::<6>(queries, candidates, k),
        7 if euclidean => by_tree::<7>(queries, candidates, k),
        8 if euclidean => by_tree::<8>(queries, candidates, k),
        _ => by_blocks(queries, candidates, cost, k),
    }
}

fn by_tree<const D: usize>(queries: &Points, candidates: &Points, k: usize) -> Vec<Vec<u32>> {
    let as_array = |p: &[f64]| -> [f64; D] { p.try_into().expect("a point of D coordinates") };
    let entries: Vec<[f64; D]> = (0..candidates.len())
        .map(|j| as_array(candidates.point(j)))
        .collect();
    let tree: ImmutableKdTree<f64, u32, D, LEAF> = ImmutableKdTree::new_from_slice(&entries);
    let k = NonZero::new(k).expect("k is at least 1");
    (0..queries.len())
        .into_par_iter()
        .map(|i| {
            let mut found: Vec<(f64, u32)> = tree
                .nearest_n::<SquaredEuclidean>(&as_array(queries.point(i)), k)
                .into_iter()
                .map(|neighbour| (neighbour.distance, neighbour.item))
                .collect();
            found.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            found.into_iter().map(|(_, j)| j).collect()
        })
        .collect()
}

/// A candidate ordered by (cost, index), so the heap's maximum is the one to drop.
#[derive(PartialEq)]
struct Candidate(f64, u32);

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// The ranking score of a candidate: the cost, up to terms and monotone maps that do not change the
/// order for one query (the query's own norm, the square root of the Euclidean cost).
fn by_blocks(queries: &Points, candidates: &Points, cost: Cost, k: usize) -> Vec<Vec<u32>> {
    let d = queries.dim();
    let norms: Vec<f64> = (0..candidates.len())
        .map(|j| dot(candidates.point(j), candidates.point(j)))
        .collect();
    let query_blocks: Vec<usize> = (0..queries.len()).step_by(QUERY_BLOCK).collect();
    query_blocks
        .into_par_iter()
        .flat_map_iter(|start| {
            let end = (start + QUERY_BLOCK).min(queries.len());
            let block = MatRef::from_row_major_slice(
                &queries.as_slice()[start * d..end * d],
                end - start,
                d,
            );
            let mut heaps: Vec<BinaryHeap<Candidate>> = (start..end)
                .map(|_| BinaryHeap::with_capacity(k + 1))
                .collect();
            for first in (0..candidates.len()).step_by(CANDIDATE_BLOCK) {
                let last = (first + CANDIDATE_BLOCK).min(candidates.len());
                let others = MatRef::from_row_major_slice(
                    &candidates.as_slice()[first * d..last * d],
                    last - first,
                    d,
                );
                let mut inner = Mat::<f64>::zeros(end - start, last - first);
                matmul(
                    inner.as_mut(),
                    Accum::Replace,
                    block,
                    others.transpose(),
                    1.0,
                    Par::Seq,
                );
                for (r, heap) in heaps.iter_mut().enumerate() {
                    for c in 0..last - first {
                        let score = match cost {
                            Cost::NegDot => -inner[(r, c)],
                            Cost::SqEuclidean | Cost::Euclidean => {
                                norms[first + c] - 2.0 * inner[(r, c)]
                            }
                        };
                        let candidate = Candidate(score, (first + c) as u32);
                        if heap.len() < k {
                            heap.push(candidate);
                        } else if candidate < *heap.peek().expect("k ≥ 1") {
                            heap.pop();
                            heap.push(candidate);
                        }
                    }
                }
            }
            heaps
                .into_iter()
                .map(|heap| heap.into_sorted_vec().into_iter().map(|c| c.1).collect())
        })
        .collect()
}
