//! Nyström landmarks z_1..z_l, chosen from X ∪ Y.

use crate::cluster::{kmeans, kmeans_plus_plus, Joint};
use crate::numeric::random::SplitMix64;

/// How the landmarks are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandmarkRule {
    /// l distinct points of X ∪ Y, uniformly at random.
    Uniform,
    /// k-means++ seeding alone: spread-out points of X ∪ Y (the LCN paper's choice).
    KMeansPlusPlus,
    /// k-means centres after `iterations` Lloyd steps from k-means++ seeding (not data points).
    KMeans { iterations: usize },
}

impl LandmarkRule {
    /// `l` packed landmarks (l ≤ n + m).
    pub(crate) fn choose(self, joint: &Joint, l: usize, seed: u64) -> Vec<f64> {
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
        }
    }
}
