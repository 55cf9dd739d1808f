//! Wasserstein–Procrustes embedding alignment (Grave, Joulin, Berthet 2019; full-batch as in Klicpera,
//! Lienen and Günnemann 2021): find the orthogonal R that best transports Y onto X,
//!
//!   min_{R ∈ O(d)} OT_ε(X, Y Rᵀ),   cost C_ij = −⟨x_i, R y_j⟩,
//!
//! by projected gradient steps: each step runs a few Sinkhorn iterations on a kernel of the caller's
//! choice, takes the gradient G = −Xᵀ P Y from the plan without an n×m matrix, and sets
//! R ← polar(R − lr·G). P has unit mass; with T = n·P, the plan whose rows sum to 1 as in the paper's
//! protocol, the step is the paper's R − (lr/n)·(−Xᵀ T Y), so its learning rates (500) carry over.
//! On unit-normalised embeddings the cost equals ½‖x_i − R y_j‖² − 1.

mod options;
mod orthogonal;
mod retrieval;
mod step;

pub use options::{AlignKernel, AlignOptions, AlignProgress};
pub use retrieval::{precision_at_1, Retrieval};

use faer::{Mat, MatRef};

use crate::coupling::Coupling;
use crate::error::{ensure_finite, ensure_finite_entries, ensure_len, Error, Result};
use crate::geometry::{Layout, PointCloud, Points};
use crate::kernel::pairs::PairMemory;
use crate::sinkhorn::{SinkhornOptions, TransportPlan};
use orthogonal::{nearest_orthogonal, orthogonality_error, procrustes, ORTHOGONALITY_TOLERANCE};
use step::{solve_step, view};

/// Where the steps start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Initial<'a> {
    /// R_0 = I.
    Identity,
    /// An orthogonal d×d matrix, row-major.
    Rotation(&'a [f64]),
    /// The Procrustes fit on caller-known pairs (source i, target j).
    SeedPairs(&'a [(usize, usize)]),
}

/// The result of an alignment.
pub struct Alignment {
    rotation: Vec<f64>,
    dim: usize,
    plan: TransportPlan,
    objectives: Vec<f64>,
}

impl Alignment {
    /// R, d×d row-major: x ≈ R y.
    pub fn rotation(&self) -> &[f64] {
        &self.rotation
    }

    /// R into `out` (d×d) in `layout`.
    pub fn write_rotation(&self, out: &mut [f64], layout: Layout) {
        let d = self.dim;
        let (rs, cs) = layout.strides(d, d);
        for (index, &value) in self.rotation.iter().enumerate() {
            out[(index / d) * rs + (index % d) * cs] = value;
        }
    }

    /// The plan between X and Y Rᵀ at the final R.
    pub fn plan(&self) -> &TransportPlan {
        &self.plan
    }

    /// ⟨P, C⟩ at R_0, …, R_steps: the starting rotation, then after every step.
    pub fn objectives(&self) -> &[f64] {
        &self.objectives
    }

    /// The plan between X and Y Rᵀ at the final R.
    pub fn into_plan(self) -> TransportPlan {
        self.plan
    }
}

/// Aligns Y onto X; `progress` is called on the calling thread after every step and cancels the alignment
/// by returning false.
pub fn align(
    x: &PointCloud,
    y: &PointCloud,
    initial: Initial,
    options: &AlignOptions,
    progress: &mut dyn FnMut(&AlignProgress) -> bool,
) -> Result<Alignment> {
    same_dimension(x, y)?;
    let (x, y) = (x.to_points()?, y.to_points()?);
    let mut r = starting_rotation(&x, &y, initial)?;
    let mut sinkhorn = SinkhornOptions::default();
    sinkhorn
        .set_tolerance(f64::MIN_POSITIVE)?
        .set_max_iterations(options.sinkhorn_iterations)?;
    let mut objectives = Vec::with_capacity(options.steps + 1);
    let mut memory = PairMemory::default();
    for step in 0..=options.steps {
        let solved = solve_step(
            &x,
            &y,
            r.as_ref(),
            &options.kernel,
            options.epsilon,
            &sinkhorn,
            &mut memory,
        )?;
        objectives.push(solved.objective);
        ensure_finite_entries("the objectives", &objectives[step..], "rescale the points")?;
        if step == options.steps {
            return Ok(Alignment {
                rotation: row_major(r.as_ref()),
                dim: x.dim(),
                plan: solved.plan,
                objectives,
            });
        }
        let (f, g) = solved.plan.potentials();
        sinkhorn.set_warm_start(f, g)?;
        let learning_rate = options.learning_rate_at(step);
        let stepped = &r - learning_rate * &solved.gradient;
        if !stepped.as_ref().is_all_finite() {
            return Err(Error::NumericalFailure(format!(
                "the gradient step {} overflows: lower the learning rate or rescale the points",
                step + 1
            )));
        }
        r = nearest_orthogonal(stepped.as_ref())?;
        let report = AlignProgress {
            step: step + 1,
            objective: solved.objective,
        };
        if !progress(&report) {
            return Err(Error::Cancelled {
                iteration: step + 1,
            });
        }
    }
    unreachable!("the loop returns at its last step")
}

fn starting_rotation(x: &Points, y: &Points, initial: Initial) -> Result<Mat<f64>> {
    let d = x.dim();
    match initial {
        Initial::Identity => Ok(Mat::identity(d, d)),
        Initial::Rotation(values) => {
            ensure_len("rotation", values, d * d)?;
            ensure_finite("rotation", values)?;
            let r = MatRef::from_row_major_slice(values, d, d).to_owned();
            let error = orthogonality_error(r.as_ref());
            if error > ORTHOGONALITY_TOLERANCE {
                return Err(Error::invalid(
                    "rotation",
                    format!(
                        "not orthogonal: max |RᵀR − I| is {error:.3e} (at most {ORTHOGONALITY_TOLERANCE:e})"
                    ),
                ));
            }
            Ok(r)
        }
        Initial::SeedPairs(pairs) => {
            if pairs.is_empty() {
                return Err(Error::Empty { arg: "seed_pairs" });
            }
            pairs_in_range("seed_pairs", pairs, x.len(), y.len())?;
            procrustes(view(x), view(y), pairs)
        }
    }
}

/// Fails unless y has x's dimension.
fn same_dimension(x: &PointCloud, y: &PointCloud) -> Result<()> {
    if y.dim() == x.dim() {
        Ok(())
    } else {
        Err(Error::mismatch(
            "y",
            format!("{} columns, as x", x.dim()),
            format!("{} columns", y.dim()),
        ))
    }
}

/// Fails unless every pair (i, j) indexes a point of x (n points) and of y (m points).
fn pairs_in_range(arg: &'static str, pairs: &[(usize, usize)], n: usize, m: usize) -> Result<()> {
    match pairs.iter().find(|&&(i, j)| i >= n || j >= m) {
        None => Ok(()),
        Some((i, j)) => Err(Error::invalid(
            arg,
            format!("pair ({i}, {j}) is out of range: x has {n} points and y {m}"),
        )),
    }
}

fn row_major(r: MatRef<'_, f64>) -> Vec<f64> {
    (0..r.nrows())
        .flat_map(|i| (0..r.ncols()).map(move |k| r[(i, k)]))
        .collect()
}
