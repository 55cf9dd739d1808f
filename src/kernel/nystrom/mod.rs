//! The Nyström approximation: `K_Nys = U A⁻¹ V` with `U_ia = k(x_i, z_a)`, `A_ab = k(z_a, z_b)` and
//! `V_aj = k(z_a, y_j)` for l landmarks z drawn from X ∪ Y (Williams and Seeger 2001; Nyström Sinkhorn
//! as in Altschuler et al. 2019 and Klicpera, Lienen and Günnemann 2021). A product costs O((n + m)·l)
//! and the factors hold O((n + m)·l) numbers.
//!
//! Nyström's entries are signed, and Sinkhorn's scalings amplify the small negative ones into sums that
//! are not positive. A rank-one floor from the approximation's own error bound (`factor.rs`) makes every
//! entry at least the exact one. The Nyström kernel itself is the LCN kernel without pairs
//! (`kernel/corrected`).

mod factor;
mod gibbs;
mod inverse;
mod landmarks;

use std::sync::Arc;

use self::factor::Basis;
pub(crate) use self::factor::Factor;
pub(crate) use self::gibbs::NystromGibbs;
pub use self::inverse::StabilisedInverse;
pub use self::landmarks::LandmarkRule;
use crate::cluster::Joint;
use crate::error::{Error, Result};
use crate::geometry::{ensure_same_dimension, Cost, PointCloud, Points};
use crate::kernel::corrected::Corrected;
use crate::kernel::dense::validate_epsilon;
use crate::kernel::KernelKind;
use crate::numeric::signed_logsum::SignedLogSum;

/// How a Nyström factorisation is built.
#[derive(Debug, Clone, PartialEq)]
pub struct NystromOptions {
    /// The number of landmarks l, at least 1 and at most n + m.
    pub landmarks: usize,
    /// How the landmarks are chosen.
    pub rule: LandmarkRule,
    /// How the landmarks' kernel matrix is inverted.
    pub inverse: StabilisedInverse,
    /// The seed of the landmark choice; the same seed gives the same landmarks for any thread count.
    pub seed: u64,
}

/// The Nyström kernel's default number of landmarks.
pub const NYSTROM_LANDMARKS: usize = 200;
/// The LCN kernel's default number of landmarks: the LCN paper's 20.
pub const LCN_LANDMARKS: usize = 20;

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

    /// The Nyström kernel's defaults for `points` = n + m: [`NYSTROM_LANDMARKS`] landmarks, or one per
    /// point when there are fewer.
    pub fn nystrom_default(points: usize) -> Self {
        Self::new(NYSTROM_LANDMARKS.min(points))
    }

    /// The LCN kernel's defaults for `points` = n + m: [`LCN_LANDMARKS`] landmarks, or one per point
    /// when there are fewer.
    pub fn lcn_default(points: usize) -> Self {
        Self::new(LCN_LANDMARKS.min(points))
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

/// Which lines a log-domain product computes: `Rows` is `K v`, `Columns` is `Kᵀ u`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Rows,
    Columns,
}

/// The points and landmarks of one pair of point clouds, shared across ε.
#[derive(Debug)]
pub(crate) struct Landmarked {
    pub x: Points,
    pub y: Points,
    pub cost: Cost,
    landmarks: Points,
    /// h_a = C(z_a, z_a)/2.
    shifts: Vec<f64>,
    /// C(z_a, z_b) − h_a − h_b, row-major l×l.
    between: Vec<f64>,
}

impl Landmarked {
    /// The landmarks `options` choose, for the kernel at `epsilon` where the rule depends on it.
    pub fn new(
        x: &PointCloud,
        y: &PointCloud,
        cost: Cost,
        epsilon: f64,
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
        let (d, l) = (x.dim(), options.landmarks);
        let chosen = options
            .rule
            .choose(&Joint::new(&x, &y), l, options.seed, cost, epsilon);
        let landmarks = Points::from_row_major(chosen, l, d);
        let shifts: Vec<f64> = (0..l)
            .map(|a| cost.eval(landmarks.point(a), landmarks.point(a)) / 2.0)
            .collect();
        let between = (0..l * l)
            .map(|ab| {
                let (a, b) = (ab / l, ab % l);
                cost.eval(landmarks.point(a), landmarks.point(b)) - shifts[a] - shifts[b]
            })
            .collect();
        Ok(Landmarked {
            x,
            y,
            cost,
            landmarks,
            shifts,
            between,
        })
    }

    pub fn landmarks(&self) -> usize {
        self.landmarks.len()
    }

    pub fn bytes(&self) -> usize {
        self.x.bytes() + self.y.bytes() + self.landmarks.bytes() + self.between.len() * 8
    }
}

/// The Nyström approximation with its floor at one ε: both sides' factors, and the floor's weight
/// β ∈ [0, 1] (`factor.rs`).
#[derive(Debug, Clone)]
pub(crate) struct LowRank {
    pub landmarked: Arc<Landmarked>,
    pub options: NystromOptions,
    epsilon: f64,
    rows: Arc<Factor>,
    columns: Arc<Factor>,
    floor: f64,
}

impl LowRank {
    pub fn new(landmarked: Arc<Landmarked>, options: NystromOptions, epsilon: f64) -> Result<Self> {
        validate_epsilon(epsilon)?;
        let l = landmarked.landmarks();
        let a: Vec<f64> = landmarked
            .between
            .iter()
            .map(|c| (-c / epsilon).exp())
            .collect();
        let (half, rank) = options.inverse.half_inverse(&a, l)?;
        let basis = Basis {
            landmarks: &landmarked.landmarks,
            shifts: &landmarked.shifts,
            half: &half,
            rank,
            epsilon,
        };
        let cost = landmarked.cost;
        let rows = Factor::new(&landmarked.x, cost, &basis, "the Nyström source factor")?;
        let columns = Factor::new(&landmarked.y, cost, &basis, "the Nyström target factor")?;
        Ok(LowRank {
            landmarked,
            options,
            epsilon,
            rows: Arc::new(rows),
            columns: Arc::new(columns),
            floor: 0.0,
        })
    }

    /// The floor's weight β.
    pub fn floor(&self) -> f64 {
        self.floor
    }

    /// The same approximation with the floor at weight `beta`.
    pub fn with_floor(&self, beta: f64) -> Self {
        LowRank {
            floor: beta,
            ..self.clone()
        }
    }

    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    pub fn landmarks(&self) -> usize {
        self.landmarked.landmarks()
    }

    pub fn shape(&self) -> (usize, usize) {
        (self.landmarked.x.len(), self.landmarked.y.len())
    }

    pub fn bytes(&self) -> usize {
        let (n, m) = self.shape();
        let width = self.rows.rank() + 1;
        self.landmarked.bytes() + self.rows.bytes() + self.columns.bytes() + (n + m) * width * 8
    }

    /// The two sides' factors.
    pub fn factors(&self) -> (&Factor, &Factor) {
        (&self.rows, &self.columns)
    }

    /// The log-domain product of the approximation and its floor, with further signed terms per line.
    pub fn log_lines(
        &self,
        direction: Direction,
        v: &[f64],
        out: &mut [f64],
        extra: impl Fn(usize, &mut SignedLogSum) + Sync,
    ) {
        let (output, input) = self.sides(direction);
        output.log_lines(input, v, self.floor.ln(), out, extra)
    }

    /// The output and input factors of a product over `direction`'s lines.
    pub fn sides(&self, direction: Direction) -> (&Factor, &Factor) {
        match direction {
            Direction::Rows => (&self.rows, &self.columns),
            Direction::Columns => (&self.columns, &self.rows),
        }
    }

    pub fn absorbed(&self, f: &[f64], g: &[f64]) -> Result<NystromGibbs> {
        NystromGibbs::new(&self.rows, &self.columns, self.epsilon, self.floor, f, g)
    }
}

/// The Nyström entropic kernel, with its floor: LCN's kernel with no pairs.
#[derive(Debug, Clone)]
pub struct NystromKernel(Corrected);

impl NystromKernel {
    /// Chooses the landmarks among x ∪ y and factors the kernel on them, with its floor.
    pub fn new(
        x: &PointCloud,
        y: &PointCloud,
        cost: Cost,
        epsilon: f64,
        options: &NystromOptions,
    ) -> Result<Self> {
        validate_epsilon(epsilon)?;
        let landmarked = Arc::new(Landmarked::new(x, y, cost, epsilon, options)?);
        let low_rank = LowRank::new(landmarked, options.clone(), epsilon)?;
        let rows = vec![Vec::new(); low_rank.shape().0];
        Ok(NystromKernel(Corrected::new(
            KernelKind::Nystrom,
            low_rank,
            rows,
            0,
        )))
    }

    /// The number of landmarks.
    pub fn landmarks(&self) -> usize {
        self.0.landmarks()
    }
}

crate::kernel::corrected::delegate_kernel!(NystromKernel);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Layout;
    use crate::kernel::Gibbs;
    use crate::numeric::random::SplitMix64;

    fn points(n: usize, d: usize, seed: u64, shift: f64) -> Vec<f64> {
        let mut random = SplitMix64::new(seed);
        (0..n * d).map(|_| random.normal() + shift).collect()
    }

    fn low_rank(
        x: &[f64],
        y: &[f64],
        d: usize,
        cost: Cost,
        eps: f64,
        options: &NystromOptions,
    ) -> LowRank {
        let (xs, ys) = (
            PointCloud::new("x", x, x.len() / d, d, Layout::RowMajor).unwrap(),
            PointCloud::new("y", y, y.len() / d, d, Layout::RowMajor).unwrap(),
        );
        let landmarked = Arc::new(Landmarked::new(&xs, &ys, cost, eps, options).unwrap());
        LowRank::new(landmarked, options.clone(), eps).unwrap()
    }

    #[test]
    fn the_full_floor_bounds_every_exact_entry_from_above_and_within_twice_the_bound() {
        let d = 3;
        let (x, y) = (points(40, d, 1, 0.0), points(30, d, 2, 0.7));
        for cost in [Cost::SqEuclidean, Cost::Euclidean, Cost::NegDot] {
            for eps in [0.05, 0.5, 5.0] {
                let options = NystromOptions::new(6);
                let floored = low_rank(&x, &y, d, cost, eps, &options).with_floor(1.0);
                let plain = floored.with_floor(0.0);
                let (rows, columns) = floored.factors();
                let with = floored.absorbed(&[0.0; 40], &[0.0; 30]).unwrap();
                let without = plain.absorbed(&[0.0; 40], &[0.0; 30]).unwrap();
                let (mut upper, mut lower) = (vec![0.0; 30], vec![0.0; 30]);
                for i in 0..40 {
                    with.row(i, &mut upper);
                    without.row(i, &mut lower);
                    for j in 0..30 {
                        let exact = (-cost.eval(&x[i * d..][..d], &y[j * d..][..d]) / eps).exp();
                        let bound = (rows.floor()[i] + columns.floor()[j]).exp();
                        let slack = 1e-12 * (upper[j].abs() + exact);
                        assert!(upper[j] >= exact - slack, "{cost:?} eps {eps} ({i}, {j})");
                        assert!(
                            (lower[j] - exact).abs() <= bound + slack,
                            "{cost:?} eps {eps}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn pivoted_landmarks_take_the_worst_represented_point_each_time() {
        let d = 2;
        let (x, y) = (points(25, d, 3, 0.0), points(20, d, 4, 2.0));
        let (cost, eps) = (Cost::SqEuclidean, 0.5);
        let options = NystromOptions {
            rule: LandmarkRule::Pivoted,
            ..NystromOptions::new(5)
        };
        let joint: Vec<&[f64]> = x.chunks(d).chain(y.chunks(d)).collect();
        let kernel = |p: &[f64], q: &[f64]| (-cost.eval(p, q) / eps).exp();
        // Each pivot maximises the exact Nyström residual on the pivots before it, by a direct solve.
        let chosen = low_rank(&x, &y, d, cost, eps, &options)
            .landmarked
            .landmarks
            .clone();
        for a in 0..5 {
            let basis: Vec<&[f64]> = (0..a).map(|b| chosen.point(b)).collect();
            let residual = |p: &[f64]| {
                if basis.is_empty() {
                    return 1.0;
                }
                let gram = faer::Mat::from_fn(a, a, |r, c| kernel(basis[r], basis[c]));
                let k = faer::Mat::from_fn(a, 1, |r, _| kernel(basis[r], p));
                let solved =
                    faer::linalg::solvers::Solve::solve(&gram.llt(faer::Side::Lower).unwrap(), &k);
                1.0 - (0..a).map(|r| k[(r, 0)] * solved[(r, 0)]).sum::<f64>()
            };
            let best = joint.iter().map(|p| residual(p)).fold(0.0, f64::max);
            assert!(
                residual(chosen.point(a)) >= best - 1e-9,
                "pivot {a}: {} < {best}",
                residual(chosen.point(a))
            );
        }
    }
}
