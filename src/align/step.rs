//! One step's transport problem: the entropic plan between X and the rotated targets Y Rᵀ under the cost
//! C_ij = −⟨x_i, R y_j⟩, and the gradient of its objective in R.
//!
//! By the envelope theorem the gradient of the regularised objective is Σ_ij P_ij ∂C_ij/∂R = −Xᵀ P Y,
//! and for orthogonal R, P Y = (P·(Y Rᵀ)) R comes from the plan's product with its own targets, in
//! O((n + m)·d) memory.

use std::sync::Arc;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};

use super::options::AlignKernel;
use crate::error::Result;
use crate::geometry::{Cost, Layout, PointCloud, Points, Weights};
use crate::kernel::dense::DenseKernel;
use crate::kernel::lcn::LcnKernel;
use crate::kernel::nystrom::NystromKernel;
use crate::kernel::pairs::PairMemory;
use crate::kernel::sparse::SparseKernel;
use crate::kernel::Kernel;
use crate::sinkhorn::{solve, SinkhornOptions, TransportPlan};

pub struct StepPlan {
    pub plan: TransportPlan,
    /// ⟨P, C⟩.
    pub objective: f64,
    /// −Xᵀ P Y (d×d).
    pub gradient: Mat<f64>,
}

/// A packed row-major matrix as a faer view.
pub fn view(points: &Points) -> MatRef<'_, f64> {
    MatRef::from_row_major_slice(points.as_slice(), points.len(), points.dim())
}

/// The rows R y_j, packed row-major.
pub fn rotated(y: &Points, r: MatRef<'_, f64>) -> Points {
    let (m, d) = (y.len(), y.dim());
    let mut data = vec![0.0; m * d];
    // R Yᵀ is d×m; column-major, its columns are the rows R y_j, contiguous.
    matmul(
        MatMut::from_column_major_slice_mut(&mut data, d, m),
        Accum::Replace,
        r,
        view(y).transpose(),
        1.0,
        Par::rayon(0),
    );
    Points::from_row_major(data, m, d)
}

fn cloud<'p>(arg: &'static str, points: &'p Points) -> Result<PointCloud<'p>> {
    PointCloud::new(
        arg,
        points.as_slice(),
        points.len(),
        points.dim(),
        Layout::RowMajor,
    )
}

fn build_kernel(
    kind: &AlignKernel,
    x: &Points,
    targets: &Points,
    epsilon: f64,
    memory: &mut PairMemory,
) -> Result<Arc<dyn Kernel>> {
    let (xs, ys) = (cloud("x", x)?, cloud("y", targets)?);
    let cost = Cost::NegDot;
    Ok(match kind {
        AlignKernel::Dense(mode) => {
            Arc::new(DenseKernel::from_points(&xs, &ys, cost, epsilon, *mode)?)
        }
        AlignKernel::Sparse(pairs) => Arc::new(SparseKernel::remembering(
            &xs, &ys, cost, epsilon, pairs, memory,
        )?),
        AlignKernel::Nystrom(options) => {
            Arc::new(NystromKernel::new(&xs, &ys, cost, epsilon, options)?)
        }
        AlignKernel::Lcn { landmarks, pairs } => Arc::new(LcnKernel::remembering(
            &xs, &ys, cost, epsilon, landmarks, pairs, memory,
        )?),
    })
}

/// Runs `sinkhorn`'s iterations (from its warm start, the previous step's potentials, if set) between
/// X and Y Rᵀ, and differentiates the result in R, which must be orthogonal. The kernel's pairs start from
/// what the previous step's left in `memory`.
pub fn solve_step(
    x: &Points,
    y: &Points,
    r: MatRef<'_, f64>,
    kind: &AlignKernel,
    epsilon: f64,
    sinkhorn: &SinkhornOptions,
    memory: &mut PairMemory,
) -> Result<StepPlan> {
    let targets = rotated(y, r);
    let kernel = build_kernel(kind, x, &targets, epsilon, memory)?;
    let (n, m, d) = (x.len(), y.len(), x.dim());
    let plan = solve(
        &kernel,
        &Weights::new("a", None, n)?,
        &Weights::new("b", None, m)?,
        sinkhorn,
    )?;
    let (moved, _) = plan.plan_times_targets()?;
    let moved = MatRef::from_row_major_slice(&moved, n, d);
    let objective = -(0..n)
        .map(|i| (0..d).map(|k| x.point(i)[k] * moved[(i, k)]).sum::<f64>())
        .sum::<f64>();
    // Xᵀ (P Y Rᵀ) R = Xᵀ P Y.
    let mut cross = Mat::<f64>::zeros(d, d);
    matmul(
        cross.as_mut(),
        Accum::Replace,
        view(x).transpose(),
        moved,
        1.0,
        Par::rayon(0),
    );
    let mut gradient = Mat::<f64>::zeros(d, d);
    matmul(
        gradient.as_mut(),
        Accum::Replace,
        cross.as_ref(),
        r,
        -1.0,
        Par::Seq,
    );
    Ok(StepPlan {
        plan,
        objective,
        gradient,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::orthogonal::nearest_orthogonal;
    use crate::kernel::dense::DenseMode;

    fn points(n: usize, d: usize, phase: f64) -> Points {
        let data = (0..n * d)
            .map(|v| (v as f64 * 0.618 + phase).sin())
            .collect();
        Points::from_row_major(data, n, d)
    }

    #[test]
    fn the_gradient_is_the_derivative_of_the_regularised_objective() {
        let (x, y, d) = (points(30, 4, 0.0), points(25, 4, 1.0), 4);
        let kind = AlignKernel::Dense(DenseMode::StoredF64);
        let mut sinkhorn = SinkhornOptions::default();
        sinkhorn
            .set_tolerance(1e-13)
            .unwrap()
            .set_max_iterations(100_000)
            .unwrap();
        let epsilon = 0.3;
        // The gradient is taken at an orthogonal R, in a direction that leaves the group: the cost
        // −⟨x, R y⟩ is linear in every R.
        let r = nearest_orthogonal(
            Mat::from_fn(d, d, |i, k| ((i * 3 + k * 5) % 7) as f64 / 7.0 - 0.3).as_ref(),
        )
        .unwrap();
        let direction = Mat::from_fn(d, d, |i, k| ((i * 5 + k) % 3) as f64 - 1.0);
        let at = |r: MatRef<'_, f64>| {
            let step = solve_step(
                &x,
                &y,
                r,
                &kind,
                epsilon,
                &sinkhorn,
                &mut PairMemory::default(),
            )
            .unwrap();
            assert!(step.plan.converged());
            (step.plan.regularized_objective(), step.gradient)
        };
        let (_, gradient) = at(r.as_ref());
        let h = 1e-5;
        let (up, _) = at((&r + h * &direction).as_ref());
        let (down, _) = at((&r - h * &direction).as_ref());
        let finite_difference = (up - down) / (2.0 * h);
        let analytic: f64 = (0..d)
            .flat_map(|i| (0..d).map(move |k| (i, k)))
            .map(|(i, k)| gradient[(i, k)] * direction[(i, k)])
            .sum();
        assert!(
            (finite_difference - analytic).abs() <= 1e-7 * analytic.abs().max(1.0),
            "{finite_difference} vs {analytic}"
        );
    }
}
