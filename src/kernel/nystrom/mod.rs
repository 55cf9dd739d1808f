//! The Nyström kernel: `K_Nys = U A⁻¹ V` with `U_ia = k(x_i, z_a)`, `A_ab = k(z_a, z_b)` and
//! `V_aj = k(z_a, y_j)` for l landmarks z drawn from X ∪ Y (Williams and Seeger 2001; Nyström Sinkhorn
//! as in Altschuler et al. 2019 and Klicpera, Lienen and Günnemann 2021). A product costs O((n + m)·l)
//! and the kernel holds O((n + m)·l) numbers. Its entries are signed; where a row or column sum is not
//! positive the solver fails with a message naming it.

mod factors;
mod gibbs;
mod inverse;
mod landmarks;

use std::sync::Arc;

pub(crate) use self::factors::Direction;
use self::factors::{Factors, LandmarkInverse};
pub(crate) use self::gibbs::NystromGibbs;
pub use self::inverse::StabilisedInverse;
pub use self::landmarks::LandmarkRule;
use crate::cluster::Joint;
use crate::error::{Error, Result};
use crate::geometry::{ensure_same_dimension, Cost, PointCloud, Points};
use crate::kernel::dense::validate_epsilon;
use crate::kernel::{Gibbs, Kernel, KernelInfo, KernelKind};
use crate::numeric::signed_logsum::SignedLogSum;

/// How a Nyström factorisation is built.
#[derive(Debug, Clone, PartialEq)]
pub struct NystromOptions {
    /// The number of landmarks l, at least 1 and at most n + m.
    pub landmarks: usize,
    pub rule: LandmarkRule,
    pub inverse: StabilisedInverse,
    pub seed: u64,
}

impl NystromOptions {
    /// `landmarks` landmarks by k-means++ seeding, the default inverse, seed 0.
    pub fn new(landmarks: usize) -> Self {
        NystromOptions {
            landmarks,
            rule: LandmarkRule::KMeansPlusPlus,
            inverse: StabilisedInverse::default(),
            seed: 0,
        }
    }

    /// Checks the options that do not depend on the point clouds.
    pub fn validate(&self) -> Result<()> {
        if self.landmarks == 0 {
            return Err(Error::invalid(
                "landmarks",
                "0 landmarks; at least 1 is needed",
            ));
        }
        self.inverse.validate()
    }
}

/// The landmarks and factor costs of one pair of point clouds, shared across ε.
#[derive(Debug)]
pub(crate) struct Landmarked {
    pub x: Points,
    pub y: Points,
    pub cost: Cost,
    pub factors: Factors,
}

impl Landmarked {
    pub fn new(
        x: &PointCloud,
        y: &PointCloud,
        cost: Cost,
        options: &NystromOptions,
    ) -> Result<Self> {
        ensure_same_dimension(x, y)?;
        options.validate()?;
        let points = x.len() + y.len();
        if options.landmarks > points {
            return Err(Error::invalid(
                "landmarks",
                format!(
                    "{} landmarks for {points} points (n + m); at most one per point",
                    options.landmarks
                ),
            ));
        }
        let (x, y) = (x.to_points()?, y.to_points()?);
        let d = x.dim();
        let chosen = options
            .rule
            .choose(&Joint::new(&x, &y), options.landmarks, options.seed);
        let landmarks = Points::from_row_major(chosen, options.landmarks, d);
        let factors = Factors::new(&x, &y, cost, landmarks)?;
        Ok(Landmarked {
            x,
            y,
            cost,
            factors,
        })
    }

    pub fn bytes(&self) -> usize {
        self.x.bytes() + self.y.bytes() + self.factors.bytes()
    }
}

/// The Nyström entropic kernel.
#[derive(Debug, Clone)]
pub struct NystromKernel {
    landmarked: Arc<Landmarked>,
    options: NystromOptions,
    inverse: Arc<LandmarkInverse>,
}

/// What to try when a Nyström sum is not positive.
const ADVICE: &str = "use more landmarks, another landmark rule, or a larger epsilon";

impl NystromKernel {
    pub fn new(
        x: &PointCloud,
        y: &PointCloud,
        cost: Cost,
        epsilon: f64,
        options: &NystromOptions,
    ) -> Result<Self> {
        validate_epsilon(epsilon)?;
        let landmarked = Landmarked::new(x, y, cost, options)?;
        Self::from_landmarked(Arc::new(landmarked), options.clone(), epsilon)
    }

    pub(crate) fn from_landmarked(
        landmarked: Arc<Landmarked>,
        options: NystromOptions,
        epsilon: f64,
    ) -> Result<Self> {
        let inverse = landmarked.factors.inverse(epsilon, &options.inverse)?;
        Ok(NystromKernel {
            landmarked,
            options,
            inverse: Arc::new(inverse),
        })
    }

    pub fn landmarks(&self) -> usize {
        self.landmarked.factors.landmarks()
    }

    pub(crate) fn landmarked(&self) -> &Arc<Landmarked> {
        &self.landmarked
    }

    pub(crate) fn options(&self) -> &NystromOptions {
        &self.options
    }

    /// Â⁻¹ at this kernel's ε, row-major l×l.
    pub(crate) fn inverse(&self) -> &[f64] {
        &self.inverse.values
    }

    /// The log-domain product with further signed terms per line (LCN's correction).
    pub(crate) fn log_lines(
        &self,
        direction: Direction,
        v: &[f64],
        out: &mut [f64],
        extra: impl Fn(usize, &mut SignedLogSum) + Sync,
        advice: &str,
    ) -> Result<()> {
        self.landmarked
            .factors
            .log_lines(&self.inverse, direction, v, out, extra, advice)
    }

    pub(crate) fn absorbed(&self, f: &[f64], g: &[f64]) -> Result<NystromGibbs> {
        NystromGibbs::new(&self.landmarked.factors, &self.inverse, f, g)
    }
}

impl Kernel for NystromKernel {
    fn shape(&self) -> (usize, usize) {
        (self.landmarked.x.len(), self.landmarked.y.len())
    }

    fn epsilon(&self) -> f64 {
        self.inverse.epsilon
    }

    fn info(&self) -> KernelInfo {
        let (n, m) = self.shape();
        let l = self.landmarks();
        KernelInfo {
            kind: KernelKind::Nystrom,
            n,
            m,
            epsilon: self.inverse.epsilon,
            nnz: 0,
            landmarks: l,
            bytes: self.landmarked.bytes() + self.inverse.values.len() * 8 + (n + m + l) * l * 8,
        }
    }

    fn log_apply(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        self.log_lines(Direction::Rows, v, out, |_, _| {}, ADVICE)
    }

    fn log_apply_transpose(&self, u: &[f64], out: &mut [f64]) -> Result<()> {
        self.log_lines(Direction::Columns, u, out, |_, _| {}, ADVICE)
    }

    fn gibbs(&self, f: &[f64], g: &[f64]) -> Result<Box<dyn Gibbs>> {
        Ok(Box::new(self.absorbed(f, g)?))
    }

    fn with_epsilon(&self, epsilon: f64) -> Option<Arc<dyn Kernel>> {
        let kernel =
            Self::from_landmarked(Arc::clone(&self.landmarked), self.options.clone(), epsilon)
                .ok()?;
        Some(Arc::new(kernel))
    }

    fn geometry(&self) -> Option<(&Points, &Points, Cost)> {
        let l = &self.landmarked;
        Some((&l.x, &l.y, l.cost))
    }
}
