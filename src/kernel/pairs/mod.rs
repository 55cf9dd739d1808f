//! Which pairs (i, j) of two point clouds a sparse kernel (or LCN's correction) keeps. Every rule is
//! deterministic: for a given seed the pairs do not depend on the number of threads.

mod kmeans;
mod neighbours;
mod truncation;

use crate::error::{Error, Result};
use crate::geometry::{Cost, Points};

pub use self::kmeans::KMeans;

/// A rule for choosing pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PairRule {
    /// Cluster X ∪ Y jointly by k-means (k-means++ seeding, then Lloyd iterations) and keep the pairs
    /// that share a cluster; `rounds` clusterings from different seeds are OR-ed.
    KMeans(KMeans),
    /// Keep each point's `k` nearest points of the other cloud (by the cost), both ways.
    NearestNeighbours { k: usize },
    /// Keep the pairs with C_ij ≤ factor · ε.
    Truncation { factor: f64 },
}

impl PairRule {
    /// Each row's kept columns (unsorted, possibly repeated).
    pub(crate) fn rows(
        &self,
        x: &Points,
        y: &Points,
        cost: Cost,
        epsilon: f64,
        seed: u64,
    ) -> Result<Vec<Vec<u32>>> {
        if y.len() > u32::MAX as usize {
            return Err(Error::invalid(
                "m",
                format!(
                    "{} target points; a sparse kernel holds at most 2^32 - 1",
                    y.len()
                ),
            ));
        }
        Ok(match *self {
            PairRule::KMeans(kmeans) => {
                if kmeans.clusters > x.len() + y.len() {
                    return Err(Error::invalid(
                        "clusters",
                        format!(
                            "{} clusters for {} points (n + m); at most one per point",
                            kmeans.clusters,
                            x.len() + y.len()
                        ),
                    ));
                }
                kmeans.rows(x, y, seed)
            }
            PairRule::NearestNeighbours { k } => neighbours::rows(x, y, cost, k),
            PairRule::Truncation { factor } => truncation::rows(x, y, cost, factor * epsilon),
        })
    }
}
