//! The solve: block ascent (or the paper's sign ascent) on the dual, with the paper's stopping rule.

use std::sync::Arc;

use super::anderson::Anderson;
use super::dual::Assessment;
use super::engine::exact::ExactSums;
use super::engine::tree::TreeSums;
use super::engine::{KernelSums, Side};
use super::options::{Engine, Method, RrhoOptions, RrhoProgress};
use super::oriented::{evaluate_side, row_weights, solve_side, totals, DualPoint};
use super::problem::RrhoProblem;
use super::solution::RrhoSolution;
use crate::error::{Error, Result};
use crate::threads;

/// Solves on scalot's thread pool.
pub fn solve(problem: &Arc<RrhoProblem>, options: &RrhoOptions) -> Result<RrhoSolution> {
    threads::run(|| solve_in_pool(problem, options, &mut |_| true))
}

/// Solves; `progress` is called on the calling thread after every pass and cancels by returning false.
pub fn solve_with_progress(
    problem: &Arc<RrhoProblem>,
    options: &RrhoOptions,
    progress: &mut dyn FnMut(&RrhoProgress) -> bool,
) -> Result<RrhoSolution> {
    // Before the first pass there is no error to report.
    let first = RrhoProgress {
        pass: 0,
        error: f64::INFINITY,
    };
    threads::run_with_heartbeat(
        first,
        |p| p.pass,
        |report| solve_in_pool(problem, options, report),
        &mut |p: RrhoProgress| progress(&p),
    )
}

fn solve_in_pool(
    problem: &Arc<RrhoProblem>,
    options: &RrhoOptions,
    progress: &mut dyn FnMut(RrhoProgress) -> bool,
) -> Result<RrhoSolution> {
    let (n, m) = problem.shape();
    let start = match &options.warm_start {
        None => DualPoint {
            alpha: vec![0.0; n],
            beta: vec![0.0; m],
        },
        Some((alpha, beta)) => {
            crate::error::ensure_len("alpha", alpha, n)?;
            crate::error::ensure_len("beta", beta, m)?;
            DualPoint {
                alpha: alpha.clone(),
                beta: beta.clone(),
            }
        }
    };
    match options.engine {
        Engine::Exact => run(&ExactSums::new(problem), problem, options, start, progress),
        Engine::Tree { accuracy } => run(
            &TreeSums::new(problem, accuracy)?,
            problem,
            options,
            start,
            progress,
        ),
    }
}

/// Where a method stopped.
struct Outcome {
    point: DualPoint,
    assessment: Assessment,
    passes: usize,
    converged: bool,
}

fn run<E: KernelSums>(
    engine: &E,
    problem: &Arc<RrhoProblem>,
    options: &RrhoOptions,
    start: DualPoint,
    progress: &mut dyn FnMut(RrhoProgress) -> bool,
) -> Result<RrhoSolution> {
    let outcome = match options.method {
        Method::BlockAscent => block_ascent(engine, problem, options, start, progress)?,
        Method::SignAscent { step } => {
            sign_ascent(engine, problem, options, step, start, progress)?
        }
    };
    let solution = RrhoSolution::new(
        Arc::clone(problem),
        outcome.point,
        outcome.assessment,
        outcome.passes,
        outcome.converged,
    );
    solution.ensure_finite()?;
    Ok(solution)
}

/// Reports a pass, unless its error is not finite: the potentials have then left the doubles, and the
/// solve fails rather than tell the caller a NaN.
fn report(progress: &mut dyn FnMut(RrhoProgress) -> bool, pass: usize, error: f64) -> Result<()> {
    if !error.is_finite() {
        return Err(Error::NumericalFailure(format!(
            "the marginal error after pass {pass} is not finite ({error}): the potentials left the range \
             of doubles; rescale the points, or raise the floor"
        )));
    }
    if progress(RrhoProgress { pass, error }) {
        Ok(())
    } else {
        Err(Error::Cancelled { iteration: pass })
    }
}

/// Alternately solves every α_i's and every β_j's equation exactly, with the β iterates Anderson-mixed.
/// The β pass also measures the β-side error at the point (α*, β) the α pass left, whose α-side error
/// that pass measured: together, the paper's stopping test for that point, which is then returned as it
/// is (the β pass's update dropped).
fn block_ascent<E: KernelSums>(
    engine: &E,
    problem: &RrhoProblem,
    options: &RrhoOptions,
    mut point: DualPoint,
    progress: &mut dyn FnMut(RrhoProgress) -> bool,
) -> Result<Outcome> {
    let mut anderson = Anderson::default();
    let mut previous_error = f64::INFINITY;
    let mut passes = 0;
    while passes + 2 <= options.max_passes.max(2) {
        let alpha_pass = solve_side(engine, problem, Side::X, &point);
        point.set(Side::X, &alpha_pass.potentials);
        let beta_pass = solve_side(engine, problem, Side::Y, &point);
        passes += 2;
        let error = alpha_pass.error_after.max(beta_pass.error_before);
        report(progress, passes, error)?;
        if !error.is_finite() || !alpha_pass.penalty_after.is_finite() {
            return Err(Error::NumericalFailure(format!(
                "the marginal sums of pass {passes} are not finite: the points are too close for this \
                 floor and rho (raise the floor)"
            )));
        }
        if alpha_pass.error_after < options.tolerance && beta_pass.error_before < options.tolerance
        {
            return Ok(Outcome {
                point,
                assessment: Assessment {
                    alpha_error: alpha_pass.error_after,
                    beta_error: beta_pass.error_before,
                    penalty_sum: alpha_pass.penalty_after,
                },
                passes,
                converged: true,
            });
        }
        if error > previous_error {
            // The mixed step made things worse: continue from plain steps.
            anderson.reset();
        }
        previous_error = error;
        let update: Vec<f64> = beta_pass.potentials.iter().map(|b| -b).collect();
        let next = anderson.next(&point.beta, update);
        point.beta.copy_from_slice(&next);
    }
    Ok(Outcome {
        assessment: assess(engine, problem, &point),
        point,
        passes,
        converged: false,
    })
}

/// Both sides' errors and the penalty at a point, by two evaluation passes.
fn assess<E: KernelSums>(engine: &E, problem: &RrhoProblem, point: &DualPoint) -> Assessment {
    let x = evaluate_side(engine, Side::X, point);
    let y = evaluate_side(engine, Side::Y, point);
    let (alpha_error, penalty_sum) = totals(&problem.mu, x.into_iter());
    let (beta_error, _) = totals(&problem.nu, y.into_iter());
    Assessment {
        alpha_error,
        beta_error,
        penalty_sum,
    }
}

/// The paper's Figure 1: step every α_i by `step` towards η_i = 1 while Σ μ_i|1 − η_i| is at least the
/// tolerance, else every β_j towards ξ_j = 1, else stop. Each round evaluates one or two sides.
fn sign_ascent<E: KernelSums>(
    engine: &E,
    problem: &RrhoProblem,
    options: &RrhoOptions,
    step: f64,
    mut point: DualPoint,
    progress: &mut dyn FnMut(RrhoProgress) -> bool,
) -> Result<Outcome> {
    let mut assessed = None;
    let mut passes = 0;
    while passes < options.max_passes {
        let mut errors = [0.0; 2];
        let mut stepped = false;
        let mut penalty_sum = 0.0;
        for (k, side) in [Side::X, Side::Y].into_iter().enumerate() {
            let sums = evaluate_side(engine, side, &point);
            let (error, penalty) = totals(row_weights(problem, side), sums.iter().copied());
            errors[k] = error;
            penalty_sum = penalty;
            if error >= options.tolerance {
                let (mut potentials, _) = point.oriented(side);
                for (a, s) in potentials.iter_mut().zip(&sums) {
                    if s.eta < 1.0 {
                        *a += step;
                    } else if s.eta > 1.0 {
                        *a -= step;
                    }
                }
                point.set(side, &potentials);
                stepped = true;
                break;
            }
        }
        passes += 1;
        if !stepped {
            assessed = Some(Assessment {
                alpha_error: errors[0],
                beta_error: errors[1],
                penalty_sum,
            });
            break;
        }
        report(progress, passes, errors[0].max(errors[1]))?;
    }
    let converged = assessed.is_some();
    let assessment = assessed.unwrap_or_else(|| assess(engine, problem, &point));
    Ok(Outcome {
        point,
        assessment,
        passes,
        converged,
    })
}
