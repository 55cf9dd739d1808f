//! k-means buckets over X ∪ Y, flat or hierarchical: a pair is kept when both points fall in one bucket,
//! in any of the rounds.

use super::buckets::append_matches;
use super::memory::PairMemory;
use crate::cluster::{hierarchical_labels, Joint};
use crate::geometry::Points;

/// Clusterings are OR-ed: round r uses the seed `seed + r · ROUND_STRIDE`.
const ROUND_STRIDE: u64 = 0x9e37_79b9_7f4a_7c15;

/// The k-means bucketing rule.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    /// Clusters per level: `[k]` is flat k-means into k buckets, `[10, 100]` splits each of 10 clusters
    /// into 100 (1000 buckets). Each entry at least 1; the first at most n + m, and a deeper level splits
    /// a cluster into at most as many parts as it has points.
    pub branching: Vec<usize>,
    /// Independent clusterings, OR-ed; at least 1.
    pub rounds: usize,
    /// Lloyd iterations after seeding, at each level.
    pub iterations: usize,
}

impl KMeans {
    /// The argument a message about the clusters names: `clusters` for flat k-means, `branching` for
    /// hierarchical k-means, as the C setters call them.
    pub(crate) fn arg(&self) -> &'static str {
        if self.branching.len() == 1 {
            "clusters"
        } else {
            "branching"
        }
    }

    /// Flat k-means into `clusters` buckets.
    pub fn flat(clusters: usize, rounds: usize, iterations: usize) -> Self {
        KMeans {
            branching: vec![clusters],
            rounds,
            iterations,
        }
    }

    /// The number of buckets per round, or `None` when it does not fit in 64 bits.
    pub fn buckets(&self) -> Option<u64> {
        self.branching
            .iter()
            .try_fold(1u64, |acc, &b| acc.checked_mul(b as u64))
    }

    /// The kept pairs by row, and the first round's bucket of every joint point; the rounds start from
    /// `memory`'s centres where it has them, and leave theirs there.
    pub(super) fn rows(
        &self,
        x: &Points,
        y: &Points,
        seed: u64,
        memory: &mut PairMemory,
    ) -> (Vec<Vec<u32>>, Vec<u64>) {
        let joint = Joint::new(x, y);
        let n = x.len();
        let mut rows = vec![Vec::new(); n];
        let mut first = Vec::new();
        let previous = std::mem::take(&mut memory.kmeans_rounds);
        for round in 0..self.rounds {
            let (labels, hierarchy) = hierarchical_labels(
                &joint,
                &self.branching,
                self.iterations,
                seed.wrapping_add((round as u64).wrapping_mul(ROUND_STRIDE)),
                previous.get(round),
            );
            append_matches(&mut rows, &labels[..n], &labels[n..]);
            memory.kmeans_rounds.push(hierarchy);
            if round == 0 {
                first = labels;
            }
        }
        (rows, first)
    }
}
