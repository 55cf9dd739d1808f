//! Hierarchical k-means: cluster X ∪ Y into b₁ clusters, each of those into b₂, and so on. A bucket is a
//! path through the levels; b₁·b₂·… buckets cost about (b₁ + b₂ + …) distance evaluations per point and
//! Lloyd step, instead of b₁·b₂·… for flat k-means.

use std::collections::HashMap;

use rayon::prelude::*;

use super::{kmeans, lloyd, Joint};
use crate::numeric::random::SplitMix64;

/// The centres every split of a hierarchical clustering ended with, by level and path. Clustering points
/// that moved a little (the rotated targets of consecutive alignment steps) from these centres needs a few
/// Lloyd steps instead of a new k-means++ seeding, which costs k passes over the points of each split.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hierarchy {
    splits: Vec<HashMap<u64, Vec<f64>>>,
}

impl Hierarchy {
    /// The centres the split at `path` of `level` ended with, if it had `k` of them.
    fn centres(&self, level: usize, path: u64, k: usize, d: usize) -> Option<Vec<f64>> {
        let centres = self.splits.get(level)?.get(&path)?;
        (centres.len() == k * d).then(|| centres.clone())
    }

    /// The centres of the split at `path` of `level` (row-major, one per cluster it made).
    pub fn split_centres(&self, level: usize, path: u64) -> Option<&[f64]> {
        self.splits.get(level)?.get(&path).map(Vec::as_slice)
    }
}

/// Every joint point's bucket, `Σ_level label_level · Π_(deeper levels) b`, and the centres of every split.
/// A split starts from `previous`'s centres at its path when they exist in the right number; otherwise it
/// is seeded with its own seed, drawn from `seed` and the split's path. Either way the buckets do not
/// depend on the thread count.
pub(crate) fn hierarchical_labels(
    joint: &Joint,
    branching: &[usize],
    iterations: usize,
    seed: u64,
    previous: Option<&Hierarchy>,
) -> (Vec<u64>, Hierarchy) {
    let d = joint.dim();
    let mut groups: Vec<(u64, Vec<usize>)> = vec![(0, joint.everyone())];
    let mut hierarchy = Hierarchy::default();
    for (level, &clusters) in branching.iter().enumerate() {
        let splits: Vec<_> = groups
            .into_par_iter()
            .map(|(path, members)| {
                let k = clusters.min(members.len());
                let clustering = match previous.and_then(|h| h.centres(level, path, k, d)) {
                    Some(centres) => lloyd(joint, &members, centres, iterations),
                    None => {
                        let stream = SplitMix64::new(path ^ ((level as u64) << 56)).next_u64();
                        let mut random = SplitMix64::new(seed ^ stream);
                        kmeans(joint, &members, k, iterations, &mut random)
                    }
                };
                let mut children = vec![Vec::new(); k];
                for (&p, &label) in members.iter().zip(&clustering.labels) {
                    children[label as usize].push(p);
                }
                (path, clustering.centres, children)
            })
            .collect();
        let mut centres = HashMap::with_capacity(splits.len());
        groups = Vec::new();
        for (path, split_centres, children) in splits {
            centres.insert(path, split_centres);
            groups.extend(
                children
                    .into_iter()
                    .enumerate()
                    .filter(|(_, child)| !child.is_empty())
                    .map(|(label, child)| (path * clusters as u64 + label as u64, child)),
            );
        }
        hierarchy.splits.push(centres);
    }
    let mut labels = vec![0u64; joint.len()];
    for (path, members) in &groups {
        for &p in members {
            labels[p] = *path;
        }
    }
    (labels, hierarchy)
}
