//! The locally corrected Nyström (LCN) kernel of Klicpera, Lienen and Günnemann (ICML 2021):
//! `K_LCN = K_Nys − K_Nys^sp + K^sp`, the Nyström approximation made exact at a sparse set of pairs. The
//! Nyström part carries the kernel's global, low-rank structure; the pairs, chosen among near neighbours,
//! carry the large entries Nyström misses at small ε. A product costs O((n + m)·l + nnz).
//!
//! The landmarks and the pairs are chosen independently (the authors advise different clusterings for
//! the two), and both are kept across ε. The kernel is `Corrected` (`kernel/corrected`), so lines the
//! Nyström part cannot be trusted on fall back to exact pairs.

use std::sync::Arc;

use crate::error::Result;
use crate::geometry::{Cost, PointCloud};
use crate::kernel::corrected::{delegate_kernel, Corrected};
use crate::kernel::dense::validate_epsilon;
use crate::kernel::nystrom::{Landmarked, LowRank, NystromOptions};
use crate::kernel::pairs::{LazyIndex, PairMemory, PairOptions};
use crate::kernel::KernelKind;

/// The LCN entropic kernel.
#[derive(Debug, Clone)]
pub struct LcnKernel(Corrected);

impl LcnKernel {
    /// Nyström on `landmarks`, corrected at the pairs `pairs` chooses.
    pub fn new(
        x: &PointCloud,
        y: &PointCloud,
        cost: Cost,
        epsilon: f64,
        landmarks: &NystromOptions,
        pairs: &PairOptions,
    ) -> Result<Self> {
        Self::remembering(
            x,
            y,
            cost,
            epsilon,
            landmarks,
            pairs,
            &mut PairMemory::default(),
        )
    }

    /// As [`LcnKernel::new`], with the pairs built from what the previous build on nearby points left in
    /// `memory`, which receives what this build leaves.
    pub(crate) fn remembering(
        x: &PointCloud,
        y: &PointCloud,
        cost: Cost,
        epsilon: f64,
        landmarks: &NystromOptions,
        pairs: &PairOptions,
        memory: &mut PairMemory,
    ) -> Result<Self> {
        validate_epsilon(epsilon)?;
        pairs.validate()?;
        let landmarked = Arc::new(Landmarked::new(x, y, cost, epsilon, landmarks)?);
        let index = LazyIndex::new(pairs.seed);
        let (rows, rule_pairs) =
            pairs.rows(&landmarked.x, &landmarked.y, cost, epsilon, memory, &index)?;
        let low_rank = LowRank::new(landmarked, landmarks.clone(), epsilon)?;
        Ok(LcnKernel(Corrected::new(
            KernelKind::Lcn,
            low_rank,
            rows,
            rule_pairs,
        )))
    }

    /// The kept pairs of the sparse correction.
    pub fn nnz(&self) -> usize {
        self.0.nnz()
    }

    /// The number of landmarks.
    pub fn landmarks(&self) -> usize {
        self.0.landmarks()
    }
}

delegate_kernel!(LcnKernel);
