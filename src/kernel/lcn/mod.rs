//! The locally corrected Nyström (LCN) kernel of Klicpera, Lienen and Günnemann (ICML 2021):
//! `K_LCN = K_Nys − K_Nys^sp + K^sp`, the Nyström approximation made exact at a sparse set of pairs. The
//! Nyström part carries the kernel's global, low-rank structure; the pairs, chosen among near neighbours,
//! carry the large entries Nyström misses at small ε. A product costs O((n + m)·l + nnz).
//!
//! The landmarks and the pairs are chosen independently (the authors advise different clusterings for
//! the two), and both are kept across ε.

mod correction;
mod gibbs;

use std::sync::Arc;

use self::correction::correction;
use self::gibbs::LcnGibbs;
use crate::error::Result;
use crate::geometry::{Cost, PointCloud, Points};
use crate::kernel::dense::validate_epsilon;
use crate::kernel::nystrom::{Direction, Landmarked, NystromKernel, NystromOptions};
use crate::kernel::pairs::{PairMemory, PairRule};
use crate::kernel::sparse::gibbs::SparseGibbs;
use crate::kernel::sparse::pattern::Pattern;
use crate::kernel::{Gibbs, Kernel, KernelInfo, KernelKind};
use crate::numeric::exp::exp;
use crate::numeric::signed_logsum::SignedLog;

/// What to try when an LCN sum is not positive.
const ADVICE: &str = "use more landmarks, keep more pairs, or use a larger epsilon";

/// The LCN entropic kernel.
#[derive(Debug, Clone)]
pub struct LcnKernel {
    nystrom: NystromKernel,
    pattern: Arc<Pattern>,
    /// Δ at each kept pair, in the pattern's row order.
    correction: Arc<Vec<SignedLog>>,
}

impl LcnKernel {
    /// Nyström on `landmarks`, corrected at the pairs `rule` keeps (seeded by `seed`).
    pub fn new(
        x: &PointCloud,
        y: &PointCloud,
        cost: Cost,
        epsilon: f64,
        landmarks: &NystromOptions,
        rule: &PairRule,
        seed: u64,
    ) -> Result<Self> {
        Self::remembering(
            x,
            y,
            cost,
            epsilon,
            landmarks,
            rule,
            seed,
            &mut PairMemory::default(),
        )
    }

    /// As [`LcnKernel::new`], with the pairs built from what the previous build on nearby points left in
    /// `memory`, which receives what this build leaves.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn remembering(
        x: &PointCloud,
        y: &PointCloud,
        cost: Cost,
        epsilon: f64,
        landmarks: &NystromOptions,
        rule: &PairRule,
        seed: u64,
        memory: &mut PairMemory,
    ) -> Result<Self> {
        validate_epsilon(epsilon)?;
        rule.validate()?;
        let landmarked = Landmarked::new(x, y, cost, landmarks)?;
        let rows = rule.rows(&landmarked.x, &landmarked.y, cost, epsilon, seed, memory)?;
        let pattern = Pattern::new(&landmarked.x, &landmarked.y, cost, rows);
        let nystrom =
            NystromKernel::from_landmarked(Arc::new(landmarked), landmarks.clone(), epsilon)?;
        Ok(Self::corrected(nystrom, Arc::new(pattern)))
    }

    fn corrected(nystrom: NystromKernel, pattern: Arc<Pattern>) -> Self {
        let correction = Arc::new(correction(&nystrom, &pattern));
        LcnKernel {
            nystrom,
            pattern,
            correction,
        }
    }

    pub fn nnz(&self) -> usize {
        self.pattern.nnz()
    }

    pub fn landmarks(&self) -> usize {
        self.nystrom.landmarks()
    }
}

impl Kernel for LcnKernel {
    fn shape(&self) -> (usize, usize) {
        self.nystrom.shape()
    }

    fn epsilon(&self) -> f64 {
        self.nystrom.epsilon()
    }

    fn info(&self) -> KernelInfo {
        let nystrom = self.nystrom.info();
        KernelInfo {
            kind: KernelKind::Lcn,
            nnz: self.nnz(),
            bytes: nystrom.bytes
                + self.pattern.bytes()
                + self.nnz() * (std::mem::size_of::<SignedLog>() + 8),
            ..nystrom
        }
    }

    fn log_apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        self.nystrom.log_lines(
            Direction::Rows,
            v,
            out,
            |i, acc| {
                for k in self.pattern.row(i) {
                    let delta = self.correction[k];
                    acc.add(delta.log + v[self.pattern.col(k)], delta.sign);
                }
            },
            ADVICE,
        )
    }

    fn log_apply_transpose(&self, u: &[f64], out: &mut [f64]) -> Result<()> {
        self.nystrom.log_lines(
            Direction::Columns,
            u,
            out,
            |j, acc| {
                for &k in self.pattern.column(j) {
                    let delta = self.correction[k];
                    acc.add(delta.log + u[self.pattern.row_of(k)], delta.sign);
                }
            },
            ADVICE,
        )
    }

    fn gibbs(&self, f: &[f64], g: &[f64]) -> Result<Box<dyn Gibbs>> {
        let epsilon = self.epsilon();
        let correction = SparseGibbs::from_entries(Arc::clone(&self.pattern), |k, i, j| {
            let delta = self.correction[k];
            delta.sign * exp(delta.log + (f[i] + g[j]) / epsilon)
        })?;
        Ok(Box::new(LcnGibbs {
            nystrom: self.nystrom.absorbed(f, g)?,
            correction,
        }))
    }

    fn with_epsilon(&self, epsilon: f64) -> Option<Arc<dyn Kernel>> {
        let nystrom = NystromKernel::from_landmarked(
            Arc::clone(self.nystrom.landmarked()),
            self.nystrom.options().clone(),
            epsilon,
        )
        .ok()?;
        Some(Arc::new(Self::corrected(
            nystrom,
            Arc::clone(&self.pattern),
        )))
    }

    fn geometry(&self) -> Option<(&Points, &Points, Cost)> {
        self.nystrom.geometry()
    }
}
