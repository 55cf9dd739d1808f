//! Sinkhorn's iterations with absorption (Schmitzer, "Stabilized sparse scaling algorithms", 2019).
//!
//! The state is a pair of potentials (f, g) absorbed into a [`Gibbs`] operator G and a pair of scalings
//! (u, v) near 1, with `P = diag(a∘u) G diag(b∘v)`. An iteration is one [`Gibbs::sweep`]: u from the row
//! sums, then v from the column sums. When u or v leave the range the operator can represent, they are
//! absorbed into (f, g) and the operator is rebuilt; when a product underflows, that iteration is redone
//! exactly in the log domain. Each ε stage starts with one log-domain iteration, which brings any
//! starting potentials into range, except that a caller's warm start is absorbed as it is.

use std::sync::Arc;

use super::newton::SemiDual;
use super::options::{EpsilonScaling, Progress, SinkhornOptions};
use super::overrelaxation::{Overrelaxation, Schedule};
use super::plan::{Scaled, TransportPlan};
use crate::error::{Error, Result};
use crate::geometry::Weights;
use crate::kernel::Kernel;
use crate::threads;

/// Relative difference of masses a balanced problem tolerates. The marginal error cannot fall below it.
const MASS_TOLERANCE: f64 = 1e-6;
/// Intermediate ε stages stop at this tolerance, or at the final one if that is looser.
const STAGE_TOLERANCE: f64 = 1e-3;
/// A balanced stage switches to Newton's method when, after this many iterations, …
const NEWTON_AFTER: usize = 256;
/// … Sinkhorn's measured rate predicts more than this many further iterations to the tolerance.
const NEWTON_WHEN_REMAINING: f64 = 1000.0;
/// … and the L1 marginal error is below this fraction of the mass: Newton's local regime. Further out,
/// Sinkhorn's multiplicative updates move mass between distant blocks far better than a Newton step.
const NEWTON_BELOW: f64 = 1e-3;
/// Iterations over which that rate is measured.
const RATE_WINDOW: usize = 64;

/// Solves with no progress callback.
pub fn solve(
    kernel: &Arc<dyn Kernel>,
    a: &Weights,
    b: &Weights,
    options: &SinkhornOptions,
) -> Result<TransportPlan> {
    threads::run(|| solve_in_pool(kernel, a, b, options, &mut |_| true))
}

/// Solves; `progress` is called on the calling thread every check interval, and cancels the solve by
/// returning `false`.
pub fn solve_with_progress(
    kernel: &Arc<dyn Kernel>,
    a: &Weights,
    b: &Weights,
    options: &SinkhornOptions,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<TransportPlan> {
    threads::run_with_progress(
        |report| solve_in_pool(kernel, a, b, options, report),
        &mut |p: Progress| progress(&p),
    )
}

fn solve_in_pool(
    kernel: &Arc<dyn Kernel>,
    a: &Weights,
    b: &Weights,
    options: &SinkhornOptions,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<TransportPlan> {
    let (n, m) = kernel.shape();
    if a.len() != n {
        return Err(Error::mismatch(
            "a",
            format!("{n} weights (the kernel's rows)"),
            a.len(),
        ));
    }
    if b.len() != m {
        return Err(Error::mismatch(
            "b",
            format!("{m} weights (the kernel's columns)"),
            b.len(),
        ));
    }
    if options.is_balanced()
        && (a.mass() - b.mass()).abs() > MASS_TOLERANCE * a.mass().max(b.mass())
    {
        return Err(Error::MassMismatch {
            mass_a: a.mass(),
            mass_b: b.mass(),
        });
    }
    // A caller's warm start is absorbed as it is; zeros are first brought into range.
    let (mut f, mut g, mut start) = match options.warm_start() {
        Some((f, g)) => {
            if f.len() != n {
                return Err(Error::mismatch("f", format!("{n} potentials"), f.len()));
            }
            if g.len() != m {
                return Err(Error::mismatch("g", format!("{m} potentials"), g.len()));
            }
            (f.to_vec(), g.to_vec(), Start::Absorb)
        }
        None => (vec![0.0; n], vec![0.0; m], Start::LogIteration),
    };

    let stages = epsilon_stages(
        kernel.epsilon(),
        options.epsilon_scaling(),
        options.max_iterations(),
    );
    let mut iterations = 0;
    for &epsilon in &stages[..stages.len() - 1] {
        let stage_kernel = kernel.with_epsilon(epsilon).ok_or_else(|| {
            Error::Unsupported("epsilon scaling needs a kernel that can be rebuilt at another epsilon (a dense kernel)".into())
        })?;
        let stage = Stage::new(
            &stage_kernel,
            a,
            b,
            options,
            options.tolerance().max(STAGE_TOLERANCE),
        );
        // Leave at least one iteration for the final stage.
        let state = stage.run(
            f,
            g,
            start,
            options.max_iterations() - 1,
            &mut iterations,
            progress,
        )?;
        (f, g) = state.total_potentials();
        start = Start::LogIteration;
    }
    let stage = Stage::new(kernel, a, b, options, options.tolerance());
    let state = stage.run(
        f,
        g,
        start,
        options.max_iterations(),
        &mut iterations,
        progress,
    )?;
    TransportPlan::new(
        Arc::clone(kernel),
        state,
        a.clone(),
        b.clone(),
        options.marginal_relaxation(),
        iterations,
    )
}

/// `start·ε, start·ε·factor, …`, then ε itself; at most one stage per iteration.
fn epsilon_stages(
    epsilon: f64,
    scaling: Option<EpsilonScaling>,
    max_iterations: usize,
) -> Vec<f64> {
    let mut stages = Vec::new();
    if let Some(EpsilonScaling { start, factor }) = scaling {
        let mut stage = start * epsilon;
        while stage > epsilon && stages.len() + 1 < max_iterations {
            stages.push(stage);
            stage *= factor;
        }
    }
    stages.push(epsilon);
    stages
}

/// One ε stage: a kernel, the marginals, and how each marginal is enforced.
struct Stage<'a> {
    kernel: &'a Arc<dyn Kernel>,
    a: &'a [f64],
    b: &'a [f64],
    log_a: Vec<f64>,
    log_b: Vec<f64>,
    /// τ/(τ + ε) per side: 1 for an exact marginal.
    lambda_a: f64,
    lambda_b: f64,
    epsilon: f64,
    /// The target marginals' total mass (of b, for a balanced problem's column error).
    mass: f64,
    balanced: bool,
    tolerance: f64,
    check_interval: usize,
    overrelaxation: Overrelaxation,
}

impl<'a> Stage<'a> {
    fn new(
        kernel: &'a Arc<dyn Kernel>,
        a: &'a Weights,
        b: &'a Weights,
        options: &SinkhornOptions,
        tolerance: f64,
    ) -> Self {
        let epsilon = kernel.epsilon();
        let (tau_a, tau_b) = options.marginal_relaxation();
        let lambda = |tau: f64| {
            if tau.is_infinite() {
                1.0
            } else {
                tau / (tau + epsilon)
            }
        };
        Stage {
            kernel,
            a: a.as_slice(),
            b: b.as_slice(),
            log_a: a.as_slice().iter().map(|w| w.ln()).collect(),
            log_b: b.as_slice().iter().map(|w| w.ln()).collect(),
            lambda_a: lambda(tau_a),
            lambda_b: lambda(tau_b),
            epsilon,
            mass: b.mass(),
            balanced: options.is_balanced(),
            tolerance,
            check_interval: options.check_interval(),
            overrelaxation: options.overrelaxation(),
        }
    }

    /// The scaling that makes a row (or column) of the plan right: `1/sum` for an exact marginal, and the
    /// KL proximal step `sum^{−λ} e^{−(1−λ) f/ε}` for a relaxed one (f the absorbed potential).
    #[inline]
    fn scaling(sum: f64, potential: f64, lambda: f64, epsilon: f64) -> f64 {
        if lambda == 1.0 {
            1.0 / sum
        } else {
            (-lambda * sum.ln() - (1.0 - lambda) * potential / epsilon).exp()
        }
    }

    /// One exact iteration in the log domain: f from g, then g from f.
    fn log_iteration(&self, g: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let f = half_step(
            self.kernel.as_ref(),
            Line::Row,
            &self.log_b,
            g,
            self.lambda_a,
            self.epsilon,
        )?;
        let g = half_step(
            self.kernel.as_ref(),
            Line::Column,
            &self.log_a,
            &f,
            self.lambda_b,
            self.epsilon,
        )?;
        Ok((f, g))
    }

    fn absorbed(&self, f: Vec<f64>, g: Vec<f64>) -> Result<Scaled> {
        let gibbs = threads::run(|| self.kernel.gibbs(&f, &g))?;
        Ok(Scaled::new(f, g, gibbs, self.epsilon))
    }

    fn run(
        &self,
        f0: Vec<f64>,
        g0: Vec<f64>,
        start: Start,
        max_iterations: usize,
        iterations: &mut usize,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<Scaled> {
        let (n, m) = self.kernel.shape();
        let eps = self.epsilon;
        let mut state = match start {
            Start::LogIteration => {
                let (f, g) = self.log_iteration(&g0)?;
                *iterations += 1;
                self.absorbed(f, g)?
            }
            Start::Absorb => self.absorbed(f0, g0)?,
        };
        let mut schedule = Schedule::new(self.overrelaxation);
        // The column error of the current state, known from the sweep that produced it.
        let mut column_error = 0.0;

        let mut stall = StallDetector::default();
        let mut newton_failed = false;
        let stage_start = *iterations;

        let mut x = vec![0.0; m];
        let (mut s, mut r, mut y) = (vec![0.0; n], vec![0.0; n], vec![0.0; m]);
        let (mut u_next, mut v_next) = (vec![0.0; n], vec![0.0; m]);
        while *iterations < max_iterations {
            for ((xj, bj), vj) in x.iter_mut().zip(self.b).zip(&state.v) {
                *xj = bj * vj;
            }
            let omega = schedule.omega();
            let (f, u, lambda_a) = (&state.f, &state.u, self.lambda_a);
            let row_update = |i: usize, si: f64| {
                self.a[i] * Schedule::relax(omega, u[i], Self::scaling(si, f[i], lambda_a, eps))
            };
            threads::run(|| state.gibbs.sweep(&x, &row_update, &mut s, &mut r, &mut y));
            for (((ui, &si), &fi), &old) in u_next.iter_mut().zip(&s).zip(&state.f).zip(&state.u) {
                *ui = Schedule::relax(omega, old, Self::scaling(si, fi, self.lambda_a, eps));
            }
            for (((vj, &yj), &gj), &old) in v_next.iter_mut().zip(&y).zip(&state.g).zip(&state.v) {
                *vj = Schedule::relax(omega, old, Self::scaling(yj, gj, self.lambda_b, eps));
            }
            let healthy = |w: &[f64]| w.iter().all(|&w| w.is_finite() && w > 0.0);
            if !(healthy(&u_next) && healthy(&v_next)) {
                // A sum underflowed: redo this iteration exactly, from the current potentials.
                let (_, g_total) = state.total_potentials();
                let (f, g) = self.log_iteration(&g_total)?;
                *iterations += 1;
                state = self.absorbed(f, g)?;
                column_error = 0.0;
                continue;
            }

            // Balanced: the L1 marginal error of the current state; its row sums come from this sweep.
            // Relaxed: the largest change of the potentials over this iteration, in units of ε.
            let (error, state_iteration) = if self.balanced {
                let row_error: f64 = self
                    .a
                    .iter()
                    .zip(&state.u)
                    .zip(&s)
                    .map(|((ai, ui), si)| (ai * ui * si - ai).abs())
                    .sum();
                (row_error + column_error, *iterations)
            } else {
                (
                    largest_log_ratio(&u_next, &state.u).max(largest_log_ratio(&v_next, &state.v)),
                    *iterations + 1,
                )
            };
            schedule.observe(error);
            let check = state_iteration % self.check_interval == 0;
            if self.balanced && check && error < self.tolerance {
                state.converged = true;
                break;
            }
            if self.balanced
                && !newton_failed
                && stall.remaining(*iterations, error, self.tolerance) > NEWTON_WHEN_REMAINING
                && *iterations - stage_start >= NEWTON_AFTER
                && error < NEWTON_BELOW * self.mass
            {
                let (_, g_total) = state.total_potentials();
                let semi_dual = SemiDual {
                    kernel: self.kernel.as_ref(),
                    a: self.a,
                    b: self.b,
                    log_b: &self.log_b,
                    epsilon: eps,
                };
                let polished = semi_dual.polish(
                    g_total,
                    self.tolerance,
                    max_iterations - *iterations,
                    iterations,
                    &mut |iteration, error| {
                        progress(Progress {
                            iteration,
                            error,
                            epsilon: eps,
                        })
                    },
                )?;
                state = polished.state;
                if state.converged {
                    break;
                }
                newton_failed = !polished.progressing;
                column_error = polished.error;
                schedule = Schedule::new(self.overrelaxation);
                continue;
            }
            column_error = self
                .b
                .iter()
                .zip(&v_next)
                .zip(&y)
                .map(|((bj, vj), yj)| (bj * vj * yj - bj).abs())
                .sum();
            std::mem::swap(&mut state.u, &mut u_next);
            std::mem::swap(&mut state.v, &mut v_next);
            *iterations += 1;
            if check && error < self.tolerance {
                state.converged = true;
                break;
            }
            if check
                && !progress(Progress {
                    iteration: state_iteration,
                    error,
                    epsilon: eps,
                })
            {
                return Err(Error::Cancelled {
                    iteration: state_iteration,
                });
            }
            let threshold = state.gibbs.absorption_threshold();
            if largest_log(&state.u).max(largest_log(&state.v)) > threshold {
                let (f, g) = state.total_potentials();
                state = self.absorbed(f, g)?;
            }
        }
        Ok(state)
    }
}

/// How a stage starts from its potentials.
#[derive(Clone, Copy)]
enum Start {
    /// One exact log-domain iteration first, which brings any potentials into range (zeros at a small ε
    /// would underflow the absorbed operator).
    LogIteration,
    /// Absorb the potentials as they are: a warm start is near the solution already, and a sum that
    /// underflows in the first sweep falls back to the log-domain iteration. For a kernel rebuilt at
    /// every call (an alignment step) this saves two of its three passes over the cost.
    Absorb,
}

/// Predicts how many more iterations Sinkhorn needs, from the error's decay over the last window.
#[derive(Default)]
struct StallDetector {
    window_start: Option<(usize, f64)>,
    remaining: f64,
}

impl StallDetector {
    fn remaining(&mut self, iteration: usize, error: f64, tolerance: f64) -> f64 {
        match self.window_start {
            Some((start, start_error)) if iteration - start >= RATE_WINDOW => {
                let rate = (error / start_error).powf(1.0 / (iteration - start) as f64);
                self.remaining = if rate < 1.0 {
                    (tolerance / error).ln() / rate.ln()
                } else {
                    f64::INFINITY
                };
                self.window_start = Some((iteration, error));
            }
            Some(_) => {}
            None => self.window_start = Some((iteration, error)),
        }
        self.remaining
    }
}

/// Which side of the kernel a half step updates.
#[derive(Clone, Copy)]
pub(crate) enum Line {
    Row,
    Column,
}

/// One exact half step in the log domain: the potentials of `line` that make its marginal right (λ = 1)
/// or take the KL proximal step (λ < 1), given the other side's potentials `other` and log-weights
/// `log_other`. `−λ ε · log Σ K e^{log_w + other/ε}`, refusing a line whose kernel sum is zero: no mass
/// could ever reach it.
pub(crate) fn half_step(
    kernel: &dyn Kernel,
    line: Line,
    log_other: &[f64],
    other: &[f64],
    lambda: f64,
    epsilon: f64,
) -> Result<Vec<f64>> {
    let (n, m) = kernel.shape();
    let exponents: Vec<f64> = log_other
        .iter()
        .zip(other)
        .map(|(lw, p)| lw + p / epsilon)
        .collect();
    let (name, mut lse) = match line {
        Line::Row => ("row", vec![0.0; n]),
        Line::Column => ("column", vec![0.0; m]),
    };
    threads::run(|| match line {
        Line::Row => kernel.log_apply(&exponents, &mut lse),
        Line::Column => kernel.log_apply_transpose(&exponents, &mut lse),
    })?;
    lse.iter()
        .enumerate()
        .map(|(i, &l)| {
            let potential = -lambda * epsilon * l;
            if potential.is_finite() {
                Ok(potential)
            } else {
                Err(Error::NumericalFailure(format!(
                    "the kernel's {name} {i} sums to {l} in the log domain; increase epsilon"
                )))
            }
        })
        .collect()
}

fn largest_log(w: &[f64]) -> f64 {
    w.iter().fold(0.0, |acc, &w| acc.max(w.ln().abs()))
}

fn largest_log_ratio(new: &[f64], old: &[f64]) -> f64 {
    new.iter()
        .zip(old)
        .fold(0.0, |acc, (&a, &b)| acc.max((a / b).ln().abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_decrease_to_epsilon() {
        let stages = epsilon_stages(
            0.1,
            Some(EpsilonScaling {
                start: 100.0,
                factor: 0.1,
            }),
            1000,
        );
        assert_eq!(stages.len(), 3, "{stages:?}");
        assert!(
            (stages[0] - 10.0).abs() < 1e-12 && (stages[1] - 1.0).abs() < 1e-12 && stages[2] == 0.1
        );
        assert_eq!(epsilon_stages(0.1, None, 1000), vec![0.1]);
    }
}
