//! Where a dense kernel's costs come from: two point clouds and a cost, or a caller's matrix.

use std::ops::Range;

use super::tile::fill_cost_tile;
use crate::geometry::{Cost, Points};

#[derive(Debug)]
pub(crate) enum CostSource {
    Points {
        x: Points,
        y: Points,
        cost: Cost,
    },
    /// Row-major n×m.
    Matrix {
        values: Vec<f64>,
        n: usize,
        m: usize,
    },
}

/// A borrowed source of exact costs: what passes over every pair (the log-domain products, the
/// certificate) read tiles from.
#[derive(Debug, Clone, Copy)]
pub enum Costs<'a> {
    /// The costs between two point clouds.
    Points {
        /// The rows' points.
        x: &'a Points,
        /// The columns' points.
        y: &'a Points,
        /// The cost between them.
        cost: Cost,
    },
    /// A caller's matrix, row-major n×m.
    Matrix {
        /// The n·m costs.
        values: &'a [f64],
        /// Rows.
        n: usize,
        /// Columns.
        m: usize,
    },
}

impl Costs<'_> {
    /// The tile C[rows, cols] into `out`, row-major.
    pub(crate) fn tile(&self, rows: Range<usize>, cols: Range<usize>, out: &mut [f64]) {
        match *self {
            Costs::Points { x, y, cost } => fill_cost_tile(cost, (x, rows), (y, cols), out),
            Costs::Matrix { values, m, .. } => {
                let width = cols.len();
                for (line, i) in out.chunks_exact_mut(width).zip(rows) {
                    line.copy_from_slice(&values[i * m + cols.start..i * m + cols.end]);
                }
            }
        }
    }
}

impl CostSource {
    /// The costs as a borrowed view.
    pub fn costs(&self) -> Costs<'_> {
        match self {
            CostSource::Points { x, y, cost } => Costs::Points { x, y, cost: *cost },
            CostSource::Matrix { values, n, m } => Costs::Matrix {
                values,
                n: *n,
                m: *m,
            },
        }
    }

    pub fn shape(&self) -> (usize, usize) {
        match self {
            CostSource::Points { x, y, .. } => (x.len(), y.len()),
            CostSource::Matrix { n, m, .. } => (*n, *m),
        }
    }

    pub fn bytes(&self) -> usize {
        match self {
            CostSource::Points { x, y, .. } => x.bytes() + y.bytes(),
            CostSource::Matrix { values, .. } => std::mem::size_of_val(values.as_slice()),
        }
    }

    /// The tile C[rows, cols] into `out`, row-major.
    pub fn tile(&self, rows: Range<usize>, cols: Range<usize>, out: &mut [f64]) {
        self.costs().tile(rows, cols, out)
    }

    /// `out[k] = C_{i, cols.start + k}`.
    #[inline]
    pub fn row(&self, i: usize, cols: Range<usize>, out: &mut [f64]) {
        match self {
            CostSource::Points { x, y, cost } => fill_costs(*cost, x.point(i), y, cols, out),
            CostSource::Matrix { values, m, .. } => {
                out.copy_from_slice(&values[i * m + cols.start..i * m + cols.end])
            }
        }
    }
}

/// `out[k] = cost(p, others[range.start + k])`. Every supported cost is symmetric, so this also gives a
/// column of C when `p` is a target point and `others` the sources.
#[inline]
pub(crate) fn fill_costs(
    cost: Cost,
    p: &[f64],
    others: &Points,
    range: Range<usize>,
    out: &mut [f64],
) {
    // One loop per cost, so that the match is not inside the loop.
    let points = range.map(|j| others.point(j));
    match cost {
        Cost::SqEuclidean => out
            .iter_mut()
            .zip(points)
            .for_each(|(o, q)| *o = Cost::SqEuclidean.eval(p, q)),
        Cost::Euclidean => out
            .iter_mut()
            .zip(points)
            .for_each(|(o, q)| *o = Cost::Euclidean.eval(p, q)),
        Cost::NegDot => out
            .iter_mut()
            .zip(points)
            .for_each(|(o, q)| *o = Cost::NegDot.eval(p, q)),
    }
}
