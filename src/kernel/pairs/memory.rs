//! What one build of the pairs leaves for the next build on points that moved a little, as in the
//! consecutive steps of an alignment, where the targets Y Rᵀ turn slowly and X stays.

use crate::cluster::Hierarchy;

/// The centres of the last k-means bucketing, one hierarchy per round. A build that finds them starts
/// Lloyd's iterations there instead of seeding: the buckets are those of a k-means run on the new points,
/// found in a few passes instead of one pass per seeded centre. Other rules keep nothing: LSH's
/// hyperplanes come from the seed alone, and neighbours and truncation are recomputed exactly.
#[derive(Debug, Clone, Default)]
pub(crate) struct PairMemory {
    pub(super) kmeans_rounds: Vec<Hierarchy>,
}
