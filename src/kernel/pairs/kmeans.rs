//! k-means buckets over X ∪ Y: k-means++ seeding (Arthur and Vassilvitskii 2007), then Lloyd iterations.
//! A pair is kept when both points fall in one cluster, in any of the rounds.
//!
//! Assignments are computed in parallel, one point at a time; centres are summed in point order. Both
//! are therefore the same for any number of threads.

use rayon::prelude::*;

use crate::geometry::{Cost, Points};
use crate::numeric::random::SplitMix64;

/// Clusterings are OR-ed: round r uses the seed `seed + r · ROUND_STRIDE`.
const ROUND_STRIDE: u64 = 0x9e37_79b9_7f4a_7c15;

/// The k-means bucketing rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KMeans {
    /// Clusters per round, at least 1 and at most n + m.
    pub clusters: usize,
    /// Independent clusterings, OR-ed; at least 1.
    pub rounds: usize,
    /// Lloyd iterations after seeding.
    pub iterations: usize,
}

/// The points of X followed by those of Y.
struct Joint<'a> {
    x: &'a Points,
    y: &'a Points,
}

impl Joint<'_> {
    fn len(&self) -> usize {
        self.x.len() + self.y.len()
    }

    fn point(&self, p: usize) -> &[f64] {
        if p < self.x.len() {
            self.x.point(p)
        } else {
            self.y.point(p - self.x.len())
        }
    }
}

impl KMeans {
    pub(super) fn rows(&self, x: &Points, y: &Points, seed: u64) -> Vec<Vec<u32>> {
        let joint = Joint { x, y };
        let n = x.len();
        let mut rows = vec![Vec::new(); n];
        for round in 0..self.rounds as u64 {
            let labels = self.cluster(&joint, seed.wrapping_add(round.wrapping_mul(ROUND_STRIDE)));
            let mut members = vec![Vec::new(); self.clusters];
            for (j, &label) in labels[n..].iter().enumerate() {
                members[label].push(j as u32);
            }
            rows.par_iter_mut()
                .zip(&labels[..n])
                .for_each(|(row, &label)| row.extend_from_slice(&members[label]));
        }
        rows
    }

    /// Each point's cluster.
    fn cluster(&self, joint: &Joint, seed: u64) -> Vec<usize> {
        let d = joint.x.dim();
        let mut centres = seed_centres(joint, self.clusters, seed);
        let mut labels = assign(joint, &centres, d);
        for _ in 0..self.iterations {
            let mut sums = vec![0.0; self.clusters * d];
            let mut counts = vec![0usize; self.clusters];
            for (p, &label) in labels.iter().enumerate() {
                counts[label] += 1;
                for (s, v) in sums[label * d..(label + 1) * d]
                    .iter_mut()
                    .zip(joint.point(p))
                {
                    *s += v;
                }
            }
            for (c, &count) in counts.iter().enumerate() {
                // An empty cluster keeps its centre.
                if count > 0 {
                    for (centre, s) in centres[c * d..(c + 1) * d].iter_mut().zip(&sums[c * d..]) {
                        *centre = s / count as f64;
                    }
                }
            }
            let next = assign(joint, &centres, d);
            if next == labels {
                break;
            }
            labels = next;
        }
        labels
    }
}

/// The nearest centre of every point; ties go to the lower index.
fn assign(joint: &Joint, centres: &[f64], d: usize) -> Vec<usize> {
    (0..joint.len())
        .into_par_iter()
        .map(|p| {
            let point = joint.point(p);
            centres
                .chunks_exact(d)
                .map(|c| Cost::SqEuclidean.eval(point, c))
                .enumerate()
                .fold((0, f64::INFINITY), |best, (c, dist)| {
                    if dist < best.1 {
                        (c, dist)
                    } else {
                        best
                    }
                })
                .0
        })
        .collect()
}

/// k-means++: the first centre uniformly, each next one with probability proportional to the squared
/// distance to the nearest centre so far.
fn seed_centres(joint: &Joint, clusters: usize, seed: u64) -> Vec<f64> {
    let d = joint.x.dim();
    let mut random = SplitMix64::new(seed);
    let mut centres = Vec::with_capacity(clusters * d);
    centres.extend_from_slice(joint.point(random.below(joint.len())));
    let mut nearest: Vec<f64> = (0..joint.len())
        .into_par_iter()
        .map(|p| Cost::SqEuclidean.eval(joint.point(p), &centres[..d]))
        .collect();
    for _ in 1..clusters {
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
                .unwrap_or(joint.len() - 1)
        } else {
            // Every point sits on a centre already: any point will do.
            random.below(joint.len())
        };
        let start = centres.len();
        centres.extend_from_slice(joint.point(chosen));
        let centre = &centres[start..];
        nearest.par_iter_mut().enumerate().for_each(|(p, w)| {
            *w = w.min(Cost::SqEuclidean.eval(joint.point(p), centre));
        });
    }
    centres
}
