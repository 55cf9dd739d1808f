//! The sparse kernel: K_ij = exp(−C_ij/ε) at the kept pairs, 0 elsewhere (Sparse Sinkhorn; Klicpera,
//! Lienen and Günnemann 2021). A product costs O(nnz). The pairs and their costs are shared between the
//! kernel at different ε, so ε-scaling costs nothing to rebuild.
//!
//! Beyond the rule's pairs, every line keeps at least `coverage` pairs (its nearest partners), and a
//! balanced solve runs on the pairs plus a transport backbone for its marginals, so that some plan on
//! the pattern has them (`pairs/backbone.rs`).

pub(crate) mod gibbs;
mod locality;
pub(crate) mod pattern;

use std::sync::Arc;

use rayon::prelude::*;

use self::gibbs::SparseGibbs;
use self::pattern::Pattern;
use crate::error::Result;
use crate::geometry::{ensure_same_dimension, Cost, PointCloud, Points};
use crate::kernel::dense::validate_epsilon;
use crate::kernel::pairs::{backbone, LazyIndex, PairMemory, PairOptions};
use crate::kernel::{Gibbs, Kernel, KernelInfo, KernelKind};
use crate::numeric::logsumexp::LogSumExp;
use crate::numeric::parallel::min_rows_per_task;

/// The sparse entropic kernel.
#[derive(Debug, Clone)]
pub struct SparseKernel {
    x: Arc<Points>,
    y: Arc<Points>,
    cost: Cost,
    epsilon: f64,
    pattern: Arc<Pattern>,
    /// The pairs the rule chose, before coverage and the backbone.
    rule_pairs: usize,
    backbone: bool,
    seed: u64,
    index: Arc<LazyIndex>,
}

impl SparseKernel {
    /// Keeps the pairs `pairs` chooses between the points of `x` and `y`.
    pub fn new(
        x: &PointCloud,
        y: &PointCloud,
        cost: Cost,
        epsilon: f64,
        pairs: &PairOptions,
    ) -> Result<Self> {
        Self::remembering(x, y, cost, epsilon, pairs, &mut PairMemory::default())
    }

    /// As [`SparseKernel::new`], with the pairs built from what the previous build on nearby points left
    /// in `memory`, which receives what this build leaves.
    pub(crate) fn remembering(
        x: &PointCloud,
        y: &PointCloud,
        cost: Cost,
        epsilon: f64,
        pairs: &PairOptions,
        memory: &mut PairMemory,
    ) -> Result<Self> {
        ensure_same_dimension(x, y)?;
        validate_epsilon(epsilon)?;
        let (x, y) = (x.to_points()?, y.to_points()?);
        let index = LazyIndex::new(pairs.seed);
        let (rows, rule_pairs) = pairs.rows(&x, &y, cost, epsilon, memory, &index)?;
        let pattern = Pattern::new(&x, &y, cost, rows);
        Ok(SparseKernel {
            x: Arc::new(x),
            y: Arc::new(y),
            cost,
            epsilon,
            pattern: Arc::new(pattern),
            rule_pairs,
            backbone: pairs.backbone,
            seed: pairs.seed,
            index: Arc::new(index),
        })
    }

    /// The kept pairs.
    pub fn nnz(&self) -> usize {
        self.pattern.nnz()
    }

    /// `out_l = log Σ exp(...)` over the entries of line l (a row or a column), which `add_line` feeds
    /// to the accumulator; one task per group of lines, each line summed in its own fixed order.
    fn log_lines(
        &self,
        out: &mut [f64],
        add_line: impl Fn(usize, &mut LogSumExp) + Sync,
    ) -> Result<()> {
        let width = self.nnz() / out.len().max(1) + 1;
        out.par_iter_mut()
            .with_min_len(min_rows_per_task(width))
            .enumerate()
            .for_each(|(line, value)| {
                let mut acc = LogSumExp::default();
                add_line(line, &mut acc);
                *value = acc.value();
            });
        Ok(())
    }
}

impl Kernel for SparseKernel {
    fn shape(&self) -> (usize, usize) {
        self.pattern.shape()
    }

    fn epsilon(&self) -> f64 {
        self.epsilon
    }

    fn info(&self) -> KernelInfo {
        let (n, m) = self.shape();
        KernelInfo {
            kind: KernelKind::Sparse,
            n,
            m,
            epsilon: self.epsilon,
            nnz: self.nnz(),
            landmarks: 0,
            bytes: self.pattern.bytes() + self.x.bytes() + self.y.bytes() + self.nnz() * 8,
            added_pairs: self.nnz() - self.rule_pairs,
            floor_share: 0.0,
        }
    }

    fn log_apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        let costs = self.pattern.costs();
        self.log_lines(out, |i, acc| {
            for k in self.pattern.row(i) {
                acc.add(v[self.pattern.col(k)] - costs[k] / self.epsilon);
            }
        })
    }

    fn log_apply_transpose(&self, u: &[f64], out: &mut [f64]) -> Result<()> {
        let costs = self.pattern.costs();
        self.log_lines(out, |j, acc| {
            for &k in self.pattern.column(j) {
                acc.add(u[self.pattern.row_of(k)] - costs[k] / self.epsilon);
            }
        })
    }

    fn gibbs(&self, f: &[f64], g: &[f64]) -> Result<Box<dyn Gibbs>> {
        Ok(Box::new(SparseGibbs::new(
            Arc::clone(&self.pattern),
            self.epsilon,
            f,
            g,
        )?))
    }

    fn with_epsilon(&self, epsilon: f64) -> Option<Arc<dyn Kernel>> {
        Some(Arc::new(SparseKernel {
            epsilon,
            ..self.clone()
        }))
    }

    fn for_marginals(&self, a: &[f64], b: &[f64], balanced: bool) -> Option<Arc<dyn Kernel>> {
        if !(balanced && self.backbone) {
            return None;
        }
        let index = self.index.get(&self.x, &self.y);
        let mut rows = self.pattern.rows();
        for (row, extra) in rows
            .iter_mut()
            .zip(backbone(index, &self.x, &self.y, a, b, self.seed))
        {
            row.extend(extra);
        }
        Some(Arc::new(SparseKernel {
            pattern: Arc::new(Pattern::new(&self.x, &self.y, self.cost, rows)),
            ..self.clone()
        }))
    }

    fn geometry(&self) -> Option<(&Points, &Points, Cost)> {
        Some((&self.x, &self.y, self.cost))
    }

    fn failure_advice(&self) -> &'static str {
        "the line has no kept pair: keep a coverage of at least 1 (the default is 2), keep more pairs, or \
         use the LCN kernel"
    }
}
