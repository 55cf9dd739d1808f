//! Hierarchical k-means: cluster X ∪ Y into b₁ clusters, each of those into b₂, and so on. A bucket is a
//! path through the levels; b₁·b₂·… buckets cost about (b₁ + b₂ + …) distance evaluations per point and
//! Lloyd step, instead of b₁·b₂·… for flat k-means.

use rayon::prelude::*;

use super::{kmeans, Joint};
use crate::numeric::random::SplitMix64;

/// Every joint point's bucket, `Σ_level label_level · Π_(deeper levels) b`. Each cluster is split with
/// its own seed, drawn from `seed` and the cluster's path, so the buckets do not depend on the thread
/// count.
pub(crate) fn hierarchical_labels(
    joint: &Joint,
    branching: &[usize],
    iterations: usize,
    seed: u64,
) -> Vec<u64> {
    let mut groups: Vec<(u64, Vec<usize>)> = vec![(0, joint.everyone())];
    for (level, &clusters) in branching.iter().enumerate() {
        groups = groups
            .into_par_iter()
            .flat_map_iter(|(path, members)| {
                let stream = SplitMix64::new(path ^ ((level as u64) << 56)).next_u64();
                let mut random = SplitMix64::new(seed ^ stream);
                let clustering = kmeans(joint, &members, clusters, iterations, &mut random);
                let mut children = vec![Vec::new(); clustering.centres.len() / joint.dim()];
                for (&p, &label) in members.iter().zip(&clustering.labels) {
                    children[label as usize].push(p);
                }
                children
                    .into_iter()
                    .enumerate()
                    .filter(|(_, child)| !child.is_empty())
                    .map(move |(label, child)| (path * clusters as u64 + label as u64, child))
            })
            .collect();
    }
    let mut labels = vec![0u64; joint.len()];
    for (path, members) in &groups {
        for &p in members {
            labels[p] = *path;
        }
    }
    labels
}
