//! Nyström landmarks z_1..z_l, chosen from X ∪ Y.

use rayon::prelude::*;

use crate::cluster::{kmeans, kmeans_plus_plus, Joint};
use crate::geometry::Cost;
use crate::numeric::exp::exp;
use crate::numeric::random::SplitMix64;

/// How the landmarks are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandmarkRule {
    /// l distinct points of X ∪ Y, uniformly at random.
    Uniform,
    /// k-means++ seeding alone: spread-out points of X ∪ Y (the LCN paper's choice).
    KMeansPlusPlus,
    /// k-means centres after `iterations` Lloyd steps from k-means++ seeding (not data points).
    KMeans {
        /// Lloyd steps.
        iterations: usize,
    },
    /// Greedy, as pivoted Cholesky: each landmark is the point of X ∪ Y that the landmarks before it
    /// represent worst, the largest Nyström residual 1 − K̂_Nys(p, p) of the kernel at the build's ε.
    /// It keeps the largest residual, and so the kernel's floor, as small as one greedy choice can.
    Pivoted,
}

impl LandmarkRule {
    /// `l` packed landmarks (l ≤ n + m) for the kernel of `cost` at `epsilon`.
    pub(crate) fn choose(
        self,
        joint: &Joint,
        l: usize,
        seed: u64,
        cost: Cost,
        epsilon: f64,
    ) -> Vec<f64> {
        let mut random = SplitMix64::new(seed);
        let everyone = joint.everyone();
        match self {
            LandmarkRule::Uniform => {
                // A partial Fisher–Yates shuffle: the first l entries become a uniform sample.
                let mut order = everyone;
                let mut landmarks = Vec::with_capacity(l * joint.dim());
                for a in 0..l {
                    let pick = a + random.below(order.len() - a);
                    order.swap(a, pick);
                    landmarks.extend_from_slice(joint.point(order[a]));
                }
                landmarks
            }
            LandmarkRule::KMeansPlusPlus => kmeans_plus_plus(joint, &everyone, l, &mut random),
            LandmarkRule::KMeans { iterations } => {
                kmeans(joint, &everyone, l, iterations, &mut random).centres
            }
            LandmarkRule::Pivoted => pivoted(joint, l, cost, epsilon),
        }
    }
}

/// Pivoted Cholesky of the normalised kernel K̂(p, q) = e^{−(C(p,q) − s_p − s_q)/ε} over X ∪ Y, stopped
/// after `l` pivots: the residuals start at K̂(p, p) = 1, and each pivot is the point with the largest
/// residual (the lowest index among ties), whose Cholesky column lowers every residual by its square.
/// Costs O((n + m)·l·(d + l)); the result does not depend on the number of threads.
fn pivoted(joint: &Joint, l: usize, cost: Cost, epsilon: f64) -> Vec<f64> {
    let count = joint.len();
    let own: Vec<f64> = (0..count)
        .into_par_iter()
        .map(|p| cost.eval(joint.point(p), joint.point(p)) / 2.0)
        .collect();
    let mut residual = vec![1.0f64; count];
    let mut columns: Vec<Vec<f64>> = Vec::with_capacity(l);
    let mut landmarks = Vec::with_capacity(l * joint.dim());
    for _ in 0..l {
        let pivot = (0..count).fold(0, |best, p| {
            if residual[p] > residual[best] {
                p
            } else {
                best
            }
        });
        let (z, scale) = (
            joint.point(pivot),
            residual[pivot].max(f64::MIN_POSITIVE).sqrt(),
        );
        landmarks.extend_from_slice(z);
        let previous: Vec<f64> = columns.iter().map(|column| column[pivot]).collect();
        let column: Vec<f64> = (0..count)
            .into_par_iter()
            .with_min_len(1024)
            .map(|p| {
                let kernel = exp(-(cost.eval(joint.point(p), z) - own[p] - own[pivot]) / epsilon);
                let projected: f64 = columns.iter().zip(&previous).map(|(c, v)| c[p] * v).sum();
                (kernel - projected) / scale
            })
            .collect();
        residual
            .par_iter_mut()
            .zip(&column)
            .for_each(|(r, c)| *r = (*r - c * c).max(0.0));
        residual[pivot] = 0.0;
        columns.push(column);
    }
    landmarks
}
