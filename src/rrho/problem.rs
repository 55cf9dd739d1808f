//! An R_ρ problem: two point clouds with positive weights, ρ, and the distance floor.

use std::collections::HashSet;

use super::exponents::Exponents;
use crate::error::{Error, Result};
use crate::geometry::{ensure_same_dimension, PointCloud, Points, Weights};

/// The paper's preprocessing that changes the problem, not the solver: a distance floor and optional
/// pruning of tiny weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preprocessing {
    /// σ ≥ 0: the coordinate σ·r is appended to every x and 0 to every y (r bounds the diameter of
    /// x ∪ y), so every distance becomes √(d² + (σr)²) ∈ [d, d + σr] and the supports are disjoint.
    pub floor: f64,
    /// g ∈ [0, 1): weights below g/n (g/m for ν) are dropped and the rest renormalised; 0 keeps all.
    pub granularity: f64,
}

impl Preprocessing {
    /// The default floor, σ = 10⁻³: it moves R_ρ by at most σ·r·max_ij (μ_iν_j)^{−(ρ−1)/ρ}, and by far
    /// less unless points of x and y (nearly) coincide.
    pub const DEFAULT_FLOOR: f64 = 1e-3;
}

impl Default for Preprocessing {
    fn default() -> Self {
        Preprocessing {
            floor: Self::DEFAULT_FLOOR,
            granularity: 0.0,
        }
    }
}

/// A validated problem. The points are centred on the mean of x ∪ y (distances do not change, and the
/// norm expansion of the distances loses fewer digits); the weights are normalised to unit mass, since
/// R_ρ compares probability distributions.
#[derive(Debug, Clone)]
pub struct RrhoProblem {
    pub(crate) x: Points,
    pub(crate) y: Points,
    pub(crate) mu: Vec<f64>,
    pub(crate) nu: Vec<f64>,
    pub(crate) exponents: Exponents,
    pub(crate) preprocessing: Preprocessing,
    /// r: twice the largest distance of a point from the centre, a bound on every ‖x_i − y_j‖.
    pub(crate) diameter: f64,
    /// (σr)², added to every squared distance.
    pub(crate) floor_sq: f64,
}

impl RrhoProblem {
    /// Checks and copies the input. `mu`/`nu` None means uniform weights.
    pub fn new(
        x: &PointCloud,
        y: &PointCloud,
        mu: Option<&[f64]>,
        nu: Option<&[f64]>,
        rho: f64,
        preprocessing: Preprocessing,
    ) -> Result<Self> {
        ensure_same_dimension(x, y)?;
        let exponents = Exponents::new(rho)?;
        let Preprocessing { floor, granularity } = preprocessing;
        if !(floor.is_finite() && floor >= 0.0) {
            return Err(Error::invalid(
                "floor",
                format!("{floor} is not a finite number >= 0"),
            ));
        }
        if !(granularity.is_finite() && (0.0..1.0).contains(&granularity)) {
            return Err(Error::invalid(
                "granularity",
                format!("{granularity} is outside [0, 1)"),
            ));
        }
        let mu = probability("mu", mu, x.len(), granularity)?;
        let nu = probability("nu", nu, y.len(), granularity)?;
        let (mut x, mut y) = (x.to_points()?, y.to_points()?);
        if floor == 0.0 {
            ensure_disjoint(&x, &y, &mu, &nu)?;
        }
        let diameter = centre(&mut x, &mut y);
        let floor_sq = (floor * diameter).powi(2);
        Ok(RrhoProblem {
            x,
            y,
            mu,
            nu,
            exponents,
            preprocessing,
            diameter,
            floor_sq,
        })
    }

    /// (n, m).
    pub fn shape(&self) -> (usize, usize) {
        (self.x.len(), self.y.len())
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.x.dim()
    }

    /// ρ ∈ (1, 2].
    pub fn rho(&self) -> f64 {
        self.exponents.rho
    }

    /// The floor and granularity the problem was built with.
    pub fn preprocessing(&self) -> Preprocessing {
        self.preprocessing
    }

    /// r, the bound on the diameter of x ∪ y that scales the floor.
    pub fn diameter(&self) -> f64 {
        self.diameter
    }

    /// The normalised weights, with pruned entries 0.
    pub fn weights(&self) -> (&[f64], &[f64]) {
        (&self.mu, &self.nu)
    }

    /// A bound on every floored distance.
    pub(crate) fn max_distance(&self) -> f64 {
        (self.diameter * self.diameter + self.floor_sq).sqrt()
    }

    /// The smallest kept weight on either side, which bounds the cost of repairing the marginals.
    pub(crate) fn smallest_weight(&self) -> f64 {
        let smallest = |w: &[f64]| {
            w.iter()
                .copied()
                .filter(|&v| v > 0.0)
                .fold(f64::INFINITY, f64::min)
        };
        smallest(&self.mu).max(smallest(&self.nu))
    }
}

/// Validates weights, refuses zeros (they would be points without mass, which the pruning option drops
/// on purpose), prunes below `granularity / len` and normalises.
fn probability(
    arg: &'static str,
    values: Option<&[f64]>,
    len: usize,
    granularity: f64,
) -> Result<Vec<f64>> {
    let weights = Weights::new(arg, values, len)?;
    let mass = weights.mass();
    let mut w: Vec<f64> = weights.as_slice().iter().map(|v| v / mass).collect();
    if granularity == 0.0 {
        if let Some(index) = w.iter().position(|&v| v == 0.0) {
            return Err(Error::invalid(
                arg,
                format!(
                    "{arg}[{index}] is 0: every point needs positive mass (remove the point, or set a \
                     pruning granularity, which drops small weights)"
                ),
            ));
        }
        return Ok(w);
    }
    let threshold = granularity / len as f64;
    w.iter_mut()
        .filter(|v| **v < threshold)
        .for_each(|v| *v = 0.0);
    let kept: f64 = w.iter().sum();
    w.iter_mut().for_each(|v| *v /= kept);
    Ok(w)
}

/// Without a floor a shared support point makes a distance 0, where the dual is unbounded.
fn ensure_disjoint(x: &Points, y: &Points, mu: &[f64], nu: &[f64]) -> Result<()> {
    // Adding 0.0 maps −0.0 to +0.0, so the bit patterns compare as the values do.
    let key = |p: &[f64]| p.iter().map(|v| (v + 0.0).to_bits()).collect::<Vec<u64>>();
    let targets: HashSet<Vec<u64>> = (0..y.len())
        .filter(|&j| nu[j] > 0.0)
        .map(|j| key(y.point(j)))
        .collect();
    match (0..x.len()).find(|&i| mu[i] > 0.0 && targets.contains(&key(x.point(i)))) {
        None => Ok(()),
        Some(i) => Err(Error::invalid(
            "floor",
            format!(
                "0, but x[{i}] is also a point of y: R_rho needs disjoint supports, so set a floor > 0 \
                 (the default is {})",
                Preprocessing::DEFAULT_FLOOR
            ),
        )),
    }
}

/// Moves both clouds to the mean of x ∪ y and returns twice the largest norm after (≥ every distance),
/// or 1 when all points coincide, so that the floor still separates them.
fn centre(x: &mut Points, y: &mut Points) -> f64 {
    let d = x.dim();
    let count = (x.len() + y.len()) as f64;
    let mut mean = vec![0.0; d];
    for point in x
        .as_slice()
        .chunks_exact(d)
        .chain(y.as_slice().chunks_exact(d))
    {
        mean.iter_mut().zip(point).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= count);
    let mut radius = 0.0f64;
    for points in [x, y] {
        for point in points.as_mut_slice().chunks_exact_mut(d) {
            point.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m);
            radius = radius.max(crate::geometry::dot(point, point).sqrt());
        }
    }
    if radius > 0.0 {
        2.0 * radius
    } else {
        1.0
    }
}
