//! Newton's method on the semi-dual, to finish a balanced solve on which Sinkhorn has stalled (Brauer,
//! Clason, Lorenz, Wirth, "A Sinkhorn–Newton method for entropic optimal transport", 2017).
//!
//! With the rows normalised exactly, `f(g) = −ε log Σ_j b_j e^{(g_j − C_ij)/ε}`, the semi-dual
//! `h(g) = a·f(g) + b·g` is concave with gradient `b − c` (c the plan's column sums) and Hessian
//! `−S/ε`, `S = diag(c) − Pᵀ diag(1/a) P`. S is positive semi-definite with kernel 1, and its products
//! need only `G` and `Gᵀ`, so conjugate gradients solve the Newton system without forming a matrix. Near
//! a permutation-like plan Sinkhorn contracts the error by a rate within 1e-6 of 1; Newton converges
//! quadratically there.

use super::plan::Scaled;
use super::solver::half_step;
use crate::error::{Error, Line, Result};
use crate::kernel::{Gibbs, Kernel};
use crate::threads;

/// Armijo's sufficient decrease of the gradient norm, per unit step.
const SUFFICIENT_DECREASE: f64 = 1e-4;
/// Step halvings before a direction is given up.
const MAX_HALVINGS: usize = 30;

/// The semi-dual of one balanced problem.
pub(crate) struct SemiDual<'a> {
    pub kernel: &'a dyn Kernel,
    pub a: &'a [f64],
    pub b: &'a [f64],
    pub log_b: &'a [f64],
    pub epsilon: f64,
}

/// The semi-dual at one g: the row-normalised potentials, their operator and the column sums.
struct Point {
    f: Vec<f64>,
    g: Vec<f64>,
    gibbs: Box<dyn Gibbs>,
    /// `c − b`, the negated gradient.
    residual: Vec<f64>,
}

impl Point {
    fn l1(&self) -> f64 {
        self.residual.iter().map(|r| r.abs()).sum()
    }

    fn l2(&self) -> f64 {
        self.residual.iter().map(|r| r * r).sum::<f64>().sqrt()
    }
}

/// How a polish ended.
pub(crate) struct Polished {
    pub state: Scaled,
    /// The L1 marginal error of `state` (its rows are exact, so this is the column error).
    pub error: f64,
    /// False when a Newton direction failed to reduce the error: Sinkhorn should take over again.
    pub progressing: bool,
}

impl SemiDual<'_> {
    /// Newton steps from `g` until the L1 marginal error is below `tolerance`, the work reaches
    /// `budget` operator passes (counted in `iterations`) or a step fails. `progress` is told the
    /// iteration count and error before each step, and cancels by returning false.
    pub fn polish(
        &self,
        g: Vec<f64>,
        tolerance: f64,
        budget: usize,
        iterations: &mut usize,
        progress: &mut dyn FnMut(usize, f64) -> bool,
    ) -> Result<Polished> {
        let limit = *iterations + budget;
        let mut point = self.evaluate(g)?;
        *iterations += 1;
        let mut progressing = true;
        while point.l1() >= tolerance && *iterations < limit {
            if !progress(*iterations, point.l1()) {
                return Err(Error::Cancelled {
                    iteration: *iterations,
                });
            }
            let direction = self.newton_direction(&point, limit, iterations);
            match self.line_search(&point, &direction, limit, iterations)? {
                Some(next) => point = next,
                None => {
                    progressing = false;
                    break;
                }
            }
        }
        let error = point.l1();
        let mut state = Scaled::new(point.f, point.g, point.gibbs, self.epsilon);
        state.converged = error < tolerance;
        Ok(Polished {
            state,
            error,
            progressing,
        })
    }

    fn evaluate(&self, g: Vec<f64>) -> Result<Point> {
        let m = self.b.len();
        let f = half_step(self.kernel, Line::Row, self.log_b, &g, 1.0, self.epsilon)?;
        let gibbs = threads::run(|| self.kernel.gibbs(&f, &g))?;
        let mut column = vec![0.0; m];
        threads::run(|| gibbs.apply_transpose(self.a, &mut column));
        let residual = column
            .iter()
            .zip(self.b)
            .map(|(cj, bj)| bj * cj - bj)
            .collect();
        Ok(Point {
            f,
            g,
            gibbs,
            residual,
        })
    }

    /// `S p = c∘p − b∘Gᵀ(a∘G(b∘p))`, one fused pass.
    fn schur_product(&self, point: &Point, p: &[f64], out: &mut [f64]) {
        let n = self.a.len();
        let x: Vec<f64> = p.iter().zip(self.b).map(|(pj, bj)| pj * bj).collect();
        let (mut s, mut r) = (vec![0.0; n], vec![0.0; n]);
        let a = self.a;
        threads::run(|| {
            point
                .gibbs
                .sweep(&x, &|i, si| a[i] * si, &mut s, &mut r, out)
        });
        for (((oj, pj), bj), rj) in out.iter_mut().zip(p).zip(self.b).zip(&point.residual) {
            *oj = (rj + bj) * pj - bj * *oj;
        }
    }

    /// Preconditioned conjugate gradients for `(S + μ diag(c)) δ = −ε (c − b)`, to the relative accuracy
    /// that keeps Newton's convergence superlinear. S is singular beyond the constant vector wherever the
    /// plan falls into numerically disconnected blocks; the Levenberg–Marquardt term μ = (‖c − b‖₁/mass)²
    /// keeps the system definite and the step bounded. It is squared because weakly coupled blocks need
    /// steps of many ε along directions whose curvature is ~1e-14: a larger μ would stall them.
    fn newton_direction(&self, point: &Point, limit: usize, iterations: &mut usize) -> Vec<f64> {
        let m = point.g.len();
        let relative_error = point.l1() / self.b.iter().sum::<f64>();
        let damping = relative_error.min(1.0).powi(2);
        let forcing = relative_error.sqrt().min(0.1);
        let diagonal: Vec<f64> = point
            .residual
            .iter()
            .zip(self.b)
            .map(|(r, b)| (r + b).max(f64::MIN_POSITIVE))
            .collect();
        let mut residual: Vec<f64> = point.residual.iter().map(|r| -self.epsilon * r).collect();
        let rhs_norm = norm(&residual);
        let mut delta = vec![0.0; m];
        let mut z: Vec<f64> = residual.iter().zip(&diagonal).map(|(r, d)| r / d).collect();
        let mut search = z.clone();
        let mut rz = dot(&residual, &z);
        let mut product = vec![0.0; m];
        while norm(&residual) > forcing * rhs_norm && *iterations < limit {
            self.schur_product(point, &search, &mut product);
            *iterations += 1;
            for ((pj, sj), dj) in product.iter_mut().zip(&search).zip(&diagonal) {
                *pj += damping * dj * sj;
            }
            let curvature = dot(&search, &product);
            if curvature.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                break;
            }
            let step = rz / curvature;
            for ((dj, sj), (rj, pj)) in delta
                .iter_mut()
                .zip(&search)
                .zip(residual.iter_mut().zip(&product))
            {
                *dj += step * sj;
                *rj -= step * pj;
            }
            for ((zj, rj), dj) in z.iter_mut().zip(&residual).zip(&diagonal) {
                *zj = rj / dj;
            }
            let rz_next = dot(&residual, &z);
            let beta = rz_next / rz;
            rz = rz_next;
            for (sj, zj) in search.iter_mut().zip(&z) {
                *sj = zj + beta * *sj;
            }
        }
        delta
    }

    /// Backtracking on the gradient's L2 norm, which every inexact Newton direction decreases.
    fn line_search(
        &self,
        point: &Point,
        direction: &[f64],
        limit: usize,
        iterations: &mut usize,
    ) -> Result<Option<Point>> {
        let norm0 = point.l2();
        let mut step = 1.0;
        for _ in 0..MAX_HALVINGS {
            if *iterations >= limit {
                break;
            }
            let g = point
                .g
                .iter()
                .zip(direction)
                .map(|(gj, dj)| gj + step * dj)
                .collect();
            *iterations += 1;
            let trial = self.evaluate(g)?;
            let norm = trial.l2();
            if norm.is_finite() && norm <= (1.0 - SUFFICIENT_DECREASE * step) * norm0 {
                return Ok(Some(trial));
            }
            step *= 0.5;
        }
        Ok(None)
    }
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(x, y)| x * y).sum()
}

fn norm(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}
