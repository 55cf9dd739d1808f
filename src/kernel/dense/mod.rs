//! The dense kernel K_ij = exp(−C_ij/ε), for every pair of points.
//!
//! It keeps only its costs' source (point clouds, or a caller's matrix) and ε, so it is small and
//! immutable. The mode chooses the operator a solve builds from it:
//!
//! - stored: the absorbed kernel is materialised, n·m values in f32 or f64; each iteration reads it once;
//! - online: every entry is recomputed in every product; memory stays O((n + m)·d).

mod log_domain;
mod online;
mod source;
mod stored;
mod tile;

pub(crate) use self::log_domain::{log_columns, log_rows};
pub use self::source::Costs;
pub(crate) use self::tile::fill_cost_tile;

use std::sync::Arc;

use self::online::OnlineGibbs;
use self::source::CostSource;
use self::stored::StoredGibbs;
use crate::error::{checked_product, ensure_finite, ensure_len, Error, Result};
use crate::geometry::{ensure_same_dimension, Cost, Layout, PointCloud, Points};
use crate::kernel::{Gibbs, Kernel, KernelInfo, KernelKind};

/// How a dense kernel's operator holds its entries during a solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenseMode {
    /// n·m f64 values: exact to the last bit of the potentials.
    StoredF64,
    /// n·m f32 values, accumulated in f64: half the memory traffic, entries rounded to 6e-8 relative.
    StoredF32,
    /// Nothing stored; entries recomputed from the points in every product.
    Online,
}

/// The dense entropic kernel.
#[derive(Debug, Clone)]
pub struct DenseKernel {
    source: Arc<CostSource>,
    epsilon: f64,
    mode: DenseMode,
}

/// Fails unless ε is positive and finite.
pub(crate) fn validate_epsilon(epsilon: f64) -> Result<()> {
    if epsilon.is_finite() && epsilon > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "epsilon",
            format!("{epsilon} is not a positive finite number"),
        ))
    }
}

impl DenseKernel {
    /// The kernel between two point clouds for a cost.
    pub fn from_points(
        x: &PointCloud,
        y: &PointCloud,
        cost: Cost,
        epsilon: f64,
        mode: DenseMode,
    ) -> Result<Self> {
        ensure_same_dimension(x, y)?;
        validate_epsilon(epsilon)?;
        ensure_stored_size(x.len(), y.len(), mode)?;
        let source = CostSource::Points {
            x: x.to_points()?,
            y: y.to_points()?,
            cost,
        };
        Ok(DenseKernel {
            source: Arc::new(source),
            epsilon,
            mode,
        })
    }

    /// The kernel of a caller's n×m cost matrix, which is copied.
    pub fn from_cost_matrix(
        costs: &[f64],
        n: usize,
        m: usize,
        layout: Layout,
        epsilon: f64,
        mode: DenseMode,
    ) -> Result<Self> {
        if n == 0 || m == 0 {
            return Err(Error::Empty { arg: "cost" });
        }
        let len = checked_product("cost", n, m)?;
        ensure_len("cost", costs, len)?;
        ensure_finite("cost", costs)?;
        validate_epsilon(epsilon)?;
        ensure_stored_size(n, m, mode)?;
        let mut values = crate::error::try_zeroed::<f64>(len, "the cost matrix copy")?;
        match layout {
            Layout::RowMajor => values.copy_from_slice(costs),
            Layout::ColumnMajor => {
                for (i, row) in values.chunks_exact_mut(m).enumerate() {
                    for (j, value) in row.iter_mut().enumerate() {
                        *value = costs[j * n + i];
                    }
                }
            }
        }
        Ok(DenseKernel {
            source: Arc::new(CostSource::Matrix { values, n, m }),
            epsilon,
            mode,
        })
    }

    /// How the kernel's entries are held.
    pub fn mode(&self) -> DenseMode {
        self.mode
    }

    fn operator_bytes(&self) -> usize {
        let (n, m) = self.source.shape();
        let entry = match self.mode {
            DenseMode::StoredF64 => 8,
            DenseMode::StoredF32 => 4,
            DenseMode::Online => return (n + m) * 8,
        };
        n * m * entry
    }
}

/// A stored operator needs n·m entries; refuse sizes whose byte count overflows before any work.
fn ensure_stored_size(n: usize, m: usize, mode: DenseMode) -> Result<()> {
    let entries = checked_product("n x m", n, m)?;
    if mode != DenseMode::Online {
        checked_product("n x m", entries, 8)?;
    }
    Ok(())
}

impl Kernel for DenseKernel {
    fn shape(&self) -> (usize, usize) {
        self.source.shape()
    }

    fn epsilon(&self) -> f64 {
        self.epsilon
    }

    fn info(&self) -> KernelInfo {
        let (n, m) = self.shape();
        KernelInfo {
            kind: match self.mode {
                DenseMode::StoredF64 => KernelKind::DenseStoredF64,
                DenseMode::StoredF32 => KernelKind::DenseStoredF32,
                DenseMode::Online => KernelKind::DenseOnline,
            },
            n,
            m,
            epsilon: self.epsilon,
            nnz: n * m,
            landmarks: 0,
            bytes: self.source.bytes() + self.operator_bytes(),
            added_pairs: 0,
            floor_share: 0.0,
        }
    }

    fn log_apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        log_domain::log_rows(self.source.costs(), self.epsilon, v, 0, out)
    }

    fn log_apply_transpose(&self, u: &[f64], out: &mut [f64]) -> Result<()> {
        log_domain::log_columns(self.source.costs(), self.epsilon, u, 0, out)
    }

    fn gibbs(&self, f: &[f64], g: &[f64]) -> Result<Box<dyn Gibbs>> {
        let source = Arc::clone(&self.source);
        Ok(match self.mode {
            DenseMode::StoredF64 => Box::new(StoredGibbs::<f64>::new(source, self.epsilon, f, g)?),
            DenseMode::StoredF32 => Box::new(StoredGibbs::<f32>::new(source, self.epsilon, f, g)?),
            DenseMode::Online => Box::new(OnlineGibbs::new(source, self.epsilon, f, g)),
        })
    }

    fn reserve_operator(&self) -> Result<()> {
        match self.mode {
            DenseMode::Online => Ok(()),
            DenseMode::StoredF64 | DenseMode::StoredF32 => {
                crate::error::ensure_allocatable(self.operator_bytes(), "the stored dense kernel")
            }
        }
    }

    fn with_epsilon(&self, epsilon: f64) -> Option<Arc<dyn Kernel>> {
        Some(Arc::new(DenseKernel {
            source: Arc::clone(&self.source),
            epsilon,
            mode: self.mode,
        }))
    }

    fn more_precise(&self) -> Option<Arc<dyn Kernel>> {
        (self.mode == DenseMode::StoredF32).then(|| {
            Arc::new(DenseKernel {
                mode: DenseMode::StoredF64,
                ..self.clone()
            }) as Arc<dyn Kernel>
        })
    }

    fn exact_costs(&self) -> Option<Costs<'_>> {
        Some(self.source.costs())
    }

    fn geometry(&self) -> Option<(&Points, &Points, Cost)> {
        match self.source.as_ref() {
            CostSource::Points { x, y, cost } => Some((x, y, *cost)),
            CostSource::Matrix { .. } => None,
        }
    }
}
