//! A Nyström approximation made exact at a set of pairs: the kernel of LCN (Klicpera, Lienen and
//! Günnemann, ICML 2021), and of Nyström, which is LCN without pairs.
//!
//!   K̃ = K_Nys + βρρᵀ + Σ_{(i,j)∈S} (K_ij − (K_Nys + βρρᵀ)_ij) e_i e_jᵀ,
//!
//! with ρρᵀ the floor that makes K_Nys + ρρᵀ ≥ K entrywise (`nystrom/factor.rs`): K̃ is exact on the
//! kept pairs S, and at β = 1 at least the exact kernel elsewhere, so that no entry is negative. The
//! floor is loose, so a kernel starts at β = 0, plain LCN or Nyström, and a solve that finds a sum that
//! is not positive raises β just past what that sum needs ([`Corrected::repaired`]). A product costs
//! O((n + m)·l + nnz) and nothing of size n×m is allocated.

mod correction;
mod gibbs;

use std::sync::Arc;

use self::correction::correction;
use self::gibbs::CorrectedGibbs;
use crate::error::{Line, Result};
use crate::geometry::{Cost, Points};
use crate::kernel::nystrom::{Direction, LowRank};
use crate::kernel::sparse::gibbs::SparseGibbs;
use crate::kernel::sparse::pattern::Pattern;
use crate::kernel::{Gibbs, KernelInfo, KernelKind};
use crate::numeric::exp::exp;
use crate::numeric::logsumexp::LogSumExp;
use crate::numeric::signed_logsum::{SignedLog, SignedLogSum};

/// The corrected kernel; [`crate::NystromKernel`] and [`crate::LcnKernel`] wrap it.
#[derive(Debug, Clone)]
pub(crate) struct Corrected {
    kind: KernelKind,
    low_rank: LowRank,
    pattern: Arc<Pattern>,
    /// Δ at each kept pair, in the pattern's row order.
    correction: Arc<Vec<SignedLog>>,
    /// The pairs the pair rule kept, before the partners that cover lines.
    rule_pairs: usize,
    floor_share: f64,
}

impl Corrected {
    /// The kernel of `low_rank` corrected at `rows` (each row's kept columns, sorted and distinct, of
    /// which the pair rule chose `rule_pairs`).
    pub fn new(
        kind: KernelKind,
        low_rank: LowRank,
        rows: Vec<Vec<u32>>,
        rule_pairs: usize,
    ) -> Self {
        let l = &low_rank.landmarked;
        let pattern = Pattern::new(&l.x, &l.y, l.cost, rows);
        Self::at(kind, low_rank, Arc::new(pattern), rule_pairs)
    }

    fn at(kind: KernelKind, low_rank: LowRank, pattern: Arc<Pattern>, rule_pairs: usize) -> Self {
        let correction = correction(&low_rank, &pattern);
        let mut kernel = Corrected {
            kind,
            low_rank,
            pattern,
            correction: Arc::new(correction),
            rule_pairs,
            floor_share: 0.0,
        };
        kernel.floor_share = kernel.floor_share();
        kernel
    }

    /// The share of Σ_ij K̃_ij that the floor carries outside the kept pairs, β Σ_i ρ_i Σ_j ρ_j over the
    /// total, from one log-domain product with unit weights.
    fn floor_share(&self) -> f64 {
        let beta = self.low_rank.floor();
        if beta == 0.0 {
            return 0.0;
        }
        let (n, m) = self.shape();
        let mut rows = vec![0.0; n];
        self.log_lines(Direction::Rows, &vec![0.0; m], &mut rows);
        let mut total = LogSumExp::default();
        total.add_block(&rows);
        let (rows, columns) = self.low_rank.factors();
        (beta.ln() + rows.log_floor_sum() + columns.log_floor_sum() - total.value())
            .exp()
            .min(1.0)
    }

    pub fn landmarks(&self) -> usize {
        self.low_rank.landmarks()
    }

    pub fn nnz(&self) -> usize {
        self.pattern.nnz()
    }

    pub fn shape(&self) -> (usize, usize) {
        self.low_rank.shape()
    }

    pub fn epsilon(&self) -> f64 {
        self.low_rank.epsilon()
    }

    pub fn info(&self) -> KernelInfo {
        let (n, m) = self.shape();
        KernelInfo {
            kind: self.kind,
            n,
            m,
            epsilon: self.epsilon(),
            nnz: self.nnz(),
            landmarks: self.landmarks(),
            bytes: self.low_rank.bytes()
                + self.pattern.bytes()
                + self.nnz() * (std::mem::size_of::<SignedLog>() + 8),
            added_pairs: self.nnz() - self.rule_pairs,
            floor_share: self.floor_share,
        }
    }

    /// The log-domain product over `direction`'s lines: low-rank part, floor and corrections.
    fn log_lines(&self, direction: Direction, v: &[f64], out: &mut [f64]) {
        self.low_rank.log_lines(direction, v, out, |line, acc| {
            self.add_corrections(direction, line, v, acc)
        });
    }

    /// Adds line `line`'s corrections Δ e^{v} to a log-domain sum.
    fn add_corrections(
        &self,
        direction: Direction,
        line: usize,
        v: &[f64],
        acc: &mut SignedLogSum,
    ) {
        let entries: &mut dyn Iterator<Item = (usize, usize)> = match direction {
            Direction::Rows => &mut self.pattern.row(line).map(|k| (k, self.pattern.col(k))),
            Direction::Columns => &mut self
                .pattern
                .column(line)
                .iter()
                .map(|&k| (k, self.pattern.row_of(k))),
        };
        for (k, other) in entries {
            let delta = self.correction[k];
            acc.add(delta.log + v[other], delta.sign);
        }
    }

    /// This kernel with its floor raised for a product over `line` whose `lines` were not positive with
    /// the other side's log-weights `weights`: each failing sum S_i + β F_i (S_i without the floor, F_i
    /// the floor's term at β = 1) needs β > −S_i/F_i; the floor goes to twice the largest need, and at
    /// least to [`FLOOR_GROWTH`] times its weight so far, capped at 1 where no sum can fail. `None` once
    /// β is 1.
    pub fn repaired(&self, line: Line, lines: &[usize], weights: &[f64]) -> Option<Self> {
        let beta = self.low_rank.floor();
        if beta >= 1.0 {
            return None;
        }
        let direction = match line {
            Line::Row => Direction::Rows,
            Line::Column => Direction::Columns,
        };
        let (output, input) = self.low_rank.sides(direction);
        let parts = output.line_parts(input, weights, lines, |i, acc| {
            self.add_corrections(direction, i, weights, acc)
        });
        let needed = parts
            .iter()
            .map(|(sum, floor)| match sum.sign {
                s if s > 0.0 => 0.0,
                s if s < 0.0 => (sum.log - floor).exp(),
                _ => MIN_FLOOR,
            })
            .fold(0.0, f64::max);
        let next = (2.0 * needed)
            .max(FLOOR_GROWTH * beta)
            .clamp(MIN_FLOOR, 1.0);
        Some(Self::at(
            self.kind,
            self.low_rank.with_floor(next),
            Arc::clone(&self.pattern),
            self.rule_pairs,
        ))
    }

    pub fn log_apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        self.log_lines(Direction::Rows, v, out);
        Ok(())
    }

    pub fn log_apply_transpose(&self, u: &[f64], out: &mut [f64]) -> Result<()> {
        self.log_lines(Direction::Columns, u, out);
        Ok(())
    }

    pub fn gibbs(&self, f: &[f64], g: &[f64]) -> Result<Box<dyn Gibbs>> {
        let epsilon = self.epsilon();
        let correction = SparseGibbs::from_entries(Arc::clone(&self.pattern), |k, i, j| {
            let delta = self.correction[k];
            delta.sign * exp(delta.log + (f[i] + g[j]) / epsilon)
        })?;
        Ok(Box::new(CorrectedGibbs {
            nystrom: self.low_rank.absorbed(f, g)?,
            correction,
        }))
    }

    /// The same kernel at another ε: the landmarks, the pairs and the floor's weight are kept.
    pub fn with_epsilon(&self, epsilon: f64) -> Option<Self> {
        let low_rank = LowRank::new(
            Arc::clone(&self.low_rank.landmarked),
            self.low_rank.options.clone(),
            epsilon,
        )
        .ok()?
        .with_floor(self.low_rank.floor());
        Some(Self::at(
            self.kind,
            low_rank,
            Arc::clone(&self.pattern),
            self.rule_pairs,
        ))
    }

    pub fn geometry(&self) -> Option<(&Points, &Points, Cost)> {
        let l = &self.low_rank.landmarked;
        Some((&l.x, &l.y, l.cost))
    }
}

/// The floor's weight after a first repair.
const MIN_FLOOR: f64 = 1e-12;
/// Each repair multiplies the floor's weight by at least this, so that a solve repairs a few times.
const FLOOR_GROWTH: f64 = 16.0;

/// Implements [`Kernel`] for a newtype over [`Corrected`].
macro_rules! delegate_kernel {
    ($kernel:ident) => {
        impl $crate::kernel::Kernel for $kernel {
            fn shape(&self) -> (usize, usize) {
                self.0.shape()
            }

            fn epsilon(&self) -> f64 {
                self.0.epsilon()
            }

            fn info(&self) -> $crate::kernel::KernelInfo {
                self.0.info()
            }

            fn log_apply(&self, v: &[f64], out: &mut [f64]) -> $crate::error::Result<()> {
                self.0.log_apply(v, out)
            }

            fn log_apply_transpose(&self, u: &[f64], out: &mut [f64]) -> $crate::error::Result<()> {
                self.0.log_apply_transpose(u, out)
            }

            fn gibbs(
                &self,
                f: &[f64],
                g: &[f64],
            ) -> $crate::error::Result<Box<dyn $crate::kernel::Gibbs>> {
                self.0.gibbs(f, g)
            }

            fn with_epsilon(
                &self,
                epsilon: f64,
            ) -> Option<std::sync::Arc<dyn $crate::kernel::Kernel>> {
                Some(std::sync::Arc::new($kernel(self.0.with_epsilon(epsilon)?)))
            }

            fn repaired(
                &self,
                line: $crate::error::Line,
                lines: &[usize],
                weights: &[f64],
            ) -> Option<std::sync::Arc<dyn $crate::kernel::Kernel>> {
                Some(std::sync::Arc::new($kernel(
                    self.0.repaired(line, lines, weights)?,
                )))
            }

            fn geometry(
                &self,
            ) -> Option<(
                &$crate::geometry::Points,
                &$crate::geometry::Points,
                $crate::geometry::Cost,
            )> {
                self.0.geometry()
            }
        }
    };
}
pub(crate) use delegate_kernel;
