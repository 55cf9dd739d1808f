//! Which pairs (i, j) of two point clouds a sparse kernel (or LCN's correction) keeps. Every rule is
//! deterministic: for a given seed the pairs do not depend on the number of threads.

mod backbone;
mod buckets;
mod kmeans;
mod lsh;
mod memory;
mod neighbours;
mod partners;
mod siblings;
mod truncation;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::geometry::{Cost, Points};

pub(crate) use self::backbone::backbone;
pub use self::kmeans::KMeans;
pub use self::lsh::AngularLsh;
pub(crate) use self::memory::PairMemory;
pub(crate) use self::partners::{LazyIndex, Side};
use self::siblings::Siblings;

/// Every row and column keeps at least this many pairs by default: lines the rule leaves with fewer
/// get their nearest partners of the other cloud.
pub const DEFAULT_COVERAGE: usize = 2;

/// How a sparse kernel, or LCN's correction, chooses its pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct PairOptions {
    /// Which pairs are kept.
    pub rule: PairRule,
    /// Seeds the randomised rules (k-means, LSH) and the partner index.
    pub seed: u64,
    /// Every row and column with fewer kept pairs than this gets its nearest partners of the other
    /// cloud, up to this many (among its k-means split's buckets where the rule has them, else through
    /// a coarse clustering of X ∪ Y); 0 switches it off.
    pub coverage: usize,
    /// A balanced solve on a sparse kernel adds a transport backbone to the pairs, the support of one
    /// plan with the solve's marginals (`backbone.rs`), so that Sinkhorn can converge. Off, a pattern
    /// that admits no such plan leaves the solve at its iteration cap.
    pub backbone: bool,
}

impl PairOptions {
    /// `rule` with seed 0, the default coverage and the backbone.
    pub fn new(rule: PairRule) -> Self {
        PairOptions {
            rule,
            seed: 0,
            coverage: DEFAULT_COVERAGE,
            backbone: true,
        }
    }

    /// The sparse kernel's defaults: joint k-means into 100 buckets, 1 round, 20 Lloyd iterations.
    pub fn sparse_default() -> Self {
        Self::new(PairRule::KMeans(KMeans::flat(100, 1, 20)))
    }

    /// The LCN kernel's defaults for `points` = n + m: the LCN paper's hierarchical k-means 10 × 100,
    /// 1 round, 10 Lloyd iterations (the first level at most one cluster per point).
    pub fn lcn_default(points: usize) -> Self {
        Self::new(PairRule::KMeans(KMeans {
            branching: vec![10.min(points), 100],
            rounds: 1,
            iterations: 10,
        }))
    }
}

/// A rule for choosing pairs.
#[derive(Debug, Clone, PartialEq)]
pub enum PairRule {
    /// Cluster X ∪ Y jointly by k-means (k-means++ seeding, then Lloyd iterations), flat or hierarchical,
    /// and keep the pairs that share a bucket; `rounds` clusterings from different seeds are OR-ed.
    KMeans(KMeans),
    /// Hash X ∪ Y by angular LSH and keep the pairs that share a band's bucket in any band.
    AngularLsh(AngularLsh),
    /// Keep each point's `k` nearest points of the other cloud (by the cost), both ways.
    NearestNeighbours {
        /// Neighbours per point, at least 1.
        k: usize,
    },
    /// Keep the pairs with C_ij ≤ factor · ε.
    Truncation {
        /// The cost threshold as a multiple of ε, > 0.
        factor: f64,
    },
}

/// The most k-means rounds or LSH bands a rule may OR: each adds at most one bucket's pairs per point,
/// at the cost of a whole clustering or hashing of X ∪ Y, and no build can be cancelled. Past a few
/// dozen, a k-NN or dense kernel keeps the same pairs for less.
pub const MAX_REPEATS: usize = 256;

/// Refuses 0, or more than [`MAX_REPEATS`], k-means rounds or LSH bands.
fn repeats(arg: &'static str, value: usize) -> Result<()> {
    at_least_one(arg, value, arg)?;
    if value > MAX_REPEATS {
        return Err(Error::invalid(
            arg,
            format!("{value} {arg}; at most {MAX_REPEATS}, each a whole pass over the points"),
        ));
    }
    Ok(())
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
                let arg = kmeans.arg();
                for &clusters in &kmeans.branching {
                    at_least_one(arg, clusters, "clusters")?;
                }
                repeats("rounds", kmeans.rounds)?;
                if kmeans.buckets().is_none() {
                    return Err(Error::invalid(
                        arg,
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
                repeats("bands", lsh.bands)?;
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

    /// Each row's kept columns (unsorted, possibly repeated), and for k-means the first round's bucket
    /// of every joint point (empty for the other rules). `memory` holds what the last build with this
    /// rule left (empty for a first build), and receives what this one leaves.
    fn rows(
        &self,
        x: &Points,
        y: &Points,
        cost: Cost,
        epsilon: f64,
        seed: u64,
        memory: &mut PairMemory,
    ) -> Result<(Vec<Vec<u32>>, Vec<u64>)> {
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
                        kmeans.arg(),
                        format!(
                            "{clusters} clusters for {points} points (n + m); at most one per point"
                        ),
                    ));
                }
                kmeans.rows(x, y, seed, memory)
            }
            PairRule::AngularLsh(lsh) => (lsh.rows(x, y, seed)?, Vec::new()),
            PairRule::NearestNeighbours { k } => (neighbours::rows(x, y, cost, *k), Vec::new()),
            PairRule::Truncation { factor } => {
                (truncation::rows(x, y, cost, factor * epsilon), Vec::new())
            }
        })
    }
}

impl PairOptions {
    /// Checks the options that do not depend on the point clouds.
    pub fn validate(&self) -> Result<()> {
        self.rule.validate()
    }

    /// Each row's kept columns, sorted and distinct, with every line covered as `coverage` asks
    /// (through the k-means rule's sibling buckets where it has them, else through `index`, built only
    /// if a line needs it); and how many pairs the rule itself kept.
    pub(crate) fn rows(
        &self,
        x: &Points,
        y: &Points,
        cost: Cost,
        epsilon: f64,
        memory: &mut PairMemory,
        index: &LazyIndex,
    ) -> Result<(Vec<Vec<u32>>, usize)> {
        let (mut rows, buckets) = self.rule.rows(x, y, cost, epsilon, self.seed, memory)?;
        sort_distinct(&mut rows);
        let kept = rows.iter().map(Vec::len).sum();
        let siblings = match (&self.rule, memory.kmeans_rounds.first()) {
            (PairRule::KMeans(kmeans), Some(hierarchy)) if self.coverage > 0 => Some(
                Siblings::new(hierarchy, &buckets, &kmeans.branching, x.len()),
            ),
            _ => None,
        };
        let partners = Partners {
            siblings,
            index,
            clouds: (x, y, cost),
        };
        cover(&mut rows, &partners, self.coverage);
        Ok((rows, kept))
    }
}

fn sort_distinct(rows: &mut [Vec<u32>]) {
    rows.par_iter_mut().for_each(|cols| {
        cols.sort_unstable();
        cols.dedup();
    });
}

/// Where a short line's partners come from: the sibling buckets of the rule's clustering first, where
/// there is one, and the partner index for the queries those cannot answer.
struct Partners<'a> {
    siblings: Option<Siblings<'a>>,
    index: &'a LazyIndex,
    clouds: (&'a Points, &'a Points, Cost),
}

impl Partners<'_> {
    /// Each query's `k` nearest partners (an index into the cloud of `side`), or all of the other cloud
    /// where it has fewer than `k` points.
    fn nearest(&self, side: Side, queries: &[usize], k: usize) -> Vec<Vec<u32>> {
        let (x, y, cost) = self.clouds;
        let k = k.min(match side {
            Side::Rows => y.len(),
            Side::Columns => x.len(),
        });
        let mut found: Vec<Option<Vec<u32>>> = match &self.siblings {
            Some(siblings) => siblings.nearest(self.clouds, side, queries, k),
            None => vec![None; queries.len()],
        };
        let unanswered: Vec<usize> = (0..queries.len()).filter(|&q| found[q].is_none()).collect();
        if !unanswered.is_empty() {
            let rest: Vec<usize> = unanswered.iter().map(|&q| queries[q]).collect();
            let answers = self.index.get(x, y).nearest(x, y, cost, side, &rest, k);
            for (q, answer) in unanswered.into_iter().zip(answers) {
                found[q] = Some(answer);
            }
        }
        found.into_iter().flatten().collect()
    }
}

/// Gives every row and column of `rows` (sorted, distinct) at least `minimum` pairs: a line with fewer
/// gets its `minimum` nearest partners. Columns are counted after the rows are covered, so a column
/// whose sources gained it as a partner needs no search of its own.
fn cover(rows: &mut [Vec<u32>], partners: &Partners, minimum: usize) {
    if minimum == 0 {
        return;
    }
    let short: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].len() < minimum)
        .collect();
    if !short.is_empty() {
        let found = partners.nearest(Side::Rows, &short, minimum);
        for (&i, partners) in short.iter().zip(found) {
            rows[i].extend(partners);
        }
        sort_distinct(rows);
    }
    let m = partners.clouds.1.len();
    let mut counts = vec![0usize; m];
    for &j in rows.iter().flatten() {
        counts[j as usize] += 1;
    }
    let short: Vec<usize> = (0..m).filter(|&j| counts[j] < minimum).collect();
    if !short.is_empty() {
        let found = partners.nearest(Side::Columns, &short, minimum);
        for (&j, partners) in short.iter().zip(found) {
            for i in partners {
                rows[i as usize].push(j as u32);
            }
        }
        sort_distinct(rows);
    }
}
