//! Which pairs (i, j) of two point clouds a sparse kernel (or LCN's correction) keeps. Every rule is
//! deterministic: for a given seed the pairs do not depend on the number of threads.

mod buckets;
mod kmeans;
mod lsh;
mod memory;
mod neighbours;
mod truncation;

use crate::error::{Error, Result};
use crate::geometry::{Cost, Points};

pub use self::kmeans::KMeans;
pub use self::lsh::AngularLsh;
pub(crate) use self::memory::PairMemory;

/// A rule for choosing pairs.
#[derive(Debug, Clone, PartialEq)]
pub enum PairRule {
    /// Cluster X ∪ Y jointly by k-means (k-means++ seeding, then Lloyd iterations), flat or hierarchical,
    /// and keep the pairs that share a bucket; `rounds` clusterings from different seeds are OR-ed.
    KMeans(KMeans),
    /// Hash X ∪ Y by angular LSH and keep the pairs that share a band's bucket in any band.
    AngularLsh(AngularLsh),
    /// Keep each point's `k` nearest points of the other cloud (by the cost), both ways.
    NearestNeighbours { k: usize },
    /// Keep the pairs with C_ij ≤ factor · ε.
    Truncation { factor: f64 },
}

fn at_least_one(arg: &'static str, value: usize, what: &str) -> Result<()> {
    if value == 0 {
        Err(Error::invalid(
            arg,
            format!("0 {what}; at least 1 is needed"),
        ))
    } else {
        Ok(())
    }
}

impl PairRule {
    /// Checks the rule's own parameters (those that do not depend on the point clouds).
    pub fn validate(&self) -> Result<()> {
        match self {
            PairRule::KMeans(kmeans) => {
                if kmeans.branching.is_empty() {
                    return Err(Error::invalid("levels", "no level; at least 1 is needed"));
                }
                for &clusters in &kmeans.branching {
                    at_least_one("clusters", clusters, "clusters")?;
                }
                at_least_one("rounds", kmeans.rounds, "rounds")?;
                if kmeans.buckets().is_none() {
                    return Err(Error::invalid(
                        "clusters",
                        "the product of the clusters per level exceeds 2^64",
                    ));
                }
            }
            PairRule::AngularLsh(lsh) => {
                if lsh.buckets < 2 || lsh.buckets % 2 != 0 {
                    return Err(Error::invalid(
                        "buckets",
                        format!(
                            "{} buckets; angular LSH needs an even number, at least 2 (the argmax runs \
                             over buckets/2 directions and their opposites)",
                            lsh.buckets
                        ),
                    ));
                }
                at_least_one("hashes", lsh.hashes, "hashes")?;
                at_least_one("bands", lsh.bands, "bands")?;
                if lsh.band_ids().is_none() {
                    return Err(Error::invalid(
                        "hashes",
                        format!(
                            "buckets^hashes = {}^{} exceeds 2^64",
                            lsh.buckets, lsh.hashes
                        ),
                    ));
                }
            }
            PairRule::NearestNeighbours { k } => at_least_one("k", *k, "neighbours")?,
            PairRule::Truncation { factor } => {
                if !(factor.is_finite() && *factor > 0.0) {
                    return Err(Error::invalid(
                        "factor",
                        format!("{factor} is not a positive finite number"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Each row's kept columns (unsorted, possibly repeated). `memory` holds what the last build with this
    /// rule left (empty for a first build), and receives what this one leaves.
    pub(crate) fn rows(
        &self,
        x: &Points,
        y: &Points,
        cost: Cost,
        epsilon: f64,
        seed: u64,
        memory: &mut PairMemory,
    ) -> Result<Vec<Vec<u32>>> {
        self.validate()?;
        if y.len() > u32::MAX as usize {
            return Err(Error::invalid(
                "m",
                format!(
                    "{} target points; a sparse kernel holds at most 2^32 - 1",
                    y.len()
                ),
            ));
        }
        Ok(match self {
            PairRule::KMeans(kmeans) => {
                // Deeper levels split each cluster into at most as many parts as it has points.
                let (points, clusters) = (x.len() + y.len(), kmeans.branching[0]);
                if clusters > points {
                    return Err(Error::invalid(
                        "clusters",
                        format!(
                            "{clusters} clusters for {points} points (n + m); at most one per point"
                        ),
                    ));
                }
                kmeans.rows(x, y, seed, memory)
            }
            PairRule::AngularLsh(lsh) => lsh.rows(x, y, seed),
            PairRule::NearestNeighbours { k } => neighbours::rows(x, y, cost, *k),
            PairRule::Truncation { factor } => truncation::rows(x, y, cost, factor * epsilon),
        })
    }
}
