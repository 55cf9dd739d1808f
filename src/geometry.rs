//! Point clouds, ground costs and marginal weights.
//!
//! A [`PointCloud`] is a strided view, so a C row-major array and an R or Julia column-major matrix are
//! both read where they lie. Validation happens once, when the view is made; the numerical code after it
//! may assume finite values and non-zero sizes.

use crate::error::{checked_product, ensure_finite, Error, Result};

/// How the n×d values of a point cloud (or an n×m matrix) are laid out in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Point i, coordinate k at `i * d + k` (C, NumPy).
    RowMajor,
    /// Point i, coordinate k at `k * n + i` (R, Julia, Fortran).
    ColumnMajor,
}

impl Layout {
    /// The (row stride, column stride) of an `rows × cols` matrix in this layout.
    pub fn strides(self, rows: usize, cols: usize) -> (usize, usize) {
        match self {
            Layout::RowMajor => (cols, 1),
            Layout::ColumnMajor => (1, rows),
        }
    }
}

/// A validated, borrowed view of n points in d dimensions.
#[derive(Debug, Clone, Copy)]
pub struct PointCloud<'a> {
    data: &'a [f64],
    n: usize,
    d: usize,
    layout: Layout,
}

impl<'a> PointCloud<'a> {
    /// Checks sizes and finiteness; `arg` names the cloud in error messages.
    pub fn new(
        arg: &'static str,
        data: &'a [f64],
        n: usize,
        d: usize,
        layout: Layout,
    ) -> Result<Self> {
        if n == 0 || d == 0 {
            return Err(Error::Empty { arg });
        }
        let len = checked_product(arg, n, d)?;
        if data.len() != len {
            return Err(Error::mismatch(
                arg,
                format!("{len} values ({n} x {d})"),
                data.len(),
            ));
        }
        ensure_finite(arg, data)?;
        Ok(PointCloud { data, n, d, layout })
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Coordinate k of point i.
    #[inline]
    pub fn get(&self, i: usize, k: usize) -> f64 {
        let (rs, cs) = self.layout.strides(self.n, self.d);
        self.data[i * rs + k * cs]
    }

    /// A packed row-major copy, the layout every kernel computes on.
    pub fn to_points(&self) -> Result<Points> {
        let mut data = crate::error::try_zeroed::<f64>(self.n * self.d, "point cloud copy")?;
        match self.layout {
            Layout::RowMajor => data.copy_from_slice(self.data),
            Layout::ColumnMajor => {
                for (i, row) in data.chunks_exact_mut(self.d).enumerate() {
                    for (k, value) in row.iter_mut().enumerate() {
                        *value = self.data[k * self.n + i];
                    }
                }
            }
        }
        Ok(Points::from_row_major(data, self.n, self.d))
    }
}

/// An owned, packed row-major point cloud, as kernels keep it.
#[derive(Debug, Clone)]
pub struct Points {
    data: Vec<f64>,
    n: usize,
    d: usize,
}

impl Points {
    pub(crate) fn from_row_major(data: Vec<f64>, n: usize, d: usize) -> Self {
        debug_assert_eq!(data.len(), n * d);
        Points { data, n, d }
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Point i, its d coordinates.
    #[inline]
    pub fn point(&self, i: usize) -> &[f64] {
        &self.data[i * self.d..(i + 1) * self.d]
    }

    /// The packed n×d row-major values.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut self.data
    }

    /// The bytes the coordinates take.
    pub fn bytes(&self) -> usize {
        self.data.len() * std::mem::size_of::<f64>()
    }
}

/// The ground cost between two points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// ‖x − y‖², without the ½ (as POT).
    SqEuclidean,
    /// ‖x − y‖.
    Euclidean,
    /// −⟨x, y⟩, for embedding alignment.
    NegDot,
}

impl Cost {
    /// The cost of one pair.
    #[inline]
    pub fn eval(self, x: &[f64], y: &[f64]) -> f64 {
        match self {
            Cost::NegDot => -dot(x, y),
            Cost::SqEuclidean => sq_distance(x, y),
            Cost::Euclidean => sq_distance(x, y).sqrt(),
        }
    }
}

/// ‖x − y‖² summed from the differences: as fast as the norm expansion here, and it cannot cancel.
#[inline]
fn sq_distance(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut xs = x.chunks_exact(4);
    let mut ys = y.chunks_exact(4);
    for (a, b) in (&mut xs).zip(&mut ys) {
        for k in 0..4 {
            let diff = a[k] - b[k];
            acc[k] += diff * diff;
        }
    }
    let tail: f64 = xs
        .remainder()
        .iter()
        .zip(ys.remainder())
        .map(|(a, b)| (a - b) * (a - b))
        .sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// ⟨x, y⟩ with four accumulators, which lets the compiler vectorise it.
#[inline]
pub(crate) fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut xs = x.chunks_exact(4);
    let mut ys = y.chunks_exact(4);
    for (a, b) in (&mut xs).zip(&mut ys) {
        for k in 0..4 {
            acc[k] += a[k] * b[k];
        }
    }
    let tail: f64 = xs
        .remainder()
        .iter()
        .zip(ys.remainder())
        .map(|(a, b)| a * b)
        .sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Validated marginal weights. A missing vector means uniform weights 1/n, as in POT.
#[derive(Debug, Clone)]
pub struct Weights {
    values: Vec<f64>,
    mass: f64,
}

impl Weights {
    /// Checks `values` (length n, finite, non-negative, positive mass), or makes uniform weights.
    pub fn new(arg: &'static str, values: Option<&[f64]>, n: usize) -> Result<Self> {
        let values = match values {
            None => vec![1.0 / n as f64; n],
            Some(w) => {
                if w.len() != n {
                    return Err(Error::mismatch(arg, n, w.len()));
                }
                ensure_finite(arg, w)?;
                if let Some((index, &value)) = w.iter().enumerate().find(|(_, &v)| v < 0.0) {
                    return Err(Error::NegativeWeight { arg, index, value });
                }
                w.to_vec()
            }
        };
        let mass: f64 = values.iter().sum();
        if !mass.is_finite() {
            return Err(Error::invalid(
                arg,
                format!("the weights sum to {mass}, beyond the largest double; rescale them"),
            ));
        }
        if mass <= 0.0 {
            return Err(Error::ZeroMass { arg });
        }
        Ok(Weights { values, mass })
    }

    /// The weights.
    pub fn as_slice(&self) -> &[f64] {
        &self.values
    }

    /// The number of weights.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no weights.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Σ w, positive.
    pub fn mass(&self) -> f64 {
        self.mass
    }
}

/// Fails, naming `y`, unless both clouds have the same dimension.
pub(crate) fn ensure_same_dimension(x: &PointCloud, y: &PointCloud) -> Result<()> {
    if x.dim() == y.dim() {
        Ok(())
    } else {
        Err(Error::mismatch(
            "y",
            format!("dimension {} (as x)", x.dim()),
            format!("dimension {}", y.dim()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_read_the_same_points() {
        let row_major = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let col_major = [1.0, 3.0, 5.0, 2.0, 4.0, 6.0];
        let a = PointCloud::new("x", &row_major, 3, 2, Layout::RowMajor).unwrap();
        let b = PointCloud::new("x", &col_major, 3, 2, Layout::ColumnMajor).unwrap();
        assert_eq!(
            a.to_points().unwrap().as_slice(),
            b.to_points().unwrap().as_slice()
        );
        assert_eq!(b.get(2, 1), 6.0);
    }

    #[test]
    fn squared_distance_is_exact_for_nearby_points() {
        let x = [1e8, 1.0];
        let y = [1e8, 1.0 + 1e-3];
        let c = Cost::SqEuclidean.eval(&x, &y);
        assert!((c - 1e-6).abs() < 1e-18, "{c}");
    }
}
