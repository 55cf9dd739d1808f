//! Angular locality-sensitive hashing, cross-polytope style (Andoni et al. 2015, as the LCN paper uses
//! it): with a Gaussian d×(B/2) matrix R, a point's bucket is the argmax of [Rᵀx, −Rᵀx], so points at a
//! small angle tend to share it. Within a band, several hashes are AND-ed (the bucket is the tuple of
//! their ids); bands are OR-ed.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

use super::buckets::append_matches;
use crate::cluster::Joint;
use crate::error::{checked_product, try_zeroed, Error, Result};
use crate::geometry::Points;
use crate::numeric::random::SplitMix64;

/// Points hashed per matrix product, at most.
const BLOCK: usize = 256;
/// Projections per matrix product, at most (16 MB of f64), so that a wide band hashes fewer points at once.
const BLOCK_VALUES: usize = 1 << 21;
/// Directions per band allowed beyond one per point: a band with more directions than points spreads
/// them over buckets that stay empty, so the cap only refuses settings that cannot pay off.
const MIN_DIRECTIONS_CAP: usize = 1 << 16;

/// The angular LSH rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AngularLsh {
    /// Buckets per hash: even, at least 2 (the argmax runs over B/2 directions and their opposites).
    pub buckets: usize,
    /// Hashes AND-ed within a band, at least 1; `buckets^hashes` must fit in 64 bits.
    pub hashes: usize,
    /// Bands OR-ed, at least 1.
    pub bands: usize,
}

impl AngularLsh {
    /// The number of distinct band ids, or `None` when it does not fit in 64 bits.
    pub fn band_ids(&self) -> Option<u64> {
        (self.buckets as u64).checked_pow(u32::try_from(self.hashes).ok()?)
    }

    /// Each row's kept columns. Refuses a band of more than max(n + m, 2¹⁶) directions
    /// (buckets/2 · hashes), and reports a direction matrix that does not fit as out of memory.
    pub(super) fn rows(&self, x: &Points, y: &Points, seed: u64) -> Result<Vec<Vec<u32>>> {
        let joint = Joint::new(x, y);
        let width = checked_product("buckets", self.buckets / 2, self.hashes)?;
        let cap = joint.len().max(MIN_DIRECTIONS_CAP);
        if width > cap {
            return Err(Error::invalid(
                "buckets",
                format!(
                    "{} buckets and {} hashes make {width} directions per band for {} points; at most \
                     {cap} (the larger of n + m and 2^16) can give non-empty buckets",
                    self.buckets,
                    self.hashes,
                    joint.len()
                ),
            ));
        }
        let n = x.len();
        let mut rows = vec![Vec::new(); n];
        let mut random = SplitMix64::new(seed);
        for _ in 0..self.bands {
            let ids = self.band(&joint, width, &mut random)?;
            append_matches(&mut rows, &ids[..n], &ids[n..]);
        }
        Ok(rows)
    }

    /// Every joint point's id in one band of `width` directions.
    fn band(&self, joint: &Joint, width: usize, random: &mut SplitMix64) -> Result<Vec<u64>> {
        let d = joint.dim();
        let half = self.buckets / 2;
        // Column h·half + k of R is direction k of hash h.
        let mut directions =
            try_zeroed::<f64>(checked_product("buckets", d, width)?, "LSH directions")?;
        directions.iter_mut().for_each(|r| *r = random.normal());
        let directions = MatRef::from_row_major_slice(&directions, d, width);
        let block_len = (BLOCK_VALUES / width).clamp(1, BLOCK);
        let mut ids = vec![0u64; joint.len()];
        ids.par_chunks_mut(block_len)
            .enumerate()
            .for_each(|(block, ids)| {
                let start = block * block_len;
                let mut coordinates = Vec::with_capacity(ids.len() * d);
                for p in start..start + ids.len() {
                    coordinates.extend_from_slice(joint.point(p));
                }
                let points = MatRef::from_row_major_slice(&coordinates, ids.len(), d);
                let mut projections = Mat::<f64>::zeros(ids.len(), width);
                matmul(
                    projections.as_mut(),
                    Accum::Replace,
                    points,
                    directions,
                    1.0,
                    Par::Seq,
                );
                for (r, id) in ids.iter_mut().enumerate() {
                    *id = (0..self.hashes).rev().fold(0u64, |acc, h| {
                        let bucket = (0..half)
                            .map(|k| projections[(r, h * half + k)])
                            .enumerate()
                            .fold((0, f64::NEG_INFINITY), |best, (k, v)| {
                                let (bucket, value) =
                                    if v >= 0.0 { (k, v) } else { (k + half, -v) };
                                if value > best.1 {
                                    (bucket, value)
                                } else {
                                    best
                                }
                            })
                            .0;
                        acc * self.buckets as u64 + bucket as u64
                    });
                }
            });
        Ok(ids)
    }
}
