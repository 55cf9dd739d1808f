//! k-means over a subset of X ∪ Y: k-means++ seeding (Arthur and Vassilvitskii 2007), then Lloyd
//! iterations. Centre sums run over fixed leaves of points combined by a fixed tree, so the result is the
//! same for any number of threads.

use rayon::prelude::*;

use super::{nearest_centres, Joint};
use crate::geometry::Cost;
use crate::numeric::parallel::sum_over_row_leaves;
use crate::numeric::random::SplitMix64;

/// Points per leaf of the centre sums.
const POINTS_PER_LEAF: usize = 8192;
/// Points per parallel task of the seeding passes: hierarchical k-means runs thousands of small
/// clusterings, already in parallel, where splitting further costs more than it saves.
const POINTS_PER_TASK: usize = 4096;

/// A clustering of some members: each member's cluster, and the k packed centres.
pub(crate) struct Clustering {
    pub labels: Vec<u32>,
    pub centres: Vec<f64>,
}

/// k-means++: the first centre uniformly, each next one with probability proportional to the squared
/// distance to the nearest centre so far. Returns k packed centres (k ≤ members).
pub(crate) fn kmeans_plus_plus(
    joint: &Joint,
    members: &[usize],
    k: usize,
    random: &mut SplitMix64,
) -> Vec<f64> {
    let d = joint.dim();
    let mut centres = Vec::with_capacity(k * d);
    centres.extend_from_slice(joint.point(members[random.below(members.len())]));
    let mut nearest: Vec<f64> = members
        .par_iter()
        .with_min_len(POINTS_PER_TASK)
        .map(|&p| Cost::SqEuclidean.eval(joint.point(p), &centres[..d]))
        .collect();
    for _ in 1..k {
        let total: f64 = nearest.iter().sum();
        let chosen = if total > 0.0 {
            let target = random.uniform() * total;
            let mut running = 0.0;
            nearest
                .iter()
                .position(|&w| {
                    running += w;
                    running >= target
                })
                .unwrap_or(members.len() - 1)
        } else {
            // Every member sits on a centre already: any of them will do.
            random.below(members.len())
        };
        let start = centres.len();
        centres.extend_from_slice(joint.point(members[chosen]));
        let centre = &centres[start..];
        nearest
            .par_iter_mut()
            .with_min_len(POINTS_PER_TASK)
            .zip(members)
            .for_each(|(w, &p)| *w = w.min(Cost::SqEuclidean.eval(joint.point(p), centre)));
    }
    centres
}

/// k-means++ seeding and up to `iterations` Lloyd steps, stopping early when no label changes.
pub(crate) fn kmeans(
    joint: &Joint,
    members: &[usize],
    k: usize,
    iterations: usize,
    random: &mut SplitMix64,
) -> Clustering {
    let centres = kmeans_plus_plus(joint, members, k.min(members.len()), random);
    lloyd(joint, members, centres, iterations)
}

/// Up to `iterations` Lloyd steps from the given centres, stopping early when no label changes.
pub(crate) fn lloyd(
    joint: &Joint,
    members: &[usize],
    mut centres: Vec<f64>,
    iterations: usize,
) -> Clustering {
    let d = joint.dim();
    let mut labels = labels_of(joint, members, &centres);
    for _ in 0..iterations {
        move_centres(joint, members, &labels, &mut centres, d);
        let next = labels_of(joint, members, &centres);
        if next == labels {
            break;
        }
        labels = next;
    }
    Clustering { labels, centres }
}

fn labels_of(joint: &Joint, members: &[usize], centres: &[f64]) -> Vec<u32> {
    nearest_centres(joint, members, centres)
        .into_iter()
        .map(|(label, _)| label)
        .collect()
}

/// Moves every centre to the mean of its members; an empty cluster keeps its centre.
fn move_centres(joint: &Joint, members: &[usize], labels: &[u32], centres: &mut [f64], d: usize) {
    let k = centres.len() / d;
    // Per cluster: d coordinate sums, then the count.
    let width = k * (d + 1);
    let sums = sum_over_row_leaves(
        members.len(),
        width,
        POINTS_PER_LEAF * width,
        &mut [] as &mut [f64],
        0,
        &|range, _, acc: &mut [f64]| {
            for q in range {
                let slot = &mut acc[labels[q] as usize * (d + 1)..][..d + 1];
                for (s, v) in slot.iter_mut().zip(joint.point(members[q])) {
                    *s += v;
                }
                slot[d] += 1.0;
            }
        },
    );
    for (centre, sum) in centres.chunks_exact_mut(d).zip(sums.chunks_exact(d + 1)) {
        let count = sum[d];
        if count > 0.0 {
            for (c, s) in centre.iter_mut().zip(sum) {
                *c = s / count;
            }
        }
    }
}
